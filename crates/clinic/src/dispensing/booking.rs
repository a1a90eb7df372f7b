//! The patient's choice: the options (sites with stock for every line, their free slots,
//! courier from the hospital), then a pickup booking or a courier delivery. A choice is one
//! transaction: the fulfilment (unique per prescription while it stands), the slot's place
//! and each drug's units are taken by conditional statements, and all of it rolls back when
//! any one fails.

use std::collections::BTreeMap;

use access::Principal;
use kernel::{Lang, UtcMillis};
use ledger::PurposeOfUse;
use serde::Serialize;
use store::sqlx::{self, AnyConnection, Row};

use super::address::Address;
use super::queries::{Fulfilment, Viewer, address_context};
use super::slots::Slot;
use super::state::Method;
use super::{Need, Site, dispensable, needs};
use crate::consultation::years_after;
use crate::error::{ClinicError, Result};
use crate::notifications::Notice;
use crate::prescriptions::Prescription;
use crate::service::Clinic;

/// One site the patient may collect from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteOption {
    pub site: Site,
    /// Slots with room, before the prescription expires (may be empty: no slot open yet).
    pub free_slots: Vec<Slot>,
}

/// Why nothing can be offered, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unavailable {
    pub message_zh: String,
    pub message_en: String,
}

/// What the patient may choose for one prescription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FulfilmentOptions {
    pub prescription_id: String,
    pub valid_until: i64,
    pub needs: Vec<Need>,
    /// The hospital's pharmacy first, then community pharmacies by name.
    pub sites: Vec<SiteOption>,
    /// Whether the hospital has the stock to send it by courier.
    pub courier: bool,
    /// Set when no site has stock for every line.
    pub unavailable: Option<Unavailable>,
}

impl Clinic {
    /// The choices for an approved prescription in force, for the patient's side.
    pub async fn fulfilment_options(
        &self,
        patient: &Principal,
        prescription_id: &str,
        now: i64,
    ) -> Result<FulfilmentOptions> {
        let rx = self.patients_prescription(patient, prescription_id).await?;
        dispensable(&rx, now)?;
        let needs = needs(&rx)?;
        let mut sites = Vec::new();
        for site_id in self.sites_with_stock(&needs).await? {
            let Ok(site) = self.site_for(&rx, &site_id).await else {
                continue;
            };
            let free_slots = self.free_slots(&site.id, now, rx.valid_until).await?;
            sites.push(SiteOption { site, free_slots });
        }
        sites.sort_by(|a, b| {
            (a.site.id != rx.hospital_id, &a.site.name_zh)
                .cmp(&(b.site.id != rx.hospital_id, &b.site.name_zh))
        });
        let courier = sites.iter().any(|s| s.site.id == rx.hospital_id);
        let unavailable = sites.is_empty().then(|| {
            let zh: Vec<String> = needs
                .iter()
                .map(|n| format!("{} {}{}", n.generic_zh, n.units, n.unit_zh))
                .collect();
            let en: Vec<String> = needs
                .iter()
                .map(|n| format!("{} {} {}s", n.generic_en, n.units, n.unit_en))
                .collect();
            Unavailable {
                message_zh: format!(
                    "目前没有药房备齐本处方的药品（{}）。请稍后再查看，或联系开方医院药房。",
                    zh.join("、")
                ),
                message_en: format!(
                    "No pharmacy has every medicine of this prescription in stock now ({}). Look again later, or contact the hospital pharmacy.",
                    en.join(", ")
                ),
            }
        });
        Ok(FulfilmentOptions {
            prescription_id: rx.id,
            valid_until: rx.valid_until,
            needs,
            sites,
            courier,
            unavailable,
        })
    }

