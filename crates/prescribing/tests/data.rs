//! The shipped data files parse, cite what they rely on, and refuse broken edits.

use std::collections::HashSet;

use prescribing::{
    Catalogue, ControlClass, DRUGS_TOML, DataError, INTERACTIONS_TOML, Party, RULES_TOML, Rules,
    Source, catalogue, rule_sets,
};

#[test]
fn the_shipped_files_parse() {
    let parsed = Catalogue::parse(DRUGS_TOML)
        .and_then(|c| c.with_interactions(INTERACTIONS_TOML))
        .expect("drugs.toml and interactions.toml are valid");
    assert_eq!(&parsed, catalogue());
    assert!((30..=40).contains(&parsed.all().len()));
    assert!(!parsed.interactions().is_empty());
    assert_eq!(
        Rules::parse_all(RULES_TOML).expect("rules.toml is valid"),
        rule_sets()
    );
}

#[test]
fn every_drug_code_is_unique() {
    let mut seen = HashSet::new();
    for drug in catalogue().all() {
        assert!(seen.insert(&drug.code), "{} twice", drug.code);
    }
}

#[test]
fn every_cited_value_cites_a_listed_citation_and_unconfirmed_ones_say_why() {
    let check = |what: &str, source: &Source, ids: &[&str]| {
        assert!(
            ids.contains(&source.citation.as_str()),
            "{what} cites {}",
            source.citation
        );
        assert!(
            source.confirmed || source.note.as_deref().is_some_and(|n| !n.is_empty()),
            "{what} is unconfirmed without a note"
        );
    };
    let ids: Vec<&str> = catalogue()
        .citations()
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    for drug in catalogue().all() {
        check(&drug.code, &drug.max_daily_source, &ids);
        if let Some(source) = &drug.control_source {
            check(&drug.code, source, &ids);
        }
        assert_eq!(
            drug.control_source.is_some(),
            drug.control != ControlClass::Ordinary,
            "{}: every controlled medicine, and only those, cites its list",
            drug.code
        );
    }
    for rules in rule_sets() {
        let ids: Vec<&str> = rules.citations.iter().map(|c| c.id.as_str()).collect();
        for field in [
            "effective_from",
            "max_lines",
            "general_max_days",
            "normal_days",
            "long_max_days",
            "validity_days",
            "validity_max_days",
            "online_excluded",
            "long_excluded",
        ] {
            let source = rules.source(field).expect("every field has a source");
            check(field, source, &ids);
            assert!(rules.citation(field).is_some());
        }
    }
    for interaction in catalogue().interactions() {
        assert_eq!(interaction.citation.id, interaction.source.citation);
    }
}

#[test]
fn every_interaction_names_classes_or_drugs_in_the_catalogue() {
    let drugs = catalogue().all();
    for interaction in catalogue().interactions() {
        for party in [&interaction.a, &interaction.b] {
            let found = match party {
                Party::Class(class) => drugs.iter().any(|d| d.class == *class),
                Party::Drug(code) => catalogue().drug(code).is_some(),
            };
            assert!(found, "{party:?}");
        }
    }
}

#[test]
fn the_shipped_rules_hold_the_national_limits() {
    let rules = &rule_sets()[0];
    assert_eq!(rules.effective_from, jiff::civil::date(2021, 8, 10));
    assert_eq!(
        (
            rules.normal_days,
            rules.long_max_days,
            rules.general_max_days
        ),
        (28, 84, 7)
    );
    assert_eq!((rules.validity_days, rules.validity_max_days), (1, 3));
    assert_eq!(rules.max_lines, 5);
    assert!(!rules.online_excluded.contains(&ControlClass::Antimicrobial));
    assert!(rules.long_excluded.contains(&ControlClass::Antimicrobial));
    for class in &rules.online_excluded {
        assert!(
            rules.long_excluded.contains(class),
            "{class} is online-only"
        );
    }
    let cited = |field| rules.citation(field).map(|c| c.id.as_str());
    assert_eq!(cited("normal_days"), Some("long-rx-2021"));
    assert_eq!(cited("validity_max_days"), Some("rx-2007"));
    assert_eq!(cited("online_excluded"), Some("internet-dx-2018"));
}

#[test]
fn every_dose_can_be_compared_with_its_maximum() {
    for drug in catalogue().all() {
        assert!(
            drug.max_daily.in_unit(&drug.strength.unit).is_some(),
            "{}",
            drug.code
        );
    }
}

