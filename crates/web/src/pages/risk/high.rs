//! `GET /risk/high`: the high-risk residents within a community doctor's reach, highest risk
//! first, each with the factor that raises their risk most. The residents come from the
//! register rows of the doctor's reach (consent applies there, ADR 0012); names are masked as
//! on the work list; each resident shown is recorded on the ledger (purpose CAREMGT).

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use kernel::mask_name;
use ledger::PurposeOfUse;
use maud::html;
use registry::RegisterRow;

use super::{band_tag, factor_name, model, percent, record_views, scores_error};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::figures::thousands;
use crate::i18n::{t, tf};
use crate::layout::{page, stat};
use crate::pages::registry::{
    actor, age, clinical_error, district_name, registry_error, rows_in_reach, sex,
};
use crate::state::AppState;

struct Item<'a> {
    score: &'a risk::population::Score,
    row: Option<&'a RegisterRow>,
    name: String,
}

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    let actor = actor(&user);
    if !actor.write {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let model = match model() {
        Ok(m) => m,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let reach = match app.clinical.register_reach(&actor).await {
        Ok(r) => r,
        Err(e) => return ctx.page_error(clinical_error(e)).into_response(),
    };
    let rows = match rows_in_reach(&app, &reach).await {
        Ok(r) => r,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let mut by_resident: HashMap<&str, &RegisterRow> = HashMap::new();
    for row in &rows {
        by_resident
            .entry(row.enrolment.resident_id.as_str())
            .or_insert(row);
    }
    let mut ids: Vec<String> = by_resident.keys().map(|k| (*k).to_owned()).collect();
    ids.sort();
    let scores = match app
        .risk
        .of_residents(&ids, Some(app.risk.high_band()))
        .await
    {
        Ok(s) => s,
        Err(e) => return ctx.page_error(scores_error(e)).into_response(),
    };
    let assessed = match app.risk.of_residents(&ids, None).await {
        Ok(s) => s
            .iter()
            .filter(|s| s.status() == risk::population::Status::Assessed)
            .count(),
        Err(e) => return ctx.page_error(scores_error(e)).into_response(),
    };

    let mut items = Vec::new();
    for score in &scores {
        let id = score.resident_id.as_str();
        match app.clinical.may_see_resident(&actor, id).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => return ctx.page_error(clinical_error(e)).into_response(),
        }
        let name = match app.clinical.residents().resident(id).await {
            Ok(r) => r
                .and_then(|r| r.facts.name)
                .map(|n| mask_name(&n))
                .unwrap_or_else(|| "—".into()),
            Err(e) => return ctx.page_error(registry_error(e)).into_response(),
        };
        items.push(Item {
            score,
            row: by_resident.get(id).copied(),
            name,
        });
    }
    let shown: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i.score.resident_id.clone(),
                serde_json::to_string(i.score).unwrap_or_default(),
            )
        })
        .collect();
    record_views(
        &app,
        &actor,
        "risk.high_list",
        &shown,
        PurposeOfUse::CareManagement,
    )
    .await;

    let today = clinical::today();
    let h_name = t(lang, "registry.name");
    let h_person = t(lang, "risk.high.h_person");
    let h_district = t(lang, "risk.high.h_district");
    let h_risk = t(lang, "risk.high.h_risk");
    let h_top = t(lang, "risk.high.h_top");
    let body = html! {
        h1 { (t(lang, "risk.high.title")) }
        p.lead { (t(lang, "risk.high.intro")) }
        div.stats.stats-compact {
            (stat(t(lang, "risk.high.count"), &thousands(items.len() as i64), t(lang, "risk.unit_people")))
            (stat(t(lang, "risk.high.assessed"), &thousands(assessed as i64), t(lang, "risk.unit_people")))
            (stat(t(lang, "risk.high.in_reach"), &thousands(ids.len() as i64), t(lang, "risk.unit_people")))
        }
        p.actions {
            a.button.button-secondary href="/worklist" { (t(lang, "worklist.title")) }
            a.button.button-secondary href="/risk/china-par" { (t(lang, "risk.calc.title")) }
        }
        @if items.is_empty() {
            p.muted { (t(lang, "risk.high.empty")) }
        } @else {
            div.table-wrap {
                table.worklist.risk-high {
                    thead { tr {
                        th scope="col" { (h_name) }
                        th scope="col" { (h_person) }
                        th scope="col" { (h_district) }
                        th scope="col" { (h_risk) }
                        th scope="col" { (h_top) }
                    } }
                    tbody {
                        @for item in &items {
                            @let s = item.score;
                            tr {
                                th scope="row" data-label=(h_name) { a href={ "/residents/" (s.resident_id) } { (item.name) } }
                                td data-label=(h_person) {
                                    (sex(lang, item.row.and_then(|r| r.sex.as_deref())))
                                    " · "
                                    (age(lang, item.row.and_then(|r| r.birth_date), today))
                                }
                                td data-label=(h_district) { (district_name(lang, s.district.as_deref())) }
                                td.nowrap data-label=(h_risk) {
                                    strong { (s.risk_percent().map(percent).unwrap_or_default()) }
                                    " " (band_tag(lang, s.band().unwrap_or("high")))
                                }
                                td data-label=(h_top) {
                                    @match &s.outcome {
                                        risk::population::Outcome::Assessed { top_factor: Some(f), .. } => { (factor_name(lang, model, *f)) }
                                        _ => { "—" }
                                    }
                                    @let assumed = s.assumed().count();
                                    @if assumed > 0 {
                                        br;
                                        span.muted { (tf(lang, "risk.high.assumed", &[("n", &assumed.to_string())])) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p.source { (t(lang, "risk.high.source")) }
    };
    page(&ctx, t(lang, "risk.high.title"), body).into_response()
}
