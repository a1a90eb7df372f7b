//! Full verification of the stored log: every row against its leaf hash and its own position,
//! the query columns against the data, every tree head's signature and root against the tree
//! rebuilt from the rows. Rows and heads are streamed in pages, the tree kept as a
//! [`CompactTree`] (O(log n) memory), so any size of log verifies in bounded memory.

use std::collections::VecDeque;
use std::fmt;
use std::sync::RwLock;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use store::Db;
use store::sqlx::{self, Row};

use crate::error::{LedgerError, Result};
use crate::log::{LeafRecord, SignedTreeHead, head_from_row, to_i64, to_u64};
use crate::merkle::{CompactTree, Hash, MerkleTree, leaf_hash};

/// Rows fetched per query.
const PAGE: i64 = 10_000;
/// Findings kept in a report; beyond this they are only counted.
const MAX_FINDINGS: usize = 1_000;

/// One sign of tampering, naming the entry or range of entries concerned. Entries are named by
/// seq (their position, from 0); tree heads by the tree size they sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(missing_docs)] // each variant's doc says what its fields are
pub enum Tamper {
    /// Entries `first..=last` are gone: later entries or a signed tree head show they existed.
    Missing { first: u64, last: u64 },
    /// The row's data no longer hashes to its stored leaf hash: the data was edited.
    Edited { seq: u64 },
    /// The row at position `seq` holds the data of entry `holds`: rows were swapped or moved.
    Moved { seq: u64, holds: u64 },
    /// The query columns (named) disagree with the hashed data: they were edited.
    ColumnsAltered { seq: u64, columns: Vec<String> },
    /// The data matches the leaf hash but is not a ledger record: the row was rewritten with a
    /// matching leaf hash.
    Unreadable { seq: u64, detail: String },
    /// The stored leaf hash differs from the one the running ledger committed: the row was
    /// rewritten together with its leaf hash. Found only by [`crate::Ledger::verify`].
    LeafReplaced { seq: u64 },
    /// A tree head whose signature does not verify: forged or altered.
    BadSignature { tree_size: u64 },
    /// A validly signed tree head whose root differs from the tree rebuilt from the rows:
    /// some entry in `since..tree_size` (after the last head that matched) was rewritten
    /// together with its leaf hash. `later_heads` further heads fail for the same reason.
    RootMismatch {
        tree_size: u64,
        since: u64,
        later_heads: u64,
    },
    /// Entries `first..=last` are not covered by any validly signed tree head: they were
    /// inserted outside the ledger.
    Unsigned { first: u64, last: u64 },
}

fn entries(f: &mut fmt::Formatter<'_>, first: u64, last: u64) -> fmt::Result {
    if first == last {
        write!(f, "entry {first} is")
    } else {
        write!(f, "entries {first} to {last} are")
    }
}

impl fmt::Display for Tamper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tamper::Missing { first, last } => {
                entries(f, *first, *last)?;
                f.write_str(" missing (deleted)")
            }
            Tamper::Edited { seq } => write!(
                f,
                "entry {seq} was edited: its data no longer matches its leaf hash"
            ),
            Tamper::Moved { seq, holds } => write!(
                f,
                "entry {seq} was moved: the row at position {seq} holds the data of entry {holds}"
            ),
            Tamper::ColumnsAltered { seq, columns } => write!(
                f,
                "entry {seq} was edited: its columns {} disagree with its data",
                columns.join(", ")
            ),
            Tamper::Unreadable { seq, detail } => write!(
                f,
                "entry {seq} was rewritten together with its leaf hash: its data is not a ledger \
                 record ({detail})"
            ),
            Tamper::LeafReplaced { seq } => write!(
                f,
                "entry {seq} was rewritten together with its leaf hash: the leaf hash differs \
                 from the one committed"
            ),
            Tamper::BadSignature { tree_size } => write!(
                f,
                "the tree head of size {tree_size} has an invalid signature: it was forged or altered"
            ),
            Tamper::RootMismatch {
                tree_size,
                since,
                later_heads,
            } => {
                if tree_size - since == 1 {
                    write!(
                        f,
                        "entry {since} was rewritten together with its leaf hash: the signed tree \
                         head of size {tree_size} does not match"
                    )?;
                } else {
                    write!(
                        f,
                        "an entry from {since} to {} was rewritten together with its leaf hash: \
                         the signed tree head of size {tree_size} does not match",
                        tree_size - 1
                    )?;
                }
                if *later_heads > 0 {
                    write!(f, " (nor do {later_heads} later tree heads)")?;
                }
                Ok(())
            }
            Tamper::Unsigned { first, last } => {
                entries(f, *first, *last)?;
                f.write_str(" not covered by any signed tree head: inserted outside the ledger")
            }
        }
    }
}

