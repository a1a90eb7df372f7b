//! Writes sample charts to `/tmp/charts-demo/*.html` (each chart in a page with the CJK font
//! stack the site uses) and, when `/usr/bin/chromium` exists, screenshots each page to a PNG
//! beside it, so a person can look at what the charts show.
//!
//! `cargo run -p charts --example demo [OUT_DIR]`

use std::path::{Path, PathBuf};
use std::process::Command;

use charts::{
    BarChart, ChartData, ChartOptions, DistrictMap, Lang, LineChart, Orientation, Series,
    StackedBarChart, TargetLine,
};

const FONT_STACK: &str = "\"Noto Sans CJK SC\", \"Source Han Sans SC\", \"PingFang SC\", \
                          \"Microsoft YaHei\", system-ui, sans-serif";

/// One sample: a file name, the width of the page column it is shown in, and the chart.
struct Sample {
    name: &'static str,
    column: u32,
    svg: String,
}

fn options(id: &str, title: &str, lang: Lang, width: f64) -> ChartOptions {
    ChartOptions {
        id: id.into(),
        title: title.into(),
        no_data: match lang {
            Lang::Zh => "暂无数据".into(),
            Lang::En => "No data".into(),
        },
        lang,
        width,
        ..ChartOptions::default()
    }
}

fn districts(english: bool) -> Vec<String> {
    charts::NANJING_DISTRICTS
        .iter()
        .map(|d| {
            if english {
                d.english_name.to_owned()
            } else {
                d.name.to_owned()
            }
        })
        .collect()
}

fn targets(english: bool) -> ChartData {
    // 2022 and 2025 industry targets per unit, in 亿元 (the demo city's seed figures).
    let by_name = [
        ("六合区", 30.0, 40.0),
        ("浦口区", 30.0, 40.0),
        ("江北新区", 710.0, 1400.0),
        ("鼓楼区", 555.0, 740.0),
        ("玄武区", 360.0, 480.0),
        ("栖霞区", 340.0, 700.0),
        ("建邺区", 85.0, 110.0),
        ("秦淮区", 320.0, 420.0),
        ("雨花台区", 195.0, 250.0),
        ("江宁区", 360.0, 750.0),
        ("溧水区", 135.0, 300.0),
        ("高淳区", 80.0, 170.0),
    ];
    ChartData {
        categories: districts(english),
        series: vec![
            Series::new(
                if english { "2022" } else { "2022年" },
                by_name.iter().map(|r| r.1).collect(),
            ),
            Series::new(
                if english { "2025" } else { "2025年" },
                by_name.iter().map(|r| r.2).collect(),
            ),
        ],
        unit: if english {
            "100 million yuan".into()
        } else {
            "亿元".into()
        },
    }
}

