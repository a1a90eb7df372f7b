//! Resource validation: generic R4 rules for every type, structure for the core types.

use serde_json::{Map, Value};

use crate::definitions::{
    Data, Elem, Prim, Ty, datatype_elements, reference_elements, resource_elements,
};
use crate::issue::{Issue, IssueCode};
use crate::primitive::{self, DateError, is_base64, is_code, is_id, is_uri};
use crate::reference::{ReferenceKind, parse_reference};
use crate::resource_type::{CoreType, is_resource_type};

/// Validates a resource, collecting every problem rather than stopping at the first.
///
/// Every type gets the generic rules (known `resourceType`, `id` format, `meta`, no empty
/// objects, arrays or strings, date-named elements well formed); the twelve [`CoreType`]s are
/// also checked element by element against their R4 definitions.
pub fn validate(resource: &Value) -> Result<(), Vec<Issue>> {
    let mut issues = Vec::new();
    validate_resource(resource, None, &mut issues);
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn validate_resource(resource: &Value, prefix: Option<&str>, issues: &mut Vec<Issue>) {
    let Some(obj) = resource.as_object() else {
        let at = prefix.unwrap_or("Resource");
        issues.push(Issue::error(
            IssueCode::Structure,
            at,
            format!(
                "A resource must be a JSON object, not {}.",
                describe(resource)
            ),
        ));
        return;
    };
    let type_name = match obj.get("resourceType") {
        Some(Value::String(t)) if is_resource_type(t) => Some(t.as_str()),
        Some(other) => {
            let at = format!("{}.resourceType", prefix.unwrap_or("Resource"));
            let shown = other
                .as_str()
                .map_or_else(|| describe(other).to_owned(), |s| format!("'{s}'"));
            issues.push(Issue::error(
                IssueCode::Value,
                at,
                format!("resourceType {shown} is not an R4 resource type; names are case-sensitive, e.g. 'Patient', 'Observation'."),
            ));
            None
        }
        None => {
            let at = format!("{}.resourceType", prefix.unwrap_or("Resource"));
            issues.push(Issue::error(
                IssueCode::Required,
                at,
                "resourceType is required and must name an R4 resource type, e.g. 'Patient'.",
            ));
            None
        }
    };
    let root = match prefix {
        Some(p) => p.to_owned(),
        None => type_name.unwrap_or("Resource").to_owned(),
    };
    let core = type_name.and_then(CoreType::parse);

    if obj.is_empty() {
        issues.push(Issue::error(
            IssueCode::Invalid,
            root.clone(),
            "A resource must not be an empty object.",
        ));
    }
    for (key, value) in obj {
        let path = format!("{root}.{key}");
        match key.as_str() {
            "resourceType" => {}
            "id" => match value.as_str() {
                Some(id) if is_id(id) => {}
                _ => issues.push(Issue::error(
                    IssueCode::Value,
                    path,
                    format!("id {value} is not a valid FHIR id: use 1-64 characters from A-Z, a-z, 0-9, '-' and '.'."),
                )),
            },
            "contained" => match value {
                Value::Array(items) if !items.is_empty() => {
                    for (i, item) in items.iter().enumerate() {
                        validate_resource(item, Some(&format!("{path}[{i}]")), issues);
                    }
                }
                _ => issues.push(Issue::error(IssueCode::Structure, path, "contained must be a non-empty array of resources.")),
            },
            _ => {
                walk_member(key, value, &path, core.is_none() && key != "meta", issues);
                let common = match key.as_str() {
                    "meta" => Some(Ty::Data(Data::Meta)),
                    "text" => Some(Ty::Data(Data::Narrative)),
                    "implicitRules" => Some(Ty::Prim(Prim::Uri)),
                    "language" => Some(Ty::Prim(Prim::Code(&[]))),
                    _ => None,
                };
                if let Some(ty) = common {
                    check_value(&Elem { name: "", min: 0, many: false, ty }, ty, value, &path, issues);
                }
            }
        }
    }
    if let Some(core) = core {
        check_object(obj, resource_elements(core), &root, true, issues);
    }
}

type DateCheck = fn(&str) -> Result<(), DateError>;

/// What a date-named element of a type we do not model must look like. Only the names
/// whose type is the same across R4 are used; a dateTime check also admits plain dates.
fn date_check_for(key: &str) -> Option<DateCheck> {
    match key {
        "lastUpdated" | "recorded" => Some(primitive::check_instant),
        "birthDate" => Some(primitive::check_date),
        k if k.ends_with("Instant") => Some(primitive::check_instant),
        "date" | "dateTime" | "authoredOn" | "created" | "start" | "end" | "issued"
        | "occurrenceDateTime" => Some(primitive::check_date_time),
        k if k.ends_with("DateTime") || k.ends_with("Date") => Some(primitive::check_date_time),
        _ => None,
    }
}

/// The rules that hold for every element of every resource.
fn walk_member(key: &str, value: &Value, path: &str, check_dates: bool, issues: &mut Vec<Issue>) {
    let primitive_extension = key.starts_with('_');
    let check_one = |item: &Value, at: &str, issues: &mut Vec<Issue>| {
        match item {
            Value::Null if primitive_extension => {}
            Value::Null => issues.push(Issue::error(
                IssueCode::Invalid,
                at,
                format!("{at} is null; omit an element that has no value."),
            )),
            Value::Array(_) => issues.push(Issue::error(
                IssueCode::Structure,
                at,
                format!("{at} is an array inside an array, which FHIR JSON never uses."),
            )),
            Value::String(s) if check_dates => {
                if let Some(check) = date_check_for(key) {
                    if let Err(e) = check(s).filter_empty(s) {
                        issues.push(Issue::error(IssueCode::Value, at, format!("{at}: {e}.")));
                    }
                }
            }
            _ => {}
        }
        if matches!(key, "extension" | "modifierExtension")
            && !item.get("url").is_some_and(Value::is_string)
        {
            issues.push(Issue::error(
                IssueCode::Required,
                at,
                format!("{at} must be an object with a 'url' naming the extension."),
            ));
        }
        walk_value(item, at, check_dates, issues);
    };
    match value {
        Value::Array(items) if items.is_empty() => {
            issues.push(Issue::error(
                IssueCode::Invalid,
                path,
                format!("{path} is an empty array; omit the element instead."),
            ));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_one(item, &format!("{path}[{i}]"), issues);
            }
        }
        single => check_one(single, path, issues),
    }
}

