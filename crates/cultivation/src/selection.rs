//! The rules of a yearly selection, free of storage: filling pools from a ranking, what an
//! amendment may change, and the states a proposal moves through.
//!
//! ```text
//! draft ─submit─► submitted ─approve─► approved ─publish─► published
//!   ▲                 │                   │
//!   └──reopen── rejected ◄──reject────────┘
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::candidate::Candidate;
use crate::error::{CultivationError, Result};
use crate::pools::{Pool, Scheme, Schemes};
use crate::scoring::Ranked;

/// Fewest characters of a written reason for an amendment or a rejection: a reason must say
/// something, not "ok".
pub const MIN_REASON_CHARS: usize = 10;

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    Submitted,
    Approved,
    Published,
    Rejected,
}

/// What can be done to a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Amend,
    Submit,
    Approve,
    Reject,
    Reopen,
    Publish,
}

impl State {
    pub fn code(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::Approved => "approved",
            State::Published => "published",
            State::Rejected => "rejected",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            State::Draft => "草稿",
            State::Submitted => "已提交",
            State::Approved => "已批准",
            State::Published => "已公布",
            State::Rejected => "已退回",
        }
    }

    /// The state after `step`, or `None` when the step is not allowed from here.
    pub fn after(self, step: Step) -> Option<State> {
        match (self, step) {
            (State::Draft, Step::Amend) => Some(State::Draft),
            (State::Draft, Step::Submit) => Some(State::Submitted),
            (State::Submitted, Step::Approve) => Some(State::Approved),
            (State::Submitted | State::Approved, Step::Reject) => Some(State::Rejected),
            (State::Rejected, Step::Reopen) => Some(State::Draft),
            (State::Approved, Step::Publish) => Some(State::Published),
            _ => None,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        [
            State::Draft,
            State::Submitted,
            State::Approved,
            State::Published,
            State::Rejected,
        ]
        .into_iter()
        .find(|state| state.code() == s)
        .ok_or_else(|| format!("unknown proposal state {s}"))
    }
}

impl Step {
    pub fn code(self) -> &'static str {
        match self {
            Step::Amend => "amend",
            Step::Submit => "submit",
            Step::Approve => "approve",
            Step::Reject => "reject",
            Step::Reopen => "reopen",
            Step::Publish => "publish",
        }
    }
}

/// A manual change to a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Put a candidate the ranking left out into a pool.
    Include(String),
    /// Take a candidate out of its pool.
    Exclude,
    /// Move a candidate to another pool of the scheme.
    Move(String),
}

/// Places ranked candidates: each, by rank, into the first pool (in the scheme's order) whose
/// criteria it meets and which has room. Returns the pool of each candidate, by index.
pub fn allocate(
    scheme: &Scheme,
    candidates: &[Candidate],
    ranked: &[Ranked],
    year: i32,
) -> Vec<Option<String>> {
    let mut placed: Vec<Option<String>> = vec![None; candidates.len()];
    let mut filled = vec![0u32; scheme.pools.len()];
    for r in ranked {
        let candidate = &candidates[r.index];
        let room = scheme.pools.iter().enumerate().find(|(i, pool)| {
            pool.capacity.value.max.is_none_or(|max| filled[*i] < max)
                && unmet(scheme, pool, candidate, year).is_none()
        });
        if let Some((i, pool)) = room {
            filled[i] += 1;
            placed[r.index] = Some(pool.id.clone());
        }
    }
    placed
}

/// The first criterion of `pool` that `candidate` does not meet, if any.
pub fn unmet<'a>(
    scheme: &Scheme,
    pool: &'a Pool,
    candidate: &Candidate,
    year: i32,
) -> Option<&'a crate::pools::Criterion> {
    pool.criteria
        .iter()
        .find(|c| !c.holds(candidate.measure(c.factor, year, &scheme.scoring)))
}

/// Checks a written reason: at least [`MIN_REASON_CHARS`] characters once trimmed.
pub fn check_reason(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    let given = reason.chars().count();
    if given < MIN_REASON_CHARS {
        return Err(CultivationError::ReasonTooShort {
            given,
            min: MIN_REASON_CHARS,
        });
    }
    Ok(reason)
}

