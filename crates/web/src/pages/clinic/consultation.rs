//! `GET /clinic/consultations/{id}`: one consultation for its patient (or guardian) and its
//! doctor: where it stands, the messages, and the actions each side has now. `POST
//! /clinic/consultations/{id}/{action}` performs one (accept, decline, withdraw, message,
//! confirm-long-term, prescribe, complete) and comes back here; a refusal re-renders the page
//! with the reason.

use access::{FieldError, Principal};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use clinic::eligibility::{DiagnosisBasis, Verdict};
use clinic::{Consultation, Image, Party, PrescriptionRequest, State as VisitState};
use kernel::Lang;
use maud::{Markup, PreEscaped, html};
use prescribing::{Draft, Frequency, Line, LongTerm};

use super::super::registry::{back_link, pick};
use super::{
    clinic_error, condition_name, form_refusal, organisation_name, rx_tag, verdict_list, visit_tag,
    when,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page};
use crate::state::AppState;

/// Lines the prescription form offers (the rules allow at most five medicines).
const FORM_LINES: usize = 3;

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

pub async fn act(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let clinic = &app.clinic;
    let done = match action.as_str() {
        "accept" => clinic
            .accept(
                &user,
                &id,
                field("confirms_follow_up") == "on",
                field("accepts_document") == "on",
            )
            .await
            .map(|_| ()),
        "decline" => clinic
            .decline(&user, &id, field("reason"))
            .await
            .map(|_| ()),
        "withdraw" => clinic
            .withdraw(&user, &id, field("reason"))
            .await
            .map(|_| ()),
        "complete" => clinic.complete(&user, &id, field("note")).await.map(|_| ()),
        "confirm-long-term" => clinic.confirm_long_term(&user, &id).await.map(|_| ()),
        "message" => {
            let image = match image_of(field("image_b64"), field("image_type")) {
                Ok(i) => i,
                Err(e) => return rerender(&app, &ctx, &user, &id, e).await,
            };
            let body = Some(field("body")).filter(|b| !b.trim().is_empty());
            clinic
                .send_message(&user, &id, body, image)
                .await
                .map(|_| ())
        }
        "prescribe" => {
            let request = match prescription_of(&fields) {
                Ok(r) => r,
                Err(e) => return rerender(&app, &ctx, &user, &id, e).await,
            };
            match clinic.prescribe(&user, &id, request).await {
                Ok(rx) => {
                    return Redirect::to(&format!("/clinic/prescriptions/{}", rx.id))
                        .into_response();
                }
                Err(e) => Err(e),
            }
        }
        _ => return ctx.page_error(AppError::NotFound).into_response(),
    };
    match done {
        Ok(()) => Redirect::to(&format!("/clinic/consultations/{id}")).into_response(),
        Err(e) => match form_refusal(clinic_error(e)) {
            Ok((status, errors)) => match render(&app, &ctx, &user, &id, &errors).await {
                Ok(body) => (status, body).into_response(),
                Err(e) => ctx.page_error(e).into_response(),
            },
            Err(other) => ctx.page_error(other).into_response(),
        },
    }
}