fn samples() -> Vec<Sample> {
    let mut out = Vec::new();

    let mut o = options("targets", "各区生命健康产业规模目标", Lang::Zh, 640.0);
    o.highlight = Some("鼓楼区".into());
    out.push(Sample {
        name: "bar-horizontal-grouped",
        column: 736,
        svg: BarChart {
            options: o,
            orientation: Orientation::Horizontal,
        }
        .render(&targets(false)),
    });

    let single = ChartData {
        categories: vec![
            "医院".into(),
            "社区卫生服务中心".into(),
            "企业".into(),
            "高校与科研院所".into(),
            "投资机构".into(),
            "<script>alert(1)</script>".into(),
        ],
        series: vec![Series::new(
            "机构数",
            vec![42.0, 118.0, 1264.0, 37.0, 56.0, 3.0],
        )],
        unit: "家".into(),
    };
    out.push(Sample {
        name: "bar-vertical-single",
        column: 736,
        svg: BarChart {
            options: options("orgs", "平台机构按类型", Lang::Zh, 640.0),
            orientation: Orientation::Vertical,
        }
        .render(&single),
    });

    let change = ChartData {
        categories: vec!["Q1".into(), "Q2".into(), "Q3".into(), "Q4".into()],
        series: vec![
            Series::new("Outpatient visits", vec![12.5, -4.2, 8.0, f64::NAN]),
            Series::new("Online consultations", vec![35.1, 22.4, -6.3, 18.9]),
        ],
        unit: "% change on a year earlier".into(),
    };
    out.push(Sample {
        name: "bar-vertical-negative-en",
        column: 736,
        svg: BarChart {
            options: ChartOptions {
                decimals: Some(1),
                ..options(
                    "change",
                    "Change in activity by quarter, 2025",
                    Lang::En,
                    640.0,
                )
            },
            orientation: Orientation::Vertical,
        }
        .render(&change),
    });

    out.push(Sample {
        name: "bar-vertical-grouped-12",
        column: 736,
        svg: BarChart {
            options: options("targets-v", "各区产业规模目标（竖向）", Lang::Zh, 640.0),
            orientation: Orientation::Vertical,
        }
        .render(&targets(false)),
    });

    let years: Vec<String> = (2018..=2025).map(|y| format!("{y}年")).collect();
    let trend = ChartData {
        categories: years,
        series: vec![
            Series::new(
                "高血压规范管理率",
                vec![58.2, 61.0, 63.5, f64::NAN, 66.1, 68.4, 70.2, 72.8],
            ),
            Series::new(
                "糖尿病规范管理率",
                vec![55.0, 57.3, 60.1, 61.2, 62.0, 65.5, 66.0, 69.1],
            ),
            Series::new(
                "慢阻肺筛查率",
                vec![20.4, 25.1, 31.8, 36.0, 41.2, 47.9, 52.3, 58.0],
            ),
        ],
        unit: "%".into(),
    };
    out.push(Sample {
        name: "line-target",
        column: 736,
        svg: LineChart {
            options: ChartOptions {
                decimals: Some(1),
                ..options("trend", "慢病规范管理率（2018—2025年）", Lang::Zh, 640.0)
            },
            target: Some(TargetLine {
                value: 70.0,
                label: "控制目标".into(),
            }),
            start_at_zero: true,
        }
        .render(&trend),
    });

    let months: Vec<String> = (0..24)
        .map(|m| format!("{}-{:02}", 2024 + m / 12, m % 12 + 1))
        .collect();
    let monthly = ChartData {
        categories: months,
        series: vec![
            Series::new(
                "Online consultations",
                (0..24)
                    .map(|m| 8_000.0 + 450.0 * f64::from(m) + 900.0 * f64::from(m % 3))
                    .collect(),
            ),
            Series::new(
                "Prescriptions delivered",
                (0..24).map(|m| 3_000.0 + 380.0 * f64::from(m)).collect(),
            ),
        ],
        unit: "per month".into(),
    };
    out.push(Sample {
        name: "line-monthly-en",
        column: 736,
        svg: LineChart {
            options: options(
                "monthly",
                "Internet hospital activity, 2024–2025",
                Lang::En,
                640.0,
            ),
            target: None,
            start_at_zero: true,
        }
        .render(&monthly),
    });

    let funnel = ChartData {
        categories: vec![
            "鼓楼区".into(),
            "玄武区".into(),
            "江宁区".into(),
            "江北新区".into(),
            "高淳区".into(),
        ],
        series: vec![
            Series::new("已完成随访", vec![1820.0, 1410.0, 2650.0, 1980.0, 640.0]),
            Series::new("已预约", vec![420.0, 390.0, 910.0, 505.0, 230.0]),
            Series::new("待联系", vec![160.0, 95.0, 480.0, 210.0, 150.0]),
        ],
        unit: "人".into(),
    };
    out.push(Sample {
        name: "stacked-horizontal",
        column: 736,
        svg: StackedBarChart {
            options: options("followup", "高危人群随访进度（按区）", Lang::Zh, 640.0),
            orientation: Orientation::Horizontal,
        }
        .render(&funnel),
    });
    out.push(Sample {
        name: "stacked-vertical",
        column: 736,
        svg: StackedBarChart {
            options: options("followup-v", "高危人群随访进度（按区）", Lang::Zh, 640.0),
            orientation: Orientation::Vertical,
        }
        .render(&funnel),
    });

    let map_values: Vec<(String, f64)> = targets(false)
        .categories
        .iter()
        .cloned()
        .zip(targets(false).series[1].values.iter().copied())
        .filter(|(name, _)| name != "溧水区")
        .collect();
    let mut o = options("map", "2025年各区产业规模目标", Lang::Zh, 640.0);
    o.highlight = Some("鼓楼区".into());
    out.push(Sample {
        name: "map-zh",
        column: 736,
        svg: DistrictMap {
            options: o,
            unit: "亿元".into(),
        }
        .render(&map_values)
        .unwrap_or_else(|e| panic!("demo data is valid: {e}")),
    });
    out.push(Sample {
        name: "map-en",
        column: 736,
        svg: DistrictMap {
            options: options(
                "map-en",
                "Industry targets for 2025 by district",
                Lang::En,
                640.0,
            ),
            unit: "100 million yuan".into(),
        }
        .render(&map_values)
        .unwrap_or_else(|e| panic!("demo data is valid: {e}")),
    });

    // Phone variants: drawn at 360 so text keeps its size on a 360 px screen.
    out.push(Sample {
        name: "phone-bar",
        column: 360,
        svg: BarChart {
            options: options("p-targets", "各区生命健康产业规模目标", Lang::Zh, 360.0),
            orientation: Orientation::Horizontal,
        }
        .render(&targets(false)),
    });
    out.push(Sample {
        name: "phone-line",
        column: 360,
        svg: LineChart {
            options: ChartOptions {
                decimals: Some(1),
                ..options("p-trend", "慢病规范管理率", Lang::Zh, 360.0)
            },
            target: Some(TargetLine {
                value: 70.0,
                label: "控制目标".into(),
            }),
            start_at_zero: true,
        }
        .render(&trend),
    });
    out.push(Sample {
        name: "phone-map",
        column: 360,
        svg: DistrictMap {
            options: options("p-map", "2025年各区产业规模目标", Lang::Zh, 360.0),
            unit: "亿元".into(),
        }
        .render(&map_values)
        .unwrap_or_else(|e| panic!("demo data is valid: {e}")),
    });
    out.push(Sample {
        name: "phone-map-en",
        column: 360,
        svg: DistrictMap {
            options: options("p-map-en", "Industry targets, 2025", Lang::En, 360.0),
            unit: "100 million yuan".into(),
        }
        .render(&map_values)
        .unwrap_or_else(|e| panic!("demo data is valid: {e}")),
    });
    out.push(Sample {
        name: "phone-stacked",
        column: 360,
        svg: StackedBarChart {
            options: options("p-followup", "高危人群随访进度", Lang::Zh, 360.0),
            orientation: Orientation::Horizontal,
        }
        .render(&funnel),
    });

    out.push(Sample {
        name: "no-data",
        column: 736,
        svg: BarChart {
            options: options("empty", "各区筛查人数", Lang::Zh, 640.0),
            orientation: Orientation::Vertical,
        }
        .render(&ChartData {
            categories: districts(false),
            series: vec![Series::new("人数", vec![0.0; 12])],
            unit: "人".into(),
        }),
    });
    out
}

