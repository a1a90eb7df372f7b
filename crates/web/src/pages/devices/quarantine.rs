//! The doctor's quarantine: `GET /devices/quarantine` lists the readings waiting for review of
//! the residents in the doctor's reach (the clinical service's reach, so a resident who
//! withdrew sharing is not listed), each with its device, the resident (masked, linked to the
//! timeline), the reason, and the value and unit as sent. `GET /devices/quarantine/{id}` is one
//! reading with two forms: accept it with a correction (values, unit, time; every check of
//! the ingest applies again, its problems shown at the field) or discard it; both need a
//! reason. A reading outside the doctor's reach is Not Found.

use std::collections::HashMap;

use access::{FieldError, Principal};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use clinical::Actor;
use devices::{
    Correction, Device, DeviceCatalogue, DevicesError, QuarantineStatus, Quarantined, Rejection,
};
use kernel::{Lang, UtcMillis, mask_name};
use ledger::PurposeOfUse;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::words::{find_series, kind_name, reason_text, sent_number, sent_text, sent_time};
use super::{device_error, record};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{Field, count_line, csrf_field, error_summary, page, status_tag};
use crate::pages::registry::{actor, back_link, clinical_error, registry_error, rows_in_reach};
use crate::state::AppState;

/// The doctor acting: someone who records health data, for care management.
fn doctor(user: &Principal) -> Result<Actor, AppError> {
    let mut actor = actor(user);
    if !actor.write {
        return Err(AppError::Forbidden);
    }
    actor.purpose = PurposeOfUse::CareManagement;
    Ok(actor)
}

/// The resident's masked name.
async fn masked_name(app: &AppState, resident_id: &str) -> Result<String, AppError> {
    Ok(app
        .clinical
        .residents()
        .resident(resident_id)
        .await
        .map_err(registry_error)?
        .and_then(|r| r.facts.name)
        .map(|n| mask_name(&n))
        .unwrap_or_else(|| "—".into()))
}

/// `标签 · 血糖仪`.
fn device_text(catalogue: &DeviceCatalogue, lang: Lang, d: Option<&Device>) -> String {
    match d {
        Some(d) => format!("{} · {}", d.label, kind_name(catalogue, lang, &d.kind)),
        None => "—".to_owned(),
    }
}

