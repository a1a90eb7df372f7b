//! The devices' catalogue in words: kinds, measures and series by name in the reader's
//! language, values with their units, a reading as it was sent, and why one was quarantined
//! in plain words (the resident reads these, not the codes).

use devices::{DeviceCatalogue, Measure, Rejection, Series};
use kernel::{Lang, UtcMillis};
use serde_json::Value;

use crate::i18n::tf;

/// The kind's name, or its key when the catalogue no longer has it.
pub fn kind_name(catalogue: &DeviceCatalogue, lang: Lang, key: &str) -> String {
    catalogue
        .kind(key)
        .map(|k| pick(lang, &k.name_zh, &k.name_en).to_owned())
        .unwrap_or_else(|| key.to_owned())
}

/// The measure's name.
pub fn measure_name(lang: Lang, measure: &Measure) -> String {
    pick(lang, &measure.name_zh, &measure.name_en).to_owned()
}

/// The measure's name from its key, or the key.
pub fn measure_name_of(catalogue: &DeviceCatalogue, lang: Lang, key: &str) -> String {
    catalogue
        .measure(key)
        .map(|m| measure_name(lang, m))
        .unwrap_or_else(|| key.to_owned())
}

/// The measure and series stored under `key` (`sbp`, `glucose`, …).
pub fn find_series<'a>(
    catalogue: &'a DeviceCatalogue,
    key: &str,
) -> Option<(&'a Measure, &'a Series)> {
    catalogue
        .measures
        .iter()
        .find_map(|m| m.series.iter().find(|s| s.key == key).map(|s| (m, s)))
}

/// A series by name: the measure's own name when it has one series (a meter's glucose is
/// 血糖, not the dictionary's 空腹血糖), the element's name when it has several (收缩压).
pub fn series_name(lang: Lang, measure: &Measure, series: &Series) -> String {
    if measure.series.len() == 1 {
        measure_name(lang, measure)
    } else {
        pick(lang, &series.element.name_zh, &series.element.name_en).to_owned()
    }
}

/// [`series_name`] from a series key, or the key.
pub fn series_name_of(catalogue: &DeviceCatalogue, lang: Lang, key: &str) -> String {
    find_series(catalogue, key)
        .map(|(m, s)| series_name(lang, m, s))
        .unwrap_or_else(|| key.to_owned())
}

/// The unit people read (`mmHg`, not the UCUM code `mm[Hg]`).
pub fn unit(series: &Series) -> &str {
    &series.element.display_unit
}

/// The unit of a series key, or nothing.
pub fn unit_of<'a>(catalogue: &'a DeviceCatalogue, key: &str) -> &'a str {
    find_series(catalogue, key)
        .map(|(_, s)| unit(s))
        .unwrap_or_default()
}

/// Decimals a series is shown with: none for counts, one otherwise.
pub fn decimals(series: &Series) -> usize {
    if series.element.integer { 0 } else { 1 }
}

/// A value as shown: `128`, `7.4`, `5,200`; a whole value without a decimal (`128`, not
/// `128.0`, for a pressure the dictionary does not declare whole).
pub fn number(series: &Series, value: f64) -> String {
    let text = charts::format_number(value, decimals(series));
    match text.strip_suffix(".0") {
        Some(whole) if whole != "-0" => whole.to_owned(),
        Some(_) => "0".to_owned(),
        None => text,
    }
}

/// A value of a series key with its unit: `7.4 mmol/L`.
pub fn amount(catalogue: &DeviceCatalogue, key: &str, value: f64) -> String {
    match find_series(catalogue, key) {
        Some((_, s)) => format!("{} {}", number(s, value), unit(s)),
        None => charts::format_number(value, 1),
    }
}

/// A figure from a reading as sent: whole numbers without decimals, others as written.
pub fn sent_number(v: &Value) -> String {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
        Some(n) => n.to_string(),
        None => v.to_string(),
    }
}

