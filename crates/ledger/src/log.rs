//! The persistent log: one writer task commits batches of events (group commit), each batch
//! with a new signed tree head in the same transaction; readers answer tree heads, entries and
//! proofs from the in-memory tree and the database.

use std::fmt;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use store::Db;
use store::bulk::InsertShapes;
use store::sqlx::pool::PoolConnection;
use store::sqlx::{self, Any, Connection as _, Row};
use tokio::sync::{mpsc, oneshot};

use crate::audit::AuditEvent;
use crate::error::{LedgerError, Result};
use crate::merkle::{
    Hash, MerkleTree, empty_root, leaf_hash, verify_consistency, verify_inclusion,
};
use crate::verify::{VerifyReport, verify_inner};

/// Columns of one `ledger_entries` row, in INSERT order.
const ENTRY_COLUMNS: &[&str] = &[
    "seq",
    "leaf_hash",
    "data",
    "appended_at",
    "actor",
    "organisation",
    "action",
    "subject_type",
    "subject_id",
    "purpose",
];
/// Rows fetched per query when loading the tree at start.
const LOAD_PAGE: i64 = 50_000;

/// Tuning of the writer. The defaults suit the platform; tests use smaller batches.
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// Most events committed in one transaction.
    pub max_batch: usize,
    /// Events that may wait for the writer; further callers wait for room (back-pressure), so
    /// memory stays bounded however many requests arrive.
    pub queue_capacity: usize,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        Self {
            max_batch: 2_000,
            queue_capacity: 8_192,
        }
    }
}

/// What [`Ledger::record`] returns once the event is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The entry's position in the log, from 0.
    pub seq: u64,
    /// Its leaf hash, `SHA-256(0x00 || data)`.
    pub leaf_hash: Hash,
    /// The size of the first signed tree that contains it.
    pub tree_size: u64,
}

/// A tree head signed with the ledger's Ed25519 key.
///
/// The signature covers [`tree_head_message`]. Anyone who keeps a tree head can later demand a
/// consistency proof from it to any newer head, so the log cannot rewrite or drop what the
/// head covered without being caught.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTreeHead {
    /// The number of entries the tree covers.
    pub tree_size: u64,
    /// When it was signed, Unix milliseconds UTC.
    pub timestamp: i64,
    /// The Merkle Tree Hash of the first `tree_size` entries.
    pub root_hash: Hash,
    /// Ed25519 signature over [`tree_head_message`], base64 in JSON.
    #[serde(with = "signature_base64")]
    pub signature: [u8; 64],
}

/// Domain separation for tree head signatures; a new layout gets a new tag.
pub const TREE_HEAD_TAG: &[u8] = b"lifehealth-sth-v1";

/// The exact bytes a tree head signature covers (57 bytes):
///
/// ```text
/// "lifehealth-sth-v1"          17 bytes ASCII
/// tree_size                    8 bytes, unsigned big-endian
/// timestamp (Unix ms, UTC)     8 bytes, big-endian (never negative, so signed = unsigned)
/// root_hash                    32 bytes
/// ```
pub fn tree_head_message(tree_size: u64, timestamp: i64, root_hash: &Hash) -> Vec<u8> {
    let mut message = Vec::with_capacity(TREE_HEAD_TAG.len() + 8 + 8 + 32);
    message.extend_from_slice(TREE_HEAD_TAG);
    message.extend_from_slice(&tree_size.to_be_bytes());
    message.extend_from_slice(&timestamp.to_be_bytes());
    message.extend_from_slice(root_hash.as_bytes());
    message
}

impl SignedTreeHead {
    pub(crate) fn sign(key: &SigningKey, tree_size: u64, timestamp: i64, root_hash: Hash) -> Self {
        let signature = key.sign(&tree_head_message(tree_size, timestamp, &root_hash));
        SignedTreeHead {
            tree_size,
            timestamp,
            root_hash,
            signature: signature.to_bytes(),
        }
    }

    /// The bytes the signature covers.
    pub fn message(&self) -> Vec<u8> {
        tree_head_message(self.tree_size, self.timestamp, &self.root_hash)
    }

    /// True when the signature is a valid (strict) Ed25519 signature of `key` over
    /// [`SignedTreeHead::message`].
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(&self.signature);
        key.verify_strict(&self.message(), &signature).is_ok()
    }
}

