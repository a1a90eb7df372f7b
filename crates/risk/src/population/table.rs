//! `risk_scores` and `risk_refresh`: writing scores, reading them back, counting them.

use serde::{Deserialize, Serialize};
use store::Db;
use store::sqlx::{self, Row};

use super::{Outcome, Score, ScoresError, Status, UsedInput};
use crate::china_par::ChinaPar;

/// The refresh watermark's key (one per model).
const MODEL: &str = "china-par";

const COLUMNS: [&str; 10] = [
    "resident_id",
    "model",
    "version",
    "assessed_at",
    "district",
    "status",
    "risk_percent",
    "band",
    "top_factor",
    "detail",
];

/// Rows per INSERT statement.
const ROWS_PER_INSERT: usize = 100;

/// `INSERT INTO risk_scores … VALUES (…), …` for `rows` rows. The risk is bound as text and
/// cast: through sqlx's Any driver a NULL `f64` prepares a PostgreSQL parameter that a later
/// number in the same statement no longer fits ("incorrect binary data format"), while a NULL
/// text does not; Rust's shortest round-trip formatting keeps the number exact.
fn insert_sql(rows: usize) -> String {
    let mut sql = format!("INSERT INTO risk_scores ({}) VALUES ", COLUMNS.join(", "));
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        let p = |column: usize| format!("${}", row * COLUMNS.len() + column + 1);
        sql.push_str(&format!(
            "({}, {}, {}, {}, CAST({} AS TEXT), {}, CAST({} AS DOUBLE PRECISION), CAST({} AS TEXT), CAST({} AS TEXT), {})",
            p(0), p(1), p(2), p(3), p(4), p(5), p(6), p(7), p(8), p(9)
        ));
    }
    sql
}

/// What `detail` holds.
#[derive(Serialize, Deserialize)]
struct Detail {
    inputs: Vec<UsedInput>,
    outcome: Outcome,
}

