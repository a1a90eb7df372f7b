//! Known interactions between therapeutic classes or single medicines. Each is a flag for the
//! doctor, never a refusal: combinations such as an ACE inhibitor with spironolactone are
//! sometimes intended and need monitoring rather than prohibition.

use serde::{Deserialize, Serialize};

use crate::catalogue::Drug;
use crate::error::{DataError, check_citations, check_source};
use kernel::{Citation, Source};

pub(crate) const FILE: &str = "interactions.toml";

/// How much an interaction matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Avoid the combination, or use it only with a clear reason and close monitoring.
    Major,
    /// Usable with monitoring or a dose adjustment.
    Moderate,
}

impl Severity {
    /// `major` or `moderate`.
    pub fn code(self) -> &'static str {
        match self {
            Severity::Major => "major",
            Severity::Moderate => "moderate",
        }
    }

    /// 严重 / 中度.
    pub fn label_zh(self) -> &'static str {
        match self {
            Severity::Major => "严重",
            Severity::Moderate => "中度",
        }
    }

    /// `major` / `moderate`.
    pub fn label_en(self) -> &'static str {
        self.code()
    }
}

/// One side of an interaction: a therapeutic class or a single catalogue medicine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// Every medicine whose [`Drug::class`] is this key.
    Class(String),
    /// The medicine with this catalogue code.
    Drug(String),
}

impl Party {
    /// Whether the medicine is on this side.
    pub fn includes(&self, drug: &Drug) -> bool {
        match self {
            Party::Class(class) => drug.class == *class,
            Party::Drug(code) => drug.code == *code,
        }
    }
}

/// An interaction between two parties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interaction {
    /// One side.
    pub a: Party,
    /// The other side.
    pub b: Party,
    /// How much it matters.
    pub severity: Severity,
    /// What happens and what to do, in Chinese.
    pub message_zh: String,
    /// What happens and what to do, in English.
    pub message_en: String,
    /// Where it is described.
    pub source: Source,
    /// The document `source` cites.
    pub citation: Citation,
}

impl Interaction {
    /// Whether the two medicines, in either order, are this interaction's parties.
    pub fn between(&self, x: &Drug, y: &Drug) -> bool {
        (self.a.includes(x) && self.b.includes(y)) || (self.a.includes(y) && self.b.includes(x))
    }

    /// The citation as one line for people: title and section.
    pub fn cited(&self) -> String {
        format!("{} {}", self.citation.title, self.source.section)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInteractions {
    #[serde(default)]
    citations: Vec<Citation>,
    #[serde(default)]
    interactions: Vec<RawInteraction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInteraction {
    a: Party,
    b: Party,
    severity: Severity,
    message_zh: String,
    message_en: String,
    source: Source,
}

impl RawInteractions {
    pub(crate) fn into_interactions(self, drugs: &[Drug]) -> Result<Vec<Interaction>, DataError> {
        check_citations(FILE, &self.citations)?;
        let mut out = Vec::with_capacity(self.interactions.len());
        for (i, raw) in self.interactions.into_iter().enumerate() {
            for (side, party) in [("a", &raw.a), ("b", &raw.b)] {
                if !drugs.iter().any(|d| party.includes(d)) {
                    return Err(DataError::invalid(
                        FILE,
                        format!("interactions[{i}].{side}"),
                        format!("{party:?} names no medicine in the catalogue"),
                    ));
                }
            }
            if raw.message_zh.trim().is_empty() || raw.message_en.trim().is_empty() {
                return Err(DataError::invalid(
                    FILE,
                    format!("interactions[{i}]"),
                    "needs message_zh and message_en",
                ));
            }
            let field = format!("interactions[{i}].source");
            check_source(FILE, &field, &raw.source, &self.citations)?;
            let citation = self
                .citations
                .iter()
                .find(|c| c.id == raw.source.citation)
                .cloned()
                .ok_or_else(|| DataError::invalid(FILE, field, "citation not found"))?;
            out.push(Interaction {
                a: raw.a,
                b: raw.b,
                severity: raw.severity,
                message_zh: raw.message_zh,
                message_en: raw.message_en,
                source: raw.source,
                citation,
            });
        }
        Ok(out)
    }
}
