//! The ingest: checks each reading of one or more batches, then stores them in one transaction
//! on the writer — message ids (dedup), accepted readings, their summaries, quarantined
//! readings — and answers for each reading only once that transaction has committed.

use std::collections::HashSet;
use std::fmt::Write as _;

use kernel::UtcMillis;
use serde::Serialize;
use serde_json::json;
use store::sqlx::{self, Row};

use crate::error::DevicesError;
use crate::payload::{Item, Position, RawReading, ShapeError};
use crate::reading::{BoundDevice, ValidReading, Verdict, check};
use crate::rejection::Rejection;
use crate::summary::Aggregator;
use crate::{Devices, now};

/// A value taken into a resident's record, for the callers that act on new readings (alerts,
/// registry measures).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accepted {
    /// The resident.
    pub resident_id: String,
    /// The series it was stored under (`sbp`, `glucose`, …).
    pub series: String,
    /// The disease element whose units and thresholds apply (`sbp`, `fpg`, …).
    pub element: String,
    /// Value in the element's canonical unit.
    pub value: f64,
    /// That unit (UCUM).
    pub unit: String,
    /// When it was measured.
    pub taken_at: UtcMillis,
    /// The device.
    pub device_id: String,
    /// The device's message id.
    pub message_id: String,
}

/// What became of one reading.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Stored (one entry per value: two for blood pressure).
    Accepted(Vec<Accepted>),
    /// The device sent this message id before (or earlier in the batch): stored once.
    Duplicate,
    /// Kept in the quarantine for the doctor.
    Quarantined {
        /// The quarantine entry.
        id: String,
        /// Why.
        rejection: Rejection,
    },
    /// Not a usable reading; nothing stored.
    Invalid(ShapeError),
}

/// One reading's result, in the order of the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadingResult {
    /// Where it was in the batch.
    pub position: Position,
    /// Its message id, when it could be read.
    pub message_id: Option<String>,
    /// What became of it.
    pub outcome: Outcome,
}

/// The results of one batch, in its order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestReport {
    /// One per reading of the batch.
    pub results: Vec<ReadingResult>,
}

impl IngestReport {
    /// Readings stored, duplicates, quarantined and invalid, in that order.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for r in &self.results {
            match r.outcome {
                Outcome::Accepted(_) => c.0 += 1,
                Outcome::Duplicate => c.1 += 1,
                Outcome::Quarantined { .. } => c.2 += 1,
                Outcome::Invalid(_) => c.3 += 1,
            }
        }
        c
    }

    /// Every value stored.
    pub fn accepted(&self) -> impl Iterator<Item = &Accepted> {
        self.results.iter().flat_map(|r| match &r.outcome {
            Outcome::Accepted(values) => values.as_slice(),
            _ => &[],
        })
    }

    /// The answer a sender gets: counts, then one entry per reading. A reading's entry has
    /// `index` (and `line` for NDJSON), `message_id`, `status` (`accepted`, `duplicate`,
    /// `quarantined`, `invalid`) and, unless accepted or duplicate, a `problem` naming the
    /// field, what is wrong (`code`) and a message in both languages.
    pub fn to_json(&self) -> serde_json::Value {
        let (accepted, duplicates, quarantined, invalid) = self.counts();
        let results: Vec<serde_json::Value> = self
            .results
            .iter()
            .map(|r| {
                let mut entry = json!({ "index": r.position.index });
                if let Some(line) = r.position.line {
                    entry["line"] = json!(line);
                }
                if let Some(id) = &r.message_id {
                    entry["message_id"] = json!(id);
                }
                match &r.outcome {
                    Outcome::Accepted(_) => entry["status"] = json!("accepted"),
                    Outcome::Duplicate => entry["status"] = json!("duplicate"),
                    Outcome::Quarantined { id, rejection } => {
                        entry["status"] = json!("quarantined");
                        entry["quarantine_id"] = json!(id);
                        entry["problem"] = json!({
                            "code": rejection.code(),
                            "field": rejection.field(),
                            "message_en": rejection.message(kernel::Lang::En),
                            "message_zh": rejection.message(kernel::Lang::Zh),
                        });
                    }
                    Outcome::Invalid(e) => {
                        entry["status"] = json!("invalid");
                        entry["problem"] = json!({
                            "code": "malformed",
                            "field": e.shape.field(),
                            "message_en": e.shape.to_string(),
                            "message_zh": e.shape.message_zh(),
                        });
                    }
                }
                entry
            })
            .collect();
        json!({
            "accepted": accepted,
            "duplicates": duplicates,
            "quarantined": quarantined,
            "invalid": invalid,
            "results": results,
        })
    }
}

