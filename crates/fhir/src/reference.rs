//! Literal references (`Reference.reference`) and the patient a resource belongs to.

use serde_json::Value;

use crate::primitive::is_id;
use crate::resource_type::is_resource_type;

/// The form a reference string takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    /// `Type/id` or `Type/id/_history/version`, relative to this server.
    Relative,
    /// An absolute URL; type and id are filled when its tail is `Type/id[/_history/v]`.
    Absolute,
    /// `#id`, a resource in `contained` (or `#` for the container itself).
    Contained,
    /// `urn:uuid:…` or `urn:oid:…`, meaningful only inside a transaction Bundle.
    Urn,
    /// None of the forms R4 allows.
    Invalid,
}

/// A reference string taken apart. Contained and URN references carry no type or id, so that
/// a search for `Patient/x` can never match them by accident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedReference {
    pub resource_type: Option<String>,
    pub id: Option<String>,
    pub version: Option<String>,
    pub url: String,
    pub kind: ReferenceKind,
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn is_oid(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|c| c.is_ascii_digit()))
}

/// `[Type, id]` or `[Type, id, "_history", version]` at the end of `segments`.
fn typed_tail(segments: &[&str]) -> Option<(String, String, Option<String>)> {
    let valid = |t: &str, id: &str| is_resource_type(t) && is_id(id);
    match segments {
        [.., t, id, "_history", v] if valid(t, id) && is_id(v) => {
            Some(((*t).into(), (*id).into(), Some((*v).into())))
        }
        [.., t, id] if valid(t, id) => Some(((*t).into(), (*id).into(), None)),
        _ => None,
    }
}

/// Takes a `Reference.reference` string apart. Never fails: unrecognised strings come back
/// with `kind: Invalid` so callers decide whether that is an error.
pub fn parse_reference(s: &str) -> ParsedReference {
    let mut parsed = ParsedReference {
        resource_type: None,
        id: None,
        version: None,
        url: s.to_owned(),
        kind: ReferenceKind::Invalid,
    };
    if let Some(local) = s.strip_prefix('#') {
        if local.is_empty() || is_id(local) {
            parsed.kind = ReferenceKind::Contained;
        }
        return parsed;
    }
    if let Some(uuid) = s.strip_prefix("urn:uuid:") {
        if is_uuid(uuid) {
            parsed.kind = ReferenceKind::Urn;
        }
        return parsed;
    }
    if let Some(oid) = s.strip_prefix("urn:oid:") {
        if is_oid(oid) {
            parsed.kind = ReferenceKind::Urn;
        }
        return parsed;
    }
    if s.chars().any(char::is_whitespace) || s.contains('?') {
        // Conditional references (`Patient?identifier=…`) are not resolved by this layer.
        return parsed;
    }
    let absolute = s.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
            && !rest.is_empty()
    });
    let segments: Vec<&str> = s.trim_end_matches('/').split('/').collect();
    if absolute {
        parsed.kind = ReferenceKind::Absolute;
        if let Some((t, id, v)) = typed_tail(&segments) {
            (parsed.resource_type, parsed.id, parsed.version) = (Some(t), Some(id), v);
        }
    } else if segments.len() <= 4 && !s.ends_with('/') {
        if let Some((t, id, v)) = typed_tail(&segments) {
            if segments.len() == if v.is_some() { 4 } else { 2 } {
                (parsed.resource_type, parsed.id, parsed.version) = (Some(t), Some(id), v);
                parsed.kind = ReferenceKind::Relative;
            }
        }
    }
    parsed
}

