//! Demo home devices: the demo resident's blood-pressure monitor and glucometer with a month
//! of readings twice a day (a few high ones, and one glucose reading sent in the wrong unit,
//! which waits in the quarantine for the family doctor), and a smart watch or a monitor for
//! some other residents of the demo community doctor's centre (one watch sends an impossible
//! heart rate). Everything goes through the devices crate's registration and ingest, so each
//! reading is checked, summarised and quarantined as a real device's would be.
//!
//! The readings are synthetic (seeded: the same values every run, dated back from `now`);
//! they are not measurements of anyone.

use ::devices::{Batch, BoundDevice, Devices, Outcome, Position, RawReading};
use access::Accounts;
use clinical::Clinical;
use jiff::tz::TimeZone;
use kernel::UtcMillis;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::DemoError;

/// The seed of the readings (apart from the city's and the records', which stay as they were).
const SEED: u64 = 20_261_126;

/// Other residents of the demo community doctor who get a device.
const OTHER_RESIDENTS: usize = 6;

/// What was generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DevicesSummary {
    /// Devices registered.
    pub devices: usize,
    /// Readings taken into the record.
    pub accepted: usize,
    /// Readings left in the quarantine for the doctor.
    pub quarantined: usize,
}

fn err(e: impl std::fmt::Display) -> DemoError {
    DemoError::Inconsistent(format!("demo devices: {e}"))
}

/// One reading to send: the measure, its values (field, value), unit, when.
struct Planned {
    id: String,
    measure: &'static str,
    values: Vec<(&'static str, f64)>,
    unit: &'static str,
    at: i64,
}

impl Planned {
    fn raw(&self) -> RawReading {
        let field = |name: &str| {
            self.values
                .iter()
                .find(|(f, _)| *f == name)
                .map(|(_, v)| *v)
        };
        RawReading {
            message_id: self.id.clone(),
            measure: self.measure.to_owned(),
            value: field("value"),
            systolic: field("systolic"),
            diastolic: field("diastolic"),
            unit: self.unit.to_owned(),
            taken_at: UtcMillis(self.at),
            resident_id: None,
        }
    }
}

/// The clock of the city's days counted back from `now`.
struct Days {
    zone: TimeZone,
    today: jiff::civil::Date,
    now: i64,
    /// Readings older than this would be quarantined as too old: the demo stays inside.
    earliest: i64,
}

impl Days {
    fn new(now: UtcMillis, max_age_ms: i64) -> Result<Days, DemoError> {
        let zone = TimeZone::get(kernel::CITY_TIME_ZONE).map_err(err)?;
        let today = now.to_timestamp().to_zoned(zone.clone()).date();
        Ok(Days {
            zone,
            today,
            now: now.0,
            // An hour of margin, so a slow generation does not push the first day out.
            earliest: now.0 - max_age_ms + 3_600_000,
        })
    }

