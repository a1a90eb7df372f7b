//! Rows of a stage-events file: each cell read and checked, then the rows of one product
//! compared with each other. The stage rules themselves need the register (what is already
//! recorded) and run in the service.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::cells;
use super::columns::{Located, STAGE_COLUMNS};
use super::companies::RowCheck;
use super::sheet::Sheet;
use crate::error::RowError;
use crate::product::{DrugClass, ProductKind};
use crate::stage::{NewStageEvent, Stage};
use crate::uscc::Uscc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StageRow {
    pub row: usize,
    pub uscc: Uscc,
    pub product: String,
    pub kind: ProductKind,
    pub started: Option<Date>,
    pub event: NewStageEvent,
}

/// Reads every row: the good rows, and the errors of the others (the good rows are then
/// checked against the register, so that every error of the file is reported at once).
pub(crate) fn parse(sheet: &Sheet, columns: &Located) -> (Vec<StageRow>, Vec<RowError>) {
    let mut errors = Vec::new();
    let mut good = Vec::new();
    for row in &sheet.rows {
        let mut c = RowCheck {
            row,
            columns,
            table: STAGE_COLUMNS,
            errors: &mut errors,
        };
        if let Some(parsed) = parse_row(&mut c) {
            good.push(parsed);
        }
    }
    // One product, one kind and one start date throughout the file.
    let mut first: BTreeMap<(&Uscc, &str), &StageRow> = BTreeMap::new();
    for row in &good {
        let key = (&row.uscc, row.product.as_str());
        let Some(earlier) = first.get(&key) else {
            first.insert(key, row);
            continue;
        };
        let Some(sheet_row) = sheet.rows.iter().find(|r| r.number == row.row) else {
            continue;
        };
        let mut c = RowCheck {
            row: sheet_row,
            columns,
            table: STAGE_COLUMNS,
            errors: &mut errors,
        };
        for (field, differs) in [
            ("kind", earlier.kind != row.kind),
            (
                "started",
                row.started.is_some() && earlier.started != row.started,
            ),
        ] {
            if differs {
                c.fail(
                    field,
                    (
                        format!("与第{}行同一产品“{}”的信息不一致", earlier.row, row.product),
                        format!(
                            "differs from row {} for the same product \"{}\"",
                            earlier.row, row.product
                        ),
                    ),
                );
            }
        }
    }
    (good, errors)
}

fn parse_row(c: &mut RowCheck<'_>) -> Option<StageRow> {
    let before = c.errors.len();
    let uscc = c.required("uscc", "统一社会信用代码").and_then(|text| {
        Uscc::parse(&text)
            .map_err(|e| c.fail("uscc", (e.message_zh(), e.message_en())))
            .ok()
    });
    let product = c.required("product", "产品名称");
    let special_review = c.read("special_review", cells::yes_no);
    let kind = c.required("kind", "产品类别").and_then(|text| {
        let found = ProductKind::parse(&text, special_review.unwrap_or(false));
        if found.is_none() {
            let drugs: Vec<&str> = DrugClass::ALL.iter().map(|d| d.zh()).collect();
            c.fail(
                "kind",
                (
                    format!(
                        "无法识别的产品类别“{text}”，应为{}、第二类医疗器械、第三类医疗器械或保健产品",
                        drugs.join("、")
                    ),
                    format!(
                        "unknown product kind \"{text}\": use {}, device-ii, device-iii or health",
                        DrugClass::ALL.iter().map(|d| d.key()).collect::<Vec<_>>().join(", ")
                    ),
                ),
            );
        }
        found
    });
    let started = if c.text("started").is_empty() {
        Some(None)
    } else {
        c.read("started", cells::day).map(Some)
    };
    let stage = c.required("stage", "阶段").and_then(|text| {
        let found = Stage::parse(&text);
        if found.is_none() {
            let keys: Vec<&str> = Stage::ALL.iter().map(|s| s.key()).collect();
            c.fail(
                "stage",
                (
                    format!(
                        "无法识别的阶段“{text}”，应为{}之一",
                        Stage::ALL
                            .iter()
                            .map(|s| s.zh())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                    format!("unknown stage \"{text}\": use one of {}", keys.join(", ")),
                ),
            );
        }
        found
    });
    let on = c
        .required("on", "日期")
        .and_then(|_| c.read("on", cells::day));
    let evidence = c.required("evidence", "证明文件编号");
    let first_in_country = c.read("first_in_country", cells::yes_no);
    if c.errors.len() > before {
        return None;
    }
    let optional = |text: &str| Some(text.to_owned()).filter(|t| !t.is_empty());
    Some(StageRow {
        row: c.row.number,
        uscc: uscc?,
        product: product?.trim().to_owned(),
        kind: kind?,
        started: started?,
        event: NewStageEvent {
            stage: stage?,
            on: on?,
            evidence: evidence?,
            evidence_sha256: optional(c.text("evidence_sha256")),
            skips_with_reason: optional(c.text("skips_with_reason")),
            first_in_country: first_in_country?,
        },
    })
}
