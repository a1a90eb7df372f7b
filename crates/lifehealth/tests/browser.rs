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
use std::fmt::Display;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use support::server::{Backend, Server};
use support::webdriver::{Browser, WdResult, require_browser};

const PASSWORD: &str = "Demo-Lifehealth-2026";

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

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (375, 812);
const WAIT: Duration = Duration::from_secs(20);

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
    // A screenshot of an earlier failure would mislead.
    let _ = std::fs::remove_file(screenshot_dir().join(format!("FAILED-{}.png", backend.name())));
    // The demo city is generated while Chromium starts.
    let mut server = Server::start(backend);
    let browser = Browser::start();
    server.wait_ready(Duration::from_secs(120));
    eprintln!(
        "[{}] server and browser ready after {:.1} s",
        backend.name(),
        started.elapsed().as_secs_f64()
    );

    let walk = Walk {
        b: &browser,
        s: &server,
        step: std::cell::RefCell::new(String::new()),
    };
    let full = backend == Backend::Sqlite;
    walk.login_page(full);
    for (username, role, shot) in ACCOUNTS {
        walk.account(username, role, full.then_some(shot));
    }
    eprintln!(
        "[{}] done after {:.1} s",
        backend.name(),
        started.elapsed().as_secs_f64()
    );
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

    /// Fails with what the browser shows and what the server printed; keeps a screenshot.
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
        let shot = screenshot_dir().join(format!("FAILED-{}.png", self.s.backend.name()));
        let saved = self
            .b
            .screenshot_png()
            .ok()
            .and_then(|png| std::fs::write(&shot, png).ok())
            .map(|()| format!("screenshot: {}", shot.display()))
            .unwrap_or_else(|| "no screenshot".into());
        panic!(
            "[{}] {step}: {what}\n  at {url} ({saved})\n--- page text ---\n{text}\n--- server output (last lines) ---\n{}",
            self.s.backend.name(),
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

    /// The path without its query string.
    fn route(&self) -> String {
        let path = self.path();
        path.split(['?', '#']).next().unwrap_or("").to_owned()
    }

    fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.s.base);
        self.ok(self.b.goto(&url));
    }

    fn html_lang(&self) -> String {
        let v = self.ok(self.b.execute(
            "return document.documentElement.getAttribute('lang');",
            vec![],
        ));
        v.as_str().unwrap_or("").to_owned()
    }

    fn wait(&self, what: &str, check: impl FnMut(&Browser) -> WdResult<bool>) {
        if !self.ok(self.b.wait_for(WAIT, check)) {
            self.fail(format!("waited {} s for {what}", WAIT.as_secs()));
        }
    }

    fn wait_for_route(&self, route: &str) {
        let base = self.s.base.clone();
        let want = route.to_owned();
        self.wait(&format!("the page {route}"), move |b| {
            let url = b.current_url()?;
            let path = url.strip_prefix(&base).unwrap_or(&url);
            let ready = b.execute("return document.readyState;", vec![])?;
            Ok(path.split(['?', '#']).next() == Some(want.as_str()) && ready == "complete")
        });
    }

    fn click(&self, css: &str) {
        let el = self
            .b
            .find(css)
            .unwrap_or_else(|e| self.fail(format!("no element {css}: {e}")));
        self.ok(self.b.click(&el));
    }

    fn viewport(&self, (w, h): (u32, u32)) {
        self.ok(self.b.set_viewport_size(w, h));
    }

    fn screenshot(&self, name: &str) {
        let png = self.ok(self.b.screenshot_png());
        assert!(
            png.starts_with(b"\x89PNG"),
            "the screenshot {name} is not a PNG"
        );
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// The page may not scroll sideways on a phone-width window.
    fn no_horizontal_scroll(&self, page: &str) {
        let v = self.ok(self.b.execute(
            "const w = window.innerWidth;
             const wide = [];
             for (const el of document.body.querySelectorAll('*')) {
               const r = el.getBoundingClientRect();
               const p = el.parentElement ? el.parentElement.getBoundingClientRect() : null;
               const parentWide = p && p.right > w + 1;
               if (r.width > 0 && r.right > w + 1 && !parentWide && wide.length < 6) {
                 const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
                 wide.push(el.tagName.toLowerCase() + cls + ' (right edge ' + Math.round(r.right) + 'px)');
               }
             }
             return [document.documentElement.scrollWidth, w, wide];",
            vec![],
        ));
        let scroll = v[0].as_i64().unwrap_or(i64::MAX);
        let inner = v[1].as_i64().unwrap_or(0);
        if inner > i64::from(PHONE.0) + 25 {
            self.fail(format!(
                "the window did not shrink to phone width: innerWidth {inner}"
            ));
        }
        if scroll > inner + 1 {
            self.fail(format!(
                "{page} scrolls sideways on a {}px-wide phone: scrollWidth {scroll} > innerWidth {inner}; too wide: {}",
                PHONE.0, v[2]
            ));
        }
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
            self.screenshot("login-desktop");
            self.step("the login page on a phone");
            self.viewport(PHONE);
            self.no_horizontal_scroll("/login");
            self.screenshot("login-phone");
            self.viewport(DESKTOP);

            self.step("the language switch on the login page");
            self.click("a[hreflang=en]");
            self.wait("<html lang=\"en\"> after the language switch", |b| {
                lang_is(b, "en")
            });
            if self.route() != "/login" {
                self.fail("the language switch left the login page");
            }
            self.screenshot("login-desktop-en");
            self.click("a[hreflang^=zh]");
            self.wait("<html lang=\"zh-CN\"> after switching back", |b| {
                lang_is(b, "zh-CN")
            });
        }

        self.step("a wrong password");
        self.sign_in("admin", "not-the-password");
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

    fn sign_in(&self, username: &str, password: &str) {
        if self.route() != "/login" {
            self.goto("/login");
            self.wait_for_route("/login");
        }
        for (css, value) in [
            ("input[name=username]", username),
            ("input[name=password]", password),
        ] {
            let el = self
                .b
                .find(css)
                .unwrap_or_else(|e| self.fail(format!("no {css}: {e}")));
            self.ok(self.b.type_into(&el, value));
        }
        self.click("button[type=submit]");
    }

    /// One demo account, from signing in to signing out.
    fn account(&self, username: &str, role: &str, screenshots: Option<&str>) {
        self.step(format!("{username} signs in"));
        self.sign_in(username, PASSWORD);
        self.wait("the page after signing in", |b| {
            Ok(b.exists("main[data-role]")?
                || b.exists(".error-summary")?
                || !b.current_url()?.contains("/login"))
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
            self.screenshot(&format!("{name}-desktop"));
            self.viewport(PHONE);
            self.no_horizontal_scroll(&format!("{username}'s home page /"));
            self.screenshot(&format!("{name}-phone"));
            self.viewport(DESKTOP);
        }
        if screenshots.is_some() && username == "resident" {
            self.language_switch_signed_in(role);
        }

        self.step(format!("{username} signs out"));
        self.click("form[action=\"/logout\"] [type=submit]");
        self.wait_for_route("/login");
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

    fn language_switch_signed_in(&self, role: &str) {
        self.step("the language switch when signed in");
        self.click("a[hreflang=en]");
        self.wait("<html lang=\"en\"> after the language switch", |b| {
            lang_is(b, "en")
        });
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
        self.screenshot(&format!("{role}-desktop-en"));
        self.click("a[hreflang^=zh]");
        self.wait("<html lang=\"zh-CN\"> after switching back", |b| {
            lang_is(b, "zh-CN")
        });
    }
}

fn lang_is(b: &Browser, lang: &str) -> WdResult<bool> {
    Ok(b.execute("return document.documentElement.lang;", vec![])? == lang)
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
fn screenshot_dir() -> PathBuf {
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
