//! Bar charts, vertical or horizontal, grouped when there are several series. The layout code
//! here also draws stacked bars (see `stacked.rs`): both are bands of rectangles along a
//! category axis with a label at the end of each bar or stack.

use crate::axis::{self, Plot, Scale, Ticks, nice_ticks};
use crate::format::{MISSING, format_number, with_unit};
use crate::legend::{self, Swatch};
use crate::palette::{self, Rgb, series_colour, text_on};
use crate::svg::{self, Anchor, Svg, TextStyle, num, text_width, wrap};
use crate::{ChartData, ChartOptions, Orientation, describe};

/// Font size of value labels on bars.
const VALUE_SIZE: f64 = 12.0;
/// Font size of category labels.
const CATEGORY_SIZE: f64 = 13.0;
const CATEGORY_LINE: f64 = 16.0;

/// A bar chart: one bar per category and series, grouped side by side when there are several
/// series, each bar labelled with its value, on an axis that starts at zero.
///
/// Use [`Orientation::Horizontal`] for long category names such as districts: names then sit
/// on one line to the left of their bars instead of being squeezed under them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarChart {
    pub options: ChartOptions,
    pub orientation: Orientation,
}

impl BarChart {
    /// The chart as an `<svg>` element. Missing values (NaN, infinite, absent) draw no bar
    /// and are labelled `—`; without any finite non-zero value the chart shows the no-data
    /// message.
    pub fn render(&self, data: &ChartData) -> String {
        let o = &self.options;
        if !data.has_data() {
            return svg::no_data(o);
        }
        let decimals = o.decimals_for(data.finite_values());
        let bands = (0..data.categories.len())
            .map(|c| {
                let mut band = Band::default();
                for s in 0..data.series.len() {
                    match data.value(s, c) {
                        Some(value) => {
                            let text = format_number(value, decimals);
                            band.segments.push(Segment {
                                slot: s,
                                series: s,
                                from: 0.0,
                                to: value,
                                tooltip: tooltip(data, c, s, &text),
                                inner_label: None,
                            });
                            band.labels.push(EndLabel {
                                slot: s,
                                at: value,
                                text,
                                strong: false,
                                missing: false,
                            });
                        }
                        None => band.labels.push(EndLabel {
                            slot: s,
                            at: 0.0,
                            text: MISSING.to_owned(),
                            strong: false,
                            missing: true,
                        }),
                    }
                }
                band
            })
            .collect();
        render_bands(
            o,
            data,
            &Bands {
                slots: data.series.len().max(1),
                bands,
                summary: describe::bars(data, decimals, o.lang),
                orientation: self.orientation,
            },
        )
    }
}

/// `鼓楼区 · 2025年: 740亿元`, the tooltip of one mark.
pub(crate) fn tooltip(data: &ChartData, category: usize, series: usize, value: &str) -> String {
    let category = data.categories.get(category).map_or("", String::as_str);
    let amount = with_unit(value, &data.unit);
    match data.series.get(series).map(|s| s.name.trim()) {
        Some(name) if !name.is_empty() => format!("{category} · {name}: {amount}"),
        _ => format!("{category}: {amount}"),
    }
}

/// One rectangle: a whole bar, or one part of a stack.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    /// Position within the band (0 for stacks, the series index for grouped bars).
    pub slot: usize,
    /// Which series it shows, for its colour.
    pub series: usize,
    pub from: f64,
    pub to: f64,
    pub tooltip: String,
    /// Printed inside the rectangle when it fits (parts of a stack).
    pub inner_label: Option<String>,
}

/// The label beyond the end of a bar or stack: its value, or the stack's total.
#[derive(Debug, Clone)]
pub(crate) struct EndLabel {
    pub slot: usize,
    /// Where the bar ends; the label goes beyond it, away from zero.
    pub at: f64,
    pub text: String,
    pub strong: bool,
    /// The value is missing: the label (`—`) is muted and there is no bar.
    pub missing: bool,
}

/// Everything drawn for one category.
#[derive(Debug, Clone, Default)]
pub(crate) struct Band {
    pub segments: Vec<Segment>,
    pub labels: Vec<EndLabel>,
}

/// A chart made of bands, ready to lay out.
#[derive(Debug, Clone)]
pub(crate) struct Bands {
    pub slots: usize,
    pub bands: Vec<Band>,
    pub summary: String,
    pub orientation: Orientation,
}

