//! The research service: requests and their review, releases, downloads and aggregate
//! queries, stored in this crate's tables and recorded on the ledger. Every change is put on
//! the ledger before it commits, so nothing is released or downloaded without an entry.

use std::sync::Arc;

use jiff::civil::Date;
use kernel::{Id, UtcMillis};
use ledger::{AuditEvent, Ledger, PurposeOfUse, data_hash};
use serde::{Deserialize, Serialize};
use store::Db;
use store::sqlx::{self, AnyConnection, Row, any::AnyRow};
use vault::Keyring;

use crate::aggregate::{AggregateQuery, Table, tabulate};
use crate::catalogue::{Catalogue, Field};
use crate::cohort::Subject;
use crate::consent::ResearchConsent;
use crate::csv::{dictionary_csv, extract_csv};
use crate::deidentify::{Pseudonymiser, deidentify};
use crate::policy::Policy;
use crate::request::{AgeRange, Cohort, RequestForm, Vocabulary};
use crate::source::cohort_subjects;
use crate::state::{Action, RequestState};
use crate::{ResearchError, Result};

/// Who acts: a user and the organisation they act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id (`"system"` for the platform's own jobs).
    pub user_id: String,
    /// The organisation, if any.
    pub organisation_id: Option<String>,
}

impl Actor {
    /// The platform's own jobs (expiry).
    pub fn system() -> Actor {
        Actor {
            user_id: "system".into(),
            organisation_id: None,
        }
    }
}

/// A research request as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ResearchRequest {
    /// Its id.
    pub id: String,
    /// The researcher who submitted it.
    pub requester_id: String,
    /// Their organisation.
    pub organisation_id: Option<String>,
    /// Who.
    pub cohort: Cohort,
    /// What, in catalogue order.
    pub variables: Vec<Field>,
    /// Why.
    pub purpose: String,
    /// The ethics approval reference.
    pub ethics_reference: String,
    /// Where it stands.
    pub state: RequestState,
    /// When it was submitted.
    pub submitted_at: UtcMillis,
    /// The steward who approved or refused it.
    pub steward_id: Option<String>,
    /// When they did.
    pub decided_at: Option<UtcMillis>,
    /// The steward's reasons (required to refuse).
    pub reasons: Option<String>,
    /// The last day the requester may download the release.
    pub access_until: Option<Date>,
}

/// One step in a request's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEvent {
    /// The state it entered.
    pub state: RequestState,
    /// Who moved it.
    pub actor_id: String,
    /// When.
    pub at: UtcMillis,
    /// Why, when a reason was given.
    pub reasons: Option<String>,
    /// Its ledger entry.
    pub ledger_seq: u64,
}

/// A release, without its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Its id.
    pub id: String,
    /// The request it answers.
    pub request_id: String,
    /// The steward who released it.
    pub released_by: String,
    /// When.
    pub released_at: UtcMillis,
    /// The day ages are computed on.
    pub reference_date: Date,
    /// k.
    pub k: u32,
    /// Consenting residents of the cohort.
    pub cohort_rows: u64,
    /// Rows in the extract.
    pub released_rows: u64,
    /// Rows suppressed to reach k.
    pub suppressed_rows: u64,
    /// How each quasi-identifier was generalised (`age: 10-year bands, ...; enrolled_on: month`).
    pub generalisation: String,
    /// Lowercase hex SHA-256 of the extract CSV, as recorded on the ledger.
    pub extract_sha256: String,
    /// Lowercase hex SHA-256 of the data dictionary CSV.
    pub dictionary_sha256: String,
    /// The ledger entry of the release.
    pub ledger_seq: u64,
}

/// A release with its files, as downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFiles {
    /// The release.
    pub release: Release,
    /// The extract, CSV.
    pub extract_csv: String,
    /// The data dictionary, CSV.
    pub dictionary_csv: String,
    /// The ledger entry of this download.
    pub ledger_seq: u64,
}