    /// Books a pickup slot: the slot's place and the medicine are set aside together. The same
    /// slot again returns the booking; any other choice while one stands is refused.
    pub async fn book_pickup(
        &self,
        patient: &Principal,
        prescription_id: &str,
        slot_id: &str,
    ) -> Result<Fulfilment> {
        let rx = self.patients_prescription(patient, prescription_id).await?;
        let now = UtcMillis::now().0;
        dispensable(&rx, now)?;
        let needs = needs(&rx)?;
        let slot = self.slot(slot_id).await?;
        let site = self.site_for(&rx, &slot.site_id).await?;
        if let Some(existing) = self.standing_fulfilment(&rx.id).await? {
            if existing.slot_id.as_deref() == Some(slot_id) {
                return self.view(&existing, Viewer::Patient).await;
            }
            return Err(already_chosen(existing.method));
        }
        let id = kernel::Id::new().to_string();
        let mut tx = self.db.writer().begin().await?;
        if !self
            .insert_fulfilment(
                &mut tx,
                &id,
                &rx,
                patient,
                Method::Pickup,
                &site.id,
                Some(slot_id),
                None,
                now,
            )
            .await?
        {
            tx.rollback().await?;
            return self.lost_race(&rx.id, Some(slot_id)).await;
        }
        let placed = sqlx::query(
            "UPDATE clinic_slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity \
             AND ends_at > $2 AND starts_at < $3",
        )
        .bind(slot_id)
        .bind(now)
        .bind(rx.valid_until)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if placed == 0 {
            tx.rollback().await?;
            let why = if slot.ends_at <= now {
                "this slot is over; choose a later one"
            } else if slot.starts_at >= rx.valid_until {
                "this slot starts after the prescription expires; choose an earlier one"
            } else {
                "this slot was just taken and is full; choose another"
            };
            return Err(ClinicError::conflict("slot", why));
        }
        if let Err(e) = self.take_stock(&mut tx, &id, &site, &needs).await {
            tx.rollback().await?;
            return Err(e);
        }
        let when_zh = UtcMillis(slot.starts_at).format_datetime(Lang::Zh);
        let when_en = UtcMillis(slot.starts_at).format_datetime(Lang::En);
        let notice = Notice {
            kind: "clinic.pickup.booked".into(),
            text_zh: format!(
                "已预约取药：{}，{}。药品已为您预留，请凭取药码取药。",
                site.name_zh, when_zh
            ),
            text_en: format!(
                "Pickup booked at {}, {when_en}. Your medicine is set aside; show your pickup code at the counter.",
                site.name_en
            ),
            link: link(&id),
        };
        self.notify_in(&mut tx, std::slice::from_ref(&patient.user_id), &notice)
            .await?;
        tx.commit().await?;
        self.record(
            patient,
            "clinic.pickup.book",
            "resident",
            &rx.resident_id,
            PurposeOfUse::Treatment,
            format!("{id}:{slot_id}").as_bytes(),
        )
        .await;
        let stored = self.stored_fulfilment(&id).await?;
        self.view(&stored, Viewer::Patient).await
    }

    /// Chooses courier delivery from the hospital's pharmacy to `address` (recipient, mobile
    /// and street encrypted); the medicine is set aside at the hospital.
    pub async fn choose_courier(
        &self,
        patient: &Principal,
        prescription_id: &str,
        address: &Address,
    ) -> Result<Fulfilment> {
        let rx = self.patients_prescription(patient, prescription_id).await?;
        let now = UtcMillis::now().0;
        dispensable(&rx, now)?;
        let address = address.checked()?;
        let needs = needs(&rx)?;
        let site = self.site_for(&rx, &rx.hospital_id).await?;
        if let Some(existing) = self.standing_fulfilment(&rx.id).await? {
            if existing.method == Method::Courier
                && self.address_of(&existing)?.as_ref() == Some(&address)
            {
                return self.view(&existing, Viewer::Patient).await;
            }
            return Err(already_chosen(existing.method));
        }
        let id = kernel::Id::new().to_string();
        let mut tx = self.db.writer().begin().await?;
        if !self
            .insert_fulfilment(
                &mut tx,
                &id,
                &rx,
                patient,
                Method::Courier,
                &site.id,
                None,
                Some(&address),
                now,
            )
            .await?
        {
            tx.rollback().await?;
            return self.lost_race(&rx.id, None).await;
        }
        if let Err(e) = self.take_stock(&mut tx, &id, &site, &needs).await {
            tx.rollback().await?;
            return Err(e);
        }
        let notice = Notice {
            kind: "clinic.courier.chosen".into(),
            text_zh: format!("已选择快递配送，{}药房将尽快发货。", site.name_zh),
            text_en: format!(
                "Courier delivery chosen; the pharmacy of {} will dispatch it soon.",
                site.name_en
            ),
            link: link(&id),
        };
        self.notify_in(&mut tx, std::slice::from_ref(&patient.user_id), &notice)
            .await?;
        tx.commit().await?;
        self.record(
            patient,
            "clinic.courier.choose",
            "resident",
            &rx.resident_id,
            PurposeOfUse::Treatment,
            id.as_bytes(),
        )
        .await;
        let stored = self.stored_fulfilment(&id).await?;
        self.view(&stored, Viewer::Patient).await
    }

