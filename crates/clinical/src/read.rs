//! Reading records: read, vread, history, search with includes, and `Patient/$everything`.
//! Visibility is part of every store query; each resident whose data is returned is recorded
//! on the ledger.

use std::collections::BTreeSet;

use fhir::{IndexValue, SearchRequest};
use records::{Condition, Query, SortKey, Stored};

use crate::audit::Subject;
use crate::{Actor, Clinical, ClinicalError, Result, translate};

/// One page of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOutcome {
    pub matches: Vec<Stored>,
    /// Resources added by `_include` and `_revinclude` (visible ones only).
    pub includes: Vec<Stored>,
    /// Matches in all pages (only what the actor may see is counted).
    pub total: u64,
    pub more: bool,
}

/// Most resources `$everything` returns in one response.
pub const EVERYTHING_LIMIT: usize = 5_000;

impl Clinical {
    /// The current version of a resource, if the actor may see it.
    pub async fn read(&self, actor: &Actor, resource_type: &str, id: &str) -> Result<Stored> {
        let stored = self.inner.records.read(resource_type, id).await?;
        self.check_visible(actor, &stored).await?;
        if stored.deleted {
            return Err(ClinicalError::Gone {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
            });
        }
        self.audit_read(actor, "fhir.read", std::slice::from_ref(&stored))
            .await;
        Ok(stored)
    }

    /// One version of a resource, if the actor may see the resource.
    pub async fn vread(
        &self,
        actor: &Actor,
        resource_type: &str,
        id: &str,
        version: i64,
    ) -> Result<Stored> {
        let stored = self.inner.records.vread(resource_type, id, version).await?;
        self.check_visible(actor, &stored).await?;
        self.audit_read(actor, "fhir.vread", std::slice::from_ref(&stored))
            .await;
        Ok(stored)
    }

    /// Every version of a resource, newest first.
    pub async fn history(
        &self,
        actor: &Actor,
        resource_type: &str,
        id: &str,
    ) -> Result<Vec<Stored>> {
        let versions = self.inner.records.history(resource_type, id).await?;
        // Visibility follows the resident of any version (a resource does not change record).
        if let Some(v) = versions
            .iter()
            .find(|v| v.patient_id.is_some())
            .or(versions.first())
        {
            self.check_visible(actor, v).await?;
        }
        if let Some(latest) = versions.first() {
            self.audit_read(actor, "fhir.history", std::slice::from_ref(latest))
                .await;
        }
        Ok(versions)
    }

    async fn check_visible(&self, actor: &Actor, stored: &Stored) -> Result<()> {
        let visible = match &stored.patient_id {
            Some(resident) => self.may_see_resident(actor, resident).await?,
            None => {
                // Outside any resident's record: any reader of records may see it.
                self.visibility(actor).await?;
                true
            }
        };
        if visible {
            Ok(())
        } else {
            Err(ClinicalError::NotFound {
                resource_type: stored.resource_type.clone(),
                id: stored.id.clone(),
            })
        }
    }

    /// Records one ledger entry per resident whose data is in `returned`.
    async fn audit_read(&self, actor: &Actor, action: &str, returned: &[Stored]) {
        let residents: BTreeSet<&str> = returned
            .iter()
            .filter_map(|s| s.patient_id.as_deref())
            .collect();
        for resident in residents {
            let data: Vec<u8> = returned
                .iter()
                .filter(|s| s.patient_id.as_deref() == Some(resident))
                .flat_map(|s| format!("{}/{}/{};", s.resource_type, s.id, s.version).into_bytes())
                .collect();
            self.audit(actor, action, Subject::Resident(resident), &data)
                .await;
        }
    }

