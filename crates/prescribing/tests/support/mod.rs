//! Helpers shared by the test files: drafts written as a doctor would write them.

#![allow(dead_code)]

use prescribing::{
    Checked, CurrentMedicine, Draft, Frequency, Line, LongTerm, Rules, catalogue, check,
    rules_in_force,
};

/// The shipped rules in force on an ordinary day after the long-prescription norm.
pub fn rules() -> &'static Rules {
    rules_in_force(jiff::civil::date(2025, 3, 1)).expect("the shipped rules are in force in 2025")
}

pub fn line(drug: &str, dose: f64, frequency: Frequency, days: u32, packs: u32) -> Line {
    Line {
        drug: drug.to_owned(),
        dose,
        frequency,
        days,
        packs,
    }
}

/// Amlodipine 5 mg once a day, with exactly the packs `days` need (28 tablets a pack).
pub fn amlodipine(days: u32) -> Line {
    line(
        "amlodipine-5mg-tab",
        5.0,
        Frequency::Qd,
        days,
        days.div_ceil(28),
    )
}

pub fn draft(lines: Vec<Line>) -> Draft {
    Draft::new(lines)
}

/// A long prescription with the doctor's evaluation and the patient's confirmation.
pub fn long(lines: Vec<Line>) -> Draft {
    Draft {
        lines,
        long_term: Some(LongTerm {
            evaluation: "诊断明确，血压控制稳定6个月，用药方案稳定".to_owned(),
            patient_confirmed: true,
        }),
        validity_days: 1,
    }
}

pub fn checked(draft: &Draft) -> Checked {
    check(draft, &[], rules(), catalogue())
}

pub fn checked_with(draft: &Draft, current: &[CurrentMedicine]) -> Checked {
    check(draft, current, rules(), catalogue())
}

/// Asserts the draft is refused for exactly this reason at this field (among possibly others).
#[track_caller]
pub fn assert_problem(checked: &Checked, kind: prescribing::ProblemKind, field: &str) {
    assert!(
        checked.has_problem(kind, field),
        "expected {kind:?} at {field}, got {:#?}",
        checked.problems
    );
    assert!(!checked.may_sign());
}

#[track_caller]
pub fn assert_signable(checked: &Checked) {
    assert!(
        checked.may_sign(),
        "expected no problems, got {:#?}",
        checked.problems
    );
}

pub fn current(code: Option<&str>, atc: Option<&str>, name: &str) -> CurrentMedicine {
    CurrentMedicine {
        code: code.map(str::to_owned),
        atc: atc.map(str::to_owned),
        name: name.to_owned(),
    }
}