/// What an amendment does to one candidate: its pool before and after. Refuses a change that
/// does not fit the candidate's place (including someone already in, excluding someone out),
/// a pool the scheme lacks, a pool whose criteria the candidate does not meet, and a pool
/// already at capacity, naming the pool, its capacity and its source.
pub fn apply(
    schemes: &Schemes,
    scheme: &Scheme,
    current: Option<&str>,
    change: &Change,
    candidate: &Candidate,
    year: i32,
    members_of: impl Fn(&str) -> u32,
) -> Result<(Option<String>, Option<String>)> {
    let company = &candidate.company_id;
    let target = match (change, current) {
        (Change::Include(_), Some(pool)) => {
            return Err(CultivationError::Conflict {
                zh: format!("企业{company}已在“{pool}”中，请改用调整"),
                en: format!("company {company} is already in {pool}: move it instead"),
            });
        }
        (Change::Exclude | Change::Move(_), None) => {
            return Err(CultivationError::Conflict {
                zh: format!("企业{company}不在任何库中"),
                en: format!("company {company} is in no pool"),
            });
        }
        (Change::Move(to), Some(from)) if to == from => {
            return Err(CultivationError::Conflict {
                zh: format!("企业{company}已在“{to}”中"),
                en: format!("company {company} is already in {to}"),
            });
        }
        (Change::Exclude, Some(_)) => None,
        (Change::Include(to) | Change::Move(to), _) => Some(to.as_str()),
    };
    if let Some(to) = target {
        let Some(pool) = scheme.pool(to) else {
            return Err(CultivationError::UnknownPool {
                scheme: scheme.id.clone(),
                pool: to.to_owned(),
            });
        };
        if let Some(criterion) = unmet(scheme, pool, candidate, year) {
            return Err(CultivationError::NotEligible {
                company: company.clone(),
                pool: pool.name_zh.clone(),
                criterion: criterion.describe(),
                citation: schemes.cite(&criterion.source),
            });
        }
        if let Some(max) = pool.capacity.value.max
            && members_of(to) >= max
        {
            return Err(CultivationError::CapacityExceeded {
                pool: pool.name_zh.clone(),
                pool_id: pool.id.clone(),
                capacity: max,
                citation: schemes.cite(&pool.capacity.source),
            });
        }
    }
    Ok((current.map(str::to_owned), target.map(str::to_owned)))
}

