//! `GET /subsidies`: for a company, the clauses it qualifies for now (from the register, with
//! amounts and traces), those it may qualify for once it supplies what the register does not
//! hold, the notices bureaus sent it, and its applications with their states and deadlines;
//! for officials, the programmes with their budgets, a programme form, and any company's
//! matches with a "notify the company" form. `GET /subsidies/programmes/{id}`: a programme's
//! applications. `GET /subsidies/notices`: the applications on public notice (公示).

use access::{FieldError, OrganisationKind, Principal, Role};
use awards::{CompanyMatches, NewProgramme, Programme, State as AppState_};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use charts::{BarChart, ChartData, ChartOptions, Orientation, Series};
use jiff::civil::Date;
use kernel::Lang;
use maud::{Markup, html};
use serde::Deserialize;

use super::super::registry::pick;
use super::{
    amount_text, awards_error, clause_title, day, money, state_tag, stored_amount, trace_list,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, csrf_field, error_summary, page, stat};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct HubQuery {
    #[serde(default)]
    company: Option<String>,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<HubQuery>,
) -> Response {
    match render(&app, &ctx, &user, q.company.as_deref(), &[]).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

fn is_official(user: &Principal) -> bool {
    user.has_role(Role::BureauOfficial)
        && user.organisation.kind == OrganisationKind::MunicipalBureau
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    company: Option<&str>,
    errors: &[FieldError],
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let own_company = user
        .has_role(Role::CompanyUser)
        .then(|| user.organisation.id.clone());
    let company_id = own_company.clone().or_else(|| company.map(str::to_owned));
    let programmes = app.awards.programmes().await.map_err(awards_error)?;
    let today = app.awards.now().city_date();
    let body = html! { div.subsidies {
        h1 { (t(lang, "subsidies.title")) }
        p.lead { (t(lang, "subsidies.intro")) " " a href="/policies" { (t(lang, "subsidies.library.title")) } }
        @if user.has_role(Role::ExpertReviewer) {
            p { a.button href="/subsidies/reviews" { (t(lang, "subsidies.reviews.title")) } }
        }
        p { a href="/subsidies/notices" { (t(lang, "subsidies.notice.title")) } }
        @if is_official(user) || user.has_role(Role::PlatformAdmin) {
            (programmes_section(app, ctx, user, &programmes, errors).await?)
            (company_picker(app, ctx, user, company).await?)
        }
        @if let Some(id) = &company_id {
            (company_section(app, ctx, user, id, &programmes, today, own_company.is_some()).await?)
        }
    } };
    Ok(page(ctx, t(lang, "subsidies.title"), body))
}

async fn programmes_section(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    programmes: &[Programme],
    errors: &[FieldError],
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let mut rows = Vec::new();
    for p in programmes {
        let b = app.awards.budget(&p.id).await.map_err(awards_error)?;
        rows.push((p, b));
    }
    let data = ChartData {
        categories: rows
            .iter()
            .map(|(p, _)| pick(lang, &p.name_zh, &p.name_en).to_owned())
            .collect(),
        series: vec![
            Series::new(
                t(lang, "subsidies.budget"),
                rows.iter()
                    .map(|(_, b)| b.budget_yuan as f64 / 10_000.0)
                    .collect(),
            ),
            Series::new(
                t(lang, "subsidies.committed"),
                rows.iter()
                    .map(|(_, b)| b.committed_yuan as f64 / 10_000.0)
                    .collect(),
            ),
            Series::new(
                t(lang, "subsidies.disbursed"),
                rows.iter()
                    .map(|(_, b)| b.disbursed_yuan as f64 / 10_000.0)
                    .collect(),
            ),
        ],
        unit: t(lang, "subsidies.wan_yuan").to_owned(),
    };
    let svg = BarChart {
        options: ChartOptions {
            id: "programme-budgets".into(),
            title: t(lang, "subsidies.budget_chart").to_owned(),
            no_data: t(lang, "home.no_data").to_owned(),
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
    let headers = vec![
        t(lang, "subsidies.programme").to_owned(),
        t(lang, "subsidies.budget").to_owned(),
        t(lang, "subsidies.committed").to_owned(),
        t(lang, "subsidies.disbursed").to_owned(),
    ];
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(p, b)| {
            vec![
                pick(lang, &p.name_zh, &p.name_en).to_owned(),
                money(lang, b.budget_yuan),
                money(lang, b.committed_yuan),
                money(lang, b.disbursed_yuan),
            ]
        })
        .collect();
    let can_create = is_official(user);
    let today = app.awards.now().city_date();
    Ok(html! {
        section.card {
            h2 { (t(lang, "subsidies.programmes")) }
            @if rows.is_empty() { p.muted { (t(lang, "subsidies.no_programmes")) } }
            @else {
                (chart_figure(lang, &svg, &headers, &table, t(lang, if app.settings.demo.is_some() { "subsidies.budget_note_demo" } else { "subsidies.budget_note" })))
                div.table-scroll { table.data {
                    thead { tr { th { (t(lang, "subsidies.programme")) } th { (t(lang, "subsidies.window")) } th.num { (t(lang, "subsidies.budget")) } th.num { (t(lang, "subsidies.committed")) } th.num { (t(lang, "subsidies.available")) } } }
                    tbody { @for (p, b) in &rows { tr {
                        td { a href={ "/subsidies/programmes/" (p.id) } { (pick(lang, &p.name_zh, &p.name_en)) } br; small.muted { (awards::programme_bureau_label(&p.bureau, lang == Lang::Zh)) " · " (p.year) } }
                        td { (p.opens_on) " – " (p.closes_on) }
                        td.num { (money(lang, b.budget_yuan)) }
                        td.num { (money(lang, b.committed_yuan)) }
                        td.num { (money(lang, b.available_yuan())) }
                    } } }
                } }
            }
            @if can_create {
                details open[!errors.is_empty()] {
                    summary { (t(lang, "subsidies.new_programme")) }
                    (error_summary(lang, errors))
                    form.stack method="post" action="/subsidies/programmes" {
                        (csrf_field(ctx))
                        label for="name_zh" { (t(lang, "subsidies.programme.name_zh")) }
                        input #name_zh name="name_zh" required maxlength="100";
                        label for="name_en" { (t(lang, "subsidies.programme.name_en")) }
                        input #name_en name="name_en" maxlength="100";
                        label for="year" { (t(lang, "subsidies.programme.year")) }
                        input #year name="year" type="number" min="2000" max="2100" value=(today.year()) required;
                        label for="budget" { (t(lang, "subsidies.programme.budget")) }
                        p.hint { (t(lang, "subsidies.money_placeholder")) }
                        input #budget name="budget" required inputmode="decimal";
                        label for="opens_on" { (t(lang, "subsidies.programme.opens")) }
                        input #opens_on name="opens_on" type="date" value=(today) required;
                        label for="closes_on" { (t(lang, "subsidies.programme.closes")) }
                        input #closes_on name="closes_on" type="date" required;
                        fieldset {
                            legend { (t(lang, "subsidies.programme.clauses")) }
                            @for c in policy::shipped().in_force(today) {
                                label.choice { input type="checkbox" name="clause" value=(c.id); " " (pick(lang, &c.title_zh, &c.title_en)) " " small.muted { (c.id) } }
                            }
                        }
                        button.button type="submit" { (t(lang, "subsidies.programme.create")) }
                    }
                }
            }
        }
    })
}

async fn company_picker(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    selected: Option<&str>,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let companies = app
        .industry
        .companies(user, &industry::CompanyFilter::default())
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(html! {
        section.card {
            h2 { (t(lang, "subsidies.match.title")) }
            p.hint { (t(lang, "subsidies.match.hint")) }
            form.inline method="get" action="/subsidies" {
                label for="company" { (t(lang, "subsidies.company")) }
                select #company name="company" {
                    option value="" { (t(lang, "admin.choose")) }
                    @for c in &companies { option value=(c.id) selected[Some(c.id.as_str()) == selected] { (c.name) } }
                }
                button.button type="submit" { (t(lang, "subsidies.match.show")) }
            }
        }
    })
}

async fn company_section(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    company_id: &str,
    programmes: &[Programme],
    today: Date,
    own: bool,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let company = match app.industry.company(company_id).await {
        Ok(c) => c,
        Err(_) => {
            return Ok(
                html! { section.card { h2 { (t(lang, "subsidies.match.title")) } p.muted { (t(lang, "subsidies.not_registered")) } } },
            );
        }
    };
    let matches = app
        .awards
        .matches(user, &app.industry, company_id)
        .await
        .map_err(awards_error)?;
    let notices = app
        .awards
        .notices(user, company_id)
        .await
        .map_err(awards_error)?;
    let applications = match &company.organisation_id {
        Some(org) => app
            .awards
            .applications_of(user, org)
            .await
            .map_err(awards_error)?,
        None => Vec::new(),
    };
    let products: Vec<(String, String)> = app
        .industry
        .products_of(company_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let subject = |key: &str| subject_label(lang, key, &products);
    let open_for = |clause: &str| {
        programmes
            .iter()
            .find(|p| p.open_on(today) && p.clauses.iter().any(|c| c == clause))
    };
    let official = is_official(user);
    Ok(html! {
        section.card #matches {
            h2 { (tf(lang, "subsidies.match.for", &[("company", &company.name)])) }
            (match_summary(lang, &matches))
            h3 { (t(lang, "subsidies.match.granted")) }
            @if matches.granted.is_empty() { p.muted { (t(lang, "subsidies.match.none_granted")) } }
            @for e in &matches.granted {
                article.match {
                    h4 { a href={ "/policies/clause?id=" (e.clause_id) } { (clause_title(lang, &e.clause_id)) } }
                    p { (t(lang, "subsidies.subject")) " " (subject(&e.subject_key)) " · " strong { (amount_text(lang, &e.amount)) } }
                    details { summary { (t(lang, "subsidies.trace")) } (trace_list(lang, &e.trace.steps)) }
                    (match_actions(ctx, lang, e.clause_id.as_str(), &e.subject_key, company_id, open_for(&e.clause_id), own, official))
                    @if official && no_application(&e.clause_id) {
                        @if let Some(p) = open_for(&e.clause_id) {
                            form.inline method="post" action="/subsidies/confirm" {
                                (csrf_field(ctx))
                                input type="hidden" name="company" value=(company_id);
                                input type="hidden" name="programme" value=(p.id);
                                input type="hidden" name="clause" value=(e.clause_id);
                                input type="hidden" name="subject" value=(e.subject_key);
                                button.button type="submit" { (t(lang, "subsidies.match.confirm")) }
                            }
                        }
                    }
                }
            }
            @if !matches.superseded.is_empty() {
                h3 { (t(lang, "subsidies.match.superseded")) }
                ul { @for (e, by) in &matches.superseded {
                    li { (clause_title(lang, &e.clause_id)) " (" (amount_text(lang, &e.amount)) ") — " (tf(lang, "subsidies.match.covered_by", &[("by", &clause_title(lang, by))])) }
                } }
            }
            h3 { (t(lang, "subsidies.match.possible")) }
            p.hint { (t(lang, "subsidies.match.possible_hint")) }
            @if matches.possible.is_empty() { p.muted { (t(lang, "subsidies.match.none_possible")) } }
            @else {
                div.table-scroll { table.data {
                    thead { tr { th { (t(lang, "subsidies.clause")) } th { (t(lang, "subsidies.match.supply")) } th { (t(lang, "subsidies.match.action")) } } }
                    tbody { @for p in &matches.possible { tr {
                        td { a href={ "/policies/clause?id=" (p.evaluation.clause_id) } { (clause_title(lang, &p.evaluation.clause_id)) } }
                        td { (missing_labels(lang, &p.missing)) }
                        td { (match_actions(ctx, lang, &p.evaluation.clause_id, &p.evaluation.subject_key, company_id, open_for(&p.evaluation.clause_id), own, official)) }
                    } } }
                } }
            }
        }
        @if !notices.is_empty() {
            section.card {
                h2 { (t(lang, "subsidies.notices_received")) }
                ul { @for n in &notices { li { (day(n.sent_at)) " · " a href={ "/policies/clause?id=" (n.clause_id) } { (clause_title(lang, &n.clause_id)) } " — " (n.message) } } }
            }
        }
        section.card #applications {
            h2 { (t(lang, "subsidies.applications")) }
            @if applications.is_empty() { p.muted { (t(lang, "subsidies.no_applications")) } }
            @else {
                div.table-scroll { table.data {
                    thead { tr { th { (t(lang, "subsidies.application.title")) } th { (t(lang, "subsidies.state")) } th.num { (t(lang, "subsidies.amount")) } th { (t(lang, "subsidies.next_date")) } } }
                    tbody { @for a in &applications { tr {
                        td { a href={ "/subsidies/applications/" (a.id) } { (a.title) } br; small.muted { (clause_title(lang, &a.clause_id)) } }
                        td { (state_tag(lang, a.state)) }
                        td.num { (a.awarded_yuan.or(a.recommended_yuan).map(|m| money(lang, m)).unwrap_or_else(|| stored_amount(lang, &a.amount_kind, a.max_yuan))) }
                        td { (a.due_at.map(day).unwrap_or_else(|| "—".into())) }
                    } } }
                } }
            }
        }
    })
}

