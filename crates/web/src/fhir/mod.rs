//! `/fhir`: the FHIR R4 REST interface (互联互通). Requests become calls on the clinical
//! record service; every answer is FHIR JSON (`application/fhir+json`), every error an
//! OperationOutcome naming the offending element. Machines authenticate with bearer tokens
//! (`lifehealth token create`); a signed-in browser session works too, for GET.

mod audit_events;
mod export;

use access::{Principal, Role};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use clinical::{Actor, ClinicalError};
use fhir::{Issue, IssueCode, SearchRequest};
use ledger::PurposeOfUse;
use records::Stored;
use serde_json::Value;

use crate::ctx::Ctx;
use crate::state::AppState;

/// FHIR's JSON media type.
pub const FHIR_JSON: &str = "application/fhir+json; fhirVersion=4.0";

/// Largest request body: a transaction Bundle of a few thousand resources.
const MAX_BODY_BYTES: usize = 32 << 20;

/// The header a client states its purpose of use in (HL7 v3 PurposeOfUse codes).
pub const PURPOSE_HEADER: &str = "x-purpose-of-use";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/metadata", get(metadata))
        .route("/$export", get(export::system))
        .route(
            "/$export-status/{job}",
            get(export::status).delete(export::cancel),
        )
        .route(
            "/$export-file/{job}/{resource_type}/{file}",
            get(export::file),
        )
        .route("/", axum::routing::post(bundle))
        .route("/{resource_type}", get(search).post(create))
        .route("/{resource_type}/_search", axum::routing::post(search_post))
        .route(
            "/{resource_type}/{id}",
            get(read).put(update).delete(delete),
        )
        .route("/{resource_type}/{id}/{operation}", get(instance_operation))
        .route("/{resource_type}/{id}/_history/{version}", get(vread))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// A FHIR answer or error.
pub struct Fhir {
    status: StatusCode,
    body: Value,
    headers: Vec<(header::HeaderName, String)>,
    /// A body sent as is (NDJSON), instead of `body`.
    raw: Option<(String, &'static str)>,
}

impl Fhir {
    fn ok(body: Value) -> Fhir {
        Fhir {
            status: StatusCode::OK,
            body,
            headers: Vec::new(),
            raw: None,
        }
    }

    fn error(status: StatusCode, issues: &[Issue]) -> Fhir {
        Fhir {
            status,
            body: fhir::operation_outcome(issues),
            headers: Vec::new(),
            raw: None,
        }
    }

    fn issue(status: StatusCode, code: IssueCode, expression: &str, diagnostics: &str) -> Fhir {
        Fhir::error(status, &[Issue::error(code, expression, diagnostics)])
    }

    /// ETag and Last-Modified of a stored version.
    fn versioned(mut self, version: i64, last_updated: i64) -> Fhir {
        self.headers
            .push((header::ETAG, format!("W/\"{version}\"")));
        self.headers.push((
            header::LAST_MODIFIED,
            kernel::UtcMillis(last_updated)
                .to_timestamp()
                .strftime("%a, %d %b %Y %H:%M:%S GMT")
                .to_string(),
        ));
        self
    }
}

impl From<ClinicalError> for Fhir {
    fn from(e: ClinicalError) -> Fhir {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %e, "FHIR request failed");
        }
        Fhir::error(status, &e.issues())
    }
}

impl IntoResponse for Fhir {
    fn into_response(self) -> Response {
        let (text, content_type) = match self.raw {
            Some((text, content_type)) => (text, content_type),
            None => (self.body.to_string(), FHIR_JSON),
        };
        let mut response = (self.status, text).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
        response
    }
}

type FhirResult = Result<Fhir, Fhir>;

/// The answer to a request without valid credentials.
pub fn unauthorized() -> Fhir {
    let mut answer = Fhir::issue(
        StatusCode::UNAUTHORIZED,
        IssueCode::Login,
        "",
        "sign in, or send `Authorization: Bearer <token>` (create one with `lifehealth token create` or on your account page); a token that expired or was revoked is refused",
    );
    answer.headers.push((
        header::WWW_AUTHENTICATE,
        "Bearer realm=\"lifehealth\"".into(),
    ));
    answer
}

