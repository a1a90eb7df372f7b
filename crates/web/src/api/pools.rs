//! `/api/v1` routes of the cultivation pools (issue 6, S5): the schemes with their cited
//! capacities and current lists, the yearly proposal from the company register and its steps
//! (amend with a written reason, submit, approve or reject by a second official, reopen,
//! publish), published lists, a company's history, and 一企一策 support plans with their
//! actions and follow-up notes. The `cultivation` crate decides who may do what: a step the
//! state does not allow or a full pool is 409, a short reason 422, the proposer approving
//! their own list 403; each refusal names the pool, its capacity and its citation.

use access::{Bureau, FieldError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use cultivation::{Change, NewAction, Proposal, Scheme};
use jiff::civil::Date;
use kernel::Lang;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::json::{answer, body, json_of};
use super::openapi::{json_body, object_ok as ok, problem};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::pages::pools::candidates::from_register;
use crate::pages::pools::{current_lists, parse_year, pools_error};
use crate::state::AppState;

/// The routes of this area, relative to `/api/v1`.
pub const ROUTES: &[&str] = &[
    "/pools",
    "/pools/{scheme}/{year}/proposal",
    "/pools/{scheme}/{year}/members",
    "/pools/proposals/{id}",
    "/pools/proposals/{id}/amend",
    "/pools/proposals/{id}/{step}",
    "/pools/companies/{id}/history",
    "/pools/companies/{id}/plans",
    "/pools/plans/{id}",
    "/pools/plans/{id}/actions",
    "/pools/plans/{id}/follow-ups",
    "/pools/actions/{id}/{step}",
    "/pools/overdue",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(overview))
        .route(ROUTES[1], get(proposal_for).post(propose))
        .route(ROUTES[2], get(members))
        .route(ROUTES[3], get(proposal))
        .route(ROUTES[4], post(amend))
        .route(ROUTES[5], post(step))
        .route(ROUTES[6], get(history))
        .route(ROUTES[7], get(plans_of).post(create_plan))
        .route(ROUTES[8], get(plan))
        .route(ROUTES[9], post(add_action))
        .route(ROUTES[10], post(add_follow_up))
        .route(ROUTES[11], post(close_action))
        .route(ROUTES[12], get(overdue))
}

fn year_of(text: &str) -> Result<i32, AppError> {
    parse_year(text).ok_or_else(|| {
        AppError::Invalid(vec![FieldError::new(
            "year",
            "年度应为2000至2100之间的四位数字",
            "the year is a four-digit number from 2000 to 2100",
        )])
    })
}

fn scheme_of<'a>(app: &'a AppState, id: &str) -> Result<&'a Scheme, AppError> {
    app.cultivation
        .schemes()
        .scheme(id)
        .ok_or(AppError::NotFound)
}

/// A scheme's pools with their capacity and its citation.
fn scheme_json(app: &AppState, s: &Scheme) -> Value {
    let schemes = app.cultivation.schemes();
    let source = |src: &kernel::Source| json!({ "citation": schemes.cite(src), "confirmed": src.confirmed, "note": src.note });
    json!({
        "id": s.id,
        "name_zh": s.name_zh,
        "name_en": s.name_en,
        "renewal": source(&s.renewal),
        "placement": source(&s.placement),
        "support": source(&s.support),
        "pools": s.pools.iter().map(|p| json!({
            "id": p.id,
            "name_zh": p.name_zh,
            "name_en": p.name_en,
            "capacity": { "min": p.capacity.value.min, "max": p.capacity.value.max },
            "source": source(&p.capacity.source),
        })).collect::<Vec<_>>(),
    })
}

