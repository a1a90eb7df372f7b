//! `GET /policies`: every money-granting clause of the seeds, by document, with its kind, its
//! period and whether it is in force today. `GET /policies/clause?id=`: one clause: the
//! sentence it encodes with its citation, what it reads, its caps, its worked cases (the
//! tests, in the policy's words) and a calculator; `POST` evaluates the facts entered.

use std::collections::BTreeMap;

use access::FieldError;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use kernel::Lang;
use maud::{Markup, html};
use policy::{Clause, Evaluation, Expected, FactDef, FactKind, Facts, History, Level};
use serde::Deserialize;

use super::super::registry::pick;
use super::{amount_text, kind_tag, money, trace_list};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page, status_tag};
use crate::state::AppState;

pub async fn library(State(app): State<AppState>, Signed { ctx, .. }: Signed) -> Response {
    let lang = ctx.lang;
    let catalogue = policy::shipped();
    let today = app.awards.now().city_date();
    let body = html! { div.subsidies {
        h1 { (t(lang, "subsidies.library.title")) }
        p.lead { (t(lang, "subsidies.library.intro")) }
        p { a href="/subsidies" { (t(lang, "subsidies.library.to_matches")) } }
        @for doc in catalogue.documents() {
            @let clauses: Vec<&Clause> = latest_versions(catalogue, &doc.id);
            section.card {
                h2 { (pick(lang, &doc.title_zh, &doc.title_en)) }
                p.muted {
                    (level_name(lang, doc.level)) " · " (place_name(lang, &doc.jurisdiction))
                    " · " (tf(lang, "subsidies.library.clause_count", &[("n", &clauses.len().to_string())]))
                    " · " (t(lang, "subsidies.library.seed")) " " code { (doc.seed_file) }
                }
                @if let Some(first) = clauses.first() {
                    p {
                        (period_text(lang, first))
                        @if !first.period_source.confirmed {
                            " " (status_tag(t(lang, "subsidies.unconfirmed"), "warn"))
                        }
                    }
                    @if let Some(note) = &first.period_source.note { p.hint { (note) } }
                }
                div.table-scroll { table.data {
                    thead { tr {
                        th { (t(lang, "subsidies.clause")) }
                        th { (t(lang, "subsidies.kind")) }
                        th { (t(lang, "subsidies.library.section")) }
                        th { (t(lang, "subsidies.library.today")) }
                    } }
                    tbody {
                        @for c in &clauses {
                            tr {
                                td { a href={ "/policies/clause?id=" (c.id) } { (pick(lang, &c.title_zh, &c.title_en)) } br; small.muted { (c.id) } }
                                td { (kind_tag(lang, c.kind)) }
                                td { (c.citation.source.section) }
                                td { @if c.in_force_on(today) { (status_tag(t(lang, "subsidies.in_force"), "ok")) } @else { (status_tag(t(lang, "subsidies.not_in_force"), "muted")) } }
                            }
                        }
                    }
                } }
            }
        }
        section.card {
            h2 { (t(lang, "subsidies.overlap.title")) }
            p { (t(lang, "subsidies.overlap.text")) }
        }
    } };
    page(&ctx, t(lang, "subsidies.library.title"), body).into_response()
}

/// The latest version of each clause of a document, in file order.
fn latest_versions<'a>(catalogue: &'a policy::Catalogue, doc: &str) -> Vec<&'a Clause> {
    let prefix = format!("{doc}/");
    let mut out: Vec<&Clause> = Vec::new();
    for c in catalogue
        .clauses()
        .iter()
        .filter(|c| c.id.starts_with(&prefix))
    {
        match out.iter_mut().find(|o| o.id == c.id) {
            Some(o) if o.version < c.version => *o = c,
            Some(_) => {}
            None => out.push(c),
        }
    }
    out
}

#[derive(Debug, Deserialize)]
pub struct ClauseQuery {
    #[serde(default)]
    id: String,
    #[serde(default)]
    on: Option<String>,
}