/// The signed-in caller as a record actor; OperationOutcome 401 otherwise.
pub struct Caller {
    pub user: Principal,
    pub actor: Actor,
    pub base_url: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Fhir;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Fhir> {
        let ctx = parts.extensions.get::<Ctx>().cloned();
        let Some(user) = ctx.and_then(|c| c.principal) else {
            return Err(unauthorized());
        };
        let purpose = purpose(&parts.headers, &user)?;
        Ok(Caller {
            actor: Actor::from_principal(&user, purpose),
            user,
            base_url: base_url(state, &parts.headers),
        })
    }
}

/// This server's FHIR base URL as the client reached it (HTTPS when the platform runs behind
/// TLS, as `secure_cookies` says).
fn base_url(app: &AppState, headers: &HeaderMap) -> String {
    let scheme = if app.settings.secure_cookies {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("{scheme}://{host}/fhir")
}

/// The purpose stated in `X-Purpose-Of-Use`, or the usual one of the caller's main role.
fn purpose(headers: &HeaderMap, user: &Principal) -> Result<PurposeOfUse, Fhir> {
    if let Some(value) = headers.get(PURPOSE_HEADER) {
        let code = value.to_str().unwrap_or_default().trim();
        return PurposeOfUse::from_code(code).ok_or_else(|| {
            let allowed: Vec<&str> = PurposeOfUse::ALL.iter().map(|p| p.code()).collect();
            Fhir::issue(
                StatusCode::BAD_REQUEST,
                IssueCode::Value,
                "",
                &format!(
                    "X-Purpose-Of-Use `{code}` is not a purpose this server knows; use one of {}",
                    allowed.join(", ")
                ),
            )
        });
    }
    Ok(match user.primary_role() {
        Some(Role::Resident) => PurposeOfUse::PatientRequest,
        Some(Role::CommunityDoctor) => PurposeOfUse::CareManagement,
        Some(Role::BureauOfficial) => PurposeOfUse::PublicHealth,
        Some(Role::Researcher) => PurposeOfUse::Research,
        _ => PurposeOfUse::Treatment,
    })
}

fn known_type(resource_type: &str) -> Result<(), Fhir> {
    if fhir::is_resource_type(resource_type) {
        Ok(())
    } else {
        Err(Fhir::issue(
            StatusCode::NOT_FOUND,
            IssueCode::NotSupported,
            "",
            &format!("`{resource_type}` is not an R4 resource type"),
        ))
    }
}

fn parse_body(body: &Bytes) -> Result<Value, Fhir> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Fhir::issue(
            StatusCode::BAD_REQUEST,
            IssueCode::Structure,
            "",
            &format!(
                "the body is not JSON: {e} (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(Fhir::issue(
            StatusCode::BAD_REQUEST,
            IssueCode::Structure,
            "",
            "the body must be a JSON object: one FHIR resource",
        ))
    }
}

fn resource_response(stored: Stored) -> Fhir {
    Fhir::ok(stored.body).versioned(stored.version, stored.last_updated)
}

async fn metadata(State(app): State<AppState>, headers: HeaderMap) -> Fhir {
    Fhir::ok(fhir::capability_statement(&fhir::ServerInfo {
        base_url: base_url(&app, &headers),
        software: "lifehealth".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        date: clinical::today().to_string(),
    }))
}

async fn not_found() -> Fhir {
    Fhir::issue(
        StatusCode::NOT_FOUND,
        IssueCode::NotSupported,
        "",
        "no FHIR interaction at this URL; see /fhir/metadata",
    )
}

