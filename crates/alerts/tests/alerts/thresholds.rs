//! Every danger rule of the templates, at, just inside and just outside each boundary. The
//! bounds are read from the templates, not written here.

use alerts::{Kind, Level};
use store::testing::TestDatabases;

use crate::{T0, fact, fixture};

const EPSILON: f64 = 0.1;

#[tokio::test]
async fn every_danger_condition_fires_exactly_on_its_side_of_the_boundary() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let book = f.alerts.rules();
        let mut cases = Vec::new();
        for rule in book.danger_rules() {
            for c in &rule.when {
                let bound = c.ge.or(c.le).or(c.gt).or(c.lt).unwrap();
                for value in [bound - EPSILON, bound, bound + EPSILON] {
                    cases.push((rule.key.clone(), c.clone(), value));
                }
            }
        }
        assert!(cases.len() >= 18, "{} cases", cases.len());
        let mut facts = Vec::new();
        for (i, (_, c, value)) in cases.iter().enumerate() {
            // One unknown resident per case, so each case is its own episode.
            facts.push(fact(
                &format!("case-{i}"),
                &c.key,
                *value,
                T0,
                &format!("s{i}"),
            ));
        }
        let raised = f.alerts.on_readings_at(&facts, T0).await.unwrap();
        let mut expected_alerts = 0;
        for (i, (rule, c, value)) in cases.iter().enumerate() {
            let alerts = f
                .alerts
                .alerts_of_resident(&format!("case-{i}"))
                .await
                .unwrap();
            // At the bound: ge/le include it, gt/lt do not.
            let expected = if *value == c.ge.or(c.le).unwrap_or(f64::NAN) {
                true
            } else if *value == c.gt.or(c.lt).unwrap_or(f64::NAN) {
                false
            } else {
                c.holds(*value)
            };
            assert_eq!(
                alerts.len(),
                usize::from(expected),
                "{rule}: {} = {value} ({}, {:?})",
                c.key,
                db.backend().name(),
                c
            );
            if expected {
                expected_alerts += 1;
                assert_eq!(alerts[0].rule_key, *rule);
                assert_eq!(alerts[0].last_value, *value);
            }
        }
        assert_eq!(raised.raised.len(), expected_alerts);
    }
}

#[tokio::test]
async fn glucometer_glucose_is_judged_by_the_glucose_danger_signs() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let book = f.alerts.rules();
        let high = crate::danger_condition(book, "severe_hyperglycaemia", "fpg");
        let low = crate::danger_condition(book, "hypoglycaemia", "fpg");
        let facts = vec![
            fact("g-high", "glucose", high.ge.unwrap(), T0, "device:g/1"),
            fact("g-low", "glucose", low.le.unwrap(), T0, "device:g/2"),
            fact(
                "g-ok",
                "glucose",
                (high.ge.unwrap() + low.le.unwrap()) / 2.0,
                T0,
                "device:g/3",
            ),
        ];
        let raised = f.alerts.on_readings_at(&facts, T0).await.unwrap();
        assert_eq!(raised.raised.len(), 2);
        let high_alerts = f.alerts.alerts_of_resident("g-high").await.unwrap();
        assert_eq!(high_alerts[0].rule_key, "severe_hyperglycaemia");
        assert_eq!(
            (high_alerts[0].last_key.as_str(), high_alerts[0].last_value),
            ("glucose", high.ge.unwrap()),
            "shown as sent: a device glucose is not a fasting glucose"
        );
        assert_eq!(
            f.alerts.alerts_of_resident("g-low").await.unwrap()[0].rule_key,
            "hypoglycaemia"
        );
        assert!(
            f.alerts
                .alerts_of_resident("g-ok")
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_crisis_alert_is_addressed_to_the_family_doctor_and_on_the_ledger() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = crate::resident(&f, jiff::civil::date(1960, 5, 1), crate::CARE, &[]).await;
        let crisis = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp");
        let facts = crate::bp(&r, crisis.ge.unwrap() + 5.0, 95.0, T0);
        let before = f.ledger.tree_size();
        let raised = f.alerts.on_readings_at(&facts, T0 + 1000).await.unwrap();
        assert_eq!(raised.raised.len(), 1);
        let staff = alerts::Staff {
            user_id: "doc-1".into(),
            ..alerts::Staff::default()
        };
        let inbox = f
            .alerts
            .inbox(&staff, &alerts::InboxFilter::default())
            .await
            .unwrap();
        assert_eq!(inbox.len(), 1);
        let a = &inbox[0];
        assert_eq!(a.kind, Kind::Danger);
        assert_eq!(a.level, Level::FamilyDoctor);
        assert_eq!(a.addressee_id.as_deref(), Some("doc-1"));
        assert_eq!(a.community_centre_id.as_deref(), Some("chc-1"));
        assert_eq!(a.severity, f.alerts.rules().policy().danger_severity.value);
        assert_eq!(a.raised_at, T0);
        assert_eq!(a.created_at, T0 + 1000);
        assert!(
            a.rule_text.contains("sbp") && a.rule_text.contains("dbp"),
            "{}",
            a.rule_text
        );
        assert!(a.last_reading.contains("\"dbp\":95"), "{}", a.last_reading);
        // Raised at the family doctor: due to escalate after the severity's time.
        let severity = f.alerts.rules().policy().severity(&a.severity).unwrap();
        assert_eq!(
            a.escalation_due_at,
            Some(T0 + 1000 + severity.escalate_after_ms())
        );
        assert_eq!(f.ledger.tree_size(), before + 1);
        let entries = f
            .ledger
            .entries_for_subject("resident", &r, 10)
            .await
            .unwrap();
        let latest = &entries[0].event;
        assert_eq!(latest.action, "alert.raised");
        assert_eq!(latest.actor, "system");
        assert_eq!(latest.purpose, ledger::PurposeOfUse::CareManagement);
    }
}
