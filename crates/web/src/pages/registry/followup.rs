//! `GET|POST /registry/enrolments/{id}/followup`: the follow-up form generated from the disease
//! template (one field per element, in the template's order, with its units and plausible
//! range), and the visit's outcome once recorded.

use std::collections::HashMap;

use access::FieldError;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use clinical::{ClinicalError, FieldProblem, FollowUpRecorded, FormValue};
use diseases::{ControlStatus, Element, Template};
use jiff::civil::Date;
use kernel::{Lang, mask_name};
use maud::{Markup, html};
use registry::Enrolment;

use super::{
    actor, back_link, clinical_error, date, disease_name, followup_tag, next_followup, pick,
    registry_error, template_of,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page, status_tag};
use crate::state::AppState;

/// What the form is about.
struct Subject {
    enrolment: Enrolment,
    template: &'static Template,
    name: String,
}

async fn subject(
    app: &AppState,
    user: &access::Principal,
    enrolment_id: &str,
) -> Result<Subject, AppError> {
    let actor = actor(user);
    if !actor.write {
        return Err(AppError::Forbidden);
    }
    let enrolment = app
        .clinical
        .registers()
        .enrolment(enrolment_id)
        .await
        .map_err(registry_error)?
        .ok_or(AppError::NotFound)?;
    if !app
        .clinical
        .may_see_resident(&actor, &enrolment.resident_id)
        .await
        .map_err(clinical_error)?
    {
        return Err(AppError::NotFound);
    }
    let template = template_of(app, &enrolment.disease)?;
    let name = app
        .clinical
        .residents()
        .resident(&enrolment.resident_id)
        .await
        .map_err(registry_error)?
        .and_then(|r| r.facts.name)
        .map(|n| mask_name(&n))
        .unwrap_or_else(|| "—".into());
    Ok(Subject {
        enrolment,
        template,
        name,
    })
}

