//! Stacked bars: the parts of a whole per category, with the total printed at the end of each
//! stack and each part's value printed inside it where it fits.

use crate::bar::{Band, Bands, EndLabel, Segment, render_bands, tooltip};
use crate::format::{MISSING, format_number};
use crate::{ChartData, ChartOptions, Orientation, describe, svg};

/// A stacked bar chart: one stack per category, one part per series, stacked in series order
/// (the legend reads in the same order). The stack's total is printed at its end.
///
/// Negative parts stack downwards (leftwards) from zero, positive parts upwards; the printed
/// total is the net sum. Missing values (NaN, infinite, absent) are left out of the stack and
/// the total; a category without any value is labelled `—`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackedBarChart {
    pub options: ChartOptions,
    pub orientation: Orientation,
}

impl StackedBarChart {
    /// The chart as an `<svg>` element, or the no-data message when there is nothing to draw.
    pub fn render(&self, data: &ChartData) -> String {
        let o = &self.options;
        if !data.has_data() {
            return svg::no_data(o);
        }
        let totals: Vec<Option<f64>> = (0..data.categories.len())
            .map(|c| {
                let values: Vec<f64> = (0..data.series.len())
                    .filter_map(|s| data.value(s, c))
                    .collect();
                (!values.is_empty()).then(|| values.iter().sum())
            })
            .collect();
        let decimals = o.decimals_for(data.finite_values().chain(totals.iter().flatten().copied()));
        let mut bands = Vec::with_capacity(data.categories.len());
        for (c, total) in totals.iter().enumerate() {
            let mut band = Band::default();
            let (mut up, mut down) = (0.0, 0.0);
            for s in 0..data.series.len() {
                let Some(value) = data.value(s, c) else {
                    continue;
                };
                if value == 0.0 {
                    continue;
                }
                let base = if value > 0.0 { &mut up } else { &mut down };
                let from = *base;
                *base += value;
                let text = format_number(value, decimals);
                band.segments.push(Segment {
                    slot: 0,
                    series: s,
                    from,
                    to: *base,
                    tooltip: tooltip(data, c, s, &text),
                    inner_label: Some(text),
                });
            }
            band.labels.push(match total {
                Some(total) => EndLabel {
                    slot: 0,
                    // Beyond the positive stack, or below the negative one if that is all.
                    at: if up > 0.0 || down == 0.0 { up } else { down },
                    text: format_number(*total, decimals),
                    strong: true,
                    missing: false,
                },
                None => EndLabel {
                    slot: 0,
                    at: 0.0,
                    text: MISSING.to_owned(),
                    strong: false,
                    missing: true,
                },
            });
            bands.push(band);
        }
        let points: Vec<(usize, f64)> = totals
            .iter()
            .enumerate()
            .filter_map(|(c, t)| t.map(|t| (c, t)))
            .collect();
        render_bands(
            o,
            data,
            &Bands {
                slots: 1,
                bands,
                summary: describe::totals(data, &points, decimals, o.lang),
                orientation: self.orientation,
            },
        )
    }
}
