//! The schemes and their pools as cited data (`data/pools.toml`): sizes, entry criteria and
//! scoring. Loaded and checked once; a figure citing nothing, or unconfirmed without a note,
//! does not load.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use kernel::{Citation, Source, Sourced};
use serde::{Deserialize, Serialize};

/// The shipped pools file.
pub const POOLS_FILE: &str = include_str!("../data/pools.toml");

/// Every scheme the platform runs, with the documents they cite.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schemes {
    pub citations: Vec<Citation>,
    pub schemes: Vec<Scheme>,
}

/// One selection run by a bureau: pools filled from one ranking. A company is in at most one
/// pool of a scheme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    /// Why a published list replaces the previous year's.
    pub renewal: Source,
    /// Why a company goes to one pool only, and in which order pools are filled.
    pub placement: Source,
    /// The clause that promises members support (the basis of support plans).
    pub support: Source,
    /// In placement order: a candidate goes to the first pool whose criteria it meets and
    /// which has room.
    pub pools: Vec<Pool>,
    pub scoring: Scoring,
}

/// A pool of a scheme (a tier, a list, a library).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub capacity: Sourced<Capacity>,
    /// All must hold for a company to enter the pool.
    #[serde(default)]
    pub criteria: Vec<Criterion>,
}

/// How many companies a pool holds. No `max` means unbounded; a `min` is checked when the
/// proposal is submitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    #[serde(default)]
    pub min: Option<u32>,
    #[serde(default)]
    pub max: Option<u32>,
}

/// An entry condition on one measure of the candidate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub factor: Factor,
    #[serde(default)]
    pub at_least: Option<f64>,
    #[serde(default)]
    pub at_most: Option<f64>,
    pub source: Source,
}

impl Criterion {
    /// Whether `value` meets the condition.
    pub fn holds(&self, value: f64) -> bool {
        self.at_least.is_none_or(|min| value >= min) && self.at_most.is_none_or(|max| value <= max)
    }

    /// `revenue ≥ 100000000`, `age_years ≤ 5`: the condition as people read it.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(min) = self.at_least {
            parts.push(format!("{} ≥ {min}", self.factor.code()));
        }
        if let Some(max) = self.at_most {
            parts.push(format!("{} ≤ {max}", self.factor.code()));
        }
        parts.join(", ")
    }
}

/// How a scheme ranks its candidates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    pub source: Source,
    /// Qualification codes that count for the `qualifications` factor.
    #[serde(default)]
    pub qualifications: Vec<String>,
    pub factors: Vec<Weighted>,
}

/// A factor with its weight and how its raw value becomes a number between 0 and 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weighted {
    pub factor: Factor,
    pub weight: f64,
    pub normalisation: Normalisation,
}

/// The measures of a candidate that scoring and criteria use. See `Candidate::measure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// Revenue of the last year, yuan.
    Revenue,
    /// (revenue − previous revenue) / previous revenue; 0 without a previous positive revenue.
    RevenueGrowth,
    /// R&D spend of the last year, yuan.
    RdSpend,
    /// R&D spend / revenue; 1 for a company with R&D spend and no revenue yet.
    RdIntensity,
    Staff,
    /// Distinct qualifications the scheme recognises.
    Qualifications,
    DrugsInClinic,
    Approvals,
    /// Selection year − founding year. An entry criterion only: age is not better or worse.
    AgeYears,
}

impl Factor {
    pub fn code(self) -> &'static str {
        match self {
            Factor::Revenue => "revenue",
            Factor::RevenueGrowth => "revenue_growth",
            Factor::RdSpend => "rd_spend",
            Factor::RdIntensity => "rd_intensity",
            Factor::Staff => "staff",
            Factor::Qualifications => "qualifications",
            Factor::DrugsInClinic => "drugs_in_clinic",
            Factor::Approvals => "approvals",
            Factor::AgeYears => "age_years",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Factor::Revenue => "营业收入",
            Factor::RevenueGrowth => "营业收入增长率",
            Factor::RdSpend => "研发投入",
            Factor::RdIntensity => "研发投入强度",
            Factor::Staff => "从业人员",
            Factor::Qualifications => "资质",
            Factor::DrugsInClinic => "在研临床药物",
            Factor::Approvals => "获批产品",
            Factor::AgeYears => "成立年数",
        }
    }
}

