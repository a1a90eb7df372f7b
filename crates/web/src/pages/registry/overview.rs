//! `GET /registry`: one card per disease register with its size and quality indicators, for
//! the viewer's reach. Officials see aggregates only, with districts compared in charts.

use access::{Permission, Principal, Role, Scope, Target};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use charts::{BarChart, ChartData, ChartOptions, Orientation, Series};
use clinical::ClinicalError;
use diseases::{IndicatorError, Template};
use kernel::Lang;
use maud::{Markup, html};
use registry::{Reach, RegisterCounts};
use serde::Deserialize;

use super::{
    actor, clinical_error, date, disease_name, indicator_counts, percent, pick, register_counts,
    register_counts_by,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::figures::thousands;
use crate::i18n::{t, tf};
use crate::layout::{page, status_tag};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct OverviewQuery {
    disease: Option<String>,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<OverviewQuery>,
) -> Response {
    let result = match app.clinical.register_reach(&actor(&user)).await {
        Ok(reach) => reader_page(&app, &ctx, &user, &reach).await,
        Err(ClinicalError::Forbidden(_)) => match official_scope(&user) {
            Some(scope) => official_page(&app, &ctx, &user, &scope, q.disease.as_deref()).await,
            None => Ok(no_access(&ctx)),
        },
        Err(e) => Err(clinical_error(e)),
    };
    match result {
        Ok(body) => page(&ctx, t(ctx.lang, "registry.title"), body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// For roles that read neither records nor aggregates: what the capability is, and for whom
/// (the navigation links here for everyone).
fn no_access(ctx: &Ctx) -> Markup {
    let lang = ctx.lang;
    html! {
        h1 { (t(lang, "registry.title")) }
        p.lead { (t(lang, "cap.S1.desc")) }
        p.notice { (t(lang, "registry.no_access")) }
    }
}

fn reach_label(lang: Lang, reach: &Reach) -> &'static str {
    match reach {
        Reach::All => t(lang, "registry.reach_all"),
        Reach::Served { .. } => t(lang, "registry.reach_served"),
        Reach::Residents(_) => t(lang, "registry.reach_own"),
    }
}

async fn reader_page(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    reach: &Reach,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let today = clinical::today();
    let mut cards = Vec::new();
    for template in app.clinical.catalogue().templates() {
        let filter = registry::RegisterFilter {
            reach: reach.clone(),
            ..Default::default()
        };
        let counts = register_counts(app, template, filter, today).await?;
        cards.push(disease_card(
            lang,
            template,
            &counts,
            Some(format!("/registry/{}", template.code)),
        ));
    }
    let writes = actor(user).write;
    Ok(html! {
        h1 { (t(lang, "registry.title")) }
        p.lead { (tf(lang, "registry.reader_intro", &[("reach", reach_label(lang, reach))])) }
        p.actions {
            @if writes { a.button href="/worklist" { (t(lang, "worklist.title")) } }
            @if writes { a.button.button-secondary href="/registry/reviews" { (t(lang, "reviews.title")) } }
            @if user.has_role(Role::Resident) { a.button href="/me/record" { (t(lang, "timeline.my_record")) } }
        }
        (period_line(lang, today))
        div.cards.registry-cards { @for c in cards { (c) } }
    })
}

pub(super) fn period_line(lang: Lang, today: jiff::civil::Date) -> Markup {
    html! { p.source { (tf(lang, "registry.period", &[("date", &date(lang, today))])) } }
}

/// A register's card: how many are registered and each indicator with its source.
pub(super) fn disease_card(
    lang: Lang,
    template: &Template,
    counts: &RegisterCounts,
    href: Option<String>,
) -> Markup {
    let named = indicator_counts(template, counts);
    let heading = format!("card-{}", template.code);
    html! {
        section.card.disease-card aria-labelledby=(heading) {
            h3 id=(heading) { (disease_name(lang, template)) }
            p.card-figure {
                span.stat-label { (t(lang, "registry.registered")) }
                span.stat-value { (thousands(counts.registered as i64)) span.stat-unit { (t(lang, "registry.unit_people")) } }
            }
            dl.indicators {
                @for ind in template.indicators() {
                    dt { (pick(lang, &ind.name_zh, &ind.name_en)) }
                    dd {
                        @match ind.check(&named) {
                            Ok(r) => {
                                strong.rate { (percent(r.value)) }
                                " "
                                span.muted { "(" (thousands(r.numerator as i64)) " / " (thousands(r.denominator as i64)) ")" }
                            }
                            Err(IndicatorError::MissingCount(_)) => { (status_tag(t(lang, "registry.not_measured"), "muted")) }
                            Err(IndicatorError::ZeroDenominator(_)) => { span.muted { (t(lang, "registry.no_one")) } }
                            Err(IndicatorError::NumeratorExceedsDenominator { .. }) => { span.muted { (t(lang, "registry.inconsistent")) } }
                        }
                        span.citation { (citation_text(lang, template, &ind.citation)) }
                    }
                }
            }
            p.muted.standard { (pick(lang, &template.followup().standard_zh, &template.followup().standard_en)) }
            @if let Some(h) = href {
                a href=(h) { (t(lang, "registry.open_register")) span.visually-hidden { " " (disease_name(lang, template)) } }
            }
        }
    }
}

/// "来源：国家基本公共卫生服务规范（第三版），工作指标" with a mark when not yet confirmed.
pub(super) fn citation_text(lang: Lang, template: &Template, source: &diseases::Source) -> String {
    let title = template
        .citation(&source.citation)
        .map(|c| c.title.clone())
        .unwrap_or_else(|| source.citation.clone());
    let mut text = tf(
        lang,
        "registry.source",
        &[("title", &title), ("section", &source.section)],
    );
    if !source.confirmed {
        text.push_str(t(lang, "registry.unconfirmed"));
    }
    text
}

/// Which districts an official's aggregates cover: every district for city scope, else the
/// districts of their grants; `None` without aggregate rights.
pub(super) fn official_scope(user: &Principal) -> Option<Vec<String>> {
    let all = city::districts();
    if user
        .authorize(Permission::ViewAggregates, Target::City)
        .is_ok()
    {
        return Some(all.all().iter().map(|d| d.key.clone()).collect());
    }
    let own: Vec<String> = user
        .grants
        .iter()
        .filter(|g| g.role == Role::BureauOfficial)
        .filter_map(|g| match &g.scope {
            Scope::District(k) => Some(k.clone()),
            _ => None,
        })
        .filter(|k| {
            user.authorize(Permission::ViewAggregates, Target::District(k))
                .is_ok()
        })
        .collect();
    (!own.is_empty()).then_some(own)
}

/// The indicator districts are compared by: the control rate when the register measures one,
/// else the first indicator it can compute.
pub(super) fn comparison_indicator(template: &Template) -> Option<&diseases::Indicator> {
    let blank = RegisterCounts::default();
    let computable = |i: &&diseases::Indicator| {
        super::measured(&i.numerator, &blank).is_some()
            && super::measured(&i.denominator, &blank).is_some()
    };
    template
        .indicators()
        .iter()
        .filter(computable)
        .find(|i| i.numerator.ends_with("_controlled_last_visit"))
        .or_else(|| template.indicators().iter().find(computable))
}

async fn official_page(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    districts: &[String],
    chosen: Option<&str>,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let english = lang == Lang::En;
    let today = clinical::today();
    let catalogue = app.clinical.catalogue();
    let city_wide = districts.len() == city::districts().all().len();
    let scope_filter = super::drill::official_filter(districts);
    let mut cards = Vec::new();
    for template in catalogue.templates() {
        let counts = register_counts(app, template, scope_filter.clone(), today).await?;
        cards.push(disease_card(lang, template, &counts, None));
    }
    let Some(template) = chosen
        .and_then(|c| catalogue.get(c))
        .or_else(|| catalogue.templates().first())
    else {
        return Err(AppError::NotFound);
    };
    let by_district = register_counts_by(
        app,
        template,
        scope_filter,
        registry::Group::District,
        today,
    )
    .await?;
    let per_district: Vec<Compared> = districts
        .iter()
        .filter_map(|key| city::districts().by_key(key))
        .map(|d| Compared {
            name: d.name(english).to_owned(),
            href: Some(format!("/registry/{}/districts/{}", template.code, d.key)),
            counts: by_district
                .iter()
                .find(|(k, _)| *k == d.key)
                .map(|(_, c)| *c)
                .unwrap_or_default(),
        })
        .collect();
    let highlight = user
        .organisation
        .district
        .as_deref()
        .or(districts.first().filter(|_| !city_wide).map(String::as_str))
        .and_then(|k| city::districts().by_key(k))
        .map(|d| d.name(english).to_owned());
    let scope_name = if city_wide {
        t(lang, "scope.city").to_owned()
    } else {
        districts
            .iter()
            .map(|k| super::district_name(lang, Some(k)))
            .collect::<Vec<_>>()
            .join(if english { ", " } else { "、" })
    };
    Ok(html! {
        h1 { (t(lang, "registry.title")) }
        p.lead { (tf(lang, "registry.official_intro", &[("scope", &scope_name)])) }
        (period_line(lang, today))
        div.cards.registry-cards { @for c in cards { (c) } }
        h2 id="compare" { (t(lang, "registry.compare")) }
        nav.tabs aria-label=(t(lang, "registry.compare_disease")) {
            ul {
                @for tpl in catalogue.templates() {
                    li {
                        @if tpl.code == template.code {
                            a href={ "/registry?disease=" (tpl.code) "#compare" } aria-current="page" { (disease_name(lang, tpl)) }
                        } @else {
                            a href={ "/registry?disease=" (tpl.code) "#compare" } { (disease_name(lang, tpl)) }
                        }
                    }
                }
            }
        }
        (comparison(lang, template, &per_district, highlight, &tf(lang, "registry.period", &[("date", &date(lang, today))]), GroupLabels::districts(lang)))
        (super::drill::drill_list(lang, t(lang, "registry.district_details"), &per_district))
        p.actions {
            a.button.button-secondary href={ "/registry/" (template.code) "/districts.csv" } download {
                (t(lang, "registry.export_csv"))
            }
            a.button.button-secondary href={ "/registry/" (template.code) "/districts.xlsx" } download {
                (t(lang, "registry.export_xlsx"))
            }
        }
    })
}

/// One district or centre in a comparison, with its drill-down link.
pub struct Compared {
    pub name: String,
    pub href: Option<String>,
    pub counts: RegisterCounts,
}

/// The words of a comparison: by district or by community centre.
pub struct GroupLabels {
    pub header: &'static str,
    pub chart_registered: &'static str,
    pub id: &'static str,
}

impl GroupLabels {
    pub fn districts(lang: Lang) -> Self {
        GroupLabels {
            header: t(lang, "home.district"),
            chart_registered: "registry.chart_registered",
            id: "registry",
        }
    }

    pub fn centres(lang: Lang) -> Self {
        GroupLabels {
            header: t(lang, "registry.centre"),
            chart_registered: "registry.chart_registered_centres",
            id: "registry-centres",
        }
    }
}

/// Bar charts of the registered and of the comparison indicator, each with its table (the
/// first cell of each row links to the drill-down).
pub(super) fn comparison(
    lang: Lang,
    template: &Template,
    per_group: &[Compared],
    highlight: Option<String>,
    period: &str,
    labels: GroupLabels,
) -> Markup {
    let chart_lang = if lang == Lang::En {
        charts::Lang::En
    } else {
        charts::Lang::Zh
    };
    let disease = disease_name(lang, template);
    let names: Vec<String> = per_group.iter().map(|g| g.name.clone()).collect();
    let registered = ChartData {
        categories: names.clone(),
        series: vec![Series::new(
            t(lang, "registry.registered"),
            per_group
                .iter()
                .map(|g| g.counts.registered as f64)
                .collect(),
        )],
        unit: t(lang, "registry.unit_people").to_owned(),
    };
    let options = |id: &str, title: String| ChartOptions {
        id: id.to_owned(),
        title,
        no_data: t(lang, "home.no_data").to_owned(),
        lang: chart_lang,
        highlight: highlight.clone(),
        ..ChartOptions::default()
    };
    let bar = BarChart {
        options: options(
            &format!("{}-registered", labels.id),
            tf(lang, labels.chart_registered, &[("disease", disease)]),
        ),
        orientation: Orientation::Horizontal,
    }
    .render(&registered);
    let registered_rows: Vec<(Option<String>, Vec<String>)> = per_group
        .iter()
        .map(|g| {
            (
                g.href.clone(),
                vec![g.name.clone(), thousands(g.counts.registered as i64)],
            )
        })
        .collect();
    let registered_headers = vec![
        labels.header.to_owned(),
        t(lang, "registry.registered").to_owned(),
    ];

    let rate = comparison_indicator(template).map(|ind| {
        let ratios: Vec<Option<diseases::Ratio>> = per_group
            .iter()
            .map(|g| ind.evaluate(&indicator_counts(template, &g.counts)))
            .collect();
        let data = ChartData {
            categories: names.clone(),
            series: vec![Series::new(
                pick(lang, &ind.name_zh, &ind.name_en),
                ratios
                    .iter()
                    .map(|r| r.map_or(f64::NAN, |r| r.percent()))
                    .collect(),
            )],
            unit: "%".to_owned(),
        };
        let svg = BarChart {
            options: ChartOptions {
                decimals: Some(1),
                ..options(
                    &format!("{}-rate", labels.id),
                    format!("{} · {}", disease, pick(lang, &ind.name_zh, &ind.name_en)),
                )
            },
            orientation: Orientation::Horizontal,
        }
        .render(&data);
        let headers = vec![
            labels.header.to_owned(),
            t(lang, "registry.numerator").to_owned(),
            t(lang, "registry.denominator").to_owned(),
            pick(lang, &ind.name_zh, &ind.name_en).to_owned(),
        ];
        let rows: Vec<(Option<String>, Vec<String>)> = per_group
            .iter()
            .zip(&ratios)
            .map(|(g, r)| {
                let cells = match r {
                    Some(r) => vec![
                        g.name.clone(),
                        thousands(r.numerator as i64),
                        thousands(r.denominator as i64),
                        percent(r.value),
                    ],
                    None => vec![
                        g.name.clone(),
                        "—".into(),
                        "—".into(),
                        t(lang, "registry.no_one").to_owned(),
                    ],
                };
                (g.href.clone(), cells)
            })
            .collect();
        let source = format!(
            "{}{}{}",
            citation_text(lang, template, &ind.citation),
            if lang == Lang::En { "; " } else { "；" },
            period
        );
        (svg, headers, rows, source)
    });
    html! {
        (super::linked_chart_figure(lang, &bar, &registered_headers, &registered_rows, period))
        @if let Some((svg, headers, rows, source)) = rate {
            (super::linked_chart_figure(lang, &svg, &headers, &rows, &source))
        }
    }
}
