//! Subsidy policies as rules: every clause of the seed documents that grants money, encoded as
//! cited data (`clauses/*.toml`, one file per seed document, with worked cases beside each
//! clause), and the engine that evaluates a company's facts against a clause with a full
//! trace, caps, effective dates, and the Jiangsu rule for overlapping policies (从优、就高、
//! 不重复). Pure: no database, no HTTP, no async.
//!
//! ```
//! use policy::{Facts, History, Money, Amount, evaluate, shipped};
//! let on = jiff::civil::date(2020, 6, 1);
//! let clause = shipped().clause("suzhou-2019/7/class-3", on).unwrap();
//! let facts = Facts::new()
//!     .choice("city", "suzhou")
//!     .choice("province", "jiangsu")
//!     .flag("independent_legal_person", true)
//!     .text("product_id", "DEV-1")
//!     .choice("device_class", "class-3")
//!     .flag("device_newly_registered", true)
//!     .money("product_rd_spend", Money::wan(2000));
//! let e = evaluate(clause, &facts, &History::default(), on).unwrap();
//! assert_eq!(e.amount, Amount::Exact(Money::wan(300)));
//! ```

mod batch;
mod case;
mod catalogue;
mod clause;
mod combine;
mod error;
mod evaluate;
mod facts;
mod money;
mod trace;

pub use batch::{Compiled, CsvError, FactTable, compile, evaluate_batch};
pub use case::{Case, Expected};
pub use catalogue::{CLAUSE_FILES, Catalogue, Document, FACTS_TOML, shipped};
pub use clause::{
    AttachmentDef, Band, Cap, CapScope, Clause, ClauseCitation, Condition, Formula, Kind, Level,
};
pub use combine::{Matches, combine, match_company};
pub use error::{DataError, PolicyError};
pub use evaluate::{check_request, evaluate};
pub use facts::{ChoiceDef, FactDef, FactKind, FactValue, Facts};
pub use money::{Money, MoneyError, Ratio, RatioError};
pub use trace::{
    Amount, Ceiling, Evaluation, History, PastAward, Step, StepKind, Text, Trace, Unmet,
};
