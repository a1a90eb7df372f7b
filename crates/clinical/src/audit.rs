//! Recording each access to a resident's record on the ledger.

use ledger::AuditEvent;

use crate::{Actor, Clinical};

impl Clinical {
    /// Records several accesses at once (one commit for all, see `Ledger::record_all`).
    pub(crate) async fn audit_all(&self, actor: &Actor, accesses: Vec<(&str, Subject<'_>, &[u8])>) {
        let events: Vec<AuditEvent> = accesses
            .into_iter()
            .map(|(action, subject, data)| self.event(actor, action, subject, data))
            .collect();
        if events.is_empty() {
            return;
        }
        if let Err(e) = self.inner.ledger.record_all(events).await {
            tracing::error!(error = %e, "could not record record accesses on the ledger");
        }
    }

    fn event(&self, actor: &Actor, action: &str, subject: Subject<'_>, data: &[u8]) -> AuditEvent {
        let (subject_type, subject_id) = match subject {
            Subject::Resident(id) => ("resident", id.to_owned()),
            Subject::Resource(t, id) => ("fhir", format!("{t}/{id}")),
            Subject::Reference(reference) => ("fhir", reference.to_owned()),
        };
        AuditEvent {
            actor: actor.user_id.clone(),
            organisation: Some(actor.organisation_id.clone()),
            action: action.to_owned(),
            subject_type: subject_type.to_owned(),
            subject_id,
            purpose: actor.purpose,
            at: kernel::UtcMillis::now().0,
            data_hash: ledger::data_hash(data),
        }
    }

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
        let event = self.event(actor, action, subject, data);
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
    /// `Type/id` of a resource outside any resident's record.
    Reference(&'a str),
}

impl<'a> Subject<'a> {
    pub(crate) fn of(patient_id: Option<&'a str>, resource_type: &'a str, id: &'a str) -> Self {
        match patient_id {
            Some(p) => Subject::Resident(p),
            None => Subject::Resource(resource_type, id),
        }
    }
}
