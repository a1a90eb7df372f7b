//! Registering devices, binding them to residents, revoking them, and recognising them by
//! their credential. Who may do each is decided by the caller (`access::authorize`: the
//! resident's doctor or the resident); every change records the actor.

use store::sqlx::{self, Row, any::AnyRow};

use crate::credential;
use crate::error::{AuthError, DevicesError};
use crate::reading::BoundDevice;
use crate::{Devices, now};

/// Context of the device secrets' field encryption.
const SECRET_CONTEXT: &str = "devices.secret";

/// A device as an MQTT message's topic names it (or why it may not send), and its secret.
pub(crate) type DeviceSecret = (Result<BoundDevice, AuthError>, String);

/// Longest label.
const MAX_LABEL_CHARS: usize = 100;

/// A registered device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Id (UUIDv7).
    pub id: String,
    /// Kind key, e.g. `bp_monitor`.
    pub kind: String,
    /// A name people recognise it by (model, serial).
    pub label: String,
    /// The resident it measures, once bound.
    pub resident_id: Option<String>,
    /// Revoked devices are refused for good.
    pub revoked: bool,
    /// When it was registered (Unix ms).
    pub created_at: i64,
    /// Who registered it.
    pub created_by: String,
}

/// One change to a device: who, what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEvent {
    /// `registered`, `bound` or `revoked`.
    pub action: String,
    /// The user who did it.
    pub actor_id: String,
    /// When (Unix ms).
    pub at: i64,
    /// The resident bound, for `registered` and `bound`.
    pub resident_id: Option<String>,
    /// The reason given, for `revoked`.
    pub reason: Option<String>,
}

const SELECT_DEVICE: &str =
    "SELECT id, kind, label, resident_id, revoked, created_at, created_by FROM devices";

fn device_from_row(row: &AnyRow) -> Result<Device, sqlx::Error> {
    Ok(Device {
        id: row.try_get(0)?,
        kind: row.try_get(1)?,
        label: row.try_get(2)?,
        resident_id: row.try_get(3)?,
        revoked: row.try_get::<i64, _>(4)? != 0,
        created_at: row.try_get(5)?,
        created_by: row.try_get(6)?,
    })
}

fn required(field: &'static str, value: &str, max_chars: usize) -> Result<(), DevicesError> {
    if value.trim().is_empty() {
        return Err(DevicesError::Invalid {
            field,
            problem: "must not be empty",
        });
    }
    if value.chars().count() > max_chars {
        return Err(DevicesError::Invalid {
            field,
            problem: "is too long",
        });
    }
    Ok(())
}

