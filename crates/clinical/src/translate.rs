//! Between the FHIR layer's terms and the record store's: index values to index rows, and a
//! parsed search to a store query. The only place that knows both vocabularies.

use fhir::{IndexValue, Modifier, Prefix, SearchRequest, SearchValue};
use records::{Comparator, Condition, IndexRow, Query, SortKey, Visibility};

use crate::{ClinicalError, Result};

/// The store's qualified parameter name: `Observation.code`.
pub fn qualified(resource_type: &str, param: &str) -> String {
    format!("{resource_type}.{param}")
}

/// The index rows of a resource. `_id` and `_lastUpdated` are columns of the resource row
/// (the other common parameters, `_tag` and `_profile`, are indexed like any other),
/// and a reference without a resource id (a logical or absolute URL) finds nothing by id.
pub fn index_rows(resource_type: &str, resource: &serde_json::Value) -> Vec<IndexRow> {
    fhir::index_entries(resource)
        .into_iter()
        .filter(|e| !matches!(e.param, "_id" | "_lastUpdated"))
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
                SearchValue::Reference { resource_type, id } => {
                    let target_type = match &clause.modifier {
                        Some(Modifier::Type(t)) => Some(t.clone()),
                        _ => resource_type.clone(),
                    };
                    Condition::Reference {
                        param: param.clone(),
                        target_type,
                        target_id: id.clone(),
                    }
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
