//! `GET /alerts/{id}`: one alert with its history, and the forms to acknowledge it (with an
//! optional note) and, once acknowledged, to resolve it. `POST /alerts/{id}/acknowledge` and
//! `/resolve` answer with the page again: redirected after success, re-rendered with the
//! problem otherwise.

use std::collections::HashMap;

use access::{FieldError, Principal};
use alerts::{Alert, AlertError, AlertEvent, EventKind, Kind, State as AlertState, may_act};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::Lang;
use maud::{Markup, html};

use super::super::registry::{back_link, pick};
use super::{
    alert_error, amount_text, level_text, message, record_staff_view, resident_cell,
    resident_names, severity_tag, staff_of, state_tag, value_text, when,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page};
use crate::state::AppState;

/// What a re-rendered page carries back: the problems and the note as typed.
#[derive(Default)]
struct Submitted<'a> {
    errors: Vec<FieldError>,
    note: &'a str,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    match render(&app, &ctx, &user, &id, &Submitted::default()).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

pub async fn acknowledge(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    act(&app, &ctx, &user, &id, &fields, Action::Acknowledge).await
}

pub async fn resolve(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    act(&app, &ctx, &user, &id, &fields, Action::Resolve).await
}

#[derive(Clone, Copy)]
enum Action {
    Acknowledge,
    Resolve,
}

