//! The district map: a tile-grid cartogram of Nanjing's twelve units.

use std::fmt;

use crate::axis::nice_ticks;
use crate::format::{MISSING, format_number, with_unit};
use crate::palette::{self, Rgb, sequential, text_on};
use crate::svg::{self, Anchor, Svg, TextStyle, num, text_width, wrap};
use crate::table::Table;
use crate::{ChartOptions, Lang, describe};

/// One unit of the map and its tile's place on the grid (column from the west, row from the
/// north).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct District {
    /// Full Chinese name, e.g. `鼓楼区`.
    pub name: &'static str,
    /// Printed on the tile in Chinese, e.g. `鼓楼`.
    pub short_name: &'static str,
    /// Full English name, e.g. `Gulou District`.
    pub english_name: &'static str,
    /// Printed on the tile in English, e.g. `Gulou`.
    pub english_short: &'static str,
    pub column: u8,
    pub row: u8,
}

const fn district(
    name: &'static str,
    short_name: &'static str,
    english_name: &'static str,
    english_short: &'static str,
    column: u8,
    row: u8,
) -> District {
    District {
        name,
        short_name,
        english_name,
        english_short,
        column,
        row,
    }
}

/// Nanjing's eleven districts and 江北新区, on a grid of 4 columns and 7 rows, north at the
/// top. This is a schematic map, not a geographic one: every unit gets one equal tile, placed
/// roughly where it lies, so small central districts are as visible as 江宁区.
///
/// ```text
///          0       1        2       3
///   0      .      六合       ·       ·      (· : the legend sits here)
///   1     浦口   江北新区     ·       ·
///          ~~~~~~~~~~~~ 长江 ~~~~~~~~~~~~~
///   2      .      鼓楼      玄武    栖霞
///   3      .      建邺      秦淮     .
///   4      .     雨花台     江宁     .
///   5      .       .        溧水     .
///   6      .       .        高淳     .
/// ```
pub const NANJING_DISTRICTS: [District; 12] = [
    district("六合区", "六合", "Luhe District", "Luhe", 1, 0),
    district("浦口区", "浦口", "Pukou District", "Pukou", 0, 1),
    district(
        "江北新区",
        "江北新区",
        "Jiangbei New Area",
        "Jiangbei",
        1,
        1,
    ),
    district("鼓楼区", "鼓楼", "Gulou District", "Gulou", 1, 2),
    district("玄武区", "玄武", "Xuanwu District", "Xuanwu", 2, 2),
    district("栖霞区", "栖霞", "Qixia District", "Qixia", 3, 2),
    district("建邺区", "建邺", "Jianye District", "Jianye", 1, 3),
    district("秦淮区", "秦淮", "Qinhuai District", "Qinhuai", 2, 3),
    district("雨花台区", "雨花台", "Yuhuatai District", "Yuhuatai", 1, 4),
    district("江宁区", "江宁", "Jiangning District", "Jiangning", 2, 4),
    district("溧水区", "溧水", "Lishui District", "Lishui", 2, 5),
    district("高淳区", "高淳", "Gaochun District", "Gaochun", 2, 6),
];

const COLUMNS: f64 = 4.0;
const ROWS: usize = 7;
/// Tiles above this row are north of the Yangtze.
const FIRST_SOUTH_ROW: u8 = 2;

impl District {
    /// The unit a name means: its full or short Chinese name, or its full or short English
    /// name in any letter case (`鼓楼区`, `鼓楼`, `Gulou District`, `gulou`).
    pub fn find(name: &str) -> Option<&'static District> {
        district_index(name).and_then(|i| NANJING_DISTRICTS.get(i))
    }
}

/// The position in [`NANJING_DISTRICTS`] of the unit `name` means (see [`District::find`]).
pub(crate) fn district_index(name: &str) -> Option<usize> {
    let name = name.trim();
    NANJING_DISTRICTS.iter().position(|d| {
        d.name == name
            || d.short_name == name
            || d.english_name.eq_ignore_ascii_case(name)
            || d.english_short.eq_ignore_ascii_case(name)
    })
}

