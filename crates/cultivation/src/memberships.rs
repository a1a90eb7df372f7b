//! Published lists and each company's history in them. Published lists are public to anyone
//! signed in; the steps before publication (proposals, amendments and their reasons) are for
//! the bureaus and administrators, so a company's own view of its history shows publications
//! and endings only.

use access::Principal;
use kernel::UtcMillis;
use serde::Serialize;
use store::sqlx::{self, Row};

use crate::error::{CultivationError, Result};
use crate::proposals::{AMENDED, ENDED, PROPOSED, PUBLISHED};
use crate::service::{
    Cultivation, check_year, is_admin, is_cultivation_official, must_read_company,
};

/// A company on a published list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub scheme: String,
    pub year: i32,
    pub pool: String,
    pub company_id: String,
    pub name: String,
    pub district: String,
    /// Its rank in the year's ranking.
    pub rank: u32,
    pub since: UtcMillis,
    /// When the next year's list replaced it; `None` while current.
    pub until: Option<UtcMillis>,
}

/// How a company's place changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum How {
    /// The ranking placed it.
    Proposed,
    /// An official changed its place, for this reason.
    Amended { reason: String },
    /// The list was published.
    Published,
    /// The next year's list was published.
    Ended,
}

/// One step of a company's place in a scheme: from one pool (or none) to another (or none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipEvent {
    pub scheme: String,
    pub year: i32,
    pub from: Option<String>,
    pub to: Option<String>,
    pub how: How,
    pub by: String,
    pub at: UtcMillis,
}

impl MembershipEvent {
    /// The pool the step concerns: where the company went, or where it left.
    pub fn pool(&self) -> Option<&str> {
        self.to.as_deref().or(self.from.as_deref())
    }
}

/// How many current members a pool has in one district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolCount {
    pub scheme: String,
    pub pool: String,
    pub district: String,
    pub count: u32,
}

fn corrupt(what: impl std::fmt::Display) -> CultivationError {
    CultivationError::Corrupt(what.to_string())
}

const MEMBER_COLUMNS: &str =
    "scheme, year, pool, company_id, name, district, rank, started_at, ended_at";

fn member(r: &sqlx::any::AnyRow) -> Result<Member> {
    Ok(Member {
        scheme: r.try_get(0)?,
        year: i32::try_from(r.try_get::<i64, _>(1)?).map_err(corrupt)?,
        pool: r.try_get(2)?,
        company_id: r.try_get(3)?,
        name: r.try_get(4)?,
        district: r.try_get(5)?,
        rank: u32::try_from(r.try_get::<i64, _>(6)?).map_err(corrupt)?,
        since: UtcMillis(r.try_get(7)?),
        until: r.try_get::<Option<i64>, _>(8)?.map(UtcMillis),
    })
}

impl Cultivation {
    /// The published list of `scheme` for `year`, by pool order then rank. Public.
    pub async fn members(&self, scheme: &str, year: i32) -> Result<Vec<Member>> {
        let scheme_data = self.scheme(scheme)?;
        check_year(year)?;
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM cultivation_memberships WHERE scheme = $1 AND year = $2 \
             ORDER BY rank, company_id"
        ))
        .bind(scheme)
        .bind(i64::from(year))
        .fetch_all(self.db.pool())
        .await?;
        let mut members = rows.iter().map(member).collect::<Result<Vec<_>>>()?;
        let order = |pool: &str| scheme_data.pools.iter().position(|p| p.id == pool);
        members.sort_by_key(|m| order(&m.pool));
        Ok(members)
    }

    /// The pools `company_id` is in now, across schemes. Public.
    pub async fn current_pools(&self, company_id: &str) -> Result<Vec<Member>> {
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM cultivation_memberships \
             WHERE company_id = $1 AND ended_at IS NULL ORDER BY scheme"
        ))
        .bind(company_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(member).collect()
    }

    /// Every step of `company_id`'s place in every scheme, oldest first. Officials and
    /// administrators see each step with its reason; the company's own users see what was
    /// published.
    pub async fn history(
        &self,
        actor: &Principal,
        company_id: &str,
    ) -> Result<Vec<MembershipEvent>> {
        must_read_company(actor, company_id)?;
        let deliberations = is_cultivation_official(actor) || is_admin(actor);
        let rows = sqlx::query(
            "SELECT scheme, year, from_pool, to_pool, how, reason, actor, at \
             FROM cultivation_events WHERE company_id = $1 ORDER BY at, id",
        )
        .bind(company_id)
        .fetch_all(self.db.pool())
        .await?;
        let mut events = Vec::with_capacity(rows.len());
        for r in &rows {
            let how: String = r.try_get(4)?;
            let how = match how.as_str() {
                PROPOSED => How::Proposed,
                AMENDED => How::Amended {
                    reason: r.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
                },
                PUBLISHED => How::Published,
                ENDED => How::Ended,
                other => return Err(corrupt(format!("membership step {other}"))),
            };
            if !deliberations && matches!(how, How::Proposed | How::Amended { .. }) {
                continue;
            }
            events.push(MembershipEvent {
                scheme: r.try_get(0)?,
                year: i32::try_from(r.try_get::<i64, _>(1)?).map_err(corrupt)?,
                from: r.try_get(2)?,
                to: r.try_get(3)?,
                how,
                by: r.try_get(6)?,
                at: UtcMillis(r.try_get(7)?),
            });
        }
        Ok(events)
    }

    /// For dashboards: members of each pool by district on the lists published for `year`.
    /// Public.
    pub async fn counts_by_pool_and_district(&self, year: i32) -> Result<Vec<PoolCount>> {
        check_year(year)?;
        let rows = sqlx::query(
            "SELECT scheme, pool, district, COUNT(*) FROM cultivation_memberships \
             WHERE year = $1 GROUP BY scheme, pool, district ORDER BY scheme, pool, district",
        )
        .bind(i64::from(year))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PoolCount {
                    scheme: r.try_get(0)?,
                    pool: r.try_get(1)?,
                    district: r.try_get(2)?,
                    count: u32::try_from(r.try_get::<i64, _>(3)?).map_err(corrupt)?,
                })
            })
            .collect()
    }
}
