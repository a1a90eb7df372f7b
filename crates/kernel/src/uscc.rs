//! 统一社会信用代码 per GB 32100-2015: 18 characters over a 31-character alphabet; positions
//! 3-8 are the region code; position 18 is a check character computed with weights 3^i mod 31.

use std::fmt;

use crate::resident_id::capitalise;
use crate::{Explain, Lang};

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A validated unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnifiedSocialCreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("a unified social credit code has 18 characters, this has {len}")]
    WrongLength { len: usize },
    #[error("character {position} ({found}) is not allowed: use digits and capitals except I, O, Z, S, V")]
    InvalidCharacter { position: usize, found: char },
    #[error("characters 3 to 8 must be the digits of a region code")]
    RegionNotNumeric,
    #[error("the check character should be {expected}, not {found}")]
    CheckCharacterMismatch { expected: char, found: char },
}

impl Explain for UsccError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WrongLength { len }, Lang::Zh) => {
                format!("请输入18位统一社会信用代码（当前为{len}位）")
            }
            (Self::InvalidCharacter { position, found }, Lang::Zh) => format!(
                "第{position}位“{found}”不是允许的字符：只能使用数字和除I、O、Z、S、V以外的大写字母"
            ),
            (Self::RegionNotNumeric, Lang::Zh) => "第3至8位应为行政区划代码（数字）".to_owned(),
            (Self::CheckCharacterMismatch { .. }, Lang::Zh) => {
                "第18位校验码不正确，请核对代码是否输错".to_owned()
            }
            (Self::CheckCharacterMismatch { .. }, Lang::En) => {
                "The 18th (check) character is wrong; please check the code for typing errors"
                    .to_owned()
            }
            (other, Lang::En) => capitalise(&other.to_string()),
        }
    }
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, if they are all in the alphabet.
pub fn check_character(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.bytes().zip(WEIGHTS) {
        sum += value_of(c)? * w;
    }
    Some(char::from(ALPHABET[((31 - sum % 31) % 31) as usize]))
}

impl UnifiedSocialCreditCode {
    pub fn parse(s: &str) -> Result<Self, UsccError> {
        let s = s.trim().to_ascii_uppercase();
        let len = s.chars().count();
        if len != 18 {
            return Err(UsccError::WrongLength { len });
        }
        for (i, c) in s.chars().enumerate() {
            if !c.is_ascii() || value_of(c as u8).is_none() {
                return Err(UsccError::InvalidCharacter { position: i + 1, found: c });
            }
        }
        if !s[2..8].bytes().all(|b| b.is_ascii_digit()) {
            return Err(UsccError::RegionNotNumeric);
        }
        let expected = check_character(&s[..17]).ok_or(UsccError::WrongLength { len })?;
        let found = char::from(s.as_bytes()[17]);
        if expected != found {
            return Err(UsccError::CheckCharacterMismatch { expected, found });
        }
        Ok(UnifiedSocialCreditCode(s))
    }

    /// Appends the check character to a 17-character body (demo data generator).
    pub fn from_body(first17: &str) -> Option<Self> {
        let check = check_character(first17)?;
        Self::parse(&format!("{first17}{check}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1: the registering authority (e.g. 9 for market regulation).
    pub fn registration_authority(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }

    /// Position 2: the kind of entity (e.g. 1 for an enterprise).
    pub fn entity_type(&self) -> char {
        char::from(self.0.as_bytes()[1])
    }

    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Positions 9-17: the organisation code of GB 11714.
    pub fn organisation_code(&self) -> &str {
        &self.0[8..17]
    }
}

impl fmt::Display for UnifiedSocialCreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_standards_example_is_valid() {
        // 91350100M000100Y4 + check: weighted sum of the body is 592; 592 mod 31 = 3;
        // (31 - 3) mod 31 = 28, and ALPHABET[28] = '3'.
        let code = UnifiedSocialCreditCode::parse(" 91350100m000100y43 ").expect("valid");
        assert_eq!(code.as_str(), "91350100M000100Y43");
        assert_eq!(code.registration_authority(), '9');
        assert_eq!(code.entity_type(), '1');
        assert_eq!(code.region_code(), "350100");
        assert_eq!(code.organisation_code(), "M000100Y4");
    }

    #[test]
    fn refusals_name_the_reason() {
        assert_eq!(
            UnifiedSocialCreditCode::parse("91350100M000100Y4"),
            Err(UsccError::WrongLength { len: 17 })
        );
        assert_eq!(
            UnifiedSocialCreditCode::parse("91350100M000100O43"),
            Err(UsccError::InvalidCharacter { position: 16, found: 'O' })
        );
        assert_eq!(
            UnifiedSocialCreditCode::parse("913A0100M000100Y43"),
            Err(UsccError::RegionNotNumeric)
        );
        assert_eq!(
            UnifiedSocialCreditCode::parse("91350100M000100Y44"),
            Err(UsccError::CheckCharacterMismatch { expected: '3', found: '4' })
        );
    }

    fn body() -> impl Strategy<Value = String> {
        (
            proptest::sample::select(&b"159Y"[..]),
            proptest::sample::select(&b"123"[..]),
            "[0-9]{6}",
            proptest::collection::vec(proptest::sample::select(&ALPHABET[..]), 9),
        )
            .prop_map(|(a, t, region, rest)| {
                format!("{}{}{region}{}", a as char, t as char, String::from_utf8(rest).unwrap_or_default())
            })
    }

    proptest! {
        #[test]
        fn bodies_with_their_check_character_are_valid(b in body()) {
            let code = UnifiedSocialCreditCode::from_body(&b).expect("valid");
            prop_assert_eq!(&code.as_str()[..17], b.as_str());
        }

        #[test]
        fn any_single_substitution_is_refused(b in body(), pos in 0usize..18, shift in 1usize..31) {
            let code = UnifiedSocialCreditCode::from_body(&b).expect("valid");
            let mut bytes = code.as_str().as_bytes().to_vec();
            let old = value_of(bytes[pos]).expect("in alphabet") as usize;
            bytes[pos] = ALPHABET[(old + shift) % 31];
            let changed = String::from_utf8(bytes).expect("ascii");
            prop_assert!(UnifiedSocialCreditCode::parse(&changed).is_err());
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,24}") {
            let _ = UnifiedSocialCreditCode::parse(&s);
        }
    }
}
