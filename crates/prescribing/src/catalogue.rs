//! The drug catalogue: the medicines the online clinic can put on a prescription, with what
//! the checks need to know about each (strength, label maximum, control class, pack).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, comparable};
use crate::control::ControlClass;
use crate::error::{DataError, check_citations, check_source};
use crate::interaction::{Interaction, RawInteractions};
use kernel::{Citation, Source};

/// The shipped catalogue file.
pub const DRUGS_TOML: &str = include_str!("../data/drugs.toml");
/// The shipped interaction list.
pub const INTERACTIONS_TOML: &str = include_str!("../data/interactions.toml");

const FILE: &str = "drugs.toml";

/// One medicine as a generic product: substance, form and strength.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drug {
    /// Stable catalogue code, e.g. `amlodipine-5mg-tab`; what [`crate::Line::drug`] holds.
    pub code: String,
    /// Chinese generic name as on the label, e.g. 苯磺酸氨氯地平片.
    pub generic_zh: String,
    /// English generic name.
    pub generic_en: String,
    /// WHO ATC code of the substance.
    pub atc: String,
    /// Dosage form, e.g. `tablet`, `sustained-release tablet`, `inhalation powder`.
    pub form: String,
    /// Amount of drug in one counting unit ([`Drug::unit_en`]): a tablet, a capsule, one
    /// inhalation, one pen. Doses are written in this unit.
    pub strength: Amount,
    /// Label strength for display when `strength` shows only the dose-limiting component of a
    /// combination, e.g. `50 µg/250 µg`.
    pub strength_label: Option<String>,
    /// Route of administration, e.g. `oral`, `inhalation`, `subcutaneous`.
    pub route: String,
    /// Legal control class.
    pub control: ControlClass,
    /// Where the control class comes from; every class other than ordinary has one.
    pub control_source: Option<Source>,
    /// Therapeutic class key; two medicines of one class on a prescription are flagged.
    pub class: String,
    /// Usual adult label maximum per day.
    pub max_daily: Amount,
    /// Where the maximum comes from.
    pub max_daily_source: Source,
    /// Counting units per pack.
    pub pack: u32,
    /// Counting unit in Chinese, e.g. 片.
    pub unit_zh: String,
    /// Counting unit in English, e.g. `tablet`.
    pub unit_en: String,
    /// A long-term medicine for a chronic disease; only these go on a long prescription.
    pub chronic: bool,
}

impl Drug {
    /// Whether `text` (already lower-cased) occurs in the names, code or ATC code.
    fn matches(&self, text: &str) -> bool {
        [&self.generic_zh, &self.generic_en, &self.code, &self.atc]
            .into_iter()
            .any(|field| field.to_lowercase().contains(text))
    }
}

/// The medicines, the interactions between them, and the documents both cite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalogue {
    drugs: Vec<Drug>,
    interactions: Vec<Interaction>,
    citations: Vec<Citation>,
}

/// The shipped catalogue with its interactions, parsed on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        Catalogue::parse(DRUGS_TOML)
            .and_then(|c| c.with_interactions(INTERACTIONS_TOML))
            // The shipped files are embedded and a test parses them, so this cannot fail in a
            // build that passed its tests.
            .expect("the shipped drugs.toml and interactions.toml are valid")
    })
}

impl Catalogue {
    /// Reads and checks a catalogue file (the shape of `data/drugs.toml`), without
    /// interactions.
    pub fn parse(text: &str) -> Result<Catalogue, DataError> {
        let raw: RawCatalogue = toml::from_str(text).map_err(|e| DataError::Syntax {
            file: FILE,
            message: e.to_string(),
        })?;
        check_citations(FILE, &raw.citations)?;
        let mut drugs: Vec<Drug> = Vec::with_capacity(raw.drugs.len());
        for (i, d) in raw.drugs.into_iter().enumerate() {
            let drug = d.into_drug(i, &raw.citations)?;
            if drugs.iter().any(|earlier| earlier.code == drug.code) {
                return Err(DataError::invalid(
                    FILE,
                    format!("drugs[{i}].code"),
                    format!("{:?} is listed twice", drug.code),
                ));
            }
            drugs.push(drug);
        }
        Ok(Catalogue {
            drugs,
            interactions: Vec::new(),
            citations: raw.citations,
        })
    }

    /// This catalogue with the interactions of an interaction file (the shape of
    /// `data/interactions.toml`); every class or drug they name must be in the catalogue.
    pub fn with_interactions(mut self, text: &str) -> Result<Catalogue, DataError> {
        let raw: RawInteractions = toml::from_str(text).map_err(|e| DataError::Syntax {
            file: crate::interaction::FILE,
            message: e.to_string(),
        })?;
        self.interactions = raw.into_interactions(&self.drugs)?;
        Ok(self)
    }

    /// The medicine with this catalogue code.
    pub fn drug(&self, code: &str) -> Option<&Drug> {
        self.drugs.iter().find(|d| d.code == code)
    }

    /// Every medicine, in file order.
    pub fn all(&self) -> &[Drug] {
        &self.drugs
    }

