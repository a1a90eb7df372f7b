//! Generated descriptions for `<desc>`, used when the caller gives none: what a sighted
//! reader takes in at a glance (highest, lowest, first and last), in the chart's language.

use crate::format::{format_number, with_unit};
use crate::{ChartData, Lang};

/// A value with its unit, as the description reads it.
fn amount(value: f64, decimals: usize, unit: &str) -> String {
    with_unit(&format_number(value, decimals), unit)
}

/// The categories with the highest and lowest value among `points` (category index, value).
fn extremes(points: &[(usize, f64)]) -> Option<((usize, f64), (usize, f64))> {
    let highest = points.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let lowest = points.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))?;
    Some((highest, lowest))
}

fn series_points(data: &ChartData, series: usize) -> Vec<(usize, f64)> {
    (0..data.categories.len())
        .filter_map(|c| data.value(series, c).map(|v| (c, v)))
        .collect()
}

/// "Highest … , lowest …" for one list of points.
fn highest_lowest(
    data: &ChartData,
    points: &[(usize, f64)],
    decimals: usize,
    lang: Lang,
) -> Option<String> {
    let ((hi_c, hi), (lo_c, lo)) = extremes(points)?;
    let (hi_name, lo_name) = (&data.categories[hi_c], &data.categories[lo_c]);
    let (hi, lo) = (
        amount(hi, decimals, &data.unit),
        amount(lo, decimals, &data.unit),
    );
    Some(match lang {
        Lang::Zh => format!("最高为{hi_name}（{hi}），最低为{lo_name}（{lo}）"),
        Lang::En => format!("highest {hi_name} ({hi}), lowest {lo_name} ({lo})"),
    })
}

fn with_series_name(name: &str, text: String, lang: Lang) -> String {
    match (crate::svg::is_blank(name), lang) {
        (true, _) => text,
        (false, Lang::Zh) => format!("{name}：{text}"),
        (false, Lang::En) => format!("{name}: {text}"),
    }
}

fn finish(parts: Vec<String>, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}。", parts.join("；")),
        Lang::En => format!("{}.", parts.join("; ")),
    }
}

/// For bar charts: the number of categories, then each series' highest and lowest.
pub(crate) fn bars(data: &ChartData, decimals: usize, lang: Lang) -> String {
    let count = data.categories.len();
    let mut parts = vec![match lang {
        Lang::Zh => format!("共{count}项"),
        Lang::En => format!("{count} categories"),
    }];
    for (s, series) in data.series.iter().enumerate() {
        let points = series_points(data, s);
        if let Some(text) = highest_lowest(data, &points, decimals, lang) {
            parts.push(with_series_name(&series.name, text, lang));
        }
    }
    finish(parts, lang)
}

/// For stacked bars: the categories with the highest and lowest total.
pub(crate) fn totals(
    data: &ChartData,
    totals: &[(usize, f64)],
    decimals: usize,
    lang: Lang,
) -> String {
    let mut parts = vec![match lang {
        Lang::Zh => format!(
            "共{}项，{}个组成部分",
            data.categories.len(),
            data.series.len()
        ),
        Lang::En => format!(
            "{} categories, {} parts each",
            data.categories.len(),
            data.series.len()
        ),
    }];
    if let Some(text) = highest_lowest(data, totals, decimals, lang) {
        parts.push(match lang {
            Lang::Zh => format!("合计{text}"),
            Lang::En => format!("total {text}"),
        });
    }
    finish(parts, lang)
}

/// For line charts: each series from its first to its last value, and its highest.
pub(crate) fn trend(
    data: &ChartData,
    decimals: usize,
    target: Option<(&str, f64)>,
    lang: Lang,
) -> String {
    let mut parts = Vec::new();
    for (s, series) in data.series.iter().enumerate() {
        let points = series_points(data, s);
        let (Some(first), Some(last), Some(((hi_c, hi), _))) =
            (points.first(), points.last(), extremes(&points))
        else {
            continue;
        };
        let (fc, fv) = (
            &data.categories[first.0],
            amount(first.1, decimals, &data.unit),
        );
        let (lc, lv) = (
            &data.categories[last.0],
            amount(last.1, decimals, &data.unit),
        );
        let (hc, hv) = (&data.categories[hi_c], amount(hi, decimals, &data.unit));
        let text = match lang {
            Lang::Zh => format!("从{fc}的{fv}到{lc}的{lv}，最高为{hc}的{hv}"),
            Lang::En => format!("from {fv} in {fc} to {lv} in {lc}, highest {hv} in {hc}"),
        };
        parts.push(with_series_name(&series.name, text, lang));
    }
    if let Some((label, value)) = target {
        let value = amount(value, decimals, &data.unit);
        parts.push(match (crate::svg::is_blank(label), lang) {
            (true, Lang::Zh) => format!("目标：{value}"),
            (true, Lang::En) => format!("target: {value}"),
            (false, Lang::Zh) => format!("{label}：{value}"),
            (false, Lang::En) => format!("{label}: {value}"),
        });
    }
    finish(parts, lang)
}

/// For the district map: how many districts have a value, the highest and the lowest.
pub(crate) fn districts(
    named: &[(String, f64)],
    missing: usize,
    decimals: usize,
    unit: &str,
    lang: Lang,
) -> String {
    let highest = named.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let lowest = named.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    let mut parts = vec![match lang {
        Lang::Zh => format!("{}个区有数据", named.len()),
        Lang::En => format!("{} districts with data", named.len()),
    }];
    if missing > 0 {
        parts.push(match lang {
            Lang::Zh => format!("{missing}个区暂无数据"),
            Lang::En => format!("{missing} without data"),
        });
    }
    if let (Some((hn, hv)), Some((ln, lv))) = (highest, lowest) {
        let (hv, lv) = (amount(*hv, decimals, unit), amount(*lv, decimals, unit));
        parts.push(match lang {
            Lang::Zh => format!("最高为{hn}（{hv}），最低为{ln}（{lv}）"),
            Lang::En => format!("highest {hn} ({hv}), lowest {ln} ({lv})"),
        });
    }
    finish(parts, lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Series;

    fn data() -> ChartData {
        ChartData {
            categories: vec!["鼓楼区".into(), "浦口区".into(), "江宁区".into()],
            series: vec![Series::new("2025年", vec![740.0, 40.0, f64::NAN])],
            unit: "亿元".into(),
        }
    }

    #[test]
    fn bar_description_names_highest_and_lowest() {
        assert_eq!(
            bars(&data(), 0, Lang::Zh),
            "共3项；2025年：最高为鼓楼区（740亿元），最低为浦口区（40亿元）。"
        );
        assert!(bars(&data(), 0, Lang::En).contains("highest 鼓楼区 (740亿元)"));
    }

    #[test]
    fn trend_description_goes_from_first_to_last() {
        let text = trend(&data(), 0, Some(("控制目标", 100.0)), Lang::Zh);
        assert_eq!(
            text,
            "2025年：从鼓楼区的740亿元到浦口区的40亿元，最高为鼓楼区的740亿元；控制目标：100亿元。"
        );
    }
}
