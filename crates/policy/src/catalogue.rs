//! The fact catalogue and the clause files, read and checked together: every fact a clause
//! names exists with the right type, every figure cites a listed document, every cap covers
//! a clause, versions of a clause do not overlap in time.

use std::str::FromStr;
use std::sync::OnceLock;

use jiff::civil::Date;
use kernel::{Citation, Source};
use serde::{Deserialize, Serialize};

use crate::case::{Case, RawCase};
use crate::clause::{
    AttachmentDef, Band, Cap, CapScope, Clause, ClauseCitation, Condition, Formula, Kind, Level,
    id_matches,
};
use crate::error::{DataError, PolicyError};
use crate::facts::{FactDef, FactKind};
use crate::money::{Money, Ratio};

/// The shipped fact catalogue.
pub const FACTS_TOML: &str = include_str!("../data/facts.toml");

/// The shipped clause files: one per seed document, by file name.
pub const CLAUSE_FILES: [(&str, &str); 4] = [
    (
        "clauses/nanjing-2022.toml",
        include_str!("../clauses/nanjing-2022.toml"),
    ),
    (
        "clauses/suzhou-2019.toml",
        include_str!("../clauses/suzhou-2019.toml"),
    ),
    (
        "clauses/jiangsu-2021.toml",
        include_str!("../clauses/jiangsu-2021.toml"),
    ),
    (
        "clauses/zhejiang-draft.toml",
        include_str!("../clauses/zhejiang-draft.toml"),
    ),
];

/// A seed document the clauses come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    /// Id, the first part of its clauses' ids, e.g. `suzhou-2019`.
    pub id: String,
    /// Title as published.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// The seed file under `seeds/` (the repository's copy of the seed documents).
    pub seed_file: String,
    /// Where it applies.
    pub jurisdiction: String,
    /// Issuing level.
    pub level: Level,
    /// The clause file it was read from.
    pub file: String,
}

/// Every clause (all versions), cap and fact, checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalogue {
    facts: Vec<FactDef>,
    documents: Vec<Document>,
    citations: Vec<Citation>,
    clauses: Vec<Clause>,
    caps: Vec<Cap>,
    cases: Vec<Case>,
}

/// The shipped catalogue, read and checked at first use.
pub fn shipped() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // The files are embedded and `tests/data.rs` loads them, so a bad edit fails a test
        // before it can reach a build.
        #[allow(clippy::expect_used)]
        Catalogue::from_files(FACTS_TOML, &CLAUSE_FILES).expect("the shipped policy data are valid")
    })
}

/// One clause file with the shipped fact catalogue, e.g. a test fixture.
impl FromStr for Catalogue {
    type Err = DataError;
    fn from_str(text: &str) -> Result<Catalogue, DataError> {
        Catalogue::from_files(FACTS_TOML, &[("fixture.toml", text)])
    }
}

impl Catalogue {
    /// Reads a fact catalogue and clause files (name, text) and checks them together.
    pub fn from_files(facts_toml: &str, files: &[(&str, &str)]) -> Result<Catalogue, DataError> {
        let facts = read_facts(facts_toml)?;
        let mut catalogue = Catalogue {
            facts,
            documents: Vec::new(),
            citations: Vec::new(),
            clauses: Vec::new(),
            caps: Vec::new(),
            cases: Vec::new(),
        };
        for (name, text) in files {
            catalogue.read_clause_file(name, text)?;
        }
        catalogue.close_versions();
        catalogue.check_links()?;
        Ok(catalogue)
    }

    /// Every clause, every version, in file order.
    pub fn clauses(&self) -> &[Clause] {
        &self.clauses
    }

    /// The fact catalogue.
    pub fn facts(&self) -> &[FactDef] {
        &self.facts
    }

    /// The definition of a fact.
    pub fn fact(&self, name: &str) -> Option<&FactDef> {
        self.facts.iter().find(|f| f.name == name)
    }

