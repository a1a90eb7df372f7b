//! The innovation product lists and the hospital green channel (issue 6, S8) through the API
//! and the pages, on both backends, with the demo city: the demo company registered in the
//! company register with one drug, nominated, refused without a reason (refused), approved,
//! published, listed on the provincial platform 40 days ago, found overdue by the scan at the
//! demo hospital, adopted late by its pharmacist, the alert resolved; and the refusals: a
//! company approving, a hospital recording for another, readers who may not read.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use axum::http::StatusCode;
use greenchannel::AlertFilter;
use industry::{DrugClass, NewCompany, NewProduct, NewStageEvent, ProductKind, Segment, Stage};
use jiff::civil::{Date, date};
use serde_json::{Value, json};
use support::{App, Client, Reply, app, token};

const MI_LIST: &str = "nanjing-2022-mi-innovation";
const PRODUCT: &str = "宁示单抗注射液（合成数据）";
const APPROVAL: &str = "国药准字S20260001";

async fn principal(app: &App, username: &str) -> access::Principal {
    app.accounts
        .token_principal(&token(app, username).await)
        .await
        .unwrap()
        .unwrap()
}

/// A JSON call that asks for answers in Chinese.
async fn call(app: &App, token: &str, method: &str, uri: &str, body: Option<Value>) -> Reply {
    support::call_with(
        app,
        token,
        method,
        uri,
        body,
        &[("accept-language", "zh-CN")],
    )
    .await
}

fn days_ago(n: i64) -> Date {
    kernel::UtcMillis::now()
        .city_date()
        .checked_sub(jiff::Span::new().days(n))
        .unwrap()
}

fn today() -> Date {
    kernel::UtcMillis::now().city_date()
}

/// The quarter before this one, as `YYYY-Qn`.
fn last_quarter() -> String {
    let d = today();
    let q = (d.month() - 1) / 3 + 1;
    if q == 1 {
        format!("{}-Q4", d.year() - 1)
    } else {
        format!("{}-Q{}", d.year(), q - 1)
    }
}

struct Demo {
    product_id: String,
    hospital: String,
    other_hospital: String,
}

/// The demo company (the `company` user's organisation) in the register with one drug whose
/// manufacturing approval is recorded, done by the company's own user.
async fn demo(app: &App) -> Demo {
    let company = app
        .accounts
        .token_principal(&token(app, "company").await)
        .await
        .unwrap()
        .unwrap();
    let org = company.organisation.clone();
    let industry = &app.state.industry;
    industry
        .register_company(
            &company,
            NewCompany {
                uscc: org.uscc.clone().unwrap(),
                name: org.name_zh.clone(),
                organisation_id: Some(org.id.clone()),
                district: org.district.clone().unwrap(),
                park: None,
                segments: vec![Segment::Biologics],
                founded: date(2015, 6, 1),
                paid_in_capital_yuan: 30_000_000,
                listed: false,
            },
        )
        .await
        .unwrap();
    let product = industry
        .add_product(
            &company,
            NewProduct {
                company_id: org.id.clone(),
                name: PRODUCT.into(),
                kind: ProductKind::Drug {
                    class: DrugClass::Biological1,
                },
                started: date(2019, 3, 1),
            },
        )
        .await
        .unwrap();
    industry
        .record_stage(
            &company,
            &product.id,
            NewStageEvent {
                stage: Stage::ManufacturingApproval,
                on: days_ago(200),
                evidence: APPROVAL.into(),
                evidence_sha256: None,
                skips_with_reason: Some("合成数据：此前阶段未录入本平台".into()),
                first_in_country: false,
            },
        )
        .await
        .unwrap();
    let pharmacist = app
        .accounts
        .token_principal(&token(app, "pharmacist").await)
        .await
        .unwrap()
        .unwrap();
    let hospital = pharmacist.organisation.id.clone();
    let other_hospital = app
        .state
        .greenchannel
        .bound_hospitals()
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.id != hospital)
        .unwrap()
        .id;
    Demo {
        product_id: product.id,
        hospital,
        other_hospital,
    }
}