    /// Sites holding enough of every needed drug.
    async fn sites_with_stock(&self, needs: &[Need]) -> Result<Vec<String>> {
        let placeholders: Vec<String> = (1..=needs.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT site_id, drug, units FROM clinic_stock WHERE drug IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for n in needs {
            query = query.bind(&n.drug);
        }
        let mut covered: BTreeMap<String, usize> = BTreeMap::new();
        for row in query.fetch_all(self.db.pool()).await? {
            let site: String = row.try_get(0)?;
            let drug: String = row.try_get(1)?;
            let units: i64 = row.try_get(2)?;
            if needs.iter().any(|n| n.drug == drug && units >= n.units) {
                *covered.entry(site).or_default() += 1;
            }
        }
        Ok(covered
            .into_iter()
            .filter(|(_, drugs)| *drugs == needs.len())
            .map(|(site, _)| site)
            .collect())
    }

    /// Inserts the fulfilment holding the prescription; false when another already holds it.
    #[allow(clippy::too_many_arguments)]
    async fn insert_fulfilment(
        &self,
        conn: &mut AnyConnection,
        id: &str,
        rx: &Prescription,
        patient: &Principal,
        method: Method,
        site_id: &str,
        slot_id: Option<&str>,
        address: Option<&Address>,
        now: i64,
    ) -> Result<bool> {
        let seal =
            |value: &str, field: &str| self.keys.cipher.encrypt(value, &address_context(field, id));
        let state = match method {
            Method::Pickup => "booked",
            Method::Courier => "awaiting-dispatch",
        };
        let inserted = sqlx::query(
            "INSERT INTO clinic_fulfilments (id, prescription_id, standing_rx, resident_id, chosen_by, \
             method, site_id, slot_id, state, recipient_enc, mobile_enc, district, street_enc, \
             created_at, updated_at, retain_until) \
             VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) \
             ON CONFLICT (standing_rx) DO NOTHING",
        )
        .bind(id)
        .bind(&rx.id)
        .bind(&rx.resident_id)
        .bind(&patient.user_id)
        .bind(method.code())
        .bind(site_id)
        .bind(slot_id)
        .bind(state)
        .bind(address.map(|a| seal(&a.recipient, "recipient")))
        .bind(address.map(|a| seal(&a.mobile, "mobile")))
        .bind(address.map(|a| a.district.clone()))
        .bind(address.map(|a| seal(&a.street, "street")))
        .bind(now)
        .bind(years_after(UtcMillis(now), self.rules.records.visit_years.value))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// Takes each drug's units from the site's stock (`units >= needed`), naming the drug
    /// that ran out; the caller rolls back on an error.
    async fn take_stock(
        &self,
        conn: &mut AnyConnection,
        fulfilment_id: &str,
        site: &Site,
        needs: &[Need],
    ) -> Result<()> {
        // `needs` is in drug order, so concurrent bookings lock stock rows in one order.
        for n in needs {
            let taken = sqlx::query(
                "UPDATE clinic_stock SET units = units - $3 WHERE site_id = $1 AND drug = $2 AND units >= $3",
            )
            .bind(&site.id)
            .bind(&n.drug)
            .bind(n.units)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if taken == 0 {
                return Err(ClinicError::conflict(
                    "stock",
                    format!(
                        "{} ({}) ran out at {} while booking: {} {}s needed. Nothing was booked; choose another site. / {}{}不足",
                        n.generic_en,
                        n.drug,
                        site.name_en,
                        n.units,
                        n.unit_en,
                        site.name_zh,
                        n.generic_zh
                    ),
                ));
            }
            sqlx::query(
                "INSERT INTO clinic_fulfilment_lines (fulfilment_id, drug, units) VALUES ($1, $2, $3)",
            )
            .bind(fulfilment_id)
            .bind(&n.drug)
            .bind(n.units)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// After losing the insert to a concurrent choice: the same pickup is the answer,
    /// anything else is refused.
    async fn lost_race(&self, prescription_id: &str, slot_id: Option<&str>) -> Result<Fulfilment> {
        match self.standing_fulfilment(prescription_id).await? {
            Some(existing) if slot_id.is_some() && existing.slot_id.as_deref() == slot_id => {
                self.view(&existing, Viewer::Patient).await
            }
            Some(existing) => Err(already_chosen(existing.method)),
            None => Err(ClinicError::AlreadyDone {
                state: "changed".into(),
            }),
        }
    }
}

fn already_chosen(method: Method) -> ClinicError {
    let what = match method {
        Method::Pickup => "a pickup is already booked",
        Method::Courier => "courier delivery is already chosen",
    };
    ClinicError::conflict(
        "prescription",
        format!("{what} for this prescription; cancel it first to choose again"),
    )
}

/// The patient's page of a fulfilment.
pub(crate) fn link(fulfilment_id: &str) -> String {
    format!("/clinic/fulfilments/{fulfilment_id}")
}