/// The outcome of [`verify`]: intact when `findings` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Rows read.
    pub entries_checked: u64,
    /// Tree heads checked (signature, and root where the rows allow).
    pub tree_heads_checked: u64,
    /// The size of the newest validly signed tree head.
    pub tree_size: u64,
    /// The root recomputed from the rows at `tree_size`, when the rows allow computing it.
    pub root_hash: Option<Hash>,
    /// What was found, in log order, at most 1,000.
    pub findings: Vec<Tamper>,
    /// Findings beyond those listed.
    pub findings_omitted: u64,
}

impl VerifyReport {
    /// True when nothing was found.
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }

    /// The first finding, if any.
    pub fn first(&self) -> Option<&Tamper> {
        self.findings.first()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            write!(
                f,
                "ledger intact: {} entries and {} tree heads checked; tree size {}",
                self.entries_checked, self.tree_heads_checked, self.tree_size
            )?;
            if let Some(root) = &self.root_hash {
                write!(f, ", root {root}")?;
            }
            return Ok(());
        }
        write!(
            f,
            "ledger TAMPERED: {} finding(s) in {} entries and {} tree heads",
            self.findings.len() as u64 + self.findings_omitted,
            self.entries_checked,
            self.tree_heads_checked
        )?;
        for finding in &self.findings {
            write!(f, "\n- {finding}")?;
        }
        if self.findings_omitted > 0 {
            write!(f, "\n- and {} more", self.findings_omitted)?;
        }
        Ok(())
    }
}

/// Verifies the log stored in `db` against the ledger's public key.
///
/// Detects: deleted entries (a gap, or entries a signed head covers), edited data, rows moved or
/// swapped, query columns edited, forged or altered tree heads, rows rewritten together with
/// their leaf hash (as the range since the last matching tree head; one entry when heads are
/// per entry), and entries that no tree head signs. Cannot detect, from the database alone,
/// the newest entries deleted together with their tree heads: see [`verify_against`].
pub async fn verify(db: &Db, public_key: &VerifyingKey) -> Result<VerifyReport> {
    verify_inner(db, public_key, &[], None, 0).await
}

/// [`verify`], also checking tree heads that someone kept outside the database (an auditor,
/// a regulator, a witness). A kept head larger than the stored log reveals entries deleted
/// together with their tree heads; a kept head whose root differs reveals a rewritten history.
pub async fn verify_against(
    db: &Db,
    public_key: &VerifyingKey,
    kept: &[SignedTreeHead],
) -> Result<VerifyReport> {
    verify_inner(db, public_key, kept, None, 0).await
}

/// A tree head as read: parsed, or too malformed to check.
enum HeadItem {
    Head(SignedTreeHead),
    Malformed(u64),
}

impl HeadItem {
    fn tree_size(&self) -> u64 {
        match self {
            HeadItem::Head(h) => h.tree_size,
            HeadItem::Malformed(size) => *size,
        }
    }
}

/// Yields the stored tree heads (paged) merged with the kept ones, in tree size order.
struct Heads<'a> {
    db: &'a Db,
    /// Only heads up to this size: the snapshot taken when verification started.
    max: i64,
    after: i64,
    page: VecDeque<HeadItem>,
    exhausted: bool,
    kept: VecDeque<SignedTreeHead>,
}

impl<'a> Heads<'a> {
    fn new(db: &'a Db, max: i64, kept: &[SignedTreeHead]) -> Self {
        let mut kept = kept.to_vec();
        kept.sort_by_key(|h| h.tree_size);
        Heads {
            db,
            max,
            after: -1,
            page: VecDeque::new(),
            exhausted: false,
            kept: kept.into(),
        }
    }

