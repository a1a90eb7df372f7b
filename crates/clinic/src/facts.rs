//! Gathering what the eligibility rules judge: the resident's identity, register entry, open
//! alerts and current medicines. Reads of the health record go through `clinical` as the
//! acting person, so consent and the ledger apply as everywhere else.

use std::collections::BTreeMap;

use clinical::Actor;
use jiff::civil::Date;
use serde_json::Value;

use crate::eligibility::{DiagnosisBasis, PatientFacts};
use crate::error::Result;
use crate::service::Clinic;

/// The platform's code system for catalogue drugs (`crates/prescribing/data/drugs.toml`).
pub const DRUG_SYSTEM: &str = "urn:lifehealth:drug";
/// WHO ATC codes.
pub const ATC_SYSTEM: &str = "http://www.whocc.no/atc";

/// A medicine the record says the patient takes now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentMedicine {
    /// The catalogue code, when the record carries it.
    pub code: Option<String>,
    pub atc: Option<String>,
    pub name: String,
    /// The first day the record shows it taken.
    pub since: Option<Date>,
}

impl CurrentMedicine {
    pub fn for_checks(&self) -> prescribing::CurrentMedicine {
        prescribing::CurrentMedicine {
            code: self.code.clone(),
            atc: self.atc.clone(),
            name: self.name.clone(),
        }
    }
}

/// The active medicines in a set of records (MedicationStatement and MedicationRequest), one
/// per medicine: a medicine renewed keeps the day it was first started, so renewing it does
/// not count as a change of regimen.
pub fn current_medicines<'a>(
    resources: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Vec<CurrentMedicine> {
    let mut by_identity: BTreeMap<String, CurrentMedicine> = BTreeMap::new();
    for (resource_type, body) in resources {
        let (concept, start) = match resource_type {
            "MedicationStatement" => (
                body.get("medicationCodeableConcept"),
                body.pointer("/effectivePeriod/start")
                    .or_else(|| body.get("effectiveDateTime")),
            ),
            "MedicationRequest" => (
                body.get("medicationCodeableConcept"),
                body.get("authoredOn"),
            ),
            _ => continue,
        };
        if body.get("status").and_then(Value::as_str) != Some("active") {
            continue;
        }
        let Some(concept) = concept else { continue };
        let coding = |system: &str| {
            concept
                .get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|c| c.get("system").and_then(Value::as_str) == Some(system))
                .and_then(|c| c.get("code").and_then(Value::as_str))
                .map(str::to_owned)
        };
        let code = coding(DRUG_SYSTEM);
        let atc = coding(ATC_SYSTEM);
        let name = concept
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let identity = atc
            .clone()
            .or_else(|| code.clone())
            .unwrap_or_else(|| name.clone());
        if identity.is_empty() {
            continue;
        }
        let since = start
            .and_then(Value::as_str)
            .and_then(|s| s.get(..10))
            .and_then(|s| s.parse::<Date>().ok());
        let entry = by_identity.entry(identity).or_insert(CurrentMedicine {
            code: code.clone(),
            atc: atc.clone(),
            name: name.clone(),
            since,
        });
        entry.since = match (entry.since, since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if entry.code.is_none() {
            entry.code = code;
        }
    }
    by_identity.into_values().collect()
}

/// The latest day any current medicine was started: the day the regimen last changed.
pub fn regimen_changed_on(medicines: &[CurrentMedicine]) -> Option<Date> {
    medicines.iter().filter_map(|m| m.since).max()
}

