//! Getting the medicine: on an approved prescription's page the patient chooses a pickup slot
//! (at the hospital or a community pharmacy with stock) or courier delivery; `GET
//! /clinic/fulfilments/{id}` shows the choice to the patient (with the pickup code) and to the
//! site's pharmacist (with the counter and courier steps); the pharmacy page lists today's
//! pickups, the courier orders, the stock and the slots. `GET /clinic/notifications` lists the
//! user's notifications. The `clinic` crate checks every step.

use access::{FieldError, Principal, Role};
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use clinic::{Address, Fulfilment, FulfilmentState, Method, NewSlot, Prescription, RxState};
use kernel::{Lang, UtcMillis};
use maud::{Markup, html};

use super::super::registry::{back_link, pick};
use super::{clinic_error, form_refusal, when};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page, status_tag};
use crate::state::AppState;

type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// A fulfilment's state as a tag.
pub fn state_tag(lang: Lang, state: FulfilmentState) -> Markup {
    let tone = match state {
        FulfilmentState::Booked | FulfilmentState::AwaitingDispatch => "warn",
        FulfilmentState::Dispatched => "info",
        FulfilmentState::Collected | FulfilmentState::Delivered => "ok",
        FulfilmentState::Missed | FulfilmentState::Cancelled => "muted",
    };
    status_tag(pick(lang, state.label_zh(), state.label_en()), tone)
}

/// The patient's part of an approved prescription's page: the standing choice, or the
/// choices with stock.
pub async fn patient_section(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    rx: &Prescription,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    if rx.state != RxState::Approved {
        return Ok(html! {});
    }
    if let Some(f) = app
        .clinic
        .fulfilment_of(user, &rx.id)
        .await
        .map_err(clinic_error)?
    {
        return Ok(html! {
            section.card #fulfilment {
                h2 { (t(lang, "clinic.get.title")) " " (state_tag(lang, f.state)) }
                (summary(lang, &f))
                p { a.button href={ "/clinic/fulfilments/" (f.id) } { (t(lang, "clinic.get.open")) } }
            }
        });
    }
    let now = UtcMillis::now().0;
    let options = app
        .clinic
        .fulfilment_options(user, &rx.id, now)
        .await
        .map_err(clinic_error)?;
    let districts = city::districts().all();
    Ok(html! {
        section.card #fulfilment {
            h2 { (t(lang, "clinic.get.choose")) }
            p.muted { (tf(lang, "clinic.get.valid", &[("until", &when(lang, options.valid_until))])) }
            @if let Some(u) = &options.unavailable {
                p.notice.notice-warning { (pick(lang, &u.message_zh, &u.message_en)) }
            }
            @for o in &options.sites {
                div.site-option {
                    h3 { (pick(lang, &o.site.name_zh, &o.site.name_en))
                        @if o.site.hospital { " " span.tag.tag-info { (t(lang, "clinic.get.hospital")) } } }
                    @if o.free_slots.is_empty() {
                        p.muted { (t(lang, "clinic.get.no_slots")) }
                    } @else {
                        form.stack method="post" action={ "/clinic/prescriptions/" (rx.id) "/pickup" } {
                            (csrf_field(ctx))
                            fieldset {
                                legend { (t(lang, "clinic.get.slot")) }
                                @for (i, s) in o.free_slots.iter().enumerate() {
                                    label.choice {
                                        input type="radio" name="slot" value=(s.id) required checked[i == 0];
                                        " " (when(lang, s.starts_at)) " – " (short_time(lang, s.ends_at))
                                        span.muted { " · " (tf(lang, "clinic.get.free", &[("n", &s.free().to_string())])) }
                                    }
                                }
                            }
                            button.button type="submit" { (t(lang, "clinic.get.book")) }
                        }
                    }
                }
            }
            @if options.courier {
                div.site-option {
                    h3 { (t(lang, "clinic.get.courier")) }
                    p.hint { (t(lang, "clinic.get.courier_hint")) }
                    form.stack method="post" action={ "/clinic/prescriptions/" (rx.id) "/courier" } {
                        (csrf_field(ctx))
                        label for="recipient" { (t(lang, "clinic.get.recipient")) }
                        input #recipient name="recipient" required maxlength="40" autocomplete="name";
                        label for="mobile" { (t(lang, "clinic.get.mobile")) }
                        input #mobile name="mobile" required inputmode="tel" maxlength="11" autocomplete="tel";
                        label for="district" { (t(lang, "clinic.get.district")) }
                        select #district name="district" required {
                            @for d in districts { option value=(d.key) { (pick(lang, &d.name_zh, &d.name_en)) } }
                        }
                        label for="street" { (t(lang, "clinic.get.street")) }
                        input #street name="street" required maxlength="200" autocomplete="street-address";
                        button.button type="submit" { (t(lang, "clinic.get.send")) }
                    }
                }
            }
        }
    })
}

