//! Line charts: trends over periods, each series with its own marker shape and dash pattern,
//! its latest value printed at the end of the line, and an optional target line.

use crate::axis::{self, Plot, Scale, nice_ticks};
use crate::bar::tooltip;
use crate::format::{format_number, with_unit};
use crate::legend::{self, Swatch};
use crate::palette::{self, series_colour, series_dash, series_marker};
use crate::svg::{self, Anchor, Svg, TextStyle, num, text_width, wrap};
use crate::{ChartData, ChartOptions, describe};

const VALUE_SIZE: f64 = 12.0;
const PERIOD_SIZE: f64 = 13.0;
/// Past this many periods markers would merge into a bead string; only the last is marked.
const MAX_MARKED_PERIODS: usize = 30;

/// A horizontal reference line across the plot, e.g. a control target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetLine {
    pub value: f64,
    /// Printed on the line with its value, e.g. `控制目标` / `Target`.
    pub label: String,
}

/// A line chart: one line per series across the categories (periods, in order).
///
/// Series differ by colour, marker shape and dash pattern, and the legend shows all three.
/// Missing values (NaN, infinite, absent) break the line: the periods either side are not
/// joined, so a gap is never drawn as a trend.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub options: ChartOptions,
    pub target: Option<TargetLine>,
    /// Start the value axis at zero (the default), so slopes are not exaggerated. Turn off
    /// for series that only move within a narrow band far from zero.
    pub start_at_zero: bool,
}

impl Default for LineChart {
    fn default() -> Self {
        Self {
            options: ChartOptions::default(),
            target: None,
            start_at_zero: true,
        }
    }
}

