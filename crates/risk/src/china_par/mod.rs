//! China-PAR 10-year ASCVD risk (Yang et al., Circulation 2016), with the 2019 Chinese
//! guideline's bands. The coefficients, units, bands, plausible ranges and targets are in
//! `models/china-par.toml`, the population in `models/china-par.card.toml`; this module
//! reads them once and computes.
//!
//! ```
//! use risk::china_par::{ChinaPar, Input, Sex};
//! let model = ChinaPar::builtin().unwrap();
//! let input = Input {
//!     sex: Some(Sex::Male),
//!     age: Some(60.0),
//!     sbp_mmhg: Some(130.0),
//!     total_cholesterol: Some(5.4),
//!     hdl_cholesterol: Some(1.4),
//!     waist_cm: Some(80.0),
//!     diabetes: true,
//!     north: true,
//!     urban: true,
//!     ..Input::default()
//! };
//! let result = model.assess(&input).unwrap();
//! assert_eq!(result.band.key, "high");
//! ```

mod data;
mod equation;
mod explain;
mod input;

use std::sync::OnceLock;

use serde::Serialize;

pub use data::{
    AgeRisk, BandDef, ChinaParData, ExampleResult, FactorName, GuidelineExample, PlausibleInputs,
    SexData, SurvivalData, Targets, TermData, Units, ValidationData, WorkedExample,
};
pub use equation::{Equation, Term, risk_from_sum, solve_baseline_survival};
pub use explain::{Contribution, Reason, WhatIf};
pub use input::{CholesterolUnit, Factor, Factors, Input, Sex};

use crate::FieldError;
use crate::card::{ModelCard, OutOfPopulation, Subject};
use crate::data::{DataError, check_source, parse_toml};

/// The model's data file.
pub const DATA_FILE: (&str, &str) = (
    "china-par.toml",
    include_str!("../../models/china-par.toml"),
);

/// The model's card.
pub const CARD_FILE: (&str, &str) = (
    "china-par.card.toml",
    include_str!("../../models/china-par.card.toml"),
);

/// The condition key on the card that `Input::has_ascvd` stands for.
const ASCVD: &str = "ascvd";

/// The China-PAR model: its data, its two equations and its card.
#[derive(Debug, Clone, PartialEq)]
pub struct ChinaPar {
    data: ChinaParData,
    men: Equation,
    women: Equation,
    card: ModelCard,
}

/// Why a risk was not computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The person is outside the population the equations were derived on.
    #[error("{0}")]
    OutOfPopulation(OutOfPopulation),
    /// An input is missing or implausible; each error names its field.
    #[error("{} input error(s), first: {}", .0.len(), .0.first().map_or("", |e| e.en.as_str()))]
    Invalid(Vec<FieldError>),
}

impl Refusal {
    /// The refusal as field errors, for an API problem document: an age out of range is an
    /// error of `age`, existing ASCVD of `has_ascvd`.
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Refusal::Invalid(errors) => errors.clone(),
            Refusal::OutOfPopulation(why) => {
                let field = match why {
                    OutOfPopulation::Excluded(c) if c.key == ASCVD => "has_ascvd",
                    _ => "age",
                };
                vec![FieldError::new(field, why.reason_zh(), why.reason_en())]
            }
        }
    }
}

/// A risk band, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Band {
    /// `low`, `medium` or `high`.
    pub key: String,
    /// 低危, 中危, 高危.
    pub name_zh: String,
    /// low risk, medium risk, high risk.
    pub name_en: String,
}

/// A computed risk with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Model id (`china-par`).
    pub model: String,
    /// Model version, from the card.
    pub version: String,
    /// The validated factors the risk was computed from.
    pub factors: Factors,
    /// Σ coefficient × value.
    pub individual_sum: f64,
    /// 10-year risk, a fraction in [0, 1].
    pub risk: f64,
    /// The same in % (unrounded; pages show one decimal).
    pub risk_percent: f64,
    /// The guideline's band.
    pub band: Band,
    /// Each factor's part: the risk with the factor at its reference value.
    pub contributions: Vec<Contribution>,
    /// The factors that raise the risk, most first.
    pub raises: Vec<Reason>,
    /// Each modifiable factor at its target, largest reduction first.
    pub lowers: Vec<WhatIf>,
    /// Every modifiable factor at its target at once, when there is more than one.
    pub all_targets: Option<WhatIf>,
}

