use diseases::{BUILTIN_TEMPLATES, Catalogue, ELEMENTS_FILE, TemplateError};

use crate::{catalogue, template};

#[test]
fn every_builtin_template_loads() {
    let codes: Vec<&str> = catalogue()
        .templates()
        .iter()
        .map(|t| t.code.as_str())
        .collect();
    assert_eq!(codes, ["hypertension", "t2dm", "stroke", "chd", "copd"]);
}

#[test]
fn each_file_is_named_after_its_code() {
    for t in catalogue().templates() {
        assert_eq!(t.file(), format!("{}.toml", t.code));
    }
}

#[test]
fn every_template_has_rules_indicators_and_a_plan() {
    for t in catalogue().templates() {
        assert!(!t.inclusion().is_empty(), "{}", t.code);
        assert!(!t.indicators().is_empty(), "{}", t.code);
        assert!(t.followup().interval_days.value > 0, "{}", t.code);
        assert!(!t.followup().record.is_empty(), "{}", t.code);
        assert!(!t.elements().is_empty(), "{}", t.code);
        assert!(!t.name_zh.is_empty() && !t.name_en.is_empty());
    }
}

#[test]
fn every_source_cites_a_document_of_its_template() {
    for t in catalogue().templates() {
        let sources = t.sources();
        assert!(
            sources.len() > 5,
            "{} lists only {} sources",
            t.code,
            sources.len()
        );
        for (field, s) in sources {
            assert!(
                t.citation(&s.citation).is_some(),
                "{}: {field} cites unknown `{}`",
                t.code,
                s.citation
            );
            assert!(
                !s.section.trim().is_empty(),
                "{}: {field} has no section",
                t.code
            );
            if !s.confirmed {
                assert!(
                    s.note.as_deref().is_some_and(|n| !n.trim().is_empty()),
                    "{}: {field} is unconfirmed without a note",
                    t.code
                );
            }
        }
    }
}

#[test]
fn editorial_choices_are_never_marked_confirmed() {
    for t in catalogue().templates() {
        for (field, s) in t.sources() {
            if s.citation == "editorial" {
                assert!(!s.confirmed, "{}: {field}", t.code);
            }
        }
    }
}

#[test]
fn the_follow_up_form_lists_elements_marked_for_every_visit_in_file_order() {
    let t = template("hypertension");
    assert_eq!(
        t.followup().record,
        ["sbp", "dbp", "heart_rate", "weight", "bmi", "smoking"]
    );
    assert!(!t.element("height").unwrap().required_at_followup);
}

/// Lists the figures awaiting confirmation; run with `--nocapture` to review them.
#[test]
fn unconfirmed_figures_can_be_listed() {
    let mut n = 0;
    for t in catalogue().templates() {
        for (field, s) in t.sources() {
            if !s.confirmed {
                n += 1;
                println!("{}: {field}: {}", t.code, s.note.as_deref().unwrap_or(""));
            }
        }
    }
    assert!(n > 0);
}

fn with_hypertension_edited(from: &str, to: &str) -> Result<Catalogue, TemplateError> {
    let text = BUILTIN_TEMPLATES[0].1;
    assert!(
        text.contains(from),
        "fixture text `{from}` not in hypertension.toml"
    );
    let edited = text.replacen(from, to, 1);
    Catalogue::load(ELEMENTS_FILE, &[("broken.toml", &edited)])
}

fn invalid_field(err: TemplateError) -> (String, String) {
    match err {
        TemplateError::Invalid { file, field, .. } => (file, field),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_source_citing_an_unknown_document_is_refused_naming_file_and_field() {
    let err = with_hypertension_edited(
        r#"key = "sbp"
lt = 140
source = { citation = "nbphs-2017""#,
        r#"key = "sbp"
lt = 140
source = { citation = "nbphs-2099""#,
    )
    .unwrap_err();
    let (file, field) = invalid_field(err);
    assert_eq!(file, "broken.toml");
    assert_eq!(field, "control.bands[1].targets[0].source.citation");
}

#[test]
fn an_unconfirmed_figure_without_a_note_is_refused() {
    let err = with_hypertension_edited(
        r#"lt = 150
source = { citation = "htn-primary-2020", section = "降压目标", confirmed = false, note = "recalled, not checked against the primary text" }"#,
        r#"lt = 150
source = { citation = "htn-primary-2020", section = "降压目标", confirmed = false }"#,
    )
    .unwrap_err();
    assert_eq!(
        invalid_field(err).1,
        "control.bands[0].targets[0].source.note"
    );
}

#[test]
fn a_threshold_outside_the_plausible_range_is_refused() {
    // A threshold beyond any possible reading is almost always a unit or typing slip.
    let err = with_hypertension_edited("ge = 180", "ge = 1800").unwrap_err();
    assert_eq!(invalid_field(err).1, "danger_signs[0].when[0].ge");
}

#[test]
fn an_age_without_a_band_is_refused() {
    let err = with_hypertension_edited(
        "key = \"general\"\nlabel_zh",
        "key = \"general\"\nmin_age = { value = 18, source = { citation = \"editorial\", section = \"x\", confirmed = false, note = \"test\" } }\nlabel_zh",
    )
    .unwrap_err();
    let TemplateError::Invalid { field, reason, .. } = err else {
        panic!("expected Invalid")
    };
    assert_eq!(field, "control.bands");
    assert!(reason.contains("age 0"), "{reason}");
}

#[test]
fn a_misspelt_field_is_a_syntax_error_naming_it() {
    let err = with_hypertension_edited("confirmed = true }", "confimed = true }").unwrap_err();
    let TemplateError::Syntax { file, message } = err else {
        panic!("expected Syntax")
    };
    assert_eq!(file, "broken.toml");
    assert!(message.contains("confimed"), "{message}");
}

#[test]
fn an_unknown_element_is_refused() {
    let err = with_hypertension_edited("{ key = \"smoking\"", "{ key = \"smokes\"").unwrap_err();
    assert_eq!(invalid_field(err).1, "elements[6].key");
}

#[test]
fn an_invalid_snomed_id_is_refused() {
    let err = with_hypertension_edited("\"38341003\"", "\"38341004\"").unwrap_err();
    assert_eq!(invalid_field(err).1, "inclusion[1].concepts[0].id");
}

#[test]
fn a_reversed_icd_range_is_refused() {
    let err = with_hypertension_edited(
        "from = \"I10\"\nto = \"I15\"",
        "from = \"I15\"\nto = \"I10\"",
    )
    .unwrap_err();
    assert_eq!(invalid_field(err).1, "inclusion[0].to");
}

#[test]
fn two_templates_with_one_code_are_refused() {
    let text = BUILTIN_TEMPLATES[0].1;
    let err = Catalogue::load(ELEMENTS_FILE, &[("a.toml", text), ("b.toml", text)]).unwrap_err();
    assert_eq!(invalid_field(err), ("b.toml".into(), "code".into()));
}

#[test]
fn a_broken_dictionary_names_its_file() {
    let (name, text) = ELEMENTS_FILE;
    let edited = text.replacen("loinc = \"8480-6\"", "loinc = \"8480-5\"", 1);
    let err = Catalogue::load((name, &edited), BUILTIN_TEMPLATES).unwrap_err();
    assert_eq!(
        invalid_field(err),
        ("elements.toml".into(), "elements[0].loinc".into())
    );
}
