//! What an evaluation found and why: the amount, the unmet conditions, and every step taken.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::facts::FactValue;

/// Text of a trace step. Shared, because most texts are written once per clause when the data
/// load and every evaluation only points at them.
pub type Text = Arc<str>;
use crate::money::Money;

/// The amount a clause grants to these facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Amount {
    /// Computed exactly from the text.
    Exact(Money),
    /// On merit: up to this, the reviewers decide.
    UpTo(Money),
    /// 一事一议: a committee decides; no amount can be computed.
    Committee,
    /// The text grants money but states no amount.
    NotStated,
    /// Not eligible: nothing.
    Nothing,
}

impl Amount {
    /// The most the clause may grant: the exact amount or the maximum; `None` when no amount
    /// can be computed (committee, not stated) and zero when not eligible.
    pub fn maximum(self) -> Option<Money> {
        match self {
            Amount::Exact(m) | Amount::UpTo(m) => Some(m),
            Amount::Nothing => Some(Money::ZERO),
            Amount::Committee | Amount::NotStated => None,
        }
    }

    /// Whether an amount could be computed.
    pub fn is_computed(self) -> bool {
        matches!(self, Amount::Exact(_) | Amount::UpTo(_))
    }
}

/// A condition the facts do not meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmet {
    /// The fact concerned (or `history` for a one-off already granted).
    pub fact: String,
    /// Why, in Chinese.
    pub reason_zh: String,
    /// Why, in English.
    pub reason_en: String,
}

/// What one step of an evaluation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// A fact was read.
    FactUsed {
        /// Its name.
        name: Text,
        /// Its value.
        value: FactValue,
    },
    /// A condition was checked.
    Condition {
        /// The condition, as written.
        text: Text,
        /// Whether it held.
        held: bool,
    },
    /// A formula was applied.
    Formula {
        /// The formula, e.g. `20% × 2000万元`.
        text: String,
        /// Its result.
        value: Money,
    },
    /// A cap cut the amount.
    CapCut {
        /// The cap's id (`<clause id>/max` for the clause's own maximum).
        cap: String,
        /// Seed and section.
        source: String,
        /// The amount before.
        before: Money,
        /// The amount after.
        after: Money,
    },
    /// Another clause's evaluation was granted instead of this one (从优、就高、不重复).
    Superseded {
        /// The clause granted.
        by: String,
    },
    /// Something the reader should know that changes no amount (a range's lower bound, an
    /// amount the text leaves open).
    Note,
}

/// One step, with its explanation in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What was done.
    pub kind: StepKind,
    /// In Chinese.
    pub text_zh: Text,
    /// In English.
    pub text_en: Text,
}

/// Every step of an evaluation, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// The steps.
    pub steps: Vec<Step>,
}

impl Trace {
    pub(crate) fn push(
        &mut self,
        kind: StepKind,
        text_zh: impl Into<Text>,
        text_en: impl Into<Text>,
    ) {
        self.steps.push(Step {
            kind,
            text_zh: text_zh.into(),
            text_en: text_en.into(),
        });
    }

    /// The caps that cut the amount, by id, in order.
    pub fn caps_applied(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::CapCut { cap, .. } => Some(cap.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// The result of evaluating one clause against one company's facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The clause.
    pub clause_id: String,
    /// The version applied (the one in force on the date asked).
    pub clause_version: u32,
    /// The event funded, e.g. `drug.clinical-stage`.
    pub subject: String,
    /// Which event: the subject key's fact values joined by `/`, e.g. `P-001/phase-3-entered`.
    pub subject_key: String,
    /// Whether every condition holds.
    pub eligible: bool,
    /// The conditions that do not.
    pub unmet: Vec<Unmet>,
    /// The amount.
    pub amount: Amount,
    /// The binding limit for any award under the clause (the computed amount or the lowest
    /// cap left), with its name and source; what [`crate::check_request`] holds a request to.
    pub ceiling: Option<Ceiling>,
    /// How it was reached.
    pub trace: Trace,
}

/// The most that may be granted and the rule that sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceiling {
    /// The limit.
    pub limit: Money,
    /// Its name, e.g. `suzhou-2019/7/company-year` or `computed amount`.
    pub cap: String,
    /// Seed and section.
    pub source: String,
}

/// An award granted before, counted against caps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastAward {
    /// The clause it was granted under.
    pub clause_id: String,
    /// The version applied then.
    pub clause_version: u32,
    /// Which event, as in [`Evaluation::subject_key`].
    pub subject_key: String,
    /// Calendar year of the award.
    pub year: i16,
    /// The amount granted.
    pub amount: Money,
}

/// The company's past awards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The awards.
    pub awards: Vec<PastAward>,
}