/// Which requests to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only this researcher's.
    pub requester_id: Option<String>,
    /// Only in this state (a steward's queue: `Submitted`).
    pub state: Option<RequestState>,
    /// At most this many, newest first (0 = 100).
    pub limit: u32,
}

/// The research service. Cheap to clone.
#[derive(Clone)]
pub struct Research {
    db: Db,
    ledger: Ledger,
    keys: Arc<Keyring>,
    policy: Arc<Policy>,
    catalogue: &'static Catalogue,
    vocabulary: Arc<Vocabulary>,
}

const EXTRACT_CONTEXT: &str = "research.release.extract";
const DICTIONARY_CONTEXT: &str = "research.release.dictionary";

impl Research {
    /// The service over `db` with the built-in policy, catalogue, disease templates and
    /// districts.
    pub fn new(db: Db, ledger: Ledger, keys: Arc<Keyring>) -> Result<Research> {
        Ok(Research {
            db,
            ledger,
            keys,
            policy: Arc::new(Policy::builtin()?.clone()),
            catalogue: Catalogue::builtin()?,
            vocabulary: Arc::new(Vocabulary::builtin()?),
        })
    }

    /// The same service under another policy (a different k).
    pub fn with_policy(mut self, policy: Policy) -> Research {
        self.policy = Arc::new(policy);
        self
    }

    /// The policy applied.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The published catalogue of variables.
    pub fn catalogue(&self) -> &Catalogue {
        self.catalogue
    }

