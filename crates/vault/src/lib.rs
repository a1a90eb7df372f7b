//! Key material and field encryption. Every key derives from one master secret that comes
//! from the environment (`LIFEHEALTH_MASTER_KEY`, base64 of 32 bytes) or a private key file
//! outside the repository, never from source control.
//!
//! - [`MasterKey`]: loads (or, for the demo, creates) the master secret; derives sub-keys
//!   as HMAC-SHA256(master, label).
//! - [`FieldCipher`]: XChaCha20-Poly1305 for personal identifiers at rest, bound to a context
//!   (table and column) so a ciphertext cannot be moved to another field.
//! - [`BlindIndex`]: keyed HMAC-SHA256 for exact look-up of encrypted values.
//! - [`LedgerSigner`] and [`verify`]: Ed25519 for the ledger's tree heads.
//! - [`Keyring`]: all of the above, built from one [`MasterKey`].

mod blind_index;
mod cipher;
mod keyring;
mod mac;
mod master_key;
mod signer;

pub use blind_index::BlindIndex;
pub use cipher::{FieldCipher, VaultError};
pub use keyring::{
    BLIND_INDEX_LABEL, FIELD_ENCRYPTION_LABEL, Keyring, LEDGER_SIGNING_LABEL, SESSION_LABEL,
};
pub use master_key::{MASTER_KEY_ENV, MasterKey, MasterKeyError};
pub use signer::{LedgerSigner, verify};
