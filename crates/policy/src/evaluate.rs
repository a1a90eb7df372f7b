//! Evaluates one clause against one company's facts: period, jurisdiction, conditions, formula,
//! caps, each step traced in both languages.

use jiff::civil::Date;

use crate::clause::{
    Band, Cap, CapScope, Clause, ClauseTexts, Condition, ConditionText, FactText, Formula,
};
use crate::error::PolicyError;
use crate::facts::{FactValue, Facts};
use crate::money::Money;
use crate::trace::{Amount, Ceiling, Evaluation, History, StepKind, Text, Trace, Unmet};

/// Evaluates `clause` for `facts` on date `on`, counting `history` against its caps.
///
/// Refuses (`Err`) what no answer can be given for: the clause not in force on `on`, a company
/// outside the clause's jurisdiction (or not saying where it is), a fact of the wrong type or
/// value. A condition not met, or a fact the clause needs but not given, is an answer:
/// `eligible == false` with the reasons in `unmet`.
pub fn evaluate(
    clause: &Clause,
    facts: &Facts,
    history: &History,
    on: Date,
) -> Result<Evaluation, PolicyError> {
    if !clause.in_force_on(on) {
        return Err(PolicyError::NotInForce {
            id: clause.id.clone(),
            on,
            from: clause.effective_from,
            to: clause.effective_to,
        });
    }
    let mut trace = Trace {
        steps: Vec::with_capacity(clause.required_facts.len() + clause.conditions.len() + 6),
    };
    check_jurisdiction(clause, facts, &mut trace)?;
    for (name, text) in clause.required_facts.iter().zip(&clause.texts.facts) {
        let (Some(value), Some(def)) = (facts.get(name), clause.fact_def(name)) else {
            continue;
        };
        def.check(value)?;
        let key = match value {
            FactValue::Flag(true) => Some("true"),
            FactValue::Flag(false) => Some("false"),
            FactValue::Choice(c) => Some(c.as_str()),
            _ => None,
        };
        let line = key.and_then(|k| text.lines.iter().find(|(v, _, _)| v == k));
        let (zh, en): (Text, Text) = match line {
            Some((_, zh, en)) => (zh.clone(), en.clone()),
            None => {
                let shown = value.to_string();
                (
                    format!("{}{shown}", text.prefix_zh).into(),
                    format!("{}{shown}", text.prefix_en).into(),
                )
            }
        };
        trace.push(
            StepKind::FactUsed {
                name: text.name.clone(),
                value: value.clone(),
            },
            zh,
            en,
        );
    }

    let mut unmet = Vec::new();
    for (condition, text) in clause.conditions.iter().zip(&clause.texts.conditions) {
        let outcome = check(condition, facts);
        let held = outcome == Outcome::Held;
        let (zh, en) = if held {
            (&text.held_zh, &text.held_en)
        } else {
            (&text.failed_zh, &text.failed_en)
        };
        trace.push(
            StepKind::Condition {
                text: text.en.clone(),
                held,
            },
            zh.clone(),
            en.clone(),
        );
        match outcome {
            Outcome::Held => {}
            Outcome::Missing(fact) => unmet.push(missing(clause, &fact)),
            Outcome::NotHeld => unmet.push(Unmet {
                fact: condition
                    .facts()
                    .first()
                    .map_or_else(String::new, |f| (*f).to_owned()),
                reason_zh: text.unmet_zh.clone(),
                reason_en: text.unmet_en.clone(),
            }),
        }
    }

    let subject_key = match subject_key(clause, facts) {
        Ok(key) => key,
        Err(missing) => {
            unmet.push(missing);
            String::new()
        }
    };
    if clause.once && unmet.is_empty() {
        let year = history
            .awards
            .iter()
            .find(|a| a.clause_id == clause.id && a.subject_key == subject_key)
            .map(|a| a.year);
        if let Some(year) = year {
            unmet.push(Unmet {
                fact: "history".to_owned(),
                reason_zh: format!("一次性资助，已于{year}年就“{subject_key}”获得"),
                reason_en: format!(
                    "a one-off grant, already awarded for {subject_key:?} in {year}"
                ),
            });
        }
    }

    let mut amount = Amount::Nothing;
    if unmet.is_empty() {
        match apply(clause, &clause.formula, facts, &mut trace) {
            Ok(a) => amount = a,
            Err(u) => unmet.push(u),
        }
    }
    let eligible = unmet.is_empty();
    let mut ceiling = None;
    if eligible {
        let (capped, binding) = apply_caps(clause, amount, history, &subject_key, on, &mut trace);
        amount = capped;
        ceiling = binding;
    }
    Ok(Evaluation {
        clause_id: clause.id.clone(),
        clause_version: clause.version,
        subject: clause.subject.clone(),
        subject_key,
        eligible,
        unmet,
        amount,
        ceiling,
        trace,
    })
}

