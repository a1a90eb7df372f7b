//! A disease template: parsed from TOML, checked, and applied to readings and dates.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::catalogue::TemplateError;
use crate::code::{CodeSystem, Icd10Code, InclusionRule, MatchReason, ParsedCode, SctId};
use crate::element::{Element, Measurements, Plausible, Quantity, UnitConversion, ValueError};
use crate::followup::{FollowUpPlan, NextFollowUp};
use crate::indicator::{CountDef, Indicator};
use crate::measure::{CountMeasure, MeasureKind};
use crate::rule::{
    Combine, Condition, Control, ControlBand, ControlStatus, DangerRule, DangerSign, Target,
};
use kernel::{Citation, Source, Sourced};

/// The standard for one disease. Built only by [`crate::Catalogue`], so every template in use
/// has passed the checks in this module.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    /// Stable code, e.g. `hypertension`; also the file name without `.toml`.
    pub code: String,
    /// Chinese name, e.g. 高血压.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    file: String,
    citations: Vec<Citation>,
    inclusion: Vec<InclusionRule>,
    elements: Vec<Element>,
    followup: FollowUpPlan,
    control: Control,
    danger_rules: Vec<DangerRule>,
    counts: Vec<CountDef>,
    indicators: Vec<Indicator>,
}

impl Template {
    /// The file the template was read from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Documents the template cites: its own, then those of the shared element dictionary
    /// that its elements use.
    pub fn citations(&self) -> &[Citation] {
        &self.citations
    }

    /// The citation with this id.
    pub fn citation(&self, id: &str) -> Option<&Citation> {
        self.citations.iter().find(|c| c.id == id)
    }

    /// Case-finding rules.
    pub fn inclusion(&self) -> &[InclusionRule] {
        &self.inclusion
    }

