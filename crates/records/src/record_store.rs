//! Reading and writing versioned, encrypted resources and their search indexes.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;
use store::bulk::InsertShapes;
use store::sqlx::{self, Any, Connection as _, Row, Transaction};
use store::{Backend, Db};
use tokio::sync::{Mutex, oneshot};
use vault::Keyring;

use crate::protect::protect;
use crate::{IndexRow, IndexValue, RecordsError, Result};

/// What a [`Write`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// A new resource under a server-assigned id.
    Create,
    /// A new version (or the first, if the id is new). With `if_match`, only if the current
    /// version is that one (optimistic locking, FHIR `If-Match`).
    Update { if_match: Option<i64> },
    /// Marks the resource deleted; its versions stay in the history. Deleting what does not
    /// exist, or is already deleted, changes nothing.
    Delete,
}

/// One change to one resource, prepared by the caller: `body` validated, `index` extracted.
#[derive(Debug, Clone)]
pub struct Write {
    pub kind: WriteKind,
    pub resource_type: String,
    pub id: String,
    /// The resource (for Create and Update); its `id` and `meta.versionId`/`meta.lastUpdated`
    /// are set by the store.
    pub body: Option<Value>,
    /// The id of the Patient whose record this resource belongs to (its compartment), which
    /// access scopes and consent are checked against.
    pub patient_id: Option<String>,
    pub index: Vec<IndexRow>,
}

/// The result of one committed [`Write`].
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub resource_type: String,
    pub id: String,
    /// The new version; for a delete of nothing, 0.
    pub version: i64,
    pub last_updated: i64,
    /// Whether the resource did not exist before (a create, or an update that created).
    pub created: bool,
    /// The stored body with `id` and `meta` set (None for deletes).
    pub body: Option<Value>,
    /// `body` as the JSON text that was sealed and stored, for callers that hash or send it
    /// (serialising a thousand resources twice costs more than keeping the text).
    pub json: Option<String>,
}

/// One stored version of a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub resource_type: String,
    pub id: String,
    pub version: i64,
    pub last_updated: i64,
    pub deleted: bool,
    pub patient_id: Option<String>,
    /// The resource; `Value::Null` for a deletion.
    pub body: Value,
}

/// The organisations and district through which a patient's records are visible to others
/// ([`crate::Visibility::Linked`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientLinks {
    pub patient_id: String,
    pub organisations: Vec<String>,
    pub district: Option<String>,
}

/// Writes of another component that must commit, or not, with a request's records (the
/// registers' enrolments a diagnosis causes): run on the commit's connection, inside the
/// request's savepoint, after its records and links are written.
pub type WithRecords = Box<
    dyn for<'c> FnOnce(
            &'c mut sqlx::AnyConnection,
        ) -> std::pin::Pin<
            Box<
                dyn std::future::Future<
                        Output = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>,
                    > + Send
                    + 'c,
            >,
        > + Send,
>;

/// What a commit writes besides its records.
#[derive(Default)]
pub struct AlsoWrite {
    /// Patients whose links change with the commit (a new Patient is then visible to its
    /// sender exactly when it exists).
    pub links: Vec<PatientLinks>,
    pub then: Option<WithRecords>,
}

const RESOURCE_COLUMNS: &[&str] = &[
    "rid",
    "resource_type",
    "id",
    "version",
    "last_updated",
    "deleted",
    "patient_id",
    "body",
];

/// Most rows in one INSERT statement.
const MAX_ROWS_PER_INSERT: usize = 1024;

/// Prepared INSERT shapes per table.
struct Shapes {
    resources: InsertShapes,
    token: InsertShapes,
    string: InsertShapes,
    date: InsertShapes,
    reference: InsertShapes,
    quantity: InsertShapes,
}