    async fn fill(&mut self) -> Result<()> {
        if !self.page.is_empty() || self.exhausted {
            return Ok(());
        }
        let rows = sqlx::query(
            "SELECT tree_size, root_hash, timestamp, signature FROM ledger_tree_heads \
             WHERE tree_size > $1 AND tree_size <= $2 ORDER BY tree_size LIMIT $3",
        )
        .bind(self.after)
        .bind(self.max)
        .bind(PAGE)
        .fetch_all(self.db.pool())
        .await?;
        if (rows.len() as i64) < PAGE {
            self.exhausted = true;
        }
        for row in rows {
            let size: i64 = row.try_get(0)?;
            self.after = size;
            let item = match head_from_row(&row) {
                Ok(head) => HeadItem::Head(head),
                Err(LedgerError::Corrupt(_)) => HeadItem::Malformed(to_u64(size, "tree_size")?),
                Err(e) => return Err(e),
            };
            self.page.push_back(item);
        }
        Ok(())
    }

    /// The next head of size at most `size`, if any.
    async fn next_upto(&mut self, size: u64) -> Result<Option<HeadItem>> {
        self.fill().await?;
        let stored = self.page.front().map(HeadItem::tree_size);
        let kept = self.kept.front().map(|h| h.tree_size);
        let take_kept = match (stored, kept) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(s), Some(k)) => k < s,
        };
        if take_kept {
            if kept.is_some_and(|k| k <= size) {
                return Ok(self.kept.pop_front().map(HeadItem::Head));
            }
            return Ok(None);
        }
        if stored.is_some_and(|s| s <= size) {
            let item = self.page.pop_front();
            // A kept head identical to the stored one adds nothing: drop it.
            if let (Some(HeadItem::Head(h)), Some(k)) = (&item, self.kept.front()) {
                if h == k {
                    self.kept.pop_front();
                }
            }
            return Ok(item);
        }
        Ok(None)
    }
}

struct Verifier<'a> {
    public_key: &'a VerifyingKey,
    report: VerifyReport,
    tree: CompactTree,
    /// Seq of the first missing entry: roots beyond it cannot be recomputed.
    broken_at: Option<u64>,
    /// Size of the last validly signed head whose root matched (0: the empty tree).
    last_good: u64,
    /// Index in `report.findings` of the open root mismatch, counting later failing heads.
    open_mismatch: Option<usize>,
    /// Largest validly signed head seen.
    latest_signed: u64,
    /// The last head whose root matched: (tree size, root).
    last_match: Option<(u64, Hash)>,
}

impl Verifier<'_> {
    fn find(&mut self, tamper: Tamper) {
        if self.report.findings.len() < MAX_FINDINGS {
            self.report.findings.push(tamper);
        } else {
            self.report.findings_omitted += 1;
        }
    }

    /// Checks one head: its signature, and its root when the rows allow.
    fn check_head(&mut self, item: HeadItem) {
        self.report.tree_heads_checked += 1;
        let head = match item {
            HeadItem::Head(head) if head.verify(self.public_key) => head,
            other => {
                self.find(Tamper::BadSignature {
                    tree_size: other.tree_size(),
                });
                return;
            }
        };
        self.latest_signed = self.latest_signed.max(head.tree_size);
        if self.broken_at.is_some_and(|gap| head.tree_size > gap)
            || head.tree_size != self.tree.len()
        {
            // Entries it covers are missing: reported as such, its root cannot be checked.
            return;
        }
        let root = self.tree.root();
        if root == head.root_hash {
            self.last_good = head.tree_size;
            self.open_mismatch = None;
            self.last_match = Some((head.tree_size, root));
            return;
        }
        match self.open_mismatch {
            Some(index) => {
                if let Some(Tamper::RootMismatch { later_heads, .. }) =
                    self.report.findings.get_mut(index)
                {
                    *later_heads += 1;
                }
            }
            None => {
                self.find(Tamper::RootMismatch {
                    tree_size: head.tree_size,
                    since: self.last_good,
                    later_heads: 0,
                });
                if self.report.findings.len() <= MAX_FINDINGS {
                    self.open_mismatch = Some(self.report.findings.len() - 1);
                }
            }
        }
    }
}

