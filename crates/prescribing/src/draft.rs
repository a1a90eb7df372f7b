//! What the doctor writes: a prescription draft, and what the patient already takes.

use serde::{Deserialize, Serialize};

use crate::canonical::canonical_json;
use crate::frequency::Frequency;

/// One medicine on the prescription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// Catalogue code ([`crate::Drug::code`]).
    pub drug: String,
    /// Amount per take in the drug's strength unit: one 5 mg tablet is `5.0`, half is `2.5`.
    pub dose: f64,
    /// How often it is taken.
    pub frequency: Frequency,
    /// Days of treatment.
    pub days: u32,
    /// Whole packs dispensed.
    pub packs: u32,
}

/// What a prescription of more than the normal days needs: the doctor's recorded evaluation
/// and the patient's signed confirmation (长期处方管理规范（试行）).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongTerm {
    /// The doctor's evaluation: diagnosis clear, regimen and condition stable.
    pub evaluation: String,
    /// The patient has confirmed (signed) the long prescription.
    pub patient_confirmed: bool,
}

/// A prescription as written, before signing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// The medicines, in order; problems name them `lines[0]`, `lines[1]`, …
    pub lines: Vec<Line>,
    /// Present when the doctor writes a long prescription.
    #[serde(default)]
    pub long_term: Option<LongTerm>,
    /// Days the prescription stays valid for dispensing.
    pub validity_days: u32,
}

impl Draft {
    /// A draft of these lines, valid for one day, not a long prescription.
    pub fn new(lines: Vec<Line>) -> Self {
        Draft {
            lines,
            long_term: None,
            validity_days: 1,
        }
    }

    /// The canonical JSON of this draft ([`canonical_json`]): the bytes a doctor signs.
    pub fn canonical_json(&self) -> String {
        // serde_json fails only on non-string map keys, which a draft has none of; a
        // non-finite dose becomes null, as serde_json writes it.
        serde_json::to_value(self)
            .map(|v| canonical_json(&v))
            .unwrap_or_default()
    }
}

/// A medicine the patient is already taking, from the record or their own account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrentMedicine {
    /// Catalogue code when known.
    #[serde(default)]
    pub code: Option<String>,
    /// WHO ATC code when known; used when there is no catalogue code.
    #[serde(default)]
    pub atc: Option<String>,
    /// Name as recorded, for messages.
    pub name: String,
}
