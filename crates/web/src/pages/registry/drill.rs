//! Drill-down from the districts' comparison: one district's indicators with its community
//! centres compared (`/registry/{disease}/districts/{district}`), one centre's indicators
//! (`/registry/{disease}/centres/{id}`), and the downloads of every indicator table and of a
//! register list, each as CSV and as an Excel workbook (see [`super::export`]).
//!
//! Officials see their scope's figures and stop at the centre (no names, no lists); those who
//! read records (doctors) see the figures of their reach and, from a centre, the patients
//! behind them. The `year` parameter chooses a period: the enrolments made by the end of that
//! year, counted as of the end of that year (or today, for the current year).

use access::Principal;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use clinical::ClinicalError;
use diseases::{IndicatorError, Template};
use jiff::civil::Date;
use kernel::{Lang, mask_name};
use maud::{Markup, html};
use registry::{Group, Reach, RegisterCounts, RegisterFilter};
use serde::Deserialize;

use super::export::{Cell, Download, Table, download, fits_sheet};
use super::list::{ListQuery, short_reason};
use super::overview::{
    Compared, GroupLabels, citation_text, comparison, disease_card, official_scope,
};
use super::{
    ALL_ROWS, Orgs, actor, age, back_link, clinical_error, date, date_or_dash, disease_name,
    district_name, indicator_counts, measured, next_followup, percent, pick, register_counts,
    register_counts_by, registry_error, sex, template_of,
};
use crate::ctx::{Ctx, Signed};
use crate::error::{AppError, urlencode};
use crate::figures::thousands;
use crate::i18n::{t, tf};
use crate::layout::{page, status_tag};
use crate::state::AppState;

/// The earliest year a period may be chosen for.
const FIRST_YEAR: i16 = 2000;
/// How many years the year choice offers.
const YEARS_OFFERED: i16 = 5;

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<i16>,
}

#[derive(Deserialize, Default)]
pub struct CentresQuery {
    year: Option<i16>,
    district: Option<String>,
}

/// The period of the figures: enrolled by `enrolled_to`, counted as of `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i16,
    pub enrolled_to: Date,
    pub as_of: Date,
}

impl Period {
    /// The chosen year (the current one when none, or one outside 2000..=this year).
    pub fn of(year: Option<i16>, today: Date) -> Period {
        let year = year
            .filter(|y| (FIRST_YEAR..=today.year()).contains(y))
            .unwrap_or(today.year());
        let enrolled_to = Date::new(year, 12, 31).unwrap_or(today);
        Period {
            year,
            enrolled_to,
            as_of: enrolled_to.min(today),
        }
    }

    fn filter(&self, base: RegisterFilter) -> RegisterFilter {
        RegisterFilter {
            enrolled_to: Some(self.enrolled_to),
            ..base
        }
    }

    fn line(&self, lang: Lang) -> Markup {
        html! {
            p.source.period {
                (tf(lang, "registry.period_year", &[
                    ("end", &date(lang, self.enrolled_to)),
                    ("date", &date(lang, self.as_of)),
                ]))
            }
        }
    }
}

/// Who is looking: a reader of records within their reach, or an official within districts.
pub enum Viewer {
    Reader(Reach),
    Official(Vec<String>),
}

impl Viewer {
    pub async fn of(app: &AppState, user: &Principal) -> Result<Viewer, AppError> {
        match app.clinical.register_reach(&actor(user)).await {
            Ok(reach) => Ok(Viewer::Reader(reach)),
            Err(ClinicalError::Forbidden(_)) => official_scope(user)
                .map(Viewer::Official)
                .ok_or(AppError::Forbidden),
            Err(e) => Err(clinical_error(e)),
        }
    }

    fn filter(&self) -> RegisterFilter {
        match self {
            Viewer::Reader(reach) => RegisterFilter {
                reach: reach.clone(),
                ..RegisterFilter::default()
            },
            Viewer::Official(districts) => official_filter(districts),
        }
    }

    /// Officials see only the districts of their scope; a reader's reach limits the figures.
    fn sees_district(&self, key: &str) -> bool {
        match self {
            Viewer::Reader(_) => true,
            Viewer::Official(districts) => districts.iter().any(|d| d == key),
        }
    }

    fn districts(&self) -> Vec<String> {
        match self {
            Viewer::Reader(_) => city::districts()
                .all()
                .iter()
                .map(|d| d.key.clone())
                .collect(),
            Viewer::Official(districts) => districts.clone(),
        }
    }

