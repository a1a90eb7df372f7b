//! The green channel's rules as cited data (`data/greenchannel.toml`): the two lists and who
//! compiles them, the adoption deadline, who the duty binds, the reminder lead time and the
//! bulletins. Loaded once; a test proves the shipped file loads and every rule names a
//! citation it has.

use std::str::FromStr;
use std::sync::OnceLock;

use access::{Bureau, OrganisationKind};
use kernel::{Citation, Source, Sourced};
use serde::Deserialize;

/// The shipped rules file.
pub const RULES_FILE: &str = include_str!("../data/greenchannel.toml");

/// The green channel's rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub citations: Vec<Citation>,
    pub lists: Vec<ListRule>,
    pub listing: ListingRules,
    pub adoption: AdoptionRules,
    pub bulletins: BulletinRules,
}

/// One product list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListRule {
    /// Stable code, e.g. `nanjing-2022-mi-innovation`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The bureaus (codes of [`Bureau`]) whose officials approve nominations and publish.
    pub compiled_by: Sourced<Vec<String>>,
    /// Calendar months a hospital has to adopt a product of this list once the clock starts.
    pub adoption_deadline_months: Sourced<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingRules {
    /// The bureaus whose officials record a product's provincial listing date.
    pub recorded_by: Sourced<Vec<String>>,
    pub green_channel: Principle,
    pub provincial_platform: Principle,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdoptionRules {
    /// The organisation kinds (codes of [`OrganisationKind`]) the adoption duty binds.
    pub duty_kinds: Sourced<Vec<String>>,
    pub clock_start: Principle,
    pub month_counting: Principle,
    pub not_needed: Principle,
    /// Days before the deadline at which an unadopted product raises a reminder.
    pub reminder_days: Sourced<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulletinRules {
    /// The bureaus whose officials issue bulletins.
    pub issued_by: Sourced<Vec<String>>,
    pub cadence: Sourced<Cadence>,
}

/// How often bulletins go out and usage is reported. Periods are written `YYYY-Qn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    Quarterly,
}

/// A rule that carries no figure but is cited where the crate applies it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principle {
    pub source: Source,
}

/// Why a rules file does not load.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("the green channel rules do not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("`{field}` cites `{citation}`, which the file does not list")]
    UnknownCitation { field: String, citation: String },
    #[error("`{field}` is unconfirmed and says nowhere why (add a note)")]
    MissingNote { field: String },
    #[error("`{field}` must be at least 1")]
    Zero { field: String },
    #[error("`{field}` names `{code}`, which is not a {kind}")]
    UnknownCode {
        field: String,
        code: String,
        kind: &'static str,
    },
    #[error("`{field}` is empty: name at least one")]
    Empty { field: String },
    #[error("list `{code}` is defined twice")]
    DuplicateList { code: String },
}

impl Rules {
    /// Parses and checks a rules file.
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        let rules: Rules = toml::from_str(text)?;
        for (field, source) in rules.sources() {
            if !rules.citations.iter().any(|c| c.id == source.citation) {
                return Err(RulesError::UnknownCitation {
                    field,
                    citation: source.citation.clone(),
                });
            }
            if !source.confirmed && source.note.as_deref().is_none_or(str::is_empty) {
                return Err(RulesError::MissingNote { field });
            }
        }
        for (i, list) in rules.lists.iter().enumerate() {
            if rules.lists[..i].iter().any(|l| l.code == list.code) {
                return Err(RulesError::DuplicateList {
                    code: list.code.clone(),
                });
            }
            let field = format!("lists.{}", list.code);
            check_bureaus(&format!("{field}.compiled_by"), &list.compiled_by.value)?;
            if list.adoption_deadline_months.value == 0 {
                return Err(RulesError::Zero {
                    field: format!("{field}.adoption_deadline_months"),
                });
            }
        }
        check_bureaus("listing.recorded_by", &rules.listing.recorded_by.value)?;
        check_bureaus("bulletins.issued_by", &rules.bulletins.issued_by.value)?;
        if rules.adoption.duty_kinds.value.is_empty() {
            return Err(RulesError::Empty {
                field: "adoption.duty_kinds".into(),
            });
        }
        for code in &rules.adoption.duty_kinds.value {
            if OrganisationKind::from_str(code).is_err() {
                return Err(RulesError::UnknownCode {
                    field: "adoption.duty_kinds".into(),
                    code: code.clone(),
                    kind: "organisation kind",
                });
            }
        }
        if rules.adoption.reminder_days.value == 0 {
            return Err(RulesError::Zero {
                field: "adoption.reminder_days".into(),
            });
        }
        Ok(rules)
    }

    /// The shipped rules.
    pub fn shipped() -> &'static Rules {
        static RULES: OnceLock<Rules> = OnceLock::new();
        RULES.get_or_init(|| {
            // The file is compiled in and a test loads it; failing here means the build
            // itself is broken, not the input.
            #[allow(clippy::expect_used)]
            Rules::parse(RULES_FILE).expect("data/greenchannel.toml is checked by the tests")
        })
    }

    /// The list with `code`.
    pub fn list(&self, code: &str) -> Option<&ListRule> {
        self.lists.iter().find(|l| l.code == code)
    }

    /// The organisation kinds the adoption duty binds.
    pub fn duty_kinds(&self) -> Vec<OrganisationKind> {
        parse_all(&self.adoption.duty_kinds.value)
    }

    /// The bureaus that record provincial listings.
    pub fn listing_recorders(&self) -> Vec<Bureau> {
        parse_all(&self.listing.recorded_by.value)
    }

    /// The bureaus that issue bulletins.
    pub fn bulletin_issuers(&self) -> Vec<Bureau> {
        parse_all(&self.bulletins.issued_by.value)
    }

    /// Every cited value or principle with its dotted name, for the checks and a rules page.
    pub fn sources(&self) -> Vec<(String, &Source)> {
        let mut all = Vec::new();
        for list in &self.lists {
            let field = format!("lists.{}", list.code);
            all.push((format!("{field}.compiled_by"), &list.compiled_by.source));
            all.push((
                format!("{field}.adoption_deadline_months"),
                &list.adoption_deadline_months.source,
            ));
        }
        let named: [(&str, &Source); 10] = [
            ("listing.recorded_by", &self.listing.recorded_by.source),
            ("listing.green_channel", &self.listing.green_channel.source),
            (
                "listing.provincial_platform",
                &self.listing.provincial_platform.source,
            ),
            ("adoption.duty_kinds", &self.adoption.duty_kinds.source),
            ("adoption.clock_start", &self.adoption.clock_start.source),
            (
                "adoption.month_counting",
                &self.adoption.month_counting.source,
            ),
            ("adoption.not_needed", &self.adoption.not_needed.source),
            (
                "adoption.reminder_days",
                &self.adoption.reminder_days.source,
            ),
            ("bulletins.issued_by", &self.bulletins.issued_by.source),
            ("bulletins.cadence", &self.bulletins.cadence.source),
        ];
        all.extend(named.into_iter().map(|(f, s)| (f.to_owned(), s)));
        all
    }
}

