//! The MQTT ingest: a subscriber on the broker that stores signed batches of readings and
//! acknowledges each message only after its readings have committed.
//!
//! Topic scheme: a device publishes with QoS 1 to `lifehealth/devices/{device_id}/readings`
//! (MQTT 3.1.1 or 5); the platform subscribes to `lifehealth/devices/+/readings` with QoS 1
//! over MQTT 5, with a persistent session (`clean_start = false` and a session that never
//! expires), so messages published while it is down wait at the broker.
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
//!
//! Flow control (ADR 0010, "MQTT defect"): three tasks that never wait for one another in a
//! circle. The connection task polls the event loop and hands messages over; it holds at most
//! `mqtt_in_flight_messages` (data file) not yet committed, and asks the broker for no more
//! with MQTT 5's Receive Maximum. The store task commits groups. The acknowledging task hands
//! PUBACKs to the event loop; it needs no room, so acknowledgements and pings go out whatever
//! the store is doing. Each connection has its own client, and a message is acknowledged only
//! on the connection that delivered it: a packet id means nothing on the next connection,
//! where it may name another message.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, Publish};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinHandle;

use crate::credential;
use crate::ingest::Batch;
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
    /// Keep the session at the broker while disconnected (`clean_start = false`, a session
    /// that never expires), so messages published meanwhile wait there. On for the platform;
    /// tests and benchmarks that use a fresh client id each run turn it off, or the broker
    /// would queue messages for each of their client ids forever.
    pub persistent_session: bool,
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
    /// Readings that were already stored (a message delivered again, or sent twice).
    pub duplicate_readings: AtomicU64,
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
    /// Connections made to the broker (1 unless it was lost and made again).
    pub connections: AtomicU64,
    /// Messages received and not yet committed, now.
    pub held: AtomicU64,
    /// The most messages ever held at once: never more than `mqtt_in_flight_messages`.
    pub held_peak: AtomicU64,
}

impl MqttStats {
    fn hold(&self) {
        let now = self.held.fetch_add(1, Ordering::Relaxed) + 1;
        self.held_peak.fetch_max(now, Ordering::Relaxed);
    }

