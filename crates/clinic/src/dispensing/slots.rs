//! Pickup appointment slots a site's pharmacist opens: a time window and how many patients
//! it takes.

use access::{OrganisationKind, Principal};
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use serde::Serialize;
use store::sqlx::{self, Row, any::AnyRow};

use super::pharmacist_at;
use crate::error::{ClinicError, Result};
use crate::service::Clinic;

/// A slot to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSlot {
    pub site_id: String,
    /// Unix milliseconds.
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: u32,
}

/// A pickup slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub id: String,
    pub site_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: i64,
    pub booked: i64,
}

impl Slot {
    pub fn free(&self) -> i64 {
        (self.capacity - self.booked).max(0)
    }
}

pub(crate) const SLOT_COLUMNS: &str = "id, site_id, starts_at, ends_at, capacity, booked";

impl Clinic {
    /// The site's pharmacist opens a slot in the future. Refused: an end not after the start,
    /// a slot longer than the rules allow, no capacity or more than the rules allow, a slot
    /// overlapping another of the site (capacity says how many patients a window takes).
    pub async fn add_slot(&self, pharmacist: &Principal, new: NewSlot, now: i64) -> Result<Slot> {
        if !pharmacist_at(pharmacist, &new.site_id)
            || !matches!(
                pharmacist.organisation.kind,
                OrganisationKind::Hospital | OrganisationKind::Pharmacy
            )
        {
            return Err(ClinicError::Forbidden(
                "only a pharmacist of this hospital or pharmacy opens its pickup slots",
            ));
        }
        let rules = &self.rules.dispensing;
        if new.starts_at <= now {
            return Err(ClinicError::invalid(
                "starts_at",
                "the slot starts in the past; open slots from now on",
            ));
        }
        if new.ends_at <= new.starts_at {
            return Err(ClinicError::invalid(
                "ends_at",
                "the slot must end after it starts",
            ));
        }
        let max_ms = i64::from(rules.max_slot_minutes.value) * 60_000;
        if new.ends_at - new.starts_at > max_ms {
            return Err(ClinicError::invalid(
                "ends_at",
                format!(
                    "a slot lasts at most {} minutes; open several",
                    rules.max_slot_minutes.value
                ),
            ));
        }
        let max_capacity = rules.max_slot_capacity.value;
        if new.capacity == 0 || new.capacity > max_capacity {
            return Err(ClinicError::invalid(
                "capacity",
                format!(
                    "{}: a slot takes 1 to {max_capacity} patients",
                    new.capacity
                ),
            ));
        }
        // Overlap is a check for the pharmacist's benefit, not a resource: two pharmacists
        // opening overlapping slots at the same instant get two slots, which harms nobody.
        // The same start twice (a double submit) is caught by the unique key below.
        let overlapping: i64 = sqlx::query(
            "SELECT COUNT(*) FROM clinic_slots WHERE site_id = $1 AND starts_at < $3 AND ends_at > $2",
        )
        .bind(&new.site_id)
        .bind(new.starts_at)
        .bind(new.ends_at)
        .fetch_one(self.db.pool())
        .await?
        .try_get(0)?;
        if overlapping > 0 {
            return Err(ClinicError::invalid(
                "starts_at",
                "overlaps a slot the site already has; raise that slot's capacity or choose another time",
            ));
        }
        let id = kernel::Id::new().to_string();
        let inserted = sqlx::query(
            "INSERT INTO clinic_slots (id, site_id, starts_at, ends_at, capacity, booked, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7) ON CONFLICT (site_id, starts_at) DO NOTHING",
        )
        .bind(&id)
        .bind(&new.site_id)
        .bind(new.starts_at)
        .bind(new.ends_at)
        .bind(i64::from(new.capacity))
        .bind(&pharmacist.user_id)
        .bind(UtcMillis::now().0)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(ClinicError::invalid(
                "starts_at",
                "the site already has a slot starting then",
            ));
        }
        self.record(
            pharmacist,
            "clinic.slot.open",
            "organisation",
            &new.site_id,
            PurposeOfUse::Operations,
            id.as_bytes(),
        )
        .await;
        self.slot(&id).await
    }

    /// The site's slots ending after `from`, soonest first (the latest 500), for its
    /// pharmacists.
    pub async fn slots_of(
        &self,
        pharmacist: &Principal,
        site_id: &str,
        from: i64,
    ) -> Result<Vec<Slot>> {
        if !pharmacist_at(pharmacist, site_id) {
            return Err(ClinicError::Forbidden(
                "a site's slots are managed by its pharmacists",
            ));
        }
        let rows = sqlx::query(&format!(
            "SELECT {SLOT_COLUMNS} FROM clinic_slots WHERE site_id = $1 AND ends_at > $2 \
             ORDER BY starts_at LIMIT 500"
        ))
        .bind(site_id)
        .bind(from)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(slot_from).collect()
    }

    /// The site's slots with room that have not ended at `now` and start before `until`.
    pub(crate) async fn free_slots(
        &self,
        site_id: &str,
        now: i64,
        until: i64,
    ) -> Result<Vec<Slot>> {
        let rows = sqlx::query(&format!(
            "SELECT {SLOT_COLUMNS} FROM clinic_slots WHERE site_id = $1 AND ends_at > $2 \
             AND starts_at < $3 AND booked < capacity ORDER BY starts_at LIMIT 100"
        ))
        .bind(site_id)
        .bind(now)
        .bind(until)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(slot_from).collect()
    }

    pub(crate) async fn slot(&self, id: &str) -> Result<Slot> {
        let row = sqlx::query(&format!(
            "SELECT {SLOT_COLUMNS} FROM clinic_slots WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        match row {
            Some(row) => slot_from(&row),
            None => Err(ClinicError::NotFound { what: "slot" }),
        }
    }
}

pub(crate) fn slot_from(row: &AnyRow) -> Result<Slot> {
    Ok(Slot {
        id: row.try_get("id")?,
        site_id: row.try_get("site_id")?,
        starts_at: row.try_get("starts_at")?,
        ends_at: row.try_get("ends_at")?,
        capacity: row.try_get("capacity")?,
        booked: row.try_get("booked")?,
    })
}
