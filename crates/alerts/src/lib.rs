//! Alerts from readings: danger-sign and trend rules, episodes, the family doctor's inbox,
//! acknowledgement, escalation and webhook delivery (issue 4, "Alerts"; ADR 0013).
//!
//! ```text
//! readings committed ──► Alerts::on_readings(&[ReadingFact])
//!     in memory: group facts into readings; every template's own danger-sign code
//!     database (one transaction, only if needed): daily aggregates of trend elements;
//!       trend windows of residents on the register; raise or attach episodes; events and
//!       webhook outbox; then the ledger
//! binary, every few seconds ──► run_periodic(webhook): escalate_due, close_quiet, deliver_due
//! web ──► inbox(staff, filter), count, history, acknowledge, resolve, alerts_of_resident
//! ```
//!
//! Thresholds live in the disease templates (`crates/diseases/templates`); trend windows,
//! severities, escalation times, quiet periods and delivery figures in `rules/*.toml`, each
//! with its source.

mod care;
mod daily;
mod episode;
mod error;
mod escalation;
mod fact;
mod inbox;
mod intake;
mod model;
mod policy;
mod rules;
mod service;
mod trend;
mod webhook;
mod worker;

pub use care::{CareLookup, ResidentCare};
pub use error::{AlertError, Result, RuleError, WebhookError};
pub use fact::{FactProblem, Ignored, ReadingFact};
pub use inbox::may_act;
pub use model::{
    Alert, AlertEvent, Escalated, EventKind, InboxFilter, Kind, Level, Outcome, Raised,
    ResidentAlert, Staff, State, StateFilter,
};
pub use policy::{Delivery, POLICY_FILE, Policy, SeriesAlias, Severity};
pub use rules::RuleBook;
pub use service::Alerts;
pub use trend::{Direction, MissedDay, TRENDS_FILE, TrendRule, Trends, age_on};
pub use webhook::{
    Attempt, DeliveryReport, Due, EVENT_ID_HEADER, Outbox, SIGNATURE_HEADER, Webhook, sign, verify,
};
pub use worker::Tick;

use store::{Migration, MigrationSet};

/// The tables of this crate. The registry's tables must exist too (care teams, registers and
/// consent are read from them).
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[
        Migration::portable(1, "alerts", include_str!("../migrations/0001_alerts.sql")),
        Migration::portable(2, "intake", include_str!("../migrations/0002_intake.sql")),
        Migration::portable(
            3,
            "daily_retention",
            include_str!("../migrations/0003_daily_retention.sql"),
        ),
    ];
    MigrationSet {
        component: "alerts",
        migrations: MIGRATIONS,
    }
}
