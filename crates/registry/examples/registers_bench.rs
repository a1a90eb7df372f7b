//! Register dashboard benchmark at city scale: a district's indicators for every disease, and
//! an ad-hoc cohort count, over a synthetic registry loaded with bulk INSERTs; beside each, the
//! plain COUNT(*) of the same rows (the baseline).
//!
//! ```text
//! cargo run --release -p registry --example registers_bench -- [--patients N | --scale city] [--backend sqlite|postgres|both]
//! ```
//!
//! `--scale city` is Nanjing's order of magnitude: 3,000,000 registered chronic patients
//! (seed nanjing-2022 三(七) asks for a city-wide registry; the size is this benchmark's
//! assumption, not a published figure). The default is 300,000.

use std::error::Error;
use std::time::Instant;

use jiff::civil::Date;
use registry::{RegisterFilter, Registers};
use store::Db;
use store::bench::percentile_ms;
use store::bulk::InsertShapes;
use store::sqlx;

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const DISTRICTS: [&str; 12] = [
    "xuanwu",
    "qinhuai",
    "jianye",
    "gulou",
    "pukou",
    "qixia",
    "yuhuatai",
    "jiangning",
    "liuhe",
    "lishui",
    "gaochun",
    "jiangbei",
];
const DISEASES: [&str; 5] = ["hypertension", "t2dm", "stroke", "chd", "copd"];
const CENTRES_PER_DISTRICT: usize = 12;

struct Args {
    patients: usize,
    backends: Vec<&'static str>,
}

fn parse_args() -> BoxResult<Args> {
    let mut args = Args {
        patients: 300_000,
        backends: vec!["sqlite", "postgres"],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--scale" => match it.next().as_deref() {
                Some("city") => args.patients = 3_000_000,
                other => return Err(format!("--scale takes `city`, not {other:?}").into()),
            },
            "--patients" => {
                args.patients = it.next().ok_or("--patients needs a number")?.parse()?;
            }
            "--backend" => {
                args.backends = match it.next().as_deref() {
                    Some("sqlite") => vec!["sqlite"],
                    Some("postgres") => vec!["postgres"],
                    Some("both") => vec!["sqlite", "postgres"],
                    other => return Err(format!("unknown backend {other:?}").into()),
                }
            }
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(args)
}

