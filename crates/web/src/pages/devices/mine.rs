//! `GET /me/devices`: the resident's devices (kind, label, bound since, last reading, state),
//! their readings as daily charts, the readings waiting for the doctor with the reason in
//! plain words, and the form to register a device. `POST /me/devices` registers one and shows
//! its credential this once with how to send readings over HTTP and MQTT (ADR 0010).
//! `GET|POST /me/devices/{id}/revoke` asks to confirm, then revokes it for good.

use access::{FieldError, Principal};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use devices::{Device, DeviceCatalogue, Kind, QuarantineStatus, Quarantined};
use kernel::{Lang, UtcMillis};
use ledger::PurposeOfUse;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::words::{self, kind_name, reason_text, sent_text, sent_time};
use super::{DAY_MS, device_error, monitoring, own_resident, record};
use crate::api::devices::READINGS_PATH;
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{Field, csrf_field, error_summary, page, select, status_tag};
use crate::pages::registry::back_link;
use crate::state::AppState;

/// What the page shows besides the resident's data: a notice after a change, the register
/// form as typed with its problems.
#[derive(Default)]
struct Shown<'a> {
    /// A device just revoked (its id), for the notice.
    revoked: Option<&'a str>,
    errors: Vec<FieldError>,
    kind: &'a str,
    label: &'a str,
}

