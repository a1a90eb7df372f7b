//! `/me`: the resident's own space on one page, phone first. A card for each part of their
//! record — the health record and registers, home devices and readings, cardiovascular risk,
//! alerts, sharing, who read the record — each with the figure that matters and the way in.
//! The resident's home page shows the same cards. Reading it is a view of the resident's
//! health data and goes on the ledger like any other.

use access::{Principal, RecordScope};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use kernel::{Lang, UtcMillis};
use maud::{Markup, html};
use serde_json::json;

use devices::{DeviceCatalogue, Series, StoredReading};

use super::devices::readings::short_time;
use super::devices::{device_error, words};
use super::registry::{actor, clinical_error, date, disease_label, registry_error};
use super::risk::{band_tag, record_views, scores_error};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{page, status_tag};
use crate::state::AppState;

/// Measures whose latest reading the devices card names.
const LATEST_SHOWN: usize = 3;

/// Ledger entries read to find the latest access by someone else.
const ACCESS_LOOKBACK: u32 = 50;

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    match cards(&app, &ctx, &user).await {
        Ok(cards) => {
            let body = html! {
                h1 { (t(lang, "portal.title")) }
                p.lead { (t(lang, "portal.intro")) }
                (cards)
            };
            page(&ctx, t(lang, "portal.title"), body).into_response()
        }
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// The cards of the signed-in resident's own record (a notice when the master index has no
/// record of theirs yet); `Forbidden` for users without an own-record scope.
pub async fn cards(app: &AppState, ctx: &Ctx, user: &Principal) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let actor = actor(user);
    if !matches!(actor.read, Some(RecordScope::Own)) {
        return Err(AppError::Forbidden);
    }
    let (own, represented) = app
        .clinical
        .residents_acted_for(&user.user_id)
        .await
        .map_err(clinical_error)?;
    let Some(resident_id) = own.first() else {
        return Ok(html! { p.notice { (t(lang, "timeline.no_record")) } });
    };
    let enrolments = app
        .clinical
        .registers()
        .enrolments_of(resident_id)
        .await
        .map_err(registry_error)?;
    let open_visits = app
        .clinic
        .consultations_of_patient(user)
        .await
        .map_err(super::clinic::clinic_error)?
        .iter()
        .filter(|c| !c.state.is_closed())
        .count();
    let unread = app
        .clinic
        .unread_count(user)
        .await
        .map_err(super::clinic::clinic_error)?;
    let devices: Vec<_> = app
        .devices
        .devices_of(resident_id)
        .await
        .map_err(device_error)?
        .into_iter()
        .filter(|d| !d.revoked)
        .collect();
    let latest = latest_by_measure(
        app.devices.catalogue(),
        lang,
        &app.devices
            .latest(resident_id)
            .await
            .map_err(device_error)?,
    );
    let score = app.risk.latest(resident_id).await.map_err(scores_error)?;
    let open_alerts = app
        .alerts
        .alerts_of_resident(resident_id)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .into_iter()
        .filter(|a| a.state != alerts::State::Resolved)
        .count();
    let sharing = app
        .clinical
        .sharing_of(&actor, resident_id)
        .await
        .map_err(clinical_error)?;
    let last_access = app
        .ledger
        .entries_for_subject("resident", resident_id, ACCESS_LOOKBACK)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .into_iter()
        .filter(|e| e.event.actor != user.user_id)
        .max_by_key(|e| e.seq);
    let last_access_by = match &last_access {
        Some(e) => Some(organisation_name(app, lang, e.event.organisation.as_deref()).await),
        None => None,
    };

    let shown = json!({
        "registers": enrolments.iter().map(|e| &e.disease).collect::<Vec<_>>(),
        "devices": devices.len(),
        "latest": latest.iter().map(|m| (&m.value, m.at.0)).collect::<Vec<_>>(),
        "risk_band": score.as_ref().and_then(|s| s.band()),
        "open_alerts": open_alerts,
    });
    record_views(
        app,
        &actor,
        "portal.view",
        &[(resident_id.clone(), shown.to_string())],
        actor.purpose,
    )
    .await;

    Ok(html! {
        div.portal {
            a.portal-card href="/me/record" {
                h2 { (t(lang, "timeline.my_record")) }
                @if enrolments.is_empty() {
                    p.portal-figure { (t(lang, "portal.record.no_register")) }
                } @else {
                    p.portal-figure { (enrolments.iter().map(|e| disease_label(app, lang, &e.disease)).collect::<Vec<_>>().join(if lang == Lang::Zh { "、" } else { ", " })) }
                    @if let Some(last) = enrolments.iter().filter_map(|e| e.last_visit).max() {
                        p.muted { (tf(lang, "portal.record.last_visit", &[("date", &date(lang, last))])) }
                    }
                }
                p.portal-go { (t(lang, "portal.record.go")) }
            }
            a.portal-card href="/me/devices" {
                h2 { (t(lang, "devices.me.title")) }
                p.portal-figure { (tf(lang, "portal.devices.count", &[("n", &devices.len().to_string())])) }
                @if latest.is_empty() {
                    p.muted { (t(lang, "portal.devices.no_reading")) }
                } @else {
                    ul.portal-list {
                        @for m in &latest {
                            li {
                                (m.name) " " strong { (m.value) }
                                span.muted { " · " (short_time(lang, m.at)) }
                            }
                        }
                    }
                }
                p.portal-go { (t(lang, "portal.devices.go")) }
            }
            a.portal-card href="/me/risk" {
                h2 { (t(lang, "risk.mine.title")) }
                @match score.as_ref().and_then(|s| s.band().map(|b| (b, s.risk_percent()))) {
                    Some((band, percent)) => {
                        p.portal-figure {
                            @if let Some(p) = percent { (format!("{p:.1}%")) " " }
                            (band_tag(lang, band))
                        }
                        p.muted { (t(lang, "portal.risk.what")) }
                    }
                    None => p.muted { (t(lang, "portal.risk.none")) },
                }
                p.portal-go { (t(lang, "portal.risk.go")) }
            }
            a.portal-card href="/me/alerts" {
                h2 { (t(lang, "alerts.me.title")) }
                @if open_alerts == 0 {
                    p.portal-figure { (status_tag(t(lang, "portal.alerts.none"), "ok")) }
                } @else {
                    p.portal-figure { (status_tag(&tf(lang, "portal.alerts.open", &[("n", &open_alerts.to_string())]), "error")) }
                }
                p.portal-go { (t(lang, "portal.alerts.go")) }
            }
            a.portal-card href="/clinic" {
                h2 { (t(lang, "clinic.book.title")) }
                p.portal-figure { (tf(lang, "clinic.portal.open", &[("n", &open_visits.to_string())])) }
                @if unread > 0 {
                    p { (status_tag(&tf(lang, "clinic.portal.unread", &[("n", &unread.to_string())]), "warn")) }
                }
                p.muted { (t(lang, "clinic.portal.what")) }
                p.portal-go { (t(lang, "clinic.portal.go")) }
            }
            a.portal-card href="/me/sharing" {
                h2 { (t(lang, "sharing.title")) }
                ul.portal-list {
                    @for d in &sharing {
                        li {
                            (if lang == Lang::Zh { &d.purpose.definition().name_zh } else { &d.purpose.definition().name_en }) " "
                            (if d.granted { status_tag(t(lang, "sharing.on"), "ok") } else { status_tag(t(lang, "sharing.off"), "muted") })
                        }
                    }
                }
                @if !represented.is_empty() {
                    p.muted { (tf(lang, "portal.sharing.represented", &[("n", &represented.len().to_string())])) }
                }
                p.portal-go { (t(lang, "portal.sharing.go")) }
            }
            a.portal-card href="/me/access" {
                h2 { (t(lang, "access_log.title")) }
                @match (&last_access, &last_access_by) {
                    (Some(e), Some(by)) => {
                        p.portal-figure { (by) }
                        p.muted {
                            (crate::i18n::action_label(lang, &e.event.action)) " · "
                            (UtcMillis(e.event.at).format_datetime(lang))
                        }
                    }
                    _ => p.muted { (t(lang, "portal.access.none")) },
                }
                p.portal-go { (t(lang, "portal.access.go")) }
            }
        }
    })
}

