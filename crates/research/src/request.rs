//! A research request as a researcher fills it in ([`RequestForm`]) and as the platform
//! keeps it once every field is valid ([`RequestDraft`]): the cohort, the variables, the
//! purpose and the ethics approval reference.

use std::collections::BTreeSet;

use jiff::civil::Date;

use crate::catalogue::{Catalogue, Field, Kind};
use crate::error::{FieldError, Invalid, Problem};
use crate::policy::Policy;

/// The disease template codes and district keys a cohort may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabulary {
    /// Disease template codes (`hypertension`).
    pub diseases: BTreeSet<String>,
    /// District keys (`gulou`).
    pub districts: BTreeSet<String>,
}

impl Vocabulary {
    /// The built-in disease templates and the city's districts.
    pub fn builtin() -> Result<Vocabulary, crate::DataFileError> {
        let templates = diseases::Catalogue::builtin()
            .map_err(|e| crate::DataFileError::new("(disease templates)", &e.to_string()))?;
        Ok(Vocabulary {
            diseases: templates
                .templates()
                .iter()
                .map(|t| t.code.clone())
                .collect(),
            districts: city::districts()
                .all()
                .iter()
                .map(|d| d.key.clone())
                .collect(),
        })
    }
}

/// An inclusive range of completed years.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeRange {
    /// Youngest, in completed years.
    pub min: u32,
    /// Oldest, in completed years.
    pub max: u32,
}

impl AgeRange {
    /// Whether `age` is within.
    pub fn contains(&self, age: u32) -> bool {
        (self.min..=self.max).contains(&age)
    }
}

/// Who a request (or an aggregate query) is about: residents on at least one of `diseases`'
/// registers, enrolled within the period, in one of the districts, of an age in the range on
/// the reference day. Empty districts, no period and no age range mean no restriction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    /// Disease template codes, sorted, at least one.
    pub diseases: Vec<String>,
    /// Ages on the reference day.
    pub ages: Option<AgeRange>,
    /// District keys, sorted; empty for the whole city.
    pub districts: Vec<String>,
    /// First day of the enrolment period (inclusive).
    pub enrolled_from: Option<Date>,
    /// Last day of the enrolment period (inclusive).
    pub enrolled_to: Option<Date>,
}

/// An ethics approval reference in an accepted form (see [`EthicsReference::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthicsReference(String);

impl EthicsReference {
    /// Accepts a reference with the committee's abbreviation (at least one letter, in any
    /// script), a year 2000–2099 as a group of four digits of its own, and a sequence number
    /// (another group of digits), in the characters committees use (letters, digits, spaces,
    /// `-/_.()[]` and the Chinese brackets `〔〕【】（）`), e.g. `伦审〔2024〕第017号` or
    /// `KY2024-017`. Its length is bounded by the policy.
    pub fn parse(text: &str, policy: &Policy) -> Result<EthicsReference, Problem> {
        let text = text.trim();
        let [min, max] = policy.request.ethics_reference_chars.value;
        let chars = text.chars().count();
        if chars == 0 {
            return Err(Problem::Required);
        }
        if chars < min {
            return Err(Problem::TooShort { min });
        }
        if chars > max {
            return Err(Problem::TooLong { max });
        }
        const MARKS: &str = "-/_.()[]〔〕【】（） ";
        if !text
            .chars()
            .all(|c| c.is_alphanumeric() || MARKS.contains(c))
        {
            return Err(Problem::EthicsFormat);
        }
        let has_letter = text.chars().any(|c| c.is_alphabetic());
        let groups: Vec<&str> = text
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .collect();
        let has_year = groups.iter().any(|g| g.len() == 4 && g.starts_with("20"));
        // The year and at least one more group: the sequence number.
        if !has_letter || !has_year || groups.len() < 2 {
            return Err(Problem::EthicsFormat);
        }
        Ok(EthicsReference(text.to_owned()))
    }

    /// The reference as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A request as submitted through a form or the API: text fields, checked by
/// [`RequestForm::validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestForm {
    /// Disease template codes.
    pub diseases: Vec<String>,
    /// Youngest age, completed years; empty for none.
    pub age_min: String,
    /// Oldest age; empty for none.
    pub age_max: String,
    /// District keys; none for the whole city.
    pub districts: Vec<String>,
    /// First day of the enrolment period, `YYYY-MM-DD`; empty for none.
    pub enrolled_from: String,
    /// Last day; empty for none.
    pub enrolled_to: String,
    /// Catalogue keys of the variables wanted.
    pub variables: Vec<String>,
    /// What the study is for.
    pub purpose: String,
    /// The ethics committee's approval reference.
    pub ethics_reference: String,
}

