//! Loading the models' data files: one error type naming the file and the field at fault.

use diseases::{Citation, Source};
use serde::de::DeserializeOwned;

/// A model data file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// Not TOML or JSON, or not the expected shape; the message names the field and line.
    #[error("{file}: {message}")]
    Syntax {
        /// File name.
        file: String,
        /// Parser message.
        message: String,
    },
    /// Well-formed but wrong: an unknown citation, a derived coefficient that does not round
    /// to the printed one, bands out of order…
    #[error("{file}: {field}: {reason}")]
    Invalid {
        /// File name.
        file: String,
        /// Path of the field.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

impl DataError {
    pub(crate) fn invalid(file: &str, field: impl Into<String>, reason: impl Into<String>) -> Self {
        DataError::Invalid {
            file: file.to_owned(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Parses a TOML file into `T`.
pub(crate) fn parse_toml<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, DataError> {
    toml::from_str(text).map_err(|e| DataError::Syntax {
        file: file.to_owned(),
        message: e.to_string(),
    })
}

/// Checks that `source` names one of `citations` and explains itself when unconfirmed.
pub(crate) fn check_source(
    file: &str,
    field: &str,
    source: &Source,
    citations: &[Citation],
) -> Result<(), DataError> {
    if !citations.iter().any(|c| c.id == source.citation) {
        return Err(DataError::invalid(
            file,
            format!("{field}.source.citation"),
            format!("no citation `{}` in the file", source.citation),
        ));
    }
    if !source.confirmed && source.note.as_deref().is_none_or(str::is_empty) {
        return Err(DataError::invalid(
            file,
            format!("{field}.source.note"),
            "an unconfirmed figure needs a note saying where it comes from",
        ));
    }
    Ok(())
}
