#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
//! The device service on both backends: registration and credentials, every ingest rule,
//! dedup, quarantine review, summaries and queries.

mod common;

use common::*;
use devices::{
    AuthError, Correction, DevicesError, Format, Outcome, Period, QuarantineStatus, Rejection,
};
use kernel::UtcMillis;
use store::testing::TestDatabases;

const FOREVER: UtcMillis = UtcMillis(i64::MAX);

#[tokio::test]
async fn devices_are_registered_bound_and_revoked_with_the_actor_recorded() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (d, secret) = devices
            .register(DOCTOR, "bp_monitor", "Omron U30 #123", Some("r1"))
            .await
            .unwrap();
        assert!(secret.starts_with("lhd_"));
        let stored: String =
            store::sqlx::query_scalar("SELECT credential_hash FROM devices WHERE id = $1")
                .bind(&d.id)
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_ne!(stored, secret, "only the hash is stored");
        let bound = devices.authenticate(&secret).await.unwrap();
        assert_eq!(
            (bound.kind.as_str(), bound.resident_id.as_str()),
            ("bp_monitor", "r1")
        );

        // Rebinding moves the device's later readings to the new resident.
        devices.bind("resident-user-2", &d.id, "r2").await.unwrap();
        assert_eq!(
            devices.authenticate(&secret).await.unwrap().resident_id,
            "r2"
        );
        assert_eq!(devices.devices_of("r2").await.unwrap().len(), 1);

        let revoked = devices.revoke(DOCTOR, &d.id, "lost").await.unwrap();
        assert!(revoked.revoked);
        assert_eq!(
            devices.authenticate(&secret).await,
            Err(AuthError::Revoked {
                device_id: d.id.clone()
            })
        );
        assert!(matches!(
            devices.bind(DOCTOR, &d.id, "r3").await,
            Err(DevicesError::Revoked(_))
        ));
        assert!(matches!(
            devices.revoke(DOCTOR, &d.id, "again").await,
            Err(DevicesError::Revoked(_))
        ));
        let history = devices.history(&d.id).await.unwrap();
        let actions: Vec<(&str, &str)> = history
            .iter()
            .map(|e| (e.action.as_str(), e.actor_id.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("registered", DOCTOR),
                ("bound", "resident-user-2"),
                ("revoked", DOCTOR)
            ]
        );
        assert_eq!(history[2].reason.as_deref(), Some("lost"));

        let (_, unbound) = devices
            .register(DOCTOR, "scale", "scale", None)
            .await
            .unwrap();
        assert!(matches!(
            devices.authenticate(&unbound).await,
            Err(AuthError::Unbound { .. })
        ));
        assert_eq!(
            devices.authenticate("lhd_not-a-credential").await,
            Err(AuthError::Unknown)
        );
        assert_eq!(
            devices.authenticate("lht_a-user-token").await,
            Err(AuthError::Unknown)
        );
        let err = devices
            .register(DOCTOR, "toaster", "x", None)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`toaster` is not a kind of device; use one of: bp_monitor, glucometer, cgm, smart_watch, scale"
        );
        assert!(matches!(
            devices.register(DOCTOR, "scale", "  ", None).await,
            Err(DevicesError::Invalid { field: "label", .. })
        ));
    }
}

