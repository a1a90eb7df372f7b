//! Who sees and who may act on an alert, idempotent acknowledgement, notes, consent, and the
//! resident's own view.

use alerts::{AlertError, InboxFilter, Level, Staff, State, StateFilter};
use jiff::civil::date;
use store::sqlx;
use store::testing::TestDatabases;

use crate::{CARE, Fixture, MINUTE, T0, bp, fixture, resident};

fn staff(user: &str, orgs: &[&str], districts: &[&str]) -> Staff {
    Staff {
        user_id: user.into(),
        organisation_ids: orgs.iter().map(|s| (*s).to_owned()).collect(),
        districts: districts.iter().map(|s| (*s).to_owned()).collect(),
    }
}

async fn crisis(f: &Fixture, r: &str, at: i64) -> String {
    let sbp = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
        .ge
        .unwrap();
    f.alerts
        .on_readings_at(&bp(r, sbp, 80.0, at), at)
        .await
        .unwrap()
        .raised
        .remove(0)
}

async fn seen(f: &Fixture, who: &Staff) -> usize {
    f.alerts
        .inbox(
            who,
            &InboxFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn only_the_addressee_or_after_escalation_the_centre_may_acknowledge() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let id = crisis(&f, &r, T0).await;
        let doctor = staff("doc-1", &["chc-1"], &[]);
        let other = staff("doc-2", &["chc-2"], &[]);
        let nurse = staff("nurse-1", &["chc-1"], &[]);
        let district = staff("officer-1", &[], &["gulou"]);

        assert_eq!(
            (
                seen(&f, &doctor).await,
                seen(&f, &nurse).await,
                seen(&f, &other).await
            ),
            (1, 0, 0)
        );
        for who in [&other, &nurse, &district] {
            let err = f
                .alerts
                .acknowledge(&id, who, None, T0 + MINUTE)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, AlertError::NotAllowed { alert_id, user_id } if *alert_id == id && *user_id == who.user_id),
                "{err}"
            );
        }
        let err = f
            .alerts
            .acknowledge("no-such-alert", &doctor, None, T0)
            .await
            .unwrap_err();
        assert!(matches!(err, AlertError::NotFound(_)), "{err}");

        let first = f
            .alerts
            .acknowledge(&id, &doctor, Some("calling"), T0 + MINUTE)
            .await
            .unwrap();
        assert!(first.first);
        let again = f
            .alerts
            .acknowledge(&id, &doctor, None, T0 + 2 * MINUTE)
            .await
            .unwrap();
        assert!(!again.first);
        assert_eq!((again.by.as_str(), again.at), ("doc-1", T0 + MINUTE));
        let a = f.alerts.alert(&id, &doctor).await.unwrap().unwrap();
        assert_eq!(a.state, State::Acknowledged);
        assert_eq!(a.acknowledge_note.as_deref(), Some("calling"));
        assert_eq!(
            a.escalation_due_at, None,
            "an acknowledged alert does not escalate"
        );
        assert_eq!(seen(&f, &doctor).await, 1);
        let unacked = f
            .alerts
            .inbox(
                &doctor,
                &InboxFilter {
                    state: StateFilter::Unacknowledged,
                    limit: 9,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(unacked.is_empty());

        // Once escalated, the centre's staff see and may acknowledge; the doctor then hears
        // who was first.
        let id2 = crisis(
            &f,
            &crate::resident(&f, date(1961, 1, 1), CARE, &[]).await,
            T0,
        )
        .await;
        let severity = f.alerts.rules().danger_severity().clone();
        let escalated = f
            .alerts
            .escalate_due(T0 + severity.escalate_after_ms())
            .await
            .unwrap();
        assert_eq!(escalated.len(), 1);
        assert_eq!(
            (escalated[0].alert_id.as_str(), escalated[0].level),
            (id2.as_str(), Level::CommunityCentre)
        );
        assert_eq!(seen(&f, &nurse).await, 1);
        assert_eq!(
            seen(&f, &district).await,
            0,
            "the district sees the second level only"
        );
        assert!(
            f.alerts
                .acknowledge(&id2, &nurse, None, T0 + severity.escalate_after_ms() + 1)
                .await
                .unwrap()
                .first
        );
        let late = f
            .alerts
            .acknowledge(&id2, &doctor, None, T0 + severity.escalate_after_ms() + 2)
            .await
            .unwrap();
        assert!(!late.first);
        assert_eq!(late.by, "nurse-1");
        assert!(f.alerts.acknowledge(&id2, &other, None, T0).await.is_err());
    }
}