/// A deterministic pseudo-random number from `i` (no state, so rows can be made in any order).
fn mix(i: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

async fn insert_rows(
    db: &Db,
    table: &str,
    columns: &[&str],
    rows: usize,
    mut row: impl FnMut(usize) -> Vec<Value>,
) -> BoxResult<()> {
    let shapes = InsertShapes::new(table, columns, 4096, db.backend());
    let mut done = 0;
    while done < rows {
        let mut tx = db.pool().begin().await?;
        let batch_end = (done + 20_000).min(rows);
        while done < batch_end {
            let (sql, n) = shapes.next(batch_end - done);
            let mut q = sqlx::query(sql);
            for i in done..done + n {
                for v in row(i) {
                    q = match v {
                        Value::Text(t) => q.bind(t),
                        Value::Int(n) => q.bind(n),
                        Value::NullText => q.bind(None::<String>),
                        Value::NullInt => q.bind(None::<i64>),
                    };
                }
            }
            q.execute(&mut *tx).await?;
            done += n;
        }
        tx.commit().await?;
    }
    Ok(())
}

enum Value {
    Text(String),
    Int(i64),
    NullText,
    NullInt,
}

fn day(today: Date, days_ago: i64) -> String {
    today
        .checked_sub(jiff::Span::new().days(days_ago))
        .unwrap_or(today)
        .to_string()
}

async fn load(db: &Db, patients: usize, today: Date) -> BoxResult<usize> {
    insert_rows(
        db,
        "registry_residents",
        &[
            "id",
            "sex",
            "birth_date",
            "district",
            "community_centre_id",
            "created_at",
            "updated_at",
        ],
        patients,
        |i| {
            let r = mix(i as u64);
            let d = (r % 12) as usize;
            vec![
                Value::Text(format!("r{i}")),
                Value::Text(if r & 1 == 0 { "female" } else { "male" }.into()),
                Value::Text(day(today, 365 * 40 + (r % (365 * 45)) as i64)),
                Value::Text(DISTRICTS[d].into()),
                Value::Text(format!(
                    "c-{}-{}",
                    DISTRICTS[d],
                    (r >> 8) as usize % CENTRES_PER_DISTRICT
                )),
                Value::Int(0),
                Value::Int(0),
            ]
        },
    )
    .await?;
    // Every resident on one register, three in ten on a second.
    let enrolments = patients + patients * 3 / 10;
    let disease_of = |e: usize| -> (usize, &'static str) {
        if e < patients {
            // Seven in ten first registers are hypertension, the rest type 2 diabetes.
            let first = if mix(e as u64 + 7) % 10 < 7 { 0 } else { 1 };
            (e, DISEASES[first])
        } else {
            let r = e - patients;
            (r * 3 % patients, DISEASES[2 + r % 3])
        }
    };
    insert_rows(
        db,
        "registry_enrolments",
        &[
            "id",
            "resident_id",
            "disease",
            "enrolled_on",
            "enrolled_at",
            "source_organisation",
            "source_resource",
            "code_system",
            "code",
            "rule",
            "reason_zh",
            "reason_en",
            "last_visit",
            "last_controlled",
            "last_danger",
            "district",
            "community_centre_id",
            "visit_2nd",
            "visit_3rd",
            "visit_4th",
        ],
        enrolments,
        |e| {
            let (resident, disease) = disease_of(e);
            let r = mix(e as u64 + 99);
            let behind = r % 5 == 0;
            // The resident's care team, as `set_care_team` copies it onto each enrolment.
            let home = mix(resident as u64);
            let d = (home % 12) as usize;
            let visit = |k: i64| -> Value {
                if behind {
                    Value::NullText
                } else {
                    Value::Text(day(today, 20 + (r >> 4) as i64 % 60 + 91 * k))
                }
            };
            vec![
                Value::Text(format!("e{e}")),
                Value::Text(format!("r{resident}")),
                Value::Text(disease.into()),
                Value::Text(day(today, 400 + (r % 2000) as i64)),
                Value::Int(0),
                Value::Text("bench".into()),
                Value::Text(format!("Condition/{e}")),
                Value::Text("http://hl7.org/fhir/sid/icd-10".into()),
                Value::Text("I10".into()),
                Value::Text("ICD-10 I10–I15".into()),
                Value::Text("基准测试".into()),
                Value::Text("benchmark".into()),
                visit(0),
                if behind {
                    Value::NullInt
                } else {
                    Value::Int(((r >> 12) % 3 != 0) as i64)
                },
                if behind {
                    Value::NullInt
                } else {
                    Value::Int((r % 97 == 0) as i64)
                },
                Value::Text(DISTRICTS[d].into()),
                Value::Text(format!(
                    "c-{}-{}",
                    DISTRICTS[d],
                    (home >> 8) as usize % CENTRES_PER_DISTRICT
                )),
                visit(1),
                visit(2),
                visit(3),
            ]
        },
    )
    .await?;
    // Four follow-ups a year for those not behind.
    let mut rows = 0;
    let visits: Vec<usize> = (0..enrolments)
        .filter(|e| mix(*e as u64 + 99) % 5 != 0)
        .collect();
    insert_rows(
        db,
        "registry_followups",
        &[
            "id",
            "enrolment_id",
            "visit_date",
            "recorded_at",
            "recorded_by",
            "organisation_id",
            "controlled",
            "danger",
        ],
        visits.len() * 4,
        |k| {
            rows += 1;
            let e = visits[k / 4];
            let r = mix(e as u64 + 99);
            vec![
                Value::Text(format!("f{k}")),
                Value::Text(format!("e{e}")),
                Value::Text(day(today, 20 + (r >> 4) as i64 % 60 + 91 * (k % 4) as i64)),
                Value::Int(0),
                Value::Text("bench".into()),
                Value::Text("bench".into()),
                Value::Int(1),
                Value::Int((k % 97 == 0) as i64),
            ]
        },
    )
    .await?;
    Ok(enrolments + rows)
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    let args = parse_args()?;
    let today = kernel::UtcMillis::now().city_date();
    println!("registers benchmark: {} registered patients", args.patients);
    for backend in &args.backends {
        let (db, _dir) = match *backend {
            "sqlite" => {
                let (db, dir) = store::testing::sqlite().await;
                (db, Some(dir))
            }
            _ => (store::testing::postgres().await, None),
        };
        db.migrate(&[registry::migrations()]).await?;
        let started = Instant::now();
        let rows = load(&db, args.patients, today).await?;
        sqlx::query("ANALYZE").execute(db.pool()).await?;
        println!(
            "\n[{backend}]  loaded {} residents and {rows} register rows in {:.0} s",
            args.patients,
            started.elapsed().as_secs_f64()
        );
        let registers = Registers::new(db.clone());

        // A district dashboard: the five registers' indicators for one district.
        let (mut dashboard, mut baseline) = (Vec::new(), Vec::new());
        let mut counted = 0;
        for district in DISTRICTS {
            let at = Instant::now();
            for disease in DISEASES {
                let filter = RegisterFilter {
                    disease: Some(disease.into()),
                    district: Some(district.into()),
                    ..RegisterFilter::default()
                };
                counted += registers.counts(&filter, today, 4, 104).await?.registered;
            }
            dashboard.push(at.elapsed());
            let at = Instant::now();
            for disease in DISEASES {
                sqlx::query(
                    "SELECT COUNT(*) FROM registry_enrolments e JOIN registry_residents p \
                     ON p.id = e.resident_id WHERE e.disease = $1 AND p.district = $2",
                )
                .bind(disease)
                .bind(district)
                .fetch_one(db.pool())
                .await?;
            }
            baseline.push(at.elapsed());
        }
        println!(
            "  district dashboard (5 registers' indicators)   p50 {:.1} ms  max {:.1} ms  ({counted} enrolments counted)",
            percentile_ms(&mut dashboard, 0.5),
            percentile_ms(&mut dashboard, 1.0)
        );
        println!(
            "  baseline: 5 plain COUNT(*) of the same rows     p50 {:.1} ms  max {:.1} ms",
            percentile_ms(&mut baseline, 0.5),
            percentile_ms(&mut baseline, 1.0)
        );

        // An ad-hoc cohort: residents of one district whose hypertension is not controlled.
        let (mut cohort, mut cohort_base) = (Vec::new(), Vec::new());
        for district in DISTRICTS {
            let filter = RegisterFilter {
                disease: Some("hypertension".into()),
                district: Some(district.into()),
                controlled: Some(false),
                ..RegisterFilter::default()
            };
            let at = Instant::now();
            registers.count(&filter).await?;
            cohort.push(at.elapsed());
            let at = Instant::now();
            sqlx::query(
                "SELECT COUNT(*) FROM registry_enrolments e JOIN registry_residents p \
                 ON p.id = e.resident_id WHERE e.disease = 'hypertension' AND p.district = $1 \
                 AND e.last_controlled = 0",
            )
            .bind(district)
            .fetch_one(db.pool())
            .await?;
            cohort_base.push(at.elapsed());
        }
        println!(
            "  cohort count (uncontrolled, one district)      p50 {:.1} ms  max {:.1} ms",
            percentile_ms(&mut cohort, 0.5),
            percentile_ms(&mut cohort, 1.0)
        );
        println!(
            "  baseline: the same COUNT(*) written by hand     p50 {:.1} ms  max {:.1} ms",
            percentile_ms(&mut cohort_base, 0.5),
            percentile_ms(&mut cohort_base, 1.0)
        );
        db.close().await;
    }
    Ok(())
}
