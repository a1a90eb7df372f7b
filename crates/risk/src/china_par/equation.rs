//! The China-PAR equations: risk = 1 − S10 ^ exp(Σ coefficient × value − mean).

use serde::{Deserialize, Serialize};

use super::data::{SexData, WorkedExample};
use super::input::{Factors, Sex};
use crate::data::DataError;

/// A term of the equations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    /// ln(age).
    LnAge,
    /// ln(SBP) when taking antihypertensive drugs, else 0.
    LnTreatedSbp,
    /// ln(SBP) when not taking antihypertensive drugs, else 0.
    LnUntreatedSbp,
    /// ln(total cholesterol in mg/dL).
    LnTotalCholesterol,
    /// ln(HDL cholesterol in mg/dL).
    LnHdlCholesterol,
    /// ln(waist in cm).
    LnWaist,
    /// Current smoker, 0/1.
    Smoker,
    /// Diabetes, 0/1.
    Diabetes,
    /// Northern China, 0/1.
    North,
    /// Urban, 0/1.
    Urban,
    /// Family history of ASCVD, 0/1.
    FamilyHistory,
    /// ln(age) × ln(treated SBP).
    LnAgeXLnTreatedSbp,
    /// ln(age) × ln(untreated SBP).
    LnAgeXLnUntreatedSbp,
    /// ln(age) × smoker.
    LnAgeXSmoker,
    /// ln(age) × family history.
    LnAgeXFamilyHistory,
}

impl Term {
    /// The term's value for `f`; cholesterol enters in mg/dL (mmol/L ÷ `mmol_per_mg`).
    pub fn value(self, f: &Factors, mmol_per_mg: f64) -> f64 {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let ln_age = f.age.ln();
        let ln_sbp = f.sbp_mmhg.ln();
        let treated = flag(f.on_bp_treatment);
        let untreated = 1.0 - treated;
        match self {
            Term::LnAge => ln_age,
            Term::LnTreatedSbp => treated * ln_sbp,
            Term::LnUntreatedSbp => untreated * ln_sbp,
            Term::LnTotalCholesterol => (f.total_cholesterol_mmol_l / mmol_per_mg).ln(),
            Term::LnHdlCholesterol => (f.hdl_cholesterol_mmol_l / mmol_per_mg).ln(),
            Term::LnWaist => f.waist_cm.ln(),
            Term::Smoker => flag(f.smoker),
            Term::Diabetes => flag(f.diabetes),
            Term::North => flag(f.north),
            Term::Urban => flag(f.urban),
            Term::FamilyHistory => flag(f.family_history),
            Term::LnAgeXLnTreatedSbp => ln_age * treated * ln_sbp,
            Term::LnAgeXLnUntreatedSbp => ln_age * untreated * ln_sbp,
            Term::LnAgeXSmoker => ln_age * flag(f.smoker),
            Term::LnAgeXFamilyHistory => ln_age * flag(f.family_history),
        }
    }
}

/// One sex's equation with the coefficients in use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Equation {
    /// Whose.
    pub sex: Sex,
    /// Terms and the coefficients used (derived where the file gives the example's product).
    pub coefficients: Vec<(Term, f64)>,
    /// Population mean of the individual sum.
    pub mean_sum: f64,
    /// Baseline 10-year survival in use.
    pub baseline_survival: f64,
    /// mmol/L per mg/dL of cholesterol.
    pub mmol_per_mg: f64,
}

