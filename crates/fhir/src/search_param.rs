//! The search parameters each resource type supports (a subset of R4's, see `search_params`).

use crate::reference::PATIENT_PATHS;

/// A search parameter's type (R4 `search-param-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamType {
    Token,
    String,
    Date,
    Reference,
    Quantity,
    Number,
    Uri,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Token => "token",
            ParamType::String => "string",
            ParamType::Date => "date",
            ParamType::Reference => "reference",
            ParamType::Quantity => "quantity",
            ParamType::Number => "number",
            ParamType::Uri => "uri",
        }
    }

    /// Kinds with a natural order; sorting by a reference has no useful meaning.
    pub fn is_sortable(self) -> bool {
        !matches!(self, ParamType::Reference)
    }
}

/// One search parameter. `paths` are dotted JSON paths from the resource root with choice
/// types expanded (`effectiveDateTime`, `effectivePeriod`); a last segment may carry a filter
/// such as `telecom[system=phone]`. `targets` lists the resource types a reference parameter
/// may point to; empty means any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchParam {
    pub name: &'static str,
    pub kind: ParamType,
    pub paths: &'static [&'static str],
    pub targets: &'static [&'static str],
}

const fn p(name: &'static str, kind: ParamType, paths: &'static [&'static str]) -> SearchParam {
    SearchParam {
        name,
        kind,
        paths,
        targets: &[],
    }
}

const fn r(
    name: &'static str,
    paths: &'static [&'static str],
    targets: &'static [&'static str],
) -> SearchParam {
    SearchParam {
        name,
        kind: ParamType::Reference,
        paths,
        targets,
    }
}

use ParamType::{Date, Quantity, String as Str, Token, Uri};

/// Parameters every resource type has.
pub static COMMON: [SearchParam; 4] = [
    p("_id", Token, &["id"]),
    p("_lastUpdated", Date, &["meta.lastUpdated"]),
    p("_tag", Token, &["meta.tag"]),
    p("_profile", Uri, &["meta.profile"]),
];

const PATIENT_ONLY: &[&str] = &["Patient"];
const SUBJECT: &[&str] = &["Patient", "Group"];
const ENCOUNTER: &[&str] = &["Encounter"];
const ORGANIZATION: &[&str] = &["Organization"];
const PERSONS: &[&str] = &[
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Patient",
    "RelatedPerson",
    "Device",
];

static PATIENT: [SearchParam; 17] = [
    p("identifier", Token, &["identifier"]),
    p("name", Str, &["name"]),
    p("family", Str, &["name.family"]),
    p("given", Str, &["name.given"]),
    p("birthdate", Date, &["birthDate"]),
    p("gender", Token, &["gender"]),
    p("telecom", Token, &["telecom"]),
    p("phone", Token, &["telecom[system=phone]"]),
    p("email", Token, &["telecom[system=email]"]),
    p("address", Str, &["address"]),
    p("address-city", Str, &["address.city"]),
    p("address-state", Str, &["address.state"]),
    p("address-postalcode", Str, &["address.postalCode"]),
    p("active", Token, &["active"]),
    r(
        "general-practitioner",
        &["generalPractitioner"],
        &["Organization", "Practitioner", "PractitionerRole"],
    ),
    r("organization", &["managingOrganization"], ORGANIZATION),
    p("death-date", Date, &["deceasedDateTime"]),
];

static PRACTITIONER: [SearchParam; 10] = [
    p("identifier", Token, &["identifier"]),
    p("name", Str, &["name"]),
    p("family", Str, &["name.family"]),
    p("given", Str, &["name.given"]),
    p("telecom", Token, &["telecom"]),
    p("phone", Token, &["telecom[system=phone]"]),
    p("email", Token, &["telecom[system=email]"]),
    p("active", Token, &["active"]),
    p("gender", Token, &["gender"]),
    p("address", Str, &["address"]),
];

static ORGANIZATION_PARAMS: [SearchParam; 6] = [
    p("identifier", Token, &["identifier"]),
    p("name", Str, &["name", "alias"]),
    p("type", Token, &["type"]),
    p("active", Token, &["active"]),
    r("partof", &["partOf"], ORGANIZATION),
    p("address", Str, &["address"]),
];

static ENCOUNTER_PARAMS: [SearchParam; 11] = [
    r("patient", &["subject"], PATIENT_ONLY),
    r("subject", &["subject"], SUBJECT),
    p("status", Token, &["status"]),
    p("class", Token, &["class"]),
    p("type", Token, &["type"]),
    p("date", Date, &["period"]),
    r(
        "participant",
        &["participant.individual"],
        &["Practitioner", "PractitionerRole", "RelatedPerson"],
    ),
    r(
        "practitioner",
        &["participant.individual"],
        &["Practitioner"],
    ),
    r("service-provider", &["serviceProvider"], ORGANIZATION),
    p("identifier", Token, &["identifier"]),
    p("reason-code", Token, &["reasonCode"]),
];

