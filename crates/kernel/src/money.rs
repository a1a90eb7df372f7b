//! Money as integer fen (分): no floating point ever touches an amount.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Explain, Lang};

const FEN_PER_YUAN: i64 = 100;
const FEN_PER_WAN_YUAN: i64 = 1_000_000;

/// An amount of renminbi in fen (0.01 yuan). Serialises as the integer number of fen.
///
/// Ordering is numeric, so `a.min(b)` (from [`Ord`]) caps a subsidy at a ceiling.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

/// Why a text is not an amount of yuan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing was entered.
    #[error("no amount was entered")]
    Empty,
    /// Not a decimal number such as `1234.56` or `1,234.56`.
    #[error("not an amount in yuan such as 1234.56")]
    NotANumber,
    /// More than two digits after the decimal point: fen is the smallest unit.
    #[error("an amount in yuan has at most 2 decimals, this has {decimals}")]
    TooManyDecimals {
        /// Decimals found.
        decimals: usize,
    },
    /// Beyond what 64-bit fen can hold (about 92 trillion yuan).
    #[error("the amount is too large")]
    Overflow,
}

impl Explain for MoneyError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, Lang::Zh) => "请输入金额（元），例如 1234.56".to_owned(),
            (Self::Empty, Lang::En) => "Enter an amount in yuan, for example 1234.56".to_owned(),
            (Self::NotANumber, Lang::Zh) => {
                "金额只能包含数字、千位分隔逗号和小数点，例如 1,234.56".to_owned()
            }
            (Self::NotANumber, Lang::En) => {
                "An amount may contain only digits, thousands commas and a decimal point, for example 1,234.56"
                    .to_owned()
            }
            (Self::TooManyDecimals { decimals }, Lang::Zh) => {
                format!("金额最多保留两位小数（精确到分），当前有{decimals}位")
            }
            (Self::TooManyDecimals { decimals }, Lang::En) => format!(
                "An amount may have at most 2 decimals (to the fen); this has {decimals}"
            ),
            (Self::Overflow, Lang::Zh) => "金额过大，请核对位数".to_owned(),
            (Self::Overflow, Lang::En) => {
                "The amount is too large; please check the number of digits".to_owned()
            }
        }
    }
}

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);

    /// An amount of fen.
    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    /// Whole yuan; `None` on overflow.
    pub fn from_yuan(yuan: i64) -> Option<Money> {
        yuan.checked_mul(FEN_PER_YUAN).map(Money)
    }

    /// Whole 万元 (10,000 yuan, the unit of subsidy notices); `None` on overflow.
    pub fn from_wan_yuan(wan: i64) -> Option<Money> {
        wan.checked_mul(FEN_PER_WAN_YUAN).map(Money)
    }

    /// Parses yuan as people and [`Money::format_yuan`] write them: `1234`, `1234.5`,
    /// `-0.07`, `1,234.56` (commas only as thousands separators), with an optional `¥`/`￥`
    /// after the sign and an optional trailing `元`. At most two decimals.
    pub fn parse_yuan(s: &str) -> Result<Money, MoneyError> {
        let text = s.trim();
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let text = text.strip_prefix(['¥', '￥']).unwrap_or(text);
        let text = text.strip_suffix('元').map_or(text, str::trim_end);
        let (whole, frac) = match text.split_once('.') {
            Some((whole, frac)) if !frac.is_empty() => (whole, frac),
            Some(_) => return Err(MoneyError::NotANumber),
            None => (text, ""),
        };
        let whole = ungroup(whole).ok_or(MoneyError::NotANumber)?;
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::NotANumber);
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals {
                decimals: frac.len(),
            });
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        // Pad `5` to `50`: one decimal means tenths of a yuan.
        let frac: i64 = format!("{frac:0<2}")
            .parse()
            .map_err(|_| MoneyError::NotANumber)?;
        let fen = whole
            .checked_mul(FEN_PER_YUAN)
            .and_then(|w| w.checked_add(frac))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money(if negative { -fen } else { fen }))
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// `self + other`, `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self − other`, `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self × numerator ÷ denominator` rounded to the nearest fen, halves away from zero
    /// (subsidies such as "10% of R&D spend" are `mul_ratio(10, 100)`). The product is
    /// computed in 128 bits, so only a result beyond `i64` fails. `None` on a zero
    /// denominator or such a result.
    pub fn mul_ratio(self, numerator: i64, denominator: i64) -> Option<Money> {
        if denominator == 0 {
            return None;
        }
        let product = i128::from(self.0) * i128::from(numerator);
        let d = i128::from(denominator);
        let (q, r) = (product / d, product % d);
        // Truncation went toward zero; step one further away when the remainder is at least
        // half the divisor. The step's sign is the sign of the exact quotient.
        let rounded = if 2 * r.abs() >= d.abs() {
            q + product.signum() * d.signum()
        } else {
            q
        };
        i64::try_from(rounded).ok().map(Money)
    }

    /// `¥1,234.56` in English, `1,234.56 元` in Chinese; thousands separated by commas.
    pub fn format_yuan(self, lang: Lang) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let text = format!("{}.{:02}", group_thousands(abs / 100), abs % 100);
        match lang {
            Lang::Zh => format!("{sign}{text} 元"),
            Lang::En => format!("{sign}¥{text}"),
        }
    }

    /// The amount in the unit officials use for budgets and subsidies, rounded half away
    /// from zero to 0.01 万元 (¥100): `123.45万元` in Chinese. English has no 万, so it shows
    /// millions to four decimals, `¥1.2345 million`, which is the same ¥100 precision; the
    /// figures in both languages therefore always agree.
    pub fn format_wan_yuan(self, lang: Lang) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        // Hundreds of yuan, rounded half away from zero (the sign is added separately).
        let hundreds = (self.0.unsigned_abs() + 5_000) / 10_000;
        match lang {
            Lang::Zh => format!(
                "{sign}{}.{:02}万元",
                group_thousands(hundreds / 100),
                hundreds % 100
            ),
            Lang::En => format!(
                "{sign}¥{}.{:04} million",
                group_thousands(hundreds / 10_000),
                hundreds % 10_000
            ),
        }
    }
}

