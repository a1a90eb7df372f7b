//! Server-side SVG charts for the lifehealth dashboards, with no dependencies.
//!
//! Every chart renders to a `String` holding one `<svg>` element (not a document) that:
//! - scales with its container (`viewBox`, `width="100%"`); sizes are viewBox units, which
//!   equal CSS pixels when the chart is shown at [`ChartOptions::width`];
//! - is accessible: `role="img"` and `aria-labelledby` naming a `<title>` and a `<desc>` whose
//!   ids start with the caller's [`ChartOptions::id`]; the description is generated from the
//!   data (highest, lowest, first and last) when the caller gives none;
//! - inherits `font-family` from the page, whose CSS sets the CJK font stack;
//! - never relies on colour alone: values are printed on bars and tiles, line series have
//!   marker shapes and dash patterns, legends follow the order of the marks;
//! - escapes every text it is given.
//!
//! The page shows the same data as a table beside each chart: see [`table`].
//!
//! Data rules, the same for every chart:
//! - A value that is NaN or infinite is *missing*: it is skipped (no bar, a gap in the line,
//!   an empty tile) and shows as `—` in labels and tables. So is a value a series lacks for a
//!   category; values beyond the last category are ignored.
//! - When no category has a finite non-zero value, the chart says so with the caller's
//!   [`ChartOptions::no_data`] text (e.g. `暂无数据` / `No data`) instead of drawing axes.
//! - Negative values go below (or left of) the zero line.
//!
//! ```
//! use charts::{BarChart, ChartData, ChartOptions, Orientation, Series};
//!
//! let data = ChartData {
//!     categories: vec!["鼓楼区".into(), "江宁区".into()],
//!     series: vec![Series::new("2025年", vec![740.0, 750.0])],
//!     unit: "亿元".into(),
//! };
//! let chart = BarChart {
//!     options: ChartOptions {
//!         id: "targets".into(),
//!         title: "各区产业规模目标".into(),
//!         no_data: "暂无数据".into(),
//!         ..ChartOptions::default()
//!     },
//!     orientation: Orientation::Horizontal,
//! };
//! let svg = chart.render(&data);
//! assert!(svg.starts_with("<svg") && svg.contains("aria-labelledby=\"targets-title targets-desc\""));
//! let table = charts::table(&data, "区", None);
//! assert_eq!(table.rows[0], ["鼓楼区", "740"]);
//! ```

mod axis;
mod bar;
mod describe;
mod format;
mod legend;
mod line;
mod map;
mod palette;
mod stacked;
mod svg;
mod table;

pub use axis::{Ticks, nice_ticks};
pub use bar::BarChart;
pub use format::{MISSING, format_number};
pub use line::{LineChart, TargetLine};
pub use map::{District, DistrictMap, MapError, NANJING_DISTRICTS};
pub use stacked::StackedBarChart;
pub use svg::escape;
pub use table::{Table, table, table_with_totals};

/// One named series of values, one value per category (NaN for a missing value).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Shown in the legend, tooltips, the description and the table header.
    pub name: String,
    pub values: Vec<f64>,
}

impl Series {
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            values,
        }
    }
}

/// Categories (bars, districts, periods), the series over them, and the unit of the values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartData {
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// The unit of every value, already localised (`亿元`, `%`, `people`); may be empty.
    pub unit: String,
}

impl ChartData {
    /// The value of `series` at `category`, if present and finite.
    pub(crate) fn value(&self, series: usize, category: usize) -> Option<f64> {
        if category >= self.categories.len() {
            return None;
        }
        self.series
            .get(series)?
            .values
            .get(category)
            .copied()
            .filter(|v| v.is_finite())
    }

    /// Every finite value that belongs to a category.
    pub(crate) fn finite_values(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.series.len())
            .flat_map(move |s| (0..self.categories.len()).filter_map(move |c| self.value(s, c)))
    }

    /// Whether there is anything to draw: some category has a finite, non-zero value.
    pub fn has_data(&self) -> bool {
        self.finite_values().any(|v| v != 0.0)
    }

    /// The smallest and largest finite values, `(0, 0)` when there are none.
    pub(crate) fn range(&self) -> (f64, f64) {
        self.finite_values()
            .fold(None, |range: Option<(f64, f64)>, v| match range {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })
            .unwrap_or((0.0, 0.0))
    }
}

