//! The ingest: checks each reading of one or more batches, then stores them in one transaction
//! on the writer — message ids (dedup), accepted readings, their summaries, quarantined
//! readings — and answers for each reading only once that transaction has committed.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;

use kernel::UtcMillis;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::sqlx::{self, Row};
use tokio::sync::oneshot;

use crate::error::DevicesError;
use crate::feed;
use crate::payload::{Item, Position, RawReading, ShapeError};
use crate::reading::{BoundDevice, ValidReading, Verdict, check};
use crate::rejection::Rejection;
use crate::summary::{Aggregator, Period};
use crate::{Devices, now};

/// A value taken into a resident's record, for the callers that act on new readings (alerts,
/// registry measures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub fn answer(&self) -> BatchAnswer<'_> {
        let (accepted, duplicates, quarantined, invalid) = self.counts();
        BatchAnswer {
            accepted,
            duplicates,
            quarantined,
            invalid,
            results: self.results.iter().map(ResultEntry::of).collect(),
        }
    }

    /// [`IngestReport::answer`] as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.answer()).unwrap_or_default()
    }
}

/// The answer to a batch (see [`IngestReport::answer`]), serialised straight from the report:
/// a batch of thousands of readings is answered without building a JSON tree first.
#[derive(Debug, Serialize)]
pub struct BatchAnswer<'a> {
    pub accepted: usize,
    pub duplicates: usize,
    pub quarantined: usize,
    pub invalid: usize,
    pub results: Vec<ResultEntry<'a>>,
}

/// One reading's entry in a [`BatchAnswer`].
#[derive(Debug, Serialize)]
pub struct ResultEntry<'a> {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<&'a str>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<EntryProblem<'a>>,
}

/// Why a reading was quarantined or refused: the field, a code, a message in each language.
#[derive(Debug, Serialize)]
pub struct EntryProblem<'a> {
    pub code: &'static str,
    /// `null` when the reading is not an object at all.
    pub field: Option<&'a str>,
    pub message_en: String,
    pub message_zh: String,
}

