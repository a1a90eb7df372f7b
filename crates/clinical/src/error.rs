use thiserror::Error;

/// Why a clinical record operation failed. The `/fhir` layer turns each into its HTTP status and
/// an OperationOutcome; every variant says what the caller can do about it.
#[derive(Debug, Error)]
pub enum ClinicalError {
    /// The resource or request is not valid FHIR R4 (the issues name each element).
    #[error("the request is not valid: {}", summary(.0))]
    Invalid(Vec<fhir::Issue>),
    /// A form (the follow-up form of a template) has problems, per field.
    #[error("the form has {} problem(s)", .0.len())]
    Form(Vec<crate::FieldProblem>),
    /// The caller's roles do not allow the action at all.
    #[error("your roles do not allow this: {0}")]
    Forbidden(&'static str),
    /// The interaction is not offered for this type.
    #[error("{0}")]
    ReadOnly(&'static str),
    /// Not there, or not visible to the caller (the two are not told apart, so a search for
    /// someone else's record reveals nothing).
    #[error("{resource_type}/{id} is not known")]
    NotFound { resource_type: String, id: String },
    #[error("{resource_type}/{id} was deleted")]
    Gone { resource_type: String, id: String },
    /// `If-Match` named another version than the current one.
    #[error("{0}")]
    VersionConflict(String),
    /// The same transaction (by `Bundle.identifier`) is being processed right now.
    #[error("{0}")]
    InProgress(String),
    /// A conditional create matched more than one resource.
    #[error("If-None-Exist matched {0} resources; make the condition more specific")]
    AmbiguousCondition(u64),
    /// The search uses something the store cannot answer.
    #[error("{0}")]
    UnsupportedSearch(String),
    /// The resource belongs to a patient the caller's organisation does not serve.
    #[error(
        "Patient/{0} is not among the patients your organisation serves; send your own Patient record first (the master index links it to the resident)"
    )]
    PatientOutOfScope(String),
    /// A built-in disease template does not load (a packaging error, caught by tests).
    #[error("disease templates: {0}")]
    Templates(diseases::TemplateError),
    #[error(transparent)]
    Records(records::RecordsError),
    #[error(transparent)]
    Registry(#[from] registry::RegistryError),
}

impl ClinicalError {
    /// The HTTP status a FHIR server answers with.
    pub fn status(&self) -> u16 {
        match self {
            ClinicalError::Invalid(_) | ClinicalError::Form(_) => 400,
            ClinicalError::Forbidden(_) => 403,
            ClinicalError::NotFound { .. } => 404,
            ClinicalError::ReadOnly(_) => 405,
            ClinicalError::VersionConflict(_) => 412,
            ClinicalError::InProgress(_) => 409,
            ClinicalError::AmbiguousCondition(_) => 412,
            ClinicalError::Gone { .. } => 410,
            ClinicalError::UnsupportedSearch(_) => 400,
            ClinicalError::PatientOutOfScope(_) => 403,
            ClinicalError::Registry(
                registry::RegistryError::SelfProxy
                | registry::RegistryError::NotSameHousehold { .. },
            ) => 400,
            ClinicalError::Templates(_)
            | ClinicalError::Records(_)
            | ClinicalError::Registry(_) => 500,
        }
    }

    /// The OperationOutcome issues that explain the error. Internal failures say only that
    /// something failed on the server (the details go to the operators' log).
    pub fn issues(&self) -> Vec<fhir::Issue> {
        use fhir::{Issue, IssueCode};
        match self {
            ClinicalError::Invalid(issues) => issues.clone(),
            ClinicalError::Form(problems) => problems
                .iter()
                .map(|p| Issue::error(IssueCode::Value, p.key.clone(), p.en.clone()))
                .collect(),
            ClinicalError::Forbidden(_) | ClinicalError::PatientOutOfScope(_) => {
                vec![Issue::error(IssueCode::Forbidden, "", self.to_string())]
            }
            ClinicalError::NotFound { .. } => {
                vec![Issue::error(IssueCode::NotFound, "", self.to_string())]
            }
            ClinicalError::Gone { .. } => {
                vec![Issue::error(IssueCode::Deleted, "", self.to_string())]
            }
            ClinicalError::ReadOnly(_) | ClinicalError::UnsupportedSearch(_) => {
                vec![Issue::error(IssueCode::NotSupported, "", self.to_string())]
            }
            ClinicalError::VersionConflict(_) | ClinicalError::InProgress(_) => {
                vec![Issue::error(IssueCode::Conflict, "", self.to_string())]
            }
            ClinicalError::AmbiguousCondition(_) => {
                vec![Issue::error(
                    IssueCode::MultipleMatches,
                    "",
                    self.to_string(),
                )]
            }
            ClinicalError::Registry(
                e @ (registry::RegistryError::SelfProxy
                | registry::RegistryError::NotSameHousehold { .. }),
            ) => vec![Issue::error(IssueCode::Invalid, "", e.to_string())],
            ClinicalError::Templates(_)
            | ClinicalError::Records(_)
            | ClinicalError::Registry(_) => vec![Issue::error(
                IssueCode::Exception,
                "",
                "the server could not complete the request; it has been logged",
            )],
        }
    }
}

fn summary(issues: &[fhir::Issue]) -> String {
    issues
        .iter()
        .map(|i| format!("{}: {}", i.expression, i.diagnostics))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<records::RecordsError> for ClinicalError {
    fn from(e: records::RecordsError) -> Self {
        use records::RecordsError as R;
        match e {
            R::NotFound { resource_type, id } => ClinicalError::NotFound { resource_type, id },
            R::Deleted {
                resource_type, id, ..
            } => ClinicalError::Gone { resource_type, id },
            R::VersionConflict { .. } => ClinicalError::VersionConflict(e.to_string()),
            R::UnsupportedSearch { .. } => ClinicalError::UnsupportedSearch(e.to_string()),
            other => ClinicalError::Records(other),
        }
    }
}

pub type Result<T, E = ClinicalError> = std::result::Result<T, E>;
