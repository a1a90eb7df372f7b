//! Registering and keeping companies, their yearly figures and qualifications.

use access::Principal;
use kernel::UtcMillis;
use store::sqlx::{self, Row};

use super::rows::{self, COMPANY_COLUMNS};
use super::{Industry, today};
use crate::company::{Company, NewCompany, district_key};
use crate::error::{IndustryError, Result};
use crate::figures::{ReplacedFigures, YearFigures};
use crate::permission::{may_change, may_edit, may_read_figures, may_register};
use crate::qualification::{NewQualification, Qualification, QualificationKind};
use crate::segment::Segment;
use crate::uscc::Uscc;

/// Which companies to list; every part is optional and they combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyFilter {
    /// District key or name.
    pub district: Option<String>,
    pub segment: Option<Segment>,
    /// Part of the name, or the whole credit code.
    pub text: Option<String>,
    /// Holds this qualification now (not expired).
    pub qualification: Option<QualificationKind>,
}

impl Industry {
    /// Registers a company. Refused with `Conflict` when its code is already registered.
    pub async fn register_company(&self, actor: &Principal, new: NewCompany) -> Result<Company> {
        let fields = new.validate(today())?;
        may_register(actor, &fields)?;
        // A company with accounts is known by its organisation's id everywhere (pools, awards,
        // product lists check `principal.organisation.id` against it); others get their own.
        let id = fields
            .organisation_id
            .clone()
            .unwrap_or_else(|| kernel::Id::new().to_string());
        let now = UtcMillis::now().0;
        let mut tx = self.db.writer().begin().await?;
        if rows::company_by_code(&mut tx, &fields.uscc)
            .await?
            .is_some()
        {
            return Err(rows::duplicate_uscc(&fields.uscc));
        }
        rows::insert_company(&mut tx, &id, &fields, &actor.user_id, now).await?;
        let company = rows::company_by_id(&mut tx, &id)
            .await?
            .ok_or_else(|| IndustryError::Corrupt(format!("company {id} vanished")))?;
        tx.commit().await?;
        self.record(
            actor,
            "industry.company.register",
            ("enterprise", &id),
            company_digest(&company).as_bytes(),
        )
        .await;
        Ok(company)
    }

