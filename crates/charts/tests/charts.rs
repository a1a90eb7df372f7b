//! Behaviour of the charts through the public API: valid, accessible SVG; marks that are true
//! to the data; escaping; the no-data state; the district map; tables.

mod common;

use charts::{
    BarChart, ChartData, ChartOptions, DistrictMap, Lang, LineChart, NANJING_DISTRICTS,
    Orientation, Series, StackedBarChart, TargetLine, format_number, table, table_with_totals,
};
use common::{Doc, chart, parse};

fn options(id: &str) -> ChartOptions {
    ChartOptions {
        id: id.into(),
        title: "标题".into(),
        no_data: "暂无数据".into(),
        ..ChartOptions::default()
    }
}

fn data(values: &[f64]) -> ChartData {
    ChartData {
        categories: (0..values.len()).map(|i| format!("类别{i}")).collect(),
        series: vec![Series::new("2025年", values.to_vec())],
        unit: "亿元".into(),
    }
}

fn bar(values: &[f64], orientation: Orientation) -> Doc {
    chart(
        &BarChart {
            options: options("c"),
            orientation,
        }
        .render(&data(values)),
    )
}

/// The marks (elements with a tooltip) of one kind, with their document indices.
fn marks<'a>(doc: &'a Doc, name: &'a str) -> Vec<(usize, &'a common::Node)> {
    doc.all(name)
        .filter(|(i, _)| doc.tooltip(*i).is_some())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.15
}

/// The zero line: the one drawn in ink, 1.5 wide.
fn zero_line(doc: &Doc) -> (f64, f64, f64, f64) {
    let (_, line) = doc
        .all("line")
        .find(|(_, l)| l.attr("stroke") == Some("#0b0c0c") && l.attr("stroke-width") == Some("1.5"))
        .expect("a zero line");
    (
        line.num("x1"),
        line.num("y1"),
        line.num("x2"),
        line.num("y2"),
    )
}

// --- Structure and accessibility ---------------------------------------------------------

#[test]
fn every_chart_kind_is_well_formed_accessible_svg() {
    let d = ChartData {
        categories: vec!["鼓楼区".into(), "江宁区".into(), "高淳区".into()],
        series: vec![
            Series::new("2022年", vec![555.0, 360.0, 80.0]),
            Series::new("2025年", vec![740.0, 750.0, 170.0]),
        ],
        unit: "亿元".into(),
    };
    let svgs = [
        BarChart {
            options: options("a"),
            orientation: Orientation::Vertical,
        }
        .render(&d),
        BarChart {
            options: options("b"),
            orientation: Orientation::Horizontal,
        }
        .render(&d),
        StackedBarChart {
            options: options("c"),
            orientation: Orientation::Vertical,
        }
        .render(&d),
        StackedBarChart {
            options: options("d"),
            orientation: Orientation::Horizontal,
        }
        .render(&d),
        LineChart {
            options: options("e"),
            target: Some(TargetLine {
                value: 600.0,
                label: "目标".into(),
            }),
            ..LineChart::default()
        }
        .render(&d),
        DistrictMap {
            options: options("f"),
            unit: "亿元".into(),
        }
        .render(&[("鼓楼区".into(), 740.0)])
        .expect("a known district"),
    ];
    for svg in &svgs {
        let doc = chart(svg);
        assert_eq!(doc.root().attr("font-family"), Some("inherit"));
        assert!(
            !svg.contains("font-family=\"Arial"),
            "fonts come from the page"
        );
        let texts = doc.texts();
        assert!(texts.contains(&"标题"), "the title is visible: {texts:?}");
    }
}

