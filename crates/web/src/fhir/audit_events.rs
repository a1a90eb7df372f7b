//! AuditEvent, read-only, from the ledger: who did what to whose record, when and why. A
//! resident (and anyone who may see their record) reads the events about them; officials with
//! city-wide ledger access may also list every event.

use access::{Permission, Target};
use axum::http::StatusCode;
use fhir::IssueCode;
use ledger::Entry;
use serde_json::{Value, json};

use super::{Caller, Fhir, FhirResult};
use crate::state::AppState;

/// Most events one search returns.
const MAX_EVENTS: u32 = 1_000;

/// The FHIR RESTful interaction of a platform action, when it is one.
fn interaction(action: &str) -> Option<(&'static str, &'static str)> {
    Some(match action {
        "fhir.read" => ("read", "R"),
        "fhir.vread" => ("vread", "R"),
        "fhir.history" => ("history-instance", "R"),
        "fhir.search" => ("search-type", "E"),
        "fhir.everything" => ("operation", "E"),
        "fhir.create" => ("create", "C"),
        "fhir.update" => ("update", "U"),
        "fhir.delete" => ("delete", "D"),
        _ => return None,
    })
}

/// A ledger entry as an R4 AuditEvent.
pub fn audit_event(entry: &Entry) -> Value {
    let e = &entry.event;
    let (subtype, action) = match interaction(&e.action) {
        Some((code, action)) => (
            json!({ "system": "http://hl7.org/fhir/restful-interaction", "code": code }),
            action,
        ),
        None => (
            json!({ "system": "urn:lifehealth:action", "code": e.action }),
            "E",
        ),
    };
    let mut agent = json!({
        "who": { "identifier": { "system": "urn:lifehealth:user", "value": e.actor } },
        "requestor": true,
    });
    if let Some(org) = &e.organisation {
        agent["who"]["display"] = json!(format!("{} @ {org}", e.actor));
    }
    json!({
        "resourceType": "AuditEvent",
        "id": entry.seq.to_string(),
        "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "RESTful Operation" },
        "subtype": [subtype],
        "action": action,
        "recorded": kernel::UtcMillis(e.at).to_string(),
        "outcome": "0",
        "purposeOfEvent": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": e.purpose.code() }] }],
        "agent": [agent],
        "source": { "observer": { "display": "lifehealth ledger (RFC 9162)" } },
        "entity": [
            { "what": { "identifier": { "system": format!("urn:lifehealth:{}", e.subject_type), "value": e.subject_id } } },
            { "what": { "identifier": { "system": "urn:lifehealth:ledger-leaf", "value": entry.leaf_hash.to_hex() } } }
        ]
    })
}

fn bad(diagnostics: &str) -> Fhir {
    Fhir::issue(StatusCode::BAD_REQUEST, IssueCode::Value, "", diagnostics)
}

/// `AuditEvent?patient=Patient/x`, or every recent event for the city's ledger readers.
pub async fn search(app: &AppState, caller: &Caller, params: &[(String, String)]) -> FhirResult {
    let mut patient = None;
    let mut count = 100;
    for (name, value) in params {
        match name.as_str() {
            "patient" | "entity" => {
                patient = Some(value.trim_start_matches("Patient/").to_owned());
            }
            "_count" => {
                count = value
                    .parse::<u32>()
                    .map_err(|_| bad("_count is a whole number"))?
                    .min(MAX_EVENTS);
            }
            "_format" | "_pretty" => {}
            other => {
                return Err(bad(&format!(
                    "AuditEvent is searched by `patient` (and `_count`) here; `{other}` is not supported"
                )));
            }
        }
    }
    let entries = match patient {
        Some(id) => {
            let stored = app.clinical.read(&caller.actor, "Patient", &id).await?;
            let Some(resident) = stored.patient_id else {
                return Ok(Fhir::ok(fhir::searchset_bundle(
                    &caller.base_url,
                    Some(0),
                    vec![],
                    vec![],
                    vec![],
                )));
            };
            app.ledger
                .entries_for_subject("resident", &resident, count)
                .await
                .map_err(internal)?
        }
        None => {
            caller
                .user
                .authorize(Permission::ReadLedger, Target::City)
                .map_err(|_| {
                    Fhir::issue(
                        StatusCode::FORBIDDEN,
                        IssueCode::Forbidden,
                        "",
                        "name the resident: AuditEvent?patient=Patient/<id>; listing every event needs city-wide ledger access",
                    )
                })?;
            app.ledger.recent(count).await.map_err(internal)?
        }
    };
    let total = u64::try_from(entries.len()).unwrap_or(u64::MAX);
    Ok(Fhir::ok(fhir::searchset_bundle(
        &caller.base_url,
        Some(total),
        entries.iter().map(audit_event).collect(),
        Vec::new(),
        Vec::new(),
    )))
}

/// `AuditEvent/{seq}`: one ledger entry, for those who may see its subject.
pub async fn read(app: &AppState, caller: &Caller, id: &str) -> FhirResult {
    let not_found = || {
        Fhir::issue(
            StatusCode::NOT_FOUND,
            IssueCode::NotFound,
            "",
            &format!("AuditEvent/{id} is not known"),
        )
    };
    let seq: u64 = id.parse().map_err(|_| not_found())?;
    let entry = app
        .ledger
        .entry(seq)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let allowed = if entry.event.subject_type == "resident" {
        app.clinical
            .may_see_resident(&caller.actor, &entry.event.subject_id)
            .await
            .unwrap_or(false)
    } else {
        caller
            .user
            .authorize(Permission::ReadLedger, Target::City)
            .is_ok()
    };
    if !allowed {
        return Err(not_found());
    }
    Ok(Fhir::ok(audit_event(&entry)))
}

fn internal(e: ledger::LedgerError) -> Fhir {
    tracing::error!(error = %e, "ledger read failed");
    Fhir::issue(
        StatusCode::INTERNAL_SERVER_ERROR,
        IssueCode::Exception,
        "",
        "the ledger could not be read; the failure has been logged",
    )
}
