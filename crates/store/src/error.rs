use thiserror::Error;

/// Failures of the storage layer. Domain crates wrap these in their own error types.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database URL `{url}` is not supported: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl { url: String },
    #[error("could not open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("migration {component}/{version:04} ({name}) failed: {source}")]
    Migration {
        component: String,
        version: i64,
        name: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "migration {component}/{version:04} was changed after it was applied (checksum {applied} in the database, {embedded} in this binary); migrations are append-only: add a new one instead"
    )]
    MigrationChanged {
        component: String,
        version: i64,
        applied: String,
        embedded: String,
    },
    #[error(
        "the database has migration {component}/{version:04}, which this binary does not know: it was written by a newer lifehealth"
    )]
    MigrationUnknown { component: String, version: i64 },
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

/// Whether the database refused a row because another has its key (a primary key or UNIQUE
/// constraint), on either backend.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}
