//! FHIR Bulk Data `$export` (system, Patient and Group level): an asynchronous job that
//! writes the caller's reach of the record store as NDJSON, polled for status, its files
//! fetched by the same caller, and deleted after a day. Every resident exported is on the
//! ledger under `fhir.export`.

use std::collections::BTreeMap;

use records::{Comparator, Condition, Query, SortKey, Visibility};
use serde_json::{Value, json};
use store::sqlx::{self, Row};

use crate::audit::Subject;
use crate::{Actor, Clinical, ClinicalError, Result};

/// How long finished exports stay available, in milliseconds.
pub const EXPORT_RETENTION_MS: i64 = 24 * 3_600_000;

/// Resources per NDJSON part (one file in the manifest).
pub const RESOURCES_PER_PART: usize = 1_000;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportLevel {
    /// Everything in the caller's reach.
    System,
    /// Every resource in the records of the patients in reach.
    Patient,
    /// The records of the Group's members.
    Group(String),
}

/// The state of an export job.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportStatus {
    InProgress {
        progress: String,
    },
    /// The completion manifest (Bulk Data IG), with file URLs relative to the FHIR base.
    Completed {
        manifest: Value,
    },
    Failed {
        message: String,
    },
}

fn not_found(id: &str) -> ClinicalError {
    ClinicalError::NotFound {
        resource_type: "export".into(),
        id: id.to_owned(),
    }
}

