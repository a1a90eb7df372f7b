//! Data elements: what a follow-up records, in which unit, and which values are possible.

use std::collections::BTreeMap;

use serde::Serialize;

use kernel::Source;

/// One data element (a form field, an Observation code), resolved for a template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Element {
    /// Stable key used in measurements, rules and forms, e.g. `sbp`.
    pub key: String,
    /// Chinese label.
    pub name_zh: String,
    /// English label.
    pub name_en: String,
    /// The LOINC code the element is known by, where one exists.
    pub loinc: Option<String>,
    /// Other LOINC codes read as this element (e.g. a direct assay besides the calculated one).
    pub also_loinc: Vec<String>,
    /// Canonical unit (UCUM code); [`Quantity`] values are always in this unit.
    pub unit: String,
    /// How the canonical unit is shown to people, e.g. `mmHg` for UCUM `mm[Hg]`.
    pub display_unit: String,
    /// Other spellings accepted for the canonical unit.
    pub unit_aliases: Vec<String>,
    /// Other units accepted on input, with their conversion to the canonical unit.
    pub alternatives: Vec<UnitConversion>,
    /// Physiologically possible range in the canonical unit (not the normal range).
    pub plausible: Plausible,
    /// Scores and counts (mRS, cigarettes a day) are whole numbers.
    pub integer: bool,
    /// Whether every follow-up visit records this element (for this disease).
    pub required_at_followup: bool,
}

/// Range a value must lie in to be believed at all; catches typing and unit mistakes.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plausible {
    /// Lowest believable value, inclusive, canonical unit.
    pub low: f64,
    /// Highest believable value, inclusive, canonical unit.
    pub high: f64,
    /// Who chose the bounds.
    pub source: Source,
}

/// An accepted non-canonical unit: `canonical = value × factor ÷ divisor + offset`.
///
/// Factor and divisor are both kept so the file can say `divisor = 18.0` (how clinicians quote
/// glucose conversion) instead of an unreadable `0.0555…`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitConversion {
    /// UCUM code of the accepted unit.
    pub unit: String,
    /// Other spellings of it.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Multiplier (default 1).
    #[serde(default = "one")]
    pub factor: f64,
    /// Divisor (default 1).
    #[serde(default = "one")]
    pub divisor: f64,
    /// Added after scaling (default 0); only affine scales such as HbA1c IFCC→NGSP need it.
    #[serde(default)]
    pub offset: f64,
    /// Where the factor comes from.
    pub source: Source,
}

fn one() -> f64 {
    1.0
}

impl UnitConversion {
    /// Converts a value in this unit to the canonical unit.
    pub fn to_canonical(&self, value: f64) -> f64 {
        value * self.factor / self.divisor + self.offset
    }

    /// Converts a canonical value back to this unit.
    pub fn from_canonical(&self, canonical: f64) -> f64 {
        (canonical - self.offset) * self.divisor / self.factor
    }

    fn spells(&self, unit: &str) -> bool {
        spelled(unit, &self.unit, &self.aliases)
    }
}

/// Exact spelling first; otherwise ignore case, since `mg/dl` and `MMHG` arrive from devices
/// and UCUM's case-sensitive distinctions never separate two units of the same element (the
/// catalogue checks that when it loads).
fn spelled(unit: &str, code: &str, aliases: &[String]) -> bool {
    let unit = unit.trim();
    std::iter::once(code)
        .chain(aliases.iter().map(String::as_str))
        .any(|s| s == unit || s.eq_ignore_ascii_case(unit))
}

