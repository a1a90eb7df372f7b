//! The disclosure-control policy: k, the suppression limit, the generalisation steps and the
//! minimum cell size, read from `data/policy.toml`, where each figure names its source. They
//! are platform policy (issue 4, ADR 0011), not seed figures.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::DataFileError;

const POLICY_TOML: &str = include_str!("../data/policy.toml");

/// One figure with where it comes from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Cited<T> {
    /// The figure.
    pub value: T,
    /// The document that sets it (`issue 4`, `ADR 0011`, a regulation).
    pub source: String,
    /// The section of that document.
    pub section: String,
}

/// Figures of de-identified releases.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReleasePolicy {
    /// Every combination of quasi-identifier values in a release is shared by at least k rows.
    pub k: Cited<u32>,
    /// The largest share of the cohort's rows that may be suppressed; above it the release is
    /// refused.
    pub max_suppressed_share: Cited<f64>,
    /// Widths of the age bands, finest first.
    pub age_band_years: Cited<Vec<u32>>,
    /// Ages at or above this form one band.
    pub age_top_code: Cited<u32>,
}

/// Figures of aggregate queries.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AggregatePolicy {
    /// Cells counting at least one but fewer residents than this are suppressed.
    pub min_cell_size: Cited<u32>,
    /// Width of the age bands a query groups by.
    pub age_band_years: Cited<u32>,
}

/// Figures of requests.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RequestPolicy {
    /// Fewest and most characters of a purpose.
    pub purpose_chars: Cited<[usize; 2]>,
    /// Fewest and most characters of an ethics approval reference.
    pub ethics_reference_chars: Cited<[usize; 2]>,
    /// The oldest age a cohort may name.
    pub max_age_years: Cited<u32>,
}

/// The whole policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Policy {
    /// Releases.
    pub release: ReleasePolicy,
    /// Aggregate queries.
    pub aggregate: AggregatePolicy,
    /// Requests.
    pub request: RequestPolicy,
}

impl Policy {
    /// Parses and checks a policy file.
    pub fn parse(text: &str) -> Result<Policy, DataFileError> {
        let policy: Policy =
            toml::from_str(text).map_err(|e| DataFileError::new("policy.toml", e.message()))?;
        policy.check()?;
        Ok(policy)
    }

    /// The compiled-in policy (`data/policy.toml`). A test parses it, so a failure here is a
    /// build that skipped the tests; it is reported rather than panicking.
    pub fn builtin() -> Result<&'static Policy, DataFileError> {
        static POLICY: OnceLock<Result<Policy, DataFileError>> = OnceLock::new();
        POLICY
            .get_or_init(|| Policy::parse(POLICY_TOML))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The policy with another k (and the same minimum cell size for aggregates): the
    /// configurable k of issue 4, for a board that decides on a stricter one.
    pub fn with_k(&self, k: u32) -> Result<Policy, DataFileError> {
        let mut policy = self.clone();
        policy.release.k.value = k;
        policy.release.k.source = "configured".into();
        policy.check()?;
        Ok(policy)
    }

    fn check(&self) -> Result<(), DataFileError> {
        let bad = |what: &str| Err(DataFileError::new("policy.toml", what));
        if self.release.k.value < 2 {
            return bad("release.k must be at least 2: with k = 1 every row may be unique");
        }
        let share = self.release.max_suppressed_share.value;
        if !(0.0..1.0).contains(&share) {
            return bad("release.max_suppressed_share must be at least 0 and below 1");
        }
        let bands = &self.release.age_band_years.value;
        if bands.is_empty() || bands.contains(&0) || bands.windows(2).any(|w| w[1] % w[0] != 0) {
            return bad(
                "release.age_band_years must be widths above 0, each a multiple of the one before",
            );
        }
        if self.release.age_top_code.value == 0 {
            return bad("release.age_top_code must be above 0");
        }
        if self.aggregate.min_cell_size.value < 2 || self.aggregate.age_band_years.value == 0 {
            return bad(
                "aggregate.min_cell_size must be at least 2 and aggregate.age_band_years above 0",
            );
        }
        for (name, [min, max]) in [
            ("request.purpose_chars", self.request.purpose_chars.value),
            (
                "request.ethics_reference_chars",
                self.request.ethics_reference_chars.value,
            ),
        ] {
            if min == 0 || min > max {
                return Err(DataFileError::new(
                    "policy.toml",
                    &format!("{name} must be [fewest, most] with 0 < fewest <= most"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn the_builtin_policy_is_issue_4s_k_of_5_with_citations() {
        let p = Policy::builtin().unwrap();
        assert_eq!(p.release.k.value, 5);
        assert_eq!(p.release.k.source, "issue 4");
        assert!(p.release.k.section.contains("default 5"));
        assert_eq!(p.release.age_band_years.value, vec![5, 10]);
        assert_eq!(p.release.age_top_code.value, 90);
        assert!(p.release.age_top_code.source.contains("164.514"));
        assert_eq!(p.aggregate.min_cell_size.value, 5);
        assert!(p.release.max_suppressed_share.value > 0.0);
    }

    #[test]
    fn a_policy_that_would_not_protect_is_refused() {
        let p = Policy::builtin().unwrap();
        assert!(matches!(p.with_k(1), Err(e) if e.problem.contains("k")));
        assert_eq!(p.with_k(10).unwrap().release.k.value, 10);
        let bad = POLICY_TOML.replace("value = [5, 10]", "value = [5, 7]");
        assert!(matches!(Policy::parse(&bad), Err(e) if e.problem.contains("multiple")));
        let bad = POLICY_TOML.replace("value = 0.05", "value = 1.5");
        assert!(Policy::parse(&bad).is_err());
        assert!(Policy::parse("nonsense = ").is_err());
    }
}
