//! The national limits on a prescription, as cases in the language of the rules.

mod support;

use prescribing::{Draft, Frequency, LongTerm, ProblemKind, Rules, catalogue, check};
use support::*;

// ---- days: 28 normally, 84 on a long prescription (长期处方管理规范（试行）) ---------------

#[test]
fn a_28_day_prescription_of_a_chronic_medicine_is_allowed() {
    assert_signable(&checked(&draft(vec![amlodipine(28)])));
}

#[test]
fn day_29_without_a_long_prescription_is_refused() {
    let c = checked(&draft(vec![amlodipine(29)]));
    assert_problem(&c, ProblemKind::DaysAboveNormal, "lines[0].days");
    let p = &c.problems[0];
    assert!(p.message_zh.contains("第1行") && p.message_zh.contains("28天"));
    assert!(p.message_en.contains("Line 1") && p.message_en.contains("long prescription"));
}

#[test]
fn a_long_prescription_of_84_days_with_evaluation_and_confirmation_is_allowed() {
    assert_signable(&checked(&long(vec![amlodipine(84)])));
}

#[test]
fn day_85_is_refused() {
    let c = checked(&long(vec![amlodipine(85)]));
    assert_problem(&c, ProblemKind::DaysAboveLongMaximum, "lines[0].days");
    assert!(c.problems[0].message_zh.contains("84天"));
}

#[test]
fn day_85_without_a_long_prescription_is_refused_as_above_the_long_maximum() {
    let c = checked(&draft(vec![amlodipine(85)]));
    assert_problem(&c, ProblemKind::DaysAboveLongMaximum, "lines[0].days");
    assert!(!c.has_problem(ProblemKind::DaysAboveNormal, "lines[0].days"));
}

#[test]
fn zero_days_is_refused() {
    let c = checked(&draft(vec![line(
        "amlodipine-5mg-tab",
        5.0,
        Frequency::Qd,
        0,
        1,
    )]));
    assert_problem(&c, ProblemKind::DaysNotPositive, "lines[0].days");
}

#[test]
fn a_long_prescription_needs_the_doctors_recorded_evaluation() {
    let mut d = long(vec![amlodipine(56)]);
    d.long_term = Some(LongTerm {
        evaluation: "   ".into(),
        patient_confirmed: true,
    });
    assert_problem(
        &checked(&d),
        ProblemKind::LongWithoutEvaluation,
        "long_term.evaluation",
    );
}

#[test]
fn a_long_prescription_needs_the_patients_signed_confirmation() {
    let mut d = long(vec![amlodipine(56)]);
    if let Some(l) = d.long_term.as_mut() {
        l.patient_confirmed = false;
    }
    assert_problem(
        &checked(&d),
        ProblemKind::LongWithoutConfirmation,
        "long_term.patient_confirmed",
    );
}

#[test]
fn a_long_term_section_on_a_prescription_within_28_days_changes_nothing() {
    let mut d = draft(vec![amlodipine(28)]);
    d.long_term = Some(LongTerm {
        evaluation: String::new(),
        patient_confirmed: false,
    });
    assert_signable(&checked(&d));
}

// ---- what may be prescribed online (互联网诊疗管理办法（试行）) -------------------------------

#[test]
fn diazepam_is_never_prescribed_online() {
    let c = checked(&draft(vec![line(
        "diazepam-2.5mg-tab",
        2.5,
        Frequency::Qn,
        1,
        1,
    )]));
    assert_problem(&c, ProblemKind::ExcludedOnline, "lines[0].drug");
    assert!(c.problems[0].message_zh.contains("第二类精神药品"));
}

#[test]
fn every_controlled_medicine_in_the_catalogue_is_refused_online_whatever_the_days() {
    let excluded: Vec<_> = catalogue()
        .all()
        .iter()
        .filter(|d| rules().online_excluded.contains(&d.control))
        .collect();
    // morphine, methylphenidate, diazepam, zolpidem, alprazolam, atropine, ephedrine
    assert_eq!(excluded.len(), 7);
    for drug in excluded {
        for days in [1, 3, 28] {
            let c = checked(&draft(vec![
                amlodipine(28),
                line(&drug.code, drug.strength.value, Frequency::Qd, days, 1),
            ]));
            assert_problem(&c, ProblemKind::ExcludedOnline, "lines[1].drug");
        }
    }
}

