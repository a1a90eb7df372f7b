//! Benchmark: eight Suzhou clause groups (第六、七、八、十一、十三、十五、十七、二十三条) for many
//! synthetic companies, by (a) the engine's batch path, (b) one company with its full trace,
//! (c) the same clauses hand-written as plain `if`s, and (d) OpenFisca, the reference
//! rules-as-code engine, over the same CSV in the same run. The four totals must agree.
//!
//! ```text
//! cargo run --release -p policy --example policy_bench -- [--companies 100000] [--runs 9]
//! ```
//!
//! OpenFisca runs from a venv under the target directory (`openfisca-venv`), created with
//! `pip install openfisca-core` when missing. If it cannot be installed the Rust figures are
//! still printed.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use jiff::civil::{Date, date};
use policy::{Clause, Compiled, FactTable, Facts, History, compile, evaluate, shipped};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ON: Date = date(2020, 6, 1);
const GROUPS: [&str; 8] = ["6", "7", "8", "11", "13", "15", "17", "23"];
const WAN: i64 = 10_000;

struct Args {
    companies: usize,
    runs: usize,
    single_runs: usize,
    seed: u64,
}

fn args() -> Result<Args, Box<dyn Error>> {
    let mut a = Args {
        companies: 100_000,
        runs: 9,
        single_runs: 20_000,
        seed: 20_240_601,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--companies" => a.companies = value.parse()?,
            "--runs" => a.runs = value.parse()?,
            "--single-runs" => a.single_runs = value.parse()?,
            "--seed" => a.seed = value.parse()?,
            other => {
                return Err(format!(
                    "unknown option {other}; use --companies, --runs, --single-runs, --seed"
                )
                .into());
            }
        }
    }
    if a.companies == 0 || a.runs == 0 || a.single_runs == 0 {
        return Err("--companies, --runs and --single-runs must be at least 1".into());
    }
    Ok(a)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = args()?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../../target"));
    let dir = target.join("policy-bench");
    std::fs::create_dir_all(&dir)?;
    let csv_path = dir.join("companies.csv");
    write_companies(&csv_path, args.companies, args.seed)?;

    let catalogue = shipped();
    let clauses: Vec<&Clause> = catalogue
        .in_force(ON)
        .filter(|c| {
            GROUPS
                .iter()
                .any(|g| c.id.starts_with(&format!("suzhou-2019/{g}/")))
        })
        .collect();

    let t = Instant::now();
    let table = FactTable::from_csv(std::fs::File::open(&csv_path)?, catalogue.facts())?;
    let load = t.elapsed();

    // (a) the batch path: clauses compiled once per run, then run over the columns.
    let mut batch_times = Vec::new();
    let mut batch_total = 0i64;
    let mut amounts = vec![0i64; table.len()];
    for _ in 0..args.runs {
        let t = Instant::now();
        let compiled: Vec<Compiled> = clauses
            .iter()
            .map(|c| compile(c, &table))
            .collect::<Result<_, _>>()?;
        let mut total = 0i64;
        for c in &compiled {
            c.run_into(&table, &mut amounts);
            total += amounts.iter().sum::<i64>();
        }
        batch_times.push(t.elapsed());
        batch_total = total;
    }

    // (b) one company, every clause of the eight groups, with the full trace.
    let sample: Vec<Facts> = (0..table.len().min(1000))
        .map(|i| table.row(i))
        .collect::<Result<_, _>>()?;
    let history = History::default();
    let mut single_times = Vec::with_capacity(args.single_runs);
    let mut steps = 0usize;
    for k in 0..args.single_runs {
        let facts = &sample[k % sample.len()];
        let t = Instant::now();
        for clause in &clauses {
            // As match_company does: only the clauses of the company's own city.
            if local(clause, facts) {
                steps += evaluate(clause, facts, &history, ON)?.trace.steps.len();
            }
        }
        single_times.push(t.elapsed());
    }
    let trace_check = check_sample(&clauses, &sample, &table)?;

    // (c) the same clauses as plain Rust `if`s over a row struct.
    let companies = read_plain(&csv_path)?;
    let mut naive_times = Vec::new();
    let mut naive_total = 0i64;
    for _ in 0..args.runs {
        let t = Instant::now();
        naive_total = companies.iter().map(naive).sum();
        naive_times.push(t.elapsed());
    }

    // (d) OpenFisca over the same CSV.
    let openfisca = run_openfisca(&root, &target, &csv_path, args.runs);

    let mut out = String::new();
    writeln!(
        out,
        "\npolicy_bench: {} companies, {} clauses of Suzhou 第六、七、八、十一、十三、十五、十七、二十三条, on {ON}",
        table.len(),
        clauses.len()
    )?;
    writeln!(
        out,
        "CSV: {} (read into columns in {:.1} ms, not counted)",
        csv_path.display(),
        ms(load)
    )?;
    writeln!(out, "{:<58} {:>12} {:>12}", "", "median", "best/p99")?;
    writeln!(
        out,
        "{:<58} {:>9.3} ms {:>9.3} ms",
        "(a) Rust batch path, all companies",
        ms(median(&batch_times)),
        ms(best(&batch_times))
    )?;
    writeln!(
        out,
        "{:<58} {:>9.2} µs {:>9.2} µs",
        "(b) Rust one company, full trace (p99)",
        us(median(&single_times)),
        us(p99(&single_times))
    )?;
    writeln!(
        out,
        "{:<58} {:>9.3} ms {:>9.3} ms",
        "(c) plain Rust ifs, all companies",
        ms(median(&naive_times)),
        ms(best(&naive_times))
    )?;
    let mut totals_agree = batch_total == naive_total;
    match &openfisca {
        Ok(of) => {
            writeln!(
                out,
                "{:<58} {:>9.3} ms {:>9.3} ms",
                "(d) OpenFisca calculate, all companies", of.batch_ms_median, of.batch_ms_best
            )?;
            writeln!(
                out,
                "{:<58} {:>9.3} ms",
                "    OpenFisca incl. building the simulation", of.batch_setup_ms_median
            )?;
            writeln!(
                out,
                "{:<58} {:>9.2} µs {:>9.2} µs",
                "    OpenFisca one company, calculate (p99)",
                of.one_ms_median * 1e3,
                of.one_ms_p99 * 1e3
            )?;
            writeln!(
                out,
                "{:<58} {:>9.2} µs",
                "    OpenFisca one company incl. building the simulation",
                of.one_setup_ms_median * 1e3
            )?;
            writeln!(out, "    ({})", of.versions)?;
            totals_agree &= of.total == batch_total;
            writeln!(
                out,
                "batch path vs OpenFisca: {:.1}× faster (median)",
                of.batch_ms_median / ms(median(&batch_times))
            )?;
            writeln!(
                out,
                "one company vs OpenFisca: {:.1}× faster (median)",
                of.one_ms_median * 1e3 / us(median(&single_times))
            )?;
            writeln!(
                out,
                "totals: batch {batch_total} 元, ifs {naive_total} 元, OpenFisca {} 元",
                of.total
            )?;
        }
        Err(e) => {
            writeln!(out, "(d) OpenFisca: not run: {e}")?;
            writeln!(out, "totals: batch {batch_total} 元, ifs {naive_total} 元")?;
        }
    }
    writeln!(
        out,
        "one company with trace: {:.1} trace steps per company on average; trace path agrees with batch on {} sample rows",
        steps as f64 / args.single_runs as f64,
        trace_check
    )?;
    let target_met = us(median(&single_times)) < 100.0;
    writeln!(
        out,
        "target one company < 100 µs: {}",
        if target_met { "met" } else { "NOT met" }
    )?;
    print!("{out}");
    if !totals_agree {
        return Err("the totals disagree: the engines do not compute the same clauses".into());
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn median(xs: &[Duration]) -> Duration {
    let mut v = xs.to_vec();
    v.sort();
    v[v.len() / 2]
}

fn best(xs: &[Duration]) -> Duration {
    xs.iter().copied().min().unwrap_or_default()
}

fn p99(xs: &[Duration]) -> Duration {
    let mut v = xs.to_vec();
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

fn local(clause: &Clause, facts: &Facts) -> bool {
    matches!(facts.get(clause.level.fact()), Some(policy::FactValue::Choice(p)) if *p == clause.jurisdiction)
}

/// The evaluation with trace gives each sample row the batch path's amount.
fn check_sample(
    clauses: &[&Clause],
    sample: &[Facts],
    table: &FactTable,
) -> Result<usize, Box<dyn Error>> {
    for clause in clauses {
        let batch = compile(clause, table)?.run(table);
        for (i, facts) in sample.iter().enumerate() {
            let single = if local(clause, facts) {
                evaluate(clause, facts, &History::default(), ON)?
                    .amount
                    .maximum()
                    .map_or(0, |m| m.0)
            } else {
                0
            };
            if single != batch[i] {
                return Err(format!(
                    "{} row {i}: trace path {single}, batch {}",
                    clause.id, batch[i]
                )
                .into());
            }
        }
    }
    Ok(sample.len())
}

// ---- synthetic companies ------------------------------------------------------------------

const STAGES: [&str; 9] = [
    "preclinical",
    "phase-1-entered",
    "phase-1-completed",
    "phase-2-entered",
    "phase-2-completed",
    "phase-3-entered",
    "phase-3-completed",
    "marketing-application",
    "approved",
];
const DEVICE: [&str; 3] = ["class-1", "class-2", "class-3"];
const SPECIAL: [&str; 3] = ["none", "national", "provincial"];
const INTL: [&str; 5] = ["none", "aaalac", "who", "fercap-sidcer", "aahrpp"];
const ROLE: [&str; 2] = ["commissioning-party", "contract-manufacturer"];
const OVERSEAS: [&str; 3] = ["none", "clinical", "marketing"];
const AGENCY: [&str; 5] = ["fda", "ema", "pmda", "edqm", "other"];
const PLATFORM: [&str; 2] = ["new", "operating"];

const HEADER: &str = "city,province,independent_legal_person,product_id,project_id,major_special_project,special_project_funding,stage,converted_locally,in_supported_field,product_rd_spend,device_class,device_newly_registered,innovative_product,first_generic_consistency,glp_first_time,glp_items,gcp_new_specialties,cnas_first_time,cnas_equipment_spend,intl_accreditation,intl_accreditation_fees,registered_in_city,industrialised_locally,total_investment,actual_investment,contract_role,marketing_authorisation_holder,counterparty_local,counterparty_unrelated,transaction_audited,transaction_amount,overseas_approval,overseas_agency,platform_status,platform_recognised,in_key_area,service_to_local_unrelated";

/// Amounts on and around the thresholds and caps, and anything else up to 20亿 (OpenFisca keeps
/// integers in 32 bits, so inputs stay below 2^31 yuan).
fn money(rng: &mut ChaCha8Rng) -> i64 {
    const EDGES: [i64; 9] = [
        0,
        5000 * WAN,
        9999 * WAN,
        10_000 * WAN,
        25_000 * WAN,
        50_000 * WAN,
        50_001 * WAN,
        1500 * WAN,
        2500 * WAN,
    ];
    if rng.gen_bool(0.2) {
        EDGES[rng.gen_range(0..EDGES.len())]
    } else {
        rng.gen_range(0..2_000_000_000)
    }
}

fn write_companies(path: &Path, n: usize, seed: u64) -> Result<(), Box<dyn Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = String::with_capacity(n * 300);
    out.push_str(HEADER);
    out.push('\n');
    for i in 0..n {
        let city = if rng.gen_bool(0.9) {
            "suzhou"
        } else {
            "nanjing"
        };
        let mut pick = |xs: &[&'static str]| xs[rng.gen_range(0..xs.len())];
        let (special, stage, device, intl, role, overseas, agency, platform) = (
            pick(&SPECIAL),
            pick(&STAGES),
            pick(&DEVICE),
            pick(&INTL),
            pick(&ROLE),
            pick(&OVERSEAS),
            pick(&AGENCY),
            pick(&PLATFORM),
        );
        let mut flag = || if rng.gen_bool(0.6) { "true" } else { "false" };
        let flags: Vec<&str> = (0..16).map(|_| flag()).collect();
        let m: Vec<i64> = (0..8).map(|_| money(&mut rng)).collect();
        let (glp, gcp) = (rng.gen_range(0..7), rng.gen_range(0..5));
        writeln!(
            out,
            "{city},jiangsu,{},P-{i},J-{i},{special},{},{stage},{},{},{},{device},{},{},{},{},{glp},{gcp},{},{},{intl},{},{},{},{},{},{role},{},{},{},{},{},{overseas},{agency},{platform},{},{},{}",
            flags[0],
            m[0],
            flags[1],
            flags[2],
            m[1],
            flags[3],
            flags[4],
            flags[5],
            flags[6],
            flags[7],
            m[2],
            m[3],
            flags[8],
            flags[9],
            m[4],
            m[5],
            flags[10],
            flags[11],
            flags[12],
            flags[13],
            m[6],
            flags[14],
            flags[15],
            m[7]
        )?;
    }
    std::fs::write(path, out)?;
    Ok(())
}

// ---- (c) the same clauses as plain ifs ------------------------------------------------------

/// One CSV row with every field typed; choices kept as text, compared as the seed words them.
#[derive(Default)]
struct Plain {
    suzhou: bool,
    legal_person: bool,
    special: String,
    special_funding: i64,
    stage: String,
    converted: bool,
    in_field: bool,
    rd: i64,
    device: String,
    newly: bool,
    innovative: bool,
    first_generic: bool,
    glp_first: bool,
    glp_items: i64,
    gcp: i64,
    cnas_first: bool,
    cnas_equipment: i64,
    intl: String,
    intl_fees: i64,
    registered: bool,
    industrialised: bool,
    total: i64,
    actual: i64,
    role: String,
    mah: bool,
    cp_local: bool,
    cp_unrelated: bool,
    audited: bool,
    tx: i64,
    overseas: String,
    platform: String,
    recognised: bool,
    key_area: bool,
    service: i64,
}

fn read_plain(path: &Path) -> Result<Vec<Plain>, Box<dyn Error>> {
    let mut reader = csv::Reader::from_path(path)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record?;
        let s = |i: usize| r.get(i).unwrap_or("").to_owned();
        let b = |i: usize| r.get(i) == Some("true");
        let n = |i: usize| -> Result<i64, Box<dyn Error>> { Ok(r.get(i).unwrap_or("0").parse()?) };
        rows.push(Plain {
            suzhou: r.get(0) == Some("suzhou"),
            legal_person: b(2),
            special: s(5),
            special_funding: n(6)?,
            stage: s(7),
            converted: b(8),
            in_field: b(9),
            rd: n(10)?,
            device: s(11),
            newly: b(12),
            innovative: b(13),
            first_generic: b(14),
            glp_first: b(15),
            glp_items: n(16)?,
            gcp: n(17)?,
            cnas_first: b(18),
            cnas_equipment: n(19)?,
            intl: s(20),
            intl_fees: n(21)?,
            registered: b(22),
            industrialised: b(23),
            total: n(24)?,
            actual: n(25)?,
            role: s(26),
            mah: b(27),
            cp_local: b(28),
            cp_unrelated: b(29),
            audited: b(30),
            tx: n(31)?,
            overseas: s(32),
            platform: s(34),
            recognised: b(35),
            key_area: b(36),
            service: n(37)?,
        });
    }
    Ok(rows)
}

fn pct(base: i64, bp: i64, cap: i64) -> i64 {
    (base * bp / 10_000).min(cap)
}

/// The eight groups for one company, as a programmer would write them by hand.
fn naive(c: &Plain) -> i64 {
    if !(c.suzhou && c.legal_person) {
        return 0;
    }
    let mut sum = 0;
    if c.special == "national" || c.special == "provincial" {
        sum += pct(c.special_funding, 2000, 2000 * WAN);
    }
    if c.converted && c.in_field {
        sum += match c.stage.as_str() {
            "phase-1-entered" => 100 * WAN,
            "phase-2-entered" => 150 * WAN,
            "phase-3-entered" => 250 * WAN,
            "phase-1-completed" => pct(c.rd, 2000, 100 * WAN),
            "phase-2-completed" => pct(c.rd, 2000, 200 * WAN),
            "phase-3-completed" => pct(c.rd, 2000, 400 * WAN),
            _ => 0,
        };
    }
    if c.newly && c.device == "class-3" {
        sum += pct(c.rd, 2000, 300 * WAN);
    }
    if c.newly && c.in_field && (c.device == "class-2" || c.innovative) {
        sum += pct(c.rd, 1000, 50 * WAN);
    }
    if c.first_generic {
        sum += pct(c.rd, 2000, 500 * WAN);
    }
    if c.glp_first {
        sum += if c.glp_items >= 5 {
            200 * WAN
        } else if c.glp_items >= 3 {
            100 * WAN
        } else {
            0
        };
    }
    if c.gcp >= 1 {
        sum += c.gcp * 50 * WAN;
    }
    if c.cnas_first {
        sum += pct(c.cnas_equipment, 2000, 300 * WAN);
    }
    if c.intl != "none" {
        sum += pct(c.intl_fees, 2000, 200 * WAN);
    }
    if c.registered && c.industrialised {
        if c.stage == "approved" && (10_000 * WAN..=50_000 * WAN).contains(&c.total) {
            sum += pct(c.actual, 1000, 2000 * WAN);
        }
        if (c.device == "class-2" || c.device == "class-3")
            && (5000 * WAN..=10_000 * WAN).contains(&c.total)
        {
            sum += pct(c.actual, 1000, 500 * WAN);
        }
    }
    if c.cp_local && c.audited {
        if c.role == "commissioning-party" && c.mah && c.cp_unrelated {
            sum += pct(c.tx, 500, 1000 * WAN);
        }
        if c.role == "contract-manufacturer" {
            sum += pct(c.tx, 1000, 500 * WAN);
        }
    }
    if c.overseas == "marketing" {
        sum += 100 * WAN;
    }
    if c.recognised {
        if c.platform == "new" && c.key_area {
            sum += pct(c.total, 3000, 2000 * WAN);
        }
        if c.platform == "operating" {
            sum += pct(c.service, 1000, 500 * WAN);
        }
    }
    sum
}

// ---- (d) OpenFisca ----------------------------------------------------------------------------

struct OpenFisca {
    total: i64,
    batch_ms_median: f64,
    batch_ms_best: f64,
    batch_setup_ms_median: f64,
    one_ms_median: f64,
    one_ms_p99: f64,
    one_setup_ms_median: f64,
    versions: String,
}

fn run_openfisca(root: &Path, target: &Path, csv: &Path, runs: usize) -> Result<OpenFisca, String> {
    let venv = target.join("openfisca-venv");
    let python = venv.join("bin/python");
    let installed = |python: &Path| {
        Command::new(python)
            .args(["-c", "import openfisca_core"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !installed(&python) {
        eprintln!(
            "policy_bench: installing openfisca-core into {} …",
            venv.display()
        );
        let made = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status();
        if !made.is_ok_and(|s| s.success()) {
            return Err(format!(
                "could not create a Python venv at {} (is python3 with venv installed?)",
                venv.display()
            ));
        }
        let pip = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "openfisca-core"])
            .status();
        if !pip.is_ok_and(|s| s.success()) || !installed(&python) {
            return Err("pip install openfisca-core failed (is PyPI reachable?)".to_owned());
        }
    }
    let script = root.join("bench/openfisca/run.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg("--csv")
        .arg(csv)
        .arg("--runs")
        .arg(runs.to_string())
        .output()
        .map_err(|e| format!("could not run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("unreadable output from {}: {e}", script.display()))?;
    let f = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_f64)
            .ok_or(format!("{k} missing from OpenFisca's output"))
    };
    Ok(OpenFisca {
        total: v
            .get("total_yuan")
            .and_then(serde_json::Value::as_i64)
            .ok_or("total_yuan missing")?,
        batch_ms_median: f("batch_calculate_ms_median")?,
        batch_ms_best: f("batch_calculate_ms_best")?,
        batch_setup_ms_median: f("batch_with_setup_ms_median")?,
        one_ms_median: f("one_company_calculate_ms_median")?,
        one_ms_p99: f("one_company_calculate_ms_p99")?,
        one_setup_ms_median: f("one_company_with_setup_ms_median")?,
        versions: format!(
            "openfisca-core {}, numpy {}",
            v.get("openfisca_core")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("?"),
            v.get("numpy")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("?")
        ),
    })
}
