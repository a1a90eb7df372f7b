//! Trains the complication model on a lifehealth database and saves it as JSON.
//!
//! ```text
//! cargo run --release -- demo --no-serve --data /tmp/demo      # a demo city to train on
//! cargo run --release -p risk --example train_complication -- \
//!     --database sqlite:/tmp/demo/lifehealth.db --out models/complication.json
//! ```
//!
//! Prints the cohort (residents, events, left out, missing features) and the held-out
//! discrimination and calibration.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use jiff::civil::Date;
use risk::complication::{Settings, dataset, train};
use store::{Db, DbOptions};

/// Train the complication model (ADR 0009).
#[derive(Parser)]
struct Args {
    /// Database URL: `sqlite:/path/to/lifehealth.db` or `postgres://…`.
    #[arg(long)]
    database: String,
    /// Where to write the model JSON.
    #[arg(long)]
    out: PathBuf,
    /// Seed of the training/hold-out split.
    #[arg(long, default_value_t = 20_261_126)]
    seed: u64,
    /// Share held out for evaluation (default: `models/complication.toml`).
    #[arg(long)]
    holdout: Option<f64>,
    /// Cut-off day for residents without the outcome (default: today in Asia/Shanghai).
    #[arg(long)]
    as_of: Option<Date>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::builtin()?;
    let holdout = args
        .holdout
        .unwrap_or(settings.training.holdout_fraction.value);
    let as_of = args
        .as_of
        .unwrap_or_else(|| kernel::UtcMillis::now().city_date());
    let db = Db::connect(&args.database, &DbOptions::default()).await?;
    let data = dataset(&db, as_of).await?;
    println!("cohort as of {as_of} ({})", db.display_url());
    println!(
        "  residents on {}: {} ({} with a later {} enrolment)",
        settings.outcome.index_registers.join("/"),
        data.examples.len(),
        data.events(),
        settings.outcome.outcome_registers.join("/"),
    );
    println!(
        "  left out, complication already at first enrolment: {}",
        data.excluded_prevalent
    );
    println!(
        "  readings skipped (unit or range): {}",
        data.skipped_measurements
    );
    println!("  missing, imputed with the training median:");
    for (feature, missing) in data.missing() {
        println!("    {:<15} {missing}", feature.key());
    }
    let model = train(&data.examples, args.seed, holdout)?;
    let t = &model.training;
    println!(
        "trained on {} ({} events), held out {} ({} events), seed {}",
        t.n_train, t.events_train, t.n_holdout, t.events_holdout, t.seed
    );
    let show = |v: Option<f64>| v.map_or("n/a".to_owned(), |x| format!("{x:.3}"));
    println!("  training AUC  {}", show(t.training_auc));
    if let Some(v) = model.held_out() {
        println!("  held-out AUC  {}", show(v.auc));
        if let Some(c) = &v.calibration {
            println!(
                "  calibration   slope {}, intercept {}, O/E {}, Hosmer-Lemeshow {:.2} on {} df",
                show(c.slope),
                show(c.intercept),
                show(c.observed_to_expected),
                c.hosmer_lemeshow,
                c.degrees_of_freedom
            );
            for g in &c.groups {
                println!(
                    "    risk {:.3}-{:.3}: n {:>4}, expected {:>6.1}, observed {:>4}",
                    g.predicted_min, g.predicted_max, g.n, g.expected, g.observed
                );
            }
        }
    }
    println!("  coefficients (standardised):");
    for (s, c) in model.scaling.iter().zip(&model.coefficients) {
        println!("    {:<15} {c:+.3}", s.feature.key());
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, model.to_json()?)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
