//! Batch and transaction Bundles: planning the work, and the Bundles that answer requests.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::issue::{Issue, IssueCode};
use crate::primitive::is_id;
use crate::resource_type::is_resource_type;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    Batch,
    Transaction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    /// Position in R4's transaction processing order: DELETE, POST, PUT, GET.
    fn rank(self) -> u8 {
        match self {
            Method::Delete => 0,
            Method::Post => 1,
            Method::Put => 2,
            Method::Get => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEntry {
    pub index: usize,
    pub method: Method,
    /// `request.url` as written (relative).
    pub url: String,
    pub resource_type: String,
    pub id: Option<String>,
    /// `Type/id/_history/version` reads.
    pub version: Option<String>,
    pub full_url: Option<String>,
    /// For POST the id is already set to `assigned_id`; in transactions `urn:` references
    /// to other entries are already rewritten.
    pub resource: Option<Value>,
    pub assigned_id: Option<String>,
    pub if_none_exist: Option<String>,
    pub if_match: Option<String>,
    /// Decoded query of a search GET or a conditional PUT/DELETE.
    pub query: Vec<(String, String)>,
    /// Problems with this entry alone. Only batches carry entries with issues (answered
    /// with an error for that entry); a transaction with any issue is refused as a whole.
    pub issues: Vec<Issue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BundlePlan {
    pub kind: BundleKind,
    pub entries: Vec<PlannedEntry>,
    /// Indexes into `entries` in processing order (DELETE, POST, PUT, GET; stable within each).
    pub order: Vec<usize>,
}

/// Splits an `a=1&b=2` query into decoded pairs.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    kernel::form::parse_form(query)
}

/// Percent-encodes a query component, keeping unreserved characters and `:` `/` `,` readable.
pub fn encode_query_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b',')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Replaces every `reference` string anywhere in `resource` that is a key of `map`.
pub fn rewrite_references(resource: &mut Value, map: &HashMap<String, String>) {
    match resource {
        Value::Object(obj) => {
            for (key, value) in obj.iter_mut() {
                match value {
                    Value::String(s) if key == "reference" => {
                        if let Some(new) = map.get(s.as_str()) {
                            *s = new.clone();
                        }
                    }
                    other => rewrite_references(other, map),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rewrite_references(item, map)),
        _ => {}
    }
}

/// FHIRPath-style locations of `reference` strings starting with `urn:` and not in `map`.
/// The path is built only for a hit: most resources have none, and formatting a path for
/// every element of a thousand resources costs more than the whole walk.
fn dangling_urns(
    value: &Value,
    path: &str,
    map: &HashMap<String, String>,
    out: &mut Vec<(String, String)>,
) {
    let mut steps = Vec::new();
    walk_urns(value, &mut steps, &mut |steps, urn| {
        if map.contains_key(urn) {
            return;
        }
        let mut at = path.to_owned();
        for step in steps.iter() {
            match step {
                Step::Key(key) => {
                    at.push('.');
                    at.push_str(key);
                }
                Step::Index(i) => at.push_str(&format!("[{i}]")),
            }
        }
        out.push((at, urn.to_owned()));
    });
}

/// One step of a path into a resource.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Calls `found` with the path of every `reference` string that starts with `urn:`.
fn walk_urns<'a>(
    value: &'a Value,
    steps: &mut Vec<Step<'a>>,
    found: &mut dyn FnMut(&[Step<'a>], &str),
) {
    match value {
        Value::Object(obj) => {
            for (key, child) in obj {
                steps.push(Step::Key(key));
                match child {
                    Value::String(s) if key == "reference" && s.starts_with("urn:") => {
                        found(steps, s)
                    }
                    other => walk_urns(other, steps, found),
                }
                steps.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                steps.push(Step::Index(i));
                walk_urns(item, steps, found);
                steps.pop();
            }
        }
        _ => {}
    }
}

fn plan_entry(
    index: usize,
    mut entry: Value,
    new_id: &mut dyn FnMut(&str) -> String,
) -> PlannedEntry {
    let at = format!("Bundle.entry[{index}]");
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let request = entry
        .as_object_mut()
        .and_then(|e| e.remove("request"))
        .unwrap_or(Value::Null);
    let mut planned = PlannedEntry {
        index,
        method: Method::Get,
        url: text(&request, "url").unwrap_or_default(),
        resource_type: String::new(),
        id: None,
        version: None,
        full_url: text(&entry, "fullUrl"),
        resource: entry.as_object_mut().and_then(|e| e.remove("resource")),
        assigned_id: None,
        if_none_exist: text(&request, "ifNoneExist"),
        if_match: text(&request, "ifMatch"),
        query: Vec::new(),
        issues: Vec::new(),
    };
    let fail = |planned: &mut PlannedEntry, code: IssueCode, where_: &str, why: String| {
        planned
            .issues
            .push(Issue::error(code, format!("{at}{where_}"), why));
    };
    if !request.is_object() {
        fail(
            &mut planned,
            IssueCode::Required,
            ".request",
            "Each entry needs a request with method and url.".into(),
        );
        return planned;
    }
    planned.method = match request.get("method").and_then(Value::as_str) {
        Some("GET" | "HEAD") => Method::Get,
        Some("POST") => Method::Post,
        Some("PUT") => Method::Put,
        Some("DELETE") => Method::Delete,
        Some("PATCH") => {
            fail(
                &mut planned,
                IssueCode::NotSupported,
                ".request.method",
                "PATCH is not supported; send the whole resource with PUT.".into(),
            );
            return planned;
        }
        _ => {
            fail(
                &mut planned,
                IssueCode::Required,
                ".request.method",
                "request.method must be GET, HEAD, POST, PUT or DELETE.".into(),
            );
            return planned;
        }
    };
    if planned.url.is_empty() {
        fail(
            &mut planned,
            IssueCode::Required,
            ".request.url",
            "request.url is required, e.g. Patient or Patient/123.".into(),
        );
        return planned;
    }
    if planned.url.contains("://") {
        fail(
            &mut planned,
            IssueCode::NotSupported,
            ".request.url",
            "request.url must be relative to this server, e.g. Patient/123.".into(),
        );
        return planned;
    }
    let url = planned.url.clone();
    let (path, query) = match planned.url.split_once('?') {
        Some((p, q)) => (p.trim_matches('/').to_owned(), Some(q.to_owned())),
        None => (planned.url.trim_matches('/').to_owned(), None),
    };
    planned.query = query.as_deref().map(parse_query).unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let Some(resource_type) = segments.first().filter(|t| is_resource_type(t)) else {
        fail(
            &mut planned,
            IssueCode::NotSupported,
            ".request.url",
            format!("'{url}' does not start with a resource type."),
        );
        return planned;
    };
    planned.resource_type = (*resource_type).to_owned();
    let second = segments
        .get(1)
        .filter(|s| !s.starts_with('$') && **s != "_history");
    let bad_id = second.is_some_and(|id| !is_id(id));
    planned.id = second.map(|s| (*s).to_owned());
    match (planned.method, segments.as_slice()) {
        (_, _) if bad_id => fail(
            &mut planned,
            IssueCode::Value,
            ".request.url",
            format!("'{url}' has an invalid id."),
        ),
        (Method::Post, [_]) => {}
        (Method::Post, _) => fail(
            &mut planned,
            IssueCode::Invalid,
            ".request.url",
            format!("A POST url is just the type, e.g. '{resource_type}', not '{url}'."),
        ),
        (Method::Put | Method::Delete, [_, _]) if query.is_none() => {}
        (Method::Put | Method::Delete, [_]) if query.is_some() => {}
        (Method::Put | Method::Delete, _) => {
            fail(
                &mut planned,
                IssueCode::Invalid,
                ".request.url",
                format!("'{url}' must be Type/id or a conditional Type?query."),
            );
        }
        (Method::Get, [_, _, "_history", v]) if is_id(v) => planned.version = Some((*v).to_owned()),
        (Method::Get, [_, _, op]) if op.starts_with('$') || *op == "_history" => {}
        (Method::Get, [_] | [_, _]) => {}
        (Method::Get, _) => fail(
            &mut planned,
            IssueCode::NotSupported,
            ".request.url",
            format!("'{url}' is not a supported read or search."),
        ),
    }
    let (method, expected_type, expected_id) = (
        planned.method,
        planned.resource_type.clone(),
        planned.id.clone(),
    );
    match method {
        Method::Post | Method::Put => {
            let Some(resource) = planned.resource.as_mut() else {
                let verb = if method == Method::Post {
                    "POST"
                } else {
                    "PUT"
                };
                fail(
                    &mut planned,
                    IssueCode::Required,
                    ".resource",
                    format!("A {verb} entry needs a resource."),
                );
                return planned;
            };
            let actual_type = resource
                .get("resourceType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let body_id = resource
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if planned.method == Method::Post && actual_type == planned.resource_type {
                let id = new_id(&planned.resource_type);
                resource["id"] = Value::String(id.clone());
                planned.assigned_id = Some(id);
            }
            if actual_type != planned.resource_type {
                fail(
                    &mut planned,
                    IssueCode::Invalid,
                    ".resource.resourceType",
                    format!("The url names {expected_type} but the resource is a '{actual_type}'."),
                );
            } else if planned.method == Method::Put
                && planned.query.is_empty()
                && body_id != planned.id
            {
                fail(
                    &mut planned,
                    IssueCode::Invalid,
                    ".resource.id",
                    format!(
                        "PUT {url} needs the resource id to be '{}'.",
                        expected_id.unwrap_or_default()
                    ),
                );
            }
        }
        Method::Get | Method::Delete => {}
    }
    planned
}

/// Checks a batch or transaction Bundle and plans its entries: POSTs get ids from `new_id`,
/// and in a transaction every `urn:uuid:`/`urn:oid:` fullUrl of a POST or PUT becomes
/// `Type/id` in all references. Resources are not validated here; the caller validates each
/// as for a single create or update.
pub fn plan_bundle(
    mut bundle: Value,
    new_id: &mut dyn FnMut(&str) -> String,
) -> Result<BundlePlan, Vec<Issue>> {
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(vec![Issue::error(
            IssueCode::Invalid,
            "Bundle.resourceType",
            "Expected a Bundle resource.",
        )]);
    }
    let kind = match bundle.get("type").and_then(Value::as_str) {
        Some("batch") => BundleKind::Batch,
        Some("transaction") => BundleKind::Transaction,
        other => {
            let got = other.map_or_else(|| "missing".to_owned(), |t| format!("'{t}'"));
            return Err(vec![Issue::error(
                IssueCode::Value,
                "Bundle.type",
                format!("Bundle.type must be batch or transaction to be processed; it is {got}."),
            )]);
        }
    };
    let raw_entries = match bundle.as_object_mut().and_then(|b| b.remove("entry")) {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(vec![Issue::error(
                IssueCode::Structure,
                "Bundle.entry",
                "Bundle.entry must be an array.",
            )]);
        }
    };
    let mut entries: Vec<PlannedEntry> = raw_entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| plan_entry(i, e, new_id))
        .collect();

    if kind == BundleKind::Transaction {
        let mut map = HashMap::new();
        let mut seen_full_urls = HashMap::new();
        let mut touched = HashMap::new();
        for e in &mut entries {
            if let Some(full) = &e.full_url {
                if let Some(first) = seen_full_urls.insert(full.clone(), e.index) {
                    e.issues.push(Issue::error(
                        IssueCode::Duplicate,
                        format!("Bundle.entry[{}].fullUrl", e.index),
                        format!("fullUrl {full} is also used by entry {first}."),
                    ));
                }
                if full.starts_with("urn:uuid:") || full.starts_with("urn:oid:") {
                    let id = match e.method {
                        Method::Post => e.assigned_id.clone(),
                        Method::Put if e.query.is_empty() => e.id.clone(),
                        _ => None,
                    };
                    if let Some(id) = id {
                        map.insert(full.clone(), format!("{}/{id}", e.resource_type));
                    }
                }
            }
            if matches!(e.method, Method::Put | Method::Delete)
                && e.query.is_empty()
                && e.id.is_some()
            {
                let key = format!("{}/{}", e.resource_type, e.id.clone().unwrap_or_default());
                if let Some(first) = touched.insert(key.clone(), e.index) {
                    e.issues.push(Issue::error(IssueCode::Conflict, format!("Bundle.entry[{}].request.url", e.index), format!("{key} is changed by entry {first} too; a transaction may touch a resource once.")));
                }
            }
        }
        for e in &mut entries {
            if let Some(resource) = e.resource.as_mut() {
                let mut dangling = Vec::new();
                dangling_urns(
                    resource,
                    &format!("Bundle.entry[{}].resource", e.index),
                    &map,
                    &mut dangling,
                );
                for (at, urn) in dangling {
                    e.issues.push(Issue::error(
                        IssueCode::NotFound,
                        at,
                        format!(
                            "{urn} is not the fullUrl of any POST or PUT entry in this transaction."
                        ),
                    ));
                }
                rewrite_references(resource, &map);
            }
        }
        let issues: Vec<Issue> = entries
            .iter()
            .flat_map(|e| e.issues.iter().cloned())
            .collect();
        if !issues.is_empty() {
            return Err(issues);
        }
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|i| entries[*i].method.rank());
    Ok(BundlePlan {
        kind,
        entries,
        order,
    })
}

/// What a client wants back for each resource it writes, from the `Prefer: return=` header.
/// A system pushing records in bulk asks for `minimal`: the status, location and version of
/// each entry, without the resources it has just sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnPreference {
    Minimal,
    /// The stored resources (the default, as most clients expect).
    #[default]
    Representation,
}

impl ReturnPreference {
    /// Reads a `Prefer` header value such as `return=minimal, handling=strict`.
    /// `return=OperationOutcome` is answered as `minimal`: an entry's outcome is given only
    /// when it failed.
    pub fn from_prefer(header: &str) -> Self {
        let asks = |wanted: &str| {
            header
                .split([',', ';'])
                .any(|p| p.trim().eq_ignore_ascii_case(wanted))
        };
        if asks("return=minimal") || asks("return=OperationOutcome") {
            ReturnPreference::Minimal
        } else {
            ReturnPreference::Representation
        }
    }
}

/// The outcome of one entry, for [`response_bundle`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntryResponse {
    /// HTTP status line start, e.g. "201 Created" or "200".
    pub status: String,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub resource: Option<Value>,
    pub outcome: Option<Value>,
}

