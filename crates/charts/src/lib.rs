//! Server-side SVG charts for dashboards: accessible (`role="img"`, `<title>`, `<desc>`),
//! scalable (`viewBox`), values printed beside marks so colour is never the only carrier of
//! meaning, and no dependencies. Every chart has a table view rendered by the page.

use std::fmt::Write as _;

/// One named series of values, one value per category.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// Categories (bars, districts, periods), the series over them, and the unit of the values.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub unit: String,
}

/// What every chart needs besides its data. Texts come localised from the caller.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Prefix for element ids; must be unique in the page.
    pub id: String,
    pub title: String,
    /// Summary for screen readers; generated from the data when empty.
    pub description: String,
    /// Shown instead of the chart when there is nothing to draw (e.g. `暂无数据`).
    pub no_data: String,
    /// Bars grow to the right (for long category names such as districts).
    pub horizontal: bool,
    /// A category to emphasise (e.g. the viewer's own district).
    pub highlight: Option<String>,
}

/// Okabe-Ito colours, distinguishable with colour-blindness, dark enough on white.
const PALETTE: [&str; 6] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];
const INK: &str = "#1d2430";
const MUTED: &str = "#505a68";
const GRID: &str = "#d4d9e1";

/// Escapes text for SVG content and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `1234567.891` with one decimal → `1,234,567.9`; integers show no decimals.
pub fn format_number(value: f64) -> String {
    let decimals = if value.fract().abs() < 1e-9 { 0 } else { 1 };
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, frac) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A "nice" axis maximum and step (1, 2 or 5 × 10^n) covering `max` in about five steps.
pub fn nice_scale(max: f64) -> (f64, f64) {
    if !(max.is_finite() && max > 0.0) {
        return (1.0, 0.2);
    }
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

fn header(out: &mut String, o: &Options, width: u32, height: u32, summary: &str) {
    let id = escape(&o.id);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"inherit\" font-size=\"13\">\
<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>\
<text x=\"0\" y=\"18\" font-size=\"15\" font-weight=\"700\" fill=\"{INK}\">{}</text>",
        escape(&o.title),
        escape(if o.description.is_empty() { summary } else { &o.description }),
        escape(&o.title)
    );
}

fn summary(data: &ChartData) -> String {
    let mut parts = Vec::new();
    for s in &data.series {
        let points = data.categories.iter().zip(&s.values).filter(|(_, v)| v.is_finite());
        let max = points.clone().max_by(|a, b| a.1.total_cmp(b.1));
        let min = points.min_by(|a, b| a.1.total_cmp(b.1));
        if let (Some(max), Some(min)) = (max, min) {
            parts.push(format!(
                "{}: {} {} {} – {} {} {}",
                s.name, max.0, format_number(*max.1), data.unit, min.0, format_number(*min.1), data.unit
            ));
        }
    }
    parts.join("; ")
}

fn empty(o: &Options) -> String {
    let mut out = String::new();
    header(&mut out, o, 600, 80, &o.no_data);
    let _ = write!(out, "<text x=\"0\" y=\"52\" fill=\"{MUTED}\">{}</text></svg>", escape(&o.no_data));
    out
}

fn has_data(data: &ChartData) -> bool {
    data.series.iter().flat_map(|s| &s.values).any(|v| v.is_finite() && *v != 0.0)
}

fn legend(out: &mut String, data: &ChartData, x: f64, y: f64) {
    if data.series.len() < 2 {
        return;
    }
    let mut cx = x;
    for (i, s) in data.series.iter().enumerate() {
        let _ = write!(
            out,
            "<rect x=\"{cx:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\">{}</text>",
            y - 10.0,
            PALETTE[i % PALETTE.len()],
            cx + 16.0,
            y,
            escape(&s.name)
        );
        cx += 28.0 + 8.0 * s.name.chars().count() as f64 * 1.4;
    }
}

