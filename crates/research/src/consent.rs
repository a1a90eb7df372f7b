//! Who consents to research. Consent is managed elsewhere (issue 4, "Consent and sharing");
//! this crate asks through [`ResearchConsent`] at the moment it builds a release or answers an
//! aggregate query, so a revocation takes effect at the next one.

use std::collections::{BTreeSet, HashSet};
use std::future::Future;

/// Why the consent source could not answer.
pub type ConsentError = Box<dyn std::error::Error + Send + Sync>;

/// Answers which residents consent to their data being used for research.
pub trait ResearchConsent: Sync {
    /// Of `resident_ids`, those who consent to research now.
    fn consenting(
        &self,
        resident_ids: &[String],
    ) -> impl Future<Output = Result<BTreeSet<String>, ConsentError>> + Send;
}

/// A fixed set of consenting residents (tests, the demo, a snapshot).
impl ResearchConsent for BTreeSet<String> {
    async fn consenting(&self, resident_ids: &[String]) -> Result<BTreeSet<String>, ConsentError> {
        Ok(resident_ids
            .iter()
            .filter(|id| self.contains(*id))
            .cloned()
            .collect())
    }
}

/// A fixed set of consenting residents.
impl ResearchConsent for HashSet<String> {
    async fn consenting(&self, resident_ids: &[String]) -> Result<BTreeSet<String>, ConsentError> {
        Ok(resident_ids
            .iter()
            .filter(|id| self.contains(*id))
            .cloned()
            .collect())
    }
}
