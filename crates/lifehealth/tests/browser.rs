//! The real binary (`lifehealth demo`) driven by a real headless Chromium through chromedriver:
//! every demo account signs in, lands on its home page, finds S1 to S17 in the navigation,
//! renders without horizontal scrolling on a phone, and signs out; a wrong password is refused;
//! the language switch turns the page English. Once on SQLite (with screenshots under
//! `target/screenshots/`) and once on PostgreSQL (`LIFEHEALTH_TEST_POSTGRES_URL`).
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver: `scripts/install-deps.sh` installs them.
//! Without them the tests fail; they never skip.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use support::server::{Backend, Server};
use support::walk::{DESKTOP, PASSWORD, PHONE, Walk, screenshot_dir};
use support::webdriver::{Browser, require_browser};

/// (username, role code, screenshot name)
const ACCOUNTS: [(&str, &str, &str); 11] = [
    ("admin", "platform_admin", "platform_admin"),
    ("health.official", "bureau_official", "bureau_official"),
    (
        "gulou.official",
        "bureau_official",
        "bureau_official-district",
    ),
    ("doctor", "hospital_doctor", "hospital_doctor"),
    ("pharmacist", "pharmacist", "pharmacist"),
    ("community.doctor", "community_doctor", "community_doctor"),
    ("resident", "resident", "resident"),
    ("company", "company_user", "company_user"),
    ("researcher", "researcher", "researcher"),
    ("investor", "investor", "investor"),
    ("reviewer", "expert_reviewer", "expert_reviewer"),
];

#[test]
fn demo_accounts_in_a_browser_on_sqlite() {
    run(Backend::Sqlite);
}

#[test]
fn demo_accounts_in_a_browser_on_postgres() {
    run(Backend::Postgres);
}

fn run(backend: Backend) {
    require_browser();
    let started = Instant::now();
    // The failure screenshot is docs/screenshots/<area>-FAILED.png.
    let area = match backend {
        Backend::Sqlite => "accounts-sqlite",
        Backend::Postgres => "accounts-postgres",
    };
    // A screenshot of an earlier failure would mislead.
    let _ = std::fs::remove_file(screenshot_dir().join(format!("{area}-FAILED.png")));
    // The demo city is generated while Chromium starts.
    let mut server = Server::start(backend);
    let browser = Browser::start();
    // Generous: the demo city is generated first, on a machine that may be busy.
    server.wait_ready(Duration::from_secs(600));
    eprintln!(
        "[{}] server and browser ready after {:.1} s",
        backend.name(),
        started.elapsed().as_secs_f64()
    );

    let walk = Walk {
        b: &browser,
        s: &server,
        step: std::cell::RefCell::new(String::new()),
        area,
        desktop_from_focus: false,
    };
    let full = backend == Backend::Sqlite;
    walk.login_page(full);
    for (username, role, shot) in ACCOUNTS {
        walk.account(username, role, full.then_some(shot));
    }
    walk.registry(full);
    walk.sharing(full);
    eprintln!(
        "[{}] done after {:.1} s",
        backend.name(),
        started.elapsed().as_secs_f64()
    );
}

