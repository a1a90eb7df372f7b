//! Home monitoring as charts: per measure the latest value and, per series, a line chart of
//! the daily lowest, mean and highest values over the ingest's age window, with the control
//! target of the resident's disease templates where one applies, and the same figures as a
//! table. The resident's own page and the doctor's timeline card both draw it from here.

use charts::{ChartData, ChartOptions, LineChart, Series as ChartSeries, TargetLine};
use devices::{DeviceCatalogue, Measure, Period, Series, StoredReading, Summary};
use diseases::{Condition, Template};
use kernel::{Lang, UtcMillis};
use maud::{Markup, html};

use super::words::{self, amount, find_series, number, series_name, unit};
use super::{DAY_MS, device_error};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::chart_figure;
use crate::pages::registry::{age_years, disease_name, registry_error};
use crate::state::AppState;

/// A control target that applies to one element for this resident, and the template it is
/// from.
pub struct Target {
    pub condition: Condition,
    pub template: &'static Template,
}

impl Target {
    /// The highest value within target, if bounded above.
    fn upper(&self) -> Option<f64> {
        self.condition.lt.or(self.condition.le)
    }

    /// The lowest value within target, if bounded below.
    fn lower(&self) -> Option<f64> {
        self.condition.ge.or(self.condition.gt)
    }

    /// `低于 140 mmHg`, `4.4–7 mmol/L`.
    pub fn band_text(&self, lang: Lang, series: &Series) -> String {
        let c = &self.condition;
        let n = |v: f64| number(series, v);
        let unit = unit(series);
        let (key, args): (&str, Vec<(&str, String)>) = match (self.lower(), self.upper()) {
            (Some(low), Some(high)) => (
                "devices.target.range",
                vec![("low", n(low)), ("high", n(high))],
            ),
            (None, Some(high)) if c.lt.is_some() => {
                ("devices.target.below", vec![("high", n(high))])
            }
            (None, Some(high)) => ("devices.target.at_most", vec![("high", n(high))]),
            (Some(low), None) if c.gt.is_some() => ("devices.target.above", vec![("low", n(low))]),
            (Some(low), None) => ("devices.target.at_least", vec![("low", n(low))]),
            (None, None) => return String::new(),
        };
        let mut args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        args.push(("unit", unit));
        tf(lang, key, &args)
    }
}

/// The control targets of the resident's registers, by element key: for each enrolment's
/// template, the band that applies at the resident's age (or, when the age is unknown, the
/// target every band shares). The first register that sets a target on an element wins.
pub async fn targets(app: &AppState, resident_id: &str) -> Result<Vec<(String, Target)>, AppError> {
    let resident = app
        .clinical
        .residents()
        .resident(resident_id)
        .await
        .map_err(registry_error)?;
    let age = resident
        .as_ref()
        .and_then(|r| r.facts.birth())
        .map(|b| age_years(b, clinical::today()));
    let enrolments = app
        .clinical
        .registers()
        .enrolments_of(resident_id)
        .await
        .map_err(registry_error)?;
    let mut out: Vec<(String, Target)> = Vec::new();
    for e in &enrolments {
        let Some(template) = app.clinical.catalogue().get(&e.disease) else {
            continue;
        };
        let control = template.control();
        let conditions: Vec<&Condition> = match age {
            Some(age) => control
                .bands
                .iter()
                .find(|b| b.applies_at(u32::try_from(age).unwrap_or(0)))
                .map(|b| b.targets.iter().map(|t| &t.condition).collect())
                .unwrap_or_default(),
            None => control
                .bands
                .iter()
                .flat_map(|b| b.targets.iter())
                .filter_map(|t| control.target_for(&t.condition.key))
                .collect(),
        };
        for c in conditions {
            if !out.iter().any(|(k, _)| *k == c.key) {
                out.push((
                    c.key.clone(),
                    Target {
                        condition: c.clone(),
                        template,
                    },
                ));
            }
        }
    }
    Ok(out)
}

/// The days the charts cover: the ingest's age window from the data file, since older
/// readings do not enter the record without the doctor's review.
pub fn chart_days(catalogue: &DeviceCatalogue) -> i64 {
    catalogue.rules.max_age_days.value.max(1)
}

/// Starts (Unix ms) of the city days of the window ending today, oldest first.
pub fn day_starts(now: UtcMillis, days: i64) -> Vec<i64> {
    let today = Period::Day.start_of(now.0);
    // The city's zone has no daylight saving: a day is always 24 hours.
    (0..days).rev().map(|d| today - d * DAY_MS).collect()
}

/// A city day as a chart label: `11月26日` / `11-26`.
pub fn day_label(lang: Lang, start: i64) -> String {
    let date = UtcMillis(start).city_date();
    match lang {
        Lang::Zh => date.strftime("%-m月%-d日").to_string(),
        Lang::En => date.strftime("%m-%d").to_string(),
    }
}