    /// The diseases and districts a cohort may name.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// Validates and stores a new request from `requester`.
    pub async fn submit(
        &self,
        form: &RequestForm,
        requester: &Actor,
        at: UtcMillis,
    ) -> Result<ResearchRequest> {
        let draft = form.validate(&self.vocabulary, self.catalogue, &self.policy)?;
        let id = Id::new().to_string();
        let cohort = StoredCohort::from(&draft.cohort).to_json();
        let variables = keys_of(&draft.variables);
        let digest = format!(
            "{cohort}\n{variables}\n{}\n{}",
            draft.purpose,
            draft.ethics_reference.as_str()
        );
        let seq = self
            .log(
                requester,
                "research.request.submit",
                "research_request",
                &id,
                digest.as_bytes(),
                at,
            )
            .await?;
        let mut tx = self.db.writer().begin().await?;
        sqlx::query(
            "INSERT INTO research_requests (id, requester_id, organisation_id, cohort, variables, \
             purpose, ethics_reference, state, submitted_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id)
        .bind(&requester.user_id)
        .bind(requester.organisation_id.as_deref())
        .bind(&cohort)
        .bind(&variables)
        .bind(&draft.purpose)
        .bind(draft.ethics_reference.as_str())
        .bind(RequestState::Submitted.code())
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        insert_event(
            &mut tx,
            &id,
            RequestState::Submitted,
            &requester.user_id,
            at,
            None,
            seq,
        )
        .await?;
        tx.commit().await?;
        self.expect_request(&id).await
    }

    /// One request; `None` if unknown.
    pub async fn request(&self, id: &str) -> Result<Option<ResearchRequest>> {
        let row = sqlx::query(&format!("{SELECT_REQUEST} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| request_from(&r)).transpose()
    }

    /// Requests, newest first.
    pub async fn requests(&self, filter: &RequestFilter) -> Result<Vec<ResearchRequest>> {
        let limit = if filter.limit == 0 { 100 } else { filter.limit };
        let rows = sqlx::query(&format!(
            "{SELECT_REQUEST} WHERE ($1 IS NULL OR requester_id = $1) \
             AND ($2 IS NULL OR state = $2) ORDER BY submitted_at DESC, id DESC LIMIT $3"
        ))
        .bind(filter.requester_id.as_deref())
        .bind(filter.state.map(RequestState::code))
        .bind(i64::from(limit))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(request_from).collect()
    }

    /// A request's history, oldest first.
    pub async fn history(&self, id: &str) -> Result<Vec<RequestEvent>> {
        let rows = sqlx::query(
            "SELECT state, actor_id, at, reasons, ledger_seq FROM research_request_events \
             WHERE request_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get("state")?;
                Ok(RequestEvent {
                    state: RequestState::from_code(&state)
                        .ok_or_else(|| ResearchError::Unreadable(id.to_owned()))?,
                    actor_id: r.try_get("actor_id")?,
                    at: UtcMillis(r.try_get("at")?),
                    reasons: r.try_get("reasons")?,
                    ledger_seq: seq_from(r.try_get("ledger_seq")?),
                })
            })
            .collect()
    }

    /// A steward approves a submitted request, giving the last day of access.
    pub async fn approve(
        &self,
        id: &str,
        steward: &Actor,
        access_until: Date,
        reasons: Option<&str>,
        at: UtcMillis,
    ) -> Result<ResearchRequest> {
        let request = self.expect_request(id).await?;
        check_legal(&request, Action::Approve)?;
        not_the_requester(&request, steward, Action::Approve)?;
        let today = at.city_date();
        if access_until <= today {
            return Err(ResearchError::AccessPeriod {
                access_until: access_until.to_string(),
                today: today.to_string(),
            });
        }
        let reasons = reasons.map(str::trim).filter(|r| !r.is_empty());
        self.transition(
            &request,
            Action::Approve,
            steward,
            Change {
                reasons,
                access_until: Some(access_until),
                decision: true,
            },
            at,
        )
        .await
    }

    /// A steward refuses a submitted request, with reasons.
    pub async fn refuse(
        &self,
        id: &str,
        steward: &Actor,
        reasons: &str,
        at: UtcMillis,
    ) -> Result<ResearchRequest> {
        let request = self.expect_request(id).await?;
        check_legal(&request, Action::Refuse)?;
        not_the_requester(&request, steward, Action::Refuse)?;
        let reasons = required_reasons(reasons, Action::Refuse)?;
        self.transition(
            &request,
            Action::Refuse,
            steward,
            Change {
                reasons: Some(reasons),
                access_until: None,
                decision: true,
            },
            at,
        )
        .await
    }

    /// The requester or a steward withdraws a request that is not final, with reasons (e.g.
    /// the ethics approval was revoked). A withdrawn release can no longer be downloaded.
    pub async fn withdraw(
        &self,
        id: &str,
        actor: &Actor,
        reasons: &str,
        at: UtcMillis,
    ) -> Result<ResearchRequest> {
        let request = self.expect_request(id).await?;
        check_legal(&request, Action::Withdraw)?;
        let reasons = required_reasons(reasons, Action::Withdraw)?;
        self.transition(
            &request,
            Action::Withdraw,
            actor,
            Change {
                reasons: Some(reasons),
                access_until: None,
                decision: false,
            },
            at,
        )
        .await
    }

    /// Expires an approved or released request whose last day of access has passed.
    pub async fn expire(&self, id: &str, at: UtcMillis) -> Result<ResearchRequest> {
        let request = self.expect_request(id).await?;
        check_legal(&request, Action::Expire)?;
        let today = at.city_date();
        match request.access_until {
            Some(until) if until < today => {}
            until => {
                return Err(ResearchError::NotExpired {
                    request_id: request.id.clone(),
                    access_until: until.map(|d| d.to_string()).unwrap_or_default(),
                });
            }
        }
        self.transition(
            &request,
            Action::Expire,
            &Actor::system(),
            Change {
                reasons: None,
                access_until: None,
                decision: false,
            },
            at,
        )
        .await
    }

    /// Expires every request whose last day of access has passed (a daily job); their ids.
    pub async fn expire_due(&self, at: UtcMillis) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM research_requests WHERE state IN ($1, $2) AND access_until < $3 \
             ORDER BY id",
        )
        .bind(RequestState::Approved.code())
        .bind(RequestState::Released.code())
        .bind(at.city_date().to_string())
        .fetch_all(self.db.pool())
        .await?;
        let mut expired = Vec::new();
        for row in &rows {
            let id: String = row.try_get("id")?;
            self.expire(&id, at).await?;
            expired.push(id);
        }
        Ok(expired)
    }

