//! Rows of a companies file: each cell read and checked, then the rows of one company
//! compared with each other.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::cells::{self, CellError};
use super::columns::{COMPANY_COLUMNS, Located};
use super::sheet::{Sheet, SheetRow};
use crate::company::{CompanyFields, NewCompany, district_key, non_negative};
use crate::error::{IndustryError, RowError};
use crate::figures::{YearFigures, check_year};
use crate::segment::Segment;
use crate::uscc::Uscc;

/// One good row: the company's details and, when the row has a year, that year's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompanyRow {
    pub row: usize,
    pub fields: CompanyFields,
    pub figures: Option<YearFigures>,
}

/// Collects the errors of one row, each tied to its column.
pub(crate) struct RowCheck<'a> {
    pub row: &'a SheetRow,
    pub columns: &'a Located,
    pub table: &'static [super::Column],
    pub errors: &'a mut Vec<RowError>,
}

impl RowCheck<'_> {
    pub fn text(&self, field: &str) -> &str {
        self.row.cell(self.columns.index(field))
    }

    pub fn fail(&mut self, field: &'static str, (zh, en): CellError) {
        let header = self.columns.header(field, self.table);
        let value = self.text(field).to_owned();
        self.errors.push(RowError {
            row: self.row.number,
            column: header,
            value,
            message_zh: zh,
            message_en: en,
        });
    }

    /// Records a domain error under the column of the field it names (or `fallback`).
    pub fn fail_with(&mut self, fallback: &'static str, e: &IndustryError) {
        let field = e.field().unwrap_or(fallback);
        let field = self
            .table
            .iter()
            .find(|c| c.field == field)
            .map_or(fallback, |c| c.field);
        self.fail(field, (e.message_zh(), e.message_en()));
    }

    /// A required cell; an empty one is reported.
    pub fn required(&mut self, field: &'static str, zh: &str) -> Option<String> {
        let text = self.text(field).to_owned();
        if text.is_empty() {
            self.fail(
                field,
                (format!("请填写{zh}"), format!("{field} is required")),
            );
            return None;
        }
        Some(text)
    }

    pub fn read<T>(
        &mut self,
        field: &'static str,
        parse: impl FnOnce(&str) -> Result<T, CellError>,
    ) -> Option<T> {
        match parse(self.text(field)) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(field, e);
                None
            }
        }
    }

    /// A required whole amount or count that is not negative.
    pub fn amount(&mut self, field: &'static str, zh: &str) -> Option<i64> {
        self.required(field, zh)?;
        let value = self.read(field, cells::whole)?;
        match non_negative(field, zh, value) {
            Ok(()) => Some(value),
            Err(e) => {
                self.fail_with(field, &e);
                None
            }
        }
    }
}

/// Reads every row; returns the good rows, or every error of the file.
pub(crate) fn parse(
    sheet: &Sheet,
    columns: &Located,
    today: Date,
) -> Result<Vec<CompanyRow>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut good = Vec::new();
    for row in &sheet.rows {
        let mut check = RowCheck {
            row,
            columns,
            table: COMPANY_COLUMNS,
            errors: &mut errors,
        };
        if let Some(parsed) = parse_row(&mut check, today) {
            good.push(parsed);
        }
    }
    compare_rows(&good, columns, sheet, &mut errors);
    if errors.is_empty() {
        Ok(good)
    } else {
        // By row, and within a row in the file's column order.
        errors.sort_by_key(|e| {
            let column = sheet.headers.iter().position(|h| *h == e.column);
            (e.row, column.unwrap_or(usize::MAX))
        });
        Err(errors)
    }
}

