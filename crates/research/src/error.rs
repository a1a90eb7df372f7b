//! What can go wrong: bad input (a [`FieldError`] per field, explained in both languages),
//! illegal transitions of a request, releases that cannot be made safely, and storage.

use std::fmt;

use kernel::{Explain, Lang};
use thiserror::Error;

use crate::state::{Action, RequestState};

/// A compiled-in data file (policy or catalogue) that does not hold what the code needs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("data/{file}: {problem}")]
pub struct DataFileError {
    /// The file under `crates/research/data/`.
    pub file: String,
    /// What is wrong with it.
    pub problem: String,
}

impl DataFileError {
    pub(crate) fn new(file: &str, problem: &str) -> Self {
        DataFileError {
            file: file.to_owned(),
            problem: problem.to_owned(),
        }
    }
}

/// One input field that is wrong, and how.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// The field's name in the form and the API (`ethics_reference`, `age_min`, `rows`).
    pub field: &'static str,
    /// What is wrong and what is allowed.
    pub problem: Problem,
}

impl FieldError {
    pub(crate) fn new(field: &'static str, problem: Problem) -> Self {
        FieldError { field, problem }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Empty, and required.
    Required,
    /// Shorter than allowed.
    TooShort {
        /// Fewest characters.
        min: usize,
    },
    /// Longer than allowed.
    TooLong {
        /// Most characters.
        max: usize,
    },
    /// Not a whole number of years from 0 to `max`.
    NotAnAge {
        /// The oldest age allowed.
        max: u32,
    },
    /// The lower bound is above the upper one.
    Reversed,
    /// Not a date written `YYYY-MM-DD`.
    NotADate,
    /// Not one of the known values.
    Unknown {
        /// The value given.
        value: String,
        /// The values allowed.
        allowed: Vec<String>,
    },
    /// A variable the catalogue marks as never released (a direct identifier, free text, or a
    /// finer form of a released variable).
    NotReleasable {
        /// The variable.
        value: String,
    },
    /// Given twice.
    Duplicate {
        /// The value given twice.
        value: String,
    },
    /// An ethics approval reference that does not have the expected parts.
    EthicsFormat,
    /// A query that groups by a variable twice.
    SameDimension,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain(Lang::En))
    }
}

impl Explain for FieldError {
    fn explain(&self, lang: Lang) -> String {
        self.problem.explain(lang)
    }
}

impl Explain for Problem {
    fn explain(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            Problem::Required => pick(zh, "此项必填", "This is required"),
            Problem::TooShort { min } => {
                if zh {
                    format!("内容过短：至少{min}个字符")
                } else {
                    format!("Too short: at least {min} characters")
                }
            }
            Problem::TooLong { max } => {
                if zh {
                    format!("内容过长：最多{max}个字符")
                } else {
                    format!("Too long: at most {max} characters")
                }
            }
            Problem::NotAnAge { max } => {
                if zh {
                    format!("年龄应为0到{max}之间的整数（周岁）")
                } else {
                    format!("An age is a whole number of years from 0 to {max}")
                }
            }
            Problem::Reversed => pick(
                zh,
                "下限大于上限：起始值应不大于结束值",
                "The lower bound is above the upper one: the first must not exceed the second",
            ),
            Problem::NotADate => pick(
                zh,
                "日期格式应为 YYYY-MM-DD，例如 2024-03-01",
                "A date is written YYYY-MM-DD, e.g. 2024-03-01",
            ),
            Problem::Unknown { value, allowed } => {
                if zh {
                    format!("“{value}”不是可选值；可选：{}", allowed.join("、"))
                } else {
                    format!("`{value}` is not known; allowed: {}", allowed.join(", "))
                }
            }
            Problem::NotReleasable { value } => {
                if zh {
                    format!("变量“{value}”是直接标识符、自由文本或更细的形式，不予发布")
                } else {
                    format!(
                        "`{value}` is a direct identifier, free text or a finer form of a released variable, and is never released"
                    )
                }
            }
            Problem::Duplicate { value } => {
                if zh {
                    format!("“{value}”重复填写")
                } else {
                    format!("`{value}` is given twice")
                }
            }
            Problem::EthicsFormat => pick(
                zh,
                "伦理批件号应包含伦理委员会简称（文字）、四位年份（2000–2099）和序号，例如“伦审〔2024〕第017号”或“KY2024-017”",
                "An ethics approval reference has the committee's abbreviation (letters), a four-digit year (2000-2099) and a sequence number, e.g. 伦审〔2024〕第017号 or KY2024-017",
            ),
            Problem::SameDimension => pick(
                zh,
                "行与列不能按同一变量分组",
                "Rows and columns cannot group by the same variable",
            ),
        }
    }
}

