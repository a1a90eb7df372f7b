//! Reading residents' facts: the resident index, the registers, and the record store's
//! Observation and medication index rows (codes, values and dates in the clear, ADR 0005;
//! encrypted bodies are never read). For everyone at once, or for some residents.

use std::collections::{BTreeMap, HashMap};

use diseases::Element;
use store::Db;
use store::sqlx::{self, Row};

use super::assess::{Reading, ResidentFacts, SmokingStatus};
use super::{InputKey, PopulationSettings, ScoresError};

/// Residents per query when reading some of them (bind parameters stay far below either
/// backend's limit).
pub(super) const CHUNK: usize = 500;

/// The LOINC code system.
const LOINC: &str = "http://loinc.org";

/// `$from, $from+1, …` for `n` parameters.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` AND {column} IN (…)` for `ids`, numbered from `from`; empty for everyone.
fn restrict(column: &str, ids: Option<&[String]>, from: usize) -> String {
    match ids {
        None => String::new(),
        Some(ids) => format!(" AND {column} IN ({})", placeholders(from, ids.len())),
    }
}

fn bind_ids<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ids: Option<&'q [String]>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for id in ids.unwrap_or_default() {
        query = query.bind(id.as_str());
    }
    query
}

/// Every resident of the master index.
pub(super) async fn resident_ids(db: &Db) -> Result<Vec<String>, ScoresError> {
    let rows = sqlx::query("SELECT id FROM registry_residents ORDER BY id")
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?)
}