/// Digits with or without correct thousands commas (`1234`, `1,234`), commas removed.
fn ungroup(whole: &str) -> Option<String> {
    let mut groups = whole.split(',');
    let first = groups.next()?;
    let mut out = first.to_owned();
    let mut width_ok = !first.is_empty() && (!whole.contains(',') || first.len() <= 3);
    for group in groups {
        width_ok &= group.len() == 3;
        out.push_str(group);
    }
    (width_ok && out.bytes().all(|b| b.is_ascii_digit())).then_some(out)
}

/// `1234567` → `1,234,567`.
fn group_thousands(n: u64) -> String {
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
    /// The English form, `¥1,234.56`; pages use [`Money::format_yuan`] with their language.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_yuan(Lang::En))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn constructors_agree() {
        assert_eq!(Money::from_yuan(1), Some(Money::from_fen(100)));
        assert_eq!(Money::from_wan_yuan(1), Money::from_yuan(10_000));
        assert_eq!(Money::from_wan_yuan(1).map(Money::fen), Some(1_000_000));
        assert_eq!(Money::from_yuan(i64::MAX / 10), None);
        assert_eq!(Money::from_wan_yuan(i64::MAX / 1000), None);
    }

    #[test]
    fn parsing_accepts_what_people_write() {
        let ok = |s: &str| Money::parse_yuan(s).unwrap().fen();
        assert_eq!(ok("1234.56"), 123_456);
        assert_eq!(ok("1,234.5"), 123_450);
        assert_eq!(ok(" 1234 "), 123_400);
        assert_eq!(ok("-0.07"), -7);
        assert_eq!(ok("0"), 0);
        assert_eq!(ok("¥1,234.56"), 123_456);
        assert_eq!(ok("-￥3"), -300);
        assert_eq!(ok("1,234.56 元"), 123_456);
        assert_eq!(ok("1234.56元"), 123_456);
    }

    #[test]
    fn parsing_refuses_with_a_reason() {
        let refused = |s: &str| Money::parse_yuan(s).unwrap_err();
        assert_eq!(refused("  "), MoneyError::Empty);
        assert_eq!(
            refused("1.234"),
            MoneyError::TooManyDecimals { decimals: 3 }
        );
        assert_eq!(refused("abc"), MoneyError::NotANumber);
        assert_eq!(refused(".5"), MoneyError::NotANumber);
        assert_eq!(refused("5."), MoneyError::NotANumber);
        assert_eq!(refused("1.2.3"), MoneyError::NotANumber);
        assert_eq!(refused("1,23"), MoneyError::NotANumber);
        assert_eq!(refused("1234,567"), MoneyError::NotANumber);
        assert_eq!(refused(",123"), MoneyError::NotANumber);
        assert_eq!(refused("+5"), MoneyError::NotANumber);
        assert_eq!(refused("1e5"), MoneyError::NotANumber);
        assert_eq!(refused("¥¥5"), MoneyError::NotANumber);
        assert_eq!(refused("元"), MoneyError::NotANumber);
        assert_eq!(refused("99999999999999999999"), MoneyError::Overflow);
        assert_eq!(refused("92233720368547758.08"), MoneyError::Overflow);
        assert!(
            MoneyError::TooManyDecimals { decimals: 3 }
                .explain(Lang::Zh)
                .contains("两位小数")
        );
        assert!(
            MoneyError::NotANumber
                .explain(Lang::En)
                .contains("1,234.56")
        );
    }

    #[test]
    fn formatting_in_yuan() {
        assert_eq!(Money::from_fen(123_456).format_yuan(Lang::En), "¥1,234.56");
        assert_eq!(
            Money::from_fen(123_456).format_yuan(Lang::Zh),
            "1,234.56 元"
        );
        assert_eq!(Money::from_fen(-7).format_yuan(Lang::En), "-¥0.07");
        assert_eq!(
            Money::from_fen(100_000_000).format_yuan(Lang::Zh),
            "1,000,000.00 元"
        );
        assert_eq!(
            Money::from_fen(i64::MIN).format_yuan(Lang::En),
            "-¥92,233,720,368,547,758.08"
        );
        assert_eq!(Money::from_fen(5).to_string(), "¥0.05");
    }

    #[test]
    fn formatting_in_wan_yuan() {
        let wan = |fen: i64, lang| Money::from_fen(fen).format_wan_yuan(lang);
        assert_eq!(wan(123_450_000, Lang::Zh), "123.45万元");
        assert_eq!(wan(123_450_000, Lang::En), "¥1.2345 million");
        assert_eq!(wan(500_000_000, Lang::Zh), "500.00万元");
        assert_eq!(wan(500_000_000, Lang::En), "¥5.0000 million");
        // ¥1,234,567.89 → 123.4567万 → 123.46万 (half away from zero); same in English.
        assert_eq!(wan(123_456_789, Lang::Zh), "123.46万元");
        assert_eq!(wan(123_456_789, Lang::En), "¥1.2346 million");
        assert_eq!(wan(-123_456_789, Lang::Zh), "-123.46万元");
        assert_eq!(wan(999_995_000, Lang::Zh), "1,000.00万元");
        assert_eq!(wan(4_999, Lang::Zh), "0.00万元");
        assert_eq!(wan(5_000, Lang::Zh), "0.01万元");
        assert_eq!(
            wan(123_456_789_000_000, Lang::En),
            "¥1,234,567.8900 million"
        );
    }

    #[test]
    fn ratios_round_half_away_from_zero() {
        let ratio = |fen, n, d| Money::from_fen(fen).mul_ratio(n, d).map(Money::fen);
        assert_eq!(ratio(1_000, 15, 100), Some(150));
        assert_eq!(ratio(5, 1, 2), Some(3));
        assert_eq!(ratio(-5, 1, 2), Some(-3));
        assert_eq!(ratio(5, -1, 2), Some(-3));
        assert_eq!(ratio(5, 1, -2), Some(-3));
        assert_eq!(ratio(-5, -1, -2), Some(-3));
        assert_eq!(ratio(4, 1, 3), Some(1));
        assert_eq!(ratio(-4, 1, 3), Some(-1));
        assert_eq!(ratio(1, 1, 0), None);
        assert_eq!(ratio(i64::MAX, 2, 1), None);
        assert_eq!(ratio(i64::MAX, i64::MAX, i64::MAX), Some(i64::MAX));
    }

    #[test]
    fn a_subsidy_is_capped_with_min() {
        // 10% of ¥3,000,000 R&D spend, capped at 20万元.
        let spend = Money::from_yuan(3_000_000).unwrap();
        let cap = Money::from_wan_yuan(20).unwrap();
        let subsidy = spend.mul_ratio(10, 100).unwrap().min(cap);
        assert_eq!(subsidy, cap);
        assert_eq!(
            Money::from_fen(1).checked_add(Money::from_fen(i64::MAX)),
            None
        );
        assert_eq!(
            Money::from_fen(1).checked_sub(Money::from_fen(3)),
            Some(Money::from_fen(-2))
        );
    }

    #[test]
    fn serde_is_integer_fen() {
        let m = Money::from_fen(123_456);
        assert_eq!(serde_json::to_string(&m).unwrap(), "123456");
        assert_eq!(
            serde_json::from_str::<Money>("-7").unwrap(),
            Money::from_fen(-7)
        );
        assert!(serde_json::from_str::<Money>("\"1.00\"").is_err());
    }

    proptest! {
        #[test]
        fn yuan_text_round_trips_in_both_languages(fen in any::<i64>().prop_filter("i64::MIN has no positive twin", |f| *f != i64::MIN)) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_yuan(&m.format_yuan(Lang::Zh)), Ok(m));
            prop_assert_eq!(Money::parse_yuan(&m.format_yuan(Lang::En)), Ok(m));
        }

        #[test]
        fn plain_decimal_text_parses_exactly(whole in 0u64..1_000_000_000_000, frac in 0u64..100) {
            let parsed = Money::parse_yuan(&format!("{whole}.{frac:02}")).unwrap();
            prop_assert_eq!(parsed.fen(), (whole * 100 + frac) as i64);
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,30}") {
            let _ = Money::parse_yuan(&s);
        }

        #[test]
        fn ratios_match_exact_rational_rounding(
            fen in -1_000_000_000_000_000i64..1_000_000_000_000_000,
            num in -1_000_000i64..1_000_000,
            den in (-1_000_000i64..1_000_000).prop_filter("non-zero", |d| *d != 0),
        ) {
            // Realistic ranges (amounts up to ¥10 trillion, ratios with six-digit terms) never
            // overflow.
            let got = i128::from(Money::from_fen(fen).mul_ratio(num, den).unwrap().fen());
            // Work with a positive denominator: p/d with p = fen·num·sign(d).
            let d = i128::from(den).abs();
            let p = i128::from(fen) * i128::from(num) * i128::from(den.signum());
            // |got − p/d| ≤ 1/2, i.e. |2·d·got − 2·p| ≤ d …
            let twice_error = 2 * d * got - 2 * p;
            prop_assert!(twice_error.abs() <= d);
            // … and an exact half rounds away from zero: the error has the sign of p.
            if twice_error.abs() == d {
                prop_assert_eq!(twice_error.signum(), p.signum());
            }
        }
    }
}
