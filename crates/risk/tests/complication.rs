//! The complication model: learning a known signal, not inventing one, reproducibility,
//! saving and loading; and the cohort read from a registry built through the registry and
//! record store APIs, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use kernel::{ResidentIdNumber, Sex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use records::{IndexRow, IndexValue, RecordStore, Write, WriteKind};
use registry::{CaseFinding, PersonFacts, Registers, ResidentIndex, SourceRecord};
use risk::complication::{
    Example, FEATURES, Feature, Features, TrainError, TrainedModel, dataset, train,
};
use serde_json::json;
use store::Db;
use store::testing::TestDatabases;
use vault::Keyring;

/// `n` residents with random features; with `signal`, the outcome's log-odds rise with
/// systolic pressure, age and glucose; without, every resident has the same 20% chance.
fn synthetic(n: usize, seed: u64, signal: bool) -> Vec<Example> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let sbp = rng.gen_range(110.0..185.0);
            let age = rng.gen_range(40.0..85.0);
            let fpg = rng.gen_range(5.0..12.0);
            let features = Features {
                age: Some(age),
                male: Some(if rng.gen_bool(0.5) { 1.0 } else { 0.0 }),
                sbp: Some(sbp),
                dbp: Some(rng.gen_range(60.0..110.0)),
                fpg: Some(fpg),
                ldl_c: rng.gen_bool(0.7).then(|| rng.gen_range(1.5..4.5)),
                bmi: rng.gen_bool(0.5).then(|| rng.gen_range(19.0..32.0)),
                registers: Some(f64::from(rng.gen_range(1..=3u8))),
                years_enrolled: Some(rng.gen_range(0.0..8.0)),
            };
            let p = if signal {
                let z = -1.8 + 0.07 * (sbp - 145.0) + 0.06 * (age - 62.0) + 0.35 * (fpg - 8.5);
                1.0 / (1.0 + f64::exp(-z))
            } else {
                0.2
            };
            Example {
                resident_id: format!("r{i}"),
                features,
                outcome: rng.gen_bool(p),
            }
        })
        .collect()
}

fn held_out_auc(model: &TrainedModel) -> f64 {
    model.held_out().unwrap().auc.unwrap()
}

#[test]
fn a_known_signal_is_learnt_and_ranks_held_out_residents() {
    let examples = synthetic(2000, 1, true);
    let model = train(&examples, 42, 0.3).unwrap();
    let auc = held_out_auc(&model);
    assert!(auc > 0.8, "held-out AUC {auc}");
    assert_eq!(model.training.n_train + model.training.n_holdout, 2000);
    assert!((model.training.n_holdout as f64 - 600.0).abs() <= 1.0);
    // The split keeps the event rate on both sides.
    let rate = |e: usize, n: usize| e as f64 / n as f64;
    assert!(
        (rate(model.training.events_train, model.training.n_train)
            - rate(model.training.events_holdout, model.training.n_holdout))
        .abs()
            < 0.01
    );
    // The signal's features carry positive coefficients; a noise feature carries little.
    let coefficient = |f: Feature| {
        let i = Feature::ALL.iter().position(|g| *g == f).unwrap();
        model.coefficients[i]
    };
    assert!(coefficient(Feature::Sbp) > 0.5);
    assert!(coefficient(Feature::Age) > 0.3);
    assert!(coefficient(Feature::Fpg) > 0.3);
    assert!(coefficient(Feature::Dbp).abs() < 0.25);
    // Held-out calibration is measured too.
    let calibration = model.held_out().unwrap().calibration.as_ref().unwrap();
    assert_eq!(calibration.groups.len(), 10);
    assert!((calibration.slope.unwrap() - 1.0).abs() < 0.35);
}

#[test]
fn no_signal_gives_a_held_out_auc_near_one_half() {
    let examples = synthetic(2000, 2, false);
    let model = train(&examples, 42, 0.3).unwrap();
    let auc = held_out_auc(&model);
    assert!((auc - 0.5).abs() < 0.08, "held-out AUC {auc}");
    // The training rows flatter the model more than the held-out rows can.
    assert!(model.training.training_auc.unwrap() > 0.5);
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let examples = synthetic(800, 3, true);
    let a = train(&examples, 7, 0.25).unwrap();
    let b = train(&examples, 7, 0.25).unwrap();
    assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
    let c = train(&examples, 8, 0.25).unwrap();
    assert_ne!(
        a.coefficients, c.coefficients,
        "another seed, another split"
    );
    assert_eq!(a.card.version, "trained-seed-7");
}

