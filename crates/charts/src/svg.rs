//! SVG building blocks: escaping, a small element writer, text measurement and wrapping, and
//! the outer `<svg>` element every chart shares (accessible name, description, scaling).

use crate::palette::{self, Marker};
use crate::{ChartOptions, Lang};

/// Escapes text for SVG (XML) content and attribute values.
///
/// Besides the five markup characters, control characters are dropped: XML 1.0 forbids them
/// even as character references, so passing them through would make the document invalid.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether `text` would show nothing once escaped: empty, spaces, or control characters
/// (which [`escape`] drops).
pub(crate) fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || c.is_control())
}

/// A coordinate or length for an attribute: one decimal is finer than any screen needs, and
/// keeps the markup short. Non-finite numbers (which only a bug could produce) become 0 so the
/// document stays valid.
pub(crate) fn num(value: f64) -> String {
    if !value.is_finite() {
        return "0".to_owned();
    }
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == 0.0 {
        "0".to_owned()
    } else if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// Makes the caller's id prefix safe for `id` and `aria-labelledby`, which splits on spaces.
pub(crate) fn id_prefix(options: &ChartOptions) -> String {
    let cleaned: String = options
        .id
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "chart".to_owned()
    } else {
        cleaned
    }
}

/// Horizontal alignment of a text element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// How a piece of text looks. Sizes are in viewBox units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextStyle {
    pub size: f64,
    pub fill: &'static str,
    pub bold: bool,
    pub anchor: Anchor,
    /// A white outline behind the glyphs, so labels stay legible over gridlines and lines.
    pub halo: bool,
    /// Turned a quarter anticlockwise around its anchor point (for labels on narrow bars).
    pub rotated: bool,
}

impl TextStyle {
    pub const fn new(size: f64, fill: &'static str) -> Self {
        Self {
            size,
            fill,
            bold: false,
            anchor: Anchor::Start,
            halo: false,
            rotated: false,
        }
    }

    pub const fn bold(mut self) -> Self {
        self.bold = true;
        self
    }

    pub const fn anchor(mut self, anchor: Anchor) -> Self {
        self.anchor = anchor;
        self
    }

    pub const fn halo(mut self) -> Self {
        self.halo = true;
        self
    }

    pub const fn rotated(mut self) -> Self {
        self.rotated = true;
        self
    }
}

/// Writes SVG elements into a string. Every attribute value and text goes through [`escape`],
/// so callers cannot forget it.
#[derive(Debug, Default)]
pub(crate) struct Svg {
    buf: String,
}

impl Svg {
    pub fn new() -> Self {
        Self::default()
    }

