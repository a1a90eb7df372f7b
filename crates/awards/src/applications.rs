//! Applications: a company applies to one clause of a programme with the clause's facts and
//! attachments. Submission evaluates the clause on the spot, so what is refused is refused
//! with the clause's own reason, and what is accepted carries its amount and trace.

use access::Principal;
use base64::Engine as _;
use jiff::civil::Date;
use kernel::UtcMillis;
use policy::{Amount, Facts, History, Money, PastAward};
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::sqlx::{self, Row};

use crate::error::{AwardsError, Result};
use crate::service::{Awards, new_id, official_bureau, require_company};
use crate::state::{State, Step};

/// Largest attachment accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 2 * 1024 * 1024;
/// Most attachments on one application.
pub const MAX_ATTACHMENTS: usize = 10;

/// The applicant, as the register knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applicant {
    pub company_id: String,
    pub name: String,
    /// The access organisation whose users act for the company.
    pub organisation_id: String,
}

/// A file given with an application.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    /// The clause's attachment kind it answers (see the clause's `attachments`).
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An application to submit.
#[derive(Debug, Clone)]
pub struct Submission {
    pub programme_id: String,
    pub applicant: Applicant,
    pub clause_id: String,
    pub title: String,
    /// The clause's facts; those naming the funded event (product and stage, project,
    /// platform) make the subject key, and no two open applications share one.
    pub facts: Facts,
    /// For on-merit clauses the amount asked for; it may not exceed the clause's maximum.
    pub requested_yuan: Option<i64>,
    pub attachments: Vec<NewAttachment>,
}

/// An application as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Application {
    pub id: String,
    pub programme_id: String,
    pub company_id: String,
    pub company_name: String,
    pub company_organisation_id: String,
    pub clause_id: String,
    pub clause_version: u32,
    pub subject_key: String,
    pub title: String,
    /// The facts as submitted (JSON).
    pub facts: serde_json::Value,
    /// The evaluation and its trace at submission (JSON).
    pub evaluation: serde_json::Value,
    pub amount_kind: String,
    pub max_yuan: Option<i64>,
    pub requested_yuan: Option<i64>,
    pub recommended_yuan: Option<i64>,
    pub awarded_yuan: Option<i64>,
    pub state: State,
    pub score_centi: Option<i64>,
    pub notice_until: Option<i64>,
    /// The next date the company waits for (pre-review, review, end of notice).
    pub due_at: Option<i64>,
    pub reason: Option<String>,
    pub initiated_by_bureau: bool,
    pub submitted_at: i64,
    pub award_year: i16,
}

/// One step of an application's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub at: i64,
    pub actor: String,
    pub step: String,
    pub state: State,
    pub note: Option<String>,
}

/// An attachment's description (its content is read separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    pub id: String,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub bytes: i64,
}

const DAY_MS: i64 = 86_400_000;

impl Awards {
    /// Submits an application for the company `actor` acts for. Refused, with the clause and
    /// the reason: a closed programme or a clause it does not fund, a clause not in force
    /// today or for another jurisdiction, a missing or invalid fact, unmet conditions, an
    /// amount above the clause's cap, a missing attachment, a duplicate.
    pub async fn submit(&self, actor: &Principal, submission: Submission) -> Result<Application> {
        require_company(actor, &submission.applicant.organisation_id)?;
        self.create_application(actor, submission, false).await
    }

    /// The no-application path (政策找企业): an official confirms that a company qualifies
    /// for a clause computable from register data alone; the application starts recommended.
    pub async fn confirm_match(
        &self,
        actor: &Principal,
        submission: Submission,
    ) -> Result<Application> {
        let programme = self.programme(&submission.programme_id).await?;
        if official_bureau(actor).map(|b| b.code()) != Some(programme.bureau.as_str()) {
            return Err(AwardsError::forbidden(
                "只有该资金计划主管部门的工作人员可以确认免申即享",
                "Only officials of the programme's bureau may confirm an award without application",
            ));
        }
        self.create_application(actor, submission, true).await
    }