    /// Medicines whose Chinese or English name, code or ATC code contains `text`, ignoring case
    /// and surrounding spaces; every medicine for empty text.
    pub fn search(&self, text: &str) -> Vec<&Drug> {
        let text = text.trim().to_lowercase();
        self.drugs.iter().filter(|d| d.matches(&text)).collect()
    }

    /// Medicines with this ATC code (ignoring case).
    pub fn by_atc(&self, atc: &str) -> Vec<&Drug> {
        let atc = atc.trim();
        self.drugs
            .iter()
            .filter(|d| d.atc.eq_ignore_ascii_case(atc))
            .collect()
    }

    /// The known interactions.
    pub fn interactions(&self) -> &[Interaction] {
        &self.interactions
    }

    /// The documents the catalogue cites (label and pharmacopoeia, control lists).
    pub fn citations(&self) -> &[Citation] {
        &self.citations
    }

    /// The citation with this id.
    pub fn citation(&self, id: &str) -> Option<&Citation> {
        self.citations.iter().find(|c| c.id == id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    #[serde(default)]
    citations: Vec<Citation>,
    #[serde(default)]
    drugs: Vec<RawDrug>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDrug {
    code: String,
    generic_zh: String,
    generic_en: String,
    atc: String,
    form: String,
    strength: Amount,
    #[serde(default)]
    strength_label: Option<String>,
    route: String,
    control: ControlClass,
    #[serde(default)]
    control_source: Option<Source>,
    class: String,
    max_daily: RawMaximum,
    pack: u32,
    unit_zh: String,
    unit_en: String,
    #[serde(default)]
    chronic: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaximum {
    value: f64,
    unit: String,
    source: Source,
}

impl RawDrug {
    fn into_drug(self, i: usize, citations: &[Citation]) -> Result<Drug, DataError> {
        let at = |field: &str| format!("drugs[{i}].{field}");
        let invalid = |field: &str, reason: String| DataError::invalid(FILE, at(field), reason);
        let code_ok = !self.code.is_empty()
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !code_ok {
            return Err(invalid(
                "code",
                format!(
                    "{:?}: use lower-case letters, digits, '-' and '.'",
                    self.code
                ),
            ));
        }
        for (field, value) in [
            ("generic_zh", &self.generic_zh),
            ("generic_en", &self.generic_en),
            ("form", &self.form),
            ("route", &self.route),
            ("class", &self.class),
            ("unit_zh", &self.unit_zh),
            ("unit_en", &self.unit_en),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(field, "must not be empty".into()));
            }
        }
        if !is_atc(&self.atc) {
            return Err(invalid(
                "atc",
                format!("{:?} is not a 7-character ATC substance code", self.atc),
            ));
        }
        if !(self.strength.value.is_finite() && self.strength.value > 0.0) {
            return Err(invalid("strength.value", "must be above 0".into()));
        }
        if !(self.max_daily.value.is_finite() && self.max_daily.value > 0.0) {
            return Err(invalid("max_daily.value", "must be above 0".into()));
        }
        // Doses are written in the strength unit and compared with the maximum, so an
        // incomparable pair would make every dose of this drug unjudgeable.
        if !comparable(&self.strength.unit, &self.max_daily.unit) {
            return Err(invalid(
                "max_daily.unit",
                format!(
                    "{:?} cannot be compared with the strength unit {:?}",
                    self.max_daily.unit, self.strength.unit
                ),
            ));
        }
        if self.pack == 0 {
            return Err(invalid("pack", "a pack holds at least one unit".into()));
        }
        check_source(
            FILE,
            &at("max_daily.source"),
            &self.max_daily.source,
            citations,
        )?;
        match (&self.control_source, self.control) {
            (Some(source), _) => check_source(FILE, &at("control_source"), source, citations)?,
            (None, ControlClass::Ordinary) => {}
            (None, class) => {
                return Err(invalid(
                    "control_source",
                    format!("a {} needs the list it is controlled by", class.code()),
                ));
            }
        }
        Ok(Drug {
            code: self.code,
            generic_zh: self.generic_zh,
            generic_en: self.generic_en,
            atc: self.atc,
            form: self.form,
            strength: self.strength,
            strength_label: self.strength_label,
            route: self.route,
            control: self.control,
            control_source: self.control_source,
            class: self.class,
            max_daily: Amount::new(self.max_daily.value, self.max_daily.unit),
            max_daily_source: self.max_daily.source,
            pack: self.pack,
            unit_zh: self.unit_zh,
            unit_en: self.unit_en,
            chronic: self.chronic,
        })
    }
}

/// ATC level 5: letter, two digits, two letters, two digits (C08CA01).
fn is_atc(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 7
        && b[0].is_ascii_uppercase()
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3..5].iter().all(u8::is_ascii_uppercase)
        && b[5..7].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atc_codes_have_the_level_5_shape() {
        assert!(is_atc("C08CA01"));
        assert!(!is_atc("C08CA1"));
        assert!(!is_atc("c08ca01"));
        assert!(!is_atc("C08C001"));
    }
}
