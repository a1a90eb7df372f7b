//! FHIR R4 (4.0.1) semantics with no HTTP or SQL: validation, search parameters, index values,
//! Bundles and the CapabilityStatement.
//!
//! # Layering
//!
//! This crate only turns JSON and query pairs into decisions and data; it never touches a
//! socket or a database. The HTTP layer calls [`validate`], [`SearchRequest::parse`],
//! [`plan_bundle`] and the Bundle builders; a store writes [`index_entries`] to its index
//! tables and translates [`SearchRequest`] clauses into SQL. [`matches`] evaluates the same
//! clauses in memory and is the reference semantics that SQL implementations are tested
//! against.
//!
//! - `resource_type`: the 146 R4 resource types and the twelve [`CoreType`]s.
//! - `definitions` + `validate`: generic rules for every type, element-by-element
//!   structure (cardinality, types, required bindings, choice types) for core types.
//! - `search_param` → `index` → `search`: what can be searched, the values a resource
//!   yields, how a query is parsed and matched.
//! - `bundle`, `capability`: batch/transaction planning and the Bundles and statement the
//!   server returns.
//!
//! # Dates without a time zone are UTC+8
//!
//! FHIR leaves the zone of a date (`1980-05-01`), or of a search value without an offset, to
//! the server. This platform serves Nanjing, so such values are read in China Standard Time
//! (UTC+8, identical to Asia/Shanghai since China has no daylight saving). A Patient born on
//! `1980-05-01` therefore covers `1980-04-30T16:00Z .. 1980-05-01T16:00Z`, and a search for
//! `birthdate=1980-05-01` means the local day. Values with an explicit offset keep it.

mod bundle;
mod capability;
mod definitions;
mod index;
mod issue;
mod primitive;
mod reference;
mod resource_type;
mod search;
mod search_param;
mod validate;

pub use bundle::{
    BundleKind, BundlePlan, EntryResponse, Method, PlannedEntry, ReturnPreference,
    encode_query_component, paging_links, parse_query, plan_bundle, response_bundle,
    rewrite_references, searchset_bundle,
};
pub use capability::{ServerInfo, capability_statement};
pub use index::{IndexEntry, IndexValue, index_entries, normalize, param_values};
pub use issue::{Issue, IssueCode, Severity, operation_outcome, outcome_message};
pub use primitive::{
    DEFAULT_OFFSET_SECONDS, DateError, PartialDateTime, Precision, date_range, is_id, parse_partial,
};
pub use reference::{ParsedReference, ReferenceKind, parse_reference, patient_reference};
pub use resource_type::{ALL_RESOURCE_TYPES, CoreType, is_resource_type};
pub use search::{
    Clause, DEFAULT_COUNT, IncludeSpec, MAX_COUNT, Modifier, Prefix, SearchRequest, SearchValue,
    SortSpec, date_matches, matches, parse_token,
};
pub use search_param::{
    Narrowed, ParamType, SearchParam, narrowed, narrowed_params, search_param, search_params,
};
pub use validate::validate;
