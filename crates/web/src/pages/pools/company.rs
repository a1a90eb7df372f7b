//! `GET /pools/companies/{company_id}`: one company's place in the pools and its 一企一策
//! support plans. Officials (and administrators, read-only) see every step with its reason;
//! the company's own users see what was published and when it ended, their plans, and add
//! follow-up notes. Officials create plans, add actions, and complete or drop them; actions
//! past their due date are marked overdue.

use std::collections::{BTreeSet, HashMap};

use access::{Bureau, FieldError, Principal};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cultivation::{ActionState, How, Member, MembershipEvent, NewAction, SupportPlan};
use jiff::civil::Date;
use kernel::Lang;
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    acts_for, bureau_name, element_id, field_message, form_refusal, industry_error, invalid,
    pool_name, pools_error, reads_proposals, runs_pools, scheme_name,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page, status_tag};
use crate::pages::clinic::user_name;
use crate::state::AppState;

/// `2026年11月22日` or `2026-11-22`.
pub fn date_text(lang: Lang, date: Date) -> String {
    match lang {
        Lang::Zh => date.strftime("%Y年%m月%d日").to_string(),
        Lang::En => date.to_string(),
    }
}

fn today() -> Date {
    kernel::UtcMillis::now().city_date()
}

/// Which form was refused, so the page shows its errors beside its fields and keeps what was
/// typed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refused {
    Plan,
    Action(String),
    FollowUp(String),
    Close(String),
}

/// What was typed into the refused form.
#[derive(Debug, Default, Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    membership: String,
    #[serde(default)]
    goals: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    owner_bureau: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(company_id): Path<String>,
) -> Response {
    match render(
        &app,
        &ctx,
        &user,
        &company_id,
        &[],
        None,
        &PlanForm::default(),
    )
    .await
    {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// Answers a step on a plan: back to the company's page, or the page again with the refusal.
async fn answer(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    form: &PlanForm,
    refused: Refused,
    result: Result<SupportPlan, Result<(StatusCode, Vec<FieldError>), AppError>>,
) -> Response {
    match result {
        Ok(plan) => Redirect::to(&format!("/pools/companies/{}", plan.company_id)).into_response(),
        Err(Ok((status, errors))) => {
            match render(
                app,
                ctx,
                user,
                &form.company_id,
                &errors,
                Some(refused),
                form,
            )
            .await
            {
                Ok(body) => (status, body).into_response(),
                Err(e) => ctx.page_error(e).into_response(),
            }
        }
        Err(Err(e)) => ctx.page_error(e).into_response(),
    }
}

fn unprocessable(errors: Vec<FieldError>) -> Result<(StatusCode, Vec<FieldError>), AppError> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, errors))
}

pub async fn create_plan(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(company_id): Path<String>,
    Form(mut form): Form<PlanForm>,
) -> Response {
    form.company_id = company_id;
    let target: Option<(String, i32)> = form
        .membership
        .split_once('/')
        .and_then(|(s, y)| Some((s.to_owned(), super::parse_year(y)?)));
    let result = match target {
        None => Err(unprocessable(vec![invalid(
            "plan-scheme",
            "pools.plan.membership_required",
            &[],
        )])),
        Some((scheme, year)) => app
            .cultivation
            .create_plan(&user, &form.company_id, &scheme, year, &form.goals)
            .await
            .map_err(|e| {
                form_refusal(
                    e,
                    &[
                        ("goals", "plan-goals"),
                        ("year", "plan-scheme"),
                        ("state", "plan-scheme"),
                    ],
                    "plan-scheme",
                )
            }),
    };
    answer(&app, &ctx, &user, &form, Refused::Plan, result).await
}

pub async fn add_action(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(plan_id): Path<String>,
    Form(form): Form<PlanForm>,
) -> Response {
    let mut errors = Vec::new();
    let owner = form.owner_bureau.parse::<Bureau>().ok();
    if owner.is_none() {
        errors.push(invalid("action-owner", "pools.plan.owner_required", &[]));
    }
    let due = form.due.trim().parse::<Date>().ok();
    if due.is_none() {
        errors.push(invalid("action-due", "pools.plan.due_invalid", &[]));
    }
    if form.what.trim().is_empty() {
        errors.push(invalid("action-what", "pools.plan.what_required", &[]));
    }
    let result = match (owner, due) {
        (Some(owner_bureau), Some(due)) if errors.is_empty() => app
            .cultivation
            .add_action(
                &user,
                &plan_id,
                NewAction {
                    what: form.what.clone(),
                    owner_bureau,
                    owner_user: None,
                    due,
                },
            )
            .await
            .map_err(|e| form_refusal(e, &[("what", "action-what")], "action-what")),
        _ => Err(unprocessable(errors)),
    };
    answer(&app, &ctx, &user, &form, Refused::Action(plan_id), result).await
}

