use thiserror::Error;

/// What can go wrong in the registry.
#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("resident {0} does not exist")]
    UnknownResident(String),
    #[error("enrolment {0} does not exist")]
    UnknownEnrolment(String),
    #[error("match review {0} does not exist")]
    UnknownReview(String),
    #[error("match review {0} was already decided")]
    ReviewClosed(String),
    #[error("resident {resident_id} is not among the candidates of review {review_id}")]
    NotACandidate {
        review_id: String,
        resident_id: String,
    },
    #[error("a resident cannot be their own household proxy")]
    SelfProxy,
    #[error("resident {proxy} is not in the household of resident {resident}")]
    NotSameHousehold { resident: String, proxy: String },
    #[error("stored data of resident {0} cannot be opened")]
    Unreadable(String),
    #[error(transparent)]
    Database(#[from] store::sqlx::Error),
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
