//! What a clinician enters (the API's JSON body) and its validation into [`Factors`].

use serde::{Deserialize, Serialize};

use super::data::PlausibleInputs;
use crate::FieldError;

/// Sex: the equations are sex-specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// 男.
    Male,
    /// 女.
    Female,
}

impl From<kernel::Sex> for Sex {
    fn from(sex: kernel::Sex) -> Self {
        match sex {
            kernel::Sex::Male => Sex::Male,
            kernel::Sex::Female => Sex::Female,
        }
    }
}

/// The unit cholesterol is given in. Chinese laboratories report mmol/L, the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CholesterolUnit {
    /// mmol/L.
    #[default]
    #[serde(rename = "mmol/L")]
    MmolPerL,
    /// mg/dL.
    #[serde(rename = "mg/dL")]
    MgPerDl,
}

impl CholesterolUnit {
    /// As written in messages.
    pub fn label(self) -> &'static str {
        match self {
            CholesterolUnit::MmolPerL => "mmol/L",
            CholesterolUnit::MgPerDl => "mg/dL",
        }
    }
}

/// The factors of a China-PAR calculation as entered (`POST /api/v1/risk/china-par`).
/// Numbers are optional so that a missing one is reported by name rather than as a JSON
/// error; flags default to false.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `male` or `female`.
    pub sex: Option<Sex>,
    /// Age in years (35–74).
    pub age: Option<f64>,
    /// Systolic blood pressure, mmHg.
    pub sbp_mmhg: Option<f64>,
    /// Taking antihypertensive drugs.
    #[serde(default)]
    pub on_bp_treatment: bool,
    /// Total cholesterol, in `cholesterol_unit`.
    pub total_cholesterol: Option<f64>,
    /// HDL cholesterol, in `cholesterol_unit`.
    pub hdl_cholesterol: Option<f64>,
    /// `mmol/L` (default) or `mg/dL`.
    #[serde(default)]
    pub cholesterol_unit: CholesterolUnit,
    /// Waist circumference, cm.
    pub waist_cm: Option<f64>,
    /// Current smoker.
    #[serde(default)]
    pub smoker: bool,
    /// Diabetes.
    #[serde(default)]
    pub diabetes: bool,
    /// Lives in northern China (north of the Yangtze, the paper's 北方).
    #[serde(default)]
    pub north: bool,
    /// Lives in a city (men's equation only).
    #[serde(default)]
    pub urban: bool,
    /// A parent or sibling had ASCVD (men's equation only).
    #[serde(default)]
    pub family_history: bool,
    /// Already has ASCVD (myocardial infarction, coronary heart disease, ischaemic stroke…):
    /// the equations do not apply.
    #[serde(default)]
    pub has_ascvd: bool,
}

/// The factors after validation, cholesterol in mmol/L.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factors {
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
}

/// The factors an explanation talks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// Age.
    Age,
    /// Systolic pressure (treated or not).
    Sbp,
    /// Total cholesterol.
    TotalCholesterol,
    /// HDL cholesterol.
    HdlCholesterol,
    /// Waist.
    Waist,
    /// Current smoking.
    Smoker,
    /// Diabetes.
    Diabetes,
    /// Northern China.
    North,
    /// Urban.
    Urban,
    /// Family history of ASCVD.
    FamilyHistory,
}

