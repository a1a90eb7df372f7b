//! Doctors' electronic signatures on prescriptions: one Ed25519 key pair per doctor, the
//! secret sealed with the platform's field cipher, the public key in clear so anyone holding
//! a prescription's canonical form can verify it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use kernel::UtcMillis;
use store::sqlx::{self, Row};

use crate::error::{ClinicError, Result};
use crate::service::Clinic;

fn sealing_context(key_id: &str) -> String {
    format!("clinic.signing_key:{key_id}")
}

impl Clinic {
    /// Signs `message` with `doctor_id`'s key (made on first use); returns the key id and the
    /// signature in base64.
    pub(crate) async fn sign_as(
        &self,
        doctor_id: &str,
        message: &[u8],
    ) -> Result<(String, String)> {
        let (key_id, key) = match self.current_key(doctor_id).await? {
            Some(found) => found,
            None => self.new_key(doctor_id).await?,
        };
        Ok((key_id, STANDARD.encode(key.sign(message).to_bytes())))
    }

    /// Whether `signature` (base64) is the signature of `message` by key `key_id`.
    pub async fn verify_signature(
        &self,
        key_id: &str,
        message: &[u8],
        signature: &str,
    ) -> Result<bool> {
        let Some(public) = self.public_key(key_id).await? else {
            return Ok(false);
        };
        let Ok(bytes) = STANDARD.decode(signature) else {
            return Ok(false);
        };
        let Ok(signature) = Signature::from_slice(&bytes) else {
            return Ok(false);
        };
        Ok(public.verify(message, &signature).is_ok())
    }

    /// A signing key's public half.
    pub async fn public_key(&self, key_id: &str) -> Result<Option<VerifyingKey>> {
        let row = sqlx::query("SELECT public_key FROM clinic_signing_keys WHERE key_id = $1")
            .bind(key_id)
            .fetch_optional(self.db.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let text: String = row.try_get(0)?;
        let bytes: [u8; 32] = hex::decode(&text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| ClinicError::Corrupt(format!("public key {key_id}")))?;
        VerifyingKey::from_bytes(&bytes)
            .map(Some)
            .map_err(|_| ClinicError::Corrupt(format!("public key {key_id}")))
    }

    async fn current_key(&self, doctor_id: &str) -> Result<Option<(String, SigningKey)>> {
        let row = sqlx::query(
            "SELECT key_id, secret_enc FROM clinic_signing_keys WHERE user_id = $1 \
             ORDER BY created_at DESC, key_id DESC LIMIT 1",
        )
        .bind(doctor_id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let key_id: String = row.try_get(0)?;
        let sealed: String = row.try_get(1)?;
        let secret = self
            .keys
            .cipher
            .decrypt(&sealed, &sealing_context(&key_id))
            .map_err(|e| ClinicError::Corrupt(format!("signing key {key_id}: {e}")))?;
        let bytes: [u8; 32] = hex::decode(secret)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| ClinicError::Corrupt(format!("signing key {key_id}")))?;
        Ok(Some((key_id, SigningKey::from_bytes(&bytes))))
    }

    async fn new_key(&self, doctor_id: &str) -> Result<(String, SigningKey)> {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let key_id = kernel::Id::new().to_string();
        let sealed = self
            .keys
            .cipher
            .encrypt(&hex::encode(key.to_bytes()), &sealing_context(&key_id));
        sqlx::query(
            "INSERT INTO clinic_signing_keys (key_id, user_id, public_key, secret_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key_id)
        .bind(doctor_id)
        .bind(hex::encode(key.verifying_key().to_bytes()))
        .bind(sealed)
        .bind(UtcMillis::now().0)
        .execute(self.db.pool())
        .await?;
        Ok((key_id, key))
    }
}
