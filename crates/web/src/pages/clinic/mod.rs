//! The online convenience clinic's pages (issue 5, ADR 0014): the patient's follow-ups and
//! booking (`/clinic`), one consultation for its patient and doctor
//! (`/clinic/consultations/{id}`), the doctor's work list (`/clinic/doctor`), the pharmacist's
//! review queue and a prescription (`/clinic/pharmacy`, `/clinic/prescriptions/{id}`), and
//! the health commission's pilots and oversight (`/clinic/oversight`). The `clinic` crate
//! decides who may do what; these pages show its answers.

pub mod book;
pub mod consultation;
pub mod dispensing;
pub mod doctor;
pub mod oversight;
pub mod pharmacy;

use access::FieldError;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use clinic::eligibility::{Finding, Verdict};
use clinic::{ClinicError, RxState, State as VisitState};
use kernel::Lang;
use maud::{Markup, html};

use super::registry::{clinical_error, pick};
use crate::error::AppError;
use crate::i18n::t;
use crate::layout::status_tag;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/clinic", get(book::show).post(book::submit))
        .route("/clinic/consultations/{id}", get(consultation::show))
        .route(
            "/clinic/consultations/{id}/{action}",
            post(consultation::act),
        )
        .route("/clinic/doctor", get(doctor::show))
        .route("/clinic/pharmacy", get(pharmacy::queue))
        .route("/clinic/prescriptions/{id}", get(pharmacy::show))
        .route("/clinic/prescriptions/{id}/review", post(pharmacy::review))
        .route(
            "/clinic/prescriptions/{id}/pickup",
            post(dispensing::pickup),
        )
        .route(
            "/clinic/prescriptions/{id}/courier",
            post(dispensing::courier),
        )
        .route("/clinic/fulfilments/{id}", get(dispensing::show))
        .route("/clinic/fulfilments/{id}/{step}", post(dispensing::step))
        .route("/clinic/pharmacy/{what}", post(dispensing::keep))
        .route("/clinic/notifications", get(dispensing::notifications))
        .route("/clinic/notifications/{id}/read", post(dispensing::read))
        .route(
            "/clinic/oversight",
            get(oversight::show).post(oversight::designate),
        )
}

