//! `/api/v1` routes of the research area, for researchers' scripts (bearer tokens): submit a
//! request, read its state, list one's requests, download the release and its data
//! dictionary, run an aggregate query. Errors are RFC 7807 problems with the statuses the
//! `research` crate suggests (ADR 0011): invalid input 422 (with an `errors` array naming each
//! field), an action the state does not allow 409, a steward's own request 403, someone
//! else's or an unknown request 404, a release whose access has ended or was withdrawn 410, a
//! release or query that cannot be made safely 422.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kernel::UtcMillis;
use research::{Cell, Cohort, Release, RequestFilter, RequestForm, ResearchRequest, Table};
use serde_json::{Map, Value, json};

use crate::ctx::Signed;
use crate::error::AppError;
use crate::pages::research::{
    Failure, ReleaseFile, actor, download, may_request, run_query, visible_request,
};
use crate::state::AppState;

/// The routes of this area, relative to `/api/v1`.
pub const ROUTES: &[&str] = &[
    "/research/requests",
    "/research/requests/{id}",
    "/research/requests/{id}/extract.csv",
    "/research/requests/{id}/dictionary.csv",
    "/research/aggregate",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(list).post(submit))
        .route(ROUTES[1], get(one))
        .route(ROUTES[2], get(extract))
        .route(ROUTES[3], get(dictionary))
        .route(ROUTES[4], post(aggregate))
}

/// The body as a JSON object, or a 400 problem.
fn object(body: &Bytes) -> Result<Map<String, Value>, Failure> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(AppError::BadRequest {
            zh: "请求体应为 JSON 对象（Content-Type: application/json）".into(),
            en: "The body must be a JSON object (Content-Type: application/json)".into(),
        }
        .into()),
    }
}

