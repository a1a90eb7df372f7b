//! `lifehealth`: the one binary of the platform.

mod settings;

// mimalloc rather than the system allocator: the ingest paths allocate many small JSON values
// from several threads, where glibc's malloc took a fifth of the CPU (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use access::{Accounts, Grant, LoginThrottle, NewUser, Role, SecurityPolicy};
use anyhow::{Context as _, bail};
use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand};
use clinical::Clinical;
use ledger::Ledger;
use store::{Db, DbOptions, MigrationSet};
use vault::{Keyring, MasterKey};
use web::{AppState, DemoInfo, Foundation, Services, WebSettings};

use crate::settings::{FileSettings, Settings};

#[derive(Parser)]
#[command(
    name = "lifehealth",
    version,
    about = "南京市生命健康创新服务平台 · Nanjing life-health innovation platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the platform keeps its data; shared by every command.
#[derive(Args, Clone)]
struct Common {
    /// Settings file (TOML); `lifehealth.toml` in the working directory is read if present.
    #[arg(long, env = "LIFEHEALTH_CONFIG")]
    config: Option<PathBuf>,
    /// Data folder: the SQLite database and the key file live here by default.
    #[arg(long, env = "LIFEHEALTH_DATA")]
    data: Option<PathBuf>,
    /// sqlite://PATH (default: DATA/lifehealth.db) or postgres://USER@HOST/DB.
    #[arg(long, env = "LIFEHEALTH_DATABASE_URL")]
    database_url: Option<String>,
    /// Master key file (default: DATA/keys/master.key); LIFEHEALTH_MASTER_KEY overrides it.
    #[arg(long, env = "LIFEHEALTH_KEY_FILE")]
    key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Create the demo city in the data folder (if not there yet) and serve it.
    Demo {
        #[command(flatten)]
        common: Common,
        #[arg(long, env = "LIFEHEALTH_LISTEN")]
        listen: Option<String>,
        /// Create the demo city and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// Synthetic residents in a new demo city (fewer make a quicker start, e.g. in tests).
        #[arg(long, env = "LIFEHEALTH_DEMO_RESIDENTS", default_value_t = demo::DEMO_RESIDENTS,
              value_parser = clap::value_parser!(u16).range(1..=20_000).map(usize::from))]
        residents: usize,
        /// MQTT broker for device readings (e.g. mqtt://127.0.0.1:1883); off unless set.
        #[arg(long, env = "LIFEHEALTH_MQTT_URL")]
        mqtt_url: Option<String>,
    },
    /// Serve the platform.
    Serve {
        #[command(flatten)]
        common: Common,
        #[arg(long, env = "LIFEHEALTH_LISTEN")]
        listen: Option<String>,
        /// Mark cookies Secure (when served over HTTPS behind a proxy).
        #[arg(long, env = "LIFEHEALTH_SECURE_COOKIES")]
        secure_cookies: Option<bool>,
        /// MQTT broker for device readings (e.g. mqtt://127.0.0.1:1883); off unless set.
        #[arg(long, env = "LIFEHEALTH_MQTT_URL")]
        mqtt_url: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        common: Common,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Write an online backup of the SQLite database to FILE.
    Backup {
        #[command(flatten)]
        common: Common,
        /// The backup file to create (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the SQLite database with a backup (stop the server first).
    Restore {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        from: PathBuf,
    },
    /// The audit ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from LIFEHEALTH_NEW_PASSWORD or standard input.
    Add {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// Organisation id or exact Chinese name.
        #[arg(long)]
        organisation: String,
        /// Role code, e.g. platform_admin, bureau_official, hospital_doctor.
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a bearer token for a user and print it (shown once).
    Create {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        user: String,
        #[arg(long, default_value_t = 90)]
        expires: i64,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute every entry and signed tree head; exit 1 naming any tampered entry.
    Verify {
        #[command(flatten)]
        common: Common,
        /// A tree head kept outside the platform (JSON from /api/v1/ledger/tree-head), to
        /// prove the newest entries were not cut off together with their tree heads.
        #[arg(long)]
        against: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings(
    common: &Common,
    listen: Option<String>,
    secure: Option<bool>,
) -> anyhow::Result<Settings> {
    let file = FileSettings::load(common.config.as_deref())?;
    Ok(settings::resolve(
        file,
        listen,
        common.database_url.clone(),
        common.data.clone(),
        common.key_file.clone(),
        secure,
    ))
}

/// Every component's tables, in dependency order. A new capability adds its set here.
fn migration_sets() -> Vec<MigrationSet> {
    vec![
        access::migrations(),
        ledger::migrations(),
        records::migrations(),
        registry::migrations(),
        clinical::migrations(),
        alerts::migrations(),
        research::migrations(),
        devices::migrations(),
        risk::migrations(),
        clinic::migrations(),
        industry::migrations(),
        cultivation::migrations(),
        awards::migrations(),
        greenchannel::migrations(),
    ]
}

struct Platform {
    db: Db,
    keys: Arc<Keyring>,
    accounts: Accounts,
    ledger: Ledger,
    clinical: Clinical,
}

async fn open(settings: &Settings, create_key: bool) -> anyhow::Result<Platform> {
    if settings.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data).with_context(|| {
            format!("cannot create the data folder {}", settings.data.display())
        })?;
    }
    let master = if create_key {
        MasterKey::load_or_create(&settings.key_file)
    } else {
        MasterKey::load(&settings.key_file)
    }
    .with_context(|| {
        format!(
            "cannot load the master key (set LIFEHEALTH_MASTER_KEY or create {})",
            settings.key_file.display()
        )
    })?;
    let keys = Arc::new(Keyring::from_master(&master));
    let db = Db::connect(&settings.database_url, &DbOptions::default()).await?;
    let applied = db.migrate(&migration_sets()).await?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "database migrated");
    }
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key()).await?;
    let accounts = Accounts::new(db.clone(), keys.clone(), SecurityPolicy::default());
    let clinical = Clinical::open(db.clone(), keys.clone(), ledger.clone()).await?;
    Ok(Platform {
        db,
        keys,
        accounts,
        ledger,
        clinical,
    })
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo {
            common,
            listen,
            no_serve,
            residents,
            mqtt_url,
        } => {
            let mut settings = settings(&common, listen, None)?;
            settings.mqtt_url = mqtt_url.or(settings.mqtt_url);
            let platform = open(&settings, true).await?;
            let (_, users) = platform.accounts.counts().await?;
            if users == 0 {
                generate_demo(&platform, residents).await?;
            } else {
                println!(
                    "演示数据已存在 · demo data already present in {}",
                    settings.data.display()
                );
            }
            let demo = DemoInfo {
                password: demo::DEMO_PASSWORD.to_owned(),
                usernames: demo::DEMO_ACCOUNTS
                    .iter()
                    .map(|(u, r)| ((*u).to_owned(), r.code().to_owned()))
                    .collect(),
            };
            println!(
                "\n演示账户 · demo accounts (password {}):",
                demo::DEMO_PASSWORD
            );
            for (username, role) in demo::DEMO_ACCOUNTS {
                println!("  {username:<18} {}", role.code());
            }
            if no_serve {
                // Everything generated is already committed; ending the runtime stops the
                // ledger's writer task, which holds no unacknowledged appends.
                return Ok(ExitCode::SUCCESS);
            }
            serve(platform, &settings, Some(demo)).await?;
        }
        Command::Serve {
            common,
            listen,
            secure_cookies,
            mqtt_url,
        } => {
            let mut settings = settings(&common, listen, secure_cookies)?;
            settings.mqtt_url = mqtt_url.or(settings.mqtt_url);
            let platform = open(&settings, false).await?;
            serve(platform, &settings, None).await?;
        }
        Command::Migrate { common } => {
            let settings = settings(&common, None, None)?;
            let db = Db::connect(&settings.database_url, &DbOptions::default()).await?;
            let applied = db.migrate(&migration_sets()).await?;
            println!(
                "{} migration(s) applied to {}",
                applied.len(),
                db.display_url()
            );
            for m in applied {
                println!("  {}/{:04} {}", m.component, m.version, m.name);
            }
        }
        Command::User {
            command:
                UserCommand::Add {
                    common,
                    username,
                    name,
                    organisation,
                    role,
                },
        } => {
            let platform = open(&settings(&common, None, None)?, false).await?;
            let role: Role = role.parse().map_err(|e| {
                anyhow::anyhow!("{e}; roles: {}", Role::ALL.map(|r| r.code()).join(", "))
            })?;
            let org = find_organisation(&platform.accounts, &organisation).await?;
            let password = read_new_password()?;
            let scope = access::default_scope(role, &org);
            let id = platform
                .accounts
                .create_user(NewUser {
                    username: username.clone(),
                    display_name: name,
                    organisation_id: org.id.clone(),
                    password,
                    mobile: None,
                    grants: vec![Grant { role, scope }],
                    must_change_password: true,
                })
                .await
                .map_err(explain_access)?;
            record_cli(&platform.ledger, "user.create", "user", &id).await?;
            println!(
                "created user {username} ({id}); they must change the password at first sign-in"
            );
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    common,
                    user,
                    expires,
                    name,
                },
        } => {
            let platform = open(&settings(&common, None, None)?, false).await?;
            let Some(user_id) = platform.accounts.user_id_by_username(&user).await? else {
                bail!("no user named {user}");
            };
            let (secret, info) = platform
                .accounts
                .create_token(&user_id, &name, expires)
                .await
                .map_err(explain_access)?;
            record_cli(&platform.ledger, "token.create", "api_token", &info.id).await?;
            println!("{secret}");
            eprintln!(
                "token {} for {user}, expires {} (shown once; store it safely)",
                info.name,
                kernel::UtcMillis(info.expires_at).format_date(kernel::Lang::En)
            );
        }
        Command::Backup { common, to } => {
            let settings = settings(&common, None, None)?;
            let db = Db::connect(&settings.database_url, &DbOptions::default()).await?;
            store::backup_sqlite(&db, &to).await?;
            println!("backup written to {}", to.display());
        }
        Command::Restore { common, from } => {
            let settings = settings(&common, None, None)?;
            let path = settings
                .database_url
                .strip_prefix("sqlite://")
                .map(|p| PathBuf::from(p.split('?').next().unwrap_or(p)))
                .context("restore replaces a SQLite database; for PostgreSQL use pg_restore (docs/operations.md)")?;
            store::restore_sqlite(&from, &path).await?;
            println!("restored {} from {}", path.display(), from.display());
        }
        Command::Ledger {
            command: LedgerCommand::Verify { common, against },
        } => {
            let settings = settings(&common, None, None)?;
            let master = MasterKey::load(&settings.key_file)
                .context("the ledger's public key derives from the master key")?;
            let keys = Keyring::from_master(&master);
            let db = Db::connect(&settings.database_url, &DbOptions::default()).await?;
            let kept = match against {
                Some(path) => vec![read_kept_tree_head(&path)?],
                None => Vec::new(),
            };
            let report = ledger::verify_against(&db, &keys.ledger.verifying_key(), &kept).await?;
            if report.is_ok() {
                println!(
                    "ledger intact: {} entries, {} signed tree heads, root {}",
                    report.entries_checked,
                    report.tree_heads_checked,
                    report.root_hash.map(|h| h.to_hex()).unwrap_or_default()
                );
            } else {
                println!("LEDGER TAMPERED: {} finding(s)", report.findings.len());
                for f in &report.findings {
                    println!("  - {f}");
                }
                if report.findings_omitted > 0 {
                    println!("  … and {} more", report.findings_omitted);
                }
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a kept tree head: either the bare head or the `/api/v1/ledger/tree-head` answer.
fn read_kept_tree_head(path: &std::path::Path) -> anyhow::Result<ledger::SignedTreeHead> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let head = value.get("tree_head").cloned().unwrap_or(value);
    serde_json::from_value(head)
        .with_context(|| format!("{} does not hold a signed tree head", path.display()))
}

fn explain_access(e: access::AccessError) -> anyhow::Error {
    match e {
        access::AccessError::Invalid(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.en))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => other.into(),
    }
}

