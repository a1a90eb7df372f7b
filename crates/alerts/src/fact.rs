//! The input: facts of committed readings, grouped into readings.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One value of a committed reading. Facts with the same resident and source are one reading
/// (a blood-pressure reading gives an `sbp` and a `dbp` fact).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingFact {
    /// The resident (master index id).
    pub resident_id: String,
    /// Element or series key: `sbp`, `dbp`, `fpg`, `glucose`, `heart_rate`, `spo2`, `weight`…
    pub key: String,
    /// The value in the element's canonical unit.
    pub value: f64,
    /// When it was measured, Unix milliseconds.
    pub at: i64,
    /// Where it came from, e.g. `device:<id>/<message id>`.
    pub source: String,
}

/// Why a fact was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FactProblem {
    /// `resident_id` is empty.
    NoResident,
    /// `source` is empty, so the fact cannot be told apart from other readings.
    NoSource,
    /// `key` is empty.
    NoKey,
    /// `value` is NaN or infinite.
    NotFinite,
    /// `at` is before 1970.
    BeforeEpoch,
}

impl FactProblem {
    /// The field at fault and what is allowed.
    pub fn explain(self) -> &'static str {
        match self {
            FactProblem::NoResident => "resident_id: empty; a resident id is required",
            FactProblem::NoSource => "source: empty; the reading's source is required",
            FactProblem::NoKey => "key: empty; an element key such as sbp is required",
            FactProblem::NotFinite => "value: not a finite number",
            FactProblem::BeforeEpoch => "at: before 1970; times are Unix milliseconds",
        }
    }

    pub(crate) fn of(fact: &ReadingFact) -> Option<FactProblem> {
        if fact.resident_id.is_empty() {
            Some(FactProblem::NoResident)
        } else if fact.source.is_empty() {
            Some(FactProblem::NoSource)
        } else if fact.key.is_empty() {
            Some(FactProblem::NoKey)
        } else if !fact.value.is_finite() {
            Some(FactProblem::NotFinite)
        } else if fact.at < 0 {
            Some(FactProblem::BeforeEpoch)
        } else {
            None
        }
    }
}

/// A fact left out, by its index in the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ignored {
    /// Position in the slice given to `on_readings`.
    pub index: usize,
    /// Why.
    pub problem: FactProblem,
}

/// The facts of one resident and source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reading<'a> {
    pub resident_id: &'a str,
    pub source: &'a str,
    /// The latest time among its facts.
    pub at: i64,
    pub values: Vec<(&'a str, f64)>,
}

impl Reading<'_> {
    /// The values as a small JSON object, kept on the alert as its last reading.
    pub fn values_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
            .collect();
        serde_json::Value::Object(map).to_string()
    }
}

/// Groups valid facts into readings (in order of first appearance) and lists the invalid.
pub(crate) fn group(facts: &[ReadingFact]) -> (Vec<Reading<'_>>, Vec<Ignored>) {
    let mut readings: Vec<Reading<'_>> = Vec::new();
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    let mut ignored = Vec::new();
    for (i, fact) in facts.iter().enumerate() {
        if let Some(problem) = FactProblem::of(fact) {
            ignored.push(Ignored { index: i, problem });
            continue;
        }
        let key = (fact.resident_id.as_str(), fact.source.as_str());
        let at = *index.entry(key).or_insert_with(|| {
            readings.push(Reading {
                resident_id: &fact.resident_id,
                source: &fact.source,
                at: fact.at,
                values: Vec::with_capacity(2),
            });
            readings.len() - 1
        });
        let reading = &mut readings[at];
        reading.at = reading.at.max(fact.at);
        reading.values.push((&fact.key, fact.value));
    }
    (readings, ignored)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn fact(resident: &str, key: &str, value: f64, source: &str) -> ReadingFact {
        ReadingFact {
            resident_id: resident.into(),
            key: key.into(),
            value,
            at: 1_000,
            source: source.into(),
        }
    }

    #[test]
    fn facts_of_one_resident_and_source_are_one_reading() {
        let facts = vec![
            fact("r1", "sbp", 150.0, "device:a/1"),
            fact("r2", "sbp", 120.0, "device:b/1"),
            fact("r1", "dbp", 95.0, "device:a/1"),
            fact("r1", "sbp", 130.0, "device:a/2"),
        ];
        let (readings, ignored) = group(&facts);
        assert!(ignored.is_empty());
        assert_eq!(readings.len(), 3);
        assert_eq!(readings[0].values, vec![("sbp", 150.0), ("dbp", 95.0)]);
        assert_eq!(readings[0].values_json(), r#"{"dbp":95.0,"sbp":150.0}"#);
    }

    #[test]
    fn bad_facts_are_left_out_with_the_field_named() {
        let mut before_epoch = fact("r1", "sbp", 150.0, "s");
        before_epoch.at = -1;
        let facts = vec![
            fact("", "sbp", 150.0, "s"),
            fact("r1", "sbp", f64::NAN, "s"),
            fact("r1", "sbp", 150.0, ""),
            fact("r1", "", 150.0, "s"),
            before_epoch,
            fact("r1", "sbp", f64::INFINITY, "s"),
        ];
        let (readings, ignored) = group(&facts);
        assert!(readings.is_empty());
        let problems: Vec<FactProblem> = ignored.iter().map(|i| i.problem).collect();
        assert_eq!(
            problems,
            vec![
                FactProblem::NoResident,
                FactProblem::NotFinite,
                FactProblem::NoSource,
                FactProblem::NoKey,
                FactProblem::BeforeEpoch,
                FactProblem::NotFinite,
            ]
        );
        assert!(FactProblem::NotFinite.explain().starts_with("value:"));
        assert_eq!(ignored[4].index, 4);
    }
}