mod signature_base64 {
    use super::BASE64;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = BASE64.decode(text).map_err(serde::de::Error::custom)?;
        <[u8; 64]>::try_from(bytes.as_slice())
            .map_err(|_| serde::de::Error::custom("an Ed25519 signature is 64 bytes"))
    }
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the log, from 0.
    pub seq: u64,
    /// `SHA-256(0x00 || data)`.
    pub leaf_hash: Hash,
    /// When the writer committed it, Unix milliseconds UTC.
    pub appended_at: i64,
    /// The event, as read back from `data`.
    pub event: AuditEvent,
    /// The exact bytes that were hashed: RFC 8785 canonical JSON of the entry (see crate docs).
    pub data: String,
}

/// RFC 9162 inclusion proof of one entry in a tree of a given size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The entry's seq.
    pub leaf_index: u64,
    /// The size of the tree the proof is for.
    pub tree_size: u64,
    /// The entry's leaf hash.
    pub leaf_hash: Hash,
    /// From the leaf's sibling up to the root's child.
    pub audit_path: Vec<Hash>,
}

impl InclusionProof {
    /// True when the proof shows the leaf in the tree whose root is `root` (RFC 9162 §2.1.3.2).
    pub fn verify(&self, root: &Hash) -> bool {
        verify_inclusion(
            self.leaf_index,
            self.tree_size,
            &self.leaf_hash,
            &self.audit_path,
            root,
        )
    }
}

/// RFC 9162 consistency proof: the tree of `first` entries is a prefix of that of `second`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The older, smaller tree size.
    pub first: u64,
    /// The newer tree size.
    pub second: u64,
    /// RFC 9162 `PROOF(first, D[second])`; empty when `first` is 0 or equals `second`.
    pub consistency_path: Vec<Hash>,
}

impl ConsistencyProof {
    /// True when the proof links the two roots (RFC 9162 §2.1.4.2).
    pub fn verify(&self, first_root: &Hash, second_root: &Hash) -> bool {
        verify_consistency(
            self.first,
            self.second,
            first_root,
            second_root,
            &self.consistency_path,
        )
    }
}

/// The leaf's data: every field of the event plus its position and commit time, keys in
/// lexicographic order so that `serde_json`'s compact output is RFC 8785 canonical JSON (all
/// numbers are integers below 2^53; strings are escaped as JCS requires).
#[derive(Serialize)]
struct LeafRecordRef<'a> {
    action: &'a str,
    actor: &'a str,
    appended_at: i64,
    at: i64,
    data_hash: &'a str,
    organisation: Option<&'a str>,
    purpose: crate::PurposeOfUse,
    seq: u64,
    subject_id: &'a str,
    subject_type: &'a str,
    v: u32,
}

/// [`LeafRecordRef`] read back.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LeafRecord {
    pub action: String,
    pub actor: String,
    pub appended_at: i64,
    pub at: i64,
    pub data_hash: String,
    pub organisation: Option<String>,
    pub purpose: crate::PurposeOfUse,
    pub seq: u64,
    pub subject_id: String,
    pub subject_type: String,
    pub v: u32,
}

/// Version of the leaf data layout (`v` in the JSON).
const LEAF_VERSION: u32 = 1;

impl LeafRecord {
    pub(crate) fn parse(data: &str) -> std::result::Result<LeafRecord, serde_json::Error> {
        let record: LeafRecord = serde_json::from_str(data)?;
        if record.v != LEAF_VERSION {
            return Err(<serde_json::Error as serde::de::Error>::custom(format!(
                "unknown leaf data version {}",
                record.v
            )));
        }
        Ok(record)
    }

    pub(crate) fn into_event(self) -> AuditEvent {
        AuditEvent {
            actor: self.actor,
            organisation: self.organisation,
            action: self.action,
            subject_type: self.subject_type,
            subject_id: self.subject_id,
            purpose: self.purpose,
            at: self.at,
            data_hash: self.data_hash,
        }
    }
}

/// The canonical JSON stored in `data` and hashed into the leaf.
fn leaf_data(seq: u64, appended_at: i64, event: &AuditEvent) -> Result<String> {
    let record = LeafRecordRef {
        action: &event.action,
        actor: &event.actor,
        appended_at,
        at: event.at,
        data_hash: &event.data_hash,
        organisation: event.organisation.as_deref(),
        purpose: event.purpose,
        seq,
        subject_id: &event.subject_id,
        subject_type: &event.subject_type,
        v: LEAF_VERSION,
    };
    serde_json::to_string(&record).map_err(|e| LedgerError::Corrupt(format!("cannot encode: {e}")))
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(crate) fn to_i64(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| LedgerError::Corrupt(format!("{value} exceeds 2^63")))
}

pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64> {
    u64::try_from(value).map_err(|_| LedgerError::Corrupt(format!("{what} is negative ({value})")))
}

/// Locks are held for microseconds and never across an await; a panic while holding one
/// leaves data that is still valid (each write is a single push/truncate/assignment), so a
/// poisoned lock is used as is rather than failing every later call.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Shared {
    db: Db,
    public_key: VerifyingKey,
    /// Every committed leaf, plus (only while a batch is being committed) that batch's leaves;
    /// readers stay within `head.tree_size`, so they never see uncommitted leaves.
    tree: RwLock<MerkleTree>,
    /// The newest committed signed tree head.
    head: RwLock<SignedTreeHead>,
}

struct Request {
    event: AuditEvent,
    reply: oneshot::Sender<Result<Receipt>>,
}

/// The audit ledger. Cheap to clone: every clone shares one writer task and one in-memory tree.
#[derive(Clone)]
pub struct Ledger {
    sender: mpsc::Sender<Request>,
    shared: Arc<Shared>,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("tree_size", &self.tree_size())
            .field("db", &self.shared.db.display_url())
            .finish()
    }
}

impl Ledger {
    /// Opens the ledger in `db` (creating its tables if needed) with the default options.
    /// See [`Ledger::open_with`].
    pub async fn open(db: Db, signing_key: SigningKey) -> Result<Ledger> {
        Self::open_with(db, signing_key, LedgerOptions::default()).await
    }

    /// Opens the ledger: loads every leaf hash into memory, checks the result against the
    /// latest signed tree head, and starts the writer task (so it must run inside a Tokio
    /// runtime). An empty log gets a signed head of size 0.
    ///
    /// Refuses ([`LedgerError::Corrupt`]) a log whose entries have a gap, do not match the
    /// latest tree head, or whose head does not verify under `signing_key`: appending to it
    /// would sign over the damage. Run [`crate::verify`] to locate it.
    ///
    /// Several processes may write one ledger database (the platform and its command line):
    /// a writer whose append collides with another's adopts the other's entries, checked
    /// against their signed tree head, and appends after them.
    pub async fn open_with(
        db: Db,
        signing_key: SigningKey,
        options: LedgerOptions,
    ) -> Result<Ledger> {
        db.migrate(&[crate::migrations()]).await?;
        let public_key = signing_key.verifying_key();
        let mut tree = MerkleTree::new();
        load_leaves(&db, &mut tree, None).await?;
        // Entries and their tree head commit together, so every entry read above has its head
        // visible now. A head beyond them is another process's batch that committed in
        // between (the command line opening beside a running platform): its entries are
        // visible too, and are read before the sizes are compared.
        let head = match latest_stored_head(&db).await? {
            Some(head) => head,
            None if tree.is_empty() => {
                let head = SignedTreeHead::sign(&signing_key, 0, now_ms(), empty_root());
                insert_head(&db, &head).await?;
                head
            }
            None => {
                return Err(LedgerError::Corrupt(format!(
                    "the log holds {} entries but no signed tree head",
                    tree.len()
                )));
            }
        };
        if head.tree_size > tree.len() {
            load_leaves(&db, &mut tree, Some(head.tree_size)).await?;
        }
        if head.tree_size != tree.len() {
            return Err(LedgerError::Corrupt(format!(
                "the latest signed tree head covers {} entries but the log holds {}",
                head.tree_size,
                tree.len()
            )));
        }
        if !head.verify(&public_key) {
            return Err(LedgerError::Corrupt(format!(
                "the latest tree head (size {}) does not verify under this signing key: the key \
                 changed or the head was altered",
                head.tree_size
            )));
        }
        if tree.root(head.tree_size)? != head.root_hash {
            return Err(LedgerError::Corrupt(format!(
                "the stored leaf hashes do not match the latest signed tree head (size {})",
                head.tree_size
            )));
        }
        let shared = Arc::new(Shared {
            db,
            public_key,
            tree: RwLock::new(tree),
            head: RwLock::new(head),
        });
        let (sender, receiver) = mpsc::channel(options.queue_capacity.max(1));
        let writer = Writer::new(shared.clone(), signing_key, &options);
        tokio::spawn(writer.run(receiver));
        Ok(Ledger { sender, shared })
    }

