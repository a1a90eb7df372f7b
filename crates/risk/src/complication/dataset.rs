//! The complication cohort, read from the registers and the record store's search indexes.
//!
//! For each resident on an index register (hypertension, type 2 diabetes):
//! - the index date is their first index enrolment; a resident already on an outcome register
//!   (stroke, coronary heart disease) by then is left out (counted in
//!   [`Dataset::excluded_prevalent`]);
//! - the cut-off is the first outcome enrolment if one followed, otherwise `as_of`;
//! - features are as of the cut-off: age, sex, the latest of each measured element *before*
//!   the cut-off day (so a case's features never come from after its complication), the
//!   registers they were on and the years since the index date.
//!
//! Measurements are the FHIR Observations' index rows (`Observation.code`,
//! `Observation.value-quantity`, `Observation.date`), which hold codes, values and dates in
//! the clear (ADR 0005); the encrypted bodies are never read. Codes and units come from the
//! `diseases` element dictionary, so a value in mg/dL is converted as the follow-up form
//! converts it, and an implausible value is skipped as the form would refuse it.

use std::collections::{BTreeMap, HashMap};

use diseases::{Catalogue, Element};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use store::Db;
use store::sqlx::{self, Row};

use super::features::{Example, Feature, Features};
use super::settings::Settings;
use crate::data::DataError;

/// The cohort and what was left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dataset {
    /// One row per resident in the cohort.
    pub examples: Vec<Example>,
    /// Residents on an outcome register no later than their first index enrolment.
    pub excluded_prevalent: usize,
    /// Measurements read but not used: a unit the element does not accept, or a value
    /// outside its plausible range.
    pub skipped_measurements: usize,
}

impl Dataset {
    /// Examples with the outcome.
    pub fn events(&self) -> usize {
        self.examples.iter().filter(|e| e.outcome).count()
    }

    /// For each feature, how many examples lack it.
    pub fn missing(&self) -> Vec<(Feature, usize)> {
        Feature::ALL
            .iter()
            .map(|&f| {
                (
                    f,
                    self.examples
                        .iter()
                        .filter(|e| e.features.get(f).is_none())
                        .count(),
                )
            })
            .collect()
    }
}

