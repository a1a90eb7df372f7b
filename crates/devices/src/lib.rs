//! Wearables and home devices (seed nanjing-2022 三(七), issue 4): registration, credentials,
//! reading ingest over HTTP and MQTT, validation against the disease element dictionary,
//! quarantine for the doctor's review, and hourly and daily summaries.
//!
//! ```text
//! register/bind/revoke ─► devices, device_events
//! HTTP batch (Bearer lhd_…) ┐
//! MQTT (HMAC-signed)        ┴► payload::parse ─► reading::check ─► Devices::ingest
//!     one transaction on db.writer(): device_messages (dedup) ─► device_readings
//!     + device_summaries (hour, day) ─► device_quarantine (rejected)
//! ```
//!
//! See `docs/decisions/0010-devices.md` for the storage layout, acknowledgement, the MQTT
//! topic scheme and device authentication, back-pressure and the measured rates.

mod catalogue;
mod credential;
mod error;
mod feed;
mod ingest;
pub mod mqtt;
pub mod payload;
mod quarantine;
mod query;
mod reading;
mod receive;
mod record;
mod register;
mod rejection;
mod sql;
mod summary;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use store::{Db, Migration, MigrationSet};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use vault::Keyring;

pub use catalogue::{
    CatalogueError, DEVICES_FILE, DeviceCatalogue, Kind, Measure, Rules, Series, VALUE_FIELDS,
};
pub use credential::{CREDENTIAL_PREFIX, SIGNATURE_PREFIX, sign, signed_message, split_signed};
pub use error::{AuthError, DevicesError};
pub use feed::{FeedEntry, FeedFilter};
pub use ingest::{
    Accepted, Batch, BatchAnswer, EntryProblem, IngestReport, Outcome, ReadingResult, ResultEntry,
};
pub use payload::{BodyError, Format, Position, RawReading, Shape, ShapeError};
pub use quarantine::{Correction, QuarantineStatus, Quarantined};
pub use query::{StoredReading, Summary};
pub use reading::{BoundDevice, SeriesValue, ValidReading, Verdict, check};
pub use receive::ReceiveError;
pub use record::{ChangedDay, RECORD_SOURCE_TAG, daily_observation};
pub use register::Device;
pub use rejection::Rejection;
pub use summary::Period;

/// The tables of this crate.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[
        Migration::portable(1, "devices", include_str!("../migrations/0001_devices.sql")),
        Migration {
            version: 2,
            name: "readings",
            sqlite: include_str!("../migrations/0002_readings.sqlite.sql"),
            postgres: include_str!("../migrations/0002_readings.postgres.sql"),
        },
        Migration::portable(3, "feed", include_str!("../migrations/0003_feed.sql")),
        Migration::portable(
            4,
            "days_changed",
            include_str!("../migrations/0004_days_changed.sql"),
        ),
        Migration::portable(
            5,
            "summary_retention",
            include_str!("../migrations/0005_summary_retention.sql"),
        ),
    ];
    MigrationSet {
        component: "devices",
        migrations: MIGRATIONS,
    }
}

/// The device service. Cheap to clone.
#[derive(Clone)]
pub struct Devices {
    db: Db,
    keys: Arc<Keyring>,
    catalogue: &'static DeviceCatalogue,
    statements: Arc<sql::Statements>,
    /// Readings admitted and not yet answered, across all senders (back-pressure).
    in_flight: Arc<Semaphore>,
    /// Which accepted readings also go to the feed (none unless [`Devices::with_feed`]).
    feed: Option<FeedFilter>,
    /// Raised after each commit that added a feed entry (see [`Devices::feed_added`]).
    feed_signal: Arc<tokio::sync::Notify>,
}

/// Readings admitted to the ingest; dropping it lets others in.
#[derive(Debug)]
pub struct Admission(#[allow(dead_code)] OwnedSemaphorePermit);

impl Devices {
    /// The service over `db` (migrated with [`migrations`]), with the built-in catalogue.
    pub fn new(db: Db, keys: Arc<Keyring>) -> Result<Devices, DevicesError> {
        let catalogue = DeviceCatalogue::builtin()?;
        let statements = Arc::new(sql::Statements::for_backend(db.backend()));
        let in_flight = Arc::new(Semaphore::new(catalogue.rules.max_in_flight_readings.value));
        Ok(Devices {
            db,
            keys,
            catalogue,
            statements,
            in_flight,
            feed: None,
            feed_signal: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Kinds, measures and rules.
    pub fn catalogue(&self) -> &'static DeviceCatalogue {
        self.catalogue
    }

    /// The parser's limits from the data file.
    pub fn limits(&self) -> payload::Limits {
        let rules = &self.catalogue.rules;
        payload::Limits {
            max_readings: rules.max_batch_readings.value,
            max_message_id_chars: rules.max_message_id_chars.value,
        }
    }

    /// Admits `readings` readings now, or says how long to wait ([`DevicesError::Busy`]) when
    /// the platform already holds as many as the data file allows. For HTTP, which answers 503.
    pub fn try_admit(&self, readings: usize) -> Result<Admission, DevicesError> {
        let n = u32::try_from(readings.max(1)).unwrap_or(u32::MAX);
        self.in_flight
            .clone()
            .try_acquire_many_owned(n)
            .map(Admission)
            .map_err(|_| self.busy())
    }

    /// Admits `readings` readings, waiting while the platform is full. For MQTT, which stops
    /// reading from the broker meanwhile.
    pub async fn admit(&self, readings: usize) -> Result<Admission, DevicesError> {
        let max = self.catalogue.rules.max_in_flight_readings.value;
        let n = u32::try_from(readings.clamp(1, max)).unwrap_or(u32::MAX);
        self.in_flight
            .clone()
            .acquire_many_owned(n)
            .await
            .map(Admission)
            .map_err(|_| self.busy())
    }

    fn busy(&self) -> DevicesError {
        DevicesError::Busy {
            retry_after_seconds: self.catalogue.rules.retry_after_seconds.value,
        }
    }
}

fn now() -> kernel::UtcMillis {
    kernel::UtcMillis::now()
}
