//! Operations endpoints: liveness, readiness, Prometheus metrics, the stylesheet.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers; the platform can serve.
pub async fn readyz(State(app): State<AppState>) -> Response {
    if app.db.ping().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

pub async fn metrics(State(app): State<AppState>) -> Response {
    let entries = app.ledger.tree_size() as f64;
    let text = app.metrics.render(&[(
        "lifehealth_ledger_entries",
        "Entries in the audit ledger.",
        entries,
    )]);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/app.css"),
    )
        .into_response()
}

/// The clinic pages' one script: reads a chosen image into the form as base64, so a photo
/// travels with an ordinary form post (the pages work without it, text only).
pub async fn clinic_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/clinic.js"),
    )
        .into_response()
}

pub async fn openapi() -> Response {
    axum::Json(crate::api::openapi::document()).into_response()
}
