//! 居民身份证号码 per GB 11643-1999: six-digit region code, eight-digit birth date, three-digit
//! sequence code (odd for men, even for women) and an ISO 7064 MOD 11-2 check character.

use std::fmt;

use jiff::civil::Date;

use crate::{Explain, Lang, Sex};

/// ISO 7064 MOD 11-2 weights (2^(18-i) mod 11) for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of the weighted sum mod 11.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Province-level codes of GB/T 2260 (the first two digits).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];
/// The earliest birth date accepted. The standard's own example (born 1880) is valid
/// arithmetic, but no living resident was born before 1900, so an earlier date is a typing
/// error in practice and is refused rather than stored.
const EARLIEST_BIRTH: Date = Date::constant(1900, 1, 1);
/// Sequence ordinals per sex and day: the three-digit code 000-999 holds 500 of each parity.
const MAX_SEQUENCE: u16 = 499;

/// A validated resident ID number, in canonical form (upper-case `X`).
///
/// `Debug` and `Display` show it masked so it never reaches a log by accident;
/// [`ResidentIdNumber::as_str`] is the explicit way to the full number. It deliberately has no
/// serde implementation: it is stored encrypted, through the vault, never as plain text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentIdNumber {
    text: String,
    birth: Date,
}

/// Why a resident ID number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    /// Not 18 characters after trimming.
    #[error("a resident ID number has 18 characters, this has {len}")]
    WrongLength {
        /// Characters found.
        len: usize,
    },
    /// A character other than a digit, or an `X` anywhere but last (1-based position).
    #[error("character {position} must be a digit (only the last may be X)")]
    InvalidCharacter {
        /// 1-based position of the first offending character.
        position: usize,
    },
    /// The first two digits are not a province-level code.
    #[error("the first two digits {code} are not a province code")]
    UnknownProvince {
        /// The two digits found.
        code: String,
    },
    /// Digits 7-14 are not a calendar date between 1900-01-01 and today.
    #[error("digits 7 to 14 are not a possible birth date (1900-01-01 to today)")]
    InvalidBirthDate,
    /// The 18th character does not match the other 17.
    #[error("the check character should be {expected}, not {found}")]
    CheckDigitMismatch {
        /// What the first 17 digits call for.
        expected: char,
        /// What was typed.
        found: char,
    },
}

impl Explain for ResidentIdError {
    fn explain(&self, lang: Lang) -> String {
        // The expected check character is not shown to people: it would help forge numbers,
        // and a mismatch almost always means some other digit was mistyped.
        match (self, lang) {
            (Self::WrongLength { len }, Lang::Zh) => {
                format!("请输入18位居民身份证号码，最后一位可以是数字或X（当前为{len}位）")
            }
            (Self::WrongLength { len }, Lang::En) => format!(
                "Enter the 18-character resident ID number; the last character may be a digit or X (this has {len})"
            ),
            (Self::InvalidCharacter { position }, Lang::Zh) => {
                format!("第{position}位只能是数字，只有最后一位可以是X")
            }
            (Self::InvalidCharacter { position }, Lang::En) => {
                format!("Character {position} must be a digit; only the last character may be X")
            }
            (Self::UnknownProvince { code }, Lang::Zh) => {
                format!("前两位“{code}”不是有效的省级行政区划代码，请核对号码开头")
            }
            (Self::UnknownProvince { code }, Lang::En) => format!(
                "The first two digits, {code}, are not a province code; check the start of the number"
            ),
            (Self::InvalidBirthDate, Lang::Zh) => {
                "第7至14位应为出生日期（年月日），且在1900年1月1日至今天之间".to_owned()
            }
            (Self::InvalidBirthDate, Lang::En) => {
                "Characters 7 to 14 must be the date of birth (YYYYMMDD), between 1900-01-01 and today"
                    .to_owned()
            }
            (Self::CheckDigitMismatch { .. }, Lang::Zh) => {
                "最后一位校验码与前17位不符，可能有数字输错，请逐位核对".to_owned()
            }
            (Self::CheckDigitMismatch { .. }, Lang::En) => {
                "The last (check) character does not match the other 17; a digit is probably mistyped, please check each one"
                    .to_owned()
            }
        }
    }
}

/// The check character for the first 17 digits, or `None` if `first17` is not 17 ASCII
/// digits.
pub fn check_digit(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK.get((sum % 11) as usize).copied()
}

