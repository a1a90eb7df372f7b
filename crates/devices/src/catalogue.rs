//! Device kinds, the measures each may send and the ingest rules, read from the cited data file
//! `data/devices.toml` and checked when loaded.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use diseases::{Catalogue, Citation, Element, Plausible, Source, Sourced, UnitConversion};
use serde::Deserialize;

/// The built-in data file: (file name, contents).
pub const DEVICES_FILE: (&str, &str) = ("devices.toml", include_str!("../data/devices.toml"));

/// Fields of a reading a series may be read from.
pub const VALUE_FIELDS: [&str; 3] = ["value", "systolic", "diastolic"];

/// A data file that cannot be used, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// Not TOML, or not the file's shape.
    #[error("{file}: {message}")]
    Syntax {
        /// File name.
        file: String,
        /// Parser message, naming the field and line.
        message: String,
    },
    /// Well-formed but wrong.
    #[error("{file}: {field}: {reason}")]
    Invalid {
        /// File name.
        file: String,
        /// Path of the field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The disease templates did not load (their own tests say why).
    #[error("disease templates: {0}")]
    Diseases(String),
}

/// Numbers the ingest acts on.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// How far after the server's clock a reading may be dated.
    pub clock_skew_seconds: Sourced<i64>,
    /// How old a reading may be and still enter the record without review.
    pub max_age_days: Sourced<i64>,
    /// How long hour-by-hour summaries are kept.
    pub hourly_summary_days: Sourced<i64>,
    /// Readings one request or message may carry.
    pub max_batch_readings: Sourced<usize>,
    /// Readings admitted at once across all senders (back-pressure).
    pub max_in_flight_readings: Sourced<usize>,
    /// What a refused sender is told to wait.
    pub retry_after_seconds: Sourced<u64>,
    /// Longest message id.
    pub max_message_id_chars: Sourced<usize>,
    /// MQTT messages received and not yet acknowledged.
    pub mqtt_in_flight_messages: Sourced<usize>,
}

impl Rules {
    /// Clock skew in milliseconds.
    pub fn clock_skew_ms(&self) -> i64 {
        self.clock_skew_seconds.value.saturating_mul(1_000)
    }

    /// The age window in milliseconds.
    pub fn max_age_ms(&self) -> i64 {
        self.max_age_days.value.saturating_mul(86_400_000)
    }
}

/// One time series a measure's value goes into.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Key readings are stored and summarised under, e.g. `sbp`.
    pub key: String,
    /// The element whose units and plausible range apply.
    pub element: Element,
    /// Field of the reading holding the value (`value`, `systolic`, `diastolic`).
    pub field: String,
}

impl Series {
    /// The LOINC code under which the series' daily summary goes into the resident's record:
    /// the element's, when the series is that element as such. A series read as another
    /// element (a meter's glucose, stored as `glucose` but checked as fasting glucose) or an
    /// element without a code (steps, sleep) stays out of the record: its code would claim
    /// what the device cannot know.
    pub fn record_loinc(&self) -> Option<&str> {
        if self.key == self.element.key {
            self.element.loinc.as_deref()
        } else {
            None
        }
    }
}

/// Something a device measures: one value or a pair (blood pressure).
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// Key a reading names, e.g. `blood_pressure`.
    pub key: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The series its values go into, in the order of the fields.
    pub series: Vec<Series>,
}

/// A kind of device and what it may send.
#[derive(Debug, Clone, PartialEq)]
pub struct Kind {
    /// Key, e.g. `bp_monitor`.
    pub key: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Keys of the measures it may send.
    pub measures: Vec<String>,
    /// Where the kind comes from.
    pub source: Source,
}

impl Kind {
    /// Whether this kind sends `measure`.
    pub fn sends(&self, measure: &str) -> bool {
        self.measures.iter().any(|m| m == measure)
    }
}