#[test]
fn ids_are_unique_across_charts_on_one_page_and_references_resolve() {
    let map = DistrictMap {
        options: options("map"),
        unit: String::new(),
    }
    .render(&[("江宁区".into(), 3.0), ("高淳区".into(), 1.0)])
    .expect("known districts");
    let bars = BarChart {
        options: options("bars"),
        ..BarChart::default()
    }
    .render(&data(&[1.0, 2.0]));
    let page = format!("<div>{map}{bars}</div>");
    let doc = parse(&page).expect("the page is well-formed");
    let ids = doc.ids();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
    assert!(ids.contains(&"map-title") && ids.contains(&"bars-desc"));
    // Every url(#…) reference points at an id of the same page.
    for node in &doc.nodes {
        for (_, value) in &node.attrs {
            if let Some(reference) = value.strip_prefix("url(#") {
                let id = reference.trim_end_matches(')');
                assert!(ids.contains(&id), "dangling reference {value}");
            }
        }
    }
}

#[test]
fn an_id_prefix_with_spaces_cannot_break_aria_labelledby() {
    let svg = BarChart {
        options: options("my chart\""),
        ..BarChart::default()
    }
    .render(&data(&[1.0]));
    let doc = chart(&svg);
    assert_eq!(
        doc.root().attr("aria-labelledby"),
        Some("my-chart--title my-chart--desc")
    );
}

#[test]
fn the_description_is_generated_when_empty_and_the_callers_otherwise() {
    let mut d = data(&[40.0, 1400.0, 740.0]);
    d.categories = vec!["浦口区".into(), "江北新区".into(), "鼓楼区".into()];
    let doc = chart(&BarChart::default().render(&d));
    let desc = doc.all("desc").next().expect("a desc").1.text.clone();
    assert!(
        desc.contains("江北新区") && desc.contains("1,400亿元"),
        "{desc}"
    );
    assert!(desc.contains("浦口区") && desc.contains("40亿元"), "{desc}");

    let english = chart(
        &BarChart {
            options: ChartOptions {
                lang: Lang::En,
                ..ChartOptions::default()
            },
            ..BarChart::default()
        }
        .render(&d),
    );
    let desc = english.all("desc").next().expect("a desc").1.text.clone();
    assert!(
        desc.starts_with("3 categories") && desc.contains("highest 江北新区"),
        "{desc}"
    );

    let given = chart(
        &BarChart {
            options: ChartOptions {
                description: "各区目标，江北新区最高。".into(),
                ..ChartOptions::default()
            },
            ..BarChart::default()
        }
        .render(&d),
    );
    assert_eq!(
        given.all("desc").next().expect("a desc").1.text,
        "各区目标，江北新区最高。"
    );
}

// --- Escaping -------------------------------------------------------------------------------

#[test]
fn caller_text_is_escaped_everywhere() {
    let hostile = ChartData {
        categories: vec!["<script>alert(1)</script>".into(), "A & B".into()],
        series: vec![
            Series::new("<b>bold</b>", vec![1.0, 2.0]),
            Series::new("\"quoted\" 'x'", vec![3.0, 4.0]),
        ],
        unit: "<u>".into(),
    };
    let o = ChartOptions {
        id: "x".into(),
        title: "<h1>title</h1>".into(),
        description: "</desc><script>".into(),
        ..ChartOptions::default()
    };
    let svgs = [
        BarChart {
            options: o.clone(),
            orientation: Orientation::Vertical,
        }
        .render(&hostile),
        BarChart {
            options: o.clone(),
            orientation: Orientation::Horizontal,
        }
        .render(&hostile),
        StackedBarChart {
            options: o.clone(),
            orientation: Orientation::Horizontal,
        }
        .render(&hostile),
        LineChart {
            options: o.clone(),
            target: Some(TargetLine {
                value: 2.0,
                label: "<i>target</i>".into(),
            }),
            ..LineChart::default()
        }
        .render(&hostile),
    ];
    for svg in &svgs {
        for raw in ["<script", "<b>", "<u>", "<h1>", "<i>"] {
            assert!(!svg.contains(raw), "{raw} appears unescaped in\n{svg}");
        }
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("A &amp; B"));
        let doc = chart(svg);
        // Decoded, the text is the caller's, intact.
        let tooltips: Vec<&str> = (0..doc.nodes.len())
            .filter_map(|i| doc.tooltip(i))
            .collect();
        assert!(
            tooltips
                .iter()
                .any(|t| t.starts_with("<script>alert(1)</script> · <b>bold</b>")),
            "{tooltips:?}"
        );
    }
    let map = DistrictMap {
        options: ChartOptions {
            no_data: "<none>".into(),
            ..o
        },
        unit: "<u>".into(),
    }
    .render(&[("江宁区".into(), 1.0)])
    .expect("a known district");
    assert!(!map.contains("<u>") && !map.contains("<none>") && !map.contains("<h1>"));
    chart(&map);
}

