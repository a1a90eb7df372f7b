//! The checks a draft must pass before the doctor may sign it. Problems block signing; flags
//! are shown to the doctor and leave the decision to them.
//!
//! Field paths index lines from 0 (`lines[1]` is the second line, as in the JSON the draft
//! came from); messages for people count from 1 (第2行 / Line 2).

use serde::Serialize;

use crate::catalogue::{Catalogue, Drug};
use crate::draft::{CurrentMedicine, Draft, Line};
use crate::interaction::Severity;
use crate::rules::Rules;

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Checked {
    /// What must be corrected before signing.
    pub problems: Vec<Problem>,
    /// What the doctor should look at; does not block signing.
    pub flags: Vec<Flag>,
}

impl Checked {
    /// The doctor may sign: there are no problems (flags are allowed).
    pub fn may_sign(&self) -> bool {
        self.problems.is_empty()
    }

    /// Whether there is a problem of this kind at this field.
    pub fn has_problem(&self, kind: ProblemKind, field: &str) -> bool {
        self.problems
            .iter()
            .any(|p| p.kind == kind && p.field == field)
    }
}

/// Something that must be corrected before signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Path of the field to correct, e.g. `lines[1].days` or `long_term.patient_confirmed`.
    pub field: String,
    /// Which rule is broken.
    pub kind: ProblemKind,
    /// Which line, why, and what is allowed, in Chinese.
    pub message_zh: String,
    /// The same in English.
    pub message_en: String,
}

/// The rule a [`Problem`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The draft has no lines.
    NoLines,
    /// More medicines than one prescription may hold.
    TooManyLines,
    /// The drug code is not in the catalogue.
    UnknownDrug,
    /// A control class never prescribed online.
    ExcludedOnline,
    /// A control class never on a long prescription.
    ExcludedFromLong,
    /// The dose is zero, negative or not a number.
    DoseNotPositive,
    /// The daily dose exceeds the label maximum.
    DoseAboveMaximum,
    /// The dose unit cannot be compared with the drug's maximum (broken catalogue data).
    DoseNotComparable,
    /// Zero days.
    DaysNotPositive,
    /// More than the normal days without a long prescription.
    DaysAboveNormal,
    /// More than a long prescription allows.
    DaysAboveLongMaximum,
    /// A long prescription without the doctor's evaluation.
    LongWithoutEvaluation,
    /// A long prescription without the patient's confirmation.
    LongWithoutConfirmation,
    /// A long prescription line of a medicine that is not a chronic long-term medicine.
    NotChronic,
    /// Fewer packs than the days need.
    QuantityTooSmall,
    /// A whole pack or more beyond what the days need.
    QuantityTooLarge,
    /// Validity outside 1 to the maximum days.
    ValidityOutOfRange,
    /// The same medicine on two lines.
    DuplicateLine,
}

/// Something the doctor should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// What was found.
    pub kind: FlagKind,
    /// The draft lines concerned (indices from 0).
    pub lines: Vec<usize>,
    /// What and where, in Chinese.
    pub message_zh: String,
    /// The same in English.
    pub message_en: String,
    /// The document it comes from, for interactions.
    pub source: Option<String>,
}

/// What a [`Flag`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum FlagKind {
    /// Two lines, or a line and a current medicine, of the same therapeutic class.
    DuplicateClass,
    /// A known interaction between two lines, or a line and a current medicine.
    Interaction {
        /// How much it matters.
        severity: Severity,
    },
    /// The same substance as a current medicine: a continuation.
    AlreadyTaking,
}

