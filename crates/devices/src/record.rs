//! Readings into the resident's record: each day's summary of a series becomes one FHIR
//! Observation — the day's mean, with the count and range in a note — under the element's
//! LOINC code, tagged as a home-device daily summary so that nothing mistakes it for a value
//! measured in a clinic (China-PAR, for one, is defined on clinic blood pressure and skips it).
//!
//! The ingest marks a day as changed in the transaction that stores its readings
//! (`device_days_changed`); the platform records changed days and clears them. One
//! Observation per resident, series and day, with an id derived from the three: a late reading
//! updates the day's Observation (a new version) rather than adding another.

use jiff::Timestamp;
use kernel::UtcMillis;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use store::sqlx::{self, Row};

use crate::Devices;
use crate::catalogue::Series;
use crate::error::DevicesError;
use crate::query::Summary;
use crate::summary::Period;

/// `meta.tag` of the daily summaries (system, code): the platform's own code system.
pub const RECORD_SOURCE_TAG: (&str, &str) = ("urn:lifehealth:record-source", "home-device-daily");

/// A resident's series on a city day whose summary is due in the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedDay {
    pub resident_id: String,
    pub series: String,
    /// The day's first millisecond (the city's midnight).
    pub day_start: UtcMillis,
    /// Grows with every change; clearing needs the version that was recorded.
    pub version: i64,
}

impl ChangedDay {
    /// The Observation's id: the same for the same resident, series and day.
    pub fn observation_id(&self) -> String {
        let digest = Sha256::digest(
            format!("{}|{}|{}", self.resident_id, self.series, self.day_start.0).as_bytes(),
        );
        format!("hd-{}", &hex::encode(digest)[..32])
    }
}

/// The day's summary as a FHIR R4 Observation of `patient_id` (a Patient resource of the
/// resident), under the series' record code ([`Series::record_loinc`]); `None` for a series
/// the record does not take.
pub fn daily_observation(
    day: &ChangedDay,
    figures: &Summary,
    series: &Series,
    patient_id: &str,
) -> Option<Value> {
    let loinc = series.record_loinc()?;
    let element = &series.element;
    let end = UtcMillis(Period::Day.start_of(day.day_start.0 + 36 * 3_600_000));
    let unit = &element.display_unit;
    // To a tenth, or whole for an element recorded in whole numbers (a heart rate of 68, not
    // 67.5: the record service checks the dictionary's `integer`).
    let round = |v: f64| {
        if element.integer {
            v.round()
        } else {
            (v * 10.0).round() / 10.0
        }
    };
    Some(json!({
        "resourceType": "Observation",
        "id": day.observation_id(),
        "meta": { "tag": [{
            "system": RECORD_SOURCE_TAG.0,
            "code": RECORD_SOURCE_TAG.1,
            "display": "居家设备每日汇总 · daily summary of home-device readings",
        }]},
        "status": "final",
        "code": {
            "coding": [{ "system": "http://loinc.org", "code": loinc, "display": element.name_en }],
            "text": format!("{}（居家设备每日均值）", element.name_zh),
        },
        "subject": { "reference": format!("Patient/{patient_id}") },
        "effectivePeriod": { "start": rfc3339(day.day_start), "end": rfc3339(end) },
        "valueQuantity": {
            "value": round(figures.mean),
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": element.unit,
        },
        "method": { "text": "居家设备自测，当日读数的均值 · mean of the day's home-device readings" },
        "note": [{ "text": format!(
            "{} 次读数，{}–{} {unit} · {} readings, {}–{} {unit}",
            figures.count, round(figures.min), round(figures.max),
            figures.count, round(figures.min), round(figures.max),
        )}],
    }))
}

fn rfc3339(t: UtcMillis) -> String {
    Timestamp::from_millisecond(t.0)
        .map(|ts| {
            ts.to_zoned(
                jiff::tz::TimeZone::get(kernel::CITY_TIME_ZONE).unwrap_or(jiff::tz::TimeZone::UTC),
            )
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
        })
        .unwrap_or_default()
}

