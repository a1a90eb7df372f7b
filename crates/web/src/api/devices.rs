//! Devices over HTTP: the readings endpoint devices post to, and the endpoints people use to
//! register, bind and revoke devices, read readings and summaries, and review the quarantine.
//!
//! Two routers:
//!
//! - [`ingest_router`]: `POST /api/v1/devices/readings`, authenticated by the device's own
//!   credential (`Authorization: Bearer lhd_…`), not by a user. It must be merged *outside*
//!   the `ctx::authenticate` layer, which refuses any bearer that is not a user's `lht_` token.
//!   Body: a JSON array (`application/json`) or NDJSON (`application/x-ndjson`) of readings.
//!   Answers `200` with one result per reading (accepted, duplicate, quarantined with a problem,
//!   invalid with a problem naming the index or line and the field) once the valid part has
//!   committed; RFC 7807 problems for a refused batch: 401 unknown credential, 403 revoked or
//!   unbound device, 415 other content type, 400 not a batch, 413 too many readings, 503 with
//!   `Retry-After` when the platform holds as many readings as it admits.
//! - [`router`]: under `/api/v1` behind sign-in. Who may do what: the resident (their own
//!   account) or a user with `WriteHealthRecords` over the resident registers, binds and revokes
//!   devices; `WriteHealthRecords` (their doctor) reviews the quarantine; `ReadHealthRecords`
//!   reads readings and summaries.

use access::{FieldError, Permission, Principal, Target};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use devices::{
    AuthError, BodyError, Correction, Devices, DevicesError, Period, QuarantineStatus, ReceiveError,
};
use kernel::{Lang, UtcMillis};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ctx::Signed;
use crate::error::AppError;
use crate::state::AppState;

/// Every route, relative to `/api/v1`, in the order of [`router`]; the last is the readings
/// endpoint of [`ingest_router`] (the OpenAPI test checks each is documented).
pub const ROUTES: &[&str] = &[
    "/devices",
    "/devices/{id}/binding",
    "/devices/{id}/revocation",
    "/residents/{id}/devices",
    "/residents/{id}/readings",
    "/residents/{id}/readings/latest",
    "/residents/{id}/summaries",
    "/residents/{id}/quarantine",
    "/quarantine/{id}/acceptance",
    "/quarantine/{id}/discard",
    "/devices/readings",
];

/// The readings endpoint's full path.
pub const READINGS_PATH: &str = "/api/v1/devices/readings";

/// `POST /api/v1/devices/readings`, with its own state: merge it outside the session
/// middleware (see the module documentation).
/// Readings that committed reach the alert rules through the devices' feed.
pub fn ingest_router(devices: Devices) -> Router {
    Router::new()
        .route(READINGS_PATH, post(post_readings))
        .with_state(devices)
}

/// The signed-in endpoints, relative to `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], post(register))
        .route(ROUTES[1], post(bind))
        .route(ROUTES[2], post(revoke))
        .route(ROUTES[3], get(devices_of))
        .route(ROUTES[4], get(readings))
        .route(ROUTES[5], get(latest))
        .route(ROUTES[6], get(summaries))
        .route(ROUTES[7], get(quarantine))
        .route(ROUTES[8], post(accept))
        .route(ROUTES[9], post(discard))
}

