//! Load of the online convenience clinic (issue 5, "Load and abuse"): `--patients` patients
//! (default 1,000) in consultation at once against the real router served over TCP, each on
//! their own keep-alive connection, reading their consultation page every `--think-ms` on
//! average (default 1,000 ms, randomised) and sending a message every fifth time, for
//! `--seconds` (default 30). Printed beside it, in the same run and at the same concurrency
//! and pace: `/healthz` over HTTP (the server's floor) and the page's own database reads done
//! directly on the pool (the naive baseline without HTTP, sessions or rendering).
//!
//! `cargo run --release -p web --example clinic_load -- [--patients N] [--seconds S]
//! [--think-ms T] [--backend sqlite|postgres]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use access::{Accounts, LoginThrottle, NewUser, Principal, Role, Scope, SecurityPolicy};
use clinic::NewConsultation;
use clinical::{Actor, Clinical};
use kernel::{ResidentIdNumber, Sex, UtcMillis};
use ledger::{Ledger, PurposeOfUse};
use rand::{Rng, SeedableRng};
use serde_json::json;
use store::Db;
use store::bench::percentile_ms;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use vault::Keyring;
use web::{AppState, Foundation, Services, WebSettings};

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    patients: usize,
    seconds: u64,
    think_ms: u64,
    postgres: bool,
}

