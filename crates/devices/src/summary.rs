//! Hourly and daily figures (count, min, max, mean) of a resident's series, as charts and
//! indicators read them. A day is a calendar day in the city's time zone.

use std::collections::HashMap;
use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

/// The length of a period, as stored in `device_summaries.period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// A clock hour.
    Hour,
    /// A calendar day in the city's time zone.
    Day,
}

const HOUR_MS: i64 = 3_600_000;

static CITY_ZONE: LazyLock<TimeZone> = LazyLock::new(|| {
    // The tz database is compiled in (jiff's bundle), so this lookup does not fail; UTC is a
    // visible, not silent, fallback.
    TimeZone::get(kernel::CITY_TIME_ZONE).unwrap_or(TimeZone::UTC)
});

impl Period {
    /// Both periods.
    pub const ALL: [Period; 2] = [Period::Hour, Period::Day];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Period::Hour => "hour",
            Period::Day => "day",
        }
    }

    /// Reads a code (`hour`, `day`).
    pub fn parse(code: &str) -> Option<Period> {
        match code {
            "hour" => Some(Period::Hour),
            "day" => Some(Period::Day),
            _ => None,
        }
    }

    /// The start (Unix ms) of the period holding `t`.
    pub fn start_of(self, t: i64) -> i64 {
        match self {
            // Whole-hour offsets (the city's is +08:00) make UTC hours the city's hours.
            Period::Hour => t.div_euclid(HOUR_MS) * HOUR_MS,
            Period::Day => day_bounds(t).0,
        }
    }
}

/// The city day holding `t`: [start, end) in Unix ms.
fn day_bounds(t: i64) -> (i64, i64) {
    let bounds = || -> Option<(i64, i64)> {
        let zoned = Timestamp::from_millisecond(t)
            .ok()?
            .to_zoned(CITY_ZONE.clone());
        let start = zoned.start_of_day().ok()?;
        let end = start.tomorrow().ok()?;
        Some((
            start.timestamp().as_millisecond(),
            end.timestamp().as_millisecond(),
        ))
    };
    // Outside jiff's range (years beyond ±9999), which the time window never admits.
    bounds().unwrap_or((t, t + 1))
}

/// Figures of one period, as added up from new readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Readings.
    pub count: i64,
    /// Lowest value.
    pub min: f64,
    /// Highest value.
    pub max: f64,
    /// Sum of values (the mean is `sum / count`).
    pub sum: f64,
}

impl Figures {
    fn of(value: f64) -> Figures {
        Figures {
            count: 1,
            min: value,
            max: value,
            sum: value,
        }
    }

    fn add(&mut self, value: f64) {
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.sum += value;
    }
}

/// The key of one summary row.
pub type SummaryKey = (String, &'static str, Period, i64);

/// Adds up values into (resident, series, period, start) figures.
#[derive(Debug, Default)]
pub struct Aggregator {
    figures: HashMap<SummaryKey, Figures>,
    /// The last day looked up: readings of a batch mostly fall on one day, and a time-zone
    /// conversion costs more than the rest of a reading's summary work.
    day: Option<(i64, i64)>,
}

impl Aggregator {
    /// Adds one value.
    pub fn add(&mut self, resident_id: &str, series: &'static str, taken_at: i64, value: f64) {
        let day = match self.day {
            Some((start, end)) if (start..end).contains(&taken_at) => start,
            _ => {
                let bounds = day_bounds(taken_at);
                self.day = Some(bounds);
                bounds.0
            }
        };
        for (period, start) in [
            (Period::Hour, Period::Hour.start_of(taken_at)),
            (Period::Day, day),
        ] {
            self.figures
                .entry((resident_id.to_owned(), series, period, start))
                .and_modify(|f| f.add(value))
                .or_insert_with(|| Figures::of(value));
        }
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.figures.is_empty()
    }

    /// The rows, as the summary upsert takes them.
    pub fn into_rows(self) -> impl Iterator<Item = (SummaryKey, Figures)> {
        self.figures.into_iter()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn a_day_is_the_citys_calendar_day() {
        // 23:30 in Shanghai on the 26th is 15:30 UTC; the day began at 16:00 UTC on the 25th.
        let t = ms("2026-11-26T15:30:00Z");
        assert_eq!(Period::Day.start_of(t), ms("2026-11-25T16:00:00Z"));
        assert_eq!(
            Period::Day.start_of(ms("2026-11-26T16:00:00Z")),
            ms("2026-11-26T16:00:00Z")
        );
        assert_eq!(Period::Hour.start_of(t), ms("2026-11-26T15:00:00Z"));
    }

    #[test]
    fn figures_add_up_per_period() {
        let mut agg = Aggregator::default();
        agg.add("r1", "sbp", ms("2026-11-26T01:10:00Z"), 120.0);
        agg.add("r1", "sbp", ms("2026-11-26T01:50:00Z"), 140.0);
        agg.add("r1", "sbp", ms("2026-11-26T02:10:00Z"), 130.0);
        agg.add("r1", "sbp", ms("2026-11-26T17:00:00Z"), 100.0);
        let rows: HashMap<_, _> = agg.into_rows().collect();
        let hour = rows[&("r1".into(), "sbp", Period::Hour, ms("2026-11-26T01:00:00Z"))];
        assert_eq!(
            hour,
            Figures {
                count: 2,
                min: 120.0,
                max: 140.0,
                sum: 260.0
            }
        );
        let day = rows[&("r1".into(), "sbp", Period::Day, ms("2026-11-25T16:00:00Z"))];
        assert_eq!(
            day,
            Figures {
                count: 3,
                min: 120.0,
                max: 140.0,
                sum: 390.0
            }
        );
        let next_day = rows[&("r1".into(), "sbp", Period::Day, ms("2026-11-26T16:00:00Z"))];
        assert_eq!(next_day.count, 1);
        assert_eq!(rows.len(), 3 + 2);
    }
}
