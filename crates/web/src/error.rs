//! One error type for handlers, answered as an HTML page for people and as an RFC 7807
//! problem document for machines.

use access::{AccessError, Denied, FieldError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kernel::Lang;

use crate::i18n::t;

/// What went wrong, independent of how it is answered.
#[derive(Debug)]
pub enum AppError {
    /// No valid session or token.
    NotSignedIn,
    Forbidden,
    NotFound,
    /// The CSRF token was missing or wrong.
    Csrf,
    /// Input problems, per field.
    Invalid(Vec<FieldError>),
    /// A request that cannot be served as asked, with a message in both languages.
    BadRequest {
        zh: String,
        en: String,
    },
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// Refused, with the reason and the way that is allowed instead (403).
    Refused {
        zh: String,
        en: String,
    },
    /// Someone else acted first, or the thing has moved on; says what it is now.
    Conflict {
        zh: String,
        en: String,
    },
    Internal(String),
}

impl From<AccessError> for AppError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Invalid(fields) => AppError::Invalid(fields),
            AccessError::NotFound { .. } => AppError::NotFound,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<Denied> for AppError {
    fn from(_: Denied) -> Self {
        AppError::Forbidden
    }
}

impl From<ledger::LedgerError> for AppError {
    fn from(e: ledger::LedgerError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf | AppError::Refused { .. } => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem type's last path segment (`https://lifehealth.invalid/problems/{kind}`).
    pub fn kind(&self) -> &'static str {
        match self {
            AppError::NotSignedIn => "not-signed-in",
            AppError::Forbidden | AppError::Refused { .. } => "forbidden",
            AppError::NotFound => "not-found",
            AppError::Csrf => "csrf",
            AppError::Invalid(_) => "invalid-input",
            AppError::BadRequest { .. } => "bad-request",
            AppError::TooManyRequests { .. } => "too-many-requests",
            AppError::Conflict { .. } => "conflict",
            AppError::Internal(_) => "internal",
        }
    }

    fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(%detail, "request failed");
        }
    }

    /// A short message a person can act on.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::NotSignedIn => t(lang, "login.intro").to_owned(),
            AppError::Forbidden => t(lang, "error.forbidden").to_owned(),
            AppError::NotFound => t(lang, "error.not_found").to_owned(),
            AppError::Csrf => t(lang, "error.csrf").to_owned(),
            AppError::Invalid(fields) => fields
                .iter()
                .map(|f| f.message(lang).to_owned())
                .collect::<Vec<_>>()
                .join("; "),
            AppError::BadRequest { zh, en }
            | AppError::Conflict { zh, en }
            | AppError::Refused { zh, en } => match lang {
                Lang::Zh => zh.clone(),
                Lang::En => en.clone(),
            },
            AppError::TooManyRequests { retry_after_secs } => crate::i18n::tf(
                lang,
                "login.throttled",
                &[("seconds", &retry_after_secs.to_string())],
            ),
            AppError::Internal(_) => t(lang, "error.internal").to_owned(),
        }
    }
}

/// An error answered as a page in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    pub error: AppError,
    pub lang: Lang,
    pub signed_in: bool,
    pub path: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.error.log();
        if matches!(self.error, AppError::NotSignedIn) {
            let next = urlencode(&self.path);
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
        let status = self.error.status();
        let body = crate::layout::error_page(self.lang, status, &self.error.message(self.lang));
        (status, body).into_response()
    }
}

/// An error answered as `application/problem+json` (RFC 7807), in English by default or in
/// the language the client asked for.
#[derive(Debug)]
pub struct ApiError {
    pub error: AppError,
    pub lang: Lang,
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError {
            error,
            lang: Lang::En,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.error.log();
        let status = self.error.status();
        let kind = self.error.kind();
        let mut problem = serde_json::json!({
            "type": format!("https://lifehealth.invalid/problems/{kind}"),
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": self.error.message(self.lang),
        });
        if let AppError::Invalid(fields) = &self.error {
            problem["errors"] = fields
                .iter()
                .map(|f| serde_json::json!({ "field": f.field, "message": f.message(self.lang) }))
                .collect();
        }
        let mut response = (status, problem.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self.error, AppError::NotSignedIn) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Percent-encodes a path for use in a query string.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
