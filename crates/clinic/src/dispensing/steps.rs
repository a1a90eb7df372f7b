//! The steps after the choice: collection against the pickup code, dispatch, receipt with
//! proof, a missed pickup, a cancellation. Each is a conditional UPDATE from the state it
//! starts from, in one transaction with what it releases and the notification it sends; the
//! loser of a race is told what the fulfilment became.

use access::Principal;
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use store::sqlx::{self, Row};

use super::booking::link;
use super::queries::{Fulfilment, Proof, Stored, Viewer};
use super::state::{FulfilmentState, Method, Step, next};
use super::{dispensable, pharmacist_at};
use crate::consultation::checked_text;
use crate::error::{ClinicError, Result};
use crate::notifications::Notice;
use crate::service::Clinic;

impl Clinic {
    /// A pharmacist of the site hands a booked pickup over, after checking the code the
    /// patient shows. A wrong code is refused and logged.
    pub async fn collect_pickup(
        &self,
        pharmacist: &Principal,
        fulfilment_id: &str,
        pickup_code: &str,
    ) -> Result<Fulfilment> {
        let stored = self.staff_fulfilment(pharmacist, fulfilment_id).await?;
        next(stored.state, Step::Collect)?;
        if pickup_code.trim() != self.pickup_code(&stored.id) {
            self.record(
                pharmacist,
                "clinic.pickup.code-refused",
                "resident",
                &stored.resident_id,
                PurposeOfUse::Treatment,
                stored.id.as_bytes(),
            )
            .await;
            return Err(ClinicError::invalid(
                "pickup_code",
                "does not match this booking; ask the patient for the 6-digit code on their booking page",
            ));
        }
        let rx = self.prescription_row(&stored.prescription_id).await?;
        dispensable(&rx, UtcMillis::now().0)?;
        let notice = Notice {
            kind: "clinic.pickup.collected".into(),
            text_zh: "您已取药。请按医嘱服用。".into(),
            text_en: "Your medicine has been collected. Take it as prescribed.".into(),
            link: link(&stored.id),
        };
        self.advance(
            pharmacist,
            &stored,
            Step::Collect,
            "UPDATE clinic_fulfilments SET state = 'collected', closed_at = $2, updated_at = $2, \
             handled_by = $3 WHERE id = $1 AND state = 'booked'",
            &[],
            notice,
        )
        .await
    }

