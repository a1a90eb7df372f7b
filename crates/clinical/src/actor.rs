//! Who is acting, with what reach, and why: the part of a request every record operation needs.

use access::{Permission, Principal, RecordScope, record_scope};
use ledger::PurposeOfUse;

/// A user acting on clinical records for one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub organisation_id: String,
    /// Whose records the actor may read; None when no role of theirs reads health records.
    pub read: Option<RecordScope>,
    /// Whether a role of theirs records health data.
    pub write: bool,
    pub purpose: PurposeOfUse,
}

impl Actor {
    /// The actor a signed-in user is, as the one access policy (`access::record_scope`) sees them.
    pub fn from_principal(principal: &Principal, purpose: PurposeOfUse) -> Actor {
        Actor {
            user_id: principal.user_id.clone(),
            organisation_id: principal.organisation.id.clone(),
            read: record_scope(&principal.grants, Permission::ReadHealthRecords).ok(),
            write: record_scope(&principal.grants, Permission::WriteHealthRecords).is_ok(),
            purpose,
        }
    }

    /// The platform's own jobs (demo generation, imports): every record, purpose operations.
    pub fn system(organisation_id: &str) -> Actor {
        Actor {
            user_id: "system".into(),
            organisation_id: organisation_id.into(),
            read: Some(RecordScope::City),
            write: true,
            purpose: PurposeOfUse::Operations,
        }
    }
}
