//! The OpenAPI 3 description of `/api/v1`, served at `/api/openapi.json`.

use serde_json::{Value, json};

/// The error response every area's operations list (RFC 7807).
pub(crate) fn problem() -> Value {
    json!({ "description": "Problem (RFC 7807)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

/// A 200 response with a JSON object, for the areas' path items.
pub(crate) fn object_ok(description: &str) -> Value {
    ok(description, json!({ "type": "object" }))
}

/// A required JSON request body described in words.
pub(crate) fn json_body(description: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "description": description } } } })
}

fn get(summary: &str, params: Value, response: Value) -> Value {
    json!({ "get": {
        "summary": summary,
        "parameters": params,
        "responses": { "200": response, "400": problem(), "401": problem(), "403": problem(), "404": problem() }
    } })
}

fn query(name: &str, required: bool, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": required, "description": description, "schema": { "type": "integer", "minimum": 0 } })
}

/// The document. Paths are relative to the server URL `/api/v1`.
pub fn document() -> Value {
    let mut doc = platform_document();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (_, area) in crate::api::area_routes() {
            paths.extend(area);
        }
    }
    doc
}

/// A path item's problem response for 401, whatever its method.
pub fn unauthorised_response(item: &Value) -> Option<&Value> {
    ["get", "post", "put", "delete"]
        .iter()
        .find_map(|m| item.get(*m))
        .map(|op| &op["responses"]["401"])
}

fn platform_document() -> Value {
    let object = json!({ "type": "object" });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "lifehealth API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON API of the Nanjing life-health innovation platform. Authenticate with `Authorization: Bearer lht_...` (create a token on /account or with `lifehealth token create`). Errors are RFC 7807 problem documents; send `Accept-Language: zh-CN` for Chinese messages."
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "bearer": [] }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Problem": { "type": "object", "properties": {
                    "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                    "detail": { "type": "string" },
                    "errors": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } }
                } },
                "SignedTreeHead": { "type": "object", "properties": {
                    "tree_size": { "type": "integer" }, "root_hash": { "type": "string", "description": "hex SHA-256" },
                    "timestamp": { "type": "integer", "description": "Unix milliseconds, UTC" },
                    "signature": { "type": "string", "description": "base64 Ed25519 over \"lifehealth-sth-v1\" || u64 BE tree_size || i64 BE timestamp || root" }
                } }
            }
        },
        "paths": {
            "/me": get("The signed-in user, organisation, role grants and resident records (`residents.own`, and `residents.represented` for household members who authorised the user)", json!([]), ok("User", object.clone())),
            "/districts": get("Districts and their industry targets, with the seed citation", json!([]), ok("Districts", object.clone())),
            "/organisations": get("All organisations (platform administrators)", json!([]), ok("Organisations", object.clone())),
            "/users": get("All users, mobiles masked (platform administrators)", json!([]), ok("Users", object.clone())),
            "/ledger/tree-head": get("Latest signed tree head and the public key", json!([]), ok("Tree head", object.clone())),
            "/ledger/entries/{seq}": get("One ledger entry (administrators and officials)",
                json!([{ "name": "seq", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 0 } }]), ok("Entry", object.clone())),
            "/ledger/proofs/inclusion": get("RFC 9162 inclusion proof of an entry",
                json!([query("seq", true, "entry number"), query("tree_size", false, "tree size (default: latest)")]), ok("Inclusion proof", object.clone())),
            "/ledger/proofs/consistency": get("RFC 9162 consistency proof between two tree sizes",
                json!([query("first", true, "earlier size (>= 1)"), query("second", false, "later size (default: latest)")]), ok("Consistency proof", object)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_route_is_documented_with_problem_responses() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        let mut routes: Vec<&str> = crate::api::ROUTES.to_vec();
        for (area, _) in crate::api::area_routes() {
            routes.extend_from_slice(area);
        }
        for route in &routes {
            let item = paths
                .get(*route)
                .unwrap_or_else(|| panic!("{route} is not documented"));
            let unauthorised = unauthorised_response(item)
                .unwrap_or_else(|| panic!("{route} documents no method"));
            assert_eq!(
                unauthorised["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{route}"
            );
        }
        assert_eq!(paths.len(), routes.len());
    }
}
