use diseases::ValueError;

use crate::template;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn kpa_is_converted_to_mmhg() {
    let q = template("hypertension")
        .validate_value("sbp", 18.7, "kPa")
        .unwrap();
    assert_eq!(q.unit, "mm[Hg]");
    assert!(close(q.value, 140.0, 0.3), "{}", q.value);
}

#[test]
fn glucose_in_mg_per_dl_is_converted_to_mmol_per_l() {
    let q = template("t2dm")
        .validate_value("fpg", 126.0, "mg/dL")
        .unwrap();
    assert_eq!(q.unit, "mmol/L");
    assert!(close(q.value, 7.0, 1e-9), "{}", q.value);
    // Devices write the unit in lower case.
    let q = template("t2dm")
        .validate_value("fpg", 126.0, "mg/dl")
        .unwrap();
    assert!(close(q.value, 7.0, 1e-9));
}

#[test]
fn canonical_units_and_their_aliases_pass_unchanged() {
    let t = template("hypertension");
    for unit in ["mm[Hg]", "mmHg", "mm Hg"] {
        assert_eq!(
            t.validate_value("sbp", 132.0, unit).unwrap().value,
            132.0,
            "{unit}"
        );
    }
}

#[test]
fn ldl_and_hba1c_conversions() {
    let t = template("t2dm");
    let ldl = t.validate_value("ldl_c", 100.0, "mg/dL").unwrap();
    assert!(close(ldl.value, 2.586, 0.001), "{}", ldl.value);
    // IFCC 53 mmol/mol is NGSP 7.0 %.
    let a1c = t.validate_value("hba1c", 53.0, "mmol/mol").unwrap();
    assert!(close(a1c.value, 7.0, 0.05), "{}", a1c.value);
}

#[test]
fn an_impossible_value_is_refused_with_the_range() {
    let err = template("hypertension")
        .validate_value("sbp", 400.0, "mmHg")
        .unwrap_err();
    assert_eq!(
        err,
        ValueError::Implausible {
            key: "sbp".into(),
            value: 400.0,
            low: 40.0,
            high: 300.0,
            unit: "mm[Hg]".into()
        }
    );
    let text = err.to_string();
    assert!(text.contains("40") && text.contains("300"), "{text}");
}

#[test]
fn implausibility_is_judged_after_conversion() {
    // 400 mg/dL is a believable glucose; 400 mmol/L is not.
    assert!(
        template("t2dm")
            .validate_value("fpg", 400.0, "mg/dL")
            .is_ok()
    );
    assert!(matches!(
        template("t2dm").validate_value("fpg", 400.0, "mmol/L"),
        Err(ValueError::Implausible { .. })
    ));
}

#[test]
fn an_unknown_unit_lists_the_allowed_ones() {
    let err = template("hypertension")
        .validate_value("sbp", 120.0, "cmH2O")
        .unwrap_err();
    assert_eq!(
        err,
        ValueError::UnknownUnit {
            key: "sbp".into(),
            unit: "cmH2O".into(),
            allowed: vec!["mm[Hg]".into(), "kPa".into()],
        }
    );
}

#[test]
fn an_element_the_template_does_not_record_is_refused() {
    let err = template("hypertension")
        .validate_value("hba1c", 6.5, "%")
        .unwrap_err();
    assert!(matches!(err, ValueError::UnknownElement { .. }), "{err:?}");
}

#[test]
fn non_finite_and_fractional_scores_are_refused() {
    let t = template("stroke");
    assert!(matches!(
        t.validate_value("sbp", f64::NAN, "mmHg"),
        Err(ValueError::NotFinite { .. })
    ));
    assert!(matches!(
        t.validate_value("mrs", 2.5, "{score}"),
        Err(ValueError::NotInteger { .. })
    ));
    assert_eq!(t.validate_value("mrs", 3.0, "{score}").unwrap().value, 3.0);
}

#[test]
fn elements_are_found_by_loinc() {
    let t = template("t2dm");
    assert_eq!(t.element_for_loinc("4548-4").unwrap().key, "hba1c");
    assert_eq!(t.element_for_loinc("1558-6").unwrap().key, "fpg");
    assert_eq!(t.element_for_loinc("18262-6").unwrap().key, "ldl_c");
    assert_eq!(t.element_for_loinc("8480-6").unwrap().key, "sbp");
    assert!(
        t.element_for_loinc("19926-5").is_none(),
        "FEV1/FVC is not a diabetes element"
    );
    let sbp = t.element("sbp").unwrap();
    assert_eq!(sbp.loinc.as_deref(), Some("8480-6"));
    assert_eq!((sbp.plausible.low, sbp.plausible.high), (40.0, 300.0));
}

mod properties {
    use proptest::prelude::*;

    use crate::{catalogue, template};

    proptest! {
        #[test]
        fn validate_value_never_panics(value in any::<f64>(), unit in ".{0,12}", key in "[a-z_0-9]{0,12}") {
            for t in catalogue().templates() {
                let _ = t.validate_value(&key, value, &unit);
                for e in t.elements() {
                    let _ = t.validate_value(&e.key, value, &unit);
                    for u in e.allowed_units() {
                        let _ = t.validate_value(&e.key, value, &u);
                    }
                }
            }
        }

        #[test]
        fn every_conversion_round_trips(fraction in 0.0f64..=1.0) {
            for t in catalogue().templates() {
                for e in t.elements() {
                    let canonical = e.plausible.low + fraction * (e.plausible.high - e.plausible.low);
                    for a in &e.alternatives {
                        let there = a.from_canonical(canonical);
                        let back = a.to_canonical(there);
                        prop_assert!((back - canonical).abs() <= 1e-9 * canonical.abs().max(1.0),
                            "{} via {}: {canonical} -> {there} -> {back}", e.key, a.unit);
                        if !e.integer {
                            let q = t.validate_value(&e.key, there, &a.unit).unwrap();
                            prop_assert!((q.value - canonical).abs() <= 1e-9 * canonical.abs().max(1.0));
                        }
                    }
                }
            }
        }

        #[test]
        fn accepted_values_lie_in_the_plausible_range(value in -1e6f64..1e6) {
            let t = template("t2dm");
            if let Ok(q) = t.validate_value("fpg", value, "mg/dL") {
                prop_assert!((0.5..=100.0).contains(&q.value));
            }
        }
    }
}