async fn rerender(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    id: &str,
    errors: Vec<FieldError>,
) -> Response {
    match render(app, ctx, user, id, &errors).await {
        Ok(body) => (StatusCode::UNPROCESSABLE_ENTITY, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

fn image_of(b64: &str, media_type: &str) -> Result<Option<Image>, Vec<FieldError>> {
    if b64.trim().is_empty() {
        return Ok(None);
    }
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map(|bytes| {
            Some(Image {
                media_type: media_type.to_owned(),
                bytes,
            })
        })
        .map_err(|_| {
            vec![FieldError::new(
                "image",
                t(Lang::Zh, "clinic.book.bad_image"),
                t(Lang::En, "clinic.book.bad_image"),
            )]
        })
}

/// The prescription form as a request: blank lines are left out; a number that is not one is
/// named by its line.
fn prescription_of(fields: &[(String, String)]) -> Result<PrescriptionRequest, Vec<FieldError>> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for i in 0..FORM_LINES {
        let drug = field(&format!("line{i}_drug"));
        if drug.is_empty() {
            continue;
        }
        let n = (i + 1).to_string();
        let number = |name: &str, key: &str, errors: &mut Vec<FieldError>| -> f64 {
            match field(&format!("line{i}_{name}")).parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => {
                    errors.push(FieldError::new(
                        "lines",
                        tf(Lang::Zh, key, &[("n", &n)]),
                        tf(Lang::En, key, &[("n", &n)]),
                    ));
                    0.0
                }
            }
        };
        let dose = number("dose", "clinic.rx.bad_dose", &mut errors);
        let days = number("days", "clinic.rx.bad_days", &mut errors);
        let packs = number("packs", "clinic.rx.bad_packs", &mut errors);
        let frequency = field(&format!("line{i}_frequency"))
            .parse::<Frequency>()
            .unwrap_or(Frequency::Qd);
        lines.push(Line {
            drug: drug.to_owned(),
            dose,
            frequency,
            days: days.clamp(0.0, f64::from(u32::MAX)) as u32,
            packs: packs.clamp(0.0, f64::from(u32::MAX)) as u32,
        });
    }
    let validity_days = field("validity_days").parse::<u32>().unwrap_or(1);
    let evaluation = field("long_evaluation");
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PrescriptionRequest {
        request_key: field("request_key").to_owned(),
        draft: Draft {
            lines,
            long_term: (!evaluation.is_empty()).then(|| LongTerm {
                evaluation: evaluation.to_owned(),
                patient_confirmed: false,
            }),
            validity_days,
        },
        flags_acknowledged: field("acknowledge") == "on",
    })
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    id: &str,
    errors: &[FieldError],
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let visit = app.clinic.visit(user, id).await.map_err(clinic_error)?;
    let (c, messages, prescriptions) = (&visit.consultation, &visit.messages, &visit.prescriptions);
    let doctor_side = visit.party == Party::Doctor;
    let verdict = if doctor_side && c.state.is_open_for_care() {
        Some(
            app.clinic
                .prescribing_verdict(user, id)
                .await
                .map_err(clinic_error)?,
        )
    } else {
        None
    };
    // The doctor's name and hospital in one read.
    let (doctor, hospital) = match app.accounts.user_label(&c.doctor_id).await? {
        Some(l) => (
            l.display_name,
            pick(lang, &l.organisation_name_zh, &l.organisation_name_en).to_owned(),
        ),
        None => (
            c.doctor_id.clone(),
            organisation_name(app, lang, &c.hospital_id).await,
        ),
    };
    let condition = condition_name(app, lang, &c.disease);
    let title = tf(lang, "clinic.visit.title", &[("condition", &condition)]);
    let back = if doctor_side {
        ("/clinic/doctor", t(lang, "clinic.doctor.title"))
    } else {
        ("/clinic", t(lang, "clinic.book.title"))
    };
    let body = html! { div.clinic {
        (back_link(back.0, back.1))
        h1 { (title) " " (visit_tag(lang, c.state)) }
        (error_summary(lang, errors))
        section.card {
            dl.summary {
                dt { (t(lang, "clinic.book.hospital")) } dd { (hospital) }
                dt { (t(lang, "clinic.book.doctor")) } dd { (doctor) }
                dt { (t(lang, "clinic.col.requested")) } dd { (when(lang, c.requested_at)) }
                @if let Some(at) = c.accepted_at { dt { (t(lang, "clinic.visit.accepted_at")) } dd { (when(lang, at)) } }
                dt { (t(lang, "clinic.visit.basis")) } dd { (basis_text(lang, &c.basis)) }
                dt { (t(lang, "clinic.book.complaint")) } dd { (c.complaint) }
                @if c.guardian_present { dt { (t(lang, "clinic.visit.guardian")) } dd { (t(lang, "clinic.visit.guardian_yes")) } }
                @if let Some(reason) = &c.close_reason { dt { (t(lang, "clinic.visit.close_reason")) } dd { (reason) } }
                @if let Some(note) = &c.note { dt { (t(lang, "clinic.visit.note")) } dd { (note) } }
            }
            @if doctor_side && c.encounter.is_some() {
                p { a.button.button-secondary href={ "/residents/" (c.resident_id) } { (t(lang, "clinic.visit.timeline")) } }
            }
        }
        @if doctor_side { (doctor_actions(ctx, lang, c, verdict.as_ref())) } @else { (patient_actions(ctx, lang, c)) }
        section.card {
            h2 { (t(lang, "clinic.visit.messages")) }
            @if messages.is_empty() { p.muted { (t(lang, "clinic.visit.no_messages")) } }
            ol.messages {
                @for m in messages {
                    li class={ "message " (if m.from_doctor { "from-doctor" } else { "from-patient" }) } {
                        p.muted { (if m.from_doctor { t(lang, "clinic.visit.doctor") } else { t(lang, "clinic.visit.patient") }) " · " (when(lang, m.sent_at)) }
                        @if let Some(text) = &m.body { p { (text) } }
                        @if let (Some(kind), Some(data)) = (&m.image_type, &m.image_base64) {
                            img.message-image src=(PreEscaped(format!("data:{kind};base64,{data}"))) alt=(t(lang, "clinic.visit.image_alt"));
                        }
                    }
                }
            }
            @if c.state.is_open_for_care() {
                form.stack method="post" action={ "/clinic/consultations/" (c.id) "/message" } {
                    (csrf_field(ctx))
                    label for="body" { (t(lang, "clinic.visit.write")) }
                    textarea #body name="body" rows="3" maxlength="2000" {}
                    label for="image" { (t(lang, "clinic.visit.attach")) }
                    input #image type="file" accept="image/png,image/jpeg" data-b64="image_b64" data-type="image_type";
                    input type="hidden" name="image_b64";
                    input type="hidden" name="image_type";
                    button.button type="submit" { (t(lang, "clinic.visit.send")) }
                }
            }
        }
        section.card {
            h2 { (t(lang, "clinic.visit.prescriptions")) }
            @if prescriptions.is_empty() { p.muted { (t(lang, "clinic.visit.no_prescriptions")) } }
            ul.plain {
                @for rx in prescriptions {
                    li {
                        a href={ "/clinic/prescriptions/" (rx.id) } { (when(lang, rx.written_at)) }
                        " " (rx_tag(lang, rx.state))
                        @if rx.long_term { " " span.tag.tag-info { (t(lang, "clinic.rx.long")) } }
                    }
                }
            }
        }
        script src="/assets/clinic.js" defer {}
    } };
    Ok(page(ctx, &title, body).into_response())
}

