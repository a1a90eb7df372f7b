//! 一企一策: a support plan for each company on a published list (nanjing-2020 三（二）3), with
//! actions owned by a bureau, due dates and follow-up notes. Officials of the two bureaus
//! write plans; the company's own users read theirs and add follow-up notes.

use access::{Bureau, Principal};
use jiff::civil::Date;
use kernel::UtcMillis;
use serde::{Serialize, Serializer};
use store::sqlx::{self, Row};

use crate::error::{CultivationError, Result};
use crate::selection::check_reason;
use crate::service::{
    Cultivation, check_year, is_admin, is_company_user, is_cultivation_official, must_be_official,
    must_read_company,
};

/// A company's support plan for one scheme and year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupportPlan {
    pub id: String,
    pub company_id: String,
    pub scheme: String,
    pub year: i32,
    pub goals: String,
    pub created_by: String,
    pub created_at: UtcMillis,
    /// In due-date order.
    pub actions: Vec<Action>,
    /// Oldest first.
    pub follow_ups: Vec<FollowUp>,
}

/// Something a bureau undertakes for the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub id: String,
    pub what: String,
    #[serde(serialize_with = "bureau_code")]
    pub owner_bureau: Bureau,
    /// The official who carries it out, when one is named.
    pub owner_user: Option<String>,
    pub due: Date,
    pub state: ActionState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ActionState {
    Open,
    Done,
    Dropped { reason: String },
}

/// A note on how the plan is going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    pub at: UtcMillis,
    pub by: String,
    pub note: String,
}

/// What it takes to add an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub what: String,
    pub owner_bureau: Bureau,
    pub owner_user: Option<String>,
    pub due: Date,
}

/// An open action past its due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueAction {
    pub plan_id: String,
    pub company_id: String,
    pub scheme: String,
    pub year: i32,
    pub action: Action,
    /// Whole days past due on `today`.
    pub days_overdue: i32,
}

fn bureau_code<S: Serializer>(bureau: &Bureau, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(bureau.code())
}

fn corrupt(what: impl std::fmt::Display) -> CultivationError {
    CultivationError::Corrupt(what.to_string())
}

fn required<'a>(field: &'static str, text: &'a str, zh: &str) -> Result<&'a str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CultivationError::invalid(
            field,
            format!("请填写{zh}"),
            format!("{field} is empty"),
        ));
    }
    Ok(text)
}

const OPEN: &str = "open";
const DONE: &str = "done";
const DROPPED: &str = "dropped";

fn action(r: &sqlx::any::AnyRow) -> Result<Action> {
    let bureau: String = r.try_get(2)?;
    let due: String = r.try_get(4)?;
    let state: String = r.try_get(5)?;
    let state = match state.as_str() {
        OPEN => ActionState::Open,
        DONE => ActionState::Done,
        DROPPED => ActionState::Dropped {
            reason: r.try_get::<Option<String>, _>(6)?.unwrap_or_default(),
        },
        other => return Err(corrupt(format!("action state {other}"))),
    };
    Ok(Action {
        id: r.try_get(0)?,
        what: r.try_get(1)?,
        owner_bureau: bureau.parse().map_err(corrupt)?,
        owner_user: r.try_get(3)?,
        due: due.parse().map_err(corrupt)?,
        state,
    })
}

const ACTION_COLUMNS: &str =
    "a.id, a.what, a.owner_bureau, a.owner_user, a.due, a.state, a.dropped_reason";