impl ListRule {
    /// The bureaus that compile this list.
    pub fn compilers(&self) -> Vec<Bureau> {
        parse_all(&self.compiled_by.value)
    }
}

fn check_bureaus(field: &str, codes: &[String]) -> Result<(), RulesError> {
    if codes.is_empty() {
        return Err(RulesError::Empty {
            field: field.into(),
        });
    }
    for code in codes {
        if Bureau::from_str(code).is_err() {
            return Err(RulesError::UnknownCode {
                field: field.into(),
                code: code.clone(),
                kind: "bureau",
            });
        }
    }
    Ok(())
}

/// Codes already checked by [`Rules::parse`].
fn parse_all<T: FromStr>(codes: &[String]) -> Vec<T> {
    codes.iter().filter_map(|c| c.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_shipped_rules_load_and_cite_what_they_have() {
        let rules = Rules::parse(RULES_FILE).unwrap();
        assert_eq!(rules.lists.len(), 2);
        let core = rules.list("nanjing-2020-core-innovation").unwrap();
        assert_eq!(core.adoption_deadline_months.value, 1);
        assert!(core.adoption_deadline_months.source.confirmed);
        assert_eq!(core.compilers().len(), 5);
        let mi = rules.list("nanjing-2022-mi-innovation").unwrap();
        assert_eq!(mi.compilers(), vec![Bureau::MedicalInsurance]);
        assert_eq!(rules.duty_kinds(), vec![OrganisationKind::Hospital]);
        assert_eq!(rules.bulletins.cadence.value, Cadence::Quarterly);
    }

    #[test]
    fn every_citation_is_used() {
        let rules = Rules::shipped();
        for c in &rules.citations {
            assert!(
                rules.sources().iter().any(|(_, s)| s.citation == c.id),
                "citation {} is listed but nothing cites it",
                c.id
            );
        }
    }

    #[test]
    fn an_unconfirmed_figure_without_a_note_is_refused() {
        let text = RULES_FILE.replacen(
            "confirmed = false, note = \"the seeds set no reminder; one week before the deadline leaves a procurement committee time to act\"",
            "confirmed = false",
            1,
        );
        assert_ne!(text, RULES_FILE);
        assert!(matches!(
            Rules::parse(&text),
            Err(RulesError::MissingNote { field }) if field == "adoption.reminder_days"
        ));
    }

    #[test]
    fn an_unknown_bureau_is_refused() {
        let text = RULES_FILE.replacen("value = [\"medical_insurance\"]", "value = [\"tax\"]", 1);
        assert!(matches!(
            Rules::parse(&text),
            Err(RulesError::UnknownCode { code, .. }) if code == "tax"
        ));
    }

    #[test]
    fn a_zero_deadline_is_refused() {
        let text = RULES_FILE.replacen("value = 1\n", "value = 0\n", 1);
        assert!(matches!(Rules::parse(&text), Err(RulesError::Zero { .. })));
    }

    /// Every quotation in a section (the text after `：`, in pieces between `……` and `；`)
    /// appears word for word in the cited seed file, commas normalised (the Jiangsu text uses
    /// half-width ones).
    #[test]
    fn quoted_sections_appear_in_the_seeds() {
        let rules = Rules::shipped();
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds");
        let mut checked = 0;
        for (field, source) in rules.sources() {
            let citation = rules
                .citations
                .iter()
                .find(|c| c.id == source.citation)
                .unwrap();
            let Some(file) = citation.source.strip_prefix("seeds/") else {
                continue;
            };
            let file = file.split(',').next().unwrap();
            let text = std::fs::read_to_string(seeds.join(file))
                .unwrap()
                .replace(',', "，");
            for clause in source.section.split('；') {
                let Some((_, quote)) = clause.split_once('：') else {
                    continue;
                };
                for piece in quote.split("……").filter(|p| !p.is_empty()) {
                    assert!(text.contains(piece), "{field}: `{piece}` is not in {file}");
                    checked += 1;
                }
            }
        }
        assert!(checked >= 15, "only {checked} quotations checked");
    }
}
