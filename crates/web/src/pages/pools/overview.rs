//! `GET /pools`: the schemes with each pool's capacity and its citation, the current published
//! lists (a table, and charts of members per pool and per district), and for officials of
//! the S&T and industry bureaus this year's selection per scheme (its state, or the form that
//! starts it from the register) and the support actions past their due date.
//! `POST /pools/selections` starts a selection.

use std::collections::{BTreeMap, HashMap};

use access::{FieldError, Principal};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use charts::{BarChart, ChartData, ChartOptions, Orientation, Series, StackedBarChart};
use cultivation::{OverdueAction, Proposal, Scheme};
use kernel::Lang;
use maud::{Markup, html};
use serde::Deserialize;

use super::candidates::from_register;
use super::{
    CurrentList, acts_for, bureau_name, capacity_text, chart_lang, current_lists, district_name,
    element_id, field_message, form_refusal, invalid, parse_year, pool_name, pools_error,
    reads_proposals, runs_pools, scheme_name, state_tag, this_year,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::figures::thousands;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, csrf_field, error_summary, page, stat, status_tag};
use crate::state::AppState;

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    match render(&app, &ctx, &user, &[], None).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Start {
    #[serde(default)]
    scheme: String,
    #[serde(default)]
    year: String,
}

/// What a refused start answers: the form again with its errors, or an error page.
enum Refusal {
    Form(StatusCode, Vec<FieldError>),
    Page(AppError),
}

pub async fn start(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(form): Form<Start>,
) -> Response {
    let Some(scheme) = app.cultivation.schemes().scheme(&form.scheme) else {
        return ctx.page_error(AppError::NotFound).into_response();
    };
    match propose(&app, &user, scheme, &form.year).await {
        Ok(year) => Redirect::to(&format!("/pools/{}/{year}", scheme.id)).into_response(),
        Err(Refusal::Form(status, errors)) => {
            match render(&app, &ctx, &user, &errors, Some((&scheme.id, &form.year))).await {
                Ok(body) => (status, body).into_response(),
                Err(e) => ctx.page_error(e).into_response(),
            }
        }
        Err(Refusal::Page(e)) => ctx.page_error(e).into_response(),
    }
}

async fn propose(
    app: &AppState,
    user: &Principal,
    scheme: &Scheme,
    year: &str,
) -> Result<i32, Refusal> {
    if !runs_pools(user) {
        // Asked before reading the register, whose own refusal would name the wrong reason.
        return Err(Refusal::Page(AppError::Refused {
            zh: t(Lang::Zh, "pools.refused.official").to_owned(),
            en: t(Lang::En, "pools.refused.official").to_owned(),
        }));
    }
    let Some(year) = parse_year(year) else {
        return Err(Refusal::Form(
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![invalid("start-year", "pools.start.year_invalid", &[])],
        ));
    };
    let field = from_register(app, user, year)
        .await
        .map_err(Refusal::Page)?;
    if field.candidates.is_empty() {
        return Err(Refusal::Form(
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![invalid(
                "start-year",
                "pools.start.no_candidates",
                &[
                    ("year", &year.to_string()),
                    ("figures_year", &field.figures_year.to_string()),
                ],
            )],
        ));
    }
    match app
        .cultivation
        .propose(user, &scheme.id, year, &field.candidates)
        .await
    {
        Ok(_) => Ok(year),
        Err(e) => match form_refusal(e, &[], "start-year") {
            Ok((status, errors)) => Err(Refusal::Form(status, errors)),
            Err(e) => Err(Refusal::Page(e)),
        },
    }
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    errors: &[FieldError],
    refused: Option<(&str, &str)>,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let schemes = app.cultivation.schemes();
    let lists = current_lists(app).await?;
    let this = this_year();
    let runs = runs_pools(user);
    let mut proposals: HashMap<&str, Proposal> = HashMap::new();
    if runs {
        for s in &schemes.schemes {
            if let Some(p) = app
                .cultivation
                .proposal_for(user, &s.id, this)
                .await
                .map_err(pools_error)?
            {
                proposals.insert(&s.id, p);
            }
        }
    }
    let overdue = if reads_proposals(user) {
        app.cultivation
            .overdue_actions(user, kernel::UtcMillis::now().city_date())
            .await
            .map_err(pools_error)?
    } else {
        Vec::new()
    };
    let total: usize = lists.iter().map(|l| l.members.len()).sum();
    let list_of = |id: &str| lists.iter().find(|l| l.scheme.id == id);
    let body = html! {
        h1 { (t(lang, "pools.title")) }
        p.lead { (t(lang, "pools.intro")) }
        div.stats {
            (stat(t(lang, "pools.stats.schemes"), &schemes.schemes.len().to_string(), ""))
            (stat(t(lang, "pools.stats.lists"), &lists.len().to_string(), ""))
            (stat(t(lang, "pools.stats.members"), &thousands(total as i64), t(lang, "pools.unit.companies")))
            @if reads_proposals(user) {
                (stat(t(lang, "pools.stats.overdue"), &overdue.len().to_string(), t(lang, "pools.unit.actions")))
            }
        }
        (error_summary(lang, errors))
        @if acts_for(user, &user.organisation.id) {
            p.notice { a href={ "/pools/companies/" (user.organisation.id) } { (t(lang, "pools.mine")) } }
        }
        @if !overdue.is_empty() {
            (overdue_table(app, lang, &overdue).await)
        }
        h2 { (t(lang, "pools.schemes")) }
        @for s in &schemes.schemes {
            (scheme_card(ctx, schemes, s, list_of(&s.id), runs.then(|| proposals.get(s.id.as_str())), this,
                refused.filter(|(id, _)| *id == s.id).map(|(_, typed)| (errors, typed))))
        }
        h2 { (t(lang, "pools.members.title")) }
        @if lists.is_empty() {
            p.muted { (t(lang, "pools.members.none")) }
        } @else {
            p.muted { (t(lang, "pools.members.public")) }
            (pool_chart(lang, schemes, &lists))
            (district_chart(lang, &lists))
            @for l in &lists {
                (member_table(lang, user, l))
            }
        }
    };
    Ok(page(ctx, t(lang, "pools.title"), body))
}

