//! Checks beyond the R4 schema that a clinical record can be true: a measurement the disease
//! templates know must be in a unit they accept and within the physiologically possible range
//! (a blood pressure of 900 is an entry error, not a crisis), and clinical events cannot have
//! happened in the future.

use diseases::{Catalogue, Element, ValueError};
use fhir::{Issue, IssueCode};
use serde_json::Value;

/// How far ahead of the server's clock a timestamp may be (clock skew of the sender).
pub const FUTURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// The clinical event times of each type that cannot lie in the future.
const EVENT_TIMES: &[(&str, &[&str])] = &[
    ("Patient", &["birthDate"]),
    (
        "Observation",
        &[
            "effectiveDateTime",
            "effectivePeriod.start",
            "effectiveInstant",
            "issued",
        ],
    ),
    (
        "Condition",
        &["onsetDateTime", "onsetPeriod.start", "recordedDate"],
    ),
    ("Encounter", &["period.start"]),
    ("Procedure", &["performedDateTime", "performedPeriod.start"]),
    (
        "MedicationStatement",
        &["effectiveDateTime", "effectivePeriod.start", "dateAsserted"],
    ),
    ("MedicationRequest", &["authoredOn"]),
];

/// The problems of `resource`, located by FHIRPath.
pub fn problems(resource: &Value, catalogue: &Catalogue, now_ms: i64) -> Vec<Issue> {
    let resource_type = resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut issues = Vec::new();
    if let Some((_, paths)) = EVENT_TIMES.iter().find(|(t, _)| *t == resource_type) {
        for path in *paths {
            let value = path
                .split('.')
                .try_fold(resource, |v, key| v.get(key))
                .and_then(Value::as_str);
            if let Some(text) = value {
                if let Ok((low, _)) = fhir::date_range(text) {
                    if low > now_ms + FUTURE_TOLERANCE_MS {
                        issues.push(Issue::error(
                            IssueCode::Value,
                            format!("{resource_type}.{path}"),
                            format!("`{text}` is in the future; a record states what has happened"),
                        ));
                    }
                }
            }
        }
    }
    if resource_type == "Observation" {
        check_quantity(resource, catalogue, "Observation", &mut issues);
        for (n, component) in resource
            .get("component")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            check_quantity(
                component,
                catalogue,
                &format!("Observation.component[{n}]"),
                &mut issues,
            );
        }
    }
    issues
}

/// The element of the templates measured by a LOINC code.
fn element_for<'a>(catalogue: &'a Catalogue, loinc: &str) -> Option<&'a Element> {
    catalogue.dictionary().iter().find(|e| e.has_loinc(loinc))
}

/// Checks `valueQuantity` of an Observation (or component) against its element.
fn check_quantity(node: &Value, catalogue: &Catalogue, at: &str, issues: &mut Vec<Issue>) {
    let Some(quantity) = node.get("valueQuantity") else {
        return;
    };
    let Some(value) = quantity.get("value").and_then(Value::as_f64) else {
        return;
    };
    let element = node
        .pointer("/code/coding")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| c.get("system").and_then(Value::as_str) == Some("http://loinc.org"))
        .filter_map(|c| c.get("code").and_then(Value::as_str))
        .find_map(|code| element_for(catalogue, code));
    let Some(element) = element else {
        return;
    };
    // UCUM code first (what machines read), else the human unit.
    let unit = quantity
        .get("code")
        .or_else(|| quantity.get("unit"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match element.validate(value, unit) {
        Ok(_) => {}
        Err(ValueError::UnknownUnit { allowed, .. }) => issues.push(Issue::error(
            IssueCode::Value,
            format!("{at}.valueQuantity.code"),
            format!(
                "`{unit}` is not a unit of {} ({}); use one of {}",
                element.name_en,
                element.name_zh,
                allowed.join(", ")
            ),
        )),
        Err(e) => issues.push(Issue::error(
            IssueCode::Value,
            format!("{at}.valueQuantity.value"),
            format!("{e}; check the value and its unit"),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bp(value: f64, code: &str) -> Value {
        json!({
            "resourceType": "Observation",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "8480-6" }] },
            "effectiveDateTime": "2025-01-01",
            "valueQuantity": { "value": value, "unit": code, "system": "http://unitsofmeasure.org", "code": code }
        })
    }

    #[test]
    fn impossible_measurements_and_future_events_are_named() {
        let catalogue = Catalogue::builtin().unwrap();
        let now = 1_764_000_000_000; // 2025-11-24
        assert!(problems(&bp(132.0, "mm[Hg]"), catalogue, now).is_empty());
        assert!(
            problems(&bp(17.6, "kPa"), catalogue, now).is_empty(),
            "kPa is accepted"
        );
        let high = problems(&bp(900.0, "mm[Hg]"), catalogue, now);
        assert_eq!(high[0].expression, "Observation.valueQuantity.value");
        let unit = problems(&bp(132.0, "kg"), catalogue, now);
        assert_eq!(unit[0].expression, "Observation.valueQuantity.code");
        assert!(
            unit[0].diagnostics.contains("mm[Hg]"),
            "{}",
            unit[0].diagnostics
        );
        let mut future = bp(132.0, "mm[Hg]");
        future["effectiveDateTime"] = json!("2099-01-01T08:00:00+08:00");
        assert_eq!(
            problems(&future, catalogue, now)[0].expression,
            "Observation.effectiveDateTime"
        );
        let panel = json!({
            "resourceType": "Observation",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "85354-9" }] },
            "component": [
                { "code": { "coding": [{ "system": "http://loinc.org", "code": "8480-6" }] }, "valueQuantity": { "value": 130, "code": "mm[Hg]" } },
                { "code": { "coding": [{ "system": "http://loinc.org", "code": "8462-4" }] }, "valueQuantity": { "value": 0.5, "code": "mm[Hg]" } }
            ]
        });
        assert_eq!(
            problems(&panel, catalogue, now)[0].expression,
            "Observation.component[1].valueQuantity.value"
        );
        let unknown = json!({ "resourceType": "Observation", "code": { "coding": [{ "system": "http://loinc.org", "code": "99999-9" }] }, "valueQuantity": { "value": 1e9 } });
        assert!(
            problems(&unknown, catalogue, now).is_empty(),
            "unknown measures pass"
        );
        let born = json!({ "resourceType": "Patient", "birthDate": "2100-01-01" });
        assert_eq!(
            problems(&born, catalogue, now)[0].expression,
            "Patient.birthDate"
        );
    }
}
