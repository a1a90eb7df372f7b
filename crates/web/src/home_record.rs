//! Home-device readings into the resident's record. The ingest marks each resident's series
//! and day whose readings changed (`devices::record`); a worker writes each such day's summary
//! as one Observation through the record service (validated, indexed, on the ledger, shown on
//! the timeline and served over FHIR like any record) and clears the day. It looks every
//! minute and at start, so a crash leaves days marked, never lost.

use std::time::Duration;

use clinical::{Actor, Clinical};
use devices::{ChangedDay, Devices, daily_observation};
use tokio::task::AbortHandle;

/// Days recorded per look.
const DAYS_PER_PASS: usize = 500;

/// How often the worker looks for changed days.
const LOOK_EVERY: Duration = Duration::from_secs(60);

/// Who writes the summaries when the resident has no community centre on record.
const PLATFORM: &str = "platform";

/// Why a pass stopped (the days stay marked for the next one).
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("devices: {0}")]
    Devices(#[from] devices::DevicesError),
    #[error("record service: {0}")]
    Clinical(#[from] clinical::ClinicalError),
    #[error("master index: {0}")]
    Registry(#[from] registry::RegistryError),
}

/// Starts the worker.
pub fn spawn_recording(devices: Devices, clinical: Clinical) -> AbortHandle {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(LOOK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match record_changed_days(&devices, &clinical).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(days = n, "home-device days recorded"),
                Err(e) => tracing::warn!(error = %e, "home-device days not recorded; trying again"),
            }
        }
    })
    .abort_handle()
}

/// Records every day marked as changed; returns how many Observations were written.
pub async fn record_changed_days(
    devices: &Devices,
    clinical: &Clinical,
) -> Result<usize, RecordError> {
    let mut written = 0;
    loop {
        let days = devices.changed_days(DAYS_PER_PASS).await?;
        if days.is_empty() {
            return Ok(written);
        }
        for day in &days {
            match record_day(devices, clinical, day).await {
                Ok(true) => written += 1,
                Ok(false) => {}
                // The record service refused this day's summary (4xx): it would refuse it
                // again, so it is cleared, not left to block the days behind it.
                Err(RecordError::Clinical(e)) if e.status() < 500 => {
                    tracing::error!(
                        error = %e,
                        resident = %day.resident_id,
                        series = %day.series,
                        "a home-device day was refused by the record service"
                    );
                }
                Err(e) => return Err(e),
            }
            devices.day_recorded(day).await?;
        }
    }
}

/// Writes one day's Observation; false when there is nothing to record (a series the record
/// does not take, a resident without a Patient resource, a day without figures).
async fn record_day(
    devices: &Devices,
    clinical: &Clinical,
    day: &ChangedDay,
) -> Result<bool, RecordError> {
    let Some(series) = devices.series(&day.series) else {
        return Ok(false);
    };
    let Some(figures) = devices.day_figures(day).await? else {
        return Ok(false);
    };
    let Some(patient) = clinical
        .records()
        .patient_resource_ids(&day.resident_id)
        .await
        .map_err(clinical::ClinicalError::from)?
        .into_iter()
        .next()
    else {
        return Ok(false);
    };
    let Some(observation) = daily_observation(day, &figures, series, &patient) else {
        return Ok(false);
    };
    let centre = clinical
        .residents()
        .resident(&day.resident_id)
        .await?
        .and_then(|r| r.care.community_centre_id);
    let actor = Actor::system(centre.as_deref().unwrap_or(PLATFORM));
    clinical
        .update(
            &actor,
            "Observation",
            &day.observation_id(),
            observation,
            None,
        )
        .await?;
    Ok(true)
}
