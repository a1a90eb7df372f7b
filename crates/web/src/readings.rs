//! From accepted device readings to alerts, durably.
//!
//! The devices crate writes the readings the alert rules read to its feed, in the transaction
//! that stores them (`Devices::with_feed`, filtered by [`feed_filter`]), whether they came over
//! HTTP, over MQTT or from a doctor's review of the quarantine. One worker judges each feed
//! entry once (`Alerts::on_batch_once`) and then deletes it. It wakes after every commit that
//! added an entry, so an alert reaches the inbox moments after the reading, and looks again
//! every few seconds, so what a crash left between a commit and its judgement is judged after
//! the restart. When the worker falls behind, entries wait in the database, not in memory.

use std::time::Duration;

use devices::{Accepted, Devices, FeedEntry, FeedFilter};
use tokio::task::AbortHandle;

/// Entries taken per look at the feed.
const ENTRIES_PER_PASS: usize = 64;

/// How often the worker looks at the feed without a wake-up (and how long it waits after a
/// database error before trying again).
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// The readings the feed takes: those of a series some alert rule reads.
pub fn feed_filter(rules: &alerts::RuleBook) -> FeedFilter {
    let rules = rules.clone();
    std::sync::Arc::new(move |series: &str| rules.reads_danger(series) || rules.reads_trend(series))
}

/// The fact the alert rules judge: the value under the series it was sent as (a meter's
/// glucose is not a fasting glucose), with its device message as the source.
pub fn fact_of(a: &Accepted) -> alerts::ReadingFact {
    alerts::ReadingFact {
        resident_id: a.resident_id.clone(),
        key: a.series.clone(),
        value: a.value,
        at: a.taken_at.0,
        source: format!("device:{}/{}", a.device_id, a.message_id),
    }
}

/// Starts the worker that judges the feed of `devices` with `alerts`; abort it to replace it.
pub fn spawn_alerting(devices: Devices, alerts: alerts::Alerts) -> AbortHandle {
    tokio::spawn(async move {
        loop {
            match judge_waiting(&devices, &alerts).await {
                Ok(()) => {
                    // A wake-up or the periodic look, whichever comes first.
                    let _ = tokio::time::timeout(LOOK_EVERY, devices.feed_added()).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "device readings could not be judged for alerts; trying again");
                    tokio::time::sleep(LOOK_EVERY).await;
                }
            }
        }
    })
    .abort_handle()
}

/// Why a pass over the feed stopped (the entries stay for the next pass).
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("device feed: {0}")]
    Feed(#[from] devices::DevicesError),
    #[error("alert rules: {0}")]
    Alerts(#[from] alerts::AlertError),
}

/// Judges every entry waiting, oldest first, and deletes each once judged.
pub async fn judge_waiting(devices: &Devices, alerts: &alerts::Alerts) -> Result<(), JudgeError> {
    loop {
        let entries = devices.feed_waiting(ENTRIES_PER_PASS).await?;
        if entries.is_empty() {
            return Ok(());
        }
        for FeedEntry { id, readings } in &entries {
            let facts: Vec<alerts::ReadingFact> = readings.iter().map(fact_of).collect();
            alerts
                .on_batch_once(id, &facts, kernel::UtcMillis::now().0)
                .await?;
            devices.feed_done(std::slice::from_ref(id)).await?;
        }
    }
}
