#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
//! A migrated device service on a test database, and readings to send.

#![allow(dead_code)] // each test file uses its own part

use std::sync::Arc;

use devices::{Batch, Devices, Format, IngestReport, Outcome};
use kernel::UtcMillis;
use store::Db;
use vault::Keyring;

pub const DOCTOR: &str = "user-doctor-1";

pub async fn service(db: &Db) -> Devices {
    db.migrate(&[devices::migrations()]).await.unwrap();
    Devices::new(db.clone(), Arc::new(Keyring::for_tests())).unwrap()
}

/// A bound device of `kind` for `resident`, and its credential.
pub async fn device(
    devices: &Devices,
    kind: &str,
    resident: &str,
) -> (devices::BoundDevice, String) {
    let (_, secret) = devices
        .register(DOCTOR, kind, "test device", Some(resident))
        .await
        .unwrap();
    (devices.authenticate(&secret).await.unwrap(), secret)
}

/// An RFC 3339 time `minutes` before now.
pub fn minutes_ago(minutes: i64) -> String {
    UtcMillis(UtcMillis::now().0 - minutes * 60_000).to_rfc3339()
}

pub fn hr(id: &str, value: f64, taken_at: &str) -> String {
    format!(
        r#"{{"message_id":"{id}","measure":"heart_rate","value":{value},"unit":"/min","taken_at":"{taken_at}"}}"#
    )
}

pub fn bp(id: &str, sys: f64, dia: f64, unit: &str, taken_at: &str) -> String {
    format!(
        r#"{{"message_id":"{id}","measure":"blood_pressure","systolic":{sys},"diastolic":{dia},"unit":"{unit}","taken_at":"{taken_at}"}}"#
    )
}

pub fn glucose(id: &str, value: f64, unit: &str, taken_at: &str) -> String {
    format!(
        r#"{{"message_id":"{id}","measure":"glucose","value":{value},"unit":"{unit}","taken_at":"{taken_at}"}}"#
    )
}

/// Parses `body` as the HTTP endpoint does and ingests it.
pub async fn send(
    devices: &Devices,
    device: &devices::BoundDevice,
    body: &str,
    format: Format,
) -> IngestReport {
    let items = devices::payload::parse(body.as_bytes(), format, devices.limits()).unwrap();
    devices
        .ingest(Batch {
            device: device.clone(),
            items,
        })
        .await
        .unwrap()
}

pub fn statuses(report: &IngestReport) -> Vec<&'static str> {
    report
        .results
        .iter()
        .map(|r| match r.outcome {
            Outcome::Accepted(_) => "accepted",
            Outcome::Duplicate => "duplicate",
            Outcome::Quarantined { .. } => "quarantined",
            Outcome::Invalid(_) => "invalid",
        })
        .collect()
}

pub async fn count(db: &Db, table: &str) -> i64 {
    store::sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.pool())
        .await
        .unwrap()
}