/// A text field: strings as they are, numbers written out, anything else empty (so the
/// validation says what is missing).
fn text(body: &Map<String, Value>, key: &str) -> String {
    match body.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A list field: an array of strings (or one string).
fn strings(body: &Map<String, Value>, key: &str) -> Vec<String> {
    match body.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn cohort_json(c: &Cohort) -> Value {
    json!({
        "diseases": c.diseases,
        "age_min": c.ages.map(|a| a.min),
        "age_max": c.ages.map(|a| a.max),
        "districts": c.districts,
        "enrolled_from": c.enrolled_from.map(|d| d.to_string()),
        "enrolled_to": c.enrolled_to.map(|d| d.to_string()),
    })
}

fn request_json(r: &ResearchRequest) -> Value {
    json!({
        "id": r.id,
        "state": r.state.code(),
        "requester_id": r.requester_id,
        "organisation_id": r.organisation_id,
        "cohort": cohort_json(&r.cohort),
        "variables": r.variables.iter().map(|f| f.key()).collect::<Vec<_>>(),
        "purpose": r.purpose,
        "ethics_reference": r.ethics_reference,
        "submitted_at": r.submitted_at.to_rfc3339(),
        "steward_id": r.steward_id,
        "decided_at": r.decided_at.map(UtcMillis::to_rfc3339),
        "reasons": r.reasons,
        "access_until": r.access_until.map(|d| d.to_string()),
        "links": { "self": format!("/api/v1/research/requests/{}", r.id) },
    })
}

fn release_json(request_id: &str, r: &Release, downloads: u64) -> Value {
    json!({
        "id": r.id,
        "released_at": r.released_at.to_rfc3339(),
        "reference_date": r.reference_date.to_string(),
        "k": r.k,
        "cohort_rows": r.cohort_rows,
        "released_rows": r.released_rows,
        "suppressed_rows": r.suppressed_rows,
        "generalisation": r.generalisation,
        "extract_sha256": r.extract_sha256,
        "dictionary_sha256": r.dictionary_sha256,
        "ledger_seq": r.ledger_seq,
        "downloads": downloads,
        "links": {
            "inclusion_proof": format!("/api/v1/ledger/proofs/inclusion?seq={}", r.ledger_seq),
            "extract": format!("/api/v1/research/requests/{request_id}/extract.csv"),
            "dictionary": format!("/api/v1/research/requests/{request_id}/dictionary.csv"),
        },
    })
}

/// `GET /research/requests`: the caller's requests, newest first.
async fn list(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    if !may_request(&user) {
        return Failure::from(AppError::Forbidden).problem(ctx.lang);
    }
    match app
        .research
        .requests(&RequestFilter {
            requester_id: Some(user.user_id.clone()),
            ..RequestFilter::default()
        })
        .await
    {
        Ok(requests) => Json(json!({
            "total": requests.len(),
            "items": requests.iter().map(request_json).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => Failure::from(e).problem(ctx.lang),
    }
}

/// `POST /research/requests`: a new request; 201 with the request and its `Location`.
async fn submit(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    body: Bytes,
) -> Response {
    if !may_request(&user) {
        return Failure::from(AppError::Forbidden).problem(ctx.lang);
    }
    let body = match object(&body) {
        Ok(b) => b,
        Err(f) => return f.problem(ctx.lang),
    };
    let form = RequestForm {
        diseases: strings(&body, "diseases"),
        age_min: text(&body, "age_min"),
        age_max: text(&body, "age_max"),
        districts: strings(&body, "districts"),
        enrolled_from: text(&body, "enrolled_from"),
        enrolled_to: text(&body, "enrolled_to"),
        variables: strings(&body, "variables"),
        purpose: text(&body, "purpose"),
        ethics_reference: text(&body, "ethics_reference"),
    };
    match app
        .research
        .submit(&form, &actor(&user), UtcMillis::now())
        .await
    {
        Ok(request) => {
            let mut response = (StatusCode::CREATED, Json(request_json(&request))).into_response();
            if let Ok(v) =
                HeaderValue::from_str(&format!("/api/v1/research/requests/{}", request.id))
            {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        Err(e) => Failure::from(e).problem(ctx.lang),
    }
}

/// `GET /research/requests/{id}`: the request, its history and its release.
async fn one(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let request = match visible_request(&app, &user, &id).await {
        Ok(r) => r,
        Err(f) => return f.problem(ctx.lang),
    };
    let details = async {
        let history = app.research.history(&id).await?;
        let release = match app.research.release_of(&id).await? {
            Some(r) => {
                let downloads = app.research.downloads(&r.id).await?;
                Some(release_json(&id, &r, downloads))
            }
            None => None,
        };
        Ok::<_, research::ResearchError>((history, release))
    };
    match details.await {
        Ok((history, release)) => {
            let mut body = request_json(&request);
            body["history"] = history
                .iter()
                .map(|e| {
                    json!({
                        "state": e.state.code(),
                        "actor_id": e.actor_id,
                        "at": e.at.to_rfc3339(),
                        "reasons": e.reasons,
                        "ledger_seq": e.ledger_seq,
                    })
                })
                .collect();
            body["release"] = release.unwrap_or(Value::Null);
            Json(body).into_response()
        }
        Err(e) => Failure::from(e).problem(ctx.lang),
    }
}

/// `GET /research/requests/{id}/extract.csv`.
async fn extract(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    download(&app, &user, &id, ReleaseFile::Extract)
        .await
        .unwrap_or_else(|f| f.problem(ctx.lang))
}

/// `GET /research/requests/{id}/dictionary.csv`.
async fn dictionary(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    download(&app, &user, &id, ReleaseFile::Dictionary)
        .await
        .unwrap_or_else(|f| f.problem(ctx.lang))
}

fn cell_json(cell: &Cell, k: u32) -> Value {
    match cell {
        Cell::Shown { count, mean } => json!({ "count": count, "mean": mean }),
        Cell::Suppressed => json!({ "suppressed": true, "shown": cell.text(k) }),
    }
}

fn table_json(table: &Table, english: bool) -> Value {
    let k = table.min_cell_size;
    let cells = |cells: &[Cell]| cells.iter().map(|c| cell_json(c, k)).collect::<Vec<_>>();
    json!({
        "rows": { "variable": table.query.rows.key(), "labels": table.row_labels },
        "columns": table.query.columns.map(|c| json!({ "variable": c.key(), "labels": table.column_labels })),
        "mean_of": table.query.mean_of.map(|m| m.key()),
        "cells": table.cells.iter().map(|row| cells(row)).collect::<Vec<_>>(),
        "row_totals": cells(&table.row_totals),
        "column_totals": cells(&table.column_totals),
        "total": cell_json(&table.total, k),
        "min_cell_size": k,
        "legend": table.legend(english),
    })
}

/// `POST /research/aggregate`: counts (and a mean) by up to two dimensions.
async fn aggregate(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    body: Bytes,
) -> Response {
    if !may_request(&user) && !crate::pages::research::may_steward(&user) {
        return Failure::from(AppError::Forbidden).problem(ctx.lang);
    }
    let body = match object(&body) {
        Ok(b) => b,
        Err(f) => return f.problem(ctx.lang),
    };
    let form = research::QueryForm {
        diseases: strings(&body, "diseases"),
        age_min: text(&body, "age_min"),
        age_max: text(&body, "age_max"),
        districts: strings(&body, "districts"),
        enrolled_from: text(&body, "enrolled_from"),
        enrolled_to: text(&body, "enrolled_to"),
        rows: text(&body, "rows"),
        columns: text(&body, "columns"),
        mean_of: text(&body, "mean_of"),
    };
    match run_query(&app, &user, &form).await {
        Ok(table) => Json(table_json(&table, ctx.english())).into_response(),
        Err(f) => f.problem(ctx.lang),
    }
}

fn problem() -> Value {
    json!({ "description": "Problem (RFC 7807)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

/// The problem responses of an operation, by status.
fn problems(statuses: &[&str]) -> Map<String, Value> {
    statuses
        .iter()
        .map(|s| ((*s).to_owned(), problem()))
        .collect()
}

fn id_parameter() -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "description": "the request's id", "schema": { "type": "string" } }])
}

fn cohort_properties() -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("diseases".into(), json!({ "type": "array", "items": { "type": "string" }, "description": "disease template codes, at least one (hypertension, t2dm, ...)" }));
    p.insert("age_min".into(), json!({ "type": "integer", "minimum": 0, "description": "youngest age in completed years on the reference day" }));
    p.insert(
        "age_max".into(),
        json!({ "type": "integer", "minimum": 0, "description": "oldest age" }),
    );
    p.insert("districts".into(), json!({ "type": "array", "items": { "type": "string" }, "description": "district keys (gulou, ...); none for the whole city" }));
    p.insert("enrolled_from".into(), json!({ "type": "string", "format": "date", "description": "first day of the enrolment period" }));
    p.insert("enrolled_to".into(), json!({ "type": "string", "format": "date", "description": "last day of the enrolment period" }));
    p
}

fn json_body(description: &str, properties: Map<String, Value>, required: &[&str]) -> Value {
    json!({ "required": true, "description": description, "content": { "application/json": { "schema": {
        "type": "object", "properties": properties, "required": required,
    } } } })
}

fn ok(description: &str, content_type: &str) -> Value {
    json!({ "description": description, "content": { content_type: { "schema": { "type": if content_type == "application/json" { "object" } else { "string" } } } } })
}

/// The OpenAPI path items of [`ROUTES`].
pub fn paths() -> Map<String, Value> {
    let mut request_properties = cohort_properties();
    request_properties.insert("variables".into(), json!({ "type": "array", "items": { "type": "string" }, "description": "releasable catalogue keys (sex, age, district, enrolled_on, last_visit, diseases, controlled, followups)" }));
    request_properties.insert(
        "purpose".into(),
        json!({ "type": "string", "description": "what the study is for" }),
    );
    request_properties.insert("ethics_reference".into(), json!({ "type": "string", "description": "the ethics committee's approval reference, e.g. 伦审〔2024〕第017号 or KY2024-017" }));
    let mut query_properties = cohort_properties();
    query_properties.insert(
        "rows".into(),
        json!({ "type": "string", "description": "dimension of the rows (sex, age, district, enrolled_on, controlled)" }),
    );
    query_properties.insert(
        "columns".into(),
        json!({ "type": "string", "description": "dimension of the columns; omit for one dimension" }),
    );
    query_properties.insert(
        "mean_of".into(),
        json!({ "type": "string", "description": "numeric variable to average (age, followups); omit for counts only" }),
    );
    let with = |mut responses: Map<String, Value>, status: &str, ok: Value| {
        responses.insert(status.to_owned(), ok);
        Value::Object(responses)
    };
    let mut paths = Map::new();
    paths.insert(ROUTES[0].into(), json!({
        "get": {
            "summary": "The caller's research requests, newest first (researchers)",
            "responses": with(problems(&["401", "403"]), "200", ok("Requests", "application/json")),
        },
        "post": {
            "summary": "Submit a research request for a data steward's review",
            "requestBody": json_body("The request", request_properties, &["diseases", "variables", "purpose", "ethics_reference"]),
            "responses": with(problems(&["400", "401", "403", "422"]), "201", ok("The request, state submitted", "application/json")),
        },
    }));
    paths.insert(ROUTES[1].into(), json!({
        "get": {
            "summary": "A request: state, history with the steward's reasons, release summary (rows, suppressed rows, k, SHA-256, ledger entry)",
            "parameters": id_parameter(),
            "responses": with(problems(&["401", "403", "404"]), "200", ok("Request", "application/json")),
        },
    }));
    paths.insert(ROUTES[2].into(), json!({
        "get": {
            "summary": "Download the de-identified extract (CSV) of a released request, by its requester while access lasts; recorded on the ledger (X-Ledger-Seq, X-Content-SHA256)",
            "parameters": id_parameter(),
            "responses": with(problems(&["401", "403", "404", "410"]), "200", ok("Extract", "text/csv")),
        },
    }));
    paths.insert(ROUTES[3].into(), json!({
        "get": {
            "summary": "Download the data dictionary (CSV) of a released request; recorded on the ledger",
            "parameters": id_parameter(),
            "responses": with(problems(&["401", "403", "404", "410"]), "200", ok("Data dictionary", "text/csv")),
        },
    }));
    paths.insert(ROUTES[4].into(), json!({
        "post": {
            "summary": "Aggregate query: counts of consenting residents (and a mean) by up to two dimensions; cells under the minimum size and their complements are suppressed",
            "requestBody": json_body("The query", query_properties, &["diseases", "rows"]),
            "responses": with(problems(&["400", "401", "403", "422"]), "200", ok("Table", "application/json")),
        },
    }));
    paths
}
