//! Risk in a real headless Chromium against the real binary, on SQLite. The demo city is
//! generated (`lifehealth demo --no-serve`, which also computes every resident's China-PAR
//! score); the demo's records hold no total or HDL cholesterol and no waist, so some residents
//! of the community doctor and the demo resident are then given a lipid panel, a waist and a
//! smoking status through the clinical record service, as their hospital would send them, and
//! the scores refreshed; then `lifehealth demo` serves the same data folder.
//!
//! A clinician fills in the calculator, submits it and sees the band; an age outside 35–74 is
//! refused beside the field; the community doctor opens the high-risk list; the resident
//! opens their own assessment and the calculator prefilled from it; the official opens the
//! district distribution and the model registry. Every page is photographed at desktop and
//! phone width into `docs/screenshots/risk-*.png`, and none scrolls sideways on a phone.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (`scripts/install-deps.sh`); fails
//! without them.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::server::{Backend, DEMO_RESIDENTS, Server};
use support::walk::{DESKTOP, Walk};
use support::webdriver::{Browser, require_browser};

#[test]
fn calculator_high_risk_list_resident_view_and_dashboard_in_a_browser() {
    require_browser();
    let mut server = Server::generate(Backend::Sqlite, DEMO_RESIDENTS, &[]);
    let seeded = seed(server.data_dir());
    server.restart();
    let browser = Browser::start();
    // Generous: the demo city is generated first, on a machine that may be busy.
    server.wait_ready(Duration::from_secs(600));
    let walk = Walk {
        b: &browser,
        s: &server,
        step: std::cell::RefCell::new(String::new()),
        area: "risk",
        desktop_from_focus: false,
    };
    walk.calculator();
    walk.doctor(&seeded);
    walk.resident();
    walk.official();
}

/// What was seeded before the server started.
struct Seeded {
    /// Residents of the community doctor now at high risk.
    high: usize,
}

/// Gives twelve residents of the community doctor (55–74, no stroke or coronary disease) and
/// the demo resident a lipid panel, waist and smoking status, sent by their hospital, and
/// refreshes the scores.
fn seed(data: &Path) -> Seeded {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"));
    runtime.block_on(async {
        let url = format!("sqlite://{}", data.join("lifehealth.db").display());
        let db = store::Db::connect(&url, &store::DbOptions::default())
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        let master = vault::MasterKey::load(&data.join("keys").join("master.key"))
            .unwrap_or_else(|e| panic!("master key: {e}"));
        let keys = Arc::new(vault::Keyring::from_master(&master));
        let ledger = ledger::Ledger::open(db.clone(), keys.ledger.signing_key())
            .await
            .unwrap_or_else(|e| panic!("ledger: {e}"));
        let accounts =
            access::Accounts::new(db.clone(), keys.clone(), access::SecurityPolicy::default());
        let clinical = clinical::Clinical::open(db.clone(), keys, ledger)
            .await
            .unwrap_or_else(|e| panic!("clinical: {e}"));
        let doctor = accounts
            .user_id_by_username("community.doctor")
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no community doctor"));
        let resident_user = accounts
            .user_id_by_username("resident")
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no demo resident account"));
        let resident = clinical
            .residents()
            .residents_of_user(&resident_user)
            .await
            .ok()
            .and_then(|r| r.into_iter().next())
            .unwrap_or_else(|| panic!("the demo resident has no record"));
        let rows = clinical
            .registers()
            .list(&registry::RegisterFilter {
                reach: registry::Reach::All,
                limit: 100_000,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("registers: {e}"));
        let today = kernel::UtcMillis::now().city_date();
        let excluded = |id: &str| {
            rows.iter().any(|r| {
                r.enrolment.resident_id == id
                    && matches!(r.enrolment.disease.as_str(), "stroke" | "chd")
            })
        };
        let mut chosen: Vec<String> = rows
            .iter()
            .filter(|r| r.family_doctor_id.as_deref() == Some(doctor.as_str()))
            .filter(|r| {
                r.birth_date.is_some_and(|b| {
                    let age = today.year() - b.year();
                    (56..=73).contains(&age)
                })
            })
            .filter(|r| !excluded(&r.enrolment.resident_id))
            .map(|r| r.enrolment.resident_id.clone())
            .collect();
        chosen.sort();
        chosen.dedup();
        chosen.truncate(12);
        for (i, id) in chosen.iter().enumerate() {
            let step = i as f64;
            panel(
                &clinical,
                id,
                150.0 + 3.0 * step,
                5.6 + 0.15 * step,
                0.95,
                92.0,
                i % 3 == 0,
            )
            .await;
        }
        panel(&clinical, &resident, 152.0, 5.9, 1.05, 94.0, false).await;
        let scores = risk::Scores::new(db.clone()).unwrap_or_else(|e| panic!("scores: {e}"));
        scores
            .refresh_all(kernel::UtcMillis::now())
            .await
            .unwrap_or_else(|e| panic!("refresh: {e}"));
        let high = scores
            .of_residents(&chosen, Some("high"))
            .await
            .unwrap_or_else(|e| panic!("scores: {e}"))
            .len();
        assert!(high > 0, "some seeded residents are at high risk");
        db.close().await;
        Seeded { high }
    })
}

async fn panel(
    clinical: &clinical::Clinical,
    resident: &str,
    sbp: f64,
    tc: f64,
    hdl: f64,
    waist: f64,
    smoker: bool,
) {
    let (organisation, patient) = clinical
        .residents()
        .sources(resident)
        .await
        .ok()
        .and_then(|s| s.into_iter().next())
        .unwrap_or_else(|| panic!("{resident} has no source record"));
    let actor = clinical::Actor {
        purpose: ledger::PurposeOfUse::Treatment,
        ..clinical::Actor::system(&organisation)
    };
    let subject = json!({ "reference": format!("Patient/{patient}") });
    let quantity = |loinc: &str, value: f64, ucum: &str| {
        json!({ "resource": {
            "resourceType": "Observation", "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }] },
            "subject": subject, "effectiveDateTime": "2025-10-09",
            "valueQuantity": { "value": value, "system": "http://unitsofmeasure.org", "code": ucum }
        }, "request": { "method": "POST", "url": "Observation" } })
    };
    let status = if smoker { "449868002" } else { "266919005" };
    let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": [
        quantity("8480-6", sbp, "mm[Hg]"),
        quantity("2093-3", (tc * 100.0_f64).round() / 100.0, "mmol/L"),
        quantity("2085-9", hdl, "mmol/L"),
        quantity("8280-0", waist, "cm"),
        { "resource": {
            "resourceType": "Observation", "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "72166-2" }] },
            "subject": subject, "effectiveDateTime": "2025-10-09",
            "valueCodeableConcept": { "coding": [{ "system": "http://snomed.info/sct", "code": status }] }
        }, "request": { "method": "POST", "url": "Observation" } }
    ] });
    clinical
        .bundle(&actor, &bundle, "")
        .await
        .unwrap_or_else(|e| panic!("panel of {resident}: {e}"));
}

