//! The Ed25519 key that signs the ledger's tree heads.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// Signs ledger tree heads with Ed25519. The key is deterministic from its 32-byte seed (the
/// ledger-signing sub-key), so the public key stays the same across restarts and machines
/// sharing the master key.
pub struct LedgerSigner(SigningKey);

impl fmt::Debug for LedgerSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The public half is safe to show and helps tell keys apart.
        write!(f, "LedgerSigner(public {})", hex::encode(self.public_key()))
    }
}

impl LedgerSigner {
    /// The signer for a 32-byte Ed25519 seed (RFC 8032 secret key).
    pub fn new(seed: &[u8; 32]) -> Self {
        LedgerSigner(SigningKey::from_bytes(seed))
    }

    /// The 64-byte Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// The 32-byte public key, for publishing and for [`verify`].
    pub fn public_key(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// The public key as the `ed25519_dalek` type the ledger crate takes.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.0.verifying_key()
    }

    /// A copy of the signing key for the ledger crate's writer, which signs as it commits.
    pub fn signing_key(&self) -> SigningKey {
        self.0.clone()
    }
}

/// Whether `signature` is a valid Ed25519 signature of `message` under `public_key`. Uses
/// strict verification (rejects small-order keys and non-canonical signatures), so a
/// signature cannot be altered into another that also verifies.
pub fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(signature))
        .is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn bytes<const N: usize>(hex_text: &str) -> [u8; N] {
        hex::decode(hex_text).unwrap().try_into().unwrap()
    }

    #[test]
    fn rfc_8032_test_1() {
        let signer = LedgerSigner::new(&bytes(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        ));
        let public: [u8; 32] =
            bytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let signature: [u8; 64] = bytes(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        );
        assert_eq!(signer.public_key(), public);
        assert_eq!(signer.verifying_key().to_bytes(), public);
        assert_eq!(signer.sign(b""), signature);
        assert!(verify(&public, b"", &signature));
    }

    #[test]
    fn altered_messages_signatures_and_keys_fail() {
        let signer = LedgerSigner::new(&[3u8; 32]);
        let message = b"tree head 42";
        let signature = signer.sign(message);
        let public = signer.public_key();
        assert!(verify(&public, message, &signature));
        assert!(!verify(&public, b"tree head 43", &signature));
        let mut bad = signature;
        bad[10] ^= 1;
        assert!(!verify(&public, message, &bad));
        assert!(!verify(
            &LedgerSigner::new(&[4u8; 32]).public_key(),
            message,
            &signature
        ));
        // Not a curve point, and the identity (small order): refused, not a panic.
        assert!(!verify(&[0xff; 32], message, &signature));
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(!verify(&identity, message, &signature));
    }

    #[test]
    fn the_signing_key_handed_to_the_ledger_is_the_same_key() {
        let signer = LedgerSigner::new(&[5u8; 32]);
        let signature = signer.signing_key().sign(b"m").to_bytes();
        assert!(verify(&signer.public_key(), b"m", &signature));
        assert!(format!("{signer:?}").contains(&hex::encode(signer.public_key())));
    }
}