/// A request whose every field is valid.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDraft {
    /// Who.
    pub cohort: Cohort,
    /// What, in catalogue order.
    pub variables: Vec<Field>,
    /// Why.
    pub purpose: String,
    /// The ethics approval.
    pub ethics_reference: EthicsReference,
}

impl RequestForm {
    /// Checks every field and returns all the wrong ones at once.
    pub fn validate(
        &self,
        vocabulary: &Vocabulary,
        catalogue: &Catalogue,
        policy: &Policy,
    ) -> Result<RequestDraft, Invalid> {
        let mut errors = Vec::new();
        let cohort = cohort_from(
            CohortFields {
                diseases: &self.diseases,
                age_min: &self.age_min,
                age_max: &self.age_max,
                districts: &self.districts,
                enrolled_from: &self.enrolled_from,
                enrolled_to: &self.enrolled_to,
            },
            vocabulary,
            policy,
            &mut errors,
        );
        let variables = variables_from(&self.variables, catalogue, &mut errors);
        let purpose = self.purpose.trim();
        let [min, max] = policy.request.purpose_chars.value;
        let purpose_chars = purpose.chars().count();
        if purpose_chars == 0 {
            errors.push(FieldError::new("purpose", Problem::Required));
        } else if purpose_chars < min {
            errors.push(FieldError::new("purpose", Problem::TooShort { min }));
        } else if purpose_chars > max {
            errors.push(FieldError::new("purpose", Problem::TooLong { max }));
        }
        let ethics = EthicsReference::parse(&self.ethics_reference, policy)
            .map_err(|p| errors.push(FieldError::new("ethics_reference", p)))
            .ok();
        match (cohort, ethics) {
            (Some(cohort), Some(ethics_reference)) if errors.is_empty() => Ok(RequestDraft {
                cohort,
                variables,
                purpose: purpose.to_owned(),
                ethics_reference,
            }),
            _ => Err(Invalid(errors)),
        }
    }
}

/// The cohort fields of a form, shared by requests and aggregate queries.
#[derive(Debug, Clone, Copy)]
pub struct CohortFields<'a> {
    /// Disease template codes.
    pub diseases: &'a [String],
    /// Youngest age; empty for none.
    pub age_min: &'a str,
    /// Oldest age; empty for none.
    pub age_max: &'a str,
    /// District keys.
    pub districts: &'a [String],
    /// First day of the enrolment period; empty for none.
    pub enrolled_from: &'a str,
    /// Last day; empty for none.
    pub enrolled_to: &'a str,
}

/// Checks the cohort fields, adding what is wrong to `errors`; the cohort when all are valid.
pub fn cohort_from(
    fields: CohortFields<'_>,
    vocabulary: &Vocabulary,
    policy: &Policy,
    errors: &mut Vec<FieldError>,
) -> Option<Cohort> {
    let before = errors.len();
    let diseases = codes_from(
        "diseases",
        fields.diseases,
        &vocabulary.diseases,
        true,
        errors,
    );
    let max_age = policy.request.max_age_years.value;
    let age = |field: &'static str, text: &str, errors: &mut Vec<FieldError>| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match text.parse::<u32>() {
            Ok(a) if a <= max_age => Some(a),
            _ => {
                errors.push(FieldError::new(field, Problem::NotAnAge { max: max_age }));
                None
            }
        }
    };
    let age_min = age("age_min", fields.age_min, errors);
    let age_max = age("age_max", fields.age_max, errors);
    let ages = match (age_min, age_max) {
        (Some(min), Some(max)) if min > max => {
            errors.push(FieldError::new("age_max", Problem::Reversed));
            None
        }
        (None, None) => None,
        (min, max) => Some(AgeRange {
            min: min.unwrap_or(0),
            max: max.unwrap_or(max_age),
        }),
    };
    let districts = codes_from(
        "districts",
        fields.districts,
        &vocabulary.districts,
        false,
        errors,
    );
    let day = |field: &'static str, text: &str, errors: &mut Vec<FieldError>| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match text.parse::<Date>() {
            Ok(d) if text.len() == 10 => Some(d),
            _ => {
                errors.push(FieldError::new(field, Problem::NotADate));
                None
            }
        }
    };
    let enrolled_from = day("enrolled_from", fields.enrolled_from, errors);
    let enrolled_to = day("enrolled_to", fields.enrolled_to, errors);
    if let (Some(from), Some(to)) = (enrolled_from, enrolled_to)
        && from > to
    {
        errors.push(FieldError::new("enrolled_to", Problem::Reversed));
    }
    (errors.len() == before).then_some(Cohort {
        diseases,
        ages,
        districts,
        enrolled_from,
        enrolled_to,
    })
}