/// A subject key (`<product id>/phase-2-entered`) in words: product names and the labels of
/// the facts' choices instead of ids and codes.
fn subject_label(lang: Lang, key: &str, products: &[(String, String)]) -> String {
    let catalogue = policy::shipped();
    key.split('/')
        .map(|part| {
            if let Some((_, name)) = products.iter().find(|(id, _)| id == part) {
                return name.clone();
            }
            catalogue
                .facts()
                .iter()
                .flat_map(|f| f.choices.iter())
                .find(|c| c.value == part)
                .map(|c| pick(lang, &c.label_zh, &c.label_en).to_owned())
                .unwrap_or_else(|| part.to_owned())
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn match_summary(lang: Lang, m: &CompanyMatches) -> Markup {
    let exact: i64 = m
        .granted
        .iter()
        .filter_map(|e| match e.amount {
            policy::Amount::Exact(x) | policy::Amount::UpTo(x) => Some(x.0),
            _ => None,
        })
        .sum();
    html! {
        div.stats {
            (stat(t(lang, "subsidies.match.granted_count"), &m.granted.len().to_string(), ""))
            (stat(t(lang, "subsidies.match.estimate"), &money(lang, exact), ""))
            (stat(t(lang, "subsidies.match.possible_count"), &m.possible.len().to_string(), ""))
        }
    }
}

fn missing_labels(lang: Lang, missing: &[String]) -> String {
    let catalogue = policy::shipped();
    missing
        .iter()
        .map(|m| {
            catalogue
                .fact(m)
                .map(|d| pick(lang, &d.label_zh, &d.label_en).to_owned())
                .unwrap_or_else(|| m.clone())
        })
        .collect::<Vec<_>>()
        .join(if lang == Lang::Zh { "、" } else { ", " })
}

#[allow(clippy::too_many_arguments)] // each is one thing the buttons depend on
fn match_actions(
    ctx: &Ctx,
    lang: Lang,
    clause: &str,
    subject: &str,
    company_id: &str,
    programme: Option<&Programme>,
    own: bool,
    official: bool,
) -> Markup {
    html! {
        @if let Some(p) = programme {
            @if own {
                a.button href={ "/subsidies/apply?programme=" (p.id) "&clause=" (clause) } { (t(lang, "subsidies.apply")) }
            } @else {
                small.muted { (tf(lang, "subsidies.match.open_in", &[("programme", pick(lang, &p.name_zh, &p.name_en))])) }
            }
        } @else {
            small.muted { (t(lang, "subsidies.match.no_programme")) }
        }
        @if official {
            form.inline method="post" action="/subsidies/notify" {
                (csrf_field(ctx))
                input type="hidden" name="company" value=(company_id);
                input type="hidden" name="clause" value=(clause);
                input type="hidden" name="subject" value=(subject);
                input type="hidden" name="message" value=(tf(lang, "subsidies.match.notice_text", &[("clause", &clause_title(Lang::Zh, clause))]));
                button.button.button-secondary type="submit" { (t(lang, "subsidies.match.notify")) }
            }
        }
    }
}

/// Whether a clause is computable from the register alone (免申即享), on today's version.
fn no_application(clause: &str) -> bool {
    policy::shipped()
        .clauses()
        .iter()
        .rev()
        .find(|c| c.id == clause)
        .is_some_and(|c| c.no_application_needed)
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    company: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    clause: String,
    #[serde(default)]
    subject: String,
}

/// The bureau confirms a match without an application (免申即享).
pub async fn confirm(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(f): Form<ConfirmForm>,
) -> Response {
    match app
        .awards
        .confirm_from_register(
            &user,
            &app.industry,
            &f.company,
            &f.programme,
            &f.clause,
            &f.subject,
        )
        .await
    {
        Ok(a) => Redirect::to(&format!("/subsidies/applications/{}", a.id)).into_response(),
        Err(e) => ctx.page_error(awards_error(e)).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct NotifyForm {
    #[serde(default)]
    company: String,
    #[serde(default)]
    clause: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    message: String,
}

pub async fn notify(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(f): Form<NotifyForm>,
) -> Response {
    match app
        .awards
        .send_notice(&user, &f.company, &f.clause, &f.subject, &f.message)
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/subsidies?company={}",
            crate::error::urlencode(&f.company)
        ))
        .into_response(),
        Err(e) => ctx.page_error(awards_error(e)).into_response(),
    }
}

pub async fn create_programme(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let parsed = (|| -> Result<NewProgramme, AppError> {
        let bad = |field: &'static str, zh: &str, en: &str| {
            AppError::Invalid(vec![FieldError::new(field, zh, en)])
        };
        let budget = policy::Money::parse(&get("budget")).map_err(|e| {
            AppError::Invalid(vec![FieldError::new(
                "budget_yuan",
                e.message_zh(),
                e.message_en(),
            )])
        })?;
        let date = |k: &'static str| -> Result<Date, AppError> {
            get(k)
                .parse()
                .map_err(|_| bad(k, "请选择日期", "Choose a date"))
        };
        Ok(NewProgramme {
            name_zh: get("name_zh"),
            name_en: {
                let en = get("name_en");
                if en.is_empty() { get("name_zh") } else { en }
            },
            year: get("year")
                .parse()
                .map_err(|_| bad("year", "年度须为四位数字", "The year is four digits"))?,
            budget_yuan: budget.0,
            clauses: fields
                .iter()
                .filter(|(k, _)| k == "clause")
                .map(|(_, v)| v.clone())
                .collect(),
            opens_on: date("opens_on")?,
            closes_on: date("closes_on")?,
        })
    })();
    let result = match parsed {
        Ok(new) => app
            .awards
            .create_programme(&user, new)
            .await
            .map_err(awards_error),
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Redirect::to(&format!("/subsidies/programmes/{}", p.id)).into_response(),
        Err(AppError::Invalid(errors)) => match render(&app, &ctx, &user, None, &errors).await {
            Ok(body) => (StatusCode::UNPROCESSABLE_ENTITY, body).into_response(),
            Err(e) => ctx.page_error(e).into_response(),
        },
        Err(e) => ctx.page_error(e).into_response(),
    }
}

