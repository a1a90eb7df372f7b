//! Research access in a real headless Chromium against the real binary (`lifehealth demo`, on
//! SQLite): the researcher's form refuses an empty request field by field, then submits one;
//! the data steward finds it in the queue, approves it with an access period and releases
//! it; the researcher sees the release with its hash and ledger entry and downloads the CSV;
//! the aggregate query page shows the table with `<5` cells, its legend and a chart. Every
//! page is photographed at desktop and phone width into `docs/screenshots/research-*.png`,
//! and none scrolls sideways on a phone.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (`scripts/install-deps.sh`); fails
//! without them.

mod support;

use std::fmt::Display;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use support::server::{Backend, Server};
use support::webdriver::{Browser, WdResult, require_browser};

const PASSWORD: &str = "Demo-Lifehealth-2026";
const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (375, 812);
const WAIT: Duration = Duration::from_secs(20);

#[test]
fn research_request_review_release_and_query_in_a_browser() {
    require_browser();
    // A release is k-anonymous without too much suppression only over a large enough
    // cohort: a city larger than the browser tests' usual one.
    let mut server = Server::start_with(Backend::Sqlite, 400, &[]);
    let browser = Browser::start();
    // Generous: the demo city is generated first, on a machine that may be busy.
    server.wait_ready(Duration::from_secs(600));
    let walk = Walk {
        b: &browser,
        s: &server,
        step: std::cell::RefCell::new(String::new()),
    };
    let id = walk.submit_request();
    walk.review_and_release(&id);
    walk.download(&id);
    walk.aggregate_query();
}

struct Walk<'a> {
    b: &'a Browser,
    s: &'a Server,
    step: std::cell::RefCell<String>,
}