/// Checks `draft` against the limits in `rules` and the medicines in `catalogue`, with the
/// patient's `current` medicines for duplicates and interactions. Never panics on any input.
pub fn check(
    draft: &Draft,
    current: &[CurrentMedicine],
    rules: &Rules,
    catalogue: &Catalogue,
) -> Checked {
    let mut out = Checked::default();
    let n_lines = draft.lines.len();
    if n_lines == 0 {
        out.problem(
            "lines",
            ProblemKind::NoLines,
            "处方未开具任何药品：请至少添加一种药品".to_owned(),
            "The prescription has no medicines: add at least one".to_owned(),
        );
    }
    if n_lines > rules.max_lines as usize {
        let max = rules.max_lines;
        out.problem(
            "lines",
            ProblemKind::TooManyLines,
            format!("处方共{n_lines}种药品，每张处方不得超过{max}种：请分开开具"),
            format!(
                "The prescription has {n_lines} medicines; one prescription may hold at most {max}: split it"
            ),
        );
    }
    if draft.validity_days == 0 || draft.validity_days > rules.validity_max_days {
        let (v, max) = (draft.validity_days, rules.validity_max_days);
        out.problem(
            "validity_days",
            ProblemKind::ValidityOutOfRange,
            format!("处方有效期{v}天：应为1至{max}天（一般当日有效）"),
            format!("Validity of {v} days: it must be 1 to {max} days (normally the day written)"),
        );
    }

    // A long prescription is one that needs to be: a long_term section on a draft whose lines
    // all fit the normal days changes nothing.
    let long = draft
        .long_term
        .as_ref()
        .filter(|_| draft.lines.iter().any(|l| l.days > rules.normal_days));
    if let Some(long) = long {
        let normal = rules.normal_days;
        if long.evaluation.trim().is_empty() {
            out.problem(
                "long_term.evaluation",
                ProblemKind::LongWithoutEvaluation,
                format!("用药超过{normal}天的长期处方须记录医师评估（诊断明确、病情稳定、用药方案稳定）"),
                format!(
                    "A long prescription of more than {normal} days needs the doctor's recorded evaluation (clear diagnosis, stable condition and regimen)"
                ),
            );
        }
        if !long.patient_confirmed {
            out.problem(
                "long_term.patient_confirmed",
                ProblemKind::LongWithoutConfirmation,
                format!("用药超过{normal}天的长期处方须经患者签字确认"),
                format!(
                    "A long prescription of more than {normal} days needs the patient's signed confirmation"
                ),
            );
        }
    }

    let drugs: Vec<Option<&Drug>> = draft
        .lines
        .iter()
        .map(|line| catalogue.drug(&line.drug))
        .collect();
    for (i, line) in draft.lines.iter().enumerate() {
        let drug = drugs.get(i).copied().flatten();
        check_line(&mut out, i, line, drug, long.is_some(), rules);
    }
    duplicate_lines(&mut out, draft);
    pair_flags(&mut out, &drugs, catalogue);
    current_flags(&mut out, &drugs, current, catalogue);
    out
}

impl Checked {
    fn problem(&mut self, field: &str, kind: ProblemKind, message_zh: String, message_en: String) {
        self.problems.push(Problem {
            field: field.to_owned(),
            kind,
            message_zh,
            message_en,
        });
    }
}