/// How a raw value becomes a share between 0 and 1 (see the README for the formulas).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Normalisation {
    /// ln(1 + v) / ln(1 + full_at), clamped to 0..=1: money and headcounts, where the first
    /// millions matter more than the last.
    Log { full_at: f64 },
    /// v / full_at, clamped to 0..=1: small counts and ratios.
    Linear { full_at: f64 },
    /// The share of the cohort whose value is at most v: growth rates, which have no natural
    /// scale.
    RankPercentile,
}

/// Why a pools file does not load.
#[derive(Debug, thiserror::Error)]
pub enum PoolsError {
    #[error("the pools file does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("`{field}` cites `{citation}`, which the file does not list")]
    UnknownCitation { field: String, citation: String },
    #[error("`{field}` is unconfirmed and says nowhere why (add a note)")]
    MissingNote { field: String },
    #[error("`{field}`: {why}")]
    Invalid { field: String, why: &'static str },
}

impl Schemes {
    /// Parses and checks a pools file.
    pub fn parse(text: &str) -> Result<Schemes, PoolsError> {
        let schemes: Schemes = toml::from_str(text)?;
        schemes.check()?;
        Ok(schemes)
    }

    /// The shipped schemes.
    pub fn shipped() -> &'static Schemes {
        static SCHEMES: OnceLock<Schemes> = OnceLock::new();
        SCHEMES.get_or_init(|| {
            // The file is compiled in and a test loads it; failing here means the build
            // itself is broken, not the input.
            #[allow(clippy::expect_used)]
            Schemes::parse(POOLS_FILE).expect("data/pools.toml is checked by the tests")
        })
    }

    /// The scheme called `id`.
    pub fn scheme(&self, id: &str) -> Option<&Scheme> {
        self.schemes.iter().find(|s| s.id == id)
    }

    /// Every source in the file with its dotted name, for checks and the rules page.
    pub fn sources(&self) -> Vec<(String, &Source)> {
        let mut all = Vec::new();
        for s in &self.schemes {
            all.push((format!("{}.renewal", s.id), &s.renewal));
            all.push((format!("{}.placement", s.id), &s.placement));
            all.push((format!("{}.support", s.id), &s.support));
            all.push((format!("{}.scoring", s.id), &s.scoring.source));
            for p in &s.pools {
                all.push((format!("{}.{}.capacity", s.id, p.id), &p.capacity.source));
                for c in &p.criteria {
                    let field = format!("{}.{}.criteria.{}", s.id, p.id, c.factor.code());
                    all.push((field, &c.source));
                }
            }
        }
        all
    }

    /// A source as people read it: title and section.
    pub fn cite(&self, source: &Source) -> String {
        match self.citations.iter().find(|c| c.id == source.citation) {
            Some(c) => format!("{} {}", c.title, source.section),
            None => source.section.clone(),
        }
    }