#[test]
fn a_saved_model_loads_and_predicts_the_same() {
    let examples = synthetic(600, 4, true);
    let model = train(&examples, 1, 0.3).unwrap();
    let loaded = TrainedModel::from_json(&model.to_json().unwrap()).unwrap();
    // JSON numbers are read back to within the last bit or so.
    assert_eq!(loaded.card.version, model.card.version);
    assert_eq!(loaded.training.n_train, model.training.n_train);
    for (a, b) in loaded.coefficients.iter().zip(&model.coefficients) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
    }
    for e in examples.iter().take(50) {
        let (a, b) = (loaded.predict(&e.features), model.predict(&e.features));
        assert!((a - b).abs() < 1e-12);
        assert!((0.0..=1.0).contains(&b));
    }
    // Nothing known: every feature at its training median, still a probability.
    let p = loaded.predict(&Features::default());
    assert!(p > 0.0 && p < 1.0);
    // The card travels with the model, with its held-out validation.
    let json: serde_json::Value = serde_json::from_str(&model.to_json().unwrap()).unwrap();
    assert_eq!(json["card"]["id"], "complication");
    assert!(json["card"]["measured"]["auc"].is_f64());
    assert_eq!(json["scaling"].as_array().unwrap().len(), FEATURES);
}

#[test]
fn a_model_file_with_other_features_is_refused() {
    let model = train(&synthetic(600, 5, true), 1, 0.3).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&model.to_json().unwrap()).unwrap();
    json["coefficients"].as_array_mut().unwrap().pop();
    let err = TrainedModel::from_json(&json.to_string()).unwrap_err();
    assert!(
        matches!(err, TrainError::Features { expected: 9, .. }),
        "{err}"
    );
    assert!(TrainedModel::from_json("{").is_err());
}

#[test]
fn too_few_events_or_a_bad_holdout_share_fit_nothing() {
    let mut examples = synthetic(300, 6, false);
    for e in &mut examples {
        e.outcome = false;
    }
    examples[0].outcome = true;
    match train(&examples, 1, 0.3) {
        Err(TrainError::TooFewEvents { events, min, .. }) => {
            assert_eq!((events, min), (1, 5));
        }
        other => panic!("{other:?}"),
    }
    for share in [0.0, 1.0, -0.1, f64::NAN] {
        assert!(matches!(
            train(&synthetic(300, 6, true), 1, share),
            Err(TrainError::HoldoutFraction(_))
        ));
    }
}

// ---- the cohort from a registry ---------------------------------------------------------

struct City {
    index: ResidentIndex,
    registers: Registers,
    records: RecordStore,
    next: u32,
}

impl City {
    async fn new(db: &Db) -> City {
        db.migrate(&[registry::migrations(), records::migrations()])
            .await
            .unwrap();
        let keys = Arc::new(Keyring::for_tests());
        City {
            index: ResidentIndex::new(db.clone(), keys.clone()),
            registers: Registers::new(db.clone()),
            records: RecordStore::open(db.clone(), keys).await.unwrap(),
            next: 0,
        }
    }

    fn id(&mut self) -> String {
        self.next += 1;
        format!("x{}", self.next)
    }

    async fn resident(&mut self, birth: Date, sex: Sex) -> String {
        let n = self.id();
        let sequence = u16::try_from(self.next).unwrap();
        let facts = PersonFacts {
            id_number: ResidentIdNumber::from_parts("320102", birth, sequence, sex),
            name: Some(format!("测试{n}")),
            ..PersonFacts::default()
        };
        let source = SourceRecord {
            organisation_id: "hospital-a".into(),
            source_patient_id: n.clone(),
            facts,
        };
        self.index
            .resolve(&source, || format!("res-{n}"))
            .await
            .unwrap()
            .resident_id()
            .unwrap()
            .to_owned()
    }

    async fn enrol(&mut self, resident: &str, disease: &str, on: Date) {
        let finding = CaseFinding {
            resident_id: resident.into(),
            disease: disease.into(),
            found_on: on,
            source_organisation: "hospital-a".into(),
            source_resource: format!("Condition/{}", self.id()),
            code_system: "http://hl7.org/fhir/sid/icd-10".into(),
            code: "I10".into(),
            rule: "test".into(),
            reason_zh: "测试".into(),
            reason_en: "test".into(),
        };
        let id = self.id();
        self.registers.enrol(&finding, || id, 0).await.unwrap();
    }

    /// An Observation with the index rows the record store keeps for it.
    async fn observe(&mut self, resident: &str, loinc: &str, value: f64, unit: &str, on: Date) {
        let zone = TimeZone::get("Asia/Shanghai").unwrap();
        let low = on
            .to_zoned(zone.clone())
            .unwrap()
            .timestamp()
            .as_millisecond();
        let high = on
            .tomorrow()
            .unwrap()
            .to_zoned(zone)
            .unwrap()
            .timestamp()
            .as_millisecond();
        let body = json!({
            "resourceType": "Observation",
            "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }] },
            "effectiveDateTime": on.to_string(),
            "valueQuantity": { "value": value, "system": "http://unitsofmeasure.org", "code": unit }
        });
        let write = Write {
            kind: WriteKind::Create,
            resource_type: "Observation".into(),
            id: self.id(),
            body: Some(body),
            patient_id: Some(resident.into()),
            index: vec![
                IndexRow {
                    param: "Observation.code".into(),
                    value: IndexValue::Token {
                        system: Some("http://loinc.org".into()),
                        code: loinc.into(),
                    },
                },
                IndexRow {
                    param: "Observation.value-quantity".into(),
                    value: IndexValue::Quantity {
                        system: Some("http://unitsofmeasure.org".into()),
                        code: Some(unit.into()),
                        value,
                    },
                },
                IndexRow {
                    param: "Observation.date".into(),
                    value: IndexValue::Date { low, high },
                },
            ],
        };
        self.records.commit(vec![write]).await.unwrap();
    }
}

