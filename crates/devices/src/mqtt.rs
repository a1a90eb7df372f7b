//! The MQTT ingest: a subscriber on the broker that stores signed batches of readings and
//! acknowledges each message only after its readings have committed.
//!
//! Topic scheme: a device publishes with QoS 1 to `lifehealth/devices/{device_id}/readings`;
//! the platform subscribes to `lifehealth/devices/+/readings` with QoS 1 and a persistent
//! session (`clean_session = false`), so messages published while it is down wait at the broker.
//!
//! Message: the first line is `sig=` and the lower-case hex HMAC-SHA256 of the rest of the
//! message under the device's credential (`lhd_…`); the rest is a batch in the HTTP formats
//! (a JSON array, or NDJSON). The broker is anonymous, so the signature is what proves the
//! sender; a replayed message is a duplicate by its message ids.
//!
//! Acknowledgement: manual. Messages that arrive together are stored in one transaction;
//! their PUBACKs go out after it commits. A message that can never be stored (bad topic,
//! unknown or revoked device, bad signature, not a batch) is acknowledged and dropped, and
//! counted in [`MqttStats`]; a database failure acknowledges nothing and retries, so the broker
//! keeps the messages until they are stored.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::credential;
use crate::ingest::{Accepted, Batch};
use crate::payload::{self, Format};
use crate::register::DeviceSecret;
use crate::{Devices, now};

/// The filter the platform subscribes to.
pub const TOPIC_FILTER: &str = "lifehealth/devices/+/readings";

const TOPIC_PREFIX: &str = "lifehealth/devices/";
const TOPIC_SUFFIX: &str = "/readings";

/// The topic a device publishes its readings to.
pub fn topic_for(device_id: &str) -> String {
    format!("{TOPIC_PREFIX}{device_id}{TOPIC_SUFFIX}")
}

