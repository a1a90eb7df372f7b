//! `GET /companies/{id}`: one company: its register entry, qualifications with their expiry,
//! yearly figures (for the company, officials, administrators and expert reviewers) and
//! products with their dated, evidenced stages; and, for those who may keep the company, the
//! forms that add to it. Each form posts to its own path and, when refused, comes back on this
//! page with the error beside the field.

use access::{FieldError, Principal};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use charts::{BarChart, ChartData, ChartOptions, Series};
use industry::{
    Company, DeviceClass, DrugClass, IndustryError, NewProduct, NewQualification, NewStageEvent,
    Product, ProductKind, Qualification, QualificationKind, Stage, StageEvent, YearFigures,
};
use kernel::Lang;
use maud::{Markup, html};

use super::{
    Fields, Input, company_user, day, district_name, industry_error, keeps_register, kind_name,
    may_edit, may_read_figures, qualification_name, qualification_options, refusal, segment_names,
    stage_name, summary, today, wan,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::figures::thousands;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, csrf_field, page, status_tag};
use crate::state::AppState;

/// A refused form, shown again on the page with what was typed and what is wrong.
pub struct Failed {
    /// Which form: `figures`, `qualification`, `product` or `stage-{product id}`; also the
    /// prefix of its fields' ids.
    pub form: String,
    pub errors: Vec<FieldError>,
    pub values: Fields,
}

/// A product with what the page shows of it.
struct Pipeline {
    product: Product,
    events: Vec<StageEvent>,
    current: Option<Stage>,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    respond(&app, &ctx, &user, &id, None, StatusCode::OK).await
}

