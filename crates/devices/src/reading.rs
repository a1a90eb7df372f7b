//! Checking one well-formed reading against its device, the measure catalogue and the clock:
//! the rules of the ingest, free of storage.

use kernel::UtcMillis;

use crate::catalogue::{DeviceCatalogue, Series, VALUE_FIELDS};
use crate::payload::{RawReading, Shape};
use crate::rejection::Rejection;

/// A device as the ingest sees it: authenticated, active and bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundDevice {
    /// Device id.
    pub id: String,
    /// Kind key.
    pub kind: String,
    /// The resident it is bound to.
    pub resident_id: String,
}

/// One value of a reading, converted to its series' canonical unit.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesValue {
    /// The series (and its element).
    pub series: &'static Series,
    /// Value in the element's canonical unit.
    pub value: f64,
}

/// A reading that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidReading {
    /// The device's message id.
    pub message_id: String,
    /// When it was measured.
    pub taken_at: UtcMillis,
    /// Its values (two for blood pressure).
    pub values: Vec<SeriesValue>,
}

/// What the checks made of a reading.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Taken into the record.
    Valid(ValidReading),
    /// Kept in the quarantine for review.
    Rejected(Rejection),
    /// Not usable as sent (a value field its measure lacks or does not have).
    Malformed(Shape),
}

/// Checks `reading` from `device` at `now`: the device's resident, its kind's measures, the
/// value fields of the measure, each value's unit and plausible range, and the time window.
pub fn check(
    catalogue: &'static DeviceCatalogue,
    device: &BoundDevice,
    reading: &RawReading,
    now: UtcMillis,
) -> Verdict {
    check_with(catalogue, device, reading, now, true)
}

