//! Whatever the order and batching of facts, a resident has at most one open alert per rule,
//! and every triggering reading is counted exactly once.

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use store::sqlx::{self, Row};
use store::testing::TestDatabases;

use crate::{HOUR, T0, bp, fixture};

#[test]
fn on_readings_never_opens_two_alerts_per_resident_and_rule() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dbs = runtime.block_on(TestDatabases::new());
    for db in dbs.all() {
        let f = runtime.block_on(fixture(db));
        let crisis = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        let mut runner = TestRunner::new(Config {
            cases: 24,
            ..Config::default()
        });
        let case = std::cell::Cell::new(0u32);
        // (resident 0..3, crisis or not, hour offset over five days), shuffled, in batches.
        let readings =
            prop::collection::vec((0u8..3, any::<bool>(), 0i64..120), 1..40).prop_shuffle();
        runner
            .run(&(readings, 1usize..12), |(readings, batch)| {
                case.set(case.get() + 1);
                let prefix = format!("p{}", case.get());
                let mut facts = Vec::new();
                let mut triggering: HashMap<String, i64> = HashMap::new();
                for (who, is_crisis, hour) in &readings {
                    let r = format!("{prefix}-{who}");
                    let sbp = if *is_crisis {
                        crisis + 1.0
                    } else {
                        crisis - 40.0
                    };
                    facts.extend(bp(&r, sbp, 80.0, T0 + hour * HOUR));
                    if *is_crisis {
                        *triggering.entry(r).or_default() += 1;
                    }
                }
                runtime.block_on(async {
                    for chunk in facts.chunks(batch * 2) {
                        f.alerts.on_readings_at(chunk, T0).await.unwrap();
                    }
                });
                let rows = runtime.block_on(
                    sqlx::query(
                        "SELECT resident_id, rule_key, \
                         CAST(SUM(CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END) AS BIGINT), \
                         CAST(SUM(reading_count) AS BIGINT) \
                         FROM alerts WHERE resident_id LIKE $1 GROUP BY resident_id, rule_key",
                    )
                    .bind(format!("{prefix}-%"))
                    .fetch_all(f.db.pool()),
                );
                let mut counted: HashMap<String, i64> = HashMap::new();
                for row in rows.unwrap() {
                    let resident: String = row.try_get(0).unwrap();
                    let open: i64 = row.try_get(2).unwrap();
                    let count: i64 = row.try_get(3).unwrap();
                    prop_assert!(open <= 1, "{resident}: {open} open alerts");
                    counted.insert(resident, count);
                }
                prop_assert_eq!(counted, triggering);
                Ok(())
            })
            .unwrap();
    }
}

proptest! {
    /// `acts_on` (asked of every device reading) skips the templates for readings that cannot
    /// meet a danger condition; it must agree with them everywhere, at the bounds too.
    #[test]
    fn acts_on_agrees_with_the_templates_danger_signs(
        key in proptest::sample::select(vec!["heart_rate", "glucose", "fpg", "spo2", "sbp", "dbp", "steps", "weight"]),
        value in prop_oneof![0.0f64..400.0, proptest::sample::select(vec![3.9, 16.7, 88.0, 100.0, 101.0, 110.0, 180.0])],
        other in 40.0f64..200.0,
    ) {
        let rules = alerts::RuleBook::builtin().unwrap();
        for reading in [vec![(key, value)], vec![(key, value), ("dbp", other)]] {
            let expected = reading.iter().any(|(k, _)| rules.reads_trend(k))
                || !rules.danger_signs(&reading).is_empty();
            prop_assert_eq!(rules.acts_on(&reading), expected, "{:?}", reading);
        }
    }
}
