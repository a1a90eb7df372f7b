//! A page walk through a real browser for the browser tests: one step at a time, failing
//! with what the browser shows and what the server printed, signing in and out, and taking
//! desktop and phone screenshots into `docs/screenshots/` after checking the page does not
//! scroll sideways on a phone. Each test adds its own steps in an `impl Walk` of its own.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::server::Server;
use super::webdriver::{Browser, WdResult};

/// The demo accounts' password.
pub const PASSWORD: &str = "Demo-Lifehealth-2026";
/// Desktop and phone viewports.
pub const DESKTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (375, 812);
/// How long a step may wait for the page.
pub const WAIT: Duration = Duration::from_secs(20);

pub struct Walk<'a> {
    pub b: &'a Browser,
    pub s: &'a Server,
    /// What the test is doing, for failure messages.
    pub step: std::cell::RefCell<String>,
    /// The area (`alerts`, `risk`): the failure screenshot is `<area>-FAILED.png`.
    pub area: &'static str,
    /// Desktop screenshots start at the focus too (not at the top of the page).
    pub desktop_from_focus: bool,
}

impl Walk<'_> {
    pub fn step(&self, what: impl Display) {
        *self.step.borrow_mut() = what.to_string();
    }

    /// Fails with what the browser shows and what the server printed; keeps a screenshot.
    pub fn fail(&self, what: impl Display) -> ! {
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
        let shot = screenshot_dir().join(format!("{}-FAILED.png", self.area));
        let saved = self
            .b
            .screenshot_png()
            .ok()
            .and_then(|png| std::fs::write(&shot, png).ok())
            .map(|()| format!("screenshot: {}", shot.display()))
            .unwrap_or_else(|| "no screenshot".into());
        panic!(
            "[{}] {step}: {what}\n  at {url} ({saved})\n--- page text ---\n{text}\n--- server output (last lines) ---\n{}",
            self.area,
            self.s.log_tail(40)
        );
    }

    pub fn ok<T>(&self, r: WdResult<T>) -> T {
        r.unwrap_or_else(|e| self.fail(format!("WebDriver: {e}")))
    }

    /// Runs `js` (a function body) and returns what it returns.
    pub fn script(&self, js: &str) -> Value {
        self.ok(self.b.execute(js, vec![]))
    }

    /// The current URL without the server's base: `/research/requests/7?tab=1`.
    pub fn path(&self) -> String {
        let url = self.ok(self.b.current_url());
        url.strip_prefix(&self.s.base).unwrap_or(&url).to_owned()
    }

    /// The path without its query string or fragment.
    pub fn route(&self) -> String {
        let path = self.path();
        path.split(['?', '#']).next().unwrap_or("").to_owned()
    }

    /// `<html lang>`.
    pub fn html_lang(&self) -> String {
        let v = self.script("return document.documentElement.getAttribute('lang');");
        v.as_str().unwrap_or("").to_owned()
    }

    /// Sets the page's viewport to (width, height).
    pub fn viewport(&self, (width, height): (u32, u32)) {
        self.ok(self.b.set_viewport_size(width, height));
    }

    pub fn goto(&self, path: &str) {
        self.ok(self.b.goto(&format!("{}{path}", self.s.base)));
        self.loaded();
    }

    pub fn loaded(&self) {
        self.wait("the page to load", |b| {
            Ok(b.execute("return document.readyState;", vec![])? == "complete")
        });
    }

    pub fn wait(&self, what: &str, check: impl FnMut(&Browser) -> WdResult<bool>) {
        if !self.ok(self.b.wait_for(WAIT, check)) {
            self.fail(format!("waited {} s for {what}", WAIT.as_secs()));
        }
    }

    pub fn wait_for(&self, css: &str) {
        let css = css.to_owned();
        self.wait(&format!("{css} on the page"), move |b| {
            Ok(
                b.execute("return document.readyState;", vec![])? == "complete"
                    && b.exists(&css)?,
            )
        });
    }

    /// Waits for the page at `route` (a path without query string), loaded.
    pub fn wait_for_route(&self, route: &str) {
        let base = self.s.base.clone();
        let want = route.to_owned();
        self.wait(&format!("the page {route}"), move |b| {
            let url = b.current_url()?;
            let path = url.strip_prefix(&base).unwrap_or(&url);
            let ready = b.execute("return document.readyState;", vec![])?;
            Ok(path.split(['?', '#']).next() == Some(want.as_str()) && ready == "complete")
        });
    }

    /// Waits for `<html lang>` to be `lang` (after the language switch).
    pub fn wait_for_lang(&self, lang: &str) {
        let want = lang.to_owned();
        self.wait(&format!("<html lang={lang}>"), move |b| {
            Ok(b.execute("return document.documentElement.lang;", vec![])? == want.as_str())
        });
    }

    pub fn click(&self, css: &str) {
        let el = self
            .b
            .find(css)
            .unwrap_or_else(|e| self.fail(format!("no element {css}: {e}")));
        self.ok(self.b.click(&el));
    }

    pub fn text(&self, css: &str) -> String {
        let el = self
            .b
            .find(css)
            .unwrap_or_else(|e| self.fail(format!("no element {css}: {e}")));
        self.ok(self.b.text(&el))
    }

    /// Clears the field `css` and types `text` into it.
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self
            .b
            .find(css)
            .unwrap_or_else(|e| self.fail(format!("no {css}: {e}")));
        self.ok(self.b.type_into(&el, text));
    }

    pub fn sign_in(&self, username: &str) {
        self.step(format!("{username} signs in"));
        self.goto("/login");
        self.type_into("input[name=username]", username);
        self.type_into("input[name=password]", PASSWORD);
        self.click("button[type=submit]");
        self.wait_for("main[data-role]");
    }

    pub fn sign_out(&self) {
        self.click("form[action=\"/logout\"] [type=submit]");
        self.wait_for("input[name=username]");
    }

    /// `docs/screenshots/<name>.png`.
    pub fn screenshot(&self, name: &str) {
        self.screenshot_to(&screenshot_dir(), name);
    }

    /// `<dir>/<name>.png`.
    pub fn screenshot_to(&self, dir: &Path, name: &str) {
        let png = self.ok(self.b.screenshot_png());
        assert!(png.starts_with(b"\x89PNG"), "{name} is not a PNG");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Scrolls `css` into view (nothing when it is not on the page).
    pub fn scroll_to(&self, css: &str) {
        self.ok(self.b.execute(
            "const el = document.querySelector(arguments[0]); if (el) el.scrollIntoView();",
            vec![Value::String(css.to_owned())],
        ));
    }

    /// The page (`page`, for the message) may not scroll sideways on a phone-width window;
    /// the failure names the elements that stick out.
    pub fn no_horizontal_scroll(&self, page: &str) {
        let v = self.script(
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
        );
        let scroll = v[0].as_i64().unwrap_or(i64::MAX);
        let inner = v[1].as_i64().unwrap_or(0);
        if scroll > inner + 1 {
            self.fail(format!(
                "{page} scrolls sideways on a {}px-wide phone: scrollWidth {scroll} > innerWidth {inner}; too wide: {}",
                PHONE.0, v[2]
            ));
        }
    }

    /// Desktop and phone screenshots; the phone one from `focus` down, after checking the page
    /// does not scroll sideways.
    pub fn shots(&self, name: &str, focus: &str) {
        self.viewport(DESKTOP);
        if self.desktop_from_focus {
            self.scroll_to(focus);
        }
        self.screenshot(&format!("{name}-desktop"));
        self.viewport(PHONE);
        self.no_horizontal_scroll(name);
        self.scroll_to(focus);
        self.screenshot(&format!("{name}-phone"));
        self.viewport(DESKTOP);
        self.script("window.scrollTo(0, 0);");
    }
}

/// `docs/screenshots/`, created if needed.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}
