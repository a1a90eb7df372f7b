//! `/research/query`: aggregate queries for questions that need no extract — counts of the
//! consenting residents of a cohort (and the mean of a numeric variable) by up to two
//! dimensions, with totals, small cells and their complements hidden as `<k` (ADR 0011), and
//! a bar chart with the same figures as the table. The form is a GET, so a result can be
//! bookmarked; every query run is on the ledger.

use access::FieldError;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use charts::{BarChart, ChartData, ChartOptions, Orientation, Series};
use kernel::{Lang, UtcMillis};
use maud::{Markup, html};
use research::catalogue::AggregateUse;
use research::{Cell, QueryForm, Table};

use super::consent::{PlatformConsent, purpose_for};
use super::{Failure, actor, field_error, may_request, may_steward, value_label, variable_label};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{chart_figure, error_summary, page};
use crate::state::AppState;

/// A query form from URL pairs (checkbox lists repeat their name).
pub fn form_from_pairs(fields: &[(String, String)]) -> QueryForm {
    let pairs = super::Pairs(fields);
    QueryForm {
        diseases: pairs.all("diseases"),
        age_min: pairs.one("age_min"),
        age_max: pairs.one("age_max"),
        districts: pairs.all("districts"),
        enrolled_from: pairs.one("enrolled_from"),
        enrolled_to: pairs.one("enrolled_to"),
        rows: pairs.one("rows"),
        columns: pairs.one("columns"),
        mean_of: pairs.one("mean_of"),
    }
}

/// Runs a query for `user` over the residents who consent to the purpose of their
/// organisation.
pub async fn run(
    app: &AppState,
    user: &access::Principal,
    form: &QueryForm,
) -> Result<Table, Failure> {
    let query = form
        .validate(
            app.research.vocabulary(),
            app.research.catalogue(),
            app.research.policy(),
        )
        .map_err(|invalid| {
            Failure::from(AppError::Invalid(
                invalid.0.iter().map(field_error).collect(),
            ))
        })?;
    let consent = PlatformConsent::new(
        app.clinical.consents().clone(),
        purpose_for(user.organisation.kind),
    );
    Ok(app
        .research
        .aggregate(&query, &actor(user), &consent, UtcMillis::now())
        .await?)
}

/// `GET /research/query`: the form; with `rows` given, the result under it.
pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    if !may_request(&user) && !may_steward(&user) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let submitted = pairs.iter().any(|(k, _)| k == "rows");
    let mut form = form_from_pairs(&pairs);
    if !submitted {
        // A first visit starts from a question that shows how the table works.
        form.rows = "age".into();
        form.columns = "sex".into();
    }
    let (result, errors, status) = if submitted {
        match run(&app, &user, &form).await {
            Ok(table) => (Some(table), Vec::new(), StatusCode::OK),
            Err(f) if !f.fields.is_empty() => (None, f.fields, f.status),
            Err(f) => return f.page(&ctx),
        }
    } else {
        (None, Vec::new(), StatusCode::OK)
    };
    let lang = ctx.lang;
    let title = t(lang, "research.query.title");
    let body = html! {
        (super::super::registry::back_link("/research", t(lang, "research.title")))
        h1 { (title) }
        p.lead { (tf(lang, "research.query.intro", &[("k", &app.research.policy().aggregate.min_cell_size.value.to_string())])) }
        (error_summary(lang, &errors))
        (query_form(&app, &ctx, &form, &errors))
        @if let Some(table) = &result {
            (result_section(&app, lang, table))
        }
    };
    (status, page(&ctx, title, body)).into_response()
}