pub async fn add_follow_up(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(plan_id): Path<String>,
    Form(form): Form<PlanForm>,
) -> Response {
    let result = app
        .cultivation
        .add_follow_up(&user, &plan_id, &form.note)
        .await
        .map_err(|e| form_refusal(e, &[("note", "follow-note")], "follow-note"));
    answer(&app, &ctx, &user, &form, Refused::FollowUp(plan_id), result).await
}

pub async fn close_action(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((action_id, step)): Path<(String, String)>,
    Form(form): Form<PlanForm>,
) -> Response {
    let c = &app.cultivation;
    let result = match step.as_str() {
        "complete" => c.complete_action(&user, &action_id).await,
        "drop" => c.drop_action(&user, &action_id, &form.reason).await,
        _ => return ctx.page_error(AppError::NotFound).into_response(),
    }
    .map_err(|e| form_refusal(e, &[("reason", "drop-reason")], "drop-reason"));
    answer(&app, &ctx, &user, &form, Refused::Close(action_id), result).await
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    company_id: &str,
    errors: &[FieldError],
    refused: Option<Refused>,
    typed: &PlanForm,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    // History first: it is where the crate decides whether the visitor may see this company.
    let history = app
        .cultivation
        .history(user, company_id)
        .await
        .map_err(pools_error)?;
    let company = app
        .industry
        .company(company_id)
        .await
        .map_err(industry_error)?;
    let plans = app
        .cultivation
        .plans_of(user, company_id)
        .await
        .map_err(pools_error)?;
    let current = app
        .cultivation
        .current_pools(company_id)
        .await
        .map_err(pools_error)?;
    let runs = runs_pools(user);
    let officials_view = reads_proposals(user);
    let mut people: BTreeSet<String> = BTreeSet::new();
    for plan in &plans {
        people.extend(plan.follow_ups.iter().map(|f| f.by.clone()));
    }
    if officials_view {
        people.extend(history.iter().map(|e| e.by.clone()));
    }
    let mut names: HashMap<String, String> = HashMap::new();
    for id in people {
        let name = user_name(app, &id).await;
        names.insert(id, name);
    }
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let today = today();
    let planned: BTreeSet<(&str, i32)> =
        plans.iter().map(|p| (p.scheme.as_str(), p.year)).collect();
    let open_for_plan: Vec<&Member> = current
        .iter()
        .filter(|m| !planned.contains(&(m.scheme.as_str(), m.year)))
        .collect();
    let body = html! {
        p.back { a href="/pools" { (t(lang, "pools.back")) } }
        h1 { (company.name) }
        p.muted {
            (super::district_name(lang, &company.district)) " · "
            (t(lang, "pools.company.uscc")) " " span.mono { (company.uscc.as_str()) }
        }
        (error_summary(lang, errors))
        section.card {
            h2 { (t(lang, "pools.company.current")) }
            @if current.is_empty() {
                p.muted { (t(lang, "pools.company.no_current")) }
            } @else {
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { (t(lang, "pools.scheme")) }
                        th scope="col" { (t(lang, "pools.pool")) }
                        th scope="col" { (t(lang, "pools.year.label")) }
                        th scope="col" { (t(lang, "pools.rank")) }
                        th scope="col" { (t(lang, "pools.since")) }
                    } }
                    tbody {
                        @for m in &current {
                            @let scheme = app.cultivation.schemes().scheme(&m.scheme);
                            tr {
                                th scope="row" { (scheme.map_or(m.scheme.as_str(), |s| scheme_name(lang, s))) }
                                td { (pool_name(lang, scheme, &m.pool)) }
                                td { a href={ "/pools/" (m.scheme) "/" (m.year) } { (m.year) } }
                                td.num { (m.rank) }
                                td { (m.since.format_date(lang)) }
                            }
                        }
                    }
                } }
            }
        }
        (history_table(app, lang, &history, officials_view, &name))
        section id="plans" {
            h2 { (t(lang, "pools.plan.title")) }
            p.muted { (t(lang, "pools.plan.intro")) }
            @if plans.is_empty() {
                p.muted { (t(lang, "pools.plan.none")) }
            }
            @for plan in &plans {
                (plan_card(app, ctx, user, plan, today, errors, refused.as_ref(), typed, &name))
            }
            @if runs {
                (create_form(app, ctx, company_id, &open_for_plan, errors, refused.as_ref(), typed))
            }
        }
    };
    Ok(page(ctx, &company.name, body))
}