    async fn create_application(
        &self,
        actor: &Principal,
        submission: Submission,
        by_bureau: bool,
    ) -> Result<Application> {
        let now = self.now();
        let today = now.city_date();
        let programme = self.programme(&submission.programme_id).await?;
        if !programme.open_on(today) && !by_bureau {
            return Err(AwardsError::invalid(
                "programme_id",
                format!(
                    "「{}」的申报时间为 {} 至 {}，今天不在申报期内",
                    programme.name_zh, programme.opens_on, programme.closes_on
                ),
                format!(
                    "\"{}\" accepts applications from {} to {}; today is outside that window",
                    programme.name_en, programme.opens_on, programme.closes_on
                ),
            ));
        }
        if !programme.clauses.contains(&submission.clause_id) {
            return Err(AwardsError::invalid(
                "clause_id",
                format!(
                    "「{}」不支持条款 {}",
                    programme.name_zh, submission.clause_id
                ),
                format!(
                    "\"{}\" does not fund clause {}",
                    programme.name_en, submission.clause_id
                ),
            ));
        }
        let title = submission.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(AwardsError::invalid(
                "title",
                "请填写项目名称（不超过200字）",
                "Enter the project's title (at most 200 characters)",
            ));
        }
        let clause = self.catalogue.clause(&submission.clause_id, today)?;
        let history = self.history(&submission.applicant.company_id).await?;
        let evaluation = policy::evaluate(clause, &submission.facts, &history, today)?;
        let subject_key = if evaluation.subject_key.is_empty() {
            format!("{}", programme.year)
        } else {
            evaluation.subject_key.clone()
        };
        let subject_key = subject_key.as_str();
        // A duplicate is named as such before the clause's own one-off rule would refuse it.
        if self
            .open_duplicate(&submission.applicant.company_id, &clause.id, subject_key)
            .await?
        {
            return Err(AwardsError::conflict(
                format!(
                    "该企业已就同一事项（{subject_key}）申报条款 {}，不能重复申报",
                    clause.id
                ),
                format!(
                    "The company already has an application to clause {} for the same subject ({subject_key})",
                    clause.id
                ),
            ));
        }
        if !evaluation.eligible {
            return Err(AwardsError::NotEligible {
                clause: clause.id.clone(),
                unmet: evaluation
                    .unmet
                    .iter()
                    .map(|u| (u.reason_zh.clone(), u.reason_en.clone()))
                    .collect(),
            });
        }
        // The documents last: a clause that refuses the company says so before asking for them.
        check_attachments(clause, &submission.attachments, by_bureau)?;
        let (amount_kind, max_yuan) = amount_parts(&evaluation.amount);
        if let Some(requested) = submission.requested_yuan {
            if requested <= 0 {
                return Err(AwardsError::invalid(
                    "requested_yuan",
                    "申请金额须为正数（元）",
                    "The amount requested must be a positive number of yuan",
                ));
            }
            policy::check_request(&evaluation, Money(requested))?;
        }
        if by_bureau && !clause.no_application_needed {
            return Err(AwardsError::invalid(
                "clause_id",
                format!("条款 {} 需要企业申报，不能免申即享", clause.id),
                format!(
                    "Clause {} needs an application; it cannot be confirmed without one",
                    clause.id
                ),
            ));
        }

