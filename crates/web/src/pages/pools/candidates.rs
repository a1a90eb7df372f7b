//! The candidates of a selection from the company register (`cultivation::register`), with
//! the register's refusals answered as pages and the API answer them.

use std::collections::BTreeSet;

use access::Principal;
pub use cultivation::register::{Field, LeftOut};

use super::industry_error;
use crate::error::AppError;
use crate::state::AppState;

/// The candidates the register gives for selection `year`, read as `user`.
pub async fn from_register(app: &AppState, user: &Principal, year: i32) -> Result<Field, AppError> {
    let today = kernel::UtcMillis::now().city_date();
    cultivation::register::from_register(&app.industry, user, year, today)
        .await
        .map_err(industry_error)
}

/// The register companies that are not in a proposal, each with why.
pub async fn not_in_proposal(
    app: &AppState,
    user: &Principal,
    year: i32,
    in_proposal: &BTreeSet<&str>,
) -> Result<Vec<LeftOut>, AppError> {
    cultivation::register::not_in_proposal(&app.industry, user, year, in_proposal)
        .await
        .map_err(industry_error)
}
