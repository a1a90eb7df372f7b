//! `/research`: a researcher's requests with their states, and the form of a new request
//! (cohort, variables from the catalogue with their descriptions, purpose, ethics reference).
//! `POST /research/requests` submits it; every wrong field is shown in the summary and at the
//! field.

use access::FieldError;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::{Lang, UtcMillis};
use maud::{Markup, html};
use research::{Kind, RequestFilter, RequestForm, ResearchRequest};

use super::{Failure, actor, disease_names, may_request, may_steward, state_tag};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page};
use crate::pages::registry::Orgs;
use crate::state::AppState;

/// `GET /research`.
pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    if !may_request(&user) {
        if may_steward(&user) {
            return Redirect::to("/research/review").into_response();
        }
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    render(
        &app,
        &ctx,
        &user,
        &RequestForm::default(),
        &[],
        StatusCode::OK,
    )
    .await
}

/// `POST /research/requests`: fields as in [`RequestForm`], lists repeated.
pub async fn submit(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !may_request(&user) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let form = form_from_pairs(&fields);
    match app
        .research
        .submit(&form, &actor(&user), UtcMillis::now())
        .await
    {
        Ok(request) => Redirect::to(&format!("/research/requests/{}", request.id)).into_response(),
        Err(e) => {
            let failure = Failure::from(e);
            if failure.fields.is_empty() {
                return failure.page(&ctx);
            }
            render(&app, &ctx, &user, &form, &failure.fields, failure.status).await
        }
    }
}

/// A request form from the posted pairs (checkbox lists repeat their name).
pub fn form_from_pairs(fields: &[(String, String)]) -> RequestForm {
    let pairs = super::Pairs(fields);
    RequestForm {
        diseases: pairs.all("diseases"),
        age_min: pairs.one("age_min"),
        age_max: pairs.one("age_max"),
        districts: pairs.all("districts"),
        enrolled_from: pairs.one("enrolled_from"),
        enrolled_to: pairs.one("enrolled_to"),
        variables: pairs.all("variables"),
        purpose: pairs.one("purpose"),
        ethics_reference: pairs.one("ethics_reference"),
    }
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &access::Principal,
    form: &RequestForm,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let requests = match app
        .research
        .requests(&RequestFilter {
            requester_id: Some(user.user_id.clone()),
            ..RequestFilter::default()
        })
        .await
    {
        Ok(r) => r,
        Err(e) => return Failure::from(e).page(ctx),
    };
    let title = t(lang, "research.title");
    let body = html! {
        h1 { (title) }
        p.lead { (t(lang, "research.intro")) }
        p.actions {
            a.button.button-secondary href="/research/query" { (t(lang, "research.query.title")) }
            @if may_steward(user) {
                a.button.button-secondary href="/research/review" { (t(lang, "research.review.title")) }
            }
        }
        h2 { (t(lang, "research.mine")) }
        (requests_table(app, lang, &requests, None))
        h2 id="new" { (t(lang, "research.new")) }
        (error_summary(lang, errors))
        (request_form(app, ctx, form, errors))
    };
    (status, page(ctx, title, body)).into_response()
}