/// A bar chart: vertical bars per category (grouped when several series), or horizontal bars
/// when `options.horizontal`. Values are printed at the end of each bar.
pub fn bar_chart(o: &Options, data: &ChartData) -> String {
    if !has_data(data) {
        return empty(o);
    }
    let max = data.series.iter().flat_map(|s| &s.values).copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let (top, step) = nice_scale(max);
    let groups = data.categories.len().max(1);
    let per = data.series.len().max(1);
    let text = summary(data);
    let mut out = String::new();
    if o.horizontal {
        let label_w = 8.0 + 14.0 * data.categories.iter().map(|c| c.chars().count()).max().unwrap_or(4) as f64;
        let (width, bar_h, gap) = (640.0, 14.0, 10.0);
        let plot_x = label_w;
        let plot_w = width - label_w - 70.0;
        let band = per as f64 * bar_h + gap;
        let plot_y = 56.0;
        let height = plot_y + groups as f64 * band + 30.0;
        header(&mut out, o, width as u32, height as u32, &text);
        legend(&mut out, data, 0.0, 42.0);
        let mut tick = 0.0;
        while tick <= top + step / 2.0 {
            let x = plot_x + plot_w * tick / top;
            let _ = write!(out, "<line x1=\"{x:.1}\" y1=\"{plot_y}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"{GRID}\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{MUTED}\">{}</text>", height - 26.0, height - 10.0, format_number(tick));
            tick += step;
        }
        for (g, category) in data.categories.iter().enumerate() {
            let y0 = plot_y + g as f64 * band;
            let strong = o.highlight.as_deref() == Some(category.as_str());
            let weight = if strong { "700" } else { "400" };
            let _ = write!(out, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-weight=\"{weight}\" fill=\"{INK}\">{}</text>", plot_x - 6.0, y0 + per as f64 * bar_h / 2.0 + 4.0, escape(category));
            for (i, s) in data.series.iter().enumerate() {
                let v = s.values.get(g).copied().filter(|v| v.is_finite()).unwrap_or(0.0).max(0.0);
                let w = plot_w * v / top;
                let y = y0 + i as f64 * bar_h;
                let _ = write!(out, "<rect x=\"{plot_x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"{}><title>{} · {}: {} {}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\" font-size=\"11\">{}</text>",
                    bar_h - 2.0, PALETTE[i % PALETTE.len()], if strong { " stroke=\"#1d2430\" stroke-width=\"1.5\"" } else { "" },
                    escape(category), escape(&s.name), format_number(v), escape(&data.unit), plot_x + w + 4.0, y + bar_h - 4.0, format_number(v));
            }
        }
    } else {
        let (width, height) = (640.0, 320.0);
        let (plot_x, plot_y, plot_h) = (56.0, 56.0, 200.0);
        let plot_w = width - plot_x - 10.0;
        let band = plot_w / groups as f64;
        let bar_w = (band * 0.8 / per as f64).min(40.0);
        header(&mut out, o, width as u32, height as u32, &text);
        legend(&mut out, data, 0.0, 42.0);
        let mut tick = 0.0;
        while tick <= top + step / 2.0 {
            let y = plot_y + plot_h - plot_h * tick / top;
            let _ = write!(out, "<line x1=\"{plot_x}\" y1=\"{y:.1}\" x2=\"{width}\" y2=\"{y:.1}\" stroke=\"{GRID}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{MUTED}\">{}</text>", plot_x - 6.0, y + 4.0, format_number(tick));
            tick += step;
        }
        for (g, category) in data.categories.iter().enumerate() {
            let x0 = plot_x + g as f64 * band + (band - bar_w * per as f64) / 2.0;
            for (i, s) in data.series.iter().enumerate() {
                let v = s.values.get(g).copied().filter(|v| v.is_finite()).unwrap_or(0.0).max(0.0);
                let h = plot_h * v / top;
                let x = x0 + i as f64 * bar_w;
                let _ = write!(out, "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{} · {}: {} {}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{INK}\">{}</text>",
                    plot_y + plot_h - h, bar_w - 2.0, PALETTE[i % PALETTE.len()], escape(category), escape(&s.name), format_number(v), escape(&data.unit), x + bar_w / 2.0 - 1.0, plot_y + plot_h - h - 4.0, format_number(v));
            }
            let _ = write!(out, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{INK}\">{}</text>", plot_x + g as f64 * band + band / 2.0, plot_y + plot_h + 18.0, escape(category));
        }
        let _ = write!(out, "<text x=\"{plot_x}\" y=\"{:.1}\" fill=\"{MUTED}\" font-size=\"11\">{}</text>", height - 12.0, escape(&data.unit));
    }
    out.push_str("</svg>");
    out
}