    /// Data elements in form order.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// The element with this key.
    pub fn element(&self, key: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.key == key)
    }

    /// The element an Observation with this LOINC code fills.
    pub fn element_for_loinc(&self, loinc: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.has_loinc(loinc))
    }

    /// Checks a reading for element `key` and converts it to the canonical unit.
    pub fn validate_value(
        &self,
        key: &str,
        value: f64,
        unit: &str,
    ) -> Result<Quantity, ValueError> {
        self.element(key)
            .ok_or_else(|| ValueError::UnknownElement {
                template: self.code.clone(),
                key: key.to_owned(),
            })?
            .validate(value, unit)
    }

    /// Control targets.
    pub fn control(&self) -> &Control {
        &self.control
    }

    /// Whether readings (canonical units) meet the targets for a patient of this age.
    pub fn is_controlled(&self, m: &Measurements, age_years: u32) -> ControlStatus {
        self.control.judge(m, age_years, |k| self.display_unit(k))
    }

    /// Danger rules.
    pub fn danger_rules(&self) -> &[DangerRule] {
        &self.danger_rules
    }

    /// Danger signs the readings show, in rule order; empty when none (or none measurable).
    pub fn danger_signs(&self, m: &Measurements) -> Vec<DangerSign> {
        self.danger_rules
            .iter()
            .filter_map(|r| r.check(m, |k| self.display_unit(k)))
            .collect()
    }

    /// Follow-up plan.
    pub fn followup(&self) -> &FollowUpPlan {
        &self.followup
    }

    /// The next visit: one interval after the last visit, or after enrolment if none yet.
    pub fn next_followup(
        &self,
        last_visit: Option<Date>,
        enrolled: Date,
        today: Date,
    ) -> NextFollowUp {
        self.followup.next(last_visit, enrolled, today)
    }

    /// Counts the indicators are computed from.
    pub fn counts(&self) -> &[CountDef] {
        &self.counts
    }

    /// Quality indicators.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// The indicator with this key.
    pub fn indicator(&self, key: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.key == key)
    }

    /// Every sourced figure with its field path, e.g. `control.bands[0].targets[0]`. Used to
    /// list unconfirmed figures for review.
    pub fn sources(&self) -> Vec<(String, &Source)> {
        let mut out = Vec::new();
        for (i, r) in self.inclusion.iter().enumerate() {
            out.push((format!("inclusion[{i}]"), r.source()));
        }
        for e in &self.elements {
            out.push((format!("elements.{}.plausible", e.key), &e.plausible.source));
            for a in &e.alternatives {
                out.push((
                    format!("elements.{}.alternatives.{}", e.key, a.unit),
                    &a.source,
                ));
            }
        }
        let f = &self.followup;
        out.push(("followup.interval_days".into(), &f.interval_days.source));
        out.push(("followup.grace_days".into(), &f.grace_days.source));
        out.push((
            "followup.min_visits_per_year".into(),
            &f.min_visits_per_year.source,
        ));
        for (b, band) in self.control.bands.iter().enumerate() {
            let path = format!("control.bands[{b}]");
            if let Some(m) = &band.min_age {
                out.push((format!("{path}.min_age"), &m.source));
            }
            if let Some(m) = &band.max_age {
                out.push((format!("{path}.max_age"), &m.source));
            }
            for (t, target) in band.targets.iter().enumerate() {
                out.push((format!("{path}.targets[{t}]"), &target.condition.source));
            }
        }
        for (d, rule) in self.danger_rules.iter().enumerate() {
            for (w, c) in rule.when.iter().enumerate() {
                out.push((format!("danger_signs[{d}].when[{w}]"), &c.source));
            }
        }
        for (i, c) in self.counts.iter().enumerate() {
            if let Some(m) = &c.measure {
                out.push((format!("counts[{i}].measure"), m.source()));
            }
        }
        for (i, ind) in self.indicators.iter().enumerate() {
            out.push((format!("indicators[{i}]"), &ind.citation));
        }
        out
    }

    /// The counts measured from arriving records, with their rules.
    pub fn measured_counts(&self) -> impl Iterator<Item = (&CountDef, &CountMeasure)> {
        self.counts
            .iter()
            .filter_map(|c| c.measure.as_ref().map(|m| (c, m)))
    }

    /// The count measured by a rule of this kind, if the template has one.
    pub fn measured_count(&self, kind: MeasureKind) -> Option<(&CountDef, &CountMeasure)> {
        self.measured_counts().find(|(_, m)| m.kind() == kind)
    }

    /// The target a result of `key` is judged by when a count is measured from results: the
    /// control target for it, which the loader checks is the same in every band.
    pub fn result_target(&self, key: &str) -> Option<&Condition> {
        self.control.target_for(key)
    }

    /// Whether a parsed code brings a patient into this registry, and why.
    pub(crate) fn matches(
        &self,
        system: &str,
        given: &str,
        code: &ParsedCode,
    ) -> Option<MatchReason> {
        self.inclusion.iter().find_map(|rule| {
            let (zh, en) = rule.explain(code, given, &self.name_zh, &self.name_en)?;
            Some(MatchReason {
                system: system.to_owned(),
                code: given.to_owned(),
                rule: rule.text(),
                explanation_zh: zh,
                explanation_en: en,
            })
        })
    }

    fn display_unit(&self, key: &str) -> String {
        self.element(key)
            .map(|e| e.display_unit.clone())
            .unwrap_or_default()
    }
}

// ---- the files as written ------------------------------------------------------------------

