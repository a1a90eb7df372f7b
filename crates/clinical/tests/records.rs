//! The clinical record service on both backends: one record per resident however many
//! hospitals send data, visibility by the actor's reach, case finding, transactions, and the
//! ledger entry of every access.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;

use access::RecordScope;
use clinical::{Actor, Clinical, ClinicalError};
use fhir::SearchRequest;
use ledger::{Ledger, PurposeOfUse};
use registry::CareTeam;
use serde_json::{Value, json};
use store::Db;
use store::testing::TestDatabases;
use vault::Keyring;

const WANG_ID: &str = "11010519491231002X";

fn doctor(user: &str, organisation: &str) -> Actor {
    Actor {
        user_id: user.into(),
        organisation_id: organisation.into(),
        read: Some(RecordScope::Linked {
            organisations: vec![organisation.into()],
            districts: vec![],
        }),
        write: true,
        purpose: PurposeOfUse::Treatment,
    }
}

fn wang() -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{ "system": "urn:oid:2.16.156.10011.1.1", "value": WANG_ID }],
        "name": [{ "family": "王", "given": ["芳"] }],
        "gender": "female",
        "birthDate": "1949-12-31"
    })
}

fn condition(patient: &str, system: &str, code: &str) -> Value {
    json!({
        "resourceType": "Condition",
        "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
        "code": { "coding": [{ "system": system, "code": code }] },
        "subject": { "reference": format!("Patient/{patient}") },
        "onsetDateTime": "2025-03-01"
    })
}

fn blood_pressure(patient: &str, systolic: f64) -> Value {
    json!({
        "resourceType": "Observation",
        "status": "final",
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs" }] }],
        "code": { "coding": [{ "system": "http://loinc.org", "code": "8480-6" }] },
        "subject": { "reference": format!("Patient/{patient}") },
        "effectiveDateTime": "2025-03-01T09:30:00+08:00",
        "valueQuantity": { "value": systolic, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]" }
    })
}

fn search(resource_type: &str, params: &[(&str, &str)]) -> SearchRequest {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    SearchRequest::parse(resource_type, &params, false).unwrap()
}

async fn service(db: &Db) -> (Clinical, Ledger) {
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
    (
        Clinical::open(db.clone(), keys, ledger.clone())
            .await
            .unwrap(),
        ledger,
    )
}