    fn tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.buf.push('<');
        self.buf.push_str(name);
        for (key, value) in attrs {
            self.buf.push(' ');
            self.buf.push_str(key);
            self.buf.push_str("=\"");
            self.buf.push_str(&escape(value));
            self.buf.push('"');
        }
    }

    /// `<name attrs>`; close it with [`Svg::end`].
    pub fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.tag(name, attrs);
        self.buf.push('>');
    }

    pub fn end(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// `<name attrs/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.tag(name, attrs);
        self.buf.push_str("/>");
    }

    /// `<name attrs>text</name>`.
    pub fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(name, attrs);
        self.buf.push_str(&escape(text));
        self.end(name);
    }

    /// A mark (rect, path, …) with a tooltip naming its category, series and value, for
    /// pointer users; screen readers get the `<desc>` and the table instead.
    pub fn mark(&mut self, name: &str, attrs: &[(&str, &str)], tooltip: &str) {
        if tooltip.is_empty() {
            self.empty(name, attrs);
        } else {
            self.start(name, attrs);
            self.element("title", &[], tooltip);
            self.end(name);
        }
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        self.empty(
            "line",
            &[
                ("x1", &num(x1)),
                ("y1", &num(y1)),
                ("x2", &num(x2)),
                ("y2", &num(y2)),
                ("stroke", stroke),
                ("stroke-width", &num(width)),
            ],
        );
    }

    pub fn text(&mut self, x: f64, y: f64, content: &str, style: TextStyle) {
        let (x, y, size) = (num(x), num(y), num(style.size));
        let rotation = format!("rotate(-90 {x} {y})");
        let mut attrs: Vec<(&str, &str)> = vec![
            ("x", &x),
            ("y", &y),
            ("font-size", &size),
            ("fill", style.fill),
        ];
        match style.anchor {
            Anchor::Start => {}
            Anchor::Middle => attrs.push(("text-anchor", "middle")),
            Anchor::End => attrs.push(("text-anchor", "end")),
        }
        if style.bold {
            attrs.push(("font-weight", "700"));
        }
        if style.halo {
            attrs.extend([
                ("stroke", "#ffffff"),
                ("stroke-width", "3"),
                ("stroke-linejoin", "round"),
                ("paint-order", "stroke"),
            ]);
        }
        if style.rotated {
            attrs.push(("transform", &rotation));
        }
        self.element("text", &attrs, content);
    }

    /// Several lines of text, the first baseline at `y`.
    pub fn lines(&mut self, x: f64, y: f64, lines: &[String], line_height: f64, style: TextStyle) {
        for (i, line) in lines.iter().enumerate() {
            self.text(x, y + i as f64 * line_height, line, style);
        }
    }

    /// A series marker centred on (`cx`, `cy`), `size` across, with a white rim so markers
    /// stay distinct where lines cross.
    pub fn marker(&mut self, marker: Marker, cx: f64, cy: f64, size: f64, fill: &str) {
        let r = size / 2.0;
        let rim = [("stroke", "#ffffff"), ("stroke-width", "1.5")];
        match marker {
            Marker::Circle => {
                let (cx, cy, r) = (num(cx), num(cy), num(r));
                let mut attrs = vec![("cx", cx.as_str()), ("cy", &cy), ("r", &r), ("fill", fill)];
                attrs.extend(rim);
                self.empty("circle", &attrs);
            }
            Marker::Square => {
                let side = size * 0.9;
                let (x, y, side) = (num(cx - side / 2.0), num(cy - side / 2.0), num(side));
                let mut attrs = vec![
                    ("x", x.as_str()),
                    ("y", &y),
                    ("width", &side),
                    ("height", &side),
                    ("fill", fill),
                ];
                attrs.extend(rim);
                self.empty("rect", &attrs);
            }
            _ => {
                let points: Vec<(f64, f64)> = match marker {
                    Marker::TriangleUp => vec![(0.0, -1.15), (1.05, 0.75), (-1.05, 0.75)],
                    Marker::TriangleDown => vec![(0.0, 1.15), (1.05, -0.75), (-1.05, -0.75)],
                    Marker::Diamond => vec![(0.0, -1.25), (1.0, 0.0), (0.0, 1.25), (-1.0, 0.0)],
                    _ => vec![
                        // A plus sign as a polygon, so it can be filled like the others.
                        (-0.35, -1.1),
                        (0.35, -1.1),
                        (0.35, -0.35),
                        (1.1, -0.35),
                        (1.1, 0.35),
                        (0.35, 0.35),
                        (0.35, 1.1),
                        (-0.35, 1.1),
                        (-0.35, 0.35),
                        (-1.1, 0.35),
                        (-1.1, -0.35),
                        (-0.35, -0.35),
                    ],
                };
                let points = points
                    .iter()
                    .map(|(dx, dy)| format!("{},{}", num(cx + dx * r), num(cy + dy * r)))
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut attrs = vec![("points", points.as_str()), ("fill", fill)];
                attrs.extend(rim);
                self.empty("polygon", &attrs);
            }
        }
    }

    pub fn into_string(self) -> String {
        self.buf
    }
}

/// Whether a character takes a full em: CJK ideographs, kana, hangul, full-width forms.
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// Estimated advance width of `text` at `size`. The server cannot measure glyphs, so this
/// errs wide: CJK takes a full em, Latin letters and digits a little over half (as in Noto
/// Sans CJK and the system UI fonts of the page's stack).
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| {
            if is_wide(c) {
                1.0
            } else if c == ' ' || ",.:;'!|()[]ilj".contains(c) {
                0.32
            } else if c.is_ascii_uppercase() || c == 'm' || c == 'w' || c == '%' {
                0.72
            } else {
                0.58
            }
        })
        .sum::<f64>()
        * size
}

