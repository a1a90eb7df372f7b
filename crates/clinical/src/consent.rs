//! Residents deciding what they share: each decision commits, in one transaction, the
//! directive itself, the record links it changes (so every search path sees it at once) and
//! the FHIR Consent that represents it; then it goes on the ledger.

use records::{AlsoWrite, PatientLinks, Write, WriteKind};
use registry::{Consents, Directive, Proxy, Sharing, SharingDecision, SharingPurpose};
use serde_json::{Value, json};

use crate::audit::Subject;
use crate::{Actor, Clinical, ClinicalError, Result};

/// FHIR code system of the platform's sharing purposes.
pub const PURPOSE_SYSTEM: &str =
    "https://lifehealth.nanjing.gov.cn/fhir/CodeSystem/sharing-purpose";

/// The links a resident's record gets: the organisations that sent records of them while they
/// share with their care team, and their community health centre and district while they share
/// for community care and public health.
pub(crate) fn links_for(
    patient_id: &str,
    sources: Vec<String>,
    community_centre: Option<String>,
    district: Option<String>,
    sharing: Sharing,
) -> PatientLinks {
    let mut organisations = if sharing.care_team {
        sources
    } else {
        Vec::new()
    };
    if sharing.community {
        organisations.extend(community_centre);
    }
    organisations.sort();
    organisations.dedup();
    PatientLinks {
        patient_id: patient_id.to_owned(),
        organisations,
        district: district.filter(|_| sharing.community),
    }
}

/// The id of the FHIR Consent that represents one purpose of one resident.
pub fn consent_resource_id(resident_id: &str, purpose: SharingPurpose) -> String {
    format!("{resident_id}-{}", purpose.code())
}

/// The FHIR R4 Consent for a directive. `patient` is one of the resident's Patient ids.
pub fn consent_resource(directive: &Directive, patient: Option<&str>) -> Value {
    let definition = directive.purpose.definition();
    // A purpose on by default is an opt-out policy; one that needs a yes is opt-in.
    let policy = if directive.purpose.default_granted() {
        "OPTOUT"
    } else {
        "OPTIN"
    };
    let scope = match directive.purpose {
        SharingPurpose::Research | SharingPurpose::Commercial => "research",
        SharingPurpose::CareTeam | SharingPurpose::Community => "patient-privacy",
    };
    let mut consent = json!({
        "resourceType": "Consent",
        "id": consent_resource_id(&directive.resident_id, directive.purpose),
        "status": "active",
        "scope": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
            "code": scope
        }] },
        "category": [{ "coding": [{ "system": "http://loinc.org", "code": "59284-0" }] }],
        "policyRule": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": policy
        }] },
        "provision": {
            "type": if directive.granted { "permit" } else { "deny" },
            "purpose": [
                { "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": definition.act_reason },
                { "system": PURPOSE_SYSTEM, "code": directive.purpose.code(), "display": definition.name_zh }
            ]
        }
    });
    if let Some(at) = directive.decided_at
        && let Ok(ts) = jiff::Timestamp::from_millisecond(at)
    {
        consent["dateTime"] = Value::String(ts.to_string());
    }
    if let Some(patient) = patient {
        consent["patient"] = json!({ "reference": format!("Patient/{patient}") });
        // The resident decided, or a household member for them (named only by reference
        // to the resident's record, never by name).
        consent["performer"] = json!([{ "reference": format!("Patient/{patient}") }]);
    }
    consent
}

impl Clinical {
    /// The directives store.
    pub fn consents(&self) -> &Consents {
        &self.inner.consents
    }

    /// Whom the user acts for: their own resident record(s), then the residents who
    /// authorised one of them as household proxy.
    pub async fn residents_acted_for(&self, user_id: &str) -> Result<(Vec<String>, Vec<String>)> {
        let own = self.inner.residents.residents_of_user(user_id).await?;
        let represented = self.inner.consents.represented_by(&own).await?;
        Ok((own, represented))
    }

    /// Which of the user's residents acts for `resident_id`: `Ok(None)` when it is their own
    /// record, `Ok(Some(proxy))` when a household member of theirs authorised them.
    async fn acting_for(&self, actor: &Actor, resident_id: &str) -> Result<Option<String>> {
        let own = self
            .inner
            .residents
            .residents_of_user(&actor.user_id)
            .await?;
        if own.iter().any(|r| r == resident_id) {
            return Ok(None);
        }
        for mine in &own {
            let proxies = self.inner.consents.proxies_of(resident_id).await?;
            if proxies.iter().any(|p| &p.proxy_resident_id == mine) {
                return Ok(Some(mine.clone()));
            }
        }
        Err(ClinicalError::Forbidden(
            "only the resident, or a household member they authorised, decides what they share",
        ))
    }

