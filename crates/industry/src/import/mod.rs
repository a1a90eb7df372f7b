//! Importing companies with their yearly figures, and product stage events, from CSV (UTF-8,
//! with or without BOM) or Excel `.xlsx`. Every row is checked first; a file with any error
//! writes nothing and reports every bad cell by row and column as the person sees them. A
//! good file is written in one transaction.
//!
//! ```text
//! bytes ─► sheet (csv | xlsx, size and row limits) ─► columns by header (中文 or English)
//!       ─► rows parsed and checked (companies.rs | stages.rs) ─► checks against the register
//!       ─► one transaction ─► ledger ─► ImportReport
//! ```

pub(crate) mod cells;
pub(crate) mod columns;
pub(crate) mod companies;
mod limits;
pub(crate) mod sheet;
pub(crate) mod stages;

use serde::Serialize;

pub use columns::{COMPANY_COLUMNS, Column, STAGE_COLUMNS};
pub use limits::{Limits, limits};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportKind {
    /// Companies, one row per company and year with that year's figures.
    Companies,
    /// Product stage events, one row per stage.
    Stages,
}

impl ImportKind {
    pub fn key(self) -> &'static str {
        match self {
            ImportKind::Companies => "companies",
            ImportKind::Stages => "stages",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn key(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// What a successful import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub import_id: String,
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    pub companies_created: usize,
    pub companies_updated: usize,
    pub figures_written: usize,
    /// Of `figures_written`, how many replaced a year already recorded (kept in history).
    pub figures_replaced: usize,
    pub products_created: usize,
    pub stages_recorded: usize,
}
