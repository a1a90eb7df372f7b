//! RFC 9162 (Certificate Transparency v2) Merkle trees: hashing, proofs and their verification.
//!
//! Pure code, no I/O. The definitions follow RFC 9162 §2.1 exactly:
//!
//! - leaf hash `SHA-256(0x00 || data)`, interior node `SHA-256(0x01 || left || right)`, and the
//!   hash of the empty tree `SHA-256("")`;
//! - the Merkle Tree Hash of n > 1 leaves splits at k, the largest power of two smaller than n;
//! - inclusion proofs are `PATH(m, D[n])` (§2.1.3.1), consistency proofs `PROOF(m, D[n])`
//!   (§2.1.4.1), and [`verify_inclusion`] / [`verify_consistency`] are the client algorithms of
//!   §2.1.3.2 and §2.1.4.2: a client needs only the proof, the hashes and the sizes.
//!
//! [`MerkleTree`] answers roots and proofs for every past size in O(log n) hash look-ups because
//! it keeps the hash of every complete, aligned subtree (see its docs).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A SHA-256 hash: a leaf hash, a node hash or a tree root. Serialises as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Hash, HashParseError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).map_err(|_| HashParseError(text.len()))?;
        Ok(Hash(out))
    }

    /// The hash in `bytes`, if it is exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; 32]>::try_from(bytes).ok().map(Hash)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Hash::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// A string that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a hash is 64 hex digits; got {0} characters that are not")]
pub struct HashParseError(usize);

/// `SHA-256("")`, the root of the empty tree (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    Hash(h.finalize().into())
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// The largest power of two strictly smaller than `n` (n >= 2): RFC 9162's split point k.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The Merkle Tree Hash of `leaves` (leaf hashes) computed straight from the RFC's recursive
/// definition. O(n): a reference for tests and for small trees; use [`MerkleTree`] otherwise.
pub fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            // `split` works on u64; the result is < n, so it fits in usize.
            let k = split(n as u64) as usize;
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// RFC 9162 §2.1.3.2: does `inclusion_path` prove that `leaf_hash` is leaf `leaf_index` of the
/// tree of `tree_size` leaves whose root is `root`?
pub fn verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf_hash: &Hash,
    inclusion_path: &[Hash],
    root: &Hash,
) -> bool {
    // 1. The index must lie inside the tree.
    if leaf_index >= tree_size {
        return false;
    }
    // 2.-3.
    let mut f = leaf_index;
    let mut s = tree_size - 1;
    let mut r = *leaf_hash;
    // 4.
    for p in inclusion_path {
        // a.
        if s == 0 {
            return false;
        }
        // b.
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        // c.
        f >>= 1;
        s >>= 1;
    }
    // 5.
    s == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: does `consistency_path` prove that the tree of `first` leaves with root
/// `first_hash` is a prefix of the tree of `second` leaves with root `second_hash`?
///
/// The RFC defines the algorithm for `0 < first < second`. The edge cases are settled the way
/// CT clients settle them: `first == second` needs an empty proof and equal roots; `first == 0`
/// needs an empty proof and `first_hash` equal to the empty-tree hash (every tree extends the
/// empty one).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_hash: &Hash,
    second_hash: &Hash,
    consistency_path: &[Hash],
) -> bool {
    if first > second {
        return false;
    }
    if first == second {
        return consistency_path.is_empty() && first_hash == second_hash;
    }
    if first == 0 {
        return consistency_path.is_empty() && *first_hash == empty_root();
    }
    // 1.
    if consistency_path.is_empty() {
        return false;
    }
    // 2. A power-of-two `first` is a complete subtree of the new tree, so its root is the
    // proof's implicit first element.
    let mut path = consistency_path.iter();
    let seed_from_first = first.is_power_of_two();
    // 3.
    let mut f = first - 1;
    let mut s = second - 1;
    // 4.
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    // 5.
    let seed = if seed_from_first {
        *first_hash
    } else {
        match path.next() {
            Some(h) => *h,
            None => return false,
        }
    };
    let mut fr = seed;
    let mut sr = seed;
    // 6.
    for c in path {
        // a.
        if s == 0 {
            return false;
        }
        // b.
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        // c.
        f >>= 1;
        s >>= 1;
    }
    // 7.
    fr == *first_hash && sr == *second_hash && s == 0
}

