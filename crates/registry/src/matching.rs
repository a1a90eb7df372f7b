//! Deciding whether an incoming person is a resident the index already knows.
//!
//! Rules, in order (deterministic record linkage, explainable to the reviewer):
//!
//! 1. Both have a resident ID number: the same number is the same person; different numbers are
//!    different people, whatever else agrees.
//! 2. Otherwise each agreeing fact adds weight and each contradicting fact subtracts:
//!    name ±[`NAME`], birth date +[`BIRTH`] / −[`BIRTH_CONFLICT`], sex +[`SEX`] /
//!    −[`SEX_CONFLICT`], mobile number +[`MOBILE`] (a different mobile subtracts nothing:
//!    people change numbers). Birth date and sex come from the ID number when it is known.
//! 3. One candidate at or above [`SAME_AT`] is the same person; candidates at or above
//!    [`REVIEW_AT`] (or several above `SAME_AT`) go to a person for review; below that, a new
//!    resident.
//!
//! So name, birth date and mobile together link automatically (4 + 4 + 6 = 14); name, birth
//! date and sex alone (9) need review, as namesakes born the same day are common in a city of
//! nine million.

use jiff::civil::Date;
use kernel::{MobileNumber, ResidentIdNumber, Sex};

pub const NAME: i32 = 4;
pub const BIRTH: i32 = 4;
pub const BIRTH_CONFLICT: i32 = 8;
pub const SEX: i32 = 1;
pub const SEX_CONFLICT: i32 = 8;
pub const MOBILE: i32 = 6;
pub const SAME_AT: i32 = 14;
pub const REVIEW_AT: i32 = 8;

/// What is known about a person, from one source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFacts {
    pub id_number: Option<ResidentIdNumber>,
    pub name: Option<String>,
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    pub mobile: Option<MobileNumber>,
}

impl PersonFacts {
    /// Birth date, from the ID number when it is known (the number is authoritative).
    pub fn birth(&self) -> Option<Date> {
        self.id_number
            .as_ref()
            .map(ResidentIdNumber::birth_date)
            .or(self.birth_date)
    }

    /// Sex, from the ID number when it is known.
    pub fn sex(&self) -> Option<Sex> {
        self.id_number
            .as_ref()
            .map(ResidentIdNumber::sex)
            .or(self.sex)
    }

    /// The name with surrounding and repeated inner whitespace removed, for comparison.
    pub fn normalised_name(&self) -> Option<String> {
        self.name
            .as_deref()
            .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|n| !n.is_empty())
    }
}

/// One fact compared, for the reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    IdNumberEqual,
    NameEqual,
    NameDiffers,
    BirthDateEqual,
    BirthDateDiffers,
    SexEqual,
    SexDiffers,
    MobileEqual,
}

impl Evidence {
    pub fn code(self) -> &'static str {
        match self {
            Evidence::IdNumberEqual => "id-number-equal",
            Evidence::NameEqual => "name-equal",
            Evidence::NameDiffers => "name-differs",
            Evidence::BirthDateEqual => "birth-date-equal",
            Evidence::BirthDateDiffers => "birth-date-differs",
            Evidence::SexEqual => "sex-equal",
            Evidence::SexDiffers => "sex-differs",
            Evidence::MobileEqual => "mobile-equal",
        }
    }

    pub fn from_code(code: &str) -> Option<Evidence> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    pub const ALL: [Evidence; 8] = [
        Evidence::IdNumberEqual,
        Evidence::NameEqual,
        Evidence::NameDiffers,
        Evidence::BirthDateEqual,
        Evidence::BirthDateDiffers,
        Evidence::SexEqual,
        Evidence::SexDiffers,
        Evidence::MobileEqual,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            Evidence::IdNumberEqual => "身份证号一致",
            Evidence::NameEqual => "姓名一致",
            Evidence::NameDiffers => "姓名不同",
            Evidence::BirthDateEqual => "出生日期一致",
            Evidence::BirthDateDiffers => "出生日期不同",
            Evidence::SexEqual => "性别一致",
            Evidence::SexDiffers => "性别不同",
            Evidence::MobileEqual => "手机号一致",
        }
    }
}

