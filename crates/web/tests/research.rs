//! Research access over HTTP on both backends, with the demo city and its registers: a
//! researcher submits a request, a data steward approves and releases it, the researcher
//! downloads an extract with no identifier and only consenting residents, whose hash is the
//! ledger's; every refusal (a steward's own request, a researcher acting as steward, a download
//! after withdrawal, an invalid form, an illegal transition, an empty cohort) at its status; and
//! aggregate queries with their small cells suppressed, by the purpose of the asker's
//! organisation.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

/// Residents in this test's demo city: whether a release can be k-anonymous without
/// suppressing more than the allowed share depends on the cohort's size, so this test uses a
/// city large enough for the demo's research requests (the tests' usual one is too small).
const RESIDENTS: usize = 400;

use std::collections::BTreeSet;

use access::{Grant, NewUser, Role, Scope};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use registry::{Consents, Reach, RegisterFilter, SharingDecision, SharingPurpose};
use serde_json::{Value, json};
use support::{App, Client, Reply, app, token};

const DISEASE: &str = "hypertension";

async fn signed_in<'a>(app: &'a App, username: &str) -> Client<'a> {
    let mut client = Client::new(app);
    let reply = client.login(username, demo::DEMO_PASSWORD).await;
    assert_eq!(
        reply.status,
        StatusCode::SEE_OTHER,
        "{username} signs in: {}",
        reply.body
    );
    client
}

/// A bearer-token request to the API.
async fn call(app: &App, method: &str, uri: &str, token: &str, body: Option<Value>) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match body {
        Some(v) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    Client::new(app).send(request.body(body).unwrap()).await
}

/// Every resident on the register, and those the test makes consent: research for two in
/// three, commercial for one in two (decided explicitly for everyone, so the demo's own
/// consents do not matter).
struct Consenting {
    cohort: Vec<String>,
    research: BTreeSet<String>,
    commercial: BTreeSet<String>,
}

async fn decide(db: &store::Db, resident: &str, purpose: SharingPurpose, granted: bool) {
    let mut conn = db.pool().acquire().await.unwrap();
    Consents::decide_on(
        &mut conn,
        &SharingDecision {
            resident_id: resident.to_owned(),
            purpose,
            granted,
            at: kernel::UtcMillis::now().0,
            by: "test".into(),
            proxy_resident_id: None,
        },
    )
    .await
    .unwrap();
}

