//! The persistent log: one writer task commits batches of events (group commit) with a new
//! signed tree head per batch; readers answer tree heads, entries and proofs.

use std::sync::{Arc, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::Serialize;
use store::sqlx::{self, Row};
use store::Db;
use tokio::sync::{mpsc, oneshot};

use crate::audit::{AuditEvent, EntryData};
use crate::merkle::{Hash, MerkleTree, empty_root, leaf_hash};
use crate::LedgerError;

/// Most events committed in one transaction.
const MAX_BATCH: usize = 2_000;
/// Events waiting for the writer; callers wait (back-pressure) when it is full.
const QUEUE: usize = 16_384;
/// Rows per INSERT statement: 10 parameters a row stays under SQLite's 32,766 limit.
const ROWS_PER_STATEMENT: usize = 500;

/// What an append returns once the event is durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub seq: u64,
    #[serde(with = "hex_hash")]
    pub leaf_hash: Hash,
    pub tree_size: u64,
}

/// A tree head signed with the ledger key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedTreeHead {
    pub tree_size: u64,
    #[serde(with = "hex_hash")]
    pub root_hash: Hash,
    /// Unix milliseconds, UTC.
    pub timestamp: i64,
    /// Base64 Ed25519 signature over [`tree_head_message`].
    pub signature: String,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: u64,
    #[serde(with = "hex_hash")]
    pub leaf_hash: Hash,
    pub data: EntryData,
    pub appended_at: i64,
}

/// RFC 9162 inclusion proof of one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    #[serde(with = "hex_hash")]
    pub leaf_hash: Hash,
    #[serde(with = "hex_hashes")]
    pub audit_path: Vec<Hash>,
}

/// RFC 9162 consistency proof between two tree sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsistencyProof {
    pub first: u64,
    pub second: u64,
    #[serde(with = "hex_hashes")]
    pub consistency_path: Vec<Hash>,
}

/// The bytes a tree head signature covers:
/// `"lifehealth-sth-v1" || u64 BE tree_size || i64 BE timestamp || root`.
pub fn tree_head_message(tree_size: u64, timestamp: i64, root: &Hash) -> Vec<u8> {
    let mut m = b"lifehealth-sth-v1".to_vec();
    m.extend_from_slice(&tree_size.to_be_bytes());
    m.extend_from_slice(&timestamp.to_be_bytes());
    m.extend_from_slice(root);
    m
}

/// Checks a tree head's signature against `key`.
pub fn verify_tree_head(head: &SignedTreeHead, key: &VerifyingKey) -> bool {
    let Ok(bytes) = STANDARD.decode(&head.signature) else { return false };
    let Ok(signature) = ed25519_dalek::Signature::from_slice(&bytes) else { return false };
    key.verify_strict(&tree_head_message(head.tree_size, head.timestamp, &head.root_hash), &signature)
        .is_ok()
}

struct Shared {
    tree: RwLock<MerkleTree>,
    head: RwLock<SignedTreeHead>,
}

type Request = (AuditEvent, oneshot::Sender<Result<Receipt, LedgerError>>);

/// Handle on the ledger. Cloning is cheap; all clones feed the same writer.
#[derive(Clone)]
pub struct Ledger {
    db: Db,
    shared: Arc<Shared>,
    sender: mpsc::Sender<Request>,
    public_key: VerifyingKey,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Ledger {
    /// Loads the tree from the database and starts the writer task.
    pub async fn open(db: Db, key: SigningKey) -> Result<Ledger, LedgerError> {
        let mut tree = MerkleTree::new();
        let mut after: i64 = -1;
        loop {
            let rows = sqlx::query("SELECT seq, leaf_hash FROM ledger_entries WHERE seq > $1 ORDER BY seq LIMIT 50000")
                .bind(after)
                .fetch_all(db.pool())
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let seq: i64 = row.try_get(0)?;
                if seq != tree.len() as i64 {
                    return Err(LedgerError::Corrupt(format!(
                        "entry {} is missing; run `lifehealth ledger verify`",
                        tree.len()
                    )));
                }
                tree.push(parse_hash(&row.try_get::<String, _>(1)?)?);
                after = seq;
            }
        }
        let head = match sqlx::query("SELECT tree_size, root_hash, signed_at, signature FROM ledger_tree_heads ORDER BY tree_size DESC LIMIT 1")
            .fetch_optional(db.pool())
            .await?
        {
            Some(row) => SignedTreeHead {
                tree_size: u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or(0),
                root_hash: parse_hash(&row.try_get::<String, _>(1)?)?,
                timestamp: row.try_get(2)?,
                signature: row.try_get(3)?,
            },
            None => sign_head(&key, 0, now_ms(), empty_root()),
        };
        if head.tree_size != tree.len() {
            return Err(LedgerError::Corrupt(format!(
                "the latest tree head covers {} entries but the log has {}; run `lifehealth ledger verify`",
                head.tree_size,
                tree.len()
            )));
        }
        let public_key = key.verifying_key();
        let shared = Arc::new(Shared { tree: RwLock::new(tree), head: RwLock::new(head) });
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(writer(db.clone(), key, shared.clone(), receiver));
        Ok(Ledger { db, shared, sender, public_key })
    }

