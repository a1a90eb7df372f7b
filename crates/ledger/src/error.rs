use std::sync::Arc;

use thiserror::Error;

use crate::merkle::TreeError;

/// Everything that can go wrong in the ledger.
#[derive(Debug, Error)]
pub enum LedgerError {
    /// A query failed.
    #[error("ledger database error: {0}")]
    Sql(#[from] store::sqlx::Error),
    /// Opening or migrating the database failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The batch this append belonged to could not be committed. Shared by every caller of the
    /// batch, hence the `Arc`. None of the batch's entries was acknowledged; in the rare case
    /// that the connection died during COMMIT they may nevertheless be in the log.
    #[error("could not commit to the ledger, the event was not recorded: {0}")]
    Write(#[source] Arc<LedgerError>),
    /// The writer task is gone (the runtime is shutting down).
    #[error("the ledger writer has stopped; nothing more can be recorded")]
    Closed,
    /// An event that must not go into the log (see [`crate::AuditEvent`]).
    #[error("invalid audit event: {0}")]
    InvalidEvent(String),
    /// An entry index beyond the tree the caller asked about.
    #[error("entry {seq} is not in the tree of size {tree_size}")]
    NoSuchEntry {
        /// The entry asked for.
        seq: u64,
        /// The tree it was asked in.
        tree_size: u64,
    },
    /// A tree size beyond the latest signed tree head.
    #[error("tree size {requested} is larger than the latest signed tree head (size {latest})")]
    TreeSizeTooLarge {
        /// The size asked for.
        requested: u64,
        /// The latest signed size.
        latest: u64,
    },
    /// A consistency proof was asked for backwards.
    #[error("a consistency proof needs first <= second; got first {first}, second {second}")]
    FirstAfterSecond {
        /// The first size asked for.
        first: u64,
        /// The second, smaller, size.
        second: u64,
    },
    /// The stored log does not hold together; `verify` locates the damage.
    #[error("the ledger is corrupt: {0}; run ledger verification to locate the damage")]
    Corrupt(String),
}

impl From<TreeError> for LedgerError {
    fn from(e: TreeError) -> Self {
        match e {
            TreeError::SizeTooLarge { requested, size } => LedgerError::TreeSizeTooLarge {
                requested,
                latest: size,
            },
            TreeError::IndexOutOfRange { index, tree_size } => LedgerError::NoSuchEntry {
                seq: index,
                tree_size,
            },
            TreeError::FirstAfterSecond { first, second } => {
                LedgerError::FirstAfterSecond { first, second }
            }
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;
