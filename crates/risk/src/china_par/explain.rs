//! Explaining a result: each factor's part (the risk were the factor at a reference value),
//! the factors that raise the risk, and what reaching each target would give.
//!
//! The equations have interaction terms (ln(age) × ln(SBP), and for men ln(age) × smoking and
//! ln(age) × family history), so a factor's part depends on the others; comparing the risk
//! with the factor at a reference value is therefore more honest than quoting
//! coefficient × value.

use serde::Serialize;

use super::input::{Factor, Factors, Sex};
use super::{Band, ChinaPar};

/// One factor's part in a risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// Which factor.
    pub factor: Factor,
    /// Its name in Chinese.
    pub name_zh: String,
    /// Its name in English.
    pub name_en: String,
    /// The person's value, in Chinese.
    pub value_zh: String,
    /// The person's value, in English.
    pub value_en: String,
    /// The reference value compared with, in Chinese.
    pub reference_zh: String,
    /// The reference value compared with, in English.
    pub reference_en: String,
    /// The risk (%) with this factor at the reference value and the others as they are.
    pub risk_at_reference_percent: f64,
    /// Risk minus risk at reference, percentage points: positive when the factor raises it.
    pub change_points: f64,
}

/// A factor that raises the risk, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// Which factor.
    pub factor: Factor,
    /// How much it raises the risk, percentage points.
    pub change_points: f64,
    /// The sentence in Chinese.
    pub zh: String,
    /// The sentence in English.
    pub en: String,
}

/// The risk if a modifiable factor reached its target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    /// The factor changed; `None` for every factor at once.
    pub factor: Option<Factor>,
    /// What to do, in Chinese.
    pub action_zh: String,
    /// What to do, in English.
    pub action_en: String,
    /// The risk then, %.
    pub risk_percent: f64,
    /// Its band.
    pub band: Band,
    /// Change from the current risk, percentage points (negative: lower).
    pub change_points: f64,
    /// Whether the equations give a lower risk.
    pub lowers: bool,
    /// Why it does not lower the computed risk, in Chinese, when it does not.
    pub note_zh: Option<String>,
    /// The same in English.
    pub note_en: Option<String>,
}

/// Below this (percentage points) a change is no change: floating-point noise.
const NOISE: f64 = 1e-9;

fn one_decimal(v: f64) -> String {
    format!("{:.1}", (v * 10.0).round() / 10.0)
}

/// The factors the sex's equation uses, in the order they are explained.
fn factors_of(sex: Sex) -> &'static [Factor] {
    match sex {
        Sex::Male => &[
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
        ],
        Sex::Female => &[
            Factor::Age,
            Factor::Sbp,
            Factor::TotalCholesterol,
            Factor::HdlCholesterol,
            Factor::Waist,
            Factor::Smoker,
            Factor::Diabetes,
            Factor::North,
        ],
    }
}

/// `f` with `factor` at its reference value: the youngest age of the population, the
/// targets for the continuous factors, absent for flags.
fn at_reference(model: &ChinaPar, f: &Factors, factor: Factor) -> Factors {
    let t = &model.data.targets;
    let mut r = f.clone();
    match factor {
        Factor::Age => r.age = model.card.population.age_min,
        Factor::Sbp => r.sbp_mmhg = t.sbp_mmhg.value,
        Factor::TotalCholesterol => r.total_cholesterol_mmol_l = t.total_cholesterol_mmol_l.value,
        Factor::HdlCholesterol => r.hdl_cholesterol_mmol_l = t.hdl_cholesterol_mmol_l.value,
        Factor::Waist => r.waist_cm = t.waist_cm(f.sex),
        Factor::Smoker => r.smoker = false,
        Factor::Diabetes => r.diabetes = false,
        Factor::North => r.north = false,
        Factor::Urban => r.urban = false,
        Factor::FamilyHistory => r.family_history = false,
    }
    r
}