/// A batch-response or transaction-response Bundle, entries in request order.
pub fn response_bundle(kind: BundleKind, entries: Vec<EntryResponse>) -> Value {
    let entry: Vec<Value> = entries
        .into_iter()
        .map(|e| {
            let mut response = json!({"status": e.status});
            let fields = [
                ("location", e.location),
                ("etag", e.etag),
                ("lastModified", e.last_modified),
            ];
            for (key, value) in fields {
                if let Some(v) = value {
                    response[key] = Value::String(v);
                }
            }
            if let Some(outcome) = e.outcome {
                response["outcome"] = outcome;
            }
            let mut out = json!({"response": response});
            if let Some(resource) = e.resource {
                out["resource"] = resource;
            }
            out
        })
        .collect();
    let kind = match kind {
        BundleKind::Batch => "batch-response",
        BundleKind::Transaction => "transaction-response",
    };
    json!({"resourceType": "Bundle", "type": kind, "entry": entry})
}

/// A searchset Bundle. `includes` are marked `include`, except OperationOutcomes (`outcome`).
pub fn searchset_bundle(
    base_url: &str,
    total: Option<u64>,
    matches: Vec<Value>,
    includes: Vec<Value>,
    links: Vec<(String, String)>,
) -> Value {
    let base = base_url.trim_end_matches('/');
    let entry = |resource: Value, mode: &str| {
        let mode =
            if resource.get("resourceType").and_then(Value::as_str) == Some("OperationOutcome") {
                "outcome"
            } else {
                mode
            };
        let mut e = json!({"search": {"mode": mode}});
        if let (Some(t), Some(id)) = (
            resource.get("resourceType").and_then(Value::as_str),
            resource.get("id").and_then(Value::as_str),
        ) {
            e["fullUrl"] = Value::String(format!("{base}/{t}/{id}"));
        }
        e["resource"] = resource;
        e
    };
    let entries: Vec<Value> = matches
        .into_iter()
        .map(|r| entry(r, "match"))
        .chain(includes.into_iter().map(|r| entry(r, "include")))
        .collect();
    let mut bundle = json!({"resourceType": "Bundle", "type": "searchset"});
    if let Some(total) = total {
        bundle["total"] = json!(total);
    }
    if !links.is_empty() {
        bundle["link"] = links
            .into_iter()
            .map(|(relation, url)| json!({"relation": relation, "url": url}))
            .collect();
    }
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    bundle
}

