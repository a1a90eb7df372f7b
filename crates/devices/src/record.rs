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
    let round = |v: f64| (v * 10.0).round() / 10.0;
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
