//! Pages of the alerts area; [`routes`] is merged into the platform's router.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
