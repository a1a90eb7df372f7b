//! Keyed, deterministic indexes of personal identifiers, for exact look-up without
//! decryption.

use std::fmt;

use crate::mac::hmac_sha256;

/// Bytes of the HMAC kept.
const INDEX_BYTES: usize = 16;

/// HMAC-SHA256(blind-index key, context ‖ 0x00 ‖ value), truncated to 16 bytes and written as
/// 32 lower-case hex characters.
///
/// The same value in the same context always gives the same index, so a UNIQUE or plain
/// index on the column finds a person by phone or ID number; a different context gives an
/// unrelated index, so the columns cannot be joined on it.
///
/// Trade-offs, on purpose:
/// - 128 bits: the chance that any two of the city's ~10 million residents collide is about
///   n²/2¹²⁹ ≈ 10⁻²⁵, while the index column stays half the size of full SHA-256.
///   Truncation hides nothing, though: equal values still show as equal indexes.
/// - The key is what protects the index. Phone and ID numbers have few possible values,
///   so whoever holds this key (not the database alone) can recover them by trying all.
///   That is why it is a separate sub-key from the encryption key.
pub struct BlindIndex([u8; 32]);

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndex(..)")
    }
}

impl BlindIndex {
    /// An index under a 32-byte key (the blind-index sub-key).
    pub fn new(key: [u8; 32]) -> Self {
        BlindIndex(key)
    }

    /// The index of `value` in `context` (e.g. `"users.mobile"`).
    ///
    /// `value` should be the canonical form of its kernel type (`MobileNumber::as_str`,
    /// `ResidentIdNumber::as_str`); surrounding whitespace is ignored here so a stray space
    /// never splits one person into two. `context` is a constant of the calling code and
    /// must not contain NUL, the separator.
    pub fn compute(&self, context: &str, value: &str) -> String {
        debug_assert!(
            !context.contains('\0'),
            "a blind index context contains NUL"
        );
        let mac = hmac_sha256(
            &self.0,
            &[context.as_bytes(), &[0], value.trim().as_bytes()],
        );
        hex::encode(&mac[..INDEX_BYTES])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::hmac_sha256;
    use proptest::prelude::*;

    fn index() -> BlindIndex {
        BlindIndex::new([7u8; 32])
    }

    #[test]
    fn the_construction_is_the_documented_one() {
        let full = hmac_sha256(&[7u8; 32], &[b"users.mobile\x0013812345678"]);
        assert_eq!(
            index().compute("users.mobile", "13812345678"),
            hex::encode(&full[..16])
        );
    }

    #[test]
    fn deterministic_and_separated() {
        let b = index();
        let x = b.compute("users.mobile", "13812345678");
        assert_eq!(x.len(), 32);
        assert!(
            x.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert_eq!(x, b.compute("users.mobile", "13812345678"));
        assert_eq!(x, b.compute("users.mobile", " 13812345678\n"));
        assert_ne!(x, b.compute("residents.mobile", "13812345678"));
        assert_ne!(x, b.compute("users.mobile", "13812345679"));
        assert_ne!(
            x,
            BlindIndex::new([8u8; 32]).compute("users.mobile", "13812345678")
        );
    }

    #[test]
    fn the_separator_keeps_context_and_value_apart() {
        let b = index();
        assert_ne!(
            b.compute("users.mobile1", "3812345678"),
            b.compute("users.mobile", "13812345678")
        );
    }

    proptest! {
        #[test]
        fn equal_inputs_give_equal_indexes_and_different_values_differ(a in "[0-9]{11}", b in "[0-9]{11}") {
            let i = index();
            prop_assert_eq!(i.compute("c", &a), i.compute("c", &a));
            prop_assert_eq!(i.compute("c", &a) == i.compute("c", &b), a == b);
        }
    }
}
