//! Key material. Every key derives from one master secret that comes from the environment
//! (`LIFEHEALTH_MASTER_KEY`, base64 of 32 bytes) or a key file outside the repository, never
//! from source control.
//!
//! - [`FieldCipher`]: XChaCha20-Poly1305 for personal identifiers at rest, bound to a context
//!   (table and column) so a ciphertext cannot be moved to another field.
//! - [`BlindIndex`]: keyed HMAC-SHA256 for exact look-up of encrypted values.
//! - [`LedgerSigner`]: Ed25519 key that signs the ledger's tree heads.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

pub const MASTER_KEY_ENV: &str = "LIFEHEALTH_MASTER_KEY";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the master key must be 32 bytes encoded in base64; found {0} bytes")]
    WrongLength(usize),
    #[error("the master key is not valid base64")]
    BadBase64,
    #[error("cannot read or write the key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the key file {path} can be read by other users (mode {mode:o}); run `chmod 600 {path}`")]
    TooOpen { path: String, mode: u32 },
    #[error("a protected value is not in a known format (expected `v1.`)")]
    UnknownFormat,
    #[error("a protected value failed authentication: it was altered, or belongs to another field or key")]
    Tampered,
}

/// The one secret all keys derive from. `Debug` never shows it.
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn from_base64(text: &str) -> Result<Self, VaultError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| VaultError::BadBase64)?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| VaultError::WrongLength(bytes.len()))?;
        Ok(MasterKey(key))
    }

    /// The key from `LIFEHEALTH_MASTER_KEY` if set, else from the file at `path`.
    pub fn load(path: &Path) -> Result<Self, VaultError> {
        if let Ok(text) = std::env::var(MASTER_KEY_ENV) {
            return Self::from_base64(&text);
        }
        let io = |source| VaultError::Io { path: path.display().to_string(), source };
        refuse_open_permissions(path)?;
        Self::from_base64(&std::fs::read_to_string(path).map_err(io)?)
    }

    /// Like [`MasterKey::load`], but creates the file (mode 0600) with a fresh random key when
    /// neither the variable nor the file exists.
    pub fn load_or_create(path: &Path) -> Result<Self, VaultError> {
        if std::env::var(MASTER_KEY_ENV).is_ok() || path.exists() {
            return Self::load(path);
        }
        let io = |source| VaultError::Io { path: path.display().to_string(), source };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        write_private(path, format!("{}\n", STANDARD.encode(key)).as_bytes()).map_err(io)?;
        Ok(MasterKey(key))
    }

    /// A 32-byte sub-key for `label` (HMAC-SHA256 as a PRF).
    pub fn derive(&self, label: &str) -> [u8; 32] {
        hmac_sha256(&self.0, &[label.as_bytes()])
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(unix)]
fn refuse_open_permissions(path: &Path) -> Result<(), VaultError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| VaultError::Io { path: path.display().to_string(), source })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(VaultError::TooOpen { path: path.display().to_string(), mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_open_permissions(_: &Path) -> Result<(), VaultError> {
    Ok(())
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Authenticated encryption of short text fields.
pub struct FieldCipher(XChaCha20Poly1305);

impl FieldCipher {
    pub fn new(key: &[u8; 32]) -> Self {
        FieldCipher(XChaCha20Poly1305::new(key.into()))
    }

    /// `v1.` + base64url(nonce ‖ ciphertext); `context` (e.g. `users.mobile`) is bound in.
    pub fn encrypt(&self, plaintext: &str, context: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() };
        // Encryption fails only for messages beyond 256 GiB; fields are tiny.
        let sealed = self.0.encrypt(XNonce::from_slice(&nonce), payload).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("v1.{}", URL_SAFE_NO_PAD.encode(out))
    }

    pub fn decrypt(&self, stored: &str, context: &str) -> Result<String, VaultError> {
        let body = stored.strip_prefix("v1.").ok_or(VaultError::UnknownFormat)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| VaultError::Tampered)?;
        if bytes.len() < 24 + 16 {
            return Err(VaultError::Tampered);
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self
            .0
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: context.as_bytes() })
            .map_err(|_| VaultError::Tampered)?;
        String::from_utf8(plain).map_err(|_| VaultError::Tampered)
    }
}

/// Deterministic keyed index of a value, for exact look-up without decryption. Truncated to
/// 128 bits: collisions stay negligible for a city's population while the index stays small.
pub struct BlindIndex([u8; 32]);

impl BlindIndex {
    pub fn new(key: [u8; 32]) -> Self {
        BlindIndex(key)
    }

