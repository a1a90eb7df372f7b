//! `GET /me/alerts`: the resident's own alerts (and those of household members who let them
//! act for them), in plain language: what it means, what to do, whether the doctor has seen
//! it. No staff ids or notes: the alerts crate's `ResidentAlert` does not carry them.

use access::Principal;
use alerts::{ResidentAlert, State as AlertState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use kernel::{Lang, mask_name};
use ledger::PurposeOfUse;
use maud::{Markup, html};
use registry::SharingPurpose;

use super::super::registry::{actor, clinical_error, registry_error};
use super::{alert_error, record_view, value_text, when};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, t_opt, tf};
use crate::layout::{page, status_tag};
use crate::state::AppState;

/// One person's alerts on the page.
struct Section {
    resident_id: String,
    /// `None` for the user's own record.
    name: Option<String>,
    alerts: Vec<ResidentAlert>,
    /// Whether the person shares with their community health centre and family doctor.
    shares: bool,
}

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    match render(&app, &ctx, &user).await {
        Ok(r) => r,
        Err(e) => ctx.page_error(e).into_response(),
    }
}

async fn render(app: &AppState, ctx: &Ctx, user: &Principal) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let actor = actor(user);
    let (own, represented) = app
        .clinical
        .residents_acted_for(&user.user_id)
        .await
        .map_err(clinical_error)?;
    let mut sections = Vec::new();
    for (resident_id, is_own) in own
        .iter()
        .map(|r| (r, true))
        .chain(represented.iter().map(|r| (r, false)))
    {
        let alerts = app
            .alerts
            .alerts_of_resident(resident_id)
            .await
            .map_err(alert_error)?;
        let shares = app
            .clinical
            .sharing_of(&actor, resident_id)
            .await
            .map_err(clinical_error)?
            .iter()
            .find(|d| d.purpose == SharingPurpose::Community)
            .is_none_or(|d| d.granted);
        let name = if is_own {
            None
        } else {
            let r = app
                .clinical
                .residents()
                .resident(resident_id)
                .await
                .map_err(registry_error)?;
            Some(
                r.and_then(|r| r.facts.name)
                    .map(|n| mask_name(&n))
                    .unwrap_or_else(|| "—".into()),
            )
        };
        sections.push(Section {
            resident_id: resident_id.clone(),
            name,
            alerts,
            shares,
        });
    }
    let shown: Vec<(&str, &str)> = sections
        .iter()
        .flat_map(|s| {
            s.alerts
                .iter()
                .map(|a| (s.resident_id.as_str(), a.id.as_str()))
        })
        .collect();
    record_view(app, user, &shown, PurposeOfUse::PatientRequest).await;

    let body = html! {
        h1 { (t(lang, "alerts.me.title")) }
        p.lead { (t(lang, "alerts.me.intro")) }
        @if sections.is_empty() { p.notice { (t(lang, "alerts.me.no_record")) } }
        @for s in &sections {
            section.card.alerts-person {
                @if let Some(name) = &s.name {
                    h2 { (tf(lang, "alerts.me.of", &[("name", name)])) }
                }
                @if !s.shares {
                    p.notice.notice-warning {
                        (t(lang, "alerts.me.not_shared")) " "
                        a href="/me/sharing" { (t(lang, "alerts.me.sharing_link")) }
                    }
                }
                @if s.alerts.is_empty() {
                    p.muted { (t(lang, "alerts.me.none")) }
                } @else {
                    ul.alerts-mine {
                        @for a in &s.alerts { (item(app, lang, a)) }
                    }
                }
            }
        }
        p.alerts-urgent { (t(lang, "alerts.me.emergency")) }
    };
    Ok(page(ctx, t(lang, "alerts.me.title"), body).into_response())
}

/// Plain-language text of the rule, or of its kind when the rule has none of its own.
fn rule_text(app: &AppState, lang: Lang, a: &ResidentAlert, part: &str) -> &'static str {
    t_opt(lang, &format!("alerts.me.rule.{}.{part}", a.rule_key)).unwrap_or_else(|| {
        // The policy lists severities most urgent first.
        let most_urgent = app.alerts.rules().policy().severities.first();
        let kind = if most_urgent.is_some_and(|s| s.key == a.severity) {
            "urgent"
        } else {
            "routine"
        };
        t(lang, &format!("alerts.me.kind.{kind}.{part}"))
    })
}

fn item(app: &AppState, lang: Lang, a: &ResidentAlert) -> Markup {
    let (state, tone) = match a.state {
        AlertState::Raised => (t(lang, "alerts.me.state.raised"), "warn"),
        AlertState::Acknowledged => (t(lang, "alerts.me.state.acknowledged"), "info"),
        AlertState::Resolved => (t(lang, "alerts.me.state.resolved"), "ok"),
    };
    let seen = match (a.state, a.acknowledged_at, a.resolved_at) {
        (AlertState::Resolved, _, Some(at)) => {
            tf(lang, "alerts.me.seen_resolved", &[("at", &when(lang, at))])
        }
        (_, Some(at), _) => tf(
            lang,
            "alerts.me.seen_acknowledged",
            &[("at", &when(lang, at))],
        ),
        _ => t(lang, "alerts.me.seen_not_yet").to_owned(),
    };
    html! {
        li.alerts-mine-item {
            h2 { (rule_text(app, lang, a, "title")) " " (status_tag(state, tone)) }
            p.muted {
                (tf(lang, "alerts.me.when", &[
                    ("first", &when(lang, a.raised_at)),
                    ("last", &when(lang, a.last_at)),
                    ("value", &value_text(app, lang, &a.last_key, a.last_value)),
                    ("n", &a.reading_count.to_string()),
                ]))
            }
            dl.alerts-plain {
                dt { (t(lang, "alerts.me.meaning")) }
                dd { (rule_text(app, lang, a, "meaning")) }
                dt { (t(lang, "alerts.me.todo")) }
                dd { (rule_text(app, lang, a, "todo")) }
                dt { (t(lang, "alerts.me.doctor")) }
                dd { (seen) }
            }
        }
    }
}
