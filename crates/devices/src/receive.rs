//! A batch as a device posts it: credential, declared format and bytes in, per-reading results
//! out. The HTTP endpoint (`crates/web/src/api/devices.rs`) is this plus status codes.

use crate::Devices;
use crate::error::{AuthError, DevicesError};
use crate::ingest::{Batch, IngestReport};
use crate::payload::{self, BodyError, Format};

/// Why a whole batch was refused; nothing of it was stored.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The credential is missing, unknown, revoked or unbound (401/403).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The body's type is neither JSON nor NDJSON (415).
    #[error(
        "content type `{given}` is not accepted; send application/json (an array) or application/x-ndjson"
    )]
    UnsupportedType {
        /// The type given.
        given: String,
    },
    /// The body is not a batch (400), or too big (413).
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The platform holds as many readings as it admits (503 with Retry-After), or the
    /// database failed (500).
    #[error(transparent)]
    Devices(#[from] DevicesError),
}

impl Devices {
    /// Authenticates `credential` (the bearer token), parses `body` as `content_type` says,
    /// admits its readings (or refuses with [`DevicesError::Busy`]) and ingests them. The
    /// report is returned only once the batch's transaction has committed.
    pub async fn receive(
        &self,
        credential: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<IngestReport, ReceiveError> {
        let device = self.authenticate(credential.unwrap_or_default()).await?;
        let given = content_type.unwrap_or("application/json");
        let format =
            Format::from_content_type(given).ok_or_else(|| ReceiveError::UnsupportedType {
                given: given.chars().take(100).collect(),
            })?;
        let items = payload::parse(body, format, self.limits())?;
        let admission = self.try_admit(items.len())?;
        let report = self.ingest(Batch { device, items }).await?;
        drop(admission);
        Ok(report)
    }
}

impl Devices {
    /// Readings admitted and not yet answered, across all senders: never more than
    /// [`Devices::max_readings_held`]. For metrics and the back-pressure test.
    pub fn readings_held(&self) -> usize {
        self.max_readings_held() - self.in_flight.available_permits()
    }

    /// The most readings the platform admits at once (`max_in_flight_readings`, data file).
    pub fn max_readings_held(&self) -> usize {
        self.catalogue.rules.max_in_flight_readings.value
    }
}
