//! `GET/POST /risk/china-par`: the China-PAR calculator, a what-if for any signed-in clinician
//! or resident. Every factor with its unit and range; the result with its band, a chart of
//! what raises it and what reaching each target would give; a refusal beside the field it is
//! about. Nothing entered is stored or logged.

use access::FieldError;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Response};
use charts::{BarChart, ChartData, ChartOptions, Orientation, Series};
use kernel::Lang;
use maud::{Markup, html};
use risk::china_par::{Assessment, ChinaPar, CholesterolUnit, Input, Sex, WhatIf};

use super::{band_of, factor_name, model, percent};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, csrf_field, error_summary, page};
use crate::state::AppState;

/// The form's fields, as submitted (text, so a value is shown back as typed).
pub type Fields = Vec<(String, String)>;

/// Numbers of the form, in order.
const NUMBERS: [&str; 5] = [
    "age",
    "sbp_mmhg",
    "total_cholesterol",
    "hdl_cholesterol",
    "waist_cm",
];

/// Yes/no factors of the form, in order.
const FLAGS: [&str; 7] = [
    "on_bp_treatment",
    "smoker",
    "diabetes",
    "north",
    "urban",
    "family_history",
    "has_ascvd",
];

/// Clinicians and residents: the roles that read health records.
fn may_use(user: &access::Principal) -> bool {
    super::super::registry::actor(user).read.is_some()
}

/// `GET /risk/china-par`: the form, prefilled from the query (the resident's own assessment
/// links here with its inputs); with a result when the prefilled inputs are complete.
pub async fn form(
    State(_app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(fields): Query<Fields>,
) -> Response {
    if !may_use(&user) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let model = match model() {
        Ok(m) => m,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let (input, errors) = parse(&fields);
    let result = (!fields.is_empty() && errors.is_empty())
        .then(|| model.assess(&input).ok())
        .flatten();
    render(&ctx, model, &fields, &[], result.as_ref()).into_response()
}

/// `POST /risk/china-par`: the result, or the form with each problem beside its field.
pub async fn submit(
    State(_app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(fields): Form<Fields>,
) -> Response {
    if !may_use(&user) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let model = match model() {
        Ok(m) => m,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let fields: Fields = fields.into_iter().filter(|(k, _)| k != "_csrf").collect();
    let (input, mut errors) = parse(&fields);
    let result = if errors.is_empty() {
        match model.assess(&input) {
            Ok(a) => Some(a),
            Err(refusal) => {
                errors.extend(refusal.field_errors().into_iter().map(access_error));
                None
            }
        }
    } else {
        // Also say what else is wrong, once per field.
        for e in model.validate(&input) {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(access_error(e));
            }
        }
        None
    };
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        render(&ctx, model, &fields, &errors, result.as_ref()),
    )
        .into_response()
}

/// A risk crate field error as the web layer's.
pub(crate) fn access_error(e: risk::FieldError) -> FieldError {
    FieldError::new(e.field, e.zh, e.en)
}

fn value<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

/// The form as the model's input, and the values that are not even of the right kind.
pub fn parse(fields: &Fields) -> (Input, Vec<FieldError>) {
    let mut errors = Vec::new();
    let sex = match value(fields, "sex") {
        "" => None,
        "male" => Some(Sex::Male),
        "female" => Some(Sex::Female),
        _ => {
            errors.push(FieldError::new(
                "sex",
                "性别应为“男”或“女”",
                "sex must be male or female",
            ));
            None
        }
    };
    let cholesterol_unit = match value(fields, "cholesterol_unit") {
        "mg/dL" => CholesterolUnit::MgPerDl,
        "" | "mmol/L" => CholesterolUnit::MmolPerL,
        _ => {
            errors.push(FieldError::new(
                "cholesterol_unit",
                "胆固醇单位应为 mmol/L 或 mg/dL",
                "the cholesterol unit must be mmol/L or mg/dL",
            ));
            CholesterolUnit::MmolPerL
        }
    };
    let mut input = Input {
        sex,
        cholesterol_unit,
        ..Input::default()
    };
    for name in NUMBERS {
        let text = value(fields, name);
        let number = if text.is_empty() {
            None
        } else {
            match text.replace(',', ".").parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push(FieldError::new(
                        name,
                        format!("“{text}”不是数字，请填写数字"),
                        format!("\"{text}\" is not a number; enter a number"),
                    ));
                    None
                }
            }
        };
        match name {
            "age" => input.age = number,
            "sbp_mmhg" => input.sbp_mmhg = number,
            "total_cholesterol" => input.total_cholesterol = number,
            "hdl_cholesterol" => input.hdl_cholesterol = number,
            _ => input.waist_cm = number,
        }
    }
    let flag = |name: &str| matches!(value(fields, name), "1" | "on" | "true");
    input.on_bp_treatment = flag("on_bp_treatment");
    input.smoker = flag("smoker");
    input.diabetes = flag("diabetes");
    input.north = flag("north");
    input.urban = flag("urban");
    input.family_history = flag("family_history");
    input.has_ascvd = flag("has_ascvd");
    (input, errors)
}