#[test]
fn zolpidem_and_morphine_are_refused_online_even_on_a_valid_long_prescription() {
    for code in ["zolpidem-10mg-tab", "morphine-sr-30mg-tab"] {
        let c = checked(&long(vec![
            amlodipine(56),
            line(code, 10.0, Frequency::Qn, 7, 1),
        ]));
        assert_problem(&c, ProblemKind::ExcludedOnline, "lines[1].drug");
        // One reason is enough: the line must go whatever the days.
        assert!(!c.has_problem(ProblemKind::ExcludedFromLong, "lines[1].drug"));
    }
}

#[test]
fn radioactive_medicines_are_refused_online() {
    let toml = r#"
        [[citations]]
        id = "label"
        title = "药品说明书"
        source = "test"
        section = "用法用量"

        [[drugs]]
        code = "sodium-iodide-131i-cap"
        generic_zh = "碘[131I]化钠胶囊"
        generic_en = "Sodium iodide (131I) capsules"
        atc = "V10XA01"
        form = "capsule"
        strength = { value = 1, unit = "capsule" }
        route = "oral"
        control = "radioactive"
        control_source = { citation = "label", section = "test", confirmed = false, note = "test" }
        class = "radiopharmaceutical"
        max_daily = { value = 1, unit = "capsule", source = { citation = "label", section = "test", confirmed = false, note = "test" } }
        pack = 1
        unit_zh = "粒"
        unit_en = "capsule"
    "#;
    let catalogue = prescribing::Catalogue::parse(toml).expect("test catalogue");
    let d = draft(vec![line(
        "sodium-iodide-131i-cap",
        1.0,
        Frequency::Qd,
        1,
        1,
    )]);
    let c = check(&d, &[], rules(), &catalogue);
    assert_problem(&c, ProblemKind::ExcludedOnline, "lines[0].drug");
}

#[test]
fn amoxicillin_may_be_prescribed_online_for_a_short_course() {
    // 0.5 g three times a day for 7 days: 42 capsules of 0.25 g, two packs of 24.
    let c = checked(&draft(vec![line(
        "amoxicillin-0.25g-cap",
        0.5,
        Frequency::Tid,
        7,
        2,
    )]));
    assert_signable(&c);
}

// ---- long prescriptions exclude controlled drugs, antimicrobials and non-chronic medicines --

#[test]
fn amoxicillin_may_not_be_on_a_long_prescription() {
    let alone = checked(&long(vec![line(
        "amoxicillin-0.25g-cap",
        0.5,
        Frequency::Tid,
        56,
        14,
    )]));
    assert_problem(&alone, ProblemKind::ExcludedFromLong, "lines[0].drug");

    // Even a 7-day course may not ride on a long prescription: write it separately.
    let beside = checked(&long(vec![
        amlodipine(56),
        line("amoxicillin-0.25g-cap", 0.5, Frequency::Tid, 7, 2),
    ]));
    assert_problem(&beside, ProblemKind::ExcludedFromLong, "lines[1].drug");
    assert!(beside.problems[0].message_zh.contains("抗菌药物"));
}

#[test]
fn a_medicine_that_is_not_for_long_term_use_may_not_be_on_a_long_prescription() {
    let c = checked(&long(vec![line(
        "omeprazole-20mg-ec-cap",
        20.0,
        Frequency::Qd,
        56,
        4,
    )]));
    assert_problem(&c, ProblemKind::NotChronic, "lines[0].drug");
}

// ---- dose: at most the label maximum per day -----------------------------------------------

#[test]
fn atorvastatin_100_mg_a_day_is_above_the_label_maximum_of_80_mg() {
    let c = checked(&draft(vec![
        amlodipine(28),
        line("atorvastatin-20mg-tab", 100.0, Frequency::Qd, 28, 5),
    ]));
    assert_problem(&c, ProblemKind::DoseAboveMaximum, "lines[1].dose");
    let p = &c.problems[0];
    assert_eq!(
        p.message_zh,
        "第2行：阿托伐他汀钙片 每日剂量 100 mg 超过说明书最大日剂量 80 mg"
    );
    assert_eq!(
        p.message_en,
        "Line 2: Atorvastatin calcium tablets 100 mg a day is above the label maximum of 80 mg"
    );
}