    /// Records `event` and returns once it is committed (durable) with the tree head that
    /// covers it. Concurrent calls are committed together, one transaction per batch.
    pub async fn record(&self, event: AuditEvent) -> Result<Receipt> {
        event.validate()?;
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Request { event, reply })
            .await
            .map_err(|_| LedgerError::Closed)?;
        answer.await.map_err(|_| LedgerError::Closed)?
    }

    /// Records several events and returns once all are committed, in order. They are queued
    /// together, so the writer commits them in as few transactions as its batch size allows
    /// (one caller awaiting [`Ledger::record`] in a loop would wait a commit per event).
    pub async fn record_all(&self, events: Vec<AuditEvent>) -> Result<Vec<Receipt>> {
        for event in &events {
            event.validate()?;
        }
        let mut answers = Vec::with_capacity(events.len());
        for event in events {
            let (reply, answer) = oneshot::channel();
            self.sender
                .send(Request { event, reply })
                .await
                .map_err(|_| LedgerError::Closed)?;
            answers.push(answer);
        }
        let mut receipts = Vec::with_capacity(answers.len());
        for answer in answers {
            receipts.push(answer.await.map_err(|_| LedgerError::Closed)??);
        }
        Ok(receipts)
    }

    /// The key that verifies this ledger's tree heads; publish it.
    pub fn public_key(&self) -> VerifyingKey {
        self.shared.public_key
    }

    /// The newest signed tree head (from memory).
    pub fn latest_tree_head(&self) -> SignedTreeHead {
        read(&self.shared.head).clone()
    }

    /// The number of committed entries.
    pub fn tree_size(&self) -> u64 {
        read(&self.shared.head).tree_size
    }

    /// The stored signed tree head of exactly `tree_size` entries, if one was signed at that size.
    pub async fn tree_head(&self, tree_size: u64) -> Result<Option<SignedTreeHead>> {
        let Ok(size) = i64::try_from(tree_size) else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT tree_size, root_hash, timestamp, signature FROM ledger_tree_heads \
             WHERE tree_size = $1",
        )
        .bind(size)
        .fetch_optional(self.shared.db.pool())
        .await?;
        row.map(|r| head_from_row(&r)).transpose()
    }

    /// The entry at `seq`, or `None` beyond the log. Fails with [`LedgerError::Corrupt`] if
    /// the stored data no longer matches its leaf hash.
    pub async fn entry(&self, seq: u64) -> Result<Option<Entry>> {
        let Ok(seq) = i64::try_from(seq) else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT seq, leaf_hash, data, appended_at FROM ledger_entries WHERE seq = $1",
        )
        .bind(seq)
        .fetch_optional(self.shared.db.pool())
        .await?;
        row.map(|r| entry_from_row(&r)).transpose()
    }

    /// The newest entries (highest seq first) about one subject: "who touched resident X".
    pub async fn entries_for_subject(
        &self,
        subject_type: &str,
        subject_id: &str,
        limit: u32,
    ) -> Result<Vec<Entry>> {
        let rows = sqlx::query(
            "SELECT seq, leaf_hash, data, appended_at FROM ledger_entries \
             WHERE subject_type = $1 AND subject_id = $2 ORDER BY seq DESC LIMIT $3",
        )
        .bind(subject_type)
        .bind(subject_id)
        .bind(i64::from(limit))
        .fetch_all(self.shared.db.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The newest entries (highest seq first) recorded by one actor.
    pub async fn entries_by_actor(&self, actor: &str, limit: u32) -> Result<Vec<Entry>> {
        let rows = sqlx::query(
            "SELECT seq, leaf_hash, data, appended_at FROM ledger_entries \
             WHERE actor = $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(actor)
        .bind(i64::from(limit))
        .fetch_all(self.shared.db.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The newest entries of the whole log, highest seq first.
    pub async fn recent(&self, limit: u32) -> Result<Vec<Entry>> {
        let rows = sqlx::query(
            "SELECT seq, leaf_hash, data, appended_at FROM ledger_entries \
             ORDER BY seq DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.shared.db.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The root of the committed tree of `tree_size` entries.
    pub fn root(&self, tree_size: u64) -> Result<Hash> {
        self.check_size(tree_size)?;
        Ok(read(&self.shared.tree).root(tree_size)?)
    }

    /// Proof that entry `seq` is in the tree of `tree_size` entries (at most the latest
    /// signed size). O(log n) from memory.
    pub fn inclusion_proof(&self, seq: u64, tree_size: u64) -> Result<InclusionProof> {
        self.check_size(tree_size)?;
        if seq >= tree_size {
            return Err(LedgerError::NoSuchEntry { seq, tree_size });
        }
        let tree = read(&self.shared.tree);
        let audit_path = tree.inclusion_proof(seq, tree_size)?;
        let leaf_hash = tree
            .leaf(seq)
            .ok_or(LedgerError::NoSuchEntry { seq, tree_size })?;
        Ok(InclusionProof {
            leaf_index: seq,
            tree_size,
            leaf_hash,
            audit_path,
        })
    }

    /// Proof that the tree of `first` entries is a prefix of the tree of `second` entries
    /// (`first <= second <=` the latest signed size). O(log n) from memory.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<ConsistencyProof> {
        if first > second {
            return Err(LedgerError::FirstAfterSecond { first, second });
        }
        self.check_size(second)?;
        let consistency_path = read(&self.shared.tree).consistency_proof(first, second)?;
        Ok(ConsistencyProof {
            first,
            second,
            consistency_path,
        })
    }

    /// Verifies the stored log like [`crate::verify`], and also compares every stored leaf hash
    /// with the one this process committed or loaded. That names the exact entry even when a
    /// row was rewritten together with its leaf hash ([`crate::Tamper::LeafReplaced`]).
    pub async fn verify(&self) -> Result<VerifyReport> {
        verify_inner(
            &self.shared.db,
            &self.shared.public_key,
            &[],
            Some(&self.shared.tree),
            self.tree_size(),
        )
        .await
    }

    fn check_size(&self, tree_size: u64) -> Result<()> {
        let latest = self.tree_size();
        if tree_size > latest {
            return Err(LedgerError::TreeSizeTooLarge {
                requested: tree_size,
                latest,
            });
        }
        Ok(())
    }
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<Entry> {
    let seq = to_u64(row.try_get::<i64, _>(0)?, "seq")?;
    let stored: Vec<u8> = row.try_get(1)?;
    let data: String = row.try_get(2)?;
    let appended_at: i64 = row.try_get(3)?;
    let leaf = leaf_hash(data.as_bytes());
    if Hash::from_slice(&stored) != Some(leaf) {
        return Err(LedgerError::Corrupt(format!(
            "entry {seq} was edited: its data does not match its leaf hash"
        )));
    }
    let record = LeafRecord::parse(&data)
        .map_err(|e| LedgerError::Corrupt(format!("entry {seq} is not a ledger record: {e}")))?;
    if record.seq != seq {
        return Err(LedgerError::Corrupt(format!(
            "the row at position {seq} holds entry {}",
            record.seq
        )));
    }
    Ok(Entry {
        seq,
        leaf_hash: leaf,
        appended_at,
        event: record.into_event(),
        data,
    })
}

pub(crate) fn head_from_row(row: &sqlx::any::AnyRow) -> Result<SignedTreeHead> {
    let tree_size = to_u64(row.try_get::<i64, _>(0)?, "tree_size")?;
    let root: Vec<u8> = row.try_get(1)?;
    let timestamp: i64 = row.try_get(2)?;
    let signature: Vec<u8> = row.try_get(3)?;
    let root_hash = Hash::from_slice(&root).ok_or_else(|| {
        LedgerError::Corrupt(format!("tree head {tree_size} has a malformed root hash"))
    })?;
    let signature = <[u8; 64]>::try_from(signature.as_slice()).map_err(|_| {
        LedgerError::Corrupt(format!("tree head {tree_size} has a malformed signature"))
    })?;
    Ok(SignedTreeHead {
        tree_size,
        timestamp,
        root_hash,
        signature,
    })
}

async fn latest_stored_head(db: &Db) -> Result<Option<SignedTreeHead>> {
    let row = sqlx::query(
        "SELECT tree_size, root_hash, timestamp, signature FROM ledger_tree_heads \
         ORDER BY tree_size DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| head_from_row(&r)).transpose()
}

async fn insert_head(db: &Db, head: &SignedTreeHead) -> Result<()> {
    sqlx::query(INSERT_HEAD)
        .bind(to_i64(head.tree_size)?)
        .bind(head.root_hash.as_bytes().as_slice())
        .bind(head.timestamp)
        .bind(head.signature.as_slice())
        .execute(db.pool())
        .await?;
    Ok(())
}

const INSERT_HEAD: &str = "INSERT INTO ledger_tree_heads (tree_size, root_hash, timestamp, signature) \
     VALUES ($1, $2, $3, $4)";

/// Appends the stored leaf hashes from `tree.len()` on (up to `until` entries) to `tree`, in
/// pages. Fails on a gap in seq: the tree's positions would no longer be the entries' seqs.
async fn load_leaves(db: &Db, tree: &mut MerkleTree, until: Option<u64>) -> Result<()> {
    let until = match until {
        Some(n) => to_i64(n)?,
        None => i64::MAX,
    };
    loop {
        let from = to_i64(tree.len())?;
        if from >= until {
            return Ok(());
        }
        let rows = sqlx::query(
            "SELECT seq, leaf_hash FROM ledger_entries WHERE seq >= $1 AND seq < $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(from)
        .bind(until)
        .bind(LOAD_PAGE)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        for row in rows {
            let seq = to_u64(row.try_get::<i64, _>(0)?, "seq")?;
            if seq != tree.len() {
                return Err(LedgerError::Corrupt(format!(
                    "entry {} is missing",
                    tree.len()
                )));
            }
            let stored: Vec<u8> = row.try_get(1)?;
            let leaf = Hash::from_slice(&stored).ok_or_else(|| {
                LedgerError::Corrupt(format!("entry {seq} has a malformed leaf hash"))
            })?;
            tree.push(leaf);
        }
    }
}

/// How often a batch is tried when other writers keep appending under it.
const MAX_COMMIT_ATTEMPTS: u32 = 32;

/// One row of a batch, ready to insert.
struct PendingRow {
    seq: i64,
    leaf: Hash,
    data: String,
}

/// The single writer: owns the signing key and is the only code that appends.
struct Writer {
    shared: Arc<Shared>,
    key: SigningKey,
    max_batch: usize,
    /// The multi-row INSERTs of entries, in power-of-two sizes.
    insert_sql: InsertShapes,
    /// Set when a commit failed: whether it really failed is unknown until the database is
    /// read again (the connection may have died after COMMIT reached the server).
    needs_resync: bool,
    /// The first seq and the leaves of the batch whose INSERT last failed: a COMMIT can reach
    /// the server although the client saw an error, and then these are in the log already.
    failed: Option<(u64, Vec<Hash>)>,
}

impl Writer {
    fn new(shared: Arc<Shared>, key: SigningKey, options: &LedgerOptions) -> Self {
        let max_batch = options.max_batch.max(1);
        let insert_sql = InsertShapes::new(
            "ledger_entries",
            ENTRY_COLUMNS,
            max_batch,
            shared.db.backend(),
        );
        Writer {
            shared,
            key,
            max_batch,
            insert_sql,
            needs_resync: false,
            failed: None,
        }
    }

    async fn run(mut self, mut receiver: mpsc::Receiver<Request>) {
        let mut batch: Vec<Request> = Vec::with_capacity(self.max_batch);
        // `recv_many` waits for the first request and then takes everything already queued,
        // up to the batch limit: a lone caller is committed at once, a crowd shares a commit.
        while receiver.recv_many(&mut batch, self.max_batch).await > 0 {
            match self.commit(&batch).await {
                Ok(receipts) => {
                    for (request, receipt) in batch.drain(..).zip(receipts) {
                        // A caller that stopped waiting is not an error: its entry is durable.
                        let _ = request.reply.send(Ok(receipt));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, events = batch.len(), "ledger batch not committed");
                    let e = Arc::new(e);
                    for request in batch.drain(..) {
                        let _ = request.reply.send(Err(LedgerError::Write(e.clone())));
                    }
                }
            }
        }
    }

    /// Commits `batch` at the end of the log. Another process writing the same database (the
    /// `lifehealth` command line beside a running platform) makes the INSERT collide on `seq`:
    /// the writer then adopts what that process appended and tries again on top of it.
    async fn commit(&mut self, batch: &[Request]) -> Result<Vec<Receipt>> {
        let mut attempt = 0;
        loop {
            if self.needs_resync {
                let adopted = self.resync().await?;
                self.needs_resync = false;
                if adopted {
                    tracing::info!("the ledger adopted entries appended by another writer");
                }
            }
            match self.commit_once(batch).await {
                Err(LedgerError::Sql(e)) if attempt < MAX_COMMIT_ATTEMPTS => {
                    attempt += 1;
                    // Only a collision with another writer is worth another try; resync
                    // tells which it was.
                    if !self.resync().await? {
                        return Err(LedgerError::Sql(e));
                    }
                    self.needs_resync = false;
                    // What was adopted may be this very batch, committed after all: then it
                    // is acknowledged, not appended twice.
                    if let Some(receipts) = self.failed_batch_in_log() {
                        return Ok(receipts);
                    }
                }
                other => return other,
            }
        }
    }

    async fn commit_once(&mut self, batch: &[Request]) -> Result<Vec<Receipt>> {
        let (start, last_timestamp) = {
            let head = read(&self.shared.head);
            (head.tree_size, head.timestamp)
        };
        // Tree head timestamps never go backwards, even if the clock does.
        let appended_at = now_ms().max(last_timestamp);
        let mut rows = Vec::with_capacity(batch.len());
        for (i, request) in batch.iter().enumerate() {
            let seq = start + i as u64;
            let data = leaf_data(seq, appended_at, &request.event)?;
            rows.push(PendingRow {
                seq: to_i64(seq)?,
                leaf: leaf_hash(data.as_bytes()),
                data,
            });
        }
        let new_size = start + rows.len() as u64;
        let root = {
            let mut tree = write(&self.shared.tree);
            tree.truncate(start);
            for row in &rows {
                tree.push(row.leaf);
            }
            tree.root(new_size)?
        };
        let head = SignedTreeHead::sign(&self.key, new_size, appended_at, root);
        if let Err(e) = self.insert(batch, &rows, &head).await {
            // Undo: the in-memory tree must equal what is committed.
            write(&self.shared.tree).truncate(start);
            self.needs_resync = true;
            self.failed = Some((start, rows.iter().map(|r| r.leaf).collect()));
            return Err(e);
        }
        self.failed = None;
        let receipts = rows
            .iter()
            .zip(start..)
            .map(|(row, seq)| Receipt {
                seq,
                leaf_hash: row.leaf,
                tree_size: new_size,
            })
            .collect();
        *write(&self.shared.head) = head;
        Ok(receipts)
    }

    /// The receipts of the batch whose INSERT failed, if the log holds its leaves at their
    /// seqs (a leaf hashes its seq, time and event, so no other batch has the same).
    fn failed_batch_in_log(&mut self) -> Option<Vec<Receipt>> {
        let (start, leaves) = self.failed.take()?;
        let tree = read(&self.shared.tree);
        let ours = (start..)
            .zip(&leaves)
            .all(|(seq, leaf)| tree.leaf(seq) == Some(*leaf));
        let tree_size = start + leaves.len() as u64;
        ours.then(|| {
            leaves
                .into_iter()
                .zip(start..)
                .map(|(leaf_hash, seq)| Receipt {
                    seq,
                    leaf_hash,
                    tree_size,
                })
                .collect()
        })
    }

    /// One transaction: every row of the batch and the new signed tree head.
    async fn insert(
        &mut self,
        batch: &[Request],
        rows: &[PendingRow],
        head: &SignedTreeHead,
    ) -> Result<()> {
        // Taken per batch, not kept: on SQLite the writer connection is shared with the other
        // busy write paths.
        let mut conn = self.shared.db.writer().acquire().await?;
        insert_batch(&mut conn, &self.insert_sql, batch, rows, head).await
    }

    /// After a failed commit: adopt whatever the database actually holds beyond memory (a
    /// COMMIT can succeed on the server although the client saw an error).
    /// Says whether it adopted anything.
    async fn resync(&mut self) -> Result<bool> {
        let Some(stored) = latest_stored_head(&self.shared.db).await? else {
            return Ok(false);
        };
        let current = read(&self.shared.head).tree_size;
        if stored.tree_size <= current {
            return Ok(false);
        }
        let mut tree = read(&self.shared.tree).clone();
        tree.truncate(current);
        load_leaves(&self.shared.db, &mut tree, Some(stored.tree_size)).await?;
        if tree.len() != stored.tree_size
            || !stored.verify(&self.shared.public_key)
            || tree.root(stored.tree_size)? != stored.root_hash
        {
            return Err(LedgerError::Corrupt(format!(
                "the database holds a tree head of size {} that does not match its entries",
                stored.tree_size
            )));
        }
        tracing::warn!(
            tree_size = stored.tree_size,
            "a ledger batch reported as failed had been committed; adopted it"
        );
        *write(&self.shared.tree) = tree;
        *write(&self.shared.head) = stored;
        Ok(true)
    }
}

/// Inserts `rows` (with the columns of their `batch` events) and `head` in one transaction.
async fn insert_batch(
    conn: &mut PoolConnection<Any>,
    insert_sql: &InsertShapes,
    batch: &[Request],
    rows: &[PendingRow],
    head: &SignedTreeHead,
) -> Result<()> {
    let mut tx = conn.begin().await?;
    let mut offset = 0;
    while offset < rows.len() {
        let (sql, count) = insert_sql.next(rows.len() - offset);
        let mut query = sqlx::query(sql);
        for (row, request) in rows[offset..offset + count]
            .iter()
            .zip(&batch[offset..offset + count])
        {
            let event = &request.event;
            query = query
                .bind(row.seq)
                .bind(row.leaf.as_bytes().as_slice())
                .bind(row.data.as_str())
                .bind(head.timestamp)
                .bind(event.actor.as_str())
                .bind(event.organisation.as_deref())
                .bind(event.action.as_str())
                .bind(event.subject_type.as_str())
                .bind(event.subject_id.as_str())
                .bind(event.purpose.code());
        }
        query.execute(&mut *tx).await?;
        offset += count;
    }
    sqlx::query(INSERT_HEAD)
        .bind(to_i64(head.tree_size)?)
        .bind(head.root_hash.as_bytes().as_slice())
        .bind(head.timestamp)
        .bind(head.signature.as_slice())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::PurposeOfUse;
    use base64::Engine as _;

    #[test]
    fn leaf_data_is_canonical_json_with_sorted_keys() {
        let event = AuditEvent {
            actor: "u-1".into(),
            organisation: None,
            action: "resident.read".into(),
            subject_type: "resident".into(),
            subject_id: "r-\"7\"".into(),
            purpose: PurposeOfUse::PublicHealth,
            at: 5,
            data_hash: crate::data_hash(b""),
        };
        let data = leaf_data(41, 1_700_000_000_000, &event).unwrap();
        assert_eq!(
            data,
            "{\"action\":\"resident.read\",\"actor\":\"u-1\",\"appended_at\":1700000000000,\
             \"at\":5,\"data_hash\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\
             \"organisation\":null,\"purpose\":\"PUBHLTH\",\"seq\":41,\"subject_id\":\"r-\\\"7\\\"\",\
             \"subject_type\":\"resident\",\"v\":1}"
        );
        let back = LeafRecord::parse(&data).unwrap();
        assert_eq!(back.seq, 41);
        assert_eq!(back.into_event(), event);
    }

    #[test]
    fn tree_head_message_layout() {
        let root = leaf_hash(b"x");
        let message = tree_head_message(0x0102, 0x0304, &root);
        assert_eq!(message.len(), 17 + 8 + 8 + 32);
        assert_eq!(&message[..17], b"lifehealth-sth-v1");
        assert_eq!(&message[17..25], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(&message[25..33], &[0, 0, 0, 0, 0, 0, 3, 4]);
        assert_eq!(&message[33..], root.as_bytes());
    }

    #[test]
    fn tree_heads_sign_verify_and_serialise() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let head = SignedTreeHead::sign(&key, 3, 1_700_000_000_000, leaf_hash(b"r"));
        assert!(head.verify(&key.verifying_key()));
        let other = SigningKey::from_bytes(&[8u8; 32]);
        assert!(!head.verify(&other.verifying_key()));
        for altered in [
            SignedTreeHead {
                tree_size: 4,
                ..head.clone()
            },
            SignedTreeHead {
                timestamp: head.timestamp + 1,
                ..head.clone()
            },
            SignedTreeHead {
                root_hash: leaf_hash(b"s"),
                ..head.clone()
            },
        ] {
            assert!(!altered.verify(&key.verifying_key()));
        }
        let json = serde_json::to_value(&head).unwrap();
        assert_eq!(json["root_hash"], head.root_hash.to_hex());
        assert_eq!(json["signature"], BASE64.encode(head.signature));
        let back: SignedTreeHead = serde_json::from_value(json).unwrap();
        assert_eq!(back, head);
    }
}