#[tokio::test]
async fn readings_are_stored_in_canonical_units_and_returned_for_alerts() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (monitor, _) = device(&devices, "bp_monitor", "r1").await;
        let (meter, _) = device(&devices, "glucometer", "r1").await;
        let t = minutes_ago(10);
        let body = format!(
            "[{}, {}]",
            bp("m1", 24.0, 14.7, "kPa", &t),
            hr("m2", 61.0, &t)
        );
        let report = send(&devices, &monitor, &body, Format::Json).await;
        assert_eq!(statuses(&report), ["accepted", "accepted"]);
        let values: Vec<(&str, &str, f64)> = report
            .accepted()
            .map(|a| {
                (
                    a.series.as_str(),
                    a.element.as_str(),
                    (a.value * 10.0).round() / 10.0,
                )
            })
            .collect();
        assert_eq!(
            values,
            [
                ("sbp", "sbp", 180.0),
                ("dbp", "dbp", 110.3),
                ("heart_rate", "heart_rate", 61.0)
            ]
        );
        let first = report.accepted().next().unwrap();
        assert_eq!(first.resident_id, "r1");
        assert_eq!(first.unit, "mm[Hg]");

        let report = send(
            &devices,
            &meter,
            &glucose("g1", 306.0, "mg/dL", &t),
            Format::Ndjson,
        )
        .await;
        let g = report.accepted().next().unwrap();
        assert_eq!(
            (g.series.as_str(), g.element.as_str(), g.value),
            ("glucose", "fpg", 17.0)
        );

        let stored = devices
            .readings("r1", Some("glucose"), UtcMillis(0), FOREVER, 100)
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].value, 17.0);
        assert_eq!(stored[0].message_id, "g1");
        let all = devices
            .readings("r1", None, UtcMillis(0), FOREVER, 100)
            .await
            .unwrap();
        assert_eq!(all.len(), 4);
        assert!(
            devices
                .readings("r2", None, UtcMillis(0), FOREVER, 100)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_message_sent_twice_is_stored_once() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (watch, _) = device(&devices, "smart_watch", "r1").await;
        let (other, _) = device(&devices, "smart_watch", "r1").await;
        let t = minutes_ago(5);
        // Within one batch.
        let body = format!(
            "{}\n{}\n{}",
            hr("a", 70.0, &t),
            hr("a", 71.0, &t),
            hr("b", 72.0, &t)
        );
        let report = send(&devices, &watch, &body, Format::Ndjson).await;
        assert_eq!(statuses(&report), ["accepted", "duplicate", "accepted"]);
        // Across batches, whatever the content of the resend.
        let report = send(
            &devices,
            &watch,
            &format!("[{}, {}]", hr("b", 99.0, &t), hr("c", 73.0, &t)),
            Format::Json,
        )
        .await;
        assert_eq!(statuses(&report), ["duplicate", "accepted"]);
        // Message ids are the device's own: another device may use the same.
        let report = send(&devices, &other, &hr("a", 74.0, &t), Format::Ndjson).await;
        assert_eq!(statuses(&report), ["accepted"]);
        assert_eq!(count(db, "device_readings").await, 4);
        let day = devices
            .summaries("r1", "heart_rate", Period::Day, UtcMillis(0), FOREVER)
            .await
            .unwrap();
        assert_eq!(
            day.iter().map(|s| s.count).sum::<i64>(),
            4,
            "duplicates are not counted"
        );

        // Two batches of one transaction (the MQTT path) carrying the same id: stored once.
        let items = |body: &str| {
            devices::payload::parse(body.as_bytes(), Format::Ndjson, devices.limits()).unwrap()
        };
        let batch = |body: &str| devices::Batch {
            device: watch.clone(),
            items: items(body),
        };
        let reports = devices
            .ingest_all(
                &[batch(&hr("d", 75.0, &t)), batch(&hr("d", 75.0, &t))],
                UtcMillis::now(),
            )
            .await
            .unwrap();
        assert_eq!(statuses(&reports[0]), ["accepted"]);
        assert_eq!(statuses(&reports[1]), ["duplicate"]);
        assert_eq!(count(db, "device_readings").await, 5);

        // Ids with quotes, backslashes and Chinese text are matched exactly, not as patterns
        // or prefixes.
        let odd = hr(r#"q\"\\中"#, 76.0, &t);
        let body = format!("{odd}\n{}", hr("q", 77.0, &t));
        let report = send(&devices, &watch, &body, Format::Ndjson).await;
        assert_eq!(statuses(&report), ["accepted", "accepted"]);
        let body = format!("{}\n{odd}", hr("q\\\"", 78.0, &t));
        let report = send(&devices, &watch, &body, Format::Ndjson).await;
        assert_eq!(statuses(&report), ["accepted", "duplicate"]);
        assert_eq!(count(db, "device_readings").await, 8);
    }
}