/// Why the cohort could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A data file (element dictionary, settings) is unusable.
    #[error("data: {0}")]
    Data(#[from] DataError),
    /// The element dictionary lacks an element a feature is read from.
    #[error("the element dictionary has no `{0}`")]
    NoElement(&'static str),
    /// The dictionary could not be loaded.
    #[error("element dictionary: {0}")]
    Dictionary(#[from] diseases::TemplateError),
}

/// One resident's enrolments.
#[derive(Default)]
struct Person {
    sex: Option<String>,
    birth: Option<Date>,
    /// (disease, enrolled on).
    enrolments: Vec<(String, Date)>,
}

/// A cohort member's dates.
struct Window {
    index: Date,
    cutoff: Date,
    outcome: bool,
}

/// Reads the cohort as of `as_of` (the cut-off of residents without the outcome).
pub async fn dataset(db: &Db, as_of: Date) -> Result<Dataset, DatasetError> {
    let settings = Settings::builtin()?;
    let people = enrolments(db).await?;
    let mut windows: BTreeMap<String, Window> = BTreeMap::new();
    let mut excluded_prevalent = 0;
    for (id, person) in &people {
        let first_of = |codes: &[String]| {
            person
                .enrolments
                .iter()
                .filter(|(d, _)| codes.contains(d))
                .map(|(_, on)| *on)
                .min()
        };
        let Some(index) = first_of(&settings.outcome.index_registers) else {
            continue;
        };
        let window = match first_of(&settings.outcome.outcome_registers) {
            Some(outcome) if outcome <= index => {
                excluded_prevalent += 1;
                continue;
            }
            Some(outcome) if outcome <= as_of => Window {
                index,
                cutoff: outcome,
                outcome: true,
            },
            // An outcome after `as_of` has not happened yet as of that day.
            _ => Window {
                index,
                cutoff: as_of,
                outcome: false,
            },
        };
        windows.insert(id.clone(), window);
    }

    let catalogue = Catalogue::builtin()?;
    let measured: Vec<(Feature, &Element)> = Feature::ALL
        .iter()
        .filter_map(|&f| f.element().map(|key| (f, key)))
        .map(|(f, key)| {
            catalogue
                .dictionary()
                .iter()
                .find(|e| e.key == key)
                .map(|e| (f, e))
                .ok_or(DatasetError::NoElement(key))
        })
        .collect::<Result<_, _>>()?;
    let (latest, skipped_measurements) = latest_measurements(db, &measured, &windows).await?;

    let examples = windows
        .into_iter()
        .map(|(id, w)| {
            let person = people.get(&id);
            let mut features = Features {
                age: person
                    .and_then(|p| p.birth)
                    .and_then(|b| years_between(b, w.cutoff)),
                male: person.and_then(|p| match p.sex.as_deref() {
                    Some("male") => Some(1.0),
                    Some("female") => Some(0.0),
                    _ => None,
                }),
                registers: person
                    .map(|p| p.enrolments.iter().filter(|(_, on)| *on < w.cutoff).count() as f64),
                years_enrolled: years_between(w.index, w.cutoff),
                ..Features::default()
            };
            for (feature, _) in &measured {
                let value = latest.get(&(id.clone(), *feature)).map(|(_, v)| *v);
                features.set(*feature, value);
            }
            Example {
                resident_id: id,
                features,
                outcome: w.outcome,
            }
        })
        .collect();
    Ok(Dataset {
        examples,
        excluded_prevalent,
        skipped_measurements,
    })
}

/// Every resident with an enrolment, with sex, birth date and enrolments.
async fn enrolments(db: &Db) -> Result<BTreeMap<String, Person>, DatasetError> {
    let rows = sqlx::query(
        "SELECT e.resident_id, e.disease, e.enrolled_on, p.sex, p.birth_date \
         FROM registry_enrolments e JOIN registry_residents p ON p.id = e.resident_id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut people: BTreeMap<String, Person> = BTreeMap::new();
    for row in rows {
        let id: String = row.try_get(0)?;
        let disease: String = row.try_get(1)?;
        let enrolled_on: String = row.try_get(2)?;
        let sex: Option<String> = row.try_get(3)?;
        let birth: Option<String> = row.try_get(4)?;
        let person = people.entry(id).or_default();
        person.sex = sex;
        person.birth = birth.and_then(|b| b.parse().ok());
        // Dates are written by the registry as YYYY-MM-DD; an unreadable one is skipped.
        if let Ok(on) = enrolled_on.parse::<Date>() {
            person.enrolments.push((disease, on));
        }
    }
    Ok(people)
}

/// The latest value (canonical unit) of each measured feature per cohort member, taken
/// before the member's cut-off day (the day itself included for members without the
/// outcome); and how many readings were skipped.
async fn latest_measurements(
    db: &Db,
    measured: &[(Feature, &Element)],
    windows: &BTreeMap<String, Window>,
) -> Result<(HashMap<(String, Feature), (i64, f64)>, usize), DatasetError> {
    let mut by_code: HashMap<&str, (Feature, &Element)> = HashMap::new();
    for &(feature, element) in measured {
        for code in element.loinc.iter().chain(element.also_loinc.iter()) {
            by_code.insert(code.as_str(), (feature, element));
        }
    }
    let codes: Vec<&str> = by_code.keys().copied().collect();
    let placeholders: Vec<String> = (1..=codes.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT r.patient_id, t.code, q.code, q.value, d.low \
         FROM fhir_resources r \
         JOIN fhir_idx_token t ON t.rid = r.rid AND t.param = 'Observation.code' \
         JOIN fhir_idx_quantity q ON q.rid = r.rid AND q.param = 'Observation.value-quantity' \
         JOIN fhir_idx_date d ON d.rid = r.rid AND d.param = 'Observation.date' \
         WHERE r.resource_type = 'Observation' AND r.deleted = 0 \
         AND r.patient_id IS NOT NULL AND t.code IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for code in &codes {
        query = query.bind(*code);
    }
    let rows = query.fetch_all(db.pool()).await?;

    let zone =
        TimeZone::get(kernel::CITY_TIME_ZONE).unwrap_or(TimeZone::fixed(jiff::tz::offset(8)));
    let start_of = |date: Date| {
        date.to_zoned(zone.clone())
            .map(|z| z.timestamp().as_millisecond())
            .ok()
    };
    let mut cutoffs: HashMap<&str, i64> = HashMap::new();
    for (id, w) in windows {
        let day = if w.outcome {
            Some(w.cutoff)
        } else {
            w.cutoff.tomorrow().ok()
        };
        if let Some(ms) = day.and_then(start_of) {
            cutoffs.insert(id.as_str(), ms);
        }
    }

    let mut latest: HashMap<(String, Feature), (i64, f64)> = HashMap::new();
    let mut skipped = 0;
    for row in rows {
        let patient: String = row.try_get(0)?;
        let code: String = row.try_get(1)?;
        let unit: Option<String> = row.try_get(2)?;
        let value: f64 = row.try_get(3)?;
        let at: i64 = row.try_get(4)?;
        let Some(&cutoff) = cutoffs.get(patient.as_str()) else {
            continue;
        };
        if at >= cutoff {
            continue;
        }
        let Some(&(feature, element)) = by_code.get(code.as_str()) else {
            continue;
        };
        let Some(quantity) = unit.and_then(|u| element.validate(value, &u).ok()) else {
            skipped += 1;
            continue;
        };
        let slot = latest.entry((patient, feature)).or_insert((i64::MIN, 0.0));
        if at >= slot.0 {
            *slot = (at, quantity.value);
        }
    }
    Ok((latest, skipped))
}

/// Whole and fractional years from `from` to `to` (365.25-day years), `None` if negative.
fn years_between(from: Date, to: Date) -> Option<f64> {
    let days = from.until(to).ok()?.get_days();
    // `until` on civil dates answers in days unless asked for larger units.
    (days >= 0).then(|| f64::from(days) / 365.25)
}
