//! `/companies/import`: officials upload a CSV or Excel file of companies (with their yearly
//! figures) or of product stage events. The router takes no multipart bodies, so the file
//! travels base64-encoded in an ordinary form (`/assets/clinic.js` fills the hidden field);
//! without scripts a CSV can be pasted instead. A file with any bad cell writes nothing and
//! the page lists every bad cell by row and column; a good one shows what was written.

use access::{FieldError, Principal};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use industry::import::{COMPANY_COLUMNS, Column, STAGE_COLUMNS};
use industry::{Format, ImportKind, ImportReport, IndustryError, RowError};
use kernel::Lang;
use maud::{Markup, html};

use super::super::registry::pick;
use super::{Fields, keeps_register, refusal, summary};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, page};
use crate::state::AppState;

/// What the page shows after a post.
enum Outcome {
    None,
    Imported(ImportReport),
    Rejected(Vec<RowError>),
}

pub async fn show(Signed { ctx, user }: Signed) -> Response {
    if !keeps_register(&user) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    render(&ctx, &user, &Fields::default(), &[], &Outcome::None).into_response()
}

pub async fn submit(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let values = Fields(fields);
    let mut errors = Vec::new();
    let kind = match values.get("kind") {
        "companies" => Some(ImportKind::Companies),
        "stages" => Some(ImportKind::Stages),
        _ => {
            errors.push(FieldError::new(
                "kind",
                "请选择文件内容：企业及年度数据，或产品阶段",
                "choose what the file holds: companies with yearly figures, or product stages",
            ));
            None
        }
    };
    let bytes = file_bytes(&values, &mut errors);
    let (Some(kind), Some(bytes)) = (kind, bytes) else {
        if !keeps_register(&user) {
            return ctx.page_error(AppError::Forbidden).into_response();
        }
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&ctx, &user, &values, &errors, &Outcome::None),
        )
            .into_response();
    };
    // An .xlsx file is a zip archive; anything else is read as CSV.
    let format = if bytes.starts_with(b"PK\x03\x04") {
        Format::Xlsx
    } else {
        Format::Csv
    };
    match app.industry.import(&user, kind, format, &bytes).await {
        Ok(report) => render(&ctx, &user, &values, &[], &Outcome::Imported(report)).into_response(),
        Err(IndustryError::ImportRejected(rows)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&ctx, &user, &values, &[], &Outcome::Rejected(rows)),
        )
            .into_response(),
        Err(e) => match refusal(e) {
            Ok((status, errors)) => (
                status,
                render(&ctx, &user, &values, &errors, &Outcome::None),
            )
                .into_response(),
            Err(other) => ctx.page_error(other).into_response(),
        },
    }
}

/// The uploaded file's bytes, or the pasted CSV's.
fn file_bytes(values: &Fields, errors: &mut Vec<FieldError>) -> Option<Vec<u8>> {
    let encoded = values.get("file_base64");
    if !encoded.is_empty() {
        return match base64::engine::general_purpose::STANDARD.decode(encoded) {
            Ok(bytes) => Some(bytes),
            Err(_) => {
                errors.push(FieldError::new(
                    "file",
                    "文件未能完整上传，请重新选择文件后提交",
                    "the file did not arrive intact: choose it again and submit",
                ));
                None
            }
        };
    }
    let pasted = values.get("csv_text");
    if !pasted.is_empty() {
        return Some(pasted.as_bytes().to_vec());
    }
    errors.push(FieldError::new(
        "file",
        "请选择要导入的CSV或Excel（.xlsx）文件，或在下方粘贴CSV内容",
        "choose the CSV or Excel (.xlsx) file to import, or paste the CSV below",
    ));
    None
}