#[tokio::test]
async fn each_rule_quarantines_its_readings_with_a_typed_reason() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (meter, _) = device(&devices, "glucometer", "r1").await;
        let now = minutes_ago(0);
        let future = UtcMillis(UtcMillis::now().0 + 3_600_000).to_rfc3339();
        let old = UtcMillis(UtcMillis::now().0 - 31 * 86_400_000).to_rfc3339();
        let lines = [
            glucose("unit", 7.0, "g/L", &now),
            glucose("range", 126.0, "mmol/L", &now),
            glucose("future", 7.0, "mmol/L", &future),
            glucose("old", 7.0, "mmol/L", &old),
            hr("kind", 70.0, &now),
            glucose("who", 7.0, "mmol/L", &now)
                .replace("\"glucose\"", "\"glucose\",\"resident_id\":\"r9\""),
        ];
        let report = send(&devices, &meter, &lines.join("\n"), Format::Ndjson).await;
        assert_eq!(statuses(&report), ["quarantined"; 6]);
        let codes: Vec<&str> = report
            .results
            .iter()
            .map(|r| match &r.outcome {
                Outcome::Quarantined { rejection, .. } => rejection.code(),
                _ => "",
            })
            .collect();
        assert_eq!(
            codes,
            [
                "unknown_unit",
                "implausible",
                "in_future",
                "too_old",
                "measure_not_of_kind",
                "other_resident"
            ]
        );
        assert_eq!(count(db, "device_readings").await, 0);

        let open = devices
            .quarantined("r1", Some(QuarantineStatus::Open))
            .await
            .unwrap();
        assert_eq!(open.len(), 6);
        let range = open.iter().find(|q| q.message_id == "range").unwrap();
        assert_eq!(
            range.rejection,
            Some(Rejection::Implausible {
                series: "glucose".into(),
                value: 126.0,
                low: 0.5,
                high: 100.0,
                unit: "mmol/L".into()
            })
        );
        assert_eq!(range.reading["value"], 126.0);
        assert_eq!(range.device_id, meter.id);

        // A replay of a quarantined message is a duplicate, not a second entry.
        let report = send(&devices, &meter, &lines[1], Format::Ndjson).await;
        assert_eq!(statuses(&report), ["duplicate"]);
        assert_eq!(count(db, "device_quarantine").await, 6);

        // The sender's answer names the field and says why, in both languages.
        let json = send(
            &devices,
            &meter,
            &glucose("range2", 126.0, "mmol/L", &now),
            Format::Ndjson,
        )
        .await
        .to_json();
        let entry = &json["results"][0];
        assert_eq!(entry["status"], "quarantined");
        assert_eq!(entry["problem"]["field"], "value");
        assert_eq!(entry["problem"]["code"], "implausible");
        assert!(
            entry["problem"]["message_zh"]
                .as_str()
                .unwrap()
                .contains("超出可信范围")
        );
        assert_eq!(json["quarantined"], 1);
    }
}

#[tokio::test]
async fn garbage_in_a_batch_is_reported_by_position_and_field_and_the_rest_is_stored() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (monitor, _) = device(&devices, "bp_monitor", "r1").await;
        let t = minutes_ago(1);
        let body = [
            bp("ok1", 120.0, 80.0, "mmHg", &t),
            "{\"message_id\": \"broken\"".to_owned(),
            bp("half", 120.0, 80.0, "mmHg", &t).replace(",\"diastolic\":80", ""),
            // Only the value is quoted: the timestamp may itself contain "70".
            hr("string", 70.0, &t).replace("\"value\":70", "\"value\":\"70\""),
            "[1,2]".to_owned(),
            hr("ok2", 70.0, &t),
        ]
        .join("\n");
        let report = send(&devices, &monitor, &body, Format::Ndjson).await;
        assert_eq!(
            statuses(&report),
            [
                "accepted", "invalid", "invalid", "invalid", "invalid", "accepted"
            ]
        );
        let json = report.to_json();
        assert_eq!(json["results"][1]["line"], 2);
        assert_eq!(json["results"][2]["problem"]["field"], "diastolic");
        assert_eq!(
            json["results"][2]["problem"]["message_en"],
            "`diastolic` is required for blood_pressure"
        );
        assert_eq!(json["results"][3]["problem"]["field"], "value");
        assert_eq!(
            json["results"][3]["problem"]["message_en"],
            "`value` must be a number"
        );
        assert_eq!(
            json["results"][4]["problem"]["message_en"],
            "a reading must be a JSON object"
        );
        assert_eq!(count(db, "device_readings").await, 3);
        // An invalid reading reserves no message id: the corrected resend is accepted.
        let fixed = send(
            &devices,
            &monitor,
            &bp("half", 120.0, 80.0, "mmHg", &t),
            Format::Ndjson,
        )
        .await;
        assert_eq!(statuses(&fixed), ["accepted"]);
    }
}

