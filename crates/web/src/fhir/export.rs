//! Bulk Data `$export` (FHIR Bulk Data Access IG): kick-off answers 202 with the status URL in
//! `Content-Location`; the status URL answers 202 with `X-Progress` until the manifest is
//! ready; files are NDJSON, fetched with the same credentials.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use clinical::{ExportLevel, ExportStatus};
use fhir::IssueCode;
use serde_json::Value;

use super::{Caller, Fhir, FhirResult};
use crate::state::AppState;

const NDJSON: &str = "application/fhir+ndjson";

fn bad(diagnostics: &str) -> Fhir {
    Fhir::issue(StatusCode::BAD_REQUEST, IssueCode::Value, "", diagnostics)
}

pub async fn system(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> FhirResult {
    kick_off(&app, &caller, &headers, ExportLevel::System, &query).await
}

/// Starts an export at `level` with the request's `_type`, `_since` and `_outputFormat`.
pub async fn kick_off(
    app: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    level: ExportLevel,
    query: &Option<String>,
) -> FhirResult {
    let asynchronous = headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("respond-async"));
    if !asynchronous {
        return Err(bad(
            "an export runs in the background: send `Prefer: respond-async`, then poll the URL in Content-Location",
        ));
    }
    let mut types = None;
    let mut since = None;
    for (name, value) in fhir::parse_query(query.as_deref().unwrap_or_default()) {
        match name.as_str() {
            "_type" => {
                types = Some(
                    value
                        .split(',')
                        .map(|t| t.trim().to_owned())
                        .filter(|t| !t.is_empty())
                        .collect(),
                )
            }
            "_since" => {
                let (low, _) = fhir::date_range(&value)
                    .map_err(|e| bad(&format!("_since `{value}` is not a FHIR instant: {e}")))?;
                since = Some(low);
            }
            "_outputFormat" => {
                if !matches!(
                    value.as_str(),
                    "application/fhir+ndjson" | "application/ndjson" | "ndjson"
                ) {
                    return Err(bad(
                        "_outputFormat: only NDJSON (application/fhir+ndjson) is produced",
                    ));
                }
            }
            other => {
                return Err(bad(&format!(
                    "`{other}` is not an $export parameter here; use _type, _since and _outputFormat"
                )));
            }
        }
    }
    let request_url = format!(
        "{}{}",
        caller.base_url,
        match &level {
            ExportLevel::System => "/$export".to_owned(),
            ExportLevel::Patient => "/Patient/$export".to_owned(),
            ExportLevel::Group(id) => format!("/Group/{id}/$export"),
        }
    );
    let job = app
        .clinical
        .start_export(&caller.actor, level, types, since, &request_url)
        .await?;
    let mut accepted = Fhir::ok(fhir::outcome_message(
        fhir::Severity::Information,
        IssueCode::Informational,
        "export started; poll the URL in Content-Location",
    ));
    accepted.status = StatusCode::ACCEPTED;
    accepted.headers.push((
        header::CONTENT_LOCATION,
        format!("{}/$export-status/{job}", caller.base_url),
    ));
    Ok(accepted)
}

pub async fn status(
    State(app): State<AppState>,
    caller: Caller,
    Path(job): Path<String>,
) -> FhirResult {
    match app.clinical.export_status(&caller.actor, &job).await? {
        ExportStatus::InProgress { progress } => {
            let mut pending = Fhir::ok(Value::Null);
            pending.status = StatusCode::ACCEPTED;
            pending.raw = Some((String::new(), "text/plain"));
            pending
                .headers
                .push((header::HeaderName::from_static("x-progress"), progress));
            pending.headers.push((header::RETRY_AFTER, "1".into()));
            Ok(pending)
        }
        ExportStatus::Completed { mut manifest } => {
            // File URLs absolute, as clients fetch them directly.
            if let Some(outputs) = manifest.get_mut("output").and_then(Value::as_array_mut) {
                for o in outputs {
                    if let Some(url) = o.get("url").and_then(Value::as_str) {
                        o["url"] = Value::String(format!("{}/{url}", caller.base_url));
                    }
                }
            }
            let mut done = Fhir::ok(manifest);
            done.raw = Some((done.body.to_string(), "application/json"));
            Ok(done)
        }
        ExportStatus::Failed { message } => Err(Fhir::issue(
            StatusCode::INTERNAL_SERVER_ERROR,
            IssueCode::Exception,
            "",
            &format!("the export failed: {message}"),
        )),
    }
}

pub async fn cancel(
    State(app): State<AppState>,
    caller: Caller,
    Path(job): Path<String>,
) -> FhirResult {
    app.clinical.delete_export(&caller.actor, &job).await?;
    let mut gone = Fhir::ok(Value::Null);
    gone.status = StatusCode::ACCEPTED;
    gone.raw = Some((String::new(), "text/plain"));
    Ok(gone)
}

pub async fn file(
    State(app): State<AppState>,
    caller: Caller,
    Path((job, resource_type, file)): Path<(String, String, String)>,
) -> FhirResult {
    let part: i64 = file
        .strip_suffix(".ndjson")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad("export files are named <part>.ndjson"))?;
    let ndjson = app
        .clinical
        .export_file(&caller.actor, &job, &resource_type, part)
        .await?;
    let mut answer = Fhir::ok(Value::Null);
    answer.raw = Some((ndjson, NDJSON));
    Ok(answer)
}
