//! Parsing a search query into clauses, and evaluating it against a resource in memory.
//!
//! The in-memory evaluation ([`matches`]) is the reference semantics: a SQL implementation
//! should return exactly the resources for which it is true.

use serde_json::Value;

use crate::index::{IndexValue, index_entries, normalize};
use crate::issue::{Issue, IssueCode};
use crate::primitive::{DateError, date_range};
use crate::reference::{ReferenceKind, parse_reference};
use crate::resource_type::is_resource_type;
use crate::search_param::{ParamType, SearchParam, search_param, search_params};

/// Page size when `_count` is absent.
pub const DEFAULT_COUNT: usize = 20;
/// Largest page served; larger `_count` values are capped (not refused).
pub const MAX_COUNT: usize = 1000;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modifier {
    Exact,
    Contains,
    Missing,
    Not,
    Text,
    /// `:Patient` etc. on a reference parameter.
    Type(String),
    Identifier,
    Above,
    Below,
    In,
    NotIn,
    OfType,
}

impl Modifier {
    fn parse(s: &str) -> Option<Modifier> {
        Some(match s {
            "exact" => Modifier::Exact,
            "contains" => Modifier::Contains,
            "missing" => Modifier::Missing,
            "not" => Modifier::Not,
            "text" => Modifier::Text,
            "identifier" => Modifier::Identifier,
            "above" => Modifier::Above,
            "below" => Modifier::Below,
            "in" => Modifier::In,
            "not-in" => Modifier::NotIn,
            "of-type" => Modifier::OfType,
            t if is_resource_type(t) => Modifier::Type(t.to_owned()),
            _ => return None,
        })
    }

    /// Whether this layer evaluates the modifier on a parameter of `kind`.
    fn supported_on(&self, kind: ParamType) -> bool {
        match self {
            Modifier::Missing => true,
            Modifier::Exact | Modifier::Contains => kind == ParamType::String,
            Modifier::Not => kind == ParamType::Token,
            Modifier::Type(_) => kind == ParamType::Reference,
            _ => false,
        }
    }
}

/// Comparison prefix of date, number and quantity values (R4 search §3.1.1.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prefix {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Sa,
    Eb,
    Ap,
}