    /// `days_ago` days back at `hour:minute` on the city's clock, if inside the window and
    /// not in the future.
    fn at(&self, days_ago: i64, hour: i8, minute: i8) -> Option<i64> {
        let day = self
            .today
            .checked_sub(jiff::Span::new().days(days_ago))
            .ok()?;
        let ms = day
            .at(hour, minute, 0, 0)
            .to_zoned(self.zone.clone())
            .ok()?
            .timestamp()
            .as_millisecond();
        (ms >= self.earliest && ms <= self.now).then_some(ms)
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A month of the demo resident's blood pressure and pulse, morning and evening: around
/// 138/86 mmHg with three mornings well above target.
fn blood_pressure(days: &Days, rng: &mut ChaCha8Rng, span: i64) -> Vec<Planned> {
    let mut out = Vec::new();
    for d in (0..span).rev() {
        for (slot, hour) in [("am", 7), ("pm", 20)] {
            let Some(at) = days.at(d, hour, rng.gen_range(0..40)) else {
                continue;
            };
            let high = slot == "am" && matches!(d, 4 | 11 | 19);
            let (sbp, dbp): (f64, f64) = if high {
                (rng.gen_range(162.0..176.0), rng.gen_range(98.0..106.0))
            } else {
                (
                    138.0 + rng.gen_range(-9.0..9.0),
                    86.0 + rng.gen_range(-6.0..6.0),
                )
            };
            let id = format!("bp-{d:02}-{slot}");
            out.push(Planned {
                id: id.clone(),
                measure: "blood_pressure",
                values: vec![("systolic", sbp.round()), ("diastolic", dbp.round())],
                unit: "mmHg",
                at,
            });
            out.push(Planned {
                id: format!("{id}-pulse"),
                measure: "heart_rate",
                values: vec![("value", (72.0 + rng.gen_range(-7.0..7.0f64)).round())],
                unit: "/min",
                at,
            });
        }
    }
    out
}

/// A month of the demo resident's glucose: fasting in the morning, after dinner in the
/// evening, two high evenings, and yesterday evening's reading sent as 133 "mmol/L" by a
/// meter set to mg/dL (7.4 mmol/L): implausible, so it waits for the doctor.
fn glucose(days: &Days, rng: &mut ChaCha8Rng, span: i64) -> Vec<Planned> {
    let mut out = Vec::new();
    for d in (0..span).rev() {
        for (slot, hour) in [("am", 6), ("pm", 21)] {
            let Some(at) = days.at(d, hour, rng.gen_range(30..59)) else {
                continue;
            };
            let value = match (slot, d) {
                ("pm", 1) => 133.0,
                ("pm", 8 | 16) => round1(rng.gen_range(13.0..14.5)),
                ("am", _) => round1(6.8 + rng.gen_range(-0.7..0.7)),
                _ => round1(9.0 + rng.gen_range(-1.2..1.2)),
            };
            out.push(Planned {
                id: format!("glu-{d:02}-{slot}"),
                measure: "glucose",
                values: vec![("value", value)],
                unit: "mmol/L",
                at,
            });
        }
    }
    out
}

/// A watch's month: heart rate four times a day, SpO2 twice, the night's sleep each morning
/// and the day's steps each night; one impossible heart rate of 350 when `glitch`.
fn watch(days: &Days, rng: &mut ChaCha8Rng, span: i64, glitch: bool) -> Vec<Planned> {
    let mut out = Vec::new();
    for d in (0..span).rev() {
        if let Some(at) = days.at(d, 7, rng.gen_range(0..20)) {
            out.push(Planned {
                id: format!("sleep-{d:02}"),
                measure: "sleep",
                values: vec![("value", rng.gen_range(330.0..490.0f64).round())],
                unit: "min",
                at,
            });
        }
        for hour in [8, 12, 16, 21] {
            let Some(at) = days.at(d, hour, rng.gen_range(0..59)) else {
                continue;
            };
            let value = if glitch && d == 2 && hour == 12 {
                350.0
            } else {
                (74.0 + rng.gen_range(-10.0..12.0f64)).round()
            };
            out.push(Planned {
                id: format!("hr-{d:02}-{hour:02}"),
                measure: "heart_rate",
                values: vec![("value", value)],
                unit: "/min",
                at,
            });
            if hour == 8 || hour == 21 {
                out.push(Planned {
                    id: format!("spo2-{d:02}-{hour:02}"),
                    measure: "spo2",
                    values: vec![("value", (97.0 + rng.gen_range(-2.0..2.0f64)).round())],
                    unit: "%",
                    at,
                });
            }
        }
        if let Some(at) = days.at(d, 22, 30) {
            out.push(Planned {
                id: format!("steps-{d:02}"),
                measure: "steps",
                values: vec![("value", rng.gen_range(2500.0..9500.0f64).round())],
                unit: "steps",
                at,
            });
        }
    }
    out
}

/// A monitor used once a day, in the morning.
fn daily_pressure(days: &Days, rng: &mut ChaCha8Rng, span: i64) -> Vec<Planned> {
    let level: f64 = rng.gen_range(0.0..1.0);
    let mut out = Vec::new();
    for d in (0..span).rev() {
        let Some(at) = days.at(d, 8, rng.gen_range(0..50)) else {
            continue;
        };
        out.push(Planned {
            id: format!("bp-{d:02}"),
            measure: "blood_pressure",
            values: vec![
                (
                    "systolic",
                    (130.0 + 25.0 * level + rng.gen_range(-8.0..8.0)).round(),
                ),
                (
                    "diastolic",
                    (80.0 + 12.0 * level + rng.gen_range(-5.0..5.0)).round(),
                ),
            ],
            unit: "mmHg",
            at,
        });
    }
    out
}

/// Registers a device for `resident_id` and sends its readings as one batch.
async fn device_with_readings(
    devices: &Devices,
    actor: &str,
    resident_id: &str,
    (kind, label): (&str, &str),
    planned: &[Planned],
    now: UtcMillis,
    summary: &mut DevicesSummary,
) -> Result<(), DemoError> {
    let (device, _credential) = devices
        .register(actor, kind, label, Some(resident_id))
        .await
        .map_err(err)?;
    summary.devices += 1;
    let batch = Batch {
        device: BoundDevice {
            id: device.id,
            kind: device.kind,
            resident_id: resident_id.to_owned(),
        },
        items: planned
            .iter()
            .enumerate()
            .map(|(index, p)| (Position { index, line: None }, Ok(p.raw())))
            .collect(),
    };
    let reports = devices.ingest_all(&[batch], now).await.map_err(err)?;
    for r in reports.iter().flat_map(|r| &r.results) {
        match &r.outcome {
            Outcome::Accepted(_) => summary.accepted += 1,
            Outcome::Quarantined { .. } => summary.quarantined += 1,
            Outcome::Invalid(e) => return Err(err(format!("a demo reading is malformed: {e:?}"))),
            Outcome::Duplicate => return Err(err("a demo reading repeats a message id")),
        }
    }
    Ok(())
}

async fn user_id(accounts: &Accounts, username: &str) -> Result<String, DemoError> {
    accounts
        .user_id_by_username(username)
        .await?
        .ok_or_else(|| err(format!("no demo account {username}")))
}

/// Gives the demo resident and some of the demo community doctor's residents devices with a
/// month of readings up to `now` (run after [`crate::generate_records`]).
pub async fn generate_devices(
    accounts: &Accounts,
    clinical: &Clinical,
    devices: &Devices,
    now: UtcMillis,
) -> Result<DevicesSummary, DemoError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let rules = &devices.catalogue().rules;
    let days = Days::new(now, rules.max_age_ms())?;
    let span = rules.max_age_days.value;
    let resident_user = user_id(accounts, "resident").await?;
    let doctor = user_id(accounts, "community.doctor").await?;
    let resident = clinical
        .residents()
        .residents_of_user(&resident_user)
        .await
        .map_err(err)?
        .into_iter()
        .next()
        .ok_or_else(|| err("the demo resident has no record: generate the records first"))?;

    let mut summary = DevicesSummary::default();
    let bp = blood_pressure(&days, &mut rng, span);
    device_with_readings(
        devices,
        &resident_user,
        &resident,
        ("bp_monitor", "上臂式血压计 BP-30（演示）"),
        &bp,
        now,
        &mut summary,
    )
    .await?;
    let glu = glucose(&days, &mut rng, span);
    device_with_readings(
        devices,
        &resident_user,
        &resident,
        ("glucometer", "血糖仪 GM-2（演示）"),
        &glu,
        now,
        &mut summary,
    )
    .await?;

    // Other residents of the same family doctor, in the order the master index created them.
    let mut others: Vec<String> = clinical
        .registers()
        .list(&registry::RegisterFilter {
            reach: registry::Reach::All,
            limit: 1_000_000,
            ..Default::default()
        })
        .await
        .map_err(err)?
        .into_iter()
        .filter(|r| r.family_doctor_id.as_deref() == Some(doctor.as_str()))
        .map(|r| r.enrolment.resident_id)
        .filter(|id| *id != resident)
        .collect();
    others.sort();
    others.dedup();
    for (i, other) in others.iter().take(OTHER_RESIDENTS).enumerate() {
        if i % 2 == 0 {
            let planned = watch(&days, &mut rng, span, i == 0);
            device_with_readings(
                devices,
                &doctor,
                other,
                ("smart_watch", "智能手表 W-5（演示）"),
                &planned,
                now,
                &mut summary,
            )
            .await?;
        } else {
            let planned = daily_pressure(&days, &mut rng, span);
            device_with_readings(
                devices,
                &doctor,
                other,
                ("bp_monitor", "上臂式血压计 BP-30（演示）"),
                &planned,
                now,
                &mut summary,
            )
            .await?;
        }
    }
    Ok(summary)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn days(now: i64) -> Days {
        Days::new(UtcMillis(now), 30 * DAY).unwrap()
    }

    #[test]
    fn readings_stay_inside_the_age_window_and_never_in_the_future() {
        let now = 1_795_000_000_000; // 2026-11-18, any moment works
        let d = days(now);
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let all: Vec<Planned> = blood_pressure(&d, &mut rng, 30)
            .into_iter()
            .chain(glucose(&d, &mut rng, 30))
            .chain(watch(&d, &mut rng, 30, true))
            .chain(daily_pressure(&d, &mut rng, 30))
            .collect();
        assert!(all.len() > 400, "{}", all.len());
        for p in &all {
            assert!(
                p.at <= now && p.at >= now - 30 * DAY,
                "{} at {}",
                p.id,
                p.at
            );
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_readings() {
        let now = 1_795_000_000_000;
        let values = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            glucose(&days(now), &mut rng, 30)
                .iter()
                .map(|p| (p.id.clone(), p.values[0].1, p.at))
                .collect::<Vec<_>>()
        };
        assert_eq!(values(SEED), values(SEED));
        assert_ne!(values(SEED), values(SEED + 1));
    }

    #[test]
    fn one_glucose_reading_has_the_unit_error_and_message_ids_do_not_repeat() {
        let now = 1_795_000_000_000;
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let g = glucose(&days(now), &mut rng, 30);
        let wrong: Vec<&Planned> = g.iter().filter(|p| p.values[0].1 > 100.0).collect();
        assert_eq!(wrong.len(), 1);
        assert_eq!(wrong[0].id, "glu-01-pm");
        let mut ids: Vec<&str> = g.iter().map(|p| p.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), g.len());
    }
}
