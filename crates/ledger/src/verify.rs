//! Full verification of the stored log: recompute every leaf and every signed tree head.

use std::collections::BTreeMap;

use ed25519_dalek::VerifyingKey;
use store::Db;
use store::sqlx::{self, Row};

use crate::audit::EntryData;
use crate::log::{SignedTreeHead, parse_hash, verify_tree_head};
use crate::merkle::{Hash, MerkleTree, leaf_hash};
use crate::LedgerError;

const PAGE: i64 = 10_000;

/// One sign of tampering, naming the entry or the range of entries concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tamper {
    /// An entry number is missing: the row was deleted.
    Missing { seq: u64 },
    /// The entry's data no longer hashes to its stored leaf hash: it was edited.
    Edited { seq: u64 },
    /// The entry's data names another position: rows were moved or swapped.
    Reordered { seq: u64, claims: u64 },
    /// The queryable columns disagree with the hashed data.
    ColumnsDisagree { seq: u64 },
    /// The data is not a well-formed event.
    Unreadable { seq: u64 },
    /// The recomputed root differs from a signed tree head: some entry in `from..to` was
    /// changed together with its leaf hash.
    RootMismatch { tree_size: u64, from: u64, to: u64 },
    /// A tree head's signature does not verify under the ledger's key.
    BadSignature { tree_size: u64 },
    /// Entries past the newest signed tree head were appended outside the platform.
    Unsigned { from: u64, to: u64 },
}

impl std::fmt::Display for Tamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tamper::Missing { seq } => write!(f, "entry {seq} is missing (deleted)"),
            Tamper::Edited { seq } => write!(f, "entry {seq} was edited: its data does not match its leaf hash"),
            Tamper::Reordered { seq, claims } => write!(f, "entry {seq} holds the data of entry {claims} (rows reordered)"),
            Tamper::ColumnsDisagree { seq } => write!(f, "entry {seq}: its columns disagree with its hashed data"),
            Tamper::Unreadable { seq } => write!(f, "entry {seq}: its data is not a readable event"),
            Tamper::RootMismatch { tree_size, from, to } => write!(
                f,
                "the signed tree head at size {tree_size} does not match the entries: an entry in {from}..{to} was changed together with its leaf hash"
            ),
            Tamper::BadSignature { tree_size } => write!(f, "the tree head at size {tree_size} has an invalid signature"),
            Tamper::Unsigned { from, to } => write!(f, "entries {from}..{to} are not covered by any signed tree head"),
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: u64,
    pub tree_heads: u64,
    pub root: Option<Hash>,
    pub findings: Vec<Tamper>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Recomputes every leaf hash and every signed tree head of the log in `db`.
pub async fn verify(db: &Db, key: &VerifyingKey) -> Result<VerifyReport, LedgerError> {
    let mut heads = BTreeMap::new();
    let rows = sqlx::query("SELECT tree_size, root_hash, signed_at, signature FROM ledger_tree_heads ORDER BY tree_size")
        .fetch_all(db.pool())
        .await?;
    for row in rows {
        let head = SignedTreeHead {
            tree_size: u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or(0),
            root_hash: parse_hash(&row.try_get::<String, _>(1)?)?,
            timestamp: row.try_get(2)?,
            signature: row.try_get(3)?,
        };
        heads.insert(head.tree_size, head);
    }

    let mut findings = Vec::new();
    let mut tree = MerkleTree::new();
    let mut expected: u64 = 0;
    let mut after: i64 = -1;
    let mut last_good_head: u64 = 0;
    loop {
        let rows = sqlx::query(
            "SELECT seq, leaf_hash, data, actor, organisation, action, subject_type, subject_id, purpose
             FROM ledger_entries WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let seq_i: i64 = row.try_get(0)?;
            after = seq_i;
            let seq = u64::try_from(seq_i).unwrap_or(0);
            while expected < seq {
                findings.push(Tamper::Missing { seq: expected });
                // Keep positions aligned so later findings still name the right entries.
                tree.push([0u8; 32]);
                expected += 1;
            }
            let stored = parse_hash(&row.try_get::<String, _>(1)?)?;
            let data: String = row.try_get(2)?;
            let computed = leaf_hash(data.as_bytes());
            if computed != stored {
                findings.push(Tamper::Edited { seq });
            }
            match serde_json::from_str::<EntryData>(&data) {
                Err(_) => findings.push(Tamper::Unreadable { seq }),
                Ok(entry) => {
                    if entry.seq != seq {
                        findings.push(Tamper::Reordered { seq, claims: entry.seq });
                    }
                    let e = &entry.event;
                    let columns_agree = row.try_get::<String, _>(3)? == e.actor
                        && row.try_get::<Option<String>, _>(4)? == e.organisation
                        && row.try_get::<String, _>(5)? == e.action
                        && row.try_get::<String, _>(6)? == e.subject_type
                        && row.try_get::<String, _>(7)? == e.subject_id
                        && row.try_get::<String, _>(8)? == e.purpose.code();
                    if !columns_agree {
                        findings.push(Tamper::ColumnsDisagree { seq });
                    }
                }
            }
            tree.push(stored);
            expected = seq + 1;
            if let Some(head) = heads.get(&expected) {
                check_head(head, &tree, key, last_good_head, &mut findings);
                last_good_head = expected;
            }
        }
    }
    let newest = heads.keys().next_back().copied().unwrap_or(0);
    if newest > expected {
        for seq in expected..newest {
            findings.push(Tamper::Missing { seq });
        }
    } else if expected > newest {
        findings.push(Tamper::Unsigned { from: newest, to: expected });
    }
    Ok(VerifyReport {
        entries: expected,
        tree_heads: heads.len() as u64,
        root: tree.root(tree.len()),
        findings,
    })
}

fn check_head(head: &SignedTreeHead, tree: &MerkleTree, key: &VerifyingKey, since: u64, findings: &mut Vec<Tamper>) {
    if !verify_tree_head(head, key) {
        findings.push(Tamper::BadSignature { tree_size: head.tree_size });
    }
    if tree.root(head.tree_size) != Some(head.root_hash) {
        findings.push(Tamper::RootMismatch { tree_size: head.tree_size, from: since, to: head.tree_size });
    }
}
