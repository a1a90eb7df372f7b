//! `/research/review`: the data steward's queue — requests waiting for a decision, approved
//! requests waiting for their release, and the latest others. Each opens on its own page,
//! where the steward acts.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;
use research::{RequestFilter, RequestState};

use super::mine::requests_table;
use super::{Failure, may_steward};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{page, stat};
use crate::pages::registry::Orgs;
use crate::state::AppState;

/// How many decided requests the queue shows below the open ones.
const RECENT: u32 = 20;

/// `GET /research/review`.
pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    if !may_steward(&user) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let lang = ctx.lang;
    let filter = |state: Option<RequestState>, limit: u32| RequestFilter {
        requester_id: None,
        state,
        limit,
    };
    let (submitted, approved, recent) = match (
        app.research
            .requests(&filter(Some(RequestState::Submitted), 0))
            .await,
        app.research
            .requests(&filter(Some(RequestState::Approved), 0))
            .await,
        app.research.requests(&filter(None, RECENT)).await,
    ) {
        (Ok(s), Ok(a), Ok(r)) => (s, a, r),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Failure::from(e).page(&ctx),
    };
    let recent: Vec<_> = recent
        .into_iter()
        .filter(|r| !matches!(r.state, RequestState::Submitted | RequestState::Approved))
        .collect();
    let orgs = match Orgs::load(&app).await {
        Ok(o) => o,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let title = t(lang, "research.review.title");
    let body = html! {
        h1 { (title) }
        p.lead { (t(lang, "research.review.intro")) }
        div.stats.stats-compact {
            (stat(t(lang, "research.review.waiting"), &submitted.len().to_string(), ""))
            (stat(t(lang, "research.review.to_release"), &approved.len().to_string(), ""))
        }
        p.actions { a.button.button-secondary href="/research/query" { (t(lang, "research.query.title")) } }
        h2 { (tf(lang, "research.review.queue", &[("n", &submitted.len().to_string())])) }
        (requests_table(&app, lang, &submitted, Some(&orgs)))
        h2 { (tf(lang, "research.review.approved", &[("n", &approved.len().to_string())])) }
        (requests_table(&app, lang, &approved, Some(&orgs)))
        h2 { (t(lang, "research.review.recent")) }
        (requests_table(&app, lang, &recent, Some(&orgs)))
    };
    page(&ctx, title, body).into_response()
}
