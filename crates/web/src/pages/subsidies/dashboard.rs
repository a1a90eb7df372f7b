//! `GET /industry`: the industry side at a glance for the bureaus: companies by cultivation
//! tier and by district, the drug pipeline against the seeds' target, money committed and
//! paid against the programmes' budgets, and the hospitals' adoption of listed products. Each
//! chart has its table and links to the page where the figures are kept.

use std::collections::BTreeMap;

use access::{Principal, Role};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use charts::{BarChart, ChartData, ChartOptions, Orientation, Series};
use kernel::Lang;
use maud::{Markup, html};

use super::super::registry::pick;
use super::money;
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, page, stat};
use crate::state::AppState;

/// Clinical-stage innovative drug filings the city aims for by 2023 (nanjing-2022 二、主要目标:
/// "到2023年，全市临床创新药申报累计超50个以上").
const DRUG_FILINGS_TARGET: u64 = 50;

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    match render(&app, &ctx, &user).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

fn bar(lang: Lang, id: &str, title: &str, data: &ChartData, horizontal: bool) -> String {
    BarChart {
        options: ChartOptions {
            id: id.into(),
            title: title.to_owned(),
            // Each chart sits under a heading that says the same.
            title_hidden: true,
            no_data: t(lang, "home.no_data").to_owned(),
            lang: if lang == Lang::En {
                charts::Lang::En
            } else {
                charts::Lang::Zh
            },
            decimals: Some(0),
            ..ChartOptions::default()
        },
        orientation: if horizontal {
            Orientation::Horizontal
        } else {
            Orientation::Vertical
        },
    }
    .render(data)
}

fn table(data: &ChartData, first: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut headers = vec![first.to_owned()];
    headers.extend(data.series.iter().map(|s| s.name.clone()));
    let rows = data
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut row = vec![c.clone()];
            row.extend(
                data.series
                    .iter()
                    .map(|s| format!("{}", s.values.get(i).copied().unwrap_or(0.0))),
            );
            row
        })
        .collect();
    (headers, rows)
}