fn problem_response() -> Value {
    json!({ "description": "Problem details (RFC 7807)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

/// OpenAPI path items of [`ROUTES`].
pub fn paths() -> serde_json::Map<String, Value> {
    let id = |what: &str| json!([{ "name": "id", "in": "path", "required": true, "description": what, "schema": { "type": "string" } }]);
    let body = |props: Value, required: Value| json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": props, "required": required } } } });
    let ok = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "type": "object" } } } });
    let item = |method: &str,
                summary: &str,
                params: Value,
                request: Option<Value>,
                success: (&str, Value)| {
        let mut op = json!({ "summary": summary, "parameters": params, "responses": {
            success.0: success.1, "400": problem_response(), "401": problem_response(), "403": problem_response(), "404": problem_response(), "422": problem_response() } });
        if let Some(r) = request {
            op["requestBody"] = r;
        }
        json!({ method: op })
    };
    let reading = json!({ "type": "object", "properties": {
        "message_id": { "type": "string" }, "measure": { "type": "string" }, "value": { "type": "number" },
        "systolic": { "type": "number" }, "diastolic": { "type": "number" }, "unit": { "type": "string" },
        "taken_at": { "type": "string", "format": "date-time" }, "resident_id": { "type": "string" } },
        "required": ["message_id", "measure", "unit", "taken_at"] });
    let none = json!([]);
    let mut paths = serde_json::Map::new();
    let entries = [
        item(
            "post",
            "Register a device for a resident; the answer carries its credential, shown once (the resident or their doctor)",
            none.clone(),
            Some(body(
                json!({ "kind": { "type": "string", "enum": ["bp_monitor", "glucometer", "cgm", "smart_watch", "scale"] }, "label": { "type": "string" }, "resident_id": { "type": "string" } }),
                json!(["kind", "label", "resident_id"]),
            )),
            (
                "201",
                ok("The device, its credential (lhd_…) and its MQTT topic"),
            ),
        ),
        item(
            "post",
            "Bind a device to a resident",
            id("device id"),
            Some(body(
                json!({ "resident_id": { "type": "string" } }),
                json!(["resident_id"]),
            )),
            ("200", ok("The device")),
        ),
        item(
            "post",
            "Revoke a device for good",
            id("device id"),
            Some(body(
                json!({ "reason": { "type": "string" } }),
                json!(["reason"]),
            )),
            ("200", ok("The device")),
        ),
        item(
            "get",
            "A resident's devices",
            id("resident id"),
            None,
            ("200", ok("items")),
        ),
        item(
            "get",
            "A resident's readings (query: series, from, to as RFC 3339, limit)",
            id("resident id"),
            None,
            (
                "200",
                ok("items: series, taken_at, value (canonical unit), device_id, message_id"),
            ),
        ),
        item(
            "get",
            "The latest value of each of a resident's series",
            id("resident id"),
            None,
            ("200", ok("items")),
        ),
        item(
            "get",
            "Hourly or daily figures (query: series, period=hour|day, from, to)",
            id("resident id"),
            None,
            ("200", ok("items: period_start, count, min, max, mean")),
        ),
        item(
            "get",
            "A resident's quarantined readings (query: status=open|accepted|discarded|all); their doctor",
            id("resident id"),
            None,
            ("200", ok("items with the reading as sent and the reason")),
        ),
        item(
            "post",
            "Accept a quarantined reading, corrected, with a reason; their doctor",
            id("quarantine entry id"),
            Some(body(
                json!({ "reason": { "type": "string" }, "value": { "type": "number" }, "systolic": { "type": "number" }, "diastolic": { "type": "number" }, "unit": { "type": "string" }, "taken_at": { "type": "string", "format": "date-time" } }),
                json!(["reason"]),
            )),
            ("200", ok("accepted: the values stored")),
        ),
        item(
            "post",
            "Discard a quarantined reading with a reason; their doctor",
            id("quarantine entry id"),
            Some(body(
                json!({ "reason": { "type": "string" } }),
                json!(["reason"]),
            )),
            ("204", json!({ "description": "Discarded" })),
        ),
    ];
    for (route, entry) in ROUTES.iter().zip(entries) {
        paths.insert((*route).to_owned(), entry);
    }
    let batch = json!({ "required": true, "content": {
        "application/json": { "schema": { "type": "array", "items": reading } },
        "application/x-ndjson": { "schema": { "type": "string", "description": "one reading object a line" } } } });
    paths.insert(ROUTES[10].to_owned(), json!({ "post": {
        "summary": "A device posts a batch of readings (Authorization: Bearer lhd_…, the device's credential, not a user's token). Each reading is answered once the batch has committed: accepted, duplicate (its message id was sent before), quarantined (with the reason) or invalid (with the index or line and field)",
        "requestBody": batch,
        "responses": { "200": ok("accepted, duplicates, quarantined, invalid, and results: one per reading"),
            "400": problem_response(), "401": problem_response(), "403": problem_response(), "413": problem_response(), "415": problem_response(), "503": problem_response() } } }));
    paths
}