/// A proposal with each pool's capacity used against its cited limit.
fn proposal_json(app: &AppState, p: &Proposal) -> Value {
    let schemes = app.cultivation.schemes();
    let capacity: Vec<Value> = schemes
        .scheme(&p.scheme)
        .map(|s| {
            s.pools
                .iter()
                .map(|pool| {
                    json!({
                        "pool": pool.id,
                        "members": p.count(&pool.id),
                        "min": pool.capacity.value.min,
                        "max": pool.capacity.value.max,
                        "citation": schemes.cite(&pool.capacity.source),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({ "proposal": p, "capacity": capacity })
}

async fn overview(State(app): State<AppState>, Signed { ctx, .. }: Signed) -> Response {
    let result = async {
        let lists = current_lists(&app).await?;
        let schemes: Vec<Value> = app
            .cultivation
            .schemes()
            .schemes
            .iter()
            .map(|s| {
                let mut v = scheme_json(&app, s);
                v["current"] = match lists.iter().find(|l| l.scheme.id == s.id) {
                    Some(l) => {
                        json!({ "year": l.year, "members": l.members, "by_district": l.counts })
                    }
                    None => Value::Null,
                };
                v
            })
            .collect();
        Ok(json!({ "schemes": schemes }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn propose(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((scheme, year)): Path<(String, String)>,
) -> Response {
    let result = async {
        let s = scheme_of(&app, &scheme)?;
        let year = year_of(&year)?;
        if !crate::pages::pools::runs_pools(&user) {
            // Before reading the register, whose refusal would give the wrong reason.
            return Err(AppError::Refused {
                zh: crate::i18n::t(Lang::Zh, "pools.refused.official").to_owned(),
                en: crate::i18n::t(Lang::En, "pools.refused.official").to_owned(),
            });
        }
        let field = from_register(&app, &user, year).await?;
        if field.candidates.is_empty() {
            let figures_year = field.figures_year.to_string();
            let args = [("year", year.to_string()), ("figures_year", figures_year)];
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            return Err(AppError::Invalid(vec![FieldError::new(
                "year",
                crate::i18n::tf(Lang::Zh, "pools.start.no_candidates", &args),
                crate::i18n::tf(Lang::En, "pools.start.no_candidates", &args),
            )]));
        }
        let p = app
            .cultivation
            .propose(&user, &s.id, year, &field.candidates)
            .await
            .map_err(pools_error)?;
        let mut v = proposal_json(&app, &p);
        v["figures_year"] = json!(field.figures_year);
        v["left_out"] = json_of(&field.left_out);
        Ok(v)
    }
    .await;
    answer(result, ctx.lang)
}

async fn proposal_for(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((scheme, year)): Path<(String, String)>,
) -> Response {
    let result = async {
        let s = scheme_of(&app, &scheme)?;
        let year = year_of(&year)?;
        match app
            .cultivation
            .proposal_for(&user, &s.id, year)
            .await
            .map_err(pools_error)?
        {
            Some(p) => Ok(proposal_json(&app, &p)),
            None => Err(AppError::NotFound),
        }
    }
    .await;
    answer(result, ctx.lang)
}

async fn members(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Path((scheme, year)): Path<(String, String)>,
) -> Response {
    let result = async {
        let s = scheme_of(&app, &scheme)?;
        let year = year_of(&year)?;
        let members = app
            .cultivation
            .members(&s.id, year)
            .await
            .map_err(pools_error)?;
        Ok(json!({ "scheme": s.id, "year": year, "total": members.len(), "members": members }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn proposal(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let p = app
            .cultivation
            .proposal(&user, &id)
            .await
            .map_err(pools_error)?;
        Ok(proposal_json(&app, &p))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Amendment {
    company_id: String,
    change: String,
    #[serde(default)]
    pool: Option<String>,
    #[serde(default)]
    reason: String,
}

fn change_of(a: &Amendment) -> Result<Change, AppError> {
    let pool = || {
        a.pool
            .clone()
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| {
                AppError::Invalid(vec![FieldError::new(
                    "pool",
                    "纳入或调整时请指定目标库",
                    "include and move need the pool to put the company in",
                )])
            })
    };
    match a.change.as_str() {
        "include" => Ok(Change::Include(pool()?)),
        "move" => Ok(Change::Move(pool()?)),
        "exclude" => Ok(Change::Exclude),
        _ => Err(AppError::Invalid(vec![FieldError::new(
            "change",
            "调整方式应为 include（纳入）、exclude（移出）或 move（调整库别）",
            "change is include, exclude or move",
        )])),
    }
}

async fn amend(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let a: Amendment = body(&bytes)?;
        let change = change_of(&a)?;
        let p = app
            .cultivation
            .amend(&user, &id, &a.company_id, change, &a.reason)
            .await
            .map_err(pools_error)?;
        Ok(proposal_json(&app, &p))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    #[serde(default)]
    reason: String,
}

async fn step(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, step)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let c = &app.cultivation;
        let p = match step.as_str() {
            "submit" => c.submit(&user, &id).await,
            "approve" => c.approve(&user, &id).await,
            "reject" => {
                let r: Reason = body(&bytes)?;
                c.reject(&user, &id, &r.reason).await
            }
            "reopen" => c.reopen(&user, &id).await,
            "publish" => c.publish(&user, &id).await,
            _ => return Err(AppError::NotFound),
        }
        .map_err(pools_error)?;
        Ok(proposal_json(&app, &p))
    }
    .await;
    answer(result, ctx.lang)
}

async fn history(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let history = app
            .cultivation
            .history(&user, &id)
            .await
            .map_err(pools_error)?;
        let current = app
            .cultivation
            .current_pools(&id)
            .await
            .map_err(pools_error)?;
        Ok(json!({ "company_id": id, "current": current, "history": history }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn plans_of(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let plans = app
            .cultivation
            .plans_of(&user, &id)
            .await
            .map_err(pools_error)?;
        Ok(json!({ "company_id": id, "plans": plans }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPlan {
    scheme: String,
    year: i32,
    goals: String,
}

async fn create_plan(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let n: NewPlan = body(&bytes)?;
        let plan = app
            .cultivation
            .create_plan(&user, &id, &n.scheme, n.year, &n.goals)
            .await
            .map_err(pools_error)?;
        Ok(json_of(&plan))
    }
    .await;
    answer(result, ctx.lang)
}

async fn plan(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let plan = app
            .cultivation
            .plan(&user, &id)
            .await
            .map_err(pools_error)?;
        Ok(json_of(&plan))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    what: String,
    owner_bureau: String,
    #[serde(default)]
    owner_user: Option<String>,
    due: String,
}

async fn add_action(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let a: ActionBody = body(&bytes)?;
        let mut errors = Vec::new();
        let owner = a.owner_bureau.parse::<Bureau>().ok();
        if owner.is_none() {
            let codes = Bureau::ALL.map(Bureau::code).join(", ");
            errors.push(FieldError::new(
                "owner_bureau",
                format!("负责部门应为以下之一：{codes}"),
                format!("owner_bureau is one of: {codes}"),
            ));
        }
        let due = a.due.trim().parse::<Date>().ok();
        if due.is_none() {
            errors.push(FieldError::new(
                "due",
                "完成期限应为 YYYY-MM-DD 格式的日期",
                "due is a date, YYYY-MM-DD",
            ));
        }
        let (Some(owner_bureau), Some(due)) = (owner, due) else {
            return Err(AppError::Invalid(errors));
        };
        let plan = app
            .cultivation
            .add_action(
                &user,
                &id,
                NewAction {
                    what: a.what,
                    owner_bureau,
                    owner_user: a.owner_user.filter(|u| !u.trim().is_empty()),
                    due,
                },
            )
            .await
            .map_err(pools_error)?;
        Ok(json_of(&plan))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    note: String,
}

async fn add_follow_up(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let n: Note = body(&bytes)?;
        let plan = app
            .cultivation
            .add_follow_up(&user, &id, &n.note)
            .await
            .map_err(pools_error)?;
        Ok(json_of(&plan))
    }
    .await;
    answer(result, ctx.lang)
}

async fn close_action(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, step)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let c = &app.cultivation;
        let plan = match step.as_str() {
            "complete" => c.complete_action(&user, &id).await,
            "drop" => {
                let r: Reason = body(&bytes)?;
                c.drop_action(&user, &id, &r.reason).await
            }
            _ => return Err(AppError::NotFound),
        }
        .map_err(pools_error)?;
        Ok(json_of(&plan))
    }
    .await;
    answer(result, ctx.lang)
}

async fn overdue(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let result = async {
        let today = kernel::UtcMillis::now().city_date();
        let overdue = app
            .cultivation
            .overdue_actions(&user, today)
            .await
            .map_err(pools_error)?;
        Ok(json!({ "today": today.to_string(), "total": overdue.len(), "items": overdue }))
    }
    .await;
    answer(result, ctx.lang)
}

/// The OpenAPI path items of [`ROUTES`].
pub fn paths() -> Map<String, Value> {
    let param = |name: &str, description: &str| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" }, "description": description });
    let op = |summary: &str, body: Option<Value>, params: Vec<Value>| {
        let mut o = json!({
            "summary": summary,
            "parameters": params,
            "responses": { "200": ok(summary), "401": problem(), "403": problem(), "404": problem(), "409": problem(), "422": problem() },
        });
        if let Some(b) = body {
            o["requestBody"] = b;
        }
        o
    };
    let id = || param("id", "id");
    let scheme = || param("scheme", "scheme id, e.g. nanjing-2022-tiers");
    let year = || {
        param(
            "year",
            "selection year (figures of the year before are used)",
        )
    };
    let mut paths = Map::new();
    paths.insert(ROUTES[0].into(), json!({ "get": op("The schemes with each pool's capacity and its citation, and each scheme's current published list (members, and counts by pool and district)", None, vec![]) }));
    paths.insert(ROUTES[1].into(), json!({
        "get": op("The proposal of a scheme and year with capacity used per pool (S&T and industry bureau officials, administrators)", None, vec![scheme(), year()]),
        "post": op("Propose from the company register: revenue, R&D and staff of year−1, revenue of year−2, qualifications, drugs in clinic and approvals; companies without figures for year−1 are returned in left_out; one proposal per scheme and year (409)", None, vec![scheme(), year()]),
    }));
    paths.insert(ROUTES[2].into(), json!({ "get": op("The published list of a scheme and year (every signed-in user)", None, vec![scheme(), year()]) }));
    paths.insert(ROUTES[3].into(), json!({ "get": op("One proposal: candidates by rank with score parts, proposed and current pool, capacity used per pool", None, vec![id()]) }));
    paths.insert(ROUTES[4].into(), json!({ "post": op("Amend a draft: include, exclude or move one candidate with a written reason (at least 10 characters); a full pool or an unmet criterion is 409 naming the pool, capacity and citation", Some(json_body("{company_id, change: include|exclude|move, pool?, reason}")), vec![id()]) }));
    paths.insert(ROUTES[5].into(), json!({ "post": op("A step: submit (minimums checked), approve (not by the proposer or an amender: 403), reject {reason}, reopen, publish", Some(json_body("{reason} for reject; empty otherwise")), vec![id(), json!({ "name": "step", "in": "path", "required": true, "schema": { "type": "string", "enum": ["submit", "approve", "reject", "reopen", "publish"] } })]) }));
    paths.insert(ROUTES[6].into(), json!({ "get": op("A company's current pools and its history: every step with reasons for officials, published and ended steps for the company's own users", None, vec![id()]) }));
    paths.insert(ROUTES[7].into(), json!({
        "get": op("A company's support plans (一企一策), newest year first", None, vec![id()]),
        "post": op("Create the support plan of a current member (officials)", Some(json_body("{scheme, year, goals}")), vec![id()]),
    }));
    paths.insert(ROUTES[8].into(), json!({ "get": op("One support plan with its actions and follow-up notes", None, vec![id()]) }));
    paths.insert(ROUTES[9].into(), json!({ "post": op("Add an action to a plan (officials)", Some(json_body("{what, owner_bureau: science_technology|health_commission|medical_insurance|industry_information|finance|statistics, owner_user?, due: YYYY-MM-DD}")), vec![id()]) }));
    paths.insert(ROUTES[10].into(), json!({ "post": op("Add a follow-up note (officials, or the company's own users)", Some(json_body("{note}")), vec![id()]) }));
    paths.insert(ROUTES[11].into(), json!({ "post": op("Complete an open action, or drop it with a written reason (officials); 409 when already closed", Some(json_body("{reason} for drop; empty otherwise")), vec![id(), json!({ "name": "step", "in": "path", "required": true, "schema": { "type": "string", "enum": ["complete", "drop"] } })]) }));
    paths.insert(ROUTES[12].into(), json!({ "get": op("Open actions past their due date, most overdue first (officials, administrators)", None, vec![]) }));
    paths
}
