//! 居民身份证号码 per GB 11643-1999: six-digit region, eight-digit birth date, three-digit
//! sequence (odd for men, even for women) and an ISO 7064 MOD 11-2 check character.

use std::fmt;

use jiff::civil::Date;

use crate::{Explain, Lang};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Province-level codes of GB/T 2260 (first two digits).
const PROVINCES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51,
    52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// A validated resident ID number. `Debug` and `Display` show it masked so that it never
/// reaches a log by accident; [`ResidentIdNumber::as_str`] is the explicit way to the digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentIdNumber(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// The FHIR `AdministrativeGender` code.
    pub fn fhir_code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// Why a resident ID number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("a resident ID number has 18 characters, this has {len}")]
    WrongLength { len: usize },
    #[error("character {position} must be a digit (only the last may be X)")]
    InvalidCharacter { position: usize },
    #[error("the first two digits {code} are not a province code")]
    UnknownProvince { code: String },
    #[error("digits 7 to 14 are not a possible birth date (1900-01-01 to today)")]
    InvalidBirthDate,
    #[error("the check character should be {expected}, not {found}")]
    CheckDigitMismatch { expected: char, found: char },
}

impl Explain for ResidentIdError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WrongLength { len }, Lang::Zh) => {
                format!("请输入18位居民身份证号码，最后一位可以是数字或X（当前为{len}位）")
            }
            (Self::InvalidCharacter { position }, Lang::Zh) => {
                format!("第{position}位应为数字，只有最后一位可以是X")
            }
            (Self::UnknownProvince { code }, Lang::Zh) => {
                format!("前两位“{code}”不是有效的省级行政区划代码")
            }
            (Self::InvalidBirthDate, Lang::Zh) => {
                "第7至14位不是有效的出生日期（应在1900年1月1日至今天之间）".to_owned()
            }
            (Self::CheckDigitMismatch { .. }, Lang::Zh) => {
                "校验位不正确，请核对号码是否输错".to_owned()
            }
            (Self::CheckDigitMismatch { .. }, Lang::En) => {
                "The check character is wrong; please check the number for typing errors".to_owned()
            }
            (other, Lang::En) => capitalise(&other.to_string()),
        }
    }
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The check character for the first 17 digits, or `None` if they are not 17 digits.
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
    /// Parses against today's date in the city.
    pub fn parse(s: &str) -> Result<Self, ResidentIdError> {
        Self::parse_at(s, crate::UtcMillis::now().city_date())
    }

    /// Parses with `today` as the latest possible birth date.
    pub fn parse_at(s: &str, today: Date) -> Result<Self, ResidentIdError> {
        let s = s.trim().to_ascii_uppercase();
        let len = s.chars().count();
        if len != 18 {
            return Err(ResidentIdError::WrongLength { len });
        }
        for (i, c) in s.chars().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && c == 'X');
            if !ok {
                return Err(ResidentIdError::InvalidCharacter { position: i + 1 });
            }
        }
        let province: u32 = s[0..2].parse().unwrap_or(0);
        if !PROVINCES.contains(&province) {
            return Err(ResidentIdError::UnknownProvince { code: s[0..2].to_owned() });
        }
        let birth = birth_date_of(&s).ok_or(ResidentIdError::InvalidBirthDate)?;
        let floor = Date::constant(1900, 1, 1);
        if birth < floor || birth > today {
            return Err(ResidentIdError::InvalidBirthDate);
        }
        let expected = check_digit(&s[..17]).ok_or(ResidentIdError::InvalidCharacter { position: 1 })?;
        let found = s.chars().last().unwrap_or(' ');
        if expected != found {
            return Err(ResidentIdError::CheckDigitMismatch { expected, found });
        }
        Ok(ResidentIdNumber(s))
    }

    /// Builds a valid number (used by the synthetic demo data generator).
    /// `sequence` is 0..=99; the third sequence digit encodes `sex`.
    pub fn from_parts(region: &str, birth: Date, sequence: u16, sex: Sex) -> Option<Self> {
        if region.len() != 6 || !region.bytes().all(|b| b.is_ascii_digit()) || sequence > 99 {
            return None;
        }
        let sex_digit = match sex {
            Sex::Male => 1,
            Sex::Female => 0,
        } + 2 * (sequence % 5);
        let body = format!(
            "{region}{:04}{:02}{:02}{:02}{sex_digit}",
            birth.year(),
            birth.month(),
            birth.day(),
            sequence / 5 % 100
        );
        let check = check_digit(&body)?;
        Some(ResidentIdNumber(format!("{body}{check}")))
    }

    /// The 18 characters. Handle with care: this is a personal identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn region_code(&self) -> &str {
        &self.0[0..6]
    }

    pub fn birth_date(&self) -> Date {
        birth_date_of(&self.0).unwrap_or(Date::constant(1900, 1, 1))
    }

    pub fn sex(&self) -> Sex {
        let digit = self.0.as_bytes()[16] - b'0';
        if digit % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    /// Whole years of age on `date`.
    pub fn age_on(&self, date: Date) -> u32 {
        let birth = self.birth_date();
        let mut age = date.year() - birth.year();
        if (date.month(), date.day()) < (birth.month(), birth.day()) {
            age -= 1;
        }
        u32::try_from(age).unwrap_or(0)
    }

    /// `320***********1234`: first three and last four characters.
    pub fn masked(&self) -> String {
        format!("{}***********{}", &self.0[..3], &self.0[14..])
    }
}