/// A request for a size, index or range the tree cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // the fields are named for what the messages say
pub enum TreeError {
    /// A size beyond the leaves pushed.
    #[error("tree size {requested} is larger than the tree ({size} leaves)")]
    SizeTooLarge { requested: u64, size: u64 },
    /// A leaf index at or beyond the tree size.
    #[error("leaf {index} is not in a tree of {tree_size} leaves")]
    IndexOutOfRange { index: u64, tree_size: u64 },
    /// A consistency proof asked for backwards.
    #[error("a consistency proof needs first <= second; got first {first}, second {second}")]
    FirstAfterSecond { first: u64, second: u64 },
}

/// An append-only Merkle tree over leaf hashes that answers roots and proofs for every past size.
///
/// `levels[k][i]` is the hash of the complete, aligned block of leaves `[i·2^k, (i+1)·2^k)`;
/// level 0 holds the leaf hashes. Every node of the tree of any size n is either such a block or
/// lies on the tree's right edge, and the right-edge nodes of one size are computed together in
/// O(log n), so a root or proof costs O(log n) hash operations and look-ups.
/// Memory is about two hashes (64 bytes) per leaf.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree of the given leaf hashes, in order.
    pub fn from_leaves(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push(leaf);
        }
        tree
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// True when the tree has no leaf.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf hash, completing every block the new leaf closes: amortised O(1).
    pub fn push(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len() % 2 == 0 {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// The hash of leaf `index`, if the tree has it.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        let index = usize::try_from(index).ok()?;
        self.levels.first()?.get(index).copied()
    }

    /// Drops every leaf from `size` on (used to undo leaves whose commit failed).
    pub fn truncate(&mut self, size: u64) {
        for (k, level) in self.levels.iter_mut().enumerate() {
            // A block at level k survives only if all its leaves are below `size`.
            let keep = usize::try_from(size >> k).unwrap_or(usize::MAX);
            level.truncate(keep);
        }
    }

    /// The root of the tree's first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, TreeError> {
        Ok(self.view(size)?.root())
    }

    /// RFC 9162 `PATH(index, D[size])`: the inclusion proof of leaf `index` in the tree of the
    /// first `size` leaves, ordered from the leaf's sibling up to the root's child.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TreeError> {
        let view = self.view(size)?;
        if index >= size {
            return Err(TreeError::IndexOutOfRange {
                index,
                tree_size: size,
            });
        }
        let mut out = Vec::with_capacity(64);
        view.path(index, 0, size, &mut out);
        Ok(out)
    }

    /// RFC 9162 `PROOF(first, D[second])`: the consistency proof between the tree of the first
    /// `first` leaves and that of the first `second` leaves. Empty when `first` is 0 or equal to
    /// `second` (see [`verify_consistency`]).
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, TreeError> {
        if first > second {
            return Err(TreeError::FirstAfterSecond { first, second });
        }
        let view = self.view(second)?;
        let mut out = Vec::with_capacity(64);
        if first > 0 && first < second {
            view.subproof(first, 0, second, true, &mut out);
        }
        Ok(out)
    }

    fn view(&self, size: u64) -> Result<SizedView<'_>, TreeError> {
        if size > self.len() {
            return Err(TreeError::SizeTooLarge {
                requested: size,
                size: self.len(),
            });
        }
        Ok(SizedView::new(self, size))
    }

    /// The stored hash of the complete block `[lo, lo + 2^k)`; `lo` must be aligned.
    fn block(&self, lo: u64, k: u32) -> Hash {
        // Callers only ask for blocks inside the tree; the default keeps this total.
        self.levels
            .get(k as usize)
            .and_then(|level| level.get(usize::try_from(lo >> k).ok()?))
            .copied()
            .unwrap_or_default()
    }
}

/// The tree of the first `size` leaves of a [`MerkleTree`], with its right edge precomputed.
///
/// Write `size` in binary: its set bits, from the highest, cut `[0, size)` into complete aligned
/// blocks `B_0, B_1, ...`. Every node of the RFC's recursion is either a complete aligned block or
/// a right-edge node `[start(B_j), size)`, whose hash folds the blocks from `B_j` on. All those
/// folds are computed here in one pass, so every node is then an O(1) look-up.
struct SizedView<'a> {
    tree: &'a MerkleTree,
    size: u64,
    /// `(start(B_j), hash of [start(B_j), size))`, in increasing start order.
    edge: Vec<(u64, Hash)>,
}