impl Shapes {
    fn new(backend: Backend) -> Self {
        Shapes {
            resources: InsertShapes::new(
                "fhir_resources",
                RESOURCE_COLUMNS,
                MAX_ROWS_PER_INSERT,
                backend,
            ),
            token: InsertShapes::new(
                "fhir_idx_token",
                &["rid", "n", "param", "system", "code"],
                MAX_ROWS_PER_INSERT,
                backend,
            ),
            string: InsertShapes::new(
                "fhir_idx_string",
                &["rid", "n", "param", "value"],
                MAX_ROWS_PER_INSERT,
                backend,
            ),
            date: InsertShapes::new(
                "fhir_idx_date",
                &["rid", "n", "param", "low", "high"],
                MAX_ROWS_PER_INSERT,
                backend,
            ),
            reference: InsertShapes::new(
                "fhir_idx_reference",
                &["rid", "n", "param", "target_type", "target_id"],
                MAX_ROWS_PER_INSERT,
                backend,
            ),
            quantity: InsertShapes::new(
                "fhir_idx_quantity",
                &["rid", "n", "param", "system", "code", "value"],
                MAX_ROWS_PER_INSERT,
                backend,
            ),
        }
    }
}

const INDEX_TABLES: &[&str] = &[
    "fhir_idx_token",
    "fhir_idx_string",
    "fhir_idx_date",
    "fhir_idx_reference",
    "fhir_idx_quantity",
];

/// The record store. Cheap to clone; one per process.
#[derive(Clone)]
pub struct RecordStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    keys: Arc<Keyring>,
    shapes: Shapes,
    /// The next internal row id; holding the lock is being the writer.
    writer: Mutex<i64>,
    /// Commits waiting for the writer. Whoever takes the writer lock commits every waiting
    /// request in one database transaction (group commit): one fsync and one write of each
    /// touched page for many concurrent requests, which is most of a small commit's cost.
    waiting: std::sync::Mutex<Vec<Pending>>,
}

/// A commit request waiting for the writer.
struct Pending {
    steps: Vec<Step>,
    also: AlsoWrite,
    /// The request's time: its versions' `lastUpdated`.
    now: i64,
    reply: oneshot::Sender<Result<Vec<Committed>>>,
}

/// One write of a request. A create is sealed before the writer lock is taken (its version
/// is 1); the others need the current version, which only the writer may read.
enum Step {
    Ready(Sealed),
    Later(Write),
}

/// A write stamped with its version and time, serialised, encrypted and with its personal
/// index values blinded: all of a write but its SQL. This is most of a commit's CPU; done
/// outside the writer lock, concurrent requests do it in parallel.
struct Sealed {
    resource_type: String,
    id: String,
    patient_id: Option<String>,
    version: i64,
    deleted: bool,
    body: Option<Value>,
    json: Option<String>,
    sealed: String,
    index: Vec<IndexRow>,
}

/// A row to insert into `fhir_resources`: a resource that did not exist before.
struct NewRow {
    rid: i64,
    resource_type: String,
    id: String,
    version: i64,
    patient_id: Option<String>,
    body: String,
}