/// A known resident and what the index holds about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub resident_id: String,
    pub facts: PersonFacts,
}

/// How well a candidate agrees with the incoming person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub resident_id: String,
    pub weight: i32,
    pub evidence: Vec<Evidence>,
}

/// The outcome of matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The incoming person is this resident.
    Same(Score),
    /// A person must decide between these (best first).
    Review(Vec<Score>),
    /// Nobody the index knows.
    New,
}

/// Compares `incoming` with one candidate; `None` when they are certainly different people.
pub fn score(incoming: &PersonFacts, candidate: &Candidate) -> Option<Score> {
    let known = &candidate.facts;
    let mut weight = 0;
    let mut evidence = Vec::new();
    if let (Some(a), Some(b)) = (&incoming.id_number, &known.id_number) {
        if a != b {
            return None;
        }
        return Some(Score {
            resident_id: candidate.resident_id.clone(),
            weight: i32::MAX,
            evidence: vec![Evidence::IdNumberEqual],
        });
    }
    if let (Some(a), Some(b)) = (incoming.normalised_name(), known.normalised_name()) {
        if a == b {
            weight += NAME;
            evidence.push(Evidence::NameEqual);
        } else {
            weight -= NAME;
            evidence.push(Evidence::NameDiffers);
        }
    }
    if let (Some(a), Some(b)) = (incoming.birth(), known.birth()) {
        if a == b {
            weight += BIRTH;
            evidence.push(Evidence::BirthDateEqual);
        } else {
            weight -= BIRTH_CONFLICT;
            evidence.push(Evidence::BirthDateDiffers);
        }
    }
    if let (Some(a), Some(b)) = (incoming.sex(), known.sex()) {
        if a == b {
            weight += SEX;
            evidence.push(Evidence::SexEqual);
        } else {
            weight -= SEX_CONFLICT;
            evidence.push(Evidence::SexDiffers);
        }
    }
    if let (Some(a), Some(b)) = (&incoming.mobile, &known.mobile)
        && a == b
    {
        weight += MOBILE;
        evidence.push(Evidence::MobileEqual);
    }
    Some(Score {
        resident_id: candidate.resident_id.clone(),
        weight,
        evidence,
    })
}

