//! Escalation of alerts nobody acknowledged, and closing of episodes gone quiet. Both are
//! conditional UPDATEs: running them twice, or from two processes at once, changes each alert
//! once.

use store::sqlx::{self, Acquire, Row};

use crate::episode;
use crate::error::Result;
use crate::model::{Escalated, EventKind, Level};
use crate::service::Alerts;

impl Alerts {
    /// Escalates every unacknowledged, unresolved alert whose time has come: from the family
    /// doctor to the community health centre after the severity's `escalate_after_minutes`,
    /// and from there to the district after `district_after_minutes` more. Returns what this
    /// call escalated. Run it every few seconds.
    pub async fn escalate_due(&self, now: i64) -> Result<Vec<Escalated>> {
        let mut conn = self.db.writer().acquire().await?;
        let mut tx = conn.begin().await?;
        let mut changed: Vec<(String, Level)> = Vec::new();
        // Second level first, so an alert moves at most one level per run.
        let rows = sqlx::query(
            "UPDATE alerts SET level = $2, escalated_at = $1, escalation_due_at = NULL \
             WHERE level = $3 AND escalation_due_at <= $1 \
             AND acknowledged_at IS NULL AND resolved_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(Level::District.code())
        .bind(Level::CommunityCentre.code())
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            changed.push((r.try_get(0)?, Level::District));
        }
        for severity in &self.rules.policy().severities {
            let rows = sqlx::query(
                "UPDATE alerts SET level = $3, escalated_at = $1, escalation_due_at = $1 + $5 \
                 WHERE severity = $2 AND level = $4 AND escalation_due_at <= $1 \
                 AND acknowledged_at IS NULL AND resolved_at IS NULL RETURNING id",
            )
            .bind(now)
            .bind(&severity.key)
            .bind(Level::CommunityCentre.code())
            .bind(Level::FamilyDoctor.code())
            .bind(severity.district_after_ms())
            .fetch_all(&mut *tx)
            .await?;
            for r in rows {
                changed.push((r.try_get(0)?, Level::CommunityCentre));
            }
        }
        let mut events = Vec::with_capacity(changed.len());
        for (id, _) in &changed {
            if let Some(alert) = episode::load(&mut tx, id).await? {
                events.push(
                    episode::write_event(
                        &mut tx,
                        self.sinks,
                        &alert,
                        EventKind::Escalated,
                        "system",
                        None,
                        now,
                    )
                    .await?,
                );
            }
        }
        tx.commit().await?;
        drop(conn);
        if !events.is_empty() {
            self.ledger.record_all(events).await?;
        }
        Ok(changed
            .into_iter()
            .map(|(alert_id, level)| Escalated { alert_id, level })
            .collect())
    }

    /// Closes every open episode with no triggering reading for its quiet period; returns
    /// the alerts closed. A closed alert nobody acknowledged still escalates: the quiet
    /// period ends the grouping of readings, not the need for someone to look.
    pub async fn close_quiet(&self, now: i64) -> Result<Vec<String>> {
        let mut conn = self.db.writer().acquire().await?;
        let mut tx = conn.begin().await?;
        let rows = sqlx::query(
            "UPDATE alerts SET closed_at = quiet_until, close_reason = 'quiet' \
             WHERE closed_at IS NULL AND quiet_until <= $1 RETURNING id",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let mut closed = Vec::with_capacity(rows.len());
        let mut events = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get(0)?;
            if let Some(alert) = episode::load(&mut tx, &id).await? {
                let at = alert.closed_at.unwrap_or(now);
                events.push(
                    episode::write_event(
                        &mut tx,
                        self.sinks,
                        &alert,
                        EventKind::Closed,
                        "system",
                        None,
                        at,
                    )
                    .await?,
                );
            }
            closed.push(id);
        }
        tx.commit().await?;
        drop(conn);
        if !events.is_empty() {
            self.ledger.record_all(events).await?;
        }
        Ok(closed)
    }
}