/// The value of `factor` in `f`, in Chinese and English.
fn describe(f: &Factors, factor: Factor) -> (String, String) {
    let yes_no = |b: bool, yes: (&str, &str), no: (&str, &str)| {
        let (zh, en) = if b { yes } else { no };
        (zh.to_owned(), en.to_owned())
    };
    match factor {
        Factor::Age => (format!("{} 岁", f.age), format!("age {}", f.age)),
        Factor::Sbp => {
            let (zh, en) = if f.on_bp_treatment {
                ("，服降压药", ", on treatment")
            } else {
                ("", "")
            };
            (
                format!("{} mmHg{zh}", f.sbp_mmhg),
                format!("{} mmHg{en}", f.sbp_mmhg),
            )
        }
        Factor::TotalCholesterol => (
            format!("{} mmol/L", round2(f.total_cholesterol_mmol_l)),
            format!("{} mmol/L", round2(f.total_cholesterol_mmol_l)),
        ),
        Factor::HdlCholesterol => (
            format!("{} mmol/L", round2(f.hdl_cholesterol_mmol_l)),
            format!("{} mmol/L", round2(f.hdl_cholesterol_mmol_l)),
        ),
        Factor::Waist => (format!("{} cm", f.waist_cm), format!("{} cm", f.waist_cm)),
        Factor::Smoker => yes_no(f.smoker, ("吸烟", "smoking"), ("不吸烟", "not smoking")),
        Factor::Diabetes => yes_no(
            f.diabetes,
            ("有糖尿病", "diabetes"),
            ("无糖尿病", "no diabetes"),
        ),
        Factor::North => yes_no(
            f.north,
            ("居住在北方", "living in northern China"),
            ("居住在南方", "living in southern China"),
        ),
        Factor::Urban => yes_no(
            f.urban,
            ("居住在城市", "living in a city"),
            ("居住在农村", "living in the countryside"),
        ),
        Factor::FamilyHistory => yes_no(
            f.family_history,
            ("有家族史", "a family history"),
            ("无家族史", "no family history"),
        ),
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Each factor's part in `risk_percent`.
pub(crate) fn contributions(model: &ChinaPar, f: &Factors, risk_percent: f64) -> Vec<Contribution> {
    factors_of(f.sex)
        .iter()
        .map(|&factor| {
            let reference = at_reference(model, f, factor);
            let at_reference = model.risk(&reference) * 100.0;
            let (name_zh, name_en) = model.factor_name(factor);
            let (value_zh, value_en) = describe(f, factor);
            let (reference_zh, reference_en) = describe(&reference, factor);
            Contribution {
                factor,
                name_zh: name_zh.to_owned(),
                name_en: name_en.to_owned(),
                value_zh,
                value_en,
                reference_zh,
                reference_en,
                risk_at_reference_percent: at_reference,
                change_points: risk_percent - at_reference,
            }
        })
        .collect()
}

/// The factors that raise the risk, most first.
pub(crate) fn raises(contributions: &[Contribution]) -> Vec<Reason> {
    let mut up: Vec<&Contribution> = contributions
        .iter()
        .filter(|c| c.change_points > NOISE)
        .collect();
    up.sort_by(|a, b| b.change_points.total_cmp(&a.change_points));
    up.into_iter()
        .map(|c| Reason {
            factor: c.factor,
            change_points: c.change_points,
            zh: format!(
                "{}（{}）：与{}相比，10年风险高 {} 个百分点",
                c.name_zh,
                c.value_zh,
                c.reference_zh,
                one_decimal(c.change_points)
            ),
            en: format!(
                "{} ({}): {} percentage points higher than with {}",
                c.name_en,
                c.value_en,
                one_decimal(c.change_points),
                c.reference_en
            ),
        })
        .collect()
}

/// What reaching each target would give, largest reduction first, and all at once.
pub(crate) fn lowers(
    model: &ChinaPar,
    f: &Factors,
    risk_percent: f64,
) -> (Vec<WhatIf>, Option<WhatIf>) {
    let t = &model.data.targets;
    let waist_target = t.waist_cm(f.sex);
    let mut changes: Vec<(Factor, Factors, String, String)> = Vec::new();
    if f.sbp_mmhg > t.sbp_mmhg.value {
        let mut g = f.clone();
        g.sbp_mmhg = t.sbp_mmhg.value;
        changes.push((
            Factor::Sbp,
            g,
            format!("收缩压降至 {} mmHg", t.sbp_mmhg.value),
            format!("lower systolic pressure to {} mmHg", t.sbp_mmhg.value),
        ));
    }
    if f.smoker {
        let mut g = f.clone();
        g.smoker = false;
        changes.push((Factor::Smoker, g, "戒烟".into(), "quit smoking".into()));
    }
    if f.total_cholesterol_mmol_l > t.total_cholesterol_mmol_l.value {
        let mut g = f.clone();
        g.total_cholesterol_mmol_l = t.total_cholesterol_mmol_l.value;
        changes.push((
            Factor::TotalCholesterol,
            g,
            format!("总胆固醇降至 {} mmol/L", t.total_cholesterol_mmol_l.value),
            format!(
                "lower total cholesterol to {} mmol/L",
                t.total_cholesterol_mmol_l.value
            ),
        ));
    }
    if f.hdl_cholesterol_mmol_l < t.hdl_cholesterol_mmol_l.value {
        let mut g = f.clone();
        g.hdl_cholesterol_mmol_l = t.hdl_cholesterol_mmol_l.value;
        changes.push((
            Factor::HdlCholesterol,
            g,
            format!(
                "高密度脂蛋白胆固醇升至 {} mmol/L",
                t.hdl_cholesterol_mmol_l.value
            ),
            format!(
                "raise HDL cholesterol to {} mmol/L",
                t.hdl_cholesterol_mmol_l.value
            ),
        ));
    }
    if f.waist_cm > waist_target {
        let mut g = f.clone();
        g.waist_cm = waist_target;
        changes.push((
            Factor::Waist,
            g,
            format!("腰围减至 {waist_target} cm"),
            format!("reduce waist to {waist_target} cm"),
        ));
    }

    let what_if = |factor: Option<Factor>, g: &Factors, zh: String, en: String| {
        let risk = model.risk(g) * 100.0;
        let change = risk - risk_percent;
        let lowers = change < -NOISE;
        let (note_zh, note_en) = match (lowers, factor) {
            (true, _) => (None, None),
            (false, Some(Factor::Smoker)) => (
                Some("此年龄下方程的“年龄×吸烟”项抵消了吸烟项，戒烟不降低计算的风险；指南仍建议戒烟".to_owned()),
                Some("at this age the equation's age × smoking term cancels its smoking term, so quitting does not lower the computed risk; the guideline still advises quitting".to_owned()),
            ),
            (false, _) => (
                Some("方程中这一改变不降低计算的风险（该项系数的方向所致）；仍按指南管理".to_owned()),
                Some("in the equations this change does not lower the computed risk (the sign of its coefficient); manage it per the guideline all the same".to_owned()),
            ),
        };
        WhatIf {
            factor,
            action_zh: zh,
            action_en: en,
            risk_percent: risk,
            band: model.band(risk),
            change_points: change,
            lowers,
            note_zh,
            note_en,
        }
    };

    let all = (changes.len() > 1).then(|| {
        let mut g = f.clone();
        for (_, changed, _, _) in &changes {
            g.sbp_mmhg = g.sbp_mmhg.min(changed.sbp_mmhg);
            g.smoker = g.smoker && changed.smoker;
            g.total_cholesterol_mmol_l = g
                .total_cholesterol_mmol_l
                .min(changed.total_cholesterol_mmol_l);
            g.hdl_cholesterol_mmol_l = g.hdl_cholesterol_mmol_l.max(changed.hdl_cholesterol_mmol_l);
            g.waist_cm = g.waist_cm.min(changed.waist_cm);
        }
        what_if(
            None,
            &g,
            "以上各项都达到目标".into(),
            "every target above at once".into(),
        )
    });
    let mut each: Vec<WhatIf> = changes
        .into_iter()
        .map(|(factor, g, zh, en)| what_if(Some(factor), &g, zh, en))
        .collect();
    each.sort_by(|a, b| a.change_points.total_cmp(&b.change_points));
    (each, all)
}