// ---- the readings endpoint -------------------------------------------------------------------

async fn post_readings(
    State(devices): State<Devices>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = machine_language(&headers);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match devices.receive(bearer, content_type, &body).await {
        Ok(report) => Json(report.answer()).into_response(),
        Err(e) => refused(&e, lang),
    }
}

/// Machines get English problems unless they ask for Chinese.
fn machine_language(headers: &HeaderMap) -> Lang {
    let zh = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("zh"));
    if zh { Lang::Zh } else { Lang::En }
}

/// An RFC 7807 problem document.
fn problem(status: StatusCode, kind: &str, detail: String, extra: Value) -> Response {
    let mut body = json!({
        "type": format!("https://lifehealth.invalid/problems/{kind}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Value::Object(map), Value::Object(more)) = (&mut body, extra) {
        map.extend(more);
    }
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

fn refused(e: &ReceiveError, lang: Lang) -> Response {
    let say = |en: String, zh: String| if lang == Lang::Zh { zh } else { en };
    match e {
        ReceiveError::Auth(a) => {
            let (status, kind) = match a {
                AuthError::Unknown => (StatusCode::UNAUTHORIZED, "device-credential-unknown"),
                AuthError::Revoked { .. } => (StatusCode::FORBIDDEN, "device-revoked"),
                AuthError::Unbound { .. } => (StatusCode::FORBIDDEN, "device-unbound"),
            };
            let mut r = problem(status, kind, say(a.to_string(), a.message_zh()), json!({}));
            if status == StatusCode::UNAUTHORIZED {
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            r
        }
        ReceiveError::UnsupportedType { given } => problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            say(
                e.to_string(),
                format!(
                    "不接受内容类型 `{given}`；请发送 application/json（数组）或 application/x-ndjson"
                ),
            ),
            json!({}),
        ),
        ReceiveError::Body(b) => {
            let status = match b {
                BodyError::TooMany { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            let extra = match b {
                BodyError::NotJson { line, column, .. } => {
                    json!({ "line": line, "column": column })
                }
                _ => json!({}),
            };
            problem(
                status,
                "not-a-batch",
                say(b.to_string(), b.message_zh()),
                extra,
            )
        }
        ReceiveError::Devices(DevicesError::Busy {
            retry_after_seconds,
        }) => {
            let mut r = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                say(
                    format!("too many readings in flight; retry after {retry_after_seconds} s"),
                    format!("待处理读数过多，请 {retry_after_seconds} 秒后重试"),
                ),
                json!({}),
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after_seconds.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        ReceiveError::Devices(other) => {
            tracing::error!(error = %other, "device readings not stored");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                say(
                    "the readings could not be stored; nothing of the batch was kept, send it again"
                        .into(),
                    "读数未能保存，本批未保留任何内容，请重新发送".into(),
                ),
                json!({}),
            )
        }
    }
}

// ---- the signed-in endpoints -----------------------------------------------------------------

/// The resident's facts access decisions need, and whether `user` is that resident.
async fn person(app: &AppState, resident_id: &str) -> Result<registry::Resident, AppError> {
    app.clinical
        .residents()
        .resident(resident_id)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .ok_or(AppError::NotFound)
}

fn authorize(
    user: &Principal,
    permission: Permission,
    r: &registry::Resident,
) -> Result<(), AppError> {
    let organisations: Vec<&str> = r.care.community_centre_id.as_deref().into_iter().collect();
    user.authorize(
        permission,
        Target::Person {
            user_id: r.care.user_id.as_deref(),
            organisations: &organisations,
            district: r.care.district.as_deref(),
        },
    )
    .map_err(AppError::from)
}

/// The resident themself, or someone who may write their record (their doctor).
fn may_manage(user: &Principal, r: &registry::Resident) -> Result<(), AppError> {
    if r.care.user_id.as_deref() == Some(user.user_id.as_str()) {
        return Ok(());
    }
    authorize(user, Permission::WriteHealthRecords, r)
}

fn device_error(e: DevicesError) -> AppError {
    match e {
        DevicesError::UnknownKind { .. } => AppError::Invalid(vec![FieldError::new(
            "kind",
            format!("设备类型无效：{e}"),
            e.to_string(),
        )]),
        DevicesError::Invalid { field, problem } => AppError::Invalid(vec![FieldError::new(
            field,
            format!("`{field}` 无效（{problem}）"),
            format!("`{field}` {problem}"),
        )]),
        DevicesError::UnknownDevice(_) | DevicesError::UnknownQuarantined(_) => AppError::NotFound,
        DevicesError::Revoked(_) | DevicesError::AlreadyReviewed(_) => AppError::BadRequest {
            zh: format!("无法执行：{e}"),
            en: e.to_string(),
        },
        DevicesError::StillRejected(ref r) => AppError::Invalid(vec![FieldError::new(
            r.field(),
            r.message(Lang::Zh),
            r.message(Lang::En),
        )]),
        DevicesError::StillMalformed(ref s) => AppError::Invalid(vec![FieldError::new(
            "reading",
            s.message_zh(),
            s.to_string(),
        )]),
        other => AppError::Internal(other.to_string()),
    }
}

fn device_json(d: &devices::Device) -> Value {
    json!({ "id": d.id, "kind": d.kind, "label": d.label, "resident_id": d.resident_id, "revoked": d.revoked, "created_at": UtcMillis(d.created_at).to_rfc3339(), "created_by": d.created_by })
}

#[derive(Deserialize)]
struct NewDevice {
    kind: String,
    label: String,
    resident_id: String,
}

async fn register(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Json(new): Json<NewDevice>,
) -> Response {
    let result = async {
        let r = person(&app, &new.resident_id).await?;
        may_manage(&user, &r)?;
        let (device, credential) = app
            .devices
            .register(&user.user_id, &new.kind, &new.label, Some(&r.id))
            .await
            .map_err(device_error)?;
        let mut body = device_json(&device);
        // Shown this once; only its hash is kept.
        body["credential"] = json!(credential);
        body["mqtt_topic"] = json!(devices::mqtt::topic_for(&device.id));
        Ok::<_, AppError>((StatusCode::CREATED, Json(body)).into_response())
    };
    result
        .await
        .unwrap_or_else(|e| ctx.api_error(e).into_response())
}

/// The device's current resident, checked with `may_manage`.
async fn managed_device(
    app: &AppState,
    user: &Principal,
    device_id: &str,
) -> Result<devices::Device, AppError> {
    let device = app
        .devices
        .device(device_id)
        .await
        .map_err(device_error)?
        .ok_or(AppError::NotFound)?;
    match &device.resident_id {
        Some(resident_id) => may_manage(user, &person(app, resident_id).await?)?,
        None if device.created_by == user.user_id => {}
        None => return Err(AppError::Forbidden),
    }
    Ok(device)
}

#[derive(Deserialize)]
struct Binding {
    resident_id: String,
}

async fn bind(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Json(binding): Json<Binding>,
) -> Response {
    let result = async {
        managed_device(&app, &user, &id).await?;
        let r = person(&app, &binding.resident_id).await?;
        may_manage(&user, &r)?;
        let device = app
            .devices
            .bind(&user.user_id, &id, &r.id)
            .await
            .map_err(device_error)?;
        Ok::<_, AppError>(Json(device_json(&device)).into_response())
    };
    result
        .await
        .unwrap_or_else(|e| ctx.api_error(e).into_response())
}

#[derive(Deserialize)]
struct Reason {
    reason: String,
}

async fn revoke(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Json(body): Json<Reason>,
) -> Response {
    let result = async {
        managed_device(&app, &user, &id).await?;
        let device = app
            .devices
            .revoke(&user.user_id, &id, &body.reason)
            .await
            .map_err(device_error)?;
        Ok::<_, AppError>(Json(device_json(&device)).into_response())
    };
    result
        .await
        .unwrap_or_else(|e| ctx.api_error(e).into_response())
}

async fn devices_of(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let r = person(&app, &id).await?;
        authorize(&user, Permission::ReadHealthRecords, &r)?;
        let list = app.devices.devices_of(&id).await.map_err(device_error)?;
        Ok::<_, AppError>(
            Json(json!({ "items": list.iter().map(device_json).collect::<Vec<_>>() }))
                .into_response(),
        )
    };
    result
        .await
        .unwrap_or_else(|e| ctx.api_error(e).into_response())
}

#[derive(Deserialize)]
struct Window {
    series: Option<String>,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
    status: Option<String>,
}

fn time(field: &'static str, text: Option<&str>, default: i64) -> Result<UtcMillis, AppError> {
    match text {
        None => Ok(UtcMillis(default)),
        Some(t) => t
            .parse::<jiff::Timestamp>()
            .map(UtcMillis::from_timestamp)
            .map_err(|_| {
                AppError::Invalid(vec![FieldError::new(
                    field,
                    format!("`{field}` 应为带时区偏移的RFC 3339时间"),
                    format!("`{field}` must be an RFC 3339 time with an offset"),
                )])
            }),
    }
}

async fn readings(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Query(w): Query<Window>,
) -> Response {
    let result = async {
        let r = person(&app, &id).await?;
        authorize(&user, Permission::ReadHealthRecords, &r)?;
        let from = time("from", w.from.as_deref(), 0)?;
        let to = time("to", w.to.as_deref(), i64::MAX)?;
        let limit = w.limit.unwrap_or(1_000).min(10_000);
        let list = app
            .devices
            .readings(&id, w.series.as_deref(), from, to, limit)
            .await
            .map_err(device_error)?;
        Ok::<_, AppError>(Json(json!({ "items": list })).into_response())
    };
    result
        .await
        .unwrap_or_else(|e| ctx.api_error(e).into_response())
}

async fn latest(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let r = person(&app, &id).await?;
        authorize(&user, Permission::ReadHealthRecords, &r)?;
        let list = app.devices.latest(&id).await.map_err(device_error)?;
        Ok::<_, AppError>(Json(json!({ "items": list })).into_response())
    };
    result
        .await
        .unwrap_or_else(|e| ctx.api_error(e).into_response())
}

async fn summaries(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Query(w): Query<Window>,
) -> Response {
    let result = async {
        let r = person(&app, &id).await?;
        authorize(&user, Permission::ReadHealthRecords, &r)?;
        let invalid = |field: &'static str, zh: &str, en: &str| {
            AppError::Invalid(vec![FieldError::new(field, zh, en)])
        };
        let series = w
            .series
            .as_deref()
            .ok_or_else(|| invalid("series", "请给出 series，如 sbp", "give series, e.g. sbp"))?;
        let period = Period::parse(w.period.as_deref().unwrap_or("day")).ok_or_else(|| {
            invalid(
                "period",
                "period 应为 hour 或 day",
                "period must be hour or day",
            )
        })?;
        let from = time("from", w.from.as_deref(), 0)?;
        let to = time("to", w.to.as_deref(), i64::MAX)?;
        let list = app
            .devices
            .summaries(&id, series, period, from, to)
            .await
            .map_err(device_error)?;
        Ok::<_, AppError>(Json(json!({ "items": list })).into_response())
    };
    result
        .await
        .unwrap_or_else(|e| ctx.api_error(e).into_response())
}

async fn quarantine(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Query(w): Query<Window>,
) -> Response {
    let result = async {
        let r = person(&app, &id).await?;
        authorize(&user, Permission::WriteHealthRecords, &r)?;
        let status = match w.status.as_deref() {
            None | Some("open") => Some(QuarantineStatus::Open),
            Some("accepted") => Some(QuarantineStatus::Accepted),
            Some("discarded") => Some(QuarantineStatus::Discarded),
            Some("all") => None,
            Some(_) => {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "status",
                    "status 应为 open、accepted、discarded 或 all",
                    "status must be open, accepted, discarded or all",
                )]));
            }
        };
        let list = app
            .devices
            .quarantined(&id, status)
            .await
            .map_err(device_error)?;
        let lang = ctx.lang;
        let items: Vec<Value> = list
            .iter()
            .map(|q| {
                json!({
                    "id": q.id, "device_id": q.device_id, "message_id": q.message_id,
                    "reading": q.reading,
                    "reason": q.rejection.as_ref().map(|r| json!({ "code": r.code(), "field": r.field(), "message": r.message(lang) })),
                    "received_at": UtcMillis(q.received_at).to_rfc3339(),
                    "status": q.status.code(), "decided_by": q.decided_by,
                    "decided_at": q.decided_at.map(|t| UtcMillis(t).to_rfc3339()),
                    "decision_reason": q.decision_reason,
                })
            })
            .collect();
        Ok::<_, AppError>(Json(json!({ "items": items })).into_response())
    };
    result
        .await
        .unwrap_or_else(|e| ctx.api_error(e).into_response())
}