    /// The seed documents.
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// The cited documents.
    pub fn citations(&self) -> &[Citation] {
        &self.citations
    }

    /// Every cap.
    pub fn caps(&self) -> &[Cap] {
        &self.caps
    }

    /// The worked cases written beside the clauses.
    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    /// The version of clause `id` in force on `on`.
    pub fn clause(&self, id: &str, on: Date) -> Result<&Clause, PolicyError> {
        let versions: Vec<&Clause> = self.clauses.iter().filter(|c| c.id == id).collect();
        if let Some(c) = versions.iter().find(|c| c.in_force_on(on)) {
            return Ok(c);
        }
        // Name the version nearest the date: the last that started before it, else the first.
        let nearest = versions
            .iter()
            .filter(|c| c.effective_from <= on)
            .max_by_key(|c| c.effective_from)
            .or_else(|| versions.iter().min_by_key(|c| c.effective_from));
        match nearest {
            Some(c) => Err(PolicyError::NotInForce {
                id: id.to_owned(),
                on,
                from: c.effective_from,
                to: c.effective_to,
            }),
            None => Err(PolicyError::UnknownClause { id: id.to_owned() }),
        }
    }

    /// A clause by id and version.
    pub fn clause_version(&self, id: &str, version: u32) -> Option<&Clause> {
        self.clauses
            .iter()
            .find(|c| c.id == id && c.version == version)
    }

    /// The clauses in force on `on`, one version each.
    pub fn in_force(&self, on: Date) -> impl Iterator<Item = &Clause> {
        self.clauses.iter().filter(move |c| c.in_force_on(on))
    }