pub async fn form(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(enrolment_id): Path<String>,
) -> Response {
    match subject(&app, &user, &enrolment_id).await {
        Ok(s) => render_form(
            &ctx,
            &s,
            &clinical::today().to_string(),
            &HashMap::new(),
            &[],
            StatusCode::OK,
        ),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

pub async fn submit(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(enrolment_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let s = match subject(&app, &user, &enrolment_id).await {
        Ok(s) => s,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let given: HashMap<String, String> = fields.into_iter().collect();
    let visit_text = given
        .get("visit_date")
        .map(|v| v.trim().to_owned())
        .unwrap_or_default();
    let values: Vec<FormValue> = s
        .template
        .elements()
        .iter()
        .map(|e| FormValue {
            key: e.key.clone(),
            text: given.get(&e.key).cloned().unwrap_or_default(),
            unit: given
                .get(&format!("{}_unit", e.key))
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    let problems = match visit_text.parse::<Date>() {
        Err(_) => vec![FieldProblem {
            key: "visit_date".into(),
            zh: t(Lang::Zh, "followup.date_invalid").to_owned(),
            en: t(Lang::En, "followup.date_invalid").to_owned(),
        }],
        Ok(day) => {
            match app
                .clinical
                .record_followup(&actor(&user), &enrolment_id, day, &values)
                .await
            {
                Ok(recorded) => return result_page(&ctx, &s, day, &recorded),
                Err(ClinicalError::Form(problems)) => problems,
                Err(e) => return ctx.page_error(clinical_error(e)).into_response(),
            }
        }
    };
    render_form(
        &ctx,
        &s,
        &visit_text,
        &given,
        &problems,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// A problem as the page's field errors: the key is the template's (static) element key.
fn field_errors(template: &'static Template, problems: &[FieldProblem]) -> Vec<FieldError> {
    problems
        .iter()
        .map(|p| {
            let field = template
                .element(&p.key)
                .map(|e| e.key.as_str())
                .unwrap_or("visit_date");
            FieldError::new(field, p.zh.clone(), p.en.clone())
        })
        .collect()
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn unit_label(element: &Element, unit: &str) -> String {
    if unit == element.unit {
        element.display_unit.clone()
    } else {
        unit.to_owned()
    }
}

fn render_form(
    ctx: &Ctx,
    s: &Subject,
    visit_date: &str,
    given: &HashMap<String, String>,
    problems: &[FieldProblem],
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let errors = field_errors(s.template, problems);
    let disease = disease_name(lang, s.template);
    let title = tf(lang, "followup.title", &[("disease", disease)]);
    let action = format!("/registry/enrolments/{}/followup", s.enrolment.id);
    let date_error = errors.iter().find(|e| e.field == "visit_date");
    let today = clinical::today();
    let next = next_followup(s.template, &s.enrolment, today);
    let body = html! {
        (back_link("/worklist", t(lang, "worklist.title")))
        h1 { (title) }
        dl.summary {
            dt { (t(lang, "registry.name")) }
            dd { a href={ "/residents/" (s.enrolment.resident_id) } { (s.name) } }
            dt { (t(lang, "registry.last_visit")) }
            dd { (super::date_or_dash(lang, s.enrolment.last_visit)) }
            dt { (t(lang, "registry.next_followup")) }
            dd { (date(lang, next.due)) " " (followup_tag(lang, &next)) }
        }
        (error_summary(lang, &errors))
        form.stack.followup-form method="post" action=(action) novalidate {
            (csrf_field(ctx))
            div.field.field-error[date_error.is_some()] {
                label for="visit_date" { (t(lang, "followup.visit_date")) " " span.required { (t(lang, "followup.required")) } }
                @if let Some(e) = date_error { p.error-message id="visit_date-error" { (e.message(lang)) } }
                input id="visit_date" name="visit_date" type="date" value=(visit_date) max=(today.to_string()) required
                    aria-invalid=[date_error.map(|_| "true")]
                    aria-describedby=[date_error.map(|_| "visit_date-error")];
            }
            @for element in s.template.elements() {
                (element_field(lang, element, given, &errors))
            }
            button type="submit" { (t(lang, "followup.submit")) }
        }
    };
    (status, page(ctx, &title, body)).into_response()
}

fn element_field(
    lang: Lang,
    element: &'static Element,
    given: &HashMap<String, String>,
    errors: &[FieldError],
) -> Markup {
    let key = element.key.as_str();
    let error = errors.iter().find(|e| e.field == key);
    let hint_id = format!("{key}-hint");
    let error_id = format!("{key}-error");
    let unit_name = format!("{key}_unit");
    let described = match error {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    let units = element.allowed_units();
    let chosen_unit = given.get(&unit_name).cloned().unwrap_or_default();
    let range = tf(
        lang,
        "followup.range",
        &[
            ("low", &number(element.plausible.low)),
            ("high", &number(element.plausible.high)),
            ("unit", &element.display_unit),
        ],
    );
    html! {
        div.field.field-error[error.is_some()] {
            label for=(key) {
                (pick(lang, &element.name_zh, &element.name_en))
                @if element.required_at_followup { " " span.required { (t(lang, "followup.required")) } }
            }
            p.hint id=(hint_id) {
                (range)
                @if element.integer { (t(lang, "followup.integer")) }
            }
            @if let Some(e) = error { p.error-message id=(error_id) { (e.message(lang)) } }
            div.input-unit {
                input id=(key) name=(key) type="text"
                    inputmode=(if element.integer { "numeric" } else { "decimal" })
                    autocomplete="off"
                    value=(given.get(key).map(String::as_str).unwrap_or(""))
                    required[element.required_at_followup]
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=(described);
                @if units.len() > 1 {
                    label.visually-hidden for=(unit_name) { (tf(lang, "followup.unit_of", &[("name", pick(lang, &element.name_zh, &element.name_en))])) }
                    select id=(unit_name) name=(unit_name) {
                        @for u in &units {
                            option value=(u) selected[*u == chosen_unit] { (unit_label(element, u)) }
                        }
                    }
                } @else {
                    span.unit { (element.display_unit) }
                }
            }
        }
    }
}

fn result_page(ctx: &Ctx, s: &Subject, day: Date, r: &FollowUpRecorded) -> Response {
    let lang = ctx.lang;
    let template = s.template;
    let element_name = |key: &str| {
        template
            .element(key)
            .map(|e| pick(lang, &e.name_zh, &e.name_en).to_owned())
            .unwrap_or_else(|| key.to_owned())
    };
    let display_unit = |key: &str| {
        template
            .element(key)
            .map(|e| e.display_unit.clone())
            .unwrap_or_default()
    };
    let next = next_followup(template, &r.enrolment, clinical::today());
    let title = t(lang, "followup.recorded");
    let body = html! {
        h1 { (title) }
        p.notice.notice-success role="status" {
            (tf(lang, "followup.recorded_text", &[
                ("name", &s.name),
                ("disease", disease_name(lang, template)),
                ("date", &date(lang, day)),
            ]))
        }
        @if !r.danger.is_empty() {
            div.danger role="alert" aria-labelledby="danger-title" {
                h2 id="danger-title" { (status_tag(t(lang, "followup.refer"), "error")) " " (t(lang, "followup.danger")) }
                ul {
                    @for d in &r.danger {
                        li {
                            strong { (pick(lang, &d.message_zh, &d.message_en)) }
                            @for f in &d.findings {
                                br;
                                span { (element_name(&f.key)) " " (number(f.value)) " " (display_unit(&f.key)) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t(lang, "followup.control")) }
        @match &r.control {
            ControlStatus::Controlled { .. } => {
                p { (status_tag(t(lang, "registry.controlled"), "ok")) " " (t(lang, "followup.controlled_text")) }
            }
            ControlStatus::NotControlled { failed, .. } => {
                p { (status_tag(t(lang, "registry.not_controlled"), "error")) " " (t(lang, "followup.not_controlled_text")) }
                ul {
                    @for f in failed {
                        li {
                            (element_name(&f.key)) " " (number(f.value)) " " (display_unit(&f.key))
                            " — " (tf(lang, "followup.target", &[("target", &f.target.replace(&f.key, &element_name(&f.key)))]))
                        }
                    }
                }
            }
            ControlStatus::Unknown { missing } => {
                p { (status_tag(t(lang, "registry.control_unknown"), "muted")) " " (t(lang, "followup.unknown_text")) }
                @if !missing.is_empty() {
                    p.muted {
                        (t(lang, "followup.missing")) " "
                        (missing.iter().map(|k| element_name(k)).collect::<Vec<_>>().join(if lang == Lang::En { ", " } else { "、" }))
                    }
                }
            }
        }
        h2 { (t(lang, "followup.measurements")) }
        div.table-wrap.narrow {
            table {
                thead { tr {
                    th scope="col" { (t(lang, "followup.element")) }
                    th scope="col" { (t(lang, "followup.value")) }
                } }
                tbody {
                    @for q in &r.measurements {
                        tr {
                            th scope="row" { (element_name(&q.key)) }
                            td.num { (number((q.value * 100.0).round() / 100.0)) " " (display_unit(&q.key)) }
                        }
                    }
                }
            }
        }
        dl.summary {
            dt { (t(lang, "registry.next_followup")) }
            dd { (date(lang, next.due)) " " (followup_tag(lang, &next)) }
        }
        p.actions {
            a.button href={ "/residents/" (s.enrolment.resident_id) } { (t(lang, "followup.to_timeline")) }
            a.button.button-secondary href="/worklist" { (t(lang, "followup.to_worklist")) }
        }
    };
    page(ctx, title, body).into_response()
}
