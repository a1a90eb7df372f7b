//! Daily aggregates (count and sum per resident, element and city day) that trend rules read:
//! updated as facts arrive, so a trend needs a few rows rather than every reading.

use std::collections::HashMap;

use jiff::civil::Date;
use store::Backend;
use store::bulk::InsertShapes;
use store::sqlx::{self, AnyConnection, Row};

use crate::error::{AlertError, Result};

/// One resident's element on one day: readings added by this batch, or the stored total.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DayTotal {
    pub resident_id: String,
    pub element: String,
    pub day: Date,
    pub n: i64,
    pub total: f64,
}

impl DayTotal {
    pub fn mean(&self) -> f64 {
        self.total / self.n.max(1) as f64
    }
}

/// Rows per multi-row upsert.
const MAX_ROWS: usize = 1024;
const COLUMNS: [&str; 5] = ["resident_id", "element", "day", "n", "total"];

/// Adds the batch's counts and sums and returns the new totals of the days touched. Rows go in
/// key order, so concurrent batches lock them in the same order.
pub(crate) async fn add(
    conn: &mut AnyConnection,
    backend: Backend,
    mut rows: Vec<DayTotal>,
) -> Result<Vec<DayTotal>> {
    rows.sort_by(|a, b| {
        (&a.resident_id, &a.element, a.day).cmp(&(&b.resident_id, &b.element, b.day))
    });
    let shapes = InsertShapes::new("alert_daily", &COLUMNS, MAX_ROWS, backend);
    let mut out = Vec::with_capacity(rows.len());
    let mut rest = rows.as_slice();
    while !rest.is_empty() {
        let (insert, n) = shapes.next(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        let sql = format!(
            "{insert} ON CONFLICT (resident_id, element, day) DO UPDATE SET \
             n = alert_daily.n + excluded.n, total = alert_daily.total + excluded.total \
             RETURNING resident_id, element, day, n, total"
        );
        let mut query = sqlx::query(&sql);
        for r in chunk {
            query = query
                .bind(&r.resident_id)
                .bind(&r.element)
                .bind(r.day.to_string())
                .bind(r.n)
                .bind(r.total);
        }
        for row in query.fetch_all(&mut *conn).await? {
            out.push(total_from(&row)?);
        }
    }
    Ok(out)
}

/// The stored totals of a resident's elements from `from` to `to` (inclusive), by day.
pub(crate) async fn window(
    conn: &mut AnyConnection,
    resident_id: &str,
    from: Date,
    to: Date,
) -> Result<HashMap<Date, Vec<DayTotal>>> {
    let rows = sqlx::query(
        "SELECT resident_id, element, day, n, total FROM alert_daily \
         WHERE resident_id = $1 AND day >= $2 AND day <= $3",
    )
    .bind(resident_id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<Date, Vec<DayTotal>> = HashMap::new();
    for row in &rows {
        let t = total_from(row)?;
        out.entry(t.day).or_default().push(t);
    }
    Ok(out)
}

fn total_from(row: &store::sqlx::any::AnyRow) -> Result<DayTotal> {
    let day: String = row.try_get(2)?;
    Ok(DayTotal {
        resident_id: row.try_get(0)?,
        element: row.try_get(1)?,
        day: day
            .parse()
            .map_err(|_| AlertError::Unreadable(format!("daily aggregate day `{day}`")))?,
        n: row.try_get(3)?,
        total: row.try_get(4)?,
    })
}

/// Deletes the daily aggregates of days more than `keep_days` before the city day of `now`
/// (ISO dates compare as text); how many.
pub(crate) async fn forget_old(db: &store::Db, now: i64, keep_days: u32) -> Result<u64> {
    let today = kernel::UtcMillis(now).city_date();
    // A window reaching before the calendar's start keeps everything.
    let Ok(cutoff) = today.checked_sub(jiff::Span::new().days(i64::from(keep_days))) else {
        return Ok(0);
    };
    Ok(sqlx::query("DELETE FROM alert_daily WHERE day < $1")
        .bind(cutoff.to_string())
        .execute(db.writer())
        .await?
        .rows_affected())
}
