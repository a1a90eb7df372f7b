//! A device's credential: one random secret, shown once when the device is registered.
//!
//! Over HTTP the device sends it as `Authorization: Bearer lhd_...`; the platform stores only
//! its SHA-256 (as `access` does for `lht_` machine tokens) and finds the device by that hash.
//! Over MQTT the broker is anonymous, so the secret never travels: the device signs each
//! message with HMAC-SHA256 keyed by the secret, and the platform, which keeps the secret
//! encrypted with the vault's field cipher, checks the signature.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// Every device credential starts with this, so a leaked one is recognisable in logs and
/// scanners, and is never confused with a user's `lht_` token.
pub const CREDENTIAL_PREFIX: &str = "lhd_";

/// First line of an MQTT message: `sig=` and the HMAC-SHA256 of the rest, in lower-case hex.
pub const SIGNATURE_PREFIX: &str = "sig=";

/// A fresh credential: the prefix and 32 random bytes, URL-safe base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{CREDENTIAL_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored to find a device by its credential.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// HMAC-SHA256 of `body` under `secret`, lower-case hex.
pub fn sign(secret: &str, body: &[u8]) -> String {
    hex::encode(mac(secret, body).finalize().into_bytes())
}

fn mac(secret: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    mac
}

/// Whether `signature` (hex) is the HMAC of `body` under `secret`, compared in constant time.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(bytes) = hex::decode(signature.trim()) else {
        return false;
    };
    mac(secret, body).verify_slice(&bytes).is_ok()
}

/// An MQTT message as a device publishes it: `sig=<hex>\n` then the batch.
pub fn signed_message(secret: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{SIGNATURE_PREFIX}{}\n", sign(secret, body)).into_bytes();
    message.extend_from_slice(body);
    message
}

/// Splits an MQTT message into its signature and its batch; `None` if the first line is not
/// a signature.
pub fn split_signed(message: &[u8]) -> Option<(&str, &[u8])> {
    let newline = message.iter().position(|b| *b == b'\n')?;
    let first = std::str::from_utf8(&message[..newline]).ok()?;
    let signature = first
        .trim_end_matches('\r')
        .strip_prefix(SIGNATURE_PREFIX)?;
    Some((signature, &message[newline + 1..]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_and_hashed() {
        let a = new_secret();
        let b = new_secret();
        assert!(a.starts_with("lhd_") && a.len() == 4 + 43, "{a}");
        assert_ne!(a, b);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
    }

    #[test]
    fn signatures_verify_only_for_the_same_secret_and_body() {
        let secret = new_secret();
        let message = signed_message(&secret, b"[1]");
        let (sig, body) = split_signed(&message).unwrap();
        assert_eq!(body, b"[1]");
        assert!(verify(&secret, body, sig));
        assert!(!verify(&secret, b"[2]", sig));
        assert!(!verify(&new_secret(), body, sig));
        assert!(!verify(&secret, body, "zz"));
        assert_eq!(split_signed(b"[1]\n"), None);
        assert_eq!(split_signed(b"no newline"), None);
    }
}