async fn find_organisation(accounts: &Accounts, key: &str) -> anyhow::Result<access::Organisation> {
    if let Some(org) = accounts.organisation(key).await? {
        return Ok(org);
    }
    let all = accounts.organisations().await?;
    all.into_iter()
        .find(|o| o.name_zh == key)
        .with_context(|| format!("no organisation with id or name {key}"))
}

fn read_new_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("LIFEHEALTH_NEW_PASSWORD") {
        return Ok(p);
    }
    eprintln!("password (read from standard input):");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn record_cli(
    ledger: &Ledger,
    action: &str,
    subject_type: &str,
    subject_id: &str,
) -> anyhow::Result<()> {
    ledger
        .record(ledger::AuditEvent {
            actor: "cli".into(),
            organisation: None,
            action: action.into(),
            subject_type: subject_type.into(),
            subject_id: subject_id.into(),
            purpose: ledger::PurposeOfUse::SystemAdministration,
            at: kernel::UtcMillis::now().0,
            data_hash: ledger::data_hash(subject_id.as_bytes()),
        })
        .await?;
    Ok(())
}

/// Recomputes the risk scores of residents whose records changed, at the interval the risk
/// crate's data sets; a failed pass is logged and the next one tries again.
async fn refresh_risk_scores(scores: risk::Scores) {
    let mut tick = tokio::time::interval(scores.refresh_every());
    loop {
        tick.tick().await;
        match scores.refresh_due(kernel::UtcMillis::now()).await {
            Ok(r) if r.residents > 0 => {
                tracing::info!(residents = r.residents, "risk scores refreshed")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "risk scores could not be refreshed"),
        }
    }
}

