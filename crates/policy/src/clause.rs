//! A clause of a seed document that grants money, as the engine reads it: who qualifies
//! (conditions over facts), how much (a formula), which caps cut it, and when it is in force.

use jiff::civil::Date;
use kernel::Source;
use serde::{Deserialize, Serialize};

use crate::facts::FactDef;
use crate::money::{Money, Ratio};
use crate::trace::Text;

/// The government level that issued a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// A district (区).
    District,
    /// A city (市), e.g. Nanjing, Suzhou.
    City,
    /// A province (省), e.g. Jiangsu, Zhejiang.
    Province,
}

impl Level {
    /// The fact that says where the company is at this level.
    pub fn fact(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::City => "city",
            Level::Province => "province",
        }
    }
}

/// How the clause sets its amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A sum or ratio the text fixes: the amount is computed (Suzhou 第七条: 20%, max 300万).
    Formulaic,
    /// 择优: the text gives a maximum or a range; reviewers decide up to it.
    OnMerit,
    /// 一事一议 or a programme: no amount per company; a committee decides.
    CaseByCase,
    /// The text grants money but states no amount; the implementing measures will.
    AmountNotStated,
}

/// A condition over the facts, as written in a clause's `when`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    /// A choice fact has this value.
    Is {
        /// The fact.
        fact: String,
        /// The value.
        value: String,
    },
    /// A choice fact has one of these values.
    OneOf {
        /// The fact.
        fact: String,
        /// The values.
        values: Vec<String>,
    },
    /// A flag is set to this.
    Flag {
        /// The fact.
        fact: String,
        /// Yes or no.
        value: bool,
    },
    /// An amount or count is at least this (以上: the figure itself included).
    AtLeast {
        /// The fact.
        fact: String,
        /// The bound, in yuan or units.
        value: i64,
    },
    /// At least one of these holds.
    Any(Vec<Condition>),
    /// All of these hold.
    All(Vec<Condition>),
}

impl Condition {
    /// Every fact the condition reads.
    pub fn facts(&self) -> Vec<&str> {
        match self {
            Condition::Is { fact, .. }
            | Condition::OneOf { fact, .. }
            | Condition::Flag { fact, .. }
            | Condition::AtLeast { fact, .. } => vec![fact.as_str()],
            Condition::Any(cs) | Condition::All(cs) => cs.iter().flat_map(|c| c.facts()).collect(),
        }
    }
}

/// How much a clause grants once its conditions hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Formula {
    /// A fixed sum: Suzhou 第十七条 100万 per product.
    Fixed(Money),
    /// On merit up to `max`, with the lowest award the text names (`500万元—2000万元`).
    UpTo {
        /// The maximum.
        max: Money,
        /// The minimum the text states, shown in the trace.
        from: Option<Money>,
    },
    /// A ratio of a base fact, optionally capped: 20% of R&D, at most 300万.
    Ratio {
        /// The base fact (an amount).
        of: String,
        /// The ratio.
        ratio: Ratio,
        /// The most per award.
        max: Option<Money>,
    },
    /// On merit up to a ratio of a base (10%-20% of R&D): the maximum is the upper ratio.
    RatioUpTo {
        /// The base fact.
        of: String,
        /// The upper ratio.
        ratio: Ratio,
        /// The lower ratio the text states, shown in the trace.
        from: Option<Ratio>,
        /// The most per award.
        max: Option<Money>,
    },
    /// A sum per unit of a count fact: GCP 50万 per new specialty.
    Each {
        /// The count fact.
        per: String,
        /// The sum per unit.
        each: Money,
        /// The most per award.
        max: Option<Money>,
    },
    /// A different formula for each value of a choice fact (by stage, by level); a value not
    /// listed does not qualify.
    ByChoice {
        /// The choice fact.
        fact: String,
        /// Value and its formula, in text order.
        options: Vec<(String, Formula)>,
    },
    /// Bands of an amount or count (1亿-5亿: 10%; above 5亿: 一事一议). Bounds include the
    /// figure (以上/以下 包括本数); a value in two bands takes the first. A value in no band
    /// does not qualify.
    Bands {
        /// The fact the bands are over.
        on: String,
        /// The bands in text order.
        bands: Vec<Band>,
    },
    /// 一事一议 or a programme decided by a committee; `floor` records a programme's stated
    /// minimum per direction (Zhejiang 1: 不少于1000万元), never a company amount.
    Committee {
        /// The programme's floor, if stated.
        floor: Option<Money>,
    },
    /// The text grants money without an amount.
    NotStated,
}

