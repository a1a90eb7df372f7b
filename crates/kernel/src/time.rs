use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::Lang;

/// The zone in which the city reads its clocks.
pub const CITY_TIME_ZONE: &str = "Asia/Shanghai";

/// A moment as stored: Unix epoch milliseconds, UTC. Shown in [`CITY_TIME_ZONE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcMillis(pub i64);

fn city_zone() -> TimeZone {
    // The zone is compiled in (jiff's bundled tz database), so lookup cannot fail in practice;
    // a fixed +08:00 (China has had no daylight saving since 1991) is the honest fallback.
    TimeZone::get(CITY_TIME_ZONE).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8)))
}

impl UtcMillis {
    pub fn now() -> Self {
        UtcMillis(Timestamp::now().as_millisecond())
    }

    pub fn to_timestamp(self) -> Timestamp {
        Timestamp::from_millisecond(self.0).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// `2026年11月22日 18:30` or `2026-11-22 18:30`, in the city's zone.
    pub fn format_datetime(self, lang: Lang) -> String {
        let zoned = self.to_timestamp().to_zoned(city_zone());
        match lang {
            Lang::Zh => zoned.strftime("%Y年%m月%d日 %H:%M").to_string(),
            Lang::En => zoned.strftime("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// `2026年11月22日` or `2026-11-22`, in the city's zone.
    pub fn format_date(self, lang: Lang) -> String {
        let zoned = self.to_timestamp().to_zoned(city_zone());
        match lang {
            Lang::Zh => zoned.strftime("%Y年%m月%d日").to_string(),
            Lang::En => zoned.strftime("%Y-%m-%d").to_string(),
        }
    }

    /// RFC 3339 in UTC, for machines.
    pub fn to_rfc3339(self) -> String {
        self.to_timestamp().to_string()
    }

    /// Today's date in the city.
    pub fn city_date(self) -> jiff::civil::Date {
        self.to_timestamp().to_zoned(city_zone()).date()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_in_shanghai_time_with_date_rollover() {
        let t: Timestamp = "2026-11-22T16:30:00Z".parse().expect("timestamp");
        let m = UtcMillis(t.as_millisecond());
        assert_eq!(m.format_datetime(Lang::Zh), "2026年11月23日 00:30");
        assert_eq!(m.format_datetime(Lang::En), "2026-11-23 00:30");
        assert_eq!(m.format_date(Lang::Zh), "2026年11月23日");
        assert_eq!(m.to_rfc3339(), "2026-11-22T16:30:00Z");
    }
}