/// A clinic error as pages and the API answer it: a refusal by the rules lists each failed
/// rule as a field with its reason and what to do instead.
pub fn clinic_error(e: ClinicError) -> AppError {
    match e {
        ClinicError::Invalid { field, message } => {
            AppError::Invalid(vec![FieldError::new(field, message.clone(), message)])
        }
        ClinicError::NotEligible(verdict) => AppError::Invalid(
            verdict
                .failures()
                .map(|f| {
                    FieldError::new(
                        f.rule.code(),
                        format!("{}：{}", f.reason_zh, f.advice_zh),
                        format!("{}: {}", f.reason_en, f.advice_en),
                    )
                })
                .collect(),
        ),
        ClinicError::Prescription(problems) => AppError::Invalid(
            problems
                .iter()
                .map(|p| FieldError::new(draft_field(&p.field), &p.message_zh, &p.message_en))
                .collect(),
        ),
        ClinicError::FlagsToAcknowledge(flags) => AppError::Conflict {
            zh: format!(
                "请确认以下提示后再签名：{}",
                flags
                    .iter()
                    .map(|f| f.message_zh.as_str())
                    .collect::<Vec<_>>()
                    .join("；")
            ),
            en: format!(
                "Acknowledge these flags before signing: {}",
                flags
                    .iter()
                    .map(|f| f.message_en.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        },
        ClinicError::Conflict { message, .. } => AppError::Conflict {
            zh: message.clone(),
            en: message,
        },
        ClinicError::Forbidden(why) => {
            tracing::info!(why, "clinic action refused");
            AppError::Forbidden
        }
        ClinicError::NotFound { .. } => AppError::NotFound,
        ClinicError::Moved(moved) => AppError::Conflict {
            zh: format!("该问诊当前为“{}”，不能再执行此操作", moved.from.label_zh()),
            en: format!(
                "The consultation is {} now, so this can no longer be done",
                moved.from.label_en().to_lowercase()
            ),
        },
        ClinicError::AlreadyDone { state } => {
            let (zh, en) = RxState::from_code(&state)
                .map(|s| (s.label_zh(), s.label_en()))
                .unwrap_or((state.as_str(), state.as_str()));
            AppError::Conflict {
                zh: format!("已由他人处理，当前状态：{zh}"),
                en: format!("Someone else has already acted on it; it is now: {en}"),
            }
        }
        ClinicError::Clinical(e) => clinical_error(e),
        other => AppError::Internal(other.to_string()),
    }
}

/// How a refused form is answered on its own page: input problems (422) and conflicts (409)
/// become the page's error summary; anything else is an error page.
pub fn form_refusal(error: AppError) -> Result<(StatusCode, Vec<FieldError>), AppError> {
    match error {
        AppError::Invalid(errors) => Ok((StatusCode::UNPROCESSABLE_ENTITY, errors)),
        AppError::Conflict { zh, en } => {
            Ok((StatusCode::CONFLICT, vec![FieldError::new("state", zh, en)]))
        }
        other => Err(other),
    }
}

/// The form field a prescription problem belongs to (its message names the line).
fn draft_field(path: &str) -> &'static str {
    if path.starts_with("long_term") {
        "long_term"
    } else if path.starts_with("validity") {
        "validity_days"
    } else {
        "lines"
    }
}

/// A consultation's state as a tag.
pub fn visit_tag(lang: Lang, state: VisitState) -> Markup {
    let tone = match state {
        VisitState::Requested => "warn",
        VisitState::Accepted | VisitState::InProgress => "info",
        VisitState::Completed => "ok",
        VisitState::Cancelled | VisitState::Expired => "muted",
    };
    status_tag(pick(lang, state.label_zh(), state.label_en()), tone)
}

/// A prescription's state as a tag.
pub fn rx_tag(lang: Lang, state: RxState) -> Markup {
    let tone = match state {
        RxState::AwaitingReview => "warn",
        RxState::Approved => "ok",
        RxState::Rejected => "error",
        RxState::Withdrawn => "muted",
    };
    status_tag(pick(lang, state.label_zh(), state.label_en()), tone)
}

/// Rules judged, each with a mark, its reason, and (when it failed) what to do instead.
pub fn verdict_list(lang: Lang, verdicts: &[&Verdict]) -> Markup {
    html! {
        ul.rule-checks {
            @for f in verdicts.iter().flat_map(|v| v.findings.iter()) {
                (finding(lang, f))
            }
        }
    }
}

fn finding(lang: Lang, f: &Finding) -> Markup {
    html! {
        li class={ "rule-check " (if f.passed { "rule-pass" } else { "rule-fail" }) } {
            span.rule-mark aria-hidden="true" { (if f.passed { "✓" } else { "✗" }) }
            div {
                strong { (pick(lang, f.rule.title_zh(), f.rule.title_en())) }
                span.visually-hidden { (if f.passed { t(lang, "clinic.rule.passed") } else { t(lang, "clinic.rule.failed") }) }
                p { (pick(lang, &f.reason_zh, &f.reason_en)) }
                @if !f.passed {
                    p.rule-advice { strong { (t(lang, "clinic.rule.instead")) } " " (pick(lang, &f.advice_zh, &f.advice_en)) }
                }
                p.muted.rule-source { (t(lang, "clinic.rule.source")) " " (f.source) }
            }
        }
    }
}

/// A disease template's name.
pub fn condition_name(app: &AppState, lang: Lang, code: &str) -> String {
    app.clinical
        .catalogue()
        .get(code)
        .map(|t| pick(lang, &t.name_zh, &t.name_en).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// An organisation's name, or its id when unknown.
pub async fn organisation_name(app: &AppState, lang: Lang, id: &str) -> String {
    match app.accounts.organisation(id).await {
        Ok(Some(o)) => pick(lang, &o.name_zh, &o.name_en).to_owned(),
        _ => id.to_owned(),
    }
}

/// A user's display name, or their id when unknown.
pub async fn user_name(app: &AppState, id: &str) -> String {
    match app.accounts.user_label(id).await {
        Ok(Some(u)) => u.display_name,
        _ => id.to_owned(),
    }
}

/// A time as the city reads it.
pub fn when(lang: Lang, at: i64) -> String {
    kernel::UtcMillis(at).format_datetime(lang)
}