impl Bands {
    /// The value range to cover: every bar end and zero.
    fn range(&self) -> (f64, f64) {
        let mut range = (0.0f64, 0.0f64);
        for band in &self.bands {
            for segment in &band.segments {
                range.0 = range.0.min(segment.from).min(segment.to);
                range.1 = range.1.max(segment.from).max(segment.to);
            }
            for label in band.labels.iter().filter(|l| !l.missing) {
                range.0 = range.0.min(label.at);
                range.1 = range.1.max(label.at);
            }
        }
        range
    }

    fn widest_label(&self) -> f64 {
        self.bands
            .iter()
            .flat_map(|b| &b.labels)
            .map(|l| label_width(&l.text, l.strong))
            .fold(0.0, f64::max)
    }
}

fn label_width(text: &str, bold: bool) -> f64 {
    text_width(text, VALUE_SIZE) * if bold { 1.06 } else { 1.0 }
}

fn value_style(label: &EndLabel) -> TextStyle {
    let style = TextStyle::new(
        VALUE_SIZE,
        if label.missing {
            palette::MUTED
        } else {
            palette::INK
        },
    );
    if label.strong { style.bold() } else { style }
}

/// How value labels sit on vertical bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LabelMode {
    /// Upright above the bar: the label fits the bar's width.
    Upright,
    /// Turned to run up the bar's axis: too wide upright, but the bar is a line high.
    Rotated,
    /// Bars thinner than a line of text: the axis and the table carry the values.
    Hidden,
}

/// Lays out and draws a chart of bands.
pub(crate) fn render_bands(o: &ChartOptions, data: &ChartData, bands: &Bands) -> String {
    let width = o.view_width();
    let mut svg = Svg::new();
    let mut y = svg::title_block(&mut svg, o, width);
    let names: Vec<&str> = data.series.iter().map(|s| s.name.as_str()).collect();
    y = legend::draw(&mut svg, &names, Swatch::Box, y, width);
    if !svg::is_blank(&data.unit) {
        svg.text(
            0.0,
            y + 12.0,
            &data.unit,
            TextStyle::new(axis::TICK_SIZE, palette::MUTED),
        );
        y += 20.0;
    }
    let (lo, hi) = bands.range();
    let ticks = nice_ticks(lo, hi);
    let height = match bands.orientation {
        Orientation::Vertical => vertical(&mut svg, o, data, bands, &ticks, y, width),
        Orientation::Horizontal => horizontal(&mut svg, o, data, bands, &ticks, y, width),
    };
    svg::document(o, width, height, &bands.summary, "", svg)
}

/// Draws a rectangle of a segment, outlined when its category is highlighted.
fn draw_segment(svg: &mut Svg, segment: &Segment, rect: (f64, f64, f64, f64), strong: bool) {
    let (x, y, w, h) = rect;
    let colour = series_colour(segment.series);
    let mut attrs = vec![
        ("x", num(x)),
        ("y", num(y)),
        ("width", num(w.max(0.0))),
        ("height", num(h.max(0.0))),
        ("fill", colour.to_owned()),
    ];
    if strong {
        attrs.push(("stroke", palette::INK.to_owned()));
        attrs.push(("stroke-width", "2".to_owned()));
    } else if segment.inner_label.is_some() {
        // A hairline of white between the parts of a stack, so neighbouring parts are
        // told apart by an edge and not only by their colours.
        attrs.push(("stroke", "#ffffff".to_owned()));
        attrs.push(("stroke-width", "1".to_owned()));
    }
    let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    svg.mark("rect", &attrs, &segment.tooltip);
    if let Some(text) = &segment.inner_label {
        let fits = text_width(text, VALUE_SIZE) + 8.0 <= w && VALUE_SIZE + 4.0 <= h;
        if fits {
            svg.text(
                x + w / 2.0,
                y + h / 2.0 + VALUE_SIZE * 0.35,
                text,
                TextStyle::new(VALUE_SIZE, text_on(Rgb::from_hex(colour))).anchor(Anchor::Middle),
            );
        }
    }
}

/// A pale band behind the highlighted category, so it stands out without relying on colour
/// (its label is bold as well).
fn highlight_band(svg: &mut Svg, x: f64, y: f64, w: f64, h: f64) {
    svg.empty(
        "rect",
        &[
            ("x", &num(x)),
            ("y", &num(y)),
            ("width", &num(w)),
            ("height", &num(h)),
            ("fill", palette::NO_DATA_FILL),
        ],
    );
}

