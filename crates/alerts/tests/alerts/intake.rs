//! Batches with an identity (the devices' feed entries) are judged at most once: handed over
//! again after a crash, a batch is skipped, so its readings count once in the daily means and
//! raise nothing twice. Ids are forgotten a day later.

use jiff::civil::date;
use store::testing::TestDatabases;

use crate::{CARE, DAY, T0, bp, fixture, resident};

/// Readings the daily aggregates hold for the resident.
async fn counted(db: &store::Db, resident: &str) -> i64 {
    store::sqlx::query_scalar::<_, i64>(&format!(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM alert_daily WHERE resident_id = '{resident}'"
    ))
    .fetch_one(db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_batch_handed_over_twice_is_judged_once_until_its_id_is_forgotten() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 5, 1), CARE, &["hypertension"]).await;
        let crisis = bp(&r, 186.0, 96.0, T0);

        let first = f.alerts.on_batch_once("feed-1", &crisis, T0).await.unwrap();
        assert_eq!(first.raised.len(), 1);
        assert_eq!(counted(db, &r).await, 2, "systolic and diastolic");

        let again = f
            .alerts
            .on_batch_once("feed-1", &crisis, T0 + 1)
            .await
            .unwrap();
        assert!(again.raised.is_empty() && again.attached == 0, "{again:?}");
        assert_eq!(counted(db, &r).await, 2, "not counted twice");

        // Another batch is judged: the same episode takes its reading.
        let other = bp(&r, 190.0, 98.0, T0 + 60_000);
        let next = f
            .alerts
            .on_batch_once("feed-2", &other, T0 + 60_000)
            .await
            .unwrap();
        assert_eq!(next.attached, 1);
        assert_eq!(counted(db, &r).await, 4);

        // A day later the ids are forgotten (the feed deleted its entries long before).
        assert_eq!(f.alerts.maintain(T0 + DAY + 60_001).await.failed, 0);
        let late = f
            .alerts
            .on_batch_once("feed-1", &crisis, T0 + DAY + 60_002)
            .await
            .unwrap();
        assert!(late.attached + late.raised.len() as u64 >= 1, "{late:?}");
        assert_eq!(counted(db, &r).await, 6);
    }
}

#[tokio::test]
async fn trend_aggregates_are_kept_for_the_policy_s_days_then_forgotten() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1960, 5, 1), CARE, &["hypertension"]).await;
        f.alerts
            .on_readings_at(&bp(&r, 150.0, 92.0, T0), T0)
            .await
            .unwrap();
        assert_eq!(counted(db, &r).await, 2);
        let keep = i64::from(f.alerts.rules().policy().daily_keep_days.value);
        // On the last day kept the aggregates stay; the day after, they go.
        let tick = f.alerts.maintain(T0 + keep * DAY).await;
        assert_eq!(tick.failed, 0);
        assert_eq!(counted(db, &r).await, 2, "kept {keep} days");
        f.alerts.maintain(T0 + (keep + 1) * DAY).await;
        assert_eq!(counted(db, &r).await, 0, "forgotten after {keep} days");
    }
}