fn page(title: &str, column: u32, svg: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body {{ margin: 0; padding: 16px; font-family: {FONT_STACK}; color: #0b0c0c; background: #fff; }}\
         .chart {{ max-width: {column}px; margin: 0; }}\
         .chart svg {{ display: block; height: auto; }}\
         </style></head><body><figure class=\"chart\">{svg}</figure></body></html>\n"
    )
}

/// The viewBox height over width, to size the screenshot to the chart.
fn aspect(svg: &str) -> f64 {
    let view_box = svg
        .split("viewBox=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("0 0 1 1");
    let numbers: Vec<f64> = view_box.split(' ').filter_map(|n| n.parse().ok()).collect();
    match numbers.as_slice() {
        [_, _, w, h] if *w > 0.0 => h / w,
        _ => 1.0,
    }
}

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("/tmp/charts-demo"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let chromium = Path::new("/usr/bin/chromium");
    let mut index = String::from("<!doctype html><meta charset=\"utf-8\"><title>charts</title>");
    for sample in samples() {
        let html_path = dir.join(format!("{}.html", sample.name));
        std::fs::write(&html_path, page(sample.name, sample.column, &sample.svg))?;
        index.push_str(&format!("<p><a href=\"{0}.html\">{0}</a></p>", sample.name));
        if chromium.exists() {
            let width = sample.column + 32;
            let height = (f64::from(sample.column) * aspect(&sample.svg)).ceil() as u32 + 48;
            let png = dir.join(format!("{}.png", sample.name));
            let status = Command::new(chromium)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    &format!("--screenshot={}", png.display()),
                    &format!("--window-size={width},{height}"),
                    &format!("file://{}", html_path.display()),
                ])
                .output()?;
            if !status.status.success() {
                eprintln!("chromium failed for {}", sample.name);
            }
        }
        println!("{}", html_path.display());
    }
    std::fs::write(dir.join("index.html"), index)?;
    if !chromium.exists() {
        eprintln!("/usr/bin/chromium not found: wrote HTML only");
    }
    Ok(())
}