#[tokio::test]
async fn one_record_per_resident_seen_only_within_reach() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, ledger) = service(db).await;
        let a = doctor("doc-a", "hospital-a");
        let b = doctor("doc-b", "hospital-b");
        let c = doctor("doc-c", "hospital-c");

        let pa = clinical.create(&a, wang(), None).await.unwrap();
        assert!(pa.created);
        let cond = clinical
            .create(
                &a,
                condition(&pa.id, "http://hl7.org/fhir/sid/icd-10", "I10"),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            cond.enrolled.len(),
            1,
            "I10 enrols in the hypertension register"
        );
        assert_eq!(cond.enrolled[0].disease, "hypertension");
        assert!(!cond.enrolled[0].reason_zh.is_empty());
        clinical
            .create(&a, blood_pressure(&pa.id, 152.0), None)
            .await
            .unwrap();

        // Hospital C serves nobody here: it sees nothing, and the total does not tell.
        let obs = search("Observation", &[("code", "http://loinc.org|8480-6")]);
        let seen_by_c = clinical.search(&c, &obs).await.unwrap();
        assert_eq!((seen_by_c.total, seen_by_c.matches.len()), (0, 0));
        assert!(matches!(
            clinical.read(&c, "Patient", &pa.id).await,
            Err(ClinicalError::NotFound { .. })
        ));
        assert!(matches!(
            clinical
                .create(&c, blood_pressure(&pa.id, 120.0), None)
                .await,
            Err(ClinicalError::PatientOutOfScope(_))
        ));

        // Hospital B sends its own record of the same person: the master index links it, and
        // B then sees A's data too (one record per resident).
        let mut at_b = wang();
        at_b["telecom"] = json!([{ "system": "phone", "value": "13912345678" }]);
        let pb = clinical.create(&b, at_b, None).await.unwrap();
        assert_ne!(pb.id, pa.id);
        let seen_by_b = clinical.search(&b, &obs).await.unwrap();
        assert_eq!(seen_by_b.total, 1);
        let everything = clinical.everything(&b, &pb.id).await.unwrap();
        assert_eq!(everything[0].id, pb.id, "the requested Patient comes first");
        let types: Vec<&str> = everything
            .iter()
            .map(|r| r.resource_type.as_str())
            .collect();
        assert_eq!(
            types.len(),
            4,
            "two Patients, a Condition and an Observation: {types:?}"
        );
        let resident = everything[0].patient_id.clone().unwrap();
        assert_eq!(everything[1].patient_id.as_deref(), Some(resident.as_str()));

        // The resident herself, once her account is linked, sees her own record.
        clinical
            .residents()
            .set_care_team(
                &resident,
                &CareTeam {
                    user_id: Some("user-wang".into()),
                    ..CareTeam::default()
                },
            )
            .await
            .unwrap();
        let herself = Actor {
            user_id: "user-wang".into(),
            organisation_id: "public".into(),
            read: Some(RecordScope::Own),
            write: false,
            purpose: PurposeOfUse::PatientRequest,
        };
        assert_eq!(clinical.search(&herself, &obs).await.unwrap().total, 1);
        assert!(matches!(
            clinical
                .create(&herself, blood_pressure(&pa.id, 120.0), None)
                .await,
            Err(ClinicalError::Forbidden(_))
        ));
        let stranger = Actor {
            user_id: "user-li".into(),
            ..herself.clone()
        };
        assert_eq!(clinical.search(&stranger, &obs).await.unwrap().total, 0);

        // Every access is on the ledger, under the resident, with its purpose.
        let entries = ledger
            .entries_for_subject("resident", &resident, 100)
            .await
            .unwrap();
        let actions: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.event.actor.as_str(), e.event.action.as_str()))
            .collect();
        for expected in [
            ("doc-a", "fhir.create"),
            ("doc-b", "fhir.search"),
            ("doc-b", "fhir.everything"),
            ("user-wang", "fhir.search"),
        ] {
            assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
        }
        assert!(
            !actions
                .iter()
                .any(|(who, _)| *who == "doc-c" || *who == "user-li")
        );
    }
}

#[tokio::test]
async fn transactions_are_atomic_and_resolve_references() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, _) = service(db).await;
        let a = doctor("doc-a", "hospital-a");
        let bundle = json!({
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                { "fullUrl": "urn:uuid:7f1c0d5e-1111-4c4c-8888-000000000001",
                  "resource": condition("placeholder", "http://hl7.org/fhir/sid/icd-10", "E11.9"),
                  "request": { "method": "POST", "url": "Condition" } },
                { "fullUrl": "urn:uuid:7f1c0d5e-1111-4c4c-8888-000000000002",
                  "resource": wang(),
                  "request": { "method": "POST", "url": "Patient", "ifNoneExist": format!("identifier=urn:oid:2.16.156.10011.1.1|{WANG_ID}") } }
            ]
        });
        let mut bundle = bundle;
        bundle["entry"][0]["resource"]["subject"]["reference"] =
            json!("urn:uuid:7f1c0d5e-1111-4c4c-8888-000000000002");
        let response = clinical.bundle(&a, &bundle, "http://x/fhir").await.unwrap();
        assert_eq!(response["type"], "transaction-response");
        let statuses: Vec<&str> = response["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["response"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["201 Created", "201 Created"]);
        let condition_subject = response["entry"][0]["resource"]["subject"]["reference"]
            .as_str()
            .unwrap();
        let patient_id = response["entry"][1]["resource"]["id"].as_str().unwrap();
        assert_eq!(condition_subject, format!("Patient/{patient_id}"));
        let patients = clinical.search(&a, &search("Patient", &[])).await.unwrap();
        let resident = patients.matches[0].patient_id.clone().unwrap();
        let enrolled = clinical.registers().enrolments_of(&resident).await.unwrap();
        assert_eq!(enrolled[0].disease, "t2dm");

        // The same Patient again: the conditional create finds it, and nothing new is made.
        let again = clinical.bundle(&a, &bundle, "http://x/fhir").await.unwrap();
        assert_eq!(again["entry"][1]["response"]["status"], "200 OK");
        assert_eq!(again["entry"][1]["resource"]["id"], patient_id);
        assert_eq!(
            again["entry"][0]["resource"]["subject"]["reference"],
            format!("Patient/{patient_id}"),
            "references to the conditional entry point at the match"
        );
        assert_eq!(
            clinical
                .search(&a, &search("Patient", &[]))
                .await
                .unwrap()
                .total,
            1
        );

        // One bad entry fails the whole transaction, with the path of the offending element.
        let conditions_before = clinical
            .search(&a, &search("Condition", &[]))
            .await
            .unwrap()
            .total;
        let mut broken = bundle.clone();
        broken["entry"][1]["request"] = json!({ "method": "POST", "url": "Patient" });
        broken["entry"][1]["resource"]["birthDate"] = json!("1949-13-31");
        let Err(ClinicalError::Invalid(issues)) =
            clinical.bundle(&a, &broken, "http://x/fhir").await
        else {
            panic!("an invalid entry fails the transaction");
        };
        assert!(
            issues
                .iter()
                .any(|i| i.expression.starts_with("Bundle.entry[1].resource.")
                    && i.expression.ends_with("birthDate")),
            "{issues:?}"
        );
        assert_eq!(
            clinical
                .search(&a, &search("Condition", &[]))
                .await
                .unwrap()
                .total,
            conditions_before,
            "nothing of the failed transaction was written"
        );
    }
}