impl<'a> ResultEntry<'a> {
    fn of(r: &'a ReadingResult) -> ResultEntry<'a> {
        let (status, quarantine_id, problem) = match &r.outcome {
            Outcome::Accepted(_) => ("accepted", None, None),
            Outcome::Duplicate => ("duplicate", None, None),
            Outcome::Quarantined { id, rejection } => (
                "quarantined",
                Some(id.as_str()),
                Some(EntryProblem {
                    code: rejection.code(),
                    field: Some(rejection.field()),
                    message_en: rejection.message(kernel::Lang::En),
                    message_zh: rejection.message(kernel::Lang::Zh),
                }),
            ),
            Outcome::Invalid(e) => (
                "invalid",
                None,
                Some(EntryProblem {
                    code: "malformed",
                    field: e.shape.field(),
                    message_en: e.shape.to_string(),
                    message_zh: e.shape.message_zh(),
                }),
            ),
        };
        ResultEntry {
            index: r.position.index,
            line: r.position.line,
            message_id: r.message_id.as_deref(),
            status,
            quarantine_id,
            problem,
        }
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

/// The values of a valid reading as taken into the record.
pub(crate) fn accepted_of(device: &BoundDevice, valid: &ValidReading) -> Vec<Accepted> {
    valid
        .values
        .iter()
        .map(|v| Accepted {
            resident_id: device.resident_id.clone(),
            series: v.series.key.clone(),
            element: v.series.element.key.clone(),
            value: v.value,
            unit: v.series.element.unit.clone(),
            taken_at: valid.taken_at,
            device_id: device.id.clone(),
            message_id: valid.message_id.clone(),
        })
        .collect()
}

/// The accepted readings a group commit stored (new, of the requests that did not fail),
/// one reading's values each.
fn new_accepted<'a>(
    group: &'a [Request],
    results: &'a [Result<Vec<bool>, DevicesError>],
) -> impl Iterator<Item = Vec<Accepted>> + 'a {
    group
        .iter()
        .zip(results)
        .filter_map(|(request, result)| result.as_ref().ok().map(|new| (request, new)))
        .flat_map(|(request, new)| {
            request
                .pending
                .iter()
                .zip(new)
                .filter(|(_, is_new)| **is_new)
                .filter_map(move |(p, _)| match &p.write {
                    Write::Accept(valid) => Some(accepted_of(&request.devices[p.batch], valid)),
                    Write::Quarantine { .. } => None,
                })
        })
}

/// A reading to store (accepted or quarantined) once its message id proves new. Owned: the
/// writer that commits it may be another request's task (group commit).
struct Pending {
    batch: usize,
    slot: usize,
    write: Write,
}

enum Write {
    Accept(ValidReading),
    Quarantine {
        id: String,
        message_id: String,
        reading: String,
        rejection: Rejection,
    },
}

impl Pending {
    fn message_id(&self) -> &str {
        match &self.write {
            Write::Accept(v) => &v.message_id,
            Write::Quarantine { message_id, .. } => message_id,
        }
    }
}

/// One caller's checked readings, waiting for the writer.
struct Request {
    devices: Vec<BoundDevice>,
    pending: Vec<Pending>,
    now: UtcMillis,
    reply: oneshot::Sender<Answer>,
}

/// A request back to its caller: its readings, and which were new, once committed.
struct Answer {
    pending: Vec<Pending>,
    new: Result<Vec<bool>, DevicesError>,
}

/// Group commit of the ingest (ADR 0008, applied to readings): callers queue their checked
/// readings; whoever takes the writer's turn commits every request waiting, each inside its
/// own savepoint, in one transaction, and answers each after the COMMIT. One fsync serves
/// every batch that arrived while the previous commit ran. Shared by every clone of the
/// service.
#[derive(Default)]
pub(crate) struct CommitQueue {
    waiting: std::sync::Mutex<Vec<Request>>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl CommitQueue {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<Request>> {
        // A panic while pushing or taking leaves the list whole.
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Devices {
    /// Checks and stores one batch; see [`Devices::ingest_all`].
    pub async fn ingest(&self, batch: Batch) -> Result<IngestReport, DevicesError> {
        let mut reports = self.ingest_all(std::slice::from_ref(&batch), now()).await?;
        Ok(reports.pop().unwrap_or_default())
    }

    /// Checks and stores several batches in one transaction (the MQTT subscriber commits
    /// whatever has arrived together), and answers each batch once it has committed. A
    /// database error fails every batch: nothing of them was stored. Batches of concurrent
    /// callers share a commit (see `CommitQueue`).
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
                    let write = match check(self.catalogue, &batch.device, raw, now) {
                        Verdict::Valid(v) => Some(Write::Accept(v)),
                        Verdict::Rejected(rejection) => Some(Write::Quarantine {
                            id: kernel::Id::new().to_string(),
                            message_id: raw.message_id.clone(),
                            reading: reading_json(raw).to_string(),
                            rejection,
                        }),
                        Verdict::Malformed(shape) => {
                            // Not stored, so the id stays free for a corrected resend.
                            seen.remove(raw.message_id.as_str());
                            result.outcome = Outcome::Invalid(ShapeError {
                                position: *position,
                                shape,
                            });
                            None
                        }
                    };
                    if let Some(write) = write {
                        pending.push(Pending {
                            batch: b,
                            slot,
                            write,
                        });
                    }
                }
                results.push(result);
            }
            reports.push(IngestReport { results });
        }
        if pending.is_empty() {
            return Ok(reports);
        }

        let devices = batches.iter().map(|b| b.device.clone()).collect();
        let Answer { pending, new } = self.commit_queued(devices, pending, now).await;
        for (p, is_new) in pending.into_iter().zip(new?) {
            if !is_new {
                continue; // stays Duplicate
            }
            let device = &batches[p.batch].device;
            let outcome = match p.write {
                Write::Accept(valid) => Outcome::Accepted(accepted_of(device, &valid)),
                Write::Quarantine { id, rejection, .. } => Outcome::Quarantined { id, rejection },
            };
            reports[p.batch].results[p.slot].outcome = outcome;
        }
        Ok(reports)
    }