async fn act(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    id: &str,
    fields: &[(String, String)],
    action: Action,
) -> Response {
    let staff = match staff_of(user) {
        Ok(s) => s,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let typed = fields
        .iter()
        .find(|(k, _)| k == "note")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let note = Some(typed.trim()).filter(|n| !n.is_empty());
    let now = kernel::UtcMillis::now().0;
    let done = match action {
        Action::Acknowledge => app.alerts.acknowledge(id, &staff, note, now).await,
        Action::Resolve => app.alerts.resolve(id, &staff, note, now).await,
    };
    let (status, errors) = match done {
        Ok(_) => return Redirect::to(&format!("/alerts/{id}")).into_response(),
        Err(AlertError::NotAcknowledged(_)) => (
            StatusCode::CONFLICT,
            vec![FieldError::new(
                "note",
                t(Lang::Zh, "alerts.error.not_acknowledged"),
                t(Lang::En, "alerts.error.not_acknowledged"),
            )],
        ),
        Err(e) => match alert_error(e) {
            AppError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
            other => return ctx.page_error(other).into_response(),
        },
    };
    let submitted = Submitted {
        errors,
        note: typed,
    };
    match render(app, ctx, user, id, &submitted).await {
        Ok(body) => (status, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    id: &str,
    submitted: &Submitted<'_>,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let staff = staff_of(user)?;
    let (alert, events) = app
        .alerts
        .history(id, &staff)
        .await
        .map_err(alert_error)?
        .ok_or(AppError::NotFound)?;
    let names = resident_names(app, user, std::slice::from_ref(&alert)).await?;
    record_staff_view(app, user, std::slice::from_ref(&alert)).await;
    let people = people(app, lang, &alert, &events).await?;
    let person = |id: &Option<String>| {
        id.as_ref()
            .map(|id| people.get(id).cloned().unwrap_or_else(|| id.clone()))
            .unwrap_or_else(|| "—".into())
    };
    let acts = may_act(&alert, &staff);
    let title = message(lang, &alert).to_owned();
    let body = html! {
        (back_link("/alerts", t(lang, "alerts.inbox.title")))
        h1 { (title) }
        p { (severity_tag(app, lang, &alert.severity)) " " (state_tag(lang, alert.state)) }
        (error_summary(lang, &submitted.errors))
        dl.summary {
            dt { (t(lang, "alerts.resident")) }
            dd { (resident_cell(lang, &names, &alert)) }
            dt { (t(lang, "alerts.rule")) }
            dd {
                (kind_label(lang, alert.kind)) " · " (rule_words(app, lang, &alert))
            }
            dt { (t(lang, "alerts.readings")) }
            dd { (tf(lang, "alerts.readings_n", &[("n", &alert.reading_count.to_string())])) }
            dt { (t(lang, "alerts.first")) }
            dd { (when(lang, alert.raised_at)) " · " (amount_text(app, &alert.last_key, alert.first_value)) }
            dt { (t(lang, "alerts.last")) }
            dd { (when(lang, alert.last_at)) " · " (value_text(app, lang, &alert.last_key, alert.last_value)) }
            dt { (t(lang, "alerts.sees_it")) }
            dd {
                (level_text(lang, alert.level))
                @if let (Some(due), AlertState::Raised) = (alert.escalation_due_at, alert.state) {
                    br;
                    span.muted { (tf(lang, "alerts.escalates_at", &[("at", &when(lang, due))])) }
                }
            }
            @if let Some(at) = alert.acknowledged_at {
                dt { (t(lang, "alerts.acknowledged_by")) }
                dd { (person(&alert.acknowledged_by)) " · " (when(lang, at)) }
            }
            @if let Some(at) = alert.resolved_at {
                dt { (t(lang, "alerts.resolved_by")) }
                dd { (person(&alert.resolved_by)) " · " (when(lang, at)) }
            }
        }
        @match (alert.state, acts) {
            (AlertState::Resolved, _) => {}
            (_, false) => { p.notice { (t(lang, "alerts.not_yours")) } }
            (AlertState::Raised, true) => {
                (form(ctx, &alert.id, "acknowledge", "alerts.acknowledge", "alerts.acknowledge_hint", submitted))
            }
            (AlertState::Acknowledged, true) => {
                (form(ctx, &alert.id, "resolve", "alerts.resolve", "alerts.resolve_hint", submitted))
            }
        }
        h2 { (t(lang, "alerts.history")) }
        ol.alerts-history {
            @for e in &events {
                li {
                    strong { (event_label(lang, e.kind)) }
                    " · " span.nowrap { (when(lang, e.at)) }
                    " · " (people.get(&e.actor).cloned().unwrap_or_else(|| e.actor.clone()))
                    @if e.kind == EventKind::Escalated { " · " (level_text(lang, e.level)) }
                    @if let Some(note) = &e.note { p.alerts-note { (note) } }
                }
            }
        }
    };
    Ok(page(ctx, &title, body))
}

/// The acknowledge or resolve form: an optional note and the button.
fn form(
    ctx: &Ctx,
    id: &str,
    action: &str,
    button: &str,
    hint: &str,
    submitted: &Submitted<'_>,
) -> Markup {
    let lang = ctx.lang;
    let error = submitted.errors.iter().find(|e| e.field == "note");
    html! {
        form.stack.alerts-form method="post" action={ "/alerts/" (id) "/" (action) } {
            (csrf_field(ctx))
            div.field.field-error[error.is_some()] {
                label for="note" { (t(lang, "alerts.note")) }
                p.hint id="note-hint" { (t(lang, hint)) }
                @if let Some(e) = error { p.error-message id="note-error" { (e.message(lang)) } }
                textarea id="note" name="note" rows="3"
                    aria-describedby={ "note-hint" @if error.is_some() { " note-error" } }
                    aria-invalid=[error.map(|_| "true")] { (submitted.note) }
            }
            button type="submit" { (t(lang, button)) }
        }
    }
}

fn kind_label(lang: Lang, kind: Kind) -> &'static str {
    match kind {
        Kind::Danger => t(lang, "alerts.kind.danger"),
        Kind::Trend => t(lang, "alerts.kind.trend"),
    }
}

fn event_label(lang: Lang, kind: EventKind) -> &'static str {
    t(lang, &format!("alerts.event.{}", kind.code()))
}

/// "Name (organisation)" for every user named on the alert or its history; the platform for
/// `system`.
async fn people(
    app: &AppState,
    lang: Lang,
    alert: &Alert,
    events: &[AlertEvent],
) -> Result<HashMap<String, String>, AppError> {
    let mut out = HashMap::new();
    let ids = events
        .iter()
        .map(|e| &e.actor)
        .chain(alert.acknowledged_by.iter())
        .chain(alert.resolved_by.iter());
    for id in ids {
        if out.contains_key(id) {
            continue;
        }
        let label = if id == "system" {
            t(lang, "alerts.platform").to_owned()
        } else {
            match app.accounts.user(id).await? {
                Some(u) => {
                    let org = match lang {
                        Lang::Zh => u.organisation_name_zh,
                        Lang::En => u.organisation_name_en,
                    };
                    tf(
                        lang,
                        "alerts.person",
                        &[("name", &u.display_name), ("organisation", &org)],
                    )
                }
                None => id.clone(),
            }
        };
        out.insert(id.clone(), label);
    }
    Ok(out)
}

/// The rule in words: a danger sign's conditions with the elements' names from the templates'
/// dictionary (`收缩压 ≥ 180 mmHg 或 舒张压 ≥ 110 mmHg`); a trend rule as it was stated when
/// the alert was raised.
fn rule_words(app: &AppState, lang: Lang, alert: &Alert) -> String {
    if alert.kind != Kind::Danger {
        return alert.rule_text.clone();
    }
    let Some(rule) = app
        .alerts
        .rules()
        .danger_rules()
        .iter()
        .find(|r| r.key == alert.rule_key)
    else {
        return alert.rule_text.clone();
    };
    let joiner = match (rule.combine, lang) {
        (diseases::Combine::Any, Lang::Zh) => " 或 ",
        (diseases::Combine::Any, Lang::En) => " or ",
        (diseases::Combine::All, Lang::Zh) => " 且 ",
        (diseases::Combine::All, Lang::En) => " and ",
    };
    rule.when
        .iter()
        .map(|c| match super::element(app, &c.key) {
            Some(e) => c.text_named(pick(lang, &e.name_zh, &e.name_en), &e.display_unit),
            None => c.text(""),
        })
        .collect::<Vec<_>>()
        .join(joiner)
}
