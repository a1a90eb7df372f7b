//! Case finding: which diagnosis codes put a patient in a disease registry.

use serde::{Deserialize, Serialize};

use kernel::Source;

/// FHIR system URI of WHO ICD-10.
pub const ICD10_WHO: &str = "http://hl7.org/fhir/sid/icd-10";
/// OID of the Chinese national edition of ICD-10 (疾病分类与代码). Its categories and
/// subcategories are WHO's; it adds extension digits such as `I10.x00x002`.
pub const ICD10_CN: &str = "urn:oid:2.16.156.10011.2.3.3.11";
/// FHIR system URI of SNOMED CT.
pub const SNOMED_CT: &str = "http://snomed.info/sct";

/// The code systems templates read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CodeSystem {
    /// ICD-10, WHO or Chinese national edition.
    #[serde(rename = "icd-10")]
    Icd10,
    /// SNOMED CT, international concept identifiers.
    #[serde(rename = "snomed-ct")]
    SnomedCt,
}

impl CodeSystem {
    /// The system a URI names, or `None` for systems no template reads (LOINC, local codes…).
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri.trim() {
            ICD10_WHO | ICD10_CN => Some(Self::Icd10),
            SNOMED_CT => Some(Self::SnomedCt),
            _ => None,
        }
    }

    /// Name used in rule texts.
    pub fn label(self) -> &'static str {
        match self {
            Self::Icd10 => "ICD-10",
            Self::SnomedCt => "SNOMED CT",
        }
    }
}

/// Why a code could not be matched.
///
/// A well-formed system URI that no template reads (LOINC, a hospital's local codes) is not an
/// error: it simply matches no disease, so callers can pass every coding of a resource without
/// filtering first. An error means the input itself is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The system is not an absolute URI (empty, or a bare name such as `ICD10`): the caller's
    /// mapping is wrong, and guessing which system was meant would hide it.
    #[error("code system `{0}` is not an absolute URI such as http://hl7.org/fhir/sid/icd-10")]
    UnknownSystem(String),
    /// The code cannot be a code of that system.
    #[error("`{code}` is not a valid {system} code: {reason}")]
    MalformedCode {
        /// System URI as given.
        system: String,
        /// Code as given.
        code: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// RFC 3986 scheme followed by `:` and something, with no whitespace.
fn is_absolute_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !s.chars().any(char::is_whitespace)
}

/// A parsed ICD-10 code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icd10Code {
    /// Upper-case, without the dot, without dagger/asterisk marks: `I10X00X002`.
    compact: String,
}

impl Icd10Code {
    /// Parses `I10`, `i10`, `I11.9`, `I10.x00x002` (Chinese extension), `E14.5†`.
    ///
    /// The category is a letter and two digits; after an optional dot at the fourth position
    /// come letters and digits. Only the category (and the first subcategory digit) carry
    /// meaning across editions, so the rest is kept but never interpreted.
    pub fn parse(code: &str) -> Result<Self, String> {
        let trimmed = code.trim().trim_end_matches(['†', '+', '*']);
        if trimmed.is_empty() {
            return Err("empty".into());
        }
        let upper = trimmed.to_ascii_uppercase();
        if let Some(dot) = upper.find('.') {
            if dot != 3 {
                return Err("the dot must follow the three-character category".into());
            }
            if upper[dot + 1..].contains('.') {
                return Err("more than one dot".into());
            }
        }
        let compact: String = upper.chars().filter(|&c| c != '.').collect();
        let bytes = compact.as_bytes();
        if bytes.len() < 3 {
            return Err("shorter than a category (letter and two digits)".into());
        }
        if bytes.len() > 16 {
            return Err("longer than any edition's codes".into());
        }
        if !bytes[0].is_ascii_uppercase() || !bytes[1..3].iter().all(u8::is_ascii_digit) {
            return Err("must start with a letter and two digits".into());
        }
        if !bytes.iter().all(u8::is_ascii_alphanumeric) {
            return Err("only letters and digits may follow the category".into());
        }
        Ok(Self { compact })
    }

    /// The three-character category, e.g. `I11` for `I11.9`.
    pub fn category(&self) -> &str {
        // Parse guarantees three ASCII characters.
        self.compact.get(..3).unwrap_or(&self.compact)
    }
}

/// A SNOMED CT identifier (SCTID): 6 to 18 digits, no leading zero, Verhoeff check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SctId(String);

