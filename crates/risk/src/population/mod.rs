//! Population scores: the latest China-PAR assessment of every resident, read from the
//! resident index, the disease registers and the record store's Observation and medication
//! indexes, kept in `risk_scores` and recomputed when a resident's records change
//! ([`Scores::refresh_due`]).
//!
//! Each score keeps the inputs it used and where each came from (an Observation's code and
//! date, a register, the district, or an assumption named in `models/population.toml`), so a
//! page can show an assumed input as an assumption and never as a fact; or why no risk was
//! computed (out of the model's population, or inputs missing).
//!
//! - [`assess`]: pure, from a resident's facts to a [`Score`];
//! - `gather`: the SQL that reads the facts, for everyone or for some residents;
//! - `table`: the SQL of `risk_scores`.

mod assess;
mod gather;
mod settings;
mod table;

use std::sync::Arc;

use diseases::Element;
use kernel::UtcMillis;
use serde::{Deserialize, Serialize};
use store::Db;
use store::sqlx;

pub use assess::{Reading, ResidentFacts, SmokingStatus, assess};
pub use settings::{
    Assumption, ConditionsDef, DictionaryMeasure, MeasureDef, PopulationSettings, RefreshDef,
    SETTINGS_FILE, SmokingDef, TreatmentDef,
};
pub use table::DistrictCounts;

use crate::china_par::{Assessment, ChinaPar, Factor, Input, Sex};
use crate::data::DataError;

/// A China-PAR input, named as in the API's JSON and the calculator's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKey {
    /// Sex.
    Sex,
    /// Age, years.
    Age,
    /// Systolic pressure, mmHg.
    SbpMmhg,
    /// Taking antihypertensive drugs.
    OnBpTreatment,
    /// Total cholesterol, mmol/L.
    TotalCholesterol,
    /// HDL cholesterol, mmol/L.
    HdlCholesterol,
    /// Waist, cm.
    WaistCm,
    /// Current smoker.
    Smoker,
    /// Diabetes.
    Diabetes,
    /// North of the Yangtze.
    North,
    /// Urban.
    Urban,
    /// Family history of ASCVD.
    FamilyHistory,
    /// Existing ASCVD.
    HasAscvd,
}

impl InputKey {
    /// Every input, in the calculator's order.
    pub const ALL: [InputKey; 13] = [
        InputKey::Sex,
        InputKey::Age,
        InputKey::SbpMmhg,
        InputKey::OnBpTreatment,
        InputKey::TotalCholesterol,
        InputKey::HdlCholesterol,
        InputKey::WaistCm,
        InputKey::Smoker,
        InputKey::Diabetes,
        InputKey::North,
        InputKey::Urban,
        InputKey::FamilyHistory,
        InputKey::HasAscvd,
    ];

    /// The field name (`sbp_mmhg`), as in [`Input`].
    pub fn code(self) -> &'static str {
        match self {
            InputKey::Sex => "sex",
            InputKey::Age => "age",
            InputKey::SbpMmhg => "sbp_mmhg",
            InputKey::OnBpTreatment => "on_bp_treatment",
            InputKey::TotalCholesterol => "total_cholesterol",
            InputKey::HdlCholesterol => "hdl_cholesterol",
            InputKey::WaistCm => "waist_cm",
            InputKey::Smoker => "smoker",
            InputKey::Diabetes => "diabetes",
            InputKey::North => "north",
            InputKey::Urban => "urban",
            InputKey::FamilyHistory => "family_history",
            InputKey::HasAscvd => "has_ascvd",
        }
    }
}

/// An input's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputValue {
    /// Sex.
    Sex {
        /// Male or female.
        sex: Sex,
    },
    /// A number in China-PAR's unit (years, mmHg, mmol/L, cm).
    Number {
        /// The value.
        value: f64,
    },
    /// Yes or no.
    Flag {
        /// The value.
        value: bool,
    },
}

