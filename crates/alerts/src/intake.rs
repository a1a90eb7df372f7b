//! Batches already judged, by their source's id: what makes [`crate::Alerts::on_batch_once`]
//! judge a batch at most once. A key is needed only until the source has deleted the batch
//! (moments later), so keys are kept for a day and then forgotten.

use store::sqlx::{self, AnyConnection};

use crate::error::Result;

/// How long a judged batch's id is kept.
pub const KEEP_MILLIS: i64 = 24 * 3600 * 1000;

/// Records `batch_id` as judged in the caller's transaction; false when it already was.
pub async fn first_time(conn: &mut AnyConnection, batch_id: &str, now: i64) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO alert_intake (batch_id, judged_at) VALUES ($1, $2) \
         ON CONFLICT (batch_id) DO NOTHING",
    )
    .bind(batch_id)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Forgets the ids of batches judged more than [`KEEP_MILLIS`] before `now`.
pub async fn forget_old(db: &store::Db, now: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM alert_intake WHERE judged_at < $1")
        .bind(now - KEEP_MILLIS)
        .execute(db.writer())
        .await?
        .rows_affected())
}