fn pick(zh: bool, zh_text: &str, en_text: &str) -> String {
    if zh { zh_text } else { en_text }.to_owned()
}

/// Every wrong field of one input, in form order.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid input: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct Invalid(pub Vec<FieldError>);

/// What can go wrong in research access.
#[derive(Debug, Error)]
pub enum ResearchError {
    /// Input with wrong fields.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A data file of this crate is broken.
    #[error(transparent)]
    DataFile(#[from] DataFileError),
    /// The request is in a state where the action is not allowed.
    #[error("request {request_id} is {from}; it cannot be {}", action.past_participle())]
    IllegalTransition {
        /// The request.
        request_id: String,
        /// Its state.
        from: RequestState,
        /// What was attempted.
        action: Action,
    },
    /// A steward acted on their own request: review needs a second person.
    #[error("the requester of {request_id} cannot {} it: a data steward other than the requester must", action.verb())]
    OwnRequest {
        /// The request.
        request_id: String,
        /// What was attempted.
        action: Action,
    },
    /// Refusing or withdrawing without saying why.
    #[error("{} needs reasons", action.verb())]
    ReasonsRequired {
        /// What was attempted.
        action: Action,
    },
    /// An approval whose last day of access is not after the day of approval.
    #[error("access_until {access_until} is not after the day of approval {today}")]
    AccessPeriod {
        /// The last day of access given.
        access_until: String,
        /// The day of approval.
        today: String,
    },
    /// Expiring a request whose access period has not ended.
    #[error("request {request_id} gives access until {access_until}; it has not expired")]
    NotExpired {
        /// The request.
        request_id: String,
        /// Its last day of access.
        access_until: String,
    },
    /// Releasing or downloading after the last day of access the steward gave.
    #[error("request {request_id} gave access until {access_until}; that has passed")]
    AccessEnded {
        /// The request.
        request_id: String,
        /// Its last day of access.
        access_until: String,
    },
    /// No such request.
    #[error("research request {0} does not exist")]
    UnknownRequest(String),
    /// No such release.
    #[error("research release {0} does not exist")]
    UnknownRelease(String),
    /// Downloading a release by someone other than its requester.
    #[error("release {release_id} is for its requester only")]
    NotTheRequester {
        /// The release.
        release_id: String,
    },
    /// Downloading a release whose request is no longer released (expired, withdrawn) or
    /// whose access period has ended.
    #[error("release {release_id} is no longer available: its request is {state}")]
    NoLongerAvailable {
        /// The release.
        release_id: String,
        /// The request's state.
        state: RequestState,
    },
    /// The approved cohort has nobody in it who consents to research.
    #[error("the cohort has no consenting resident; nothing to release")]
    EmptyCohort,
    /// Even fully generalised, too many rows would have to be suppressed.
    #[error(
        "releasing would suppress {suppressed} of {rows} rows, more than the policy's share of {max_share}; widen the cohort or drop quasi-identifiers"
    )]
    TooMuchSuppression {
        /// Rows that would be suppressed at the best generalisation.
        suppressed: usize,
        /// Rows of the consenting cohort.
        rows: usize,
        /// The policy's limit.
        max_share: f64,
    },
    /// Building the release stopped (its task panicked or was cancelled).
    #[error("building the release stopped: {0}")]
    BuildStopped(#[source] tokio::task::JoinError),
    /// The consent source failed.
    #[error("consent could not be read: {0}")]
    Consent(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Stored data that cannot be read back (a release file that fails to decrypt or no
    /// longer matches its hash).
    #[error("stored research data {0} cannot be read")]
    Unreadable(String),
    /// The ledger refused or failed to record.
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] store::sqlx::Error),
}

/// This crate's result.
pub type Result<T, E = ResearchError> = std::result::Result<T, E>;