/// `POST /clinic/prescriptions/{id}/pickup`.
pub async fn pickup(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    choose(app, signed, id, "pickup", fields).await
}

/// `POST /clinic/prescriptions/{id}/courier`.
pub async fn courier(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    choose(app, signed, id, "courier", fields).await
}

async fn choose(
    app: AppState,
    Signed { ctx, user }: Signed,
    id: String,
    how: &str,
    fields: Fields,
) -> Response {
    let done = match how {
        "pickup" => {
            app.clinic
                .book_pickup(&user, &id, field(&fields, "slot"))
                .await
        }
        "courier" => {
            let address = Address {
                recipient: field(&fields, "recipient").to_owned(),
                mobile: field(&fields, "mobile").to_owned(),
                district: field(&fields, "district").to_owned(),
                street: field(&fields, "street").to_owned(),
            };
            app.clinic.choose_courier(&user, &id, &address).await
        }
        _ => return ctx.page_error(AppError::NotFound).into_response(),
    };
    match done {
        Ok(f) => Redirect::to(&format!("/clinic/fulfilments/{}", f.id)).into_response(),
        Err(e) => super::pharmacy::rerender(&app, &ctx, &user, &id, clinic_error(e)).await,
    }
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    match render(&app, &ctx, &user, &id, &[]).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// `POST /clinic/fulfilments/{id}/{step}`: collect, dispatch, proof, receipt, missed, cancel.
pub async fn step(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, step)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let c = &app.clinic;
    let done = match step.as_str() {
        "collect" => c.collect_pickup(&user, &id, field(&fields, "code")).await,
        "dispatch" => {
            c.dispatch(
                &user,
                &id,
                field(&fields, "courier"),
                field(&fields, "tracking_no"),
            )
            .await
        }
        "proof" => {
            c.record_delivery_proof(&user, &id, field(&fields, "reference"))
                .await
        }
        "receipt" => c.confirm_receipt(&user, &id).await,
        "missed" => c.mark_missed(&user, &id).await,
        "cancel" => {
            c.cancel_fulfilment(&user, &id, field(&fields, "reason"))
                .await
        }
        _ => return ctx.page_error(AppError::NotFound).into_response(),
    };
    match done {
        Ok(_) => Redirect::to(&format!("/clinic/fulfilments/{id}")).into_response(),
        Err(e) => {
            let (status, errors) = match form_refusal(clinic_error(e)) {
                Ok(refusal) => refusal,
                Err(other) => return ctx.page_error(other).into_response(),
            };
            match render(&app, &ctx, &user, &id, &errors).await {
                Ok(body) => (status, body).into_response(),
                Err(e) => ctx.page_error(e).into_response(),
            }
        }
    }
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    id: &str,
    errors: &[FieldError],
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let f = app
        .clinic
        .fulfilment(user, id)
        .await
        .map_err(clinic_error)?;
    let staff = user.has_role(Role::Pharmacist) && user.organisation.id == f.site.id;
    let open = matches!(
        f.state,
        FulfilmentState::Booked | FulfilmentState::AwaitingDispatch
    );
    let body = html! { div.clinic {
        @if staff { (back_link("/clinic/pharmacy", t(lang, "clinic.pharmacy.title"))) }
        @else { (back_link(&format!("/clinic/prescriptions/{}", f.prescription_id), t(lang, "clinic.rx.title"))) }
        h1 { (t(lang, "clinic.get.title")) " " (state_tag(lang, f.state)) }
        (error_summary(lang, errors))
        section.card {
            (summary(lang, &f))
            @if let (Some(code), false) = (&f.pickup_code, staff) {
                p.pickup-code { (t(lang, "clinic.get.code")) " " strong { (code) } }
                p.hint { (t(lang, "clinic.get.code_hint")) }
            }
        }
        @if staff {
            section.card {
                h2 { (t(lang, "clinic.get.steps")) }
                @if f.state == FulfilmentState::Booked {
                    form.stack method="post" action={ "/clinic/fulfilments/" (f.id) "/collect" } {
                        (csrf_field(ctx))
                        label for="code" { (t(lang, "clinic.get.enter_code")) }
                        input #code name="code" required inputmode="numeric" maxlength="6" autocomplete="off";
                        button.button type="submit" { (t(lang, "clinic.get.collected")) }
                    }
                    form method="post" action={ "/clinic/fulfilments/" (f.id) "/missed" } {
                        (csrf_field(ctx))
                        button.button.button-secondary type="submit" { (t(lang, "clinic.get.missed")) }
                    }
                }
                @if f.state == FulfilmentState::AwaitingDispatch {
                    form.stack method="post" action={ "/clinic/fulfilments/" (f.id) "/dispatch" } {
                        (csrf_field(ctx))
                        label for="courier" { (t(lang, "clinic.get.courier_company")) }
                        input #courier name="courier" required maxlength="40";
                        label for="tracking_no" { (t(lang, "clinic.get.tracking")) }
                        input #tracking_no name="tracking_no" required maxlength="40";
                        button.button type="submit" { (t(lang, "clinic.get.dispatch")) }
                    }
                }
                @if f.state == FulfilmentState::Dispatched {
                    form.stack method="post" action={ "/clinic/fulfilments/" (f.id) "/proof" } {
                        (csrf_field(ctx))
                        label for="reference" { (t(lang, "clinic.get.proof")) }
                        input #reference name="reference" required maxlength="60";
                        button.button type="submit" { (t(lang, "clinic.get.delivered")) }
                    }
                }
            }
        } @else if f.state == FulfilmentState::Dispatched {
            section.card {
                form method="post" action={ "/clinic/fulfilments/" (f.id) "/receipt" } {
                    (csrf_field(ctx))
                    p { (t(lang, "clinic.get.receipt_hint")) }
                    button.button type="submit" { (t(lang, "clinic.get.receipt")) }
                }
            }
        }
        @if open {
            section.card {
                form.stack method="post" action={ "/clinic/fulfilments/" (f.id) "/cancel" } {
                    (csrf_field(ctx))
                    label for="reason" { (t(lang, "clinic.get.cancel_reason")) }
                    input #reason name="reason" required maxlength="200";
                    button.button.button-warning type="submit" { (t(lang, "clinic.get.cancel")) }
                }
            }
        }
    } };
    Ok(page(ctx, t(lang, "clinic.get.title"), body))
}

