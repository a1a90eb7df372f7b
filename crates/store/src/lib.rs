//! Database access for lifehealth: one handle over SQLite (the embedded default) and PostgreSQL
//! (production), versioned migrations per component, and backup.
//!
//! SQL in this project is written once, portably: `$1`-style placeholders (SQLite reads `$NNN`
//! as parameter NNN), `BIGINT` for integers and times (Unix milliseconds, UTC), `TEXT` for
//! identifiers, `BIGINT` 0/1 for flags (sqlx's Any driver cannot decode SQLite booleans), `ON CONFLICT`, `RETURNING`. Where the dialects really differ, the
//! difference lives here, in [`Backend`], and nowhere else.

mod backup;
pub mod bulk;
mod db;
mod error;
mod migrate;

pub use backup::{BackupError, backup_sqlite, restore_sqlite};
pub use db::{Backend, Db, DbOptions};
pub use error::{StoreError, is_unique_violation};
pub use migrate::{AppliedMigration, Migration, MigrationSet};

/// Re-exported so that domain crates name one sqlx, the one this crate was built with.
pub use sqlx;

#[cfg(feature = "testing")]
pub mod bench;
#[cfg(feature = "testing")]
pub mod testing;