    /// A search, restricted to what the actor may see, with its includes.
    pub async fn search(&self, actor: &Actor, request: &SearchRequest) -> Result<SearchOutcome> {
        let visibility = self.visibility(actor).await?;
        let query = translate::query(request, visibility.clone())?;
        let total = self.inner.records.count(&query).await?;
        if request.summary_count || request.count == Some(0) {
            return Ok(SearchOutcome {
                matches: Vec::new(),
                includes: Vec::new(),
                total,
                more: false,
            });
        }
        let page = self.inner.records.search(&query).await?;
        let mut includes = Vec::new();
        let mut seen: BTreeSet<(String, String)> = page
            .resources
            .iter()
            .map(|r| (r.resource_type.clone(), r.id.clone()))
            .collect();
        for spec in &request.include {
            let Some(param) = fhir::search_param(&spec.source_type, &spec.param) else {
                continue;
            };
            let mut targets: Vec<(String, String)> = Vec::new();
            for resource in page
                .resources
                .iter()
                .filter(|r| r.resource_type == spec.source_type)
            {
                for value in fhir::param_values(param, &resource.body) {
                    if let IndexValue::Reference {
                        target_type: Some(t),
                        id: Some(id),
                        ..
                    } = value
                    {
                        if spec.target_type.as_ref().is_none_or(|want| *want == t) {
                            targets.push((t, id));
                        }
                    }
                }
            }
            for (t, id) in targets {
                if !seen.insert((t.clone(), id.clone())) {
                    continue;
                }
                let q = Query {
                    resource_type: t,
                    all_of: vec![vec![Condition::Id(id)]],
                    visibility: visibility.clone(),
                    sort: vec![],
                    count: 1,
                    offset: 0,
                };
                includes.extend(self.inner.records.search(&q).await?.resources);
            }
        }
        for spec in &request.revinclude {
            let references: Vec<Condition> = page
                .resources
                .iter()
                .filter(|r| {
                    spec.target_type
                        .as_ref()
                        .is_none_or(|t| *t == r.resource_type)
                })
                .map(|r| {
                    translate::reference_condition(
                        &spec.source_type,
                        &spec.param,
                        Some(r.resource_type.clone()),
                        r.id.clone(),
                    )
                })
                .collect();
            if references.is_empty() || fhir::search_param(&spec.source_type, &spec.param).is_none()
            {
                continue;
            }
            let q = Query {
                resource_type: spec.source_type.clone(),
                all_of: vec![references],
                visibility: visibility.clone(),
                sort: vec![SortKey::LastUpdated { descending: true }],
                count: fhir::MAX_COUNT,
                offset: 0,
            };
            for r in self.inner.records.search(&q).await?.resources {
                if seen.insert((r.resource_type.clone(), r.id.clone())) {
                    includes.push(r);
                }
            }
        }
        let mut returned = page.resources.clone();
        returned.extend(includes.iter().cloned());
        self.audit_read(actor, "fhir.search", &returned).await;
        Ok(SearchOutcome {
            matches: page.resources,
            includes,
            total,
            more: page.more,
        })
    }

    /// A resident's whole record (every source), for the timeline page; on the ledger with the
    /// actor's purpose.
    pub async fn resident_record(&self, actor: &Actor, resident_id: &str) -> Result<Vec<Stored>> {
        if !self.may_see_resident(actor, resident_id).await? {
            return Err(ClinicalError::NotFound {
                resource_type: "Resident".into(),
                id: resident_id.to_owned(),
            });
        }
        let all = self
            .inner
            .records
            .compartment(resident_id, EVERYTHING_LIMIT)
            .await?;
        self.audit(
            actor,
            "record.view",
            crate::audit::Subject::Resident(resident_id),
            format!("{} resources", all.len()).as_bytes(),
        )
        .await;
        Ok(all)
    }

    /// `Patient/$everything`: the Patient and every resource in the resident's record (from
    /// every source organisation, since the record is the resident's).
    pub async fn everything(&self, actor: &Actor, patient_id: &str) -> Result<Vec<Stored>> {
        let patient = self.read(actor, "Patient", patient_id).await?;
        let Some(resident) = patient.patient_id.clone() else {
            return Ok(vec![patient]);
        };
        let mut all = self
            .inner
            .records
            .compartment(&resident, EVERYTHING_LIMIT)
            .await?;
        // The requested Patient first, as clients expect.
        all.sort_by_key(|r| !(r.resource_type == "Patient" && r.id == patient_id));
        self.audit_read(actor, "fhir.everything", &all).await;
        Ok(all)
    }
}