async fn read(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((resource_type, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> FhirResult {
    known_type(&resource_type)?;
    if resource_type == "AuditEvent" {
        return audit_events::read(&app, &caller, &id).await;
    }
    if resource_type == "Patient" && id == "$export" {
        return export::kick_off(
            &app,
            &caller,
            &headers,
            clinical::ExportLevel::Patient,
            &query,
        )
        .await;
    }
    Ok(resource_response(
        app.clinical
            .read(&caller.actor, &resource_type, &id)
            .await?,
    ))
}

async fn vread(
    State(app): State<AppState>,
    caller: Caller,
    Path((resource_type, id, version)): Path<(String, String, String)>,
) -> FhirResult {
    known_type(&resource_type)?;
    let version: i64 = version.parse().map_err(|_| {
        Fhir::issue(
            StatusCode::BAD_REQUEST,
            IssueCode::Value,
            "",
            "a version id is a whole number (1, 2, ...)",
        )
    })?;
    Ok(resource_response(
        app.clinical
            .vread(&caller.actor, &resource_type, &id, version)
            .await?,
    ))
}

/// `_history` and `$everything` on one resource.
async fn instance_operation(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((resource_type, id, operation)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> FhirResult {
    known_type(&resource_type)?;
    match (resource_type.as_str(), operation.as_str()) {
        ("Group", "$export") => {
            export::kick_off(
                &app,
                &caller,
                &headers,
                clinical::ExportLevel::Group(id),
                &query,
            )
            .await
        }
        (_, "_history") => {
            let versions = app
                .clinical
                .history(&caller.actor, &resource_type, &id)
                .await?;
            Ok(Fhir::ok(history_bundle(&caller.base_url, versions)))
        }
        ("Patient", "$everything") => {
            let all = app.clinical.everything(&caller.actor, &id).await?;
            let total = u64::try_from(all.len()).unwrap_or(u64::MAX);
            Ok(Fhir::ok(fhir::searchset_bundle(
                &caller.base_url,
                Some(total),
                all.into_iter().map(|s| s.body).collect(),
                Vec::new(),
                Vec::new(),
            )))
        }
        _ => Err(not_found().await),
    }
}

fn history_bundle(base_url: &str, versions: Vec<Stored>) -> Value {
    let entries: Vec<Value> = versions
        .into_iter()
        .map(|v| {
            let url = format!("{}/{}", v.resource_type, v.id);
            let mut entry = serde_json::json!({
                "fullUrl": format!("{base_url}/{url}"),
                "request": { "method": if v.deleted { "DELETE" } else if v.version == 1 { "POST" } else { "PUT" }, "url": url },
                "response": { "status": if v.deleted { "204" } else { "200" }, "etag": format!("W/\"{}\"", v.version), "lastModified": kernel::UtcMillis(v.last_updated).to_string() },
            });
            if !v.deleted {
                entry["resource"] = v.body;
            }
            entry
        })
        .collect();
    serde_json::json!({
        "resourceType": "Bundle",
        "type": "history",
        "total": entries.len(),
        "entry": entries,
    })
}

async fn search(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(resource_type): Path<String>,
    RawQuery(query): RawQuery,
) -> FhirResult {
    let params = fhir::parse_query(query.as_deref().unwrap_or_default());
    run_search(&app, &caller, &headers, &resource_type, params).await
}

/// `POST [type]/_search` with the parameters as a form body.
async fn search_post(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(resource_type): Path<String>,
    body: Bytes,
) -> FhirResult {
    let params = fhir::parse_query(std::str::from_utf8(&body).unwrap_or_default());
    run_search(&app, &caller, &headers, &resource_type, params).await
}

async fn run_search(
    app: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    resource_type: &str,
    params: Vec<(String, String)>,
) -> FhirResult {
    known_type(resource_type)?;
    if resource_type == "AuditEvent" {
        return audit_events::search(app, caller, &params).await;
    }
    // `Prefer: handling=strict` refuses unknown parameters; lenient (the default) ignores
    // them and says so in the Bundle.
    let strict = headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("handling=strict"));
    let request = SearchRequest::parse(resource_type, &params, !strict)
        .map_err(|issues| Fhir::error(StatusCode::BAD_REQUEST, &issues))?;
    let found = app.clinical.search(&caller.actor, &request).await?;
    let count = request.page_size();
    let links = fhir::paging_links(
        &caller.base_url,
        resource_type,
        &params,
        request.offset,
        count,
        found.more,
    );
    let mut bundle = fhir::searchset_bundle(
        &caller.base_url,
        Some(found.total),
        found.matches.into_iter().map(|s| s.body).collect(),
        found.includes.into_iter().map(|s| s.body).collect(),
        links,
    );
    let warnings = request.warnings();
    if !warnings.is_empty() {
        if let Some(entries) = bundle.get_mut("entry").and_then(Value::as_array_mut) {
            entries.push(serde_json::json!({
                "resource": fhir::operation_outcome(&warnings),
                "search": { "mode": "outcome" },
            }));
        } else {
            bundle["entry"] = serde_json::json!([{
                "resource": fhir::operation_outcome(&warnings),
                "search": { "mode": "outcome" },
            }]);
        }
    }
    Ok(Fhir::ok(bundle))
}

async fn create(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(resource_type): Path<String>,
    body: Bytes,
) -> FhirResult {
    known_type(&resource_type)?;
    let resource = parse_body(&body)?;
    if resource.get("resourceType").and_then(Value::as_str) != Some(resource_type.as_str()) {
        return Err(Fhir::issue(
            StatusCode::BAD_REQUEST,
            IssueCode::Invalid,
            "resourceType",
            &format!("the body must be a {resource_type}, as the URL says"),
        ));
    }
    let if_none_exist = headers
        .get("if-none-exist")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let done = app
        .clinical
        .create(&caller.actor, resource, if_none_exist.as_deref())
        .await?;
    let mut response = Fhir::ok(done.resource).versioned(done.version, done.last_updated);
    if done.created {
        response.status = StatusCode::CREATED;
    }
    response.headers.push((
        header::LOCATION,
        format!(
            "{}/{}/{}/_history/{}",
            caller.base_url, done.resource_type, done.id, done.version
        ),
    ));
    Ok(response)
}

async fn update(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((resource_type, id)): Path<(String, String)>,
    body: Bytes,
) -> FhirResult {
    known_type(&resource_type)?;
    let resource = parse_body(&body)?;
    let if_match = match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(etag) => Some(clinical::parse_etag(etag).ok_or_else(|| {
            Fhir::issue(
                StatusCode::BAD_REQUEST,
                IssueCode::Value,
                "",
                "If-Match must be a version ETag such as W/\"3\"",
            )
        })?),
    };
    let done = app
        .clinical
        .update(&caller.actor, &resource_type, &id, resource, if_match)
        .await?;
    let mut response = Fhir::ok(done.resource).versioned(done.version, done.last_updated);
    if done.created {
        response.status = StatusCode::CREATED;
    }
    Ok(response)
}

async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path((resource_type, id)): Path<(String, String)>,
) -> FhirResult {
    known_type(&resource_type)?;
    app.clinical
        .delete(&caller.actor, &resource_type, &id)
        .await?;
    Ok(Fhir {
        status: StatusCode::OK,
        body: fhir::outcome_message(
            fhir::Severity::Information,
            IssueCode::Informational,
            &format!("{resource_type}/{id} deleted; its versions stay in the history"),
        ),
        headers: Vec::new(),
        raw: None,
    })
}

/// `POST /fhir` with a batch or transaction Bundle. `Prefer: return=minimal` leaves the
/// written resources out of the response, as a system pushing records in bulk wants.
async fn bundle(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> FhirResult {
    let bundle = parse_body(&body)?;
    let returning = headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .map(fhir::ReturnPreference::from_prefer)
        .unwrap_or_default();
    Ok(Fhir::ok(
        app.clinical
            .process_bundle(&caller.actor, bundle, &caller.base_url, returning)
            .await?,
    ))
}
