//! The online convenience clinic in a real headless Chromium against the real binary, on
//! SQLite, with the demo city (`lifehealth demo`, which reports the internet hospitals'
//! volumes, designates the pilots and verifies their doctors). The demo path, page by
//! page: the resident checks eligibility and books a hypertension follow-up with the demo
//! doctor; asking for coronary heart disease (no diagnosis) is turned away with the reason;
//! the doctor accepts, confirming it is a follow-up; the resident confirms a long
//! prescription; the doctor writes a 12-week amlodipine prescription; the pharmacist approves
//! it; the resident sees it approved with a valid signature, books a pickup time at the
//! hospital's pharmacy and gets a pickup code; the pharmacist hands the medicine over against
//! that code; the health commission sees the ranking and the figures. Every page is photographed at desktop and phone width into
//! `docs/screenshots/clinic-*.png`, and none scrolls sideways on a phone.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (`scripts/install-deps.sh`); fails
//! without them.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::server::{Backend, DEMO_RESIDENTS, Server};
use support::walk::{DESKTOP, Walk};
use support::webdriver::{Browser, require_browser};

#[test]
fn a_stable_patient_is_renewed_online_and_a_first_visit_is_turned_away() {
    require_browser();
    let mut server = Server::start_with(Backend::Sqlite, DEMO_RESIDENTS, &[]);
    let browser = Browser::start();
    // Generous: the demo city is generated first, on a machine that may be busy.
    server.wait_ready(Duration::from_secs(600));
    let walk = Walk {
        b: &browser,
        s: &server,
        step: std::cell::RefCell::new(String::new()),
        area: "clinic",
        desktop_from_focus: false,
    };
    let visit = walk.resident_books();
    walk.doctor_accepts(&visit);
    walk.resident_confirms(&visit);
    let rx = walk.doctor_prescribes(&visit);
    walk.pharmacist_approves(&rx);
    let code = walk.resident_books_pickup(&rx);
    walk.pharmacist_hands_over(&code);
    walk.official_oversees();
}

trait ClinicWalk {
    fn choose(&self, select: &str, text_contains: &str);
    fn choose_value(&self, select: &str, value: &str);
    fn resident_books(&self) -> String;
    fn doctor_accepts(&self, visit: &str);
    fn resident_confirms(&self, visit: &str);
    fn doctor_prescribes(&self, visit: &str) -> String;
    fn pharmacist_approves(&self, rx: &str);
    fn resident_books_pickup(&self, rx: &str) -> String;
    fn pharmacist_hands_over(&self, code: &str);
    fn official_oversees(&self);
}

