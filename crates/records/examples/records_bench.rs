//! Record store benchmark: resources committed per second in batches (as transaction Bundles
//! arrive), beside the raw multi-row insert of the same rows into the same tables without
//! encryption or version checks; then patient-scoped search latency and throughput, and the
//! time to read one patient's whole record (the timeline) beside the raw SELECT of its rows.
//!
//! ```text
//! cargo run --release -p records --example records_bench -- \
//!     [--resources N] [--batch B] [--patients P] [--backend sqlite|postgres|both]
//! ```
//!
//! SQLite gets a fresh file in a temporary folder (WAL, synchronous=FULL); PostgreSQL a fresh
//! schema on `LIFEHEALTH_TEST_POSTGRES_URL`.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use records::{
    Comparator, Condition, IndexRow, IndexValue, Query, RecordStore, SortKey, Visibility, Write,
    WriteKind,
};
use serde_json::json;
use store::Db;
use store::bench::percentile_ms;
use store::bulk::InsertShapes;
use store::sqlx;
use vault::Keyring;

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

struct Args {
    resources: usize,
    batch: usize,
    patients: usize,
    backends: Vec<&'static str>,
}

fn parse_args() -> BoxResult<Args> {
    let mut args = Args {
        resources: 100_000,
        batch: 1_000,
        patients: 10_000,
        backends: vec!["sqlite", "postgres"],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--resources" => args.resources = value.parse()?,
            "--batch" => args.batch = value.parse::<usize>()?.max(1),
            "--patients" => args.patients = value.parse::<usize>()?.max(1),
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
                    "unknown flag {other}; usage: [--resources N] [--batch B] [--patients P] [--backend sqlite|postgres|both]"
                )
                .into());
            }
        }
    }
    Ok(args)
}

const CODES: [&str; 6] = ["8480-6", "8462-4", "8867-4", "2339-0", "4548-4", "29463-7"];

