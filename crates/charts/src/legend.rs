//! The series legend above a chart, in the same order as the marks (left to right in a group,
//! bottom to top in a stack), so the order is a cue as well as the colour.

use crate::palette::{self, series_colour, series_dash, series_marker};
use crate::svg::{Svg, TextStyle, num, text_width, wrap};

const SIZE: f64 = 13.0;
const ROW: f64 = 24.0;

/// How a legend entry shows its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swatch {
    /// A filled square, for bars.
    Box,
    /// A short line with the series' dash pattern and marker, for line charts.
    Line,
}

/// Draws one entry per name from (`x`, `y`), flowing onto new rows within `width`. Returns the
/// y below the legend. Draws nothing for fewer than two series: a single series is named by
/// the title.
pub(crate) fn draw(svg: &mut Svg, names: &[&str], swatch: Swatch, y: f64, width: f64) -> f64 {
    if names.len() < 2 {
        return y;
    }
    let swatch_width = match swatch {
        Swatch::Box => 14.0,
        Swatch::Line => 28.0,
    };
    let (mut cx, mut row_top) = (0.0, y);
    for (i, name) in names.iter().enumerate() {
        let label = wrap(name, width - swatch_width - 8.0, SIZE, 1)
            .into_iter()
            .next()
            .unwrap_or_default();
        let item_width = swatch_width + 6.0 + text_width(&label, SIZE);
        if cx > 0.0 && cx + item_width > width {
            cx = 0.0;
            row_top += ROW;
        }
        let middle = row_top + ROW / 2.0 - 2.0;
        let colour = series_colour(i);
        match swatch {
            Swatch::Box => svg.empty(
                "rect",
                &[
                    ("x", &num(cx)),
                    ("y", &num(middle - 7.0)),
                    ("width", "14"),
                    ("height", "14"),
                    ("fill", colour),
                ],
            ),
            Swatch::Line => {
                let dash = series_dash(i);
                let mut attrs = vec![
                    ("x1", num(cx)),
                    ("y1", num(middle)),
                    ("x2", num(cx + swatch_width)),
                    ("y2", num(middle)),
                    ("stroke", colour.to_owned()),
                    ("stroke-width", "2.5".to_owned()),
                ];
                if !dash.is_empty() {
                    attrs.push(("stroke-dasharray", dash.to_owned()));
                }
                let attrs: Vec<(&str, &str)> =
                    attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                svg.empty("line", &attrs);
                svg.marker(
                    series_marker(i),
                    cx + swatch_width / 2.0,
                    middle,
                    10.0,
                    colour,
                );
            }
        }
        svg.text(
            cx + swatch_width + 6.0,
            middle + SIZE * 0.35,
            &label,
            TextStyle::new(SIZE, palette::INK),
        );
        cx += item_width + 20.0;
    }
    row_top + ROW + 4.0
}
