//! The platform through its HTTP surface, on SQLite and PostgreSQL, with the demo city.

mod support;

use axum::http::{StatusCode, header};
use store::testing::TestDatabases;
use support::{Client, api, app};

#[tokio::test]
async fn every_demo_role_signs_in_and_sees_its_home_page() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        for (username, role) in demo::DEMO_ACCOUNTS {
            let mut client = Client::new(&app);
            let anonymous = client.get("/").await;
            assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
            assert_eq!(anonymous.location(), "/login?next=/");
            let signed_in = client.login(username, demo::DEMO_PASSWORD).await;
            assert_eq!(
                signed_in.status,
                StatusCode::SEE_OTHER,
                "{username}: {}",
                signed_in.body
            );
            assert!(client.cookies.iter().any(|(k, _)| k == "lh_session"));
            let home = client.get("/").await;
            assert_eq!(home.status, StatusCode::OK);
            assert!(
                home.body
                    .contains(&format!("data-role=\"{}\"", role.code())),
                "{username}"
            );
            assert!(home.body.contains("<html lang=\"zh-CN\">"));
            for id in 1..=17 {
                let cap = web::capabilities::find(&format!("S{id}")).expect("capability");
                assert!(
                    home.body.contains(&format!("href=\"{}\"", cap.path())),
                    "{username} sees S{id}"
                );
            }
        }
    }
}

#[tokio::test]
async fn sign_in_errors_are_explained_and_csrf_is_required() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let mut client = Client::new(&app);
        let wrong = client.login("doctor", "Wrong-Password-1").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.body.contains("error-summary") && wrong.body.contains("用户名或密码不正确"));
        let empty = client.login("", "").await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.body.contains("请输入用户名和密码"));

        let mut forger = Client::new(&app);
        let _ = forger.get("/login").await;
        let no_token = forger
            .post_form(
                "/login",
                &[("username", "doctor"), ("password", demo::DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN);
        let bad_token = forger
            .post_form(
                "/login",
                &[
                    ("_csrf", "forged"),
                    ("username", "doctor"),
                    ("password", demo::DEMO_PASSWORD),
                ],
            )
            .await;
        assert_eq!(bad_token.status, StatusCode::FORBIDDEN);

        // Signed in, a state-changing form still needs the session's token.
        let mut user = Client::new(&app);
        user.login("doctor", demo::DEMO_PASSWORD).await;
        let logout_without = user.post_form("/logout", &[]).await;
        assert_eq!(logout_without.status, StatusCode::FORBIDDEN);
        let home = user.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "still signed in");
        let logout = user.post_form("/logout", &[("_csrf", &home.csrf())]).await;
        assert_eq!(logout.location(), "/login");
        assert_eq!(
            user.get("/").await.status,
            StatusCode::SEE_OTHER,
            "signed out"
        );
    }
}

#[tokio::test]
async fn the_language_switch_is_remembered() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let mut client = Client::new(&app);
        let switched = client.get("/lang/en?next=/login").await;
        assert_eq!(switched.location(), "/login");
        let page = client.get("/login").await;
        assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Sign in"));
        let escape = client.get("/lang/zh-CN?next=//evil.example").await;
        assert_eq!(escape.location(), "/", "no open redirect");
    }
}

#[tokio::test]
async fn least_privilege_holds_on_pages_and_the_api() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let mut doctor = Client::new(&app);
        doctor.login("doctor", demo::DEMO_PASSWORD).await;
        assert_eq!(
            doctor.get("/admin/users").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(doctor.get("/ledger").await.status, StatusCode::FORBIDDEN);

        let doctor_id = app
            .accounts
            .user_id_by_username("doctor")
            .await
            .expect("db")
            .expect("doctor");
        let (token, _) = app
            .accounts
            .create_token(&doctor_id, "test", 1)
            .await
            .expect("token");
        let me = api(&app, "/api/v1/me", Some(&token)).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["grants"][0]["role"], "hospital_doctor");
        let users = api(&app, "/api/v1/users", Some(&token)).await;
        assert_eq!(users.status, StatusCode::FORBIDDEN);
        assert_eq!(
            users.headers[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(users.json()["status"], 403);
        let anonymous = api(&app, "/api/v1/me", None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let forged = api(&app, "/api/v1/me", Some("lht_forged")).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
        let missing = api(&app, "/api/v1/nothing-here", Some(&token)).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.json()["status"], 404);

        let admin_id = app
            .accounts
            .user_id_by_username("admin")
            .await
            .expect("db")
            .expect("admin");
        let (admin_token, _) = app
            .accounts
            .create_token(&admin_id, "test", 1)
            .await
            .expect("token");
        let users = api(&app, "/api/v1/users", Some(&admin_token)).await;
        assert_eq!(users.status, StatusCode::OK);
        let body = users.json();
        assert!(body["total"].as_u64().expect("total") >= 11);
        assert!(
            body["items"]
                .as_array()
                .expect("items")
                .iter()
                .all(|u| u["mobile"].as_str().is_none_or(|m| m.contains("****")))
        );
    }
}