fn check_line(
    out: &mut Checked,
    i: usize,
    line: &Line,
    drug: Option<&Drug>,
    long: bool,
    rules: &Rules,
) {
    let n = i + 1;
    let field = |name: &str| format!("lines[{i}].{name}");
    let (normal, long_max) = (rules.normal_days, rules.long_max_days);
    let days = line.days;

    if days == 0 {
        out.problem(
            &field("days"),
            ProblemKind::DaysNotPositive,
            format!("第{n}行：用药天数至少为1天"),
            format!("Line {n}: the days of treatment must be at least 1"),
        );
    } else if days > long_max {
        out.problem(
            &field("days"),
            ProblemKind::DaysAboveLongMaximum,
            format!("第{n}行：用药{days}天超过长期处方最长{long_max}天：请不超过{long_max}天"),
            format!(
                "Line {n}: {days} days is more than the longest long prescription of {long_max} days: prescribe at most {long_max}"
            ),
        );
    } else if days > normal && !long {
        out.problem(
            &field("days"),
            ProblemKind::DaysAboveNormal,
            format!(
                "第{n}行：用药{days}天超过{normal}天：请不超过{normal}天，或开具长期处方（记录医师评估并经患者签字确认，最长{long_max}天）"
            ),
            format!(
                "Line {n}: {days} days is more than {normal}: prescribe at most {normal}, or write a long prescription (doctor's recorded evaluation and patient's signed confirmation, at most {long_max} days)"
            ),
        );
    }

    let dose_positive = line.dose.is_finite() && line.dose > 0.0;
    if !dose_positive {
        out.problem(
            &field("dose"),
            ProblemKind::DoseNotPositive,
            format!("第{n}行：每次剂量必须是大于0的数"),
            format!("Line {n}: the dose per take must be a number above 0"),
        );
    }

    let Some(drug) = drug else {
        let code = &line.drug;
        out.problem(
            &field("drug"),
            ProblemKind::UnknownDrug,
            format!("第{n}行：药品编码“{code}”不在药品目录中：请从目录中选择药品"),
            format!(
                "Line {n}: drug code {code:?} is not in the catalogue: choose a medicine from the catalogue"
            ),
        );
        return;
    };
    let (zh, en) = (&drug.generic_zh, &drug.generic_en);
    let class = drug.control;

    if rules.online_excluded.contains(&class) {
        out.problem(
            &field("drug"),
            ProblemKind::ExcludedOnline,
            format!(
                "第{n}行：{zh}属于{}，互联网诊疗不得开具：请删除此行，需要时请患者线下就诊",
                class.label_zh()
            ),
            format!(
                "Line {n}: {en} is a {}, which may not be prescribed online: remove the line; the patient must be seen in person for it",
                class.label_en()
            ),
        );
    } else if long && rules.long_excluded.contains(&class) {
        out.problem(
            &field("drug"),
            ProblemKind::ExcludedFromLong,
            format!(
                "第{n}行：{zh}属于{}，不得开具长期处方：请另开不超过{normal}天的普通处方",
                class.label_zh()
            ),
            format!(
                "Line {n}: {en} is an {} and may not be on a long prescription: prescribe it separately for at most {normal} days",
                class.label_en()
            ),
        );
    } else if long && !drug.chronic {
        out.problem(
            &field("drug"),
            ProblemKind::NotChronic,
            format!(
                "第{n}行：{zh}不是慢性病长期用药，不得开具长期处方：请另开不超过{normal}天的普通处方"
            ),
            format!(
                "Line {n}: {en} is not a long-term medicine for a chronic disease and may not be on a long prescription: prescribe it separately for at most {normal} days"
            ),
        );
    }

    if !dose_positive {
        return;
    }
    let unit = &drug.strength.unit;
    let Some(max) = drug.max_daily.in_unit(unit) else {
        out.problem(
            &field("dose"),
            ProblemKind::DoseNotComparable,
            format!(
                "第{n}行：{zh}的剂量单位 {unit} 无法与说明书最大日剂量的单位 {} 比较：请联系药学部门核对药品目录",
                drug.max_daily.unit
            ),
            format!(
                "Line {n}: the dose unit {unit} of {en} cannot be compared with the unit {} of its label maximum: ask pharmacy to correct the catalogue",
                drug.max_daily.unit
            ),
        );
        return;
    };
    let daily = line.dose * line.frequency.times_per_day();
    // A relative tolerance so that 3 × 20 mg is not refused against 60 mg by rounding.
    if daily > max * (1.0 + 1e-9) {
        let (d, m) = (number(daily), number(max));
        out.problem(
            &field("dose"),
            ProblemKind::DoseAboveMaximum,
            format!("第{n}行：{zh} 每日剂量 {d} {unit} 超过说明书最大日剂量 {m} {unit}"),
            format!("Line {n}: {en} {d} {unit} a day is above the label maximum of {m} {unit}"),
        );
        return;
    }
    if days == 0 {
        return;
    }
    check_quantity(out, i, line, drug);
}

