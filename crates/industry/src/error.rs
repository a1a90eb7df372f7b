//! What can go wrong in the industry register, each with the reason in Chinese and English and
//! the kind of failure the web layer answers with.

use serde::Serialize;

use crate::uscc::UsccError;

pub type Result<T, E = IndustryError> = std::result::Result<T, E>;

/// How the web layer answers an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the request is wrong; the message says which field and what is allowed.
    BadRequest,
    /// 403: the caller may not do this.
    Forbidden,
    /// 404: no such thing.
    NotFound,
    /// 409: it clashes with what is stored (a duplicate code, a stage already recorded).
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

/// One bad cell of an import file, as the person sees it in the spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Row number in the sheet: the header is row 1, the first data row is row 2.
    pub row: usize,
    /// The column's header as written in the file (or the field's name when the column is
    /// missing).
    pub column: String,
    /// The cell's text.
    pub value: String,
    pub message_zh: String,
    pub message_en: String,
}

/// A refused or failed action of the industry register.
#[derive(Debug, thiserror::Error)]
pub enum IndustryError {
    /// A field is wrong: which one, why, and what is allowed.
    #[error("{field}: {reason_en}")]
    InvalidField {
        field: &'static str,
        reason_zh: String,
        reason_en: String,
    },
    /// The unified social credit code is wrong (field `uscc`).
    #[error("uscc: {0}")]
    InvalidUscc(#[from] UsccError),
    /// The request clashes with what is stored.
    #[error("{field}: {reason_en}")]
    Conflict {
        field: &'static str,
        reason_zh: String,
        reason_en: String,
    },
    /// The caller's role or organisation does not allow this.
    #[error("{reason_en}")]
    Forbidden {
        reason_zh: &'static str,
        reason_en: &'static str,
    },
    #[error("no {what_en} {id}")]
    NotFound {
        what_zh: &'static str,
        what_en: &'static str,
        id: String,
    },
    /// The import file was refused as a whole; nothing was written. One entry per bad cell.
    #[error("the file was not imported: {} error(s), the first in row {}", .0.len(), .0.first().map_or(0, |e| e.row))]
    ImportRejected(Vec<RowError>),
    #[error("database: {0}")]
    Store(#[from] store::sqlx::Error),
    #[error("a stored value is damaged: {0}")]
    Corrupt(String),
}

impl IndustryError {
    pub fn invalid(
        field: &'static str,
        reason_zh: impl Into<String>,
        reason_en: impl Into<String>,
    ) -> IndustryError {
        IndustryError::InvalidField {
            field,
            reason_zh: reason_zh.into(),
            reason_en: reason_en.into(),
        }
    }

    pub fn conflict(
        field: &'static str,
        reason_zh: impl Into<String>,
        reason_en: impl Into<String>,
    ) -> IndustryError {
        IndustryError::Conflict {
            field,
            reason_zh: reason_zh.into(),
            reason_en: reason_en.into(),
        }
    }

    pub fn forbidden(reason_zh: &'static str, reason_en: &'static str) -> IndustryError {
        IndustryError::Forbidden {
            reason_zh,
            reason_en,
        }
    }

    pub fn not_found(what_zh: &'static str, what_en: &'static str, id: &str) -> IndustryError {
        IndustryError::NotFound {
            what_zh,
            what_en,
            id: id.to_owned(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            IndustryError::InvalidField { .. }
            | IndustryError::InvalidUscc(_)
            | IndustryError::ImportRejected(_) => ErrorKind::BadRequest,
            IndustryError::Forbidden { .. } => ErrorKind::Forbidden,
            IndustryError::NotFound { .. } => ErrorKind::NotFound,
            IndustryError::Conflict { .. } => ErrorKind::Conflict,
            IndustryError::Store(_) | IndustryError::Corrupt(_) => ErrorKind::Internal,
        }
    }

    /// The field at fault, when one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            IndustryError::InvalidField { field, .. } | IndustryError::Conflict { field, .. } => {
                Some(field)
            }
            IndustryError::InvalidUscc(_) => Some("uscc"),
            _ => None,
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            IndustryError::InvalidField { reason_zh, .. }
            | IndustryError::Conflict { reason_zh, .. } => reason_zh.clone(),
            IndustryError::InvalidUscc(e) => e.message_zh(),
            IndustryError::Forbidden { reason_zh, .. } => (*reason_zh).to_owned(),
            IndustryError::NotFound { what_zh, id, .. } => format!("未找到{what_zh}（{id}）"),
            IndustryError::ImportRejected(rows) => format!(
                "文件未导入：共{}处错误，请按行修改后重新上传（未写入任何数据）",
                rows.len()
            ),
            IndustryError::Store(_) | IndustryError::Corrupt(_) => {
                "系统暂时无法完成操作，请稍后重试".to_owned()
            }
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            IndustryError::InvalidField { reason_en, .. }
            | IndustryError::Conflict { reason_en, .. } => reason_en.clone(),
            IndustryError::InvalidUscc(e) => e.message_en(),
            IndustryError::ImportRejected(rows) => format!(
                "The file was not imported: {} error(s); correct the rows listed and upload it again (nothing was written)",
                rows.len()
            ),
            IndustryError::Store(_) | IndustryError::Corrupt(_) => {
                "The platform could not complete the action; please try again later".to_owned()
            }
            other => other.to_string(),
        }
    }
}
