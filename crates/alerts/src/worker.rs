//! The periodic work the binary runs: escalation and quiet closing on one loop, webhook
//! delivery on another, so a slow gateway never delays an escalation. A failed run is logged
//! and the next run tries again: every step is a conditional UPDATE, safe to repeat.

use serde::Serialize;

use crate::service::Alerts;
use crate::webhook::{DeliveryReport, Webhook};

/// What one run of [`Alerts::maintain`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tick {
    /// Alerts escalated one level.
    pub escalated: usize,
    /// Episodes closed after their quiet period.
    pub closed: usize,
    /// Steps that failed (logged).
    pub failed: usize,
}

impl Alerts {
    /// One run of escalation and quiet closing at `now`. A step that fails is logged and
    /// counted; the other still runs.
    pub async fn maintain(&self, now: i64) -> Tick {
        let mut tick = Tick::default();
        match self.escalate_due(now).await {
            Ok(escalated) => tick.escalated = escalated.len(),
            Err(e) => {
                tracing::warn!(error = %e, "alert escalation run failed; retried next run");
                tick.failed += 1;
            }
        }
        match self.close_quiet(now).await {
            Ok(closed) => tick.closed = closed.len(),
            Err(e) => {
                tracing::warn!(error = %e, "closing quiet alert episodes failed; retried next run");
                tick.failed += 1;
            }
        }
        if let Err(e) = crate::intake::forget_old(&self.db, now).await {
            tracing::warn!(error = %e, "forgetting judged batch ids failed; retried next run");
            tick.failed += 1;
        }
        let keep = self.rules().policy().daily_keep_days.value;
        if let Err(e) = crate::daily::forget_old(&self.db, now, keep).await {
            tracing::warn!(error = %e, "forgetting old trend aggregates failed; retried next run");
            tick.failed += 1;
        }
        tick
    }

    /// One delivery run at `now`; a failure is logged and the deliveries stay due.
    pub async fn deliver(&self, webhook: &Webhook, now: i64) -> Option<DeliveryReport> {
        match self.deliver_due(webhook, now).await {
            Ok(report) => Some(report),
            Err(e) => {
                tracing::warn!(error = %e, "alert webhook delivery run failed; retried next run");
                None
            }
        }
    }

    /// Runs [`Alerts::maintain`] and, with a webhook, [`Alerts::deliver`] every
    /// `worker.interval_seconds` (rules/alerts.toml), forever. Spawn it beside the server:
    /// it holds the writer only for the short UPDATEs, never while posting.
    pub async fn run_periodic(self, webhook: Option<Webhook>) {
        let every = self.rules().policy().worker_interval();
        let maintenance = async {
            let mut timer = tokio::time::interval(every);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                timer.tick().await;
                let tick = self.maintain(kernel::UtcMillis::now().0).await;
                if tick.escalated > 0 || tick.closed > 0 {
                    tracing::info!(
                        escalated = tick.escalated,
                        closed = tick.closed,
                        "alerts escalated or closed"
                    );
                }
            }
        };
        let delivery = async {
            let Some(webhook) = &webhook else {
                return;
            };
            let mut timer = tokio::time::interval(every);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                timer.tick().await;
                if let Some(report) = self.deliver(webhook, kernel::UtcMillis::now().0).await
                    && report != DeliveryReport::default()
                {
                    tracing::info!(
                        delivered = report.delivered,
                        retrying = report.retrying,
                        gave_up = report.gave_up,
                        "alert webhook deliveries"
                    );
                }
            }
        };
        tokio::join!(maintenance, delivery);
    }
}
