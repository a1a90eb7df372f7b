//! The innovation product lists and the hospital green channel (issue 6, S8).
//!
//! ```text
//! company nominates a product ─► bureau approves or refuses (with reason)
//!   ─► bureau publishes a list version (frozen entries; removals carry their reason)
//! medical-insurance bureau records the provincial listing (挂网) ─► every bound hospital has
//!   a deadline: one calendar month (data/greenchannel.toml)
//! hospital records catalogue entry, or declares the product not clinically needed
//! server timer: scan(now) ─► reminders before the deadline, one overdue alert per
//!   hospital and product, resolved by adoption
//! hospitals report quarterly usage ─► bulletin per quarter ─► issued (hash on the ledger)
//! ```
//!
//! Seeds: nanjing-2022 三（六）, nanjing-2020 三（五）3, Jiangsu 16 and 18, Suzhou 10. The
//! product's details come as plain data (the company register lives in another crate).

mod alerts;
mod bulletins;
pub mod deadline;
pub mod duty;
mod error;
pub mod figures;
mod listing;
mod nominations;
pub mod period;
mod product;
pub mod rules;
mod service;
mod usage;
mod versions;

pub use alerts::{Alert, AlertFilter, AlertKind};
pub use bulletins::IssuedBulletin;
pub use deadline::{AdoptionStatus, Decision, deadline};
pub use duty::{Duty, ListedProduct};
pub use error::{ErrorKind, GreenChannelError, Result};
pub use figures::{Bulletin, HospitalFigures, OverdueLine, ProductFigures};
pub use listing::{DutyStatus, ProvincialListing};
pub use nominations::{NewNomination, Nomination, NominationState};
pub use period::Quarter;
pub use product::{MAX_TEXT_CHARS, Product, ProductKind};
pub use rules::Rules;
pub use service::GreenChannel;
pub use usage::UsageReport;
pub use versions::{ListVersion, Removal};

use store::{Migration, MigrationSet};

/// The green channel's tables. The access and ledger tables must exist too.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[Migration::portable(
        1,
        "greenchannel",
        include_str!("../migrations/0001_greenchannel.sql"),
    )];
    MigrationSet {
        component: "greenchannel",
        migrations: MIGRATIONS,
    }
}