/// Why values could not be placed on the map.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MapError {
    /// Names that are not one of the twelve units.
    pub unknown: Vec<String>,
    /// Names given for a unit that already had a value.
    pub repeated: Vec<String>,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.unknown.is_empty() {
            parts.push(format!(
                "not a Nanjing district: {}",
                self.unknown.join(", ")
            ));
        }
        if !self.repeated.is_empty() {
            parts.push(format!(
                "given more than once: {}",
                self.repeated.join(", ")
            ));
        }
        write!(f, "{}", parts.join("; "))
    }
}

impl std::error::Error for MapError {}

/// A tile map of Nanjing: one rounded tile per unit (see [`NANJING_DISTRICTS`] for the
/// layout), shaded on a light-to-dark blue scale by value, with the unit's short name and
/// value printed in the tile so the colour is never needed to read it. A legend shows the
/// scale; the Yangtze is drawn between the north-bank units and the rest for orientation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DistrictMap {
    /// `lang` picks Chinese or English tile names; `highlight` (any accepted name) outlines
    /// a unit, e.g. the viewer's own.
    pub options: ChartOptions,
    /// The unit of the values, shown in the legend and tooltips.
    pub unit: String,
}

impl DistrictMap {
    /// The map as an `<svg>` element.
    ///
    /// `values` pairs a unit's name (any form [`District::find`] accepts) with its value.
    /// Units without a value, or with NaN or an infinite value, show `—` on a white tile.
    /// Without any finite non-zero value the map shows the no-data message instead.
    ///
    /// # Errors
    /// A name that is not one of the twelve units, or a unit named twice: the error lists
    /// every such name, so a renamed district is caught rather than silently dropped.
    pub fn render(&self, values: &[(String, f64)]) -> Result<String, MapError> {
        let placed = place(values)?;
        let o = &self.options;
        let finite: Vec<f64> = placed.iter().flatten().copied().collect();
        if !finite.iter().any(|v| *v != 0.0) {
            return Ok(svg::no_data(o));
        }
        let decimals = o.decimals_for(finite.iter().copied());
        let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let ticks = nice_ticks(lo, hi);
        let shade = |v: f64| (v - ticks.min()) / (ticks.max() - ticks.min());
        let highlighted = o.highlight.as_deref().and_then(district_index);

        let width = o.view_width();
        let mut svg = Svg::new();
        let top = svg::title_block(&mut svg, o, width);
        let gap = 6.0;
        let river = 22.0;
        // Near-square tiles would make the seven rows very tall; 3:2 keeps the map about as
        // tall as it is wide while leaving room for two lines of text.
        let tile_w = ((width - (COLUMNS - 1.0) * gap) / COLUMNS).min(120.0);
        let tile_h = (tile_w * 0.66).clamp(50.0, 80.0);
        let grid_w = COLUMNS * tile_w + (COLUMNS - 1.0) * gap;
        let x0 = (width - grid_w) / 2.0;
        let col_x = |c: u8| x0 + f64::from(c) * (tile_w + gap);
        let row_y = |r: u8| {
            let south = if r >= FIRST_SOUTH_ROW { river } else { 0.0 };
            top + f64::from(r) * (tile_h + gap) + south
        };

        // The Yangtze, between the north-bank rows and the rest.
        let river_y = row_y(FIRST_SOUTH_ROW) - (gap + river) / 2.0;
        svg.empty(
            "line",
            &[
                ("x1", &num(x0)),
                ("y1", &num(river_y)),
                ("x2", &num(x0 + grid_w)),
                ("y2", &num(river_y)),
                ("stroke", palette::RIVER),
                ("stroke-width", "4"),
                ("stroke-linecap", "round"),
            ],
        );
        // Named in the empty cell south of 浦口, where it crowds no tile.
        svg.text(
            x0 + 2.0,
            river_y + 18.0,
            match o.lang {
                Lang::Zh => "长江",
                Lang::En => "Yangtze",
            },
            TextStyle::new(12.0, palette::MUTED),
        );

        for (i, d) in NANJING_DISTRICTS.iter().enumerate() {
            let (x, y) = (col_x(d.column), row_y(d.row));
            let value = placed[i];
            let fill = value.map(|v| sequential(shade(v)));
            let (full, short) = match o.lang {
                Lang::Zh => (d.name, d.short_name),
                Lang::En => (d.english_name, d.english_short),
            };
            let value_text = value.map_or(MISSING.to_owned(), |v| format_number(v, decimals));
            let tooltip = format!("{full}: {}", with_unit(&value_text, &self.unit));
            let fill_hex = fill.map_or("#ffffff".to_owned(), Rgb::hex);
            let mut attrs = vec![
                ("x", num(x)),
                ("y", num(y)),
                ("width", num(tile_w)),
                ("height", num(tile_h)),
                ("rx", "6".to_owned()),
                ("fill", fill_hex),
            ];
            if highlighted == Some(i) {
                attrs.push(("stroke", palette::INK.to_owned()));
                attrs.push(("stroke-width", "3".to_owned()));
            } else if value.is_none() {
                attrs.push(("stroke", palette::BORDER.to_owned()));
                attrs.push(("stroke-dasharray", "4 3".to_owned()));
            }
            let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            svg.mark("rect", &attrs, &tooltip);
            let ink = fill.map_or(palette::MUTED, text_on);
            let name = wrap(short, tile_w - 8.0, 13.0, 1)
                .into_iter()
                .next()
                .unwrap_or_default();
            let cx = x + tile_w / 2.0;
            let cy = y + tile_h / 2.0;
            svg.text(
                cx,
                cy - 4.0,
                &name,
                TextStyle::new(13.0, ink).bold().anchor(Anchor::Middle),
            );
            svg.text(
                cx,
                cy + 14.0,
                &value_text,
                TextStyle::new(15.0, ink).anchor(Anchor::Middle),
            );
        }

        // The legend fills the empty cells east of 六合 and 江北新区.
        let legend_x = col_x(2);
        let legend_w = 2.0 * tile_w + gap;
        let mut ly = row_y(0) + 4.0;
        if !svg::is_blank(&self.unit) {
            svg.text(
                legend_x + 4.0,
                ly + 12.0,
                &self.unit,
                TextStyle::new(12.0, palette::MUTED),
            );
            ly += 20.0;
        }
        let labels: Vec<String> = ticks
            .values
            .iter()
            .map(|v| format_number(*v, ticks.decimals))
            .collect();
        let half = |s: Option<&String>| s.map_or(0.0, |s| text_width(s, 12.0) / 2.0);
        let bar_x = legend_x + 4.0 + half(labels.first());
        let bar_w = legend_w - 8.0 - half(labels.first()) - half(labels.last());
        let id = svg::id_prefix(o);
        let gradient = format!("url(#{id}-scale)");
        svg.empty(
            "rect",
            &[
                ("x", &num(bar_x)),
                ("y", &num(ly)),
                ("width", &num(bar_w)),
                ("height", "12"),
                ("fill", &gradient),
                ("stroke", palette::BORDER),
                ("stroke-width", "0.5"),
            ],
        );
        let step_w = bar_w / (labels.len().max(2) - 1) as f64;
        let widest = labels
            .iter()
            .map(|l| text_width(l, 12.0))
            .fold(0.0, f64::max);
        let every = if widest + 6.0 > step_w { 2 } else { 1 };
        for (i, label) in labels.iter().enumerate() {
            let x = bar_x + i as f64 * step_w;
            svg.line(x, ly + 12.0, x, ly + 16.0, palette::MUTED, 1.0);
            if i % every == 0 {
                svg.text(
                    x,
                    ly + 29.0,
                    label,
                    TextStyle::new(12.0, palette::MUTED).anchor(Anchor::Middle),
                );
            }
        }
        if placed.iter().any(Option::is_none) {
            let sy = ly + 40.0;
            svg.empty(
                "rect",
                &[
                    ("x", &num(legend_x + 4.0)),
                    ("y", &num(sy)),
                    ("width", "14"),
                    ("height", "14"),
                    ("rx", "2"),
                    ("fill", "#ffffff"),
                    ("stroke", palette::BORDER),
                    ("stroke-dasharray", "4 3"),
                ],
            );
            let note = format!("{MISSING} {}", svg::no_data_text(o));
            let note = wrap(&note, legend_w - 28.0, 12.0, 1)
                .into_iter()
                .next()
                .unwrap_or_default();
            svg.text(
                legend_x + 24.0,
                sy + 11.5,
                &note,
                TextStyle::new(12.0, palette::MUTED),
            );
        }

        let defs = gradient_defs(&id);
        let named: Vec<(String, f64)> = NANJING_DISTRICTS
            .iter()
            .zip(&placed)
            .filter_map(|(d, v)| {
                let name = match o.lang {
                    Lang::Zh => d.name,
                    Lang::En => d.english_name,
                };
                v.map(|v| (name.to_owned(), v))
            })
            .collect();
        let missing = placed.iter().filter(|v| v.is_none()).count();
        let summary = describe::districts(&named, missing, decimals, &self.unit, o.lang);
        let height = row_y(ROWS as u8 - 1) + tile_h + 4.0;
        Ok(svg::document(o, width, height, &summary, &defs, svg))
    }

