//! Accounts against real SQLite and PostgreSQL.

use std::sync::Arc;

use access::{
    AccessError, Accounts, Grant, LoginError, NewOrganisation, NewUser, OrganisationKind, Role,
    Scope, SecurityPolicy,
};
use store::sqlx;
use store::testing::TestDatabases;
use vault::Keyring;

const PASSWORD: &str = "Test-Passw0rd-2026";

async fn accounts(db: &store::Db, policy: SecurityPolicy) -> Accounts {
    db.migrate(&[access::migrations()]).await.expect("migrate");
    Accounts::new(db.clone(), Arc::new(Keyring::for_tests()), policy)
}

async fn hospital(a: &Accounts) -> access::Organisation {
    a.create_organisation(NewOrganisation {
        kind: Some(OrganisationKind::Hospital),
        name_zh: "测试医院".into(),
        district: Some("gulou".into()),
        internet_hospital: true,
        ..Default::default()
    })
    .await
    .expect("hospital")
}

async fn doctor(a: &Accounts, org: &access::Organisation, username: &str) -> String {
    a.create_user(NewUser {
        username: username.into(),
        display_name: "测试医生".into(),
        organisation_id: org.id.clone(),
        password: PASSWORD.into(),
        mobile: Some("138 1234 5678".into()),
        grants: vec![Grant {
            role: Role::HospitalDoctor,
            scope: Scope::Organisation(org.id.clone()),
        }],
        must_change_password: false,
    })
    .await
    .expect("doctor")
}

#[tokio::test]
async fn organisations_are_validated_field_by_field() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let a = accounts(db, SecurityPolicy::default()).await;
        let err = a
            .create_organisation(NewOrganisation {
                kind: Some(OrganisationKind::Company),
                name_zh: " ".into(),
                uscc: Some("91350100M000100Y44".into()),
                ..Default::default()
            })
            .await
            .expect_err("invalid");
        let AccessError::Invalid(fields) = err else {
            panic!("expected field errors")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field).collect();
        assert!(
            names.contains(&"name_zh") && names.contains(&"district") && names.contains(&"uscc"),
            "{names:?}"
        );
        assert!(fields.iter().any(|f| f.zh.contains("校验码")));

        let company = a
            .create_organisation(NewOrganisation {
                kind: Some(OrganisationKind::Company),
                name_zh: "示例生物（虚构）".into(),
                district: Some("jiangning".into()),
                uscc: Some("91350100m000100y43".into()),
                ..Default::default()
            })
            .await
            .expect("valid company");
        assert_eq!(company.uscc.as_deref(), Some("91350100M000100Y43"));
        assert_eq!(
            company.name_en, "示例生物（虚构）",
            "English name defaults to the Chinese one"
        );
        let dup = a
            .create_organisation(NewOrganisation {
                kind: Some(OrganisationKind::Company),
                name_zh: "重复".into(),
                district: Some("jiangning".into()),
                uscc: Some("91350100M000100Y43".into()),
                ..Default::default()
            })
            .await;
        assert!(matches!(dup, Err(AccessError::Invalid(f)) if f[0].field == "uscc"));
    }
}

#[tokio::test]
async fn users_get_checked_grants_and_encrypted_mobiles() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let a = accounts(db, SecurityPolicy::default()).await;
        let org = hospital(&a).await;
        let id = doctor(&a, &org, "dr.wang").await;

        let raw: (Option<String>, String) =
            sqlx::query_as("SELECT mobile_cipher, password_hash FROM users WHERE id = $1")
                .bind(&id)
                .fetch_one(db.pool())
                .await
                .expect("row");
        let cipher = raw.0.expect("mobile stored");
        assert!(!cipher.contains("13812345678") && cipher.starts_with("v1."));
        assert!(raw.1.starts_with("$argon2id$"));
        let listed = a.user(&id).await.expect("read").expect("exists");
        assert_eq!(listed.mobile_masked.as_deref(), Some("138****5678"));
        let mobile = kernel::MobileNumber::parse("13812345678").expect("mobile");
        assert_eq!(
            a.user_ids_by_mobile(&mobile).await.expect("lookup"),
            vec![id.clone()]
        );

        // A role that does not fit the organisation is refused with the field named.
        let wrong = a
            .create_user(NewUser {
                username: "not.a.pharmacy".into(),
                display_name: "某人".into(),
                organisation_id: org.id.clone(),
                password: PASSWORD.into(),
                grants: vec![Grant {
                    role: Role::CompanyUser,
                    scope: Scope::Organisation(org.id.clone()),
                }],
                ..Default::default()
            })
            .await;
        assert!(
            matches!(wrong, Err(AccessError::Invalid(f)) if f.iter().any(|e| e.field == "roles"))
        );
        let taken = a
            .create_user(NewUser {
                username: "DR.WANG".into(),
                display_name: "重名".into(),
                organisation_id: org.id.clone(),
                password: "short".into(),
                grants: vec![Grant {
                    role: Role::HospitalDoctor,
                    scope: Scope::Organisation(org.id.clone()),
                }],
                ..Default::default()
            })
            .await;
        let Err(AccessError::Invalid(fields)) = taken else {
            panic!("expected refusal")
        };
        assert!(fields.iter().any(|f| f.field == "username"));
        assert!(fields.iter().any(|f| f.field == "password"));
    }
}