/// Where, when and what: the facts of one fulfilment.
fn summary(lang: Lang, f: &Fulfilment) -> Markup {
    html! {
        dl.summary {
            dt { (t(lang, "clinic.get.how")) }
            dd { (match f.method { Method::Pickup => t(lang, "clinic.get.pickup"), Method::Courier => t(lang, "clinic.get.courier") }) }
            dt { (t(lang, "clinic.get.site")) } dd { (pick(lang, &f.site.name_zh, &f.site.name_en)) }
            @if let Some(s) = &f.slot {
                dt { (t(lang, "clinic.get.slot")) } dd { (when(lang, s.starts_at)) " – " (short_time(lang, s.ends_at)) }
            }
            @if let Some(name) = &f.patient_masked { dt { (t(lang, "clinic.visit.patient")) } dd { (name) } }
            @if let Some(a) = &f.address {
                dt { (t(lang, "clinic.get.address")) } dd { (a.recipient) " " (a.mobile) " · " (a.street) }
            }
            @if let (Some(c), Some(n)) = (&f.courier, &f.tracking_no) {
                dt { (t(lang, "clinic.get.tracking")) } dd { (c) " " (n) }
            }
            @if let Some(r) = &f.close_reason { dt { (t(lang, "clinic.visit.close_reason")) } dd { (r) } }
            @if let Some(at) = f.closed_at { dt { (t(lang, "clinic.get.closed")) } dd { (when(lang, at)) } }
        }
    }
}

