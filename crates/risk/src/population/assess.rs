//! From what the records say about a resident to a [`Score`]: pure, no SQL.

use std::collections::BTreeMap;

use jiff::civil::Date;
use kernel::UtcMillis;
use serde::Serialize;

use super::{
    InputKey, InputProblem, InputSource, InputValue, Outcome, PopulationSettings, Score, UsedInput,
};
use crate::china_par::{ChinaPar, Input, Refusal, Sex};

/// A measurement as read: the code it was recorded under, its value in China-PAR's unit and
/// its date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// LOINC code.
    pub code: String,
    /// Value in the canonical unit.
    pub value: f64,
    /// `Observation.date`, Unix ms.
    pub at: i64,
}

/// The latest smoking status on record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmokingStatus {
    /// A current smoker.
    pub current: bool,
    /// `Observation.date`, Unix ms.
    pub at: i64,
}

/// What the records say about one resident.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResidentFacts {
    /// Master-index id.
    pub resident_id: String,
    /// From the resident index.
    pub sex: Option<Sex>,
    /// From the resident index.
    pub birth: Option<Date>,
    /// District key, from the resident index.
    pub district: Option<String>,
    /// Disease registers the resident is on.
    pub registers: Vec<String>,
    /// The latest plausible reading of each measurement.
    pub measurements: BTreeMap<InputKey, Reading>,
    /// The latest smoking status with a known meaning.
    pub smoking: Option<SmokingStatus>,
    /// The ATC code of an active antihypertensive, if any.
    pub antihypertensive: Option<String>,
}

/// Whole years from `birth` to `today`.
fn whole_years(birth: Date, today: Date) -> i16 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// The resident's score as of `today`, computed at `now`.
pub fn assess(
    model: &ChinaPar,
    settings: &PopulationSettings,
    facts: &ResidentFacts,
    today: Date,
    now: UtcMillis,
) -> Score {
    let mut inputs: Vec<UsedInput> = Vec::new();
    let mut input = Input::default();
    let mut used = |key: InputKey, value: InputValue, source: InputSource| {
        inputs.push(UsedInput { key, value, source });
    };

    if let Some(sex) = facts.sex {
        input.sex = Some(sex);
        used(
            InputKey::Sex,
            InputValue::Sex { sex },
            InputSource::ResidentIndex,
        );
    }
    if let Some(birth) = facts.birth {
        let age = f64::from(whole_years(birth, today));
        input.age = Some(age);
        used(
            InputKey::Age,
            InputValue::Number { value: age },
            InputSource::ResidentIndex,
        );
    }

    let on_register = |looked_for: &[String]| {
        let disease = facts
            .registers
            .iter()
            .find(|r| looked_for.contains(r))
            .cloned();
        (
            disease.is_some(),
            InputSource::Register {
                disease,
                looked_for: looked_for.to_vec(),
            },
        )
    };
    let (ascvd, source) = on_register(&settings.conditions.ascvd);
    input.has_ascvd = ascvd;
    used(
        InputKey::HasAscvd,
        InputValue::Flag { value: ascvd },
        source,
    );
    let (diabetes, source) = on_register(&settings.conditions.diabetes);
    input.diabetes = diabetes;
    used(
        InputKey::Diabetes,
        InputValue::Flag { value: diabetes },
        source,
    );

    for key in [
        InputKey::SbpMmhg,
        InputKey::TotalCholesterol,
        InputKey::HdlCholesterol,
        InputKey::WaistCm,
    ] {
        let Some(reading) = facts.measurements.get(&key) else {
            continue;
        };
        let value = Some(reading.value);
        match key {
            InputKey::SbpMmhg => input.sbp_mmhg = value,
            InputKey::TotalCholesterol => input.total_cholesterol = value,
            InputKey::HdlCholesterol => input.hdl_cholesterol = value,
            _ => input.waist_cm = value,
        }
        used(
            key,
            InputValue::Number {
                value: reading.value,
            },
            InputSource::Observation {
                code: reading.code.clone(),
                at: reading.at,
            },
        );
    }

    // Flags the records may not hold: a fact when they do, the file's assumption otherwise.
    let mut flag = |key: InputKey, fact: Option<(bool, InputSource)>| -> bool {
        let (value, source) = match (fact, settings.assumption_for(key)) {
            (Some(fact), _) => fact,
            (None, Some(a)) => (
                a.value,
                InputSource::Assumed {
                    assumption: a.key.clone(),
                },
            ),
            // `PopulationSettings::parse` requires an assumption for each of these flags.
            (None, None) => return false,
        };
        used(key, InputValue::Flag { value }, source);
        value
    };
    input.on_bp_treatment = flag(
        InputKey::OnBpTreatment,
        facts
            .antihypertensive
            .as_ref()
            .map(|code| (true, InputSource::Medication { code: code.clone() })),
    );
    input.smoker = flag(
        InputKey::Smoker,
        facts.smoking.as_ref().map(|s| {
            (
                s.current,
                InputSource::Observation {
                    code: settings.smoking.loinc.clone(),
                    at: s.at,
                },
            )
        }),
    );
    input.north = flag(
        InputKey::North,
        facts.district.as_deref().and_then(|key| {
            city::districts().by_key(key).map(|d| {
                (
                    d.north_of_yangtze,
                    InputSource::District {
                        key: key.to_owned(),
                    },
                )
            })
        }),
    );
    input.urban = flag(InputKey::Urban, None);
    input.family_history = flag(InputKey::FamilyHistory, None);
    inputs.sort_by_key(|i| i.key);

    let outcome = match model.assess(&input) {
        Ok(a) => Outcome::Assessed {
            risk_percent: a.risk_percent,
            band: a.band.key,
            top_factor: a.raises.first().map(|r| r.factor),
        },
        Err(refusal @ Refusal::OutOfPopulation(_)) => Outcome::Refused {
            reason: refusal
                .field_errors()
                .into_iter()
                .next()
                .map(problem)
                .unwrap_or_else(|| InputProblem {
                    field: "age".into(),
                    zh: refusal.to_string(),
                    en: refusal.to_string(),
                }),
        },
        Err(Refusal::Invalid(errors)) => Outcome::NotAssessable {
            missing: errors.into_iter().map(problem).collect(),
        },
    };
    Score {
        resident_id: facts.resident_id.clone(),
        model: model.card().id.clone(),
        version: model.card().version.clone(),
        assessed_at: now.0,
        district: facts.district.clone(),
        inputs,
        outcome,
    }
}

fn problem(e: crate::FieldError) -> InputProblem {
    InputProblem {
        field: e.field.to_owned(),
        zh: e.zh,
        en: e.en,
    }
}
