//! Creating, updating and deleting resources: validation, placement in a resident's record,
//! the actor's reach, case finding and the ledger.

use std::collections::HashMap;
use std::io::Write as _;

use fhir::{Issue, IssueCode, SearchRequest};
use records::{AlsoWrite, Committed, PatientLinks, Write, WriteKind};
use registry::{Enrolment, Resolution, SourceRecord};
use serde_json::Value;

use crate::audit::Subject;
use crate::{Actor, Clinical, ClinicalError, Result, patient, translate};

/// The result of a create or update.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOutcome {
    pub resource_type: String,
    pub id: String,
    pub version: i64,
    pub last_updated: i64,
    /// The stored resource (with id and meta).
    pub resource: Value,
    /// Whether a new resource came into being (false: an update, or a conditional create that
    /// found its match).
    pub created: bool,
    /// Registers the write enrolled the resident in.
    pub enrolled: Vec<Enrolment>,
}

/// What one request has learnt about the records it writes into, so a Bundle of a thousand
/// Observations for ten patients looks each patient up, and checks the actor's reach to
/// them, once.
#[derive(Default)]
pub(crate) struct Placement {
    /// Patient id → resident, for Patients written or looked up in this request.
    residents: HashMap<String, String>,
    /// Residents the actor's reach was checked against and found to cover.
    reachable: std::collections::HashSet<String>,
}

impl Placement {
    pub(crate) fn learn(&mut self, patient_id: &str, resident: &str) {
        self.residents
            .insert(patient_id.to_owned(), resident.to_owned());
        self.reachable.insert(resident.to_owned());
    }
}

/// A write ready to commit, with the resident whose record it joins.
pub(crate) struct Prepared {
    pub write: Write,
    pub resident: Option<String>,
}

/// Types a client may not write: the ledger is the audit trail.
const READ_ONLY_TYPES: &[&str] = &["AuditEvent"];

pub(crate) fn invalid(expression: &str, diagnostics: impl Into<String>) -> ClinicalError {
    ClinicalError::Invalid(vec![Issue::error(
        IssueCode::Invalid,
        expression,
        diagnostics,
    )])
}

/// Prefixes each issue's path, to locate it inside a Bundle entry.
pub(crate) fn located(issues: Vec<Issue>, prefix: &str) -> Vec<Issue> {
    if prefix.is_empty() {
        return issues;
    }
    issues
        .into_iter()
        .map(|mut i| {
            // `Observation.valueQuantity` inside an entry is `Bundle.entry[0].resource.valueQuantity`.
            let within = match i.expression.split_once('.') {
                Some((head, rest)) if head.starts_with(char::is_uppercase) => rest.to_owned(),
                None if i.expression.starts_with(char::is_uppercase) => String::new(),
                _ => i.expression.clone(),
            };
            i.expression = if within.is_empty() {
                prefix.trim_end_matches('.').to_owned()
            } else {
                format!("{prefix}{within}")
            };
            i
        })
        .collect()
}

impl Clinical {
    fn check_writer(actor: &Actor, resource_type: &str) -> Result<()> {
        if READ_ONLY_TYPES.contains(&resource_type) {
            return Err(ClinicalError::ReadOnly(
                "AuditEvent is read-only: the ledger records every access by itself",
            ));
        }
        if !actor.write {
            return Err(ClinicalError::Forbidden(
                "recording health data needs a hospital or community doctor's role",
            ));
        }
        Ok(())
    }

