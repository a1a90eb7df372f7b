//! Ledger benchmark: durable appends per second through `Ledger::record` from many concurrent
//! tasks, beside a raw baseline that inserts the same rows without hashing or signing; then
//! proof generation and verification latency at the final tree size, and a full `verify`.
//!
//! ```text
//! cargo run --release -p ledger --example ledger_bench -- \
//!     [--entries N] [--backend sqlite|postgres|both] [--tasks T]
//! ```
//!
//! Each backend gets a fresh database: a SQLite file in a temporary directory (WAL,
//! synchronous=FULL, as the platform runs it) and a fresh schema on the PostgreSQL server of
//! `LIFEHEALTH_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::collections::BTreeSet;
use std::error::Error;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use ledger::merkle::{MerkleTree, leaf_hash};
use ledger::{AuditEvent, Ledger, PurposeOfUse};
use rand::{Rng, SeedableRng};
use store::bench::cpu_seconds;
use store::sqlx;
use store::{Backend, Db};

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

struct Args {
    entries: u64,
    backends: Vec<&'static str>,
    tasks: u64,
}

fn parse_args() -> BoxResult<Args> {
    let mut args = Args {
        entries: 100_000,
        backends: vec!["sqlite", "postgres"],
        tasks: 256,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--entries" => args.entries = value.parse()?,
            "--tasks" => args.tasks = value.parse::<u64>()?.max(1),
            "--backend" => {
                args.backends = match value.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    "both" => vec!["sqlite", "postgres"],
                    other => return Err(format!("unknown backend {other}").into()),
                }
            }
            other => {
                return Err(format!(
                    "unknown flag {other}; usage: [--entries N] [--backend sqlite|postgres|both] [--tasks T]"
                )
                .into());
            }
        }
    }
    Ok(args)
}

fn event(i: u64) -> AuditEvent {
    AuditEvent {
        actor: format!("user-{}", i % 997),
        organisation: Some(format!("org-{}", i % 31)),
        action: "resident.read".into(),
        subject_type: "resident".into(),
        subject_id: format!("resident-{}", i % 100_003),
        purpose: PurposeOfUse::CareManagement,
        at: 1_700_000_000_000 + i as i64,
        data_hash: ledger::data_hash(&i.to_be_bytes()),
    }
}