fn args() -> Args {
    let mut a = Args {
        patients: 1000,
        seconds: 30,
        think_ms: 1000,
        postgres: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--patients" => a.patients = value.parse().unwrap_or(a.patients),
            "--seconds" => a.seconds = value.parse().unwrap_or(a.seconds),
            "--think-ms" => a.think_ms = value.parse().unwrap_or(a.think_ms),
            "--backend" => a.postgres = value == "postgres",
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    a
}

/// One patient of the load: their session, token and consultation.
struct Patient {
    session: String,
    token: String,
    consultation: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let a = args();
    let (db, _dir) = if a.postgres {
        (store::testing::postgres().await, None)
    } else {
        let (db, dir) = store::testing::sqlite().await;
        (db, Some(dir))
    };
    println!(
        "online clinic load: {} patients, {} s, think {} ms, {}",
        a.patients,
        a.seconds,
        a.think_ms,
        if a.postgres { "PostgreSQL" } else { "SQLite" }
    );
    let started = Instant::now();
    let (state, accounts, clinical) = platform(&db).await?;
    let patients = patients(&state, &accounts, &clinical, a.patients).await?;
    println!(
        "set-up: {} consultations accepted in {:.0} s",
        patients.len(),
        started.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let patients = Arc::new(patients);
    let run = Duration::from_secs(a.seconds);
    let think = Duration::from_millis(a.think_ms);

    let pages = load(addr, patients.clone(), run, think, Kind::Page).await;
    report("consultation page (HTML, session)", &pages, run);
    report(
        "message sent (JSON API, token)",
        &load_messages(&pages),
        run,
    );
    let floor = load(addr, patients.clone(), run, think, Kind::Health).await;
    report("baseline: /healthz over HTTP", &floor, run);
    let raw = raw_reads(&db, patients.clone(), run, think).await;
    report("baseline: the page's reads on the pool", &raw, run);
    Ok(())
}

/// The services over a migrated database with the demo city's organisations, users and pilots.
async fn platform(db: &Db) -> Result<(AppState, Accounts, Clinical), Error> {
    db.migrate(&[
        access::migrations(),
        ledger::migrations(),
        records::migrations(),
        registry::migrations(),
    ])
    .await?;
    let keys = Arc::new(Keyring::for_tests());
    let accounts = Accounts::new(db.clone(), keys.clone(), SecurityPolicy::default());
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key()).await?;
    demo::generate(&accounts, &ledger, &mut |_, _| {}).await?;
    let clinical = Clinical::open(db.clone(), keys.clone(), ledger.clone()).await?;
    let services = Services::open(Foundation {
        db: db.clone(),
        keys,
        accounts: accounts.clone(),
        ledger,
        clinical: clinical.clone(),
        throttle: LoginThrottle::new(1_000_000, Duration::from_secs(60)),
        settings: WebSettings {
            secure_cookies: false,
            demo: None,
        },
    })
    .await?;
    demo::generate_clinic(&accounts, &services.clinic, UtcMillis::now()).await?;
    Ok((AppState(Arc::new(services)), accounts, clinical))
}

/// `n` hypertensive residents diagnosed offline, each with an account, a session and a token,
/// each in a consultation accepted by one of the demo hospital's qualified doctors.
async fn patients(
    state: &AppState,
    accounts: &Accounts,
    clinical: &Clinical,
    n: usize,
) -> Result<Vec<Patient>, Error> {
    let doctor_id = accounts
        .user_id_by_username("doctor")
        .await?
        .ok_or("no demo doctor")?;
    let hospital = accounts
        .user(&doctor_id)
        .await?
        .ok_or("no demo doctor")?
        .organisation_id;
    let public = accounts
        .organisations_of_kind(access::OrganisationKind::Public, None)
        .await?
        .into_iter()
        .next()
        .ok_or("no public organisation")?;
    let offline = Actor {
        purpose: PurposeOfUse::Treatment,
        ..Actor::system(&hospital)
    };
    let offering = state.clinic.offering(&hospital).await?;
    let today = UtcMillis::now().city_date();
    let mut doctors = Vec::new();
    for id in &offering.doctors {
        let p = state
            .clinic
            .practitioner(id)
            .await?
            .ok_or("an offered doctor without credentials")?;
        if p.practising_since
            .checked_add(jiff::ToSpan::years(3))
            .is_ok_and(|d| d <= today)
        {
            let name = accounts.user(id).await?.ok_or("no such doctor")?.username;
            doctors.push(
                accounts
                    .login(&name, demo::DEMO_PASSWORD)
                    .await?
                    .map_err(|e| format!("{e:?}"))?
                    .1,
            );
        }
    }
    let mut out = Vec::with_capacity(n);
    let mut chunk = Vec::new();
    for i in 0..n {
        chunk.push(i);
        if chunk.len() == 50 || i + 1 == n {
            let made = futures_of(chunk.drain(..).map(|i| {
                one_patient(
                    state,
                    accounts,
                    clinical,
                    &offline,
                    &public.id,
                    &hospital,
                    &doctors[i % doctors.len()],
                    i,
                )
            }))
            .await?;
            out.extend(made);
        }
    }
    Ok(out)
}

/// Runs the futures two at a time (the machine's cores), in order.
async fn futures_of<F, T>(fs: impl Iterator<Item = F>) -> Result<Vec<T>, Error>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    let mut out = Vec::new();
    let fs: Vec<F> = fs.collect();
    let mut fs = fs.into_iter();
    loop {
        match (fs.next(), fs.next()) {
            (Some(a), Some(b)) => {
                let (a, b) = tokio::join!(a, b);
                out.push(a?);
                out.push(b?);
            }
            (Some(a), None) => out.push(a.await?),
            _ => return Ok(out),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn one_patient(
    state: &AppState,
    accounts: &Accounts,
    clinical: &Clinical,
    offline: &Actor,
    public: &str,
    hospital: &str,
    doctor: &Principal,
    i: usize,
) -> Result<Patient, Error> {
    let birth = jiff::civil::date(
        1950 + (i % 30) as i16,
        1 + (i % 12) as i8,
        1 + (i % 28) as i8,
    );
    let number = ResidentIdNumber::from_parts("320106", birth, (i % 499) as u16 + 1, Sex::Male)
        .ok_or("ID number")?;
    let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": [
        { "fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001",
          "resource": { "resourceType": "Patient", "identifier": [{ "system": "urn:oid:2.16.156.10011.1.1", "value": number.as_str() }], "name": [{ "text": format!("负载{i}") }], "gender": "male", "birthDate": birth.to_string() },
          "request": { "method": "POST", "url": "Patient" } },
        { "resource": { "resourceType": "Condition", "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": "I10" }] },
            "subject": { "reference": "urn:uuid:00000000-0000-4000-8000-000000000001" }, "onsetDateTime": "2020-01-01", "recordedDate": "2020-01-01" },
          "request": { "method": "POST", "url": "Condition" } }
    ] });
    clinical.bundle(offline, &bundle, "").await?;
    let resident = clinical
        .residents()
        .find_by_id_number(&number)
        .await?
        .ok_or("the index lost a patient")?;
    let username = format!("load.patient{i}");
    let user_id = accounts
        .create_user(NewUser {
            username: username.clone(),
            display_name: format!("负载患者{i}（合成）"),
            organisation_id: public.to_owned(),
            password: demo::DEMO_PASSWORD.into(),
            mobile: None,
            grants: vec![access::Grant {
                role: Role::Resident,
                scope: Scope::Own,
            }],
            must_change_password: false,
        })
        .await?;
    clinical
        .residents()
        .set_care_team(
            &resident.id,
            &registry::CareTeam {
                user_id: Some(user_id.clone()),
                district: Some("gulou".into()),
                ..Default::default()
            },
        )
        .await?;
    let (session, principal) = accounts
        .login(&username, demo::DEMO_PASSWORD)
        .await?
        .map_err(|e| format!("{e:?}"))?;
    let (token, _) = accounts.create_token(&user_id, "load", 1).await?;
    let c = state
        .clinic
        .request_consultation(
            &principal,
            NewConsultation {
                resident_id: resident.id.clone(),
                hospital_id: hospital.to_owned(),
                doctor_id: doctor.user_id.clone(),
                disease: "hypertension".into(),
                complaint: "合成负载：续方".into(),
                guardian_present: false,
                document: None,
            },
        )
        .await?;
    state.clinic.accept(doctor, &c.id, true, false).await?;
    Ok(Patient {
        session,
        token,
        consultation: c.id,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Page,
    Health,
}

/// What one stream measured.
#[derive(Default)]
struct Measured {
    ok: Vec<Duration>,
    messages: Vec<Duration>,
    failed: usize,
}

async fn load(
    addr: std::net::SocketAddr,
    patients: Arc<Vec<Patient>>,
    run: Duration,
    think: Duration,
    kind: Kind,
) -> Measured {
    let deadline = Instant::now() + run;
    let mut tasks = Vec::new();
    for i in 0..patients.len() {
        let patients = patients.clone();
        tasks.push(tokio::spawn(async move {
            let p = &patients[i];
            let mut rng = rand::rngs::StdRng::seed_from_u64(i as u64);
            let mut m = Measured::default();
            let Ok(stream) = TcpStream::connect(addr).await else {
                m.failed += 1;
                return m;
            };
            let mut conn = BufReader::new(stream);
            // Start spread over one think time, as patients arrive over time.
            tokio::time::sleep(think.mul_f64(rng.gen_range(0.0..1.0))).await;
            let mut n = 0u32;
            while Instant::now() < deadline {
                n += 1;
                let (request, is_message) = match kind {
                    Kind::Health => (get("/healthz", ""), false),
                    Kind::Page if n % 5 == 0 => (
                        post_json(
                            &format!("/api/v1/clinic/consultations/{}/messages", p.consultation),
                            &p.token,
                            &json!({ "body": format!("第{n}次读数：血压平稳") }),
                        ),
                        true,
                    ),
                    Kind::Page => (
                        get(
                            &format!("/clinic/consultations/{}", p.consultation),
                            &format!("lh_session={}", p.session),
                        ),
                        false,
                    ),
                };
                let t = Instant::now();
                match exchange(&mut conn, &request).await {
                    Ok(200) => {
                        if is_message {
                            m.messages.push(t.elapsed())
                        } else {
                            m.ok.push(t.elapsed())
                        }
                    }
                    _ => m.failed += 1,
                }
                tokio::time::sleep(think.mul_f64(rng.gen_range(0.5..1.5))).await;
            }
            m
        }));
    }
    let mut all = Measured::default();
    for t in tasks {
        if let Ok(m) = t.await {
            all.ok.extend(m.ok);
            all.messages.extend(m.messages);
            all.failed += m.failed;
        }
    }
    all
}

fn load_messages(pages: &Measured) -> Measured {
    Measured {
        ok: pages.messages.clone(),
        messages: Vec::new(),
        failed: 0,
    }
}

/// The page's own reads (the consultation, its messages, its prescriptions) straight on the
/// pool, at the same pace.
async fn raw_reads(
    db: &Db,
    patients: Arc<Vec<Patient>>,
    run: Duration,
    think: Duration,
) -> Measured {
    let deadline = Instant::now() + run;
    let mut tasks = Vec::new();
    for i in 0..patients.len() {
        let patients = patients.clone();
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let id = patients[i].consultation.clone();
            let mut rng = rand::rngs::StdRng::seed_from_u64(i as u64);
            let mut m = Measured::default();
            tokio::time::sleep(think.mul_f64(rng.gen_range(0.0..1.0))).await;
            while Instant::now() < deadline {
                let t = Instant::now();
                let read = async {
                    store::sqlx::query("SELECT * FROM clinic_consultations WHERE id = $1").bind(&id).fetch_one(db.pool()).await?;
                    store::sqlx::query("SELECT * FROM clinic_messages WHERE consultation_id = $1 ORDER BY sent_at, id").bind(&id).fetch_all(db.pool()).await?;
                    store::sqlx::query("SELECT * FROM clinic_prescriptions WHERE consultation_id = $1").bind(&id).fetch_all(db.pool()).await?;
                    Ok::<_, store::sqlx::Error>(())
                }
                .await;
                match read {
                    Ok(()) => m.ok.push(t.elapsed()),
                    Err(_) => m.failed += 1,
                }
                tokio::time::sleep(think.mul_f64(rng.gen_range(0.5..1.5))).await;
            }
            m
        }));
    }
    let mut all = Measured::default();
    for t in tasks {
        if let Ok(m) = t.await {
            all.ok.extend(m.ok);
            all.failed += m.failed;
        }
    }
    all
}

