//! The set of templates in use, loaded once from the files embedded at build time.

use std::sync::OnceLock;

use crate::code::{self, CodeError, MatchReason};
use crate::element::Element;
use crate::template::{self, Template};
use kernel::Citation;

/// The shared element dictionary: (file name, contents).
pub const ELEMENTS_FILE: (&str, &str) =
    ("elements.toml", include_str!("../templates/elements.toml"));

/// Every built-in template: (file name, contents). Adding a disease means adding its file to
/// `templates/` and one line here.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    (
        "hypertension.toml",
        include_str!("../templates/hypertension.toml"),
    ),
    ("t2dm.toml", include_str!("../templates/t2dm.toml")),
    ("stroke.toml", include_str!("../templates/stroke.toml")),
    ("chd.toml", include_str!("../templates/chd.toml")),
    ("copd.toml", include_str!("../templates/copd.toml")),
];

/// A template file that cannot be used, naming the file and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Not TOML, or not the template's shape (missing or misspelt field); the message names
    /// the field and line.
    #[error("{file}: {message}")]
    Syntax {
        /// File name.
        file: String,
        /// Parser message.
        message: String,
    },
    /// Well-formed but wrong: an unknown citation, a threshold outside the plausible range…
    #[error("{file}: {field}: {reason}")]
    Invalid {
        /// File name.
        file: String,
        /// Path of the field, e.g. `control.bands[0].targets[1].lt`.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// All disease templates.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    templates: Vec<Template>,
    elements: Vec<Element>,
    citations: Vec<Citation>,
}

impl Catalogue {
    /// The built-in templates, parsed and checked on first use. The files are compiled in and
    /// a test loads them, so an error here means a build that skipped the tests.
    pub fn builtin() -> Result<&'static Catalogue, TemplateError> {
        static BUILTIN: OnceLock<Result<Catalogue, TemplateError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Catalogue::load(ELEMENTS_FILE, BUILTIN_TEMPLATES))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Loads a dictionary and templates given as (file name, contents); the first problem found
    /// is returned.
    pub fn load(
        elements: (&str, &str),
        templates: &[(&str, &str)],
    ) -> Result<Catalogue, TemplateError> {
        let (citations, dictionary) = template::dictionary(elements.0, elements.1)?;
        let mut loaded: Vec<Template> = Vec::with_capacity(templates.len());
        for (file, text) in templates {
            let t = template::parse(file, text, &citations, &dictionary)?;
            if loaded.iter().any(|o| o.code == t.code) {
                return Err(TemplateError::Invalid {
                    file: (*file).to_owned(),
                    field: "code".into(),
                    reason: format!("another template already has code `{}`", t.code),
                });
            }
            loaded.push(t);
        }
        Ok(Catalogue {
            templates: loaded,
            elements: dictionary,
            citations,
        })
    }

    /// The template with this code, e.g. `hypertension`.
    pub fn get(&self, code: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.code == code)
    }

    /// All templates, in registration order.
    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    /// The shared element dictionary (every element any template may use).
    pub fn dictionary(&self) -> &[Element] {
        &self.elements
    }

    /// Citations of the shared element dictionary.
    pub fn dictionary_citations(&self) -> &[Citation] {
        &self.citations
    }

    /// The registries a diagnosis code brings a patient into, with the reason for each.
    ///
    /// Systems: `http://hl7.org/fhir/sid/icd-10` and the Chinese national edition
    /// `urn:oid:2.16.156.10011.2.3.3.11` are both read as ICD-10; `http://snomed.info/sct` as
    /// SNOMED CT. Any other absolute URI (LOINC, local codes) matches nothing and is `Ok`
    /// with an empty list. Errors are for broken input only: a system that is not a URI
    /// ([`CodeError::UnknownSystem`]) or a code malformed for its system
    /// ([`CodeError::MalformedCode`]).
    pub fn diseases_for_code(
        &self,
        system: &str,
        code: &str,
    ) -> Result<Vec<(&Template, MatchReason)>, CodeError> {
        let Some(parsed) = code::parse(system, code)? else {
            return Ok(Vec::new());
        };
        let given = code.trim();
        Ok(self
            .templates
            .iter()
            .filter_map(|t| t.matches(system, given, &parsed).map(|r| (t, r)))
            .collect())
    }
}
