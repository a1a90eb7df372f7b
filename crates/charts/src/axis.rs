//! Value axes: "nice" tick values, the mapping from values to coordinates, and the gridlines
//! with their labels.

use crate::format::format_number;
use crate::palette;
use crate::svg::{Anchor, Svg, TextStyle, text_width};

/// Font size of tick labels.
pub(crate) const TICK_SIZE: f64 = 12.0;

/// Tick values for a value axis: evenly spaced multiples of a step of 1, 2 or 5 × 10ⁿ,
/// covering the requested range with 3 to 7 intervals (4 to 8 ticks).
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// The tick values, ascending; the first is at or below the range, the last at or above.
    pub values: Vec<f64>,
    /// The distance between ticks.
    pub step: f64,
    /// Decimals needed to print the ticks exactly (`0.2` needs one).
    pub decimals: usize,
}

impl Ticks {
    /// The lowest tick: the start of the axis.
    pub fn min(&self) -> f64 {
        self.values.first().copied().unwrap_or(0.0)
    }

    /// The highest tick: the end of the axis.
    pub fn max(&self) -> f64 {
        self.values.last().copied().unwrap_or(1.0)
    }
}

/// `10ⁿ` computed so that multiples of it are as exact as floating point allows: dividing by
/// an exact power of ten rounds once, multiplying by an inexact `0.1` would round twice.
fn scaled(k: i64, exponent: i32) -> f64 {
    let exponent = exponent.clamp(-300, 300);
    if exponent >= 0 {
        k as f64 * 10f64.powi(exponent)
    } else {
        k as f64 / 10f64.powi(-exponent)
    }
}

/// Steps one notch along 1, 2, 5, 10, 20, 50, …
fn next_step(mantissa: i64, exponent: i32, up: bool) -> (i64, i32) {
    match (mantissa, up) {
        (1, true) => (2, exponent),
        (2, true) => (5, exponent),
        (_, true) => (1, exponent + 1),
        (5, false) => (2, exponent),
        (2, false) => (1, exponent),
        (_, false) => (5, exponent - 1),
    }
}

/// Nice ticks covering `lo..=hi`, aiming at about five intervals.
///
/// Bar charts pass a range that includes zero, so zero is always a tick for them. A range of
/// one value is widened to include zero (or to `0..=1` at zero). Non-finite bounds give the
/// axis of `0..=1`.
pub fn nice_ticks(lo: f64, hi: f64) -> Ticks {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    // Beyond this the step computation would overflow; no dashboard figure comes near it.
    const LIMIT: f64 = 1e100;
    lo = lo.clamp(-LIMIT, LIMIT);
    hi = hi.clamp(-LIMIT, LIMIT);
    if hi - lo <= 1e-12 * hi.abs().max(lo.abs()) {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
        if hi - lo <= 0.0 {
            hi = 1.0;
        }
    }
    let rough = (hi - lo) / 5.0;
    let mut exponent = rough.log10().floor() as i32;
    // log10 may land just below an exact power of ten.
    if scaled(1, exponent + 1) <= rough {
        exponent += 1;
    }
    let mut mantissa = 1;
    while scaled(mantissa, exponent) < rough * (1.0 - 1e-12) {
        (mantissa, exponent) = next_step(mantissa, exponent, true);
    }
    // The first step at or above a fifth of the range gives 3 to 7 intervals except at the
    // edges of floating-point rounding; nudge the step until the count is in range.
    for _ in 0..4 {
        let step = scaled(mantissa, exponent);
        let first = (lo / step + 1e-9).floor() as i64;
        let last = (hi / step - 1e-9).ceil() as i64;
        let intervals = last - first;
        if intervals < 3 {
            (mantissa, exponent) = next_step(mantissa, exponent, false);
        } else if intervals > 7 {
            (mantissa, exponent) = next_step(mantissa, exponent, true);
        } else {
            return Ticks {
                values: (first..=last)
                    .map(|k| scaled(k * mantissa, exponent))
                    .collect(),
                step,
                decimals: if exponent < 0 {
                    (-exponent).min(10) as usize
                } else {
                    0
                },
            };
        }
    }
    // Unreachable for finite input; a plain two-tick axis keeps the chart valid regardless.
    Ticks {
        values: vec![lo, hi],
        step: hi - lo,
        decimals: 2,
    }
}

/// A linear map from a value domain to a coordinate range.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Self {
        Self {
            d0: domain.0,
            d1: domain.1,
            r0: range.0,
            r1: range.1,
        }
    }

    pub fn map(&self, value: f64) -> f64 {
        if self.d1 == self.d0 {
            self.r0
        } else {
            self.r0 + (value - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
        }
    }
}

/// The rectangle where marks are drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plot {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Plot {
    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
}

/// Width of the widest tick label.
pub(crate) fn tick_label_width(ticks: &Ticks) -> f64 {
    ticks
        .values
        .iter()
        .map(|v| text_width(&format_number(*v, ticks.decimals), TICK_SIZE))
        .fold(0.0, f64::max)
}