/// self, first, previous (when not on the first page) and next (when `has_more`) links.
/// Search parameters are kept in order; `_count` and `_offset` are replaced.
pub fn paging_links(
    base_url: &str,
    resource_type: &str,
    params: &[(String, String)],
    offset: usize,
    count: usize,
    has_more: bool,
) -> Vec<(String, String)> {
    let base = base_url.trim_end_matches('/');
    let kept: Vec<String> = params
        .iter()
        .filter(|(k, _)| k != "_count" && k != "_offset")
        .map(|(k, v)| {
            format!(
                "{}={}",
                encode_query_component(k),
                encode_query_component(v)
            )
        })
        .collect();
    let url = |offset: usize| {
        let mut parts = kept.clone();
        parts.push(format!("_count={count}"));
        parts.push(format!("_offset={offset}"));
        format!("{base}/{resource_type}?{}", parts.join("&"))
    };
    let mut links = vec![
        ("self".to_owned(), url(offset)),
        ("first".to_owned(), url(0)),
    ];
    if offset > 0 {
        links.push(("previous".to_owned(), url(offset.saturating_sub(count))));
    }
    if has_more {
        links.push(("next".to_owned(), url(offset + count)));
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> impl FnMut(&str) -> String {
        let mut n = 0;
        move |t: &str| {
            n += 1;
            format!("{}-{n}", t.to_lowercase())
        }
    }

    const PATIENT_URN: &str = "urn:uuid:9b4bd6d3-4ea7-4c7b-8a45-1c2e1b4a3f10";

    fn transaction() -> Value {
        json!({
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {"request": {"method": "GET", "url": "Observation?patient=zs&_count=5"}},
                {"fullUrl": "urn:uuid:5d3b0f0e-1111-4c7b-8a45-1c2e1b4a3f10",
                 "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "血压"},
                              "subject": {"reference": PATIENT_URN},
                              "performer": [{"reference": "Practitioner/li"}]},
                 "request": {"method": "POST", "url": "Observation"}},
                {"request": {"method": "DELETE", "url": "Condition/old-1"}},
                {"fullUrl": PATIENT_URN,
                 "resource": {"resourceType": "Patient", "name": [{"text": "张三"}]},
                 "request": {"method": "POST", "url": "Patient", "ifNoneExist": "identifier=urn:oid:2.16.156.10011.1.1|320102198001010015"}},
                {"resource": {"resourceType": "Practitioner", "id": "li", "name": [{"text": "李四"}]},
                 "request": {"method": "PUT", "url": "Practitioner/li", "ifMatch": "W/\"2\""}}
            ]
        })
    }

    #[test]
    fn transaction_assigns_ids_rewrites_urns_and_orders() {
        let plan = plan_bundle(transaction(), &mut ids()).expect("valid transaction");
        assert_eq!(plan.kind, BundleKind::Transaction);
        assert_eq!(
            plan.order,
            vec![2, 1, 3, 4, 0],
            "DELETE, POSTs in order, PUT, GET"
        );
        let obs = &plan.entries[1];
        let patient = &plan.entries[3];
        assert_eq!(obs.assigned_id.as_deref(), Some("observation-1"));
        assert_eq!(patient.assigned_id.as_deref(), Some("patient-2"));
        let obs_resource = obs.resource.as_ref().expect("resource");
        assert_eq!(obs_resource["subject"]["reference"], "Patient/patient-2");
        assert_eq!(
            obs_resource["performer"][0]["reference"], "Practitioner/li",
            "other references are untouched"
        );
        assert_eq!(obs_resource["id"], "observation-1");
        assert_eq!(
            patient.if_none_exist.as_deref(),
            Some("identifier=urn:oid:2.16.156.10011.1.1|320102198001010015")
        );
        assert_eq!(plan.entries[4].if_match.as_deref(), Some("W/\"2\""));
        assert_eq!(plan.entries[4].id.as_deref(), Some("li"));
        assert_eq!(
            plan.entries[0].query,
            vec![
                ("patient".to_owned(), "zs".to_owned()),
                ("_count".to_owned(), "5".to_owned())
            ]
        );
    }

    #[test]
    fn dangling_urn_is_reported_where_it_is() {
        let mut b = transaction();
        b["entry"][1]["resource"]["subject"]["reference"] =
            json!("urn:uuid:00000000-0000-4000-8000-000000000000");
        let issues = plan_bundle(b, &mut ids()).expect_err("dangling");
        assert_eq!(issues.len(), 1);
        assert_eq!(
            issues[0].expression,
            "Bundle.entry[1].resource.subject.reference"
        );
        assert_eq!(issues[0].code, IssueCode::NotFound);

        // Inside arrays the path names each index; a resolvable urn next to it is no issue.
        let mut b = transaction();
        b["entry"][1]["resource"]["performer"] = json!([
            { "reference": PATIENT_URN },
            { "reference": "urn:uuid:00000000-0000-4000-8000-00000000000f" }
        ]);
        let issues = plan_bundle(b, &mut ids()).expect_err("dangling in an array");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(
            issues[0].expression,
            "Bundle.entry[1].resource.performer[1].reference"
        );
    }

    #[test]
    fn entry_rules() {
        let bad = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"resource": {"resourceType": "Patient", "id": "a"}, "request": {"method": "PUT", "url": "Patient/b"}},
            {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Observation"}},
            {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient/x"}},
            {"request": {"url": "Patient"}},
            {"request": {"method": "DELETE", "url": "Patient/a"}},
            {"request": {"method": "DELETE", "url": "Patient/a"}},
            {"resource": {"resourceType": "Patient"}}
        ]});
        let issues = plan_bundle(bad, &mut ids()).expect_err("invalid");
        let at: Vec<&str> = issues.iter().map(|i| i.expression.as_str()).collect();
        assert_eq!(
            at,
            vec![
                "Bundle.entry[0].resource.id",
                "Bundle.entry[1].resource.resourceType",
                "Bundle.entry[2].request.url",
                "Bundle.entry[3].request.method",
                "Bundle.entry[5].request.url",
                "Bundle.entry[6].request"
            ]
        );
        let searchset = json!({"resourceType": "Bundle", "type": "searchset"});
        assert_eq!(
            plan_bundle(searchset, &mut ids()).expect_err("type")[0].expression,
            "Bundle.type"
        );
    }

    #[test]
    fn batches_keep_going_past_bad_entries() {
        let b = json!({"resourceType": "Bundle", "type": "batch", "entry": [
            {"request": {"method": "GET", "url": "Patient/zs"}},
            {"request": {"method": "PATCH", "url": "Patient/zs"}},
            {"resource": {"resourceType": "Observation", "subject": {"reference": PATIENT_URN}}, "request": {"method": "POST", "url": "Observation"}}
        ]});
        let plan = plan_bundle(b, &mut ids()).expect("batch is planned");
        assert!(plan.entries[0].issues.is_empty());
        assert_eq!(plan.entries[1].issues[0].code, IssueCode::NotSupported);
        assert!(
            plan.entries[2].issues.is_empty(),
            "batch entries are independent; urns are left alone"
        );
    }

    #[test]
    fn response_bundles() {
        let r = response_bundle(
            BundleKind::Transaction,
            vec![EntryResponse {
                status: "201 Created".into(),
                location: Some("Patient/p1/_history/1".into()),
                etag: Some("W/\"1\"".into()),
                ..Default::default()
            }],
        );
        assert_eq!(r["type"], "transaction-response");
        assert_eq!(
            r["entry"][0]["response"]["location"],
            "Patient/p1/_history/1"
        );
        assert!(r["entry"][0]["response"].get("lastModified").is_none());

        let s = searchset_bundle(
            "https://fhir.example.cn/fhir/",
            Some(2),
            vec![json!({"resourceType": "Observation", "id": "o1"})],
            vec![json!({"resourceType": "Patient", "id": "zs"})],
            vec![(
                "self".into(),
                "https://fhir.example.cn/fhir/Observation?_count=20&_offset=0".into(),
            )],
        );
        assert_eq!(s["total"], 2);
        assert_eq!(
            s["entry"][0]["fullUrl"],
            "https://fhir.example.cn/fhir/Observation/o1"
        );
        assert_eq!(s["entry"][0]["search"]["mode"], "match");
        assert_eq!(s["entry"][1]["search"]["mode"], "include");
        assert_eq!(s["link"][0]["relation"], "self");
    }

    #[test]
    fn paging() {
        let params = vec![
            ("name".to_owned(), "张 三".to_owned()),
            ("_count".to_owned(), "10".to_owned()),
            ("code".to_owned(), "a|b&c".to_owned()),
        ];
        let links = paging_links("https://h/fhir", "Patient", &params, 10, 10, true);
        let rel: Vec<&str> = links.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(rel, vec!["self", "first", "previous", "next"]);
        assert_eq!(
            links[0].1,
            "https://h/fhir/Patient?name=%E5%BC%A0%20%E4%B8%89&code=a%7Cb%26c&_count=10&_offset=10"
        );
        assert!(links[3].1.ends_with("_offset=20"));
        assert!(links[2].1.ends_with("_offset=0"));
        let first_page = paging_links("https://h/fhir", "Patient", &[], 0, 20, false);
        assert_eq!(first_page.len(), 2);
        let decoded = parse_query(
            links[0]
                .1
                .split_once('?')
                .map(|(_, q)| q)
                .unwrap_or_default(),
        );
        assert_eq!(
            decoded[0],
            ("name".to_owned(), "张 三".to_owned()),
            "encoding round-trips"
        );
        assert_eq!(decoded[1].1, "a|b&c");
    }

    #[test]
    fn prefer_return_is_read_from_the_header() {
        use ReturnPreference::*;
        assert_eq!(ReturnPreference::from_prefer("return=minimal"), Minimal);
        assert_eq!(
            ReturnPreference::from_prefer("handling=strict, return=minimal"),
            Minimal
        );
        assert_eq!(
            ReturnPreference::from_prefer("return=OperationOutcome"),
            Minimal
        );
        assert_eq!(
            ReturnPreference::from_prefer("return=representation"),
            Representation
        );
        assert_eq!(ReturnPreference::from_prefer(""), Representation);
        assert_eq!(
            ReturnPreference::from_prefer("return=minimalist"),
            Representation
        );
    }
}
