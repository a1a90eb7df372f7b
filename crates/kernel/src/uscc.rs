//! 统一社会信用代码 per GB 32100-2015: 18 characters over a 31-character alphabet.
//! Position 1 is the registration authority, 2 the entity type, 3-8 the region code, 9-17 the
//! organisation code and 18 a check character (ISO 7064 MOD 31-3 style, weights 3^i mod 31).

use std::fmt;

use crate::{Explain, Lang};

/// Digits and capitals without I, O, Z, S and V (too easily confused with 1, 0, 2, 5 and U).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// 3^(i-1) mod 31 for positions 1-17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A validated unified social credit code, upper-case. Not personal data, so `Debug` and
/// `Display` show it in full.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnifiedSocialCreditCode(String);

/// Why a unified social credit code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// Not 18 characters after trimming.
    #[error("a unified social credit code has 18 characters, this has {len}")]
    WrongLength {
        /// Characters found.
        len: usize,
    },
    /// A character outside the alphabet (1-based position).
    #[error(
        "character {position} ({found}) is not allowed: use digits and capitals except I, O, Z, S, V"
    )]
    InvalidCharacter {
        /// 1-based position of the first offending character.
        position: usize,
        /// The character found there.
        found: char,
    },
    /// Positions 3-8 are not all digits.
    #[error("characters 3 to 8 must be the digits of a region code")]
    RegionNotNumeric,
    /// The 18th character does not match the other 17.
    #[error("the check character should be {expected}, not {found}")]
    CheckCharacterMismatch {
        /// What the first 17 characters call for.
        expected: char,
        /// What was typed.
        found: char,
    },
}

