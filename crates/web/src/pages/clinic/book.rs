//! `GET /clinic`: the patient's online follow-ups and the booking form. The form shows, before
//! anything is sent, which rules the request passes and which it fails with what to do
//! instead; `POST /clinic` makes the request. Staff are sent to their own clinic pages.

use access::{FieldError, Principal, Role};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use clinic::eligibility::Verdict;
use clinic::{ClinicError, Consultation, Image, NewConsultation};
use kernel::{Lang, mask_name};
use maud::{Markup, html};
use serde::Deserialize;

use super::super::registry::clinical_error;
use super::{
    clinic_error, condition_name, organisation_name, user_name, verdict_list, visit_tag, when,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page};
use crate::state::AppState;

/// The booking form's fields, as typed (also the query of the eligibility check).
#[derive(Debug, Default, Deserialize)]
pub struct Booking {
    #[serde(default)]
    resident: String,
    #[serde(default)]
    disease: String,
    #[serde(default)]
    hospital: String,
    #[serde(default)]
    doctor: String,
    #[serde(default)]
    complaint: String,
    #[serde(default)]
    guardian: Option<String>,
    #[serde(default)]
    image_b64: String,
    #[serde(default)]
    image_type: String,
}

impl Booking {
    fn complete(&self) -> bool {
        !self.resident.is_empty()
            && !self.disease.is_empty()
            && !self.hospital.is_empty()
            && !self.doctor.is_empty()
    }

    fn request(&self) -> Result<NewConsultation, AppError> {
        let document = if self.image_b64.trim().is_empty() {
            None
        } else {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(self.image_b64.trim())
                .map_err(|_| {
                    AppError::Invalid(vec![FieldError::new(
                        "image",
                        t(Lang::Zh, "clinic.book.bad_image"),
                        t(Lang::En, "clinic.book.bad_image"),
                    )])
                })?;
            Some(Image {
                media_type: self.image_type.clone(),
                bytes,
            })
        };
        Ok(NewConsultation {
            resident_id: self.resident.clone(),
            hospital_id: self.hospital.clone(),
            doctor_id: self.doctor.clone(),
            disease: self.disease.clone(),
            complaint: self.complaint.clone(),
            guardian_present: self.guardian.is_some(),
            document,
        })
    }
}

