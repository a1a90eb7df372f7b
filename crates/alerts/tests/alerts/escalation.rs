//! Escalation times from the policy, injected clocks, idempotence and concurrent runs.

use alerts::{InboxFilter, Level, Staff};
use jiff::civil::date;
use store::testing::TestDatabases;

use crate::{CARE, Care, T0, bp, fixture, resident};

#[tokio::test]
async fn unacknowledged_alerts_escalate_to_the_centre_then_the_district() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let acked = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let sbp = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        let id = f
            .alerts
            .on_readings_at(&bp(&r, sbp, 80.0, T0), T0)
            .await
            .unwrap()
            .raised
            .remove(0);
        let other = f
            .alerts
            .on_readings_at(&bp(&acked, sbp, 80.0, T0), T0)
            .await
            .unwrap()
            .raised
            .remove(0);
        let doctor = Staff {
            user_id: "doc-1".into(),
            ..Staff::default()
        };
        f.alerts
            .acknowledge(&other, &doctor, None, T0 + 1)
            .await
            .unwrap();

        let severity = f.alerts.rules().danger_severity().clone();
        let first = T0 + severity.escalate_after_ms();
        assert!(f.alerts.escalate_due(first - 1).await.unwrap().is_empty());
        let up = f.alerts.escalate_due(first).await.unwrap();
        assert_eq!(up.len(), 1, "{}", db.backend().name());
        assert_eq!(
            (up[0].alert_id.as_str(), up[0].level),
            (id.as_str(), Level::CommunityCentre)
        );
        assert!(
            f.alerts.escalate_due(first).await.unwrap().is_empty(),
            "idempotent"
        );

        let second = first + severity.district_after_ms();
        assert!(f.alerts.escalate_due(second - 1).await.unwrap().is_empty());
        let up = f.alerts.escalate_due(second).await.unwrap();
        assert_eq!(up.len(), 1);
        assert_eq!(up[0].level, Level::District);
        assert!(
            f.alerts.escalate_due(second * 2).await.unwrap().is_empty(),
            "no third level"
        );

        let officer = Staff {
            user_id: "officer".into(),
            districts: vec!["gulou".into()],
            ..Staff::default()
        };
        let inbox = f
            .alerts
            .inbox(&officer, &InboxFilter::default())
            .await
            .unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].id, id);
        assert_eq!(inbox[0].escalated_at, Some(second));
        assert!(f.alerts.alert(&id, &officer).await.unwrap().is_some());
        assert!(f.alerts.alert(&other, &officer).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn concurrent_runs_escalate_each_alert_once() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let sbp = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        let mut facts = Vec::new();
        for i in 0..20 {
            facts.extend(bp(&format!("unknown-{i}"), sbp, 80.0, T0));
        }
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        facts.extend(bp(&r, sbp, 80.0, T0));
        f.alerts.on_readings_at(&facts, T0).await.unwrap();
        let due = T0 + f.alerts.rules().danger_severity().escalate_after_ms();
        let (a, b, c) = tokio::join!(
            f.alerts.escalate_due(due),
            f.alerts.escalate_due(due),
            f.alerts.escalate_due(due)
        );
        let total = a.unwrap().len() + b.unwrap().len() + c.unwrap().len();
        // Only the resident with a family doctor starts at the first level.
        assert_eq!(total, 1);
    }
}

#[tokio::test]
async fn without_a_family_doctor_the_alert_starts_at_the_centre() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let care = Care {
            doctor: None,
            ..CARE
        };
        let r = resident(&f, date(1960, 1, 1), care, &[]).await;
        let sbp = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        f.alerts
            .on_readings_at(&bp(&r, sbp, 80.0, T0), T0)
            .await
            .unwrap();
        let nurse = Staff {
            user_id: "nurse".into(),
            organisation_ids: vec!["chc-1".into()],
            ..Staff::default()
        };
        let inbox = f
            .alerts
            .inbox(&nurse, &InboxFilter::default())
            .await
            .unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].level, Level::CommunityCentre);
        assert_eq!(inbox[0].addressee_id, None);
        let severity = f.alerts.rules().danger_severity().clone();
        assert_eq!(
            inbox[0].escalation_due_at,
            Some(T0 + severity.district_after_ms())
        );
    }
}

#[tokio::test]
async fn a_periodic_run_escalates_and_closes_once_and_reports_what_it_did() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let sbp = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        f.alerts
            .on_readings_at(&bp(&r, sbp, 80.0, T0), T0)
            .await
            .unwrap();
        let urgent = f
            .alerts
            .rules()
            .policy()
            .severity("urgent")
            .unwrap()
            .clone();
        let before = f.alerts.maintain(T0 + urgent.escalate_after_ms() - 1).await;
        assert_eq!(before, alerts::Tick::default(), "nothing is due yet");
        let due = T0 + urgent.escalate_after_ms();
        let tick = f.alerts.maintain(due).await;
        assert_eq!(
            tick,
            alerts::Tick {
                escalated: 1,
                closed: 0,
                failed: 0
            }
        );
        assert_eq!(f.alerts.maintain(due).await, alerts::Tick::default());
        let quiet = T0 + urgent.quiet_period_ms();
        assert_eq!(f.alerts.maintain(quiet).await.closed, 1);
        // A run that cannot reach the database reports each failed step (escalation, quiet
        // closing, forgetting judged batch ids, forgetting old trend aggregates) instead of
        // stopping.
        f.db.close().await;
        assert_eq!(f.alerts.maintain(quiet + 1).await.failed, 4);
    }
}