/// Replaces the scores of these residents, in one transaction.
pub(super) async fn write(db: &Db, scores: &[Score]) -> Result<(), ScoresError> {
    if scores.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(scores.len());
    for s in scores {
        let detail = serde_json::to_string(&Detail {
            inputs: s.inputs.clone(),
            outcome: s.outcome.clone(),
        })
        .map_err(|e| ScoresError::Stored {
            resident: s.resident_id.clone(),
            message: e.to_string(),
        })?;
        let top = match &s.outcome {
            Outcome::Assessed { top_factor, .. } => top_factor
                .and_then(|f| serde_json::to_value(f).ok())
                .and_then(|v| v.as_str().map(str::to_owned)),
            _ => None,
        };
        rows.push((s, detail, top));
    }
    let mut tx = db.writer().begin().await?;
    for chunk in scores.chunks(super::gather::CHUNK) {
        let sql = format!(
            "DELETE FROM risk_scores WHERE resident_id IN ({})",
            (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query(&sql);
        for s in chunk {
            query = query.bind(s.resident_id.as_str());
        }
        query.execute(&mut *tx).await?;
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = insert_sql(chunk.len());
        let mut query = sqlx::query(&sql);
        for (s, detail, top) in chunk {
            query = query
                .bind(s.resident_id.as_str())
                .bind(s.model.as_str())
                .bind(s.version.as_str())
                .bind(s.assessed_at)
                .bind(s.district.as_deref())
                .bind(s.status().code())
                .bind(s.risk_percent().map(|r| r.to_string()))
                .bind(s.band())
                .bind(top.as_deref())
                .bind(detail.as_str());
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The scores of `ids`, optionally only those in `band`.
pub(super) async fn of_residents(
    db: &Db,
    ids: &[String],
    band: Option<&str>,
) -> Result<Vec<Score>, ScoresError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = format!(
        "SELECT resident_id, model, version, assessed_at, district, detail FROM risk_scores \
         WHERE resident_id IN ({})",
        (1..=ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if band.is_some() {
        sql.push_str(&format!(" AND band = ${}", ids.len() + 1));
    }
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id.as_str());
    }
    if let Some(band) = band {
        query = query.bind(band);
    }
    let mut out = Vec::new();
    for row in query.fetch_all(db.pool()).await? {
        let resident_id: String = row.try_get(0)?;
        let detail: String = row.try_get(5)?;
        let Detail { inputs, outcome } =
            serde_json::from_str(&detail).map_err(|e| ScoresError::Stored {
                resident: resident_id.clone(),
                message: e.to_string(),
            })?;
        out.push(Score {
            resident_id,
            model: row.try_get(1)?,
            version: row.try_get(2)?,
            assessed_at: row.try_get(3)?,
            district: row.try_get(4)?,
            inputs,
            outcome,
        });
    }
    Ok(out)
}

/// One district's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistrictCounts {
    /// District key; `None` for residents without one.
    pub district: Option<String>,
    /// Assessed residents per band, in the model's band order (`low`, `medium`, `high`).
    pub bands: Vec<(String, u64)>,
    /// Outside the model's population.
    pub refused: u64,
    /// Inputs missing.
    pub not_assessable: u64,
}

impl DistrictCounts {
    /// Residents with a computed risk.
    pub fn assessed(&self) -> u64 {
        self.bands.iter().map(|(_, n)| n).sum()
    }

    /// Every resident with a score.
    pub fn total(&self) -> u64 {
        self.assessed() + self.refused + self.not_assessable
    }

    /// Assessed residents in `band`.
    pub fn band(&self, band: &str) -> u64 {
        self.bands
            .iter()
            .find(|(b, _)| b == band)
            .map_or(0, |(_, n)| *n)
    }
}

/// Counts by district, district order of the query (by key), residents without a district
/// last.
pub(super) async fn by_district(
    db: &Db,
    model: &ChinaPar,
) -> Result<Vec<DistrictCounts>, ScoresError> {
    let rows = sqlx::query(
        "SELECT district, status, band, COUNT(*) FROM risk_scores \
         GROUP BY district, status, band ORDER BY district",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<DistrictCounts> = Vec::new();
    for row in rows {
        let district: Option<String> = row.try_get(0)?;
        let status: String = row.try_get(1)?;
        let band: Option<String> = row.try_get(2)?;
        let n: i64 = row.try_get(3)?;
        let n = u64::try_from(n).unwrap_or(0);
        let at = match out.iter().position(|d| d.district == district) {
            Some(i) => i,
            None => {
                out.push(DistrictCounts {
                    district: district.clone(),
                    bands: model
                        .data()
                        .bands
                        .iter()
                        .map(|b| (b.key.clone(), 0))
                        .collect(),
                    refused: 0,
                    not_assessable: 0,
                });
                out.len() - 1
            }
        };
        let counts = &mut out[at];
        match Status::parse(&status) {
            Some(Status::Assessed) => {
                if let Some(slot) = counts
                    .bands
                    .iter_mut()
                    .find(|(b, _)| Some(b) == band.as_ref())
                {
                    slot.1 += n;
                }
            }
            Some(Status::Refused) => counts.refused += n,
            Some(Status::NotAssessable) => counts.not_assessable += n,
            None => {}
        }
    }
    out.sort_by(|a, b| {
        (a.district.is_none(), &a.district).cmp(&(b.district.is_none(), &b.district))
    });
    Ok(out)
}

/// When the last refresh ran, if one has.
pub(super) async fn watermark(db: &Db) -> Result<Option<i64>, ScoresError> {
    let row = sqlx::query("SELECT watermark FROM risk_refresh WHERE model = $1")
        .bind(MODEL)
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

/// Records that a refresh ran at `at`.
pub(super) async fn set_watermark(db: &Db, at: i64) -> Result<(), ScoresError> {
    sqlx::query(
        "INSERT INTO risk_refresh (model, watermark) VALUES ($1, $2) \
         ON CONFLICT (model) DO UPDATE SET watermark = excluded.watermark",
    )
    .bind(MODEL)
    .bind(at)
    .execute(db.writer())
    .await?;
    Ok(())
}