impl Walk<'_> {
    fn step(&self, what: impl Display) {
        *self.step.borrow_mut() = what.to_string();
    }

    /// Fails with what the browser shows and what the server printed.
    fn fail(&self, what: impl Display) -> ! {
        let step = self.step.borrow().clone();
        let url = self
            .b
            .current_url()
            .unwrap_or_else(|e| format!("(unknown: {e})"));
        let text = self
            .b
            .execute(
                "return document.body ? document.body.innerText : '(no body)';",
                vec![],
            )
            .ok()
            .and_then(|v| v.as_str().map(|s| s.chars().take(1500).collect::<String>()))
            .unwrap_or_default();
        let shot = screenshot_dir().join("research-FAILED.png");
        let _ = self
            .b
            .screenshot_png()
            .ok()
            .and_then(|png| std::fs::write(&shot, png).ok());
        panic!(
            "{step}: {what}\n  at {url}\n--- page text ---\n{text}\n--- server output ---\n{}",
            self.s.log_tail(40)
        );
    }

    fn ok<T>(&self, r: WdResult<T>) -> T {
        r.unwrap_or_else(|e| self.fail(format!("WebDriver: {e}")))
    }

    fn path(&self) -> String {
        let url = self.ok(self.b.current_url());
        url.strip_prefix(&self.s.base).unwrap_or(&url).to_owned()
    }

    fn goto(&self, path: &str) {
        self.ok(self.b.goto(&format!("{}{path}", self.s.base)));
        self.wait("the page to load", |b| {
            Ok(b.execute("return document.readyState;", vec![])? == "complete")
        });
    }

    fn wait(&self, what: &str, check: impl FnMut(&Browser) -> WdResult<bool>) {
        if !self.ok(self.b.wait_for(WAIT, check)) {
            self.fail(format!("waited {} s for {what}", WAIT.as_secs()));
        }
    }

    fn wait_for(&self, css: &str) {
        let css = css.to_owned();
        self.wait(&format!("{css} on the page"), move |b| {
            Ok(
                b.execute("return document.readyState;", vec![])? == "complete"
                    && b.exists(&css)?,
            )
        });
    }

    fn click(&self, css: &str) {
        let el = self
            .b
            .find(css)
            .unwrap_or_else(|e| self.fail(format!("no element {css}: {e}")));
        self.ok(self.b.click(&el));
    }

    fn type_into(&self, css: &str, text: &str) {
        let el = self
            .b
            .find(css)
            .unwrap_or_else(|e| self.fail(format!("no element {css}: {e}")));
        self.ok(self.b.type_into(&el, text));
    }

    fn text(&self, css: &str) -> String {
        let el = self
            .b
            .find(css)
            .unwrap_or_else(|e| self.fail(format!("no element {css}: {e}")));
        self.ok(self.b.text(&el))
    }

    fn script(&self, js: &str) -> Value {
        self.ok(self.b.execute(js, vec![]))
    }

    fn sign_in(&self, username: &str) {
        self.step(format!("{username} signs in"));
        self.goto("/login");
        self.type_into("input[name=username]", username);
        self.type_into("input[name=password]", PASSWORD);
        self.click("button[type=submit]");
        self.wait_for("main[data-role]");
    }

    fn sign_out(&self) {
        self.click("form[action=\"/logout\"] [type=submit]");
        self.wait_for("input[name=username]");
    }

    fn screenshot(&self, name: &str) {
        let png = self.ok(self.b.screenshot_png());
        assert!(png.starts_with(b"\x89PNG"), "{name} is not a PNG");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// The page may not scroll sideways on a phone-width window.
    fn no_horizontal_scroll(&self, page: &str) {
        let v = self.script(
            "const w = window.innerWidth; const wide = [];
             for (const el of document.body.querySelectorAll('*')) {
               const r = el.getBoundingClientRect();
               const p = el.parentElement ? el.parentElement.getBoundingClientRect() : null;
               if (r.width > 0 && r.right > w + 1 && !(p && p.right > w + 1) && wide.length < 6) {
                 wide.push(el.tagName.toLowerCase() + '.' + String(el.className) + ' (' + Math.round(r.right) + 'px)');
               }
             }
             return [document.documentElement.scrollWidth, w, wide];",
        );
        let scroll = v[0].as_i64().unwrap_or(i64::MAX);
        let inner = v[1].as_i64().unwrap_or(0);
        if scroll > inner + 1 {
            self.fail(format!(
                "{page} scrolls sideways on a phone: scrollWidth {scroll} > {inner}; too wide: {}",
                v[2]
            ));
        }
    }

    /// Desktop (the window, and the whole page) and phone screenshots, the phone one from
    /// `focus` down, after checking the phone layout does not scroll sideways.
    fn shots(&self, name: &str, focus: &str) {
        self.ok(self.b.set_viewport_size(DESKTOP.0, DESKTOP.1));
        self.screenshot(&format!("{name}-desktop"));
        // The whole page, for reviewing below the fold (kept out of docs/).
        self.ok(self.b.set_viewport_size(DESKTOP.0, 2400));
        let png = self.ok(self.b.screenshot_png());
        let full = std::env::temp_dir().join(format!("{name}-desktop-full.png"));
        std::fs::write(&full, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", full.display()));
        self.ok(self.b.set_viewport_size(PHONE.0, PHONE.1));
        self.no_horizontal_scroll(name);
        self.ok(self.b.execute(
            "const el = document.querySelector(arguments[0]); if (el) el.scrollIntoView();",
            vec![Value::String(focus.to_owned())],
        ));
        self.screenshot(&format!("{name}-phone"));
        self.script("window.scrollTo(0, 0);");
        self.ok(self.b.set_viewport_size(DESKTOP.0, DESKTOP.1));
    }

    /// The researcher's page: an empty submission is refused field by field, then a request
    /// is submitted. Returns its id.
    fn submit_request(&self) -> String {
        self.ok(self.b.set_viewport_size(DESKTOP.0, DESKTOP.1));
        self.sign_in("researcher");
        self.step("the researcher's home page links to research");
        if !self.ok(self.b.exists("a[href='/research']")) {
            self.fail("the researcher's home page has no link to /research");
        }
        self.click("a[href='/research']");
        self.wait_for("form.research-form");
        self.shots("research-requests", "#new");

        self.step("an empty request is refused field by field");
        self.click("form.research-form button[type=submit]");
        self.wait_for(".error-summary");
        let summary = self.text(".error-summary");
        for words in ["此项必填", "伦理批件号"] {
            if !summary.contains(words) && !self.text("main").contains(words) {
                self.fail(format!("the error summary does not say {words}: {summary}"));
            }
        }
        for field in ["diseases", "variables", "purpose", "ethics_reference"] {
            if !self.ok(self.b.exists(&format!(".error-summary a[href='#{field}']"))) {
                self.fail(format!("the summary does not link to #{field}"));
            }
        }
        self.shots("research-form-errors", ".error-summary");

        self.step("the researcher fills in the request");
        for css in [
            "input[name=diseases][value=hypertension]",
            "input[name=variables][value=sex]",
            "input[name=variables][value=age]",
            "input[name=variables][value=controlled]",
            "input[name=variables][value=followups]",
        ] {
            self.click(css);
        }
        self.type_into(
            "#purpose",
            "高血压患者血压控制情况与年龄、性别的关系（回顾性队列研究）",
        );
        self.type_into("#ethics_reference", "伦审〔2026〕第017号");
        self.click("form.research-form button[type=submit]");
        self.wait("the request's page", |b| {
            Ok(b.current_url()?.contains("/research/requests/") && b.exists("dl.summary")?)
        });
        let id = self
            .path()
            .trim_start_matches("/research/requests/")
            .to_owned();
        if !self.text("main").contains("待审核") {
            self.fail("the new request is not waiting for review");
        }
        self.shots("research-request-submitted", "main h1");
        self.sign_out();
        id
    }

    /// The steward's queue, the approval with an access period, and the release.
    fn review_and_release(&self, id: &str) {
        self.sign_in("steward");
        self.step("the steward's queue");
        self.goto("/research/review");
        self.wait_for(&format!("a[href='/research/requests/{id}']"));
        self.shots("research-review", "main h2");
        self.click(&format!("a[href='/research/requests/{id}']"));
        self.wait_for("#access_until");
        self.shots("research-request-review", ".steward-action");

        self.step("the steward approves with an access period");
        // A date input takes its value in the browser's locale; set it as the form sends it.
        self.script(
            "document.getElementById('access_until').value = \
             new Date(Date.now() + 90 * 864e5).toISOString().slice(0, 10);",
        );
        self.type_into("#approve-reasons", "伦理批件与变量已核对");
        self.click("form[action$='/approve'] button[type=submit]");
        self.wait_for("form[action$='/release']");

        self.step("the steward releases the extract");
        self.click("form[action$='/release'] button[type=submit]");
        self.wait("the release summary", |b| {
            Ok(b.exists("section.release")? || b.exists(".notice-error")?)
        });
        if self.ok(self.b.exists(".notice-error")) {
            self.fail(format!(
                "the release was refused: {}",
                self.text(".notice-error")
            ));
        }
        let release = self.text("section.release");
        if !release.contains("SHA-256") {
            self.fail("the release summary shows no SHA-256");
        }
        self.shots("research-request-released-steward", "section.release");
        self.sign_out();
    }

    /// The researcher sees the download buttons and downloads the extract.
    fn download(&self, id: &str) {
        self.sign_in("researcher");
        self.step("the researcher opens the released request");
        self.goto(&format!("/research/requests/{id}"));
        self.wait_for("section.release a[href$='/extract.csv']");
        if !self.ok(self
            .b
            .exists("section.release a[href^='/api/v1/ledger/proofs/inclusion']"))
        {
            self.fail("no link to the release's inclusion proof");
        }
        self.shots("research-request-released", "section.release");

        self.step("the researcher downloads the extract");
        let session = self
            .ok(self.b.cookies())
            .into_iter()
            .find(|(name, _)| name == "lh_session")
            .map(|(name, value)| format!("{name}={value}"))
            .unwrap_or_else(|| self.fail("no session cookie"));
        let (status, csv) = self
            .s
            .get(
                &format!("/research/requests/{id}/extract.csv"),
                Some(&session),
            )
            .unwrap_or_else(|e| self.fail(format!("the download failed: {e}")));
        if status != 200 || !csv.starts_with("pid,sex,age,controlled,followups") {
            self.fail(format!(
                "the download answered {status}: {}",
                &csv[..csv.len().min(200)]
            ));
        }
        if csv.lines().count() < 2 {
            self.fail("the extract has no rows");
        }
        self.goto(&format!("/research/requests/{id}"));
        self.wait_for("section.release");
        let downloads = self.text("section.release");
        if !downloads.contains("下载次数") {
            self.fail("the release shows no download count");
        }
    }

    /// The aggregate query: a table with suppressed cells, its legend and a chart.
    fn aggregate_query(&self) {
        self.step("the aggregate query page");
        self.goto("/research/query");
        self.wait_for("form.research-query");
        self.click("input[name=diseases][value=hypertension]");
        self.script(
            "document.getElementById('rows').value = 'district';
             document.getElementById('columns').value = 'age';",
        );
        self.click("form.research-query button[type=submit]");
        self.wait_for("table.aggregate");
        if !self.ok(self.b.exists("table.aggregate td.suppressed")) {
            self.fail("no suppressed cell in the district-by-age table");
        }
        if !self.text("p.legend").contains("<5") {
            self.fail("the legend does not explain <5");
        }
        if !self.ok(self.b.exists("figure.chart svg")) {
            self.fail("no chart under the table");
        }
        self.shots("research-query", "#result-title");
        self.sign_out();
    }
}

/// `docs/screenshots/` of the repository.
fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}
