use diseases::Measurements;

use crate::template;

fn keys(code: &str, m: &Measurements) -> Vec<String> {
    template(code)
        .danger_signs(m)
        .into_iter()
        .map(|s| s.key)
        .collect()
}

#[test]
fn systolic_180_is_a_danger_sign() {
    let m = Measurements::new()
        .quantity("sbp", 180.0)
        .quantity("dbp", 100.0);
    let signs = template("hypertension").danger_signs(&m);
    assert_eq!(signs.len(), 1);
    assert_eq!(signs[0].key, "bp_crisis");
    assert_eq!(signs[0].rule, "sbp ≥ 180 mmHg or dbp ≥ 110 mmHg");
    assert_eq!(signs[0].findings.len(), 1);
    assert_eq!(signs[0].findings[0].key, "sbp");
    assert!(signs[0].message_zh.contains("转诊"));
    assert!(!signs[0].message_en.is_empty());
}

#[test]
fn diastolic_110_alone_is_a_danger_sign() {
    let m = Measurements::new()
        .quantity("sbp", 150.0)
        .quantity("dbp", 110.0);
    assert_eq!(keys("hypertension", &m), ["bp_crisis"]);
}

#[test]
fn just_below_180_over_110_is_not() {
    let m = Measurements::new()
        .quantity("sbp", 179.0)
        .quantity("dbp", 109.0);
    assert!(keys("hypertension", &m).is_empty());
}

#[test]
fn glucose_at_or_below_3_9_is_a_danger_sign_and_4_0_is_not() {
    let fpg = |v| Measurements::new().quantity("fpg", v);
    assert_eq!(keys("t2dm", &fpg(3.9)), ["hypoglycaemia"]);
    assert!(keys("t2dm", &fpg(4.0)).is_empty());
    assert_eq!(keys("t2dm", &fpg(16.7)), ["severe_hyperglycaemia"]);
    assert!(keys("t2dm", &fpg(16.6)).is_empty());
}

#[test]
fn every_sign_that_fires_is_reported() {
    let m = Measurements::new()
        .quantity("fpg", 20.0)
        .quantity("sbp", 185.0)
        .quantity("heart_rate", 120.0);
    assert_eq!(
        keys("t2dm", &m),
        ["severe_hyperglycaemia", "bp_crisis", "tachycardia"]
    );
}

#[test]
fn nothing_measured_shows_no_sign() {
    for code in ["hypertension", "t2dm", "stroke", "chd", "copd"] {
        assert!(keys(code, &Measurements::new()).is_empty(), "{code}");
    }
}

#[test]
fn low_oxygen_saturation_prompts_assessment_in_copd() {
    assert_eq!(
        keys("copd", &Measurements::new().quantity("spo2", 88.0)),
        ["hypoxaemia"]
    );
    assert!(keys("copd", &Measurements::new().quantity("spo2", 89.0)).is_empty());
}
