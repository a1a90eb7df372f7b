//! What can go wrong in the clinic, each with the person-facing reason.

use crate::consultation::{Move, NotAllowed, State};
use crate::eligibility::Verdict;

pub type Result<T, E = ClinicError> = std::result::Result<T, E>;

/// A refused or failed clinic action.
#[derive(Debug, thiserror::Error)]
pub enum ClinicError {
    /// A field of the request is wrong; says which and what is allowed.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The rules turn the request away; the verdict lists each failed rule and what to do.
    #[error("not eligible: {}", reasons(.0))]
    NotEligible(Verdict),
    /// The prescription does not pass its checks; each problem names its line and field.
    #[error("the prescription cannot be signed: {}", .0.iter().map(|p| p.message_en.as_str()).collect::<Vec<_>>().join("; "))]
    Prescription(Vec<prescribing::Problem>),
    /// The checks flagged duplicates or interactions the doctor has not acknowledged.
    #[error("acknowledge the flags before signing: {}", .0.iter().map(|f| f.message_en.as_str()).collect::<Vec<_>>().join("; "))]
    FlagsToAcknowledge(Vec<prescribing::Flag>),
    /// The caller's role does not allow this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Not found, or not the caller's to see (the two are not told apart).
    #[error("no such {what}")]
    NotFound { what: &'static str },
    /// The state moved on before this action (someone else acted first).
    #[error("{0}")]
    Moved(#[from] NotAllowed),
    /// What was asked for is no longer there (a slot filled, stock ran out, a choice already
    /// made): says which and what to do instead.
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// Someone else already acted on it.
    #[error("already {state} by another user")]
    AlreadyDone { state: String },
    #[error("database: {0}")]
    Store(#[from] store::sqlx::Error),
    #[error("records: {0}")]
    Clinical(#[from] clinical::ClinicalError),
    #[error("registry: {0}")]
    Registry(#[from] registry::RegistryError),
    #[error("alerts: {0}")]
    Alerts(#[from] alerts::AlertError),
    #[error("accounts: {0}")]
    Accounts(#[from] access::AccessError),
    #[error("a stored value is damaged: {0}")]
    Corrupt(String),
}

fn reasons(v: &Verdict) -> String {
    v.failures()
        .map(|f| f.reason_en.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

impl ClinicError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> ClinicError {
        ClinicError::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn conflict(field: &'static str, message: impl Into<String>) -> ClinicError {
        ClinicError::Conflict {
            field,
            message: message.into(),
        }
    }

    pub fn moved(from: State, attempted: Move) -> ClinicError {
        ClinicError::Moved(NotAllowed { from, attempted })
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            ClinicError::Invalid { .. } | ClinicError::Prescription(_) => 422,
            ClinicError::NotEligible(_) => 422,
            ClinicError::Forbidden(_) => 403,
            ClinicError::NotFound { .. } => 404,
            ClinicError::Moved(_) | ClinicError::AlreadyDone { .. } => 409,
            ClinicError::FlagsToAcknowledge(_) | ClinicError::Conflict { .. } => 409,
            ClinicError::Clinical(e) => e.status(),
            ClinicError::Store(_)
            | ClinicError::Registry(_)
            | ClinicError::Alerts(_)
            | ClinicError::Accounts(_)
            | ClinicError::Corrupt(_) => 500,
        }
    }
}
