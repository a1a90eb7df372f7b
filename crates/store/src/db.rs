use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::StoreError;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// A cheap-to-clone handle to the platform's database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    /// SQLite: one connection through which the busy write paths go, so that writers queue
    /// here rather than meet SQLite's lock and sleep in its busy handler (milliseconds each
    /// time). PostgreSQL writes concurrently and uses `pool`.
    writer: Option<AnyPool>,
    /// SQLite: the task that checkpoints the WAL beside the writer; stops with the last handle.
    checkpointer: Option<Arc<Checkpointer>>,
    backend: Backend,
    url: String,
}

/// Copies the WAL back into the database file every [`CHECKPOINT_EVERY`] on a reading
/// connection. SQLite's automatic checkpoint runs inside the COMMIT that crosses its
/// threshold, on the one writer: measured at a seventh of the writer's time under ingest,
/// while the other core idled. A PASSIVE checkpoint never blocks the writer or readers.
///
/// Under steady writes the log never empties, so it is never reused and grows (hundreds of
/// MB in a minute of ingest), and every read searches a longer WAL index. Past
/// [`WAL_RESTART_FRAMES`] the checkpointer takes the writer's connection between two
/// commits and restarts the log: the passive passes have copied nearly everything already.
#[derive(Debug)]
struct Checkpointer(tokio::task::JoinHandle<()>);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// 64 MiB of 4 KiB pages.
const WAL_RESTART_FRAMES: i64 = 16_384;

fn start_checkpointer(readers: AnyPool, writer: AnyPool) -> Checkpointer {
    Checkpointer(tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if readers.is_closed() || writer.is_closed() {
                return;
            }
            if let Err(e) = checkpoint(&readers, &writer).await {
                if readers.is_closed() || writer.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "WAL checkpoint failed; trying again");
            }
        }
    }))
}

async fn checkpoint(readers: &AnyPool, writer: &AnyPool) -> Result<(), sqlx::Error> {
    use sqlx::Row as _;
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(readers)
        .await?;
    let log_frames: i64 = row.try_get(1)?;
    if log_frames > WAL_RESTART_FRAMES {
        sqlx::query("PRAGMA wal_checkpoint(RESTART)")
            .execute(writer)
            .await?;
    }
    Ok(())
}

/// SQLite settings applied on every connection. WAL lets readers run beside the one writer;
/// `synchronous=FULL` makes a commit durable before it is acknowledged, so acknowledged data
/// survives a power cut, not only a process crash (writers batch to keep fsyncs few).
/// A 64 MiB page cache per connection (SQLite's default is 2 MiB, allocated as pages are used)
/// keeps the search indexes' hot pages in memory: with the default, a batch of writes whose
/// keys fall all over an index re-reads its pages from the OS on every batch. No automatic
/// checkpoint: see [`Checkpointer`].
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
     PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536; \
     PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=0;";

/// The writer's settings: those of every connection, with a 256 MiB page cache. The writer
/// touches every index a commit changes; once the indexes outgrow its cache, a batch of keys
/// spread over an index reads its pages back and spills dirty ones before the COMMIT.
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
     PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA cache_size=-262144; \
     PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=0;";

impl Db {
    /// Opens `url` (`sqlite://PATH` or `postgres://...`), creating a SQLite file if needed.
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let connect_url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let connect_options = AnyConnectOptions::from_str(&connect_url)
            .map_err(StoreError::Connect)?
            .log_statements(tracing::log::LevelFilter::Trace);
        let pool_of = |size: u32, pragmas: &'static str| {
            AnyPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(options.acquire_timeout)
                // A SQLite connection is a file handle in this process: it does not go stale
                // the way a network connection does, so no ping before each use.
                .test_before_acquire(backend == Backend::Postgres)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            conn.execute(pragmas).await?;
                        }
                        Ok(())
                    })
                })
                .connect_with(connect_options.clone())
        };
        let pool = pool_of(options.max_connections, SQLITE_PRAGMAS)
            .await
            .map_err(StoreError::Connect)?;
        let (writer, checkpointer) = match backend {
            Backend::Sqlite => {
                let writer = pool_of(1, SQLITE_WRITER_PRAGMAS)
                    .await
                    .map_err(StoreError::Connect)?;
                let checkpointer = start_checkpointer(pool.clone(), writer.clone());
                (Some(writer), Some(Arc::new(checkpointer)))
            }
            Backend::Postgres => (None, None),
        };
        Ok(Db {
            pool,
            writer,
            checkpointer,
            backend,
            url: url.to_owned(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for running queries: `sqlx::query("...").bind(x).fetch_one(db.pool())`.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for write transactions on busy paths (record commits, the ledger, the master
    /// index). On SQLite it has one connection: a caller must not wait for it while already
    /// holding it.
    pub fn writer(&self) -> &AnyPool {
        self.writer.as_ref().unwrap_or(&self.pool)
    }

    /// The URL the handle was opened with, with any password removed.
    pub fn display_url(&self) -> String {
        redact_password(&self.url)
    }

    /// The file path of a SQLite database, `None` for PostgreSQL or in-memory databases.
    pub fn sqlite_path(&self) -> Option<String> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        let rest = self
            .url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.0.abort();
        }
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::UnsupportedUrl {
            url: redact_password(url),
        })
    }
}

/// `postgres://user:secret@host/db` becomes `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://app:s3cret@db:5432/lh"),
            "postgres://app:***@db:5432/lh"
        );
        assert_eq!(
            redact_password("postgres://app@db/lh"),
            "postgres://app@db/lh"
        );
        assert_eq!(redact_password("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(matches!(
            backend_of("mysql://root@localhost/x"),
            Err(StoreError::UnsupportedUrl { .. })
        ));
        assert_eq!(backend_of("sqlite://x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(backend_of("postgresql://x").ok(), Some(Backend::Postgres));
    }
}
