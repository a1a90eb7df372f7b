//! `GET /residents/{id}`: a resident's record from every source as one timeline, with the
//! registers they are on, why, and the trend of key measures. `GET /me/record` sends a
//! resident to their own.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use charts::{ChartData, ChartOptions, LineChart, Series, TargetLine};
use kernel::{Lang, UtcMillis, mask_name};
use maud::{Markup, html};
use records::Stored;
use serde_json::Value;

use super::{
    Orgs, actor, age, back_link, clinical_error, control_tag, date, date_or_dash, disease_name,
    district_name, followup_tag, next_followup, pick, registry_error, sex,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, page};
use crate::state::AppState;

const LOINC: &str = "http://loinc.org";

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(resident_id): Path<String>,
) -> Response {
    match render(&app, &ctx, &user, &resident_id).await {
        Ok(r) => r,
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// The signed-in resident's own record, or a page saying there is none yet.
pub async fn mine(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    let own = match app
        .clinical
        .residents()
        .residents_of_user(&user.user_id)
        .await
    {
        Ok(ids) => ids,
        Err(e) => return ctx.page_error(registry_error(e)).into_response(),
    };
    if let Some(id) = own.first() {
        return Redirect::to(&format!("/residents/{id}")).into_response();
    }
    let body = html! {
        h1 { (t(lang, "timeline.my_record")) }
        p.lead { (t(lang, "timeline.no_record")) }
        p { (t(lang, "timeline.no_record_help")) }
        p { a.button href="/" { (t(lang, "error.back")) } }
    };
    page(&ctx, t(lang, "timeline.my_record"), body).into_response()
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &access::Principal,
    resident_id: &str,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let actor = actor(user);
    // Checks reach (404 outside it) and puts the view on the ledger.
    let record = app
        .clinical
        .resident_record(&actor, resident_id)
        .await
        .map_err(clinical_error)?;
    let resident = app
        .clinical
        .residents()
        .resident(resident_id)
        .await
        .map_err(registry_error)?
        .ok_or(AppError::NotFound)?;
    let enrolments = app
        .clinical
        .registers()
        .enrolments_of(resident_id)
        .await
        .map_err(registry_error)?;
    let orgs = Orgs::load(app).await?;
    let doctor = match resident.care.family_doctor_id.as_deref() {
        Some(id) => app.accounts.user(id).await?.map(|u| u.display_name),
        None => None,
    };
    let today = clinical::today();
    let name = resident
        .facts
        .name
        .as_deref()
        .map(mask_name)
        .unwrap_or_else(|| "—".into());
    let own = resident.care.user_id.as_deref() == Some(user.user_id.as_str());
    let record: Vec<&Stored> = record.iter().filter(|s| !s.deleted).collect();
    // Home devices: daily readings against the registers' targets, and readings waiting for
    // the doctor's review (the record's reach was checked above).
    let monitoring = crate::pages::devices::timeline_section(app, resident_id, lang).await;

    let body = html! {
        @if actor.write {
            (back_link("/worklist", t(lang, "worklist.title")))
        } @else {
            (back_link("/registry", t(lang, "registry.title")))
        }
        h1 { (tf(lang, "timeline.heading", &[("name", &name)])) }
        section.card.resident-card aria-label=(t(lang, "timeline.about")) {
            dl.summary {
                dt { (t(lang, "registry.name")) } dd { (name) }
                dt { (t(lang, "registry.sex")) } dd { (sex(lang, resident.facts.sex().map(kernel::Sex::fhir_code))) }
                dt { (t(lang, "registry.age")) } dd { (age(lang, resident.facts.birth(), today)) }
                dt { (t(lang, "registry.district")) } dd { (district_name(lang, resident.care.district.as_deref())) }
                dt { (t(lang, "registry.centre")) } dd { (orgs.name(resident.care.community_centre_id.as_deref(), lang)) }
                dt { (t(lang, "timeline.family_doctor")) } dd { (doctor.as_deref().unwrap_or("—")) }
            }
            p.muted.small { (if own { t(lang, "timeline.audit_note_own") } else { t(lang, "timeline.audit_note") }) }
        }
        h2 { (t(lang, "timeline.registers")) }
        @if enrolments.is_empty() {
            p.muted { (t(lang, "timeline.no_registers")) }
        } @else {
            div.cards {
                @for e in &enrolments {
                    @let template = app.clinical.catalogue().get(&e.disease);
                    section.card {
                        h3 { (template.map(|t| disease_name(lang, t).to_owned()).unwrap_or_else(|| e.disease.clone())) }
                        dl.summary {
                            dt { (t(lang, "registry.reason")) } dd { (pick(lang, &e.reason_zh, &e.reason_en)) }
                            dt { (t(lang, "registry.enrolled_on")) } dd { (date(lang, e.enrolled_on)) }
                            dt { (t(lang, "timeline.source")) } dd { (orgs.name(Some(&e.source_organisation), lang)) }
                            dt { (t(lang, "registry.last_visit")) } dd { (date_or_dash(lang, e.last_visit)) " " (control_tag(lang, e)) }
                            @if let Some(template) = template {
                                @let next = next_followup(template, e, today);
                                dt { (t(lang, "registry.next_followup")) } dd { (date(lang, next.due)) " " (followup_tag(lang, &next)) }
                            }
                        }
                        @if actor.write {
                            a.button href={ "/registry/enrolments/" (e.id) "/followup" } { (t(lang, "worklist.record")) }
                        }
                    }
                }
            }
        }
        (trends(lang, &record))
        (monitoring)
        h2 { (t(lang, "timeline.all_records")) }
        (timeline(lang, &orgs, &record))
    };
    Ok(page(ctx, &tf(lang, "timeline.heading", &[("name", &name)]), body).into_response())
}

/// Whether a resource is a home-device daily summary (`devices::record`): charted in the
/// home-monitoring card, not among the clinics' measures, and sourced to the devices.
fn is_home_summary(body: &Value) -> bool {
    let (system, code) = devices::RECORD_SOURCE_TAG;
    body.pointer("/meta/tag")
        .and_then(Value::as_array)
        .is_some_and(|tags| {
            tags.iter().any(|t| {
                t.get("system").and_then(Value::as_str) == Some(system)
                    && t.get("code").and_then(Value::as_str) == Some(code)
            })
        })
}

/// The LOINC codes of an Observation.
fn loinc_codes(body: &Value) -> Vec<&str> {
    body.pointer("/code/coding")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| c.get("system").and_then(Value::as_str) == Some(LOINC))
        .filter_map(|c| c.get("code").and_then(Value::as_str))
        .collect()
}

/// The date of a resource as care sees it (when it happened), `YYYY-MM-DD`.
fn clinical_date(s: &Stored) -> String {
    let b = &s.body;
    [
        "/effectiveDateTime",
        "/effectivePeriod/start",
        "/period/start",
        "/onsetDateTime",
        "/recordedDate",
        "/authoredOn",
        "/performedDateTime",
        "/issued",
        "/date",
    ]
    .iter()
    .find_map(|p| b.pointer(p).and_then(Value::as_str))
    .map(|d| d.chars().take(10).collect())
    .unwrap_or_else(|| UtcMillis(s.last_updated).city_date().to_string())
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{}", (v * 100.0).round() / 100.0)
    }
}