fn reason_of(catalogue: &DeviceCatalogue, lang: Lang, q: &Quarantined) -> String {
    match &q.rejection {
        Some(r) => reason_text(catalogue, lang, r),
        None => t(lang, "devices.reason.unknown").to_owned(),
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn list(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<Done>,
) -> Response {
    match render_list(&app, &ctx, &user, q.done.as_deref()).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// One row of the list.
struct Row {
    entry: Quarantined,
    name: String,
    device: Option<Device>,
}

/// The open quarantine of every resident in the doctor's reach, newest first.
async fn open_in_reach(app: &AppState, actor: &Actor) -> Result<Vec<Row>, AppError> {
    let reach = app
        .clinical
        .register_reach(actor)
        .await
        .map_err(clinical_error)?;
    let mut residents: Vec<String> = rows_in_reach(app, &reach)
        .await?
        .into_iter()
        .map(|r| r.enrolment.resident_id)
        .collect();
    residents.sort_unstable();
    residents.dedup();
    let mut rows = Vec::new();
    let mut devices: HashMap<String, Option<Device>> = HashMap::new();
    for resident_id in &residents {
        // One indexed look-up a resident (device_quarantine_resident): the devices crate
        // has no query over many residents yet.
        let open = app
            .devices
            .quarantined(resident_id, Some(QuarantineStatus::Open))
            .await
            .map_err(device_error)?;
        if open.is_empty() {
            continue;
        }
        // The register's reach already applied consent; the record's links decide too.
        if !app
            .clinical
            .may_see_resident(actor, resident_id)
            .await
            .map_err(clinical_error)?
        {
            continue;
        }
        let name = masked_name(app, resident_id).await?;
        for entry in open {
            if !devices.contains_key(&entry.device_id) {
                let d = app
                    .devices
                    .device(&entry.device_id)
                    .await
                    .map_err(device_error)?;
                devices.insert(entry.device_id.clone(), d);
            }
            let device = devices.get(&entry.device_id).cloned().flatten();
            rows.push(Row {
                entry,
                name: name.clone(),
                device,
            });
        }
    }
    rows.sort_by(|a, b| {
        b.entry
            .received_at
            .cmp(&a.entry.received_at)
            .then_with(|| a.entry.id.cmp(&b.entry.id))
    });
    Ok(rows)
}

async fn render_list(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    done: Option<&str>,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let actor = doctor(user)?;
    let catalogue = app.devices.catalogue();
    let rows = open_in_reach(app, &actor).await?;
    let mut by_resident: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &rows {
        by_resident
            .entry(r.entry.resident_id.as_str())
            .or_default()
            .push(r.entry.id.as_str());
    }
    let mut shown: Vec<_> = by_resident.into_iter().collect();
    shown.sort();
    for (resident, ids) in &shown {
        record(
            app,
            user,
            "device.quarantine.view",
            resident,
            PurposeOfUse::CareManagement,
            &ids.join(","),
        )
        .await;
    }
    let notice = match done {
        Some("accepted") => Some(t(lang, "devices.quarantine.done_accepted")),
        Some("discarded") => Some(t(lang, "devices.quarantine.done_discarded")),
        _ => None,
    };
    let h_resident = t(lang, "devices.quarantine.resident");
    let h_device = t(lang, "devices.quarantine.device");
    let h_sent = t(lang, "devices.quarantine.sent");
    let h_reason = t(lang, "devices.quarantine.reason");
    let h_received = t(lang, "devices.quarantine.received");
    let body = html! {
        h1 { (t(lang, "devices.quarantine.title")) }
        p.lead { (t(lang, "devices.quarantine.intro")) }
        @if let Some(n) = notice { p.notice.notice-success role="status" { (n) } }
        (count_line(lang, rows.len()))
        @if rows.is_empty() {
            p.muted { (t(lang, "devices.quarantine.empty")) }
        } @else {
            div.table-wrap {
                table.worklist.devices-quarantine-table {
                    thead { tr {
                        th scope="col" { (h_resident) }
                        th scope="col" { (h_device) }
                        th scope="col" { (h_sent) }
                        th scope="col" { (h_reason) }
                        th scope="col" { (h_received) }
                        th scope="col" { span.visually-hidden { (t(lang, "devices.quarantine.review")) } }
                    } }
                    tbody {
                        @for r in &rows {
                            tr data-quarantine=(r.entry.id) {
                                th scope="row" data-label=(h_resident) {
                                    a href={ "/residents/" (r.entry.resident_id) } { (r.name) }
                                }
                                td data-label=(h_device) { (device_text(catalogue, lang, r.device.as_ref())) }
                                td data-label=(h_sent) {
                                    strong { (sent_text(catalogue, lang, &r.entry.reading)) }
                                    br;
                                    span.muted.devices-when { (sent_time(lang, &r.entry.reading)) }
                                }
                                td data-label=(h_reason) { (reason_of(catalogue, lang, &r.entry)) }
                                td.nowrap data-label=(h_received) { (UtcMillis(r.entry.received_at).format_datetime(lang)) }
                                td.action {
                                    a.button href={ "/devices/quarantine/" (r.entry.id) } {
                                        (t(lang, "devices.quarantine.review"))
                                        span.visually-hidden { " " (r.name) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(ctx, t(lang, "devices.quarantine.title"), body))
}

/// The entry, if the doctor may review it: Not Found outside their reach.
async fn reviewable(
    app: &AppState,
    user: &Principal,
    id: &str,
) -> Result<(Actor, Quarantined), AppError> {
    let actor = doctor(user)?;
    let entry = app
        .devices
        .quarantined_reading(id)
        .await
        .map_err(device_error)?
        .ok_or(AppError::NotFound)?;
    if !app
        .clinical
        .may_see_resident(&actor, &entry.resident_id)
        .await
        .map_err(clinical_error)?
    {
        return Err(AppError::NotFound);
    }
    Ok((actor, entry))
}

/// The form fields of the values a measure sends (`value`, or `systolic` and `diastolic`).
fn value_fields(catalogue: &DeviceCatalogue, reading: &Value) -> Vec<&'static str> {
    let measure = reading
        .get("measure")
        .and_then(Value::as_str)
        .and_then(|m| catalogue.measure(m));
    let fields: Vec<&'static str> = devices::VALUE_FIELDS
        .iter()
        .copied()
        .filter(|f| measure.is_some_and(|m| m.series.iter().any(|s| s.field == *f)))
        .collect();
    if fields.is_empty() {
        vec!["value"]
    } else {
        fields
    }
}

/// A figure of the reading as sent, for a form field.
fn sent_field(reading: &Value, field: &str) -> String {
    match reading.get(field) {
        Some(n @ Value::Number(_)) => sent_number(n),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// The city's clock time of an RFC 3339 text, as a `datetime-local` field shows it.
fn local_field(text: &str) -> String {
    text.parse::<jiff::Timestamp>()
        .map(|t| {
            t.to_zoned(city_zone())
                .strftime("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn city_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(kernel::CITY_TIME_ZONE).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// A `datetime-local` value (`2026-11-26T07:30`, seconds optional, a space for the `T`
/// accepted) on the city's clock.
pub fn parse_local(text: &str) -> Option<UtcMillis> {
    let civil: jiff::civil::DateTime = text.trim().replacen(' ', "T", 1).parse().ok()?;
    let zoned = civil.to_zoned(city_zone()).ok()?;
    Some(UtcMillis::from_timestamp(zoned.timestamp()))
}

/// The form as filled in (or, first, as the reading was sent).
struct Filled {
    values: Vec<(&'static str, String)>,
    unit: String,
    taken_at: String,
    reason: String,
    discard_reason: String,
}

impl Filled {
    fn as_sent(catalogue: &DeviceCatalogue, reading: &Value) -> Filled {
        Filled {
            values: value_fields(catalogue, reading)
                .into_iter()
                .map(|f| (f, sent_field(reading, f)))
                .collect(),
            unit: sent_field(reading, "unit"),
            taken_at: local_field(&sent_field(reading, "taken_at")),
            reason: String::new(),
            discard_reason: String::new(),
        }
    }

    fn from_form(
        catalogue: &DeviceCatalogue,
        reading: &Value,
        form: &[(String, String)],
    ) -> Filled {
        let get = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Filled {
            values: value_fields(catalogue, reading)
                .into_iter()
                .map(|f| (f, get(f)))
                .collect(),
            unit: get("unit"),
            taken_at: get("taken_at"),
            reason: get("reason"),
            discard_reason: get("discard_reason"),
        }
    }
}

fn field_error(field: &'static str, key: &str) -> FieldError {
    FieldError::new(field, t(Lang::Zh, key), t(Lang::En, key))
}

/// The correction the form asks for, or the problems of its fields. The time is changed only
/// when the doctor changed it (the field shows minutes; the reading keeps its seconds).
fn correction(filled: &Filled, as_sent: &Filled) -> Result<Correction, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut correction = Correction::default();
    for (field, text) in &filled.values {
        let text = text.trim();
        if text.is_empty() {
            errors.push(field_error(field, "devices.error.value_required"));
            continue;
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => match *field {
                "systolic" => correction.systolic = Some(v),
                "diastolic" => correction.diastolic = Some(v),
                _ => correction.value = Some(v),
            },
            _ => errors.push(field_error(field, "devices.error.number")),
        }
    }
    let unit = filled.unit.trim();
    if unit.is_empty() {
        errors.push(field_error("unit", "devices.error.unit"));
    } else {
        correction.unit = Some(unit.to_owned());
    }
    if filled.taken_at.trim() != as_sent.taken_at {
        match parse_local(&filled.taken_at) {
            Some(at) => correction.taken_at = Some(at),
            None => errors.push(field_error("taken_at", "devices.error.taken_at")),
        }
    }
    if filled.reason.trim().is_empty() {
        errors.push(field_error("reason", "devices.error.reason"));
    }
    if errors.is_empty() {
        Ok(correction)
    } else {
        Err(errors)
    }
}

/// The form field a still-failing check is about: the value field of its series.
fn field_of_rejection(
    catalogue: &DeviceCatalogue,
    fields: &[&'static str],
    r: &Rejection,
) -> &'static str {
    let series = match r {
        Rejection::Implausible { series, .. }
        | Rejection::NotInteger { series, .. }
        | Rejection::NotFinite { series } => Some(series.as_str()),
        _ => None,
    };
    match r.field() {
        "unit" => "unit",
        "taken_at" => "taken_at",
        _ => series
            .and_then(|s| find_series(catalogue, s))
            .and_then(|(_, s)| fields.iter().copied().find(|f| *f == s.field))
            .or_else(|| fields.first().copied())
            .unwrap_or("value"),
    }
}

pub async fn review(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let (_, entry) = match reviewable(&app, &user, &id).await {
        Ok(found) => found,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    record(
        &app,
        &user,
        "device.quarantine.view",
        &entry.resident_id,
        PurposeOfUse::CareManagement,
        &entry.id,
    )
    .await;
    let filled = Filled::as_sent(app.devices.catalogue(), &entry.reading);
    match render_review(&app, &ctx, &entry, &filled, &[]).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

async fn render_review(
    app: &AppState,
    ctx: &Ctx,
    entry: &Quarantined,
    filled: &Filled,
    errors: &[FieldError],
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let catalogue = app.devices.catalogue();
    let name = masked_name(app, &entry.resident_id).await?;
    let device = app
        .devices
        .device(&entry.device_id)
        .await
        .map_err(device_error)?;
    let series = entry
        .reading
        .get("measure")
        .and_then(Value::as_str)
        .and_then(|m| catalogue.measure(m))
        .and_then(|m| m.series.first());
    let units = series
        .map(|s| {
            s.element
                .allowed_units()
                .join(if lang == Lang::Zh { "、" } else { ", " })
        })
        .unwrap_or_default();
    let value_label = |field: &str| match field {
        "systolic" => t(lang, "devices.review.systolic"),
        "diastolic" => t(lang, "devices.review.diastolic"),
        _ => t(lang, "devices.review.value"),
    };
    let unit_hint = tf(lang, "devices.review.unit_hint", &[("units", &units)]);
    let body = html! {
        (back_link("/devices/quarantine", t(lang, "devices.quarantine.title")))
        h1 { (t(lang, "devices.review.title")) }
        (error_summary(lang, errors))
        dl.summary.devices-review-facts {
            dt { (t(lang, "devices.quarantine.resident")) }
            dd { a href={ "/residents/" (entry.resident_id) } { (name) } }
            dt { (t(lang, "devices.quarantine.device")) } dd { (device_text(catalogue, lang, device.as_ref())) }
            dt { (t(lang, "devices.quarantine.sent")) } dd { strong { (sent_text(catalogue, lang, &entry.reading)) } }
            dt { (t(lang, "devices.review.taken_at_sent")) } dd { (sent_time(lang, &entry.reading)) }
            dt { (t(lang, "devices.quarantine.received")) } dd { (UtcMillis(entry.received_at).format_datetime(lang)) }
            dt { (t(lang, "devices.quarantine.reason")) } dd { (reason_of(catalogue, lang, entry)) }
        }
        @if entry.status != QuarantineStatus::Open {
            p.notice {
                @if entry.status == QuarantineStatus::Accepted {
                    (status_tag(t(lang, "devices.review.accepted"), "ok"))
                } @else {
                    (status_tag(t(lang, "devices.review.discarded"), "muted"))
                }
                " "
                @if let Some(at) = entry.decided_at { (UtcMillis(at).format_datetime(lang)) " " }
                (entry.decision_reason.as_deref().unwrap_or(""))
            }
        } @else {
            div.devices-review-forms {
                section.devices-review-accept aria-labelledby="accept-title" {
                    h2 id="accept-title" { (t(lang, "devices.review.accept_title")) }
                    p { (t(lang, "devices.review.accept_intro")) }
                    form.stack method="post" action={ "/devices/quarantine/" (entry.id) "/accept" } novalidate {
                        (csrf_field(ctx))
                        @for (field, value) in &filled.values {
                            (Field { value, kind: "text", ..Field::new(field, value_label(field)) }.render(lang, errors))
                        }
                        (Field { value: &filled.unit, hint: Some(&unit_hint), ..Field::new("unit", t(lang, "devices.review.unit")) }.render(lang, errors))
                        (Field { value: &filled.taken_at, kind: "datetime-local", hint: Some(t(lang, "devices.review.taken_at_hint")), ..Field::new("taken_at", t(lang, "devices.review.taken_at")) }.render(lang, errors))
                        (Field { value: &filled.reason, hint: Some(t(lang, "devices.review.reason_hint")), ..Field::new("reason", t(lang, "devices.review.reason")) }.render(lang, errors))
                        button type="submit" { (t(lang, "devices.review.accept")) }
                    }
                }
                section.devices-review-discard aria-labelledby="discard-title" {
                    h2 id="discard-title" { (t(lang, "devices.review.discard_title")) }
                    form.stack method="post" action={ "/devices/quarantine/" (entry.id) "/discard" } novalidate {
                        (csrf_field(ctx))
                        (Field { value: &filled.discard_reason, hint: Some(t(lang, "devices.review.discard_hint")), ..Field::new("discard_reason", t(lang, "devices.review.reason")) }.render(lang, errors))
                        button.button-warning type="submit" { (t(lang, "devices.review.discard")) }
                    }
                }
            }
        }
    };
    Ok(page(ctx, t(lang, "devices.review.title"), body))
}

/// The review page again with the problems, or the list after an error the page shows whole.
async fn again(
    app: &AppState,
    ctx: &Ctx,
    entry: &Quarantined,
    filled: &Filled,
    status: StatusCode,
    errors: &[FieldError],
) -> Response {
    match render_review(app, ctx, entry, filled, errors).await {
        Ok(body) => (status, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

pub async fn accept(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let (_, entry) = match reviewable(&app, &user, &id).await {
        Ok(found) => found,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let catalogue = app.devices.catalogue();
    let as_sent = Filled::as_sent(catalogue, &entry.reading);
    let filled = Filled::from_form(catalogue, &entry.reading, &form);
    let correction = match correction(&filled, &as_sent) {
        Ok(c) => c,
        Err(errors) => {
            return again(
                &app,
                &ctx,
                &entry,
                &filled,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
            )
            .await;
        }
    };
    let fields: Vec<&'static str> = filled.values.iter().map(|(f, _)| *f).collect();
    match app
        .devices
        .accept_quarantined(&user.user_id, &id, &correction, &filled.reason)
        .await
    {
        Ok(_) => {
            record(
                &app,
                &user,
                "device.quarantine.accept",
                &entry.resident_id,
                PurposeOfUse::CareManagement,
                &entry.id,
            )
            .await;
            Redirect::to("/devices/quarantine?done=accepted").into_response()
        }
        Err(DevicesError::StillRejected(r)) => {
            let field = field_of_rejection(catalogue, &fields, &r);
            let errors = [FieldError::new(
                field,
                reason_text(catalogue, Lang::Zh, &r),
                reason_text(catalogue, Lang::En, &r),
            )];
            again(
                &app,
                &ctx,
                &entry,
                &filled,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
            )
            .await
        }
        Err(DevicesError::StillMalformed(shape)) => {
            let field = shape
                .field()
                .and_then(|f| fields.iter().copied().find(|v| *v == f))
                .or_else(|| fields.first().copied())
                .unwrap_or("value");
            let errors = [FieldError::new(
                field,
                shape.message_zh(),
                shape.to_string(),
            )];
            again(
                &app,
                &ctx,
                &entry,
                &filled,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
            )
            .await
        }
        Err(DevicesError::AlreadyReviewed(_)) => {
            let errors = [field_error("reason", "devices.error.already_reviewed")];
            again(&app, &ctx, &entry, &filled, StatusCode::CONFLICT, &errors).await
        }
        Err(e) => match device_error(e) {
            AppError::Invalid(errors) => {
                again(
                    &app,
                    &ctx,
                    &entry,
                    &filled,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &errors,
                )
                .await
            }
            other => ctx.page_error(other).into_response(),
        },
    }
}

pub async fn discard(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let (_, entry) = match reviewable(&app, &user, &id).await {
        Ok(found) => found,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let catalogue = app.devices.catalogue();
    let mut filled = Filled::as_sent(catalogue, &entry.reading);
    filled.discard_reason = Filled::from_form(catalogue, &entry.reading, &form).discard_reason;
    if filled.discard_reason.trim().is_empty() {
        let errors = [field_error("discard_reason", "devices.error.reason")];
        return again(
            &app,
            &ctx,
            &entry,
            &filled,
            StatusCode::UNPROCESSABLE_ENTITY,
            &errors,
        )
        .await;
    }
    match app
        .devices
        .discard_quarantined(&user.user_id, &id, &filled.discard_reason)
        .await
    {
        Ok(()) => {
            record(
                &app,
                &user,
                "device.quarantine.discard",
                &entry.resident_id,
                PurposeOfUse::CareManagement,
                &entry.id,
            )
            .await;
            Redirect::to("/devices/quarantine?done=discarded").into_response()
        }
        Err(DevicesError::AlreadyReviewed(_)) => {
            let errors = [field_error(
                "discard_reason",
                "devices.error.already_reviewed",
            )];
            again(&app, &ctx, &entry, &filled, StatusCode::CONFLICT, &errors).await
        }
        Err(DevicesError::Invalid { .. }) => {
            let errors = [field_error("discard_reason", "devices.error.reason")];
            again(
                &app,
                &ctx,
                &entry,
                &filled,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
            )
            .await
        }
        Err(e) => ctx.page_error(device_error(e)).into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn catalogue() -> &'static DeviceCatalogue {
        DeviceCatalogue::builtin().unwrap()
    }

    #[test]
    fn a_local_time_is_read_on_the_citys_clock() {
        let at = parse_local("2026-11-26T07:30").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-25T23:30:00Z");
        assert_eq!(parse_local("2026-11-26 07:30:15").unwrap().0, at.0 + 15_000);
        for bad in ["", "yesterday", "2026-13-01T07:30", "26/11/2026 07:30"] {
            assert!(parse_local(bad).is_none(), "{bad}");
        }
        assert_eq!(local_field("2026-11-25T23:30:00Z"), "2026-11-26T07:30");
        assert_eq!(local_field("nonsense"), "");
    }

    #[test]
    fn the_form_has_the_value_fields_of_the_measure() {
        let c = catalogue();
        let bp = json!({ "measure": "blood_pressure", "systolic": 250, "diastolic": 160 });
        assert_eq!(value_fields(c, &bp), ["systolic", "diastolic"]);
        let glucose = json!({ "measure": "glucose", "value": 133 });
        assert_eq!(value_fields(c, &glucose), ["value"]);
        assert_eq!(value_fields(c, &json!({})), ["value"]);
    }

    fn filled(values: &[(&'static str, &str)], unit: &str, taken_at: &str, reason: &str) -> Filled {
        Filled {
            values: values.iter().map(|(f, v)| (*f, (*v).to_owned())).collect(),
            unit: unit.into(),
            taken_at: taken_at.into(),
            reason: reason.into(),
            discard_reason: String::new(),
        }
    }

    #[test]
    fn a_correction_names_each_bad_field() {
        let sent = filled(&[("value", "133")], "mmol/L", "2026-11-26T07:30", "");
        let bad = filled(&[("value", "abc")], " ", "tomorrow", "");
        let errors = correction(&bad, &sent).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["value", "unit", "taken_at", "reason"]);
        let empty = filled(
            &[("systolic", ""), ("diastolic", "inf")],
            "mmHg",
            "2026-11-26T07:30",
            "x",
        );
        let errors = correction(&empty, &sent).unwrap_err();
        assert_eq!(
            errors[0].message(Lang::Zh),
            t(Lang::Zh, "devices.error.value_required")
        );
        assert_eq!(errors[1].field, "diastolic");
    }

    #[test]
    fn an_unchanged_time_keeps_the_reading_s_own() {
        let sent = filled(&[("value", "133")], "mmol/L", "2026-11-26T07:30", "");
        let good = filled(&[("value", "133")], "mg/dL", "2026-11-26T07:30", "单位错误");
        let c = correction(&good, &sent).unwrap();
        assert_eq!(
            (c.value, c.unit.as_deref(), c.taken_at),
            (Some(133.0), Some("mg/dL"), None)
        );
        let moved = filled(&[("value", "133")], "mg/dL", "2026-11-26T08:00", "时间有误");
        assert!(correction(&moved, &sent).unwrap().taken_at.is_some());
    }

    #[test]
    fn a_still_failing_check_points_at_its_field() {
        let c = catalogue();
        let implausible = |series: &str| Rejection::Implausible {
            series: series.into(),
            value: 900.0,
            low: 40.0,
            high: 300.0,
            unit: "mm[Hg]".into(),
        };
        let bp = ["systolic", "diastolic"];
        assert_eq!(field_of_rejection(c, &bp, &implausible("dbp")), "diastolic");
        assert_eq!(field_of_rejection(c, &bp, &implausible("sbp")), "systolic");
        assert_eq!(
            field_of_rejection(c, &["value"], &implausible("glucose")),
            "value"
        );
        let unit = Rejection::UnknownUnit {
            series: "glucose".into(),
            unit: "x".into(),
            allowed: vec![],
        };
        assert_eq!(field_of_rejection(c, &["value"], &unit), "unit");
        let old = Rejection::TooOld {
            taken_at: 0,
            earliest: 0,
        };
        assert_eq!(field_of_rejection(c, &["value"], &old), "taken_at");
    }
}