/// Units needed = ceil(dose / strength × takes a day × days), counted in the drug's counting
/// unit (tablet, capsule, inhalation, pen); the packs must cover that and may exceed it by less
/// than one pack.
fn check_quantity(out: &mut Checked, i: usize, line: &Line, drug: &Drug) {
    let n = i + 1;
    let raw = line.dose / drug.strength.value * line.frequency.times_per_day() * line.days as f64;
    // Rounded to a millionth first so that 0.4 / 0.4 × 3 × 7 is 21 units, not 22.
    let needed = ((raw * 1e6).round() / 1e6).ceil().max(1.0);
    if !needed.is_finite() {
        return;
    }
    let pack = drug.pack as f64;
    let supplied = line.packs as f64 * pack;
    let packs_needed = (needed / pack).ceil();
    let (zh, en, unit_zh) = (&drug.generic_zh, &drug.generic_en, &drug.unit_zh);
    let unit_en = plural(&drug.unit_en, needed);
    let (packs, days) = (line.packs, line.days);
    let (need, have, need_packs) = (number(needed), number(supplied), number(packs_needed));
    if supplied < needed {
        out.problem(
            &format!("lines[{i}].packs"),
            ProblemKind::QuantityTooSmall,
            format!(
                "第{n}行：{zh} 开具{packs}盒共{have}{unit_zh}，不足{days}天用量{need}{unit_zh}：应开{need_packs}盒"
            ),
            format!(
                "Line {n}: {packs} pack(s) of {en} hold {have}, fewer than the {need} {unit_en} needed for {days} days: prescribe {need_packs} pack(s)"
            ),
        );
    } else if supplied >= needed + pack {
        out.problem(
            &format!("lines[{i}].packs"),
            ProblemKind::QuantityTooLarge,
            format!(
                "第{n}行：{zh} 开具{packs}盒共{have}{unit_zh}，超过{days}天用量{need}{unit_zh}：最多开{need_packs}盒"
            ),
            format!(
                "Line {n}: {packs} pack(s) of {en} hold {have}, more than the {need} {unit_en} needed for {days} days: prescribe at most {need_packs} pack(s)"
            ),
        );
    }
}

fn duplicate_lines(out: &mut Checked, draft: &Draft) {
    for (j, line) in draft.lines.iter().enumerate() {
        if let Some(i) = draft.lines[..j].iter().position(|l| l.drug == line.drug) {
            let (a, b, code) = (i + 1, j + 1, &line.drug);
            out.problem(
                &format!("lines[{j}].drug"),
                ProblemKind::DuplicateLine,
                format!("第{b}行与第{a}行是同一药品（{code}）：请合并为一行"),
                format!(
                    "Line {b} is the same medicine ({code}) as line {a}: merge them into one line"
                ),
            );
        }
    }
}

/// Duplicate classes and interactions between lines of the draft.
fn pair_flags(out: &mut Checked, drugs: &[Option<&Drug>], catalogue: &Catalogue) {
    for (i, x) in drugs.iter().enumerate() {
        let Some(x) = x else { continue };
        for (j, y) in drugs.iter().enumerate().skip(i + 1) {
            let Some(y) = y else { continue };
            // The same code twice is already a DuplicateLine problem.
            if x.code == y.code {
                continue;
            }
            let (a, b) = (i + 1, j + 1);
            let (xz, yz, xe, ye) = (&x.generic_zh, &y.generic_zh, &x.generic_en, &y.generic_en);
            if x.class == y.class {
                let class = &x.class;
                out.flags.push(Flag {
                    kind: FlagKind::DuplicateClass,
                    lines: vec![i, j],
                    message_zh: format!(
                        "第{a}行{xz}与第{b}行{yz}同属治疗类别 {class}：请确认是否重复用药"
                    ),
                    message_en: format!(
                        "Line {a} {xe} and line {b} {ye} are both {class}: check this is not a duplicate"
                    ),
                    source: None,
                });
            }
            for interaction in catalogue.interactions() {
                if interaction.between(x, y) {
                    let s = interaction.severity;
                    out.flags.push(Flag {
                        kind: FlagKind::Interaction { severity: s },
                        lines: vec![i, j],
                        message_zh: format!(
                            "{}相互作用：第{a}行{xz}与第{b}行{yz}：{}",
                            s.label_zh(),
                            interaction.message_zh
                        ),
                        message_en: format!(
                            "{} interaction: line {a} {xe} and line {b} {ye}: {}",
                            capitalised(s.label_en()),
                            interaction.message_en
                        ),
                        source: Some(interaction.cited()),
                    });
                }
            }
        }
    }
}

