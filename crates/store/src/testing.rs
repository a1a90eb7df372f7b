//! Fresh databases for integration tests: every test gets its own SQLite file and its own
//! PostgreSQL schema, so tests run in parallel without seeing each other's rows.
//!
//! PostgreSQL is a real server: `LIFEHEALTH_TEST_POSTGRES_URL`, by default
//! `postgres://postgres@127.0.0.1:5432/postgres` (what `.ci/run` starts). A test fails, rather
//! than skips, when that server is unreachable: a green run must mean both backends passed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Db, DbOptions};

pub const DEFAULT_TEST_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Schemas left behind by earlier runs older than this are dropped.
const STALE_SCHEMA_SECONDS: u64 = 6 * 3600;

pub fn postgres_url() -> String {
    std::env::var("LIFEHEALTH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_TEST_POSTGRES_URL.to_owned())
}

/// A directory removed when the returned guard drops.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("lifehealth-test-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"))
}

/// A new, empty SQLite database in a temporary directory (kept alive by the returned guard).
pub async fn sqlite() -> (Db, tempfile::TempDir) {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let db = Db::connect(&url, &DbOptions::default())
        .await
        .unwrap_or_else(|e| panic!("cannot open test SQLite database: {e}"));
    (db, dir)
}

/// A new, empty schema on the test PostgreSQL server, and a handle whose connections use it.
pub async fn postgres() -> Db {
    let base = postgres_url();
    let admin = Db::connect(
        &base,
        &DbOptions {
            max_connections: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| {
        panic!(
            "PostgreSQL for tests is not reachable at {base} ({e}). Start it (the test \
                 command .ci/run does) or set LIFEHEALTH_TEST_POSTGRES_URL."
        )
    });
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let schema = format!(
        "t_{now}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    drop_stale_schemas(&admin, now).await;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(admin.pool())
        .await
        .unwrap_or_else(|e| panic!("cannot create test schema {schema}: {e}"));
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Db::connect(
        &url,
        &DbOptions {
            max_connections: 4,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("cannot connect to test schema {schema}: {e}"))
}

async fn drop_stale_schemas(admin: &Db, now: u64) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::TEXT FROM pg_namespace WHERE nspname LIKE 't\\_%'")
            .fetch_all(admin.pool())
            .await
            .unwrap_or_default();
    for name in names {
        let created = name.split('_').nth(1).and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|t| t + STALE_SCHEMA_SECONDS < now) {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .execute(admin.pool())
                .await;
        }
    }
}

/// One fresh database per backend: SQLite first, then PostgreSQL.
pub struct TestDatabases {
    pub sqlite: Db,
    pub postgres: Db,
    _dir: tempfile::TempDir,
}

impl TestDatabases {
    pub async fn new() -> Self {
        let (sqlite, dir) = sqlite().await;
        let postgres = postgres().await;
        Self {
            sqlite,
            postgres,
            _dir: dir,
        }
    }

    pub fn all(&self) -> [&Db; 2] {
        [&self.sqlite, &self.postgres]
    }
}
