//! 统一社会信用代码 (unified social credit code, USCC) per GB 32100-2015, with the standard's
//! table of registration authorities and categories (`data/uscc-codes.toml`).
//!
//! ```text
//! position  1   registration authority (登记管理部门代码), e.g. 9 market regulation
//!           2   category within it (机构类别代码), e.g. 1 enterprise
//!         3-8   administrative division of the registering office (6 digits)
//!        9-17   organisation code (主体标识码, GB 11714)
//!          18   check character over 1-17 (kernel::check_character)
//! ```
//!
//! The check catches every single-character substitution and every transposition of two
//! adjacent different characters: the weights are the powers of 3 modulo 31, all different,
//! and 31 is prime, so a change of Σ by (a−b)·w or (a−b)·(wᵢ−wⱼ) is never a multiple of 31.
//! The organisation code's own GB 11714 check character (position 17) is not tested: the
//! platform cannot tell which issuing practice applied to an old code, and a wrong code is
//! already caught by position 18.

use std::fmt;
use std::sync::OnceLock;

use kernel::{Citation, Source, UnifiedSocialCreditCode};
use serde::Deserialize;

use crate::terms::{check_source, shipped};

/// The 31 characters a code is written in: digits and capitals without I, O, Z, S, V.
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

const CODES_TOML: &str = include_str!("../data/uscc-codes.toml");

/// A validated code, upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Uscc(String);

/// Why a code was refused; each names the position and what is allowed there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("the unified social credit code is empty")]
    Empty,
    #[error("a unified social credit code has 18 characters, this has {found}")]
    Length { found: usize },
    #[error(
        "character {position} is '{found}': only digits and capital letters except I, O, Z, S and V are used"
    )]
    Character { position: usize, found: char },
    #[error("character 1 (registration authority) is '{found}': allowed are {allowed}")]
    Authority { found: char, allowed: String },
    #[error(
        "character 2 (category) is '{found}', which authority '{authority}' does not use: allowed are {allowed}"
    )]
    Category {
        authority: char,
        found: char,
        allowed: String,
    },
    #[error(
        "character {position} is '{found}': characters 3 to 8 are the six digits of a region code"
    )]
    Region { position: usize, found: char },
    #[error("character 18 (check character) should be '{expected}', it is '{found}'")]
    Check { expected: char, found: char },
}

