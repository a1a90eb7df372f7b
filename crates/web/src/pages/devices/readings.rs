//! `GET /me/devices/readings/{series}`: one of the resident's series over the last 48 hours:
//! a chart of the hourly lowest, mean and highest values (only the hours with readings, so
//! a reading twice a day still shows as points), and every reading with its device.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use devices::Period;
use kernel::{Lang, UtcMillis};
use ledger::PurposeOfUse;
use maud::html;

use super::monitoring::{
    min_mean_max, responsive_chart, series_or_404, target_caption, target_line, targets,
};
use super::words::{number, series_name, unit};
use super::{HOUR_MS, device_error, own_resident, record};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, data_table, page};
use crate::pages::registry::back_link;
use crate::state::AppState;

/// Hours the details page covers: "hourly for the last 48 hours" (issue 4's resident portal,
/// as the devices brief states it). A view, not a rule the platform acts on.
const HOURS: i64 = 48;

/// Most readings listed (a watch sending every minute would send 2,880 in 48 hours).
const MAX_LISTED: u32 = 5_000;

/// An hour as a chart label: `26日 07时` / `26th 07:00`.
fn hour_label(lang: Lang, start: i64) -> String {
    let zoned = UtcMillis(start).to_timestamp().to_zoned(
        jiff::tz::TimeZone::get(kernel::CITY_TIME_ZONE).unwrap_or(jiff::tz::TimeZone::UTC),
    );
    match lang {
        Lang::Zh => zoned.strftime("%-d日 %H时").to_string(),
        Lang::En => zoned.strftime("%d %H:00").to_string(),
    }
}

/// A recent time: `11月26日 07:30` / `11-26 07:30`. Readings are at most a month old (the
/// ingest's window), so the year would only crowd a phone's table.
pub(crate) fn short_time(lang: Lang, at: UtcMillis) -> String {
    let zoned = at.to_timestamp().to_zoned(
        jiff::tz::TimeZone::get(kernel::CITY_TIME_ZONE).unwrap_or(jiff::tz::TimeZone::UTC),
    );
    match lang {
        Lang::Zh => zoned.strftime("%-m月%-d日 %H:%M").to_string(),
        Lang::En => zoned.strftime("%m-%d %H:%M").to_string(),
    }
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(key): Path<String>,
) -> Response {
    let lang = ctx.lang;
    let result = async {
        let catalogue = app.devices.catalogue();
        let (measure, series) = series_or_404(catalogue, &key)?;
        let resident = own_resident(&app, &user).await?.ok_or(AppError::NotFound)?;
        let now = UtcMillis::now();
        let from = Period::Hour.start_of(now.0 - (HOURS - 1) * HOUR_MS);
        let to = Period::Hour.start_of(now.0) + HOUR_MS;
        let hours = app
            .devices
            .summaries(
                &resident.id,
                &series.key,
                Period::Hour,
                UtcMillis(from),
                UtcMillis(to),
            )
            .await
            .map_err(device_error)?;
        // Readings dated up to the clock skew ahead are accepted; list them too.
        let skew = catalogue.rules.clock_skew_ms();
        let mut list = app
            .devices
            .readings(
                &resident.id,
                Some(&series.key),
                UtcMillis(from),
                UtcMillis(now.0 + skew + 1),
                MAX_LISTED,
            )
            .await
            .map_err(device_error)?;
        list.reverse();
        let devices = app
            .devices
            .devices_of(&resident.id)
            .await
            .map_err(device_error)?;
        let target = targets(&app, &resident.id)
            .await?
            .into_iter()
            .find(|(k, _)| *k == series.element.key)
            .map(|(_, t)| t);
        record(
            &app,
            &user,
            "device.readings.view",
            &resident.id,
            PurposeOfUse::PatientRequest,
            &series.key,
        )
        .await;

        let name = series_name(lang, measure, series);
        let present: Vec<Option<&devices::Summary>> = hours.iter().map(Some).collect();
        let data = charts::ChartData {
            categories: hours
                .iter()
                .map(|h| hour_label(lang, h.period_start.0))
                .collect(),
            series: min_mean_max(lang, series, &present),
            unit: unit(series).to_owned(),
        };
        let title = tf(
            lang,
            "devices.hourly.chart_title",
            &[("series", &name), ("hours", &HOURS.to_string())],
        );
        let svg = responsive_chart(
            lang,
            &format!("hourly-{}", series.key),
            &title,
            &data,
            target_line(lang, target.as_ref()),
        );
        let headers = vec![
            t(lang, "devices.hourly.hour").to_owned(),
            format!("{} ({})", t(lang, "devices.chart.min"), unit(series)),
            format!("{} ({})", t(lang, "devices.chart.mean"), unit(series)),
            format!("{} ({})", t(lang, "devices.chart.max"), unit(series)),
            t(lang, "devices.table.count").to_owned(),
        ];
        let rows: Vec<Vec<String>> = hours
            .iter()
            .map(|h| {
                vec![
                    short_time(lang, h.period_start),
                    number(series, h.min),
                    number(series, h.mean),
                    number(series, h.max),
                    h.count.to_string(),
                ]
            })
            .collect();
        let source = match &target {
            Some(target) => format!(
                "{} {}",
                t(lang, "devices.chart.source_hourly"),
                target_caption(lang, series, target)
            ),
            None => t(lang, "devices.chart.source_hourly").to_owned(),
        };
        let reading_rows: Vec<Vec<String>> = list
            .iter()
            .map(|r| {
                let label = devices
                    .iter()
                    .find(|d| d.id == r.device_id)
                    .map(|d| d.label.clone())
                    .unwrap_or_else(|| "—".to_owned());
                vec![short_time(lang, r.taken_at), number(series, r.value), label]
            })
            .collect();
        let body = html! {
            (back_link("/me/devices#readings", t(lang, "devices.me.title")))
            h1 { (tf(lang, "devices.hourly.title", &[("series", &name), ("hours", &HOURS.to_string())])) }
            p.lead { (t(lang, "devices.hourly.intro")) }
            @if hours.is_empty() {
                p.muted { (tf(lang, "devices.hourly.none", &[("hours", &HOURS.to_string())])) }
            } @else {
                (chart_figure(lang, &svg, &headers, &rows, &source))
            }
            h2 { (t(lang, "devices.hourly.each")) }
            @if reading_rows.is_empty() {
                p.muted { (tf(lang, "devices.hourly.none", &[("hours", &HOURS.to_string())])) }
            } @else {
                div.devices-readings {
                    (data_table(&[
                        t(lang, "devices.hourly.taken_at").to_owned(),
                        format!("{name} ({})", unit(series)),
                        t(lang, "devices.hourly.device").to_owned(),
                    ], &reading_rows))
                }
            }
        };
        Ok::<_, AppError>(page(&ctx, &name, body))
    };
    match result.await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}