/// The language of the few words a chart generates itself (the description when the caller
/// gives none, "total", the river's name). All other text comes localised from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// Which way bars grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// Bars grow upwards from a horizontal category axis.
    #[default]
    Vertical,
    /// Bars grow to the right, categories listed down the left: the choice for long names
    /// such as districts, and for phones.
    Horizontal,
}

/// What every chart needs besides its data. Texts come localised from the caller.
///
/// Construct with `..ChartOptions::default()` so new options do not break callers.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartOptions {
    /// Prefix for element ids (`{id}-title`, `{id}-desc`, `{id}-scale`); must be unique in
    /// the page. Characters other than ASCII letters, digits, `-` and `_` become `-`.
    pub id: String,
    /// Shown above the chart and used as its accessible name.
    pub title: String,
    /// The title names the chart for screen readers only: for a page whose own heading
    /// already says it right above the chart.
    pub title_hidden: bool,
    /// The `<desc>` for screen readers; generated from the data when empty.
    pub description: String,
    /// Shown instead of the chart when there is no data (e.g. `暂无数据` / `No data`).
    pub no_data: String,
    /// Language of generated words.
    pub lang: Lang,
    /// Decimals of printed values; `None` uses the fewest (up to two) that show the data.
    pub decimals: Option<usize>,
    /// Width of the viewBox, clamped to 280..=1600. Text sizes are fixed in viewBox units, so
    /// a chart drawn at 640 and shown on a 360 px phone has its text at 56 %: pages that want
    /// full-size text on phones render a second copy at 360 and pick one with CSS.
    pub width: f64,
    /// A category (or district) to emphasise, e.g. the viewer's own district.
    pub highlight: Option<String>,
}

impl Default for ChartOptions {
    fn default() -> Self {
        Self {
            id: String::new(),
            title: String::new(),
            title_hidden: false,
            description: String::new(),
            no_data: String::new(),
            lang: Lang::Zh,
            decimals: None,
            width: 640.0,
            highlight: None,
        }
    }
}

impl ChartOptions {
    /// The viewBox width actually used.
    pub(crate) fn view_width(&self) -> f64 {
        if self.width.is_finite() {
            self.width.clamp(280.0, 1600.0)
        } else {
            640.0
        }
    }

    /// The decimals for printed values of `data`.
    pub(crate) fn decimals_for(&self, values: impl IntoIterator<Item = f64>) -> usize {
        self.decimals
            .unwrap_or_else(|| format::auto_decimals(values))
    }

    pub(crate) fn is_highlighted(&self, category: &str) -> bool {
        self.highlight.as_deref() == Some(category)
    }
}

/// The options of the first version of this crate, kept so existing callers compile.
/// New code uses [`ChartOptions`] with [`BarChart`] or [`DistrictMap`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub id: String,
    pub title: String,
    pub description: String,
    pub no_data: String,
    pub horizontal: bool,
    pub highlight: Option<String>,
}

impl Options {
    fn to_chart_options(&self, lang: Lang) -> ChartOptions {
        ChartOptions {
            id: self.id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            no_data: self.no_data.clone(),
            lang,
            highlight: self.highlight.clone(),
            ..ChartOptions::default()
        }
    }
}

/// First-version entry point: same as [`BarChart::render`]. Kept so existing callers compile.
pub fn bar_chart(options: &Options, data: &ChartData) -> String {
    BarChart {
        options: options.to_chart_options(Lang::Zh),
        orientation: if options.horizontal {
            Orientation::Horizontal
        } else {
            Orientation::Vertical
        },
    }
    .render(data)
}

/// First-version entry point: [`DistrictMap::render`] with names the map does not know left
/// out (first value wins for a repeated name). Kept so existing callers compile.
pub fn district_map(options: &Options, values: &[(String, f64)], english: bool) -> String {
    let lang = if english { Lang::En } else { Lang::Zh };
    let map = DistrictMap {
        options: options.to_chart_options(lang),
        unit: String::new(),
    };
    let mut known: Vec<(String, f64)> = Vec::new();
    for (name, value) in values {
        let index = map::district_index(name);
        if index.is_some() && !known.iter().any(|(k, _)| map::district_index(k) == index) {
            known.push((name.clone(), *value));
        }
    }
    match map.render(&known) {
        Ok(svg) => svg,
        // Cannot happen after the filtering above; a no-data chart beats a panic.
        Err(_) => svg::no_data(&map.options),
    }
}