    /// Queues one request and returns once a commit has taken it, committing the queue itself
    /// when it gets the writer's turn first.
    async fn commit_queued(
        &self,
        devices: Vec<BoundDevice>,
        pending: Vec<Pending>,
        now: UtcMillis,
    ) -> Answer {
        let queue = &self.statements.commits;
        let (reply, mut answer) = oneshot::channel();
        queue.waiting().push(Request {
            devices,
            pending,
            now,
            reply,
        });
        let turn = queue.turn.clone().lock_owned().await;
        // The writer before us may have committed our request with its own; it answered
        // before giving up the turn.
        if let Ok(done) = answer.try_recv() {
            return done;
        }
        let group = std::mem::take(&mut *queue.waiting());
        // In a task of its own: a caller that stops waiting (a closed HTTP connection) must
        // not abandon the other requests of its group halfway.
        let this = self.clone();
        tokio::spawn(async move {
            this.commit_group(group).await;
            drop(turn);
        });
        match answer.await {
            Ok(done) => done,
            // The commit's task panicked; its requests' fate is unknown, so say so.
            Err(_) => Answer {
                pending: Vec::new(),
                new: Err(DevicesError::Database(sqlx::Error::WorkerCrashed)),
            },
        }
    }

    /// Commits `group` in one transaction, each request inside its own savepoint, and answers
    /// each. A request that fails rolls back to its savepoint and fails alone; if the COMMIT
    /// fails, every request gets the error.
    async fn commit_group(&self, group: Vec<Request>) {
        let alone = group.len() == 1;
        let mut results: Vec<Result<Vec<bool>, DevicesError>> = Vec::with_capacity(group.len());
        let mut fed = false;
        let outcome: Result<(), sqlx::Error> = async {
            let mut tx = self.db.writer().begin().await?;
            for request in &group {
                if alone {
                    results.push(self.write_request(&mut tx, request).await);
                    continue;
                }
                sqlx::query("SAVEPOINT request").execute(&mut *tx).await?;
                let result = self.write_request(&mut tx, request).await;
                if result.is_err() {
                    sqlx::query("ROLLBACK TO SAVEPOINT request")
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("RELEASE SAVEPOINT request")
                    .execute(&mut *tx)
                    .await?;
                results.push(result);
            }
            if results.iter().any(Result::is_ok) {
                if let Some(filter) = &self.feed {
                    let taken = feed::select(filter, new_accepted(&group, &results));
                    match feed::append(&mut tx, &taken, group[0].now).await {
                        Ok(added) => fed = added,
                        Err(e) => return Err(sqlx::Error::Protocol(e.to_string())),
                    }
                }
                tx.commit().await?;
            }
            Ok(())
        }
        .await;
        if fed && outcome.is_ok() {
            self.signal_feed();
        }
        match outcome {
            Ok(()) => {
                for (request, new) in group.into_iter().zip(results) {
                    // A caller that stopped waiting is not an error: its readings are stored.
                    let _ = request.reply.send(Answer {
                        pending: request.pending,
                        new,
                    });
                }
            }
            Err(e) => {
                let message = e.to_string();
                for request in group {
                    let _ = request.reply.send(Answer {
                        pending: request.pending,
                        new: Err(DevicesError::Database(sqlx::Error::Protocol(format!(
                            "the group commit of device readings failed: {message}"
                        )))),
                    });
                }
            }
        }
    }

    /// Writes one request inside the open transaction: message ids, then the new readings,
    /// their summaries and the new quarantined readings. Says which readings were new.
    async fn write_request(
        &self,
        conn: &mut sqlx::AnyConnection,
        request: &Request,
    ) -> Result<Vec<bool>, DevicesError> {
        let Request {
            devices,
            pending,
            now,
            ..
        } = request;
        let new = self.claim_messages(conn, devices, pending, *now).await?;

        // Batch (so device), series, time, message id, value.
        let mut readings: Vec<(usize, &str, i64, &str, f64)> = Vec::with_capacity(pending.len());
        let mut summaries = Aggregator::default();
        for (p, _) in pending.iter().zip(&new).filter(|(_, n)| **n) {
            let device = &devices[p.batch];
            match &p.write {
                Write::Accept(valid) => {
                    for v in &valid.values {
                        readings.push((
                            p.batch,
                            &v.series.key,
                            valid.taken_at.0,
                            &valid.message_id,
                            v.value,
                        ));
                        summaries.add(
                            &device.resident_id,
                            &v.series.key,
                            valid.taken_at.0,
                            v.value,
                        );
                    }
                }
                Write::Quarantine {
                    id,
                    message_id,
                    reading,
                    rejection,
                } => {
                    let row = QuarantineRow {
                        id,
                        device,
                        message_id,
                        reading,
                        rejection,
                    };
                    insert_quarantined(&mut *conn, row, *now).await?;
                }
            }
        }
        for run in readings.chunk_by(|a, b| a.0 == b.0) {
            let device = &devices[run[0].0];
            let shapes = &self.statements.reading_shapes;
            for chunk in run.chunks(shapes.most()) {
                let (sql, rows) = shapes.fitting(chunk.len());
                let mut query = sqlx::query(sql);
                for (_, series, taken_at, message, value) in chunk {
                    query = query
                        .bind(*series)
                        .bind(*taken_at)
                        .bind(*message)
                        .bind(*value);
                }
                // Rows to skip: the series NULL. The numbers are bound as numbers, not NULL:
                // sqlx's `Any` sends a NULL f64 to PostgreSQL as a float4, and the statement
                // prepared with that type would refuse a real value in that place later.
                for _ in chunk.len()..rows {
                    query = query
                        .bind(None::<&str>)
                        .bind(0_i64)
                        .bind(None::<&str>)
                        .bind(0.0_f64);
                }
                query
                    .bind(device.resident_id.as_str())
                    .bind(device.id.as_str())
                    .execute(&mut *conn)
                    .await?;
            }
        }
        self.upsert_summaries(conn, summaries).await?;
        Ok(new)
    }

    /// Records the message ids of `pending` and says which were new. The common case, all
    /// new, costs one INSERT a device; when some were sent before, the INSERTs are undone and
    /// redone for the new ones only, so the answer is exact without reading back every row.
    async fn claim_messages(
        &self,
        conn: &mut sqlx::AnyConnection,
        devices: &[BoundDevice],
        pending: &[Pending],
        now: UtcMillis,
    ) -> Result<Vec<bool>, DevicesError> {
        let all = vec![true; pending.len()];
        let statements = &self.statements;
        sqlx::query("SAVEPOINT device_messages")
            .execute(&mut *conn)
            .await?;
        match insert_messages(
            conn,
            &statements.insert_new_messages,
            devices,
            pending,
            &all,
            now,
        )
        .await
        {
            Ok(_) => {
                sqlx::query("RELEASE SAVEPOINT device_messages")
                    .execute(&mut *conn)
                    .await?;
                return Ok(all);
            }
            Err(e) if store::is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        sqlx::query("ROLLBACK TO SAVEPOINT device_messages")
            .execute(&mut *conn)
            .await?;
        let mut seen: HashSet<(&str, String)> = HashSet::new();
        for (device, ids) in message_ids(devices, pending, &all) {
            let rows = sqlx::query(&self.statements.existing_messages)
                .bind(device)
                .bind(ids)
                .fetch_all(&mut *conn)
                .await?;
            for row in rows {
                seen.insert((device, row.try_get(0)?));
            }
        }
        // First use wins: an id sent in two batches of one transaction is new for the first.
        let new: Vec<bool> = pending
            .iter()
            .map(|p| seen.insert((devices[p.batch].id.as_str(), p.message_id().to_owned())))
            .collect();
        let count = new.iter().filter(|n| **n).count();
        if insert_messages(
            conn,
            &statements.insert_messages,
            devices,
            pending,
            &new,
            now,
        )
        .await?
            != count
        {
            // PostgreSQL: another transaction stored one of these ids meanwhile.
            return Err(DevicesError::ConcurrentMessages);
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
        let now = crate::now().0;
        let mut rows = String::from("[");
        let mut days = String::from("[");
        for (i, ((resident, series, period, start), f)) in summaries.into_rows().enumerate() {
            if i > 0 {
                rows.push(',');
            }
            if period == Period::Day && self.recorded_series(series) {
                if days.len() > 1 {
                    days.push(',');
                }
                push_row(
                    &mut days,
                    &[
                        Cell::Text(&resident),
                        Cell::Text(series),
                        Cell::Int(start),
                        Cell::Int(now),
                    ],
                );
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
            .execute(&mut *conn)
            .await?;
        if days.len() > 1 {
            days.push(']');
            sqlx::query(&self.statements.mark_days_changed)
                .bind(days)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Whether a series' daily summaries go into the resident's record.
    fn recorded_series(&self, key: &str) -> bool {
        self.catalogue
            .measures
            .iter()
            .flat_map(|m| &m.series)
            .any(|s| s.key == key && s.record_loinc().is_some())
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

/// A quarantined reading as stored.
struct QuarantineRow<'a> {
    id: &'a str,
    device: &'a BoundDevice,
    message_id: &'a str,
    /// The reading as sent ([`reading_json`]).
    reading: &'a str,
    rejection: &'a Rejection,
}

async fn insert_quarantined(
    conn: &mut sqlx::AnyConnection,
    row: QuarantineRow<'_>,
    now: UtcMillis,
) -> Result<(), DevicesError> {
    let QuarantineRow {
        id,
        device,
        message_id,
        reading,
        rejection,
    } = row;
    sqlx::query(
        "INSERT INTO device_quarantine (id, device_id, resident_id, message_id, reading, \
         reason_code, reason, received_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open')",
    )
    .bind(id)
    .bind(&device.id)
    .bind(&device.resident_id)
    .bind(message_id)
    .bind(reading)
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

/// Inserts the message ids of `pending` marked in `take` with `sql` (one of the
/// `Statements::insert_*messages`), one statement a device; says how many were stored.
async fn insert_messages(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    devices: &[BoundDevice],
    pending: &[Pending],
    take: &[bool],
    now: UtcMillis,
) -> Result<usize, sqlx::Error> {
    let mut inserted = 0;
    for (device, ids) in message_ids(devices, pending, take) {
        inserted += sqlx::query(sql)
            .bind(device)
            .bind(now.0)
            .bind(ids)
            .execute(&mut *conn)
            .await?
            .rows_affected() as usize;
    }
    Ok(inserted)
}

/// The message ids of `pending` marked in `take`, a JSON array of strings for each run of one
/// batch (one device). A flat array, because SQLite reads its elements straight from
/// `json_each`, where each `->>` into a row array would parse the row again (ADR 0010).
fn message_ids<'a>(
    devices: &'a [BoundDevice],
    pending: &[Pending],
    take: &[bool],
) -> Vec<(&'a str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    let mut batch = None;
    for (p, _) in pending.iter().zip(take).filter(|(_, t)| **t) {
        if batch != Some(p.batch) {
            batch = Some(p.batch);
            out.push((&devices[p.batch].id, String::from("[")));
        }
        if let Some((_, ids)) = out.last_mut() {
            if ids.len() > 1 {
                ids.push(',');
            }
            push_json_string(ids, p.message_id());
        }
    }
    for (_, ids) in &mut out {
        ids.push(']');
    }
    out
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