/// The device id a readings topic names.
pub fn device_of_topic(topic: &str) -> Option<&str> {
    let id = topic
        .strip_prefix(TOPIC_PREFIX)?
        .strip_suffix(TOPIC_SUFFIX)?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// Where the broker is and who the platform is to it.
#[derive(Debug, Clone)]
pub struct MqttSettings {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Client id; stable across restarts, so the broker keeps the session.
    pub client_id: String,
    /// Keep the session at the broker while disconnected (`clean_session = false`), so
    /// messages published meanwhile wait there. On for the platform; tests and benchmarks
    /// turn it off, or the broker would queue messages for each of their client ids forever.
    pub persistent_session: bool,
    /// Receives the values of every committed batch (alerts, registry measures).
    pub accepted: Option<mpsc::Sender<Vec<Accepted>>>,
}

/// A broker URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{url}` is not an MQTT broker URL: {reason} (e.g. mqtt://127.0.0.1:1883)")]
pub struct MqttUrlError {
    /// The URL given.
    pub url: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl MqttSettings {
    /// Settings from `mqtt://host[:port]` (port 1883 by default; `tcp://` is read the same).
    pub fn from_url(url: &str, client_id: &str) -> Result<MqttSettings, MqttUrlError> {
        let err = |reason| MqttUrlError {
            url: url.to_owned(),
            reason,
        };
        let rest = url
            .strip_prefix("mqtt://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(|| err("the scheme must be mqtt:// (plain TCP)"))?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| err("the port is not a number"))?),
            None => (rest, 1883),
        };
        if host.is_empty() {
            return Err(err("the host is missing"));
        }
        Ok(MqttSettings {
            host: host.to_owned(),
            port,
            client_id: client_id.to_owned(),
            persistent_session: true,
            accepted: None,
        })
    }
}

/// Counts of what the subscriber did, for metrics and tests.
#[derive(Debug, Default)]
pub struct MqttStats {
    /// Messages whose readings committed (each reading accepted, duplicate, quarantined or
    /// invalid as the HTTP path would answer).
    pub stored: AtomicU64,
    /// Readings taken into the record.
    pub accepted_readings: AtomicU64,
    /// Dropped: the topic names no device, or an unknown one.
    pub unknown_device: AtomicU64,
    /// Dropped: revoked or unbound device.
    pub refused_device: AtomicU64,
    /// Dropped: missing or wrong signature.
    pub bad_signature: AtomicU64,
    /// Dropped: the body is not a batch.
    pub bad_body: AtomicU64,
    /// Database failures (the messages were retried).
    pub store_failures: AtomicU64,
}

/// The running subscriber; its tasks stop when it is dropped.
pub struct Subscriber {
    /// What it did so far.
    pub stats: Arc<MqttStats>,
    subscribed: watch::Receiver<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Subscriber {
    /// Waits until the broker has confirmed the subscription.
    pub async fn subscribed(&mut self) {
        let _ = self.subscribed.wait_for(|s| *s).await;
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Connects to the broker and starts storing readings; reconnects by itself.
pub fn spawn(devices: Devices, settings: MqttSettings) -> Subscriber {
    let in_flight = devices.catalogue().rules.mqtt_in_flight_messages.value;
    let max_body = devices.catalogue().rules.max_batch_readings.value * 1_024;
    let mut options = MqttOptions::new(&settings.client_id, &settings.host, settings.port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_session(!settings.persistent_session)
        .set_manual_acks(true)
        .set_max_packet_size(max_body, max_body);
    // Room for every acknowledgement of a full group without waiting for the event loop.
    let (client, mut eventloop) = AsyncClient::new(options, in_flight * 2 + 16);
    let (to_store, mut arrived) = mpsc::channel::<Publish>(in_flight);
    let (subscribed_tx, subscribed) = watch::channel(false);
    let stats = Arc::new(MqttStats::default());

    let subscribing = client.clone();
    let receiver = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    // Again after every reconnection: harmless if the session kept it.
                    if let Err(e) = subscribing.subscribe(TOPIC_FILTER, QoS::AtLeastOnce).await {
                        tracing::error!(error = %e, "cannot subscribe to device readings");
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = subscribed_tx.send(true);
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    // Waits when the store is behind: the event loop then reads nothing more
                    // and the broker stops at its in-flight window (back-pressure).
                    if to_store.send(publish).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = subscribed_tx.send(false);
                    tracing::warn!(error = %e, "MQTT connection lost; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });

    let store_stats = stats.clone();
    let storer = tokio::spawn(async move {
        let mut group = Vec::with_capacity(in_flight);
        while let Some(first) = arrived.recv().await {
            group.push(first);
            while group.len() < in_flight {
                match arrived.try_recv() {
                    Ok(p) => group.push(p),
                    Err(_) => break,
                }
            }
            store_group(&devices, &client, &group, &store_stats, &settings).await;
            group.clear();
        }
    });

    Subscriber {
        stats,
        subscribed,
        tasks: vec![receiver, storer],
    }
}

/// Stores one group of messages in one transaction, then acknowledges them all.
async fn store_group(
    devices: &Devices,
    client: &AsyncClient,
    group: &[Publish],
    stats: &MqttStats,
    settings: &MqttSettings,
) {
    let mut secrets: HashMap<String, Option<DeviceSecret>> = HashMap::new();
    let mut batches = Vec::new();
    for publish in group {
        let Some(device_id) = device_of_topic(&publish.topic) else {
            stats.unknown_device.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        if !secrets.contains_key(device_id) {
            let found = loop {
                match devices.device_with_secret(device_id).await {
                    Ok(found) => break found,
                    Err(e) => {
                        stats.store_failures.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(error = %e, "cannot look up a device; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            secrets.insert(device_id.to_owned(), found);
        }
        let Some(Some((device, secret))) = secrets.get(device_id) else {
            stats.unknown_device.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let Some((signature, body)) = credential::split_signed(&publish.payload) else {
            stats.bad_signature.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        if !credential::verify(secret, body, signature) {
            stats.bad_signature.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let Ok(device) = device else {
            stats.refused_device.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        match payload::parse(body, Format::sniff(body), devices.limits()) {
            Ok(items) => batches.push(Batch {
                device: device.clone(),
                items,
            }),
            Err(e) => {
                tracing::warn!(device_id, error = %e, "MQTT message is not a batch");
                stats.bad_body.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    if !batches.is_empty() {
        let readings: usize = batches.iter().map(|b| b.items.len()).sum();
        let stored = batches.len() as u64;
        let admission = devices.admit(readings).await;
        let reports = loop {
            match devices.ingest_all(&batches, now()).await {
                Ok(reports) => break reports,
                Err(e) => {
                    stats.store_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(error = %e, "cannot store device readings; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        drop(admission);
        stats.stored.fetch_add(stored, Ordering::Relaxed);
        let accepted: Vec<Accepted> = reports.iter().flat_map(|r| r.accepted().cloned()).collect();
        stats.accepted_readings.fetch_add(
            reports.iter().map(|r| r.counts().0 as u64).sum(),
            Ordering::Relaxed,
        );
        if let Some(tx) = &settings.accepted
            && !accepted.is_empty()
        {
            let _ = tx.send(accepted).await;
        }
    }
    for publish in group {
        if let Err(e) = client.ack(publish).await {
            tracing::warn!(error = %e, "cannot acknowledge an MQTT message");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn topics_name_one_device() {
        assert_eq!(topic_for("d1"), "lifehealth/devices/d1/readings");
        assert_eq!(
            device_of_topic("lifehealth/devices/d1/readings"),
            Some("d1")
        );
        assert_eq!(device_of_topic("lifehealth/devices//readings"), None);
        assert_eq!(device_of_topic("lifehealth/devices/a/b/readings"), None);
        assert_eq!(device_of_topic("other/d1/readings"), None);
    }

    #[test]
    fn broker_urls() {
        let s = MqttSettings::from_url("mqtt://127.0.0.1:1883", "lh").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 1883));
        assert_eq!(
            MqttSettings::from_url("tcp://broker", "lh").unwrap().port,
            1883
        );
        assert_eq!(
            MqttSettings::from_url("mqtts://broker", "lh")
                .unwrap_err()
                .reason,
            "the scheme must be mqtt:// (plain TCP)"
        );
        assert_eq!(
            MqttSettings::from_url("mqtt://broker:x", "lh")
                .unwrap_err()
                .reason,
            "the port is not a number"
        );
    }
}
