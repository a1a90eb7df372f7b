//! Disease templates (the "standard template" of seed nanjing-2022 三(七)) as cited data.
//!
//! The seed asks the single-disease database to be 标准化留存、结构化建库、规范化应用 (kept to a
//! standard, built as structured data, applied the same way everywhere). A [`Template`] is that
//! standard for one disease: which diagnosis codes put a patient in the registry, which data
//! elements a follow-up records and in which units, what counts as controlled, which readings
//! are danger signs needing referral, how often to follow up, and which quality indicators the
//! health commission reads. Templates are TOML files in `templates/`, embedded at build time and
//! validated when the [`Catalogue`] loads; every figure in them names its source and says
//! whether that figure has been checked against the primary text (see [`Source`]).
//!
//! Data elements (blood pressure, glucose, …) are shared by several diseases, so they are
//! defined once in `templates/elements.toml` and each template lists the ones it uses.

mod catalogue;
mod code;
mod element;
mod followup;
mod indicator;
mod measure;
mod rule;
mod template;

pub use catalogue::{BUILTIN_TEMPLATES, Catalogue, ELEMENTS_FILE, TemplateError};
pub use code::{
    CodeError, CodeSystem, ICD10_CN, ICD10_WHO, Icd10Code, InclusionRule, MatchReason, SNOMED_CT,
    SctId, SnomedConcept,
};
pub use element::{Element, Measurements, Plausible, Quantity, UnitConversion, ValueError};
pub use followup::{FollowUpPlan, FollowUpStatus, NextFollowUp};
pub use indicator::{CountDef, Counts, Indicator, IndicatorError, Ratio};
pub use kernel::{Citation, Source, Sourced};
pub use measure::{CountMeasure, LoincCode, MeasureKind};
pub use rule::{
    Combine, Condition, Control, ControlBand, ControlStatus, DangerRule, DangerSign, Finding,
    Target, TargetFailure,
};
pub use template::Template;