#[tokio::test]
async fn the_administrator_creates_users_with_clear_errors() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let mut admin = Client::new(&app);
        admin.login("admin", demo::DEMO_PASSWORD).await;
        let page = admin.get("/admin/users").await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = page.csrf();
        let bad = admin
            .post_form(
                "/admin/users",
                &[
                    ("_csrf", &csrf),
                    ("username", "X"),
                    ("display_name", ""),
                    ("organisation_id", ""),
                    ("role", ""),
                    ("mobile", "12345"),
                    ("password", "short"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        for (field, text) in [
            ("username", "用户名"),
            ("display_name", "姓名"),
            ("mobile", "11位"),
            ("password", "至少需要10个字符"),
            ("role", "请选择角色"),
        ] {
            assert!(
                bad.body.contains(&format!("href=\"#{field}\"")),
                "summary links to {field}"
            );
            assert!(bad.body.contains(text), "message for {field}: {text}");
        }
        let orgs = app
            .accounts
            .organisations_of_kind(access::OrganisationKind::Hospital, Some("gulou"))
            .await
            .expect("orgs");
        let good = admin
            .post_form(
                "/admin/users",
                &[
                    ("_csrf", &csrf),
                    ("username", "new.doctor"),
                    ("display_name", "新医生"),
                    ("organisation_id", &orgs[0].id),
                    ("role", "hospital_doctor"),
                    ("mobile", "13900001111"),
                    ("password", "Initial-Pass-2026"),
                ],
            )
            .await;
        assert_eq!(good.status, StatusCode::CREATED, "{}", good.body);
        assert!(good.body.contains("139****1111"));
        let mut newcomer = Client::new(&app);
        let first = newcomer.login("new.doctor", "Initial-Pass-2026").await;
        assert_eq!(
            first.location(),
            "/account",
            "must change the initial password first"
        );
        let csv = admin.get("/admin/users.csv").await;
        assert!(
            csv.body.contains("new.doctor")
                && csv.body.contains("139****1111")
                && !csv.body.contains("13900001111")
        );
        let entries = app.ledger.recent(50).await.expect("ledger");
        let admin_id = app
            .accounts
            .user_id_by_username("admin")
            .await
            .expect("db")
            .expect("admin");
        assert!(
            entries
                .iter()
                .any(|e| e.event.action == "user.create" && e.event.actor == admin_id),
            "the creation is on the ledger"
        );
    }
}

/// A form's fields after its `_csrf` token.
fn with_csrf<'a>(csrf: &'a str, fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("_csrf", csrf)];
    all.extend_from_slice(fields);
    all
}

