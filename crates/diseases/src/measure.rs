//! Counts measured from results as they arrive (a laboratory test, an examination, an
//! assessment at a follow-up) rather than from the follow-ups' outcomes. The template says
//! which records count and against which target; the registry keeps the latest of each on the
//! enrolment (ADR 0007).

use serde::{Deserialize, Serialize};

use crate::code::SnomedConcept;
use kernel::Source;

/// A LOINC code a rule reads besides those of the template's elements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoincCode {
    /// The code, e.g. `20150-9`; its check digit is verified when the template loads.
    pub code: String,
    /// Its long common name, for people reading the template.
    pub display: String,
}

/// How a count is measured from the records that arrive, written `[counts.measure]` under the
/// count. Every such count is of residents under management (followed up at least once in
/// the year), the denominator of the indicators that use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum CountMeasure {
    /// The latest result of `element` in the year met the template's control target for that
    /// element (one target, the same in every control band). Results are final Observations
    /// with one of the element's LOINC codes, from a laboratory or recorded at a follow-up.
    LatestResultAtTarget {
        /// Element key, e.g. `ldl_c`.
        element: String,
        /// Where the rule comes from.
        source: Source,
    },
    /// At least one examination in the year: a final Observation with a LOINC code of one of
    /// `elements` or one of `loinc`, or a completed Procedure with one of the SNOMED CT
    /// `procedures`.
    ExaminationInYear {
        /// Elements whose LOINC codes are results of the examination.
        #[serde(default)]
        elements: Vec<String>,
        /// Further LOINC codes that are results of the examination.
        #[serde(default)]
        loinc: Vec<LoincCode>,
        /// SNOMED CT procedures that are the examination (matched exactly).
        #[serde(default)]
        procedures: Vec<SnomedConcept>,
        /// Where the rule comes from.
        source: Source,
    },
    /// At least one follow-up of this register in the year that recorded `element` (the
    /// assessment the register asks for, e.g. mRS at a stroke rehabilitation follow-up).
    AssessmentAtFollowup {
        /// Element key, e.g. `mrs`.
        element: String,
        /// Where the rule comes from.
        source: Source,
    },
}

/// The kinds of [`CountMeasure`]. A count's name says its kind (the suffix), so the count and
/// the fact the registry keeps for it always agree; a template has at most one count of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MeasureKind {
    /// [`CountMeasure::LatestResultAtTarget`]: names end in `_controlled_last_test`.
    LatestResultAtTarget,
    /// [`CountMeasure::ExaminationInYear`]: names end in `_done`.
    ExaminationInYear,
    /// [`CountMeasure::AssessmentAtFollowup`]: names end in `_followed_up`.
    AssessmentAtFollowup,
}

impl MeasureKind {
    /// Every kind.
    pub const ALL: [MeasureKind; 3] = [
        MeasureKind::LatestResultAtTarget,
        MeasureKind::ExaminationInYear,
        MeasureKind::AssessmentAtFollowup,
    ];

    /// How the names of counts of this kind end.
    pub fn suffix(self) -> &'static str {
        match self {
            MeasureKind::LatestResultAtTarget => "_controlled_last_test",
            MeasureKind::ExaminationInYear => "_done",
            MeasureKind::AssessmentAtFollowup => "_followed_up",
        }
    }

    /// The kind a count of this name is measured by, if it is one of these.
    pub fn of_count(name: &str) -> Option<MeasureKind> {
        Self::ALL
            .into_iter()
            .find(|k| name.len() > k.suffix().len() && name.ends_with(k.suffix()))
    }
}

impl CountMeasure {
    /// The kind of rule.
    pub fn kind(&self) -> MeasureKind {
        match self {
            CountMeasure::LatestResultAtTarget { .. } => MeasureKind::LatestResultAtTarget,
            CountMeasure::ExaminationInYear { .. } => MeasureKind::ExaminationInYear,
            CountMeasure::AssessmentAtFollowup { .. } => MeasureKind::AssessmentAtFollowup,
        }
    }

    /// Where the rule comes from.
    pub fn source(&self) -> &Source {
        match self {
            CountMeasure::LatestResultAtTarget { source, .. }
            | CountMeasure::ExaminationInYear { source, .. }
            | CountMeasure::AssessmentAtFollowup { source, .. } => source,
        }
    }
}