/// Research access periods end on their last day: every hour, requests past it expire (their
/// downloads were already refused after the last day; this records the state change).
async fn expire_research_access(research: research::Research) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match research.expire_due(kernel::UtcMillis::now()).await {
            Ok(expired) if !expired.is_empty() => {
                tracing::info!(requests = expired.len(), "research access expired")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "research access could not be expired"),
        }
    }
}

async fn generate_demo(platform: &Platform, residents: usize) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new(demo::step_count() + residents as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "生成演示城市 · demo city {bar:40.cyan/blue} {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut tick = |n: u64, msg: &str| {
        bar.inc(n);
        bar.set_message(msg.to_owned());
    };
    let summary = demo::generate(&platform.accounts, &platform.ledger, &mut tick).await?;
    let records = demo::generate_records(
        &platform.accounts,
        &platform.clinical,
        clinical::today(),
        residents,
        &mut tick,
    )
    .await?;
    bar.finish_with_message("done");
    let home_devices = devices::Devices::new(platform.db.clone(), platform.keys.clone())?;
    let devices = demo::generate_devices(
        &platform.accounts,
        &platform.clinical,
        &home_devices,
        kernel::UtcMillis::now(),
    )
    .await?;
    let clinic = demo_clinic(platform)?;
    let pilots =
        demo::generate_clinic(&platform.accounts, &clinic, kernel::UtcMillis::now()).await?;
    let industry_side = demo::generate_industry(
        demo::IndustryServices {
            accounts: &platform.accounts,
            industry: &industry::Industry::new(platform.db.clone(), platform.ledger.clone()),
            cultivation: &cultivation::Cultivation::new(
                platform.db.clone(),
                platform.ledger.clone(),
            ),
            awards: &awards::Awards::new(platform.db.clone(), platform.ledger.clone()),
            greenchannel: &greenchannel::GreenChannel::new(
                platform.db.clone(),
                platform.ledger.clone(),
                platform.accounts.clone(),
            ),
        },
        kernel::UtcMillis::now(),
    )
    .await?;
    let scores = risk::Scores::new(platform.db.clone())?
        .refresh_all(kernel::UtcMillis::now())
        .await?;
    println!(
        "{} organisations, {} users, {} residents with {} register enrolments and {} follow-up visits created",
        summary.organisations, summary.users, records.residents, records.enrolments, records.visits
    );
    println!(
        "{} home devices with {} synthetic readings ({} waiting for the doctor's review)",
        devices.devices, devices.accepted, devices.quarantined
    );
    println!(
        "online clinic: {} internet hospitals reported, {} designated pilots, {} verified doctors, {} pharmacies stocked",
        pilots.reported, pilots.pilots, pilots.doctors, pilots.sites
    );
    println!(
        "industry (synthetic): {} companies with {} products, {} in this year's cultivation tiers, {} applications, {} overdue adoption alerts",
        industry_side.companies,
        industry_side.products,
        industry_side.pool_members,
        industry_side.applications,
        industry_side.overdue_alerts
    );
    println!(
        "China-PAR: {} residents assessed, {} outside the model's population, {} lacking inputs",
        scores.assessed, scores.refused, scores.not_assessable
    );
    Ok(())
}

