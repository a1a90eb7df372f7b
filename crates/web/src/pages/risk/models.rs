//! `GET /risk/models`: the model registry. Each card: version, source, population, inputs,
//! limits and validation: for China-PAR its reproduction of the paper's published results
//! (Table 2 and the 2019 guideline's example), computed here as the page is drawn; and
//! discrimination and calibration on registry data where outcomes exist, or the statement
//! that none exist yet.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use kernel::Lang;
use maud::{Markup, html};
use risk::china_par::{ChinaPar, CholesterolUnit, Input, Sex};
use risk::{ModelCard, ModelKind, Registry};

use super::{band_tag, model, percent};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{data_table, page, status_tag};
use crate::state::AppState;

fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

pub async fn show(State(_app): State<AppState>, Signed { ctx, .. }: Signed) -> Response {
    let lang = ctx.lang;
    let registry = match Registry::builtin() {
        Ok(r) => r,
        Err(e) => {
            return ctx
                .page_error(AppError::Internal(e.to_string()))
                .into_response();
        }
    };
    let china_par = match model() {
        Ok(m) => m,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let body = html! {
        h1 { (t(lang, "risk.models.title")) }
        p.lead { (t(lang, "risk.models.intro")) }
        @for card in registry.cards() {
            (card_section(lang, card, (card.id == china_par.card().id).then_some(china_par)))
        }
    };
    page(&ctx, t(lang, "risk.models.title"), body).into_response()
}

fn card_section(lang: Lang, card: &ModelCard, china_par: Option<&ChinaPar>) -> Markup {
    let heading = format!("model-{}", card.id);
    let citation = card.citations.iter().find(|c| c.id == card.source.citation);
    let p = &card.population;
    html! {
        section.card.model-card aria-labelledby=(heading) {
            h2 id=(heading) { (pick(lang, &card.name_zh, &card.name_en)) }
            dl.summary {
                dt { (t(lang, "risk.models.version")) }
                dd { code { (card.version) } }
                dt { (t(lang, "risk.models.kind")) }
                dd { (t(lang, match card.kind {
                    ModelKind::PublishedEquation => "risk.models.kind_published",
                    ModelKind::TrainedOnRegistry => "risk.models.kind_trained",
                })) }
                dt { (t(lang, "risk.models.outcome")) }
                dd {
                    (pick(lang, &card.outcome_zh, &card.outcome_en))
                    @if let Some(h) = card.horizon_years { " · " (tf(lang, "risk.models.horizon", &[("years", &h.to_string())])) }
                }
                dt { (t(lang, "risk.models.source")) }
                dd {
                    @if let Some(c) = citation { (c.title) br; span.muted { (c.source) } br; }
                    span.muted { (card.source.section) }
                    @if !card.source.confirmed { " " (status_tag(t(lang, "risk.models.unconfirmed"), "muted")) }
                }
                dt { (t(lang, "risk.models.population")) }
                dd {
                    (tf(lang, "risk.models.ages", &[("min", &p.age_min.to_string()), ("max", &p.age_max.to_string())]))
                    @if !p.requires_any.is_empty() {
                        br; (t(lang, "risk.models.requires")) " "
                        (p.requires_any.iter().map(|c| pick(lang, &c.name_zh, &c.name_en)).collect::<Vec<_>>().join(" / "))
                    }
                    @if !p.excludes.is_empty() {
                        br; (t(lang, "risk.models.excludes")) " "
                        (p.excludes.iter().map(|c| pick(lang, &c.name_zh, &c.name_en)).collect::<Vec<_>>().join(" / "))
                    }
                }
                dt { (t(lang, "risk.models.inputs")) }
                dd {
                    (card.inputs.iter().map(|i| match &i.unit {
                        Some(u) => format!("{} ({u})", pick(lang, &i.name_zh, &i.name_en)),
                        None => pick(lang, &i.name_zh, &i.name_en).to_owned(),
                    }).collect::<Vec<_>>().join(if lang == Lang::Zh { "、" } else { ", " }))
                }
            }
            @if !card.limits.is_empty() {
                h3 { (t(lang, "risk.models.limits")) }
                ul { @for l in &card.limits { li { (pick(lang, &l.zh, &l.en)) } } }
            }
            h3 { (t(lang, "risk.models.validation")) }
            @if let Some(model) = china_par { (reproduction(lang, model)) }
            h4 { (t(lang, "risk.models.measured")) }
            @match &card.measured {
                Some(v) => {
                    dl.summary {
                        dt { (t(lang, "risk.models.n")) } dd { (v.n) " (" (tf(lang, "risk.models.events", &[("n", &v.events.to_string())])) ")" }
                        dt { "AUC (C)" } dd { (v.auc.map(|a| format!("{a:.3}")).unwrap_or_else(|| "—".into())) }
                        @if let Some(c) = &v.calibration {
                            dt { (t(lang, "risk.models.oe")) } dd { (c.observed_to_expected.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())) }
                            dt { (t(lang, "risk.models.slope")) } dd { (c.slope.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())) }
                            dt { "Hosmer–Lemeshow" } dd { (format!("{:.2}", c.hosmer_lemeshow)) " (df " (c.degrees_of_freedom) ")" }
                        }
                    }
                }
                None => {
                    p.notice { (t(lang, match card.kind {
                        ModelKind::PublishedEquation => "risk.models.no_outcomes",
                        ModelKind::TrainedOnRegistry => "risk.models.not_trained",
                    })) }
                }
            }
        }
    }
}