/// Where an input came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputSource {
    /// The resident index (sex, birth date).
    ResidentIndex,
    /// An Observation: its LOINC code and date (Unix ms).
    Observation {
        /// LOINC code.
        code: String,
        /// `Observation.date`, Unix ms.
        at: i64,
    },
    /// An active MedicationStatement or MedicationRequest with this ATC code.
    Medication {
        /// ATC code.
        code: String,
    },
    /// The disease registers: the register found, or none of those that count.
    Register {
        /// The register the resident is on; `None` when on none of `looked_for`.
        disease: Option<String>,
        /// The registers that count.
        looked_for: Vec<String>,
    },
    /// The resident's district (its `north_of_yangtze` flag in the city's data).
    District {
        /// District key.
        key: String,
    },
    /// An assumption of `models/population.toml`.
    Assumed {
        /// Its key.
        assumption: String,
    },
}

/// One input of a score: its value, where it came from, and whether it is assumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsedInput {
    /// Which input.
    pub key: InputKey,
    /// Its value.
    pub value: InputValue,
    /// Where it came from.
    pub source: InputSource,
}

impl UsedInput {
    /// Whether the value is an assumption, not a fact from the records.
    pub fn assumed(&self) -> bool {
        matches!(self.source, InputSource::Assumed { .. })
    }
}

/// A problem with one input, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputProblem {
    /// The input's field name.
    pub field: String,
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

/// What the assessment gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// A risk was computed.
    Assessed {
        /// 10-year risk, %.
        risk_percent: f64,
        /// Band key (`low`, `medium`, `high`).
        band: String,
        /// The factor that raises it most, if any does.
        top_factor: Option<Factor>,
    },
    /// The resident is outside the model's population (age, existing ASCVD).
    Refused {
        /// Why.
        reason: InputProblem,
    },
    /// Inputs the model needs are not in the records.
    NotAssessable {
        /// One problem per missing input.
        missing: Vec<InputProblem>,
    },
}

/// The three kinds of outcome, as stored and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A risk was computed.
    Assessed,
    /// Outside the model's population.
    Refused,
    /// Inputs missing.
    NotAssessable,
}

impl Status {
    /// As stored.
    pub fn code(self) -> &'static str {
        match self {
            Status::Assessed => "assessed",
            Status::Refused => "refused",
            Status::NotAssessable => "not_assessable",
        }
    }

    /// From its stored code.
    pub fn parse(code: &str) -> Option<Status> {
        [Status::Assessed, Status::Refused, Status::NotAssessable]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// A resident's latest China-PAR assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Master-index resident id.
    pub resident_id: String,
    /// Model id.
    pub model: String,
    /// Model version.
    pub version: String,
    /// When it was computed (Unix ms).
    pub assessed_at: i64,
    /// The resident's district then.
    pub district: Option<String>,
    /// The inputs, each with its source.
    pub inputs: Vec<UsedInput>,
    /// What it gave.
    pub outcome: Outcome,
}

impl Score {
    /// Assessed, refused or not assessable.
    pub fn status(&self) -> Status {
        match self.outcome {
            Outcome::Assessed { .. } => Status::Assessed,
            Outcome::Refused { .. } => Status::Refused,
            Outcome::NotAssessable { .. } => Status::NotAssessable,
        }
    }

    /// The risk in %, when computed.
    pub fn risk_percent(&self) -> Option<f64> {
        match self.outcome {
            Outcome::Assessed { risk_percent, .. } => Some(risk_percent),
            _ => None,
        }
    }

