//! Figures shared by dashboards: number formatting and the charts (each with its table).

use access::OrganisationKind;
use kernel::Lang;
use maud::{Markup, html};

use crate::i18n::t;
use crate::layout::chart_figure;

/// `12345` → `12,345`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// District targets for every target year: a horizontal bar chart and a schematic map of the
/// latest year, each with the same data as a table. `highlight` names the viewer's district.
pub fn district_targets(lang: Lang, highlight: Option<&str>) -> Markup {
    let data = city::districts();
    let english = lang == Lang::En;
    let names: Vec<String> = data
        .all()
        .iter()
        .map(|d| d.name(english).to_owned())
        .collect();
    let series: Vec<charts::Series> = data
        .target_years
        .iter()
        .map(|y| charts::Series {
            name: format!("{}{}", y.year, if english { "" } else { "年" }),
            values: data
                .all()
                .iter()
                .map(|d| d.target_yi_yuan(y.year).map_or(0.0, f64::from))
                .collect(),
        })
        .collect();
    let chart = charts::ChartData {
        categories: names.clone(),
        series,
        unit: t(lang, "home.unit_yi").to_owned(),
    };
    let bar = charts::bar_chart(
        &charts::Options {
            id: "district-targets".into(),
            title: t(lang, "home.targets_title").into(),
            description: t(lang, "home.targets_desc").into(),
            no_data: t(lang, "home.no_data").into(),
            horizontal: true,
            highlight: highlight
                .and_then(|k| data.by_key(k))
                .map(|d| d.name(english).to_owned()),
        },
        &chart,
    );
    let latest = data.target_years.last().map(|y| y.year).unwrap_or(2025);
    let map_values: Vec<(String, f64)> = data
        .all()
        .iter()
        .map(|d| {
            (
                d.name_zh.clone(),
                d.target_yi_yuan(latest).map_or(0.0, f64::from),
            )
        })
        .collect();
    let map = charts::district_map(
        &charts::Options {
            id: "district-map".into(),
            title: t(lang, "home.district_map").into(),
            description: String::new(),
            no_data: t(lang, "home.no_data").into(),
            horizontal: false,
            highlight: highlight
                .and_then(|k| data.by_key(k))
                .map(|d| d.name_zh.clone()),
        },
        &map_values,
        english,
    );
    let mut headers = vec![t(lang, "home.district").to_owned()];
    headers.extend(
        data.target_years
            .iter()
            .map(|y| format!("{} {}", y.year, t(lang, "home.target"))),
    );
    let rows: Vec<Vec<String>> = data
        .all()
        .iter()
        .map(|d| {
            let mut row = vec![d.name(english).to_owned()];
            row.extend(data.target_years.iter().map(|y| {
                d.target_yi_yuan(y.year)
                    .map(|v| thousands(i64::from(v)))
                    .unwrap_or_default()
            }));
            row
        })
        .collect();
    let source = t(lang, "home.targets_source");
    html! {
        (chart_figure(lang, &bar, &headers, &rows, source))
        (chart_figure(lang, &map, &headers, &rows, source))
    }
}

/// Organisations by kind as a bar chart with its table.
pub fn organisations_by_kind(lang: Lang, counts: &[(OrganisationKind, i64)]) -> Markup {
    let labels: Vec<String> = counts
        .iter()
        .map(|(k, _)| t(lang, &format!("kind.{}", k.code())).to_owned())
        .collect();
    let chart = charts::ChartData {
        categories: labels.clone(),
        series: vec![charts::Series {
            name: t(lang, "home.count").into(),
            values: counts.iter().map(|(_, n)| *n as f64).collect(),
        }],
        unit: t(lang, "home.unit_count").into(),
    };
    let svg = charts::bar_chart(
        &charts::Options {
            id: "orgs-by-kind".into(),
            title: t(lang, "home.orgs_by_kind").into(),
            description: String::new(),
            no_data: t(lang, "home.no_data").into(),
            horizontal: true,
            highlight: None,
        },
        &chart,
    );
    let headers = vec![
        t(lang, "home.kind").to_owned(),
        t(lang, "home.count").to_owned(),
    ];
    let rows: Vec<Vec<String>> = labels
        .into_iter()
        .zip(counts)
        .map(|(l, (_, n))| vec![l, thousands(*n)])
        .collect();
    chart_figure(lang, &svg, &headers, &rows, "")
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-1234567), "-1,234,567");
    }
}
