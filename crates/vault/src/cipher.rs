//! Authenticated encryption of personal identifiers at rest, bound to their field.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

/// Prefix of the current format. A future key or algorithm gets `v2.`, so old and new
/// values can live side by side during a rotation.
const VERSION_PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Why a protected value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The text does not start with a version this build knows (`v1.`): it is from a newer
    /// release, or was never encrypted.
    #[error("a protected value is not in a known format (expected the `v1.` prefix)")]
    UnknownVersion,
    /// The body is not base64url, or too short to hold a nonce and a tag: the text was
    /// truncated or altered in storage.
    #[error(
        "a protected value is malformed: its body is not base64url of a nonce, ciphertext and tag"
    )]
    Malformed,
    /// The authentication tag does not match. An AEAD cannot tell the causes apart, by design:
    /// the ciphertext was altered, or it belongs to another field (context), or it was sealed
    /// under another key.
    #[error(
        "a protected value failed authentication: it was altered, or belongs to another field, or was sealed under another key"
    )]
    AuthenticationFailed,
}

/// XChaCha20-Poly1305 for short text fields. Each value gets a random 192-bit nonce (safe to
/// draw at random for any number of messages), and the caller's context, such as
/// `"resident.id_number"`, is bound in as associated data so a ciphertext copied into another
/// column does not open there.
///
/// Stored form: `v1.` + base64url without padding of (nonce ‖ ciphertext ‖ tag), plain ASCII
/// that fits a TEXT column in SQLite and PostgreSQL alike. Its length is
/// `3 + ⌈4 × (40 + n) / 3⌉` for a plaintext of `n` bytes.
pub struct FieldCipher(XChaCha20Poly1305);

impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FieldCipher(..)")
    }
}

impl FieldCipher {
    /// A cipher under a 32-byte key (the field-encryption sub-key).
    pub fn new(key: &[u8; 32]) -> Self {
        FieldCipher(XChaCha20Poly1305::new(key.into()))
    }

    /// Encrypts `plaintext` for the field named by `context`.
    ///
    /// # Panics
    ///
    /// Only for a plaintext of 256 GiB or more, the algorithm's limit; fields are a few
    /// dozen bytes.
    pub fn encrypt(&self, plaintext: &str, context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        // The thread's CSPRNG (ChaCha, seeded and reseeded from the OS): a system call per
        // value, as `OsRng` makes, was measurable on bulk ingest. 192-bit random nonces do
        // not collide.
        rand::thread_rng().fill_bytes(&mut nonce);
        self.seal(&nonce, plaintext, context)
    }