impl Devices {
    /// Days whose summary is due in the record, oldest change first, at most `limit`.
    pub async fn changed_days(&self, limit: usize) -> Result<Vec<ChangedDay>, DevicesError> {
        let rows = sqlx::query(
            "SELECT resident_id, series, day_start, version FROM device_days_changed \
             ORDER BY changed_at LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ChangedDay {
                    resident_id: r.try_get("resident_id")?,
                    series: r.try_get("series")?,
                    day_start: UtcMillis(r.try_get("day_start")?),
                    version: r.try_get("version")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// The day's figures now.
    pub async fn day_figures(&self, day: &ChangedDay) -> Result<Option<Summary>, DevicesError> {
        Ok(self
            .summaries(
                &day.resident_id,
                &day.series,
                Period::Day,
                day.day_start,
                UtcMillis(day.day_start.0 + 1),
            )
            .await?
            .into_iter()
            .next())
    }

    /// Clears a day once its summary is recorded, unless it changed again meanwhile.
    pub async fn day_recorded(&self, day: &ChangedDay) -> Result<(), DevicesError> {
        sqlx::query(
            "DELETE FROM device_days_changed WHERE resident_id = $1 AND series = $2 \
             AND day_start = $3 AND version = $4",
        )
        .bind(&day.resident_id)
        .bind(&day.series)
        .bind(day.day_start.0)
        .bind(day.version)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// The series `key` in the catalogue.
    pub fn series(&self, key: &str) -> Option<&'static Series> {
        self.catalogue
            .measures
            .iter()
            .flat_map(|m| &m.series)
            .find(|s| s.key == key)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::catalogue::DeviceCatalogue;

    fn series(key: &str) -> &'static Series {
        DeviceCatalogue::builtin()
            .unwrap()
            .measures
            .iter()
            .flat_map(|m| &m.series)
            .find(|s| s.key == key)
            .unwrap()
    }

    fn day(series: &str) -> ChangedDay {
        ChangedDay {
            resident_id: "0192f3a4-0000-7000-8000-000000000001".into(),
            series: series.into(),
            // 2026-11-26 00:00 in the city (UTC+8).
            day_start: UtcMillis(1_795_622_400_000),
            version: 1,
        }
    }

    fn figures(mean: f64) -> Summary {
        Summary {
            series: String::new(),
            period: Period::Day,
            period_start: UtcMillis(1_795_622_400_000),
            count: 2,
            min: mean - 1.0,
            max: mean + 1.0,
            mean,
        }
    }

    #[test]
    fn a_days_summary_is_an_observation_of_its_mean_over_the_city_day() {
        let o = daily_observation(&day("sbp"), &figures(135.55), series("sbp"), "p1").unwrap();
        assert_eq!(o["code"]["coding"][0]["code"], "8480-6");
        assert_eq!(o["valueQuantity"]["value"], 135.6);
        assert_eq!(o["subject"]["reference"], "Patient/p1");
        assert_eq!(o["effectivePeriod"]["start"], "2026-11-26T00:00:00+08:00");
        assert_eq!(o["effectivePeriod"]["end"], "2026-11-27T00:00:00+08:00");
        assert_eq!(o["meta"]["tag"][0]["system"], RECORD_SOURCE_TAG.0);
        let id = o["id"].as_str().unwrap();
        assert!(id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        assert_eq!(id, day("sbp").observation_id());
        assert_ne!(id, day("dbp").observation_id());
    }

    #[test]
    fn whole_number_elements_are_recorded_whole_and_reinterpreted_series_not_at_all() {
        let o = daily_observation(
            &day("heart_rate"),
            &figures(67.5),
            series("heart_rate"),
            "p1",
        )
        .unwrap();
        assert_eq!(o["valueQuantity"]["value"], 68.0);
        // A meter's glucose is checked as fasting glucose; it cannot claim to be one.
        assert!(
            daily_observation(&day("glucose"), &figures(6.1), series("glucose"), "p1").is_none()
        );
        assert!(series("steps").record_loinc().is_none());
    }
}