// --- Bars ---------------------------------------------------------------------------------

#[test]
fn vertical_bar_heights_are_proportional_to_values() {
    let doc = bar(&[50.0, 100.0, 25.0], Orientation::Vertical);
    let bars: Vec<f64> = marks(&doc, "rect")
        .iter()
        .map(|(_, r)| r.num("height"))
        .collect();
    assert_eq!(bars.len(), 3);
    assert!(
        close(bars[1], 2.0 * bars[0]) && close(bars[0], 2.0 * bars[2]),
        "{bars:?}"
    );
    // All stand on the zero line.
    let (_, zero_y, _, _) = zero_line(&doc);
    for (_, rect) in marks(&doc, "rect") {
        assert!(close(rect.num("y") + rect.num("height"), zero_y));
    }
    for label in ["50", "100", "25"] {
        assert!(doc.has_text(label), "value {label} is printed");
    }
}

#[test]
fn horizontal_bar_widths_are_proportional_and_names_are_beside_them() {
    let doc = bar(&[30.0, 90.0], Orientation::Horizontal);
    let bars: Vec<f64> = marks(&doc, "rect")
        .iter()
        .map(|(_, r)| r.num("width"))
        .collect();
    assert!(close(bars[1], 3.0 * bars[0]), "{bars:?}");
    let (zero_x, ..) = zero_line(&doc);
    let label = doc
        .all("text")
        .find(|(_, t)| t.text == "类别0")
        .expect("a category label")
        .1;
    assert!(
        label.num("x") < zero_x,
        "category names sit left of the bars"
    );
    assert_eq!(label.attr("text-anchor"), Some("end"));
}

#[test]
fn negative_bars_go_below_the_zero_line() {
    let doc = bar(&[40.0, -20.0], Orientation::Vertical);
    let (_, zero_y, _, _) = zero_line(&doc);
    let bars = marks(&doc, "rect");
    let (up, down) = (bars[0].1, bars[1].1);
    assert!(close(up.num("y") + up.num("height"), zero_y));
    assert!(
        close(down.num("y"), zero_y),
        "the negative bar hangs from zero"
    );
    assert!(close(up.num("height"), 2.0 * down.num("height")));
    assert!(doc.has_text("-20"));

    let doc = bar(&[40.0, -20.0], Orientation::Horizontal);
    let (zero_x, ..) = zero_line(&doc);
    let bars = marks(&doc, "rect");
    let down = bars[1].1;
    assert!(
        close(down.num("x") + down.num("width"), zero_x),
        "it ends at zero"
    );
}

#[test]
fn grouped_bars_sit_side_by_side_in_series_order_with_a_legend() {
    let d = ChartData {
        categories: vec!["甲".into(), "乙".into()],
        series: vec![
            Series::new("2022年", vec![10.0, 20.0]),
            Series::new("2025年", vec![15.0, 25.0]),
        ],
        unit: String::new(),
    };
    let doc = chart(&BarChart::default().render(&d));
    let bars = marks(&doc, "rect");
    assert_eq!(bars.len(), 4);
    let (first, second) = (bars[0].1, bars[1].1);
    assert!(first.num("x") < second.num("x"));
    assert_ne!(first.attr("fill"), second.attr("fill"));
    assert!(doc.tooltip(bars[1].0).is_some_and(|t| t.contains("2025年")));
    assert!(
        doc.has_text("2022年") && doc.has_text("2025年"),
        "legend entries"
    );
    // One series: no legend, the title names it.
    let single = bar(&[1.0, 2.0], Orientation::Vertical);
    assert!(!single.has_text("2025年"));
}