#[test]
fn the_maximum_is_per_day_not_per_take() {
    let ok = line("metformin-500mg-tab", 1000.0, Frequency::Bid, 28, 2);
    assert_signable(&checked(&draft(vec![ok])));
    let over = line("metformin-500mg-tab", 1000.0, Frequency::Tid, 20, 2);
    assert_problem(
        &checked(&draft(vec![over])),
        ProblemKind::DoseAboveMaximum,
        "lines[0].dose",
    );
}

#[test]
fn exactly_the_maximum_is_allowed() {
    // 80 mg once a day is atorvastatin's label maximum itself.
    let c = checked(&draft(vec![line(
        "atorvastatin-20mg-tab",
        80.0,
        Frequency::Qd,
        7,
        1,
    )]));
    assert_signable(&c);
}

#[test]
fn amoxicillin_above_4_g_a_day_is_refused() {
    let c = checked(&draft(vec![line(
        "amoxicillin-0.25g-cap",
        1.5,
        Frequency::Tid,
        5,
        3,
    )]));
    assert_problem(&c, ProblemKind::DoseAboveMaximum, "lines[0].dose");
    assert!(c.problems[0].message_zh.contains("4.5 g"));
}

#[test]
fn a_maximum_in_grams_is_compared_with_doses_in_milligrams() {
    let toml = test_drug("mg", "g", 1.0);
    let catalogue = prescribing::Catalogue::parse(&toml).expect("test catalogue");
    let d = |dose| draft(vec![line("test-500mg-tab", dose, Frequency::Bid, 1, 1)]);
    assert_signable(&check(&d(500.0), &[], rules(), &catalogue));
    let c = check(&d(750.0), &[], rules(), &catalogue);
    assert_problem(&c, ProblemKind::DoseAboveMaximum, "lines[0].dose");
}

#[test]
fn a_zero_negative_or_non_finite_dose_is_refused() {
    for dose in [0.0, -5.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0] {
        let c = checked(&draft(vec![line(
            "amlodipine-5mg-tab",
            dose,
            Frequency::Qd,
            28,
            1,
        )]));
        assert_problem(&c, ProblemKind::DoseNotPositive, "lines[0].dose");
    }
}

#[test]
fn insulin_glargine_above_80_iu_a_day_needs_review_in_person() {
    let c = checked(&draft(vec![line(
        "insulin-glargine-300iu-pen",
        90.0,
        Frequency::Qd,
        10,
        3,
    )]));
    assert_problem(&c, ProblemKind::DoseAboveMaximum, "lines[0].dose");
}

// ---- quantity: the days' need, rounded up to whole packs ------------------------------------

#[test]
fn too_few_packs_for_the_days_are_refused() {
    let c = checked(&long(vec![line(
        "amlodipine-5mg-tab",
        5.0,
        Frequency::Qd,
        56,
        1,
    )]));
    assert_problem(&c, ProblemKind::QuantityTooSmall, "lines[0].packs");
    assert!(c.problems[0].message_zh.contains("应开2盒"));
}

#[test]
fn zero_packs_are_refused() {
    let c = checked(&draft(vec![line(
        "amlodipine-5mg-tab",
        5.0,
        Frequency::Qd,
        7,
        0,
    )]));
    assert_problem(&c, ProblemKind::QuantityTooSmall, "lines[0].packs");
}

#[test]
fn a_whole_pack_beyond_the_need_is_refused() {
    let c = checked(&draft(vec![line(
        "amlodipine-5mg-tab",
        5.0,
        Frequency::Qd,
        28,
        2,
    )]));
    assert_problem(&c, ProblemKind::QuantityTooLarge, "lines[0].packs");
    assert!(c.problems[0].message_zh.contains("最多开1盒"));
}

