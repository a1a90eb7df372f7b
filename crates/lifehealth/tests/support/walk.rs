//! A page walk through a real browser for the area browser tests: one step at a time, failing
//! with what the browser shows and what the server printed, signing in and out, and taking
//! desktop and phone screenshots into `docs/screenshots/` after checking the page does not
//! scroll sideways on a phone. Each test adds its own steps in an `impl Walk` of its own.

use std::fmt::Display;
use std::path::PathBuf;
use std::time::Duration;

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

    /// Fails with what the browser shows and what the server printed.
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

    pub fn ok<T>(&self, r: WdResult<T>) -> T {
        r.unwrap_or_else(|e| self.fail(format!("WebDriver: {e}")))
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

    pub fn sign_in(&self, username: &str) {
        self.step(format!("{username} signs in"));
        self.goto("/login");
        for (css, value) in [
            ("input[name=username]", username),
            ("input[name=password]", PASSWORD),
        ] {
            let el = self
                .b
                .find(css)
                .unwrap_or_else(|e| self.fail(format!("no {css}: {e}")));
            self.ok(self.b.type_into(&el, value));
        }
        self.click("button[type=submit]");
        self.wait_for("main[data-role]");
    }

    pub fn sign_out(&self) {
        self.click("form[action=\"/logout\"] [type=submit]");
        self.wait_for("input[name=username]");
    }

    pub fn screenshot(&self, name: &str) {
        let png = self.ok(self.b.screenshot_png());
        assert!(png.starts_with(b"\x89PNG"), "{name} is not a PNG");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Scrolls `css` into view (nothing when it is not on the page).
    pub fn scroll_to(&self, css: &str) {
        self.ok(self.b.execute(
            "const el = document.querySelector(arguments[0]); if (el) el.scrollIntoView();",
            vec![serde_json::Value::String(css.to_owned())],
        ));
    }

    /// Desktop and phone screenshots; the phone one from `focus` down, after checking the page
    /// does not scroll sideways.
    pub fn shots(&self, name: &str, focus: &str) {
        self.ok(self.b.set_viewport_size(DESKTOP.0, DESKTOP.1));
        if self.desktop_from_focus {
            self.scroll_to(focus);
        }
        self.screenshot(&format!("{name}-desktop"));
        self.ok(self.b.set_viewport_size(PHONE.0, PHONE.1));
        let v = self.ok(self.b.execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        ));
        let (scroll, inner) = (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0));
        if scroll > inner + 1 {
            self.fail(format!(
                "{name} scrolls sideways on a phone: {scroll} > {inner}"
            ));
        }
        self.scroll_to(focus);
        self.screenshot(&format!("{name}-phone"));
        self.ok(self.b.set_viewport_size(DESKTOP.0, DESKTOP.1));
        self.ok(self.b.execute("window.scrollTo(0, 0);", vec![]));
    }
}

/// `docs/screenshots/`, created if needed.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}
