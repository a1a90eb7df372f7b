//! The industry side (issue 6) in a real headless Chromium against the real binary, on
//! SQLite, with the demo city (`lifehealth demo`, which registers 200 synthetic companies,
//! selects and publishes this year's cultivation tiers, runs a programme with applications at
//! every step and puts the demo company's drug on the product list). The path: the
//! company sees the clauses it qualifies for with amounts and traces, follows its awarded
//! application to payment, applies for a new project and is refused for a missing document
//! with the reason, then applies; the S&T bureau passes it at pre-review; the expert scores
//! the application assigned to them; the clause library shows the encoded text with its
//! worked cases and the calculator's trace; the bureaus see the dashboard, the register, the
//! pools and the hospitals' overdue adoption. Every page is photographed at desktop and phone
//! width into `docs/screenshots/industry-*.png`, and none scrolls sideways on a phone.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (`scripts/install-deps.sh`); fails
//! without them.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::server::{Backend, Server};
use support::walk::{DESKTOP, Walk};
use support::webdriver::{Browser, require_browser};

#[test]
fn a_company_finds_its_clauses_applies_and_follows_its_award() {
    require_browser();
    // Few residents: this walk is about companies.
    let mut server = Server::start_with(Backend::Sqlite, 60, &[]);
    let browser = Browser::start();
    server.wait_ready(Duration::from_secs(600));
    let walk = Walk {
        b: &browser,
        s: &server,
        step: std::cell::RefCell::new(String::new()),
        area: "industry",
        desktop_from_focus: false,
    };
    walk.ok(walk.b.set_viewport_size(DESKTOP.0, DESKTOP.1));
    let application = walk.company_applies();
    walk.bureau_pre_reviews(&application);
    walk.expert_scores();
    walk.anyone_reads_the_clauses();
    walk.bureaus_oversee();
}

trait IndustryWalk {
    fn set(&self, css: &str, value: &str);
    fn expect_text(&self, css: &str, needles: &[&str]);
    fn company_applies(&self) -> String;
    fn bureau_pre_reviews(&self, application: &str);
    fn expert_scores(&self);
    fn anyone_reads_the_clauses(&self);
    fn bureaus_oversee(&self);
}

