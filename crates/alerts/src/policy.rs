//! The alert policy (`rules/alerts.toml`): severities with their escalation times and quiet
//! periods, the danger signs' severity and series, note length and webhook delivery.

use std::time::Duration;

use diseases::{Citation, Source, Sourced};
use serde::Deserialize;

use crate::error::RuleError;

/// The file embedded at build time.
pub const POLICY_FILE: &str = "rules/alerts.toml";
pub(crate) const POLICY_TOML: &str = include_str!("../rules/alerts.toml");

/// How urgent an alert is, and what follows from that.
#[derive(Debug, Clone, PartialEq)]
pub struct Severity {
    /// Stable key, e.g. `urgent`.
    pub key: String,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// Minutes without acknowledgement before the community centre's staff see it.
    pub escalate_after_minutes: Sourced<u32>,
    /// Further minutes before the district sees it.
    pub district_after_minutes: Sourced<u32>,
    /// Hours without a triggering reading after which the episode closes.
    pub quiet_period_hours: Sourced<u32>,
}

impl Severity {
    /// Escalation to the centre, in milliseconds after the alert was raised.
    pub fn escalate_after_ms(&self) -> i64 {
        i64::from(self.escalate_after_minutes.value) * 60_000
    }

    /// Escalation to the district, in milliseconds after escalation to the centre.
    pub fn district_after_ms(&self) -> i64 {
        i64::from(self.district_after_minutes.value) * 60_000
    }

    /// The quiet period in milliseconds.
    pub fn quiet_period_ms(&self) -> i64 {
        i64::from(self.quiet_period_hours.value) * 3_600_000
    }
}

/// A device series that the danger signs read as a template element (`glucose` as `fpg`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesAlias {
    /// The key facts carry.
    pub key: String,
    /// The element of the templates' danger signs it is read as.
    pub element: String,
    /// Why.
    pub source: Source,
}

/// Webhook delivery figures.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// Attempts before a delivery is given up.
    pub max_attempts: Sourced<u32>,
    /// Wait after the first failure; doubled after each further one.
    pub backoff_first_seconds: Sourced<u32>,
    /// Longest wait between attempts.
    pub backoff_max_seconds: Sourced<u32>,
    /// Connect and response timeout of one attempt.
    pub timeout_seconds: Sourced<u32>,
    /// Deliveries one run of the worker takes.
    pub batch: Sourced<u32>,
    /// Shortest acceptable signing secret.
    pub min_secret_bytes: Sourced<u32>,
}

impl Delivery {
    /// Milliseconds to wait after `attempts` failed attempts (1 for the first failure):
    /// `first × 2^(attempts−1)`, at most the maximum.
    pub fn backoff_ms(&self, attempts: u32) -> i64 {
        let first = i64::from(self.backoff_first_seconds.value) * 1000;
        let max = i64::from(self.backoff_max_seconds.value) * 1000;
        let doublings = attempts.saturating_sub(1).min(40);
        first.saturating_mul(1i64 << doublings).min(max)
    }

    /// Timeout of one attempt.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.timeout_seconds.value))
    }
}

