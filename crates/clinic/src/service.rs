//! [`Clinic`]: the online convenience clinic's service over the database, the records and the
//! ledger. Each action checks who is acting, applies the pure rules (`eligibility`,
//! `consultation`, `prescribing`), commits, then puts the step on the ledger.

use std::sync::Arc;

use access::{Accounts, Bureau, OrganisationKind, Principal, Role};
use alerts::Alerts;
use clinical::Clinical;
use kernel::UtcMillis;
use ledger::{AuditEvent, Ledger, PurposeOfUse};
use store::Db;
use vault::Keyring;

use crate::error::{ClinicError, Result};
use crate::rules::Rules;

/// The online clinic. Cheap to clone.
#[derive(Clone)]
pub struct Clinic {
    pub(crate) db: Db,
    pub(crate) ledger: Ledger,
    pub(crate) accounts: Accounts,
    pub(crate) clinical: Clinical,
    pub(crate) alerts: Alerts,
    pub(crate) keys: Arc<Keyring>,
    pub(crate) rules: &'static Rules,
    /// Whether notifications are also written to the webhook outbox (only when a webhook is
    /// configured, so an unread outbox does not grow).
    pub(crate) notification_outbox: bool,
}

impl Clinic {
    /// The clinic over `db` (with the clinic's, the records' and the alerts' tables).
    pub fn new(
        db: Db,
        ledger: Ledger,
        accounts: Accounts,
        clinical: Clinical,
        alerts: Alerts,
        keys: Arc<Keyring>,
    ) -> Clinic {
        Clinic {
            db,
            ledger,
            accounts,
            clinical,
            alerts,
            keys,
            rules: Rules::shipped(),
            notification_outbox: false,
        }
    }

    /// Writes every notification to the webhook outbox too (turn on when a webhook is
    /// configured; [`Clinic::deliver_notifications`] posts them).
    pub fn with_notification_outbox(mut self, on: bool) -> Self {
        self.notification_outbox = on;
        self
    }

    /// The rules in force.
    pub fn rules(&self) -> &'static Rules {
        self.rules
    }

    /// Puts one step on the ledger. The step has committed; a ledger that cannot take it is
    /// logged (the ledger's own writer retries and alarms), not turned into a failed action.
    pub(crate) async fn record(
        &self,
        actor: &Principal,
        action: &str,
        subject_type: &str,
        subject_id: &str,
        purpose: PurposeOfUse,
        data: &[u8],
    ) {
        self.record_as(
            &actor.user_id,
            Some(&actor.organisation.id),
            action,
            (subject_type, subject_id),
            purpose,
            data,
        )
        .await;
    }

    pub(crate) async fn record_as(
        &self,
        actor: &str,
        organisation: Option<&str>,
        action: &str,
        (subject_type, subject_id): (&str, &str),
        purpose: PurposeOfUse,
        data: &[u8],
    ) {
        let event = AuditEvent {
            actor: actor.to_owned(),
            organisation: organisation.map(str::to_owned),
            action: action.to_owned(),
            subject_type: subject_type.to_owned(),
            subject_id: subject_id.to_owned(),
            purpose,
            at: UtcMillis::now().0,
            data_hash: ledger::data_hash(data),
        };
        if let Err(e) = self.ledger.record(event).await {
            tracing::error!(
                action,
                subject_id,
                "the ledger did not take a clinic step: {e}"
            );
        }
    }
}

impl Clinic {
    /// Notifies `users` of a step that has committed; a notification that cannot be written
    /// is logged, the step stands (the page shows the same state).
    pub(crate) async fn tell(&self, users: &[&str], kind: &str, zh: &str, en: &str, link: &str) {
        let users: Vec<String> = users.iter().map(|u| (*u).to_owned()).collect();
        if let Err(e) = self.notify(&users, kind, zh, en, link).await {
            tracing::warn!(kind, "a clinic notification could not be written: {e}");
        }
    }
}

/// Whether `actor` speaks for the health commission (designates pilots, oversees the clinic).
pub(crate) fn is_health_commission(actor: &Principal) -> bool {
    actor.has_role(Role::BureauOfficial)
        && actor.organisation.bureau == Some(Bureau::HealthCommission)
}

/// Whether `actor` is staff of hospital `hospital_id` (reports its volume, sets its offering
/// and its doctors' credentials).
pub(crate) fn is_staff_of(actor: &Principal, hospital_id: &str) -> bool {
    actor.organisation.kind == OrganisationKind::Hospital
        && actor.organisation.id == hospital_id
        && (actor.has_role(Role::HospitalDoctor) || actor.has_role(Role::Pharmacist))
}

/// Refuses unless `actor` may manage hospital `hospital_id`'s clinic.
pub(crate) fn manage_hospital(actor: &Principal, hospital_id: &str) -> Result<()> {
    if is_health_commission(actor) || is_staff_of(actor, hospital_id) {
        Ok(())
    } else {
        Err(ClinicError::Forbidden(
            "only the hospital's own staff or the health commission manage its online clinic",
        ))
    }
}
