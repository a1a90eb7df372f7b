//! Devices in a real headless Chromium against the real binary (`lifehealth demo`, SQLite),
//! whose demo city has home devices with a month of synthetic readings: the demo resident
//! opens "my devices", sees the charts and the reading waiting for the doctor, registers a
//! smart watch and sees its credential once (and not again), opens the last 48 hours of a
//! series and revokes the watch after confirming; the family doctor opens the quarantine,
//! tries a correction that still fails (shown at the field), corrects the unit and accepts
//! the reading, which then shows in the resident's readings. Every page is photographed at
//! desktop and phone width into `docs/screenshots/devices-*.png`, and none scrolls sideways
//! on a phone.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (`scripts/install-deps.sh`); fails
//! without them.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::server::{Backend, Server};
use support::walk::{DESKTOP, Walk, screenshot_dir};
use support::webdriver::{Browser, require_browser};

const WATCH: &str = "我的手表 W-9";

#[test]
fn the_resident_registers_a_device_and_the_doctor_accepts_a_corrected_reading() {
    require_browser();
    let _ = std::fs::remove_file(screenshot_dir().join("devices-FAILED.png"));
    let mut server = Server::start(Backend::Sqlite);
    let browser = Browser::start();
    // Generous: the demo city is generated first, on a machine that may be busy.
    server.wait_ready(Duration::from_secs(600));
    let walk = Walk {
        b: &browser,
        s: &server,
        step: std::cell::RefCell::new(String::new()),
        area: "devices",
        desktop_from_focus: true,
    };
    walk.ok(walk.b.set_viewport_size(DESKTOP.0, DESKTOP.1));
    walk.resident();
    walk.doctor();
    walk.resident_after();
}