    /// Replaces a company's details. A company's own user may not change its code or the
    /// organisation bound to it.
    pub async fn update_company(
        &self,
        actor: &Principal,
        company_id: &str,
        new: NewCompany,
    ) -> Result<Company> {
        let mut tx = self.db.writer().begin().await?;
        let current = rows::company_by_id(&mut tx, company_id)
            .await?
            .ok_or_else(|| not_found(company_id))?;
        may_edit(actor, &current)?;
        let fields = new.validate(today())?;
        may_change(actor, &current, &fields)?;
        if fields.uscc != current.uscc
            && rows::company_by_code(&mut tx, &fields.uscc)
                .await?
                .is_some()
        {
            return Err(rows::duplicate_uscc(&fields.uscc));
        }
        let earliest = sqlx::query("SELECT MIN(year) FROM industry_figures WHERE company_id = $1")
            .bind(company_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get::<Option<i64>, _>(0)?;
        if let Some(year) = earliest
            && year < i64::from(fields.founded.year())
        {
            return Err(IndustryError::invalid(
                "founded",
                format!("成立日期{}晚于已登记的{year}年度数据", fields.founded),
                format!(
                    "founded {} is after the figures already recorded for {year}",
                    fields.founded
                ),
            ));
        }
        rows::update_company(
            &mut tx,
            company_id,
            &fields,
            &actor.user_id,
            UtcMillis::now().0,
        )
        .await?;
        let company = rows::company_by_id(&mut tx, company_id)
            .await?
            .ok_or_else(|| not_found(company_id))?;
        tx.commit().await?;
        self.record(
            actor,
            "industry.company.update",
            ("enterprise", company_id),
            company_digest(&company).as_bytes(),
        )
        .await;
        Ok(company)
    }

    /// A company's register entry (public register data: no figures).
    pub async fn company(&self, company_id: &str) -> Result<Company> {
        let mut conn = self.db.pool().acquire().await?;
        rows::company_by_id(&mut conn, company_id)
            .await?
            .ok_or_else(|| not_found(company_id))
    }

    /// The company with this credit code (typed in any case, with spaces).
    pub async fn company_by_uscc(&self, uscc: &str) -> Result<Company> {
        let code = Uscc::parse(uscc)?;
        let mut conn = self.db.pool().acquire().await?;
        rows::company_by_code(&mut conn, &code)
            .await?
            .ok_or_else(|| not_found(code.as_str()))
    }

    /// The companies matching `filter`, by name. Any signed-in user may list the register.
    pub async fn companies(
        &self,
        _actor: &Principal,
        filter: &CompanyFilter,
    ) -> Result<Vec<Company>> {
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |value: String| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if let Some(district) = &filter.district {
            conditions.push(format!("district = {}", bind(district_key(district)?)));
        }
        if let Some(segment) = filter.segment {
            conditions.push(format!(
                "(',' || segments || ',') LIKE {}",
                bind(format!("%,{},%", segment.key()))
            ));
        }
        if let Some(text) = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let pattern = bind(format!("%{}%", escape_like(&text.to_lowercase())));
            let code = bind(text.to_uppercase());
            conditions.push(format!(
                "(LOWER(name) LIKE {pattern} ESCAPE '\\' OR uscc = {code})"
            ));
        }
        if let Some(kind) = filter.qualification {
            let kind = bind(kind.key().to_owned());
            let day = bind(today().to_string());
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM industry_qualifications q WHERE q.company_id = \
                 industry_companies.id AND q.kind = {kind} AND (q.expires IS NULL OR q.expires >= {day}))"
            ));
        }
        let mut sql = format!("SELECT {COMPANY_COLUMNS} FROM industry_companies");
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(" ORDER BY name, id");
        let mut query = sqlx::query(&sql);
        for value in &binds {
            query = query.bind(value);
        }
        let found = query.fetch_all(self.db.pool()).await?;
        found.iter().map(rows::company).collect()
    }

    /// Records the figures of one year, replacing an earlier entry of that year (kept in the
    /// history). Returns the replaced figures, if any.
    pub async fn record_year(
        &self,
        actor: &Principal,
        company_id: &str,
        figures: YearFigures,
    ) -> Result<Option<YearFigures>> {
        let mut tx = self.db.writer().begin().await?;
        let company = rows::company_by_id(&mut tx, company_id)
            .await?
            .ok_or_else(|| not_found(company_id))?;
        may_edit(actor, &company)?;
        figures.validate(today(), Some(company.founded))?;
        let replaced = rows::put_figures(
            &mut tx,
            company_id,
            &figures,
            &actor.user_id,
            UtcMillis::now().0,
        )
        .await?;
        tx.commit().await?;
        self.record(
            actor,
            "industry.figures.record",
            ("enterprise", company_id),
            figures_digest(&figures).as_bytes(),
        )
        .await;
        Ok(replaced)
    }

    /// A company's yearly figures, oldest year first.
    pub async fn figures(&self, actor: &Principal, company_id: &str) -> Result<Vec<YearFigures>> {
        let company = self.company(company_id).await?;
        may_read_figures(actor, &company)?;
        let found = sqlx::query(
            "SELECT year, revenue_yuan, rd_spend_yuan, staff, output_yuan, tax_yuan \
             FROM industry_figures WHERE company_id = $1 ORDER BY year",
        )
        .bind(company_id)
        .fetch_all(self.db.pool())
        .await?;
        found.iter().map(rows::figures).collect()
    }

    /// The figures that corrections replaced, oldest replacement first.
    pub async fn figures_history(
        &self,
        actor: &Principal,
        company_id: &str,
    ) -> Result<Vec<ReplacedFigures>> {
        let company = self.company(company_id).await?;
        may_read_figures(actor, &company)?;
        let found = sqlx::query(
            "SELECT year, revenue_yuan, rd_spend_yuan, staff, output_yuan, tax_yuan, \
             recorded_by, recorded_at, replaced_by, replaced_at FROM industry_figures_history \
             WHERE company_id = $1 ORDER BY replaced_at, year, id",
        )
        .bind(company_id)
        .fetch_all(self.db.pool())
        .await?;
        found
            .iter()
            .map(|row| {
                Ok(ReplacedFigures {
                    figures: rows::figures(row)?,
                    recorded_by: row.try_get("recorded_by")?,
                    recorded_at: row.try_get("recorded_at")?,
                    replaced_by: row.try_get("replaced_by")?,
                    replaced_at: row.try_get("replaced_at")?,
                })
            })
            .collect()
    }

    /// Adds a qualification. Adding `listed` marks the company listed.
    pub async fn add_qualification(
        &self,
        actor: &Principal,
        company_id: &str,
        new: NewQualification,
    ) -> Result<Qualification> {
        let mut tx = self.db.writer().begin().await?;
        let company = rows::company_by_id(&mut tx, company_id)
            .await?
            .ok_or_else(|| not_found(company_id))?;
        may_edit(actor, &company)?;
        new.validate(today())?;
        let q = Qualification {
            id: kernel::Id::new().to_string(),
            company_id: company_id.to_owned(),
            kind: new.kind,
            obtained: new.obtained,
            expires: new.expires,
            evidence: new.evidence.trim().to_owned(),
            detail: new.detail,
            recorded_by: actor.user_id.clone(),
            recorded_at: UtcMillis::now().0,
        };
        sqlx::query(
            "INSERT INTO industry_qualifications (id, company_id, kind, obtained, expires, \
             evidence, detail, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&q.id)
        .bind(&q.company_id)
        .bind(q.kind.key())
        .bind(q.obtained.to_string())
        .bind(q.expires.map(|d| d.to_string()))
        .bind(&q.evidence)
        .bind(q.detail)
        .bind(&q.recorded_by)
        .bind(q.recorded_at)
        .execute(&mut *tx)
        .await?;
        if q.kind == QualificationKind::Listed {
            sqlx::query("UPDATE industry_companies SET listed = 1 WHERE id = $1")
                .bind(company_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.record(
            actor,
            "industry.qualification.add",
            ("enterprise", company_id),
            format!("{}|{}|{}|{}", q.id, q.kind.key(), q.obtained, q.evidence).as_bytes(),
        )
        .await;
        Ok(q)
    }

    /// A company's qualifications, most recently obtained first (public register data).
    pub async fn qualifications(&self, company_id: &str) -> Result<Vec<Qualification>> {
        let found = sqlx::query(
            "SELECT id, company_id, kind, obtained, expires, evidence, detail, recorded_by, \
             recorded_at FROM industry_qualifications WHERE company_id = $1 \
             ORDER BY obtained DESC, id",
        )
        .bind(company_id)
        .fetch_all(self.db.pool())
        .await?;
        found.iter().map(rows::qualification).collect()
    }
}

pub(crate) fn not_found(id: &str) -> IndustryError {
    IndustryError::not_found("企业", "company", id)
}

/// What the ledger hashes for a company's entry.
pub(crate) fn company_digest(c: &Company) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        c.id,
        c.uscc,
        c.name,
        c.organisation_id.as_deref().unwrap_or(""),
        c.district,
        c.park.as_deref().unwrap_or(""),
        crate::segment::keys_of(&c.segments).join(","),
        c.founded,
        c.paid_in_capital_yuan,
        c.listed
    )
}

pub(crate) fn figures_digest(f: &YearFigures) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}",
        f.year,
        f.revenue_yuan,
        f.rd_spend_yuan,
        f.staff,
        f.output_yuan,
        f.tax_yuan.map(|t| t.to_string()).unwrap_or_default()
    )
}

/// Escapes LIKE's wildcards in user text (the query declares `\` as the escape character).
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