#[tokio::test]
async fn the_doctor_accepts_a_corrected_reading_or_discards_one_with_a_reason() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (meter, _) = device(&devices, "glucometer", "r1").await;
        let t = minutes_ago(3);
        let old = UtcMillis(UtcMillis::now().0 - 40 * 86_400_000).to_rfc3339();
        let body = [
            glucose("wrong-unit", 126.0, "mmol/L", &t),
            glucose("old", 6.1, "mmol/L", &old),
            glucose("noise", 0.1, "mmol/L", &t),
        ]
        .join("\n");
        send(&devices, &meter, &body, Format::Ndjson).await;
        let open = devices
            .quarantined("r1", Some(QuarantineStatus::Open))
            .await
            .unwrap();
        let id = |m: &str| open.iter().find(|q| q.message_id == m).unwrap().id.clone();

        // Still wrong after "correction": refused, and the entry stays open.
        let err = devices
            .accept_quarantined(
                DOCTOR,
                &id("wrong-unit"),
                &Correction {
                    unit: Some("g/L".into()),
                    ..Default::default()
                },
                "unit",
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DevicesError::StillRejected(Rejection::UnknownUnit { .. })
            ),
            "{err}"
        );
        assert!(matches!(
            devices
                .accept_quarantined(DOCTOR, &id("wrong-unit"), &Correction::default(), " ")
                .await,
            Err(DevicesError::Invalid {
                field: "reason",
                ..
            })
        ));

        let accepted = devices
            .accept_quarantined(
                DOCTOR,
                &id("wrong-unit"),
                &Correction {
                    unit: Some("mg/dL".into()),
                    ..Default::default()
                },
                "meter set to mg/dL; confirmed with the resident",
            )
            .await
            .unwrap();
        assert_eq!(accepted.len(), 1);
        assert_eq!(
            (accepted[0].value, accepted[0].element.as_str()),
            (7.0, "fpg")
        );
        // Old readings may be accepted on review: the age window is the reviewer's call.
        devices
            .accept_quarantined(
                DOCTOR,
                &id("old"),
                &Correction::default(),
                "uploaded late after travel",
            )
            .await
            .unwrap();
        devices
            .discard_quarantined(DOCTOR, &id("noise"), "strip error")
            .await
            .unwrap();
        assert!(matches!(
            devices
                .discard_quarantined(DOCTOR, &id("noise"), "again")
                .await,
            Err(DevicesError::AlreadyReviewed(_))
        ));
        assert!(matches!(
            devices
                .accept_quarantined(DOCTOR, &id("wrong-unit"), &Correction::default(), "again")
                .await,
            Err(DevicesError::AlreadyReviewed(_))
        ));
        assert!(matches!(
            devices.discard_quarantined(DOCTOR, "nope", "x").await,
            Err(DevicesError::UnknownQuarantined(_))
        ));

        assert!(
            devices
                .quarantined("r1", Some(QuarantineStatus::Open))
                .await
                .unwrap()
                .is_empty()
        );
        let all = devices.quarantined("r1", None).await.unwrap();
        let noise = all.iter().find(|q| q.message_id == "noise").unwrap();
        assert_eq!(noise.status, QuarantineStatus::Discarded);
        assert_eq!(noise.decided_by.as_deref(), Some(DOCTOR));
        assert_eq!(noise.decision_reason.as_deref(), Some("strip error"));
        let values: Vec<f64> = devices
            .readings("r1", Some("glucose"), UtcMillis(0), FOREVER, 10)
            .await
            .unwrap()
            .iter()
            .map(|r| r.value)
            .collect();
        assert_eq!(values, [6.1, 7.0], "by time: the old one first");
        let days = devices
            .summaries("r1", "glucose", Period::Day, UtcMillis(0), FOREVER)
            .await
            .unwrap();
        assert_eq!(
            days.iter().map(|d| d.count).sum::<i64>(),
            2,
            "accepted readings are summarised"
        );
    }
}

