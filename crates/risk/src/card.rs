//! Model cards: what a model predicts, from what, for whom, from which source, and how well.
//! A card is data (`models/<id>.card.toml`) beside the model it describes.

use diseases::{Citation, Source};
use serde::{Deserialize, Serialize};

use crate::data::{DataError, check_source, parse_toml};
use crate::validation::Validation;

/// How a model came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Published equations, encoded from the paper.
    PublishedEquation,
    /// Fitted by the platform on its own registry data.
    TrainedOnRegistry,
}

/// A model's description, as shown on the model registry page and returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// Stable identifier, e.g. `china-par`.
    pub id: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// Version of the encoded or trained model.
    pub version: String,
    /// Published equation or trained here.
    pub kind: ModelKind,
    /// What is predicted, in Chinese.
    pub outcome_zh: String,
    /// What is predicted, in English.
    pub outcome_en: String,
    /// Prediction horizon in years, where the model has one.
    #[serde(default)]
    pub horizon_years: Option<u32>,
    /// The documents the card cites; `source` names the model's own.
    pub citations: Vec<Citation>,
    /// Where the model comes from.
    pub source: Source,
    /// Who the model is valid for.
    pub population: Population,
    /// What the model reads.
    pub inputs: Vec<InputSpec>,
    /// Limits a user must know (synthetic training data, not for clinical use…).
    #[serde(default)]
    pub limits: Vec<Limit>,
    /// Discrimination and calibration measured on registry data, once measured.
    #[serde(default)]
    pub measured: Option<Validation>,
}

/// A limit of a model, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

/// The population a model was derived on: outside it, a risk is not computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Youngest age, years, inclusive.
    pub age_min: f64,
    /// Oldest age, years, inclusive (a 74.9-year-old is 74).
    pub age_max: f64,
    /// Where the age range comes from.
    pub age_source: Source,
    /// The subject must have at least one of these (empty: no requirement).
    #[serde(default)]
    pub requires_any: Vec<Condition>,
    /// The subject must have none of these.
    #[serde(default)]
    pub excludes: Vec<Condition>,
}

/// A condition a population requires or excludes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Stable key, e.g. `ascvd` or a disease template code such as `hypertension`.
    pub key: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
}

/// One input a model reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Key, as in the API.
    pub key: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// Unit as shown, where there is one.
    #[serde(default)]
    pub unit: Option<String>,
}

/// What [`ModelCard::applies_to`] needs to know about a person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subject {
    /// Age in years, if known.
    pub age: Option<f64>,
    /// Keys of the conditions the person has (see [`Condition::key`]).
    pub conditions: Vec<String>,
}

/// Why a model does not apply to a person: the risk is not computed, and this says why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OutOfPopulation {
    /// The age is not known (or not a number), so the range cannot be checked.
    #[error("age unknown; the model is valid for ages {min}-{max}")]
    AgeUnknown {
        /// Youngest valid age.
        min: f64,
        /// Oldest valid age.
        max: f64,
    },
    /// Younger or older than the population the model was derived on.
    #[error("age {age} is outside {min}-{max}, the ages the model was derived on")]
    AgeOutOfRange {
        /// The person's age.
        age: f64,
        /// Youngest valid age.
        min: f64,
        /// Oldest valid age.
        max: f64,
    },
    /// The person has a condition the model excludes (e.g. existing ASCVD).
    #[error("the model excludes people with {}", .0.name_en)]
    Excluded(Condition),
    /// The person has none of the conditions the model requires.
    #[error("the model is for people with {}", names_en(.0))]
    NotRequired(Vec<Condition>),
}

fn names_en(conditions: &[Condition]) -> String {
    conditions
        .iter()
        .map(|c| c.name_en.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

impl OutOfPopulation {
    /// The reason in Chinese.
    pub fn reason_zh(&self) -> String {
        match self {
            OutOfPopulation::AgeUnknown { min, max } => {
                format!("年龄未知；本模型适用于 {min}–{max} 岁")
            }
            OutOfPopulation::AgeOutOfRange { age, min, max } => format!(
                "年龄 {age} 岁不在本模型的适用范围 {min}–{max} 岁内（模型据此年龄段人群建立），不计算风险"
            ),
            OutOfPopulation::Excluded(c) => {
                format!("本模型不适用于{}者，不计算风险", c.name_zh)
            }
            OutOfPopulation::NotRequired(cs) => format!(
                "本模型只适用于{}患者",
                cs.iter()
                    .map(|c| c.name_zh.as_str())
                    .collect::<Vec<_>>()
                    .join("或")
            ),
        }
    }

    /// The reason in English.
    pub fn reason_en(&self) -> String {
        match self {
            OutOfPopulation::AgeOutOfRange { .. } => format!("{self}; no risk is computed"),
            OutOfPopulation::Excluded(c) => {
                format!(
                    "the model does not apply to people with {}; no risk is computed",
                    c.name_en
                )
            }
            _ => self.to_string(),
        }
    }
}

impl ModelCard {
    /// Parses and checks a card file.
    pub fn parse(file: &str, text: &str) -> Result<ModelCard, DataError> {
        let card: ModelCard = parse_toml(file, text)?;
        check_source(file, "source", &card.source, &card.citations)?;
        check_source(
            file,
            "population.age_source",
            &card.population.age_source,
            &card.citations,
        )?;
        let p = &card.population;
        if !(p.age_min.is_finite() && p.age_max.is_finite() && p.age_min <= p.age_max) {
            return Err(DataError::invalid(
                file,
                "population",
                "age_min must be a number no larger than age_max",
            ));
        }
        Ok(card)
    }

    /// Whether the model may be applied to `subject`; if not, why not. Ages are compared in
    /// whole years, as the population's range is stated.
    pub fn applies_to(&self, subject: &Subject) -> Result<(), OutOfPopulation> {
        let p = &self.population;
        if let Some(excluded) = p
            .excludes
            .iter()
            .find(|c| subject.conditions.contains(&c.key))
        {
            return Err(OutOfPopulation::Excluded(excluded.clone()));
        }
        if !p.requires_any.is_empty()
            && !p
                .requires_any
                .iter()
                .any(|c| subject.conditions.contains(&c.key))
        {
            return Err(OutOfPopulation::NotRequired(p.requires_any.clone()));
        }
        let (min, max) = (p.age_min, p.age_max);
        match subject.age {
            Some(age) if age.is_finite() => {
                if age.floor() < min || age.floor() > max {
                    Err(OutOfPopulation::AgeOutOfRange { age, min, max })
                } else {
                    Ok(())
                }
            }
            _ => Err(OutOfPopulation::AgeUnknown { min, max }),
        }
    }
}
