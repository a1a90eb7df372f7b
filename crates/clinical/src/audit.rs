//! Recording each access to a resident's record on the ledger.

use ledger::AuditEvent;

use crate::{Actor, Clinical};

impl Clinical {
    /// Records that `actor` did `action` on the record of `resident` (or on a resource outside
    /// any resident's record). Only a hash of the data goes on the ledger. A ledger failure is
    /// logged for operators rather than undoing an access that already happened.
    pub(crate) async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        subject: Subject<'_>,
        data: &[u8],
    ) {
        let (subject_type, subject_id) = match subject {
            Subject::Resident(id) => ("resident", id.to_owned()),
            Subject::Resource(t, id) => ("fhir", format!("{t}/{id}")),
        };
        let event = AuditEvent {
            actor: actor.user_id.clone(),
            organisation: Some(actor.organisation_id.clone()),
            action: action.to_owned(),
            subject_type: subject_type.to_owned(),
            subject_id,
            purpose: actor.purpose,
            at: kernel::UtcMillis::now().0,
            data_hash: ledger::data_hash(data),
        };
        if let Err(e) = self.inner.ledger.record(event).await {
            tracing::error!(error = %e, action, "could not record a record access on the ledger");
        }
    }
}

/// What an access concerned.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'a> {
    Resident(&'a str),
    Resource(&'a str, &'a str),
}

impl<'a> Subject<'a> {
    pub(crate) fn of(patient_id: Option<&'a str>, resource_type: &'a str, id: &'a str) -> Self {
        match patient_id {
            Some(p) => Subject::Resident(p),
            None => Subject::Resource(resource_type, id),
        }
    }
}