#[tokio::test]
async fn notes_are_checked_against_the_policy() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let id = crisis(&f, &r, T0).await;
        let doctor = staff("doc-1", &[], &[]);
        let max = f.alerts.rules().policy().note_max_chars.value as usize;
        let long = "字".repeat(max + 1);
        let err = f
            .alerts
            .acknowledge(&id, &doctor, Some(&long), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(err, AlertError::NoteTooLong { chars, max: m } if chars == max + 1 && m == max),
            "{err}"
        );
        assert!(err.to_string().starts_with("note:"));
        let err = f
            .alerts
            .acknowledge(&id, &doctor, Some("a\u{0}b"), T0)
            .await
            .unwrap_err();
        assert!(matches!(err, AlertError::NoteControlCharacters), "{err}");
        let fits = "字".repeat(max);
        assert!(
            f.alerts
                .acknowledge(&id, &doctor, Some(&fits), T0)
                .await
                .unwrap()
                .first
        );
    }
}

#[tokio::test]
async fn staff_do_not_see_alerts_of_a_resident_who_withdrew_community_sharing() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let id = crisis(&f, &r, T0).await;
        let doctor = staff("doc-1", &[], &[]);
        assert_eq!(seen(&f, &doctor).await, 1);
        sqlx::query(
            "INSERT INTO registry_consents (resident_id, purpose, granted, decided_at, decided_by) \
             VALUES ($1, 'community', 0, $2, $1)",
        )
        .bind(&r)
        .bind(T0)
        .execute(f.db.pool())
        .await
        .unwrap();
        assert_eq!(seen(&f, &doctor).await, 0);
        assert!(f.alerts.alert(&id, &doctor).await.unwrap().is_none());
        assert!(matches!(
            f.alerts
                .acknowledge(&id, &doctor, None, T0)
                .await
                .unwrap_err(),
            AlertError::NotAllowed { .. }
        ));
        // The resident still sees their own alert.
        assert_eq!(f.alerts.alerts_of_resident(&r).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn the_resident_sees_their_alerts_and_where_they_stand() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let someone_else = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let id = crisis(&f, &r, T0).await;
        crisis(&f, &someone_else, T0).await;
        let mine = f.alerts.alerts_of_resident(&r).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(
            (mine[0].id.as_str(), mine[0].state),
            (id.as_str(), State::Raised)
        );
        assert!(!mine[0].message_zh.is_empty() && !mine[0].message_en.is_empty());
        let doctor = staff("doc-1", &[], &[]);
        f.alerts
            .acknowledge(&id, &doctor, Some("private note"), T0 + MINUTE)
            .await
            .unwrap();
        let mine = f.alerts.alerts_of_resident(&r).await.unwrap();
        assert_eq!(mine[0].state, State::Acknowledged);
        assert_eq!(mine[0].acknowledged_at, Some(T0 + MINUTE));
        let json = serde_json::to_string(&mine[0]).unwrap();
        assert!(
            !json.contains("private note") && !json.contains("doc-1"),
            "{json}"
        );
    }
}