async fn render(app: &AppState, ctx: &Ctx, user: &Principal) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    if !(user.has_role(Role::BureauOfficial) || user.has_role(Role::PlatformAdmin)) {
        return Err(AppError::Forbidden);
    }
    let internal = |e: String| AppError::Internal(e);
    let today = app.awards.now().city_date();
    let year = i32::from(today.year());
    let demo = app.settings.demo.is_some();

    // Companies by tier: the latest published year of each scheme.
    let mut tiers: BTreeMap<(String, String), u32> = BTreeMap::new();
    for y in [year, year - 1] {
        for c in app
            .cultivation
            .counts_by_pool_and_district(y)
            .await
            .map_err(|e| internal(e.to_string()))?
        {
            *tiers.entry((c.scheme.clone(), c.pool.clone())).or_default() += c.count;
        }
        if !tiers.is_empty() {
            break;
        }
    }
    let schemes = app.cultivation.schemes();
    let pool_name = |scheme: &str, pool: &str| {
        schemes
            .scheme(scheme)
            .and_then(|s| s.pools.iter().find(|p| p.id == pool))
            .map(|p| pick(lang, &p.name_zh, &p.name_en).to_owned())
            .unwrap_or_else(|| pool.to_owned())
    };
    // Tiers in the order their scheme lists them (leading first), not by their ids.
    let position = |scheme: &str, pool: &str| {
        schemes
            .scheme(scheme)
            .and_then(|s| s.pools.iter().position(|p| p.id == pool))
            .unwrap_or(usize::MAX)
    };
    let mut tiers: Vec<((String, String), u32)> = tiers.into_iter().collect();
    tiers.sort_by_key(|((s, p), _)| (s.clone(), position(s, p)));
    let tier_data = ChartData {
        categories: tiers.iter().map(|((s, p), _)| pool_name(s, p)).collect(),
        series: vec![Series::new(
            t(lang, "subsidies.dash.members"),
            tiers.iter().map(|(_, v)| f64::from(*v)).collect(),
        )],
        unit: t(lang, "subsidies.dash.companies_unit").to_owned(),
    };
    let by_district = app
        .industry
        .companies_by_district()
        .await
        .map_err(|e| internal(e.to_string()))?;
    let district_name = |key: &str| {
        city::districts()
            .by_key(key)
            .map(|d| d.name(lang == Lang::En).to_owned())
            .unwrap_or_else(|| key.to_owned())
    };
    let district_data = ChartData {
        categories: by_district.iter().map(|(d, _)| district_name(d)).collect(),
        series: vec![Series::new(
            t(lang, "subsidies.dash.companies"),
            by_district.iter().map(|(_, n)| *n as f64).collect(),
        )],
        unit: t(lang, "subsidies.dash.companies_unit").to_owned(),
    };
    let funnel = app
        .industry
        .pipeline_funnel(industry::company::CITY)
        .await
        .map_err(|e| internal(e.to_string()))?;
    let in_clinic: u64 = funnel
        .iter()
        .find(|(s, _)| *s == industry::Stage::Phase1Entered)
        .map(|(_, n)| *n)
        .unwrap_or(0);
    let funnel_data = ChartData {
        categories: funnel
            .iter()
            .map(|(s, _)| pick(lang, s.zh(), s.en()).to_owned())
            .collect(),
        series: vec![Series::new(
            t(lang, "subsidies.dash.drugs"),
            funnel.iter().map(|(_, n)| *n as f64).collect(),
        )],
        unit: t(lang, "subsidies.dash.drugs_unit").to_owned(),
    };
    let programmes = app.awards.programmes().await.map_err(super::awards_error)?;
    let mut budget = (0i64, 0i64, 0i64);
    for p in &programmes {
        let b = app
            .awards
            .budget(&p.id)
            .await
            .map_err(super::awards_error)?;
        budget.0 += b.budget_yuan;
        budget.1 += b.committed_yuan;
        budget.2 += b.disbursed_yuan;
    }
    let adoption = app
        .greenchannel
        .adoption_by_hospital(user, today)
        .await
        .unwrap_or_default();
    let adoption_data = ChartData {
        categories: adoption.iter().map(|h| h.hospital_name.clone()).collect(),
        series: vec![
            Series::new(
                t(lang, "subsidies.dash.on_time"),
                adoption
                    .iter()
                    .map(|h| f64::from(h.adopted_on_time))
                    .collect(),
            ),
            Series::new(
                t(lang, "subsidies.dash.late"),
                adoption.iter().map(|h| f64::from(h.adopted_late)).collect(),
            ),
            Series::new(
                t(lang, "subsidies.dash.overdue"),
                adoption.iter().map(|h| f64::from(h.overdue)).collect(),
            ),
        ],
        unit: t(lang, "subsidies.dash.products_unit").to_owned(),
    };
    let note = t(
        lang,
        if demo {
            "subsidies.dash.note_demo"
        } else {
            "subsidies.dash.note"
        },
    );
    let figure = |id: &str, title: &str, data: &ChartData, first: &str, horizontal: bool| {
        let (h, r) = table(data, first);
        chart_figure(lang, &bar(lang, id, title, data, horizontal), &h, &r, note)
    };
    Ok(page(
        ctx,
        t(lang, "subsidies.dash.title"),
        html! { div.subsidies {
            h1 { (t(lang, "subsidies.dash.title")) }
            p.lead { (t(lang, "subsidies.dash.intro")) }
            div.stats {
                (stat(t(lang, "subsidies.dash.registered"), &by_district.iter().map(|(_, n)| n).sum::<u64>().to_string(), ""))
                (stat(t(lang, "subsidies.dash.in_clinic"), &format!("{in_clinic} / {DRUG_FILINGS_TARGET}"), ""))
                (stat(t(lang, "subsidies.budget"), &money(lang, budget.0), ""))
                (stat(t(lang, "subsidies.committed"), &money(lang, budget.1), ""))
                (stat(t(lang, "subsidies.disbursed"), &money(lang, budget.2), ""))
            }
            div.grid-2 {
                section.card {
                    h2 { (t(lang, "subsidies.dash.tiers")) }
                    (figure("dash-tiers", t(lang, "subsidies.dash.tiers"), &tier_data, t(lang, "subsidies.dash.pool"), true))
                    p { a href="/pools" { (t(lang, "subsidies.dash.to_pools")) } }
                }
                section.card {
                    h2 { (t(lang, "subsidies.dash.districts")) }
                    (figure("dash-districts", t(lang, "subsidies.dash.districts"), &district_data, t(lang, "subsidies.dash.district"), true))
                    p { a href="/companies" { (t(lang, "subsidies.dash.to_companies")) } }
                }
                section.card {
                    h2 { (t(lang, "subsidies.dash.funnel")) }
                    p.hint { (tf(lang, "subsidies.dash.target", &[("n", &DRUG_FILINGS_TARGET.to_string())])) }
                    (figure("dash-funnel", t(lang, "subsidies.dash.funnel"), &funnel_data, t(lang, "subsidies.dash.stage"), true))
                }
                section.card {
                    h2 { (t(lang, "subsidies.dash.adoption")) }
                    (figure("dash-adoption", t(lang, "subsidies.dash.adoption"), &adoption_data, t(lang, "subsidies.dash.hospital"), true))
                    p { a href="/products/adoption" { (t(lang, "subsidies.dash.to_products")) } }
                }
            }
            section.card {
                h2 { (t(lang, "subsidies.programmes")) }
                p { a href="/subsidies" { (t(lang, "subsidies.dash.to_subsidies")) } }
            }
        } },
    ))
}