fn scheme_card(
    ctx: &Ctx,
    schemes: &cultivation::Schemes,
    s: &Scheme,
    list: Option<&CurrentList<'_>>,
    proposal: Option<Option<&Proposal>>,
    this: i32,
    refused: Option<(&[FieldError], &str)>,
) -> Markup {
    let lang = ctx.lang;
    let schemes_cite = |source: &kernel::Source| cite_source(lang, schemes, source);
    let members_in = |pool: &str| list.map(|l| l.members.iter().filter(|m| m.pool == pool).count());
    html! {
        section.card id={ "scheme-" (s.id) } {
            h3 { (scheme_name(lang, s)) }
            p.muted { (t(lang, "pools.renewal")) " " (schemes_cite(&s.renewal)) }
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "pools.pool")) }
                        th scope="col" { (t(lang, "pools.capacity")) }
                        th scope="col" { (t(lang, "pools.members.current")) }
                        th scope="col" { (t(lang, "pools.citation")) }
                    } }
                    tbody {
                        @for p in &s.pools {
                            tr {
                                th scope="row" { (pool_name(lang, Some(s), &p.id)) }
                                td { (capacity_text(lang, p.capacity.value)) }
                                td.num { @match members_in(&p.id) { Some(n) => (n), None => "—" } }
                                td { (schemes_cite(&p.capacity.source)) }
                            }
                        }
                    }
                }
            }
            @match list {
                Some(l) => p {
                    (tf(lang, "pools.list.current", &[("year", &l.year.to_string()), ("count", &l.members.len().to_string())]))
                    " " a href={ "/pools/" (s.id) "/" (l.year) } { (t(lang, "pools.list.open")) }
                },
                None => p.muted { (t(lang, "pools.list.none")) },
            }
            @if let Some(proposal) = proposal {
                @match proposal {
                    Some(p) => p {
                        (tf(lang, "pools.selection.this_year", &[("year", &this.to_string())])) " "
                        (state_tag(lang, p.state)) " "
                        a href={ "/pools/" (s.id) "/" (this) } { (t(lang, "pools.selection.open")) }
                    },
                    None => (start_form(ctx, s, this, refused)),
                }
            }
        }
    }
}

