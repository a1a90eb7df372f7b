//! Every search parameter of every writable core type, on both databases: a full example of
//! each type is stored through the record service, and each value its parameters index is
//! searched for and must find it. A parameter without a value in the examples fails the test,
//! so a parameter added to `fhir` needs an example value here.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;

use access::RecordScope;
use clinical::{Actor, Clinical};
use fhir::{IndexValue, SearchRequest};
use ledger::{Ledger, PurposeOfUse};
use serde_json::{Value, json};
use store::testing::TestDatabases;
use vault::Keyring;

fn examples() -> Vec<Value> {
    let mut all = typed_examples();
    for example in &mut all {
        let t = example["resourceType"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        example["meta"] = json!({
            "tag": [{ "system": "urn:lifehealth:test", "code": "search" }],
            "profile": [format!("http://hl7.org/fhir/StructureDefinition/{t}")]
        });
    }
    all
}

fn typed_examples() -> Vec<Value> {
    let subject = json!({ "reference": "Patient/pat-1" });
    let coding =
        |system: &str, code: &str| json!({ "coding": [{ "system": system, "code": code }] });
    let identifier = |value: &str| json!([{ "system": "urn:oid:1.2.156.1", "value": value }]);
    vec![
        json!({
            "resourceType": "Organization", "id": "org-1", "identifier": identifier("ORG-1"),
            "active": true, "type": [coding("http://terminology.hl7.org/CodeSystem/organization-type", "prov")],
            "name": "南京示范医院（演示）", "alias": ["示范医院"], "partOf": { "reference": "Organization/org-0" },
            "address": [{ "city": "南京市", "district": "鼓楼区", "line": ["中山路1号"] }]
        }),
        json!({
            "resourceType": "Practitioner", "id": "pr-1", "identifier": identifier("PR-1"), "active": true,
            "name": [{ "family": "李", "given": ["明"] }], "gender": "male",
            "telecom": [{ "system": "phone", "value": "13900000001" }, { "system": "email", "value": "li@example.org" }],
            "address": [{ "city": "南京市" }]
        }),
        json!({
            "resourceType": "Patient", "id": "pat-1", "identifier": identifier("MRN-1"), "active": true,
            "name": [{ "family": "王", "given": ["芳"] }], "gender": "female", "birthDate": "1949-12-31",
            "telecom": [{ "system": "phone", "value": "13912345678" }, { "system": "email", "value": "wang@example.org" }],
            "address": [{ "city": "南京市", "state": "江苏省", "postalCode": "210008", "line": ["北京西路1号"] }],
            "generalPractitioner": [{ "reference": "Practitioner/pr-1" }],
            "managingOrganization": { "reference": "Organization/org-1" },
            "deceasedDateTime": "2025-01-01"
        }),
        json!({
            "resourceType": "Encounter", "id": "enc-1", "identifier": identifier("ENC-1"), "status": "finished",
            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB" },
            "type": [coding("http://snomed.info/sct", "185349003")], "subject": subject,
            "participant": [{ "individual": { "reference": "Practitioner/pr-1" } }],
            "period": { "start": "2025-03-01T09:00:00+08:00", "end": "2025-03-01T09:30:00+08:00" },
            "reasonCode": [coding("http://hl7.org/fhir/sid/icd-10", "I10")],
            "serviceProvider": { "reference": "Organization/org-1" }
        }),
        json!({
            "resourceType": "Condition", "id": "cond-1", "identifier": identifier("C-1"),
            "clinicalStatus": coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            "verificationStatus": coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
            "category": [coding("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis")],
            "severity": coding("http://snomed.info/sct", "6736007"),
            "code": coding("http://hl7.org/fhir/sid/icd-10", "I10"), "subject": subject,
            "encounter": { "reference": "Encounter/enc-1" },
            "onsetDateTime": "2025-03-01", "recordedDate": "2025-03-01"
        }),
        json!({
            "resourceType": "Observation", "id": "obs-1", "identifier": identifier("O-1"), "status": "final",
            "category": [coding("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")],
            "code": coding("http://loinc.org", "8480-6"), "subject": subject,
            "encounter": { "reference": "Encounter/enc-1" },
            "effectiveDateTime": "2025-03-01T09:10:00+08:00",
            "performer": [{ "reference": "Practitioner/pr-1" }],
            "valueQuantity": { "value": 146, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]" },
            "component": [{ "code": coding("http://loinc.org", "8462-4"), "valueQuantity": { "value": 92, "system": "http://unitsofmeasure.org", "code": "mm[Hg]" } }]
        }),
        json!({
            "resourceType": "Observation", "id": "obs-2", "status": "final",
            "code": coding("http://loinc.org", "72166-2"), "subject": subject,
            "effectiveDateTime": "2025-03-01",
            "valueCodeableConcept": coding("http://snomed.info/sct", "8517006")
        }),
        json!({
            "resourceType": "MedicationRequest", "id": "mr-1", "identifier": identifier("MR-1"),
            "status": "active", "intent": "order", "subject": subject,
            "medicationCodeableConcept": coding("urn:oid:2.16.156.10011.2.5.1.28", "AMLO-5"),
            "authoredOn": "2025-03-01", "requester": { "reference": "Practitioner/pr-1" },
            "encounter": { "reference": "Encounter/enc-1" }
        }),
        json!({
            "resourceType": "MedicationRequest", "id": "mr-2", "status": "active", "intent": "order",
            "subject": subject, "medicationReference": { "reference": "Medication/med-1" }
        }),
        json!({
            "resourceType": "MedicationStatement", "id": "ms-1", "identifier": identifier("MS-1"),
            "status": "active", "subject": subject,
            "medicationCodeableConcept": coding("urn:oid:2.16.156.10011.2.5.1.28", "AMLO-5"),
            "effectivePeriod": { "start": "2025-03-01" }, "context": { "reference": "Encounter/enc-1" }
        }),
        json!({
            "resourceType": "MedicationStatement", "id": "ms-2", "status": "active", "subject": subject,
            "medicationReference": { "reference": "Medication/med-1" }
        }),
        json!({
            "resourceType": "Procedure", "id": "proc-1", "identifier": identifier("P-1"), "status": "completed",
            "code": coding("http://snomed.info/sct", "52052004"), "subject": subject,
            "encounter": { "reference": "Encounter/enc-1" }, "performedDateTime": "2025-04-01",
            "performer": [{ "actor": { "reference": "Practitioner/pr-1" } }]
        }),
        json!({
            "resourceType": "CarePlan", "id": "cp-1", "identifier": identifier("CP-1"), "status": "active",
            "intent": "plan", "category": [coding("http://snomed.info/sct", "386053000")], "subject": subject,
            "encounter": { "reference": "Encounter/enc-1" },
            "period": { "start": "2025-03-01", "end": "2025-06-01" }
        }),
        json!({
            "resourceType": "Consent", "id": "con-1", "identifier": identifier("CON-1"), "status": "active",
            "scope": coding("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
            "category": [coding("http://loinc.org", "59284-0")], "patient": subject,
            "dateTime": "2025-03-01", "organization": [{ "reference": "Organization/org-1" }],
            "policyRule": coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN"),
            "provision": { "type": "permit", "period": { "start": "2025-03-01", "end": "2026-03-01" } }
        }),
    ]
}

/// The search value that must find a resource indexed with `value`.
fn search_text(value: &IndexValue) -> Option<String> {
    let instant = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| t.to_string())
    };
    Some(match value {
        IndexValue::Token {
            system: Some(system),
            code,
        } => format!("{system}|{code}"),
        IndexValue::Token { system: None, code } => code.clone(),
        IndexValue::String { exact, .. } => exact.clone(),
        IndexValue::Date { low, high } if *low != i64::MIN => format!("ge{}", instant(*low)?),
        IndexValue::Date { high, .. } => format!("le{}", instant(high - 1)?),
        IndexValue::Reference {
            target_type: Some(t),
            id: Some(id),
            ..
        } => format!("{t}/{id}"),
        IndexValue::Reference { .. } => return None,
        IndexValue::Quantity {
            value,
            system,
            code,
            ..
        } => format!(
            "{value}|{}|{}",
            system.as_deref().unwrap_or_default(),
            code.as_deref().unwrap_or_default()
        ),
        IndexValue::Number(v) => v.to_string(),
        IndexValue::Uri(u) => u.clone(),
    })
}