/// Kinds, measures and rules, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceCatalogue {
    /// Documents the figures cite.
    pub citations: Vec<Citation>,
    /// Numbers the ingest acts on.
    pub rules: Rules,
    /// Every measure.
    pub measures: Vec<Measure>,
    /// Every kind of device.
    pub kinds: Vec<Kind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    citations: Vec<Citation>,
    rules: Rules,
    measures: Vec<RawMeasure>,
    kinds: Vec<RawKind>,
    #[serde(default)]
    elements: Vec<RawElement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    key: String,
    name_zh: String,
    name_en: String,
    series: Vec<RawSeries>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeries {
    key: String,
    element: String,
    field: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    key: String,
    name_zh: String,
    name_en: String,
    measures: Vec<String>,
    source: Source,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElement {
    key: String,
    name_zh: String,
    name_en: String,
    unit: String,
    display_unit: Option<String>,
    #[serde(default)]
    unit_aliases: Vec<String>,
    #[serde(default)]
    integer: bool,
    plausible: Plausible,
    #[serde(default)]
    alternatives: Vec<UnitConversion>,
}

impl RawElement {
    fn into_element(self) -> Element {
        Element {
            display_unit: self.display_unit.unwrap_or_else(|| self.unit.clone()),
            key: self.key,
            name_zh: self.name_zh,
            name_en: self.name_en,
            loinc: None,
            also_loinc: Vec::new(),
            unit: self.unit,
            unit_aliases: self.unit_aliases,
            alternatives: self.alternatives,
            plausible: self.plausible,
            integer: self.integer,
            required_at_followup: false,
        }
    }
}

impl DeviceCatalogue {
    /// The built-in file, loaded and checked on first use.
    pub fn builtin() -> Result<&'static DeviceCatalogue, CatalogueError> {
        static BUILTIN: OnceLock<Result<DeviceCatalogue, CatalogueError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let diseases =
                    Catalogue::builtin().map_err(|e| CatalogueError::Diseases(e.to_string()))?;
                DeviceCatalogue::load(DEVICES_FILE, diseases.dictionary())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Loads `(file name, contents)`, resolving series against `dictionary` and the file's own
    /// elements.
    pub fn load(
        (file, text): (&str, &str),
        dictionary: &[Element],
    ) -> Result<DeviceCatalogue, CatalogueError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| CatalogueError::Syntax {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        let invalid = |field: String, reason: String| CatalogueError::Invalid {
            file: file.to_owned(),
            field,
            reason,
        };
        let citations = raw.citations;
        let check_source = |field: String, source: &Source| -> Result<(), CatalogueError> {
            if !citations.iter().any(|c| c.id == source.citation) {
                return Err(invalid(
                    format!("{field}.source.citation"),
                    format!(
                        "cites \"{}\", which is not in the citations",
                        source.citation
                    ),
                ));
            }
            if !source.confirmed && source.note.as_deref().is_none_or(str::is_empty) {
                return Err(invalid(
                    format!("{field}.source.note"),
                    "an unconfirmed figure needs a note saying why".into(),
                ));
            }
            Ok(())
        };
        let rules = raw.rules;
        for (name, source) in [
            ("clock_skew_seconds", &rules.clock_skew_seconds.source),
            ("max_age_days", &rules.max_age_days.source),
            ("hourly_summary_days", &rules.hourly_summary_days.source),
            ("max_batch_readings", &rules.max_batch_readings.source),
            (
                "max_in_flight_readings",
                &rules.max_in_flight_readings.source,
            ),
            ("retry_after_seconds", &rules.retry_after_seconds.source),
            ("max_message_id_chars", &rules.max_message_id_chars.source),
            (
                "mqtt_in_flight_messages",
                &rules.mqtt_in_flight_messages.source,
            ),
        ] {
            check_source(format!("rules.{name}"), source)?;
        }
        if rules.clock_skew_seconds.value < 0 || rules.max_age_days.value <= 0 {
            return Err(invalid(
                "rules".into(),
                "clock_skew_seconds must be 0 or more and max_age_days above 0".into(),
            ));
        }
        // An hour kept shorter than the age window would be summarised again from a late
        // reading and then look like the whole hour.
        if rules.hourly_summary_days.value < rules.max_age_days.value {
            return Err(invalid(
                "rules.hourly_summary_days".into(),
                "hourly summaries must be kept at least as long as the age window (max_age_days)"
                    .into(),
            ));
        }
        if rules.max_batch_readings.value == 0
            || rules.max_in_flight_readings.value < rules.max_batch_readings.value
            || rules.max_message_id_chars.value == 0
            || rules.mqtt_in_flight_messages.value == 0
        {
            return Err(invalid(
                "rules".into(),
                "limits must be above 0, and max_in_flight_readings at least max_batch_readings"
                    .into(),
            ));
        }

        let mut own = Vec::new();
        for (i, e) in raw.elements.into_iter().enumerate() {
            check_source(format!("elements[{i}].plausible"), &e.plausible.source)?;
            for (j, a) in e.alternatives.iter().enumerate() {
                check_source(format!("elements[{i}].alternatives[{j}]"), &a.source)?;
            }
            if dictionary.iter().any(|d| d.key == e.key) {
                return Err(invalid(
                    format!("elements[{i}].key"),
                    format!("`{}` is already in the disease element dictionary", e.key),
                ));
            }
            own.push(e.into_element());
        }
        let element = |key: &str| {
            dictionary
                .iter()
                .chain(own.iter())
                .find(|e| e.key == key)
                .cloned()
        };

        let mut measures: Vec<Measure> = Vec::new();
        let mut series_keys = BTreeSet::new();
        for (i, m) in raw.measures.into_iter().enumerate() {
            if measures.iter().any(|o| o.key == m.key) {
                return Err(invalid(
                    format!("measures[{i}].key"),
                    format!("`{}` is defined twice", m.key),
                ));
            }
            if m.series.is_empty() {
                return Err(invalid(
                    format!("measures[{i}].series"),
                    "a measure needs at least one series".into(),
                ));
            }
            let mut series = Vec::new();
            for (j, s) in m.series.into_iter().enumerate() {
                let at = format!("measures[{i}].series[{j}]");
                let Some(el) = element(&s.element) else {
                    return Err(invalid(
                        format!("{at}.element"),
                        format!("no element `{}` in the dictionary or this file", s.element),
                    ));
                };
                if !VALUE_FIELDS.contains(&s.field.as_str()) {
                    return Err(invalid(
                        format!("{at}.field"),
                        format!("`{}` is not one of {}", s.field, VALUE_FIELDS.join(", ")),
                    ));
                }
                if series.iter().any(|o: &Series| o.field == s.field) {
                    return Err(invalid(
                        format!("{at}.field"),
                        format!("`{}` is read twice", s.field),
                    ));
                }
                if !series_keys.insert(s.key.clone()) {
                    return Err(invalid(
                        format!("{at}.key"),
                        format!("series `{}` belongs to another measure", s.key),
                    ));
                }
                series.push(Series {
                    key: s.key,
                    element: el,
                    field: s.field,
                });
            }
            measures.push(Measure {
                key: m.key,
                name_zh: m.name_zh,
                name_en: m.name_en,
                series,
            });
        }

        let mut kinds: Vec<Kind> = Vec::new();
        for (i, k) in raw.kinds.into_iter().enumerate() {
            check_source(format!("kinds[{i}]"), &k.source)?;
            if kinds.iter().any(|o| o.key == k.key) {
                return Err(invalid(
                    format!("kinds[{i}].key"),
                    format!("`{}` is defined twice", k.key),
                ));
            }
            if let Some(unknown) = k
                .measures
                .iter()
                .find(|m| !measures.iter().any(|x| &x.key == *m))
            {
                return Err(invalid(
                    format!("kinds[{i}].measures"),
                    format!("no measure `{unknown}`"),
                ));
            }
            kinds.push(Kind {
                key: k.key,
                name_zh: k.name_zh,
                name_en: k.name_en,
                measures: k.measures,
                source: k.source,
            });
        }
        Ok(DeviceCatalogue {
            citations,
            rules,
            measures,
            kinds,
        })
    }

    /// The kind with this key.
    pub fn kind(&self, key: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.key == key)
    }

    /// The measure with this key.
    pub fn measure(&self, key: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.key == key)
    }

    /// Keys of every kind.
    pub fn kind_keys(&self) -> Vec<String> {
        self.kinds.iter().map(|k| k.key.clone()).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dictionary() -> &'static [Element] {
        Catalogue::builtin().unwrap().dictionary()
    }

    #[test]
    fn the_builtin_file_loads_with_the_kinds_of_the_issue() {
        let c = DeviceCatalogue::builtin().unwrap();
        assert_eq!(
            c.kind_keys(),
            ["bp_monitor", "glucometer", "cgm", "smart_watch", "scale"]
        );
        let watch = c.kind("smart_watch").unwrap();
        for m in ["heart_rate", "spo2", "steps", "sleep"] {
            assert!(watch.sends(m), "{m}");
        }
        assert!(!watch.sends("blood_pressure"));
        let bp = c.measure("blood_pressure").unwrap();
        assert_eq!(bp.series[0].element.key, "sbp");
        assert_eq!(bp.series[1].field, "diastolic");
        assert_eq!(c.rules.clock_skew_ms(), 300_000);
        assert_eq!(c.rules.max_age_ms(), 30 * 86_400_000);
    }

    #[test]
    fn a_series_of_an_unknown_element_is_refused_by_name() {
        let text = DEVICES_FILE
            .1
            .replace("element = \"sbp\"", "element = \"sbpx\"");
        let err = DeviceCatalogue::load(("devices.toml", &text), dictionary()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "devices.toml: measures[0].series[0].element: no element `sbpx` in the dictionary or this file"
        );
    }

    #[test]
    fn a_kind_naming_an_unknown_measure_is_refused() {
        let text = DEVICES_FILE.1.replace(
            "measures = [\"weight\"]",
            "measures = [\"weight\", \"mood\"]",
        );
        let err = DeviceCatalogue::load(("devices.toml", &text), dictionary()).unwrap_err();
        assert!(
            err.to_string()
                .contains("kinds[4].measures: no measure `mood`"),
            "{err}"
        );
    }

    #[test]
    fn an_unconfirmed_rule_without_a_note_is_refused() {
        let text = DEVICES_FILE.1.replacen(
            "confirmed = false, note = \"a reading may be dated",
            "confirmed = false, xnote = \"",
            1,
        );
        let err = DeviceCatalogue::load(("devices.toml", &text), dictionary()).unwrap_err();
        assert!(matches!(err, CatalogueError::Syntax { .. }), "{err}");
        let text = DEVICES_FILE.1.replacen(
            "note = \"a reading may be dated up to 5 minutes after the server's clock: home devices set their clocks from a phone and drift by seconds to minutes between syncs\"",
            "note = \"\"",
            1,
        );
        let err = DeviceCatalogue::load(("devices.toml", &text), dictionary()).unwrap_err();
        assert!(
            err.to_string()
                .contains("rules.clock_skew_seconds.source.note"),
            "{err}"
        );
    }
}
