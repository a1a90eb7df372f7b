//! Between the FHIR layer's terms and the record store's: index values to index rows, and a
//! parsed search to a store query. The only place that knows both vocabularies.

use fhir::{IndexValue, Modifier, Prefix, SearchRequest, SearchValue};
use records::{Comparator, Condition, IndexRow, Query, SortKey, Visibility};

use crate::{ClinicalError, Result};

/// The store's qualified parameter name: `Observation.code`.
pub fn qualified(resource_type: &str, param: &str) -> String {
    format!("{resource_type}.{param}")
}

/// The store condition for the reference parameter `name` of `resource_type` pointing at
/// `target_id` (of `target_type`, when the search says). A narrowed parameter is looked up as
/// its wider one restricted to its type; asked for another type, it finds nothing, as R4 says.
pub fn reference_condition(
    resource_type: &str,
    name: &str,
    target_type: Option<String>,
    target_id: String,
) -> Condition {
    match fhir::narrowed(resource_type, name) {
        Some(n) if target_type.as_deref().is_none_or(|t| t == n.target_type) => {
            Condition::Reference {
                param: qualified(resource_type, n.wider),
                target_type: Some(n.target_type.to_owned()),
                target_id,
            }
        }
        _ => Condition::Reference {
            param: qualified(resource_type, name),
            target_type,
            target_id,
        },
    }
}

/// The index rows of a resource. `_id` and `_lastUpdated` are columns of the resource row
/// (the other common parameters, `_tag` and `_profile`, are indexed like any other),
/// and a reference without a resource id (a logical or absolute URL) finds nothing by id.
pub fn index_rows(resource_type: &str, resource: &serde_json::Value) -> Vec<IndexRow> {
    // A narrowed reference (`Observation.patient`) is its wider parameter's row of that type:
    // stored once, searched through `reference_condition`.
    let narrowed = fhir::narrowed_params(resource_type);
    fhir::index_entries(resource)
        .into_iter()
        .filter(|e| !matches!(e.param, "_id" | "_lastUpdated") && !narrowed.contains(&e.param))
        .filter_map(|e| {
            let value = match e.value {
                IndexValue::Token { system, code } => records::IndexValue::Token { system, code },
                IndexValue::String { normalized, .. } => records::IndexValue::String(normalized),
                IndexValue::Date { low, high } => records::IndexValue::Date { low, high },
                IndexValue::Reference {
                    target_type,
                    id: Some(id),
                    ..
                } => records::IndexValue::Reference {
                    target_type,
                    target_id: id,
                },
                IndexValue::Reference { id: None, .. } => return None,
                IndexValue::Quantity {
                    value,
                    system,
                    code,
                    ..
                } => records::IndexValue::Quantity {
                    system,
                    code,
                    value,
                },
                IndexValue::Number(value) => records::IndexValue::Quantity {
                    system: None,
                    code: None,
                    value,
                },
                IndexValue::Uri(uri) => records::IndexValue::Token {
                    system: None,
                    code: uri,
                },
            };
            Some(IndexRow {
                param: qualified(resource_type, e.param),
                value,
            })
        })
        .collect()
}

fn comparator(prefix: Prefix) -> Comparator {
    match prefix {
        Prefix::Eq => Comparator::Eq,
        Prefix::Ne => Comparator::Ne,
        Prefix::Gt => Comparator::Gt,
        Prefix::Lt => Comparator::Lt,
        Prefix::Ge => Comparator::Ge,
        Prefix::Le => Comparator::Le,
        Prefix::Sa => Comparator::Sa,
        Prefix::Eb => Comparator::Eb,
        Prefix::Ap => Comparator::Ap,
    }
}

fn unsupported(param: &str, what: &str) -> ClinicalError {
    ClinicalError::UnsupportedSearch(format!(
        "search parameter `{param}`: {what} is not supported by this server"
    ))
}

