//! The cultivation pools through pages and the API on both backends: the demo city's
//! companies registered with two years of (synthetic) figures, then one whole selection year
//! (proposed from the register by an S&T official, amended with reasons, submitted, refused to
//! its proposer for approval, approved by a second official, published), what a company user
//! and other officials may see, support plans with overdue actions and follow-up notes, and
//! the refusals on bad input.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use access::{OrganisationKind, Principal};
use axum::http::StatusCode;
use industry::{
    DrugClass, NewCompany, NewProduct, NewQualification, NewStageEvent, ProductKind,
    QualificationKind, Segment, Stage, Uscc, YearFigures,
};
use jiff::civil::date;
use serde_json::{Value, json};
use support::{App, Client, Reply, app, call, token};

const SCHEME: &str = "nanjing-2022-tiers";

async fn principal(app: &App, username: &str) -> Principal {
    let t = token(app, username).await;
    app.accounts.token_principal(&t).await.unwrap().unwrap()
}

/// A signed-in browser.
async fn browser<'a>(app: &'a App, username: &str) -> Client<'a> {
    let mut c = Client::new(app);
    let r = c.login(username, demo::DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{username} signs in");
    c
}

/// Posts a form with the CSRF token of `page`.
async fn post(c: &mut Client<'_>, page: &str, uri: &str, fields: &[(&str, &str)]) -> Reply {
    let csrf = c.get(page).await.csrf();
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    c.post_form(uri, &all).await
}

fn this_year() -> i32 {
    i32::from(kernel::UtcMillis::now().city_date().year())
}

/// The demo city's 36 companies bound to their organisations, and four without accounts; all
/// but the last two report figures for the last two years. Returns the registered ids.
async fn register(app: &App) -> Vec<String> {
    let official = principal(app, "st.official").await;
    let industry = &app.state.industry;
    let orgs = app
        .accounts
        .organisations_of_kind(OrganisationKind::Company, None)
        .await
        .unwrap();
    assert!(orgs.len() >= 36);
    let mut new = Vec::new();
    for org in &orgs {
        new.push(NewCompany {
            uscc: org.uscc.clone().unwrap(),
            name: org.name_zh.clone(),
            organisation_id: Some(org.id.clone()),
            district: org.district.clone().unwrap(),
            park: None,
            segments: vec![Segment::Biologics],
            founded: date(2012, 3, 1),
            paid_in_capital_yuan: 10_000_000,
            listed: false,
        });
    }
    for i in 0..4 {
        new.push(NewCompany {
            uscc: Uscc::with_check(&format!("91320100MA{i:07}"))
                .unwrap()
                .as_str()
                .to_owned(),
            name: format!("南京合成生物样例有限公司（合成数据{i}）"),
            organisation_id: None,
            district: "jiangbei".into(),
            park: None,
            segments: vec![Segment::MedicalDevices],
            founded: date(2019, 6, 1),
            paid_in_capital_yuan: 5_000_000,
            listed: false,
        });
    }
    let last = i16::try_from(this_year() - 1).unwrap();
    let total = new.len();
    let mut ids = Vec::new();
    for (i, n) in new.into_iter().enumerate() {
        let c = industry.register_company(&official, n).await.unwrap();
        if let Some(org) = &c.organisation_id {
            assert_eq!(
                &c.id, org,
                "a company with accounts is known by its organisation's id"
            );
        }
        if i + 2 < total {
            let scale = i64::try_from(i + 1).unwrap();
            for (year, revenue) in [(last, 20_000_000 * scale), (last - 1, 15_000_000 * scale)] {
                industry
                    .record_year(
                        &official,
                        &c.id,
                        YearFigures {
                            year,
                            revenue_yuan: revenue,
                            rd_spend_yuan: revenue / 8,
                            staff: 40 + 5 * scale,
                            output_yuan: revenue,
                            tax_yuan: None,
                        },
                    )
                    .await
                    .unwrap();
            }
        }
        ids.push(c.id);
    }
    // The first company holds a qualification and has a drug in phase I: the register's
    // pipeline reaches the score.
    industry
        .add_qualification(
            &official,
            &ids[0],
            NewQualification {
                kind: QualificationKind::HighTech,
                obtained: date(2023, 1, 1),
                expires: None,
                evidence: "GR202332000001".into(),
                detail: None,
            },
        )
        .await
        .unwrap();
    let product = industry
        .add_product(
            &official,
            NewProduct {
                company_id: ids[0].clone(),
                name: "合成样例单抗注射液".into(),
                kind: ProductKind::Drug {
                    class: DrugClass::Biological1,
                },
                started: date(2021, 1, 1),
            },
        )
        .await
        .unwrap();
    industry
        .record_stage(
            &official,
            &product.id,
            NewStageEvent {
                stage: Stage::Phase1Entered,
                on: date(2023, 5, 1),
                evidence: "2023LP00001".into(),
                evidence_sha256: None,
                skips_with_reason: None,
                first_in_country: false,
            },
        )
        .await
        .unwrap();
    ids
}