impl Input {
    /// Checks that every number is present, a number, and plausible (`plausible`, with
    /// cholesterol converted by `mmol_per_mg` when given in mg/dL); returns the factors or
    /// every problem found, each naming its field.
    pub(crate) fn factors(
        &self,
        plausible: &PlausibleInputs,
        mmol_per_mg: f64,
    ) -> Result<Factors, Vec<FieldError>> {
        let mut errors = Vec::new();
        let sex = self.sex;
        if sex.is_none() {
            errors.push(FieldError::new(
                "sex",
                "请选择性别（male 或 female）：风险方程按性别分开",
                "sex is required (male or female): the equations are sex-specific",
            ));
        }
        let age = number(&mut errors, "age", "年龄", "age", self.age, "岁", "years");
        if age.is_some_and(|a| a <= 0.0) {
            errors.push(FieldError::new(
                "age",
                "年龄应大于 0",
                "age must be greater than 0",
            ));
        }
        let sbp = ranged(
            &mut errors,
            "sbp_mmhg",
            "收缩压",
            "systolic blood pressure",
            self.sbp_mmhg,
            (plausible.sbp_mmhg.low, plausible.sbp_mmhg.high),
            "mmHg",
        );
        let unit = self.cholesterol_unit;
        let to_mmol = |v: f64| match unit {
            CholesterolUnit::MmolPerL => v,
            CholesterolUnit::MgPerDl => v * mmol_per_mg,
        };
        let in_unit = |(low, high): (f64, f64)| match unit {
            CholesterolUnit::MmolPerL => (low, high),
            // Shown to one decimal: the bounds are editorial, not exact.
            CholesterolUnit::MgPerDl => (
                (low / mmol_per_mg * 10.0).round() / 10.0,
                (high / mmol_per_mg * 10.0).round() / 10.0,
            ),
        };
        let tc = ranged(
            &mut errors,
            "total_cholesterol",
            "总胆固醇",
            "total cholesterol",
            self.total_cholesterol,
            in_unit((
                plausible.total_cholesterol_mmol_l.low,
                plausible.total_cholesterol_mmol_l.high,
            )),
            unit.label(),
        );
        let hdl = ranged(
            &mut errors,
            "hdl_cholesterol",
            "高密度脂蛋白胆固醇",
            "HDL cholesterol",
            self.hdl_cholesterol,
            in_unit((
                plausible.hdl_cholesterol_mmol_l.low,
                plausible.hdl_cholesterol_mmol_l.high,
            )),
            unit.label(),
        );
        let waist = ranged(
            &mut errors,
            "waist_cm",
            "腰围",
            "waist circumference",
            self.waist_cm,
            (plausible.waist_cm.low, plausible.waist_cm.high),
            "cm",
        );
        match (sex, age, sbp, tc, hdl, waist) {
            (Some(sex), Some(age), Some(sbp), Some(tc), Some(hdl), Some(waist))
                if errors.is_empty() =>
            {
                Ok(Factors {
                    sex,
                    age,
                    sbp_mmhg: sbp,
                    on_bp_treatment: self.on_bp_treatment,
                    total_cholesterol_mmol_l: to_mmol(tc),
                    hdl_cholesterol_mmol_l: to_mmol(hdl),
                    waist_cm: waist,
                    smoker: self.smoker,
                    diabetes: self.diabetes,
                    north: self.north,
                    urban: self.urban,
                    family_history: self.family_history,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A required finite number.
fn number(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    zh: &str,
    en: &str,
    value: Option<f64>,
    unit_zh: &str,
    unit_en: &str,
) -> Option<f64> {
    match value {
        None => {
            errors.push(FieldError::new(
                field,
                format!("请填写{zh}（{unit_zh}）"),
                format!("{en} is required ({unit_en})"),
            ));
            None
        }
        Some(v) if !v.is_finite() => {
            errors.push(FieldError::new(
                field,
                format!("{zh}应为数字"),
                format!("{en} must be a number"),
            ));
            None
        }
        Some(v) => Some(v),
    }
}

/// A required finite number within `[low, high]`, both given in `unit`.
fn ranged(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    zh: &str,
    en: &str,
    value: Option<f64>,
    (low, high): (f64, f64),
    unit: &str,
) -> Option<f64> {
    let v = number(errors, field, zh, en, value, unit, unit)?;
    if !(low..=high).contains(&v) {
        errors.push(FieldError::new(
            field,
            format!("{zh} {v} {unit} 超出合理范围 {low}–{high} {unit}，请核对数值和单位"),
            format!(
                "{en} {v} {unit} is outside the plausible range {low}–{high} {unit}; check the value and its unit"
            ),
        ));
        return None;
    }
    Some(v)
}
