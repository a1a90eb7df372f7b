//! `/api/v1` routes of the company register (issue 6): the register and one company (public
//! register data for every signed-in caller; yearly figures only for the company, officials,
//! administrators and expert reviewers), registering, figures, qualifications, products and
//! their stages, imports of CSV or Excel bodies, and the drug pipeline funnel. The `industry`
//! crate decides who may do what: a refusal is 403, an unknown id 404, a clash with what is
//! stored 409, a wrong field 422 naming it; a refused import is 422 listing every bad cell.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use industry::{
    Company, Format, ImportKind, IndustryError, NewCompany, NewProduct, NewQualification,
    NewStageEvent, QualificationKind, Segment, Stage, YearFigures,
};
use kernel::Lang;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use access::FieldError;

use super::json::{answer, body, json_of};
use super::openapi::{json_body, object_ok as ok, problem};
use crate::ctx::Signed;
use crate::error::{ApiError, AppError};
use crate::pages::companies::register::{TARGET_DRUGS, filter_of};
use crate::pages::companies::show::product_kind;
use crate::pages::companies::{Fields, district_name, industry_error, parse_date};
use crate::state::AppState;

/// The routes of this area, relative to `/api/v1`.
pub const ROUTES: &[&str] = &[
    "/companies",
    "/companies/import",
    "/companies/{id}",
    "/companies/{id}/figures/{year}",
    "/companies/{id}/qualifications",
    "/companies/{id}/products",
    "/products/{product_id}/stages",
    "/industry/funnel",
];

pub fn router() -> Router<AppState> {
    // Room for the largest file the register accepts, so that its own limit answers first.
    let import_limit = usize::try_from(industry::import::limits().max_bytes.value)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);
    Router::new()
        .route(ROUTES[0], get(list).post(register))
        .route(
            ROUTES[1],
            post(import).layer(DefaultBodyLimit::max(import_limit)),
        )
        .route(ROUTES[2], get(one))
        .route(ROUTES[3], put(figures))
        .route(ROUTES[4], post(qualification))
        .route(ROUTES[5], post(product))
        .route(ROUTES[6], post(stage))
        .route(ROUTES[7], get(funnel))
}

fn invalid(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::Invalid(vec![FieldError::new(field, zh, en)])
}

fn date_of(field: &'static str, text: &str) -> Result<jiff::civil::Date, AppError> {
    parse_date(text).ok_or_else(|| {
        invalid(
            field,
            format!("{field}“{text}”不是有效日期，应为YYYY-MM-DD"),
            format!("{field} \"{text}\" is not a date: use YYYY-MM-DD"),
        )
    })
}

fn company_json(lang: Lang, c: &Company) -> Value {
    let mut v = json_of(c);
    v["district_name"] = json!(district_name(lang, &c.district));
    v
}