        let (state, recommended, due_at) = if by_bureau {
            (State::Recommended, max_yuan, None)
        } else {
            (
                State::Submitted,
                None,
                Some(now.0 + i64::from(self.rules.pre_review_days.value) * DAY_MS),
            )
        };
        let id = new_id();
        let facts_json = serde_json::to_string(&submission.facts).unwrap_or_default();
        let evaluation_json = serde_json::to_string(&evaluation).unwrap_or_default();
        let mut tx = self.db.writer().begin().await?;
        sqlx::query(
            "INSERT INTO awards_applications (id, programme_id, company_id, company_name, \
             company_organisation_id, clause_id, clause_version, subject_key, title, facts, evaluation, \
             amount_kind, max_yuan, requested_yuan, recommended_yuan, state, due_at, initiated_by_bureau, \
             submitted_by, submitted_at, award_year, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
        )
        .bind(&id)
        .bind(&programme.id)
        .bind(&submission.applicant.company_id)
        .bind(&submission.applicant.name)
        .bind(&submission.applicant.organisation_id)
        .bind(&clause.id)
        .bind(i64::from(clause.version))
        .bind(subject_key)
        .bind(title)
        .bind(&facts_json)
        .bind(&evaluation_json)
        .bind(amount_kind)
        .bind(max_yuan)
        .bind(submission.requested_yuan)
        .bind(recommended)
        .bind(state.key())
        .bind(due_at)
        .bind(i64::from(by_bureau))
        .bind(&actor.user_id)
        .bind(now.0)
        .bind(i64::from(programme.year))
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        for attachment in &submission.attachments {
            sqlx::query(
                "INSERT INTO awards_attachments (id, application_id, kind, file_name, content_type, \
                 sha256, bytes, content, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(&attachment.kind)
            .bind(attachment.file_name.trim())
            .bind(&attachment.content_type)
            .bind(hex::encode(Sha256::digest(&attachment.bytes)))
            .bind(attachment.bytes.len() as i64)
            .bind(base64::engine::general_purpose::STANDARD.encode(&attachment.bytes))
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        }
        let step = if by_bureau { "confirm-match" } else { "submit" };
        insert_event(&mut tx, &id, now.0, &actor.user_id, step, state, None).await?;
        tx.commit().await?;
        self.record(
            &actor.user_id,
            Some(&actor.organisation.id),
            if by_bureau {
                "awards.application.confirm-match"
            } else {
                "awards.application.submit"
            },
            ("application", &id),
            evaluation_json.as_bytes(),
        )
        .await;
        self.application_row(&id).await
    }

    /// The company withdraws its application, at any step before the award.
    pub async fn withdraw(&self, actor: &Principal, id: &str) -> Result<Application> {
        let application = self.application_row(id).await?;
        require_company(actor, &application.company_organisation_id)?;
        self.step(
            actor,
            &application,
            Step::Withdraw,
            "withdraw",
            None,
            |_| Ok(()),
        )
        .await
    }

    /// The company resubmits an application returned for correction, with corrected facts.
    pub async fn resubmit(&self, actor: &Principal, id: &str, facts: Facts) -> Result<Application> {
        let application = self.application_row(id).await?;
        require_company(actor, &application.company_organisation_id)?;
        if application.state != State::Returned {
            return Err(AwardsError::WrongState {
                step: "resubmit",
                state: application.state,
            });
        }
        let today = self.now().city_date();
        let clause = self.catalogue.clause(&application.clause_id, today)?;
        let mut history = self.history(&application.company_id).await?;
        history
            .awards
            .retain(|a| a.subject_key != application.subject_key);
        let evaluation = policy::evaluate(clause, &facts, &history, today)?;
        if !evaluation.eligible {
            return Err(AwardsError::NotEligible {
                clause: clause.id.clone(),
                unmet: evaluation
                    .unmet
                    .iter()
                    .map(|u| (u.reason_zh.clone(), u.reason_en.clone()))
                    .collect(),
            });
        }
        let (amount_kind, max_yuan) = amount_parts(&evaluation.amount);
        sqlx::query(
            "UPDATE awards_applications SET facts = $1, evaluation = $2, amount_kind = $3, max_yuan = $4, \
             clause_version = $5 WHERE id = $6 AND state = 'returned'",
        )
        .bind(serde_json::to_string(&facts).unwrap_or_default())
        .bind(serde_json::to_string(&evaluation).unwrap_or_default())
        .bind(amount_kind)
        .bind(max_yuan)
        .bind(i64::from(clause.version))
        .bind(id)
        .execute(self.db.writer())
        .await?;
        let application = self.application_row(id).await?;
        let pre_review_days = i64::from(self.rules.pre_review_days.value);
        self.step(
            actor,
            &application,
            Step::Resubmit,
            "resubmit",
            None,
            move |_| Ok(()),
        )
        .await?;
        self.set_due(id, Some(self.now().0 + pre_review_days * DAY_MS))
            .await?;
        self.application_row(id).await
    }