impl ChinaPar {
    /// The built-in model, parsed and checked on first use (a test loads it, so an error here
    /// means a build that skipped the tests).
    pub fn builtin() -> Result<&'static ChinaPar, DataError> {
        static BUILTIN: OnceLock<Result<ChinaPar, DataError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| ChinaPar::load(DATA_FILE, CARD_FILE))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Loads and checks a data file and a card, given as (file name, contents).
    pub fn load(data_file: (&str, &str), card_file: (&str, &str)) -> Result<ChinaPar, DataError> {
        let (file, text) = data_file;
        let data: ChinaParData = parse_toml(file, text)?;
        check_sources(file, &data)?;
        let mmol_per_mg = data.units.cholesterol_mmol_per_mg.value;
        if !(mmol_per_mg > 0.0 && mmol_per_mg.is_finite()) {
            return Err(DataError::invalid(
                file,
                "units.cholesterol_mmol_per_mg",
                "must be a positive number",
            ));
        }
        check_bands(file, &data.bands)?;
        let men = Equation::build(
            file,
            Sex::Male,
            &data.men,
            &data.worked_example,
            mmol_per_mg,
        )?;
        let women = Equation::build(
            file,
            Sex::Female,
            &data.women,
            &data.worked_example,
            mmol_per_mg,
        )?;
        let card = ModelCard::parse(card_file.0, card_file.1)?;
        if !card.population.excludes.iter().any(|c| c.key == ASCVD) {
            return Err(DataError::invalid(
                card_file.0,
                "population.excludes",
                "the China-PAR card must exclude `ascvd`",
            ));
        }
        Ok(ChinaPar {
            data,
            men,
            women,
            card,
        })
    }

    /// The data file as loaded (citations, printed figures, validation tables).
    pub fn data(&self) -> &ChinaParData {
        &self.data
    }

    /// The model card.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// The equation for `sex`.
    pub fn equation(&self, sex: Sex) -> &Equation {
        match sex {
            Sex::Male => &self.men,
            Sex::Female => &self.women,
        }
    }

    /// The band of a risk given in %.
    pub fn band(&self, risk_percent: f64) -> Band {
        let def = self
            .data
            .bands
            .iter()
            .find(|b| b.below_percent.is_none_or(|cut| risk_percent < cut))
            // `check_bands` makes the last band open-ended, so this is never taken.
            .or(self.data.bands.last());
        match def {
            Some(b) => Band {
                key: b.key.clone(),
                name_zh: b.name_zh.clone(),
                name_en: b.name_en.clone(),
            },
            None => Band {
                key: String::new(),
                name_zh: String::new(),
                name_en: String::new(),
            },
        }
    }

    /// Every problem with `input`, as field errors: missing or implausible numbers, and an age
    /// or existing ASCVD outside the model's population. Empty when a risk can be computed.
    pub fn validate(&self, input: &Input) -> Vec<FieldError> {
        match self.check(input) {
            Ok(_) => Vec::new(),
            Err(refusal) => refusal.field_errors(),
        }
    }

    /// The risk of `input`, explained; or why it is not computed.
    pub fn assess(&self, input: &Input) -> Result<Assessment, Refusal> {
        let factors = self.check(input)?;
        Ok(self.assess_factors(&factors))
    }

    /// The risk of already validated factors, explained. The population is not checked.
    pub fn assess_factors(&self, factors: &Factors) -> Assessment {
        let equation = self.equation(factors.sex);
        let risk = equation.risk(factors);
        let risk_percent = risk * 100.0;
        let contributions = explain::contributions(self, factors, risk_percent);
        let raises = explain::raises(&contributions);
        let (lowers, all_targets) = explain::lowers(self, factors, risk_percent);
        Assessment {
            model: self.card.id.clone(),
            version: self.card.version.clone(),
            factors: factors.clone(),
            individual_sum: equation.individual_sum(factors),
            risk,
            risk_percent,
            band: self.band(risk_percent),
            contributions,
            raises,
            lowers,
            all_targets,
        }
    }

    /// The 10-year risk (fraction) of validated factors.
    pub fn risk(&self, factors: &Factors) -> f64 {
        self.equation(factors.sex).risk(factors)
    }

    /// Population first where it is already decided (existing ASCVD, a known age out of
    /// range: no other input would change the answer), then the inputs.
    fn check(&self, input: &Input) -> Result<Factors, Refusal> {
        let subject = Subject {
            age: input.age,
            conditions: if input.has_ascvd {
                vec![ASCVD.to_owned()]
            } else {
                Vec::new()
            },
        };
        match self.card.applies_to(&subject) {
            Ok(()) | Err(OutOfPopulation::AgeUnknown { .. }) => {}
            Err(why) => return Err(Refusal::OutOfPopulation(why)),
        }
        input
            .factors(
                &self.data.plausible,
                self.data.units.cholesterol_mmol_per_mg.value,
            )
            .map_err(Refusal::Invalid)
    }

    pub(crate) fn factor_name(&self, factor: Factor) -> (&str, &str) {
        self.data
            .factors
            .iter()
            .find(|f| f.key == factor)
            .map_or(("", ""), |f| (f.name_zh.as_str(), f.name_en.as_str()))
    }
}

