use diseases::{Counts, IndicatorError};

use crate::template;

#[test]
fn standard_management_rate_is_standard_managed_over_managed() {
    let rate = template("hypertension")
        .indicator("standard_management_rate")
        .unwrap();
    assert_eq!(rate.name_zh, "高血压患者规范管理率");
    let counts = Counts::new()
        .set("standard_managed", 612)
        .set("managed", 800);
    let ratio = rate.evaluate(&counts).unwrap();
    assert_eq!((ratio.numerator, ratio.denominator), (612, 800));
    assert!((ratio.value - 0.765).abs() < 1e-12);
    assert!((ratio.percent() - 76.5).abs() < 1e-9);
}

#[test]
fn control_rates_use_the_latest_follow_up() {
    let t = template("t2dm");
    let rate = t.indicator("glucose_control_rate").unwrap();
    assert_eq!(rate.numerator, "glucose_controlled_last_visit");
    assert_eq!(rate.denominator, "managed");
    let counts = Counts::new()
        .set("glucose_controlled_last_visit", 1)
        .set("managed", 4);
    assert_eq!(rate.evaluate(&counts).unwrap().value, 0.25);
}

#[test]
fn a_zero_denominator_has_no_rate() {
    let rate = template("stroke").indicator("rehab_followup_rate").unwrap();
    let counts = Counts::new()
        .set("rehab_followed_up", 0)
        .set("registered", 0);
    assert!(rate.evaluate(&counts).is_none());
    assert_eq!(
        rate.check(&counts).unwrap_err(),
        IndicatorError::ZeroDenominator("registered".into())
    );
}

#[test]
fn missing_or_inconsistent_counts_have_no_rate() {
    let rate = template("copd").indicator("spirometry_rate").unwrap();
    assert_eq!(
        rate.check(&Counts::new().set("managed", 10)).unwrap_err(),
        IndicatorError::MissingCount("spirometry_done".into())
    );
    assert!(matches!(
        rate.check(&Counts::new().set("managed", 10).set("spirometry_done", 11)),
        Err(IndicatorError::NumeratorExceedsDenominator { .. })
    ));
}

#[test]
fn every_indicator_names_counts_its_template_defines() {
    for t in crate::catalogue().templates() {
        for i in t.indicators() {
            for name in [&i.numerator, &i.denominator] {
                assert!(
                    t.counts().iter().any(|c| &c.name == name),
                    "{}: {name}",
                    t.code
                );
            }
        }
    }
}

#[test]
fn the_service_specification_indicators_are_cited_as_confirmed() {
    for (code, key) in [
        ("hypertension", "standard_management_rate"),
        ("hypertension", "bp_control_rate"),
        ("t2dm", "standard_management_rate"),
        ("t2dm", "glucose_control_rate"),
    ] {
        let i = template(code).indicator(key).unwrap();
        assert_eq!(i.citation.citation, "nbphs-2017");
        assert!(i.citation.confirmed, "{code}.{key}");
    }
}