static CONDITION: [SearchParam; 11] = [
    r("patient", &["subject"], PATIENT_ONLY),
    r("subject", &["subject"], SUBJECT),
    p("code", Token, &["code"]),
    p("clinical-status", Token, &["clinicalStatus"]),
    p("verification-status", Token, &["verificationStatus"]),
    p("category", Token, &["category"]),
    p("onset-date", Date, &["onsetDateTime", "onsetPeriod"]),
    p("recorded-date", Date, &["recordedDate"]),
    r("encounter", &["encounter"], ENCOUNTER),
    p("identifier", Token, &["identifier"]),
    p("severity", Token, &["severity"]),
];

static OBSERVATION: [SearchParam; 12] = [
    r("patient", &["subject"], PATIENT_ONLY),
    r(
        "subject",
        &["subject"],
        &["Patient", "Group", "Device", "Location"],
    ),
    p("code", Token, &["code"]),
    p("category", Token, &["category"]),
    p("status", Token, &["status"]),
    p(
        "date",
        Date,
        &["effectiveDateTime", "effectivePeriod", "effectiveInstant"],
    ),
    p("value-quantity", Quantity, &["valueQuantity"]),
    r("encounter", &["encounter"], ENCOUNTER),
    p("identifier", Token, &["identifier"]),
    r(
        "performer",
        &["performer"],
        &[
            "Practitioner",
            "PractitionerRole",
            "Organization",
            "CareTeam",
            "Patient",
            "RelatedPerson",
        ],
    ),
    p("component-code", Token, &["component.code"]),
    p("value-concept", Token, &["valueCodeableConcept"]),
];

static MEDICATION_REQUEST: [SearchParam; 10] = [
    r("patient", &["subject"], PATIENT_ONLY),
    r("subject", &["subject"], SUBJECT),
    p("status", Token, &["status"]),
    p("intent", Token, &["intent"]),
    p("code", Token, &["medicationCodeableConcept"]),
    p("authoredon", Date, &["authoredOn"]),
    r("requester", &["requester"], PERSONS),
    r("encounter", &["encounter"], ENCOUNTER),
    p("identifier", Token, &["identifier"]),
    r("medication", &["medicationReference"], &["Medication"]),
];

static MEDICATION_STATEMENT: [SearchParam; 8] = [
    r("patient", &["subject"], PATIENT_ONLY),
    r("subject", &["subject"], SUBJECT),
    p("status", Token, &["status"]),
    p("code", Token, &["medicationCodeableConcept"]),
    p("effective", Date, &["effectiveDateTime", "effectivePeriod"]),
    p("identifier", Token, &["identifier"]),
    r("medication", &["medicationReference"], &["Medication"]),
    r("context", &["context"], &["Encounter", "EpisodeOfCare"]),
];

static PROCEDURE: [SearchParam; 8] = [
    r("patient", &["subject"], PATIENT_ONLY),
    r("subject", &["subject"], SUBJECT),
    p("status", Token, &["status"]),
    p("code", Token, &["code"]),
    p("date", Date, &["performedDateTime", "performedPeriod"]),
    p("identifier", Token, &["identifier"]),
    r("encounter", &["encounter"], ENCOUNTER),
    r("performer", &["performer.actor"], PERSONS),
];

static CARE_PLAN: [SearchParam; 8] = [
    r("patient", &["subject"], PATIENT_ONLY),
    r("subject", &["subject"], SUBJECT),
    p("status", Token, &["status"]),
    p("intent", Token, &["intent"]),
    p("category", Token, &["category"]),
    p("date", Date, &["period"]),
    p("identifier", Token, &["identifier"]),
    r("encounter", &["encounter"], ENCOUNTER),
];

static CONSENT: [SearchParam; 8] = [
    r("patient", &["patient"], PATIENT_ONLY),
    p("status", Token, &["status"]),
    p("scope", Token, &["scope"]),
    p("category", Token, &["category"]),
    p("date", Date, &["dateTime"]),
    p("identifier", Token, &["identifier"]),
    p("period", Date, &["provision.period"]),
    r("organization", &["organization"], ORGANIZATION),
];

