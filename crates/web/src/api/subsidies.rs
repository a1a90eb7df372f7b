//! `/api/v1` routes of the subsidy side (issue 6): the clause library and its calculator
//! (facts in, amount and trace out), a company's matches, programmes, and applications from
//! submission to payment. The `policy` crate computes; the `awards` crate decides who may do
//! what (403), what the state allows (409) and what the clause refuses (422, with the clause
//! and the reason).

use std::collections::BTreeMap;

use access::FieldError;
use awards::{Applicant, NewAttachment, NewProgramme, PreReview, Submission};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::openapi::{json_body as body, object_ok as ok, problem};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::pages::subsidies::policies::facts_from_form;
use crate::pages::subsidies::{awards_error, policy_error};
use crate::state::AppState;

/// The routes of this area, relative to `/api/v1`.
pub const ROUTES: &[&str] = &[
    "/policies/clauses",
    "/policies/clause",
    "/policies/evaluate",
    "/subsidies/companies/{id}/matches",
    "/subsidies/programmes",
    "/subsidies/applications",
    "/subsidies/applications/{id}",
    "/subsidies/applications/{id}/{action}",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(clauses))
        .route(ROUTES[1], get(clause))
        .route(ROUTES[2], post(evaluate))
        .route(ROUTES[3], get(matches))
        .route(ROUTES[4], get(programmes).post(create_programme))
        .route(ROUTES[5], post(submit))
        .route(ROUTES[6], get(application))
        .route(ROUTES[7], post(act))
}

fn invalid(field: &'static str, zh: &str, en: &str) -> AppError {
    AppError::Invalid(vec![FieldError::new(field, zh, en)])
}

fn date_or(text: Option<&str>, today: Date) -> Result<Date, AppError> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today),
        Some(t) => t.parse().map_err(|_| {
            invalid(
                "on",
                "日期格式应为 2026-11-26",
                "Dates are written 2026-11-26",
            )
        }),
    }
}

async fn clauses(State(app): State<AppState>, Signed { .. }: Signed) -> Response {
    let today = app.awards.now().city_date();
    let list: Vec<Value> = policy::shipped()
        .clauses()
        .iter()
        .map(|c| json!({
            "id": c.id, "version": c.version, "title_zh": c.title_zh, "title_en": c.title_en,
            "kind": c.kind, "level": c.level, "jurisdiction": c.jurisdiction,
            "effective_from": c.effective_from, "effective_to": c.effective_to,
            "in_force_today": c.in_force_on(today), "no_application_needed": c.no_application_needed,
            "citation": { "file": c.citation.file, "document": c.citation.document, "section": c.citation.source.section, "confirmed": c.citation.source.confirmed, "quote": c.citation.quote },
        }))
        .collect();
    Json(json!({ "clauses": list })).into_response()
}

#[derive(Debug, Deserialize)]
struct ClauseQuery {
    #[serde(default)]
    id: String,
    #[serde(default)]
    on: Option<String>,
}

async fn clause(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Query(q): Query<ClauseQuery>,
) -> Response {
    let result = date_or(q.on.as_deref(), app.awards.now().city_date())
        .and_then(|on| policy::shipped().clause(&q.id, on).map_err(policy_error));
    match result {
        Ok(c) => Json(json!(c)).into_response(),
        Err(e) => ctx.api_error(e).into_response(),
    }
}

/// Facts as a JSON object of texts (`"300万"`, `"true"`, `"phase-2-entered"`), read by the
/// clause's fact definitions.
fn facts_of(
    clause: &policy::Clause,
    facts: &Map<String, Value>,
) -> Result<policy::Facts, AppError> {
    let entered: BTreeMap<String, String> = facts
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect();
    facts_from_form(clause, &entered)
}

#[derive(Debug, Deserialize)]
struct EvaluateBody {
    clause_id: String,
    #[serde(default)]
    on: Option<String>,
    #[serde(default)]
    facts: Map<String, Value>,
}

async fn evaluate(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Json(body): Json<EvaluateBody>,
) -> Response {
    let result = (|| {
        let on = date_or(body.on.as_deref(), app.awards.now().city_date())?;
        let clause = policy::shipped()
            .clause(&body.clause_id, on)
            .map_err(policy_error)?;
        let facts = facts_of(clause, &body.facts)?;
        policy::evaluate(clause, &facts, &policy::History::default(), on).map_err(policy_error)
    })();
    match result {
        Ok(e) => Json(json!(e)).into_response(),
        Err(e) => ctx.api_error(e).into_response(),
    }
}

async fn matches(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    match app.awards.matches(&user, &app.industry, &id).await {
        Ok(m) => Json(json!(m)).into_response(),
        Err(e) => ctx.api_error(awards_error(e)).into_response(),
    }
}