/// Decides who `incoming` is among `candidates`.
pub fn decide(incoming: &PersonFacts, candidates: &[Candidate]) -> Decision {
    let mut scores: Vec<Score> = candidates
        .iter()
        .filter_map(|c| score(incoming, c))
        .filter(|s| s.weight >= REVIEW_AT)
        .collect();
    scores.sort_by(|a, b| {
        b.weight
            .cmp(&a.weight)
            .then_with(|| a.resident_id.cmp(&b.resident_id))
    });
    let certain = scores.iter().filter(|s| s.weight >= SAME_AT).count();
    match (certain, scores.first()) {
        (_, None) => Decision::New,
        (1, Some(best)) => Decision::Same(best.clone()),
        _ => Decision::Review(scores),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(text: &str) -> ResidentIdNumber {
        ResidentIdNumber::parse(text).unwrap()
    }

    fn facts(name: &str, birth: &str, sex: Sex, mobile: Option<&str>) -> PersonFacts {
        PersonFacts {
            id_number: None,
            name: Some(name.into()),
            birth_date: Some(birth.parse().unwrap()),
            sex: Some(sex),
            mobile: mobile.map(|m| MobileNumber::parse(m).unwrap()),
        }
    }

    fn candidate(resident_id: &str, facts: PersonFacts) -> Candidate {
        Candidate {
            resident_id: resident_id.into(),
            facts,
        }
    }

    // GB 11643-1999's own example number: born 1949-12-31, female.
    const EXAMPLE_ID: &str = "11010519491231002X";

    #[test]
    fn the_id_number_decides_when_both_have_one() {
        let mut known = facts("王芳", "1949-12-31", Sex::Female, None);
        known.id_number = Some(id(EXAMPLE_ID));
        let mut incoming = facts("王 芳", "1950-01-01", Sex::Female, None);
        incoming.id_number = Some(id(EXAMPLE_ID));
        let Decision::Same(score) = decide(&incoming, &[candidate("r1", known.clone())]) else {
            panic!("same number, same person")
        };
        assert_eq!(score.evidence, vec![Evidence::IdNumberEqual]);

        // Same everything else but another number: different people.
        let mut other = known.clone();
        other.id_number = Some(id("110105194912310046"));
        assert_eq!(decide(&other, &[candidate("r1", known)]), Decision::New);
    }

    #[test]
    fn name_birth_and_mobile_link_but_name_birth_and_sex_need_review() {
        let known = facts("李明", "1960-03-02", Sex::Male, Some("13912345678"));
        let with_mobile = facts("李明", "1960-03-02", Sex::Male, Some("13912345678"));
        assert!(matches!(
            decide(&with_mobile, &[candidate("r1", known.clone())]),
            Decision::Same(_)
        ));
        let without_mobile = facts("李明", "1960-03-02", Sex::Male, None);
        let Decision::Review(scores) = decide(&without_mobile, &[candidate("r1", known.clone())])
        else {
            panic!("namesakes born the same day need a person to decide")
        };
        assert_eq!(scores[0].weight, NAME + BIRTH + SEX);
        let other_birth = facts("李明", "1961-03-02", Sex::Male, Some("13912345678"));
        assert_eq!(
            decide(&other_birth, &[candidate("r1", known)]),
            Decision::New,
            "a conflicting birth date outweighs an equal name and mobile (4 + 6 + 1 - 8)"
        );
    }

    #[test]
    fn birth_date_and_sex_come_from_the_id_number() {
        let known = facts("王芳", "1949-12-31", Sex::Female, Some("13912345678"));
        let incoming = PersonFacts {
            id_number: Some(id(EXAMPLE_ID)),
            name: Some("王芳".into()),
            birth_date: None,
            sex: None,
            mobile: Some(MobileNumber::parse("13912345678").unwrap()),
        };
        let Decision::Same(score) = decide(&incoming, &[candidate("r1", known)]) else {
            panic!("should link")
        };
        assert!(score.evidence.contains(&Evidence::BirthDateEqual));
        assert!(score.evidence.contains(&Evidence::SexEqual));
    }

    #[test]
    fn two_certain_candidates_go_to_review() {
        let a = facts("张伟", "1970-01-01", Sex::Male, Some("13800000000"));
        let incoming = a.clone();
        let Decision::Review(scores) =
            decide(&incoming, &[candidate("r2", a.clone()), candidate("r1", a)])
        else {
            panic!("duplicates in the index must not be resolved silently")
        };
        assert_eq!(scores.len(), 2);
        assert_eq!(scores[0].resident_id, "r1", "ties in a stable order");
    }

    proptest! {
        /// Matching is symmetric in weight and never links on a conflicting sex or birth date.
        #[test]
        fn conflicts_never_link(
            name in "[王李张刘陈]{1}[伟芳娜敏静]{1,2}",
            day in 1i8..28, month in 1i8..12, year in 1930i16..2020,
            other_day in 1i8..28,
            mobile in proptest::option::of("1[3-9][0-9]{9}"),
        ) {
            let birth = Date::new(year, month, day).unwrap();
            let other = Date::new(year, month, other_day).unwrap();
            let make = |b: Date, sex: Sex| PersonFacts {
                id_number: None,
                name: Some(name.clone()),
                birth_date: Some(b),
                sex: Some(sex),
                mobile: mobile.as_deref().map(|m| MobileNumber::parse(m).unwrap()),
            };
            let a = make(birth, Sex::Male);
            let b = make(other, Sex::Male);
            let ca = candidate("a", a.clone());
            let cb = candidate("b", b.clone());
            prop_assert_eq!(score(&a, &cb).map(|s| s.weight), score(&b, &ca).map(|s| s.weight));
            if birth != other {
                prop_assert!(!matches!(decide(&a, &[cb]), Decision::Same(_)));
            }
            let female = make(birth, Sex::Female);
            prop_assert!(!matches!(decide(&female, &[ca]), Decision::Same(_)));
        }
    }
}
