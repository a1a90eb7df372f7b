//! Reading what was stored: a resident's readings over a period, summaries for charts, the
//! latest value of each series.

use kernel::UtcMillis;
use serde::Serialize;
use store::sqlx::{self, Row, any::AnyRow};

use crate::Devices;
use crate::error::DevicesError;
use crate::summary::Period;

/// One stored value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredReading {
    /// Series key (`sbp`, `glucose`, …).
    pub series: String,
    /// When it was measured.
    pub taken_at: UtcMillis,
    /// Value in the series' canonical unit.
    pub value: f64,
    /// The device that sent it.
    pub device_id: String,
    /// The device's message id.
    pub message_id: String,
}

/// A period's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Series key.
    pub series: String,
    /// Hour or day.
    pub period: Period,
    /// Start of the period.
    pub period_start: UtcMillis,
    /// Readings in it.
    pub count: i64,
    /// Lowest value.
    pub min: f64,
    /// Highest value.
    pub max: f64,
    /// Mean value.
    pub mean: f64,
}

fn reading_from_row(row: &AnyRow) -> Result<StoredReading, sqlx::Error> {
    Ok(StoredReading {
        series: row.try_get(0)?,
        taken_at: UtcMillis(row.try_get(1)?),
        value: row.try_get(2)?,
        device_id: row.try_get(3)?,
        message_id: row.try_get(4)?,
    })
}

impl Devices {
    /// Deletes the hourly summaries older than `rules.hourly_summary_days` at `now` (daily
    /// summaries and readings stay); how many.
    pub async fn forget_old_hours(&self, now: i64) -> Result<u64, DevicesError> {
        let days = self.catalogue().rules.hourly_summary_days.value;
        let cutoff = now.saturating_sub(days.saturating_mul(86_400_000));
        Ok(
            sqlx::query("DELETE FROM device_summaries WHERE period = 'hour' AND period_start < $1")
                .bind(cutoff)
                .execute(self.db.writer())
                .await?
                .rows_affected(),
        )
    }

    /// A resident's values of `series` (every series if `None`) taken in [`from`, `to`), by
    /// series then time, at most `limit`.
    pub async fn readings(
        &self,
        resident_id: &str,
        series: Option<&str>,
        from: UtcMillis,
        to: UtcMillis,
        limit: u32,
    ) -> Result<Vec<StoredReading>, DevicesError> {
        const COLUMNS: &str =
            "SELECT series, taken_at, value, device_id, message_id FROM device_readings";
        let rows = match series {
            Some(s) => {
                sqlx::query(&format!(
                    "{COLUMNS} WHERE resident_id = $1 AND series = $2 AND taken_at >= $3 \
                     AND taken_at < $4 ORDER BY taken_at, device_id, message_id LIMIT $5"
                ))
                .bind(resident_id)
                .bind(s)
                .bind(from.0)
                .bind(to.0)
                .bind(i64::from(limit))
                .fetch_all(self.db.pool())
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "{COLUMNS} WHERE resident_id = $1 AND taken_at >= $2 AND taken_at < $3 \
                     ORDER BY series, taken_at, device_id, message_id LIMIT $4"
                ))
                .bind(resident_id)
                .bind(from.0)
                .bind(to.0)
                .bind(i64::from(limit))
                .fetch_all(self.db.pool())
                .await?
            }
        };
        Ok(rows
            .iter()
            .map(reading_from_row)
            .collect::<Result<_, _>>()?)
    }

    /// Figures of a resident's `series` per `period`, for periods starting in [`from`, `to`).
    pub async fn summaries(
        &self,
        resident_id: &str,
        series: &str,
        period: Period,
        from: UtcMillis,
        to: UtcMillis,
    ) -> Result<Vec<Summary>, DevicesError> {
        let rows = sqlx::query(
            "SELECT period_start, count, min_value, max_value, sum_value FROM device_summaries \
             WHERE resident_id = $1 AND series = $2 AND period = $3 AND period_start >= $4 \
             AND period_start < $5 ORDER BY period_start",
        )
        .bind(resident_id)
        .bind(series)
        .bind(period.code())
        .bind(from.0)
        .bind(to.0)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let count: i64 = r.try_get(1)?;
                let sum: f64 = r.try_get(4)?;
                Ok(Summary {
                    series: series.to_owned(),
                    period,
                    period_start: UtcMillis(r.try_get(0)?),
                    count,
                    min: r.try_get(2)?,
                    max: r.try_get(3)?,
                    mean: if count > 0 { sum / count as f64 } else { 0.0 },
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// The latest value of each series the resident has readings in, in catalogue order.
    pub async fn latest(&self, resident_id: &str) -> Result<Vec<StoredReading>, DevicesError> {
        let mut latest = Vec::new();
        // One indexed look-up per series: the key (resident, series, taken_at) answers each
        // from its right edge.
        for measure in &self.catalogue.measures {
            for series in &measure.series {
                let row = sqlx::query(
                    "SELECT series, taken_at, value, device_id, message_id FROM device_readings \
                     WHERE resident_id = $1 AND series = $2 \
                     ORDER BY taken_at DESC, device_id DESC, message_id DESC LIMIT 1",
                )
                .bind(resident_id)
                .bind(&series.key)
                .fetch_optional(self.db.pool())
                .await?;
                if let Some(row) = row {
                    latest.push(reading_from_row(&row)?);
                }
            }
        }
        Ok(latest)
    }
}
