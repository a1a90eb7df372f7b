//! Reference data about the city the platform serves: its districts and the industry targets
//! the seeds assign to each, loaded from cited data files compiled into the binary.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

const DISTRICTS_TOML: &str = include_str!("../data/districts.toml");

/// Where a figure comes from: a seed file and its section.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Citation {
    pub file: String,
    pub section: String,
    pub unit: String,
}

/// A district (or 江北新区) of Nanjing.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct District {
    /// Stable key used in URLs and data scopes, e.g. `gulou`.
    pub key: String,
    /// GB/T 2260 code; `None` for 江北新区, which is not an administrative division.
    #[serde(default)]
    pub code: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    /// Industry scale target per year, in 亿元, as the seed's table states it.
    targets: BTreeMap<String, u32>,
    /// Whether the unit lies north of the Yangtze: China-PAR's "northern China" (see
    /// [`Districts::north_of_yangtze_source`]).
    pub north_of_yangtze: bool,
}

impl District {
    /// The industry scale target for `year` in 亿元, if the seed sets one.
    pub fn target_yi_yuan(&self, year: u16) -> Option<u32> {
        self.targets.get(&year.to_string()).copied()
    }

    pub fn name(&self, english: bool) -> &str {
        if english {
            &self.name_en
        } else {
            &self.name_zh
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct TargetYear {
    pub year: u16,
    /// The city-wide total the seed's table header states, in 亿元.
    pub city_total: u32,
}

/// Where a geographical fact about the districts comes from.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GeoSource {
    pub title: String,
    pub source: String,
    pub section: String,
    /// `false` when the source could not be re-read (then `note` says why).
    pub confirmed: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// The districts and their cited targets.
#[derive(Debug, Clone, Deserialize)]
pub struct Districts {
    pub source: Citation,
    /// Where the districts' `north_of_yangtze` flags come from.
    pub north_of_yangtze_source: GeoSource,
    pub target_years: Vec<TargetYear>,
    pub districts: Vec<District>,
}

impl Districts {
    pub fn all(&self) -> &[District] {
        &self.districts
    }

    pub fn by_key(&self, key: &str) -> Option<&District> {
        self.districts.iter().find(|d| d.key == key)
    }

    /// Sum of the district targets for `year`, in 亿元.
    pub fn sum_of_targets(&self, year: u16) -> u32 {
        self.districts
            .iter()
            .filter_map(|d| d.target_yi_yuan(year))
            .sum()
    }
}

/// The compiled-in district data. Parsed once; the data file is checked by this crate's tests,
/// so a parse failure here is a build defect, reported with the parser's message.
pub fn districts() -> &'static Districts {
    static DATA: OnceLock<Districts> = OnceLock::new();
    DATA.get_or_init(|| match toml::from_str(DISTRICTS_TOML) {
        Ok(data) => data,
        Err(e) => panic!("crates/city/data/districts.toml is invalid: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_units_with_unique_keys_and_codes() {
        let d = districts();
        assert_eq!(d.all().len(), 12);
        let mut keys: Vec<_> = d.all().iter().map(|d| d.key.as_str()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 12);
        let coded = d.all().iter().filter(|d| d.code.is_some()).count();
        assert_eq!(coded, 11, "every unit but 江北新区 has a GB/T 2260 code");
        assert!(
            d.all()
                .iter()
                .all(|d| d.code.as_deref().is_none_or(|c| c.starts_with("3201")))
        );
    }

    #[test]
    fn pukou_luhe_and_jiangbei_lie_north_of_the_yangtze_the_other_nine_south() {
        let d = districts();
        let mut north: Vec<&str> = d
            .all()
            .iter()
            .filter(|d| d.north_of_yangtze)
            .map(|d| d.key.as_str())
            .collect();
        north.sort_unstable();
        assert_eq!(north, ["jiangbei", "luhe", "pukou"]);
        assert_eq!(d.all().iter().filter(|d| !d.north_of_yangtze).count(), 9);
        let source = &d.north_of_yangtze_source;
        assert!(source.confirmed || source.note.as_deref().is_some_and(|n| !n.is_empty()));
    }

    #[test]
    fn district_targets_add_up_to_the_city_totals_the_table_states() {
        let d = districts();
        assert_eq!(d.target_years.len(), 2);
        for year in &d.target_years {
            assert_eq!(
                d.sum_of_targets(year.year),
                year.city_total,
                "year {}",
                year.year
            );
        }
    }

    #[test]
    fn targets_are_read_as_the_seed_states_them() {
        let d = districts();
        let gulou = d.by_key("gulou").expect("gulou");
        assert_eq!(gulou.target_yi_yuan(2022), Some(555));
        assert_eq!(gulou.target_yi_yuan(2025), Some(740));
        assert_eq!(gulou.target_yi_yuan(2030), None);
        assert_eq!(
            d.by_key("jiangbei").and_then(|j| j.target_yi_yuan(2025)),
            Some(1400)
        );
    }

    #[test]
    fn the_citation_names_a_seed_file_that_exists() {
        let d = districts();
        let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../seeds")
            .join(&d.source.file);
        // The repository keeps verbatim copies of the seeds (seeds/README.md).
        let text = std::fs::read_to_string(&seed)
            .unwrap_or_else(|e| panic!("seed {} not readable: {e}", seed.display()));
        assert!(text.contains("新医药与生命健康产业目标任务分解"));
        assert!(text.contains("2022年度（3200）") && text.contains("2025年度（5400）"));
        for district in d.all() {
            assert!(
                text.contains(&district.name_zh),
                "{} is in the seed",
                district.name_zh
            );
        }
    }
}
