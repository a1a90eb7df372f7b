//! The feed: accepted readings waiting for the platform to act on them (the alert rules).
//!
//! A feed entry is written in the transaction that stores its readings and deleted once its
//! consumer is done with it, so a crash between a reading's commit and its judgement loses
//! the judgement of nothing: the next start finds the entry and hands it over again. Only
//! readings the consumer asked for (by series) go in, and one entry holds every such reading
//! of one commit, so the feed costs one row per commit, not one per reading.

use std::sync::Arc;

use kernel::UtcMillis;
use store::sqlx::{self, Row};

use crate::Devices;
use crate::error::DevicesError;
use crate::ingest::Accepted;

/// Which readings the feed takes, asked of each reading's values (a blood pressure's systolic
/// and diastolic together): the platform takes those its alert rules would act on.
pub type FeedFilter = Arc<dyn Fn(&[Accepted]) -> bool + Send + Sync>;

/// One commit's readings in the feed, in commit order by `id` (a UUIDv7).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    pub id: String,
    pub readings: Vec<Accepted>,
}

/// The readings of `accepted` (one reading's values each) that the feed takes.
pub(crate) fn select<'a>(
    filter: &FeedFilter,
    accepted: impl Iterator<Item = Vec<Accepted>> + 'a,
) -> Vec<Accepted> {
    accepted.filter(|values| filter(values)).flatten().collect()
}

/// Adds an entry inside the caller's transaction; says whether it did (not when `readings`
/// is empty), so the caller raises [`Devices::feed_added`] after its commit.
pub(crate) async fn append(
    conn: &mut sqlx::AnyConnection,
    readings: &[Accepted],
    now: UtcMillis,
) -> Result<bool, DevicesError> {
    if readings.is_empty() {
        return Ok(false);
    }
    let id = kernel::Id::new().to_string();
    let body = serde_json::to_string(readings).map_err(|e| DevicesError::Feed {
        id: id.clone(),
        detail: e.to_string(),
    })?;
    sqlx::query("INSERT INTO device_feed (id, created_at, readings) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(now.0)
        .bind(body)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

impl Devices {
    /// Takes readings into the feed from now on: those `filter` accepts.
    pub fn with_feed(mut self, filter: FeedFilter) -> Devices {
        self.feed = Some(filter);
        self
    }

    /// Returns once a commit has added a feed entry since the last call returned (at once if
    /// one did meanwhile). For the feed's one consumer; a periodic look at
    /// [`Devices::feed_waiting`] still finds what a crash left.
    pub async fn feed_added(&self) {
        self.feed_signal.notified().await;
    }

    pub(crate) fn signal_feed(&self) {
        self.feed_signal.notify_one();
    }

    /// The oldest entries waiting, at most `limit`.
    pub async fn feed_waiting(&self, limit: usize) -> Result<Vec<FeedEntry>, DevicesError> {
        let rows = sqlx::query("SELECT id, readings FROM device_feed ORDER BY id LIMIT $1")
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let body: String = row.try_get("readings")?;
                let readings = serde_json::from_str(&body).map_err(|e| DevicesError::Feed {
                    id: id.clone(),
                    detail: e.to_string(),
                })?;
                Ok(FeedEntry { id, readings })
            })
            .collect()
    }

    /// Removes entries their consumer is done with.
    pub async fn feed_done(&self, ids: &[String]) -> Result<(), DevicesError> {
        for id in ids {
            sqlx::query("DELETE FROM device_feed WHERE id = $1")
                .bind(id)
                .execute(self.db.writer())
                .await?;
        }
        Ok(())
    }
}
