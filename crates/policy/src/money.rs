//! Amounts as the seeds write them: whole yuan, read and shown in 万 and 亿 ("300万元", "1亿").
//! Subsidy notices never go below the yuan, so unlike `kernel::Money` (fen) this counts yuan.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

const WAN: i64 = 10_000;
const YI: i64 = 100_000_000;

/// An amount of renminbi in whole yuan. `Money::wan(300) == Money(3_000_000)`; shown as
/// `300万元`. Ordering is numeric, so `a.min(b)` applies a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Money(pub i64);

/// Why a text is not an amount such as `300万`, `1.5亿` or `3000000`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing was entered.
    #[error("no amount was entered; write for example 300万, 1.5亿 or 3000000")]
    Empty,
    /// Not a non-negative number followed by 万, 亿 or nothing, with an optional 元.
    #[error("{text:?} is not an amount; write for example 300万, 300万元, 1.5亿 or 3000000")]
    NotAnAmount {
        /// What was entered.
        text: String,
    },
    /// The amount has a fraction of a yuan (e.g. `1.00005万`).
    #[error("{text:?} is not a whole number of yuan")]
    FractionOfYuan {
        /// What was entered.
        text: String,
    },
    /// Too large for the platform (above about 9.2 × 10^18 yuan).
    #[error("{text:?} is too large")]
    Overflow {
        /// What was entered.
        text: String,
    },
}

impl MoneyError {
    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            MoneyError::Empty => "未填写金额；请按“300万”“1.5亿”或“3000000”的格式填写".to_owned(),
            MoneyError::NotAnAmount { text } => {
                format!("“{text}”不是金额；请按“300万”“300万元”“1.5亿”或“3000000”的格式填写")
            }
            MoneyError::FractionOfYuan { text } => format!("“{text}”不是整数元"),
            MoneyError::Overflow { text } => format!("“{text}”金额过大"),
        }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);

    /// Whole 万元 (10,000 yuan), the unit the seeds use.
    pub const fn wan(wan: i64) -> Money {
        Money(wan * WAN)
    }

    /// Whole 亿元 (100,000,000 yuan).
    pub const fn yi(yi: i64) -> Money {
        Money(yi * YI)
    }

    /// Whole yuan.
    pub const fn yuan(self) -> i64 {
        self.0
    }

    /// Reads `300万`, `300万元`, `1亿`, `0.5亿`, `3000000`, `3000000元`: a non-negative decimal
    /// number, then 万 or 亿 or nothing (yuan), then an optional 元. The result must be whole
    /// yuan.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(MoneyError::Empty);
        }
        let not_amount = || MoneyError::NotAnAmount {
            text: text.to_owned(),
        };
        let body = trimmed.strip_suffix('元').unwrap_or(trimmed);
        let (number, unit) = if let Some(n) = body.strip_suffix('万') {
            (n, WAN)
        } else if let Some(n) = body.strip_suffix('亿') {
            (n, YI)
        } else {
            (body, 1)
        };
        let (whole, frac) = match number.split_once('.') {
            Some((w, f)) if !f.is_empty() => (w, f),
            Some(_) => return Err(not_amount()),
            None => (number, ""),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (!frac.is_empty() && !digits(frac)) {
            return Err(not_amount());
        }
        let overflow = || MoneyError::Overflow {
            text: text.to_owned(),
        };
        let whole: i64 = whole.parse().map_err(|_| overflow())?;
        let mut yuan = whole.checked_mul(unit).ok_or_else(overflow)?;
        // The fraction of a 万 or 亿 must come out in whole yuan: 0.5亿 yes, 1.00005万 no.
        let mut place = unit;
        for b in frac.bytes() {
            if place % 10 != 0 {
                if b != b'0' {
                    return Err(MoneyError::FractionOfYuan {
                        text: text.to_owned(),
                    });
                }
                continue;
            }
            place /= 10;
            yuan = yuan
                .checked_add(i64::from(b - b'0') * place)
                .ok_or_else(overflow)?;
        }
        Ok(Money(yuan))
    }

    /// `ratio` of this amount, rounded down to the yuan (an award never exceeds the
    /// stated share).
    pub fn times(self, ratio: Ratio) -> Money {
        let product = i128::from(self.0) * i128::from(ratio.basis_points()) / 10_000;
        Money(i64::try_from(product).unwrap_or(i64::MAX))
    }

    /// `count` times this amount, saturating.
    pub fn times_count(self, count: i64) -> Money {
        Money(self.0.saturating_mul(count))
    }

    /// This amount less `other`, never below zero (what is left under a cap).
    pub fn remaining_after(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0).max(0))
    }
}