/// A blood-pressure-like Observation of patient `i % patients`, about 500 bytes of JSON.
fn observation(prefix: &str, i: usize, patients: usize) -> Write {
    let patient = format!("p{}", i % patients);
    let code = CODES[i % CODES.len()];
    let at = 1_600_000_000_000_i64 + (i as i64) * 60_000;
    let value = 90.0 + (i % 90) as f64;
    Write {
        kind: WriteKind::Create,
        resource_type: "Observation".into(),
        id: format!("{prefix}{i}"),
        body: Some(json!({
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": format!("Patient/{patient}")},
            "effectiveDateTime": "2024-03-01T08:30:00+08:00",
            "valueQuantity": {"value": value, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
            "performer": [{"reference": "Organization/community-centre-17"}]
        })),
        patient_id: Some(patient.clone()),
        index: vec![
            IndexRow {
                param: "Observation.code".into(),
                value: IndexValue::Token {
                    system: Some("http://loinc.org".into()),
                    code: code.into(),
                },
            },
            IndexRow {
                param: "Observation.subject".into(),
                value: IndexValue::Reference {
                    target_type: Some("Patient".into()),
                    target_id: patient,
                },
            },
            IndexRow {
                param: "Observation.date".into(),
                value: IndexValue::Date {
                    low: at,
                    high: at + 1_000,
                },
            },
            IndexRow {
                param: "Observation.value-quantity".into(),
                value: IndexValue::Quantity {
                    system: Some("http://unitsofmeasure.org".into()),
                    code: Some("mm[Hg]".into()),
                    value,
                },
            },
        ],
    }
}

async fn fresh(backend: &str) -> BoxResult<(Db, Option<tempfile::TempDir>)> {
    Ok(match backend {
        "sqlite" => {
            let (db, dir) = store::testing::sqlite().await;
            (db, Some(dir))
        }
        _ => (store::testing::postgres().await, None),
    })
}

/// The raw baseline: the same rows, plaintext bodies, same tables and indexes, multi-row
/// INSERTs, one transaction per batch.
async fn raw_insert(db: &Db, args: &Args) -> BoxResult<f64> {
    let backend = db.backend();
    let resources = InsertShapes::new(
        "fhir_resources",
        &[
            "rid",
            "resource_type",
            "id",
            "version",
            "last_updated",
            "deleted",
            "patient_id",
            "body",
        ],
        1024,
        backend,
    );
    let tokens = InsertShapes::new(
        "fhir_idx_token",
        &["rid", "n", "param", "system", "code"],
        1024,
        backend,
    );
    let refs = InsertShapes::new(
        "fhir_idx_reference",
        &["rid", "n", "param", "target_type", "target_id"],
        1024,
        backend,
    );
    let dates = InsertShapes::new(
        "fhir_idx_date",
        &["rid", "n", "param", "low", "high"],
        1024,
        backend,
    );
    let quantities = InsertShapes::new(
        "fhir_idx_quantity",
        &["rid", "n", "param", "system", "code", "value"],
        1024,
        backend,
    );
    let started = Instant::now();
    let mut done = 0;
    while done < args.resources {
        let n = args.batch.min(args.resources - done);
        let writes: Vec<(i64, Write, String)> = (done..done + n)
            .map(|i| {
                let w = observation("raw-", i, args.patients);
                let body = w.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
                (10_000_000 + i as i64, w, body)
            })
            .collect();
        let mut tx = db.pool().begin().await?;
        let mut rest = &writes[..];
        while !rest.is_empty() {
            let (sql, count) = resources.next(rest.len());
            let mut q = sqlx::query(sql);
            for (rid, w, body) in &rest[..count] {
                q = q
                    .bind(*rid)
                    .bind(w.resource_type.as_str())
                    .bind(w.id.as_str())
                    .bind(1_i64)
                    .bind(1_700_000_000_000_i64)
                    .bind(0_i64)
                    .bind(w.patient_id.as_deref())
                    .bind(body.as_str());
            }
            q.execute(&mut *tx).await?;
            rest = &rest[count..];
        }
        for (shapes, pick) in [(&tokens, 0usize), (&refs, 1), (&dates, 2), (&quantities, 3)] {
            let mut rest = &writes[..];
            while !rest.is_empty() {
                let (sql, count) = shapes.next(rest.len());
                let mut q = sqlx::query(sql);
                for (rid, w, _) in &rest[..count] {
                    let row = &w.index[pick];
                    q = q.bind(*rid).bind(pick as i64 + 1).bind(row.param.as_str());
                    q = match &row.value {
                        IndexValue::Token { system, code } => {
                            q.bind(system.as_deref()).bind(code.as_str())
                        }
                        IndexValue::Reference {
                            target_type,
                            target_id,
                        } => q.bind(target_type.as_deref()).bind(target_id.as_str()),
                        IndexValue::Date { low, high } => q.bind(*low).bind(*high),
                        IndexValue::Quantity {
                            system,
                            code,
                            value,
                        } => q.bind(system.as_deref()).bind(code.as_deref()).bind(*value),
                        IndexValue::String(s) => q.bind(s.as_str()),
                    };
                }
                q.execute(&mut *tx).await?;
                rest = &rest[count..];
            }
        }
        tx.commit().await?;
        done += n;
    }
    Ok(args.resources as f64 / started.elapsed().as_secs_f64())
}

async fn store_commits(store: &RecordStore, args: &Args) -> BoxResult<f64> {
    let started = Instant::now();
    let mut done = 0;
    while done < args.resources {
        let n = args.batch.min(args.resources - done);
        let writes = (done..done + n)
            .map(|i| observation("o", i, args.patients))
            .collect();
        store.commit(writes).await?;
        done += n;
    }
    Ok(args.resources as f64 / started.elapsed().as_secs_f64())
}

fn patient_query(i: usize, patients: usize) -> Query {
    Query {
        resource_type: "Observation".into(),
        all_of: vec![
            vec![Condition::Reference {
                param: "Observation.subject".into(),
                target_type: Some("Patient".into()),
                target_id: format!("p{}", (i * 7919) % patients),
            }],
            vec![Condition::Token {
                param: "Observation.code".into(),
                system: Some(Some("http://loinc.org".into())),
                code: Some(CODES[i % CODES.len()].into()),
            }],
            vec![Condition::Date {
                param: "Observation.date".into(),
                cmp: Comparator::Ge,
                low: 1_600_000_000_000,
                high: 1_600_000_000_001,
            }],
        ],
        visibility: Visibility::All,
        sort: vec![SortKey::Date {
            param: "Observation.date".into(),
            descending: true,
        }],
        count: 20,
        offset: 0,
    }
}

async fn searches(
    store: &RecordStore,
    args: &Args,
    tasks: usize,
    per_task: usize,
) -> BoxResult<(f64, Vec<Duration>, usize)> {
    let started = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = store.clone();
        let patients = args.patients;
        handles.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(per_task);
            let mut found = 0;
            for k in 0..per_task {
                let q = patient_query(t * per_task + k, patients);
                let at = Instant::now();
                found += store.search(&q).await?.resources.len();
                samples.push(at.elapsed());
            }
            Ok::<_, records::RecordsError>((samples, found))
        }));
    }
    let mut samples = Vec::new();
    let mut found = 0;
    for h in handles {
        let (s, f) = h.await??;
        samples.extend(s);
        found += f;
    }
    let rate = samples.len() as f64 / started.elapsed().as_secs_f64();
    Ok((rate, samples, found))
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    let args = parse_args()?;
    println!(
        "records benchmark: {} Observations in batches of {}, {} patients",
        args.resources, args.batch, args.patients
    );
    for backend in &args.backends {
        let (db, _dir) = fresh(backend).await?;
        db.migrate(&[records::migrations()]).await?;
        let store = RecordStore::open(db.clone(), Arc::new(Keyring::for_tests())).await?;

        let raw = raw_insert(&db, &args).await?;
        sqlx::query("DELETE FROM fhir_resources")
            .execute(db.pool())
            .await?;
        for table in [
            "fhir_idx_token",
            "fhir_idx_reference",
            "fhir_idx_date",
            "fhir_idx_quantity",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(db.pool())
                .await?;
        }
        let committed = store_commits(&store, &args).await?;
        println!("\n[{backend}]");
        println!("  raw multi-row insert of the same rows   {raw:>10.0} resources/s");
        println!(
            "  RecordStore::commit (encrypt, version)  {committed:>10.0} resources/s  ({:.0}% of raw)",
            committed / raw * 100.0
        );
        // Statistics, as PostgreSQL's autovacuum (and SQLite's `PRAGMA optimize`) keep them in
        // a running system; a bulk load outruns autovacuum's first pass.
        sqlx::query("ANALYZE").execute(db.pool()).await?;
        for tasks in [1, 8] {
            let (rate, mut samples, found) = searches(&store, &args, tasks, 2_000 / tasks).await?;
            println!(
                "  patient-scoped search, {tasks} task(s)       {rate:>10.0} searches/s  p50 {:.2} ms  p99 {:.2} ms  ({} results)",
                percentile_ms(&mut samples, 0.5),
                percentile_ms(&mut samples, 0.99),
                found
            );
        }
        let (mut raw_samples, mut samples) = (Vec::new(), Vec::new());
        let (mut raw_read, mut read) = (0, 0);
        for i in 0..1_000 {
            let patient = format!("p{}", (i * 7919) % args.patients);
            let at = Instant::now();
            let rows = sqlx::query(
                "SELECT body FROM fhir_resources WHERE patient_id = $1 AND deleted = 0",
            )
            .bind(&patient)
            .fetch_all(db.pool())
            .await?;
            raw_read += rows.len();
            raw_samples.push(at.elapsed());
            let at = Instant::now();
            read += store.compartment(&patient, 5_000).await?.len();
            samples.push(at.elapsed());
        }
        println!(
            "  one patient's record (timeline), raw rows   p50 {:.2} ms  p99 {:.2} ms  ({raw_read} rows, encrypted)",
            percentile_ms(&mut raw_samples, 0.5),
            percentile_ms(&mut raw_samples, 0.99)
        );
        println!(
            "  one patient's record via compartment()       p50 {:.2} ms  p99 {:.2} ms  ({read} resources)",
            percentile_ms(&mut samples, 0.5),
            percentile_ms(&mut samples, 0.99)
        );
        db.close().await;
    }
    Ok(())
}