/// The online clinic over the platform's parts, for the demo (the server opens its own).
fn demo_clinic(platform: &Platform) -> anyhow::Result<clinic::Clinic> {
    let alerts = alerts::Alerts::new(
        platform.db.clone(),
        platform.ledger.clone(),
        alerts::CareLookup::new(
            platform.clinical.residents().clone(),
            platform.clinical.registers().clone(),
        ),
        alerts::RuleBook::builtin()?,
    );
    Ok(clinic::Clinic::new(
        platform.db.clone(),
        platform.ledger.clone(),
        platform.accounts.clone(),
        platform.clinical.clone(),
        alerts,
        platform.keys.clone(),
    ))
}

/// Hourly summaries older than `rules.hourly_summary_days` of the devices' data are deleted,
/// every hour (daily summaries and readings stay).
async fn forget_old_device_hours(devices: devices::Devices) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match devices.forget_old_hours(kernel::UtcMillis::now().0).await {
            Ok(n) if n > 0 => tracing::info!(hours = n, "old hourly device summaries deleted"),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "old hourly device summaries could not be deleted")
            }
        }
    }
}

/// The online clinic's timers, every minute: consultations nobody accepted in time (or left
/// idle) expire, booked pickups nobody collected are marked missed (their stock returns), and
/// with a webhook the due notifications are posted. A failed pass is logged; the next tries
/// again.
async fn run_clinic_timers(clinic: clinic::Clinic, webhook: Option<alerts::Webhook>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let now = kernel::UtcMillis::now().0;
        match clinic.expire_due(now).await {
            Ok(n) if n > 0 => tracing::info!(consultations = n, "online consultations expired"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "online consultations could not be expired"),
        }
        match clinic.miss_overdue_pickups(now).await {
            Ok(n) if n > 0 => tracing::info!(pickups = n, "uncollected pickups marked missed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "overdue pickups could not be marked"),
        }
        if let Some(w) = &webhook {
            if let Err(e) = clinic.deliver_notifications(w, now).await {
                tracing::warn!(error = %e, "clinic notifications could not be delivered");
            }
        }
    }
}