impl Equation {
    /// Builds `sex`'s equation from the file: derives a coefficient from the worked example's
    /// "coefficient × value" where given (checking it rounds to the printed two decimals),
    /// and solves the baseline survival from the example's printed risk where no value is
    /// given.
    pub(crate) fn build(
        file: &str,
        sex: Sex,
        data: &SexData,
        example: &WorkedExample,
        mmol_per_mg: f64,
    ) -> Result<Equation, DataError> {
        let which = match sex {
            Sex::Male => "men",
            Sex::Female => "women",
        };
        let example_factors = worked_example_factors(example, sex, mmol_per_mg);
        let mut coefficients = Vec::with_capacity(data.terms.len());
        for (i, t) in data.terms.iter().enumerate() {
            if coefficients.iter().any(|(term, _)| *term == t.term) {
                return Err(DataError::invalid(
                    file,
                    format!("{which}.terms[{i}]"),
                    format!("term {:?} appears twice", t.term),
                ));
            }
            let coefficient = match t.example_product {
                None => t.printed,
                Some(product) => {
                    let value = t.term.value(&example_factors, mmol_per_mg);
                    let derived = product / value;
                    // Half a unit of the printed second decimal, and a little for the
                    // product's own rounding.
                    if !derived.is_finite() || (derived - t.printed).abs() > 0.0051 {
                        return Err(DataError::invalid(
                            file,
                            format!("{which}.terms[{i}].example_product"),
                            format!(
                                "{product} / {value:.4} = {derived:.4}, which does not round to the printed {}",
                                t.printed
                            ),
                        ));
                    }
                    derived
                }
            };
            coefficients.push((t.term, coefficient));
        }
        let mean_sum = data.mean_sum.value;
        let baseline_survival = match &data.baseline_survival.used {
            Some(used) => used.value,
            None => {
                let printed = match sex {
                    Sex::Male => &example.men,
                    Sex::Female => &example.women,
                };
                let risk = printed.risk_percent.ok_or_else(|| {
                    DataError::invalid(
                        file,
                        format!("{which}.baseline_survival"),
                        "no `used` value and the worked example prints no risk to solve it from",
                    )
                })? / 100.0;
                solve_baseline_survival(risk, printed.individual_sum, mean_sum)
            }
        };
        if !(baseline_survival > 0.0 && baseline_survival < 1.0) {
            return Err(DataError::invalid(
                file,
                format!("{which}.baseline_survival"),
                format!("{baseline_survival} is not a survival probability"),
            ));
        }
        Ok(Equation {
            sex,
            coefficients,
            mean_sum,
            baseline_survival,
            mmol_per_mg,
        })
    }

    /// Σ coefficient × value.
    pub fn individual_sum(&self, f: &Factors) -> f64 {
        self.coefficients
            .iter()
            .map(|(term, c)| c * term.value(f, self.mmol_per_mg))
            .sum()
    }

    /// The 10-year risk, a fraction in [0, 1].
    pub fn risk(&self, f: &Factors) -> f64 {
        risk_from_sum(
            self.baseline_survival,
            self.individual_sum(f),
            self.mean_sum,
        )
    }

    /// The coefficient of `term`, 0 when the equation has no such term.
    pub fn coefficient(&self, term: Term) -> f64 {
        self.coefficients
            .iter()
            .find(|(t, _)| *t == term)
            .map_or(0.0, |(_, c)| *c)
    }
}

/// 1 − S10 ^ exp(sum − mean), clamped to [0, 1] against rounding at the extremes.
pub fn risk_from_sum(baseline_survival: f64, sum: f64, mean: f64) -> f64 {
    (1.0 - baseline_survival.powf((sum - mean).exp())).clamp(0.0, 1.0)
}

/// The S10 for which an individual sum `sum` has risk `risk`: (1 − risk) ^ (1 / exp(sum − mean)).
pub fn solve_baseline_survival(risk: f64, sum: f64, mean: f64) -> f64 {
    (1.0 - risk).powf(1.0 / (sum - mean).exp())
}

/// The worked example's profile as factors (cholesterol converted to mmol/L).
pub(crate) fn worked_example_factors(e: &WorkedExample, sex: Sex, mmol_per_mg: f64) -> Factors {
    Factors {
        sex,
        age: e.age,
        sbp_mmhg: e.sbp_mmhg,
        on_bp_treatment: e.on_bp_treatment,
        total_cholesterol_mmol_l: e.total_cholesterol_mg_dl * mmol_per_mg,
        hdl_cholesterol_mmol_l: e.hdl_cholesterol_mg_dl * mmol_per_mg,
        waist_cm: e.waist_cm,
        smoker: e.smoker,
        diabetes: e.diabetes,
        north: e.north,
        urban: e.urban,
        family_history: e.family_history,
    }
}