    /// The same data as a table: one row per unit in map order (north to south), named in
    /// the map's language, with `—` for units without a value.
    ///
    /// # Errors
    /// As [`DistrictMap::render`].
    pub fn table(
        &self,
        values: &[(String, f64)],
        district_header: &str,
        value_header: &str,
    ) -> Result<Table, MapError> {
        let placed = place(values)?;
        let decimals = self.options.decimals_for(placed.iter().flatten().copied());
        let rows = NANJING_DISTRICTS
            .iter()
            .zip(&placed)
            .map(|(d, v)| {
                let name = match self.options.lang {
                    Lang::Zh => d.name,
                    Lang::En => d.english_name,
                };
                vec![
                    name.to_owned(),
                    v.map_or(MISSING.to_owned(), |v| format_number(v, decimals)),
                ]
            })
            .collect();
        Ok(Table {
            headers: vec![district_header.to_owned(), value_header.to_owned()],
            rows,
        })
    }
}

/// The finite value of each unit, in [`NANJING_DISTRICTS`] order.
fn place(values: &[(String, f64)]) -> Result<[Option<f64>; 12], MapError> {
    let mut placed = [None; 12];
    let mut seen = [false; 12];
    let mut error = MapError::default();
    for (name, value) in values {
        match district_index(name) {
            None => error.unknown.push(name.clone()),
            Some(i) if seen[i] => error.repeated.push(name.clone()),
            Some(i) => {
                seen[i] = true;
                placed[i] = Some(*value).filter(|v| v.is_finite());
            }
        }
    }
    if error.unknown.is_empty() && error.repeated.is_empty() {
        Ok(placed)
    } else {
        Err(error)
    }
}

/// The legend's gradient, with the same stops as the tiles' scale so they match exactly.
fn gradient_defs(id: &str) -> String {
    let mut svg = Svg::new();
    svg.start("defs", &[]);
    svg.start("linearGradient", &[("id", &format!("{id}-scale"))]);
    for t in [0.0, 0.5, 1.0] {
        svg.empty(
            "stop",
            &[("offset", &num(t)), ("stop-color", &sequential(t).hex())],
        );
    }
    svg.end("linearGradient");
    svg.end("defs");
    svg.into_string()
}