impl ClinicWalk for Walk<'_> {
    /// Selects the first option of `select` whose text contains `text_contains`.
    fn choose(&self, select: &str, text_contains: &str) {
        let chosen = self.ok(self.b.execute(
            "const s = document.querySelector(arguments[0]); if (!s) return false;
             const o = [...s.options].find(o => o.text.includes(arguments[1]));
             if (!o) return false; s.value = o.value; return true;",
            vec![Value::from(select), Value::from(text_contains)],
        ));
        if chosen != Value::Bool(true) {
            self.fail(format!("no option containing {text_contains} in {select}"));
        }
    }

    fn choose_value(&self, select: &str, value: &str) {
        let chosen = self.ok(self.b.execute(
            "const s = document.querySelector(arguments[0]); if (!s) return false;
             const o = [...s.options].find(o => o.value === arguments[1]);
             if (!o) return false; s.value = o.value; return true;",
            vec![Value::from(select), Value::from(value)],
        ));
        if chosen != Value::Bool(true) {
            self.fail(format!("no option {value} in {select}"));
        }
    }

    fn resident_books(&self) -> String {
        self.ok(self.b.set_viewport_size(DESKTOP.0, DESKTOP.1));
        self.sign_in("resident");
        self.step("the portal links the online clinic");
        self.click("a.portal-card[href=\"/clinic\"]");
        self.wait_for("form[action=\"/clinic\"]");

        self.step("a first visit (no coronary diagnosis) is turned away with the reason");
        self.choose_value("#disease", "chd");
        self.choose("#hospital", "南京鼓楼医院");
        self.ok(self.b.execute(
            "const s = document.querySelector('#doctor'); const g = [...s.querySelectorAll('optgroup')].find(g => g.label.startsWith('南京鼓楼医院')); s.value = g.querySelector('option').value;",
            vec![],
        ));
        self.click("button[formaction=\"/clinic#book\"]");
        self.wait_for(".rule-checks");
        let refusal = self.text(".notice-warning");
        if !refusal.contains("线下") || !refusal.contains("首诊") {
            self.fail(format!("the refusal does not say what to do: {refusal}"));
        }
        self.shots("clinic-refused", ".rule-fail");

        self.step("the hypertension follow-up passes every rule and is sent");
        self.choose_value("#disease", "hypertension");
        self.choose("#hospital", "南京鼓楼医院");
        // The demo doctor is the hospital's first doctor in the list.
        self.ok(self.b.execute(
            "const s = document.querySelector('#doctor'); const g = [...s.querySelectorAll('optgroup')].find(g => g.label.startsWith('南京鼓楼医院')); s.value = g.querySelector('option').value;",
            vec![],
        ));
        self.type_into("#complaint", "近三个月血压平稳，申请续开氨氯地平");
        self.click("button[formaction=\"/clinic#book\"]");
        self.wait_for(".notice-ok .rule-checks");
        self.shots("clinic-book", "#book");
        self.click("form[action=\"/clinic\"] button[type=submit]:not([formaction])");
        self.wait_for("ol.messages");
        let path = self.path();
        let Some(id) = path.strip_prefix("/clinic/consultations/") else {
            self.fail(format!("not on the consultation page: {path}"));
        };
        let id = id.to_owned();
        self.sign_out();
        id
    }

    fn doctor_accepts(&self, visit: &str) {
        self.sign_in("doctor");
        self.step("the doctor's clinic lists the request");
        self.goto("/clinic/doctor");
        self.wait_for(&format!("a[href=\"/clinic/consultations/{visit}\"]"));
        self.shots("clinic-doctor", "table.data");
        self.click(&format!("a[href=\"/clinic/consultations/{visit}\"]"));
        self.wait_for("form[action$=\"/accept\"]");
        self.step("accepting needs the follow-up confirmation");
        self.click("input[name=confirms_follow_up]");
        self.click("form[action$=\"/accept\"] button[type=submit]");
        self.wait_for("form[action$=\"/message\"]");
        self.type_into(
            "#body",
            "血压控制良好，可以续开原药。请在页面确认接受12周长期处方。",
        );
        self.click("form[action$=\"/message\"] button[type=submit]");
        self.wait_for("li.message.from-doctor");
        self.sign_out();
    }

    fn resident_confirms(&self, visit: &str) {
        self.sign_in("resident");
        self.step("the resident reads the doctor and confirms the long prescription");
        self.goto(&format!("/clinic/consultations/{visit}"));
        self.wait_for("li.message.from-doctor");
        self.click("form[action$=\"/confirm-long-term\"] button[type=submit]");
        self.wait_for("ol.messages");
        if self
            .b
            .exists("form[action$=\"/confirm-long-term\"]")
            .unwrap_or(true)
        {
            self.fail("the confirmation did not take");
        }
        self.shots("clinic-visit-patient", "ol.messages");
        self.sign_out();
    }

    fn doctor_prescribes(&self, visit: &str) -> String {
        self.sign_in("doctor");
        self.step("the doctor writes a 12-week amlodipine prescription");
        self.goto(&format!("/clinic/consultations/{visit}"));
        self.wait_for("#prescribe form");
        self.choose_value("#line0_drug", "amlodipine-5mg-tab");
        self.type_into("input[name=line0_dose]", "5");
        self.choose_value("select[name=line0_frequency]", "qd");
        self.type_into("input[name=line0_days]", "84");
        self.type_into("input[name=line0_packs]", "3");
        self.type_into(
            "#long_evaluation",
            "诊断明确，血压控制达标，用药方案两年未调整",
        );
        // Valid three days (the most the rules allow), so a pickup time tomorrow still fits.
        self.ok(self.b.execute(
            "document.querySelector('#validity_days').value = '3';",
            vec![],
        ));
        self.shots("clinic-prescribe", "#prescribe");
        self.click("#prescribe form button[type=submit]");
        self.wait_for("section.prescription");
        let path = self.path();
        let Some(id) = path.strip_prefix("/clinic/prescriptions/") else {
            self.fail(format!("not on the prescription page: {path}"));
        };
        let text = self.text("section.prescription");
        if !text.contains("84") || !text.contains("氨氯地平") {
            self.fail(format!("the prescription does not show its line: {text}"));
        }
        let id = id.to_owned();
        self.sign_out();
        id
    }

    fn pharmacist_approves(&self, rx: &str) {
        self.sign_in("pharmacist");
        self.step("the pharmacist's queue holds the prescription");
        self.goto("/clinic/pharmacy");
        self.wait_for(&format!("a[href=\"/clinic/prescriptions/{rx}\"]"));
        self.shots("clinic-pharmacy", "table.data");
        self.click(&format!("a[href=\"/clinic/prescriptions/{rx}\"]"));
        self.wait_for(".signature-ok");
        self.shots("clinic-review", ".signature");
        self.click("input[value=approve] ~ button[type=submit]");
        // The approval answers with the queue again; wait for it before going elsewhere.
        self.wait("the queue after the approval", |b| {
            Ok(b.current_url()?.ends_with("/clinic/pharmacy")
                && b.execute("return document.readyState;", vec![])? == "complete")
        });
        self.goto(&format!("/clinic/prescriptions/{rx}"));
        self.wait_for(".tag-ok");
        self.sign_out();
    }

    fn resident_books_pickup(&self, rx: &str) -> String {
        self.sign_in("resident");
        self.step("the resident sees the approved prescription and books a pickup time");
        self.goto(&format!("/clinic/prescriptions/{rx}"));
        self.wait_for(".signature-ok");
        if !self.b.exists(".tag-ok").unwrap_or(false) {
            self.fail("the prescription is not shown approved");
        }
        self.wait_for("#fulfilment form[action$=\"/pickup\"]");
        self.shots("clinic-prescription", "#fulfilment");
        self.click("#fulfilment form[action$=\"/pickup\"] button[type=submit]");
        self.wait_for(".pickup-code strong");
        let code = self.text(".pickup-code strong");
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            self.fail(format!("not a six-digit pickup code: {code}"));
        }
        self.shots("clinic-pickup", ".pickup-code");
        self.sign_out();
        code
    }

    fn pharmacist_hands_over(&self, code: &str) {
        self.sign_in("pharmacist");
        self.step("the pharmacist finds the pickup and hands the medicine over against the code");
        self.goto("/clinic/pharmacy");
        self.wait_for("#pickups a[href^=\"/clinic/fulfilments/\"]");
        self.shots("clinic-pharmacy-dispensing", "#pickups");
        self.click("#pickups a[href^=\"/clinic/fulfilments/\"]");
        self.wait_for("input[name=code]");
        self.type_into("input[name=code]", "000000");
        self.click("form[action$=\"/collect\"] button[type=submit]");
        self.wait_for(".error-summary");
        self.type_into("input[name=code]", code);
        self.click("form[action$=\"/collect\"] button[type=submit]");
        self.wait_for(".tag-ok");
        self.sign_out();
    }

    fn official_oversees(&self) {
        self.sign_in("health.official");
        self.step("the health commission sees the ranking and the figures");
        self.goto("/clinic/oversight");
        self.wait_for("figure.chart");
        let pilots = self
            .ok(self.b.find_all("input[name=hospital]:checked"))
            .len();
        if pilots != 10 {
            self.fail(format!("{pilots} pilots checked, the seed's 10 expected"));
        }
        self.shots("clinic-oversight", "figure.chart");
        self.sign_out();
    }
}
