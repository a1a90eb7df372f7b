//! Ingest benchmark: resources per second through transaction Bundles (validation, master
//! index, reach, index extraction, commit, case finding, ledger), beside the record store's
//! own commit of the same resources already prepared (the layer beneath, no FHIR work).
//!
//! ```text
//! cargo run --release -p clinical --example ingest_bench -- \
//!     [--resources N] [--batch B] [--patients P] [--clients C] \
//!     [--shape records|spread] [--backend sqlite|postgres|both]
//! ```
//!
//! Two shapes of Bundle: `records` (the default) sends each patient's record as one
//! transaction, a new Patient with its conditions, encounters and observations referring to
//! it by `urn:uuid:`, as a hospital's system or a Synthea export does; `spread` sends
//! Observations of `--patients` existing patients, each Bundle touching a different patient
//! in every entry (the hardest case: one ledger entry per resource). `--clients` Bundles are
//! in flight at once, as several of a hospital's senders would be.

// The allocator the platform's binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use access::RecordScope;
use clinical::{Actor, Clinical};
use fhir::ReturnPreference;
use ledger::{Ledger, PurposeOfUse};
use records::{IndexValue, Write, WriteKind};
use serde_json::{Value, json};
use store::Db;
use store::bench::cpu_seconds;
use store::bulk::InsertShapes;
use store::sqlx;
use vault::Keyring;

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

struct Args {
    resources: usize,
    batch: usize,
    patients: usize,
    clients: usize,
    shape: Shape,
    backends: Vec<&'static str>,
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Records,
    Spread,
}

fn parse_args() -> BoxResult<Args> {
    let mut args = Args {
        resources: 50_000,
        batch: 1_000,
        patients: 1_000,
        clients: 2,
        shape: Shape::Records,
        backends: vec!["sqlite", "postgres"],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--resources" => args.resources = value.parse()?,
            "--batch" => args.batch = value.parse::<usize>()?.max(1),
            "--patients" => args.patients = value.parse::<usize>()?.max(1),
            "--clients" => args.clients = value.parse::<usize>()?.max(1),
            "--shape" => {
                args.shape = match value.as_str() {
                    "records" => Shape::Records,
                    "spread" => Shape::Spread,
                    other => return Err(format!("unknown shape {other}").into()),
                }
            }
            "--backend" => {
                args.backends = match value.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    "both" => vec!["sqlite", "postgres"],
                    other => return Err(format!("unknown backend {other}").into()),
                }
            }
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(args)
}

fn observation(patient: &str, i: usize) -> Value {
    json!({
        "resourceType": "Observation",
        "status": "final",
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs" }] }],
        "code": { "coding": [{ "system": "http://loinc.org", "code": if i % 2 == 0 { "8480-6" } else { "8462-4" } }] },
        "subject": { "reference": format!("Patient/{patient}") },
        "effectiveDateTime": format!("2025-{:02}-{:02}T08:{:02}:00+08:00", 1 + i % 12, 1 + i % 28, i % 60),
        "valueQuantity": { "value": 110 + (i % 70), "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]" }
    })
}

fn patient(n: usize) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{ "system": "urn:lifehealth:bench", "value": format!("MRN-{n}") }],
        "name": [{ "family": "测", "given": [format!("试{n}")] }],
        "gender": if n % 2 == 0 { "female" } else { "male" },
        "birthDate": format!("19{:02}-0{}-1{}", 40 + n % 50, 1 + n % 9, n % 10)
    })
}

fn transaction(entries: Vec<Value>, method: &str, url: &str) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": entries.into_iter().map(|r| json!({ "resource": r, "request": { "method": method, "url": url } })).collect::<Vec<_>>()
    })
}