#[test]
fn missing_values_draw_no_bar_and_are_marked() {
    let doc = bar(
        &[10.0, f64::NAN, f64::INFINITY, 5.0],
        Orientation::Horizontal,
    );
    assert_eq!(marks(&doc, "rect").len(), 2);
    assert_eq!(doc.texts().iter().filter(|t| **t == "—").count(), 2);
}

#[test]
fn the_highlighted_category_is_bold_and_outlined() {
    let svg = BarChart {
        options: ChartOptions {
            highlight: Some("类别1".into()),
            ..options("h")
        },
        orientation: Orientation::Horizontal,
    }
    .render(&data(&[1.0, 2.0]));
    let doc = chart(&svg);
    let label = doc
        .all("text")
        .find(|(_, t)| t.text == "类别1")
        .expect("label")
        .1;
    assert_eq!(label.attr("font-weight"), Some("700"));
    let bars = marks(&doc, "rect");
    assert_eq!(bars[1].1.attr("stroke-width"), Some("2"));
    assert_eq!(bars[0].1.attr("stroke"), None);
}

// --- Stacked bars -----------------------------------------------------------------------

#[test]
fn stacks_add_up_and_totals_are_printed() {
    let d = ChartData {
        categories: vec!["鼓楼区".into(), "江宁区".into()],
        series: vec![
            Series::new("已完成", vec![1000.0, 2500.0]),
            Series::new("已预约", vec![2000.0, 1000.0]),
        ],
        unit: "人".into(),
    };
    let doc = chart(
        &StackedBarChart {
            options: options("s"),
            orientation: Orientation::Vertical,
        }
        .render(&d),
    );
    let parts = marks(&doc, "rect");
    assert_eq!(parts.len(), 4);
    let (a, b) = (parts[0].1, parts[1].1);
    assert!(close(b.num("height"), 2.0 * a.num("height")));
    assert!(
        close(b.num("y") + b.num("height"), a.num("y")),
        "the second part sits on the first"
    );
    let c = parts[2].1;
    assert!(close(c.num("height"), 2.5 * a.num("height")));
    for total in ["3,000", "3,500"] {
        assert!(
            doc.all("text")
                .any(|(_, t)| t.text == total && t.attr("font-weight") == Some("700")),
            "total {total} in bold"
        );
    }
    let table = table_with_totals(&d, "区", "合计", None);
    assert_eq!(table.headers, ["区", "已完成", "已预约", "合计"]);
    assert_eq!(table.rows[1], ["江宁区", "2,500", "1,000", "3,500"]);
}

#[test]
fn negative_parts_stack_below_zero_and_the_total_is_net() {
    let d = ChartData {
        categories: vec!["甲".into()],
        series: vec![
            Series::new("收入", vec![50.0]),
            Series::new("支出", vec![-20.0]),
        ],
        unit: String::new(),
    };
    let doc = chart(
        &StackedBarChart {
            options: options("n"),
            orientation: Orientation::Vertical,
        }
        .render(&d),
    );
    let (_, zero_y, _, _) = zero_line(&doc);
    let parts = marks(&doc, "rect");
    assert!(close(
        parts[0].1.num("y") + parts[0].1.num("height"),
        zero_y
    ));
    assert!(close(parts[1].1.num("y"), zero_y));
    assert!(doc.has_text("30"), "net total");
}

// --- Lines ----------------------------------------------------------------------------------

fn trend() -> ChartData {
    ChartData {
        categories: vec![
            "2022年".into(),
            "2023年".into(),
            "2024年".into(),
            "2025年".into(),
        ],
        series: vec![
            Series::new("高血压", vec![60.0, 64.0, f64::NAN, 72.0]),
            Series::new("糖尿病", vec![55.0, 58.0, 61.0, 66.0]),
        ],
        unit: "%".into(),
    }
}

