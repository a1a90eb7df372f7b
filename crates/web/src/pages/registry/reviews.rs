//! `/registry/reviews`: uncertain matches of the resident master index, decided by the staff of
//! the organisation that sent the record. They see their own record and, for each candidate,
//! masked facts and what agrees or differs, never the candidate's health record.

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kernel::{Lang, mask_name};
use maud::{Markup, html};
use registry::{MatchReview, PersonFacts, ReviewDecision};

use super::{actor, back_link, clinical_error, date_or_dash, registry_error, sex};
use crate::ctx::{CSRF_FIELD, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::page;
use crate::state::AppState;

/// `GET /registry/reviews`.
pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    let reviews = match app.clinical.open_reviews(&actor(&user)).await {
        Ok(r) => r,
        Err(e) => return ctx.page_error(clinical_error(e)).into_response(),
    };
    let mut cards = Vec::with_capacity(reviews.len());
    for review in &reviews {
        match card(&app, lang, &ctx.csrf, review).await {
            Ok(c) => cards.push(c),
            Err(e) => return ctx.page_error(e).into_response(),
        }
    }
    let body = html! {
        (back_link("/registry", t(lang, "registry.title")))
        h1 { (t(lang, "reviews.title")) }
        p.lead { (t(lang, "reviews.intro")) }
        @if cards.is_empty() { p.notice { (t(lang, "reviews.none")) } }
        @for c in cards { (c) }
    };
    page(&ctx, t(lang, "reviews.title"), body).into_response()
}

fn facts_list(lang: Lang, facts: &PersonFacts) -> Markup {
    let sex_code = facts.sex().map(|s| s.fhir_code());
    html! {
        dl.summary {
            dt { (t(lang, "reviews.name")) }
            dd { (facts.name.as_deref().map(mask_name).unwrap_or_else(|| "—".into())) }
            dt { (t(lang, "reviews.sex")) }
            dd { (sex(lang, sex_code)) }
            dt { (t(lang, "reviews.birth")) }
            dd { (date_or_dash(lang, facts.birth())) }
            dt { (t(lang, "reviews.id_number")) }
            dd { (facts.id_number.as_ref().map(|n| n.masked()).unwrap_or_else(|| "—".into())) }
            dt { (t(lang, "reviews.mobile")) }
            dd { (facts.mobile.as_ref().map(|m| m.masked()).unwrap_or_else(|| "—".into())) }
        }
    }
}

async fn card(
    app: &AppState,
    lang: Lang,
    csrf: &str,
    review: &MatchReview,
) -> Result<Markup, AppError> {
    let mut candidates = Vec::new();
    for score in &review.candidates {
        let resident = app
            .clinical
            .residents()
            .resident(&score.resident_id)
            .await
            .map_err(registry_error)?;
        candidates.push((score, resident));
    }
    let action = format!("/registry/reviews/{}", review.id);
    Ok(html! {
        section.card.review {
            h2 { (tf(lang, "reviews.record", &[("id", &review.source_patient_id)])) }
            (facts_list(lang, &review.incoming))
            h3 { (t(lang, "reviews.candidates")) }
            @for (score, resident) in &candidates {
                div.candidate {
                    @if let Some(r) = resident { (facts_list(lang, &r.facts)) }
                    p {
                        (t(lang, "reviews.score")) ": " strong { (score.weight) } " · "
                        @for (n, e) in score.evidence.iter().enumerate() {
                            @if n > 0 { "、" }
                            (t(lang, &format!("evidence.{}", e.code())))
                        }
                    }
                    form method="post" action=(action) {
                        input type="hidden" name=(CSRF_FIELD) value=(csrf);
                        input type="hidden" name="decision" value={ "same:" (score.resident_id) };
                        button.button type="submit" { (t(lang, "reviews.same")) }
                    }
                }
            }
            form.review-distinct method="post" action=(action) {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                input type="hidden" name="decision" value="distinct";
                button.button.button-secondary type="submit" { (t(lang, "reviews.distinct")) }
            }
        }
    })
}

/// `POST /registry/reviews/{id}`: `decision` is `same:<resident>` or `distinct`.
pub async fn decide(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let decision = fields
        .iter()
        .find(|(k, _)| k == "decision")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let decision = match decision.split_once(':') {
        Some(("same", resident)) if !resident.is_empty() => {
            ReviewDecision::SameAs(resident.to_owned())
        }
        None if decision == "distinct" => ReviewDecision::Distinct,
        _ => {
            return ctx
                .page_error(AppError::BadRequest {
                    zh: "请选择“是同一人”或“都不是”".into(),
                    en: "Choose “same person” or “none of them”".into(),
                })
                .into_response();
        }
    };
    match app
        .clinical
        .decide_review(&actor(&user), &id, decision)
        .await
    {
        Ok(_) => Redirect::to("/registry/reviews").into_response(),
        Err(clinical::ClinicalError::Registry(registry::RegistryError::NotACandidate {
            ..
        })) => ctx
            .page_error(AppError::BadRequest {
                zh: "所选居民不是这条记录的候选人".into(),
                en: "That resident is not a candidate of this record".into(),
            })
            .into_response(),
        Err(e) => ctx.page_error(clinical_error(e)).into_response(),
    }
}