/// A source as people read it, with the note that says why when it is not confirmed.
pub(crate) fn cite_source(
    lang: Lang,
    schemes: &cultivation::Schemes,
    source: &kernel::Source,
) -> Markup {
    html! {
        span.citation { (schemes.cite(source)) }
        @if !source.confirmed {
            " " (status_tag(t(lang, "pools.unconfirmed"), "warn"))
            @match (lang, &source.note_zh, &source.note) {
                (Lang::Zh, Some(zh), _) => { " " span.muted { (zh) } }
                (_, _, Some(en)) => { " " span.muted lang="en" { (en) } }
                _ => {}
            }
        }
    }
}

fn start_form(ctx: &Ctx, s: &Scheme, this: i32, refusal: Option<(&[FieldError], &str)>) -> Markup {
    let lang = ctx.lang;
    let (errors, typed) = match refusal {
        Some((errors, typed)) => (errors, Some(typed)),
        None => (&[][..], None),
    };
    let refused = typed.is_some();
    let id = element_id(refused, "start-year", &s.id);
    let value = typed.map(str::to_owned).unwrap_or_else(|| this.to_string());
    let error = refused && errors.iter().any(|e| e.field == "start-year");
    html! {
        form.stack method="post" action="/pools/selections" {
            (csrf_field(ctx))
            input type="hidden" name="scheme" value=(s.id);
            div.field.field-error[error] {
                label for=(id) { (t(lang, "pools.start.year")) }
                p.hint { (t(lang, "pools.start.hint")) }
                @if refused { (field_message(lang, errors, "start-year")) }
                input id=(id) name="year" type="number" inputmode="numeric" min="2000" max="2100"
                    value=(value) required aria-invalid=[error.then_some("true")];
            }
            button.button type="submit" { (tf(lang, "pools.start.button", &[("scheme", scheme_name(lang, s))])) }
        }
    }
}

