//! The clinical record store: every FHIR resource the platform holds, with its versions and
//! search indexes, on SQLite or PostgreSQL.
//!
//! This crate knows storage, not FHIR: callers (the `/fhir` layer and the registry) validate a
//! resource and extract its search index values with the `fhir` crate, then hand this crate
//! [`Write`]s. A batch of writes commits in one transaction or not at all, so a failed
//! transaction Bundle leaves nothing behind.
//!
//! # Privacy at rest
//!
//! Health data is sensitive personal information (PIPL art. 28). Every resource body is
//! encrypted with the platform's field cipher, bound to `fhir:<type>/<id>/<version>` so a body
//! copied to another row does not open. Search index values of personal parameters (names,
//! identifiers, telecom, address) are keyed blind indexes ([`protect`]); a name is indexed as
//! the blind indexes of its prefixes, so `name=张` finds 张伟 without the name ever being stored
//! in the clear.
//!
//! # Versions
//!
//! The current version of a resource lives in `fhir_resources`; an update or delete moves the
//! previous version to `fhir_resource_history`. One writer (a mutex) assigns the internal row
//! ids and versions; one process writes a record database, as with the ledger.

mod error;
mod index;
pub mod protect;
mod record_store;
mod search;

pub use error::{RecordsError, Result};
pub use index::{IndexRow, IndexValue};
pub use record_store::{
    AlsoWrite, Committed, PatientLinks, RecordStore, Stored, WithRecords, Write, WriteKind,
};
pub use search::{Comparator, Condition, Page, Query, SortKey, Visibility};

use store::{Migration, MigrationSet};

/// The tables of this crate.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[
        Migration {
            version: 1,
            name: "resources",
            sqlite: include_str!("../migrations/0001_resources.sqlite.sql"),
            postgres: include_str!("../migrations/0001_resources.postgres.sql"),
        },
        Migration::portable(
            2,
            "versions and indexes",
            include_str!("../migrations/0002_versions_and_indexes.sql"),
        ),
        Migration::portable(
            3,
            "probe indexes",
            include_str!("../migrations/0003_probe_indexes.sql"),
        ),
        Migration {
            version: 4,
            name: "clustered indexes",
            sqlite: include_str!("../migrations/0004_clustered_indexes.sqlite.sql"),
            postgres: include_str!("../migrations/0004_clustered_indexes.postgres.sql"),
        },
    ];
    MigrationSet {
        component: "records",
        migrations: MIGRATIONS,
    }
}