/// Requests as a table: submitted, purpose, diseases, state and a link. The steward's queue
/// also shows who asked.
pub fn requests_table(
    app: &AppState,
    lang: Lang,
    requests: &[ResearchRequest],
    requesters: Option<&Orgs>,
) -> Markup {
    html! {
        @if requests.is_empty() {
            p.muted { (t(lang, "research.none")) }
        } @else {
            div.table-wrap {
                table.research-requests {
                    thead { tr {
                        th scope="col" { (t(lang, "research.submitted_at")) }
                        @if requesters.is_some() { th scope="col" { (t(lang, "research.organisation")) } }
                        th scope="col" { (t(lang, "research.form.purpose")) }
                        th scope="col" { (t(lang, "research.form.diseases")) }
                        th scope="col" { (t(lang, "research.state")) }
                        th scope="col" { span.visually-hidden { (t(lang, "research.open")) } }
                    } }
                    tbody {
                        @for r in requests {
                            tr {
                                td.nowrap data-label=(t(lang, "research.submitted_at")) { (r.submitted_at.format_date(lang)) }
                                @if let Some(orgs) = requesters {
                                    td data-label=(t(lang, "research.organisation")) { (orgs.name(r.organisation_id.as_deref(), lang)) }
                                }
                                td.purpose data-label=(t(lang, "research.form.purpose")) {
                                    (excerpt(&r.purpose, 60))
                                    @if requesters.is_some() { br; span.muted.small { (r.ethics_reference) } }
                                }
                                td data-label=(t(lang, "research.form.diseases")) { (disease_names(app, lang, &r.cohort.diseases)) }
                                td data-label=(t(lang, "research.state")) { (state_tag(lang, r.state)) }
                                td.action { a href={ "/research/requests/" (r.id) } { (t(lang, "research.open")) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The first `max` characters of `text`, with an ellipsis when cut.
fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

fn error_of<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a FieldError> {
    errors.iter().find(|e| e.field == field)
}

/// The error messages of one field, for a group of checkboxes.
fn group_errors(lang: Lang, errors: &[FieldError], field: &str) -> Markup {
    html! {
        @for e in errors.iter().filter(|e| e.field == field) {
            p.error-message { (e.message(lang)) }
        }
    }
}

fn request_form(app: &AppState, ctx: &Ctx, form: &RequestForm, errors: &[FieldError]) -> Markup {
    let lang = ctx.lang;
    let english = lang == Lang::En;
    let catalogue = app.research.catalogue();
    let vocabulary = app.research.vocabulary();
    let policy = app.research.policy();
    let has = |list: &[String], v: &str| list.iter().any(|x| x == v);
    let max_age = policy.request.max_age_years.value.to_string();
    let [purpose_min, _] = policy.request.purpose_chars.value;
    html! {
        form.stack.research-form method="post" action="/research/requests" novalidate {
            (csrf_field(ctx))
            fieldset.field.field-error[error_of(errors, "diseases").is_some()] id="diseases" tabindex="-1" {
                legend { (t(lang, "research.form.diseases")) " " span.required { (t(lang, "followup.required")) } }
                p.hint { (t(lang, "research.form.diseases_hint")) }
                (group_errors(lang, errors, "diseases"))
                div.choices {
                    @for code in &vocabulary.diseases {
                        label.choice {
                            input type="checkbox" name="diseases" value=(code) checked[has(&form.diseases, code)];
                            " " (super::super::registry::disease_label(app, lang, code))
                        }
                    }
                }
            }
            fieldset.field.field-error[error_of(errors, "age_min").or(error_of(errors, "age_max")).is_some()] {
                legend { (t(lang, "research.form.ages")) }
                p.hint { (tf(lang, "research.form.ages_hint", &[("max", &max_age)])) }
                (group_errors(lang, errors, "age_min"))
                (group_errors(lang, errors, "age_max"))
                div.range {
                    div {
                        label for="age_min" { (t(lang, "research.form.age_min")) }
                        input id="age_min" name="age_min" type="text" inputmode="numeric" autocomplete="off" value=(form.age_min)
                            aria-invalid=[error_of(errors, "age_min").map(|_| "true")];
                    }
                    div {
                        label for="age_max" { (t(lang, "research.form.age_max")) }
                        input id="age_max" name="age_max" type="text" inputmode="numeric" autocomplete="off" value=(form.age_max)
                            aria-invalid=[error_of(errors, "age_max").map(|_| "true")];
                    }
                }
            }
            fieldset.field.field-error[error_of(errors, "districts").is_some()] id="districts" tabindex="-1" {
                legend { (t(lang, "research.form.districts")) }
                p.hint { (t(lang, "research.form.districts_hint")) }
                (group_errors(lang, errors, "districts"))
                div.choices.choices-compact {
                    @for key in &vocabulary.districts {
                        label.choice {
                            input type="checkbox" name="districts" value=(key) checked[has(&form.districts, key)];
                            " " (super::super::registry::district_name(lang, Some(key)))
                        }
                    }
                }
            }
            fieldset.field.field-error[error_of(errors, "enrolled_from").or(error_of(errors, "enrolled_to")).is_some()] {
                legend { (t(lang, "research.form.period")) }
                p.hint { (t(lang, "research.form.period_hint")) }
                (group_errors(lang, errors, "enrolled_from"))
                (group_errors(lang, errors, "enrolled_to"))
                div.range {
                    div {
                        label for="enrolled_from" { (t(lang, "research.form.enrolled_from")) }
                        input id="enrolled_from" name="enrolled_from" type="date" value=(form.enrolled_from)
                            aria-invalid=[error_of(errors, "enrolled_from").map(|_| "true")];
                    }
                    div {
                        label for="enrolled_to" { (t(lang, "research.form.enrolled_to")) }
                        input id="enrolled_to" name="enrolled_to" type="date" value=(form.enrolled_to)
                            aria-invalid=[error_of(errors, "enrolled_to").map(|_| "true")];
                    }
                }
            }
            fieldset.field.field-error[error_of(errors, "variables").is_some()] id="variables" tabindex="-1" {
                legend { (t(lang, "research.form.variables")) " " span.required { (t(lang, "followup.required")) } }
                p.hint { (t(lang, "research.form.variables_hint")) }
                (group_errors(lang, errors, "variables"))
                ul.variables {
                    @for v in catalogue.variables().iter().filter(|v| v.releasable) {
                        li {
                            label.choice {
                                input type="checkbox" name="variables" value=(v.key) checked[has(&form.variables, &v.key)];
                                " " strong { (v.label(english)) } " "
                                @if v.is_quasi_identifier() {
                                    span.tag.tag-info { (t(lang, "research.form.quasi")) }
                                }
                            }
                            p.hint { (v.description(english)) }
                        }
                    }
                }
                details.never-released {
                    summary { (t(lang, "research.form.never_released")) }
                    ul {
                        @for v in catalogue.variables().iter().filter(|v| !v.releasable) {
                            li {
                                strong { (v.label(english)) } " — "
                                (match v.kind {
                                    Kind::DirectIdentifier => t(lang, "research.kind.direct_identifier"),
                                    Kind::FreeText => t(lang, "research.kind.free_text"),
                                    _ => t(lang, "research.kind.finer_form"),
                                })
                                ": " (v.description(english))
                            }
                        }
                    }
                }
            }
            div.field.field-error[error_of(errors, "purpose").is_some()] {
                label for="purpose" { (t(lang, "research.form.purpose")) " " span.required { (t(lang, "followup.required")) } }
                p.hint id="purpose-hint" { (tf(lang, "research.form.purpose_hint", &[("min", &purpose_min.to_string())])) }
                @if let Some(e) = error_of(errors, "purpose") { p.error-message id="purpose-error" { (e.message(lang)) } }
                textarea id="purpose" name="purpose" rows="4" aria-describedby="purpose-hint"
                    aria-invalid=[error_of(errors, "purpose").map(|_| "true")] { (form.purpose) }
            }
            div.field.field-error[error_of(errors, "ethics_reference").is_some()] {
                label for="ethics_reference" { (t(lang, "research.form.ethics_reference")) " " span.required { (t(lang, "followup.required")) } }
                p.hint id="ethics_reference-hint" { (t(lang, "research.form.ethics_hint")) }
                @if let Some(e) = error_of(errors, "ethics_reference") { p.error-message id="ethics_reference-error" { (e.message(lang)) } }
                input id="ethics_reference" name="ethics_reference" type="text" autocomplete="off" value=(form.ethics_reference)
                    aria-describedby="ethics_reference-hint"
                    aria-invalid=[error_of(errors, "ethics_reference").map(|_| "true")];
            }
            button type="submit" { (t(lang, "research.form.submit")) }
        }
    }
}