async fn consents(app: &App, db: &store::Db) -> Consenting {
    let rows = app
        .clinical
        .registers()
        .list(&RegisterFilter {
            reach: Reach::All,
            disease: Some(DISEASE.into()),
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let cohort: Vec<String> = rows
        .iter()
        .map(|r| r.enrolment.resident_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(cohort.len() > 60, "the demo register has people");
    let mut out = Consenting {
        cohort: cohort.clone(),
        research: BTreeSet::new(),
        commercial: BTreeSet::new(),
    };
    for (i, id) in cohort.iter().enumerate() {
        let research = i % 3 != 0;
        let commercial = i % 2 == 0;
        decide(db, id, SharingPurpose::Research, research).await;
        decide(db, id, SharingPurpose::Commercial, commercial).await;
        if research {
            out.research.insert(id.clone());
        }
        if commercial {
            out.commercial.insert(id.clone());
        }
    }
    out
}

fn request_fields(csrf: &str) -> Vec<(&'static str, String)> {
    vec![
        ("_csrf", csrf.to_owned()),
        ("diseases", DISEASE.into()),
        ("variables", "sex".into()),
        ("variables", "age".into()),
        ("variables", "controlled".into()),
        ("variables", "followups".into()),
        (
            "purpose",
            "Blood pressure control by age and sex among residents with hypertension".into(),
        ),
        ("ethics_reference", "伦审〔2026〕第017号".into()),
    ]
}

async fn post(client: &mut Client<'_>, uri: &str, fields: &[(&str, String)]) -> Reply {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.post_form(uri, &pairs).await
}

/// Submits the standard request through the page; its id.
async fn submit(client: &mut Client<'_>) -> String {
    let page = client.get("/research").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let reply = post(client, "/research/requests", &request_fields(&page.csrf())).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let id = reply
        .location()
        .strip_prefix("/research/requests/")
        .unwrap()
        .to_owned();
    assert!(!id.is_empty());
    id
}

fn in_days(days: i64) -> String {
    let today = kernel::UtcMillis::now().city_date();
    today
        .checked_add(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

async fn approve(client: &mut Client<'_>, id: &str) -> Reply {
    let page = client.get(&format!("/research/requests/{id}")).await;
    let fields = vec![
        ("_csrf", page.csrf()),
        ("access_until", in_days(30)),
        ("reasons", "Ethics approval and variables checked".into()),
    ];
    post(client, &format!("/research/requests/{id}/approve"), &fields).await
}

async fn act(client: &mut Client<'_>, id: &str, action: &str, reasons: &str) -> Reply {
    let page = client.get(&format!("/research/requests/{id}")).await;
    let fields = vec![("_csrf", page.csrf()), ("reasons", reasons.to_owned())];
    post(
        client,
        &format!("/research/requests/{id}/{action}"),
        &fields,
    )
    .await
}

// One test per backend, so that the two run in parallel.
#[tokio::test]
async fn research_access_over_http_on_sqlite() {
    let (db, _dir) = store::testing::sqlite().await;
    research_access_over_http(&db).await;
}

#[tokio::test]
async fn research_access_over_http_on_postgres() {
    research_access_over_http(&store::testing::postgres().await).await;
}

async fn research_access_over_http(db: &store::Db) {
    let app = app(db).await;
    support::add_demo_records(&app, RESIDENTS).await;
    let consenting = consents(&app, db).await;
    let released = full_flow(&app, &consenting).await;
    refusals(&app, &released).await;
    aggregates(&app, db, &consenting).await;
}

/// Submit, approve, release, download; the extract holds consenting residents only and no
/// identifier, and its hash is on the ledger. Returns the released request's id.
async fn full_flow(app: &App, consenting: &Consenting) -> String {
    let mut researcher = signed_in(app, "researcher").await;
    let id = submit(&mut researcher).await;
    let mine = researcher.get("/research").await;
    assert!(mine.body.contains(&format!("/research/requests/{id}")));
    assert!(mine.body.contains("待审核"), "the new request is waiting");

    // The steward finds it in the queue, approves it and releases it.
    let mut steward = signed_in(app, "steward").await;
    let queue = steward.get("/research/review").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains(&format!("/research/requests/{id}")));
    let approved = approve(&mut steward, &id).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let page = steward.get(&format!("/research/requests/{id}")).await;
    assert!(page.body.contains("Ethics approval and variables checked"));
    let release = post(
        &mut steward,
        &format!("/research/requests/{id}/release"),
        &[("_csrf", page.csrf())],
    )
    .await;
    assert_eq!(release.status, StatusCode::SEE_OTHER, "{}", release.body);

    // The researcher sees the release summary and the download buttons.
    let detail = researcher.get(&format!("/research/requests/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("已发布"));
    assert!(
        detail
            .body
            .contains(&format!("/research/requests/{id}/extract.csv"))
    );
    assert!(detail.body.contains("/api/v1/ledger/proofs/inclusion?seq="));

    // The API tells the same, with the figures.
    let token = token(app, "researcher").await;
    let state = call(
        app,
        "GET",
        &format!("/api/v1/research/requests/{id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(state.status, StatusCode::OK, "{}", state.body);
    let state = state.json();
    assert_eq!(state["state"], "released");
    let release = &state["release"];
    assert_eq!(release["k"], 5);
    let expected = consenting
        .cohort
        .iter()
        .filter(|r| consenting.research.contains(*r))
        .count();
    assert!(
        expected < consenting.cohort.len(),
        "someone does not consent"
    );
    assert_eq!(
        release["cohort_rows"].as_u64().unwrap() as usize,
        expected,
        "the release counts exactly the residents who consent to research"
    );
    let rows = release["released_rows"].as_u64().unwrap();
    let suppressed = release["suppressed_rows"].as_u64().unwrap();
    assert_eq!(rows + suppressed, expected as u64);
    let history: Vec<&str> = state["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["submitted", "approved", "released"]);

    // The page download: CSV with a pseudonym and the variables asked for, nothing else.
    let csv = researcher
        .get(&format!("/research/requests/{id}/extract.csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "pid,sex,age,controlled,followups");
    assert_eq!(lines.len() as u64 - 1, rows);
    assert!(
        !csv.body
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "no name or other Chinese text"
    );
    for resident in &consenting.cohort {
        assert!(!csv.body.contains(resident.as_str()), "no resident id");
    }
    assert!(
        !csv.body
            .split([',', '\r', '\n'])
            .any(|v| v.len() >= 15 && v.chars().all(|c| c.is_ascii_digit())),
        "no ID or mobile number"
    );
    let digest = csv.headers["x-content-sha256"].to_str().unwrap().to_owned();
    assert_eq!(digest, release["extract_sha256"]);
    let seq: u64 = release["ledger_seq"].as_u64().unwrap();
    let entry = app.ledger.entry(seq).await.unwrap().unwrap();
    assert_eq!(entry.event.action, "research.release");
    assert_eq!(
        entry.event.data_hash, digest,
        "the extract's hash is the ledger's"
    );
    let download_seq: u64 = csv.headers["x-ledger-seq"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let download = app.ledger.entry(download_seq).await.unwrap().unwrap();
    assert_eq!(download.event.action, "research.download");

    // The API download and the dictionary; each download is counted.
    let api_csv = call(
        app,
        "GET",
        &format!("/api/v1/research/requests/{id}/extract.csv"),
        &token,
        None,
    )
    .await;
    assert_eq!(api_csv.status, StatusCode::OK);
    assert_eq!(
        api_csv.headers["x-content-sha256"].to_str().unwrap(),
        digest
    );
    let dictionary = call(
        app,
        "GET",
        &format!("/api/v1/research/requests/{id}/dictionary.csv"),
        &token,
        None,
    )
    .await;
    assert_eq!(dictionary.status, StatusCode::OK);
    assert!(dictionary.body.starts_with("column,"));
    assert!(dictionary.body.contains("pid"));
    let state = call(
        app,
        "GET",
        &format!("/api/v1/research/requests/{id}"),
        &token,
        None,
    )
    .await
    .json();
    assert_eq!(state["release"]["downloads"], 3);

    // My requests over the API.
    let mine = call(app, "GET", "/api/v1/research/requests", &token, None)
        .await
        .json();
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id.as_str())
    );
    id
}

async fn refusals(app: &App, released: &str) {
    // A steward who is also a researcher (at a hospital) cannot approve her own request.
    let hospital = app
        .accounts
        .organisations()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == access::OrganisationKind::Hospital)
        .unwrap();
    app.accounts
        .create_user(NewUser {
            username: "dual.steward".into(),
            display_name: "双重角色".into(),
            organisation_id: hospital.id.clone(),
            password: demo::DEMO_PASSWORD.into(),
            mobile: None,
            grants: vec![
                Grant {
                    role: Role::Researcher,
                    scope: Scope::Organisation(hospital.id.clone()),
                },
                Grant {
                    role: Role::DataSteward,
                    scope: Scope::City,
                },
            ],
            must_change_password: false,
        })
        .await
        .unwrap();
    let mut dual = signed_in(app, "dual.steward").await;
    let own = submit(&mut dual).await;
    let page = dual.get(&format!("/research/requests/{own}")).await;
    assert!(
        page.body.contains("这是您本人提交的申请"),
        "warned before acting"
    );
    let refused = approve(&mut dual, &own).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains("不能对自己提交的申请执行"),
        "{}",
        refused.body
    );
    let refused = act(&mut dual, &own, "refuse", "conflict").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // A researcher is no steward: approving is forbidden.
    let mut researcher = signed_in(app, "researcher").await;
    let other = submit(&mut researcher).await;
    let forbidden = approve(&mut researcher, &other).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(
        researcher.get("/research/review").await.status,
        StatusCode::FORBIDDEN
    );

    // Refusing needs reasons, named at the refusal's own field.
    let mut steward = signed_in(app, "steward").await;
    let no_reasons = act(&mut steward, &other, "refuse", "  ").await;
    assert_eq!(no_reasons.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reasons.body.contains("href=\"#refuse-reasons\""));
    // An access period that ends today is refused at its field.
    let page = steward.get(&format!("/research/requests/{other}")).await;
    let today = post(
        &mut steward,
        &format!("/research/requests/{other}/approve"),
        &[("_csrf", page.csrf()), ("access_until", in_days(0))],
    )
    .await;
    assert_eq!(today.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(today.body.contains("href=\"#access_until\""));
    // Refused, then approving is an illegal transition.
    let refused = act(&mut steward, &other, "refuse", "Variables not justified").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let again = approve(&mut steward, &other).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("未批准"), "says the state it is in");
    // The refusal and its reasons are in the researcher's history.
    let history = researcher.get(&format!("/research/requests/{other}")).await;
    assert!(history.body.contains("Variables not justified"));

    // An empty cohort (nobody that young on the register) cannot be released.
    let page = researcher.get("/research").await;
    let mut fields = request_fields(&page.csrf());
    fields.push(("age_min", "0".into()));
    fields.push(("age_max", "1".into()));
    let empty = post(&mut researcher, "/research/requests", &fields).await;
    let empty = empty.location().rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        approve(&mut steward, &empty).await.status,
        StatusCode::SEE_OTHER
    );
    let page = steward.get(&format!("/research/requests/{empty}")).await;
    let nothing = post(
        &mut steward,
        &format!("/research/requests/{empty}/release"),
        &[("_csrf", page.csrf())],
    )
    .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.body.contains("没有同意"), "{}", nothing.body);

    // An invalid form: every wrong field in the summary and at the field.
    let page = researcher.get("/research").await;
    let bad = post(
        &mut researcher,
        "/research/requests",
        &[
            ("_csrf", page.csrf()),
            ("age_min", "70".into()),
            ("age_max", "60".into()),
            ("variables", "name".into()),
            ("purpose", "short".into()),
            ("ethics_reference", "pending".into()),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "diseases",
        "age_max",
        "variables",
        "purpose",
        "ethics_reference",
    ] {
        assert!(
            bad.body.contains(&format!("href=\"#{field}\"")),
            "{field} in the summary"
        );
    }
    assert!(
        bad.body.contains("伦理批件号应包含"),
        "the ethics problem explained"
    );
    assert!(bad.body.contains("直接标识符"), "a name is never released");
    // The same over the API: 422 with each field named.
    let token = token(app, "researcher").await;
    let problem = call(
        app,
        "POST",
        "/api/v1/research/requests",
        &token,
        Some(json!({ "diseases": ["flu"], "variables": ["age"], "purpose": "x", "ethics_reference": "KY2024-017" })),
    )
    .await;
    assert_eq!(problem.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem.headers[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let fields: Vec<String> = problem.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["diseases", "purpose"]);
    let not_json = Client::new(app)
        .send(
            Request::post("/api/v1/research/requests")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from("diseases=hypertension"))
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    // Submitted over the API: 201 with its Location.
    let created = call(
        app,
        "POST",
        "/api/v1/research/requests",
        &token,
        Some(json!({ "diseases": [DISEASE], "age_min": 40, "variables": ["sex", "age"], "purpose": "Age and sex of residents with hypertension, 2026", "ethics_reference": "KY2026-031" })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let created_id = created.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.location(),
        format!("/api/v1/research/requests/{created_id}")
    );
    assert_eq!(created.json()["cohort"]["age_min"], 40);

    // Someone else's request, or none, is not found; another role has no research access.
    let company = token_for_company_researcher(app).await;
    let theirs = call(
        app,
        "GET",
        &format!("/api/v1/research/requests/{released}"),
        &company,
        None,
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let download = call(
        app,
        "GET",
        &format!("/api/v1/research/requests/{released}/extract.csv"),
        &company,
        None,
    )
    .await;
    assert_eq!(download.status, StatusCode::NOT_FOUND);
    let unknown = call(
        app,
        "GET",
        "/api/v1/research/requests/nothing",
        &token,
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let doctor = token_of(app, "doctor").await;
    let forbidden = call(app, "GET", "/api/v1/research/requests", &doctor, None).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

    // Withdrawn (ethics approval revoked): the download is gone, on the page and the API.
    let withdrawn = act(
        &mut researcher,
        released,
        "withdraw",
        "Ethics approval revoked",
    )
    .await;
    assert_eq!(
        withdrawn.status,
        StatusCode::SEE_OTHER,
        "{}",
        withdrawn.body
    );
    let gone = researcher
        .get(&format!("/research/requests/{released}/extract.csv"))
        .await;
    assert_eq!(gone.status, StatusCode::GONE);
    let gone = call(
        app,
        "GET",
        &format!("/api/v1/research/requests/{released}/extract.csv"),
        &token,
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert_eq!(
        gone.json()["type"],
        "https://lifehealth.invalid/problems/no-longer-available"
    );
    let page = researcher
        .get(&format!("/research/requests/{released}"))
        .await;
    assert!(!page.body.contains("/extract.csv\""), "no download button");
    assert!(page.body.contains("已撤回"));
}

async fn token_of(app: &App, username: &str) -> String {
    token(app, username).await
}

/// A researcher at a company (commercial consent applies); created once.
async fn token_for_company_researcher(app: &App) -> String {
    if app
        .accounts
        .user_id_by_username("company.researcher")
        .await
        .unwrap()
        .is_none()
    {
        let company = app
            .accounts
            .organisations()
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.kind == access::OrganisationKind::Company)
            .unwrap();
        app.accounts
            .create_user(NewUser {
                username: "company.researcher".into(),
                display_name: "企业研究员".into(),
                organisation_id: company.id.clone(),
                password: demo::DEMO_PASSWORD.into(),
                mobile: None,
                grants: vec![Grant {
                    role: Role::Researcher,
                    scope: Scope::Organisation(company.id.clone()),
                }],
                must_change_password: false,
            })
            .await
            .unwrap();
    }
    token(app, "company.researcher").await
}

fn counts(table: &Value) -> Vec<Value> {
    let mut all: Vec<Value> = table["cells"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().clone())
        .collect();
    all.extend(table["row_totals"].as_array().unwrap().iter().cloned());
    all.extend(table["column_totals"].as_array().unwrap().iter().cloned());
    all.push(table["total"].clone());
    all
}

async fn aggregates(app: &App, db: &store::Db, consenting: &Consenting) {
    let token = token(app, "researcher").await;
    let query = json!({ "diseases": [DISEASE], "rows": "district", "columns": "age" });
    let reply = call(
        app,
        "POST",
        "/api/v1/research/aggregate",
        &token,
        Some(query.clone()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let table = reply.json();
    assert_eq!(table["min_cell_size"], 5);
    assert_eq!(
        table["total"]["count"].as_u64().unwrap() as usize,
        consenting.research.len(),
        "only residents who consent to research are counted"
    );
    let cells = counts(&table);
    let hidden = cells.iter().filter(|c| c["suppressed"] == true).count();
    assert!(hidden >= 2, "small cells by district and age are hidden");
    for c in &cells {
        if c["suppressed"] == true {
            assert_eq!(c["shown"], "<5");
        } else {
            let n = c["count"].as_u64().unwrap();
            assert!(
                n == 0 || n >= 5,
                "a shown cell of {n} discloses a few people"
            );
        }
    }
    // Each row has none or at least two hidden cells among its cells and total.
    for (r, row) in table["cells"].as_array().unwrap().iter().enumerate() {
        let mut line: Vec<&Value> = row.as_array().unwrap().iter().collect();
        line.push(&table["row_totals"][r]);
        let hidden = line.iter().filter(|c| c["suppressed"] == true).count();
        assert!(hidden != 1, "row {r} would give its hidden cell away");
    }

    // A company's researcher counts the residents who consent to commercial use.
    let company = token_for_company_researcher(app).await;
    let theirs = call(
        app,
        "POST",
        "/api/v1/research/aggregate",
        &company,
        Some(json!({ "diseases": [DISEASE], "rows": "sex" })),
    )
    .await
    .json();
    assert_eq!(
        theirs["total"]["count"].as_u64().unwrap() as usize,
        consenting.commercial.len()
    );
    assert_ne!(consenting.commercial.len(), consenting.research.len());

    // A revocation takes effect at the next query.
    let one = consenting.research.iter().next().unwrap();
    decide(db, one, SharingPurpose::Research, false).await;
    let after = call(
        app,
        "POST",
        "/api/v1/research/aggregate",
        &token,
        Some(json!({ "diseases": [DISEASE], "rows": "sex" })),
    )
    .await
    .json();
    assert_eq!(
        after["total"]["count"].as_u64().unwrap() as usize,
        consenting.research.len() - 1
    );
    decide(db, one, SharingPurpose::Research, true).await;

    // A dimension that is not in the catalogue's dimensions, over the API.
    let bad = call(
        app,
        "POST",
        "/api/v1/research/aggregate",
        &token,
        Some(json!({ "diseases": [DISEASE], "rows": "name", "columns": "followups" })),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = bad.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["rows", "columns"]);

    // The page: the table with "<5", its legend and a chart; and a wrong query's fields.
    let mut researcher = signed_in(app, "researcher").await;
    let page = researcher
        .get("/research/query?diseases=hypertension&rows=district&columns=age")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("class=\"num suppressed\">&lt;5<"));
    assert!(page.body.contains("少于5人"), "the legend explains <5");
    assert!(page.body.contains("<svg"), "a bar chart");
    let first = researcher.get("/research/query").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(!first.body.contains("<svg"), "no result before a query");
    let wrong = researcher
        .get("/research/query?rows=age&columns=age&age_min=abc")
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["diseases", "age_min", "columns"] {
        assert!(
            wrong.body.contains(&format!("href=\"#{field}\"")),
            "{field}"
        );
    }
    // Residents and doctors cannot query.
    let mut resident = signed_in(app, "resident").await;
    assert_eq!(
        resident.get("/research/query").await.status,
        StatusCode::FORBIDDEN
    );
}
