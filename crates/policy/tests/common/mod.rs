//! Reading the seed documents the clauses quote.

#![allow(dead_code)]

use std::path::PathBuf;

pub fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../seeds")
}

pub fn read_seed(file: &str) -> String {
    let path = seeds_dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the seed {} must be readable to check the clauses against it: {e}",
            path.display()
        )
    })
}

/// Whitespace removed and full-width punctuation mapped to ASCII, so a quote matches however
/// the seed wraps lines or which comma it uses.
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '，' => ',',
            '（' => '(',
            '）' => ')',
            '：' => ':',
            '；' => ';',
            other => other,
        })
        .collect()
}