impl Formula {
    /// Every fact the formula reads.
    pub fn facts(&self) -> Vec<&str> {
        match self {
            Formula::Ratio { of, .. } | Formula::RatioUpTo { of, .. } => vec![of.as_str()],
            Formula::Each { per, .. } => vec![per.as_str()],
            Formula::ByChoice { fact, options } => std::iter::once(fact.as_str())
                .chain(options.iter().flat_map(|(_, f)| f.facts()))
                .collect(),
            Formula::Bands { on, bands } => std::iter::once(on.as_str())
                .chain(bands.iter().flat_map(|b| b.formula.facts()))
                .collect(),
            Formula::Fixed(_)
            | Formula::UpTo { .. }
            | Formula::Committee { .. }
            | Formula::NotStated => Vec::new(),
        }
    }

    /// The leaves' shapes, to check a clause's [`Kind`] against its formula.
    pub(crate) fn leaves(&self) -> Vec<&Formula> {
        match self {
            Formula::ByChoice { options, .. } => {
                options.iter().flat_map(|(_, f)| f.leaves()).collect()
            }
            Formula::Bands { bands, .. } => bands.iter().flat_map(|b| b.formula.leaves()).collect(),
            leaf => vec![leaf],
        }
    }
}

/// One band of [`Formula::Bands`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    /// Lowest value in the band (included), if any.
    pub from: Option<i64>,
    /// Highest value in the band (included), if any.
    pub to: Option<i64>,
    /// The formula inside the band.
    pub formula: Formula,
}

/// What past awards a cap adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapScope {
    /// Awards to the company in the same calendar year (每年).
    CompanyYear,
    /// All awards to the company, any year (单个企业最高, 累计).
    Company,
    /// All awards for the same subject key: the same product or project (每个品种, 每个项目).
    Subject,
}

/// A limit over the sum of several awards: a per-company yearly cap, a cumulative cap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cap {
    /// Id, e.g. `suzhou-2019/5/company-year`.
    pub id: String,
    /// Name in Chinese, e.g. 单个企业每年资助总额上限（第五条）.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// The limit.
    pub limit: Money,
    /// Which past awards count against it.
    pub scope: CapScope,
    /// Clause ids it covers; `prefix/*` covers every id starting with `prefix/`.
    pub covers: Vec<String>,
    /// Where it comes from.
    pub source: Source,
    /// The sentence of the seed that sets it.
    pub quote: String,
}

impl Cap {
    /// Whether this cap counts awards of `clause_id`.
    pub fn covers(&self, clause_id: &str) -> bool {
        self.covers.iter().any(|p| id_matches(p, clause_id))
    }

    /// Seed and section, for messages.
    pub fn source_text(&self) -> String {
        format!("{} {}", self.source.citation, self.source.section)
    }
}

/// Whether `pattern` (an id, or `prefix/*`) names `id`.
pub(crate) fn id_matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

/// A document the company attaches to an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentDef {
    /// Id, e.g. `audit-report`.
    pub id: String,
    /// Name in Chinese, e.g. 第三方审计报告.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
}

/// Where a clause comes from: the seed document, section, and the sentence itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClauseCitation {
    /// Seed file under `seeds/` (the repository's copy of the seed documents), e.g. `suzhou-jiangsu-biomedicine-policies.txt`.
    pub file: String,
    /// Document title as published.
    pub document: String,
    /// Provenance of the figures (citation id, section, confirmed).
    pub source: Source,
    /// The sentence that grants the money, verbatim from the seed.
    pub quote: String,
}

