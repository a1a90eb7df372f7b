//! Search index rows: what a resource is found by.

/// One value of one search parameter of a resource. `param` is qualified by the resource type
/// (`Observation.code`), as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    pub param: String,
    pub value: IndexValue,
}

/// A search value by FHIR search parameter type.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexValue {
    /// `system|code` (a coding, identifier, code or boolean).
    Token {
        system: Option<String>,
        code: String,
    },
    /// A string, normalised (lower case, accents removed) by the extractor.
    String(String),
    /// The instant range `[low, high)` in Unix milliseconds that a date value covers at its
    /// precision (a date `2024-03` covers the whole month).
    Date { low: i64, high: i64 },
    /// A reference to `target_type/target_id`.
    Reference {
        target_type: Option<String>,
        target_id: String,
    },
    /// A quantity in its unit.
    Quantity {
        system: Option<String>,
        code: Option<String>,
        value: f64,
    },
}