fn basis_text(lang: Lang, basis: &DiagnosisBasis) -> String {
    match basis {
        DiagnosisBasis::Registry { since, .. } => tf(
            lang,
            "clinic.visit.basis_registry",
            &[("since", &since.to_string())],
        ),
        DiagnosisBasis::Document { accepted: true } => {
            t(lang, "clinic.visit.basis_document_accepted").to_owned()
        }
        DiagnosisBasis::Document { accepted: false } => {
            t(lang, "clinic.visit.basis_document").to_owned()
        }
    }
}

fn patient_actions(ctx: &Ctx, lang: Lang, c: &Consultation) -> Markup {
    html! {
        @if matches!(c.state, VisitState::Requested | VisitState::Accepted) || c.state.is_open_for_care() {
            section.card {
                h2 { (t(lang, "clinic.visit.actions")) }
                @if c.state.is_open_for_care() {
                    @if let Some(at) = c.long_confirmed_at {
                        p { (tf(lang, "clinic.visit.long_confirmed", &[("at", &when(lang, at))])) }
                    } @else {
                        form method="post" action={ "/clinic/consultations/" (c.id) "/confirm-long-term" } {
                            (csrf_field(ctx))
                            p.hint { (t(lang, "clinic.visit.long_explain")) }
                            button.button.button-secondary type="submit" { (t(lang, "clinic.visit.long_confirm")) }
                        }
                    }
                }
                @if matches!(c.state, VisitState::Requested | VisitState::Accepted) {
                    form.stack method="post" action={ "/clinic/consultations/" (c.id) "/withdraw" } {
                        (csrf_field(ctx))
                        label for="reason" { (t(lang, "clinic.visit.withdraw_reason")) }
                        input #reason name="reason" required maxlength="200";
                        button.button.button-warning type="submit" { (t(lang, "clinic.visit.withdraw")) }
                    }
                }
            }
        }
    }
}

