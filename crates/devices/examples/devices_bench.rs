//! Device ingest benchmark: readings per second through the domain ingest, the HTTP batch path
//! and MQTT through the real broker, each beside the raw insert of the same rows in the same run.
//!
//! ```text
//! cargo run --release -p devices --example devices_bench -- \
//!     [--readings N] [--batch B] [--clients C] [--devices D] [--mqtt-batch M] \
//!     [--backend sqlite|postgres|both] [--skip-mqtt]
//! ```
//!
//! Readings are heart rates (one value, one row each; one in a hundred above 100/min, a danger
//! sign) from D smart watches, each bound to its own resident, spread over the last hours. The
//! alert feed takes what the platform's does (`--feed-all`, `--no-feed` to compare). Stages,
//! each on a fresh database:
//!
//! - raw: the same rows (resident, series, time, device, message id, value) written by
//!   multi-row INSERTs with bound parameters (`store::bulk`), B rows a transaction on the
//!   writer, C writers at once: what the database takes with no ingest work at all;
//! - ingest: `Devices::ingest` of pre-parsed batches of B (checks, dedup table, readings,
//!   summaries, one transaction a batch), C senders at once;
//! - http: the full HTTP path: an axum router started in this process (the same calls as
//!   `crates/web/src/api/devices.rs`: `Devices::receive` and the JSON answer, without the
//!   platform's session middleware), C keep-alive connections posting NDJSON batches of B;
//! - mqtt: C publishers send signed messages of M readings with QoS 1, as fast as the broker
//!   takes them, to a Mosquitto this benchmark starts on a free port with `max_queued_messages`
//!   raised (Mosquitto's default of 1,000 drops QoS 1 messages for a subscriber that is behind;
//!   ADR 0010); the clock stops when the subscriber has committed every reading.
//!
//! Client and server share this machine's cores: HTTP and MQTT figures include the clients'
//! CPU, as a real deployment's would not.

// The allocator the platform's binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use devices::mqtt::{self, MqttSettings};
use devices::{Batch, Devices, Format};
use kernel::UtcMillis;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use store::Db;
use store::bench::cpu_seconds;
use store::bulk::InsertShapes;
use store::sqlx;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vault::Keyring;

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

struct Args {
    readings: usize,
    batch: usize,
    clients: usize,
    devices: usize,
    mqtt_batch: usize,
    backends: Vec<&'static str>,
    mqtt: bool,
    /// Which readings enter the alert feed: the platform's choice (those the alert rules would
    /// act on), every one (the feed's worst case) or none.
    feed: Feed,
}

#[derive(Clone, Copy, PartialEq)]
enum Feed {
    Platform,
    All,
    None,
}

const HELP: &str =
    "devices_bench: readings per second through the device ingest, beside the raw insert
  --readings N      readings per stage (default 200000)
  --batch B         readings per HTTP request / ingest call / raw transaction (default 1000)
  --clients C       concurrent senders (default 4)
  --devices D       devices (each its own resident) the readings come from (default 100)
  --mqtt-batch M    readings per MQTT message (default 100)
  --backend X       sqlite, postgres or both (default sqlite)
  --skip-mqtt       leave out the MQTT stage (no broker needed)
  --feed-all        every reading also enters the alert feed (its worst case)
  --no-feed         no alert feed (the default is the platform's: the readings the alert rules
                    would act on, here the heart rates above 100/min)";

fn parse_args() -> BoxResult<Option<Args>> {
    let mut args = Args {
        readings: 200_000,
        batch: 1_000,
        clients: 4,
        devices: 100,
        mqtt_batch: 100,
        backends: vec!["sqlite"],
        mqtt: true,
        feed: Feed::Platform,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{HELP}");
            return Ok(None);
        }
        if flag == "--skip-mqtt" {
            args.mqtt = false;
            continue;
        }
        if flag == "--feed-all" {
            args.feed = Feed::All;
            continue;
        }
        if flag == "--no-feed" {
            args.feed = Feed::None;
            continue;
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--readings" => args.readings = value.parse::<usize>()?.max(1),
            "--batch" => args.batch = value.parse::<usize>()?.max(1),
            "--clients" => args.clients = value.parse::<usize>()?.max(1),
            "--devices" => args.devices = value.parse::<usize>()?.max(1),
            "--mqtt-batch" => args.mqtt_batch = value.parse::<usize>()?.max(1),
            "--backend" => {
                args.backends = match value.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    "both" => vec!["sqlite", "postgres"],
                    other => return Err(format!("unknown backend {other}").into()),
                }
            }
            other => return Err(format!("unknown flag {other}\n{HELP}").into()),
        }
    }
    Ok(Some(args))
}

