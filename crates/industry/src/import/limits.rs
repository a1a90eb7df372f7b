//! How large a file may be (`data/import.toml`, an operator's choice).

use std::sync::OnceLock;

use kernel::{Citation, Sourced};
use serde::Deserialize;

use crate::terms::{check_source, shipped};

const IMPORT_TOML: &str = include_str!("../../data/import.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub citations: Vec<Citation>,
    pub max_bytes: Sourced<u64>,
    pub max_rows: Sourced<u64>,
}

impl Limits {
    pub fn parse(text: &str) -> Result<Limits, String> {
        let limits: Limits = toml::from_str(text).map_err(|e| e.to_string())?;
        for (name, figure) in [
            ("max_bytes", &limits.max_bytes),
            ("max_rows", &limits.max_rows),
        ] {
            check_source(&limits.citations, &figure.source).map_err(|e| format!("{name}: {e}"))?;
            if figure.value == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        Ok(limits)
    }
}

/// The shipped limits.
pub fn limits() -> &'static Limits {
    static DATA: OnceLock<Limits> = OnceLock::new();
    DATA.get_or_init(|| shipped("import.toml", Limits::parse(IMPORT_TOML)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_limits_load_and_say_they_are_the_operators_choice() {
        let l = Limits::parse(IMPORT_TOML).unwrap();
        assert_eq!(l.max_bytes.value, 10 * 1024 * 1024);
        assert_eq!(l.max_rows.value, 20_000);
        assert!(!l.max_rows.source.confirmed);
        assert!(
            l.max_rows
                .source
                .note
                .as_deref()
                .unwrap()
                .contains("operator")
        );
    }
}
