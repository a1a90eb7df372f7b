//! Reporting periods: quarters written `YYYY-Qn` (the bulletins' cadence in the rules).

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, date};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::GreenChannelError;

/// One calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    year: i16,
    number: u8,
}

impl Quarter {
    /// The quarter, if `number` is 1 to 4 and the year is one a date can have (1 to 9999).
    pub fn new(year: i16, number: u8) -> Option<Quarter> {
        ((1..=4).contains(&number) && (1..=9999).contains(&year))
            .then_some(Quarter { year, number })
    }

    /// The quarter `day` falls in.
    pub fn of(day: Date) -> Quarter {
        let number = u8::try_from((day.month() - 1) / 3 + 1).unwrap_or(1);
        Quarter {
            year: day.year(),
            number,
        }
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn number(self) -> u8 {
        self.number
    }

    pub fn first_day(self) -> Date {
        date(self.year, self.first_month(), 1)
    }

    pub fn last_day(self) -> Date {
        let month = self.first_month() + 2;
        date(self.year, month, 1).last_of_month()
    }

    fn first_month(self) -> i8 {
        i8::try_from(self.number).unwrap_or(1) * 3 - 2
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-Q{}", self.year, self.number)
    }
}

impl FromStr for Quarter {
    type Err = GreenChannelError;
    fn from_str(s: &str) -> Result<Quarter, GreenChannelError> {
        let bad = || GreenChannelError::BadPeriod {
            value: s.to_owned(),
        };
        let (year, number) = s.trim().split_once("-Q").ok_or_else(bad)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) || number.len() != 1 {
            return Err(bad());
        }
        let year: i16 = year.parse().map_err(|_| bad())?;
        let number: u8 = number.parse().map_err(|_| bad())?;
        Quarter::new(year, number).ok_or_else(bad)
    }
}

impl Serialize for Quarter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quarter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Quarter, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn quarters_have_their_days() {
        let q: Quarter = "2026-Q1".parse().unwrap();
        assert_eq!(q.first_day(), date(2026, 1, 1));
        assert_eq!(q.last_day(), date(2026, 3, 31));
        let q: Quarter = "2024-Q4".parse().unwrap();
        assert_eq!(q.last_day(), date(2024, 12, 31));
        assert_eq!(Quarter::of(date(2026, 8, 15)).to_string(), "2026-Q3");
    }

    #[test]
    fn malformed_periods_are_refused() {
        for s in [
            "2026-Q0", "2026-Q5", "2026Q1", "26-Q1", "2026-q1", "2026-Q12", "", "0000-Q1",
        ] {
            assert!(s.parse::<Quarter>().is_err(), "{s} was accepted");
        }
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(year in 1i16..=9999, number in 1u8..=4) {
            let q = Quarter::new(year, number).unwrap();
            prop_assert_eq!(q.to_string().parse::<Quarter>().unwrap(), q);
        }

        #[test]
        fn any_text_parses_or_is_refused(s in "\\PC{0,12}") {
            let _ = s.parse::<Quarter>();
        }

        #[test]
        fn every_day_is_in_its_quarter(days in 0i64..3_000_000) {
            let day = date(1, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let q = Quarter::of(day);
            prop_assert!(q.first_day() <= day && day <= q.last_day());
        }
    }
}