/// The organisation id of the demo `company` user.
async fn company_of_user(app: &App) -> String {
    principal(app, "company").await.organisation.id
}

async fn both(check: impl AsyncFn(&App)) {
    let dbs = store::testing::TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        check(&app).await;
    }
}

/// Proposes, submits, approves (second official) and publishes this year's tiers through the
/// API; returns the proposal.
async fn published_year(app: &App) -> Value {
    let st = token(app, "st.official").await;
    let deputy = token(app, "st.deputy").await;
    let year = this_year();
    let r = call(
        app,
        &st,
        "POST",
        &format!("/pools/{SCHEME}/{year}/proposal"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["proposal"]["id"].as_str().unwrap().to_owned();
    for (who, step) in [(&st, "submit"), (&deputy, "approve"), (&st, "publish")] {
        let r = call(
            app,
            who,
            "POST",
            &format!("/pools/proposals/{id}/{step}"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.body);
    }
    call(app, &st, "GET", &format!("/pools/proposals/{id}"), None)
        .await
        .json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_selection_year_through_pages_and_the_api() {
    both(async |app: &App| {
        let ids = register(app).await;
        let mine = company_of_user(app).await;
        let year = this_year();
        let figures_year = (year - 1).to_string();
        let page = format!("/pools/{SCHEME}/{year}");

        // The overview: schemes with capacities and citations; the start form for the S&T
        // bureau only.
        let mut st = browser(app, "st.official").await;
        let r = st.get("/pools").await;
        assert_eq!(r.status, StatusCode::OK);
        for text in ["企业培育库", "生物医药企业梯度培育库", "不超过30家", "30家龙头培育企业", "15–20家", "不限", "action=\"/pools/selections\""] {
            assert!(r.body.contains(text), "overview shows {text}");
        }
        // An unconfirmed figure says why, in the page's language.
        assert!(r.body.contains("平台运营方设定"), "a Chinese note");
        assert!(!r.body.contains("operator&#x27;s choice") && !r.body.contains("operator's choice"), "no English note on the Chinese page");
        let mut company = browser(app, "company").await;
        let r = company.get("/pools").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.body.contains("/pools/selections"), "no start form for a company");
        assert!(r.body.contains(&format!("/pools/companies/{mine}")), "a company finds its own page");

        // Starting: a bad year is explained beside the field; a company cannot start one.
        let r = post(&mut st, "/pools", "/pools/selections", &[("scheme", SCHEME), ("year", "20x6")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("2000至2100"), "{}", r.body);
        assert!(r.body.contains("id=\"start-year\""));
        let r = post(&mut st, "/pools", "/pools/selections", &[("scheme", SCHEME), ("year", "2031")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("没有企业填报2030年度经营数据"), "{}", r.body);
        let r = post(&mut company, "/pools", "/pools/selections", &[("scheme", SCHEME), ("year", &year.to_string())]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Proposed from the register.
        let r = post(&mut st, "/pools", "/pools/selections", &[("scheme", SCHEME), ("year", &year.to_string())]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), page);
        let r = post(&mut st, "/pools", "/pools/selections", &[("scheme", SCHEME), ("year", &year.to_string())]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "one proposal per scheme and year");

        let r = st.get(&page).await;
        assert_eq!(r.status, StatusCode::OK);
        for text in ["草稿", "候选企业排名", "各库名额使用情况", "调整名单", "营收", "办理记录", "提出名单"] {
            assert!(r.body.contains(text), "the proposal shows {text}");
        }
        assert!(r.body.contains(&format!("其中2家没有{figures_year}年度经营数据")), "left out, and why");
        // Fewer candidates than a page holds: no pager, and a page number out of range or not
        // a number shows the same ranking.
        assert!(!r.body.contains("rel=\"next\""));
        for query in ["?page=7", "?page=x"] {
            let other = st.get(&format!("{page}{query}")).await;
            assert_eq!(other.status, StatusCode::OK, "{query}");
            assert!(other.body.contains("候选企业排名"), "{query}");
        }
        let proposal = call(app, &token(app, "st.official").await, "GET", &format!("/pools/{SCHEME}/{year}/proposal"), None).await.json();
        let id = proposal["proposal"]["id"].as_str().unwrap().to_owned();
        let entries = proposal["proposal"]["entries"].as_array().unwrap();
        assert_eq!(entries.len(), ids.len() - 2);
        assert_eq!(proposal["capacity"][0]["members"], 30);
        assert_eq!(proposal["capacity"][1]["members"], json!(ids.len() - 2 - 30));
        let in_pool = |pool: &str| {
            entries
                .iter()
                .find(|e| e["pool"] == pool)
                .map(|e| e["company_id"].as_str().unwrap().to_owned())
                .unwrap()
        };
        let breakthrough = in_pool("breakthrough");
        let leading = in_pool("leading");

        // A company sees no draft, on the page or through the API.
        let r = company.get(&page).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(!r.body.contains("候选企业排名"));
        assert!(r.body.contains("尚未公布"));
        let company_token = token(app, "company").await;
        let r = call(app, &company_token, "GET", &format!("/pools/proposals/{id}"), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Amendments need a reason; a full pool is refused naming its capacity and source.
        let r = post(&mut st, &page, &format!("{page}/amend"), &[("company_id", &breakthrough), ("change", "exclude"), ("reason", "太短")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("至少10个字"), "{}", r.body);
        assert!(r.body.contains("id=\"amend-reason-error\""));
        let r = post(&mut st, &page, &format!("{page}/amend"), &[("company_id", &breakthrough), ("change", "move"), ("reason", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("请选择目标库"), "{}", r.body);
        let r = post(&mut st, &page, &format!("{page}/amend"), &[("company_id", &breakthrough), ("change", "move"), ("pool", "leading"), ("reason", "该企业当年完成重大并购，规模已达龙头标准")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("最多30家"), "{}", r.body);
        assert!(r.body.contains("30家龙头培育企业"), "the citation is named");
        let st_token = token(app, "st.official").await;
        let r = call(app, &st_token, "POST", &format!("/pools/proposals/{id}/amend"), Some(json!({ "company_id": leading, "change": "move", "pool": "leading", "reason": "x" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = call(app, &st_token, "POST", &format!("/pools/proposals/{id}/amend"), Some(json!({ "company_id": breakthrough, "change": "exclude", "reason": "企业已被外地集团收购，不再在本市独立经营" }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = post(&mut st, &page, &format!("{page}/amend"), &[("company_id", &breakthrough), ("change", "include"), ("pool", "potential"), ("reason", "收购方承诺保留本市研发中心，改列发展潜力企业")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = st.get(&page).await;
        assert!(r.body.contains("收购方承诺保留本市研发中心"), "amendments show their reasons");
        assert!(r.body.contains("已调整"));

        // Submitted; the proposer may not approve: no button, and a refusal that says why.
        let r = post(&mut st, &page, &format!("{page}/submit"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = st.get(&page).await;
        assert!(r.body.contains("待审核"));
        assert!(!r.body.contains(&format!("action=\"{page}/approve\"")), "no approve button for the proposer");
        assert!(r.body.contains("双人复核"), "and the page says why");
        let r = post(&mut st, &page, &format!("{page}/approve"), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("不能同时审核"), "{}", r.body);
        let mut deputy = browser(app, "st.deputy").await;
        let r = deputy.get(&page).await;
        assert!(r.body.contains(&format!("action=\"{page}/approve\"")), "the second official may approve");
        let deputy_token = token(app, "st.deputy").await;
        let r = call(app, &deputy_token, "POST", &format!("/pools/proposals/{id}/approve"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["proposal"]["state"], "approved");

        // Published; the company now sees the list and its own membership, not the
        // deliberations.
        let r = post(&mut st, &page, &format!("{page}/publish"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = company.get(&page).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("已公布"));
        assert!(r.body.contains(&format!("/pools/companies/{mine}")), "its own row links to its page");
        assert!(!r.body.contains("调整理由"));
        let r = company.get(&format!("/pools/companies/{mine}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("公布入库"));
        assert!(!r.body.contains("按排名拟入库"), "no proposal steps for the company");
        let r = call(app, &company_token, "GET", &format!("/pools/companies/{mine}/history"), None).await;
        assert_eq!(r.status, StatusCode::OK);
        let history = r.json()["history"].as_array().unwrap().clone();
        assert!(!history.is_empty());
        assert!(history.iter().all(|e| e["how"]["how"] == "published"), "{history:?}");
        let other = ids.iter().find(|c| **c != mine).unwrap();
        let r = company.get(&format!("/pools/companies/{other}")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Other officials read the published list but no drafts or companies' histories.
        let mut health = browser(app, "health.official").await;
        let r = health.get(&page).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.body.contains("/pools/companies/"), "no links they could not follow");
        let r = health.get(&format!("/pools/companies/{mine}")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // The overview lists the members with both charts and their tables.
        let r = company.get("/pools").await;
        assert!(r.body.contains("pools-by-pool") && r.body.contains("pools-by-district"));
        assert!(r.body.contains(&format!("现行名单：{year}年度")));
        let r = call(app, &company_token, "GET", "/pools", None).await;
        assert_eq!(r.status, StatusCode::OK);
        let tiers = &r.json()["schemes"][0];
        assert_eq!(tiers["id"], SCHEME);
        assert_eq!(tiers["pools"][0]["capacity"]["max"], 30);
        assert_eq!(tiers["current"]["year"], year);
        assert_eq!(tiers["current"]["members"].as_array().unwrap().len(), ids.len() - 2);

        // The English pages read in English.
        let r = company.get("/lang/en?next=/pools").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = company.get("/pools").await;
        assert!(r.body.contains("Cultivation pools") && r.body.contains("At most 30"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_plans_with_actions_overdue_and_follow_ups() {
    both(async |app: &App| {
        register(app).await;
        let mine = company_of_user(app).await;
        let proposal = published_year(app).await;
        let year = proposal["proposal"]["year"].as_i64().unwrap();
        let membership = format!("{SCHEME}/{year}");
        let company_page = format!("/pools/companies/{mine}");

        let mut st = browser(app, "st.official").await;
        let r = st.get(&company_page).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("制定一企一策方案"));
        assert!(r.body.contains("按排名拟入库"), "officials see every step");

        // A plan needs goals; then it is created.
        let plans = format!("{company_page}/plans");
        let r = post(
            &mut st,
            &company_page,
            &plans,
            &[("membership", &membership), ("goals", "  ")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("请填写培育目标"), "{}", r.body);
        let r = post(
            &mut st,
            &company_page,
            &plans,
            &[
                ("membership", &membership),
                (
                    "goals",
                    "三年内营业收入突破5亿元，一个一类新药进入III期临床",
                ),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = post(
            &mut st,
            &company_page,
            &plans,
            &[("membership", &membership), ("goals", "再来一份")],
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "one plan per membership");
        let st_token = token(app, "st.official").await;
        let plan = &call(
            app,
            &st_token,
            "GET",
            &format!("/pools/companies/{mine}/plans"),
            None,
        )
        .await
        .json()["plans"][0];
        let plan_id = plan["id"].as_str().unwrap().to_owned();

        // Actions: a bad date and a missing bureau are explained together; one overdue, one not.
        let actions = format!("/pools/plans/{plan_id}/actions");
        let r = post(
            &mut st,
            &company_page,
            &actions,
            &[
                ("company_id", &mine),
                ("what", "协调临床试验机构"),
                ("owner_bureau", ""),
                ("due", "明年"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("请选择负责该措施的部门") && r.body.contains("2027-03-31"),
            "{}",
            r.body
        );
        let past = format!("{}-01-15", year);
        let r = post(
            &mut st,
            &company_page,
            &actions,
            &[
                ("company_id", &mine),
                ("what", "协调三家医院承接I期临床试验"),
                ("owner_bureau", "health_commission"),
                ("due", &past),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = post(
            &mut st,
            &company_page,
            &actions,
            &[
                ("company_id", &mine),
                ("what", "推荐申报省级专精特新企业"),
                ("owner_bureau", "industry_information"),
                ("due", &format!("{}-06-30", year + 1)),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = st.get(&company_page).await;
        assert!(
            r.body.contains("1项逾期") && r.body.contains("逾期"),
            "overdue actions are marked"
        );
        assert!(r.body.contains("市卫健委"));
        let r = st.get("/pools").await;
        assert!(
            r.body.contains("逾期未办结的一企一策措施")
                && r.body.contains("协调三家医院承接I期临床试验")
        );

        // The company reads its plan and adds a note; it gets no officials' forms.
        let mut company = browser(app, "company").await;
        let r = company.get(&company_page).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("三年内营业收入突破5亿元"));
        assert!(
            !r.body.contains("制定一企一策方案")
                && !r.body.contains(&actions)
                && !r.body.contains("/complete\"")
        );
        let notes = format!("/pools/plans/{plan_id}/follow-ups");
        let r = post(
            &mut company,
            &company_page,
            &notes,
            &[("company_id", &mine), ("note", "")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("请填写跟进情况"), "{}", r.body);
        let r = post(
            &mut company,
            &company_page,
            &notes,
            &[
                ("company_id", &mine),
                ("note", "已与两家医院签订临床试验协议，第三家在谈"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = post(
            &mut company,
            &company_page,
            &actions,
            &[
                ("company_id", &mine),
                ("what", "自己加一条"),
                ("owner_bureau", "finance"),
                ("due", "2030-01-01"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let company_token = token(app, "company").await;
        let r = call(app, &company_token, "GET", "/pools/overdue", None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = call(
            app,
            &company_token,
            "GET",
            &format!("/pools/plans/{plan_id}"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["follow_ups"].as_array().unwrap().len(), 1);

        // Officials close actions: done, or dropped with a reason.
        let plan = call(
            app,
            &st_token,
            "GET",
            &format!("/pools/plans/{plan_id}"),
            None,
        )
        .await
        .json();
        let overdue_id = plan["actions"][0]["id"].as_str().unwrap().to_owned();
        let other_id = plan["actions"][1]["id"].as_str().unwrap().to_owned();
        let r = post(
            &mut st,
            &company_page,
            &format!("/pools/actions/{other_id}/drop"),
            &[("company_id", &mine), ("reason", "短")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("至少10个字"));
        let r = post(
            &mut st,
            &company_page,
            &format!("/pools/actions/{overdue_id}/complete"),
            &[("company_id", &mine)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = post(
            &mut st,
            &company_page,
            &format!("/pools/actions/{overdue_id}/complete"),
            &[("company_id", &mine)],
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "already done");
        let r = call(
            app,
            &st_token,
            "POST",
            &format!("/pools/actions/{other_id}/drop"),
            Some(json!({ "reason": "企业已自行取得省级专精特新认定" })),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = st.get(&company_page).await;
        assert!(
            r.body.contains("已办结") && r.body.contains("已撤销") && !r.body.contains("1项逾期")
        );
        let r = call(app, &st_token, "GET", "/pools/overdue", None).await;
        assert_eq!(r.json()["total"], 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_bad_input_are_explained() {
    both(async |app: &App| {
        register(app).await;
        let year = this_year();
        let st = token(app, "st.official").await;
        let health = token(app, "health.official").await;

        // Not signed in: pages send to sign-in, the API answers 401.
        let r = Client::new(app).get("/pools").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/login"));
        let r = Client::new(app).get("/api/v1/pools").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        // Unknown schemes and years.
        let mut c = browser(app, "st.official").await;
        assert_eq!(c.get("/pools/gold/2026").await.status, StatusCode::NOT_FOUND);
        assert_eq!(c.get(&format!("/pools/{SCHEME}/twenty")).await.status, StatusCode::NOT_FOUND);
        let r = c.get(&format!("/pools/{SCHEME}/{year}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "no proposal yet");
        assert!(r.body.contains("尚未开始"));
        let r = call(app, &st, "POST", &format!("/pools/{SCHEME}/abc/proposal"), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "year");
        let r = call(app, &st, "POST", "/pools/gold/2026/proposal", None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // Only the two bureaus propose.
        let r = call(app, &health, "POST", &format!("/pools/{SCHEME}/{year}/proposal"), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = call(app, &health, "GET", &format!("/pools/{SCHEME}/{year}/proposal"), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Suzhou's landmark list needs 15: submitting fewer is refused, naming the source.
        let r = call(app, &st, "POST", &format!("/pools/suzhou-landmark/{year}/proposal"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = r.json();
        let id = v["proposal"]["id"].as_str().unwrap().to_owned();
        assert_eq!(v["left_out"].as_array().unwrap().len(), 2);
        assert_eq!(v["left_out"][0]["why"], "no_figures");
        let placed: Vec<String> = v["proposal"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["pool"] == "landmark")
            .map(|e| e["company_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(placed.len(), 20);
        for company in placed.iter().take(6) {
            let r = call(app, &st, "POST", &format!("/pools/proposals/{id}/amend"), Some(json!({ "company_id": company, "change": "exclude", "reason": "合成数据：测试下限，移出该企业" }))).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let r = call(app, &st, "POST", &format!("/pools/proposals/{id}/submit"), None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.json()["detail"].as_str().unwrap().contains("15"), "{}", r.body);

        // Bad bodies and steps.
        let amend = format!("/pools/proposals/{id}/amend");
        let r = call(app, &st, "POST", &amend, Some(json!({ "company_id": placed[0], "change": "promote", "reason": "一二三四五六七八九十" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "change");
        let r = call(app, &st, "POST", &amend, Some(json!({ "company_id": "nobody", "change": "exclude", "reason": "一二三四五六七八九十" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "company_id");
        let r = call(app, &st, "POST", &amend, Some(json!({ "company": 1 }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = call(app, &st, "POST", &format!("/pools/proposals/{id}/approve"), None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "a draft is not approved");
        let r = call(app, &st, "POST", &format!("/pools/proposals/{id}/promote"), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = call(app, &st, "POST", "/pools/companies/nobody/plans", Some(json!({ "scheme": SCHEME, "year": year, "goals": "目标" }))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "plans are for members");
        let r = call(app, &st, "POST", "/pools/plans/nothing/actions", Some(json!({ "what": "x", "owner_bureau": "mint", "due": "soon" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"].as_array().unwrap().len(), 2);
        let r = call(app, &st, "GET", "/pools/plans/nothing", None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // The admin reads the draft, takes no step.
        let mut admin = browser(app, "admin").await;
        let r = admin.get(&format!("/pools/suzhou-landmark/{year}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("平台管理员可查看全部办理情况"));
        assert!(!r.body.contains("/submit\""));
    })
    .await;
}