trait FilterEmpty {
    fn filter_empty(self, s: &str) -> Self;
}

impl FilterEmpty for Result<(), DateError> {
    /// Empty strings are reported once, as empty, not again as a bad date.
    fn filter_empty(self, s: &str) -> Self {
        if s.is_empty() { Ok(()) } else { self }
    }
}

fn walk_value(value: &Value, path: &str, check_dates: bool, issues: &mut Vec<Issue>) {
    match value {
        Value::Object(map) if map.is_empty() => {
            issues.push(Issue::error(IssueCode::Invalid, path, format!("{path} is an empty object; an element must have a value or children, so omit it.")));
        }
        Value::Object(map) => {
            for (key, child) in map {
                walk_member(key, child, &format!("{path}.{key}"), check_dates, issues);
            }
        }
        Value::String(s) if s.is_empty() => {
            issues.push(Issue::error(
                IssueCode::Invalid,
                path,
                format!("{path} is an empty string; omit an element that has no value."),
            ));
        }
        Value::String(s) if s.trim().is_empty() => {
            issues.push(Issue::error(
                IssueCode::Invalid,
                path,
                format!("{path} contains only whitespace; omit it or give a value."),
            ));
        }
        _ => {}
    }
}

/// The element definition a JSON key refers to, and the type it carries there.
fn find_element<'a>(elems: &'a [Elem], key: &str) -> Option<(&'a Elem, Ty)> {
    elems.iter().find_map(|elem| match elem.ty {
        Ty::Choice(options) => {
            let suffix = key.strip_prefix(elem.name)?;
            options
                .iter()
                .find(|(s, _)| *s == suffix)
                .map(|(_, ty)| (elem, *ty))
        }
        ty if elem.name == key => Some((elem, ty)),
        _ => None,
    })
}

