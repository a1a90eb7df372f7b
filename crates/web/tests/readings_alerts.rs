//! From a device to the family doctor, on both backends: a blood-pressure monitor bound to the
//! demo resident posts a crisis reading to the readings endpoint with its own credential; the
//! platform stores it, answers "accepted", and the alert rules put it in the resident's alerts
//! and the family doctor's inbox. A normal reading raises nothing; the same message again is a
//! duplicate and does not count twice.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use store::testing::TestDatabases;
use support::{App, app};
use tower::ServiceExt;

async fn post_readings(
    app: &App,
    credential: &str,
    body: String,
) -> (StatusCode, serde_json::Value) {
    let request = Request::post("/api/v1/devices/readings")
        .header(header::AUTHORIZATION, format!("Bearer {credential}"))
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(body))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// The resident's alerts once there is one, waiting for the worker that judges committed
/// readings (not a timing assertion: it fails only if no alert ever comes).
async fn alerts_of_resident_once_raised(
    alerts: &alerts::Alerts,
    resident: &str,
) -> Vec<alerts::ResidentAlert> {
    let started = Instant::now();
    loop {
        let mine = alerts.alerts_of_resident(resident).await.unwrap();
        if !mine.is_empty() || started.elapsed() > Duration::from_secs(30) {
            return mine;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn reading(message_id: &str, systolic: u32, diastolic: u32, at: jiff::Timestamp) -> String {
    format!(
        "{{\"message_id\":\"{message_id}\",\"measure\":\"blood_pressure\",\"systolic\":{systolic},\
         \"diastolic\":{diastolic},\"unit\":\"mmHg\",\"taken_at\":\"{at}\"}}\n"
    )
}

#[tokio::test]
async fn a_crisis_reading_from_a_device_reaches_the_family_doctor() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        support::add_demo_records(&app, support::DEMO_RESIDENTS).await;
        let (resident_user, resident) = support::demo_resident(&app).await;
        let care = app
            .clinical
            .residents()
            .resident(&resident)
            .await
            .unwrap()
            .unwrap()
            .care;
        let doctor = care.family_doctor_id.clone().unwrap();

        // The same keys the router's services use (the harness's test keyring).
        let devices =
            devices::Devices::new(db.clone(), Arc::new(vault::Keyring::for_tests())).unwrap();
        let (_, credential) = devices
            .register(&resident_user, "bp_monitor", "客厅血压计", Some(&resident))
            .await
            .unwrap();

        let now = jiff::Timestamp::now();
        let body = reading("normal-1", 126, 78, now) + &reading("crisis-1", 186, 96, now);
        let (status, report) = post_readings(&app, &credential, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let statuses: Vec<&str> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["accepted", "accepted"]);

        // The alert worker judges readings after they are committed.
        let alerts = alerts::Alerts::new(
            db.clone(),
            app.ledger.clone(),
            alerts::CareLookup::new(
                app.clinical.residents().clone(),
                app.clinical.registers().clone(),
            ),
            alerts::RuleBook::builtin().unwrap(),
        );
        let mine = alerts_of_resident_once_raised(&alerts, &resident).await;
        assert_eq!(mine.len(), 1, "one alert, for the crisis reading only");
        let staff = alerts::Staff {
            user_id: doctor.clone(),
            organisation_ids: care.community_centre_id.clone().into_iter().collect(),
            districts: Vec::new(),
        };
        let inbox = alerts
            .inbox(&staff, &alerts::InboxFilter::default())
            .await
            .unwrap();
        let alert = inbox
            .iter()
            .find(|a| a.resident_id == resident)
            .expect("the alert is in the family doctor's inbox");
        assert_eq!(alert.reading_count, 1);

        // Sent again: duplicates, stored once, and the episode does not count them again.
        let (status, report) = post_readings(&app, &credential, body).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            report["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["status"] == "duplicate"),
            "{report}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        let inbox = alerts
            .inbox(&staff, &alerts::InboxFilter::default())
            .await
            .unwrap();
        let alert = inbox.iter().find(|a| a.resident_id == resident).unwrap();
        assert_eq!(alert.reading_count, 1);
    }
}

/// The alert gap a crash could leave, on both backends: a reading committed while no worker
/// ran (a crash right after the commit) is judged when the worker starts again; a feed entry
/// judged just before a crash, and not yet deleted, is not judged a second time.
#[tokio::test]
async fn readings_committed_before_a_crash_are_judged_once_after_it() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        support::add_demo_records(&app, support::DEMO_RESIDENTS).await;
        // The crash: no worker judges what commits from now on.
        app.alerting.abort();
        let (resident_user, resident) = support::demo_resident(&app).await;
        let rules = alerts::RuleBook::builtin().unwrap();
        let devices = devices::Devices::new(db.clone(), Arc::new(vault::Keyring::for_tests()))
            .unwrap()
            .with_feed(web::readings::feed_filter(&rules));
        let alerts = alerts::Alerts::new(
            db.clone(),
            app.ledger.clone(),
            alerts::CareLookup::new(
                app.clinical.residents().clone(),
                app.clinical.registers().clone(),
            ),
            rules,
        );
        let (_, credential) = devices
            .register(&resident_user, "bp_monitor", "卧室血压计", Some(&resident))
            .await
            .unwrap();
        let now = jiff::Timestamp::now();

        // Committed and acknowledged, not judged: the entry waits in the feed.
        let (status, report) =
            post_readings(&app, &credential, reading("crisis-a", 188, 100, now)).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["accepted"], 1, "{report}");
        let waiting = devices.feed_waiting(10).await.unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].readings.len(), 2, "systolic and diastolic");
        assert!(
            alerts
                .alerts_of_resident(&resident)
                .await
                .unwrap()
                .is_empty()
        );

        // The restart: the new worker finds the entry and judges it.
        let worker = web::readings::spawn_alerting(devices.clone(), alerts.clone());
        let mine = alerts_of_resident_once_raised(&alerts, &resident).await;
        assert_eq!(mine.len(), 1, "the crisis reading's alert");
        let started = Instant::now();
        while !devices.feed_waiting(10).await.unwrap().is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the entry is deleted"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        worker.abort();

        // A crash after the judgement committed and before the entry was deleted: the entry
        // is handed over again and skipped, so the day's readings count once.
        let daily_before = sbp_readings_today(db, &resident).await;
        let (status, _) =
            post_readings(&app, &credential, reading("crisis-b", 192, 104, now)).await;
        assert_eq!(status, StatusCode::OK);
        let entry = devices.feed_waiting(10).await.unwrap().remove(0);
        let facts: Vec<_> = entry.readings.iter().map(web::readings::fact_of).collect();
        alerts
            .on_batch_once(&entry.id, &facts, kernel::UtcMillis::now().0)
            .await
            .unwrap();
        web::readings::judge_waiting(&devices, &alerts)
            .await
            .unwrap();
        assert!(devices.feed_waiting(10).await.unwrap().is_empty());
        assert_eq!(
            sbp_readings_today(db, &resident).await,
            daily_before + 1,
            "crisis-b counted once in the day's systolic readings"
        );
        let mine = alerts.alerts_of_resident(&resident).await.unwrap();
        assert_eq!(mine.len(), 1, "still one episode");
        assert_eq!(mine[0].reading_count, 2, "crisis-a and crisis-b, once each");
    }
}