/// The whole policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Documents the figures cite.
    pub citations: Vec<Citation>,
    /// Severities, most urgent first.
    pub severities: Vec<Severity>,
    /// Severity of every danger-sign alert.
    pub danger_severity: Sourced<String>,
    /// Series the danger signs read as elements.
    pub danger_series: Vec<SeriesAlias>,
    /// Longest note on an acknowledgement or resolution, in characters.
    pub note_max_chars: Sourced<u32>,
    /// Webhook delivery.
    pub delivery: Delivery,
    /// Seconds between two runs of the periodic work (escalation, quiet closing, delivery).
    pub worker_interval_seconds: Sourced<u32>,
    /// Days the trend rules' daily aggregates are kept.
    pub daily_keep_days: Sourced<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    citations: Vec<Citation>,
    severities: Vec<RawSeverity>,
    danger: RawDanger,
    notes: RawNotes,
    delivery: Delivery,
    worker: RawWorker,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorker {
    interval_seconds: Sourced<u32>,
    daily_keep_days: Sourced<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeverity {
    key: String,
    label_zh: String,
    label_en: String,
    escalate_after_minutes: Sourced<u32>,
    district_after_minutes: Sourced<u32>,
    quiet_period_hours: Sourced<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDanger {
    severity: Sourced<String>,
    #[serde(default)]
    series: Vec<SeriesAlias>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotes {
    max_chars: Sourced<u32>,
}

impl Policy {
    /// Parses and checks a policy file; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Policy, RuleError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| RuleError::Syntax {
            file: file.to_owned(),
            message: e.message().to_owned(),
        })?;
        let fail = |field: String, reason: String| RuleError::Invalid {
            file: file.to_owned(),
            field,
            reason,
        };
        let severities: Vec<Severity> = raw
            .severities
            .into_iter()
            .map(|s| Severity {
                key: s.key,
                label_zh: s.label_zh,
                label_en: s.label_en,
                escalate_after_minutes: s.escalate_after_minutes,
                district_after_minutes: s.district_after_minutes,
                quiet_period_hours: s.quiet_period_hours,
            })
            .collect();
        if severities.is_empty() {
            return Err(fail(
                "severities".into(),
                "none defined; at least one is needed".into(),
            ));
        }
        let mut sources: Vec<(String, &Source)> = Vec::new();
        for (i, s) in severities.iter().enumerate() {
            if severities[..i].iter().any(|o| o.key == s.key) {
                return Err(fail(
                    format!("severities[{i}].key"),
                    format!("`{}` is defined twice", s.key),
                ));
            }
            for (name, figure) in [
                ("escalate_after_minutes", &s.escalate_after_minutes),
                ("district_after_minutes", &s.district_after_minutes),
                ("quiet_period_hours", &s.quiet_period_hours),
            ] {
                if figure.value == 0 {
                    return Err(fail(
                        format!("severities[{i}].{name}.value"),
                        "0; must be at least 1".into(),
                    ));
                }
                sources.push((format!("severities[{i}].{name}.source"), &figure.source));
            }
        }
        if !severities
            .iter()
            .any(|s| s.key == raw.danger.severity.value)
        {
            return Err(fail(
                "danger.severity.value".into(),
                format!(
                    "`{}` is not a severity; expected one of {}",
                    raw.danger.severity.value,
                    keys(&severities)
                ),
            ));
        }
        sources.push(("danger.severity.source".into(), &raw.danger.severity.source));
        for (i, alias) in raw.danger.series.iter().enumerate() {
            sources.push((format!("danger.series[{i}].source"), &alias.source));
        }
        sources.push(("notes.max_chars.source".into(), &raw.notes.max_chars.source));
        let d = &raw.delivery;
        for (name, figure) in [
            ("max_attempts", &d.max_attempts),
            ("backoff_first_seconds", &d.backoff_first_seconds),
            ("backoff_max_seconds", &d.backoff_max_seconds),
            ("timeout_seconds", &d.timeout_seconds),
            ("batch", &d.batch),
            ("min_secret_bytes", &d.min_secret_bytes),
        ] {
            if figure.value == 0 {
                return Err(fail(
                    format!("delivery.{name}.value"),
                    "0; must be at least 1".into(),
                ));
            }
            sources.push((format!("delivery.{name}.source"), &figure.source));
        }
        if d.backoff_max_seconds.value < d.backoff_first_seconds.value {
            return Err(fail(
                "delivery.backoff_max_seconds.value".into(),
                format!(
                    "{} is below backoff_first_seconds ({}); the longest wait cannot be shorter than the first",
                    d.backoff_max_seconds.value, d.backoff_first_seconds.value
                ),
            ));
        }
        if raw.worker.interval_seconds.value == 0 {
            return Err(fail(
                "worker.interval_seconds.value".into(),
                "0; must be at least 1".into(),
            ));
        }
        if raw.worker.daily_keep_days.value == 0 {
            return Err(fail(
                "worker.daily_keep_days.value".into(),
                "0; must be at least 1".into(),
            ));
        }
        sources.push((
            "worker.interval_seconds.source".into(),
            &raw.worker.interval_seconds.source,
        ));
        sources.push((
            "worker.daily_keep_days.source".into(),
            &raw.worker.daily_keep_days.source,
        ));
        check_sources(file, &raw.citations, &sources)?;
        Ok(Policy {
            citations: raw.citations,
            severities,
            danger_severity: raw.danger.severity,
            danger_series: raw.danger.series,
            note_max_chars: raw.notes.max_chars,
            delivery: raw.delivery,
            worker_interval_seconds: raw.worker.interval_seconds,
            daily_keep_days: raw.worker.daily_keep_days,
        })
    }

    /// The built-in policy.
    pub fn builtin() -> Result<Policy, RuleError> {
        Policy::parse(POLICY_FILE, POLICY_TOML)
    }

    /// The severity with this key.
    pub fn severity(&self, key: &str) -> Option<&Severity> {
        self.severities.iter().find(|s| s.key == key)
    }

    /// Time between two runs of the periodic work.
    pub fn worker_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.worker_interval_seconds.value))
    }
}

