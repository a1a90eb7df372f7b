//! What can go wrong: in the rule files (at start), in a caller's request, or underneath.

use thiserror::Error;

/// A rule or policy file that cannot be used. Names the file and the field.
#[derive(Debug, Error, PartialEq)]
pub enum RuleError {
    /// Not TOML, or a field missing, misspelt or of the wrong type.
    #[error("{file}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The parser's message (it names the field and position).
        message: String,
    },
    /// Parsed, but inconsistent with itself or with the disease templates.
    #[error("{file}: {field}: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// The field, as a path (`trends[0].disease`).
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The disease templates themselves did not load.
    #[error("disease templates: {0}")]
    Templates(String),
}

/// Why an alert operation failed.
#[derive(Debug, Error)]
pub enum AlertError {
    /// No alert with this id (or none the caller may see).
    #[error("alert {0} does not exist")]
    NotFound(String),
    /// The user is neither the alert's addressee nor, once it is escalated, staff of the
    /// resident's community health centre.
    #[error(
        "user {user_id} may not act on alert {alert_id}: only the resident's family doctor, or \
         once the alert is escalated the staff of the resident's community health centre, may"
    )]
    NotAllowed {
        /// The alert.
        alert_id: String,
        /// Who tried.
        user_id: String,
    },
    /// Resolving an alert nobody has acknowledged.
    #[error("alert {0} is not acknowledged yet: acknowledge it before resolving it")]
    NotAcknowledged(String),
    /// A note longer than the policy allows.
    #[error("note: {chars} characters, more than the {max} allowed")]
    NoteTooLong {
        /// Its length in characters.
        chars: usize,
        /// The limit (rules/alerts.toml `notes.max_chars`).
        max: usize,
    },
    /// A note with control characters other than line breaks and tabs.
    #[error("note: contains control characters; only text, line breaks and tabs are allowed")]
    NoteControlCharacters,
    /// The webhook configuration is unusable.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// Reading the resident's care team or registers failed.
    #[error("registry: {0}")]
    Registry(#[from] registry::RegistryError),
    /// The ledger refused or could not record an event. The alert change itself is committed.
    #[error("ledger: {0}")]
    Ledger(#[from] ledger::LedgerError),
    /// A stored row could not be read back.
    #[error("stored alert data unreadable: {0}")]
    Unreadable(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] store::sqlx::Error),
}

/// Why a webhook cannot be configured.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WebhookError {
    /// The URL is not an absolute `http://` URL.
    #[error(
        "webhook url: `{0}` is not usable; expected an absolute http:// URL (https is not \
         compiled in: put a TLS-terminating proxy on the same host)"
    )]
    Url(String),
    /// The secret is shorter than the policy's minimum.
    #[error("webhook secret: {bytes} bytes, fewer than the {min} required (RFC 2104 §3)")]
    SecretTooShort {
        /// Its length.
        bytes: usize,
        /// The minimum (rules/alerts.toml `delivery.min_secret_bytes`).
        min: usize,
    },
}

/// Result of alert operations.
pub type Result<T, E = AlertError> = std::result::Result<T, E>;
