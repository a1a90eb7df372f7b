//! Who consents, as the research crate asks it ([`research::ResearchConsent`]), answered from
//! the residents' own directives ([`registry::Consents`], ADR 0012). The purpose follows the
//! requester's organisation: a company's requests use the residents' consent to commercial
//! research and development, everyone else's their consent to research.

use std::collections::BTreeSet;

use access::OrganisationKind;
use registry::{Consents, SharingPurpose};
use research::{ConsentError, ResearchConsent};

use super::Failure;
use crate::error::AppError;
use crate::state::AppState;

/// The residents' directives for one purpose.
#[derive(Clone)]
pub struct PlatformConsent {
    consents: Consents,
    purpose: SharingPurpose,
}

impl PlatformConsent {
    /// Consent to `purpose`, read from `consents`.
    pub fn new(consents: Consents, purpose: SharingPurpose) -> PlatformConsent {
        PlatformConsent { consents, purpose }
    }
}

/// The purpose of data used by an organisation of `kind`: commercial for companies, research
/// for universities, institutes and hospitals (and anyone else).
pub fn purpose_for(kind: OrganisationKind) -> SharingPurpose {
    match kind {
        OrganisationKind::Company => SharingPurpose::Commercial,
        _ => SharingPurpose::Research,
    }
}

impl ResearchConsent for PlatformConsent {
    async fn consenting(&self, resident_ids: &[String]) -> Result<BTreeSet<String>, ConsentError> {
        self.consents
            .consenting(self.purpose, resident_ids)
            .await
            .map_err(|e| Box::new(e) as ConsentError)
    }
}

/// The consent that governs data used by organisation `organisation_id` (a request's
/// requester's). An unknown organisation is an error, never a guess at the purpose.
pub async fn for_organisation(
    app: &AppState,
    organisation_id: Option<&str>,
) -> Result<PlatformConsent, Failure> {
    let id = organisation_id.ok_or_else(|| {
        Failure::from(AppError::Internal(
            "research request without an organisation".into(),
        ))
    })?;
    let organisation = app
        .accounts
        .organisation(id)
        .await
        .map_err(|e| Failure::from(AppError::from(e)))?
        .ok_or_else(|| {
            Failure::from(AppError::Internal(format!(
                "organisation {id} of a research request does not exist"
            )))
        })?;
    Ok(PlatformConsent::new(
        app.clinical.consents().clone(),
        purpose_for(organisation.kind),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companies_use_commercial_consent_and_everyone_else_research_consent() {
        assert_eq!(
            purpose_for(OrganisationKind::Company),
            SharingPurpose::Commercial
        );
        for kind in [
            OrganisationKind::University,
            OrganisationKind::ResearchInstitute,
            OrganisationKind::Hospital,
            OrganisationKind::MunicipalBureau,
        ] {
            assert_eq!(purpose_for(kind), SharingPurpose::Research, "{kind}");
        }
    }
}
