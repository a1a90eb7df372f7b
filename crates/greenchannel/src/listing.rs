//! The provincial listing (挂网) of a listed product, and what each hospital records about it:
//! entry into its procurement catalogue, or that it does not need the product clinically.

use std::collections::BTreeMap;

use access::Principal;
use jiff::civil::Date;
use kernel::UtcMillis;
use serde::Serialize;
use store::sqlx::{self, Row};

use crate::deadline::{AdoptionStatus, Decision, status_on};
use crate::duty::{Duty, ListedProduct, duties, listed_products};
use crate::error::{GreenChannelError, Result};
use crate::product::required;
use crate::service::{
    GreenChannel, is_unique_violation, not_future, parse_date, require_bureau, require_reader_of,
    require_staff, today,
};

/// When a product was listed on the provincial procurement platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvincialListing {
    pub product_id: String,
    pub listed_on: Date,
    /// Where the date comes from (the platform's notice, its reference).
    pub evidence: String,
    pub recorded_by: String,
    pub recorded_at: i64,
}

/// A hospital's duty for one product and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyStatus {
    pub listed: ListedProduct,
    pub status: AdoptionStatus,
}

impl GreenChannel {
    /// Records the day a product on a published list was listed on the provincial platform.
    /// From then, every bound hospital has its deadline. Recorded once per product.
    pub async fn record_listing(
        &self,
        actor: &Principal,
        product_id: &str,
        listed_on: Date,
        evidence: &str,
    ) -> Result<ProvincialListing> {
        require_bureau(
            actor,
            &self.rules.listing_recorders(),
            "record a provincial listing",
        )?;
        not_future("listed_on", listed_on)?;
        let evidence = required("evidence", evidence)?;
        self.require_on_a_list(product_id, today()).await?;
        let listing = ProvincialListing {
            product_id: product_id.to_owned(),
            listed_on,
            evidence,
            recorded_by: actor.user_id.clone(),
            recorded_at: UtcMillis::now().0,
        };
        let inserted = sqlx::query(
            "INSERT INTO gc_listings (product_id, listed_on, evidence, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&listing.product_id)
        .bind(listing.listed_on.to_string())
        .bind(&listing.evidence)
        .bind(&listing.recorded_by)
        .bind(listing.recorded_at)
        .execute(self.db.pool())
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(GreenChannelError::Duplicate {
                    what: "listing",
                    id: product_id.to_owned(),
                    hint: "the provincial listing date is already recorded",
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.record(
            Some(actor),
            "greenchannel.listing.record",
            ("gc_product", product_id),
            format!("{listed_on}:{}", listing.evidence).as_bytes(),
        )
        .await;
        Ok(listing)
    }

    /// The provincial listing of a product, if recorded.
    pub async fn listing(&self, product_id: &str) -> Result<Option<ProvincialListing>> {
        let row = sqlx::query(
            "SELECT product_id, listed_on, evidence, recorded_by, recorded_at FROM gc_listings \
             WHERE product_id = $1",
        )
        .bind(product_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            Ok(ProvincialListing {
                product_id: r.try_get(0)?,
                listed_on: parse_date(&r.try_get::<String, _>(1)?)?,
                evidence: r.try_get(2)?,
                recorded_by: r.try_get(3)?,
                recorded_at: r.try_get(4)?,
            })
        })
        .transpose()
    }

    /// A hospital's pharmacy or procurement staff record that the product entered its
    /// procurement catalogue on `adopted_on`. Replaces an earlier "not needed"; resolves the
    /// hospital's open alerts for the product.
    pub async fn record_adoption(
        &self,
        actor: &Principal,
        hospital_id: &str,
        product_id: &str,
        adopted_on: Date,
        catalogue_ref: &str,
    ) -> Result<AdoptionStatus> {
        require_staff(actor, hospital_id, self.rules, "record a catalogue entry")?;
        not_future("adopted_on", adopted_on)?;
        let catalogue_ref = required("catalogue_ref", catalogue_ref)?;
        let decision = Decision::Adopted {
            on: adopted_on,
            catalogue_ref,
        };
        self.decide(actor, hospital_id, product_id, decision).await
    }

    /// A hospital's staff declare a listed product not clinically needed, with the reason
    /// (rules `adoption.not_needed`). Refused once the product is in the catalogue.
    pub async fn declare_not_needed(
        &self,
        actor: &Principal,
        hospital_id: &str,
        product_id: &str,
        decided_on: Date,
        reason: &str,
    ) -> Result<AdoptionStatus> {
        require_staff(
            actor,
            hospital_id,
            self.rules,
            "declare a product not needed",
        )?;
        not_future("decided_on", decided_on)?;
        let reason = required("reason", reason)?;
        let decision = Decision::NotNeeded {
            on: decided_on,
            reason,
        };
        self.decide(actor, hospital_id, product_id, decision).await
    }

    async fn decide(
        &self,
        actor: &Principal,
        hospital_id: &str,
        product_id: &str,
        decision: Decision,
    ) -> Result<AdoptionStatus> {
        let day = today();
        let duty = self
            .duty(hospital_id, product_id, day)
            .await?
            .ok_or_else(|| GreenChannelError::NotListed {
                product_id: product_id.to_owned(),
            })?;
        match (&duty.decision, &decision) {
            (None, _) | (Some(Decision::NotNeeded { .. }), Decision::Adopted { .. }) => {}
            (Some(Decision::Adopted { .. }), _) => {
                return Err(GreenChannelError::Duplicate {
                    what: "adoption",
                    id: format!("{hospital_id}|{product_id}"),
                    hint: "the product is already in the hospital's procurement catalogue",
                });
            }
            (Some(Decision::NotNeeded { .. }), Decision::NotNeeded { .. }) => {
                return Err(GreenChannelError::Duplicate {
                    what: "adoption",
                    id: format!("{hospital_id}|{product_id}"),
                    hint: "the product is already declared not needed",
                });
            }
        }
        let (outcome, catalogue_ref, reason) = match &decision {
            Decision::Adopted { catalogue_ref, .. } => ("adopted", Some(catalogue_ref), None),
            Decision::NotNeeded { reason, .. } => ("not_needed", None, Some(reason)),
        };
        let now = UtcMillis::now().0;
        let mut tx = self.db.pool().begin().await?;
        if duty.decision.is_some() {
            sqlx::query(
                "DELETE FROM gc_decisions WHERE hospital_id = $1 AND product_id = $2 AND outcome = 'not_needed'",
            )
            .bind(hospital_id)
            .bind(product_id)
            .execute(&mut *tx)
            .await?;
        }
        let inserted = sqlx::query(
            "INSERT INTO gc_decisions (hospital_id, product_id, outcome, decided_on, catalogue_ref, \
             reason, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(hospital_id)
        .bind(product_id)
        .bind(outcome)
        .bind(decision.on().to_string())
        .bind(catalogue_ref)
        .bind(reason)
        .bind(&actor.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(GreenChannelError::Duplicate {
                    what: "adoption",
                    id: format!("{hospital_id}|{product_id}"),
                    hint: "someone at the hospital recorded it a moment ago",
                });
            }
            Err(e) => return Err(e.into()),
        }
        sqlx::query(
            "UPDATE gc_alerts SET resolved_at = $1 WHERE hospital_id = $2 AND product_id = $3 \
             AND resolved_at IS NULL",
        )
        .bind(now)
        .bind(hospital_id)
        .bind(product_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let action = match decision {
            Decision::Adopted { .. } => "greenchannel.adoption.record",
            Decision::NotNeeded { .. } => "greenchannel.adoption.not_needed",
        };
        self.record(
            Some(actor),
            action,
            ("gc_adoption", &format!("{hospital_id}|{product_id}")),
            serde_json::to_vec(&decision).unwrap_or_default().as_slice(),
        )
        .await;
        Ok(status_on(
            duty.listed.deadline,
            Some(&decision),
            day.max(decision.on()),
        ))
    }

    /// Where `hospital_id` stands on `day` with `product_id`: for the hospital's staff and the
    /// bureaus. Not found when the product does not bind the hospital on `day`.
    pub async fn adoption_status(
        &self,
        actor: &Principal,
        product_id: &str,
        hospital_id: &str,
        day: Date,
    ) -> Result<AdoptionStatus> {
        require_reader_of(
            actor,
            hospital_id,
            self.rules,
            "read a hospital's adoptions",
        )?;
        let duty = self
            .duty(hospital_id, product_id, day)
            .await?
            .ok_or_else(|| GreenChannelError::not_found("product", product_id))?;
        Ok(status_on(duty.listed.deadline, duty.decision.as_ref(), day))
    }

    /// Every product that binds `hospital_id` on `day`, with its standing, earliest deadline
    /// first: the hospital's work list.
    pub async fn duties_of(
        &self,
        actor: &Principal,
        hospital_id: &str,
        day: Date,
    ) -> Result<Vec<DutyStatus>> {
        require_reader_of(
            actor,
            hospital_id,
            self.rules,
            "read a hospital's adoptions",
        )?;
        let mut all: Vec<DutyStatus> = self
            .duties_on(day)
            .await?
            .1
            .into_iter()
            .filter(|d| d.hospital_id == hospital_id)
            .map(|d| DutyStatus {
                status: status_on(d.listed.deadline, d.decision.as_ref(), day),
                listed: d.listed,
            })
            .collect();
        all.sort_by(|a, b| {
            a.listed.deadline.cmp(&b.listed.deadline).then_with(|| {
                a.listed
                    .product
                    .product_id
                    .cmp(&b.listed.product.product_id)
            })
        });
        Ok(all)
    }

    /// The listed products and every bound hospital's duty on `day`.
    pub(crate) async fn duties_on(&self, day: Date) -> Result<(Vec<ListedProduct>, Vec<Duty>)> {
        let versions = self.load_versions(None).await?;
        let listings = self.listing_dates().await?;
        let listed = listed_products(self.rules, &versions, &listings, day);
        let hospitals: Vec<String> = self
            .bound_hospitals()
            .await?
            .into_iter()
            .map(|h| h.id)
            .collect();
        let decisions = self.decisions().await?;
        let all = duties(&listed, &hospitals, &decisions);
        Ok((listed, all))
    }

    async fn duty(&self, hospital_id: &str, product_id: &str, day: Date) -> Result<Option<Duty>> {
        let (_, all) = self.duties_on(day).await?;
        Ok(all
            .into_iter()
            .find(|d| d.hospital_id == hospital_id && d.listed.product.product_id == product_id))
    }

    /// Refuses unless the newest version of some list published by `day` has `product_id`.
    async fn require_on_a_list(&self, product_id: &str, day: Date) -> Result<()> {
        let versions = self.load_versions(None).await?;
        let on_a_list = self.rules.lists.iter().any(|list| {
            versions
                .iter()
                .filter(|v| v.list == list.code && v.published_on <= day)
                .max_by_key(|v| v.number)
                .is_some_and(|v| v.contains(product_id))
        });
        if on_a_list {
            Ok(())
        } else {
            Err(GreenChannelError::NotListed {
                product_id: product_id.to_owned(),
            })
        }
    }

    async fn listing_dates(&self) -> Result<BTreeMap<String, Date>> {
        let rows = sqlx::query("SELECT product_id, listed_on FROM gc_listings")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, parse_date(&r.try_get::<String, _>(1)?)?)))
            .collect()
    }

    async fn decisions(&self) -> Result<BTreeMap<(String, String), Decision>> {
        let rows = sqlx::query(
            "SELECT hospital_id, product_id, outcome, decided_on, catalogue_ref, reason FROM gc_decisions",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut all = BTreeMap::new();
        for r in &rows {
            let outcome: String = r.try_get(2)?;
            let on = parse_date(&r.try_get::<String, _>(3)?)?;
            let text = |i: usize| -> Result<String> {
                r.try_get::<Option<String>, _>(i)?.ok_or_else(|| {
                    GreenChannelError::Corrupt(format!("{outcome} without its text"))
                })
            };
            let decision = match outcome.as_str() {
                "adopted" => Decision::Adopted {
                    on,
                    catalogue_ref: text(4)?,
                },
                "not_needed" => Decision::NotNeeded {
                    on,
                    reason: text(5)?,
                },
                other => {
                    return Err(GreenChannelError::Corrupt(format!(
                        "adoption outcome `{other}`"
                    )));
                }
            };
            all.insert((r.try_get(0)?, r.try_get(1)?), decision);
        }
        Ok(all)
    }
}
