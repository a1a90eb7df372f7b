//! The JSON API under `/api/v1`, documented at `/api/openapi.json`. Errors are RFC 7807
//! problem documents. Machines authenticate with `Authorization: Bearer lht_...`.

use access::{Permission, Target};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::ctx::Signed;
use crate::error::AppError;
use crate::pages::registry::clinical_error;
use crate::state::AppState;

pub mod alerts;
pub mod clinic;
pub mod companies;
pub mod devices;
mod json;
pub mod openapi;
pub mod pools;
pub mod products;
pub mod research;
pub mod risk;
pub mod subsidies;

/// Every route of the API, in the order of the router (the OpenAPI test checks each).
pub const ROUTES: [&str; 8] = [
    "/me",
    "/districts",
    "/organisations",
    "/users",
    "/ledger/tree-head",
    "/ledger/entries/{seq}",
    "/ledger/proofs/inclusion",
    "/ledger/proofs/consistency",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(me))
        .route(ROUTES[1], get(districts))
        .route(ROUTES[2], get(organisations))
        .route(ROUTES[3], get(users))
        .route(ROUTES[4], get(tree_head))
        .route(ROUTES[5], get(entry))
        .route(ROUTES[6], get(inclusion))
        .route(ROUTES[7], get(consistency))
        .merge(risk::router())
        .merge(research::router())
        .merge(alerts::router())
        .merge(devices::router())
        .merge(clinic::router())
        .merge(companies::router())
        .merge(pools::router())
        .merge(subsidies::router())
        .merge(products::router())
}

/// Every area's routes and OpenAPI path items (the platform's own are [`ROUTES`]).
pub fn area_routes() -> Vec<(
    &'static [&'static str],
    serde_json::Map<String, serde_json::Value>,
)> {
    vec![
        (risk::ROUTES, risk::paths()),
        (research::ROUTES, research::paths()),
        (alerts::ROUTES, alerts::paths()),
        (devices::ROUTES, devices::paths()),
        (clinic::ROUTES, clinic::paths()),
        (companies::ROUTES, companies::paths()),
        (pools::ROUTES, pools::paths()),
        (subsidies::ROUTES, subsidies::paths()),
        (products::ROUTES, products::paths()),
    ]
}

async fn me(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    // The resident records the user holds and those household members authorised them for:
    // what a resident's app needs to address its devices, risk and sharing.
    let (own, represented) = match app.clinical.residents_acted_for(&user.user_id).await {
        Ok(ids) => ids,
        Err(e) => return ctx.api_error(clinical_error(e)).into_response(),
    };
    Json(json!({
        "id": user.user_id,
        "username": user.username,
        "display_name": user.display_name,
        "organisation": { "id": user.organisation.id, "kind": user.organisation.kind.code(), "name_zh": user.organisation.name_zh, "name_en": user.organisation.name_en, "district": user.organisation.district },
        "grants": user.grants.iter().map(|g| json!({ "role": g.role.code(), "scope": g.scope.to_string() })).collect::<Vec<_>>(),
        "locale": user.locale.code(),
        "residents": { "own": own, "represented": represented },
    }))
    .into_response()
}

