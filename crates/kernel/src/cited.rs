//! Where a figure comes from. Thresholds, limits and caps drift between editions of the rules
//! and are often quoted second-hand, so each one carries the document it was taken from and
//! whether it was checked there: pages show an unconfirmed figure as such rather than as fact.
//! Shared by every data file that cites (disease templates, prescription rules, the clinic's).

use serde::{Deserialize, Serialize};

/// A document the data rely on. `id` is what [`Source::citation`] refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// Short identifier used by sources within the same file, e.g. `nbphs-2017`.
    pub id: String,
    /// Title as published, in its original language.
    pub title: String,
    /// Issuing body or journal and year.
    pub source: String,
    /// The part of the document the data mostly rely on.
    pub section: String,
    /// Caveats about the citation itself (edition, title to be checked).
    #[serde(default)]
    pub note: Option<String>,
}

/// The provenance of one figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A [`Citation::id`] of the same file.
    pub citation: String,
    /// Section, table or clause within the cited document.
    pub section: String,
    /// `true` only when the figure is known to appear in that document; `false` for figures
    /// recalled from secondary sources, derived, or chosen by the platform (a `note` says which).
    pub confirmed: bool,
    /// Why the figure is unconfirmed, or how it was derived. Required when `confirmed` is false.
    #[serde(default)]
    pub note: Option<String>,
    /// The note in Chinese, for the pages that show it to people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_zh: Option<String>,
}

/// A value together with its [`Source`]; written `{ value = …, source = { … } }` in TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sourced<T> {
    /// The figure.
    pub value: T,
    /// Where it comes from.
    pub source: Source,
}
