//! The platform's router on a test database with the demo city, and a browser-like client.

#![allow(dead_code)] // each test file uses its own part

use std::sync::Arc;
use std::time::Duration;

use access::{Accounts, LoginThrottle, SecurityPolicy};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clinical::Clinical;
use http_body_util::BodyExt;
use ledger::Ledger;
use tower::ServiceExt;
use vault::Keyring;
use web::{AppState, DemoInfo, Foundation, Services, WebSettings};

/// Residents in the tests' demo city: a fifth of the real demo's, enough for every page and
/// rule the tests check (k-anonymous research releases, high-risk lists, full work lists), and
/// five times quicker to generate on both backends.
pub const DEMO_RESIDENTS: usize = 120;

pub struct App {
    pub router: axum::Router,
    /// The services' alert worker (a test aborts it to play a crash).
    pub alerting: tokio::task::AbortHandle,
    pub accounts: Accounts,
    pub ledger: Ledger,
    pub clinical: Clinical,
    pub clinic: clinic::Clinic,
    /// Every service, for tests that set up their data through them (the industry areas).
    #[allow(dead_code)] // not every test binary uses it
    pub state: AppState,
}

/// The demo's residents and their records ([`DEMO_RESIDENTS`] of them, as of today).
pub async fn add_demo_records(app: &App, residents: usize) {
    demo::generate_records(
        &app.accounts,
        &app.clinical,
        clinical::today(),
        residents,
        &mut |_, _| {},
    )
    .await
    .expect("demo records");
}

/// The demo resident: their user id and their master-index id.
pub async fn demo_resident(app: &App) -> (String, String) {
    let user = app
        .accounts
        .user_id_by_username("resident")
        .await
        .expect("accounts")
        .expect("the demo resident's account");
    let resident = app
        .clinical
        .residents()
        .residents_of_user(&user)
        .await
        .expect("master index")
        .into_iter()
        .next()
        .expect("the demo resident's record");
    (user, resident)
}

pub async fn app(db: &store::Db) -> App {
    db.migrate(&[
        access::migrations(),
        ledger::migrations(),
        records::migrations(),
        registry::migrations(),
    ])
    .await
    .expect("migrate");
    let keys = Arc::new(Keyring::for_tests());
    let accounts = Accounts::new(db.clone(), keys.clone(), SecurityPolicy::default());
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .expect("ledger");
    demo::generate(&accounts, &ledger, &mut |_, _| {})
        .await
        .expect("demo city");
    let clinical = Clinical::open(db.clone(), keys.clone(), ledger.clone())
        .await
        .expect("clinical records");
    let state = AppState(Arc::new(
        Services::open(Foundation {
            db: db.clone(),
            keys: keys.clone(),
            accounts: accounts.clone(),
            ledger: ledger.clone(),
            clinical: clinical.clone(),
            throttle: LoginThrottle::new(1000, Duration::from_secs(60)),
            settings: WebSettings {
                secure_cookies: false,
                demo: Some(DemoInfo {
                    password: demo::DEMO_PASSWORD.into(),
                    usernames: vec![("admin".into(), "platform_admin".into())],
                }),
            },
        })
        .await
        .expect("services"),
    ));
    App {
        alerting: state.alerting.clone(),
        clinic: state.clinic.clone(),
        router: web::router(state.clone()),
        state,
        accounts,
        ledger,
        clinical,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.strip_prefix(&format!("{name}="))
                    .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
            })
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The value of the first hidden `_csrf` field in the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .map(|i| i + marker.len())
            .expect("a CSRF field");
        self.body[start..]
            .split('"')
            .next()
            .unwrap_or("")
            .to_owned()
    }
}

/// A browser-like client: keeps cookies between requests.
pub struct Client<'a> {
    app: &'a App,
    pub cookies: Vec<(String, String)>,
}

impl<'a> Client<'a> {
    pub fn new(app: &'a App) -> Self {
        Self {
            app,
            cookies: Vec::new(),
        }
    }

    pub async fn send(&mut self, request: Request<Body>) -> Reply {
        let mut request = request;
        if !self.cookies.is_empty() {
            let header_value = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers_mut()
                .insert(header::COOKIE, header_value.parse().expect("cookie header"));
        }
        let response = self
            .app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let reply = Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        for name in ["lh_visitor", "lh_session", "lh_lang"] {
            if let Some(value) = reply.cookie(name) {
                self.cookies.retain(|(k, _)| k != name);
                if !value.is_empty() {
                    self.cookies.push((name.to_owned(), value));
                }
            }
        }
        reply
    }

    pub async fn get(&mut self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    pub async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Reply {
        let page = self.get("/login").await;
        let csrf = page.csrf();
        self.post_form(
            "/login",
            &[
                ("_csrf", &csrf),
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn api(app: &App, uri: &str, token: Option<&str>) -> Reply {
    let mut client = Client::new(app);
    let mut request = Request::get(uri);
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    client
        .send(request.body(Body::empty()).expect("request"))
        .await
}

/// A bearer token for a demo user, as a machine client would hold one.
pub async fn token(app: &App, username: &str) -> String {
    let id = app
        .accounts
        .user_id_by_username(username)
        .await
        .expect("user lookup")
        .expect("a demo user");
    app.accounts
        .create_token(&id, "test", 1)
        .await
        .expect("token")
        .0
}

/// A JSON call to `/api/v1{uri}` with a bearer token.
pub async fn call(
    app: &App,
    token: &str,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> Reply {
    call_with(app, token, method, uri, body, &[]).await
}

/// [`call`] with extra request headers.
pub async fn call_with(
    app: &App,
    token: &str,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/api/v1{uri}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let body = body
        .map(|b| Body::from(b.to_string()))
        .unwrap_or_else(Body::empty);
    Client::new(app)
        .send(request.body(body).expect("request"))
        .await
}
