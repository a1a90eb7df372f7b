//! Subsidy programmes: a bureau's yearly call with its budget, its application window and the
//! clauses it funds. The budget is what awards are committed and disbursed against.

use access::{Bureau, Principal};
use jiff::civil::Date;
use serde::Serialize;
use store::sqlx::{self, Row};

use crate::error::{AwardsError, Result};
use crate::service::{Awards, PROGRAMME_BUREAUS, bureau_en, bureau_zh, new_id, official_bureau};

/// A programme as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Programme {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub year: i16,
    pub bureau: String,
    pub budget_yuan: i64,
    pub clauses: Vec<String>,
    pub opens_on: Date,
    pub closes_on: Date,
    pub created_at: i64,
}

impl Programme {
    /// Whether applications are accepted on `day`.
    pub fn open_on(&self, day: Date) -> bool {
        self.opens_on <= day && day <= self.closes_on
    }
}

/// A programme to create.
#[derive(Debug, Clone)]
pub struct NewProgramme {
    pub name_zh: String,
    pub name_en: String,
    pub year: i16,
    pub budget_yuan: i64,
    pub clauses: Vec<String>,
    pub opens_on: Date,
    pub closes_on: Date,
}

/// Where a programme's money stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub budget_yuan: i64,
    /// Awarded.
    pub committed_yuan: i64,
    /// Recommended or on notice: not yet committed, but reserved so two recommendations cannot
    /// spend the same money.
    pub reserved_yuan: i64,
    pub disbursed_yuan: i64,
}

impl Budget {
    /// What new recommendations may still use.
    pub fn available_yuan(&self) -> i64 {
        self.budget_yuan - self.committed_yuan - self.reserved_yuan
    }
}

impl Awards {
    /// Creates a programme. Only an official of a programme bureau; the programme is that
    /// bureau's. Every clause must exist in the catalogue.
    pub async fn create_programme(
        &self,
        actor: &Principal,
        new: NewProgramme,
    ) -> Result<Programme> {
        let bureau = official_bureau(actor)
            .filter(|b| PROGRAMME_BUREAUS.contains(b))
            .ok_or_else(|| {
                AwardsError::forbidden(
                    "资金计划由市科技局、市工信局或市卫健委的工作人员设立",
                    "Programmes are set up by officials of the S&T bureau, the industry bureau or the health commission",
                )
            })?;
        validate_programme(&new, self.catalogue)?;
        let programme = Programme {
            id: new_id(),
            name_zh: new.name_zh.trim().to_owned(),
            name_en: new.name_en.trim().to_owned(),
            year: new.year,
            bureau: bureau.code().to_owned(),
            budget_yuan: new.budget_yuan,
            clauses: new.clauses,
            opens_on: new.opens_on,
            closes_on: new.closes_on,
            created_at: self.now().0,
        };
        let clauses = serde_json::to_string(&programme.clauses).unwrap_or_default();
        sqlx::query(
            "INSERT INTO awards_programmes (id, name_zh, name_en, year, bureau, budget_yuan, clauses, \
             opens_on, closes_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&programme.id)
        .bind(&programme.name_zh)
        .bind(&programme.name_en)
        .bind(i64::from(programme.year))
        .bind(&programme.bureau)
        .bind(programme.budget_yuan)
        .bind(&clauses)
        .bind(programme.opens_on.to_string())
        .bind(programme.closes_on.to_string())
        .bind(&actor.user_id)
        .bind(programme.created_at)
        .execute(self.db.writer())
        .await?;
        self.record(
            &actor.user_id,
            Some(&actor.organisation.id),
            "awards.programme.create",
            ("programme", &programme.id),
            clauses.as_bytes(),
        )
        .await;
        Ok(programme)
    }

    /// One programme.
    pub async fn programme(&self, id: &str) -> Result<Programme> {
        let row = sqlx::query(&format!("{SELECT_PROGRAMME} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(AwardsError::NotFound { what: "programme" })?;
        programme_from_row(&row)
    }

    /// Every programme, newest year first.
    pub async fn programmes(&self) -> Result<Vec<Programme>> {
        let rows = sqlx::query(&format!("{SELECT_PROGRAMME} ORDER BY year DESC, name_zh"))
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(programme_from_row).collect()
    }

    /// Budget, commitments and payments of a programme.
    pub async fn budget(&self, programme_id: &str) -> Result<Budget> {
        let programme = self.programme(programme_id).await?;
        let row = sqlx::query(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN state = 'awarded' THEN awarded_yuan ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN state IN ('recommended', 'in-notice') THEN recommended_yuan ELSE 0 END), 0) AS BIGINT) \
             FROM awards_applications WHERE programme_id = $1",
        )
        .bind(programme_id)
        .fetch_one(self.db.pool())
        .await?;
        let disbursed: i64 = sqlx::query(
            "SELECT CAST(COALESCE(SUM(d.amount_yuan), 0) AS BIGINT) FROM awards_disbursements d \
             JOIN awards_applications a ON a.id = d.application_id WHERE a.programme_id = $1",
        )
        .bind(programme_id)
        .fetch_one(self.db.pool())
        .await?
        .try_get(0)?;
        Ok(Budget {
            budget_yuan: programme.budget_yuan,
            committed_yuan: row.try_get(0)?,
            reserved_yuan: row.try_get(1)?,
            disbursed_yuan: disbursed,
        })
    }
}