fn short_time(lang: Lang, at: i64) -> String {
    let full = when(lang, at);
    full.rsplit(' ').next().unwrap_or(&full).to_owned()
}

/// The pharmacy's dispensing work, for the pharmacy page: today's pickups, courier orders, the
/// stock and the slots of the pharmacist's own site.
pub async fn pharmacy_section(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let now = UtcMillis::now().0;
    let site = user.organisation.id.clone();
    let pickups = app
        .clinic
        .pickups_from_today(user, now)
        .await
        .map_err(clinic_error)?;
    let couriers = if user.organisation.kind == access::OrganisationKind::Hospital {
        app.clinic
            .courier_orders(user)
            .await
            .map_err(clinic_error)?
    } else {
        Vec::new()
    };
    let stock = app
        .clinic
        .stock_of(user, &site)
        .await
        .map_err(clinic_error)?;
    let slots = app
        .clinic
        .slots_of(user, &site, now)
        .await
        .map_err(clinic_error)?;
    let catalogue = prescribing::catalogue();
    Ok(html! {
        section.card #pickups {
            h2 { (t(lang, "clinic.pharmacy.pickups")) }
            @if pickups.is_empty() { p.muted { (t(lang, "clinic.pharmacy.no_pickups")) } }
            @else { (fulfilment_table(lang, &pickups)) }
        }
        @if user.organisation.kind == access::OrganisationKind::Hospital {
            section.card #couriers {
                h2 { (t(lang, "clinic.pharmacy.couriers")) }
                @if couriers.is_empty() { p.muted { (t(lang, "clinic.pharmacy.no_couriers")) } }
                @else { (fulfilment_table(lang, &couriers)) }
            }
        }
        section.card #stock {
            h2 { (t(lang, "clinic.pharmacy.stock")) }
            table.data {
                thead { tr { th { (t(lang, "clinic.rx.drug")) } th.num { (t(lang, "clinic.pharmacy.units")) } th.num { (t(lang, "clinic.rx.packs")) } } }
                tbody {
                    @for s in &stock {
                        tr { td { (pick(lang, &s.generic_zh, &s.generic_en)) } td.num { (s.units) " " (pick(lang, &s.unit_zh, &s.unit_en)) } td.num { (s.packs) } }
                    }
                }
            }
            form.stack method="post" action="/clinic/pharmacy/stock" {
                (csrf_field(ctx))
                label for="drug" { (t(lang, "clinic.rx.drug")) }
                select #drug name="drug" required {
                    @for d in catalogue.all() { option value=(d.code) { (d.generic_zh) " " (d.strength.value) (d.strength.unit) } }
                }
                label for="units" { (t(lang, "clinic.pharmacy.units_now")) }
                input #units name="units" type="number" min="0" required;
                button.button type="submit" { (t(lang, "clinic.pharmacy.set_stock")) }
            }
        }
        section.card #slots {
            h2 { (t(lang, "clinic.pharmacy.slots")) }
            @if slots.is_empty() { p.muted { (t(lang, "clinic.pharmacy.no_slots")) } }
            ul.plain {
                @for s in &slots {
                    li { (when(lang, s.starts_at)) " – " (short_time(lang, s.ends_at)) " · "
                        (tf(lang, "clinic.pharmacy.booked_of", &[("booked", &s.booked.to_string()), ("capacity", &s.capacity.to_string())])) }
                }
            }
            form.stack method="post" action="/clinic/pharmacy/slots" {
                (csrf_field(ctx))
                label for="starts" { (t(lang, "clinic.pharmacy.starts")) }
                input #starts name="starts" type="datetime-local" required;
                label for="minutes" { (t(lang, "clinic.pharmacy.minutes")) }
                input #minutes name="minutes" type="number" min="5" value="60" required;
                label for="capacity" { (t(lang, "clinic.pharmacy.capacity")) }
                input #capacity name="capacity" type="number" min="1" value="10" required;
                button.button type="submit" { (t(lang, "clinic.pharmacy.add_slot")) }
            }
        }
    })
}