impl IndustryWalk for Walk<'_> {
    /// Sets an input's or select's value (the pages are plain forms).
    fn set(&self, css: &str, value: &str) {
        let done = self.ok(self.b.execute(
            "const e = document.querySelector(arguments[0]); if (!e) return false; e.value = arguments[1]; return true;",
            vec![Value::from(css), Value::from(value)],
        ));
        if done != Value::Bool(true) {
            self.fail(format!("no field {css}"));
        }
    }

    fn expect_text(&self, css: &str, needles: &[&str]) {
        let text = self.text(css);
        for n in needles {
            if !text.contains(n) {
                self.fail(format!("{css} does not say {n:?}"));
            }
        }
    }

    fn company_applies(&self) -> String {
        self.sign_in("company");
        self.step("the company's clauses, from the register, with amounts and traces");
        self.goto("/subsidies");
        self.wait_for("#matches");
        self.expect_text("#matches", &["可能符合", "一般项目"]);
        self.expect_text(
            "#applications",
            &["已立项支持", "公示中", "专家评审中", "已提交"],
        );
        self.shots("industry-company", "#matches");

        self.step("the awarded application, paid in part");
        self.click("#applications a[href^=\"/subsidies/applications/\"]");
        self.wait_for(".trace");
        self.shots("industry-application", ".trace");

        self.step("a new application without the document the clause asks for is refused");
        self.goto("/subsidies");
        self.wait_for("#matches");
        let href = self.ok(self.b.execute(
            "const a = [...document.querySelectorAll('a.button[href^=\"/subsidies/apply\"]')].find(a => a.href.includes('general-project')); return a ? a.getAttribute('href') : null;",
            vec![],
        ));
        let Some(href) = href.as_str() else {
            self.fail("no apply button for the general project clause");
        };
        self.goto(href);
        self.wait_for("form[action=\"/subsidies/apply\"]");
        self.set("#title-input", "新型靶向抗肿瘤药物成药性研究（演示）");
        self.set("#fact-project_id", "R-2026-09");
        self.set("#fact-project_type", "general");
        self.set("#fact-project_rd_spend", "500万");
        self.click("form[action=\"/subsidies/apply\"] button[type=submit]");
        self.wait_for(".error-summary");
        self.expect_text(".error-summary", &["营业执照"]);
        self.shots("industry-apply-refused", ".error-summary");

        self.step("with the document it is submitted and evaluated");
        self.ok(self.b.execute(
            "document.querySelector('input[name=\"att.business-licence.b64\"]').value = btoa('%PDF-1.4 synthetic');
             document.querySelector('input[name=\"att.business-licence.type\"]').value = 'application/pdf';",
            vec![],
        ));
        self.set("#fact-project_rd_spend", "500万");
        self.click("form[action=\"/subsidies/apply\"] button[type=submit]");
        self.wait_for(".trace");
        self.expect_text("main", &["已提交", "100万元"]);
        let url = self.ok(self.b.current_url());
        self.sign_out();
        url.rsplit('/').next().unwrap_or_default().to_owned()
    }

    fn bureau_pre_reviews(&self, application: &str) {
        self.sign_in("st.official");
        self.step("the S&T bureau passes the new application at pre-review");
        self.goto(&format!("/subsidies/applications/{application}"));
        self.wait_for("form[action$=\"/pass\"]");
        self.click("form[action$=\"/pass\"] button[type=submit]");
        self.wait_for("main");
        self.expect_text("main", &["专家评审中"]);
        self.step("the programmes with their budgets");
        self.goto("/subsidies");
        self.wait_for("figure.chart");
        self.shots("industry-programmes", "figure.chart");
        self.sign_out();
    }

    fn expert_scores(&self) {
        self.sign_in("expert");
        self.step("the expert scores an application assigned to them");
        self.goto("/subsidies/reviews");
        self.wait_for("table");
        self.shots("industry-reviews", "table");
        self.click("table a[href^=\"/subsidies/applications/\"]");
        self.wait_for("#scores");
        for key in [
            "innovation",
            "feasibility",
            "industrialisation",
            "team",
            "budget",
        ] {
            self.set(&format!("#score-{key}"), "80");
        }
        self.click("#scores form[action$=\"/score\"] button[type=submit]");
        self.wait_for("main");
        if self.ok(self.b.exists("#scores")) {
            self.fail("the score form is still there after scoring");
        }
        self.sign_out();
    }

    fn anyone_reads_the_clauses(&self) {
        self.sign_in("investor");
        self.step("the clause library and one clause's cases and calculator");
        self.goto("/policies");
        self.wait_for("table");
        self.expect_text("main", &["苏州", "江苏", "南京", "浙江"]);
        self.shots("industry-policies", "table");
        self.goto("/policies/clause?id=suzhou-2019/7/class-3&on=2020-06-01");
        self.wait_for("#calculator");
        self.set("#fact-city", "suzhou");
        self.set("#fact-independent_legal_person", "true");
        self.set("#fact-product_id", "DEV-1");
        self.set("#fact-device_class", "class-3");
        self.set("#fact-device_newly_registered", "true");
        self.set("#fact-product_rd_spend", "2000万");
        self.click("#calculator button[type=submit]");
        self.wait_for(".result");
        self.expect_text(".result", &["300万元"]);
        self.shots("industry-clause", "#calculator");
        self.sign_out();
    }

    fn bureaus_oversee(&self) {
        self.sign_in("st.official");
        for (path, name, focus) in [
            ("/industry", "industry-dashboard", "figure.chart"),
            ("/companies", "industry-register", "table"),
            ("/pools", "industry-pools", "table"),
        ] {
            self.step(format!("{path} for the S&T bureau"));
            self.goto(path);
            self.wait_for("main h1");
            self.shots(name, focus);
        }
        self.sign_out();
        self.sign_in("mi.official");
        self.step("the hospitals' overdue adoption of the listed drug");
        self.goto("/products/adoption");
        self.wait_for("main h1");
        self.shots("industry-adoption", "main");
        self.sign_out();
    }
}