impl Devices {
    /// Registers a device of `kind`, bound to `resident_id` if given, and returns it with its
    /// credential. The credential is shown this once: only its hash and an encrypted copy
    /// (for MQTT signatures) are kept.
    pub async fn register(
        &self,
        actor_id: &str,
        kind: &str,
        label: &str,
        resident_id: Option<&str>,
    ) -> Result<(Device, String), DevicesError> {
        if self.catalogue.kind(kind).is_none() {
            return Err(DevicesError::UnknownKind {
                kind: kind.to_owned(),
                allowed: self.catalogue.kind_keys(),
            });
        }
        required("label", label, MAX_LABEL_CHARS)?;
        if let Some(r) = resident_id {
            required("resident_id", r, 64)?;
        }
        let secret = credential::new_secret();
        let device = Device {
            id: kernel::Id::new().to_string(),
            kind: kind.to_owned(),
            label: label.trim().to_owned(),
            resident_id: resident_id.map(str::to_owned),
            revoked: false,
            created_at: now().0,
            created_by: actor_id.to_owned(),
        };
        let mut tx = self.db.writer().begin().await?;
        sqlx::query(
            "INSERT INTO devices (id, kind, label, resident_id, credential_hash, secret_enc, \
             revoked, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
        )
        .bind(&device.id)
        .bind(&device.kind)
        .bind(&device.label)
        .bind(device.resident_id.as_deref())
        .bind(credential::hash(&secret))
        .bind(self.keys.cipher.encrypt(&secret, SECRET_CONTEXT))
        .bind(device.created_at)
        .bind(actor_id)
        .execute(&mut *tx)
        .await?;
        record_event(
            &mut tx,
            &device.id,
            "registered",
            actor_id,
            resident_id,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok((device, secret))
    }

    /// Binds a device to a resident (or to another one): its later readings are theirs.
    pub async fn bind(
        &self,
        actor_id: &str,
        device_id: &str,
        resident_id: &str,
    ) -> Result<Device, DevicesError> {
        required("resident_id", resident_id, 64)?;
        let mut tx = self.db.writer().begin().await?;
        let changed =
            sqlx::query("UPDATE devices SET resident_id = $1 WHERE id = $2 AND revoked = 0")
                .bind(resident_id)
                .bind(device_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if changed == 0 {
            drop(tx);
            return Err(match self.device(device_id).await? {
                Some(_) => DevicesError::Revoked(device_id.to_owned()),
                None => DevicesError::UnknownDevice(device_id.to_owned()),
            });
        }
        record_event(
            &mut tx,
            device_id,
            "bound",
            actor_id,
            Some(resident_id),
            None,
        )
        .await?;
        tx.commit().await?;
        self.device(device_id)
            .await?
            .ok_or_else(|| DevicesError::UnknownDevice(device_id.to_owned()))
    }

    /// Revokes a device for good: its credential is refused from now on.
    pub async fn revoke(
        &self,
        actor_id: &str,
        device_id: &str,
        reason: &str,
    ) -> Result<Device, DevicesError> {
        required("reason", reason, 500)?;
        let mut tx = self.db.writer().begin().await?;
        let changed = sqlx::query("UPDATE devices SET revoked = 1 WHERE id = $1 AND revoked = 0")
            .bind(device_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            drop(tx);
            return Err(match self.device(device_id).await? {
                Some(_) => DevicesError::Revoked(device_id.to_owned()),
                None => DevicesError::UnknownDevice(device_id.to_owned()),
            });
        }
        record_event(&mut tx, device_id, "revoked", actor_id, None, Some(reason)).await?;
        tx.commit().await?;
        self.device(device_id)
            .await?
            .ok_or_else(|| DevicesError::UnknownDevice(device_id.to_owned()))
    }

    /// One device.
    pub async fn device(&self, device_id: &str) -> Result<Option<Device>, DevicesError> {
        let row = sqlx::query(&format!("{SELECT_DEVICE} WHERE id = $1"))
            .bind(device_id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.as_ref().map(device_from_row).transpose()?)
    }

    /// The devices bound to a resident, revoked ones included, oldest first.
    pub async fn devices_of(&self, resident_id: &str) -> Result<Vec<Device>, DevicesError> {
        let rows = sqlx::query(&format!(
            "{SELECT_DEVICE} WHERE resident_id = $1 ORDER BY created_at, id"
        ))
        .bind(resident_id)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.iter().map(device_from_row).collect::<Result<_, _>>()?)
    }

    /// Who did what to a device, oldest first.
    pub async fn history(&self, device_id: &str) -> Result<Vec<DeviceEvent>, DevicesError> {
        let rows = sqlx::query(
            "SELECT action, actor_id, at, resident_id, reason FROM device_events \
             WHERE device_id = $1 ORDER BY at, id",
        )
        .bind(device_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeviceEvent {
                    action: r.try_get(0)?,
                    actor_id: r.try_get(1)?,
                    at: r.try_get(2)?,
                    resident_id: r.try_get(3)?,
                    reason: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// The device behind an HTTP bearer credential, if it may send readings.
    pub async fn authenticate(&self, secret: &str) -> Result<BoundDevice, AuthError> {
        if !secret.starts_with(credential::CREDENTIAL_PREFIX) {
            return Err(AuthError::Unknown);
        }
        let row = sqlx::query(&format!("{SELECT_DEVICE} WHERE credential_hash = $1"))
            .bind(credential::hash(secret))
            .fetch_optional(self.db.pool())
            .await
            .map_err(|e| {
                // A database fault must not pass for a bad credential in the logs.
                tracing::error!(error = %e, "device authentication failed");
                AuthError::Unknown
            })?;
        let device = row
            .as_ref()
            .map(device_from_row)
            .transpose()
            .map_err(|_| AuthError::Unknown)?
            .ok_or(AuthError::Unknown)?;
        bound(device)
    }

    /// The device an MQTT message names by its topic, with its secret to check the message's
    /// signature; `Ok(None)` for an unknown device.
    pub(crate) async fn device_with_secret(
        &self,
        device_id: &str,
    ) -> Result<Option<DeviceSecret>, DevicesError> {
        let row = sqlx::query(
            "SELECT id, kind, label, resident_id, revoked, created_at, created_by, secret_enc \
             FROM devices WHERE id = $1",
        )
        .bind(device_id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let device = device_from_row(&row)?;
        let sealed: String = row.try_get(7)?;
        let secret = self
            .keys
            .cipher
            .decrypt(&sealed, SECRET_CONTEXT)
            .map_err(|e| DevicesError::Vault {
                device_id: device.id.clone(),
                detail: e.to_string(),
            })?;
        Ok(Some((bound(device), secret)))
    }
}

fn bound(device: Device) -> Result<BoundDevice, AuthError> {
    if device.revoked {
        return Err(AuthError::Revoked {
            device_id: device.id,
        });
    }
    let Some(resident_id) = device.resident_id else {
        return Err(AuthError::Unbound {
            device_id: device.id,
        });
    };
    Ok(BoundDevice {
        id: device.id,
        kind: device.kind,
        resident_id,
    })
}

async fn record_event(
    conn: &mut sqlx::AnyConnection,
    device_id: &str,
    action: &str,
    actor_id: &str,
    resident_id: Option<&str>,
    reason: Option<&str>,
) -> Result<(), DevicesError> {
    sqlx::query(
        "INSERT INTO device_events (id, device_id, action, actor_id, at, resident_id, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(kernel::Id::new().to_string())
    .bind(device_id)
    .bind(action)
    .bind(actor_id)
    .bind(now().0)
    .bind(resident_id)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}
