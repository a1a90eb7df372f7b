//! [`Industry`]: the register over the database and the ledger. Each action checks who is
//! acting, applies the pure checks of the domain modules, commits, then puts the step on the
//! ledger.

mod companies;
mod dashboards;
mod import;
mod products;
mod rows;

use access::Principal;
use jiff::civil::Date;
use kernel::UtcMillis;
use ledger::{AuditEvent, Ledger, PurposeOfUse};
use store::Db;
pub(crate) use store::is_unique_violation;

pub use companies::CompanyFilter;

/// The company register and product pipelines. Cheap to clone.
#[derive(Clone)]
pub struct Industry {
    pub(crate) db: Db,
    pub(crate) ledger: Ledger,
}

impl Industry {
    /// The register over `db` (with [`crate::migrations`] applied).
    pub fn new(db: Db, ledger: Ledger) -> Industry {
        Industry { db, ledger }
    }

    /// Puts one committed step on the ledger. A ledger that cannot take it is logged (the
    /// ledger's writer retries and alarms), not turned into a failed action.
    pub(crate) async fn record(
        &self,
        actor: &Principal,
        action: &str,
        (subject_type, subject_id): (&str, &str),
        data: &[u8],
    ) {
        if let Err(e) = self
            .ledger
            .record(event(actor, action, subject_type, subject_id, data))
            .await
        {
            tracing::error!(
                action,
                subject_id,
                "the ledger did not take an industry step: {e}"
            );
        }
    }

    pub(crate) async fn record_all(&self, events: Vec<AuditEvent>) {
        if let Err(e) = self.ledger.record_all(events).await {
            tracing::error!("the ledger did not take an import's steps: {e}");
        }
    }
}

pub(crate) fn event(
    actor: &Principal,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    data: &[u8],
) -> AuditEvent {
    AuditEvent {
        actor: actor.user_id.clone(),
        organisation: Some(actor.organisation.id.clone()),
        action: action.to_owned(),
        subject_type: subject_type.to_owned(),
        subject_id: subject_id.to_owned(),
        purpose: PurposeOfUse::Operations,
        at: UtcMillis::now().0,
        data_hash: ledger::data_hash(data),
    }
}

/// Today in the city: the bound for "not in the future".
pub(crate) fn today() -> Date {
    UtcMillis::now().city_date()
}
