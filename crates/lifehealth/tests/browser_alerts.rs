//! Alerts in a real headless Chromium against the real binary, on SQLite. The demo city is
//! generated (`lifehealth demo --no-serve`), readings are fed to the alert service in this
//! process while no server runs (until devices call `on_readings`, nothing else raises
//! alerts), then `lifehealth demo` serves the same data folder. The family doctor sees the
//! count on the home page, opens the inbox, opens the demo resident's alert, acknowledges it
//! with a note and sees the state change; the resident reads their alert in plain words without
//! the note. Every page is photographed at desktop and phone width into
//! `docs/screenshots/alerts-*.png`, and none scrolls sideways on a phone.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (`scripts/install-deps.sh`); fails
//! without them.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use alerts::{Alerts, CareLookup, ReadingFact, RuleBook};
use support::server::{Backend, DEMO_RESIDENTS, Server};
use support::walk::{DESKTOP, Walk};
use support::webdriver::{Browser, require_browser};

const NOTE: &str = "已电话联系居民，嘱静坐后复测";

#[test]
fn the_family_doctor_acknowledges_an_alert_and_the_resident_reads_it() {
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
        area: "alerts",
        desktop_from_focus: false,
    };
    walk.doctor(&seeded);
    walk.resident(&seeded);
}

/// What was fed before the server started.
struct Seeded {
    /// The family doctor of the demo resident.
    doctor: String,
    /// The demo resident's blood-pressure alert.
    alert: String,
    /// Alerts raised in all.
    count: usize,
}

/// Feeds readings to the alert service over the demo's database: a blood-pressure crisis of
/// the demo resident (three readings, one episode), and one dangerous reading each for three
/// other residents of the same family doctor, each a different rule.
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
        let residents = registry::ResidentIndex::new(db.clone(), keys);
        let registers = registry::Registers::new(db.clone());
        let book = RuleBook::builtin().unwrap_or_else(|e| panic!("rules: {e}"));
        let bound = |rule: &str, element: &str| {
            let c = book
                .danger_rules()
                .iter()
                .find(|r| r.key == rule)
                .and_then(|r| r.when.iter().find(|c| c.key == element))
                .unwrap_or_else(|| panic!("no {rule} on {element}"));
            c.ge.or(c.le)
                .or(c.gt.map(|v| v + 1.0))
                .unwrap_or_else(|| panic!("{rule}: no bound"))
        };
        let service = Alerts::new(
            db.clone(),
            ledger,
            CareLookup::new(residents.clone(), registers.clone()),
            RuleBook::builtin().unwrap_or_else(|e| panic!("rules: {e}")),
        );

        let resident_user = accounts
            .user_id_by_username("resident")
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no demo resident account"));
        let resident = residents
            .residents_of_user(&resident_user)
            .await
            .ok()
            .and_then(|r| r.into_iter().next())
            .unwrap_or_else(|| panic!("the demo resident has no record"));
        let doctor_id = residents
            .resident(&resident)
            .await
            .ok()
            .flatten()
            .and_then(|r| r.care.family_doctor_id)
            .unwrap_or_else(|| panic!("the demo resident has no family doctor"));
        let doctor = accounts
            .user(&doctor_id)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no user {doctor_id}"))
            .username;
        let mut others: Vec<String> = registers
            .list(&registry::RegisterFilter {
                reach: registry::Reach::All,
                limit: 10_000,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("registers: {e}"))
            .into_iter()
            .filter(|r| {
                r.family_doctor_id.as_deref() == Some(doctor_id.as_str())
                    && r.enrolment.resident_id != resident
            })
            .map(|r| r.enrolment.resident_id)
            .collect();
        others.sort();
        others.dedup();

        let now = kernel::UtcMillis::now().0;
        let minute = 60_000;
        let reading = |who: &str, at: i64, values: &[(&str, f64)]| -> Vec<ReadingFact> {
            let source = format!("device:demo-{}/{at}", &who[..8.min(who.len())]);
            values
                .iter()
                .map(|(key, value)| ReadingFact {
                    resident_id: who.to_owned(),
                    key: (*key).to_owned(),
                    value: *value,
                    at,
                    source: source.clone(),
                })
                .collect()
        };
        let sbp = bound("bp_crisis", "sbp");
        let mut facts = Vec::new();
        for (i, extra) in [0.0, 6.0, 2.0].into_iter().enumerate() {
            let at = now - (40 - 15 * i as i64) * minute;
            facts.extend(reading(
                &resident,
                at,
                &[("sbp", sbp + extra), ("dbp", 96.0)],
            ));
        }
        let raised = service
            .on_readings(&facts)
            .await
            .unwrap_or_else(|e| panic!("on_readings: {e}"));
        let alert = raised
            .raised
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("no alert raised: {raised:?}"));
        let mut count = raised.raised.len();
        let signs: [(&str, &str, &str); 3] = [
            ("hypoglycaemia", "fpg", "glucose"),
            ("tachycardia", "heart_rate", "heart_rate"),
            ("severe_hyperglycaemia", "fpg", "fpg"),
        ];
        for (i, (rule, element, key)) in signs.into_iter().enumerate() {
            let who = others
                .get(i)
                .unwrap_or_else(|| panic!("too few residents of {doctor}"));
            let at = now - (90 + 30 * i as i64) * minute;
            let value = bound(rule, element);
            let raised = service
                .on_readings(&reading(who, at, &[(key, value)]))
                .await
                .unwrap_or_else(|e| panic!("on_readings: {e}"));
            assert_eq!(raised.raised.len(), 1, "{rule}: {raised:?}");
            count += 1;
        }
        db.close().await;
        Seeded {
            doctor,
            alert,
            count,
        }
    })
}