    /// Opens a value made by [`FieldCipher::encrypt`] with the same key and `context`.
    pub fn decrypt(&self, stored: &str, context: &str) -> Result<String, VaultError> {
        let body = stored
            .strip_prefix(VERSION_PREFIX)
            .ok_or(VaultError::UnknownVersion)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| VaultError::Malformed)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(VaultError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: sealed,
            aad: context.as_bytes(),
        };
        let plain = self
            .0
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| VaultError::AuthenticationFailed)?;
        // Authentic bytes were UTF-8 when sealed (`encrypt` takes `&str`).
        String::from_utf8(plain).map_err(|_| VaultError::Malformed)
    }

    fn seal(&self, nonce: &[u8; NONCE_LEN], plaintext: &str, context: &str) -> String {
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context.as_bytes(),
        };
        let sealed = self
            .0
            .encrypt(XNonce::from_slice(nonce), payload)
            .unwrap_or_else(|_| panic!("XChaCha20-Poly1305 refuses plaintexts of 256 GiB or more"));
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(nonce);
        out.extend_from_slice(&sealed);
        format!("{VERSION_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CONTEXT: &str = "resident.id_number";

    fn cipher() -> FieldCipher {
        FieldCipher::new(&[7u8; 32])
    }

    /// Decodes, lets `change` alter the raw bytes, and re-encodes.
    fn altered(stored: &str, change: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut bytes = URL_SAFE_NO_PAD.decode(&stored[3..]).unwrap();
        change(&mut bytes);
        format!("v1.{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    #[test]
    fn round_trip_with_a_fresh_nonce_each_time() {
        let c = cipher();
        let a = c.encrypt("11010519491231002X", CONTEXT);
        let b = c.encrypt("11010519491231002X", CONTEXT);
        assert_ne!(a, b, "fresh nonce each time");
        assert!(a.starts_with("v1.") && !a.contains("1101051949"));
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        );
        assert_eq!(a.len(), 3 + (4 * (40 + 18) as usize).div_ceil(3));
        assert_eq!(c.decrypt(&a, CONTEXT).unwrap(), "11010519491231002X");
        assert_eq!(c.decrypt(&b, CONTEXT).unwrap(), "11010519491231002X");
        assert_eq!(c.decrypt(&c.encrypt("", CONTEXT), CONTEXT).unwrap(), "");
    }

    #[test]
    fn the_format_is_pinned() {
        // A fixed key and nonce give a fixed text; if this changes, stored data no longer
        // opens, so the change needs a new version prefix. The expected text was reproduced
        // independently (Python `cryptography`'s ChaCha20-Poly1305 with an HChaCha20 sub-key,
        // the construction of draft-irtf-cfrg-xchacha).
        let c = cipher();
        let stored = c.seal(&[9u8; NONCE_LEN], "13812345678", "users.mobile");
        assert_eq!(stored, PINNED);
        assert_eq!(c.decrypt(PINNED, "users.mobile").unwrap(), "13812345678");
    }

    const PINNED: &str = "v1.CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJj0Hau06ZTVfCJTAdWUQNDf528dA8CmhUpMT5";

    #[test]
    fn any_flipped_byte_is_detected() {
        let c = cipher();
        let stored = c.encrypt("13812345678", CONTEXT);
        let len = URL_SAFE_NO_PAD.decode(&stored[3..]).unwrap().len();
        for i in 0..len {
            let tampered = altered(&stored, |b| b[i] ^= 0x01);
            assert_eq!(
                c.decrypt(&tampered, CONTEXT),
                Err(VaultError::AuthenticationFailed),
                "byte {i}"
            );
        }
    }

    #[test]
    fn another_context_or_key_does_not_open_it() {
        let c = cipher();
        let stored = c.encrypt("13812345678", "users.mobile");
        assert_eq!(
            c.decrypt(&stored, "residents.mobile"),
            Err(VaultError::AuthenticationFailed)
        );
        assert_eq!(
            c.decrypt(&stored, ""),
            Err(VaultError::AuthenticationFailed)
        );
        let other = FieldCipher::new(&[8u8; 32]);
        assert_eq!(
            other.decrypt(&stored, "users.mobile"),
            Err(VaultError::AuthenticationFailed)
        );
    }

    #[test]
    fn structural_damage_and_unknown_versions_are_told_apart() {
        let c = cipher();
        let stored = c.encrypt("13812345678", CONTEXT);
        assert_eq!(
            c.decrypt(&stored.replacen("v1.", "v2.", 1), CONTEXT),
            Err(VaultError::UnknownVersion)
        );
        assert_eq!(
            c.decrypt("13812345678", CONTEXT),
            Err(VaultError::UnknownVersion)
        );
        assert_eq!(c.decrypt("", CONTEXT), Err(VaultError::UnknownVersion));
        assert_eq!(c.decrypt("v1.", CONTEXT), Err(VaultError::Malformed));
        assert_eq!(c.decrypt("v1.***", CONTEXT), Err(VaultError::Malformed));
        assert_eq!(
            c.decrypt(&format!("{stored}="), CONTEXT),
            Err(VaultError::Malformed)
        );
        let truncated = altered(&stored, |b| b.truncate(NONCE_LEN + TAG_LEN - 1));
        assert_eq!(c.decrypt(&truncated, CONTEXT), Err(VaultError::Malformed));
        let shortened = altered(&stored, |b| b.truncate(b.len() - 1));
        assert_eq!(
            c.decrypt(&shortened, CONTEXT),
            Err(VaultError::AuthenticationFailed)
        );
    }

    proptest! {
        #[test]
        fn any_text_round_trips(text in "\\PC{0,64}", context in "[a-z_.]{1,24}") {
            let c = cipher();
            let sealed = c.encrypt(&text, &context);
            prop_assert_eq!(c.decrypt(&sealed, &context).unwrap(), text);
        }

        #[test]
        fn arbitrary_stored_text_never_panics(stored in "(v1\\.)?[A-Za-z0-9_=-]{0,80}") {
            let _ = cipher().decrypt(&stored, CONTEXT);
        }
    }
}
