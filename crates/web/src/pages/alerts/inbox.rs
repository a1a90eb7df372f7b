//! `GET /alerts`: the doctor's inbox. Alerts addressed to them, and those escalated to their
//! centre or district, still-waiting first, then the most severe and newest.

use std::collections::HashMap;

use alerts::{Alert, InboxFilter, StateFilter};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use kernel::Lang;
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    amount_text, level_text, message, record_staff_view, resident_cell, resident_names,
    severity_tag, staff_of, state_tag, value_text, when,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::figures::thousands;
use crate::i18n::{t, tf};
use crate::layout::{page, stat};
use crate::state::AppState;

/// Rows on one page of the inbox.
const PAGE_SIZE: u32 = InboxFilter::DEFAULT_LIMIT;

/// The filters the page offers, with their query value and label.
const FILTERS: [(&str, StateFilter, &str); 3] = [
    ("open", StateFilter::Open, "alerts.filter.open"),
    (
        "acknowledged",
        StateFilter::Acknowledged,
        "alerts.filter.acknowledged",
    ),
    ("all", StateFilter::All, "alerts.filter.all"),
];

#[derive(Deserialize)]
pub struct InboxQuery {
    state: Option<String>,
    page: Option<String>,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<InboxQuery>,
) -> Response {
    match render(&app, &ctx, &user, &q).await {
        Ok(r) => r,
        Err(e) => ctx.page_error(e).into_response(),
    }
}

fn bad(key: &str) -> AppError {
    AppError::BadRequest {
        zh: t(Lang::Zh, key).to_owned(),
        en: t(Lang::En, key).to_owned(),
    }
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &access::Principal,
    q: &InboxQuery,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let staff = staff_of(user)?;
    let chosen = q.state.as_deref().unwrap_or("open");
    let (chosen, state, _) = FILTERS
        .iter()
        .find(|(code, _, _)| *code == chosen)
        .copied()
        .ok_or_else(|| bad("alerts.error.bad_filter"))?;
    let page_no: u32 = match q.page.as_deref() {
        None => 1,
        Some(p) => p
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| bad("alerts.error.bad_page"))?,
    };
    let filter = InboxFilter {
        state,
        limit: PAGE_SIZE,
        offset: (page_no - 1).saturating_mul(PAGE_SIZE),
        ..InboxFilter::default()
    };
    let count = |state| InboxFilter {
        state,
        ..InboxFilter::default()
    };
    let service = &app.alerts;
    let items = service
        .inbox(&staff, &filter)
        .await
        .map_err(super::alert_error)?;
    let total = service
        .count(&staff, &filter)
        .await
        .map_err(super::alert_error)?;
    let waiting = service
        .count(&staff, &count(StateFilter::Unacknowledged))
        .await
        .map_err(super::alert_error)?;
    let acknowledged = service
        .count(&staff, &count(StateFilter::Acknowledged))
        .await
        .map_err(super::alert_error)?;
    let names = resident_names(app, user, &items).await?;
    record_staff_view(app, user, &items).await;

    let pages = total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let link = |page: u64| format!("/alerts?state={chosen}&page={page}");
    let body = html! {
        h1 { (t(lang, "alerts.inbox.title")) }
        p.lead { (t(lang, "alerts.inbox.intro")) }
        div.stats.stats-compact {
            (stat(t(lang, "alerts.inbox.waiting"), &thousands(waiting as i64), t(lang, "alerts.unit")))
            (stat(t(lang, "alerts.inbox.acknowledged"), &thousands(acknowledged as i64), t(lang, "alerts.unit")))
        }
        nav.tabs aria-label=(t(lang, "alerts.filter.label")) {
            ul {
                @for (code, _, key) in FILTERS {
                    li { a href={ "/alerts?state=" (code) } aria-current=[(code == chosen).then_some("page")] { (t(lang, key)) } }
                }
            }
        }
        p.count { (tf(lang, "alerts.inbox.count", &[("count", &thousands(total as i64))])) }
        @if items.is_empty() {
            p.notice { (t(lang, if chosen == "open" { "alerts.inbox.empty_open" } else { "alerts.inbox.empty" })) }
        } @else {
            (table(app, lang, &items, &names))
        }
        @if pages > 1 {
            nav.alerts-pages aria-label=(t(lang, "alerts.pages")) {
                @if u64::from(page_no) > 1 { a href=(link(u64::from(page_no) - 1)) { "← " (t(lang, "alerts.previous")) } }
                span { (tf(lang, "alerts.page_of", &[("page", &page_no.to_string()), ("pages", &pages.to_string())])) }
                @if u64::from(page_no) < pages { a href=(link(u64::from(page_no) + 1)) { (t(lang, "alerts.next")) " →" } }
            }
        }
    };
    Ok(page(ctx, t(lang, "alerts.inbox.title"), body).into_response())
}

fn table(
    app: &AppState,
    lang: Lang,
    items: &[Alert],
    names: &HashMap<String, Option<String>>,
) -> Markup {
    let h_resident = t(lang, "alerts.resident");
    let h_alert = t(lang, "alerts.alert");
    let h_severity = t(lang, "alerts.severity");
    let h_readings = t(lang, "alerts.readings");
    let h_first = t(lang, "alerts.first");
    let h_last = t(lang, "alerts.last");
    let h_state = t(lang, "alerts.state");
    html! {
        div.table-wrap {
            table.worklist.alerts-table {
                thead { tr {
                    th scope="col" { (h_resident) }
                    th scope="col" { (h_alert) }
                    th scope="col" { (h_severity) }
                    th scope="col" { (h_readings) }
                    th scope="col" { (h_first) }
                    th scope="col" { (h_last) }
                    th scope="col" { (h_state) }
                    th scope="col" { span.visually-hidden { (t(lang, "alerts.action")) } }
                } }
                tbody {
                    @for a in items {
                        tr data-alert=(a.id) {
                            th.nowrap scope="row" data-label=(h_resident) { (resident_cell(lang, names, a)) }
                            td.alerts-message data-label=(h_alert) { (message(lang, a)) }
                            td data-label=(h_severity) { (severity_tag(app, lang, &a.severity)) }
                            td.num data-label=(h_readings) { (a.reading_count) }
                            td data-label=(h_first) {
                                (when_cell(lang, a.raised_at))
                                br;
                                span.muted { (amount_text(app, &a.last_key, a.first_value)) }
                            }
                            td data-label=(h_last) {
                                (when_cell(lang, a.last_at))
                                br;
                                span.muted { (value_text(app, lang, &a.last_key, a.last_value)) }
                            }
                            td data-label=(h_state) {
                                (state_tag(lang, a.state))
                                @if a.state == alerts::State::Raised {
                                    br;
                                    span.muted { (level_text(lang, a.level)) }
                                }
                            }
                            td.action {
                                a.button href={ "/alerts/" (a.id) } {
                                    (t(lang, "alerts.open"))
                                    span.visually-hidden { " · " (message(lang, a)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A time in a narrow column: the date and the time each kept on one line.
fn when_cell(lang: Lang, at: i64) -> Markup {
    let text = when(lang, at);
    match text.rsplit_once(' ') {
        Some((date, time)) => html! { span.nowrap { (date) } " " span.nowrap { (time) } },
        None => html! { (text) },
    }
}