/// Refuses a proposal whose pools hold fewer than their minimum (checked on submission).
pub fn check_minimums(
    schemes: &Schemes,
    scheme: &Scheme,
    members_of: impl Fn(&str) -> u32,
) -> Result<()> {
    for pool in &scheme.pools {
        if let Some(min) = pool.capacity.value.min {
            let members = members_of(&pool.id);
            if members < min {
                return Err(CultivationError::BelowMinimum {
                    pool: pool.name_zh.clone(),
                    pool_id: pool.id.clone(),
                    minimum: min,
                    members,
                    citation: schemes.cite(&pool.capacity.source),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;
    use crate::scoring::rank;

    fn candidate(i: usize) -> Candidate {
        Candidate {
            company_id: format!("c{i:04}"),
            name: format!("企业{i}"),
            district: "gulou".into(),
            founded: date(2010, 1, 1),
            revenue_yuan: 1_000_000 * (i as i64 + 1),
            revenue_prev_yuan: None,
            rd_spend_yuan: 100_000,
            staff: 10,
            qualifications: vec![],
            drugs_in_clinic: 0,
            approvals: 0,
        }
    }

    fn shipped(id: &str) -> &'static Scheme {
        Schemes::shipped().scheme(id).unwrap()
    }

    #[test]
    fn tiers_fill_top_down_30_50_100() {
        let s = shipped("nanjing-2022-tiers");
        let candidates: Vec<Candidate> = (0..200).map(candidate).collect();
        let ranked = rank(s, &candidates, 2025);
        let placed = allocate(s, &candidates, &ranked, 2025);
        let pool_at = |rank: usize| placed[ranked[rank - 1].index].as_deref();
        assert_eq!(pool_at(1), Some("leading"));
        assert_eq!(pool_at(30), Some("leading"));
        assert_eq!(pool_at(31), Some("breakthrough"));
        assert_eq!(pool_at(80), Some("breakthrough"));
        assert_eq!(pool_at(81), Some("potential"));
        assert_eq!(pool_at(180), Some("potential"));
        assert_eq!(pool_at(181), None);
        assert_eq!(placed.iter().flatten().count(), 180);
    }

    #[test]
    fn libraries_place_by_criteria_without_limit() {
        let s = shipped("suzhou-libraries");
        let mut big = candidate(1);
        big.revenue_yuan = 300_000_000;
        let mut innovator = candidate(2);
        innovator.rd_spend_yuan = innovator.revenue_yuan / 5;
        let mut young = candidate(3);
        young.founded = date(2022, 6, 1);
        let old_small = candidate(4);
        let candidates = vec![big, innovator, young, old_small];
        let ranked = rank(s, &candidates, 2025);
        let placed = allocate(s, &candidates, &ranked, 2025);
        assert_eq!(
            placed,
            [
                Some("above-100m".into()),
                Some("key-innovators".into()),
                Some("start-ups".into()),
                None
            ]
        );
    }

    #[test]
    fn amendments_respect_place_criteria_and_capacity() {
        let schemes = Schemes::shipped();
        let s = shipped("nanjing-2022-tiers");
        let c = candidate(7);
        let full = |_: &str| 30;
        let room = |_: &str| 0;
        let err = apply(
            schemes,
            s,
            None,
            &Change::Include("leading".into()),
            &c,
            2025,
            full,
        )
        .unwrap_err();
        match &err {
            CultivationError::CapacityExceeded {
                pool,
                capacity,
                citation,
                ..
            } => {
                assert_eq!(pool, "龙头培育企业");
                assert_eq!(*capacity, 30);
                assert!(citation.contains("30家龙头培育企业"), "{citation}");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.message_zh().contains("30"));
        assert!(err.message_en().contains("30"));
        assert_eq!(
            apply(
                schemes,
                s,
                Some("potential"),
                &Change::Move("leading".into()),
                &c,
                2025,
                room
            )
            .unwrap(),
            (Some("potential".into()), Some("leading".into()))
        );
        assert!(matches!(
            apply(
                schemes,
                s,
                Some("leading"),
                &Change::Include("leading".into()),
                &c,
                2025,
                room
            ),
            Err(CultivationError::Conflict { .. })
        ));
        assert!(matches!(
            apply(schemes, s, None, &Change::Exclude, &c, 2025, room),
            Err(CultivationError::Conflict { .. })
        ));
        assert!(matches!(
            apply(
                schemes,
                s,
                None,
                &Change::Include("gold".into()),
                &c,
                2025,
                room
            ),
            Err(CultivationError::UnknownPool { .. })
        ));
        let libraries = shipped("suzhou-libraries");
        assert!(matches!(
            apply(
                schemes,
                libraries,
                None,
                &Change::Include("above-100m".into()),
                &c,
                2025,
                room
            ),
            Err(CultivationError::NotEligible { .. })
        ));
    }

    #[test]
    fn reasons_need_ten_characters() {
        assert!(check_reason("太短了").is_err());
        assert!(check_reason("          ok         ").is_err());
        assert_eq!(
            check_reason("  该企业已被并购，不再独立经营  ").unwrap(),
            "该企业已被并购，不再独立经营"
        );
    }

    #[test]
    fn suzhou_needs_fifteen() {
        let schemes = Schemes::shipped();
        let s = shipped("suzhou-landmark");
        let err = check_minimums(schemes, s, |_| 14).unwrap_err();
        assert!(matches!(
            err,
            CultivationError::BelowMinimum {
                minimum: 15,
                members: 14,
                ..
            }
        ));
        assert!(check_minimums(schemes, s, |_| 15).is_ok());
    }

    proptest! {
        #[test]
        fn allocation_never_exceeds_capacity_and_follows_rank(n in 0usize..400, i in 0usize..5) {
            let id = ["nanjing-2022-tiers", "nanjing-2020-potential-leaders", "suzhou-landmark",
                "suzhou-libraries", "nanjing-2022-rd-institutions"][i];
            let s = shipped(id);
            let candidates: Vec<Candidate> = (0..n).map(candidate).collect();
            let ranked = rank(s, &candidates, 2025);
            let placed = allocate(s, &candidates, &ranked, 2025);
            for pool in &s.pools {
                let count = placed.iter().flatten().filter(|p| **p == pool.id).count();
                if let Some(max) = pool.capacity.value.max {
                    prop_assert!(count <= max as usize);
                }
            }
            // Without criteria, nobody is left out while someone ranked lower got in.
            if s.pools.iter().all(|p| p.criteria.is_empty()) {
                let mut seen_out = false;
                for r in &ranked {
                    let placed_here = placed[r.index].is_some();
                    prop_assert!(!(seen_out && placed_here));
                    seen_out |= !placed_here;
                }
            }
        }

        #[test]
        fn only_listed_steps_move(state in 0usize..5, step in 0usize..6) {
            let states = [State::Draft, State::Submitted, State::Approved, State::Published, State::Rejected];
            let steps = [Step::Amend, Step::Submit, Step::Approve, Step::Reject, Step::Reopen, Step::Publish];
            let from = states[state];
            let next = from.after(steps[step]);
            prop_assert!(from != State::Published || next.is_none(), "published is final");
            if steps[step] == Step::Publish {
                prop_assert_eq!(next.is_some(), from == State::Approved);
            }
            prop_assert_eq!(from.code().parse::<State>().unwrap(), from);
        }
    }
}
