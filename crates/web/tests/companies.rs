//! The company register's pages and API on both backends, with the demo city's accounts:
//! registering through the page and the API (a wrong credit code is refused naming the
//! position), imports of the sample files (a bad file writes nothing and reports each row),
//! what a company user sees of its own and another company, the register and company pages,
//! and the drug pipeline funnel counting a recorded phase I.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use serde_json::{Value, json};
use support::{App, Client, Reply, app, call, token};

const GOOD_CSV: &[u8] = include_bytes!("../../industry/samples/companies-good.csv");
const GOOD_XLSX: &[u8] = include_bytes!("../../industry/samples/companies-good.xlsx");
const BAD_CSV: &[u8] = include_bytes!("../../industry/samples/companies-bad.csv");
const STAGES_CSV: &[u8] = include_bytes!("../../industry/samples/stages-good.csv");

async fn both(check: impl AsyncFn(&App)) {
    let dbs = store::testing::TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        check(&app).await;
    }
}

async fn upload(app: &App, token: &str, query: &str, bytes: &[u8]) -> Reply {
    let request = Request::post(format!("/api/v1/companies/import?{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    Client::new(app).send(request).await
}

async fn signed_in<'a>(app: &'a App, username: &str) -> Client<'a> {
    let mut client = Client::new(app);
    let reply = client.login(username, demo::DEMO_PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    client
}

/// A valid credit code for a Nanjing (3201xx) company, distinct per `n`.
fn code(n: u32) -> String {
    industry::Uscc::with_check(&format!("91320106MA1T{n:05}"))
        .unwrap()
        .as_str()
        .to_owned()
}

/// The same code with a wrong check character.
fn wrong_check(code: &str) -> String {
    let last = code.chars().last().unwrap();
    let other = if last == '0' { '1' } else { '0' };
    format!("{}{other}", &code[..17])
}

fn company_body(uscc: &str, name: &str) -> Value {
    json!({
        "uscc": uscc, "name": name, "district": "鼓楼区", "park": "示例园区（合成数据）",
        "segments": ["biologics", "CXO"], "founded": "2016-03-15", "paid_in_capital_yuan": 50_000_000,
    })
}

async fn company_org(app: &App) -> String {
    let id = app
        .accounts
        .user_id_by_username("company")
        .await
        .unwrap()
        .unwrap();
    app.accounts
        .user(&id)
        .await
        .unwrap()
        .unwrap()
        .organisation_id
}

fn form_of(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

async fn post(
    client: &mut Client<'_>,
    page: &str,
    uri: &str,
    fields: &[(String, String)],
) -> Reply {
    let csrf = client.get(page).await.csrf();
    let mut all: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
    all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    client.post_form(uri, &all).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_official_registers_through_the_page_and_a_wrong_code_names_its_position() {
    both(async |app| {
        let mut official = signed_in(app, "industry.official").await;
        let form = official.get("/companies/new").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("统一社会信用代码"), "{}", form.body);
        assert!(form.body.contains("name=\"segments\""));

        let good = code(1);
        let fields = |uscc: &str| {
            form_of(&[
                ("uscc", uscc.to_owned()),
                ("name", "页面登记示例生物（合成数据）".into()),
                ("district", "gulou".into()),
                ("park", "".into()),
                ("segments", "biologics".into()),
                ("segments", "cxo".into()),
                ("founded", "2018-05-02".into()),
                ("paid_in_capital_yuan", "12,000,000".into()),
            ])
        };
        let bad = post(
            &mut official,
            "/companies/new",
            "/companies/new",
            &fields(&wrong_check(&good)),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("第18位校验码"), "{}", bad.body);
        assert!(
            bad.body.contains("href=\"#uscc\""),
            "the summary links to the field"
        );
        assert!(
            bad.body.contains("页面登记示例生物"),
            "what was typed is kept"
        );

        // Every unreadable field is named at once, the code with them.
        let mut broken = fields("91320106MA1T0000");
        broken.retain(|(k, _)| k != "founded");
        broken.push(("founded".into(), "2018/13/40".into()));
        let bad = post(&mut official, "/companies/new", "/companies/new", &broken).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("href=\"#founded\""), "{}", bad.body);
        assert!(bad.body.contains("href=\"#uscc\""), "{}", bad.body);

        let done = post(
            &mut official,
            "/companies/new",
            "/companies/new",
            &fields(&good),
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let page = official.get(done.location()).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("页面登记示例生物（合成数据）"));
        assert!(page.body.contains(&good));
        assert!(
            page.body.contains("1,200.00万元"),
            "capital in 万元: {}",
            page.body
        );

        // The same code again clashes with the register, beside the field.
        let again = post(
            &mut official,
            "/companies/new",
            "/companies/new",
            &fields(&good),
        )
        .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.body.contains("href=\"#uscc\""), "{}", again.body);

        // Neither a doctor nor a company user keeps the register's other companies.
        let mut doctor = signed_in(app, "doctor").await;
        assert_eq!(
            doctor.get("/companies/new").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            doctor.get("/companies/import").await.status,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_registers_and_keeps_companies() {
    both(async |app| {
        let official = token(app, "st.official").await;
        let uscc = code(2);
        let r = call(app, &official, "POST", "/companies", Some(company_body(&uscc, "接口示例医药（合成数据）"))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().unwrap().to_owned();
        assert_eq!(r.json()["segments"], json!(["biologics", "cxo"]));

        let r = call(app, &official, "POST", "/companies", Some(company_body(&wrong_check(&uscc), "x"))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "uscc");
        assert!(r.json()["detail"].as_str().unwrap().contains("18"), "{}", r.body);

        let r = call(app, &official, "POST", "/companies", Some(company_body(&uscc, "重复（合成数据）"))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

        let r = call(app, &official, "PUT", &format!("/companies/{id}/figures/2024"), Some(json!({ "revenue_yuan": 150_000_000, "rd_spend_yuan": 42_000_000, "staff": 260, "output_yuan": 140_000_000 }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = call(app, &official, "PUT", &format!("/companies/{id}/figures/2024"), Some(json!({ "revenue_yuan": 151_000_000, "rd_spend_yuan": 42_000_000, "staff": 260, "output_yuan": 140_000_000 }))).await;
        assert_eq!(r.json()["replaced"]["revenue_yuan"], 150_000_000, "{}", r.body);
        let r = call(app, &official, "PUT", &format!("/companies/{id}/figures/1948"), Some(json!({ "revenue_yuan": 1, "rd_spend_yuan": 1, "staff": 1, "output_yuan": 1 }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "year");

        let r = call(app, &official, "POST", &format!("/companies/{id}/qualifications"), Some(json!({ "kind": "glp", "obtained": "2023-03-01", "expires": "2029-03-01", "evidence": "GLP-2023-001（合成）", "detail": 3 }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = call(app, &official, "POST", &format!("/companies/{id}/qualifications"), Some(json!({ "kind": "gcp", "obtained": "2023-03-01", "evidence": "GCP-1" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "detail");

        let r = call(app, &official, "GET", "/companies?district=gulou&segment=cxo", None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["total"], 1, "{}", r.body);
        let r = call(app, &official, "GET", "/companies?qualification=glp", None).await;
        assert_eq!(r.json()["total"], 1, "{}", r.body);
        let r = call(app, &official, "GET", "/companies?segment=real-estate", None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        let r = call(app, &official, "GET", &format!("/companies/{id}"), None).await;
        assert_eq!(r.json()["figures_visible"], true);
        assert_eq!(r.json()["figures"][0]["revenue_yuan"], 151_000_000);
        let r = call(app, &official, "GET", "/companies/no-such-company", None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // The OpenAPI document describes every route of the area.
        let doc = Client::new(app).get("/api/openapi.json").await.json();
        for route in web::api::companies::ROUTES {
            assert!(doc["paths"][*route].is_object(), "{route}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_write_everything_or_nothing_and_report_each_row() {
    both(async |app| {
        let mut official = signed_in(app, "industry.official").await;
        let page = official.get("/companies/import").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("/assets/clinic.js"));
        assert!(page.body.contains("data-b64=\"file_base64\""));
        assert!(page.body.contains("营业收入（元）") && page.body.contains("revenue_yuan"));
        let sample = official
            .get("/companies/import/samples/companies-good.csv")
            .await;
        assert_eq!(sample.status, StatusCode::OK);

        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let bad = post(
            &mut official,
            "/companies/import",
            "/companies/import",
            &form_of(&[
                ("kind", "companies".into()),
                ("file_base64", b64(BAD_CSV)),
                ("file_type", "text/csv".into()),
            ]),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(bad.body.contains("未写入任何数据"), "{}", bad.body);
        for row in [
            "<th class=\"num\" scope=\"row\">2</th>",
            "<th class=\"num\" scope=\"row\">3</th>",
        ] {
            assert!(bad.body.contains(row), "{row} reported: {}", bad.body);
        }
        assert!(bad.body.contains("海淀区"), "the bad value is shown");
        let user = support_principal(app, "industry.official").await;
        let none = app
            .state
            .industry
            .companies(&user, &Default::default())
            .await
            .unwrap();
        assert!(none.is_empty(), "nothing written");

        let good = post(
            &mut official,
            "/companies/import",
            "/companies/import",
            &form_of(&[
                ("kind", "companies".into()),
                ("file_base64", b64(GOOD_CSV)),
                ("file_type", "text/csv".into()),
            ]),
        )
        .await;
        assert_eq!(good.status, StatusCode::OK, "{}", good.body);
        assert!(good.body.contains("新登记企业 3 家"), "{}", good.body);
        assert!(good.body.contains("写入年度数据 4 条"), "{}", good.body);

        // The API: the bad file again, as JSON rows; the same companies from Excel update.
        let t = token(app, "industry.official").await;
        let r = upload(app, &t, "kind=companies&format=csv", BAD_CSV).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let rows = r.json()["rows"].as_array().unwrap().clone();
        assert!(rows.len() >= 5, "{}", r.body);
        assert!(
            rows.iter()
                .all(|e| e["row"].as_u64().unwrap() >= 2 && e["column"].is_string())
        );
        let r = upload(app, &t, "kind=companies&format=xlsx", GOOD_XLSX).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["companies_updated"], 3, "{}", r.body);
        let r = upload(app, &t, "kind=stages&format=csv", STAGES_CSV).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            r.json()["stages_recorded"].as_u64().unwrap() >= 4,
            "{}",
            r.body
        );
        let r = upload(app, &t, "kind=people&format=csv", GOOD_CSV).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Only officials and administrators import.
        let company = token(app, "company").await;
        let r = upload(app, &company, "kind=companies&format=csv", GOOD_CSV).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let mut company = signed_in(app, "company").await;
        assert_eq!(
            company.get("/companies/import").await.status,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

/// The principal of a demo account, for setting up data through the services.
async fn support_principal(app: &App, username: &str) -> access::Principal {
    let t = token(app, username).await;
    app.accounts.token_principal(&t).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_user_sees_only_its_own_figures_and_keeps_only_its_own_company() {
    both(async |app| {
        let official = token(app, "industry.official").await;
        let org = company_org(app).await;
        // Before its company is registered, its user is shown how to register it.
        let mut company = signed_in(app, "company").await;
        let unregistered = company.get(&format!("/companies/{org}")).await;
        assert_eq!(unregistered.status, StatusCode::OK);
        assert!(unregistered.body.contains("本企业尚未登记"), "{}", unregistered.body);
        let form = company.get("/companies/new").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("readonly"), "its own code, fixed: {}", form.body);
        assert!(!form.body.contains("name=\"organisation_id\""), "no binding choice");

        let mut own = company_body(&code(3), "本企业示例（合成数据）");
        own["organisation_id"] = json!(org);
        let r = call(app, &official, "POST", "/companies", Some(own)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["id"], json!(org), "a bound company is known by its organisation's id");
        let r = call(app, &official, "POST", "/companies", Some(company_body(&code(4), "他企业示例（合成数据）"))).await;
        let other = r.json()["id"].as_str().unwrap().to_owned();
        for id in [&org, &other] {
            let r = call(app, &official, "PUT", &format!("/companies/{id}/figures/2024"), Some(json!({ "revenue_yuan": 123_450_000, "rd_spend_yuan": 20_000_000, "staff": 100, "output_yuan": 100_000_000 }))).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }

        let register = company.get("/companies").await;
        assert_eq!(register.status, StatusCode::SEE_OTHER);
        assert_eq!(register.location(), format!("/companies/{org}"));
        let mine = company.get(&format!("/companies/{org}")).await;
        assert_eq!(mine.status, StatusCode::OK);
        assert!(mine.body.contains("12,345.00万元"), "own figures: {}", mine.body);
        assert!(mine.body.contains("填报年度数据"), "the company keeps its own figures");
        assert!(mine.body.contains(&format!("/subsidies?company={org}")));
        let theirs = company.get(&format!("/companies/{other}")).await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert!(theirs.body.contains("他企业示例"));
        assert!(!theirs.body.contains("12,345.00万元"), "another company's figures are hidden");
        assert!(theirs.body.contains("年度经营数据仅本企业"));
        assert!(!theirs.body.contains("填报年度数据"), "no form for another company");

        let figures = form_of(&[
            ("year", "2023".into()), ("revenue_yuan", "100".into()), ("rd_spend_yuan", "10".into()),
            ("staff", "3".into()), ("output_yuan", "90".into()),
        ]);
        let r = post(&mut company, &format!("/companies/{org}"), &format!("/companies/{other}/figures"), &figures).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = post(&mut company, &format!("/companies/{org}"), &format!("/companies/{other}/edit"), &form_of(&[("name", "改名".into())])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(company.get(&format!("/companies/{other}/edit")).await.status, StatusCode::FORBIDDEN);
        let r = post(&mut company, &format!("/companies/{org}"), &format!("/companies/{org}/figures"), &figures).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut negative = figures.clone();
        negative[1].1 = "-5".into();
        let r = post(&mut company, &format!("/companies/{org}"), &format!("/companies/{org}/figures"), &negative).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("href=\"#figures-revenue_yuan\""), "{}", r.body);

        let t = token(app, "company").await;
        let r = call(app, &t, "PUT", &format!("/companies/{other}/figures/2024"), Some(json!({ "revenue_yuan": 1, "rd_spend_yuan": 1, "staff": 1, "output_yuan": 1 }))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = call(app, &t, "GET", &format!("/companies/{other}"), None).await;
        assert_eq!(r.json()["figures_visible"], false);
        assert!(r.json()["figures"].is_null());
        let r = call(app, &t, "GET", &format!("/companies/{org}"), None).await;
        assert_eq!(r.json()["figures"].as_array().unwrap().len(), 2, "{}", r.body);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_and_a_company_page_show_the_pipeline_and_the_funnel_counts_phase_one() {
    both(async |app| {
        let official = token(app, "st.official").await;
        let r = call(app, &official, "POST", "/companies", Some(company_body(&code(5), "管线示例药业（合成数据）"))).await;
        let id = r.json()["id"].as_str().unwrap().to_owned();
        let r = call(app, &official, "POST", &format!("/companies/{id}/products"), Some(json!({ "name": "示例一类新药（合成数据）", "kind": "chemical-1", "started": "2020-01-10" }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let drug = r.json()["id"].as_str().unwrap().to_owned();
        let r = call(app, &official, "POST", &format!("/companies/{id}/products"), Some(json!({ "name": "示例三类器械（合成数据）", "kind": "device-iii", "started": "2021-01-10" }))).await;
        let device = r.json()["id"].as_str().unwrap().to_owned();

        let before = call(app, &official, "GET", "/industry/funnel", None).await.json();
        assert_eq!(before["in_clinical_trials"]["count"], 0);
        let r = call(app, &official, "POST", &format!("/products/{drug}/stages"), Some(json!({ "stage": "phase-1-entered", "on": "2022-03-01", "evidence": "CXHL2200001（合成）" }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = call(app, &official, "POST", &format!("/products/{drug}/stages"), Some(json!({ "stage": "phase-1-entered", "on": "2022-03-01", "evidence": "again" }))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let r = call(app, &official, "POST", &format!("/products/{device}/stages"), Some(json!({ "stage": "phase-1-entered", "on": "2022-03-01", "evidence": "x" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "stage");
        let funnel = call(app, &official, "GET", "/industry/funnel", None).await;
        assert_eq!(funnel.status, StatusCode::OK);
        let funnel = funnel.json();
        assert_eq!(funnel["in_clinical_trials"]["count"], 1, "{funnel}");
        let phase1 = funnel["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "phase-1-entered").unwrap();
        assert_eq!(phase1["count"], 1);
        assert_eq!(funnel["targets"][0]["value"], 50);

        // The register, for an official: charts, the target with its citation, the company.
        let mut st = signed_in(app, "st.official").await;
        let register = st.get("/companies").await;
        assert_eq!(register.status, StatusCode::OK);
        for text in ["全市临床创新药申报累计超50个以上", "二、主要目标", "进入临床I期", "管线示例药业（合成数据）", "companies-funnel", "companies-by-district", "鼓楼区", "/companies/new", "div class=\"table-wrap table-scroll\""] {
            assert!(register.body.contains(text), "{text}: {}", register.body);
        }
        let filtered = st.get("/companies?district=jiangning").await;
        assert!(!filtered.body.contains("管线示例药业"), "filtered out");
        assert_eq!(st.get("/companies?qualification=nonsense").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let csv = st.get("/companies?format=csv").await;
        assert!(csv.body.contains("管线示例药业（合成数据）"));
        assert!(register.body.contains("/companies?format=xlsx"), "the Excel download is offered");
        let xlsx = st.get("/companies?district=gulou&format=xlsx").await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert_eq!(
            xlsx.headers[axum::http::header::CONTENT_TYPE],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(
            xlsx.headers[axum::http::header::CONTENT_DISPOSITION],
            "attachment; filename=\"companies.xlsx\""
        );
        assert!(xlsx.body.starts_with("PK"), "a workbook is a zip archive");

        // The company page: the product's current stage and dated, evidenced history; the
        // stage form offers only stages that fit the product's kind.
        let page = st.get(&format!("/companies/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("CXHL2200001（合成）"));
        assert!(page.body.contains("2022年03月01日"), "{}", page.body);
        let device_section = page.body.split(&format!("id=\"product-{device}\"")).nth(1).unwrap();
        let device_section = device_section.split("</article>").next().unwrap();
        assert!(device_section.contains("registration-certificate"));
        assert!(!device_section.contains("phase-1-entered"), "a device has no drug phases");

        // Recording through the page: the evidence is required; a repeat is a conflict.
        let stage_uri = format!("/companies/{id}/products/{drug}/stages");
        let missing = post(&mut st, &format!("/companies/{id}"), &stage_uri, &form_of(&[("stage", "phase-1-completed".into()), ("on", "2023-01-05".into()), ("evidence", "".into())])).await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(missing.body.contains(&format!("href=\"#stage-{drug}-evidence\"")), "{}", missing.body);
        let done = post(&mut st, &format!("/companies/{id}"), &stage_uri, &form_of(&[("stage", "phase-1-completed".into()), ("on", "2023-01-05".into()), ("evidence", "CSR-2023-01（合成）".into())])).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let again = post(&mut st, &format!("/companies/{id}"), &stage_uri, &form_of(&[("stage", "phase-1-completed".into()), ("on", "2023-01-05".into()), ("evidence", "CSR".into())])).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let elsewhere = post(&mut st, &format!("/companies/{id}"), &format!("/companies/{id}/products/no-such/stages"), &form_of(&[("stage", "preclinical".into())])).await;
        assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);

        // A doctor sees the public register: no figures, no registering.
        let mut doctor = signed_in(app, "doctor").await;
        let register = doctor.get("/companies").await;
        assert_eq!(register.status, StatusCode::OK);
        assert!(register.body.contains("管线示例药业（合成数据）"));
        assert!(!register.body.contains("href=\"/companies/new\""));
        let page = doctor.get(&format!("/companies/{id}")).await;
        assert!(!page.body.contains("method=\"post\" action=\"/companies/"), "no forms for a doctor");
        let r = post(&mut doctor, &format!("/companies/{id}"), &format!("/companies/{id}/products"), &form_of(&[("name", "x".into()), ("kind", "health".into()), ("started", "2020-01-01".into())])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // English.
        let english = st.get(&format!("/lang/en?next=/companies/{id}")).await;
        assert_eq!(english.status, StatusCode::SEE_OTHER);
        let page = st.get(&format!("/companies/{id}")).await;
        assert!(page.body.contains("Product pipeline"), "{}", page.body);
    })
    .await;
}