/// Districts with their cited targets; public figures, open to every signed-in user.
async fn districts(Signed { .. }: Signed) -> Response {
    let d = city::districts();
    Json(json!({
        "source": { "file": d.source.file, "section": d.source.section, "unit": d.source.unit },
        "target_years": d.target_years.iter().map(|y| json!({ "year": y.year, "city_total": y.city_total })).collect::<Vec<_>>(),
        "districts": d.all().iter().map(|x| json!({
            "key": x.key, "code": x.code, "name_zh": x.name_zh, "name_en": x.name_en,
            "targets": d.target_years.iter().map(|y| json!({ "year": y.year, "target": x.target_yi_yuan(y.year) })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    }))
    .into_response()
}

async fn organisations(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    if let Err(e) = user.authorize(Permission::AdministerAccounts, Target::Platform) {
        return ctx.api_error(e).into_response();
    }
    match app.accounts.organisations().await {
        Ok(orgs) => Json(json!({
            "total": orgs.len(),
            "items": orgs.iter().map(|o| json!({ "id": o.id, "kind": o.kind.code(), "bureau": o.bureau.map(|b| b.code()), "name_zh": o.name_zh, "name_en": o.name_en, "district": o.district, "uscc": o.uscc, "active": o.active })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => ctx.api_error(e).into_response(),
    }
}

async fn users(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    if let Err(e) = user.authorize(Permission::AdministerAccounts, Target::Platform) {
        return ctx.api_error(e).into_response();
    }
    match app.accounts.users().await {
        Ok(users) => Json(json!({
            "total": users.len(),
            "items": users.iter().map(|u| json!({ "id": u.id, "username": u.username, "display_name": u.display_name, "organisation_id": u.organisation_id, "mobile": u.mobile_masked, "active": u.active, "grants": u.grants.iter().map(|g| json!({ "role": g.role.code(), "scope": g.scope.to_string() })).collect::<Vec<_>>() })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => ctx.api_error(e).into_response(),
    }
}

async fn tree_head(State(app): State<AppState>, Signed { .. }: Signed) -> Response {
    let head = app.ledger.latest_tree_head();
    let key = base64_key(&app);
    Json(json!({ "tree_head": head, "public_key": key, "algorithm": "Ed25519", "hashing": "RFC 9162 SHA-256" })).into_response()
}

fn base64_key(app: &AppState) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(app.ledger.public_key().to_bytes())
}

async fn entry(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(seq): Path<String>,
) -> Response {
    if let Err(e) = user.authorize(Permission::ReadLedger, Target::Platform) {
        return ctx.api_error(e).into_response();
    }
    let Ok(seq) = seq.parse::<u64>() else {
        return ctx
            .api_error(bad(
                "seq",
                "条目序号应为非负整数",
                "seq must be a non-negative integer",
            ))
            .into_response();
    };
    match app.ledger.entry(seq).await {
        Ok(Some(e)) => Json(e).into_response(),
        Ok(None) => ctx.api_error(AppError::NotFound).into_response(),
        Err(e) => ctx.api_error(e).into_response(),
    }
}

fn bad(field: &'static str, zh: &str, en: &str) -> AppError {
    AppError::Invalid(vec![access::FieldError::new(field, zh, en)])
}

#[derive(Deserialize)]
struct InclusionQuery {
    seq: Option<String>,
    tree_size: Option<String>,
}

/// Proofs are open to every signed-in user: they reveal hashes, not data, and let a
/// resident check that the record of who read their data is in the signed log.
async fn inclusion(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Query(q): Query<InclusionQuery>,
) -> Response {
    let size = app.ledger.tree_size();
    let Some(seq) = q.seq.as_deref().and_then(|s| s.parse::<u64>().ok()) else {
        return ctx
            .api_error(bad(
                "seq",
                "请给出条目序号 seq（非负整数）",
                "Give the entry number seq (a non-negative integer)",
            ))
            .into_response();
    };
    let tree_size = match q.tree_size.as_deref().map(str::parse::<u64>) {
        None => size,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            return ctx
                .api_error(bad(
                    "tree_size",
                    "tree_size 应为正整数",
                    "tree_size must be a positive integer",
                ))
                .into_response();
        }
    };
    match app.ledger.inclusion_proof(seq, tree_size) {
        Ok(proof) => {
            let root = app.ledger.root(tree_size).ok().map(|h| h.to_hex());
            Json(json!({ "proof": proof, "root_hash": root })).into_response()
        }
        Err(e) => ctx.api_error(range_error(e, size)).into_response(),
    }
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    first: Option<String>,
    second: Option<String>,
}

async fn consistency(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Query(q): Query<ConsistencyQuery>,
) -> Response {
    let size = app.ledger.tree_size();
    let first = q.first.as_deref().and_then(|s| s.parse::<u64>().ok());
    let second = match q.second.as_deref() {
        None => Some(size),
        Some(s) => s.parse::<u64>().ok(),
    };
    let (Some(first), Some(second)) = (first, second) else {
        return ctx
            .api_error(bad(
                "first",
                "请给出 first 和 second（正整数，first ≤ second）",
                "Give first and second as positive integers with first <= second",
            ))
            .into_response();
    };
    match app.ledger.consistency_proof(first, second) {
        Ok(proof) => Json(proof).into_response(),
        Err(e) => ctx.api_error(range_error(e, size)).into_response(),
    }
}

fn range_error(e: ledger::LedgerError, size: u64) -> AppError {
    match e {
        e @ (ledger::LedgerError::NoSuchEntry { .. }
        | ledger::LedgerError::TreeSizeTooLarge { .. }
        | ledger::LedgerError::FirstAfterSecond { .. }) => AppError::BadRequest {
            zh: format!("参数超出范围：{e}（当前账本共 {size} 条）"),
            en: format!("Out of range: {e} (the ledger has {size} entries)"),
        },
        other => other.into(),
    }
}
