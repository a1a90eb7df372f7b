//! `GET /risk`: the population's China-PAR risk by district for officials: a stacked bar of
//! low, medium and high risk with the same figures as a table, and how many residents were
//! assessed, refused (outside the model's population) or could not be assessed. Counts
//! only; no one is named.

use access::{Permission, Principal, Role, Scope, Target};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use charts::{ChartData, ChartOptions, Orientation, Series, StackedBarChart};
use kernel::Lang;
use maud::html;
use risk::population::DistrictCounts;

use super::{model, scores_error};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::figures::thousands;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, data_table, page, stat};
use crate::pages::registry::district_name;
use crate::state::AppState;

/// The districts an official sees: every one (and residents without one) with city-wide
/// aggregates, else their own districts. `None` for everyone else.
fn official_districts(user: &Principal) -> Option<(bool, Vec<String>)> {
    if user
        .authorize(Permission::ViewAggregates, Target::City)
        .is_ok()
    {
        let all = city::districts()
            .all()
            .iter()
            .map(|d| d.key.clone())
            .collect();
        return Some((true, all));
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
    (!own.is_empty()).then_some((false, own))
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".to_owned()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    let Some((city_wide, districts)) = official_districts(&user) else {
        return ctx.page_error(AppError::Forbidden).into_response();
    };
    let model = match model() {
        Ok(m) => m,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let counts = match app.risk.by_district().await {
        Ok(c) => c,
        Err(e) => return ctx.page_error(scores_error(e)).into_response(),
    };
    // In the city's district order; residents without a district only for the city view.
    let mut shown: Vec<DistrictCounts> = Vec::new();
    for key in &districts {
        if let Some(c) = counts.iter().find(|c| c.district.as_deref() == Some(key)) {
            shown.push(c.clone());
        }
    }
    if city_wide {
        shown.extend(
            counts
                .iter()
                .filter(|c| {
                    c.district
                        .as_deref()
                        .is_none_or(|d| !districts.iter().any(|k| k == d))
                })
                .cloned(),
        );
    }
    let bands: Vec<(String, String)> = model
        .data()
        .bands
        .iter()
        .map(|b| {
            (
                b.key.clone(),
                t(lang, &format!("risk.band_{}", b.key)).to_owned(),
            )
        })
        .collect();
    let total = |f: &dyn Fn(&DistrictCounts) -> u64| shown.iter().map(f).sum::<u64>();
    let assessed = total(&|c| c.assessed());
    let refused = total(&|c| c.refused);
    let not_assessable = total(&|c| c.not_assessable);
    let high = total(&|c| c.band(app.risk.high_band()));
    let name = |c: &DistrictCounts| match &c.district {
        Some(_) => district_name(lang, c.district.as_deref()),
        None => t(lang, "risk.dash.no_district").to_owned(),
    };

    let data = ChartData {
        categories: shown.iter().map(name).collect(),
        series: bands
            .iter()
            .map(|(key, label)| {
                Series::new(
                    label.clone(),
                    shown.iter().map(|c| c.band(key) as f64).collect(),
                )
            })
            .collect(),
        unit: t(lang, "risk.unit_people").to_owned(),
    };
    let chart = |width: f64, id: &str| {
        StackedBarChart {
            options: ChartOptions {
                id: id.to_owned(),
                title: t(lang, "risk.dash.chart").to_owned(),
                no_data: t(lang, "risk.no_data").to_owned(),
                lang: if lang == Lang::En {
                    charts::Lang::En
                } else {
                    charts::Lang::Zh
                },
                decimals: Some(0),
                width,
                ..ChartOptions::default()
            },
            orientation: Orientation::Horizontal,
        }
        .render(&data)
    };
    let svg = format!(
        "<div class=\"risk-chart-wide\">{}</div><div class=\"risk-chart-narrow\">{}</div>",
        chart(720.0, "risk-bands-wide"),
        chart(360.0, "risk-bands-narrow")
    );
    let mut headers = vec![t(lang, "risk.dash.h_district").to_owned()];
    headers.extend(bands.iter().map(|(_, l)| l.clone()));
    headers.extend([
        t(lang, "risk.dash.h_high_share").to_owned(),
        t(lang, "risk.dash.assessed").to_owned(),
        t(lang, "risk.dash.refused").to_owned(),
        t(lang, "risk.dash.not_assessable").to_owned(),
    ]);
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|c| {
            let mut row = vec![name(c)];
            row.extend(bands.iter().map(|(k, _)| thousands(c.band(k) as i64)));
            row.extend([
                share(c.band(app.risk.high_band()), c.assessed()),
                thousands(c.assessed() as i64),
                thousands(c.refused as i64),
                thousands(c.not_assessable as i64),
            ]);
            row
        })
        .collect();
    let people = t(lang, "risk.unit_people");
    let body = html! {
        h1 { (t(lang, "risk.dash.title")) }
        p.lead { (t(lang, if city_wide { "risk.dash.intro_city" } else { "risk.dash.intro_district" })) }
        div.stats {
            (stat(t(lang, "risk.dash.assessed"), &thousands(assessed as i64), people))
            (stat(t(lang, "risk.dash.high"), &thousands(high as i64), people))
            (stat(t(lang, "risk.dash.high_share"), &share(high, assessed), ""))
            (stat(t(lang, "risk.dash.refused"), &thousands(refused as i64), people))
            (stat(t(lang, "risk.dash.not_assessable"), &thousands(not_assessable as i64), people))
        }
        div.risk-bands.risk-tables {
            (chart_figure(lang, &svg, &headers, &rows, t(lang, "risk.dash.source")))
            h2 { (t(lang, "risk.dash.table")) }
            (data_table(&headers, &rows))
        }
        h2 { (t(lang, "risk.dash.reading")) }
        ul {
            li { (t(lang, "risk.dash.refused_means")) }
            li { (t(lang, "risk.dash.not_assessable_means")) }
            li { (t(lang, "risk.dash.assumptions")) }
        }
        p { a href="/risk/models" { (t(lang, "risk.models.title")) " →" } }
        p.source { (tf(lang, "risk.dash.model", &[("version", &model.card().version)])) }
    };
    page(&ctx, t(lang, "risk.dash.title"), body).into_response()
}
