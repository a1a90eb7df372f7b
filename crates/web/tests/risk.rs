//! The risk pages and API through HTTP on both backends, with the demo city: the calculator
//! (page and `POST /api/v1/risk/china-par`, its happy path and every field error), the
//! resident's own assessment, the community doctor's high-risk list (reach, consent, the
//! ledger), the officials' distribution (equal to a direct count) and the model registry.
//!
//! The demo's records hold no total or HDL cholesterol and no waist, so the test gives some
//! residents a lipid panel, a waist and a smoking status, sent by their hospital through the
//! clinical record service, before the scores are computed.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use access::RecordScope;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clinical::Actor;
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use registry::{Reach, RegisterFilter, RegisterRow, SharingPurpose};
use serde_json::{Value, json};
use store::sqlx::{self, Row};
use support::{App, Client, app, token};

async fn signed_in<'a>(app: &'a App, username: &str) -> Client<'a> {
    let mut client = Client::new(app);
    let reply = client.login(username, demo::DEMO_PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{username} signs in");
    client
}

async fn user_id(app: &App, username: &str) -> String {
    app.accounts
        .user_id_by_username(username)
        .await
        .unwrap()
        .unwrap()
}

async fn post_json(app: &App, token: Option<&str>, body: &str) -> support::Reply {
    let mut request =
        Request::post("/api/v1/risk/china-par").header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    Client::new(app)
        .send(request.body(Body::from(body.to_owned())).unwrap())
        .await
}

/// A lipid panel, waist and smoking status sent by the resident's hospital.
async fn panel(app: &App, resident: &str, sbp: f64, tc: f64, hdl: f64, waist: f64, smoker: bool) {
    let (organisation, patient) = app
        .clinical
        .residents()
        .sources(resident)
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let actor = Actor {
        purpose: PurposeOfUse::Treatment,
        ..Actor::system(&organisation)
    };
    let subject = json!({ "reference": format!("Patient/{patient}") });
    let quantity = |loinc: &str, value: f64, unit: &str, ucum: &str| {
        json!({ "resource": {
            "resourceType": "Observation", "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }] },
            "subject": subject, "effectiveDateTime": "2025-09-01",
            "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": ucum }
        }, "request": { "method": "POST", "url": "Observation" } })
    };
    let status = if smoker { "449868002" } else { "266919005" };
    let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": [
        quantity("8480-6", sbp, "mmHg", "mm[Hg]"),
        quantity("2093-3", tc, "mmol/L", "mmol/L"),
        quantity("2085-9", hdl, "mmol/L", "mmol/L"),
        quantity("8280-0", waist, "cm", "cm"),
        { "resource": {
            "resourceType": "Observation", "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "72166-2" }] },
            "subject": subject, "effectiveDateTime": "2025-09-01",
            "valueCodeableConcept": { "coding": [{ "system": "http://snomed.info/sct", "code": status }] }
        }, "request": { "method": "POST", "url": "Observation" } }
    ] });
    app.clinical.bundle(&actor, &bundle, "").await.unwrap();
}

fn age_on(row: &RegisterRow, today: jiff::civil::Date) -> i16 {
    let b = row.birth_date.unwrap();
    let mut years = today.year() - b.year();
    if (today.month(), today.day()) < (b.month(), b.day()) {
        years -= 1;
    }
    years
}

/// `1,234`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn stat(n: u64) -> String {
    format!("<span class=\"stat-value\">{}<", thousands(n))
}

// One test per backend, so that the two run in parallel.
#[tokio::test]
async fn risk_pages_and_api_on_sqlite() {
    let (db, _dir) = store::testing::sqlite().await;
    risk_pages_and_api(&db).await;
}

#[tokio::test]
async fn risk_pages_and_api_on_postgres() {
    risk_pages_and_api(&store::testing::postgres().await).await;
}

