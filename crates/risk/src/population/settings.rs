//! `models/population.toml`: where each China-PAR input is read from, and which inputs are
//! assumed when the records do not hold them.

use std::sync::OnceLock;

use diseases::{Citation, Element, Source, Sourced, UnitConversion};
use serde::{Deserialize, Serialize};

use super::InputKey;
use crate::china_par::ChinaPar;
use crate::data::{DataError, check_source, parse_toml};

/// The settings file.
pub const SETTINGS_FILE: (&str, &str) = (
    "population.toml",
    include_str!("../../models/population.toml"),
);

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSettings {
    /// Documents the settings cite.
    pub citations: Vec<Citation>,
    /// Systolic pressure: an element of the shared dictionary.
    pub sbp: DictionaryMeasure,
    /// Total and HDL cholesterol and waist.
    pub measurements: Vec<MeasureDef>,
    /// Smoking status.
    pub smoking: SmokingDef,
    /// Antihypertensive treatment.
    pub treatment: TreatmentDef,
    /// Registers standing for diabetes and ASCVD.
    pub conditions: ConditionsDef,
    /// Values used where the records say nothing.
    pub assumptions: Vec<Assumption>,
    /// When residents are recomputed.
    pub refresh: RefreshDef,
    /// Observations with any of these `meta.tag`s are not read as inputs.
    #[serde(default)]
    pub excluded_tags: Vec<ExcludedTag>,
}

/// Records not read as China-PAR's inputs, by tag (e.g. home-device daily summaries: the
/// model's blood pressure is a clinic measurement).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludedTag {
    pub system: String,
    pub code: String,
    /// Why.
    pub source: Source,
}

/// A measurement defined by the element dictionary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DictionaryMeasure {
    /// Element key in `crates/diseases/templates/elements.toml`.
    pub element: String,
    /// Where the code comes from.
    pub source: Source,
}

/// A measurement defined here: its codes and units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureDef {
    /// The China-PAR input it fills.
    pub input: InputKey,
    /// LOINC codes read as this measurement.
    pub loinc: Vec<String>,
    /// Canonical unit (China-PAR's).
    pub unit: String,
    /// Other units and their conversion.
    #[serde(default)]
    pub alternatives: Vec<UnitConversion>,
    /// Where the codes come from.
    pub source: Source,
}

/// Smoking status codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmokingDef {
    /// LOINC code of the status Observation.
    pub loinc: String,
    /// Code system of its value.
    pub value_system: String,
    /// Values meaning a current smoker.
    pub current: Vec<String>,
    /// Values meaning not a current smoker.
    pub not_current: Vec<String>,
    /// Where the codes come from.
    pub source: Source,
}

/// What counts as antihypertensive treatment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatmentDef {
    /// Code system of the medication codes.
    pub atc_system: String,
    /// ATC groups.
    pub atc_prefixes: Vec<String>,
    /// Where the groups come from.
    pub source: Source,
}

/// Register codes standing for China-PAR's conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionsDef {
    /// Diabetes.
    pub diabetes: Vec<String>,
    /// Existing ASCVD (the model refuses).
    pub ascvd: Vec<String>,
    /// Where the mapping comes from.
    pub source: Source,
}

/// A value used where the records say nothing, shown as an assumption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assumption {
    /// Stable key, stored with each score.
    pub key: String,
    /// The input it fills.
    pub input: InputKey,
    /// The value used.
    pub value: bool,
    /// Why, in Chinese.
    pub zh: String,
    /// Why, in English.
    pub en: String,
    /// Where the assumption comes from.
    pub source: Source,
}

/// When residents are recomputed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshDef {
    /// Seconds between the binary's passes.
    pub every_seconds: Sourced<u64>,
    /// Seconds each pass looks back before the previous one.
    pub overlap_seconds: Sourced<u64>,
    /// Hours after which an assessment is redone even without new records.
    pub stale_after_hours: Sourced<u64>,
}