    fn check(&self) -> Result<(), PoolsError> {
        for (field, source) in self.sources() {
            if !self.citations.iter().any(|c| c.id == source.citation) {
                return Err(PoolsError::UnknownCitation {
                    field,
                    citation: source.citation.clone(),
                });
            }
            if !source.confirmed && source.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                return Err(PoolsError::MissingNote { field });
            }
        }
        let invalid = |field: String, why| Err(PoolsError::Invalid { field, why });
        let mut scheme_ids = BTreeSet::new();
        for s in &self.schemes {
            if !scheme_ids.insert(s.id.as_str()) {
                return invalid(s.id.clone(), "two schemes share this id");
            }
            if s.pools.is_empty() {
                return invalid(s.id.clone(), "a scheme needs at least one pool");
            }
            let mut pool_ids = BTreeSet::new();
            for p in &s.pools {
                let field = format!("{}.{}", s.id, p.id);
                if !pool_ids.insert(p.id.as_str()) {
                    return invalid(field, "two pools of the scheme share this id");
                }
                let Capacity { min, max } = p.capacity.value;
                if max == Some(0) {
                    return invalid(field, "a capacity must be at least 1");
                }
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    return invalid(field, "the minimum is above the maximum");
                }
                for c in &p.criteria {
                    let bounds = [c.at_least, c.at_most];
                    if bounds.iter().all(Option::is_none) {
                        return invalid(field, "a criterion needs at_least or at_most");
                    }
                    if bounds.iter().flatten().any(|b| !b.is_finite()) {
                        return invalid(field, "a criterion's bound must be a finite number");
                    }
                }
            }
            let field = format!("{}.scoring", s.id);
            if s.scoring.factors.is_empty() {
                return invalid(field, "scoring needs at least one factor");
            }
            let mut factors = BTreeSet::new();
            for w in &s.scoring.factors {
                if !factors.insert(w.factor) {
                    return invalid(field, "a factor is weighted twice");
                }
                if w.factor == Factor::AgeYears {
                    return invalid(field, "age is an entry criterion, not a score factor");
                }
                if !(w.weight.is_finite() && w.weight >= 0.0) {
                    return invalid(field, "a weight is a number of at least 0");
                }
                match w.normalisation {
                    Normalisation::Log { full_at } | Normalisation::Linear { full_at }
                        if !(full_at.is_finite() && full_at > 0.0) =>
                    {
                        return invalid(field, "full_at must be a number above 0");
                    }
                    _ => {}
                }
            }
            if s.scoring.factors.iter().map(|w| w.weight).sum::<f64>() <= 0.0 {
                return invalid(field, "the weights add up to 0");
            }
        }
        Ok(())
    }
}

impl Scheme {
    /// The pool called `id`.
    pub fn pool(&self, id: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn seeds() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../seeds")
    }

