//! `/api/v1` routes of the alerts area: the caller's inbox, and acknowledging and resolving
//! an alert with an optional note. Only doctors (community and hospital) hold an inbox; the
//! `alerts` crate decides which alerts are theirs. Errors are RFC 7807 problems: 403 for an
//! alert that is not the caller's to act on, 404 for an unknown one, 409 for resolving before
//! acknowledging, 422 naming the field for bad input.

use access::FieldError;
use alerts::{AlertError, InboxFilter, StateFilter};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kernel::Lang;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::pages::alerts::{alert_error, record_staff_view, staff_of};
use crate::state::AppState;

/// The routes of this area, relative to `/api/v1`.
pub const ROUTES: &[&str] = &[
    "/alerts",
    "/alerts/{id}/acknowledge",
    "/alerts/{id}/resolve",
];

/// Largest page the inbox answers.
const MAX_LIMIT: u32 = 200;

/// The state filters the API accepts, by their query value.
const STATES: [(&str, StateFilter); 5] = [
    ("open", StateFilter::Open),
    ("unacknowledged", StateFilter::Unacknowledged),
    ("acknowledged", StateFilter::Acknowledged),
    ("resolved", StateFilter::Resolved),
    ("all", StateFilter::All),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(inbox))
        .route(ROUTES[1], post(acknowledge))
        .route(ROUTES[2], post(resolve))
}

#[derive(Deserialize)]
struct InboxQuery {
    state: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

fn field(name: &'static str, key: &str, args: &[(&str, &str)]) -> FieldError {
    FieldError::new(name, tf(Lang::Zh, key, args), tf(Lang::En, key, args))
}

/// The inbox filter of the query, or every problem with it.
fn filter_of(q: &InboxQuery) -> Result<InboxFilter, AppError> {
    let mut errors = Vec::new();
    let allowed = STATES.map(|(c, _)| c).join(", ");
    let state = match q.state.as_deref() {
        None => StateFilter::Open,
        Some(s) => STATES
            .iter()
            .find(|(code, _)| *code == s)
            .map(|(_, f)| *f)
            .unwrap_or_else(|| {
                errors.push(field(
                    "state",
                    "alerts.api.bad_state",
                    &[("value", s), ("allowed", &allowed)],
                ));
                StateFilter::Open
            }),
    };
    let max = MAX_LIMIT.to_string();
    let limit = match q.limit.as_deref() {
        None => InboxFilter::DEFAULT_LIMIT,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                errors.push(field(
                    "limit",
                    "alerts.api.bad_limit",
                    &[("value", s), ("max", &max)],
                ));
                InboxFilter::DEFAULT_LIMIT
            }
        },
    };
    let offset = match q.offset.as_deref() {
        None => 0,
        Some(s) => s.parse::<u32>().unwrap_or_else(|_| {
            errors.push(field("offset", "alerts.api.bad_offset", &[("value", s)]));
            0
        }),
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(InboxFilter {
        state,
        limit,
        offset,
        ..InboxFilter::default()
    })
}

/// `GET /alerts`: the caller's inbox, a page at a time.
async fn inbox(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<InboxQuery>,
) -> Response {
    let staff = match staff_of(&user) {
        Ok(s) => s,
        Err(e) => return ctx.api_error(e).into_response(),
    };
    let filter = match filter_of(&q) {
        Ok(f) => f,
        Err(e) => return ctx.api_error(e).into_response(),
    };
    let listed = async {
        let items = app.alerts.inbox(&staff, &filter).await?;
        let total = app.alerts.count(&staff, &filter).await?;
        Ok::<_, AlertError>((items, total))
    }
    .await;
    match listed {
        Ok((items, total)) => {
            record_staff_view(&app, &user, &items).await;
            Json(json!({
                "total": total,
                "limit": filter.limit,
                "offset": filter.offset,
                "items": items,
            }))
            .into_response()
        }
        Err(e) => ctx.api_error(alert_error(e)).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    note: Option<String>,
}

/// The note of a JSON body; an empty body is no note.
fn note_of(body: &[u8]) -> Result<Option<String>, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let parsed: NoteBody = serde_json::from_slice(body).map_err(|e| {
        AppError::Invalid(vec![field(
            "body",
            "alerts.api.bad_body",
            &[("reason", &e.to_string())],
        )])
    })?;
    Ok(parsed.note.filter(|n| !n.trim().is_empty()))
}

#[derive(Clone, Copy)]
enum Action {
    Acknowledge,
    Resolve,
}

async fn acknowledge(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    act(&app, &ctx, &user, &id, &body, Action::Acknowledge).await
}

async fn resolve(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    act(&app, &ctx, &user, &id, &body, Action::Resolve).await
}

