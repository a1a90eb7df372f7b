//! Policy matching through the service: a company's matches from the register, and the
//! bureau's notice to the company that a clause probably applies (政策找企业).

use access::{Principal, Role};
use industry::Industry;
use serde::Serialize;
use store::sqlx::{self, Row};

use crate::error::{AwardsError, Result};
use crate::matching::{CompanyMatches, match_register, register_facts};
use crate::service::{Awards, new_id, official_bureau};

/// A notice sent to a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub id: String,
    pub company_id: String,
    pub clause_id: String,
    pub subject_key: String,
    pub message: String,
    pub sent_at: i64,
    pub read_at: Option<i64>,
}

impl Awards {
    /// The clauses a company qualifies for now, from the register (the company itself,
    /// officials and administrators).
    pub async fn matches(
        &self,
        actor: &Principal,
        industry: &Industry,
        company_id: &str,
    ) -> Result<CompanyMatches> {
        may_see_company(actor, company_id)?;
        let on = self.now().city_date();
        let (_, facts) = facts_from_register(actor, industry, company_id, on).await?;
        let history = self.history(company_id).await?;
        Ok(match_register(self.catalogue, &facts, &history, on))
    }

    /// The no-application path from the register: the bureau confirms that the company
    /// qualifies for a clause computable from register data alone; the facts are the
    /// register's own (recomputed here, never typed in), and the application starts
    /// recommended at the clause's amount.
    pub async fn confirm_from_register(
        &self,
        actor: &Principal,
        industry: &Industry,
        company_id: &str,
        programme_id: &str,
        clause_id: &str,
        subject_key: &str,
    ) -> Result<crate::Application> {
        let on = self.now().city_date();
        let (company, fact_sets) = facts_from_register(actor, industry, company_id, on).await?;
        let organisation_id = company.organisation_id.clone().ok_or_else(|| {
            AwardsError::invalid(
                "company_id",
                "该企业没有平台账号，无法接收免申即享通知",
                "The company has no accounts on the platform to be told of the award",
            )
        })?;
        let clause = self.catalogue.clause(clause_id, on)?;
        let history = self.history(company_id).await?;
        let facts = fact_sets
            .into_iter()
            .find(|f| {
                policy::evaluate(clause, f, &history, on)
                    .is_ok_and(|e| e.eligible && e.subject_key == subject_key)
            })
            .ok_or_else(|| AwardsError::NotEligible {
                clause: clause_id.to_owned(),
                unmet: vec![(
                    format!("企业库信息不足以证明符合该条款（{subject_key}）"),
                    format!("The register does not show the company qualifies ({subject_key})"),
                )],
            })?;
        self.confirm_match(
            actor,
            crate::Submission {
                programme_id: programme_id.to_owned(),
                applicant: crate::Applicant {
                    company_id: company.id.clone(),
                    name: company.name.clone(),
                    organisation_id,
                },
                clause_id: clause_id.to_owned(),
                title: format!("{}（免申即享）", clause.title_zh),
                facts,
                requested_yuan: None,
                attachments: Vec::new(),
            },
        )
        .await
    }

    /// A bureau tells a company that a clause probably applies.
    pub async fn send_notice(
        &self,
        actor: &Principal,
        company_id: &str,
        clause_id: &str,
        subject_key: &str,
        message: &str,
    ) -> Result<Notice> {
        if official_bureau(actor).is_none() {
            return Err(AwardsError::forbidden(
                "只有政府部门可以向企业推送政策",
                "Only bureau officials may send policy notices to companies",
            ));
        }
        let today = self.now().city_date();
        self.catalogue.clause(clause_id, today)?;
        let message = message.trim();
        if message.is_empty() || message.chars().count() > 500 {
            return Err(AwardsError::invalid(
                "message",
                "请填写推送说明（不超过500字）",
                "Write the notice (at most 500 characters)",
            ));
        }
        let notice = Notice {
            id: new_id(),
            company_id: company_id.to_owned(),
            clause_id: clause_id.to_owned(),
            subject_key: subject_key.to_owned(),
            message: message.to_owned(),
            sent_at: self.now().0,
            read_at: None,
        };
        sqlx::query(
            "INSERT INTO awards_notices (id, company_id, clause_id, subject_key, message, sent_by, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&notice.id)
        .bind(company_id)
        .bind(clause_id)
        .bind(subject_key)
        .bind(message)
        .bind(&actor.user_id)
        .bind(notice.sent_at)
        .execute(self.db.writer())
        .await?;
        self.record(
            &actor.user_id,
            Some(&actor.organisation.id),
            "awards.notice.send",
            ("enterprise", company_id),
            clause_id.as_bytes(),
        )
        .await;
        Ok(notice)
    }

    /// The notices a company received, newest first.
    pub async fn notices(&self, actor: &Principal, company_id: &str) -> Result<Vec<Notice>> {
        may_see_company(actor, company_id)?;
        let rows = sqlx::query(
            "SELECT id, company_id, clause_id, subject_key, message, sent_at, read_at FROM awards_notices \
             WHERE company_id = $1 ORDER BY sent_at DESC",
        )
        .bind(company_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Notice {
                    id: r.try_get(0)?,
                    company_id: r.try_get(1)?,
                    clause_id: r.try_get(2)?,
                    subject_key: r.try_get(3)?,
                    message: r.try_get(4)?,
                    sent_at: r.try_get(5)?,
                    read_at: r.try_get(6)?,
                })
            })
            .collect()
    }
}

/// The register's facts about a company and each of its products on `on` (yearly figures
/// as far as `actor` may read them).
async fn facts_from_register(
    actor: &Principal,
    industry: &Industry,
    company_id: &str,
    on: jiff::civil::Date,
) -> Result<(industry::Company, Vec<policy::Facts>)> {
    let company = industry.company(company_id).await.map_err(register_error)?;
    let figures = industry
        .figures(actor, company_id)
        .await
        .unwrap_or_default();
    let mut products = Vec::new();
    for product in industry
        .products_of(company_id)
        .await
        .map_err(register_error)?
    {
        let events = industry
            .stage_events(&product.id)
            .await
            .map_err(register_error)?;
        products.push((product, events));
    }
    let facts = register_facts(&company, &figures, &products, on);
    Ok((company, facts))
}

fn may_see_company(actor: &Principal, company_id: &str) -> Result<()> {
    let own = actor.has_role(Role::CompanyUser) && actor.organisation.id == company_id;
    if own || official_bureau(actor).is_some() || actor.has_role(Role::PlatformAdmin) {
        Ok(())
    } else {
        Err(AwardsError::forbidden(
            "只能查看本企业的政策匹配",
            "You may see only your own company's policy matches",
        ))
    }
}

fn register_error(e: industry::IndustryError) -> AwardsError {
    match e.kind() {
        industry::ErrorKind::NotFound => AwardsError::NotFound { what: "company" },
        _ => AwardsError::invalid("company_id", e.message_zh(), e.message_en()),
    }
}
