//! The registry's downloads: a [`Table`] of typed cells, built once by the page that owns the
//! figures and written either as CSV (UTF-8 with a byte-order mark, CRLF) or as an Excel
//! workbook (counts as numbers, rates as percentages, a bold header row, columns wide enough
//! for their text, one sheet named after the table).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use super::percent;
use crate::error::AppError;

/// The media type of an Excel workbook (Office Open XML spreadsheet).
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Excel's limit on a sheet name's length, in characters.
const SHEET_NAME_MAX: usize = 31;
/// Column widths, in Excel's character units.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 40;
/// A header wider than this wraps instead of widening its column.
const HEADER_WRAP_WIDTH: usize = 24;

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A count of people.
    Count(u64),
    /// A rate from 0 to 1, shown as a percentage.
    Rate(f64),
    /// An amount in yuan.
    Yuan(i64),
    Blank,
}

impl Cell {
    /// The cell as the CSV and the page show it.
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Rate(x) => percent(*x),
            Cell::Yuan(n) => n.to_string(),
            Cell::Blank => String::new(),
        }
    }
}

/// A table to download: its sheet name, header and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub sheet: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The two forms a table is downloaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    Csv,
    Xlsx,
}

impl Download {
    pub fn extension(self) -> &'static str {
        match self {
            Download::Csv => "csv",
            Download::Xlsx => "xlsx",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Download::Csv => "text/csv; charset=utf-8",
            Download::Xlsx => XLSX_CONTENT_TYPE,
        }
    }
}

impl Table {
    /// The table as CSV text.
    pub fn csv(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::text).collect())
            .collect();
        csv_text(&self.header, &rows)
    }

    /// The table as an Excel workbook of one sheet.
    pub fn xlsx(&self) -> Result<Vec<u8>, AppError> {
        self.workbook()
            .map_err(|e| AppError::Internal(format!("Excel export: {e}")))
    }

    /// The table in the chosen form.
    pub fn render(&self, form: Download) -> Result<Vec<u8>, AppError> {
        match form {
            Download::Csv => Ok(self.csv().into_bytes()),
            Download::Xlsx => self.xlsx(),
        }
    }

    fn workbook(&self) -> Result<Vec<u8>, XlsxError> {
        let head = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Top);
        let count = Format::new().set_num_format("#,##0");
        let rate = Format::new().set_num_format("0.0%");
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name(&self.sheet))?;
        for (col, text) in self.header.iter().enumerate() {
            sheet.write_string_with_format(0, column(col)?, text, &head)?;
        }
        for (i, row) in self.rows.iter().enumerate() {
            let r = u32::try_from(i + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
            for (col, cell) in row.iter().enumerate() {
                let c = column(col)?;
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, c, s)?;
                    }
                    // Counts of people are far below 2^53, exact as f64.
                    Cell::Count(n) => {
                        sheet.write_number_with_format(r, c, *n as f64, &count)?;
                    }
                    Cell::Rate(x) => {
                        sheet.write_number_with_format(r, c, *x, &rate)?;
                    }
                    // Company figures are far below 2^53 yuan, exact as f64.
                    Cell::Yuan(n) => {
                        sheet.write_number_with_format(r, c, *n as f64, &count)?;
                    }
                    Cell::Blank => {}
                }
            }
        }
        for (col, width) in self.widths().into_iter().enumerate() {
            sheet.set_column_width(column(col)?, width as f64)?;
        }
        if !self.rows.is_empty() {
            sheet.set_freeze_panes(1, 1)?;
        }
        workbook.save_to_buffer()
    }

    /// Each column's width: its widest cell, a long header wrapping, within bounds.
    fn widths(&self) -> Vec<usize> {
        self.header
            .iter()
            .enumerate()
            .map(|(col, h)| {
                let cells = self
                    .rows
                    .iter()
                    .filter_map(|r| r.get(col))
                    .map(|c| display_width(&c.text()))
                    .max()
                    .unwrap_or(0);
                let header = display_width(h).min(HEADER_WRAP_WIDTH);
                (cells.max(header) + 2).clamp(MIN_WIDTH, MAX_WIDTH)
            })
            .collect()
    }
}

fn column(index: usize) -> Result<u16, XlsxError> {
    u16::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

/// How many character widths a text takes: Chinese characters and other wide ones two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '\u{1100}'..='\u{115f}'
            | '\u{2e80}'..='\u{a4cf}'
            | '\u{ac00}'..='\u{d7a3}'
            | '\u{f900}'..='\u{faff}'
            | '\u{fe30}'..='\u{fe4f}'
            | '\u{ff00}'..='\u{ff60}'
            | '\u{ffe0}'..='\u{ffe6}' => 2,
            _ => 1,
        })
        .sum()
}