/// One `ledger_entries` row as stored, decoded leniently: a tampered row must become a finding,
/// not a decoding error.
struct StoredRow {
    seq: u64,
    leaf: Option<Hash>,
    data: Option<String>,
    appended_at: Option<i64>,
    columns: [Option<String>; 6],
}

const COLUMN_NAMES: [&str; 6] = [
    "actor",
    "organisation",
    "action",
    "subject_type",
    "subject_id",
    "purpose",
];

fn stored_row(row: &sqlx::any::AnyRow) -> Result<StoredRow> {
    let seq = to_u64(row.try_get::<i64, _>(0)?, "seq")?;
    let text = |i: usize| row.try_get::<Option<String>, _>(i).ok().flatten();
    Ok(StoredRow {
        seq,
        leaf: row
            .try_get::<Option<Vec<u8>>, _>(1)
            .ok()
            .flatten()
            .and_then(|b| Hash::from_slice(&b)),
        data: text(2),
        appended_at: row.try_get::<Option<i64>, _>(3).ok().flatten(),
        columns: [text(4), text(5), text(6), text(7), text(8), text(9)],
    })
}

/// The checks of one row that need nothing but the row.
fn check_row(row: &StoredRow) -> Option<Tamper> {
    let seq = row.seq;
    let Some(data) = &row.data else {
        return Some(Tamper::Edited { seq });
    };
    let computed = leaf_hash(data.as_bytes());
    let hash_matches = row.leaf == Some(computed);
    let record = match LeafRecord::parse(data) {
        Ok(record) => record,
        Err(e) if hash_matches => {
            return Some(Tamper::Unreadable {
                seq,
                detail: e.to_string(),
            });
        }
        Err(_) => return Some(Tamper::Edited { seq }),
    };
    if record.seq != seq {
        return Some(Tamper::Moved {
            seq,
            holds: record.seq,
        });
    }
    if !hash_matches {
        return Some(Tamper::Edited { seq });
    }
    let expected = [
        Some(record.actor.as_str()),
        record.organisation.as_deref(),
        Some(record.action.as_str()),
        Some(record.subject_type.as_str()),
        Some(record.subject_id.as_str()),
        Some(record.purpose.code()),
    ];
    let mut altered: Vec<String> = COLUMN_NAMES
        .iter()
        .zip(expected.iter().zip(&row.columns))
        .filter(|(_, (want, have))| **want != have.as_deref())
        .map(|(name, _)| (*name).to_owned())
        .collect();
    if row.appended_at != Some(record.appended_at) {
        altered.push("appended_at".to_owned());
    }
    if !altered.is_empty() {
        return Some(Tamper::ColumnsAltered {
            seq,
            columns: altered,
        });
    }
    None
}