/// The prepared writes (in commits of `--batch`) and Bundles (JSON text) of the `spread`
/// shape: Observations of existing patients, each entry of a Bundle a different patient.
async fn spread_workload(
    clinical: &Clinical,
    hospital: &Actor,
    args: &Args,
) -> BoxResult<(Vec<Vec<Write>>, Vec<Vec<u8>>)> {
    let mut patient_ids = Vec::with_capacity(args.patients);
    for chunk in (0..args.patients).collect::<Vec<_>>().chunks(200) {
        let bundle = transaction(
            chunk.iter().map(|&n| patient(n)).collect(),
            "POST",
            "Patient",
        );
        let response = clinical.bundle(hospital, &bundle, "").await?;
        for entry in response["entry"].as_array().into_iter().flatten() {
            if let Some(id) = entry.pointer("/resource/id").and_then(Value::as_str) {
                patient_ids.push(id.to_owned());
            }
        }
    }
    let mut residents = std::collections::HashMap::new();
    for id in &patient_ids {
        let stored = clinical.records().read("Patient", id).await?;
        residents.insert(id.clone(), stored.patient_id.unwrap_or_default());
    }
    let of = |i: usize| &patient_ids[(i * 7919) % patient_ids.len()];
    let starts = (0..args.resources).step_by(args.batch);
    let writes = starts
        .clone()
        .map(|from| {
            (from..(from + args.batch).min(args.resources))
                .map(|i| {
                    let body = observation(of(i), i);
                    Write {
                        kind: WriteKind::Create,
                        resource_type: "Observation".into(),
                        id: format!("pre-{i}"),
                        index: clinical::translate::index_rows("Observation", &body),
                        body: Some(body),
                        patient_id: residents.get(of(i)).cloned(),
                    }
                })
                .collect()
        })
        .collect();
    let bundles = starts
        .map(|from| {
            let entries = (from..(from + args.batch).min(args.resources))
                .map(|i| observation(of(i), i))
                .collect();
            transaction(entries, "POST", "Observation")
                .to_string()
                .into_bytes()
        })
        .collect();
    Ok((writes, bundles))
}

/// The prepared writes and Bundles of the `records` shape: per patient one transaction of
/// `--batch` resources, the Patient first and the rest referring to it.
fn records_workload(args: &Args) -> (Vec<Vec<Write>>, Vec<Vec<u8>>) {
    let records: Vec<(usize, usize)> = (0..args.resources)
        .step_by(args.batch)
        .enumerate()
        .map(|(n, from)| (n, (args.batch).min(args.resources - from)))
        .collect();
    let writes = records
        .iter()
        .map(|&(n, size)| {
            let patient_id = format!("pre-p{n}");
            let resident = format!("pre-r{n}");
            let reference = format!("Patient/{patient_id}");
            record(n, size, &reference)
                .into_iter()
                .enumerate()
                .map(|(k, mut body)| {
                    let resource_type =
                        body["resourceType"].as_str().unwrap_or_default().to_owned();
                    let id = if k == 0 {
                        patient_id.clone()
                    } else {
                        format!("pre-{n}-{k}")
                    };
                    body["id"] = json!(id);
                    Write {
                        kind: WriteKind::Create,
                        index: clinical::translate::index_rows(&resource_type, &body),
                        resource_type,
                        id,
                        body: Some(body),
                        patient_id: Some(resident.clone()),
                    }
                })
                .collect()
        })
        .collect();
    let bundles = records
        .iter()
        .map(|&(n, size)| {
            let urn = format!("urn:uuid:00000000-0000-4000-8000-{n:012}");
            let entry = |r: Value| {
                let kind = r["resourceType"].as_str().unwrap_or_default().to_owned();
                json!({ "resource": r, "request": { "method": "POST", "url": kind } })
            };
            let mut entries: Vec<Value> = record(n, size, &urn).into_iter().map(entry).collect();
            if let Some(first) = entries.first_mut() {
                first["fullUrl"] = json!(urn);
            }
            json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries })
                .to_string()
                .into_bytes()
        })
        .collect();
    (writes, bundles)
}

/// Patient `n`'s record of `size` resources, the Patient first, the rest referring to it as
/// `subject`: a hypertension diagnosis (which enrols the patient), encounters, and blood
/// pressure and weight observations.
fn record(n: usize, size: usize, subject: &str) -> Vec<Value> {
    let mut out = vec![patient(n)];
    for k in 1..size {
        let when = format!(
            "20{:02}-{:02}-{:02}T09:{:02}:00+08:00",
            15 + k % 10,
            1 + k % 12,
            1 + (n + k) % 28,
            k % 60
        );
        out.push(match k {
            1 => json!({
                "resourceType": "Condition",
                "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
                "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed" }] },
                "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": "I10" }] },
                "subject": { "reference": subject },
                "onsetDateTime": "2014-03-02"
            }),
            k if k % 10 == 2 => json!({
                "resourceType": "Encounter",
                "status": "finished",
                "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB" },
                "subject": { "reference": subject },
                "period": { "start": when, "end": when }
            }),
            k => {
                let mut o = observation("x", n + k);
                o["subject"] = json!({ "reference": subject });
                o["effectiveDateTime"] = json!(when);
                o
            }
        });
    }
    out
}