#[derive(Deserialize)]
pub struct Notice {
    revoked: Option<String>,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<Notice>,
) -> Response {
    let shown = Shown {
        revoked: q.revoked.as_deref(),
        ..Shown::default()
    };
    match render(&app, &ctx, &user, &shown).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// The device's state in words and colour.
fn state_tag(lang: Lang, d: &Device) -> Markup {
    if d.revoked {
        status_tag(t(lang, "devices.state.revoked"), "muted")
    } else {
        status_tag(t(lang, "devices.state.active"), "ok")
    }
}

/// When the device was bound to this resident: the last registration or binding naming them.
async fn bound_since(app: &AppState, d: &Device, resident_id: &str) -> i64 {
    match app.devices.history(&d.id).await {
        Ok(events) => events
            .iter()
            .filter(|e| {
                matches!(e.action.as_str(), "registered" | "bound")
                    && e.resident_id.as_deref() == Some(resident_id)
            })
            .map(|e| e.at)
            .max()
            .unwrap_or(d.created_at),
        Err(e) => {
            tracing::warn!(error = %e, device = d.id, "device history could not be read");
            d.created_at
        }
    }
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    shown: &Shown<'_>,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let catalogue = app.devices.catalogue();
    let Some(resident) = own_resident(app, user).await? else {
        let body = html! {
            h1 { (t(lang, "devices.me.title")) }
            p.lead { (t(lang, "devices.me.no_record")) }
            p { a.button href="/" { (t(lang, "error.back")) } }
        };
        return Ok(page(ctx, t(lang, "devices.me.title"), body));
    };
    let now = UtcMillis::now();
    let list = app
        .devices
        .devices_of(&resident.id)
        .await
        .map_err(device_error)?;
    let days = monitoring::chart_days(catalogue);
    let recent = app
        .devices
        .readings(
            &resident.id,
            None,
            UtcMillis(now.0 - days * DAY_MS),
            UtcMillis(now.0 + DAY_MS),
            200_000,
        )
        .await
        .map_err(device_error)?;
    // The notice names the device from the list, so a link cannot make the page say more.
    let notice = shown
        .revoked
        .and_then(|id| list.iter().find(|d| d.id == id && d.revoked))
        .map(|d| tf(lang, "devices.me.revoked_notice", &[("label", &d.label)]));
    let mut cards = Vec::new();
    for d in &list {
        let mine = recent.iter().filter(|r| r.device_id == d.id);
        let last = mine.clone().map(|r| r.taken_at.0).max();
        // A blood pressure is two values of one reading: count readings, not values.
        let mut messages: Vec<&str> = mine.map(|r| r.message_id.as_str()).collect();
        messages.sort_unstable();
        messages.dedup();
        cards.push((
            d,
            bound_since(app, d, &resident.id).await,
            last,
            messages.len(),
        ));
    }
    let waiting = app
        .devices
        .quarantined(&resident.id, Some(QuarantineStatus::Open))
        .await
        .map_err(device_error)?;
    let charts = monitoring::measures(app, lang, &resident.id, now, true, "me-devices").await?;
    record(
        app,
        user,
        "device.readings.view",
        &resident.id,
        PurposeOfUse::PatientRequest,
        &list
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>()
            .join(","),
    )
    .await;

    let body = html! {
        h1 { (t(lang, "devices.me.title")) }
        p.lead { (t(lang, "devices.me.intro")) }
        (error_summary(lang, &shown.errors))
        @if let Some(n) = &notice { p.notice.notice-success role="status" { (n) } }
        h2 { (t(lang, "devices.me.devices")) }
        @if cards.is_empty() {
            p.muted { (t(lang, "devices.me.no_devices")) }
        } @else {
            ul.devices-list {
                @for (d, since, last, count) in &cards {
                    li.card.devices-device data-device=(d.id) {
                        h3 { (d.label) " " (state_tag(lang, d)) }
                        dl.summary {
                            dt { (t(lang, "devices.device.kind")) } dd { (kind_name(catalogue, lang, &d.kind)) }
                            dt { (t(lang, "devices.device.bound_since")) } dd { (UtcMillis(*since).format_date(lang)) }
                            dt { (t(lang, "devices.device.last_reading")) }
                            dd {
                                @match last {
                                    Some(at) => (UtcMillis(*at).format_datetime(lang)),
                                    None => span.muted { (t(lang, "devices.device.no_reading")) },
                                }
                            }
                            dt { (tf(lang, "devices.device.count", &[("days", &days.to_string())])) } dd { (count) }
                        }
                        @if !d.revoked {
                            a.button.button-secondary href={ "/me/devices/" (d.id) "/revoke" } {
                                (t(lang, "devices.revoke.action"))
                                span.visually-hidden { " " (d.label) }
                            }
                        }
                    }
                }
            }
        }
        h2 id="readings" { (t(lang, "devices.me.readings")) }
        (charts)
        h2 id="waiting" { (t(lang, "devices.me.waiting")) }
        @if waiting.is_empty() {
            p.muted { (t(lang, "devices.me.none_waiting")) }
        } @else {
            p { (t(lang, "devices.me.waiting_intro")) }
            ul.devices-waiting {
                @for q in &waiting { (waiting_item(catalogue, lang, q)) }
            }
        }
        h2 id="register" { (t(lang, "devices.register.title")) }
        p { (t(lang, "devices.register.intro")) }
        (register_form(ctx, catalogue, shown))
    };
    Ok(page(ctx, t(lang, "devices.me.title"), body))
}

fn waiting_item(catalogue: &DeviceCatalogue, lang: Lang, q: &Quarantined) -> Markup {
    html! {
        li.devices-waiting-item {
            p {
                strong { (sent_text(catalogue, lang, &q.reading)) }
                " " span.muted.nowrap { (sent_time(lang, &q.reading)) }
            }
            p {
                @match &q.rejection {
                    Some(r) => (reason_text(catalogue, lang, r)),
                    None => (t(lang, "devices.reason.unknown")),
                }
            }
        }
    }
}

fn register_form(ctx: &Ctx, catalogue: &DeviceCatalogue, shown: &Shown<'_>) -> Markup {
    let lang = ctx.lang;
    let kinds: Vec<(String, String)> = catalogue
        .kinds
        .iter()
        .map(|k| {
            (
                k.key.clone(),
                words::pick(lang, &k.name_zh, &k.name_en).to_owned(),
            )
        })
        .collect();
    html! {
        form.stack.devices-register method="post" action="/me/devices" novalidate {
            (csrf_field(ctx))
            (select(lang, "kind", t(lang, "devices.register.kind"), &kinds, shown.kind, &shown.errors))
            (Field { value: shown.label, hint: Some(t(lang, "devices.register.label_hint")), ..Field::new("label", t(lang, "devices.register.label")) }.render(lang, &shown.errors))
            button type="submit" { (t(lang, "devices.register.submit")) }
        }
    }
}

#[derive(Deserialize)]
pub struct NewDevice {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    label: String,
}

pub async fn register(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(new): Form<NewDevice>,
) -> Response {
    let resident = match own_resident(&app, &user).await {
        Ok(Some(r)) => r,
        Ok(None) => return ctx.page_error(AppError::NotFound).into_response(),
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let registered = app
        .devices
        .register(
            &user.user_id,
            new.kind.trim(),
            &new.label,
            Some(&resident.id),
        )
        .await;
    match registered {
        Ok((device, credential)) => {
            record(
                &app,
                &user,
                "device.register",
                &resident.id,
                PurposeOfUse::PatientRequest,
                &device.id,
            )
            .await;
            let body = credential_page(&app, &ctx, &device, &credential);
            let mut response = body.into_response();
            // The credential must not stay in a cache: it is shown this once.
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => match device_error(e) {
            AppError::Invalid(errors) => {
                let shown = Shown {
                    errors,
                    kind: &new.kind,
                    label: &new.label,
                    ..Shown::default()
                };
                match render(&app, &ctx, &user, &shown).await {
                    Ok(body) => (StatusCode::UNPROCESSABLE_ENTITY, body).into_response(),
                    Err(e) => ctx.page_error(e).into_response(),
                }
            }
            other => ctx.page_error(other).into_response(),
        },
    }
}

/// Illustrative values for the example readings of the credential page (not acted on).
fn example_value(series: &str) -> f64 {
    match series {
        "sbp" => 128.0,
        "dbp" => 82.0,
        "heart_rate" => 72.0,
        "glucose" => 6.1,
        "spo2" => 98.0,
        "steps" => 5200.0,
        "sleep" => 420.0,
        "weight" => 65.5,
        _ => 1.0,
    }
}

/// One example reading of each measure the kind sends, as an NDJSON line with its fields in
/// the order a person reads them, in the unit people read when the dictionary accepts it,
/// else the canonical one.
fn example_lines(catalogue: &DeviceCatalogue, kind: &Kind, now: UtcMillis) -> Vec<String> {
    let taken_at = now
        .to_timestamp()
        .to_zoned(
            jiff::tz::TimeZone::get(kernel::CITY_TIME_ZONE).unwrap_or(jiff::tz::TimeZone::UTC),
        )
        .strftime("%Y-%m-%dT%H:%M:00%:z")
        .to_string();
    let text = |s: &str| Value::String(s.to_owned()).to_string();
    kind.measures
        .iter()
        .filter_map(|m| catalogue.measure(m))
        .enumerate()
        .map(|(i, measure)| {
            let mut fields = vec![
                ("message_id", text(&format!("{}-{:04}", kind.key, i + 1))),
                ("measure", text(&measure.key)),
            ];
            let mut unit = String::new();
            for s in &measure.series {
                fields.push((
                    s.field.as_str(),
                    words::sent_number(&json!(example_value(&s.key))),
                ));
                let display = &s.element.display_unit;
                unit = if s.element.conversion(display).is_some() {
                    display.clone()
                } else {
                    s.element.unit.clone()
                };
            }
            fields.push(("unit", text(&unit)));
            fields.push(("taken_at", text(&taken_at)));
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}:{v}", text(k)))
                .collect();
            format!("{{{}}}", body.join(","))
        })
        .collect()
}

fn credential_page(app: &AppState, ctx: &Ctx, device: &Device, credential: &str) -> Markup {
    let lang = ctx.lang;
    let catalogue = app.devices.catalogue();
    let lines = catalogue
        .kind(&device.kind)
        .map(|k| example_lines(catalogue, k, UtcMillis::now()))
        .unwrap_or_default();
    let ndjson = lines.join("\n");
    let topic = devices::mqtt::topic_for(&device.id);
    let body = html! {
        (back_link("/me/devices", t(lang, "devices.me.title")))
        h1 { (t(lang, "devices.credential.title")) }
        p.notice.notice-success role="status" {
            (tf(lang, "devices.credential.bound", &[("label", &device.label), ("kind", &kind_name(catalogue, lang, &device.kind))]))
        }
        section.devices-credential aria-labelledby="credential-title" {
            h2 id="credential-title" { (t(lang, "devices.credential.heading")) }
            code.secret id="credential" { (credential) }
            p.notice.notice-warning { (t(lang, "devices.credential.once")) }
        }
        h2 { (t(lang, "devices.credential.how")) }
        h3 { "HTTP" }
        dl.summary {
            dt { (t(lang, "devices.credential.address")) } dd { code { "POST " (READINGS_PATH) } }
            dt { (t(lang, "devices.credential.headers")) }
            dd {
                code.devices-break { "Authorization: Bearer " (t(lang, "devices.credential.placeholder")) } br;
                code { "Content-Type: application/x-ndjson" }
            }
        }
        p { (t(lang, "devices.credential.ndjson")) }
        pre.devices-code { code { (ndjson) } }
        p.muted { (t(lang, "devices.credential.message_id")) }
        h3 { "MQTT" }
        dl.summary {
            dt { (t(lang, "devices.credential.topic")) } dd { code.devices-break { (topic) } }
            dt { "QoS" } dd { "1" }
        }
        p { (t(lang, "devices.credential.signature")) }
        pre.devices-code { code { (devices::SIGNATURE_PREFIX) (t(lang, "devices.credential.signature_placeholder")) "\n" (ndjson) } }
        p { a.button href="/me/devices" { (t(lang, "devices.credential.done")) } }
    };
    page(ctx, t(lang, "devices.credential.title"), body)
}

/// The device, if it is bound to the signed-in resident; Not Found otherwise (another
/// resident's device is not revealed).
async fn own_device(
    app: &AppState,
    user: &Principal,
    device_id: &str,
) -> Result<(registry::Resident, Device), AppError> {
    let resident = own_resident(app, user).await?.ok_or(AppError::NotFound)?;
    let device = app
        .devices
        .device(device_id)
        .await
        .map_err(device_error)?
        .filter(|d| d.resident_id.as_deref() == Some(resident.id.as_str()))
        .ok_or(AppError::NotFound)?;
    Ok((resident, device))
}

pub async fn confirm_revoke(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    match own_device(&app, &user, &id).await {
        Ok((_, d)) if d.revoked => Redirect::to("/me/devices").into_response(),
        Ok((_, d)) => revoke_page(&app, &ctx, &d, "", &[]).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

fn revoke_page(
    app: &AppState,
    ctx: &Ctx,
    d: &Device,
    reason: &str,
    errors: &[FieldError],
) -> Markup {
    let lang = ctx.lang;
    let kind = kind_name(app.devices.catalogue(), lang, &d.kind);
    let body = html! {
        (back_link("/me/devices", t(lang, "devices.me.title")))
        h1 { (t(lang, "devices.revoke.title")) }
        (error_summary(lang, errors))
        p.lead { (tf(lang, "devices.revoke.explain", &[("label", &d.label), ("kind", &kind)])) }
        form.stack.devices-revoke method="post" action={ "/me/devices/" (d.id) "/revoke" } novalidate {
            (csrf_field(ctx))
            (Field { value: reason, hint: Some(t(lang, "devices.revoke.reason_hint")), ..Field::new("reason", t(lang, "devices.revoke.reason")) }.render(lang, errors))
            p.actions {
                button.button-warning type="submit" { (t(lang, "devices.revoke.confirm")) }
                a.button.button-secondary href="/me/devices" { (t(lang, "devices.revoke.cancel")) }
            }
        }
    };
    page(ctx, t(lang, "devices.revoke.title"), body)
}

#[derive(Deserialize)]
pub struct Revocation {
    #[serde(default)]
    reason: String,
}

pub async fn revoke(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(form): Form<Revocation>,
) -> Response {
    let (resident, device) = match own_device(&app, &user, &id).await {
        Ok(found) => found,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    match app.devices.revoke(&user.user_id, &id, &form.reason).await {
        Ok(d) => {
            record(
                &app,
                &user,
                "device.revoke",
                &resident.id,
                PurposeOfUse::PatientRequest,
                &d.id,
            )
            .await;
            Redirect::to(&format!("/me/devices?revoked={}", d.id)).into_response()
        }
        // Revoked meanwhile (another tab): the list shows it.
        Err(devices::DevicesError::Revoked(_)) => Redirect::to("/me/devices").into_response(),
        Err(e) => match device_error(e) {
            AppError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                revoke_page(&app, &ctx, &device, &form.reason, &errors),
            )
                .into_response(),
            other => ctx.page_error(other).into_response(),
        },
    }
}