async fn respond(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    id: &str,
    failed: Option<Failed>,
    status: StatusCode,
) -> Response {
    let company = match app.industry.company(id).await {
        Ok(c) => c,
        Err(IndustryError::NotFound { .. }) if company_user(user) && user.organisation.id == id => {
            return not_registered(ctx).into_response();
        }
        Err(e) => return ctx.page_error(industry_error(e)).into_response(),
    };
    match render(app, ctx, user, &company, failed.as_ref()).await {
        Ok(body) => (status, page(ctx, &company.name, body)).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// A company user whose company is not on the register yet: how to get it there.
fn not_registered(ctx: &Ctx) -> maud::Markup {
    let lang = ctx.lang;
    let body = html! {
        h1 { (t(lang, "companies.unregistered.title")) }
        p.lead { (t(lang, "companies.unregistered.intro")) }
        p { a.button href="/companies/new" { (t(lang, "companies.unregistered.register")) } }
    };
    page(ctx, t(lang, "companies.unregistered.title"), body)
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    company: &Company,
    failed: Option<&Failed>,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let editable = may_edit(user, company);
    let qualifications = app
        .industry
        .qualifications(&company.id)
        .await
        .map_err(industry_error)?;
    let figures = if may_read_figures(user, company) {
        match app.industry.figures(user, &company.id).await {
            Ok(f) => Some(f),
            // The register decides; a refusal here only hides the section.
            Err(IndustryError::Forbidden { .. }) => None,
            Err(e) => return Err(industry_error(e)),
        }
    } else {
        None
    };
    let corrections = match &figures {
        Some(_) => app
            .industry
            .figures_history(user, &company.id)
            .await
            .map(|h| h.len())
            .unwrap_or(0),
        None => 0,
    };
    let mut pipelines = Vec::new();
    for product in app
        .industry
        .products_of(&company.id)
        .await
        .map_err(industry_error)?
    {
        let events = app
            .industry
            .stage_events(&product.id)
            .await
            .map_err(industry_error)?;
        let current = industry::stage::current_stage(events.iter().map(|e| e.stage));
        pipelines.push(Pipeline {
            product,
            events,
            current,
        });
    }
    let binding = match (&company.organisation_id, keeps_register(user)) {
        (Some(org), true) => Some(
            app.accounts
                .organisation(org)
                .await
                .ok()
                .flatten()
                .map(|o| o.name(lang == Lang::En).to_owned())
                .unwrap_or_else(|| org.clone()),
        ),
        _ => None,
    };
    let today = today();
    let failed_in = |form: &str| failed.filter(|f| f.form == form);
    let body = html! {
        @if !company_user(user) {
            p.back { a href="/companies" { "← " (t(lang, "companies.title")) } }
        }
        h1 {
            (company.name) " "
            @if company.listed { (status_tag(t(lang, "companies.listed"), "info")) }
        }
        dl.summary {
            dt { (t(lang, "companies.field.uscc")) } dd.mono { (company.uscc.as_str()) }
            dt { (t(lang, "companies.field.district")) } dd { (district_name(lang, &company.district)) }
            dt { (t(lang, "companies.field.park")) } dd { (company.park.as_deref().unwrap_or("—")) }
            dt { (t(lang, "companies.field.segments")) } dd { (segment_names(lang, &company.segments)) }
            dt { (t(lang, "companies.field.founded")) } dd { (day(lang, company.founded)) }
            dt { (t(lang, "companies.field.capital_short")) } dd { (wan(lang, company.paid_in_capital_yuan)) }
            @if let Some(b) = &binding {
                dt { (t(lang, "companies.field.organisation")) } dd { (b) }
            }
        }
        p.actions {
            @if editable {
                a.button.button-secondary href={ "/companies/" (company.id) "/edit" } { (t(lang, "companies.edit.title")) }
                " "
            }
            a href="/pools" { (t(lang, "companies.link.pools")) }
            " · "
            a href={ "/subsidies?company=" (company.id) } { (t(lang, "companies.link.subsidies")) }
        }
        (qualifications_section(ctx, company, &qualifications, editable, today, failed_in("qualification")))
        (figures_section(ctx, company, figures.as_deref(), corrections, editable, failed_in("figures")))
        section.card id="products" {
            h2 { (t(lang, "companies.products.title")) }
            @if pipelines.is_empty() { p.muted { (t(lang, "companies.products.empty")) } }
            @for p in &pipelines {
                @let form = format!("stage-{}", p.product.id);
                (pipeline(ctx, company, p, editable, failed_in(&form)))
            }
            @if editable { (product_form(ctx, company, failed_in("product"))) }
        }
    };
    Ok(body)
}

fn qualifications_section(
    ctx: &Ctx,
    company: &Company,
    qualifications: &[Qualification],
    editable: bool,
    today: jiff::civil::Date,
    failed: Option<&Failed>,
) -> Markup {
    let lang = ctx.lang;
    let prefix = "qualification";
    let empty = Fields::default();
    let (errors, values) = failed.map_or((&[][..], &empty), |f| (&f.errors[..], &f.values));
    html! {
        section.card id="qualifications" {
            h2 { (t(lang, "companies.qualifications.title")) }
            @if qualifications.is_empty() { p.muted { (t(lang, "companies.qualifications.empty")) } }
            @else {
                div.table-wrap.table-scroll {
                    table.data {
                        thead { tr {
                            th scope="col" { (t(lang, "companies.qualification.kind")) }
                            th scope="col" { (t(lang, "companies.qualification.obtained")) }
                            th scope="col" { (t(lang, "companies.qualification.expires")) }
                            th scope="col" { (t(lang, "companies.qualification.state")) }
                            th scope="col" { (t(lang, "companies.qualification.evidence")) }
                            th.num scope="col" { (t(lang, "companies.qualification.detail")) }
                        } }
                        tbody {
                            @for q in qualifications {
                                tr {
                                    th scope="row" { (qualification_name(lang, q.kind)) }
                                    td.nowrap { (day(lang, q.obtained)) }
                                    td.nowrap { (q.expires.map(|d| day(lang, d)).unwrap_or_else(|| t(lang, "companies.qualification.no_expiry").to_owned())) }
                                    td { @match q.expires {
                                        Some(d) if d < today => (status_tag(t(lang, "companies.qualification.expired"), "muted")),
                                        _ => (status_tag(t(lang, "companies.qualification.valid"), "ok")),
                                    } }
                                    td.mono { (q.evidence) }
                                    td.num { (q.detail.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) }
                                }
                            }
                        }
                    }
                }
            }
            @if editable {
                details open[failed.is_some()] {
                    summary { (t(lang, "companies.qualifications.add")) }
                    (summary(lang, prefix, errors))
                    form.stack method="post" action={ "/companies/" (company.id) "/qualifications#qualifications" } novalidate {
                        (csrf_field(ctx))
                        (super::select(lang, prefix, errors, "kind", t(lang, "companies.qualification.kind"), &qualification_options(lang), values.get("kind"), Some(t(lang, "companies.form.choose"))))
                        (Input::new("obtained", t(lang, "companies.qualification.obtained"), values.get("obtained")).kind("date").render(lang, prefix, errors))
                        (Input::new("expires", t(lang, "companies.qualification.expires"), values.get("expires")).kind("date").optional().hint(t(lang, "companies.qualification.expires_hint")).render(lang, prefix, errors))
                        (Input::new("evidence", t(lang, "companies.qualification.evidence"), values.get("evidence")).render(lang, prefix, errors))
                        (Input::new("detail", t(lang, "companies.qualification.detail"), values.get("detail")).numeric().optional().hint(t(lang, "companies.qualification.detail_hint")).render(lang, prefix, errors))
                        button.button type="submit" { (t(lang, "companies.qualifications.add")) }
                    }
                }
            }
        }
    }
}

fn figures_section(
    ctx: &Ctx,
    company: &Company,
    figures: Option<&[YearFigures]>,
    corrections: usize,
    editable: bool,
    failed: Option<&Failed>,
) -> Markup {
    let lang = ctx.lang;
    let prefix = "figures";
    let empty = Fields::default();
    let (errors, values) = failed.map_or((&[][..], &empty), |f| (&f.errors[..], &f.values));
    html! {
        section.card id="figures" {
            h2 { (t(lang, "companies.figures.title")) }
            @match figures {
                None => p.muted { (t(lang, "companies.figures.hidden")) },
                Some([]) => p.muted { (t(lang, "companies.figures.empty")) },
                Some(figures) => {
                    (figures_chart(lang, figures))
                    div.table-wrap.table-scroll {
                        table.data {
                            thead { tr {
                                th scope="col" { (t(lang, "companies.field.year")) }
                                th.num scope="col" { (t(lang, "companies.field.revenue")) }
                                th.num scope="col" { (t(lang, "companies.field.rd_spend")) }
                                th.num scope="col" { (t(lang, "companies.field.rd_ratio")) }
                                th.num scope="col" { (t(lang, "companies.field.staff")) }
                                th.num scope="col" { (t(lang, "companies.field.output")) }
                                th.num scope="col" { (t(lang, "companies.field.tax")) }
                            } }
                            tbody {
                                @for f in figures {
                                    tr {
                                        th scope="row" { (f.year) }
                                        td.num.nowrap { (wan(lang, f.revenue_yuan)) }
                                        td.num.nowrap { (wan(lang, f.rd_spend_yuan)) }
                                        td.num { (ratio(f)) }
                                        td.num { (thousands(f.staff)) }
                                        td.num.nowrap { (wan(lang, f.output_yuan)) }
                                        td.num.nowrap { (f.tax_yuan.map(|v| wan(lang, v)).unwrap_or_else(|| "—".into())) }
                                    }
                                }
                            }
                        }
                    }
                    @if corrections > 0 {
                        p.muted { (tf(lang, "companies.figures.corrections", &[("count", &corrections.to_string())])) }
                    }
                }
            }
            @if editable && figures.is_some() {
                details open[failed.is_some()] {
                    summary { (t(lang, "companies.figures.add")) }
                    p.hint { (t(lang, "companies.figures.add_hint")) }
                    (summary(lang, prefix, errors))
                    form.stack method="post" action={ "/companies/" (company.id) "/figures#figures" } novalidate {
                        (csrf_field(ctx))
                        (Input::new("year", t(lang, "companies.field.year"), values.get("year")).numeric().render(lang, prefix, errors))
                        (Input::new("revenue_yuan", t(lang, "companies.field.revenue_yuan"), values.get("revenue_yuan")).numeric().render(lang, prefix, errors))
                        (Input::new("rd_spend_yuan", t(lang, "companies.field.rd_spend_yuan"), values.get("rd_spend_yuan")).numeric().render(lang, prefix, errors))
                        (Input::new("staff", t(lang, "companies.field.staff"), values.get("staff")).numeric().render(lang, prefix, errors))
                        (Input::new("output_yuan", t(lang, "companies.field.output_yuan"), values.get("output_yuan")).numeric().render(lang, prefix, errors))
                        (Input::new("tax_yuan", t(lang, "companies.field.tax_yuan"), values.get("tax_yuan")).numeric().optional().render(lang, prefix, errors))
                        button.button type="submit" { (t(lang, "companies.figures.add")) }
                    }
                }
            }
        }
    }
}

/// R&D spend as a share of revenue, the base the ratio subsidies use.
fn ratio(f: &YearFigures) -> String {
    if f.revenue_yuan > 0 {
        format!(
            "{:.1}%",
            f.rd_spend_yuan as f64 * 100.0 / f.revenue_yuan as f64
        )
    } else {
        "—".into()
    }
}

/// Revenue and R&D spend by year, in 万元 (millions of yuan in English).
fn figures_chart(lang: Lang, figures: &[YearFigures]) -> Markup {
    let scale = match lang {
        Lang::Zh => 10_000.0,
        Lang::En => 1_000_000.0,
    };
    let data = ChartData {
        categories: figures.iter().map(|f| f.year.to_string()).collect(),
        series: vec![
            Series::new(
                t(lang, "companies.field.revenue"),
                figures
                    .iter()
                    .map(|f| f.revenue_yuan as f64 / scale)
                    .collect(),
            ),
            Series::new(
                t(lang, "companies.field.rd_spend"),
                figures
                    .iter()
                    .map(|f| f.rd_spend_yuan as f64 / scale)
                    .collect(),
            ),
        ],
        unit: t(lang, "companies.unit.money").to_owned(),
    };
    let svg = BarChart {
        options: ChartOptions {
            id: "company-figures".into(),
            title: t(lang, "companies.figures.chart").to_owned(),
            no_data: t(lang, "home.no_data").to_owned(),
            lang: match lang {
                Lang::En => charts::Lang::En,
                Lang::Zh => charts::Lang::Zh,
            },
            width: 480.0,
            ..ChartOptions::default()
        },
        orientation: charts::Orientation::Vertical,
    }
    .render(&data);
    let headers = vec![
        t(lang, "companies.field.year").to_owned(),
        t(lang, "companies.field.revenue").to_owned(),
        t(lang, "companies.field.rd_spend").to_owned(),
    ];
    let rows: Vec<Vec<String>> = figures
        .iter()
        .map(|f| {
            vec![
                f.year.to_string(),
                wan(lang, f.revenue_yuan),
                wan(lang, f.rd_spend_yuan),
            ]
        })
        .collect();
    chart_figure(
        lang,
        &svg,
        &headers,
        &rows,
        t(lang, "companies.figures.source"),
    )
}

fn pipeline(
    ctx: &Ctx,
    company: &Company,
    p: &Pipeline,
    editable: bool,
    failed: Option<&Failed>,
) -> Markup {
    let lang = ctx.lang;
    let prefix = format!("stage-{}", p.product.id);
    let empty = Fields::default();
    let (errors, values) = failed.map_or((&[][..], &empty), |f| (&f.errors[..], &f.values));
    let recorded: Vec<Stage> = p.events.iter().map(|e| e.stage).collect();
    let stages: Vec<(String, String)> = Stage::ALL
        .iter()
        .filter(|s| s.fits(&p.product.kind) && !recorded.contains(s))
        .map(|s| (s.key().to_owned(), stage_name(lang, *s).to_owned()))
        .collect();
    let generic = p.product.kind
        == (ProductKind::Drug {
            class: DrugClass::Generic,
        });
    html! {
        article.product id={ "product-" (p.product.id) } {
            h3 {
                (p.product.name) " "
                @match p.current {
                    Some(s) => (status_tag(stage_name(lang, s), "info")),
                    None => (status_tag(t(lang, "companies.products.no_stage"), "muted")),
                }
            }
            p.muted {
                (kind_name(lang, &p.product.kind)) " · "
                (t(lang, "companies.product.started")) " " (day(lang, p.product.started))
            }
            @if p.events.is_empty() { p.muted { (t(lang, "companies.products.no_events")) } }
            @else {
                div.table-wrap.table-scroll {
                    table.data {
                        caption.visually-hidden { (tf(lang, "companies.stages.caption", &[("product", &p.product.name)])) }
                        thead { tr {
                            th scope="col" { (t(lang, "companies.stage.on")) }
                            th scope="col" { (t(lang, "companies.stage")) }
                            th scope="col" { (t(lang, "companies.stage.evidence")) }
                            th scope="col" { (t(lang, "companies.stage.note")) }
                        } }
                        tbody {
                            @for e in &p.events {
                                tr {
                                    td.nowrap { (day(lang, e.on)) }
                                    th scope="row" { (stage_name(lang, e.stage)) }
                                    td.mono { (e.evidence) }
                                    td {
                                        @if let Some(r) = &e.skips_with_reason { (t(lang, "companies.stage.skipped")) " " (r) }
                                        @if e.first_in_country { (t(lang, "companies.stage.first_in_country")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if editable && !stages.is_empty() {
                details open[failed.is_some()] {
                    summary { (t(lang, "companies.stages.add")) }
                    (summary(lang, &prefix, errors))
                    form.stack method="post" action={ "/companies/" (company.id) "/products/" (p.product.id) "/stages#product-" (p.product.id) } novalidate {
                        (csrf_field(ctx))
                        (super::select(lang, &prefix, errors, "stage", t(lang, "companies.stage"), &stages, values.get("stage"), Some(t(lang, "companies.form.choose"))))
                        (Input::new("on", t(lang, "companies.stage.on"), values.get("on")).kind("date").render(lang, &prefix, errors))
                        (Input::new("evidence", t(lang, "companies.stage.evidence"), values.get("evidence")).hint(t(lang, "companies.stage.evidence_hint")).render(lang, &prefix, errors))
                        (Input::new("evidence_sha256", t(lang, "companies.stage.sha256"), values.get("evidence_sha256")).optional().hint(t(lang, "companies.stage.sha256_hint")).render(lang, &prefix, errors))
                        (Input::new("skips_with_reason", t(lang, "companies.stage.skips"), values.get("skips_with_reason")).optional().hint(t(lang, "companies.stage.skips_hint")).render(lang, &prefix, errors))
                        @if generic {
                            label.choice {
                                input type="checkbox" name="first_in_country" id={ (prefix) "-first_in_country" } checked[values.checked("first_in_country")];
                                " " (t(lang, "companies.stage.first_in_country"))
                            }
                        }
                        button.button type="submit" { (t(lang, "companies.stages.add")) }
                    }
                }
            }
        }
    }
}

/// The product kinds a form offers, keyed as [`ProductKind::parse`] reads them.
pub fn kind_options(lang: Lang) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = DrugClass::ALL
        .iter()
        .map(|c| {
            (
                c.key().to_owned(),
                super::super::registry::pick(lang, c.zh(), c.en()).to_owned(),
            )
        })
        .collect();
    for (key, class) in [
        ("device-ii", DeviceClass::II),
        ("device-iii", DeviceClass::III),
    ] {
        options.push((
            key.to_owned(),
            super::super::registry::pick(lang, class.zh(), class.en()).to_owned(),
        ));
    }
    options.push((
        "health".to_owned(),
        kind_name(lang, &ProductKind::HealthProduct),
    ));
    options
}

fn product_form(ctx: &Ctx, company: &Company, failed: Option<&Failed>) -> Markup {
    let lang = ctx.lang;
    let prefix = "product";
    let empty = Fields::default();
    let (errors, values) = failed.map_or((&[][..], &empty), |f| (&f.errors[..], &f.values));
    html! {
        details open[failed.is_some()] id="add-product" {
            summary { (t(lang, "companies.products.add")) }
            (summary(lang, prefix, errors))
            form.stack method="post" action={ "/companies/" (company.id) "/products#products" } novalidate {
                (csrf_field(ctx))
                (Input::new("name", t(lang, "companies.product.name"), values.get("name")).render(lang, prefix, errors))
                (super::select(lang, prefix, errors, "kind", t(lang, "companies.product.kind"), &kind_options(lang), values.get("kind"), Some(t(lang, "companies.form.choose"))))
                label.choice {
                    input type="checkbox" name="special_review" id="product-special_review" checked[values.checked("special_review")];
                    " " (t(lang, "companies.product.special_review"))
                }
                (Input::new("started", t(lang, "companies.product.started"), values.get("started")).kind("date").render(lang, prefix, errors))
                button.button type="submit" { (t(lang, "companies.products.add")) }
            }
        }
    }
}

/// Answers a form post: back to the section on success, or the page with the refusal.
async fn answer(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    id: &str,
    form: String,
    values: Fields,
    outcome: Result<(), Result<Vec<FieldError>, IndustryError>>,
) -> Response {
    let anchor = match form.as_str() {
        "figures" => "figures".to_owned(),
        "qualification" => "qualifications".to_owned(),
        "product" => "products".to_owned(),
        other => format!("product-{}", other.trim_start_matches("stage-")),
    };
    let (status, errors) = match outcome {
        Ok(()) => return Redirect::to(&format!("/companies/{id}#{anchor}")).into_response(),
        Err(Ok(errors)) => {
            // A form the viewer could not have been shown is refused as such, not corrected.
            match app.industry.company(id).await {
                Ok(c) if may_edit(user, &c) => {}
                Ok(_) => return ctx.page_error(AppError::Forbidden).into_response(),
                Err(e) => return ctx.page_error(industry_error(e)).into_response(),
            }
            (StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
        Err(Err(e)) => match refusal(e) {
            Ok(refused) => refused,
            Err(other) => return ctx.page_error(other).into_response(),
        },
    };
    let failed = Failed {
        form,
        errors,
        values,
    };
    respond(app, ctx, user, id, Some(failed), status).await
}

pub async fn figures(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let values = Fields(fields);
    let mut errors = Vec::new();
    let year = values.integer("year", ("年度", "year"), &mut errors);
    let year = year.and_then(|y| match i16::try_from(y) {
        Ok(y) => Some(y),
        Err(_) => {
            errors.push(FieldError::new(
                "year",
                format!("年度{y}不在可登记范围内"),
                format!("the year {y} is out of range"),
            ));
            None
        }
    });
    let revenue = values.integer(
        "revenue_yuan",
        ("营业收入（元）", "revenue (yuan)"),
        &mut errors,
    );
    let rd = values.integer(
        "rd_spend_yuan",
        ("研发投入（元）", "R&D spend (yuan)"),
        &mut errors,
    );
    let staff = values.integer("staff", ("员工人数", "staff"), &mut errors);
    let output = values.integer("output_yuan", ("产值（元）", "output (yuan)"), &mut errors);
    let tax = values.optional_integer("tax_yuan", ("纳税（元）", "tax (yuan)"), &mut errors);
    let outcome = match (year, revenue, rd, staff, output) {
        (Some(year), Some(revenue_yuan), Some(rd_spend_yuan), Some(staff), Some(output_yuan))
            if errors.is_empty() =>
        {
            let f = YearFigures {
                year,
                revenue_yuan,
                rd_spend_yuan,
                staff,
                output_yuan,
                tax_yuan: tax,
            };
            app.industry
                .record_year(&user, &id, f)
                .await
                .map(|_| ())
                .map_err(Err)
        }
        _ => Err(Ok(errors)),
    };
    answer(&app, &ctx, &user, &id, "figures".into(), values, outcome).await
}

pub async fn qualification(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let values = Fields(fields);
    let mut errors = Vec::new();
    let kind = QualificationKind::from_key(values.get("kind"));
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "请选择资质类别",
            "choose the kind of qualification",
        ));
    }
    let obtained = values.date("obtained", ("取得日期", "date obtained"), &mut errors);
    let expires = values.optional_date("expires", ("有效期至", "expiry date"), &mut errors);
    let detail = values.optional_integer("detail", ("数量", "count"), &mut errors);
    let outcome = match (kind, obtained) {
        (Some(kind), Some(obtained)) if errors.is_empty() => app
            .industry
            .add_qualification(
                &user,
                &id,
                NewQualification {
                    kind,
                    obtained,
                    expires,
                    evidence: values.get("evidence").to_owned(),
                    detail,
                },
            )
            .await
            .map(|_| ())
            .map_err(Err),
        _ => Err(Ok(errors)),
    };
    answer(
        &app,
        &ctx,
        &user,
        &id,
        "qualification".into(),
        values,
        outcome,
    )
    .await
}

pub async fn product(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let values = Fields(fields);
    let mut errors = Vec::new();
    let kind = product_kind(
        values.get("kind"),
        values.checked("special_review"),
        &mut errors,
    );
    let started = values.date("started", ("立项日期", "start date"), &mut errors);
    let outcome = match (kind, started) {
        (Some(kind), Some(started)) if errors.is_empty() => app
            .industry
            .add_product(
                &user,
                NewProduct {
                    company_id: id.clone(),
                    name: values.get("name").to_owned(),
                    kind,
                    started,
                },
            )
            .await
            .map(|_| ())
            .map_err(Err),
        _ => Err(Ok(errors)),
    };
    answer(&app, &ctx, &user, &id, "product".into(), values, outcome).await
}

/// The kind a form or API names; special review applies to devices only.
pub fn product_kind(
    key: &str,
    special_review: bool,
    errors: &mut Vec<FieldError>,
) -> Option<ProductKind> {
    let kind = ProductKind::parse(key, special_review);
    match kind {
        None => errors.push(FieldError::new(
            "kind",
            "请选择产品类别（药品注册分类、第二类或第三类医疗器械、保健产品）",
            "choose the product's kind (a drug registration class, a class II or III device, or a health product)",
        )),
        Some(ProductKind::Drug { .. } | ProductKind::HealthProduct) if special_review => {
            errors.push(FieldError::new(
                "special_review",
                "创新医疗器械特别审查仅适用于医疗器械",
                "the innovative device special review applies to devices only",
            ));
        }
        _ => {}
    }
    kind
}

pub async fn stage(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, product_id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    // The product must be this company's: the path names both.
    match app.industry.product(&product_id).await {
        Ok(p) if p.company_id == id => {}
        Ok(_) => return ctx.page_error(AppError::NotFound).into_response(),
        Err(e) => return ctx.page_error(industry_error(e)).into_response(),
    }
    let values = Fields(fields);
    let mut errors = Vec::new();
    let stage = Stage::from_key(values.get("stage"));
    if stage.is_none() {
        errors.push(FieldError::new("stage", "请选择阶段", "choose the stage"));
    }
    let on = values.date("on", ("阶段日期", "date of the stage"), &mut errors);
    if values.get("evidence").is_empty() {
        errors.push(FieldError::new(
            "evidence",
            "请填写证明文件编号（如临床试验批件号、受理号、注册证号）",
            "enter the document number (clinical trial approval, acceptance or registration certificate number)",
        ));
    }
    let outcome = match (stage, on) {
        (Some(stage), Some(on)) if errors.is_empty() => app
            .industry
            .record_stage(
                &user,
                &product_id,
                NewStageEvent {
                    stage,
                    on,
                    evidence: values.get("evidence").to_owned(),
                    evidence_sha256: values.optional("evidence_sha256"),
                    skips_with_reason: values.optional("skips_with_reason"),
                    first_in_country: values.checked("first_in_country"),
                },
            )
            .await
            .map(|_| ())
            .map_err(Err),
        _ => Err(Ok(errors)),
    };
    answer(
        &app,
        &ctx,
        &user,
        &id,
        format!("stage-{product_id}"),
        values,
        outcome,
    )
    .await
}