fn birth_date_of(s: &str) -> Option<Date> {
    let year: i16 = s.get(6..10)?.parse().ok()?;
    let month: i8 = s.get(10..12)?.parse().ok()?;
    let day: i8 = s.get(12..14)?.parse().ok()?;
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TODAY: Date = Date::constant(2026, 11, 22);

    #[test]
    fn the_standards_own_examples() {
        // GB 11643-1999 example: 北京市朝阳区, born 1949-12-31, female, check X.
        let id = ResidentIdNumber::parse_at("11010519491231002x", TODAY).expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), Date::constant(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.masked(), "110***********002X");
        assert!(!format!("{id:?}").contains("19491231"));
        // The standard's other example (born 1880) has a correct check character, but no
        // living resident was born before 1900, so the platform refuses it as a birth date.
        assert_eq!(check_digit("44052418800101001"), Some('4'));
        assert_eq!(
            ResidentIdNumber::parse_at("440524188001010014", TODAY),
            Err(ResidentIdError::InvalidBirthDate)
        );
    }

    #[test]
    fn refusals_name_the_reason() {
        assert_eq!(
            ResidentIdNumber::parse_at("1101051949123100", TODAY),
            Err(ResidentIdError::WrongLength { len: 16 })
        );
        assert_eq!(
            ResidentIdNumber::parse_at("1101051949123100XX", TODAY),
            Err(ResidentIdError::InvalidCharacter { position: 17 })
        );
        assert_eq!(
            ResidentIdNumber::parse_at("99010519491231002X", TODAY),
            Err(ResidentIdError::UnknownProvince { code: "99".into() })
        );
        assert_eq!(
            ResidentIdNumber::parse_at("110105194902300021", TODAY),
            Err(ResidentIdError::InvalidBirthDate)
        );
        assert_eq!(
            ResidentIdNumber::parse_at("110105194912310021", TODAY),
            Err(ResidentIdError::CheckDigitMismatch { expected: 'X', found: '1' })
        );
        let future = ResidentIdNumber::from_parts("320106", Date::constant(2027, 1, 1), 1, Sex::Male)
            .expect("built");
        assert_eq!(
            ResidentIdNumber::parse_at(future.as_str(), TODAY),
            Err(ResidentIdError::InvalidBirthDate)
        );
        assert!(ResidentIdError::WrongLength { len: 3 }.explain(Lang::Zh).contains("18位"));
    }

    fn dates() -> impl Strategy<Value = Date> {
        (1900i16..=2026, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date::constant(y, m, d))
    }

    proptest! {
        #[test]
        fn built_numbers_parse_back_to_their_parts(birth in dates(), seq in 0u16..100, male in any::<bool>()) {
            let sex = if male { Sex::Male } else { Sex::Female };
            let built = ResidentIdNumber::from_parts("320106", birth, seq, sex).expect("built");
            let parsed = ResidentIdNumber::parse_at(built.as_str(), Date::constant(2026, 12, 31)).expect("valid");
            prop_assert_eq!(parsed.birth_date(), birth);
            prop_assert_eq!(parsed.sex(), sex);
            prop_assert_eq!(parsed.region_code(), "320106");
        }

        #[test]
        fn any_single_substitution_is_refused(birth in dates(), seq in 0u16..100, pos in 0usize..18, delta in 1u8..10) {
            let built = ResidentIdNumber::from_parts("320106", birth, seq, Sex::Female).expect("built");
            let mut chars: Vec<char> = built.as_str().chars().collect();
            let old = chars[pos];
            let new = if old == 'X' { char::from(b'0' + delta) } else {
                char::from(b'0' + ((old as u8 - b'0' + delta) % 10))
            };
            chars[pos] = new;
            let changed: String = chars.into_iter().collect();
            prop_assert!(ResidentIdNumber::parse_at(&changed, Date::constant(2026, 12, 31)).is_err());
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,24}") {
            let _ = ResidentIdNumber::parse_at(&s, TODAY);
        }
    }
}