fn element_label(elem: &Elem) -> String {
    match elem.ty {
        Ty::Choice(options) => {
            let variants: Vec<String> = options
                .iter()
                .map(|(s, _)| format!("{}{s}", elem.name))
                .collect();
            format!("{}[x] ({})", elem.name, variants.join(", "))
        }
        _ => elem.name.to_owned(),
    }
}

const RESOURCE_COMMON: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "implicitRules",
    "language",
    "text",
    "contained",
];

fn check_object(
    obj: &Map<String, Value>,
    elems: &[Elem],
    path: &str,
    is_resource: bool,
    issues: &mut Vec<Issue>,
) {
    let mut choices_seen: Vec<(&str, &str)> = Vec::new();
    for (key, value) in obj {
        let base = key.strip_prefix('_').unwrap_or(key);
        if matches!(base, "extension" | "modifierExtension")
            || (is_resource && RESOURCE_COMMON.contains(&base))
            || (!is_resource && base == "id")
        {
            if !is_resource && key == "id" && !value.is_string() {
                issues.push(Issue::error(
                    IssueCode::Value,
                    format!("{path}.id"),
                    format!("{path}.id must be a string."),
                ));
            }
            continue;
        }
        let Some((elem, ty)) = find_element(elems, base) else {
            let allowed: Vec<String> = elems.iter().map(element_label).collect();
            issues.push(Issue::error(
                IssueCode::Structure,
                format!("{path}.{key}"),
                format!("Unknown element '{key}' at {path}. Allowed: {}; plus extension and modifierExtension.", allowed.join(", ")),
            ));
            continue;
        };
        if key.starts_with('_') {
            // Primitive extensions carry id/extension only; the generic walk has checked them.
            continue;
        }
        if matches!(elem.ty, Ty::Choice(_)) {
            if let Some((_, first)) = choices_seen.iter().find(|(name, _)| *name == elem.name) {
                issues.push(Issue::error(
                    IssueCode::Structure,
                    format!("{path}.{key}"),
                    format!("{path}.{}[x] may have only one type, but both '{first}' and '{key}' are present.", elem.name),
                ));
            }
            choices_seen.push((elem.name, key));
        }
        check_value(elem, ty, value, &format!("{path}.{key}"), issues);
    }
    for elem in elems.iter().filter(|e| e.min > 0) {
        let present = obj.keys().any(|key| {
            find_element(
                std::slice::from_ref(elem),
                key.strip_prefix('_').unwrap_or(key),
            )
            .is_some()
        });
        if !present {
            let (at, what) = match elem.ty {
                Ty::Choice(_) => (format!("{path}.{}[x]", elem.name), element_label(elem)),
                _ => (format!("{path}.{}", elem.name), elem.name.to_owned()),
            };
            let card = if elem.many { "1..*" } else { "1..1" };
            issues.push(Issue::error(
                IssueCode::Required,
                at,
                format!("{path}.{what} is required (cardinality {card}) but missing."),
            ));
        }
    }
}

fn check_value(elem: &Elem, ty: Ty, value: &Value, path: &str, issues: &mut Vec<Issue>) {
    match value {
        Value::Array(items) if elem.many => {
            for (i, item) in items.iter().enumerate() {
                check_single(ty, item, &format!("{path}[{i}]"), issues);
            }
        }
        Value::Array(_) => {
            issues.push(Issue::error(
                IssueCode::Structure,
                path,
                format!("{path} takes a single value (cardinality ..1), not an array."),
            ));
        }
        _ if elem.many => {
            issues.push(Issue::error(
                IssueCode::Structure,
                path,
                format!(
                    "{path} repeats (cardinality ..*), so it must be a JSON array, not {}.",
                    describe(value)
                ),
            ));
        }
        single => check_single(ty, single, path, issues),
    }
}

