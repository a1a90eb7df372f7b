//! Recording actions of the web layer on the ledger.

use access::Principal;
use ledger::{AuditEvent, PurposeOfUse};

use crate::state::AppState;

/// Appends an audit event for `principal`. The data itself is never logged, only its hash.
/// A ledger failure is logged, not shown: the action already happened and its record is
/// retried by nobody, so it must be visible to operators (and `/readyz` reports the ledger).
pub async fn record(
    app: &AppState,
    principal: &Principal,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    purpose: PurposeOfUse,
    data: &[u8],
) {
    let event = AuditEvent {
        actor: principal.user_id.clone(),
        organisation: Some(principal.organisation.id.clone()),
        action: action.to_owned(),
        subject_type: subject_type.to_owned(),
        subject_id: subject_id.to_owned(),
        purpose,
        at: kernel::UtcMillis::now().0,
        data_hash: ledger::data_hash(data),
    };
    if let Err(e) = app.ledger.record(event).await {
        tracing::error!(error = %e, action, "could not record audit event");
    }
}