/// A value in an element's canonical unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantity {
    /// Element key.
    pub key: String,
    /// Value in `unit`.
    pub value: f64,
    /// Canonical UCUM unit of the element.
    pub unit: String,
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// The template records no element with this key.
    #[error("template `{template}` has no element `{key}`")]
    UnknownElement {
        /// Template code.
        template: String,
        /// Key asked for.
        key: String,
    },
    /// The unit is not one the element accepts.
    #[error("unit `{unit}` is not accepted for `{key}`; use one of: {}", allowed.join(", "))]
    UnknownUnit {
        /// Element key.
        key: String,
        /// Unit given.
        unit: String,
        /// Canonical unit first, then the alternatives (UCUM codes).
        allowed: Vec<String>,
    },
    /// After conversion the value lies outside the plausible range.
    #[error("{key} = {value} {unit} is outside the plausible range {low}–{high} {unit}")]
    Implausible {
        /// Element key.
        key: String,
        /// Value converted to the canonical unit.
        value: f64,
        /// Lowest plausible value.
        low: f64,
        /// Highest plausible value.
        high: f64,
        /// Canonical unit.
        unit: String,
    },
    /// A score or count with a fractional part.
    #[error("{key} must be a whole number, not {value}")]
    NotInteger {
        /// Element key.
        key: String,
        /// Value given.
        value: f64,
    },
    /// NaN or infinite, before or after conversion.
    #[error("{key} must be a finite number")]
    NotFinite {
        /// Element key.
        key: String,
    },
}

impl Element {
    /// Canonical unit followed by every alternative unit (UCUM codes).
    pub fn allowed_units(&self) -> Vec<String> {
        std::iter::once(self.unit.clone())
            .chain(self.alternatives.iter().map(|a| a.unit.clone()))
            .collect()
    }

    /// The conversion for `unit`: `Some(None)` for the canonical unit, `None` if not accepted.
    pub fn conversion(&self, unit: &str) -> Option<Option<&UnitConversion>> {
        if spelled(unit, &self.unit, &self.unit_aliases) {
            return Some(None);
        }
        self.alternatives.iter().find(|a| a.spells(unit)).map(Some)
    }

    /// Whether `code` is one of the element's LOINC codes.
    pub fn has_loinc(&self, code: &str) -> bool {
        let code = code.trim();
        self.loinc.as_deref() == Some(code) || self.also_loinc.iter().any(|c| c == code)
    }

    /// Converts to the canonical unit and checks the value is finite, whole where it must be,
    /// and plausible.
    pub fn validate(&self, value: f64, unit: &str) -> Result<Quantity, ValueError> {
        let not_finite = || ValueError::NotFinite {
            key: self.key.clone(),
        };
        if !value.is_finite() {
            return Err(not_finite());
        }
        let conversion = self
            .conversion(unit)
            .ok_or_else(|| ValueError::UnknownUnit {
                key: self.key.clone(),
                unit: unit.to_owned(),
                allowed: self.allowed_units(),
            })?;
        let canonical = conversion.map_or(value, |c| c.to_canonical(value));
        if !canonical.is_finite() {
            return Err(not_finite());
        }
        // Scores are entered in their own unit; a converted score would never be whole anyway.
        if self.integer && canonical.fract() != 0.0 {
            return Err(ValueError::NotInteger {
                key: self.key.clone(),
                value,
            });
        }
        let Plausible { low, high, .. } = self.plausible;
        if !(low..=high).contains(&canonical) {
            return Err(ValueError::Implausible {
                key: self.key.clone(),
                value: canonical,
                low,
                high,
                unit: self.unit.clone(),
            });
        }
        Ok(Quantity {
            key: self.key.clone(),
            value: canonical,
            unit: self.unit.clone(),
        })
    }
}

/// Readings of one visit, keyed by element, each in the element's canonical unit.
///
/// Non-finite values are kept but read as absent, so a NaN from a broken device counts as
/// "not measured" rather than silently passing or failing a target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurements {
    values: BTreeMap<String, f64>,
}

impl Measurements {
    /// No readings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a reading already in the element's canonical unit.
    #[must_use]
    pub fn quantity(mut self, key: impl Into<String>, value: f64) -> Self {
        self.values.insert(key.into(), value);
        self
    }

    /// Adds a reading that [`Element::validate`] produced.
    #[must_use]
    pub fn with(self, quantity: Quantity) -> Self {
        self.quantity(quantity.key, quantity.value)
    }

    /// Adds or replaces a reading in place.
    pub fn insert(&mut self, key: impl Into<String>, value: f64) {
        self.values.insert(key.into(), value);
    }

    /// The reading for `key`, if present and finite.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.values.get(key).copied().filter(|v| v.is_finite())
    }
}
