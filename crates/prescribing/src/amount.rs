//! Quantities of medicine with their unit, and the few unit conversions dose checking needs.

use serde::{Deserialize, Serialize};

/// An amount of medicine, e.g. 5 mg or 300 IU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amount {
    /// The number, in `unit`.
    pub value: f64,
    /// `g`, `mg`, `µg`, `IU`, `mL`, `L`; any other unit compares only with itself.
    pub unit: String,
}

impl Amount {
    /// A new amount.
    pub fn new(value: f64, unit: impl Into<String>) -> Self {
        Amount {
            value,
            unit: unit.into(),
        }
    }

    /// This amount expressed in `unit`, or `None` when the two units measure different things
    /// (mass against international units, say): such amounts cannot be compared.
    pub fn in_unit(&self, unit: &str) -> Option<f64> {
        if self.unit == unit {
            return Some(self.value);
        }
        let (from_kind, from_scale) = scale(&self.unit)?;
        let (to_kind, to_scale) = scale(unit)?;
        (from_kind == to_kind).then(|| self.value * from_scale / to_scale)
    }
}

/// Whether two units can be compared (same unit, or both mass, or both volume).
pub fn comparable(a: &str, b: &str) -> bool {
    a == b || matches!((scale(a), scale(b)), (Some((x, _)), Some((y, _))) if x == y)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mass,
    Volume,
    InternationalUnit,
}

/// The kind a unit measures and its size in that kind's smallest unit (µg, mL, IU).
fn scale(unit: &str) -> Option<(Kind, f64)> {
    // Both the micro sign (U+00B5) and the Greek mu (U+03BC) are typed for micrograms.
    match unit {
        "g" => Some((Kind::Mass, 1_000_000.0)),
        "mg" => Some((Kind::Mass, 1_000.0)),
        "µg" | "μg" | "ug" | "mcg" => Some((Kind::Mass, 1.0)),
        "L" => Some((Kind::Volume, 1_000.0)),
        "mL" | "ml" => Some((Kind::Volume, 1.0)),
        "IU" => Some((Kind::InternationalUnit, 1.0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_convert_to_milligrams() {
        assert_eq!(Amount::new(4.0, "g").in_unit("mg"), Some(4000.0));
        assert_eq!(Amount::new(100.0, "µg").in_unit("mg"), Some(0.1));
        assert_eq!(Amount::new(18.0, "μg").in_unit("µg"), Some(18.0));
    }

    #[test]
    fn mass_and_international_units_do_not_compare() {
        assert_eq!(Amount::new(10.0, "IU").in_unit("mg"), None);
        assert!(!comparable("IU", "mg"));
        assert!(comparable("puff", "puff"));
        assert_eq!(Amount::new(2.0, "puff").in_unit("tablet"), None);
    }
}
