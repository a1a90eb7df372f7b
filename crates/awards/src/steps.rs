//! The department's and the experts' steps: pre-review, the expert panel and its scores, the
//! recommendation, public notice and objections, the award or refusal, and disbursement.

use access::{Bureau, Principal, Role};
use jiff::civil::Date;
use kernel::UtcMillis;
use serde::Serialize;
use store::sqlx::{self, Row};

use crate::applications::Application;
use crate::error::{AwardsError, Result};
use crate::review::{self, Applicant, Collaboration, Expert, Scores};
use crate::service::{Awards, new_id, require_bureau};
use crate::state::{State, Step};

const DAY_MS: i64 = 86_400_000;

/// The department's answer at pre-review.
#[derive(Debug, Clone)]
pub enum PreReview {
    /// Complete and eligible: on to the experts (or, for a formulaic clause, straight to a
    /// recommendation of the clause's amount).
    Pass,
    /// Something to correct; the company may resubmit.
    Return {
        reason: String,
    },
    Refuse {
        reason: String,
    },
}

/// One expert's place on a panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub application_id: String,
    pub expert_user_id: String,
    pub status: String,
    pub total_centi: Option<i64>,
    pub comment: Option<String>,
    pub recusal_reason: Option<String>,
}

/// An objection raised during the notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Objection {
    pub id: String,
    pub application_id: String,
    pub raised_at: i64,
    pub reason: String,
    pub status: String,
    pub resolution: Option<String>,
}

/// A payment against an award.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disbursement {
    pub id: String,
    pub application_id: String,
    pub amount_yuan: i64,
    pub paid_on: Date,
    pub voucher: String,
}

impl Awards {
    /// The programme's bureau must act; returns the bureau.
    async fn require_programme_bureau(
        &self,
        actor: &Principal,
        application: &Application,
    ) -> Result<()> {
        let programme = self.programme(&application.programme_id).await?;
        let bureau: Bureau = programme
            .bureau
            .parse()
            .map_err(|_| AwardsError::NotFound { what: "programme" })?;
        require_bureau(actor, bureau)
    }

    fn require_reason(&self, field: &'static str, reason: &str) -> Result<()> {
        if self.rules.reason_ok(reason) {
            Ok(())
        } else {
            let n = self.rules.min_reason_chars.value;
            Err(AwardsError::invalid(
                field,
                format!("请写明理由（至少 {n} 个字），让申报单位知道原因和下一步"),
                format!(
                    "Write the reason (at least {n} characters) so the applicant knows why and what to do next"
                ),
            ))
        }
    }

    /// Pre-review by the programme's bureau.
    pub async fn pre_review(
        &self,
        actor: &Principal,
        id: &str,
        answer: PreReview,
    ) -> Result<Application> {
        let application = self.application_row(id).await?;
        self.require_programme_bureau(actor, &application).await?;
        match answer {
            PreReview::Return { reason } => {
                self.require_reason("reason", &reason)?;
                let a = self
                    .step(
                        actor,
                        &application,
                        Step::Return,
                        "return",
                        Some(reason.trim()),
                        |_| Ok(()),
                    )
                    .await?;
                self.set_due(id, None).await?;
                Ok(a)
            }
            PreReview::Refuse { reason } => self.refuse(actor, id, &reason).await,
            PreReview::Pass => {
                if application.amount_kind == "exact" {
                    let amount = application.max_yuan.unwrap_or(0);
                    self.check_budget(&application, amount).await?;
                    self.set_recommended(id, amount).await?;
                    let a = self
                        .step(
                            actor,
                            &application,
                            Step::RecommendDirectly,
                            "pre-review",
                            None,
                            |_| Ok(()),
                        )
                        .await?;
                    self.set_due(id, None).await?;
                    Ok(a)
                } else {
                    let a = self
                        .step(
                            actor,
                            &application,
                            Step::SendToReview,
                            "pre-review",
                            None,
                            |_| Ok(()),
                        )
                        .await?;
                    self.assign_panel(&a, &[], None).await?;
                    self.set_due(
                        id,
                        Some(self.now().0 + i64::from(self.rules.review_days.value) * DAY_MS),
                    )
                    .await?;
                    self.application_row(id).await
                }
            }
        }
    }