fn data_name(data: Data) -> &'static str {
    match data {
        Data::Identifier => "Identifier",
        Data::HumanName => "HumanName",
        Data::ContactPoint => "ContactPoint",
        Data::Address => "Address",
        Data::CodeableConcept => "CodeableConcept",
        Data::Coding => "Coding",
        Data::Quantity => "Quantity",
        Data::SimpleQuantity => "SimpleQuantity",
        Data::Period => "Period",
        Data::Range => "Range",
        Data::Ratio => "Ratio",
        Data::Annotation => "Annotation",
        Data::Attachment => "Attachment",
        Data::Dosage => "Dosage",
        Data::Timing => "Timing",
        Data::Narrative => "Narrative",
        Data::Meta => "Meta",
    }
}

fn check_single(ty: Ty, value: &Value, path: &str, issues: &mut Vec<Issue>) {
    if value.is_null() {
        return; // reported by the generic walk
    }
    let object = |what: &str, issues: &mut Vec<Issue>| -> Option<&Map<String, Value>> {
        let obj = value.as_object();
        if obj.is_none() {
            issues.push(Issue::error(
                IssueCode::Structure,
                path,
                format!(
                    "{path} must be an object ({what}), not {}.",
                    describe(value)
                ),
            ));
        }
        obj.filter(|o| !o.is_empty())
    };
    match ty {
        Ty::Prim(prim) => check_primitive(prim, value, path, issues),
        Ty::Data(data) => {
            if let Some(obj) = object(data_name(data), issues) {
                check_object(obj, datatype_elements(data), path, false, issues);
                check_invariants(data, obj, path, issues);
            }
        }
        Ty::Reference(targets) => {
            if let Some(obj) = object("Reference", issues) {
                check_object(obj, reference_elements(), path, false, issues);
                check_reference(obj, targets, path, issues);
            }
        }
        Ty::Bound { system, codes } => {
            if let Some(obj) = object("CodeableConcept", issues) {
                check_object(
                    obj,
                    datatype_elements(Data::CodeableConcept),
                    path,
                    false,
                    issues,
                );
                check_bound(obj, system, codes, path, issues);
            }
        }
        Ty::Backbone(elems) => {
            if let Some(obj) = object("BackboneElement", issues) {
                check_object(obj, elems, path, false, issues);
            }
        }
        Ty::Choice(_) | Ty::Any => {}
    }
}

fn check_primitive(prim: Prim, value: &Value, path: &str, issues: &mut Vec<Issue>) {
    let mut fail = |code: IssueCode, why: String| {
        issues.push(Issue::error(code, path, format!("{path}: {why}")))
    };
    let text = value.as_str();
    if text == Some("") {
        return; // reported by the generic walk
    }
    let need_string = |fail: &mut dyn FnMut(IssueCode, String), kind: &str| {
        fail(
            IssueCode::Value,
            format!("a {kind} must be a JSON string, not {}.", describe(value)),
        );
    };
    match prim {
        Prim::Boolean if !value.is_boolean() => fail(IssueCode::Value, format!("must be a JSON boolean (true or false), not {}.", describe(value))),
        Prim::Integer | Prim::PositiveInt | Prim::UnsignedInt => {
            let min = match prim {
                Prim::PositiveInt => 1,
                Prim::UnsignedInt => 0,
                _ => i64::from(i32::MIN),
            };
            match value.as_i64() {
                Some(n) if n >= min && n <= i64::from(i32::MAX) => {}
                _ => fail(IssueCode::Value, format!("must be a JSON integer from {min} to {}, not {value}.", i32::MAX)),
            }
        }
        Prim::Decimal if !value.is_number() => fail(IssueCode::Value, format!("must be a JSON number, not {}.", describe(value))),
        Prim::Boolean | Prim::Decimal => {}
        Prim::String => {
            if text.is_none() {
                need_string(&mut fail, "string");
            }
        }
        Prim::Xhtml => match text {
            Some(t) if t.trim_start().starts_with("<div") => {}
            Some(_) => fail(IssueCode::Value, "narrative must be XHTML wrapped in a <div xmlns=\"http://www.w3.org/1999/xhtml\"> element.".into()),
            None => need_string(&mut fail, "xhtml"),
        },
        Prim::Code(codes) => match text {
            Some(t) if !is_code(t) => fail(IssueCode::Value, format!("'{t}' is not a valid code: no leading, trailing or repeated whitespace.")),
            Some(t) if !codes.is_empty() && !codes.contains(&t) => {
                fail(IssueCode::CodeInvalid, format!("'{t}' is not an allowed code; allowed: {}.", codes.join(" | ")));
            }
            Some(_) => {}
            None => need_string(&mut fail, "code"),
        },
        Prim::Id => match text {
            Some(t) if is_id(t) => {}
            Some(t) => fail(IssueCode::Value, format!("'{t}' is not a valid id: 1-64 characters from A-Z, a-z, 0-9, '-' and '.'.")),
            None => need_string(&mut fail, "id"),
        },
        Prim::Uri => match text {
            Some(t) if is_uri(t) => {}
            Some(t) => fail(IssueCode::Value, format!("'{t}' is not a valid uri: it must not contain whitespace.")),
            None => need_string(&mut fail, "uri"),
        },
        Prim::Base64 => match text {
            Some(t) if is_base64(t) => {}
            Some(_) => fail(IssueCode::Value, "is not valid base64.".into()),
            None => need_string(&mut fail, "base64Binary"),
        },
        Prim::Date | Prim::DateTime | Prim::Instant | Prim::Time => {
            let Some(t) = text else {
                need_string(&mut fail, "date/time");
                return;
            };
            let check = match prim {
                Prim::Date => primitive::check_date,
                Prim::DateTime => primitive::check_date_time,
                Prim::Instant => primitive::check_instant,
                _ => primitive::check_time,
            };
            if let Err(e) = check(t) {
                fail(IssueCode::Value, format!("{e}."));
            }
        }
    }
}

