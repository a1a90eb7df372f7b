//! The counts measured from arriving records, through the clinical record service on both
//! backends: an LDL-C result (created, corrected, deleted), a spirometry in a transaction and
//! a stroke rehabilitation follow-up each change their register's indicator at once.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;

use access::RecordScope;
use clinical::{Actor, Clinical, FormValue};
use jiff::civil::Date;
use ledger::{Ledger, PurposeOfUse};
use registry::{RegisterCounts, RegisterFilter};
use serde_json::{Value, json};
use store::Db;
use store::testing::TestDatabases;
use vault::Keyring;

fn doctor() -> Actor {
    Actor {
        user_id: "doc-a".into(),
        organisation_id: "hospital-a".into(),
        read: Some(RecordScope::Linked {
            organisations: vec!["hospital-a".into()],
            districts: vec![],
        }),
        write: true,
        purpose: PurposeOfUse::Treatment,
    }
}

async fn service(db: &Db) -> Clinical {
    db.migrate(&[
        records::migrations(),
        registry::migrations(),
        ledger::migrations(),
    ])
    .await
    .unwrap();
    let keys = Arc::new(Keyring::for_tests());
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .unwrap();
    Clinical::open(db.clone(), keys, ledger).await.unwrap()
}

fn condition(patient: &str, code: &str) -> Value {
    json!({
        "resourceType": "Condition",
        "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": code }] },
        "subject": { "reference": format!("Patient/{patient}") },
        "onsetDateTime": "2025-03-01"
    })
}

fn ldl(patient: &str, mmol_per_l: f64, on: Date) -> Value {
    json!({
        "resourceType": "Observation",
        "status": "final",
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory" }] }],
        "code": { "coding": [{ "system": "http://loinc.org", "code": "13457-7" }], "text": "LDL-C" },
        "subject": { "reference": format!("Patient/{patient}") },
        "effectiveDateTime": on.to_string(),
        "valueQuantity": { "value": mmol_per_l, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L" }
    })
}

fn values(pairs: &[(&str, &str)]) -> Vec<FormValue> {
    pairs
        .iter()
        .map(|(key, text)| FormValue {
            key: (*key).into(),
            text: (*text).into(),
            unit: String::new(),
        })
        .collect()
}

async fn counts(clinical: &Clinical, disease: &str, today: Date) -> RegisterCounts {
    let filter = RegisterFilter {
        disease: Some(disease.into()),
        ..RegisterFilter::default()
    };
    clinical
        .registers()
        .counts(&filter, today, 4, 104)
        .await
        .unwrap()
}

#[tokio::test]
async fn results_examinations_and_assessments_change_their_indicators() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let clinical = service(db).await;
        let a = doctor();
        let today = clinical::today();
        let yesterday = today.yesterday().unwrap();
        let patient = clinical
            .create(
                &a,
                json!({
                    "resourceType": "Patient",
                    "identifier": [{ "system": "urn:oid:2.16.156.10011.1.1", "value": "11010519491231002X" }],
                    "name": [{ "family": "王", "given": ["芳"] }],
                    "gender": "female",
                    "birthDate": "1949-12-31"
                }),
                None,
            )
            .await
            .unwrap()
            .id;
        let mut enrolment = std::collections::HashMap::new();
        for code in ["I25.1", "J44.9", "I63.9"] {
            let c = clinical
                .create(&a, condition(&patient, code), None)
                .await
                .unwrap();
            let e = &c.enrolled[0];
            enrolment.insert(e.disease.clone(), e.id.clone());
        }

        // Coronary heart disease: under management after a follow-up, no LDL-C yet.
        clinical
            .record_followup(
                &a,
                &enrolment["chd"],
                yesterday,
                &values(&[
                    ("sbp", "126"),
                    ("dbp", "76"),
                    ("heart_rate", "70"),
                    ("weight", "60"),
                    ("smoking", "0"),
                ]),
            )
            .await
            .unwrap();
        let before = counts(&clinical, "chd", today).await;
        assert_eq!((before.followed_up, before.at_target), (1, 0));
        // A laboratory's LDL-C below the template's 1.8 mmol/L: at target.
        let met = clinical
            .create(&a, ldl(&patient, 1.5, yesterday), None)
            .await
            .unwrap();
        assert_eq!(counts(&clinical, "chd", today).await.at_target, 1);
        // A later test above it: the latest counts.
        let later = clinical
            .create(&a, ldl(&patient, 2.9, today), None)
            .await
            .unwrap();
        assert_eq!(counts(&clinical, "chd", today).await.at_target, 0);
        // That result deleted: the earlier one is the latest again.
        clinical.delete(&a, "Observation", &later.id).await.unwrap();
        assert_eq!(counts(&clinical, "chd", today).await.at_target, 1);
        // The earlier one corrected: 1.5 was a typing slip for 2.5.
        let mut corrected = ldl(&patient, 2.5, yesterday);
        corrected["status"] = json!("corrected");
        clinical
            .update(&a, "Observation", &met.id, corrected, None)
            .await
            .unwrap();
        assert_eq!(counts(&clinical, "chd", today).await.at_target, 0);
        // An LDL-C typed into a follow-up form arrives as an Observation like any other.
        clinical
            .record_followup(
                &a,
                &enrolment["chd"],
                today,
                &values(&[
                    ("sbp", "124"),
                    ("dbp", "74"),
                    ("heart_rate", "68"),
                    ("weight", "60"),
                    ("smoking", "0"),
                    ("ldl_c", "1.6"),
                ]),
            )
            .await
            .unwrap();
        assert_eq!(counts(&clinical, "chd", today).await.at_target, 1);

        // COPD: a spirometry sent as a Procedure in a transaction.
        clinical
            .record_followup(
                &a,
                &enrolment["copd"],
                yesterday,
                &values(&[
                    ("cat", "8"),
                    ("mmrc", "1"),
                    ("spo2", "95"),
                    ("heart_rate", "76"),
                    ("smoking", "0"),
                ]),
            )
            .await
            .unwrap();
        assert_eq!(counts(&clinical, "copd", today).await.examined, 0);
        let bundle = json!({
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [{
                "resource": {
                    "resourceType": "Procedure",
                    "status": "completed",
                    "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "127783003", "display": "Spirometry" }] },
                    "subject": { "reference": format!("Patient/{patient}") },
                    "performedDateTime": yesterday.to_string()
                },
                "request": { "method": "POST", "url": "Procedure" }
            }]
        });
        clinical.bundle(&a, &bundle, "").await.unwrap();
        let copd = counts(&clinical, "copd", today).await;
        assert_eq!((copd.followed_up, copd.examined), (1, 1));

        // Stroke: a follow-up that recorded mRS is a rehabilitation follow-up.
        assert_eq!(counts(&clinical, "stroke", today).await.assessed, 0);
        clinical
            .record_followup(
                &a,
                &enrolment["stroke"],
                today,
                &values(&[
                    ("mrs", "2"),
                    ("sbp", "132"),
                    ("dbp", "82"),
                    ("heart_rate", "72"),
                    ("smoking", "0"),
                ]),
            )
            .await
            .unwrap();
        let stroke = counts(&clinical, "stroke", today).await;
        assert_eq!((stroke.registered, stroke.assessed), (1, 1));
        // Measures stay on their own register.
        assert_eq!(counts(&clinical, "chd", today).await.examined, 0);
    }
}