static AUDIT_EVENT: [SearchParam; 10] = [
    p("date", Date, &["recorded"]),
    p("type", Token, &["type"]),
    p("subtype", Token, &["subtype"]),
    r(
        "agent",
        &["agent.who"],
        &[
            "Practitioner",
            "PractitionerRole",
            "Organization",
            "Device",
            "Patient",
            "RelatedPerson",
        ],
    ),
    r("entity", &["entity.what"], &[]),
    r("patient", &["agent.who", "entity.what"], PATIENT_ONLY),
    p("action", Token, &["action"]),
    p("outcome", Token, &["outcome"]),
    r("source", &["source.observer"], &[]),
    p("site", Token, &["source.site"]),
];

/// `patient` for every non-core type with an obvious patient element (same table as
/// `patient_reference`), restricted to Patient targets.
static PATIENT_PARAM_OF_OTHER_TYPES: [(&str, SearchParam); PATIENT_PATHS.len()] = {
    let mut out = [("", r("patient", &[], PATIENT_ONLY)); PATIENT_PATHS.len()];
    let mut i = 0;
    while i < PATIENT_PATHS.len() {
        out[i] = (
            PATIENT_PATHS[i].0,
            r("patient", PATIENT_PATHS[i].1, PATIENT_ONLY),
        );
        i += 1;
    }
    out
};

fn core_params(resource_type: &str) -> Option<&'static [SearchParam]> {
    Some(match resource_type {
        "Patient" => &PATIENT,
        "Practitioner" => &PRACTITIONER,
        "Organization" => &ORGANIZATION_PARAMS,
        "Encounter" => &ENCOUNTER_PARAMS,
        "Condition" => &CONDITION,
        "Observation" => &OBSERVATION,
        "MedicationRequest" => &MEDICATION_REQUEST,
        "MedicationStatement" => &MEDICATION_STATEMENT,
        "Procedure" => &PROCEDURE,
        "CarePlan" => &CARE_PLAN,
        "Consent" => &CONSENT,
        "AuditEvent" => &AUDIT_EVENT,
        _ => return None,
    })
}

/// The parameters `resource_type` supports: the common `_id`, `_lastUpdated`, `_tag`,
/// `_profile`, then the type's own (core types) or just `patient` (other clinical types).
/// Unknown types get an empty list.
pub fn search_params(resource_type: &str) -> Vec<&'static SearchParam> {
    if !crate::is_resource_type(resource_type) {
        return Vec::new();
    }
    let mut params: Vec<&'static SearchParam> = COMMON.iter().collect();
    match core_params(resource_type) {
        Some(own) => params.extend(own.iter()),
        None => params.extend(
            PATIENT_PARAM_OF_OTHER_TYPES
                .iter()
                .filter(|(t, _)| *t == resource_type)
                .map(|(_, param)| param),
        ),
    }
    params
}

/// The parameter `name` of `resource_type`, if supported.
pub fn search_param(resource_type: &str, name: &str) -> Option<&'static SearchParam> {
    search_params(resource_type)
        .into_iter()
        .find(|param| param.name == name)
}

/// A reference parameter that is another parameter of the same type narrowed to one target
/// type, as R4 defines `Observation.patient`: `Observation.subject.where(resolve() is
/// Patient)`. Its values are the wider parameter's values of that type, so a store keeps them
/// once, as the wider parameter's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Narrowed {
    /// The wider parameter, with the same paths.
    pub wider: &'static str,
    /// The one type the narrowed parameter points to.
    pub target_type: &'static str,
}

/// Whether `name` on `resource_type` narrows another of its reference parameters (see
/// [`Narrowed`]).
pub fn narrowed(resource_type: &str, name: &str) -> Option<Narrowed> {
    let params = search_params(resource_type);
    let param = params.iter().find(|p| p.name == name)?;
    let [target_type] = param.targets else {
        return None;
    };
    if param.kind != ParamType::Reference {
        return None;
    }
    params
        .iter()
        .find(|q| {
            q.name != name
                && q.kind == ParamType::Reference
                && q.paths == param.paths
                && (q.targets.is_empty() || q.targets.contains(target_type))
        })
        .map(|wider| Narrowed {
            wider: wider.name,
            target_type,
        })
}