impl Walk<'_> {
    fn doctor(&self, seeded: &Seeded) {
        self.ok(self.b.set_viewport_size(DESKTOP.0, DESKTOP.1));
        self.sign_in(&seeded.doctor);

        self.step("the home page counts the open alerts");
        let badge = self.text("a[href=\"/alerts\"] .count-badge");
        if badge.trim() != seeded.count.to_string() {
            self.fail(format!(
                "the home page counts {badge:?} open alerts, {} were raised",
                seeded.count
            ));
        }
        self.click("a[href=\"/alerts\"]");
        self.wait_for("table.alerts-table");

        self.step("the inbox lists every alert");
        let rows = self.ok(self.b.find_all("tr[data-alert]"));
        if rows.len() != seeded.count {
            self.fail(format!(
                "{} rows in the inbox, {} alerts raised",
                rows.len(),
                seeded.count
            ));
        }
        let row = format!("tr[data-alert=\"{}\"]", seeded.alert);
        if self.text(&format!("{row} td.num")).trim() != "3" {
            self.fail("the demo resident's alert does not count its three readings");
        }
        self.shots("alerts-inbox", "table.alerts-table");

        self.step("the alert page");
        self.click(&format!("{row} a.button"));
        self.wait_for("textarea#note");
        if !self.text("main").contains("待接手") {
            self.fail("the alert page does not say it is waiting");
        }
        self.shots("alerts-detail", "form.alerts-form");

        self.step("acknowledge with a note");
        let note = self
            .b
            .find("textarea#note")
            .unwrap_or_else(|e| self.fail(format!("no note field: {e}")));
        self.ok(self.b.type_into(&note, NOTE));
        self.click("form.alerts-form button[type=submit]");
        self.wait("the acknowledged page", |b| {
            b.exists("form[action$=\"/resolve\"]")
        });
        let main = self.text("main");
        if !main.contains("已接手") || !main.contains(NOTE) {
            self.fail("the page shows neither the new state nor the note");
        }
        self.shots("alerts-acknowledged", "ol.alerts-history");

        self.step("the inbox after acknowledging");
        self.goto("/alerts");
        let text = self.text(&row);
        if !text.contains("已接手") {
            self.fail(format!("the inbox row does not show the new state: {text}"));
        }
        // Still waiting alerts come first; the acknowledged one has moved down.
        let first = self.ok(self.b.find("tr[data-alert]"));
        if self.ok(self.b.attribute(&first, "data-alert")).as_deref() == Some(seeded.alert.as_str())
        {
            self.fail("the acknowledged alert is still first");
        }

        self.step("the inbox in English");
        self.click("a[hreflang=en]");
        self.wait_for_lang("en");
        self.wait_for("table.alerts-table");
        self.screenshot("alerts-inbox-desktop-en");
        self.click("a[hreflang^=zh]");
        self.wait_for_lang("zh-CN");
        self.sign_out();
    }

    fn resident(&self, seeded: &Seeded) {
        self.sign_in("resident");
        self.step("the resident's alerts");
        self.click("a[href=\"/me/alerts\"]");
        self.wait_for("ul.alerts-mine");
        let main = self.text("main");
        for expected in ["血压很高", "医生正在跟进", "120"] {
            if !main.contains(expected) {
                self.fail(format!("the resident's page does not say {expected}"));
            }
        }
        if main.contains(NOTE) || self.ok(self.b.source()).contains(&seeded.doctor) {
            self.fail("the resident's page shows the doctor's note or username");
        }
        self.shots("alerts-me", "ul.alerts-mine");
        self.sign_out();
    }
}