/// A fresh, migrated database of `backend` (the directory guard keeps a SQLite file alive).
async fn fresh(backend: &str) -> BoxResult<(Db, Option<tempfile::TempDir>)> {
    let (db, dir) = match backend {
        "sqlite" => {
            let (db, dir) = store::testing::sqlite().await;
            (db, Some(dir))
        }
        _ => (store::testing::postgres().await, None),
    };
    db.migrate(&[devices::migrations()]).await?;
    Ok((db, dir))
}

struct Fleet {
    devices: Devices,
    /// (bound device, credential) per device.
    members: Vec<(devices::BoundDevice, String)>,
}

async fn fleet(db: &Db, n: usize, feed: Feed) -> BoxResult<Fleet> {
    let devices = Devices::new(db.clone(), Arc::new(Keyring::for_tests()))?;
    let devices = match feed {
        // As `web::readings::feed_filter` configures the platform.
        Feed::Platform => {
            let rules = alerts::RuleBook::builtin()?;
            devices.with_feed(Arc::new(move |values: &[devices::Accepted]| {
                let reading: Vec<(&str, f64)> = values
                    .iter()
                    .map(|a| (a.series.as_str(), a.value))
                    .collect();
                rules.acts_on(&reading)
            }))
        }
        Feed::All => devices.with_feed(Arc::new(|_: &[devices::Accepted]| true)),
        Feed::None => devices,
    };
    let mut members = Vec::with_capacity(n);
    for i in 0..n {
        let (_, secret) = devices
            .register(
                "bench",
                "smart_watch",
                &format!("watch {i}"),
                Some(&format!("resident-{i:05}")),
            )
            .await?;
        members.push((devices.authenticate(&secret).await?, secret));
    }
    Ok(Fleet { devices, members })
}

/// NDJSON bodies of `batch` readings, each body from one device, `total` readings in all.
/// `tag` keeps message ids distinct between stages.
/// 60 to 99 beats a minute, and one reading in a hundred at 112: a danger sign the alert rules
/// act on, so it enters the feed.
fn heart_rate(i: usize) -> usize {
    if i % 100 == 99 { 112 } else { 60 + i % 40 }
}

fn bodies(total: usize, batch: usize, devices: usize, tag: &str) -> Vec<(usize, String)> {
    let now = UtcMillis::now().0;
    let mut out = Vec::new();
    let mut n = 0;
    while n < total {
        let d = out.len() % devices;
        let size = batch.min(total - n);
        let mut body = String::with_capacity(size * 130);
        for i in 0..size {
            let taken = UtcMillis(now - 3_600_000 + ((n + i) as i64 % 3_600_000));
            body.push_str(&format!(
                "{{\"message_id\":\"{tag}-{}\",\"measure\":\"heart_rate\",\"value\":{},\"unit\":\"/min\",\"taken_at\":\"{}\"}}\n",
                n + i,
                heart_rate(n + i),
                taken.to_rfc3339()
            ));
        }
        out.push((d, body));
        n += size;
    }
    out
}

fn report(stage: &str, readings: usize, wall: Duration, cpu: f64, baseline: Option<f64>) -> f64 {
    let rate = readings as f64 / wall.as_secs_f64();
    let beside = baseline.map_or(String::new(), |b| {
        format!("  ({:.0}% of raw)", rate / b * 100.0)
    });
    println!(
        "  {stage:<34} {readings:>8} readings in {:>6.2} s = {:>9.0} /s  CPU {:>5.1} µs/reading{beside}",
        wall.as_secs_f64(),
        rate,
        cpu * 1e6 / readings as f64
    );
    rate
}

/// Splits `items` into `clients` round-robin shares.
fn shares<T>(items: Vec<T>, clients: usize) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = (0..clients).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        out[i % clients].push(item);
    }
    out
}

