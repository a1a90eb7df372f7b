//! The pharmacist's side: `GET /clinic/pharmacy` lists the hospital's prescriptions awaiting
//! review; `GET /clinic/prescriptions/{id}` shows one signed prescription (for its patient,
//! its doctor and the hospital's pharmacists) with its signature checked; `POST
//! /clinic/prescriptions/{id}/review` approves it or sends it back with the reason.

use access::{FieldError, Principal, Role};
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use clinic::{Prescription, Review, RxState};
use kernel::Lang;
use maud::{Markup, html};
use serde_json::Value;

use super::super::registry::back_link;
use super::{
    clinic_error, condition_name, form_refusal, organisation_name, rx_tag, user_name, when,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page};
use crate::state::AppState;

pub async fn queue(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    match queue_page(&app, &ctx, &user, &[]).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// The pharmacy page again with what was wrong with a stock or slot form.
pub async fn queue_with(app: &AppState, ctx: &Ctx, user: &Principal, error: AppError) -> Response {
    let (status, errors) = match form_refusal(error) {
        Ok(refusal) => refusal,
        Err(other) => return ctx.page_error(other).into_response(),
    };
    match queue_page(app, ctx, user, &errors).await {
        Ok(body) => (status, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

async fn queue_page(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    errors: &[FieldError],
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    if !user.has_role(Role::Pharmacist) {
        return Err(AppError::Forbidden);
    }
    // Community pharmacies dispense but review nothing: the queue is the hospitals'.
    let queue = if user.organisation.kind == access::OrganisationKind::Hospital {
        app.clinic.review_queue(user).await.map_err(clinic_error)?
    } else {
        Vec::new()
    };
    let dispensing = super::dispensing::pharmacy_section(app, ctx, user).await?;
    let mut doctors = std::collections::HashMap::new();
    for rx in &queue {
        if !doctors.contains_key(&rx.doctor_id) {
            doctors.insert(rx.doctor_id.clone(), user_name(app, &rx.doctor_id).await);
        }
    }
    let body = html! { div.clinic {
        h1 { (t(lang, "clinic.pharmacy.title")) }
        p.lead { (t(lang, "clinic.pharmacy.intro")) }
        (error_summary(lang, errors))
        (crate::layout::stat(t(lang, "clinic.pharmacy.waiting"), &queue.len().to_string(), ""))
        @if queue.is_empty() {
            p.muted { (t(lang, "clinic.pharmacy.none")) }
        } @else {
            table.data {
                thead { tr {
                    th { (t(lang, "clinic.rx.written")) }
                    th { (t(lang, "clinic.book.doctor")) }
                    th { (t(lang, "clinic.rx.medicines")) }
                    th { (t(lang, "clinic.col.open")) }
                } }
                tbody {
                    @for rx in &queue {
                        tr {
                            td { (when(lang, rx.written_at)) }
                            td { (doctors.get(&rx.doctor_id).map_or("", String::as_str)) }
                            td { (medicine_summary(lang, &rx.document)) @if rx.long_term { " " span.tag.tag-info { (t(lang, "clinic.rx.long")) } } }
                            td { a href={ "/clinic/prescriptions/" (rx.id) } { (t(lang, "clinic.pharmacy.review")) } }
                        }
                    }
                }
            }
        }
        (dispensing)
    } };
    Ok(page(ctx, t(lang, "clinic.pharmacy.title"), body))
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

/// The prescription page again with why a choice of pickup or delivery was refused.
pub async fn rerender(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    id: &str,
    error: AppError,
) -> Response {
    let (status, errors) = match form_refusal(error) {
        Ok(refusal) => refusal,
        Err(other) => return ctx.page_error(other).into_response(),
    };
    match render(app, ctx, user, id, &errors).await {
        Ok(body) => (status, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

pub async fn review(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let decision = match field("decision") {
        "approve" => Review::Approve,
        _ => Review::Reject {
            reason: field("reason").to_owned(),
        },
    };
    match app.clinic.review(&user, &id, decision).await {
        Ok(_) => Redirect::to("/clinic/pharmacy").into_response(),
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
    let rx = app
        .clinic
        .prescription(user, id)
        .await
        .map_err(clinic_error)?;
    let signature_ok = app
        .clinic
        .verify_prescription(id)
        .await
        .map_err(clinic_error)?;
    let doctor = user_name(app, &rx.doctor_id).await;
    let hospital = organisation_name(app, lang, &rx.hospital_id).await;
    let condition = rx.document["condition"]
        .as_str()
        .map(|c| condition_name(app, lang, c))
        .unwrap_or_default();
    let pharmacist_here = user.has_role(Role::Pharmacist) && user.organisation.id == rx.hospital_id;
    let getting = if user.has_role(Role::Resident) {
        super::dispensing::patient_section(app, ctx, user, &rx).await?
    } else {
        html! {}
    };
    let body = html! { div.clinic {
        @if pharmacist_here { (back_link("/clinic/pharmacy", t(lang, "clinic.pharmacy.title"))) }
        @else { (back_link(&format!("/clinic/consultations/{}", rx.consultation_id), t(lang, "clinic.rx.back"))) }
        h1 { (t(lang, "clinic.rx.title")) " " (rx_tag(lang, rx.state)) }
        (error_summary(lang, errors))
        section.card.prescription {
            dl.summary {
                dt { (t(lang, "clinic.book.hospital")) } dd { (hospital) }
                dt { (t(lang, "clinic.book.doctor")) } dd { (doctor) @if let Some(l) = rx.document["doctor"]["licence"].as_str() { " · " (tf(lang, "clinic.rx.licence", &[("no", l)])) } }
                dt { (t(lang, "clinic.book.condition")) } dd { (condition) }
                dt { (t(lang, "clinic.rx.written")) } dd { (when(lang, rx.written_at)) }
                dt { (t(lang, "clinic.rx.valid_until")) } dd { (when(lang, rx.valid_until)) }
                @if let Some(by) = &rx.reviewed_by {
                    dt { (t(lang, "clinic.rx.reviewed")) } dd { (user_name(app, by).await) " · " (rx.reviewed_at.map(|a| when(lang, a)).unwrap_or_default()) }
                }
                @if let Some(reason) = &rx.review_reason { dt { (t(lang, "clinic.rx.reason")) } dd { (reason) } }
            }
            (lines_table(lang, &rx.document))
            @if let Some(eval) = rx.document["long_term"]["evaluation"].as_str() {
                p { strong { (t(lang, "clinic.rx.evaluation")) } " " (eval) }
            }
            @if let Some(flags) = rx.document["flags_acknowledged"].as_array().filter(|f| !f.is_empty()) {
                div.notice.notice-warning {
                    strong { (t(lang, "clinic.rx.flags")) }
                    ul { @for f in flags { li { (f.as_str().unwrap_or_default()) } } }
                }
            }
            p class={ "signature " (if signature_ok { "signature-ok" } else { "signature-bad" }) } {
                @if signature_ok { "✓ " (t(lang, "clinic.rx.signature_ok")) } @else { "✗ " (t(lang, "clinic.rx.signature_bad")) }
                br; span.muted.mono { (tf(lang, "clinic.rx.key", &[("key", &rx.key_id)])) }
            }
        }
        @if pharmacist_here && rx.state == RxState::AwaitingReview {
            section.card {
                h2 { (t(lang, "clinic.pharmacy.decide")) }
                form.stack method="post" action={ "/clinic/prescriptions/" (rx.id) "/review" } {
                    (csrf_field(ctx))
                    input type="hidden" name="decision" value="approve";
                    button.button type="submit" { (t(lang, "clinic.pharmacy.approve")) }
                }
                form.stack method="post" action={ "/clinic/prescriptions/" (rx.id) "/review" } {
                    (csrf_field(ctx))
                    input type="hidden" name="decision" value="reject";
                    label for="reason" { (t(lang, "clinic.pharmacy.reason")) }
                    textarea #reason name="reason" rows="2" required maxlength="4000" {}
                    button.button.button-warning type="submit" { (t(lang, "clinic.pharmacy.reject")) }
                }
            }
        }
        @if rx.state == RxState::AwaitingReview && !pharmacist_here {
            p.notice { (t(lang, "clinic.rx.not_yet")) }
        }
        (getting)
    } };
    Ok(page(ctx, t(lang, "clinic.rx.title"), body))
}

fn lines_table(lang: Lang, document: &Value) -> Markup {
    let lines = document["lines"].as_array().cloned().unwrap_or_default();
    html! {
        table.data {
            thead { tr {
                th { (t(lang, "clinic.rx.drug")) }
                th { (t(lang, "clinic.rx.usage")) }
                th.num { (t(lang, "clinic.rx.days")) }
                th.num { (t(lang, "clinic.rx.packs")) }
            } }
            tbody {
                @for l in &lines {
                    tr {
                        td { (text(&l["generic_zh"])) " " (text(&l["strength"])) br; span.muted { (text(&l["generic_en"])) } }
                        td { (text(&l["instruction_zh"])) }
                        td.num { (l["days"]) }
                        td.num { (l["packs"]) }
                    }
                }
            }
        }
    }
}

fn medicine_summary(_lang: Lang, document: &Value) -> String {
    document["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| format!("{} ×{}", text(&l["generic_zh"]), l["packs"]))
                .collect::<Vec<_>>()
                .join("、")
        })
        .unwrap_or_default()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The prescription for the API, with its state code.
pub fn prescription_json(rx: &Prescription) -> Value {
    serde_json::json!({
        "id": rx.id,
        "consultation_id": rx.consultation_id,
        "state": rx.state.code(),
        "document": rx.document,
        "canonical": rx.canonical,
        "key_id": rx.key_id,
        "signature": rx.signature,
        "written_at": rx.written_at,
        "valid_until": rx.valid_until,
        "long_term": rx.long_term,
        "reviewed_by": rx.reviewed_by,
        "reviewed_at": rx.reviewed_at,
        "review_reason": rx.review_reason,
    })
}