/// Continuations, duplicate classes and interactions between the draft and what the patient
/// already takes. A current medicine is matched by its catalogue code, or by its ATC code when
/// it has no code the catalogue knows.
fn current_flags(
    out: &mut Checked,
    drugs: &[Option<&Drug>],
    current: &[CurrentMedicine],
    catalogue: &Catalogue,
) {
    for medicine in current {
        let known: Vec<&Drug> = match medicine.code.as_deref().and_then(|c| catalogue.drug(c)) {
            Some(drug) => vec![drug],
            None => medicine
                .atc
                .as_deref()
                .map(|atc| catalogue.by_atc(atc))
                .unwrap_or_default(),
        };
        let atc = medicine
            .atc
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        let name = &medicine.name;
        for (i, drug) in drugs.iter().enumerate() {
            let Some(drug) = drug else { continue };
            let a = i + 1;
            let (zh, en) = (&drug.generic_zh, &drug.generic_en);
            let same_substance = known.iter().any(|k| k.atc == drug.atc)
                || atc.is_some_and(|atc| atc.eq_ignore_ascii_case(&drug.atc));
            if same_substance {
                out.flags.push(Flag {
                    kind: FlagKind::AlreadyTaking,
                    lines: vec![i],
                    message_zh: format!("第{a}行{zh}：患者正在使用{name}，为续方，请核对剂量"),
                    message_en: format!(
                        "Line {a} {en}: the patient already takes {name}; a continuation, check the dose"
                    ),
                    source: None,
                });
                continue;
            }
            if known.iter().any(|k| k.class == drug.class) {
                let class = &drug.class;
                out.flags.push(Flag {
                    kind: FlagKind::DuplicateClass,
                    lines: vec![i],
                    message_zh: format!(
                        "第{a}行{zh}与患者正在使用的{name}同属治疗类别 {class}：请确认是否重复用药或需停用其一"
                    ),
                    message_en: format!(
                        "Line {a} {en} and {name}, which the patient already takes, are both {class}: check this is not a duplicate, or stop one"
                    ),
                    source: None,
                });
            }
            for interaction in catalogue.interactions() {
                if known.iter().any(|k| interaction.between(drug, k)) {
                    let s = interaction.severity;
                    out.flags.push(Flag {
                        kind: FlagKind::Interaction { severity: s },
                        lines: vec![i],
                        message_zh: format!(
                            "{}相互作用：第{a}行{zh}与患者正在使用的{name}：{}",
                            s.label_zh(),
                            interaction.message_zh
                        ),
                        message_en: format!(
                            "{} interaction: line {a} {en} and {name}, which the patient already takes: {}",
                            capitalised(s.label_en()),
                            interaction.message_en
                        ),
                        source: Some(interaction.cited()),
                    });
                }
            }
        }
    }
}

/// A number for messages: at most six decimals, no trailing zeros (`80`, `0.5`).
fn number(x: f64) -> String {
    let rounded = (x * 1e6).round() / 1e6;
    if rounded == 0.0 {
        return "0".to_owned();
    }
    format!("{rounded}")
}

fn plural(unit: &str, count: f64) -> String {
    if count == 1.0 {
        unit.to_owned()
    } else {
        format!("{unit}s")
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_messages_drop_float_noise() {
        assert_eq!(number(100.0), "100");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(-0.0), "0");
    }
}