#[tokio::test]
async fn updates_check_versions_and_audit_events_are_read_only() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, _) = service(db).await;
        let a = doctor("doc-a", "hospital-a");
        let p = clinical.create(&a, wang(), None).await.unwrap();
        let mut changed = p.resource.clone();
        changed["gender"] = json!("female");
        changed["birthDate"] = json!("1949-12-31");
        let v2 = clinical
            .update(&a, "Patient", &p.id, changed.clone(), Some(1))
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        assert!(matches!(
            clinical
                .update(&a, "Patient", &p.id, changed, Some(1))
                .await,
            Err(ClinicalError::VersionConflict(_))
        ));
        assert_eq!(
            clinical.history(&a, "Patient", &p.id).await.unwrap().len(),
            2
        );
        assert!(matches!(
            clinical
                .create(&a, json!({ "resourceType": "AuditEvent" }), None)
                .await,
            Err(ClinicalError::ReadOnly(_))
        ));
        clinical.delete(&a, "Patient", &p.id).await.unwrap();
        assert!(matches!(
            clinical.read(&a, "Patient", &p.id).await,
            Err(ClinicalError::Gone { .. })
        ));
        let e = clinical
            .create(
                &a,
                json!({ "resourceType": "Observation", "status": "final" }),
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(
            e.issues()
                .iter()
                .any(|i| i.expression.contains("Observation.code")),
            "{:?}",
            e.issues()
        );
    }
}