impl UsccError {
    /// The 1-based position at fault, if one position is.
    pub fn position(&self) -> Option<usize> {
        match self {
            UsccError::Empty | UsccError::Length { .. } => None,
            UsccError::Character { position, .. } | UsccError::Region { position, .. } => {
                Some(*position)
            }
            UsccError::Authority { .. } => Some(1),
            UsccError::Category { .. } => Some(2),
            UsccError::Check { .. } => Some(18),
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            UsccError::Empty => "请填写18位统一社会信用代码".to_owned(),
            UsccError::Length { found } => {
                format!("统一社会信用代码应为18位，实为{found}位")
            }
            UsccError::Character { position, found } => format!(
                "第{position}位“{found}”不是允许的字符：只能使用数字和除I、O、Z、S、V以外的大写字母"
            ),
            UsccError::Authority { found, allowed } => {
                format!("第1位登记管理部门代码“{found}”不存在，应为{allowed}之一")
            }
            UsccError::Category {
                authority,
                found,
                allowed,
            } => format!(
                "第2位机构类别代码“{found}”不属于登记管理部门“{authority}”，应为{allowed}之一"
            ),
            UsccError::Region { position, found } => {
                format!("第{position}位为“{found}”：第3至8位应为6位数字的登记管理机关行政区划码")
            }
            UsccError::Check { expected, found } => {
                format!("第18位校验码应为{expected}，实为{found}：可能有字符输错，请逐位核对")
            }
        }
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

impl Uscc {
    /// Parses a code as a person typed it: surrounding spaces are ignored, lower case is
    /// accepted.
    pub fn parse(text: &str) -> Result<Uscc, UsccError> {
        let code = text.trim().to_uppercase();
        if code.is_empty() {
            return Err(UsccError::Empty);
        }
        let found = code.chars().count();
        if found != 18 {
            return Err(UsccError::Length { found });
        }
        check_body(&code)?;
        // From here the code is 18 ASCII characters of the alphabet.
        let expected = check_character(&code[..17])?;
        let found = char::from(code.as_bytes()[17]);
        if expected != found {
            return Err(UsccError::Check { expected, found });
        }
        Ok(Uscc(code))
    }

    /// The code for 17 characters with their check character appended (demo and test data).
    pub fn with_check(prefix17: &str) -> Result<Uscc, UsccError> {
        let prefix = prefix17.trim().to_uppercase();
        let found = prefix.chars().count();
        if found != 17 {
            return Err(UsccError::Length { found: found + 1 });
        }
        check_body(&prefix)?;
        let check = check_character(&prefix)?;
        Ok(Uscc(format!("{prefix}{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1.
    pub fn authority(&self) -> &'static Authority {
        let code = &self.0[..1];
        let found = codes().authorities.iter().find(|a| a.code == code);
        // parse() admitted only codes of the table.
        found.unwrap_or(&codes().authorities[0])
    }

    /// Position 2, with its names.
    pub fn category(&self) -> Option<&'static Category> {
        let code = &self.0[1..2];
        self.authority().categories.iter().find(|c| c.code == code)
    }

    /// Positions 3-8.
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Positions 9-17.
    pub fn organisation_code(&self) -> &str {
        &self.0[8..17]
    }

    /// The same code as the kernel's type (used by the access crate's organisations).
    pub fn to_kernel(&self) -> Option<UnifiedSocialCreditCode> {
        UnifiedSocialCreditCode::parse(&self.0).ok()
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Positions 1-17: characters, the authority and category pair, the region digits.
fn check_body(code: &str) -> Result<(), UsccError> {
    for (i, c) in code.chars().enumerate() {
        if !ALPHABET.contains(c) {
            return Err(UsccError::Character {
                position: i + 1,
                found: c,
            });
        }
    }
    let bytes = code.as_bytes();
    let authority = char::from(bytes[0]);
    let category = char::from(bytes[1]);
    let table = codes();
    let Some(entry) = table
        .authorities
        .iter()
        .find(|a| a.code.starts_with(authority))
    else {
        return Err(UsccError::Authority {
            found: authority,
            allowed: table.authority_list(),
        });
    };
    if !entry
        .categories
        .iter()
        .any(|c| c.code.starts_with(category))
    {
        return Err(UsccError::Category {
            authority,
            found: category,
            allowed: entry.category_list(),
        });
    }
    for (i, b) in bytes.iter().enumerate().take(8).skip(2) {
        if !b.is_ascii_digit() {
            return Err(UsccError::Region {
                position: i + 1,
                found: char::from(*b),
            });
        }
    }
    Ok(())
}

/// The check character of 17 characters of the alphabet (the kernel holds the algorithm).
fn check_character(prefix: &str) -> Result<char, UsccError> {
    kernel::check_character(prefix).ok_or(UsccError::Length {
        found: prefix.chars().count() + 1,
    })
}

/// A registration authority (position 1) and the categories it uses (position 2).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub categories: Vec<Category>,
    pub source: Source,
}

impl Authority {
    fn category_list(&self) -> String {
        let codes: Vec<&str> = self.categories.iter().map(|c| c.code.as_str()).collect();
        codes.join("、")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// The table of `data/uscc-codes.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeTable {
    pub citations: Vec<Citation>,
    pub authorities: Vec<Authority>,
}

impl CodeTable {
    pub fn parse(text: &str) -> Result<CodeTable, String> {
        let table: CodeTable = toml::from_str(text).map_err(|e| e.to_string())?;
        if table.authorities.is_empty() {
            return Err("no authorities".into());
        }
        for a in &table.authorities {
            let single = |code: &str| code.chars().count() == 1 && ALPHABET.contains(code);
            if !single(&a.code) || a.categories.iter().any(|c| !single(&c.code)) {
                return Err(format!(
                    "authority {}: codes are single characters of the alphabet",
                    a.code
                ));
            }
            check_source(&table.citations, &a.source).map_err(|e| format!("{}: {e}", a.code))?;
        }
        Ok(table)
    }

    fn authority_list(&self) -> String {
        let codes: Vec<&str> = self.authorities.iter().map(|a| a.code.as_str()).collect();
        codes.join("、")
    }
}

/// The shipped table.
pub fn codes() -> &'static CodeTable {
    static TABLE: OnceLock<CodeTable> = OnceLock::new();
    TABLE.get_or_init(|| shipped("uscc-codes.toml", CodeTable::parse(CODES_TOML)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_standards_example_parses_and_names_its_parts() {
        // GB 32100-2015's example; its check character worked by hand in kernel::uscc.
        let code = Uscc::parse("  91350100m000100y43 ").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
        assert_eq!(code.authority().zh, "工商（市场监督管理）");
        assert_eq!(code.category().unwrap().zh, "企业");
        assert_eq!(code.region_code(), "350100");
        assert_eq!(code.organisation_code(), "M000100Y4");
        assert_eq!(code.to_kernel().unwrap().as_str(), code.as_str());
    }

    #[test]
    fn with_check_appends_the_check_character() {
        assert_eq!(
            Uscc::with_check("91350100M000100Y4").unwrap().as_str(),
            "91350100M000100Y43"
        );
        assert!(matches!(
            Uscc::with_check("9135"),
            Err(UsccError::Length { found: 5 })
        ));
    }

    #[test]
    fn each_refusal_names_the_position_and_what_is_allowed() {
        let refused = |s: &str| Uscc::parse(s).unwrap_err();
        assert_eq!(refused("   "), UsccError::Empty);
        assert_eq!(
            refused("91350100M000100Y4"),
            UsccError::Length { found: 17 }
        );
        let e = refused("91350100M000100I43");
        assert_eq!(e.position(), Some(16));
        assert!(e.message_zh().contains("第16位“I”"));
        // Authority 0 does not exist.
        let e = refused(Uscc::with_check_unchecked("01350100M000100Y4").as_str());
        assert!(matches!(e, UsccError::Authority { found: '0', .. }));
        assert!(e.message_zh().contains("1、2、3"), "{}", e.message_zh());
        // Market regulation uses categories 1, 2, 3 only.
        let e = refused(Uscc::with_check_unchecked("94350100M000100Y4").as_str());
        assert_eq!(
            e,
            UsccError::Category {
                authority: '9',
                found: '4',
                allowed: "1、2、3".into()
            }
        );
        assert!(e.message_zh().contains("第2位"));
        let e = refused(Uscc::with_check_unchecked("9135A100M000100Y4").as_str());
        assert_eq!(
            e,
            UsccError::Region {
                position: 5,
                found: 'A'
            }
        );
        let e = refused("91350100M000100Y44");
        assert_eq!(
            e,
            UsccError::Check {
                expected: '3',
                found: '4'
            }
        );
        assert_eq!(
            e.message_zh(),
            "第18位校验码应为3，实为4：可能有字符输错，请逐位核对"
        );
        assert!(e.message_en().contains("should be '3', it is '4'"));
    }

    #[test]
    fn the_shipped_table_has_the_pairs_the_brief_names() {
        let pair_ok = |a: &str, c: &str| {
            codes()
                .authorities
                .iter()
                .any(|x| x.code == a && x.categories.iter().any(|y| y.code == c))
        };
        for (a, c) in [
            ("1", "1"),
            ("1", "9"),
            ("5", "3"),
            ("9", "1"),
            ("9", "3"),
            ("Y", "1"),
        ] {
            assert!(pair_ok(a, c), "{a}{c}");
        }
        assert!(!pair_ok("9", "9"));
        assert!(!pair_ok("Y", "2"));
    }

    impl Uscc {
        /// The code with a correct check character but no other validation (to reach the
        /// later checks in tests).
        fn with_check_unchecked(prefix: &str) -> Uscc {
            Uscc(format!(
                "{prefix}{}",
                kernel::check_character(prefix).unwrap()
            ))
        }
    }

    fn valid_prefix() -> impl Strategy<Value = String> {
        let pairs: Vec<(String, String)> = codes()
            .authorities
            .iter()
            .flat_map(|a| {
                a.categories
                    .iter()
                    .map(|c| (a.code.clone(), c.code.clone()))
            })
            .collect();
        let alphabet: Vec<char> = ALPHABET.chars().collect();
        (
            proptest::sample::select(pairs),
            "[0-9]{6}",
            proptest::collection::vec(proptest::sample::select(alphabet), 9),
        )
            .prop_map(|((a, c), region, rest)| {
                format!("{a}{c}{region}{}", rest.into_iter().collect::<String>())
            })
    }

    fn value(c: char) -> usize {
        ALPHABET.find(c).unwrap()
    }

    proptest! {
        #[test]
        fn a_generated_code_parses_in_either_case(prefix in valid_prefix()) {
            let code = Uscc::with_check(&prefix).unwrap();
            prop_assert_eq!(&code.as_str()[..17], prefix.as_str());
            prop_assert_eq!(Uscc::parse(&code.as_str().to_lowercase()).unwrap(), code.clone());
            prop_assert_eq!(Uscc::parse(&format!(" {code}\t")).unwrap(), code);
        }

        #[test]
        fn any_single_substitution_is_refused(
            prefix in valid_prefix(), position in 0usize..18, shift in 1usize..31
        ) {
            let code = Uscc::with_check(&prefix).unwrap();
            let mut chars: Vec<char> = code.as_str().chars().collect();
            let alphabet: Vec<char> = ALPHABET.chars().collect();
            chars[position] = alphabet[(value(chars[position]) + shift) % 31];
            let changed: String = chars.into_iter().collect();
            prop_assert!(Uscc::parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn any_adjacent_transposition_of_different_characters_is_refused(
            prefix in valid_prefix(), position in 0usize..17
        ) {
            let code = Uscc::with_check(&prefix).unwrap();
            let mut chars: Vec<char> = code.as_str().chars().collect();
            prop_assume!(chars[position] != chars[position + 1]);
            chars.swap(position, position + 1);
            let changed: String = chars.into_iter().collect();
            prop_assert!(Uscc::parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,24}") {
            let _ = Uscc::parse(&s);
            let _ = Uscc::with_check(&s);
        }
    }
}