async fn both(check: impl AsyncFn(&App, &Demo)) {
    let dbs = store::testing::TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let d = demo(&app).await;
        check(&app, &d).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_goes_from_nomination_to_late_adoption_through_the_api() {
    both(async |app, d| {
        let company = token(app, "company").await;
        let mi = token(app, "mi.official").await;
        let pharmacist = token(app, "pharmacist").await;
        let admin = token(app, "admin").await;

        // The company nominates its register product; the approval number comes from the
        // register's manufacturing approval.
        let r = call(app, &company, "POST", "/products/nominations", Some(json!({
            "list": MI_LIST, "product_id": d.product_id, "evidence": "生物制品1类新药，已获生产批件（合成数据）"
        }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let n = r.json();
        assert_eq!(n["state"]["state"], "submitted");
        assert_eq!(n["registration_no"], APPROVAL);
        assert_eq!(n["product_name"], PRODUCT);
        let id = n["id"].as_str().unwrap().to_owned();

        // A refusal needs its reason; a company cannot approve.
        let r = call(app, &mi, "POST", &format!("/products/nominations/{id}/refuse"), Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "reason");
        assert!(r.json()["detail"].as_str().unwrap().contains("理由"), "{}", r.body);
        let r = call(app, &company, "POST", &format!("/products/nominations/{id}/approve"), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.json()["detail"].as_str().unwrap().contains("市医保局"), "{}", r.body);

        let r = call(app, &mi, "POST", &format!("/products/nominations/{id}/approve"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["state"]["state"], "approved");
        // Deciding twice is a conflict, not a second decision.
        let r = call(app, &mi, "POST", &format!("/products/nominations/{id}/approve"), None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

        // Published 45 days ago, listed on the provincial platform 40 days ago: the month
        // ran out about ten days ago.
        let r = call(app, &mi, "POST", &format!("/products/lists/{MI_LIST}/versions"), Some(json!({ "published_on": days_ago(45).to_string() }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["number"], 1);
        let r = call(app, &mi, "POST", &format!("/products/lists/{MI_LIST}/versions"), Some(json!({ "published_on": "yesterday" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "published_on");
        let r = call(app, &company, "PUT", &format!("/products/{}/listing", d.product_id), Some(json!({ "listed_on": days_ago(40).to_string(), "evidence": "苏医保挂网〔合成〕1号" }))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = call(app, &mi, "PUT", &format!("/products/{}/listing", d.product_id), Some(json!({ "listed_on": days_ago(40).to_string(), "evidence": "苏医保挂网〔合成〕1号" }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        let lists = call(app, &pharmacist, "GET", "/products/lists", None).await.json();
        let mi_list = lists["lists"].as_array().unwrap().iter().find(|l| l["code"] == MI_LIST).unwrap();
        assert_eq!(mi_list["latest"]["entries"][0]["product_id"], d.product_id.as_str());
        assert_eq!(mi_list["listed_on"][&d.product_id], days_ago(40).to_string());
        let v = call(app, &pharmacist, "GET", &format!("/products/lists/{MI_LIST}/versions/1"), None).await;
        assert_eq!(v.status, StatusCode::OK, "{}", v.body);
        let v = call(app, &pharmacist, "GET", &format!("/products/lists/{MI_LIST}/versions/x"), None).await;
        assert_eq!(v.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", v.body);

        // Only an administrator runs the scan by hand; it finds the demo hospital overdue.
        let r = call(app, &mi, "POST", "/products/scan", None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = call(app, &admin, "POST", "/products/scan", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let raised = r.json()["alerts"].as_array().unwrap().clone();
        assert!(raised.iter().any(|a| a["hospital_id"] == d.hospital.as_str() && a["kind"] == "overdue"), "{raised:?}");
        let again = call(app, &admin, "POST", "/products/scan", None).await.json();
        assert_eq!(again["raised"], 0, "a second scan raises nothing new");
        let open = call(app, &pharmacist, "GET", "/products/alerts?open=true", None).await.json();
        assert_eq!(open["total"], 1, "{open}");
        assert_eq!(open["items"][0]["hospital_id"], d.hospital.as_str());
        let duties = call(app, &pharmacist, "GET", &format!("/products/hospitals/{}/duties", d.hospital), None).await.json();
        assert_eq!(duties["items"][0]["status"]["status"], "overdue", "{duties}");

        // The hospital cannot record for another; for itself it records the catalogue entry,
        // which is late, and the alert resolves.
        let adoption = json!({ "product_id": d.product_id, "outcome": "adopted", "on": today().to_string(), "catalogue_ref": "YJ-2026-031" });
        let r = call(app, &pharmacist, "POST", &format!("/products/hospitals/{}/adoptions", d.other_hospital), Some(adoption.clone())).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = call(app, &pharmacist, "GET", &format!("/products/hospitals/{}/duties", d.other_hospital), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = call(app, &pharmacist, "POST", &format!("/products/hospitals/{}/adoptions", d.hospital), Some(adoption)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["code"], "adopted_late");
        let duties = call(app, &pharmacist, "GET", &format!("/products/hospitals/{}/duties", d.hospital), None).await.json();
        assert_eq!(duties["items"][0]["status"]["status"], "adopted");
        assert_eq!(duties["items"][0]["status"]["late"], true);
        let open = call(app, &pharmacist, "GET", "/products/alerts?open=true", None).await.json();
        assert_eq!(open["total"], 0, "{open}");
        let all = call(app, &pharmacist, "GET", "/products/alerts", None).await.json();
        assert!(all["items"][0]["resolved_at"].is_i64(), "{all}");

        // Usage: a negative quantity names its field; a good report goes through.
        let r = call(app, &pharmacist, "POST", &format!("/products/hospitals/{}/usage", d.hospital), Some(json!({ "product_id": d.product_id, "period": "2026Q1", "quantity": 1, "amount_yuan": 1 }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "period");
        let period = last_quarter();
        let r = call(app, &pharmacist, "POST", &format!("/products/hospitals/{}/usage", d.hospital), Some(json!({ "product_id": d.product_id, "period": period, "quantity": -3, "amount_yuan": 100 }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "quantity");
        let r = call(app, &pharmacist, "POST", &format!("/products/hospitals/{}/usage", d.hospital), Some(json!({ "product_id": d.product_id, "period": period, "quantity": 40, "amount_yuan": 120_000 }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // Figures and bulletins are the bureaus'.
        let r = call(app, &mi, "GET", "/products/adoption", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mine = r.json()["hospitals"].as_array().unwrap().iter().find(|h| h["hospital_id"] == d.hospital.as_str()).unwrap().clone();
        assert_eq!(mine["adopted_late"], 1, "{mine}");
        let r = call(app, &mi, "GET", &format!("/products/bulletins/{period}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = call(app, &pharmacist, "GET", &format!("/products/bulletins/{period}"), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = call(app, &mi, "POST", &format!("/products/bulletins/{period}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = call(app, &mi, "POST", &format!("/products/bulletins/{period}"), None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "issued once per quarter: {}", r.body);
    })
    .await;
}

#[tokio::test]
async fn a_listed_product_is_taken_off_with_its_reason_through_the_api() {
    both(async |app, d| {
        let company = token(app, "company").await;
        let mi = token(app, "mi.official").await;
        let r = call(app, &company, "POST", "/products/nominations", Some(json!({
            "list": MI_LIST, "product_id": d.product_id, "evidence": "生物制品1类新药（合成数据）"
        }))).await;
        let id = r.json()["id"].as_str().unwrap().to_owned();
        let r = call(
            app,
            &mi,
            "POST",
            &format!("/products/nominations/{id}/approve"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = call(
            app,
            &mi,
            "POST",
            &format!("/products/lists/{MI_LIST}/versions"),
            Some(json!({ "published_on": days_ago(10).to_string() })),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        let removal = format!(
            "/products/lists/{MI_LIST}/products/{}/removal",
            d.product_id
        );
        // Only the compiling bureau removes, and only with a reason.
        let r = call(
            app,
            &company,
            "POST",
            &removal,
            Some(json!({ "reason": "企业自行撤回" })),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = call(app, &mi, "POST", &removal, Some(json!({ "reason": "  " }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "reason");
        let reason = "注册证已注销（合成数据）";
        let r = call(
            app,
            &mi,
            "POST",
            &removal,
            Some(json!({ "reason": reason })),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["state"]["state"], "removed");
        // Off the list already: nothing approved is left to remove.
        let r = call(
            app,
            &mi,
            "POST",
            &removal,
            Some(json!({ "reason": reason })),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

        // The next version leaves it out and says why; the published one keeps it.
        let r = call(
            app,
            &mi,
            "POST",
            &format!("/products/lists/{MI_LIST}/versions"),
            Some(json!({ "published_on": today().to_string() })),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v2 = r.json();
        assert_eq!(v2["number"], 2);
        assert_eq!(v2["entries"].as_array().unwrap().len(), 0, "{v2}");
        assert_eq!(
            v2["removed"][0]["product_id"],
            d.product_id.as_str(),
            "{v2}"
        );
        assert_eq!(v2["removed"][0]["reason"], reason, "{v2}");
        let v1 = call(
            app,
            &mi,
            "GET",
            &format!("/products/lists/{MI_LIST}/versions/1"),
            None,
        )
        .await
        .json();
        assert_eq!(
            v1["entries"][0]["product_id"],
            d.product_id.as_str(),
            "{v1}"
        );
    })
    .await;
}

/// Signs in a demo user in a browser-like client.
async fn signed_in<'a>(app: &'a App, username: &str) -> Client<'a> {
    let mut client = Client::new(app);
    let r = client.login(username, demo::DEMO_PASSWORD).await;
    assert!(
        r.status.is_redirection(),
        "login of {username}: {}",
        r.status
    );
    client
}

/// A redirect's target without its fragment (which a browser keeps to itself).
fn without_fragment(location: &str) -> &str {
    location.split('#').next().unwrap_or(location)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_take_each_role_through_its_part() {
    both(async |app, d| {
        // The company sees the lists, the rules and its nomination form with its product.
        let mut company = signed_in(app, "company").await;
        let page = company.get("/products").await;
        assert_eq!(page.status, StatusCode::OK);
        for text in [
            "创新产品清单",
            "南京市医保支持生物医药创新产品清单",
            "一个月内完成采购手续",
            "申报产品进入清单",
            PRODUCT,
            APPROVAL,
        ] {
            assert!(page.body.contains(text), "company /products lacks {text}");
        }
        assert!(
            !page.body.contains("待审核申报"),
            "the queue is the bureaus'"
        );
        let csrf = page.csrf();
        // Without evidence the form comes back with the field's message.
        let r = company
            .post_form(
                "/products/nominations",
                &[
                    ("_csrf", &csrf),
                    ("list", MI_LIST),
                    ("product_id", &d.product_id),
                    ("evidence", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("请填写证明材料") && r.body.contains("href=\"#nominate-evidence\""),
            "{}",
            r.body
        );
        let r = company
            .post_form(
                "/products/nominations",
                &[
                    ("_csrf", &csrf),
                    ("list", MI_LIST),
                    ("product_id", &d.product_id),
                    ("evidence", "生产批件（合成数据）"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = company.get(without_fragment(r.location())).await;
        assert!(page.body.contains("申报已提交") && page.body.contains("待审核"));
        // Adoption and alerts are not the company's.
        assert_eq!(
            company.get("/products/adoption").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            company.get("/products/alerts").await.status,
            StatusCode::FORBIDDEN
        );

        // The medical insurance bureau reviews: a refusal without a reason is refused.
        let id = app
            .state
            .greenchannel
            .nominations(&principal(app, "mi.official").await, None)
            .await
            .unwrap()[0]
            .id
            .clone();
        let mut mi = signed_in(app, "mi.official").await;
        let page = mi.get("/products").await;
        for text in [
            "待审核申报",
            PRODUCT,
            "审核通过",
            "退回申报",
            "发布新版本清单",
            "记录省平台挂网日期",
        ] {
            assert!(
                page.body.contains(text),
                "mi.official /products lacks {text}"
            );
        }
        let csrf = page.csrf();
        let r = mi
            .post_form(
                &format!("/products/nominations/{id}/refuse"),
                &[("_csrf", &csrf), ("reason", " ")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("请填写理由") && r.body.contains(&format!("#refuse-{id}-reason")),
            "{}",
            r.body
        );
        let r = mi
            .post_form(
                &format!("/products/nominations/{id}/approve"),
                &[("_csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = mi
            .post_form(
                &format!("/products/lists/{MI_LIST}/versions"),
                &[("_csrf", &csrf), ("published_on", "2026-13-01")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("不是日期"));
        let r = mi
            .post_form(
                &format!("/products/lists/{MI_LIST}/versions"),
                &[
                    ("_csrf", &csrf),
                    ("published_on", &days_ago(45).to_string()),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        // Nothing changed since: a conflict said beside the form.
        let r = mi
            .post_form(
                &format!("/products/lists/{MI_LIST}/versions"),
                &[("_csrf", &csrf), ("published_on", &today().to_string())],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("没有变化"), "{}", r.body);
        let r = mi
            .post_form(
                "/products/listings",
                &[
                    ("_csrf", &csrf),
                    ("product_id", &d.product_id),
                    ("listed_on", &days_ago(40).to_string()),
                    ("evidence", "苏医保挂网〔合成〕1号"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = mi.get("/products").await;
        assert!(
            page.body.contains("第1版") && page.body.contains(&zh_day(days_ago(40))),
            "the version and its listing date"
        );

        app.state
            .greenchannel
            .scan(kernel::UtcMillis::now())
            .await
            .unwrap();

        // The pharmacist sees the duty overdue, the alert, and records the adoption.
        let mut pharmacist = signed_in(app, "pharmacist").await;
        let page = pharmacist.get("/products/adoption").await;
        assert_eq!(page.status, StatusCode::OK);
        for text in [
            "本院待办",
            PRODUCT,
            "逾期未纳入",
            "已逾期",
            "记录纳入采购目录",
            "声明临床不需要",
            "报告季度使用量",
        ] {
            assert!(
                page.body.contains(text),
                "pharmacist /products/adoption lacks {text}"
            );
        }
        assert!(
            !page.body.contains("各医院采购情况"),
            "the city's figures are the bureaus'"
        );
        let alerts = pharmacist.get("/products/alerts").await;
        assert_eq!(alerts.status, StatusCode::OK);
        assert!(
            alerts.body.contains("逾期预警")
                && alerts.body.contains(PRODUCT)
                && alerts.body.contains("确认知悉")
        );
        let pharmacist_principal = principal(app, "pharmacist").await;
        let alert = app
            .state
            .greenchannel
            .alerts(&pharmacist_principal, &AlertFilter::default())
            .await
            .unwrap()[0]
            .id
            .clone();
        let csrf = alerts.csrf();
        let r = pharmacist
            .post_form(
                &format!("/products/alerts/{alert}/acknowledge"),
                &[("_csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(
            pharmacist
                .get("/products/alerts")
                .await
                .body
                .contains("已确认知悉")
        );
        let r = pharmacist
            .post_form(
                "/products/adoption/adopt",
                &[
                    ("_csrf", &csrf),
                    ("product_id", &d.product_id),
                    ("adopted_on", &today().to_string()),
                    ("catalogue_ref", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("请填写采购目录编号") && r.body.contains("#adopt-catalogue_ref"),
            "{}",
            r.body
        );
        let r = pharmacist
            .post_form(
                "/products/adoption/usage",
                &[
                    ("_csrf", &csrf),
                    ("product_id", &d.product_id),
                    ("period", &last_quarter()),
                    ("quantity", "十"),
                    ("amount_yuan", "100"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("不是整数"));
        let r = pharmacist
            .post_form(
                "/products/adoption/adopt",
                &[
                    ("_csrf", &csrf),
                    ("product_id", &d.product_id),
                    ("adopted_on", &today().to_string()),
                    ("catalogue_ref", "YJ-2026-031"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = pharmacist.get("/products/adoption").await;
        assert!(page.body.contains("逾期后纳入"), "adopted late");
        assert!(
            pharmacist
                .get("/products/alerts")
                .await
                .body
                .contains("没有预警"),
            "the alert resolved"
        );

        // The bureau sees adoption by hospital with its chart, and issues the bulletin.
        let page = mi.get("/products/adoption").await;
        assert_eq!(page.status, StatusCode::OK);
        let (year, q) = last_quarter()
            .split_once("-Q")
            .map(|(y, q)| (y.to_owned(), q.to_owned()))
            .unwrap();
        let issue = format!("发布{year}年第{q}季度通报");
        for text in [
            "各医院采购情况",
            "<svg",
            "表格视图",
            "未解除的逾期预警",
            issue.as_str(),
        ] {
            assert!(
                page.body.contains(text),
                "mi.official /products/adoption lacks {text}"
            );
        }
        let r = mi.get("/products/adoption?quarter=2026-Q9").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("不是季度"));
        let csrf = page.csrf();
        let r = mi
            .post_form(
                "/products/bulletins",
                &[("_csrf", &csrf), ("period", &last_quarter())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = mi.get(without_fragment(r.location())).await;
        assert!(page.body.contains("本季度通报已发布") && page.body.contains("季度通报已发布。"));
        // Another bureau reads but does not issue.
        let mut health = signed_in(app, "health.official").await;
        let page = health.get("/products/adoption").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("action=\"/products/bulletins\""));
        let csrf = page.csrf();
        let r = health
            .post_form(
                "/products/bulletins",
                &[("_csrf", &csrf), ("period", &last_quarter())],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // The bureau takes the product off its list: a reason is required, said beside the
        // form; with one, the next version can be published.
        let page = mi.get("/products").await;
        assert!(
            page.body.contains("移出清单"),
            "the removal form is offered"
        );
        let csrf = page.csrf();
        let remove = format!("/products/lists/{MI_LIST}/products/{}/remove", d.product_id);
        let r = mi
            .post_form(&remove, &[("_csrf", &csrf), ("reason", "")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains(&format!("#remove-{MI_LIST}-{}-reason", d.product_id)),
            "{}",
            r.body
        );
        let r = mi
            .post_form(
                &remove,
                &[("_csrf", &csrf), ("reason", "注册证已注销（合成数据）")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = mi.get(without_fragment(r.location())).await;
        assert!(page.body.contains("已将该产品移出清单"), "{}", page.body);
        assert!(
            page.body.contains("发布第2版"),
            "the changed list can be published"
        );

        // The same page in English.
        let r = company.get("/lang/en?next=/products").await;
        assert!(r.status.is_redirection());
        let page = company.get("/products").await;
        assert!(
            page.body.contains("Innovation product lists")
                && page.body.contains("Nominate a product for a list"),
            "{}",
            page.body
        );
    })
    .await;
}

/// A date as the Chinese pages show it.
fn zh_day(d: Date) -> String {
    d.strftime("%Y年%m月%d日").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_outside_the_channel_are_refused() {
    both(async |app, d| {
        let resident = token(app, "resident").await;
        let company = token(app, "company").await;
        for uri in ["/products/alerts", "/products/adoption"] {
            let r = call(app, &resident, "GET", uri, None).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}: {}", r.body);
        }
        let r = call(
            app,
            &company,
            "GET",
            &format!("/products/hospitals/{}/duties", d.hospital),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        // A bureau official cannot nominate: only a company's users do.
        let mi = token(app, "mi.official").await;
        let r = call(
            app,
            &mi,
            "POST",
            "/products/nominations",
            Some(json!({ "list": MI_LIST, "product_id": d.product_id, "evidence": "x" })),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        // A product not in the company's register entry is an input error on the product.
        let r = call(
            app,
            &company,
            "POST",
            "/products/nominations",
            Some(json!({ "list": MI_LIST, "product_id": "not-ours", "evidence": "x" })),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "product_id");
        let r = call(
            app,
            &company,
            "POST",
            "/products/nominations",
            Some(json!({ "list": "no-such-list", "product_id": d.product_id, "evidence": "x" })),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "list");
        // The resident's pages: the lists are public, the rest refused.
        let mut client = signed_in(app, "resident").await;
        let page = client.get("/products").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains("申报产品进入清单") && !page.body.contains("/products/adoption\"")
        );
        assert_eq!(
            client.get("/products/adoption").await.status,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}