impl<'a> SizedView<'a> {
    fn new(tree: &'a MerkleTree, size: u64) -> Self {
        let mut blocks = Vec::with_capacity(64);
        let mut start = 0u64;
        for k in (0..64u32).rev() {
            if size & (1 << k) != 0 {
                blocks.push((start, tree.block(start, k)));
                start += 1 << k;
            }
        }
        let mut edge = vec![(0u64, Hash::default()); blocks.len()];
        let mut acc: Option<Hash> = None;
        for (j, (lo, hash)) in blocks.iter().enumerate().rev() {
            let folded = match acc {
                None => *hash,
                Some(right) => node_hash(hash, &right),
            };
            edge[j] = (*lo, folded);
            acc = Some(folded);
        }
        SizedView { tree, size, edge }
    }

    fn root(&self) -> Hash {
        self.edge.first().map_or_else(empty_root, |(_, h)| *h)
    }

    /// The hash of the node `[lo, hi)` of this tree.
    fn node(&self, lo: u64, hi: u64) -> Hash {
        let width = hi.saturating_sub(lo);
        if width == 0 {
            return empty_root();
        }
        if width.is_power_of_two() && lo % width == 0 {
            return self.tree.block(lo, width.trailing_zeros());
        }
        if hi == self.size {
            if let Ok(j) = self.edge.binary_search_by_key(&lo, |(start, _)| *start) {
                return self.edge[j].1;
            }
        }
        // Not a node of this tree's shape; the proof recursion never asks for one, but answer
        // correctly from the definition rather than fail.
        let k = split(width);
        node_hash(&self.node(lo, lo + k), &self.node(lo + k, hi))
    }

    /// `PATH(m - lo, D[lo:hi])`, appended to `out`.
    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) {
        if hi - lo <= 1 {
            return;
        }
        let k = split(hi - lo);
        if m < lo + k {
            self.path(m, lo, lo + k, out);
            out.push(self.node(lo + k, hi));
        } else {
            self.path(m, lo + k, hi, out);
            out.push(self.node(lo, lo + k));
        }
    }

    /// `SUBPROOF(m, D[lo:hi], b)`, appended to `out`; `m` counts leaves from `lo`.
    fn subproof(&self, m: u64, lo: u64, hi: u64, b: bool, out: &mut Vec<Hash>) {
        let n = hi - lo;
        if m == n {
            if !b {
                out.push(self.node(lo, hi));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, lo, lo + k, b, out);
            out.push(self.node(lo + k, hi));
        } else {
            self.subproof(m - k, lo + k, hi, false, out);
            out.push(self.node(lo, lo + k));
        }
    }
}

/// The rolling root of a tree built leaf by leaf, in O(log n) memory: the hashes of the complete
/// blocks that the current size decomposes into. Verification streams a whole log through this.
#[derive(Debug, Clone, Default)]
pub struct CompactTree {
    size: u64,
    /// Complete blocks, largest (leftmost) first.
    stack: Vec<Hash>,
}