/// Grid positions (column, row) of Nanjing's 12 units, north at the top. A schematic
/// cartogram, not a geographic map: each unit is one equal tile placed roughly where it lies.
const DISTRICT_TILES: [(&str, &str, u32, u32); 12] = [
    ("六合区", "Luhe", 2, 0),
    ("浦口区", "Pukou", 0, 1),
    ("江北新区", "Jiangbei", 1, 1),
    ("栖霞区", "Qixia", 3, 1),
    ("鼓楼区", "Gulou", 1, 2),
    ("玄武区", "Xuanwu", 2, 2),
    ("建邺区", "Jianye", 0, 3),
    ("秦淮区", "Qinhuai", 1, 3),
    ("雨花台区", "Yuhuatai", 1, 4),
    ("江宁区", "Jiangning", 2, 4),
    ("溧水区", "Lishui", 2, 5),
    ("高淳区", "Gaochun", 2, 6),
];

/// A tile map of the districts, shaded by value on a sequential scale with the value printed
/// in each tile. `values` are keyed by the Chinese district name; names not on the map are
/// ignored, and districts without a value show a dash.
pub fn district_map(o: &Options, values: &[(String, f64)], english: bool) -> String {
    let finite: Vec<f64> = values.iter().map(|(_, v)| *v).filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return empty(o);
    }
    let max = finite.iter().copied().fold(f64::MIN, f64::max);
    let min = finite.iter().copied().fold(f64::MAX, f64::min);
    let (tile, gap, top) = (92.0, 6.0, 40.0);
    let width = 4.0 * (tile + gap) + 140.0;
    let height = top + 7.0 * (tile * 0.62 + gap) + 10.0;
    let text = values.iter().map(|(k, v)| format!("{k} {}", format_number(*v))).collect::<Vec<_>>().join("; ");
    let mut out = String::new();
    header(&mut out, o, width as u32, height as u32, &text);
    for (zh, en, col, row) in DISTRICT_TILES {
        let x = f64::from(col) * (tile + gap);
        let y = top + f64::from(row) * (tile * 0.62 + gap);
        let value = values.iter().find(|(k, _)| k == zh).map(|(_, v)| *v).filter(|v| v.is_finite());
        let share = value.map(|v| if max > min { (v - min) / (max - min) } else { 1.0 }).unwrap_or(0.0);
        // Light to dark blue; text switches to white on dark tiles for contrast.
        let (r, g, b) = (lerp(222.0, 8.0, share), lerp(235.0, 69.0, share), lerp(247.0, 148.0, share));
        let ink = if share > 0.55 { "#ffffff" } else { INK };
        let strong = o.highlight.as_deref() == Some(zh);
        let name = if english { en } else { zh };
        let _ = write!(out, "<g><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{tile}\" height=\"{:.1}\" rx=\"6\" fill=\"rgb({r:.0},{g:.0},{b:.0})\"{}/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\" font-weight=\"700\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\">{}</text></g>",
            tile * 0.62, if strong { " stroke=\"#ffbf47\" stroke-width=\"4\"" } else { "" },
            x + tile / 2.0, y + 24.0, escape(name), x + tile / 2.0, y + 44.0, value.map(format_number).unwrap_or_else(|| "—".into()));
    }
    let lx = 4.0 * (tile + gap) + 10.0;
    for (i, share) in [0.0, 0.5, 1.0].into_iter().enumerate() {
        let y = top + 10.0 + i as f64 * 28.0;
        let (r, g, b) = (lerp(222.0, 8.0, share), lerp(235.0, 69.0, share), lerp(247.0, 148.0, share));
        let _ = write!(out, "<rect x=\"{lx:.1}\" y=\"{y:.1}\" width=\"18\" height=\"18\" fill=\"rgb({r:.0},{g:.0},{b:.0})\" stroke=\"{GRID}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\">{}</text>", lx + 24.0, y + 14.0, format_number(min + share * (max - min)));
    }
    out.push_str("</svg>");
    out
}