/// Horizontal gridlines with labels to the left of the plot (charts whose values go up).
pub(crate) fn draw_vertical_value_axis(svg: &mut Svg, ticks: &Ticks, scale: &Scale, plot: &Plot) {
    for value in &ticks.values {
        let y = scale.map(*value);
        svg.line(plot.x, y, plot.right(), y, palette::GRID, 1.0);
        svg.text(
            plot.x - 8.0,
            y + TICK_SIZE * 0.35,
            &format_number(*value, ticks.decimals),
            TextStyle::new(TICK_SIZE, palette::MUTED).anchor(Anchor::End),
        );
    }
}

/// Vertical gridlines with labels below the plot (charts whose values go right). Labels that
/// would touch their neighbour are thinned to every other one; the gridlines all stay.
pub(crate) fn draw_horizontal_value_axis(svg: &mut Svg, ticks: &Ticks, scale: &Scale, plot: &Plot) {
    let spacing = (scale.map(ticks.step) - scale.map(0.0)).abs();
    let every = if tick_label_width(ticks) + 8.0 > spacing {
        2
    } else {
        1
    };
    // Thin from zero outwards so the zero tick keeps its label.
    let zero_index = ticks
        .values
        .iter()
        .position(|v| *v == 0.0)
        .unwrap_or_default();
    for (i, value) in ticks.values.iter().enumerate() {
        let x = scale.map(*value);
        svg.line(x, plot.y, x, plot.bottom(), palette::GRID, 1.0);
        if i.abs_diff(zero_index) % every == 0 {
            svg.text(
                x,
                plot.bottom() + 18.0,
                &format_number(*value, ticks.decimals),
                TextStyle::new(TICK_SIZE, palette::MUTED).anchor(Anchor::Middle),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mantissa(step: f64) -> f64 {
        step / 10f64.powf(step.log10().floor())
    }

    fn assert_nice(lo: f64, hi: f64) {
        let ticks = nice_ticks(lo, hi);
        let tolerance = ticks.step * 1e-6;
        assert!(ticks.min() <= lo + tolerance, "{ticks:?} starts above {lo}");
        assert!(ticks.max() >= hi - tolerance, "{ticks:?} ends below {hi}");
        let m = mantissa(ticks.step);
        assert!(
            [1.0, 2.0, 5.0, 10.0].iter().any(|n| (n - m).abs() < 1e-6),
            "step {} is not 1, 2 or 5 × 10^n",
            ticks.step
        );
        assert!(
            (4..=8).contains(&ticks.values.len()),
            "{} ticks for {lo}..{hi}",
            ticks.values.len()
        );
        for (i, v) in ticks.values.iter().enumerate() {
            let k = v / ticks.step;
            assert!(
                (k - k.round()).abs() < 1e-6,
                "{v} is not a multiple of the step"
            );
            if i > 0 {
                let gap = v - ticks.values[i - 1];
                assert!(
                    (gap - ticks.step).abs() <= tolerance,
                    "uneven ticks {ticks:?}"
                );
            }
        }
    }

    #[test]
    fn known_ranges() {
        assert_eq!(nice_ticks(0.0, 1400.0).values, [0.0, 500.0, 1000.0, 1500.0]);
        assert_eq!(
            nice_ticks(0.0, 100.0).values,
            [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        let small = nice_ticks(0.0, 0.7);
        assert_eq!(small.values, [0.0, 0.2, 0.4, 0.6, 0.8]);
        assert_eq!(small.decimals, 1);
        assert_eq!(nice_ticks(-30.0, 50.0).values[0], -40.0);
        assert!(nice_ticks(-30.0, 50.0).values.contains(&0.0));
    }

    #[test]
    fn flat_and_broken_ranges_still_give_an_axis() {
        assert_eq!(nice_ticks(0.0, 0.0).max(), 1.0);
        assert_eq!(nice_ticks(f64::NAN, 3.0).max(), 1.0);
        let flat = nice_ticks(95.0, 95.0);
        assert_eq!(flat.min(), 0.0);
        assert!(flat.max() >= 95.0);
        assert_nice(-5.0, -5.0);
    }

    proptest! {
        #[test]
        fn ticks_from_zero_cover_the_maximum(max in 1e-6f64..1e12) {
            assert_nice(0.0, max);
            prop_assert_eq!(nice_ticks(0.0, max).min(), 0.0);
        }

        #[test]
        fn ticks_cover_any_range(a in -1e9f64..1e9, b in -1e9f64..1e9) {
            prop_assume!((a - b).abs() > 1e-6);
            assert_nice(a.min(b), a.max(b));
        }

        #[test]
        fn ranges_through_zero_have_a_zero_tick(lo in -1e6f64..0.0, hi in 0.0f64..1e6) {
            prop_assume!(hi - lo > 1e-6);
            let ticks = nice_ticks(lo, hi);
            prop_assert!(ticks.values.iter().any(|v| v.abs() < ticks.step * 1e-9));
        }
    }
}
