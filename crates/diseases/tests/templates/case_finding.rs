use diseases::{CodeError, ICD10_CN, ICD10_WHO, SNOMED_CT};

use crate::catalogue;

/// Codes of the diseases a code brings a patient into.
fn diseases(system: &str, code: &str) -> Vec<String> {
    catalogue()
        .diseases_for_code(system, code)
        .unwrap()
        .into_iter()
        .map(|(t, _)| t.code.clone())
        .collect()
}

#[test]
fn hypertensive_diseases_i10_to_i15_find_hypertension() {
    for code in ["I10", "i10", " I10 ", "I11.9", "I13.2", "I15.0", "I15"] {
        assert_eq!(diseases(ICD10_WHO, code), ["hypertension"], "{code}");
    }
}

#[test]
fn chinese_national_extension_codes_match_by_their_category() {
    assert_eq!(diseases(ICD10_CN, "I10.x00x002"), ["hypertension"]);
    assert_eq!(diseases(ICD10_CN, "I10.X00X032"), ["hypertension"]);
    assert_eq!(diseases(ICD10_CN, "E11.900"), ["t2dm"]);
}

#[test]
fn codes_just_outside_a_range_do_not_match() {
    assert!(diseases(ICD10_WHO, "I16").is_empty());
    assert!(diseases(ICD10_WHO, "I09.9").is_empty());
    assert!(
        diseases(ICD10_WHO, "E10").is_empty(),
        "type 1 diabetes is not type 2"
    );
    assert!(diseases(ICD10_WHO, "E12").is_empty());
    assert!(diseases(ICD10_WHO, "I65").is_empty());
    assert!(diseases(ICD10_WHO, "I26.9").is_empty());
    assert!(diseases(ICD10_WHO, "J45").is_empty());
}

#[test]
fn each_disease_is_found_by_its_icd_10_codes() {
    assert_eq!(diseases(ICD10_WHO, "E11.9"), ["t2dm"]);
    assert_eq!(diseases(ICD10_WHO, "E11"), ["t2dm"]);
    assert_eq!(diseases(ICD10_WHO, "I63.9"), ["stroke"]);
    assert_eq!(diseases(ICD10_WHO, "I60.0"), ["stroke"]);
    assert_eq!(diseases(ICD10_WHO, "I21.0"), ["chd"]);
    assert_eq!(diseases(ICD10_WHO, "I25.1"), ["chd"]);
    assert_eq!(diseases(ICD10_WHO, "J44.1"), ["copd"]);
}

#[test]
fn snomed_concepts_find_their_disease() {
    assert_eq!(diseases(SNOMED_CT, "38341003"), ["hypertension"]);
    assert_eq!(diseases(SNOMED_CT, "59621000"), ["hypertension"]);
    assert_eq!(diseases(SNOMED_CT, "44054006"), ["t2dm"]);
    assert_eq!(diseases(SNOMED_CT, "230690007"), ["stroke"]);
    assert_eq!(diseases(SNOMED_CT, "53741008"), ["chd"]);
    assert_eq!(diseases(SNOMED_CT, "22298006"), ["chd"]);
    assert_eq!(diseases(SNOMED_CT, "13645005"), ["copd"]);
    // Type 1 diabetes is a valid SCTID that no template lists.
    assert!(diseases(SNOMED_CT, "46635009").is_empty());
}

#[test]
fn systems_no_template_reads_match_nothing_without_error() {
    assert!(diseases("http://loinc.org", "8480-6").is_empty());
    assert!(diseases("http://loinc.org", "I10").is_empty());
    assert!(diseases("urn:oid:1.2.3.4", "I10").is_empty());
}

#[test]
fn a_system_that_is_not_a_uri_is_an_error() {
    for system in ["", "ICD10", "icd 10", "   "] {
        assert_eq!(
            catalogue().diseases_for_code(system, "I10").unwrap_err(),
            CodeError::UnknownSystem(system.into()),
            "{system:?}"
        );
    }
}

#[test]
fn malformed_codes_are_errors_naming_the_reason() {
    for code in ["", "10", "I1", "II0", "I1.0", "I10..1", "I10-1", "I10.1.2"] {
        let err = catalogue().diseases_for_code(ICD10_WHO, code).unwrap_err();
        assert!(
            matches!(err, CodeError::MalformedCode { .. }),
            "{code:?}: {err:?}"
        );
    }
    // A single-digit typo fails SNOMED's Verhoeff check rather than silently matching nothing.
    for code in ["38341004", "3834100", "abc", "038341003"] {
        let err = catalogue().diseases_for_code(SNOMED_CT, code).unwrap_err();
        assert!(
            matches!(err, CodeError::MalformedCode { .. }),
            "{code:?}: {err:?}"
        );
    }
}

#[test]
fn reasons_name_the_rule_and_explain_in_both_languages() {
    let found = catalogue().diseases_for_code(ICD10_CN, "I11.9").unwrap();
    let (_, reason) = &found[0];
    assert_eq!(reason.rule, "ICD-10 I10–I15");
    assert_eq!(reason.system, ICD10_CN);
    assert_eq!(reason.code, "I11.9");
    assert!(
        reason.explanation_zh.contains("I11"),
        "{}",
        reason.explanation_zh
    );
    assert!(reason.explanation_zh.contains("高血压"));
    assert!(reason.explanation_en.contains("Hypertension"));

    let found = catalogue().diseases_for_code(ICD10_WHO, "E11.9").unwrap();
    assert_eq!(found[0].1.rule, "ICD-10 E11");

    let found = catalogue()
        .diseases_for_code(SNOMED_CT, "38341003")
        .unwrap();
    let reason = &found[0].1;
    assert!(reason.rule.starts_with("SNOMED CT"));
    assert!(!reason.explanation_zh.is_empty() && !reason.explanation_en.is_empty());
}

mod properties {
    use diseases::{ICD10_WHO, SNOMED_CT};
    use proptest::prelude::*;

    use crate::catalogue;

    proptest! {
        #[test]
        fn any_input_gives_a_result_not_a_panic(system in ".{0,40}", code in ".{0,40}") {
            let _ = catalogue().diseases_for_code(&system, &code);
            let _ = catalogue().diseases_for_code(ICD10_WHO, &code);
            let _ = catalogue().diseases_for_code(SNOMED_CT, &code);
        }

        #[test]
        fn every_subcategory_of_i10_to_i15_is_hypertension(cat in 10u8..=15, sub in 0u8..=9) {
            let code = format!("I{cat}.{sub}");
            let found = catalogue().diseases_for_code(ICD10_WHO, &code).unwrap();
            prop_assert_eq!(found.len(), 1);
            prop_assert_eq!(&found[0].0.code, "hypertension");
        }
    }
}
