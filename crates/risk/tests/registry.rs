//! The model registry and the population check on each card.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use risk::{ModelKind, OutOfPopulation, Registry, Subject};

fn subject(age: Option<f64>, conditions: &[&str]) -> Subject {
    Subject {
        age,
        conditions: conditions.iter().map(|c| (*c).to_owned()).collect(),
    }
}

#[test]
fn the_builtin_registry_lists_both_models_with_cited_sources() {
    let registry = Registry::builtin().unwrap();
    let ids: Vec<&str> = registry.cards().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["china-par", "complication"]);
    let china_par = registry.get("china-par").unwrap();
    assert_eq!(china_par.kind, ModelKind::PublishedEquation);
    assert_eq!(china_par.horizon_years, Some(10));
    assert!(
        china_par
            .citations
            .iter()
            .any(|c| c.id == china_par.source.citation)
    );
    // No published metric is claimed that the project cannot cite.
    assert!(china_par.measured.is_none());
    let complication = registry.get("complication").unwrap();
    assert_eq!(complication.kind, ModelKind::TrainedOnRegistry);
    assert!(
        complication
            .limits
            .iter()
            .any(|l| l.en.contains("not for clinical use"))
    );
    assert_eq!(complication.inputs.len(), risk::complication::FEATURES);
    assert!(registry.get("framingham").is_none());
}

#[test]
fn two_models_with_one_id_are_refused() {
    let card = Registry::builtin().unwrap().cards()[0].clone();
    let err = Registry::new(vec![card.clone(), card]).unwrap_err();
    assert!(
        err.to_string()
            .contains("two models are called `china-par`"),
        "{err}"
    );
}

#[test]
fn china_par_applies_to_35_to_74_without_ascvd() {
    let card = Registry::builtin().unwrap().get("china-par").unwrap();
    assert_eq!(card.applies_to(&subject(Some(35.0), &[])), Ok(()));
    assert_eq!(card.applies_to(&subject(Some(74.99), &[])), Ok(()));
    assert!(matches!(
        card.applies_to(&subject(Some(34.99), &[])),
        Err(OutOfPopulation::AgeOutOfRange { min, max, .. }) if min == 35.0 && max == 74.0
    ));
    assert!(matches!(
        card.applies_to(&subject(Some(75.0), &[])),
        Err(OutOfPopulation::AgeOutOfRange { .. })
    ));
    assert!(matches!(
        card.applies_to(&subject(None, &[])),
        Err(OutOfPopulation::AgeUnknown { .. })
    ));
    assert!(matches!(
        card.applies_to(&subject(Some(f64::NAN), &[])),
        Err(OutOfPopulation::AgeUnknown { .. })
    ));
    let why = card
        .applies_to(&subject(Some(50.0), &["ascvd"]))
        .unwrap_err();
    assert!(matches!(&why, OutOfPopulation::Excluded(c) if c.key == "ascvd"));
    assert!(why.reason_zh().contains("不适用于"), "{}", why.reason_zh());
    assert!(why.reason_en().contains("no risk is computed"));
    // Conditions the card does not know do not matter.
    assert_eq!(card.applies_to(&subject(Some(50.0), &["copd"])), Ok(()));
}

#[test]
fn the_complication_model_requires_an_index_register_and_excludes_the_outcome() {
    let card = Registry::builtin().unwrap().get("complication").unwrap();
    assert_eq!(
        card.applies_to(&subject(Some(60.0), &["hypertension"])),
        Ok(())
    );
    assert_eq!(
        card.applies_to(&subject(Some(60.0), &["t2dm", "copd"])),
        Ok(())
    );
    let why = card
        .applies_to(&subject(Some(60.0), &["copd"]))
        .unwrap_err();
    assert!(matches!(&why, OutOfPopulation::NotRequired(cs) if cs.len() == 2));
    assert_eq!(why.reason_zh(), "本模型只适用于高血压或2型糖尿病患者");
    assert_eq!(
        why.reason_en(),
        "the model is for people with hypertension or type 2 diabetes"
    );
    assert!(matches!(
        card.applies_to(&subject(Some(60.0), &["hypertension", "stroke"])),
        Err(OutOfPopulation::Excluded(c)) if c.key == "stroke"
    ));
}

#[test]
fn a_card_citing_an_unknown_source_is_refused() {
    let text = risk::complication::CARD_FILE.1.replace(
        "citation = \"lifehealth-registry\"",
        "citation = \"nowhere\"",
    );
    let err = risk::ModelCard::parse("edited.card.toml", &text).unwrap_err();
    assert!(err.to_string().contains("no citation `nowhere`"), "{err}");
}