/// What a re-rendered form carries: problems, or the rules' refusal.
#[derive(Default)]
struct Outcome {
    errors: Vec<FieldError>,
    refused: Option<(Verdict, Verdict)>,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(booking): Query<Booking>,
) -> Response {
    if !user.has_role(Role::Resident) {
        return match overview(&app, &ctx, &user).await {
            Ok(body) => body.into_response(),
            Err(e) => ctx.page_error(e).into_response(),
        };
    }
    let mut outcome = Outcome::default();
    if booking.complete() {
        match booking.request() {
            Ok(request) => match app.clinic.check_request(&user, &request).await {
                Ok(verdicts) => outcome.refused = Some(verdicts),
                Err(e) => return ctx.page_error(clinic_error(e)).into_response(),
            },
            Err(AppError::Invalid(errors)) => outcome.errors = errors,
            Err(e) => return ctx.page_error(e).into_response(),
        }
    }
    match render(&app, &ctx, &user, &booking, &outcome).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

pub async fn submit(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(booking): Form<Booking>,
) -> Response {
    let request = match booking.request() {
        Ok(r) => r,
        Err(AppError::Invalid(errors)) => {
            return rerender(
                &app,
                &ctx,
                &user,
                &booking,
                Outcome {
                    errors,
                    refused: None,
                },
            )
            .await;
        }
        Err(e) => return ctx.page_error(e).into_response(),
    };
    match app.clinic.request_consultation(&user, request).await {
        Ok(c) => Redirect::to(&format!("/clinic/consultations/{}", c.id)).into_response(),
        Err(ClinicError::NotEligible(_)) => {
            // Show the whole judgement, passed rules included, not only the failures.
            let verdicts = match booking.request() {
                Ok(r) => app.clinic.check_request(&user, &r).await.ok(),
                Err(_) => None,
            };
            rerender(
                &app,
                &ctx,
                &user,
                &booking,
                Outcome {
                    errors: Vec::new(),
                    refused: verdicts,
                },
            )
            .await
        }
        Err(e) => match clinic_error(e) {
            AppError::Invalid(errors) => {
                rerender(
                    &app,
                    &ctx,
                    &user,
                    &booking,
                    Outcome {
                        errors,
                        refused: None,
                    },
                )
                .await
            }
            other => ctx.page_error(other).into_response(),
        },
    }
}

async fn rerender(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    booking: &Booking,
    outcome: Outcome,
) -> Response {
    match render(app, ctx, user, booking, &outcome).await {
        Ok(body) => (StatusCode::UNPROCESSABLE_ENTITY, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// Where staff find their clinic work, and its title.
fn staff_home(user: &Principal) -> Option<(&'static str, &'static str)> {
    if user.has_role(Role::HospitalDoctor) {
        Some(("/clinic/doctor", "clinic.doctor.title"))
    } else if user.has_role(Role::Pharmacist) {
        Some(("/clinic/pharmacy", "clinic.pharmacy.title"))
    } else if user.has_role(Role::BureauOfficial) {
        Some(("/clinic/oversight", "clinic.oversight.title"))
    } else {
        None
    }
}

/// The clinic for everyone who does not book: what it is, the pilots and what they offer, and
/// the way to one's own clinic work.
async fn overview(app: &AppState, ctx: &Ctx, user: &Principal) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let offers = offers(app, lang).await?;
    let body = html! { div.clinic {
        h1 { (t(lang, "clinic.book.title")) }
        p.lead { (t(lang, "clinic.book.intro")) }
        @if let Some((href, key)) = staff_home(user) {
            p { a.button href=(href) { (t(lang, key)) } }
        }
        section.card {
            h2 { (t(lang, "clinic.book.pilots")) }
            @if offers.is_empty() { p.muted { (t(lang, "clinic.book.no_pilots")) } }
            @else { (offer_table(lang, &offers)) }
        }
    } };
    Ok(page(ctx, t(lang, "clinic.book.title"), body))
}

/// The pilots that offer something, with names, by rank.
async fn offers(app: &AppState, lang: Lang) -> Result<Vec<Offer>, AppError> {
    let mut offers = Vec::new();
    for pilot in app.clinic.pilots().await.map_err(clinic_error)? {
        let offering = app
            .clinic
            .offering(&pilot.hospital_id)
            .await
            .map_err(clinic_error)?;
        if offering.conditions.is_empty() || offering.doctors.is_empty() {
            continue;
        }
        let mut doctors = Vec::new();
        for d in &offering.doctors {
            doctors.push((d.clone(), user_name(app, d).await));
        }
        offers.push(Offer {
            hospital: organisation_name(app, lang, &pilot.hospital_id).await,
            hospital_id: pilot.hospital_id,
            rank: pilot.rank,
            conditions: offering
                .conditions
                .iter()
                .map(|c| (c.clone(), condition_name(app, lang, c)))
                .collect(),
            doctors,
        });
    }
    Ok(offers)
}

fn offer_table(lang: Lang, offers: &[Offer]) -> Markup {
    let list = |items: &[(String, String)]| {
        items
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join("、")
    };
    html! {
        table.data {
            thead { tr { th { (t(lang, "clinic.pilot.rank")) } th { (t(lang, "clinic.book.hospital")) } th { (t(lang, "clinic.book.condition")) } th { (t(lang, "clinic.book.doctor")) } } }
            tbody {
                @for o in offers {
                    tr { td.num { (o.rank) } td { (o.hospital) } td { (list(&o.conditions)) } td { (list(&o.doctors)) } }
                }
            }
        }
    }
}

/// One pilot's offer, with names.
struct Offer {
    hospital_id: String,
    hospital: String,
    rank: u32,
    conditions: Vec<(String, String)>,
    doctors: Vec<(String, String)>,
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    booking: &Booking,
    outcome: &Outcome,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let consultations = app
        .clinic
        .consultations_of_patient(user)
        .await
        .map_err(clinic_error)?;
    let (own, represented) = app
        .clinical
        .residents_acted_for(&user.user_id)
        .await
        .map_err(clinical_error)?;
    let mut people = Vec::new();
    for (id, is_own) in own
        .iter()
        .map(|r| (r, true))
        .chain(represented.iter().map(|r| (r, false)))
    {
        let label = if is_own {
            t(lang, "clinic.book.myself").to_owned()
        } else {
            let name = app
                .clinical
                .residents()
                .resident(id)
                .await
                .ok()
                .flatten()
                .and_then(|r| r.facts.name)
                .map(|n| mask_name(&n))
                .unwrap_or_else(|| "—".into());
            tf(lang, "clinic.book.for_member", &[("name", &name)])
        };
        people.push((id.clone(), label));
    }
    let offers = offers(app, lang).await?;
    let mut names = std::collections::HashMap::new();
    for c in &consultations {
        if !names.contains_key(&c.hospital_id) {
            names.insert(
                c.hospital_id.clone(),
                organisation_name(app, lang, &c.hospital_id).await,
            );
        }
    }
    let body = html! { div.clinic {
        h1 { (t(lang, "clinic.book.title")) }
        p.lead { (t(lang, "clinic.book.intro")) }
        section.card {
            h2 { (t(lang, "clinic.book.mine")) }
            @if consultations.is_empty() {
                p.muted { (t(lang, "clinic.book.none")) }
            } @else {
                (consultation_table(app, lang, &consultations, &names))
            }
        }
        section.card #book {
            h2 { (t(lang, "clinic.book.new")) }
            @if people.is_empty() {
                p.notice.notice-warning { (t(lang, "clinic.book.no_record")) }
            } @else if offers.is_empty() {
                p.notice { (t(lang, "clinic.book.no_pilots")) }
            } @else {
                (error_summary(lang, &outcome.errors))
                @if let Some((consult, request)) = &outcome.refused {
                    div class={ "notice " (if consult.passed() && request.passed() { "notice-ok" } else { "notice-warning" }) } role="status" {
                        h3 { (if consult.passed() && request.passed() { t(lang, "clinic.book.eligible") } else { t(lang, "clinic.book.not_eligible") }) }
                        (verdict_list(lang, &[consult, request]))
                    }
                }
                form.stack method="post" action="/clinic" {
                    (csrf_field(ctx))
                    label for="resident" { (t(lang, "clinic.book.person")) }
                    select #resident name="resident" required {
                        @for (id, label) in &people {
                            option value=(id) selected[booking.resident == *id] { (label) }
                        }
                    }
                    label for="disease" { (t(lang, "clinic.book.condition")) }
                    select #disease name="disease" required {
                        option value="" { (t(lang, "clinic.book.choose")) }
                        @for code in condition_codes(&offers) {
                            option value=(code) selected[booking.disease == code] { (condition_name(app, lang, &code)) }
                        }
                    }
                    label for="hospital" { (t(lang, "clinic.book.hospital")) }
                    select #hospital name="hospital" required {
                        option value="" { (t(lang, "clinic.book.choose")) }
                        @for o in &offers {
                            option value=(o.hospital_id) selected[booking.hospital == o.hospital_id] {
                                (o.hospital) " · " (o.conditions.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join("、"))
                            }
                        }
                    }
                    label for="doctor" { (t(lang, "clinic.book.doctor")) }
                    select #doctor name="doctor" required {
                        option value="" { (t(lang, "clinic.book.choose")) }
                        @for o in &offers {
                            optgroup label=(o.hospital) {
                                @for (id, name) in &o.doctors {
                                    option value=(id) selected[booking.doctor == *id] { (name) }
                                }
                            }
                        }
                    }
                    label for="complaint" { (t(lang, "clinic.book.complaint")) }
                    p.hint #complaint-hint { (t(lang, "clinic.book.complaint_hint")) }
                    textarea #complaint name="complaint" rows="3" maxlength="4000" aria-describedby="complaint-hint" required { (booking.complaint) }
                    label.choice {
                        input type="checkbox" name="guardian" value="on" checked[booking.guardian.is_some()];
                        " " (t(lang, "clinic.book.guardian"))
                    }
                    label for="image" { (t(lang, "clinic.book.document")) }
                    p.hint #image-hint { (t(lang, "clinic.book.document_hint")) }
                    input #image type="file" accept="image/png,image/jpeg" data-b64="image_b64" data-type="image_type" aria-describedby="image-hint";
                    input type="hidden" name="image_b64" value=(booking.image_b64);
                    input type="hidden" name="image_type" value=(booking.image_type);
                    div.actions {
                        button.button.button-secondary type="submit" formmethod="get" formaction="/clinic#book" formnovalidate { (t(lang, "clinic.book.check")) }
                        button.button type="submit" { (t(lang, "clinic.book.submit")) }
                    }
                }
                h3 { (t(lang, "clinic.book.pilots")) }
                (offer_table(lang, &offers))
            }
        }
        p.alerts-urgent { (t(lang, "clinic.book.emergency")) }
        script src="/assets/clinic.js" defer {}
    } };
    Ok(page(ctx, t(lang, "clinic.book.title"), body))
}

fn condition_codes(offers: &[Offer]) -> Vec<String> {
    let mut codes: Vec<String> = offers
        .iter()
        .flat_map(|o| o.conditions.iter().map(|(c, _)| c.clone()))
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Consultations as a table, newest first, for the patient.
pub fn consultation_table(
    app: &AppState,
    lang: Lang,
    consultations: &[Consultation],
    hospitals: &std::collections::HashMap<String, String>,
) -> Markup {
    html! {
        table.data {
            thead { tr {
                th { (t(lang, "clinic.col.requested")) }
                th { (t(lang, "clinic.book.condition")) }
                th { (t(lang, "clinic.book.hospital")) }
                th { (t(lang, "clinic.col.state")) }
                th { (t(lang, "clinic.col.open")) }
            } }
            tbody {
                @for c in consultations {
                    tr {
                        td { (when(lang, c.requested_at)) }
                        td { (condition_name(app, lang, &c.disease)) }
                        td { (hospitals.get(&c.hospital_id).map_or(c.hospital_id.as_str(), String::as_str)) }
                        td { (visit_tag(lang, c.state)) }
                        td { a href={ "/clinic/consultations/" (c.id) } { (t(lang, "clinic.col.open")) } }
                    }
                }
            }
        }
    }
}