impl SctId {
    /// Checks the form and the Verhoeff check digit, which catches single-digit typos and most
    /// transpositions before they silently match nothing.
    pub fn parse(code: &str) -> Result<Self, String> {
        let code = code.trim();
        if !(6..=18).contains(&code.len()) {
            return Err("an SCTID has 6 to 18 digits".into());
        }
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err("an SCTID has only digits".into());
        }
        if code.starts_with('0') {
            return Err("an SCTID does not start with 0".into());
        }
        if !verhoeff_valid(code) {
            return Err("the Verhoeff check digit does not match".into());
        }
        Ok(Self(code.to_owned()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Verhoeff's dihedral-group check (the algorithm SNOMED CT specifies for SCTIDs).
fn verhoeff_valid(digits: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let mut c = 0u8;
    for (i, b) in digits.bytes().rev().enumerate() {
        let digit = usize::from(b - b'0');
        c = D[usize::from(c)][usize::from(P[i % 8][digit])];
    }
    c == 0
}

/// A named SNOMED CT concept in an inclusion list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnomedConcept {
    /// Concept identifier.
    pub id: String,
    /// Fully specified name, for explanations.
    pub display: String,
}

/// One way into a registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum InclusionRule {
    /// ICD-10 categories `from` to `to` inclusive (equal for a single category), every
    /// subcategory and national extension included.
    Icd10Range {
        /// First category, e.g. `I10`.
        from: String,
        /// Last category, e.g. `I15`.
        to: String,
        /// Where the range comes from.
        source: Source,
    },
    /// Listed SNOMED CT concepts, matched exactly: subsumption (`<<`) needs a terminology
    /// server the platform does not have, so children count only when listed.
    Snomed {
        /// The concepts.
        concepts: Vec<SnomedConcept>,
        /// Where the list comes from.
        source: Source,
    },
}

impl InclusionRule {
    /// The code system the rule reads.
    pub fn system(&self) -> CodeSystem {
        match self {
            Self::Icd10Range { .. } => CodeSystem::Icd10,
            Self::Snomed { .. } => CodeSystem::SnomedCt,
        }
    }

    /// The rule as people read it, e.g. `ICD-10 I10–I15`.
    pub fn text(&self) -> String {
        match self {
            Self::Icd10Range { from, to, .. } if from == to => format!("ICD-10 {from}"),
            Self::Icd10Range { from, to, .. } => format!("ICD-10 {from}–{to}"),
            Self::Snomed { concepts, .. } => {
                let ids: Vec<&str> = concepts.iter().map(|c| c.id.as_str()).collect();
                format!("SNOMED CT {}", ids.join(", "))
            }
        }
    }

    /// The rule's source.
    pub fn source(&self) -> &Source {
        match self {
            Self::Icd10Range { source, .. } | Self::Snomed { source, .. } => source,
        }
    }
}

/// Why a code put a patient in a registry; shown to the doctor who confirms enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchReason {
    /// System URI as given.
    pub system: String,
    /// Code as given (trimmed).
    pub code: String,
    /// The rule that matched, e.g. `ICD-10 I10–I15`.
    pub rule: String,
    /// Explanation in Chinese.
    pub explanation_zh: String,
    /// Explanation in English.
    pub explanation_en: String,
}

/// A code parsed once for matching against every template.
pub(crate) enum ParsedCode {
    Icd10(Icd10Code),
    Snomed(SctId),
}

/// Parses `code` in `system`; `Ok(None)` for well-formed systems no template reads.
pub(crate) fn parse(system: &str, code: &str) -> Result<Option<ParsedCode>, CodeError> {
    let malformed = |reason: String| CodeError::MalformedCode {
        system: system.to_owned(),
        code: code.to_owned(),
        reason,
    };
    match CodeSystem::from_uri(system) {
        Some(CodeSystem::Icd10) => Icd10Code::parse(code)
            .map(|c| Some(ParsedCode::Icd10(c)))
            .map_err(malformed),
        Some(CodeSystem::SnomedCt) => SctId::parse(code)
            .map(|c| Some(ParsedCode::Snomed(c)))
            .map_err(malformed),
        None if is_absolute_uri(system.trim()) => Ok(None),
        None => Err(CodeError::UnknownSystem(system.to_owned())),
    }
}

impl InclusionRule {
    /// Explanations (zh, en) when `code` satisfies the rule for disease `name_zh`/`name_en`.
    pub(crate) fn explain(
        &self,
        code: &ParsedCode,
        given: &str,
        name_zh: &str,
        name_en: &str,
    ) -> Option<(String, String)> {
        match (self, code) {
            (Self::Icd10Range { from, to, .. }, ParsedCode::Icd10(c)) => {
                let cat = c.category();
                // Categories are a letter and two digits, so string order is code order.
                if cat < from.as_str() || cat > to.as_str() {
                    return None;
                }
                let range = if from == to {
                    from.clone()
                } else {
                    format!("{from}–{to}")
                };
                Some((
                    format!("ICD-10 编码 {given} 属于类目 {cat}，在{name_zh}的纳入范围 {range} 内"),
                    format!(
                        "ICD-10 code {given} is in category {cat}, within the {name_en} inclusion range {range}"
                    ),
                ))
            }
            (Self::Snomed { concepts, .. }, ParsedCode::Snomed(id)) => {
                let concept = concepts.iter().find(|c| c.id == id.as_str())?;
                Some((
                    format!(
                        "SNOMED CT 概念 {} |{}| 列在{name_zh}的纳入概念中（精确匹配，不推理下位概念）",
                        concept.id, concept.display
                    ),
                    format!(
                        "SNOMED CT concept {} |{}| is listed for {name_en} (exact match; descendants are not inferred)",
                        concept.id, concept.display
                    ),
                ))
            }
            _ => None,
        }
    }
}
