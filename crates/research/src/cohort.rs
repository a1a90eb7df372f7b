//! The residents a cohort selects, as facts without identifiers ([`Subject`]), and the value
//! of each catalogue field for one of them on a reference day.

use jiff::civil::Date;

use crate::catalogue::Field;
use crate::request::Cohort;

/// One resident on at least one register, as the registry holds them: no name, no ID number,
/// no contact. `resident_id` is kept only to ask for consent and to make the per-release
/// pseudonym; it never reaches an extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The master-index id.
    pub resident_id: String,
    /// `male`, `female`, or unknown.
    pub sex: Option<String>,
    /// Date of birth, if known.
    pub birth_date: Option<Date>,
    /// District key of the care team.
    pub district: Option<String>,
    /// Their registers.
    pub enrolments: Vec<SubjectEnrolment>,
}

/// One of a subject's registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectEnrolment {
    /// Disease template code.
    pub disease: String,
    /// Day of enrolment.
    pub enrolled_on: Date,
    /// Day of the latest follow-up.
    pub last_visit: Option<Date>,
    /// Whether the latest follow-up found the disease controlled.
    pub last_controlled: Option<bool>,
    /// Follow-up visits recorded.
    pub followups: u32,
}

/// A field's value for one subject, before generalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Not recorded.
    Missing,
    /// A code (`female`, `gulou`).
    Text(String),
    /// Whole number (age in years, follow-up count).
    Number(u32),
    /// A civil date.
    Day(Date),
    /// yes / no.
    Flag(bool),
    /// Codes (`hypertension`, `t2dm`), sorted.
    Codes(Vec<String>),
}

impl Cohort {
    /// The subject as the cohort sees them (only the enrolments in its diseases and period),
    /// or `None` when they are not in it on `reference`.
    pub fn select(&self, subject: &Subject, reference: Date) -> Option<Subject> {
        if !self.districts.is_empty()
            && !subject
                .district
                .as_ref()
                .is_some_and(|d| self.districts.contains(d))
        {
            return None;
        }
        if let Some(ages) = self.ages {
            let age = subject.birth_date.and_then(|b| age_on(b, reference))?;
            if !ages.contains(age) {
                return None;
            }
        }
        let enrolments: Vec<SubjectEnrolment> = subject
            .enrolments
            .iter()
            .filter(|e| self.diseases.contains(&e.disease))
            .filter(|e| self.enrolled_from.is_none_or(|from| e.enrolled_on >= from))
            .filter(|e| self.enrolled_to.is_none_or(|to| e.enrolled_on <= to))
            .cloned()
            .collect();
        if enrolments.is_empty() {
            return None;
        }
        Some(Subject {
            enrolments,
            ..subject.clone()
        })
    }
}

