//! Number formatting shared by charts and their tables, so a value reads the same in both.

/// What a missing value (absent, NaN or infinite) shows as, in charts and tables alike.
pub const MISSING: &str = "—";

/// Formats `value` with `decimals` decimals and commas between thousands:
/// `format_number(1234567.891, 1)` is `1,234,567.9`.
///
/// Comma grouping is the convention of Chinese official statistics as well as English, so one
/// format serves both languages. Non-finite values format as [`MISSING`]. A value that rounds
/// to zero prints without a sign (`-0.04` with one decimal is `0.0`, not `-0.0`).
pub fn format_number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return MISSING.to_owned();
    }
    // More decimals than this are noise in a chart, and unbounded precision is a way to make
    // a caller's typo produce megabytes of zeros.
    let decimals = decimals.min(10);
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text.as_str(), None),
    };
    let rounds_to_zero = text.chars().all(|c| c == '0' || c == '.');
    let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
    if value < 0.0 && !rounds_to_zero {
        out.push('-');
    }
    let digits = whole.len();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// The fewest decimals (at most two) that show every value exactly, used when the caller
/// does not choose: whole numbers stay whole, `12.5` keeps its half, `33.333…` gets two.
pub(crate) fn auto_decimals(values: impl IntoIterator<Item = f64>) -> usize {
    let mut needed = 0;
    for value in values.into_iter().filter(|v| v.is_finite()) {
        while needed < 2 {
            let scale = 10f64.powi(needed as i32);
            let scaled = value * scale;
            if (scaled - scaled.round()).abs() <= 1e-6 * scaled.abs().max(1.0) {
                break;
            }
            needed += 1;
        }
    }
    needed
}

/// Joins a formatted number and its unit the way each script expects: `740亿元`, `12.5%`,
/// but `740 people`.
pub(crate) fn with_unit(number: &str, unit: &str) -> String {
    let unit = unit.trim();
    match unit.chars().next() {
        None => number.to_owned(),
        Some(first) if first == '%' || first == '‰' || crate::svg::is_wide(first) => {
            format!("{number}{unit}")
        }
        Some(_) => format!("{number} {unit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_and_rounds_to_the_requested_decimals() {
        assert_eq!(format_number(1_234_567.891, 1), "1,234,567.9");
        assert_eq!(format_number(1_234_567.891, 0), "1,234,568");
        assert_eq!(format_number(12_345.0, 0), "12,345");
        assert_eq!(format_number(999.0, 0), "999");
        assert_eq!(format_number(1000.0, 2), "1,000.00");
        assert_eq!(format_number(-1_234.5, 1), "-1,234.5");
        assert_eq!(format_number(-0.04, 1), "0.0");
        assert_eq!(format_number(0.0, 0), "0");
        assert_eq!(format_number(f64::NAN, 1), MISSING);
        assert_eq!(format_number(f64::NEG_INFINITY, 0), MISSING);
    }

    #[test]
    fn auto_decimals_are_the_fewest_that_show_the_data() {
        assert_eq!(auto_decimals([1.0, 20.0, 300.0]), 0);
        assert_eq!(auto_decimals([1.0, 12.5]), 1);
        assert_eq!(auto_decimals([0.25, 3.0]), 2);
        assert_eq!(auto_decimals([1.0 / 3.0]), 2);
        assert_eq!(auto_decimals([f64::NAN, 4.0]), 0);
    }

    #[test]
    fn units_join_without_a_space_for_cjk_and_percent() {
        assert_eq!(with_unit("740", "亿元"), "740亿元");
        assert_eq!(with_unit("12.5", "%"), "12.5%");
        assert_eq!(with_unit("40", "people"), "40 people");
        assert_eq!(with_unit("40", ""), "40");
    }
}