#[test]
fn the_need_is_rounded_up_to_whole_packs() {
    // Metformin 500 mg three times a day for 28 days: 84 tablets, packs of 60.
    let with = |packs| {
        checked(&draft(vec![line(
            "metformin-500mg-tab",
            500.0,
            Frequency::Tid,
            28,
            packs,
        )]))
    };
    assert_problem(&with(1), ProblemKind::QuantityTooSmall, "lines[0].packs");
    assert_signable(&with(2));
    assert_problem(&with(3), ProblemKind::QuantityTooLarge, "lines[0].packs");
}

#[test]
fn half_tablets_count_as_halves() {
    // 2.5 mg of a 5 mg tablet for 28 days is 14 tablets: one pack of 28.
    let c = checked(&draft(vec![line(
        "amlodipine-5mg-tab",
        2.5,
        Frequency::Qd,
        28,
        1,
    )]));
    assert_signable(&c);
}

#[test]
fn fractions_that_are_whole_in_decimal_are_not_rounded_up() {
    // 0.4 / 0.4 × 3 × 7 is 21 in decimal but not quite in binary floating point.
    let c = checked(&draft(vec![line(
        "alprazolam-0.4mg-tab",
        0.4,
        Frequency::Tid,
        7,
        2,
    )]));
    assert!(!c.has_problem(ProblemKind::QuantityTooSmall, "lines[0].packs"));
    assert!(!c.has_problem(ProblemKind::QuantityTooLarge, "lines[0].packs"));
}

#[test]
fn inhalers_are_counted_in_inhalations() {
    // One inhalation twice a day: a 60-inhalation device lasts 30 days, so 56 days need two.
    let with = |days, packs| {
        checked(&long(vec![line(
            "salmeterol-fluticasone-50-250ug-inh",
            50.0,
            Frequency::Bid,
            days,
            packs,
        )]))
    };
    assert_signable(&with(28, 1));
    assert_problem(
        &with(56, 1),
        ProblemKind::QuantityTooSmall,
        "lines[0].packs",
    );
    assert_signable(&with(56, 2));
    assert_problem(
        &with(28, 2),
        ProblemKind::QuantityTooLarge,
        "lines[0].packs",
    );
}

#[test]
fn insulin_pens_are_counted_by_their_content() {
    // 10 IU a day for 28 days is 280 IU, one 300 IU pen; 20 IU a day is 560 IU, two pens.
    let pen = |dose, days, packs| {
        checked(&draft(vec![line(
            "insulin-glargine-300iu-pen",
            dose,
            Frequency::Qd,
            days,
            packs,
        )]))
    };
    assert_signable(&pen(10.0, 28, 1));
    assert_problem(
        &pen(20.0, 28, 1),
        ProblemKind::QuantityTooSmall,
        "lines[0].packs",
    );
    assert_signable(&pen(20.0, 28, 2));
}

// ---- the prescription as a whole (处方管理办法) ------------------------------------------------

#[test]
fn a_prescription_is_valid_for_one_to_three_days() {
    for (validity, allowed) in [(0, false), (1, true), (3, true), (4, false)] {
        let mut d = draft(vec![amlodipine(28)]);
        d.validity_days = validity;
        let c = checked(&d);
        if allowed {
            assert_signable(&c);
        } else {
            assert_problem(&c, ProblemKind::ValidityOutOfRange, "validity_days");
        }
    }
}

#[test]
fn at_most_five_medicines_on_one_prescription() {
    let codes = [
        "amlodipine-5mg-tab",
        "valsartan-80mg-cap",
        "metformin-500mg-tab",
        "atorvastatin-20mg-tab",
        "aspirin-100mg-ec-tab",
        "sitagliptin-100mg-tab",
    ];
    let lines = |n: usize| -> Vec<_> {
        codes[..n]
            .iter()
            .map(|code| {
                let drug = catalogue().drug(code).expect("in the catalogue");
                line(code, drug.strength.value, Frequency::Qd, 28, 1)
            })
            .collect()
    };
    assert_signable(&checked(&draft(lines(5))));
    assert_problem(
        &checked(&draft(lines(6))),
        ProblemKind::TooManyLines,
        "lines",
    );
}

#[test]
fn an_empty_prescription_is_refused() {
    assert_problem(&checked(&draft(vec![])), ProblemKind::NoLines, "lines");
}

