//! Sign-in, sign-out and the language switch.

use access::{FieldError, LoginError};
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::{Lang, UtcMillis};
use maud::html;
use serde::Deserialize;

use crate::ctx::{Ctx, LANG_COOKIE, SESSION_COOKIE, cookie, set_cookie};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{Field, csrf_field, error_summary, page};
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct NextParam {
    pub next: Option<String>,
}

/// Only local paths are followed after sign-in, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

pub async fn form(State(app): State<AppState>, ctx: Ctx, Query(q): Query<NextParam>) -> Response {
    if ctx.principal.is_some() {
        return Redirect::to("/").into_response();
    }
    render(&app, &ctx, "", &[], q.next.as_deref()).into_response()
}

fn render(
    app: &AppState,
    ctx: &Ctx,
    username: &str,
    errors: &[FieldError],
    next: Option<&str>,
) -> maud::Markup {
    let lang = ctx.lang;
    let body = html! {
        div.login {
            h1 { (t(lang, "login.title")) }
            p.lead { (t(lang, "login.intro")) }
            (error_summary(lang, errors))
            form.stack method="post" action="/login" novalidate {
                (csrf_field(ctx))
                input type="hidden" name="next" value=(safe_next(next));
                (Field { value: username, autocomplete: Some("username"), ..Field::new("username", t(lang, "login.username")) }.render(lang, errors))
                (Field { kind: "password", autocomplete: Some("current-password"), ..Field::new("password", t(lang, "login.password")) }.render(lang, errors))
                button type="submit" { (t(lang, "login.submit")) }
            }
            @if let Some(demo) = &app.settings.demo {
                h2 { (tf(lang, "login.demo_hint", &[("password", &demo.password)])) }
                div.table-wrap {
                    table.demo-accounts {
                        tbody {
                            @for (username, role) in &demo.usernames {
                                tr { th scope="row" { code { (username) } } td { (t(lang, &format!("role.{role}"))) } }
                            }
                        }
                    }
                }
            }
        }
    };
    page(ctx, t(lang, "login.title"), body)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(app): State<AppState>,
    ctx: Ctx,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = ctx.lang;
    if form.username.trim().is_empty() || form.password.is_empty() {
        let errors = [FieldError::new(
            "username",
            t(Lang::Zh, "login.missing"),
            t(Lang::En, "login.missing"),
        )];
        return (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            render(&app, &ctx, &form.username, &errors, form.next.as_deref()),
        )
            .into_response();
    }
    if let Err(retry_after_secs) = app.throttle.check(ctx.client_ip, std::time::Instant::now()) {
        return ctx
            .page_error(AppError::TooManyRequests { retry_after_secs })
            .into_response();
    }
    let outcome = match app.accounts.login(&form.username, &form.password).await {
        Ok(outcome) => outcome,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    match outcome {
        Ok((token, principal)) => {
            app.metrics.login(true);
            crate::audit::record(
                &app,
                &principal,
                "user.login",
                "user",
                &principal.user_id,
                ledger::PurposeOfUse::SystemAdministration,
                b"",
            )
            .await;
            let target = if principal.must_change_password {
                "/account".to_owned()
            } else {
                safe_next(form.next.as_deref())
            };
            let max_age = app.accounts.policy().session_absolute_ms / 1000;
            let mut response = Redirect::to(&target).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &token,
                    Some(max_age),
                    app.settings.secure_cookies,
                ),
            );
            response
        }
        Err(failure) => {
            app.metrics.login(false);
            let message = |l: Lang| match &failure {
                LoginError::InvalidCredentials => t(l, "login.failed").to_owned(),
                LoginError::Locked { until_ms } => tf(
                    l,
                    "login.locked",
                    &[("until", &UtcMillis(*until_ms).format_datetime(l))],
                ),
                LoginError::Throttled { retry_after_secs } => tf(
                    l,
                    "login.throttled",
                    &[("seconds", &retry_after_secs.to_string())],
                ),
            };
            let errors = [FieldError::new(
                "password",
                message(Lang::Zh),
                message(Lang::En),
            )];
            let _ = lang;
            (
                axum::http::StatusCode::UNAUTHORIZED,
                render(&app, &ctx, &form.username, &errors, form.next.as_deref()),
            )
                .into_response()
        }
    }
}

pub async fn logout(State(app): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = app.accounts.logout(token).await {
            tracing::error!(error = %e, "logout failed");
        }
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), app.settings.secure_cookies),
    );
    response
}

/// `/lang/{code}?next=`: remembers the choice in a cookie (and on the account) and goes back.
pub async fn switch_language(
    State(app): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<NextParam>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    if let Some(p) = &ctx.principal {
        if let Err(e) = app.accounts.set_locale(&p.user_id, lang).await {
            tracing::warn!(error = %e, "could not store the language choice");
        }
    }
    let mut response = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            Some(365 * 86_400),
            app.settings.secure_cookies,
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/admin/users")), "/admin/users");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
