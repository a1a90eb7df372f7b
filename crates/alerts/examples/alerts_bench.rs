//! Alerts benchmark: facts per second through `Alerts::on_readings` for batches of 1,000
//! facts of which 1% trigger (a blood-pressure crisis), beside a raw multi-row INSERT of the
//! same daily aggregates; and the latency from the call to the committed alert (p50/p99).
//!
//! ```text
//! cargo run --release -p alerts --example alerts_bench -- \
//!     [--batches N] [--residents R] [--backend sqlite|postgres|both]
//! ```
//!
//! Each backend gets a fresh database: a SQLite file in a temporary directory (WAL,
//! synchronous=FULL) and a fresh schema on the PostgreSQL server of
//! `LIFEHEALTH_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alerts::{Alerts, CareLookup, ReadingFact, RuleBook};
use kernel::{ResidentIdNumber, Sex, UtcMillis};
use ledger::Ledger;
use registry::{CareTeam, CaseFinding, PersonFacts, Registers, ResidentIndex, SourceRecord};
use store::bench::{cpu_seconds, percentile_ms};
use store::bulk::InsertShapes;
use store::sqlx::{self, Acquire};
use store::{Db, testing};
use vault::Keyring;

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const FACTS_PER_BATCH: usize = 1_000;
const TRIGGERING_PER_BATCH: usize = 10;
/// 2030-01-01T00:00:00Z.
const T0: i64 = 1_893_456_000_000;
const HOUR: i64 = 3_600_000;

struct Args {
    batches: usize,
    residents: usize,
    backends: Vec<&'static str>,
}

fn parse_args() -> BoxResult<Args> {
    let mut args = Args {
        batches: 200,
        residents: 400,
        backends: vec!["sqlite", "postgres"],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--batches" => args.batches = value.parse::<usize>()?.max(1),
            "--residents" => args.residents = value.parse::<usize>()?.clamp(10, 499),
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
                    "unknown flag {other}; usage: [--batches N] [--residents R] [--backend sqlite|postgres|both]"
                )
                .into());
            }
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    let args = parse_args()?;
    println!(
        "alerts bench: {} batches of {FACTS_PER_BATCH} facts ({TRIGGERING_PER_BATCH} triggering), {} residents",
        args.batches, args.residents
    );
    for backend in &args.backends {
        let (db, _dir) = match *backend {
            "sqlite" => {
                let (db, dir) = testing::sqlite().await;
                (db, Some(dir))
            }
            _ => (testing::postgres().await, None),
        };
        run(&db, backend, &args).await?;
    }
    Ok(())
}

