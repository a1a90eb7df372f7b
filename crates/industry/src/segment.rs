//! Industry segments (产业领域): the fields of the seeds' focus lists, named and cited in
//! `data/segments.toml`.

use std::sync::OnceLock;

use kernel::Source;
use serde::{Deserialize, Serialize};

use crate::terms::{Term, Terms, shipped};

const SEGMENTS_TOML: &str = include_str!("../data/segments.toml");

/// A segment a company works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Segment {
    CellGene,
    Biologics,
    ChemicalDrugs,
    ModernTcm,
    MedicalDevices,
    Ivd,
    Cxo,
    BtIt,
    MedicalInformatics,
    SupplyChainMaterials,
    TradeLogistics,
    HealthServices,
    ElderlyCare,
    SportsHealth,
    ProfessionalServices,
}

impl Segment {
    pub const ALL: [Segment; 15] = [
        Segment::CellGene,
        Segment::Biologics,
        Segment::ChemicalDrugs,
        Segment::ModernTcm,
        Segment::MedicalDevices,
        Segment::Ivd,
        Segment::Cxo,
        Segment::BtIt,
        Segment::MedicalInformatics,
        Segment::SupplyChainMaterials,
        Segment::TradeLogistics,
        Segment::HealthServices,
        Segment::ElderlyCare,
        Segment::SportsHealth,
        Segment::ProfessionalServices,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Segment::CellGene => "cell-gene",
            Segment::Biologics => "biologics",
            Segment::ChemicalDrugs => "chemical-drugs",
            Segment::ModernTcm => "modern-tcm",
            Segment::MedicalDevices => "medical-devices",
            Segment::Ivd => "ivd",
            Segment::Cxo => "cxo",
            Segment::BtIt => "bt-it",
            Segment::MedicalInformatics => "medical-informatics",
            Segment::SupplyChainMaterials => "supply-chain-materials",
            Segment::TradeLogistics => "trade-logistics",
            Segment::HealthServices => "health-services",
            Segment::ElderlyCare => "elderly-care",
            Segment::SportsHealth => "sports-health",
            Segment::ProfessionalServices => "professional-services",
        }
    }

    pub fn from_key(key: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The segment a person named: its key, Chinese or English name, or an alias of the data
    /// file (e.g. 医工, 生物制药, CRO).
    pub fn parse(text: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.term().is_named(text))
    }

    pub fn zh(self) -> &'static str {
        &self.term().zh
    }

    pub fn en(self) -> &'static str {
        &self.term().en
    }

    /// The seed clauses that name the segment.
    pub fn sources(self) -> &'static [Source] {
        &self.term().sources
    }

    fn term(self) -> &'static Term {
        // A test proves every segment has its entry; the first entry stands in otherwise.
        let terms = segments();
        terms.get(self.key()).unwrap_or(&terms.terms[0])
    }
}

/// The shipped segments file.
pub fn segments() -> &'static Terms {
    static DATA: OnceLock<Terms> = OnceLock::new();
    DATA.get_or_init(|| shipped("segments.toml", Terms::parse(SEGMENTS_TOML)))
}

/// Keys joined for storage and display, in the enum's order.
pub(crate) fn keys_of(segments: &[Segment]) -> Vec<&'static str> {
    segments.iter().map(|s| s.key()).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_segment_has_its_entry_and_every_entry_a_segment() {
        let data = segments();
        assert_eq!(data.terms.len(), Segment::ALL.len());
        for s in Segment::ALL {
            let term = data.get(s.key()).unwrap();
            assert!(!term.sources.is_empty());
            assert_eq!(Segment::from_key(s.key()), Some(s));
        }
    }

    #[test]
    fn names_and_aliases_from_both_cities_are_understood() {
        assert_eq!(Segment::parse("CXO"), Some(Segment::Cxo));
        assert_eq!(Segment::parse("cro"), Some(Segment::Cxo));
        assert_eq!(Segment::parse(" 医工 "), Some(Segment::MedicalDevices));
        assert_eq!(Segment::parse("生物制药"), Some(Segment::Biologics));
        assert_eq!(Segment::parse("现代中药"), Some(Segment::ModernTcm));
        assert_eq!(
            Segment::parse("medical-informatics"),
            Some(Segment::MedicalInformatics)
        );
        assert_eq!(Segment::parse("房地产"), None);
        assert_eq!(Segment::ModernTcm.zh(), "现代中药");
    }

    #[test]
    fn no_name_is_claimed_by_two_segments() {
        let data = segments();
        for a in &data.terms {
            for name in a.aliases.iter().chain([&a.zh, &a.en, &a.key]) {
                let claimed: Vec<_> = data.terms.iter().filter(|t| t.is_named(name)).collect();
                assert_eq!(claimed.len(), 1, "{name}");
            }
        }
    }
}
