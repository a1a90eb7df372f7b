//! Mainland China mobile numbers: 11 digits, `1` then `3`-`9`.

use std::fmt;

use crate::resident_id::capitalise;
use crate::{Explain, Lang};

/// A validated mobile number, stored as its 11 digits. `Debug` shows it masked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobileNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileError {
    #[error("a mobile number has 11 digits, this has {digits}")]
    WrongLength { digits: usize },
    #[error("a mobile number contains only digits (spaces, hyphens and +86 are ignored)")]
    NotDigits,
    #[error("a mainland mobile number starts with 13 to 19")]
    WrongPrefix,
}

impl Explain for MobileError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WrongLength { digits }, Lang::Zh) => {
                format!("请输入11位手机号码（当前为{digits}位数字）")
            }
            (Self::NotDigits, Lang::Zh) => "手机号码只能包含数字（空格、横线和+86会被忽略）".to_owned(),
            (Self::WrongPrefix, Lang::Zh) => "手机号码应以13至19开头".to_owned(),
            (other, Lang::En) => capitalise(&other.to_string()),
        }
    }
}

impl MobileNumber {
    pub fn parse(s: &str) -> Result<Self, MobileError> {
        let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{3000}')).collect();
        let digits = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("0086"))
            .or_else(|| compact.strip_prefix("86").filter(|rest| rest.len() == 11))
            .unwrap_or(&compact);
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MobileError::NotDigits);
        }
        if digits.len() != 11 {
            return Err(MobileError::WrongLength { digits: digits.len() });
        }
        let b = digits.as_bytes();
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(MobileError::WrongPrefix);
        }
        Ok(MobileNumber(digits.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`.
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn common_spellings_are_accepted_and_masked() {
        for s in ["13812345678", "138 1234 5678", "+86 138-1234-5678", "008613812345678", "8613812345678"] {
            let m = MobileNumber::parse(s).expect(s);
            assert_eq!(m.as_str(), "13812345678");
            assert_eq!(m.masked(), "138****5678");
        }
        assert_eq!(MobileNumber::parse("1381234567"), Err(MobileError::WrongLength { digits: 10 }));
        assert_eq!(MobileNumber::parse("12812345678"), Err(MobileError::WrongPrefix));
        assert_eq!(MobileNumber::parse("138-1234-567a"), Err(MobileError::NotDigits));
    }

    proptest! {
        #[test]
        fn valid_numbers_round_trip(second in 3u8..=9, rest in "[0-9]{9}") {
            let s = format!("1{second}{rest}");
            let m = MobileNumber::parse(&s).expect("valid");
            prop_assert_eq!(m.as_str(), s.as_str());
            let shown = format!("{:?}", m);
            prop_assert!(!shown.contains(&s[3..7]));
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,20}") {
            let _ = MobileNumber::parse(&s);
        }
    }
}
