//! `GET /products/alerts`: the reminders and overdue alerts of the adoption duty, for a
//! hospital's staff (their own hospital's) and the bureaus (every hospital's), with
//! "acknowledge". An alert stays open until the product is adopted or declared not needed;
//! acknowledging only records that someone has seen it.

use access::Principal;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use greenchannel::AlertFilter;
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Viewer, alert_tag, day, done_notice, forbidden_to_read, gc_error, hospital_names,
    product_names, tabs, when,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, page, status_tag};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    /// `all` shows resolved alerts too; open ones otherwise.
    pub show: Option<String>,
    pub done: Option<String>,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<Shown>,
) -> Response {
    let all = q.show.as_deref() == Some("all");
    match render(&app, &ctx, &user, all, q.done.as_deref()).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

pub async fn acknowledge(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    match app.greenchannel.acknowledge(&user, &id).await {
        Ok(_) => Redirect::to("/products/alerts?done=acknowledged").into_response(),
        Err(e) => ctx.page_error(gc_error(e)).into_response(),
    }
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    all: bool,
    done: Option<&str>,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let viewer = Viewer::of(app.greenchannel.rules(), user);
    if !viewer.reads_adoption() {
        return Err(forbidden_to_read());
    }
    let alerts = app
        .greenchannel
        .alerts(
            user,
            &AlertFilter {
                open_only: !all,
                ..AlertFilter::default()
            },
        )
        .await
        .map_err(gc_error)?;
    let hospitals = hospital_names(app, lang).await?;
    let products = product_names(app).await?;
    let for_bureau = viewer.bureau.is_some();
    let filter = |href: &'static str, key: &str, current: bool| {
        html! { li { a href=(href) aria-current=[current.then_some("page")] { (t(lang, key)) } } }
    };
    let body = html! {
        h1 { (t(lang, "products.alerts.title")) }
        p.lead { (if for_bureau { t(lang, "products.alerts.intro_bureau") } else { t(lang, "products.alerts.intro_hospital") }) }
        (tabs(lang, "/products/alerts", &viewer))
        (done_notice(lang, done))
        nav.tabs aria-label=(t(lang, "products.alerts.filter")) {
            ul {
                (filter("/products/alerts", "products.alerts.open", !all))
                (filter("/products/alerts?show=all", "products.alerts.all", all))
            }
        }
        @if alerts.is_empty() {
            p.muted { (t(lang, "products.alerts.none")) }
        } @else {
            p.count { (tf(lang, "products.count", &[("count", &alerts.len().to_string())])) }
            div.table-wrap.table-scroll {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "products.col.product")) }
                        th scope="col" { (t(lang, "products.alerts.kind")) }
                        th scope="col" { (t(lang, "products.col.state")) }
                        @if for_bureau { th scope="col" { (t(lang, "products.col.hospital")) } }
                        th scope="col" { (t(lang, "products.col.deadline")) }
                        th scope="col" { (t(lang, "products.col.raised")) }
                        th scope="col" { (t(lang, "products.alerts.seen")) }
                    } }
                    tbody {
                        @for a in &alerts {
                            tr {
                                th scope="row" { (products.get(&a.product_id).map_or(a.product_id.as_str(), String::as_str)) }
                                td { (alert_tag(lang, a.kind)) }
                                td {
                                    @match a.resolved_at {
                                        Some(at) => { (status_tag(t(lang, "products.alerts.resolved"), "ok")) br; span.small { (when(lang, at)) } }
                                        None => (status_tag(t(lang, "products.alerts.open_state"), "warn")),
                                    }
                                }
                                @if for_bureau { td { (hospitals.get(&a.hospital_id).map_or(a.hospital_id.as_str(), String::as_str)) } }
                                td.nowrap { (day(lang, a.deadline)) }
                                td.nowrap { (when(lang, a.raised_at)) }
                                td {
                                    @match a.acknowledged_at {
                                        Some(at) => { (t(lang, "products.alerts.acknowledged")) br; span.small { (when(lang, at)) } }
                                        None if a.resolved_at.is_none() => {
                                            form.inline method="post" action={ "/products/alerts/" (a.id) "/acknowledge" } {
                                                (csrf_field(ctx))
                                                button.button-secondary type="submit" { (t(lang, "products.alerts.acknowledge")) }
                                            }
                                        }
                                        None => "—",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if viewer.hospital.is_some() {
            p { a href="/products/adoption#adopt" { (t(lang, "products.alerts.record")) } }
        }
    };
    Ok(page(ctx, t(lang, "products.alerts.title"), body))
}