/// Bars growing upwards; returns the chart's height.
fn vertical(
    svg: &mut Svg,
    o: &ChartOptions,
    data: &ChartData,
    bands: &Bands,
    ticks: &Ticks,
    top: f64,
    width: f64,
) -> f64 {
    let count = data.categories.len().max(1) as f64;
    let slots = bands.slots as f64;
    let plot_x = axis::tick_label_width(ticks) + 10.0;
    let plot_w = width - plot_x - 2.0;
    let band = plot_w / count;
    let bar_w = (band * if bands.slots == 1 { 0.62 } else { 0.82 } / slots).min(64.0);
    let bar_gap = if bands.slots > 1 {
        (bar_w * 0.1).min(3.0)
    } else {
        0.0
    };
    let widest = bands.widest_label();
    let room = if bands.slots == 1 { band - 6.0 } else { bar_w };
    let mode = if widest <= room {
        LabelMode::Upright
    } else if VALUE_SIZE * 1.1 <= bar_w {
        LabelMode::Rotated
    } else {
        LabelMode::Hidden
    };
    let head = match mode {
        LabelMode::Upright => 18.0,
        LabelMode::Rotated => widest + 10.0,
        LabelMode::Hidden => 6.0,
    };
    let foot = if ticks.min() < 0.0 { head } else { 0.0 };
    let plot = Plot {
        x: plot_x,
        y: top + head,
        w: plot_w,
        h: (width * 0.42).clamp(170.0, 340.0),
    };
    let scale = Scale::new((ticks.min(), ticks.max()), (plot.bottom(), plot.y));

    let label_lines: Vec<Vec<String>> = data
        .categories
        .iter()
        .map(|c| wrap(c, band - 6.0, CATEGORY_SIZE, 3))
        .collect();
    let max_lines = label_lines.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64;
    let label_top = plot.bottom() + foot + 18.0;

    for (c, category) in data.categories.iter().enumerate() {
        if o.is_highlighted(category) {
            let x = plot.x + c as f64 * band;
            let h = label_top + (max_lines - 1.0) * CATEGORY_LINE + 6.0 - plot.y + head;
            highlight_band(svg, x, plot.y - head, band, h);
        }
    }
    axis::draw_vertical_value_axis(svg, ticks, &scale, &plot);

    let group_w = bar_w * slots;
    let slot_x = |c: usize, slot: usize| {
        plot.x + c as f64 * band + (band - group_w) / 2.0 + slot as f64 * bar_w
    };
    for (c, band_marks) in bands.bands.iter().enumerate() {
        let strong = data.categories.get(c).is_some_and(|n| o.is_highlighted(n));
        for segment in &band_marks.segments {
            let y0 = scale.map(segment.from.max(segment.to));
            let y1 = scale.map(segment.from.min(segment.to));
            let rect = (slot_x(c, segment.slot), y0, bar_w - bar_gap, y1 - y0);
            draw_segment(svg, segment, rect, strong);
        }
    }
    let zero = scale.map(0.0);
    svg.line(plot.x, zero, plot.right(), zero, palette::INK, 1.5);

    if mode != LabelMode::Hidden {
        for (c, band_marks) in bands.bands.iter().enumerate() {
            for label in &band_marks.labels {
                let centre = slot_x(c, label.slot) + (bar_w - bar_gap) / 2.0;
                let end = scale.map(label.at);
                let below = label.at < 0.0;
                let style = value_style(label);
                match mode {
                    LabelMode::Upright => {
                        let y = if below { end + 15.0 } else { end - 5.0 };
                        svg.text(centre, y, &label.text, style.anchor(Anchor::Middle));
                    }
                    _ => {
                        // Rotated a quarter turn, the text runs up from the bar's end (down
                        // for negative bars); the baseline sits right of the bar's centre so
                        // the glyphs straddle it.
                        let x = centre + VALUE_SIZE * 0.35;
                        let (y, anchor) = if below {
                            (end + 5.0, Anchor::End)
                        } else {
                            (end - 5.0, Anchor::Start)
                        };
                        svg.text(x, y, &label.text, style.anchor(anchor).rotated());
                    }
                }
            }
        }
    }

    for (c, lines) in label_lines.iter().enumerate() {
        let strong = data.categories.get(c).is_some_and(|n| o.is_highlighted(n));
        let style = TextStyle::new(CATEGORY_SIZE, palette::INK).anchor(Anchor::Middle);
        let style = if strong { style.bold() } else { style };
        let centre = plot.x + (c as f64 + 0.5) * band;
        svg.lines(centre, label_top, lines, CATEGORY_LINE, style);
    }
    label_top + (max_lines - 1.0) * CATEGORY_LINE + 8.0
}