impl Clinical {
    /// Starts an export job and returns its id. `types` limits the resource types (`_type`),
    /// `since` to resources changed at or after it (`_since`, Unix ms).
    pub async fn start_export(
        &self,
        actor: &Actor,
        level: ExportLevel,
        types: Option<Vec<String>>,
        since: Option<i64>,
        request_url: &str,
    ) -> Result<String> {
        let visibility = self.visibility(actor).await?;
        if let Some(types) = &types {
            let unknown: Vec<&String> = types
                .iter()
                .filter(|t| !fhir::is_resource_type(t))
                .collect();
            if !unknown.is_empty() {
                return Err(crate::write::invalid(
                    "_type",
                    format!(
                        "not R4 resource types: {}",
                        unknown
                            .iter()
                            .map(|t| t.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        // A Group must exist and be visible before the job is accepted.
        if let ExportLevel::Group(id) = &level {
            self.read(actor, "Group", id).await?;
        }
        let now = kernel::UtcMillis::now().0;
        let id = kernel::Id::new().to_string();
        let db = self.inner.records.db();
        sqlx::query("DELETE FROM clinical_export_jobs WHERE expires_at < $1")
            .bind(now)
            .execute(db.pool())
            .await
            .map_err(records::RecordsError::from)?;
        sqlx::query(
            "INSERT INTO clinical_export_jobs (id, owner, request, status, progress, created_at, \
             transaction_time, expires_at) VALUES ($1, $2, $3, 'in-progress', 'queued', $4, $4, $5)",
        )
        .bind(&id)
        .bind(&actor.user_id)
        .bind(request_url)
        .bind(now)
        .bind(now + EXPORT_RETENTION_MS)
        .execute(db.pool())
        .await
        .map_err(records::RecordsError::from)?;
        let service = self.clone();
        let actor = actor.clone();
        let job = id.clone();
        tokio::spawn(async move {
            let outcome = service
                .run_export(&actor, &job, level, types, since, visibility, now)
                .await;
            let (status, error) = match &outcome {
                Ok(()) => ("completed", None),
                Err(e) => ("failed", Some(e.to_string())),
            };
            if let Err(e) = &outcome {
                tracing::error!(error = %e, job, "export failed");
            }
            let _ = sqlx::query(
                "UPDATE clinical_export_jobs SET status = $1, error = $2, finished_at = $3 \
                 WHERE id = $4 AND status = 'in-progress'",
            )
            .bind(status)
            .bind(error)
            .bind(kernel::UtcMillis::now().0)
            .bind(&job)
            .execute(service.inner.records.db().pool())
            .await;
        });
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_export(
        &self,
        actor: &Actor,
        job: &str,
        level: ExportLevel,
        types: Option<Vec<String>>,
        since: Option<i64>,
        visibility: Visibility,
        transaction_time: i64,
    ) -> Result<()> {
        let db = self.inner.records.db();
        // Whose records: the Group's members within reach, else the caller's reach.
        let (visibility, only_records) = match &level {
            ExportLevel::System => (visibility, false),
            ExportLevel::Patient => (visibility, true),
            ExportLevel::Group(id) => {
                let group = self.inner.records.read("Group", id).await?;
                let members: Vec<String> = group
                    .body
                    .get("member")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m.pointer("/entity/reference").and_then(Value::as_str))
                    .filter_map(|r| r.strip_prefix("Patient/").map(str::to_owned))
                    .collect();
                let residents: Vec<String> = self
                    .inner
                    .records
                    .patients_of("Patient", &members)
                    .await?
                    .into_iter()
                    .filter_map(|(_, r)| r)
                    .collect();
                let reachable = self
                    .inner
                    .records
                    .visible_patients(&residents, &visibility)
                    .await?;
                (Visibility::Patients(reachable.into_iter().collect()), true)
            }
        };
        let types = match types {
            Some(t) => t,
            None => {
                let rows = sqlx::query(
                    "SELECT DISTINCT resource_type FROM fhir_resources WHERE deleted = 0 \
                     ORDER BY resource_type",
                )
                .fetch_all(db.pool())
                .await
                .map_err(records::RecordsError::from)?;
                rows.iter()
                    .filter_map(|r| r.try_get::<String, _>(0).ok())
                    .collect()
            }
        };
        let mut exported: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for resource_type in &types {
            let mut offset = 0;
            let mut part = 0_i64;
            loop {
                let query = Query {
                    resource_type: resource_type.clone(),
                    all_of: since
                        .map(|s| {
                            vec![vec![Condition::LastUpdated {
                                cmp: Comparator::Ge,
                                low: s,
                                high: s + 1,
                            }]]
                        })
                        .unwrap_or_default(),
                    visibility: visibility.clone(),
                    sort: vec![SortKey::Id { descending: false }],
                    count: RESOURCES_PER_PART,
                    offset,
                };
                let page = self.inner.records.search(&query).await?;
                let read = offset + page.resources.len();
                let resources: Vec<_> = page
                    .resources
                    .into_iter()
                    .filter(|r| !only_records || r.patient_id.is_some())
                    .filter(|r| r.last_updated <= transaction_time)
                    .collect();
                if !resources.is_empty() {
                    let mut ndjson = String::new();
                    for r in &resources {
                        ndjson.push_str(&r.body.to_string());
                        ndjson.push('\n');
                        if let Some(resident) = &r.patient_id {
                            exported
                                .entry(resident.clone())
                                .or_default()
                                .extend_from_slice(
                                    format!("{}/{}/{};", r.resource_type, r.id, r.version)
                                        .as_bytes(),
                                );
                        }
                    }
                    let sealed = self
                        .inner
                        .keys
                        .cipher
                        .encrypt(&ndjson, &format!("export:{job}/{resource_type}/{part}"));
                    sqlx::query(
                        "INSERT INTO clinical_export_outputs (job_id, resource_type, part, count, \
                         ndjson) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(job)
                    .bind(resource_type)
                    .bind(part)
                    .bind(i64::try_from(resources.len()).unwrap_or(i64::MAX))
                    .bind(sealed)
                    .execute(db.pool())
                    .await
                    .map_err(records::RecordsError::from)?;
                    part += 1;
                }
                sqlx::query("UPDATE clinical_export_jobs SET progress = $1 WHERE id = $2")
                    .bind(format!("{resource_type}: {read} read"))
                    .bind(job)
                    .execute(db.pool())
                    .await
                    .map_err(records::RecordsError::from)?;
                if !page.more {
                    break;
                }
                offset += RESOURCES_PER_PART;
            }
        }
        let events = exported
            .iter()
            .map(|(resident, data)| ("fhir.export", Subject::Resident(resident), data.as_slice()))
            .collect();
        self.audit_all(actor, events).await;
        Ok(())
    }

    /// The status of the caller's export job.
    pub async fn export_status(&self, actor: &Actor, job: &str) -> Result<ExportStatus> {
        let row = sqlx::query(
            "SELECT owner, request, status, progress, error, transaction_time FROM \
             clinical_export_jobs WHERE id = $1",
        )
        .bind(job)
        .fetch_optional(self.inner.records.db().pool())
        .await
        .map_err(records::RecordsError::from)?
        .ok_or_else(|| not_found(job))?;
        let owner: String = row.try_get("owner").map_err(records::RecordsError::from)?;
        if owner != actor.user_id {
            return Err(not_found(job));
        }
        let get = |name: &str| -> Result<String> {
            row.try_get::<Option<String>, _>(name)
                .map(Option::unwrap_or_default)
                .map_err(|e| records::RecordsError::from(e).into())
        };
        match get("status")?.as_str() {
            "in-progress" => Ok(ExportStatus::InProgress {
                progress: get("progress")?,
            }),
            "failed" => Ok(ExportStatus::Failed {
                message: get("error")?,
            }),
            _ => {
                let parts = sqlx::query(
                    "SELECT resource_type, part, count FROM clinical_export_outputs \
                     WHERE job_id = $1 ORDER BY resource_type, part",
                )
                .bind(job)
                .fetch_all(self.inner.records.db().pool())
                .await
                .map_err(records::RecordsError::from)?;
                let mut output = Vec::new();
                for p in parts {
                    let t: String = p.try_get(0).map_err(records::RecordsError::from)?;
                    let n: i64 = p.try_get(1).map_err(records::RecordsError::from)?;
                    let count: i64 = p.try_get(2).map_err(records::RecordsError::from)?;
                    output.push(json!({ "type": t, "url": format!("$export-file/{job}/{t}/{n}.ndjson"), "count": count }));
                }
                let at: i64 = row
                    .try_get("transaction_time")
                    .map_err(records::RecordsError::from)?;
                Ok(ExportStatus::Completed {
                    manifest: json!({
                        "transactionTime": kernel::UtcMillis(at).to_string(),
                        "request": get("request")?,
                        "requiresAccessToken": true,
                        "output": output,
                        "error": [],
                    }),
                })
            }
        }
    }

    /// One NDJSON part of the caller's finished export.
    pub async fn export_file(
        &self,
        actor: &Actor,
        job: &str,
        resource_type: &str,
        part: i64,
    ) -> Result<String> {
        let row = sqlx::query(
            "SELECT j.owner, o.ndjson FROM clinical_export_outputs o \
             JOIN clinical_export_jobs j ON j.id = o.job_id \
             WHERE o.job_id = $1 AND o.resource_type = $2 AND o.part = $3",
        )
        .bind(job)
        .bind(resource_type)
        .bind(part)
        .fetch_optional(self.inner.records.db().pool())
        .await
        .map_err(records::RecordsError::from)?
        .ok_or_else(|| not_found(job))?;
        let owner: String = row.try_get(0).map_err(records::RecordsError::from)?;
        if owner != actor.user_id {
            return Err(not_found(job));
        }
        let sealed: String = row.try_get(1).map_err(records::RecordsError::from)?;
        self.inner
            .keys
            .cipher
            .decrypt(&sealed, &format!("export:{job}/{resource_type}/{part}"))
            .map_err(|e| {
                ClinicalError::Records(records::RecordsError::Unreadable {
                    resource_type: resource_type.to_owned(),
                    id: job.to_owned(),
                    version: part,
                    reason: e.to_string(),
                })
            })
    }

    /// Cancels (deletes) the caller's export job and its files.
    pub async fn delete_export(&self, actor: &Actor, job: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM clinical_export_jobs WHERE id = $1 AND owner = $2")
            .bind(job)
            .bind(&actor.user_id)
            .execute(self.inner.records.db().pool())
            .await
            .map_err(records::RecordsError::from)?
            .rows_affected();
        if done == 0 {
            return Err(not_found(job));
        }
        Ok(())
    }
}
