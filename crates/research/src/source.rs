//! Reads a cohort's candidates from the registry's tables (`registry_enrolments`,
//! `registry_residents`, `registry_followups`; crates/registry/migrations). Only
//! non-identifying columns are selected: the encrypted name, ID number and mobile, the
//! household and the enrolment's reason text are never read, so no later step can leak them.
//!
//! The SQL narrows by disease, enrolment period and district; ages, which depend on the
//! reference day, are checked by [`Cohort::select`].

use jiff::civil::Date;
use store::Db;
use store::sqlx::{self, Row};

use crate::cohort::{Subject, SubjectEnrolment};
use crate::request::Cohort;
use crate::{ResearchError, Result};

/// The residents of `cohort` on `reference`, with their enrolments in its diseases and
/// period, ordered by resident id.
pub async fn cohort_subjects(db: &Db, cohort: &Cohort, reference: Date) -> Result<Vec<Subject>> {
    let mut binds: Vec<String> = Vec::new();
    let placeholders = |values: &[String], binds: &mut Vec<String>| {
        values
            .iter()
            .map(|v| {
                binds.push(v.clone());
                format!("${}", binds.len())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut clauses = vec![format!(
        "e.disease IN ({})",
        placeholders(&cohort.diseases, &mut binds)
    )];
    if !cohort.districts.is_empty() {
        clauses.push(format!(
            "p.district IN ({})",
            placeholders(&cohort.districts, &mut binds)
        ));
    }
    for (op, day) in [(">=", cohort.enrolled_from), ("<=", cohort.enrolled_to)] {
        if let Some(day) = day {
            binds.push(day.to_string());
            clauses.push(format!("e.enrolled_on {op} ${}", binds.len()));
        }
    }
    let sql = format!(
        "SELECT e.resident_id, e.disease, e.enrolled_on, e.last_visit, e.last_controlled, \
         (SELECT COUNT(*) FROM registry_followups f WHERE f.enrolment_id = e.id) AS followups, \
         p.sex, p.birth_date, p.district \
         FROM registry_enrolments e JOIN registry_residents p ON p.id = e.resident_id \
         WHERE {} ORDER BY e.resident_id, e.disease",
        clauses.join(" AND ")
    );
    let mut query = sqlx::query(&sql);
    for b in binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let mut subjects: Vec<Subject> = Vec::new();
    for row in &rows {
        let resident_id: String = row.try_get("resident_id")?;
        let enrolment = SubjectEnrolment {
            disease: row.try_get("disease")?,
            enrolled_on: day(&resident_id, Some(row.try_get("enrolled_on")?))?
                .ok_or_else(|| ResearchError::Unreadable(resident_id.clone()))?,
            last_visit: day(&resident_id, row.try_get("last_visit")?)?,
            last_controlled: row
                .try_get::<Option<i64>, _>("last_controlled")?
                .map(|c| c != 0),
            followups: u32::try_from(row.try_get::<i64, _>("followups")?).unwrap_or(u32::MAX),
        };
        match subjects.last_mut() {
            Some(last) if last.resident_id == resident_id => last.enrolments.push(enrolment),
            _ => subjects.push(Subject {
                sex: row.try_get("sex")?,
                birth_date: day(&resident_id, row.try_get("birth_date")?)?,
                district: row.try_get("district")?,
                resident_id,
                enrolments: vec![enrolment],
            }),
        }
    }
    Ok(subjects
        .iter()
        .filter_map(|s| cohort.select(s, reference))
        .collect())
}

fn day(resident_id: &str, text: Option<String>) -> Result<Option<Date>> {
    text.map(|t| {
        t.parse::<Date>()
            .map_err(|_| ResearchError::Unreadable(format!("a date of resident {resident_id}")))
    })
    .transpose()
}
