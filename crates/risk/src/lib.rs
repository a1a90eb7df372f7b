//! 10-year cardiovascular risk (China-PAR), the model registry and models trained on registry
//! data (issue 4, "Risk models"; ADR 0009).
//!
//! - [`china_par`]: the China-PAR equations (Yang et al., Circulation 2016) as cited data in
//!   `models/china-par.toml`, with the 2019 Chinese guideline's bands, refusals outside the
//!   population the equations were derived on, and an explanation of each result.
//! - [`ModelCard`] and [`Registry`]: what each model predicts, for whom, from what, and how
//!   well ([`validation`]: discrimination and calibration, measured on registry data where
//!   outcomes exist).
//! - [`complication`]: a logistic model of a later stroke or coronary heart disease
//!   enrolment among residents on the hypertension or type 2 diabetes registers, trained on
//!   registry data and saved as JSON.
//!
//! - [`population`]: every resident's latest China-PAR score, read from the registers and the
//!   record store, kept in `risk_scores` and recomputed when their records change.
//!
//! Nothing here knows HTTP; only [`complication::dataset`] and the `population` module's
//! `gather` and `store` know SQL.

mod card;
pub mod china_par;
pub mod complication;
mod data;
mod model_registry;
pub mod population;
pub mod validation;

pub use card::{Condition, InputSpec, ModelCard, ModelKind, OutOfPopulation, Population, Subject};
pub use data::DataError;
pub use model_registry::Registry;
pub use population::{Scores, ScoresError, migrations};

/// An input problem for a person to fix: the field (as named in the API's JSON), and what is
/// wrong and what is allowed, in Chinese and English. The web layer turns a list of these into
/// an RFC 7807 problem document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The JSON property or form field, e.g. `sbp_mmhg`.
    pub field: &'static str,
    /// The message in Chinese.
    pub zh: String,
    /// The message in English.
    pub en: String,
}

impl FieldError {
    /// A field error with both messages.
    pub fn new(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            field,
            zh: zh.into(),
            en: en.into(),
        }
    }
}