impl Prefix {
    pub const ALL: [Prefix; 9] = [
        Prefix::Eq,
        Prefix::Ne,
        Prefix::Gt,
        Prefix::Lt,
        Prefix::Ge,
        Prefix::Le,
        Prefix::Sa,
        Prefix::Eb,
        Prefix::Ap,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Prefix::Eq => "eq",
            Prefix::Ne => "ne",
            Prefix::Gt => "gt",
            Prefix::Lt => "lt",
            Prefix::Ge => "ge",
            Prefix::Le => "le",
            Prefix::Sa => "sa",
            Prefix::Eb => "eb",
            Prefix::Ap => "ap",
        }
    }

    /// Splits a leading prefix off `value`; no recognised prefix means `eq`.
    fn split(value: &str) -> (Prefix, &str) {
        Prefix::ALL
            .into_iter()
            .find_map(|p| value.strip_prefix(p.as_str()).map(|rest| (p, rest)))
            .unwrap_or((Prefix::Eq, value))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SearchValue {
    /// `system`: `None` = any system; `Some(None)` = `|code`, no system; `Some(Some(s))` = `s|code`.
    /// `code: None` = `system|`, any code in that system.
    Token {
        system: Option<Option<String>>,
        code: Option<String>,
    },
    String(String),
    /// `[low, high)` in Unix ms at the precision written; dates without a zone are UTC+8.
    Date {
        prefix: Prefix,
        low: i64,
        high: i64,
    },
    Reference {
        resource_type: Option<String>,
        id: String,
    },
    Quantity {
        prefix: Prefix,
        value: f64,
        system: Option<String>,
        code: Option<String>,
    },
    Number {
        prefix: Prefix,
        value: f64,
    },
    Uri(String),
    Missing(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub param: &'static SearchParam,
    pub modifier: Option<Modifier>,
    /// Alternatives (comma-separated in the query): the clause holds if any matches.
    pub values: Vec<SearchValue>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SortSpec {
    pub param: &'static SearchParam,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludeSpec {
    pub source_type: String,
    /// A reference parameter of `source_type`, or `*` for all of them.
    pub param: String,
    pub target_type: Option<String>,
    /// `_include:iterate` / `_revinclude:iterate`.
    pub iterate: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub resource_type: String,
    /// Conditions that must all hold (repeated parameters are separate clauses).
    pub clauses: Vec<Clause>,
    /// `_count` as given, capped at [`MAX_COUNT`]; see [`SearchRequest::page_size`].
    pub count: Option<usize>,
    pub offset: usize,
    pub sort: Vec<SortSpec>,
    /// `_summary=count` or `_count=0`: return the total only.
    pub summary_count: bool,
    pub include: Vec<IncludeSpec>,
    pub revinclude: Vec<IncludeSpec>,
    /// `_elements`, for the caller to apply when rendering.
    pub elements: Vec<String>,
    /// Parameters dropped in lenient mode; see [`SearchRequest::warnings`].
    pub ignored: Vec<String>,
}

/// Splits on `sep` where it is not escaped with a backslash; escapes are kept for later.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            escaped = false;
            if let Some(last) = parts.last_mut() {
                last.push('\\');
                last.push(c);
            }
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    if escaped {
        if let Some(last) = parts.last_mut() {
            last.push('\\');
        }
    }
    parts
}

/// Removes the search escapes `\,` `\|` `\$` `\\`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(next @ (',' | '|' | '$' | '\\'))) => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Parses a token value: `code`, `system|code`, `|code` or `system|`.
pub fn parse_token(raw: &str) -> SearchValue {
    let parts = split_unescaped(raw, '|');
    let non_empty = |s: &str| {
        if s.is_empty() {
            None
        } else {
            Some(unescape(s))
        }
    };
    match parts.as_slice() {
        [code] => SearchValue::Token {
            system: None,
            code: non_empty(code),
        },
        [system, rest @ ..] => {
            let code = rest
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("|");
            SearchValue::Token {
                system: Some(non_empty(system)),
                code: non_empty(&code),
            }
        }
        [] => SearchValue::Token {
            system: None,
            code: None,
        },
    }
}

fn parse_number(raw: &str) -> Option<f64> {
    let ok = !raw.is_empty()
        && raw
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'));
    raw.parse::<f64>().ok().filter(|v| ok && v.is_finite())
}

fn bad(name: &str, diagnostics: String) -> Issue {
    Issue::error(IssueCode::Invalid, name, diagnostics)
}

fn parse_value(
    param: &SearchParam,
    modifier: Option<&Modifier>,
    key: &str,
    raw: &str,
) -> Result<SearchValue, Issue> {
    if raw.is_empty() {
        return Err(bad(
            key,
            format!(
                "Search parameter '{key}' has an empty value; give a value or leave the parameter out."
            ),
        ));
    }
    if modifier == Some(&Modifier::Missing) {
        return match raw {
            "true" => Ok(SearchValue::Missing(true)),
            "false" => Ok(SearchValue::Missing(false)),
            _ => Err(bad(
                key,
                format!("'{key}' takes true or false, not '{raw}'."),
            )),
        };
    }
    match param.kind {
        ParamType::Token => match parse_token(raw) {
            SearchValue::Token {
                system: Some(None) | None,
                code: None,
            } => Err(bad(
                key,
                format!("'{raw}' is not a token; use code, system|code, |code or system|."),
            )),
            token => Ok(token),
        },
        ParamType::String => Ok(SearchValue::String(unescape(raw))),
        ParamType::Uri => Ok(SearchValue::Uri(unescape(raw))),
        ParamType::Date => {
            let (prefix, rest) = Prefix::split(raw);
            let (low, high) = date_range(rest).map_err(|e: DateError| {
                bad(key, format!("'{raw}' is not a valid date for '{key}' ({}); use [prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]], prefixes eq ne gt lt ge le sa eb ap; no zone means UTC+8.", e.reason))
            })?;
            Ok(SearchValue::Date { prefix, low, high })
        }
        ParamType::Number => {
            let (prefix, rest) = Prefix::split(raw);
            let value = parse_number(rest).ok_or_else(|| {
                bad(
                    key,
                    format!("'{raw}' is not a number; use [prefix]number, e.g. gt5 or 2.5."),
                )
            })?;
            Ok(SearchValue::Number { prefix, value })
        }
        ParamType::Quantity => {
            let (prefix, rest) = Prefix::split(raw);
            let parts: Vec<String> = split_unescaped(rest, '|')
                .iter()
                .map(|p| unescape(p))
                .collect();
            let value = parts.first().and_then(|n| parse_number(n)).ok_or_else(|| {
                bad(key, format!("'{raw}' is not a quantity; use [prefix]number[|system|code], e.g. gt6.1|http://unitsofmeasure.org|mmol/L."))
            })?;
            if parts.len() != 1 && parts.len() != 3 {
                return Err(bad(
                    key,
                    format!(
                        "'{raw}' is not a quantity; use number, number|system|code or number||code."
                    ),
                ));
            }
            let part = |i: usize| parts.get(i).filter(|s| !s.is_empty()).cloned();
            Ok(SearchValue::Quantity {
                prefix,
                value,
                system: part(1),
                code: part(2),
            })
        }
        ParamType::Reference => {
            let text = unescape(raw);
            let parsed = parse_reference(&text);
            let modifier_type = match modifier {
                Some(Modifier::Type(t)) => Some(t.clone()),
                _ => None,
            };
            let (resource_type, id) = match (parsed.kind, parsed.resource_type, parsed.id) {
                (ReferenceKind::Relative | ReferenceKind::Absolute, Some(t), Some(id)) => {
                    (Some(t), id)
                }
                _ if crate::primitive::is_id(&text) => (None, text.clone()),
                (ReferenceKind::Absolute | ReferenceKind::Urn, _, _) => (None, text.clone()),
                _ => {
                    return Err(bad(
                        key,
                        format!("'{raw}' is not a reference; use id, Type/id or an absolute URL."),
                    ));
                }
            };
            if let (Some(t), Some(m)) = (&resource_type, &modifier_type) {
                if t != m {
                    return Err(bad(
                        key,
                        format!("'{key}' restricts the type to {m} but the value names a {t}."),
                    ));
                }
            }
            let resource_type = resource_type.or(modifier_type);
            if let Some(t) = &resource_type {
                if !param.targets.is_empty() && !param.targets.contains(&t.as_str()) {
                    return Err(bad(
                        key,
                        format!(
                            "'{}' refers to {}, not {t}.",
                            param.name,
                            param.targets.join(" | ")
                        ),
                    ));
                }
            }
            Ok(SearchValue::Reference { resource_type, id })
        }
    }
}

fn parse_include(
    resource_type: &str,
    key: &str,
    raw: &str,
    iterate: bool,
) -> Result<IncludeSpec, Issue> {
    let parts: Vec<&str> = raw.split(':').collect();
    let usage = format!(
        "'{key}={raw}' is not valid; use SourceType:param[:TargetType], e.g. Observation:subject:Patient, or *."
    );
    let spec = match parts.as_slice() {
        ["*"] => IncludeSpec {
            source_type: resource_type.to_owned(),
            param: "*".into(),
            target_type: None,
            iterate,
        },
        [source, param] | [source, param, _] => {
            if !is_resource_type(source) {
                return Err(bad(key, usage));
            }
            let target_type = parts.get(2).map(|t| (*t).to_owned());
            if *param != "*" {
                let Some(found) =
                    search_param(source, param).filter(|p| p.kind == ParamType::Reference)
                else {
                    return Err(bad(
                        key,
                        format!("{source} has no reference parameter '{param}' to include by."),
                    ));
                };
                if let Some(t) = &target_type {
                    if !is_resource_type(t)
                        || (!found.targets.is_empty() && !found.targets.contains(&t.as_str()))
                    {
                        return Err(bad(key, format!("{source}:{param} cannot refer to '{t}'.")));
                    }
                }
            }
            IncludeSpec {
                source_type: (*source).to_owned(),
                param: (*param).to_owned(),
                target_type,
                iterate,
            }
        }
        _ => return Err(bad(key, usage)),
    };
    Ok(spec)
}

impl SearchRequest {
    /// Parses query parameters (already URL-decoded, in order). In lenient mode unknown or
    /// unsupported parameters are skipped and listed in `ignored`; in strict mode
    /// (`Prefer: handling=strict`) they are errors. Malformed values are errors in both.
    pub fn parse(
        resource_type: &str,
        params: &[(String, String)],
        lenient: bool,
    ) -> Result<SearchRequest, Vec<Issue>> {
        let mut req = SearchRequest {
            resource_type: resource_type.to_owned(),
            clauses: Vec::new(),
            count: None,
            offset: 0,
            sort: Vec::new(),
            summary_count: false,
            include: Vec::new(),
            revinclude: Vec::new(),
            elements: Vec::new(),
            ignored: Vec::new(),
        };
        let mut issues = Vec::new();
        if !is_resource_type(resource_type) {
            return Err(vec![Issue::error(
                IssueCode::NotSupported,
                "",
                format!("'{resource_type}' is not a resource type."),
            )]);
        }
        let unsupported =
            |req: &mut SearchRequest, issues: &mut Vec<Issue>, key: &str, why: String| {
                if lenient {
                    req.ignored.push(key.to_owned());
                } else {
                    issues.push(Issue::error(IssueCode::NotSupported, key, why));
                }
            };
        for (key, raw) in params {
            let (name, modifier_text) = match key.split_once(':') {
                Some((n, m)) => (n, Some(m)),
                None => (key.as_str(), None),
            };
            match name {
                "_format" | "_pretty" | "_total" => {}
                "_count" => match raw.parse::<usize>() {
                    Ok(0) => {
                        req.count = Some(0);
                        req.summary_count = true;
                    }
                    Ok(n) => req.count = Some(n.min(MAX_COUNT)),
                    Err(_) => issues.push(bad(
                        key,
                        format!(
                            "_count must be a whole number from 0 to {MAX_COUNT}, not '{raw}'."
                        ),
                    )),
                },
                "_offset" => match raw.parse::<usize>() {
                    Ok(n) => req.offset = n,
                    Err(_) => issues.push(bad(
                        key,
                        format!("_offset must be a whole number of 0 or more, not '{raw}'."),
                    )),
                },
                "_summary" => match raw.as_str() {
                    "count" => req.summary_count = true,
                    "false" => {}
                    _ => unsupported(
                        &mut req,
                        &mut issues,
                        key,
                        format!(
                            "_summary={raw} is not supported; use _summary=count or _elements."
                        ),
                    ),
                },
                "_elements" => req
                    .elements
                    .extend(raw.split(',').filter(|e| !e.is_empty()).map(str::to_owned)),
                "_sort" => {
                    for item in raw.split(',') {
                        let (descending, pname) = match item.strip_prefix('-') {
                            Some(rest) => (true, rest),
                            None => (false, item),
                        };
                        match search_param(resource_type, pname) {
                            Some(param) if param.kind.is_sortable() => {
                                req.sort.push(SortSpec { param, descending })
                            }
                            _ => {
                                let sortable: Vec<&str> = search_params(resource_type)
                                    .into_iter()
                                    .filter(|p| p.kind.is_sortable())
                                    .map(|p| p.name)
                                    .collect();
                                issues.push(bad(
                                    key,
                                    format!(
                                        "Cannot sort {resource_type} by '{pname}'; sortable: {}.",
                                        sortable.join(", ")
                                    ),
                                ));
                            }
                        }
                    }
                }
                "_include" | "_revinclude" => {
                    let iterate = match modifier_text {
                        None => false,
                        Some("iterate" | "recurse") => true,
                        Some(m) => {
                            issues.push(bad(
                                key,
                                format!("{name} takes only the :iterate modifier, not :{m}."),
                            ));
                            continue;
                        }
                    };
                    match parse_include(resource_type, key, raw, iterate) {
                        Ok(spec) if name == "_include" => req.include.push(spec),
                        Ok(spec) => req.revinclude.push(spec),
                        Err(issue) => issues.push(issue),
                    }
                }
                _ => {
                    let Some(param) = search_param(resource_type, name) else {
                        let why = if name.contains('.') || name == "_has" {
                            format!(
                                "Chained and reverse-chained search ('{key}') is not supported."
                            )
                        } else {
                            let known: Vec<&str> = search_params(resource_type)
                                .into_iter()
                                .map(|p| p.name)
                                .collect();
                            format!(
                                "Unknown search parameter '{name}' for {resource_type}; supported: {}.",
                                known.join(", ")
                            )
                        };
                        unsupported(&mut req, &mut issues, key, why);
                        continue;
                    };
                    let modifier = match modifier_text.map(|m| (m, Modifier::parse(m))) {
                        None => None,
                        Some((_, Some(m))) if m.supported_on(param.kind) => Some(m),
                        Some((m, _)) => {
                            // Ignoring a modifier would change the meaning, so this is never lenient.
                            issues.push(Issue::error(
                                IssueCode::NotSupported,
                                key.as_str(),
                                format!(
                                    "Modifier ':{m}' is not supported on {} parameter '{name}'.",
                                    param.kind.as_str()
                                ),
                            ));
                            continue;
                        }
                    };
                    let mut values = Vec::new();
                    for part in split_unescaped(raw, ',') {
                        match parse_value(param, modifier.as_ref(), key, &part) {
                            Ok(v) => values.push(v),
                            Err(issue) => issues.push(issue),
                        }
                    }
                    if modifier == Some(Modifier::Missing) && values.len() > 1 {
                        issues.push(bad(key, format!("'{key}' takes a single true or false.")));
                    }
                    if !values.is_empty() {
                        req.clauses.push(Clause {
                            param,
                            modifier,
                            values,
                        });
                    }
                }
            }
        }
        if issues.is_empty() {
            Ok(req)
        } else {
            Err(issues)
        }
    }

    /// The number of matches to return on a page.
    pub fn page_size(&self) -> usize {
        self.count.unwrap_or(DEFAULT_COUNT).min(MAX_COUNT)
    }

    /// One warning per parameter dropped in lenient mode, for the searchset's OperationOutcome.
    pub fn warnings(&self) -> Vec<Issue> {
        self.ignored
            .iter()
            .map(|p| {
                Issue::warning(
                    IssueCode::NotSupported,
                    p.as_str(),
                    format!("Search parameter '{p}' is not supported and was ignored."),
                )
            })
            .collect()
    }
}

/// R4 date comparison of a search range `[search_low, search_high)` with a value range
/// `[value_low, value_high)` (https://hl7.org/fhir/R4/search.html#prefix):
///
/// - `eq`: the search range fully contains the value range; `ne`: it does not.
/// - `gt` / `lt`: the value range reaches above the search range / below it.
/// - `ge` / `le`: `gt` / `lt`, or `eq`.
/// - `sa` / `eb`: the value range lies entirely after / before the search range.
/// - `ap`: the value range overlaps the search range widened by one day on each side. R4
///   leaves "approximately" to the server; a fixed day keeps results independent of the clock.
pub fn date_matches(
    prefix: Prefix,
    search_low: i64,
    search_high: i64,
    value_low: i64,
    value_high: i64,
) -> bool {
    let contains = search_low <= value_low && value_high <= search_high;
    match prefix {
        Prefix::Eq => contains,
        Prefix::Ne => !contains,
        Prefix::Gt => value_high > search_high,
        Prefix::Lt => value_low < search_low,
        Prefix::Ge => value_high > search_high || contains,
        Prefix::Le => value_low < search_low || contains,
        Prefix::Sa => value_low >= search_high,
        Prefix::Eb => value_high <= search_low,
        Prefix::Ap => {
            value_low < search_high.saturating_add(DAY_MS)
                && value_high > search_low.saturating_sub(DAY_MS)
        }
    }
}

/// Number and quantity comparison. Equality is exact up to rounding noise; `ap` is ±10%.
fn number_matches(prefix: Prefix, search: f64, value: f64) -> bool {
    let equal = (value - search).abs() <= 1e-9 * search.abs().max(1.0);
    match prefix {
        Prefix::Eq => equal,
        Prefix::Ne => !equal,
        Prefix::Gt | Prefix::Sa => value > search && !equal,
        Prefix::Lt | Prefix::Eb => value < search && !equal,
        Prefix::Ge => value > search || equal,
        Prefix::Le => value < search || equal,
        Prefix::Ap => (value - search).abs() <= 0.1 * search.abs(),
    }
}

fn value_matches(search: &SearchValue, indexed: &IndexValue, modifier: Option<&Modifier>) -> bool {
    match (search, indexed) {
        (
            SearchValue::Token { system, code },
            IndexValue::Token {
                system: isys,
                code: icode,
            },
        ) => {
            let system_ok = match system {
                None => true,
                Some(None) => isys.is_none(),
                Some(Some(s)) => isys.as_deref() == Some(s.as_str()),
            };
            system_ok && code.as_ref().is_none_or(|c| c == icode)
        }
        (SearchValue::String(s), IndexValue::String { normalized, exact }) => match modifier {
            Some(Modifier::Exact) => exact == s,
            Some(Modifier::Contains) => normalized.contains(&normalize(s)),
            _ => normalized.starts_with(&normalize(s)),
        },
        (SearchValue::Date { prefix, low, high }, IndexValue::Date { low: vl, high: vh }) => {
            date_matches(*prefix, *low, *high, *vl, *vh)
        }
        (
            SearchValue::Reference { resource_type, id },
            IndexValue::Reference {
                target_type,
                id: iid,
                url,
                ..
            },
        ) => {
            let type_ok = resource_type.is_none() || resource_type == target_type;
            type_ok && (iid.as_deref() == Some(id.as_str()) || url == id)
        }
        (
            SearchValue::Quantity {
                prefix,
                value,
                system,
                code,
            },
            IndexValue::Quantity {
                value: v,
                system: isys,
                code: icode,
                unit,
            },
        ) => {
            let system_ok = system.is_none() || system == isys;
            let code_ok = code.is_none() || code == icode || (system.is_none() && code == unit);
            system_ok && code_ok && number_matches(*prefix, *value, *v)
        }
        (SearchValue::Number { prefix, value }, IndexValue::Number(v)) => {
            number_matches(*prefix, *value, *v)
        }
        (SearchValue::Uri(u), IndexValue::Uri(v)) => u == v,
        _ => false,
    }
}

/// Whether `resource` satisfies every clause of `req` (paging, sorting and includes aside).
pub fn matches(req: &SearchRequest, resource: &Value) -> bool {
    if resource.get("resourceType").and_then(Value::as_str) != Some(req.resource_type.as_str()) {
        return false;
    }
    let entries = index_entries(resource);
    req.clauses.iter().all(|clause| {
        let indexed: Vec<&IndexValue> = entries
            .iter()
            .filter(|e| e.param == clause.param.name)
            .map(|e| &e.value)
            .collect();
        let any = |modifier| {
            clause
                .values
                .iter()
                .any(|sv| indexed.iter().any(|iv| value_matches(sv, iv, modifier)))
        };
        match &clause.modifier {
            Some(Modifier::Missing) => clause
                .values
                .iter()
                .all(|v| matches!(v, SearchValue::Missing(m) if *m == indexed.is_empty())),
            Some(Modifier::Not) => !any(None),
            modifier => any(modifier.as_ref()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn parse(t: &str, pairs: &[(&str, &str)]) -> SearchRequest {
        SearchRequest::parse(t, &q(pairs), false).expect("valid search")
    }

    fn issue_at(t: &str, pairs: &[(&str, &str)], lenient: bool) -> Vec<String> {
        match SearchRequest::parse(t, &q(pairs), lenient) {
            Ok(_) => Vec::new(),
            Err(issues) => issues.into_iter().map(|i| i.expression).collect(),
        }
    }

    #[test]
    fn tokens() {
        assert_eq!(
            parse_token("male"),
            SearchValue::Token {
                system: None,
                code: Some("male".into())
            }
        );
        assert_eq!(
            parse_token("|male"),
            SearchValue::Token {
                system: Some(None),
                code: Some("male".into())
            }
        );
        assert_eq!(
            parse_token("http://loinc.org|8480-6"),
            SearchValue::Token {
                system: Some(Some("http://loinc.org".into())),
                code: Some("8480-6".into())
            }
        );
        assert_eq!(
            parse_token("urn:oid:2.16.156.10011.1.1|"),
            SearchValue::Token {
                system: Some(Some("urn:oid:2.16.156.10011.1.1".into())),
                code: None
            }
        );
        assert_eq!(
            parse_token(r"a\|b"),
            SearchValue::Token {
                system: None,
                code: Some("a|b".into())
            }
        );
        assert_eq!(
            parse_token(r"s\|x|c\,d"),
            SearchValue::Token {
                system: Some(Some("s|x".into())),
                code: Some("c,d".into())
            }
        );
    }

    #[test]
    fn clauses_and_control_parameters() {
        let req = parse(
            "Observation",
            &[
                ("patient", "Patient/zs"),
                ("code", "http://loinc.org|8480-6,http://loinc.org|8462-4"),
                ("date", "ge2024-01-01"),
                ("date", "lt2024-02"),
                ("_count", "5000"),
                ("_offset", "40"),
                ("_sort", "-date,status"),
                ("_include", "Observation:subject:Patient"),
                ("_revinclude:iterate", "Provenance:patient"),
                ("_format", "json"),
            ],
        );
        assert_eq!(
            req.clauses.len(),
            4,
            "repeated parameters are separate (AND) clauses"
        );
        assert_eq!(req.clauses[1].values.len(), 2, "commas are OR");
        assert_eq!(req.count, Some(MAX_COUNT));
        assert_eq!(req.offset, 40);
        assert_eq!(
            req.sort
                .iter()
                .map(|s| (s.param.name, s.descending))
                .collect::<Vec<_>>(),
            vec![("date", true), ("status", false)]
        );
        assert_eq!(req.include[0].target_type.as_deref(), Some("Patient"));
        assert!(req.revinclude[0].iterate);
        assert_eq!(
            req.clauses[0].values[0],
            SearchValue::Reference {
                resource_type: Some("Patient".into()),
                id: "zs".into()
            }
        );
        let SearchValue::Date { prefix, low, high } = req.clauses[2].values[0] else {
            panic!("date")
        };
        assert_eq!((prefix, high - low), (Prefix::Ge, DAY_MS));
        assert_eq!(parse("Patient", &[]).page_size(), DEFAULT_COUNT);
        let count_only = parse("Patient", &[("_count", "0")]);
        assert!(count_only.summary_count);
        assert!(parse("Patient", &[("_summary", "count")]).summary_count);
    }

    #[test]
    fn bad_values_name_the_parameter() {
        assert_eq!(
            issue_at("Patient", &[("birthdate", "1980-13-01")], false),
            vec!["birthdate"]
        );
        assert_eq!(
            issue_at("Patient", &[("birthdate", "xx1980")], false),
            vec!["birthdate"]
        );
        assert_eq!(
            issue_at("Observation", &[("value-quantity", "gtabc")], false),
            vec!["value-quantity"]
        );
        assert_eq!(
            issue_at("Patient", &[("_count", "-1")], false),
            vec!["_count"]
        );
        assert_eq!(
            issue_at("Patient", &[("_sort", "general-practitioner")], false),
            vec!["_sort"]
        );
        assert_eq!(
            issue_at("Patient", &[("gender", "")], false),
            vec!["gender"]
        );
        assert_eq!(
            issue_at("Observation", &[("patient", "Group/1")], false),
            vec!["patient"]
        );
        assert_eq!(
            issue_at("Observation", &[("code:below", "x")], true),
            vec!["code:below"],
            "modifiers are never ignored"
        );
        assert_eq!(
            issue_at("Observation", &[("_include", "Observation:code")], false),
            vec!["_include"]
        );
        let issues = SearchRequest::parse("Patient", &q(&[("birthdate", "1980-13-01")]), false)
            .expect_err("bad");
        assert!(
            issues[0].diagnostics.contains("UTC+8"),
            "{}",
            issues[0].diagnostics
        );
    }

    #[test]
    fn unknown_parameters_depend_on_handling() {
        assert_eq!(
            issue_at(
                "Patient",
                &[("nickname", "x"), ("subject.name", "y")],
                false
            ),
            vec!["nickname", "subject.name"]
        );
        let req = SearchRequest::parse(
            "Patient",
            &q(&[("nickname", "x"), ("gender", "male")]),
            true,
        )
        .expect("lenient");
        assert_eq!(req.ignored, vec!["nickname"]);
        assert_eq!(req.warnings()[0].severity, crate::Severity::Warning);
        assert_eq!(req.clauses.len(), 1);
    }

    #[test]
    fn date_prefixes_against_brute_force() {
        // Ranges in hours: small enough to enumerate every covered hour.
        const H: i64 = 3_600_000;
        let brute = |p: Prefix, sl: i64, sh: i64, vl: i64, vh: i64| {
            let value: Vec<i64> = (vl..vh).collect();
            let inside = value.iter().all(|x| (sl..sh).contains(x));
            match p {
                Prefix::Eq => inside,
                Prefix::Ne => !inside,
                Prefix::Gt => value.iter().any(|x| *x >= sh),
                Prefix::Lt => value.iter().any(|x| *x < sl),
                Prefix::Ge => value.iter().any(|x| *x >= sh) || inside,
                Prefix::Le => value.iter().any(|x| *x < sl) || inside,
                Prefix::Sa => value.iter().all(|x| *x >= sh),
                Prefix::Eb => value.iter().all(|x| *x < sl),
                Prefix::Ap => value.iter().any(|x| (sl - 24..sh + 24).contains(x)),
            }
        };
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(
                &(0i64..100, 1i64..50, 0i64..100, 1i64..50),
                |(sl, sw, vl, vw)| {
                    for p in Prefix::ALL {
                        let want = brute(p, sl, sl + sw, vl, vl + vw);
                        let got = date_matches(p, sl * H, (sl + sw) * H, vl * H, (vl + vw) * H);
                        prop_assert_eq!(
                            got,
                            want,
                            "{:?} search [{}, {}) value [{}, {})",
                            p,
                            sl,
                            sl + sw,
                            vl,
                            vl + vw
                        );
                    }
                    Ok(())
                },
            )
            .expect("date_matches agrees with the set definitions");
    }

    fn zhang_san() -> Value {
        json!({
            "resourceType": "Patient", "id": "zs",
            "identifier": [{"system": "urn:oid:2.16.156.10011.1.1", "value": "320102198001010015"}],
            "name": [{"text": "张三", "family": "张", "given": ["三"]}, {"family": "Zhang", "given": ["San"]}],
            "gender": "male", "birthDate": "1980-01-01", "active": true,
            "telecom": [{"system": "phone", "value": "13800000000"}]
        })
    }

    fn hit(t: &str, pairs: &[(&str, &str)], resource: &Value) -> bool {
        matches(&parse(t, pairs), resource)
    }

    #[test]
    fn matching_in_memory() {
        let p = zhang_san();
        assert!(hit("Patient", &[("name", "张")], &p));
        assert!(
            hit("Patient", &[("name", "zha")], &p),
            "prefix match, case folded"
        );
        assert!(!hit("Patient", &[("name:exact", "zhang")], &p));
        assert!(hit("Patient", &[("name:exact", "Zhang")], &p));
        assert!(hit("Patient", &[("name:contains", "ang")], &p));
        assert!(hit(
            "Patient",
            &[(
                "identifier",
                "urn:oid:2.16.156.10011.1.1|320102198001010015"
            )],
            &p
        ));
        assert!(!hit(
            "Patient",
            &[("identifier", "|320102198001010015")],
            &p
        ));
        assert!(hit(
            "Patient",
            &[("identifier", "urn:oid:2.16.156.10011.1.1|")],
            &p
        ));
        assert!(hit("Patient", &[("gender", "female,male")], &p));
        assert!(!hit("Patient", &[("gender:not", "male")], &p));
        assert!(hit("Patient", &[("birthdate", "1980")], &p));
        assert!(hit(
            "Patient",
            &[("birthdate", "ge1979-12-31"), ("birthdate", "le1980-01-01")],
            &p
        ));
        assert!(
            !hit("Patient", &[("birthdate", "1980-01-01T00:00:00Z")], &p),
            "a day is not inside an instant"
        );
        assert!(hit("Patient", &[("birthdate", "ap1980-01-02")], &p));
        assert!(hit("Patient", &[("phone", "13800000000")], &p));
        assert!(hit("Patient", &[("email:missing", "true")], &p));
        assert!(!hit("Patient", &[("gender:missing", "true")], &p));
        assert!(hit("Patient", &[("_id", "zs"), ("active", "true")], &p));
        assert!(!hit("Practitioner", &[], &p));
        let obs = json!({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "subject": {"reference": "Patient/zs"},
            "valueQuantity": {"value": 6.2, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"}});
        assert!(hit("Observation", &[("patient", "zs")], &obs));
        assert!(hit("Observation", &[("subject:Patient", "zs")], &obs));
        assert!(hit(
            "Observation",
            &[("value-quantity", "gt6|http://unitsofmeasure.org|mmol/L")],
            &obs
        ));
        assert!(hit(
            "Observation",
            &[("value-quantity", "6.2||mmol/L")],
            &obs
        ));
        assert!(!hit("Observation", &[("value-quantity", "lt6")], &obs));
        assert!(!hit(
            "Observation",
            &[("value-quantity", "6.2|http://unitsofmeasure.org|mg/dL")],
            &obs
        ));
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_queries_never_panics(
            pairs in proptest::collection::vec(("[_a-z:.-]{0,20}|_count|_sort|_include|birthdate|code|value-quantity|patient", "\\PC{0,30}"), 0..6),
            lenient in any::<bool>(),
        ) {
            let pairs: Vec<(String, String)> = pairs;
            if let Ok(req) = SearchRequest::parse("Observation", &pairs, lenient) {
                prop_assert!(req.page_size() <= MAX_COUNT);
                for clause in &req.clauses {
                    prop_assert!(!clause.values.is_empty());
                    for v in &clause.values {
                        if let SearchValue::Date { low, high, .. } = v {
                            prop_assert!(low < high);
                        }
                    }
                }
            }
        }

        #[test]
        fn token_system_and_code_round_trip(system in "[a-z:/.|,]{1,20}", code in "[A-Za-z0-9|,.-]{1,20}") {
            let escape = |s: &str| s.replace('\\', "\\\\").replace('|', "\\|").replace(',', "\\,");
            let text = format!("{}|{}", escape(&system), escape(&code));
            prop_assert_eq!(parse_token(&text), SearchValue::Token { system: Some(Some(system.clone())), code: Some(code.clone()) });
            let parts = split_unescaped(&format!("{text},{text}"), ',');
            prop_assert_eq!(parts.len(), 2);
        }
    }
}
