#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
//! The MQTT ingest against the real broker at 127.0.0.1:1883 (Mosquitto, anonymous; started
//! by scripts/install-deps.sh): signed messages are committed once, forged ones are dropped.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use devices::mqtt::{self, MqttSettings, MqttStats};
use rumqttc::{AsyncClient, MqttOptions, QoS};
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