/// Holds a request for money to what the evaluation allows: refused when the company does not
/// qualify, and `AboveCap` (naming the cap and its source) when above the computed amount, the
/// on-merit maximum, or for a committee's decision the lowest cap left.
pub fn check_request(evaluation: &Evaluation, requested: Money) -> Result<(), PolicyError> {
    if !evaluation.eligible {
        return Err(PolicyError::NotEligible {
            id: evaluation.clause_id.clone(),
            unmet: evaluation
                .unmet
                .iter()
                .map(|u| u.reason_en.clone())
                .collect(),
        });
    }
    if requested.0 < 0 {
        return Err(PolicyError::InvalidFact {
            fact: "requested".to_owned(),
            reason_en: format!("{requested} is negative; an amount is at least 0"),
            reason_zh: format!("申请金额{requested}为负数"),
        });
    }
    match &evaluation.ceiling {
        Some(c) if requested > c.limit => Err(PolicyError::AboveCap {
            cap: c.cap.clone(),
            source_text: c.source.clone(),
            limit: c.limit,
            requested,
        }),
        _ => Ok(()),
    }
}

#[derive(Clone, Copy)]
enum Lang {
    Zh,
    En,
}

fn label(clause: &Clause, fact: &str, lang: Lang) -> String {
    match (clause.fact_def(fact), lang) {
        (Some(d), Lang::Zh) => d.label_zh.clone(),
        (Some(d), Lang::En) => d.label_en.clone(),
        (None, _) => fact.to_owned(),
    }
}

fn choice_label(clause: &Clause, fact: &str, value: &str, lang: Lang) -> String {
    let def = clause.fact_def(fact);
    def.and_then(|d| d.choices.iter().find(|c| c.value == value))
        .map_or_else(
            || value.to_owned(),
            |c| match lang {
                Lang::Zh => c.label_zh.clone(),
                Lang::En => c.label_en.clone(),
            },
        )
}

fn check_jurisdiction(
    clause: &Clause,
    facts: &Facts,
    trace: &mut Trace,
) -> Result<(), PolicyError> {
    let fact = clause.level.fact();
    let company = match facts.get(fact) {
        Some(FactValue::Choice(c)) => c,
        Some(other) => {
            return Err(PolicyError::InvalidFact {
                fact: fact.to_owned(),
                reason_en: format!("expected one of the listed places, got {other}"),
                reason_zh: format!("应为所列地区之一，实为“{other}”"),
            });
        }
        None => {
            return Err(PolicyError::MissingFact {
                fact: fact.to_owned(),
            });
        }
    };
    if company != &clause.jurisdiction {
        return Err(PolicyError::WrongJurisdiction {
            id: clause.id.clone(),
            clause_jurisdiction: clause.jurisdiction.clone(),
            company_jurisdiction: company.clone(),
        });
    }
    let (text, zh, en) = &clause.texts.jurisdiction;
    trace.push(
        StepKind::Condition {
            text: text.clone(),
            held: true,
        },
        zh.clone(),
        en.clone(),
    );
    Ok(())
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Held,
    NotHeld,
    Missing(String),
}