/// Systolic readings the alert rules counted for the resident today (their daily totals).
async fn sbp_readings_today(db: &store::Db, resident: &str) -> i64 {
    store::sqlx::query_scalar::<_, i64>(&format!(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM alert_daily \
         WHERE resident_id = '{resident}' AND element = 'sbp'"
    ))
    .fetch_one(db.pool())
    .await
    .unwrap()
}

/// Readings into the record, on both backends: each day's readings of a series become one
/// Observation (the day's mean, tagged as a home-device summary), written through the record
/// service; a later reading of the same day updates that Observation instead of adding one.
#[tokio::test]
async fn each_days_readings_become_one_observation_in_the_record() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        support::add_demo_records(&app, support::DEMO_RESIDENTS).await;
        let (resident_user, resident) = support::demo_resident(&app).await;
        let devices =
            devices::Devices::new(db.clone(), Arc::new(vault::Keyring::for_tests())).unwrap();
        let (_, credential) = devices
            .register(&resident_user, "bp_monitor", "书房血压计", Some(&resident))
            .await
            .unwrap();
        let now = jiff::Timestamp::now();
        let yesterday = now - jiff::SignedDuration::from_hours(24);
        let body = reading("d-1", 130, 80, now)
            + &reading("d-2", 140, 90, now)
            + &reading("d-3", 150, 96, yesterday);
        let (status, report) = post_readings(&app, &credential, body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(report["accepted"], 3, "{report}");

        let written = web::home_record::record_changed_days(&devices, &app.clinical)
            .await
            .unwrap();
        assert_eq!(written, 4, "systolic and diastolic, today and yesterday");
        assert!(devices.changed_days(10).await.unwrap().is_empty());

        let today_sbp = devices::ChangedDay {
            resident_id: resident.clone(),
            series: "sbp".into(),
            day_start: kernel::UtcMillis(devices::Period::Day.start_of(now.as_millisecond())),
            version: 0,
        };
        let actor = clinical::Actor::system("test");
        let read = |id: String| {
            let app = &app;
            let actor = actor.clone();
            async move { app.clinical.read(&actor, "Observation", &id).await.unwrap() }
        };
        let stored = read(today_sbp.observation_id()).await;
        assert_eq!(stored.patient_id.as_deref(), Some(resident.as_str()));
        assert_eq!(stored.body["code"]["coding"][0]["code"], "8480-6");
        assert_eq!(stored.body["valueQuantity"]["value"], 135.0);
        assert_eq!(stored.body["valueQuantity"]["code"], "mm[Hg]");
        assert_eq!(
            stored.body["meta"]["tag"][0]["code"],
            devices::RECORD_SOURCE_TAG.1
        );
        assert!(
            stored.body["note"][0]["text"]
                .as_str()
                .unwrap()
                .contains("2 readings, 130–140 mmHg")
        );

        // A later reading of the same day: the same Observation, a new version.
        let (status, _) = post_readings(&app, &credential, reading("d-4", 150, 100, now)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            web::home_record::record_changed_days(&devices, &app.clinical)
                .await
                .unwrap(),
            2
        );
        let stored = read(today_sbp.observation_id()).await;
        assert_eq!(stored.version, 2);
        assert_eq!(stored.body["valueQuantity"]["value"], 140.0);

        // The resident's timeline lists the summaries as the devices', not a clinic's.
        let mut me = support::Client::new(&app);
        me.login("resident", demo::DEMO_PASSWORD).await;
        let timeline = me.get(&format!("/residents/{resident}")).await;
        assert_eq!(timeline.status, StatusCode::OK);
        assert_eq!(
            timeline.body.matches("来自 居家设备（每日汇总）").count(),
            4,
            "two days of systolic and diastolic"
        );
        // The resident's access log shows the platform's writes as one line each, counted.
        let log = me.get("/me/access").await;
        assert_eq!(log.status, StatusCode::OK);
        for expected in ["写入健康记录", "共 4 次", "更新健康记录", "共 2 次"] {
            assert!(log.body.contains(expected), "/me/access shows {expected}");
        }
    }
}
