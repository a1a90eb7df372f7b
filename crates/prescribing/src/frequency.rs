//! How often a dose is taken, in the Latin abbreviations Chinese prescriptions use.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Dosing frequency. Written in JSON as its [`code`](Self::code), e.g. `"bid"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// Once a day.
    Qd,
    /// Twice a day.
    Bid,
    /// Three times a day.
    Tid,
    /// Four times a day.
    Qid,
    /// Every night.
    Qn,
    /// Every 12 hours.
    Q12h,
    /// Every 8 hours.
    Q8h,
    /// Once a week.
    Qw,
}

impl Frequency {
    /// Every frequency, in declaration order.
    pub const ALL: [Frequency; 8] = [
        Frequency::Qd,
        Frequency::Bid,
        Frequency::Tid,
        Frequency::Qid,
        Frequency::Qn,
        Frequency::Q12h,
        Frequency::Q8h,
        Frequency::Qw,
    ];

    /// `qd`, `bid`, …
    pub fn code(self) -> &'static str {
        match self {
            Frequency::Qd => "qd",
            Frequency::Bid => "bid",
            Frequency::Tid => "tid",
            Frequency::Qid => "qid",
            Frequency::Qn => "qn",
            Frequency::Q12h => "q12h",
            Frequency::Q8h => "q8h",
            Frequency::Qw => "qw",
        }
    }

    /// Takes per day; once a week is 1/7.
    pub fn times_per_day(self) -> f64 {
        match self {
            Frequency::Qd | Frequency::Qn => 1.0,
            Frequency::Bid | Frequency::Q12h => 2.0,
            Frequency::Tid | Frequency::Q8h => 3.0,
            Frequency::Qid => 4.0,
            Frequency::Qw => 1.0 / 7.0,
        }
    }

    /// 每日一次, …
    pub fn label_zh(self) -> &'static str {
        match self {
            Frequency::Qd => "每日一次",
            Frequency::Bid => "每日两次",
            Frequency::Tid => "每日三次",
            Frequency::Qid => "每日四次",
            Frequency::Qn => "每晚一次",
            Frequency::Q12h => "每12小时一次",
            Frequency::Q8h => "每8小时一次",
            Frequency::Qw => "每周一次",
        }
    }

    /// `once a day`, …
    pub fn label_en(self) -> &'static str {
        match self {
            Frequency::Qd => "once a day",
            Frequency::Bid => "twice a day",
            Frequency::Tid => "three times a day",
            Frequency::Qid => "four times a day",
            Frequency::Qn => "every night",
            Frequency::Q12h => "every 12 hours",
            Frequency::Q8h => "every 8 hours",
            Frequency::Qw => "once a week",
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A string that is not a [`Frequency`] code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown frequency {0:?}")]
pub struct UnknownFrequency(pub String);

impl FromStr for Frequency {
    type Err = UnknownFrequency;

    /// Reads a code, ignoring case and surrounding spaces (`QD`, ` bid`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_lowercase();
        Frequency::ALL
            .into_iter()
            .find(|f| f.code() == code)
            .ok_or_else(|| UnknownFrequency(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_and_match_serde() {
        for f in Frequency::ALL {
            assert_eq!(f.code().parse::<Frequency>(), Ok(f));
            assert_eq!(
                serde_json::to_string(&f).expect("serialises"),
                format!("\"{}\"", f.code())
            );
        }
        assert_eq!(" BID ".parse::<Frequency>(), Ok(Frequency::Bid));
        assert!("q6h".parse::<Frequency>().is_err());
    }

    #[test]
    fn weekly_is_a_seventh_of_a_take_a_day() {
        assert!((Frequency::Qw.times_per_day() * 7.0 - 1.0).abs() < 1e-12);
    }
}
