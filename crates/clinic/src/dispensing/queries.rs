//! Fulfilments as pages show them: the patient's own (with the pickup code), a site
//! pharmacist's pickups of the day and courier orders (masked), the waybill (in full, logged).

use access::Principal;
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use serde::Serialize;
use store::sqlx::{self, Row, any::AnyRow};

use super::address::{Address, MaskedAddress};
use super::slots::Slot;
use super::state::{FulfilmentState, Method};
use super::{Site, pharmacist_at};
use crate::error::{ClinicError, Result};
use crate::service::Clinic;

/// How a delivery was proven.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "by")]
pub enum Proof {
    /// The patient confirmed receipt in the platform.
    Patient,
    /// The pharmacist entered the courier's signed proof of delivery.
    Courier { reference: String },
}

impl Proof {
    pub(crate) fn code(&self) -> String {
        match self {
            Proof::Patient => "patient".into(),
            Proof::Courier { reference } => format!("courier:{reference}"),
        }
    }

    fn from_code(code: &str) -> Proof {
        match code.strip_prefix("courier:") {
            Some(reference) => Proof::Courier {
                reference: reference.to_owned(),
            },
            None => Proof::Patient,
        }
    }
}

/// One reserved drug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reserved {
    pub drug: String,
    pub units: i64,
}

/// A fulfilment as one page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fulfilment {
    pub id: String,
    pub prescription_id: String,
    pub resident_id: String,
    pub method: Method,
    pub state: FulfilmentState,
    pub site: Site,
    pub slot: Option<Slot>,
    pub lines: Vec<Reserved>,
    /// The code to show at the counter: only in the patient's own view of a booked pickup.
    pub pickup_code: Option<String>,
    /// The patient's name, masked, in a pharmacist's list.
    pub patient_masked: Option<String>,
    /// The delivery address, masked.
    pub address: Option<MaskedAddress>,
    pub courier: Option<String>,
    pub tracking_no: Option<String>,
    pub proof: Option<Proof>,
    pub close_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub dispatched_at: Option<i64>,
    /// When it was collected, delivered, missed or cancelled.
    pub closed_at: Option<i64>,
}

/// A fulfilment row as stored (address fields encrypted).
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub id: String,
    pub prescription_id: String,
    pub resident_id: String,
    pub chosen_by: String,
    pub method: Method,
    pub site_id: String,
    pub slot_id: Option<String>,
    pub state: FulfilmentState,
    recipient_enc: Option<String>,
    mobile_enc: Option<String>,
    district: Option<String>,
    street_enc: Option<String>,
    courier: Option<String>,
    tracking_no: Option<String>,
    proof: Option<String>,
    close_reason: Option<String>,
    created_at: i64,
    updated_at: i64,
    dispatched_at: Option<i64>,
    closed_at: Option<i64>,
}

pub(crate) const COLUMNS: &str = "id, prescription_id, resident_id, chosen_by, method, site_id, \
    slot_id, state, recipient_enc, mobile_enc, district, street_enc, courier, tracking_no, proof, \
    close_reason, created_at, updated_at, dispatched_at, closed_at";

/// Who is looking, which decides what a view holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Viewer {
    Patient,
    Staff,
}

