//! Properties over random companies: no amount above a cap that applies, amounts monotone in
//! their base below the cap, combine never grants two overlapping evaluations, money text
//! round-trips, and the batch path equals the single evaluation row by row.

#![allow(clippy::unwrap_used)]

use jiff::civil::{Date, date};
use policy::{
    Amount, Catalogue, FactKind, FactTable, FactValue, Facts, Formula, History, Money, PastAward,
    combine, evaluate, evaluate_batch, shipped,
};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ON: Date = date(2021, 12, 1);

/// Amounts that sit on and around the seeds' thresholds and caps, and anything else.
fn money(rng: &mut ChaCha8Rng) -> Money {
    const EDGES: [i64; 10] = [
        0,
        1,
        500_000,
        10_000_000,
        50_000_000,
        99_990_000,
        100_000_000,
        500_000_000,
        500_010_000,
        1_500_000_000,
    ];
    if rng.gen_bool(0.3) {
        Money(EDGES[rng.gen_range(0..EDGES.len())])
    } else {
        Money(rng.gen_range(0..3_000_000_000))
    }
}

/// A random company in Suzhou or Nanjing, every other fact given with probability 0.8.
fn company(c: &Catalogue, seed: u64) -> Facts {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let city = if rng.gen_bool(0.8) {
        "suzhou"
    } else {
        "nanjing"
    };
    let mut facts = Facts::new()
        .choice("city", city)
        .choice("province", "jiangsu");
    for def in c.facts() {
        if matches!(def.name.as_str(), "city" | "province") || !rng.gen_bool(0.8) {
            continue;
        }
        let value = match def.kind {
            FactKind::Money => FactValue::Money(money(&mut rng)),
            FactKind::Count => FactValue::Count(rng.gen_range(0..8)),
            FactKind::Flag => FactValue::Flag(rng.gen_bool(0.7)),
            FactKind::Choice => FactValue::Choice(
                def.choices[rng.gen_range(0..def.choices.len())]
                    .value
                    .clone(),
            ),
            // Few identifiers, so products and projects collide and overlap.
            FactKind::Text => FactValue::Text(["A", "B"][rng.gen_range(0..2)].to_owned()),
            FactKind::Date => continue,
        };
        facts.set(&def.name, value);
    }
    facts
}

fn history(c: &Catalogue, seed: u64) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let clauses = c.clauses();
    let awards = (0..rng.gen_range(0..6))
        .map(|_| {
            let cl = &clauses[rng.gen_range(0..clauses.len())];
            PastAward {
                clause_id: cl.id.clone(),
                clause_version: cl.version,
                subject_key: ["A", "B", "company", "A/phase-3-entered"][rng.gen_range(0..4)]
                    .to_owned(),
                year: [2020, 2021][rng.gen_range(0..2)],
                amount: Money(rng.gen_range(0..60_000_000)),
            }
        })
        .collect();
    History { awards }
}