/// A name Excel accepts for a sheet: none of `[]:*?/\`, no quote at either end, at most 31
/// characters, not empty.
pub fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            c => c,
        })
        .take(SHEET_NAME_MAX)
        .collect();
    let trimmed = cleaned.trim_matches('\'').trim();
    if trimmed.is_empty() {
        "Sheet1".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Whether a name fits a sheet whole (so a shorter one can be chosen instead of cutting it).
pub fn fits_sheet(name: &str) -> bool {
    name.chars().count() <= SHEET_NAME_MAX
}

/// A CSV field, always quoted (a comma, quote or line break stays inside), with spreadsheet
/// formulas defused (a leading `=`, `+`, `-`, `@`).
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// UTF-8 with a byte-order mark (so Excel reads Chinese), CRLF line ends.
pub fn csv_text(header: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::from("\u{feff}");
    for line in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        out.push_str(
            &line
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

/// The download as an attachment named `{stem}.csv` or `{stem}.xlsx`.
pub fn download(form: Download, stem: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, form.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{}\"", form.extension()),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            sheet: "高血压·各区".into(),
            header: vec!["区".into(), "登记人数".into(), "规范管理率·率".into()],
            rows: vec![
                vec![
                    Cell::Text("鼓楼区".into()),
                    Cell::Count(1234),
                    Cell::Rate(0.5),
                ],
                vec![
                    Cell::Text("=1+1".into()),
                    Cell::Count(0),
                    Cell::Text("无对象".into()),
                ],
                vec![Cell::Text("Gulou, north".into()), Cell::Blank, Cell::Blank],
                vec![
                    Cell::Text("营收".into()),
                    Cell::Yuan(1_250_000),
                    Cell::Blank,
                ],
            ],
        }
    }

    #[test]
    fn csv_has_a_bom_crlf_and_quoted_fields() {
        let text = csv_text(
            &["区".to_owned(), "n".to_owned()],
            &[vec!["Gulou, north".to_owned(), "=1+1".to_owned()]],
        );
        assert!(text.starts_with('\u{feff}'));
        assert_eq!(
            text,
            "\u{feff}\"区\",\"n\"\r\n\"Gulou, north\",\"'=1+1\"\r\n"
        );
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn a_table_is_written_as_csv_with_its_cells_as_shown() {
        assert_eq!(
            table().csv(),
            "\u{feff}\"区\",\"登记人数\",\"规范管理率·率\"\r\n\
             \"鼓楼区\",\"1234\",\"50.0%\"\r\n\
             \"'=1+1\",\"0\",\"无对象\"\r\n\
             \"Gulou, north\",\"\",\"\"\r\n\
             \"营收\",\"1250000\",\"\"\r\n"
        );
    }

    #[test]
    fn a_table_is_written_as_a_workbook() {
        let bytes = table().xlsx().expect("a workbook");
        assert!(bytes.starts_with(b"PK"), "a zip file");
        assert_eq!(
            Table {
                rows: Vec::new(),
                ..table()
            }
            .render(Download::Xlsx)
            .map(|b| b.starts_with(b"PK"))
            .ok(),
            Some(true),
            "an empty table too"
        );
    }

    #[test]
    fn columns_fit_their_text_and_chinese_counts_double() {
        assert_eq!(display_width("鼓楼区"), 6);
        assert_eq!(display_width("Gulou"), 5);
        let widths = table().widths();
        assert_eq!(widths[0], MIN_WIDTH.max(display_width("Gulou, north") + 2));
        assert_eq!(widths[1], 10, "the header 登记人数 is wider than 1234");
        let wide = Table {
            header: vec!["x".repeat(100)],
            rows: vec![vec![Cell::Text("y".repeat(100))]],
            ..table()
        };
        assert_eq!(wide.widths(), vec![MAX_WIDTH]);
    }

    #[test]
    fn sheet_names_are_ones_excel_accepts() {
        assert_eq!(sheet_name("高血压·各区"), "高血压·各区");
        assert_eq!(sheet_name("a/b:c?"), "a_b_c_");
        assert_eq!(sheet_name("'quoted'"), "quoted");
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
        assert!(fits_sheet("Hypertension by district"));
        assert!(!fits_sheet(
            "Chronic obstructive pulmonary disease by district"
        ));
    }
}