pub async fn clause(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Query(q): Query<ClauseQuery>,
) -> Response {
    let today = app.awards.now().city_date();
    match render_clause(
        &ctx,
        &q.id,
        q.on.as_deref(),
        today,
        &BTreeMap::new(),
        None,
        &[],
    ) {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// Evaluates the facts entered for the clause (no history: a what-if, not an application).
pub async fn calculate(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let id = get("id").unwrap_or_default().to_owned();
    let on = get("on").map(str::to_owned);
    let entered = entered_facts(&fields);
    let today = app.awards.now().city_date();
    let result = (|| -> Result<Evaluation, AppError> {
        let on = parse_on(on.as_deref(), today)?;
        let clause = policy::shipped()
            .clause(&id, on)
            .map_err(super::policy_error)?;
        let facts = facts_from_form(clause, &entered)?;
        policy::evaluate(clause, &facts, &History::default(), on).map_err(super::policy_error)
    })();
    let (evaluation, errors) = match result {
        Ok(e) => (Some(e), Vec::new()),
        Err(AppError::Invalid(errors)) => (None, errors),
        Err(other) => return ctx.page_error(other).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    match render_clause(
        &ctx,
        &id,
        on.as_deref(),
        today,
        &entered,
        evaluation.as_ref(),
        &errors,
    ) {
        Ok(body) => (status, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

fn parse_on(on: Option<&str>, today: Date) -> Result<Date, AppError> {
    match on.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today),
        Some(text) => text.parse().map_err(|_| {
            AppError::Invalid(vec![FieldError::new(
                "on",
                "日期格式应为 2026-11-26",
                "Dates are written 2026-11-26",
            )])
        }),
    }
}

/// The facts a form carries (`fact.<name>` fields), trimmed; blank ones are left out.
pub fn entered_facts(fields: &[(String, String)]) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("fact.")
                .map(|n| (n.to_owned(), v.trim().to_owned()))
        })
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The clause's facts from the form (`fact.<name>` fields), each read by its definition.
pub fn facts_from_form(
    clause: &Clause,
    entered: &BTreeMap<String, String>,
) -> Result<Facts, AppError> {
    let mut facts = Facts::new();
    let mut errors = Vec::new();
    for (name, text) in entered {
        let Some(def) = clause.fact_def(name) else {
            continue;
        };
        match def.parse_value(text) {
            Ok(v) => facts.set(name, v),
            Err(e) => errors.push(FieldError::new(
                "facts",
                format!("{}：{}", def.label_zh, e.message_zh()),
                format!("{}: {}", def.label_en, e.message_en()),
            )),
        }
    }
    if errors.is_empty() {
        Ok(facts)
    } else {
        Err(AppError::Invalid(errors))
    }
}

fn render_clause(
    ctx: &Ctx,
    id: &str,
    on: Option<&str>,
    today: Date,
    entered: &BTreeMap<String, String>,
    evaluation: Option<&Evaluation>,
    errors: &[FieldError],
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let catalogue = policy::shipped();
    let versions: Vec<&Clause> = catalogue.clauses().iter().filter(|c| c.id == id).collect();
    let on_date = parse_on(on, today).unwrap_or(today);
    let clause = versions
        .iter()
        .find(|c| c.in_force_on(on_date))
        .or_else(|| versions.last())
        .copied()
        .ok_or(AppError::NotFound)?;
    let cases: Vec<&policy::Case> = catalogue
        .cases()
        .iter()
        .filter(|c| c.clause_id == clause.id)
        .collect();
    let body = html! { div.subsidies {
        p { a href="/policies" { "← " (t(lang, "subsidies.library.title")) } }
        h1 { (pick(lang, &clause.title_zh, &clause.title_en)) }
        p.muted { code { (clause.id) } " · " (tf(lang, "subsidies.clause.version", &[("v", &clause.version.to_string())])) " · " (kind_tag(lang, clause.kind)) }
        section.card {
            h2 { (t(lang, "subsidies.clause.text")) }
            blockquote lang="zh-CN" { (clause.citation.quote) }
            p.muted {
                (clause.citation.document) " · " (clause.citation.source.section) " · "
                (t(lang, "subsidies.library.seed")) " " code { (clause.citation.file) }
                @if !clause.citation.source.confirmed { " " (status_tag(t(lang, "subsidies.unconfirmed"), "warn")) }
            }
            @if let Some(note) = pick_opt(lang, &clause.note_zh, &clause.note_en) { p.hint { (note) } }
            dl.facts {
                dt { (t(lang, "subsidies.clause.where")) } dd { (level_name(lang, clause.level)) " · " (place_name(lang, &clause.jurisdiction)) }
                dt { (t(lang, "subsidies.clause.period")) } dd { (period_text(lang, clause)) @if let Some(n) = &clause.period_source.note { br; small.muted { (n) } } }
                dt { (t(lang, "subsidies.clause.subject")) } dd { code { (clause.subject) } @if clause.once { " · " (t(lang, "subsidies.clause.once")) } }
                @if !clause.stacks_with.is_empty() {
                    dt { (t(lang, "subsidies.clause.stacks")) } dd { (clause.stacks_with.join(", ")) }
                }
                dt { (t(lang, "subsidies.clause.no_application")) } dd { (if clause.no_application_needed { t(lang, "subsidies.yes") } else { t(lang, "subsidies.no") }) }
            }
        }
        @if !clause.caps.is_empty() {
            section.card {
                h2 { (t(lang, "subsidies.clause.caps")) }
                div.table-scroll { table.data {
                    thead { tr { th { (t(lang, "subsidies.clause.cap")) } th.num { (t(lang, "subsidies.clause.limit")) } th { (t(lang, "subsidies.clause.source")) } } }
                    tbody { @for cap in &clause.caps { tr {
                        td { (pick(lang, &cap.name_zh, &cap.name_en)) }
                        td.num { (money(lang, cap.limit.0)) }
                        td { (cap.source_text()) }
                    } } }
                } }
            }
        }
        @if !cases.is_empty() {
            section.card {
                h2 { (t(lang, "subsidies.clause.cases")) }
                p.hint { (t(lang, "subsidies.clause.cases_hint")) }
                div.table-scroll { table.data {
                    thead { tr { th { (t(lang, "subsidies.clause.case")) } th { (t(lang, "subsidies.clause.expected")) } } }
                    tbody { @for case in &cases { tr {
                        td lang="zh-CN" { (case.says) }
                        td { (expected_text(lang, &case.expected)) }
                    } } }
                } }
            }
        }
        section.card #calculator {
            h2 { (t(lang, "subsidies.calc.title")) }
            p.hint { (t(lang, "subsidies.calc.hint")) }
            (error_summary(lang, errors))
            form.stack method="post" action="/policies/clause" {
                (csrf_field(ctx))
                input type="hidden" name="id" value=(clause.id);
                label for="on" { (t(lang, "subsidies.calc.on")) }
                input #on name="on" type="date" value=(on.unwrap_or(&today.to_string()));
                @for name in &clause.required_facts {
                    @if let Some(def) = clause.fact_def(name) {
                        (fact_input(lang, def, entered.get(name.as_str()).map(String::as_str).unwrap_or_default()))
                    }
                }
                button.button type="submit" { (t(lang, "subsidies.calc.submit")) }
            }
            @if let Some(e) = evaluation {
                (evaluation_card(lang, e))
            }
        }
        @if versions.len() > 1 {
            section.card {
                h2 { (t(lang, "subsidies.clause.versions")) }
                ul { @for v in &versions { li { a href={ "/policies/clause?id=" (v.id) "&on=" (v.effective_from) } { (tf(lang, "subsidies.clause.version", &[("v", &v.version.to_string())])) } " · " (period_text(lang, v)) } } }
            }
        }
    } };
    Ok(page(
        ctx,
        pick(lang, &clause.title_zh, &clause.title_en),
        body,
    ))
}

/// The result of an evaluation: the amount or the unmet conditions, and the trace.
pub fn evaluation_card(lang: Lang, e: &Evaluation) -> Markup {
    html! {
        div.result role="status" {
            @if e.eligible {
                p.big { (t(lang, "subsidies.calc.amount")) " " strong { (amount_text(lang, &e.amount)) } }
                @if let Some(c) = &e.ceiling { p.muted { (tf(lang, "subsidies.calc.ceiling", &[("limit", &money(lang, c.limit.0)), ("cap", &c.cap), ("source", &c.source)])) } }
            } @else {
                p.big { strong { (t(lang, "subsidies.calc.ineligible")) } }
                ul { @for u in &e.unmet { li { (pick(lang, &u.reason_zh, &u.reason_en)) } } }
            }
            details open {
                summary { (t(lang, "subsidies.trace")) }
                (trace_list(lang, &e.trace.steps))
            }
        }
    }
}

/// One input for a fact, by its kind.
pub fn fact_input(lang: Lang, def: &FactDef, value: &str) -> Markup {
    let name = format!("fact.{}", def.name);
    let id = format!("fact-{}", def.name);
    let label = pick(lang, &def.label_zh, &def.label_en);
    let help = pick(lang, &def.help_zh, &def.help_en);
    html! {
        div.field {
            label for=(id) { (label) @if !def.unit.is_empty() { " (" (def.unit) ")" } }
            @if !help.is_empty() { p.hint { (help) } }
            @match def.kind {
                FactKind::Choice => {
                    select id=(id) name=(name) {
                        option value="" { (t(lang, "admin.choose")) }
                        @for c in &def.choices { option value=(c.value) selected[c.value == value] { (pick(lang, &c.label_zh, &c.label_en)) } }
                    }
                }
                FactKind::Flag => {
                    select id=(id) name=(name) {
                        option value="" { (t(lang, "admin.choose")) }
                        option value="true" selected[value == "true"] { (t(lang, "subsidies.yes")) }
                        option value="false" selected[value == "false"] { (t(lang, "subsidies.no")) }
                    }
                }
                FactKind::Date => { input id=(id) name=(name) type="date" value=(value); }
                FactKind::Count => { input id=(id) name=(name) type="number" min="0" step="1" value=(value); }
                FactKind::Money => { input id=(id) name=(name) type="text" inputmode="decimal" placeholder=(t(lang, "subsidies.money_placeholder")) value=(value); }
                FactKind::Text => { input id=(id) name=(name) type="text" maxlength="100" value=(value); }
            }
        }
    }
}

fn expected_text(lang: Lang, e: &Expected) -> String {
    match e {
        Expected::Exact(m) => money(lang, m.0),
        Expected::UpTo(m) => format!("{}{}", t(lang, "subsidies.up_to"), money(lang, m.0)),
        Expected::Committee => t(lang, "subsidies.amount.committee").to_owned(),
        Expected::NotStated => t(lang, "subsidies.amount.not_stated").to_owned(),
        Expected::Ineligible { unmet } => {
            tf(lang, "subsidies.clause.ineligible_on", &[("fact", unmet)])
        }
    }
}

fn pick_opt<'a>(lang: Lang, zh: &'a Option<String>, en: &'a Option<String>) -> Option<&'a str> {
    match lang {
        Lang::Zh => zh.as_deref(),
        Lang::En => en.as_deref().or(zh.as_deref()),
    }
}

pub fn level_name(lang: Lang, level: Level) -> &'static str {
    t(
        lang,
        match level {
            Level::Province => "subsidies.level.province",
            Level::City => "subsidies.level.city",
            Level::District => "subsidies.level.district",
        },
    )
}

pub fn place_name(lang: Lang, place: &str) -> String {
    crate::i18n::t_opt(lang, &format!("subsidies.place.{place}"))
        .map(str::to_owned)
        .unwrap_or_else(|| place.to_owned())
}

pub fn period_text(lang: Lang, c: &Clause) -> String {
    match c.effective_to {
        Some(to) => tf(
            lang,
            "subsidies.period.bounded",
            &[
                ("from", &c.effective_from.to_string()),
                ("to", &to.to_string()),
            ],
        ),
        None => tf(
            lang,
            "subsidies.period.open",
            &[("from", &c.effective_from.to_string())],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entered_facts_are_the_fact_fields_trimmed_without_blanks() {
        let fields: Vec<(String, String)> = [
            ("fact.revenue", " 120 "),
            ("fact.rd", "   "),
            ("title", "x"),
            ("fact.district", "gulou"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let facts = entered_facts(&fields);
        assert_eq!(
            facts.into_iter().collect::<Vec<_>>(),
            [
                ("district".to_owned(), "gulou".to_owned()),
                ("revenue".to_owned(), "120".to_owned())
            ]
        );
    }
}