#[test]
fn line_series_differ_by_shape_and_dash_not_colour_alone() {
    let doc = chart(&LineChart::default().render(&trend()));
    let paths: Vec<&common::Node> = doc
        .all("path")
        .filter(|(_, p)| p.attr("fill") == Some("none"))
        .map(|(_, p)| p)
        .collect();
    assert_eq!(paths.len(), 2);
    assert_ne!(
        paths[0].attr("stroke-dasharray"),
        paths[1].attr("stroke-dasharray")
    );
    // Markers: each inside a <g> with a tooltip; series 0 circles, series 1 squares.
    let groups: Vec<usize> = doc
        .all("g")
        .filter(|(i, _)| doc.tooltip(*i).is_some())
        .map(|(i, _)| i)
        .collect();
    let shape = |g: usize| {
        doc.children(g)
            .find(|c| c.name != "title")
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let first: Vec<String> = groups
        .iter()
        .filter(|g| doc.tooltip(**g).is_some_and(|t| t.contains("高血压")))
        .map(|g| shape(*g))
        .collect();
    let second: Vec<String> = groups
        .iter()
        .filter(|g| doc.tooltip(**g).is_some_and(|t| t.contains("糖尿病")))
        .map(|g| shape(*g))
        .collect();
    assert_eq!(
        first, ["circle"; 3],
        "three values, the missing one unmarked"
    );
    assert_eq!(second, ["rect"; 4]);
}

#[test]
fn a_missing_value_breaks_the_line() {
    let doc = chart(&LineChart::default().render(&trend()));
    let d = doc
        .all("path")
        .next()
        .and_then(|(_, p)| p.attr("d"))
        .expect("a path")
        .to_owned();
    assert_eq!(d.matches('M').count(), 2, "{d}");
    assert_eq!(d.matches('L').count(), 1, "{d}");
}

#[test]
fn the_target_line_is_drawn_and_labelled_and_end_values_printed() {
    let svg = LineChart {
        options: ChartOptions {
            decimals: Some(1),
            ..options("t")
        },
        target: Some(TargetLine {
            value: 70.0,
            label: "控制目标".into(),
        }),
        start_at_zero: true,
    }
    .render(&trend());
    let doc = chart(&svg);
    assert!(doc.has_text("控制目标 70.0%"), "{:?}", doc.texts());
    assert!(doc.has_text("72.0") && doc.has_text("66.0"), "last values");
    let desc = &doc.all("desc").next().expect("desc").1.text;
    assert!(desc.contains("控制目标：70.0%"), "{desc}");
    // The axis starts at zero by default.
    assert!(doc.has_text("0"));
    let lifted = chart(
        &LineChart {
            start_at_zero: false,
            ..LineChart::default()
        }
        .render(&trend()),
    );
    assert!(!lifted.has_text("0"), "{:?}", lifted.texts());
}

// --- No data ------------------------------------------------------------------------------

#[test]
fn empty_or_all_zero_data_says_so_in_the_callers_words() {
    let cases = [
        ChartData::default(),
        ChartData {
            categories: vec!["甲".into()],
            series: vec![],
            unit: String::new(),
        },
        data(&[0.0, 0.0]),
        data(&[f64::NAN, f64::INFINITY]),
        ChartData {
            categories: vec![],
            series: vec![Series::new("orphan values", vec![1.0, 2.0])],
            unit: String::new(),
        },
    ];
    for d in &cases {
        let svgs = [
            BarChart {
                options: options("e"),
                ..BarChart::default()
            }
            .render(d),
            StackedBarChart {
                options: options("e"),
                ..StackedBarChart::default()
            }
            .render(d),
            LineChart {
                options: options("e"),
                ..LineChart::default()
            }
            .render(d),
        ];
        for svg in &svgs {
            let doc = chart(svg);
            assert!(doc.has_text("暂无数据"), "{svg}");
            assert!(marks(&doc, "rect").is_empty());
        }
    }
    let english = BarChart {
        options: ChartOptions {
            no_data: "No data".into(),
            ..ChartOptions::default()
        },
        ..BarChart::default()
    }
    .render(&ChartData::default());
    assert!(chart(&english).has_text("No data"));
    let map = DistrictMap {
        options: options("m"),
        unit: String::new(),
    }
    .render(&[])
    .expect("no values is not an error");
    assert!(chart(&map).has_text("暂无数据"));
}

// --- District map -------------------------------------------------------------------------

fn all_districts() -> Vec<(String, f64)> {
    NANJING_DISTRICTS
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.to_owned(), 1000.0 + i as f64 * 111.0))
        .collect()
}