impl ResidentIdNumber {
    /// Parses a number typed by a person, with today's date in the city as the latest
    /// possible birth date. Surrounding whitespace is ignored and a lower-case `x` accepted.
    pub fn parse(s: &str) -> Result<Self, ResidentIdError> {
        Self::parse_at(s, crate::UtcMillis::now().city_date())
    }

    /// Like [`ResidentIdNumber::parse`], with `today` as the latest possible birth date.
    pub fn parse_at(s: &str, today: Date) -> Result<Self, ResidentIdError> {
        let text = s.trim().to_ascii_uppercase();
        let len = text.chars().count();
        if len != 18 {
            return Err(ResidentIdError::WrongLength { len });
        }
        for (i, c) in text.chars().enumerate() {
            if !(c.is_ascii_digit() || (i == 17 && c == 'X')) {
                return Err(ResidentIdError::InvalidCharacter { position: i + 1 });
            }
        }
        // From here on the text is 18 ASCII bytes, so byte slicing is safe.
        let province = &text[0..2];
        if !PROVINCES.contains(&province) {
            return Err(ResidentIdError::UnknownProvince {
                code: province.to_owned(),
            });
        }
        let birth = birth_date_of(&text)
            .filter(|d| (EARLIEST_BIRTH..=today).contains(d))
            .ok_or(ResidentIdError::InvalidBirthDate)?;
        let expected =
            check_digit(&text[..17]).ok_or(ResidentIdError::InvalidCharacter { position: 1 })?;
        let found = char::from(text.as_bytes()[17]);
        if expected != found {
            return Err(ResidentIdError::CheckDigitMismatch { expected, found });
        }
        Ok(ResidentIdNumber { text, birth })
    }

    /// Builds a valid number from its parts, for the synthetic demo data generator.
    ///
    /// `sequence` (0..=499) is the ordinal among people of the same sex registered in `region`
    /// on the same birth date; the three-digit sequence code is `2 × sequence + 1` for men and
    /// `2 × sequence` for women, so every code is reachable and the sex digit always agrees.
    /// `None` when the region is not six digits of a known province, the date is before
    /// 1900 or after today, or `sequence` exceeds 499.
    pub fn from_parts(region: &str, birth: Date, sequence: u16, sex: Sex) -> Option<Self> {
        if region.len() != 6 || !region.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if sequence > MAX_SEQUENCE {
            return None;
        }
        let code = 2 * sequence + u16::from(sex == Sex::Male);
        let body = format!(
            "{region}{:04}{:02}{:02}{code:03}",
            birth.year(),
            birth.month(),
            birth.day()
        );
        let check = check_digit(&body)?;
        Self::parse(&format!("{body}{check}")).ok()
    }

    /// The 18 characters. Handle with care: this is a personal identifier.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The six-digit administrative region code of the place of first registration.
    pub fn region_code(&self) -> &str {
        &self.text[0..6]
    }

    /// The date of birth (digits 7-14).
    pub fn birth_date(&self) -> Date {
        self.birth
    }

    /// Sex from the parity of the 17th digit.
    pub fn sex(&self) -> Sex {
        let digit = self.text.as_bytes()[16] - b'0';
        if digit % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Completed years of age on `date` (0 if `date` is before the birth date). Someone born
    /// on 29 February has their birthday on 1 March in common years.
    pub fn age_on(&self, date: Date) -> u32 {
        let birth = self.birth;
        let mut age = i32::from(date.year()) - i32::from(birth.year());
        if (date.month(), date.day()) < (birth.month(), birth.day()) {
            age -= 1;
        }
        u32::try_from(age).unwrap_or(0)
    }

    /// `320***********1234`: the first three and last four characters, for screens.
    pub fn masked(&self) -> String {
        format!("{}***********{}", &self.text[..3], &self.text[14..])
    }
}

fn birth_date_of(text: &str) -> Option<Date> {
    let year: i16 = text.get(6..10)?.parse().ok()?;
    let month: i8 = text.get(10..12)?.parse().ok()?;
    let day: i8 = text.get(12..14)?.parse().ok()?;
    Date::new(year, month, day).ok()
}

impl fmt::Debug for ResidentIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentIdNumber({})", self.masked())
    }
}

