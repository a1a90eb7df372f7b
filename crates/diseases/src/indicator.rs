//! Quality indicators: ratios of named counts, as the health commission reports them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::measure::CountMeasure;
use kernel::Source;

/// A count an indicator is computed from, e.g. `managed` (年内已管理患者人数).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountDef {
    /// Name used in [`Counts`].
    pub name: String,
    /// What is counted, in Chinese.
    pub name_zh: String,
    /// What is counted, in English.
    pub name_en: String,
    /// How the count is measured from records as they arrive; `None` for the counts read
    /// from enrolments and follow-ups (registered, managed, controlled at the last visit…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<CountMeasure>,
}

/// An indicator: numerator count ÷ denominator count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indicator {
    /// Stable key, e.g. `standard_management_rate`.
    pub key: String,
    /// Chinese name, e.g. 高血压患者规范管理率.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Name of the numerator count.
    pub numerator: String,
    /// Name of the denominator count.
    pub denominator: String,
    /// Where the definition comes from.
    pub citation: Source,
}

/// Named counts for a period and population.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    counts: BTreeMap<String, u64>,
}

impl Counts {
    /// No counts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a count.
    #[must_use]
    pub fn set(mut self, name: impl Into<String>, n: u64) -> Self {
        self.counts.insert(name.into(), n);
        self
    }

    /// A count, if set.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.counts.get(name).copied()
    }
}

/// An evaluated indicator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    /// Numerator count.
    pub numerator: u64,
    /// Denominator count, never zero.
    pub denominator: u64,
    /// numerator ÷ denominator, between 0 and 1.
    pub value: f64,
}

impl Ratio {
    /// The value as a percentage, as reports print it.
    pub fn percent(&self) -> f64 {
        self.value * 100.0
    }
}

/// Why an indicator has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorError {
    /// A count the formula needs was not supplied.
    #[error("count `{0}` was not supplied")]
    MissingCount(String),
    /// Nobody in the denominator: the rate is undefined, not zero.
    #[error("denominator `{0}` is zero")]
    ZeroDenominator(String),
    /// More in the numerator than the denominator: the counts are inconsistent.
    #[error("numerator {numerator} exceeds denominator {denominator}")]
    NumeratorExceedsDenominator {
        /// Numerator count.
        numerator: u64,
        /// Denominator count.
        denominator: u64,
    },
}

impl Indicator {
    /// The ratio, or why there is none.
    pub fn check(&self, counts: &Counts) -> Result<Ratio, IndicatorError> {
        let get = |name: &str| {
            counts
                .get(name)
                .ok_or_else(|| IndicatorError::MissingCount(name.to_owned()))
        };
        let numerator = get(&self.numerator)?;
        let denominator = get(&self.denominator)?;
        if denominator == 0 {
            return Err(IndicatorError::ZeroDenominator(self.denominator.clone()));
        }
        if numerator > denominator {
            return Err(IndicatorError::NumeratorExceedsDenominator {
                numerator,
                denominator,
            });
        }
        #[allow(clippy::cast_precision_loss)] // counts of people stay far below 2^52
        let value = numerator as f64 / denominator as f64;
        Ok(Ratio {
            numerator,
            denominator,
            value,
        })
    }

    /// The ratio; `None` when the denominator is zero, a count is missing or the counts are
    /// inconsistent (use [`Indicator::check`] to know which).
    pub fn evaluate(&self, counts: &Counts) -> Option<Ratio> {
        self.check(counts).ok()
    }
}