impl Clinic {
    /// The latest fulfilment of a prescription (the standing one, or the last closed), for
    /// whoever may see the prescription; the pickup code only for the patient's side.
    pub async fn fulfilment_of(
        &self,
        actor: &Principal,
        prescription_id: &str,
    ) -> Result<Option<Fulfilment>> {
        let rx = self.prescription(actor, prescription_id).await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_fulfilments WHERE prescription_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ))
        .bind(&rx.id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stored = stored_from(&row)?;
        let viewer = if self.acts_for_resident(actor, &rx.resident_id).await? {
            Viewer::Patient
        } else {
            Viewer::Staff
        };
        self.view(&stored, viewer).await.map(Some)
    }

    /// One fulfilment, for the patient's side or a pharmacist of its site; NotFound for
    /// anyone else.
    pub async fn fulfilment(&self, actor: &Principal, id: &str) -> Result<Fulfilment> {
        let stored = self.stored_fulfilment(id).await?;
        let viewer = self.viewer_of(actor, &stored).await?;
        self.view(&stored, viewer).await
    }

    /// The pickups at the pharmacist's site in slots from the start of the city day of `now`
    /// on (today's counter and the days ahead), in slot order, with the patient's name masked.
    pub async fn pickups_from_today(
        &self,
        pharmacist: &Principal,
        now: i64,
    ) -> Result<Vec<Fulfilment>> {
        let site_id = &pharmacist.organisation.id;
        if !pharmacist_at(pharmacist, site_id) {
            return Err(ClinicError::Forbidden(
                "the pickup list is the site's pharmacists'",
            ));
        }
        let start = city_day_start(now)?;
        let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("f.{c}")).collect();
        let rows = sqlx::query(&format!(
            "SELECT {} FROM clinic_fulfilments f JOIN clinic_slots s ON s.id = f.slot_id \
             WHERE f.site_id = $1 AND f.method = 'pickup' AND s.starts_at >= $2 \
             ORDER BY s.starts_at, f.created_at LIMIT 1000",
            columns.join(", ")
        ))
        .bind(site_id)
        .bind(start)
        .fetch_all(self.db.pool())
        .await?;
        self.staff_list(&rows).await
    }

    /// Courier orders of the pharmacist's site not yet delivered (to dispatch, then to
    /// prove), oldest first, addresses masked.
    pub async fn courier_orders(&self, pharmacist: &Principal) -> Result<Vec<Fulfilment>> {
        let site_id = &pharmacist.organisation.id;
        if !pharmacist_at(pharmacist, site_id) {
            return Err(ClinicError::Forbidden(
                "courier orders are the site's pharmacists'",
            ));
        }
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_fulfilments WHERE site_id = $1 AND method = 'courier' \
             AND state IN ('awaiting-dispatch', 'dispatched') ORDER BY created_at, id LIMIT 1000"
        ))
        .bind(site_id)
        .fetch_all(self.db.pool())
        .await?;
        self.staff_list(&rows).await
    }

    /// The full address of a courier order for the waybill, for a pharmacist of its site;
    /// the reading is on the ledger.
    pub async fn delivery_label(&self, pharmacist: &Principal, id: &str) -> Result<Address> {
        let stored = self.stored_fulfilment(id).await?;
        if !pharmacist_at(pharmacist, &stored.site_id) || stored.method != Method::Courier {
            return Err(ClinicError::NotFound { what: "fulfilment" });
        }
        let address = self
            .address_of(&stored)?
            .ok_or_else(|| ClinicError::Corrupt(format!("courier order {id} has no address")))?;
        self.record(
            pharmacist,
            "clinic.courier.label",
            "resident",
            &stored.resident_id,
            PurposeOfUse::Treatment,
            id.as_bytes(),
        )
        .await;
        Ok(address)
    }

    async fn staff_list(&self, rows: &[AnyRow]) -> Result<Vec<Fulfilment>> {
        let mut list = Vec::with_capacity(rows.len());
        for row in rows {
            let stored = stored_from(row)?;
            let mut view = self.view(&stored, Viewer::Staff).await?;
            view.patient_masked = self
                .clinical
                .residents()
                .resident(&stored.resident_id)
                .await?
                .and_then(|r| r.facts.name)
                .map(|n| kernel::mask_name(&n));
            list.push(view);
        }
        Ok(list)
    }

    /// Patient when `actor` is the patient's side, Staff when a pharmacist of the site;
    /// NotFound otherwise.
    pub(crate) async fn viewer_of(&self, actor: &Principal, stored: &Stored) -> Result<Viewer> {
        if self.acts_for_resident(actor, &stored.resident_id).await? {
            Ok(Viewer::Patient)
        } else if pharmacist_at(actor, &stored.site_id) {
            Ok(Viewer::Staff)
        } else {
            self.record(
                actor,
                "clinic.fulfilment.refused",
                "fulfilment",
                &stored.id,
                PurposeOfUse::Treatment,
                b"not the patient's side nor the site's pharmacist",
            )
            .await;
            Err(ClinicError::NotFound { what: "fulfilment" })
        }
    }

    pub(crate) async fn stored_fulfilment(&self, id: &str) -> Result<Stored> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_fulfilments WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        match row {
            Some(row) => stored_from(&row),
            None => Err(ClinicError::NotFound { what: "fulfilment" }),
        }
    }

    /// The standing fulfilment of a prescription, if any.
    pub(crate) async fn standing_fulfilment(
        &self,
        prescription_id: &str,
    ) -> Result<Option<Stored>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_fulfilments WHERE standing_rx = $1"
        ))
        .bind(prescription_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(stored_from).transpose()
    }

    pub(crate) fn address_of(&self, stored: &Stored) -> Result<Option<Address>> {
        let (Some(recipient), Some(mobile), Some(district), Some(street)) = (
            &stored.recipient_enc,
            &stored.mobile_enc,
            &stored.district,
            &stored.street_enc,
        ) else {
            return Ok(None);
        };
        let open = |stored_value: &str, field: &str| {
            self.keys
                .cipher
                .decrypt(stored_value, &address_context(field, &stored.id))
                .map_err(|e| ClinicError::Corrupt(format!("fulfilment {} {field}: {e}", stored.id)))
        };
        Ok(Some(Address {
            recipient: open(recipient, "recipient")?,
            mobile: open(mobile, "mobile")?,
            district: district.clone(),
            street: open(street, "street")?,
        }))
    }

    pub(crate) async fn view(&self, stored: &Stored, viewer: Viewer) -> Result<Fulfilment> {
        let slot = match &stored.slot_id {
            Some(id) => Some(self.slot(id).await?),
            None => None,
        };
        let lines = sqlx::query(
            "SELECT drug, units FROM clinic_fulfilment_lines WHERE fulfilment_id = $1 ORDER BY drug",
        )
        .bind(&stored.id)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(Reserved {
                drug: r.try_get(0)?,
                units: r.try_get(1)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let pickup_code = (viewer == Viewer::Patient && stored.state == FulfilmentState::Booked)
            .then(|| self.pickup_code(&stored.id));
        Ok(Fulfilment {
            id: stored.id.clone(),
            prescription_id: stored.prescription_id.clone(),
            resident_id: stored.resident_id.clone(),
            method: stored.method,
            state: stored.state,
            site: self.site(&stored.site_id).await?,
            slot,
            lines,
            pickup_code,
            patient_masked: None,
            address: self.address_of(stored)?.map(|a| a.masked()),
            courier: stored.courier.clone(),
            tracking_no: stored.tracking_no.clone(),
            proof: stored.proof.as_deref().map(Proof::from_code),
            close_reason: stored.close_reason.clone(),
            created_at: stored.created_at,
            updated_at: stored.updated_at,
            dispatched_at: stored.dispatched_at,
            closed_at: stored.closed_at,
        })
    }
}

/// The encryption context of one address field of one fulfilment.
pub(crate) fn address_context(field: &str, fulfilment_id: &str) -> String {
    format!("clinic.{field}:{fulfilment_id}")
}

/// The start (Unix ms) of the city day holding `now`.
fn city_day_start(now: i64) -> Result<i64> {
    let zone = jiff::tz::TimeZone::get(kernel::CITY_TIME_ZONE)
        .map_err(|e| ClinicError::Corrupt(format!("city time zone: {e}")))?;
    let start = UtcMillis(now)
        .city_date()
        .to_zoned(zone)
        .map_err(|e| ClinicError::Corrupt(e.to_string()))?;
    Ok(start.timestamp().as_millisecond())
}

pub(crate) fn stored_from(row: &AnyRow) -> Result<Stored> {
    let method: String = row.try_get("method")?;
    let state: String = row.try_get("state")?;
    Ok(Stored {
        id: row.try_get("id")?,
        prescription_id: row.try_get("prescription_id")?,
        resident_id: row.try_get("resident_id")?,
        chosen_by: row.try_get("chosen_by")?,
        method: Method::from_code(&method)
            .ok_or_else(|| ClinicError::Corrupt(format!("fulfilment method {method}")))?,
        site_id: row.try_get("site_id")?,
        slot_id: row.try_get("slot_id")?,
        state: FulfilmentState::from_code(&state)
            .ok_or_else(|| ClinicError::Corrupt(format!("fulfilment state {state}")))?,
        recipient_enc: row.try_get("recipient_enc")?,
        mobile_enc: row.try_get("mobile_enc")?,
        district: row.try_get("district")?,
        street_enc: row.try_get("street_enc")?,
        courier: row.try_get("courier")?,
        tracking_no: row.try_get("tracking_no")?,
        proof: row.try_get("proof")?,
        close_reason: row.try_get("close_reason")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        dispatched_at: row.try_get("dispatched_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}