    fn release(&self, n: usize) {
        self.held.fetch_sub(n as u64, Ordering::Relaxed);
    }
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

/// A message, the connection that delivered it (the only one it may be acknowledged on) and
/// its place among the messages the subscriber holds.
struct Delivery {
    publish: Publish,
    connection: AsyncClient,
    _room: OwnedSemaphorePermit,
}

/// A committed message's acknowledgement: the message without its body.
struct Ack {
    publish: Publish,
    connection: AsyncClient,
}

/// Connects to the broker and starts storing readings; reconnects by itself.
pub fn spawn(devices: Devices, settings: MqttSettings) -> Subscriber {
    let in_flight = devices.catalogue().rules.mqtt_in_flight_messages.value;
    let max_body = devices.catalogue().rules.max_batch_readings.value * 1_024;
    let mut options = MqttOptions::new(&settings.client_id, &settings.host, settings.port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_start(!settings.persistent_session)
        .set_manual_acks(true)
        .set_receive_maximum(Some(u16::try_from(in_flight).unwrap_or(u16::MAX)))
        .set_max_packet_size(Some(u32::try_from(max_body).unwrap_or(u32::MAX)));
    if settings.persistent_session {
        // MQTT 5 ends a session at disconnection unless it is given a lifetime; u32::MAX is
        // the protocol's "never expires", as a 3.1.1 `clean_session = false` session was.
        options.set_session_expiry_interval(Some(u32::MAX));
    }
    // Unbounded, but the room semaphore bounds what is in them: at most `in_flight` messages
    // between the event loop and the commit; acknowledgements are a packet id each.
    let (to_store, arrived) = mpsc::unbounded_channel::<Delivery>();
    let (to_ack, acks) = mpsc::unbounded_channel::<Ack>();
    let room = Arc::new(Semaphore::new(in_flight));
    let (subscribed_tx, subscribed) = watch::channel(false);
    let stats = Arc::new(MqttStats::default());

    let receiver = tokio::spawn(receive(
        options,
        in_flight,
        room,
        to_store,
        subscribed_tx,
        stats.clone(),
    ));
    let storer = tokio::spawn(store(devices, in_flight, arrived, to_ack, stats.clone()));
    let acker = tokio::spawn(acknowledge(acks));
    Subscriber {
        stats,
        subscribed,
        tasks: vec![receiver, storer, acker],
    }
}

/// Keeps a connection to the broker and hands each message to the store, holding at most
/// `in_flight` messages not yet committed: when that many are held it stops polling until
/// a commit makes room. Mosquitto 2.0.11 was measured to send far more unacknowledged
/// messages than the Receive Maximum asks (ADR 0010), so the bound is kept here too.
async fn receive(
    options: MqttOptions,
    in_flight: usize,
    room: Arc<Semaphore>,
    to_store: mpsc::UnboundedSender<Delivery>,
    subscribed: watch::Sender<bool>,
    stats: Arc<MqttStats>,
) {
    loop {
        // A new client per connection: acknowledgements still queued for a lost connection
        // die with its event loop instead of acknowledging other messages on the next one.
        // Room for the acknowledgements of every message held, and more.
        let (client, mut eventloop) = AsyncClient::new(options.clone(), in_flight * 2 + 16);
        let mut permit = None;
        loop {
            // The wait is short: the commit of the messages held. Acknowledgements need no
            // room, so they never wait for this task, and this task never waits for them.
            let held = match permit.take() {
                Some(p) => p,
                None => match room.clone().acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => return,
                },
            };
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    permit = Some(held);
                    stats.connections.fetch_add(1, Ordering::Relaxed);
                    // Again after every connection: harmless if the session kept it.
                    if let Err(e) = client.try_subscribe(TOPIC_FILTER, QoS::AtLeastOnce) {
                        tracing::error!(error = %e, "cannot subscribe to device readings");
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    permit = Some(held);
                    let _ = subscribed.send(true);
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    stats.hold();
                    let delivery = Delivery {
                        publish,
                        connection: client.clone(),
                        _room: held,
                    };
                    if to_store.send(delivery).is_err() {
                        return;
                    }
                }
                Ok(_) => permit = Some(held),
                Err(e) => {
                    let _ = subscribed.send(false);
                    tracing::warn!(error = %e, "MQTT connection lost; reconnecting");
                    break;
                }
            }
        }
        drop(eventloop);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Takes whatever has arrived (up to `in_flight` messages), stores it in one transaction and
/// hands the acknowledgements on, again and again.
async fn store(
    devices: Devices,
    in_flight: usize,
    mut arrived: mpsc::UnboundedReceiver<Delivery>,
    to_ack: mpsc::UnboundedSender<Ack>,
    stats: Arc<MqttStats>,
) {
    let mut group = Vec::with_capacity(in_flight);
    while let Some(first) = arrived.recv().await {
        group.push(first);
        while group.len() < in_flight {
            match arrived.try_recv() {
                Ok(d) => group.push(d),
                Err(_) => break,
            }
        }
        store_group(&devices, &group, &stats).await;
        stats.release(group.len());
        for Delivery {
            mut publish,
            connection,
            ..
        } in group.drain(..)
        {
            // The acknowledgement needs the packet id only; the body's memory goes now.
            publish.payload = Default::default();
            publish.topic = Default::default();
            let _ = to_ack.send(Ack {
                publish,
                connection,
            });
        }
    }
}

/// Hands acknowledgements to their connections' event loops.
async fn acknowledge(mut acks: mpsc::UnboundedReceiver<Ack>) {
    while let Some(Ack {
        publish,
        connection,
    }) = acks.recv().await
    {
        // Fails only when that connection is gone: the broker sends the message again on
        // the next one, and it is answered as a duplicate.
        if let Err(e) = connection.ack(&publish).await {
            tracing::debug!(error = %e, "acknowledgement for a lost connection dropped");
        }
    }
}

/// Stores one group of messages in one transaction; returns the values taken into the record.
async fn store_group(devices: &Devices, group: &[Delivery], stats: &MqttStats) {
    let mut secrets: HashMap<String, Option<DeviceSecret>> = HashMap::new();
    let mut batches = Vec::new();
    for Delivery { publish, .. } in group {
        let Some(device_id) = std::str::from_utf8(&publish.topic)
            .ok()
            .and_then(device_of_topic)
        else {
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
    if batches.is_empty() {
        return;
    }
    let readings: usize = batches.iter().map(|b| b.items.len()).sum();
    // Waits while HTTP senders hold the platform's readings: the broker keeps the rest.
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
    stats
        .stored
        .fetch_add(batches.len() as u64, Ordering::Relaxed);
    let (mut accepted_n, mut duplicates) = (0, 0);
    for r in &reports {
        let (a, d, _, _) = r.counts();
        accepted_n += a as u64;
        duplicates += d as u64;
    }
    stats
        .accepted_readings
        .fetch_add(accepted_n, Ordering::Relaxed);
    stats
        .duplicate_readings
        .fetch_add(duplicates, Ordering::Relaxed);
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