async fn raw_insert(args: &Args, backend: &str) -> BoxResult<f64> {
    let (db, _dir) = fresh(backend).await?;
    let columns = [
        "resident_id",
        "series",
        "taken_at",
        "device_id",
        "message_id",
        "value",
    ];
    let shapes = Arc::new(InsertShapes::new(
        "device_readings",
        &columns,
        args.batch,
        db.backend(),
    ));
    let now = UtcMillis::now().0;
    let rows: Vec<(String, i64, String, String, f64)> = (0..args.readings)
        .map(|i| {
            let d = (i / args.batch) % args.devices;
            (
                format!("resident-{d:05}"),
                now - 3_600_000 + (i as i64 % 3_600_000),
                format!("device-{d:05}"),
                format!("raw-{i}"),
                (60 + i % 40) as f64,
            )
        })
        .collect();
    let batches: Vec<Vec<_>> = rows.chunks(args.batch).map(<[_]>::to_vec).collect();
    let started = Instant::now();
    let cpu = cpu_seconds();
    let mut tasks = Vec::new();
    for share in shares(batches, args.clients) {
        let db = db.clone();
        let shapes = shapes.clone();
        tasks.push(tokio::spawn(async move {
            for batch in share {
                let mut tx = db.writer().begin().await?;
                let mut left = &batch[..];
                while !left.is_empty() {
                    let (sql, n) = shapes.next(left.len());
                    let mut q = sqlx::query(sql);
                    for (resident, taken, device, message, value) in &left[..n] {
                        q = q
                            .bind(resident.as_str())
                            .bind("heart_rate")
                            .bind(*taken)
                            .bind(device.as_str())
                            .bind(message.as_str())
                            .bind(*value);
                    }
                    q.execute(&mut *tx).await?;
                    left = &left[n..];
                }
                tx.commit().await?;
            }
            Ok::<_, sqlx::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(report(
        "raw multi-row INSERT",
        args.readings,
        started.elapsed(),
        cpu_seconds() - cpu,
        None,
    ))
}

async fn domain_ingest(args: &Args, backend: &str, raw: f64) -> BoxResult<()> {
    let (db, _dir) = fresh(backend).await?;
    let fleet = fleet(&db, args.devices, args.feed).await?;
    let limits = fleet.devices.limits();
    let mut batches = Vec::new();
    for (d, body) in bodies(args.readings, args.batch, args.devices, "ingest") {
        let items = devices::payload::parse(body.as_bytes(), Format::Ndjson, limits)?;
        batches.push(Batch {
            device: fleet.members[d].0.clone(),
            items,
        });
    }
    let started = Instant::now();
    let cpu = cpu_seconds();
    let mut tasks = Vec::new();
    for share in shares(batches, args.clients) {
        let devices = fleet.devices.clone();
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0;
            for batch in share {
                accepted += devices.ingest(batch).await?.counts().0;
            }
            Ok::<_, devices::DevicesError>(accepted)
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await??;
    }
    assert_eq!(accepted, args.readings, "every reading accepted");
    report(
        "domain ingest (parsed batches)",
        args.readings,
        started.elapsed(),
        cpu_seconds() - cpu,
        Some(raw),
    );
    Ok(())
}

/// The handler of `crates/web/src/api/devices.rs`, less the platform's middleware.
async fn post_readings(
    State(devices): State<Devices>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match devices.receive(bearer, content_type, &body).await {
        Ok(report) => axum::Json(report.answer()).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

/// A minimal HTTP/1.1 keep-alive client: posts and reads the answer by Content-Length.
async fn post_batch(
    stream: &mut tokio::net::TcpStream,
    secret: &str,
    body: &str,
) -> BoxResult<u16> {
    let head = format!(
        "POST /api/v1/devices/readings HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {secret}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    let (header_end, length, status) = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end])?.to_ascii_lowercase();
            let status: u16 = head.get(9..12).unwrap_or("0").parse()?;
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .ok_or("no content-length")?
                .trim()
                .parse::<usize>()?;
            break (end + 4, length, status);
        }
    };
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}

async fn http_path(args: &Args, backend: &str, raw: f64) -> BoxResult<()> {
    let (db, _dir) = fresh(backend).await?;
    let fleet = fleet(&db, args.devices, args.feed).await?;
    let app = Router::new()
        .route("/api/v1/devices/readings", post(post_readings))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(fleet.devices.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let work: Vec<(String, String)> = bodies(args.readings, args.batch, args.devices, "http")
        .into_iter()
        .map(|(d, body)| (fleet.members[d].1.clone(), body))
        .collect();
    let started = Instant::now();
    let cpu = cpu_seconds();
    let mut tasks = Vec::new();
    for share in shares(work, args.clients) {
        tasks.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            for (secret, body) in share {
                let status = post_batch(&mut stream, &secret, &body).await?;
                if status != 200 {
                    return Err(format!("HTTP {status}").into());
                }
            }
            Ok::<_, Box<dyn Error + Send + Sync>>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let wall = started.elapsed();
    let cpu = cpu_seconds() - cpu;
    server.abort();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM device_readings")
        .fetch_one(db.pool())
        .await?;
    assert_eq!(stored as usize, args.readings, "every reading stored");
    report(
        "HTTP batch (NDJSON, in-process axum)",
        args.readings,
        wall,
        cpu,
        Some(raw),
    );
    Ok(())
}

async fn mqtt_path(args: &Args, backend: &str, raw: f64) -> BoxResult<()> {
    let (db, _dir) = fresh(backend).await?;
    let fleet = fleet(&db, args.devices, args.feed).await?;
    let broker =
        devices::testing::Broker::try_start().map_err(|e| format!("{e} (or --skip-mqtt)"))?;
    let port = broker.port;
    let mut settings = MqttSettings::from_url(
        &format!("mqtt://127.0.0.1:{port}"),
        &format!("devices-bench-{}", kernel::Id::new()),
    )?;
    settings.persistent_session = false;
    let mut subscriber = mqtt::spawn(fleet.devices.clone(), settings);
    tokio::time::timeout(Duration::from_secs(30), subscriber.subscribed())
        .await
        .map_err(|_| "the subscriber did not connect to the benchmark's broker")?;
    let stats = subscriber.stats.clone();
    let messages: Vec<(String, Vec<u8>)> =
        bodies(args.readings, args.mqtt_batch, args.devices, "mqtt")
            .into_iter()
            .map(|(d, body)| {
                let (device, secret) = &fleet.members[d];
                (
                    mqtt::topic_for(&device.id),
                    devices::signed_message(secret, body.as_bytes()),
                )
            })
            .collect();
    let total_messages = messages.len() as u64;
    let started = Instant::now();
    let cpu = cpu_seconds();
    let mut tasks = Vec::new();
    for (c, share) in shares(messages, args.clients).into_iter().enumerate() {
        let stats = stats.clone();
        tasks.push(tokio::spawn(async move {
            let mut options = MqttOptions::new(
                format!("bench-device-{c}-{}", kernel::Id::new()),
                "127.0.0.1",
                port,
            );
            options.set_max_packet_size(16 << 20, 16 << 20);
            let (client, mut eventloop) = AsyncClient::new(options, 256);
            let poller = tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
            for (topic, message) in share {
                client
                    .publish(topic, QoS::AtLeastOnce, false, message)
                    .await?;
            }
            // Let the event loop send what is queued before the task ends.
            while stats.stored.load(Ordering::Relaxed) < total_messages {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            poller.abort();
            Ok::<_, rumqttc::ClientError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let wall = started.elapsed();
    let cpu = cpu_seconds() - cpu;
    let accepted = stats.accepted_readings.load(Ordering::Relaxed) as usize;
    assert_eq!(accepted, args.readings, "every reading committed");
    assert_eq!(stats.duplicate_readings.load(Ordering::Relaxed), 0);
    println!(
        "  (MQTT: at most {} messages held at once, {} connection(s))",
        stats.held_peak.load(Ordering::Relaxed),
        stats.connections.load(Ordering::Relaxed)
    );
    drop(subscriber);
    drop(broker);
    report(
        &format!("MQTT QoS 1 ({} readings/message)", args.mqtt_batch),
        args.readings,
        wall,
        cpu,
        Some(raw),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    let Some(args) = parse_args()? else {
        return Ok(());
    };
    println!(
        "devices_bench: {} readings, batches of {}, {} senders, {} devices, feed: {}",
        args.readings,
        args.batch,
        args.clients,
        args.devices,
        match args.feed {
            Feed::Platform => "the platform's (readings the alert rules act on)",
            Feed::All => "every reading",
            Feed::None => "none",
        }
    );
    for backend in args.backends.clone() {
        println!("{backend}:");
        let raw = raw_insert(&args, backend).await?;
        domain_ingest(&args, backend, raw).await?;
        http_path(&args, backend, raw).await?;
        if args.mqtt {
            mqtt_path(&args, backend, raw).await?;
        }
    }
    Ok(())
}
