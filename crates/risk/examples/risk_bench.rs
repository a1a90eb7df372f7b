//! Population scores benchmark: how many residents a refresh assesses per second on the
//! demo-scale registry, beside the naive baseline that recomputes every resident from
//! scratch, one at a time; and what the minute's tick costs when little has changed.
//!
//! ```text
//! cargo run --release -p risk --example risk_bench
//! cargo run --release -p risk --example risk_bench -- --database postgres://postgres@127.0.0.1/lh_bench
//! ```
//!
//! Builds the demo city (600 residents, their registers, follow-ups and hospital records)
//! in a fresh database through the clinical record service, gives every resident a lipid
//! panel, a waist measurement and a smoking status (the demo's own records hold no total or
//! HDL cholesterol and no waist, so without them no one could be assessed), then times:
//!
//! - `set-based`: `Scores::refresh_all`, every resident's facts read by five queries in all;
//! - `naive`: `Scores::refresh_naively`, five queries and one write per resident;
//! - `tick, nothing changed` and `tick, 10 residents changed`: `Scores::refresh_due`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use access::{Accounts, OrganisationKind, SecurityPolicy};
use clap::Parser;
use clinical::{Actor, Clinical};
use kernel::UtcMillis;
use ledger::{Ledger, PurposeOfUse};
use risk::Scores;
use serde_json::json;
use store::{Db, DbOptions};
use vault::Keyring;

/// Benchmark the population scores.
#[derive(Parser)]
struct Args {
    /// Database URL (default: a fresh SQLite file in a temporary folder). It must be empty.
    #[arg(long)]
    database: Option<String>,
    /// Timed runs of each refresh.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let dir = store::testing::temp_dir();
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", dir.path().join("risk-bench.db").display()));
    let db = Db::connect(&url, &DbOptions::default()).await?;
    db.migrate(&[
        access::migrations(),
        ledger::migrations(),
        records::migrations(),
        registry::migrations(),
        clinical::migrations(),
        risk::migrations(),
    ])
    .await?;
    let keys = Arc::new(Keyring::for_tests());
    let accounts = Accounts::new(db.clone(), keys.clone(), SecurityPolicy::default());
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key()).await?;
    let clinical = Clinical::open(db.clone(), keys.clone(), ledger.clone()).await?;
    eprintln!("building the demo city in {} …", db.display_url());
    demo::generate(&accounts, &ledger, &mut |_, _| {}).await?;
    let records = demo::generate_records(
        &accounts,
        &clinical,
        clinical::today(),
        demo::DEMO_RESIDENTS,
        &mut |_, _| {},
    )
    .await?;
    let panels = add_panels(&accounts, &clinical).await?;
    eprintln!(
        "{} residents, {} enrolments; {panels} residents given a lipid panel, waist and smoking status",
        records.residents, records.enrolments
    );

    let scores = Scores::new(db.clone())?;
    let mut set_based = Vec::new();
    let mut report = Default::default();
    for _ in 0..args.runs {
        let started = Instant::now();
        report = scores.refresh_all(UtcMillis::now()).await?;
        set_based.push(started.elapsed());
    }
    let mut naive = Vec::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        let r = scores.refresh_naively(UtcMillis::now()).await?;
        naive.push(started.elapsed());
        assert_eq!(r, report, "both ways give the same outcomes");
    }
    // The minute's tick. A real tick looks back `overlap_seconds` before the previous one, so
    // right after building the demo every resident still counts as changed; the tick is timed
    // without the overlap, as it runs once the city's records are older than that.
    let mut settings = scores.settings().clone();
    let overlap = settings.refresh.overlap_seconds.value;
    settings.refresh.overlap_seconds.value = 0;
    let ticking = Scores::with_settings(db.clone(), settings)?;
    ticking.refresh_all(UtcMillis::now()).await?;
    let mut idle = Vec::new();
    let mut changed = Vec::new();
    let mut recomputed = 0;
    for run in 0..args.runs {
        let started = Instant::now();
        ticking.refresh_due(UtcMillis::now()).await?;
        idle.push(started.elapsed());
        change_ten(&clinical, &accounts, run).await?;
        let started = Instant::now();
        recomputed = ticking.refresh_due(UtcMillis::now()).await?.residents;
        changed.push(started.elapsed());
    }
    let residents = report.residents;
    println!(
        "Population scores (China-PAR), {} on {}",
        db.backend().name(),
        std::env::consts::ARCH
    );
    println!(
        "residents: {residents} (assessed {}, refused {}, not assessable {})",
        report.assessed, report.refused, report.not_assessable
    );
    let line = |name: &str, samples: &[Duration]| {
        let best = samples.iter().min().copied().unwrap_or_default();
        let median = median(samples);
        println!(
            "{name:<28} median {:>8.1} ms  best {:>8.1} ms  {:>9.0} residents/s (median)",
            median.as_secs_f64() * 1000.0,
            best.as_secs_f64() * 1000.0,
            residents as f64 / median.as_secs_f64()
        );
    };
    line("set-based (refresh_all)", &set_based);
    line("naive, one by one", &naive);
    println!(
        "speed-up: {:.1}×",
        median(&naive).as_secs_f64() / median(&set_based).as_secs_f64()
    );
    println!(
        "tick, nothing changed:       median {:>8.1} ms",
        median(&idle).as_secs_f64() * 1000.0
    );
    println!(
        "tick, 10 residents changed:  median {:>8.1} ms ({recomputed} recomputed)",
        median(&changed).as_secs_f64() * 1000.0
    );
    println!("(ticks timed without the {overlap} s look-back; see the example's documentation)");
    Ok(())
}