pub async fn programme(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let lang = ctx.lang;
    let result = async {
        let p = app.awards.programme(&id).await.map_err(awards_error)?;
        let b = app.awards.budget(&id).await.map_err(awards_error)?;
        let applications = app.awards.applications_in(&user, &id).await.map_err(awards_error)?;
        let count = |s: AppState_| applications.iter().filter(|a| a.state == s).count();
        Ok::<Markup, AppError>(html! { div.subsidies {
            p { a href="/subsidies" { "← " (t(lang, "subsidies.title")) } }
            h1 { (pick(lang, &p.name_zh, &p.name_en)) }
            p.muted { (awards::programme_bureau_label(&p.bureau, lang == Lang::Zh)) " · " (p.opens_on) " – " (p.closes_on) }
            div.stats {
                (stat(t(lang, "subsidies.budget"), &money(lang, b.budget_yuan), ""))
                (stat(t(lang, "subsidies.committed"), &money(lang, b.committed_yuan), ""))
                (stat(t(lang, "subsidies.reserved"), &money(lang, b.reserved_yuan), ""))
                (stat(t(lang, "subsidies.disbursed"), &money(lang, b.disbursed_yuan), ""))
                (stat(t(lang, "subsidies.to_pre_review"), &count(AppState_::Submitted).to_string(), ""))
            }
            section.card {
                h2 { (t(lang, "subsidies.programme.clauses")) }
                ul { @for c in &p.clauses { li { a href={ "/policies/clause?id=" (c) } { (clause_title(lang, c)) } } } }
            }
            section.card {
                h2 { (t(lang, "subsidies.applications")) }
                @if applications.is_empty() { p.muted { (t(lang, "subsidies.no_applications")) } }
                @else { div.table-scroll { table.data {
                    thead { tr { th { (t(lang, "subsidies.application.title")) } th { (t(lang, "subsidies.company")) } th { (t(lang, "subsidies.state")) } th.num { (t(lang, "subsidies.score")) } th.num { (t(lang, "subsidies.amount")) } th { (t(lang, "subsidies.next_date")) } } }
                    tbody { @for a in &applications { tr {
                        td { a href={ "/subsidies/applications/" (a.id) } { (a.title) } br; small.muted { (clause_title(lang, &a.clause_id)) } }
                        td { (a.company_name) }
                        td { (state_tag(lang, a.state)) }
                        td.num { (a.score_centi.map(|s| format!("{:.2}", s as f64 / 100.0)).unwrap_or_else(|| "—".into())) }
                        td.num { (a.awarded_yuan.or(a.recommended_yuan).map(|m| money(lang, m)).unwrap_or_else(|| stored_amount(lang, &a.amount_kind, a.max_yuan))) }
                        td { (a.due_at.map(day).unwrap_or_else(|| "—".into())) }
                    } } }
                } } }
            }
        } })
    }
    .await;
    match result {
        Ok(body) => page(&ctx, t(lang, "subsidies.programme"), body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

pub async fn notices(State(app): State<AppState>, Signed { ctx, .. }: Signed) -> Response {
    let lang = ctx.lang;
    let list = match app.awards.on_notice().await {
        Ok(l) => l,
        Err(e) => return ctx.page_error(awards_error(e)).into_response(),
    };
    let body = html! { div.subsidies {
        h1 { (t(lang, "subsidies.notice.title")) }
        p.lead { (tf(lang, "subsidies.notice.intro", &[("days", &app.awards.rules().notice_days.value.to_string())])) }
        @if list.is_empty() { p.muted { (t(lang, "subsidies.notice.none")) } }
        @for a in &list {
            article.card {
                h2 { (a.title) }
                p { (a.company_name) " · " (clause_title(lang, &a.clause_id)) }
                p { (t(lang, "subsidies.notice.amount")) " " strong { (a.recommended_yuan.map(|m| money(lang, m)).unwrap_or_default()) } " · " (t(lang, "subsidies.notice.until")) " " (a.notice_until.map(day).unwrap_or_default()) }
                form.stack method="post" action={ "/subsidies/applications/" (a.id) "/object" } {
                    (csrf_field(&ctx))
                    label for={ "reason-" (a.id) } { (t(lang, "subsidies.notice.object")) }
                    textarea id={ "reason-" (a.id) } name="reason" rows="2" maxlength="2000" required {}
                    button.button.button-secondary type="submit" { (t(lang, "subsidies.notice.submit")) }
                }
            }
        }
    } };
    page(&ctx, t(lang, "subsidies.notice.title"), body).into_response()
}