fn tiles(doc: &Doc) -> Vec<(String, f64, f64)> {
    marks(doc, "rect")
        .iter()
        .map(|(i, r)| {
            let name = doc
                .tooltip(*i)
                .and_then(|t| t.split(':').next())
                .unwrap_or_default()
                .to_owned();
            (name, r.num("x"), r.num("y"))
        })
        .collect()
}

#[test]
fn the_map_places_all_twelve_districts_on_distinct_tiles_and_prints_each_value() {
    let svg = DistrictMap {
        options: options("m"),
        unit: "亿元".into(),
    }
    .render(&all_districts())
    .expect("all known");
    let doc = chart(&svg);
    let tiles = tiles(&doc);
    assert_eq!(tiles.len(), 12);
    let mut positions: Vec<(i64, i64)> = tiles
        .iter()
        .map(|(_, x, y)| (*x as i64, *y as i64))
        .collect();
    positions.sort_unstable();
    positions.dedup();
    assert_eq!(positions.len(), 12, "no two districts share a tile");
    for (d, (_, value)) in NANJING_DISTRICTS.iter().zip(all_districts()) {
        assert!(doc.has_text(d.short_name), "{}", d.short_name);
        assert!(doc.has_text(&format_number(value, 0)), "{value}");
        assert!(tiles.iter().any(|(name, ..)| name == d.name));
    }
}

#[test]
fn the_map_keeps_rough_geography() {
    let doc = chart(
        &DistrictMap {
            options: options("g"),
            unit: String::new(),
        }
        .render(&all_districts())
        .expect("all known"),
    );
    let tiles = tiles(&doc);
    let at = |name: &str| {
        tiles
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, x, y)| (*x, *y))
            .unwrap_or_else(|| panic!("{name} is on the map"))
    };
    let north_to_south = ["六合区", "江北新区", "鼓楼区", "建邺区", "雨花台区"];
    for pair in north_to_south.windows(2) {
        assert!(
            at(pair[0]).1 < at(pair[1]).1,
            "{} north of {}",
            pair[0],
            pair[1]
        );
    }
    assert!(at("江宁区").1 < at("溧水区").1 && at("溧水区").1 < at("高淳区").1);
    assert!(at("浦口区").0 < at("江北新区").0, "浦口 west of 江北新区");
    assert!(at("鼓楼区").0 < at("玄武区").0 && at("玄武区").0 < at("栖霞区").0);
    let southernmost = tiles.iter().map(|(_, _, y)| *y).fold(0.0, f64::max);
    assert_eq!(at("高淳区").1, southernmost);
}