/// One device's parsed batch.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The authenticated, bound device.
    pub device: BoundDevice,
    /// Its readings as parsed.
    pub items: Vec<Item>,
}

/// A reading to store (accepted or quarantined) once its message id proves new.
struct Pending<'a> {
    batch: usize,
    slot: usize,
    raw: &'a RawReading,
    verdict: Result<ValidReading, Rejection>,
}

impl Devices {
    /// Checks and stores one batch; see [`Devices::ingest_all`].
    pub async fn ingest(&self, batch: Batch) -> Result<IngestReport, DevicesError> {
        let mut reports = self.ingest_all(std::slice::from_ref(&batch), now()).await?;
        Ok(reports.pop().unwrap_or_default())
    }

    /// Checks and stores several batches in one transaction (the MQTT subscriber commits
    /// whatever has arrived together), and answers each batch once it has committed. A
    /// database error fails every batch: nothing of them was stored.
    pub async fn ingest_all(
        &self,
        batches: &[Batch],
        now: UtcMillis,
    ) -> Result<Vec<IngestReport>, DevicesError> {
        let mut attempt = 0;
        loop {
            match self.ingest_once(batches, now).await {
                Err(DevicesError::ConcurrentMessages) if attempt < 3 => attempt += 1,
                other => return other,
            }
        }
    }

    async fn ingest_once(
        &self,
        batches: &[Batch],
        now: UtcMillis,
    ) -> Result<Vec<IngestReport>, DevicesError> {
        // Checks first, outside the writer: CPU work of concurrent senders runs in parallel.
        let mut reports: Vec<IngestReport> = Vec::with_capacity(batches.len());
        let mut pending: Vec<Pending> = Vec::new();
        for (b, batch) in batches.iter().enumerate() {
            let mut seen: HashSet<&str> = HashSet::with_capacity(batch.items.len());
            let mut results = Vec::with_capacity(batch.items.len());
            for (position, item) in &batch.items {
                let slot = results.len();
                let raw = match item {
                    Ok(raw) => raw,
                    Err(e) => {
                        results.push(ReadingResult {
                            position: *position,
                            message_id: None,
                            outcome: Outcome::Invalid(e.clone()),
                        });
                        continue;
                    }
                };
                let mut result = ReadingResult {
                    position: *position,
                    message_id: Some(raw.message_id.clone()),
                    outcome: Outcome::Duplicate,
                };
                if seen.insert(&raw.message_id) {
                    match check(self.catalogue, &batch.device, raw, now) {
                        Verdict::Valid(v) => pending.push(Pending {
                            batch: b,
                            slot,
                            raw,
                            verdict: Ok(v),
                        }),
                        Verdict::Rejected(r) => pending.push(Pending {
                            batch: b,
                            slot,
                            raw,
                            verdict: Err(r),
                        }),
                        Verdict::Malformed(shape) => {
                            // Not stored, so the id stays free for a corrected resend.
                            seen.remove(raw.message_id.as_str());
                            result.outcome = Outcome::Invalid(ShapeError {
                                position: *position,
                                shape,
                            });
                        }
                    }
                }
                results.push(result);
            }
            reports.push(IngestReport { results });
        }
        if pending.is_empty() {
            return Ok(reports);
        }

        let mut messages = String::with_capacity(pending.len() * 80);
        messages.push('[');
        for (i, p) in pending.iter().enumerate() {
            if i > 0 {
                messages.push(',');
            }
            push_row(
                &mut messages,
                &[
                    Cell::Text(&batches[p.batch].device.id),
                    Cell::Text(&p.raw.message_id),
                    Cell::Int(now.0),
                ],
            );
        }
        messages.push(']');

        let mut tx = self.db.writer().begin().await?;
        let new = self
            .claim_messages(&mut tx, messages, batches, &pending, now)
            .await?;

        let mut readings: Vec<(&str, &str, i64, &str, &str, f64)> =
            Vec::with_capacity(pending.len());
        let mut summaries = Aggregator::default();
        let mut quarantined = Vec::new();
        for (p, is_new) in pending.iter().zip(new) {
            let device = &batches[p.batch].device;
            if !is_new {
                continue; // stays Duplicate
            }
            let outcome = match &p.verdict {
                Ok(valid) => {
                    let mut accepted = Vec::with_capacity(valid.values.len());
                    for v in &valid.values {
                        readings.push((
                            &device.resident_id,
                            &v.series.key,
                            valid.taken_at.0,
                            &device.id,
                            &valid.message_id,
                            v.value,
                        ));
                        summaries.add(
                            &device.resident_id,
                            &v.series.key,
                            valid.taken_at.0,
                            v.value,
                        );
                        accepted.push(Accepted {
                            resident_id: device.resident_id.clone(),
                            series: v.series.key.clone(),
                            element: v.series.element.key.clone(),
                            value: v.value,
                            unit: v.series.element.unit.clone(),
                            taken_at: valid.taken_at,
                            device_id: device.id.clone(),
                            message_id: valid.message_id.clone(),
                        });
                    }
                    Outcome::Accepted(accepted)
                }
                Err(rejection) => {
                    let id = kernel::Id::new().to_string();
                    quarantined.push((id.clone(), device, p.raw, rejection));
                    Outcome::Quarantined {
                        id,
                        rejection: rejection.clone(),
                    }
                }
            };
            reports[p.batch].results[p.slot].outcome = outcome;
        }
        let mut left = &readings[..];
        while !left.is_empty() {
            let (sql, n) = self.statements.reading_shapes.next(left.len());
            let mut query = sqlx::query(sql);
            for (resident, series, taken_at, device, message, value) in &left[..n] {
                query = query
                    .bind(*resident)
                    .bind(*series)
                    .bind(*taken_at)
                    .bind(*device)
                    .bind(*message)
                    .bind(*value);
            }
            query.execute(&mut *tx).await?;
            left = &left[n..];
        }
        self.upsert_summaries(&mut tx, summaries).await?;
        for (id, device, raw, rejection) in quarantined {
            insert_quarantined(&mut tx, &id, device, raw, rejection, now).await?;
        }
        tx.commit().await?;
        Ok(reports)
    }

