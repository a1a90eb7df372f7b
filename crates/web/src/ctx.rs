//! Who is asking, in which language, with which CSRF token: resolved once per request by
//! [`authenticate`] and read by handlers through the [`Ctx`] and [`Signed`] extractors.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use access::{Accounts, Principal};
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kernel::Lang;

use crate::error::{ApiError, AppError, PageError};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "lh_session";
pub const VISITOR_COOKIE: &str = "lh_visitor";
pub const LANG_COOKIE: &str = "lh_lang";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Largest request body read by the CSRF check; bigger forms are refused. A consultation
/// photo (at most 2 MiB, `rules/clinic.toml`) travels base64-encoded, a third larger.
pub const MAX_FORM_BYTES: usize = 4 << 20;

/// The request's context.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub principal: Option<Principal>,
    pub lang: Lang,
    /// The token forms must carry back in `_csrf`.
    pub csrf: String,
    pub path: String,
    pub client_ip: IpAddr,
}

impl Ctx {
    /// Wraps an error as a page in this visitor's language.
    pub fn page_error(&self, error: impl Into<AppError>) -> PageError {
        PageError {
            error: error.into(),
            lang: self.lang,
            signed_in: self.principal.is_some(),
            path: self.path.clone(),
        }
    }

    pub fn api_error(&self, error: impl Into<AppError>) -> ApiError {
        ApiError {
            error: error.into(),
            lang: self.lang,
        }
    }

    pub fn english(&self) -> bool {
        self.lang == Lang::En
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Ctx>().cloned().ok_or_else(|| {
            AppError::Internal("request context missing: router built without authenticate".into())
                .status()
                .into_response()
        })
    }
}

/// A request from a signed-in user: pages redirect others to sign in, the API answers 401.
#[derive(Clone, Debug)]
pub struct Signed {
    pub ctx: Ctx,
    pub user: Principal,
}

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match ctx.principal.clone() {
            Some(user) => Ok(Signed { ctx, user }),
            None if is_api(&ctx.path) => Err(ctx.api_error(AppError::NotSignedIn).into_response()),
            None => Err(ctx.page_error(AppError::NotSignedIn).into_response()),
        }
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/fhir")
}

/// Reads a cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, `Secure` when configured.
pub fn set_cookie(name: &str, value: &str, max_age_secs: Option<i64>, secure: bool) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_secs {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// Middleware: authenticate, pick the language, check CSRF on state-changing requests,
/// record metrics, and set the visitor cookie when a new visitor arrives.
pub async fn authenticate(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let client_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));

    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|s| s.trim().to_owned());
    let session = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned);
    let mut new_visitor = None;

    let principal = match (&bearer, &session) {
        (Some(token), _) if is_api(&path) => app.accounts.token_principal(token).await,
        (_, Some(token)) => app.accounts.session_principal(token).await,
        _ => Ok(None),
    };
    let principal = match principal {
        Ok(p) => p,
        Err(e) => {
            let error = ApiError {
                error: AppError::Internal(e.to_string()),
                lang: Lang::Zh,
            };
            return error.into_response();
        }
    };
    // Bearer credentials on anything but the API are ignored, and a bearer that fails to
    // authenticate is refused outright rather than treated as anonymous.
    if bearer.is_some() && is_api(&path) && principal.is_none() {
        if path.starts_with("/fhir") {
            return crate::fhir::unauthorized().into_response();
        }
        return ApiError::from(AppError::NotSignedIn).into_response();
    }

    let csrf_base = match (&session, principal.is_some()) {
        (Some(token), true) => token.clone(),
        _ => match cookie(&parts.headers, VISITOR_COOKIE) {
            Some(v) => v.to_owned(),
            None => {
                let fresh = Accounts::new_visitor_secret();
                new_visitor = Some(fresh.clone());
                fresh
            }
        },
    };
    let lang = language(&parts, principal.as_ref());
    let ctx = Ctx {
        csrf: app.accounts.csrf_token(&csrf_base),
        principal,
        lang,
        path: path.clone(),
        client_ip,
    };

    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let via_token = bearer.is_some() && is_api(&path);
    let body = if unsafe_method && !via_token {
        let bytes = match to_bytes(body, MAX_FORM_BYTES).await {
            Ok(b) => b,
            Err(_) => {
                return ctx
                    .page_error(AppError::BadRequest {
                        zh: "提交的内容过大".into(),
                        en: "The submitted form is too large".into(),
                    })
                    .into_response();
            }
        };
        let submitted = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| form_field(&bytes, CSRF_FIELD));
        let valid = new_visitor.is_none()
            && submitted.is_some_and(|s| app.accounts.csrf_valid(&csrf_base, &s));
        if !valid {
            let response = if is_api(&path) {
                ctx.api_error(AppError::Csrf).into_response()
            } else {
                ctx.page_error(AppError::Csrf).into_response()
            };
            return with_visitor_cookie(response, new_visitor.as_deref(), &app);
        }
        Body::from(bytes)
    } else {
        body
    };

    parts.extensions.insert(ctx);
    let response = next.run(Request::from_parts(parts, body)).await;
    let mut response = with_visitor_cookie(response, new_visitor.as_deref(), &app);
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    app.metrics.observe(response.status().as_u16(), micros);
    response
}

fn with_visitor_cookie(mut response: Response, visitor: Option<&str>, app: &AppState) -> Response {
    if let Some(value) = visitor {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(VISITOR_COOKIE, value, None, app.settings.secure_cookies),
        );
    }
    response
}

/// zh-CN unless the visitor chose English (cookie) or their account says English.
fn language(parts: &Parts, principal: Option<&Principal>) -> Lang {
    if let Some(lang) = cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse) {
        return lang;
    }
    if let Some(p) = principal {
        return p.locale;
    }
    if is_api(parts.uri.path()) {
        // Machines get English problem details unless they ask for Chinese.
        let wants_zh = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("zh"));
        return if wants_zh { Lang::Zh } else { Lang::En };
    }
    Lang::Zh
}

/// The value of `name` in an `application/x-www-form-urlencoded` body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    kernel::form::parse_form(text)
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_found_and_decoded() {
        let body = b"username=wang&_csrf=a%2Bb%3D&note=hello+world";
        assert_eq!(form_field(body, "_csrf").as_deref(), Some("a+b="));
        assert_eq!(form_field(body, "note").as_deref(), Some("hello world"));
        assert_eq!(form_field(body, "missing"), None);
        assert_eq!(form_field(b"x=%", "x").as_deref(), Some("%"));
        assert_eq!(form_field(b"x=%4", "x").as_deref(), Some("%4"));
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("lh_lang=en; lh_session=abc"),
        );
        assert_eq!(cookie(&headers, LANG_COOKIE), Some("en"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "lh_sess"), None);
    }
}
