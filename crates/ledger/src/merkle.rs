//! RFC 9162 (Certificate Transparency v2) Merkle tree hashing, proofs and their verification.
//! Pure: no I/O.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The hash of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest(b"").into()
}

/// Largest power of two strictly smaller than `n` (n ≥ 2).
fn split_point(n: u64) -> u64 {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// An append-only tree that keeps, for every level, the hashes of its complete aligned
/// subtrees, so any root or proof for any past size costs O(log² n) hashing at most.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    pub fn new() -> Self {
        Self { levels: vec![Vec::new()] }
    }

    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels.first()?.get(usize::try_from(index).ok()?).copied()
    }

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

    /// Forgets every leaf from `size` on (used when a batch fails to commit).
    pub fn truncate(&mut self, size: u64) {
        for (level, hashes) in self.levels.iter_mut().enumerate() {
            hashes.truncate(usize::try_from(size >> level).unwrap_or(usize::MAX));
        }
    }

    /// MTH of leaves `[start, end)`; the range must be within the tree.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n == 0 {
            return empty_root();
        }
        if n.is_power_of_two() && start % n == 0 {
            let level = n.trailing_zeros() as usize;
            if let Some(h) = self.levels.get(level).and_then(|l| l.get((start >> level) as usize)) {
                return *h;
            }
        }
        let k = split_point(n);
        node_hash(&self.subtree(start, start + k), &self.subtree(start + k, end))
    }

    /// The root of the tree as it was with `size` leaves.
    pub fn root(&self, size: u64) -> Option<Hash> {
        (size <= self.len()).then(|| self.subtree(0, size))
    }

    /// RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.len() {
            return None;
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path);
        Some(path)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m - k, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// RFC 9162 §2.1.4.1 consistency proof between sizes `first` and `second`.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Option<Vec<Hash>> {
        if first == 0 || first > second || second > self.len() {
            return None;
        }
        let mut proof = Vec::new();
        if first < second {
            self.subproof(first, 0, second, true, &mut proof);
        }
        Some(proof)
    }

    fn subproof(&self, m: u64, start: u64, end: u64, complete: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !complete {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, complete, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// RFC 9162 §2.1.3.2: does `leaf` sit at `index` in the tree of `size` with `root`?
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: is the tree (`second`, `second_root`) an extension of
/// (`first`, `first_root`)?
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if first.is_power_of_two() {
        path.insert(0, *first_root);
    }
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let Some((head, rest)) = path.split_first() else { return false };
    let (mut fr, mut sr) = (*head, *head);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && fr == *first_root && sr == *second_root
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The RFC's definition, written as literally as possible, as the reference.
    fn naive_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
            }
        }
    }

    fn tree(n: u64) -> (MerkleTree, Vec<Hash>) {
        let mut t = MerkleTree::new();
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for l in &leaves {
            t.push(*l);
        }
        (t, leaves)
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // The leaf hash of the empty string, as in the CT test vectors.
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn bad_arguments_give_none_not_panics() {
        let (t, _) = tree(5);
        assert!(t.inclusion_proof(5, 5).is_none());
        assert!(t.inclusion_proof(0, 6).is_none());
        assert!(t.consistency_proof(0, 3).is_none());
        assert!(t.consistency_proof(4, 3).is_none());
        assert!(t.root(6).is_none());
    }

    #[test]
    fn truncation_restores_earlier_state() {
        let (mut t, leaves) = tree(13);
        t.truncate(6);
        assert_eq!(t.len(), 6);
        assert_eq!(t.root(6), Some(naive_root(&leaves[..6])));
        t.push(leaves[6]);
        assert_eq!(t.root(7), Some(naive_root(&leaves[..7])));
    }

    proptest! {
        #[test]
        fn roots_match_the_definition(n in 0u64..300, size_seed in 0u64..300) {
            let (t, leaves) = tree(n);
            let size = if n == 0 { 0 } else { size_seed % (n + 1) };
            prop_assert_eq!(t.root(size), Some(naive_root(&leaves[..size as usize])));
        }

        #[test]
        fn inclusion_proofs_verify_and_detect_changes(n in 1u64..300, i_seed in 0u64..300, bit in 0usize..256) {
            let (t, leaves) = tree(n);
            let i = i_seed % n;
            let root = t.root(n).expect("root");
            let path = t.inclusion_proof(i, n).expect("proof");
            prop_assert!(verify_inclusion(i, n, &leaves[i as usize], &path, &root));
            let mut bad_root = root;
            bad_root[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(!verify_inclusion(i, n, &leaves[i as usize], &path, &bad_root));
            let mut bad_leaf = leaves[i as usize];
            bad_leaf[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(!verify_inclusion(i, n, &bad_leaf, &path, &root));
            if !path.is_empty() {
                let mut bad_path = path.clone();
                bad_path[0][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(!verify_inclusion(i, n, &leaves[i as usize], &bad_path, &root));
            }
        }

        #[test]
        fn consistency_proofs_verify_and_detect_changes(n in 1u64..300, m_seed in 0u64..300, bit in 0usize..256) {
            let (t, _) = tree(n);
            let m = 1 + m_seed % n;
            let (r1, r2) = (t.root(m).expect("r1"), t.root(n).expect("r2"));
            let proof = t.consistency_proof(m, n).expect("proof");
            prop_assert!(verify_consistency(m, n, &r1, &r2, &proof));
            let mut bad = r1;
            bad[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(!verify_consistency(m, n, &bad, &r2, &proof));
            if !proof.is_empty() {
                let mut bad_proof = proof.clone();
                let last = bad_proof.len() - 1;
                bad_proof[last][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(!verify_consistency(m, n, &r1, &r2, &bad_proof));
            }
        }
    }
}
