//! Subsidies through the HTTP API and pages on both backends, with the demo city: the clause
//! calculator (facts in, amount and trace out), a company's matches from the register, an
//! application refused for each bad input with the clause and reason and then accepted, the
//! bureau's pre-review, and who may see and do what.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use access::OrganisationKind;
use axum::http::StatusCode;
use industry::{DrugClass, NewCompany, NewProduct, NewStageEvent, ProductKind, Segment, Stage};
use jiff::ToSpan;
use serde_json::{Value, json};
use support::{App, Client, app, call, token};

/// The demo company in the register with a drug in phase II, and an open S&T programme.
async fn setup(app: &App) -> (String, String) {
    let st = app
        .accounts
        .login("st.official", demo::DEMO_PASSWORD)
        .await
        .unwrap()
        .unwrap()
        .1;
    let company = app
        .accounts
        .login("company", demo::DEMO_PASSWORD)
        .await
        .unwrap()
        .unwrap()
        .1;
    let org = app
        .accounts
        .organisations_of_kind(OrganisationKind::Company, None)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.id == company.organisation.id)
        .unwrap();
    let industry = &app.state.industry;
    let registered = industry
        .register_company(
            &st,
            NewCompany {
                uscc: org.uscc.clone().unwrap(),
                name: org.name_zh.clone(),
                organisation_id: Some(org.id.clone()),
                district: org.district.clone().unwrap(),
                park: None,
                segments: vec![Segment::ChemicalDrugs],
                founded: jiff::civil::date(2015, 3, 1),
                paid_in_capital_yuan: 80_000_000,
                listed: false,
            },
        )
        .await
        .unwrap();
    let today = kernel::UtcMillis::now().city_date();
    let drug = industry
        .add_product(
            &st,
            NewProduct {
                company_id: registered.id.clone(),
                name: "示例一类新药（测试）".into(),
                kind: ProductKind::Drug {
                    class: DrugClass::Chemical1,
                },
                started: today.checked_sub(900.days()).unwrap(),
            },
        )
        .await
        .unwrap();
    for (stage, days) in [
        (Stage::Preclinical, 700),
        (Stage::Phase1Entered, 400),
        (Stage::Phase2Entered, 100),
    ] {
        industry
            .record_stage(
                &st,
                &drug.id,
                NewStageEvent {
                    stage,
                    on: today.checked_sub(days.days()).unwrap(),
                    evidence: format!("CXHL2400{days}"),
                    evidence_sha256: None,
                    skips_with_reason: None,
                    first_in_country: false,
                },
            )
            .await
            .unwrap();
    }
    let programme = call(
        app,
        &token(app, "st.official").await,
        "POST",
        "/subsidies/programmes",
        Some(json!({
            "name_zh": "测试专项", "year": today.year(), "budget_yuan": 20_000_000,
            "clauses": ["nanjing-2022/3-3/general-project", "nanjing-2022/3-5/drug-stage", "suzhou-2019/6/phase-entry", "zhejiang-draft/3-2/first-unit-insurance"],
            "opens_on": today.checked_sub(1.days()).unwrap(), "closes_on": today.checked_add(30.days()).unwrap(),
        })),
    )
    .await;
    assert_eq!(programme.status, StatusCode::CREATED, "{}", programme.body);
    (
        registered.id,
        programme.json()["id"].as_str().unwrap().to_owned(),
    )
}

fn general(programme: &str, rd: &str, attach: bool) -> Value {
    json!({
        "programme_id": programme,
        "clause_id": "nanjing-2022/3-3/general-project",
        "title": "新型靶向药成药性研究（测试）",
        "facts": { "city": "nanjing", "province": "jiangsu", "project_id": "R-1", "project_type": "general", "project_rd_spend": rd },
        "attachments": if attach { json!([{ "kind": "business-licence", "file_name": "licence.pdf", "content_type": "application/pdf", "base64": "JVBERi0xLjQ=" }]) } else { json!([]) },
    })
}

