//! What every handler can reach: the services of the platform and its settings.

use std::ops::Deref;
use std::sync::Arc;

use access::{Accounts, LoginThrottle};
use clinical::Clinical;
use ledger::Ledger;
use store::Db;

use crate::metrics::Metrics;

/// Settings of the web layer.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// Mark cookies `Secure` (behind HTTPS). Off for plain-HTTP local use and tests.
    pub secure_cookies: bool,
    /// Show the demo banner and, on the sign-in page, the demo accounts.
    pub demo: Option<DemoInfo>,
}

/// The demo accounts shown on the sign-in page of a demo instance.
#[derive(Debug, Clone, Default)]
pub struct DemoInfo {
    pub password: String,
    pub usernames: Vec<(String, String)>,
}

/// The services behind every request.
pub struct Services {
    pub db: Db,
    pub accounts: Accounts,
    pub ledger: Ledger,
    /// Residents' health records (FHIR store, master index, disease registers).
    pub clinical: Clinical,
    pub throttle: LoginThrottle,
    pub metrics: Metrics,
    pub settings: WebSettings,
}

/// What [`Services::open`] builds on: the parts the binary (and the tests) already opened.
pub struct Foundation {
    pub db: Db,
    pub keys: Arc<vault::Keyring>,
    pub accounts: Accounts,
    pub ledger: Ledger,
    pub clinical: Clinical,
    pub throttle: LoginThrottle,
    pub settings: WebSettings,
}

/// Why the services could not be opened (a packaged data file that does not load, a
/// database that cannot be read).
#[derive(Debug, thiserror::Error)]
#[error("{component}: {message}")]
pub struct OpenError {
    pub component: &'static str,
    pub message: String,
}

impl Services {
    /// Every service of the platform over one database. The binary and the tests both build
    /// their state here, so a new service is added in one place.
    pub async fn open(f: Foundation) -> Result<Services, OpenError> {
        Ok(Services {
            db: f.db,
            accounts: f.accounts,
            ledger: f.ledger,
            clinical: f.clinical,
            throttle: f.throttle,
            metrics: Metrics::default(),
            settings: f.settings,
        })
    }
}

/// Cheap-to-clone handle on [`Services`], the router's state.
#[derive(Clone)]
pub struct AppState(pub Arc<Services>);

impl Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}
