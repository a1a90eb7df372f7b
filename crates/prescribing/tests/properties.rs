//! Properties over arbitrary input: checking never panics, a well-formed ordinary prescription
//! passes, the long maximum always holds, and canonical JSON is stable.

mod support;

use prescribing::{
    ControlClass, CurrentMedicine, Draft, Frequency, Line, LongTerm, ProblemKind, canonical_json,
    catalogue, check,
};
use proptest::prelude::*;
use serde_json::{Map, Value};
use support::*;

fn frequency() -> impl Strategy<Value = Frequency> {
    proptest::sample::select(Frequency::ALL.to_vec())
}

fn any_code() -> impl Strategy<Value = String> {
    let codes: Vec<String> = catalogue().all().iter().map(|d| d.code.clone()).collect();
    prop_oneof![proptest::sample::select(codes), "[a-z0-9.-]{0,12}", ".*"]
}

fn any_dose() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        -1e6..1e6f64,
        any::<f64>(),
    ]
}

fn any_line() -> impl Strategy<Value = Line> {
    (
        any_code(),
        any_dose(),
        frequency(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(drug, dose, frequency, days, packs)| Line {
            drug,
            dose,
            frequency,
            days,
            packs,
        })
}

fn any_draft() -> impl Strategy<Value = Draft> {
    (
        proptest::collection::vec(any_line(), 0..8),
        proptest::option::of((".*", any::<bool>())),
        any::<u32>(),
    )
        .prop_map(|(lines, long_term, validity_days)| Draft {
            lines,
            long_term: long_term.map(|(evaluation, patient_confirmed)| LongTerm {
                evaluation,
                patient_confirmed,
            }),
            validity_days,
        })
}

fn any_current() -> impl Strategy<Value = Vec<CurrentMedicine>> {
    proptest::collection::vec(
        (
            proptest::option::of(any_code()),
            proptest::option::of(prop_oneof!["[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}", ".*"]),
            ".*",
        )
            .prop_map(|(code, atc, name)| CurrentMedicine { code, atc, name }),
        0..4,
    )
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((".*", inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// The same value with every object's keys inserted in reverse order.
fn reinserted(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(reinserted).collect()),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map.iter().rev() {
                out.insert(k.clone(), reinserted(v));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn check_never_panics_on_any_draft(draft in any_draft(), current in any_current()) {
        let checked = check(&draft, &current, rules(), catalogue());
        prop_assert_eq!(checked.may_sign(), checked.problems.is_empty());
        for problem in &checked.problems {
            prop_assert!(!problem.message_zh.is_empty() && !problem.message_en.is_empty());
        }
        let _ = draft.canonical_json();
    }

    #[test]
    fn a_non_finite_or_non_positive_dose_never_passes(
        mut draft in any_draft(),
        dose in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), -1e9..=0.0f64],
        code in any_code(),
    ) {
        draft.lines.insert(0, line(&code, dose, Frequency::Qd, 7, 1));
        let checked = check(&draft, &[], rules(), catalogue());
        prop_assert!(checked.has_problem(ProblemKind::DoseNotPositive, "lines[0].dose"));
    }

    #[test]
    fn one_ordinary_chronic_medicine_once_a_day_with_the_packs_it_needs_is_signable(
        index in any::<proptest::sample::Index>(),
        days in 1..=28u32,
    ) {
        let eligible: Vec<_> = catalogue()
            .all()
            .iter()
            .filter(|d| d.control == ControlClass::Ordinary && d.chronic)
            // One counting unit a day must be within the label maximum (not so for the
            // 300 IU insulin pen, dosed in fractions of a pen).
            .filter(|d| d.max_daily.in_unit(&d.strength.unit).is_some_and(|m| m >= d.strength.value))
            .collect();
        let drug = index.get(&eligible);
        let packs = days.div_ceil(drug.pack);
        let d = draft(vec![line(&drug.code, drug.strength.value, Frequency::Qd, days, packs)]);
        let checked = checked(&d);
        prop_assert!(checked.may_sign(), "{}: {:#?}", drug.code, checked.problems);
    }

    #[test]
    fn days_beyond_the_long_maximum_are_always_refused(
        draft in any_draft(),
        extra in 1..=u32::MAX - 84,
        at in any::<proptest::sample::Index>(),
    ) {
        prop_assume!(!draft.lines.is_empty());
        let mut draft = draft;
        let i = at.index(draft.lines.len());
        draft.lines[i].days = rules().long_max_days + extra;
        let checked = check(&draft, &[], rules(), catalogue());
        let field = format!("lines[{i}].days");
        prop_assert!(checked.has_problem(ProblemKind::DaysAboveLongMaximum, &field));
    }

    #[test]
    fn canonical_json_ignores_key_order(value in json()) {
        prop_assert_eq!(canonical_json(&reinserted(&value)), canonical_json(&value));
    }

    #[test]
    fn canonical_json_reads_back_to_the_same_bytes(value in json()) {
        let once = canonical_json(&value);
        let parsed: Value = serde_json::from_str(&once).expect("canonical JSON is JSON");
        prop_assert_eq!(canonical_json(&parsed), once);
    }
}

#[test]
fn canonical_json_of_a_draft_is_independent_of_field_order() {
    let a: Value = serde_json::from_str(
        r#"{"validity_days":1,"lines":[{"packs":1,"days":28,"frequency":"qd","dose":5.0,"drug":"amlodipine-5mg-tab"}]}"#,
    )
    .expect("json");
    let draft: Draft = serde_json::from_value(a.clone()).expect("a draft");
    assert_eq!(
        draft.canonical_json(),
        r#"{"lines":[{"days":28,"dose":5,"drug":"amlodipine-5mg-tab","frequency":"qd","packs":1}],"long_term":null,"validity_days":1}"#
    );
    assert_eq!(
        canonical_json(&a),
        r#"{"lines":[{"days":28,"dose":5,"drug":"amlodipine-5mg-tab","frequency":"qd","packs":1}],"validity_days":1}"#
    );
}