#[tokio::test]
async fn a_followup_is_checked_by_its_template_and_kept_on_the_register() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, _) = service(db).await;
        let a = doctor("doc-a", "hospital-a");
        let p = clinical.create(&a, wang(), None).await.unwrap();
        let c = clinical
            .create(
                &a,
                condition(&p.id, "http://hl7.org/fhir/sid/icd-10", "I10"),
                None,
            )
            .await
            .unwrap();
        let enrolment = &c.enrolled[0];
        let form = |sbp: &str, dbp: &str, unit: &str| {
            let canonical = |key: &str, text: &str| clinical::FormValue {
                key: key.into(),
                text: text.into(),
                unit: String::new(),
            };
            vec![
                canonical("heart_rate", "72"),
                canonical("weight", "61.5"),
                canonical("bmi", "23.4"),
                canonical("smoking", "0"),
                clinical::FormValue {
                    key: "sbp".into(),
                    text: sbp.into(),
                    unit: unit.into(),
                },
                clinical::FormValue {
                    key: "dbp".into(),
                    text: dbp.into(),
                    unit: unit.into(),
                },
            ]
        };
        let day = jiff::civil::date(2025, 6, 1);

        let Err(ClinicalError::Form(problems)) = clinical
            .record_followup(&a, &enrolment.id, day, &form("abc", "400", ""))
            .await
        else {
            panic!("bad values are refused");
        };
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert!(
            keys.contains(&"sbp") && keys.contains(&"dbp"),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.zh.contains("合理范围")),
            "{problems:?}"
        );
        let Err(ClinicalError::Form(problems)) = clinical
            .record_followup(
                &a,
                &enrolment.id,
                jiff::civil::date(2099, 1, 1),
                &form("130", "80", ""),
            )
            .await
        else {
            panic!("a future visit is refused");
        };
        assert_eq!(problems[0].key, "visit_date");

        // 24.7 kPa is 185 mmHg: converted, judged uncontrolled, and a danger sign.
        let done = clinical
            .record_followup(&a, &enrolment.id, day, &form("24.7", "12.7", "kPa"))
            .await
            .unwrap();
        assert!(matches!(
            done.control,
            diseases::ControlStatus::NotControlled { .. }
        ));
        assert!(!done.danger.is_empty(), "SBP ≥180 needs referral");
        let sbp = done.measurements.iter().find(|q| q.key == "sbp").unwrap();
        assert!((sbp.value - 185.3).abs() < 0.5, "{}", sbp.value);
        assert_eq!(done.enrolment.last_visit, Some(day));
        assert_eq!(done.enrolment.last_controlled, Some(false));
        let encounter_id = done.encounter.trim_start_matches("Encounter/");
        let obs = clinical
            .search(
                &a,
                &search(
                    "Observation",
                    &[("encounter", &format!("Encounter/{encounter_id}"))],
                ),
            )
            .await
            .unwrap();
        assert_eq!(obs.total, 6, "one Observation per measurement");
        let visits = clinical.registers().visits(&enrolment.id).await.unwrap();
        assert_eq!(visits.len(), 1);
        assert!(visits[0].danger);
    }
}

#[tokio::test]
async fn provenance_and_register_reach_follow_the_sender() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, _) = service(db).await;
        let a = doctor("doc-a", "hospital-a");
        let mut claimed = wang();
        claimed["meta"] = json!({ "source": "urn:somewhere-else" });
        let p = clinical.create(&a, claimed, None).await.unwrap();
        assert_eq!(
            clinical::source_organisation(&p.resource),
            Some("hospital-a")
        );
        clinical
            .create(
                &a,
                condition(&p.id, "http://snomed.info/sct", "38341003"),
                None,
            )
            .await
            .unwrap();
        let resident = clinical
            .read(&a, "Patient", &p.id)
            .await
            .unwrap()
            .patient_id
            .unwrap();
        let record = clinical.resident_record(&a, &resident).await.unwrap();
        assert_eq!(record.len(), 2);
        let filter = |reach| registry::RegisterFilter {
            reach,
            limit: 10,
            ..registry::RegisterFilter::default()
        };
        let reach_a = clinical.register_reach(&a).await.unwrap();
        assert_eq!(
            clinical.registers().count(&filter(reach_a)).await.unwrap(),
            1
        );
        let c = doctor("doc-c", "hospital-c");
        let reach_c = clinical.register_reach(&c).await.unwrap();
        assert_eq!(
            clinical.registers().count(&filter(reach_c)).await.unwrap(),
            0
        );
        assert!(matches!(
            clinical.resident_record(&c, &resident).await,
            Err(ClinicalError::NotFound { .. })
        ));
    }
}

