//! Uncertain matches of the master index, decided by the staff of the organisation that sent
//! the record: they see the incoming record and, for each candidate, only what matched and
//! what did not (masked), never the candidate's record itself.

use registry::{MatchReview, ReviewDecision};

use crate::audit::Subject;
use crate::{Actor, Clinical, ClinicalError, Result};

impl Clinical {
    /// Whether `actor` decides reviews of records sent by `organisation_id`.
    fn decides_for(actor: &Actor, organisation_id: &str) -> bool {
        use access::RecordScope;
        actor.write
            && match &actor.read {
                Some(RecordScope::City) => true,
                Some(RecordScope::Linked { organisations, .. }) => {
                    organisations.iter().any(|o| o == organisation_id)
                }
                _ => false,
            }
    }

    /// The open reviews the actor may decide, oldest first.
    pub async fn open_reviews(&self, actor: &Actor) -> Result<Vec<MatchReview>> {
        let reviews = self.inner.residents.open_reviews(500).await?;
        Ok(reviews
            .into_iter()
            .filter(|r| Self::decides_for(actor, &r.organisation_id))
            .collect())
    }

    /// Decides a review: the provisional record joins the chosen resident's record (or
    /// becomes a resident of its own), and the decision is on the ledger.
    pub async fn decide_review(
        &self,
        actor: &Actor,
        review_id: &str,
        decision: ReviewDecision,
    ) -> Result<String> {
        let review = self
            .inner
            .residents
            .review(review_id)
            .await?
            .filter(|r| Self::decides_for(actor, &r.organisation_id))
            .ok_or_else(|| ClinicalError::NotFound {
                resource_type: "review".into(),
                id: review_id.to_owned(),
            })?;
        let merged = matches!(decision, ReviewDecision::SameAs(_));
        let resident = self
            .inner
            .residents
            .decide_review(&review.id, decision, &actor.user_id, || {
                kernel::Id::new().to_string()
            })
            .await?;
        self.inner
            .records
            .rekey_patient(&review.id, &resident)
            .await?;
        self.link_resident(&resident).await?;
        // Diagnoses sent while the record waited for review enrol the resident now.
        let now = kernel::UtcMillis::now().0;
        let waited = self
            .inner
            .records
            .compartment(&resident, crate::EVERYTHING_LIMIT)
            .await?;
        for stored in waited.iter().filter(|s| s.resource_type == "Condition") {
            for finding in self.case_findings(actor, &resident, &stored.body) {
                self.inner
                    .registers
                    .enrol(&finding, || kernel::Id::new().to_string(), now)
                    .await?;
            }
        }
        let action = if merged {
            "registry.merge"
        } else {
            "registry.distinct"
        };
        self.audit(
            actor,
            action,
            Subject::Resident(&resident),
            review.id.as_bytes(),
        )
        .await;
        Ok(resident)
    }
}
