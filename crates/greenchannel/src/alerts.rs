//! Reminders and overdue alerts. The server's timer calls [`GreenChannel::scan`]: it raises a
//! reminder `adoption.reminder_days` before an unadopted product's deadline and one overdue
//! alert per hospital and product once the deadline has passed; scanning again raises nothing
//! new (one row per hospital, product, kind and deadline). Adoption, a "not needed"
//! declaration or the product's removal from the lists resolves them.

use std::collections::BTreeSet;

use access::Principal;
use jiff::civil::Date;
use kernel::{Id, UtcMillis};
use serde::Serialize;
use store::sqlx::{self, Row, any::AnyRow};

use crate::deadline::{AdoptionStatus, status_on};
use crate::error::{GreenChannelError, Result};
use crate::service::{GreenChannel, bureau_of, is_staff_of, parse_date, require_reader_of};

/// What an alert says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The deadline is near and the product is not adopted.
    Reminder,
    /// The deadline passed without adoption.
    Overdue,
}

impl AlertKind {
    pub fn code(self) -> &'static str {
        match self {
            AlertKind::Reminder => "reminder",
            AlertKind::Overdue => "overdue",
        }
    }

    fn from_code(code: &str) -> Result<AlertKind> {
        match code {
            "reminder" => Ok(AlertKind::Reminder),
            "overdue" => Ok(AlertKind::Overdue),
            other => Err(GreenChannelError::Corrupt(format!("alert kind `{other}`"))),
        }
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: String,
    pub kind: AlertKind,
    pub hospital_id: String,
    pub product_id: String,
    pub deadline: Date,
    pub raised_at: i64,
    pub resolved_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
}

/// Which alerts to read.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// One hospital's (hospital staff always read only their own).
    pub hospital_id: Option<String>,
    pub product_id: Option<String>,
    pub kind: Option<AlertKind>,
    /// Only those not yet resolved.
    pub open_only: bool,
}

const COLUMNS: &str = "id, kind, hospital_id, product_id, deadline, raised_at, resolved_at, \
     acknowledged_by, acknowledged_at";

fn alert_from_row(r: &AnyRow) -> Result<Alert> {
    Ok(Alert {
        id: r.try_get(0)?,
        kind: AlertKind::from_code(&r.try_get::<String, _>(1)?)?,
        hospital_id: r.try_get(2)?,
        product_id: r.try_get(3)?,
        deadline: parse_date(&r.try_get::<String, _>(4)?)?,
        raised_at: r.try_get(5)?,
        resolved_at: r.try_get(6)?,
        acknowledged_by: r.try_get(7)?,
        acknowledged_at: r.try_get(8)?,
    })
}

impl GreenChannel {
    /// Raises the alerts due at `now` and resolves those no longer needed; returns the alerts
    /// raised by this scan (none when nothing changed since the last one).
    pub async fn scan(&self, now: UtcMillis) -> Result<Vec<Alert>> {
        let day = now.city_date();
        let reminder_days =
            i32::try_from(self.rules.adoption.reminder_days.value).unwrap_or(i32::MAX);
        let (_, duties) = self.duties_on(day).await?;
        let mut raised = Vec::new();
        let mut still_needed: BTreeSet<(String, String, AlertKind)> = BTreeSet::new();
        for duty in &duties {
            let product_id = &duty.listed.product.product_id;
            let kind = match status_on(duty.listed.deadline, duty.decision.as_ref(), day) {
                AdoptionStatus::Overdue { .. } => AlertKind::Overdue,
                AdoptionStatus::Pending { days_left, .. } if days_left <= reminder_days => {
                    AlertKind::Reminder
                }
                _ => continue,
            };
            still_needed.insert((duty.hospital_id.clone(), product_id.clone(), kind));
            if let Some(alert) = self
                .raise(
                    kind,
                    &duty.hospital_id,
                    product_id,
                    duty.listed.deadline,
                    now,
                )
                .await?
            {
                raised.push(alert);
            }
        }
        for open in self.open_alerts().await? {
            let key = (open.hospital_id.clone(), open.product_id.clone(), open.kind);
            if !still_needed.contains(&key) {
                sqlx::query(
                    "UPDATE gc_alerts SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL",
                )
                .bind(now.0)
                .bind(&open.id)
                .execute(self.db.pool())
                .await?;
            }
        }
        Ok(raised)
    }

