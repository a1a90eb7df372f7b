//! From accepted device readings to alerts: the HTTP ingest endpoint and the MQTT subscriber
//! hand what they committed to one bounded queue; a worker judges it with the alert rules.
//!
//! The queue is bounded, so when alerting falls behind, ingest waits (back-pressure) rather
//! than holding unbounded memory. Readings are durable before they are queued; a crash between
//! the commit and the judgement loses the alerts of those readings (not the readings): ADR 0013
//! names the durable cursor that would close that gap.

use devices::Accepted;
use tokio::sync::mpsc;

/// Batches of accepted readings waiting for the alert rules.
pub type ReadingsQueue = mpsc::Sender<Vec<Accepted>>;

/// How many batches may wait (each up to an HTTP batch or an MQTT message of readings).
const QUEUE_BATCHES: usize = 256;

/// Most facts judged in one call (one transaction of the alert service).
const FACTS_PER_CALL: usize = 5_000;

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

/// Starts the worker; the returned sender is the queue.
pub fn spawn_alerting(alerts: alerts::Alerts) -> ReadingsQueue {
    let (tx, mut rx) = mpsc::channel::<Vec<Accepted>>(QUEUE_BATCHES);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut facts: Vec<alerts::ReadingFact> = first.iter().map(fact_of).collect();
            // Whatever else is already waiting goes in the same call.
            while facts.len() < FACTS_PER_CALL {
                match rx.try_recv() {
                    Ok(more) => facts.extend(more.iter().map(fact_of)),
                    Err(_) => break,
                }
            }
            if let Err(e) = alerts.on_readings(&facts).await {
                tracing::error!(error = %e, facts = facts.len(), "could not judge readings for alerts");
            }
        }
    });
    tx
}