/// Punctuation that must not start a line in Chinese typesetting (kept with what precedes it).
fn no_break_before(c: char) -> bool {
    "，。、；：？！）》」』】〕％%,.;:?!)".contains(c)
}

/// Punctuation that must not end a line (kept with what follows it).
fn no_break_after(c: char) -> bool {
    "（《「『【〔(".contains(c)
}

/// Splits text into pieces a line may break between: single CJK characters (with their
/// punctuation attached), Latin words, and the spaces between them.
fn break_units(text: &str) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    let mut joins_next = false;
    for c in text.chars() {
        let glue_to_last = joins_next
            || no_break_before(c)
            || units
                .last()
                .and_then(|u| u.chars().last())
                .is_some_and(|last| !is_wide(last) && last != ' ' && !is_wide(c) && c != ' ');
        match units.last_mut() {
            Some(last) if glue_to_last => last.push(c),
            _ => units.push(c.to_string()),
        }
        joins_next = no_break_after(c);
    }
    units
}

/// Wraps `text` into at most `max_lines` lines no wider than `max_width` at `size`, breaking
/// between CJK characters or at spaces. Lines are balanced (`江北/新区`, not `江北新/区`), so
/// no line is left with a lone character. Text that still does not fit ends in `…`; callers
/// keep the full text in a tooltip and the table.
pub(crate) fn wrap(text: &str, max_width: f64, size: f64, max_lines: usize) -> Vec<String> {
    let max_lines = max_lines.max(1);
    let mut lines = fill(text, max_width, size);
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && text_width(&format!("{last}…"), size) > max_width {
                last.pop();
            }
            last.push('…');
        }
        return lines;
    }
    if lines.len() < 2 {
        return lines;
    }
    // The narrowest width that still needs no more lines spreads the text evenly.
    let count = lines.len();
    let (mut narrow, mut wide) = (max_width / count as f64, max_width);
    for _ in 0..12 {
        let middle = (narrow + wide) / 2.0;
        if fill(text, middle, size).len() <= count {
            wide = middle;
        } else {
            narrow = middle;
        }
    }
    let balanced = fill(text, wide, size);
    if balanced.len() == count {
        balanced
    } else {
        lines
    }
}

/// Greedy line filling: as much on each line as fits.
fn fill(text: &str, max_width: f64, size: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for unit in break_units(text.trim()) {
        if current.is_empty() && unit == " " {
            continue;
        }
        let candidate = format!("{current}{unit}");
        if text_width(candidate.trim_end(), size) <= max_width || current.is_empty() {
            current = candidate;
        } else {
            lines.push(current.trim_end().to_owned());
            current = unit.trim_start().to_owned();
        }
        // A single word wider than the line is cut by characters.
        while text_width(&current, size) > max_width && current.chars().count() > 1 {
            let mut head = String::new();
            let mut rest = current.chars().peekable();
            while let Some(c) = rest.peek().copied() {
                if !head.is_empty() && text_width(&format!("{head}{c}"), size) > max_width {
                    break;
                }
                head.push(c);
                rest.next();
            }
            let tail: String = rest.collect();
            if tail.is_empty() {
                break;
            }
            lines.push(head);
            current = tail;
        }
    }
    if !current.trim().is_empty() {
        lines.push(current.trim_end().to_owned());
    }
    lines
}

/// The visible title at the top left, wrapped to the chart's width. Returns the y where the
/// content below it starts.
pub(crate) fn title_block(svg: &mut Svg, options: &ChartOptions, width: f64) -> f64 {
    const SIZE: f64 = 17.0;
    const LINE: f64 = 24.0;
    if is_blank(&options.title) || options.title_hidden {
        return 0.0;
    }
    let lines = wrap(&options.title, width, SIZE, 3);
    svg.lines(
        0.0,
        SIZE,
        &lines,
        LINE,
        TextStyle::new(SIZE, palette::INK).bold(),
    );
    lines.len() as f64 * LINE + 10.0
}