    /// Records the message ids of `pending` (whose JSON rows are `messages`) and says which
    /// were new. The common case, all new, costs one INSERT; when some were sent before, the
    /// INSERT is undone and redone for the new ones only, so the answer is exact without
    /// reading back every row inserted.
    async fn claim_messages(
        &self,
        conn: &mut sqlx::AnyConnection,
        messages: String,
        batches: &[Batch],
        pending: &[Pending<'_>],
        now: UtcMillis,
    ) -> Result<Vec<bool>, DevicesError> {
        sqlx::query("SAVEPOINT device_messages")
            .execute(&mut *conn)
            .await?;
        let inserted = sqlx::query(&self.statements.insert_messages)
            .bind(messages)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if inserted as usize == pending.len() {
            sqlx::query("RELEASE SAVEPOINT device_messages")
                .execute(&mut *conn)
                .await?;
            return Ok(vec![true; pending.len()]);
        }
        sqlx::query("ROLLBACK TO SAVEPOINT device_messages")
            .execute(&mut *conn)
            .await?;
        let mut keys = String::from("[");
        for (i, p) in pending.iter().enumerate() {
            if i > 0 {
                keys.push(',');
            }
            push_row(
                &mut keys,
                &[
                    Cell::Text(&batches[p.batch].device.id),
                    Cell::Text(&p.raw.message_id),
                ],
            );
        }
        keys.push(']');
        let rows = sqlx::query(&self.statements.existing_messages)
            .bind(keys)
            .fetch_all(&mut *conn)
            .await?;
        let mut seen: HashSet<(String, String)> = HashSet::with_capacity(rows.len());
        for row in rows {
            seen.insert((row.try_get(0)?, row.try_get(1)?));
        }
        // First use wins: an id sent in two batches of one transaction is new for the first.
        let new: Vec<bool> = pending
            .iter()
            .map(|p| seen.insert((batches[p.batch].device.id.clone(), p.raw.message_id.clone())))
            .collect();
        let mut rows = String::from("[");
        let mut count = 0;
        for (p, _) in pending.iter().zip(&new).filter(|(_, n)| **n) {
            if count > 0 {
                rows.push(',');
            }
            count += 1;
            push_row(
                &mut rows,
                &[
                    Cell::Text(&batches[p.batch].device.id),
                    Cell::Text(&p.raw.message_id),
                    Cell::Int(now.0),
                ],
            );
        }
        rows.push(']');
        if count > 0 {
            let inserted = sqlx::query(&self.statements.insert_messages)
                .bind(rows)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if inserted as usize != count {
                // PostgreSQL: another transaction stored one of these ids meanwhile.
                return Err(DevicesError::ConcurrentMessages);
            }
        }
        sqlx::query("RELEASE SAVEPOINT device_messages")
            .execute(&mut *conn)
            .await?;
        Ok(new)
    }

    pub(crate) async fn upsert_summaries(
        &self,
        conn: &mut sqlx::AnyConnection,
        summaries: Aggregator,
    ) -> Result<(), DevicesError> {
        if summaries.is_empty() {
            return Ok(());
        }
        let mut rows = String::from("[");
        for (i, ((resident, series, period, start), f)) in summaries.into_rows().enumerate() {
            if i > 0 {
                rows.push(',');
            }
            push_row(
                &mut rows,
                &[
                    Cell::Text(&resident),
                    Cell::Text(series),
                    Cell::Text(period.code()),
                    Cell::Int(start),
                    Cell::Int(f.count),
                    Cell::Real(f.min),
                    Cell::Real(f.max),
                    Cell::Real(f.sum),
                ],
            );
        }
        rows.push(']');
        sqlx::query(&self.statements.upsert_summaries)
            .bind(rows)
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// The reading as the device sent it, as stored in the quarantine.
pub(crate) fn reading_json(raw: &RawReading) -> serde_json::Value {
    let mut v = json!({
        "message_id": raw.message_id,
        "measure": raw.measure,
        "unit": raw.unit,
        "taken_at": raw.taken_at.to_rfc3339(),
    });
    for (field, value) in [
        ("value", raw.value),
        ("systolic", raw.systolic),
        ("diastolic", raw.diastolic),
    ] {
        if let Some(x) = value {
            v[field] = json!(x);
        }
    }
    if let Some(r) = &raw.resident_id {
        v["resident_id"] = json!(r);
    }
    v
}

async fn insert_quarantined(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    device: &BoundDevice,
    raw: &RawReading,
    rejection: &Rejection,
    now: UtcMillis,
) -> Result<(), DevicesError> {
    sqlx::query(
        "INSERT INTO device_quarantine (id, device_id, resident_id, message_id, reading, \
         reason_code, reason, received_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open')",
    )
    .bind(id)
    .bind(&device.id)
    .bind(&device.resident_id)
    .bind(&raw.message_id)
    .bind(reading_json(raw).to_string())
    .bind(rejection.code())
    .bind(serde_json::to_string(rejection).unwrap_or_default())
    .bind(now.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// One cell of a JSON row.
pub(crate) enum Cell<'a> {
    Text(&'a str),
    Int(i64),
    Real(f64),
}

/// Appends `[cell, …]` to `out`. Written by hand: this runs for every value ingested, and
/// building `serde_json::Value`s would allocate for each cell.
pub(crate) fn push_row(out: &mut String, cells: &[Cell]) {
    out.push('[');
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match cell {
            Cell::Text(s) => push_json_string(out, s),
            Cell::Int(n) => {
                let _ = write!(out, "{n}");
            }
            // Values are finite (checked); `{:?}` keeps a decimal point or exponent, which
            // both databases read as a real.
            Cell::Real(x) => {
                let _ = write!(out, "{x:?}");
            }
        }
    }
    out.push(']');
}

fn push_json_string(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        // Rare (ids with quotes or control characters): let serde_json escape it.
        out.push_str(&serde_json::Value::from(s).to_string());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_json_arrays_with_escaped_text() {
        let mut out = String::new();
        push_row(
            &mut out,
            &[
                Cell::Text("a\"b\n"),
                Cell::Int(-3),
                Cell::Real(7.0),
                Cell::Text("中文"),
            ],
        );
        assert_eq!(out, r#"["a\"b\n",-3,7.0,"中文"]"#);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed[0], "a\"b\n");
    }
}
