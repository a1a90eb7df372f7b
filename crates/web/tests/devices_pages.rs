//! The devices pages through HTTP on both backends, with the demo city and its demo devices
//! (`demo::generate_devices`): the resident sees only their own devices and readings,
//! registers a device and sees its credential once (never again), revokes one after
//! confirming; the family doctor reviews the quarantine: a bad correction is answered at the
//! field, a good one is accepted and shows in the resident's readings, a discard needs a
//! reason; a doctor of another centre neither sees nor acts (404), and a resident who
//! withdraws sharing leaves the doctor's list. Every view and decision is on the ledger.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::sync::Arc;

use access::RecordScope;
use axum::http::{StatusCode, header};
use clinical::Actor;
use devices::{
    AuthError, Batch, BoundDevice, Devices, Outcome, Position, QuarantineStatus, RawReading,
};
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use registry::SharingPurpose;
use support::{App, Client, app};

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

/// The credential in a page (`lhd_` and base64url characters).
fn credential_in(body: &str) -> Option<String> {
    let start = body.find("lhd_")?;
    Some(
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            .collect(),
    )
}

/// The actions on the ledger about a resident.
async fn ledger_actions(app: &App, resident: &str) -> Vec<(String, String, PurposeOfUse)> {
    app.ledger
        .entries_for_subject("resident", resident, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.event.action, e.event.actor, e.event.purpose))
        .collect()
}

// One test per backend, so that the two run in parallel.
#[tokio::test]
async fn devices_pages_on_sqlite() {
    let (db, _dir) = store::testing::sqlite().await;
    devices_pages(&db).await;
}

#[tokio::test]
async fn devices_pages_on_postgres() {
    devices_pages(&store::testing::postgres().await).await;
}

