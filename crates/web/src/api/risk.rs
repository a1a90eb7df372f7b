//! `/api/v1` routes of the risk area. Each area lists its routes and documents them in
//! OpenAPI itself; `api::router` and `openapi::document` merge them.
//!
//! `POST /risk/china-par`: the calculator's what-if for machines. The body is the calculator's
//! input as JSON; the answer is the risk, its band, each factor's part, what raises it and
//! what reaching each target would give. A field of the wrong type, an unknown field, a value
//! out of range, an age outside 35–74 or existing ASCVD is a 422 problem document naming the
//! field. Nothing is stored or logged.

use access::FieldError;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use risk::china_par::Input;
use serde_json::{Map, Value, json};

use crate::ctx::Signed;
use crate::error::AppError;
use crate::pages::risk::calculator::access_error;
use crate::state::AppState;

/// The routes of this area, relative to `/api/v1`.
pub const ROUTES: &[&str] = &["/risk/china-par"];

pub fn router() -> Router<AppState> {
    Router::new().route(ROUTES[0], post(china_par))
}

/// Numbers, flags and the rest of the input, by JSON property.
const NUMBERS: [&str; 5] = [
    "age",
    "sbp_mmhg",
    "total_cholesterol",
    "hdl_cholesterol",
    "waist_cm",
];
const FLAGS: [&str; 7] = [
    "on_bp_treatment",
    "smoker",
    "diabetes",
    "north",
    "urban",
    "family_history",
    "has_ascvd",
];

/// Checks the JSON's shape field by field, so each problem names its field (serde's own
/// messages name a line and column instead).
fn shape_errors(body: &Value) -> Result<Vec<FieldError>, AppError> {
    let Some(object) = body.as_object() else {
        return Err(AppError::BadRequest {
            zh: "请求体应为 JSON 对象".into(),
            en: "the body must be a JSON object".into(),
        });
    };
    let mut errors = Vec::new();
    for (key, value) in object {
        let known = |list: &[&'static str]| list.iter().copied().find(|k| *k == key);
        if let Some(field) = known(&NUMBERS) {
            if !(value.is_null() || value.is_number()) {
                errors.push(FieldError::new(
                    field,
                    format!("{field} 应为数字"),
                    format!("{field} must be a number"),
                ));
            }
        } else if let Some(field) = known(&FLAGS) {
            if !value.is_boolean() {
                errors.push(FieldError::new(
                    field,
                    format!("{field} 应为 true 或 false"),
                    format!("{field} must be true or false"),
                ));
            }
        } else if key == "sex" {
            if !(value.is_null() || matches!(value.as_str(), Some("male" | "female"))) {
                errors.push(FieldError::new(
                    "sex",
                    "sex 应为 \"male\" 或 \"female\"",
                    "sex must be \"male\" or \"female\"",
                ));
            }
        } else if key == "cholesterol_unit" {
            if !matches!(value.as_str(), Some("mmol/L" | "mg/dL")) {
                errors.push(FieldError::new(
                    "cholesterol_unit",
                    "cholesterol_unit 应为 \"mmol/L\" 或 \"mg/dL\"",
                    "cholesterol_unit must be \"mmol/L\" or \"mg/dL\"",
                ));
            }
        } else {
            errors.push(FieldError::new(
                "body",
                format!("未知字段 {key}；可用字段见 /api/openapi.json"),
                format!("unknown field {key}; the fields are listed in /api/openapi.json"),
            ));
        }
    }
    Ok(errors)
}

async fn china_par(
    State(_app): State<AppState>,
    Signed { ctx, user }: Signed,
    body: Bytes,
) -> Response {
    // The calculator's audience: the roles that read health records (clinicians, residents).
    if crate::pages::registry::actor(&user).read.is_none() {
        return ctx.api_error(AppError::Forbidden).into_response();
    }
    let model = match crate::pages::risk::model() {
        Ok(m) => m,
        Err(e) => return ctx.api_error(e).into_response(),
    };
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return ctx
                .api_error(AppError::BadRequest {
                    zh: format!("请求体不是有效的 JSON：{e}"),
                    en: format!("the body is not valid JSON: {e}"),
                })
                .into_response();
        }
    };
    match shape_errors(&value) {
        Ok(errors) if errors.is_empty() => {}
        Ok(errors) => return ctx.api_error(AppError::Invalid(errors)).into_response(),
        Err(e) => return ctx.api_error(e).into_response(),
    }
    let input: Input = match serde_json::from_value(value) {
        Ok(i) => i,
        Err(e) => {
            return ctx
                .api_error(AppError::BadRequest {
                    zh: format!("无法读取输入：{e}"),
                    en: format!("the input could not be read: {e}"),
                })
                .into_response();
        }
    };
    match model.assess(&input) {
        Ok(assessment) => Json(json!({
            "assessment": assessment,
            "stored": false,
        }))
        .into_response(),
        Err(refusal) => ctx
            .api_error(AppError::Invalid(
                refusal
                    .field_errors()
                    .into_iter()
                    .map(access_error)
                    .collect(),
            ))
            .into_response(),
    }
}

fn problem() -> Value {
    json!({ "description": "Problem (RFC 7807)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

/// The OpenAPI path items of [`ROUTES`].
pub fn paths() -> Map<String, Value> {
    let number = |d: &str| json!({ "type": "number", "description": d });
    let flag = |d: &str| json!({ "type": "boolean", "default": false, "description": d });
    let input = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["sex", "age", "sbp_mmhg", "total_cholesterol", "hdl_cholesterol", "waist_cm"],
        "properties": {
            "sex": { "type": "string", "enum": ["male", "female"] },
            "age": number("years; the model is valid for 35-74 (whole years)"),
            "sbp_mmhg": number("systolic blood pressure, mmHg (plausible 60-260)"),
            "on_bp_treatment": flag("taking antihypertensive drugs"),
            "total_cholesterol": number("total cholesterol in cholesterol_unit (1-20 mmol/L)"),
            "hdl_cholesterol": number("HDL cholesterol in cholesterol_unit (0.2-5 mmol/L)"),
            "cholesterol_unit": { "type": "string", "enum": ["mmol/L", "mg/dL"], "default": "mmol/L" },
            "waist_cm": number("waist circumference, cm (40-200)"),
            "smoker": flag("current smoker"),
            "diabetes": flag("diabetes"),
            "north": flag("lives north of the Yangtze"),
            "urban": flag("lives in a city (men's equation only)"),
            "family_history": flag("a parent or sibling had ASCVD (men's equation only)"),
            "has_ascvd": flag("already has ASCVD: the model does not apply (422)")
        }
    });
    let mut paths = Map::new();
    paths.insert(
        ROUTES[0].to_owned(),
        json!({ "post": {
            "summary": "China-PAR 10-year ASCVD risk for the factors given (a what-if: nothing is stored or logged); clinicians and residents",
            "requestBody": { "required": true, "content": { "application/json": { "schema": input } } },
            "responses": {
                "200": { "description": "The risk (risk_percent), its band (2019 guideline), each factor's part (contributions), what raises it (raises) and what reaching each target would give (lowers, all_targets)",
                    "content": { "application/json": { "schema": { "type": "object", "properties": {
                        "assessment": { "type": "object" }, "stored": { "type": "boolean", "enum": [false] } } } } } },
                "400": problem(), "401": problem(), "403": problem(),
                "422": problem()
            }
        } }),
    );
    paths
}