fn max_of(formula: &Formula) -> Option<Money> {
    match formula {
        Formula::Fixed(m) => Some(*m),
        Formula::UpTo { max, .. } => Some(*max),
        Formula::Ratio { max, .. } | Formula::RatioUpTo { max, .. } | Formula::Each { max, .. } => {
            *max
        }
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_amount_exceeds_a_cap_that_applies(seed in any::<u64>()) {
        let c = shipped();
        let facts = company(c, seed);
        let history = history(c, seed);
        for clause in c.in_force(ON) {
            let Ok(e) = evaluate(clause, &facts, &history, ON) else { continue };
            let Some(amount) = e.amount.maximum() else { continue };
            prop_assert!(amount.0 >= 0);
            if let Some(max) = max_of(&clause.formula) {
                prop_assert!(amount <= max, "{}: {amount} above its maximum {max}", clause.id);
            }
            for cap in &clause.caps {
                let used: i64 = history.awards.iter()
                    .filter(|a| cap.covers(&a.clause_id))
                    .filter(|a| match cap.scope {
                        policy::CapScope::CompanyYear => a.year == ON.year(),
                        policy::CapScope::Company => true,
                        policy::CapScope::Subject => a.subject_key == e.subject_key,
                    })
                    .map(|a| a.amount.0)
                    .sum();
                let left = (cap.limit.0 - used).max(0);
                prop_assert!(amount.0 <= left, "{}: {amount} above {} left under {}", clause.id, Money(left), cap.id);
            }
        }
    }

    #[test]
    fn amounts_are_monotone_in_their_base_below_the_cap(a in 0i64..2_000_000_000, b in 0i64..2_000_000_000) {
        let (low, high) = (a.min(b), a.max(b));
        let c = shipped();
        let on = date(2020, 6, 1);
        let cases: [(&str, &str, Facts); 4] = [
            ("suzhou-2019/7/class-3", "product_rd_spend", Facts::new().text("product_id", "V").choice("device_class", "class-3").flag("device_newly_registered", true)),
            ("suzhou-2019/14/technical-upgrade", "upgrade_investment", Facts::new().text("project_id", "U").flag("upgrade_uses_digital", true)),
            ("suzhou-2019/16/first-unit", "unit_price", Facts::new().text("product_id", "E").flag("first_unit_equipment", true).choice("first_unit_recognition", "province")),
            ("suzhou-2019/23/new-platform", "total_investment", Facts::new().text("project_id", "P").choice("platform_status", "new").flag("platform_recognised", true).flag("in_key_area", true)),
        ];
        for (id, base, facts) in cases {
            let clause = c.clause(id, on).unwrap();
            let place = Facts::new().choice("city", "suzhou").choice("province", "jiangsu").flag("independent_legal_person", true);
            let at = |n: i64| {
                let f = place.merged(&facts).money(base, Money(n));
                evaluate(clause, &f, &History::default(), on).unwrap().amount.maximum().unwrap()
            };
            prop_assert!(at(low) <= at(high), "{id}: {} at {low} above {} at {high}", at(low), at(high));
        }
    }

    #[test]
    fn combine_never_grants_two_overlapping_evaluations(seed in any::<u64>()) {
        let c = shipped();
        // Several applications of the same company (Suzhou and Nanjing units) at once.
        let mut evaluations = Vec::new();
        for k in 0..4u64 {
            let facts = company(c, seed.wrapping_add(k));
            for clause in c.in_force(ON) {
                if let Ok(e) = evaluate(clause, &facts, &History::default(), ON) {
                    evaluations.push(e);
                }
            }
        }
        let eligible = evaluations.iter().filter(|e| e.eligible).count();
        let total = evaluations.len();
        let m = combine(evaluations, c);
        prop_assert_eq!(m.granted.len() + m.superseded.len(), eligible);
        prop_assert_eq!(m.granted.len() + m.superseded.len() + m.ineligible.len(), total);
        for (i, a) in m.granted.iter().enumerate() {
            for b in &m.granted[i + 1..] {
                if a.subject == b.subject && a.subject_key == b.subject_key {
                    let ca = c.clause_version(&a.clause_id, a.clause_version).unwrap();
                    let cb = c.clause_version(&b.clause_id, b.clause_version).unwrap();
                    prop_assert!(ca.stacks_with(&b.clause_id) || cb.stacks_with(&a.clause_id),
                        "{} and {} both granted for {} {}", a.clause_id, b.clause_id, a.subject, a.subject_key);
                }
            }
        }
        // No superseded evaluation had a higher computed maximum than the one that won.
        for (loser, by) in &m.superseded {
            let winner = m.granted.iter().find(|g| &g.clause_id == by && g.subject_key == loser.subject_key).unwrap();
            if loser.amount.is_computed() {
                prop_assert!(winner.amount.is_computed());
                prop_assert!(winner.amount.maximum() >= loser.amount.maximum());
            }
        }
    }

    #[test]
    fn money_text_round_trips(yuan in 0i64..1_000_000_000_000_000, wan in 0i64..100_000_000) {
        let m = Money(yuan);
        prop_assert_eq!(Money::parse(&m.to_string()).unwrap(), m);
        prop_assert_eq!(Money::parse(&format!("{wan}万")).unwrap(), Money::wan(wan));
        prop_assert_eq!(Money::parse(&format!("{wan}万元")).unwrap(), Money::wan(wan));
        prop_assert_eq!(Money::parse(&yuan.to_string()).unwrap(), m);
        let tenths = wan % 1000;
        prop_assert_eq!(Money::parse(&format!("{}.{}亿", tenths / 10, tenths % 10)).unwrap(), Money(tenths * 10_000_000));
    }

    #[test]
    fn the_batch_path_equals_evaluate_row_by_row(seed in any::<u64>()) {
        let c = shipped();
        let rows: Vec<Facts> = (0..40).map(|k| company(c, seed.wrapping_mul(31).wrapping_add(k))).collect();
        let mut table = FactTable::new(c.facts());
        for r in &rows {
            table.push(r).unwrap();
        }
        for (i, r) in rows.iter().enumerate() {
            prop_assert_eq!(&table.row(i).unwrap(), r);
        }
        for clause in c.in_force(ON) {
            let batch = evaluate_batch(clause, &table, ON).unwrap();
            for (i, r) in rows.iter().enumerate() {
                let single = match evaluate(clause, r, &History::default(), ON) {
                    Ok(e) => e.amount.maximum().unwrap_or(Money::ZERO),
                    Err(_) => Money::ZERO,
                };
                prop_assert_eq!(batch[i], single, "{} row {}", clause.id, i);
            }
        }
    }
}

#[test]
fn committee_and_unstated_amounts_count_as_zero_in_the_batch() {
    let c = shipped();
    let on = date(2020, 6, 1);
    let mut table = FactTable::new(c.facts());
    let facts = Facts::new()
        .choice("city", "suzhou")
        .choice("province", "jiangsu")
        .flag("independent_legal_person", true)
        .text("project_id", "I")
        .flag("innovation_institution", true);
    table.push(&facts).unwrap();
    let clause = c
        .clause("suzhou-2019/18/innovation-institution", on)
        .unwrap();
    assert_eq!(
        evaluate(clause, &facts, &History::default(), on)
            .unwrap()
            .amount,
        Amount::Committee
    );
    assert_eq!(
        evaluate_batch(clause, &table, on).unwrap(),
        vec![Money::ZERO]
    );
}

#[test]
fn a_table_refuses_bad_rows_and_reads_csv_with_row_numbers() {
    let c = shipped();
    let mut table = FactTable::new(c.facts());
    assert!(
        table
            .push(&Facts::new().money("premium", Money(-5)))
            .is_err()
    );
    assert!(table.push(&Facts::new().flag("nope", true)).is_err());
    assert!(table.is_empty());
    let csv = "city,province,premium,liability_insurance\nsuzhou,jiangsu,60万,clinical-trial\nnanjing,jiangsu,,product\n";
    let t = FactTable::from_csv(csv.as_bytes(), c.facts()).unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t.row(1).unwrap().get("premium"), None);
    assert_eq!(
        t.row(0).unwrap().get("premium"),
        Some(&FactValue::Money(Money::wan(60)))
    );
    let bad = "city,premium\nsuzhou,abc\n";
    match FactTable::from_csv(bad.as_bytes(), c.facts()).unwrap_err() {
        policy::CsvError::Cell { row, error } => {
            assert_eq!(row, 1);
            assert!(
                matches!(error, policy::PolicyError::InvalidFact { fact, .. } if fact == "premium")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        FactTable::from_csv("colour\nred\n".as_bytes(), c.facts()),
        Err(policy::CsvError::UnknownColumn(_))
    ));
    assert!(matches!(
        t.row(2),
        Err(policy::PolicyError::NoSuchRow { row: 2, rows: 2 })
    ));
}
