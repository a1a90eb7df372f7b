//! `/capabilities/{id}`: what a capability of the system map does (or will do) and the seed
//! sections behind it.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::capabilities::find;
use crate::ctx::Signed;
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{page, status_tag};

pub async fn show(Signed { ctx, .. }: Signed, Path(id): Path<String>) -> Response {
    let Some(cap) = find(&id) else {
        return ctx.page_error(AppError::NotFound).into_response();
    };
    let lang = ctx.lang;
    let title = t(lang, &cap.title_key());
    let body = html! {
        p.muted { (tf(lang, "cap.title", &[("id", cap.id)])) }
        h1 { (title) " " @if cap.live_path.is_some() { (status_tag(t(lang, "status.built"), "ok")) } @else { (status_tag(t(lang, "status.planned"), "info")) } }
        @if cap.live_path.is_none() { p.notice { (t(lang, "cap.planned_note")) } }
        p.lead { (t(lang, &cap.description_key())) }
        h2 { (t(lang, "cap.seeds")) }
        p.mono { (cap.seeds) }
    };
    page(&ctx, title, body).into_response()
}
