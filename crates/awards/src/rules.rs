//! The review procedure's settings as cited data (`data/awards.toml`): panel size, conflict
//! window, deadlines, notice period, pass score and the rubric. Loaded once; a test proves the
//! shipped file loads and every figure names a citation it has.

use std::sync::OnceLock;

use kernel::{Citation, Source, Sourced};
use serde::Deserialize;

/// The shipped settings file.
pub const RULES_FILE: &str = include_str!("../data/awards.toml");

/// How applications are reviewed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub citations: Vec<Citation>,
    /// Experts assigned to each application that needs review on merit.
    pub experts_per_application: Sourced<u32>,
    /// A collaboration with the company within this many years disqualifies an expert.
    pub conflict_years: Sourced<u32>,
    /// Days the department has to pre-review a submitted application.
    pub pre_review_days: Sourced<u32>,
    /// Days the experts have from assignment to their scores.
    pub review_days: Sourced<u32>,
    /// Length of the public notice (公示), in calendar days.
    pub notice_days: Sourced<u32>,
    /// Lowest aggregate score (0-100) an application needs to be recommended.
    pub pass_score: Sourced<u32>,
    /// From this many experts on, the highest and lowest totals are dropped before averaging.
    pub trim_extremes_from: Sourced<u32>,
    /// Shortest written reason accepted, in characters.
    pub min_reason_chars: Sourced<u32>,
    pub rubric: Vec<Criterion>,
    pub rubric_source: Source,
}

/// One criterion of the rubric.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub key: String,
    pub zh: String,
    pub en: String,
    /// Share of the total, in percent; the weights add up to 100.
    pub weight: u32,
}

/// Why a settings file is not usable.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("awards settings: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("awards settings: figure {figure} cites unknown citation {citation}")]
    UnknownCitation { figure: String, citation: String },
    #[error("awards settings: figure {figure} is unconfirmed without a note saying why")]
    UnconfirmedWithoutNote { figure: String },
    #[error("awards settings: rubric weights add up to {0}, not 100")]
    RubricWeights(u32),
    #[error("awards settings: {0} must be at least 1")]
    Zero(&'static str),
}

impl Rules {
    /// Reads and checks a settings file.
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        let rules: Rules = toml::from_str(text)?;
        for (name, source) in rules.sources() {
            if !rules.citations.iter().any(|c| c.id == source.citation) {
                return Err(RulesError::UnknownCitation {
                    figure: name.to_owned(),
                    citation: source.citation.clone(),
                });
            }
            if !source.confirmed && source.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                return Err(RulesError::UnconfirmedWithoutNote {
                    figure: name.to_owned(),
                });
            }
        }
        let total: u32 = rules.rubric.iter().map(|c| c.weight).sum();
        if total != 100 {
            return Err(RulesError::RubricWeights(total));
        }
        for (name, figure) in rules.figures() {
            if figure.value == 0 && name != "pass_score" {
                return Err(RulesError::Zero(name));
            }
        }
        Ok(rules)
    }

    /// The shipped settings.
    pub fn shipped() -> &'static Rules {
        static RULES: OnceLock<Rules> = OnceLock::new();
        RULES.get_or_init(|| {
            // The file is compiled in and a test loads it; failing here means the build
            // itself is broken, not the input.
            #[allow(clippy::expect_used)]
            Rules::parse(RULES_FILE).expect("data/awards.toml is checked by the tests")
        })
    }

    /// Every figure with its name, for checks and for the rules page.
    pub fn figures(&self) -> Vec<(&'static str, &Sourced<u32>)> {
        vec![
            ("experts_per_application", &self.experts_per_application),
            ("conflict_years", &self.conflict_years),
            ("pre_review_days", &self.pre_review_days),
            ("review_days", &self.review_days),
            ("notice_days", &self.notice_days),
            ("pass_score", &self.pass_score),
            ("trim_extremes_from", &self.trim_extremes_from),
            ("min_reason_chars", &self.min_reason_chars),
        ]
    }

    fn sources(&self) -> Vec<(&'static str, &Source)> {
        let mut all: Vec<_> = self
            .figures()
            .into_iter()
            .map(|(n, f)| (n, &f.source))
            .collect();
        all.push(("rubric", &self.rubric_source));
        all
    }

    /// Whether `reason` is long enough to count as a written reason.
    pub fn reason_ok(&self, reason: &str) -> bool {
        reason.trim().chars().count() >= self.min_reason_chars.value as usize
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn shipped_settings_load_and_cite() {
        let rules = Rules::parse(RULES_FILE).unwrap();
        assert_eq!(rules.rubric.iter().map(|c| c.weight).sum::<u32>(), 100);
        assert!(rules.figures().iter().all(|(_, f)| !f.source.confirmed));
    }

    #[test]
    fn a_rubric_that_does_not_add_up_is_refused() {
        let text = RULES_FILE.replace("weight = 30", "weight = 31");
        assert!(matches!(
            Rules::parse(&text),
            Err(RulesError::RubricWeights(101))
        ));
    }

    #[test]
    fn an_unknown_citation_is_refused() {
        let text = RULES_FILE.replace(
            "[notice_days]\nvalue = 7\nsource = { citation = \"editorial\"",
            "[notice_days]\nvalue = 7\nsource = { citation = \"nowhere\"",
        );
        assert!(matches!(
            Rules::parse(&text),
            Err(RulesError::UnknownCitation { .. })
        ));
    }

    #[test]
    fn short_reasons_are_not_reasons() {
        let rules = Rules::shipped();
        assert!(!rules.reason_ok("不符合"));
        assert!(rules.reason_ok("研发投入票据与审计报告金额不一致，请补正"));
    }
}