fn check_sources(file: &str, d: &ChinaParData) -> Result<(), DataError> {
    let c = &d.citations;
    check_source(
        file,
        "units.cholesterol_mmol_per_mg",
        &d.units.cholesterol_mmol_per_mg.source,
        c,
    )?;
    for (i, b) in d.bands.iter().enumerate() {
        check_source(file, &format!("bands[{i}]"), &b.source, c)?;
    }
    let p = &d.plausible;
    check_source(file, "plausible.sbp_mmhg", &p.sbp_mmhg.source, c)?;
    check_source(
        file,
        "plausible.total_cholesterol_mmol_l",
        &p.total_cholesterol_mmol_l.source,
        c,
    )?;
    check_source(
        file,
        "plausible.hdl_cholesterol_mmol_l",
        &p.hdl_cholesterol_mmol_l.source,
        c,
    )?;
    check_source(file, "plausible.waist_cm", &p.waist_cm.source, c)?;
    let t = &d.targets;
    check_source(file, "targets.sbp_mmhg", &t.sbp_mmhg.source, c)?;
    check_source(
        file,
        "targets.total_cholesterol_mmol_l",
        &t.total_cholesterol_mmol_l.source,
        c,
    )?;
    check_source(
        file,
        "targets.hdl_cholesterol_mmol_l",
        &t.hdl_cholesterol_mmol_l.source,
        c,
    )?;
    check_source(file, "targets.waist_cm_men", &t.waist_cm_men.source, c)?;
    check_source(file, "targets.waist_cm_women", &t.waist_cm_women.source, c)?;
    check_source(file, "worked_example", &d.worked_example.source, c)?;
    for (which, s) in [("men", &d.men), ("women", &d.women)] {
        check_source(file, &format!("{which}.mean_sum"), &s.mean_sum.source, c)?;
        check_source(
            file,
            &format!("{which}.baseline_survival.printed"),
            &s.baseline_survival.printed.source,
            c,
        )?;
        if let Some(used) = &s.baseline_survival.used {
            check_source(
                file,
                &format!("{which}.baseline_survival.used"),
                &used.source,
                c,
            )?;
        }
        for (i, term) in s.terms.iter().enumerate() {
            check_source(file, &format!("{which}.terms[{i}]"), &term.source, c)?;
        }
    }
    check_source(file, "validation", &d.validation.source, c)?;
    check_source(
        file,
        "validation.guideline_example",
        &d.validation.guideline_example.source,
        c,
    )?;
    for factor in [
        Factor::Age,
        Factor::Sbp,
        Factor::TotalCholesterol,
        Factor::HdlCholesterol,
        Factor::Waist,
        Factor::Smoker,
        Factor::Diabetes,
        Factor::North,
        Factor::Urban,
        Factor::FamilyHistory,
    ] {
        if !d.factors.iter().any(|f| f.key == factor) {
            return Err(DataError::invalid(
                file,
                "factors",
                format!("no name for {factor:?}"),
            ));
        }
    }
    Ok(())
}

/// Bands must rise and end open-ended.
fn check_bands(file: &str, bands: &[BandDef]) -> Result<(), DataError> {
    let mut previous = f64::NEG_INFINITY;
    for (i, b) in bands.iter().enumerate() {
        let last = i + 1 == bands.len();
        match (b.below_percent, last) {
            (Some(cut), false) if cut > previous => previous = cut,
            (None, true) => {}
            _ => {
                return Err(DataError::invalid(
                    file,
                    format!("bands[{i}].below_percent"),
                    "bands must rise, and only the last has no upper cut-off",
                ));
            }
        }
    }
    if bands.is_empty() {
        return Err(DataError::invalid(
            file,
            "bands",
            "at least one band is needed",
        ));
    }
    Ok(())
}
