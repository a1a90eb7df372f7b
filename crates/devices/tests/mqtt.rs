#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
//! The MQTT ingest against real brokers: the machine's at 127.0.0.1:1883 (Mosquitto,
//! anonymous; started by scripts/install-deps.sh), and a Mosquitto of each test's own on a free
//! port, configured as the platform needs it (ADR 0010), started and stopped by the test.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use devices::mqtt::{self, MqttSettings, MqttStats};
use devices::testing::Broker;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use store::testing::TestDatabases;

const BROKER: &str = "mqtt://127.0.0.1:1883";

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", kernel::Id::new())
}

/// A device-side client: publishes with QoS 1; its event loop runs in a task.
fn publisher() -> AsyncClient {
    let mut options = MqttOptions::new(unique("test-device"), "127.0.0.1", 1883);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    client
}

/// Polls `done` until it holds; panics after a generous deadline (a hang, not a timing check).
async fn eventually<F: Fn() -> bool>(what: &str, done: F) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn read(counter: &std::sync::atomic::AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

#[tokio::test]
async fn signed_messages_are_committed_once_and_forged_or_revoked_ones_are_dropped() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let devices = service(db).await;
        let resident = unique("r");
        let (monitor, secret) = device(&devices, "bp_monitor", &resident).await;
        let mut settings = MqttSettings::from_url(BROKER, &unique("lifehealth-test")).unwrap();
        settings.persistent_session = false;
        let mut subscriber = mqtt::spawn(devices.clone(), settings);
        tokio::time::timeout(Duration::from_secs(30), subscriber.subscribed())
            .await
            .expect("subscribed to the broker");
        let stats: &MqttStats = &subscriber.stats;
        let client = publisher();
        let topic = mqtt::topic_for(&monitor.id);
        let t = minutes_ago(1);
        let body = format!(
            "[{}, {}]",
            bp("m1", 128.0, 82.0, "mmHg", &t),
            hr("m2", 66.0, &t)
        );
        let message = devices::signed_message(&secret, body.as_bytes());

        client
            .publish(&topic, QoS::AtLeastOnce, false, message.clone())
            .await
            .unwrap();
        let stored = || async {
            devices
                .readings(
                    &resident,
                    None,
                    kernel::UtcMillis(0),
                    kernel::UtcMillis(i64::MAX),
                    10,
                )
                .await
                .unwrap()
                .len()
        };
        for _ in 0..600 {
            if stored().await == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            stored().await,
            3,
            "a blood pressure (two values) and a heart rate"
        );

        // The same message again (a device that missed the PUBACK): stored once.
        client
            .publish(&topic, QoS::AtLeastOnce, false, message.clone())
            .await
            .unwrap();
        eventually("the resend is processed", || read(&stats.stored) == 2).await;
        assert_eq!(stored().await, 3);

        // Signed with another secret, or not signed: dropped, nothing stored.
        let forged = devices::signed_message("lhd_guessed", hr("m3", 70.0, &t).as_bytes());
        client
            .publish(&topic, QoS::AtLeastOnce, false, forged)
            .await
            .unwrap();
        client
            .publish(
                &topic,
                QoS::AtLeastOnce,
                false,
                hr("m4", 70.0, &t).into_bytes(),
            )
            .await
            .unwrap();
        eventually("forged messages are refused", || {
            read(&stats.bad_signature) == 2
        })
        .await;
        assert_eq!(stored().await, 3);

        // A revoked device's correctly signed message is dropped too.
        devices
            .revoke(DOCTOR, &monitor.id, "returned")
            .await
            .unwrap();
        let late = devices::signed_message(&secret, hr("m5", 70.0, &t).as_bytes());
        client
            .publish(&topic, QoS::AtLeastOnce, false, late)
            .await
            .unwrap();
        eventually("the revoked device is refused", || {
            read(&stats.refused_device) == 1
        })
        .await;
        assert_eq!(stored().await, 3);
        assert_eq!(read(&stats.store_failures), 0);
        drop(subscriber);
    }
}

/// Signed messages of `per_message` heart rates each, `total` readings in all, spread over
/// `devices` round robin; message ids are unique per device.
fn messages(
    devices: &[(devices::BoundDevice, String)],
    total: usize,
    per_message: usize,
) -> Vec<(String, Vec<u8>)> {
    let t = minutes_ago(5);
    let mut out = Vec::new();
    let mut n = 0;
    while n < total {
        let (device, secret) = &devices[out.len() % devices.len()];
        let size = per_message.min(total - n);
        let body: String = (n..n + size)
            .map(|i| hr(&format!("m{i}"), 60.0 + (i % 40) as f64, &t) + "\n")
            .collect();
        out.push((
            mqtt::topic_for(&device.id),
            devices::signed_message(secret, body.as_bytes()),
        ));
        n += size;
    }
    out
}

/// A device-side client (MQTT 3.1.1) that publishes `messages` with QoS 1 and returns once
/// the broker has acknowledged every one of them.
fn publish_all(port: u16, messages: Vec<(String, Vec<u8>)>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut options = MqttOptions::new(unique("test-device"), "127.0.0.1", port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        let n = messages.len();
        let sender = tokio::spawn(async move {
            for (topic, message) in messages {
                client
                    .publish(topic, QoS::AtLeastOnce, false, message)
                    .await
                    .unwrap();
            }
            client
        });
        let mut acknowledged = 0;
        while acknowledged < n {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => acknowledged += 1,
                Ok(_) => {}
                Err(e) => panic!("a publisher lost its connection: {e}"),
            }
        }
        let client = sender.await.unwrap();
        let _ = client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(5), eventloop.poll()).await;
    })
}

