//! A real Mosquitto for integration tests (the `testing` feature): the devices crate's own
//! tests and the platform's crash test start one each, on a free port.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::mqtt::MqttSettings;

/// Messages the broker queues per client before it drops QoS 1 messages (Mosquitto's
/// default is 1,000): enough for a benchmark's whole run to wait for a subscriber.
const MAX_QUEUED_MESSAGES: u32 = 1_000_000;

/// A Mosquitto of the test's own on a free port, killed when dropped. Its per-client queue is
/// raised from the default 1,000 messages (see [`MAX_QUEUED_MESSAGES`]), past which Mosquitto drops QoS 1 messages for a
/// subscriber that is behind (or down): the setting ADR 0010 asks of production brokers.
pub struct Broker {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Broker {
    /// Starts `mosquitto` from the PATH (`scripts/install-deps.sh` installs it) and waits
    /// until it listens; panics, failing the test, when it cannot.
    pub fn start() -> Broker {
        Broker::try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Broker::start`], for a benchmark that reports rather than panics.
    pub fn try_start() -> Result<Broker, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| format!("no free port for mosquitto: {e}"))?;
        let dir = tempfile::tempdir()
            .map_err(|e| format!("cannot create a directory for mosquitto: {e}"))?;
        let config = dir.path().join("mosquitto.conf");
        std::fs::write(
            &config,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 max_queued_messages {MAX_QUEUED_MESSAGES}\n"
            ),
        )
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start mosquitto (scripts/install-deps.sh installs it): {e}")
            })?;
        let broker = Broker {
            port,
            child,
            _dir: dir,
        };
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(broker);
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Err(format!("mosquitto did not open port {port}"))
    }

    /// `mqtt://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Subscriber settings for this broker.
    pub fn settings(&self, client_id: &str, persistent: bool) -> MqttSettings {
        let mut settings = MqttSettings::from_url(&self.url(), client_id)
            .unwrap_or_else(|e| panic!("the broker's own URL is valid: {e}"));
        settings.persistent_session = persistent;
        settings
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
