//! The tamper-evident audit ledger that seed document nanjing-2022 三(七) asks for (a
//! "blockchain" of records), built as a Certificate-Transparency-style verifiable log
//! (RFC 9162) on the platform's own database.
//!
//! # What is stored
//!
//! Every [`AuditEvent`] becomes one entry at position `seq` (0, 1, 2, ...). Its `data` is the
//! RFC 8785 canonical JSON of the event together with its `seq` and commit time `appended_at`
//! (keys sorted, no whitespace, e.g. `{"action":"resident.read","actor":"u-1",
//! "appended_at":…,"at":…,"data_hash":"…","organisation":null,"purpose":"TREAT","seq":41,
//! "subject_id":"r-7","subject_type":"resident","v":1}`); the leaf hash is
//! `SHA-256(0x00 || data)`. Because `data` names its own position, swapping rows is caught.
//! Interior nodes are `SHA-256(0x01 || left || right)` ([`merkle`]). After each batch the
//! writer signs a tree head ([`SignedTreeHead`]) with Ed25519 over
//! `"lifehealth-sth-v1" || u64 BE tree_size || u64 BE timestamp || root` ([`tree_head_message`]).
//! Events carry ids and a hash of the data touched, never personal data: the log is permanent.
//!
//! Tables (migration set `ledger`, [`migrations`]): `ledger_entries(seq, leaf_hash, data,
//! appended_at, actor, organisation, action, subject_type, subject_id, purpose)` with indexes on
//! `(subject_type, subject_id, seq)` and `(actor, seq)`, and `ledger_tree_heads(tree_size,
//! root_hash, timestamp, signature)`. Hashes and signatures are BLOB (SQLite) / BYTEA
//! (PostgreSQL).
//!
//! # Group commit
//!
//! [`Ledger::record`] sends the event over a bounded channel (back-pressure: memory stays
//! bounded) to ONE writer task and waits for the reply. The writer takes the first waiting event
//! and everything already queued behind it (up to 2,000), assigns consecutive seqs, hashes the
//! leaves, and writes them with multi-row INSERTs plus one new signed tree head in a single
//! transaction. Only after COMMIT does every caller get its [`Receipt`]: an acknowledged event is
//! durable. If the commit fails, every caller of the batch gets the error and the in-memory tree
//! is rolled back. One transaction (one fsync) per batch rather than per event is what lets
//! throughput grow with the number of concurrent callers. One process writes a ledger database.
//!
//! # Proofs
//!
//! The ledger keeps every leaf hash and every complete subtree hash in memory (about 64 bytes
//! per entry) and answers inclusion and consistency proofs for any signed size in O(log n),
//! microseconds at a million entries. A client checks them with [`merkle::verify_inclusion`] and
//! [`merkle::verify_consistency`] (RFC 9162 §2.1.3.2 and §2.1.4.2) and the ledger's public key:
//! it need not trust the server.
//!
//! # What verification can and cannot detect
//!
//! [`verify`] re-reads the whole log in pages and reports [`Tamper`] findings naming entries:
//! deleted rows (a gap in seq, or entries a signed head covers but the table lacks), edited data
//! (no longer matches its leaf hash), moved or swapped rows (embedded seq differs from the
//! position), edited query columns, forged or altered tree heads, rows rewritten *together with*
//! their leaf hash (the signed root no longer matches; named as the range since the last matching
//! head, a single entry when batches were single events, and exactly by [`Ledger::verify`],
//! which compares against the leaf hashes the running process committed), and rows inserted
//! without a tree head.
//!
//! What no check of the database alone can detect: deleting the newest entries *together with*
//! their tree heads. The remaining log is a valid, smaller log. It is caught only against a tree
//! head someone kept from before the deletion ([`verify_against`], or a consistency proof from a
//! kept head): this is why tree heads are served to outside parties (auditors, the health
//! commission, residents) who keep them. Likewise, anyone holding the signing key can forge a
//! whole new history; kept tree heads expose that too, as the new history is inconsistent with
//! them.

#![warn(missing_docs)]

mod audit;
mod error;
mod log;
pub mod merkle;
mod verify;

pub use audit::{AuditEvent, MAX_FIELD_BYTES, PurposeOfUse, UnknownPurpose, data_hash};
pub use error::{LedgerError, Result};
pub use log::{
    ConsistencyProof, Entry, InclusionProof, Ledger, LedgerOptions, Receipt, SignedTreeHead,
    TREE_HEAD_TAG, tree_head_message,
};
pub use merkle::Hash;
pub use verify::{Tamper, VerifyReport, verify, verify_against};

use store::{Migration, MigrationSet};

/// The ledger's tables, migration component `"ledger"`. [`Ledger::open`] applies them too.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[Migration {
        version: 1,
        name: "ledger",
        sqlite: include_str!("../migrations/0001_ledger.sqlite.sql"),
        postgres: include_str!("../migrations/0001_ledger.postgres.sql"),
    }];
    MigrationSet {
        component: "ledger",
        migrations: MIGRATIONS,
    }
}