    /// Seed text without the spaces and line breaks the scraped copy scatters through it.
    fn seed_text(file: &str) -> String {
        let text = std::fs::read_to_string(seeds().join(file)).unwrap();
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn capacity(scheme: &str, pool: &str) -> Capacity {
        let schemes = Schemes::parse(POOLS_FILE).unwrap();
        schemes
            .scheme(scheme)
            .unwrap()
            .pool(pool)
            .unwrap()
            .capacity
            .value
    }

    #[test]
    fn the_shipped_file_loads_with_the_seed_sizes() {
        assert_eq!(capacity("nanjing-2022-tiers", "leading").max, Some(30));
        assert_eq!(capacity("nanjing-2022-tiers", "breakthrough").max, Some(50));
        assert_eq!(capacity("nanjing-2022-tiers", "potential").max, Some(100));
        assert_eq!(
            capacity("nanjing-2020-potential-leaders", "potential-leaders").max,
            Some(30)
        );
        let landmark = capacity("suzhou-landmark", "landmark");
        assert_eq!((landmark.min, landmark.max), (Some(15), Some(20)));
        let institutions = capacity("nanjing-2022-rd-institutions", "supported");
        assert_eq!((institutions.min, institutions.max), (Some(5), Some(10)));
        for library in ["above-100m", "key-innovators", "start-ups"] {
            assert_eq!(
                capacity("suzhou-libraries", library),
                Capacity::default(),
                "{library} is unbounded"
            );
        }
    }

    #[test]
    fn the_official_text_wins_over_the_scrape_for_the_potential_tier() {
        let official = seed_text("nanjing-2022-life-health-action-plan.txt");
        let scraped = seed_text("nanjing-2022-life-health-action-plan.scraped-copy.txt");
        assert!(official.contains("50家面临突破企业和100家发展潜力企业培育库"));
        assert!(scraped.contains("50家面临突破企业和1家发展潜力企业培育库"));
        assert!(!scraped.contains("100家发展潜力企业"));
        let potential = Schemes::parse(POOLS_FILE)
            .unwrap()
            .scheme("nanjing-2022-tiers")
            .unwrap()
            .pool("potential")
            .unwrap()
            .capacity
            .clone();
        assert_eq!(potential.value.max, Some(100), "the official figure");
        assert!(potential.source.confirmed);
    }

    #[test]
    fn every_confirmed_quote_appears_in_its_seed() {
        let schemes = Schemes::parse(POOLS_FILE).unwrap();
        let mut checked = 0;
        for (field, source) in schemes.sources() {
            let Some(citation) = schemes.citations.iter().find(|c| c.id == source.citation) else {
                panic!("{field} cites nothing listed");
            };
            let Some(file) = citation.source.strip_prefix("seeds/") else {
                continue;
            };
            let text = seed_text(file);
            let quotes: Vec<&str> = source
                .section
                .split('“')
                .skip(1)
                .filter_map(|s| s.split('”').next())
                .collect();
            if source.confirmed {
                assert!(
                    !quotes.is_empty(),
                    "{field}: a confirmed source quotes the seed"
                );
            }
            for quote in quotes {
                let quote: String = quote.chars().filter(|c| !c.is_whitespace()).collect();
                assert!(text.contains(&quote), "{field}: “{quote}” is not in {file}");
                checked += 1;
            }
        }
        assert!(checked >= 15, "only {checked} quotes checked");
    }

    #[test]
    fn unconfirmed_figures_say_why() {
        let schemes = Schemes::parse(POOLS_FILE).unwrap();
        let above = schemes
            .scheme("suzhou-libraries")
            .unwrap()
            .pool("above-100m")
            .unwrap();
        assert_eq!(above.criteria[0].at_least, Some(100_000_000.0));
        assert!(!above.criteria[0].source.confirmed);
        assert!(
            above.criteria[0]
                .source
                .note
                .as_deref()
                .unwrap()
                .contains("name")
        );
        for s in &schemes.schemes {
            assert!(
                !s.scoring.source.confirmed,
                "{}: weights are editorial",
                s.id
            );
        }
        let broken = POOLS_FILE.replacen(
            ", note = \"operator's choice; the seeds state only the tier sizes\"",
            "",
            1,
        );
        assert!(matches!(
            Schemes::parse(&broken),
            Err(PoolsError::MissingNote { field }) if field == "nanjing-2022-tiers.scoring"
        ));
    }

    #[test]
    fn broken_files_are_refused() {
        let unknown = POOLS_FILE.replacen(
            "citation = \"nanjing-2022\", section = \"三（一）“30家",
            "citation = \"nowhere\", section = \"三（一）“30家",
            1,
        );
        assert!(matches!(
            Schemes::parse(&unknown),
            Err(PoolsError::UnknownCitation { field, .. })
                if field == "nanjing-2022-tiers.leading.capacity"
        ));
        let zero = POOLS_FILE.replacen("{ max = 30 }", "{ max = 0 }", 1);
        assert!(matches!(
            Schemes::parse(&zero),
            Err(PoolsError::Invalid { .. })
        ));
        let inverted = POOLS_FILE.replacen("{ min = 15, max = 20 }", "{ min = 25, max = 20 }", 1);
        assert!(matches!(
            Schemes::parse(&inverted),
            Err(PoolsError::Invalid { .. })
        ));
        let negative = POOLS_FILE.replacen("weight = 25,", "weight = -25,", 1);
        assert!(matches!(
            Schemes::parse(&negative),
            Err(PoolsError::Invalid { .. })
        ));
        let aged = POOLS_FILE.replacen(
            "factor = \"staff\", weight = 5",
            "factor = \"age_years\", weight = 5",
            1,
        );
        assert!(matches!(
            Schemes::parse(&aged),
            Err(PoolsError::Invalid { why, .. }) if why.contains("age")
        ));
    }
}
