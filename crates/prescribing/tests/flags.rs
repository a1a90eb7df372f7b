//! Flags: what the doctor should look at before signing, without blocking it.

mod support;

use prescribing::{Flag, FlagKind, Frequency, Severity};
use support::*;

fn flags_of(kind: FlagKind, flags: &[Flag]) -> Vec<&Flag> {
    flags.iter().filter(|f| f.kind == kind).collect()
}

#[test]
fn two_statins_are_flagged_as_a_duplicate_class_but_may_be_signed() {
    let c = checked(&draft(vec![
        line("atorvastatin-20mg-tab", 20.0, Frequency::Qd, 28, 1),
        line("rosuvastatin-10mg-tab", 10.0, Frequency::Qd, 28, 1),
    ]));
    assert_signable(&c);
    let dup = flags_of(FlagKind::DuplicateClass, &c.flags);
    assert_eq!(dup.len(), 1);
    assert_eq!(dup[0].lines, vec![0, 1]);
    assert!(dup[0].message_zh.contains("statin"));
}

#[test]
fn an_acei_with_an_arb_is_a_major_interaction() {
    let c = checked(&draft(vec![
        line("enalapril-10mg-tab", 10.0, Frequency::Qd, 28, 1),
        amlodipine(28),
        line("valsartan-80mg-cap", 80.0, Frequency::Qd, 28, 1),
    ]));
    let major = flags_of(
        FlagKind::Interaction {
            severity: Severity::Major,
        },
        &c.flags,
    );
    assert_eq!(major.len(), 1);
    assert_eq!(major[0].lines, vec![0, 2]);
    assert!(major[0].message_zh.contains("第1行") && major[0].message_zh.contains("第3行"));
    assert!(
        major[0]
            .source
            .as_deref()
            .is_some_and(|s| s.contains("高血压"))
    );
    assert!(c.may_sign(), "an interaction is the doctor's decision");
}

#[test]
fn a_statin_with_gemfibrozil_is_a_major_interaction() {
    let c = checked(&draft(vec![
        line("gemfibrozil-300mg-cap", 600.0, Frequency::Bid, 12, 2),
        line("rosuvastatin-10mg-tab", 10.0, Frequency::Qd, 28, 1),
    ]));
    assert_signable(&c);
    assert_eq!(
        flags_of(
            FlagKind::Interaction {
                severity: Severity::Major
            },
            &c.flags
        )
        .len(),
        1
    );
}

#[test]
fn clopidogrel_with_omeprazole_is_a_moderate_interaction() {
    let c = checked(&draft(vec![
        line("clopidogrel-75mg-tab", 75.0, Frequency::Qd, 28, 1),
        line("omeprazole-20mg-ec-cap", 20.0, Frequency::Qd, 14, 1),
    ]));
    let moderate = flags_of(
        FlagKind::Interaction {
            severity: Severity::Moderate,
        },
        &c.flags,
    );
    assert_eq!(moderate.len(), 1);
    assert!(moderate[0].message_en.contains("pantoprazole"));
}

#[test]
fn aspirin_with_clopidogrel_is_dual_antiplatelet_therapy_not_a_duplicate() {
    let c = checked(&draft(vec![
        line("aspirin-100mg-ec-tab", 100.0, Frequency::Qd, 28, 1),
        line("clopidogrel-75mg-tab", 75.0, Frequency::Qd, 28, 1),
    ]));
    assert!(c.flags.is_empty(), "{:#?}", c.flags);
}

#[test]
fn a_current_medicine_known_only_by_atc_is_checked_for_interactions() {
    // Enalapril bought elsewhere, recorded by ATC code only; the draft adds an ARB.
    let taking = [current(None, Some("C09AA02"), "依那普利（外院）")];
    let c = checked_with(
        &draft(vec![line("valsartan-80mg-cap", 80.0, Frequency::Qd, 28, 1)]),
        &taking,
    );
    let major = flags_of(
        FlagKind::Interaction {
            severity: Severity::Major,
        },
        &c.flags,
    );
    assert_eq!(major.len(), 1);
    assert_eq!(major[0].lines, vec![0]);
    assert!(major[0].message_zh.contains("依那普利（外院）"));
}

#[test]
fn the_same_substance_as_a_current_medicine_is_a_continuation() {
    let taking = [current(Some("amlodipine-5mg-tab"), None, "氨氯地平")];
    let c = checked_with(&draft(vec![amlodipine(28)]), &taking);
    assert_signable(&c);
    assert_eq!(c.flags.len(), 1, "{:#?}", c.flags);
    assert_eq!(c.flags[0].kind, FlagKind::AlreadyTaking);
    assert_eq!(c.flags[0].lines, vec![0]);
}

#[test]
fn a_current_medicine_of_the_same_class_is_flagged() {
    let taking = [current(Some("losartan-50mg-tab"), None, "氯沙坦钾片")];
    let c = checked_with(
        &draft(vec![line("valsartan-80mg-cap", 80.0, Frequency::Qd, 28, 1)]),
        &taking,
    );
    let dup = flags_of(FlagKind::DuplicateClass, &c.flags);
    assert_eq!(dup.len(), 1);
    assert!(dup[0].message_en.contains("arb"));
}

#[test]
fn a_current_medicine_the_catalogue_does_not_know_flags_nothing() {
    let taking = [
        current(Some("not-a-code"), None, "某中成药"),
        current(None, None, "维生素"),
    ];
    let c = checked_with(&draft(vec![amlodipine(28)]), &taking);
    assert!(c.flags.is_empty());
}

#[test]
fn spironolactone_with_a_current_arb_is_a_moderate_interaction() {
    let taking = [current(None, Some("c09ca01"), "losartan")];
    let c = checked_with(
        &draft(vec![line(
            "spironolactone-20mg-tab",
            20.0,
            Frequency::Qd,
            28,
            1,
        )]),
        &taking,
    );
    assert_eq!(
        flags_of(
            FlagKind::Interaction {
                severity: Severity::Moderate
            },
            &c.flags
        )
        .len(),
        1
    );
}
