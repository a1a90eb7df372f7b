//! All keys of a running platform, derived from the master key.

use std::fmt;

use crate::{BlindIndex, FieldCipher, LedgerSigner, MasterKey};

/// Label of the field-encryption sub-key.
pub const FIELD_ENCRYPTION_LABEL: &str = "lifehealth/v1/field-encryption";
/// Label of the blind-index sub-key.
pub const BLIND_INDEX_LABEL: &str = "lifehealth/v1/blind-index";
/// Label of the ledger-signing sub-key (the Ed25519 seed).
pub const LEDGER_SIGNING_LABEL: &str = "lifehealth/v1/ledger-signing";
/// Label of the session sub-key (CSRF tokens and other session MACs).
pub const SESSION_LABEL: &str = "lifehealth/v1/session";

/// The public, fixed master key of [`Keyring::for_tests`].
const TEST_MASTER_KEY: [u8; 32] = [7u8; 32];

/// Every key the platform uses, each derived from the one master key under its own label.
/// `Debug` shows no key material.
pub struct Keyring {
    /// Encrypts personal identifiers at rest.
    pub cipher: FieldCipher,
    /// Indexes them for exact look-up.
    pub blind_index: BlindIndex,
    /// Signs the ledger's tree heads.
    pub ledger: LedgerSigner,
    session: [u8; 32],
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("ledger", &self.ledger)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Derives every key from `master`.
    pub fn from_master(master: &MasterKey) -> Self {
        Keyring {
            cipher: FieldCipher::new(&master.derive(FIELD_ENCRYPTION_LABEL)),
            blind_index: BlindIndex::new(master.derive(BLIND_INDEX_LABEL)),
            ledger: LedgerSigner::new(&master.derive(LEDGER_SIGNING_LABEL)),
            session: master.derive(SESSION_LABEL),
        }
    }

    /// The secret for CSRF tokens and other session MACs.
    pub fn session_secret(&self) -> &[u8; 32] {
        &self.session
    }

    /// A deterministic keyring for tests only. Its master key is public (it is in this source
    /// file), so anything it protects is protected from no one: never use it for real data.
    pub fn for_tests() -> Self {
        Self::from_master(&MasterKey::from_bytes(TEST_MASTER_KEY))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::verify;

    #[test]
    fn the_test_keyring_is_deterministic_and_works_end_to_end() {
        let a = Keyring::for_tests();
        let b = Keyring::for_tests();
        let sealed = a.cipher.encrypt("13812345678", "users.mobile");
        assert_eq!(
            b.cipher.decrypt(&sealed, "users.mobile").unwrap(),
            "13812345678"
        );
        assert_eq!(
            a.blind_index.compute("users.mobile", "13812345678"),
            b.blind_index.compute("users.mobile", "13812345678")
        );
        assert_eq!(a.session_secret(), b.session_secret());
        assert_eq!(a.ledger.public_key(), b.ledger.public_key());
        assert!(verify(
            &b.ledger.public_key(),
            b"head",
            &a.ledger.sign(b"head")
        ));
    }

    #[test]
    fn sub_keys_are_the_documented_derivations() {
        let master = MasterKey::from_bytes(TEST_MASTER_KEY);
        let keys = Keyring::from_master(&master);
        assert_eq!(
            keys.session_secret(),
            &master.derive("lifehealth/v1/session")
        );
        assert_eq!(
            keys.ledger.public_key(),
            LedgerSigner::new(&master.derive("lifehealth/v1/ledger-signing")).public_key()
        );
        assert_eq!(
            keys.blind_index.compute("c", "v"),
            BlindIndex::new(master.derive("lifehealth/v1/blind-index")).compute("c", "v")
        );
        let sealed = keys.cipher.encrypt("x", "c");
        let direct = FieldCipher::new(&master.derive("lifehealth/v1/field-encryption"));
        assert_eq!(direct.decrypt(&sealed, "c").unwrap(), "x");
    }

    #[test]
    fn pinned_outputs_of_the_test_keyring() {
        // Frozen so a change to derivation is noticed: it would orphan stored data. Both were
        // reproduced independently with Python's hmac and `cryptography` Ed25519.
        let keys = Keyring::for_tests();
        assert_eq!(
            keys.blind_index.compute("users.mobile", "13812345678"),
            PINNED_INDEX
        );
        assert_eq!(hex::encode(keys.ledger.public_key()), PINNED_PUBLIC_KEY);
    }

    const PINNED_INDEX: &str = "9468d50e035cdc99dabe91a1fb703005";
    const PINNED_PUBLIC_KEY: &str =
        "de410fa32111270e053188edf56dbe7b75f82abf85ad884ba08905d04094a170";

    #[test]
    fn different_masters_give_unrelated_keys() {
        let a = Keyring::for_tests();
        let b = Keyring::from_master(&MasterKey::from_bytes([8u8; 32]));
        assert_ne!(a.session_secret(), b.session_secret());
        assert_ne!(a.ledger.public_key(), b.ledger.public_key());
        assert_ne!(
            a.blind_index.compute("users.mobile", "13812345678"),
            b.blind_index.compute("users.mobile", "13812345678")
        );
        let sealed = a.cipher.encrypt("x", "c");
        assert!(b.cipher.decrypt(&sealed, "c").is_err());
        let shown = format!("{a:?}");
        assert!(shown.starts_with("Keyring") && !shown.contains("session"));
    }
}