#[test]
fn the_map_shades_by_value_and_shows_missing_districts_as_a_dash() {
    let values = vec![
        ("江宁区".to_owned(), 100.0),
        ("高淳区".to_owned(), 10.0),
        ("鼓楼区".to_owned(), f64::NAN),
    ];
    let doc = chart(
        &DistrictMap {
            options: options("s"),
            unit: String::new(),
        }
        .render(&values)
        .expect("known districts"),
    );
    let fill = |name: &str| {
        marks(&doc, "rect")
            .iter()
            .find(|(i, _)| doc.tooltip(*i).is_some_and(|t| t.starts_with(name)))
            .and_then(|(_, r)| r.attr("fill"))
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let darkness = |hex: &str| {
        (1..7)
            .step_by(2)
            .filter_map(|i| u32::from_str_radix(&hex[i..i + 2], 16).ok())
            .sum::<u32>()
    };
    assert!(
        darkness(&fill("江宁区")) < darkness(&fill("高淳区")),
        "higher is darker"
    );
    assert_eq!(fill("鼓楼区"), "#ffffff");
    // 10 districts without a value, 鼓楼区 among them: each shows the dash.
    assert_eq!(doc.texts().iter().filter(|t| **t == "—").count(), 10);
    assert!(
        doc.texts().iter().any(|t| t.contains("暂无数据")),
        "legend explains the dash"
    );
}

#[test]
fn the_map_rejects_unknown_and_repeated_names_and_accepts_english() {
    let map = DistrictMap::default();
    let error = map
        .render(&[
            ("鼓楼区".into(), 1.0),
            ("Atlantis".into(), 2.0),
            ("gulou".into(), 3.0),
        ])
        .expect_err("Atlantis is not a district");
    assert_eq!(error.unknown, ["Atlantis"]);
    assert_eq!(error.repeated, ["gulou"]);
    assert!(error.to_string().contains("Atlantis"));

    let english = DistrictMap {
        options: ChartOptions {
            lang: Lang::En,
            highlight: Some("鼓楼区".into()),
            ..options("en")
        },
        unit: String::new(),
    }
    .render(&[
        ("Gulou District".into(), 5.0),
        ("Jiangbei New Area".into(), 7.0),
    ])
    .expect("English names are accepted");
    let doc = chart(&english);
    assert!(doc.has_text("Gulou") && doc.has_text("Jiangbei") && doc.has_text("Yangtze"));
    let highlighted = marks(&doc, "rect")
        .into_iter()
        .find(|(_, r)| r.attr("stroke-width") == Some("3"))
        .expect("the highlighted tile");
    assert!(
        doc.tooltip(highlighted.0)
            .is_some_and(|t| t.starts_with("Gulou District"))
    );
}

#[test]
fn the_map_table_lists_every_district_in_map_order() {
    let map = DistrictMap {
        options: ChartOptions {
            decimals: Some(1),
            ..ChartOptions::default()
        },
        unit: String::new(),
    };
    let table = map
        .table(&[("江宁区".into(), 1234.56)], "区", "目标")
        .expect("known");
    assert_eq!(table.headers, ["区", "目标"]);
    assert_eq!(table.rows.len(), 12);
    assert_eq!(table.rows[0], ["六合区", "—"]);
    assert!(
        table
            .rows
            .contains(&vec!["江宁区".to_owned(), "1,234.6".to_owned()])
    );
}

// --- Formatting and tables ------------------------------------------------------------------

#[test]
fn numbers_have_thousands_separators_and_chosen_decimals() {
    assert_eq!(format_number(1_234_567.891, 1), "1,234,567.9");
    assert_eq!(format_number(12_345.0, 0), "12,345");
    assert_eq!(format_number(-9_876.543, 2), "-9,876.54");
    let doc = chart(
        &BarChart {
            options: ChartOptions {
                decimals: Some(1),
                ..ChartOptions::default()
            },
            ..BarChart::default()
        }
        .render(&data(&[1_234_567.891])),
    );
    assert!(doc.has_text("1,234,567.9"));
}

#[test]
fn tables_hold_the_same_data_formatted_like_the_chart() {
    let d = ChartData {
        categories: vec!["鼓楼区".into(), "江宁区".into()],
        series: vec![
            Series::new("2022年", vec![555.0, f64::NAN]),
            Series::new("2025年", vec![740.5, 12_345.0]),
        ],
        unit: "亿元".into(),
    };
    let t = table(&d, "区", None);
    assert_eq!(t.headers, ["区", "2022年", "2025年"]);
    assert_eq!(
        t.rows,
        [["鼓楼区", "555.0", "740.5"], ["江宁区", "—", "12,345.0"]]
    );
    let t = table(&d, "区", Some(0));
    assert_eq!(t.rows[1], ["江宁区", "—", "12,345"]);
    let doc = chart(&BarChart::default().render(&d));
    assert!(
        doc.has_text("740.5") && doc.has_text("12,345.0"),
        "chart and table agree"
    );
}

// --- Layout ---------------------------------------------------------------------------------

/// An estimate of a text's width: a full em for CJK, 0.58 em for anything else (Noto Sans
/// digits are 0.55 em, most Latin letters narrower).
fn estimated_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 1.0 } else { 0.58 })
        .sum::<f64>()
        * size
}