    /// Whether an open application of the company already covers this clause and subject.
    async fn open_duplicate(
        &self,
        company_id: &str,
        clause_id: &str,
        subject_key: &str,
    ) -> Result<bool> {
        let count: i64 = sqlx::query(
            "SELECT COUNT(*) FROM awards_applications WHERE company_id = $1 AND clause_id = $2 \
             AND subject_key = $3 AND state NOT IN ('refused', 'withdrawn')",
        )
        .bind(company_id)
        .bind(clause_id)
        .bind(subject_key)
        .fetch_one(self.db.pool())
        .await?
        .try_get(0)?;
        Ok(count > 0)
    }

    /// The company's awards (and recommendations under way) as the policy engine's history,
    /// so yearly and cumulative caps count them.
    pub async fn history(&self, company_id: &str) -> Result<History> {
        let rows = sqlx::query(
            "SELECT clause_id, clause_version, subject_key, award_year, \
             COALESCE(awarded_yuan, recommended_yuan, 0) FROM awards_applications \
             WHERE company_id = $1 AND state IN ('recommended', 'in-notice', 'awarded')",
        )
        .bind(company_id)
        .fetch_all(self.db.pool())
        .await?;
        let mut awards = Vec::with_capacity(rows.len());
        for r in rows {
            awards.push(PastAward {
                clause_id: r.try_get(0)?,
                clause_version: u32::try_from(r.try_get::<i64, _>(1)?).unwrap_or_default(),
                subject_key: r.try_get(2)?,
                year: i16::try_from(r.try_get::<i64, _>(3)?).unwrap_or_default(),
                amount: Money(r.try_get(4)?),
            });
        }
        Ok(History { awards })
    }

    /// One application, for someone allowed to see it: the company itself, officials,
    /// administrators, and the experts assigned to it.
    pub async fn application(&self, actor: &Principal, id: &str) -> Result<Application> {
        let application = self.application_row(id).await?;
        self.require_reader(actor, &application).await?;
        Ok(application)
    }

    pub(crate) async fn require_reader(
        &self,
        actor: &Principal,
        application: &Application,
    ) -> Result<()> {
        use access::Role;
        let allowed = official_bureau(actor).is_some()
            || actor.has_role(Role::PlatformAdmin)
            || (actor.has_role(Role::CompanyUser)
                && actor.organisation.id == application.company_organisation_id)
            || (actor.has_role(Role::ExpertReviewer)
                && self.is_assigned(&application.id, &actor.user_id).await?);
        if allowed {
            Ok(())
        } else {
            Err(AwardsError::forbidden(
                "无权查看该申报",
                "You may not see this application",
            ))
        }
    }