fn history_table(
    app: &AppState,
    lang: Lang,
    history: &[MembershipEvent],
    officials_view: bool,
    name: &dyn Fn(&str) -> String,
) -> Markup {
    html! {
        section id="history" {
            h2 { (t(lang, "pools.company.history")) }
            @if !officials_view { p.muted { (t(lang, "pools.company.history_company")) } }
            @if history.is_empty() {
                p.muted { (t(lang, "pools.company.no_history")) }
            } @else {
                div.table-wrap.table-scroll { table {
                    thead { tr {
                        th scope="col" { (t(lang, "pools.at")) }
                        th scope="col" { (t(lang, "pools.scheme")) }
                        th scope="col" { (t(lang, "pools.amendments.change")) }
                        th scope="col" { (t(lang, "pools.company.how")) }
                        @if officials_view {
                            th scope="col" { (t(lang, "pools.amendments.reason")) }
                            th scope="col" { (t(lang, "pools.by")) }
                        }
                    } }
                    tbody {
                        @for e in history {
                            @let scheme = app.cultivation.schemes().scheme(&e.scheme);
                            @let pool = |p: &Option<String>| p.as_deref().map_or_else(|| t(lang, "pools.no_pool").to_owned(), |p| pool_name(lang, scheme, p));
                            tr {
                                td { (e.at.format_datetime(lang)) }
                                th scope="row" {
                                    (scheme.map_or(e.scheme.as_str(), |s| scheme_name(lang, s))) " · "
                                    (tf(lang, "pools.year", &[("year", &e.year.to_string())]))
                                }
                                td { (pool(&e.from)) " → " (pool(&e.to)) }
                                td { (how_tag(lang, &e.how)) }
                                @if officials_view {
                                    td.pre-line { @if let How::Amended { reason } = &e.how { (reason) } }
                                    td { (name(&e.by)) }
                                }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn how_tag(lang: Lang, how: &How) -> Markup {
    let (key, tone) = match how {
        How::Proposed => ("pools.how.proposed", "info"),
        How::Amended { .. } => ("pools.how.amended", "warn"),
        How::Published => ("pools.how.published", "ok"),
        How::Ended => ("pools.how.ended", "muted"),
    };
    status_tag(t(lang, key), tone)
}

#[allow(clippy::too_many_arguments)] // one card of the page, with the page's refusal
fn plan_card(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    plan: &SupportPlan,
    today: Date,
    errors: &[FieldError],
    refused: Option<&Refused>,
    typed: &PlanForm,
    name: &dyn Fn(&str) -> String,
) -> Markup {
    let lang = ctx.lang;
    let runs = runs_pools(user);
    let scheme = app.cultivation.schemes().scheme(&plan.scheme);
    let overdue = plan
        .actions
        .iter()
        .filter(|a| a.state == ActionState::Open && a.due < today)
        .count();
    let action_refused = refused == Some(&Refused::Action(plan.id.clone()));
    let follow_refused = refused == Some(&Refused::FollowUp(plan.id.clone()));
    let may_note = runs || acts_for(user, &plan.company_id);
    html! {
        article.card id={ "plan-" (plan.id) } {
            h3 {
                (scheme.map_or(plan.scheme.as_str(), |s| scheme_name(lang, s))) " · "
                (tf(lang, "pools.year", &[("year", &plan.year.to_string())]))
                @if overdue > 0 {
                    " " (status_tag(&tf(lang, "pools.plan.overdue_count", &[("count", &overdue.to_string())]), "error"))
                }
            }
            h4 { (t(lang, "pools.plan.goals")) }
            p.pre-line { (plan.goals) }
            h4 { (t(lang, "pools.plan.actions")) }
            @if plan.actions.is_empty() {
                p.muted { (t(lang, "pools.plan.no_actions")) }
            } @else {
                div.table-wrap.table-scroll { table {
                    thead { tr {
                        th scope="col" { (t(lang, "pools.plan.what")) }
                        th scope="col" { (t(lang, "pools.plan.owner")) }
                        th scope="col" { (t(lang, "pools.plan.due")) }
                        th scope="col" { (t(lang, "pools.plan.state")) }
                        @if runs { th scope="col" { (t(lang, "pools.plan.act")) } }
                    } }
                    tbody {
                        @for a in &plan.actions {
                            @let close_refused = refused == Some(&Refused::Close(a.id.clone()));
                            tr {
                                th scope="row" { (a.what) }
                                td { (bureau_name(lang, a.owner_bureau)) }
                                td { (date_text(lang, a.due)) }
                                td {
                                    @match &a.state {
                                        ActionState::Open if a.due < today => {
                                            @let days = a.due.until(today).map(|s| s.get_days()).unwrap_or(0);
                                            (status_tag(&tf(lang, "pools.plan.overdue_days", &[("days", &days.to_string())]), "error"))
                                        }
                                        ActionState::Open => (status_tag(t(lang, "pools.plan.open"), "info")),
                                        ActionState::Done => (status_tag(t(lang, "pools.plan.done"), "ok")),
                                        ActionState::Dropped { reason } => {
                                            (status_tag(t(lang, "pools.plan.dropped"), "muted"))
                                            br; span.small.muted { (reason) }
                                        }
                                    }
                                }
                                @if runs {
                                    td {
                                        @if a.state == ActionState::Open {
                                            form.inline method="post" action={ "/pools/actions/" (a.id) "/complete" } {
                                                (csrf_field(ctx))
                                                input type="hidden" name="company_id" value=(plan.company_id);
                                                button.button type="submit" { (t(lang, "pools.plan.complete")) }
                                            }
                                            details.withdraw open[close_refused] {
                                                summary { (t(lang, "pools.plan.drop")) }
                                                form.stack method="post" action={ "/pools/actions/" (a.id) "/drop" } {
                                                    (csrf_field(ctx))
                                                    input type="hidden" name="company_id" value=(plan.company_id);
                                                    @let id = element_id(close_refused, "drop-reason", &a.id);
                                                    div.field.field-error[close_refused && !errors.is_empty()] {
                                                        label for=(id) { (t(lang, "pools.plan.drop_reason")) }
                                                        p.hint { (tf(lang, "pools.reason.hint", &[("min", &cultivation::MIN_REASON_CHARS.to_string())])) }
                                                        @if close_refused { (field_message(lang, errors, "drop-reason")) }
                                                        textarea id=(id) name="reason" rows="2" maxlength="2000" required {
                                                            @if close_refused { (typed.reason) }
                                                        }
                                                    }
                                                    button.button.button-warning type="submit" { (t(lang, "pools.plan.drop")) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            @if runs {
                (action_form(ctx, plan, errors, action_refused, typed))
            }
            h4 { (t(lang, "pools.plan.follow_ups")) }
            @if plan.follow_ups.is_empty() {
                p.muted { (t(lang, "pools.plan.no_follow_ups")) }
            } @else {
                ol.alerts-history {
                    @for f in &plan.follow_ups {
                        li {
                            span.muted { (f.at.format_datetime(lang)) " · " (name(&f.by)) }
                            p.pre-line { (f.note) }
                        }
                    }
                }
            }
            @if may_note {
                @let id = element_id(follow_refused, "follow-note", &plan.id);
                form.stack method="post" action={ "/pools/plans/" (plan.id) "/follow-ups" } {
                    (csrf_field(ctx))
                    input type="hidden" name="company_id" value=(plan.company_id);
                    div.field.field-error[follow_refused && !errors.is_empty()] {
                        label for=(id) { (t(lang, "pools.plan.note")) }
                        p.hint { (t(lang, "pools.plan.note_hint")) }
                        @if follow_refused { (field_message(lang, errors, "follow-note")) }
                        textarea id=(id) name="note" rows="3" maxlength="4000" required {
                            @if follow_refused { (typed.note) }
                        }
                    }
                    button.button type="submit" { (t(lang, "pools.plan.add_note")) }
                }
            }
        }
    }
}

fn action_form(
    ctx: &Ctx,
    plan: &SupportPlan,
    errors: &[FieldError],
    refused: bool,
    typed: &PlanForm,
) -> Markup {
    let lang = ctx.lang;
    let has = |id: &str| refused && errors.iter().any(|e| e.field == id);
    let what = element_id(refused, "action-what", &plan.id);
    let owner = element_id(refused, "action-owner", &plan.id);
    let due = element_id(refused, "action-due", &plan.id);
    let typed_or = |value: &str| {
        if refused {
            value.to_owned()
        } else {
            String::new()
        }
    };
    html! {
        details.withdraw open[refused] {
            summary { (t(lang, "pools.plan.add_action")) }
            form.stack method="post" action={ "/pools/plans/" (plan.id) "/actions" } {
                (csrf_field(ctx))
                input type="hidden" name="company_id" value=(plan.company_id);
                div.field.field-error[has("action-what")] {
                    label for=(what) { (t(lang, "pools.plan.what")) }
                    @if refused { (field_message(lang, errors, "action-what")) }
                    input id=(what) name="what" type="text" maxlength="500" required value=(typed_or(&typed.what));
                }
                div.field.field-error[has("action-owner")] {
                    label for=(owner) { (t(lang, "pools.plan.owner")) }
                    @if refused { (field_message(lang, errors, "action-owner")) }
                    select id=(owner) name="owner_bureau" required {
                        option value="" { (t(lang, "pools.plan.choose_owner")) }
                        @for b in Bureau::ALL {
                            option value=(b.code()) selected[refused && typed.owner_bureau == b.code()] { (bureau_name(lang, b)) }
                        }
                    }
                }
                div.field.field-error[has("action-due")] {
                    label for=(due) { (t(lang, "pools.plan.due")) }
                    p.hint { (t(lang, "pools.plan.due_hint")) }
                    @if refused { (field_message(lang, errors, "action-due")) }
                    input id=(due) name="due" type="date" required value=(typed_or(&typed.due));
                }
                button.button type="submit" { (t(lang, "pools.plan.add_action")) }
            }
        }
    }
}

fn create_form(
    app: &AppState,
    ctx: &Ctx,
    company_id: &str,
    open_for_plan: &[&Member],
    errors: &[FieldError],
    refused: Option<&Refused>,
    typed: &PlanForm,
) -> Markup {
    let lang = ctx.lang;
    let refused = refused == Some(&Refused::Plan);
    let has = |id: &str| refused && errors.iter().any(|e| e.field == id);
    html! {
        section.card id="new-plan" {
            h3 { (t(lang, "pools.plan.create")) }
            @if open_for_plan.is_empty() && !refused {
                p.muted { (t(lang, "pools.plan.create_none")) }
            } @else {
                form.stack method="post" action={ "/pools/companies/" (company_id) "/plans" } {
                    (csrf_field(ctx))
                    div.field.field-error[has("plan-scheme")] {
                        label for="plan-scheme" { (t(lang, "pools.plan.membership")) }
                        (field_message(lang, errors, "plan-scheme"))
                        select #plan-scheme name="membership" required {
                            @for m in open_for_plan {
                                @let value = format!("{}/{}", m.scheme, m.year);
                                @let scheme = app.cultivation.schemes().scheme(&m.scheme);
                                option value=(value) selected[refused && typed.membership == value] {
                                    (scheme.map_or(m.scheme.as_str(), |s| scheme_name(lang, s))) " · "
                                    (pool_name(lang, scheme, &m.pool)) " · "
                                    (tf(lang, "pools.year", &[("year", &m.year.to_string())]))
                                }
                            }
                        }
                    }
                    div.field.field-error[has("plan-goals")] {
                        label for="plan-goals" { (t(lang, "pools.plan.goals")) }
                        p.hint { (t(lang, "pools.plan.goals_hint")) }
                        (field_message(lang, errors, "plan-goals"))
                        textarea #plan-goals name="goals" rows="4" maxlength="4000" required {
                            @if refused { (typed.goals) }
                        }
                    }
                    button.button type="submit" { (t(lang, "pools.plan.create")) }
                }
            }
        }
    }
}