/// Residents due for recomputation: records, enrolments or index entry changed after
/// `since`; no score yet; or a score from before `stale_before`.
pub(super) async fn due(
    db: &Db,
    since: i64,
    stale_before: i64,
) -> Result<Vec<String>, ScoresError> {
    let rows = sqlx::query(
        "SELECT patient_id FROM fhir_resources \
           WHERE resource_type IN ('Observation', 'MedicationStatement', 'MedicationRequest', 'Patient') \
           AND last_updated > $1 AND patient_id IS NOT NULL \
         UNION SELECT resident_id FROM registry_enrolments WHERE enrolled_at > $1 \
         UNION SELECT id FROM registry_residents WHERE updated_at > $1 \
         UNION SELECT resident_id FROM risk_scores WHERE assessed_at < $2 \
         UNION SELECT p.id FROM registry_residents p \
           WHERE NOT EXISTS (SELECT 1 FROM risk_scores s WHERE s.resident_id = p.id)",
    )
    .bind(since)
    .bind(stale_before)
    .fetch_all(db.pool())
    .await?;
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The facts of `ids` (everyone in the master index when `None`), one per resident, in id
/// order. A record of someone not in the index is ignored.
pub(super) async fn facts(
    db: &Db,
    settings: &PopulationSettings,
    measures: &[(InputKey, Element)],
    ids: Option<&[String]>,
) -> Result<Vec<ResidentFacts>, ScoresError> {
    let mut people: BTreeMap<String, ResidentFacts> = BTreeMap::new();

    let sql = format!(
        "SELECT id, sex, birth_date, district FROM registry_residents WHERE 1 = 1{}",
        restrict("id", ids, 1)
    );
    for row in bind_ids(sqlx::query(&sql), ids)
        .fetch_all(db.pool())
        .await?
    {
        let id: String = row.try_get(0)?;
        let sex: Option<String> = row.try_get(1)?;
        let birth: Option<String> = row.try_get(2)?;
        let district: Option<String> = row.try_get(3)?;
        people.insert(
            id.clone(),
            ResidentFacts {
                resident_id: id,
                sex: match sex.as_deref() {
                    Some("male") => Some(crate::china_par::Sex::Male),
                    Some("female") => Some(crate::china_par::Sex::Female),
                    _ => None,
                },
                // Written by the registry as YYYY-MM-DD; an unreadable date is no date.
                birth: birth.and_then(|b| b.parse().ok()),
                district,
                ..ResidentFacts::default()
            },
        );
    }
    if people.is_empty() {
        return Ok(Vec::new());
    }

    registers(db, settings, ids, &mut people).await?;
    measurements(db, settings, measures, ids, &mut people).await?;
    smoking(db, settings, ids, &mut people).await?;
    treatment(db, settings, ids, &mut people).await?;
    Ok(people.into_values().collect())
}

async fn registers(
    db: &Db,
    settings: &PopulationSettings,
    ids: Option<&[String]>,
    people: &mut BTreeMap<String, ResidentFacts>,
) -> Result<(), ScoresError> {
    let c = &settings.conditions;
    let diseases: Vec<&String> = c.diabetes.iter().chain(c.ascvd.iter()).collect();
    let sql = format!(
        "SELECT resident_id, disease FROM registry_enrolments WHERE disease IN ({}){}",
        placeholders(1, diseases.len()),
        restrict("resident_id", ids, diseases.len() + 1)
    );
    let mut query = sqlx::query(&sql);
    for d in &diseases {
        query = query.bind(d.as_str());
    }
    for row in bind_ids(query, ids).fetch_all(db.pool()).await? {
        let id: String = row.try_get(0)?;
        let disease: String = row.try_get(1)?;
        if let Some(p) = people.get_mut(&id) {
            p.registers.push(disease);
        }
    }
    Ok(())
}

async fn measurements(
    db: &Db,
    settings: &PopulationSettings,
    measures: &[(InputKey, Element)],
    ids: Option<&[String]>,
    people: &mut BTreeMap<String, ResidentFacts>,
) -> Result<(), ScoresError> {
    let mut by_code: HashMap<&str, (InputKey, &Element)> = HashMap::new();
    for (key, element) in measures {
        for code in element.loinc.iter().chain(element.also_loinc.iter()) {
            by_code.insert(code.as_str(), (*key, element));
        }
    }
    let codes: Vec<&str> = by_code.keys().copied().collect();
    let sql = format!(
        "SELECT r.patient_id, t.code, q.code, q.value, d.low \
         FROM fhir_resources r \
         JOIN fhir_idx_token t ON t.rid = r.rid AND t.param = 'Observation.code' \
         JOIN fhir_idx_quantity q ON q.rid = r.rid AND q.param = 'Observation.value-quantity' \
         JOIN fhir_idx_date d ON d.rid = r.rid AND d.param = 'Observation.date' \
         WHERE r.resource_type = 'Observation' AND r.deleted = 0{} \
         AND t.system = $1 AND t.code IN ({}){}",
        not_excluded(settings),
        placeholders(2, codes.len()),
        restrict("r.patient_id", ids, codes.len() + 2)
    );
    let mut query = sqlx::query(&sql).bind(LOINC);
    for code in &codes {
        query = query.bind(*code);
    }
    for row in bind_ids(query, ids).fetch_all(db.pool()).await? {
        let patient: Option<String> = row.try_get(0)?;
        let code: String = row.try_get(1)?;
        let unit: Option<String> = row.try_get(2)?;
        let value: f64 = row.try_get(3)?;
        let at: i64 = row.try_get(4)?;
        let Some(person) = patient.and_then(|p| people.get_mut(&p)) else {
            continue;
        };
        let Some(&(key, element)) = by_code.get(code.as_str()) else {
            continue;
        };
        // A reading in a unit the measurement does not take, or outside the plausible range,
        // is a mistake: the latest believable one counts.
        let Some(quantity) = unit.and_then(|u| element.validate(value, &u).ok()) else {
            continue;
        };
        let newer = person.measurements.get(&key).is_none_or(|r| at >= r.at);
        if newer {
            person.measurements.insert(
                key,
                Reading {
                    code,
                    value: quantity.value,
                    at,
                },
            );
        }
    }
    Ok(())
}

async fn smoking(
    db: &Db,
    settings: &PopulationSettings,
    ids: Option<&[String]>,
    people: &mut BTreeMap<String, ResidentFacts>,
) -> Result<(), ScoresError> {
    let s = &settings.smoking;
    let sql = format!(
        "SELECT r.patient_id, v.code, d.low \
         FROM fhir_resources r \
         JOIN fhir_idx_token t ON t.rid = r.rid AND t.param = 'Observation.code' \
         JOIN fhir_idx_token v ON v.rid = r.rid AND v.param = 'Observation.value-concept' \
         JOIN fhir_idx_date d ON d.rid = r.rid AND d.param = 'Observation.date' \
         WHERE r.resource_type = 'Observation' AND r.deleted = 0{} \
         AND t.system = $1 AND t.code = $2 AND v.system = $3{}",
        not_excluded(settings),
        restrict("r.patient_id", ids, 4)
    );
    let query = sqlx::query(&sql)
        .bind(LOINC)
        .bind(s.loinc.as_str())
        .bind(s.value_system.as_str());
    for row in bind_ids(query, ids).fetch_all(db.pool()).await? {
        let patient: Option<String> = row.try_get(0)?;
        let value: String = row.try_get(1)?;
        let at: i64 = row.try_get(2)?;
        let Some(person) = patient.and_then(|p| people.get_mut(&p)) else {
            continue;
        };
        let current = if s.current.contains(&value) {
            true
        } else if s.not_current.contains(&value) {
            false
        } else {
            // A status of unknown meaning says nothing.
            continue;
        };
        if person.smoking.as_ref().is_none_or(|old| at >= old.at) {
            person.smoking = Some(SmokingStatus { current, at });
        }
    }
    Ok(())
}

async fn treatment(
    db: &Db,
    settings: &PopulationSettings,
    ids: Option<&[String]>,
    people: &mut BTreeMap<String, ResidentFacts>,
) -> Result<(), ScoresError> {
    let t = &settings.treatment;
    let sql = format!(
        "SELECT r.patient_id, c.code \
         FROM fhir_resources r \
         JOIN fhir_idx_token c ON c.rid = r.rid \
           AND c.param IN ('MedicationStatement.code', 'MedicationRequest.code') \
         JOIN fhir_idx_token s ON s.rid = r.rid \
           AND s.param IN ('MedicationStatement.status', 'MedicationRequest.status') \
         WHERE r.resource_type IN ('MedicationStatement', 'MedicationRequest') \
         AND r.deleted = 0 AND c.system = $1 AND s.code = 'active'{}",
        restrict("r.patient_id", ids, 2)
    );
    let query = sqlx::query(&sql).bind(t.atc_system.as_str());
    for row in bind_ids(query, ids).fetch_all(db.pool()).await? {
        let patient: Option<String> = row.try_get(0)?;
        let code: String = row.try_get(1)?;
        let Some(person) = patient.and_then(|p| people.get_mut(&p)) else {
            continue;
        };
        // The smallest code when there are several, so the source shown does not vary.
        let counts = t.atc_prefixes.iter().any(|p| code.starts_with(p.as_str()));
        if counts
            && person
                .antihypertensive
                .as_ref()
                .is_none_or(|old| code < *old)
        {
            person.antihypertensive = Some(code);
        }
    }
    Ok(())
}

/// ` AND NOT EXISTS (…)` leaving out Observations with an excluded tag (the settings' own
/// strings, checked when they load: no user input reaches this SQL).
fn not_excluded(settings: &PopulationSettings) -> String {
    settings
        .excluded_tags
        .iter()
        .map(|t| {
            format!(
                " AND NOT EXISTS (SELECT 1 FROM fhir_idx_token x WHERE x.rid = r.rid \
                 AND x.param = 'Observation._tag' AND x.system = '{}' AND x.code = '{}')",
                t.system.replace('\'', "''"),
                t.code.replace('\'', "''")
            )
        })
        .collect()
}
