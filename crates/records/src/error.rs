use thiserror::Error;

/// What can go wrong reading or writing records.
#[derive(Debug, Error)]
pub enum RecordsError {
    #[error("{resource_type}/{id} does not exist")]
    NotFound { resource_type: String, id: String },
    #[error("{resource_type}/{id} was deleted (version {version})")]
    Deleted {
        resource_type: String,
        id: String,
        version: i64,
    },
    #[error(
        "{resource_type}/{id} is at version {current}, not {expected}: someone changed it meanwhile; read it again and retry"
    )]
    VersionConflict {
        resource_type: String,
        id: String,
        expected: i64,
        current: i64,
    },
    #[error("{resource_type}/{id} already exists")]
    AlreadyExists { resource_type: String, id: String },
    #[error("the batch writes {resource_type}/{id} twice")]
    DuplicateInBatch { resource_type: String, id: String },
    #[error("the stored body of {resource_type}/{id} version {version} cannot be opened: {reason}")]
    Unreadable {
        resource_type: String,
        id: String,
        version: i64,
        reason: String,
    },
    #[error("search on {param} is not possible: {reason}")]
    UnsupportedSearch { param: String, reason: &'static str },
    #[error("the resource body is not a JSON object")]
    NotAnObject,
    #[error("the record tables could not be migrated: {0}")]
    Migration(String),
    #[error(transparent)]
    Database(#[from] store::sqlx::Error),
    /// The commit this request shared with others failed (every request in it fails).
    #[error("the database could not commit: {0}")]
    GroupCommit(std::sync::Arc<store::sqlx::Error>),
    /// What another component wrote with the records failed (so nothing was written).
    #[error("writing with the records failed: {0}")]
    AlsoWrite(Box<dyn std::error::Error + Send + Sync>),
    /// The writer that took this request stopped before answering (its task was cancelled).
    #[error("the commit was interrupted before it finished; it may or may not have been written")]
    Interrupted,
}

pub type Result<T, E = RecordsError> = std::result::Result<T, E>;