/// Where each resource type names its patient, in order of preference. Types not listed have
/// no patient (Practitioner, Organization, definitional and infrastructure resources).
pub(crate) const PATIENT_PATHS: &[(&str, &[&str])] = &[
    ("Account", &["subject"]),
    ("AdverseEvent", &["subject"]),
    ("AllergyIntolerance", &["patient"]),
    ("Appointment", &["participant.actor"]),
    ("AppointmentResponse", &["actor"]),
    ("AuditEvent", &["entity.what"]),
    ("Basic", &["subject"]),
    ("BodyStructure", &["patient"]),
    ("CarePlan", &["subject"]),
    ("CareTeam", &["subject"]),
    ("ChargeItem", &["subject"]),
    ("Claim", &["patient"]),
    ("ClaimResponse", &["patient"]),
    ("ClinicalImpression", &["subject"]),
    ("Communication", &["subject"]),
    ("CommunicationRequest", &["subject"]),
    ("Composition", &["subject"]),
    ("Condition", &["subject"]),
    ("Consent", &["patient"]),
    ("Contract", &["subject"]),
    ("Coverage", &["beneficiary"]),
    ("CoverageEligibilityRequest", &["patient"]),
    ("CoverageEligibilityResponse", &["patient"]),
    ("DetectedIssue", &["patient"]),
    ("Device", &["patient"]),
    ("DeviceRequest", &["subject"]),
    ("DeviceUseStatement", &["subject"]),
    ("DiagnosticReport", &["subject"]),
    ("DocumentManifest", &["subject"]),
    ("DocumentReference", &["subject"]),
    ("Encounter", &["subject"]),
    ("EnrollmentRequest", &["candidate"]),
    ("EpisodeOfCare", &["patient"]),
    ("ExplanationOfBenefit", &["patient"]),
    ("FamilyMemberHistory", &["patient"]),
    ("Flag", &["subject"]),
    ("Goal", &["subject"]),
    ("ImagingStudy", &["subject"]),
    ("Immunization", &["patient"]),
    ("ImmunizationEvaluation", &["patient"]),
    ("ImmunizationRecommendation", &["patient"]),
    ("Invoice", &["subject"]),
    ("List", &["subject"]),
    ("Media", &["subject"]),
    ("MedicationAdministration", &["subject"]),
    ("MedicationDispense", &["subject"]),
    ("MedicationRequest", &["subject"]),
    ("MedicationStatement", &["subject"]),
    ("MolecularSequence", &["patient"]),
    ("NutritionOrder", &["patient"]),
    ("Observation", &["subject"]),
    ("Procedure", &["subject"]),
    ("Provenance", &["target"]),
    ("QuestionnaireResponse", &["subject"]),
    ("RelatedPerson", &["patient"]),
    ("RequestGroup", &["subject"]),
    ("ResearchSubject", &["individual"]),
    ("RiskAssessment", &["subject"]),
    ("Schedule", &["actor"]),
    ("ServiceRequest", &["subject"]),
    ("Specimen", &["subject"]),
    ("SupplyDelivery", &["patient"]),
    ("Task", &["for"]),
    ("VisionPrescription", &["patient"]),
];

/// The JSON values at a dotted path, descending through arrays. A final segment may carry a
/// filter, `telecom[system=phone]`, keeping only objects whose `system` is `"phone"`.
pub(crate) fn select<'a>(root: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut current = vec![root];
    for segment in path.split('.') {
        let (key, filter) = match segment.split_once('[') {
            Some((key, rest)) => (key, rest.strip_suffix(']').and_then(|f| f.split_once('='))),
            None => (segment, None),
        };
        let mut next = Vec::new();
        for value in current {
            let Some(child) = value.get(key) else {
                continue;
            };
            let items: Vec<&Value> = match child {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            next.extend(items.into_iter().filter(|item| {
                filter.is_none_or(|(k, v)| item.get(k).and_then(Value::as_str) == Some(v))
            }));
        }
        current = next;
    }
    current
}

