//! What is wrong with a data file.

/// A data file that does not parse or breaks a rule of its format. Names the file and, for
/// content errors, the field, so a broken edit is found without reading code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// Not TOML, or not the expected shape (misspelt, missing or unknown keys).
    #[error("{file}: {message}")]
    Syntax {
        /// The file, e.g. `drugs.toml`.
        file: &'static str,
        /// The parser's message.
        message: String,
    },
    /// Well-formed but wrong, e.g. a duplicate code or a citation that does not exist.
    #[error("{file}: {field}: {reason}")]
    Invalid {
        /// The file, e.g. `drugs.toml`.
        file: &'static str,
        /// Path of the offending field, e.g. `drugs[3].max_daily.source.citation`.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

impl DataError {
    pub(crate) fn invalid(
        file: &'static str,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        DataError::Invalid {
            file,
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Checks shared by every file: the source cites a listed citation, and an unconfirmed figure
/// says why it is unconfirmed.
pub(crate) fn check_source(
    file: &'static str,
    field: &str,
    source: &crate::Source,
    citations: &[crate::Citation],
) -> Result<(), DataError> {
    if !citations.iter().any(|c| c.id == source.citation) {
        return Err(DataError::invalid(
            file,
            format!("{field}.citation"),
            format!("cites {:?}, which is not in the citations", source.citation),
        ));
    }
    let has_note = source.note.as_deref().is_some_and(|n| !n.trim().is_empty());
    if !source.confirmed && !has_note {
        return Err(DataError::invalid(
            file,
            format!("{field}.note"),
            "an unconfirmed figure needs a note saying why",
        ));
    }
    Ok(())
}

/// Citation ids are unique and every citation names its document.
pub(crate) fn check_citations(
    file: &'static str,
    citations: &[crate::Citation],
) -> Result<(), DataError> {
    for (i, c) in citations.iter().enumerate() {
        if c.id.trim().is_empty() || c.title.trim().is_empty() {
            return Err(DataError::invalid(
                file,
                format!("citations[{i}]"),
                "a citation needs an id and a title",
            ));
        }
        if citations[..i].iter().any(|earlier| earlier.id == c.id) {
            return Err(DataError::invalid(
                file,
                format!("citations[{i}].id"),
                format!("{:?} is listed twice", c.id),
            ));
        }
    }
    Ok(())
}