async fn run(db: &Db, backend: &str, args: &Args) -> BoxResult<()> {
    db.migrate(&[
        registry::migrations(),
        ledger::migrations(),
        alerts::migrations(),
    ])
    .await?;
    let keys = Keyring::for_tests();
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key()).await?;
    let index = ResidentIndex::new(db.clone(), Arc::new(keys));
    let registers = Registers::new(db.clone());
    let residents = setup_residents(&index, &registers, args.residents).await?;
    let alerts = Alerts::new(
        db.clone(),
        ledger,
        CareLookup::new(index, registers),
        RuleBook::builtin()?,
    );
    let batches: Vec<Vec<ReadingFact>> = (0..args.batches).map(|b| batch(b, &residents)).collect();

    // Through on_readings.
    let mut latencies = Vec::with_capacity(batches.len());
    let (mut raised, mut attached) = (0usize, 0u64);
    let cpu = cpu_seconds();
    let started = Instant::now();
    for (b, facts) in batches.iter().enumerate() {
        let t = Instant::now();
        let out = alerts.on_readings_at(facts, T0 + b as i64 * HOUR).await?;
        latencies.push(t.elapsed());
        raised += out.raised.len();
        attached += out.attached;
    }
    let elapsed = started.elapsed();
    let cpu = cpu_seconds() - cpu;
    let facts = (batches.len() * FACTS_PER_BATCH) as f64;

    // The raw INSERT of the same aggregates, one transaction per batch.
    sqlx::query(
        "CREATE TABLE bench_daily (resident_id TEXT NOT NULL, element TEXT NOT NULL, \
         day TEXT NOT NULL, n BIGINT NOT NULL, total DOUBLE PRECISION NOT NULL)",
    )
    .execute(db.pool())
    .await?;
    let shapes = InsertShapes::new(
        "bench_daily",
        &["resident_id", "element", "day", "n", "total"],
        1024,
        db.backend(),
    );
    let raw_cpu = cpu_seconds();
    let raw_started = Instant::now();
    let mut raw_rows = 0usize;
    for (b, facts) in batches.iter().enumerate() {
        let rows = aggregates(facts, b);
        raw_rows += rows.len();
        let mut conn = db.writer().acquire().await?;
        let mut tx = conn.begin().await?;
        let mut rest = rows.as_slice();
        while !rest.is_empty() {
            let (sql, n) = shapes.next(rest.len());
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let mut q = sqlx::query(sql);
            for (resident, element, day, n, total) in chunk {
                q = q
                    .bind(resident)
                    .bind(element)
                    .bind(day)
                    .bind(*n)
                    .bind(*total);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    let raw_elapsed = raw_started.elapsed();
    let raw_cpu = cpu_seconds() - raw_cpu;

    println!("\n{backend}");
    println!(
        "  on_readings     {:>9.0} facts/s  {:>6.2} µs CPU/fact  ({} alerts raised, {} readings attached)",
        facts / elapsed.as_secs_f64(),
        cpu * 1e6 / facts,
        raised,
        attached
    );
    println!(
        "  raw INSERT      {:>9.0} facts/s  {:>6.2} µs CPU/fact  ({} aggregate rows, {:.0} rows/s)",
        facts / raw_elapsed.as_secs_f64(),
        raw_cpu * 1e6 / facts,
        raw_rows,
        raw_rows as f64 / raw_elapsed.as_secs_f64()
    );
    println!(
        "  call → committed alert: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile_ms(&mut latencies, 0.5),
        percentile_ms(&mut latencies, 0.99),
        latencies
            .iter()
            .max()
            .copied()
            .unwrap_or(Duration::ZERO)
            .as_secs_f64()
            * 1e3
    );
    Ok(())
}

/// One batch: 500 blood-pressure readings on target, of which 10 are crises whose systolic
/// fact triggers (10 of 1,000 facts), an hour after the previous batch.
fn batch(b: usize, residents: &[String]) -> Vec<ReadingFact> {
    let at = T0 + b as i64 * HOUR;
    let mut facts = Vec::with_capacity(FACTS_PER_BATCH);
    for i in 0..FACTS_PER_BATCH / 2 {
        let resident = &residents[(b * 7 + i) % residents.len()];
        let crisis = i < TRIGGERING_PER_BATCH;
        let sbp = if crisis {
            185.0
        } else {
            118.0 + (i % 15) as f64
        };
        let source = format!("device:bench/{b}-{i}");
        for (key, value) in [("sbp", sbp), ("dbp", 70.0 + (i % 12) as f64)] {
            facts.push(ReadingFact {
                resident_id: resident.clone(),
                key: key.into(),
                value,
                at: at + i as i64,
                source: source.clone(),
            });
        }
    }
    facts
}

/// The daily aggregates of a batch, as `on_readings` computes them.
fn aggregates(facts: &[ReadingFact], b: usize) -> Vec<(String, String, String, i64, f64)> {
    let mut days: BTreeMap<(String, String, String), (i64, f64)> = BTreeMap::new();
    for f in facts {
        let day = UtcMillis(f.at).city_date().to_string();
        let e = days
            .entry((format!("{}-{b}", f.resident_id), f.key.clone(), day))
            .or_default();
        e.0 += 1;
        e.1 += f.value;
    }
    days.into_iter()
        .map(|((r, k, d), (n, t))| (r, k, d, n, t))
        .collect()
}

async fn setup_residents(
    index: &ResidentIndex,
    registers: &Registers,
    n: usize,
) -> BoxResult<Vec<String>> {
    let birth = jiff::civil::date(1965, 3, 1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let seq = u16::try_from(i + 1)?;
        let number = ResidentIdNumber::from_parts("320102", birth, seq, Sex::Female)
            .ok_or("bad id number")?;
        let source = SourceRecord {
            organisation_id: "hospital-bench".into(),
            source_patient_id: format!("p{i}"),
            facts: PersonFacts {
                id_number: Some(number),
                name: Some(format!("基准{i}")),
                sex: Some(Sex::Female),
                ..PersonFacts::default()
            },
        };
        let id = index
            .resolve(&source, || kernel::Id::new().to_string())
            .await?
            .resident_id()
            .ok_or("resident pending review")?
            .to_owned();
        index
            .set_care_team(
                &id,
                &CareTeam {
                    district: Some("gulou".into()),
                    community_centre_id: Some("chc-bench".into()),
                    family_doctor_id: Some(format!("doc-{}", i % 20)),
                    ..CareTeam::default()
                },
            )
            .await?;
        registers
            .enrol(
                &CaseFinding {
                    resident_id: id.clone(),
                    disease: "hypertension".into(),
                    found_on: jiff::civil::date(2025, 1, 1),
                    source_organisation: "hospital-bench".into(),
                    source_resource: format!("Condition/{i}"),
                    code_system: "http://hl7.org/fhir/sid/icd-10".into(),
                    code: "I10".into(),
                    rule: "ICD-10 I10–I15".into(),
                    reason_zh: "基准".into(),
                    reason_en: "bench".into(),
                },
                || kernel::Id::new().to_string(),
                T0,
            )
            .await?;
        out.push(id);
    }
    Ok(out)
}