fn member_table(lang: Lang, user: &Principal, l: &CurrentList<'_>) -> Markup {
    let reads_all = reads_proposals(user);
    html! {
        section {
            h3 { (scheme_name(lang, l.scheme)) " · " (tf(lang, "pools.year", &[("year", &l.year.to_string())])) }
            p.count { (tf(lang, "pools.count", &[("count", &l.members.len().to_string())])) }
            div.table-wrap.table-scroll {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "pools.rank")) }
                        th scope="col" { (t(lang, "pools.company")) }
                        th scope="col" { (t(lang, "pools.district")) }
                        th scope="col" { (t(lang, "pools.pool")) }
                    } }
                    tbody {
                        @for m in &l.members {
                            tr {
                                td.num { (m.rank) }
                                th scope="row" {
                                    @if reads_all || acts_for(user, &m.company_id) {
                                        a href={ "/pools/companies/" (m.company_id) } { (m.name) }
                                    } @else { (m.name) }
                                }
                                td { (district_name(lang, &m.district)) }
                                td { (pool_name(lang, Some(l.scheme), &m.pool)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Members per pool against each pool's maximum, across the schemes' current lists.
fn pool_chart(lang: Lang, schemes: &cultivation::Schemes, lists: &[CurrentList<'_>]) -> Markup {
    let mut categories = Vec::new();
    let mut members = Vec::new();
    let mut capacity = Vec::new();
    for l in lists {
        let scheme = schemes.scheme(&l.scheme.id);
        for p in &l.scheme.pools {
            categories.push(pool_name(lang, scheme, &p.id));
            members.push(l.members.iter().filter(|m| m.pool == p.id).count() as f64);
            capacity.push(p.capacity.value.max.map_or(f64::NAN, f64::from));
        }
    }
    let data = ChartData {
        categories: categories.clone(),
        series: vec![
            Series::new(t(lang, "pools.chart.members"), members.clone()),
            Series::new(t(lang, "pools.chart.capacity"), capacity.clone()),
        ],
        unit: t(lang, "pools.unit.companies").to_owned(),
    };
    let svg = BarChart {
        options: ChartOptions {
            id: "pools-by-pool".into(),
            title: t(lang, "pools.chart.by_pool").to_owned(),
            no_data: t(lang, "pools.chart.no_data").to_owned(),
            lang: chart_lang(lang),
            decimals: Some(0),
            ..ChartOptions::default()
        },
        orientation: Orientation::Horizontal,
    }
    .render(&data);
    let headers = vec![
        t(lang, "pools.pool").to_owned(),
        t(lang, "pools.chart.members").to_owned(),
        t(lang, "pools.chart.capacity").to_owned(),
    ];
    let rows: Vec<Vec<String>> = categories
        .iter()
        .zip(members.iter().zip(&capacity))
        .map(|(c, (m, cap))| {
            vec![
                c.clone(),
                format!("{m:.0}"),
                if cap.is_finite() {
                    format!("{cap:.0}")
                } else {
                    t(lang, "pools.capacity.unbounded").to_owned()
                },
            ]
        })
        .collect();
    chart_figure(lang, &svg, &headers, &rows, t(lang, "pools.chart.source"))
}

/// Members per district, stacked by pool, across the schemes' current lists.
fn district_chart(lang: Lang, lists: &[CurrentList<'_>]) -> Markup {
    let districts: Vec<String> = city::districts()
        .all()
        .iter()
        .map(|d| d.key.clone())
        .collect();
    // Pools in the schemes' order, each with its count per district.
    let mut by_pool: Vec<(String, BTreeMap<&str, u32>)> = Vec::new();
    for l in lists {
        for p in &l.scheme.pools {
            let counts: BTreeMap<&str, u32> = l
                .counts
                .iter()
                .filter(|c| c.pool == p.id)
                .map(|c| (c.district.as_str(), c.count))
                .collect();
            if !counts.is_empty() {
                by_pool.push((pool_name(lang, Some(l.scheme), &p.id), counts));
            }
        }
    }
    let categories: Vec<String> = districts.iter().map(|k| district_name(lang, k)).collect();
    let series: Vec<Series> = by_pool
        .iter()
        .map(|(name, counts)| {
            Series::new(
                name.clone(),
                districts
                    .iter()
                    .map(|k| f64::from(counts.get(k.as_str()).copied().unwrap_or(0)))
                    .collect(),
            )
        })
        .collect();
    let data = ChartData {
        categories: categories.clone(),
        series,
        unit: t(lang, "pools.unit.companies").to_owned(),
    };
    let svg = StackedBarChart {
        options: ChartOptions {
            id: "pools-by-district".into(),
            title: t(lang, "pools.chart.by_district").to_owned(),
            no_data: t(lang, "pools.chart.no_data").to_owned(),
            lang: chart_lang(lang),
            decimals: Some(0),
            ..ChartOptions::default()
        },
        orientation: Orientation::Horizontal,
    }
    .render(&data);
    let mut headers = vec![t(lang, "pools.district").to_owned()];
    headers.extend(by_pool.iter().map(|(name, _)| name.clone()));
    let rows: Vec<Vec<String>> = districts
        .iter()
        .zip(&categories)
        .map(|(key, name)| {
            let mut row = vec![name.clone()];
            row.extend(
                by_pool
                    .iter()
                    .map(|(_, c)| c.get(key.as_str()).copied().unwrap_or(0).to_string()),
            );
            row
        })
        .collect();
    chart_figure(lang, &svg, &headers, &rows, t(lang, "pools.chart.source"))
}

async fn overdue_table(app: &AppState, lang: Lang, overdue: &[OverdueAction]) -> Markup {
    let mut names: HashMap<&str, String> = HashMap::new();
    for o in overdue {
        if !names.contains_key(o.company_id.as_str()) {
            let name = match app.industry.company(&o.company_id).await {
                Ok(c) => c.name,
                Err(_) => o.company_id.clone(),
            };
            names.insert(&o.company_id, name);
        }
    }
    html! {
        section.card {
            h2 { (t(lang, "pools.overdue.title")) }
            p.muted { (t(lang, "pools.overdue.intro")) }
            div.table-wrap.table-scroll {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "pools.company")) }
                        th scope="col" { (t(lang, "pools.plan.what")) }
                        th scope="col" { (t(lang, "pools.plan.owner")) }
                        th scope="col" { (t(lang, "pools.plan.due")) }
                        th scope="col" { (t(lang, "pools.plan.state")) }
                    } }
                    tbody {
                        @for o in overdue {
                            tr {
                                th scope="row" {
                                    a href={ "/pools/companies/" (o.company_id) } {
                                        (names.get(o.company_id.as_str()).cloned().unwrap_or_default())
                                    }
                                }
                                td { (o.action.what) }
                                td { (bureau_name(lang, o.action.owner_bureau)) }
                                td { (super::company::date_text(lang, o.action.due)) }
                                td { (status_tag(&tf(lang, "pools.plan.overdue_days", &[("days", &o.days_overdue.to_string())]), "error")) }
                            }
                        }
                    }
                }
            }
        }
    }
}