/// The doctor's review of a quarantined reading: who it belongs to, checked.
async fn reviewable(
    app: &AppState,
    user: &Principal,
    id: &str,
) -> Result<devices::Quarantined, AppError> {
    let entry = app
        .devices
        .quarantined_reading(id)
        .await
        .map_err(device_error)?
        .ok_or(AppError::NotFound)?;
    let r = person(app, &entry.resident_id).await?;
    authorize(user, Permission::WriteHealthRecords, &r)?;
    Ok(entry)
}

#[derive(Deserialize)]
struct Acceptance {
    reason: String,
    value: Option<f64>,
    systolic: Option<f64>,
    diastolic: Option<f64>,
    unit: Option<String>,
    taken_at: Option<String>,
}

async fn accept(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Json(body): Json<Acceptance>,
) -> Response {
    let result = async {
        reviewable(&app, &user, &id).await?;
        let taken_at = match body.taken_at.as_deref() {
            Some(t) => Some(time("taken_at", Some(t), 0)?),
            None => None,
        };
        let correction = Correction {
            value: body.value,
            systolic: body.systolic,
            diastolic: body.diastolic,
            unit: body.unit,
            taken_at,
        };
        let accepted = app
            .devices
            .accept_quarantined(&user.user_id, &id, &correction, &body.reason)
            .await
            .map_err(device_error)?;
        Ok::<_, AppError>(Json(json!({ "accepted": accepted })).into_response())
    };
    result
        .await
        .unwrap_or_else(|e| ctx.api_error(e).into_response())
}