fn assert_text_inside(svg: &str) {
    let doc = chart(svg);
    let view_width = doc
        .root()
        .attr("viewBox")
        .and_then(|v| v.split(' ').nth(2))
        .and_then(|w| w.parse::<f64>().ok())
        .expect("a width");
    for (_, text) in doc.all("text") {
        if text.attr("transform").is_some() {
            continue;
        }
        let width = estimated_width(&text.text, text.num("font-size"));
        let x = text.num("x");
        let (left, right) = match text.attr("text-anchor") {
            Some("middle") => (x - width / 2.0, x + width / 2.0),
            Some("end") => (x - width, x),
            _ => (x, x + width),
        };
        assert!(
            left >= -2.0 && right <= view_width + 2.0,
            "{:?} runs off the canvas ({left:.0}..{right:.0} of {view_width})\n{svg}",
            text.text
        );
    }
}

#[test]
fn text_stays_inside_the_canvas_on_phones_and_desktops() {
    let districts: Vec<String> = NANJING_DISTRICTS
        .iter()
        .map(|d| d.name.to_owned())
        .collect();
    let d = ChartData {
        categories: districts.clone(),
        series: vec![
            Series::new("2022年", (0..12).map(|i| 30.0 + i as f64 * 97.0).collect()),
            Series::new(
                "2025年",
                (0..12).map(|i| 1400.0 - i as f64 * 60.0).collect(),
            ),
        ],
        unit: "亿元".into(),
    };
    for width in [360.0, 640.0, 1200.0] {
        let o = ChartOptions {
            width,
            title: "各区生命健康产业规模目标与实际完成情况对比".into(),
            ..options("w")
        };
        for orientation in [Orientation::Vertical, Orientation::Horizontal] {
            assert_text_inside(
                &BarChart {
                    options: o.clone(),
                    orientation,
                }
                .render(&d),
            );
            assert_text_inside(
                &StackedBarChart {
                    options: o.clone(),
                    orientation,
                }
                .render(&d),
            );
        }
        assert_text_inside(
            &LineChart {
                options: o.clone(),
                target: Some(TargetLine {
                    value: 900.0,
                    label: "目标".into(),
                }),
                ..LineChart::default()
            }
            .render(&d),
        );
        for lang in [Lang::Zh, Lang::En] {
            assert_text_inside(
                &DistrictMap {
                    options: ChartOptions { lang, ..o.clone() },
                    unit: "100 million yuan".into(),
                }
                .render(&all_districts())
                .expect("known"),
            );
        }
    }
}

// --- The first version's entry points -------------------------------------------------------

#[test]
fn the_first_versions_entry_points_still_work() {
    let o = charts::Options {
        id: "old".into(),
        title: "旧接口".into(),
        no_data: "暂无数据".into(),
        horizontal: true,
        highlight: Some("类别0".into()),
        ..charts::Options::default()
    };
    let doc = chart(&charts::bar_chart(&o, &data(&[3.0, 4.0])));
    assert_eq!(marks(&doc, "rect").len(), 2);
    let values = vec![
        ("鼓楼区".to_owned(), 740.0),
        ("Atlantis".to_owned(), 1.0),
        ("鼓楼区".to_owned(), 2.0),
    ];
    let map = chart(&charts::district_map(&o, &values, true));
    assert!(map.has_text("Gulou") && map.has_text("740"));
    assert!(!map.has_text("2"), "the first value for a district wins");
}

#[test]
fn a_hidden_title_still_names_the_chart_but_is_not_drawn() {
    let render = |title_hidden: bool| {
        BarChart {
            options: ChartOptions {
                title_hidden,
                ..options("h")
            },
            orientation: Orientation::Vertical,
        }
        .render(&data(&[1.0, 2.0]))
    };
    let shown = render(false);
    let hidden = render(true);
    for svg in [&shown, &hidden] {
        assert!(svg.contains("<title id=\"h-title\">标题</title>"), "{svg}");
    }
    // The visible title is a text element of its own; only the shown chart has it.
    assert_eq!(shown.matches(">标题<").count(), 2, "{shown}");
    assert_eq!(hidden.matches(">标题<").count(), 1, "{hidden}");
}