/// The chart library's language.
pub fn chart_lang(lang: Lang) -> charts::Lang {
    match lang {
        Lang::Zh => charts::Lang::Zh,
        Lang::En => charts::Lang::En,
    }
}

/// The figures of each category as the chart's three lines (highest, mean, lowest); as one
/// line of readings when no period holds more than one (three lines on one another would say
/// nothing more).
pub fn min_mean_max(lang: Lang, series: &Series, periods: &[Option<&Summary>]) -> Vec<ChartSeries> {
    let present: Vec<&Summary> = periods.iter().flatten().copied().collect();
    // Devices that send whole numbers (pressures, pulse) get whole means too.
    let whole = present
        .iter()
        .all(|s| s.min.fract() == 0.0 && s.max.fract() == 0.0);
    let decimals = if whole {
        0
    } else {
        words::decimals(series).max(1)
    };
    let scale = 10f64.powi(i32::try_from(decimals).unwrap_or(1));
    let round = |v: f64| (v * scale).round() / scale;
    let line = |key: &str, pick: fn(&Summary) -> f64| {
        ChartSeries::new(
            t(lang, key),
            periods
                .iter()
                .map(|p| p.map(|s| round(pick(s))).unwrap_or(f64::NAN))
                .collect(),
        )
    };
    if present.iter().all(|s| s.count == 1) {
        return vec![line("devices.chart.reading", |s| s.mean)];
    }
    vec![
        line("devices.chart.max", |s| s.max),
        line("devices.chart.mean", |s| s.mean),
        line("devices.chart.min", |s| s.min),
    ]
}

/// Decimals of a chart's printed values: none when every value is whole.
fn chart_decimals(data: &ChartData) -> usize {
    let whole = data
        .series
        .iter()
        .flat_map(|s| s.values.iter())
        .filter(|v| v.is_finite())
        .all(|v| v.fract() == 0.0);
    if whole { 0 } else { 1 }
}

/// A line chart drawn twice, for wide screens and for phones (the CSS shows one): text in a
/// chart keeps its size only at the width it was drawn for.
pub fn responsive_chart(
    lang: Lang,
    id: &str,
    title: &str,
    data: &ChartData,
    target: Option<TargetLine>,
) -> String {
    let draw = |width: f64, suffix: &str| {
        LineChart {
            options: ChartOptions {
                id: format!("{id}-{suffix}"),
                title: title.to_owned(),
                no_data: t(lang, "devices.chart.no_data").to_owned(),
                lang: chart_lang(lang),
                decimals: Some(chart_decimals(data)),
                width,
                ..ChartOptions::default()
            },
            target: target.clone(),
            start_at_zero: false,
        }
        .render(data)
    };
    format!(
        "<div class=\"devices-chart-wide\">{}</div><div class=\"devices-chart-narrow\">{}</div>",
        draw(640.0, "wide"),
        draw(360.0, "narrow")
    )
}

/// The target line drawn on a chart: the upper bound where there is one (the one readings
/// usually cross), else the lower.
pub fn target_line(lang: Lang, target: Option<&Target>) -> Option<TargetLine> {
    let t_ = target?;
    let value = t_.upper().or(t_.lower())?;
    Some(TargetLine {
        value,
        label: t(lang, "devices.chart.target").to_owned(),
    })
}

/// `控制目标（高血压）：低于 140 mmHg`, with a note when the target is set on another element
/// than the series (a meter's glucose judged by the fasting target).
pub fn target_caption(lang: Lang, series: &Series, target: &Target) -> String {
    let mut text = tf(
        lang,
        "devices.target.caption",
        &[
            ("disease", disease_name(lang, target.template)),
            ("band", &target.band_text(lang, series)),
        ],
    );
    if series.key != series.element.key {
        text.push_str(&tf(
            lang,
            "devices.target.element_note",
            &[(
                "element",
                words::pick(lang, &series.element.name_zh, &series.element.name_en),
            )],
        ));
    }
    text
}

/// Whose charts, when, and the prefix of their element ids.
struct View<'a> {
    app: &'a AppState,
    lang: Lang,
    resident_id: &'a str,
    now: UtcMillis,
    id_prefix: &'a str,
}