fn fulfilment_table(lang: Lang, list: &[Fulfilment]) -> Markup {
    html! {
        table.data {
            thead { tr {
                th { (t(lang, "clinic.visit.patient")) }
                th { (t(lang, "clinic.get.slot")) }
                th { (t(lang, "clinic.col.state")) }
                th { (t(lang, "clinic.col.open")) }
            } }
            tbody {
                @for f in list {
                    tr {
                        td { (f.patient_masked.as_deref().unwrap_or("—")) }
                        td { (f.slot.as_ref().map(|s| when(lang, s.starts_at)).unwrap_or_else(|| when(lang, f.created_at))) }
                        td { (state_tag(lang, f.state)) }
                        td { a href={ "/clinic/fulfilments/" (f.id) } { (t(lang, "clinic.col.open")) } }
                    }
                }
            }
        }
    }
}

/// `POST /clinic/pharmacy/stock` and `/slots`: the site's pharmacist keeps them.
pub async fn keep(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(what): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let site = user.organisation.id.clone();
    let done = match what.as_str() {
        "stock" => match field(&fields, "units").trim().parse::<i64>() {
            Ok(units) => app
                .clinic
                .set_stock(&user, &site, field(&fields, "drug"), units)
                .await
                .map(|_| ()),
            Err(_) => Err(clinic::ClinicError::invalid(
                "units",
                "a whole number of units",
            )),
        },
        "slots" => match slot_of(&fields, &site) {
            Ok(new) => app
                .clinic
                .add_slot(&user, new, UtcMillis::now().0)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        },
        _ => return ctx.page_error(AppError::NotFound).into_response(),
    };
    match done {
        Ok(()) => Redirect::to(&format!("/clinic/pharmacy#{what}")).into_response(),
        Err(e) => super::pharmacy::queue_with(&app, &ctx, &user, clinic_error(e)).await,
    }
}

/// A slot from the form: a local start time in the city, its length and capacity.
fn slot_of(fields: &Fields, site: &str) -> Result<NewSlot, clinic::ClinicError> {
    let starts = field(fields, "starts")
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| {
            dt.to_zoned(jiff::tz::TimeZone::get(kernel::CITY_TIME_ZONE).ok()?)
                .ok()
        })
        .map(|z| z.timestamp().as_millisecond())
        .ok_or_else(|| {
            clinic::ClinicError::invalid("starts", "a date and time, e.g. 2026-12-01T09:00")
        })?;
    let minutes = field(fields, "minutes")
        .parse::<i64>()
        .map_err(|_| clinic::ClinicError::invalid("minutes", "a whole number of minutes"))?;
    let capacity = field(fields, "capacity")
        .parse::<u32>()
        .map_err(|_| clinic::ClinicError::invalid("capacity", "a whole number of people"))?;
    Ok(NewSlot {
        site_id: site.to_owned(),
        starts_at: starts,
        ends_at: starts.saturating_add(minutes.saturating_mul(60_000)),
        capacity,
    })
}

/// `GET /clinic/notifications`: the user's notifications, newest first, unread marked.
pub async fn notifications(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    let list = match app.clinic.notifications_of(&user, false).await {
        Ok(l) => l,
        Err(e) => return ctx.page_error(clinic_error(e)).into_response(),
    };
    let body = html! { div.clinic {
        h1 { (t(lang, "clinic.notes.title")) }
        @if list.is_empty() { p.muted { (t(lang, "clinic.notes.none")) } }
        ul.notifications {
            @for n in &list {
                li class={ "notification" (if n.read_at.is_none() { " unread" } else { "" }) } {
                    form method="post" action={ "/clinic/notifications/" (n.id) "/read" } {
                        (csrf_field(&ctx))
                        button.link-button type="submit" { (pick(lang, &n.text_zh, &n.text_en)) }
                        @if n.read_at.is_none() { " " (status_tag(t(lang, "clinic.notes.unread"), "warn")) }
                    }
                    p.muted { (when(lang, n.created_at)) }
                }
            }
        }
    } };
    page(&ctx, t(lang, "clinic.notes.title"), body).into_response()
}

/// `POST /clinic/notifications/{id}/read`: marks it read and goes where it points.
pub async fn read(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    match app.clinic.mark_read(&user, &id).await {
        Ok(n) => Redirect::to(&n.link).into_response(),
        Err(e) => ctx.page_error(clinic_error(e)).into_response(),
    }
}
