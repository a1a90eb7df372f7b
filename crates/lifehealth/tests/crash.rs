//! A crash during device ingest, on both backends: the real binary, fed readings over HTTP and
//! over MQTT (a Mosquitto of the test's own), is killed with SIGKILL mid-stream and started
//! again on the same data.
//!
//! What must hold (issue 4, "a kill -9 during ingest"): every reading the platform
//! acknowledged before the crash (an HTTP 200, an MQTT PUBACK to the broker) is stored after
//! it; every reading sent again, acknowledged or not, is stored once; and the MQTT messages the
//! platform had not acknowledged are redelivered by the broker and stored once.

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use devices::testing::Broker;
use kernel::UtcMillis;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use support::server::{Backend, Server};

/// Readings per HTTP batch, and batches: enough that the kill lands mid-stream.
const HTTP_BATCH: usize = 250;
const HTTP_BATCHES: usize = 400;
/// Readings per MQTT message, and messages.
const MQTT_MESSAGE: usize = 25;
const MQTT_MESSAGES: usize = 4_000;
/// The kill comes once this many HTTP batches were acknowledged and MQTT readings stored.
const KILL_AFTER_BATCHES: usize = 20;
const KILL_AFTER_MQTT_READINGS: i64 = 1_000;

#[test]
fn acknowledged_readings_survive_a_kill_9_on_sqlite() {
    crash_during_ingest(Backend::Sqlite);
}

#[test]
fn acknowledged_readings_survive_a_kill_9_on_postgres() {
    crash_during_ingest(Backend::Postgres);
}

fn crash_during_ingest(backend: Backend) {
    let broker = Broker::start();
    let mut server = Server::generate(backend, 3, &["--mqtt-url", &broker.url()]);
    server.restart();
    server.wait_ready(Duration::from_secs(300));
    // The demo resident's token, made by the command line while the platform runs and writes
    // to the same ledger (the home-device summaries it records at start): both append.
    let token = server.cli(&["token", "create", "--user", "resident", "--expires", "1"]);
    assert!(token.status.success(), "{token:?}");
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime for the database checks");
    let db = runtime
        .block_on(store::Db::connect(
            &server.database_url(),
            &Default::default(),
        ))
        .expect("the test reads the binary's database");

    // The demo resident, with their token, registers two watches.
    let me = json(server.send("GET", "/api/v1/me", &token, None), 200);
    let resident_id = me["residents"]["own"][0]
        .as_str()
        .unwrap_or_else(|| panic!("the resident's own record in /api/v1/me: {me}"))
        .to_owned();
    let register = |label: &str| {
        let body = serde_json::json!({ "kind": "smart_watch", "label": label, "resident_id": resident_id });
        let device = json(
            server.send(
                "POST",
                "/api/v1/devices",
                &token,
                Some(("application/json", &body.to_string())),
            ),
            201,
        );
        let field = |name: &str| device[name].as_str().unwrap_or_default().to_owned();
        (field("id"), field("credential"), field("mqtt_topic"))
    };
    let (http_device, http_secret, _) = register("HTTP watch");
    let (mqtt_device, mqtt_secret, mqtt_topic) = register("MQTT watch");

    // Both streams start; the server is killed once some HTTP batches were acknowledged.
    let taken_at = UtcMillis(UtcMillis::now().0 - 5 * 60_000).to_rfc3339();
    let batches: Vec<String> = (0..HTTP_BATCHES)
        .map(|b| lines(&format!("h{b}-"), HTTP_BATCH, &taken_at))
        .collect();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let http = post_until_refused(&server, &http_secret, &batches, acknowledged.clone());
    let messages: Vec<Vec<u8>> = (0..MQTT_MESSAGES)
        .map(|m| {
            let body = lines(&format!("m{m}-"), MQTT_MESSAGE, &taken_at);
            devices::signed_message(&mqtt_secret, body.as_bytes())
        })
        .collect();
    let mqtt = publish(broker.port, mqtt_topic, messages);

    let started = Instant::now();
    while acknowledged.lock().map(|a| a.len()).unwrap_or(0) < KILL_AFTER_BATCHES
        || runtime.block_on(counts(&db, &mqtt_device)).0 < KILL_AFTER_MQTT_READINGS
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the readings were not taken before the kill:\n{}",
            server.log_tail(30)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    let acknowledged: Vec<usize> = {
        http.join()
            .expect("the HTTP sender saw only full acceptances");
        acknowledged.lock().map(|a| a.clone()).unwrap_or_default()
    };
    assert!(
        acknowledged.len() < HTTP_BATCHES,
        "the kill landed after the last HTTP batch; raise HTTP_BATCHES"
    );
    let mqtt_at_kill = runtime.block_on(counts(&db, &mqtt_device)).0;
    assert!(
        mqtt_at_kill < (MQTT_MESSAGES * MQTT_MESSAGE) as i64,
        "the kill landed after the last MQTT message; raise MQTT_MESSAGES"
    );
    eprintln!(
        "{backend:?}: killed after {} acknowledged HTTP batches and {mqtt_at_kill} MQTT readings",
        acknowledged.len()
    );
    server.restart();
    server.wait_ready(Duration::from_secs(300));

    // Every acknowledged HTTP reading is there, before anything is sent again.
    let stored = runtime.block_on(message_ids(&db, &http_device));
    for b in &acknowledged {
        for i in 0..HTTP_BATCH {
            assert!(
                stored.contains(&format!("h{b}-{i}")),
                "reading {i} of acknowledged batch {b} was lost in the crash ({backend:?})"
            );
        }
    }

    // The device sends every batch again, as one that saw no answer does: the acknowledged
    // ones are answered as duplicates, and every reading ends up stored once.
    for (b, batch) in batches.iter().enumerate() {
        let report = json(
            server.send(
                "POST",
                "/api/v1/devices/readings",
                &http_secret,
                Some(("application/x-ndjson", batch)),
            ),
            200,
        );
        if acknowledged.contains(&b) {
            assert_eq!(
                report["duplicates"], HTTP_BATCH,
                "acknowledged batch {b} stored again: {report}"
            );
        }
        assert_eq!(report["invalid"], 0, "{report}");
    }
    let http_total = (HTTP_BATCHES * HTTP_BATCH) as i64;
    assert_eq!(
        runtime.block_on(counts(&db, &http_device)),
        (http_total, http_total),
        "HTTP readings and message ids ({backend:?})"
    );

    // MQTT: the broker holds what the killed process had not acknowledged and redelivers it
    // to the restarted one; each reading is stored once.
    mqtt.join().expect("the publisher finished");
    let mqtt_total = (MQTT_MESSAGES * MQTT_MESSAGE) as i64;
    let started = Instant::now();
    loop {
        let counted = runtime.block_on(counts(&db, &mqtt_device));
        if counted.0 >= mqtt_total {
            assert_eq!(
                counted,
                (mqtt_total, mqtt_total),
                "MQTT readings and message ids ({backend:?})"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{} of {mqtt_total} MQTT readings stored after the restart:\n{}",
            counted.0,
            server.log_tail(30)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (readings, in_summaries) = runtime.block_on(summarised(&db, &resident_id));
    assert_eq!(
        in_summaries, readings,
        "every reading counted once in the daily summaries ({backend:?})"
    );
    runtime.block_on(db.close());
}

/// `n` heart-rate readings as NDJSON, message ids `<prefix><i>`.
fn lines(prefix: &str, n: usize, taken_at: &str) -> String {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"message_id":"{prefix}{i}","measure":"heart_rate","value":{},"unit":"/min","taken_at":"{taken_at}"}}"#,
                60 + i % 40
            ) + "\n"
        })
        .collect()
}

