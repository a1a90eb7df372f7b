//! `GET /clinic/oversight`: the health commission's view of the online convenience clinic:
//! the internet hospitals ranked by reported online volume with the designated pilots, the
//! designation form (the top of the ranking, or another choice with a written reason), and
//! per hospital the consultations, prescriptions, refusals by rule and waiting times.

use access::{FieldError, Principal};
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use charts::{BarChart, ChartData, ChartOptions, Orientation, Series};
use kernel::Lang;
use maud::{Markup, html};

use super::super::registry::pick;
use super::{clinic_error, form_refusal, organisation_name};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, csrf_field, error_summary, page, stat};
use crate::state::AppState;

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    match render(&app, &ctx, &user, &[]).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

pub async fn designate(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let period = fields
        .iter()
        .find(|(k, _)| k == "period")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let chosen: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "hospital")
        .map(|(_, v)| v.clone())
        .collect();
    let reason = fields
        .iter()
        .find(|(k, _)| k == "reason")
        .map(|(_, v)| v.as_str());
    let chosen = (!chosen.is_empty()).then_some(chosen);
    match app.clinic.designate(&user, &period, chosen, reason).await {
        Ok(_) => Redirect::to("/clinic/oversight").into_response(),
        Err(e) => match form_refusal(clinic_error(e)) {
            Ok((status, errors)) => match render(&app, &ctx, &user, &errors).await {
                Ok(body) => (status, body).into_response(),
                Err(e) => ctx.page_error(e).into_response(),
            },
            Err(other) => ctx.page_error(other).into_response(),
        },
    }
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    errors: &[FieldError],
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    // A year of figures: the period a pilot's performance is judged over.
    let since = kernel::UtcMillis::now().0 - 365 * 86_400_000;
    let figures = app
        .clinic
        .oversight(user, since)
        .await
        .map_err(clinic_error)?;
    let period = app.clinic.latest_period().await.map_err(clinic_error)?;
    let ranking = match &period {
        Some(p) => app.clinic.ranking(p).await.map_err(clinic_error)?,
        None => Vec::new(),
    };
    let pilots = app.clinic.pilots().await.map_err(clinic_error)?;
    let rules = app.clinic.rules();
    let mut names = std::collections::HashMap::new();
    for id in ranking
        .iter()
        .map(|r| &r.hospital_id)
        .chain(figures.iter().map(|f| &f.hospital_id))
    {
        if !names.contains_key(id) {
            names.insert(id.clone(), organisation_name(app, lang, id).await);
        }
    }
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let total: u64 = figures.iter().map(|f| f.total_consultations()).sum();
    let refused: u64 = figures.iter().map(|f| f.total_refusals()).sum();
    let approved: u64 = figures
        .iter()
        .filter_map(|f| f.prescriptions.get("approved"))
        .sum();
    let count_source = rules.cite(&rules.pilots.count.source);
    let body = html! { div.clinic {
        h1 { (t(lang, "clinic.oversight.title")) }
        p.lead { (t(lang, "clinic.oversight.intro")) }
        div.stats {
            (stat(t(lang, "clinic.oversight.pilots"), &format!("{} / {}", pilots.len(), rules.pilots.count.value), ""))
            (stat(t(lang, "clinic.oversight.consultations"), &total.to_string(), ""))
            (stat(t(lang, "clinic.oversight.approved"), &approved.to_string(), ""))
            (stat(t(lang, "clinic.oversight.refused"), &refused.to_string(), ""))
        }
        section.card {
            h2 { (t(lang, "clinic.oversight.ranking")) }
            @match &period {
                None => p.muted { (t(lang, "clinic.oversight.no_volume")) },
                Some(p) => {
                    p { (tf(lang, "clinic.oversight.ranking_intro", &[("period", p), ("count", &rules.pilots.count.value.to_string())])) }
                    p.muted { (t(lang, "clinic.rule.source")) " " (count_source) }
                    (ranking_chart(lang, &ranking.iter().map(|r| (name(&r.hospital_id), r.online_visits)).collect::<Vec<_>>(), app.settings.demo.is_some()))
                    (error_summary(lang, errors))
                    form.stack method="post" action="/clinic/oversight" {
                        (csrf_field(ctx))
                        input type="hidden" name="period" value=(p);
                        fieldset {
                            legend { (t(lang, "clinic.oversight.choose")) }
                            @for r in &ranking {
                                label.choice {
                                    input type="checkbox" name="hospital" value=(r.hospital_id)
                                        checked[pilots.iter().any(|x| x.hospital_id == r.hospital_id)];
                                    " " (r.rank) ". " (name(&r.hospital_id)) " · " (tf(lang, "clinic.oversight.visits", &[("n", &r.online_visits.to_string())]))
                                }
                            }
                        }
                        label for="reason" { (t(lang, "clinic.oversight.reason")) }
                        p.hint { (t(lang, "clinic.oversight.reason_hint")) }
                        textarea #reason name="reason" rows="2" maxlength="4000" {}
                        button.button type="submit" { (t(lang, "clinic.oversight.designate")) }
                    }
                }
            }
        }
        section.card {
            h2 { (t(lang, "clinic.oversight.per_pilot")) }
            @if figures.is_empty() { p.muted { (t(lang, "clinic.oversight.no_figures")) } }
            @else {
                div.table-scroll {
                    table.data {
                        thead { tr {
                            th { (t(lang, "clinic.book.hospital")) }
                            th.num { (t(lang, "clinic.oversight.consultations")) }
                            th.num { (t(lang, "clinic.oversight.completed")) }
                            th.num { (t(lang, "clinic.oversight.approved")) }
                            th.num { (t(lang, "clinic.oversight.rejected")) }
                            th.num { (t(lang, "clinic.oversight.refused")) }
                            th.num { (t(lang, "clinic.oversight.wait_median")) }
                            th.num { (t(lang, "clinic.oversight.wait_p90")) }
                        } }
                        tbody {
                            @for f in &figures {
                                tr {
                                    td { (name(&f.hospital_id)) }
                                    td.num { (f.total_consultations()) }
                                    td.num { (f.consultations.get("completed").copied().unwrap_or(0)) }
                                    td.num { (f.prescriptions.get("approved").copied().unwrap_or(0)) }
                                    td.num { (f.prescriptions.get("rejected").copied().unwrap_or(0)) }
                                    td.num { (f.total_refusals()) }
                                    td.num { (minutes(f.wait_median_minutes)) }
                                    td.num { (minutes(f.wait_p90_minutes)) }
                                }
                            }
                        }
                    }
                }
                h3 { (t(lang, "clinic.oversight.refusals_by_rule")) }
                (refusal_table(lang, &figures))
            }
        }
    } };
    Ok(page(ctx, t(lang, "clinic.oversight.title"), body))
}

