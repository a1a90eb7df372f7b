//! The table view of a chart's data, for the page to render beside the chart: the same
//! numbers, formatted the same way, for readers who prefer or need a table.

use crate::ChartData;
use crate::format::{MISSING, format_number};

/// Header cells and rows of formatted cells; the first cell of each row names the category.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The chart's data as a table: a column for the categories headed `category_header`, then
/// one column per series headed by its name. Values are formatted as on the chart (same
/// decimals rule, thousands separators); missing values show `—`. The unit is not repeated in
/// every cell: the page states it in the table's caption, as the chart does above its axis.
pub fn table(data: &ChartData, category_header: &str, decimals: Option<usize>) -> Table {
    build(data, category_header, None, decimals)
}

/// [`table`] with a last column of row totals headed `total_header`, for stacked bar charts.
/// The total leaves out missing values; a row without any value totals `—`.
pub fn table_with_totals(
    data: &ChartData,
    category_header: &str,
    total_header: &str,
    decimals: Option<usize>,
) -> Table {
    build(data, category_header, Some(total_header), decimals)
}

fn build(
    data: &ChartData,
    category_header: &str,
    total_header: Option<&str>,
    decimals: Option<usize>,
) -> Table {
    let totals: Vec<Option<f64>> = (0..data.categories.len())
        .map(|c| {
            let values: Vec<f64> = (0..data.series.len())
                .filter_map(|s| data.value(s, c))
                .collect();
            (!values.is_empty()).then(|| values.iter().sum())
        })
        .collect();
    // Decide decimals over what is printed, totals included, so columns line up.
    let decimals = decimals.unwrap_or_else(|| {
        let printed_totals = totals.iter().flatten().filter(|_| total_header.is_some());
        crate::format::auto_decimals(data.finite_values().chain(printed_totals.copied()))
    });
    let mut headers = vec![category_header.to_owned()];
    headers.extend(data.series.iter().map(|s| s.name.clone()));
    headers.extend(total_header.map(str::to_owned));
    let rows = data
        .categories
        .iter()
        .enumerate()
        .map(|(c, category)| {
            let mut row = vec![category.clone()];
            row.extend((0..data.series.len()).map(|s| {
                data.value(s, c)
                    .map_or(MISSING.to_owned(), |v| format_number(v, decimals))
            }));
            if total_header.is_some() {
                row.push(totals[c].map_or(MISSING.to_owned(), |t| format_number(t, decimals)));
            }
            row
        })
        .collect();
    Table { headers, rows }
}