impl Walk<'_> {
    /// A screenshot into `target/screenshots/` (the demo's pages are not documented here).
    fn target_screenshot(&self, name: &str) {
        self.screenshot_to(&target_screenshot_dir(), name);
    }

    /// The window has shrunk to phone width and the page (`page`, for the message) does not
    /// scroll sideways.
    fn phone_fits(&self, page: &str) {
        let inner = self.script("return window.innerWidth;");
        let inner = inner.as_i64().unwrap_or(0);
        if inner > i64::from(PHONE.0) + 25 {
            self.fail(format!(
                "the window did not shrink to phone width: innerWidth {inner}"
            ));
        }
        self.no_horizontal_scroll(page);
    }

    /// The login page: Chinese by default, the English switch, a wrong password.
    fn login_page(&self, full: bool) {
        self.step("the login page");
        self.viewport(DESKTOP);
        self.goto("/login");
        self.wait_for_route("/login");
        if self.html_lang() != "zh-CN" {
            self.fail(format!(
                "<html lang> is {:?}, not zh-CN by default",
                self.html_lang()
            ));
        }
        for css in [
            "input[name=username]",
            "input[name=password]",
            "button[type=submit]",
        ] {
            if !self.ok(self.b.exists(css)) {
                self.fail(format!("no {css} on the login page"));
            }
        }
        if full {
            self.target_screenshot("login-desktop");
            self.step("the login page on a phone");
            self.viewport(PHONE);
            self.phone_fits("/login");
            self.target_screenshot("login-phone");
            self.viewport(DESKTOP);

            self.step("the language switch on the login page");
            self.click("a[hreflang=en]");
            self.wait_for_lang("en");
            if self.route() != "/login" {
                self.fail("the language switch left the login page");
            }
            self.target_screenshot("login-desktop-en");
            self.click("a[hreflang^=zh]");
            self.wait_for_lang("zh-CN");
        }

        self.step("a wrong password");
        self.submit_login("admin", "not-the-password");
        self.wait("the login page to answer", |b| {
            Ok(b.exists(".error-summary")? || !b.current_url()?.contains("/login"))
        });
        if self.route() != "/login" {
            self.fail("a wrong password did not stay on /login");
        }
        if !self.ok(self.b.exists(".error-summary")) {
            self.fail("a wrong password shows no .error-summary");
        }
        if self.ok(self.b.exists("main[data-role]")) {
            self.fail("a wrong password shows a signed-in page");
        }
    }

    /// Fills in the login form (opening it unless it is open) and submits it; the caller
    /// waits for the answer.
    fn submit_login(&self, username: &str, password: &str) {
        if self.route() != "/login" {
            self.goto("/login");
            self.wait_for_route("/login");
        }
        self.type_into("input[name=username]", username);
        self.type_into("input[name=password]", password);
        self.click("button[type=submit]");
    }

    /// One demo account, from signing in to signing out.
    fn account(&self, username: &str, role: &str, screenshots: Option<&str>) {
        self.step(format!("{username} signs in"));
        self.submit_login(username, PASSWORD);
        // The page after signing in, loaded: either the home page or the refusal. (Waiting
        // for the URL alone let a read reach an element of the page being replaced.)
        self.wait("the page after signing in", |b| {
            let loaded = b.execute("return document.readyState;", vec![])? == "complete";
            let home = !b.current_url()?.contains("/login") && b.exists("main[data-role]")?;
            Ok(loaded && (home || b.exists(".error-summary")?))
        });
        if self.ok(self.b.exists(".error-summary")) {
            let text = self.ok(self.b.find(".error-summary").and_then(|e| self.b.text(&e)));
            self.fail(format!(
                "{username} with the demo password is refused: {text}"
            ));
        }
        self.wait_for_route("/");

        self.step(format!("{username}'s home page"));
        let main = self
            .b
            .find("main")
            .unwrap_or_else(|e| self.fail(format!("no <main>: {e}")));
        let got = self.ok(self.b.attribute(&main, "data-role"));
        if got.as_deref() != Some(role) {
            self.fail(format!("<main data-role> is {got:?}, expected {role:?}"));
        }
        let h1 = self
            .b
            .find("h1")
            .unwrap_or_else(|e| self.fail(format!("no <h1>: {e}")));
        if self.ok(self.b.text(&h1)).trim().is_empty() {
            self.fail("the <h1> is empty");
        }
        if self.ok(self.b.exists(".error-summary")) {
            self.fail("the home page shows an .error-summary");
        }
        self.navigation(username);

        if let Some(name) = screenshots {
            self.step(format!("{username}'s home page, screenshots"));
            self.target_screenshot(&format!("{name}-desktop"));
            self.viewport(PHONE);
            self.phone_fits(&format!("{username}'s home page /"));
            self.target_screenshot(&format!("{name}-phone"));
            self.viewport(DESKTOP);
        }
        if screenshots.is_some() && username == "resident" {
            self.language_switch_signed_in(role);
        }

        self.step(format!("{username} signs out"));
        self.sign_out_to_login();
        if !self.ok(self.b.exists("input[name=username]")) {
            self.fail("signing out does not show the login form");
        }
        self.goto("/");
        self.wait("the signed-out home page to send to /login", |b| {
            Ok(b.current_url()?.contains("/login") && b.exists("input[name=username]")?)
        });
    }

    /// Every link of the navigation answers 200 with an <h1>; S1 to S17 are all there.
    fn navigation(&self, username: &str) {
        self.step(format!("{username}'s navigation"));
        let links = self.ok(self.b.execute(
            "return Array.from(document.querySelectorAll('nav a[href]'))
                 .map(a => [a.getAttribute('href'), a.textContent.replace(/\\s+/g, ' ').trim()]);",
            vec![],
        ));
        let links: Vec<(String, String)> = links
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| Some((l[0].as_str()?.to_owned(), l[1].as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let listed: BTreeSet<u32> = links
            .iter()
            .filter_map(|(_, text)| capability_number(text))
            .collect();
        let missing: Vec<String> = (1..=17)
            .filter(|n| !listed.contains(n))
            .map(|n| format!("S{n}"))
            .collect();
        if !missing.is_empty() {
            self.fail(format!(
                "the navigation does not list {}; its links: {links:?}",
                missing.join(", ")
            ));
        }

        let cookie = self
            .ok(self.b.cookies())
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let hrefs: BTreeSet<&str> = links
            .iter()
            .map(|(href, _)| href.as_str())
            .filter(|h| h.starts_with('/'))
            .collect();
        let mut broken = Vec::new();
        for href in hrefs {
            match self.s.get(href, Some(&cookie)) {
                Ok((200, body)) if body.contains("<h1") => {}
                Ok((200, _)) => broken.push(format!("{href}: 200 without <h1>")),
                Ok((status, _)) => broken.push(format!("{href}: HTTP {status}")),
                Err(e) => broken.push(format!("{href}: {e}")),
            }
        }
        if !broken.is_empty() {
            self.fail(format!(
                "navigation links that do not answer 200 with an <h1>: {}",
                broken.join("; ")
            ));
        }
    }

    /// S1: the community doctor's work list, a follow-up recorded from it, the resident's
    /// timeline and the registers; an official's aggregates. Screenshots at desktop and phone
    /// width; no page scrolls sideways on a phone.
    fn registry(&self, full: bool) {
        self.step("community.doctor signs in for the registry");
        self.viewport(DESKTOP);
        self.submit_login("community.doctor", PASSWORD);
        self.wait_for_route("/");

        self.step("the work list");
        self.goto("/worklist");
        self.wait_for_route("/worklist");
        self.expect_page("table.worklist a.button");
        self.page_shots(
            full,
            "worklist",
            Some(("worklist-phone", "#section-0")),
            "/worklist",
        );

        self.step("the follow-up form");
        self.click("table.worklist a.button");
        self.wait("the follow-up form", |b| {
            Ok(b.current_url()?.ends_with("/followup")
                && b.execute("return document.readyState;", vec![])? == "complete")
        });
        self.expect_page("form.followup-form input[name=visit_date]");
        let missing = self.ok(self.b.execute(
            "const v = { sbp: '132', dbp: '84', heart_rate: '72', weight: '65', height: '165',
                         bmi: '23.9', smoking: '0', fpg: '6.2', hba1c: '6.6', ldl_c: '2.1',
                         spo2: '97', mrs: '1', cat: '10', mmrc: '1', fev1_fvc: '62' };
             const missing = [];
             for (const input of document.querySelectorAll('form.followup-form input[required]')) {
               if (input.name === 'visit_date') continue;
               if (v[input.name] === undefined) { missing.push(input.name); continue; }
               input.value = v[input.name];
             }
             return missing;",
            vec![],
        ));
        if missing.as_array().is_some_and(|m| !m.is_empty()) {
            self.fail(format!("no demo value for the required fields {missing}"));
        }
        self.page_shots(
            full,
            "followup-form",
            Some(("followup-form-phone", "main h1")),
            "the follow-up form",
        );
        self.click("form.followup-form button[type=submit]");
        self.wait("the follow-up result", |b| {
            Ok(b.exists(".notice-success")? || b.exists(".error-summary")?)
        });
        if self.ok(self.b.exists(".error-summary")) {
            let text = self.ok(self.b.find(".error-summary").and_then(|e| self.b.text(&e)));
            self.fail(format!("the follow-up was refused: {text}"));
        }
        if full {
            self.target_screenshot("followup-result");
        }

        self.step("the resident's timeline");
        self.click("p.actions a[href^='/residents/']");
        self.wait("the timeline", |b| {
            Ok(b.current_url()?.contains("/residents/") && b.exists("ol.timeline")?)
        });
        self.expect_page("ol.timeline");
        if !self.ok(self.b.exists("figure.chart svg")) {
            self.fail("the timeline shows no trend chart");
        }
        if !self.ok(self.b.exists("section.devices-timeline h2")) {
            self.fail("the timeline has no home-monitoring card");
        }
        self.page_shots(
            full,
            "resident-timeline",
            Some(("resident-timeline-phone", "main h1")),
            "the timeline",
        );

        self.step("the registers");
        self.goto("/registry");
        self.wait_for_route("/registry");
        self.expect_page(".registry-cards .disease-card");
        self.page_shots(
            full,
            "registry-overview",
            Some(("registry-overview-phone", "main h1")),
            "/registry",
        );
        self.goto("/registry/hypertension");
        self.wait_for_route("/registry/hypertension");
        self.expect_page("table.register");
        self.page_shots(
            full,
            "registry-list",
            Some(("registry-list-phone", "main h1")),
            "/registry/hypertension",
        );
        self.sign_out_to_login();

        self.step("health.official's registry aggregates");
        self.submit_login("health.official", PASSWORD);
        self.wait_for_route("/");
        self.goto("/registry");
        self.wait_for_route("/registry");
        self.expect_page("figure.chart svg");
        if self.ok(self.b.exists("a[href^='/residents/']")) {
            self.fail("an official's overview links to residents");
        }
        self.page_shots(
            full,
            "registry-overview-official",
            Some(("registry-overview-official-phone", "#compare")),
            "the officials' /registry",
        );

        self.step("health.official drills down to a district");
        self.goto("/registry/hypertension/districts/gulou");
        self.wait_for_route("/registry/hypertension/districts/gulou");
        self.expect_page("figure.chart svg");
        if !self.ok(self.b.exists("a[href^='/registry/hypertension/centres/']")) {
            self.fail("the district page links to no centre");
        }
        if self.ok(self.b.exists("a[href^='/residents/']")) {
            self.fail("an official's district page links to residents");
        }
        self.page_shots(
            full,
            "registry-district",
            None,
            "/registry/hypertension/districts/gulou",
        );
        self.sign_out_to_login();

        self.reviews(full);
    }

    /// S1: the hospital doctor reviews the uncertain identity matches the demo leaves for her
    /// hospital (masked facts and the evidence), then decides one.
    fn reviews(&self, full: bool) {
        self.step("doctor's identity-match reviews");
        self.submit_login("doctor", PASSWORD);
        self.wait_for_route("/");
        self.goto("/registry/reviews");
        self.wait_for_route("/registry/reviews");
        self.expect_page("section.review");
        let h1 = self.ok(self.b.find("h1").and_then(|e| self.b.text(&e)));
        if h1.trim() != "身份匹配待核实" {
            self.fail(format!("the reviews page's heading is {h1:?}"));
        }
        let seen = self.ok(self.b.execute(
            "return Array.from(document.querySelectorAll('section.review')).map(s => s.innerText);",
            vec![],
        ));
        let cards: Vec<String> = seen
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if cards.len() != demo::DEMO_REVIEWS {
            self.fail(format!(
                "{} matches to review, the demo leaves {}",
                cards.len(),
                demo::DEMO_REVIEWS
            ));
        }
        for card in &cards {
            for expected in ["贵机构的记录", "候选居民", "姓名一致", "出生日期一致", "*"]
            {
                if !card.contains(expected) {
                    self.fail(format!("a review does not show {expected:?}: {card}"));
                }
            }
        }
        if !self.ok(self
            .b
            .exists("section.review .candidate form button[type=submit]"))
        {
            self.fail("a review offers no \"same person\" decision");
        }
        self.page_shots(
            full,
            "registry-reviews",
            Some(("registry-reviews-phone", "section.review")),
            "/registry/reviews",
        );

        self.step("doctor decides a match");
        self.click("section.review .candidate form button[type=submit]");
        let left = demo::DEMO_REVIEWS - 1;
        self.wait("one match fewer to review", move |b| {
            let n = b.execute(
                "return document.readyState === 'complete' ? document.querySelectorAll('section.review').length : -1;",
                vec![],
            )?;
            Ok(n.as_u64() == Some(left as u64))
        });
        if self.route() != "/registry/reviews" {
            self.fail("deciding a match did not return to the reviews");
        }
        self.sign_out_to_login();
    }

    /// The resident stops sharing with her care team and starts again, then finds both
    /// decisions among the accesses to her record, each with its ledger proof.
    fn sharing(&self, full: bool) {
        self.step("resident's own space");
        self.submit_login("resident", PASSWORD);
        self.wait_for_route("/");
        self.goto("/me");
        self.wait_for_route("/me");
        self.expect_page(".portal a.portal-card[href=\"/me/sharing\"]");
        let cards = self.ok(self.b.execute(
            "return Array.from(document.querySelectorAll('.portal a.portal-card')).map(a => a.getAttribute('href'));",
            vec![],
        ));
        let expected = [
            "/me/record",
            "/me/devices",
            "/me/risk",
            "/me/alerts",
            "/clinic",
            "/me/sharing",
            "/me/access",
        ];
        if cards != serde_json::json!(expected) {
            self.fail(format!(
                "the cards of /me are {cards}, expected {expected:?}"
            ));
        }
        let text = self.ok(self.b.find("main").and_then(|e| self.b.text(&e)));
        for expected in ["高血压", "2型糖尿病", "台在用设备", "血压 ", "mmHg"] {
            if !text.contains(expected) {
                self.fail(format!("/me does not show {expected:?}"));
            }
        }
        self.page_shots(
            full,
            "me-portal",
            Some(("me-portal-phone", ".portal")),
            "/me",
        );

        self.step("resident's sharing settings");
        self.goto("/me/sharing");
        self.wait_for_route("/me/sharing");
        self.expect_page("li.sharing-item form");
        let items = self.ok(self.b.execute(
            "return document.querySelectorAll('li.sharing-item').length;",
            vec![],
        ));
        if items.as_u64() != Some(4) {
            self.fail(format!("{items} purposes on the sharing page, not 4"));
        }
        self.page_shots(
            full,
            "me-sharing",
            Some(("me-sharing-phone", "ul.sharing-list")),
            "/me/sharing",
        );
        let care_team = "form[action$=\"/care-team\"] button[type=submit]";
        let state = |b: &Browser| {
            b.execute(
                "const f = document.querySelector('form[action$=\"/care-team\"]'); \
                 return f ? f.querySelector('input[name=granted]').value : null;",
                vec![],
            )
        };
        if self.ok(state(self.b)).as_str() != Some("0") {
            self.fail("sharing with the care team is not on by default");
        }
        self.step("resident stops sharing with her care team");
        self.click(care_team);
        self.wait("care-team sharing to be off", |b| {
            Ok(state(b)?.as_str() == Some("1"))
        });
        self.step("resident shares with her care team again");
        self.click(care_team);
        self.wait("care-team sharing to be on", |b| {
            Ok(state(b)?.as_str() == Some("0"))
        });

        self.step("resident reads who accessed her record");
        self.goto("/me/access");
        self.wait_for_route("/me/access");
        self.expect_page("table a[href*=\"/ledger/proofs/inclusion\"]");
        let text = self.ok(self.b.find("main").and_then(|e| self.b.text(&e)));
        for expected in ["停止数据共享", "开启数据共享"] {
            if !text.contains(expected) {
                self.fail(format!("the access log does not show {expected:?}"));
            }
        }
        self.page_shots(
            full,
            "me-access",
            Some(("me-access-phone", "table")),
            "/me/access",
        );
        self.sign_out_to_login();
    }

    /// The page has an <h1>, no error summary, and `css`.
    fn expect_page(&self, css: &str) {
        if !self.ok(self.b.exists("h1")) {
            self.fail("the page has no <h1>");
        }
        if !self.ok(self.b.exists(css)) {
            self.fail(format!("the page has no {css}"));
        }
    }

    /// A desktop screenshot and, optionally, a phone one after checking sideways scrolling
    /// (checked on every backend; screenshots only on the full run).
    /// The phone screenshot shows the page from `focus` down (its top is the masthead).
    fn page_shots(&self, full: bool, desktop: &str, phone: Option<(&str, &str)>, page: &str) {
        if full {
            self.target_screenshot(desktop);
            // The whole page too, for reviewing what lies below the fold.
            self.viewport((DESKTOP.0, 3000));
            self.target_screenshot(&format!("{desktop}-full"));
            self.viewport(DESKTOP);
        }
        if let Some((phone, focus)) = phone {
            self.viewport(PHONE);
            self.phone_fits(page);
            if full {
                self.scroll_to(focus);
                self.target_screenshot(phone);
                self.script("window.scrollTo(0, 0);");
            }
            self.viewport(DESKTOP);
        }
    }

    /// Signs out and waits for the login page.
    fn sign_out_to_login(&self) {
        self.click("form[action=\"/logout\"] [type=submit]");
        self.wait_for_route("/login");
    }

    fn language_switch_signed_in(&self, role: &str) {
        self.step("the language switch when signed in");
        self.click("a[hreflang=en]");
        self.wait_for_lang("en");
        let main = self
            .b
            .find("main")
            .unwrap_or_else(|e| self.fail(format!("no <main> in English: {e}")));
        if self.ok(self.b.attribute(&main, "data-role")).as_deref() != Some(role) {
            self.fail("the English page lost the role");
        }
        if !self.ok(self.b.exists("h1")) {
            self.fail("the English page has no <h1>");
        }
        self.target_screenshot(&format!("{role}-desktop-en"));
        self.click("a[hreflang^=zh]");
        self.wait_for_lang("zh-CN");
    }
}

/// `S7` in a link text like "S7 药品追溯" or "S7Drug tracing": 7.
fn capability_number(text: &str) -> Option<u32> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find_map(|i| {
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if bytes[i] != b'S' || !starts_word {
            return None;
        }
        let digits: String = text[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if digits.is_empty() || digits.len() > 2 {
            return None;
        }
        digits.parse().ok()
    })
}

/// `target/screenshots/` (next to `target/tmp`), created if needed.
fn target_screenshot_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp
        .parent()
        .map(|t| t.join("screenshots"))
        .unwrap_or_else(|| tmp.join("screenshots"));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

#[test]
fn capability_numbers_are_read_from_link_texts() {
    assert_eq!(capability_number("S7 药品追溯"), Some(7));
    assert_eq!(capability_number("S17Platform operations"), Some(17));
    assert_eq!(capability_number("首页"), None);
    assert_eq!(capability_number("Sign out"), None);
    assert_eq!(capability_number("USB3"), None);
}
