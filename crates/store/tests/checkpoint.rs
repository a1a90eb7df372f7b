//! The SQLite write-ahead log is copied into the database file in the background, not by the
//! committing writer.

use std::time::{Duration, Instant};

use store::sqlx;
use store::{Db, DbOptions};

#[tokio::test]
async fn committed_pages_reach_the_database_file_without_the_writer_checkpointing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("wal.db");
    let db = Db::connect(
        &format!("sqlite://{}", path.display()),
        &DbOptions::default(),
    )
    .await
    .expect("open");
    let before = std::fs::metadata(&path).expect("file").len();
    let mut tx = db.writer().begin().await.expect("begin");
    sqlx::query("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&mut *tx)
        .await
        .expect("create");
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
         INSERT INTO blobs (id, body) SELECT i, hex(randomblob(500)) FROM n",
    )
    .execute(&mut *tx)
    .await
    .expect("insert");
    tx.commit().await.expect("commit");
    // The commit left its 2 MB in the WAL (automatic checkpoints are off)...
    let wal = std::fs::metadata(dir.path().join("wal.db-wal"))
        .expect("WAL file")
        .len();
    assert!(wal > 1_000_000, "the commit went to the WAL ({wal} bytes)");
    // ...and the background checkpoint copies it into the database file.
    let started = Instant::now();
    loop {
        let size = std::fs::metadata(&path).expect("file").len();
        if size > before + 1_000_000 {
            break;
        }
        assert!(
            // Checkpoints run every 500 ms; a minute leaves room for a loaded CI machine.
            started.elapsed() < Duration::from_secs(60),
            "the database file stayed at {size} bytes: nothing checkpointed the WAL"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    db.close().await;
}