    fn reads_records(&self) -> bool {
        matches!(self, Viewer::Reader(_))
    }
}

/// The enrolments of an official's districts (all, for the whole city).
pub fn official_filter(districts: &[String]) -> RegisterFilter {
    let reach = if districts.len() == city::districts().all().len() {
        Reach::All
    } else {
        Reach::Served {
            organisations: Vec::new(),
            districts: districts.to_vec(),
        }
    };
    RegisterFilter {
        reach,
        ..RegisterFilter::default()
    }
}

/// The links under a comparison chart: one per district or centre.
pub fn drill_list(lang: Lang, heading: &str, rows: &[Compared]) -> Markup {
    html! {
        @if rows.iter().any(|r| r.href.is_some()) {
            nav.drill-list aria-label=(heading) {
                h3 { (heading) }
                ul {
                    @for r in rows {
                        @if let Some(h) = &r.href {
                            li {
                                a href=(h) { (r.name) }
                                " "
                                span.muted { (thousands(r.counts.registered as i64)) (t(lang, "registry.unit_people")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn year_form(lang: Lang, action: &str, period: &Period, today: Date) -> Markup {
    let last = today.year();
    let first = (last - YEARS_OFFERED + 1).max(FIRST_YEAR);
    html! {
        form.filters.year-form method="get" action=(action) aria-label=(t(lang, "registry.choose_year")) {
            div.field {
                label for="year" { (t(lang, "registry.year")) }
                select id="year" name="year" {
                    @for y in (first..=last).rev() {
                        option value=(y) selected[y == period.year] { (tf(lang, "registry.year_option", &[("year", &y.to_string())])) }
                    }
                }
            }
            div.field.filter-submit { button.button-secondary type="submit" { (t(lang, "registry.show")) } }
        }
    }
}

fn referred_line(lang: Lang, counts: &RegisterCounts) -> Markup {
    html! {
        p.referred {
            (t(lang, "registry.referred"))
            " "
            strong { (thousands(counts.referred as i64)) }
            (t(lang, "registry.unit_people"))
        }
    }
}

/// Every indicator of each district or centre: rate with numerator / denominator.
fn indicator_table(lang: Lang, template: &Template, header: &str, rows: &[Compared]) -> Markup {
    html! {
        div.table-wrap {
            table.indicator-table {
                thead { tr {
                    th scope="col" { (header) }
                    th scope="col" { (t(lang, "registry.registered")) }
                    @for ind in template.indicators() {
                        th scope="col" { (pick(lang, &ind.name_zh, &ind.name_en)) }
                    }
                    th scope="col" { (t(lang, "registry.referred_short")) }
                } }
                tbody {
                    @for r in rows {
                        @let named = indicator_counts(template, &r.counts);
                        tr {
                            th scope="row" {
                                @if let Some(h) = &r.href { a href=(h) { (r.name) } } @else { (r.name) }
                            }
                            td.num { (thousands(r.counts.registered as i64)) }
                            @for ind in template.indicators() {
                                td.num {
                                    @match ind.check(&named) {
                                        Ok(x) => {
                                            (percent(x.value)) br;
                                            span.muted { "(" (thousands(x.numerator as i64)) " / " (thousands(x.denominator as i64)) ")" }
                                        }
                                        Err(IndicatorError::MissingCount(_)) => { (status_tag(t(lang, "registry.not_measured"), "muted")) }
                                        Err(_) => { span.muted { (t(lang, "registry.no_one")) } }
                                    }
                                }
                            }
                            td.num { (thousands(r.counts.referred as i64)) }
                        }
                    }
                }
            }
        }
        ul.citations {
            @for ind in template.indicators() {
                li { (pick(lang, &ind.name_zh, &ind.name_en)) "：" (citation_text(lang, template, &ind.citation)) }
            }
        }
    }
}

fn title_for(lang: Lang, place: &str, template: &Template) -> String {
    tf(
        lang,
        "registry.drill_title",
        &[("place", place), ("disease", disease_name(lang, template))],
    )
}

fn year_param(period: &Period) -> String {
    format!("year={}", period.year)
}

/// `GET /registry/{disease}/districts/{district}`.
pub async fn district(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((code, key)): Path<(String, String)>,
    Query(q): Query<YearQuery>,
) -> Response {
    match district_page(&app, &ctx, &user, &code, &key, q.year).await {
        Ok((title, body)) => page(&ctx, &title, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

async fn district_page(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    code: &str,
    key: &str,
    year: Option<i16>,
) -> Result<(String, Markup), AppError> {
    let lang = ctx.lang;
    let template = template_of(app, code)?;
    let viewer = Viewer::of(app, user).await?;
    let district = city::districts().by_key(key).ok_or(AppError::NotFound)?;
    if !viewer.sees_district(key) {
        return Err(AppError::NotFound);
    }
    let today = clinical::today();
    let period = Period::of(year, today);
    let filter = period.filter(RegisterFilter {
        district: Some(key.to_owned()),
        ..viewer.filter()
    });
    let counts = register_counts(app, template, filter.clone(), period.as_of).await?;
    let rows = centre_rows(app, lang, template, &filter, &period).await?;
    let name = district.name(lang == Lang::En).to_owned();
    let title = title_for(lang, &name, template);
    let action = format!("/registry/{code}/districts/{key}");
    let download = |extension: &str| {
        format!(
            "/registry/{code}/centres.{extension}?district={}&{}",
            urlencode(key),
            year_param(&period)
        )
    };
    let labels = GroupLabels::centres(lang);
    let period_text = tf(
        lang,
        "registry.period_year",
        &[
            ("end", &date(lang, period.enrolled_to)),
            ("date", &date(lang, period.as_of)),
        ],
    );
    let body = html! {
        (back_link(&format!("/registry?disease={code}#compare"), t(lang, "registry.title")))
        h1 { (title) }
        @if viewer.reads_records() { p.lead { (t(lang, "registry.reach_note")) } }
        @else { p.lead { (t(lang, "registry.aggregates_note")) } }
        (period.line(lang))
        (year_form(lang, &action, &period, today))
        div.cards.registry-cards { (disease_card(lang, template, &counts, None)) }
        (referred_line(lang, &counts))
        h2 id="centres" { (t(lang, "registry.compare_centres")) }
        @if rows.is_empty() {
            p.muted { (t(lang, "registry.empty")) }
        } @else {
            (comparison(lang, template, &rows, None, &period_text, labels))
            (drill_list(lang, t(lang, "registry.centre_details"), &rows))
            h3 { (t(lang, "registry.all_indicators")) }
            (indicator_table(lang, template, t(lang, "registry.centre"), &rows))
        }
        p.actions {
            a.button.button-secondary href=(download("csv")) download { (t(lang, "registry.export_csv")) }
            a.button.button-secondary href=(download("xlsx")) download { (t(lang, "registry.export_xlsx")) }
        }
    };
    Ok((title, body))
}

async fn centre_rows(
    app: &AppState,
    lang: Lang,
    template: &Template,
    filter: &RegisterFilter,
    period: &Period,
) -> Result<Vec<Compared>, AppError> {
    let orgs = Orgs::load(app).await?;
    let by_centre = register_counts_by(
        app,
        template,
        filter.clone(),
        Group::CommunityCentre,
        period.as_of,
    )
    .await?;
    let mut rows: Vec<Compared> = by_centre
        .into_iter()
        .map(|(id, counts)| Compared {
            name: if id.is_empty() {
                t(lang, "registry.no_centre").to_owned()
            } else {
                orgs.name(Some(&id), lang)
            },
            href: (!id.is_empty()).then(|| {
                format!(
                    "/registry/{}/centres/{}?{}",
                    template.code,
                    urlencode(&id),
                    year_param(period)
                )
            }),
            counts,
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

async fn district_rows(
    app: &AppState,
    lang: Lang,
    template: &Template,
    viewer: &Viewer,
    period: &Period,
) -> Result<Vec<Compared>, AppError> {
    let by_district = register_counts_by(
        app,
        template,
        period.filter(viewer.filter()),
        Group::District,
        period.as_of,
    )
    .await?;
    Ok(viewer
        .districts()
        .iter()
        .filter_map(|k| city::districts().by_key(k))
        .map(|d| Compared {
            name: d.name(lang == Lang::En).to_owned(),
            href: Some(format!(
                "/registry/{}/districts/{}?{}",
                template.code,
                d.key,
                year_param(period)
            )),
            counts: by_district
                .iter()
                .find(|(k, _)| *k == d.key)
                .map(|(_, c)| *c)
                .unwrap_or_default(),
        })
        .collect())
}

/// `GET /registry/{disease}/centres/{id}`.
pub async fn centre(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((code, id)): Path<(String, String)>,
    Query(q): Query<YearQuery>,
) -> Response {
    match centre_page(&app, &ctx, &user, &code, &id, q.year).await {
        Ok((title, body)) => page(&ctx, &title, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

async fn centre_page(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    code: &str,
    id: &str,
    year: Option<i16>,
) -> Result<(String, Markup), AppError> {
    let lang = ctx.lang;
    let template = template_of(app, code)?;
    let viewer = Viewer::of(app, user).await?;
    let org = app
        .accounts
        .organisation(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let district = org.district.clone();
    if let Viewer::Official(_) = viewer
        && !district.as_deref().is_some_and(|d| viewer.sees_district(d))
    {
        return Err(AppError::NotFound);
    }
    let today = clinical::today();
    let period = Period::of(year, today);
    let centre_filter = RegisterFilter {
        community_centre_id: Some(id.to_owned()),
        ..viewer.filter()
    };
    let counts = register_counts(
        app,
        template,
        period.filter(centre_filter.clone()),
        period.as_of,
    )
    .await?;
    let name = org.name(lang == Lang::En).to_owned();
    let title = title_for(lang, &name, template);
    let back = match &district {
        Some(d) => (
            format!("/registry/{code}/districts/{d}?{}", year_param(&period)),
            title_for(lang, &district_name(lang, Some(d)), template),
        ),
        None => (
            format!("/registry?disease={code}#compare"),
            t(lang, "registry.title").to_owned(),
        ),
    };
    // The patients behind the figures, for those who read records: the register list of
    // the centre by status (as it stands now).
    let mut patients = Vec::new();
    if let Viewer::Reader(reach) = &viewer {
        let registers = app.clinical.registers();
        for (status, key, controlled, followed_up) in [
            ("", "registry.status_all", None, None),
            (
                "not_controlled",
                "registry.not_controlled",
                Some(false),
                None,
            ),
            ("controlled", "registry.controlled", Some(true), None),
            ("not_followed", "registry.not_followed", None, Some(false)),
        ] {
            let n = registers
                .count(&RegisterFilter {
                    reach: reach.clone(),
                    disease: Some(code.to_owned()),
                    community_centre_id: Some(id.to_owned()),
                    controlled,
                    followed_up,
                    ..RegisterFilter::default()
                })
                .await
                .map_err(registry_error)?;
            patients.push((
                format!(
                    "/registry/{code}?district=&status={status}&centre={}",
                    urlencode(id)
                ),
                t(lang, key),
                n,
            ));
        }
    }
    let body = html! {
        (back_link(&back.0, &back.1))
        h1 { (title) }
        @if viewer.reads_records() { p.lead { (t(lang, "registry.reach_note")) } }
        @else { p.lead { (t(lang, "registry.aggregates_note")) } }
        (period.line(lang))
        (year_form(lang, &format!("/registry/{code}/centres/{}", urlencode(id)), &period, today))
        div.cards.registry-cards { (disease_card(lang, template, &counts, None)) }
        (referred_line(lang, &counts))
        @if !patients.is_empty() {
            h2 { (t(lang, "registry.patients_behind")) }
            p.muted { (t(lang, "registry.patients_now")) }
            ul.patient-links {
                @for (href, label, n) in &patients {
                    li { a href=(href) { (tf(lang, "registry.patients_link", &[("status", label), ("n", &thousands(*n as i64))])) } }
                }
            }
        }
    };
    Ok((title, body))
}

// ---- Downloads ---------------------------------------------------------------------------

/// A sheet name for the table of a disease: the disease's name in it when it fits Excel's
/// limit, else the short form (`{key}_short`).
fn sheet_for(lang: Lang, key: &str, template: &Template) -> String {
    let full = tf(lang, key, &[("disease", disease_name(lang, template))]);
    if fits_sheet(&full) {
        full
    } else {
        t(lang, &format!("{key}_short")).to_owned()
    }
}

/// The indicator table for download: per indicator its numerator, denominator and rate.
fn indicator_export(
    lang: Lang,
    template: &Template,
    header: &str,
    sheet: String,
    rows: &[Compared],
) -> Table {
    let mut head = vec![header.to_owned(), t(lang, "registry.registered").to_owned()];
    for ind in template.indicators() {
        let name = pick(lang, &ind.name_zh, &ind.name_en);
        for key in [
            "registry.csv_numerator",
            "registry.csv_denominator",
            "registry.csv_rate",
        ] {
            head.push(tf(lang, key, &[("name", name)]));
        }
    }
    head.push(t(lang, "registry.referred_short").to_owned());
    let lines = rows
        .iter()
        .map(|r| {
            let named = indicator_counts(template, &r.counts);
            let mut line = vec![Cell::Text(r.name.clone()), Cell::Count(r.counts.registered)];
            for ind in template.indicators() {
                let count = |name: &str| measured(name, &r.counts).map_or(Cell::Blank, Cell::Count);
                line.push(count(&ind.numerator));
                line.push(count(&ind.denominator));
                line.push(match ind.check(&named) {
                    Ok(x) => Cell::Rate(x.value),
                    Err(IndicatorError::MissingCount(_)) => {
                        Cell::Text(t(lang, "registry.not_measured").to_owned())
                    }
                    Err(_) => Cell::Text(t(lang, "registry.no_one").to_owned()),
                });
            }
            line.push(Cell::Count(r.counts.referred));
            line
        })
        .collect();
    Table {
        sheet,
        header: head,
        rows: lines,
    }
}

/// `GET /registry/{disease}/districts.csv?year=`: every district in scope.
pub async fn districts_csv(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Response {
    districts_download(&app, &ctx, &user, &code, q, Download::Csv)
        .await
        .unwrap_or_else(|e| ctx.page_error(e).into_response())
}

/// `GET /registry/{disease}/districts.xlsx?year=`: the same as an Excel workbook.
pub async fn districts_xlsx(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Response {
    districts_download(&app, &ctx, &user, &code, q, Download::Xlsx)
        .await
        .unwrap_or_else(|e| ctx.page_error(e).into_response())
}

async fn districts_download(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    code: &str,
    q: YearQuery,
    form: Download,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let template = template_of(app, code)?;
    let viewer = Viewer::of(app, user).await?;
    let period = Period::of(q.year, clinical::today());
    let rows = district_rows(app, lang, template, &viewer, &period).await?;
    let table = indicator_export(
        lang,
        template,
        t(lang, "home.district"),
        sheet_for(lang, "registry.sheet_districts", template),
        &rows,
    );
    Ok(download(
        form,
        &format!("{code}-districts-{}", period.as_of),
        table.render(form)?,
    ))
}

/// `GET /registry/{disease}/centres.csv?district=&year=`: the centres of a district (or of
/// the whole scope).
pub async fn centres_csv(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(code): Path<String>,
    Query(q): Query<CentresQuery>,
) -> Response {
    centres_download(&app, &ctx, &user, &code, q, Download::Csv)
        .await
        .unwrap_or_else(|e| ctx.page_error(e).into_response())
}

/// `GET /registry/{disease}/centres.xlsx?district=&year=`: the same as an Excel workbook.
pub async fn centres_xlsx(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(code): Path<String>,
    Query(q): Query<CentresQuery>,
) -> Response {
    centres_download(&app, &ctx, &user, &code, q, Download::Xlsx)
        .await
        .unwrap_or_else(|e| ctx.page_error(e).into_response())
}

async fn centres_download(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    code: &str,
    q: CentresQuery,
    form: Download,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let template = template_of(app, code)?;
    let viewer = Viewer::of(app, user).await?;
    let district = q.district.filter(|d| !d.is_empty());
    if let Some(d) = &district
        && (city::districts().by_key(d).is_none() || !viewer.sees_district(d))
    {
        return Err(AppError::NotFound);
    }
    let period = Period::of(q.year, clinical::today());
    let filter = period.filter(RegisterFilter {
        district: district.clone(),
        ..viewer.filter()
    });
    let rows = centre_rows(app, lang, template, &filter, &period).await?;
    let table = indicator_export(
        lang,
        template,
        t(lang, "registry.centre"),
        sheet_for(lang, "registry.sheet_centres", template),
        &rows,
    );
    Ok(download(
        form,
        &format!(
            "{code}-centres-{}-{}",
            district.as_deref().unwrap_or("all"),
            period.as_of
        ),
        table.render(form)?,
    ))
}

/// `GET /registry/{disease}/patients.csv?district=&status=&centre=`: the register list of
/// the current filter, names masked, for those who read records; recorded on the ledger.
pub async fn patients_csv(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    patients_download(&app, &ctx, &user, &code, &q, Download::Csv)
        .await
        .unwrap_or_else(|e| ctx.page_error(e).into_response())
}

/// `GET /registry/{disease}/patients.xlsx?district=&status=&centre=`: the same as an Excel
/// workbook, recorded on the ledger alike.
pub async fn patients_xlsx(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    patients_download(&app, &ctx, &user, &code, &q, Download::Xlsx)
        .await
        .unwrap_or_else(|e| ctx.page_error(e).into_response())
}

async fn patients_download(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    code: &str,
    q: &ListQuery,
    form: Download,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let template = template_of(app, code)?;
    let actor = actor(user);
    let reach = app
        .clinical
        .register_reach(&actor)
        .await
        .map_err(clinical_error)?;
    let filter = RegisterFilter {
        limit: ALL_ROWS,
        offset: 0,
        ..q.filter(&reach, code)
    };
    let rows = app
        .clinical
        .registers()
        .list(&filter)
        .await
        .map_err(registry_error)?;
    let orgs = Orgs::load(app).await?;
    let today = clinical::today();
    let header: Vec<String> = [
        "registry.name",
        "registry.sex",
        "registry.age",
        "registry.district",
        "registry.centre",
        "registry.enrolled_on",
        "registry.reason",
        "registry.last_visit",
        "registry.next_followup",
        "registry.control_status",
    ]
    .iter()
    .map(|k| t(lang, k).to_owned())
    .collect();
    let mut lines = Vec::new();
    for row in &rows {
        let id = &row.enrolment.resident_id;
        if !app
            .clinical
            .may_see_resident(&actor, id)
            .await
            .map_err(clinical_error)?
        {
            continue;
        }
        let name = app
            .clinical
            .residents()
            .resident(id)
            .await
            .map_err(registry_error)?
            .and_then(|r| r.facts.name)
            .map(|n| mask_name(&n))
            .unwrap_or_else(|| "—".into());
        let e = &row.enrolment;
        let next = next_followup(template, e, today);
        lines.push(
            [
                name,
                sex(lang, row.sex.as_deref()).to_owned(),
                age(lang, row.birth_date, today),
                district_name(lang, row.district.as_deref()),
                orgs.name(row.community_centre_id.as_deref(), lang),
                date(lang, e.enrolled_on),
                short_reason(e),
                date_or_dash(lang, e.last_visit),
                format!("{} {}", date(lang, next.due), followup_text(lang, &next)),
                control_text(lang, e).to_owned(),
            ]
            .into_iter()
            .map(Cell::Text)
            .collect(),
        );
    }
    let table = Table {
        sheet: sheet_for(lang, "registry.sheet_register", template),
        header,
        rows: lines,
    };
    let body = table.render(form)?;
    crate::audit::record(
        app,
        user,
        "registry.export",
        "register",
        code,
        ledger::PurposeOfUse::CareManagement,
        &body,
    )
    .await;
    Ok(download(form, &format!("{code}-register-{today}"), body))
}

fn followup_text(lang: Lang, next: &diseases::NextFollowUp) -> String {
    match next.status {
        diseases::FollowUpStatus::Overdue { days } => tf(
            lang,
            "registry.overdue_days",
            &[("days", &days.to_string())],
        ),
        diseases::FollowUpStatus::Due => t(lang, "registry.due").to_owned(),
        diseases::FollowUpStatus::NotYetDue => t(lang, "registry.not_yet_due").to_owned(),
    }
}

fn control_text(lang: Lang, e: &registry::Enrolment) -> &'static str {
    match (e.last_visit, e.last_controlled) {
        (None, _) => t(lang, "registry.not_followed"),
        (Some(_), Some(true)) => t(lang, "registry.controlled"),
        (Some(_), Some(false)) => t(lang, "registry.not_controlled"),
        (Some(_), None) => t(lang, "registry.control_unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as civil;

    #[test]
    fn a_year_is_enrolled_by_its_end_and_counted_then_or_today() {
        let today = civil(2026, 5, 20);
        let past = Period::of(Some(2024), today);
        assert_eq!(
            (past.year, past.enrolled_to, past.as_of),
            (2024, civil(2024, 12, 31), civil(2024, 12, 31))
        );
        let current = Period::of(None, today);
        assert_eq!(
            (current.year, current.enrolled_to, current.as_of),
            (2026, civil(2026, 12, 31), today)
        );
        assert_eq!(Period::of(Some(2031), today), current, "no future year");
        assert_eq!(Period::of(Some(1900), today), current);
    }
}