impl CompactTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves pushed.
    pub fn len(&self) -> u64 {
        self.size
    }

    /// True when no leaf was pushed.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut size = self.size;
        // Each trailing one bit of the old size is a block of equal width that merges with the
        // new one, exactly as a binary counter carries.
        while size & 1 == 1 {
            if let Some(left) = self.stack.pop() {
                hash = node_hash(&left, &hash);
            }
            size >>= 1;
        }
        self.stack.push(hash);
        self.size += 1;
    }

    /// The Merkle Tree Hash of the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut blocks = self.stack.iter().rev();
        let Some(last) = blocks.next() else {
            return empty_root();
        };
        blocks.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(text: &str) -> Hash {
        Hash::from_hex(text).unwrap()
    }

    /// The leaf inputs of the Certificate Transparency / Trillian reference tests.
    fn ct_leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|d| leaf_hash(&hex::decode(d).unwrap()))
        .collect()
    }

    /// Their roots for sizes 0..=8.
    const CT_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn empty_tree_hash_is_sha256_of_nothing() {
        assert_eq!(empty_root(), h(CT_ROOTS[0]));
        assert_eq!(mth(&[]), empty_root());
        assert_eq!(MerkleTree::new().root(0).unwrap(), empty_root());
        assert_eq!(CompactTree::new().root(), empty_root());
    }

    #[test]
    fn roots_match_the_ct_reference_vectors() {
        let leaves = ct_leaves();
        let tree = MerkleTree::from_leaves(leaves.clone());
        let mut compact = CompactTree::new();
        for (size, expected) in CT_ROOTS.iter().enumerate() {
            assert_eq!(mth(&leaves[..size]), h(expected), "mth of size {size}");
            assert_eq!(
                tree.root(size as u64).unwrap(),
                h(expected),
                "tree size {size}"
            );
            assert_eq!(compact.root(), h(expected), "compact size {size}");
            if size < leaves.len() {
                compact.push(leaves[size]);
            }
        }
    }

    #[test]
    fn inclusion_proofs_match_the_ct_reference_vectors() {
        // (leaf index, tree size, path) from the CT reference tests (there 1-based leaves).
        let vectors: [(u64, u64, &[&str]); 4] = [
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                3,
                &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
            ),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        let leaves = ct_leaves();
        let tree = MerkleTree::from_leaves(leaves.clone());
        for (index, size, expected) in vectors {
            let proof = tree.inclusion_proof(index, size).unwrap();
            let expected: Vec<Hash> = expected.iter().map(|x| h(x)).collect();
            assert_eq!(proof, expected, "leaf {index} of {size}");
            let root = h(CT_ROOTS[size as usize]);
            assert!(verify_inclusion(
                index,
                size,
                &leaves[index as usize],
                &proof,
                &root
            ));
        }
    }

    #[test]
    fn consistency_proofs_match_the_ct_reference_vectors() {
        let vectors: [(u64, u64, &[&str]); 4] = [
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        let tree = MerkleTree::from_leaves(ct_leaves());
        for (first, second, expected) in vectors {
            let proof = tree.consistency_proof(first, second).unwrap();
            let expected: Vec<Hash> = expected.iter().map(|x| h(x)).collect();
            assert_eq!(proof, expected, "{first} -> {second}");
            assert!(verify_consistency(
                first,
                second,
                &h(CT_ROOTS[first as usize]),
                &h(CT_ROOTS[second as usize]),
                &proof
            ));
        }
    }

    #[test]
    fn bad_arguments_are_errors_not_panics() {
        let tree = MerkleTree::from_leaves(ct_leaves());
        assert_eq!(
            tree.root(9),
            Err(TreeError::SizeTooLarge {
                requested: 9,
                size: 8
            })
        );
        assert!(matches!(
            tree.inclusion_proof(8, 8),
            Err(TreeError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            tree.inclusion_proof(0, 0),
            Err(TreeError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            tree.consistency_proof(5, 4),
            Err(TreeError::FirstAfterSecond { .. })
        ));
        assert!(matches!(
            tree.consistency_proof(1, 9),
            Err(TreeError::SizeTooLarge { .. })
        ));
        assert!(tree.consistency_proof(0, 8).unwrap().is_empty());
        assert!(!verify_inclusion(0, 0, &empty_root(), &[], &empty_root()));
        assert!(!verify_inclusion(
            u64::MAX,
            1,
            &empty_root(),
            &[],
            &empty_root()
        ));
        assert!(!verify_consistency(3, 2, &empty_root(), &empty_root(), &[]));
    }

    #[test]
    fn consistency_with_the_empty_tree() {
        let tree = MerkleTree::from_leaves(ct_leaves());
        let root = tree.root(8).unwrap();
        assert!(verify_consistency(0, 8, &empty_root(), &root, &[]));
        assert!(!verify_consistency(0, 8, &root, &root, &[]));
        assert!(!verify_consistency(0, 8, &empty_root(), &root, &[root]));
    }

    #[test]
    fn truncate_undoes_pushes() {
        let mut tree = MerkleTree::from_leaves(ct_leaves());
        let root5 = tree.root(5).unwrap();
        tree.truncate(5);
        assert_eq!(tree.len(), 5);
        assert_eq!(tree.root(5).unwrap(), root5);
        assert!(tree.root(6).is_err());
        for leaf in &ct_leaves()[5..] {
            tree.push(*leaf);
        }
        assert_eq!(tree.root(8).unwrap(), h(CT_ROOTS[8]));
    }

    #[test]
    fn hashes_serialise_as_lowercase_hex() {
        let json = serde_json::to_string(&h(CT_ROOTS[1])).unwrap();
        assert_eq!(json, format!("\"{}\"", CT_ROOTS[1]));
        let back: Hash = serde_json::from_str(&json.to_uppercase()).unwrap();
        assert_eq!(back, h(CT_ROOTS[1]));
        assert!(serde_json::from_str::<Hash>("\"abc\"").is_err());
    }

    /// `PATH` written straight from RFC 9162 §2.1.3.1 over slices.
    fn naive_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = split(n as u64) as usize;
        if m < k {
            let mut p = naive_path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = naive_path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    /// `SUBPROOF` written straight from RFC 9162 §2.1.4.1 over slices.
    fn naive_subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if b { Vec::new() } else { vec![mth(leaves)] };
        }
        let k = split(n as u64) as usize;
        if m <= k {
            let mut p = naive_subproof(m, &leaves[..k], b);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = naive_subproof(m - k, &leaves[k..], false);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n as u64).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn flip(hash: &Hash, bit: usize) -> Hash {
        let mut out = *hash;
        out.0[(bit / 8) % 32] ^= 1 << (bit % 8);
        out
    }

    #[test]
    fn every_proof_of_small_trees_matches_the_definition() {
        let all = leaves(70);
        let tree = MerkleTree::from_leaves(all.clone());
        for n in 0..=all.len() {
            let root = mth(&all[..n]);
            assert_eq!(tree.root(n as u64).unwrap(), root);
            for m in 0..n {
                let proof = tree.inclusion_proof(m as u64, n as u64).unwrap();
                assert_eq!(proof, naive_path(m, &all[..n]), "PATH({m}, {n})");
                assert!(verify_inclusion(m as u64, n as u64, &all[m], &proof, &root));
            }
            for m in 0..=n {
                let proof = tree.consistency_proof(m as u64, n as u64).unwrap();
                let expected = if m == 0 || m == n {
                    Vec::new()
                } else {
                    naive_subproof(m, &all[..n], true)
                };
                assert_eq!(proof, expected, "PROOF({m}, {n})");
                assert!(verify_consistency(
                    m as u64,
                    n as u64,
                    &mth(&all[..m]),
                    &root,
                    &proof
                ));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        #[test]
        fn incremental_roots_equal_the_recursive_definition(n in 0usize..300) {
            let all = leaves(n);
            let tree = MerkleTree::from_leaves(all.clone());
            let mut compact = CompactTree::new();
            for size in 0..=n {
                if size > 0 {
                    compact.push(all[size - 1]);
                }
                let expected = mth(&all[..size]);
                prop_assert_eq!(tree.root(size as u64).unwrap(), expected);
                prop_assert_eq!(compact.root(), expected);
            }
        }

        #[test]
        fn inclusion_proofs_verify_and_any_flipped_bit_fails(
            n in 1u64..3000,
            index_seed in any::<u64>(),
            bit in 0usize..256,
            which in any::<usize>(),
        ) {
            let all = leaves(n as usize);
            let tree = MerkleTree::from_leaves(all.clone());
            let index = index_seed % n;
            let root = tree.root(n).unwrap();
            let leaf = all[index as usize];
            let proof = tree.inclusion_proof(index, n).unwrap();
            prop_assert_eq!(&proof, &naive_path(index as usize, &all));
            prop_assert!(verify_inclusion(index, n, &leaf, &proof, &root));

            prop_assert!(!verify_inclusion(index, n, &flip(&leaf, bit), &proof, &root));
            prop_assert!(!verify_inclusion(index, n, &leaf, &proof, &flip(&root, bit)));
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let i = which % bad.len();
                bad[i] = flip(&bad[i], bit);
                prop_assert!(!verify_inclusion(index, n, &leaf, &bad, &root));
                // A shortened or lengthened proof fails too.
                prop_assert!(!verify_inclusion(index, n, &leaf, &proof[..proof.len() - 1], &root));
            }
            let mut longer = proof.clone();
            longer.push(root);
            prop_assert!(!verify_inclusion(index, n, &leaf, &longer, &root));
        }

        #[test]
        fn consistency_proofs_verify_and_any_flipped_bit_fails(
            n in 1u64..3000,
            m_seed in any::<u64>(),
            bit in 0usize..256,
            which in any::<usize>(),
        ) {
            let all = leaves(n as usize);
            let tree = MerkleTree::from_leaves(all.clone());
            let m = 1 + m_seed % n;
            let first = tree.root(m).unwrap();
            let second = tree.root(n).unwrap();
            let proof = tree.consistency_proof(m, n).unwrap();
            if m < n {
                prop_assert_eq!(&proof, &naive_subproof(m as usize, &all, true));
            }
            prop_assert!(verify_consistency(m, n, &first, &second, &proof));

            prop_assert!(!verify_consistency(m, n, &flip(&first, bit), &second, &proof));
            prop_assert!(!verify_consistency(m, n, &first, &flip(&second, bit), &proof));
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let i = which % bad.len();
                bad[i] = flip(&bad[i], bit);
                prop_assert!(!verify_consistency(m, n, &first, &second, &bad));
            }
        }
    }
}
