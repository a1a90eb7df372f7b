//! Database errors the domain crates branch on, against real SQLite and PostgreSQL.

mod common;

use common::TestDatabases;
use store::is_unique_violation;
use store::sqlx;

#[tokio::test]
async fn a_repeated_key_is_a_unique_violation_on_both_backends_and_other_errors_are_not() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        // A clustered table (SQLite reports its primary key, not UNIQUE) and a UNIQUE column.
        for ddl in [
            "CREATE TABLE keyed (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID",
            "CREATE TABLE unique_b (a TEXT PRIMARY KEY, b TEXT NOT NULL UNIQUE)",
        ] {
            let ddl = match db.backend() {
                store::Backend::Sqlite => ddl.to_owned(),
                store::Backend::Postgres => ddl.replace(" WITHOUT ROWID", ""),
            };
            sqlx::query(&ddl).execute(db.pool()).await.expect("create");
        }
        for table in ["keyed", "unique_b"] {
            let insert = format!("INSERT INTO {table} (a, b) VALUES ($1, $2)");
            let first = sqlx::query(&insert)
                .bind("x")
                .bind("y")
                .execute(db.pool())
                .await;
            assert!(first.is_ok(), "{first:?}");
            let again = sqlx::query(&insert)
                .bind("x")
                .bind("y")
                .execute(db.pool())
                .await;
            let e = again.expect_err("the same key twice");
            assert!(is_unique_violation(&e), "{table}: {e}");
        }
        let null = sqlx::query("INSERT INTO keyed (a, b) VALUES ($1, NULL)")
            .bind("z")
            .execute(db.pool())
            .await
            .expect_err("NOT NULL");
        assert!(!is_unique_violation(&null), "{null}");
        let missing = sqlx::query("SELECT * FROM no_such_table")
            .execute(db.pool())
            .await
            .expect_err("no table");
        assert!(!is_unique_violation(&missing), "{missing}");
    }
}
