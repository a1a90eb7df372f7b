//! Colours and the non-colour cues that go with them (marker shapes, dash patterns).
//!
//! Series colours are the Okabe-Ito set, which stays distinguishable with the common forms of
//! colour blindness; orange is darkened and yellow and sky blue are left out so every colour
//! reaches 3:1 against white (WCAG 2.1 1.4.11, non-text contrast). Text colours reach 4.5:1.
//! Colour is never the only cue: values are printed, lines carry marker shapes and dash
//! patterns, legends follow the order of the marks.

/// Text and the zero line: GOV.UK's near-black.
pub(crate) const INK: &str = "#0b0c0c";
/// Secondary text (ticks, units, notes): 7:1 on white.
pub(crate) const MUTED: &str = "#505a5f";
/// Gridlines: light, so they guide without competing with the data.
pub(crate) const GRID: &str = "#dee0e2";
/// Background of the "no data" box and of districts without a value.
pub(crate) const NO_DATA_FILL: &str = "#f3f2f1";
/// Outlines of empty tiles and legend swatches.
pub(crate) const BORDER: &str = "#b1b4b6";
/// The river on the district map: a water colour, pale so it reads as background.
pub(crate) const RIVER: &str = "#9ecae1";

/// Okabe-Ito blue, vermillion, bluish green, reddish purple, orange (darkened to #B07A00 for
/// contrast) and a neutral grey for a sixth series.
pub(crate) const SERIES: [&str; 6] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#B07A00", "#505A5F",
];

/// The colour of series `index`; colours repeat after six series, which is already more
/// than a reader can tell apart, so the shapes and order carry the rest.
pub(crate) fn series_colour(index: usize) -> &'static str {
    SERIES[index % SERIES.len()]
}

/// Marker shapes for line series, so series differ by shape and not by colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Plus,
}

const MARKERS: [Marker; 6] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Plus,
];

pub(crate) fn series_marker(index: usize) -> Marker {
    MARKERS[index % MARKERS.len()]
}

/// Dash patterns for line series: a second cue besides the marker, visible between markers.
const DASHES: [&str; 6] = ["", "8 4", "2 3", "10 3 2 3", "4 4", "14 4"];

pub(crate) fn series_dash(index: usize) -> &'static str {
    DASHES[index % DASHES.len()]
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const WHITE: Rgb = Rgb(255, 255, 255);
    pub const BLACK: Rgb = Rgb(0, 0, 0);

    /// Parses `#rrggbb`; anything else is black (only this crate's constants come here).
    pub fn from_hex(hex: &str) -> Rgb {
        if hex.len() != 7 || !hex.starts_with('#') {
            return Rgb::BLACK;
        }
        let channel = |i: usize| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0)
        };
        Rgb(channel(1), channel(3), channel(5))
    }

    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG relative luminance.
    fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }
}

/// WCAG contrast ratio between two colours (1 to 21).
pub(crate) fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Black or white, whichever contrasts more with `fill`. Pure black rather than INK because
/// mid-tones need every bit of contrast to reach 4.5:1.
pub(crate) fn text_on(fill: Rgb) -> &'static str {
    if contrast(fill, Rgb::WHITE) >= contrast(fill, Rgb::BLACK) {
        "#ffffff"
    } else {
        "#000000"
    }
}

/// Stops of the sequential scale: ColorBrewer Blues, light to dark. One hue, so the order is
/// readable without colour vision, and the darkest still far from the near-black text.
const SEQUENTIAL: [Rgb; 3] = [Rgb(222, 235, 247), Rgb(107, 174, 214), Rgb(8, 81, 156)];

/// The sequential colour at `t` in 0..=1 (clamped), for the district map.
pub(crate) fn sequential(t: f64) -> Rgb {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let segments = (SEQUENTIAL.len() - 1) as f64;
    let position = t * segments;
    let index = (position.floor() as usize).min(SEQUENTIAL.len() - 2);
    let local = position - index as f64;
    let (a, b) = (SEQUENTIAL[index], SEQUENTIAL[index + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * local).round() as u8;
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_colours_reach_three_to_one_on_white() {
        for colour in SERIES {
            let ratio = contrast(Rgb::from_hex(colour), Rgb::WHITE);
            assert!(ratio >= 3.0, "{colour}: {ratio:.2}");
        }
    }

    #[test]
    fn text_colours_reach_four_and_a_half_to_one() {
        for colour in [INK, MUTED] {
            assert!(
                contrast(Rgb::from_hex(colour), Rgb::WHITE) >= 4.5,
                "{colour}"
            );
        }
        for colour in SERIES {
            let fill = Rgb::from_hex(colour);
            let text = Rgb::from_hex(text_on(fill));
            assert!(contrast(fill, text) >= 4.5, "text on {colour}");
        }
    }

    #[test]
    fn text_on_every_shade_of_the_map_scale_is_legible() {
        for i in 0..=100 {
            let fill = sequential(f64::from(i) / 100.0);
            let text = Rgb::from_hex(text_on(fill));
            assert!(contrast(fill, text) >= 4.5, "{}", fill.hex());
        }
    }

    #[test]
    fn the_sequential_scale_darkens_steadily() {
        let mut previous = f64::MAX;
        for i in 0..=20 {
            let luminance = sequential(f64::from(i) / 20.0).luminance();
            assert!(luminance < previous);
            previous = luminance;
        }
        assert_eq!(sequential(f64::NAN), sequential(0.0));
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(Rgb::from_hex("#0072B2").hex(), "#0072b2");
        assert_eq!(Rgb::from_hex("bad"), Rgb::BLACK);
        assert_eq!(Rgb::from_hex("#12345"), Rgb::BLACK);
    }
}
