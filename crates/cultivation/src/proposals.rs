//! The yearly selection as a workflow: a ranked proposal, amendments with reasons, submission,
//! review by a second official, publication. Each step commits, then goes on the ledger
//! (`cultivation.proposal.*`).

use std::collections::{BTreeMap, BTreeSet};

use access::Principal;
use kernel::UtcMillis;
use serde::Serialize;
use store::Backend;
use store::bulk::multi_row_insert;
use store::sqlx::{self, Any, Row, Transaction};

use crate::candidate::Candidate;
use crate::error::{CultivationError, Result};
use crate::scoring::{Score, rank};
use crate::selection::{Change, State, Step, allocate, apply, check_minimums, check_reason};
use crate::service::{Cultivation, check_year, must_be_official, must_read_proposals};

/// A year's proposed list for one scheme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub id: String,
    pub scheme: String,
    pub year: i32,
    pub state: State,
    pub proposed_by: String,
    pub proposed_at: UtcMillis,
    pub submitted_by: Option<String>,
    pub reviewed_by: Option<String>,
    pub rejection_reason: Option<String>,
    pub published_at: Option<UtcMillis>,
    /// Every candidate, by rank.
    pub entries: Vec<ProposalEntry>,
}

/// One candidate of a proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposalEntry {
    pub company_id: String,
    pub name: String,
    pub district: String,
    pub rank: u32,
    pub score: Score,
    /// Where the ranking put it.
    pub proposed_pool: Option<String>,
    /// Where it is after amendments.
    pub pool: Option<String>,
}

impl Proposal {
    /// The entries in `pool`, by rank.
    pub fn members_of<'a>(&'a self, pool: &'a str) -> impl Iterator<Item = &'a ProposalEntry> {
        self.entries
            .iter()
            .filter(move |e| e.pool.as_deref() == Some(pool))
    }

    /// How many entries `pool` holds.
    pub fn count(&self, pool: &str) -> u32 {
        u32::try_from(self.members_of(pool).count()).unwrap_or(u32::MAX)
    }

    /// The entry of `company_id`.
    pub fn entry(&self, company_id: &str) -> Option<&ProposalEntry> {
        self.entries.iter().find(|e| e.company_id == company_id)
    }
}

/// How a company's place changed (`cultivation_events.how`).
pub(crate) const PROPOSED: &str = "proposed";
pub(crate) const AMENDED: &str = "amended";
pub(crate) const PUBLISHED: &str = "published";
pub(crate) const ENDED: &str = "ended";

/// A row of `cultivation_events`.
pub(crate) struct NewEvent<'a> {
    pub company_id: &'a str,
    pub scheme: &'a str,
    pub year: i32,
    pub proposal_id: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub how: &'static str,
    pub reason: Option<&'a str>,
    pub actor: &'a str,
    pub at: i64,
}

/// Rows per multi-row INSERT: well under both backends' parameter limits (11 columns).
const ROWS_PER_INSERT: usize = 500;

const ENTRY_COLUMNS: [&str; 9] = [
    "proposal_id",
    "company_id",
    "candidate",
    "name",
    "district",
    "rank",
    "score",
    "proposed_pool",
    "pool",
];

const EVENT_COLUMNS: [&str; 11] = [
    "id",
    "company_id",
    "scheme",
    "year",
    "proposal_id",
    "from_pool",
    "to_pool",
    "how",
    "reason",
    "actor",
    "at",
];