/// Readings, message ids and readings counted in the daily summaries of `db`.
async fn stored_counts(db: &store::Db) -> (i64, i64, i64) {
    let summarised: i64 = store::sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM device_summaries WHERE period = 'day'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    (
        count(db, "device_readings").await,
        count(db, "device_messages").await,
        summarised,
    )
}

/// Polls the database until it holds `n` readings; panics after a generous deadline.
async fn until_stored(db: &store::Db, n: i64) {
    for _ in 0..2_400 {
        if count(db, "device_readings").await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "timed out: {} of {n} readings stored",
        count(db, "device_readings").await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_readings_from_several_publishers_are_each_stored_exactly_once() {
    const READINGS: usize = 20_000;
    let broker = Broker::start();
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let service = service(db).await;
        let mut fleet = Vec::new();
        for _ in 0..8 {
            fleet.push(device(&service, "smart_watch", &unique("r")).await);
        }
        let mut subscriber = mqtt::spawn(
            service.clone(),
            broker.settings(&unique("lifehealth-test"), false),
        );
        subscriber.subscribed().await;

        // Four publishers at full speed, 25 readings a message: 800 messages, far more than
        // the subscriber's window of 64, so the broker holds a backlog for it.
        let all = messages(&fleet, READINGS, 25);
        let publishers: Vec<_> = (0..4)
            .map(|p| {
                let share = all.iter().skip(p).step_by(4).cloned().collect();
                publish_all(broker.port, share)
            })
            .collect();
        for p in publishers {
            p.await.unwrap();
        }
        until_stored(db, READINGS as i64).await;
        let stats: &MqttStats = &subscriber.stats;
        eventually("every message is acknowledged", || read(&stats.held) == 0).await;

        let n = READINGS as i64;
        assert_eq!(
            stored_counts(db).await,
            (n, n, n),
            "readings, ids, summaries"
        );
        assert_eq!(read(&stats.accepted_readings), READINGS as u64);
        assert_eq!(
            read(&stats.duplicate_readings),
            0,
            "one connection: nothing delivered twice"
        );
        assert_eq!(read(&stats.stored), all.len() as u64);
        assert_eq!(read(&stats.connections), 1);
        let window = service.catalogue().rules.mqtt_in_flight_messages.value as u64;
        assert!(
            read(&stats.held_peak) <= window,
            "held {} messages at once; the Receive Maximum is {window}",
            read(&stats.held_peak)
        );
        assert!(
            read(&stats.held_peak) > 1,
            "the broker sent several messages before the first was acknowledged"
        );
        assert_eq!(read(&stats.store_failures), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_subscriber_loses_nothing_acknowledged_and_stores_nothing_twice() {
    const READINGS: usize = 10_000;
    let broker = Broker::start();
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let service = service(db).await;
        let mut fleet = Vec::new();
        for _ in 0..4 {
            fleet.push(device(&service, "smart_watch", &unique("r")).await);
        }
        // One client id for both runs, as the platform's is stable across restarts.
        let client_id = unique("lifehealth-platform");
        let mut first = mqtt::spawn(service.clone(), broker.settings(&client_id, true));
        first.subscribed().await;

        let all = messages(&fleet, READINGS, 25);
        let publishers: Vec<_> = (0..2)
            .map(|p| {
                let share = all.iter().skip(p).step_by(2).cloned().collect();
                publish_all(broker.port, share)
            })
            .collect();

        // Stop it mid-stream, without a goodbye, as a crash would: whatever it was storing
        // and had not acknowledged stays with the broker.
        let before = first.stats.clone();
        eventually("the first subscriber stores some messages", || {
            read(&before.stored) >= 40
        })
        .await;
        drop(first);
        let committed_at_stop = count(db, "device_readings").await;
        assert!(
            committed_at_stop < READINGS as i64,
            "stopped mid-stream ({committed_at_stop} stored)"
        );

        let mut second = mqtt::spawn(service.clone(), broker.settings(&client_id, true));
        second.subscribed().await;
        for p in publishers {
            p.await.unwrap();
        }
        until_stored(db, READINGS as i64).await;
        let after = second.stats.clone();
        eventually("every message is acknowledged", || read(&after.held) == 0).await;

        let n = READINGS as i64;
        assert_eq!(
            stored_counts(db).await,
            (n, n, n),
            "readings, ids, summaries"
        );
        // A commit the first run had started may finish after it stopped (uncounted there);
        // the second run then finds those readings stored and answers them as duplicates.
        assert!(
            read(&before.accepted_readings) + read(&after.accepted_readings) <= READINGS as u64,
            "no reading accepted by both runs"
        );
        assert!(
            read(&after.accepted_readings) > 0,
            "the second run took over the rest"
        );
        drop(second);

        // The session is still there, empty: a third run receives nothing more.
        let mut third = mqtt::spawn(service.clone(), broker.settings(&client_id, true));
        third.subscribed().await;
        assert_eq!(read(&third.stats.stored), 0);
        assert_eq!(count(db, "device_readings").await, n);
        drop(third);
    }
}