/// The record service on `db`, and a city-wide writer.
async fn service(db: &store::Db) -> (Clinical, Actor) {
    let keys = Arc::new(Keyring::for_tests());
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .unwrap();
    let clinical = Clinical::open(db.clone(), keys, ledger).await.unwrap();
    let actor = Actor {
        user_id: "doc".into(),
        organisation_id: "hospital-a".into(),
        read: Some(RecordScope::City),
        write: true,
        purpose: PurposeOfUse::Treatment,
    };
    (clinical, actor)
}

#[tokio::test]
async fn every_search_parameter_finds_what_it_indexes() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, actor) = service(db).await;
        let mut searched = std::collections::BTreeSet::new();
        for example in examples() {
            let t = example["resourceType"].as_str().unwrap().to_owned();
            let id = example["id"].as_str().unwrap().to_owned();
            let stored = clinical
                .update(&actor, &t, &id, example, None)
                .await
                .unwrap_or_else(|e| panic!("{t}/{id}: {e}"));
            for entry in fhir::index_entries(&stored.resource) {
                let Some(text) = search_text(&entry.value) else {
                    continue;
                };
                let params = vec![(entry.param.to_owned(), text.clone())];
                let request = SearchRequest::parse(&t, &params, false)
                    .unwrap_or_else(|e| panic!("{t}?{}={text}: {e:?}", entry.param));
                let found = clinical.search(&actor, &request).await.unwrap();
                assert!(
                    found.matches.iter().any(|r| r.id == id),
                    "{t}?{}={text} does not find {t}/{id}",
                    entry.param
                );
                searched.insert((t.clone(), entry.param));
            }
        }
        // Every parameter of every writable core type was exercised.
        let mut missing = Vec::new();
        for core in fhir::CoreType::ALL {
            if core == fhir::CoreType::AuditEvent {
                continue; // served from the ledger, not stored
            }
            for param in fhir::search_params(core.as_str()) {
                if !searched.contains(&(core.as_str().to_owned(), param.name)) {
                    missing.push(format!("{}.{}", core.as_str(), param.name));
                }
            }
        }
        assert!(missing.is_empty(), "no example value for {missing:?}");
    }
}