fn codes_from(
    field: &'static str,
    given: &[String],
    known: &BTreeSet<String>,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    let mut out = BTreeSet::new();
    for code in given.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if !known.contains(code) {
            errors.push(FieldError::new(
                field,
                Problem::Unknown {
                    value: code.to_owned(),
                    allowed: known.iter().cloned().collect(),
                },
            ));
        } else if !out.insert(code.to_owned()) {
            errors.push(FieldError::new(
                field,
                Problem::Duplicate {
                    value: code.to_owned(),
                },
            ));
        }
    }
    if required && out.is_empty() && !errors.iter().any(|e| e.field == field) {
        errors.push(FieldError::new(field, Problem::Required));
    }
    out.into_iter().collect()
}

fn variables_from(
    given: &[String],
    catalogue: &Catalogue,
    errors: &mut Vec<FieldError>,
) -> Vec<Field> {
    let mut fields = BTreeSet::new();
    for key in given.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        let problem = match catalogue.get(key) {
            None => Some(Problem::Unknown {
                value: key.to_owned(),
                allowed: catalogue.releasable_keys(),
            }),
            Some(v) => match v.field() {
                Some(field) if fields.insert(field) => None,
                Some(_) => Some(Problem::Duplicate {
                    value: key.to_owned(),
                }),
                None => {
                    debug_assert!(
                        !v.releasable || matches!(v.kind, Kind::QuasiIdentifier | Kind::Attribute)
                    );
                    Some(Problem::NotReleasable {
                        value: key.to_owned(),
                    })
                }
            },
        };
        if let Some(problem) = problem {
            errors.push(FieldError::new("variables", problem));
        }
    }
    if fields.is_empty() && !errors.iter().any(|e| e.field == "variables") {
        errors.push(FieldError::new("variables", Problem::Required));
    }
    // Catalogue order, so the extract's columns do not depend on the order of the form.
    catalogue
        .variables()
        .iter()
        .filter_map(|v| v.field())
        .filter(|f| fields.contains(f))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy() -> &'static Policy {
        Policy::builtin().unwrap()
    }

    fn vocabulary() -> Vocabulary {
        Vocabulary {
            diseases: ["hypertension", "t2dm"].map(String::from).into(),
            districts: ["gulou", "jiangning"].map(String::from).into(),
        }
    }

    fn form() -> RequestForm {
        RequestForm {
            diseases: vec!["t2dm".into(), "hypertension".into()],
            age_min: "40".into(),
            age_max: "".into(),
            districts: vec!["gulou".into()],
            enrolled_from: "2023-01-01".into(),
            enrolled_to: "2024-12-31".into(),
            variables: vec!["age".into(), "sex".into(), "followups".into()],
            purpose: "Blood pressure control among diabetic residents, 2023-2024".into(),
            ethics_reference: "伦审〔2024〕第017号".into(),
        }
    }

    fn fields_of(e: Invalid) -> Vec<(&'static str, Problem)> {
        e.0.into_iter().map(|f| (f.field, f.problem)).collect()
    }

    #[test]
    fn a_complete_form_becomes_a_draft() {
        let d = form()
            .validate(&vocabulary(), Catalogue::builtin().unwrap(), policy())
            .unwrap();
        assert_eq!(d.cohort.diseases, ["hypertension", "t2dm"]);
        assert_eq!(d.cohort.ages, Some(AgeRange { min: 40, max: 120 }));
        assert_eq!(d.cohort.enrolled_to, Some(jiff::civil::date(2024, 12, 31)));
        assert_eq!(d.variables, [Field::Sex, Field::Age, Field::Followups]);
        assert_eq!(d.ethics_reference.as_str(), "伦审〔2024〕第017号");
    }

    #[test]
    fn every_wrong_field_is_named_with_what_is_allowed() {
        let bad = RequestForm {
            diseases: vec!["flu".into()],
            age_min: "70".into(),
            age_max: "60".into(),
            districts: vec!["gulou".into(), "gulou".into()],
            enrolled_from: "2024-13-01".into(),
            enrolled_to: "".into(),
            variables: vec!["name".into(), "income".into()],
            purpose: "study".into(),
            ethics_reference: "pending".into(),
        };
        let errors = fields_of(
            bad.validate(&vocabulary(), Catalogue::builtin().unwrap(), policy())
                .unwrap_err(),
        );
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "diseases",
                "age_max",
                "districts",
                "enrolled_from",
                "variables",
                "variables",
                "purpose",
                "ethics_reference"
            ]
        );
        assert!(matches!(&errors[0].1, Problem::Unknown { value, allowed }
            if value == "flu" && allowed.contains(&"t2dm".to_owned())));
        assert_eq!(errors[1].1, Problem::Reversed);
        assert!(matches!(&errors[2].1, Problem::Duplicate { value } if value == "gulou"));
        assert_eq!(errors[3].1, Problem::NotADate);
        assert!(matches!(&errors[4].1, Problem::NotReleasable { value } if value == "name"));
        assert!(matches!(&errors[5].1, Problem::Unknown { allowed, .. }
            if allowed.contains(&"age".to_owned()) && !allowed.contains(&"name".to_owned())));
        assert_eq!(errors[6].1, Problem::TooShort { min: 20 });
        assert_eq!(errors[7].1, Problem::EthicsFormat);
        use kernel::{Explain, Lang};
        assert!(errors[7].1.explain(Lang::Zh).contains("伦理批件号"));
        assert!(errors[7].1.explain(Lang::En).contains("four-digit year"));
    }

    #[test]
    fn required_fields_say_so() {
        let empty = RequestForm::default();
        let errors = fields_of(
            empty
                .validate(&vocabulary(), Catalogue::builtin().unwrap(), policy())
                .unwrap_err(),
        );
        assert_eq!(
            errors,
            [
                ("diseases", Problem::Required),
                ("variables", Problem::Required),
                ("purpose", Problem::Required),
                ("ethics_reference", Problem::Required),
            ]
        );
        let mut f = form();
        f.age_min = "121".into();
        f.enrolled_to = "2022-12-31".into();
        let errors = fields_of(
            f.validate(&vocabulary(), Catalogue::builtin().unwrap(), policy())
                .unwrap_err(),
        );
        assert_eq!(
            errors,
            [
                ("age_min", Problem::NotAnAge { max: 120 }),
                ("enrolled_to", Problem::Reversed)
            ]
        );
    }

    #[test]
    fn ethics_references_in_the_forms_committees_use() {
        for ok in [
            "伦审〔2024〕第017号",
            "KY2024-017",
            "NJGL-IRB-2023-112",
            "2022 伦审 (45)",
        ] {
            assert!(EthicsReference::parse(ok, policy()).is_ok(), "{ok}");
        }
        for (bad, problem) in [
            ("", Problem::Required),
            ("KY1", Problem::TooShort { min: 6 }),
            ("KY2024017", Problem::EthicsFormat),
            ("2024-017", Problem::EthicsFormat),
            ("KY-2024", Problem::EthicsFormat),
            ("KY1999-017", Problem::EthicsFormat),
            ("KY2024-017; DROP", Problem::EthicsFormat),
        ] {
            assert_eq!(EthicsReference::parse(bad, policy()), Err(problem), "{bad}");
        }
        let long = format!("KY2024-{}", "1".repeat(60));
        assert_eq!(
            EthicsReference::parse(&long, policy()),
            Err(Problem::TooLong { max: 64 })
        );
    }

    proptest! {
        #[test]
        fn ethics_parsing_never_panics_and_keeps_what_it_accepts(s in "\\PC{0,80}") {
            if let Ok(r) = EthicsReference::parse(&s, policy()) {
                prop_assert_eq!(r.as_str(), s.trim());
                prop_assert!(r.as_str().chars().any(|c| c.is_alphabetic()));
            }
        }

        #[test]
        fn any_valid_age_pair_is_accepted_in_order(a in 0u32..=120, b in 0u32..=120) {
            let mut f = form();
            f.age_min = a.to_string();
            f.age_max = b.to_string();
            let r = f.validate(&vocabulary(), Catalogue::builtin().unwrap(), policy());
            if a <= b {
                prop_assert_eq!(r.unwrap().cohort.ages, Some(AgeRange { min: a, max: b }));
            } else {
                prop_assert_eq!(fields_of(r.unwrap_err()), vec![("age_max", Problem::Reversed)]);
            }
        }
    }
}