#[tokio::test]
async fn an_uncertain_match_waits_for_its_sender_to_decide() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, ledger) = service(db).await;
        let a = doctor("doc-a", "hospital-a");
        let b = doctor("doc-b", "hospital-b");
        let first = clinical.create(&a, wang(), None).await.unwrap();
        // Hospital B knows the same name, birth date and sex but no ID number: a namesake is
        // possible, so a person decides.
        let unsure = json!({
            "resourceType": "Patient",
            "name": [{ "family": "王", "given": ["芳"] }],
            "gender": "female",
            "birthDate": "1949-12-31"
        });
        let second = clinical.create(&b, unsure, None).await.unwrap();
        let obs = clinical
            .create(&b, blood_pressure(&second.id, 141.0), None)
            .await
            .unwrap();
        // A diagnosis on the unconfirmed record is kept, but enrols nobody yet.
        let diagnosis = clinical
            .create(
                &b,
                condition(&second.id, "http://hl7.org/fhir/sid/icd-10", "E11.9"),
                None,
            )
            .await
            .unwrap();
        assert!(diagnosis.enrolled.is_empty());
        let provisional = clinical.read(&b, "Observation", &obs.id).await.unwrap();
        let review_id = provisional.patient_id.clone().unwrap();
        assert!(
            clinical.read(&a, "Patient", &second.id).await.is_err(),
            "A does not see B's unconfirmed record"
        );
        assert!(
            clinical.open_reviews(&a).await.unwrap().is_empty(),
            "A does not decide B's"
        );
        let reviews = clinical.open_reviews(&b).await.unwrap();
        assert_eq!(reviews.len(), 1);
        let candidate = reviews[0].candidates[0].resident_id.clone();

        let resident = clinical
            .decide_review(
                &b,
                &review_id,
                registry::ReviewDecision::SameAs(candidate.clone()),
            )
            .await
            .unwrap();
        assert_eq!(resident, candidate);
        let moved = clinical.read(&a, "Observation", &obs.id).await.unwrap();
        assert_eq!(moved.patient_id.as_deref(), Some(resident.as_str()));
        let record = clinical.everything(&a, &first.id).await.unwrap();
        assert_eq!(
            record.len(),
            4,
            "both Patients and B's Observation and Condition, now one record"
        );
        let registers = clinical.registers().enrolments_of(&resident).await.unwrap();
        assert_eq!(
            registers
                .iter()
                .map(|e| e.disease.as_str())
                .collect::<Vec<_>>(),
            ["t2dm"],
            "the diagnosis that waited for the review enrols the resident once it is placed"
        );
        assert!(clinical.open_reviews(&b).await.unwrap().is_empty());
        let merges = ledger
            .entries_for_subject("resident", &resident, 100)
            .await
            .unwrap();
        assert!(merges.iter().any(|e| e.event.action == "registry.merge"));
    }
}

#[tokio::test]
async fn a_transaction_sent_twice_is_applied_once() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, _) = service(db).await;
        let a = doctor("doc-a", "hospital-a");
        let p = clinical.create(&a, wang(), None).await.unwrap();
        let bundle = |value: f64| {
            json!({
                "resourceType": "Bundle",
                "type": "transaction",
                "identifier": { "system": "urn:hospital-a:his", "value": "batch-0001" },
                "entry": [{ "resource": blood_pressure(&p.id, value), "request": { "method": "POST", "url": "Observation" } }]
            })
        };
        let obs = search("Observation", &[]);
        let first = clinical.bundle(&a, &bundle(150.0), "").await.unwrap();
        let again = clinical.bundle(&a, &bundle(150.0), "").await.unwrap();
        assert_eq!(
            first["entry"][0]["response"]["location"], again["entry"][0]["response"]["location"],
            "the replay answers what the first run did"
        );
        assert_eq!(clinical.search(&a, &obs).await.unwrap().total, 1);
        // Another sender may use the same identifier for its own Bundle.
        let b = doctor("doc-b", "hospital-b");
        let mut theirs = wang();
        theirs["identifier"][0]["value"] = json!("110105194912310046");
        let pb = clinical.create(&b, theirs, None).await.unwrap();
        let mut other = bundle(120.0);
        other["entry"][0]["resource"]["subject"]["reference"] = json!(format!("Patient/{}", pb.id));
        clinical.bundle(&b, &other, "").await.unwrap();

        // A failed transaction frees its identifier for the corrected Bundle.
        let mut fresh = bundle(900.0);
        fresh["identifier"]["value"] = json!("batch-0002");
        let Err(ClinicalError::Invalid(issues)) = clinical.bundle(&a, &fresh, "").await else {
            panic!("a blood pressure of 900 is refused");
        };
        assert_eq!(
            issues[0].expression,
            "Bundle.entry[0].resource.valueQuantity.value"
        );
        fresh["entry"][0]["resource"]["valueQuantity"]["value"] = json!(150);
        clinical.bundle(&a, &fresh, "").await.unwrap();
        assert_eq!(clinical.search(&a, &obs).await.unwrap().total, 2);
    }
}