/// Writes `events` in order (their ids, UUIDv7, keep that order within one millisecond).
pub(crate) async fn insert_events(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    events: &[NewEvent<'_>],
) -> Result<()> {
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let sql = multi_row_insert("cultivation_events", &EVENT_COLUMNS, chunk.len(), backend);
        let mut query = sqlx::query(&sql);
        for e in chunk {
            query = query
                .bind(kernel::Id::new().to_string())
                .bind(e.company_id)
                .bind(e.scheme)
                .bind(i64::from(e.year))
                .bind(e.proposal_id)
                .bind(e.from)
                .bind(e.to)
                .bind(e.how)
                .bind(e.reason)
                .bind(e.actor)
                .bind(e.at);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The header of a proposal as stored.
struct Header {
    scheme: String,
    year: i32,
    proposed_by: String,
}

fn corrupt(what: impl std::fmt::Display) -> CultivationError {
    CultivationError::Corrupt(what.to_string())
}

fn year_of(value: i64) -> Result<i32> {
    i32::try_from(value).map_err(|_| corrupt(format!("year {value}")))
}

impl Cultivation {
    /// Ranks `candidates` for `scheme` in `year` and fills its pools to capacity in rank
    /// order. One proposal per scheme and year.
    pub async fn propose(
        &self,
        actor: &Principal,
        scheme_id: &str,
        year: i32,
        candidates: &[Candidate],
    ) -> Result<Proposal> {
        must_be_official(actor)?;
        let scheme = self.scheme(scheme_id)?;
        check_year(year)?;
        if candidates.is_empty() {
            return Err(CultivationError::invalid(
                "candidates",
                "请至少提供一家候选企业",
                "give at least one candidate",
            ));
        }
        let mut ids = BTreeSet::new();
        for c in candidates {
            c.validate(year)?;
            if !ids.insert(c.company_id.as_str()) {
                return Err(CultivationError::invalid(
                    "candidates",
                    format!("企业{}重复出现", c.company_id),
                    format!("company {} appears twice", c.company_id),
                ));
            }
        }
        if let Some(existing) = self.proposal_id(scheme_id, year).await? {
            return Err(CultivationError::Conflict {
                zh: format!("{scheme_id}的{year}年度名单已存在（{existing}），请在其上调整"),
                en: format!(
                    "{scheme_id} already has a proposal for {year} ({existing}): amend that one"
                ),
            });
        }
        let ranked = rank(scheme, candidates, year);
        let placed = allocate(scheme, candidates, &ranked, year);
        let id = kernel::Id::new().to_string();
        let now = UtcMillis::now().0;
        let mut tx = self.db.writer().begin().await?;
        sqlx::query(
            "INSERT INTO cultivation_proposals (id, scheme, year, state, proposed_by, proposed_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(scheme_id)
        .bind(i64::from(year))
        .bind(State::Draft.code())
        .bind(&actor.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let backend = self.db.backend();
        for chunk in ranked.chunks(ROWS_PER_INSERT) {
            let sql = multi_row_insert("cultivation_entries", &ENTRY_COLUMNS, chunk.len(), backend);
            let mut query = sqlx::query(&sql);
            for r in chunk {
                let c = &candidates[r.index];
                let pool = placed[r.index].as_deref();
                query = query
                    .bind(&id)
                    .bind(&c.company_id)
                    .bind(serde_json::to_string(c).map_err(corrupt)?)
                    .bind(&c.name)
                    .bind(&c.district)
                    .bind(i64::from(r.rank))
                    .bind(serde_json::to_string(&r.score).map_err(corrupt)?)
                    .bind(pool)
                    .bind(pool);
            }
            query.execute(&mut *tx).await?;
        }
        let events: Vec<NewEvent> = ranked
            .iter()
            .filter_map(|r| {
                Some(NewEvent {
                    company_id: &candidates[r.index].company_id,
                    scheme: scheme_id,
                    year,
                    proposal_id: &id,
                    from: None,
                    to: Some(placed[r.index].as_deref()?),
                    how: PROPOSED,
                    reason: None,
                    actor: &actor.user_id,
                    at: now,
                })
            })
            .collect();
        insert_events(&mut tx, backend, &events).await?;
        tx.commit().await?;
        let proposal = self.load(&id).await?;
        self.record(
            actor,
            "cultivation.proposal.propose",
            ("cultivation_proposal", &id),
            &placement_digest(&proposal),
        )
        .await;
        Ok(proposal)
    }

    /// Changes one candidate's place in a draft, with a written reason. Capacity and the
    /// pool's criteria hold for manual changes too.
    pub async fn amend(
        &self,
        actor: &Principal,
        proposal_id: &str,
        company_id: &str,
        change: Change,
        reason: &str,
    ) -> Result<Proposal> {
        must_be_official(actor)?;
        let reason = check_reason(reason)?;
        let mut tx = self.db.writer().begin().await?;
        let header = transition(&mut tx, proposal_id, Step::Amend).await?;
        let scheme = self.scheme(&header.scheme)?;
        let row = sqlx::query(
            "SELECT candidate, pool FROM cultivation_entries WHERE proposal_id = $1 AND company_id = $2",
        )
        .bind(proposal_id)
        .bind(company_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| CultivationError::not_found("candidate", company_id))?;
        let candidate: Candidate =
            serde_json::from_str(&row.try_get::<String, _>(0)?).map_err(corrupt)?;
        let current: Option<String> = row.try_get(1)?;
        let counts = pool_counts(&mut tx, proposal_id).await?;
        let (from, to) = apply(
            &self.schemes,
            scheme,
            current.as_deref(),
            &change,
            &candidate,
            header.year,
            |pool| counts.get(pool).copied().unwrap_or(0),
        )?;
        sqlx::query(
            "UPDATE cultivation_entries SET pool = $1 WHERE proposal_id = $2 AND company_id = $3",
        )
        .bind(to.as_deref())
        .bind(proposal_id)
        .bind(company_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO cultivation_amenders (proposal_id, user_id) VALUES ($1, $2) \
             ON CONFLICT (proposal_id, user_id) DO NOTHING",
        )
        .bind(proposal_id)
        .bind(&actor.user_id)
        .execute(&mut *tx)
        .await?;
        let event = NewEvent {
            company_id,
            scheme: &header.scheme,
            year: header.year,
            proposal_id,
            from: from.as_deref(),
            to: to.as_deref(),
            how: AMENDED,
            reason: Some(reason),
            actor: &actor.user_id,
            at: UtcMillis::now().0,
        };
        insert_events(&mut tx, self.db.backend(), &[event]).await?;
        tx.commit().await?;
        let data = format!("{company_id}:{from:?}->{to:?}:{reason}");
        self.record(
            actor,
            "cultivation.proposal.amend",
            ("cultivation_proposal", proposal_id),
            data.as_bytes(),
        )
        .await;
        self.load(proposal_id).await
    }

    /// Sends a draft for review. Pools with a minimum (Suzhou's 15) must have reached it.
    pub async fn submit(&self, actor: &Principal, proposal_id: &str) -> Result<Proposal> {
        must_be_official(actor)?;
        let mut tx = self.db.writer().begin().await?;
        let header = transition(&mut tx, proposal_id, Step::Submit).await?;
        let scheme = self.scheme(&header.scheme)?;
        let counts = pool_counts(&mut tx, proposal_id).await?;
        check_minimums(&self.schemes, scheme, |pool| {
            counts.get(pool).copied().unwrap_or(0)
        })?;
        sqlx::query(
            "UPDATE cultivation_proposals SET submitted_by = $1, submitted_at = $2 WHERE id = $3",
        )
        .bind(&actor.user_id)
        .bind(UtcMillis::now().0)
        .bind(proposal_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.finish(actor, proposal_id, "cultivation.proposal.submit", b"")
            .await
    }

    /// Approves a submitted list. Four eyes: not by the official who proposed or amended it.
    pub async fn approve(&self, actor: &Principal, proposal_id: &str) -> Result<Proposal> {
        self.review(actor, proposal_id, Step::Approve, None).await
    }

    /// Sends a submitted or approved list back, with a written reason; it can be reopened as
    /// a draft.
    pub async fn reject(
        &self,
        actor: &Principal,
        proposal_id: &str,
        reason: &str,
    ) -> Result<Proposal> {
        let reason = check_reason(reason)?;
        self.review(actor, proposal_id, Step::Reject, Some(reason))
            .await
    }

    async fn review(
        &self,
        actor: &Principal,
        proposal_id: &str,
        step: Step,
        reason: Option<&str>,
    ) -> Result<Proposal> {
        must_be_official(actor)?;
        let mut tx = self.db.writer().begin().await?;
        let header = transition(&mut tx, proposal_id, step).await?;
        let amended: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM cultivation_amenders WHERE proposal_id = $1 AND user_id = $2",
        )
        .bind(proposal_id)
        .bind(&actor.user_id)
        .fetch_optional(&mut *tx)
        .await?;
        if header.proposed_by == actor.user_id || amended.is_some() {
            return Err(CultivationError::FourEyes);
        }
        sqlx::query(
            "UPDATE cultivation_proposals SET reviewed_by = $1, reviewed_at = $2, \
             rejection_reason = $3 WHERE id = $4",
        )
        .bind(&actor.user_id)
        .bind(UtcMillis::now().0)
        .bind(reason)
        .bind(proposal_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let action = format!("cultivation.proposal.{}", step.code());
        self.finish(actor, proposal_id, &action, reason.unwrap_or("").as_bytes())
            .await
    }

    /// Turns a rejected list back into a draft to amend and submit again.
    pub async fn reopen(&self, actor: &Principal, proposal_id: &str) -> Result<Proposal> {
        must_be_official(actor)?;
        let mut tx = self.db.writer().begin().await?;
        transition(&mut tx, proposal_id, Step::Reopen).await?;
        tx.commit().await?;
        self.finish(actor, proposal_id, "cultivation.proposal.reopen", b"")
            .await
    }

    /// Publishes an approved list: its members become current and the scheme's earlier
    /// memberships end. A year older than one already published is refused.
    pub async fn publish(&self, actor: &Principal, proposal_id: &str) -> Result<Proposal> {
        must_be_official(actor)?;
        let now = UtcMillis::now().0;
        let mut tx = self.db.writer().begin().await?;
        let header = transition(&mut tx, proposal_id, Step::Publish).await?;
        let latest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(year) FROM cultivation_memberships WHERE scheme = $1")
                .bind(&header.scheme)
                .fetch_one(&mut *tx)
                .await?;
        if let Some(latest) = latest
            && latest >= i64::from(header.year)
        {
            return Err(CultivationError::Conflict {
                zh: format!(
                    "{}已公布{latest}年度名单，不能再公布{}年度",
                    header.scheme, header.year
                ),
                en: format!(
                    "{} already has a published list for {latest}: {} cannot follow it",
                    header.scheme, header.year
                ),
            });
        }
        self.end_memberships(&mut tx, &header.scheme, &actor.user_id, now)
            .await?;
        self.start_memberships(&mut tx, &header, proposal_id, &actor.user_id, now)
            .await?;
        sqlx::query(
            "UPDATE cultivation_proposals SET published_by = $1, published_at = $2 WHERE id = $3",
        )
        .bind(&actor.user_id)
        .bind(now)
        .bind(proposal_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let proposal = self.load(proposal_id).await?;
        self.record(
            actor,
            "cultivation.proposal.publish",
            ("cultivation_proposal", proposal_id),
            &placement_digest(&proposal),
        )
        .await;
        Ok(proposal)
    }

    /// Ends the scheme's current memberships, each with an `ended` step.
    async fn end_memberships(
        &self,
        tx: &mut Transaction<'_, Any>,
        scheme: &str,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        let rows = sqlx::query(
            "SELECT company_id, year, pool, proposal_id FROM cultivation_memberships \
             WHERE scheme = $1 AND ended_at IS NULL ORDER BY rank, company_id",
        )
        .bind(scheme)
        .fetch_all(&mut **tx)
        .await?;
        let mut ending = Vec::with_capacity(rows.len());
        for r in &rows {
            let year = year_of(r.try_get(1)?)?;
            let (company, pool, proposal): (String, String, String) =
                (r.try_get(0)?, r.try_get(2)?, r.try_get(3)?);
            ending.push((company, year, pool, proposal));
        }
        let events: Vec<NewEvent> = ending
            .iter()
            .map(|(company, year, pool, proposal)| NewEvent {
                company_id: company,
                scheme,
                year: *year,
                proposal_id: proposal,
                from: Some(pool),
                to: None,
                how: ENDED,
                reason: None,
                actor,
                at: now,
            })
            .collect();
        insert_events(tx, self.db.backend(), &events).await?;
        sqlx::query(
            "UPDATE cultivation_memberships SET ended_at = $1 WHERE scheme = $2 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(scheme)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Makes the placed entries of a proposal the scheme's current members, each with a
    /// `published` step.
    async fn start_memberships(
        &self,
        tx: &mut Transaction<'_, Any>,
        header: &Header,
        proposal_id: &str,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO cultivation_memberships (scheme, year, company_id, name, district, pool, \
             rank, proposal_id, started_at) \
             SELECT $1, $2, company_id, name, district, pool, rank, proposal_id, $3 \
             FROM cultivation_entries WHERE proposal_id = $4 AND pool IS NOT NULL",
        )
        .bind(&header.scheme)
        .bind(i64::from(header.year))
        .bind(now)
        .bind(proposal_id)
        .execute(&mut **tx)
        .await?;
        let rows = sqlx::query(
            "SELECT company_id, pool FROM cultivation_entries \
             WHERE proposal_id = $1 AND pool IS NOT NULL ORDER BY rank",
        )
        .bind(proposal_id)
        .fetch_all(&mut **tx)
        .await?;
        let mut placed = Vec::with_capacity(rows.len());
        for r in &rows {
            placed.push((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?));
        }
        let events: Vec<NewEvent> = placed
            .iter()
            .map(|(company, pool)| NewEvent {
                company_id: company,
                scheme: &header.scheme,
                year: header.year,
                proposal_id,
                from: None,
                to: Some(pool),
                how: PUBLISHED,
                reason: None,
                actor,
                at: now,
            })
            .collect();
        insert_events(tx, self.db.backend(), &events).await
    }

    /// A proposal with its entries.
    pub async fn proposal(&self, actor: &Principal, proposal_id: &str) -> Result<Proposal> {
        must_read_proposals(actor)?;
        self.load(proposal_id).await
    }

    /// The proposal of `scheme` for `year`, if there is one.
    pub async fn proposal_for(
        &self,
        actor: &Principal,
        scheme: &str,
        year: i32,
    ) -> Result<Option<Proposal>> {
        must_read_proposals(actor)?;
        match self.proposal_id(scheme, year).await? {
            Some(id) => Ok(Some(self.load(&id).await?)),
            None => Ok(None),
        }
    }

    async fn proposal_id(&self, scheme: &str, year: i32) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM cultivation_proposals WHERE scheme = $1 AND year = $2",
        )
        .bind(scheme)
        .bind(i64::from(year))
        .fetch_optional(self.db.pool())
        .await?)
    }

    async fn finish(
        &self,
        actor: &Principal,
        proposal_id: &str,
        action: &str,
        data: &[u8],
    ) -> Result<Proposal> {
        self.record(actor, action, ("cultivation_proposal", proposal_id), data)
            .await;
        self.load(proposal_id).await
    }

    async fn load(&self, proposal_id: &str) -> Result<Proposal> {
        let row = sqlx::query(
            "SELECT scheme, year, state, proposed_by, proposed_at, submitted_by, reviewed_by, \
             rejection_reason, published_at FROM cultivation_proposals WHERE id = $1",
        )
        .bind(proposal_id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| CultivationError::not_found("proposal", proposal_id))?;
        let state: String = row.try_get(2)?;
        let rows = sqlx::query(
            "SELECT company_id, name, district, rank, score, proposed_pool, pool \
             FROM cultivation_entries WHERE proposal_id = $1 ORDER BY rank",
        )
        .bind(proposal_id)
        .fetch_all(self.db.pool())
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for r in &rows {
            let score: String = r.try_get(4)?;
            entries.push(ProposalEntry {
                company_id: r.try_get(0)?,
                name: r.try_get(1)?,
                district: r.try_get(2)?,
                rank: u32::try_from(r.try_get::<i64, _>(3)?).map_err(corrupt)?,
                score: serde_json::from_str(&score).map_err(corrupt)?,
                proposed_pool: r.try_get(5)?,
                pool: r.try_get(6)?,
            });
        }
        Ok(Proposal {
            id: proposal_id.to_owned(),
            scheme: row.try_get(0)?,
            year: year_of(row.try_get(1)?)?,
            state: state.parse().map_err(corrupt)?,
            proposed_by: row.try_get(3)?,
            proposed_at: UtcMillis(row.try_get(4)?),
            submitted_by: row.try_get(5)?,
            reviewed_by: row.try_get(6)?,
            rejection_reason: row.try_get(7)?,
            published_at: row.try_get::<Option<i64>, _>(8)?.map(UtcMillis),
            entries,
        })
    }
}

/// Moves a proposal by `step` inside `tx`, refusing a step its state does not allow. The
/// conditional update also makes concurrent steps on one proposal wait for each other.
async fn transition(
    tx: &mut Transaction<'_, Any>,
    proposal_id: &str,
    step: Step,
) -> Result<Header> {
    let row = sqlx::query(
        "SELECT scheme, year, state, proposed_by FROM cultivation_proposals WHERE id = $1",
    )
    .bind(proposal_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| CultivationError::not_found("proposal", proposal_id))?;
    let state: State = row.try_get::<String, _>(2)?.parse().map_err(corrupt)?;
    let Some(next) = state.after(step) else {
        return Err(CultivationError::WrongState { state, step });
    };
    let moved =
        sqlx::query("UPDATE cultivation_proposals SET state = $1 WHERE id = $2 AND state = $3")
            .bind(next.code())
            .bind(proposal_id)
            .bind(state.code())
            .execute(&mut **tx)
            .await?;
    if moved.rows_affected() != 1 {
        return Err(CultivationError::WrongState { state, step });
    }
    Ok(Header {
        scheme: row.try_get(0)?,
        year: year_of(row.try_get(1)?)?,
        proposed_by: row.try_get(3)?,
    })
}

/// How many entries each pool of a proposal holds.
async fn pool_counts(
    tx: &mut Transaction<'_, Any>,
    proposal_id: &str,
) -> Result<BTreeMap<String, u32>> {
    let rows = sqlx::query(
        "SELECT pool, COUNT(*) FROM cultivation_entries WHERE proposal_id = $1 \
         AND pool IS NOT NULL GROUP BY pool",
    )
    .bind(proposal_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut counts = BTreeMap::new();
    for r in &rows {
        let n: i64 = r.try_get(1)?;
        counts.insert(r.try_get(0)?, u32::try_from(n).map_err(corrupt)?);
    }
    Ok(counts)
}

/// What the ledger hashes for a whole list: each placed company and its pool, by rank.
fn placement_digest(proposal: &Proposal) -> Vec<u8> {
    let mut text = format!("{}:{}:", proposal.scheme, proposal.year);
    for e in &proposal.entries {
        if let Some(pool) = &e.pool {
            text.push_str(&format!("{}={pool};", e.company_id));
        }
    }
    text.into_bytes()
}
