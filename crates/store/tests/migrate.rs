//! Migrations against real SQLite and, when reachable, real PostgreSQL.

mod common;

use store::{Migration, MigrationSet, StoreError};

const V1: Migration = Migration::portable(
    1,
    "notes",
    "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL, at BIGINT NOT NULL);",
);
const V2: Migration = Migration::portable(
    2,
    "notes_flag",
    "ALTER TABLE notes ADD COLUMN pinned BIGINT NOT NULL DEFAULT 0;",
);

#[tokio::test]
async fn migrations_apply_once_in_order_on_both_backends() {
    let dbs = common::TestDatabases::new().await;
    for db in dbs.all() {
        let set = MigrationSet {
            component: "notes",
            migrations: &[V1, V2],
        };
        let first = db.migrate(&[set]).await.expect("first run");
        assert_eq!(
            first.iter().map(|m| m.version).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let second = db.migrate(&[set]).await.expect("second run");
        assert!(
            second.is_empty(),
            "nothing left to apply on {:?}",
            db.backend()
        );

        store::sqlx::query("INSERT INTO notes (id, body, at, pinned) VALUES ($1, $2, $3, $4)")
            .bind("n1")
            .bind("你好")
            .bind(1_700_000_000_000_i64)
            .bind(1_i64)
            .execute(db.pool())
            .await
            .expect("insert uses the migrated columns");
        let (body, pinned): (String, i64) =
            store::sqlx::query_as("SELECT body, pinned FROM notes WHERE id = $1")
                .bind("n1")
                .fetch_one(db.pool())
                .await
                .expect("read back");
        assert_eq!(body, "你好");
        assert_eq!(pinned, 1);
    }
}

#[tokio::test]
async fn an_edited_migration_is_refused() {
    let dbs = common::TestDatabases::new().await;
    for db in dbs.all() {
        db.migrate(&[MigrationSet {
            component: "notes",
            migrations: &[V1],
        }])
        .await
        .expect("apply v1");
        const EDITED: Migration =
            Migration::portable(1, "notes", "CREATE TABLE notes (id TEXT PRIMARY KEY);");
        let err = db
            .migrate(&[MigrationSet {
                component: "notes",
                migrations: &[EDITED],
            }])
            .await
            .expect_err("edited migration must be refused");
        assert!(
            matches!(err, StoreError::MigrationChanged { version: 1, .. }),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_migration_unknown_to_the_binary_is_refused() {
    let dbs = common::TestDatabases::new().await;
    for db in dbs.all() {
        db.migrate(&[MigrationSet {
            component: "notes",
            migrations: &[V1, V2],
        }])
        .await
        .expect("apply both");
        let err = db
            .migrate(&[MigrationSet {
                component: "notes",
                migrations: &[V1],
            }])
            .await
            .expect_err("older binary must refuse");
        assert!(
            matches!(err, StoreError::MigrationUnknown { version: 2, .. }),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_failing_migration_leaves_nothing_half_applied() {
    let dbs = common::TestDatabases::new().await;
    for db in dbs.all() {
        const BROKEN: Migration = Migration::portable(
            1,
            "broken",
            "CREATE TABLE half (id TEXT PRIMARY KEY); CREATE TABLE half (id TEXT PRIMARY KEY);",
        );
        let err = db
            .migrate(&[MigrationSet {
                component: "broken",
                migrations: &[BROKEN],
            }])
            .await
            .expect_err("duplicate table must fail");
        assert!(
            matches!(err, StoreError::Migration { version: 1, .. }),
            "{err}"
        );
        let exists = store::sqlx::query("SELECT id FROM half")
            .fetch_all(db.pool())
            .await;
        assert!(
            exists.is_err(),
            "the first statement was rolled back on {:?}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn sqlite_backup_and_restore_round_trip() {
    let dir = common::temp_dir();
    let path = dir.join("live.db");
    let db = store::Db::connect(&format!("sqlite://{}", path.display()), &Default::default())
        .await
        .expect("open");
    db.migrate(&[MigrationSet {
        component: "notes",
        migrations: &[V1],
    }])
    .await
    .expect("migrate");
    store::sqlx::query("INSERT INTO notes (id, body, at) VALUES ('a', 'kept', 1)")
        .execute(db.pool())
        .await
        .expect("insert");
    let backup = dir.join("backup.db");
    store::backup_sqlite(&db, &backup).await.expect("backup");
    assert!(matches!(
        store::backup_sqlite(&db, &backup).await,
        Err(store::BackupError::TargetExists(_))
    ));
    store::sqlx::query("DELETE FROM notes")
        .execute(db.pool())
        .await
        .expect("delete");
    db.close().await;

    store::restore_sqlite(&backup, &path)
        .await
        .expect("restore");
    let db = store::Db::connect(&format!("sqlite://{}", path.display()), &Default::default())
        .await
        .expect("reopen");
    let body: String = store::sqlx::query_scalar("SELECT body FROM notes WHERE id = 'a'")
        .fetch_one(db.pool())
        .await
        .expect("restored row");
    assert_eq!(body, "kept");

    let garbage = dir.join("garbage.db");
    std::fs::write(&garbage, b"not a database at all").expect("write garbage");
    assert!(matches!(
        store::restore_sqlite(&garbage, &path).await,
        Err(store::BackupError::Corrupt { .. })
    ));
}