/// Wraps a chart body in the outer `<svg>`: scalable (`viewBox`, `width="100%"`), named by its
/// `<title>` and described by its `<desc>` through `aria-labelledby`, fonts from the page.
pub(crate) fn document(
    options: &ChartOptions,
    width: f64,
    height: f64,
    summary: &str,
    defs: &str,
    body: Svg,
) -> String {
    let id = id_prefix(options);
    let description = if is_blank(&options.description) {
        summary
    } else {
        options.description.as_str()
    };
    let title = if is_blank(&options.title) {
        description
    } else {
        options.title.as_str()
    };
    let mut svg = Svg::new();
    let view_box = format!("0 0 {} {}", num(width), num(height.ceil()));
    let labelled_by = format!("{id}-title {id}-desc");
    svg.start(
        "svg",
        &[
            ("xmlns", "http://www.w3.org/2000/svg"),
            ("viewBox", &view_box),
            ("width", "100%"),
            ("role", "img"),
            ("aria-labelledby", &labelled_by),
            ("font-family", "inherit"),
            ("class", "lh-chart"),
        ],
    );
    svg.element("title", &[("id", &format!("{id}-title"))], title);
    svg.element("desc", &[("id", &format!("{id}-desc"))], description);
    let mut out = svg.into_string();
    out.push_str(defs);
    out.push_str(&body.into_string());
    out.push_str("</svg>");
    out
}

/// The message shown instead of a chart when there is nothing to draw.
pub(crate) fn no_data_text(options: &ChartOptions) -> &str {
    if is_blank(&options.no_data) {
        match options.lang {
            Lang::Zh => "暂无数据",
            Lang::En => "No data",
        }
    } else {
        &options.no_data
    }
}

/// A valid chart that says there is no data: the title, then the caller's message in a box.
pub(crate) fn no_data(options: &ChartOptions) -> String {
    let width = options.view_width();
    let message = no_data_text(options);
    let mut svg = Svg::new();
    let top = title_block(&mut svg, options, width);
    let box_height = 96.0;
    svg.empty(
        "rect",
        &[
            ("x", "0"),
            ("y", &num(top)),
            ("width", &num(width)),
            ("height", &num(box_height)),
            ("rx", "4"),
            ("fill", palette::NO_DATA_FILL),
        ],
    );
    let lines = wrap(message, width - 24.0, 15.0, 3);
    let first = top + box_height / 2.0 + 5.0 - (lines.len() as f64 - 1.0) * 10.0;
    svg.lines(
        width / 2.0,
        first,
        &lines,
        20.0,
        TextStyle::new(15.0, palette::MUTED).anchor(Anchor::Middle),
    );
    document(options, width, top + box_height, message, "", svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>\u{0}\u{7}"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("鼓楼区"), "鼓楼区");
    }

    #[test]
    fn numbers_for_attributes_are_short_and_never_negative_zero() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn wraps_chinese_between_characters_and_latin_at_spaces() {
        let lines = wrap("江北新区生物医药谷", 4.0 * 13.0, 13.0, 3);
        assert_eq!(lines, ["江北新", "区生物", "医药谷"]);
        assert_eq!(wrap("江北新区", 3.0 * 13.0, 13.0, 3), ["江北", "新区"]);
        let lines = wrap("Jiangbei New Area", 70.0, 13.0, 3);
        assert_eq!(lines, ["Jiangbei", "New Area"]);
        for line in &lines {
            assert!(text_width(line, 13.0) <= 70.0);
        }
    }

    #[test]
    fn wrapping_keeps_closing_punctuation_off_the_line_start() {
        let lines = wrap("一二三，四五", 3.0 * 13.0, 13.0, 3);
        assert!(lines.iter().all(|l| !l.starts_with('，')), "{lines:?}");
    }

    #[test]
    fn text_that_does_not_fit_ends_with_an_ellipsis() {
        let lines = wrap("一二三四五六七八九十", 3.0 * 13.0, 13.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
        assert!(text_width(&lines[1], 13.0) <= 3.0 * 13.0);
    }

    #[test]
    fn ids_are_made_safe_for_aria_references() {
        let options = ChartOptions {
            id: "a b\"c".into(),
            ..Default::default()
        };
        assert_eq!(id_prefix(&options), "a-b-c");
        assert_eq!(id_prefix(&ChartOptions::default()), "chart");
    }
}