/// The calculator's URL with `input` filled in.
pub fn prefilled_url(input: &Input) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(sex) = input.sex {
        parts.push(format!(
            "sex={}",
            match sex {
                Sex::Male => "male",
                Sex::Female => "female",
            }
        ));
    }
    let numbers = [
        ("age", input.age),
        ("sbp_mmhg", input.sbp_mmhg),
        ("total_cholesterol", input.total_cholesterol),
        ("hdl_cholesterol", input.hdl_cholesterol),
        ("waist_cm", input.waist_cm),
    ];
    for (name, v) in numbers {
        if let Some(v) = v {
            parts.push(format!("{name}={}", (v * 100.0).round() / 100.0));
        }
    }
    let flags = [
        ("on_bp_treatment", input.on_bp_treatment),
        ("smoker", input.smoker),
        ("diabetes", input.diabetes),
        ("north", input.north),
        ("urban", input.urban),
        ("family_history", input.family_history),
        ("has_ascvd", input.has_ascvd),
    ];
    for (name, on) in flags {
        if on {
            parts.push(format!("{name}=1"));
        }
    }
    format!("/risk/china-par?{}", parts.join("&"))
}

fn hint(lang: Lang, model: &ChinaPar, name: &str, unit: CholesterolUnit) -> String {
    let p = &model.data().plausible;
    let pop = &model.card().population;
    let mmol_per_mg = model.data().units.cholesterol_mmol_per_mg.value;
    let range = |low: f64, high: f64| match unit {
        CholesterolUnit::MmolPerL => format!("{low}–{high} mmol/L"),
        CholesterolUnit::MgPerDl => format!(
            "{}–{} mg/dL",
            (low / mmol_per_mg).round(),
            (high / mmol_per_mg).round()
        ),
    };
    match name {
        "age" => tf(
            lang,
            "risk.hint.age",
            &[
                ("min", &pop.age_min.to_string()),
                ("max", &pop.age_max.to_string()),
            ],
        ),
        "sbp_mmhg" => tf(
            lang,
            "risk.hint.sbp",
            &[
                ("low", &p.sbp_mmhg.low.to_string()),
                ("high", &p.sbp_mmhg.high.to_string()),
            ],
        ),
        "total_cholesterol" => tf(
            lang,
            "risk.hint.cholesterol",
            &[(
                "range",
                &range(
                    p.total_cholesterol_mmol_l.low,
                    p.total_cholesterol_mmol_l.high,
                ),
            )],
        ),
        "hdl_cholesterol" => tf(
            lang,
            "risk.hint.cholesterol",
            &[(
                "range",
                &range(p.hdl_cholesterol_mmol_l.low, p.hdl_cholesterol_mmol_l.high),
            )],
        ),
        _ => tf(
            lang,
            "risk.hint.waist",
            &[
                ("low", &p.waist_cm.low.to_string()),
                ("high", &p.waist_cm.high.to_string()),
            ],
        ),
    }
}

fn error_for<'a>(errors: &'a [FieldError], name: &str) -> Option<&'a FieldError> {
    errors.iter().find(|e| e.field == name)
}