    /// Validates `resource` as `resource_type/id` and places it in a resident's record.
    /// `local` maps Patient ids written in the same transaction to their residents; `at`
    /// prefixes issue paths (`Bundle.entry[2].resource.`).
    pub(crate) async fn prepare(
        &self,
        actor: &Actor,
        kind: WriteKind,
        mut resource: Value,
        id: &str,
        placement: &mut Placement,
        at: &str,
    ) -> Result<Prepared> {
        let resource_type = resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Self::check_writer(actor, &resource_type)?;
        if let Some(obj) = resource.as_object_mut() {
            obj.insert("id".into(), Value::String(id.to_owned()));
            // Provenance: the organisation that sent this version, as authenticated (a
            // client's own claim is not kept, since it cannot be checked).
            let meta = obj
                .entry("meta")
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert(
                    "source".into(),
                    Value::String(source_uri(&actor.organisation_id)),
                );
            }
        }
        let mut blocking: Vec<Issue> = match fhir::validate(&resource) {
            Ok(()) => Vec::new(),
            Err(issues) => issues.into_iter().filter(Issue::is_blocking).collect(),
        };
        blocking.extend(crate::plausible::problems(
            &resource,
            self.inner.catalogue,
            kernel::UtcMillis::now().0,
        ));
        if !blocking.is_empty() {
            return Err(ClinicalError::Invalid(located(blocking, at)));
        }
        let resident = if resource_type == "Patient" {
            Some(self.resolve_patient(actor, id, &resource).await?)
        } else if let Some(patient_id) = fhir::patient_reference(&resource) {
            Some(self.resident_of(actor, &patient_id, placement, at).await?)
        } else {
            None
        };
        let index = translate::index_rows(&resource_type, &resource);
        Ok(Prepared {
            write: Write {
                kind,
                resource_type,
                id: id.to_owned(),
                body: Some(resource),
                patient_id: resident.clone(),
                index,
            },
            resident,
        })
    }

    /// The resident a Patient record is of, by the master index. An uncertain match waits for
    /// review in a record of its own, visible to the sending organisation only.
    async fn resolve_patient(&self, actor: &Actor, id: &str, resource: &Value) -> Result<String> {
        let source = SourceRecord {
            organisation_id: actor.organisation_id.clone(),
            source_patient_id: id.to_owned(),
            facts: patient::facts(resource),
        };
        let resolution = self
            .inner
            .residents
            .resolve(&source, || kernel::Id::new().to_string())
            .await?;
        Ok(match resolution {
            Resolution::Existing { resident_id, .. } | Resolution::Created { resident_id } => {
                resident_id
            }
            Resolution::PendingReview { review_id } => review_id,
        })
    }

    /// Looks up the residents of many Patients at once, and the actor's reach to them, so a
    /// Bundle costs two queries for its patients rather than two for each resource.
    pub(crate) async fn preload(
        &self,
        actor: &Actor,
        placement: &mut Placement,
        mut patient_ids: Vec<String>,
    ) -> Result<()> {
        patient_ids.retain(|p| !placement.residents.contains_key(p));
        patient_ids.sort();
        patient_ids.dedup();
        if patient_ids.is_empty() {
            return Ok(());
        }
        let found: Vec<(String, String)> = self
            .inner
            .records
            .patients_of("Patient", &patient_ids)
            .await?
            .into_iter()
            .filter_map(|(id, resident)| resident.map(|r| (id, r)))
            .collect();
        let mut residents: Vec<String> = found.iter().map(|(_, r)| r.clone()).collect();
        residents.sort();
        residents.dedup();
        let visibility = self.visibility(actor).await?;
        let reachable = self
            .inner
            .records
            .visible_patients(&residents, &visibility)
            .await?;
        for (patient, resident) in found {
            if reachable.contains(&resident) {
                placement.learn(&patient, &resident);
            }
        }
        Ok(())
    }

    /// The resident whose record `Patient/patient_id` is, if the actor may write into it.
    async fn resident_of(
        &self,
        actor: &Actor,
        patient_id: &str,
        placement: &mut Placement,
        at: &str,
    ) -> Result<String> {
        if let Some(resident) = placement.residents.get(patient_id) {
            return Ok(resident.clone());
        }
        let stored = match self.inner.records.read("Patient", patient_id).await {
            Ok(stored) if !stored.deleted => stored,
            Ok(_) => {
                return Err(invalid(
                    at.trim_end_matches('.'),
                    format!("the resource refers to Patient/{patient_id}, which was deleted"),
                ));
            }
            Err(records::RecordsError::NotFound { .. } | records::RecordsError::Deleted { .. }) => {
                return Err(invalid(
                    at.trim_end_matches('.'),
                    format!(
                        "the resource refers to Patient/{patient_id}, which does not exist; create the Patient first (or in the same transaction)"
                    ),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let Some(resident) = stored.patient_id else {
            return Err(invalid(at, format!("Patient/{patient_id} has no record")));
        };
        if !placement.reachable.contains(&resident)
            && !self.may_see_resident(actor, &resident).await?
        {
            return Err(ClinicalError::PatientOutOfScope(patient_id.to_owned()));
        }
        placement.learn(patient_id, &resident);
        Ok(resident)
    }

    /// Commits prepared writes in one transaction, then links, enrols and audits.
    pub(crate) async fn commit(
        &self,
        actor: &Actor,
        prepared: Vec<Prepared>,
    ) -> Result<Vec<(Committed, Vec<Enrolment>)>> {
        let residents: Vec<Option<String>> = prepared.iter().map(|p| p.resident.clone()).collect();
        // What the commit writes besides the records, in its transaction: a Patient's links
        // (it becomes visible to its sender exactly when it exists) and the enrolments its
        // diagnoses cause.
        let mut also = AlsoWrite::default();
        let mut findings = Vec::new();
        for (n, p) in prepared.iter().enumerate() {
            let Some(resident) = &p.resident else {
                continue;
            };
            if p.write.resource_type == "Patient" {
                also.links.extend(self.links_of(resident).await?);
            }
            if let Some(body) = &p.write.body {
                let found = self.case_findings(actor, resident, body);
                findings.extend(found.into_iter().map(|f| (n, f)));
            }
        }
        let enrolments = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        if !findings.is_empty() {
            also.then = Some(crate::cases::enrol_with_records(
                findings,
                enrolments.clone(),
            ));
        }
        let committed = self
            .inner
            .records
            .commit_with(prepared.into_iter().map(|p| p.write).collect(), also)
            .await?;
        let mut enrolled_by: HashMap<usize, Vec<Enrolment>> = HashMap::new();
        for (n, e) in std::mem::take(
            &mut *enrolments
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ) {
            enrolled_by.entry(n).or_default().push(e);
        }
        let mut out = Vec::with_capacity(committed.len());
        let mut measured = Vec::new();
        // One ledger entry per resident and action for the whole commit, hashing every
        // version it wrote: a Bundle of a thousand Observations is one access to each record.
        let mut accesses: std::collections::BTreeMap<(&'static str, String, String), Vec<u8>> =
            std::collections::BTreeMap::new();
        for (n, (c, resident)) in committed.into_iter().zip(residents).enumerate() {
            let enrolled = enrolled_by.remove(&n).unwrap_or_default();
            measured.extend(self.measured(resident.as_deref(), &c));
            let action = match (&c.body, c.created) {
                (None, _) => "fhir.delete",
                (Some(_), true) => "fhir.create",
                (Some(_), false) => "fhir.update",
            };
            let (kind, subject) = match &resident {
                Some(r) => ("resident".to_owned(), r.clone()),
                None => ("fhir".to_owned(), format!("{}/{}", c.resource_type, c.id)),
            };
            let data = accesses.entry((action, kind, subject)).or_default();
            // Writing into a Vec cannot fail.
            let _ = write!(data, "{}/{}/{};", c.resource_type, c.id, c.version);
            if let Some(json) = &c.json {
                data.extend_from_slice(json.as_bytes());
            }
            out.push((c, enrolled));
        }
        self.record_measures(measured).await?;
        let events = accesses
            .iter()
            .map(|((action, kind, subject), data)| {
                let subject = if kind == "resident" {
                    Subject::Resident(subject)
                } else {
                    Subject::Reference(subject)
                };
                (*action, subject, data.as_slice())
            })
            .collect();
        self.audit_all(actor, events).await;
        Ok(out)
    }

    /// Makes the resident's record visible through every organisation that sent a record of
    /// them, their community health centre, and their district.
    pub async fn link_resident(&self, resident_id: &str) -> Result<()> {
        if let Some(links) = self.links_of(resident_id).await? {
            self.inner.records.set_patient_links(&links).await?;
        }
        Ok(())
    }

    /// The links a resident's record should have: every organisation that sent a record of
    /// them, their community health centre and their district, as far as the resident shares
    /// for each purpose (`consent::links_for`); for a provisional record
    /// waiting for review, its sender only. None for an unknown id.
    async fn links_of(&self, resident_id: &str) -> Result<Option<PatientLinks>> {
        let Some(resident) = self.inner.residents.resident(resident_id).await? else {
            return Ok(self
                .inner
                .residents
                .review(resident_id)
                .await?
                .map(|review| PatientLinks {
                    patient_id: resident_id.to_owned(),
                    organisations: vec![review.organisation_id],
                    district: None,
                }));
        };
        let sources = self
            .inner
            .residents
            .sources(resident_id)
            .await?
            .into_iter()
            .map(|(org, _)| org)
            .collect();
        let sharing = self.inner.consents.sharing(resident_id).await?;
        Ok(Some(crate::consent::links_for(
            resident_id,
            sources,
            resident.care.community_centre_id,
            resident.care.district,
            sharing,
        )))
    }

    /// FHIR create, or conditional create when `if_none_exist` is given (the query part of a
    /// search URL): an existing single match is returned instead of creating a duplicate.
    pub async fn create(
        &self,
        actor: &Actor,
        resource: Value,
        if_none_exist: Option<&str>,
    ) -> Result<WriteOutcome> {
        let resource_type = resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !fhir::is_resource_type(&resource_type) {
            return Err(invalid(
                "resourceType",
                format!("`{resource_type}` is not an R4 resource type"),
            ));
        }
        Self::check_writer(actor, &resource_type)?;
        if let Some(condition) = if_none_exist {
            if let Some(existing) = self.find_existing(actor, &resource_type, condition).await? {
                return Ok(existing);
            }
        }
        let id = kernel::Id::new().to_string();
        self.write_one(actor, WriteKind::Create, resource, &id)
            .await
    }

    /// Prepares and commits one resource.
    async fn write_one(
        &self,
        actor: &Actor,
        kind: WriteKind,
        resource: Value,
        id: &str,
    ) -> Result<WriteOutcome> {
        let prepared = self
            .prepare(actor, kind, resource, id, &mut Placement::default(), "")
            .await?;
        let mut done = self.commit(actor, vec![prepared]).await?;
        let (c, enrolled) = done
            .pop()
            .ok_or_else(|| invalid("", "nothing was written"))?;
        Ok(outcome(c, enrolled))
    }

    /// The one resource matching a conditional create's condition, if any.
    pub(crate) async fn find_existing(
        &self,
        actor: &Actor,
        resource_type: &str,
        condition: &str,
    ) -> Result<Option<WriteOutcome>> {
        let params = fhir::parse_query(condition.trim_start_matches('?'));
        let request =
            SearchRequest::parse(resource_type, &params, false).map_err(ClinicalError::Invalid)?;
        let visibility = self.visibility(actor).await?;
        let mut query = translate::query(&request, visibility)?;
        query.count = 2;
        query.offset = 0;
        let total = self.inner.records.count(&query).await?;
        match total {
            0 => Ok(None),
            1 => {
                let page = self.inner.records.search(&query).await?;
                let Some(found) = page.resources.into_iter().next() else {
                    return Ok(None);
                };
                self.audit(
                    actor,
                    "fhir.read",
                    Subject::of(found.patient_id.as_deref(), &found.resource_type, &found.id),
                    found.body.to_string().as_bytes(),
                )
                .await;
                Ok(Some(WriteOutcome {
                    resource_type: found.resource_type,
                    id: found.id,
                    version: found.version,
                    last_updated: found.last_updated,
                    resource: found.body,
                    created: false,
                    enrolled: Vec::new(),
                }))
            }
            n => Err(ClinicalError::AmbiguousCondition(n)),
        }
    }

    /// FHIR update (creating the resource under the client's id if it is new). With
    /// `if_match`, only if the current version is that one.
    pub async fn update(
        &self,
        actor: &Actor,
        resource_type: &str,
        id: &str,
        resource: Value,
        if_match: Option<i64>,
    ) -> Result<WriteOutcome> {
        if resource.get("resourceType").and_then(Value::as_str) != Some(resource_type) {
            return Err(invalid(
                "resourceType",
                format!("the body must be a {resource_type}, as the URL says"),
            ));
        }
        if let Some(body_id) = resource.get("id").and_then(Value::as_str) {
            if body_id != id {
                return Err(invalid(
                    &format!("{resource_type}.id"),
                    format!("the body's id `{body_id}` differs from the id `{id}` in the URL"),
                ));
            }
        }
        if !fhir::is_id(id) {
            return Err(invalid(
                &format!("{resource_type}.id"),
                "an id is 1 to 64 letters, digits, `-` and `.`",
            ));
        }
        Self::check_writer(actor, resource_type)?;
        self.check_existing_visible(actor, resource_type, id)
            .await?;
        self.write_one(actor, WriteKind::Update { if_match }, resource, id)
            .await
    }

    /// Refuses to touch an existing resource the actor cannot see (as if it did not exist).
    pub(crate) async fn check_existing_visible(
        &self,
        actor: &Actor,
        resource_type: &str,
        id: &str,
    ) -> Result<bool> {
        match self.inner.records.read(resource_type, id).await {
            Ok(current) if current.deleted => Ok(false),
            Ok(current) => {
                if let Some(resident) = &current.patient_id {
                    if !self.may_see_resident(actor, resident).await? {
                        return Err(ClinicalError::NotFound {
                            resource_type: resource_type.to_owned(),
                            id: id.to_owned(),
                        });
                    }
                }
                Ok(true)
            }
            Err(records::RecordsError::NotFound { .. } | records::RecordsError::Deleted { .. }) => {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// FHIR delete: the resource's versions stay in its history.
    pub async fn delete(&self, actor: &Actor, resource_type: &str, id: &str) -> Result<()> {
        Self::check_writer(actor, resource_type)?;
        if !self
            .check_existing_visible(actor, resource_type, id)
            .await?
        {
            return Ok(());
        }
        self.commit(actor, vec![Self::deletion(resource_type, id)])
            .await?;
        Ok(())
    }

    pub(crate) fn deletion(resource_type: &str, id: &str) -> Prepared {
        Prepared {
            write: Write {
                kind: WriteKind::Delete,
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
                body: None,
                patient_id: None,
                index: Vec::new(),
            },
            resident: None,
        }
    }
}

/// The `meta.source` of what `organisation_id` sends.
pub fn source_uri(organisation_id: &str) -> String {
    format!("urn:lifehealth:organisation:{organisation_id}")
}

/// The organisation a `meta.source` names, when this platform set it.
pub fn source_organisation(resource: &Value) -> Option<&str> {
    resource
        .pointer("/meta/source")
        .and_then(Value::as_str)
        .and_then(|s| s.strip_prefix("urn:lifehealth:organisation:"))
}

pub(crate) fn outcome(c: Committed, enrolled: Vec<Enrolment>) -> WriteOutcome {
    WriteOutcome {
        resource_type: c.resource_type,
        id: c.id,
        version: c.version,
        last_updated: c.last_updated,
        resource: c.body.unwrap_or(Value::Null),
        created: c.created,
        enrolled,
    }
}
