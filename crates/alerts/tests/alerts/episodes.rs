//! Episodes: one alert per resident and rule however many readings trigger it; a new one
//! after resolution or a quiet period.

use alerts::{Staff, State};
use jiff::civil::date;
use store::testing::TestDatabases;

use crate::{CARE, MINUTE, T0, bp, fixture, resident};

fn doctor() -> Staff {
    Staff {
        user_id: "doc-1".into(),
        ..Staff::default()
    }
}

#[tokio::test]
async fn a_storm_of_crisis_readings_is_one_alert_counting_them_all() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 1, 1), CARE, &["hypertension"]).await;
        let crisis = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        // 50 in one batch, then 50 in batches of 10.
        let mut facts = Vec::new();
        for i in 0..50 {
            facts.extend(bp(&r, crisis + (i % 7) as f64, 100.0, T0 + i * MINUTE));
        }
        let first = f
            .alerts
            .on_readings_at(&facts, T0 + 50 * MINUTE)
            .await
            .unwrap();
        assert_eq!(first.raised.len(), 1);
        assert_eq!(first.attached, 49);
        for batch in 0..5 {
            let mut facts = Vec::new();
            for i in 0..10 {
                let minute = 50 + batch * 10 + i;
                facts.extend(bp(&r, crisis + 1.0, 100.0, T0 + minute * MINUTE));
            }
            let more = f
                .alerts
                .on_readings_at(&facts, T0 + 100 * MINUTE)
                .await
                .unwrap();
            assert!(more.raised.is_empty());
            assert_eq!(more.attached, 10);
        }
        let alerts = f.alerts.alerts_of_resident(&r).await.unwrap();
        assert_eq!(alerts.len(), 1, "{}", db.backend().name());
        assert_eq!(alerts[0].reading_count, 100);
        assert_eq!(alerts[0].last_at, T0 + 99 * MINUTE);
        assert_eq!(alerts[0].last_value, crisis + 1.0);
        assert_eq!(alerts[0].raised_at, T0);
    }
}

#[tokio::test]
async fn after_resolution_or_a_quiet_period_a_trigger_is_a_new_episode() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let crisis = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        let first = f
            .alerts
            .on_readings_at(&bp(&r, crisis, 80.0, T0), T0)
            .await
            .unwrap();
        let id = first.raised[0].clone();
        // Resolving needs an acknowledgement first.
        let err = f
            .alerts
            .resolve(&id, &doctor(), None, T0 + MINUTE)
            .await
            .unwrap_err();
        assert!(
            matches!(err, alerts::AlertError::NotAcknowledged(ref a) if *a == id),
            "{err}"
        );
        f.alerts
            .acknowledge(&id, &doctor(), Some("called the patient"), T0 + MINUTE)
            .await
            .unwrap();
        let resolved = f
            .alerts
            .resolve(&id, &doctor(), Some("seen"), T0 + 2 * MINUTE)
            .await
            .unwrap();
        assert!(resolved.first);
        let again = f
            .alerts
            .resolve(&id, &doctor(), None, T0 + 3 * MINUTE)
            .await
            .unwrap();
        assert!(!again.first);
        assert_eq!((again.by.as_str(), again.at), ("doc-1", T0 + 2 * MINUTE));

        let second = f
            .alerts
            .on_readings_at(&bp(&r, crisis, 80.0, T0 + 5 * MINUTE), T0 + 5 * MINUTE)
            .await
            .unwrap();
        assert_eq!(second.raised.len(), 1);
        assert_ne!(second.raised[0], id);

        // A trigger after the quiet period: the open episode closes, a third starts.
        let severity = f.alerts.rules().danger_severity().clone();
        let late = T0 + 5 * MINUTE + severity.quiet_period_ms() + 1;
        let third = f
            .alerts
            .on_readings_at(&bp(&r, crisis, 80.0, late), late)
            .await
            .unwrap();
        assert_eq!(third.raised.len(), 1);
        // Just inside the quiet period it attaches.
        let inside = late + severity.quiet_period_ms();
        let fourth = f
            .alerts
            .on_readings_at(&bp(&r, crisis, 80.0, inside), inside)
            .await
            .unwrap();
        assert!(fourth.raised.is_empty());
        let alerts = f.alerts.alerts_of_resident(&r).await.unwrap();
        assert_eq!(alerts.len(), 3);
        assert_eq!(alerts[0].reading_count, 2, "newest first");
        assert_eq!(alerts[2].state, State::Resolved);
    }
}

#[tokio::test]
async fn close_quiet_closes_only_episodes_past_their_quiet_period() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let crisis = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        let raised = f
            .alerts
            .on_readings_at(&bp(&r, crisis, 80.0, T0), T0)
            .await
            .unwrap();
        let quiet = f.alerts.rules().danger_severity().quiet_period_ms();
        assert!(
            f.alerts
                .close_quiet(T0 + quiet - 1)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            f.alerts.close_quiet(T0 + quiet).await.unwrap(),
            raised.raised
        );
        assert!(
            f.alerts
                .close_quiet(T0 + quiet + 1)
                .await
                .unwrap()
                .is_empty(),
            "idempotent"
        );
        // The closed alert still waits for someone, and the next trigger is a new episode.
        let next = f
            .alerts
            .on_readings_at(&bp(&r, crisis, 80.0, T0 + quiet + 5), T0 + quiet + 5)
            .await
            .unwrap();
        assert_eq!(next.raised.len(), 1);
        let inbox = f
            .alerts
            .inbox(&doctor(), &alerts::InboxFilter::default())
            .await
            .unwrap();
        assert_eq!(inbox.len(), 2);
        assert!(inbox[1].closed_at.is_some() && inbox[1].state == State::Raised);
    }
}

#[tokio::test]
async fn invalid_facts_are_listed_and_the_rest_judged() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let crisis = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        let mut facts = bp("x-1", crisis, 80.0, T0);
        facts.push(crate::fact("x-2", "sbp", f64::NAN, T0, "s"));
        facts.push(crate::fact("", "sbp", crisis, T0, "s"));
        let raised = f.alerts.on_readings_at(&facts, T0).await.unwrap();
        assert_eq!(raised.raised.len(), 1);
        let problems: Vec<_> = raised
            .ignored
            .iter()
            .map(|i| (i.index, i.problem))
            .collect();
        assert_eq!(
            problems,
            vec![
                (2, alerts::FactProblem::NotFinite),
                (3, alerts::FactProblem::NoResident)
            ]
        );
    }
}