/// One chart of measures over time: (LOINC, series name key) pairs, unit, target line.
struct Trend {
    id: &'static str,
    title: &'static str,
    series: &'static [(&'static str, &'static str)],
    unit: &'static str,
    target: Option<(f64, &'static str)>,
}

const TRENDS: [Trend; 3] = [
    Trend {
        id: "trend-bp",
        title: "timeline.chart_bp",
        series: &[("8480-6", "timeline.sbp"), ("8462-4", "timeline.dbp")],
        unit: "mmHg",
        target: Some((140.0, "timeline.target_sbp")),
    },
    Trend {
        id: "trend-fpg",
        title: "timeline.chart_fpg",
        series: &[("1558-6", "timeline.fpg")],
        unit: "mmol/L",
        target: None,
    },
    Trend {
        id: "trend-hba1c",
        title: "timeline.chart_hba1c",
        series: &[("4548-4", "timeline.hba1c")],
        unit: "%",
        target: None,
    },
];

fn trends(lang: Lang, record: &[&Stored]) -> Markup {
    let observations: Vec<(String, &str, f64)> = record
        .iter()
        .filter(|s| s.resource_type == "Observation" && !is_home_summary(&s.body))
        .flat_map(|s| {
            let day = clinical_date(s);
            let value = s
                .body
                .pointer("/valueQuantity/value")
                .and_then(Value::as_f64);
            loinc_codes(&s.body)
                .into_iter()
                .filter_map(move |code| value.map(|v| (day.clone(), code, v)))
        })
        .collect();
    let charts: Vec<Markup> = TRENDS
        .iter()
        .filter_map(|trend| trend_chart(lang, trend, &observations))
        .collect();
    html! {
        @if !charts.is_empty() {
            h2 { (t(lang, "timeline.trends")) }
            @for c in charts { (c) }
        }
    }
}

fn trend_chart(lang: Lang, trend: &Trend, observations: &[(String, &str, f64)]) -> Option<Markup> {
    // Date → one value per series (the last recorded that day).
    let mut by_day: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (day, code, value) in observations {
        if let Some(i) = trend.series.iter().position(|(c, _)| c == code) {
            by_day
                .entry(day.as_str())
                .or_insert_with(|| vec![f64::NAN; trend.series.len()])[i] = *value;
        }
    }
    if by_day.is_empty() {
        return None;
    }
    let days: Vec<String> = by_day
        .keys()
        .map(|d| {
            d.parse::<jiff::civil::Date>()
                .map(|d| short_date(lang, d))
                .unwrap_or_else(|_| (*d).to_owned())
        })
        .collect();
    let data = ChartData {
        categories: days.clone(),
        series: trend
            .series
            .iter()
            .enumerate()
            .map(|(i, (_, key))| Series::new(t(lang, key), by_day.values().map(|v| v[i]).collect()))
            .collect(),
        unit: trend.unit.to_owned(),
    };
    let svg = LineChart {
        options: ChartOptions {
            id: trend.id.to_owned(),
            title: t(lang, trend.title).to_owned(),
            no_data: t(lang, "home.no_data").to_owned(),
            lang: if lang == Lang::En {
                charts::Lang::En
            } else {
                charts::Lang::Zh
            },
            ..ChartOptions::default()
        },
        target: trend.target.map(|(value, label)| TargetLine {
            value,
            label: t(lang, label).to_owned(),
        }),
        start_at_zero: false,
    }
    .render(&data);
    let mut headers = vec![t(lang, "timeline.date").to_owned()];
    headers.extend(
        trend
            .series
            .iter()
            .map(|(_, key)| format!("{} ({})", t(lang, key), trend.unit)),
    );
    let rows: Vec<Vec<String>> = by_day
        .iter()
        .map(|(day, values)| {
            let mut row = vec![
                day.parse::<jiff::civil::Date>()
                    .map(|d| date(lang, d))
                    .unwrap_or_else(|_| (*day).to_owned()),
            ];
            row.extend(values.iter().map(|v| {
                if v.is_finite() {
                    number(*v)
                } else {
                    "—".into()
                }
            }));
            row
        })
        .collect();
    Some(chart_figure(
        lang,
        &svg,
        &headers,
        &rows,
        t(lang, "timeline.chart_source"),
    ))
}

/// `25/11` style labels would be ambiguous across years: `2026-11` / `2026年11月` plus the day.
fn short_date(lang: Lang, d: jiff::civil::Date) -> String {
    match lang {
        Lang::Zh => d.strftime("%y年%-m月%-d日").to_string(),
        Lang::En => d.strftime("%Y-%m-%d").to_string(),
    }
}

/// The kind of entry in words.
fn kind(lang: Lang, s: &Stored) -> (&'static str, &'static str) {
    let key = match s.resource_type.as_str() {
        "Patient" => "timeline.kind_patient",
        "Encounter" => {
            let text = s
                .body
                .pointer("/type/0/text")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if text.contains("随访") || text.contains("follow-up") {
                "timeline.kind_followup"
            } else {
                "timeline.kind_encounter"
            }
        }
        "Condition" => "timeline.kind_condition",
        "Observation" | "DiagnosticReport" => "timeline.kind_observation",
        "MedicationRequest" | "MedicationStatement" | "MedicationDispense" => {
            "timeline.kind_medication"
        }
        "Procedure" => "timeline.kind_procedure",
        "Immunization" => "timeline.kind_immunization",
        "AllergyIntolerance" => "timeline.kind_allergy",
        _ => "timeline.kind_other",
    };
    let tone = match key {
        "timeline.kind_condition" => "warn",
        "timeline.kind_followup" => "ok",
        _ => "info",
    };
    (t(lang, key), tone)
}

/// Bilingual texts the platform writes as `中文 · English`: the part in the reader's language.
fn in_language(lang: Lang, text: &str) -> String {
    match text.split_once(" · ") {
        Some((zh, en)) => pick(lang, zh, en).to_owned(),
        None => text.to_owned(),
    }
}

/// A CodeableConcept in words: its text in Chinese, its first display in English.
fn concept(lang: Lang, c: Option<&Value>) -> Option<String> {
    let c = c?;
    let text = c.get("text").and_then(Value::as_str);
    let display = c.pointer("/coding/0/display").and_then(Value::as_str);
    let words = match lang {
        Lang::Zh => text.or(display),
        Lang::En => display.or(text),
    }?;
    Some(in_language(lang, words))
}

/// One line saying what the entry holds. Never the person's name.
fn summary(lang: Lang, s: &Stored) -> String {
    let b = &s.body;
    match s.resource_type.as_str() {
        "Patient" => t(lang, "timeline.patient_summary").to_owned(),
        "Encounter" => b
            .pointer("/type/0/text")
            .and_then(Value::as_str)
            .map(|t| in_language(lang, t))
            .or_else(|| {
                b.pointer("/class/display")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default(),
        "Observation" => {
            let what = concept(lang, b.get("code")).unwrap_or_default();
            let value = b
                .pointer("/valueQuantity/value")
                .and_then(Value::as_f64)
                .map(|v| {
                    let unit = b
                        .pointer("/valueQuantity/unit")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    format!("{} {unit}", number(v))
                })
                .or_else(|| concept(lang, b.get("valueCodeableConcept")))
                .or_else(|| {
                    b.get("valueString")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            format!("{what}: {}", value.trim())
        }
        "Condition" => {
            let what = concept(lang, b.get("code")).unwrap_or_default();
            let code = b.pointer("/code/coding/0/code").and_then(Value::as_str);
            match code {
                Some(c) => format!("{what} ({c})"),
                None => what,
            }
        }
        "MedicationRequest" | "MedicationStatement" => {
            let what = concept(lang, b.get("medicationCodeableConcept")).unwrap_or_default();
            let dose = b
                .pointer("/dosageInstruction/0/text")
                .or(b.pointer("/dosage/0/text"))
                .and_then(Value::as_str);
            match dose {
                Some(d) => format!("{what} · {d}"),
                None => what,
            }
        }
        _ => concept(lang, b.get("code")).unwrap_or_default(),
    }
}

fn timeline(lang: Lang, orgs: &Orgs, record: &[&Stored]) -> Markup {
    let mut by_day: BTreeMap<String, Vec<&Stored>> = BTreeMap::new();
    // The Patient resources are who, not what happened: the card above covers them.
    for s in record.iter().filter(|s| s.resource_type != "Patient") {
        by_day.entry(clinical_date(s)).or_default().push(s);
    }
    html! {
        @if by_day.is_empty() {
            p.muted { (t(lang, "timeline.empty")) }
        } @else {
            ol.timeline {
                @for (day, entries) in by_day.iter().rev() {
                    li.timeline-day {
                        h3 {
                            time datetime=(day) {
                                (day.parse::<jiff::civil::Date>().map(|d| date(lang, d)).unwrap_or_else(|_| day.clone()))
                            }
                        }
                        ul.timeline-entries {
                            @for s in entries {
                                @let (word, tone) = kind(lang, s);
                                li {
                                    strong class={ "tag tag-" (tone) } { (word) }
                                    " "
                                    span.entry-summary { (summary(lang, s)) }
                                    @if is_home_summary(&s.body) {
                                        " "
                                        span.entry-source { (t(lang, "timeline.from_home_devices")) }
                                    } @else if let Some(org) = clinical::source_organisation(&s.body) {
                                        " "
                                        span.entry-source { (tf(lang, "timeline.from", &[("org", &orgs.name(Some(org), lang))])) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