/// One series' daily chart with its table view.
async fn daily_chart(
    view: &View<'_>,
    measure: &Measure,
    series: &Series,
    target: Option<&Target>,
) -> Result<Markup, AppError> {
    let View {
        app,
        lang,
        resident_id,
        now,
        id_prefix,
    } = *view;
    let days = day_starts(now, chart_days(app.devices.catalogue()));
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return Ok(html! {});
    };
    let summaries = app
        .devices
        .summaries(
            resident_id,
            &series.key,
            Period::Day,
            UtcMillis(first),
            UtcMillis(last + DAY_MS),
        )
        .await
        .map_err(device_error)?;
    let by_day: Vec<Option<&Summary>> = days
        .iter()
        .map(|d| summaries.iter().find(|s| s.period_start.0 == *d))
        .collect();
    let name = series_name(lang, measure, series);
    let data = ChartData {
        categories: days.iter().map(|d| day_label(lang, *d)).collect(),
        series: min_mean_max(lang, series, &by_day),
        unit: unit(series).to_owned(),
    };
    let title = tf(
        lang,
        "devices.chart.daily_title",
        &[("series", &name), ("days", &days.len().to_string())],
    );
    let svg = responsive_chart(
        lang,
        &format!("{id_prefix}-{}", series.key),
        &title,
        &data,
        target_line(lang, target),
    );
    let headers = vec![
        t(lang, "devices.table.date").to_owned(),
        format!("{} ({})", t(lang, "devices.chart.min"), unit(series)),
        format!("{} ({})", t(lang, "devices.chart.mean"), unit(series)),
        format!("{} ({})", t(lang, "devices.chart.max"), unit(series)),
        t(lang, "devices.table.count").to_owned(),
    ];
    let rows: Vec<Vec<String>> = summaries
        .iter()
        .map(|s| {
            vec![
                UtcMillis(s.period_start.0).format_date(lang),
                number(series, s.min),
                number(series, s.mean),
                number(series, s.max),
                s.count.to_string(),
            ]
        })
        .collect();
    let source = match target {
        Some(target) => format!(
            "{} {}",
            t(lang, "devices.chart.source"),
            target_caption(lang, series, target)
        ),
        None => t(lang, "devices.chart.source").to_owned(),
    };
    Ok(chart_figure(lang, &svg, &headers, &rows, &source))
}

/// The latest reading of a measure in words: `128/82 mmHg` for both pressures of one
/// measurement, each value with its unit otherwise.
fn latest_text(
    catalogue: &DeviceCatalogue,
    measure: &Measure,
    latest: &[&StoredReading],
) -> String {
    let same_message = latest.len() > 1
        && latest
            .iter()
            .all(|r| r.message_id == latest[0].message_id && r.device_id == latest[0].device_id);
    if same_message && measure.series.len() == latest.len() {
        let values: Vec<String> = measure
            .series
            .iter()
            .filter_map(|s| {
                latest
                    .iter()
                    .find(|r| r.series == s.key)
                    .map(|r| number(s, r.value))
            })
            .collect();
        let unit = measure.series.first().map(unit).unwrap_or_default();
        return format!("{} {unit}", values.join("/"));
    }
    latest
        .iter()
        .map(|r| amount(catalogue, &r.series, r.value))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Every measure the resident has readings of: the latest value, the daily charts and, when
/// `details` is set (the resident's own page), a link to each series' last 48 hours.
pub async fn measures(
    app: &AppState,
    lang: Lang,
    resident_id: &str,
    now: UtcMillis,
    details: bool,
    id_prefix: &str,
) -> Result<Markup, AppError> {
    let catalogue = app.devices.catalogue();
    let latest = app
        .devices
        .latest(resident_id)
        .await
        .map_err(device_error)?;
    if latest.is_empty() {
        return Ok(html! { p.muted { (t(lang, "devices.readings.none")) } });
    }
    let targets = targets(app, resident_id).await?;
    let view = View {
        app,
        lang,
        resident_id,
        now,
        id_prefix,
    };
    let mut blocks = Vec::new();
    for measure in &catalogue.measures {
        let mine: Vec<&StoredReading> = latest
            .iter()
            .filter(|r| measure.series.iter().any(|s| s.key == r.series))
            .collect();
        let Some(newest) = mine.iter().map(|r| r.taken_at.0).max() else {
            continue;
        };
        let mut figures = Vec::new();
        for series in &measure.series {
            if !mine.iter().any(|r| r.series == series.key) {
                continue;
            }
            let target = targets
                .iter()
                .find(|(k, _)| *k == series.element.key)
                .map(|(_, t)| t);
            figures.push((series, daily_chart(&view, measure, series, target).await?));
        }
        blocks.push(html! {
            section.devices-measure id={ (id_prefix) "-" (measure.key) } {
                h3 { (words::measure_name(lang, measure)) }
                p.devices-latest {
                    span.muted { (t(lang, "devices.readings.latest")) " " }
                    strong { (latest_text(catalogue, measure, &mine)) }
                    " "
                    span.muted.nowrap { (UtcMillis(newest).format_datetime(lang)) }
                }
                @for (series, figure) in &figures {
                    (figure)
                    @if details {
                        p.devices-details-link {
                            a href={ "/me/devices/readings/" (series.key) } {
                                (tf(lang, "devices.readings.details_link", &[("series", &series_name(lang, measure, series))]))
                            }
                        }
                    }
                }
            }
        });
    }
    Ok(html! { @for b in &blocks { (b) } })
}

/// The measure and series of `key`, or Not Found.
pub fn series_or_404(
    catalogue: &'static DeviceCatalogue,
    key: &str,
) -> Result<(&'static Measure, &'static Series), AppError> {
    find_series(catalogue, key).ok_or(AppError::NotFound)
}
