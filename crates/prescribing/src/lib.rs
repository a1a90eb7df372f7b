//! Writing an online prescription in an internet hospital under the Chinese national rules:
//! the drug catalogue, the prescription limits as cited data, a prescription draft, the checks
//! a draft must pass before the doctor may sign it, and the canonical bytes the doctor signs.
//!
//! Pure domain logic: no HTTP, no SQL, no I/O beyond the data files embedded at build time
//! (`data/drugs.toml`, `data/interactions.toml`, `data/rules.toml`). Every limit the checks
//! apply is a figure in those files with its source; the code only interprets them.
//!
//! ```
//! use prescribing::{Draft, Frequency, Line, catalogue, check, rules_in_force};
//!
//! let rules = rules_in_force("2025-03-01".parse().expect("a date")).expect("rules in force");
//! let draft = Draft::new(vec![Line {
//!     drug: "amlodipine-5mg-tab".into(),
//!     dose: 5.0,
//!     frequency: Frequency::Qd,
//!     days: 28,
//!     packs: 1,
//! }]);
//! let checked = check(&draft, &[], rules, catalogue());
//! assert!(checked.may_sign());
//! let signed_bytes = draft.canonical_json();
//! assert!(signed_bytes.starts_with(r#"{"lines":[{"days":28,"dose":5,"#));
//! ```

mod amount;
mod canonical;
mod catalogue;
mod check;
mod control;
mod draft;
mod error;
mod frequency;
mod interaction;
mod rules;

pub use amount::Amount;
pub use canonical::canonical_json;
pub use catalogue::{Catalogue, DRUGS_TOML, Drug, INTERACTIONS_TOML, catalogue};
pub use check::{Checked, Flag, FlagKind, Problem, ProblemKind, check};
pub use control::{ControlClass, UnknownControlClass};
pub use draft::{CurrentMedicine, Draft, Line, LongTerm};
pub use error::DataError;
pub use frequency::{Frequency, UnknownFrequency};
pub use interaction::{Interaction, Party, Severity};
pub use kernel::{Citation, Source, Sourced};
pub use rules::{RULES_TOML, Rules, rule_sets, rules_in_force};