    /// The timeline of an application.
    pub async fn events(&self, actor: &Principal, id: &str) -> Result<Vec<Event>> {
        let application = self.application_row(id).await?;
        self.require_reader(actor, &application).await?;
        let rows = sqlx::query(
            "SELECT at, actor, step, state, note FROM awards_events WHERE application_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get(3)?;
                Ok(Event {
                    at: r.try_get(0)?,
                    actor: r.try_get(1)?,
                    step: r.try_get(2)?,
                    state: State::from_key(&state).unwrap_or(State::Submitted),
                    note: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// The attachments of an application (descriptions only).
    pub async fn attachments(&self, actor: &Principal, id: &str) -> Result<Vec<AttachmentInfo>> {
        let application = self.application_row(id).await?;
        self.require_reader(actor, &application).await?;
        let rows = sqlx::query(
            "SELECT id, kind, file_name, content_type, sha256, bytes FROM awards_attachments \
             WHERE application_id = $1 ORDER BY uploaded_at, id",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AttachmentInfo {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    file_name: r.try_get(2)?,
                    content_type: r.try_get(3)?,
                    sha256: r.try_get(4)?,
                    bytes: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// One attachment's content, for someone allowed to see the application.
    pub async fn attachment(
        &self,
        actor: &Principal,
        id: &str,
        attachment_id: &str,
    ) -> Result<(AttachmentInfo, Vec<u8>)> {
        let info = self
            .attachments(actor, id)
            .await?
            .into_iter()
            .find(|a| a.id == attachment_id)
            .ok_or(AwardsError::NotFound { what: "attachment" })?;
        let content: String = sqlx::query("SELECT content FROM awards_attachments WHERE id = $1")
            .bind(attachment_id)
            .fetch_one(self.db.pool())
            .await?
            .try_get(0)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content)
            .unwrap_or_default();
        Ok((info, bytes))
    }

    /// Applications of one company, newest first (the company's own page).
    pub async fn applications_of(
        &self,
        actor: &Principal,
        organisation_id: &str,
    ) -> Result<Vec<Application>> {
        use access::Role;
        if !(official_bureau(actor).is_some()
            || actor.has_role(Role::PlatformAdmin)
            || (actor.has_role(Role::CompanyUser) && actor.organisation.id == organisation_id))
        {
            return Err(AwardsError::forbidden(
                "只能查看本单位的申报",
                "You may see only your own organisation's applications",
            ));
        }
        self.query_applications(
            "WHERE company_organisation_id = $1 ORDER BY submitted_at DESC",
            organisation_id,
        )
        .await
    }

    /// Applications of a programme (officials).
    pub async fn applications_in(
        &self,
        actor: &Principal,
        programme_id: &str,
    ) -> Result<Vec<Application>> {
        if official_bureau(actor).is_none() && !actor.has_role(access::Role::PlatformAdmin) {
            return Err(AwardsError::forbidden(
                "申报受理清单仅对政府部门开放",
                "The list of applications is open to bureau officials only",
            ));
        }
        self.query_applications(
            "WHERE programme_id = $1 ORDER BY submitted_at",
            programme_id,
        )
        .await
    }

    /// Applications on public notice now: open to every signed-in user, who may object.
    pub async fn on_notice(&self) -> Result<Vec<Application>> {
        self.query_applications(
            "WHERE state = $1 ORDER BY notice_until",
            State::InNotice.key(),
        )
        .await
    }

    pub(crate) async fn query_applications(
        &self,
        tail: &str,
        bind: &str,
    ) -> Result<Vec<Application>> {
        let rows = sqlx::query(&format!("{SELECT_APPLICATION} {tail}"))
            .bind(bind)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(application_from_row).collect()
    }

    pub(crate) async fn application_row(&self, id: &str) -> Result<Application> {
        let row = sqlx::query(&format!("{SELECT_APPLICATION} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(AwardsError::NotFound {
                what: "application",
            })?;
        application_from_row(&row)
    }

    pub(crate) async fn set_due(&self, id: &str, due_at: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE awards_applications SET due_at = $1 WHERE id = $2")
            .bind(due_at)
            .bind(id)
            .execute(self.db.writer())
            .await?;
        Ok(())
    }

    /// Moves an application one step, if its state still is what the caller read (a
    /// conditional UPDATE: of two officials acting at once, one wins and the other is told),
    /// runs `extra` on the SQL transaction's values, records the event and the ledger entry.
    pub(crate) async fn step(
        &self,
        actor: &Principal,
        application: &Application,
        step: Step,
        name: &'static str,
        note: Option<&str>,
        check: impl FnOnce(&Application) -> Result<()>,
    ) -> Result<Application> {
        let next = application
            .state
            .after(step)
            .ok_or(AwardsError::WrongState {
                step: name,
                state: application.state,
            })?;
        check(application)?;
        let now = self.now().0;
        let mut tx = self.db.writer().begin().await?;
        let changed = sqlx::query(
            "UPDATE awards_applications SET state = $1, updated_at = $2, \
             reason = COALESCE($3, reason) WHERE id = $4 AND state = $5",
        )
        .bind(next.key())
        .bind(now)
        .bind(
            matches!(step, Step::Refuse | Step::Return)
                .then_some(note)
                .flatten(),
        )
        .bind(&application.id)
        .bind(application.state.key())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AwardsError::conflict(
                "该申报刚被其他人处理过，请刷新后再试",
                "Someone else has just acted on this application; reload and try again",
            ));
        }
        insert_event(
            &mut tx,
            &application.id,
            now,
            &actor.user_id,
            name,
            next,
            note,
        )
        .await?;
        tx.commit().await?;
        if next.is_final() {
            self.set_due(&application.id, None).await?;
        }
        self.record(
            &actor.user_id,
            Some(&actor.organisation.id),
            &format!("awards.application.{name}"),
            ("application", &application.id),
            note.unwrap_or_default().as_bytes(),
        )
        .await;
        self.application_row(&application.id).await
    }
}

pub(crate) async fn insert_event(
    tx: &mut store::sqlx::Transaction<'_, store::sqlx::Any>,
    application_id: &str,
    at: i64,
    actor: &str,
    step: &str,
    state: State,
    note: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO awards_events (id, application_id, at, actor, step, state, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(application_id)
    .bind(at)
    .bind(actor)
    .bind(step)
    .bind(state.key())
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The amount's kind and maximum, as stored.
fn amount_parts(amount: &Amount) -> (&'static str, Option<i64>) {
    match amount {
        Amount::Exact(m) => ("exact", Some(m.0)),
        Amount::UpTo(m) => ("up-to", Some(m.0)),
        Amount::Committee => ("committee", None),
        Amount::NotStated => ("not-stated", None),
        Amount::Nothing => ("exact", Some(0)),
    }
}

fn check_attachments(
    clause: &policy::Clause,
    attachments: &[NewAttachment],
    by_bureau: bool,
) -> Result<()> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(AwardsError::invalid(
            "attachments",
            format!("附件最多 {MAX_ATTACHMENTS} 个"),
            format!("At most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    for a in attachments {
        if a.bytes.is_empty() || a.bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(AwardsError::invalid(
                "attachments",
                format!("附件「{}」须非空且不超过 2 MB", a.file_name),
                format!(
                    "Attachment \"{}\" must be non-empty and at most 2 MB",
                    a.file_name
                ),
            ));
        }
        if !clause.attachments.iter().any(|d| d.id == a.kind) {
            return Err(AwardsError::invalid(
                "attachments",
                format!("条款 {} 不需要「{}」类附件", clause.id, a.kind),
                format!(
                    "Clause {} takes no attachment of kind \"{}\"",
                    clause.id, a.kind
                ),
            ));
        }
    }
    if by_bureau {
        return Ok(());
    }
    for needed in &clause.attachments {
        if !attachments.iter().any(|a| a.kind == needed.id) {
            return Err(AwardsError::invalid(
                "attachments",
                format!("请上传附件：{}", needed.name_zh),
                format!("Upload the attachment: {}", needed.name_en),
            ));
        }
    }
    Ok(())
}

const SELECT_APPLICATION: &str = "SELECT id, programme_id, company_id, company_name, company_organisation_id, \
     clause_id, clause_version, subject_key, title, facts, evaluation, amount_kind, max_yuan, requested_yuan, \
     recommended_yuan, awarded_yuan, state, score_centi, notice_until, due_at, reason, initiated_by_bureau, \
     submitted_at, award_year FROM awards_applications";

fn application_from_row(r: &store::sqlx::any::AnyRow) -> Result<Application> {
    let facts: String = r.try_get(9)?;
    let evaluation: String = r.try_get(10)?;
    let state: String = r.try_get(16)?;
    Ok(Application {
        id: r.try_get(0)?,
        programme_id: r.try_get(1)?,
        company_id: r.try_get(2)?,
        company_name: r.try_get(3)?,
        company_organisation_id: r.try_get(4)?,
        clause_id: r.try_get(5)?,
        clause_version: u32::try_from(r.try_get::<i64, _>(6)?).unwrap_or_default(),
        subject_key: r.try_get(7)?,
        title: r.try_get(8)?,
        facts: serde_json::from_str(&facts).unwrap_or_default(),
        evaluation: serde_json::from_str(&evaluation).unwrap_or_default(),
        amount_kind: r.try_get(11)?,
        max_yuan: r.try_get(12)?,
        requested_yuan: r.try_get(13)?,
        recommended_yuan: r.try_get(14)?,
        awarded_yuan: r.try_get(15)?,
        state: State::from_key(&state).unwrap_or(State::Submitted),
        score_centi: r.try_get(17)?,
        notice_until: r.try_get(18)?,
        due_at: r.try_get(19)?,
        reason: r.try_get(20)?,
        initiated_by_bureau: r.try_get::<i64, _>(21)? != 0,
        submitted_at: r.try_get(22)?,
        award_year: i16::try_from(r.try_get::<i64, _>(23)?).unwrap_or_default(),
    })
}

/// A day as the city sees it, for deadlines shown to people.
pub fn city_day(ms: i64) -> Date {
    UtcMillis(ms).city_date()
}
