//! The web layer: server-rendered pages, the JSON API under `/api/v1`, and operations
//! endpoints, all behind one authentication and CSRF middleware.

pub mod api;
mod audit;
pub mod capabilities;
pub mod ctx;
pub mod error;
pub mod fhir;
mod figures;
pub mod home_record;
pub mod i18n;
pub mod layout;
mod metrics;
mod ops;
mod pages;
pub mod readings;
mod state;

use axum::Router;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use metrics::Metrics;
pub use state::{AppState, DemoInfo, Foundation, OpenError, Services, WebSettings};

use crate::ctx::Ctx;
use crate::error::AppError;

/// The whole HTTP surface of the platform.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home::show))
        .route("/login", get(pages::login::form).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route("/lang/{code}", get(pages::login::switch_language))
        .route("/account", get(pages::account::show))
        .route("/account/password", post(pages::account::change_password))
        .route("/account/tokens", post(pages::account::create_token))
        .route(
            "/account/tokens/{id}/revoke",
            post(pages::account::revoke_token),
        )
        .route(
            "/admin/users",
            get(pages::admin::users).post(pages::admin::create_user),
        )
        .route("/admin/users.csv", get(pages::admin::users_csv))
        .route("/admin/users/{id}", get(pages::admin::user_detail))
        .route("/admin/users/{id}/grants", post(pages::admin::add_grant))
        .route(
            "/admin/users/{id}/grants/revoke",
            post(pages::admin::revoke_grant),
        )
        .route("/admin/users/{id}/active", post(pages::admin::set_active))
        .route(
            "/admin/users/{id}/password",
            post(pages::admin::reset_password),
        )
        .route(
            "/admin/organisations",
            get(pages::admin::organisations).post(pages::admin::create_organisation),
        )
        .route("/ledger", get(pages::ledger::show))
        .route("/capabilities/{id}", get(pages::capability::show))
        .route("/registry", get(pages::registry::overview::show))
        .route("/registry/reviews", get(pages::registry::reviews::show))
        .route(
            "/registry/reviews/{id}",
            post(pages::registry::reviews::decide),
        )
        .route("/registry/{disease}", get(pages::registry::list::show))
        .route(
            "/registry/{disease}/patients.csv",
            get(pages::registry::drill::patients_csv),
        )
        .route(
            "/registry/{disease}/patients.xlsx",
            get(pages::registry::drill::patients_xlsx),
        )
        .route(
            "/registry/{disease}/districts.csv",
            get(pages::registry::drill::districts_csv),
        )
        .route(
            "/registry/{disease}/districts.xlsx",
            get(pages::registry::drill::districts_xlsx),
        )
        .route(
            "/registry/{disease}/centres.csv",
            get(pages::registry::drill::centres_csv),
        )
        .route(
            "/registry/{disease}/centres.xlsx",
            get(pages::registry::drill::centres_xlsx),
        )
        .route(
            "/registry/{disease}/districts/{district}",
            get(pages::registry::drill::district),
        )
        .route(
            "/registry/{disease}/centres/{centre}",
            get(pages::registry::drill::centre),
        )
        .route(
            "/registry/enrolments/{id}/followup",
            get(pages::registry::followup::form).post(pages::registry::followup::submit),
        )
        .route("/residents/{id}", get(pages::registry::timeline::show))
        .route("/me", get(pages::portal::show))
        .route("/me/record", get(pages::registry::timeline::mine))
        .route("/me/sharing", get(pages::me::sharing))
        .route("/me/sharing/{resident}/{purpose}", post(pages::me::decide))
        .route(
            "/me/sharing/{resident}/proxies/{member}",
            post(pages::me::proxy),
        )
        .route("/me/access", get(pages::me::access))
        .route("/worklist", get(pages::registry::worklist::show))
        .merge(pages::risk::routes())
        .merge(pages::research::routes())
        .merge(pages::alerts::routes())
        .merge(pages::devices::routes())
        .merge(pages::clinic::routes())
        .merge(pages::companies::routes())
        .merge(pages::pools::routes())
        .merge(pages::subsidies::routes())
        .merge(pages::products::routes());
    Router::new()
        .merge(pages)
        .nest("/api/v1", api::router().fallback(api_not_found))
        .nest("/fhir", fhir::router())
        .route("/api/openapi.json", get(ops::openapi))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/assets/app.css", get(ops::stylesheet))
        .route("/assets/clinic.js", get(ops::clinic_script))
        .fallback(page_not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ctx::authenticate,
        ))
        .with_state(state.clone())
        // Devices authenticate with their own credential, not a user's session or token.
        .merge(api::devices::ingest_router(state.devices.clone()))
}

async fn page_not_found(ctx: Ctx) -> Response {
    ctx.page_error(AppError::NotFound).into_response()
}

async fn api_not_found(ctx: Ctx) -> Response {
    ctx.api_error(AppError::NotFound).into_response()
}
