//! Devices (issue 4, ADR 0010) in the platform's pages: the resident's devices and readings
//! (`/me/devices`: register one and see its credential once, revoke one, the daily charts,
//! readings waiting for the doctor; `/me/devices/readings/{series}`: the last 48 hours), and
//! the doctor's quarantine (`/devices/quarantine`: readings of residents in reach that failed a
//! check, each accepted with a correction or discarded, with a reason).
//!
//! The `devices` crate stores and checks; these pages decide who may see what through the
//! clinical service's reach (consent applies, ADR 0012) and put every view and decision on
//! the ledger with its purpose. [`timeline_section`] is the "home monitoring" card for the
//! resident's timeline.

pub mod mine;
pub mod monitoring;
pub mod quarantine;
pub mod readings;
pub mod words;

use access::{FieldError, Permission, Principal, Target};
use axum::Router;
use axum::routing::{get, post};
use devices::DevicesError;
use kernel::{Lang, UtcMillis};
use ledger::{AuditEvent, PurposeOfUse};
use maud::{Markup, html};

use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::pages::registry::registry_error;
use crate::state::AppState;

/// A city day in milliseconds (Asia/Shanghai keeps no daylight saving).
pub const DAY_MS: i64 = 86_400_000;

/// An hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me/devices", get(mine::show).post(mine::register))
        .route(
            "/me/devices/{id}/revoke",
            get(mine::confirm_revoke).post(mine::revoke),
        )
        .route("/me/devices/readings/{series}", get(readings::show))
        .route("/devices/quarantine", get(quarantine::list))
        .route("/devices/quarantine/{id}", get(quarantine::review))
        .route("/devices/quarantine/{id}/accept", post(quarantine::accept))
        .route(
            "/devices/quarantine/{id}/discard",
            post(quarantine::discard),
        )
}

/// A device service error as a page error. Field problems name the field of the form.
pub fn device_error(e: DevicesError) -> AppError {
    match e {
        DevicesError::UnknownKind { ref allowed, .. } => AppError::Invalid(vec![FieldError::new(
            "kind",
            tf(
                Lang::Zh,
                "devices.error.kind",
                &[("allowed", &allowed.join("、"))],
            ),
            tf(
                Lang::En,
                "devices.error.kind",
                &[("allowed", &allowed.join(", "))],
            ),
        )]),
        DevicesError::Invalid { field, .. } => AppError::Invalid(vec![FieldError::new(
            field,
            t(Lang::Zh, &format!("devices.error.{field}")),
            t(Lang::En, &format!("devices.error.{field}")),
        )]),
        DevicesError::UnknownDevice(_) | DevicesError::UnknownQuarantined(_) => AppError::NotFound,
        other => AppError::Internal(other.to_string()),
    }
}

/// The signed-in user's own resident record, if they have one, checked against the access
/// policy as a read of their own health data.
pub async fn own_resident(
    app: &AppState,
    user: &Principal,
) -> Result<Option<registry::Resident>, AppError> {
    let ids = app
        .clinical
        .residents()
        .residents_of_user(&user.user_id)
        .await
        .map_err(registry_error)?;
    let Some(id) = ids.first() else {
        return Ok(None);
    };
    let resident = app
        .clinical
        .residents()
        .resident(id)
        .await
        .map_err(registry_error)?
        .ok_or(AppError::NotFound)?;
    let organisations: Vec<&str> = resident
        .care
        .community_centre_id
        .as_deref()
        .into_iter()
        .collect();
    user.authorize(
        Permission::ReadHealthRecords,
        Target::Person {
            user_id: resident.care.user_id.as_deref(),
            organisations: &organisations,
            district: resident.care.district.as_deref(),
        },
    )?;
    Ok(Some(resident))
}

/// Puts what `user` did with a resident's device data on the ledger, hashing `data` (the ids
/// involved). A ledger failure is logged: the page has already been served or the change made.
pub async fn record(
    app: &AppState,
    user: &Principal,
    action: &str,
    resident_id: &str,
    purpose: PurposeOfUse,
    data: &str,
) {
    let event = AuditEvent {
        actor: user.user_id.clone(),
        organisation: Some(user.organisation.id.clone()),
        action: action.to_owned(),
        subject_type: "resident".into(),
        subject_id: resident_id.to_owned(),
        purpose,
        at: UtcMillis::now().0,
        data_hash: ledger::data_hash(data.as_bytes()),
    };
    if let Err(e) = app.ledger.record(event).await {
        tracing::error!(error = %e, action, "could not record device data on the ledger");
    }
}

/// The "home monitoring" card of a resident's timeline: the latest value and the daily
/// charts (with the control target) of each measure their devices send, and a count of
/// readings waiting in the quarantine. The caller has checked the viewer's
/// reach (the timeline does, and puts the view on the ledger); a failure to read shows as a
/// line in the card rather than failing the timeline.
pub async fn timeline_section(app: &AppState, resident_id: &str, lang: Lang) -> Markup {
    let now = UtcMillis::now();
    let body = async {
        let charts =
            monitoring::measures(app, lang, resident_id, now, false, "timeline-devices").await?;
        let waiting = app
            .devices
            .quarantined(resident_id, Some(devices::QuarantineStatus::Open))
            .await
            .map_err(device_error)?
            .len();
        Ok::<_, AppError>((charts, waiting))
    };
    let (charts, waiting) = match body.await {
        Ok(parts) => parts,
        Err(e) => {
            tracing::warn!(error = ?e, resident_id, "home monitoring could not be read");
            return html! {
                section.card.devices-timeline {
                    h2 { (t(lang, "devices.timeline.title")) }
                    p.notice.notice-warning { (t(lang, "devices.timeline.unavailable")) }
                }
            };
        }
    };
    html! {
        section.card.devices-timeline aria-labelledby="devices-timeline-title" {
            h2 id="devices-timeline-title" { (t(lang, "devices.timeline.title")) }
            @if waiting > 0 {
                // No link: the resident reads their own timeline too, and the quarantine is
                // the doctor's (on their home page).
                p.notice.notice-warning {
                    (tf(lang, "devices.timeline.waiting", &[("n", &waiting.to_string())]))
                }
            }
            (charts)
        }
    }
}
