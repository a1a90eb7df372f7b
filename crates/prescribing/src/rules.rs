//! The national limits on a prescription, as dated rule sets: a changed limit applies from its
//! date, and a prescription written earlier is judged by the set in force when it was written.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jiff::civil::Date;
use serde::{Deserialize, Serialize, Serializer};

use crate::control::ControlClass;
use crate::error::{DataError, check_citations, check_source};
use kernel::{Citation, Source, Sourced};

/// The shipped rules file.
pub const RULES_TOML: &str = include_str!("../data/rules.toml");

const FILE: &str = "rules.toml";

/// The limits in force from one date on. Every figure has a [`Source`]; see
/// [`Rules::source`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rules {
    /// First day these limits apply.
    #[serde(serialize_with = "date_as_string")]
    pub effective_from: Date,
    /// Most medicines on one prescription.
    pub max_lines: u32,
    /// Most days of medicine on an ordinary prescription (处方管理办法 第十九条); kept for
    /// reference: the online clinic's chronic follow-up applies [`Rules::normal_days`].
    pub general_max_days: u32,
    /// Most days without a long prescription.
    pub normal_days: u32,
    /// Most days on a long prescription.
    pub long_max_days: u32,
    /// Days a prescription is valid unless the doctor extends it.
    pub validity_days: u32,
    /// Longest validity a doctor may give.
    pub validity_max_days: u32,
    /// Control classes never prescribed online.
    pub online_excluded: Vec<ControlClass>,
    /// Control classes never on a long prescription.
    pub long_excluded: Vec<ControlClass>,
    /// Source of each field above, by field name.
    pub sources: BTreeMap<String, Source>,
    /// The documents the sources cite.
    pub citations: Vec<Citation>,
}

fn date_as_string<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(date)
}

/// Every shipped rule set, oldest first.
pub fn rule_sets() -> &'static [Rules] {
    static SETS: OnceLock<Vec<Rules>> = OnceLock::new();
    SETS.get_or_init(|| {
        // Embedded and parsed by a test, so a passing build cannot fail here.
        Rules::parse_all(RULES_TOML).expect("the shipped rules.toml is valid")
    })
}

/// The shipped rule set in force on `on`; `None` before the first one.
pub fn rules_in_force(on: Date) -> Option<&'static Rules> {
    Rules::in_force(on)
}

impl Rules {
    /// The shipped rule set in force on `on`; `None` before the first one.
    pub fn in_force(on: Date) -> Option<&'static Rules> {
        Rules::in_force_among(rule_sets(), on)
    }

    /// Of `sets`, the one with the latest `effective_from` on or before `on`.
    pub fn in_force_among(sets: &[Rules], on: Date) -> Option<&Rules> {
        sets.iter()
            .filter(|r| r.effective_from <= on)
            .max_by_key(|r| r.effective_from)
    }

    /// Where a field's figure comes from, by field name (`normal_days`, `long_excluded`…).
    pub fn source(&self, field: &str) -> Option<&Source> {
        self.sources.get(field)
    }

    /// The document a field's figure is taken from.
    pub fn citation(&self, field: &str) -> Option<&Citation> {
        let source = self.source(field)?;
        self.citations.iter().find(|c| c.id == source.citation)
    }

    /// Reads and checks a rules file (the shape of `data/rules.toml`), oldest set first.
    pub fn parse_all(text: &str) -> Result<Vec<Rules>, DataError> {
        let raw: RawRules = toml::from_str(text).map_err(|e| DataError::Syntax {
            file: FILE,
            message: e.to_string(),
        })?;
        check_citations(FILE, &raw.citations)?;
        let mut sets: Vec<Rules> = Vec::with_capacity(raw.rule_sets.len());
        for (i, set) in raw.rule_sets.into_iter().enumerate() {
            let rules = set.into_rules(i, &raw.citations)?;
            if let Some(last) = sets.last() {
                if rules.effective_from <= last.effective_from {
                    return Err(DataError::invalid(
                        FILE,
                        format!("rule_sets[{i}].effective_from"),
                        "rule sets must be listed oldest first, one per date",
                    ));
                }
            }
            sets.push(rules);
        }
        if sets.is_empty() {
            return Err(DataError::invalid(FILE, "rule_sets", "no rule set"));
        }
        Ok(sets)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    citations: Vec<Citation>,
    #[serde(default)]
    rule_sets: Vec<RawSet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    effective_from: Sourced<String>,
    max_lines: Sourced<u32>,
    general_max_days: Sourced<u32>,
    normal_days: Sourced<u32>,
    long_max_days: Sourced<u32>,
    validity_days: Sourced<u32>,
    validity_max_days: Sourced<u32>,
    online_excluded: Sourced<Vec<ControlClass>>,
    long_excluded: Sourced<Vec<ControlClass>>,
}

impl RawSet {
    fn into_rules(self, i: usize, citations: &[Citation]) -> Result<Rules, DataError> {
        let at = |field: &str| format!("rule_sets[{i}].{field}");
        let effective_from: Date = self.effective_from.value.parse().map_err(|e| {
            DataError::invalid(FILE, at("effective_from.value"), format!("not a date: {e}"))
        })?;
        let mut sources = BTreeMap::new();
        for (field, source) in [
            ("effective_from", self.effective_from.source),
            ("max_lines", self.max_lines.source),
            ("general_max_days", self.general_max_days.source),
            ("normal_days", self.normal_days.source),
            ("long_max_days", self.long_max_days.source),
            ("validity_days", self.validity_days.source),
            ("validity_max_days", self.validity_max_days.source),
            ("online_excluded", self.online_excluded.source),
            ("long_excluded", self.long_excluded.source),
        ] {
            check_source(FILE, &at(&format!("{field}.source")), &source, citations)?;
            sources.insert(field.to_owned(), source);
        }
        let rules = Rules {
            effective_from,
            max_lines: self.max_lines.value,
            general_max_days: self.general_max_days.value,
            normal_days: self.normal_days.value,
            long_max_days: self.long_max_days.value,
            validity_days: self.validity_days.value,
            validity_max_days: self.validity_max_days.value,
            online_excluded: self.online_excluded.value,
            long_excluded: self.long_excluded.value,
            sources,
            citations: citations.to_vec(),
        };
        let invalid = |field: &str, reason: &str| Err(DataError::invalid(FILE, at(field), reason));
        if rules.max_lines == 0 {
            return invalid("max_lines", "must be at least 1");
        }
        if rules.normal_days == 0 || rules.normal_days > rules.long_max_days {
            return invalid("normal_days", "must be between 1 and long_max_days");
        }
        if rules.validity_days == 0 || rules.validity_days > rules.validity_max_days {
            return invalid("validity_days", "must be between 1 and validity_max_days");
        }
        if rules.online_excluded.contains(&ControlClass::Ordinary)
            || rules.long_excluded.contains(&ControlClass::Ordinary)
        {
            return invalid("online_excluded", "ordinary medicines cannot be excluded");
        }
        Ok(rules)
    }
}
