//! [`GreenChannel`]: the service over the database, the organisations and the ledger. Each
//! action checks who is acting (here, not in the web layer), applies the pure rules, commits,
//! then puts the decision on the ledger.

use access::{Accounts, Bureau, Organisation, OrganisationKind, Principal, Role};
use jiff::civil::Date;
use kernel::UtcMillis;
use ledger::{AuditEvent, Ledger, PurposeOfUse};
use store::Db;
pub(crate) use store::is_unique_violation;

use crate::error::{GreenChannelError, Result};
use crate::rules::Rules;

/// The green channel. Cheap to clone.
#[derive(Clone)]
pub struct GreenChannel {
    pub(crate) db: Db,
    pub(crate) ledger: Ledger,
    pub(crate) accounts: Accounts,
    pub(crate) rules: &'static Rules,
}

impl GreenChannel {
    /// The service over `db` (with the access, ledger and green channel tables).
    pub fn new(db: Db, ledger: Ledger, accounts: Accounts) -> GreenChannel {
        GreenChannel {
            db,
            ledger,
            accounts,
            rules: Rules::shipped(),
        }
    }

    /// The rules in force.
    pub fn rules(&self) -> &'static Rules {
        self.rules
    }

    /// The active organisations the adoption duty binds (rules `adoption.duty_kinds`), by
    /// Chinese name.
    pub async fn bound_hospitals(&self) -> Result<Vec<Organisation>> {
        let mut all = Vec::new();
        for kind in self.rules.duty_kinds() {
            all.extend(
                self.accounts
                    .organisations_of_kind(kind, None)
                    .await?
                    .into_iter()
                    .filter(|o| o.active),
            );
        }
        all.sort_by(|a, b| a.name_zh.cmp(&b.name_zh).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }

    /// Puts one decision on the ledger. The decision has committed; a ledger that cannot take
    /// it is logged (the ledger's writer retries and alarms), not turned into a failed action.
    pub(crate) async fn record(
        &self,
        actor: Option<&Principal>,
        action: &str,
        (subject_type, subject_id): (&str, &str),
        data: &[u8],
    ) {
        let event = AuditEvent {
            actor: actor.map_or_else(|| "system".to_owned(), |a| a.user_id.clone()),
            organisation: actor.map(|a| a.organisation.id.clone()),
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
                "the ledger did not take a green channel decision: {e}"
            );
        }
    }
}

/// Today in the city.
pub(crate) fn today() -> Date {
    UtcMillis::now().city_date()
}

/// Refuses a date after today.
pub(crate) fn not_future(field: &'static str, date: Date) -> Result<()> {
    if date > today() {
        Err(GreenChannelError::FutureDate { field, date })
    } else {
        Ok(())
    }
}

/// The municipal bureau `actor` is an official of, if any.
pub(crate) fn bureau_of(actor: &Principal) -> Option<Bureau> {
    if actor.has_role(Role::BureauOfficial)
        && actor.organisation.kind == OrganisationKind::MunicipalBureau
    {
        actor.organisation.bureau
    } else {
        None
    }
}

/// Refuses unless `actor` is an official of one of `bureaus`.
pub(crate) fn require_bureau(
    actor: &Principal,
    bureaus: &[Bureau],
    action: &'static str,
) -> Result<Bureau> {
    match bureau_of(actor) {
        Some(b) if bureaus.contains(&b) => Ok(b),
        _ => Err(GreenChannelError::forbidden(
            action,
            &format!(
                "officials of {}",
                bureaus
                    .iter()
                    .map(|b| b.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &bureaus
                .iter()
                .map(|b| bureau_zh(*b))
                .collect::<Vec<_>>()
                .join("、"),
        )),
    }
}

/// Refuses unless `actor` is an official of any municipal bureau (readers of the figures).
pub(crate) fn require_any_bureau(actor: &Principal, action: &'static str) -> Result<Bureau> {
    require_bureau(actor, &Bureau::ALL, action)
}

/// Refuses unless `actor` is a user of company `company_id`.
pub(crate) fn require_company(
    actor: &Principal,
    company_id: &str,
    action: &'static str,
) -> Result<()> {
    if actor.has_role(Role::CompanyUser)
        && actor.organisation.kind == OrganisationKind::Company
        && actor.organisation.id == company_id
    {
        Ok(())
    } else {
        Err(GreenChannelError::forbidden(
            action,
            "users of the company that owns the product",
            "产品所属企业的用户",
        ))
    }
}

/// Whether `actor` is pharmacy or procurement staff (a pharmacist or a doctor) of
/// `hospital_id`, an organisation the duty binds.
pub(crate) fn is_staff_of(actor: &Principal, hospital_id: &str, rules: &Rules) -> bool {
    actor.organisation.id == hospital_id
        && rules.duty_kinds().contains(&actor.organisation.kind)
        && (actor.has_role(Role::Pharmacist) || actor.has_role(Role::HospitalDoctor))
}

/// Refuses unless `actor` is staff of `hospital_id`.
pub(crate) fn require_staff(
    actor: &Principal,
    hospital_id: &str,
    rules: &Rules,
    action: &'static str,
) -> Result<()> {
    if is_staff_of(actor, hospital_id, rules) {
        Ok(())
    } else {
        Err(GreenChannelError::forbidden(
            action,
            "the hospital's own pharmacists and doctors",
            "本医疗机构的药师和医师",
        ))
    }
}

/// Refuses unless `actor` may read hospital `hospital_id`'s standing: its staff or any
/// municipal bureau's officials.
pub(crate) fn require_reader_of(
    actor: &Principal,
    hospital_id: &str,
    rules: &Rules,
    action: &'static str,
) -> Result<()> {
    if is_staff_of(actor, hospital_id, rules) || bureau_of(actor).is_some() {
        Ok(())
    } else {
        Err(GreenChannelError::forbidden(
            action,
            "the hospital's own staff and the municipal bureaus",
            "本医疗机构工作人员和市级部门",
        ))
    }
}

pub(crate) fn bureau_zh(b: Bureau) -> &'static str {
    match b {
        Bureau::ScienceTechnology => "市科技局",
        Bureau::HealthCommission => "市卫健委",
        Bureau::MedicalInsurance => "市医保局",
        Bureau::IndustryInformation => "市工信局",
        Bureau::Finance => "市财政局",
        Bureau::Statistics => "市统计局",
    }
}

/// A stored ISO date.
pub(crate) fn parse_date(text: &str) -> Result<Date> {
    text.parse()
        .map_err(|_| GreenChannelError::Corrupt(format!("`{text}` is not a date")))
}
