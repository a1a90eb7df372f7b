//! Counts for the dashboards: the drug pipeline funnel and companies by district.

use std::collections::BTreeMap;

use store::sqlx::{self, Row};

use super::Industry;
use crate::error::{IndustryError, Result};
use crate::product::DrugClass;
use crate::stage::{DRUG_FUNNEL, Stage, current_stage};

impl Industry {
    /// For each drug stage in order, how many innovative drugs (every class except generics)
    /// of companies in `city` have reached it: their current stage is that stage or a later
    /// one. A product that skipped a stage with a reason counts as having passed it.
    pub async fn pipeline_funnel(&self, city: &str) -> Result<Vec<(Stage, u64)>> {
        let found = sqlx::query(
            "SELECT e.product_id, e.stage FROM industry_stage_events e \
             JOIN industry_products p ON p.id = e.product_id \
             JOIN industry_companies c ON c.id = p.company_id \
             WHERE c.city = $1 AND p.kind = 'drug' AND p.drug_class <> $2",
        )
        .bind(city)
        .bind(DrugClass::Generic.key())
        .fetch_all(self.db.pool())
        .await?;
        let mut stages: BTreeMap<String, Vec<Stage>> = BTreeMap::new();
        for row in &found {
            let product: String = row.try_get(0)?;
            let key: String = row.try_get(1)?;
            let stage = Stage::from_key(&key)
                .ok_or_else(|| IndustryError::Corrupt(format!("stage: {key}")))?;
            stages.entry(product).or_default().push(stage);
        }
        let reached: Vec<u8> = stages
            .into_values()
            .filter_map(|s| current_stage(s).map(Stage::rank))
            .collect();
        Ok(DRUG_FUNNEL
            .iter()
            .map(|stage| {
                let count = reached.iter().filter(|r| **r >= stage.rank()).count();
                (*stage, count as u64)
            })
            .collect())
    }

    /// Registered companies per district key, for every district of the city (zero included),
    /// in the city crate's order.
    pub async fn companies_by_district(&self) -> Result<Vec<(String, u64)>> {
        let found =
            sqlx::query("SELECT district, COUNT(*) FROM industry_companies GROUP BY district")
                .fetch_all(self.db.pool())
                .await?;
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for row in &found {
            let district: String = row.try_get(0)?;
            let count: i64 = row.try_get(1)?;
            counts.insert(district, u64::try_from(count).unwrap_or(0));
        }
        Ok(city::districts()
            .all()
            .iter()
            .map(|d| (d.key.clone(), counts.get(&d.key).copied().unwrap_or(0)))
            .collect())
    }
}
