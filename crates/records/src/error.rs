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
}

pub type Result<T, E = RecordsError> = std::result::Result<T, E>;