#[tokio::test]
async fn hourly_and_daily_summaries_and_the_latest_values_add_up() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (monitor, _) = device(&devices, "bp_monitor", "r1").await;
        // A fixed city day two days ago: 09:10, 09:40 and 10:05 Shanghai time, plus one at
        // 23:30 that day and one the next morning (the city's calendar, not UTC's).
        let day = UtcMillis(UtcMillis::now().0 - 2 * 86_400_000).city_date();
        let at = |h: i8, m: i8, plus_days: i64| {
            let d = day.checked_add(jiff::Span::new().days(plus_days)).unwrap();
            d.at(h, m, 0, 0)
                .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
                .unwrap()
                .timestamp()
                .to_string()
        };
        let body = [
            bp("1", 120.0, 80.0, "mmHg", &at(9, 10, 0)),
            bp("2", 140.0, 90.0, "mmHg", &at(9, 40, 0)),
            bp("3", 130.0, 85.0, "mmHg", &at(10, 5, 0)),
            bp("4", 150.0, 95.0, "mmHg", &at(23, 30, 0)),
            bp("5", 110.0, 70.0, "mmHg", &at(7, 0, 1)),
        ]
        .join("\n");
        let report = send(&devices, &monitor, &body, Format::Ndjson).await;
        assert_eq!(statuses(&report), ["accepted"; 5]);
        // Sent again in a second batch out of order: the summaries change only for new ones.
        let more = bp("6", 100.0, 60.0, "mmHg", &at(9, 50, 0));
        send(
            &devices,
            &monitor,
            &format!("{more}\n{}", bp("1", 1.0, 1.0, "mmHg", &at(9, 10, 0))),
            Format::Ndjson,
        )
        .await;

        let hours = devices
            .summaries("r1", "sbp", Period::Hour, UtcMillis(0), FOREVER)
            .await
            .unwrap();
        let nine = &hours[0];
        assert_eq!(nine.period_start.to_rfc3339(), at(9, 0, 0));
        assert_eq!((nine.count, nine.min, nine.max), (3, 100.0, 140.0));
        assert!((nine.mean - 120.0).abs() < 1e-9);
        assert_eq!(hours.len(), 4);

        let days = devices
            .summaries("r1", "sbp", Period::Day, UtcMillis(0), FOREVER)
            .await
            .unwrap();
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].period_start.to_rfc3339(), at(0, 0, 0));
        assert_eq!((days[0].count, days[0].min, days[0].max), (5, 100.0, 150.0));
        assert!((days[0].mean - 128.0).abs() < 1e-9);
        assert_eq!((days[1].count, days[1].mean), (1, 110.0));
        let dbp_days = devices
            .summaries("r1", "dbp", Period::Day, UtcMillis(0), FOREVER)
            .await
            .unwrap();
        assert_eq!(dbp_days[0].max, 95.0);

        // Hourly summaries are kept `hourly_summary_days`; daily ones and readings stay.
        let keep = devices.catalogue().rules.hourly_summary_days.value * 86_400_000;
        assert_eq!(
            devices.forget_old_hours(UtcMillis::now().0).await.unwrap(),
            0
        );
        let later = UtcMillis::now().0 + keep;
        assert!(
            devices.forget_old_hours(later).await.unwrap() >= 8,
            "sbp and dbp hours"
        );
        let hours_left = devices
            .summaries("r1", "sbp", Period::Hour, UtcMillis(0), FOREVER)
            .await
            .unwrap();
        assert!(hours_left.is_empty(), "{hours_left:?}");
        let days_left = devices
            .summaries("r1", "sbp", Period::Day, UtcMillis(0), FOREVER)
            .await
            .unwrap();
        assert_eq!(days_left.len(), 2, "daily summaries stay");

        let latest = devices.latest("r1").await.unwrap();
        let pairs: Vec<(&str, f64)> = latest
            .iter()
            .map(|r| (r.series.as_str(), r.value))
            .collect();
        assert_eq!(pairs, [("sbp", 110.0), ("dbp", 70.0)]);

        let window = devices
            .readings(
                "r1",
                Some("sbp"),
                UtcMillis::from_timestamp(at(0, 0, 0).parse().unwrap()),
                UtcMillis(i64::MAX),
                2,
            )
            .await
            .unwrap();
        assert_eq!(window.len(), 2, "the limit applies");
    }
}

