//! `models/complication.toml`: the outcome definition and the training settings.

use std::sync::OnceLock;

use diseases::{Citation, Source, Sourced};
use serde::{Deserialize, Serialize};

use crate::data::{DataError, check_source, parse_toml};

/// The settings file.
pub const SETTINGS_FILE: (&str, &str) = (
    "complication.toml",
    include_str!("../../models/complication.toml"),
);

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Documents the settings cite.
    pub citations: Vec<Citation>,
    /// Cohort and outcome.
    pub outcome: OutcomeDef,
    /// How the model is fitted.
    pub training: TrainingSettings,
}

/// Who is in the cohort and what the outcome is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeDef {
    /// Disease template codes whose enrolment puts a resident in the cohort.
    pub index_registers: Vec<String>,
    /// Disease template codes whose later enrolment is the outcome.
    pub outcome_registers: Vec<String>,
    /// Where the definition comes from.
    pub source: Source,
}

/// Fitting settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSettings {
    /// Weight of the L2 penalty.
    pub l2_alpha: Sourced<f64>,
    /// L-BFGS iterations at most.
    pub max_iterations: Sourced<u64>,
    /// Default share of residents held out for evaluation.
    pub holdout_fraction: Sourced<f64>,
    /// Fewest events (and non-events) in the training rows.
    pub min_events: Sourced<usize>,
}

impl Settings {
    /// The built-in settings, parsed and checked once.
    pub fn builtin() -> Result<&'static Settings, DataError> {
        static BUILTIN: OnceLock<Result<Settings, DataError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Settings::parse(SETTINGS_FILE.0, SETTINGS_FILE.1))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses and checks a settings file.
    pub fn parse(file: &str, text: &str) -> Result<Settings, DataError> {
        let s: Settings = parse_toml(file, text)?;
        let c = &s.citations;
        check_source(file, "outcome", &s.outcome.source, c)?;
        let t = &s.training;
        check_source(file, "training.l2_alpha", &t.l2_alpha.source, c)?;
        check_source(file, "training.max_iterations", &t.max_iterations.source, c)?;
        check_source(
            file,
            "training.holdout_fraction",
            &t.holdout_fraction.source,
            c,
        )?;
        check_source(file, "training.min_events", &t.min_events.source, c)?;
        if s.outcome.index_registers.is_empty() || s.outcome.outcome_registers.is_empty() {
            return Err(DataError::invalid(
                file,
                "outcome",
                "index and outcome registers are both needed",
            ));
        }
        if s.outcome
            .index_registers
            .iter()
            .any(|r| s.outcome.outcome_registers.contains(r))
        {
            return Err(DataError::invalid(
                file,
                "outcome",
                "a register cannot be both index and outcome",
            ));
        }
        if !(t.l2_alpha.value >= 0.0 && t.l2_alpha.value.is_finite()) {
            return Err(DataError::invalid(
                file,
                "training.l2_alpha",
                "must be a number ≥ 0",
            ));
        }
        Ok(s)
    }
}
