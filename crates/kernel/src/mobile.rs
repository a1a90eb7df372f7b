//! Mainland China mobile numbers: 11 digits, `1` then `3`-`9`.

use std::fmt;

use crate::{Explain, Lang};

/// A validated mobile number, stored as its 11 digits. `Debug` shows it masked, and there is
/// no `Display`, so it reaches a log or a page only through [`MobileNumber::as_str`] or
/// [`MobileNumber::masked`], chosen on purpose.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobileNumber(String);

/// Why a mobile number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileError {
    /// Something other than digits, spaces, hyphens and a leading `+86`.
    #[error(
        "a mobile number contains only digits (spaces, hyphens and +86 are ignored), found {found:?}"
    )]
    InvalidCharacter {
        /// The first offending character.
        found: char,
    },
    /// Not 11 digits once separators and the country code are removed.
    #[error("a mobile number has 11 digits, this has {digits}")]
    WrongLength {
        /// Digits found.
        digits: usize,
    },
    /// Does not start with 13-19.
    #[error("a mainland mobile number starts with 13 to 19, this starts with {prefix}")]
    WrongPrefix {
        /// The first two digits found.
        prefix: String,
    },
}

impl Explain for MobileError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::InvalidCharacter { found }, Lang::Zh) => {
                format!("手机号码只能包含数字（空格、横线和+86会被忽略），其中有“{found}”")
            }
            (Self::InvalidCharacter { found }, Lang::En) => format!(
                "A mobile number may contain only digits (spaces, hyphens and +86 are ignored); remove \"{found}\""
            ),
            (Self::WrongLength { digits }, Lang::Zh) => {
                format!("请输入11位手机号码（当前为{digits}位数字）")
            }
            (Self::WrongLength { digits }, Lang::En) => {
                format!("Enter the 11-digit mobile number (this has {digits} digits)")
            }
            (Self::WrongPrefix { prefix }, Lang::Zh) => {
                format!("中国大陆手机号码以13至19开头，此号码以{prefix}开头，请核对")
            }
            (Self::WrongPrefix { prefix }, Lang::En) => format!(
                "A mainland China mobile number starts with 13 to 19; this one starts with {prefix}, please check it"
            ),
        }
    }
}

impl MobileNumber {
    /// Parses a number as people type it: spaces (including the full-width space) and hyphens
    /// are ignored, and a `+86`, `0086` or `86` country code is removed.
    pub fn parse(s: &str) -> Result<Self, MobileError> {
        let compact: String = s
            .chars()
            .filter(|c| !(c.is_whitespace() || *c == '-'))
            .collect();
        let digits = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("0086"))
            // A bare `86` is a country code only when 11 digits follow; otherwise it could be
            // the start of a mistyped number, which the length check will report.
            .or_else(|| compact.strip_prefix("86").filter(|rest| rest.len() == 11))
            .unwrap_or(&compact);
        if let Some(found) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(MobileError::InvalidCharacter { found });
        }
        if digits.len() != 11 {
            return Err(MobileError::WrongLength {
                digits: digits.len(),
            });
        }
        let b = digits.as_bytes();
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(MobileError::WrongPrefix {
                prefix: digits[..2].to_owned(),
            });
        }
        Ok(MobileNumber(digits.to_owned()))
    }

    /// The 11 digits. Handle with care: this is a personal identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`: the first three and last four digits, for screens.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileNumber({})", self.masked())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn common_spellings_are_accepted_and_masked() {
        for s in [
            "13812345678",
            " 138 1234 5678 ",
            "138-1234-5678",
            "+86 138-1234-5678",
            "+8613812345678",
            "008613812345678",
            "8613812345678",
            "138\u{3000}1234\u{3000}5678",
        ] {
            let m = MobileNumber::parse(s).unwrap();
            assert_eq!(m.as_str(), "13812345678", "{s}");
            assert_eq!(m.masked(), "138****5678");
        }
    }

    #[test]
    fn refusals_name_the_reason() {
        let refused = |s: &str| MobileNumber::parse(s).unwrap_err();
        assert_eq!(refused(""), MobileError::WrongLength { digits: 0 });
        assert_eq!(
            refused("1381234567"),
            MobileError::WrongLength { digits: 10 }
        );
        assert_eq!(
            refused("+86 1381234567"),
            MobileError::WrongLength { digits: 10 }
        );
        assert_eq!(
            refused("861381234567"),
            MobileError::WrongLength { digits: 12 }
        );
        assert_eq!(
            refused("12812345678"),
            MobileError::WrongPrefix {
                prefix: "12".into()
            }
        );
        assert_eq!(
            refused("23812345678"),
            MobileError::WrongPrefix {
                prefix: "23".into()
            }
        );
        assert_eq!(
            refused("138-1234-567a"),
            MobileError::InvalidCharacter { found: 'a' }
        );
        assert_eq!(
            refused("138.1234.5678"),
            MobileError::InvalidCharacter { found: '.' }
        );
        assert_eq!(
            refused("１３８１２３４５６７８"),
            MobileError::InvalidCharacter { found: '１' }
        );
    }

    #[test]
    fn debug_is_masked_and_explanations_are_bilingual() {
        let m = MobileNumber::parse("13812345678").unwrap();
        assert_eq!(format!("{m:?}"), "MobileNumber(138****5678)");
        let e = MobileError::WrongLength { digits: 10 };
        assert!(e.explain(Lang::Zh).contains("11位"));
        assert!(e.explain(Lang::En).contains("11-digit"));
    }

    fn separators() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(vec!["", " ", "-", "\u{3000}"])
    }

    proptest! {
        #[test]
        fn valid_numbers_round_trip_however_typed(
            second in 3u8..=9,
            rest in "[0-9]{9}",
            prefix in proptest::sample::select(vec!["", "+86", "+86 ", "0086", "86"]),
            sep in separators(),
        ) {
            let s = format!("1{second}{rest}");
            let typed = format!("{prefix}{}{sep}{}{sep}{}", &s[..3], &s[3..7], &s[7..]);
            let m = MobileNumber::parse(&typed).unwrap();
            prop_assert_eq!(m.as_str(), s.as_str());
            prop_assert_eq!(MobileNumber::parse(m.as_str()).unwrap(), m.clone());
            // The middle four digits are hidden. (Not "the output lacks them": they may equal
            // the last four, which are shown.)
            let shown = format!("{m:?}");
            prop_assert_eq!(shown, format!("MobileNumber({}****{})", &s[..3], &s[7..]));
        }

        #[test]
        fn other_second_digits_are_refused(second in 0u8..=2, rest in "[0-9]{9}") {
            let s = format!("1{second}{rest}");
            prop_assert_eq!(MobileNumber::parse(&s), Err(MobileError::WrongPrefix { prefix: s[..2].to_owned() }));
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,24}") {
            if let Ok(m) = MobileNumber::parse(&s) {
                prop_assert_eq!(m.as_str().len(), 11);
            }
        }
    }
}
