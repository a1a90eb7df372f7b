//! Control targets and danger signs: bounds on element values, combined with all/any.

use serde::{Deserialize, Serialize};

use crate::element::Measurements;
use kernel::{Source, Sourced};

/// Bounds on one element's value (canonical unit). At most one lower (`gt`/`ge`) and one
/// upper (`lt`/`le`) bound; the loader refuses anything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Element key.
    pub key: String,
    /// Value must be below.
    #[serde(default)]
    pub lt: Option<f64>,
    /// Value must be at most.
    #[serde(default)]
    pub le: Option<f64>,
    /// Value must be above.
    #[serde(default)]
    pub gt: Option<f64>,
    /// Value must be at least.
    #[serde(default)]
    pub ge: Option<f64>,
    /// Where the thresholds come from.
    pub source: Source,
}

impl Condition {
    /// Whether `value` satisfies every bound.
    pub fn holds(&self, value: f64) -> bool {
        self.lt.is_none_or(|b| value < b)
            && self.le.is_none_or(|b| value <= b)
            && self.gt.is_none_or(|b| value > b)
            && self.ge.is_none_or(|b| value >= b)
    }

    /// E.g. `sbp < 140 mmHg`, `4.4 ≤ fpg ≤ 7 mmol/L`.
    pub fn text(&self, display_unit: &str) -> String {
        self.text_named(&self.key, display_unit)
    }

    /// [`Condition::text`] with the element called `name` (`收缩压 ≥ 180 mmHg`).
    pub fn text_named(&self, name: &str, display_unit: &str) -> String {
        let lower = self
            .gt
            .map(|b| (b, ">", "<"))
            .or(self.ge.map(|b| (b, "≥", "≤")));
        let upper = self.lt.map(|b| (b, "<")).or(self.le.map(|b| (b, "≤")));
        let key = name;
        match (lower, upper) {
            (Some((l, _, flipped)), Some((u, op))) => {
                format!("{l} {flipped} {key} {op} {u} {display_unit}")
            }
            (Some((l, op, _)), None) => format!("{key} {op} {l} {display_unit}"),
            (None, Some((u, op))) => format!("{key} {op} {u} {display_unit}"),
            (None, None) => key.to_owned(),
        }
    }
}

/// How several conditions combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    /// Every condition must hold.
    #[default]
    All,
    /// One condition is enough.
    Any,
}

/// A control target: a condition, and whether a missing value leaves control unknown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    /// The bounds.
    pub condition: Condition,
    /// Judged only when measured (HbA1c is not taken at every visit). A required target that
    /// is missing makes the status [`ControlStatus::Unknown`].
    pub optional: bool,
}

/// Targets for an age band; the first band whose ages include the patient applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlBand {
    /// Stable key, e.g. `aged_80_plus`.
    pub key: String,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// Lowest age in years, inclusive.
    pub min_age: Option<Sourced<u32>>,
    /// Highest age in years, inclusive.
    pub max_age: Option<Sourced<u32>>,
    /// The targets.
    pub targets: Vec<Target>,
}

impl ControlBand {
    /// Whether the band applies at this age.
    pub fn applies_at(&self, age_years: u32) -> bool {
        self.min_age.as_ref().is_none_or(|m| age_years >= m.value)
            && self.max_age.as_ref().is_none_or(|m| age_years <= m.value)
    }
}

/// What "controlled" means for a disease.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Control {
    /// How a band's targets combine.
    pub combine: Combine,
    /// Age bands in order; the loader checks that every age 0–130 finds one.
    pub bands: Vec<ControlBand>,
}

/// A target a reading did not meet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetFailure {
    /// Element key.
    pub key: String,
    /// The reading.
    pub value: f64,
    /// The target, e.g. `sbp < 140 mmHg`.
    pub target: String,
}

/// Whether a patient's readings meet the control targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ControlStatus {
    /// Targets met.
    Controlled {
        /// Key of the age band applied.
        band: String,
        /// Keys of the elements judged.
        judged: Vec<String>,
    },
    /// At least one target decisively not met.
    NotControlled {
        /// Key of the age band applied.
        band: String,
        /// The targets not met.
        failed: Vec<TargetFailure>,
    },
    /// Not enough readings to decide.
    Unknown {
        /// Keys of the readings needed.
        missing: Vec<String>,
    },
}