/// The whole verification. `reference` is the running ledger's tree, trusted for seqs below
/// `reference_size`.
pub(crate) async fn verify_inner(
    db: &Db,
    public_key: &VerifyingKey,
    kept: &[SignedTreeHead],
    reference: Option<&RwLock<MerkleTree>>,
    reference_size: u64,
) -> Result<VerifyReport> {
    // One statement, so both maxima come from one snapshot: rows and heads committed while we
    // verify are left for the next run instead of looking unsigned or missing.
    let bounds = sqlx::query(
        "SELECT CAST(COALESCE((SELECT MAX(tree_size) FROM ledger_tree_heads), -1) AS BIGINT), \
                CAST(COALESCE((SELECT MAX(seq) FROM ledger_entries), -1) AS BIGINT)",
    )
    .fetch_one(db.pool())
    .await?;
    let max_head: i64 = bounds.try_get(0)?;
    let max_seq: i64 = bounds.try_get(1)?;

    let mut heads = Heads::new(db, max_head, kept);
    let mut v = Verifier {
        public_key,
        report: VerifyReport {
            entries_checked: 0,
            tree_heads_checked: 0,
            tree_size: 0,
            root_hash: None,
            findings: Vec::new(),
            findings_omitted: 0,
        },
        tree: CompactTree::new(),
        broken_at: None,
        last_good: 0,
        open_mismatch: None,
        latest_signed: 0,
        last_match: None,
    };
    while let Some(item) = heads.next_upto(0).await? {
        v.check_head(item);
    }

    let mut next: u64 = 0;
    let mut after: i64 = -1;
    loop {
        let rows = sqlx::query(
            "SELECT seq, leaf_hash, data, appended_at, actor, organisation, action, \
                    subject_type, subject_id, purpose \
             FROM ledger_entries WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
        )
        .bind(after)
        .bind(max_seq)
        .bind(PAGE)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            break;
        }
        let mut page = Vec::with_capacity(rows.len());
        for row in &rows {
            page.push(stored_row(row)?);
        }
        drop(rows);
        after = to_i64(page.last().map_or(0, |r| r.seq))?;

        // Leaf hashes this process committed, for the rows of this page (lock held briefly,
        // never across an await).
        let replaced: Vec<u64> = match reference {
            Some(lock) => {
                let tree = lock.read().unwrap_or_else(|p| p.into_inner());
                page.iter()
                    .filter(|r| r.seq < reference_size)
                    .filter(|r| r.leaf.is_some() && r.leaf != tree.leaf(r.seq))
                    .map(|r| r.seq)
                    .collect()
            }
            None => Vec::new(),
        };

        for row in page {
            v.report.entries_checked += 1;
            if row.seq > next {
                v.find(Tamper::Missing {
                    first: next,
                    last: row.seq - 1,
                });
                if v.broken_at.is_none() {
                    v.broken_at = Some(next);
                }
                // Heads inside the gap: signature only.
                while let Some(item) = heads.next_upto(row.seq).await? {
                    v.check_head(item);
                }
            }
            if let Some(tamper) = check_row(&row) {
                v.find(tamper);
            }
            if replaced.binary_search(&row.seq).is_ok() {
                v.find(Tamper::LeafReplaced { seq: row.seq });
            }
            if v.broken_at.is_none() {
                // The tree is rebuilt from the stored leaf hashes, which is what the heads
                // signed; a data-only edit is the row check's finding, not every later head's.
                v.tree.push(row.leaf.unwrap_or_else(|| {
                    leaf_hash(row.data.as_deref().unwrap_or_default().as_bytes())
                }));
            }
            next = row.seq + 1;
            while let Some(item) = heads.next_upto(next).await? {
                v.check_head(item);
            }
        }
    }

    // Heads beyond the last row sign entries that are gone.
    while let Some(item) = heads.next_upto(u64::MAX).await? {
        v.check_head(item);
    }
    if v.latest_signed > next {
        v.find(Tamper::Missing {
            first: next,
            last: v.latest_signed - 1,
        });
    } else if next > v.latest_signed {
        v.find(Tamper::Unsigned {
            first: v.latest_signed,
            last: next - 1,
        });
    }
    v.report.tree_size = v.latest_signed;
    v.report.root_hash = v
        .last_match
        .filter(|(size, _)| *size == v.latest_signed)
        .map(|(_, root)| root);
    Ok(v.report)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn findings_read_as_sentences() {
        assert_eq!(
            Tamper::Missing {
                first: 41,
                last: 41
            }
            .to_string(),
            "entry 41 is missing (deleted)"
        );
        assert_eq!(
            Tamper::Missing { first: 4, last: 9 }.to_string(),
            "entries 4 to 9 are missing (deleted)"
        );
        assert_eq!(
            Tamper::Edited { seq: 17 }.to_string(),
            "entry 17 was edited: its data no longer matches its leaf hash"
        );
        assert!(
            Tamper::RootMismatch {
                tree_size: 18,
                since: 17,
                later_heads: 3
            }
            .to_string()
            .starts_with("entry 17 was rewritten")
        );
        let json = serde_json::to_value(Tamper::Moved { seq: 5, holds: 9 }).unwrap();
        assert_eq!(json["kind"], "moved");
    }
}
