//! Risk (issue 4, "Risk models"; ADR 0009): the China-PAR calculator (`/risk/china-par`), a
//! resident's own latest assessment (`/me/risk`), the community doctor's high-risk list
//! (`/risk/high`), the officials' population distribution by district (`/risk`) and the
//! model registry (`/risk/models`).
//!
//! The calculator is a what-if: it neither stores nor logs what is entered. The other pages
//! read the population scores (`risk::Scores`), which are health data: a doctor sees only the
//! residents in their reach (consent applies, ADR 0012) and each view is on the ledger;
//! officials see counts only.

pub mod calculator;
pub mod dashboard;
pub mod high;
pub mod mine;
pub mod models;

use axum::Router;
use axum::routing::get;
use kernel::Lang;
use ledger::{AuditEvent, PurposeOfUse};
use maud::{Markup, html};
use risk::china_par::{Band, ChinaPar, Factor};
use risk::population::{InputKey, InputSource, InputValue, UsedInput};

use crate::i18n::{t, tf};
use crate::layout::status_tag;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/risk", get(dashboard::show))
        .route("/risk/models", get(models::show))
        .route(
            "/risk/china-par",
            get(calculator::form).post(calculator::submit),
        )
        .route("/risk/high", get(high::show))
        .route("/me/risk", get(mine::show))
}

/// The model, or an internal error (its data file is checked by the risk crate's tests).
pub(crate) fn model() -> Result<&'static ChinaPar, crate::error::AppError> {
    ChinaPar::builtin().map_err(|e| crate::error::AppError::Internal(e.to_string()))
}

/// `12.3%`: risks are shown to one decimal.
pub(crate) fn percent(value: f64) -> String {
    format!("{:.1}%", value)
}

/// The band in words and colour.
pub(crate) fn band_tag(lang: Lang, key: &str) -> Markup {
    let tone = match key {
        "low" => "ok",
        "medium" => "warn",
        _ => "error",
    };
    status_tag(t(lang, &format!("risk.band_{key}")), tone)
}

/// A band as computed by the model.
pub(crate) fn band_of(lang: Lang, band: &Band) -> Markup {
    band_tag(lang, &band.key)
}

/// A factor's name from the model's data.
pub(crate) fn factor_name(lang: Lang, model: &ChinaPar, factor: Factor) -> String {
    model
        .data()
        .factors
        .iter()
        .find(|f| f.key == factor)
        .map(|f| match lang {
            Lang::Zh => f.name_zh.clone(),
            Lang::En => f.name_en.clone(),
        })
        .unwrap_or_default()
}

/// An input's label.
pub(crate) fn input_label(lang: Lang, key: InputKey) -> &'static str {
    t(lang, &format!("risk.input.{}", key.code()))
}

/// An input's value in words.
pub(crate) fn input_value(lang: Lang, input: &UsedInput) -> String {
    match (&input.value, input.key) {
        (InputValue::Sex { sex }, _) => match sex {
            risk::china_par::Sex::Male => t(lang, "risk.sex_male").to_owned(),
            risk::china_par::Sex::Female => t(lang, "risk.sex_female").to_owned(),
        },
        (InputValue::Number { value }, key) => {
            let unit = match key {
                InputKey::Age => t(lang, "risk.unit_years"),
                InputKey::SbpMmhg => "mmHg",
                InputKey::WaistCm => "cm",
                _ => "mmol/L",
            };
            format!("{} {unit}", (value * 100.0).round() / 100.0)
        }
        (InputValue::Flag { value }, _) => {
            t(lang, if *value { "risk.yes" } else { "risk.no" }).to_owned()
        }
    }
}

/// Where an input came from, in words.
pub(crate) fn input_source(app: &AppState, lang: Lang, input: &UsedInput) -> String {
    match &input.source {
        InputSource::ResidentIndex => t(lang, "risk.source.index").to_owned(),
        InputSource::Observation { code, at } => tf(
            lang,
            "risk.source.observation",
            &[
                ("date", &kernel::UtcMillis(*at).format_date(lang)),
                ("code", code),
            ],
        ),
        InputSource::Medication { code } => tf(lang, "risk.source.medication", &[("code", code)]),
        InputSource::Register {
            disease,
            looked_for,
        } => match disease {
            Some(d) => tf(
                lang,
                "risk.source.register",
                &[(
                    "register",
                    &crate::pages::registry::disease_label(app, lang, d),
                )],
            ),
            None => tf(
                lang,
                "risk.source.no_register",
                &[(
                    "registers",
                    &looked_for
                        .iter()
                        .map(|d| crate::pages::registry::disease_label(app, lang, d))
                        .collect::<Vec<_>>()
                        .join(if lang == Lang::Zh { "、" } else { ", " }),
                )],
            ),
        },
        InputSource::District { key } => {
            let district = crate::pages::registry::district_name(lang, Some(key));
            tf(lang, "risk.source.district", &[("district", &district)])
        }
        InputSource::Assumed { assumption } => app
            .risk
            .settings()
            .assumption(assumption)
            .map(|a| match lang {
                Lang::Zh => a.zh.clone(),
                Lang::En => a.en.clone(),
            })
            .unwrap_or_else(|| assumption.clone()),
    }
}

/// The inputs of a score as a table: value, source, and "assumed" where it is.
pub(crate) fn inputs_table(app: &AppState, lang: Lang, inputs: &[UsedInput]) -> Markup {
    let h_input = t(lang, "risk.h_input");
    let h_value = t(lang, "risk.h_value");
    let h_source = t(lang, "risk.h_source");
    html! {
        div.table-wrap {
            table.risk-inputs {
                thead { tr {
                    th scope="col" { (h_input) }
                    th scope="col" { (h_value) }
                    th scope="col" { (h_source) }
                } }
                tbody {
                    @for i in inputs {
                        tr.assumed[i.assumed()] {
                            th scope="row" data-label=(h_input) { (input_label(lang, i.key)) }
                            td data-label=(h_value) {
                                (input_value(lang, i))
                                @if i.assumed() { " " (status_tag(t(lang, "risk.assumed"), "muted")) }
                            }
                            td data-label=(h_source) { (input_source(app, lang, i)) }
                        }
                    }
                }
            }
        }
    }
}

/// Records that `user` saw the risk scores of `residents`, one ledger entry per resident.
/// Only a hash of what was shown goes on the ledger.
pub(crate) async fn record_views(
    app: &AppState,
    actor: &clinical::Actor,
    action: &str,
    shown: &[(String, String)],
    purpose: PurposeOfUse,
) {
    let at = kernel::UtcMillis::now().0;
    let events: Vec<AuditEvent> = shown
        .iter()
        .map(|(resident, data)| AuditEvent {
            actor: actor.user_id.clone(),
            organisation: Some(actor.organisation_id.clone()),
            action: action.to_owned(),
            subject_type: "resident".to_owned(),
            subject_id: resident.clone(),
            purpose,
            at,
            data_hash: ledger::data_hash(data.as_bytes()),
        })
        .collect();
    if events.is_empty() {
        return;
    }
    if let Err(e) = app.ledger.record_all(events).await {
        tracing::error!(error = %e, action, "could not record risk score views on the ledger");
    }
}

/// Scores errors are the platform's fault, not the user's.
pub(crate) fn scores_error(e: risk::ScoresError) -> crate::error::AppError {
    crate::error::AppError::Internal(e.to_string())
}