    /// A steward (not the requester) builds the release of an approved request: the cohort
    /// as of today, only residents `consent` reports as consenting to research, de-identified
    /// under the policy. The extract's SHA-256 is recorded on the ledger before the release
    /// is stored.
    pub async fn release(
        &self,
        id: &str,
        steward: &Actor,
        consent: &impl ResearchConsent,
        at: UtcMillis,
    ) -> Result<Release> {
        let request = self.expect_request(id).await?;
        check_legal(&request, Action::Release)?;
        not_the_requester(&request, steward, Action::Release)?;
        let today = at.city_date();
        access_open(&request, today)?;
        let subjects = self
            .consenting_cohort(&request.cohort, consent, today)
            .await?;
        let variables = request.variables.clone();
        let catalogue = self.catalogue;
        let policy = Arc::clone(&self.policy);
        // De-identification sorts the whole cohort several times: off the async threads.
        let built = tokio::task::spawn_blocking(move || {
            let extract = deidentify(
                &subjects,
                &variables,
                catalogue,
                &policy,
                today,
                Pseudonymiser::random(),
            )?;
            let extract_text = extract_csv(&extract);
            let dictionary_text = dictionary_csv(&extract, catalogue, &policy);
            let generalisation = extract
                .fields
                .iter()
                .filter_map(|f| catalogue.of(*f))
                .filter(|v| v.is_quasi_identifier())
                .map(|v| {
                    let field = v.field().unwrap_or(Field::Sex);
                    format!(
                        "{}: {}",
                        v.key,
                        extract
                            .generalisation
                            .describe(field, v.value_type, &policy)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            Ok::<_, ResearchError>((extract, extract_text, dictionary_text, generalisation))
        })
        .await
        .map_err(ResearchError::BuildStopped)??;
        let (extract, extract_text, dictionary_text, generalisation) = built;

        let release_id = Id::new().to_string();
        let extract_sha256 = data_hash(extract_text.as_bytes());
        let dictionary_sha256 = data_hash(dictionary_text.as_bytes());
        let seq = self
            .ledger
            .record(AuditEvent {
                actor: steward.user_id.clone(),
                organisation: steward.organisation_id.clone(),
                action: "research.release".into(),
                subject_type: "research_release".into(),
                subject_id: release_id.clone(),
                purpose: PurposeOfUse::Research,
                at: at.0,
                data_hash: extract_sha256.clone(),
            })
            .await?
            .seq;
        let cipher = &self.keys.cipher;
        let extract_enc = cipher.encrypt(&extract_text, &format!("{EXTRACT_CONTEXT}:{release_id}"));
        let dictionary_enc = cipher.encrypt(
            &dictionary_text,
            &format!("{DICTIONARY_CONTEXT}:{release_id}"),
        );
        let mut tx = self.db.writer().begin().await?;
        move_state(&mut tx, &request, Action::Release, Change::none(), at).await?;
        insert_event(
            &mut tx,
            &request.id,
            RequestState::Released,
            &steward.user_id,
            at,
            None,
            seq,
        )
        .await?;
        sqlx::query(
            "INSERT INTO research_releases (id, request_id, released_by, released_at, \
             reference_date, k, cohort_rows, released_rows, suppressed_rows, generalisation, \
             extract_sha256, dictionary_sha256, extract_enc, dictionary_enc, ledger_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&release_id)
        .bind(&request.id)
        .bind(&steward.user_id)
        .bind(at.0)
        .bind(today.to_string())
        .bind(i64::from(extract.k))
        .bind(count(extract.cohort_rows))
        .bind(count(extract.rows.len()))
        .bind(count(extract.suppressed))
        .bind(&generalisation)
        .bind(&extract_sha256)
        .bind(&dictionary_sha256)
        .bind(extract_enc)
        .bind(dictionary_enc)
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.release_by_id(&release_id)
            .await?
            .ok_or(ResearchError::UnknownRelease(release_id))
    }

    /// The release of a request, if it was released.
    pub async fn release_of(&self, request_id: &str) -> Result<Option<Release>> {
        let row = sqlx::query(&format!("{SELECT_RELEASE} WHERE request_id = $1"))
            .bind(request_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| release_from(&r)).transpose()
    }

    /// One release; `None` if unknown.
    pub async fn release_by_id(&self, release_id: &str) -> Result<Option<Release>> {
        let row = sqlx::query(&format!("{SELECT_RELEASE} WHERE id = $1"))
            .bind(release_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| release_from(&r)).transpose()
    }

    /// The requester downloads a release while its request is released and its access
    /// period lasts. The download is recorded on the ledger (with the extract's hash) before
    /// the files are returned; files that no longer match their recorded hash are refused.
    pub async fn download(
        &self,
        release_id: &str,
        user: &Actor,
        at: UtcMillis,
    ) -> Result<ReleaseFiles> {
        let release = self
            .release_by_id(release_id)
            .await?
            .ok_or_else(|| ResearchError::UnknownRelease(release_id.to_owned()))?;
        let request = self.expect_request(&release.request_id).await?;
        if request.requester_id != user.user_id {
            return Err(ResearchError::NotTheRequester {
                release_id: release_id.to_owned(),
            });
        }
        if request.state != RequestState::Released {
            return Err(ResearchError::NoLongerAvailable {
                release_id: release_id.to_owned(),
                state: request.state,
            });
        }
        access_open(&request, at.city_date())?;
        let row =
            sqlx::query("SELECT extract_enc, dictionary_enc FROM research_releases WHERE id = $1")
                .bind(release_id)
                .fetch_one(self.db.pool())
                .await?;
        let unreadable = || ResearchError::Unreadable(release_id.to_owned());
        let cipher = &self.keys.cipher;
        let extract_csv = cipher
            .decrypt(
                &row.try_get::<String, _>("extract_enc")?,
                &format!("{EXTRACT_CONTEXT}:{release_id}"),
            )
            .map_err(|_| unreadable())?;
        let dictionary_csv = cipher
            .decrypt(
                &row.try_get::<String, _>("dictionary_enc")?,
                &format!("{DICTIONARY_CONTEXT}:{release_id}"),
            )
            .map_err(|_| unreadable())?;
        if data_hash(extract_csv.as_bytes()) != release.extract_sha256
            || data_hash(dictionary_csv.as_bytes()) != release.dictionary_sha256
        {
            return Err(unreadable());
        }
        let seq = self
            .ledger
            .record(AuditEvent {
                actor: user.user_id.clone(),
                organisation: user.organisation_id.clone(),
                action: "research.download".into(),
                subject_type: "research_release".into(),
                subject_id: release_id.to_owned(),
                purpose: PurposeOfUse::Research,
                at: at.0,
                data_hash: release.extract_sha256.clone(),
            })
            .await?
            .seq;
        sqlx::query(
            "INSERT INTO research_downloads (id, release_id, user_id, at, ledger_seq) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Id::new().to_string())
        .bind(release_id)
        .bind(&user.user_id)
        .bind(at.0)
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .execute(self.db.writer())
        .await?;
        Ok(ReleaseFiles {
            release,
            extract_csv,
            dictionary_csv,
            ledger_seq: seq,
        })
    }

    /// How many times a release was downloaded.
    pub async fn downloads(&self, release_id: &str) -> Result<u64> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM research_downloads WHERE release_id = $1")
                .bind(release_id)
                .fetch_one(self.db.pool())
                .await?
                .try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Answers an aggregate query over the consenting residents of its cohort today, and
    /// records it on the ledger (the query and the figures returned, hashed).
    pub async fn aggregate(
        &self,
        query: &AggregateQuery,
        actor: &Actor,
        consent: &impl ResearchConsent,
        at: UtcMillis,
    ) -> Result<Table> {
        let today = at.city_date();
        let subjects = self
            .consenting_cohort(&query.cohort, consent, today)
            .await?;
        let table = tabulate(&subjects, query, &self.policy, today);
        let shown = format!("{query:?}\n{table:?}");
        self.log(
            actor,
            "research.aggregate",
            "research_query",
            &Id::new().to_string(),
            shown.as_bytes(),
            at,
        )
        .await?;
        Ok(table)
    }

    async fn consenting_cohort(
        &self,
        cohort: &Cohort,
        consent: &impl ResearchConsent,
        today: Date,
    ) -> Result<Vec<Subject>> {
        let subjects = cohort_subjects(&self.db, cohort, today).await?;
        let ids: Vec<String> = subjects.iter().map(|s| s.resident_id.clone()).collect();
        let consenting = consent
            .consenting(&ids)
            .await
            .map_err(ResearchError::Consent)?;
        Ok(subjects
            .into_iter()
            .filter(|s| consenting.contains(&s.resident_id))
            .collect())
    }

    async fn expect_request(&self, id: &str) -> Result<ResearchRequest> {
        self.request(id)
            .await?
            .ok_or_else(|| ResearchError::UnknownRequest(id.to_owned()))
    }

    async fn transition(
        &self,
        request: &ResearchRequest,
        action: Action,
        actor: &Actor,
        change: Change<'_>,
        at: UtcMillis,
    ) -> Result<ResearchRequest> {
        let to = check_legal(request, action)?;
        let digest = format!(
            "{}\n{}\n{}\n{}",
            request.id,
            to.code(),
            change.reasons.unwrap_or_default(),
            change
                .access_until
                .map(|d| d.to_string())
                .unwrap_or_default()
        );
        let seq = self
            .log(
                actor,
                &format!("research.request.{}", action.verb()),
                "research_request",
                &request.id,
                digest.as_bytes(),
                at,
            )
            .await?;
        let mut tx = self.db.writer().begin().await?;
        move_state(&mut tx, request, action, change, at).await?;
        if change.decision {
            sqlx::query(
                "UPDATE research_requests SET steward_id = $1, decided_at = $2 WHERE id = $3",
            )
            .bind(&actor.user_id)
            .bind(at.0)
            .bind(&request.id)
            .execute(&mut *tx)
            .await?;
        }
        insert_event(
            &mut tx,
            &request.id,
            to,
            &actor.user_id,
            at,
            change.reasons,
            seq,
        )
        .await?;
        tx.commit().await?;
        self.expect_request(&request.id).await
    }

    async fn log(
        &self,
        actor: &Actor,
        action: &str,
        subject_type: &str,
        subject_id: &str,
        data: &[u8],
        at: UtcMillis,
    ) -> Result<u64> {
        Ok(self
            .ledger
            .record(AuditEvent {
                actor: actor.user_id.clone(),
                organisation: actor.organisation_id.clone(),
                action: action.to_owned(),
                subject_type: subject_type.to_owned(),
                subject_id: subject_id.to_owned(),
                purpose: PurposeOfUse::Research,
                at: at.0,
                data_hash: data_hash(data),
            })
            .await?
            .seq)
    }
}

/// What a transition changes beside the state.
#[derive(Debug, Clone, Copy)]
struct Change<'a> {
    /// Reasons given (kept on the request for a decision, in the history always).
    reasons: Option<&'a str>,
    /// The last day of access (approval).
    access_until: Option<Date>,
    /// Whether this is the steward's decision (approve, refuse).
    decision: bool,
}

impl Change<'_> {
    fn none() -> Self {
        Change {
            reasons: None,
            access_until: None,
            decision: false,
        }
    }
}

fn check_legal(request: &ResearchRequest, action: Action) -> Result<RequestState> {
    request
        .state
        .after(action)
        .ok_or_else(|| ResearchError::IllegalTransition {
            request_id: request.id.clone(),
            from: request.state,
            action,
        })
}

fn not_the_requester(request: &ResearchRequest, actor: &Actor, action: Action) -> Result<()> {
    if request.requester_id == actor.user_id {
        return Err(ResearchError::OwnRequest {
            request_id: request.id.clone(),
            action,
        });
    }
    Ok(())
}

fn required_reasons(reasons: &str, action: Action) -> Result<&str> {
    let reasons = reasons.trim();
    if reasons.is_empty() {
        return Err(ResearchError::ReasonsRequired { action });
    }
    Ok(reasons)
}

fn access_open(request: &ResearchRequest, today: Date) -> Result<()> {
    match request.access_until {
        Some(until) if until < today => Err(ResearchError::AccessEnded {
            request_id: request.id.clone(),
            access_until: until.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Moves the request by `action` from the state it was read in; if another writer moved it
/// first, the action is illegal from the state it is in now.
async fn move_state(
    conn: &mut AnyConnection,
    request: &ResearchRequest,
    action: Action,
    change: Change<'_>,
    at: UtcMillis,
) -> Result<()> {
    let to = check_legal(request, action)?;
    let decision_reasons = if change.decision {
        change.reasons
    } else {
        None
    };
    let moved = sqlx::query(
        "UPDATE research_requests SET state = $1, updated_at = $2, \
         reasons = COALESCE($3, reasons), access_until = COALESCE($4, access_until) \
         WHERE id = $5 AND state = $6",
    )
    .bind(to.code())
    .bind(at.0)
    .bind(decision_reasons)
    .bind(change.access_until.map(|d| d.to_string()))
    .bind(&request.id)
    .bind(request.state.code())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved == 1 {
        return Ok(());
    }
    let now: Option<String> = sqlx::query("SELECT state FROM research_requests WHERE id = $1")
        .bind(&request.id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("state"))
        .transpose()?;
    let from = now
        .as_deref()
        .and_then(RequestState::from_code)
        .ok_or_else(|| ResearchError::UnknownRequest(request.id.clone()))?;
    Err(ResearchError::IllegalTransition {
        request_id: request.id.clone(),
        from,
        action,
    })
}

async fn insert_event(
    conn: &mut AnyConnection,
    request_id: &str,
    state: RequestState,
    actor_id: &str,
    at: UtcMillis,
    reasons: Option<&str>,
    ledger_seq: u64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO research_request_events (request_id, seq, state, actor_id, at, reasons, \
         ledger_seq) VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM research_request_events \
         WHERE request_id = $1), $2, $3, $4, $5, $6)",
    )
    .bind(request_id)
    .bind(state.code())
    .bind(actor_id)
    .bind(at.0)
    .bind(reasons)
    .bind(i64::try_from(ledger_seq).unwrap_or(i64::MAX))
    .execute(conn)
    .await?;
    Ok(())
}

fn keys_of(fields: &[Field]) -> String {
    fields.iter().map(|f| f.key()).collect::<Vec<_>>().join(",")
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn seq_from(stored: i64) -> u64 {
    u64::try_from(stored).unwrap_or(0)
}

/// The cohort as stored (JSON in `research_requests.cohort`).
#[derive(Debug, Serialize, Deserialize)]
struct StoredCohort {
    diseases: Vec<String>,
    age_min: Option<u32>,
    age_max: Option<u32>,
    districts: Vec<String>,
    enrolled_from: Option<String>,
    enrolled_to: Option<String>,
}

impl From<&Cohort> for StoredCohort {
    fn from(c: &Cohort) -> Self {
        StoredCohort {
            diseases: c.diseases.clone(),
            age_min: c.ages.map(|a| a.min),
            age_max: c.ages.map(|a| a.max),
            districts: c.districts.clone(),
            enrolled_from: c.enrolled_from.map(|d| d.to_string()),
            enrolled_to: c.enrolled_to.map(|d| d.to_string()),
        }
    }
}

impl StoredCohort {
    fn to_json(&self) -> String {
        // Serialising plain strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    fn into_cohort(self, id: &str) -> Result<Cohort> {
        let day = |d: Option<String>| {
            d.map(|d| {
                d.parse::<Date>()
                    .map_err(|_| ResearchError::Unreadable(id.to_owned()))
            })
            .transpose()
        };
        Ok(Cohort {
            diseases: self.diseases,
            ages: match (self.age_min, self.age_max) {
                (Some(min), Some(max)) => Some(AgeRange { min, max }),
                _ => None,
            },
            districts: self.districts,
            enrolled_from: day(self.enrolled_from)?,
            enrolled_to: day(self.enrolled_to)?,
        })
    }
}

const SELECT_REQUEST: &str = "SELECT id, requester_id, organisation_id, cohort, variables, \
    purpose, ethics_reference, state, submitted_at, steward_id, decided_at, reasons, \
    access_until FROM research_requests";

fn request_from(r: &AnyRow) -> Result<ResearchRequest> {
    let id: String = r.try_get("id")?;
    let unreadable = || ResearchError::Unreadable(id.clone());
    let cohort: String = r.try_get("cohort")?;
    let cohort = serde_json::from_str::<StoredCohort>(&cohort)
        .map_err(|_| unreadable())?
        .into_cohort(&id)?;
    let variables: String = r.try_get("variables")?;
    let variables = variables
        .split(',')
        .filter(|k| !k.is_empty())
        .map(|k| Field::from_key(k).ok_or_else(unreadable))
        .collect::<Result<Vec<_>>>()?;
    let state: String = r.try_get("state")?;
    let access_until: Option<String> = r.try_get("access_until")?;
    Ok(ResearchRequest {
        requester_id: r.try_get("requester_id")?,
        organisation_id: r.try_get("organisation_id")?,
        cohort,
        variables,
        purpose: r.try_get("purpose")?,
        ethics_reference: r.try_get("ethics_reference")?,
        state: RequestState::from_code(&state).ok_or_else(unreadable)?,
        submitted_at: UtcMillis(r.try_get("submitted_at")?),
        steward_id: r.try_get("steward_id")?,
        decided_at: r.try_get::<Option<i64>, _>("decided_at")?.map(UtcMillis),
        reasons: r.try_get("reasons")?,
        access_until: access_until
            .map(|d| d.parse::<Date>().map_err(|_| unreadable()))
            .transpose()?,
        id,
    })
}

const SELECT_RELEASE: &str = "SELECT id, request_id, released_by, released_at, reference_date, \
    k, cohort_rows, released_rows, suppressed_rows, generalisation, extract_sha256, \
    dictionary_sha256, ledger_seq FROM research_releases";

fn release_from(r: &AnyRow) -> Result<Release> {
    let id: String = r.try_get("id")?;
    let reference: String = r.try_get("reference_date")?;
    let number = |name: &str| -> Result<u64> { Ok(seq_from(r.try_get::<i64, _>(name)?)) };
    Ok(Release {
        request_id: r.try_get("request_id")?,
        released_by: r.try_get("released_by")?,
        released_at: UtcMillis(r.try_get("released_at")?),
        reference_date: reference
            .parse::<Date>()
            .map_err(|_| ResearchError::Unreadable(id.clone()))?,
        k: u32::try_from(number("k")?).unwrap_or(u32::MAX),
        cohort_rows: number("cohort_rows")?,
        released_rows: number("released_rows")?,
        suppressed_rows: number("suppressed_rows")?,
        generalisation: r.try_get("generalisation")?,
        extract_sha256: r.try_get("extract_sha256")?,
        dictionary_sha256: r.try_get("dictionary_sha256")?,
        ledger_seq: number("ledger_seq")?,
        id,
    })
}