fn check(condition: &Condition, facts: &Facts) -> Outcome {
    let get = |fact: &str| facts.get(fact);
    let held = |b: bool| if b { Outcome::Held } else { Outcome::NotHeld };
    match condition {
        Condition::Is { fact, value } => match get(fact) {
            Some(FactValue::Choice(v)) => held(v == value),
            Some(_) => Outcome::NotHeld,
            None => Outcome::Missing(fact.clone()),
        },
        Condition::OneOf { fact, values } => match get(fact) {
            Some(FactValue::Choice(v)) => held(values.contains(v)),
            Some(_) => Outcome::NotHeld,
            None => Outcome::Missing(fact.clone()),
        },
        Condition::Flag { fact, value } => match get(fact) {
            Some(FactValue::Flag(v)) => held(v == value),
            Some(_) => Outcome::NotHeld,
            None => Outcome::Missing(fact.clone()),
        },
        Condition::AtLeast { fact, value } => match get(fact) {
            Some(FactValue::Money(m)) => held(m.0 >= *value),
            Some(FactValue::Count(n)) => held(n >= value),
            Some(_) => Outcome::NotHeld,
            None => Outcome::Missing(fact.clone()),
        },
        Condition::Any(cs) => {
            let outcomes: Vec<Outcome> = cs.iter().map(|c| check(c, facts)).collect();
            if outcomes.contains(&Outcome::Held) {
                Outcome::Held
            } else if outcomes.iter().all(|o| matches!(o, Outcome::Missing(_))) {
                outcomes.into_iter().next().unwrap_or(Outcome::NotHeld)
            } else {
                Outcome::NotHeld
            }
        }
        Condition::All(cs) => {
            for c in cs {
                let o = check(c, facts);
                if o != Outcome::Held {
                    return o;
                }
            }
            Outcome::Held
        }
    }
}