impl fmt::Display for ResidentIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TODAY: Date = Date::constant(2026, 11, 22);
    const DIGITS_AND_X: &[u8] = b"0123456789X";

    #[test]
    fn the_standards_female_example_is_valid() {
        // GB 11643-1999 example: 北京市朝阳区 (110105), born 1949-12-31, sequence 002 (even:
        // female). Weighted sum 167; 167 mod 11 = 2, which maps to X.
        let id = ResidentIdNumber::parse_at(" 11010519491231002x\n", TODAY).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), Date::constant(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.masked(), "110***********002X");
        assert_eq!(check_digit("11010519491231002"), Some('X'));
    }

    #[test]
    fn the_standards_1880_example_has_a_correct_check_digit_but_is_refused() {
        // 440524 18800101 001 → male, check 4. The arithmetic is right; the date is before
        // the 1900 floor, because no living resident was born earlier.
        assert_eq!(check_digit("44052418800101001"), Some('4'));
        assert_eq!(
            ResidentIdNumber::parse_at("440524188001010014", TODAY),
            Err(ResidentIdError::InvalidBirthDate)
        );
    }

    #[test]
    fn the_full_number_never_reaches_debug_or_display() {
        let id = ResidentIdNumber::parse_at("11010519491231002X", TODAY).unwrap();
        let debug = format!("{id:?}");
        let shown = id.to_string();
        assert_eq!(debug, "ResidentIdNumber(110***********002X)");
        assert_eq!(shown, "110***********002X");
        assert!(!debug.contains("19491231") && !shown.contains("19491231"));
    }

    #[test]
    fn refusals_name_the_reason() {
        let refused = |s: &str| ResidentIdNumber::parse_at(s, TODAY).unwrap_err();
        assert_eq!(
            refused("1101051949123100"),
            ResidentIdError::WrongLength { len: 16 }
        );
        assert_eq!(refused("身份证"), ResidentIdError::WrongLength { len: 3 });
        assert_eq!(
            refused("1101051949123100XX"),
            ResidentIdError::InvalidCharacter { position: 17 }
        );
        assert_eq!(
            refused("11010519491231002Ｘ"),
            ResidentIdError::InvalidCharacter { position: 18 }
        );
        assert_eq!(
            refused("99010519491231002X"),
            ResidentIdError::UnknownProvince { code: "99".into() }
        );
        assert_eq!(
            refused("110105194902300021"),
            ResidentIdError::InvalidBirthDate
        );
        assert_eq!(
            refused("110105194912310021"),
            ResidentIdError::CheckDigitMismatch {
                expected: 'X',
                found: '1'
            }
        );
    }

    #[test]
    fn birth_dates_must_lie_between_1900_and_today() {
        let with_date = |date: &str| {
            let body = format!("320106{date}001");
            let check = check_digit(&body).unwrap();
            ResidentIdNumber::parse_at(&format!("{body}{check}"), TODAY)
        };
        assert!(with_date("19000101").is_ok());
        assert_eq!(
            with_date("18991231"),
            Err(ResidentIdError::InvalidBirthDate)
        );
        assert!(with_date("20261122").is_ok());
        assert_eq!(
            with_date("20261123"),
            Err(ResidentIdError::InvalidBirthDate)
        );
        assert!(with_date("20000229").is_ok());
        assert_eq!(
            with_date("19000229"),
            Err(ResidentIdError::InvalidBirthDate)
        );
    }

    #[test]
    fn every_province_code_of_the_brief_is_known() {
        let ranges = [
            11..=15,
            21..=23,
            31..=37,
            41..=46,
            50..=54,
            61..=65,
            71..=71,
            81..=82,
        ];
        let expected: Vec<String> = ranges
            .into_iter()
            .flatten()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(PROVINCES.to_vec(), expected);
    }

    #[test]
    fn age_counts_completed_years() {
        let id = ResidentIdNumber::parse_at("11010519491231002X", TODAY).unwrap();
        assert_eq!(id.age_on(Date::constant(2026, 12, 30)), 76);
        assert_eq!(id.age_on(Date::constant(2026, 12, 31)), 77);
        assert_eq!(id.age_on(Date::constant(1949, 12, 31)), 0);
        assert_eq!(id.age_on(Date::constant(1900, 1, 1)), 0);
        let leap =
            ResidentIdNumber::from_parts("320106", Date::constant(2000, 2, 29), 0, Sex::Male)
                .unwrap();
        assert_eq!(leap.age_on(Date::constant(2001, 2, 28)), 0);
        assert_eq!(leap.age_on(Date::constant(2001, 3, 1)), 1);
    }

    #[test]
    fn from_parts_encodes_sex_in_the_sequence_code() {
        let birth = Date::constant(1990, 5, 17);
        let man = ResidentIdNumber::from_parts("320106", birth, 7, Sex::Male).unwrap();
        let woman = ResidentIdNumber::from_parts("320106", birth, 7, Sex::Female).unwrap();
        assert_eq!(&man.as_str()[14..17], "015");
        assert_eq!(&woman.as_str()[14..17], "014");
        assert_eq!(
            ResidentIdNumber::from_parts("320106", birth, 499, Sex::Male)
                .map(|i| i.as_str()[14..17].to_owned()),
            Some("999".into())
        );
        assert_eq!(
            ResidentIdNumber::from_parts("320106", birth, 500, Sex::Male),
            None
        );
        assert_eq!(
            ResidentIdNumber::from_parts("32010", birth, 1, Sex::Male),
            None
        );
        assert_eq!(
            ResidentIdNumber::from_parts("990106", birth, 1, Sex::Male),
            None
        );
        assert_eq!(
            ResidentIdNumber::from_parts("320106", Date::constant(1899, 1, 1), 1, Sex::Male),
            None
        );
    }

    #[test]
    fn explanations_say_what_is_allowed_in_both_languages() {
        let e = ResidentIdError::WrongLength { len: 3 };
        assert!(
            e.explain(Lang::Zh)
                .starts_with("请输入18位居民身份证号码，最后一位可以是数字或X")
        );
        assert!(e.explain(Lang::En).starts_with(
            "Enter the 18-character resident ID number; the last character may be a digit or X"
        ));
        let mismatch = ResidentIdError::CheckDigitMismatch {
            expected: 'X',
            found: '1',
        };
        assert!(
            !mismatch.explain(Lang::En).contains('X'),
            "expected check character is not revealed"
        );
        assert!(
            ResidentIdError::InvalidBirthDate
                .explain(Lang::Zh)
                .contains("1900年1月1日")
        );
    }

    fn dates() -> impl Strategy<Value = Date> {
        (1900i16..=2025, 1i8..=12, 1i8..=31)
            .prop_filter_map("calendar date", |(y, m, d)| Date::new(y, m, d).ok())
    }

    fn sexes() -> impl Strategy<Value = Sex> {
        prop_oneof![Just(Sex::Male), Just(Sex::Female)]
    }

    fn regions() -> impl Strategy<Value = String> {
        (proptest::sample::select(PROVINCES.to_vec()), "[0-9]{4}")
            .prop_map(|(p, rest)| format!("{p}{rest}"))
    }

    proptest! {
        #[test]
        fn built_numbers_parse_back_to_their_parts(region in regions(), birth in dates(), seq in 0u16..=499, sex in sexes()) {
            let built = ResidentIdNumber::from_parts(&region, birth, seq, sex).unwrap();
            let parsed = ResidentIdNumber::parse_at(&built.as_str().to_lowercase(), TODAY).unwrap();
            prop_assert_eq!(&parsed, &built);
            prop_assert_eq!(parsed.region_code(), region.as_str());
            prop_assert_eq!(parsed.birth_date(), birth);
            prop_assert_eq!(parsed.sex(), sex);
            let code: u16 = parsed.as_str()[14..17].parse().unwrap();
            prop_assert_eq!(code / 2, seq);
        }

        #[test]
        fn any_single_substitution_is_refused(region in regions(), birth in dates(), seq in 0u16..=499, sex in sexes(), pos in 0usize..18, shift in 1usize..11) {
            let built = ResidentIdNumber::from_parts(&region, birth, seq, sex).unwrap();
            let mut bytes = built.as_str().as_bytes().to_vec();
            let old = DIGITS_AND_X.iter().position(|b| *b == bytes[pos]).unwrap();
            bytes[pos] = DIGITS_AND_X[(old + shift) % 11];
            if bytes[pos] == b'X' && pos < 17 {
                bytes[pos] = DIGITS_AND_X[(old + shift + 1) % 11];
            }
            prop_assume!(bytes[pos] != built.as_str().as_bytes()[pos]);
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(ResidentIdNumber::parse_at(&changed, TODAY).is_err());
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,24}") {
            let _ = ResidentIdNumber::parse_at(&s, TODAY);
        }

        #[test]
        fn arbitrary_digit_strings_never_panic_and_valid_ones_keep_their_text(s in "[0-9]{17}[0-9Xx]") {
            if let Ok(id) = ResidentIdNumber::parse_at(&s, TODAY) {
                prop_assert_eq!(id.as_str(), s.to_ascii_uppercase());
            }
        }
    }
}
