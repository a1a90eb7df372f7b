//! Cited vocabularies compiled into the binary: segments and qualifications. Each term has a
//! stable key, its Chinese and English names, the other names an import accepts, and the seed
//! clauses that name it.

use kernel::{Citation, Source};
use serde::Deserialize;

/// One named term and where the seeds name it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub key: String,
    pub zh: String,
    pub en: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub sources: Vec<Source>,
}

impl Term {
    /// Whether `text` names this term: its key, either name or an alias, ignoring case and
    /// surrounding space.
    pub fn is_named(&self, text: &str) -> bool {
        let text = text.trim();
        [&self.key, &self.zh, &self.en]
            .into_iter()
            .chain(self.aliases.iter())
            .any(|name| name.eq_ignore_ascii_case(text))
    }
}

/// A vocabulary file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    pub citations: Vec<Citation>,
    pub terms: Vec<Term>,
}

impl Terms {
    /// Parses a vocabulary and checks that every source names a citation of the file and
    /// every unconfirmed source says why.
    pub fn parse(text: &str) -> Result<Terms, String> {
        let terms: Terms = toml::from_str(text).map_err(|e| e.to_string())?;
        for term in &terms.terms {
            if term.sources.is_empty() {
                return Err(format!("{} has no source", term.key));
            }
            for source in &term.sources {
                check_source(&terms.citations, source).map_err(|e| format!("{}: {e}", term.key))?;
            }
        }
        Ok(terms)
    }

    pub fn get(&self, key: &str) -> Option<&Term> {
        self.terms.iter().find(|t| t.key == key)
    }
}

/// Checks one source against the citations of its file.
pub(crate) fn check_source(citations: &[Citation], source: &Source) -> Result<(), String> {
    if !citations.iter().any(|c| c.id == source.citation) {
        return Err(format!("unknown citation {}", source.citation));
    }
    if !source.confirmed && source.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(format!(
            "source {} ({}) is unconfirmed without a note",
            source.citation, source.section
        ));
    }
    Ok(())
}

/// Loads a compiled-in file. The files are checked by this crate's tests, so a failure here is
/// a build defect, reported with the parser's message.
pub(crate) fn shipped<T>(name: &str, parsed: Result<T, String>) -> T {
    match parsed {
        Ok(value) => value,
        Err(e) => panic!("crates/industry/data/{name} is invalid: {e}"),
    }
}