async fn list(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let (filter, errors) = filter_of(&Fields(query));
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let companies = app
            .industry
            .companies(&user, &filter)
            .await
            .map_err(industry_error)?;
        Ok(json!({
            "total": companies.len(),
            "items": companies.iter().map(|c| company_json(ctx.lang, c)).collect::<Vec<_>>(),
        }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompanyBody {
    uscc: String,
    name: String,
    #[serde(default)]
    organisation_id: Option<String>,
    district: String,
    #[serde(default)]
    park: Option<String>,
    segments: Vec<String>,
    founded: String,
    paid_in_capital_yuan: i64,
    #[serde(default)]
    listed: bool,
}

impl CompanyBody {
    fn into_new(self) -> Result<NewCompany, AppError> {
        let mut segments = Vec::new();
        for s in &self.segments {
            segments.push(
                Segment::from_key(s)
                    .or_else(|| Segment::parse(s))
                    .ok_or_else(|| {
                        invalid(
                            "segments",
                            format!("“{s}”不是产业领域"),
                            format!("\"{s}\" is not an industry segment"),
                        )
                    })?,
            );
        }
        Ok(NewCompany {
            founded: date_of("founded", &self.founded)?,
            uscc: self.uscc,
            name: self.name,
            organisation_id: self.organisation_id,
            district: self.district,
            park: self.park,
            segments,
            paid_in_capital_yuan: self.paid_in_capital_yuan,
            listed: self.listed,
        })
    }
}

async fn register(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    bytes: Bytes,
) -> Response {
    let result = async {
        let new = body::<CompanyBody>(&bytes)?.into_new()?;
        let company = app
            .industry
            .register_company(&user, new)
            .await
            .map_err(industry_error)?;
        Ok(company_json(ctx.lang, &company))
    }
    .await;
    match result {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(error) => ApiError {
            error,
            lang: ctx.lang,
        }
        .into_response(),
    }
}

async fn one(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let company = app.industry.company(&id).await.map_err(industry_error)?;
        let qualifications = app
            .industry
            .qualifications(&id)
            .await
            .map_err(industry_error)?;
        let mut products = Vec::new();
        for p in app
            .industry
            .products_of(&id)
            .await
            .map_err(industry_error)?
        {
            let stages = app
                .industry
                .stage_events(&p.id)
                .await
                .map_err(industry_error)?;
            let current = industry::stage::current_stage(stages.iter().map(|e| e.stage));
            products.push(json!({ "product": p, "current_stage": current, "stages": stages }));
        }
        // Figures are shown only to those the register lets read them; others get the
        // public register entry without them.
        let figures = match app.industry.figures(&user, &id).await {
            Ok(f) => Some(f),
            Err(IndustryError::Forbidden { .. }) => None,
            Err(e) => return Err(industry_error(e)),
        };
        Ok(json!({
            "company": company_json(ctx.lang, &company),
            "qualifications": qualifications,
            "products": products,
            "figures_visible": figures.is_some(),
            "figures": figures,
        }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FiguresBody {
    revenue_yuan: i64,
    rd_spend_yuan: i64,
    staff: i64,
    output_yuan: i64,
    #[serde(default)]
    tax_yuan: Option<i64>,
}

async fn figures(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, year)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let year: i16 = year.trim().parse().map_err(|_| {
            invalid(
                "year",
                format!("年度“{year}”应为四位数字年份"),
                format!("the year \"{year}\" must be a four-digit year"),
            )
        })?;
        let b: FiguresBody = body(&bytes)?;
        let figures = YearFigures {
            year,
            revenue_yuan: b.revenue_yuan,
            rd_spend_yuan: b.rd_spend_yuan,
            staff: b.staff,
            output_yuan: b.output_yuan,
            tax_yuan: b.tax_yuan,
        };
        let replaced = app
            .industry
            .record_year(&user, &id, figures.clone())
            .await
            .map_err(industry_error)?;
        Ok(json!({ "company_id": id, "figures": figures, "replaced": replaced }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QualificationBody {
    kind: String,
    obtained: String,
    #[serde(default)]
    expires: Option<String>,
    evidence: String,
    #[serde(default)]
    detail: Option<i64>,
}

async fn qualification(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let b: QualificationBody = body(&bytes)?;
        let kind = QualificationKind::from_key(&b.kind)
            .or_else(|| QualificationKind::parse(&b.kind))
            .ok_or_else(|| {
                invalid(
                    "kind",
                    format!("“{}”不是资质类别", b.kind),
                    format!("\"{}\" is not a qualification kind", b.kind),
                )
            })?;
        let expires = match b.expires.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(date_of("expires", d)?),
        };
        let q = app
            .industry
            .add_qualification(
                &user,
                &id,
                NewQualification {
                    kind,
                    obtained: date_of("obtained", &b.obtained)?,
                    expires,
                    evidence: b.evidence,
                    detail: b.detail,
                },
            )
            .await
            .map_err(industry_error)?;
        Ok(json_of(&q))
    }
    .await;
    created(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductBody {
    name: String,
    /// A drug class key (`chemical-1`), `device-ii`, `device-iii` or `health`, or their
    /// Chinese names.
    kind: String,
    #[serde(default)]
    special_review: bool,
    started: String,
}

async fn product(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let b: ProductBody = body(&bytes)?;
        let mut errors = Vec::new();
        let kind = product_kind(&b.kind, b.special_review, &mut errors);
        let (Some(kind), true) = (kind, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let p = app
            .industry
            .add_product(
                &user,
                NewProduct {
                    company_id: id,
                    name: b.name,
                    kind,
                    started: date_of("started", &b.started)?,
                },
            )
            .await
            .map_err(industry_error)?;
        Ok(json_of(&p))
    }
    .await;
    created(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageBody {
    stage: String,
    on: String,
    evidence: String,
    #[serde(default)]
    evidence_sha256: Option<String>,
    #[serde(default)]
    skips_with_reason: Option<String>,
    #[serde(default)]
    first_in_country: bool,
}

async fn stage(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(product_id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let b: StageBody = body(&bytes)?;
        let stage = Stage::from_key(&b.stage)
            .or_else(|| Stage::parse(&b.stage))
            .ok_or_else(|| {
                invalid(
                    "stage",
                    format!("“{}”不是阶段", b.stage),
                    format!("\"{}\" is not a stage", b.stage),
                )
            })?;
        let event = app
            .industry
            .record_stage(
                &user,
                &product_id,
                NewStageEvent {
                    stage,
                    on: date_of("on", &b.on)?,
                    evidence: b.evidence,
                    evidence_sha256: b.evidence_sha256,
                    skips_with_reason: b.skips_with_reason,
                    first_in_country: b.first_in_country,
                },
            )
            .await
            .map_err(industry_error)?;
        Ok(json_of(&event))
    }
    .await;
    created(result, ctx.lang)
}

fn created(result: Result<Value, AppError>, lang: Lang) -> Response {
    match result {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(error) => ApiError { error, lang }.into_response(),
    }
}

#[derive(Deserialize)]
struct ImportQuery {
    kind: Option<String>,
    format: Option<String>,
}

async fn import(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<ImportQuery>,
    bytes: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let lang = ctx.lang;
    let kind = match q.kind.as_deref() {
        Some("companies") => ImportKind::Companies,
        Some("stages") => ImportKind::Stages,
        _ => {
            return answer(
                Err(invalid(
                    "kind",
                    "请给出 kind=companies（企业及年度数据）或 kind=stages（产品阶段）",
                    "give kind=companies (companies with yearly figures) or kind=stages (product stages)",
                )),
                lang,
            );
        }
    };
    let format = match q.format.as_deref() {
        Some("csv") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        _ => {
            return answer(
                Err(invalid(
                    "format",
                    "请给出 format=csv 或 format=xlsx",
                    "give format=csv or format=xlsx",
                )),
                lang,
            );
        }
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            let limit = industry::import::limits().max_bytes.value;
            return answer(
                Err(AppError::BadRequest {
                    zh: format!("未能读取文件（{e}）；文件不能超过{limit}字节"),
                    en: format!(
                        "the file could not be read ({e}); it may be at most {limit} bytes"
                    ),
                }),
                lang,
            );
        }
    };
    match app.industry.import(&user, kind, format, &bytes).await {
        Ok(report) => Json(json_of(&report)).into_response(),
        Err(IndustryError::ImportRejected(rows)) => rejected(lang, &rows),
        Err(e) => answer(Err(industry_error(e)), lang),
    }
}

/// A refused import: a problem document with every bad cell, nothing written.
fn rejected(lang: Lang, rows: &[industry::RowError]) -> Response {
    let detail = match lang {
        Lang::Zh => format!(
            "文件未导入：共{}处错误，请按行修改后重新上传（未写入任何数据）",
            rows.len()
        ),
        Lang::En => format!(
            "The file was not imported: {} error(s); correct the rows listed and upload it again (nothing was written)",
            rows.len()
        ),
    };
    let problem = json!({
        "type": "https://lifehealth.invalid/problems/import-rejected",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": detail,
        "rows": rows.iter().map(|r| json!({
            "row": r.row,
            "column": r.column,
            "value": r.value,
            "message": match lang { Lang::Zh => &r.message_zh, Lang::En => &r.message_en },
            "message_zh": r.message_zh,
            "message_en": r.message_en,
        })).collect::<Vec<_>>(),
    });
    let mut response = (StatusCode::UNPROCESSABLE_ENTITY, problem.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

async fn funnel(State(app): State<AppState>, Signed { ctx, .. }: Signed) -> Response {
    let result = async {
        let funnel = app
            .industry
            .pipeline_funnel(industry::company::CITY)
            .await
            .map_err(industry_error)?;
        let in_clinic = funnel
            .iter()
            .find(|(s, _)| *s == Stage::Phase1Entered)
            .map_or(0, |(_, n)| *n);
        Ok(json!({
            "city": industry::company::CITY,
            "counts": "innovative drugs (every registration class except generics) of companies on the register whose current stage is at or past each stage",
            "stages": funnel.iter().map(|(s, n)| json!({ "stage": s, "name_zh": s.zh(), "name_en": s.en(), "count": n })).collect::<Vec<_>>(),
            "in_clinical_trials": {
                "count": in_clinic,
                "counted_as": "drugs that entered phase I or beyond",
            },
            "targets": [
                {
                    "value": TARGET_DRUGS,
                    "by": 2023,
                    "text": "到2023年，全市临床创新药申报累计超50个以上",
                    "source": "南京市生命健康科技创新行动计划（2022）二、主要目标",
                },
                {
                    "value": 50,
                    "by": 2022,
                    "text": "创新药申报临床累计超50个",
                    "source": "南京市打造新医药与生命健康产业地标行动计划（宁政办发〔2020〕35号）一、（二）主要目标",
                },
                {
                    "value": 100,
                    "by": 2025,
                    "text": "创新药申报临床累计超100个",
                    "source": "南京市打造新医药与生命健康产业地标行动计划（宁政办发〔2020〕35号）一、（二）主要目标",
                },
            ],
        }))
    }
    .await;
    answer(result, ctx.lang)
}

/// The OpenAPI path items of [`ROUTES`].
pub fn paths() -> Map<String, Value> {
    let path = |name: &str| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } });
    let query = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": description });
    let op = |summary: &str, success: &str, body: Option<Value>, params: Vec<Value>| {
        let mut o = json!({
            "summary": summary,
            "parameters": params,
            "responses": { success: ok(summary), "401": problem(), "403": problem(), "404": problem(), "409": problem(), "422": problem() },
        });
        if let Some(b) = body {
            o["requestBody"] = b;
        }
        o
    };
    let company = "{uscc, name, organisation_id?, district (key or name), park?, segments: [key or name], founded: YYYY-MM-DD, paid_in_capital_yuan, listed?}";
    let mut paths = Map::new();
    paths.insert(ROUTES[0].into(), json!({
        "get": op("The register (public register data): filter by district, segment, qualification (held now) and text (part of the name or the whole credit code)", "200", None, vec![
            query("district", "district key or name"),
            query("segment", "segment key"),
            query("qualification", "qualification kind key"),
            query("q", "part of the name, or the credit code"),
        ]),
        "post": op("Register a company (officials and administrators; a company user only its own, under its organisation's code); 409 when the code is registered; 422 names the field and, for the code, the position", "201", Some(json_body(company)), vec![]),
    }));
    paths.insert(ROUTES[1].into(), json!({
        "post": {
            "summary": "Import a CSV (UTF-8) or .xlsx file of companies with yearly figures, or of product stage events (officials and administrators); all rows or none; 422 lists every bad cell as {row, column, value, message}",
            "parameters": [
                { "name": "kind", "in": "query", "required": true, "schema": { "type": "string", "enum": ["companies", "stages"] } },
                { "name": "format", "in": "query", "required": true, "schema": { "type": "string", "enum": ["csv", "xlsx"] } },
            ],
            "requestBody": { "required": true, "content": {
                "text/csv": { "schema": { "type": "string", "format": "binary" } },
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "format": "binary" } },
            } },
            "responses": { "200": ok("What was written: rows, companies created and updated, figures written and replaced, products created, stages recorded"), "400": problem(), "401": problem(), "403": problem(), "422": problem() },
        },
    }));
    paths.insert(ROUTES[2].into(), json!({ "get": op("One company with its qualifications, products (current stage and dated, evidenced stages) and, for the company, officials, administrators and expert reviewers, its yearly figures", "200", None, vec![path("id")]) }));
    paths.insert(ROUTES[3].into(), json!({ "put": op("Record a year's figures (a correction replaces them and keeps the old values in history); returns the replaced values", "200", Some(json_body("{revenue_yuan, rd_spend_yuan, staff, output_yuan, tax_yuan?}")), vec![path("id"), path("year")]) }));
    paths.insert(ROUTES[4].into(), json!({ "post": op("Add a qualification (kind key, obtained, expires?, evidence, detail for GLP items or GCP specialties)", "201", Some(json_body("{kind, obtained: YYYY-MM-DD, expires?, evidence, detail?}")), vec![path("id")]) }));
    paths.insert(ROUTES[5].into(), json!({ "post": op("Add a product to the company's pipeline", "201", Some(json_body("{name, kind: chemical-1|chemical-2|biological-1|biological-2|tcm-1|tcm-2|biosimilar|generic|device-ii|device-iii|health, special_review?, started: YYYY-MM-DD}")), vec![path("id")]) }));
    paths.insert(ROUTES[6].into(), json!({ "post": op("Record a stage of a product: fitting its kind, dated, with the document number as evidence, after the stage it requires (or with skips_with_reason); a repeat is 409", "201", Some(json_body("{stage, on: YYYY-MM-DD, evidence, evidence_sha256?, skips_with_reason?, first_in_country?}")), vec![path("product_id")]) }));
    paths.insert(ROUTES[7].into(), json!({ "get": op("The drug pipeline funnel of the city's innovative drugs (at or past each stage), with the count that entered phase I or beyond and the cited targets", "200", None, vec![]) }));
    paths
}
