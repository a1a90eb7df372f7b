//! From accepted device readings to alerts, durably.
//!
//! The devices crate writes the readings the alert rules would act on to its feed, in the
//! transaction that stores them (`Devices::with_feed`, filtered by [`feed_filter`]), whether
//! they came over HTTP, over MQTT or from a doctor's review of the quarantine. One worker
//! judges each feed entry once (`Alerts::on_batch_once`) and then deletes it. It wakes after
//! every commit that added an entry, so an alert reaches the inbox moments after the reading,
//! and looks again every few seconds, so what a crash left between a commit and its judgement
//! is judged after the restart. When the worker falls behind, entries wait in the database,
//! not in memory.

use std::time::Duration;

use devices::{Accepted, Devices, FeedEntry, FeedFilter};
use tokio::task::AbortHandle;

/// Entries taken per look at the feed.
const ENTRIES_PER_PASS: usize = 64;

/// How often the worker looks at the feed without a wake-up (and how long it waits after a
/// database error before trying again).
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// The readings the feed takes: exactly those the alert rules would act on — every value of a
/// series a trend rule averages (blood pressure), and any reading that shows a danger sign
/// (a heart rate above 100, a glucose at or above 16.7). The rest (a watch's ordinary heart
/// rates, steps, sleep) would raise nothing and count in no daily mean, so they stay out and
/// cost the ingest nothing.
pub fn feed_filter(rules: &alerts::RuleBook) -> FeedFilter {
    let rules = rules.clone();
    std::sync::Arc::new(move |values: &[Accepted]| {
        let reading: Vec<(&str, f64)> = values
            .iter()
            .map(|a| (a.series.as_str(), a.value))
            .collect();
        rules.acts_on(&reading)
    })
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn reading(values: &[(&str, f64)]) -> Vec<Accepted> {
        values
            .iter()
            .map(|(series, value)| Accepted {
                resident_id: "r1".into(),
                series: (*series).into(),
                element: (*series).into(),
                value: *value,
                unit: String::new(),
                taken_at: kernel::UtcMillis(0),
                device_id: "d1".into(),
                message_id: "m1".into(),
            })
            .collect()
    }

    #[test]
    fn the_feed_takes_what_the_alert_rules_would_act_on_and_nothing_else() {
        let rules = alerts::RuleBook::builtin().unwrap();
        let takes = feed_filter(&rules);
        // Blood pressure: a trend rule averages every reading, ordinary or not.
        assert!(takes(&reading(&[("sbp", 126.0), ("dbp", 78.0)])));
        // Heart rate: only above the templates' danger-sign bound (more than 100/min).
        assert!(!takes(&reading(&[("heart_rate", 72.0)])));
        assert!(!takes(&reading(&[("heart_rate", 100.0)])));
        assert!(takes(&reading(&[("heart_rate", 101.0)])));
        // A meter's glucose is read as fasting glucose by the danger signs only.
        assert!(!takes(&reading(&[("glucose", 6.4)])));
        assert!(takes(&reading(&[("glucose", 16.7)])));
        assert!(takes(&reading(&[("glucose", 3.9)])));
        // Nothing acts on steps.
        assert!(!takes(&reading(&[("steps", 12_000.0)])));
    }
}
