//! The real `lifehealth demo` binary as a child process on a free port, killed on drop.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::webdriver::free_port;

pub const DEFAULT_TEST_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Where the demo city is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The default: a SQLite file in the data folder.
    Sqlite,
    /// A fresh schema on the server at `LIFEHEALTH_TEST_POSTGRES_URL`.
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

pub fn postgres_url() -> String {
    std::env::var("LIFEHEALTH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_TEST_POSTGRES_URL.to_owned())
}

/// A test PostgreSQL schema, dropped on drop. Named like the `store::testing` schemas
/// (`t_<unix seconds>_...`) so a run killed before dropping it is cleaned up by later runs.
struct Schema {
    admin_url: String,
    name: String,
}

impl Schema {
    fn create() -> Schema {
        let admin_url = postgres_url();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let name = format!("t_{now}_{}_browser", std::process::id());
        if let Err(e) = psql(&admin_url, &format!("CREATE SCHEMA {name}")) {
            panic!(
                "cannot create the test schema {name} on PostgreSQL at {admin_url}: {e}\n\
                 Run scripts/install-deps.sh (it starts PostgreSQL with trust auth for user postgres \
                 on 127.0.0.1) or set LIFEHEALTH_TEST_POSTGRES_URL."
            );
        }
        Schema { admin_url, name }
    }

    /// The URL whose connections use this schema.
    fn url(&self) -> String {
        let sep = if self.admin_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{sep}options=-c%20search_path%3D{}",
            self.admin_url, self.name
        )
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = psql(
            &self.admin_url,
            &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) -> Result<(), String> {
    let out = Command::new("psql")
        .args([
            "-w",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run psql ({e}); is the postgresql client installed?"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// Residents in the browser tests' demo city: a fifth of the real demo's, enough for every
/// page the tests visit, and quicker to generate while Chromium waits.
pub const DEMO_RESIDENTS: usize = 120;

/// `lifehealth demo` serving a fresh demo city.
pub struct Server {
    /// `None` between [`Server::generate`] and [`Server::restart`].
    child: Option<Child>,
    pub backend: Backend,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    log: Arc<Mutex<Vec<String>>>,
    agent: ureq::Agent,
    // Dropped after the child is killed (fields drop in order, after `Drop::drop`).
    launch: Launch,
}

/// How the binary is started, again after a crash.
struct Launch {
    port: u16,
    residents: usize,
    extra: Vec<String>,
    schema: Option<Schema>,
    data: tempfile::TempDir,
}

impl Launch {
    /// `lifehealth <args> --data <data> [--database-url <schema>]`, with only the settings the
    /// test chooses: none from the developer's shell or a stray lifehealth.toml (it runs in
    /// the data folder).
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lifehealth"));
        command.args(args).arg("--data").arg(self.data.path());
        if let Some(schema) = &self.schema {
            command.arg("--database-url").arg(schema.url());
        }
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("LIFEHEALTH_") {
                command.env_remove(key);
            }
        }
        command
            .current_dir(self.data.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        command
    }

    fn spawn(&self, log: &Arc<Mutex<Vec<String>>>) -> Child {
        let mut child = self
            .command(&["demo"])
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--residents")
            .arg(self.residents.to_string())
            .args(&self.extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", env!("CARGO_BIN_EXE_lifehealth")));
        if let Some(out) = child.stdout.take() {
            drain(out, log.clone());
        }
        if let Some(err) = child.stderr.take() {
            drain(err, log.clone());
        }
        child
    }
}

impl Server {
    /// Starts the binary on a demo city of [`DEMO_RESIDENTS`]; call [`Server::wait_ready`]
    /// before using it.
    pub fn start(backend: Backend) -> Server {
        Server::start_with(backend, DEMO_RESIDENTS, &[])
    }

    /// Starts the binary on a demo city of `residents`, with `extra` arguments to `demo`.
    pub fn start_with(backend: Backend, residents: usize, extra: &[&str]) -> Server {
        let mut server = Server::stopped(backend, residents, extra);
        server.restart();
        server
    }

    /// Creates the demo city of `residents` without serving it (`demo --no-serve`), for a
    /// test that adds to its data first; [`Server::restart`] then serves it, with `extra`
    /// arguments to `demo`.
    pub fn generate(backend: Backend, residents: usize, extra: &[&str]) -> Server {
        let server = Server::stopped(backend, residents, extra);
        let out = server
            .launch
            .command(&["demo"])
            .arg("--no-serve")
            .arg("--residents")
            .arg(residents.to_string())
            .output()
            .unwrap_or_else(|e| panic!("cannot run lifehealth demo --no-serve: {e}"));
        assert!(
            out.status.success(),
            "lifehealth demo --no-serve failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        server
    }

    fn stopped(backend: Backend, residents: usize, extra: &[&str]) -> Server {
        let data = tempfile::Builder::new()
            .prefix("lifehealth-browser-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let launch = Launch {
            port: free_port(),
            residents,
            extra: extra.iter().map(|a| (*a).to_owned()).collect(),
            schema: (backend == Backend::Postgres).then(Schema::create),
            data,
        };
        Server {
            child: None,
            backend,
            base: format!("http://127.0.0.1:{}", launch.port),
            log: Arc::new(Mutex::new(Vec::new())),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout_read(Duration::from_secs(60))
                .redirects(0)
                .build(),
            launch,
        }
    }

    /// Kills the binary with SIGKILL, as a crash or `kill -9` would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            if let Ok(mut log) = self.log.lock() {
                log.push("--- killed with SIGKILL ---".to_owned());
            }
        }
    }

    /// Starts the binary (again) on the same data, port and arguments, after
    /// [`Server::generate`] or [`Server::kill`]; call [`Server::wait_ready`] before using it.
    pub fn restart(&mut self) {
        self.kill();
        self.child = Some(self.launch.spawn(&self.log));
    }

    /// Runs another `lifehealth` command on the server's data (e.g. `token create`).
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.launch
            .command(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", env!("CARGO_BIN_EXE_lifehealth")))
    }

    /// Waits until the binary has printed its address and `/readyz` answers 200.
    pub fn wait_ready(&mut self, timeout: Duration) {
        let started = Instant::now();
        let mut announced = false;
        loop {
            let child = self
                .child
                .as_mut()
                .unwrap_or_else(|| panic!("the server was not started"));
            if let Ok(Some(status)) = child.try_wait() {
                // Give the reader threads a moment to collect the last lines.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "lifehealth demo ({}) exited with {status} before it was ready. Its output:\n{}",
                    self.backend.name(),
                    self.log_tail(60)
                );
            }
            announced = announced || self.log_lines().iter().any(|l| l.contains(&self.base));
            if announced
                && self
                    .get("/readyz", None)
                    .is_ok_and(|(status, _)| status == 200)
            {
                return;
            }
            if started.elapsed() > timeout {
                panic!(
                    "lifehealth demo ({}) was not ready within {} s ({}; /readyz: {:?}). Its output:\n{}",
                    self.backend.name(),
                    timeout.as_secs(),
                    if announced {
                        format!("it printed {}", self.base)
                    } else {
                        format!("it never printed a line containing {}", self.base)
                    },
                    self.get("/readyz", None)
                        .map(|(s, b)| format!("{s} {}", b.chars().take(200).collect::<String>())),
                    self.log_tail(60)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// GET `path` without following redirects: (status, body).
    pub fn get(&self, path: &str, cookie: Option<&str>) -> Result<(u16, String), String> {
        let mut request = self.agent.get(&format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.set("Cookie", cookie);
        }
        let response = match request.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(e.to_string()),
        };
        let status = response.status();
        let body = response.into_string().map_err(|e| e.to_string())?;
        Ok((status, body))
    }

    /// A request with a bearer credential (a user's token or a device's): (status, body).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        bearer: &str,
        body: Option<(&str, &str)>,
    ) -> Result<(u16, String), String> {
        let request = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {bearer}"));
        let sent = match body {
            Some((content_type, body)) => {
                request.set("Content-Type", content_type).send_string(body)
            }
            None => request.call(),
        };
        let response = match sent {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(e.to_string()),
        };
        let status = response.status();
        let body = response.into_string().map_err(|e| e.to_string())?;
        Ok((status, body))
    }

    /// The database the binary uses, for a test to check what it stored.
    pub fn database_url(&self) -> String {
        match &self.launch.schema {
            Some(schema) => schema.url(),
            None => format!(
                "sqlite://{}",
                self.launch.data.path().join("lifehealth.db").display()
            ),
        }
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The last `n` lines the binary printed (stdout and stderr).
    pub fn log_tail(&self, n: usize) -> String {
        let lines = self.log_lines();
        let from = lines.len().saturating_sub(n);
        lines[from..].join("\n")
    }

    pub fn data_dir(&self) -> &Path {
        self.launch.data.path()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Collects a child's output lines in the background (a full pipe would block the child).
fn drain(stream: impl Read + Send + 'static, log: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line).trim_end().to_owned();
            if let Ok(mut log) = log.lock() {
                log.push(line);
            }
        }
    });
}