fn number_field(
    lang: Lang,
    model: &ChinaPar,
    fields: &Fields,
    errors: &[FieldError],
    name: &'static str,
    unit: CholesterolUnit,
) -> Markup {
    let error = error_for(errors, name);
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described = match error {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    html! {
        div.field.field-error[error.is_some()] {
            label for=(name) { (t(lang, &format!("risk.input.{name}"))) }
            p.hint id=(hint_id) { (hint(lang, model, name, unit)) }
            @if let Some(e) = error { p.error-message id=(error_id) { (e.message(lang)) } }
            input.input-short id=(name) name=(name) type="text" inputmode="decimal"
                value=(value(fields, name)) autocomplete="off"
                aria-invalid=[error.map(|_| "true")] aria-describedby=(described);
        }
    }
}

fn checkbox(lang: Lang, fields: &Fields, errors: &[FieldError], name: &'static str) -> Markup {
    let error = error_for(errors, name);
    let checked = matches!(value(fields, name), "1" | "on" | "true");
    let hint_key = format!("risk.hint.{name}");
    let hint = crate::i18n::t_opt(lang, &hint_key);
    html! {
        div.checkbox-item.field-error[error.is_some()] {
            @if let Some(e) = error { p.error-message id={ (name) "-error" } { (e.message(lang)) } }
            input id=(name) name=(name) type="checkbox" value="1" checked[checked]
                aria-invalid=[error.map(|_| "true")];
            label for=(name) {
                (t(lang, &format!("risk.input.{name}")))
                @if let Some(h) = hint { span.hint.checkbox-hint { (h) } }
            }
        }
    }
}

fn render(
    ctx: &Ctx,
    model: &ChinaPar,
    fields: &Fields,
    errors: &[FieldError],
    result: Option<&Assessment>,
) -> Markup {
    let lang = ctx.lang;
    let unit = match value(fields, "cholesterol_unit") {
        "mg/dL" => CholesterolUnit::MgPerDl,
        _ => CholesterolUnit::MmolPerL,
    };
    let sex = value(fields, "sex");
    let sex_error = error_for(errors, "sex");
    let body = html! {
        p.back { a href="/risk/models" { (t(lang, "risk.models.title")) } }
        h1 { (t(lang, "risk.calc.title")) }
        p.lead { (t(lang, "risk.calc.intro")) }
        p.notice.notice-privacy { (t(lang, "risk.calc.privacy")) }
        (error_summary(lang, errors))
        div.risk-calc {
            form.risk-form method="post" action="/risk/china-par#result" novalidate {
                (csrf_field(ctx))
                fieldset.field.field-error[sex_error.is_some()] id="sex" {
                    legend { (t(lang, "risk.input.sex")) }
                    @if let Some(e) = sex_error { p.error-message { (e.message(lang)) } }
                    div.radios {
                        div.radio-item {
                            input id="sex-male" name="sex" type="radio" value="male" checked[sex == "male"];
                            label for="sex-male" { (t(lang, "risk.sex_male")) }
                        }
                        div.radio-item {
                            input id="sex-female" name="sex" type="radio" value="female" checked[sex == "female"];
                            label for="sex-female" { (t(lang, "risk.sex_female")) }
                        }
                    }
                }
                (number_field(lang, model, fields, errors, "age", unit))
                (number_field(lang, model, fields, errors, "sbp_mmhg", unit))
                div.field {
                    label for="cholesterol_unit" { (t(lang, "risk.input.cholesterol_unit")) }
                    select id="cholesterol_unit" name="cholesterol_unit" {
                        option value="mmol/L" selected[unit == CholesterolUnit::MmolPerL] { "mmol/L" }
                        option value="mg/dL" selected[unit == CholesterolUnit::MgPerDl] { "mg/dL" }
                    }
                }
                (number_field(lang, model, fields, errors, "total_cholesterol", unit))
                (number_field(lang, model, fields, errors, "hdl_cholesterol", unit))
                (number_field(lang, model, fields, errors, "waist_cm", unit))
                fieldset.field.checkboxes {
                    legend { (t(lang, "risk.calc.flags")) }
                    @for name in FLAGS { (checkbox(lang, fields, errors, name)) }
                }
                button type="submit" { (t(lang, "risk.calc.submit")) }
            }
            @if let Some(a) = result {
                (result_section(lang, model, a))
            }
        }
    };
    page(ctx, t(lang, "risk.calc.title"), body)
}

/// The result: risk and band, what raises it (chart and table), what would lower it.
pub(crate) fn result_section(lang: Lang, model: &ChinaPar, a: &Assessment) -> Markup {
    html! {
        section.risk-result aria-labelledby="risk-result-title" id="result" {
            h2 id="risk-result-title" { (t(lang, "risk.result.title")) }
            p.risk-figure {
                span.risk-value { (percent(a.risk_percent)) }
                " " (band_of(lang, &a.band))
            }
            p.muted { (tf(lang, "risk.result.meaning", &[("risk", &percent(a.risk_percent))])) }
            (raises_chart(lang, model, a))
            (lowers_list(lang, a))
            p.source { (tf(lang, "risk.result.source", &[("version", &a.version)])) }
        }
    }
}

fn raises_chart(lang: Lang, model: &ChinaPar, a: &Assessment) -> Markup {
    if a.raises.is_empty() {
        return html! {
            h3 { (t(lang, "risk.result.raises")) }
            p.muted { (t(lang, "risk.result.raises_none")) }
        };
    }
    let names: Vec<String> = a
        .raises
        .iter()
        .map(|r| factor_name(lang, model, r.factor))
        .collect();
    let points: Vec<f64> = a
        .raises
        .iter()
        .map(|r| (r.change_points * 10.0).round() / 10.0)
        .collect();
    let unit = t(lang, "risk.unit_points").to_owned();
    let data = ChartData {
        categories: names.clone(),
        series: vec![Series::new(t(lang, "risk.result.raises_series"), points)],
        unit: unit.clone(),
    };
    let chart = |width: f64, id: &str| {
        BarChart {
            options: ChartOptions {
                id: id.to_owned(),
                title: t(lang, "risk.result.raises_chart").to_owned(),
                no_data: t(lang, "risk.no_data").to_owned(),
                lang: if lang == Lang::En {
                    charts::Lang::En
                } else {
                    charts::Lang::Zh
                },
                decimals: Some(1),
                width,
                ..ChartOptions::default()
            },
            orientation: Orientation::Horizontal,
        }
        .render(&data)
    };
    let svg = format!(
        "<div class=\"risk-chart-wide\">{}</div><div class=\"risk-chart-narrow\">{}</div>",
        chart(640.0, "raises-wide"),
        chart(360.0, "raises-narrow")
    );
    let headers = vec![
        t(lang, "risk.h_factor").to_owned(),
        t(lang, "risk.h_raises").to_owned(),
    ];
    let rows: Vec<Vec<String>> = a
        .raises
        .iter()
        .map(|r| {
            vec![
                match lang {
                    Lang::Zh => r.zh.clone(),
                    Lang::En => r.en.clone(),
                },
                format!("{:.1}", r.change_points),
            ]
        })
        .collect();
    html! {
        h3 { (t(lang, "risk.result.raises")) }
        p.hint { (t(lang, "risk.result.raises_how")) }
        (chart_figure(lang, &svg, &headers, &rows, ""))
    }
}

fn what_if_row(lang: Lang, w: &WhatIf) -> Markup {
    let (action, note) = match lang {
        Lang::Zh => (&w.action_zh, &w.note_zh),
        Lang::En => (&w.action_en, &w.note_en),
    };
    html! {
        li.what-if.no-change[!w.lowers] {
            span.what-if-action { (action) }
            span.what-if-risk {
                (percent(w.risk_percent)) " " (band_of(lang, &w.band))
                @if w.lowers {
                    " " span.muted { "(" (format!("{:+.1}", w.change_points)) " " (t(lang, "risk.unit_points")) ")" }
                }
            }
            @if let Some(n) = note { span.what-if-note { (n) } }
        }
    }
}

fn lowers_list(lang: Lang, a: &Assessment) -> Markup {
    html! {
        h3 { (t(lang, "risk.result.lowers")) }
        @if a.lowers.is_empty() {
            p.muted { (t(lang, "risk.result.lowers_none")) }
        } @else {
            ul.what-ifs {
                @for w in &a.lowers { (what_if_row(lang, w)) }
                @if let Some(all) = &a.all_targets { (what_if_row(lang, all)) }
            }
            p.hint { (t(lang, "risk.result.lowers_how")) }
        }
    }
}