const SELECT_PROGRAMME: &str = "SELECT id, name_zh, name_en, year, bureau, budget_yuan, clauses, \
     opens_on, closes_on, created_at FROM awards_programmes";

fn programme_from_row(row: &store::sqlx::any::AnyRow) -> Result<Programme> {
    let clauses: String = row.try_get(6)?;
    let date = |i: usize| -> Result<Date> {
        let text: String = row.try_get(i)?;
        text.parse()
            .map_err(|_| AwardsError::invalid("date", "日期格式有误", "A stored date is malformed"))
    };
    Ok(Programme {
        id: row.try_get(0)?,
        name_zh: row.try_get(1)?,
        name_en: row.try_get(2)?,
        year: i16::try_from(row.try_get::<i64, _>(3)?).unwrap_or_default(),
        bureau: row.try_get(4)?,
        budget_yuan: row.try_get(5)?,
        clauses: serde_json::from_str(&clauses).unwrap_or_default(),
        opens_on: date(7)?,
        closes_on: date(8)?,
        created_at: row.try_get(9)?,
    })
}

fn validate_programme(new: &NewProgramme, catalogue: &policy::Catalogue) -> Result<()> {
    if new.name_zh.trim().is_empty() {
        return Err(AwardsError::invalid(
            "name_zh",
            "请填写资金计划的中文名称",
            "Enter the programme's Chinese name",
        ));
    }
    if new.budget_yuan <= 0 {
        return Err(AwardsError::invalid(
            "budget_yuan",
            "年度预算须为正数（元）",
            "The yearly budget must be a positive number of yuan",
        ));
    }
    if !(2000..=2100).contains(&new.year) {
        return Err(AwardsError::invalid(
            "year",
            "年度须在 2000 至 2100 之间",
            "The year must be between 2000 and 2100",
        ));
    }
    if new.closes_on < new.opens_on {
        return Err(AwardsError::invalid(
            "closes_on",
            "申报截止日期不能早于开始日期",
            "The closing date cannot be before the opening date",
        ));
    }
    if new.clauses.is_empty() {
        return Err(AwardsError::invalid(
            "clauses",
            "请至少选择一项政策条款",
            "Choose at least one policy clause",
        ));
    }
    for id in &new.clauses {
        if !catalogue.clauses().iter().any(|c| &c.id == id) {
            return Err(AwardsError::invalid(
                "clauses",
                format!("政策条款 {id} 不存在"),
                format!("There is no policy clause {id}"),
            ));
        }
    }
    Ok(())
}

/// The bureau a programme belongs to, for messages.
pub fn programme_bureau_label(code: &str, zh: bool) -> String {
    code.parse::<Bureau>()
        .map(|b| if zh { bureau_zh(b) } else { bureau_en(b) }.to_owned())
        .unwrap_or_else(|_| code.to_owned())
}