    /// The band key, when computed.
    pub fn band(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Assessed { band, .. } => Some(band),
            _ => None,
        }
    }

    /// The input `key`, if the score has it.
    pub fn input(&self, key: InputKey) -> Option<&UsedInput> {
        self.inputs.iter().find(|i| i.key == key)
    }

    /// The inputs that are assumptions.
    pub fn assumed(&self) -> impl Iterator<Item = &UsedInput> {
        self.inputs.iter().filter(|i| i.assumed())
    }

    /// The inputs as the calculator takes them (what is missing stays empty), e.g. to open
    /// the calculator prefilled.
    pub fn calculator_input(&self) -> Input {
        let number = |key| match self.input(key).map(|i| &i.value) {
            Some(InputValue::Number { value }) => Some(*value),
            _ => None,
        };
        let flag = |key| {
            matches!(
                self.input(key).map(|i| &i.value),
                Some(InputValue::Flag { value: true })
            )
        };
        Input {
            sex: match self.input(InputKey::Sex).map(|i| &i.value) {
                Some(InputValue::Sex { sex }) => Some(*sex),
                _ => None,
            },
            age: number(InputKey::Age),
            sbp_mmhg: number(InputKey::SbpMmhg),
            on_bp_treatment: flag(InputKey::OnBpTreatment),
            total_cholesterol: number(InputKey::TotalCholesterol),
            hdl_cholesterol: number(InputKey::HdlCholesterol),
            cholesterol_unit: Default::default(),
            waist_cm: number(InputKey::WaistCm),
            smoker: flag(InputKey::Smoker),
            diabetes: flag(InputKey::Diabetes),
            north: flag(InputKey::North),
            urban: flag(InputKey::Urban),
            family_history: flag(InputKey::FamilyHistory),
            has_ascvd: flag(InputKey::HasAscvd),
        }
    }

    /// The full explanation (what raises it, what would lower it), recomputed from the
    /// stored inputs; `None` unless a risk was computed.
    pub fn explain(&self, model: &ChinaPar) -> Option<Assessment> {
        match self.outcome {
            Outcome::Assessed { .. } => model.assess(&self.calculator_input()).ok(),
            _ => None,
        }
    }
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// Residents recomputed.
    pub residents: usize,
    /// Of which a risk was computed.
    pub assessed: usize,
    /// Of which outside the population.
    pub refused: usize,
    /// Of which inputs were missing.
    pub not_assessable: usize,
}

impl RefreshReport {
    fn add(&mut self, score: &Score) {
        self.residents += 1;
        match score.status() {
            Status::Assessed => self.assessed += 1,
            Status::Refused => self.refused += 1,
            Status::NotAssessable => self.not_assessable += 1,
        }
    }
}

/// Why scores could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ScoresError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A data file is unusable.
    #[error("data: {0}")]
    Data(#[from] DataError),
    /// A stored score could not be read back.
    #[error("stored score of {resident}: {message}")]
    Stored {
        /// Resident id.
        resident: String,
        /// What is wrong.
        message: String,
    },
}

/// The tables of this crate.
pub fn migrations() -> store::MigrationSet {
    const MIGRATIONS: &[store::Migration] = &[store::Migration::portable(
        1,
        "population scores",
        include_str!("../../migrations/0001_scores.sql"),
    )];
    store::MigrationSet {
        component: "risk",
        migrations: MIGRATIONS,
    }
}

/// Residents' China-PAR scores over one database. Cheap to clone.
#[derive(Clone)]
pub struct Scores {
    db: Db,
    model: &'static ChinaPar,
    settings: Arc<PopulationSettings>,
    measures: Arc<Vec<(InputKey, Element)>>,
    /// One refresh at a time, so two passes do not write the same residents at once.
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

impl Scores {
    /// The scores over `db` (migrated with [`migrations`]), with the built-in model and
    /// settings.
    pub fn new(db: Db) -> Result<Scores, ScoresError> {
        Scores::with_settings(db, PopulationSettings::builtin()?.clone())
    }