/// `elements.toml`: citations and element definitions shared by all templates.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDictionary {
    citations: Vec<Citation>,
    elements: Vec<RawElement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElement {
    key: String,
    name_zh: String,
    name_en: String,
    #[serde(default)]
    loinc: Option<String>,
    #[serde(default)]
    also_loinc: Vec<String>,
    unit: String,
    #[serde(default)]
    display_unit: Option<String>,
    #[serde(default)]
    unit_aliases: Vec<String>,
    #[serde(default)]
    alternatives: Vec<UnitConversion>,
    #[serde(default)]
    integer: bool,
    plausible: Plausible,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    code: String,
    name_zh: String,
    name_en: String,
    citations: Vec<Citation>,
    inclusion: Vec<RawInclusion>,
    elements: Vec<RawElementRef>,
    followup: RawFollowUp,
    control: RawControl,
    #[serde(default)]
    danger_signs: Vec<RawDanger>,
    counts: Vec<CountDef>,
    indicators: Vec<RawIndicator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInclusion {
    system: CodeSystem,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    concepts: Vec<crate::code::SnomedConcept>,
    source: Source,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElementRef {
    key: String,
    #[serde(default)]
    at_followup: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFollowUp {
    interval_days: Sourced<u32>,
    grace_days: Sourced<u32>,
    min_visits_per_year: Sourced<u32>,
    standard_zh: String,
    standard_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    #[serde(default)]
    combine: Combine,
    bands: Vec<RawBand>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    key: String,
    label_zh: String,
    label_en: String,
    #[serde(default)]
    min_age: Option<Sourced<u32>>,
    #[serde(default)]
    max_age: Option<Sourced<u32>>,
    targets: Vec<RawTarget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    key: String,
    #[serde(default)]
    lt: Option<f64>,
    #[serde(default)]
    le: Option<f64>,
    #[serde(default)]
    gt: Option<f64>,
    #[serde(default)]
    ge: Option<f64>,
    #[serde(default)]
    optional: bool,
    source: Source,
}

fn any() -> Combine {
    Combine::Any
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDanger {
    key: String,
    message_zh: String,
    message_en: String,
    #[serde(default = "any")]
    combine: Combine,
    when: Vec<Condition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    key: String,
    name_zh: String,
    name_en: String,
    numerator: String,
    denominator: String,
    citation: Source,
}

// ---- checks --------------------------------------------------------------------------------

/// Names the file in every error.
struct Check<'a> {
    file: &'a str,
}

impl Check<'_> {
    fn fail(&self, field: impl Into<String>, reason: impl Into<String>) -> TemplateError {
        TemplateError::Invalid {
            file: self.file.to_owned(),
            field: field.into(),
            reason: reason.into(),
        }
    }

    fn ensure(
        &self,
        ok: bool,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Result<(), TemplateError> {
        if ok {
            Ok(())
        } else {
            Err(self.fail(field, reason))
        }
    }

    fn text(&self, field: &str, value: &str) -> Result<(), TemplateError> {
        self.ensure(!value.trim().is_empty(), field, "must not be empty")
    }

    fn key(&self, field: &str, value: &str) -> Result<(), TemplateError> {
        let ok = !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        self.ensure(
            ok,
            field,
            format!("`{value}` must be lower-case letters, digits and _"),
        )
    }

    fn citations(&self, citations: &[Citation], field: &str) -> Result<(), TemplateError> {
        for (i, c) in citations.iter().enumerate() {
            let path = format!("{field}[{i}]");
            self.text(&format!("{path}.id"), &c.id)?;
            self.text(&format!("{path}.title"), &c.title)?;
            self.text(&format!("{path}.source"), &c.source)?;
            self.text(&format!("{path}.section"), &c.section)?;
            self.ensure(
                !citations[..i].iter().any(|o| o.id == c.id),
                format!("{path}.id"),
                format!("citation `{}` is listed twice", c.id),
            )?;
        }
        Ok(())
    }

    /// A source must cite a listed document and explain itself when unconfirmed.
    fn source(&self, field: &str, s: &Source, citations: &[Citation]) -> Result<(), TemplateError> {
        self.ensure(
            citations.iter().any(|c| c.id == s.citation),
            format!("{field}.source.citation"),
            format!("cites `{}`, which is not in the citations", s.citation),
        )?;
        self.text(&format!("{field}.source.section"), &s.section)?;
        self.ensure(
            s.confirmed || s.note.as_deref().is_some_and(|n| !n.trim().is_empty()),
            format!("{field}.source.note"),
            "an unconfirmed figure needs a note saying why",
        )
    }

    /// A measured count: its name says its kind, one count of each kind per template (the
    /// registry keeps one fact of each on an enrolment), and the rule names elements, codes
    /// and a target that exist.
    fn measure(
        &self,
        path: &str,
        count: &CountDef,
        earlier: &[CountDef],
        control: &Control,
        elements: &[Element],
        citations: &[Citation],
    ) -> Result<(), TemplateError> {
        let named = MeasureKind::of_count(&count.name);
        let Some(measure) = &count.measure else {
            return match named {
                Some(kind) => Err(self.fail(
                    format!("{path}.measure"),
                    format!(
                        "a count named `…{}` is measured from arriving records: give its rule",
                        kind.suffix()
                    ),
                )),
                None => Ok(()),
            };
        };
        let path = format!("{path}.measure");
        let kind = measure.kind();
        self.ensure(
            named == Some(kind),
            format!("{path}.rule"),
            format!(
                "the count `{}` must be named `…{}` to be measured by this rule",
                count.name,
                kind.suffix()
            ),
        )?;
        self.ensure(
            !earlier
                .iter()
                .any(|o| o.measure.as_ref().is_some_and(|m| m.kind() == kind)),
            format!("{path}.rule"),
            "another count of this template is measured by the same rule",
        )?;
        self.source(&path, measure.source(), citations)?;
        let element = |field: String, key: &str| -> Result<&Element, TemplateError> {
            elements.iter().find(|e| e.key == key).ok_or_else(|| {
                self.fail(field, format!("`{key}` is not an element of this template"))
            })
        };
        let with_loinc = |field: String, e: &Element| {
            self.ensure(
                e.loinc.is_some(),
                field,
                format!(
                    "`{}` has no LOINC code, so no result of it can arrive",
                    e.key
                ),
            )
        };
        match measure {
            CountMeasure::LatestResultAtTarget { element: key, .. } => {
                let field = format!("{path}.element");
                with_loinc(field.clone(), element(field.clone(), key)?)?;
                self.ensure(
                    control.target_for(key).is_some(),
                    field,
                    format!(
                        "every control band must give `{key}` one and the same target to judge results by"
                    ),
                )?;
            }
            CountMeasure::ExaminationInYear {
                elements: keys,
                loinc,
                procedures,
                ..
            } => {
                self.ensure(
                    !(keys.is_empty() && loinc.is_empty() && procedures.is_empty()),
                    &path,
                    "list the elements, LOINC codes or procedures that are the examination",
                )?;
                for (j, key) in keys.iter().enumerate() {
                    let field = format!("{path}.elements[{j}]");
                    with_loinc(field.clone(), element(field, key)?)?;
                }
                for (j, code) in loinc.iter().enumerate() {
                    let field = format!("{path}.loinc[{j}]");
                    self.ensure(
                        loinc_valid(&code.code),
                        format!("{field}.code"),
                        format!("`{}` is not a LOINC code (check digit)", code.code),
                    )?;
                    self.text(&format!("{field}.display"), &code.display)?;
                }
                for (j, c) in procedures.iter().enumerate() {
                    let field = format!("{path}.procedures[{j}]");
                    SctId::parse(&c.id).map_err(|e| self.fail(format!("{field}.id"), e))?;
                    self.text(&format!("{field}.display"), &c.display)?;
                }
            }
            CountMeasure::AssessmentAtFollowup { element: key, .. } => {
                element(format!("{path}.element"), key)?;
            }
        }
        Ok(())
    }

    fn finite(&self, field: &str, v: f64) -> Result<(), TemplateError> {
        self.ensure(v.is_finite(), field, "must be a finite number")
    }

    /// Bounds that make sense and lie in the element's plausible range (a threshold outside it
    /// is almost always a unit mistake, e.g. glucose written in mg/dL).
    fn condition(
        &self,
        field: &str,
        c: &Condition,
        elements: &[Element],
    ) -> Result<(), TemplateError> {
        let element = elements.iter().find(|e| e.key == c.key).ok_or_else(|| {
            self.fail(
                format!("{field}.key"),
                format!("`{}` is not an element of this template", c.key),
            )
        })?;
        self.ensure(
            !(c.lt.is_some() && c.le.is_some()),
            field,
            "give at most one of lt and le",
        )?;
        self.ensure(
            !(c.gt.is_some() && c.ge.is_some()),
            field,
            "give at most one of gt and ge",
        )?;
        let lower = c.gt.or(c.ge);
        let upper = c.lt.or(c.le);
        self.ensure(
            lower.is_some() || upper.is_some(),
            field,
            "needs a bound (lt, le, gt or ge)",
        )?;
        let Plausible { low, high, .. } = element.plausible;
        for (name, bound) in [("lt", c.lt), ("le", c.le), ("gt", c.gt), ("ge", c.ge)] {
            if let Some(b) = bound {
                let path = format!("{field}.{name}");
                self.finite(&path, b)?;
                self.ensure(
                    (low..=high).contains(&b),
                    &path,
                    format!(
                        "{b} lies outside {}'s plausible range {low}–{high} {}",
                        c.key, element.unit
                    ),
                )?;
            }
        }
        if let (Some(l), Some(u)) = (lower, upper) {
            self.ensure(l < u, field, "lower bound must be below upper bound")?;
        }
        Ok(())
    }
}

/// Checks the shared dictionary and resolves its elements (not yet bound to a template).
pub(crate) fn dictionary(
    file: &str,
    text: &str,
) -> Result<(Vec<Citation>, Vec<Element>), TemplateError> {
    let raw: RawDictionary = toml::from_str(text).map_err(|e| TemplateError::Syntax {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    let check = Check { file };
    check.citations(&raw.citations, "citations")?;
    let mut elements: Vec<Element> = Vec::with_capacity(raw.elements.len());
    for (i, e) in raw.elements.into_iter().enumerate() {
        let path = format!("elements[{i}]");
        check.key(&format!("{path}.key"), &e.key)?;
        check.ensure(
            !elements.iter().any(|o| o.key == e.key),
            format!("{path}.key"),
            format!("element `{}` is defined twice", e.key),
        )?;
        check.text(&format!("{path}.name_zh"), &e.name_zh)?;
        check.text(&format!("{path}.name_en"), &e.name_en)?;
        check.text(&format!("{path}.unit"), &e.unit)?;
        for code in e.loinc.iter().chain(&e.also_loinc) {
            check.ensure(
                loinc_valid(code),
                format!("{path}.loinc"),
                format!("`{code}` is not a LOINC code (digits, hyphen, mod-10 check digit)"),
            )?;
        }
        let p = &e.plausible;
        check.finite(&format!("{path}.plausible.low"), p.low)?;
        check.finite(&format!("{path}.plausible.high"), p.high)?;
        check.ensure(
            p.low < p.high,
            format!("{path}.plausible"),
            "low must be below high",
        )?;
        check.source(&format!("{path}.plausible"), &p.source, &raw.citations)?;
        let mut spellings: Vec<&str> = std::iter::once(e.unit.as_str())
            .chain(e.unit_aliases.iter().map(String::as_str))
            .collect();
        for (j, a) in e.alternatives.iter().enumerate() {
            let apath = format!("{path}.alternatives[{j}]");
            check.text(&format!("{apath}.unit"), &a.unit)?;
            for (name, v) in [
                ("factor", a.factor),
                ("divisor", a.divisor),
                ("offset", a.offset),
            ] {
                check.finite(&format!("{apath}.{name}"), v)?;
            }
            check.ensure(
                a.factor != 0.0,
                format!("{apath}.factor"),
                "must not be zero",
            )?;
            check.ensure(
                a.divisor != 0.0,
                format!("{apath}.divisor"),
                "must not be zero",
            )?;
            check.source(&apath, &a.source, &raw.citations)?;
            spellings.push(&a.unit);
            spellings.extend(a.aliases.iter().map(String::as_str));
        }
        // Unit matching ignores case, so two spellings equal but for case would be ambiguous.
        for (j, s) in spellings.iter().enumerate() {
            check.ensure(
                !spellings[..j].iter().any(|o| o.eq_ignore_ascii_case(s)),
                format!("{path}.alternatives"),
                format!("unit spelling `{s}` appears twice (ignoring case)"),
            )?;
        }
        elements.push(Element {
            display_unit: e.display_unit.unwrap_or_else(|| e.unit.clone()),
            key: e.key,
            name_zh: e.name_zh,
            name_en: e.name_en,
            loinc: e.loinc,
            also_loinc: e.also_loinc,
            unit: e.unit,
            unit_aliases: e.unit_aliases,
            alternatives: e.alternatives,
            plausible: e.plausible,
            integer: e.integer,
            required_at_followup: false,
        });
    }
    Ok((raw.citations, elements))
}

/// LOINC codes end in a check digit computed with the mod-10 (Luhn) algorithm.
fn loinc_valid(code: &str) -> bool {
    let Some((body, check)) = code.split_once('-') else {
        return false;
    };
    if body.is_empty() || body.len() > 7 || check.len() != 1 {
        return false;
    }
    let digits: Option<Vec<u32>> = body
        .chars()
        .chain(check.chars())
        .map(|c| c.to_digit(10))
        .collect();
    let Some(digits) = digits else {
        return false;
    };
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// Parses and checks one template against the dictionary.
pub(crate) fn parse(
    file: &str,
    text: &str,
    dictionary_citations: &[Citation],
    dictionary: &[Element],
) -> Result<Template, TemplateError> {
    let raw: RawTemplate = toml::from_str(text).map_err(|e| TemplateError::Syntax {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    let check = Check { file };
    check.key("code", &raw.code)?;
    check.text("name_zh", &raw.name_zh)?;
    check.text("name_en", &raw.name_en)?;
    check.citations(&raw.citations, "citations")?;
    for (i, c) in raw.citations.iter().enumerate() {
        check.ensure(
            !dictionary_citations.iter().any(|d| d.id == c.id),
            format!("citations[{i}].id"),
            format!("`{}` is already a citation of the element dictionary", c.id),
        )?;
    }

    // Elements first: everything else refers to them.
    check.ensure(
        !raw.elements.is_empty(),
        "elements",
        "list at least one element",
    )?;
    let mut elements: Vec<Element> = Vec::with_capacity(raw.elements.len());
    for (i, r) in raw.elements.iter().enumerate() {
        let field = format!("elements[{i}].key");
        let mut element = dictionary
            .iter()
            .find(|e| e.key == r.key)
            .cloned()
            .ok_or_else(|| {
                check.fail(
                    &field,
                    format!("`{}` is not defined in the element dictionary", r.key),
                )
            })?;
        check.ensure(
            !elements.iter().any(|e| e.key == r.key),
            &field,
            format!("`{}` is listed twice", r.key),
        )?;
        element.required_at_followup = r.at_followup;
        elements.push(element);
    }
    // The template's citation list gains the dictionary citations its elements rely on, so
    // every source in a template resolves within that template.
    let mut citations = raw.citations;
    for d in dictionary_citations {
        let used = elements.iter().any(|e| {
            e.plausible.source.citation == d.id
                || e.alternatives.iter().any(|a| a.source.citation == d.id)
        });
        if used {
            citations.push(d.clone());
        }
    }

    check.ensure(
        !raw.inclusion.is_empty(),
        "inclusion",
        "list at least one inclusion rule",
    )?;
    let mut inclusion = Vec::with_capacity(raw.inclusion.len());
    for (i, r) in raw.inclusion.into_iter().enumerate() {
        let path = format!("inclusion[{i}]");
        check.source(&path, &r.source, &citations)?;
        inclusion.push(match r.system {
            CodeSystem::Icd10 => {
                check.ensure(
                    r.concepts.is_empty(),
                    format!("{path}.concepts"),
                    "ICD-10 rules use from/to",
                )?;
                let category = |name: &str, v: Option<String>| -> Result<String, TemplateError> {
                    let field = format!("{path}.{name}");
                    let v = v.ok_or_else(|| check.fail(&field, "required for ICD-10 rules"))?;
                    let parsed = Icd10Code::parse(&v).map_err(|e| check.fail(&field, e))?;
                    check.ensure(
                        parsed.category() == v,
                        &field,
                        format!("`{v}` must be a three-character category such as I10"),
                    )?;
                    Ok(v)
                };
                let from = category("from", r.from)?;
                let to = category("to", r.to)?;
                check.ensure(
                    from <= to,
                    format!("{path}.to"),
                    format!("{to} comes before {from}"),
                )?;
                InclusionRule::Icd10Range {
                    from,
                    to,
                    source: r.source,
                }
            }
            CodeSystem::SnomedCt => {
                check.ensure(
                    r.from.is_none() && r.to.is_none(),
                    &path,
                    "SNOMED CT rules list concepts, not from/to",
                )?;
                check.ensure(
                    !r.concepts.is_empty(),
                    format!("{path}.concepts"),
                    "list at least one concept",
                )?;
                for (j, c) in r.concepts.iter().enumerate() {
                    let field = format!("{path}.concepts[{j}]");
                    SctId::parse(&c.id).map_err(|e| check.fail(format!("{field}.id"), e))?;
                    check.text(&format!("{field}.display"), &c.display)?;
                }
                InclusionRule::Snomed {
                    concepts: r.concepts,
                    source: r.source,
                }
            }
        });
    }

    for e in &elements {
        let path = format!("elements.{}", e.key);
        check.source(
            &format!("{path}.plausible"),
            &e.plausible.source,
            &citations,
        )?;
        for a in &e.alternatives {
            check.source(&format!("{path}.alternatives"), &a.source, &citations)?;
        }
    }

    let f = raw.followup;
    check.source(
        "followup.interval_days",
        &f.interval_days.source,
        &citations,
    )?;
    check.source("followup.grace_days", &f.grace_days.source, &citations)?;
    check.source(
        "followup.min_visits_per_year",
        &f.min_visits_per_year.source,
        &citations,
    )?;
    check.ensure(
        (1..=3660).contains(&f.interval_days.value),
        "followup.interval_days.value",
        "must be 1 to 3660 days",
    )?;
    check.ensure(
        f.grace_days.value < f.interval_days.value,
        "followup.grace_days.value",
        "must be shorter than the interval",
    )?;
    check.ensure(
        (1..=366).contains(&f.min_visits_per_year.value),
        "followup.min_visits_per_year.value",
        "must be 1 to 366",
    )?;
    check.text("followup.standard_zh", &f.standard_zh)?;
    check.text("followup.standard_en", &f.standard_en)?;
    let followup = FollowUpPlan {
        interval_days: f.interval_days,
        grace_days: f.grace_days,
        min_visits_per_year: f.min_visits_per_year,
        record: elements
            .iter()
            .filter(|e| e.required_at_followup)
            .map(|e| e.key.clone())
            .collect(),
        standard_zh: f.standard_zh,
        standard_en: f.standard_en,
    };

    check.ensure(
        !raw.control.bands.is_empty(),
        "control.bands",
        "list at least one band",
    )?;
    let mut bands: Vec<ControlBand> = Vec::with_capacity(raw.control.bands.len());
    for (b, band) in raw.control.bands.into_iter().enumerate() {
        let path = format!("control.bands[{b}]");
        check.key(&format!("{path}.key"), &band.key)?;
        check.text(&format!("{path}.label_zh"), &band.label_zh)?;
        check.text(&format!("{path}.label_en"), &band.label_en)?;
        if let Some(m) = &band.min_age {
            check.source(&format!("{path}.min_age"), &m.source, &citations)?;
        }
        if let Some(m) = &band.max_age {
            check.source(&format!("{path}.max_age"), &m.source, &citations)?;
        }
        check.ensure(
            !band.targets.is_empty(),
            format!("{path}.targets"),
            "list at least one target",
        )?;
        let mut targets = Vec::with_capacity(band.targets.len());
        for (t, rt) in band.targets.into_iter().enumerate() {
            let tpath = format!("{path}.targets[{t}]");
            let condition = Condition {
                key: rt.key,
                lt: rt.lt,
                le: rt.le,
                gt: rt.gt,
                ge: rt.ge,
                source: rt.source,
            };
            check.source(&tpath, &condition.source, &citations)?;
            check.condition(&tpath, &condition, &elements)?;
            targets.push(Target {
                condition,
                optional: rt.optional,
            });
        }
        bands.push(ControlBand {
            key: band.key,
            label_zh: band.label_zh,
            label_en: band.label_en,
            min_age: band.min_age,
            max_age: band.max_age,
            targets,
        });
    }
    // Every patient must find a band; 130 is beyond any recorded human age.
    if let Some(age) = (0..=130u32).find(|&a| !bands.iter().any(|b| b.applies_at(a))) {
        return Err(check.fail("control.bands", format!("no band applies at age {age}")));
    }
    let control = Control {
        combine: raw.control.combine,
        bands,
    };

    let mut danger_rules: Vec<DangerRule> = Vec::with_capacity(raw.danger_signs.len());
    for (d, r) in raw.danger_signs.into_iter().enumerate() {
        let path = format!("danger_signs[{d}]");
        check.key(&format!("{path}.key"), &r.key)?;
        check.ensure(
            !danger_rules.iter().any(|o| o.key == r.key),
            format!("{path}.key"),
            format!("`{}` is used twice", r.key),
        )?;
        check.text(&format!("{path}.message_zh"), &r.message_zh)?;
        check.text(&format!("{path}.message_en"), &r.message_en)?;
        check.ensure(
            !r.when.is_empty(),
            format!("{path}.when"),
            "list at least one condition",
        )?;
        for (w, c) in r.when.iter().enumerate() {
            let wpath = format!("{path}.when[{w}]");
            check.source(&wpath, &c.source, &citations)?;
            check.condition(&wpath, c, &elements)?;
        }
        danger_rules.push(DangerRule {
            key: r.key,
            message_zh: r.message_zh,
            message_en: r.message_en,
            combine: r.combine,
            when: r.when,
        });
    }

    for (i, c) in raw.counts.iter().enumerate() {
        check.key(&format!("counts[{i}].name"), &c.name)?;
        check.text(&format!("counts[{i}].name_zh"), &c.name_zh)?;
        check.text(&format!("counts[{i}].name_en"), &c.name_en)?;
        check.ensure(
            !raw.counts[..i].iter().any(|o| o.name == c.name),
            format!("counts[{i}].name"),
            format!("`{}` is defined twice", c.name),
        )?;
        check.measure(
            &format!("counts[{i}]"),
            c,
            &raw.counts[..i],
            &control,
            &elements,
            &citations,
        )?;
    }
    check.ensure(
        !raw.indicators.is_empty(),
        "indicators",
        "list at least one indicator",
    )?;
    let mut indicators: Vec<Indicator> = Vec::with_capacity(raw.indicators.len());
    for (i, r) in raw.indicators.into_iter().enumerate() {
        let path = format!("indicators[{i}]");
        check.key(&format!("{path}.key"), &r.key)?;
        check.ensure(
            !indicators.iter().any(|o| o.key == r.key),
            format!("{path}.key"),
            format!("`{}` is used twice", r.key),
        )?;
        check.text(&format!("{path}.name_zh"), &r.name_zh)?;
        check.text(&format!("{path}.name_en"), &r.name_en)?;
        for (name, count) in [("numerator", &r.numerator), ("denominator", &r.denominator)] {
            check.ensure(
                raw.counts.iter().any(|c| &c.name == count),
                format!("{path}.{name}"),
                format!("`{count}` is not one of the counts"),
            )?;
        }
        check.ensure(
            r.numerator != r.denominator,
            format!("{path}.denominator"),
            "numerator and denominator must differ",
        )?;
        check.source(&path, &r.citation, &citations)?;
        indicators.push(Indicator {
            key: r.key,
            name_zh: r.name_zh,
            name_en: r.name_en,
            numerator: r.numerator,
            denominator: r.denominator,
            citation: r.citation,
        });
    }

    Ok(Template {
        code: raw.code,
        name_zh: raw.name_zh,
        name_en: raw.name_en,
        file: file.to_owned(),
        citations,
        inclusion,
        elements,
        followup,
        control,
        danger_rules,
        counts: raw.counts,
        indicators,
    })
}

#[cfg(test)]
mod tests {
    use super::loinc_valid;

    #[test]
    fn loinc_check_digits() {
        for good in [
            "8480-6", "8462-4", "8867-4", "1558-6", "4548-4", "39156-5", "29463-7",
        ] {
            assert!(loinc_valid(good), "{good}");
        }
        for bad in ["8480-5", "8480", "84a0-6", "-6", "8480-66"] {
            assert!(!loinc_valid(bad), "{bad}");
        }
    }
}
