//! Moments as stored (UTC epoch milliseconds) and as shown (the city's wall clock).

use std::fmt;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::Lang;

/// The IANA zone in which the city reads its clocks.
pub const CITY_TIME_ZONE: &str = "Asia/Shanghai";

/// A moment as every table stores it: Unix epoch milliseconds, UTC. Shown in
/// [`CITY_TIME_ZONE`]. Serialises as the integer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UtcMillis(pub i64);

fn city_zone() -> TimeZone {
    // Looked up once: finding a zone in the database parses its rules, which costs more than
    // the conversions that use it (a Bundle converts thousands of dates).
    static ZONE: std::sync::LazyLock<TimeZone> = std::sync::LazyLock::new(|| {
        // The zone is compiled in (jiff's bundled tz database), so the lookup cannot fail in
        // practice; a fixed +08:00 is the honest fallback (China has had no daylight saving
        // since 1991).
        TimeZone::get(CITY_TIME_ZONE).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8)))
    });
    ZONE.clone()
}

impl UtcMillis {
    /// The current moment.
    pub fn now() -> Self {
        Self::from_timestamp(Timestamp::now())
    }

    /// The moment of `timestamp`, truncated to the millisecond.
    pub fn from_timestamp(timestamp: Timestamp) -> Self {
        UtcMillis(timestamp.as_millisecond())
    }

    /// The moment as a jiff timestamp. Values beyond jiff's range (years −9999 to 9999) are
    /// clamped to its ends rather than failing: they can only come from corrupt data, and a
    /// page showing year 9999 makes that visible.
    pub fn to_timestamp(self) -> Timestamp {
        Timestamp::from_millisecond(self.0).unwrap_or(if self.0 < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        })
    }

    /// `2026年11月22日 18:30` or `2026-11-22 18:30`, on the city's clock.
    pub fn format_datetime(self, lang: Lang) -> String {
        let zoned = self.to_timestamp().to_zoned(city_zone());
        match lang {
            Lang::Zh => zoned.strftime("%Y年%m月%d日 %H:%M").to_string(),
            Lang::En => zoned.strftime("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// `2026年11月22日` or `2026-11-22`, on the city's calendar.
    pub fn format_date(self, lang: Lang) -> String {
        let zoned = self.to_timestamp().to_zoned(city_zone());
        match lang {
            Lang::Zh => zoned.strftime("%Y年%m月%d日").to_string(),
            Lang::En => zoned.strftime("%Y-%m-%d").to_string(),
        }
    }

    /// RFC 3339 in UTC (`2026-11-22T16:30:00Z`, milliseconds only when non-zero), for
    /// machines and exports.
    pub fn to_rfc3339(self) -> String {
        self.to_timestamp().to_string()
    }

    /// The date on the city's calendar at this moment.
    pub fn city_date(self) -> jiff::civil::Date {
        self.to_timestamp().to_zoned(city_zone()).date()
    }
}

impl fmt::Display for UtcMillis {
    /// RFC 3339 in UTC; pages use [`UtcMillis::format_datetime`] with their language.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn at(text: &str) -> UtcMillis {
        UtcMillis::from_timestamp(text.parse().unwrap())
    }

    #[test]
    fn display_is_on_the_city_clock_with_date_rollover() {
        let m = at("2026-11-22T16:30:00Z");
        assert_eq!(m.format_datetime(Lang::Zh), "2026年11月23日 00:30");
        assert_eq!(m.format_datetime(Lang::En), "2026-11-23 00:30");
        assert_eq!(m.format_date(Lang::Zh), "2026年11月23日");
        assert_eq!(m.format_date(Lang::En), "2026-11-23");
        assert_eq!(m.city_date(), jiff::civil::Date::constant(2026, 11, 23));
        assert_eq!(m.to_rfc3339(), "2026-11-22T16:30:00Z");
        assert_eq!(m.to_string(), "2026-11-22T16:30:00Z");
    }

    #[test]
    fn the_same_day_stays_the_same_day() {
        let m = at("2026-11-22T10:30:00Z");
        assert_eq!(m.format_datetime(Lang::Zh), "2026年11月22日 18:30");
        assert_eq!(m.format_datetime(Lang::En), "2026-11-22 18:30");
    }

    #[test]
    fn timestamps_round_trip_at_millisecond_precision() {
        let m = UtcMillis(1_795_000_000_123);
        assert_eq!(UtcMillis::from_timestamp(m.to_timestamp()), m);
        assert_eq!(m.to_rfc3339(), "2026-11-18T11:06:40.123Z");
        let now = UtcMillis::now();
        assert!(now > UtcMillis(1_700_000_000_000), "clock is after 2023");
    }

    #[test]
    fn out_of_range_values_clamp_instead_of_failing() {
        assert_eq!(UtcMillis(i64::MAX).to_timestamp(), Timestamp::MAX);
        assert_eq!(UtcMillis(i64::MIN).to_timestamp(), Timestamp::MIN);
        assert!(
            UtcMillis(i64::MAX)
                .format_date(Lang::En)
                .starts_with("9999-12-")
        );
    }

    #[test]
    fn serde_is_the_integer() {
        assert_eq!(serde_json::to_string(&UtcMillis(42)).unwrap(), "42");
        assert_eq!(
            serde_json::from_str::<UtcMillis>("42").unwrap(),
            UtcMillis(42)
        );
    }
}