async fn devices_pages(db: &store::Db) {
    let app = app(db).await;
    support::add_demo_records(&app, support::DEMO_RESIDENTS).await;
    let devices = Devices::new(db.clone(), Arc::new(vault::Keyring::for_tests())).unwrap();
    let summary = demo::generate_devices(&app.accounts, &app.clinical, &devices, UtcMillis::now())
        .await
        .unwrap();
    assert_eq!(summary.devices, 8, "{summary:?}");
    assert_eq!(
        summary.quarantined, 2,
        "the unit error and the watch's glitch"
    );
    assert!(summary.accepted > 300, "{summary:?}");

    let resident_user = user_id(&app, "resident").await;
    let resident = app
        .clinical
        .residents()
        .residents_of_user(&resident_user)
        .await
        .unwrap()
        .remove(0);
    let doctor_user = user_id(&app, "community.doctor").await;
    let mine = devices.devices_of(&resident).await.unwrap();
    assert_eq!(mine.len(), 2);
    let open = devices
        .quarantined(&resident, Some(QuarantineStatus::Open))
        .await
        .unwrap();
    assert_eq!(open.len(), 1, "the glucose reading with the unit error");
    let glucose_entry = open[0].clone();
    // The watch of another resident of the same doctor, with its impossible heart rate.
    let all_open = {
        let mut others: Vec<String> = app
            .clinical
            .registers()
            .list(&registry::RegisterFilter {
                reach: registry::Reach::All,
                limit: 100_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.enrolment.resident_id)
            .filter(|id| *id != resident)
            .collect();
        others.sort();
        others.dedup();
        let mut v = Vec::new();
        for id in &others {
            v.extend(
                devices
                    .quarantined(id, Some(QuarantineStatus::Open))
                    .await
                    .unwrap(),
            );
        }
        v
    };
    assert_eq!(all_open.len(), 1);
    let watch_entry = all_open[0].clone();
    let watch = devices
        .device(&watch_entry.device_id)
        .await
        .unwrap()
        .unwrap();

    // ---- the resident's page -----------------------------------------------------------
    let mut me = signed_in(&app, "resident").await;
    let home = me.get("/").await;
    assert!(home.body.contains("href=\"/me/devices\""));

    // ---- the resident's own space: /me, and the same cards on the home page -------------
    let portal = me.get("/me").await;
    assert_eq!(portal.status, StatusCode::OK);
    for (page, body) in [("/me", &portal.body), ("/", &home.body)] {
        for href in [
            "/me/record",
            "/me/devices",
            "/me/risk",
            "/me/alerts",
            "/me/sharing",
            "/me/access",
        ] {
            assert!(
                body.contains(&format!("class=\"portal-card\" href=\"{href}\"")),
                "{page} has the card {href}"
            );
        }
    }
    for expected in [
        "高血压",
        "2型糖尿病",
        "2 台在用设备",
        "血压 <strong>",
        " mmHg</strong>",
        "没有未处理的提醒",
        "我的诊疗团队",
    ] {
        assert!(portal.body.contains(expected), "/me shows {expected}");
    }
    assert!(
        ledger_actions(&app, &resident)
            .await
            .iter()
            .any(|(a, who, _)| a == "portal.view" && *who == resident_user),
        "the resident's view of their space is on the ledger"
    );
    let mut doctor = signed_in(&app, "community.doctor").await;
    assert_eq!(
        doctor.get("/me").await.status,
        StatusCode::FORBIDDEN,
        "the space is a resident's own"
    );
    let page = me.get("/me/devices").await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "上臂式血压计 BP-30（演示）",
        "血糖仪 GM-2（演示）",
        "使用中",
        "<svg",
        "收缩压：近30天每日读数",
        "血糖：近30天每日读数",
        // 140 in general, 150 from 80 (the template's age bands).
        "控制目标（高血压）：低于 1",
        "控制目标（2型糖尿病）：4.4–7 mmol/L",
        "等待医生核对的读数",
        "血糖 133 mmol/L",
        "超出了可能的范围",
        "/me/devices/readings/sbp",
    ] {
        assert!(page.body.contains(expected), "/me/devices shows {expected}");
    }
    assert!(
        !page.body.contains(&watch.id) && !page.body.contains("智能手表 W-5"),
        "another resident's device is not shown"
    );
    assert!(
        ledger_actions(&app, &resident)
            .await
            .iter()
            .any(|(a, who, p)| a == "device.readings.view"
                && *who == resident_user
                && *p == PurposeOfUse::PatientRequest),
        "the resident's view is on the ledger"
    );
    let english = {
        let mut c = signed_in(&app, "resident").await;
        c.get("/lang/en?next=/").await;
        let page = c.get("/me/devices").await;
        // The choice is the account's: back to Chinese for the rest of the test.
        c.get("/lang/zh-CN?next=/").await;
        page
    };
    assert!(
        english
            .body
            .contains("Control target (Hypertension): below 1")
    );

    // Details of the last 48 hours; an unknown series is not a page.
    let sbp = me.get("/me/devices/readings/sbp").await;
    assert_eq!(sbp.status, StatusCode::OK);
    assert!(sbp.body.contains("<svg") && sbp.body.contains("上臂式血压计 BP-30（演示）"));
    assert_eq!(
        me.get("/me/devices/readings/nonsense").await.status,
        StatusCode::NOT_FOUND
    );

    // ---- registering: the credential once ----------------------------------------------
    let csrf = page.csrf();
    let bad_kind = me
        .post_form(
            "/me/devices",
            &[("_csrf", &csrf), ("kind", "toaster"), ("label", "x")],
        )
        .await;
    assert_eq!(bad_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_kind.body.contains("href=\"#kind\""));
    assert!(bad_kind.body.contains("请选择设备类型"));
    let no_label = me
        .post_form(
            "/me/devices",
            &[("_csrf", &csrf), ("kind", "scale"), ("label", "   ")],
        )
        .await;
    assert_eq!(no_label.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_label.body.contains("href=\"#label\""));
    assert_eq!(devices.devices_of(&resident).await.unwrap().len(), 2);

    let created = me
        .post_form(
            "/me/devices",
            &[("_csrf", &csrf), ("kind", "scale"), ("label", "体重秤 S-1")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.headers[header::CACHE_CONTROL], "no-store");
    let credential = credential_in(&created.body).expect("the credential is shown");
    assert!(credential.len() > 40, "{credential}");
    for expected in [
        "/api/v1/devices/readings",
        "application/x-ndjson",
        "&quot;measure&quot;:&quot;weight&quot;",
        "lifehealth/devices/",
        "sig=",
    ] {
        assert!(
            created.body.contains(expected),
            "the credential page explains {expected}"
        );
    }
    let bound = devices.authenticate(&credential).await.unwrap();
    assert_eq!(bound.resident_id, resident);
    let later = me.get("/me/devices").await;
    assert!(later.body.contains("体重秤 S-1"));
    assert!(
        !later.body.contains(&credential) && credential_in(&later.body).is_none(),
        "a later page never shows the credential"
    );
    assert!(
        ledger_actions(&app, &resident)
            .await
            .iter()
            .any(|(a, _, _)| a == "device.register")
    );

    // ---- revoking, after confirming ----------------------------------------------------
    let confirm = me.get(&format!("/me/devices/{}/revoke", bound.id)).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("停用不能撤销"));
    let csrf = confirm.csrf();
    let no_reason = me
        .post_form(
            &format!("/me/devices/{}/revoke", bound.id),
            &[("_csrf", &csrf), ("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("href=\"#reason\""));
    assert!(!devices.device(&bound.id).await.unwrap().unwrap().revoked);
    let revoked = me
        .post_form(
            &format!("/me/devices/{}/revoke", bound.id),
            &[("_csrf", &csrf), ("reason", "换了新的体重秤")],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        revoked.location(),
        format!("/me/devices?revoked={}", bound.id)
    );
    assert!(devices.device(&bound.id).await.unwrap().unwrap().revoked);
    assert!(matches!(
        devices.authenticate(&credential).await,
        Err(AuthError::Revoked { .. })
    ));
    let after = me.get(revoked.location()).await;
    assert!(after.body.contains("已停用“体重秤 S-1”"));
    // Another resident's device: not found, and untouched.
    assert_eq!(
        me.get(&format!("/me/devices/{}/revoke", watch.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let other = me
        .post_form(
            &format!("/me/devices/{}/revoke", watch.id),
            &[("_csrf", &csrf), ("reason", "不是我的")],
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(!devices.device(&watch.id).await.unwrap().unwrap().revoked);
    // A resident has no quarantine to review.
    assert_eq!(
        me.get("/devices/quarantine").await.status,
        StatusCode::FORBIDDEN
    );

    // ---- another centre's doctor: neither sees nor acts --------------------------------
    let community_org = app
        .accounts
        .user(&doctor_user)
        .await
        .unwrap()
        .unwrap()
        .organisation_id;
    let gulou_orgs: Vec<String> = app
        .accounts
        .organisations()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.district.as_deref() == Some("gulou"))
        .map(|o| o.id)
        .collect();
    assert!(gulou_orgs.contains(&community_org));
    let stranger = app
        .accounts
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| {
            u.username.starts_with("family.doctor") && !gulou_orgs.contains(&u.organisation_id)
        })
        .unwrap()
        .username;
    let mut far = signed_in(&app, &stranger).await;
    let far_list = far.get("/devices/quarantine").await;
    assert_eq!(far_list.status, StatusCode::OK);
    assert!(!far_list.body.contains(&glucose_entry.id) && !far_list.body.contains(&watch_entry.id));
    let far_csrf = far_list.csrf();
    assert_eq!(
        far.get(&format!("/devices/quarantine/{}", glucose_entry.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for action in ["accept", "discard"] {
        let reply = far
            .post_form(
                &format!("/devices/quarantine/{}/{action}", glucose_entry.id),
                &[
                    ("_csrf", &far_csrf),
                    ("value", "133"),
                    ("unit", "mg/dL"),
                    ("taken_at", ""),
                    ("reason", "x"),
                    ("discard_reason", "x"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(
        devices
            .quarantined_reading(&glucose_entry.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        QuarantineStatus::Open
    );

    // ---- the family doctor's quarantine ------------------------------------------------
    let mut doctor = signed_in(&app, "community.doctor").await;
    assert!(
        doctor
            .get("/")
            .await
            .body
            .contains("href=\"/devices/quarantine\"")
    );
    let list = doctor.get("/devices/quarantine").await;
    assert_eq!(list.status, StatusCode::OK);
    for expected in [
        format!("data-quarantine=\"{}\"", glucose_entry.id),
        format!("data-quarantine=\"{}\"", watch_entry.id),
        format!("href=\"/residents/{resident}\""),
        "血糖 133 mmol/L".to_owned(),
        "心率 350 /min".to_owned(),
        "智能手表 W-5（演示）".to_owned(),
    ] {
        assert!(list.body.contains(&expected), "the list shows {expected}");
    }
    let masked = kernel::mask_name(
        &app.clinical
            .residents()
            .resident(&resident)
            .await
            .unwrap()
            .unwrap()
            .facts
            .name
            .unwrap(),
    );
    assert!(list.body.contains(&masked), "the masked name {masked}");
    assert!(
        ledger_actions(&app, &resident)
            .await
            .iter()
            .any(|(a, who, p)| a == "device.quarantine.view"
                && *who == doctor_user
                && *p == PurposeOfUse::CareManagement),
        "the doctor's view is on the ledger"
    );
    let review = doctor
        .get(&format!("/devices/quarantine/{}", glucose_entry.id))
        .await;
    assert_eq!(review.status, StatusCode::OK);
    assert!(review.body.contains("value=\"133\"") && review.body.contains("value=\"mmol/L\""));
    let csrf = review.csrf();
    let taken_at = {
        let marker = "name=\"taken_at\" type=\"datetime-local\" value=\"";
        let at = review.body.find(marker).unwrap() + marker.len();
        review.body[at..].split('"').next().unwrap().to_owned()
    };
    assert_eq!(taken_at.len(), 16, "{taken_at}");
    let accept = format!("/devices/quarantine/{}/accept", glucose_entry.id);
    let send = |value: &'static str, unit: &'static str, reason: &'static str| {
        vec![
            ("_csrf".to_owned(), csrf.clone()),
            ("value".to_owned(), value.to_owned()),
            ("unit".to_owned(), unit.to_owned()),
            ("taken_at".to_owned(), taken_at.clone()),
            ("reason".to_owned(), reason.to_owned()),
        ]
    };
    async fn post(client: &mut Client<'_>, uri: &str, form: &[(String, String)]) -> support::Reply {
        let fields: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        client.post_form(uri, &fields).await
    }
    // Not a number: at the field, nothing stored.
    let reply = post(&mut doctor, &accept, &send("abc", "mmol/L", "核实")).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("href=\"#value\"") && reply.body.contains("请填写数字"));
    assert!(
        reply.body.contains("value=\"abc\""),
        "the form keeps what was typed"
    );
    // Still impossible in the unit sent: the ingest's check, at the value.
    let reply = post(&mut doctor, &accept, &send("133", "mmol/L", "核实")).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("href=\"#value\"") && reply.body.contains("超出了可能的范围"));
    // A unit nobody knows: at the unit.
    let reply = post(&mut doctor, &accept, &send("133", "furlong", "核实")).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("href=\"#unit\"") && reply.body.contains("mg/dL"));
    // No reason: at the reason.
    let reply = post(&mut doctor, &accept, &send("133", "mg/dL", " ")).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("href=\"#reason\""));
    // A bad time: at the time.
    let mut bad_time = send("133", "mg/dL", "核实");
    bad_time[3].1 = "yesterday".into();
    let reply = post(&mut doctor, &accept, &bad_time).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("href=\"#taken_at\""));
    assert_eq!(
        devices
            .quarantined_reading(&glucose_entry.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        QuarantineStatus::Open
    );
    // The right unit: accepted, in the record at the time it was taken.
    let reply = post(
        &mut doctor,
        &accept,
        &send("133", "mg/dL", "与居民核实：单位为mg/dL"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/devices/quarantine?done=accepted");
    let entry = devices
        .quarantined_reading(&glucose_entry.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.status, QuarantineStatus::Accepted);
    assert_eq!(entry.decided_by.as_deref(), Some(doctor_user.as_str()));
    let sent_at: jiff::Timestamp = glucose_entry.reading["taken_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let at = UtcMillis::from_timestamp(sent_at);
    let stored = devices
        .readings(&resident, Some("glucose"), at, UtcMillis(at.0 + 1), 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!((stored[0].value - 133.0 / 18.0).abs() < 0.05, "{stored:?}");
    let readings = me.get("/me/devices/readings/glucose").await;
    assert!(
        readings.body.contains("<td class=\"num\">7.4</td>"),
        "the accepted reading is in the resident's readings"
    );
    assert!(!me.get("/me/devices").await.body.contains("血糖 133 mmol/L"));
    assert!(
        ledger_actions(&app, &resident)
            .await
            .iter()
            .any(|(a, who, _)| a == "device.quarantine.accept" && *who == doctor_user)
    );
    let done = doctor.get(reply.location()).await;
    assert!(done.body.contains("已接受并记入档案"));
    assert!(
        !done
            .body
            .contains(&format!("data-quarantine=\"{}\"", glucose_entry.id))
    );
    // Reviewed once only.
    let again = post(&mut doctor, &accept, &send("133", "mg/dL", "再次")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("已经有人核对过了"));

    // Discarding needs a reason.
    let discard = format!("/devices/quarantine/{}/discard", watch_entry.id);
    let reply = doctor
        .post_form(&discard, &[("_csrf", &csrf), ("discard_reason", "")])
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("href=\"#discard_reason\""));
    let reply = doctor
        .post_form(
            &discard,
            &[
                ("_csrf", &csrf),
                ("discard_reason", "手表佩戴松动，已嘱重测"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let entry = devices
        .quarantined_reading(&watch_entry.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.status, QuarantineStatus::Discarded);
    assert_eq!(
        entry.decision_reason.as_deref(),
        Some("手表佩戴松动，已嘱重测")
    );

    // ---- consent: a resident who stops sharing leaves the list -------------------------
    let bp_monitor = mine.iter().find(|d| d.kind == "bp_monitor").unwrap();
    let report = devices
        .ingest(Batch {
            device: BoundDevice {
                id: bp_monitor.id.clone(),
                kind: bp_monitor.kind.clone(),
                resident_id: resident.clone(),
            },
            items: vec![(
                Position {
                    index: 0,
                    line: None,
                },
                Ok(RawReading {
                    message_id: "test-impossible".into(),
                    measure: "blood_pressure".into(),
                    value: None,
                    systolic: Some(400.0),
                    diastolic: Some(90.0),
                    unit: "mmHg".into(),
                    taken_at: UtcMillis(UtcMillis::now().0 - 60_000),
                    resident_id: None,
                }),
            )],
        })
        .await
        .unwrap();
    let Outcome::Quarantined { id: new_entry, .. } = &report.results[0].outcome else {
        panic!("{report:?}");
    };
    assert!(
        doctor
            .get("/devices/quarantine")
            .await
            .body
            .contains(new_entry.as_str())
    );
    let resident_actor = Actor {
        user_id: resident_user.clone(),
        organisation_id: String::new(),
        read: Some(RecordScope::Own),
        write: false,
        purpose: PurposeOfUse::PatientRequest,
    };
    for purpose in [SharingPurpose::CareTeam, SharingPurpose::Community] {
        app.clinical
            .decide_sharing(&resident_actor, &resident, purpose, false)
            .await
            .unwrap();
    }
    assert!(
        !doctor
            .get("/devices/quarantine")
            .await
            .body
            .contains(new_entry.as_str())
    );
    assert_eq!(
        doctor
            .get(&format!("/devices/quarantine/{new_entry}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The resident still sees their own waiting reading.
    assert!(
        me.get("/me/devices")
            .await
            .body
            .contains("血压 400/90 mmHg")
    );
}
