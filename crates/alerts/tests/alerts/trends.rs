//! Trend rules: consecutive days whose daily mean misses the template's control target, for
//! residents on the register, at the target of their age band.

use alerts::Kind;
use jiff::civil::date;
use store::testing::TestDatabases;

use crate::{CARE, DAY, Fixture, T0, bp, fixture, resident};

/// The hypertension template's systolic target for a resident of `age`, read from the template.
fn sbp_target(age: u32) -> f64 {
    let htn = diseases::Catalogue::builtin()
        .unwrap()
        .get("hypertension")
        .unwrap();
    let band = htn
        .control()
        .bands
        .iter()
        .find(|b| b.applies_at(age))
        .unwrap();
    band.targets
        .iter()
        .find(|t| t.condition.key == "sbp")
        .unwrap()
        .condition
        .lt
        .unwrap()
}

/// One day's readings: two blood pressures whose systolic mean is `mean`, the day `d` after T0.
async fn day(f: &Fixture, r: &str, d: i64, mean: f64) -> alerts::Raised {
    let mut facts = bp(r, mean - 2.0, 80.0, T0 + d * DAY);
    facts.extend(bp(r, mean + 2.0, 80.0, T0 + d * DAY + 3_600_000));
    f.alerts.on_readings_at(&facts, T0 + d * DAY).await.unwrap()
}

fn trend_days() -> i64 {
    let book = alerts::RuleBook::builtin().unwrap();
    let rule = book
        .trends()
        .iter()
        .find(|(r, _)| r.key == "bp_above_target")
        .unwrap();
    i64::from(rule.0.days.value)
}

#[tokio::test]
async fn consecutive_days_above_target_raise_one_trend_alert() {
    let dbs = TestDatabases::new().await;
    let n = trend_days();
    for db in dbs.all() {
        let f = fixture(db).await;
        let age50 = date(1979, 6, 1);
        let above = sbp_target(50) + 5.0;
        let below = sbp_target(50) - 5.0;

        // n days above: one alert, on the last day only.
        let r = resident(&f, age50, CARE, &["hypertension"]).await;
        for d in 0..n - 1 {
            assert!(day(&f, &r, d, above).await.raised.is_empty(), "day {d}");
        }
        let raised = day(&f, &r, n - 1, above).await;
        assert_eq!(raised.raised.len(), 1, "{}", db.backend().name());
        let alerts = f.alerts.alerts_of_resident(&r).await.unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].rule_key, "bp_above_target");
        let staff = alerts::Staff {
            user_id: "doc-1".into(),
            ..Default::default()
        };
        let full = f
            .alerts
            .alert(&alerts[0].id, &staff)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(full.kind, Kind::Trend);
        assert_eq!(full.severity, "routine");
        assert!(full.rule_text.contains("sbp <"), "{}", full.rule_text);
        assert!((full.last_value - above).abs() < 1e-9);
        // A further day above attaches to the same episode.
        assert!(day(&f, &r, n, above).await.raised.is_empty());
        assert_eq!(
            f.alerts.alerts_of_resident(&r).await.unwrap()[0].reading_count,
            2
        );

        // One day fewer: nothing.
        let short = resident(&f, age50, CARE, &["hypertension"]).await;
        for d in 0..n - 1 {
            day(&f, &short, d, above).await;
        }
        assert!(
            f.alerts
                .alerts_of_resident(&short)
                .await
                .unwrap()
                .is_empty()
        );

        // A day below resets the count.
        let reset = resident(&f, age50, CARE, &["hypertension"]).await;
        day(&f, &reset, 0, above).await;
        day(&f, &reset, 1, below).await;
        for d in 2..n + 1 {
            day(&f, &reset, d, above).await;
        }
        assert!(
            f.alerts
                .alerts_of_resident(&reset)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(day(&f, &reset, n + 1, above).await.raised.len(), 1);

        // Not on the register: no trend alert.
        let off = resident(&f, age50, CARE, &["t2dm"]).await;
        for d in 0..n {
            day(&f, &off, d, above).await;
        }
        assert!(f.alerts.alerts_of_resident(&off).await.unwrap().is_empty());

        // Aged 85 the band's target is laxer: the same means are on target.
        let old = resident(&f, date(1944, 6, 1), CARE, &["hypertension"]).await;
        assert!(sbp_target(85) > above);
        for d in 0..n {
            day(&f, &old, d, above).await;
        }
        assert!(f.alerts.alerts_of_resident(&old).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn days_arriving_out_of_order_still_make_a_window() {
    let dbs = TestDatabases::new().await;
    let n = trend_days();
    for db in dbs.all() {
        let f = fixture(db).await;
        let r = resident(&f, date(1979, 6, 1), CARE, &["hypertension"]).await;
        let above = sbp_target(50) + 5.0;
        // Last day first, then the others: the window closes on the day that arrives last.
        day(&f, &r, n - 1, above).await;
        for d in 1..n - 1 {
            day(&f, &r, d, above).await;
        }
        assert_eq!(day(&f, &r, 0, above).await.raised.len(), 1);
    }
}

#[tokio::test]
async fn fasting_glucose_trend_uses_the_diabetes_target() {
    let dbs = TestDatabases::new().await;
    let n = trend_days();
    for db in dbs.all() {
        let f = fixture(db).await;
        let t2dm = diseases::Catalogue::builtin().unwrap().get("t2dm").unwrap();
        let upper = t2dm.control().target_for("fpg").unwrap().le.unwrap();
        let r = resident(&f, date(1970, 1, 1), CARE, &["t2dm"]).await;
        let meter = resident(&f, date(1970, 1, 1), CARE, &["t2dm"]).await;
        let mut last = alerts::Raised::default();
        for d in 0..n {
            let at = T0 + d * DAY;
            let facts = vec![
                crate::fact(&r, "fpg", upper + 1.0, at, &format!("lab/{d}")),
                // A meter's unlabelled glucose is not fasting glucose: no trend.
                crate::fact(&meter, "glucose", upper + 1.0, at, &format!("meter/{d}")),
            ];
            last = f.alerts.on_readings_at(&facts, at).await.unwrap();
        }
        assert_eq!(last.raised.len(), 1);
        assert_eq!(
            f.alerts.alerts_of_resident(&r).await.unwrap()[0].rule_key,
            "fpg_above_target"
        );
        assert!(
            f.alerts
                .alerts_of_resident(&meter)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