fn parse_row(c: &mut RowCheck<'_>, today: Date) -> Option<CompanyRow> {
    let before = c.errors.len();
    let uscc = c.required("uscc", "统一社会信用代码").and_then(|text| {
        Uscc::parse(&text)
            .map_err(|e| c.fail("uscc", (e.message_zh(), e.message_en())))
            .ok()
    });
    let name = c.required("name", "企业名称");
    let district = c.required("district", "区").and_then(|text| {
        district_key(&text)
            .map_err(|e| c.fail_with("district", &e))
            .ok()
    });
    let segments = c.required("segments", "产业领域").and_then(|text| {
        let mut found = Vec::new();
        let mut unknown = Vec::new();
        for item in cells::list(&text) {
            match Segment::parse(item) {
                Some(s) => found.push(s),
                None => unknown.push(item.to_owned()),
            }
        }
        if unknown.is_empty() && !found.is_empty() {
            return Some(found);
        }
        let names: Vec<&str> = Segment::ALL.iter().map(|s| s.zh()).collect();
        c.fail(
            "segments",
            (
                format!(
                    "无法识别的产业领域“{}”，应为{}之一（多个用“、”分隔）",
                    unknown.join("、"),
                    names.join("、")
                ),
                format!(
                    "unknown segment \"{}\": use {} (separate several with 、 or ;)",
                    unknown.join(", "),
                    Segment::ALL
                        .iter()
                        .map(|s| s.key())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        );
        None
    });
    let founded = c
        .required("founded", "成立日期")
        .and_then(|_| c.read("founded", cells::day));
    let capital = c.amount("paid_in_capital_yuan", "实缴资本");
    let listed = c.read("listed", cells::yes_no);
    let figures = figures(c, today, founded);
    if c.errors.len() > before {
        return None;
    }
    let new = NewCompany {
        uscc: uscc?.to_string(),
        name: name?,
        organisation_id: None,
        district: district?,
        park: Some(c.text("park").to_owned()),
        segments: segments?,
        founded: founded?,
        paid_in_capital_yuan: capital?,
        listed: listed?,
    };
    // The cells passed one by one; the company's own checks run on the whole as well.
    match new.validate(today) {
        Ok(fields) => Some(CompanyRow {
            row: c.row.number,
            fields,
            figures: figures?,
        }),
        Err(e) => {
            c.fail_with("name", &e);
            None
        }
    }
}

/// The year's figures when the row has a year; `Some(None)` for a row without figures.
fn figures(
    c: &mut RowCheck<'_>,
    today: Date,
    founded: Option<Date>,
) -> Option<Option<YearFigures>> {
    const AMOUNTS: [&str; 5] = [
        "revenue_yuan",
        "rd_spend_yuan",
        "staff",
        "output_yuan",
        "tax_yuan",
    ];
    if c.text("year").is_empty() {
        if AMOUNTS.iter().any(|f| !c.text(f).is_empty()) {
            c.fail(
                "year",
                (
                    "填写了年度经营数据，请同时填写年度".to_owned(),
                    "the row has yearly figures: enter their year".to_owned(),
                ),
            );
            return None;
        }
        return Some(None);
    }
    let year = c.read("year", cells::whole).and_then(|y| {
        let checked = i16::try_from(y)
            .map_err(|_| {
                IndustryError::invalid("year", format!("年度{y}无效"), format!("{y} is not a year"))
            })
            .and_then(|y| check_year(y, today, founded).map(|()| y));
        checked.map_err(|e| c.fail_with("year", &e)).ok()
    });
    let revenue = c.amount("revenue_yuan", "营业收入");
    let rd = c.amount("rd_spend_yuan", "研发投入");
    let staff = c.amount("staff", "员工人数");
    let output = c.amount("output_yuan", "产值");
    let tax = if c.text("tax_yuan").is_empty() {
        Some(None)
    } else {
        c.amount("tax_yuan", "纳税额").map(Some)
    };
    Some(Some(YearFigures {
        year: year?,
        revenue_yuan: revenue?,
        rd_spend_yuan: rd?,
        staff: staff?,
        output_yuan: output?,
        tax_yuan: tax?,
    }))
}

/// Rows of the same company must agree on its details and not repeat a year.
fn compare_rows(rows: &[CompanyRow], columns: &Located, sheet: &Sheet, errors: &mut Vec<RowError>) {
    let mut first: BTreeMap<&Uscc, &CompanyRow> = BTreeMap::new();
    let mut years: BTreeMap<(&Uscc, i16), usize> = BTreeMap::new();
    for row in rows {
        let Some(sheet_row) = sheet.rows.iter().find(|r| r.number == row.row) else {
            continue;
        };
        let mut check = RowCheck {
            row: sheet_row,
            columns,
            table: COMPANY_COLUMNS,
            errors,
        };
        match first.get(&row.fields.uscc) {
            None => {
                first.insert(&row.fields.uscc, row);
            }
            Some(earlier) => {
                let (a, b) = (&earlier.fields, &row.fields);
                let differing = [
                    ("name", a.name != b.name),
                    ("district", a.district != b.district),
                    ("park", a.park != b.park),
                    ("segments", a.segments != b.segments),
                    ("founded", a.founded != b.founded),
                    (
                        "paid_in_capital_yuan",
                        a.paid_in_capital_yuan != b.paid_in_capital_yuan,
                    ),
                    ("listed", a.listed != b.listed),
                ];
                for (field, differs) in differing {
                    if differs {
                        check.fail(
                            field,
                            (
                                format!("与第{}行同一企业（{}）的信息不一致", earlier.row, a.uscc),
                                format!(
                                    "differs from row {} for the same company ({})",
                                    earlier.row, a.uscc
                                ),
                            ),
                        );
                    }
                }
            }
        }
        if let Some(f) = &row.figures {
            if let Some(earlier) = years.get(&(&row.fields.uscc, f.year)) {
                check.fail(
                    "year",
                    (
                        format!("第{earlier}行已有该企业{}年度数据", f.year),
                        format!(
                            "row {earlier} already has this company's figures for {}",
                            f.year
                        ),
                    ),
                );
            } else {
                years.insert((&row.fields.uscc, f.year), row.row);
            }
        }
    }
}