/// Completed years from `birth` to `day`; `None` when `day` is before the birth.
pub fn age_on(birth: Date, day: Date) -> Option<u32> {
    if day < birth {
        return None;
    }
    let mut years = i32::from(day.year()) - i32::from(birth.year());
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

impl Subject {
    /// The value of `field` on `reference`, over the enrolments this subject has (select them
    /// first with [`Cohort::select`]).
    pub fn value(&self, field: Field, reference: Date) -> Value {
        match field {
            Field::Sex => self.sex.clone().map_or(Value::Missing, Value::Text),
            Field::Age => self
                .birth_date
                .and_then(|b| age_on(b, reference))
                .map_or(Value::Missing, Value::Number),
            Field::District => self.district.clone().map_or(Value::Missing, Value::Text),
            Field::EnrolledOn => self
                .enrolments
                .iter()
                .map(|e| e.enrolled_on)
                .min()
                .map_or(Value::Missing, Value::Day),
            Field::LastVisit => self
                .enrolments
                .iter()
                .filter_map(|e| e.last_visit)
                .max()
                .map_or(Value::Missing, Value::Day),
            Field::Diseases => {
                let mut codes: Vec<String> =
                    self.enrolments.iter().map(|e| e.disease.clone()).collect();
                codes.sort();
                codes.dedup();
                Value::Codes(codes)
            }
            Field::Controlled => {
                let judged: Vec<bool> = self
                    .enrolments
                    .iter()
                    .filter_map(|e| e.last_controlled)
                    .collect();
                if judged.is_empty() {
                    Value::Missing
                } else {
                    Value::Flag(judged.iter().all(|c| *c))
                }
            }
            Field::Followups => Value::Number(self.enrolments.iter().map(|e| e.followups).sum()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::request::AgeRange;
    use jiff::civil::date;

    fn subject() -> Subject {
        Subject {
            resident_id: "r1".into(),
            sex: Some("female".into()),
            birth_date: Some(date(1960, 6, 15)),
            district: Some("gulou".into()),
            enrolments: vec![
                SubjectEnrolment {
                    disease: "hypertension".into(),
                    enrolled_on: date(2023, 2, 1),
                    last_visit: Some(date(2024, 5, 3)),
                    last_controlled: Some(true),
                    followups: 4,
                },
                SubjectEnrolment {
                    disease: "t2dm".into(),
                    enrolled_on: date(2024, 7, 9),
                    last_visit: Some(date(2024, 9, 1)),
                    last_controlled: Some(false),
                    followups: 1,
                },
            ],
        }
    }

    fn cohort() -> Cohort {
        Cohort {
            diseases: vec!["hypertension".into(), "t2dm".into()],
            ages: None,
            districts: vec![],
            enrolled_from: None,
            enrolled_to: None,
        }
    }

    #[test]
    fn ages_are_completed_years() {
        assert_eq!(age_on(date(1960, 6, 15), date(2024, 6, 14)), Some(63));
        assert_eq!(age_on(date(1960, 6, 15), date(2024, 6, 15)), Some(64));
        assert_eq!(age_on(date(2000, 2, 29), date(2001, 2, 28)), Some(0));
        assert_eq!(age_on(date(2024, 1, 2), date(2024, 1, 1)), None);
    }

    #[test]
    fn a_cohort_keeps_only_its_diseases_period_districts_and_ages() {
        let day = date(2025, 1, 1);
        let all = cohort().select(&subject(), day).unwrap();
        assert_eq!(all.enrolments.len(), 2);
        assert_eq!(
            all.value(Field::Diseases, day),
            Value::Codes(vec!["hypertension".into(), "t2dm".into()])
        );
        assert_eq!(all.value(Field::Controlled, day), Value::Flag(false));
        assert_eq!(all.value(Field::Followups, day), Value::Number(5));
        assert_eq!(
            all.value(Field::EnrolledOn, day),
            Value::Day(date(2023, 2, 1))
        );
        assert_eq!(
            all.value(Field::LastVisit, day),
            Value::Day(date(2024, 9, 1))
        );
        assert_eq!(all.value(Field::Age, day), Value::Number(64));

        let c = Cohort {
            enrolled_from: Some(date(2024, 1, 1)),
            ..cohort()
        };
        let later = c.select(&subject(), day).unwrap();
        assert_eq!(later.enrolments.len(), 1);
        assert_eq!(later.value(Field::Controlled, day), Value::Flag(false));
        assert_eq!(later.value(Field::Followups, day), Value::Number(1));

        let c = Cohort {
            diseases: vec!["copd".into()],
            ..cohort()
        };
        assert_eq!(c.select(&subject(), day), None);
        let c = Cohort {
            districts: vec!["jiangning".into()],
            ..cohort()
        };
        assert_eq!(c.select(&subject(), day), None);
        let c = Cohort {
            ages: Some(AgeRange { min: 65, max: 120 }),
            ..cohort()
        };
        assert_eq!(c.select(&subject(), day), None);
        let mut unborn = subject();
        unborn.birth_date = None;
        let c = Cohort {
            ages: Some(AgeRange { min: 0, max: 120 }),
            ..cohort()
        };
        assert_eq!(
            c.select(&unborn, day),
            None,
            "an age range needs a birth date"
        );
    }
}