fn render(
    ctx: &Ctx,
    _user: &Principal,
    values: &Fields,
    errors: &[FieldError],
    outcome: &Outcome,
) -> Markup {
    let lang = ctx.lang;
    let kind = values.get("kind");
    let file_error = errors.iter().find(|e| e.field == "file");
    let kind_error = errors.iter().find(|e| e.field == "kind");
    let body = html! {
        script src="/assets/clinic.js" defer {}
        p.back { a href="/companies" { "← " (t(lang, "companies.title")) } }
        h1 { (t(lang, "companies.import.title")) }
        p.lead { (t(lang, "companies.import.intro")) }
        @match outcome {
            Outcome::Imported(r) => (report(lang, r)),
            Outcome::Rejected(rows) => (rejected(lang, rows)),
            Outcome::None => {}
        }
        (summary(lang, "", errors))
        form.stack method="post" action="/companies/import" novalidate {
            (csrf_field(ctx))
            fieldset.field.field-error[kind_error.is_some()] id="kind" {
                legend { (t(lang, "companies.import.kind")) }
                @if let Some(e) = kind_error { p.error-message { (e.message(lang)) } }
                label.choice {
                    input type="radio" name="kind" value="companies" checked[kind != "stages"];
                    " " (t(lang, "companies.import.kind_companies"))
                }
                label.choice {
                    input type="radio" name="kind" value="stages" checked[kind == "stages"];
                    " " (t(lang, "companies.import.kind_stages"))
                }
            }
            div.field.field-error[file_error.is_some()] {
                label for="file" { (t(lang, "companies.import.file")) }
                p.hint id="file-hint" { (t(lang, "companies.import.file_hint")) }
                @if let Some(e) = file_error { p.error-message id="file-error" { (e.message(lang)) } }
                input #file type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    data-b64="file_base64" data-type="file_type" aria-describedby="file-hint";
                input type="hidden" name="file_base64" value="";
                input type="hidden" name="file_type" value="";
            }
            details {
                summary { (t(lang, "companies.import.paste")) }
                div.field {
                    label for="csv_text" { (t(lang, "companies.import.paste_label")) }
                    textarea #csv_text name="csv_text" rows="6" { (values.get("csv_text")) }
                }
            }
            button.button type="submit" { (t(lang, "companies.import.submit")) }
        }
        section.card id="formats" {
            h2 { (t(lang, "companies.import.formats")) }
            p { (t(lang, "companies.import.formats_intro")) }
            h3 id="format-companies" { (t(lang, "companies.import.kind_companies")) }
            p {
                a href="/companies/import/samples/companies-good.csv" download { (t(lang, "companies.import.sample_csv")) }
                " · "
                a href="/companies/import/samples/companies-good.xlsx" download { (t(lang, "companies.import.sample_xlsx")) }
            }
            (columns(lang, COMPANY_COLUMNS))
            p.hint { (t(lang, "companies.import.companies_notes")) }
            h3 id="format-stages" { (t(lang, "companies.import.kind_stages")) }
            p { a href="/companies/import/samples/stages-good.csv" download { (t(lang, "companies.import.sample_csv")) } }
            (columns(lang, STAGE_COLUMNS))
            p.hint { (t(lang, "companies.import.stages_notes")) }
        }
    };
    page(ctx, t(lang, "companies.import.title"), body)
}

fn columns(lang: Lang, columns: &[Column]) -> Markup {
    html! {
        div.table-wrap.table-scroll {
            table.data {
                thead { tr {
                    th scope="col" { (t(lang, "companies.import.header_zh")) }
                    th scope="col" { (t(lang, "companies.import.header_en")) }
                    th scope="col" { (t(lang, "companies.import.required")) }
                } }
                tbody {
                    @for c in columns {
                        tr {
                            th scope="row" { (c.zh) }
                            td.mono { (c.en) }
                            td { (if c.required { t(lang, "companies.import.yes") } else { t(lang, "companies.import.no") }) }
                        }
                    }
                }
            }
        }
    }
}

fn report(lang: Lang, r: &ImportReport) -> Markup {
    let n = |v: usize| v.to_string();
    html! {
        div.notice.notice-success role="status" {
            h2 { (t(lang, "companies.import.done")) }
            ul {
                li { (tf(lang, "companies.import.rows", &[("count", &n(r.rows))])) }
                li { (tf(lang, "companies.import.created", &[("count", &n(r.companies_created))])) }
                li { (tf(lang, "companies.import.updated", &[("count", &n(r.companies_updated))])) }
                li { (tf(lang, "companies.import.figures", &[("count", &n(r.figures_written)), ("replaced", &n(r.figures_replaced))])) }
                li { (tf(lang, "companies.import.products", &[("count", &n(r.products_created))])) }
                li { (tf(lang, "companies.import.stages", &[("count", &n(r.stages_recorded))])) }
            }
            p.muted { (t(lang, "companies.import.id")) " " span.mono { (r.import_id) } }
        }
    }
}

fn rejected(lang: Lang, rows: &[RowError]) -> Markup {
    html! {
        div.error-summary role="alert" tabindex="-1" id="rejected" {
            h2 { (tf(lang, "companies.import.rejected", &[("count", &rows.len().to_string())])) }
            div.table-wrap.table-scroll {
                table.data {
                    thead { tr {
                        th.num scope="col" { (t(lang, "companies.import.row")) }
                        th scope="col" { (t(lang, "companies.import.column")) }
                        th scope="col" { (t(lang, "companies.import.value")) }
                        th scope="col" { (t(lang, "companies.import.message")) }
                    } }
                    tbody {
                        @for r in rows {
                            tr {
                                th.num scope="row" { (r.row) }
                                td { (r.column) }
                                td.mono { (r.value) }
                                td { (pick(lang, &r.message_zh, &r.message_en)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The synthetic sample files of the `industry` crate, as downloads.
pub async fn sample(Signed { ctx, .. }: Signed, Path(name): Path<String>) -> Response {
    let (bytes, kind): (&'static [u8], &'static str) = match name.as_str() {
        "companies-good.csv" => (
            include_bytes!("../../../../industry/samples/companies-good.csv"),
            "text/csv; charset=utf-8",
        ),
        "companies-good.xlsx" => (
            include_bytes!("../../../../industry/samples/companies-good.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "stages-good.csv" => (
            include_bytes!("../../../../industry/samples/stages-good.csv"),
            "text/csv; charset=utf-8",
        ),
        _ => return ctx.page_error(AppError::NotFound).into_response(),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
