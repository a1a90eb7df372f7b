//! Money as integer fen (分): no floating point ever touches an amount.

use std::fmt;

use crate::Lang;

/// An amount of renminbi in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an amount in yuan such as 1234.56")]
    NotAnAmount(String),
    #[error("the amount is too large")]
    Overflow,
}

pub const FEN_PER_YUAN: i64 = 100;
pub const FEN_PER_WAN_YUAN: i64 = 1_000_000;

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_yuan(yuan: i64) -> Option<Money> {
        yuan.checked_mul(FEN_PER_YUAN).map(Money)
    }

    pub fn from_wan_yuan(wan: i64) -> Option<Money> {
        wan.checked_mul(FEN_PER_WAN_YUAN).map(Money)
    }

    /// Parses `1234`, `1234.5` or `1,234.56` yuan; at most two decimals.
    pub fn parse_yuan(s: &str) -> Result<Money, MoneyError> {
        let bad = || MoneyError::NotAnAmount(s.to_owned());
        let clean: String = s.trim().chars().filter(|c| *c != ',').collect();
        let (negative, digits) = match clean.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, clean.as_str()),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() || frac.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let fen = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or(MoneyError::Overflow)?;
        Ok(Money(if negative { -fen } else { fen }))
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self × numerator / denominator`, rounded half away from zero (subsidy ratios such as
    /// 10% of R&D spend). `None` on a zero denominator or overflow.
    pub fn mul_ratio(self, numerator: i64, denominator: i64) -> Option<Money> {
        if denominator == 0 {
            return None;
        }
        let product = i128::from(self.0) * i128::from(numerator);
        let d = i128::from(denominator);
        let q = product / d;
        let r = product % d;
        let rounded = if 2 * r.abs() >= d.abs() { q + product.signum() * d.signum() } else { q };
        i64::try_from(rounded).ok().map(Money)
    }

    /// `¥1,234.56` (English) or `1,234.56元` (Chinese).
    pub fn format_yuan(self, lang: Lang) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let text = format!("{}.{:02}", group_thousands(abs / 100), abs % 100);
        match lang {
            Lang::Zh => format!("{sign}{text}元"),
            Lang::En => format!("{sign}¥{text}"),
        }
    }

    /// `123.45万元` (Chinese) or `¥1.2345 million` (English), the unit officials use.
    pub fn format_wan_yuan(self, lang: Lang) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        match lang {
            Lang::Zh => {
                let wan = abs / 1_000_000;
                let hundredths = (abs % 1_000_000 + 5_000) / 10_000;
                let (wan, hundredths) = if hundredths == 100 { (wan + 1, 0) } else { (wan, hundredths) };
                format!("{sign}{}.{hundredths:02}万元", group_thousands(wan))
            }
            Lang::En => {
                let millions = abs / 100_000_000;
                let rest = (abs % 100_000_000 + 5_000) / 10_000;
                let (millions, rest) = if rest == 10_000 { (millions + 1, 0) } else { (millions, rest) };
                format!("{sign}¥{}.{rest:04} million", group_thousands(millions))
            }
        }
    }
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_yuan(Lang::En))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parsing_and_formatting() {
        assert_eq!(Money::parse_yuan("1,234.5"), Ok(Money(123_450)));
        assert_eq!(Money::parse_yuan("-0.07"), Ok(Money(-7)));
        assert!(Money::parse_yuan("1.234").is_err());
        assert!(Money::parse_yuan("abc").is_err());
        assert!(Money::parse_yuan(".5").is_err());
        assert_eq!(Money(123_456_789).format_yuan(Lang::Zh), "1,234,567.89元");
        assert_eq!(Money(123_456_789).format_yuan(Lang::En), "¥1,234,567.89");
        assert_eq!(Money::from_wan_yuan(500).map(|m| m.format_wan_yuan(Lang::Zh)), Some("500.00万元".into()));
        assert_eq!(Money(123_456_789).format_wan_yuan(Lang::Zh), "123.46万元");
        assert_eq!(Money::from_wan_yuan(500).map(|m| m.format_wan_yuan(Lang::En)), Some("¥5.0000 million".into()));
    }

    #[test]
    fn ratios_round_half_away_from_zero() {
        assert_eq!(Money(1_000).mul_ratio(15, 100), Some(Money(150)));
        assert_eq!(Money(5).mul_ratio(1, 2), Some(Money(3)));
        assert_eq!(Money(-5).mul_ratio(1, 2), Some(Money(-3)));
        assert_eq!(Money(4).mul_ratio(1, 3), Some(Money(1)));
        assert_eq!(Money(1).mul_ratio(1, 0), None);
    }

    proptest! {
        #[test]
        fn yuan_text_round_trips(fen in -10_000_000_000_000i64..10_000_000_000_000) {
            let m = Money(fen);
            let text = m.format_yuan(Lang::Zh);
            let parsed = Money::parse_yuan(text.trim_end_matches('元'));
            prop_assert_eq!(parsed, Ok(m));
        }

        #[test]
        fn ratios_match_exact_rational_rounding(fen in 0i64..1_000_000_000_000, num in 0i64..1000, den in 1i64..1000) {
            let got = Money(fen).mul_ratio(num, den).expect("fits").0 as i128;
            let exact_times_2 = 2 * i128::from(fen) * i128::from(num);
            let d = i128::from(den);
            // got is the nearest integer, halves rounded up: |2·d·got − 2·fen·num| ≤ d.
            prop_assert!((2 * d * got - exact_times_2).abs() <= d);
        }
    }
}
