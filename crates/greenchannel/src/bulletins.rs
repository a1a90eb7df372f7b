//! Bulletins (nanjing-2020 三（五）3: 定期通报): a quarter's figures, computed on demand for the
//! bureaus and issued once per quarter by the bureaus the rules name. The issued content is
//! stored as issued, and its hash goes on the ledger.

use access::Principal;
use jiff::civil::Date;
use kernel::UtcMillis;
use serde::Serialize;
use store::sqlx::{self, Row};

use crate::error::{GreenChannelError, Result};
use crate::figures::{self, Bulletin, HospitalFigures};
use crate::period::Quarter;
use crate::service::{
    GreenChannel, is_unique_violation, require_any_bureau, require_bureau, today,
};

/// A bulletin as issued.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssuedBulletin {
    pub period: Quarter,
    pub issued_by: String,
    pub issued_at: i64,
    /// Lowercase hex SHA-256 of `content`, as on the ledger.
    pub content_hash: String,
    /// The bulletin's JSON as issued.
    pub content: String,
}

impl GreenChannel {
    /// The figures of an ended quarter, standing taken on its last day. For the bureaus.
    pub async fn bulletin(&self, actor: &Principal, period: Quarter) -> Result<Bulletin> {
        require_any_bureau(actor, "read bulletins")?;
        let as_of = period.last_day();
        if as_of >= today() {
            return Err(GreenChannelError::PeriodNotEnded {
                period: period.to_string(),
                ends: as_of,
            });
        }
        self.figures(period, as_of).await
    }

    /// Issues the bulletin of an ended quarter: stored as issued, its hash on the ledger. Once
    /// per quarter.
    pub async fn issue_bulletin(
        &self,
        actor: &Principal,
        period: Quarter,
    ) -> Result<IssuedBulletin> {
        require_bureau(actor, &self.rules.bulletin_issuers(), "issue a bulletin")?;
        let bulletin = self.bulletin(actor, period).await?;
        let content = serde_json::to_string(&bulletin).map_err(|e| {
            GreenChannelError::Corrupt(format!("the bulletin does not serialise: {e}"))
        })?;
        let issued = IssuedBulletin {
            period,
            issued_by: actor.user_id.clone(),
            issued_at: UtcMillis::now().0,
            content_hash: ledger::data_hash(content.as_bytes()),
            content,
        };
        let inserted = sqlx::query(
            "INSERT INTO gc_bulletins (period, issued_by, issued_at, content, content_hash) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(period.to_string())
        .bind(&issued.issued_by)
        .bind(issued.issued_at)
        .bind(&issued.content)
        .bind(&issued.content_hash)
        .execute(self.db.pool())
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(GreenChannelError::Duplicate {
                    what: "bulletin",
                    id: period.to_string(),
                    hint: "the bulletin of this quarter is already issued",
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.record(
            Some(actor),
            "greenchannel.bulletin.issue",
            ("gc_bulletin", &period.to_string()),
            issued.content.as_bytes(),
        )
        .await;
        Ok(issued)
    }

    /// Issued bulletins, newest quarter first. For the bureaus.
    pub async fn issued_bulletins(&self, actor: &Principal) -> Result<Vec<IssuedBulletin>> {
        require_any_bureau(actor, "read bulletins")?;
        let rows = sqlx::query(
            "SELECT period, issued_by, issued_at, content, content_hash FROM gc_bulletins \
             ORDER BY period DESC",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(IssuedBulletin {
                    period: r.try_get::<String, _>(0)?.parse().map_err(|_| {
                        GreenChannelError::Corrupt("a bulletin's period is not a quarter".into())
                    })?,
                    issued_by: r.try_get(1)?,
                    issued_at: r.try_get(2)?,
                    content: r.try_get(3)?,
                    content_hash: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Each bound hospital's standing on `day`, for the dashboard's adoption chart. For the
    /// bureaus.
    pub async fn adoption_by_hospital(
        &self,
        actor: &Principal,
        day: Date,
    ) -> Result<Vec<HospitalFigures>> {
        require_any_bureau(actor, "read adoption figures")?;
        let (_, duties) = self.duties_on(day).await?;
        let hospitals = self.hospital_names().await?;
        Ok(figures::per_hospital(&hospitals, &duties, day))
    }

    async fn figures(&self, period: Quarter, as_of: Date) -> Result<Bulletin> {
        let (listed, duties) = self.duties_on(as_of).await?;
        let hospitals = self.hospital_names().await?;
        let usage = self.usage_totals(period).await?;
        Ok(figures::bulletin(
            period, as_of, &hospitals, &listed, &duties, &usage,
        ))
    }

    async fn hospital_names(&self) -> Result<Vec<(String, String)>> {
        Ok(self
            .bound_hospitals()
            .await?
            .into_iter()
            .map(|h| (h.id, h.name_zh))
            .collect())
    }
}