    /// The hospital's pharmacist hands a courier order to the courier.
    pub async fn dispatch(
        &self,
        pharmacist: &Principal,
        fulfilment_id: &str,
        courier: &str,
        tracking_no: &str,
    ) -> Result<Fulfilment> {
        let stored = self.staff_fulfilment(pharmacist, fulfilment_id).await?;
        next(stored.state, Step::Dispatch)?;
        let courier = checked_text("courier", courier, true)?;
        if courier.chars().count() > 50 {
            return Err(ClinicError::invalid(
                "courier",
                "the courier company's name, at most 50 characters",
            ));
        }
        let tracking_no = tracking_no.trim();
        if !(4..=40).contains(&tracking_no.len())
            || !tracking_no
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ClinicError::invalid(
                "tracking_no",
                "the waybill number: 4 to 40 letters, digits or hyphens",
            ));
        }
        let rx = self.prescription_row(&stored.prescription_id).await?;
        dispensable(&rx, UtcMillis::now().0)?;
        let notice = Notice {
            kind: "clinic.courier.dispatched".into(),
            text_zh: format!("药品已发货：{courier}，运单号 {tracking_no}。收到后请确认签收。"),
            text_en: format!(
                "Your medicine is on its way: {courier}, waybill {tracking_no}. Confirm receipt when it arrives."
            ),
            link: link(&stored.id),
        };
        self.advance(
            pharmacist,
            &stored,
            Step::Dispatch,
            "UPDATE clinic_fulfilments SET state = 'dispatched', dispatched_at = $2, updated_at = $2, \
             handled_by = $3, courier = $4, tracking_no = $5 WHERE id = $1 AND state = 'awaiting-dispatch'",
            &[&courier, tracking_no],
            notice,
        )
        .await
    }

    /// The patient confirms receipt: the proof of delivery, with its time.
    pub async fn confirm_receipt(
        &self,
        patient: &Principal,
        fulfilment_id: &str,
    ) -> Result<Fulfilment> {
        let stored = self.stored_fulfilment(fulfilment_id).await?;
        if self.viewer_of(patient, &stored).await? != Viewer::Patient {
            return Err(ClinicError::Forbidden(
                "the patient or their household member confirms receipt; a pharmacist records the courier's proof",
            ));
        }
        self.deliver(patient, &stored, Proof::Patient).await
    }

    /// A pharmacist of the sending site records the courier's signed proof of delivery.
    pub async fn record_delivery_proof(
        &self,
        pharmacist: &Principal,
        fulfilment_id: &str,
        reference: &str,
    ) -> Result<Fulfilment> {
        let stored = self.staff_fulfilment(pharmacist, fulfilment_id).await?;
        let reference = checked_text("reference", reference, true)?;
        if reference.chars().count() > 100 {
            return Err(ClinicError::invalid(
                "reference",
                "the courier's proof reference (signature record number), at most 100 characters",
            ));
        }
        self.deliver(pharmacist, &stored, Proof::Courier { reference })
            .await
    }

    /// The patient's side cancels before collection or dispatch, or a pharmacist of the site
    /// does with a reason the patient reads. Stock (and the slot's place) are released.
    pub async fn cancel_fulfilment(
        &self,
        actor: &Principal,
        fulfilment_id: &str,
        reason: &str,
    ) -> Result<Fulfilment> {
        let stored = self.stored_fulfilment(fulfilment_id).await?;
        let viewer = self.viewer_of(actor, &stored).await?;
        next(stored.state, Step::Cancel)?;
        let reason = checked_text("reason", reason, viewer == Viewer::Staff)?;
        let (zh, en) = match viewer {
            Viewer::Patient => (
                "您已取消取药安排，预留的药品已释放。处方有效期内可重新选择。".to_owned(),
                "You cancelled; the medicine set aside is released. You may choose again while the prescription is valid.".to_owned(),
            ),
            Viewer::Staff => (
                format!("药房取消了您的取药安排：{reason}。处方有效期内可重新选择。"),
                format!("The pharmacy cancelled your arrangement: {reason}. You may choose again while the prescription is valid."),
            ),
        };
        let notice = Notice {
            kind: "clinic.fulfilment.cancelled".into(),
            text_zh: zh,
            text_en: en,
            link: link(&stored.id),
        };
        let reason = (!reason.is_empty()).then_some(reason);
        if !self
            .release(
                &stored,
                Step::Cancel,
                &actor.user_id,
                reason.as_deref(),
                notice,
            )
            .await?
        {
            return Err(self.moved_on(&stored.id).await);
        }
        self.record(
            actor,
            "clinic.fulfilment.cancel",
            "resident",
            &stored.resident_id,
            PurposeOfUse::Treatment,
            stored.id.as_bytes(),
        )
        .await;
        self.fulfilment(actor, &stored.id).await
    }

    /// A pharmacist of the site marks a pickup missed once its slot has ended.
    pub async fn mark_missed(
        &self,
        pharmacist: &Principal,
        fulfilment_id: &str,
    ) -> Result<Fulfilment> {
        let stored = self.staff_fulfilment(pharmacist, fulfilment_id).await?;
        next(stored.state, Step::Miss)?;
        if let Some(slot_id) = &stored.slot_id {
            if self.slot(slot_id).await?.ends_at > UtcMillis::now().0 {
                return Err(ClinicError::invalid(
                    "fulfilment",
                    "the slot has not ended yet; the patient may still come",
                ));
            }
        }
        if !self
            .release(
                &stored,
                Step::Miss,
                &pharmacist.user_id,
                None,
                missed_notice(&stored.id),
            )
            .await?
        {
            return Err(self.moved_on(&stored.id).await);
        }
        self.record(
            pharmacist,
            "clinic.pickup.miss",
            "resident",
            &stored.resident_id,
            PurposeOfUse::Treatment,
            stored.id.as_bytes(),
        )
        .await;
        self.fulfilment(pharmacist, &stored.id).await
    }

    /// Marks missed every pickup still booked `dispensing.missed_after_minutes` after its
    /// slot ended, releasing stock and places (the binary runs this periodically). How many.
    pub async fn miss_overdue_pickups(&self, now: i64) -> Result<u64> {
        let grace = i64::from(self.rules.dispensing.missed_after_minutes.value) * 60_000;
        let columns: Vec<String> = super::queries::COLUMNS
            .split(", ")
            .map(|c| format!("f.{c}"))
            .collect();
        let rows = sqlx::query(&format!(
            "SELECT {} FROM clinic_fulfilments f JOIN clinic_slots s ON s.id = f.slot_id \
             WHERE f.state = 'booked' AND s.ends_at < $1 ORDER BY s.ends_at LIMIT 500",
            columns.join(", ")
        ))
        .bind(now - grace)
        .fetch_all(self.db.pool())
        .await?;
        let mut missed = 0;
        for row in &rows {
            let stored = super::queries::stored_from(row)?;
            if self
                .release(
                    &stored,
                    Step::Miss,
                    "system",
                    None,
                    missed_notice(&stored.id),
                )
                .await?
            {
                missed += 1;
                self.record_as(
                    "system",
                    Some(&stored.site_id),
                    "clinic.pickup.miss",
                    ("resident", &stored.resident_id),
                    PurposeOfUse::Operations,
                    stored.id.as_bytes(),
                )
                .await;
            }
        }
        Ok(missed)
    }

    async fn deliver(
        &self,
        actor: &Principal,
        stored: &Stored,
        proof: Proof,
    ) -> Result<Fulfilment> {
        next(stored.state, Step::Deliver)?;
        let notice = Notice {
            kind: "clinic.courier.delivered".into(),
            text_zh: "药品已签收。请按医嘱服用。".into(),
            text_en: "Your medicine was delivered. Take it as prescribed.".into(),
            link: link(&stored.id),
        };
        let proof = proof.code();
        self.advance(
            actor,
            stored,
            Step::Deliver,
            "UPDATE clinic_fulfilments SET state = 'delivered', closed_at = $2, updated_at = $2, \
             handled_by = $3, proof = $4 WHERE id = $1 AND state = 'dispatched'",
            &[&proof],
            notice,
        )
        .await
    }

    /// The fulfilment, for a pharmacist of its site; NotFound for anyone else.
    async fn staff_fulfilment(&self, pharmacist: &Principal, id: &str) -> Result<Stored> {
        let stored = self.stored_fulfilment(id).await?;
        if !pharmacist_at(pharmacist, &stored.site_id) {
            self.record(
                pharmacist,
                "clinic.fulfilment.refused",
                "fulfilment",
                id,
                PurposeOfUse::Treatment,
                b"not a pharmacist of the site",
            )
            .await;
            return Err(ClinicError::NotFound { what: "fulfilment" });
        }
        Ok(stored)
    }

    /// Applies a step that keeps the stock taken: `sql` binds the id, now, the actor and
    /// then `extra`, and moves only from the state the step starts from.
    async fn advance(
        &self,
        actor: &Principal,
        stored: &Stored,
        step: Step,
        sql: &str,
        extra: &[&str],
        notice: Notice,
    ) -> Result<Fulfilment> {
        let now = UtcMillis::now().0;
        let mut tx = self.db.writer().begin().await?;
        let mut query = sqlx::query(sql)
            .bind(&stored.id)
            .bind(now)
            .bind(&actor.user_id);
        for value in extra {
            query = query.bind(*value);
        }
        if query.execute(&mut *tx).await?.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(self.moved_on(&stored.id).await);
        }
        self.notify_in(&mut tx, std::slice::from_ref(&stored.chosen_by), &notice)
            .await?;
        tx.commit().await?;
        let action = match (stored.method, step) {
            (Method::Pickup, _) => format!("clinic.pickup.{}", step.code()),
            (Method::Courier, _) => format!("clinic.courier.{}", step.code()),
        };
        self.record(
            actor,
            &action,
            "resident",
            &stored.resident_id,
            PurposeOfUse::Treatment,
            stored.id.as_bytes(),
        )
        .await;
        self.fulfilment(actor, &stored.id).await
    }

    /// Closes a standing fulfilment as missed or cancelled and gives back what it took: the
    /// slot's place and each drug's units. False when it had already moved on.
    async fn release(
        &self,
        stored: &Stored,
        step: Step,
        by: &str,
        reason: Option<&str>,
        notice: Notice,
    ) -> Result<bool> {
        let to = next(stored.state, step)?;
        let now = UtcMillis::now().0;
        let mut tx = self.db.writer().begin().await?;
        let moved = sqlx::query(
            "UPDATE clinic_fulfilments SET state = $2, standing_rx = NULL, closed_at = $3, \
             updated_at = $3, handled_by = $4, close_reason = $5 WHERE id = $1 AND state = $6",
        )
        .bind(&stored.id)
        .bind(to.code())
        .bind(now)
        .bind(by)
        .bind(reason)
        .bind(stored.state.code())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(slot_id) = &stored.slot_id {
            sqlx::query("UPDATE clinic_slots SET booked = booked - 1 WHERE id = $1 AND booked > 0")
                .bind(slot_id)
                .execute(&mut *tx)
                .await?;
        }
        let lines = sqlx::query(
            "SELECT drug, units FROM clinic_fulfilment_lines WHERE fulfilment_id = $1 ORDER BY drug",
        )
        .bind(&stored.id)
        .fetch_all(&mut *tx)
        .await?;
        for line in &lines {
            let drug: String = line.try_get(0)?;
            let units: i64 = line.try_get(1)?;
            sqlx::query(
                "UPDATE clinic_stock SET units = units + $3 WHERE site_id = $1 AND drug = $2",
            )
            .bind(&stored.site_id)
            .bind(&drug)
            .bind(units)
            .execute(&mut *tx)
            .await?;
        }
        self.notify_in(&mut tx, std::slice::from_ref(&stored.chosen_by), &notice)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// What to say to the loser of a race: the state the fulfilment is in now.
    async fn moved_on(&self, id: &str) -> ClinicError {
        match self.stored_fulfilment(id).await {
            Ok(now) => ClinicError::AlreadyDone {
                state: FulfilmentState::code(now.state).to_owned(),
            },
            Err(e) => e,
        }
    }
}

fn missed_notice(fulfilment_id: &str) -> Notice {
    Notice {
        kind: "clinic.pickup.missed".into(),
        text_zh: "您预约的取药时段已过，未取药。预留的药品已释放；处方有效期内可重新预约。".into(),
        text_en: "Your pickup slot passed without collection. The medicine set aside is released; you may book again while the prescription is valid.".into(),
        link: link(fulfilment_id),
    }
}
