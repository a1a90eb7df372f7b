//! The online convenience clinic through the HTTP API on both backends, with the demo city's
//! pilots (`demo::generate_clinic`): the issue's demo path (a stable hypertensive resident,
//! the demo doctor, a 12-week prescription, the pharmacist's approval), a first visit turned
//! away with the reason, and the abuse cases: a double-submitted prescription, two
//! pharmacists at once, a stranger at another's consultation, a pharmacist editing, bad input.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::{
    App, DEMO_RESIDENTS, add_demo_records, app, call_with as call, demo_resident, token,
};

struct Demo {
    resident: String,
    doctor: String,
    hospital: String,
    patient: String,
    physician: String,
    pharmacist: String,
}

async fn demo(app: &App) -> Demo {
    add_demo_records(app, DEMO_RESIDENTS).await;
    demo::generate_clinic(&app.accounts, &app.clinic, kernel::UtcMillis::now())
        .await
        .unwrap();
    let (_, resident) = demo_resident(app).await;
    let doctor_id = app
        .accounts
        .user_id_by_username("doctor")
        .await
        .unwrap()
        .unwrap();
    let hospital = app
        .accounts
        .user(&doctor_id)
        .await
        .unwrap()
        .unwrap()
        .organisation_id;
    Demo {
        resident,
        doctor: doctor_id,
        hospital,
        patient: token(app, "resident").await,
        physician: token(app, "doctor").await,
        pharmacist: token(app, "pharmacist").await,
    }
}

fn request_body(d: &Demo, disease: &str) -> Value {
    json!({ "resident_id": d.resident, "hospital_id": d.hospital, "doctor_id": d.doctor, "disease": disease, "complaint": "血压平稳，申请续方" })
}

fn twelve_weeks() -> Value {
    json!({
        "draft": {
            "lines": [{ "drug": "amlodipine-5mg-tab", "dose": 5, "frequency": "qd", "days": 84, "packs": 3 }],
            "long_term": { "evaluation": "诊断明确，血压控制达标，用药方案稳定", "patient_confirmed": false },
            "validity_days": 3
        }
    })
}