    /// The resident's sharing directives, for the resident or their proxy.
    pub async fn sharing_of(&self, actor: &Actor, resident_id: &str) -> Result<Vec<Directive>> {
        self.acting_for(actor, resident_id).await?;
        Ok(self.inner.consents.directives(resident_id).await?)
    }

    /// Records a resident's decision on one purpose: the directive, the links of their record
    /// and its FHIR Consent commit together; the change goes on the ledger.
    pub async fn decide_sharing(
        &self,
        actor: &Actor,
        resident_id: &str,
        purpose: SharingPurpose,
        granted: bool,
    ) -> Result<Directive> {
        let proxy_resident_id = self.acting_for(actor, resident_id).await?;
        self.apply_decision(actor, resident_id, purpose, granted, proxy_resident_id)
            .await
    }

    /// Records a decision the resident signed on paper at their community health centre or
    /// hospital (a resident without a platform account): entered by a doctor whose reach
    /// covers the resident, with the same effect and ledger entry as the resident's own.
    pub async fn record_signed_consent(
        &self,
        actor: &Actor,
        resident_id: &str,
        purpose: SharingPurpose,
        granted: bool,
    ) -> Result<Directive> {
        if !actor.write {
            return Err(ClinicalError::Forbidden(
                "entering a signed consent form needs a hospital or community doctor's role",
            ));
        }
        if !self.may_see_resident(actor, resident_id).await? {
            return Err(ClinicalError::NotFound {
                resource_type: "Patient".into(),
                id: resident_id.into(),
            });
        }
        self.apply_decision(actor, resident_id, purpose, granted, None)
            .await
    }

    async fn apply_decision(
        &self,
        actor: &Actor,
        resident_id: &str,
        purpose: SharingPurpose,
        granted: bool,
        proxy_resident_id: Option<String>,
    ) -> Result<Directive> {
        let Some(resident) = self.inner.residents.resident(resident_id).await? else {
            return Err(ClinicalError::NotFound {
                resource_type: "Patient".into(),
                id: resident_id.into(),
            });
        };
        let decision = SharingDecision {
            resident_id: resident_id.to_owned(),
            purpose,
            granted,
            at: kernel::UtcMillis::now().0,
            by: actor.user_id.clone(),
            proxy_resident_id,
        };
        let directive = decision.directive();

        let mut sharing = self.inner.consents.sharing(resident_id).await?;
        match purpose {
            SharingPurpose::CareTeam => sharing.care_team = granted,
            SharingPurpose::Community => sharing.community = granted,
            SharingPurpose::Research | SharingPurpose::Commercial => {}
        }
        let sources = self
            .inner
            .residents
            .sources(resident_id)
            .await?
            .into_iter()
            .map(|(org, _)| org)
            .collect();
        let links = links_for(
            resident_id,
            sources,
            resident.care.community_centre_id.clone(),
            resident.care.district.clone(),
            sharing,
        );

        let patient = self.first_patient_of(resident_id).await?;
        let body = consent_resource(&directive, patient.as_deref());
        if let Err(issues) = fhir::validate(&body) {
            let blocking: Vec<_> = issues
                .into_iter()
                .filter(fhir::Issue::is_blocking)
                .collect();
            if !blocking.is_empty() {
                return Err(ClinicalError::Invalid(blocking));
            }
        }
        let write = Write {
            kind: WriteKind::Update { if_match: None },
            resource_type: "Consent".into(),
            id: consent_resource_id(resident_id, purpose),
            index: crate::translate::index_rows("Consent", &body),
            body: Some(body),
            patient_id: Some(resident_id.to_owned()),
        };
        let stored = decision.clone();
        let also = AlsoWrite {
            links: vec![links],
            then: Some(Box::new(move |conn| {
                Box::pin(async move {
                    Consents::decide_on(conn, &stored)
                        .await
                        .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
                })
            })),
        };
        let committed = self.inner.records.commit_with(vec![write], also).await?;
        let data = committed
            .first()
            .and_then(|c| c.json.clone())
            .unwrap_or_default();
        let action = if granted {
            "consent.grant"
        } else {
            "consent.revoke"
        };
        self.audit(
            actor,
            action,
            Subject::Resident(resident_id),
            data.as_bytes(),
        )
        .await;
        Ok(directive)
    }