fn minutes(m: Option<f64>) -> String {
    m.map(|m| format!("{m:.0}")).unwrap_or_else(|| "—".into())
}

/// The ranking as a chart; in the demo its note says the volumes are synthetic (the hospitals
/// the seeds name appear, never with invented figures passed off as theirs).
fn ranking_chart(lang: Lang, ranked: &[(String, u64)], demo: bool) -> Markup {
    let data = ChartData {
        categories: ranked.iter().map(|(n, _)| n.clone()).collect(),
        series: vec![Series::new(
            t(lang, "clinic.oversight.online_visits"),
            ranked.iter().map(|(_, v)| *v as f64).collect(),
        )],
        unit: t(lang, "clinic.oversight.visits_unit").to_owned(),
    };
    let svg = BarChart {
        options: ChartOptions {
            id: "clinic-ranking".into(),
            title: t(lang, "clinic.oversight.online_visits").to_owned(),
            no_data: t(lang, "home.no_data").to_owned(),
            lang: if lang == Lang::En {
                charts::Lang::En
            } else {
                charts::Lang::Zh
            },
            decimals: Some(0),
            ..ChartOptions::default()
        },
        orientation: Orientation::Horizontal,
    }
    .render(&data);
    let headers = vec![
        t(lang, "clinic.book.hospital").to_owned(),
        t(lang, "clinic.oversight.online_visits").to_owned(),
    ];
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .map(|(n, v)| vec![n.clone(), v.to_string()])
        .collect();
    chart_figure(
        lang,
        &svg,
        &headers,
        &rows,
        t(
            lang,
            if demo {
                "clinic.oversight.chart_note_demo"
            } else {
                "clinic.oversight.chart_note"
            },
        ),
    )
}

/// Refusals summed over hospitals, by stage and rule, most frequent first.
fn refusal_table(lang: Lang, figures: &[clinic::PilotFigures]) -> Markup {
    let mut totals: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for f in figures {
        for (k, n) in &f.refusals {
            *totals.entry(k.as_str()).or_default() += n;
        }
    }
    let mut rows: Vec<(&str, u64)> = totals.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    html! {
        @if rows.is_empty() { p.muted { (t(lang, "clinic.oversight.no_refusals")) } }
        @else {
            table.data {
                thead { tr { th { (t(lang, "clinic.oversight.stage")) } th { (t(lang, "clinic.oversight.rule")) } th.num { (t(lang, "clinic.oversight.count")) } } }
                tbody {
                    @for (key, n) in &rows {
                        @let (stage, rule) = key.split_once('/').unwrap_or((key, ""));
                        tr {
                            td { (crate::i18n::t_opt(lang, &format!("clinic.stage.{stage}")).unwrap_or(stage)) }
                            td { (rule_title(lang, rule)) }
                            td.num { (n) }
                        }
                    }
                }
            }
        }
    }
}

fn rule_title(lang: Lang, code: &str) -> String {
    use clinic::eligibility::Rule;
    Rule::ALL
        .iter()
        .find(|r| r.code() == code)
        .map(|r| pick(lang, r.title_zh(), r.title_en()).to_owned())
        .or_else(|| crate::i18n::t_opt(lang, &format!("clinic.refusal.{code}")).map(str::to_owned))
        .unwrap_or_else(|| code.to_owned())
}
