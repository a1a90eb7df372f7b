//! The server's CapabilityStatement, derived from the same tables the server runs on.

use serde_json::{Value, json};

use crate::resource_type::{ALL_RESOURCE_TYPES, CoreType};
use crate::search_param::{ParamType, search_params};

pub struct ServerInfo {
    pub base_url: String,
    pub software: String,
    pub version: String,
    /// FHIR dateTime of this release.
    pub date: String,
}

fn interactions(codes: &[&str]) -> Value {
    codes.iter().map(|c| json!({"code": c})).collect()
}

fn resource_entry(resource_type: &str) -> Value {
    let core = CoreType::parse(resource_type);
    let params: Vec<Value> = search_params(resource_type)
        .into_iter()
        .map(|p| {
            let paths: Vec<String> = p
                .paths
                .iter()
                .map(|path| format!("{resource_type}.{path}"))
                .collect();
            let mut doc = format!("{} search on {}", p.kind.as_str(), paths.join(" | "));
            if !p.targets.is_empty() {
                doc.push_str(&format!(" (refers to {})", p.targets.join(" | ")));
            }
            if p.kind == ParamType::Date {
                doc.push_str("; values without a time zone are read as UTC+8");
            }
            json!({"name": p.name, "type": p.kind.as_str(), "documentation": doc})
        })
        .collect();
    let mut entry = json!({
        "type": resource_type,
        "profile": format!("http://hl7.org/fhir/StructureDefinition/{resource_type}"),
        "versioning": "versioned",
        "readHistory": true,
        "searchParam": params,
    });
    match core {
        Some(CoreType::AuditEvent) => {
            // The audit trail is written by the server itself and never changed through the API.
            entry["interaction"] = interactions(&["read", "vread", "search-type"]);
        }
        Some(_) => {
            entry["interaction"] = interactions(&[
                "read",
                "vread",
                "update",
                "delete",
                "history-instance",
                "history-type",
                "create",
                "search-type",
            ]);
            entry["conditionalCreate"] = json!(true);
            entry["updateCreate"] = json!(true);
        }
        None => {
            entry["interaction"] = interactions(&[
                "read",
                "vread",
                "create",
                "update",
                "delete",
                "history-instance",
                "history-type",
                "search-type",
            ]);
        }
    }
    let includes: Vec<String> = search_params(resource_type)
        .into_iter()
        .filter(|p| p.kind == ParamType::Reference)
        .map(|p| format!("{resource_type}:{}", p.name))
        .collect();
    if !includes.is_empty() {
        entry["searchInclude"] = json!(includes);
    }
    match resource_type {
        "Patient" => {
            entry["operation"] = json!([
                {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
                {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"}
            ]);
        }
        "Group" => {
            entry["operation"] = json!([{"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"}]);
        }
        _ => {}
    }
    entry
}

/// A CapabilityStatement (kind `instance`) listing every R4 resource type.
pub fn capability_statement(info: &ServerInfo) -> Value {
    let resources: Vec<Value> = ALL_RESOURCE_TYPES
        .iter()
        .map(|t| resource_entry(t))
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": info.date,
        "publisher": "lifehealth",
        "kind": "instance",
        "software": {"name": info.software, "version": info.version},
        "implementation": {"description": format!("{} FHIR R4 API", info.software), "url": info.base_url},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": false,
                "description": "Send an API token as 'Authorization: Bearer lht_…' (tokens are created per account). SMART on FHIR and OAuth are not supported; what a token may read follows its user's role and data scope."
            },
            "resource": resources,
            "interaction": interactions(&["transaction", "batch", "history-system"]),
            "operation": [{"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}]
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement() -> Value {
        capability_statement(&ServerInfo {
            base_url: "https://fhir.nanjing.example/fhir".into(),
            software: "lifehealth".into(),
            version: "0.1.0".into(),
            date: "2026-01-01".into(),
        })
    }

    fn resource<'a>(cs: &'a Value, t: &str) -> &'a Value {
        cs["rest"][0]["resource"]
            .as_array()
            .and_then(|r| r.iter().find(|e| e["type"] == t))
            .expect("listed")
    }

    fn codes(entry: &Value) -> Vec<&str> {
        entry["interaction"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["code"].as_str()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn lists_every_type_and_every_core_search_param() {
        let cs = statement();
        assert_eq!(cs["fhirVersion"], "4.0.1");
        assert_eq!(
            cs["rest"][0]["resource"].as_array().map(Vec::len),
            Some(ALL_RESOURCE_TYPES.len())
        );
        for t in ALL_RESOURCE_TYPES {
            let entry = resource(&cs, t);
            for p in search_params(t) {
                let listed = entry["searchParam"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|sp| sp["name"] == p.name && sp["type"] == p.kind.as_str())
                });
                assert!(listed, "{t} {}", p.name);
            }
        }
        assert!(codes(resource(&cs, "Patient")).contains(&"delete"));
        assert_eq!(resource(&cs, "Patient")["conditionalCreate"], true);
        assert!(!codes(resource(&cs, "AuditEvent")).contains(&"delete"));
        assert!(!codes(resource(&cs, "AuditEvent")).contains(&"update"));
        assert_eq!(
            resource(&cs, "Patient")["operation"][0]["name"],
            "everything"
        );
        assert_eq!(
            codes(&cs["rest"][0]),
            vec!["transaction", "batch", "history-system"]
        );
        assert_eq!(
            crate::validate(&cs),
            Ok(()),
            "the statement passes our own generic rules"
        );
    }
}
