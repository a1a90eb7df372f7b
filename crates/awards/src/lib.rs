//! Applications to subsidy clauses, from submission to disbursement (issue 6, S6; ADR 0015).
//!
//! ```text
//! bureau sets up a programme (budget, window, clauses)
//! company submits ─► policy::evaluate (eligibility, amount, caps, trace) ─► submitted
//!   ─► department pre-review ─► returned for correction | refused | passed
//!   ─► formulaic clause: recommended at the clause's amount
//!   ─► on merit / case by case: expert panel without conflicts ─► rubric scores ─► aggregate
//!        ─► department recommends an amount ≤ the clause's maximum and the budget
//!   ─► public notice (公示) ─► objections resolved ─► award ─► finance bureau disburses
//! bureau confirms a match from register data (免申即享) ─► recommended directly
//! ```
//!
//! The money rules are the policy crate's; this crate keeps the procedure, its record and the
//! programme's budget. Every step goes on the ledger.

mod applications;
mod error;
pub mod matching;
mod notices;
mod programmes;
pub mod review;
pub mod rules;
mod service;
pub mod state;
mod steps;

pub use applications::{
    Applicant, Application, AttachmentInfo, Event, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS,
    NewAttachment, Submission, city_day,
};
pub use error::{AwardsError, ErrorKind, Result};
pub use matching::{CompanyMatches, Possible};
pub use notices::Notice;
pub use programmes::{Budget, NewProgramme, Programme, programme_bureau_label};
pub use review::Collaboration;
pub use rules::Rules;
pub use service::Clock;
pub use service::{Awards, bureau_en, bureau_zh};
pub use state::State;
pub use steps::{Assignment, Disbursement, Objection, PreReview};

use store::{Migration, MigrationSet};

/// The awards tables. The access tables (users, roles) must exist too: experts are users.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[Migration::portable(
        1,
        "awards",
        include_str!("../migrations/0001_awards.sql"),
    )];
    MigrationSet {
        component: "awards",
        migrations: MIGRATIONS,
    }
}