    /// Lets a household member act for the resident (see their records, decide on sharing).
    pub async fn authorise_proxy(
        &self,
        actor: &Actor,
        resident_id: &str,
        proxy_resident_id: &str,
    ) -> Result<Proxy> {
        if self.acting_for(actor, resident_id).await?.is_some() {
            return Err(ClinicalError::Forbidden(
                "only the resident themself can authorise a household member",
            ));
        }
        let proxy = self
            .inner
            .consents
            .authorise_proxy(
                resident_id,
                proxy_resident_id,
                &actor.user_id,
                kernel::UtcMillis::now().0,
            )
            .await?;
        self.audit(
            actor,
            "consent.proxy-grant",
            Subject::Resident(resident_id),
            proxy_resident_id.as_bytes(),
        )
        .await;
        Ok(proxy)
    }

    /// Withdraws a household member's authorisation.
    pub async fn revoke_proxy(
        &self,
        actor: &Actor,
        resident_id: &str,
        proxy_resident_id: &str,
    ) -> Result<bool> {
        if self.acting_for(actor, resident_id).await?.is_some() {
            return Err(ClinicalError::Forbidden(
                "only the resident themself can withdraw a household member's authorisation",
            ));
        }
        let revoked = self
            .inner
            .consents
            .revoke_proxy(resident_id, proxy_resident_id)
            .await?;
        if revoked {
            self.audit(
                actor,
                "consent.proxy-revoke",
                Subject::Resident(resident_id),
                proxy_resident_id.as_bytes(),
            )
            .await;
        }
        Ok(revoked)
    }

    /// One of the resident's Patient resources (the lowest id), for references.
    async fn first_patient_of(&self, resident_id: &str) -> Result<Option<String>> {
        Ok(self
            .inner
            .records
            .patient_resource_ids(resident_id)
            .await?
            .into_iter()
            .next())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn sharing(care_team: bool, community: bool) -> Sharing {
        Sharing {
            care_team,
            community,
        }
    }

    #[test]
    fn links_follow_each_purpose() {
        let sources = vec!["hospital-b".to_owned(), "hospital-a".to_owned()];
        let all = links_for(
            "r1",
            sources.clone(),
            Some("centre".into()),
            Some("gulou".into()),
            sharing(true, true),
        );
        assert_eq!(all.organisations, ["centre", "hospital-a", "hospital-b"]);
        assert_eq!(all.district.as_deref(), Some("gulou"));

        let no_care = links_for(
            "r1",
            sources.clone(),
            Some("centre".into()),
            Some("gulou".into()),
            sharing(false, true),
        );
        assert_eq!(no_care.organisations, ["centre"]);
        assert_eq!(no_care.district.as_deref(), Some("gulou"));

        let no_community = links_for(
            "r1",
            sources.clone(),
            Some("centre".into()),
            Some("gulou".into()),
            sharing(true, false),
        );
        assert_eq!(no_community.organisations, ["hospital-a", "hospital-b"]);
        assert_eq!(no_community.district, None);

        let none = links_for(
            "r1",
            sources,
            Some("centre".into()),
            Some("gulou".into()),
            sharing(false, false),
        );
        assert!(none.organisations.is_empty());
        assert_eq!(none.district, None);
    }

    #[test]
    fn consent_resources_are_valid_r4_and_say_permit_or_deny() {
        for purpose in SharingPurpose::ALL {
            for granted in [true, false] {
                let directive = SharingDecision {
                    resident_id: "r1".into(),
                    purpose,
                    granted,
                    at: 1_764_000_000_000,
                    by: "u1".into(),
                    proxy_resident_id: None,
                }
                .directive();
                let body = consent_resource(&directive, Some("p1"));
                let blocking: Vec<_> = fhir::validate(&body)
                    .err()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(fhir::Issue::is_blocking)
                    .collect();
                assert!(blocking.is_empty(), "{purpose:?}: {blocking:?}");
                assert_eq!(
                    body["provision"]["type"],
                    if granted { "permit" } else { "deny" }
                );
                assert_eq!(body["patient"]["reference"], "Patient/p1");
                assert_eq!(
                    body["policyRule"]["coding"][0]["code"],
                    if purpose.default_granted() {
                        "OPTOUT"
                    } else {
                        "OPTIN"
                    }
                );
            }
        }
    }
}
