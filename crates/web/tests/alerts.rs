//! Alerts through HTTP on both backends, with the demo city: a dangerous reading fed to the
//! alert service reaches the family doctor's inbox and home page and nobody else's; another
//! centre's doctor cannot act on it; acknowledge then resolve, and resolving first is a 409;
//! the resident sees their alert in plain words without staff notes; a resident who withdrew
//! community sharing is in no staff inbox. The API answers the same with RFC 7807 problems.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use access::Role;
use alerts::{Alerts, CareLookup, RuleBook};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clinical::Actor;
use registry::SharingPurpose;
use store::testing::TestDatabases;
use support::{App, Client, Reply, app, token};

async fn signed_in<'a>(app: &'a App, username: &str) -> Client<'a> {
    let mut client = Client::new(app);
    let reply = client.login(username, demo::DEMO_PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{username} signs in");
    client
}

/// The alert service over the test app's database: the same tables and ledger the router's
/// own `Services::alerts` uses. Devices will call `on_readings`; the tests call it here.
fn service(app: &App, db: &store::Db) -> Alerts {
    let care = CareLookup::new(
        app.clinical.residents().clone(),
        app.clinical.registers().clone(),
    );
    Alerts::new(
        db.clone(),
        app.ledger.clone(),
        care,
        RuleBook::builtin().unwrap(),
    )
}

/// A blood-pressure reading at the bp_crisis systolic bound of the templates.
fn crisis(book: &RuleBook, resident: &str, at: i64) -> Vec<alerts::ReadingFact> {
    let sbp = book
        .danger_rules()
        .iter()
        .find(|r| r.key == "bp_crisis")
        .and_then(|r| r.when.iter().find(|c| c.key == "sbp"))
        .and_then(|c| c.ge)
        .unwrap();
    let source = format!("device:test/{}", kernel::Id::new());
    ["sbp", "dbp"]
        .into_iter()
        .zip([sbp, 80.0])
        .map(|(key, value)| alerts::ReadingFact {
            resident_id: resident.into(),
            key: key.into(),
            value,
            at,
            source: source.clone(),
        })
        .collect()
}

async fn username(app: &App, user_id: &str) -> String {
    app.accounts.user(user_id).await.unwrap().unwrap().username
}

/// A community doctor of another centre than `centre`.
async fn other_centre_doctor(app: &App, centre: &str) -> String {
    app.accounts
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| {
            u.organisation_id != centre && u.grants.iter().any(|g| g.role == Role::CommunityDoctor)
        })
        .unwrap()
        .username
}

async fn api(app: &App, method: &str, uri: &str, token: &str, body: &str) -> Reply {
    let mut client = Client::new(app);
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    client.send(request).await
}

fn problem(reply: &Reply, status: StatusCode) -> serde_json::Value {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/problem+json"
    );
    let doc = reply.json();
    assert_eq!(doc["status"], status.as_u16());
    doc
}

