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
    /// Research requests, reviews, de-identified releases and aggregate queries.
    pub research: research::Research,
    /// Alerts from readings: the doctors' inboxes and the residents' own alerts. The binary
    /// turns its webhook outbox on when a webhook is configured.
    pub alerts: alerts::Alerts,
    /// Residents' China-PAR scores (recomputed by the binary when records change).
    pub risk: risk::Scores,
    /// Wearables and home devices: registration, reading ingest, quarantine, summaries.
    pub devices: devices::Devices,
    /// The internet hospitals' online convenience clinic: pilots, consultations,
    /// prescriptions, pharmacist review, dispensing.
    pub clinic: clinic::Clinic,
    /// The company register: companies, yearly figures, qualifications, product pipelines.
    pub industry: industry::Industry,
    /// Cultivation pools: yearly selection and one plan per company (一企一策).
    pub cultivation: cultivation::Cultivation,
    /// Subsidy programmes and applications, from submission to disbursement (the clauses
    /// themselves are `policy::shipped()`).
    pub awards: awards::Awards,
    /// The innovation product lists and the hospitals' adoption of listed products.
    pub greenchannel: greenchannel::GreenChannel,
    /// The worker judging the devices' feed with [`Services::alerts`] (see
    /// [`Services::start_alerting`]).
    pub alerting: tokio::task::AbortHandle,
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
        f.db.migrate(&[research::migrations()])
            .await
            .map_err(|e| OpenError {
                component: "research",
                message: e.to_string(),
            })?;
        let research = research::Research::new(f.db.clone(), f.ledger.clone(), f.keys.clone())
            .map_err(|e| OpenError {
                component: "research",
                message: e.to_string(),
            })?;
        let alerts = open_alerts(&f).await?;
        let risk = open_risk(&f).await?;
        let devices = open_devices(&f)
            .await?
            .with_feed(crate::readings::feed_filter(alerts.rules()));
        let alerting = crate::readings::spawn_alerting(devices.clone(), alerts.clone());
        let clinic = open_clinic(&f, &alerts).await?;
        let (industry, cultivation, awards, greenchannel) = open_industry(&f).await?;
        Ok(Services {
            devices,
            clinic,
            industry,
            cultivation,
            awards,
            greenchannel,
            alerting,
            research,
            alerts,
            risk,
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

impl Services {
    /// Replaces the alert worker with one judging with the current [`Services::alerts`] (after
    /// the binary turned its webhook outbox on). A judgement the old worker had under way is
    /// rolled back and done again by the new one.
    pub fn start_alerting(&mut self) {
        self.alerting.abort();
        self.alerting = crate::readings::spawn_alerting(self.devices.clone(), self.alerts.clone());
    }
}

/// The alert service over the registry's care teams and registers (its tables migrated here).
async fn open_alerts(f: &Foundation) -> Result<alerts::Alerts, OpenError> {
    let fail = |message: String| OpenError {
        component: "alerts",
        message,
    };
    f.db.migrate(&[alerts::migrations()])
        .await
        .map_err(|e| fail(e.to_string()))?;
    let rules = alerts::RuleBook::builtin().map_err(|e| fail(e.to_string()))?;
    let care = alerts::CareLookup::new(
        f.clinical.residents().clone(),
        f.clinical.registers().clone(),
    );
    Ok(alerts::Alerts::new(
        f.db.clone(),
        f.ledger.clone(),
        care,
        rules,
    ))
}

/// The population risk scores (their tables migrated here).
async fn open_risk(f: &Foundation) -> Result<risk::Scores, OpenError> {
    let fail = |message: String| OpenError {
        component: "risk",
        message,
    };
    f.db.migrate(&[risk::migrations()])
        .await
        .map_err(|e| fail(e.to_string()))?;
    risk::Scores::new(f.db.clone()).map_err(|e| fail(e.to_string()))
}

/// The device service (its tables migrated here).
async fn open_devices(f: &Foundation) -> Result<devices::Devices, OpenError> {
    let fail = |message: String| OpenError {
        component: "devices",
        message,
    };
    f.db.migrate(&[devices::migrations()])
        .await
        .map_err(|e| fail(e.to_string()))?;
    devices::Devices::new(f.db.clone(), f.keys.clone()).map_err(|e| fail(e.to_string()))
}

/// The online clinic (its tables migrated here).
async fn open_clinic(f: &Foundation, alerts: &alerts::Alerts) -> Result<clinic::Clinic, OpenError> {
    f.db.migrate(&[clinic::migrations()])
        .await
        .map_err(|e| OpenError {
            component: "clinic",
            message: e.to_string(),
        })?;
    Ok(clinic::Clinic::new(
        f.db.clone(),
        f.ledger.clone(),
        f.accounts.clone(),
        f.clinical.clone(),
        alerts.clone(),
        f.keys.clone(),
    ))
}

/// The industry side (issue 6): the register, pools, subsidies and the product lists, their
/// tables migrated here.
async fn open_industry(
    f: &Foundation,
) -> Result<
    (
        industry::Industry,
        cultivation::Cultivation,
        awards::Awards,
        greenchannel::GreenChannel,
    ),
    OpenError,
> {
    f.db.migrate(&[
        industry::migrations(),
        cultivation::migrations(),
        awards::migrations(),
        greenchannel::migrations(),
    ])
    .await
    .map_err(|e| OpenError {
        component: "industry",
        message: e.to_string(),
    })?;
    Ok((
        industry::Industry::new(f.db.clone(), f.ledger.clone()),
        cultivation::Cultivation::new(f.db.clone(), f.ledger.clone()),
        awards::Awards::new(f.db.clone(), f.ledger.clone()),
        greenchannel::GreenChannel::new(f.db.clone(), f.ledger.clone(), f.accounts.clone()),
    ))
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