fn query_form(app: &AppState, ctx: &Ctx, form: &QueryForm, errors: &[FieldError]) -> Markup {
    let lang = ctx.lang;
    let english = lang == Lang::En;
    let catalogue = app.research.catalogue();
    let vocabulary = app.research.vocabulary();
    let has = |list: &[String], v: &str| list.iter().any(|x| x == v);
    let error_of = |field: &str| errors.iter().find(|e| e.field == field);
    let options = |use_: AggregateUse| -> Vec<(String, String)> {
        catalogue
            .keys_for(use_)
            .into_iter()
            .map(|k| {
                let label = catalogue
                    .get(&k)
                    .map(|v| v.label(english).to_owned())
                    .unwrap_or_else(|| k.clone());
                (k, label)
            })
            .collect()
    };
    let dimensions = options(AggregateUse::Dimension);
    let measures = options(AggregateUse::Measure);
    let select = |name: &'static str,
                  label: &str,
                  opts: &[(String, String)],
                  chosen: &str,
                  optional: bool| {
        let error = error_of(name);
        html! {
            div.field.field-error[error.is_some()] {
                label for=(name) { (label) }
                @if let Some(e) = error { p.error-message { (e.message(lang)) } }
                select id=(name) name=(name) aria-invalid=[error.map(|_| "true")] {
                    @if optional { option value="" { (t(lang, "research.query.none")) } }
                    @for (value, text) in opts {
                        option value=(value) selected[value == chosen] { (text) }
                    }
                }
            }
        }
    };
    let group_errors = |field: &str| {
        html! { @for e in errors.iter().filter(|e| e.field == field) { p.error-message { (e.message(lang)) } } }
    };
    html! {
        form.research-query method="get" action="/research/query" novalidate {
            div.query-grid {
                fieldset.field.field-error[error_of("diseases").is_some()] id="diseases" tabindex="-1" {
                    legend { (t(lang, "research.form.diseases")) " " span.required { (t(lang, "followup.required")) } }
                    (group_errors("diseases"))
                    div.choices {
                        @for code in &vocabulary.diseases {
                            label.choice {
                                input type="checkbox" name="diseases" value=(code) checked[has(&form.diseases, code)];
                                " " (super::super::registry::disease_label(app, lang, code))
                            }
                        }
                    }
                }
                div {
                    (select("rows", t(lang, "research.query.rows"), &dimensions, &form.rows, false))
                    (select("columns", t(lang, "research.query.columns"), &dimensions, &form.columns, true))
                    (select("mean_of", t(lang, "research.query.mean_of"), &measures, &form.mean_of, true))
                }
            }
            details.more-filters open[!form.districts.is_empty() || !form.age_min.is_empty() || !form.age_max.is_empty() || !form.enrolled_from.is_empty() || !form.enrolled_to.is_empty() || !errors.is_empty()] {
                summary { (t(lang, "research.query.filters")) }
                fieldset.field.field-error[error_of("age_min").or(error_of("age_max")).is_some()] {
                    legend { (t(lang, "research.form.ages")) }
                    (group_errors("age_min"))
                    (group_errors("age_max"))
                    div.range {
                        div {
                            label for="age_min" { (t(lang, "research.form.age_min")) }
                            input id="age_min" name="age_min" type="text" inputmode="numeric" autocomplete="off" value=(form.age_min);
                        }
                        div {
                            label for="age_max" { (t(lang, "research.form.age_max")) }
                            input id="age_max" name="age_max" type="text" inputmode="numeric" autocomplete="off" value=(form.age_max);
                        }
                    }
                }
                fieldset.field.field-error[error_of("districts").is_some()] id="districts" tabindex="-1" {
                    legend { (t(lang, "research.form.districts")) }
                    p.hint { (t(lang, "research.form.districts_hint")) }
                    (group_errors("districts"))
                    div.choices.choices-compact {
                        @for key in &vocabulary.districts {
                            label.choice {
                                input type="checkbox" name="districts" value=(key) checked[has(&form.districts, key)];
                                " " (super::super::registry::district_name(lang, Some(key)))
                            }
                        }
                    }
                }
                fieldset.field.field-error[error_of("enrolled_from").or(error_of("enrolled_to")).is_some()] {
                    legend { (t(lang, "research.form.period")) }
                    (group_errors("enrolled_from"))
                    (group_errors("enrolled_to"))
                    div.range {
                        div {
                            label for="enrolled_from" { (t(lang, "research.form.enrolled_from")) }
                            input id="enrolled_from" name="enrolled_from" type="date" value=(form.enrolled_from);
                        }
                        div {
                            label for="enrolled_to" { (t(lang, "research.form.enrolled_to")) }
                            input id="enrolled_to" name="enrolled_to" type="date" value=(form.enrolled_to);
                        }
                    }
                }
            }
            button type="submit" { (t(lang, "research.query.run")) }
        }
    }
}