impl Cultivation {
    /// Opens the support plan of a company on the current published list of `scheme` for
    /// `year`. One plan per company, scheme and year.
    pub async fn create_plan(
        &self,
        actor: &Principal,
        company_id: &str,
        scheme: &str,
        year: i32,
        goals: &str,
    ) -> Result<SupportPlan> {
        must_be_official(actor)?;
        self.scheme(scheme)?;
        check_year(year)?;
        let goals = required("goals", goals, "培育目标")?;
        let member: Option<String> = sqlx::query_scalar(
            "SELECT pool FROM cultivation_memberships WHERE scheme = $1 AND year = $2 \
             AND company_id = $3 AND ended_at IS NULL",
        )
        .bind(scheme)
        .bind(i64::from(year))
        .bind(company_id)
        .fetch_optional(self.db.pool())
        .await?;
        if member.is_none() {
            return Err(CultivationError::Conflict {
                zh: format!(
                    "企业{company_id}不在{scheme}的{year}年度现行公布名单中，不能制定一企一策"
                ),
                en: format!(
                    "company {company_id} is not on the current published {year} list of {scheme}: support plans are for members"
                ),
            });
        }
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT id FROM cultivation_plans WHERE company_id = $1 AND scheme = $2 AND year = $3",
        )
        .bind(company_id)
        .bind(scheme)
        .bind(i64::from(year))
        .fetch_optional(self.db.pool())
        .await?;
        if let Some(existing) = existing {
            return Err(CultivationError::Conflict {
                zh: format!("企业{company_id}已有该年度的一企一策方案（{existing}）"),
                en: format!("company {company_id} already has a plan for this year ({existing})"),
            });
        }
        let id = kernel::Id::new().to_string();
        sqlx::query(
            "INSERT INTO cultivation_plans (id, company_id, scheme, year, goals, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(company_id)
        .bind(scheme)
        .bind(i64::from(year))
        .bind(goals)
        .bind(&actor.user_id)
        .bind(UtcMillis::now().0)
        .execute(self.db.writer())
        .await?;
        self.record(
            actor,
            "cultivation.plan.create",
            ("cultivation_plan", &id),
            goals.as_bytes(),
        )
        .await;
        self.load_plan(&id).await
    }

    /// A plan, for officials, administrators and the company's own users.
    pub async fn plan(&self, actor: &Principal, plan_id: &str) -> Result<SupportPlan> {
        let plan = self.load_plan(plan_id).await?;
        must_read_company(actor, &plan.company_id)?;
        Ok(plan)
    }

