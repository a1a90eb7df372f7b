//! Usage of listed products: each hospital reports, per product and quarter, the quantity and
//! the amount in yuan it bought (nanjing-2020 三（五）3: the bureau monitors 采购使用). One report
//! per hospital, product and quarter; a correction needs a reason and keeps the figures it
//! replaced.

use access::Principal;
use kernel::{Id, UtcMillis};
use serde::Serialize;
use store::sqlx::{self, Row, any::AnyRow};

use crate::error::{GreenChannelError, Result};
use crate::figures::UsageTotals;
use crate::period::Quarter;
use crate::product::required;
use crate::service::{GreenChannel, is_unique_violation, require_reader_of, require_staff, today};

/// One report of usage, in force or replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageReport {
    pub hospital_id: String,
    pub product_id: String,
    pub period: Quarter,
    pub quantity: i64,
    pub amount_yuan: i64,
    pub reported_by: String,
    pub reported_at: i64,
    /// Why these figures replaced earlier ones (none for a first report).
    pub reason: Option<String>,
}

fn report_from_row(r: &AnyRow) -> Result<UsageReport> {
    Ok(UsageReport {
        hospital_id: r.try_get(0)?,
        product_id: r.try_get(1)?,
        period: r.try_get::<String, _>(2)?.parse().map_err(|_| {
            GreenChannelError::Corrupt("a usage report's period is not a quarter".into())
        })?,
        quantity: r.try_get(3)?,
        amount_yuan: r.try_get(4)?,
        reported_by: r.try_get(5)?,
        reported_at: r.try_get(6)?,
        reason: r.try_get(7)?,
    })
}

const COLUMNS: &str =
    "hospital_id, product_id, period, quantity, amount_yuan, reported_by, reported_at, reason";

/// Refuses a negative quantity or amount.
fn check_figures(quantity: i64, amount_yuan: i64) -> Result<()> {
    if quantity < 0 {
        return Err(GreenChannelError::Negative {
            field: "quantity",
            value: quantity,
        });
    }
    if amount_yuan < 0 {
        return Err(GreenChannelError::Negative {
            field: "amount_yuan",
            value: amount_yuan,
        });
    }
    Ok(())
}

