//! A FHIR Patient as the master index sees a person: the facts it matches on.

use kernel::{MobileNumber, ResidentIdNumber, Sex};
use registry::PersonFacts;
use serde_json::Value;

/// Identifier systems that carry the resident identity card number (居民身份证号码): the
/// national health information OID, and the HL7 v2 identifier type `NNCHN` (national person
/// identifier of China) under any system.
pub const RESIDENT_ID_SYSTEMS: &[&str] = &["urn:oid:2.16.156.10011.1.1"];

/// The person facts of a Patient. Values that do not validate (a mistyped ID number) are left
/// out rather than trusted: the master index then matches on what remains.
pub fn facts(patient: &Value) -> PersonFacts {
    PersonFacts {
        id_number: resident_id(patient),
        name: name(patient),
        birth_date: patient
            .get("birthDate")
            .and_then(Value::as_str)
            .and_then(|d| d.parse().ok()),
        sex: match patient.get("gender").and_then(Value::as_str) {
            Some("male") => Some(Sex::Male),
            Some("female") => Some(Sex::Female),
            _ => None,
        },
        mobile: patient
            .get("telecom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|t| t.get("system").and_then(Value::as_str) == Some("phone"))
            .filter_map(|t| t.get("value").and_then(Value::as_str))
            .find_map(|v| MobileNumber::parse(v).ok()),
    }
}

fn resident_id(patient: &Value) -> Option<ResidentIdNumber> {
    patient
        .get("identifier")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|i| {
            let system = i.get("system").and_then(Value::as_str).unwrap_or_default();
            let typed = i
                .pointer("/type/coding")
                .and_then(Value::as_array)
                .is_some_and(|c| {
                    c.iter()
                        .any(|c| c.get("code").and_then(Value::as_str) == Some("NNCHN"))
                });
            RESIDENT_ID_SYSTEMS.contains(&system) || typed
        })
        .filter_map(|i| i.get("value").and_then(Value::as_str))
        .find_map(|v| ResidentIdNumber::parse(v).ok())
}

/// The official (or first) name: its text, or family then given names, joined as Chinese
/// names are written (no space) unless the parts are Latin.
fn name(patient: &Value) -> Option<String> {
    let names = patient.get("name").and_then(Value::as_array)?;
    let chosen = names
        .iter()
        .find(|n| n.get("use").and_then(Value::as_str) == Some("official"))
        .or_else(|| names.first())?;
    if let Some(text) = chosen.get("text").and_then(Value::as_str) {
        return Some(text.to_owned());
    }
    let family = chosen
        .get("family")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let given: Vec<&str> = chosen
        .get("given")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let latin = family.is_ascii() && given.iter().all(|g| g.is_ascii());
    let joined = if latin {
        given
            .iter()
            .copied()
            .chain((!family.is_empty()).then_some(family))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        format!("{family}{}", given.concat())
    };
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_chinese_patient_gives_the_facts_the_index_matches_on() {
        let p = json!({
            "resourceType": "Patient",
            "identifier": [
                { "system": "urn:oid:1.2.3", "value": "MRN-1" },
                { "system": "urn:oid:2.16.156.10011.1.1", "value": "11010519491231002X" }
            ],
            "name": [{ "family": "王", "given": ["芳"] }],
            "gender": "female",
            "birthDate": "1949-12-31",
            "telecom": [{ "system": "email", "value": "x@example.com" }, { "system": "phone", "value": "13912345678" }]
        });
        let f = facts(&p);
        assert_eq!(f.id_number.unwrap().as_str(), "11010519491231002X");
        assert_eq!(f.name.as_deref(), Some("王芳"));
        assert_eq!(f.sex, Some(Sex::Female));
        assert_eq!(f.birth_date.unwrap().to_string(), "1949-12-31");
        assert_eq!(f.mobile.unwrap().as_str(), "13912345678");
    }

    #[test]
    fn invalid_values_are_left_out_and_typed_identifiers_count() {
        let p = json!({
            "resourceType": "Patient",
            "identifier": [{ "type": { "coding": [{ "code": "NNCHN" }] }, "value": "110105194912310021" }],
            "name": [{ "use": "usual", "given": ["Fang"], "family": "Wang" }],
            "gender": "unknown",
            "telecom": [{ "system": "phone", "value": "12345" }]
        });
        let f = facts(&p);
        assert_eq!(f.id_number, None, "wrong check digit");
        assert_eq!(f.name.as_deref(), Some("Fang Wang"));
        assert_eq!((f.sex, f.mobile), (None, None));
        let typed = json!({ "identifier": [{ "type": { "coding": [{ "code": "NNCHN" }] }, "value": "11010519491231002X" }] });
        assert!(facts(&typed).id_number.is_some());
    }
}
