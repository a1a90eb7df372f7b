//! What can go wrong in a selection or a support plan, each with the person-facing reason in
//! Chinese and English and the kind of answer it is (400, 403, 404, 409).

use crate::selection::{State, Step};

pub type Result<T, E = CultivationError> = std::result::Result<T, E>;

/// The kind of refusal, as an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the request itself is wrong.
    BadRequest,
    /// 403: the caller may not do this.
    Forbidden,
    /// 404: no such thing (or not the caller's to see).
    NotFound,
    /// 409: the request does not fit the current state.
    Conflict,
    /// 500: the platform failed.
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Internal => 500,
        }
    }
}

/// A refused or failed cultivation action. `Display` is the English message.
#[derive(Debug, thiserror::Error)]
pub enum CultivationError {
    /// A field of the request is wrong; says which and what is allowed.
    #[error("{field}: {en}")]
    Invalid {
        field: &'static str,
        zh: String,
        en: String,
    },
    #[error("reason: write at least {min} characters saying why ({given} given)")]
    ReasonTooShort { given: usize, min: usize },
    #[error("scheme: no scheme {scheme}")]
    UnknownScheme { scheme: String },
    #[error("pool: scheme {scheme} has no pool {pool}")]
    UnknownPool { scheme: String, pool: String },
    /// The caller's role or organisation does not allow this.
    #[error("{en}")]
    Forbidden { zh: &'static str, en: &'static str },
    /// The official who proposed a list (or amended it) cannot also approve or reject it.
    #[error("four eyes: the official who proposed or amended this list cannot also review it")]
    FourEyes,
    #[error("no such {what}: {id}")]
    NotFound { what: &'static str, id: String },
    #[error("pool {pool_id} ({pool}) holds at most {capacity} companies ({citation})")]
    CapacityExceeded {
        pool: String,
        pool_id: String,
        capacity: u32,
        citation: String,
    },
    #[error(
        "pool {pool_id} ({pool}) needs at least {minimum} companies, it has {members} ({citation})"
    )]
    BelowMinimum {
        pool: String,
        pool_id: String,
        minimum: u32,
        members: u32,
        citation: String,
    },
    #[error("company {company} does not meet {criterion} for {pool} ({citation})")]
    NotEligible {
        company: String,
        pool: String,
        criterion: String,
        citation: String,
    },
    #[error("the proposal is {state}: it cannot {}", step.code())]
    WrongState { state: State, step: Step },
    #[error("{en}")]
    Conflict { zh: String, en: String },
    #[error("database: {0}")]
    Store(#[from] store::sqlx::Error),
    #[error("a stored value is damaged: {0}")]
    Corrupt(String),
}

impl CultivationError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CultivationError::Invalid { .. }
            | CultivationError::ReasonTooShort { .. }
            | CultivationError::UnknownPool { .. } => ErrorKind::BadRequest,
            CultivationError::Forbidden { .. } | CultivationError::FourEyes => ErrorKind::Forbidden,
            CultivationError::NotFound { .. } | CultivationError::UnknownScheme { .. } => {
                ErrorKind::NotFound
            }
            CultivationError::CapacityExceeded { .. }
            | CultivationError::BelowMinimum { .. }
            | CultivationError::NotEligible { .. }
            | CultivationError::WrongState { .. }
            | CultivationError::Conflict { .. } => ErrorKind::Conflict,
            CultivationError::Store(_) | CultivationError::Corrupt(_) => ErrorKind::Internal,
        }
    }

    /// The English message (the same as `Display`).
    pub fn message_en(&self) -> String {
        self.to_string()
    }

    /// The Chinese message.
    pub fn message_zh(&self) -> String {
        match self {
            CultivationError::Invalid { zh, .. } | CultivationError::Conflict { zh, .. } => {
                zh.clone()
            }
            CultivationError::ReasonTooShort { given, min } => {
                format!("请写明理由，至少{min}个字（现为{given}个字）")
            }
            CultivationError::UnknownScheme { scheme } => format!("没有名为{scheme}的培育方案"),
            CultivationError::UnknownPool { scheme, pool } => {
                format!("培育方案{scheme}中没有{pool}库")
            }
            CultivationError::Forbidden { zh, .. } => (*zh).to_owned(),
            CultivationError::FourEyes => {
                "双人复核：提出或调整名单的工作人员不能同时审核该名单".to_owned()
            }
            CultivationError::NotFound { what, id } => format!("未找到{}：{id}", what_zh(what)),
            CultivationError::CapacityExceeded {
                pool,
                capacity,
                citation,
                ..
            } => format!("“{pool}”最多{capacity}家，已满（依据：{citation}）"),
            CultivationError::BelowMinimum {
                pool,
                minimum,
                members,
                citation,
                ..
            } => format!("“{pool}”至少应有{minimum}家，现有{members}家（依据：{citation}）"),
            CultivationError::NotEligible {
                company,
                pool,
                criterion,
                citation,
            } => format!("企业{company}不符合“{pool}”的入库条件{criterion}（依据：{citation}）"),
            CultivationError::WrongState { state, step } => {
                format!("名单当前为“{}”，不能{}", state.name_zh(), step_zh(*step))
            }
            CultivationError::Store(_) => "数据库暂时无法完成操作，请稍后再试".to_owned(),
            CultivationError::Corrupt(_) => "存储的数据已损坏，请联系平台管理员".to_owned(),
        }
    }

    pub(crate) fn forbidden(zh: &'static str, en: &'static str) -> CultivationError {
        CultivationError::Forbidden { zh, en }
    }

    pub(crate) fn not_found(what: &'static str, id: &str) -> CultivationError {
        CultivationError::NotFound {
            what,
            id: id.to_owned(),
        }
    }

    pub(crate) fn invalid(
        field: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> CultivationError {
        CultivationError::Invalid {
            field,
            zh: zh.into(),
            en: en.into(),
        }
    }
}

fn what_zh(what: &str) -> &'static str {
    match what {
        "proposal" => "遴选名单",
        "candidate" => "候选企业",
        "plan" => "一企一策方案",
        "action" => "措施",
        "membership" => "入库记录",
        _ => "记录",
    }
}

fn step_zh(step: Step) -> &'static str {
    match step {
        Step::Amend => "调整",
        Step::Submit => "提交",
        Step::Approve => "批准",
        Step::Reject => "退回",
        Step::Reopen => "重新编辑",
        Step::Publish => "公布",
    }
}
