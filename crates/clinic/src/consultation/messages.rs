//! Text and image messages between the patient and the doctor while a consultation is open.
//! Kept at least as long as the rules say (`records.message_years`).

use access::Principal;
use base64::Engine;
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use serde::Serialize;
use store::sqlx::{self, Any, Row, Transaction};

use super::{Party, checked_text, years_after};
use crate::error::{ClinicError, Result};
use crate::rules::Rules;
use crate::service::Clinic;

/// An image a person sends: a photo of a record, a rash, a pill box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `image/png` or `image/jpeg`; checked against the bytes.
    pub media_type: String,
    pub bytes: Vec<u8>,
}

impl Image {
    /// Refuses an empty, oversized or mislabelled image.
    pub fn check(&self, rules: &Rules) -> Result<()> {
        let max = rules.consultations.max_image_bytes.value as usize;
        if self.bytes.is_empty() {
            return Err(ClinicError::invalid("image", "the image is empty"));
        }
        if self.bytes.len() > max {
            return Err(ClinicError::invalid(
                "image",
                format!(
                    "{} bytes; at most {max} ({} MiB)",
                    self.bytes.len(),
                    max / 1_048_576
                ),
            ));
        }
        let looks = if self.bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if self.bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "image/jpeg"
        } else {
            return Err(ClinicError::invalid(
                "image",
                "only PNG and JPEG images are accepted",
            ));
        };
        if self.media_type != looks {
            return Err(ClinicError::invalid(
                "image",
                format!("the file is {looks}, not {}", self.media_type),
            ));
        }
        Ok(())
    }
}

/// A message as the parties see it (images as base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: String,
    pub author_id: String,
    pub from_doctor: bool,
    pub body: Option<String>,
    pub image_type: Option<String>,
    pub image_base64: Option<String>,
    pub sent_at: i64,
}

impl Clinic {
    /// Sends a message in an open consultation. A doctor's first message begins the visit.
    pub async fn send_message(
        &self,
        actor: &Principal,
        id: &str,
        body: Option<&str>,
        image: Option<Image>,
    ) -> Result<Message> {
        let c = self.consultation_row(id).await?;
        let party = self.party(actor, &c).await?;
        if !c.state.is_open_for_care() {
            return Err(ClinicError::invalid(
                "consultation",
                format!(
                    "messages are open only while the consultation is accepted or in progress; it is {}",
                    c.state.code()
                ),
            ));
        }
        let max = self.rules.consultations.max_text_chars.value as usize;
        let body = match body.map(|b| checked_text("body", b, false)).transpose()? {
            Some(b) if b.chars().count() > max => {
                return Err(ClinicError::invalid(
                    "body",
                    format!("at most {max} characters"),
                ));
            }
            Some(b) if b.is_empty() => None,
            other => other,
        };
        if let Some(image) = &image {
            image.check(self.rules)?;
        }
        if body.is_none() && image.is_none() {
            return Err(ClinicError::invalid(
                "body",
                "write something or attach an image",
            ));
        }
        let now = UtcMillis::now();
        let from_doctor = party == super::Party::Doctor;
        let mut tx = self.db.pool().begin().await?;
        let message_id = self
            .insert_message(
                &mut tx,
                id,
                &actor.user_id,
                from_doctor,
                body.as_deref(),
                image.as_ref(),
                now,
            )
            .await?;
        let state = if from_doctor && c.state == super::State::Accepted {
            "in-progress"
        } else {
            c.state.code()
        };
        sqlx::query(
            "UPDATE clinic_consultations SET last_activity_at = $2, state = $3 \
             WHERE id = $1 AND state IN ('accepted', 'in-progress')",
        )
        .bind(id)
        .bind(now.0)
        .bind(state)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.record(
            actor,
            "clinic.message.send",
            "resident",
            &c.resident_id,
            PurposeOfUse::Treatment,
            message_id.as_bytes(),
        )
        .await;
        let (to, zh, en) = if from_doctor {
            (
                c.requested_by.as_str(),
                "医师给您发来新消息",
                "The doctor wrote to you",
            )
        } else {
            (
                c.doctor_id.as_str(),
                "患者发来新消息",
                "The patient wrote to you",
            )
        };
        self.tell(&[to], "clinic.message", zh, en, &super::link(&c.id))
            .await;
        Ok(Message {
            id: message_id,
            author_id: actor.user_id.clone(),
            from_doctor,
            body,
            image_type: image.as_ref().map(|i| i.media_type.clone()),
            image_base64: image
                .as_ref()
                .map(|i| base64::engine::general_purpose::STANDARD.encode(&i.bytes)),
            sent_at: now.0,
        })
    }

    /// The consultation's messages, oldest first, for its parties.
    pub async fn messages(&self, actor: &Principal, id: &str) -> Result<Vec<Message>> {
        let c = self.consultation_row(id).await?;
        let party = self.party(actor, &c).await?;
        self.messages_of(actor, &c, party).await
    }

    /// The messages of a consultation whose party `actor` is known to be; the doctor's reading
    /// goes on the ledger (the patient reads their own).
    pub(crate) async fn messages_of(
        &self,
        actor: &Principal,
        c: &super::Consultation,
        party: Party,
    ) -> Result<Vec<Message>> {
        let rows = sqlx::query(
            "SELECT id, author_id, from_doctor, body, image_type, image, sent_at FROM clinic_messages \
             WHERE consultation_id = $1 ORDER BY sent_at, id",
        )
        .bind(&c.id)
        .fetch_all(self.db.pool())
        .await?;
        if party == Party::Doctor {
            self.record(
                actor,
                "clinic.message.read",
                "resident",
                &c.resident_id,
                PurposeOfUse::Treatment,
                c.id.as_bytes(),
            )
            .await;
        }
        rows.iter()
            .map(|r| {
                Ok(Message {
                    id: r.try_get(0)?,
                    author_id: r.try_get(1)?,
                    from_doctor: r.try_get::<i64, _>(2)? != 0,
                    body: r.try_get(3)?,
                    image_type: r.try_get(4)?,
                    image_base64: r.try_get(5)?,
                    sent_at: r.try_get(6)?,
                })
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_message(
        &self,
        tx: &mut Transaction<'_, Any>,
        consultation_id: &str,
        author_id: &str,
        from_doctor: bool,
        body: Option<&str>,
        image: Option<&Image>,
        now: UtcMillis,
    ) -> Result<String> {
        let id = kernel::Id::new().to_string();
        sqlx::query(
            "INSERT INTO clinic_messages (id, consultation_id, author_id, from_doctor, body, image_type, image, sent_at, retain_until) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(consultation_id)
        .bind(author_id)
        .bind(i64::from(from_doctor))
        .bind(body)
        .bind(image.map(|i| i.media_type.clone()))
        .bind(image.map(|i| base64::engine::general_purpose::STANDARD.encode(&i.bytes)))
        .bind(now.0)
        .bind(years_after(now, self.rules.records.message_years.value))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }
}