/// A cell as the table shows it: its count, or `<k`.
fn cell_markup(cell: &Cell, k: u32) -> Markup {
    match cell {
        Cell::Shown { count, .. } => html! { td.num { (count) } },
        Cell::Suppressed => html! { td.num.suppressed { (cell.text(k)) } },
    }
}

fn mean_markup(cell: &Cell) -> Markup {
    match cell {
        Cell::Shown {
            mean: Some(mean), ..
        } => html! { td.num { (format!("{mean:.1}")) } },
        _ => html! { td.num.muted { "—" } },
    }
}

/// The rows of a result as the page shows them: each row's label, its cells and total, then
/// the totals row (`cell` renders one cell).
fn table_markup(
    lang: Lang,
    table: &Table,
    caption: &str,
    cell: &dyn Fn(&Cell) -> Markup,
) -> Markup {
    let rows_field = table.query.rows;
    let columns_field = table.query.columns;
    let two = columns_field.is_some();
    html! {
        div.table-wrap {
            table.aggregate {
                caption { (caption) }
                thead { tr {
                    th scope="col" { }
                    @if let Some(c) = columns_field {
                        @for label in &table.column_labels { th scope="col" { (value_label(lang, c, label)) } }
                    }
                    th scope="col" { (if two { t(lang, "research.query.total") } else { t(lang, "research.query.count") }) }
                } }
                tbody {
                    @for (r, label) in table.row_labels.iter().enumerate() {
                        tr {
                            th scope="row" { (value_label(lang, rows_field, label)) }
                            @if two { @for c in &table.cells[r] { (cell(c)) } }
                            (cell(&table.row_totals[r]))
                        }
                    }
                    tr.total {
                        th scope="row" { (t(lang, "research.query.total")) }
                        @if two { @for c in &table.column_totals { (cell(c)) } }
                        (cell(&table.total))
                    }
                }
            }
        }
    }
}

fn result_section(app: &AppState, lang: Lang, table: &Table) -> Markup {
    let k = table.min_cell_size;
    let rows_name = variable_label(app, lang, table.query.rows);
    let caption = match table.query.columns {
        Some(c) => tf(
            lang,
            "research.query.caption_two",
            &[
                ("rows", &rows_name),
                ("columns", &variable_label(app, lang, c)),
            ],
        ),
        None => tf(lang, "research.query.caption_one", &[("rows", &rows_name)]),
    };
    let counts = table_markup(lang, table, &caption, &|c| cell_markup(c, k));
    let means = table.query.mean_of.map(|m| {
        let caption = tf(
            lang,
            "research.query.caption_mean",
            &[("measure", &variable_label(app, lang, m))],
        );
        table_markup(lang, table, &caption, &mean_markup)
    });
    html! {
        section.query-result aria-labelledby="result-title" {
            h2 id="result-title" { (t(lang, "research.query.result")) }
            (counts)
            p.legend { (table.legend(lang == Lang::En)) }
            @if let Some(m) = means { (m) }
            (chart(app, lang, table))
            p.source { (t(lang, "research.query.source")) }
        }
    }
}

/// A bar per row of the table, its total: the table carries the cells of a second dimension,
/// and a bar per cell would mostly draw hidden cells.
fn chart(app: &AppState, lang: Lang, table: &Table) -> Markup {
    let categories: Vec<String> = table
        .row_labels
        .iter()
        .map(|l| value_label(lang, table.query.rows, l))
        .collect();
    let k = table.min_cell_size;
    let data = ChartData {
        categories,
        series: vec![Series::new(
            t(lang, "research.query.count"),
            table
                .row_totals
                .iter()
                .map(|c| c.count().map_or(f64::NAN, |n| n as f64))
                .collect(),
        )],
        unit: t(lang, "registry.unit_people").to_owned(),
    };
    let title = variable_label(app, lang, table.query.rows);
    let svg = BarChart {
        options: ChartOptions {
            id: "research-query".into(),
            title: tf(lang, "research.query.chart_title", &[("rows", &title)]),
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
    let headers = vec![title, t(lang, "research.query.count").to_owned()];
    let rows: Vec<Vec<String>> = data
        .categories
        .iter()
        .zip(&table.row_totals)
        .map(|(name, total)| vec![name.clone(), total.text(k)])
        .collect();
    chart_figure(
        lang,
        &svg,
        &headers,
        &rows,
        t(lang, "research.query.chart_note"),
    )
}
