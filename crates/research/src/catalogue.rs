//! The published catalogue of variables (`data/variables.toml`): what exists, what may be
//! released, which are quasi-identifiers, and how aggregate queries may use them. Direct
//! identifiers and free text are listed so researchers see what they cannot have, and the
//! loader refuses a file that marks one of them releasable.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::DataFileError;

const VARIABLES_TOML: &str = include_str!("../data/variables.toml");

/// What a variable is, for disclosure control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Names a person by itself. Never released.
    DirectIdentifier,
    /// May hold anything, a name included. Never released.
    FreeText,
    /// Identifies in combination; generalised, and counted for k-anonymity.
    QuasiIdentifier,
    /// What is studied.
    Attribute,
}

/// The type of a variable's values, which decides its generalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// A code from a list (sex, district).
    Category,
    /// Completed years, released as a band.
    Age,
    /// A civil date, released as a month or a year.
    Date,
    /// A whole number.
    Count,
    /// yes / no / empty.
    Flag,
    /// Codes separated by `|`.
    Codes,
}

impl ValueType {
    /// As written in the catalogue and the data dictionary.
    pub fn code(self) -> &'static str {
        match self {
            ValueType::Category => "category",
            ValueType::Age => "age",
            ValueType::Date => "date",
            ValueType::Count => "count",
            ValueType::Flag => "flag",
            ValueType::Codes => "codes",
        }
    }
}

/// How an aggregate query may use a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregateUse {
    /// Group by it.
    Dimension,
    /// Take its mean.
    Measure,
}

/// The variables the code computes for a cohort. A releasable catalogue entry must be one of
/// them; identifiers are never computed at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `sex`
    Sex,
    /// `age`
    Age,
    /// `district`
    District,
    /// `enrolled_on`
    EnrolledOn,
    /// `last_visit`
    LastVisit,
    /// `diseases`
    Diseases,
    /// `controlled`
    Controlled,
    /// `followups`
    Followups,
}

impl Field {
    /// Every computed field.
    pub const ALL: [Field; 8] = [
        Field::Sex,
        Field::Age,
        Field::District,
        Field::EnrolledOn,
        Field::LastVisit,
        Field::Diseases,
        Field::Controlled,
        Field::Followups,
    ];

    /// Its key in the catalogue and the extract's header.
    pub fn key(self) -> &'static str {
        match self {
            Field::Sex => "sex",
            Field::Age => "age",
            Field::District => "district",
            Field::EnrolledOn => "enrolled_on",
            Field::LastVisit => "last_visit",
            Field::Diseases => "diseases",
            Field::Controlled => "controlled",
            Field::Followups => "followups",
        }
    }

    pub(crate) fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Variable {
    /// Stable key, e.g. `age`.
    pub key: String,
    /// Its disclosure kind.
    pub kind: Kind,
    /// The type of its values.
    #[serde(rename = "type")]
    pub value_type: ValueType,
    /// Whether a request may ask for it.
    pub releasable: bool,
    /// How aggregate queries may use it.
    #[serde(default)]
    pub aggregate: Vec<AggregateUse>,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// What it holds, in Chinese.
    pub description_zh: String,
    /// What it holds, in English.
    pub description_en: String,
}

impl Variable {
    /// Its label in the reader's language.
    pub fn label(&self, english: bool) -> &str {
        if english {
            &self.label_en
        } else {
            &self.label_zh
        }
    }

    /// What it holds, in the reader's language.
    pub fn description(&self, english: bool) -> &str {
        if english {
            &self.description_en
        } else {
            &self.description_zh
        }
    }
}

impl Variable {
    /// Whether k-anonymity counts it.
    pub fn is_quasi_identifier(&self) -> bool {
        self.kind == Kind::QuasiIdentifier
    }

    /// The computed field behind a releasable variable.
    pub fn field(&self) -> Option<Field> {
        if self.releasable {
            Field::from_key(&self.key)
        } else {
            None
        }
    }
}

#[derive(Deserialize)]
struct File {
    variable: Vec<Variable>,
}

/// The catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    variables: Vec<Variable>,
}