#[tokio::test]
async fn the_calculator_answers_with_the_amount_and_its_trace() {
    let dbs = store::testing::TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let investor = token(&app, "investor").await;
        let facts = json!({ "city": "suzhou", "independent_legal_person": "true", "product_id": "V-1",
            "device_class": "class-3", "device_newly_registered": "true", "product_rd_spend": "2000万" });
        let r = call(
            &app,
            &investor,
            "POST",
            "/policies/evaluate",
            Some(
                json!({ "clause_id": "suzhou-2019/7/class-3", "on": "2020-06-01", "facts": facts }),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let e = r.json();
        assert_eq!(
            e["amount"]["exact"], 3_000_000,
            "20% of 2000万 is 400万, capped at 300万"
        );
        assert!(
            e["trace"]["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["text_zh"].as_str().unwrap_or("").contains("300万"))
        );
        // A bad amount names the fact.
        let r = call(&app, &investor, "POST", "/policies/evaluate", Some(json!({ "clause_id": "suzhou-2019/7/class-3", "on": "2020-06-01", "facts": { "city": "suzhou", "product_rd_spend": "两千万" } }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("研发"), "{}", r.body);
        // The library lists every document's clauses; an unknown clause is 422 with its id.
        let r = call(&app, &investor, "GET", "/policies/clauses", None).await;
        assert!(r.json()["clauses"].as_array().unwrap().len() > 60);
        let r = call(
            &app,
            &investor,
            "GET",
            "/policies/clause?id=nowhere/1",
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Pages: the library and the clause with its worked cases.
        let mut c = Client::new(&app);
        c.login("investor", demo::DEMO_PASSWORD).await;
        let page = c.get("/policies").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("苏州") && page.body.contains("从优、就高、不重复"));
        let page = c.get("/policies/clause?id=suzhou-2019/7/class-3").await;
        assert!(
            page.body.contains("封顶300万元"),
            "the clause page shows its worked cases"
        );
    }
}

#[tokio::test]
async fn a_company_applies_and_each_bad_input_is_refused_with_its_reason() {
    let dbs = store::testing::TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let (company_id, programme) = setup(&app).await;
        let company = token(&app, "company").await;

        // Matches from the register: the Nanjing stage clause for the phase II drug.
        let r = call(
            &app,
            &company,
            "GET",
            &format!("/subsidies/companies/{company_id}/matches"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let m = r.json();
        assert!(
            m["granted"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["clause_id"] == "nanjing-2022/3-5/drug-stage"),
            "{m}"
        );
        assert!(
            m["possible"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["evaluation"]["clause_id"] == "nanjing-2022/3-3/general-project")
        );
        // Another company may not look.
        let investor = token(&app, "investor").await;
        let r = call(
            &app,
            &investor,
            "GET",
            &format!("/subsidies/companies/{company_id}/matches"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Bad input: each refused with the clause and the reason; nothing written.
        for (body, status, needle) in [
            (
                general(&programme, "500万", false),
                StatusCode::UNPROCESSABLE_ENTITY,
                "营业执照",
            ),
            (
                general(&programme, "-5", true),
                StatusCode::UNPROCESSABLE_ENTITY,
                "研发",
            ),
            (
                {
                    let mut b = general(&programme, "500万", true);
                    b["requested_yuan"] = json!(1_000_001);
                    b
                },
                StatusCode::UNPROCESSABLE_ENTITY,
                "100万",
            ),
            (
                {
                    let mut b = general(&programme, "500万", true);
                    b["clause_id"] = json!("suzhou-2019/6/phase-entry");
                    b
                },
                StatusCode::UNPROCESSABLE_ENTITY,
                "2021-12-31",
            ),
        ] {
            let r = call(
                &app,
                &company,
                "POST",
                "/subsidies/applications",
                Some(body),
            )
            .await;
            assert_eq!(r.status, status, "{}", r.body);
            assert!(r.body.contains(needle), "{needle} in {}", r.body);
        }
        let r = call(
            &app,
            &company,
            "POST",
            "/subsidies/applications",
            Some(general(&programme, "500万", true)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let application = r.json();
        assert_eq!(application["max_yuan"], 1_000_000);
        let id = application["id"].as_str().unwrap().to_owned();
        let r = call(
            &app,
            &company,
            "POST",
            "/subsidies/applications",
            Some(general(&programme, "600万", true)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "a duplicate: {}", r.body);

        // Returned for correction with a reason, corrected by the company, submitted again.
        let st = token(&app, "st.official").await;
        let r = call(
            &app,
            &st,
            "POST",
            &format!("/subsidies/applications/{id}/return"),
            Some(json!({ "reason": "研发投入须附第三方审计报告，请补正后重新提交" })),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["state"], "returned");
        let r = call(&app, &company, "POST", &format!("/subsidies/applications/{id}/resubmit"), Some(json!({ "facts": { "city": "nanjing", "province": "jiangsu", "project_id": "R-1", "project_type": "general", "project_rd_spend": "-1" } }))).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a bad correction is refused: {}",
            r.body
        );
        let r = call(&app, &company, "POST", &format!("/subsidies/applications/{id}/resubmit"), Some(json!({ "facts": { "city": "nanjing", "province": "jiangsu", "project_id": "R-1", "project_type": "general", "project_rd_spend": "450万" } }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["state"], "submitted");
        assert_eq!(r.json()["max_yuan"], 900_000, "re-evaluated: 20% of 450万");

        // The company may not pass its own application; the S&T bureau may.
        let r = call(
            &app,
            &company,
            "POST",
            &format!("/subsidies/applications/{id}/pass"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let st = token(&app, "st.official").await;
        let r = call(
            &app,
            &st,
            "POST",
            &format!("/subsidies/applications/{id}/pass"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["state"], "in-review");
        // Passing twice is a conflict, not a second panel.
        let r = call(
            &app,
            &st,
            "POST",
            &format!("/subsidies/applications/{id}/pass"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT);

        // The no-application path only takes clauses computable from the register alone: the
        // Nanjing stage award states no amount, so the bureau cannot confirm it this way.
        let st_user = app
            .accounts
            .login("st.official", demo::DEMO_PASSWORD)
            .await
            .unwrap()
            .unwrap()
            .1;
        let matches = app
            .state
            .awards
            .matches(&st_user, &app.state.industry, &company_id)
            .await
            .unwrap();
        let stage = matches
            .granted
            .iter()
            .find(|e| e.clause_id == "nanjing-2022/3-5/drug-stage")
            .unwrap();
        let refused = app
            .state
            .awards
            .confirm_from_register(
                &st_user,
                &app.state.industry,
                &company_id,
                &programme,
                &stage.clause_id,
                &stage.subject_key,
            )
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), awards::ErrorKind::BadRequest, "{refused:?}");
        assert!(
            kernel::Explain::explain(&refused, kernel::Lang::Zh).contains("需要企业申报"),
            "{refused:?}"
        );

        // Pages: the company's subsidies, the application with its trace, the overview.
        let mut c = Client::new(&app);
        c.login("company", demo::DEMO_PASSWORD).await;
        let page = c.get("/subsidies").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("可能符合") && page.body.contains("专家评审中"),
            "{}",
            page.body.len()
        );
        let page = c.get(&format!("/subsidies/applications/{id}")).await;
        assert!(
            page.body.contains("计算依据")
                && page.body.contains("90万元")
                && page.body.contains("450万元")
        );
        assert_eq!(c.get("/industry").await.status, StatusCode::FORBIDDEN);
        let mut o = Client::new(&app);
        o.login("st.official", demo::DEMO_PASSWORD).await;
        let page = o.get("/industry").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("创新药研发管线"));
        let page = o.get(&format!("/subsidies/programmes/{programme}")).await;
        assert!(page.body.contains("新型靶向药成药性研究"));
        // A refused form comes back with the field named.
        let csrf = page.csrf();
        let r = o
            .post_form(
                &format!("/subsidies/applications/{id}/refuse"),
                &[("_csrf", &csrf), ("reason", "不行")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("至少"));
    }
}