/// Latency summary in microseconds.
fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() - 1) as f64 * q).round() as usize;
        samples[i].as_secs_f64() * 1e6
    };
    println!(
        "  {label:<34} p50 {:>7.1} µs   p99 {:>7.1} µs   max {:>7.1} µs",
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

async fn ledger_appends(db: &Db, entries: u64, tasks: u64) -> BoxResult<(Ledger, f64, f64, f64)> {
    let ledger = Ledger::open(db.clone(), SigningKey::from_bytes(&[9u8; 32])).await?;
    let cpu = cpu_seconds();
    let started = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let ledger = ledger.clone();
        handles.push(tokio::spawn(async move {
            let mut batches = Vec::new();
            let mut i = t;
            while i < entries {
                batches.push(ledger.record(event(i)).await?.tree_size);
                i += tasks;
            }
            Ok::<_, ledger::LedgerError>(batches)
        }));
    }
    let mut heads = BTreeSet::new();
    for h in handles {
        heads.extend(h.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rate = entries as f64 / elapsed;
    let mean_batch = entries as f64 / heads.len().max(1) as f64;
    let cores = (cpu_seconds() - cpu) / elapsed;
    Ok((ledger, rate, mean_batch, cores))
}

/// The same rows (event JSON with its seq, and the same query columns and indexes) inserted with
/// plain multi-row INSERTs, in transactions of the ledger's mean batch size, from one task:
/// what the database itself costs, without hashing, signing or the writer's channel.
async fn raw_baseline(db: &Db, entries: u64, batch: usize) -> BoxResult<(f64, f64)> {
    for sql in [
        "CREATE TABLE bench_raw (seq BIGINT PRIMARY KEY, data TEXT NOT NULL, \
         appended_at BIGINT NOT NULL, actor TEXT, organisation TEXT, action TEXT, \
         subject_type TEXT, subject_id TEXT, purpose TEXT)",
        "CREATE INDEX bench_raw_subject ON bench_raw (subject_type, subject_id, seq)",
        "CREATE INDEX bench_raw_actor ON bench_raw (actor, seq)",
    ] {
        sqlx::query(sql).execute(db.pool()).await?;
    }
    let columns = 9;
    let max_rows = match db.backend() {
        Backend::Sqlite => 32_766 / columns,
        Backend::Postgres => 65_535 / columns,
    };
    let events: Vec<(AuditEvent, String)> = (0..entries)
        .map(|i| {
            let e = event(i);
            let json = serde_json::json!({ "seq": i, "event": &e }).to_string();
            (e, json)
        })
        .collect();
    let now = 1_700_000_000_000i64;
    let cpu = cpu_seconds();
    let started = Instant::now();
    let mut seq = 0usize;
    for txn in events.chunks(batch.max(1)) {
        let mut tx = db.pool().begin().await?;
        for chunk in txn.chunks(max_rows) {
            let mut sql = String::from(
                "INSERT INTO bench_raw (seq, data, appended_at, actor, organisation, action, \
                 subject_type, subject_id, purpose) VALUES ",
            );
            for r in 0..chunk.len() {
                if r > 0 {
                    sql.push(',');
                }
                sql.push('(');
                for c in 0..columns {
                    if c > 0 {
                        sql.push(',');
                    }
                    // The same placeholder style as the ledger's writer (see its
                    // insert_entries_sql: named SQLite parameters bind in O(P²)).
                    match db.backend() {
                        Backend::Sqlite => sql.push('?'),
                        Backend::Postgres => sql.push_str(&format!("${}", r * columns + c + 1)),
                    }
                }
                sql.push(')');
            }
            let mut q = sqlx::query(&sql);
            for (e, json) in chunk {
                q = q
                    .bind(seq as i64)
                    .bind(json.as_str())
                    .bind(now)
                    .bind(e.actor.as_str())
                    .bind(e.organisation.as_deref())
                    .bind(e.action.as_str())
                    .bind(e.subject_type.as_str())
                    .bind(e.subject_id.as_str())
                    .bind(e.purpose.code());
                seq += 1;
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok((entries as f64 / elapsed, (cpu_seconds() - cpu) / elapsed))
}

fn proof_latencies(ledger: &Ledger, samples: usize) -> BoxResult<()> {
    let head = ledger.latest_tree_head();
    let n = head.tree_size;
    // One untimed call first: the baseline just freed 100,000 rows, and the next allocation on
    // this thread pays glibc's malloc_consolidate for them (milliseconds), whatever it is for.
    std::hint::black_box(ledger.inclusion_proof(0, n)?);
    let mut rng = rand::rngs::StdRng::seed_from_u64(6962);
    let (mut inclusion, mut consistency, mut check_inclusion, mut check_consistency) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..samples {
        let seq = rng.gen_range(0..n);
        let t = Instant::now();
        let proof = ledger.inclusion_proof(seq, n)?;
        inclusion.push(t.elapsed());
        let t = Instant::now();
        let ok = proof.verify(&head.root_hash);
        check_inclusion.push(t.elapsed());
        if !ok {
            return Err(format!("inclusion proof of {seq} did not verify").into());
        }

        let first = rng.gen_range(1..=n);
        let first_root = ledger.root(first)?;
        let t = Instant::now();
        let proof = ledger.consistency_proof(first, n)?;
        consistency.push(t.elapsed());
        let t = Instant::now();
        let ok = proof.verify(&first_root, &head.root_hash);
        check_consistency.push(t.elapsed());
        if !ok {
            return Err(format!("consistency proof {first}->{n} did not verify").into());
        }
    }
    println!("  proofs at tree size {n} ({samples} random samples each):");
    summary("inclusion proof generation", inclusion);
    summary("inclusion proof verification", check_inclusion);
    summary("consistency proof generation", consistency);
    summary("consistency proof verification", check_consistency);
    Ok(())
}

/// A fresh, empty database of `backend` (and the directory that holds a SQLite file).
async fn fresh(backend: &str) -> (Db, Option<tempfile::TempDir>) {
    match backend {
        "sqlite" => {
            let (db, dir) = store::testing::sqlite().await;
            (db, Some(dir))
        }
        _ => (store::testing::postgres().await, None),
    }
}

async fn run(backend: &str, args: &Args) -> BoxResult<()> {
    let (db, _dir) = fresh(backend).await;
    println!(
        "== {} ({}): {} entries, {} concurrent tasks",
        backend,
        db.display_url(),
        args.entries,
        args.tasks
    );
    let (ledger, rate, mean_batch, cores) = ledger_appends(&db, args.entries, args.tasks).await?;
    // The baseline gets its own fresh database, so both start from the same empty state.
    let (raw_db, _raw_dir) = fresh(backend).await;
    let (raw, raw_cores) = raw_baseline(&raw_db, args.entries, mean_batch.round() as usize).await?;
    raw_db.close().await;
    println!(
        "  Ledger::record (durable, hashed, signed)  {rate:>9.0} appends/s   mean batch {mean_batch:.0} events, bench process {cores:.2} cores"
    );
    println!(
        "  raw multi-row INSERT, same batch size     {raw:>9.0} rows/s      bench process {raw_cores:.2} cores; ledger = {:.0}% of raw",
        100.0 * rate / raw
    );
    proof_latencies(&ledger, 10_000)?;
    let t = Instant::now();
    let report = ledger.verify().await?;
    println!(
        "  full verify: {:.2} s for {} entries and {} tree heads ({})",
        t.elapsed().as_secs_f64(),
        report.entries_checked,
        report.tree_heads_checked,
        if report.is_ok() { "intact" } else { "TAMPERED" }
    );
    drop(ledger);
    let t = Instant::now();
    let reopened = Ledger::open(db.clone(), SigningKey::from_bytes(&[9u8; 32])).await?;
    println!(
        "  reopen (load and check {} leaf hashes): {:.2} s",
        reopened.tree_size(),
        t.elapsed().as_secs_f64()
    );
    drop(reopened);
    db.close().await;
    Ok(())
}

/// Proof generation on a large in-memory tree, independent of the database.
fn large_tree(leaves: u64) -> BoxResult<()> {
    let t = Instant::now();
    let tree = MerkleTree::from_leaves((0..leaves).map(|i| leaf_hash(&i.to_be_bytes())));
    println!(
        "== in-memory MerkleTree of {leaves} leaves (built in {:.2} s)",
        t.elapsed().as_secs_f64()
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(9162);
    let (mut inclusion, mut consistency) = (Vec::new(), Vec::new());
    for _ in 0..10_000 {
        let size = rng.gen_range(1..=leaves);
        let index = rng.gen_range(0..size);
        let t = Instant::now();
        let proof = tree.inclusion_proof(index, size)?;
        inclusion.push(t.elapsed());
        std::hint::black_box(proof);
        let first = rng.gen_range(1..=size);
        let t = Instant::now();
        let proof = tree.consistency_proof(first, size)?;
        consistency.push(t.elapsed());
        std::hint::black_box(proof);
    }
    summary("inclusion proof, random past size", inclusion);
    summary("consistency proof, random sizes", consistency);
    Ok(())
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    let args = parse_args()?;
    for backend in args.backends.clone() {
        run(backend, &args).await?;
    }
    large_tree(1 << 20 | 12_345)?;
    Ok(())
}
