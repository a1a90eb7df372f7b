//! The values a store writes to its search index, one entry per (parameter, value).

use serde_json::Value;

use crate::primitive::date_range;
use crate::reference::{parse_reference, select};
use crate::search_param::{ParamType, SearchParam, search_params};

#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    pub param: &'static str,
    pub value: IndexValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IndexValue {
    Token {
        system: Option<String>,
        code: String,
    },
    /// `normalized` is what string search compares (see [`normalize`]); `exact` serves `:exact`.
    String {
        normalized: String,
        exact: String,
    },
    /// `[low, high)` in Unix ms; an open Period end is `i64::MIN` / `i64::MAX`.
    Date {
        low: i64,
        high: i64,
    },
    Reference {
        target_type: Option<String>,
        id: Option<String>,
        version: Option<String>,
        url: String,
    },
    Quantity {
        value: f64,
        system: Option<String>,
        code: Option<String>,
        unit: Option<String>,
    },
    Number(f64),
    Uri(String),
}

/// Folds text the way string search compares it: lower case, Latin accents removed,
/// full-width ASCII (common in Chinese input methods) made half-width, and runs of
/// whitespace (including the ideographic space) collapsed to one space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        let c = match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        for lower in c.to_lowercase() {
            out.push(fold_accent(lower));
        }
    }
    out
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ǎ' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ǐ' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ǒ' => 'o',
        'ř' => 'r',
        'ś' | 'š' => 's',
        'ť' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ǔ' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    }
}

const CONTACT_SYSTEMS: &[&str] = &["phone", "fax", "email", "pager", "url", "sms", "other"];

fn text_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn tokens(value: &Value, out: &mut Vec<IndexValue>) {
    match value {
        Value::String(s) if !s.is_empty() => out.push(IndexValue::Token {
            system: None,
            code: s.clone(),
        }),
        Value::Bool(b) => out.push(IndexValue::Token {
            system: None,
            code: b.to_string(),
        }),
        Value::Object(obj) => {
            if let Some(Value::Array(codings)) = obj.get("coding") {
                // CodeableConcept: one token per coding.
                codings.iter().for_each(|c| tokens(c, out));
            } else if let Some(code) = text_of(value, "code") {
                out.push(IndexValue::Token {
                    system: text_of(value, "system"),
                    code,
                });
            } else if let Some(code) = text_of(value, "value") {
                // Identifier (system|value) or ContactPoint, whose system is a kind, not a namespace.
                let system =
                    text_of(value, "system").filter(|s| !CONTACT_SYSTEMS.contains(&s.as_str()));
                out.push(IndexValue::Token { system, code });
            }
        }
        _ => {}
    }
}

const STRING_PARTS: &[&str] = &[
    "text",
    "family",
    "given",
    "prefix",
    "suffix",
    "line",
    "city",
    "district",
    "state",
    "postalCode",
    "country",
];

fn strings(value: &Value, out: &mut Vec<IndexValue>) {
    match value {
        Value::String(s) if !s.trim().is_empty() => out.push(IndexValue::String {
            normalized: normalize(s),
            exact: s.clone(),
        }),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(obj) => {
            // HumanName and Address: every textual part is searchable on its own.
            for key in STRING_PARTS {
                if let Some(part) = obj.get(*key) {
                    strings(part, out);
                }
            }
        }
        _ => {}
    }
}

fn dates(value: &Value, out: &mut Vec<IndexValue>) {
    match value {
        Value::String(s) => {
            if let Ok((low, high)) = date_range(s) {
                out.push(IndexValue::Date { low, high });
            }
        }
        Value::Object(obj) => {
            let bound = |key: &str| {
                obj.get(key)
                    .and_then(Value::as_str)
                    .and_then(|s| date_range(s).ok())
            };
            let (start, end) = (bound("start"), bound("end"));
            if start.is_some() || end.is_some() {
                out.push(IndexValue::Date {
                    low: start.map_or(i64::MIN, |r| r.0),
                    high: end.map_or(i64::MAX, |r| r.1),
                });
            }
        }
        _ => {}
    }
}

fn references(param: &SearchParam, value: &Value, out: &mut Vec<IndexValue>) {
    let Some(text) = value
        .get("reference")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return;
    };
    let parsed = parse_reference(text);
    let target_type = parsed
        .resource_type
        .or_else(|| text_of(value, "type").filter(|_| parsed.id.is_some()));
    let allowed = match (&target_type, param.targets) {
        (_, []) => true,
        (Some(t), targets) => targets.contains(&t.as_str()),
        // A single-target parameter (e.g. `patient`) only indexes what it can vouch for.
        (None, targets) => targets.len() > 1,
    };
    if allowed {
        out.push(IndexValue::Reference {
            target_type,
            id: parsed.id,
            version: parsed.version,
            url: parsed.url,
        });
    }
}

fn quantities(value: &Value, out: &mut Vec<IndexValue>) {
    if let Some(v) = value.get("value").and_then(Value::as_f64) {
        out.push(IndexValue::Quantity {
            value: v,
            system: text_of(value, "system"),
            code: text_of(value, "code"),
            unit: text_of(value, "unit"),
        });
    }
}