/// NDJSON of `n` heart rates with ids `{tag}-0` … `{tag}-{n-1}`.
fn heart_rates(tag: &str, n: usize) -> String {
    let t = minutes_ago(10);
    (0..n)
        .map(|i| hr(&format!("{tag}-{i}"), 60.0 + (i % 30) as f64, &t) + "\n")
        .collect()
}

#[tokio::test]
async fn batches_of_any_size_are_stored_whole_through_the_shared_statements() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (watch, _) = device(&devices, "smart_watch", "r-sizes").await;
        // One statement holds up to 1,024 readings in the smallest of 1, 2, 4, … rows that
        // fits, the rest skipped: 130 and then 200 share the 256-row statement, so the places
        // the first left empty carry readings the second time; 1,100 takes two statements.
        let mut stored = 0;
        for (i, size) in [130, 200, 1, 3, 256, 1_000, 1_100, 130]
            .into_iter()
            .enumerate()
        {
            let body = heart_rates(&format!("s{i}"), size);
            let report = send(&devices, &watch, &body, Format::Ndjson).await;
            assert_eq!(report.counts(), (size, 0, 0, 0), "a batch of {size}");
            stored += size as i64;
            assert_eq!(count(db, "device_readings").await, stored, "after {size}");
        }
        let values: Vec<f64> = store::sqlx::query_scalar(
            "SELECT value FROM device_readings WHERE message_id IN ('s1-0', 's1-199')",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        assert_eq!(
            values.len(),
            2,
            "the first and the last reading of the batch of 200"
        );
        assert!(
            values.iter().all(|v| *v >= 40.0),
            "real values, not padding: {values:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_share_commits_and_each_id_is_accepted_once() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let resident = "r-group";
        let (watch, _) = device(&devices, "smart_watch", resident).await;
        // 24 senders at once; each pair sends the same 200 ids (a device resending a batch
        // while the first is still being written), so about half the readings are duplicates
        // decided inside one group's transaction or across groups.
        let sends: Vec<_> = (0..24)
            .map(|i| {
                let devices = devices.clone();
                let watch = watch.clone();
                let body = heart_rates(&format!("g{}", i / 2), 200);
                tokio::spawn(async move { send(&devices, &watch, &body, Format::Ndjson).await })
            })
            .collect();
        let mut accepted = 0;
        let mut duplicates = 0;
        for s in sends {
            let (a, d, q, i) = s.await.unwrap().counts();
            assert_eq!((q, i), (0, 0));
            accepted += a;
            duplicates += d;
        }
        assert_eq!(accepted, 12 * 200, "each id accepted by exactly one sender");
        assert_eq!(duplicates, 12 * 200);
        assert_eq!(count(db, "device_readings").await, 12 * 200);
        assert_eq!(count(db, "device_messages").await, 12 * 200);
        let summarised: i64 = store::sqlx::query_scalar(
            "SELECT CAST(SUM(count) AS BIGINT) FROM device_summaries WHERE period = 'day'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(summarised, 12 * 200, "summaries count each reading once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_answered_busy_with_retry_after_and_the_held_readings_stay_bounded() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (watch, secret) = device(&devices, "smart_watch", "r-flood").await;
        let bound = devices.max_readings_held();
        assert_eq!(bound, 200_000, "devices.toml max_in_flight_readings");

        // The store is behind: other senders' readings fill all but 3,000 places.
        let others = devices.try_admit(bound - 3_000).unwrap();
        assert_eq!(devices.readings_held(), bound - 3_000);

        // A batch that does not fit is refused whole, with the data file's Retry-After.
        let big = heart_rates("big", 5_000);
        match devices
            .receive(Some(&secret), Some("application/x-ndjson"), big.as_bytes())
            .await
        {
            Err(devices::ReceiveError::Devices(DevicesError::Busy {
                retry_after_seconds,
            })) => assert_eq!(retry_after_seconds, 1),
            other => panic!("expected Busy, got {other:?}"),
        }
        assert_eq!(
            count(db, "device_readings").await,
            0,
            "nothing of it stored"
        );

        // Sixteen senders of 1,000 readings each, retrying when told to, against room for
        // three batches: many are refused, every reading ends up stored once, and the
        // readings held never pass the bound.
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let sampling = {
            let devices = devices.clone();
            let peak = peak.clone();
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(
                        devices.readings_held(),
                        std::sync::atomic::Ordering::Relaxed,
                    );
                    tokio::task::yield_now().await;
                }
            })
        };
        let senders: Vec<_> = (0..16)
            .map(|i| {
                let devices = devices.clone();
                let secret = secret.clone();
                let body = heart_rates(&format!("flood{i}"), 1_000);
                tokio::spawn(async move {
                    let mut refused = 0;
                    loop {
                        match devices
                            .receive(Some(&secret), Some("application/x-ndjson"), body.as_bytes())
                            .await
                        {
                            Ok(report) => return (report.counts().0, refused),
                            Err(devices::ReceiveError::Devices(DevicesError::Busy {
                                retry_after_seconds: 1,
                            })) => {
                                refused += 1;
                                // The test does not sleep the full second: it is the answer
                                // that is checked here, not the client's patience.
                                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                            }
                            Err(e) => panic!("unexpected error: {e}"),
                        }
                    }
                })
            })
            .collect();
        let mut accepted = 0;
        let mut refused = 0;
        for s in senders {
            let (a, r) = s.await.unwrap();
            accepted += a;
            refused += r;
        }
        sampling.abort();
        assert_eq!(accepted, 16_000);
        assert!(refused > 0, "some senders were told to retry");
        assert_eq!(count(db, "device_readings").await, 16_000);
        let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
        assert!(peak <= bound, "held {peak} readings; the bound is {bound}");
        assert!(
            peak > bound - 3_000,
            "the flood's own readings were held too"
        );
        drop(others);
        assert_eq!(devices.readings_held(), 0);
        let _ = watch;
    }
}

