//! A minimal W3C WebDriver client over `ureq`, driving headless Chromium through chromedriver.
//!
//! Only what the browser tests use: sessions, navigation, CSS lookup, typing, clicking, page
//! source, scripts, cookies, screenshots and window sizes.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener =
        TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("no local address: {e}"))
        .port()
}

/// Fails (never skips) when the browser is not installed.
pub fn require_browser() {
    for path in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: the browser tests need Chromium and chromedriver. \
             Run scripts/install-deps.sh (it installs chromium, chromium-driver and fonts-noto-cjk)."
        );
    }
}

/// An error answered by the WebDriver server, or a transport failure.
#[derive(Debug)]
pub struct WdError(pub String);

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub type WdResult<T> = Result<T, WdError>;

/// chromedriver running as a child process, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session; deleting it closes Chromium, then chromedriver is killed.
pub struct Browser {
    agent: ureq::Agent,
    session: String,
    driver: Driver,
}

/// An element found on the current page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub fn start() -> Browser {
        require_browser();
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {CHROMEDRIVER}: {e} (run scripts/install-deps.sh)")
            });
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout_read(Duration::from_secs(90))
            .redirects(0)
            .build();

        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = agent
                .get(&format!("{}/status", driver.url))
                .call()
                .ok()
                .and_then(|r| r.into_json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == json!(true));
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }

        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--window-size=1280,900",
                        ],
                    },
                },
            },
        });
        let reply = send(
            &agent,
            "POST",
            &format!("{}/session", driver.url),
            Some(capabilities),
        )
        .unwrap_or_else(|e| panic!("cannot open a Chromium session: {e}"));
        let session = reply["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {reply}"))
            .to_owned();
        Browser {
            agent,
            session,
            driver,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.driver.url, self.session)
    }

    fn post(&self, path: &str, body: Value) -> WdResult<Value> {
        send(&self.agent, "POST", &self.url(path), Some(body))
    }

    fn get(&self, path: &str) -> WdResult<Value> {
        send(&self.agent, "GET", &self.url(path), None)
    }

    /// Loads `url` and waits for the page to load.
    pub fn goto(&self, url: &str) -> WdResult<()> {
        self.post("/url", json!({ "url": url })).map(drop)
    }

    pub fn current_url(&self) -> WdResult<String> {
        string(self.get("/url")?)
    }

    pub fn title(&self) -> WdResult<String> {
        string(self.get("/title")?)
    }

    pub fn source(&self) -> WdResult<String> {
        string(self.get("/source")?)
    }

    /// The first element matching `css`; an error when there is none.
    pub fn find(&self, css: &str) -> WdResult<Element> {
        let v = self.post("/element", json!({ "using": "css selector", "value": css }))?;
        element(&v).ok_or_else(|| WdError(format!("no element reference for {css}: {v}")))
    }

    /// Every element matching `css` (possibly none).
    pub fn find_all(&self, css: &str) -> WdResult<Vec<Element>> {
        let v = self.post(
            "/elements",
            json!({ "using": "css selector", "value": css }),
        )?;
        Ok(v.as_array()
            .map(|a| a.iter().filter_map(element).collect())
            .unwrap_or_default())
    }

    pub fn exists(&self, css: &str) -> WdResult<bool> {
        Ok(!self.find_all(css)?.is_empty())
    }

    /// Clears the field and types `text` into it.
    pub fn type_into(&self, el: &Element, text: &str) -> WdResult<()> {
        self.post(&format!("/element/{}/clear", el.0), json!({}))?;
        self.post(&format!("/element/{}/value", el.0), json!({ "text": text }))
            .map(drop)
    }

    pub fn click(&self, el: &Element) -> WdResult<()> {
        self.post(&format!("/element/{}/click", el.0), json!({}))
            .map(drop)
    }

    pub fn text(&self, el: &Element) -> WdResult<String> {
        string(self.get(&format!("/element/{}/text", el.0))?)
    }

    /// An attribute of the element; `None` when it has none.
    pub fn attribute(&self, el: &Element, name: &str) -> WdResult<Option<String>> {
        let v = self.get(&format!("/element/{}/attribute/{name}", el.0))?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns what it returns.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> WdResult<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// The visible part of the page as PNG bytes.
    pub fn screenshot_png(&self) -> WdResult<Vec<u8>> {
        let b64 = string(self.get("/screenshot")?)?;
        base64_decode(&b64).ok_or_else(|| WdError("the screenshot is not valid base64".into()))
    }

    /// Sets the outer window size.
    pub fn set_window_size(&self, width: u32, height: u32) -> WdResult<()> {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .map(drop)
    }

    /// Sets the window so the page's viewport (`innerWidth` x `innerHeight`) is this size:
    /// the window includes some browser frame even when headless.
    pub fn set_viewport_size(&self, width: u32, height: u32) -> WdResult<()> {
        self.set_window_size(width, height)?;
        let inner = self.execute("return [window.innerWidth, window.innerHeight];", vec![])?;
        let (iw, ih) = (
            inner[0].as_i64().unwrap_or(0),
            inner[1].as_i64().unwrap_or(0),
        );
        let (w, h) = (i64::from(width), i64::from(height));
        if (iw, ih) != (w, h) && iw > 0 && ih > 0 {
            let nw = u32::try_from(2 * w - iw).unwrap_or(width);
            let nh = u32::try_from(2 * h - ih).unwrap_or(height);
            self.set_window_size(nw, nh)?;
        }
        Ok(())
    }

    /// Every cookie the browser holds for the current page: (name, value).
    pub fn cookies(&self) -> WdResult<Vec<(String, String)>> {
        let v = self.get("/cookie")?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| {
                        Some((
                            c["name"].as_str()?.to_owned(),
                            c["value"].as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    pub fn delete_all_cookies(&self) -> WdResult<()> {
        send(&self.agent, "DELETE", &self.url("/cookie"), None).map(drop)
    }

    /// Polls `check` until it returns `Ok(true)` or `timeout` passes; returns the last answer.
    pub fn wait_for(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Browser) -> WdResult<bool>,
    ) -> WdResult<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            if check(self)? {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closes Chromium; chromedriver itself is killed when `driver` drops.
        let _ = send(
            &self.agent,
            "DELETE",
            &format!("{}/session/{}", self.driver.url, self.session),
            None,
        );
    }
}

fn element(v: &Value) -> Option<Element> {
    v.get(ELEMENT_KEY)
        .and_then(Value::as_str)
        .map(|s| Element(s.to_owned()))
}

fn string(v: Value) -> WdResult<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| WdError(format!("expected a string, got {v}")))
}

/// One WebDriver command; returns the `value` of the answer.
fn send(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> WdResult<Value> {
    let request = agent.request(method, url);
    let answer = match body {
        Some(body) => request.send_json(body),
        None => request.call(),
    };
    match answer {
        Ok(response) => {
            let v: Value = response
                .into_json()
                .map_err(|e| WdError(format!("{method} {url}: unreadable answer: {e}")))?;
            Ok(v.get("value").cloned().unwrap_or(Value::Null))
        }
        Err(ureq::Error::Status(code, response)) => {
            let v: Value = response.into_json().unwrap_or(Value::Null);
            let error = v["value"]["error"].as_str().unwrap_or("unknown error");
            let message = v["value"]["message"].as_str().unwrap_or("");
            let message = message.lines().next().unwrap_or("");
            Err(WdError(format!(
                "{method} {url}: HTTP {code} {error}: {message}"
            )))
        }
        Err(e) => Err(WdError(format!("{method} {url}: {e}"))),
    }
}

/// Standard base64 (with or without padding); `None` on any other character.
pub fn base64_decode(input: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(u32::from(v))
    }
    let clean: Vec<u8> = input.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let data = clean
        .strip_suffix(b"==")
        .or_else(|| clean.strip_suffix(b"="))
        .unwrap_or(&clean);
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        match chunk.len() {
            4 => out.extend_from_slice(&bytes[1..4]),
            3 => out.extend_from_slice(&bytes[1..3]),
            2 => out.push(bytes[1]),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn base64_round_trips_known_values() {
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode("Zg==").as_deref(), Some(&b"f"[..]));
        assert_eq!(base64_decode("Zm8=").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64_decode("Zm9v").as_deref(), Some(&b"foo"[..]));
        assert_eq!(base64_decode("Zm9vYmFy").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(
            base64_decode("iVBORw0KGgo=").as_deref(),
            Some(&b"\x89PNG\r\n\x1a\n"[..])
        );
        assert_eq!(base64_decode("Zm9v!"), None);
    }
}
