//! The quarantine: readings that failed a check, kept with their reason for the resident's
//! doctor, who accepts one (after correcting it) or discards it, giving a reason either way.

use kernel::UtcMillis;
use store::sqlx::{self, Row, any::AnyRow};

use crate::error::DevicesError;
use crate::feed;
use crate::ingest::{Accepted, Cell, accepted_of, push_row};
use crate::payload::{self, Format, RawReading};
use crate::reading::{BoundDevice, Verdict, check_with};
use crate::rejection::Rejection;
use crate::summary::Aggregator;
use crate::{Devices, now};

/// Where a quarantined reading stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarantineStatus {
    /// Waiting for review.
    Open,
    /// Taken into the record after review.
    Accepted,
    /// Dropped after review.
    Discarded,
}

impl QuarantineStatus {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            QuarantineStatus::Open => "open",
            QuarantineStatus::Accepted => "accepted",
            QuarantineStatus::Discarded => "discarded",
        }
    }

    fn parse(code: &str) -> QuarantineStatus {
        match code {
            "accepted" => QuarantineStatus::Accepted,
            "discarded" => QuarantineStatus::Discarded,
            _ => QuarantineStatus::Open,
        }
    }
}

/// A quarantined reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantined {
    /// Entry id.
    pub id: String,
    /// The device that sent it.
    pub device_id: String,
    /// The resident the device was bound to.
    pub resident_id: String,
    /// The device's message id.
    pub message_id: String,
    /// The reading as sent (JSON object in the ingest format).
    pub reading: serde_json::Value,
    /// Why it was not taken.
    pub rejection: Option<Rejection>,
    /// When it arrived (Unix ms).
    pub received_at: i64,
    /// Open, accepted or discarded.
    pub status: QuarantineStatus,
    /// Who reviewed it.
    pub decided_by: Option<String>,
    /// When (Unix ms).
    pub decided_at: Option<i64>,
    /// The reviewer's reason.
    pub decision_reason: Option<String>,
}

/// What a doctor changes before accepting a reading; `None` keeps the value sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Correction {
    /// The single value.
    pub value: Option<f64>,
    /// Systolic pressure.
    pub systolic: Option<f64>,
    /// Diastolic pressure.
    pub diastolic: Option<f64>,
    /// The unit the values are in.
    pub unit: Option<String>,
    /// When it was measured.
    pub taken_at: Option<UtcMillis>,
}

const SELECT: &str = "SELECT id, device_id, resident_id, message_id, reading, reason, \
     received_at, status, decided_by, decided_at, decision_reason FROM device_quarantine";

fn from_row(row: &AnyRow) -> Result<Quarantined, sqlx::Error> {
    let reading: String = row.try_get(4)?;
    let reason: String = row.try_get(5)?;
    let status: String = row.try_get(7)?;
    Ok(Quarantined {
        id: row.try_get(0)?,
        device_id: row.try_get(1)?,
        resident_id: row.try_get(2)?,
        message_id: row.try_get(3)?,
        reading: serde_json::from_str(&reading).unwrap_or(serde_json::Value::Null),
        rejection: serde_json::from_str(&reason).ok(),
        received_at: row.try_get(6)?,
        status: QuarantineStatus::parse(&status),
        decided_by: row.try_get(8)?,
        decided_at: row.try_get(9)?,
        decision_reason: row.try_get(10)?,
    })
}

fn reason_given(reason: &str) -> Result<(), DevicesError> {
    if reason.trim().is_empty() {
        return Err(DevicesError::Invalid {
            field: "reason",
            problem: "must not be empty: say why the reading is accepted or discarded",
        });
    }
    Ok(())
}

