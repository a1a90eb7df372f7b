//! `batch` and `transaction` Bundles. A transaction commits all its writes in one store
//! transaction or none; a batch runs each entry on its own and reports each outcome.

use std::collections::HashMap;

use fhir::{BundleKind, EntryResponse, Method, PlannedEntry, ReturnPreference, SearchRequest};
use records::WriteKind;
use serde_json::Value;
use store::sqlx::{self, Row};

use crate::write::{Prepared, located, outcome};
use crate::{Actor, Clinical, ClinicalError, Result, WriteOutcome};

/// Entries a transaction prepares between two turns given to other tasks.
const YIELD_EVERY: usize = 32;

/// The replay key of a transaction Bundle: its `identifier` as `system|value`. Batches are not
/// keyed: their entries succeed or fail one by one, so a replay is not all-or-nothing.
fn receipt_key(bundle: &Value) -> Option<String> {
    if bundle.get("type").and_then(Value::as_str) != Some("transaction") {
        return None;
    }
    let identifier = bundle.get("identifier")?;
    let value = identifier.get("value").and_then(Value::as_str)?;
    let system = identifier
        .get("system")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(format!("{system}|{value}"))
}

/// `W/"3"` or `3` → 3.
pub fn parse_etag(etag: &str) -> Option<i64> {
    etag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
}

/// A Bundle entry's response for a write, with the stored resource if the client wants it.
fn written(o: WriteOutcome, returning: ReturnPreference) -> EntryResponse {
    EntryResponse {
        status: if o.created { "201 Created" } else { "200 OK" }.into(),
        location: Some(format!(
            "{}/{}/_history/{}",
            o.resource_type, o.id, o.version
        )),
        etag: Some(format!("W/\"{}\"", o.version)),
        last_modified: Some(kernel::UtcMillis(o.last_updated).to_string()),
        resource: (returning == ReturnPreference::Representation).then_some(o.resource),
        outcome: None,
    }
}

fn failed(e: &ClinicalError) -> EntryResponse {
    EntryResponse {
        status: e.status().to_string(),
        outcome: Some(fhir::operation_outcome(&e.issues())),
        ..EntryResponse::default()
    }
}

impl Clinical {
    /// Runs a batch or transaction Bundle, answering with the stored resources;
    /// `base_url` names the server in search results.
    pub async fn bundle(&self, actor: &Actor, bundle: &Value, base_url: &str) -> Result<Value> {
        self.process_bundle(
            actor,
            bundle.clone(),
            base_url,
            ReturnPreference::Representation,
        )
        .await
    }

    /// Runs a batch or transaction Bundle, taking it over (its resources are moved into the
    /// store rather than copied), answering as `returning` asks.
    pub async fn process_bundle(
        &self,
        actor: &Actor,
        bundle: Value,
        base_url: &str,
        returning: ReturnPreference,
    ) -> Result<Value> {
        let key = receipt_key(&bundle);
        if let Some(key) = &key {
            if let Some(earlier) = self.claim_receipt(actor, key).await? {
                return Ok(earlier);
            }
        }
        let outcome = self.run_bundle(actor, bundle, base_url, returning).await;
        if let Some(key) = &key {
            self.settle_receipt(actor, key, outcome.as_ref().ok())
                .await?;
        }
        outcome
    }