#[test]
fn a_drug_not_in_the_catalogue_is_refused() {
    let c = checked(&draft(vec![
        amlodipine(28),
        line("amlodipine-500mg-tab", 5.0, Frequency::Qd, 28, 1),
    ]));
    assert_problem(&c, ProblemKind::UnknownDrug, "lines[1].drug");
}

#[test]
fn the_same_medicine_on_two_lines_is_refused() {
    let c = checked(&draft(vec![amlodipine(28), amlodipine(28)]));
    assert_problem(&c, ProblemKind::DuplicateLine, "lines[1].drug");
    assert!(c.problems[0].message_zh.contains("第2行与第1行"));
}

// ---- rules in force by date -------------------------------------------------------------------

const SET_HEADER: &str = "\n[[rule_sets]]\n";

#[test]
fn the_rule_in_force_on_a_date_is_the_one_effective_then() {
    let shipped = prescribing::rule_sets();
    assert_eq!(
        Rules::in_force(jiff::civil::date(2021, 8, 9)),
        None,
        "no shipped rule set before the long-prescription norm"
    );
    let first = Rules::in_force(jiff::civil::date(2021, 8, 10)).expect("in force on its date");
    assert_eq!(first, &shipped[0]);

    // A later set that shortens the normal days applies from its date only.
    let text = prescribing::RULES_TOML.to_owned()
        + &prescribing::RULES_TOML
            .split(SET_HEADER)
            .nth(1)
            .map(|set| {
                format!("{SET_HEADER}{set}")
                    .replace("\"2021-08-10\"", "\"2030-01-01\"")
                    .replace("normal_days = { value = 28", "normal_days = { value = 14")
            })
            .expect("the shipped file has a rule set");
    let sets = Rules::parse_all(&text).expect("two sets");
    let before = Rules::in_force_among(&sets, jiff::civil::date(2029, 12, 31)).expect("old set");
    let after = Rules::in_force_among(&sets, jiff::civil::date(2030, 1, 1)).expect("new set");
    assert_eq!((before.normal_days, after.normal_days), (28, 14));

    // A prescription written in 2029 keeps the rule of its time.
    let d = draft(vec![amlodipine(28)]);
    assert_signable(&check(&d, &[], before, catalogue()));
    let c = check(&d, &[], after, catalogue());
    assert_problem(&c, ProblemKind::DaysAboveNormal, "lines[0].days");
}

#[test]
fn rule_sets_must_be_listed_oldest_first() {
    let later = prescribing::RULES_TOML.replace("\"2021-08-10\"", "\"2030-01-01\"");
    let set = prescribing::RULES_TOML
        .split(SET_HEADER)
        .nth(1)
        .expect("a rule set");
    let text = format!("{later}{SET_HEADER}{set}");
    assert!(Rules::parse_all(&text).is_err());
}

// ---- drafts arrive as JSON ----------------------------------------------------------------------

#[test]
fn a_draft_is_read_from_json_with_frequency_codes() {
    let json = r#"{
        "lines": [{ "drug": "amlodipine-5mg-tab", "dose": 5, "frequency": "qd", "days": 28, "packs": 1 }],
        "validity_days": 1
    }"#;
    let d: Draft = serde_json::from_str(json).expect("a draft");
    assert_eq!(d, draft(vec![amlodipine(28)]));
    assert!(serde_json::from_str::<Draft>(&json.replace("\"qd\"", "\"daily\"")).is_err());
}

/// A one-drug catalogue whose strength and maximum units are given.
fn test_drug(strength_unit: &str, max_unit: &str, max: f64) -> String {
    format!(
        r#"
        [[citations]]
        id = "label"
        title = "药品说明书"
        source = "test"
        section = "用法用量"

        [[drugs]]
        code = "test-500mg-tab"
        generic_zh = "测试片"
        generic_en = "Test tablets"
        atc = "A10BA02"
        form = "tablet"
        strength = {{ value = 500, unit = "{strength_unit}" }}
        route = "oral"
        control = "ordinary"
        class = "test"
        max_daily = {{ value = {max}, unit = "{max_unit}", source = {{ citation = "label", section = "test", confirmed = false, note = "test" }} }}
        pack = 10
        unit_zh = "片"
        unit_en = "tablet"
        chronic = true
        "#
    )
}