/// The id of the Patient a resource belongs to: a Patient's own id, otherwise the first
/// `Patient/…` reference among the type's patient elements (`subject`, `patient`,
/// `beneficiary`…). A subject that is a Group, Device or Location gives `None`.
pub fn patient_reference(resource: &Value) -> Option<String> {
    let resource_type = resource.get("resourceType")?.as_str()?;
    if resource_type == "Patient" {
        return resource.get("id")?.as_str().map(str::to_owned);
    }
    let (_, paths) = PATIENT_PATHS.iter().find(|(t, _)| *t == resource_type)?;
    paths
        .iter()
        .flat_map(|path| select(resource, path))
        .find_map(|reference| {
            let parsed = parse_reference(reference.get("reference")?.as_str()?);
            if parsed.resource_type.as_deref() == Some("Patient") {
                parsed.id
            } else {
                None
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn the_r4_forms_are_recognised() {
        let r = parse_reference("Patient/p-1");
        assert_eq!(
            (r.resource_type.as_deref(), r.id.as_deref(), r.kind),
            (Some("Patient"), Some("p-1"), ReferenceKind::Relative)
        );
        let r = parse_reference("Observation/o1/_history/3");
        assert_eq!(r.version.as_deref(), Some("3"));
        let r = parse_reference("https://fhir.nanjing.example/fhir/Patient/42/_history/2");
        assert_eq!(
            (
                r.kind,
                r.resource_type.as_deref(),
                r.id.as_deref(),
                r.version.as_deref()
            ),
            (
                ReferenceKind::Absolute,
                Some("Patient"),
                Some("42"),
                Some("2")
            )
        );
        let r = parse_reference("urn:uuid:9b4bd6d3-4ea7-4c7b-8a45-1c2e1b4a3f10");
        assert_eq!((r.kind, r.id), (ReferenceKind::Urn, None));
        assert_eq!(
            parse_reference("urn:oid:2.16.156.10011.1.1").kind,
            ReferenceKind::Urn
        );
        assert_eq!(parse_reference("#med1").kind, ReferenceKind::Contained);
        assert_eq!(
            parse_reference("#med1").id,
            None,
            "contained ids never match server ids"
        );
        for bad in [
            "Patient",
            "Patient/",
            "Foo/1",
            "Patient/a b",
            "urn:uuid:nope",
            "Patient?identifier=x",
            "Patient/1/2",
            "",
        ] {
            assert_eq!(parse_reference(bad).kind, ReferenceKind::Invalid, "{bad}");
        }
    }

    #[test]
    fn patient_of_a_resource() {
        assert_eq!(
            patient_reference(&json!({"resourceType": "Patient", "id": "zs"})).as_deref(),
            Some("zs")
        );
        let obs = json!({"resourceType": "Observation", "subject": {"reference": "Patient/zs"}});
        assert_eq!(patient_reference(&obs).as_deref(), Some("zs"));
        let group = json!({"resourceType": "Observation", "subject": {"reference": "Group/g"}});
        assert_eq!(patient_reference(&group), None);
        let cov = json!({"resourceType": "Coverage", "beneficiary": {"reference": "Patient/b"}});
        assert_eq!(patient_reference(&cov).as_deref(), Some("b"));
        let consent = json!({"resourceType": "Consent", "patient": {"reference": "Patient/c"}});
        assert_eq!(patient_reference(&consent).as_deref(), Some("c"));
        let audit = json!({"resourceType": "AuditEvent", "entity": [
            {"what": {"reference": "Organization/o"}}, {"what": {"reference": "Patient/a"}}]});
        assert_eq!(patient_reference(&audit).as_deref(), Some("a"));
        assert_eq!(
            patient_reference(&json!({"resourceType": "AuditEvent"})),
            None
        );
        assert_eq!(
            patient_reference(&json!({"resourceType": "Practitioner", "id": "d"})),
            None
        );
    }

    #[test]
    fn select_filters_and_flattens() {
        let p = json!({"telecom": [{"system": "phone", "value": "1"}, {"system": "email", "value": "e"}], "name": [{"given": ["a", "b"]}, {"given": ["c"]}]});
        assert_eq!(select(&p, "telecom[system=email]").len(), 1);
        assert_eq!(select(&p, "name.given").len(), 3);
        assert!(select(&p, "address.city").is_empty());
    }

    proptest! {
        #[test]
        fn relative_references_round_trip(t in proptest::sample::select(crate::ALL_RESOURCE_TYPES), id in "[A-Za-z0-9.-]{1,64}", v in proptest::option::of("[0-9]{1,4}")) {
            let text = match &v { Some(v) => format!("{t}/{id}/_history/{v}"), None => format!("{t}/{id}") };
            let r = parse_reference(&text);
            prop_assert_eq!(r.kind, ReferenceKind::Relative);
            prop_assert_eq!(r.resource_type.as_deref(), Some(t));
            prop_assert_eq!(r.id.as_deref(), Some(id.as_str()));
            prop_assert_eq!(r.version, v);
            prop_assert_eq!(r.url, text);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,60}") {
            let r = parse_reference(&s);
            prop_assert_eq!(&r.url, &s);
            if r.kind == ReferenceKind::Relative {
                prop_assert!(r.resource_type.is_some() && r.id.is_some());
            }
        }
    }
}