    /// Checks every given fact against its definition; unknown names are refused.
    pub fn check_facts(&self, facts: &crate::Facts) -> Result<(), PolicyError> {
        for (name, value) in facts.iter() {
            match self.fact(name) {
                Some(def) => def.check(value)?,
                None => {
                    return Err(PolicyError::InvalidFact {
                        fact: name.to_owned(),
                        reason_en: "is not in the fact catalogue (data/facts.toml)".to_owned(),
                        reason_zh: "不在信息目录（data/facts.toml）中".to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    fn read_clause_file(&mut self, file: &str, text: &str) -> Result<(), DataError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| DataError::Syntax {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        let doc = &raw.document;
        check_citations(file, &raw.citations, &self.citations)?;
        let doc_citation = raw
            .citations
            .iter()
            .find(|c| c.id == doc.citation)
            .ok_or_else(|| {
                DataError::invalid(file, "document.citation", "is not in the citations")
            })?;
        let all_citations: Vec<Citation> = self
            .citations
            .iter()
            .chain(raw.citations.iter())
            .cloned()
            .collect();
        check_source(
            file,
            "document.period.source",
            &doc.period.source,
            &all_citations,
        )?;
        let place_fact = self.fact(doc.level.fact()).ok_or_else(|| {
            DataError::invalid(
                file,
                "document.level",
                "the fact catalogue lacks its place fact",
            )
        })?;
        if !place_fact
            .choices
            .iter()
            .any(|c| c.value == doc.jurisdiction)
        {
            return Err(DataError::invalid(
                file,
                "document.jurisdiction",
                format!(
                    "{:?} is not a value of the fact {}",
                    doc.jurisdiction, place_fact.name
                ),
            ));
        }
        let doc_from = date(file, "document.period.from", &doc.period.from)?;
        let doc_to = match &doc.period.to {
            Some(t) => Some(date(file, "document.period.to", t)?),
            None => None,
        };
        let doc_conditions = doc
            .when
            .iter()
            .enumerate()
            .map(|(i, c)| self.condition(file, &format!("document.when[{i}]"), c))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(s) = &doc.when_source {
            check_source(file, "document.when_source", s, &all_citations)?;
        }

        let mut caps = Vec::new();
        for (i, c) in raw.cap.iter().enumerate() {
            let field = format!("cap[{i}]");
            check_source(file, &format!("{field}.source"), &c.source, &all_citations)?;
            if !c.id.starts_with(&format!("{}/", doc.id)) {
                return Err(DataError::invalid(
                    file,
                    format!("{field}.id"),
                    "must start with the document id and /",
                ));
            }
            if c.limit <= Money::ZERO || c.quote.trim().is_empty() || c.covers.is_empty() {
                return Err(DataError::invalid(
                    file,
                    field,
                    "a cap needs a limit above 0, a quote and what it covers",
                ));
            }
            caps.push(Cap {
                id: c.id.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                limit: c.limit,
                scope: c.scope,
                covers: c.covers.clone(),
                source: c.source.clone(),
                quote: c.quote.clone(),
            });
        }

        let first_clause = self.clauses.len();
        for (i, rc) in raw.clause.iter().enumerate() {
            let field = format!("clause[{i}]");
            if !rc.id.starts_with(&format!("{}/", doc.id)) {
                return Err(DataError::invalid(
                    file,
                    format!("{field}.id"),
                    format!("{:?} must start with {}/", rc.id, doc.id),
                ));
            }
            if self
                .clauses
                .iter()
                .any(|c| c.id == rc.id && c.version == rc.version)
            {
                return Err(DataError::invalid(
                    file,
                    format!("{field}.version"),
                    format!("{} version {} is listed twice", rc.id, rc.version),
                ));
            }
            check_source(file, &format!("{field}.source"), &rc.source, &all_citations)?;
            if rc.quote.trim().is_empty() || rc.subject.trim().is_empty() {
                return Err(DataError::invalid(
                    file,
                    &field,
                    "a clause needs the quoted sentence and a subject",
                ));
            }
            let mut conditions = doc_conditions.clone();
            for (j, c) in rc.when.iter().enumerate() {
                conditions.push(self.condition(file, &format!("{field}.when[{j}]"), c)?);
            }
            let formula = self.formula(file, &format!("{field}.amount"), &rc.amount)?;
            check_kind(file, &field, rc.kind, &formula)?;
            if rc.kind == Kind::AmountNotStated && (rc.note_zh.is_none() || rc.note_en.is_none()) {
                return Err(DataError::invalid(
                    file,
                    &field,
                    "an amount not stated needs note_zh and note_en saying who sets it",
                ));
            }
            for k in &rc.subject_key {
                self.fact(k).ok_or_else(|| {
                    DataError::invalid(
                        file,
                        format!("{field}.subject_key"),
                        format!("unknown fact {k:?}"),
                    )
                })?;
            }
            let (from, to, period_source) = match &rc.effective_from {
                Some(f) => {
                    let source = rc.period_source.clone().ok_or_else(|| {
                        DataError::invalid(
                            file,
                            format!("{field}.period_source"),
                            "a clause with its own effective_from needs period_source",
                        )
                    })?;
                    check_source(
                        file,
                        &format!("{field}.period_source"),
                        &source,
                        &all_citations,
                    )?;
                    let to = match &rc.effective_to {
                        Some(t) => Some(date(file, &format!("{field}.effective_to"), t)?),
                        None => doc_to,
                    };
                    (
                        date(file, &format!("{field}.effective_from"), f)?,
                        to,
                        source,
                    )
                }
                None => (doc_from, doc_to, doc.period.source.clone()),
            };
            let mut required: Vec<String> = vec![doc.level.fact().to_owned()];
            let mut add = |name: &str| {
                if !required.iter().any(|r| r == name) {
                    required.push(name.to_owned());
                }
            };
            conditions.iter().flat_map(|c| c.facts()).for_each(&mut add);
            formula.facts().into_iter().for_each(&mut add);
            rc.subject_key.iter().for_each(|k| add(k));
            let fact_defs: Vec<FactDef> = required
                .iter()
                .filter_map(|n| self.fact(n).cloned())
                .collect();
            let computable = rc.kind == Kind::Formulaic
                && !formula
                    .leaves()
                    .iter()
                    .any(|l| matches!(l, Formula::Committee { .. }));
            let no_application_needed = computable && fact_defs.iter().all(|d| d.from_register);
            let mut clause_caps: Vec<Cap> = caps
                .iter()
                .filter(|c| c.covers.iter().any(|p| p == &rc.id))
                .cloned()
                .collect();
            clause_caps.extend(
                caps.iter()
                    .filter(|c| c.covers(&rc.id) && !c.covers.iter().any(|p| p == &rc.id))
                    .cloned(),
            );
            let attachments = doc
                .attachments
                .iter()
                .chain(rc.attachments.iter())
                .cloned()
                .collect();
            let mut clause = Clause {
                id: rc.id.clone(),
                version: rc.version,
                title_zh: rc.title_zh.clone(),
                title_en: rc.title_en.clone(),
                citation: ClauseCitation {
                    file: doc.seed_file.clone(),
                    document: doc_citation.title.clone(),
                    source: rc.source.clone(),
                    quote: rc.quote.clone(),
                },
                level: doc.level,
                jurisdiction: doc.jurisdiction.clone(),
                effective_from: from,
                effective_to: to,
                period_source,
                kind: rc.kind,
                subject: rc.subject.clone(),
                subject_key: rc.subject_key.clone(),
                stacks_with: rc.stacks_with.clone(),
                conditions,
                formula,
                caps: clause_caps,
                once: rc.once,
                required_facts: required,
                fact_defs,
                attachments,
                no_application_needed,
                note_zh: rc.note_zh.clone(),
                note_en: rc.note_en.clone(),
                texts: Default::default(),
            };
            clause.texts = crate::evaluate::clause_texts(&clause);
            self.clauses.push(clause);
        }
        for (i, c) in caps.iter().enumerate() {
            for p in &c.covers {
                if !self.clauses[first_clause..]
                    .iter()
                    .any(|cl| id_matches(p, &cl.id))
                {
                    return Err(DataError::invalid(
                        file,
                        format!("cap[{i}].covers"),
                        format!("{p:?} covers no clause of this file"),
                    ));
                }
            }
        }
        for (i, rc) in raw.clause.iter().enumerate() {
            for (j, case) in rc.case.iter().enumerate() {
                let field = format!("clause[{i}].case[{j}]");
                let parsed = case.read(self, file, &field, &rc.id, &raw.document.case_defaults)?;
                self.cases.push(parsed);
            }
        }
        self.caps.extend(caps);
        self.citations.extend(raw.citations);
        self.documents.push(Document {
            id: doc.id.clone(),
            title_zh: doc.title_zh.clone(),
            title_en: doc.title_en.clone(),
            seed_file: doc.seed_file.clone(),
            jurisdiction: doc.jurisdiction.clone(),
            level: doc.level,
            file: file.to_owned(),
        });
        Ok(())
    }

    /// A version without its own end ends the day before the next version starts, as a
    /// dated parameter does.
    fn close_versions(&mut self) {
        let starts: Vec<(String, Date)> = self
            .clauses
            .iter()
            .map(|c| (c.id.clone(), c.effective_from))
            .collect();
        for clause in &mut self.clauses {
            let next = starts
                .iter()
                .filter(|(id, from)| id == &clause.id && *from > clause.effective_from)
                .map(|(_, from)| *from)
                .min();
            let Some(next) = next else { continue };
            let Ok(day_before) = next.yesterday() else {
                continue;
            };
            if clause.effective_to.is_none_or(|to| to >= next) {
                clause.effective_to = Some(day_before);
            }
        }
    }

    fn check_links(&self) -> Result<(), DataError> {
        for c in &self.clauses {
            for p in &c.stacks_with {
                if !self
                    .clauses
                    .iter()
                    .any(|o| o.id != c.id && id_matches(p, &o.id))
                {
                    return Err(DataError::invalid(
                        "clauses",
                        format!("{}.stacks_with", c.id),
                        format!("{p:?} names no other clause"),
                    ));
                }
            }
            let same: Vec<&Clause> = self.clauses.iter().filter(|o| o.id == c.id).collect();
            for o in same {
                let overlap = o.version != c.version
                    && o.effective_from <= c.effective_to.unwrap_or(Date::MAX)
                    && c.effective_from <= o.effective_to.unwrap_or(Date::MAX);
                if overlap {
                    return Err(DataError::invalid(
                        "clauses",
                        format!("{}.version", c.id),
                        format!(
                            "versions {} and {} are in force on the same days",
                            c.version, o.version
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn fact_of(&self, file: &str, field: &str, name: &str) -> Result<&FactDef, DataError> {
        self.fact(name).ok_or_else(|| {
            DataError::invalid(
                file,
                field,
                format!("unknown fact {name:?} (not in data/facts.toml)"),
            )
        })
    }

    fn condition(
        &self,
        file: &str,
        field: &str,
        raw: &RawCondition,
    ) -> Result<Condition, DataError> {
        if let Some(any) = &raw.any {
            let cs = any
                .iter()
                .enumerate()
                .map(|(i, c)| self.condition(file, &format!("{field}.any[{i}]"), c))
                .collect::<Result<_, _>>()?;
            return Ok(Condition::Any(cs));
        }
        if let Some(all) = &raw.all {
            let cs = all
                .iter()
                .enumerate()
                .map(|(i, c)| self.condition(file, &format!("{field}.all[{i}]"), c))
                .collect::<Result<_, _>>()?;
            return Ok(Condition::All(cs));
        }
        let name = raw.fact.as_deref().ok_or_else(|| {
            DataError::invalid(file, field, "a condition needs fact (or any/all)")
        })?;
        let def = self.fact_of(file, &format!("{field}.fact"), name)?;
        let check_choice = |v: &str| {
            if def.kind == FactKind::Choice && def.choices.iter().any(|c| c.value == v) {
                Ok(())
            } else {
                Err(DataError::invalid(
                    file,
                    field,
                    format!(
                        "{v:?} is not a value of the choice fact {name} ({})",
                        def.allowed()
                    ),
                ))
            }
        };
        match (&raw.is, &raw.one_of, &raw.at_least) {
            (Some(toml::Value::Boolean(b)), None, None) if def.kind == FactKind::Flag => {
                Ok(Condition::Flag {
                    fact: name.to_owned(),
                    value: *b,
                })
            }
            (Some(toml::Value::String(s)), None, None) => {
                check_choice(s)?;
                Ok(Condition::Is {
                    fact: name.to_owned(),
                    value: s.clone(),
                })
            }
            (None, Some(values), None) => {
                for v in values {
                    check_choice(v)?;
                }
                Ok(Condition::OneOf {
                    fact: name.to_owned(),
                    values: values.clone(),
                })
            }
            (None, None, Some(v)) => Ok(Condition::AtLeast {
                fact: name.to_owned(),
                value: number(file, field, def, v)?,
            }),
            _ => Err(DataError::invalid(
                file,
                field,
                format!(
                    "give exactly one of is (a flag's true/false or a choice's value), one_of, at_least for the {:?} fact {name}",
                    def.kind
                ),
            )),
        }
    }

    fn formula(&self, file: &str, field: &str, raw: &RawFormula) -> Result<Formula, DataError> {
        let forms = [
            raw.fixed.is_some(),
            raw.up_to.is_some(),
            raw.ratio.is_some(),
            raw.ratio_up_to.is_some(),
            raw.each.is_some(),
            raw.by.is_some(),
            raw.bands_on.is_some(),
            raw.committee == Some(true),
            raw.not_stated == Some(true),
        ];
        if forms.iter().filter(|f| **f).count() != 1 {
            return Err(DataError::invalid(
                file,
                field,
                "give exactly one of fixed, up_to, ratio, ratio_up_to, each, by, bands_on, committee = true, not_stated = true",
            ));
        }
        let base =
            |name: &Option<String>, key: &str, kinds: &[FactKind]| -> Result<String, DataError> {
                let name = name.as_deref().ok_or_else(|| {
                    DataError::invalid(file, format!("{field}.{key}"), "is needed")
                })?;
                let def = self.fact_of(file, &format!("{field}.{key}"), name)?;
                if !kinds.contains(&def.kind) {
                    return Err(DataError::invalid(
                        file,
                        format!("{field}.{key}"),
                        format!("{name} is a {:?} fact; expected {kinds:?}", def.kind),
                    ));
                }
                Ok(name.to_owned())
            };
        if let Some(m) = raw.fixed {
            return Ok(Formula::Fixed(m));
        }
        if let Some(max) = raw.up_to {
            return Ok(Formula::UpTo {
                max,
                from: raw.from,
            });
        }
        if let Some(ratio) = raw.ratio {
            return Ok(Formula::Ratio {
                of: base(&raw.of, "of", &[FactKind::Money])?,
                ratio,
                max: raw.max,
            });
        }
        if let Some(ratio) = raw.ratio_up_to {
            if raw.ratio_from.is_some_and(|f| f > ratio) {
                return Err(DataError::invalid(
                    file,
                    field,
                    "ratio_from is above ratio_up_to",
                ));
            }
            return Ok(Formula::RatioUpTo {
                of: base(&raw.of, "of", &[FactKind::Money])?,
                ratio,
                from: raw.ratio_from,
                max: raw.max,
            });
        }
        if let Some(each) = raw.each {
            return Ok(Formula::Each {
                per: base(&raw.per, "per", &[FactKind::Count])?,
                each,
                max: raw.max,
            });
        }
        if raw.by.is_some() {
            let fact = base(&raw.by, "by", &[FactKind::Choice])?;
            let def = self.fact_of(file, field, &fact)?;
            let mut options = Vec::new();
            for (i, o) in raw.options.iter().enumerate() {
                let f = format!("{field}.options[{i}]");
                let value = o
                    .value
                    .clone()
                    .ok_or_else(|| DataError::invalid(file, &f, "an option needs value"))?;
                if !def.choices.iter().any(|c| c.value == value) {
                    return Err(DataError::invalid(
                        file,
                        &f,
                        format!("{value:?} is not a value of {fact}"),
                    ));
                }
                options.push((value, self.formula(file, &f, o)?));
            }
            if options.is_empty() {
                return Err(DataError::invalid(file, field, "by needs options"));
            }
            return Ok(Formula::ByChoice { fact, options });
        }
        if raw.bands_on.is_some() {
            let on = base(
                &raw.bands_on,
                "bands_on",
                &[FactKind::Money, FactKind::Count],
            )?;
            let def = self.fact_of(file, field, &on)?;
            let mut bands = Vec::new();
            for (i, b) in raw.bands.iter().enumerate() {
                let f = format!("{field}.bands[{i}]");
                let from = b
                    .from
                    .as_ref()
                    .map(|v| number(file, &f, def, v))
                    .transpose()?;
                let to =
                    b.to.as_ref()
                        .map(|v| number(file, &f, def, v))
                        .transpose()?;
                if from.zip(to).is_some_and(|(lo, hi)| lo > hi) {
                    return Err(DataError::invalid(file, &f, "from is above to"));
                }
                bands.push(Band {
                    from,
                    to,
                    formula: self.formula(file, &format!("{f}.amount"), &b.amount)?,
                });
            }
            if bands.is_empty() {
                return Err(DataError::invalid(file, field, "bands_on needs bands"));
            }
            return Ok(Formula::Bands { on, bands });
        }
        if raw.committee == Some(true) {
            return Ok(Formula::Committee {
                floor: raw.programme_floor,
            });
        }
        Ok(Formula::NotStated)
    }
}

fn check_kind(file: &str, field: &str, kind: Kind, formula: &Formula) -> Result<(), DataError> {
    let ok = formula.leaves().iter().all(|leaf| match leaf {
        Formula::Fixed(_) | Formula::Ratio { .. } | Formula::Each { .. } => kind == Kind::Formulaic,
        Formula::UpTo { .. } | Formula::RatioUpTo { .. } => kind == Kind::OnMerit,
        // 一事一议 bands sit inside formulaic clauses (Suzhou 第十三条 above 5亿).
        Formula::Committee { .. } => {
            matches!(kind, Kind::CaseByCase | Kind::Formulaic | Kind::OnMerit)
        }
        Formula::NotStated => kind == Kind::AmountNotStated,
        Formula::ByChoice { .. } | Formula::Bands { .. } => true,
    });
    let has_committee_only = formula
        .leaves()
        .iter()
        .all(|l| matches!(l, Formula::Committee { .. }));
    if !ok || (kind == Kind::CaseByCase && !has_committee_only) {
        return Err(DataError::invalid(
            file,
            format!("{field}.kind"),
            format!(
                "{kind:?} does not match the amount: formulaic takes fixed/ratio/each, on-merit up_to/ratio_up_to, case-by-case committee, amount-not-stated not_stated"
            ),
        ));
    }
    Ok(())
}

fn number(file: &str, field: &str, def: &FactDef, value: &toml::Value) -> Result<i64, DataError> {
    match (def.kind, value) {
        (FactKind::Money, toml::Value::String(s)) => Money::parse(s)
            .map(|m| m.0)
            .map_err(|e| DataError::invalid(file, field, e.to_string())),
        (FactKind::Money | FactKind::Count, toml::Value::Integer(n)) if *n >= 0 => Ok(*n),
        _ => Err(DataError::invalid(
            file,
            field,
            format!(
                "{value} is not a bound for the {:?} fact {}",
                def.kind, def.name
            ),
        )),
    }
}

fn date(file: &str, field: &str, text: &str) -> Result<Date, DataError> {
    text.parse().map_err(|_| {
        DataError::invalid(
            file,
            field,
            format!("{text:?} is not a date such as 2021-11-01"),
        )
    })
}

fn read_facts(text: &str) -> Result<Vec<FactDef>, DataError> {
    const FILE: &str = "data/facts.toml";
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawFacts {
        fact: Vec<FactDef>,
    }
    let raw: RawFacts = toml::from_str(text).map_err(|e| DataError::Syntax {
        file: FILE.to_owned(),
        message: e.to_string(),
    })?;
    for (i, f) in raw.fact.iter().enumerate() {
        let field = format!("fact[{i}]");
        if raw.fact[..i].iter().any(|e| e.name == f.name) {
            return Err(DataError::invalid(
                FILE,
                field,
                format!("{:?} is listed twice", f.name),
            ));
        }
        if f.label_zh.trim().is_empty() || f.label_en.trim().is_empty() {
            return Err(DataError::invalid(
                FILE,
                field,
                "a fact needs label_zh and label_en",
            ));
        }
        if (f.kind == FactKind::Choice) == f.choices.is_empty() {
            return Err(DataError::invalid(
                FILE,
                field,
                "a choice fact lists its choices; other facts list none",
            ));
        }
    }
    for place in ["city", "province"] {
        if !raw
            .fact
            .iter()
            .any(|f| f.name == place && f.kind == FactKind::Choice)
        {
            return Err(DataError::invalid(
                FILE,
                place,
                "the catalogue needs the choice fact",
            ));
        }
    }
    Ok(raw.fact)
}

fn check_citations(file: &str, new: &[Citation], earlier: &[Citation]) -> Result<(), DataError> {
    for (i, c) in new.iter().enumerate() {
        if c.id.trim().is_empty() || c.title.trim().is_empty() {
            return Err(DataError::invalid(
                file,
                format!("citations[{i}]"),
                "a citation needs an id and a title",
            ));
        }
        if new[..i].iter().chain(earlier).any(|e| e.id == c.id) {
            return Err(DataError::invalid(
                file,
                format!("citations[{i}].id"),
                format!("{:?} is used twice", c.id),
            ));
        }
    }
    Ok(())
}

/// The source cites a listed citation, and an unconfirmed figure says why.
fn check_source(
    file: &str,
    field: &str,
    source: &Source,
    citations: &[Citation],
) -> Result<(), DataError> {
    if !citations.iter().any(|c| c.id == source.citation) {
        return Err(DataError::invalid(
            file,
            format!("{field}.citation"),
            format!("cites {:?}, which is not in the citations", source.citation),
        ));
    }
    if !source.confirmed && source.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(DataError::invalid(
            file,
            format!("{field}.note"),
            "an unconfirmed figure needs a note saying why",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    document: RawDocument,
    citations: Vec<Citation>,
    #[serde(default)]
    cap: Vec<RawCap>,
    #[serde(default)]
    clause: Vec<RawClause>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    id: String,
    title_zh: String,
    title_en: String,
    seed_file: String,
    citation: String,
    jurisdiction: String,
    level: Level,
    period: RawPeriod,
    #[serde(default)]
    when: Vec<RawCondition>,
    #[serde(default)]
    when_source: Option<Source>,
    #[serde(default)]
    attachments: Vec<AttachmentDef>,
    case_defaults: crate::case::RawCaseDefaults,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: String,
    #[serde(default)]
    to: Option<String>,
    source: Source,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCap {
    id: String,
    name_zh: String,
    name_en: String,
    limit: Money,
    scope: CapScope,
    covers: Vec<String>,
    source: Source,
    quote: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClause {
    id: String,
    #[serde(default = "one")]
    version: u32,
    title_zh: String,
    title_en: String,
    kind: Kind,
    subject: String,
    #[serde(default)]
    subject_key: Vec<String>,
    #[serde(default)]
    stacks_with: Vec<String>,
    source: Source,
    quote: String,
    #[serde(default)]
    effective_from: Option<String>,
    #[serde(default)]
    effective_to: Option<String>,
    #[serde(default)]
    period_source: Option<Source>,
    #[serde(default)]
    when: Vec<RawCondition>,
    amount: RawFormula,
    #[serde(default)]
    once: bool,
    #[serde(default)]
    attachments: Vec<AttachmentDef>,
    #[serde(default)]
    note_zh: Option<String>,
    #[serde(default)]
    note_en: Option<String>,
    #[serde(default)]
    case: Vec<RawCase>,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    #[serde(default)]
    fact: Option<String>,
    #[serde(default)]
    is: Option<toml::Value>,
    #[serde(default)]
    one_of: Option<Vec<String>>,
    #[serde(default)]
    at_least: Option<toml::Value>,
    #[serde(default)]
    any: Option<Vec<RawCondition>>,
    #[serde(default)]
    all: Option<Vec<RawCondition>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFormula {
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    fixed: Option<Money>,
    #[serde(default)]
    up_to: Option<Money>,
    #[serde(default)]
    from: Option<Money>,
    #[serde(default)]
    ratio: Option<Ratio>,
    #[serde(default)]
    ratio_up_to: Option<Ratio>,
    #[serde(default)]
    ratio_from: Option<Ratio>,
    #[serde(default)]
    of: Option<String>,
    #[serde(default)]
    max: Option<Money>,
    #[serde(default)]
    each: Option<Money>,
    #[serde(default)]
    per: Option<String>,
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    options: Vec<RawFormula>,
    #[serde(default)]
    bands_on: Option<String>,
    #[serde(default)]
    bands: Vec<RawBand>,
    #[serde(default)]
    committee: Option<bool>,
    #[serde(default)]
    programme_floor: Option<Money>,
    #[serde(default)]
    not_stated: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    #[serde(default)]
    from: Option<toml::Value>,
    #[serde(default)]
    to: Option<toml::Value>,
    amount: RawFormula,
}