/// The store query for a parsed search, restricted to `visibility`.
pub fn query(request: &SearchRequest, visibility: Visibility) -> Result<Query> {
    let resource_type = request.resource_type.as_str();
    let mut all_of = Vec::with_capacity(request.clauses.len());
    for clause in &request.clauses {
        let name = clause.param.name;
        match &clause.modifier {
            None | Some(Modifier::Exact | Modifier::Contains | Modifier::Type(_)) => {}
            Some(other) => return Err(unsupported(name, &format!("modifier {other:?}"))),
        }
        let param = qualified(resource_type, name);
        let mut group = Vec::with_capacity(clause.values.len());
        for value in &clause.values {
            group.push(match value {
                SearchValue::Token { system, code } if name == "_id" => match code {
                    Some(id) if system.is_none() => Condition::Id(id.clone()),
                    _ => return Err(unsupported(name, "a system on _id")),
                },
                SearchValue::Date { prefix, low, high } if name == "_lastUpdated" => {
                    Condition::LastUpdated {
                        cmp: comparator(*prefix),
                        low: *low,
                        high: *high,
                    }
                }
                SearchValue::Token { system, code } => Condition::Token {
                    param: param.clone(),
                    system: system.clone(),
                    code: code.clone(),
                },
                SearchValue::String(text) => Condition::String {
                    param: param.clone(),
                    value: fhir::normalize(text),
                    exact: clause.modifier == Some(Modifier::Exact),
                    contains: clause.modifier == Some(Modifier::Contains),
                },
                SearchValue::Date { prefix, low, high } => Condition::Date {
                    param: param.clone(),
                    cmp: comparator(*prefix),
                    low: *low,
                    high: *high,
                },
                SearchValue::Reference {
                    resource_type: target,
                    id,
                } => {
                    let target_type = match &clause.modifier {
                        Some(Modifier::Type(t)) => Some(t.clone()),
                        _ => target.clone(),
                    };
                    reference_condition(resource_type, name, target_type, id.clone())
                }
                SearchValue::Quantity {
                    prefix,
                    value,
                    system,
                    code,
                } => Condition::Quantity {
                    param: param.clone(),
                    cmp: comparator(*prefix),
                    value: *value,
                    system: system.clone(),
                    code: code.clone(),
                },
                SearchValue::Number { prefix, value } => Condition::Quantity {
                    param: param.clone(),
                    cmp: comparator(*prefix),
                    value: *value,
                    system: None,
                    code: None,
                },
                SearchValue::Uri(uri) => Condition::Token {
                    param: param.clone(),
                    system: None,
                    code: Some(uri.clone()),
                },
                SearchValue::Missing(_) => return Err(unsupported(name, "`:missing`")),
            });
        }
        all_of.push(group);
    }
    let mut sort = Vec::with_capacity(request.sort.len() + 1);
    for spec in &request.sort {
        let descending = spec.descending;
        sort.push(match (spec.param.name, spec.param.kind) {
            ("_lastUpdated", _) => SortKey::LastUpdated { descending },
            ("_id", _) => SortKey::Id { descending },
            (name, fhir::ParamType::Date) => SortKey::Date {
                param: qualified(resource_type, name),
                descending,
            },
            (name, _) => return Err(unsupported(name, "sorting by a non-date parameter")),
        });
    }
    if sort.is_empty() {
        sort.push(SortKey::LastUpdated { descending: true });
    }
    Ok(Query {
        resource_type: resource_type.to_owned(),
        all_of,
        visibility,
        sort,
        count: request.count.unwrap_or(fhir::DEFAULT_COUNT),
        offset: request.offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrowed_reference_is_stored_once_and_searched_through_the_wider_one() {
        let observation = serde_json::json!({
            "resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
            "subject": {"reference": "Patient/p1"}
        });
        let rows = index_rows("Observation", &observation);
        let params: Vec<&str> = rows.iter().map(|r| r.param.as_str()).collect();
        assert!(params.contains(&"Observation.subject"), "{params:?}");
        assert!(!params.contains(&"Observation.patient"), "{params:?}");

        let wider = Condition::Reference {
            param: "Observation.subject".into(),
            target_type: Some("Patient".into()),
            target_id: "p1".into(),
        };
        for target_type in [None, Some("Patient".to_owned())] {
            assert_eq!(
                reference_condition("Observation", "patient", target_type, "p1".into()),
                wider
            );
        }
        // Another type: the narrowed parameter, which has no rows, so nothing is found.
        assert_eq!(
            reference_condition("Observation", "patient", Some("Group".into()), "g1".into()),
            Condition::Reference {
                param: "Observation.patient".into(),
                target_type: Some("Group".into()),
                target_id: "g1".into(),
            }
        );
        // Consent.patient narrows nothing and keeps its own rows.
        let consent = reference_condition("Consent", "patient", None, "p1".into());
        assert!(
            matches!(consent, Condition::Reference { param, .. } if param == "Consent.patient")
        );
    }

    #[test]
    fn the_migration_removes_exactly_the_narrowed_parameters() {
        let mut narrowed: Vec<String> = fhir::ALL_RESOURCE_TYPES
            .iter()
            .flat_map(|t| {
                fhir::narrowed_params(t)
                    .iter()
                    .map(move |p| qualified(t, p))
            })
            .collect();
        narrowed.sort();
        let sql = include_str!("../migrations/0003_narrowed_references.sql");
        let listed: Vec<String> = sql
            .lines()
            .filter_map(|l| l.trim().strip_prefix('\''))
            .filter_map(|l| l.split('\'').next())
            .map(str::to_owned)
            .collect();
        assert_eq!(listed, narrowed);
    }
}
