//! The tamper-evident audit ledger (the "blockchain" of seed nanjing-2022 三(七)), built as a
//! Certificate-Transparency-style verifiable log (RFC 9162).
//!
//! - Every event is a leaf `SHA-256(0x00 || canonical JSON)`; nodes are
//!   `SHA-256(0x01 || left || right)`.
//! - One writer task commits events in batches (group commit): each batch is one transaction
//!   holding its entries and a new Ed25519-signed tree head, so an append is acknowledged only
//!   when it is durable, and throughput grows with concurrency.
//! - Inclusion and consistency proofs come from an in-memory tree of every complete subtree
//!   hash; a client checks them with [`merkle::verify_inclusion`] and
//!   [`merkle::verify_consistency`] and the public key alone.
//! - [`verify`] recomputes everything and names edited, deleted, reordered and unsigned
//!   entries. What it cannot see alone: deleting the newest entries *together with* their
//!   tree heads. That is caught by comparing against a tree head someone kept, which is why
//!   tree heads are served at `/api/v1/ledger/tree-head` for outside parties to keep.

mod audit;
mod log;
pub mod merkle;
mod verify;

pub use audit::{AuditEvent, EntryData, PurposeOfUse, data_hash};
pub use log::{
    ConsistencyProof, Entry, InclusionProof, Ledger, Receipt, SignedTreeHead, tree_head_message,
    verify_tree_head,
};
pub use verify::{Tamper, VerifyReport, verify};

use store::{Migration, MigrationSet};

/// Failures of the ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the ledger writer has stopped")]
    Closed,
    #[error("the ledger could not commit the batch: {0}")]
    CommitFailed(String),
    #[error("out of range: {0}")]
    OutOfRange(String),
    #[error("the stored ledger is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Sql(#[from] store::sqlx::Error),
}

/// The tables of the ledger.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] =
        &[Migration::portable(1, "ledger", include_str!("../migrations/0001_ledger.sql"))];
    MigrationSet { component: "ledger", migrations: MIGRATIONS }
}
