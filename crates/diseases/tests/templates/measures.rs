//! Counts measured from arriving records: each names its rule, the rule's codes and target are
//! template data, and the loader keeps names, rules and elements consistent.

use diseases::{
    BUILTIN_TEMPLATES, Catalogue, CountMeasure, ELEMENTS_FILE, MeasureKind, TemplateError,
};

use crate::{catalogue, template};

fn with_edited(file: &str, from: &str, to: &str) -> Result<Catalogue, TemplateError> {
    let (_, text) = BUILTIN_TEMPLATES
        .iter()
        .find(|(name, _)| *name == file)
        .unwrap();
    assert!(text.contains(from), "fixture text `{from}` not in {file}");
    let edited = text.replacen(from, to, 1);
    Catalogue::load(ELEMENTS_FILE, &[("broken.toml", &edited)])
}

fn refused_field(result: Result<Catalogue, TemplateError>) -> String {
    match result {
        Err(TemplateError::Invalid { field, .. }) => field,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn ldl_at_target_is_judged_by_the_coronary_control_target() {
    let chd = template("chd");
    let (count, rule) = chd
        .measured_count(MeasureKind::LatestResultAtTarget)
        .unwrap();
    assert_eq!(count.name, "ldl_controlled_last_test");
    let CountMeasure::LatestResultAtTarget { element, .. } = rule else {
        panic!("{rule:?}")
    };
    assert_eq!(element, "ldl_c");
    let target = chd.result_target("ldl_c").unwrap();
    assert_eq!(target.lt, Some(1.8));
    assert!(target.holds(1.7) && !target.holds(1.8));
    // The LOINC codes of LDL-C results: calculated, direct, either method.
    let ldl = chd.element("ldl_c").unwrap();
    for code in ["13457-7", "18262-6", "2089-1"] {
        assert!(ldl.has_loinc(code), "{code}");
    }
}

#[test]
fn spirometry_and_rehabilitation_name_their_records() {
    let (count, rule) = template("copd")
        .measured_count(MeasureKind::ExaminationInYear)
        .unwrap();
    assert_eq!(count.name, "spirometry_done");
    let CountMeasure::ExaminationInYear {
        elements,
        loinc,
        procedures,
        ..
    } = rule
    else {
        panic!("{rule:?}")
    };
    assert_eq!(elements, &["fev1_fvc"]);
    assert_eq!(loinc[0].code, "20150-9");
    assert_eq!(procedures[0].id, "127783003");
    let (count, rule) = template("stroke")
        .measured_count(MeasureKind::AssessmentAtFollowup)
        .unwrap();
    assert_eq!(count.name, "rehab_followed_up");
    assert!(matches!(rule, CountMeasure::AssessmentAtFollowup { element, .. } if element == "mrs"));
    assert_eq!(template("hypertension").measured_counts().count(), 0);
    assert!(
        template("stroke")
            .sources()
            .iter()
            .any(|(field, _)| field == "counts[1].measure")
    );
}

#[test]
fn a_count_name_says_how_it_is_measured() {
    assert_eq!(
        MeasureKind::of_count("ldl_controlled_last_test"),
        Some(MeasureKind::LatestResultAtTarget)
    );
    assert_eq!(
        MeasureKind::of_count("spirometry_done"),
        Some(MeasureKind::ExaminationInYear)
    );
    assert_eq!(
        MeasureKind::of_count("rehab_followed_up"),
        Some(MeasureKind::AssessmentAtFollowup)
    );
    for other in [
        "managed",
        "followed_up_on_time",
        "bp_controlled_last_visit",
        "_done",
    ] {
        assert_eq!(MeasureKind::of_count(other), None, "{other}");
    }
}

#[test]
fn a_rule_on_a_count_named_otherwise_is_refused() {
    let field = refused_field(with_edited(
        "chd.toml",
        "name = \"ldl_controlled_last_test\"",
        "name = \"ldl_at_target\"",
    ));
    assert_eq!(field, "counts[2].measure.rule");
}

#[test]
fn a_measured_name_without_its_rule_is_refused() {
    let field = refused_field(with_edited(
        "stroke.toml",
        "[counts.measure]\nrule = \"assessment_at_followup\"\nelement = \"mrs\"\nsource = ",
        "# source = ",
    ));
    assert_eq!(field, "counts[1].measure");
}

#[test]
fn a_result_without_one_target_is_refused() {
    // Fasting glucose is recorded for coronary patients but has no target there.
    let field = refused_field(with_edited(
        "chd.toml",
        "element = \"ldl_c\"",
        "element = \"fpg\"",
    ));
    assert_eq!(field, "counts[2].measure.element");
    let field = refused_field(with_edited(
        "chd.toml",
        "element = \"ldl_c\"",
        "element = \"hba1c\"",
    ));
    assert_eq!(field, "counts[2].measure.element", "not a coronary element");
}

#[test]
fn broken_codes_of_an_examination_are_refused() {
    let field = refused_field(with_edited("copd.toml", "\"20150-9\"", "\"20150-8\""));
    assert_eq!(field, "counts[2].measure.loinc[0].code");
    let field = refused_field(with_edited("copd.toml", "\"127783003\"", "\"127783004\""));
    assert_eq!(field, "counts[2].measure.procedures[0].id");
}

#[test]
fn an_unknown_rule_is_a_syntax_error() {
    let result = with_edited(
        "copd.toml",
        "rule = \"examination_in_year\"",
        "rule = \"examined_somehow\"",
    );
    assert!(
        matches!(result, Err(TemplateError::Syntax { .. })),
        "{result:?}"
    );
}

#[test]
fn every_measured_count_is_loaded() {
    let measured: Vec<(&str, &str)> = catalogue()
        .templates()
        .iter()
        .flat_map(|t| {
            t.measured_counts()
                .map(move |(c, _)| (t.code.as_str(), c.name.as_str()))
        })
        .collect();
    assert_eq!(
        measured,
        [
            ("stroke", "rehab_followed_up"),
            ("chd", "ldl_controlled_last_test"),
            ("copd", "spirometry_done"),
        ]
    );
}
