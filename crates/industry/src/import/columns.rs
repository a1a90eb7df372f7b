//! The columns an import file may have, each known by a Chinese and an English header.

use std::collections::BTreeMap;

use crate::error::RowError;

/// One column: the field it fills and its two accepted headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub field: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub required: bool,
}

const fn col(field: &'static str, zh: &'static str, required: bool) -> Column {
    Column {
        field,
        zh,
        en: field,
        required,
    }
}

/// Companies, one row per company and year. The figures columns are filled when `year` is.
pub const COMPANY_COLUMNS: &[Column] = &[
    col("no", "序号", false),
    col("uscc", "统一社会信用代码", true),
    col("name", "企业名称", true),
    col("district", "区", true),
    col("park", "园区", false),
    col("segments", "产业领域", true),
    col("founded", "成立日期", true),
    col("paid_in_capital_yuan", "实缴资本（元）", true),
    col("listed", "是否上市", false),
    col("year", "年度", false),
    col("revenue_yuan", "营业收入（元）", false),
    col("rd_spend_yuan", "研发投入（元）", false),
    col("staff", "员工人数", false),
    col("output_yuan", "产值（元）", false),
    col("tax_yuan", "纳税（元）", false),
];

/// Product stage events, one row per stage.
pub const STAGE_COLUMNS: &[Column] = &[
    col("no", "序号", false),
    col("uscc", "统一社会信用代码", true),
    col("product", "产品名称", true),
    col("kind", "产品类别", true),
    col("special_review", "创新特别审查", false),
    col("started", "立项日期", false),
    col("stage", "阶段", true),
    col("on", "日期", true),
    col("evidence", "证明文件编号", true),
    col("evidence_sha256", "文件摘要", false),
    col("skips_with_reason", "跳过原因", false),
    col("first_in_country", "全国首家", false),
];

/// Headers compare without spaces, case or the width of parentheses: `营业收入(元)` and
/// `营业收入（元）` are the same column.
fn normalise(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// Where each field's column is in a file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Located {
    index: BTreeMap<&'static str, usize>,
    header: BTreeMap<&'static str, String>,
}

impl Located {
    pub fn index(&self, field: &str) -> Option<usize> {
        self.index.get(field).copied()
    }

    /// The header as the file writes it, for error reports.
    pub fn header(&self, field: &'static str, columns: &[Column]) -> String {
        self.header.get(field).cloned().unwrap_or_else(|| {
            columns
                .iter()
                .find(|c| c.field == field)
                .map_or(field.to_owned(), |c| format!("{}|{}", c.zh, c.en))
        })
    }
}

/// Finds each column by its header; unknown, repeated and missing required columns are
/// reported on row 1.
pub(crate) fn locate(headers: &[String], columns: &[Column]) -> Result<Located, Vec<RowError>> {
    let mut located = Located::default();
    let mut errors = Vec::new();
    let accepted = || {
        columns
            .iter()
            .map(|c| format!("{}|{}", c.zh, c.en))
            .collect::<Vec<_>>()
            .join("、")
    };
    for (i, header) in headers.iter().enumerate() {
        if header.trim().is_empty() {
            continue;
        }
        let key = normalise(header);
        let Some(column) = columns
            .iter()
            .find(|c| normalise(c.zh) == key || normalise(c.en) == key)
        else {
            errors.push(RowError {
                row: 1,
                column: header.clone(),
                value: header.clone(),
                message_zh: format!("无法识别的列“{header}”，可用的列为：{}", accepted()),
                message_en: format!(
                    "unknown column \"{header}\"; the columns are: {}",
                    accepted()
                ),
            });
            continue;
        };
        if located.index.insert(column.field, i).is_some() {
            errors.push(RowError {
                row: 1,
                column: header.clone(),
                value: header.clone(),
                message_zh: format!("列“{header}”重复"),
                message_en: format!("column \"{header}\" appears twice"),
            });
        }
        located.header.insert(column.field, header.clone());
    }
    for column in columns.iter().filter(|c| c.required) {
        if !located.index.contains_key(column.field) {
            errors.push(RowError {
                row: 1,
                column: format!("{}|{}", column.zh, column.en),
                value: String::new(),
                message_zh: format!("缺少必填列“{}”（或英文“{}”）", column.zh, column.en),
                message_en: format!(
                    "the required column \"{}\" (or \"{}\") is missing",
                    column.en, column.zh
                ),
            });
        }
    }
    if errors.is_empty() {
        Ok(located)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn chinese_english_and_mixed_headers_are_found() {
        let h = headers(&[
            "uscc",
            "企业名称",
            "District",
            "产业领域",
            "成立日期",
            "实缴资本(元)",
            " 年度 ",
        ]);
        let found = locate(&h, COMPANY_COLUMNS).unwrap();
        assert_eq!(found.index("uscc"), Some(0));
        assert_eq!(found.index("district"), Some(2));
        assert_eq!(found.index("paid_in_capital_yuan"), Some(5));
        assert_eq!(found.index("year"), Some(6));
        assert_eq!(found.index("park"), None);
    }

    #[test]
    fn unknown_repeated_and_missing_columns_are_reported_on_row_one() {
        let h = headers(&["uscc", "统一社会信用代码", "备注"]);
        let errors = locate(&h, STAGE_COLUMNS).unwrap_err();
        assert!(errors.iter().all(|e| e.row == 1));
        assert!(
            errors
                .iter()
                .any(|e| e.message_en.contains("appears twice"))
        );
        assert!(errors.iter().any(|e| e.column == "备注"));
        assert!(errors.iter().any(|e| e.column == "阶段|stage"));
    }
}
