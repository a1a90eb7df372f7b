//! Versioned, append-only migrations. Each component (access, ledger, health, ...) owns a
//! [`MigrationSet`]; the binary hands all sets to [`Db::migrate`] at start. A capability adds its
//! tables by adding a set, without touching this crate.

use sha2::{Digest, Sha256};
use sqlx::{Acquire, Row};

use crate::{Backend, Db, StoreError};

/// One schema change, with its SQL for each backend (the same text when it is portable).
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

impl Migration {
    /// A migration whose SQL runs unchanged on both backends.
    pub const fn portable(version: i64, name: &'static str, sql: &'static str) -> Self {
        Self {
            version,
            name,
            sqlite: sql,
            postgres: sql,
        }
    }

    pub fn sql_for(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

/// The ordered migrations of one component.
#[derive(Debug, Clone, Copy)]
pub struct MigrationSet {
    pub component: &'static str,
    pub migrations: &'static [Migration],
}

/// A migration this run applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub component: String,
    pub version: i64,
    pub name: String,
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (component, version)
)";

/// Arbitrary constant: serialises concurrent `migrate` runs against one PostgreSQL database.
const PG_ADVISORY_LOCK: i64 = 0x6c69_6665_6865_616c;

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Db {
    /// Applies every pending migration of `sets`, in order, each in its own transaction.
    /// Refuses to start if an applied migration was edited or is unknown to this binary.
    pub async fn migrate(
        &self,
        sets: &[MigrationSet],
    ) -> Result<Vec<AppliedMigration>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(PG_ADVISORY_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        let result = self.migrate_on(&mut conn, sets).await;
        if self.backend() == Backend::Postgres {
            // Unlock even when a migration failed; the lock also ends with the session.
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(PG_ADVISORY_LOCK)
                .execute(&mut *conn)
                .await;
        }
        result
    }

    async fn migrate_on(
        &self,
        conn: &mut sqlx::AnyConnection,
        sets: &[MigrationSet],
    ) -> Result<Vec<AppliedMigration>, StoreError> {
        sqlx::query(CREATE_TABLE).execute(&mut *conn).await?;
        let mut applied_now = Vec::new();
        for set in sets {
            let rows = sqlx::query(
                "SELECT version, checksum FROM schema_migrations WHERE component = $1 ORDER BY version",
            )
            .bind(set.component)
            .fetch_all(&mut *conn)
            .await?;
            let mut applied = Vec::with_capacity(rows.len());
            for row in rows {
                applied.push((row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?));
            }
            for (version, sum) in &applied {
                let Some(known) = set.migrations.iter().find(|m| m.version == *version) else {
                    return Err(StoreError::MigrationUnknown {
                        component: set.component.to_owned(),
                        version: *version,
                    });
                };
                let embedded = checksum(known.sql_for(self.backend()));
                if &embedded != sum {
                    return Err(StoreError::MigrationChanged {
                        component: set.component.to_owned(),
                        version: *version,
                        applied: sum.clone(),
                        embedded,
                    });
                }
            }
            for migration in set.migrations {
                if applied.iter().any(|(v, _)| *v == migration.version) {
                    continue;
                }
                let sql = migration.sql_for(self.backend());
                let fail = |source| StoreError::Migration {
                    component: set.component.to_owned(),
                    version: migration.version,
                    name: migration.name.to_owned(),
                    source,
                };
                let mut tx = conn.begin().await?;
                sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(fail)?;
                sqlx::query(
                    "INSERT INTO schema_migrations (component, version, name, checksum, applied_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(set.component)
                .bind(migration.version)
                .bind(migration.name)
                .bind(checksum(sql))
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                tracing::info!(
                    component = set.component,
                    version = migration.version,
                    name = migration.name,
                    "applied migration"
                );
                applied_now.push(AppliedMigration {
                    component: set.component.to_owned(),
                    version: migration.version,
                    name: migration.name.to_owned(),
                });
            }
        }
        Ok(applied_now)
    }
}
