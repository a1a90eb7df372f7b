//! Errors of account management and sign-in.

use kernel::{Explain, Lang};

/// One problem with one input field, explained in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field or JSON property, e.g. `username`.
    pub field: &'static str,
    pub zh: String,
    pub en: String,
}

impl FieldError {
    pub fn new(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            field,
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// A field error from any validation error that explains itself.
    pub fn explained(field: &'static str, error: &impl Explain) -> Self {
        Self {
            field,
            zh: error.explain(Lang::Zh),
            en: error.explain(Lang::En),
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Why a password was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRuleError {
    #[error("the password has {found} characters; it needs at least {min}")]
    TooShort { min: usize, found: usize },
    #[error("the password may have at most {max} characters")]
    TooLong { max: usize },
    #[error("the password needs three of: lower-case letters, capitals, digits, symbols")]
    TooSimple,
    #[error("the password may not contain the user name")]
    ContainsUsername,
}

impl Explain for PasswordRuleError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::TooShort { min, found }, Lang::Zh) => {
                format!("密码只有{found}个字符，至少需要{min}个字符")
            }
            (Self::TooLong { max }, Lang::Zh) => format!("密码最多{max}个字符"),
            (Self::TooSimple, Lang::Zh) => {
                "密码需包含小写字母、大写字母、数字、符号中的至少三类".to_owned()
            }
            (Self::ContainsUsername, Lang::Zh) => "密码不能包含用户名".to_owned(),
            (_, Lang::En) => {
                let mut s = self.to_string();
                if let Some(first) = s.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                s
            }
        }
    }
}

/// Failures of account management.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.en)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("stored {0}")]
    Corrupt(#[from] crate::role::UnknownCode),
    #[error("could not hash the password: {0}")]
    Hashing(String),
    #[error("could not read a protected field: {0}")]
    Vault(#[from] vault::VaultError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl From<store::sqlx::Error> for AccessError {
    fn from(e: store::sqlx::Error) -> Self {
        AccessError::Store(store::StoreError::Sql(e))
    }
}

impl AccessError {
    pub fn invalid(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        AccessError::Invalid(vec![FieldError::new(field, zh, en)])
    }
}

/// Why a sign-in failed. Wrong user name and wrong password are deliberately one case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("the user name or password is wrong")]
    InvalidCredentials,
    #[error("the account is locked after repeated failures until {until_ms}")]
    Locked { until_ms: i64 },
    #[error("too many sign-in attempts from this address; wait {retry_after_secs} seconds")]
    Throttled { retry_after_secs: u64 },
}
