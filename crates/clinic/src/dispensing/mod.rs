//! Dispensing and delivery of approved prescriptions (issue 5): the patient picks the
//! medicine up in a booked slot at the hospital's pharmacy or a community pharmacy, or has the
//! hospital send it by courier. Stock is checked before a choice is offered and set aside in
//! the same transaction as the choice; nothing is dispensed for a prescription that is not
//! approved and in force.
//!
//! ```text
//! pharmacist: stock, slots ─► patient: options ─► book_pickup ─► collect (pickup code)
//!                                           └──► choose_courier ─► dispatch ─► delivered
//! ```

mod address;
mod booking;
mod queries;
mod slots;
mod state;
mod steps;
mod stock;

pub use address::{Address, MaskedAddress, mask_street};
pub use booking::{FulfilmentOptions, SiteOption, Unavailable};
pub use queries::{Fulfilment, Proof};
pub use slots::{NewSlot, Slot};
pub use state::{FulfilmentState, Method, Step, next};
pub use stock::StockLine;

use std::collections::BTreeMap;

use access::{Organisation, OrganisationKind, Principal, Role};
use kernel::UtcMillis;
use serde::Serialize;

use crate::consultation::Party;
use crate::error::{ClinicError, Result};
use crate::prescriptions::{Prescription, RxState};
use crate::service::Clinic;

/// A place that dispenses: the prescribing hospital's pharmacy or a community pharmacy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub district: Option<String>,
    /// The prescribing hospital's own pharmacy (which also sends by courier).
    pub hospital: bool,
}

impl Site {
    fn of(org: &Organisation) -> Site {
        Site {
            id: org.id.clone(),
            name_zh: org.name_zh.clone(),
            name_en: org.name_en.clone(),
            district: org.district.clone(),
            hospital: org.kind == OrganisationKind::Hospital,
        }
    }
}

/// What one drug of a prescription needs from a site's stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Need {
    pub drug: String,
    pub generic_zh: String,
    pub generic_en: String,
    /// Counting units (`packs × pack`), summed over the lines of the drug.
    pub units: i64,
    pub unit_zh: String,
    pub unit_en: String,
}

/// The units each drug of `rx` needs, by drug code.
pub(crate) fn needs(rx: &Prescription) -> Result<Vec<Need>> {
    let catalogue = prescribing::catalogue();
    let mut by_drug: BTreeMap<String, Need> = BTreeMap::new();
    let lines = rx.document["lines"].as_array().cloned().unwrap_or_default();
    for line in &lines {
        let code = line["drug"].as_str().unwrap_or_default();
        let packs = line["packs"].as_i64().unwrap_or(0);
        let Some(drug) = catalogue.drug(code) else {
            return Err(ClinicError::Corrupt(format!(
                "prescription {} names `{code}`, which the catalogue does not list",
                rx.id
            )));
        };
        let need = by_drug.entry(code.to_owned()).or_insert_with(|| Need {
            drug: code.to_owned(),
            generic_zh: drug.generic_zh.clone(),
            generic_en: drug.generic_en.clone(),
            units: 0,
            unit_zh: drug.unit_zh.clone(),
            unit_en: drug.unit_en.clone(),
        });
        need.units += packs * i64::from(drug.pack);
    }
    if by_drug.is_empty() || by_drug.values().any(|n| n.units <= 0) {
        return Err(ClinicError::Corrupt(format!(
            "prescription {} has no quantity to dispense",
            rx.id
        )));
    }
    Ok(by_drug.into_values().collect())
}

/// Refuses unless `rx` may be dispensed at `now`: approved, and not past its validity.
pub(crate) fn dispensable(rx: &Prescription, now: i64) -> Result<()> {
    let why = match rx.state {
        RxState::Approved if rx.valid_until > now => return Ok(()),
        RxState::Approved => format!(
            "expired on {} ({}); ask the doctor for a new prescription",
            UtcMillis(rx.valid_until).format_datetime(kernel::Lang::Zh),
            UtcMillis(rx.valid_until).format_datetime(kernel::Lang::En)
        ),
        RxState::AwaitingReview => {
            "is awaiting a pharmacist's review; medicine is dispensed only after approval".into()
        }
        RxState::Rejected => format!(
            "was rejected by the pharmacist ({}); nothing is dispensed for it",
            rx.review_reason.as_deref().unwrap_or("no reason given")
        ),
        RxState::Withdrawn => "was withdrawn by the doctor; nothing is dispensed for it".into(),
    };
    Err(ClinicError::invalid(
        "prescription",
        format!("this prescription {why}"),
    ))
}

/// Whether `actor` is a pharmacist working at `site_id`.
pub(crate) fn pharmacist_at(actor: &Principal, site_id: &str) -> bool {
    actor.has_role(Role::Pharmacist) && actor.organisation.id == site_id
}

impl Clinic {
    /// The prescription, for the patient's side only: a stranger gets NotFound, the doctor
    /// Forbidden (the patient chooses how to get the medicine).
    pub(crate) async fn patients_prescription(
        &self,
        actor: &Principal,
        prescription_id: &str,
    ) -> Result<Prescription> {
        let rx = self.prescription_row(prescription_id).await?;
        let c = self.consultation_row(&rx.consultation_id).await?;
        if self
            .party(actor, &c)
            .await
            .map_err(|_| ClinicError::NotFound {
                what: "prescription",
            })?
            != Party::Patient
        {
            return Err(ClinicError::Forbidden(
                "the patient or their household member chooses how the medicine is collected",
            ));
        }
        Ok(rx)
    }

    /// Whether `actor` is the patient of `resident_id` or acts for them.
    pub(crate) async fn acts_for_resident(
        &self,
        actor: &Principal,
        resident_id: &str,
    ) -> Result<bool> {
        if !actor.has_role(Role::Resident) {
            return Ok(false);
        }
        let (own, represented) = self.clinical.residents_acted_for(&actor.user_id).await?;
        Ok(own.iter().chain(&represented).any(|r| r == resident_id))
    }

    /// The dispensing site `site_id`, when it is one for `rx`: the prescribing hospital, or an
    /// active community pharmacy.
    pub(crate) async fn site_for(&self, rx: &Prescription, site_id: &str) -> Result<Site> {
        match self.accounts.organisation(site_id).await? {
            Some(org)
                if org.active
                    && (org.id == rx.hospital_id || org.kind == OrganisationKind::Pharmacy) =>
            {
                Ok(Site::of(&org))
            }
            _ => Err(ClinicError::invalid(
                "site",
                "dispensed only at the prescribing hospital's pharmacy or a community pharmacy",
            )),
        }
    }

    /// A site as it is now, whatever prescription it served.
    pub(crate) async fn site(&self, site_id: &str) -> Result<Site> {
        match self.accounts.organisation(site_id).await? {
            Some(org) => Ok(Site::of(&org)),
            None => Err(ClinicError::NotFound { what: "site" }),
        }
    }

    /// The 6-digit code the patient shows at the counter. Derived from the platform's keyed
    /// HMAC and the fulfilment id, so the database holds nothing that reveals it, yet the
    /// patient's page can show it again.
    pub(crate) fn pickup_code(&self, fulfilment_id: &str) -> String {
        let mac = self
            .keys
            .blind_index
            .compute("clinic.pickup-code", fulfilment_id);
        let n = u64::from_str_radix(&mac[..15], 16).unwrap_or(0);
        format!("{:06}", n % 1_000_000)
    }
}