/// A measure's latest reading as the card shows it: `血压`, `141/82 mmHg`, when.
struct LatestMeasure {
    name: String,
    value: String,
    at: UtcMillis,
}

/// The latest value of each measure (a blood pressure's two series together), newest first,
/// at most [`LATEST_SHOWN`].
fn latest_by_measure(
    catalogue: &DeviceCatalogue,
    lang: Lang,
    latest: &[StoredReading],
) -> Vec<LatestMeasure> {
    let mut out: Vec<LatestMeasure> = catalogue
        .measures
        .iter()
        .filter_map(|m| {
            let values: Vec<(&Series, &StoredReading)> = m
                .series
                .iter()
                .filter_map(|s| latest.iter().find(|r| r.series == s.key).map(|r| (s, r)))
                .collect();
            let (first, _) = values.first()?;
            Some(LatestMeasure {
                name: words::measure_name(lang, m),
                value: format!(
                    "{} {}",
                    values
                        .iter()
                        .map(|(s, r)| words::number(s, r.value))
                        .collect::<Vec<_>>()
                        .join("/"),
                    words::unit(first)
                ),
                at: values.iter().map(|(_, r)| r.taken_at).max()?,
            })
        })
        .collect();
    out.sort_by_key(|m| std::cmp::Reverse(m.at));
    out.truncate(LATEST_SHOWN);
    out
}

/// The organisation's name in `lang`, or its id when it cannot be read.
async fn organisation_name(app: &AppState, lang: Lang, id: Option<&str>) -> String {
    let Some(id) = id else {
        return t(lang, "actor.system").to_owned();
    };
    match app.accounts.organisation(id).await {
        Ok(Some(o)) => o.name(lang == Lang::En).to_owned(),
        _ => id.to_owned(),
    }
}