#[tokio::test]
async fn sign_in_locks_after_repeated_failures_and_sessions_end() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let policy = SecurityPolicy {
            lockout_threshold: 3,
            ..SecurityPolicy::default()
        };
        let a = accounts(db, policy).await;
        let org = hospital(&a).await;
        doctor(&a, &org, "dr.li").await;

        assert_eq!(
            a.login("nobody", PASSWORD).await.expect("db").err(),
            Some(LoginError::InvalidCredentials)
        );
        let (token, principal) = a
            .login("DR.LI ", PASSWORD)
            .await
            .expect("db")
            .expect("signed in");
        assert!(principal.has_role(Role::HospitalDoctor));
        let again = a
            .session_principal(&token)
            .await
            .expect("db")
            .expect("session alive");
        assert_eq!(again.user_id, principal.user_id);
        assert!(a.csrf_valid(&token, &a.csrf_token(&token)));
        assert!(!a.csrf_valid(&token, &a.csrf_token("another-cookie")));

        for _ in 0..2 {
            assert_eq!(
                a.login("dr.li", "wrong").await.expect("db").err(),
                Some(LoginError::InvalidCredentials)
            );
        }
        let third = a.login("dr.li", "wrong").await.expect("db").err();
        assert!(
            matches!(third, Some(LoginError::Locked { .. })),
            "{third:?}"
        );
        let locked = a.login("dr.li", PASSWORD).await.expect("db").err();
        assert!(
            matches!(locked, Some(LoginError::Locked { .. })),
            "the right password waits out the lock"
        );

        a.logout(&token).await.expect("logout");
        assert!(a.session_principal(&token).await.expect("db").is_none());
    }
}

#[tokio::test]
async fn tokens_authenticate_until_revoked_or_the_user_is_deactivated() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let a = accounts(db, SecurityPolicy::default()).await;
        let org = hospital(&a).await;
        let id = doctor(&a, &org, "dr.zhao").await;
        assert!(matches!(
            a.create_token(&id, "", 30).await,
            Err(AccessError::Invalid(_))
        ));
        assert!(matches!(
            a.create_token(&id, "etl", 0).await,
            Err(AccessError::Invalid(_))
        ));
        let (secret, info) = a.create_token(&id, "etl", 30).await.expect("token");
        assert!(secret.starts_with(access::TOKEN_PREFIX));
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE id = $1")
            .bind(&info.id)
            .fetch_one(db.pool())
            .await
            .expect("row");
        assert_ne!(stored, secret, "only a hash is stored");
        let p = a
            .token_principal(&secret)
            .await
            .expect("db")
            .expect("valid token");
        assert_eq!(p.user_id, id);
        assert!(a.token_principal("lht_forged").await.expect("db").is_none());

        assert!(a.revoke_token(&id, &info.id).await.expect("revoke"));
        assert!(a.token_principal(&secret).await.expect("db").is_none());

        let (second, _) = a.create_token(&id, "second", 30).await.expect("token");
        let (session, _) = a
            .login("dr.zhao", PASSWORD)
            .await
            .expect("db")
            .expect("login");
        a.set_active(&id, false).await.expect("deactivate");
        assert!(a.token_principal(&second).await.expect("db").is_none());
        assert!(a.session_principal(&session).await.expect("db").is_none());
        assert_eq!(
            a.login("dr.zhao", PASSWORD).await.expect("db").err(),
            Some(LoginError::InvalidCredentials)
        );
    }
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_sessions() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let a = accounts(db, SecurityPolicy::default()).await;
        let org = hospital(&a).await;
        let id = doctor(&a, &org, "dr.chen").await;
        let (session, _) = a
            .login("dr.chen", PASSWORD)
            .await
            .expect("db")
            .expect("login");
        let wrong = a.change_password(&id, "nope", "New-Passw0rd-2026").await;
        assert!(matches!(wrong, Err(AccessError::Invalid(f)) if f[0].field == "current_password"));
        let weak = a.change_password(&id, PASSWORD, "weakweakweak").await;
        assert!(matches!(weak, Err(AccessError::Invalid(f)) if f[0].field == "new_password"));
        a.change_password(&id, PASSWORD, "New-Passw0rd-2026")
            .await
            .expect("changed");
        assert!(a.session_principal(&session).await.expect("db").is_none());
        assert!(
            a.login("dr.chen", "New-Passw0rd-2026")
                .await
                .expect("db")
                .is_ok()
        );
    }
}
