//! A company's figures for one year (revenue, R&D spend, staff, output, tax). One row per
//! company and year; a correction replaces the row and keeps the replaced values in history.

use jiff::civil::Date;
use serde::Serialize;

use crate::company::non_negative;
use crate::error::{IndustryError, Result};

/// The first year the register accepts.
pub const FIRST_YEAR: i16 = 1949;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearFigures {
    pub year: i16,
    pub revenue_yuan: i64,
    pub rd_spend_yuan: i64,
    pub staff: i64,
    pub output_yuan: i64,
    pub tax_yuan: Option<i64>,
}

impl YearFigures {
    /// Checks the year (from 1949 to this year, not before the company was founded) and that
    /// no amount or count is negative.
    pub fn validate(&self, today: Date, founded: Option<Date>) -> Result<()> {
        check_year(self.year, today, founded)?;
        non_negative("revenue_yuan", "营业收入", self.revenue_yuan)?;
        non_negative("rd_spend_yuan", "研发投入", self.rd_spend_yuan)?;
        non_negative("staff", "员工人数", self.staff)?;
        non_negative("output_yuan", "产值", self.output_yuan)?;
        if let Some(tax) = self.tax_yuan {
            non_negative("tax_yuan", "纳税额", tax)?;
        }
        Ok(())
    }
}

/// A year the register accepts figures for: from 1949 to this year, not before the company
/// was founded.
pub fn check_year(year: i16, today: Date, founded: Option<Date>) -> Result<()> {
    let this_year = today.year();
    if year < FIRST_YEAR || year > this_year {
        return Err(IndustryError::invalid(
            "year",
            format!("年度应在{FIRST_YEAR}至{this_year}之间，实为{year}"),
            format!("the year must be from {FIRST_YEAR} to {this_year}, it is {year}"),
        ));
    }
    if let Some(founded) = founded
        && year < founded.year()
    {
        return Err(IndustryError::invalid(
            "year",
            format!("年度{year}早于企业成立日期{founded}"),
            format!("the year {year} is before the company was founded ({founded})"),
        ));
    }
    Ok(())
}

/// Figures that were replaced: the values, who recorded them, and who replaced them when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplacedFigures {
    pub figures: YearFigures,
    pub recorded_by: String,
    pub recorded_at: i64,
    pub replaced_by: String,
    pub replaced_at: i64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn figures(year: i16) -> YearFigures {
        YearFigures {
            year,
            revenue_yuan: 5_000_000,
            rd_spend_yuan: 2_000_000,
            staff: 40,
            output_yuan: 4_000_000,
            tax_yuan: None,
        }
    }

    #[test]
    fn years_outside_the_register_are_refused() {
        let today = date(2025, 6, 1);
        assert!(figures(2025).validate(today, None).is_ok());
        assert_eq!(
            figures(2026).validate(today, None).unwrap_err().field(),
            Some("year")
        );
        assert_eq!(
            figures(1948).validate(today, None).unwrap_err().field(),
            Some("year")
        );
        assert!(figures(1949).validate(today, None).is_ok());
        let founded = Some(date(2020, 3, 1));
        assert_eq!(
            figures(2019).validate(today, founded).unwrap_err().field(),
            Some("year")
        );
        assert!(figures(2020).validate(today, founded).is_ok());
    }

    proptest! {
        #[test]
        fn a_negative_amount_is_refused_by_its_own_name(which in 0usize..5, value in i64::MIN..0) {
            let mut f = figures(2024);
            let name = ["revenue_yuan", "rd_spend_yuan", "staff", "output_yuan", "tax_yuan"][which];
            match which {
                0 => f.revenue_yuan = value,
                1 => f.rd_spend_yuan = value,
                2 => f.staff = value,
                3 => f.output_yuan = value,
                _ => f.tax_yuan = Some(value),
            }
            let e = f.validate(date(2025, 1, 1), None).unwrap_err();
            prop_assert_eq!(e.field(), Some(name));
        }
    }
}