impl Control {
    /// The one target on `key`, when every band has exactly one and they all give the same
    /// bounds (so judging a single result by it does not depend on the patient's age).
    pub fn target_for(&self, key: &str) -> Option<&Condition> {
        let bounds = |c: &Condition| (c.lt, c.le, c.gt, c.ge);
        let mut found: Option<&Condition> = None;
        for band in &self.bands {
            let mut on_key = band.targets.iter().filter(|t| t.condition.key == key);
            let (Some(target), None) = (on_key.next(), on_key.next()) else {
                return None;
            };
            match found {
                Some(f) if bounds(f) != bounds(&target.condition) => return None,
                Some(_) => {}
                None => found = Some(&target.condition),
            }
        }
        found
    }

    /// Judges readings with three-valued logic: under `all`, one failed target decides even if
    /// others are missing; under `any`, one met target decides. Missing optional targets are
    /// left out; if nothing at all can be judged the status is unknown.
    pub(crate) fn judge(
        &self,
        m: &Measurements,
        age_years: u32,
        display_unit: impl Fn(&str) -> String,
    ) -> ControlStatus {
        let Some(band) = self.bands.iter().find(|b| b.applies_at(age_years)) else {
            // The loader guarantees a band for every age up to 130; older ages fall here.
            return ControlStatus::Unknown {
                missing: Vec::new(),
            };
        };
        let mut met = Vec::new();
        let mut failed = Vec::new();
        let mut missing_required = Vec::new();
        let mut missing_optional = Vec::new();
        for t in &band.targets {
            let c = &t.condition;
            match m.get(&c.key) {
                Some(v) if c.holds(v) => met.push(c.key.clone()),
                Some(v) => failed.push(TargetFailure {
                    key: c.key.clone(),
                    value: v,
                    target: c.text(&display_unit(&c.key)),
                }),
                None if t.optional => missing_optional.push(c.key.clone()),
                None => missing_required.push(c.key.clone()),
            }
        }
        let band_key = band.key.clone();
        let decided_not = match self.combine {
            Combine::All => !failed.is_empty(),
            Combine::Any => met.is_empty() && missing_required.is_empty() && !failed.is_empty(),
        };
        if decided_not {
            return ControlStatus::NotControlled {
                band: band_key,
                failed,
            };
        }
        let decided_yes = match self.combine {
            Combine::All => missing_required.is_empty() && !met.is_empty(),
            Combine::Any => !met.is_empty(),
        };
        if decided_yes {
            let mut judged = met;
            judged.extend(failed.into_iter().map(|f| f.key));
            return ControlStatus::Controlled {
                band: band_key,
                judged,
            };
        }
        missing_required.extend(missing_optional);
        ControlStatus::Unknown {
            missing: missing_required,
        }
    }
}

/// A reading pattern needing referral or urgent attention.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DangerRule {
    /// Stable key, e.g. `bp_crisis`.
    pub key: String,
    /// What to tell the doctor, in Chinese.
    pub message_zh: String,
    /// The same in English.
    pub message_en: String,
    /// `any`: one condition triggers; `all`: every condition must be measured and hold.
    pub combine: Combine,
    /// Conditions that signal danger when they hold.
    pub when: Vec<Condition>,
}

/// A danger rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DangerSign {
    /// Key of the rule.
    pub key: String,
    /// Message in Chinese.
    pub message_zh: String,
    /// Message in English.
    pub message_en: String,
    /// The whole rule, e.g. `sbp ≥ 180 mmHg or dbp ≥ 110 mmHg`.
    pub rule: String,
    /// The readings that satisfied it.
    pub findings: Vec<Finding>,
}

/// One reading that satisfied a danger condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Element key.
    pub key: String,
    /// The reading.
    pub value: f64,
    /// The condition it satisfied.
    pub condition: String,
}

impl DangerRule {
    /// The rule as text.
    pub fn text(&self, display_unit: impl Fn(&str) -> String) -> String {
        let joiner = match self.combine {
            Combine::All => " and ",
            Combine::Any => " or ",
        };
        let parts: Vec<String> = self
            .when
            .iter()
            .map(|c| c.text(&display_unit(&c.key)))
            .collect();
        parts.join(joiner)
    }

    pub(crate) fn check(
        &self,
        m: &Measurements,
        display_unit: impl Fn(&str) -> String,
    ) -> Option<DangerSign> {
        let findings: Vec<Finding> = self
            .when
            .iter()
            .filter_map(|c| {
                let v = m.get(&c.key)?;
                c.holds(v).then(|| Finding {
                    key: c.key.clone(),
                    value: v,
                    condition: c.text(&display_unit(&c.key)),
                })
            })
            .collect();
        let fired = match self.combine {
            Combine::Any => !findings.is_empty(),
            Combine::All => findings.len() == self.when.len(),
        };
        fired.then(|| DangerSign {
            key: self.key.clone(),
            message_zh: self.message_zh.clone(),
            message_en: self.message_en.clone(),
            rule: self.text(&display_unit),
            findings,
        })
    }
}