impl PopulationSettings {
    /// The built-in settings, parsed and checked once.
    pub fn builtin() -> Result<&'static PopulationSettings, DataError> {
        static BUILTIN: OnceLock<Result<PopulationSettings, DataError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| PopulationSettings::parse(SETTINGS_FILE.0, SETTINGS_FILE.1))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses and checks a settings file.
    pub fn parse(file: &str, text: &str) -> Result<PopulationSettings, DataError> {
        let s: PopulationSettings = parse_toml(file, text)?;
        let c = &s.citations;
        check_source(file, "sbp", &s.sbp.source, c)?;
        for (i, m) in s.measurements.iter().enumerate() {
            check_source(file, &format!("measurements[{i}]"), &m.source, c)?;
            for (j, a) in m.alternatives.iter().enumerate() {
                check_source(
                    file,
                    &format!("measurements[{i}].alternatives[{j}]"),
                    &a.source,
                    c,
                )?;
            }
            if !matches!(
                m.input,
                InputKey::TotalCholesterol | InputKey::HdlCholesterol | InputKey::WaistCm
            ) {
                return Err(DataError::invalid(
                    file,
                    format!("measurements[{i}].input"),
                    "only total_cholesterol, hdl_cholesterol and waist_cm are read here",
                ));
            }
        }
        for input in [
            InputKey::TotalCholesterol,
            InputKey::HdlCholesterol,
            InputKey::WaistCm,
        ] {
            if !s.measurements.iter().any(|m| m.input == input) {
                return Err(DataError::invalid(
                    file,
                    "measurements",
                    format!("no measurement for {}", input.code()),
                ));
            }
        }
        check_source(file, "smoking", &s.smoking.source, c)?;
        check_source(file, "treatment", &s.treatment.source, c)?;
        check_source(file, "conditions", &s.conditions.source, c)?;
        for (i, a) in s.assumptions.iter().enumerate() {
            check_source(file, &format!("assumptions[{i}]"), &a.source, c)?;
        }
        for input in [
            InputKey::OnBpTreatment,
            InputKey::Smoker,
            InputKey::North,
            InputKey::Urban,
            InputKey::FamilyHistory,
        ] {
            if s.assumption_for(input).is_none() {
                return Err(DataError::invalid(
                    file,
                    "assumptions",
                    format!(
                        "no assumption for {}: the records may not hold it",
                        input.code()
                    ),
                ));
            }
        }
        for (i, t) in s.excluded_tags.iter().enumerate() {
            check_source(file, &format!("excluded_tags[{i}]"), &t.source, c)?;
        }
        let r = &s.refresh;
        check_source(file, "refresh.every_seconds", &r.every_seconds.source, c)?;
        check_source(
            file,
            "refresh.overlap_seconds",
            &r.overlap_seconds.source,
            c,
        )?;
        check_source(
            file,
            "refresh.stale_after_hours",
            &r.stale_after_hours.source,
            c,
        )?;
        if r.every_seconds.value == 0 {
            return Err(DataError::invalid(
                file,
                "refresh.every_seconds",
                "must be at least 1",
            ));
        }
        Ok(s)
    }

    /// The assumption that fills `input`, if the file has one.
    pub fn assumption_for(&self, input: InputKey) -> Option<&Assumption> {
        self.assumptions.iter().find(|a| a.input == input)
    }

    /// The assumption with this key.
    pub fn assumption(&self, key: &str) -> Option<&Assumption> {
        self.assumptions.iter().find(|a| a.key == key)
    }
}

/// The measurements as dictionary elements, with China-PAR's plausible ranges (a reading
/// the model would refuse is skipped when read, so the one before it is used).
pub(crate) fn measurement_elements(
    settings: &PopulationSettings,
    model: &ChinaPar,
) -> Result<Vec<(InputKey, Element)>, DataError> {
    let catalogue = diseases::Catalogue::builtin()
        .map_err(|e| DataError::invalid(SETTINGS_FILE.0, "sbp.element", e.to_string()))?;
    let p = &model.data().plausible;
    let mut sbp = catalogue
        .dictionary()
        .iter()
        .find(|e| e.key == settings.sbp.element)
        .cloned()
        .ok_or_else(|| {
            DataError::invalid(
                SETTINGS_FILE.0,
                "sbp.element",
                format!("the element dictionary has no `{}`", settings.sbp.element),
            )
        })?;
    sbp.plausible = p.sbp_mmhg.clone();
    let mut out = vec![(InputKey::SbpMmhg, sbp)];
    for m in &settings.measurements {
        let range = match m.input {
            InputKey::TotalCholesterol => &p.total_cholesterol_mmol_l,
            InputKey::HdlCholesterol => &p.hdl_cholesterol_mmol_l,
            _ => &p.waist_cm,
        };
        let mut codes = m.loinc.iter();
        out.push((
            m.input,
            Element {
                key: m.input.code().to_owned(),
                name_zh: String::new(),
                name_en: String::new(),
                loinc: codes.next().cloned(),
                also_loinc: codes.cloned().collect(),
                unit: m.unit.clone(),
                display_unit: m.unit.clone(),
                unit_aliases: Vec::new(),
                alternatives: m.alternatives.clone(),
                plausible: range.clone(),
                integer: false,
                required_at_followup: false,
            },
        ));
    }
    Ok(out)
}