async fn risk_pages_and_api(db: &store::Db) {
    let app = app(db).await;
    let today = UtcMillis::now().city_date();
    support::add_demo_records(&app, support::DEMO_RESIDENTS).await;
    let community_doctor = user_id(&app, "community.doctor").await;
    let rows = app
        .clinical
        .registers()
        .list(&RegisterFilter {
            reach: Reach::All,
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let has = |id: &str, disease: &str| {
        rows.iter()
            .any(|r| r.enrolment.resident_id == id && r.enrolment.disease == disease)
    };
    // Residents the model applies to (55–74, no stroke or coronary disease), in and out of
    // the community doctor's care.
    let eligible = |r: &&RegisterRow| {
        let id = &r.enrolment.resident_id;
        (55..=74).contains(&age_on(r, today)) && !has(id, "stroke") && !has(id, "chd")
    };
    let mut mine: Vec<String> = rows
        .iter()
        .filter(eligible)
        .filter(|r| r.family_doctor_id.as_deref() == Some(community_doctor.as_str()))
        .map(|r| r.enrolment.resident_id.clone())
        .collect();
    mine.sort();
    mine.dedup();
    mine.truncate(6);
    let mut others: Vec<String> = rows
        .iter()
        .filter(eligible)
        .filter(|r| r.family_doctor_id.as_deref() != Some(community_doctor.as_str()))
        .filter(|r| r.district.as_deref() != Some("gulou"))
        .map(|r| r.enrolment.resident_id.clone())
        .collect();
    others.sort();
    others.dedup();
    others.truncate(3);
    assert!(
        mine.len() >= 4 && others.len() == 3,
        "the demo has residents to test with: {} {} of {} rows, doctor {community_doctor}, e.g. {:?}",
        mine.len(),
        others.len(),
        rows.len(),
        rows.first()
            .map(|r| (&r.family_doctor_id, r.birth_date, &r.district))
    );
    for id in mine.iter().chain(others.iter()) {
        panel(&app, id, 176.0, 6.9, 0.85, 98.0, true).await;
    }
    // The demo resident (hypertension and diabetes) gets a panel too.
    let resident_user = user_id(&app, "resident").await;
    let demo_resident = app
        .clinical
        .residents_acted_for(&resident_user)
        .await
        .unwrap()
        .0
        .remove(0);
    panel(&app, &demo_resident, 150.0, 5.8, 1.1, 92.0, false).await;

    let scores = risk::Scores::new(db.clone()).unwrap();
    let report = scores.refresh_all(UtcMillis::now()).await.unwrap();
    assert!(report.assessed >= mine.len() + others.len());
    assert!(
        report.not_assessable > 0,
        "the rest of the demo lacks lipids and waist"
    );

    // ---- the community doctor's high-risk list ---------------------------------------
    let mut doctor = signed_in(&app, "community.doctor").await;
    let home = doctor.get("/").await.body;
    assert!(
        home.contains("href=\"/risk/high\"") && home.contains("href=\"/risk/china-par\""),
        "the doctor's home page leads to the high-risk list and the calculator"
    );
    let high = doctor.get("/risk/high").await;
    assert_eq!(high.status, StatusCode::OK);
    let listed: Vec<&String> = mine
        .iter()
        .filter(|id| high.body.contains(&format!("/residents/{id}\"")))
        .collect();
    assert!(
        !listed.is_empty(),
        "high-risk residents in reach are listed"
    );
    for id in &others {
        assert!(
            !high.body.contains(&format!("/residents/{id}\"")),
            "{id} is outside the doctor's reach"
        );
    }
    // Only high-risk residents, highest first (the risks shown descend).
    let shown = scores.of_residents(&mine, Some("high")).await.unwrap();
    assert_eq!(listed.len(), shown.len());
    let positions: Vec<usize> = shown
        .iter()
        .map(|s| {
            high.body
                .find(&format!("/residents/{}\"", s.resident_id))
                .unwrap()
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "sorted by risk");
    // Names are masked: no full name of a listed resident appears.
    for id in &listed {
        let name = app
            .clinical
            .residents()
            .resident(id)
            .await
            .unwrap()
            .unwrap()
            .facts
            .name
            .unwrap();
        assert!(!high.body.contains(&name), "{name} is masked");
    }
    // Each resident shown is on the ledger, purpose care management.
    for id in &listed {
        let entries = app
            .ledger
            .entries_for_subject("resident", id, 50)
            .await
            .unwrap();
        assert!(
            entries.iter().any(|e| e.event.action == "risk.high_list"
                && e.event.purpose == PurposeOfUse::CareManagement
                && e.event.actor == community_doctor),
            "the view of {id} is on the ledger"
        );
    }
    // A listed resident withdraws sharing with their care team and centre: gone.
    let leaving = listed[0].clone();
    let resident_actor = |user: &str| Actor {
        user_id: user.to_owned(),
        organisation_id: String::new(),
        read: Some(RecordScope::Own),
        write: false,
        purpose: PurposeOfUse::PatientRequest,
    };
    if leaving == demo_resident {
        for purpose in [SharingPurpose::CareTeam, SharingPurpose::Community] {
            app.clinical
                .decide_sharing(&resident_actor(&resident_user), &leaving, purpose, false)
                .await
                .unwrap();
        }
    } else {
        let centre = rows
            .iter()
            .find(|r| r.enrolment.resident_id == leaving)
            .and_then(|r| r.community_centre_id.clone())
            .unwrap();
        for purpose in [SharingPurpose::CareTeam, SharingPurpose::Community] {
            app.clinical
                .record_signed_consent(&Actor::system(&centre), &leaving, purpose, false)
                .await
                .unwrap();
        }
    }
    let after = doctor.get("/risk/high").await;
    assert!(!after.body.contains(&format!("/residents/{leaving}\"")));
    assert!(after.body.contains(&format!("/residents/{}\"", listed[1])));
    // Residents and officials have no high-risk list.
    let mut official = signed_in(&app, "health.official").await;
    assert_eq!(
        official.get("/risk/high").await.status,
        StatusCode::FORBIDDEN
    );

    // ---- the resident's own assessment -------------------------------------------------
    let mut resident = signed_in(&app, "resident").await;
    let home = resident.get("/").await;
    assert!(
        home.body.contains("href=\"/me/risk\""),
        "linked from the home page"
    );
    let me = resident.get("/me/risk").await;
    assert_eq!(me.status, StatusCode::OK);
    let own = scores.latest(&demo_resident).await.unwrap().unwrap();
    match own.status() {
        risk::population::Status::Assessed => {
            assert!(
                me.body
                    .contains(&format!("{:.1}%", own.risk_percent().unwrap()))
            );
            assert!(me.body.contains("class=\"risk-value\""));
        }
        _ => assert!(me.body.contains("没有为您计算风险") || me.body.contains("暂时无法计算风险")),
    }
    // Assumed inputs are marked as such, with the reason; sources are named.
    assert!(me.body.contains("假定"));
    assert!(me.body.contains("家族史未知"));
    assert!(me.body.contains("LOINC 2093-3"));
    assert!(
        me.body.contains("href=\"/risk/china-par?sex="),
        "calculator prefilled"
    );
    let entries = app
        .ledger
        .entries_for_subject("resident", &demo_resident, 200)
        .await
        .unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.event.action == "risk.view" && e.event.actor == resident_user)
    );
    assert_eq!(doctor.get("/me/risk").await.status, StatusCode::FORBIDDEN);

    // ---- officials' distribution --------------------------------------------------------
    let dash = official.get("/risk").await;
    assert_eq!(dash.status, StatusCode::OK);
    let direct: Vec<(String, i64)> =
        sqlx::query("SELECT status, COUNT(*) FROM risk_scores GROUP BY status")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    let count = |s: &str| direct.iter().find(|d| d.0 == s).map_or(0, |d| d.1 as u64);
    assert!(dash.body.contains(&stat(count("assessed"))), "assessed");
    assert!(dash.body.contains(&stat(count("refused"))), "refused");
    assert!(
        dash.body.contains(&stat(count("not_assessable"))),
        "not assessable"
    );
    let high_direct: i64 = sqlx::query("SELECT COUNT(*) FROM risk_scores WHERE band = 'high'")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0);
    assert!(dash.body.contains(&stat(high_direct as u64)), "high");
    assert!(dash.body.contains("<svg"), "the stacked chart is drawn");
    for id in mine.iter().chain(others.iter()) {
        assert!(!dash.body.contains(id.as_str()), "no resident is named");
    }
    // A district official sees their district's counts only.
    let mut gulou = signed_in(&app, "gulou.official").await;
    assert!(
        gulou.get("/").await.body.contains("href=\"/risk\""),
        "the official's home page leads to the risk dashboard"
    );
    let g = gulou.get("/risk").await;
    assert_eq!(g.status, StatusCode::OK);
    let gulou_total: i64 = sqlx::query(
        "SELECT COUNT(*) FROM risk_scores WHERE district = 'gulou' AND status = 'assessed'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap()
    .get(0);
    assert!(g.body.contains(&stat(gulou_total as u64)));
    assert!(!g.body.contains("浦口区"));
    assert_eq!(doctor.get("/risk").await.status, StatusCode::FORBIDDEN);

    // ---- model registry -----------------------------------------------------------------
    let models = resident.get("/risk/models").await;
    assert_eq!(models.status, StatusCode::OK);
    assert!(models.body.contains("2016.1"));
    assert!(
        models.body.contains("11.0%"),
        "Table 2's printed 60-year-old man"
    );
    assert!(
        !models.body.contains(">否<"),
        "every Table 2 row reproduced within tolerance"
    );
    assert!(models.body.contains("平台的登记数据还没有 10 年的随访"));

    // ---- calculator page ----------------------------------------------------------------
    let form = resident.get("/risk/china-par").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("不会被保存"));
    let csrf = form.csrf();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("sex", "male"),
        ("age", "60"),
        ("sbp_mmhg", "130"),
        ("cholesterol_unit", "mg/dL"),
        ("total_cholesterol", "210"),
        ("hdl_cholesterol", "55"),
        ("waist_cm", "80"),
        ("diabetes", "1"),
        ("north", "1"),
        ("urban", "1"),
    ];
    let result = resident.post_form("/risk/china-par", &fields).await;
    assert_eq!(result.status, StatusCode::OK);
    assert!(
        result.body.contains("11.0%"),
        "the worked example's 60-year-old man"
    );
    assert!(result.body.contains("高危"));
    let mut old = fields.to_vec();
    old[2] = ("age", "80");
    let refused = resident.post_form("/risk/china-par", &old).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("id=\"age-error\""),
        "the refusal is beside the age field"
    );
    assert!(refused.body.contains("35–74"));
    let mut typo = fields.to_vec();
    typo[3] = ("sbp_mmhg", "abc");
    let typo = resident.post_form("/risk/china-par", &typo).await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(typo.body.contains("id=\"sbp_mmhg-error\""));
    assert!(
        typo.body.contains("href=\"#sbp_mmhg\""),
        "the summary links to the field"
    );
    assert_eq!(
        official.get("/risk/china-par").await.status,
        StatusCode::FORBIDDEN
    );
    // Nothing entered was recorded on the ledger.
    let before = app.ledger.tree_size();
    resident.post_form("/risk/china-par", &fields).await;
    assert_eq!(app.ledger.tree_size(), before);

    // ---- the API -----------------------------------------------------------------------
    let doctor_token = token(&app, "doctor").await;
    let happy = json!({
        "sex": "female", "age": 60, "sbp_mmhg": 130, "total_cholesterol": 210,
        "hdl_cholesterol": 55, "cholesterol_unit": "mg/dL", "waist_cm": 80,
        "diabetes": true, "north": true, "urban": true
    });
    let ok = post_json(&app, Some(&doctor_token), &happy.to_string()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let body = ok.json();
    let risk = body["assessment"]["risk_percent"].as_f64().unwrap();
    assert!(
        (risk - 10.1).abs() < 0.15,
        "the women's worked example: {risk}"
    );
    assert_eq!(body["assessment"]["band"]["key"], "high");
    assert_eq!(body["stored"], false);
    assert!(body["assessment"]["raises"].as_array().unwrap().len() > 1);

    // Every field error names its field.
    let with = |change: Value| {
        let mut v = happy.clone();
        for (k, x) in change.as_object().unwrap() {
            if x.is_null() && k != "sex" {
                v.as_object_mut().unwrap().remove(k);
            } else {
                v[k] = x.clone();
            }
        }
        v.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        (with(json!({ "sex": null })), "sex"),
        (with(json!({ "sex": "other" })), "sex"),
        (with(json!({ "age": null })), "age"),
        (with(json!({ "age": "sixty" })), "age"),
        (with(json!({ "age": 30 })), "age"),
        (with(json!({ "age": 75 })), "age"),
        (with(json!({ "sbp_mmhg": null })), "sbp_mmhg"),
        (with(json!({ "sbp_mmhg": 300 })), "sbp_mmhg"),
        (
            with(json!({ "total_cholesterol": null })),
            "total_cholesterol",
        ),
        (
            with(json!({ "total_cholesterol": 2000 })),
            "total_cholesterol",
        ),
        (with(json!({ "hdl_cholesterol": null })), "hdl_cholesterol"),
        (with(json!({ "hdl_cholesterol": 1 })), "hdl_cholesterol"),
        (
            with(json!({ "cholesterol_unit": "g/L" })),
            "cholesterol_unit",
        ),
        (with(json!({ "waist_cm": null })), "waist_cm"),
        (with(json!({ "waist_cm": 20 })), "waist_cm"),
        (with(json!({ "smoker": "yes" })), "smoker"),
        (with(json!({ "has_ascvd": true })), "has_ascvd"),
        (with(json!({ "weight": 70 })), "body"),
    ];
    for (body, field) in &cases {
        let reply = post_json(&app, Some(&doctor_token), body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            reply.body
        );
        assert_eq!(
            reply.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        let problem = reply.json();
        let errors = problem["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == *field && !e["message"].as_str().unwrap().is_empty()),
            "{field}: {problem}"
        );
    }
    // The unknown field's message names it.
    let unknown = post_json(&app, Some(&doctor_token), &with(json!({ "weight": 70 }))).await;
    assert!(unknown.body.contains("weight"));
    // Not JSON, not an object: 400 problems.
    for bad in ["{", "[1, 2]"] {
        let reply = post_json(&app, Some(&doctor_token), bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.json()["status"], 400);
    }
    // Who may call it: without a token a POST is a browser's and needs the CSRF token;
    // with a bad token it is refused as not signed in.
    let anonymous = post_json(&app, None, &happy.to_string()).await;
    assert_eq!(anonymous.status, StatusCode::FORBIDDEN);
    assert!(
        anonymous.json()["type"]
            .as_str()
            .unwrap()
            .ends_with("/csrf")
    );
    assert_eq!(
        post_json(&app, Some("lht_not-a-token"), &happy.to_string())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let admin_token = token(&app, "admin").await;
    assert_eq!(
        post_json(&app, Some(&admin_token), &happy.to_string())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Documented.
    let doc = support::api(&app, "/api/openapi.json", Some(&doctor_token))
        .await
        .json();
    assert!(doc["paths"]["/risk/china-par"]["post"]["responses"]["422"].is_object());
}
