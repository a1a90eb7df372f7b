//! `/api/v1` routes of the alerts area. Each area lists its routes and documents them in
//! OpenAPI itself; `api::router` and `openapi::document` merge them.

use axum::Router;
use serde_json::{Map, Value};

use crate::state::AppState;

/// The routes of this area, relative to `/api/v1`.
pub const ROUTES: &[&str] = &[];

pub fn router() -> Router<AppState> {
    Router::new()
}

/// The OpenAPI path items of [`ROUTES`].
pub fn paths() -> Map<String, Value> {
    Map::new()
}
