//! Stock per site and catalogue drug, in counting units, as the site's pharmacist counts it.
//! `units` is what is free to promise: a booking sets its units aside by decrementing it, and
//! a cancellation gives them back.

use access::{OrganisationKind, Principal, Role};
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use serde::Serialize;
use store::sqlx::{self, Row};

use super::pharmacist_at;
use crate::error::{ClinicError, Result};
use crate::service::Clinic;

/// Largest count accepted, against a mistyped figure (a million tablets is a warehouse).
const MAX_UNITS: i64 = 1_000_000;

/// One drug's stock at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockLine {
    pub site_id: String,
    pub drug: String,
    pub generic_zh: String,
    pub generic_en: String,
    pub units: i64,
    pub unit_zh: String,
    pub unit_en: String,
    /// Whole packs in `units`.
    pub packs: i64,
    pub updated_at: i64,
}

impl Clinic {
    /// The site's pharmacist sets the count of one drug (after a stock-take or a delivery).
    pub async fn set_stock(
        &self,
        pharmacist: &Principal,
        site_id: &str,
        drug: &str,
        units: i64,
    ) -> Result<StockLine> {
        if !pharmacist_at(pharmacist, site_id)
            || !matches!(
                pharmacist.organisation.kind,
                OrganisationKind::Hospital | OrganisationKind::Pharmacy
            )
        {
            return Err(ClinicError::Forbidden(
                "only a pharmacist of this hospital or pharmacy sets its stock",
            ));
        }
        let Some(d) = prescribing::catalogue().drug(drug) else {
            return Err(ClinicError::invalid(
                "drug",
                format!(
                    "`{drug}` is not a drug of the catalogue; use its catalogue code, e.g. amlodipine-5mg-tab"
                ),
            ));
        };
        if !(0..=MAX_UNITS).contains(&units) {
            return Err(ClinicError::invalid(
                "units",
                format!("{units}: count 0 to {MAX_UNITS} {}s", d.unit_en),
            ));
        }
        let now = UtcMillis::now().0;
        sqlx::query(
            "INSERT INTO clinic_stock (site_id, drug, units, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id, drug) DO UPDATE SET \
             units = excluded.units, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(site_id)
        .bind(drug)
        .bind(units)
        .bind(&pharmacist.user_id)
        .bind(now)
        .execute(self.db.pool())
        .await?;
        self.record(
            pharmacist,
            "clinic.stock.set",
            "organisation",
            site_id,
            PurposeOfUse::Operations,
            format!("{drug}:{units}").as_bytes(),
        )
        .await;
        Ok(line(site_id, drug, units, now))
    }

    /// The stock of a site, by drug code, for its pharmacists (and the health commission).
    pub async fn stock_of(&self, actor: &Principal, site_id: &str) -> Result<Vec<StockLine>> {
        let commission = actor.has_role(Role::BureauOfficial)
            && actor.organisation.bureau == Some(access::Bureau::HealthCommission);
        if !pharmacist_at(actor, site_id) && !commission {
            return Err(ClinicError::Forbidden(
                "a site's stock is for its pharmacists",
            ));
        }
        let rows = sqlx::query(
            "SELECT drug, units, updated_at FROM clinic_stock WHERE site_id = $1 ORDER BY drug",
        )
        .bind(site_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(line(
                    site_id,
                    &r.try_get::<String, _>(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                ))
            })
            .collect()
    }
}

fn line(site_id: &str, drug: &str, units: i64, updated_at: i64) -> StockLine {
    let d = prescribing::catalogue().drug(drug);
    let pack = d.map_or(1, |d| i64::from(d.pack.max(1)));
    StockLine {
        site_id: site_id.to_owned(),
        drug: drug.to_owned(),
        generic_zh: d.map(|d| d.generic_zh.clone()).unwrap_or_default(),
        generic_en: d.map(|d| d.generic_en.clone()).unwrap_or_default(),
        units,
        unit_zh: d.map(|d| d.unit_zh.clone()).unwrap_or_default(),
        unit_en: d.map(|d| d.unit_en.clone()).unwrap_or_default(),
        packs: units / pack,
        updated_at,
    }
}
