//! The clinic's rules as cited data (`rules/clinic.toml`): how many pilots, who may consult and
//! be prescribed for, how long records are kept. Loaded once; a test proves the shipped file
//! loads and that every figure names a citation it has.

use std::sync::OnceLock;

use kernel::{Citation, Source, Sourced};
use serde::Deserialize;

/// The shipped rules file.
pub const RULES_FILE: &str = include_str!("../rules/clinic.toml");

/// The clinic's rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub citations: Vec<Citation>,
    pub pilots: PilotRules,
    pub doctors: DoctorRules,
    pub patients: PatientRules,
    pub stability: StabilityRules,
    pub consultations: ConsultationRules,
    pub records: RecordRules,
    pub dispensing: DispensingRules,
    pub notifications: NotificationRules,
    pub principles: Principles,
}

/// Rules that carry no figure but are cited where the clinic applies them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principles {
    pub follow_up_only: Principle,
    pub real_name: Principle,
    pub stable_condition: Principle,
    pub personal_prescription: Principle,
    pub review_before_dispensing: Principle,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principle {
    pub source: Source,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PilotRules {
    /// How many internet hospitals the health commission designates.
    pub count: Sourced<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctorRules {
    /// Years of independent clinical practice a doctor needs to consult online.
    pub min_practice_years: Sourced<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientRules {
    /// Below this age a guardian must be present.
    pub guardian_under_years: Sourced<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StabilityRules {
    /// The finding that the condition is controlled counts for this many days.
    pub control_evidence_days: Sourced<u32>,
    /// The regimen must have been unchanged for this many days.
    pub regimen_unchanged_days: Sourced<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultationRules {
    pub accept_within_minutes: Sourced<u32>,
    pub idle_close_minutes: Sourced<u32>,
    pub max_image_bytes: Sourced<u32>,
    pub max_text_chars: Sourced<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordRules {
    /// Years a visit record (the consultation, its note and prescriptions) is kept.
    pub visit_years: Sourced<u32>,
    /// Years the consultation's messages are kept.
    pub message_years: Sourced<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispensingRules {
    /// Longest pickup slot a pharmacy may open.
    pub max_slot_minutes: Sourced<u32>,
    /// Most patients one pickup slot may take.
    pub max_slot_capacity: Sourced<u32>,
    /// A pickup not collected this long after its slot ended is missed, and its stock and
    /// slot are released.
    pub missed_after_minutes: Sourced<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationRules {
    /// How the webhook of notifications is posted and retried (the figures alerts use too).
    pub webhook: alerts::Delivery,
}

/// Why a rules file does not load.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("the clinic rules do not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("`{field}` cites `{citation}`, which the file does not list")]
    UnknownCitation { field: String, citation: String },
    #[error("`{field}` is unconfirmed and says nowhere why (add a note)")]
    MissingNote { field: String },
    #[error("`{field}` must be at least 1")]
    Zero { field: String },
}

impl Rules {
    /// Parses and checks a rules file.
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        let rules: Rules = toml::from_str(text)?;
        let figures = rules
            .figures()
            .into_iter()
            .map(|(f, s)| (f, &s.source, s.value));
        let principles = rules
            .principle_list()
            .into_iter()
            .map(|(f, p)| (f, &p.source, 1));
        for (field, source, value) in figures.chain(principles) {
            if !rules.citations.iter().any(|c| c.id == source.citation) {
                return Err(RulesError::UnknownCitation {
                    field: field.into(),
                    citation: source.citation.clone(),
                });
            }
            if !source.confirmed && source.note.as_deref().is_none_or(str::is_empty) {
                return Err(RulesError::MissingNote {
                    field: field.into(),
                });
            }
            if value == 0 {
                return Err(RulesError::Zero {
                    field: field.into(),
                });
            }
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
            Rules::parse(RULES_FILE).expect("rules/clinic.toml is checked by the tests")
        })
    }

    /// Every figure with its dotted name, for checks and for the rules page.
    pub fn figures(&self) -> Vec<(&'static str, &Sourced<u32>)> {
        vec![
            ("pilots.count", &self.pilots.count),
            (
                "doctors.min_practice_years",
                &self.doctors.min_practice_years,
            ),
            (
                "patients.guardian_under_years",
                &self.patients.guardian_under_years,
            ),
            (
                "stability.control_evidence_days",
                &self.stability.control_evidence_days,
            ),
            (
                "stability.regimen_unchanged_days",
                &self.stability.regimen_unchanged_days,
            ),
            (
                "consultations.accept_within_minutes",
                &self.consultations.accept_within_minutes,
            ),
            (
                "consultations.idle_close_minutes",
                &self.consultations.idle_close_minutes,
            ),
            (
                "consultations.max_image_bytes",
                &self.consultations.max_image_bytes,
            ),
            (
                "consultations.max_text_chars",
                &self.consultations.max_text_chars,
            ),
            ("records.visit_years", &self.records.visit_years),
            ("records.message_years", &self.records.message_years),
            (
                "dispensing.max_slot_minutes",
                &self.dispensing.max_slot_minutes,
            ),
            (
                "dispensing.max_slot_capacity",
                &self.dispensing.max_slot_capacity,
            ),
            (
                "dispensing.missed_after_minutes",
                &self.dispensing.missed_after_minutes,
            ),
            (
                "notifications.webhook.max_attempts",
                &self.notifications.webhook.max_attempts,
            ),
            (
                "notifications.webhook.backoff_first_seconds",
                &self.notifications.webhook.backoff_first_seconds,
            ),
            (
                "notifications.webhook.backoff_max_seconds",
                &self.notifications.webhook.backoff_max_seconds,
            ),
            (
                "notifications.webhook.timeout_seconds",
                &self.notifications.webhook.timeout_seconds,
            ),
            (
                "notifications.webhook.batch",
                &self.notifications.webhook.batch,
            ),
            (
                "notifications.webhook.min_secret_bytes",
                &self.notifications.webhook.min_secret_bytes,
            ),
        ]
    }

    fn principle_list(&self) -> Vec<(&'static str, &Principle)> {
        let p = &self.principles;
        vec![
            ("principles.follow_up_only", &p.follow_up_only),
            ("principles.real_name", &p.real_name),
            ("principles.stable_condition", &p.stable_condition),
            ("principles.personal_prescription", &p.personal_prescription),
            (
                "principles.review_before_dispensing",
                &p.review_before_dispensing,
            ),
        ]
    }

    /// A source as people read it: title, issuer and section.
    pub fn cite(&self, source: &Source) -> String {
        match self.citations.iter().find(|c| c.id == source.citation) {
            Some(c) => format!("{}（{}）：{}", c.title, c.source, source.section),
            None => source.section.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_load_with_the_seed_pilot_count() {
        let rules = Rules::parse(RULES_FILE).expect("shipped rules load");
        assert_eq!(
            rules.pilots.count.value, 10,
            "nanjing-2022 三（七）: 10 pilots"
        );
        assert!(rules.pilots.count.source.confirmed);
        assert_eq!(rules.doctors.min_practice_years.value, 3);
        assert_eq!(rules.patients.guardian_under_years.value, 6);
        assert_eq!(rules.records.visit_years.value, 15);
        assert_eq!(rules.records.message_years.value, 3);
        assert_eq!(rules.dispensing.max_slot_minutes.value, 240);
        assert_eq!(rules.notifications.webhook.min_secret_bytes.value, 32);
        assert!(
            rules
                .notifications
                .webhook
                .min_secret_bytes
                .source
                .confirmed
        );
    }

    #[test]
    fn a_figure_citing_nothing_listed_is_refused() {
        let broken = RULES_FILE.replacen(
            "citation = \"nanjing-2022\", section = \"三（七）",
            "citation = \"nowhere\", section = \"三（七）",
            1,
        );
        assert!(matches!(
            Rules::parse(&broken),
            Err(RulesError::UnknownCitation { field, .. }) if field == "pilots.count"
        ));
    }

    #[test]
    fn a_zero_figure_is_refused() {
        let broken = RULES_FILE.replacen("value = 10\n", "value = 0\n", 1);
        assert!(matches!(
            Rules::parse(&broken),
            Err(RulesError::Zero { .. })
        ));
    }
}