impl Devices {
    /// A resident's quarantined readings with `status` (all if `None`), newest first.
    pub async fn quarantined(
        &self,
        resident_id: &str,
        status: Option<QuarantineStatus>,
    ) -> Result<Vec<Quarantined>, DevicesError> {
        let rows = match status {
            Some(s) => sqlx::query(&format!(
                "{SELECT} WHERE resident_id = $1 AND status = $2 ORDER BY received_at DESC, id DESC"
            ))
            .bind(resident_id)
            .bind(s.code())
            .fetch_all(self.db.pool())
            .await?,
            None => {
                sqlx::query(&format!(
                    "{SELECT} WHERE resident_id = $1 ORDER BY received_at DESC, id DESC"
                ))
                .bind(resident_id)
                .fetch_all(self.db.pool())
                .await?
            }
        };
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// One quarantined reading.
    pub async fn quarantined_reading(&self, id: &str) -> Result<Option<Quarantined>, DevicesError> {
        let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Accepts a quarantined reading with `correction` applied, for the resident the device
    /// was bound to. Every check applies again except the age window: accepting an old
    /// reading is the reviewer's decision. Returns the values stored.
    pub async fn accept_quarantined(
        &self,
        actor_id: &str,
        id: &str,
        correction: &Correction,
        reason: &str,
    ) -> Result<Vec<Accepted>, DevicesError> {
        reason_given(reason)?;
        let entry = self
            .quarantined_reading(id)
            .await?
            .ok_or_else(|| DevicesError::UnknownQuarantined(id.to_owned()))?;
        if entry.status != QuarantineStatus::Open {
            return Err(DevicesError::AlreadyReviewed(id.to_owned()));
        }
        let device = self
            .device(&entry.device_id)
            .await?
            .ok_or_else(|| DevicesError::UnknownDevice(entry.device_id.clone()))?;
        let mut raw = stored_reading(&entry)?;
        raw.resident_id = None;
        if let Some(v) = correction.value {
            raw.value = Some(v);
        }
        if let Some(v) = correction.systolic {
            raw.systolic = Some(v);
        }
        if let Some(v) = correction.diastolic {
            raw.diastolic = Some(v);
        }
        if let Some(u) = &correction.unit {
            raw.unit = u.clone();
        }
        if let Some(t) = correction.taken_at {
            raw.taken_at = t;
        }
        let bound = BoundDevice {
            id: device.id,
            kind: device.kind,
            resident_id: entry.resident_id.clone(),
        };
        let valid = match check_with(self.catalogue, &bound, &raw, now(), false) {
            Verdict::Valid(v) => v,
            Verdict::Rejected(r) => return Err(DevicesError::StillRejected(r)),
            Verdict::Malformed(s) => return Err(DevicesError::StillMalformed(s)),
        };

        let mut tx = self.db.writer().begin().await?;
        let changed = sqlx::query(
            "UPDATE device_quarantine SET status = 'accepted', decided_by = $1, decided_at = $2, \
             decision_reason = $3 WHERE id = $4 AND status = 'open'",
        )
        .bind(actor_id)
        .bind(now().0)
        .bind(reason.trim())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(DevicesError::AlreadyReviewed(id.to_owned()));
        }
        let mut rows = String::from("[");
        let mut summaries = Aggregator::default();
        for (i, v) in valid.values.iter().enumerate() {
            if i > 0 {
                rows.push(',');
            }
            push_row(
                &mut rows,
                &[
                    Cell::Text(&bound.resident_id),
                    Cell::Text(&v.series.key),
                    Cell::Int(valid.taken_at.0),
                    Cell::Text(&bound.id),
                    Cell::Text(&valid.message_id),
                    Cell::Real(v.value),
                ],
            );
            summaries.add(&bound.resident_id, &v.series.key, valid.taken_at.0, v.value);
        }
        rows.push(']');
        sqlx::query(&self.statements.insert_readings)
            .bind(rows)
            .execute(&mut *tx)
            .await?;
        self.upsert_summaries(&mut tx, summaries).await?;
        let accepted = accepted_of(&bound, &valid);
        let mut fed = false;
        if let Some(filter) = &self.feed {
            let taken = feed::select(filter, std::iter::once(accepted.clone()));
            fed = feed::append(&mut tx, &taken, now()).await?;
        }
        tx.commit().await?;
        if fed {
            self.signal_feed();
        }
        Ok(accepted)
    }

    /// Discards a quarantined reading for good.
    pub async fn discard_quarantined(
        &self,
        actor_id: &str,
        id: &str,
        reason: &str,
    ) -> Result<(), DevicesError> {
        reason_given(reason)?;
        let changed = sqlx::query(
            "UPDATE device_quarantine SET status = 'discarded', decided_by = $1, decided_at = $2, \
             decision_reason = $3 WHERE id = $4 AND status = 'open'",
        )
        .bind(actor_id)
        .bind(now().0)
        .bind(reason.trim())
        .bind(id)
        .execute(self.db.writer())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(match self.quarantined_reading(id).await? {
                Some(_) => DevicesError::AlreadyReviewed(id.to_owned()),
                None => DevicesError::UnknownQuarantined(id.to_owned()),
            });
        }
        Ok(())
    }
}

/// The stored reading, read back through the ingest's own parser.
fn stored_reading(entry: &Quarantined) -> Result<RawReading, DevicesError> {
    let text = entry.reading.to_string();
    let limits = payload::Limits {
        max_readings: 1,
        max_message_id_chars: usize::MAX,
    };
    let malformed = |shape| DevicesError::StillMalformed(shape);
    let items = payload::parse(text.as_bytes(), Format::Ndjson, limits)
        .map_err(|_| malformed(payload::Shape::NotAnObject))?;
    match items.into_iter().next() {
        Some((_, Ok(raw))) => Ok(raw),
        Some((_, Err(e))) => Err(malformed(e.shape)),
        None => Err(malformed(payload::Shape::NotAnObject)),
    }
}