fn report(what: &str, m: &Measured, run: Duration) {
    let mut samples = m.ok.clone();
    let n = samples.len();
    println!(
        "{what:<42} {n:>7} ok {:>5} failed {:>7.0}/s  p50 {:>6.1} ms  p95 {:>6.1} ms  p99 {:>6.1} ms  max {:>7.1} ms",
        m.failed,
        n as f64 / run.as_secs_f64(),
        percentile_ms(&mut samples, 0.50),
        percentile_ms(&mut samples, 0.95),
        percentile_ms(&mut samples, 0.99),
        percentile_ms(&mut samples, 1.0),
    );
}

fn get(path: &str, cookie: &str) -> Vec<u8> {
    let cookie = if cookie.is_empty() {
        String::new()
    } else {
        format!("Cookie: {cookie}\r\n")
    };
    format!("GET {path} HTTP/1.1\r\nHost: load\r\n{cookie}\r\n").into_bytes()
}

fn post_json(path: &str, token: &str, body: &serde_json::Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "POST {path} HTTP/1.1\r\nHost: load\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends one request on a keep-alive connection and reads the whole response; its status.
async fn exchange(conn: &mut BufReader<TcpStream>, request: &[u8]) -> Result<u16, Error> {
    conn.get_mut().write_all(request).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status: u16 = line.split_whitespace().nth(1).ok_or("no status")?.parse()?;
    let mut length = None;
    let mut chunked = false;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = Some(v.trim().parse::<usize>()?);
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    if chunked {
        loop {
            line.clear();
            conn.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim(), 16)?;
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
        }
    } else {
        let mut body = vec![0; length.unwrap_or(0)];
        conn.read_exact(&mut body).await?;
    }
    Ok(status)
}
