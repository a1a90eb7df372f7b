//! `GET /subsidies/applications/{id}`: one application as its company, the department, its
//! experts and the finance bureau see it: state and next date, amounts, the facts and the
//! clause's trace, attachments, the timeline, the panel and its scores, objections, payments,
//! and the steps the viewer may take now (`POST /subsidies/applications/{id}/{action}`).
//! `GET /subsidies/reviews`: an expert's assignments.

use access::{FieldError, OrganisationKind, Principal, Role};
use awards::{Application, State as Stage};
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use kernel::Lang;
use maud::{Markup, html};

use super::super::registry::pick;
use super::{awards_error, clause_title, day, money, state_tag, stored_amount, stored_trace};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page, stat};
use crate::pages::clinic::form_refusal;
use crate::state::AppState;

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    match render(&app, &ctx, &user, &id, &[]).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

fn bureau_of(user: &Principal) -> Option<access::Bureau> {
    (user.has_role(Role::BureauOfficial)
        && user.organisation.kind == OrganisationKind::MunicipalBureau)
        .then_some(user.organisation.bureau)
        .flatten()
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    id: &str,
    errors: &[FieldError],
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let a = app
        .awards
        .application(user, id)
        .await
        .map_err(awards_error)?;
    let programme = app
        .awards
        .programme(&a.programme_id)
        .await
        .map_err(awards_error)?;
    let events = app.awards.events(user, id).await.map_err(awards_error)?;
    let attachments = app
        .awards
        .attachments(user, id)
        .await
        .map_err(awards_error)?;
    let objections = app
        .awards
        .objections(user, id)
        .await
        .map_err(awards_error)?;
    let payments = app
        .awards
        .disbursements(user, id)
        .await
        .map_err(awards_error)?;
    let paid: i64 = payments.iter().map(|p| p.amount_yuan).sum();
    let bureau = bureau_of(user);
    let runs = bureau.map(|b| b.code()) == Some(programme.bureau.as_str());
    let finance = bureau == Some(access::Bureau::Finance);
    let official = bureau.is_some();
    let company =
        user.has_role(Role::CompanyUser) && user.organisation.id == a.company_organisation_id;
    let panel = if official {
        app.awards.assignments_of(id).await.map_err(awards_error)?
    } else {
        Vec::new()
    };
    let mine = app
        .awards
        .assignments_of(id)
        .await
        .map_err(awards_error)?
        .into_iter()
        .find(|x| x.expert_user_id == user.user_id);
    let rubric = &app.awards.rules().rubric;
    let today = app.awards.now().city_date();
    let catalogue = policy::shipped();
    let facts: Vec<(String, String)> = serde_json::from_value::<policy::Facts>(a.facts.clone())
        .map(|facts| {
            facts
                .iter()
                .map(|(name, value)| {
                    let def = catalogue.fact(name);
                    let label = def
                        .map(|d| pick(lang, &d.label_zh, &d.label_en).to_owned())
                        .unwrap_or_else(|| name.to_owned());
                    (label, fact_text(lang, def, value))
                })
                .collect()
        })
        .unwrap_or_default();
    let body = html! { div.subsidies {
        p { a href="/subsidies" { "← " (t(lang, "subsidies.title")) } }
        h1 { (a.title) }
        p.lead { (a.company_name) " · " (pick(lang, &programme.name_zh, &programme.name_en)) }
        p { (state_tag(lang, a.state)) @if let Some(due) = a.due_at { " " (tf(lang, "subsidies.application.due", &[("date", &day(due))])) } }
        @if let Some(reason) = &a.reason { p.callout { strong { (t(lang, "subsidies.application.reason")) } " " (reason) } }
        @if a.initiated_by_bureau { p.hint { (t(lang, "subsidies.application.by_bureau")) } }
        div.stats {
            (stat(t(lang, "subsidies.application.max"), &stored_amount(lang, &a.amount_kind, a.max_yuan), ""))
            @if let Some(r) = a.requested_yuan { (stat(t(lang, "subsidies.application.requested"), &money(lang, r), "")) }
            @if let Some(r) = a.recommended_yuan { (stat(t(lang, "subsidies.application.recommended"), &money(lang, r), "")) }
            @if let Some(r) = a.awarded_yuan { (stat(t(lang, "subsidies.application.awarded"), &money(lang, r), "")) }
            @if a.awarded_yuan.is_some() { (stat(t(lang, "subsidies.disbursed"), &money(lang, paid), "")) }
            @if let Some(s) = a.score_centi { (stat(t(lang, "subsidies.score"), &format!("{:.2}", s as f64 / 100.0), "")) }
        }
        (error_summary(lang, errors))
        (actions(ctx, lang, &a, runs, finance, company, mine.as_ref().map(|m| m.status.as_str()), rubric, today))
        section.card {
            h2 { (t(lang, "subsidies.application.basis")) }
            p { a href={ "/policies/clause?id=" (a.clause_id) } { (clause_title(lang, &a.clause_id)) } " · " code { (a.subject_key) } " · " (tf(lang, "subsidies.clause.version", &[("v", &a.clause_version.to_string())])) }
            div.table-scroll { table.data {
                thead { tr { th { (t(lang, "subsidies.fact")) } th { (t(lang, "subsidies.value")) } } }
                tbody { @for (k, v) in &facts { tr { td { (k) } td { (v) } } } }
            } }
            details open { summary { (t(lang, "subsidies.trace")) } (stored_trace(lang, &a.evaluation)) }
        }
        @if !attachments.is_empty() {
            section.card {
                h2 { (t(lang, "subsidies.apply.attachments")) }
                ul { @for f in &attachments { li { a href={ "/subsidies/applications/" (a.id) "/attachments/" (f.id) } { (f.file_name) } " · " (f.bytes / 1024) " KB · " small.muted { "SHA-256 " (f.sha256.get(..16).unwrap_or_default()) "…" } } } }
            }
        }
        @if !panel.is_empty() {
            section.card {
                h2 { (t(lang, "subsidies.panel")) }
                div.table-scroll { table.data {
                    thead { tr { th { (t(lang, "subsidies.expert")) } th { (t(lang, "subsidies.state")) } th.num { (t(lang, "subsidies.score")) } th { (t(lang, "subsidies.comment")) } } }
                    tbody { @for p in &panel { tr {
                        td { (expert_name(app, &p.expert_user_id).await) }
                        td { (t(lang, &format!("subsidies.assignment.{}", p.status))) @if let Some(r) = &p.recusal_reason { br; small.muted { (r) } } }
                        td.num { (p.total_centi.map(|s| format!("{:.2}", s as f64 / 100.0)).unwrap_or_else(|| "—".into())) }
                        td { (p.comment.clone().unwrap_or_default()) }
                    } } }
                } }
            }
        }
        @if !objections.is_empty() && (official || company) {
            section.card {
                h2 { (t(lang, "subsidies.objections")) }
                @for o in &objections {
                    div.objection {
                        p { (day(o.raised_at)) " · " (t(lang, &format!("subsidies.objection.{}", o.status))) }
                        p { (o.reason) }
                        @if let Some(r) = &o.resolution { p.muted { (r) } }
                        @if runs && o.status == "open" {
                            form.stack method="post" action={ "/subsidies/applications/" (a.id) "/resolve" } {
                                (csrf_field(ctx))
                                input type="hidden" name="objection" value=(o.id);
                                label for={ "res-" (o.id) } { (t(lang, "subsidies.objection.resolution")) }
                                textarea id={ "res-" (o.id) } name="resolution" rows="2" required {}
                                div.actions {
                                    button.button type="submit" name="upheld" value="false" { (t(lang, "subsidies.objection.dismiss")) }
                                    button.button.button-secondary type="submit" name="upheld" value="true" { (t(lang, "subsidies.objection.uphold")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !payments.is_empty() {
            section.card {
                h2 { (t(lang, "subsidies.payments")) }
                ul { @for p in &payments { li { (p.paid_on) " · " (money(lang, p.amount_yuan)) " · " (p.voucher) } } }
            }
        }
        section.card {
            h2 { (t(lang, "subsidies.timeline")) }
            ol.timeline { @for e in &events { li { (day(e.at)) " · " (t(lang, &format!("subsidies.step.{}", e.step))) " → " (if lang == Lang::Zh { e.state.zh() } else { e.state.en() }) @if let Some(n) = &e.note { br; small.muted { (n) } } } } }
        }
    } };
    Ok(page(ctx, &a.title.clone(), body))
}

/// A stored fact's value as the form writes it back (amounts in yuan, flags as true/false).
fn stored_fact(facts: &serde_json::Value, name: &str) -> String {
    serde_json::from_value::<policy::Facts>(facts.clone())
        .ok()
        .and_then(|f| {
            f.get(name).map(|v| match v {
                policy::FactValue::Money(m) => m.0.to_string(),
                policy::FactValue::Flag(b) => b.to_string(),
                other => other.to_string(),
            })
        })
        .unwrap_or_default()
}

/// A fact's value as a person reads it: the choice's label, an amount in 万元, 是/否.
fn fact_text(lang: Lang, def: Option<&policy::FactDef>, value: &policy::FactValue) -> String {
    match value {
        policy::FactValue::Money(m) => money(lang, m.0),
        policy::FactValue::Flag(b) => {
            t(lang, if *b { "subsidies.yes" } else { "subsidies.no" }).to_owned()
        }
        policy::FactValue::Choice(c) => def
            .and_then(|d| d.choices.iter().find(|x| &x.value == c))
            .map(|x| pick(lang, &x.label_zh, &x.label_en).to_owned())
            .unwrap_or_else(|| c.clone()),
        other => other.to_string(),
    }
}

async fn expert_name(app: &AppState, user_id: &str) -> String {
    app.accounts
        .user_label(user_id)
        .await
        .ok()
        .flatten()
        .map(|l| l.display_name)
        .unwrap_or_else(|| user_id.to_owned())
}

#[allow(clippy::too_many_arguments)] // who the viewer is, one flag each
fn actions(
    ctx: &Ctx,
    lang: Lang,
    a: &Application,
    runs: bool,
    finance: bool,
    company: bool,
    assignment: Option<&str>,
    rubric: &[awards::rules::Criterion],
    today: Date,
) -> Markup {
    let form = |action: &str, inner: Markup| {
        html! {
            form.stack method="post" action={ "/subsidies/applications/" (a.id) "/" (action) } { (csrf_field(ctx)) (inner) }
        }
    };
    html! {
        @if runs && a.state == Stage::Submitted {
            section.card {
                h2 { (t(lang, "subsidies.act.pre_review")) }
                (form("pass", html! { button.button type="submit" { (t(lang, "subsidies.act.pass")) } }))
                (form("return", html! {
                    label for="return-reason" { (t(lang, "subsidies.act.return_reason")) }
                    textarea #return-reason name="reason" rows="2" required {}
                    button.button.button-secondary type="submit" { (t(lang, "subsidies.act.return")) }
                }))
            }
        }
        @if runs && a.state == Stage::InReview {
            section.card {
                h2 { (t(lang, "subsidies.act.recommend")) }
                (form("recommend", html! {
                    div.field #amount_yuan {
                        label for="amount" { (t(lang, "subsidies.act.amount")) }
                        p.hint { (t(lang, "subsidies.act.amount_hint")) }
                        input #amount name="amount" required inputmode="decimal" placeholder=(t(lang, "subsidies.money_placeholder"));
                    }
                    label for="note" { (t(lang, "subsidies.act.note")) }
                    textarea #note name="note" rows="2" {}
                    button.button type="submit" { (t(lang, "subsidies.act.recommend")) }
                }))
            }
        }
        @if runs && a.state == Stage::Recommended {
            section.card { (form("publish", html! { button.button type="submit" { (t(lang, "subsidies.act.publish")) } })) }
        }
        @if runs && a.state == Stage::InNotice {
            section.card { (form("award", html! { p.hint { (t(lang, "subsidies.act.award_hint")) } button.button type="submit" { (t(lang, "subsidies.act.award")) } })) }
        }
        @if runs && !a.state.is_final() && a.state != Stage::Returned {
            details.card {
                summary { (t(lang, "subsidies.act.refuse")) }
                (form("refuse", html! {
                    label for="refuse-reason" { (t(lang, "subsidies.act.refuse_reason")) }
                    textarea #refuse-reason name="reason" rows="2" required {}
                    button.button.button-secondary type="submit" { (t(lang, "subsidies.act.refuse")) }
                }))
            }
        }
        @if finance && a.state == Stage::Awarded {
            section.card {
                h2 { (t(lang, "subsidies.act.disburse")) }
                (form("disburse", html! {
                    div.field #amount_yuan { label for="pay" { (t(lang, "subsidies.act.pay_amount")) } input #pay name="amount" required inputmode="decimal"; }
                    div.field #paid_on { label for="paid-on" { (t(lang, "subsidies.act.paid_on")) } input #paid-on name="paid_on" type="date" value=(today) required; }
                    div.field #voucher { label for="voucher-input" { (t(lang, "subsidies.act.voucher")) } input #voucher-input name="voucher" required maxlength="100"; }
                    button.button type="submit" { (t(lang, "subsidies.act.disburse")) }
                }))
            }
        }
        @if assignment == Some("assigned") && a.state == Stage::InReview {
            section.card #scores {
                h2 { (t(lang, "subsidies.act.score")) }
                (form("score", html! {
                    @for c in rubric {
                        div.field {
                            label for={ "score-" (c.key) } { (pick(lang, &c.zh, &c.en)) " (" (c.weight) "%)" }
                            input id={ "score-" (c.key) } name={ "score." (c.key) } type="number" min="0" max="100" step="1" required;
                        }
                    }
                    label for="comment" { (t(lang, "subsidies.comment")) }
                    textarea #comment name="comment" rows="3" {}
                    button.button type="submit" { (t(lang, "subsidies.act.score")) }
                }))
                (form("recuse", html! {
                    label for="recuse-reason" { (t(lang, "subsidies.act.recuse_reason")) }
                    textarea #recuse-reason name="reason" rows="2" required {}
                    button.button.button-secondary type="submit" { (t(lang, "subsidies.act.recuse")) }
                }))
            }
        }
        @if company && a.state == Stage::Returned {
            section.card #resubmit {
                h2 { (t(lang, "subsidies.act.resubmit")) }
                p.hint { (t(lang, "subsidies.act.resubmit_hint")) }
                (form("resubmit", html! {
                    @if let Ok(clause) = policy::shipped().clause(&a.clause_id, today) {
                        @for name in &clause.required_facts {
                            @if let Some(def) = clause.fact_def(name) {
                                (super::policies::fact_input(lang, def, &stored_fact(&a.facts, name)))
                            }
                        }
                    }
                    button.button type="submit" { (t(lang, "subsidies.act.resubmit")) }
                }))
            }
        }
        @if company && !a.state.is_final() {
            details.card {
                summary { (t(lang, "subsidies.act.withdraw")) }
                (form("withdraw", html! { button.button.button-secondary type="submit" { (t(lang, "subsidies.act.withdraw")) } }))
            }
        }
        @if a.state == Stage::InNotice && !runs {
            section.card {
                (form("object", html! {
                    label for="object-reason" { (t(lang, "subsidies.notice.object")) }
                    textarea #object-reason name="reason" rows="2" required {}
                    button.button.button-secondary type="submit" { (t(lang, "subsidies.notice.submit")) }
                }))
            }
        }
    }
}

pub async fn act(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let amount = |k: &str| -> Result<i64, AppError> {
        policy::Money::parse(&get(k)).map(|m| m.0).map_err(|e| {
            AppError::Invalid(vec![FieldError::new(
                "amount_yuan",
                e.message_zh(),
                e.message_en(),
            )])
        })
    };
    let aw = &app.awards;
    let result: Result<(), AppError> = async {
        match action.as_str() {
            "pass" => aw
                .pre_review(&user, &id, awards::PreReview::Pass)
                .await
                .map(drop),
            "return" => aw
                .pre_review(
                    &user,
                    &id,
                    awards::PreReview::Return {
                        reason: get("reason"),
                    },
                )
                .await
                .map(drop),
            "refuse" => aw.refuse(&user, &id, &get("reason")).await.map(drop),
            "recommend" => {
                return aw
                    .recommend(&user, &id, amount("amount")?, &get("note"))
                    .await
                    .map(drop)
                    .map_err(awards_error);
            }
            "publish" => aw.publish_notice(&user, &id).await.map(drop),
            "award" => aw.award(&user, &id).await.map(drop),
            "withdraw" => aw.withdraw(&user, &id).await.map(drop),
            "resubmit" => {
                let application = aw.application(&user, &id).await.map_err(awards_error)?;
                let today = aw.now().city_date();
                let clause = policy::shipped()
                    .clause(&application.clause_id, today)
                    .map_err(super::policy_error)?;
                let entered = super::policies::entered_facts(&fields);
                let facts = super::policies::facts_from_form(clause, &entered)?;
                return aw
                    .resubmit(&user, &id, facts)
                    .await
                    .map(drop)
                    .map_err(awards_error);
            }
            "object" => aw.object(&user, &id, &get("reason")).await.map(drop),
            "resolve" => aw
                .resolve_objection(
                    &user,
                    &get("objection"),
                    get("upheld") == "true",
                    &get("resolution"),
                )
                .await
                .map(drop),
            "recuse" => aw.recuse(&user, &id, &get("reason")).await.map(drop),
            "score" => {
                let mut scores = Vec::new();
                for c in &aw.rules().rubric {
                    let v = get(&format!("score.{}", c.key));
                    scores.push(v.parse::<u32>().map_err(|_| {
                        AppError::Invalid(vec![FieldError::new(
                            "scores",
                            format!("「{}」请填写0–100的整数", c.zh),
                            format!("Score \"{}\" with a whole number from 0 to 100", c.en),
                        )])
                    })?);
                }
                return aw
                    .score(&user, &id, scores, &get("comment"))
                    .await
                    .map(drop)
                    .map_err(awards_error);
            }
            "disburse" => {
                let paid_on: Date = get("paid_on").parse().map_err(|_| {
                    AppError::Invalid(vec![FieldError::new(
                        "paid_on",
                        "请选择拨付日期",
                        "Choose the payment date",
                    )])
                })?;
                return aw
                    .disburse(&user, &id, amount("amount")?, paid_on, &get("voucher"))
                    .await
                    .map(drop)
                    .map_err(awards_error);
            }
            _ => return Err(AppError::NotFound),
        }
        .map_err(awards_error)
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/subsidies/applications/{id}")).into_response(),
        Err(e) => match form_refusal(e) {
            Ok((status, errors)) => match render(&app, &ctx, &user, &id, &errors).await {
                Ok(body) => (status, body).into_response(),
                Err(e) => ctx.page_error(e).into_response(),
            },
            Err(other) => ctx.page_error(other).into_response(),
        },
    }
}

pub async fn attachment(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, attachment)): Path<(String, String)>,
) -> Response {
    match app.awards.attachment(&user, &id, &attachment).await {
        Ok((info, bytes)) => {
            let content_type = match info.content_type.as_str() {
                "application/pdf" | "image/png" | "image/jpeg" => info.content_type.clone(),
                _ => "application/octet-stream".to_owned(),
            };
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CONTENT_DISPOSITION, "attachment".to_owned()),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => ctx.page_error(awards_error(e)).into_response(),
    }
}

pub async fn reviews(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    let list = match app.awards.my_assignments(&user).await {
        Ok(l) => l,
        Err(e) => return ctx.page_error(awards_error(e)).into_response(),
    };
    let body = html! { div.subsidies {
        h1 { (t(lang, "subsidies.reviews.title")) }
        p.lead { (t(lang, "subsidies.reviews.intro")) }
        @if list.is_empty() { p.muted { (t(lang, "subsidies.reviews.none")) } }
        @else { div.table-scroll { table.data {
            thead { tr { th { (t(lang, "subsidies.application.title")) } th { (t(lang, "subsidies.clause")) } th { (t(lang, "subsidies.state")) } th { (t(lang, "subsidies.next_date")) } } }
            tbody { @for (x, a) in &list { tr {
                td { a href={ "/subsidies/applications/" (a.id) } { (a.title) } }
                td { (clause_title(lang, &a.clause_id)) }
                td { (t(lang, &format!("subsidies.assignment.{}", x.status))) }
                td { (a.due_at.map(day).unwrap_or_else(|| "—".into())) }
            } } }
        } } }
    } };
    page(&ctx, t(lang, "subsidies.reviews.title"), body).into_response()
}
