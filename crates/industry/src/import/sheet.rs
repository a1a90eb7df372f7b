//! A file as a grid of text: the header row and the data rows with the row numbers a person
//! sees in a spreadsheet (the header is row 1).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use jiff::ToSpan;
use jiff::civil::date;

use super::Format;
use super::limits::Limits;
use crate::error::{IndustryError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<SheetRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SheetRow {
    /// As the person sees it: header = 1.
    pub number: usize,
    pub cells: Vec<String>,
}

impl SheetRow {
    pub fn cell(&self, index: Option<usize>) -> &str {
        index
            .and_then(|i| self.cells.get(i))
            .map_or("", |c| c.trim())
    }
}

/// Reads `bytes` within the limits. Blank rows are skipped (their numbers stay counted).
pub(crate) fn read(format: Format, bytes: &[u8], limits: &Limits) -> Result<Sheet> {
    let max_bytes = limits.max_bytes.value;
    if bytes.len() as u64 > max_bytes {
        return Err(IndustryError::invalid(
            "file",
            format!(
                "文件大小{}字节，超过上限{max_bytes}字节：请按区或年度拆分后分别导入",
                bytes.len()
            ),
            format!(
                "the file has {} bytes, more than the {max_bytes} allowed: split it by district or year",
                bytes.len()
            ),
        ));
    }
    let grid = match format {
        Format::Csv => csv_grid(bytes)?,
        Format::Xlsx => xlsx_grid(bytes)?,
    };
    let mut grid = grid.into_iter();
    let Some((_, headers)) = grid.next() else {
        return Err(IndustryError::invalid(
            "file",
            "文件为空：第1行应为表头",
            "the file is empty: row 1 must hold the column headers",
        ));
    };
    let rows: Vec<SheetRow> = grid
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(number, cells)| SheetRow { number, cells })
        .collect();
    let max_rows = limits.max_rows.value;
    if rows.len() as u64 > max_rows {
        return Err(IndustryError::invalid(
            "file",
            format!(
                "文件有{}行数据，超过上限{max_rows}行：请拆分后分别导入",
                rows.len()
            ),
            format!(
                "the file has {} data rows, more than the {max_rows} allowed: split it",
                rows.len()
            ),
        ));
    }
    if rows.is_empty() {
        return Err(IndustryError::invalid(
            "file",
            "文件只有表头，没有数据行",
            "the file has a header row but no data",
        ));
    }
    Ok(Sheet {
        headers: headers.iter().map(|h| h.trim().to_owned()).collect(),
        rows,
    })
}

fn csv_grid(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(IndustryError::invalid(
            "file",
            "文件不是UTF-8编码：请在Excel中“另存为 CSV UTF-8（逗号分隔）”后再上传",
            "the file is not UTF-8: save it as \"CSV UTF-8 (comma delimited)\" and upload again",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    // The reader skips blank lines, which a spreadsheet shows as rows: a record's row is the
    // line it starts on (counted in the bytes), less the line breaks inside quoted cells before it (a spreadsheet keeps those in
    // one row).
    let mut grid = Vec::new();
    let mut breaks_in_cells = 0;
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            IndustryError::invalid(
                "file",
                format!("第{}条记录无法读取：{e}", i + 1),
                format!("record {} cannot be read: {e}", i + 1),
            )
        })?;
        // The position is where the previous record ended, before any blank lines.
        let ended = (record.position().map_or(0, |p| p.byte()) as usize).min(bytes.len());
        let blank = bytes[ended..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .filter(|b| **b == b'\n')
            .count();
        let line = 1 + blank + bytes[..ended].iter().filter(|b| **b == b'\n').count();
        grid.push((
            line - breaks_in_cells,
            record.iter().map(str::to_owned).collect(),
        ));
        breaks_in_cells += record
            .iter()
            .map(|c| c.matches('\n').count())
            .sum::<usize>();
    }
    Ok(grid)
}

fn xlsx_grid(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>> {
    let unreadable = |e: String| {
        IndustryError::invalid(
            "file",
            format!("无法读取Excel文件（应为.xlsx格式）：{e}"),
            format!("the Excel file cannot be read (it must be .xlsx): {e}"),
        )
    };
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("no worksheet".into()))?
        .map_err(|e| unreadable(e.to_string()))?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let first_col = range.start().map_or(0, |(_, col)| col as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            // Columns left of the used range are empty in the person's view too.
            let mut row = vec![String::new(); first_col];
            row.extend(cells.iter().map(cell_text));
            (first_row + i + 1, row)
        })
        .collect())
}

/// A cell as the text a person would type: whole numbers without ".0", dates as ISO days.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_day(d.as_f64()).unwrap_or_else(|| float_text(d.as_f64())),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// Excel's serial day (1900 date system; day 0 is 1899-12-30 once the 1900 leap-year bug is
/// accounted for, which matters only before March 1900) as YYYY-MM-DD.
fn excel_day(serial: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let day = date(1899, 12, 30)
        .checked_add((serial.floor() as i64).days())
        .ok()?;
    Some(day.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::import::limits;

    #[test]
    fn a_csv_with_bom_reads_with_spreadsheet_row_numbers() {
        let text =
            "\u{feff}统一社会信用代码,企业名称\n\n91350100M000100Y43,\"示例\n（两行）\"\n,\nX,Y\n";
        let sheet = read(Format::Csv, text.as_bytes(), limits()).unwrap();
        assert_eq!(sheet.headers, vec!["统一社会信用代码", "企业名称"]);
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].number, 3);
        assert_eq!(sheet.rows[0].cell(Some(1)), "示例\n（两行）");
        assert_eq!(sheet.rows[0].cell(Some(5)), "");
        // Row 4 holds only a comma (blank, skipped); X,Y is row 5 as a spreadsheet shows it.
        assert_eq!(sheet.rows[1].number, 5);
    }

    #[test]
    fn files_that_are_not_utf8_or_empty_are_refused_with_the_remedy() {
        let gbk = [0xC6, 0xF3, 0xD2, 0xB5, b'\n', b'1', b'\n'];
        let e = read(Format::Csv, &gbk, limits()).unwrap_err();
        assert!(e.message_zh().contains("CSV UTF-8"));
        assert_eq!(
            read(Format::Csv, b"", limits()).unwrap_err().field(),
            Some("file")
        );
        assert_eq!(
            read(Format::Csv, b"a,b\n", limits()).unwrap_err().field(),
            Some("file")
        );
        assert_eq!(
            read(Format::Xlsx, b"not a zip", limits())
                .unwrap_err()
                .field(),
            Some("file")
        );
    }

    #[test]
    fn excel_serial_days_become_dates() {
        assert_eq!(excel_day(45292.0).as_deref(), Some("2024-01-01"));
        assert_eq!(excel_day(45292.75).as_deref(), Some("2024-01-01"));
        assert_eq!(float_text(1_000_000.0), "1000000");
        assert_eq!(float_text(12.5), "12.5");
    }
}