impl RecordStore {
    /// Opens the store on a migrated database.
    pub async fn open(db: Db, keys: Arc<Keyring>) -> Result<Self> {
        let max: Option<i64> = sqlx::query("SELECT MAX(rid) FROM fhir_resources")
            .fetch_one(db.pool())
            .await?
            .try_get(0)?;
        let shapes = Shapes::new(db.backend());
        Ok(RecordStore {
            inner: Arc::new(Inner {
                db,
                keys,
                shapes,
                writer: Mutex::new(max.unwrap_or(0) + 1),
                waiting: std::sync::Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn blind_index(&self) -> &vault::BlindIndex {
        &self.inner.keys.blind_index
    }

    /// Replaces the organisations and district through which a patient's records are
    /// visible to others ([`crate::Visibility::Linked`]).
    pub async fn set_patient_links(&self, links: &PatientLinks) -> Result<()> {
        let mut conn = self.inner.db.writer().acquire().await?;
        let mut tx = conn.begin().await?;
        replace_links(&mut tx, links).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves every resource of the record `from` into the record `to` (a provisional record
    /// whose person a reviewer identified), with its links; returns how many moved.
    pub async fn rekey_patient(&self, from: &str, to: &str) -> Result<u64> {
        let _writer = self.inner.writer.lock().await;
        let mut conn = self.inner.db.writer().acquire().await?;
        let mut tx = conn.begin().await?;
        let moved = sqlx::query("UPDATE fhir_resources SET patient_id = $1 WHERE patient_id = $2")
            .bind(to)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM fhir_patient_links WHERE patient_id = $1")
            .bind(from)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(moved)
    }

    /// Commits `writes` in one transaction: all of them or, on any error, none. Requests
    /// that arrive while another commits are committed together afterwards, each inside a
    /// savepoint of its own, so one request's failure never undoes another's writes.
    pub async fn commit(&self, writes: Vec<Write>) -> Result<Vec<Committed>> {
        self.commit_with(writes, AlsoWrite::default()).await
    }

    /// [`RecordStore::commit`] with `also` in the same transaction.
    pub async fn commit_with(&self, writes: Vec<Write>, also: AlsoWrite) -> Result<Vec<Committed>> {
        let mut seen = HashSet::with_capacity(writes.len());
        for w in &writes {
            if !seen.insert((w.resource_type.as_str(), w.id.as_str())) {
                return Err(RecordsError::DuplicateInBatch {
                    resource_type: w.resource_type.clone(),
                    id: w.id.clone(),
                });
            }
            if w.kind != WriteKind::Delete && !w.body.as_ref().is_some_and(Value::is_object) {
                return Err(RecordsError::NotAnObject);
            }
        }
        drop(seen);

        let now = jiff::Timestamp::now().as_millisecond();
        let steps = writes
            .into_iter()
            .map(|w| match w.kind {
                WriteKind::Create => Step::Ready(self.seal(w, 1, now)),
                _ => Step::Later(w),
            })
            .collect();
        let (reply, mut answer) = oneshot::channel();
        lock(&self.inner.waiting).push(Pending {
            steps,
            also,
            now,
            reply,
        });
        let mut next_rid = self.inner.writer.lock().await;
        // The writer before us may have committed our request with its own; it answered
        // before letting go of the lock.
        if let Ok(done) = answer.try_recv() {
            return done;
        }
        let group = std::mem::take(&mut *lock(&self.inner.waiting));
        self.commit_group(&mut next_rid, group).await;
        answer.await.map_err(|_| RecordsError::Interrupted)?
    }

    /// Commits `group` in one transaction and answers each request.
    async fn commit_group(&self, next_rid: &mut i64, group: Vec<Pending>) {
        let alone = group.len() == 1;
        let mut rid = *next_rid;
        let mut results = Vec::with_capacity(group.len());
        let mut replies = Vec::with_capacity(group.len());
        let outcome: std::result::Result<(), sqlx::Error> = async {
            let mut conn = self.inner.db.writer().acquire().await?;
            let mut tx = conn.begin().await?;
            for request in group {
                replies.push(request.reply);
                if alone {
                    results.push(
                        self.apply(&mut tx, &mut rid, request.now, request.steps, request.also)
                            .await,
                    );
                    continue;
                }
                sqlx::query("SAVEPOINT request").execute(&mut *tx).await?;
                let first_rid = rid;
                let result = self
                    .apply(&mut tx, &mut rid, request.now, request.steps, request.also)
                    .await;
                if result.is_err() {
                    rid = first_rid;
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
                tx.commit().await?;
            }
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                *next_rid = rid;
                for (reply, result) in replies.into_iter().zip(results) {
                    // A caller that stopped waiting is not an error: its writes are committed.
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                let shared = std::sync::Arc::new(e);
                for reply in replies {
                    let _ = reply.send(Err(RecordsError::GroupCommit(shared.clone())));
                }
            }
        }
    }

    /// Writes one request's changes inside the open transaction, assigning new rows ids
    /// from `rid`.
    async fn apply(
        &self,
        tx: &mut Transaction<'_, Any>,
        rid: &mut i64,
        now: i64,
        steps: Vec<Step>,
        also: AlsoWrite,
    ) -> Result<Vec<Committed>> {
        let inner = &*self.inner;
        let mut committed = Vec::with_capacity(steps.len());
        let mut new_rows = Vec::new();
        let mut index_rows: Vec<(i64, IndexRow)> = Vec::new();

        for step in steps {
            let (write, existing) = match step {
                Step::Ready(sealed) => (sealed, None),
                Step::Later(write) => {
                    let existing = current(tx, &write.resource_type, &write.id).await?;
                    if let WriteKind::Update {
                        if_match: Some(expected),
                    } = write.kind
                    {
                        let current_version = existing.map_or(0, |c| c.version);
                        if current_version != expected {
                            return Err(RecordsError::VersionConflict {
                                resource_type: write.resource_type,
                                id: write.id,
                                expected,
                                current: current_version,
                            });
                        }
                    }
                    if write.kind == WriteKind::Delete && existing.is_none_or(|e| e.deleted) {
                        committed.push(Committed {
                            resource_type: write.resource_type,
                            id: write.id,
                            version: existing.map_or(0, |e| e.version),
                            last_updated: now,
                            created: false,
                            body: None,
                            json: None,
                        });
                        continue;
                    }
                    let version = existing.map_or(1, |e| e.version + 1);
                    (self.seal(write, version, now), existing)
                }
            };
            let row_id = match existing {
                Some(e) => {
                    replace(
                        tx,
                        e.rid,
                        write.version,
                        now,
                        write.deleted,
                        write.patient_id.as_deref(),
                        &write.sealed,
                    )
                    .await?;
                    e.rid
                }
                None => {
                    let r = *rid;
                    *rid += 1;
                    new_rows.push(NewRow {
                        rid: r,
                        resource_type: write.resource_type.clone(),
                        id: write.id.clone(),
                        version: write.version,
                        patient_id: write.patient_id,
                        body: write.sealed,
                    });
                    r
                }
            };
            index_rows.extend(write.index.into_iter().map(|row| (row_id, row)));
            committed.push(Committed {
                resource_type: write.resource_type,
                id: write.id,
                version: write.version,
                last_updated: now,
                created: existing.is_none_or(|e| e.deleted),
                body: write.body,
                json: write.json,
            });
        }

        insert_resources(tx, &inner.shapes.resources, &new_rows, now).await?;
        insert_index(tx, &inner.shapes, &index_rows).await?;
        for links in &also.links {
            replace_links(tx, links).await?;
        }
        if let Some(then) = also.then {
            then(tx).await.map_err(RecordsError::AlsoWrite)?;
        }
        Ok(committed)
    }

    /// Stamps, serialises and encrypts `write` as `version` at `now`, and blinds its
    /// personal index values. A deletion keeps no body and no index rows.
    fn seal(&self, write: Write, version: i64, now: i64) -> Sealed {
        let deleted = write.kind == WriteKind::Delete;
        let body = match write.body {
            Some(mut body) if !deleted => {
                stamp(&mut body, &write.id, version, now);
                Some(body)
            }
            _ => None,
        };
        let json = body.as_ref().map(Value::to_string);
        let sealed = match &json {
            Some(json) => self
                .inner
                .keys
                .cipher
                .encrypt(json, &context(&write.resource_type, &write.id, version)),
            None => String::new(),
        };
        let index = if deleted {
            Vec::new()
        } else {
            write
                .index
                .into_iter()
                .flat_map(|row| protect(row, &self.inner.keys.blind_index))
                .collect()
        };
        Sealed {
            resource_type: write.resource_type,
            id: write.id,
            patient_id: write.patient_id,
            version,
            deleted,
            body,
            json,
            sealed,
            index,
        }
    }

    /// The current version of a resource, deleted or not.
    pub async fn read(&self, resource_type: &str, id: &str) -> Result<Stored> {
        let row = sqlx::query(
            "SELECT version, last_updated, deleted, patient_id, body FROM fhir_resources \
             WHERE resource_type = $1 AND id = $2",
        )
        .bind(resource_type)
        .bind(id)
        .fetch_optional(self.inner.db.pool())
        .await?;
        match row {
            Some(row) => self.open_row(resource_type, id, &row),
            None => Err(RecordsError::NotFound {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
            }),
        }
    }

    /// One version of a resource.
    pub async fn vread(&self, resource_type: &str, id: &str, version: i64) -> Result<Stored> {
        let current = self.read(resource_type, id).await?;
        if current.version == version {
            return Ok(current);
        }
        let row = sqlx::query(
            "SELECT h.version, h.last_updated, h.deleted, r.patient_id, h.body \
             FROM fhir_resource_history h JOIN fhir_resources r ON r.rid = h.rid \
             WHERE r.resource_type = $1 AND r.id = $2 AND h.version = $3",
        )
        .bind(resource_type)
        .bind(id)
        .bind(version)
        .fetch_optional(self.inner.db.pool())
        .await?;
        match row {
            Some(row) => self.open_row(resource_type, id, &row),
            None => Err(RecordsError::NotFound {
                resource_type: resource_type.to_owned(),
                id: format!("{id}/_history/{version}"),
            }),
        }
    }

    /// Every version of a resource, newest first.
    pub async fn history(&self, resource_type: &str, id: &str) -> Result<Vec<Stored>> {
        let current = self.read(resource_type, id).await?;
        let rows = sqlx::query(
            "SELECT h.version, h.last_updated, h.deleted, r.patient_id, h.body \
             FROM fhir_resource_history h JOIN fhir_resources r ON r.rid = h.rid \
             WHERE r.resource_type = $1 AND r.id = $2 ORDER BY h.version DESC",
        )
        .bind(resource_type)
        .bind(id)
        .fetch_all(self.inner.db.pool())
        .await?;
        let mut versions = vec![current];
        for row in &rows {
            versions.push(self.open_row(resource_type, id, row)?);
        }
        Ok(versions)
    }

    /// Opens a search result row (columns: type, id, version, last_updated, deleted,
    /// patient_id, body).
    pub(crate) fn open_search_row(
        &self,
        resource_type: &str,
        id: &str,
        row: &sqlx::any::AnyRow,
    ) -> Result<Stored> {
        self.open_columns(resource_type, id, row, 2)
    }

    fn open_row(&self, resource_type: &str, id: &str, row: &sqlx::any::AnyRow) -> Result<Stored> {
        self.open_columns(resource_type, id, row, 0)
    }

    /// Opens the columns version, last_updated, deleted, patient_id, body starting at `first`.
    fn open_columns(
        &self,
        resource_type: &str,
        id: &str,
        row: &sqlx::any::AnyRow,
        first: usize,
    ) -> Result<Stored> {
        let version: i64 = row.try_get(first)?;
        let deleted = row.try_get::<i64, _>(first + 2)? != 0;
        let sealed: String = row.try_get(first + 4)?;
        let unreadable = |reason: String| RecordsError::Unreadable {
            resource_type: resource_type.to_owned(),
            id: id.to_owned(),
            version,
            reason,
        };
        let body = if deleted {
            Value::Null
        } else {
            let text = self
                .inner
                .keys
                .cipher
                .decrypt(&sealed, &context(resource_type, id, version))
                .map_err(|e| unreadable(e.to_string()))?;
            serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?
        };
        Ok(Stored {
            resource_type: resource_type.to_owned(),
            id: id.to_owned(),
            version,
            last_updated: row.try_get(first + 1)?,
            deleted,
            patient_id: row.try_get(first + 3)?,
            body,
        })
    }
}

/// The cipher context that binds a body to its row.
fn context(resource_type: &str, id: &str, version: i64) -> String {
    format!("fhir:{resource_type}/{id}/{version}")
}

/// Sets `id`, `meta.versionId` and `meta.lastUpdated`, as the server owns them.
fn stamp(body: &mut Value, id: &str, version: i64, now: i64) {
    let Some(object) = body.as_object_mut() else {
        return;
    };
    object.insert("id".into(), Value::String(id.to_owned()));
    let meta = object
        .entry("meta")
        .or_insert_with(|| Value::Object(Default::default()));
    if !meta.is_object() {
        *meta = Value::Object(Default::default());
    }
    if let Some(meta) = meta.as_object_mut() {
        meta.insert("versionId".into(), Value::String(version.to_string()));
        let instant = jiff::Timestamp::from_millisecond(now)
            .map(|t| format!("{t:.3}"))
            .unwrap_or_default();
        meta.insert("lastUpdated".into(), Value::String(instant));
    }
}

#[derive(Debug, Clone, Copy)]
struct Current {
    rid: i64,
    version: i64,
    deleted: bool,
}

async fn current(
    tx: &mut Transaction<'_, Any>,
    resource_type: &str,
    id: &str,
) -> Result<Option<Current>> {
    let row = sqlx::query(
        "SELECT rid, version, deleted FROM fhir_resources WHERE resource_type = $1 AND id = $2",
    )
    .bind(resource_type)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(row) => Some(Current {
            rid: row.try_get(0)?,
            version: row.try_get(1)?,
            deleted: row.try_get::<i64, _>(2)? != 0,
        }),
        None => None,
    })
}

/// Replaces a patient's links.
async fn replace_links(tx: &mut Transaction<'_, Any>, links: &PatientLinks) -> Result<()> {
    sqlx::query("DELETE FROM fhir_patient_links WHERE patient_id = $1")
        .bind(&links.patient_id)
        .execute(&mut **tx)
        .await?;
    let rows = links
        .organisations
        .iter()
        .map(|o| ("organisation", o.as_str()))
        .chain(links.district.as_deref().map(|d| ("district", d)));
    for (kind, value) in rows {
        sqlx::query(
            "INSERT INTO fhir_patient_links (patient_id, kind, value) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&links.patient_id)
        .bind(kind)
        .bind(value)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Moves the current version of `rid` to the history and writes the new one in its place.
async fn replace(
    tx: &mut Transaction<'_, Any>,
    rid: i64,
    version: i64,
    now: i64,
    deleted: bool,
    patient_id: Option<&str>,
    body: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO fhir_resource_history (rid, version, last_updated, deleted, body) \
         SELECT rid, version, last_updated, deleted, body FROM fhir_resources WHERE rid = $1",
    )
    .bind(rid)
    .execute(&mut **tx)
    .await?;
    for table in INDEX_TABLES {
        sqlx::query(&format!("DELETE FROM {table} WHERE rid = $1"))
            .bind(rid)
            .execute(&mut **tx)
            .await?;
    }
    let query = if deleted {
        // A deleted resource keeps its compartment, so its history stays in scope.
        sqlx::query(
            "UPDATE fhir_resources SET version = $1, last_updated = $2, deleted = 1, body = $3 \
             WHERE rid = $4",
        )
        .bind(version)
        .bind(now)
        .bind(body)
        .bind(rid)
    } else {
        sqlx::query(
            "UPDATE fhir_resources SET version = $1, last_updated = $2, deleted = 0, \
             patient_id = $3, body = $4 WHERE rid = $5",
        )
        .bind(version)
        .bind(now)
        .bind(patient_id)
        .bind(body)
        .bind(rid)
    };
    query.execute(&mut **tx).await?;
    Ok(())
}

async fn insert_resources(
    tx: &mut Transaction<'_, Any>,
    shapes: &InsertShapes,
    rows: &[NewRow],
    now: i64,
) -> Result<()> {
    insert_chunks(tx, shapes, rows, |q, row| {
        q.bind(row.rid)
            .bind(row.resource_type.as_str())
            .bind(row.id.as_str())
            .bind(row.version)
            .bind(now)
            .bind(0_i64)
            .bind(row.patient_id.as_deref())
            .bind(row.body.as_str())
    })
    .await
}

/// Inserts index rows, grouped by table, in multi-row statements.
async fn insert_index(
    tx: &mut Transaction<'_, Any>,
    shapes: &Shapes,
    rows: &[(i64, IndexRow)],
) -> Result<()> {
    let mut token = Vec::new();
    let mut string = Vec::new();
    let mut date = Vec::new();
    let mut reference = Vec::new();
    let mut quantity = Vec::new();
    // With `rid`, `n` is the key of the SQLite tables: the position in `rows` is unique
    // among a resource's rows (a resource's earlier rows were deleted with its old version).
    for (n, (rid, row)) in (1_i64..).zip(rows) {
        let (rid, param) = ((*rid, n), row.param.as_str());
        match &row.value {
            IndexValue::Token { system, code } => token.push((rid, param, system, code)),
            IndexValue::String(value) => string.push((rid, param, value)),
            IndexValue::Date { low, high } => date.push((rid, param, *low, *high)),
            IndexValue::Reference {
                target_type,
                target_id,
            } => reference.push((rid, param, target_type, target_id)),
            IndexValue::Quantity {
                system,
                code,
                value,
            } => quantity.push((rid, param, system, code, *value)),
        }
    }
    insert_chunks(
        tx,
        &shapes.token,
        &token,
        |q, (rid, param, system, code)| {
            q.bind(rid.0)
                .bind(rid.1)
                .bind(*param)
                .bind(system.as_deref())
                .bind(code.as_str())
        },
    )
    .await?;
    insert_chunks(tx, &shapes.string, &string, |q, (rid, param, value)| {
        q.bind(rid.0).bind(rid.1).bind(*param).bind(value.as_str())
    })
    .await?;
    insert_chunks(tx, &shapes.date, &date, |q, (rid, param, low, high)| {
        q.bind(rid.0)
            .bind(rid.1)
            .bind(*param)
            .bind(*low)
            .bind(*high)
    })
    .await?;
    insert_chunks(
        tx,
        &shapes.reference,
        &reference,
        |q, (rid, param, target_type, target_id)| {
            q.bind(rid.0)
                .bind(rid.1)
                .bind(*param)
                .bind(target_type.as_deref())
                .bind(target_id.as_str())
        },
    )
    .await?;
    insert_chunks(
        tx,
        &shapes.quantity,
        &quantity,
        |q, (rid, param, system, code, value)| {
            q.bind(rid.0)
                .bind(rid.1)
                .bind(*param)
                .bind(system.as_deref())
                .bind(code.as_deref())
                .bind(*value)
        },
    )
    .await
}

type Query<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Inserts `items` with the largest prepared shapes that fit, binding each with `bind`.
async fn insert_chunks<'q, T>(
    tx: &mut Transaction<'_, Any>,
    shapes: &'q InsertShapes,
    items: &'q [T],
    bind: impl Fn(Query<'q>, &'q T) -> Query<'q>,
) -> Result<()> {
    let mut rest = items;
    while !rest.is_empty() {
        let (sql, count) = shapes.next(rest.len());
        let mut query = sqlx::query(sql);
        for item in &rest[..count] {
            query = bind(query, item);
        }
        query.execute(&mut **tx).await?;
        rest = &rest[count..];
    }
    Ok(())
}

/// Locks a std mutex that is only held for a push or a swap, so never across a panic that
/// matters; a poisoned one is used as it is.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
