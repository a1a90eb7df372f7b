//! `GET /companies`: the register. Every signed-in user sees the public register (name, code,
//! district, park, segments); officials, administrators and expert reviewers also see each
//! company's latest yearly figures. Officials get the counts by district and the drug
//! pipeline funnel against the city's cited target. A company's own user is sent to its
//! company's page, the one it works on.

use access::{FieldError, Principal};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use charts::{BarChart, ChartData, ChartOptions, Orientation, Series};
use industry::{Company, CompanyFilter, QualificationKind, Segment, Stage, YearFigures};
use kernel::Lang;
use maud::{Markup, html};

use super::{
    Fields, district_name, district_options, industry_error, keeps_register, may_read_figures,
    qualification_options, segment_names, segment_options, stage_name, summary, wan,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::figures::thousands;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, count_line, page, stat};
use crate::pages::registry::export::{self, Cell, Download, Table};
use crate::state::AppState;

/// The city's target the funnel is read against: more than 50 innovative drugs declared for
/// clinical trials, cumulatively, by 2023 (nanjing-2022 二、主要目标).
pub const TARGET_DRUGS: u64 = 50;

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if super::company_user(&user) {
        return Redirect::to(&format!("/companies/{}", user.organisation.id)).into_response();
    }
    let query = Fields(query);
    let (filter, errors) = filter_of(&query);
    let companies = match app.industry.companies(&user, &filter).await {
        Ok(c) => c,
        Err(e) => return ctx.page_error(industry_error(e)).into_response(),
    };
    let mut latest = Vec::with_capacity(companies.len());
    for c in &companies {
        latest.push(latest_figures(&app, &user, c).await);
    }
    let download = match query.get("format") {
        "csv" => Some(Download::Csv),
        "xlsx" => Some(Download::Xlsx),
        _ => None,
    };
    if let Some(form) = download {
        let table = table(ctx.lang, &companies, &latest);
        return match table.render(form) {
            Ok(body) => export::download(form, "companies", body),
            Err(e) => ctx.page_error(e).into_response(),
        };
    }
    match render(&app, &ctx, &user, &query, &errors, &companies, &latest).await {
        Ok(body) if errors.is_empty() => body.into_response(),
        Ok(body) => (StatusCode::UNPROCESSABLE_ENTITY, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// The filter the query asks for; an unknown segment or qualification is named, not ignored.
pub fn filter_of(query: &Fields) -> (CompanyFilter, Vec<FieldError>) {
    let mut errors = Vec::new();
    let district = query.optional("district");
    if let Some(d) = &district
        && let Err(e) = industry::company::district_key(d)
    {
        errors.push(FieldError::new("district", e.message_zh(), e.message_en()));
    }
    let segment = query.optional("segment").and_then(|s| {
        let found = Segment::from_key(&s).or_else(|| Segment::parse(&s));
        if found.is_none() {
            errors.push(FieldError::new(
                "segment",
                format!("“{s}”不是产业领域，请从列表中选择"),
                format!("\"{s}\" is not an industry segment: choose one from the list"),
            ));
        }
        found
    });
    let qualification = query.optional("qualification").and_then(|q| {
        let found = QualificationKind::from_key(&q).or_else(|| QualificationKind::parse(&q));
        if found.is_none() {
            errors.push(FieldError::new(
                "qualification",
                format!("“{q}”不是资质类别，请从列表中选择"),
                format!("\"{q}\" is not a qualification: choose one from the list"),
            ));
        }
        found
    });
    let filter = CompanyFilter {
        district: district.filter(|_| !errors.iter().any(|e| e.field == "district")),
        segment,
        text: query.optional("q"),
        qualification,
    };
    (filter, errors)
}

/// The company's latest year of figures, when the viewer may read them.
async fn latest_figures(app: &AppState, user: &Principal, c: &Company) -> Option<YearFigures> {
    if !may_read_figures(user, c) {
        return None;
    }
    match app.industry.figures(user, &c.id).await {
        Ok(mut f) => f.pop(),
        Err(e) => {
            tracing::info!(company = %c.id, "figures not shown: {e}");
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    query: &Fields,
    errors: &[FieldError],
    companies: &[Company],
    latest: &[Option<YearFigures>],
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let officials = keeps_register(user);
    let show_figures = latest.iter().any(Option::is_some);
    let by_district = app
        .industry
        .companies_by_district()
        .await
        .map_err(industry_error)?;
    let funnel = app
        .industry
        .pipeline_funnel(industry::company::CITY)
        .await
        .map_err(industry_error)?;
    let in_clinic = funnel
        .iter()
        .find(|(s, _)| *s == Stage::Phase1Entered)
        .map_or(0, |(_, n)| *n);
    let registered: u64 = by_district.iter().map(|(_, n)| n).sum();
    let export = {
        let pairs: Vec<String> = query
            .0
            .iter()
            .filter(|(k, v)| k != "format" && !v.trim().is_empty())
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crate::error::urlencode(k),
                    crate::error::urlencode(v)
                )
            })
            .collect();
        let base = format!("/companies?{}", pairs.join("&"));
        let sep = if pairs.is_empty() { "" } else { "&" };
        (
            format!("{base}{sep}format=csv"),
            format!("{base}{sep}format=xlsx"),
        )
    };
    let body = html! {
        h1 { (t(lang, "companies.title")) }
        p.lead { (t(lang, "companies.intro")) }
        @if officials {
            p.actions {
                a.button href="/companies/new" { (t(lang, "companies.new.title")) }
                " "
                a.button.button-secondary href="/companies/import" { (t(lang, "companies.import.title")) }
            }
        }
        div.stats {
            (stat(t(lang, "companies.stat.registered"), &thousands(registered as i64), t(lang, "companies.unit.companies")))
            (stat(t(lang, "companies.stat.in_clinic"), &format!("{in_clinic} / {TARGET_DRUGS}"), t(lang, "companies.unit.drugs")))
        }
        section.card {
            h2 { (t(lang, "companies.funnel.title")) }
            p { (t(lang, "companies.funnel.counted")) }
            p.citation {
                strong { (t(lang, "companies.funnel.target_label")) } " "
                (t(lang, "companies.funnel.target_2022")) " "
                span.source { (t(lang, "companies.funnel.source_2022")) }
            }
            p.citation.muted {
                (t(lang, "companies.funnel.target_2020")) " "
                span.source { (t(lang, "companies.funnel.source_2020")) }
            }
            p { (tf(lang, "companies.funnel.progress", &[("count", &in_clinic.to_string()), ("target", &TARGET_DRUGS.to_string())])) }
            (funnel_chart(lang, &funnel, app.settings.demo.is_some()))
        }
        section.card {
            h2 { (t(lang, "companies.by_district.title")) }
            (district_chart(lang, &by_district))
        }
        section.card {
            h2 { (t(lang, "companies.list.title")) }
            (summary(lang, "", errors))
            (filters(lang, query, errors))
            (count_line(lang, companies.len()))
            @if companies.is_empty() {
                p.muted { (t(lang, "companies.list.empty")) }
            } @else {
                p.actions {
                    a.button.button-secondary href=(export.0) download { (t(lang, "companies.list.export_csv")) }
                    " "
                    a.button.button-secondary href=(export.1) download { (t(lang, "companies.list.export_xlsx")) }
                }
                div.table-wrap.table-scroll {
                    table.data {
                        caption.visually-hidden { (t(lang, "companies.list.title")) }
                        thead { tr {
                            th scope="col" { (t(lang, "companies.field.name")) }
                            th scope="col" { (t(lang, "companies.field.uscc")) }
                            th scope="col" { (t(lang, "companies.field.district")) }
                            th scope="col" { (t(lang, "companies.field.park")) }
                            th scope="col" { (t(lang, "companies.field.segments")) }
                            @if show_figures {
                                th scope="col" { (t(lang, "companies.field.year")) }
                                th.num scope="col" { (t(lang, "companies.field.revenue")) }
                                th.num scope="col" { (t(lang, "companies.field.rd_spend")) }
                            }
                        } }
                        tbody {
                            @for (c, f) in companies.iter().zip(latest) {
                                tr {
                                    th scope="row" { a href={ "/companies/" (c.id) } { (c.name) } }
                                    td.mono.nowrap { (c.uscc.as_str()) }
                                    td.nowrap { (district_name(lang, &c.district)) }
                                    td { (c.park.as_deref().unwrap_or("—")) }
                                    td { (segment_names(lang, &c.segments)) }
                                    @if show_figures {
                                        @match f {
                                            Some(f) => {
                                                td.nowrap { (f.year) }
                                                td.num.nowrap { (wan(lang, f.revenue_yuan)) }
                                                td.num.nowrap { (wan(lang, f.rd_spend_yuan)) }
                                            }
                                            None => { td { "—" } td.num { "—" } td.num { "—" } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(ctx, t(lang, "companies.title"), body))
}

fn filters(lang: Lang, query: &Fields, errors: &[FieldError]) -> Markup {
    let all = t(lang, "companies.filter.all");
    html! {
        form.filters method="get" action="/companies" role="search" aria-label=(t(lang, "companies.filter.label")) {
            (super::select(lang, "", errors, "district", t(lang, "companies.field.district"), &district_options(lang), query.get("district"), Some(all)))
            (super::select(lang, "", errors, "segment", t(lang, "companies.field.segments"), &segment_options(lang), query.get("segment"), Some(all)))
            (super::select(lang, "", errors, "qualification", t(lang, "companies.filter.qualification"), &qualification_options(lang), query.get("qualification"), Some(all)))
            (super::Input::new("q", t(lang, "companies.filter.text"), query.get("q")).kind("search").optional().render(lang, "", errors))
            div.field.filter-submit { button.button-secondary type="submit" { (t(lang, "companies.filter.submit")) } }
        }
    }
}

fn chart_lang(lang: Lang) -> charts::Lang {
    match lang {
        Lang::En => charts::Lang::En,
        Lang::Zh => charts::Lang::Zh,
    }
}

/// The drug pipeline as a funnel: innovative drugs at or past each stage.
fn funnel_chart(lang: Lang, funnel: &[(Stage, u64)], demo: bool) -> Markup {
    let data = ChartData {
        categories: funnel
            .iter()
            .map(|(s, _)| stage_name(lang, *s).to_owned())
            .collect(),
        series: vec![Series::new(
            t(lang, "companies.funnel.series"),
            funnel.iter().map(|(_, n)| *n as f64).collect(),
        )],
        unit: t(lang, "companies.unit.drugs").to_owned(),
    };
    let svg = BarChart {
        options: ChartOptions {
            id: "companies-funnel".into(),
            title: t(lang, "companies.funnel.series").to_owned(),
            no_data: t(lang, "home.no_data").to_owned(),
            lang: chart_lang(lang),
            decimals: Some(0),
            ..ChartOptions::default()
        },
        orientation: Orientation::Horizontal,
    }
    .render(&data);
    let headers = vec![
        t(lang, "companies.stage").to_owned(),
        t(lang, "companies.funnel.series").to_owned(),
    ];
    let rows: Vec<Vec<String>> = funnel
        .iter()
        .map(|(s, n)| vec![stage_name(lang, *s).to_owned(), n.to_string()])
        .collect();
    chart_figure(
        lang,
        &svg,
        &headers,
        &rows,
        t(
            lang,
            if demo {
                "companies.chart_note_demo"
            } else {
                "companies.chart_note"
            },
        ),
    )
}

fn district_chart(lang: Lang, counts: &[(String, u64)]) -> Markup {
    let names: Vec<String> = counts.iter().map(|(d, _)| district_name(lang, d)).collect();
    let data = ChartData {
        categories: names.clone(),
        series: vec![Series::new(
            t(lang, "companies.by_district.series"),
            counts.iter().map(|(_, n)| *n as f64).collect(),
        )],
        unit: t(lang, "companies.unit.companies").to_owned(),
    };
    let svg = BarChart {
        options: ChartOptions {
            id: "companies-by-district".into(),
            title: t(lang, "companies.by_district.series").to_owned(),
            no_data: t(lang, "home.no_data").to_owned(),
            lang: chart_lang(lang),
            decimals: Some(0),
            ..ChartOptions::default()
        },
        orientation: Orientation::Horizontal,
    }
    .render(&data);
    let headers = vec![
        t(lang, "companies.field.district").to_owned(),
        t(lang, "companies.by_district.series").to_owned(),
    ];
    let rows: Vec<Vec<String>> = names
        .into_iter()
        .zip(counts)
        .map(|(name, (_, n))| vec![name, n.to_string()])
        .collect();
    chart_figure(
        lang,
        &svg,
        &headers,
        &rows,
        t(lang, "companies.by_district.note"),
    )
}

/// The register as shown, as CSV (UTF-8 with a BOM, so Excel opens the Chinese correctly).
/// The register as a table to download: the public columns, and the latest yearly figures
/// for the viewers who may read them.
fn table(lang: Lang, companies: &[Company], latest: &[Option<YearFigures>]) -> Table {
    let show_figures = latest.iter().any(Option::is_some);
    let mut header = vec![
        t(lang, "companies.field.name"),
        t(lang, "companies.field.uscc"),
        t(lang, "companies.field.district"),
        t(lang, "companies.field.park"),
        t(lang, "companies.field.segments"),
    ];
    if show_figures {
        header.extend([
            t(lang, "companies.field.year"),
            t(lang, "companies.csv.revenue_yuan"),
            t(lang, "companies.csv.rd_spend_yuan"),
        ]);
    }
    let rows = companies
        .iter()
        .zip(latest)
        .map(|(c, f)| {
            let mut row = vec![
                Cell::Text(c.name.clone()),
                Cell::Text(c.uscc.as_str().to_owned()),
                Cell::Text(district_name(lang, &c.district)),
                Cell::Text(c.park.clone().unwrap_or_default()),
                Cell::Text(segment_names(lang, &c.segments)),
            ];
            if show_figures {
                match f {
                    Some(f) => row.extend([
                        Cell::Text(f.year.to_string()),
                        Cell::Yuan(f.revenue_yuan),
                        Cell::Yuan(f.rd_spend_yuan),
                    ]),
                    None => row.extend([Cell::Blank, Cell::Blank, Cell::Blank]),
                }
            }
            row
        })
        .collect();
    Table {
        sheet: t(lang, "companies.title").to_owned(),
        header: header.into_iter().map(str::to_owned).collect(),
        rows,
    }
}