fn check_reference(
    obj: &Map<String, Value>,
    targets: &[&str],
    path: &str,
    issues: &mut Vec<Issue>,
) {
    if let Some(Value::String(text)) = obj.get("reference") {
        if text.is_empty() {
            return;
        }
        let parsed = parse_reference(text);
        let at = format!("{path}.reference");
        if parsed.kind == ReferenceKind::Invalid {
            issues.push(Issue::error(
                IssueCode::Value,
                at,
                format!("'{text}' is not a valid reference; use Type/id, Type/id/_history/version, urn:uuid:<uuid>, #<contained id> or an absolute URL."),
            ));
        } else if let Some(t) = parsed.resource_type.as_deref() {
            if !targets.is_empty() && !targets.contains(&t) {
                issues.push(Issue::error(
                    IssueCode::Value,
                    at,
                    format!(
                        "{path} may refer to {} but refers to a {t}.",
                        targets.join(" | ")
                    ),
                ));
            }
        }
    }
    if let Some(Value::String(t)) = obj.get("type") {
        if !t.is_empty() && !is_resource_type(t) && !t.contains("://") {
            issues.push(Issue::error(
                IssueCode::Value,
                format!("{path}.type"),
                format!("'{t}' is not a resource type."),
            ));
        }
    }
}

fn check_bound(
    obj: &Map<String, Value>,
    system: &str,
    codes: &[&str],
    path: &str,
    issues: &mut Vec<Issue>,
) {
    let codings = obj
        .get("coding")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut from_system = false;
    for (i, coding) in codings.iter().enumerate() {
        if coding.get("system").and_then(Value::as_str) != Some(system) {
            continue;
        }
        from_system = true;
        match coding.get("code").and_then(Value::as_str) {
            Some(c) if codes.contains(&c) => {}
            Some(c) => issues.push(Issue::error(
                IssueCode::CodeInvalid,
                format!("{path}.coding[{i}].code"),
                format!(
                    "'{c}' is not in the required value set ({system}); allowed: {}.",
                    codes.join(" | ")
                ),
            )),
            None => issues.push(Issue::error(
                IssueCode::Required,
                format!("{path}.coding[{i}].code"),
                format!("A coding from {system} needs a code."),
            )),
        }
    }
    if !from_system {
        issues.push(Issue::error(
            IssueCode::CodeInvalid,
            format!("{path}.coding"),
            format!("{path} has a required binding: include a coding with system {system} and one of {}.", codes.join(" | ")),
        ));
    }
}