    /// Every plan of `company_id`, newest year first.
    pub async fn plans_of(&self, actor: &Principal, company_id: &str) -> Result<Vec<SupportPlan>> {
        must_read_company(actor, company_id)?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM cultivation_plans WHERE company_id = $1 ORDER BY year DESC, scheme",
        )
        .bind(company_id)
        .fetch_all(self.db.pool())
        .await?;
        let mut plans = Vec::with_capacity(ids.len());
        for id in ids {
            plans.push(self.load_plan(&id).await?);
        }
        Ok(plans)
    }

    /// Adds an action to a plan.
    pub async fn add_action(
        &self,
        actor: &Principal,
        plan_id: &str,
        new: NewAction,
    ) -> Result<SupportPlan> {
        must_be_official(actor)?;
        let what = required("what", &new.what, "措施内容")?;
        self.load_plan(plan_id).await?;
        let id = kernel::Id::new().to_string();
        sqlx::query(
            "INSERT INTO cultivation_actions (id, plan_id, what, owner_bureau, owner_user, due, \
             state, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(plan_id)
        .bind(what)
        .bind(new.owner_bureau.code())
        .bind(new.owner_user.as_deref())
        .bind(new.due.to_string())
        .bind(OPEN)
        .bind(&actor.user_id)
        .bind(UtcMillis::now().0)
        .execute(self.db.writer())
        .await?;
        let data = format!("{id}:{what}:{}:{}", new.owner_bureau.code(), new.due);
        self.record(
            actor,
            "cultivation.plan.action.add",
            ("cultivation_plan", plan_id),
            data.as_bytes(),
        )
        .await;
        self.load_plan(plan_id).await
    }

    /// Marks an open action done.
    pub async fn complete_action(&self, actor: &Principal, action_id: &str) -> Result<SupportPlan> {
        self.close_action(actor, action_id, DONE, None).await
    }

    /// Drops an open action, with a written reason.
    pub async fn drop_action(
        &self,
        actor: &Principal,
        action_id: &str,
        reason: &str,
    ) -> Result<SupportPlan> {
        let reason = check_reason(reason)?;
        self.close_action(actor, action_id, DROPPED, Some(reason))
            .await
    }

    async fn close_action(
        &self,
        actor: &Principal,
        action_id: &str,
        state: &'static str,
        reason: Option<&str>,
    ) -> Result<SupportPlan> {
        must_be_official(actor)?;
        let plan_id: String =
            sqlx::query_scalar("SELECT plan_id FROM cultivation_actions WHERE id = $1")
                .bind(action_id)
                .fetch_optional(self.db.pool())
                .await?
                .ok_or_else(|| CultivationError::not_found("action", action_id))?;
        let closed = sqlx::query(
            "UPDATE cultivation_actions SET state = $1, dropped_reason = $2, closed_by = $3, \
             closed_at = $4 WHERE id = $5 AND state = $6",
        )
        .bind(state)
        .bind(reason)
        .bind(&actor.user_id)
        .bind(UtcMillis::now().0)
        .bind(action_id)
        .bind(OPEN)
        .execute(self.db.writer())
        .await?;
        if closed.rows_affected() != 1 {
            return Err(CultivationError::Conflict {
                zh: format!("措施{action_id}已办结或已撤销"),
                en: format!("action {action_id} is already done or dropped"),
            });
        }
        let action = format!("cultivation.plan.action.{state}");
        let data = format!("{action_id}:{}", reason.unwrap_or(""));
        self.record(
            actor,
            &action,
            ("cultivation_plan", &plan_id),
            data.as_bytes(),
        )
        .await;
        self.load_plan(&plan_id).await
    }

    /// Adds a follow-up note: by an official, or by a user of the plan's company.
    pub async fn add_follow_up(
        &self,
        actor: &Principal,
        plan_id: &str,
        note: &str,
    ) -> Result<SupportPlan> {
        let plan = self.load_plan(plan_id).await?;
        if !(is_cultivation_official(actor) || is_company_user(actor, &plan.company_id)) {
            return Err(CultivationError::forbidden(
                "只有市科技局、市工信局的工作人员或本企业用户可以填写跟进记录",
                "only the two bureaus' officials or the company's own users add follow-up notes",
            ));
        }
        let note = required("note", note, "跟进情况")?;
        sqlx::query(
            "INSERT INTO cultivation_follow_ups (id, plan_id, at, by_user, note) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(kernel::Id::new().to_string())
        .bind(plan_id)
        .bind(UtcMillis::now().0)
        .bind(&actor.user_id)
        .bind(note)
        .execute(self.db.writer())
        .await?;
        self.record(
            actor,
            "cultivation.plan.follow_up",
            ("cultivation_plan", plan_id),
            note.as_bytes(),
        )
        .await;
        self.load_plan(plan_id).await
    }

    /// Open actions due before `today`, most overdue first. For officials and administrators.
    pub async fn overdue_actions(
        &self,
        actor: &Principal,
        today: Date,
    ) -> Result<Vec<OverdueAction>> {
        if !(is_cultivation_official(actor) || is_admin(actor)) {
            return Err(CultivationError::forbidden(
                "逾期措施清单仅供市科技局、市工信局和平台管理员查看",
                "the overdue list is for the two bureaus and administrators",
            ));
        }
        let rows = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS}, p.id, p.company_id, p.scheme, p.year \
             FROM cultivation_actions a JOIN cultivation_plans p ON p.id = a.plan_id \
             WHERE a.state = $1 AND a.due < $2 ORDER BY a.due, a.id"
        ))
        .bind(OPEN)
        .bind(today.to_string())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let action = action(r)?;
                let days_overdue = action.due.until(today).map_err(corrupt)?.get_days();
                Ok(OverdueAction {
                    plan_id: r.try_get(7)?,
                    company_id: r.try_get(8)?,
                    scheme: r.try_get(9)?,
                    year: i32::try_from(r.try_get::<i64, _>(10)?).map_err(corrupt)?,
                    action,
                    days_overdue,
                })
            })
            .collect()
    }

    async fn load_plan(&self, plan_id: &str) -> Result<SupportPlan> {
        let row = sqlx::query(
            "SELECT company_id, scheme, year, goals, created_by, created_at \
             FROM cultivation_plans WHERE id = $1",
        )
        .bind(plan_id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| CultivationError::not_found("plan", plan_id))?;
        let actions = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM cultivation_actions a WHERE a.plan_id = $1 \
             ORDER BY a.due, a.id"
        ))
        .bind(plan_id)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(action)
        .collect::<Result<Vec<_>>>()?;
        let follow_ups = sqlx::query(
            "SELECT at, by_user, note FROM cultivation_follow_ups WHERE plan_id = $1 \
             ORDER BY at, id",
        )
        .bind(plan_id)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(FollowUp {
                at: UtcMillis(r.try_get(0)?),
                by: r.try_get(1)?,
                note: r.try_get(2)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(SupportPlan {
            id: plan_id.to_owned(),
            company_id: row.try_get(0)?,
            scheme: row.try_get(1)?,
            year: i32::try_from(row.try_get::<i64, _>(2)?).map_err(corrupt)?,
            goals: row.try_get(3)?,
            created_by: row.try_get(4)?,
            created_at: UtcMillis(row.try_get(5)?),
            actions,
            follow_ups,
        })
    }
}