fn median(samples: &[Duration]) -> Duration {
    let mut s = samples.to_vec();
    s.sort();
    s.get(s.len() / 2).copied().unwrap_or_default()
}

/// A lipid panel, a waist measurement and a smoking status for every resident, sent by the
/// hospital that registered them, as the demo's hospitals send their tests.
async fn add_panels(
    accounts: &Accounts,
    clinical: &Clinical,
) -> Result<usize, Box<dyn std::error::Error>> {
    let hospitals: Vec<String> = accounts
        .organisations()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrganisationKind::Hospital)
        .map(|o| o.id)
        .collect();
    let rows = clinical
        .registers()
        .list(&registry::RegisterFilter {
            reach: registry::Reach::All,
            limit: 1_000_000,
            ..Default::default()
        })
        .await?;
    let mut residents: Vec<String> = rows.into_iter().map(|r| r.enrolment.resident_id).collect();
    residents.sort();
    residents.dedup();
    let mut done = 0;
    for (n, resident) in residents.iter().enumerate() {
        let Some((organisation, patient)) = clinical
            .residents()
            .sources(resident)
            .await?
            .into_iter()
            .find(|(o, _)| hospitals.contains(o))
        else {
            continue;
        };
        let actor = Actor {
            purpose: PurposeOfUse::Treatment,
            ..Actor::system(&organisation)
        };
        let x = (n % 17) as f64 / 17.0;
        let quantity = |loinc: &str, value: f64, unit: &str| {
            json!({ "resource": {
                "resourceType": "Observation", "status": "final",
                "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }] },
                "subject": { "reference": format!("Patient/{patient}") },
                "effectiveDateTime": "2025-06-01",
                "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit }
            }, "request": { "method": "POST", "url": "Observation" } })
        };
        let smoker = if n % 4 == 0 { "449868002" } else { "266919005" };
        let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": [
            quantity("2093-3", ((4.2 + 2.4 * x) * 10.0).round() / 10.0, "mmol/L"),
            quantity("2085-9", ((0.9 + 0.8 * (1.0 - x)) * 10.0).round() / 10.0, "mmol/L"),
            quantity("8280-0", (76.0 + 24.0 * x).round(), "cm"),
            { "resource": {
                "resourceType": "Observation", "status": "final",
                "code": { "coding": [{ "system": "http://loinc.org", "code": "72166-2" }] },
                "subject": { "reference": format!("Patient/{patient}") },
                "effectiveDateTime": "2025-06-01",
                "valueCodeableConcept": { "coding": [{ "system": "http://snomed.info/sct", "code": smoker }] }
            }, "request": { "method": "POST", "url": "Observation" } }
        ] });
        clinical.bundle(&actor, &bundle, "").await?;
        done += 1;
    }
    Ok(done)
}

/// A new systolic reading for ten residents (a different ten each run).
async fn change_ten(
    clinical: &Clinical,
    accounts: &Accounts,
    run: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let hospitals: Vec<String> = accounts
        .organisations()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrganisationKind::Hospital)
        .map(|o| o.id)
        .collect();
    let rows = clinical
        .registers()
        .list(&registry::RegisterFilter {
            reach: registry::Reach::All,
            limit: 1_000_000,
            ..Default::default()
        })
        .await?;
    let mut residents: Vec<String> = rows.into_iter().map(|r| r.enrolment.resident_id).collect();
    residents.sort();
    residents.dedup();
    for resident in residents.iter().skip(run * 10).take(10) {
        let Some((organisation, patient)) = clinical
            .residents()
            .sources(resident)
            .await?
            .into_iter()
            .find(|(o, _)| hospitals.contains(o))
        else {
            continue;
        };
        let actor = Actor {
            purpose: PurposeOfUse::Treatment,
            ..Actor::system(&organisation)
        };
        let observation = json!({
            "resourceType": "Observation", "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "8480-6" }] },
            "subject": { "reference": format!("Patient/{patient}") },
            "effectiveDateTime": "2025-07-01",
            "valueQuantity": { "value": 142, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]" }
        });
        clinical.create(&actor, observation, None).await?;
    }
    Ok(())
}