async fn act(
    app: &AppState,
    ctx: &Ctx,
    user: &access::Principal,
    id: &str,
    body: &[u8],
    action: Action,
) -> Response {
    let staff = match staff_of(user) {
        Ok(s) => s,
        Err(e) => return ctx.api_error(e).into_response(),
    };
    let note = match note_of(body) {
        Ok(n) => n,
        Err(e) => return ctx.api_error(e).into_response(),
    };
    let now = kernel::UtcMillis::now().0;
    let done = match action {
        Action::Acknowledge => {
            app.alerts
                .acknowledge(id, &staff, note.as_deref(), now)
                .await
        }
        Action::Resolve => app.alerts.resolve(id, &staff, note.as_deref(), now).await,
    };
    let outcome = match done {
        Ok(o) => o,
        Err(AlertError::NotAcknowledged(_)) => return not_acknowledged(ctx.lang),
        Err(e) => return ctx.api_error(alert_error(e)).into_response(),
    };
    let alert = match app.alerts.alert(id, &staff).await {
        Ok(a) => a,
        Err(e) => return ctx.api_error(alert_error(e)).into_response(),
    };
    Json(json!({
        "alert_id": outcome.alert_id,
        "by": outcome.by,
        "at": outcome.at,
        "first": outcome.first,
        "state": alert.map(|a| a.state),
    }))
    .into_response()
}

/// 409: the alert must be acknowledged before it is resolved. `ApiError` has no conflict, so
/// the problem document is written here in the same shape.
fn not_acknowledged(lang: Lang) -> Response {
    let detail = t(lang, "alerts.error.not_acknowledged");
    let problem = json!({
        "type": "https://lifehealth.invalid/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": detail,
        "errors": [{ "field": "state", "message": detail }],
    });
    let mut response = (StatusCode::CONFLICT, problem.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

fn problem() -> Value {
    json!({ "description": "Problem (RFC 7807)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

/// The OpenAPI path items of [`ROUTES`].
pub fn paths() -> Map<String, Value> {
    let alert = json!({ "type": "object", "description": "An alert: an episode of one rule for one resident (ids, rule, severity, level, state, first and last values and times, reading count, escalation, acknowledgement and resolution with their notes). Times are Unix milliseconds." });
    let id =
        json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } });
    let note_body = json!({
        "required": false,
        "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "properties": {
            "note": { "type": "string", "description": "optional note; at most rules/alerts.toml notes.max_chars characters, no control characters but line breaks and tabs" }
        } } } }
    });
    let outcome = json!({ "description": "Done, or done before (first = false, by and at say who and when)", "content": { "application/json": { "schema": { "type": "object", "properties": {
        "alert_id": { "type": "string" }, "by": { "type": "string" }, "at": { "type": "integer" },
        "first": { "type": "boolean" }, "state": { "type": "string", "enum": ["raised", "acknowledged", "resolved"] }
    } } } } });
    let operation = |summary: &str, conflict: bool| {
        let mut responses = json!({
            "200": outcome.clone(), "400": problem(), "401": problem(), "403": problem(),
            "404": problem(), "422": problem(),
        });
        if conflict {
            responses["409"] = problem();
        }
        json!({ "post": {
            "summary": summary,
            "parameters": [id.clone()],
            "requestBody": note_body.clone(),
            "responses": responses,
        } })
    };
    let mut paths = Map::new();
    paths.insert(
        ROUTES[0].into(),
        json!({ "get": {
            "summary": "The caller's alert inbox (community and hospital doctors): alerts addressed to them and those escalated to their centre or district, waiting first, then the most severe and newest",
            "parameters": [
                { "name": "state", "in": "query", "required": false, "schema": { "type": "string", "enum": STATES.map(|(c, _)| c), "default": "open" } },
                { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": InboxFilter::DEFAULT_LIMIT } },
                { "name": "offset", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 0, "default": 0 } }
            ],
            "responses": {
                "200": { "description": "A page of the inbox", "content": { "application/json": { "schema": { "type": "object", "properties": {
                    "total": { "type": "integer" }, "limit": { "type": "integer" }, "offset": { "type": "integer" },
                    "items": { "type": "array", "items": alert }
                } } } } },
                "401": problem(), "403": problem(), "422": problem()
            }
        } }),
    );
    paths.insert(
        ROUTES[1].into(),
        operation(
            "Acknowledge an alert (its addressee, or once escalated the staff of the resident's centre); stops escalation",
            false,
        ),
    );
    paths.insert(
        ROUTES[2].into(),
        operation(
            "Resolve an acknowledged alert, closing its episode; 409 if nobody has acknowledged it",
            true,
        ),
    );
    paths
}