#[tokio::test]
async fn every_r4_type_is_stored_read_and_found_by_id_update_time_and_patient() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, actor) = service(db).await;
        let patient = clinical
            .create(
                &actor,
                json!({ "resourceType": "Patient", "gender": "male" }),
                None,
            )
            .await
            .unwrap();
        let reference = json!({ "reference": format!("Patient/{}", patient.id) });
        let mut patient_linked = 0;
        for &t in fhir::ALL_RESOURCE_TYPES {
            if t == "AuditEvent" {
                continue; // read-only: generated from the ledger
            }
            let mut resource = json!({ "resourceType": t });
            // The element the `patient` parameter reads, when the type has one.
            let patient_param = fhir::search_param(t, "patient");
            if let Some(path) = patient_param.and_then(|p| p.paths.first()) {
                let mut node = &mut resource;
                let parts: Vec<&str> = path.split('.').collect();
                for (n, part) in parts.iter().enumerate() {
                    if n + 1 == parts.len() {
                        node[*part] = reference.clone();
                    } else {
                        node = &mut node[*part];
                    }
                }
            }
            let created = match clinical.create(&actor, resource.clone(), None).await {
                Ok(c) => c,
                // Core types have required elements; they are covered by the test above.
                Err(clinical::ClinicalError::Invalid(_)) if fhir::CoreType::parse(t).is_some() => {
                    continue;
                }
                Err(e) => panic!("{t}: {e} ({resource})"),
            };
            let read = clinical.read(&actor, t, &created.id).await.unwrap();
            assert_eq!(read.body["resourceType"], t);
            assert_eq!(
                clinical
                    .history(&actor, t, &created.id)
                    .await
                    .unwrap()
                    .len(),
                1
            );
            let by = |name: &str, value: String| {
                SearchRequest::parse(t, &[(name.to_owned(), value)], false).unwrap()
            };
            let found = clinical
                .search(&actor, &by("_id", created.id.clone()))
                .await
                .unwrap();
            assert_eq!(found.total, 1, "{t}?_id");
            let since = jiff::Timestamp::from_millisecond(created.last_updated - 1)
                .unwrap()
                .to_string();
            let recent = clinical
                .search(&actor, &by("_lastUpdated", format!("ge{since}")))
                .await
                .unwrap();
            assert!(
                recent.matches.iter().any(|r| r.id == created.id),
                "{t}?_lastUpdated"
            );
            if patient_param.is_some() {
                let mine = clinical
                    .search(&actor, &by("patient", format!("Patient/{}", patient.id)))
                    .await
                    .unwrap();
                assert!(
                    mine.matches.iter().any(|r| r.id == created.id),
                    "{t}?patient"
                );
                assert!(read.patient_id.is_some(), "{t} joins the patient's record");
                // (Condition too: R4 requires only its subject.)
                if fhir::CoreType::parse(t).is_none() {
                    patient_linked += 1;
                }
            }
        }
        let expected = fhir::ALL_RESOURCE_TYPES
            .iter()
            .filter(|t| fhir::CoreType::parse(t).is_none())
            .filter(|t| fhir::search_param(t, "patient").is_some())
            .count();
        assert_eq!(
            patient_linked, expected,
            "every other type with a patient parameter"
        );
    }
}
