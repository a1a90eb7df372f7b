//! [`Awards`]: programmes, applications and their review over the database and the ledger.
//! Each step checks who acts, applies the pure rules (`state`, `review`, the policy engine),
//! commits, then puts the step on the ledger.

use std::sync::Arc;

use access::{Bureau, OrganisationKind, Principal, Role};
use kernel::UtcMillis;
use ledger::{AuditEvent, Ledger, PurposeOfUse};
use store::Db;

use crate::error::{AwardsError, Result};
use crate::rules::Rules;

/// The awards service. Cheap to clone.
#[derive(Clone)]
pub struct Awards {
    pub(crate) db: Db,
    pub(crate) ledger: Ledger,
    pub(crate) rules: &'static Rules,
    pub(crate) catalogue: &'static policy::Catalogue,
    clock: Clock,
}

/// What time it is for the service: the system clock, or a fixed one in tests and when the
/// demo replays past years (notice periods and clause dates depend on it).
pub type Clock = Arc<dyn Fn() -> UtcMillis + Send + Sync>;

impl Awards {
    pub fn new(db: Db, ledger: Ledger) -> Awards {
        Awards {
            db,
            ledger,
            rules: Rules::shipped(),
            catalogue: policy::shipped(),
            clock: Arc::new(UtcMillis::now),
        }
    }

    /// The same service on another clock.
    pub fn with_clock(mut self, clock: Clock) -> Awards {
        self.clock = clock;
        self
    }

    /// Now, on the service's clock.
    pub fn now(&self) -> UtcMillis {
        (self.clock)()
    }

    /// The review settings in force.
    pub fn rules(&self) -> &'static Rules {
        self.rules
    }

    /// The clauses the engine knows.
    pub fn catalogue(&self) -> &'static policy::Catalogue {
        self.catalogue
    }

    /// Puts one committed step on the ledger. A ledger that cannot take it is logged (its
    /// writer retries and alarms), not turned into a failed step.
    pub(crate) async fn record(
        &self,
        actor: &str,
        organisation: Option<&str>,
        action: &str,
        subject: (&str, &str),
        data: &[u8],
    ) {
        let event = AuditEvent {
            actor: actor.to_owned(),
            organisation: organisation.map(str::to_owned),
            action: action.to_owned(),
            subject_type: subject.0.to_owned(),
            subject_id: subject.1.to_owned(),
            purpose: PurposeOfUse::Operations,
            at: self.now().0,
            data_hash: ledger::data_hash(data),
        };
        if let Err(e) = self.ledger.record(event).await {
            tracing::error!(action, "the ledger did not take an awards step: {e}");
        }
    }
}

/// The bureaus that run subsidy programmes (S&T and industry; health for its clinical clauses).
pub(crate) const PROGRAMME_BUREAUS: [Bureau; 3] = [
    Bureau::ScienceTechnology,
    Bureau::IndustryInformation,
    Bureau::HealthCommission,
];

/// The bureau `actor` speaks for as an official, if any.
pub(crate) fn official_bureau(actor: &Principal) -> Option<Bureau> {
    if actor.has_role(Role::BureauOfficial)
        && actor.organisation.kind == OrganisationKind::MunicipalBureau
    {
        actor.organisation.bureau
    } else {
        None
    }
}

/// Refuses unless `actor` is an official of `bureau`.
pub(crate) fn require_bureau(actor: &Principal, bureau: Bureau) -> Result<()> {
    if official_bureau(actor) == Some(bureau) {
        Ok(())
    } else {
        Err(AwardsError::forbidden(
            format!("仅{}的工作人员可以办理此事项", bureau_zh(bureau)),
            format!("Only officials of the {} may do this", bureau_en(bureau)),
        ))
    }
}

/// Refuses unless `actor` acts for the company whose organisation is `organisation_id`.
pub(crate) fn require_company(actor: &Principal, organisation_id: &str) -> Result<()> {
    if actor.has_role(Role::CompanyUser) && actor.organisation.id == organisation_id {
        Ok(())
    } else {
        Err(AwardsError::forbidden(
            "只有申报企业本单位的账号可以办理",
            "Only the applicant company's own accounts may do this",
        ))
    }
}

pub fn bureau_zh(bureau: Bureau) -> &'static str {
    match bureau {
        Bureau::ScienceTechnology => "市科技局",
        Bureau::HealthCommission => "市卫健委",
        Bureau::MedicalInsurance => "市医保局",
        Bureau::IndustryInformation => "市工信局",
        Bureau::Finance => "市财政局",
        Bureau::Statistics => "市统计局",
    }
}

pub fn bureau_en(bureau: Bureau) -> &'static str {
    match bureau {
        Bureau::ScienceTechnology => "Science and Technology Bureau",
        Bureau::HealthCommission => "Health Commission",
        Bureau::MedicalInsurance => "Medical Insurance Bureau",
        Bureau::IndustryInformation => "Industry and Information Technology Bureau",
        Bureau::Finance => "Finance Bureau",
        Bureau::Statistics => "Statistics Bureau",
    }
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