/// The paper's Table 2 profile at each printed age, and the guideline's example, recomputed.
fn reproduction(lang: Lang, model: &ChinaPar) -> Markup {
    let d = model.data();
    let w = &d.worked_example;
    let at = |sex: Sex, age: f64| Input {
        sex: Some(sex),
        age: Some(age),
        sbp_mmhg: Some(w.sbp_mmhg),
        on_bp_treatment: w.on_bp_treatment,
        total_cholesterol: Some(w.total_cholesterol_mg_dl),
        hdl_cholesterol: Some(w.hdl_cholesterol_mg_dl),
        cholesterol_unit: CholesterolUnit::MgPerDl,
        waist_cm: Some(w.waist_cm),
        smoker: w.smoker,
        diabetes: w.diabetes,
        north: w.north,
        urban: w.urban,
        family_history: w.family_history,
        has_ascvd: false,
    };
    let tolerance = d.validation.tolerance_points;
    let mut rows = Vec::new();
    for (sex, printed) in [
        (Sex::Male, &d.validation.men),
        (Sex::Female, &d.validation.women),
    ] {
        for p in printed {
            let computed = model.assess(&at(sex, p.age)).map(|a| a.risk_percent).ok();
            let ok = computed.is_some_and(|c| (c - p.risk_percent).abs() <= tolerance);
            rows.push(vec![
                format!(
                    "{} · {}",
                    t(
                        lang,
                        if sex == Sex::Male {
                            "risk.sex_male"
                        } else {
                            "risk.sex_female"
                        }
                    ),
                    tf(lang, "risk.models.age", &[("age", &p.age.to_string())])
                ),
                format!("{:.1}%", p.risk_percent),
                computed
                    .map(|c| format!("{c:.2}%"))
                    .unwrap_or_else(|| "—".into()),
                computed
                    .map(|c| format!("{:+.2}", c - p.risk_percent))
                    .unwrap_or_else(|| "—".into()),
                t(
                    lang,
                    if ok {
                        "risk.models.within"
                    } else {
                        "risk.models.outside"
                    },
                )
                .to_owned(),
            ]);
        }
    }
    let g = &d.validation.guideline_example;
    let guideline = model
        .assess(&Input {
            sex: Some(g.sex),
            age: Some(g.age),
            sbp_mmhg: Some(g.sbp_mmhg),
            on_bp_treatment: g.on_bp_treatment,
            total_cholesterol: Some(g.total_cholesterol_mmol_l),
            hdl_cholesterol: Some(g.hdl_cholesterol_mmol_l),
            cholesterol_unit: CholesterolUnit::MmolPerL,
            waist_cm: Some(g.waist_cm),
            smoker: g.smoker,
            diabetes: g.diabetes,
            north: g.north,
            urban: g.urban,
            family_history: g.family_history,
            has_ascvd: false,
        })
        .ok();
    let headers = vec![
        t(lang, "risk.models.h_profile").to_owned(),
        t(lang, "risk.models.h_printed").to_owned(),
        t(lang, "risk.models.h_computed").to_owned(),
        t(lang, "risk.models.h_difference").to_owned(),
        tf(
            lang,
            "risk.models.h_check",
            &[("tolerance", &tolerance.to_string())],
        ),
    ];
    html! {
        h4 { (t(lang, "risk.models.published")) }
        p { (t(lang, "risk.models.table2")) }
        div.risk-tables { (data_table(&headers, &rows)) }
        p.source { (d.validation.source.section) }
        @if let Some(a) = guideline {
            p {
                (tf(lang, "risk.models.guideline", &[
                    ("printed", &format!("{:.1}%", g.risk_percent)),
                    ("computed", &percent(a.risk_percent)),
                ]))
                " " (band_tag(lang, &a.band.key))
            }
        }
    }
}
