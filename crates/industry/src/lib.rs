//! The company register and product pipelines of the life-health programme (issue 6; S5/S6
//! groundwork): companies with their unified social credit code, district, park, industry
//! segments, yearly figures and qualifications; products with their dated, evidenced stages;
//! imports from CSV and Excel that write everything or nothing; counts for the dashboards.
//!
//! ```text
//! NewCompany ─► validate (uscc, district, segments, dates, amounts) ─► access ─► tx ─► ledger
//! NewStageEvent ─► check_stage (kind, order, duplicates, dates) ─► access ─► tx ─► ledger
//! file ─► sheet ─► columns ─► rows checked ─► register checks ─► one tx ─► ledger ─► report
//! ```

pub mod company;
mod error;
pub mod figures;
pub mod import;
mod permission;
pub mod product;
pub mod qualification;
pub mod segment;
mod service;
pub mod stage;
mod terms;
pub mod uscc;

pub use company::{Company, CompanyFields, NewCompany};
pub use error::{ErrorKind, IndustryError, Result, RowError};
pub use figures::{ReplacedFigures, YearFigures};
pub use import::{Format, ImportKind, ImportReport};
pub use product::{DeviceClass, DrugClass, NewProduct, Product, ProductKind};
pub use qualification::{NewQualification, Qualification, QualificationKind};
pub use segment::Segment;
pub use service::{CompanyFilter, Industry};
pub use stage::{Agency, Approval, DRUG_FUNNEL, NewStageEvent, Stage, StageEvent};
pub use terms::{Term, Terms};
pub use uscc::{Uscc, UsccError};

use store::{Migration, MigrationSet};

/// The register's tables. The ledger's tables must exist too.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[Migration::portable(
        1,
        "industry",
        include_str!("../migrations/0001_industry.sql"),
    )];
    MigrationSet {
        component: "industry",
        migrations: MIGRATIONS,
    }
}
