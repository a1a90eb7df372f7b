//! The features of the complication model, in the order of its coefficient vector.

use serde::{Deserialize, Serialize};

/// How many features the model has.
pub const FEATURES: usize = 9;

/// One feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Age in years at the cut-off date.
    Age,
    /// 1 for men, 0 for women.
    Male,
    /// Latest systolic pressure before the cut-off, mmHg.
    Sbp,
    /// Latest diastolic pressure, mmHg.
    Dbp,
    /// Latest fasting plasma glucose, mmol/L.
    Fpg,
    /// Latest LDL cholesterol, mmol/L (the registry's dictionary has no total cholesterol).
    LdlC,
    /// Latest body mass index, kg/m².
    Bmi,
    /// Registers the resident is on at the cut-off.
    Registers,
    /// Years from the first index enrolment to the cut-off.
    YearsEnrolled,
}

impl Feature {
    /// Every feature, in coefficient order.
    pub const ALL: [Feature; FEATURES] = [
        Feature::Age,
        Feature::Male,
        Feature::Sbp,
        Feature::Dbp,
        Feature::Fpg,
        Feature::LdlC,
        Feature::Bmi,
        Feature::Registers,
        Feature::YearsEnrolled,
    ];

    /// The key used on the card and in the JSON.
    pub fn key(self) -> &'static str {
        match self {
            Feature::Age => "age",
            Feature::Male => "male",
            Feature::Sbp => "sbp",
            Feature::Dbp => "dbp",
            Feature::Fpg => "fpg",
            Feature::LdlC => "ldl_c",
            Feature::Bmi => "bmi",
            Feature::Registers => "registers",
            Feature::YearsEnrolled => "years_enrolled",
        }
    }

    /// The data element (`diseases` dictionary key) a measured feature is read from.
    pub fn element(self) -> Option<&'static str> {
        match self {
            Feature::Sbp => Some("sbp"),
            Feature::Dbp => Some("dbp"),
            Feature::Fpg => Some("fpg"),
            Feature::LdlC => Some("ldl_c"),
            Feature::Bmi => Some("bmi"),
            _ => None,
        }
    }
}

/// A resident's features; `None` where not known (imputed at training and prediction).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// Age, years.
    pub age: Option<f64>,
    /// 1 man, 0 woman.
    pub male: Option<f64>,
    /// mmHg.
    pub sbp: Option<f64>,
    /// mmHg.
    pub dbp: Option<f64>,
    /// mmol/L.
    pub fpg: Option<f64>,
    /// mmol/L.
    pub ldl_c: Option<f64>,
    /// kg/m².
    pub bmi: Option<f64>,
    /// Count of registers.
    pub registers: Option<f64>,
    /// Years.
    pub years_enrolled: Option<f64>,
}

impl Features {
    /// The value of one feature.
    pub fn get(&self, feature: Feature) -> Option<f64> {
        match feature {
            Feature::Age => self.age,
            Feature::Male => self.male,
            Feature::Sbp => self.sbp,
            Feature::Dbp => self.dbp,
            Feature::Fpg => self.fpg,
            Feature::LdlC => self.ldl_c,
            Feature::Bmi => self.bmi,
            Feature::Registers => self.registers,
            Feature::YearsEnrolled => self.years_enrolled,
        }
        .filter(|v| v.is_finite())
    }

    /// Sets one feature.
    pub fn set(&mut self, feature: Feature, value: Option<f64>) {
        let slot = match feature {
            Feature::Age => &mut self.age,
            Feature::Male => &mut self.male,
            Feature::Sbp => &mut self.sbp,
            Feature::Dbp => &mut self.dbp,
            Feature::Fpg => &mut self.fpg,
            Feature::LdlC => &mut self.ldl_c,
            Feature::Bmi => &mut self.bmi,
            Feature::Registers => &mut self.registers,
            Feature::YearsEnrolled => &mut self.years_enrolled,
        };
        *slot = value;
    }
}

/// One resident of the cohort: features as of the cut-off and whether the outcome followed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The master-index resident id.
    pub resident_id: String,
    /// Features.
    pub features: Features,
    /// Enrolled on an outcome register after the index enrolment.
    pub outcome: bool,
}
