use diseases::{ControlStatus, Measurements};

use crate::template;

fn bp(sbp: f64, dbp: f64) -> Measurements {
    Measurements::new()
        .quantity("sbp", sbp)
        .quantity("dbp", dbp)
}

#[test]
fn blood_pressure_below_140_over_90_is_controlled_at_60() {
    assert!(matches!(
        template("hypertension").is_controlled(&bp(138.0, 88.0), 60),
        ControlStatus::Controlled { ref band, .. } if band == "general"
    ));
}

#[test]
fn systolic_145_is_not_controlled_and_the_failure_names_sbp() {
    let ControlStatus::NotControlled { failed, .. } =
        template("hypertension").is_controlled(&bp(145.0, 85.0), 60)
    else {
        panic!("expected not controlled")
    };
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].key, "sbp");
    assert_eq!(failed[0].value, 145.0);
    assert_eq!(failed[0].target, "sbp < 140 mmHg");
}

#[test]
fn the_target_is_strict_at_140_over_90() {
    let status = template("hypertension").is_controlled(&bp(140.0, 90.0), 60);
    let ControlStatus::NotControlled { failed, .. } = status else {
        panic!("140/90 is not below 140/90")
    };
    let keys: Vec<&str> = failed.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["sbp", "dbp"]);
}

#[test]
fn patients_aged_80_and_over_have_the_150_over_90_target() {
    let t = template("hypertension");
    assert!(matches!(
        t.is_controlled(&bp(145.0, 85.0), 80),
        ControlStatus::Controlled { ref band, .. } if band == "aged_80_plus"
    ));
    assert!(matches!(
        t.is_controlled(&bp(145.0, 85.0), 79),
        ControlStatus::NotControlled { .. }
    ));
    assert!(matches!(
        t.is_controlled(&bp(152.0, 85.0), 85),
        ControlStatus::NotControlled { .. }
    ));
}

#[test]
fn missing_readings_leave_control_unknown() {
    let t = template("hypertension");
    assert_eq!(
        t.is_controlled(&Measurements::new(), 60),
        ControlStatus::Unknown {
            missing: vec!["sbp".into(), "dbp".into()]
        }
    );
    assert_eq!(
        t.is_controlled(&Measurements::new().quantity("sbp", 130.0), 60),
        ControlStatus::Unknown {
            missing: vec!["dbp".into()]
        }
    );
    // NaN from a broken device is "not measured", not a pass.
    assert!(matches!(
        t.is_controlled(&bp(f64::NAN, 80.0), 60),
        ControlStatus::Unknown { .. }
    ));
}

#[test]
fn one_failed_target_decides_even_when_another_is_missing() {
    let m = Measurements::new().quantity("sbp", 150.0);
    assert!(matches!(
        template("hypertension").is_controlled(&m, 60),
        ControlStatus::NotControlled { .. }
    ));
}

#[test]
fn diabetes_is_judged_on_fasting_glucose_and_on_hba1c_when_measured() {
    let t = template("t2dm");
    let fpg = |v| Measurements::new().quantity("fpg", v);
    assert!(matches!(
        t.is_controlled(&fpg(6.5), 60),
        ControlStatus::Controlled { .. }
    ));
    assert!(matches!(
        t.is_controlled(&fpg(7.0), 60),
        ControlStatus::Controlled { .. }
    ));
    assert!(matches!(
        t.is_controlled(&fpg(7.1), 60),
        ControlStatus::NotControlled { .. }
    ));
    assert!(matches!(
        t.is_controlled(&fpg(4.0), 60),
        ControlStatus::NotControlled { .. }
    ));
    let ControlStatus::NotControlled { failed, .. } =
        t.is_controlled(&fpg(6.5).quantity("hba1c", 7.4), 60)
    else {
        panic!("HbA1c 7.4% is above target")
    };
    assert_eq!(failed[0].key, "hba1c");
    assert_eq!(
        t.is_controlled(&Measurements::new().quantity("hba1c", 6.5), 60),
        ControlStatus::Unknown {
            missing: vec!["fpg".into()]
        }
    );
}

#[test]
fn copd_symptom_burden_is_judged_on_whichever_instrument_was_used() {
    let t = template("copd");
    assert!(matches!(
        t.is_controlled(&Measurements::new().quantity("cat", 8.0), 70),
        ControlStatus::Controlled { .. }
    ));
    assert!(matches!(
        t.is_controlled(&Measurements::new().quantity("mmrc", 2.0), 70),
        ControlStatus::NotControlled { .. }
    ));
    assert_eq!(
        t.is_controlled(&Measurements::new(), 70),
        ControlStatus::Unknown {
            missing: vec!["cat".into(), "mmrc".into()]
        }
    );
}