impl Clinic {
    /// What the register, the resident index and the alerts say of `resident_id` for
    /// `disease`. `document` is the state of an uploaded diagnosis (None when none was
    /// uploaded); it counts only when the register holds no diagnosis.
    /// The patient is known by real name when the index holds their resident ID number (a
    /// child booked by a guardian has no account of their own; the guardian acts through
    /// theirs).
    pub(crate) async fn patient_facts(
        &self,
        resident_id: &str,
        disease: &str,
        document: Option<bool>,
        today: Date,
    ) -> Result<PatientFacts> {
        let mut facts = PatientFacts::default();
        if let Some(resident) = self.clinical.residents().resident(resident_id).await? {
            facts.age_years = resident
                .facts
                .birth()
                .and_then(|b| alerts::age_on(b, today));
            facts.real_name = resident.facts.id_number.is_some();
        }
        let enrolments = self.clinical.registers().enrolments_of(resident_id).await?;
        if let Some(e) = enrolments.into_iter().find(|e| e.disease == disease) {
            facts.last_followup = e.last_visit.map(|d| (d, e.last_controlled));
            facts.diagnosis = Some(DiagnosisBasis::Registry {
                enrolment_id: e.id,
                source_organisation: e.source_organisation,
                since: e.enrolled_on,
            });
        } else if let Some(accepted) = document {
            facts.diagnosis = Some(DiagnosisBasis::Document { accepted });
        }
        facts.open_alerts = self
            .alerts
            .alerts_of_resident(resident_id)
            .await?
            .iter()
            .filter(|a| a.state != alerts::State::Resolved)
            .count()
            .try_into()
            .unwrap_or(u32::MAX);
        Ok(facts)
    }

    /// The patient's current medicines, read from the record as `reader` (on the ledger with
    /// the reader's purpose); None when the reader may not see the record (the patient does
    /// not share it with the care team).
    pub(crate) async fn medicines_seen_by(
        &self,
        reader: &Actor,
        resident_id: &str,
    ) -> Result<Option<Vec<CurrentMedicine>>> {
        if !self.clinical.may_see_resident(reader, resident_id).await? {
            return Ok(None);
        }
        let record = self.clinical.resident_record(reader, resident_id).await?;
        Ok(Some(current_medicines(
            record
                .iter()
                .filter(|r| !r.deleted)
                .map(|r| (r.resource_type.as_str(), &r.body)),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_renewed_medicine_keeps_its_first_day_and_the_latest_new_one_sets_the_change() {
        let statement = json!({"resourceType": "MedicationStatement", "status": "active",
            "medicationCodeableConcept": {"text": "amlodipine", "coding": [{"system": ATC_SYSTEM, "code": "C08CA01"}]},
            "effectivePeriod": {"start": "2025-01-10"}});
        let renewal = json!({"resourceType": "MedicationRequest", "status": "active",
            "medicationCodeableConcept": {"text": "氨氯地平", "coding": [{"system": ATC_SYSTEM, "code": "C08CA01"}, {"system": DRUG_SYSTEM, "code": "amlodipine-5mg-tab"}]},
            "authoredOn": "2026-10-01T09:00:00+08:00"});
        let added = json!({"resourceType": "MedicationStatement", "status": "active",
            "medicationCodeableConcept": {"text": "metformin"},
            "effectivePeriod": {"start": "2026-06-01"}});
        let stopped = json!({"resourceType": "MedicationStatement", "status": "stopped",
            "medicationCodeableConcept": {"text": "aspirin"},
            "effectivePeriod": {"start": "2026-11-01"}});
        let meds = current_medicines([
            ("MedicationStatement", &statement),
            ("MedicationRequest", &renewal),
            ("MedicationStatement", &added),
            ("MedicationStatement", &stopped),
        ]);
        assert_eq!(meds.len(), 2, "{meds:?}");
        let amlodipine = meds
            .iter()
            .find(|m| m.atc.as_deref() == Some("C08CA01"))
            .expect("amlodipine");
        assert_eq!(amlodipine.since, Some(jiff::civil::date(2025, 1, 10)));
        assert_eq!(amlodipine.code.as_deref(), Some("amlodipine-5mg-tab"));
        assert_eq!(
            regimen_changed_on(&meds),
            Some(jiff::civil::date(2026, 6, 1))
        );
    }

    #[test]
    fn no_medicine_means_no_regimen() {
        assert_eq!(regimen_changed_on(&current_medicines([])), None);
    }
}