/// A consultation requested by the demo resident and accepted by the demo doctor.
async fn accepted(app: &App, d: &Demo) -> String {
    let r = call(
        app,
        &d.patient,
        "POST",
        "/clinic/consultations",
        Some(request_body(d, "hypertension")),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = call(
        app,
        &d.physician,
        "POST",
        &format!("/clinic/consultations/{id}/accept"),
        Some(json!({ "confirms_follow_up": true })),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    id
}

async fn both(check: impl AsyncFn(&App, &Demo)) {
    let dbs = store::testing::TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let d = demo(&app).await;
        check(&app, &d).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issues_demo_path_through_the_api() {
    both(async |app, d| {
        let pilots = call(app, &d.patient, "GET", "/clinic/pilots", None, &[])
            .await
            .json();
        assert_eq!(
            pilots["pilots"].as_array().unwrap().len(),
            10,
            "the seed's 10 pilots"
        );
        assert_eq!(pilots["ranking"][0]["hospital_id"], d.hospital.as_str());

        let id = accepted(app, d).await;
        let r = call(
            app,
            &d.patient,
            "POST",
            &format!("/clinic/consultations/{id}/messages"),
            Some(json!({ "body": "家庭血压 126/78" })),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = call(
            app,
            &d.patient,
            "POST",
            &format!("/clinic/consultations/{id}/confirm-long-term"),
            None,
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let rx = call(
            app,
            &d.physician,
            "POST",
            &format!("/clinic/consultations/{id}/prescriptions"),
            Some(twelve_weeks()),
            &[("idempotency-key", "demo-rx")],
        )
        .await;
        assert_eq!(rx.status, StatusCode::OK, "{}", rx.body);
        let rx = rx.json();
        assert_eq!(rx["state"], "awaiting-review");
        assert_eq!(rx["long_term"], true);
        let rx_id = rx["id"].as_str().unwrap();

        // Nothing is in force before review; the pharmacist's queue holds it.
        let queue = call(app, &d.pharmacist, "GET", "/clinic/review-queue", None, &[])
            .await
            .json();
        assert!(
            queue["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == rx_id)
        );
        let approved = call(
            app,
            &d.pharmacist,
            "POST",
            &format!("/clinic/prescriptions/{rx_id}/review"),
            Some(json!({ "decision": "approve" })),
            &[],
        )
        .await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
        let seen = call(
            app,
            &d.patient,
            "GET",
            &format!("/clinic/prescriptions/{rx_id}"),
            None,
            &[],
        )
        .await
        .json();
        assert_eq!(seen["state"], "approved");
        assert_eq!(seen["signature_valid"], true);

        let done = call(
            app,
            &d.physician,
            "POST",
            &format!("/clinic/consultations/{id}/complete"),
            Some(json!({ "note": "续开氨氯地平12周" })),
            &[],
        )
        .await;
        assert_eq!(done.json()["state"], "completed");

        // Every step is on the ledger under the resident.
        let actions: Vec<String> = app
            .ledger
            .entries_for_subject("resident", &d.resident, 500)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event.action)
            .collect();
        for step in [
            "clinic.consultation.request",
            "clinic.consultation.accept",
            "clinic.long-term.confirm",
            "clinic.prescription.sign",
            "clinic.prescription.approve",
            "clinic.consultation.complete",
        ] {
            assert!(
                actions.iter().any(|a| a == step),
                "{step} not on the ledger: {actions:?}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_visit_is_turned_away_with_the_reason() {
    both(async |app, d| {
        // The demo resident has no coronary diagnosis; the demo doctor's hospital offers it.
        let r = call(
            app,
            &d.patient,
            "POST",
            "/clinic/consultations",
            Some(request_body(d, "chd")),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let errors = r.json()["errors"].clone();
        assert_eq!(errors[0]["field"], "definite-diagnosis", "{errors}");
        assert!(
            errors[0]["message"].as_str().unwrap().contains("线下"),
            "{errors}"
        );
        let check = call(
            app,
            &d.patient,
            "POST",
            "/clinic/consultations/check",
            Some(request_body(d, "chd")),
            &[],
        )
        .await
        .json();
        assert_eq!(check["eligible"], false);
        assert_eq!(
            check["findings"].as_array().unwrap().len(),
            5,
            "every rule judged: {check}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_is_refused_with_a_clear_message() {
    both(async |app, d| {
        let id = accepted(app, d).await;
        call(app, &d.patient, "POST", &format!("/clinic/consultations/{id}/confirm-long-term"), None, &[]).await;

        // A double submit with one key writes one prescription.
        let uri = format!("/clinic/consultations/{id}/prescriptions");
        let a = call(app, &d.physician, "POST", &uri, Some(twelve_weeks()), &[("idempotency-key", "k-1")]).await.json();
        let b = call(app, &d.physician, "POST", &uri, Some(twelve_weeks()), &[("idempotency-key", "k-1")]).await.json();
        assert_eq!(a["id"], b["id"]);
        let queue = call(app, &d.pharmacist, "GET", "/clinic/review-queue", None, &[]).await.json();
        assert_eq!(queue["total"], 1);
        let rx = a["id"].as_str().unwrap();

        // A pharmacist cannot edit it; the attempt is refused and logged.
        let edit = call(app, &d.pharmacist, "PUT", &format!("/clinic/prescriptions/{rx}"), Some(json!({ "days": 7 })), &[]).await;
        assert_eq!(edit.status, StatusCode::FORBIDDEN, "{}", edit.body);
        assert!(edit.json()["detail"].as_str().unwrap().contains("不能修改"), "{}", edit.body);

        // Two pharmacists at once: one decision stands, the other gets 409.
        let second = {
            let hospital = &d.hospital;
            let id = app
                .accounts
                .create_user(access::NewUser {
                    username: "pharmacist.two".into(),
                    display_name: "第二药师（演示）".into(),
                    organisation_id: hospital.clone(),
                    password: demo::DEMO_PASSWORD.into(),
                    mobile: None,
                    grants: vec![access::Grant { role: access::Role::Pharmacist, scope: access::Scope::Organisation(hospital.clone()) }],
                    must_change_password: false,
                })
                .await
                .unwrap();
            app.accounts.create_token(&id, "second", 1).await.unwrap().0
        };
        let review = format!("/clinic/prescriptions/{rx}/review");
        let (x, y) = tokio::join!(
            call(app, &d.pharmacist, "POST", &review, Some(json!({ "decision": "approve" })), &[]),
            call(app, &second, "POST", &review, Some(json!({ "decision": "reject", "reason": "剂量需调整" })), &[]),
        );
        let mut statuses = [x.status, y.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} / {}", x.body, y.body);

        // Another resident cannot reach the consultation: 404, nothing told.
        let stranger_id = app.accounts.user_id_by_username("company").await.unwrap().unwrap();
        let stranger = app.accounts.create_token(&stranger_id, "stranger", 1).await.unwrap().0;
        let r = call(app, &stranger, "GET", &format!("/clinic/consultations/{id}"), None, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

        // Bad input names the field and what is allowed.
        let r = call(app, &d.patient, "POST", "/clinic/consultations", Some(json!({ "resident_id": 5 })), &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "body");
        let r = call(app, &d.patient, "GET", "/clinic/consultations?state=lost", None, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.json()["errors"][0]["message"].as_str().unwrap().contains("requested"));
        let r = call(app, &d.pharmacist, "POST", &review, Some(json!({ "decision": "maybe" })), &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // A prescription of a drug never allowed online: the line and the rule.
        let diazepam = json!({ "draft": { "lines": [{ "drug": "diazepam-2.5mg-tab", "dose": 2.5, "frequency": "qn", "days": 7, "packs": 1 }], "validity_days": 1 } });
        let r = call(app, &d.physician, "POST", &uri, Some(diazepam), &[("idempotency-key", "k-2")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "lines");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hospitals_keep_their_offering_and_doctors_credentials_through_the_api() {
    both(async |app, d| {
        let official = token(app, "health.official").await;
        // A doctor's credentials: a licence number is 15 digits, the first day of practice
        // not in the future.
        let uri = format!("/clinic/practitioners/{}", d.doctor);
        let bad = call(
            app,
            &d.physician,
            "PUT",
            &uri,
            Some(json!({ "licence_no": "12345", "practising_since": "2010-09-01" })),
            &[],
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert_eq!(bad.json()["errors"][0]["field"], "licence_no");
        let ok = call(
            app,
            &d.physician,
            "PUT",
            &uri,
            Some(json!({ "licence_no": "110320100099999", "practising_since": "2010-09-01" })),
            &[],
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        // Staff of another organisation cannot touch this hospital's offering.
        let offering_uri = format!("/clinic/hospitals/{}/offering", d.hospital);
        let r = call(
            app,
            &d.patient,
            "PUT",
            &offering_uri,
            Some(json!({ "conditions": ["hypertension"], "doctors": [] })),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        // The commission narrows it to hypertension; the change shows and is checked.
        let r = call(
            app,
            &official,
            "PUT",
            &offering_uri,
            Some(json!({ "conditions": ["hypertension"], "doctors": [d.doctor] })),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let now = call(app, &d.patient, "GET", &offering_uri, None, &[])
            .await
            .json();
        assert_eq!(now["conditions"], json!(["hypertension"]));
        let r = call(
            app,
            &official,
            "PUT",
            &offering_uri,
            Some(json!({ "conditions": ["cold"], "doctors": [] })),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        // Asking for diabetes there is now refused by the pilot rule.
        let r = call(
            app,
            &d.patient,
            "POST",
            "/clinic/consultations",
            Some(request_body(d, "t2dm")),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "pilot-offers-condition");
    })
    .await;
}