    /// A transaction's identity for replays: `system|value` of `Bundle.identifier`.
    async fn claim_receipt(&self, actor: &Actor, key: &str) -> Result<Option<Value>> {
        let db = self.inner.records.db();
        let claimed = sqlx::query(
            "INSERT INTO clinical_bundle_receipts (organisation, identifier, status, created_at) \
             VALUES ($1, $2, 'processing', $3) ON CONFLICT (organisation, identifier) DO NOTHING",
        )
        .bind(&actor.organisation_id)
        .bind(key)
        .bind(kernel::UtcMillis::now().0)
        .execute(db.writer())
        .await
        .map_err(records::RecordsError::from)?
        .rows_affected();
        if claimed == 1 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT status, response FROM clinical_bundle_receipts \
             WHERE organisation = $1 AND identifier = $2",
        )
        .bind(&actor.organisation_id)
        .bind(key)
        .fetch_one(db.pool())
        .await
        .map_err(records::RecordsError::from)?;
        let status: String = row.try_get(0).map_err(records::RecordsError::from)?;
        let response: Option<String> = row.try_get(1).map_err(records::RecordsError::from)?;
        match (status.as_str(), response) {
            ("done", Some(text)) => Ok(Some(serde_json::from_str(&text).unwrap_or(Value::Null))),
            _ => Err(ClinicalError::InProgress(format!(
                "a transaction with identifier {key} is being processed; retry when it has finished"
            ))),
        }
    }

    /// Keeps the answer of a processed transaction (statuses and locations only), or frees the
    /// identifier when it failed so a corrected Bundle can be sent under it.
    async fn settle_receipt(&self, actor: &Actor, key: &str, answer: Option<&Value>) -> Result<()> {
        let db = self.inner.records.db();
        match answer {
            Some(answer) => {
                let mut minimal = answer.clone();
                if let Some(entries) = minimal.get_mut("entry").and_then(Value::as_array_mut) {
                    for e in entries {
                        if let Some(obj) = e.as_object_mut() {
                            obj.remove("resource");
                        }
                    }
                }
                sqlx::query(
                    "UPDATE clinical_bundle_receipts SET status = 'done', response = $1 \
                     WHERE organisation = $2 AND identifier = $3",
                )
                .bind(minimal.to_string())
                .bind(&actor.organisation_id)
                .bind(key)
                .execute(db.writer())
                .await
                .map_err(records::RecordsError::from)?;
            }
            None => {
                sqlx::query(
                    "DELETE FROM clinical_bundle_receipts WHERE organisation = $1 AND identifier = $2",
                )
                .bind(&actor.organisation_id)
                .bind(key)
                .execute(db.writer())
                .await
                .map_err(records::RecordsError::from)?;
            }
        }
        Ok(())
    }

    async fn run_bundle(
        &self,
        actor: &Actor,
        bundle: Value,
        base_url: &str,
        returning: ReturnPreference,
    ) -> Result<Value> {
        let plan = fhir::plan_bundle(bundle, &mut |_| kernel::Id::new().to_string())
            .map_err(ClinicalError::Invalid)?;
        let mut responses: Vec<Option<EntryResponse>> = vec![None; plan.entries.len()];
        match plan.kind {
            BundleKind::Batch => {
                let mut entries = plan.entries;
                for &n in &plan.order {
                    let entry = &mut entries[n];
                    let response = if entry.issues.is_empty() {
                        match self.batch_entry(actor, entry, base_url, returning).await {
                            Ok(r) => r,
                            Err(e) => failed(&e),
                        }
                    } else {
                        failed(&ClinicalError::Invalid(entry.issues.clone()))
                    };
                    responses[entry.index] = Some(response);
                }
            }
            BundleKind::Transaction => {
                self.transaction(
                    actor,
                    plan.entries,
                    &plan.order,
                    base_url,
                    returning,
                    &mut responses,
                )
                .await?;
            }
        }
        Ok(fhir::response_bundle(
            plan.kind,
            responses
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
        ))
    }

    async fn batch_entry(
        &self,
        actor: &Actor,
        entry: &mut PlannedEntry,
        base_url: &str,
        returning: ReturnPreference,
    ) -> Result<EntryResponse> {
        let resource = entry.resource.take().unwrap_or(Value::Null);
        match entry.method {
            Method::Post => Ok(written(
                self.create(actor, resource, entry.if_none_exist.as_deref())
                    .await?,
                returning,
            )),
            Method::Put => {
                let id = entry.id.as_deref().unwrap_or_default();
                let if_match = entry.if_match.as_deref().and_then(parse_etag);
                Ok(written(
                    self.update(actor, &entry.resource_type, id, resource, if_match)
                        .await?,
                    returning,
                ))
            }
            Method::Delete => {
                let id = entry.id.as_deref().unwrap_or_default();
                self.delete(actor, &entry.resource_type, id).await?;
                Ok(EntryResponse {
                    status: "204 No Content".into(),
                    ..EntryResponse::default()
                })
            }
            Method::Get => self.get_entry(actor, entry, base_url).await,
        }
    }

    async fn get_entry(
        &self,
        actor: &Actor,
        entry: &PlannedEntry,
        base_url: &str,
    ) -> Result<EntryResponse> {
        let stored = match (&entry.id, &entry.version) {
            (Some(id), Some(v)) => {
                let version = v.parse().map_err(|_| {
                    crate::write::invalid("Bundle.entry.request.url", "a version is a number")
                })?;
                self.vread(actor, &entry.resource_type, id, version).await?
            }
            (Some(id), None) => self.read(actor, &entry.resource_type, id).await?,
            (None, _) => {
                let request = SearchRequest::parse(&entry.resource_type, &entry.query, true)
                    .map_err(ClinicalError::Invalid)?;
                let found = self.search(actor, &request).await?;
                let bundle = fhir::searchset_bundle(
                    base_url,
                    Some(found.total),
                    found.matches.into_iter().map(|s| s.body).collect(),
                    found.includes.into_iter().map(|s| s.body).collect(),
                    Vec::new(),
                );
                return Ok(EntryResponse {
                    status: "200 OK".into(),
                    resource: Some(bundle),
                    ..EntryResponse::default()
                });
            }
        };
        Ok(EntryResponse {
            status: "200 OK".into(),
            etag: Some(format!("W/\"{}\"", stored.version)),
            last_modified: Some(kernel::UtcMillis(stored.last_updated).to_string()),
            resource: Some(stored.body),
            ..EntryResponse::default()
        })
    }

    async fn transaction(
        &self,
        actor: &Actor,
        mut entries: Vec<PlannedEntry>,
        order: &[usize],
        base_url: &str,
        returning: ReturnPreference,
        responses: &mut [Option<EntryResponse>],
    ) -> Result<()> {
        // Conditional creates that find their match write nothing; references to the entry's
        // planned id must then point at the match.
        let mut redirect = HashMap::new();
        for &n in order {
            let entry = &entries[n];
            let (Method::Post, Some(condition), Some(assigned)) =
                (entry.method, &entry.if_none_exist, &entry.assigned_id)
            else {
                continue;
            };
            if let Some(found) = self
                .find_existing(actor, &entry.resource_type, condition)
                .await?
            {
                redirect.insert(
                    format!("{}/{assigned}", entry.resource_type),
                    format!("{}/{}", found.resource_type, found.id),
                );
                responses[entry.index] = Some(written(found, returning));
            }
        }
        if !redirect.is_empty() {
            for entry in &mut entries {
                if let Some(resource) = entry.resource.as_mut() {
                    fhir::rewrite_references(resource, &redirect);
                }
            }
        }

        let referenced: Vec<String> = entries
            .iter()
            .filter(|e| e.resource_type != "Patient")
            .filter_map(|e| e.resource.as_ref().and_then(fhir::patient_reference))
            .collect();
        let mut placement = crate::write::Placement::default();
        self.preload(actor, &mut placement, referenced).await?;

        // Patients first, so the other entries find their resident.
        let mut writes: Vec<(usize, Prepared)> = Vec::new();
        let writing = |e: &PlannedEntry| e.method != Method::Get;
        let patients_first: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&n| writing(&entries[n]) && entries[n].resource_type == "Patient")
            .chain(
                order
                    .iter()
                    .copied()
                    .filter(|&n| writing(&entries[n]) && entries[n].resource_type != "Patient"),
            )
            .collect();
        for (k, n) in patients_first.into_iter().enumerate() {
            // Validating and indexing a large Bundle is CPU work without a pause; giving the
            // runtime a turn now and then lets the writer's task (another request's commit)
            // go on when its statement returns, rather than wait for this loop to end.
            if k % YIELD_EVERY == YIELD_EVERY - 1 {
                tokio::task::yield_now().await;
            }
            let entry = &mut entries[n];
            if responses[entry.index].is_some() {
                continue;
            }
            let at = format!("Bundle.entry[{}].resource.", entry.index);
            let id = entry
                .assigned_id
                .clone()
                .or_else(|| entry.id.clone())
                .unwrap_or_default();
            let prepared = match entry.method {
                Method::Delete => {
                    if !self
                        .check_existing_visible(actor, &entry.resource_type, &id)
                        .await?
                    {
                        responses[entry.index] = Some(EntryResponse {
                            status: "204 No Content".into(),
                            ..EntryResponse::default()
                        });
                        continue;
                    }
                    Clinical::deletion(&entry.resource_type, &id)
                }
                Method::Post | Method::Put => {
                    let kind = if entry.method == Method::Post {
                        WriteKind::Create
                    } else {
                        self.check_existing_visible(actor, &entry.resource_type, &id)
                            .await?;
                        WriteKind::Update {
                            if_match: entry.if_match.as_deref().and_then(parse_etag),
                        }
                    };
                    let resource = entry.resource.take().unwrap_or(Value::Null);
                    self.prepare(actor, kind, resource, &id, &mut placement, &at)
                        .await
                        .map_err(|e| match e {
                            ClinicalError::Invalid(issues) if !at.is_empty() => {
                                ClinicalError::Invalid(located(issues, ""))
                            }
                            other => other,
                        })?
                }
                Method::Get => continue,
            };
            if entry.resource_type == "Patient" {
                if let Some(resident) = &prepared.resident {
                    placement.learn(&id, resident);
                }
            }
            writes.push((entry.index, prepared));
        }
        let indexes: Vec<usize> = writes.iter().map(|(i, _)| *i).collect();
        let committed = self
            .commit(actor, writes.into_iter().map(|(_, p)| p).collect())
            .await?;
        for (index, (c, enrolled)) in indexes.into_iter().zip(committed) {
            responses[index] = Some(if c.body.is_none() {
                EntryResponse {
                    status: "204 No Content".into(),
                    ..EntryResponse::default()
                }
            } else {
                written(outcome(c, enrolled), returning)
            });
        }
        for &n in order {
            let entry = &entries[n];
            if entry.method == Method::Get {
                responses[entry.index] = Some(self.get_entry(actor, entry, base_url).await?);
            }
        }
        Ok(())
    }
}