impl fmt::Display for Money {
    /// `300万元`, `1亿元`, `1.5万元`, `5000元`: 亿 when whole, else 万 when at least 1万.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (yi, wan) = (YI.unsigned_abs(), WAN.unsigned_abs());
        if abs >= yi && abs % yi == 0 {
            write!(f, "{sign}{}亿元", abs / yi)
        } else if abs >= wan {
            let frac = abs % wan;
            if frac == 0 {
                write!(f, "{sign}{}万元", abs / wan)
            } else {
                let digits = format!("{frac:04}");
                write!(
                    f,
                    "{sign}{}.{}万元",
                    abs / wan,
                    digits.trim_end_matches('0')
                )
            }
        } else {
            write!(f, "{sign}{abs}元")
        }
    }
}

impl std::str::FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        Money::parse(s)
    }
}

/// Data files write amounts as text (`"300万"`) or as a whole number of yuan.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Yuan(i64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Yuan(y) if y >= 0 => Ok(Money(y)),
            Raw::Yuan(y) => Err(serde::de::Error::custom(format!(
                "{y} is negative; an amount is at least 0"
            ))),
            Raw::Text(t) => Money::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// A share of a base, as the seeds write it ("20%"), kept in basis points (1/10,000) so no
/// floating point touches an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Ratio(u32);

/// Why a text is not a percentage such as `20%` or `1.5%`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a percentage between 0% and 100% with at most two decimals, such as 20% or 1.5%"
)]
pub struct RatioError {
    /// What was entered.
    pub text: String,
}

impl Ratio {
    /// From basis points: `Ratio::from_basis_points(2000)` is 20%.
    pub const fn from_basis_points(bp: u32) -> Ratio {
        Ratio(bp)
    }

    /// Basis points (1/10,000).
    pub const fn basis_points(self) -> u32 {
        self.0
    }

    /// Reads `20%`, `1.5%`, `0.25%`.
    pub fn parse(text: &str) -> Result<Ratio, RatioError> {
        let err = || RatioError {
            text: text.to_owned(),
        };
        let number = text.trim().strip_suffix('%').ok_or_else(err)?;
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 {
            return Err(err());
        }
        let whole: u32 = whole.parse().map_err(|_| err())?;
        let frac: u32 = format!("{frac:0<2}").parse().map_err(|_| err())?;
        let bp = whole.checked_mul(100).and_then(|w| w.checked_add(frac));
        match bp {
            Some(bp) if bp <= 10_000 => Ok(Ratio(bp)),
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        if frac == 0 {
            write!(f, "{whole}%")
        } else {
            let digits = format!("{frac:02}");
            write!(f, "{whole}.{}%", digits.trim_end_matches('0'))
        }
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ratio, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ratio::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_the_seeds_ways_of_writing_amounts() {
        assert_eq!(Money::parse("300万").unwrap(), Money(3_000_000));
        assert_eq!(Money::parse("300万元").unwrap(), Money::wan(300));
        assert_eq!(Money::parse("1亿").unwrap(), Money::yi(1));
        assert_eq!(Money::parse("0.5亿").unwrap(), Money::wan(5000));
        assert_eq!(Money::parse("1.5亿").unwrap(), Money::wan(15000));
        assert_eq!(Money::parse("2000万元").unwrap(), Money::wan(2000));
        assert_eq!(Money::parse("3000000").unwrap(), Money(3_000_000));
        assert_eq!(Money::parse("1.2345万").unwrap(), Money(12_345));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for bad in [
            "",
            "万",
            "-5万",
            "3百万",
            "1,000",
            "1.万",
            ".5万",
            "300万万",
            "abc",
            "5 万",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(matches!(
            Money::parse("1.00005万"),
            Err(MoneyError::FractionOfYuan { .. })
        ));
        assert!(matches!(
            Money::parse("99999999999999999亿"),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(
            Money::parse("x")
                .unwrap_err()
                .message_zh()
                .contains("不是金额")
        );
    }

    #[test]
    fn shows_amounts_as_the_seeds_do() {
        assert_eq!(Money::wan(300).to_string(), "300万元");
        assert_eq!(Money::yi(1).to_string(), "1亿元");
        assert_eq!(Money::wan(15000).to_string(), "15000万元");
        assert_eq!(Money(15_000).to_string(), "1.5万元");
        assert_eq!(Money(5_000).to_string(), "5000元");
        assert_eq!(Money(0).to_string(), "0元");
    }

    #[test]
    fn ratios_round_down_to_the_yuan() {
        let twenty = Ratio::parse("20%").unwrap();
        assert_eq!(twenty.basis_points(), 2000);
        assert_eq!(Money(9).times(twenty), Money(1));
        assert_eq!(Money::wan(2000).times(twenty), Money::wan(400));
        assert_eq!(Ratio::parse("1.5%").unwrap().to_string(), "1.5%");
        for bad in ["20", "101%", "-1%", "1.234%", "%"] {
            assert!(Ratio::parse(bad).is_err(), "{bad:?}");
        }
    }
}
