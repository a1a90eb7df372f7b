//! `GET /me/risk`: the resident's latest China-PAR assessment, its inputs and where each came
//! from (assumptions marked), what to do, and the calculator prefilled to try changes.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use kernel::{Lang, UtcMillis};
use maud::html;
use risk::population::{Outcome, Score};

use super::calculator::{prefilled_url, result_section};
use super::{inputs_table, model, record_views, scores_error};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::page;
use crate::pages::registry::{actor, clinical_error};
use crate::state::AppState;

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    let actor = actor(&user);
    if !matches!(actor.read, Some(access::RecordScope::Own)) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let model = match model() {
        Ok(m) => m,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let own = match app.clinical.residents_acted_for(&user.user_id).await {
        Ok((own, _)) => own,
        Err(e) => return ctx.page_error(clinical_error(e)).into_response(),
    };
    let score: Option<Score> = match own.first() {
        Some(id) => match app.risk.latest(id).await {
            Ok(s) => s,
            Err(e) => return ctx.page_error(scores_error(e)).into_response(),
        },
        None => None,
    };
    if let Some(s) = &score {
        let shown = serde_json::to_string(s).unwrap_or_default();
        record_views(
            &app,
            &actor,
            "risk.view",
            &[(s.resident_id.clone(), shown)],
            actor.purpose,
        )
        .await;
    }
    let body = html! {
        h1 { (t(lang, "risk.mine.title")) }
        p.lead { (t(lang, "risk.mine.intro")) }
        @match &score {
            None => {
                p.notice { (t(lang, if own.is_empty() { "risk.mine.no_record" } else { "risk.mine.not_yet" })) }
                p { a.button href="/risk/china-par" { (t(lang, "risk.calc.title")) } }
            }
            Some(s) => {
                p.source { (tf(lang, "risk.mine.assessed_at", &[("at", &UtcMillis(s.assessed_at).format_datetime(lang))])) }
                @match &s.outcome {
                    Outcome::Assessed { .. } => {
                        @if let Some(a) = s.explain(model) {
                            (result_section(lang, model, &a))
                        }
                    }
                    Outcome::Refused { reason } => {
                        section.risk-result {
                            h2 { (t(lang, "risk.mine.refused")) }
                            p.notice { (pick(lang, &reason.zh, &reason.en)) }
                        }
                    }
                    Outcome::NotAssessable { missing } => {
                        section.risk-result {
                            h2 { (t(lang, "risk.mine.missing")) }
                            p { (t(lang, "risk.mine.missing_intro")) }
                            ul { @for m in missing { li { (pick(lang, &m.zh, &m.en)) } } }
                        }
                    }
                }
                @if s.assumed().next().is_some() {
                    p.notice.notice-warning { (t(lang, "risk.mine.assumed_note")) }
                }
                h2 { (t(lang, "risk.mine.inputs")) }
                (inputs_table(&app, lang, &s.inputs))
                h2 { (t(lang, "risk.mine.try")) }
                p { (t(lang, "risk.mine.try_intro")) }
                p { a.button href=(prefilled_url(&s.calculator_input())) { (t(lang, "risk.mine.open_calculator")) } }
                p.muted { (t(lang, "risk.mine.not_advice")) }
            }
        }
    };
    page(&ctx, t(lang, "risk.mine.title"), body).into_response()
}

fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}