impl GreenChannel {
    /// A hospital's staff report a quarter's usage of a product that is or was on a list.
    /// Refused for a quarter that has not begun, and when the quarter is already reported
    /// (correct it with [`GreenChannel::correct_usage`]).
    pub async fn report_usage(
        &self,
        actor: &Principal,
        hospital_id: &str,
        product_id: &str,
        period: Quarter,
        quantity: i64,
        amount_yuan: i64,
    ) -> Result<UsageReport> {
        self.check_usage(
            actor,
            hospital_id,
            product_id,
            period,
            quantity,
            amount_yuan,
        )
        .await?;
        let report = UsageReport {
            hospital_id: hospital_id.to_owned(),
            product_id: product_id.to_owned(),
            period,
            quantity,
            amount_yuan,
            reported_by: actor.user_id.clone(),
            reported_at: UtcMillis::now().0,
            reason: None,
        };
        let inserted = sqlx::query(&format!(
            "INSERT INTO gc_usage ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)"
        ))
        .bind(hospital_id)
        .bind(product_id)
        .bind(period.to_string())
        .bind(quantity)
        .bind(amount_yuan)
        .bind(&report.reported_by)
        .bind(report.reported_at)
        .execute(self.db.pool())
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(GreenChannelError::Duplicate {
                    what: "usage report",
                    id: format!("{hospital_id}|{product_id}|{period}"),
                    hint: "this quarter is reported; correct it with a reason",
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.record(
            Some(actor),
            "greenchannel.usage.report",
            ("gc_usage", &format!("{hospital_id}|{product_id}|{period}")),
            format!("{quantity}:{amount_yuan}").as_bytes(),
        )
        .await;
        Ok(report)
    }

    /// Replaces a reported quarter's figures, with the reason; the replaced figures are kept.
    #[allow(clippy::too_many_arguments)]
    pub async fn correct_usage(
        &self,
        actor: &Principal,
        hospital_id: &str,
        product_id: &str,
        period: Quarter,
        quantity: i64,
        amount_yuan: i64,
        reason: &str,
    ) -> Result<UsageReport> {
        self.check_usage(
            actor,
            hospital_id,
            product_id,
            period,
            quantity,
            amount_yuan,
        )
        .await?;
        let reason = required("reason", reason)?;
        let key = format!("{hospital_id}|{product_id}|{period}");
        let mut tx = self.db.pool().begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM gc_usage WHERE hospital_id = $1 AND product_id = $2 AND period = $3"
        ))
        .bind(hospital_id)
        .bind(product_id)
        .bind(period.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| GreenChannelError::not_found("usage report", &key))?;
        let old = report_from_row(&row)?;
        let now = UtcMillis::now().0;
        sqlx::query(
            "INSERT INTO gc_usage_history (id, hospital_id, product_id, period, quantity, amount_yuan, \
             reported_by, reported_at, reason, replaced_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(Id::new().to_string())
        .bind(hospital_id)
        .bind(product_id)
        .bind(period.to_string())
        .bind(old.quantity)
        .bind(old.amount_yuan)
        .bind(&old.reported_by)
        .bind(old.reported_at)
        .bind(&old.reason)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Only the figures read above are replaced: a concurrent correction makes this one
        // fail rather than silently drop the other's history.
        let done = sqlx::query(
            "UPDATE gc_usage SET quantity = $1, amount_yuan = $2, reported_by = $3, reported_at = $4, \
             reason = $5 WHERE hospital_id = $6 AND product_id = $7 AND period = $8 AND reported_at = $9",
        )
        .bind(quantity)
        .bind(amount_yuan)
        .bind(&actor.user_id)
        .bind(now)
        .bind(&reason)
        .bind(hospital_id)
        .bind(product_id)
        .bind(period.to_string())
        .bind(old.reported_at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(GreenChannelError::WrongState {
                what: "usage report",
                id: key,
                state: "corrected by someone else".into(),
                expected: "unchanged since it was read; reload and correct again",
            });
        }
        tx.commit().await?;
        self.record(
            Some(actor),
            "greenchannel.usage.correct",
            ("gc_usage", &key),
            format!("{quantity}:{amount_yuan}:{reason}").as_bytes(),
        )
        .await;
        Ok(UsageReport {
            hospital_id: hospital_id.to_owned(),
            product_id: product_id.to_owned(),
            period,
            quantity,
            amount_yuan,
            reported_by: actor.user_id.clone(),
            reported_at: now,
            reason: Some(reason),
        })
    }

    /// A quarter's reports for a hospital and product: the replaced ones oldest first, then
    /// the one in force. For the hospital's staff and the bureaus.
    pub async fn usage_history(
        &self,
        actor: &Principal,
        hospital_id: &str,
        product_id: &str,
        period: Quarter,
    ) -> Result<Vec<UsageReport>> {
        require_reader_of(actor, hospital_id, self.rules, "read usage reports")?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM gc_usage_history WHERE hospital_id = $1 AND product_id = $2 \
             AND period = $3 ORDER BY replaced_at, id"
        ))
        .bind(hospital_id)
        .bind(product_id)
        .bind(period.to_string())
        .fetch_all(self.db.pool())
        .await?;
        let mut all = rows
            .iter()
            .map(report_from_row)
            .collect::<Result<Vec<_>>>()?;
        let current = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM gc_usage WHERE hospital_id = $1 AND product_id = $2 AND period = $3"
        ))
        .bind(hospital_id)
        .bind(product_id)
        .bind(period.to_string())
        .fetch_optional(self.db.pool())
        .await?;
        if let Some(r) = current {
            all.push(report_from_row(&r)?);
        }
        Ok(all)
    }

    /// Usage in force for `period`, summed per product (in Rust: the reports of a quarter are
    /// few, and a SQL SUM answers NUMERIC on PostgreSQL).
    pub(crate) async fn usage_totals(&self, period: Quarter) -> Result<UsageTotals> {
        let rows =
            sqlx::query("SELECT product_id, quantity, amount_yuan FROM gc_usage WHERE period = $1")
                .bind(period.to_string())
                .fetch_all(self.db.pool())
                .await?;
        let mut totals = UsageTotals::new();
        for r in &rows {
            let (quantity, amount): (i64, i64) = (r.try_get(1)?, r.try_get(2)?);
            let entry = totals.entry(r.try_get(0)?).or_insert((0, 0));
            entry.0 = entry.0.saturating_add(quantity);
            entry.1 = entry.1.saturating_add(amount);
        }
        Ok(totals)
    }

    async fn check_usage(
        &self,
        actor: &Principal,
        hospital_id: &str,
        product_id: &str,
        period: Quarter,
        quantity: i64,
        amount_yuan: i64,
    ) -> Result<()> {
        require_staff(actor, hospital_id, self.rules, "report usage")?;
        check_figures(quantity, amount_yuan)?;
        if period.first_day() > today() {
            return Err(GreenChannelError::PeriodNotEnded {
                period: period.to_string(),
                ends: period.last_day(),
            });
        }
        let ever_listed = self
            .load_versions(None)
            .await?
            .iter()
            .any(|v| v.contains(product_id));
        if !ever_listed {
            return Err(GreenChannelError::NotListed {
                product_id: product_id.to_owned(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_figures_are_refused() {
        assert!(check_figures(0, 0).is_ok());
        assert!(matches!(
            check_figures(-1, 0),
            Err(GreenChannelError::Negative {
                field: "quantity",
                value: -1
            })
        ));
        assert!(matches!(
            check_figures(3, -5),
            Err(GreenChannelError::Negative {
                field: "amount_yuan",
                ..
            })
        ));
    }
}