/// One version of one money-granting clause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clause {
    /// Stable id, e.g. `suzhou-2019/6/phase-entry`: document, article, part.
    pub id: String,
    /// Version; a changed parameter is a new version from its effective date.
    pub version: u32,
    /// Title in Chinese.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// Seed, section and sentence.
    pub citation: ClauseCitation,
    /// Issuing level.
    pub level: Level,
    /// Where it applies: `nanjing`, `suzhou`, `jiangsu`, `zhejiang`.
    pub jurisdiction: String,
    /// First day in force.
    pub effective_from: Date,
    /// Last day in force, if the text sets one.
    pub effective_to: Option<Date>,
    /// Where the period comes from (confirmed or a documented assumption).
    pub period_source: Source,
    /// How the amount is set.
    pub kind: Kind,
    /// The event it funds, e.g. `drug.clinical-stage`; clauses with the same subject and
    /// subject key overlap (see `docs/policy-rules.md`).
    pub subject: String,
    /// Facts whose values tell one funded event from another (product and stage).
    pub subject_key: Vec<String>,
    /// Clause ids (or `prefix/*`) this one adds to (再按照…, 配套): never superseded by them.
    pub stacks_with: Vec<String>,
    /// The document's conditions (适用范围) followed by the clause's own.
    pub conditions: Vec<Condition>,
    /// The amount.
    pub formula: Formula,
    /// Caps that cut the amount, narrowest first.
    pub caps: Vec<Cap>,
    /// Granted once per subject key (一次性).
    pub once: bool,
    /// Every fact the clause reads, in first-use order.
    pub required_facts: Vec<String>,
    /// Definitions of those facts (type, allowed values), for checking input.
    pub fact_defs: Vec<FactDef>,
    /// What the company attaches.
    pub attachments: Vec<AttachmentDef>,
    /// Computable from register data alone: formulaic, every fact from the register.
    pub no_application_needed: bool,
    /// What the text leaves open, e.g. the ratio not stated.
    pub note_zh: Option<String>,
    /// The same in English.
    pub note_en: Option<String>,
    /// Trace texts written once at load, so an evaluation only points at them.
    #[serde(skip)]
    pub(crate) texts: ClauseTexts,
}

/// The trace texts of a clause that do not depend on amounts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ClauseTexts {
    /// The jurisdiction step: (condition text, zh, en).
    pub(crate) jurisdiction: (Text, Text, Text),
    /// One per condition.
    pub(crate) conditions: Vec<ConditionText>,
    /// One per required fact, in order.
    pub(crate) facts: Vec<FactText>,
}

/// A condition as the trace shows it, held or not, and as an unmet reason.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ConditionText {
    pub(crate) en: Text,
    pub(crate) held_zh: Text,
    pub(crate) held_en: Text,
    pub(crate) failed_zh: Text,
    pub(crate) failed_en: Text,
    pub(crate) unmet_zh: String,
    pub(crate) unmet_en: String,
}

/// A fact as the trace shows it: its name, the label prefix, and the whole line for each
/// flag value and each choice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct FactText {
    pub(crate) name: Text,
    pub(crate) prefix_zh: String,
    pub(crate) prefix_en: String,
    /// (value, zh line, en line) for flags (`true`/`false`) and choices.
    pub(crate) lines: Vec<(String, Text, Text)>,
}

impl Clause {
    /// Whether this version is in force on `on`.
    pub fn in_force_on(&self, on: Date) -> bool {
        on >= self.effective_from && self.effective_to.is_none_or(|to| on <= to)
    }

    /// Whether this clause declares that it adds to `other_id`.
    pub fn stacks_with(&self, other_id: &str) -> bool {
        self.stacks_with.iter().any(|p| id_matches(p, other_id))
    }

    /// The definition of one of the clause's facts.
    pub fn fact_def(&self, name: &str) -> Option<&FactDef> {
        self.fact_defs.iter().find(|d| d.name == name)
    }
}