fn lerp(a: f64, b: f64, t: f64) -> f64 {
    a + (b - a) * t.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options { id: "c".into(), title: "标题".into(), no_data: "暂无数据".into(), ..Default::default() }
    }

    fn balanced(svg: &str) -> bool {
        let mut depth: i64 = 0;
        let mut rest = svg;
        while let Some(i) = rest.find('<') {
            let tag_end = rest[i..].find('>').map(|j| i + j).unwrap_or(rest.len() - 1);
            let tag = &rest[i..=tag_end];
            if tag.starts_with("</") {
                depth -= 1;
            } else if !tag.ends_with("/>") {
                depth += 1;
            }
            if depth < 0 {
                return false;
            }
            rest = &rest[tag_end + 1..];
        }
        depth == 0
    }

    fn data(values: Vec<f64>) -> ChartData {
        ChartData {
            categories: (0..values.len()).map(|i| format!("类{i}")).collect(),
            series: vec![Series { name: "2025".into(), values }],
            unit: "亿元".into(),
        }
    }

    #[test]
    fn bars_are_proportional_and_labelled() {
        let svg = bar_chart(&options(), &data(vec![50.0, 100.0]));
        assert!(balanced(&svg));
        assert!(svg.contains("aria-labelledby=\"c-title c-desc\""));
        let heights: Vec<f64> = svg
            .split("<rect ")
            .skip(1)
            .filter_map(|r| r.split("height=\"").nth(1)?.split('"').next()?.parse().ok())
            .collect();
        assert_eq!(heights.len(), 2);
        assert!((heights[1] - 2.0 * heights[0]).abs() < 0.2, "{heights:?}");
        assert!(svg.contains(">100<") && svg.contains(">50<"));
    }

    #[test]
    fn labels_are_escaped_and_empty_data_says_so() {
        let mut d = data(vec![1.0]);
        d.categories[0] = "<script>".into();
        let svg = bar_chart(&Options { horizontal: true, ..options() }, &d);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(balanced(&svg));
        let none = bar_chart(&options(), &data(vec![0.0, f64::NAN]));
        assert!(none.contains("暂无数据") && balanced(&none));
    }

    #[test]
    fn scales_are_nice_and_cover_the_maximum() {
        for max in [0.3, 7.0, 42.0, 555.0, 1400.0, 98_765.0] {
            let (top, step) = nice_scale(max);
            assert!(top >= max);
            let mantissa = step / 10f64.powf(step.log10().floor());
            assert!([1.0, 2.0, 5.0].iter().any(|m| (m - mantissa).abs() < 1e-9), "{step}");
            let steps = (top / step).round();
            assert!((3.0..=8.0).contains(&steps), "{max}: {steps} steps");
        }
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(format_number(1_234_567.891), "1,234,567.9");
        assert_eq!(format_number(1400.0), "1,400");
        assert_eq!(format_number(-12.0), "-12");
    }

    #[test]
    fn the_map_places_all_twelve_districts_and_prints_values() {
        let values: Vec<(String, f64)> = DISTRICT_TILES.iter().enumerate().map(|(i, (zh, ..))| ((*zh).to_owned(), (i * 10) as f64)).collect();
        let svg = district_map(&options(), &values, false);
        assert!(balanced(&svg));
        for (zh, ..) in DISTRICT_TILES {
            assert!(svg.contains(zh), "{zh}");
        }
        assert!(svg.contains(">110<"));
        let mut positions: Vec<(u32, u32)> = DISTRICT_TILES.iter().map(|t| (t.2, t.3)).collect();
        positions.sort_unstable();
        positions.dedup();
        assert_eq!(positions.len(), 12, "no two districts share a tile");
    }
}