async fn discard(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Json(body): Json<Reason>,
) -> Response {
    let result = async {
        reviewable(&app, &user, &id).await?;
        app.devices
            .discard_quarantined(&user.user_id, &id, &body.reason)
            .await
            .map_err(device_error)?;
        Ok::<_, AppError>(StatusCode::NO_CONTENT.into_response())
    };
    result
        .await
        .unwrap_or_else(|e| ctx.api_error(e).into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::Request;
    use axum::middleware::{self, Next};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    async fn service() -> (Devices, impl Sized) {
        let (db, dir) = store::testing::sqlite().await;
        db.migrate(&[devices::migrations()]).await.unwrap();
        let devices = Devices::new(db, Arc::new(vault::Keyring::for_tests())).unwrap();
        (devices, dir)
    }

    /// Stands in for `ctx::authenticate`: refuses every bearer that is not a user token.
    async fn sessions_only(request: Request<Body>, next: Next) -> Response {
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if bearer.starts_with("Bearer ") && !bearer.starts_with("Bearer lht_") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        next.run(request).await
    }

    /// The platform's shape: the API nested with a fallback, behind the session layer, and
    /// the readings endpoint merged after the layer.
    fn app(devices: Devices) -> Router {
        Router::new()
            .nest(
                "/api/v1",
                Router::new()
                    .route("/me", get(|| async { "me" }))
                    .fallback(|| async { StatusCode::NOT_FOUND }),
            )
            .layer(middleware::from_fn(sessions_only))
            .merge(ingest_router(devices))
    }

    async fn send(
        app: &Router,
        bearer: &str,
        content_type: &str,
        body: &str,
    ) -> (StatusCode, HeaderMap, Value) {
        let request = Request::post(READINGS_PATH)
            .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            headers,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn hr(id: &str, value: &str) -> String {
        let t = UtcMillis(UtcMillis::now().0 - 60_000).to_rfc3339();
        format!(
            r#"{{"message_id":"{id}","measure":"heart_rate","value":{value},"unit":"/min","taken_at":"{t}"}}"#
        )
    }

    #[tokio::test]
    async fn a_device_posts_readings_and_gets_one_result_each() {
        let (devices, _dir) = service().await;
        let (_, secret) = devices
            .register("doctor", "smart_watch", "watch", Some("r1"))
            .await
            .unwrap();
        let app = app(devices.clone());
        let body = format!(
            "{}\n{}\n{}\n",
            hr("a", "70"),
            hr("b", "\"x\""),
            hr("a", "70")
        );
        let (status, _, json) = send(&app, &secret, "application/x-ndjson", &body).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        assert_eq!(json["accepted"], 1);
        assert_eq!(json["duplicates"], 1);
        assert_eq!(json["invalid"], 1);
        assert_eq!(json["results"][1]["line"], 2);
        assert_eq!(json["results"][1]["problem"]["field"], "value");
        assert_eq!(json["results"][2]["status"], "duplicate");
        let stored = devices
            .readings("r1", None, UtcMillis(0), UtcMillis(i64::MAX), 10)
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);

        let (status, _, json) = send(
            &app,
            &secret,
            "application/json",
            &format!("[{}]", hr("c", "500")),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json["results"][0]["status"], "quarantined");
        assert_eq!(json["results"][0]["problem"]["code"], "implausible");
    }

    #[tokio::test]
    async fn refused_batches_get_problem_documents() {
        let (devices, _dir) = service().await;
        let (d, secret) = devices
            .register("doctor", "smart_watch", "watch", Some("r1"))
            .await
            .unwrap();
        let (_, unbound) = devices
            .register("doctor", "scale", "scale", None)
            .await
            .unwrap();
        let app = app(devices.clone());

        let (status, headers, json) = send(&app, "lhd_wrong", "application/json", "[]").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(
            json["type"],
            "https://lifehealth.invalid/problems/device-credential-unknown"
        );

        let (status, _, json) = send(&app, &unbound, "application/json", "[]").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            json["type"],
            "https://lifehealth.invalid/problems/device-unbound"
        );

        let (status, _, json) = send(&app, &secret, "text/csv", "a,b").await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{json}");

        let (status, _, json) = send(&app, &secret, "application/json", "[{\"message_id\":").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            (json["line"].clone(), json["type"].clone()),
            (
                json!(1),
                json!("https://lifehealth.invalid/problems/not-a-batch")
            )
        );

        let many = vec![hr("x", "70"); 10_001].join("\n");
        let (status, _, _) = send(&app, &secret, "application/x-ndjson", &many).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

        devices.revoke("doctor", &d.id, "lost").await.unwrap();
        let (status, _, json) = send(
            &app,
            &secret,
            "application/json",
            &format!("[{}]", hr("y", "70")),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            json["type"],
            "https://lifehealth.invalid/problems/device-revoked"
        );
        assert!(json["detail"].as_str().unwrap().contains("revoked"));
    }

    #[tokio::test]
    async fn a_full_platform_answers_503_with_retry_after() {
        let (devices, _dir) = service().await;
        let (_, secret) = devices
            .register("doctor", "smart_watch", "watch", Some("r1"))
            .await
            .unwrap();
        let max = devices.catalogue().rules.max_in_flight_readings.value;
        let _held = devices.try_admit(max).unwrap();
        let (status, headers, json) = send(
            &app(devices.clone()),
            &secret,
            "application/json",
            &format!("[{}]", hr("z", "70")),
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers[header::RETRY_AFTER], "1");
        assert_eq!(json["type"], "https://lifehealth.invalid/problems/busy");
    }
}