/// Bars growing to the right, categories down the left; returns the chart's height.
fn horizontal(
    svg: &mut Svg,
    o: &ChartOptions,
    data: &ChartData,
    bands: &Bands,
    ticks: &Ticks,
    top: f64,
    width: f64,
) -> f64 {
    let slots = bands.slots as f64;
    let label_lines: Vec<Vec<String>> = data
        .categories
        .iter()
        .map(|c| wrap(c, (width * 0.34).max(56.0), CATEGORY_SIZE, 2))
        .collect();
    let label_col = data
        .categories
        .iter()
        .zip(&label_lines)
        .flat_map(|(c, lines)| {
            let factor = if o.is_highlighted(c) { 1.06 } else { 1.0 };
            lines
                .iter()
                .map(move |l| text_width(l, CATEGORY_SIZE) * factor)
        })
        .fold(0.0, f64::max);
    let value_room = bands.widest_label() + 8.0;
    let negative_room = if ticks.min() < 0.0 { value_room } else { 0.0 };
    let last_tick = format_number(ticks.max(), ticks.decimals);
    let right = value_room.max(text_width(&last_tick, axis::TICK_SIZE) / 2.0) + 2.0;
    let plot_x = label_col + 12.0 + negative_room;
    let bar_h = if bands.slots == 1 { 22.0 } else { 16.0 };
    let bar_gap = if bands.slots > 1 { 2.0 } else { 0.0 };
    let max_lines = label_lines.iter().map(Vec::len).max().unwrap_or(1) as f64;
    let band = (slots * bar_h + 14.0).max(max_lines * CATEGORY_LINE + 10.0);
    let plot = Plot {
        x: plot_x,
        y: top + 4.0,
        w: (width - plot_x - right).max(40.0),
        h: band * data.categories.len().max(1) as f64,
    };
    let scale = Scale::new((ticks.min(), ticks.max()), (plot.x, plot.right()));

    for (c, category) in data.categories.iter().enumerate() {
        if o.is_highlighted(category) {
            highlight_band(svg, 0.0, plot.y + c as f64 * band, width, band);
        }
    }
    axis::draw_horizontal_value_axis(svg, ticks, &scale, &plot);

    let group_h = bar_h * slots;
    let slot_y = |c: usize, slot: usize| {
        plot.y + c as f64 * band + (band - group_h) / 2.0 + slot as f64 * bar_h
    };
    for (c, band_marks) in bands.bands.iter().enumerate() {
        let strong = data.categories.get(c).is_some_and(|n| o.is_highlighted(n));
        for segment in &band_marks.segments {
            let x0 = scale.map(segment.from.min(segment.to));
            let x1 = scale.map(segment.from.max(segment.to));
            let rect = (x0, slot_y(c, segment.slot), x1 - x0, bar_h - bar_gap);
            draw_segment(svg, segment, rect, strong);
        }
    }
    let zero = scale.map(0.0);
    svg.line(zero, plot.y, zero, plot.bottom(), palette::INK, 1.5);

    for (c, band_marks) in bands.bands.iter().enumerate() {
        for label in &band_marks.labels {
            let y = slot_y(c, label.slot) + (bar_h - bar_gap) / 2.0 + VALUE_SIZE * 0.35;
            let end = scale.map(label.at);
            let style = value_style(label);
            if label.at < 0.0 {
                svg.text(end - 5.0, y, &label.text, style.anchor(Anchor::End));
            } else {
                svg.text(end + 5.0, y, &label.text, style);
            }
        }
    }

    for (c, lines) in label_lines.iter().enumerate() {
        let strong = data.categories.get(c).is_some_and(|n| o.is_highlighted(n));
        let style = TextStyle::new(CATEGORY_SIZE, palette::INK).anchor(Anchor::End);
        let style = if strong { style.bold() } else { style };
        let centre = plot.y + (c as f64 + 0.5) * band;
        let first =
            centre - (lines.len() as f64 - 1.0) * CATEGORY_LINE / 2.0 + CATEGORY_SIZE * 0.35;
        svg.lines(label_col, first, lines, CATEGORY_LINE, style);
    }
    plot.bottom() + 28.0
}