/// The reading as the device sent it: `血压 250/160 mmHg`, `血糖 133 mmol/L`.
pub fn sent_text(catalogue: &DeviceCatalogue, lang: Lang, reading: &Value) -> String {
    let field = |name: &str| reading.get(name).filter(|v| !v.is_null());
    let measure = reading
        .get("measure")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let unit = reading
        .get("unit")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let values = match (field("systolic"), field("diastolic"), field("value")) {
        (Some(s), Some(d), _) => format!("{}/{}", sent_number(s), sent_number(d)),
        (_, _, Some(v)) => sent_number(v),
        (Some(s), None, None) => sent_number(s),
        (None, Some(d), None) => sent_number(d),
        (None, None, None) => "—".to_owned(),
    };
    format!(
        "{} {values} {unit}",
        measure_name_of(catalogue, lang, measure)
    )
    .trim_end()
    .to_owned()
}

/// When the reading says it was taken, as the city reads it; the text as sent if it is not a
/// time.
pub fn sent_time(lang: Lang, reading: &Value) -> String {
    let text = reading
        .get("taken_at")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match text.parse::<jiff::Timestamp>() {
        Ok(t) => UtcMillis::from_timestamp(t).format_datetime(lang),
        Err(_) => text.to_owned(),
    }
}

/// Why a reading waits for the doctor, in words a resident understands.
pub fn reason_text(catalogue: &DeviceCatalogue, lang: Lang, rejection: &Rejection) -> String {
    let series = |key: &str| series_name_of(catalogue, lang, key);
    match rejection {
        Rejection::MeasureNotOfKind { measure, kind, .. } => tf(
            lang,
            "devices.reason.measure_not_of_kind",
            &[
                ("kind", &kind_name(catalogue, lang, kind)),
                ("measure", &measure_name_of(catalogue, lang, measure)),
            ],
        ),
        Rejection::UnknownUnit {
            series: key,
            unit,
            allowed,
        } => tf(
            lang,
            "devices.reason.unknown_unit",
            &[
                ("series", &series(key)),
                ("unit", unit),
                ("allowed", &allowed.join(separator(lang))),
            ],
        ),
        Rejection::Implausible {
            series: key,
            value,
            low,
            high,
            ..
        } => {
            let n = |v: f64| match find_series(catalogue, key) {
                Some((_, s)) => number(s, v),
                None => charts::format_number(v, 1),
            };
            tf(
                lang,
                "devices.reason.implausible",
                &[
                    ("series", &series(key)),
                    ("value", &n(*value)),
                    ("low", &n(*low)),
                    ("high", &n(*high)),
                    ("unit", unit_of(catalogue, key)),
                ],
            )
        }
        Rejection::NotInteger { series: key, value } => tf(
            lang,
            "devices.reason.not_integer",
            &[("series", &series(key)), ("value", &value.to_string())],
        ),
        Rejection::NotFinite { series: key } => tf(
            lang,
            "devices.reason.not_finite",
            &[("series", &series(key))],
        ),
        Rejection::InFuture { taken_at, .. } => tf(
            lang,
            "devices.reason.in_future",
            &[("at", &UtcMillis(*taken_at).format_datetime(lang))],
        ),
        Rejection::TooOld { taken_at, .. } => tf(
            lang,
            "devices.reason.too_old",
            &[
                ("at", &UtcMillis(*taken_at).format_datetime(lang)),
                ("days", &catalogue.rules.max_age_days.value.to_string()),
            ],
        ),
        Rejection::OtherResident { .. } => tf(lang, "devices.reason.other_resident", &[]),
    }
}

fn separator(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "、",
        Lang::En => ", ",
    }
}