/// The parameters of `resource_type` that narrow another (see [`narrowed`]); computed once.
pub fn narrowed_params(resource_type: &str) -> &'static [&'static str] {
    static BY_TYPE: std::sync::OnceLock<
        std::collections::HashMap<&'static str, Vec<&'static str>>,
    > = std::sync::OnceLock::new();
    BY_TYPE
        .get_or_init(|| {
            crate::ALL_RESOURCE_TYPES
                .iter()
                .map(|&t| {
                    let names = search_params(t)
                        .into_iter()
                        .filter(|p| narrowed(t, p.name).is_some())
                        .map(|p| p.name)
                        .collect();
                    (t, names)
                })
                .collect()
        })
        .get(resource_type)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_narrows_subject_where_both_read_the_same_element() {
        for resource_type in [
            "Encounter",
            "Condition",
            "Observation",
            "MedicationRequest",
            "MedicationStatement",
            "Procedure",
            "CarePlan",
        ] {
            assert_eq!(
                narrowed(resource_type, "patient"),
                Some(Narrowed {
                    wider: "subject",
                    target_type: "Patient"
                }),
                "{resource_type}"
            );
            assert_eq!(narrowed(resource_type, "subject"), None, "{resource_type}");
        }
        // Consent.patient reads its own element; AuditEvent.patient two elements no other
        // parameter reads together; a type without `subject` keeps its `patient`.
        assert_eq!(narrowed("Consent", "patient"), None);
        assert_eq!(narrowed("AuditEvent", "patient"), None);
        assert_eq!(narrowed("AllergyIntolerance", "patient"), None);
        assert_eq!(narrowed("Observation", "code"), None);
        assert_eq!(narrowed("Observation", "no-such-parameter"), None);
        assert_eq!(narrowed_params("Observation"), ["patient"]);
        assert!(narrowed_params("Consent").is_empty());
        assert!(narrowed_params("NoSuchType").is_empty());
    }
    use crate::CoreType;

    #[test]
    fn every_core_type_has_the_required_params() {
        let required: &[(&str, &[&str])] = &[
            (
                "Patient",
                &[
                    "identifier",
                    "name",
                    "family",
                    "given",
                    "birthdate",
                    "gender",
                    "telecom",
                    "phone",
                    "email",
                    "address",
                    "active",
                    "general-practitioner",
                    "organization",
                ],
            ),
            (
                "Practitioner",
                &["identifier", "name", "family", "given", "telecom", "active"],
            ),
            (
                "Organization",
                &["identifier", "name", "type", "active", "partof"],
            ),
            (
                "Encounter",
                &[
                    "patient",
                    "subject",
                    "status",
                    "class",
                    "type",
                    "date",
                    "participant",
                    "service-provider",
                    "identifier",
                ],
            ),
            (
                "Condition",
                &[
                    "patient",
                    "subject",
                    "code",
                    "clinical-status",
                    "verification-status",
                    "category",
                    "onset-date",
                    "recorded-date",
                    "encounter",
                    "identifier",
                ],
            ),
            (
                "Observation",
                &[
                    "patient",
                    "subject",
                    "code",
                    "category",
                    "status",
                    "date",
                    "value-quantity",
                    "encounter",
                    "identifier",
                    "performer",
                ],
            ),
            (
                "MedicationRequest",
                &[
                    "patient",
                    "subject",
                    "status",
                    "intent",
                    "code",
                    "authoredon",
                    "requester",
                    "encounter",
                    "identifier",
                ],
            ),
            (
                "MedicationStatement",
                &[
                    "patient",
                    "subject",
                    "status",
                    "code",
                    "effective",
                    "identifier",
                ],
            ),
            (
                "Procedure",
                &["patient", "subject", "status", "code", "date", "identifier"],
            ),
            (
                "CarePlan",
                &[
                    "patient",
                    "subject",
                    "status",
                    "intent",
                    "category",
                    "date",
                    "identifier",
                ],
            ),
            (
                "Consent",
                &[
                    "patient",
                    "status",
                    "scope",
                    "category",
                    "date",
                    "identifier",
                ],
            ),
            (
                "AuditEvent",
                &[
                    "date", "type", "subtype", "agent", "entity", "patient", "action", "outcome",
                ],
            ),
        ];
        for (t, names) in required {
            for name in ["_id", "_lastUpdated"].iter().chain(names.iter()) {
                assert!(search_param(t, name).is_some(), "{t} lacks {name}");
            }
            let all = search_params(t);
            let mut unique: Vec<_> = all.iter().map(|p| p.name).collect();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), all.len(), "{t} has duplicate parameter names");
        }
        assert_eq!(CoreType::ALL.len(), required.len());
    }

    #[test]
    fn patient_params_only_target_patients() {
        for t in crate::ALL_RESOURCE_TYPES {
            if let Some(param) = search_param(t, "patient") {
                assert_eq!(param.targets, &["Patient"], "{t}");
                assert!(!param.paths.is_empty(), "{t}");
            }
        }
        assert!(search_param("Immunization", "patient").is_some());
        assert!(search_param("DiagnosticReport", "patient").is_some());
        assert!(search_param("ValueSet", "patient").is_none());
        assert!(search_params("NoSuchType").is_empty());
    }
}