impl Walk<'_> {
    /// Sets a field's value as a person would leave it (replacing what was there).
    fn fill(&self, css: &str, value: &str) {
        let found = self.ok(self.b.execute(
            "const el = document.querySelector(arguments[0]);
             if (!el) return false;
             el.value = arguments[1];
             el.dispatchEvent(new Event('change', { bubbles: true }));
             return true;",
            vec![
                Value::String(css.to_owned()),
                Value::String(value.to_owned()),
            ],
        ));
        if found != Value::Bool(true) {
            self.fail(format!("no field {css}"));
        }
    }

    fn resident(&self) {
        self.sign_in("resident");
        self.step("my devices");
        self.click("a[href=\"/me/devices\"]");
        self.wait_for("ul.devices-list");
        let main = self.text("main");
        for expected in [
            "上臂式血压计 BP-30（演示）",
            "血糖仪 GM-2（演示）",
            "血糖 133 mmol/L",
            "超出了可能的范围",
            "控制目标（高血压）",
        ] {
            if !main.contains(expected) {
                self.fail(format!("my devices does not show {expected}"));
            }
        }
        let charts = self.ok(self.b.find_all("section.devices-measure figure.chart svg"));
        if charts.len() < 6 {
            self.fail(format!(
                "{} charts (two copies each of systolic, diastolic, pulse, glucose expected)",
                charts.len()
            ));
        }
        self.shots("devices-me", "main");
        self.shots("devices-me-readings", "#readings");
        self.shots("devices-me-waiting", "#waiting");

        self.step("register a smart watch");
        self.fill("select#kind", "smart_watch");
        self.fill("input#label", WATCH);
        self.click("form.devices-register button[type=submit]");
        self.wait_for("code#credential");
        let credential = self.text("code#credential");
        if !credential.starts_with("lhd_") || credential.len() < 40 {
            self.fail(format!("the credential looks wrong: {credential}"));
        }
        let main = self.text("main");
        for expected in [
            "只显示这一次",
            "/api/v1/devices/readings",
            "\"measure\":\"heart_rate\"",
            "sig=",
        ] {
            if !main.contains(expected) {
                self.fail(format!("the credential page does not show {expected}"));
            }
        }
        self.shots("devices-credential", "main");

        self.step("the credential is not shown again");
        self.goto("/me/devices");
        self.wait_for("ul.devices-list");
        if self.ok(self.b.source()).contains(&credential) {
            self.fail("my devices shows the credential again");
        }
        if !self.text("ul.devices-list").contains(WATCH) {
            self.fail("the new watch is not listed");
        }

        self.step("the last 48 hours");
        self.goto("/me/devices/readings/sbp");
        self.wait_for("figure.chart svg");
        if self
            .ok(self.b.find_all("div.devices-readings tbody tr"))
            .is_empty()
        {
            self.fail("no readings listed for the last 48 hours");
        }
        self.shots("devices-readings", "figure.chart");

        self.step("revoke the watch");
        self.goto("/me/devices");
        self.wait_for("ul.devices-list");
        let href = self.ok(self.b.execute(
            "for (const li of document.querySelectorAll('li.devices-device')) {
               if (li.querySelector('h3').innerText.includes(arguments[0])) {
                 const a = li.querySelector('a[href$=\"/revoke\"]');
                 return a ? a.getAttribute('href') : null;
               }
             }
             return null;",
            vec![Value::String(WATCH.to_owned())],
        ));
        let Some(href) = href.as_str() else {
            self.fail("the watch has no revoke link");
        };
        self.goto(href);
        self.wait_for("form.devices-revoke");
        self.fill("input#reason", "测试后不再使用");
        self.shots("devices-revoke", "main");
        self.click("form.devices-revoke button[type=submit]");
        self.wait_for("p.notice-success");
        if !self.text("p.notice-success").contains(WATCH) {
            self.fail("no notice naming the revoked watch");
        }
        self.sign_out();
    }

    fn doctor(&self) {
        self.sign_in("community.doctor");
        self.step("the quarantine");
        self.click("a[href=\"/devices/quarantine\"]");
        self.wait_for("table.devices-quarantine-table");
        let rows = self.ok(self.b.find_all("tr[data-quarantine]"));
        if rows.len() < 2 {
            self.fail(format!(
                "{} readings waiting; the demo leaves two",
                rows.len()
            ));
        }
        self.shots("devices-quarantine", "table.devices-quarantine-table");

        self.step("review the glucose reading");
        let id = self.ok(self.b.execute(
            "for (const tr of document.querySelectorAll('tr[data-quarantine]')) {
               if (tr.innerText.includes('133 mmol/L')) return tr.getAttribute('data-quarantine');
             }
             return null;",
            vec![],
        ));
        let Some(id) = id.as_str().map(str::to_owned) else {
            self.fail("the glucose reading with the unit error is not listed");
        };
        self.click(&format!("tr[data-quarantine=\"{id}\"] a.button"));
        self.wait_for("input#unit");
        self.shots("devices-review", "#accept-title");

        self.step("a correction that still fails");
        self.fill("input#reason", "与居民电话核实");
        self.click("section.devices-review-accept button[type=submit]");
        self.wait_for(".error-summary");
        if !self.text(".error-summary").contains("超出了可能的范围") {
            self.fail("the error summary does not say the value is impossible");
        }
        if !self.ok(self.b.exists(".field-error input#value")) {
            self.fail("the error is not at the value field");
        }
        self.shots("devices-review-error", ".error-summary");

        self.step("correct the unit and accept");
        self.fill("input#unit", "mg/dL");
        self.fill("input#reason", "与居民电话核实：血糖仪设为 mg/dL");
        self.click("section.devices-review-accept button[type=submit]");
        self.wait_for("p.notice-success");
        if self.ok(self.b.exists(&format!("tr[data-quarantine=\"{id}\"]"))) {
            self.fail("the accepted reading is still listed");
        }
        self.shots("devices-quarantine-accepted", "p.notice-success");
        self.sign_out();
    }

    fn resident_after(&self) {
        self.sign_in("resident");
        self.step("the accepted reading in the resident's readings");
        self.goto("/me/devices/readings/glucose");
        self.wait_for("div.devices-readings");
        if !self.text("div.devices-readings").contains("7.4") {
            self.fail("the corrected glucose (7.4 mmol/L) is not among the readings");
        }
        self.goto("/me/devices");
        self.wait_for("ul.devices-list");
        if self.text("main").contains("血糖 133 mmol/L") {
            self.fail("the accepted reading still waits on the resident's page");
        }
        self.sign_out();
    }
}