/// Zh or en of a pair.
pub fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn catalogue() -> &'static DeviceCatalogue {
        DeviceCatalogue::builtin().unwrap()
    }

    #[test]
    fn a_meters_glucose_is_named_by_its_measure_and_pressure_by_its_element() {
        let c = catalogue();
        assert_eq!(series_name_of(c, Lang::Zh, "glucose"), "血糖");
        assert_eq!(series_name_of(c, Lang::Zh, "sbp"), "收缩压");
        assert_eq!(series_name_of(c, Lang::En, "heart_rate"), "Heart rate");
        assert_eq!(series_name_of(c, Lang::En, "nonsense"), "nonsense");
    }

    #[test]
    fn values_carry_the_unit_people_read_and_counts_no_decimals() {
        let c = catalogue();
        assert_eq!(amount(c, "sbp", 128.0), "128 mmHg");
        assert_eq!(amount(c, "glucose", 7.39), "7.4 mmol/L");
        assert_eq!(amount(c, "glucose", 7.01), "7 mmol/L");
        assert_eq!(amount(c, "dbp", 81.96), "82 mmHg");
        assert_eq!(amount(c, "dbp", 81.5), "81.5 mmHg");
        assert!(amount(c, "steps", 5200.0).starts_with("5,200"));
    }

    #[test]
    fn a_reading_as_sent_shows_its_own_figures_and_unit() {
        let c = catalogue();
        let bp = json!({ "measure": "blood_pressure", "systolic": 250, "diastolic": 160, "unit": "mmHg" });
        assert_eq!(sent_text(c, Lang::Zh, &bp), "血压 250/160 mmHg");
        let glucose = json!({ "measure": "glucose", "value": 133.0, "unit": "mmol/L" });
        assert_eq!(sent_text(c, Lang::En, &glucose), "Blood glucose 133 mmol/L");
        let odd =
            json!({ "measure": "glucose", "value": 7.25, "unit": "mg/dL", "taken_at": "nonsense" });
        assert_eq!(sent_text(c, Lang::Zh, &odd), "血糖 7.25 mg/dL");
        assert_eq!(sent_time(Lang::Zh, &odd), "nonsense");
        let timed = json!({ "taken_at": "2026-11-26T00:30:00Z" });
        assert_eq!(sent_time(Lang::En, &timed), "2026-11-26 08:30");
    }

    #[test]
    fn every_reason_has_plain_words_in_both_languages() {
        let c = catalogue();
        let reasons = [
            Rejection::MeasureNotOfKind {
                measure: "steps".into(),
                kind: "glucometer".into(),
                allowed: vec!["glucose".into()],
            },
            Rejection::UnknownUnit {
                series: "glucose".into(),
                unit: "furlong".into(),
                allowed: vec!["mmol/L".into(), "mg/dL".into()],
            },
            Rejection::Implausible {
                series: "glucose".into(),
                value: 133.0,
                low: 0.5,
                high: 100.0,
                unit: "mmol/L".into(),
            },
            Rejection::NotInteger {
                series: "steps".into(),
                value: 1.5,
            },
            Rejection::NotFinite {
                series: "sbp".into(),
            },
            Rejection::InFuture {
                taken_at: 0,
                latest: 0,
            },
            Rejection::TooOld {
                taken_at: 0,
                earliest: 0,
            },
            Rejection::OtherResident {
                given: "someone".into(),
            },
        ];
        for r in &reasons {
            for lang in [Lang::Zh, Lang::En] {
                let text = reason_text(c, lang, r);
                assert!(
                    !text.contains('{') && !text.starts_with("devices."),
                    "{r:?} in {lang:?}: {text}"
                );
            }
        }
        let implausible = reason_text(c, Lang::Zh, &reasons[2]);
        assert!(
            implausible.contains("血糖")
                && implausible.contains("133")
                && implausible.contains("100"),
            "{implausible}"
        );
        let old = reason_text(c, Lang::En, &reasons[6]);
        assert!(
            old.contains(&c.rules.max_age_days.value.to_string()),
            "the age window comes from the data file: {old}"
        );
    }
}