impl Walk<'_> {
    fn calculator(&self) {
        self.ok(self.b.set_viewport_size(DESKTOP.0, DESKTOP.1));
        self.sign_in("doctor");
        self.step("the calculator: fill in and submit");
        self.goto("/risk/china-par");
        self.wait_for("form.risk-form");
        self.click("#sex-male");
        for (css, value) in [
            ("#age", "62"),
            ("#sbp_mmhg", "150"),
            ("#total_cholesterol", "5.8"),
            ("#hdl_cholesterol", "1.0"),
            ("#waist_cm", "92"),
        ] {
            self.type_into(css, value);
        }
        self.click("#smoker");
        self.click("#diabetes");
        self.click("#urban");
        self.click("form.risk-form button[type=submit]");
        self.wait_for("section.risk-result");
        let result = self.text("section.risk-result");
        if !result.contains("高危") {
            self.fail(format!("the result does not show the high band: {result}"));
        }
        if !result.contains("收缩压降至 130 mmHg") {
            self.fail("the result does not say what would lower it");
        }
        self.shots("risk-calculator", "section.risk-result");

        self.step("an age outside 35–74 is refused beside the field");
        self.type_into("#age", "80");
        self.click("form.risk-form button[type=submit]");
        self.wait_for("#age-error");
        let message = self.text("#age-error");
        if !message.contains("35") {
            self.fail(format!("the age error does not say the range: {message}"));
        }
        if self.ok(self.b.exists("section.risk-result")) {
            self.fail("a refused input still shows a result");
        }
        self.shots("risk-calculator-refused", ".error-summary");
        self.sign_out();
    }

    fn doctor(&self, seeded: &Seeded) {
        self.sign_in("community.doctor");
        self.step("the high-risk list");
        self.goto("/risk/high");
        self.wait_for("table.risk-high");
        let rows = self.ok(self.b.find_all("table.risk-high tbody tr"));
        if rows.len() < seeded.high {
            self.fail(format!(
                "{} rows, {} seeded residents at high risk",
                rows.len(),
                seeded.high
            ));
        }
        let first = self.text("table.risk-high tbody tr");
        if !first.contains('%') || !first.contains("高危") {
            self.fail(format!("the first row shows no risk and band: {first}"));
        }
        self.shots("risk-high", "table.risk-high");
        self.sign_out();
    }

    fn resident(&self) {
        self.sign_in("resident");
        self.step("the resident's own risk");
        self.click("a[href=\"/me/risk\"]");
        self.wait_for("table.risk-inputs");
        let main = self.text("main");
        for expected in ["假定", "家族史未知", "LOINC 2093-3"] {
            if !main.contains(expected) {
                self.fail(format!("the page does not show {expected}"));
            }
        }
        self.shots("risk-me", "table.risk-inputs");
        self.step("the calculator prefilled from the resident's values");
        self.click("a[href^=\"/risk/china-par?\"]");
        self.wait_for("section.risk-result");
        let age = self.ok(self.b.find("#age"));
        if self
            .ok(self.b.attribute(&age, "value"))
            .unwrap_or_default()
            .is_empty()
        {
            self.fail("the calculator is not prefilled");
        }
        self.shots("risk-me-calculator", "section.risk-result");
        self.sign_out();
    }

    fn official(&self) {
        self.sign_in("health.official");
        self.step("the district distribution");
        self.goto("/risk");
        self.wait_for("figure.chart svg");
        let main = self.text("main");
        if !main.contains("鼓楼区") || !main.contains("不适用模型") {
            self.fail("the dashboard lacks districts or the refused count");
        }
        self.shots("risk-dashboard", "figure.chart");
        self.step("the model registry");
        self.goto("/risk/models");
        self.wait_for("section.model-card");
        if !self.text("main").contains("2016.1") {
            self.fail("the registry does not show China-PAR's version");
        }
        self.shots("risk-models", "section.model-card table");
        self.step("the dashboard in English");
        self.goto("/risk");
        self.click("a[hreflang=en]");
        self.wait_for_lang("en");
        self.wait_for("figure.chart svg");
        self.screenshot("risk-dashboard-desktop-en");
        self.click("a[hreflang^=zh]");
        self.wait_for_lang("zh-CN");
        self.sign_out();
    }
}