fn error_fields(doc: &serde_json::Value) -> Vec<String> {
    doc["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The full names of residents, to check that no page shows one.
async fn full_name(app: &App, resident: &str) -> String {
    app.clinical
        .residents()
        .resident(resident)
        .await
        .unwrap()
        .unwrap()
        .facts
        .name
        .unwrap()
}

#[tokio::test]
async fn alerts_reach_the_family_doctor_and_the_resident_and_nobody_else() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        support::add_demo_records(&app, support::DEMO_RESIDENTS).await;
        let service = service(&app, db);
        let book = RuleBook::builtin().unwrap();

        // The demo resident, their family doctor and centre.
        let (_, resident) = support::demo_resident(&app).await;
        let care = app
            .clinical
            .residents()
            .resident(&resident)
            .await
            .unwrap()
            .unwrap()
            .care;
        let family_doctor = username(&app, care.family_doctor_id.as_deref().unwrap()).await;
        let centre = care.community_centre_id.clone().unwrap();
        let stranger = other_centre_doctor(&app, &centre).await;

        let now = kernel::UtcMillis::now().0;
        let raised = service
            .on_readings(&crisis(&book, &resident, now))
            .await
            .unwrap();
        assert_eq!(raised.raised.len(), 1, "{}", db.backend().name());
        let id = raised.raised[0].clone();

        // The family doctor: the inbox lists it with the masked name and a link to the record,
        // and the home page counts it.
        let mut doctor = signed_in(&app, &family_doctor).await;
        let inbox = doctor.get("/alerts").await;
        assert_eq!(inbox.status, StatusCode::OK);
        assert!(inbox.body.contains(&format!("href=\"/alerts/{id}\"")));
        assert!(
            inbox
                .body
                .contains(&format!("href=\"/residents/{resident}\""))
        );
        assert!(inbox.body.contains("待接手"), "state in words");
        // The rule in words, its bounds from the templates.
        let detail = doctor.get(&format!("/alerts/{id}")).await;
        let bp_crisis = book
            .danger_rules()
            .iter()
            .find(|r| r.key == "bp_crisis")
            .unwrap();
        let bound = |key: &str| {
            bp_crisis
                .when
                .iter()
                .find(|c| c.key == key)
                .and_then(|c| c.ge)
                .unwrap()
        };
        let words = format!(
            "收缩压 ≥ {} mmHg 或 舒张压 ≥ {} mmHg",
            bound("sbp"),
            bound("dbp")
        );
        assert!(detail.body.contains(&words), "the rule reads {words}");
        assert!(inbox.body.contains("紧急"), "severity in words");
        let name = full_name(&app, &resident).await;
        assert!(!inbox.body.contains(&name), "names are masked");
        assert!(inbox.body.contains(&kernel::mask_name(&name)));
        let home = doctor.get("/").await;
        assert!(
            home.body.contains("href=\"/alerts\""),
            "the inbox is linked from home"
        );
        assert!(
            home.body.contains("<span class=\"count-badge\">1</span>"),
            "the home page counts the open alert"
        );
        // The acknowledged list does not hold it yet; "all" does.
        assert!(
            !doctor
                .get("/alerts?state=acknowledged")
                .await
                .body
                .contains(&format!("/alerts/{id}\""))
        );
        assert!(
            doctor
                .get("/alerts?state=all")
                .await
                .body
                .contains(&format!("/alerts/{id}\""))
        );
        assert_eq!(
            doctor.get("/alerts?state=closed").await.status,
            StatusCode::BAD_REQUEST
        );

        // Another centre's doctor neither sees it nor may act on it; the hospital doctor sees
        // an empty inbox; residents and officials have no inbox.
        let mut other = signed_in(&app, &stranger).await;
        let their_inbox = other.get("/alerts").await;
        assert_eq!(their_inbox.status, StatusCode::OK);
        assert!(!their_inbox.body.contains(&id));
        assert_eq!(
            other.get(&format!("/alerts/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        let csrf = their_inbox.csrf();
        let refused = other
            .post_form(
                &format!("/alerts/{id}/acknowledge"),
                &[("_csrf", &csrf), ("note", "not mine")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let mut hospital = signed_in(&app, "doctor").await;
        assert!(!hospital.get("/alerts").await.body.contains(&id));
        let mut person = signed_in(&app, "resident").await;
        assert_eq!(person.get("/alerts").await.status, StatusCode::FORBIDDEN);
        let mut official = signed_in(&app, "gulou.official").await;
        assert_eq!(official.get("/alerts").await.status, StatusCode::FORBIDDEN);

        // Resolving before anyone acknowledged: 409 with the reason, nothing changed.
        let page = doctor.get(&format!("/alerts/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains(&format!("action=\"/alerts/{id}/acknowledge\""))
        );
        assert!(
            !page
                .body
                .contains(&format!("action=\"/alerts/{id}/resolve\""))
        );
        let csrf = page.csrf();
        let early = doctor
            .post_form(
                &format!("/alerts/{id}/resolve"),
                &[("_csrf", &csrf), ("note", "")],
            )
            .await;
        assert_eq!(early.status, StatusCode::CONFLICT);
        assert!(early.body.contains("请先接手"), "the reason is shown");
        // A note longer than the policy allows names the field and keeps the text.
        let max = book.policy().note_max_chars.value as usize;
        let long = "长".repeat(max + 1);
        let too_long = doctor
            .post_form(
                &format!("/alerts/{id}/acknowledge"),
                &[("_csrf", &csrf), ("note", &long)],
            )
            .await;
        assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(too_long.body.contains("href=\"#note\""));
        assert!(too_long.body.contains(&long), "the note is kept");
        // Without the CSRF field the form is refused.
        let forged = doctor
            .post_form(&format!("/alerts/{id}/acknowledge"), &[("note", "x")])
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        // Acknowledge with a note, then resolve.
        let acked = doctor
            .post_form(
                &format!("/alerts/{id}/acknowledge"),
                &[("_csrf", &csrf), ("note", "已电话联系，嘱复测")],
            )
            .await;
        assert_eq!(acked.status, StatusCode::SEE_OTHER);
        assert_eq!(acked.location(), format!("/alerts/{id}"));
        let page = doctor.get(&format!("/alerts/{id}")).await;
        assert!(page.body.contains("已接手"));
        assert!(
            page.body.contains("已电话联系，嘱复测"),
            "the note is in the history"
        );
        assert!(
            page.body
                .contains(&format!("action=\"/alerts/{id}/resolve\""))
        );
        assert!(
            doctor
                .get("/alerts?state=acknowledged")
                .await
                .body
                .contains(&format!("/alerts/{id}\""))
        );
        let resolved = doctor
            .post_form(
                &format!("/alerts/{id}/resolve"),
                &[("_csrf", &csrf), ("note", "门诊复测正常")],
            )
            .await;
        assert_eq!(resolved.status, StatusCode::SEE_OTHER);
        let page = doctor.get(&format!("/alerts/{id}")).await;
        assert!(page.body.contains("已解决"));
        assert!(!page.body.contains("<form class=\"stack alerts-form\""));
        assert!(
            !doctor
                .get("/alerts")
                .await
                .body
                .contains(&format!("/alerts/{id}\""))
        );
        assert!(
            doctor
                .get("/")
                .await
                .body
                .contains("<span class=\"count-badge\">0</span>"),
            "nothing open"
        );

        // The resident: the alert in plain words, the doctor has dealt with it, no note and
        // no staff id.
        let mine = person.get("/me/alerts").await;
        assert_eq!(mine.status, StatusCode::OK);
        assert!(mine.body.contains("血压很高"), "{}", mine.body);
        assert!(mine.body.contains("处理完毕"));
        assert!(mine.body.contains("120"));
        for private in [
            "已电话联系",
            "门诊复测正常",
            care.family_doctor_id.as_deref().unwrap(),
        ] {
            assert!(!mine.body.contains(private), "{private} is not shown");
        }
        assert!(person.get("/").await.body.contains("href=\"/me/alerts\""));

        // A resident who withdrew community sharing: their alert is raised (they see it) but
        // is in no staff inbox, and nobody on staff may act on it.
        let withdrawn = app
            .clinical
            .registers()
            .list(&registry::RegisterFilter {
                reach: registry::Reach::All,
                limit: 10_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .find(|r| {
                r.enrolment.resident_id != resident && r.family_doctor_id == care.family_doctor_id
            })
            .unwrap()
            .enrolment
            .resident_id;
        app.clinical
            .record_signed_consent(
                &Actor::system(&centre),
                &withdrawn,
                SharingPurpose::Community,
                false,
            )
            .await
            .unwrap();
        let hidden = service
            .on_readings(&crisis(&book, &withdrawn, now))
            .await
            .unwrap()
            .raised
            .remove(0);
        assert_eq!(
            service.alerts_of_resident(&withdrawn).await.unwrap().len(),
            1
        );
        assert!(!doctor.get("/alerts?state=all").await.body.contains(&hidden));
        assert_eq!(
            doctor.get(&format!("/alerts/{hidden}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert!(
            doctor
                .get("/")
                .await
                .body
                .contains("<span class=\"count-badge\">0</span>"),
            "the withdrawn resident's alert is not counted"
        );

        // Every view of an alert is on the ledger with its purpose.
        let entries = app
            .ledger
            .entries_for_subject("resident", &resident, 200)
            .await
            .unwrap();
        let viewed = entries
            .iter()
            .filter(|e| e.event.action == "alert.view")
            .collect::<Vec<_>>();
        assert!(
            viewed
                .iter()
                .any(|e| e.event.purpose == ledger::PurposeOfUse::CareManagement)
        );
        assert!(
            viewed
                .iter()
                .any(|e| e.event.purpose == ledger::PurposeOfUse::PatientRequest)
        );
        for action in ["alert.raised", "alert.acknowledged", "alert.resolved"] {
            assert!(entries.iter().any(|e| e.event.action == action), "{action}");
        }
    }
}

#[tokio::test]
async fn the_api_lists_the_inbox_and_answers_problems() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        support::add_demo_records(&app, support::DEMO_RESIDENTS).await;
        let service = service(&app, db);
        let book = RuleBook::builtin().unwrap();
        let doctor_id = app
            .accounts
            .user_id_by_username("community.doctor")
            .await
            .unwrap()
            .unwrap();
        let doctor = app.accounts.user(&doctor_id).await.unwrap().unwrap();
        let patients: Vec<String> = app
            .clinical
            .registers()
            .list(&registry::RegisterFilter {
                reach: registry::Reach::All,
                limit: 10_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.family_doctor_id.as_deref() == Some(doctor_id.as_str()))
            .map(|r| r.enrolment.resident_id)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .take(3)
            .collect();
        assert_eq!(patients.len(), 3);
        let now = kernel::UtcMillis::now().0;
        let mut ids = Vec::new();
        for (i, p) in patients.iter().enumerate() {
            let raised = service
                .on_readings(&crisis(&book, p, now + i as i64))
                .await
                .unwrap();
            ids.extend(raised.raised);
        }
        assert_eq!(ids.len(), 3);

        let mine = token(&app, "community.doctor").await;
        let listed = api(&app, "GET", "/api/v1/alerts", &mine, "").await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        let doc = listed.json();
        assert_eq!(doc["total"], 3);
        let items = doc["items"].as_array().unwrap();
        assert_eq!(
            items
                .iter()
                .map(|a| a["id"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ids.iter().rev().map(String::as_str).collect::<Vec<_>>(),
            "newest first among alerts of one severity"
        );
        assert_eq!(items[0]["state"], "raised");
        assert_eq!(items[0]["addressee_id"], doctor.id);
        let page = api(&app, "GET", "/api/v1/alerts?limit=1&offset=1", &mine, "").await;
        let page = page.json();
        assert_eq!(
            (
                page["total"].as_u64(),
                page["items"].as_array().unwrap().len()
            ),
            (Some(3), 1)
        );
        assert_eq!(page["items"][0]["id"], ids[1]);

        // Bad queries name every field at fault.
        let bad = api(
            &app,
            "GET",
            "/api/v1/alerts?state=closed&limit=0&offset=-1",
            &mine,
            "",
        )
        .await;
        let bad = problem(&bad, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_fields(&bad), vec!["state", "limit", "offset"]);
        assert!(
            bad["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("open, unacknowledged")
        );

        // Not the caller's: 403; unknown: 404; resolving first: 409 with the reason.
        let stranger = other_centre_doctor(&app, &doctor.organisation_id).await;
        let theirs = token(&app, &stranger).await;
        let uri = |id: &str, action: &str| format!("/api/v1/alerts/{id}/{action}");
        problem(
            &api(&app, "POST", &uri(&ids[0], "acknowledge"), &theirs, "").await,
            StatusCode::FORBIDDEN,
        );
        problem(
            &api(
                &app,
                "POST",
                &uri("no-such-alert", "acknowledge"),
                &mine,
                "",
            )
            .await,
            StatusCode::NOT_FOUND,
        );
        let conflict = problem(
            &api(&app, "POST", &uri(&ids[0], "resolve"), &mine, "{}").await,
            StatusCode::CONFLICT,
        );
        let reason = conflict["detail"].as_str().unwrap();
        assert!(
            [kernel::Lang::Zh, kernel::Lang::En]
                .iter()
                .any(|l| reason == web::i18n::t(*l, "alerts.error.not_acknowledged")),
            "{reason}"
        );
        assert_eq!(error_fields(&conflict), vec!["state"]);
        // A resident holds no inbox.
        let resident = token(&app, "resident").await;
        problem(
            &api(&app, "GET", "/api/v1/alerts", &resident, "").await,
            StatusCode::FORBIDDEN,
        );
        // Bodies: not JSON, an unknown field, a note too long.
        let not_json = problem(
            &api(&app, "POST", &uri(&ids[0], "acknowledge"), &mine, "note=hi").await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        assert_eq!(error_fields(&not_json), vec!["body"]);
        let unknown = problem(
            &api(
                &app,
                "POST",
                &uri(&ids[0], "acknowledge"),
                &mine,
                r#"{"notes":"x"}"#,
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        assert!(
            unknown["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("notes")
        );
        let max = book.policy().note_max_chars.value as usize;
        let long = serde_json::json!({ "note": "x".repeat(max + 1) }).to_string();
        let too_long = problem(
            &api(&app, "POST", &uri(&ids[0], "acknowledge"), &mine, &long).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        assert_eq!(error_fields(&too_long), vec!["note"]);

        // Acknowledge (again: not first, same person and time), then resolve.
        let acked = api(
            &app,
            "POST",
            &uri(&ids[0], "acknowledge"),
            &mine,
            r#"{"note":"called"}"#,
        )
        .await;
        assert_eq!(acked.status, StatusCode::OK, "{}", acked.body);
        let acked = acked.json();
        assert_eq!(
            (acked["first"].as_bool(), acked["state"].as_str()),
            (Some(true), Some("acknowledged"))
        );
        assert_eq!(acked["by"], doctor.id);
        let again = api(&app, "POST", &uri(&ids[0], "acknowledge"), &mine, "")
            .await
            .json();
        assert_eq!(
            (again["first"].as_bool(), &again["at"]),
            (Some(false), &acked["at"])
        );
        let resolved = api(
            &app,
            "POST",
            &uri(&ids[0], "resolve"),
            &mine,
            r#"{"note":null}"#,
        )
        .await;
        assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.body);
        assert_eq!(resolved.json()["state"], "resolved");
        let open = api(&app, "GET", "/api/v1/alerts?state=open", &mine, "")
            .await
            .json();
        assert_eq!(open["total"], 2);
        let done = api(&app, "GET", "/api/v1/alerts?state=resolved", &mine, "")
            .await
            .json();
        assert_eq!(done["items"][0]["resolve_note"], serde_json::Value::Null);
        assert_eq!(done["items"][0]["acknowledge_note"], "called");

        // The routes are in the OpenAPI document with their problems.
        let openapi = support::api(&app, "/api/openapi.json", None).await.json();
        for path in alerts_paths() {
            assert!(openapi["paths"][path].is_object(), "{path} documented");
        }
        assert!(openapi["paths"]["/alerts/{id}/resolve"]["post"]["responses"]["409"].is_object());
    }
}

fn alerts_paths() -> [&'static str; 3] {
    [
        "/alerts",
        "/alerts/{id}/acknowledge",
        "/alerts/{id}/resolve",
    ]
}