impl Explain for UsccError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WrongLength { len }, Lang::Zh) => {
                format!("请输入18位统一社会信用代码，由数字和大写字母组成（当前为{len}位）")
            }
            (Self::WrongLength { len }, Lang::En) => format!(
                "Enter the 18-character unified social credit code, made of digits and capital letters (this has {len})"
            ),
            (Self::InvalidCharacter { position, found }, Lang::Zh) => format!(
                "第{position}位“{found}”不是允许的字符：只能使用数字和除I、O、Z、S、V以外的大写字母"
            ),
            (Self::InvalidCharacter { position, found }, Lang::En) => format!(
                "Character {position} ({found}) is not allowed; use digits and capital letters other than I, O, Z, S and V"
            ),
            (Self::RegionNotNumeric, Lang::Zh) => {
                "第3至8位应为6位数字的行政区划代码，请核对".to_owned()
            }
            (Self::RegionNotNumeric, Lang::En) => {
                "Characters 3 to 8 must be the six-digit region code; please check them".to_owned()
            }
            (Self::CheckCharacterMismatch { .. }, Lang::Zh) => {
                "第18位校验码与前17位不符，可能有字符输错，请逐位核对".to_owned()
            }
            (Self::CheckCharacterMismatch { .. }, Lang::En) => {
                "The 18th (check) character does not match the other 17; a character is probably mistyped, please check each one"
                    .to_owned()
            }
        }
    }
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, or `None` if `first17` is not 17
/// characters of the alphabet (upper-case).
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
    /// Parses a code typed by a person: surrounding whitespace is ignored and lower case is
    /// accepted.
    pub fn parse(s: &str) -> Result<Self, UsccError> {
        let text = s.trim().to_ascii_uppercase();
        let len = text.chars().count();
        if len != 18 {
            return Err(UsccError::WrongLength { len });
        }
        for (i, c) in text.chars().enumerate() {
            if !c.is_ascii() || value_of(c as u8).is_none() {
                return Err(UsccError::InvalidCharacter {
                    position: i + 1,
                    found: c,
                });
            }
        }
        // From here on the text is 18 ASCII bytes, so byte slicing is safe.
        if !text[2..8].bytes().all(|b| b.is_ascii_digit()) {
            return Err(UsccError::RegionNotNumeric);
        }
        let expected = check_character(&text[..17]).ok_or(UsccError::WrongLength { len })?;
        let found = char::from(text.as_bytes()[17]);
        if expected != found {
            return Err(UsccError::CheckCharacterMismatch { expected, found });
        }
        Ok(UnifiedSocialCreditCode(text))
    }

    /// Appends the check character to a 17-character body (demo data generator). `None` if
    /// the body is not 17 upper-case characters of the alphabet with digits at 3-8.
    pub fn from_body(first17: &str) -> Option<Self> {
        let check = check_character(first17)?;
        Self::parse(&format!("{first17}{check}")).ok()
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1: the registration authority (e.g. `9` for market regulation).
    pub fn registration_authority(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }

    /// Position 2: the kind of entity within that authority (e.g. `1` for an enterprise).
    pub fn entity_type(&self) -> char {
        char::from(self.0.as_bytes()[1])
    }

    /// Positions 3-8: the administrative region code of the registering office.
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Positions 9-17: the organisation code (GB 11714 body and its own check character).
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
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_standards_example_is_valid() {
        // Hand computation for 91350100M000100Y4 (M = 21, Y = 30 in the alphabet):
        //   9·1 + 1·3 + 3·9 + 5·27 + 0·19 + 1·26 + 0·16 + 0·17 + 21·20 + 0·29 + 0·25 + 0·13
        //   + 1·8 + 0·24 + 0·10 + 30·30 + 4·28
        //   = 9 + 3 + 27 + 135 + 26 + 420 + 8 + 900 + 112 = 1640;
        //   1640 mod 31 = 28 (31·52 = 1612); (31 − 28) mod 31 = 3; ALPHABET[3] = '3'.
        assert_eq!(check_character("91350100M000100Y4"), Some('3'));
        let code = UnifiedSocialCreditCode::parse(" 91350100m000100y43 ").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
        assert_eq!(code.to_string(), "91350100M000100Y43");
        assert_eq!(code.registration_authority(), '9');
        assert_eq!(code.entity_type(), '1');
        assert_eq!(code.region_code(), "350100");
        assert_eq!(code.organisation_code(), "M000100Y4");
    }

    #[test]
    fn a_sum_divisible_by_31_gives_check_character_zero() {
        // The `mod 31` after `31 − sum mod 31` matters here: 1·1 + 1·3 + 0·9 + 1·27 = 31,
        // 31 mod 31 = 0, (31 − 0) mod 31 = 0 → '0' (without it the index would be 31).
        assert_eq!(check_character("11010000000000000"), Some('0'));
        assert!(UnifiedSocialCreditCode::parse("110100000000000000").is_ok());
    }

    #[test]
    fn refusals_name_the_reason() {
        let refused = |s: &str| UnifiedSocialCreditCode::parse(s).unwrap_err();
        assert_eq!(
            refused("91350100M000100Y4"),
            UsccError::WrongLength { len: 17 }
        );
        assert_eq!(
            refused("91350100M000100I43"),
            UsccError::InvalidCharacter {
                position: 16,
                found: 'I'
            }
        );
        assert_eq!(
            refused("91350100M000100Y4统"),
            UsccError::InvalidCharacter {
                position: 18,
                found: '统'
            }
        );
        assert_eq!(refused("913501A0M000100Y43"), UsccError::RegionNotNumeric);
        assert_eq!(
            refused("91350100M000100Y44"),
            UsccError::CheckCharacterMismatch {
                expected: '3',
                found: '4'
            }
        );
    }

    #[test]
    fn explanations_name_the_allowed_characters() {
        let e = UsccError::InvalidCharacter {
            position: 16,
            found: 'I',
        };
        assert!(e.explain(Lang::Zh).contains("除I、O、Z、S、V以外"));
        assert!(e.explain(Lang::En).contains("other than I, O, Z, S and V"));
        assert!(
            UsccError::WrongLength { len: 5 }
                .explain(Lang::Zh)
                .contains("18位")
        );
    }

    fn body() -> impl Strategy<Value = String> {
        (
            proptest::sample::select(&ALPHABET[..]),
            proptest::sample::select(&ALPHABET[..]),
            "[0-9]{6}",
            proptest::collection::vec(proptest::sample::select(&ALPHABET[..]), 9),
        )
            .prop_map(|(a, t, region, rest)| {
                format!(
                    "{}{}{region}{}",
                    a as char,
                    t as char,
                    String::from_utf8(rest).unwrap()
                )
            })
    }

    proptest! {
        #[test]
        fn bodies_with_their_check_character_are_valid(b in body()) {
            let code = UnifiedSocialCreditCode::from_body(&b).unwrap();
            prop_assert_eq!(&code.as_str()[..17], b.as_str());
            let reparsed = UnifiedSocialCreditCode::parse(&code.as_str().to_lowercase()).unwrap();
            prop_assert_eq!(reparsed, code);
        }

        #[test]
        fn any_single_substitution_is_refused(b in body(), pos in 0usize..18, shift in 1usize..31) {
            let code = UnifiedSocialCreditCode::from_body(&b).unwrap();
            let mut bytes = code.as_str().as_bytes().to_vec();
            let old = value_of(bytes[pos]).unwrap() as usize;
            bytes[pos] = ALPHABET[(old + shift) % 31];
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(UnifiedSocialCreditCode::parse(&changed).is_err());
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,24}") {
            let _ = UnifiedSocialCreditCode::parse(&s);
            let _ = UnifiedSocialCreditCode::from_body(&s);
        }
    }
}