async fn programmes(State(app): State<AppState>, Signed { ctx, .. }: Signed) -> Response {
    let result = async {
        let mut out = Vec::new();
        for p in app.awards.programmes().await? {
            let budget = app.awards.budget(&p.id).await?;
            out.push(json!({ "programme": p, "budget": budget }));
        }
        Ok::<_, awards::AwardsError>(out)
    }
    .await;
    match result {
        Ok(list) => Json(json!({ "programmes": list })).into_response(),
        Err(e) => ctx.api_error(awards_error(e)).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct ProgrammeBody {
    name_zh: String,
    #[serde(default)]
    name_en: Option<String>,
    year: i16,
    budget_yuan: i64,
    clauses: Vec<String>,
    opens_on: Date,
    closes_on: Date,
}

async fn create_programme(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Json(b): Json<ProgrammeBody>,
) -> Response {
    let new = NewProgramme {
        name_en: b.name_en.unwrap_or_else(|| b.name_zh.clone()),
        name_zh: b.name_zh,
        year: b.year,
        budget_yuan: b.budget_yuan,
        clauses: b.clauses,
        opens_on: b.opens_on,
        closes_on: b.closes_on,
    };
    match app.awards.create_programme(&user, new).await {
        Ok(p) => (axum::http::StatusCode::CREATED, Json(json!(p))).into_response(),
        Err(e) => ctx.api_error(awards_error(e)).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct AttachmentBody {
    kind: String,
    file_name: String,
    content_type: String,
    base64: String,
}

#[derive(Debug, Deserialize)]
struct SubmitBody {
    programme_id: String,
    clause_id: String,
    title: String,
    #[serde(default)]
    facts: Map<String, Value>,
    #[serde(default)]
    requested_yuan: Option<i64>,
    #[serde(default)]
    attachments: Vec<AttachmentBody>,
}

async fn submit(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Json(b): Json<SubmitBody>,
) -> Response {
    let result = async {
        let today = app.awards.now().city_date();
        let clause = policy::shipped()
            .clause(&b.clause_id, today)
            .map_err(policy_error)?;
        let facts = facts_of(clause, &b.facts)?;
        let company = app
            .industry
            .company(&user.organisation.id)
            .await
            .map_err(|_| AppError::Refused {
                zh: "贵单位尚未登记在企业库中".into(),
                en: "Your company is not in the register".into(),
            })?;
        let mut attachments = Vec::new();
        for a in b.attachments {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(a.base64.trim())
                .map_err(|_| {
                    invalid(
                        "attachments",
                        "附件内容须为 base64 编码",
                        "Attachment content must be base64",
                    )
                })?;
            attachments.push(NewAttachment {
                kind: a.kind,
                file_name: a.file_name,
                content_type: a.content_type,
                bytes,
            });
        }
        app.awards
            .submit(
                &user,
                Submission {
                    programme_id: b.programme_id,
                    applicant: Applicant {
                        company_id: company.id,
                        name: company.name,
                        organisation_id: user.organisation.id.clone(),
                    },
                    clause_id: b.clause_id,
                    title: b.title,
                    facts,
                    requested_yuan: b.requested_yuan,
                    attachments,
                },
            )
            .await
            .map_err(awards_error)
    }
    .await;
    match result {
        Ok(a) => (axum::http::StatusCode::CREATED, Json(json!(a))).into_response(),
        Err(e) => ctx.api_error(e).into_response(),
    }
}

async fn application(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let a = app.awards.application(&user, &id).await?;
        let events = app.awards.events(&user, &id).await?;
        let payments = app.awards.disbursements(&user, &id).await?;
        Ok::<_, awards::AwardsError>(
            json!({ "application": a, "events": events, "disbursements": payments }),
        )
    }
    .await;
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => ctx.api_error(awards_error(e)).into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ActBody {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    amount_yuan: Option<i64>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    scores: Option<Vec<u32>>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    paid_on: Option<Date>,
    #[serde(default)]
    voucher: Option<String>,
    #[serde(default)]
    objection_id: Option<String>,
    #[serde(default)]
    upheld: Option<bool>,
    #[serde(default)]
    facts: Option<Map<String, Value>>,
}

async fn act(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    // Most steps take no body; those that do are checked as they are used.
    let b: ActBody = if body.iter().all(u8::is_ascii_whitespace) {
        ActBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                return ctx
                    .api_error(AppError::BadRequest {
                        zh: format!("请求体不是有效的 JSON：{e}"),
                        en: format!("The body is not valid JSON: {e}"),
                    })
                    .into_response();
            }
        }
    };
    let reason = b.reason.clone().unwrap_or_default();
    let aw = &app.awards;
    let need_amount = || {
        b.amount_yuan
            .ok_or_else(|| invalid("amount_yuan", "请填写金额（元）", "Give amount_yuan"))
    };
    let result: Result<Value, AppError> = async {
        let a = match action.as_str() {
            "pass" => aw.pre_review(&user, &id, PreReview::Pass).await,
            "return" => {
                aw.pre_review(&user, &id, PreReview::Return { reason })
                    .await
            }
            "refuse" => aw.refuse(&user, &id, &reason).await,
            "recommend" => {
                aw.recommend(
                    &user,
                    &id,
                    need_amount()?,
                    b.note.as_deref().unwrap_or_default(),
                )
                .await
            }
            "publish" => aw.publish_notice(&user, &id).await,
            "award" => aw.award(&user, &id).await,
            "withdraw" => aw.withdraw(&user, &id).await,
            "resubmit" => {
                let stored = aw.application(&user, &id).await.map_err(awards_error)?;
                let today = aw.now().city_date();
                let clause = policy::shipped()
                    .clause(&stored.clause_id, today)
                    .map_err(policy_error)?;
                let facts = facts_of(clause, &b.facts.clone().unwrap_or_default())?;
                aw.resubmit(&user, &id, facts).await
            }
            "score" => {
                aw.score(
                    &user,
                    &id,
                    b.scores.clone().unwrap_or_default(),
                    b.comment.as_deref().unwrap_or_default(),
                )
                .await
            }
            "object" => {
                return aw
                    .object(&user, &id, &reason)
                    .await
                    .map(|o| json!(o))
                    .map_err(awards_error);
            }
            "recuse" => {
                return aw
                    .recuse(&user, &id, &reason)
                    .await
                    .map(|p| json!({ "panel": p }))
                    .map_err(awards_error);
            }
            "resolve" => {
                let objection = b.objection_id.clone().unwrap_or_default();
                aw.resolve_objection(&user, &objection, b.upheld.unwrap_or(false), &reason)
                    .await
            }
            "disburse" => {
                let paid_on = b
                    .paid_on
                    .ok_or_else(|| invalid("paid_on", "请填写拨付日期", "Give paid_on"))?;
                return aw
                    .disburse(
                        &user,
                        &id,
                        need_amount()?,
                        paid_on,
                        b.voucher.as_deref().unwrap_or_default(),
                    )
                    .await
                    .map(|d| json!(d))
                    .map_err(awards_error);
            }
            _ => return Err(AppError::NotFound),
        };
        a.map(|a| json!(a)).map_err(awards_error)
    }
    .await;
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => ctx.api_error(e).into_response(),
    }
}

/// The OpenAPI path items of [`ROUTES`].
pub fn paths() -> Map<String, Value> {
    let id =
        json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } });
    let op = |summary: &str, b: Option<Value>, params: Vec<Value>| {
        let mut o = json!({ "summary": summary, "parameters": params, "responses": { "200": ok(summary), "401": problem(), "403": problem(), "404": problem(), "409": problem(), "422": problem() } });
        if let Some(b) = b {
            o["requestBody"] = b;
        }
        o
    };
    let mut p = Map::new();
    p.insert(ROUTES[0].into(), json!({ "get": op("Every clause (all versions) with kind, level, jurisdiction, period, whether in force today and its citation", None, vec![]) }));
    p.insert(ROUTES[1].into(), json!({ "get": op("One clause in force on a date: conditions, formula, caps, facts read, attachments", None, vec![json!({ "name": "id", "in": "query", "required": true, "schema": { "type": "string" } }), json!({ "name": "on", "in": "query", "required": false, "schema": { "type": "string", "format": "date" } })]) }));
    p.insert(ROUTES[2].into(), json!({ "post": op("Evaluate a clause for facts (no history): eligibility, amount, ceiling and the full trace", Some(body("{clause_id, on?, facts: {name: text}}")), vec![]) }));
    p.insert(ROUTES[3].into(), json!({ "get": op("The clauses a company qualifies for from the register (granted, superseded by an overlapping clause, possible once facts are supplied)", None, vec![id.clone()]) }));
    p.insert(ROUTES[4].into(), json!({
        "get": op("Programmes with their budget, committed, reserved and paid amounts", None, vec![]),
        "post": op("Set up a programme (S&T, industry or health bureau)", Some(body("{name_zh, name_en?, year, budget_yuan, clauses: [clause id], opens_on, closes_on}")), vec![]),
    }));
    p.insert(ROUTES[5].into(), json!({ "post": op("Submit an application for the caller's company; refused with the clause and reason when not in force, for another place, a fact missing or invalid, a condition unmet, above a cap, or a duplicate", Some(body("{programme_id, clause_id, title, facts: {name: text}, requested_yuan?, attachments: [{kind, file_name, content_type, base64}]}")), vec![]) }));
    p.insert(ROUTES[6].into(), json!({ "get": op("One application with its timeline and payments", None, vec![id.clone()]) }));
    p.insert(ROUTES[7].into(), json!({ "post": op("A step: pass | return {reason} | refuse {reason} | recommend {amount_yuan, note?} | publish | award | withdraw | resubmit {facts} | score {scores, comment?} | recuse {reason} | object {reason} | resolve {objection_id, upheld, reason} | disburse {amount_yuan, paid_on, voucher}", Some(body("step fields")), vec![id, json!({ "name": "action", "in": "path", "required": true, "schema": { "type": "string" } })]) }));
    p
}
