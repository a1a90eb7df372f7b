//! `/account`: the signed-in user's profile, password change and API tokens.

use access::FieldError;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use maud::html;
use serde::Deserialize;

use crate::ctx::Signed;
use crate::i18n::t;
use crate::layout::{Field, csrf_field, error_summary, page, status_tag};
use crate::pages::home::roles_line;
use crate::state::AppState;

/// What to show above the forms after an action.
#[derive(Default)]
struct Outcome<'a> {
    errors: Vec<FieldError>,
    notice: Option<&'a str>,
    new_token: Option<String>,
}

pub async fn show(State(app): State<AppState>, signed: Signed) -> Response {
    render(&app, &signed, Outcome::default(), StatusCode::OK).await
}

async fn render(
    app: &AppState,
    Signed { ctx, user }: &Signed,
    outcome: Outcome<'_>,
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let tokens = match app.accounts.tokens(&user.user_id).await {
        Ok(t) => t,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let now = UtcMillis::now().0;
    let body = html! {
        h1 { (t(lang, "account.title")) }
        (error_summary(lang, &outcome.errors))
        @if let Some(n) = outcome.notice { p.notice.notice-success role="status" { (n) } }
        @if user.must_change_password { p.notice.notice-warning { (t(lang, "home.must_change_password")) } }
        h2 { (t(lang, "account.profile")) }
        dl.summary {
            dt { (t(lang, "account.username")) } dd { code { (user.username) } }
            dt { (t(lang, "account.name")) } dd { (user.display_name) }
            dt { (t(lang, "home.organisation")) } dd { (user.organisation.name(ctx.english())) }
            dt { (t(lang, "home.roles")) } dd { (roles_line(lang, user)) }
        }
        h2 id="password" { (t(lang, "account.password_title")) }
        form.stack method="post" action="/account/password" novalidate {
            (csrf_field(ctx))
            (Field { kind: "password", autocomplete: Some("current-password"), ..Field::new("current_password", t(lang, "account.current_password")) }.render(lang, &outcome.errors))
            (Field { kind: "password", autocomplete: Some("new-password"), hint: Some(t(lang, "account.password_hint")), ..Field::new("new_password", t(lang, "account.new_password")) }.render(lang, &outcome.errors))
            button type="submit" { (t(lang, "account.change")) }
        }
        h2 id="tokens" { (t(lang, "account.tokens")) }
        p { (t(lang, "account.tokens_intro")) }
        @if let Some(secret) = &outcome.new_token {
            div.notice.notice-success role="status" { p { (t(lang, "account.token_created")) } code.secret { (secret) } }
        }
        @if tokens.is_empty() {
            p.muted { (t(lang, "account.none")) }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { (t(lang, "account.token_name")) }
                    th scope="col" { (t(lang, "account.token_status")) }
                    th scope="col" { (t(lang, "account.token_expires")) }
                    th scope="col" { (t(lang, "account.token_last_used")) }
                    th scope="col" { span.visually-hidden { (t(lang, "account.token_revoke")) } }
                } }
                tbody {
                    @for token in &tokens {
                        tr {
                            th scope="row" { (token.name) }
                            td {
                                @if token.revoked_at.is_some() { (status_tag(t(lang, "account.token_revoked"), "muted")) }
                                @else if token.expires_at <= now { (status_tag(t(lang, "account.token_expired"), "warn")) }
                                @else { (status_tag(t(lang, "account.token_active"), "ok")) }
                            }
                            td { (UtcMillis(token.expires_at).format_date(lang)) }
                            td { (token.last_used_at.map(|t| UtcMillis(t).format_datetime(lang)).unwrap_or_else(|| t(lang, "account.never").to_owned())) }
                            td {
                                @if token.revoked_at.is_none() && token.expires_at > now {
                                    form.inline method="post" action={ "/account/tokens/" (token.id) "/revoke" } {
                                        (csrf_field(ctx))
                                        button.button-secondary type="submit" { (t(lang, "account.token_revoke")) span.visually-hidden { " " (token.name) } }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        }
        form.stack method="post" action="/account/tokens" novalidate {
            (csrf_field(ctx))
            (Field::new("name", t(lang, "account.token_name")).render(lang, &outcome.errors))
            (Field { kind: "number", value: "90", ..Field::new("expires_days", t(lang, "account.token_days")) }.render(lang, &outcome.errors))
            button type="submit" { (t(lang, "account.token_create")) }
        }
    };
    (status, page(ctx, t(lang, "account.title"), body)).into_response()
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(app): State<AppState>,
    signed: Signed,
    Form(form): Form<PasswordForm>,
) -> Response {
    let result = app
        .accounts
        .change_password(
            &signed.user.user_id,
            &form.current_password,
            &form.new_password,
        )
        .await;
    match result {
        Ok(()) => {
            crate::audit::record(
                &app,
                &signed.user,
                "user.password_change",
                "user",
                &signed.user.user_id,
                PurposeOfUse::SystemAdministration,
                b"",
            )
            .await;
            // Changing the password ended every session, this one too: sign in again.
            Redirect::to("/login?next=/account").into_response()
        }
        Err(access::AccessError::Invalid(errors)) => {
            render(
                &app,
                &signed,
                Outcome {
                    errors,
                    ..Default::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => signed.ctx.page_error(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_days: String,
}

pub async fn create_token(
    State(app): State<AppState>,
    signed: Signed,
    Form(form): Form<TokenForm>,
) -> Response {
    let Ok(days) = form.expires_days.trim().parse::<i64>() else {
        let errors = vec![FieldError::new(
            "expires_days",
            "请输入有效天数（整数）",
            "Enter the number of days as a whole number",
        )];
        return render(
            &app,
            &signed,
            Outcome {
                errors,
                ..Default::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match app
        .accounts
        .create_token(&signed.user.user_id, &form.name, days)
        .await
    {
        Ok((secret, info)) => {
            crate::audit::record(
                &app,
                &signed.user,
                "token.create",
                "api_token",
                &info.id,
                PurposeOfUse::SystemAdministration,
                b"",
            )
            .await;
            render(
                &app,
                &signed,
                Outcome {
                    new_token: Some(secret),
                    ..Default::default()
                },
                StatusCode::CREATED,
            )
            .await
        }
        Err(access::AccessError::Invalid(errors)) => {
            render(
                &app,
                &signed,
                Outcome {
                    errors,
                    ..Default::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => signed.ctx.page_error(e).into_response(),
    }
}

pub async fn revoke_token(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    match app.accounts.revoke_token(&signed.user.user_id, &id).await {
        Ok(true) => {
            crate::audit::record(
                &app,
                &signed.user,
                "token.revoke",
                "api_token",
                &id,
                PurposeOfUse::SystemAdministration,
                b"",
            )
            .await;
            let notice = t(signed.ctx.lang, "account.token_revoked");
            render(
                &app,
                &signed,
                Outcome {
                    notice: Some(notice),
                    ..Default::default()
                },
                StatusCode::OK,
            )
            .await
        }
        Ok(false) => signed
            .ctx
            .page_error(crate::error::AppError::NotFound)
            .into_response(),
        Err(e) => signed.ctx.page_error(e).into_response(),
    }
}