fn doctor_actions(ctx: &Ctx, lang: Lang, c: &Consultation, verdict: Option<&Verdict>) -> Markup {
    let document = matches!(c.basis, DiagnosisBasis::Document { accepted: false });
    let key = kernel::Id::new().to_string();
    let catalogue = prescribing::catalogue();
    html! {
        @if c.state == VisitState::Requested {
            section.card {
                h2 { (t(lang, "clinic.visit.take")) }
                form.stack method="post" action={ "/clinic/consultations/" (c.id) "/accept" } {
                    (csrf_field(ctx))
                    label.choice { input type="checkbox" name="confirms_follow_up" value="on" required; " " (t(lang, "clinic.visit.confirm_follow_up")) }
                    @if document {
                        label.choice { input type="checkbox" name="accepts_document" value="on"; " " (t(lang, "clinic.visit.accept_document")) }
                    }
                    button.button type="submit" { (t(lang, "clinic.visit.accept")) }
                }
                form.stack method="post" action={ "/clinic/consultations/" (c.id) "/decline" } {
                    (csrf_field(ctx))
                    label for="decline-reason" { (t(lang, "clinic.visit.decline_reason")) }
                    input #decline-reason name="reason" required maxlength="200";
                    button.button.button-warning type="submit" { (t(lang, "clinic.visit.decline")) }
                }
            }
        }
        @if c.state.is_open_for_care() {
            section.card #prescribe {
                h2 { (t(lang, "clinic.rx.write")) }
                p.hint { (t(lang, "clinic.rx.personally")) }
                @if let Some(v) = verdict {
                    @if v.passed() {
                        details { summary { (t(lang, "clinic.rx.may")) } (verdict_list(lang, &[v])) }
                    } @else {
                        div.notice.notice-warning { h3 { (t(lang, "clinic.rx.may_not")) } (verdict_list(lang, &[v])) }
                    }
                }
                @if verdict.is_none_or(Verdict::passed) {
                    form.stack method="post" action={ "/clinic/consultations/" (c.id) "/prescribe" } {
                        (csrf_field(ctx))
                        input type="hidden" name="request_key" value=(key);
                        @for i in 0..FORM_LINES {
                            fieldset.rx-line {
                                legend { (tf(lang, "clinic.rx.line", &[("n", &(i + 1).to_string())])) }
                                label for={ "line" (i) "_drug" } { (t(lang, "clinic.rx.drug")) }
                                select id={ "line" (i) "_drug" } name={ "line" (i) "_drug" } {
                                    option value="" { "—" }
                                    @for d in catalogue.all() {
                                        option value=(d.code) { (d.generic_zh) " " (d.strength.value) (d.strength.unit) " · " (d.generic_en) }
                                    }
                                }
                                div.row {
                                    label { (t(lang, "clinic.rx.dose")) input type="number" step="any" min="0" name={ "line" (i) "_dose" }; }
                                    label { (t(lang, "clinic.rx.frequency"))
                                        select name={ "line" (i) "_frequency" } {
                                            @for f in Frequency::ALL { option value=(f.code()) { (if lang == Lang::Zh { f.label_zh() } else { f.label_en() }) } }
                                        }
                                    }
                                    label { (t(lang, "clinic.rx.days")) input type="number" min="1" name={ "line" (i) "_days" }; }
                                    label { (t(lang, "clinic.rx.packs")) input type="number" min="1" name={ "line" (i) "_packs" }; }
                                }
                            }
                        }
                        label for="long_evaluation" { (t(lang, "clinic.rx.evaluation")) }
                        p.hint { (t(lang, "clinic.rx.evaluation_hint")) }
                        textarea #long_evaluation name="long_evaluation" rows="2" {}
                        label for="validity_days" { (t(lang, "clinic.rx.validity")) }
                        input #validity_days type="number" name="validity_days" value="1" min="1" max="3";
                        label.choice { input type="checkbox" name="acknowledge" value="on"; " " (t(lang, "clinic.rx.acknowledge")) }
                        button.button type="submit" { (t(lang, "clinic.rx.sign")) }
                    }
                }
            }
            section.card {
                h2 { (t(lang, "clinic.visit.complete")) }
                form.stack method="post" action={ "/clinic/consultations/" (c.id) "/complete" } {
                    (csrf_field(ctx))
                    label for="note" { (t(lang, "clinic.visit.note")) }
                    textarea #note name="note" rows="3" required maxlength="4000" {}
                    button.button type="submit" { (t(lang, "clinic.visit.complete")) }
                }
            }
        }
    }
}