/// The values of one parameter in a resource.
pub fn param_values(param: &SearchParam, resource: &Value) -> Vec<IndexValue> {
    let mut out = Vec::new();
    for path in param.paths {
        for value in select(resource, path) {
            match param.kind {
                ParamType::Token => tokens(value, &mut out),
                ParamType::String => strings(value, &mut out),
                ParamType::Date => dates(value, &mut out),
                ParamType::Reference => references(param, value, &mut out),
                ParamType::Quantity => quantities(value, &mut out),
                ParamType::Number => out.extend(value.as_f64().map(IndexValue::Number)),
                ParamType::Uri => out.extend(value.as_str().map(|s| IndexValue::Uri(s.to_owned()))),
            }
        }
    }
    out
}

/// Every index entry of a resource, for every parameter its type supports.
pub fn index_entries(resource: &Value) -> Vec<IndexEntry> {
    let Some(resource_type) = resource.get("resourceType").and_then(Value::as_str) else {
        return Vec::new();
    };
    search_params(resource_type)
        .into_iter()
        .flat_map(|param| {
            param_values(param, resource)
                .into_iter()
                .map(|value| IndexEntry {
                    param: param.name,
                    value,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(entries: &[IndexEntry], param: &str) -> Vec<IndexValue> {
        entries
            .iter()
            .filter(|e| e.param == param)
            .map(|e| e.value.clone())
            .collect()
    }

    fn token(system: Option<&str>, code: &str) -> IndexValue {
        IndexValue::Token {
            system: system.map(str::to_owned),
            code: code.to_owned(),
        }
    }

    #[test]
    fn patient_entries() {
        let p = json!({
            "resourceType": "Patient", "id": "zs",
            "meta": {"lastUpdated": "2024-05-01T09:30:00Z"},
            "identifier": [{"system": "urn:oid:2.16.156.10011.1.1", "value": "320102198001010015"}],
            "active": true,
            "name": [{"text": "张三", "family": "张", "given": ["三"]}, {"family": "Zhāng", "given": ["San  Feng"]}],
            "telecom": [{"system": "phone", "value": "13800000000"}, {"system": "email", "value": "zs@example.cn"}],
            "gender": "male",
            "birthDate": "1980-01-01",
            "address": [{"line": ["中山路 1 号"], "city": "南京市", "postalCode": "210008"}],
            "generalPractitioner": [{"reference": "Practitioner/li"}]
        });
        let e = index_entries(&p);
        assert_eq!(values(&e, "_id"), vec![token(None, "zs")]);
        assert_eq!(
            values(&e, "identifier"),
            vec![token(
                Some("urn:oid:2.16.156.10011.1.1"),
                "320102198001010015"
            )]
        );
        assert_eq!(values(&e, "active"), vec![token(None, "true")]);
        assert_eq!(values(&e, "gender"), vec![token(None, "male")]);
        assert_eq!(values(&e, "phone"), vec![token(None, "13800000000")]);
        assert_eq!(values(&e, "email"), vec![token(None, "zs@example.cn")]);
        assert_eq!(values(&e, "telecom").len(), 2);
        let names: Vec<String> = values(&e, "name")
            .into_iter()
            .filter_map(|v| {
                if let IndexValue::String { normalized, .. } = v {
                    Some(normalized)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(names, vec!["张三", "张", "三", "zhang", "san feng"]);
        assert_eq!(values(&e, "family").len(), 2);
        assert_eq!(values(&e, "given").len(), 2);
        assert_eq!(values(&e, "address").len(), 3);
        // 1980-01-01T00:00Z is 315_532_800_000; the local day starts 8 hours earlier.
        let day_start = 315_532_800_000 - 28_800_000;
        assert_eq!(
            values(&e, "birthdate"),
            vec![IndexValue::Date {
                low: day_start,
                high: day_start + 86_400_000
            }]
        );
        assert_eq!(values(&e, "_lastUpdated").len(), 1);
        assert!(
            matches!(&values(&e, "general-practitioner")[0], IndexValue::Reference { target_type: Some(t), id: Some(id), .. } if t == "Practitioner" && id == "li")
        );
    }

    #[test]
    fn observation_entries() {
        let o = json!({
            "resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}, {"system": "urn:oid:2.16.156.10011.2.3.2", "code": "bp-sys"}]},
            "subject": {"reference": "Patient/zs"},
            "effectivePeriod": {"start": "2024-05-01"},
            "valueQuantity": {"value": 135, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
        });
        let e = index_entries(&o);
        assert_eq!(values(&e, "code").len(), 2);
        assert_eq!(values(&e, "status"), vec![token(None, "final")]);
        assert_eq!(values(&e, "patient").len(), 1);
        assert_eq!(values(&e, "subject").len(), 1);
        let Some(IndexValue::Date { high, .. }) = values(&e, "date").first().cloned() else {
            panic!("no date")
        };
        assert_eq!(high, i64::MAX, "open-ended period");
        assert!(
            matches!(values(&e, "value-quantity").first(), Some(IndexValue::Quantity { value, .. }) if (*value - 135.0).abs() < f64::EPSILON)
        );
        let group = json!({"resourceType": "Observation", "subject": {"reference": "Group/g1"}});
        let e = index_entries(&group);
        assert!(values(&e, "patient").is_empty(), "a Group is not a patient");
        assert_eq!(values(&e, "subject").len(), 1);
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize("  José\u{3000}ＭＡＲＩＡ  "), "jose maria");
        assert_eq!(normalize("张 三"), "张 三");
    }
}
