//! Products in a company's pipeline and their stage events.

use access::Principal;
use kernel::UtcMillis;
use store::sqlx;

use super::companies::not_found as company_not_found;
use super::rows::{self, PRODUCT_COLUMNS};
use super::{Industry, today};
use crate::error::{IndustryError, Result};
use crate::permission::may_edit;
use crate::product::{NewProduct, Product};
use crate::stage::{NewStageEvent, Stage, StageEvent, check_stage, current_stage};

impl Industry {
    /// Adds a product to a company's pipeline. Names are unique within a company.
    pub async fn add_product(&self, actor: &Principal, new: NewProduct) -> Result<Product> {
        let mut tx = self.db.writer().begin().await?;
        let company = rows::company_by_id(&mut tx, &new.company_id)
            .await?
            .ok_or_else(|| company_not_found(&new.company_id))?;
        may_edit(actor, &company)?;
        new.validate(today())?;
        let product = Product {
            id: kernel::Id::new().to_string(),
            company_id: company.id.clone(),
            name: new.name.trim().to_owned(),
            kind: new.kind,
            started: new.started,
            created_at: UtcMillis::now().0,
        };
        rows::insert_product(&mut tx, &product, &actor.user_id).await?;
        tx.commit().await?;
        self.record(
            actor,
            "industry.product.add",
            ("product", &product.id),
            format!(
                "{}|{}|{}|{}",
                product.company_id,
                product.name,
                product.kind.zh(),
                product.started
            )
            .as_bytes(),
        )
        .await;
        Ok(product)
    }

    /// Records a stage of a product: dated, evidenced, fitting the product's kind, after the
    /// stage it requires (or with the reason it was skipped), once.
    pub async fn record_stage(
        &self,
        actor: &Principal,
        product_id: &str,
        new: NewStageEvent,
    ) -> Result<StageEvent> {
        let mut tx = self.db.writer().begin().await?;
        let product = rows::product_by_id(&mut tx, product_id)
            .await?
            .ok_or_else(|| product_not_found(product_id))?;
        let company = rows::company_by_id(&mut tx, &product.company_id)
            .await?
            .ok_or_else(|| company_not_found(&product.company_id))?;
        may_edit(actor, &company)?;
        let recorded: Vec<(Stage, jiff::civil::Date)> = rows::events_of(&mut tx, product_id)
            .await?
            .into_iter()
            .map(|e| (e.stage, e.on))
            .collect();
        let checked = check_stage(&product.kind, &recorded, &new, today())?;
        let event = StageEvent {
            id: kernel::Id::new().to_string(),
            product_id: product_id.to_owned(),
            stage: checked.stage,
            on: checked.on,
            evidence: checked.evidence,
            evidence_sha256: checked.evidence_sha256,
            skips_with_reason: checked.skips_with_reason,
            first_in_country: checked.first_in_country,
            recorded_by: actor.user_id.clone(),
            recorded_at: UtcMillis::now().0,
        };
        rows::insert_event(&mut tx, &event).await?;
        tx.commit().await?;
        self.record(
            actor,
            "industry.stage.record",
            ("product", product_id),
            stage_digest(&event).as_bytes(),
        )
        .await;
        Ok(event)
    }

    pub async fn product(&self, product_id: &str) -> Result<Product> {
        let mut conn = self.db.pool().acquire().await?;
        rows::product_by_id(&mut conn, product_id)
            .await?
            .ok_or_else(|| product_not_found(product_id))
    }

    /// A company's products, by name (public register data).
    pub async fn products_of(&self, company_id: &str) -> Result<Vec<Product>> {
        let found = sqlx::query(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM industry_products WHERE company_id = $1 ORDER BY name, id"
        ))
        .bind(company_id)
        .fetch_all(self.db.pool())
        .await?;
        found.iter().map(rows::product).collect()
    }

    /// A product's stage events, in date order.
    pub async fn stage_events(&self, product_id: &str) -> Result<Vec<StageEvent>> {
        let mut conn = self.db.pool().acquire().await?;
        rows::events_of(&mut conn, product_id).await
    }

    /// A product's current stage: its furthest domestic stage, if any is recorded.
    pub async fn current_stage(&self, product_id: &str) -> Result<Option<Stage>> {
        let events = self.stage_events(product_id).await?;
        Ok(current_stage(events.iter().map(|e| e.stage)))
    }
}

pub(crate) fn product_not_found(id: &str) -> IndustryError {
    IndustryError::not_found("产品", "product", id)
}

pub(crate) fn stage_digest(e: &StageEvent) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}",
        e.id,
        e.product_id,
        e.stage.key(),
        e.on,
        e.evidence,
        e.evidence_sha256.as_deref().unwrap_or(""),
        e.skips_with_reason.as_deref().unwrap_or(""),
        e.first_in_country
    )
}