/// The trace texts of a clause that do not depend on amounts, written once at load.
pub(crate) fn clause_texts(clause: &Clause) -> ClauseTexts {
    let fact = clause.level.fact();
    let place_zh = choice_label(clause, fact, &clause.jurisdiction, Lang::Zh);
    let place_en = choice_label(clause, fact, &clause.jurisdiction, Lang::En);
    let jurisdiction = (
        Text::from(format!("{fact} = {}", clause.jurisdiction)),
        Text::from(format!(
            "适用地区：{place_zh}（{}）",
            clause.citation.document
        )),
        Text::from(format!("Jurisdiction: {place_en} ({})", clause.id)),
    );
    let conditions = clause
        .conditions
        .iter()
        .map(|c| {
            let (zh, en) = describe(clause, c);
            ConditionText {
                held_zh: format!("条件：{zh}：符合").into(),
                held_en: format!("Condition: {en}: met").into(),
                failed_zh: format!("条件：{zh}：不符合").into(),
                failed_en: format!("Condition: {en}: not met").into(),
                unmet_zh: format!("不符合条件：{zh}"),
                unmet_en: format!("condition not met: {en}"),
                en: en.into(),
            }
        })
        .collect();
    let facts = clause
        .required_facts
        .iter()
        .map(|name| {
            let prefix_zh = format!("{}：", label(clause, name, Lang::Zh));
            let prefix_en = format!("{}: ", label(clause, name, Lang::En));
            let mut lines: Vec<(String, Text, Text)> = Vec::new();
            if let Some(def) = clause.fact_def(name) {
                match def.kind {
                    crate::facts::FactKind::Flag => {
                        for (v, zh, en) in [("true", "是", "yes"), ("false", "否", "no")] {
                            lines.push((
                                v.to_owned(),
                                format!("{prefix_zh}{zh}").into(),
                                format!("{prefix_en}{en}").into(),
                            ));
                        }
                    }
                    crate::facts::FactKind::Choice => {
                        for c in &def.choices {
                            lines.push((
                                c.value.clone(),
                                format!("{prefix_zh}{}", c.label_zh).into(),
                                format!("{prefix_en}{}", c.label_en).into(),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            FactText {
                name: Text::from(name.as_str()),
                prefix_zh,
                prefix_en,
                lines,
            }
        })
        .collect();
    ClauseTexts {
        jurisdiction,
        conditions,
        facts,
    }
}

fn describe(clause: &Clause, condition: &Condition) -> (String, String) {
    match condition {
        Condition::Is { fact, value } => (
            format!(
                "{}为“{}”",
                label(clause, fact, Lang::Zh),
                choice_label(clause, fact, value, Lang::Zh)
            ),
            format!(
                "{} is {}",
                label(clause, fact, Lang::En),
                choice_label(clause, fact, value, Lang::En)
            ),
        ),
        Condition::OneOf { fact, values } => {
            let zh: Vec<String> = values
                .iter()
                .map(|v| choice_label(clause, fact, v, Lang::Zh))
                .collect();
            let en: Vec<String> = values
                .iter()
                .map(|v| choice_label(clause, fact, v, Lang::En))
                .collect();
            (
                format!("{}为{}之一", label(clause, fact, Lang::Zh), zh.join("、")),
                format!(
                    "{} is one of: {}",
                    label(clause, fact, Lang::En),
                    en.join(", ")
                ),
            )
        }
        Condition::Flag { fact, value } => (
            format!(
                "{}：{}",
                label(clause, fact, Lang::Zh),
                if *value { "是" } else { "否" }
            ),
            format!(
                "{}: {}",
                label(clause, fact, Lang::En),
                if *value { "yes" } else { "no" }
            ),
        ),
        Condition::AtLeast { fact, value } => {
            let shown = match clause.fact_def(fact).map(|d| d.kind) {
                Some(crate::facts::FactKind::Money) => Money(*value).to_string(),
                _ => value.to_string(),
            };
            (
                format!("{}不低于{shown}", label(clause, fact, Lang::Zh)),
                format!("{} at least {shown}", label(clause, fact, Lang::En)),
            )
        }
        Condition::Any(cs) | Condition::All(cs) => {
            let parts: Vec<(String, String)> = cs.iter().map(|c| describe(clause, c)).collect();
            let (sep_zh, sep_en) = if matches!(condition, Condition::Any(_)) {
                ("，或", " or ")
            } else {
                ("，且", " and ")
            };
            (
                format!(
                    "（{}）",
                    parts
                        .iter()
                        .map(|p| p.0.as_str())
                        .collect::<Vec<_>>()
                        .join(sep_zh)
                ),
                format!(
                    "({})",
                    parts
                        .iter()
                        .map(|p| p.1.as_str())
                        .collect::<Vec<_>>()
                        .join(sep_en)
                ),
            )
        }
    }
}

fn missing(clause: &Clause, fact: &str) -> Unmet {
    Unmet {
        fact: fact.to_owned(),
        reason_zh: format!("未提供“{}”", label(clause, fact, Lang::Zh)),
        reason_en: format!("{} was not given", label(clause, fact, Lang::En)),
    }
}

/// The subject key: the key facts' values joined by `/`; `company` when the clause funds the
/// company as a whole.
fn subject_key(clause: &Clause, facts: &Facts) -> Result<String, Unmet> {
    if clause.subject_key.is_empty() {
        return Ok("company".to_owned());
    }
    let mut parts = Vec::with_capacity(clause.subject_key.len());
    for fact in &clause.subject_key {
        match facts.get(fact) {
            Some(v) => parts.push(v.key_text()),
            None => return Err(missing(clause, fact)),
        }
    }
    Ok(parts.join("/"))
}

fn money_fact(clause: &Clause, facts: &Facts, fact: &str) -> Result<Money, Unmet> {
    match facts.get(fact) {
        Some(FactValue::Money(m)) => Ok(*m),
        _ => Err(missing(clause, fact)),
    }
}

fn number_fact(clause: &Clause, facts: &Facts, fact: &str) -> Result<i64, Unmet> {
    match facts.get(fact) {
        Some(FactValue::Money(m)) => Ok(m.0),
        Some(FactValue::Count(n)) => Ok(*n),
        _ => Err(missing(clause, fact)),
    }
}

/// Cuts `value` to the formula's own maximum, tracing the cut.
fn per_award_max(clause: &Clause, value: Money, max: Option<Money>, trace: &mut Trace) -> Money {
    match max {
        Some(max) if value > max => {
            trace.push(
                StepKind::CapCut {
                    cap: format!("{}/max", clause.id),
                    source: source_text(clause),
                    before: value,
                    after: max,
                },
                format!("本项最高{max}：{value}减至{max}"),
                format!("this clause's maximum of {max}: {value} cut to {max}"),
            );
            max
        }
        _ => value,
    }
}

fn source_text(clause: &Clause) -> String {
    format!(
        "{} {}",
        clause.citation.source.citation, clause.citation.source.section
    )
}

fn apply(
    clause: &Clause,
    formula: &Formula,
    facts: &Facts,
    trace: &mut Trace,
) -> Result<Amount, Unmet> {
    match formula {
        Formula::Fixed(m) => {
            trace.push(
                StepKind::Formula {
                    text: format!("fixed {m}"),
                    value: *m,
                },
                format!("定额资助{m}"),
                format!("fixed grant of {m}"),
            );
            Ok(Amount::Exact(*m))
        }
        Formula::UpTo { max, from } => {
            trace.push(
                StepKind::Formula {
                    text: format!("up to {max}"),
                    value: *max,
                },
                match from {
                    Some(f) => format!("择优支持{f}至{max}，最高{max}"),
                    None => format!("择优支持，最高{max}"),
                },
                match from {
                    Some(f) => format!("on merit, {f} to {max}: at most {max}"),
                    None => format!("on merit, at most {max}"),
                },
            );
            Ok(Amount::UpTo(*max))
        }
        Formula::Ratio { of, ratio, max } => {
            let base = money_fact(clause, facts, of)?;
            let value = base.times(*ratio);
            trace.push(
                StepKind::Formula {
                    text: format!("{ratio} × {of} {base}"),
                    value,
                },
                format!("{} {base} × {ratio} = {value}", label(clause, of, Lang::Zh)),
                format!(
                    "{ratio} of {} {base} = {value}",
                    label(clause, of, Lang::En)
                ),
            );
            Ok(Amount::Exact(per_award_max(clause, value, *max, trace)))
        }
        Formula::RatioUpTo {
            of,
            ratio,
            from,
            max,
        } => {
            let base = money_fact(clause, facts, of)?;
            let value = base.times(*ratio);
            trace.push(
                StepKind::Formula {
                    text: format!("up to {ratio} × {of} {base}"),
                    value,
                },
                format!(
                    "择优，最高按{} {base} × {ratio} = {value}",
                    label(clause, of, Lang::Zh)
                ),
                format!(
                    "on merit, at most {ratio} of {} {base} = {value}",
                    label(clause, of, Lang::En)
                ),
            );
            if let Some(low) = from {
                let low_value = base.times(*low);
                trace.push(
                    StepKind::Note,
                    format!("比例下限{low}，即{low_value}"),
                    format!("the stated lower ratio is {low}, i.e. {low_value}"),
                );
            }
            Ok(Amount::UpTo(per_award_max(clause, value, *max, trace)))
        }
        Formula::Each { per, each, max } => {
            let n = number_fact(clause, facts, per)?;
            let value = each.times_count(n);
            trace.push(
                StepKind::Formula {
                    text: format!("{each} × {per} {n}"),
                    value,
                },
                format!("{} {n} × {each} = {value}", label(clause, per, Lang::Zh)),
                format!("{each} × {} {n} = {value}", label(clause, per, Lang::En)),
            );
            Ok(Amount::Exact(per_award_max(clause, value, *max, trace)))
        }
        Formula::ByChoice { fact, options } => {
            let value = match facts.get(fact) {
                Some(FactValue::Choice(v)) => v,
                _ => return Err(missing(clause, fact)),
            };
            match options.iter().find(|(v, _)| v == value) {
                Some((_, inner)) => apply(clause, inner, facts, trace),
                None => {
                    let listed: Vec<String> = options
                        .iter()
                        .map(|(v, _)| choice_label(clause, fact, v, Lang::Zh))
                        .collect();
                    let listed_en: Vec<String> = options
                        .iter()
                        .map(|(v, _)| choice_label(clause, fact, v, Lang::En))
                        .collect();
                    Err(Unmet {
                        fact: fact.clone(),
                        reason_zh: format!(
                            "{}为“{}”，本条仅支持：{}",
                            label(clause, fact, Lang::Zh),
                            choice_label(clause, fact, value, Lang::Zh),
                            listed.join("、")
                        ),
                        reason_en: format!(
                            "{} is {}; the clause funds only: {}",
                            label(clause, fact, Lang::En),
                            choice_label(clause, fact, value, Lang::En),
                            listed_en.join(", ")
                        ),
                    })
                }
            }
        }
        Formula::Bands { on, bands } => {
            let value = number_fact(clause, facts, on)?;
            let is_money = matches!(facts.get(on), Some(FactValue::Money(_)));
            let show_n = |n: i64| {
                if is_money {
                    Money(n).to_string()
                } else {
                    n.to_string()
                }
            };
            match bands.iter().find(|b| in_band(b, value)) {
                Some(band) => {
                    let range = band_text(band, &show_n);
                    trace.push(
                        StepKind::Condition {
                            text: format!("{on} {} in {}", show_n(value), range.1).into(),
                            held: true,
                        },
                        format!(
                            "{} {} 属于档次“{}”",
                            label(clause, on, Lang::Zh),
                            show_n(value),
                            range.0
                        ),
                        format!(
                            "{} {} is in the band {}",
                            label(clause, on, Lang::En),
                            show_n(value),
                            range.1
                        ),
                    );
                    apply(clause, &band.formula, facts, trace)
                }
                None => {
                    let ranges: Vec<(String, String)> =
                        bands.iter().map(|b| band_text(b, &show_n)).collect();
                    Err(Unmet {
                        fact: on.clone(),
                        reason_zh: format!(
                            "{} {} 不在支持档次内：{}",
                            label(clause, on, Lang::Zh),
                            show_n(value),
                            ranges
                                .iter()
                                .map(|r| r.0.as_str())
                                .collect::<Vec<_>>()
                                .join("；")
                        ),
                        reason_en: format!(
                            "{} {} is in no funded band: {}",
                            label(clause, on, Lang::En),
                            show_n(value),
                            ranges
                                .iter()
                                .map(|r| r.1.as_str())
                                .collect::<Vec<_>>()
                                .join("; ")
                        ),
                    })
                }
            }
        }
        Formula::Committee { floor } => {
            trace.push(
                StepKind::Note,
                match floor {
                    Some(f) => format!("专项/一事一议，由评审委员会决定；每个方向不少于{f}（不是企业金额）"),
                    None => "一事一议，由评审委员会决定金额".to_owned(),
                },
                match floor {
                    Some(f) => format!("a programme decided by a committee; at least {f} per direction (not a company amount)"),
                    None => "case by case: a committee decides the amount".to_owned(),
                },
            );
            Ok(Amount::Committee)
        }
        Formula::NotStated => {
            trace.push(
                StepKind::Note,
                clause
                    .note_zh
                    .clone()
                    .unwrap_or_else(|| "原文未规定金额，由实施细则确定".to_owned()),
                clause.note_en.clone().unwrap_or_else(|| {
                    "the text states no amount; the implementing measures will".to_owned()
                }),
            );
            Ok(Amount::NotStated)
        }
    }
}

pub(crate) fn in_band(band: &Band, value: i64) -> bool {
    band.from.is_none_or(|f| value >= f) && band.to.is_none_or(|t| value <= t)
}

fn band_text(band: &Band, show: &dyn Fn(i64) -> String) -> (String, String) {
    match (band.from, band.to) {
        (Some(f), Some(t)) => (
            format!("{}以上、{}以下", show(f), show(t)),
            format!("{} to {}", show(f), show(t)),
        ),
        (Some(f), None) => (format!("{}以上", show(f)), format!("{} or more", show(f))),
        (None, Some(t)) => (format!("{}以下", show(t)), format!("up to {}", show(t))),
        (None, None) => ("任意".to_owned(), "any".to_owned()),
    }
}

/// What past awards count against `cap` for this evaluation.
pub(crate) fn used_under(cap: &Cap, history: &History, subject_key: &str, year: i16) -> Money {
    let total: i64 = history
        .awards
        .iter()
        .filter(|a| cap.covers(&a.clause_id))
        .filter(|a| match cap.scope {
            CapScope::CompanyYear => a.year == year,
            CapScope::Company => true,
            CapScope::Subject => a.subject_key == subject_key,
        })
        .map(|a| a.amount.0)
        .fold(0i64, i64::saturating_add);
    Money(total)
}

fn apply_caps(
    clause: &Clause,
    amount: Amount,
    history: &History,
    subject_key: &str,
    on: Date,
    trace: &mut Trace,
) -> (Amount, Option<Ceiling>) {
    let year = on.year();
    let mut value = amount.maximum();
    let mut ceiling: Option<Ceiling> = value.map(|v| Ceiling {
        limit: v,
        cap: trace
            .caps_applied()
            .last()
            .map_or_else(|| format!("{}/amount", clause.id), |c| (*c).to_owned()),
        source: source_text(clause),
    });
    for cap in &clause.caps {
        let used = used_under(cap, history, subject_key, year);
        let left = cap.limit.remaining_after(used);
        match value {
            Some(v) if v > left => {
                trace.push(
                    StepKind::CapCut {
                        cap: cap.id.clone(),
                        source: cap.source_text(),
                        before: v,
                        after: left,
                    },
                    format!(
                        "{}{}，已获{used}，尚余{left}：{v}减至{left}",
                        cap.name_zh, cap.limit
                    ),
                    format!(
                        "{} of {}, {used} already granted, {left} left: {v} cut to {left}",
                        cap.name_en, cap.limit
                    ),
                );
                value = Some(left);
                ceiling = Some(Ceiling {
                    limit: left,
                    cap: cap.id.clone(),
                    source: cap.source_text(),
                });
            }
            Some(_) => {}
            None => {
                trace.push(
                    StepKind::Note,
                    format!("{}{}，已获{used}，尚余{left}", cap.name_zh, cap.limit),
                    format!(
                        "{} of {}, {used} already granted, {left} left",
                        cap.name_en, cap.limit
                    ),
                );
                if ceiling.as_ref().is_none_or(|c| left < c.limit) {
                    ceiling = Some(Ceiling {
                        limit: left,
                        cap: cap.id.clone(),
                        source: cap.source_text(),
                    });
                }
            }
        }
    }
    let amount = match (amount, value) {
        (Amount::Exact(_), Some(v)) => Amount::Exact(v),
        (Amount::UpTo(_), Some(v)) => Amount::UpTo(v),
        (other, _) => other,
    };
    (amount, ceiling)
}
