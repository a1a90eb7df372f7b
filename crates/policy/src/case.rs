//! Worked cases written beside each clause in the language of the policy ("第七条：三类医疗器械
//! 研发投入2000万元，按20%计400万元，封顶300万元"): facts in, amount out. A test runs them all.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::catalogue::Catalogue;
use crate::error::DataError;
use crate::evaluate::evaluate;
use crate::facts::{FactKind, FactValue, Facts};
use crate::money::Money;
use crate::trace::{Amount, Evaluation, History, PastAward};

/// What a case expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expected {
    /// Eligible, this exact amount.
    Exact(Money),
    /// Eligible, on merit up to this.
    UpTo(Money),
    /// Eligible, a committee decides.
    Committee,
    /// Eligible, the text states no amount.
    NotStated,
    /// Not eligible; `unmet` names a fact among the unmet conditions.
    Ineligible {
        /// The fact.
        unmet: String,
    },
}

/// One worked case of one clause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// The clause.
    pub clause_id: String,
    /// The case in the policy's words.
    pub says: String,
    /// The date evaluated on.
    pub on: Date,
    /// The facts (the document's defaults with the case's on top).
    pub facts: Facts,
    /// Past awards.
    pub history: History,
    /// The outcome expected.
    pub expected: Expected,
    /// The cap expected to set the amount last (`<clause id>/max` for the clause's own
    /// maximum), or none: then no cap may cut it.
    pub capped_by: Option<String>,
}

impl Case {
    /// Evaluates the case; `Err` says how the outcome differs from the expected one.
    pub fn run(&self, catalogue: &Catalogue) -> Result<Evaluation, String> {
        let clause = catalogue
            .clause(&self.clause_id, self.on)
            .map_err(|e| e.to_string())?;
        let evaluation =
            evaluate(clause, &self.facts, &self.history, self.on).map_err(|e| e.to_string())?;
        let got_ok = match (&self.expected, evaluation.amount) {
            (Expected::Exact(m), Amount::Exact(g)) => *m == g,
            (Expected::UpTo(m), Amount::UpTo(g)) => *m == g,
            (Expected::Committee, Amount::Committee) | (Expected::NotStated, Amount::NotStated) => {
                true
            }
            (Expected::Ineligible { unmet }, Amount::Nothing) => {
                !evaluation.eligible && evaluation.unmet.iter().any(|u| &u.fact == unmet)
            }
            _ => false,
        };
        if !got_ok {
            return Err(format!(
                "expected {:?}, got {:?} (unmet: {:?})",
                self.expected,
                evaluation.amount,
                evaluation
                    .unmet
                    .iter()
                    .map(|u| u.reason_en.as_str())
                    .collect::<Vec<_>>()
            ));
        }
        let caps = evaluation.trace.caps_applied();
        match (&self.capped_by, caps.last()) {
            (None, None) => {}
            (Some(want), Some(got)) if want == got => {}
            (want, _) => {
                return Err(format!(
                    "expected the amount capped by {want:?}, the caps that cut were {caps:?}"
                ));
            }
        }
        Ok(evaluation)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCaseDefaults {
    on: String,
    #[serde(default)]
    facts: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCase {
    says: String,
    #[serde(default)]
    on: Option<String>,
    #[serde(default)]
    facts: toml::Table,
    #[serde(default)]
    history: Vec<RawAward>,
    expect: RawExpect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAward {
    clause: String,
    #[serde(default = "one")]
    version: u32,
    #[serde(default = "company")]
    subject_key: String,
    year: i16,
    amount: Money,
}

fn one() -> u32 {
    1
}

fn company() -> String {
    "company".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    #[serde(default)]
    amount: Option<Money>,
    #[serde(default)]
    up_to: Option<Money>,
    #[serde(default)]
    committee: Option<bool>,
    #[serde(default)]
    not_stated: Option<bool>,
    #[serde(default)]
    eligible: Option<bool>,
    #[serde(default)]
    unmet: Option<String>,
    #[serde(default)]
    capped_by: Option<String>,
}

impl RawCase {
    pub(crate) fn read(
        &self,
        catalogue: &Catalogue,
        file: &str,
        field: &str,
        clause_id: &str,
        defaults: &RawCaseDefaults,
    ) -> Result<Case, DataError> {
        let on_text = self.on.as_deref().unwrap_or(&defaults.on);
        let on: Date = on_text.parse().map_err(|_| {
            DataError::invalid(
                file,
                format!("{field}.on"),
                format!("{on_text:?} is not a date"),
            )
        })?;
        let base = read_facts(
            catalogue,
            file,
            &format!("{field} (case_defaults)"),
            &defaults.facts,
        )?;
        let own = read_facts(catalogue, file, &format!("{field}.facts"), &self.facts)?;
        let e = &self.expect;
        let expected = match (
            e.amount,
            e.up_to,
            e.committee,
            e.not_stated,
            e.eligible,
            &e.unmet,
        ) {
            (Some(m), None, None, None, None, None) => Expected::Exact(m),
            (None, Some(m), None, None, None, None) => Expected::UpTo(m),
            (None, None, Some(true), None, None, None) => Expected::Committee,
            (None, None, None, Some(true), None, None) => Expected::NotStated,
            (None, None, None, None, Some(false), Some(u)) => {
                Expected::Ineligible { unmet: u.clone() }
            }
            _ => {
                return Err(DataError::invalid(
                    file,
                    format!("{field}.expect"),
                    "give one of amount, up_to, committee = true, not_stated = true, or eligible = false with unmet",
                ));
            }
        };
        let capped_by = e.capped_by.as_ref().map(|c| {
            if c == "max" {
                format!("{clause_id}/max")
            } else {
                c.clone()
            }
        });
        Ok(Case {
            clause_id: clause_id.to_owned(),
            says: self.says.clone(),
            on,
            facts: base.merged(&own),
            history: History {
                awards: self
                    .history
                    .iter()
                    .map(|a| PastAward {
                        clause_id: a.clause.clone(),
                        clause_version: a.version,
                        subject_key: a.subject_key.clone(),
                        year: a.year,
                        amount: a.amount,
                    })
                    .collect(),
            },
            expected,
            capped_by,
        })
    }
}

/// Reads a TOML table of facts, typed by the catalogue: amounts as `"300万"` or whole yuan.
pub(crate) fn read_facts(
    catalogue: &Catalogue,
    file: &str,
    field: &str,
    table: &toml::Table,
) -> Result<Facts, DataError> {
    let mut facts = Facts::new();
    for (name, value) in table {
        let def = catalogue
            .fact(name)
            .ok_or_else(|| DataError::invalid(file, field, format!("unknown fact {name:?}")))?;
        let v = match (def.kind, value) {
            (FactKind::Money, toml::Value::Integer(n)) => FactValue::Money(Money(*n)),
            (FactKind::Count, toml::Value::Integer(n)) => FactValue::Count(*n),
            (FactKind::Flag, toml::Value::Boolean(b)) => FactValue::Flag(*b),
            (_, toml::Value::String(s)) => def
                .parse_value(s)
                .map_err(|e| DataError::invalid(file, format!("{field}.{name}"), e.to_string()))?,
            _ => {
                return Err(DataError::invalid(
                    file,
                    format!("{field}.{name}"),
                    format!("{value} is not a value of the {:?} fact", def.kind),
                ));
            }
        };
        def.check(&v)
            .map_err(|e| DataError::invalid(file, format!("{field}.{name}"), e.to_string()))?;
        facts.set(name, v);
    }
    Ok(facts)
}
