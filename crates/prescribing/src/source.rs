//! Where a figure comes from. Limits and label maxima are quoted second-hand more often than
//! not, so each one carries the document it was taken from and whether it was checked there:
//! pages can then show an unconfirmed figure as such rather than as fact.

use serde::{Deserialize, Serialize};

/// A document the data rely on. `id` is what [`Source::citation`] refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// Short identifier used by sources in the same file, e.g. `long-rx-2021`.
    pub id: String,
    /// Title as published, in its original language.
    pub title: String,
    /// Issuing body, document number and year.
    pub source: String,
    /// The part of the document the data mostly rely on.
    pub section: String,
    /// Caveats about the citation itself.
    #[serde(default)]
    pub note: Option<String>,
}

/// The provenance of one figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A [`Citation::id`] of the same file.
    pub citation: String,
    /// Article, section or topic within the cited document.
    pub section: String,
    /// `true` only when the figure is known to appear verbatim in that document.
    pub confirmed: bool,
    /// Why the figure is unconfirmed, or how it was derived. Required when `confirmed` is false.
    #[serde(default)]
    pub note: Option<String>,
}

/// A value with its [`Source`]; written `{ value = …, source = { … } }` in TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sourced<T> {
    /// The figure.
    pub value: T,
    /// Where it comes from.
    pub source: Source,
}