    /// The scores with other population settings (a test's shorter refresh overlap).
    pub fn with_settings(db: Db, settings: PopulationSettings) -> Result<Scores, ScoresError> {
        let model = ChinaPar::builtin()?;
        let measures = settings::measurement_elements(&settings, model)?;
        Ok(Scores {
            db,
            model,
            settings: Arc::new(settings),
            measures: Arc::new(measures),
            refreshing: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The China-PAR model the scores use.
    pub fn model(&self) -> &'static ChinaPar {
        self.model
    }

    /// The population settings.
    pub fn settings(&self) -> &PopulationSettings {
        &self.settings
    }

    /// How often the binary should call [`Scores::refresh_due`].
    pub fn refresh_every(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.settings.refresh.every_seconds.value)
    }

    /// Recomputes the residents whose records, registers or index entry changed since the
    /// previous refresh (looking back `overlap_seconds` before it), those without a score, and
    /// those whose score is older than `stale_after_hours`. The first refresh computes
    /// everyone.
    pub async fn refresh_due(&self, now: UtcMillis) -> Result<RefreshReport, ScoresError> {
        let _one = self.refreshing.lock().await;
        let r = &self.settings.refresh;
        let previous = table::watermark(&self.db).await?;
        let report = match previous {
            None => self.recompute(None, now).await?,
            Some(previous) => {
                let since = previous.saturating_sub(to_ms(r.overlap_seconds.value));
                let stale_before = now
                    .0
                    .saturating_sub(to_ms(r.stale_after_hours.value.saturating_mul(3600)));
                let due = gather::due(&self.db, since, stale_before).await?;
                if due.is_empty() {
                    RefreshReport::default()
                } else {
                    self.recompute(Some(&due), now).await?
                }
            }
        };
        table::set_watermark(&self.db, now.0).await?;
        Ok(report)
    }

    /// Recomputes every resident from the records, reading them all at once.
    pub async fn refresh_all(&self, now: UtcMillis) -> Result<RefreshReport, ScoresError> {
        let _one = self.refreshing.lock().await;
        let report = self.recompute(None, now).await?;
        table::set_watermark(&self.db, now.0).await?;
        Ok(report)
    }

    /// Recomputes `residents`.
    pub async fn refresh_residents(
        &self,
        residents: &[String],
        now: UtcMillis,
    ) -> Result<RefreshReport, ScoresError> {
        let _one = self.refreshing.lock().await;
        self.recompute(Some(residents), now).await
    }

    /// The benchmark's baseline: every resident recomputed from scratch, one at a time
    /// (their facts read by queries of their own, their score written by a statement of its
    /// own), as a job without change tracking or set-based reads would do it.
    pub async fn refresh_naively(&self, now: UtcMillis) -> Result<RefreshReport, ScoresError> {
        let _one = self.refreshing.lock().await;
        let ids = gather::resident_ids(&self.db).await?;
        let today = now.city_date();
        let mut report = RefreshReport::default();
        for id in ids {
            let facts =
                gather::facts(&self.db, &self.settings, &self.measures, Some(&[id])).await?;
            for f in facts {
                let score = assess(self.model, &self.settings, &f, today, now);
                table::write(&self.db, std::slice::from_ref(&score)).await?;
                report.add(&score);
            }
        }
        Ok(report)
    }

    async fn recompute(
        &self,
        residents: Option<&[String]>,
        now: UtcMillis,
    ) -> Result<RefreshReport, ScoresError> {
        let today = now.city_date();
        let mut report = RefreshReport::default();
        let chunks: Vec<Option<&[String]>> = match residents {
            None => vec![None],
            Some(ids) => ids.chunks(gather::CHUNK).map(Some).collect(),
        };
        for chunk in chunks {
            let facts = gather::facts(&self.db, &self.settings, &self.measures, chunk).await?;
            let scores: Vec<Score> = facts
                .iter()
                .map(|f| assess(self.model, &self.settings, f, today, now))
                .collect();
            for s in &scores {
                report.add(s);
            }
            table::write(&self.db, &scores).await?;
        }
        Ok(report)
    }

    /// The latest score of a resident.
    pub async fn latest(&self, resident_id: &str) -> Result<Option<Score>, ScoresError> {
        Ok(
            table::of_residents(&self.db, &[resident_id.to_owned()], None)
                .await?
                .into_iter()
                .next(),
        )
    }

    /// The scores of `residents` in band `band` (every score when `None`), highest risk
    /// first.
    pub async fn of_residents(
        &self,
        residents: &[String],
        band: Option<&str>,
    ) -> Result<Vec<Score>, ScoresError> {
        let mut scores = Vec::new();
        for chunk in residents.chunks(gather::CHUNK) {
            scores.extend(table::of_residents(&self.db, chunk, band).await?);
        }
        // Highest first; ties (and the residents without a risk) by resident, so the order
        // never depends on where the database happens to keep the rows.
        scores.sort_by(|a, b| {
            b.risk_percent()
                .unwrap_or(-1.0)
                .total_cmp(&a.risk_percent().unwrap_or(-1.0))
                .then_with(|| a.resident_id.cmp(&b.resident_id))
        });
        Ok(scores)
    }

    /// Counts by district, status and band: aggregates, no one named.
    pub async fn by_district(&self) -> Result<Vec<DistrictCounts>, ScoresError> {
        table::by_district(&self.db, self.model).await
    }

    /// The key of the highest band (`high`).
    pub fn high_band(&self) -> &str {
        self.model
            .data()
            .bands
            .last()
            .map_or("high", |b| b.key.as_str())
    }
}

fn to_ms(seconds: u64) -> i64 {
    i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX)
}