    /// Inserts the alert unless it exists; the new alert, or none.
    async fn raise(
        &self,
        kind: AlertKind,
        hospital_id: &str,
        product_id: &str,
        deadline: Date,
        now: UtcMillis,
    ) -> Result<Option<Alert>> {
        let alert = Alert {
            id: Id::new().to_string(),
            kind,
            hospital_id: hospital_id.to_owned(),
            product_id: product_id.to_owned(),
            deadline,
            raised_at: now.0,
            resolved_at: None,
            acknowledged_by: None,
            acknowledged_at: None,
        };
        let done = sqlx::query(
            "INSERT INTO gc_alerts (id, kind, hospital_id, product_id, deadline, raised_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (hospital_id, product_id, kind, deadline) DO NOTHING",
        )
        .bind(&alert.id)
        .bind(kind.code())
        .bind(hospital_id)
        .bind(product_id)
        .bind(deadline.to_string())
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        if kind == AlertKind::Overdue {
            self.record(
                None,
                "greenchannel.alert.overdue",
                ("gc_adoption", &format!("{hospital_id}|{product_id}")),
                deadline.to_string().as_bytes(),
            )
            .await;
        }
        Ok(Some(alert))
    }

    async fn open_alerts(&self) -> Result<Vec<Alert>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM gc_alerts WHERE resolved_at IS NULL"
        ))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// Alerts, newest first. A hospital's staff read their own hospital's; the bureaus read
    /// every hospital's.
    pub async fn alerts(&self, actor: &Principal, filter: &AlertFilter) -> Result<Vec<Alert>> {
        let hospital = if bureau_of(actor).is_some() {
            filter.hospital_id.clone()
        } else {
            let own = actor.organisation.id.clone();
            require_reader_of(actor, &own, self.rules, "read alerts")?;
            if filter.hospital_id.as_ref().is_some_and(|h| h != &own) {
                return Err(GreenChannelError::forbidden(
                    "read alerts",
                    "the hospital's own staff and the municipal bureaus",
                    "本医疗机构工作人员和市级部门",
                ));
            }
            Some(own)
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM gc_alerts WHERE ($1 IS NULL OR hospital_id = $1) \
             AND ($2 IS NULL OR product_id = $2) AND ($3 IS NULL OR kind = $3) \
             AND ($4 = 0 OR resolved_at IS NULL) ORDER BY raised_at DESC, id DESC"
        ))
        .bind(hospital)
        .bind(filter.product_id.clone())
        .bind(filter.kind.map(AlertKind::code))
        .bind(i64::from(filter.open_only))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// Marks an alert as seen (it stays open until the product is adopted). Acknowledging
    /// again keeps the first acknowledgement.
    pub async fn acknowledge(&self, actor: &Principal, alert_id: &str) -> Result<Alert> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM gc_alerts WHERE id = $1"))
            .bind(alert_id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| GreenChannelError::not_found("alert", alert_id))?;
        let alert = alert_from_row(&row)?;
        if bureau_of(actor).is_none() && !is_staff_of(actor, &alert.hospital_id, self.rules) {
            return Err(GreenChannelError::not_found("alert", alert_id));
        }
        if alert.acknowledged_at.is_some() {
            return Ok(alert);
        }
        let now = UtcMillis::now().0;
        sqlx::query(
            "UPDATE gc_alerts SET acknowledged_by = $1, acknowledged_at = $2 \
             WHERE id = $3 AND acknowledged_at IS NULL",
        )
        .bind(&actor.user_id)
        .bind(now)
        .bind(alert_id)
        .execute(self.db.pool())
        .await?;
        self.record(
            Some(actor),
            "greenchannel.alert.acknowledge",
            ("gc_alert", alert_id),
            alert_id.as_bytes(),
        )
        .await;
        Ok(Alert {
            acknowledged_by: Some(actor.user_id.clone()),
            acknowledged_at: Some(now),
            ..alert
        })
    }
}
