//! The shape of `models/china-par.toml`. Every figure keeps its source; the equations are
//! built from these by [`super::equation`].

use diseases::{Citation, Plausible, Source, Sourced};
use serde::{Deserialize, Serialize};

use super::equation::Term;
use super::input::{Factor, Sex};

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChinaParData {
    /// Documents the figures cite.
    pub citations: Vec<Citation>,
    /// Unit conversions the paper uses.
    pub units: Units,
    /// Risk bands, in order.
    pub bands: Vec<BandDef>,
    /// Ranges outside which an input is refused as a mistake.
    pub plausible: PlausibleInputs,
    /// Targets for "what would lower it".
    pub targets: Targets,
    /// Names of the factors, in both languages.
    pub factors: Vec<FactorName>,
    /// The supplement's worked example.
    pub worked_example: WorkedExample,
    /// Men's equation.
    pub men: SexData,
    /// Women's equation.
    pub women: SexData,
    /// Published results the implementation must reproduce.
    pub validation: ValidationData,
}

/// Unit conversions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Units {
    /// mmol/L per mg/dL of cholesterol (total and HDL).
    pub cholesterol_mmol_per_mg: Sourced<f64>,
}

/// One risk band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandDef {
    /// `low`, `medium` or `high`.
    pub key: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// A risk (in %) under this belongs to the band; the last band has none.
    #[serde(default)]
    pub below_percent: Option<f64>,
    /// Where the cut-off comes from.
    pub source: Source,
}

/// Plausible ranges of the continuous inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlausibleInputs {
    /// Systolic pressure, mmHg.
    pub sbp_mmhg: Plausible,
    /// Total cholesterol, mmol/L.
    pub total_cholesterol_mmol_l: Plausible,
    /// HDL cholesterol, mmol/L.
    pub hdl_cholesterol_mmol_l: Plausible,
    /// Waist, cm.
    pub waist_cm: Plausible,
}

/// Targets of the modifiable factors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Systolic pressure to lower to, mmHg.
    pub sbp_mmhg: Sourced<f64>,
    /// Total cholesterol to lower to, mmol/L.
    pub total_cholesterol_mmol_l: Sourced<f64>,
    /// HDL cholesterol to raise to, mmol/L.
    pub hdl_cholesterol_mmol_l: Sourced<f64>,
    /// Men's waist to reduce to, cm.
    pub waist_cm_men: Sourced<f64>,
    /// Women's waist to reduce to, cm.
    pub waist_cm_women: Sourced<f64>,
}

impl Targets {
    /// The waist target for `sex`.
    pub fn waist_cm(&self, sex: Sex) -> f64 {
        match sex {
            Sex::Male => self.waist_cm_men.value,
            Sex::Female => self.waist_cm_women.value,
        }
    }
}

/// A factor's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorName {
    /// Which factor.
    pub key: Factor,
    /// In Chinese.
    pub name_zh: String,
    /// In English.
    pub name_en: String,
}

/// The supplement's worked example: one profile, with each sex's printed results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkedExample {
    /// Where it is printed.
    pub source: Source,
    /// Years.
    pub age: f64,
    /// mmHg.
    pub sbp_mmhg: f64,
    /// Taking antihypertensive drugs.
    pub on_bp_treatment: bool,
    /// mg/dL, as printed.
    pub total_cholesterol_mg_dl: f64,
    /// mg/dL, as printed.
    pub hdl_cholesterol_mg_dl: f64,
    /// cm.
    pub waist_cm: f64,
    /// Current smoker.
    pub smoker: bool,
    /// Diabetes.
    pub diabetes: bool,
    /// Northern China.
    pub north: bool,
    /// Urban (men's equation only).
    pub urban: bool,
    /// Family history of ASCVD (men's equation only).
    pub family_history: bool,
    /// The men's printed results.
    pub men: ExampleResult,
    /// The women's printed results.
    pub women: ExampleResult,
}

/// Printed results of the worked example for one sex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleResult {
    /// The sum of coefficient × value.
    pub individual_sum: f64,
    /// The 10-year risk in %, where printed.
    #[serde(default)]
    pub risk_percent: Option<f64>,
}

/// One sex's equation as printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SexData {
    /// The population mean of the individual sum.
    pub mean_sum: Sourced<f64>,
    /// Baseline 10-year survival.
    pub baseline_survival: SurvivalData,
    /// The terms and their coefficients.
    pub terms: Vec<TermData>,
}

/// Baseline survival: as printed, and the value used when it differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurvivalData {
    /// As printed in the coefficient table.
    pub printed: Sourced<f64>,
    /// The value used; when absent, solved from the worked example's printed risk.
    #[serde(default)]
    pub used: Option<Sourced<f64>>,
}

/// One term of an equation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermData {
    /// Which term.
    pub term: Term,
    /// The coefficient as printed (two decimals).
    pub printed: f64,
    /// The worked example's "coefficient × value" for this term, from which the unrounded
    /// coefficient is derived.
    #[serde(default)]
    pub example_product: Option<f64>,
    /// Where it is printed.
    pub source: Source,
}

/// Published results to reproduce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationData {
    /// How close, in percentage points, each reproduced risk must be.
    pub tolerance_points: f64,
    /// Where the table is printed.
    pub source: Source,
    /// The worked-example profile at other ages, men.
    pub men: Vec<AgeRisk>,
    /// The worked-example profile at other ages, women.
    pub women: Vec<AgeRisk>,
    /// The 2019 guideline's example.
    pub guideline_example: GuidelineExample,
}

/// A printed risk at an age.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeRisk {
    /// Years.
    pub age: f64,
    /// 10-year risk, %.
    pub risk_percent: f64,
}

/// The guideline's worked example and the official calculator's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidelineExample {
    /// Where it is printed.
    pub source: Source,
    /// Sex.
    pub sex: Sex,
    /// Years.
    pub age: f64,
    /// mmHg.
    pub sbp_mmhg: f64,
    /// Taking antihypertensive drugs.
    pub on_bp_treatment: bool,
    /// mmol/L.
    pub total_cholesterol_mmol_l: f64,
    /// mmol/L.
    pub hdl_cholesterol_mmol_l: f64,
    /// cm.
    pub waist_cm: f64,
    /// Current smoker.
    pub smoker: bool,
    /// Diabetes.
    pub diabetes: bool,
    /// Northern China.
    pub north: bool,
    /// Urban.
    pub urban: bool,
    /// Family history of ASCVD.
    pub family_history: bool,
    /// The official calculator's risk, %.
    pub risk_percent: f64,
    /// Its band key.
    pub band: String,
    /// How close this implementation must be, percentage points.
    pub tolerance_points: f64,
}
