//! Overlapping clauses combined as Jiangsu's closing paragraph says: 从优、就高、不重复 (most
//! favourable, highest, never twice for the same thing). The precise rule is in
//! `docs/policy-rules.md`; in short:
//!
//! * two eligible evaluations overlap when they fund the same subject with the same subject key
//!   (the same product's same stage), unless one clause declares it stacks with the other;
//! * of overlapping evaluations one is granted, chosen by, in order: an amount that can be
//!   computed before one that cannot (committee, then not stated); the higher maximum; an
//!   exact amount before an on-merit maximum of the same value; the lower level (the local
//!   clause, since provincial money co-funds local money); the clause id;
//! * the others are superseded, their trace saying by which clause.

use std::cmp::Ordering;

use jiff::civil::Date;

use crate::catalogue::Catalogue;
use crate::clause::{Clause, Level};
use crate::error::PolicyError;
use crate::evaluate::evaluate;
use crate::facts::{FactValue, Facts};
use crate::trace::{Amount, Evaluation, History, StepKind};

/// What a company gets from a set of evaluations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matches {
    /// Eligible and granted.
    pub granted: Vec<Evaluation>,
    /// Eligible, but an overlapping evaluation was granted instead: (evaluation, by clause).
    pub superseded: Vec<(Evaluation, String)>,
    /// Not eligible, with the unmet conditions.
    pub ineligible: Vec<Evaluation>,
}

/// Every clause in force on `on` for the company's city and province, evaluated and combined.
/// The facts are checked against the catalogue first: an unknown fact or a bad value is
/// refused rather than silently matching nothing.
pub fn match_company(
    catalogue: &Catalogue,
    facts: &Facts,
    history: &History,
    on: Date,
) -> Result<Matches, PolicyError> {
    catalogue.check_facts(facts)?;
    let place = |level: Level| match facts.get(level.fact()) {
        Some(FactValue::Choice(p)) => Some(p.clone()),
        _ => None,
    };
    let mut evaluations = Vec::new();
    for clause in catalogue.in_force(on) {
        if place(clause.level).as_deref() != Some(clause.jurisdiction.as_str()) {
            continue;
        }
        evaluations.push(evaluate(clause, facts, history, on)?);
    }
    Ok(combine(evaluations, catalogue))
}

/// Splits evaluations into granted, superseded and ineligible (从优、就高、不重复).
pub fn combine(evaluations: Vec<Evaluation>, catalogue: &Catalogue) -> Matches {
    let mut matches = Matches::default();
    let mut eligible: Vec<(Evaluation, Option<&Clause>)> = Vec::new();
    for e in evaluations {
        if e.eligible {
            let clause = catalogue.clause_version(&e.clause_id, e.clause_version);
            eligible.push((e, clause));
        } else {
            matches.ineligible.push(e);
        }
    }
    // Best first, so each evaluation meets the ones it could lose to before itself.
    let mut order: Vec<usize> = (0..eligible.len()).collect();
    order.sort_by(|&a, &b| preference(&eligible[a], &eligible[b]));
    let mut granted: Vec<usize> = Vec::new();
    let mut superseded_by: Vec<Option<usize>> = vec![None; eligible.len()];
    for &i in &order {
        match granted
            .iter()
            .find(|&&g| overlaps(&eligible[i], &eligible[g]))
        {
            Some(&g) => superseded_by[i] = Some(g),
            None => granted.push(i),
        }
    }
    let winners: Vec<String> = eligible.iter().map(|(e, _)| e.clause_id.clone()).collect();
    for (i, (mut e, _)) in eligible.into_iter().enumerate() {
        match superseded_by[i] {
            Some(g) => {
                let by = winners[g].clone();
                e.trace.push(
                    StepKind::Superseded { by: by.clone() },
                    format!("与“{by}”支持同一事项，按“从优、就高、不重复”原则由其支持"),
                    format!("funds the same event as {by}, which is granted instead (most favourable, highest, never twice)"),
                );
                matches.superseded.push((e, by));
            }
            None => matches.granted.push(e),
        }
    }
    matches
}

/// Whether two eligible evaluations fund the same event and neither clause adds to the other.
fn overlaps(a: &(Evaluation, Option<&Clause>), b: &(Evaluation, Option<&Clause>)) -> bool {
    let (ea, ca) = a;
    let (eb, cb) = b;
    if ea.subject != eb.subject || ea.subject_key != eb.subject_key {
        return false;
    }
    let stacks = ca.is_some_and(|c| c.stacks_with(&eb.clause_id))
        || cb.is_some_and(|c| c.stacks_with(&ea.clause_id));
    !stacks
}

/// Computed before not computed (committee before not stated), higher maximum, exact before
/// on merit, lower level, clause id.
fn preference(a: &(Evaluation, Option<&Clause>), b: &(Evaluation, Option<&Clause>)) -> Ordering {
    let rank = |amount: Amount| match amount {
        Amount::Exact(_) | Amount::UpTo(_) | Amount::Nothing => 0,
        Amount::Committee => 1,
        Amount::NotStated => 2,
    };
    let (ea, ca) = a;
    let (eb, cb) = b;
    rank(ea.amount)
        .cmp(&rank(eb.amount))
        .then_with(|| eb.amount.maximum().cmp(&ea.amount.maximum()))
        .then_with(|| {
            let exact = |x: Amount| !matches!(x, Amount::Exact(_));
            exact(ea.amount).cmp(&exact(eb.amount))
        })
        .then_with(|| ca.map(|c| c.level).cmp(&cb.map(|c| c.level)))
        .then_with(|| ea.clause_id.cmp(&eb.clause_id))
        .then_with(|| ea.subject_key.cmp(&eb.subject_key))
}
