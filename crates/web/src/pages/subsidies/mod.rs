//! Subsidy policies and applications (issue 6, S6; ADR 0015): the clause library with each
//! clause's citation, worked cases and a calculator (`/policies`); what a company qualifies
//! for, its applications and the bureau's programmes (`/subsidies`); the application form;
//! one application with its trace, timeline and the steps each role may take; the experts'
//! assignments; the public notices (公示). The `policy` crate computes, the `awards` crate
//! keeps the procedure; these pages show their answers.

pub mod application;
pub mod apply;
pub mod dashboard;
pub mod hub;
pub mod policies;

use access::FieldError;
use awards::{AwardsError, ErrorKind, State};
use axum::Router;
use axum::routing::{get, post};
use kernel::{Explain, Lang};
use maud::{Markup, html};

use crate::error::AppError;
use crate::i18n::t;
use crate::layout::status_tag;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/industry", get(dashboard::show))
        .route("/policies", get(policies::library))
        .route(
            "/policies/clause",
            get(policies::clause).post(policies::calculate),
        )
        .route("/subsidies", get(hub::show))
        .route("/subsidies/programmes", post(hub::create_programme))
        .route("/subsidies/programmes/{id}", get(hub::programme))
        .route("/subsidies/notify", post(hub::notify))
        .route("/subsidies/confirm", post(hub::confirm))
        .route("/subsidies/notices", get(hub::notices))
        .route("/subsidies/reviews", get(application::reviews))
        .route("/subsidies/apply", get(apply::form).post(apply::submit))
        .route("/subsidies/applications/{id}", get(application::show))
        .route(
            "/subsidies/applications/{id}/attachments/{attachment}",
            get(application::attachment),
        )
        .route(
            "/subsidies/applications/{id}/{action}",
            post(application::act),
        )
}

/// An awards refusal as pages and the API answer it.
pub fn awards_error(e: AwardsError) -> AppError {
    let zh = e.explain(Lang::Zh);
    let en = e.explain(Lang::En);
    match e.kind() {
        ErrorKind::BadRequest => {
            let field = match &e {
                AwardsError::Invalid { field, .. } => field,
                AwardsError::Policy(_) | AwardsError::NotEligible { .. } => "facts",
                _ => "state",
            };
            AppError::Invalid(vec![FieldError::new(field, zh, en)])
        }
        ErrorKind::Forbidden => AppError::Refused { zh, en },
        ErrorKind::NotFound => AppError::NotFound,
        ErrorKind::Conflict => AppError::Conflict { zh, en },
        ErrorKind::Internal => AppError::Internal(e.to_string()),
    }
}

/// A policy refusal (an unknown clause, a bad fact) as a field error on the facts.
pub fn policy_error(e: policy::PolicyError) -> AppError {
    AppError::Invalid(vec![FieldError::new(
        "facts",
        e.message_zh(),
        e.message_en(),
    )])
}

/// An amount of yuan as the bureaus write it (万元, 亿元) or, in English, in yuan.
pub fn money(lang: Lang, yuan: i64) -> String {
    match lang {
        Lang::Zh => policy::Money(yuan).to_string(),
        Lang::En => format!("CNY {}", thousands(yuan)),
    }
}

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// What an evaluation grants, in words: an exact amount, up to an amount, a committee's
/// decision, or an amount the text does not state.
pub fn amount_text(lang: Lang, amount: &policy::Amount) -> String {
    match amount {
        policy::Amount::Exact(m) => money(lang, m.0),
        policy::Amount::UpTo(m) => format!("{}{}", t(lang, "subsidies.up_to"), money(lang, m.0)),
        policy::Amount::Committee => t(lang, "subsidies.amount.committee").to_owned(),
        policy::Amount::NotStated => t(lang, "subsidies.amount.not_stated").to_owned(),
        policy::Amount::Nothing => t(lang, "subsidies.amount.nothing").to_owned(),
    }
}

/// The stored kind of an application's amount with its maximum.
pub fn stored_amount(lang: Lang, kind: &str, max: Option<i64>) -> String {
    match (kind, max) {
        ("exact", Some(m)) => money(lang, m),
        ("up-to", Some(m)) => format!("{}{}", t(lang, "subsidies.up_to"), money(lang, m)),
        ("committee", _) => t(lang, "subsidies.amount.committee").to_owned(),
        _ => t(lang, "subsidies.amount.not_stated").to_owned(),
    }
}

/// A clause's kind as a tag.
pub fn kind_tag(lang: Lang, kind: policy::Kind) -> Markup {
    let (key, tone) = match kind {
        policy::Kind::Formulaic => ("subsidies.kind.formulaic", "ok"),
        policy::Kind::OnMerit => ("subsidies.kind.on_merit", "info"),
        policy::Kind::CaseByCase => ("subsidies.kind.case_by_case", "warn"),
        policy::Kind::AmountNotStated => ("subsidies.kind.not_stated", "muted"),
    };
    status_tag(t(lang, key), tone)
}

/// An application's state as a tag.
pub fn state_tag(lang: Lang, state: State) -> Markup {
    let tone = match state {
        State::Awarded => "ok",
        State::Refused | State::Withdrawn => "muted",
        State::Returned => "warn",
        _ => "info",
    };
    status_tag(
        if lang == Lang::Zh {
            state.zh()
        } else {
            state.en()
        },
        tone,
    )
}

/// A clause's title in the viewer's language, or its id when unknown.
pub fn clause_title(lang: Lang, id: &str) -> String {
    policy::shipped()
        .clauses()
        .iter()
        .rev()
        .find(|c| c.id == id)
        .map(|c| {
            if lang == Lang::Zh {
                c.title_zh.clone()
            } else {
                c.title_en.clone()
            }
        })
        .unwrap_or_else(|| id.to_owned())
}

/// An evaluation's trace as an ordered list of steps.
pub fn trace_list(lang: Lang, steps: &[policy::Step]) -> Markup {
    html! {
        ol.trace {
            @for s in steps {
                li { (if lang == Lang::Zh { &s.text_zh } else { &s.text_en }) }
            }
        }
    }
}

/// The same, from an evaluation stored as JSON with an application.
pub fn stored_trace(lang: Lang, evaluation: &serde_json::Value) -> Markup {
    let steps: Vec<policy::Step> = evaluation
        .get("trace")
        .and_then(|t| t.get("steps"))
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_default();
    trace_list(lang, &steps)
}

/// A day in the city as `YYYY-MM-DD`.
pub fn day(ms: i64) -> String {
    awards::city_day(ms).to_string()
}