impl Catalogue {
    /// Parses and checks a catalogue: keys unique, no direct identifier or free text
    /// releasable, every releasable variable one the code computes, aggregate uses that fit
    /// the type.
    pub fn parse(text: &str) -> Result<Catalogue, DataFileError> {
        let err = |p: &str| DataFileError::new("variables.toml", p);
        let file: File = toml::from_str(text).map_err(|e| err(e.message()))?;
        let mut seen = std::collections::BTreeSet::new();
        for v in &file.variable {
            if !seen.insert(v.key.as_str()) {
                return Err(err(&format!("variable `{}` is listed twice", v.key)));
            }
            if v.releasable && matches!(v.kind, Kind::DirectIdentifier | Kind::FreeText) {
                return Err(err(&format!(
                    "variable `{}` is a direct identifier or free text and cannot be releasable",
                    v.key
                )));
            }
            if v.releasable && Field::from_key(&v.key).is_none() {
                return Err(err(&format!(
                    "variable `{}` is releasable but the platform does not compute it",
                    v.key
                )));
            }
            if !v.aggregate.is_empty() && !v.releasable {
                return Err(err(&format!(
                    "variable `{}` is not releasable, so aggregate queries cannot use it",
                    v.key
                )));
            }
            let numeric = matches!(v.value_type, ValueType::Age | ValueType::Count);
            if v.aggregate.contains(&AggregateUse::Measure) && !numeric {
                return Err(err(&format!(
                    "variable `{}` is not numeric, so it cannot be a measure",
                    v.key
                )));
            }
            let groupable = !matches!(v.value_type, ValueType::Count | ValueType::Codes);
            if v.aggregate.contains(&AggregateUse::Dimension) && !groupable {
                return Err(err(&format!(
                    "variable `{}` cannot be a dimension: its values are not categories",
                    v.key
                )));
            }
        }
        Ok(Catalogue {
            variables: file.variable,
        })
    }

    /// The compiled-in catalogue. A test parses it, so a failure here is a build that skipped
    /// the tests; it is reported rather than panicking.
    pub fn builtin() -> Result<&'static Catalogue, DataFileError> {
        static CATALOGUE: OnceLock<Result<Catalogue, DataFileError>> = OnceLock::new();
        CATALOGUE
            .get_or_init(|| Catalogue::parse(VARIABLES_TOML))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Every variable, releasable or not, in catalogue order.
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    /// The variable with this key.
    pub fn get(&self, key: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.key == key)
    }

    /// The variable behind a computed field (present in a parsed catalogue for every
    /// releasable field it lists).
    pub fn of(&self, field: Field) -> Option<&Variable> {
        self.get(field.key()).filter(|v| v.releasable)
    }

    /// The keys a request may ask for.
    pub fn releasable_keys(&self) -> Vec<String> {
        self.variables
            .iter()
            .filter(|v| v.releasable)
            .map(|v| v.key.clone())
            .collect()
    }

    /// The keys an aggregate query may use in this way.
    pub fn keys_for(&self, use_: AggregateUse) -> Vec<String> {
        self.variables
            .iter()
            .filter(|v| v.aggregate.contains(&use_))
            .map(|v| v.key.clone())
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalogue_releases_no_identifier_or_free_text() {
        let c = Catalogue::builtin().unwrap();
        for key in ["resident_id", "id_number", "name", "mobile", "birth_date"] {
            let v = c.get(key).unwrap();
            assert_eq!(v.kind, Kind::DirectIdentifier, "{key}");
            assert!(!v.releasable, "{key}");
        }
        assert_eq!(c.get("enrolment_reason").unwrap().kind, Kind::FreeText);
        assert!(!c.get("enrolment_reason").unwrap().releasable);
        let quasi: Vec<&str> = c
            .variables()
            .iter()
            .filter(|v| v.releasable && v.is_quasi_identifier())
            .map(|v| v.key.as_str())
            .collect();
        assert_eq!(
            quasi,
            ["sex", "age", "district", "enrolled_on", "last_visit"]
        );
        for field in Field::ALL {
            assert!(c.of(field).is_some(), "{} is in the catalogue", field.key());
        }
        assert_eq!(c.keys_for(AggregateUse::Measure), ["age", "followups"]);
    }

    #[test]
    fn a_catalogue_that_would_release_an_identifier_is_refused() {
        let bad = VARIABLES_TOML.replacen(
            "key = \"name\"\nkind = \"direct_identifier\"\ntype = \"category\"\nreleasable = false",
            "key = \"name\"\nkind = \"direct_identifier\"\ntype = \"category\"\nreleasable = true",
            1,
        );
        assert_ne!(bad, VARIABLES_TOML);
        let e = Catalogue::parse(&bad).unwrap_err();
        assert!(e.problem.contains("`name`"), "{e}");

        let bad = VARIABLES_TOML.replacen(
            "key = \"enrolment_reason\"\nkind = \"free_text\"\ntype = \"category\"\nreleasable = false",
            "key = \"enrolment_reason\"\nkind = \"free_text\"\ntype = \"category\"\nreleasable = true",
            1,
        );
        assert_ne!(bad, VARIABLES_TOML);
        assert!(Catalogue::parse(&bad).is_err());

        let unknown = format!(
            "{VARIABLES_TOML}\n[[variable]]\nkey = \"income\"\nkind = \"attribute\"\ntype = \"count\"\nreleasable = true\nlabel_zh = \"收入\"\nlabel_en = \"Income\"\ndescription_zh = \"x\"\ndescription_en = \"x\"\n"
        );
        let e = Catalogue::parse(&unknown).unwrap_err();
        assert!(e.problem.contains("does not compute"), "{e}");
    }
}
