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

use std::time::Duration;

use support::server::{Backend, Server};
use support::walk::{DESKTOP, Walk};
use support::webdriver::{Browser, require_browser};

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
        area: "research",
        desktop_from_focus: false,
    };
    let id = walk.submit_request();
    walk.review_and_release(&id);
    walk.download(&id);
    walk.aggregate_query();
}

impl Walk<'_> {
    /// [`Walk::shots`], then the whole page at desktop width, for reviewing below the fold
    /// (kept out of docs/, in the temporary directory).
    fn shots_and_full_page(&self, name: &str, focus: &str) {
        self.shots(name, focus);
        self.viewport((DESKTOP.0, 2400));
        self.screenshot_to(&std::env::temp_dir(), &format!("{name}-desktop-full"));
        self.viewport(DESKTOP);
    }

    /// The researcher's page: an empty submission is refused field by field, then a request
    /// is submitted. Returns its id.
    fn submit_request(&self) -> String {
        self.viewport(DESKTOP);
        self.sign_in("researcher");
        self.step("the researcher's home page links to research");
        if !self.ok(self.b.exists("a[href='/research']")) {
            self.fail("the researcher's home page has no link to /research");
        }
        self.click("a[href='/research']");
        self.wait_for("form.research-form");
        self.shots_and_full_page("research-requests", "#new");

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
        self.shots_and_full_page("research-form-errors", ".error-summary");

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
        self.shots_and_full_page("research-request-submitted", "main h1");
        self.sign_out();
        id
    }

    /// The steward's queue, the approval with an access period, and the release.
    fn review_and_release(&self, id: &str) {
        self.sign_in("steward");
        self.step("the steward's queue");
        self.goto("/research/review");
        self.wait_for(&format!("a[href='/research/requests/{id}']"));
        self.shots_and_full_page("research-review", "main h2");
        self.click(&format!("a[href='/research/requests/{id}']"));
        self.wait_for("#access_until");
        self.shots_and_full_page("research-request-review", ".steward-action");

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
        self.shots_and_full_page("research-request-released-steward", "section.release");
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
        self.shots_and_full_page("research-request-released", "section.release");

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
        self.shots_and_full_page("research-query", "#result-title");
        self.sign_out();
    }
}
