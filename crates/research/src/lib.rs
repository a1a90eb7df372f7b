//! Research access (issue 4, "Research release"; ADR 0011): researchers request data for a
//! cohort, a data steward other than the requester approves or refuses, and an approved
//! request is released as a de-identified extract of the residents who consent to research,
//! hashed onto the ledger; downloads are logged. Questions that need no extract are answered
//! by aggregate queries with small cells suppressed.
//!
//! Modules, each with one job:
//!
//! - [`policy`]: k, the suppression limit, the generalisation steps, the minimum cell size
//!   (`data/policy.toml`, cited).
//! - [`catalogue`]: the published variables and their disclosure kind (`data/variables.toml`).
//! - [`request`]: the request form, its validation, cohorts, ethics references.
//! - [`state`]: the request's state machine.
//! - [`cohort`]: residents as identifier-free facts, cohort selection, field values.
//! - [`deidentify`]: generalisation, k-anonymity, suppression, pseudonyms.
//! - [`csv`]: the extract and its data dictionary as files.
//! - [`aggregate`] and [`suppress`]: aggregate queries and cell suppression.
//! - [`consent`]: the [`ResearchConsent`] the platform's consent component implements.
//! - `source` (SQL over the registry's tables) and [`service`] ([`Research`], SQL over this
//!   crate's tables and the ledger).

#![warn(missing_docs)]

pub mod aggregate;
pub mod catalogue;
pub mod cohort;
pub mod consent;
pub mod csv;
pub mod deidentify;
mod error;
pub mod policy;
pub mod request;
pub mod service;
mod source;
pub mod state;
pub mod suppress;

pub use aggregate::{AggregateQuery, Cell, QueryForm, Table};
pub use catalogue::{Catalogue, Field, Kind, ValueType, Variable};
pub use consent::{ConsentError, ResearchConsent};
pub use error::{DataFileError, FieldError, Invalid, Problem, ResearchError, Result};
pub use policy::Policy;
pub use request::{AgeRange, Cohort, EthicsReference, RequestForm, Vocabulary};
pub use service::{
    Actor, Release, ReleaseFiles, RequestEvent, RequestFilter, Research, ResearchRequest,
};
pub use state::{Action, RequestState};

use store::{Migration, MigrationSet};

/// The tables of this crate (component `research`).
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[Migration::portable(
        1,
        "research",
        include_str!("../migrations/0001_research.sql"),
    )];
    MigrationSet {
        component: "research",
        migrations: MIGRATIONS,
    }
}