#[test]
fn controlled_and_antimicrobial_medicines_are_never_marked_chronic() {
    for drug in catalogue().all() {
        if drug.control != ControlClass::Ordinary {
            assert!(!drug.chronic, "{}", drug.code);
        }
    }
}

#[test]
fn the_catalogue_covers_the_chronic_clinic() {
    for atc in [
        "C08CA01", "C08CA05", "C09CA03", "C09CA01", "C09CA04", "C09AA02", "C09AA07", "C07AB02",
        "C07AB07", "C03AA03", "C03BA11", "C03DA01", "A10BA02", "A10BB12", "A10BB09", "A10BH01",
        "A10BK01", "A10BK03", "A10BF01", "A10AE04", "B01AC06", "B01AC04", "C10AA05", "C10AA07",
        "C01DA14", "R03BB04", "R03AK06", "A02BC01", "N02AA01", "N05BA01", "N05CF02", "N05BA12",
        "J01CA04", "C10AB04",
    ] {
        assert_eq!(catalogue().by_atc(atc).len(), 1, "{atc}");
    }
}

#[test]
fn search_matches_names_codes_and_atc_ignoring_case() {
    let codes = |text: &str| -> Vec<String> {
        catalogue()
            .search(text)
            .into_iter()
            .map(|d| d.code.clone())
            .collect()
    };
    assert_eq!(codes("氨氯地平"), ["amlodipine-5mg-tab"]);
    assert_eq!(codes("AMLODIPINE"), ["amlodipine-5mg-tab"]);
    assert_eq!(codes("c08ca01"), ["amlodipine-5mg-tab"]);
    assert_eq!(
        codes(" Statin "),
        ["atorvastatin-20mg-tab", "rosuvastatin-10mg-tab"]
    );
    assert_eq!(codes("").len(), catalogue().all().len());
    assert!(codes("no such medicine").is_empty());
}

// ---- broken edits are refused, naming the field ------------------------------------------------

fn first_drug_changed(from: &str, to: &str) -> Result<Catalogue, DataError> {
    Catalogue::parse(&DRUGS_TOML.replacen(from, to, 1))
}

fn invalid_field(result: Result<Catalogue, DataError>) -> String {
    match result {
        Err(DataError::Invalid { field, .. }) => field,
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn a_duplicate_code_is_refused() {
    let text = DRUGS_TOML.replacen("nifedipine-sr-20mg-tab", "amlodipine-5mg-tab", 1);
    assert_eq!(invalid_field(Catalogue::parse(&text)), "drugs[1].code");
}

#[test]
fn a_citation_that_is_not_listed_is_refused() {
    let result = first_drug_changed(
        "source = { citation = \"label\"",
        "source = { citation = \"label-2099\"",
    );
    assert_eq!(invalid_field(result), "drugs[0].max_daily.source.citation");
}

#[test]
fn an_unconfirmed_figure_without_a_note_is_refused() {
    let result = first_drug_changed(", note = \"usual adult maximum 10 mg once a day\"", "");
    assert_eq!(invalid_field(result), "drugs[0].max_daily.source.note");
}

#[test]
fn a_maximum_in_units_the_strength_cannot_be_compared_with_is_refused() {
    let result = first_drug_changed("value = 10, unit = \"mg\"", "value = 10, unit = \"IU\"");
    assert_eq!(invalid_field(result), "drugs[0].max_daily.unit");
}

#[test]
fn a_controlled_medicine_without_its_list_is_refused() {
    let result = first_drug_changed("control = \"ordinary\"", "control = \"narcotic\"");
    assert_eq!(invalid_field(result), "drugs[0].control_source");
}

#[test]
fn unknown_control_classes_and_misspelt_keys_are_syntax_errors() {
    for (from, to) in [
        ("control = \"ordinary\"", "control = \"psychotropic\""),
        ("chronic = true", "chronik = true"),
    ] {
        assert!(matches!(
            first_drug_changed(from, to),
            Err(DataError::Syntax { .. })
        ));
    }
}

#[test]
fn an_interaction_naming_an_unknown_class_is_refused() {
    let text = INTERACTIONS_TOML.replacen("class = \"arb\"", "class = \"sartan\"", 1);
    let result = Catalogue::parse(DRUGS_TOML).and_then(|c| c.with_interactions(&text));
    assert_eq!(invalid_field(result), "interactions[0].b");
}