#[tokio::test]
async fn the_inbox_lists_waiting_alerts_first_then_the_most_severe_then_the_newest() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let doctor = staff("doc-1", &["chc-1"], &[]);
        // A routine trend alert (newest of all), and two urgent danger alerts.
        let trend_resident = resident(&f, date(1979, 6, 1), CARE, &["hypertension"]).await;
        let sbp_target = 140.0;
        let book = alerts::RuleBook::builtin().unwrap();
        let days = book
            .trends()
            .iter()
            .find(|(r, _)| r.key == "bp_above_target")
            .map(|(r, _)| i64::from(r.days.value))
            .unwrap();
        let older = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let newer = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let first = crisis(&f, &older, T0).await;
        let second = crisis(&f, &newer, T0 + MINUTE).await;
        let mut trend = None;
        for d in 0..days {
            let at = T0 + 2 * MINUTE + d * crate::DAY;
            let raised = f
                .alerts
                .on_readings_at(&bp(&trend_resident, sbp_target + 20.0, 80.0, at), at)
                .await
                .unwrap();
            trend = trend.or(raised.raised.first().cloned());
        }
        let trend = trend.expect("a trend alert");
        let order = |list: Vec<alerts::Alert>| list.into_iter().map(|a| a.id).collect::<Vec<_>>();
        let all = InboxFilter {
            state: StateFilter::All,
            ..Default::default()
        };
        assert_eq!(
            order(f.alerts.inbox(&doctor, &all).await.unwrap()),
            vec![second.clone(), first.clone(), trend.clone()],
            "urgent before routine although the routine one is newest; newest urgent first"
        );
        f.alerts
            .acknowledge(&second, &doctor, None, T0 + 5 * MINUTE)
            .await
            .unwrap();
        assert_eq!(
            order(f.alerts.inbox(&doctor, &all).await.unwrap()),
            vec![first.clone(), trend.clone(), second.clone()],
            "an acknowledged alert goes below those still waiting"
        );
        // Counts follow the same filters as the list, whatever the page.
        let count = |state| InboxFilter {
            state,
            limit: 1,
            ..Default::default()
        };
        assert_eq!(
            f.alerts
                .count(&doctor, &count(StateFilter::Open))
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            f.alerts
                .count(&doctor, &count(StateFilter::Unacknowledged))
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            order(
                f.alerts
                    .inbox(&doctor, &count(StateFilter::Acknowledged))
                    .await
                    .unwrap()
            ),
            vec![second.clone()]
        );
        let other = staff("doc-2", &["chc-2"], &[]);
        assert_eq!(
            f.alerts
                .count(&other, &count(StateFilter::All))
                .await
                .unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn an_alert_history_lists_its_events_for_those_who_see_it() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let id = crisis(&f, &r, T0).await;
        let doctor = staff("doc-1", &["chc-1"], &[]);
        f.alerts
            .acknowledge(&id, &doctor, Some("called the resident"), T0 + MINUTE)
            .await
            .unwrap();
        f.alerts
            .resolve(&id, &doctor, Some("seen at the centre"), T0 + 2 * MINUTE)
            .await
            .unwrap();
        let (alert, events) = f.alerts.history(&id, &doctor).await.unwrap().unwrap();
        assert_eq!(alert.state, State::Resolved);
        let kinds: Vec<_> = events
            .iter()
            .map(|e| (e.kind, e.actor.as_str(), e.note.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (alerts::EventKind::Raised, "system", None),
                (
                    alerts::EventKind::Acknowledged,
                    "doc-1",
                    Some("called the resident")
                ),
                (
                    alerts::EventKind::Resolved,
                    "doc-1",
                    Some("seen at the centre")
                ),
            ]
        );
        assert_eq!(events[1].at, T0 + MINUTE);
        let other = staff("doc-2", &["chc-2"], &[]);
        assert!(f.alerts.history(&id, &other).await.unwrap().is_none());
        assert!(
            f.alerts
                .history("no-such", &doctor)
                .await
                .unwrap()
                .is_none()
        );
    }
}