fn keys(severities: &[Severity]) -> String {
    severities
        .iter()
        .map(|s| s.key.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every source cites a citation of the file; unconfirmed figures say why; platform choices
/// are never marked confirmed.
pub(crate) fn check_sources(
    file: &str,
    citations: &[Citation],
    sources: &[(String, &Source)],
) -> Result<(), RuleError> {
    check_sources_with(file, |id| citations.iter().any(|c| c.id == id), sources)
}

pub(crate) fn check_sources_with(
    file: &str,
    known: impl Fn(&str) -> bool,
    sources: &[(String, &Source)],
) -> Result<(), RuleError> {
    for (field, source) in sources {
        let fail = |reason: String| RuleError::Invalid {
            file: file.to_owned(),
            field: field.clone(),
            reason,
        };
        if !known(&source.citation) {
            return Err(fail(format!(
                "cites `{}`, which is not in the citations",
                source.citation
            )));
        }
        if !source.confirmed && source.note.as_deref().is_none_or(str::is_empty) {
            return Err(fail(
                "unconfirmed without a note; say why it is not confirmed".into(),
            ));
        }
        if source.confirmed && source.citation == "editorial" {
            return Err(fail(
                "an editorial figure cannot be confirmed: it is the platform's choice".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn builtin_policy_loads() {
        let p = Policy::builtin().unwrap();
        assert!(p.severity("urgent").is_some());
        assert!(p.severity(&p.danger_severity.value).is_some());
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let p = Policy::builtin().unwrap();
        let d = &p.delivery;
        let first = i64::from(d.backoff_first_seconds.value) * 1000;
        let max = i64::from(d.backoff_max_seconds.value) * 1000;
        assert_eq!(d.backoff_ms(1), first);
        assert_eq!(d.backoff_ms(2), (2 * first).min(max));
        assert_eq!(d.backoff_ms(3), (4 * first).min(max));
        assert_eq!(d.backoff_ms(1000), max);
        assert_eq!(d.backoff_ms(0), first, "no failure yet reads as the first");
    }

    #[test]
    fn unknown_severity_for_danger_signs_is_refused_naming_the_field() {
        let text = POLICY_TOML.replace(
            "severity = { value = \"urgent\"",
            "severity = { value = \"dire\"",
        );
        let err = Policy::parse("p.toml", &text).unwrap_err();
        assert_eq!(
            err,
            RuleError::Invalid {
                file: "p.toml".into(),
                field: "danger.severity.value".into(),
                reason: "`dire` is not a severity; expected one of urgent, routine".into(),
            }
        );
    }

    #[test]
    fn misspelt_field_is_a_syntax_error() {
        let text = POLICY_TOML.replace("[delivery.batch]", "[delivery.batchh]");
        let err = Policy::parse("p.toml", &text).unwrap_err();
        assert!(
            matches!(&err, RuleError::Syntax { file, message } if file == "p.toml" && message.contains("batchh")),
            "{err}"
        );
    }

    #[test]
    fn zero_escalation_time_is_refused() {
        let text = POLICY_TOML.replacen("value = 30\n", "value = 0\n", 1);
        let err = Policy::parse("p.toml", &text).unwrap_err();
        assert!(
            matches!(&err, RuleError::Invalid { field, .. } if field == "severities[0].escalate_after_minutes.value"),
            "{err}"
        );
    }

    #[test]
    fn zero_worker_interval_is_refused() {
        let text = POLICY_TOML.replace(
            "[worker.interval_seconds]\nvalue = 5\n",
            "[worker.interval_seconds]\nvalue = 0\n",
        );
        assert_ne!(text, POLICY_TOML, "the test edits the interval");
        let err = Policy::parse("p.toml", &text).unwrap_err();
        assert!(
            matches!(&err, RuleError::Invalid { field, .. } if field == "worker.interval_seconds.value"),
            "{err}"
        );
        let p = Policy::builtin().unwrap();
        assert_eq!(
            p.worker_interval(),
            Duration::from_secs(u64::from(p.worker_interval_seconds.value))
        );
    }

    #[test]
    fn confirmed_editorial_figure_is_refused() {
        let text = POLICY_TOML.replacen(
            "citation = \"editorial\", section = \"Escalation\", confirmed = false",
            "citation = \"editorial\", section = \"Escalation\", confirmed = true",
            1,
        );
        let err = Policy::parse("p.toml", &text).unwrap_err();
        assert!(
            matches!(&err, RuleError::Invalid { field, reason, .. }
                if field == "severities[0].escalate_after_minutes.source" && reason.contains("editorial")),
            "{err}"
        );
    }
}
