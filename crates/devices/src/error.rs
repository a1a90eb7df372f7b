//! What can go wrong in the device service, apart from a reading's own faults (those are
//! results of the ingest, not errors: see [`crate::Outcome`]).

use crate::catalogue::CatalogueError;
use crate::rejection::Rejection;

/// An error of the device service.
#[derive(Debug, thiserror::Error)]
pub enum DevicesError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] store::sqlx::Error),
    /// The data file did not load.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// A stored secret could not be decrypted (wrong master key).
    #[error("the credential of device {device_id} cannot be decrypted: {detail}")]
    Vault {
        /// The device.
        device_id: String,
        /// The vault's message.
        detail: String,
    },
    /// A kind no device catalogue entry has.
    #[error("`{kind}` is not a kind of device; use one of: {}", allowed.join(", "))]
    UnknownKind {
        /// Kind given.
        kind: String,
        /// Known kinds.
        allowed: Vec<String>,
    },
    /// A field the caller must fill is empty or too long.
    #[error("`{field}` {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong, in English.
        problem: &'static str,
    },
    /// No device with this id.
    #[error("no device {0}")]
    UnknownDevice(String),
    /// The device is revoked: nothing more can be done with it.
    #[error("device {0} is revoked")]
    Revoked(String),
    /// No quarantined reading with this id.
    #[error("no quarantined reading {0}")]
    UnknownQuarantined(String),
    /// Already accepted or discarded.
    #[error("quarantined reading {0} was already reviewed")]
    AlreadyReviewed(String),
    /// The corrected reading still fails a check.
    #[error("the corrected reading is still refused: {0}")]
    StillRejected(Rejection),
    /// The corrected reading lacks a value its measure needs, or has one it does not.
    #[error("the corrected reading is malformed: {0}")]
    StillMalformed(crate::payload::Shape),
    /// PostgreSQL: a concurrent transaction stored one of the batch's message ids; the
    /// ingest retries (callers see it only after repeated collisions).
    #[error("another transaction stored the same message ids; send the batch again")]
    ConcurrentMessages,
    /// More readings are in flight than the platform admits; try again after the delay.
    #[error("too many readings in flight; retry after {retry_after_seconds} s")]
    Busy {
        /// Seconds to wait (from the data file).
        retry_after_seconds: u64,
    },
    /// A feed entry could not be written or read back (its stored JSON is not readings).
    #[error("feed entry {id}: {detail}")]
    Feed { id: String, detail: String },
}

/// Why a device credential is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No device has this credential (or it is not a device credential): HTTP 401.
    #[error("the device credential is not known")]
    Unknown,
    /// The device was revoked: HTTP 403.
    #[error("the device {device_id} is revoked")]
    Revoked {
        /// The device.
        device_id: String,
    },
    /// The device is bound to no resident, so its readings belong to nobody: HTTP 403.
    #[error("the device {device_id} is bound to no resident")]
    Unbound {
        /// The device.
        device_id: String,
    },
}

impl AuthError {
    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            AuthError::Unknown => "设备凭据无效".into(),
            AuthError::Revoked { device_id } => format!("设备 {device_id} 已被吊销"),
            AuthError::Unbound { device_id } => format!("设备 {device_id} 尚未绑定居民"),
        }
    }

    /// HTTP status a web layer answers with.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Unknown => 401,
            AuthError::Revoked { .. } | AuthError::Unbound { .. } => 403,
        }
    }
}