/// [`check`], with the age window waived when a doctor accepts an old reading on review.
pub(crate) fn check_with(
    catalogue: &'static DeviceCatalogue,
    device: &BoundDevice,
    reading: &RawReading,
    now: UtcMillis,
    enforce_age: bool,
) -> Verdict {
    if let Some(given) = &reading.resident_id
        && *given != device.resident_id
    {
        return Verdict::Rejected(Rejection::OtherResident {
            given: given.clone(),
        });
    }
    let kind = catalogue.kind(&device.kind);
    let measure = catalogue
        .measure(&reading.measure)
        .filter(|_| kind.is_some_and(|k| k.sends(&reading.measure)));
    let Some(measure) = measure else {
        return Verdict::Rejected(Rejection::MeasureNotOfKind {
            measure: reading.measure.clone(),
            kind: device.kind.clone(),
            allowed: kind.map(|k| k.measures.clone()).unwrap_or_default(),
        });
    };
    if let Some(extra) = VALUE_FIELDS
        .iter()
        .find(|f| reading.field(f).is_some() && !measure.series.iter().any(|s| s.field == **f))
    {
        return Verdict::Malformed(Shape::NotForMeasure {
            field: extra,
            measure: measure.key.clone(),
        });
    }
    let mut values = Vec::with_capacity(measure.series.len());
    for series in &measure.series {
        let Some(given) = reading.field(&series.field) else {
            return Verdict::Malformed(Shape::MissingForMeasure {
                field: VALUE_FIELDS
                    .iter()
                    .find(|f| **f == series.field)
                    .copied()
                    .unwrap_or("value"),
                measure: measure.key.clone(),
            });
        };
        match series.element.validate(given, &reading.unit) {
            Ok(q) => values.push(SeriesValue {
                series,
                value: q.value,
            }),
            Err(e) => return Verdict::Rejected(Rejection::of_value(&series.key, e)),
        }
    }
    let rules = &catalogue.rules;
    let latest = now.0.saturating_add(rules.clock_skew_ms());
    let earliest = now.0.saturating_sub(rules.max_age_ms());
    let taken_at = reading.taken_at.0;
    if taken_at > latest {
        return Verdict::Rejected(Rejection::InFuture { taken_at, latest });
    }
    if enforce_age && taken_at < earliest {
        return Verdict::Rejected(Rejection::TooOld { taken_at, earliest });
    }
    Verdict::Valid(ValidReading {
        message_id: reading.message_id.clone(),
        taken_at: reading.taken_at,
        values,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NOW: UtcMillis = UtcMillis(1_764_115_200_000); // 2025-11-26T00:00:00Z

    fn catalogue() -> &'static DeviceCatalogue {
        DeviceCatalogue::builtin().unwrap()
    }

    fn device(kind: &str) -> BoundDevice {
        BoundDevice {
            id: "d1".into(),
            kind: kind.into(),
            resident_id: "r1".into(),
        }
    }

    fn reading(measure: &str, unit: &str) -> RawReading {
        RawReading {
            message_id: "m1".into(),
            measure: measure.into(),
            value: None,
            systolic: None,
            diastolic: None,
            unit: unit.into(),
            taken_at: NOW,
            resident_id: None,
        }
    }

    fn bp(sys: f64, dia: f64, unit: &str) -> RawReading {
        RawReading {
            systolic: Some(sys),
            diastolic: Some(dia),
            ..reading("blood_pressure", unit)
        }
    }

    fn single(measure: &str, value: f64, unit: &str) -> RawReading {
        RawReading {
            value: Some(value),
            ..reading(measure, unit)
        }
    }

    fn valid(v: Verdict) -> Vec<(String, f64)> {
        match v {
            Verdict::Valid(r) => r
                .values
                .into_iter()
                .map(|s| (s.series.key.clone(), s.value))
                .collect(),
            other => panic!("not valid: {other:?}"),
        }
    }

    fn rejected(v: Verdict) -> Rejection {
        match v {
            Verdict::Rejected(r) => r,
            other => panic!("not rejected: {other:?}"),
        }
    }

    #[test]
    fn blood_pressure_in_kpa_is_converted_to_mmhg() {
        let values = valid(check(
            catalogue(),
            &device("bp_monitor"),
            &bp(18.7, 12.0, "kPa"),
            NOW,
        ));
        assert_eq!(values[0].0, "sbp");
        assert!((values[0].1 - 140.26).abs() < 0.01, "{values:?}");
        assert_eq!(values[1].0, "dbp");
        assert!((values[1].1 - 90.007).abs() < 0.01, "{values:?}");
        let values = valid(check(
            catalogue(),
            &device("bp_monitor"),
            &bp(128.0, 82.0, "mmHg"),
            NOW,
        ));
        assert_eq!(values, [("sbp".into(), 128.0), ("dbp".into(), 82.0)]);
    }

    #[test]
    fn glucose_in_mg_per_dl_is_converted_to_mmol_per_l() {
        let values = valid(check(
            catalogue(),
            &device("glucometer"),
            &single("glucose", 126.0, "mg/dL"),
            NOW,
        ));
        assert_eq!(values, [("glucose".into(), 7.0)]);
        let values = valid(check(
            catalogue(),
            &device("cgm"),
            &single("glucose", 5.6, "mmol/L"),
            NOW,
        ));
        assert_eq!(values, [("glucose".into(), 5.6)]);
    }

    #[test]
    fn a_unit_the_element_does_not_know_is_rejected_with_the_allowed_units() {
        let r = rejected(check(
            catalogue(),
            &device("glucometer"),
            &single("glucose", 7.0, "g/L"),
            NOW,
        ));
        assert_eq!(
            r,
            Rejection::UnknownUnit {
                series: "glucose".into(),
                unit: "g/L".into(),
                allowed: vec!["mmol/L".into(), "mg/dL".into()]
            }
        );
        assert_eq!(r.field(), "unit");
    }

    #[test]
    fn values_outside_the_dictionary_range_are_rejected() {
        // 126 read as mmol/L: a mg/dL value sent under the wrong unit.
        let r = rejected(check(
            catalogue(),
            &device("glucometer"),
            &single("glucose", 126.0, "mmol/L"),
            NOW,
        ));
        assert_eq!(
            r,
            Rejection::Implausible {
                series: "glucose".into(),
                value: 126.0,
                low: 0.5,
                high: 100.0,
                unit: "mmol/L".into()
            }
        );
        let r = rejected(check(
            catalogue(),
            &device("bp_monitor"),
            &bp(310.0, 80.0, "mmHg"),
            NOW,
        ));
        assert!(
            matches!(r, Rejection::Implausible { ref series, high, .. } if series == "sbp" && high == 300.0)
        );
        let r = rejected(check(
            catalogue(),
            &device("smart_watch"),
            &single("steps", 100_001.0, "steps"),
            NOW,
        ));
        assert!(matches!(r, Rejection::Implausible { high, .. } if high == 100_000.0));
        let r = rejected(check(
            catalogue(),
            &device("smart_watch"),
            &single("heart_rate", 72.5, "bpm"),
            NOW,
        ));
        assert_eq!(
            r,
            Rejection::NotInteger {
                series: "heart_rate".into(),
                value: 72.5
            }
        );
    }

    #[test]
    fn sleep_in_hours_is_stored_in_minutes() {
        let values = valid(check(
            catalogue(),
            &device("smart_watch"),
            &single("sleep", 7.5, "h"),
            NOW,
        ));
        assert_eq!(values, [("sleep".into(), 450.0)]);
    }

    #[test]
    fn a_measure_the_kind_does_not_send_is_rejected() {
        let r = rejected(check(
            catalogue(),
            &device("scale"),
            &single("heart_rate", 70.0, "/min"),
            NOW,
        ));
        assert_eq!(
            r,
            Rejection::MeasureNotOfKind {
                measure: "heart_rate".into(),
                kind: "scale".into(),
                allowed: vec!["weight".into()]
            }
        );
        let r = rejected(check(
            catalogue(),
            &device("scale"),
            &single("mood", 1.0, "1"),
            NOW,
        ));
        assert_eq!(r.code(), "measure_not_of_kind");
    }

    #[test]
    fn missing_and_foreign_value_fields_are_malformed() {
        let mut half = bp(120.0, 80.0, "mmHg");
        half.diastolic = None;
        assert_eq!(
            check(catalogue(), &device("bp_monitor"), &half, NOW),
            Verdict::Malformed(Shape::MissingForMeasure {
                field: "diastolic",
                measure: "blood_pressure".into()
            })
        );
        let mut extra = single("weight", 70.0, "kg");
        extra.systolic = Some(1.0);
        assert_eq!(
            check(catalogue(), &device("scale"), &extra, NOW),
            Verdict::Malformed(Shape::NotForMeasure {
                field: "systolic",
                measure: "weight".into()
            })
        );
    }

    #[test]
    fn the_time_window_comes_from_the_data_file() {
        let rules = &catalogue().rules;
        let mut r = single("weight", 70.0, "kg");
        r.taken_at = UtcMillis(NOW.0 + rules.clock_skew_ms());
        valid(check(catalogue(), &device("scale"), &r, NOW));
        r.taken_at = UtcMillis(NOW.0 + rules.clock_skew_ms() + 1);
        assert_eq!(
            rejected(check(catalogue(), &device("scale"), &r, NOW)),
            Rejection::InFuture {
                taken_at: r.taken_at.0,
                latest: NOW.0 + 300_000
            }
        );
        r.taken_at = UtcMillis(NOW.0 - rules.max_age_ms());
        valid(check(catalogue(), &device("scale"), &r, NOW));
        r.taken_at = UtcMillis(NOW.0 - rules.max_age_ms() - 1);
        assert_eq!(
            rejected(check(catalogue(), &device("scale"), &r, NOW)),
            Rejection::TooOld {
                taken_at: r.taken_at.0,
                earliest: NOW.0 - 30 * 86_400_000
            }
        );
    }

    #[test]
    fn a_reading_for_another_resident_is_rejected() {
        let mut r = single("weight", 70.0, "kg");
        r.resident_id = Some("r2".into());
        assert_eq!(
            rejected(check(catalogue(), &device("scale"), &r, NOW)),
            Rejection::OtherResident { given: "r2".into() }
        );
        r.resident_id = Some("r1".into());
        valid(check(catalogue(), &device("scale"), &r, NOW));
    }

    #[test]
    fn rejections_read_in_both_languages_and_round_trip_as_json() {
        let r = Rejection::TooOld {
            taken_at: 0,
            earliest: NOW.0,
        };
        assert!(
            r.message(kernel::Lang::En)
                .contains("earlier than the earliest accepted time")
        );
        assert!(r.message(kernel::Lang::Zh).contains("早于可接受的最早时间"));
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"code\":\"too_old\""), "{json}");
        assert_eq!(serde_json::from_str::<Rejection>(&json).unwrap(), r);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn unit_conversions_round_trip(v in 0.1f64..1000.0) {
                for m in &catalogue().measures {
                    for s in &m.series {
                        for alt in &s.element.alternatives {
                            let back = alt.from_canonical(alt.to_canonical(v));
                            prop_assert!((back - v).abs() <= 1e-9 * v.abs().max(1.0), "{} {}: {v} -> {back}", s.key, alt.unit);
                        }
                    }
                }
            }

            #[test]
            fn a_value_valid_in_an_alternative_unit_is_stored_in_the_canonical_one(mmhg in 60.0f64..250.0) {
                let kpa = mmhg / 7.50062;
                let values = valid(check(catalogue(), &device("bp_monitor"), &bp(kpa, 50.0 / 7.50062, "kPa"), NOW));
                prop_assert!((values[0].1 - mmhg).abs() < 1e-9 * mmhg);
            }
        }
    }
}