#[tokio::test]
async fn the_cohort_is_read_from_the_registers_and_observations_on_both_backends() {
    let dbs = TestDatabases::new().await;
    let as_of = date(2025, 6, 30);
    for db in dbs.all() {
        let mut city = City::new(db).await;
        // A: hypertension, then a stroke: a case. Readings after the stroke are not used.
        let a = city.resident(date(1960, 3, 1), Sex::Male).await;
        city.enrol(&a, "hypertension", date(2020, 1, 1)).await;
        city.enrol(&a, "stroke", date(2023, 3, 1)).await;
        city.observe(&a, "8480-6", 150.0, "mm[Hg]", date(2022, 5, 1))
            .await;
        city.observe(&a, "8480-6", 138.0, "mm[Hg]", date(2021, 5, 1))
            .await;
        city.observe(&a, "8480-6", 120.0, "mm[Hg]", date(2023, 4, 1))
            .await;
        city.observe(&a, "8480-6", 125.0, "mm[Hg]", date(2023, 3, 1))
            .await;
        // LDL-C by another code and in mg/dL: converted as the follow-up form converts it.
        city.observe(&a, "2089-1", 116.0, "mg/dL", date(2022, 6, 1))
            .await;
        // B: diabetes, later hypertension, no complication. A reading on the as-of day
        // counts; an implausible one is skipped.
        let b = city.resident(date(1970, 7, 15), Sex::Female).await;
        city.enrol(&b, "t2dm", date(2021, 1, 1)).await;
        city.enrol(&b, "hypertension", date(2022, 1, 1)).await;
        city.observe(&b, "1558-6", 7.5, "mmol/L", as_of).await;
        city.observe(&b, "8480-6", 400.0, "mm[Hg]", date(2024, 1, 1))
            .await;
        city.observe(&b, "39156-5", 27.1, "kg/m2", date(2024, 1, 1))
            .await;
        // C: coronary heart disease diagnosed with the hypertension: not a later
        // complication, left out.
        let c = city.resident(date(1955, 1, 1), Sex::Male).await;
        city.enrol(&c, "hypertension", date(2022, 2, 2)).await;
        city.enrol(&c, "chd", date(2022, 2, 2)).await;
        // D: COPD only: not in the cohort.
        let d = city.resident(date(1950, 1, 1), Sex::Female).await;
        city.enrol(&d, "copd", date(2022, 2, 2)).await;
        // E: coronary heart disease after the as-of day: no outcome yet.
        let e = city.resident(date(1965, 1, 1), Sex::Female).await;
        city.enrol(&e, "hypertension", date(2021, 1, 1)).await;
        city.enrol(&e, "chd", date(2026, 1, 1)).await;

        let data = dataset(db, as_of).await.unwrap();
        assert_eq!(data.excluded_prevalent, 1, "{:?}", db.backend());
        assert_eq!(data.skipped_measurements, 1);
        let ids: Vec<&str> = data
            .examples
            .iter()
            .map(|x| x.resident_id.as_str())
            .collect();
        let mut expected = vec![a.as_str(), b.as_str(), e.as_str()];
        expected.sort();
        assert_eq!(ids, expected);
        assert_eq!(data.events(), 1);

        let of = |id: &str| data.examples.iter().find(|x| x.resident_id == id).unwrap();
        let xa = of(&a);
        assert!(xa.outcome);
        assert_eq!(xa.features.sbp, Some(150.0), "the latest before the stroke");
        assert!((xa.features.ldl_c.unwrap() - 116.0 / 38.67).abs() < 1e-9);
        assert_eq!(xa.features.male, Some(1.0));
        assert_eq!(xa.features.registers, Some(1.0));
        assert!((xa.features.age.unwrap() - 63.0).abs() < 0.01);
        assert!((xa.features.years_enrolled.unwrap() - 3.16).abs() < 0.01);
        assert_eq!(xa.features.dbp, None);

        let xb = of(&b);
        assert!(!xb.outcome);
        assert_eq!(xb.features.fpg, Some(7.5));
        assert_eq!(xb.features.sbp, None, "400 mmHg is not a reading");
        assert_eq!(xb.features.bmi, Some(27.1));
        assert_eq!(xb.features.male, Some(0.0));
        assert_eq!(xb.features.registers, Some(2.0));

        let xe = of(&e);
        assert!(!xe.outcome);
        assert_eq!(xe.features.registers, Some(1.0));

        let missing = data.missing();
        let dbp = missing.iter().find(|(f, _)| *f == Feature::Dbp).unwrap();
        assert_eq!(dbp.1, 3);
    }
}