impl LineChart {
    /// The chart as an `<svg>` element, or the no-data message when there is nothing to draw.
    pub fn render(&self, data: &ChartData) -> String {
        let o = &self.options;
        if !data.has_data() {
            return svg::no_data(o);
        }
        let target = self.target.as_ref().filter(|t| t.value.is_finite());
        let decimals = o.decimals_for(data.finite_values().chain(target.map(|t| t.value)));
        let width = o.view_width();
        let mut svg = Svg::new();
        let mut y = svg::title_block(&mut svg, o, width);
        let names: Vec<&str> = data.series.iter().map(|s| s.name.as_str()).collect();
        y = legend::draw(&mut svg, &names, Swatch::Line, y, width);
        if !svg::is_blank(&data.unit) {
            svg.text(
                0.0,
                y + 12.0,
                &data.unit,
                TextStyle::new(axis::TICK_SIZE, palette::MUTED),
            );
            y += 20.0;
        }

        let (mut lo, mut hi) = data.range();
        if let Some(t) = target {
            lo = lo.min(t.value);
            hi = hi.max(t.value);
        }
        if self.start_at_zero {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        let ticks = nice_ticks(lo, hi);

        // The last value of each series, printed just right of its last point.
        let last_points: Vec<Option<(usize, f64)>> = (0..data.series.len())
            .map(|s| {
                (0..data.categories.len())
                    .rev()
                    .find_map(|c| data.value(s, c).map(|v| (c, v)))
            })
            .collect();
        let end_width = last_points
            .iter()
            .flatten()
            .map(|(_, v)| text_width(&format_number(*v, decimals), VALUE_SIZE))
            .fold(0.0, f64::max);
        let plot_x = axis::tick_label_width(&ticks) + 10.0;
        let plot = Plot {
            x: plot_x,
            y: y + 10.0,
            w: width - plot_x - end_width - 14.0,
            h: (width * 0.42).clamp(170.0, 320.0),
        };
        let scale = Scale::new((ticks.min(), ticks.max()), (plot.bottom(), plot.y));
        let count = data.categories.len();
        let inset = 12.0;
        let spacing = if count > 1 {
            (plot.w - 2.0 * inset) / (count - 1) as f64
        } else {
            0.0
        };
        let x_of = |c: usize| {
            if count > 1 {
                plot.x + inset + c as f64 * spacing
            } else {
                plot.x + plot.w / 2.0
            }
        };

        axis::draw_vertical_value_axis(&mut svg, &ticks, &scale, &plot);
        // The period axis runs along the bottom; zero gets its own line when the axis
        // goes below it.
        svg.line(
            plot.x,
            plot.bottom(),
            plot.right(),
            plot.bottom(),
            palette::INK,
            1.5,
        );
        for c in 0..count {
            svg.line(
                x_of(c),
                plot.bottom(),
                x_of(c),
                plot.bottom() + 5.0,
                palette::INK,
                1.0,
            );
        }
        if ticks.min() < 0.0 {
            let zero = scale.map(0.0);
            svg.line(plot.x, zero, plot.right(), zero, palette::INK, 1.0);
        }

        if let Some(t) = target {
            let ty = scale.map(t.value);
            svg.empty(
                "line",
                &[
                    ("x1", &num(plot.x)),
                    ("y1", &num(ty)),
                    ("x2", &num(plot.right())),
                    ("y2", &num(ty)),
                    ("stroke", palette::INK),
                    ("stroke-width", "1.5"),
                    ("stroke-dasharray", "3 3"),
                ],
            );
            let amount = with_unit(&format_number(t.value, decimals), &data.unit);
            let text = if svg::is_blank(&t.label) {
                amount
            } else {
                format!("{} {amount}", t.label.trim())
            };
            // Above the line unless that would leave the plot.
            let label_y = if ty - 6.0 > plot.y + 12.0 {
                ty - 6.0
            } else {
                ty + 16.0
            };
            svg.text(
                plot.x + 6.0,
                label_y,
                &text,
                TextStyle::new(VALUE_SIZE, palette::INK).bold().halo(),
            );
        }

        for (s, last_point) in last_points.iter().enumerate() {
            let colour = series_colour(s);
            let mut path = String::new();
            let mut joined = false;
            for c in 0..count {
                match data.value(s, c) {
                    Some(v) => {
                        path.push(if joined { 'L' } else { 'M' });
                        path.push_str(&num(x_of(c)));
                        path.push(' ');
                        path.push_str(&num(scale.map(v)));
                        joined = true;
                    }
                    None => joined = false,
                }
            }
            let mut attrs = vec![
                ("d", path.as_str()),
                ("fill", "none"),
                ("stroke", colour),
                ("stroke-width", "2.5"),
                ("stroke-linejoin", "round"),
                ("stroke-linecap", "round"),
            ];
            if !series_dash(s).is_empty() {
                attrs.push(("stroke-dasharray", series_dash(s)));
            }
            svg.empty("path", &attrs);
            for c in 0..count {
                let Some(v) = data.value(s, c) else {
                    continue;
                };
                let last = last_point.is_some_and(|(lc, _)| lc == c);
                if count <= MAX_MARKED_PERIODS || last {
                    svg.start("g", &[]);
                    svg.element(
                        "title",
                        &[],
                        &tooltip(data, c, s, &format_number(v, decimals)),
                    );
                    svg.marker(series_marker(s), x_of(c), scale.map(v), 10.0, colour);
                    svg.end("g");
                }
            }
        }

        // End labels, nudged apart where series end close together.
        let mut ends: Vec<(f64, f64, String)> = last_points
            .iter()
            .flatten()
            .map(|(c, v)| (x_of(*c) + 9.0, scale.map(*v), format_number(*v, decimals)))
            .collect();
        ends.sort_by(|a, b| a.1.total_cmp(&b.1));
        for i in 1..ends.len() {
            let min_y = ends[i - 1].1 + 14.0;
            if ends[i].1 < min_y {
                ends[i].1 = min_y;
            }
        }
        if let Some(overflow) = ends.last().map(|e| e.1 - (plot.bottom() + 4.0)) {
            if overflow > 0.0 {
                for end in &mut ends {
                    end.1 -= overflow;
                }
            }
        }
        for (x, y, text) in &ends {
            svg.text(
                *x,
                y + VALUE_SIZE * 0.35,
                text,
                TextStyle::new(VALUE_SIZE, palette::INK).bold().halo(),
            );
        }

        // Period labels, thinned to every k-th when they would touch, always keeping the last.
        let widest = data
            .categories
            .iter()
            .map(|c| text_width(c, PERIOD_SIZE))
            .fold(0.0, f64::max);
        let every = if count > 1 {
            ((widest + 10.0) / spacing).ceil().max(1.0) as usize
        } else {
            1
        };
        let mut shown: Vec<usize> = (0..count).filter(|c| c % every == 0).collect();
        let last_shown = shown.last().copied().unwrap_or_default();
        if last_shown + 1 < count {
            let gap = (count - 1 - last_shown) as f64 * spacing;
            if gap >= widest + 10.0 {
                shown.push(count - 1);
            } else if shown.len() > 1 {
                shown.pop();
                shown.push(count - 1);
            }
        }
        let room = (spacing * every as f64 - 6.0).max(widest.min(plot.w));
        let label_top = plot.bottom() + 22.0;
        let mut max_lines = 1;
        for c in shown {
            let Some(category) = data.categories.get(c) else {
                continue;
            };
            let lines = wrap(category, room, PERIOD_SIZE, 2);
            max_lines = max_lines.max(lines.len());
            let style = TextStyle::new(PERIOD_SIZE, palette::INK).anchor(Anchor::Middle);
            let style = if o.is_highlighted(category) {
                style.bold()
            } else {
                style
            };
            svg.lines(x_of(c), label_top, &lines, 16.0, style);
        }
        let height = label_top + (max_lines as f64 - 1.0) * 16.0 + 8.0;
        let summary = describe::trend(
            data,
            decimals,
            target.map(|t| (t.label.as_str(), t.value)),
            o.lang,
        );
        svg::document(o, width, height, &summary, "", svg)
    }
}