/// The feed takes, in the readings' own commit, the new accepted readings of the series its
/// consumer asked for (every value of such a reading), one entry per commit; duplicates,
/// quarantined readings and other series stay out; a doctor's accepted correction goes in;
/// an entry stays until its consumer says it is done.
#[tokio::test]
async fn the_feed_holds_each_commits_new_readings_of_the_asked_series_until_done() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices =
            service(db)
                .await
                .with_feed(std::sync::Arc::new(|values: &[devices::Accepted]| {
                    values
                        .iter()
                        .any(|a| a.series == "sbp" || a.series == "glucose")
                }));
        let (monitor, _) = device(&devices, "bp_monitor", "r1").await;
        let (watch, _) = device(&devices, "smart_watch", "r1").await;
        let (meter, _) = device(&devices, "glucometer", "r2").await;
        let t = minutes_ago(2);
        assert!(devices.feed_waiting(10).await.unwrap().is_empty());

        let body = [
            bp("bp-1", 150.0, 95.0, "mmHg", &t),
            bp("bp-2", 400.0, 95.0, "mmHg", &t),
        ];
        let report = send(&devices, &monitor, &body.join("\n"), Format::Ndjson).await;
        assert_eq!(statuses(&report), ["accepted", "quarantined"]);
        send(&devices, &watch, &hr("hr-1", 72.0, &t), Format::Ndjson).await;
        let waiting = devices.feed_waiting(10).await.unwrap();
        assert_eq!(
            waiting.len(),
            1,
            "one entry: the watch's commit has nothing asked for"
        );
        let mut series: Vec<&str> = waiting[0]
            .readings
            .iter()
            .map(|a| a.series.as_str())
            .collect();
        series.sort_unstable();
        assert_eq!(
            series,
            ["dbp", "sbp"],
            "the diastolic travels with the systolic"
        );
        assert!(waiting[0].readings.iter().all(|a| a.message_id == "bp-1"));

        // Sent again: duplicates add nothing.
        send(
            &devices,
            &monitor,
            &bp("bp-1", 150.0, 95.0, "mmHg", &t),
            Format::Ndjson,
        )
        .await;
        assert_eq!(devices.feed_waiting(10).await.unwrap().len(), 1);

        // A glucometer set to mg/dL sends 133 as mmol/L; the corrected reading goes in.
        send(
            &devices,
            &meter,
            &glucose("g-1", 133.0, "mmol/L", &t),
            Format::Ndjson,
        )
        .await;
        assert_eq!(
            devices.feed_waiting(10).await.unwrap().len(),
            1,
            "quarantined: out"
        );
        let open = devices
            .quarantined("r2", Some(QuarantineStatus::Open))
            .await
            .unwrap();
        devices
            .accept_quarantined(
                DOCTOR,
                &open[0].id,
                &Correction {
                    unit: Some("mg/dL".into()),
                    ..Default::default()
                },
                "meter set to mg/dL",
            )
            .await
            .unwrap();
        let waiting = devices.feed_waiting(10).await.unwrap();
        assert_eq!(waiting.len(), 2);
        assert!(waiting[0].id < waiting[1].id, "oldest first");
        assert_eq!(waiting[1].readings[0].resident_id, "r2");
        assert_eq!(waiting[1].readings[0].series, "glucose");
        assert!((waiting[1].readings[0].value - 133.0 / 18.0).abs() < 0.1);

        devices.feed_done(&[waiting[0].id.clone()]).await.unwrap();
        let left = devices.feed_waiting(10).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].id, waiting[1].id);
    }
}