    /// Appends `event`; returns once it is committed to the database.
    pub async fn record(&self, event: AuditEvent) -> Result<Receipt, LedgerError> {
        let (reply, answer) = oneshot::channel();
        self.sender.send((event, reply)).await.map_err(|_| LedgerError::Closed)?;
        answer.await.map_err(|_| LedgerError::Closed)?
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.public_key
    }

    pub fn latest_tree_head(&self) -> SignedTreeHead {
        self.shared.head.read().map(|h| h.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn tree_size(&self) -> u64 {
        self.latest_tree_head().tree_size
    }

    pub fn inclusion_proof(&self, seq: u64, tree_size: u64) -> Result<InclusionProof, LedgerError> {
        let committed = self.tree_size();
        if tree_size > committed || seq >= tree_size {
            return Err(LedgerError::OutOfRange(format!(
                "entry {seq} in a tree of {tree_size}: the entry must be below the tree size, which may be at most {committed}"
            )));
        }
        let tree = self.shared.tree.read().map_err(|_| LedgerError::Closed)?;
        let leaf_hash = tree.leaf(seq).ok_or(LedgerError::OutOfRange(format!("entry {seq}")))?;
        let audit_path = tree
            .inclusion_proof(seq, tree_size)
            .ok_or(LedgerError::OutOfRange(format!("entry {seq}")))?;
        Ok(InclusionProof { leaf_index: seq, tree_size, leaf_hash, audit_path })
    }

    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<ConsistencyProof, LedgerError> {
        let committed = self.tree_size();
        if first == 0 || first > second || second > committed {
            return Err(LedgerError::OutOfRange(format!(
                "sizes {first} and {second}: need 1 <= first <= second <= {committed}"
            )));
        }
        let tree = self.shared.tree.read().map_err(|_| LedgerError::Closed)?;
        let consistency_path = tree
            .consistency_proof(first, second)
            .ok_or(LedgerError::OutOfRange(format!("sizes {first}, {second}")))?;
        Ok(ConsistencyProof { first, second, consistency_path })
    }

    /// The root of the committed tree at `size`.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        if size > self.tree_size() {
            return None;
        }
        self.shared.tree.read().ok()?.root(size)
    }

    pub async fn entry(&self, seq: u64) -> Result<Option<Entry>, LedgerError> {
        let seq = i64::try_from(seq).map_err(|_| LedgerError::OutOfRange(format!("entry {seq}")))?;
        let row = sqlx::query("SELECT seq, leaf_hash, data, appended_at FROM ledger_entries WHERE seq = $1")
            .bind(seq)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| entry_from_row(&r)).transpose()
    }

    /// The newest entries about one subject (e.g. "who read resident X").
    pub async fn entries_for_subject(&self, subject_type: &str, subject_id: &str, limit: i64) -> Result<Vec<Entry>, LedgerError> {
        let rows = sqlx::query(
            "SELECT seq, leaf_hash, data, appended_at FROM ledger_entries
             WHERE subject_type = $1 AND subject_id = $2 ORDER BY seq DESC LIMIT $3",
        )
        .bind(subject_type)
        .bind(subject_id)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The newest entries of the whole log.
    pub async fn recent(&self, limit: i64) -> Result<Vec<Entry>, LedgerError> {
        let rows = sqlx::query("SELECT seq, leaf_hash, data, appended_at FROM ledger_entries ORDER BY seq DESC LIMIT $1")
            .bind(limit)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(entry_from_row).collect()
    }
}

fn entry_from_row(row: &store::sqlx::any::AnyRow) -> Result<Entry, LedgerError> {
    let data: String = row.try_get(2)?;
    Ok(Entry {
        seq: u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or(0),
        leaf_hash: parse_hash(&row.try_get::<String, _>(1)?)?,
        data: serde_json::from_str(&data).map_err(|e| LedgerError::Corrupt(e.to_string()))?,
        appended_at: row.try_get(3)?,
    })
}

