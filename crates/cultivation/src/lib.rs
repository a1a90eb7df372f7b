//! Enterprise cultivation pools (培育库; issue 6, S5): Nanjing's three tiers of 30, 50 and 100
//! companies (nanjing-2022 三（一）), its 30 potential leaders a year (nanjing-2020 三（二）3),
//! Suzhou's 15-20 potential landmark companies a year and its three reserve libraries
//! (suzhou cluster plan 8-9); the yearly selection that fills them; and 一企一策 support plans
//! for their members.
//!
//! ```text
//! candidates (from the company register, as plain data)
//!   ─► score and rank (data/pools.toml) ─► pools filled in rank order = proposal (draft)
//!   ─► amendments, each with a written reason, within capacity ─► submit (minimums checked)
//!   ─► approve by a second official (or reject ─► reopen) ─► publish: members current,
//!      last year's memberships ended ─► support plans, actions, follow-ups
//! ```

mod candidate;
mod error;
pub mod memberships;
pub mod plans;
pub mod pools;
pub mod proposals;
pub mod register;
pub mod scoring;
pub mod selection;
mod service;

pub use candidate::Candidate;
pub use error::{CultivationError, ErrorKind, Result};
pub use memberships::{How, Member, MembershipEvent, PoolCount};
pub use plans::{Action, ActionState, FollowUp, NewAction, OverdueAction, SupportPlan};
pub use pools::{Capacity, Factor, Normalisation, Pool, Scheme, Schemes};
pub use proposals::{Proposal, ProposalEntry};
pub use scoring::{Cohort, Ranked, Score, ScorePart, rank, score};
pub use selection::{Change, MIN_REASON_CHARS, State, Step};
pub use service::Cultivation;

use store::{Migration, MigrationSet};

/// The cultivation tables. The ledger's tables must exist too.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[Migration::portable(
        1,
        "cultivation",
        include_str!("../migrations/0001_cultivation.sql"),
    )];
    MigrationSet {
        component: "cultivation",
        migrations: MIGRATIONS,
    }
}
