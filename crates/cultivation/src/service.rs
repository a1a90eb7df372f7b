//! [`Cultivation`]: the selection and support-plan service over the database and the ledger.
//! Each action checks who is acting, applies the pure rules (`selection`, `scoring`),
//! commits, then puts the step on the ledger.

use std::sync::Arc;

use access::{Bureau, OrganisationKind, Principal, Role};
use kernel::UtcMillis;
use ledger::{AuditEvent, Ledger, PurposeOfUse};
use store::Db;

use crate::error::{CultivationError, Result};
use crate::pools::{Scheme, Schemes};

/// The cultivation service. Cheap to clone.
#[derive(Clone)]
pub struct Cultivation {
    pub(crate) db: Db,
    pub(crate) ledger: Ledger,
    pub(crate) schemes: Arc<Schemes>,
}

impl Cultivation {
    /// The service over `db` (with this crate's tables) with the shipped schemes.
    pub fn new(db: Db, ledger: Ledger) -> Cultivation {
        Cultivation {
            db,
            ledger,
            schemes: Arc::new(Schemes::shipped().clone()),
        }
    }

    /// The same service with other schemes (a revised pools file).
    pub fn with_schemes(mut self, schemes: Schemes) -> Cultivation {
        self.schemes = Arc::new(schemes);
        self
    }

    /// The schemes in force.
    pub fn schemes(&self) -> &Schemes {
        &self.schemes
    }

    pub(crate) fn scheme(&self, id: &str) -> Result<&Scheme> {
        self.schemes
            .scheme(id)
            .ok_or_else(|| CultivationError::UnknownScheme {
                scheme: id.to_owned(),
            })
    }

    /// Puts one step on the ledger. The step has committed; a ledger that cannot take it is
    /// logged (the ledger's own writer retries and alarms), not turned into a failed action.
    pub(crate) async fn record(
        &self,
        actor: &Principal,
        action: &str,
        (subject_type, subject_id): (&str, &str),
        data: &[u8],
    ) {
        let event = AuditEvent {
            actor: actor.user_id.clone(),
            organisation: Some(actor.organisation.id.clone()),
            action: action.to_owned(),
            subject_type: subject_type.to_owned(),
            subject_id: subject_id.to_owned(),
            purpose: PurposeOfUse::Operations,
            at: UtcMillis::now().0,
            data_hash: ledger::data_hash(data),
        };
        if let Err(e) = self.ledger.record(event).await {
            tracing::error!(
                action,
                subject_id,
                "the ledger did not take a cultivation step: {e}"
            );
        }
    }
}

/// Whether `actor` is an official of the S&T or the industry bureau, the two bureaus the seed
/// makes responsible (nanjing-2022 三（一）责任单位：市科技局、市工信局).
pub(crate) fn is_cultivation_official(actor: &Principal) -> bool {
    actor.has_role(Role::BureauOfficial)
        && actor.organisation.kind == OrganisationKind::MunicipalBureau
        && matches!(
            actor.organisation.bureau,
            Some(Bureau::ScienceTechnology | Bureau::IndustryInformation)
        )
}

pub(crate) fn is_admin(actor: &Principal) -> bool {
    actor.has_role(Role::PlatformAdmin)
}

/// Whether `actor` is a user of company `company_id`.
pub(crate) fn is_company_user(actor: &Principal, company_id: &str) -> bool {
    actor.has_role(Role::CompanyUser)
        && actor.organisation.kind == OrganisationKind::Company
        && actor.organisation.id == company_id
}

/// Refuses unless `actor` may write proposals and plans.
pub(crate) fn must_be_official(actor: &Principal) -> Result<()> {
    if is_cultivation_official(actor) {
        Ok(())
    } else {
        Err(CultivationError::forbidden(
            "只有市科技局、市工信局的工作人员可以办理企业培育遴选和一企一策",
            "only officials of the science and technology bureau or the industry bureau run cultivation selections and support plans",
        ))
    }
}

/// Refuses unless `actor` may read proposals (officials who run them, and administrators).
pub(crate) fn must_read_proposals(actor: &Principal) -> Result<()> {
    if is_cultivation_official(actor) || is_admin(actor) {
        Ok(())
    } else {
        Err(CultivationError::forbidden(
            "遴选名单在公布前仅供市科技局、市工信局和平台管理员查看",
            "until published, selection lists are for the science and technology bureau, the industry bureau and administrators",
        ))
    }
}

/// Refuses unless `actor` may read company `company_id`'s history and plans.
pub(crate) fn must_read_company(actor: &Principal, company_id: &str) -> Result<()> {
    if is_cultivation_official(actor) || is_admin(actor) || is_company_user(actor, company_id) {
        Ok(())
    } else {
        Err(CultivationError::forbidden(
            "企业只能查看本企业的入库记录和一企一策方案",
            "a company sees only its own memberships and support plan",
        ))
    }
}

/// A selection year the platform can hold.
pub(crate) fn check_year(year: i32) -> Result<()> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(CultivationError::invalid(
            "year",
            format!("年度{year}不在2000至2100之间"),
            format!("year {year} is not between 2000 and 2100"),
        ))
    }
}
