//! Why an awards step was refused, in words a person can act on.

use kernel::{Explain, Lang};

use crate::state::State;

/// A refused step. Each variant says what is wrong and what is allowed.
#[derive(Debug, thiserror::Error)]
pub enum AwardsError {
    #[error("invalid {field}: {en}")]
    Invalid {
        field: &'static str,
        zh: String,
        en: String,
    },
    #[error("not allowed: {en}")]
    Forbidden { zh: String, en: String },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("conflict: {en}")]
    Conflict { zh: String, en: String },
    /// The clause refuses it: not in force, wrong jurisdiction, a fact missing or invalid, an
    /// amount above a cap. The policy engine's own message names the clause and the reason.
    #[error("policy: {0}")]
    Policy(#[from] policy::PolicyError),
    /// The facts do not meet the clause's conditions; each unmet condition with its reason.
    #[error("not eligible for {clause}: {}", unmet.iter().map(|u| u.1.as_str()).collect::<Vec<_>>().join("; "))]
    NotEligible {
        clause: String,
        /// (zh, en) per unmet condition.
        unmet: Vec<(String, String)>,
    },
    /// The step does not apply in the application's current state.
    #[error("cannot {step} an application that is {}", state.en())]
    WrongState { step: &'static str, state: State },
    #[error("store: {0}")]
    Store(#[from] store::sqlx::Error),
}

pub type Result<T, E = AwardsError> = std::result::Result<T, E>;

/// How the web layer should answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Forbidden,
    NotFound,
    Conflict,
    Internal,
}

impl AwardsError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AwardsError::Invalid { .. }
            | AwardsError::Policy(_)
            | AwardsError::NotEligible { .. } => ErrorKind::BadRequest,
            AwardsError::Forbidden { .. } => ErrorKind::Forbidden,
            AwardsError::NotFound { .. } => ErrorKind::NotFound,
            AwardsError::Conflict { .. } | AwardsError::WrongState { .. } => ErrorKind::Conflict,
            AwardsError::Store(_) => ErrorKind::Internal,
        }
    }

    pub(crate) fn invalid(
        field: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        AwardsError::Invalid {
            field,
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub(crate) fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> Self {
        AwardsError::Forbidden {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub(crate) fn conflict(zh: impl Into<String>, en: impl Into<String>) -> Self {
        AwardsError::Conflict {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The field a form should mark, when the error is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AwardsError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl Explain for AwardsError {
    fn explain(&self, lang: Lang) -> String {
        let zh = matches!(lang, Lang::Zh);
        match self {
            AwardsError::Invalid { zh: z, en: e, .. }
            | AwardsError::Forbidden { zh: z, en: e }
            | AwardsError::Conflict { zh: z, en: e } => if zh { z } else { e }.clone(),
            AwardsError::NotFound { what } => {
                if zh {
                    format!("未找到{}", what_zh(what))
                } else {
                    format!("No such {what}")
                }
            }
            AwardsError::Policy(e) => {
                if zh {
                    e.message_zh()
                } else {
                    e.message_en()
                }
            }
            AwardsError::NotEligible { clause, unmet } => {
                let reasons: Vec<&str> = unmet
                    .iter()
                    .map(|(z, e)| if zh { z.as_str() } else { e.as_str() })
                    .collect();
                if zh {
                    format!("不符合条款 {clause} 的条件：{}", reasons.join("；"))
                } else {
                    format!("Does not meet clause {clause}: {}", reasons.join("; "))
                }
            }
            AwardsError::WrongState { step, state } => {
                if zh {
                    format!("申报当前状态为「{}」，不能{}", state.zh(), step_zh(step))
                } else {
                    format!("The application is {}; it cannot {step} now", state.en())
                }
            }
            AwardsError::Store(_) => {
                if zh {
                    "系统暂时无法保存，请稍后再试；已提交的内容未丢失".to_owned()
                } else {
                    "The system could not save just now; please try again. Nothing submitted was lost"
                        .to_owned()
                }
            }
        }
    }
}

fn what_zh(what: &str) -> &'static str {
    match what {
        "programme" => "资金计划",
        "application" => "申报",
        "objection" => "异议",
        "assignment" => "评审任务",
        "attachment" => "附件",
        _ => "该记录",
    }
}

fn step_zh(step: &str) -> &'static str {
    match step {
        "resubmit" => "重新提交",
        "pre-review" => "初审",
        "score" => "评分",
        "recommend" => "提出拟支持金额",
        "publish" => "公示",
        "object" => "提出异议",
        "award" => "作出立项决定",
        "refuse" => "不予支持",
        "withdraw" => "撤回",
        "disburse" => "拨付",
        _ => "执行此操作",
    }
}
