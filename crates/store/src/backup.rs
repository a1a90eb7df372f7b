//! Online backup of the embedded SQLite database. PostgreSQL is backed up with its own tools
//! (`pg_dump`/`pg_restore`, see docs/operations.md).

use std::path::Path;

use thiserror::Error;

use crate::{Backend, Db};

#[derive(Debug, Error)]
pub enum BackupError {
    #[error(
        "`lifehealth backup` copies the embedded SQLite database; for PostgreSQL use pg_dump as described in docs/operations.md"
    )]
    NotSqlite,
    #[error(
        "the backup file {0} already exists; choose a new name so that no backup is overwritten"
    )]
    TargetExists(String),
    #[error("the backup file {0} does not exist")]
    SourceMissing(String),
    #[error("the file {path} is not a sound SQLite database: {detail}")]
    Corrupt { path: String, detail: String },
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Writes a consistent snapshot of the live database to `target` while it keeps serving
/// (`VACUUM INTO` reads one transaction's snapshot and writes a compact copy).
pub async fn backup_sqlite(db: &Db, target: &Path) -> Result<(), BackupError> {
    if db.backend() != Backend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    if target.exists() {
        return Err(BackupError::TargetExists(target.display().to_string()));
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    sqlx::query("VACUUM INTO $1")
        .bind(target.display().to_string())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Checks `source` and copies it over the database file at `db_path`. The platform must be
/// stopped: restoring under a running server would pull the file from under its connections.
pub async fn restore_sqlite(source: &Path, db_path: &Path) -> Result<(), BackupError> {
    if !source.exists() {
        return Err(BackupError::SourceMissing(source.display().to_string()));
    }
    // Check a staging copy, not the backup itself: opening a database may write to it.
    let staging = db_path.with_extension("restoring");
    std::fs::copy(source, &staging)?;
    if let Err(detail) = integrity_check(&staging).await {
        let _ = std::fs::remove_file(&staging);
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", staging.display()));
        }
        return Err(BackupError::Corrupt {
            path: source.display().to_string(),
            detail,
        });
    }
    // Old WAL and shared-memory files belong to the replaced database and must not be replayed.
    for suffix in ["-wal", "-shm"] {
        let side = format!("{}{suffix}", db_path.display());
        match std::fs::remove_file(&side) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    std::fs::rename(&staging, db_path)?;
    Ok(())
}

async fn integrity_check(path: &Path) -> Result<(), String> {
    let options = crate::DbOptions {
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(2),
    };
    let db = Db::connect(&format!("sqlite://{}", path.display()), &options)
        .await
        .map_err(|e| e.to_string())?;
    let verdict: Result<String, _> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(db.pool())
        .await;
    // Fold the WAL back into the file so the renamed copy is complete on its own.
    let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(db.pool())
        .await;
    db.close().await;
    match verdict {
        Ok(v) if v == "ok" => Ok(()),
        Ok(v) => Err(v),
        Err(e) => Err(e.to_string()),
    }
}