    pub fn compute(&self, context: &str, value: &str) -> String {
        let mac = hmac_sha256(&self.0, &[context.as_bytes(), &[0], value.trim().as_bytes()]);
        mac[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The Ed25519 key that signs ledger tree heads.
pub struct LedgerSigner(ed25519_dalek::SigningKey);

impl LedgerSigner {
    pub fn signing_key(&self) -> ed25519_dalek::SigningKey {
        self.0.clone()
    }

    pub fn verifying_key(&self) -> ed25519_dalek::VerifyingKey {
        self.0.verifying_key()
    }
}

/// All keys of a running platform.
pub struct Keyring {
    pub cipher: FieldCipher,
    pub blind_index: BlindIndex,
    pub ledger: LedgerSigner,
    session: [u8; 32],
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keyring(..)")
    }
}

impl Keyring {
    pub fn from_master(master: &MasterKey) -> Self {
        Keyring {
            cipher: FieldCipher::new(&master.derive("lifehealth/v1/field-encryption")),
            blind_index: BlindIndex::new(master.derive("lifehealth/v1/blind-index")),
            ledger: LedgerSigner(ed25519_dalek::SigningKey::from_bytes(&master.derive("lifehealth/v1/ledger-signing"))),
            session: master.derive("lifehealth/v1/session"),
        }
    }

    /// The key for CSRF tokens and other session MACs.
    pub fn session_secret(&self) -> &[u8; 32] {
        &self.session
    }

    /// A fixed keyring for tests only: its master key is public, in this source file.
    pub fn for_tests() -> Self {
        Self::from_master(&MasterKey([7u8; 32]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encryption_round_trips_and_binds_its_context() {
        let keys = Keyring::for_tests();
        let a = keys.cipher.encrypt("13812345678", "users.mobile");
        let b = keys.cipher.encrypt("13812345678", "users.mobile");
        assert_ne!(a, b, "fresh nonce each time");
        assert!(!a.contains("13812345678"));
        assert_eq!(keys.cipher.decrypt(&a, "users.mobile").expect("decrypts"), "13812345678");
        assert!(matches!(keys.cipher.decrypt(&a, "residents.id_number"), Err(VaultError::Tampered)));
        let mut flipped = a.clone().into_bytes();
        let last = flipped.len() - 3;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        assert!(keys.cipher.decrypt(&String::from_utf8(flipped).expect("ascii"), "users.mobile").is_err());
        assert!(matches!(keys.cipher.decrypt("v2.abc", "users.mobile"), Err(VaultError::UnknownFormat)));
        let other = Keyring::from_master(&MasterKey([8u8; 32]));
        assert!(other.cipher.decrypt(&a, "users.mobile").is_err());
    }

    #[test]
    fn blind_indexes_are_deterministic_and_separated() {
        let keys = Keyring::for_tests();
        let x = keys.blind_index.compute("users.mobile", "13812345678");
        assert_eq!(x, keys.blind_index.compute("users.mobile", " 13812345678 "));
        assert_eq!(x.len(), 32);
        assert_ne!(x, keys.blind_index.compute("residents.mobile", "13812345678"));
        assert_ne!(x, keys.blind_index.compute("users.mobile", "13812345679"));
    }

    #[test]
    fn key_files_are_created_private_and_open_ones_refused() {
        let dir = std::env::temp_dir().join(format!("lh-vault-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("keys/master.key");
        let created = MasterKey::load_or_create(&path).expect("created");
        let loaded = MasterKey::load(&path).expect("loaded");
        assert_eq!(created.derive("x"), loaded.derive("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            assert!(matches!(MasterKey::load(&path), Err(VaultError::TooOpen { .. })));
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(matches!(MasterKey::from_base64("c2hvcnQ="), Err(VaultError::WrongLength(5))));
        assert!(matches!(MasterKey::from_base64("***"), Err(VaultError::BadBase64)));
    }

    #[test]
    fn sub_keys_differ_by_label() {
        let m = MasterKey([1u8; 32]);
        assert_ne!(m.derive("a"), m.derive("b"));
        assert!(!format!("{m:?}").contains('1'));
    }

    proptest! {
        #[test]
        fn any_text_round_trips(text in "\\PC{0,64}", context in "[a-z.]{1,20}") {
            let keys = Keyring::for_tests();
            let sealed = keys.cipher.encrypt(&text, &context);
            prop_assert_eq!(keys.cipher.decrypt(&sealed, &context).expect("decrypts"), text);
        }
    }
}