#[tokio::test]
async fn the_administrator_changes_an_account_and_each_change_is_audited_or_explained() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let user_id = |name: &'static str| {
            let accounts = app.accounts.clone();
            async move {
                accounts
                    .user_id_by_username(name)
                    .await
                    .expect("db")
                    .expect("a demo user")
            }
        };
        let (admin_id, doctor_id) = (user_id("admin").await, user_id("doctor").await);
        let mut admin = Client::new(&app);
        admin.login("admin", demo::DEMO_PASSWORD).await;
        let page = format!("/admin/users/{doctor_id}");
        let csrf = admin.get(&page).await.csrf();

        // Input refused: the page again, 422, with the field named.
        let unknown_role = admin
            .post_form(
                &format!("{page}/grants"),
                &with_csrf(&csrf, &[("role", "wizard")]),
            )
            .await;
        assert_eq!(unknown_role.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            unknown_role.body.contains("请选择角色"),
            "{}",
            unknown_role.body
        );
        let short = admin
            .post_form(
                &format!("{page}/password"),
                &with_csrf(&csrf, &[("password", "short")]),
            )
            .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.body.contains("href=\"#password\""), "{}", short.body);
        let own = format!("/admin/users/{admin_id}/active");
        let myself = admin
            .post_form(&own, &with_csrf(&csrf, &[("active", "false")]))
            .await;
        assert_eq!(myself.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(myself.body.contains("不能停用自己的账户"));

        // Changes made: the page says so and the ledger has each, by the administrator.
        let granted = admin
            .post_form(
                &format!("{page}/grants"),
                &with_csrf(&csrf, &[("role", "researcher")]),
            )
            .await;
        assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
        assert!(granted.body.contains("已保存"));
        let reset = admin
            .post_form(
                &format!("{page}/password"),
                &with_csrf(&csrf, &[("password", "Reset-By-Admin-2026")]),
            )
            .await;
        assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
        let before = Client::new(&app)
            .login("doctor", "Reset-By-Admin-2026")
            .await;
        assert!(before.status.is_redirection(), "the new password signs in");
        let deactivated = admin
            .post_form(
                &format!("{page}/active"),
                &with_csrf(&csrf, &[("active", "false")]),
            )
            .await;
        assert_eq!(deactivated.status, StatusCode::OK, "{}", deactivated.body);
        let after = Client::new(&app)
            .login("doctor", "Reset-By-Admin-2026")
            .await;
        assert_eq!(
            after.status,
            StatusCode::UNAUTHORIZED,
            "a deactivated account cannot sign in"
        );

        let entries = app.ledger.recent(50).await.expect("ledger");
        for action in ["user.grant", "user.password_reset", "user.deactivate"] {
            assert!(
                entries.iter().any(|e| e.event.action == action
                    && e.event.actor == admin_id
                    && e.event.subject_id == doctor_id),
                "{action} is on the ledger"
            );
        }
        assert!(
            !entries.iter().any(|e| e.event.action == "user.activate"),
            "a refused change is not audited"
        );
    }
}

#[tokio::test]
async fn ledger_proofs_verify_and_bad_parameters_are_explained() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let id = app
            .accounts
            .user_id_by_username("resident")
            .await
            .expect("db")
            .expect("resident");
        let (token, _) = app
            .accounts
            .create_token(&id, "test", 1)
            .await
            .expect("token");
        let head = api(&app, "/api/v1/ledger/tree-head", Some(&token))
            .await
            .json();
        let size = head["tree_head"]["tree_size"].as_u64().expect("size");
        assert!(size > 100, "the demo city is on the ledger");
        let proof = api(
            &app,
            &format!("/api/v1/ledger/proofs/inclusion?seq=5&tree_size={size}"),
            Some(&token),
        )
        .await
        .json();
        let hash = |v: &serde_json::Value| {
            ledger::Hash::from_hex(v.as_str().expect("hex")).expect("a hash")
        };
        let path: Vec<ledger::Hash> = proof["proof"]["audit_path"]
            .as_array()
            .expect("path")
            .iter()
            .map(hash)
            .collect();
        assert!(ledger::merkle::verify_inclusion(
            5,
            size,
            &hash(&proof["proof"]["leaf_hash"]),
            &path,
            &hash(&head["tree_head"]["root_hash"])
        ));
        let bad = api(
            &app,
            "/api/v1/ledger/proofs/inclusion?seq=abc",
            Some(&token),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.json()["errors"][0]["field"], "seq");
        let beyond = api(
            &app,
            &format!("/api/v1/ledger/proofs/inclusion?seq={size}"),
            Some(&token),
        )
        .await;
        assert_eq!(beyond.status, StatusCode::BAD_REQUEST);
        assert!(
            beyond.json()["detail"]
                .as_str()
                .expect("detail")
                .contains(&size.to_string())
        );
        let entry = api(&app, "/api/v1/ledger/entries/1", Some(&token)).await;
        assert_eq!(
            entry.status,
            StatusCode::FORBIDDEN,
            "residents see proofs, not other people's entries"
        );
    }
}

#[tokio::test]
async fn operations_endpoints_answer() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        assert_eq!(api(&app, "/healthz", None).await.body, "ok");
        assert_eq!(api(&app, "/readyz", None).await.status, StatusCode::OK);
        let metrics = api(&app, "/metrics", None).await;
        assert!(metrics.body.contains("lifehealth_ledger_entries"));
        let openapi = api(&app, "/api/openapi.json", None).await.json();
        assert_eq!(openapi["openapi"], "3.0.3");
        assert!(openapi["paths"]["/ledger/tree-head"].is_object());
        let css = api(&app, "/assets/app.css", None).await;
        assert!(css.body.contains("Noto Sans CJK SC"));
        let page = api(&app, "/no/such/page", None).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains("找不到该页面"));
    }
}
