//! Ingest benchmark: resources per second through transaction Bundles (validation, master
//! index, reach, index extraction, commit, case finding, ledger), beside the record store's
//! own commit of the same resources already prepared (the layer beneath, no FHIR work).
//!
//! ```text
//! cargo run --release -p clinical --example ingest_bench -- \
//!     [--resources N] [--batch B] [--patients P] [--backend sqlite|postgres|both]
//! ```

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use access::RecordScope;
use clinical::{Actor, Clinical};
use ledger::{Ledger, PurposeOfUse};
use records::{Write, WriteKind};
use serde_json::{Value, json};
use store::Db;
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
        resources: 50_000,
        batch: 1_000,
        patients: 1_000,
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
    println!(
        "ingest benchmark: {} Observations in transaction Bundles of {}, {} patients",
        args.resources, args.batch, args.patients
    );
    for backend in &args.backends {
        let (db, _dir) = fresh(backend).await;
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

        let mut patient_ids = Vec::with_capacity(args.patients);
        for chunk in (0..args.patients).collect::<Vec<_>>().chunks(200) {
            let bundle = transaction(
                chunk.iter().map(|&n| patient(n)).collect(),
                "POST",
                "Patient",
            );
            let response = clinical.bundle(&hospital, &bundle, "").await?;
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

        // The layer beneath: the store's commit of the same resources, already validated,
        // placed and indexed.
        let started = Instant::now();
        let mut done = 0;
        while done < args.resources {
            let n = args.batch.min(args.resources - done);
            let writes = (done..done + n)
                .map(|i| {
                    let p = &patient_ids[(i * 7919) % patient_ids.len()];
                    let body = observation(p, i);
                    Write {
                        kind: WriteKind::Create,
                        resource_type: "Observation".into(),
                        id: format!("pre-{i}"),
                        index: clinical::translate::index_rows("Observation", &body),
                        body: Some(body),
                        patient_id: residents.get(p).cloned(),
                    }
                })
                .collect();
            clinical.records().commit(writes).await?;
            done += n;
        }
        let store_rate = args.resources as f64 / started.elapsed().as_secs_f64();

        let started = Instant::now();
        let mut done = 0;
        while done < args.resources {
            let n = args.batch.min(args.resources - done);
            let bundle = transaction(
                (done..done + n)
                    .map(|i| observation(&patient_ids[(i * 7919) % patient_ids.len()], i))
                    .collect(),
                "POST",
                "Observation",
            );
            clinical.bundle(&hospital, &bundle, "").await?;
            done += n;
        }
        let bundle_rate = args.resources as f64 / started.elapsed().as_secs_f64();

        println!("\n[{backend}]");
        println!("  RecordStore::commit, prepared writes      {store_rate:>10.0} resources/s");
        println!(
            "  transaction Bundles through Clinical      {bundle_rate:>10.0} resources/s  ({:.0}% of the store)",
            bundle_rate / store_rate * 100.0
        );
        db.close().await;
    }
    Ok(())
}