/// Posts `batches` in order until the server stops answering; the index of each batch
/// answered 200 (every reading accepted) goes to `acknowledged`.
fn post_until_refused(
    server: &Server,
    secret: &str,
    batches: &[String],
    acknowledged: Arc<Mutex<Vec<usize>>>,
) -> JoinHandle<()> {
    let base = server.base.clone();
    let secret = secret.to_owned();
    let batches = batches.to_vec();
    std::thread::spawn(move || {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build();
        for (b, batch) in batches.iter().enumerate() {
            let answer = agent
                .post(&format!("{base}/api/v1/devices/readings"))
                .set("Authorization", &format!("Bearer {secret}"))
                .set("Content-Type", "application/x-ndjson")
                .send_string(batch);
            let Ok(response) = answer else { return };
            let Ok(report) = response.into_json::<Value>() else {
                return;
            };
            assert_eq!(report["accepted"], HTTP_BATCH, "batch {b}: {report}");
            if let Ok(mut a) = acknowledged.lock() {
                a.push(b);
            }
        }
    })
}

/// A device-side MQTT client publishing `messages` with QoS 1, returning once the broker has
/// acknowledged each (the broker, not the platform: the platform may be down meanwhile).
fn publish(port: u16, topic: String, messages: Vec<Vec<u8>>) -> JoinHandle<()> {
    let mut options = MqttOptions::new(format!("crash-test-{port}"), "127.0.0.1", port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut connection) = Client::new(options, 64);
    let n = messages.len();
    std::thread::spawn(move || {
        let sender = std::thread::spawn(move || {
            for message in messages {
                client
                    .publish(topic.clone(), QoS::AtLeastOnce, false, message)
                    .expect("the publisher's queue takes the message");
            }
            client
        });
        let mut acked = 0;
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    acked += 1;
                    if acked == n {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => panic!("the publisher lost the broker: {e}"),
            }
        }
        if let Ok(client) = sender.join() {
            let _ = client.disconnect();
        }
    })
}

/// The JSON body of an answer expected with `status`.
fn json(answer: Result<(u16, String), String>, status: u16) -> Value {
    let (got, body) = answer.unwrap_or_else(|e| panic!("no answer: {e}"));
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

async fn message_ids(db: &store::Db, device_id: &str) -> HashSet<String> {
    store::sqlx::query_scalar(&format!(
        "SELECT message_id FROM device_readings WHERE device_id = '{device_id}'"
    ))
    .fetch_all(db.pool())
    .await
    .expect("readings")
    .into_iter()
    .collect()
}

/// Readings and message ids the device has stored.
async fn counts(db: &store::Db, device_id: &str) -> (i64, i64) {
    (
        count(
            db,
            &format!("SELECT COUNT(*) FROM device_readings WHERE device_id = '{device_id}'"),
        )
        .await,
        count(
            db,
            &format!("SELECT COUNT(*) FROM device_messages WHERE device_id = '{device_id}'"),
        )
        .await,
    )
}

/// The resident's readings (of every device, the demo's too) and the readings their daily
/// summaries count: equal when no reading was counted twice or left out.
async fn summarised(db: &store::Db, resident_id: &str) -> (i64, i64) {
    (
        count(
            db,
            &format!("SELECT COUNT(*) FROM device_readings WHERE resident_id = '{resident_id}'"),
        )
        .await,
        count(
            db,
            &format!(
                "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM device_summaries \
                 WHERE period = 'day' AND resident_id = '{resident_id}'"
            ),
        )
        .await,
    )
}

async fn count(db: &store::Db, sql: &str) -> i64 {
    store::sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