    /// Chooses the panel, keeping experts already on it (`keep`) and passing over those who
    /// declared a conflict (stored recusals and `declaring`, not yet stored), and stores the
    /// newly chosen. Nothing is written when too few experts are free.
    async fn assign_panel(
        &self,
        application: &Application,
        keep: &[String],
        declaring: Option<(&str, &str)>,
    ) -> Result<Vec<String>> {
        let experts = self.experts().await?;
        let collaborations = self.collaborations().await?;
        let mut declared: Vec<(String, String)> = self
            .assignments_of(&application.id)
            .await?
            .into_iter()
            .filter_map(|a| a.recusal_reason.map(|r| (a.expert_user_id, r)))
            .collect();
        if let Some((user, reason)) = declaring {
            declared.push((user.to_owned(), reason.to_owned()));
        }
        let panel = review::choose_panel(
            &experts,
            Applicant {
                company_id: &application.company_id,
                organisation_id: &application.company_organisation_id,
            },
            review::Ties {
                collaborations: &collaborations,
                declared: &declared,
            },
            keep,
            self.rules.experts_per_application.value,
            self.now().city_date(),
            self.rules,
        )
        .map_err(|short| {
            AwardsError::conflict(
                format!(
                    "无利益冲突的评审专家不足：需要 {} 名，仅有 {} 名，请增补专家库",
                    short.needed, short.available
                ),
                format!(
                    "Too few experts without a conflict: {} needed, {} available; add experts to the pool",
                    short.needed, short.available
                ),
            )
        })?;
        let now = self.now().0;
        let mut tx = self.db.writer().begin().await?;
        if let Some((user, reason)) = declaring {
            let changed = sqlx::query(
                "UPDATE awards_assignments SET status = 'recused', recusal_reason = $1 \
                 WHERE application_id = $2 AND expert_user_id = $3 AND status = 'assigned'",
            )
            .bind(reason)
            .bind(&application.id)
            .bind(user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(AwardsError::forbidden(
                    "您不是该申报待评分的评审专家",
                    "You are not an expert with an open assignment on this application",
                ));
            }
        }
        for expert in panel.chosen.iter().filter(|e| !keep.contains(e)) {
            sqlx::query(
                "INSERT INTO awards_assignments (application_id, expert_user_id, assigned_at, status) \
                 VALUES ($1, $2, $3, 'assigned')",
            )
            .bind(&application.id)
            .bind(expert)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let data = serde_json::to_vec(&panel.chosen).unwrap_or_default();
        self.record(
            "system",
            None,
            "awards.panel.assign",
            ("application", &application.id),
            &data,
        )
        .await;
        Ok(panel.chosen)
    }

    /// Expert reviewers, with how many open assignments each has.
    async fn experts(&self) -> Result<Vec<Expert>> {
        let rows = sqlx::query(
            "SELECT DISTINCT u.id, u.organisation_id, \
               (SELECT COUNT(*) FROM awards_assignments x WHERE x.expert_user_id = u.id AND x.status = 'assigned') \
             FROM users u JOIN user_roles r ON r.user_id = u.id \
             WHERE r.role = $1 AND u.active = 1 ORDER BY u.id",
        )
        .bind(Role::ExpertReviewer.code())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Expert {
                    user_id: r.try_get(0)?,
                    organisation_id: r.try_get(1)?,
                    open_assignments: u32::try_from(r.try_get::<i64, _>(2)?).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    async fn collaborations(&self) -> Result<Vec<Collaboration>> {
        let rows = sqlx::query(
            "SELECT expert_user_id, company_id, until_on, note FROM awards_collaborations",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut all = Vec::with_capacity(rows.len());
        for r in rows {
            let until: String = r.try_get(2)?;
            if let Ok(until) = until.parse() {
                all.push(Collaboration {
                    expert_user_id: r.try_get(0)?,
                    company_id: r.try_get(1)?,
                    until,
                    note: r.try_get(3)?,
                });
            }
        }
        Ok(all)
    }

    /// Records a tie between an expert and a company (declared by the expert or found by the
    /// department), which keeps the expert off the company's panels for the conflict window.
    pub async fn record_collaboration(&self, actor: &Principal, c: Collaboration) -> Result<()> {
        let is_self = actor.has_role(Role::ExpertReviewer) && actor.user_id == c.expert_user_id;
        if !is_self && crate::service::official_bureau(actor).is_none() {
            return Err(AwardsError::forbidden(
                "只有专家本人或主管部门可以登记合作关系",
                "Only the expert or a bureau official may record a collaboration",
            ));
        }
        self.require_reason("note", &c.note)?;
        sqlx::query(
            "INSERT INTO awards_collaborations (id, expert_user_id, company_id, until_on, note, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(&c.expert_user_id)
        .bind(&c.company_id)
        .bind(c.until.to_string())
        .bind(c.note.trim())
        .bind(&actor.user_id)
        .bind(self.now().0)
        .execute(self.db.writer())
        .await?;
        self.record(
            &actor.user_id,
            Some(&actor.organisation.id),
            "awards.collaboration.record",
            ("user", &c.expert_user_id),
            c.company_id.as_bytes(),
        )
        .await;
        Ok(())
    }

    /// The panel of an application.
    pub async fn assignments_of(&self, application_id: &str) -> Result<Vec<Assignment>> {
        let rows = sqlx::query(
            "SELECT application_id, expert_user_id, status, total_centi, comment, recusal_reason \
             FROM awards_assignments WHERE application_id = $1 ORDER BY assigned_at, expert_user_id",
        )
        .bind(application_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(assignment_from_row).collect()
    }

    /// The applications assigned to an expert, open first.
    pub async fn my_assignments(
        &self,
        actor: &Principal,
    ) -> Result<Vec<(Assignment, Application)>> {
        if !actor.has_role(Role::ExpertReviewer) {
            return Err(AwardsError::forbidden(
                "仅评审专家可查看评审任务",
                "Only expert reviewers have review assignments",
            ));
        }
        let rows = sqlx::query(
            "SELECT application_id, expert_user_id, status, total_centi, comment, recusal_reason \
             FROM awards_assignments WHERE expert_user_id = $1 ORDER BY status, assigned_at DESC",
        )
        .bind(&actor.user_id)
        .fetch_all(self.db.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let a = assignment_from_row(r)?;
            let application = self.application_row(&a.application_id).await?;
            out.push((a, application));
        }
        Ok(out)
    }

    pub(crate) async fn is_assigned(&self, application_id: &str, user_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM awards_assignments WHERE application_id = $1 AND expert_user_id = $2",
        )
        .bind(application_id)
        .bind(user_id)
        .fetch_one(self.db.pool())
        .await?
        .try_get(0)?;
        Ok(n > 0)
    }

    /// An assigned expert declares a conflict; another expert takes the place. Refused, with
    /// nothing changed, when no other expert is free.
    pub async fn recuse(&self, actor: &Principal, id: &str, reason: &str) -> Result<Vec<String>> {
        self.require_reason("reason", reason)?;
        let application = self.application_row(id).await?;
        if application.state != State::InReview {
            return Err(AwardsError::WrongState {
                step: "score",
                state: application.state,
            });
        }
        let keep: Vec<String> = self
            .assignments_of(id)
            .await?
            .into_iter()
            .filter(|a| a.status != "recused" && a.expert_user_id != actor.user_id)
            .map(|a| a.expert_user_id)
            .collect();
        let panel = self
            .assign_panel(&application, &keep, Some((&actor.user_id, reason.trim())))
            .await?;
        self.record(
            &actor.user_id,
            Some(&actor.organisation.id),
            "awards.panel.recuse",
            ("application", id),
            reason.as_bytes(),
        )
        .await;
        Ok(panel)
    }

    /// An assigned expert scores the application against the rubric. When the last score is
    /// in, the aggregate is stored.
    pub async fn score(
        &self,
        actor: &Principal,
        id: &str,
        per_criterion: Vec<u32>,
        comment: &str,
    ) -> Result<Application> {
        let application = self.application_row(id).await?;
        if application.state != State::InReview {
            return Err(AwardsError::WrongState {
                step: "score",
                state: application.state,
            });
        }
        review::check_scores(&self.rules.rubric, &per_criterion).map_err(|e| match e {
            review::ScoreError::WrongCount { expected, .. } => AwardsError::invalid(
                "scores",
                format!("请为全部 {expected} 项评分标准打分"),
                format!("Score all {expected} criteria of the rubric"),
            ),
            review::ScoreError::OutOfRange { criterion, value } => AwardsError::invalid(
                "scores",
                format!("「{criterion}」的分数 {value} 超出 0–100"),
                format!("The score {value} for \"{criterion}\" is outside 0-100"),
            ),
        })?;
        let total = review::weighted_total(&self.rules.rubric, &per_criterion);
        let changed = sqlx::query(
            "UPDATE awards_assignments SET status = 'scored', scores = $1, total_centi = $2, comment = $3, scored_at = $4 \
             WHERE application_id = $5 AND expert_user_id = $6 AND status = 'assigned'",
        )
        .bind(serde_json::to_string(&per_criterion).unwrap_or_default())
        .bind(i64::from(total))
        .bind(comment.trim())
        .bind(self.now().0)
        .bind(id)
        .bind(&actor.user_id)
        .execute(self.db.writer())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AwardsError::forbidden(
                "您不是该申报待评分的评审专家，或已评过分",
                "You have no open assignment on this application, or have already scored it",
            ));
        }
        self.record(
            &actor.user_id,
            Some(&actor.organisation.id),
            "awards.review.score",
            ("application", id),
            &per_criterion
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<u8>>(),
        )
        .await;
        let panel = self.assignments_of(id).await?;
        if panel.iter().all(|a| a.status != "assigned") {
            let sheets = self.sheets(id).await?;
            if let Some(agg) = review::aggregate(&self.rules.rubric, &sheets, self.rules) {
                sqlx::query("UPDATE awards_applications SET score_centi = $1 WHERE id = $2")
                    .bind(i64::from(agg.score_centi))
                    .bind(id)
                    .execute(self.db.writer())
                    .await?;
            }
        }
        self.application_row(id).await
    }

    /// The panel's score sheets.
    pub async fn sheets(&self, id: &str) -> Result<Vec<Scores>> {
        let rows = sqlx::query(
            "SELECT expert_user_id, scores, comment FROM awards_assignments \
             WHERE application_id = $1 AND status = 'scored' ORDER BY expert_user_id",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        let mut sheets = Vec::with_capacity(rows.len());
        for r in rows {
            let scores: String = r.try_get(1)?;
            sheets.push(Scores {
                expert_user_id: r.try_get(0)?,
                per_criterion: serde_json::from_str(&scores).unwrap_or_default(),
                comment: r.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
            });
        }
        Ok(sheets)
    }

    /// The department recommends an amount after the review: all scores in, the aggregate at
    /// least the pass score, the amount within the clause's maximum and the programme's budget.
    /// For case-by-case clauses the amount is the committee's and `note` cites its minutes.
    pub async fn recommend(
        &self,
        actor: &Principal,
        id: &str,
        amount_yuan: i64,
        note: &str,
    ) -> Result<Application> {
        let application = self.application_row(id).await?;
        self.require_programme_bureau(actor, &application).await?;
        if application.state != State::InReview {
            return Err(AwardsError::WrongState {
                step: "recommend",
                state: application.state,
            });
        }
        let panel = self.assignments_of(id).await?;
        if panel.iter().any(|a| a.status == "assigned") {
            return Err(AwardsError::conflict(
                "专家评分尚未全部完成",
                "Not every expert has scored yet",
            ));
        }
        let pass = i64::from(self.rules.pass_score.value) * 100;
        if application.score_centi.unwrap_or(0) < pass {
            return Err(AwardsError::invalid(
                "amount_yuan",
                format!(
                    "专家评审平均分 {:.2} 低于 {} 分，不能拟支持；请作出不予支持决定",
                    application.score_centi.unwrap_or(0) as f64 / 100.0,
                    self.rules.pass_score.value
                ),
                format!(
                    "The panel's score {:.2} is below {}; it cannot be recommended, refuse it instead",
                    application.score_centi.unwrap_or(0) as f64 / 100.0,
                    self.rules.pass_score.value
                ),
            ));
        }
        if amount_yuan <= 0 {
            return Err(AwardsError::invalid(
                "amount_yuan",
                "拟支持金额须为正数（元）",
                "The recommended amount must be a positive number of yuan",
            ));
        }
        if let Some(max) = application.max_yuan
            && amount_yuan > max
        {
            return Err(AwardsError::invalid(
                "amount_yuan",
                format!(
                    "拟支持金额 {} 元超过条款 {} 的上限 {} 元（见计算依据）",
                    amount_yuan, application.clause_id, max
                ),
                format!(
                    "{} yuan exceeds clause {}'s maximum of {} yuan (see the trace)",
                    amount_yuan, application.clause_id, max
                ),
            ));
        }
        if application.max_yuan.is_none() {
            self.require_reason("note", note)?;
        }
        self.check_budget(&application, amount_yuan).await?;
        self.set_recommended(id, amount_yuan).await?;
        let note = (!note.trim().is_empty()).then_some(note.trim());
        let a = self
            .step(
                actor,
                &application,
                Step::Recommend,
                "recommend",
                note,
                |_| Ok(()),
            )
            .await?;
        self.set_due(id, None).await?;
        Ok(a)
    }

    async fn set_recommended(&self, id: &str, amount_yuan: i64) -> Result<()> {
        sqlx::query("UPDATE awards_applications SET recommended_yuan = $1 WHERE id = $2")
            .bind(amount_yuan)
            .bind(id)
            .execute(self.db.writer())
            .await?;
        Ok(())
    }

    async fn check_budget(&self, application: &Application, amount_yuan: i64) -> Result<()> {
        let budget = self.budget(&application.programme_id).await?;
        let already = if matches!(application.state, State::Recommended | State::InNotice) {
            application.recommended_yuan.unwrap_or(0)
        } else {
            0
        };
        let available = budget.available_yuan() + already;
        if amount_yuan > available {
            return Err(AwardsError::conflict(
                format!("资金计划年度预算余额 {available} 元，不足以支持 {amount_yuan} 元"),
                format!(
                    "The programme's remaining budget of {available} yuan cannot cover {amount_yuan} yuan"
                ),
            ));
        }
        Ok(())
    }

    /// Puts a recommendation on public notice (公示) for the configured period.
    pub async fn publish_notice(&self, actor: &Principal, id: &str) -> Result<Application> {
        let application = self.application_row(id).await?;
        self.require_programme_bureau(actor, &application).await?;
        let until = self.now().0 + i64::from(self.rules.notice_days.value) * DAY_MS;
        let a = self
            .step(actor, &application, Step::Publish, "publish", None, |_| {
                Ok(())
            })
            .await?;
        sqlx::query("UPDATE awards_applications SET notice_until = $1, due_at = $1 WHERE id = $2")
            .bind(until)
            .bind(id)
            .execute(self.db.writer())
            .await?;
        let _ = a;
        self.application_row(id).await
    }

    /// Anyone signed in may object while an application is on notice, with a reason.
    pub async fn object(&self, actor: &Principal, id: &str, reason: &str) -> Result<Objection> {
        self.require_reason("reason", reason)?;
        let application = self.application_row(id).await?;
        let now = self.now().0;
        if application.state != State::InNotice || application.notice_until.is_some_and(|u| now > u)
        {
            return Err(AwardsError::WrongState {
                step: "object",
                state: application.state,
            });
        }
        let objection = Objection {
            id: new_id(),
            application_id: id.to_owned(),
            raised_at: now,
            reason: reason.trim().to_owned(),
            status: "open".to_owned(),
            resolution: None,
        };
        sqlx::query(
            "INSERT INTO awards_objections (id, application_id, raised_by, raised_at, reason, status) \
             VALUES ($1, $2, $3, $4, $5, 'open')",
        )
        .bind(&objection.id)
        .bind(id)
        .bind(&actor.user_id)
        .bind(now)
        .bind(&objection.reason)
        .execute(self.db.writer())
        .await?;
        self.record(
            &actor.user_id,
            Some(&actor.organisation.id),
            "awards.notice.object",
            ("application", id),
            objection.reason.as_bytes(),
        )
        .await;
        Ok(objection)
    }

    /// Objections to an application (the objector's identity stays with the department).
    pub async fn objections(&self, actor: &Principal, id: &str) -> Result<Vec<Objection>> {
        let application = self.application_row(id).await?;
        self.require_reader(actor, &application).await?;
        let rows = sqlx::query(
            "SELECT id, application_id, raised_at, reason, status, resolution FROM awards_objections \
             WHERE application_id = $1 ORDER BY raised_at",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Objection {
                    id: r.try_get(0)?,
                    application_id: r.try_get(1)?,
                    raised_at: r.try_get(2)?,
                    reason: r.try_get(3)?,
                    status: r.try_get(4)?,
                    resolution: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// The department resolves an objection. An upheld objection refuses the application.
    pub async fn resolve_objection(
        &self,
        actor: &Principal,
        objection_id: &str,
        upheld: bool,
        resolution: &str,
    ) -> Result<Application> {
        self.require_reason("resolution", resolution)?;
        let application_id: String =
            sqlx::query("SELECT application_id FROM awards_objections WHERE id = $1")
                .bind(objection_id)
                .fetch_optional(self.db.pool())
                .await?
                .ok_or(AwardsError::NotFound { what: "objection" })?
                .try_get(0)?;
        let application = self.application_row(&application_id).await?;
        self.require_programme_bureau(actor, &application).await?;
        let changed = sqlx::query(
            "UPDATE awards_objections SET status = $1, resolved_by = $2, resolved_at = $3, resolution = $4 \
             WHERE id = $5 AND status = 'open'",
        )
        .bind(if upheld { "upheld" } else { "dismissed" })
        .bind(&actor.user_id)
        .bind(self.now().0)
        .bind(resolution.trim())
        .bind(objection_id)
        .execute(self.db.writer())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AwardsError::conflict(
                "该异议已处理",
                "This objection has already been resolved",
            ));
        }
        self.record(
            &actor.user_id,
            Some(&actor.organisation.id),
            "awards.notice.resolve",
            ("application", &application_id),
            resolution.as_bytes(),
        )
        .await;
        if upheld {
            let reason = format!("公示异议成立：{}", resolution.trim());
            return self
                .step(
                    actor,
                    &application,
                    Step::Refuse,
                    "refuse",
                    Some(&reason),
                    |_| Ok(()),
                )
                .await;
        }
        Ok(application)
    }

    /// The award, once the notice has ended without an open objection.
    pub async fn award(&self, actor: &Principal, id: &str) -> Result<Application> {
        let application = self.application_row(id).await?;
        self.require_programme_bureau(actor, &application).await?;
        let now = self.now().0;
        if let Some(until) = application.notice_until
            && now < until
        {
            return Err(AwardsError::conflict(
                format!(
                    "公示期至 {}，期满后才能作出立项决定",
                    UtcMillis(until).city_date()
                ),
                format!(
                    "The notice runs until {}; the award can be made only after it",
                    UtcMillis(until).city_date()
                ),
            ));
        }
        let open = self
            .objections(actor, id)
            .await?
            .into_iter()
            .filter(|o| o.status == "open")
            .count();
        if open > 0 {
            return Err(AwardsError::conflict(
                format!("还有 {open} 条公示异议未处理"),
                format!("{open} objection(s) to the notice are still open"),
            ));
        }
        let amount = application.recommended_yuan.unwrap_or(0);
        let a = self
            .step(actor, &application, Step::Award, "award", None, |_| Ok(()))
            .await?;
        sqlx::query("UPDATE awards_applications SET awarded_yuan = $1 WHERE id = $2")
            .bind(amount)
            .bind(id)
            .execute(self.db.writer())
            .await?;
        let _ = a;
        self.application_row(id).await
    }

    /// Refusal, with a reason, at any step before the award.
    pub async fn refuse(&self, actor: &Principal, id: &str, reason: &str) -> Result<Application> {
        self.require_reason("reason", reason)?;
        let application = self.application_row(id).await?;
        self.require_programme_bureau(actor, &application).await?;
        self.step(
            actor,
            &application,
            Step::Refuse,
            "refuse",
            Some(reason.trim()),
            |_| Ok(()),
        )
        .await
    }

    /// The finance bureau records a payment: never more in total than the award.
    pub async fn disburse(
        &self,
        actor: &Principal,
        id: &str,
        amount_yuan: i64,
        paid_on: Date,
        voucher: &str,
    ) -> Result<Disbursement> {
        require_bureau(actor, Bureau::Finance)?;
        let application = self.application_row(id).await?;
        if application.state != State::Awarded {
            return Err(AwardsError::WrongState {
                step: "disburse",
                state: application.state,
            });
        }
        if amount_yuan <= 0 {
            return Err(AwardsError::invalid(
                "amount_yuan",
                "拨付金额须为正数（元）",
                "The payment must be a positive number of yuan",
            ));
        }
        if voucher.trim().is_empty() || voucher.len() > 100 {
            return Err(AwardsError::invalid(
                "voucher",
                "请填写拨付凭证号（不超过100字符）",
                "Enter the payment voucher number (at most 100 characters)",
            ));
        }
        if paid_on > self.now().city_date() {
            return Err(AwardsError::invalid(
                "paid_on",
                "拨付日期不能晚于今天",
                "The payment date cannot be in the future",
            ));
        }
        let paid = self.disbursed(id).await?;
        let awarded = application.awarded_yuan.unwrap_or(0);
        if paid + amount_yuan > awarded {
            return Err(AwardsError::invalid(
                "amount_yuan",
                format!("累计拨付不能超过立项金额 {awarded} 元（已拨付 {paid} 元）"),
                format!(
                    "Payments cannot exceed the award of {awarded} yuan ({paid} yuan paid so far)"
                ),
            ));
        }
        let d = Disbursement {
            id: new_id(),
            application_id: id.to_owned(),
            amount_yuan,
            paid_on,
            voucher: voucher.trim().to_owned(),
        };
        sqlx::query(
            "INSERT INTO awards_disbursements (id, application_id, amount_yuan, paid_on, voucher, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&d.id)
        .bind(id)
        .bind(amount_yuan)
        .bind(paid_on.to_string())
        .bind(&d.voucher)
        .bind(&actor.user_id)
        .bind(self.now().0)
        .execute(self.db.writer())
        .await?;
        self.record(
            &actor.user_id,
            Some(&actor.organisation.id),
            "awards.disburse",
            ("application", id),
            format!("{amount_yuan}").as_bytes(),
        )
        .await;
        Ok(d)
    }

    /// Paid so far on an award.
    pub async fn disbursed(&self, id: &str) -> Result<i64> {
        Ok(sqlx::query("SELECT CAST(COALESCE(SUM(amount_yuan), 0) AS BIGINT) FROM awards_disbursements WHERE application_id = $1")
            .bind(id)
            .fetch_one(self.db.pool())
            .await?
            .try_get(0)?)
    }

    /// Payments on an award.
    pub async fn disbursements(&self, actor: &Principal, id: &str) -> Result<Vec<Disbursement>> {
        let application = self.application_row(id).await?;
        self.require_reader(actor, &application).await?;
        let rows = sqlx::query(
            "SELECT id, application_id, amount_yuan, paid_on, voucher FROM awards_disbursements \
             WHERE application_id = $1 ORDER BY paid_on, id",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let paid_on: String = r.try_get(3)?;
                Ok(Disbursement {
                    id: r.try_get(0)?,
                    application_id: r.try_get(1)?,
                    amount_yuan: r.try_get(2)?,
                    paid_on: paid_on.parse().unwrap_or(Date::MIN),
                    voucher: r.try_get(4)?,
                })
            })
            .collect()
    }
}

fn assignment_from_row(r: &store::sqlx::any::AnyRow) -> Result<Assignment> {
    Ok(Assignment {
        application_id: r.try_get(0)?,
        expert_user_id: r.try_get(1)?,
        status: r.try_get(2)?,
        total_centi: r.try_get(3)?,
        comment: r.try_get(4)?,
        recusal_reason: r.try_get(5)?,
    })
}