/// Raises (and resolves) the hospitals' overdue-adoption alerts of listed innovative products
/// every hour; a scan is idempotent, so a restart or a missed tick loses nothing.
async fn scan_product_adoption(greenchannel: greenchannel::GreenChannel) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match greenchannel.scan(kernel::UtcMillis::now()).await {
            Ok(raised) if !raised.is_empty() => {
                tracing::info!(
                    alerts = raised.len(),
                    "overdue product adoption alerts raised"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "product adoption could not be scanned"),
        }
    }
}

async fn serve(
    platform: Platform,
    settings: &Settings,
    demo: Option<DemoInfo>,
) -> anyhow::Result<()> {
    let mut services = Services::open(Foundation {
        db: platform.db.clone(),
        keys: platform.keys.clone(),
        accounts: platform.accounts,
        ledger: platform.ledger,
        clinical: platform.clinical,
        throttle: LoginThrottle::new(20, Duration::from_secs(300)),
        settings: WebSettings {
            secure_cookies: settings.secure_cookies,
            demo,
        },
    })
    .await?;
    // Alerts: with a webhook every event is written to its outbox; escalation, quiet closing
    // and delivery run beside the server, never in a request.
    let webhook = settings::alerts_webhook_from_env(services.alerts.rules().policy())?;
    if let Some(w) = &webhook {
        tracing::info!(url = w.url(), "alert events are delivered to the webhook");
    }
    services.alerts = services.alerts.with_webhook_outbox(webhook.is_some());
    // Device readings are judged by the alert service as configured; the worker also judges
    // what a crash left in the devices' feed.
    services.start_alerting();
    tokio::spawn(services.alerts.clone().run_periodic(webhook));
    // Home-device readings into the residents' records: a daily summary per series.
    let _recording =
        web::home_record::spawn_recording(services.devices.clone(), services.clinical.clone());
    // Risk scores: residents whose records changed are recomputed every minute.
    tokio::spawn(refresh_risk_scores(services.risk.clone()));
    tokio::spawn(expire_research_access(services.research.clone()));
    // The online clinic: notifications to a webhook when one is configured.
    let clinic_webhook = settings::clinic_webhook_from_env(services.clinic.rules())?;
    if let Some(w) = &clinic_webhook {
        tracing::info!(
            url = w.url(),
            "clinic notifications are delivered to the webhook"
        );
    }
    services.clinic = services
        .clinic
        .clone()
        .with_notification_outbox(clinic_webhook.is_some());
    tokio::spawn(run_clinic_timers(services.clinic.clone(), clinic_webhook));
    tokio::spawn(forget_old_device_hours(services.devices.clone()));
    tokio::spawn(scan_product_adoption(services.greenchannel.clone()));
    // Device readings over MQTT: committed, then acknowledged, beside the server (ADR 0010).
    let _mqtt = match &settings.mqtt_url {
        Some(url) => {
            let mqtt = devices::mqtt::MqttSettings::from_url(url, "lifehealth-platform")?;
            tracing::info!(
                url,
                topic = devices::mqtt::TOPIC_FILTER,
                "device readings over MQTT"
            );
            Some(devices::mqtt::spawn(services.devices.clone(), mqtt))
        }
        None => None,
    };
    let state = AppState(Arc::new(services));
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "\nlifehealth 正在运行 · serving at http://{addr}  (database {})",
        platform.db.display_url()
    );
    let app = web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    platform.db.close().await;
    Ok(())
}