pub(crate) fn parse_hash(text: &str) -> Result<Hash, LedgerError> {
    let bytes = hex::decode(text).map_err(|_| LedgerError::Corrupt(format!("`{text}` is not a hex hash")))?;
    bytes.try_into().map_err(|_| LedgerError::Corrupt(format!("`{text}` is not a 32-byte hash")))
}

fn sign_head(key: &SigningKey, tree_size: u64, timestamp: i64, root: Hash) -> SignedTreeHead {
    let signature = key.sign(&tree_head_message(tree_size, timestamp, &root));
    SignedTreeHead { tree_size, root_hash: root, timestamp, signature: STANDARD.encode(signature.to_bytes()) }
}

async fn writer(db: Db, key: SigningKey, shared: Arc<Shared>, mut receiver: mpsc::Receiver<Request>) {
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcome = commit(&db, &key, &shared, &batch).await;
        match outcome {
            Ok(receipts) => {
                for ((_, reply), receipt) in batch.drain(..).zip(receipts) {
                    let _ = reply.send(Ok(receipt));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "ledger batch failed; nothing of it was kept");
                let message = e.to_string();
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(LedgerError::CommitFailed(message.clone())));
                }
            }
        }
    }
}

async fn commit(db: &Db, key: &SigningKey, shared: &Shared, batch: &[Request]) -> Result<Vec<Receipt>, LedgerError> {
    let start = shared.tree.read().map_err(|_| LedgerError::Closed)?.len();
    let now = now_ms();
    let mut rows = Vec::with_capacity(batch.len());
    for (i, (event, _)) in batch.iter().enumerate() {
        let data = EntryData { seq: start + i as u64, event: event.clone() };
        let json = serde_json::to_string(&data).map_err(|e| LedgerError::Corrupt(e.to_string()))?;
        rows.push((data, leaf_hash(json.as_bytes()), json));
    }
    let new_size = start + rows.len() as u64;
    let root = {
        let mut tree = shared.tree.write().map_err(|_| LedgerError::Closed)?;
        for (_, leaf, _) in &rows {
            tree.push(*leaf);
        }
        tree.root(new_size).unwrap_or_else(empty_root)
    };
    let head = sign_head(key, new_size, now, root);
    let result = insert(db, &rows, &head, now).await;
    if let Err(e) = result {
        if let Ok(mut tree) = shared.tree.write() {
            tree.truncate(start);
        }
        return Err(e);
    }
    if let Ok(mut h) = shared.head.write() {
        *h = head;
    }
    Ok(rows
        .iter()
        .map(|(data, leaf, _)| Receipt { seq: data.seq, leaf_hash: *leaf, tree_size: new_size })
        .collect())
}

async fn insert(db: &Db, rows: &[(EntryData, Hash, String)], head: &SignedTreeHead, now: i64) -> Result<(), LedgerError> {
    let mut tx = db.pool().begin().await?;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO ledger_entries (seq, leaf_hash, data, appended_at, actor, organisation, action, subject_type, subject_id, purpose) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 10;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${},${},${},${},${},${},${},${},${},${})",
                b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10
            ));
        }
        let mut query = sqlx::query(&sql);
        for (data, leaf, json) in chunk {
            let e = &data.event;
            query = query
                .bind(i64::try_from(data.seq).unwrap_or(i64::MAX))
                .bind(hex::encode(leaf))
                .bind(json.as_str())
                .bind(now)
                .bind(e.actor.as_str())
                .bind(e.organisation.as_deref())
                .bind(e.action.as_str())
                .bind(e.subject_type.as_str())
                .bind(e.subject_id.as_str())
                .bind(e.purpose.code());
        }
        query.execute(&mut *tx).await?;
    }
    sqlx::query("INSERT INTO ledger_tree_heads (tree_size, root_hash, signed_at, signature) VALUES ($1, $2, $3, $4)")
        .bind(i64::try_from(head.tree_size).unwrap_or(i64::MAX))
        .bind(hex::encode(head.root_hash))
        .bind(head.timestamp)
        .bind(head.signature.as_str())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

mod hex_hash {
    pub fn serialize<S: serde::Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }
}

mod hex_hashes {
    use serde::ser::SerializeSeq;
    pub fn serialize<S: serde::Serializer>(hs: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hs.len()))?;
        for h in hs {
            seq.serialize_element(&hex::encode(h))?;
        }
        seq.end()
    }
}