/// Inserts `batches` as plain rows: the body as JSON text, the index rows as given, no
/// versioning, encryption, blind indexes or checks; one transaction per batch.
async fn raw_insert(db: &Db, batches: Vec<Vec<Write>>) -> BoxResult<()> {
    let shapes =
        |table: &str, columns: &[&str]| InsertShapes::new(table, columns, 1024, db.backend());
    let resources = shapes(
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
    );
    let token = shapes("fhir_idx_token", &["rid", "n", "param", "system", "code"]);
    let string = shapes("fhir_idx_string", &["rid", "n", "param", "value"]);
    let date = shapes("fhir_idx_date", &["rid", "n", "param", "low", "high"]);
    let reference = shapes(
        "fhir_idx_reference",
        &["rid", "n", "param", "target_type", "target_id"],
    );
    let quantity = shapes(
        "fhir_idx_quantity",
        &["rid", "n", "param", "system", "code", "value"],
    );
    let mut rid = 1_000_000_000_i64;
    for batch in batches {
        let mut rows = Vec::with_capacity(batch.len());
        let mut index: Vec<(i64, i64, records::IndexRow)> = Vec::new();
        for w in batch {
            rid += 1;
            index.extend((1..).zip(w.index).map(|(n, row)| (rid, n, row)));
            let body = w.body.map(|b| b.to_string()).unwrap_or_default();
            rows.push((rid, w.resource_type, w.id, w.patient_id, body));
        }
        let mut tx = db.writer().begin().await?;
        let mut rest = &rows[..];
        while !rest.is_empty() {
            let (sql, count) = resources.next(rest.len());
            let mut q = sqlx::query(sql);
            for (rid, resource_type, id, patient, body) in &rest[..count] {
                q = q
                    .bind(*rid)
                    .bind(resource_type.as_str())
                    .bind(id.as_str())
                    .bind(1_i64)
                    .bind(1_700_000_000_000_i64)
                    .bind(0_i64)
                    .bind(patient.as_deref())
                    .bind(body.as_str());
            }
            q.execute(&mut *tx).await?;
            rest = &rest[count..];
        }
        for (table, kind) in [
            (&token, 0),
            (&string, 1),
            (&date, 2),
            (&reference, 3),
            (&quantity, 4),
        ] {
            let of_kind: Vec<&(i64, i64, records::IndexRow)> = index
                .iter()
                .filter(|(_, _, row)| kind_of(&row.value) == kind)
                .collect();
            let mut rest = &of_kind[..];
            while !rest.is_empty() {
                let (sql, count) = table.next(rest.len());
                let mut q = sqlx::query(sql);
                for (rid, n, row) in &rest[..count] {
                    q = q.bind(*rid).bind(*n).bind(row.param.as_str());
                    q = match &row.value {
                        IndexValue::Token { system, code } => {
                            q.bind(system.as_deref()).bind(code.as_str())
                        }
                        IndexValue::String(value) => q.bind(value.as_str()),
                        IndexValue::Date { low, high } => q.bind(*low).bind(*high),
                        IndexValue::Reference {
                            target_type,
                            target_id,
                        } => q.bind(target_type.as_deref()).bind(target_id.as_str()),
                        IndexValue::Quantity {
                            system,
                            code,
                            value,
                        } => q.bind(system.as_deref()).bind(code.as_deref()).bind(*value),
                    };
                }
                q.execute(&mut *tx).await?;
                rest = &rest[count..];
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

fn kind_of(value: &IndexValue) -> usize {
    match value {
        IndexValue::Token { .. } => 0,
        IndexValue::String(_) => 1,
        IndexValue::Date { .. } => 2,
        IndexValue::Reference { .. } => 3,
        IndexValue::Quantity { .. } => 4,
    }
}

async fn fresh(backend: &str) -> (Db, Option<tempfile::TempDir>) {
    match backend {
        "sqlite" => {
            let (db, dir) = store::testing::sqlite().await;
            (db, Some(dir))
        }
        _ => (store::testing::postgres().await, None),
    }
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    let args = parse_args()?;
    match args.shape {
        Shape::Records => println!(
            "ingest benchmark: {} resources as patient records, one transaction Bundle of {} \
             per patient, {} clients",
            args.resources, args.batch, args.clients
        ),
        Shape::Spread => println!(
            "ingest benchmark: {} Observations in transaction Bundles of {} spread over {} \
             patients, {} clients",
            args.resources, args.batch, args.patients, args.clients
        ),
    }
    for backend in &args.backends {
        // Each path writes into a fresh database of its own, holding the same patients for
        // the spread shape, so none pays for a tree the one before it grew.
        let bench = Bench::open(backend, &args).await?;
        // The baseline: the same rows inserted raw (plaintext bodies, same tables and
        // indexes, multi-row INSERTs, one transaction per Bundle's worth).
        let (started, cpu) = (Instant::now(), cpu_seconds());
        raw_insert(&bench.db, bench.writes).await?;
        let raw_rate = args.resources as f64 / started.elapsed().as_secs_f64();
        let raw_cpu = (cpu_seconds() - cpu) * 1e6 / args.resources as f64;
        bench.db.close().await;

        // The layer beneath: the store's commit of the same resources, already validated,
        // placed and indexed.
        let bench = Bench::open(backend, &args).await?;
        let (started, cpu) = (Instant::now(), cpu_seconds());
        for batch in bench.writes {
            bench.clinical.records().commit(batch).await?;
        }
        let store_rate = args.resources as f64 / started.elapsed().as_secs_f64();
        let store_cpu = (cpu_seconds() - cpu) * 1e6 / args.resources as f64;
        bench.db.close().await;

        // The Bundles as a client sends them (JSON text), parsed and processed as the
        // `/fhir` endpoint does, `--clients` at a time.
        let bench = Bench::open(backend, &args).await?;
        let queue = Arc::new(std::sync::Mutex::new(bench.bundles));
        let (started, cpu) = (Instant::now(), cpu_seconds());
        let mut senders = tokio::task::JoinSet::new();
        for _ in 0..args.clients {
            let (clinical, hospital, queue) = (
                bench.clinical.clone(),
                bench.hospital.clone(),
                queue.clone(),
            );
            senders.spawn(async move {
                loop {
                    let Some(text) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                        return Ok::<_, Box<dyn Error + Send + Sync>>(());
                    };
                    let bundle: Value = serde_json::from_slice(&text)?;
                    clinical
                        .process_bundle(&hospital, bundle, "", ReturnPreference::Minimal)
                        .await?;
                }
            });
        }
        while let Some(done) = senders.join_next().await {
            done??;
        }
        let bundle_rate = args.resources as f64 / started.elapsed().as_secs_f64();
        let bundle_cpu = (cpu_seconds() - cpu) * 1e6 / args.resources as f64;
        bench.db.close().await;

        println!("\n[{backend}]");
        println!(
            "  raw multi-row INSERT of the same rows     {raw_rate:>10.0} resources/s  \
             CPU {raw_cpu:>5.0} µs/resource"
        );
        println!(
            "  RecordStore::commit, prepared writes      {store_rate:>10.0} resources/s  \
             CPU {store_cpu:>5.0} µs/resource  ({:.0}% of raw)",
            store_rate / raw_rate * 100.0
        );
        println!(
            "  transaction Bundles through Clinical      {bundle_rate:>10.0} resources/s  \
             CPU {bundle_cpu:>5.0} µs/resource  ({:.0}% of raw)",
            bundle_rate / raw_rate * 100.0
        );
    }
    Ok(())
}

/// A fresh database with the platform's services, and the workload for it.
struct Bench {
    db: Db,
    _dir: Option<tempfile::TempDir>,
    clinical: Clinical,
    hospital: Actor,
    writes: Vec<Vec<Write>>,
    bundles: Vec<Vec<u8>>,
}

impl Bench {
    async fn open(backend: &str, args: &Args) -> BoxResult<Bench> {
        let (db, dir) = fresh(backend).await;
        db.migrate(&[
            records::migrations(),
            registry::migrations(),
            ledger::migrations(),
        ])
        .await?;
        let keys = Arc::new(Keyring::for_tests());
        let ledger = Ledger::open(db.clone(), keys.ledger.signing_key()).await?;
        let clinical = Clinical::open(db.clone(), keys.clone(), ledger).await?;
        let hospital = Actor {
            user_id: "bench".into(),
            organisation_id: "hospital-bench".into(),
            read: Some(RecordScope::Linked {
                organisations: vec!["hospital-bench".into()],
                districts: vec![],
            }),
            write: true,
            purpose: PurposeOfUse::Treatment,
        };
        let (writes, bundles) = match args.shape {
            Shape::Spread => spread_workload(&clinical, &hospital, args).await?,
            Shape::Records => records_workload(args),
        };
        Ok(Bench {
            db,
            _dir: dir,
            clinical,
            hospital,
            writes,
            bundles,
        })
    }
}