fn check_invariants(data: Data, obj: &Map<String, Value>, path: &str, issues: &mut Vec<Issue>) {
    let text = |key: &str| obj.get(key).and_then(Value::as_str);
    match data {
        Data::Period => {
            if let (Some(start), Some(end)) = (text("start"), text("end")) {
                if let (Ok((low, _)), Ok((_, high))) =
                    (primitive::date_range(start), primitive::date_range(end))
                {
                    if high <= low {
                        issues.push(Issue::error(
                            IssueCode::Invariant,
                            path,
                            format!("per-1: {path}.start ({start}) must not be after end ({end})."),
                        ));
                    }
                }
            }
        }
        Data::ContactPoint if obj.contains_key("value") && !obj.contains_key("system") => {
            issues.push(Issue::error(
                IssueCode::Invariant,
                format!("{path}.system"),
                "cpt-2: a ContactPoint with a value needs a system (phone, email, …).",
            ));
        }
        Data::Quantity | Data::SimpleQuantity
            if obj.contains_key("code") && !obj.contains_key("system") =>
        {
            issues.push(Issue::error(
                IssueCode::Invariant,
                format!("{path}.system"),
                "qty-3: a Quantity with a code needs a system, e.g. http://unitsofmeasure.org.",
            ));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expressions(resource: &Value) -> Vec<String> {
        match validate(resource) {
            Ok(()) => Vec::new(),
            Err(issues) => issues.into_iter().map(|i| i.expression).collect(),
        }
    }

    fn zhang_san() -> Value {
        json!({
            "resourceType": "Patient",
            "id": "zhang-san",
            "meta": {"versionId": "1", "lastUpdated": "2024-05-01T09:30:00+08:00"},
            "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">张三</div>"},
            "identifier": [{
                "use": "official",
                "system": "urn:oid:2.16.156.10011.1.1",
                "value": "320102198001010015"
            }],
            "active": true,
            "name": [{"use": "official", "text": "张三", "family": "张", "given": ["三"]},
                     {"use": "usual", "family": "Zhang", "given": ["San"]}],
            "telecom": [{"system": "phone", "value": "13800000000", "use": "mobile"}],
            "gender": "male",
            "birthDate": "1980-01-01",
            "address": [{"use": "home", "line": ["中山路 1 号"], "city": "南京市", "district": "鼓楼区", "state": "江苏省", "postalCode": "210008", "country": "CN"}],
            "managingOrganization": {"reference": "Organization/gulou-hospital", "display": "南京鼓楼医院"},
            "_birthDate": {"extension": [{"url": "http://example.org/precision", "valueCode": "day"}]}
        })
    }

    #[test]
    fn a_realistic_chinese_patient_is_valid() {
        assert_eq!(validate(&zhang_san()), Ok(()));
    }

    #[test]
    fn every_problem_in_a_patient_is_reported_at_its_element() {
        let mut p = zhang_san();
        p["gender"] = json!("M");
        p["birthDate"] = json!("1980-02-30");
        p["name"] = json!({"family": "张"});
        p["nickname"] = json!("小三");
        p["id"] = json!("zhang_san");
        p["telecom"][0]["system"] = json!("wechat");
        p["address"][0]["city"] = json!("");
        p["meta"]["lastUpdated"] = json!("2024-05-01");
        p["deceasedBoolean"] = json!(false);
        p["deceasedDateTime"] = json!("2020-01-01");
        let got = expressions(&p);
        for want in [
            "Patient.gender",
            "Patient.birthDate",
            "Patient.name",
            "Patient.nickname",
            "Patient.id",
            "Patient.telecom[0].system",
            "Patient.address[0].city",
            "Patient.meta.lastUpdated",
            "Patient.deceasedDateTime",
        ] {
            assert!(got.iter().any(|e| e == want), "missing {want} in {got:?}");
        }
        assert_eq!(got.len(), 9, "one issue per problem: {got:?}");
        let issues = validate(&p).expect_err("invalid");
        let gender = issues
            .iter()
            .find(|i| i.expression == "Patient.gender")
            .expect("gender issue");
        assert!(
            gender
                .diagnostics
                .contains("male | female | other | unknown"),
            "{}",
            gender.diagnostics
        );
    }

    fn glucose() -> Value {
        json!({
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "15074-8", "display": "Glucose"}], "text": "血糖"},
            "subject": {"reference": "Patient/zhang-san"},
            "effectiveDateTime": "2024-05-01T08:00:00+08:00",
            "valueQuantity": {"value": 6.2, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"},
            "component": [
                {"code": {"text": "fasting"}, "valueBoolean": true},
                {"code": {"text": "method"}, "valueString": "enzymatic"}
            ]
        })
    }

    #[test]
    fn observation_structure() {
        assert_eq!(validate(&glucose()), Ok(()));
        let mut o = glucose();
        o.as_object_mut().expect("object").remove("status");
        o["code"] = json!([{"text": "glucose"}]);
        o["component"][1] = json!({"valueString": "x"});
        o["valueString"] = json!("high");
        o["subject"] = json!({"reference": "Practitioner/d1"});
        o["effectiveDateTime"] = json!("2024-05-01T08:00:00");
        let got = expressions(&o);
        for want in [
            "Observation.status",
            "Observation.code",
            "Observation.component[1].code",
            "Observation.valueString",
            "Observation.subject.reference",
            "Observation.effectiveDateTime",
        ] {
            assert!(got.iter().any(|e| e == want), "missing {want} in {got:?}");
        }
        assert_eq!(got.len(), 6, "{got:?}");
    }

    #[test]
    fn condition_bindings_use_their_code_systems() {
        let condition = json!({
            "resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL_SYSTEM, "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11.9", "display": "2型糖尿病"}]},
            "subject": {"reference": "Patient/zhang-san"},
            "onsetDateTime": "2019-03",
            "note": [{"text": "饮食控制"}]
        });
        assert_eq!(validate(&condition), Ok(()));
        let mut bad = condition.clone();
        bad["clinicalStatus"]["coding"][0]["code"] = json!("cured");
        bad["verificationStatus"] = json!({"text": "确诊"});
        bad.as_object_mut().expect("object").remove("subject");
        bad["note"][0] = json!({"authorString": "李医生"});
        let got = expressions(&bad);
        assert_eq!(
            got,
            vec![
                "Condition.clinicalStatus.coding[0].code",
                "Condition.note[0].text",
                "Condition.verificationStatus.coding",
                "Condition.subject"
            ]
        );
    }

    const CONDITION_CLINICAL_SYSTEM: &str =
        "http://terminology.hl7.org/CodeSystem/condition-clinical";

    #[test]
    fn required_elements_of_every_core_type() {
        let cases: &[(&str, &[&str])] = &[
            ("Encounter", &["Encounter.status", "Encounter.class"]),
            ("Condition", &["Condition.subject"]),
            ("Observation", &["Observation.status", "Observation.code"]),
            (
                "MedicationRequest",
                &[
                    "MedicationRequest.status",
                    "MedicationRequest.intent",
                    "MedicationRequest.medication[x]",
                    "MedicationRequest.subject",
                ],
            ),
            (
                "MedicationStatement",
                &[
                    "MedicationStatement.status",
                    "MedicationStatement.medication[x]",
                    "MedicationStatement.subject",
                ],
            ),
            ("Procedure", &["Procedure.status", "Procedure.subject"]),
            (
                "CarePlan",
                &["CarePlan.status", "CarePlan.intent", "CarePlan.subject"],
            ),
            (
                "Consent",
                &["Consent.status", "Consent.scope", "Consent.category"],
            ),
            (
                "AuditEvent",
                &[
                    "AuditEvent.type",
                    "AuditEvent.recorded",
                    "AuditEvent.agent",
                    "AuditEvent.source",
                ],
            ),
            ("Patient", &[]),
            ("Practitioner", &[]),
            ("Organization", &[]),
        ];
        for (t, want) in cases {
            let got = expressions(&json!({"resourceType": t, "id": "x1"}));
            assert_eq!(&got, want, "{t}");
        }
    }

    #[test]
    fn medication_request_with_dosage() {
        let mr = json!({
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": "urn:oid:2.16.156.10011.2.5.1.8", "code": "X-A10BA02", "display": "二甲双胍片"}]},
            "subject": {"reference": "urn:uuid:9b4bd6d3-4ea7-4c7b-8a45-1c2e1b4a3f10"},
            "authoredOn": "2024-05-01T10:00:00+08:00",
            "requester": {"reference": "Practitioner/li-si"},
            "dosageInstruction": [{
                "text": "每日两次，每次 0.5 g",
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                "route": {"text": "口服"},
                "doseAndRate": [{"doseQuantity": {"value": 0.5, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"}}]
            }]
        });
        assert_eq!(validate(&mr), Ok(()));
        let mut bad = mr.clone();
        bad["intent"] = json!("prescription");
        bad["medicationReference"] = json!({"reference": "Medication/m1"});
        bad["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = json!("0.5");
        bad["dosageInstruction"][0]["sequence"] = json!(1.5);
        let got = expressions(&bad);
        for want in [
            "MedicationRequest.intent",
            "MedicationRequest.medicationReference",
            "MedicationRequest.dosageInstruction[0].doseAndRate[0].doseQuantity.value",
            "MedicationRequest.dosageInstruction[0].sequence",
        ] {
            assert!(got.iter().any(|e| e == want), "missing {want} in {got:?}");
        }
        assert_eq!(got.len(), 4, "{got:?}");
    }

    #[test]
    fn generic_rules_apply_to_every_type() {
        for t in crate::ALL_RESOURCE_TYPES {
            let minimal = json!({"resourceType": t, "id": "min-1"});
            if CoreType::parse(t).is_none() {
                assert_eq!(validate(&minimal), Ok(()), "{t}");
            }
        }
        let bad = json!({
            "resourceType": "Immunization",
            "id": "x".repeat(65),
            "meta": {"versionId": "v 1", "lastUpdated": "yesterday"},
            "occurrenceDateTime": "2024-13-01",
            "note": [],
            "patient": {},
            "lotNumber": "",
            "extension": [{"valueString": "no url"}]
        });
        let got = expressions(&bad);
        for want in [
            "Immunization.id",
            "Immunization.meta.versionId",
            "Immunization.meta.lastUpdated",
            "Immunization.occurrenceDateTime",
            "Immunization.note",
            "Immunization.patient",
            "Immunization.lotNumber",
            "Immunization.extension[0]",
        ] {
            assert!(got.iter().any(|e| e == want), "missing {want} in {got:?}");
        }
        assert_eq!(got.len(), 8, "{got:?}");
    }

    #[test]
    fn resource_type_and_shape() {
        assert_eq!(expressions(&json!([])), vec!["Resource"]);
        assert_eq!(
            expressions(&json!({"id": "a"})),
            vec!["Resource.resourceType"]
        );
        assert_eq!(
            expressions(&json!({"resourceType": "patient"})),
            vec!["Resource.resourceType"]
        );
        assert_eq!(
            expressions(&json!({"resourceType": "DomainResource"})),
            vec!["Resource.resourceType"]
        );
    }

    #[test]
    fn contained_resources_are_validated_in_place() {
        let mut p = zhang_san();
        p["contained"] = json!([{"resourceType": "Organization", "id": "o1", "name": "社区卫生服务中心", "active": "yes"}]);
        assert_eq!(expressions(&p), vec!["Patient.contained[0].active"]);
    }

    #[test]
    fn references_and_periods() {
        let enc = json!({
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": {"reference": "Patient/zhang-san"},
            "period": {"start": "2024-05-01T10:00:00+08:00", "end": "2024-05-01T09:00:00+08:00"},
            "participant": [{"individual": {"reference": "Patient?identifier=1"}}],
            "serviceProvider": {"reference": "https://fhir.example.cn/Organization/o1"}
        });
        let got = expressions(&enc);
        assert_eq!(
            got,
            vec![
                "Encounter.participant[0].individual.reference",
                "Encounter.period"
            ]
        );
    }
}
