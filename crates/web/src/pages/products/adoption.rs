//! `GET /products/adoption`: for a hospital's pharmacists and doctors, the hospital's duties
//! (each listed product with its deadline, days left or overdue) and the forms to record a
//! catalogue entry, declare a product not clinically needed, and report a quarter's usage;
//! for the bureaus, adoption by hospital (chart and table), the open overdue alerts, and the
//! bulletin of a quarter with "issue bulletin" for the bureau that issues them.

use std::collections::HashMap;

use access::Principal;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use charts::{ChartData, ChartOptions, Orientation, Series, StackedBarChart};
use greenchannel::{
    AdoptionStatus, AlertFilter, AlertKind, Bulletin, DutyStatus, HospitalFigures, Quarter,
};
use kernel::Lang;
use maud::{Markup, html};
use serde::Deserialize;

use super::super::registry::pick;
use super::{
    FormFields, Refusal, Viewer, adoption_tag, day, done_notice, field, forbidden_to_read,
    gc_error, hospital_names, kind_label, list_name, parse_date, parse_whole, product_names,
    refusal_of, summary, tabs, today, when,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::figures::thousands;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, csrf_field, page, stat, status_tag};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    pub quarter: Option<String>,
    pub done: Option<String>,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<Shown>,
) -> Response {
    // A quarter that does not parse is a refused (GET) form: the bulletin falls back to the
    // last ended quarter and the field says what to write.
    let (quarter, refusal) = match q.quarter.as_deref().filter(|s| !s.trim().is_empty()) {
        None => (None, Refusal::none()),
        Some(text) => match text.parse::<Quarter>() {
            Ok(quarter) => (Some(quarter), Refusal::none()),
            Err(e) => match refusal_of(
                "quarter",
                vec![("quarter".into(), text.into())],
                gc_error(e),
            ) {
                Ok((_, r)) => (None, r),
                Err(e) => return ctx.page_error(e).into_response(),
            },
        },
    };
    let status = if refusal.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    match render(&app, &ctx, &user, quarter, q.done.as_deref(), &refusal).await {
        Ok(body) => (status, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// A hospital's record: `adopt`, `not-needed` or `usage`, always for the viewer's own
/// organisation (the crate refuses anyone who is not its pharmacist or doctor).
pub async fn record(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(what): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let gc = &app.greenchannel;
    let hospital = user.organisation.id.clone();
    let product_id = field(&fields, "product_id");
    let result = async {
        if product_id.is_empty() {
            return Err(super::invalid(
                "product_id",
                "products.err.choose_product",
                &[],
            ));
        }
        match what.as_str() {
            "adopt" => {
                let on = parse_date("adopted_on", &field(&fields, "adopted_on"))?;
                gc.record_adoption(
                    &user,
                    &hospital,
                    &product_id,
                    on,
                    &field(&fields, "catalogue_ref"),
                )
                .await
                .map_err(gc_error)?;
                Ok("adopted")
            }
            "not-needed" => {
                let on = parse_date("decided_on", &field(&fields, "decided_on"))?;
                gc.declare_not_needed(&user, &hospital, &product_id, on, &field(&fields, "reason"))
                    .await
                    .map_err(gc_error)?;
                Ok("not_needed")
            }
            "usage" => {
                let period: Quarter = field(&fields, "period").parse().map_err(gc_error)?;
                let quantity = parse_whole("quantity", &field(&fields, "quantity"))?;
                let amount = parse_whole("amount_yuan", &field(&fields, "amount_yuan"))?;
                let reason = field(&fields, "reason");
                if reason.is_empty() {
                    gc.report_usage(&user, &hospital, &product_id, period, quantity, amount)
                        .await
                } else {
                    gc.correct_usage(
                        &user,
                        &hospital,
                        &product_id,
                        period,
                        quantity,
                        amount,
                        &reason,
                    )
                    .await
                }
                .map_err(gc_error)?;
                Ok("usage")
            }
            _ => Err(AppError::NotFound),
        }
    }
    .await;
    match result {
        Ok(done) => Redirect::to(&format!("/products/adoption?done={done}#duties")).into_response(),
        Err(e) => refused(&app, &ctx, &user, &what, fields, e).await,
    }
}

/// The bureau that issues bulletins issues the one of an ended quarter.
pub async fn issue(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let period: Quarter = field(&fields, "period").parse().map_err(gc_error)?;
        app.greenchannel
            .issue_bulletin(&user, period)
            .await
            .map_err(gc_error)?;
        Ok(period)
    }
    .await;
    match result {
        Ok(q) => Redirect::to(&format!(
            "/products/adoption?quarter={q}&done=issued#bulletin"
        ))
        .into_response(),
        Err(e) => refused(&app, &ctx, &user, "issue", fields, e).await,
    }
}

async fn refused(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    form: &str,
    fields: Vec<(String, String)>,
    error: AppError,
) -> Response {
    let quarter = field(&fields, "period").parse::<Quarter>().ok();
    match refusal_of(form, fields, error) {
        Ok((status, refusal)) => match render(app, ctx, user, quarter, None, &refusal).await {
            Ok(body) => (status, body).into_response(),
            Err(e) => ctx.page_error(e).into_response(),
        },
        Err(other) => ctx.page_error(other).into_response(),
    }
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    quarter: Option<Quarter>,
    done: Option<&str>,
    refusal: &Refusal,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let viewer = Viewer::of(app.greenchannel.rules(), user);
    let content = if let Some(hospital) = &viewer.hospital {
        hospital_view(app, ctx, user, hospital, refusal).await?
    } else if viewer.bureau.is_some() {
        bureau_view(app, ctx, user, &viewer, quarter, refusal).await?
    } else {
        return Err(forbidden_to_read());
    };
    let body = html! {
        h1 { (t(lang, "products.adoption.title")) }
        p.lead { (t(lang, "products.adoption.intro")) }
        (tabs(lang, "/products/adoption", &viewer))
        (summary(lang, refusal))
        (done_notice(lang, done))
        (content)
    };
    Ok(page(ctx, t(lang, "products.adoption.title"), body))
}

fn reminder_days(app: &AppState) -> i32 {
    i32::try_from(app.greenchannel.rules().adoption.reminder_days.value).unwrap_or(i32::MAX)
}

/// The quarter `q` follows.
fn previous(q: Quarter) -> Option<Quarter> {
    if q.number() == 1 {
        Quarter::new(q.year() - 1, 4)
    } else {
        Quarter::new(q.year(), q.number() - 1)
    }
}

/// The `n` quarters up to and including `from`, newest first.
fn quarters_back(from: Quarter, n: usize) -> Vec<Quarter> {
    std::iter::successors(Some(from), |q| previous(*q))
        .take(n)
        .collect()
}

async fn hospital_view(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    hospital: &str,
    refusal: &Refusal,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let rules = app.greenchannel.rules();
    let today = today();
    let duties = app
        .greenchannel
        .duties_of(user, hospital, today)
        .await
        .map_err(gc_error)?;
    let reminder = reminder_days(app);
    let overdue = duties
        .iter()
        .filter(|d| matches!(d.status, AdoptionStatus::Overdue { .. }))
        .count();
    let soon = duties
        .iter()
        .filter(|d| matches!(d.status, AdoptionStatus::Pending { days_left, .. } if days_left <= reminder))
        .count();
    let adopted = duties
        .iter()
        .filter(|d| matches!(d.status, AdoptionStatus::Adopted { .. }))
        .count();
    let name = |d: &DutyStatus| {
        format!(
            "{} · {}",
            d.listed.product.product_name, d.listed.product.company_name
        )
    };
    let adoptable: Vec<(String, String)> = duties
        .iter()
        .filter(|d| !matches!(d.status, AdoptionStatus::Adopted { .. }))
        .map(|d| (d.listed.product.product_id.clone(), name(d)))
        .collect();
    let undecided: Vec<(String, String)> = duties
        .iter()
        .filter(|d| {
            matches!(
                d.status,
                AdoptionStatus::Pending { .. } | AdoptionStatus::Overdue { .. }
            )
        })
        .map(|d| (d.listed.product.product_id.clone(), name(d)))
        .collect();
    let all: Vec<(String, String)> = duties
        .iter()
        .map(|d| (d.listed.product.product_id.clone(), name(d)))
        .collect();
    let periods: Vec<(String, String)> = quarters_back(Quarter::of(today), 5)
        .into_iter()
        .map(|q| (q.to_string(), quarter_label(lang, q)))
        .collect();
    let default_period = previous(Quarter::of(today))
        .map(|q| q.to_string())
        .unwrap_or_default();
    let today_text = today.to_string();
    let adopt = FormFields {
        lang,
        form: "adopt",
        refusal,
    };
    let not_needed = FormFields {
        lang,
        form: "not-needed",
        refusal,
    };
    let usage = FormFields {
        lang,
        form: "usage",
        refusal,
    };
    Ok(html! {
        div.stats.stats-compact {
            (stat(t(lang, "products.duties.total"), &duties.len().to_string(), t(lang, "products.unit.products")))
            (stat(t(lang, "products.duties.overdue"), &overdue.to_string(), t(lang, "products.unit.products")))
            (stat(&tf(lang, "products.duties.soon", &[("n", &reminder.to_string())]), &soon.to_string(), t(lang, "products.unit.products")))
            (stat(t(lang, "products.duties.adopted"), &adopted.to_string(), t(lang, "products.unit.products")))
        }
        @if overdue > 0 {
            div.notice.notice-error role="alert" {
                p { strong { (tf(lang, "products.duties.overdue_notice", &[("count", &overdue.to_string())])) } }
                p { a href="/products/alerts" { (t(lang, "products.duties.see_alerts")) } }
            }
        }
        section.card id="duties" {
            h2 { (t(lang, "products.duties.title")) }
            p.hint { (t(lang, "products.duties.intro")) }
            @if duties.is_empty() {
                p.muted { (t(lang, "products.duties.none")) }
            } @else {
                p.count { (tf(lang, "products.count", &[("count", &duties.len().to_string())])) }
                div.table-wrap.table-scroll {
                    table {
                        thead { tr {
                            th scope="col" { (t(lang, "products.col.product")) }
                            th scope="col" { (t(lang, "products.col.status")) }
                            th scope="col" { (t(lang, "products.col.deadline")) }
                            th scope="col" { (t(lang, "products.col.listed_on")) }
                            th scope="col" { (t(lang, "products.col.kind")) }
                            th scope="col" { (t(lang, "products.col.list")) }
                        } }
                        tbody {
                            @for d in &duties {
                                tr {
                                    th scope="row" { (d.listed.product.product_name) br; span.small.muted { (d.listed.product.company_name) " · " (d.listed.product.registration_no) } }
                                    td {
                                        (adoption_tag(lang, &d.status, reminder))
                                        @match &d.status {
                                            AdoptionStatus::Adopted { on, .. } => { br; span.small { (tf(lang, "products.duties.adopted_on", &[("date", &day(lang, *on))])) } }
                                            AdoptionStatus::NotNeeded { reason } => { br; span.small { (reason) } }
                                            _ => {}
                                        }
                                    }
                                    td.nowrap { (day(lang, d.listed.deadline)) }
                                    td.nowrap { (day(lang, d.listed.listed_on)) }
                                    td { (kind_label(lang, d.listed.product.kind)) }
                                    td.small { @for l in &d.listed.lists { (list_name(rules, lang, l)) br; } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !duties.is_empty() {
            section.card id="adopt" {
                h2 { (t(lang, "products.adopt.title")) }
                @if adoptable.is_empty() {
                    p.muted { (t(lang, "products.adopt.all_done")) }
                } @else {
                    form.stack id="adopt" method="post" action="/products/adoption/adopt" novalidate {
                        (csrf_field(ctx))
                        (adopt.state_error())
                        (adopt.select("product_id", t(lang, "products.col.product"), &adoptable, "", None))
                        (adopt.input("adopted_on", t(lang, "products.adopt.date"), "date", &today_text, Some(t(lang, "products.adopt.date_hint")), true))
                        (adopt.input("catalogue_ref", t(lang, "products.adopt.catalogue_ref"), "text", "", Some(t(lang, "products.adopt.catalogue_hint")), true))
                        button type="submit" { (t(lang, "products.adopt.submit")) }
                    }
                }
            }
            section.card id="not-needed" {
                h2 { (t(lang, "products.not_needed.title")) }
                p.hint { (t(lang, "products.not_needed.intro")) }
                @if undecided.is_empty() {
                    p.muted { (t(lang, "products.adopt.all_done")) }
                } @else {
                    form.stack id="not-needed" method="post" action="/products/adoption/not-needed" novalidate {
                        (csrf_field(ctx))
                        (not_needed.state_error())
                        (not_needed.select("product_id", t(lang, "products.col.product"), &undecided, "", None))
                        (not_needed.input("decided_on", t(lang, "products.not_needed.date"), "date", &today_text, None, true))
                        (not_needed.textarea("reason", t(lang, "products.not_needed.reason"), Some(t(lang, "products.not_needed.reason_hint")), true))
                        button.button-secondary type="submit" { (t(lang, "products.not_needed.submit")) }
                    }
                }
            }
            section.card id="usage" {
                h2 { (t(lang, "products.usage.title")) }
                p.hint { (t(lang, "products.usage.intro")) }
                form.stack id="usage" method="post" action="/products/adoption/usage" novalidate {
                    (csrf_field(ctx))
                    (usage.state_error())
                    (usage.select("product_id", t(lang, "products.col.product"), &all, "", None))
                    (usage.select("period", t(lang, "products.usage.period"), &periods, &default_period, None))
                    (usage.input("quantity", t(lang, "products.usage.quantity"), "text", "", Some(t(lang, "products.usage.quantity_hint")), true))
                    (usage.input("amount_yuan", t(lang, "products.usage.amount"), "text", "", Some(t(lang, "products.usage.amount_hint")), true))
                    (usage.textarea("reason", t(lang, "products.usage.reason"), Some(t(lang, "products.usage.reason_hint")), false))
                    button type="submit" { (t(lang, "products.usage.submit")) }
                }
            }
        }
    })
}

async fn bureau_view(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    viewer: &Viewer,
    quarter: Option<Quarter>,
    refusal: &Refusal,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let gc = &app.greenchannel;
    let today = today();
    let names = hospital_names(app, lang).await?;
    let products = product_names(app).await?;
    let figures = gc
        .adoption_by_hospital(user, today)
        .await
        .map_err(gc_error)?;
    let overdue = gc
        .alerts(
            user,
            &AlertFilter {
                kind: Some(AlertKind::Overdue),
                open_only: true,
                ..AlertFilter::default()
            },
        )
        .await
        .map_err(gc_error)?;
    let last_ended = previous(Quarter::of(today));
    let quarter = quarter.or(last_ended);
    let bulletin = match quarter {
        Some(q) => match gc.bulletin(user, q).await {
            Ok(b) => Ok(Some(b)),
            // A quarter still running has no bulletin yet: said beside the choice.
            Err(e @ greenchannel::GreenChannelError::PeriodNotEnded { .. }) => {
                Err(pick(lang, &e.message_zh(), &e.message_en()).to_owned())
            }
            Err(e) => return Err(gc_error(e)),
        },
        None => Ok(None),
    };
    let issued = gc.issued_bulletins(user).await.map_err(gc_error)?;
    let mut issuers = HashMap::new();
    for i in &issued {
        if !issuers.contains_key(&i.issued_by) {
            issuers.insert(i.issued_by.clone(), user_label(app, &i.issued_by).await);
        }
    }
    let issues = viewer.in_bureaus(&gc.rules().bulletin_issuers());
    let due: u32 = figures.iter().map(|f| f.due).sum();
    let on_time: u32 = figures.iter().map(|f| f.adopted_on_time).sum();
    let late: u32 = figures.iter().map(|f| f.adopted_late).sum();
    let choices: Vec<(String, String)> = last_ended
        .map(|q| quarters_back(q, 8))
        .unwrap_or_default()
        .into_iter()
        .map(|q| (q.to_string(), quarter_label(lang, q)))
        .collect();
    let chosen = quarter.map(|q| q.to_string()).unwrap_or_default();
    let pick_quarter = FormFields {
        lang,
        form: "quarter",
        refusal,
    };
    let issue_form = FormFields {
        lang,
        form: "issue",
        refusal,
    };
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let product_of = |id: &str| products.get(id).cloned().unwrap_or_else(|| id.to_owned());
    Ok(html! {
        div.stats.stats-compact {
            (stat(t(lang, "products.figures.due"), &due.to_string(), t(lang, "products.unit.duties")))
            (stat(t(lang, "products.status.adopted_on_time"), &on_time.to_string(), t(lang, "products.unit.duties")))
            (stat(t(lang, "products.status.adopted_late"), &late.to_string(), t(lang, "products.unit.duties")))
            (stat(t(lang, "products.figures.open_overdue"), &overdue.len().to_string(), t(lang, "products.unit.alerts")))
        }
        section.card id="by-hospital" {
            h2 { (t(lang, "products.figures.title")) }
            p.hint { (tf(lang, "products.figures.intro", &[("date", &day(lang, today))])) }
            (hospital_chart(lang, &figures, &names, today))
        }
        section.card id="overdue" {
            h2 { (t(lang, "products.figures.overdue_title")) }
            @if overdue.is_empty() {
                p.muted { (t(lang, "products.figures.no_overdue")) }
            } @else {
                p.count { (tf(lang, "products.count", &[("count", &overdue.len().to_string())])) }
                div.table-wrap.table-scroll {
                    table {
                        thead { tr {
                            th scope="col" { (t(lang, "products.col.hospital")) }
                            th scope="col" { (t(lang, "products.col.product")) }
                            th scope="col" { (t(lang, "products.col.deadline")) }
                            th scope="col" { (t(lang, "products.col.raised")) }
                        } }
                        tbody {
                            @for a in overdue.iter().take(20) {
                                tr {
                                    th scope="row" { (name_of(&a.hospital_id)) }
                                    td { (product_of(&a.product_id)) }
                                    td.nowrap { (day(lang, a.deadline)) " " (status_tag(t(lang, "products.status.overdue"), "error")) }
                                    td.nowrap { (when(lang, a.raised_at)) }
                                }
                            }
                        }
                    }
                }
                p { a href="/products/alerts" { (t(lang, "products.figures.all_alerts")) } }
            }
        }
        section.card id="bulletin" {
            h2 { (t(lang, "products.bulletin.title")) }
            p.hint { (t(lang, "products.bulletin.intro")) }
            @if !choices.is_empty() {
                form.stack id="quarter" method="get" action="/products/adoption" {
                    (pick_quarter.select("quarter", t(lang, "products.bulletin.quarter"), &choices, &chosen, None))
                    button.button-secondary type="submit" { (t(lang, "products.bulletin.show")) }
                }
            }
            @match (&bulletin, quarter) {
                (Err(message), _) => p.notice.notice-warning { (message) },
                (Ok(Some(b)), Some(q)) => {
                    (bulletin_tables(lang, b, &names))
                    @if issued.iter().any(|i| i.period == q) {
                        p { (status_tag(t(lang, "products.bulletin.issued"), "ok")) }
                    } @else if issues {
                        form.stack id="issue" method="post" action="/products/bulletins" {
                            (csrf_field(ctx))
                            (issue_form.state_error())
                            input type="hidden" name="period" value=(q);
                            p.hint { (t(lang, "products.bulletin.issue_hint")) }
                            button type="submit" { (tf(lang, "products.bulletin.issue", &[("quarter", &quarter_label(lang, q))])) }
                        }
                    }
                }
                _ => p.muted { (t(lang, "products.bulletin.none")) },
            }
            h3 { (t(lang, "products.bulletin.issued_title")) }
            @if issued.is_empty() {
                p.muted { (t(lang, "products.bulletin.none_issued")) }
            } @else {
                div.table-wrap.table-scroll {
                    table {
                        thead { tr {
                            th scope="col" { (t(lang, "products.bulletin.quarter")) }
                            th scope="col" { (t(lang, "products.bulletin.issued_at")) }
                            th scope="col" { (t(lang, "products.bulletin.issued_by")) }
                            th scope="col" { (t(lang, "products.bulletin.hash")) }
                        } }
                        tbody {
                            @for i in &issued {
                                tr {
                                    th scope="row" { a href={ "/products/adoption?quarter=" (i.period) "#bulletin" } { (quarter_label(lang, i.period)) } }
                                    td.nowrap { (when(lang, i.issued_at)) }
                                    td { (issuers.get(&i.issued_by).map_or(i.issued_by.as_str(), String::as_str)) }
                                    td.mono { (i.content_hash.get(..16).unwrap_or(&i.content_hash)) "…" }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

async fn user_label(app: &AppState, id: &str) -> String {
    match app.accounts.user_label(id).await {
        Ok(Some(u)) => u.display_name,
        _ => id.to_owned(),
    }
}

/// `2026年第3季度` or `2026 Q3`.
pub fn quarter_label(lang: Lang, q: Quarter) -> String {
    tf(
        lang,
        "products.quarter",
        &[
            ("year", &q.year().to_string()),
            ("n", &q.number().to_string()),
        ],
    )
}

/// Money for officials: 万元 with two decimals.
fn wan(yuan: i64) -> String {
    let whole = yuan / 10_000;
    let cents = (yuan % 10_000).abs() / 100;
    format!("{}.{cents:02}", thousands(whole))
}

fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.0}%", r * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn hospital_rows(
    lang: Lang,
    figures: &[HospitalFigures],
    names: &HashMap<String, String>,
) -> (Vec<String>, Vec<Vec<String>>) {
    let headers = [
        "products.col.hospital",
        "products.figures.due",
        "products.status.adopted_on_time",
        "products.status.adopted_late",
        "products.status.overdue",
        "products.status.not_needed",
        "products.figures.not_yet_due",
        "products.figures.rate",
    ]
    .iter()
    .map(|k| t(lang, k).to_owned())
    .collect();
    let rows = figures
        .iter()
        .map(|f| {
            vec![
                names
                    .get(&f.hospital_id)
                    .cloned()
                    .unwrap_or_else(|| f.hospital_name.clone()),
                f.due.to_string(),
                f.adopted_on_time.to_string(),
                f.adopted_late.to_string(),
                f.overdue.to_string(),
                f.not_needed.to_string(),
                f.not_yet_due.to_string(),
                percent(f.adoption_rate),
            ]
        })
        .collect();
    (headers, rows)
}

/// Each hospital's duties stacked by outcome: the officials compare hospitals at a glance;
/// the table beside it has the same numbers and the adoption rate.
fn hospital_chart(
    lang: Lang,
    figures: &[HospitalFigures],
    names: &HashMap<String, String>,
    today: jiff::civil::Date,
) -> Markup {
    let (headers, rows) = hospital_rows(lang, figures, names);
    let series = |key: &str, pick: fn(&HospitalFigures) -> u32| {
        Series::new(
            t(lang, key),
            figures.iter().map(|f| f64::from(pick(f))).collect(),
        )
    };
    let data = ChartData {
        categories: rows.iter().map(|r| r[0].clone()).collect(),
        series: vec![
            // In this order the charts' palette gives overdue its warm colour and on-time
            // its green; the legend and the table name each part in words.
            series("products.figures.pending", |f| f.not_yet_due),
            series("products.status.overdue", |f| f.overdue),
            series("products.status.adopted_on_time", |f| f.adopted_on_time),
            series("products.status.adopted_late", |f| f.adopted_late),
            series("products.status.not_needed", |f| f.not_needed),
        ],
        unit: t(lang, "products.unit.products").to_owned(),
    };
    let svg = StackedBarChart {
        options: ChartOptions {
            id: "products-adoption".into(),
            title: t(lang, "products.figures.chart_title").to_owned(),
            no_data: t(lang, "products.figures.no_data").to_owned(),
            lang: if lang == Lang::En {
                charts::Lang::En
            } else {
                charts::Lang::Zh
            },
            decimals: Some(0),
            ..ChartOptions::default()
        },
        orientation: Orientation::Horizontal,
    }
    .render(&data);
    chart_figure(
        lang,
        &svg,
        &headers,
        &rows,
        &tf(
            lang,
            "products.figures.chart_source",
            &[("date", &day(lang, today))],
        ),
    )
}

fn bulletin_tables(lang: Lang, b: &Bulletin, names: &HashMap<String, String>) -> Markup {
    let rules_names = |id: &str, fallback: &str| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| fallback.to_owned())
    };
    let (headers, rows) = hospital_rows(lang, &b.per_hospital, names);
    html! {
        h3 { (tf(lang, "products.bulletin.of", &[("quarter", &quarter_label(lang, b.period)), ("date", &day(lang, b.as_of))])) }
        h4 { (t(lang, "products.bulletin.per_hospital")) }
        (crate::layout::data_table(&headers, &rows))
        h4 { (t(lang, "products.bulletin.per_product")) }
        @if b.per_product.is_empty() {
            p.muted { (t(lang, "products.duties.none")) }
        } @else {
            div.table-wrap.table-scroll {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "products.col.product")) }
                        th scope="col" { (t(lang, "products.col.deadline")) }
                        th scope="col" { (t(lang, "products.bulletin.hospitals_due")) }
                        th scope="col" { (t(lang, "products.bulletin.hospitals_adopted")) }
                        th scope="col" { (t(lang, "products.bulletin.hospitals_overdue")) }
                        th scope="col" { (t(lang, "products.usage.quantity")) }
                        th scope="col" { (t(lang, "products.bulletin.amount_wan")) }
                    } }
                    tbody {
                        @for p in &b.per_product {
                            tr {
                                th scope="row" { (p.product.product_name) br; span.small.muted { (p.product.company_name) } }
                                td.nowrap { (day(lang, p.deadline)) }
                                td.num { (p.hospitals_due) }
                                td.num { (p.hospitals_adopted) }
                                td.num { (p.hospitals_overdue) }
                                td.num { (thousands(p.usage_quantity)) }
                                td.num { (wan(p.usage_amount_yuan)) }
                            }
                        }
                    }
                }
            }
        }
        h4 { (t(lang, "products.bulletin.overdue_list")) }
        @if b.overdue_list.is_empty() {
            p.muted { (t(lang, "products.figures.no_overdue")) }
        } @else {
            div.table-wrap.table-scroll {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "products.col.hospital")) }
                        th scope="col" { (t(lang, "products.col.product")) }
                        th scope="col" { (t(lang, "products.col.deadline")) }
                        th scope="col" { (t(lang, "products.bulletin.days_over")) }
                    } }
                    tbody {
                        @for l in &b.overdue_list {
                            tr {
                                th scope="row" { (rules_names(&l.hospital_id, &l.hospital_name)) }
                                td { (l.product_name) }
                                td.nowrap { (day(lang, l.deadline)) }
                                td.num { (l.days_over) }
                            }
                        }
                    }
                }
            }
        }
    }
}