/// Without a feed nothing is kept for consumers.
#[tokio::test]
async fn without_a_feed_nothing_waits() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (monitor, _) = device(&devices, "bp_monitor", "r1").await;
        send(
            &devices,
            &monitor,
            &bp("bp-1", 150.0, 95.0, "mmHg", &minutes_ago(1)),
            Format::Ndjson,
        )
        .await;
        assert!(devices.feed_waiting(10).await.unwrap().is_empty());
    }
}

/// The ingest marks each resident's series and day whose readings changed, for the record:
/// series recorded under their element's code only (a meter's glucose is not a fasting
/// glucose, so it stays out); a day changed again after it was read stays marked.
#[tokio::test]
async fn changed_days_are_marked_for_the_record_and_cleared_only_when_current() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let (monitor, _) = device(&devices, "bp_monitor", "r1").await;
        let (meter, _) = device(&devices, "glucometer", "r1").await;
        let t = minutes_ago(2);
        send(
            &devices,
            &monitor,
            &bp("bp-1", 132.0, 84.0, "mmHg", &t),
            Format::Ndjson,
        )
        .await;
        send(
            &devices,
            &meter,
            &glucose("g-1", 6.2, "mmol/L", &t),
            Format::Ndjson,
        )
        .await;
        let mut days = devices.changed_days(10).await.unwrap();
        days.sort_by(|a, b| a.series.cmp(&b.series));
        let series: Vec<&str> = days.iter().map(|d| d.series.as_str()).collect();
        assert_eq!(series, ["dbp", "sbp"]);
        assert!(days.iter().all(|d| d.resident_id == "r1" && d.version == 1));
        let figures = devices.day_figures(&days[1]).await.unwrap().unwrap();
        assert_eq!((figures.count, figures.mean), (1, 132.0));

        // Changed again before the record caught up: clearing the old version leaves it.
        send(
            &devices,
            &monitor,
            &bp("bp-2", 140.0, 88.0, "mmHg", &t),
            Format::Ndjson,
        )
        .await;
        devices.day_recorded(&days[1]).await.unwrap();
        let again = devices.changed_days(10).await.unwrap();
        let sbp = again.iter().find(|d| d.series == "sbp").unwrap();
        assert_eq!(sbp.version, 2);
        devices.day_recorded(sbp).await.unwrap();
        let left: Vec<String> = devices
            .changed_days(10)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.series)
            .collect();
        assert_eq!(left, ["dbp"]);
        assert_ne!(days[1].observation_id(), days[0].observation_id());
        assert_eq!(
            days[1].observation_id(),
            sbp.observation_id(),
            "one per day"
        );
    }
}
