//! The ledger against real SQLite and PostgreSQL: appends, proofs, restart, failure, and
//! tampering with the database directly in SQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ed25519_dalek::SigningKey;
use ledger::merkle::leaf_hash;
use ledger::{
    AuditEvent, Ledger, LedgerError, LedgerOptions, PurposeOfUse, Receipt, Tamper, verify,
    verify_against,
};
use store::Db;
use store::sqlx::{self, Row};
use store::testing::TestDatabases;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[3u8; 32])
}

fn event(i: u64) -> AuditEvent {
    AuditEvent {
        actor: format!("user-{}", i % 7),
        organisation: Some("org-1".into()),
        action: "resident.read".into(),
        subject_type: "resident".into(),
        subject_id: format!("resident-{}", i % 11),
        purpose: PurposeOfUse::CareManagement,
        at: 1_700_000_000_000 + i as i64,
        data_hash: ledger::data_hash(&i.to_be_bytes()),
    }
}

/// Records events `range` from `tasks` concurrent tasks (so batches hold many events).
async fn append_concurrently(
    ledger: &Ledger,
    range: std::ops::Range<u64>,
    tasks: u64,
) -> Vec<Receipt> {
    let mut handles = Vec::new();
    for t in 0..tasks {
        let ledger = ledger.clone();
        let range = range.clone();
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in range.filter(|i| i % tasks == t) {
                out.push(ledger.record(event(i)).await.expect("record"));
            }
            out
        }));
    }
    let mut receipts = Vec::new();
    for h in handles {
        receipts.extend(h.await.expect("join"));
    }
    receipts.sort_by_key(|r| r.seq);
    receipts
}

/// Records events one after the other: one batch, hence one tree head, per event.
async fn append_sequentially(ledger: &Ledger, range: std::ops::Range<u64>) {
    for i in range {
        ledger.record(event(i)).await.expect("record");
    }
}

async fn data_of(db: &Db, seq: i64) -> String {
    sqlx::query("SELECT data FROM ledger_entries WHERE seq = $1")
        .bind(seq)
        .fetch_one(db.pool())
        .await
        .expect("row")
        .get(0)
}

async fn exec(db: &Db, sql: &str) {
    sqlx::query(sql).execute(db.pool()).await.expect(sql);
}

async fn findings(db: &Db) -> Vec<Tamper> {
    let report = verify(db, &key().verifying_key()).await.expect("verify");
    report.findings
}

fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

#[test]
fn ledger_is_send_sync_and_clone() {
    assert_send_sync_clone::<Ledger>();
}

#[tokio::test]
async fn records_are_durable_provable_and_survive_a_restart() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        let empty = ledger.latest_tree_head();
        assert_eq!(empty.tree_size, 0);
        assert!(empty.verify(&ledger.public_key()));

        let receipts = append_concurrently(&ledger, 0..500, 50).await;
        let seqs: Vec<u64> = receipts.iter().map(|r| r.seq).collect();
        assert_eq!(
            seqs,
            (0..500).collect::<Vec<_>>(),
            "consecutive, unique seqs"
        );
        let head = ledger.latest_tree_head();
        assert_eq!(head.tree_size, 500);
        assert!(head.verify(&ledger.public_key()));
        let batches: BTreeSet<u64> = receipts.iter().map(|r| r.tree_size).collect();
        assert!(batches.len() < 500, "concurrent appends share commits");

        for receipt in &receipts {
            // Each receipt names a signed head that contains it ...
            let at = ledger
                .tree_head(receipt.tree_size)
                .await
                .expect("read")
                .expect("a head per batch");
            assert!(at.verify(&ledger.public_key()));
            let proof = ledger
                .inclusion_proof(receipt.seq, receipt.tree_size)
                .expect("proof");
            assert_eq!(proof.leaf_hash, receipt.leaf_hash);
            assert!(proof.verify(&at.root_hash));
            // ... which the latest head extends.
            let consistency = ledger
                .consistency_proof(receipt.tree_size, 500)
                .expect("proof");
            assert!(consistency.verify(&at.root_hash, &head.root_hash));
            let proof = ledger.inclusion_proof(receipt.seq, 500).expect("proof");
            assert!(proof.verify(&head.root_hash));
            assert!(!proof.verify(&at.root_hash) || receipt.tree_size == 500);
        }

        let entry = ledger.entry(123).await.expect("read").expect("exists");
        assert_eq!(entry.seq, 123);
        assert_eq!(entry.event, event(123));
        assert_eq!(entry.leaf_hash, receipts[123].leaf_hash);
        assert_eq!(leaf_hash(entry.data.as_bytes()), entry.leaf_hash);
        assert!(ledger.entry(500).await.expect("read").is_none());
        assert!(ledger.entry(u64::MAX).await.expect("read").is_none());

        let about = ledger
            .entries_for_subject("resident", "resident-3", 1_000)
            .await
            .expect("query");
        let expected: Vec<u64> = (0..500).rev().filter(|i| i % 11 == 3).collect();
        assert_eq!(about.iter().map(|e| e.seq).collect::<Vec<_>>(), expected);
        let limited = ledger
            .entries_for_subject("resident", "resident-3", 2)
            .await
            .expect("query");
        assert_eq!(limited.len(), 2);
        assert_eq!(limited[0].seq, expected[0]);
        let by = ledger.entries_by_actor("user-2", 5).await.expect("query");
        assert!(by.iter().all(|e| e.event.actor == "user-2") && by.len() == 5);
        assert_eq!(ledger.recent(3).await.expect("query")[0].seq, 499);

        // Bad arguments are typed errors.
        assert!(matches!(
            ledger.inclusion_proof(500, 500),
            Err(LedgerError::NoSuchEntry {
                seq: 500,
                tree_size: 500
            })
        ));
        assert!(matches!(
            ledger.inclusion_proof(0, 501),
            Err(LedgerError::TreeSizeTooLarge {
                requested: 501,
                latest: 500
            })
        ));
        assert!(matches!(
            ledger.consistency_proof(5, 4),
            Err(LedgerError::FirstAfterSecond {
                first: 5,
                second: 4
            })
        ));
        assert!(matches!(
            ledger.consistency_proof(1, 501),
            Err(LedgerError::TreeSizeTooLarge { .. })
        ));
        let message = ledger.inclusion_proof(0, 501).unwrap_err().to_string();
        assert!(
            message.contains("501") && message.contains("500"),
            "{message}"
        );

        // JSON for clients: hashes in hex, signatures in base64.
        let json = serde_json::to_value(ledger.inclusion_proof(7, 500).expect("proof")).unwrap();
        assert_eq!(json["leaf_hash"], receipts[7].leaf_hash.to_hex());
        assert_eq!(json["audit_path"].as_array().map(|a| a.len()), Some(9));
        let json = serde_json::to_value(&head).unwrap();
        assert_eq!(json["signature"].as_str().map(str::len), Some(88));

        let report = ledger.verify().await.expect("verify");
        assert!(report.is_ok(), "{report}");

        // Restart: the same tree, and appends continue after it.
        drop(ledger);
        let ledger = Ledger::open(db.clone(), key()).await.expect("reopen");
        assert_eq!(ledger.latest_tree_head(), head);
        let next = ledger.record(event(500)).await.expect("record");
        assert_eq!(next.seq, 500);
        assert_eq!(next.tree_size, 501);
        let c = ledger.consistency_proof(500, 501).expect("proof");
        assert!(c.verify(&head.root_hash, &ledger.latest_tree_head().root_hash));

        // Another key cannot take over the log.
        let other = SigningKey::from_bytes(&[4u8; 32]);
        assert!(matches!(
            Ledger::open(db.clone(), other).await,
            Err(LedgerError::Corrupt(_))
        ));
    }
}

#[tokio::test]
async fn events_that_must_not_be_logged_are_refused() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        let mut bad = event(1);
        bad.data_hash = "王小明 13800138000".into();
        assert!(matches!(
            ledger.record(bad).await,
            Err(LedgerError::InvalidEvent(_))
        ));
        assert_eq!(ledger.tree_size(), 0);
        assert!(findings(db).await.is_empty());
    }
}

#[tokio::test]
async fn an_untampered_log_of_thousands_verifies() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        append_concurrently(&ledger, 0..3_000, 64).await;
        append_sequentially(&ledger, 3_000..3_050).await;
        let head = ledger.latest_tree_head();
        let report = verify(db, &ledger.public_key()).await.expect("verify");
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.entries_checked, 3_050);
        assert_eq!(report.tree_size, 3_050);
        assert_eq!(report.root_hash, Some(head.root_hash));
        assert!(report.tree_heads_checked > 50);
        assert!(report.to_string().starts_with("ledger intact"));
        let report = ledger.verify().await.expect("verify");
        assert!(report.is_ok(), "{report}");
        // A head kept by an outside party agrees.
        let report = verify_against(db, &ledger.public_key(), &[head])
            .await
            .expect("verify");
        assert!(report.is_ok(), "{report}");
    }
}

#[tokio::test]
async fn edited_data_is_named() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        append_concurrently(&ledger, 0..200, 16).await;
        let data = data_of(db, 17).await;
        let edited = data.replace("CAREMGT", "TREAT");
        assert_ne!(data, edited);
        sqlx::query("UPDATE ledger_entries SET data = $1 WHERE seq = 17")
            .bind(edited)
            .execute(db.pool())
            .await
            .expect("tamper");
        let found = findings(db).await;
        assert_eq!(found, vec![Tamper::Edited { seq: 17 }], "{found:?}");
        assert_eq!(
            found[0].to_string(),
            "entry 17 was edited: its data no longer matches its leaf hash"
        );
        // Reading the entry refuses to serve the edited data.
        assert!(matches!(
            ledger.entry(17).await,
            Err(LedgerError::Corrupt(_))
        ));
    }
}

/// Rewrites entry `seq` so that data, leaf hash and columns agree: only the signed roots (and
/// the running ledger's memory) can tell.
async fn rewrite_consistently(db: &Db, seq: i64) {
    let data = data_of(db, seq).await;
    let mut value: serde_json::Value = serde_json::from_str(&data).expect("json");
    value["actor"] = "intruder".into();
    // serde_json's map is sorted, so this is canonical JSON like the original.
    let forged = serde_json::to_string(&value).expect("json");
    let leaf = leaf_hash(forged.as_bytes());
    sqlx::query("UPDATE ledger_entries SET data = $1, leaf_hash = $2, actor = $3 WHERE seq = $4")
        .bind(forged)
        .bind(leaf.as_bytes().to_vec())
        .bind("intruder")
        .bind(seq)
        .execute(db.pool())
        .await
        .expect("tamper");
}

#[tokio::test]
async fn a_row_rewritten_with_its_leaf_hash_is_named() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        // One event per batch: a head per entry, so the signed roots pin the exact entry.
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        append_sequentially(&ledger, 0..20).await;
        rewrite_consistently(db, 7).await;
        let found = findings(db).await;
        assert_eq!(
            found,
            vec![Tamper::RootMismatch {
                tree_size: 8,
                since: 7,
                later_heads: 12
            }],
            "{found:?}"
        );
        assert!(
            found[0].to_string().starts_with("entry 7 was rewritten"),
            "{}",
            found[0]
        );
        // The running ledger names it from the leaf hashes it committed.
        let report = ledger.verify().await.expect("verify");
        assert!(
            report.findings.contains(&Tamper::LeafReplaced { seq: 7 }),
            "{report}"
        );
        // And it will not reopen on top of it.
        drop(ledger);
        assert!(matches!(
            Ledger::open(db.clone(), key()).await,
            Err(LedgerError::Corrupt(_))
        ));
    }
}

#[tokio::test]
async fn a_rewrite_inside_a_batch_is_narrowed_to_the_batch() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        let receipts = append_concurrently(&ledger, 0..400, 40).await;
        append_sequentially(&ledger, 400..405).await;
        rewrite_consistently(db, 150).await;
        let found = findings(db).await;
        let [
            Tamper::RootMismatch {
                tree_size, since, ..
            },
        ] = found.as_slice()
        else {
            panic!("expected one root mismatch, got {found:?}");
        };
        // The range is exactly the batch that held entry 150.
        let batch_end = receipts[150].tree_size;
        let batch_start = receipts
            .iter()
            .filter(|r| r.tree_size < batch_end)
            .map(|r| r.tree_size)
            .max()
            .unwrap_or(0);
        assert_eq!((*since, *tree_size), (batch_start, batch_end));
        assert!(*since <= 150 && 150 < *tree_size);
        let report = ledger.verify().await.expect("verify");
        assert!(
            report.findings.contains(&Tamper::LeafReplaced { seq: 150 }),
            "{report}"
        );
    }
}

#[tokio::test]
async fn a_deleted_row_is_named() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        append_concurrently(&ledger, 0..100, 10).await;
        drop(ledger);
        exec(db, "DELETE FROM ledger_entries WHERE seq = 41").await;
        let found = findings(db).await;
        assert_eq!(
            found,
            vec![Tamper::Missing {
                first: 41,
                last: 41
            }],
            "{found:?}"
        );
        assert_eq!(found[0].to_string(), "entry 41 is missing (deleted)");
        assert!(matches!(
            Ledger::open(db.clone(), key()).await,
            Err(LedgerError::Corrupt(m)) if m.contains("entry 41 is missing")
        ));
        exec(db, "DELETE FROM ledger_entries WHERE seq = 0").await;
        let found = findings(db).await;
        assert_eq!(
            found,
            vec![
                Tamper::Missing { first: 0, last: 0 },
                Tamper::Missing {
                    first: 41,
                    last: 41
                }
            ]
        );
    }
}

#[tokio::test]
async fn swapped_rows_are_named() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        append_concurrently(&ledger, 0..60, 6).await;
        let (five, nine) = (data_of(db, 5).await, data_of(db, 9).await);
        for (seq, data) in [(5i64, nine), (9, five)] {
            sqlx::query("UPDATE ledger_entries SET data = $1 WHERE seq = $2")
                .bind(data)
                .bind(seq)
                .execute(db.pool())
                .await
                .expect("tamper");
        }
        let found = findings(db).await;
        assert_eq!(
            found,
            vec![
                Tamper::Moved { seq: 5, holds: 9 },
                Tamper::Moved { seq: 9, holds: 5 }
            ],
            "{found:?}"
        );
        // A leaf hash replaced by another entry's: the data no longer matches, nor does the root.
        exec(db, "UPDATE ledger_entries SET leaf_hash = (SELECT leaf_hash FROM ledger_entries WHERE seq = 9) WHERE seq = 20").await;
        let found = findings(db).await;
        assert!(found.contains(&Tamper::Edited { seq: 20 }), "{found:?}");
        assert!(
            found
                .iter()
                .any(|t| matches!(t, Tamper::RootMismatch { .. })),
            "{found:?}"
        );
    }
}

#[tokio::test]
async fn deleting_the_newest_entries_is_named_unless_their_heads_go_too() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        append_concurrently(&ledger, 0..100, 10).await;
        let kept = ledger.latest_tree_head(); // what an outside auditor fetched
        append_sequentially(&ledger, 100..103).await;
        let newest = ledger.latest_tree_head();
        assert_eq!(newest.tree_size, 103);
        drop(ledger);

        // The newest head's entry deleted, the head left: the head proves it existed.
        exec(db, "DELETE FROM ledger_entries WHERE seq = 102").await;
        let found = findings(db).await;
        assert_eq!(
            found,
            vec![Tamper::Missing {
                first: 102,
                last: 102
            }],
            "{found:?}"
        );

        // Entries deleted together with their heads: the rest is a valid, smaller log ...
        exec(db, "DELETE FROM ledger_entries WHERE seq >= 90").await;
        exec(db, "DELETE FROM ledger_tree_heads WHERE tree_size > 90").await;
        let report = verify(db, &key().verifying_key()).await.expect("verify");
        if report.is_ok() {
            // ... unless no head sat exactly at 90, in which case the cut shows.
            assert_eq!(report.tree_size, 90);
        } else {
            assert!(
                matches!(report.first(), Some(Tamper::Unsigned { .. })),
                "{report}"
            );
        }
        // ... and a kept head exposes the deletion.
        let report = verify_against(db, &key().verifying_key(), std::slice::from_ref(&kept))
            .await
            .expect("verify");
        assert!(
            report.findings.contains(&Tamper::Missing {
                first: 90,
                last: kept.tree_size - 1
            }),
            "{report}"
        );
    }
}

#[tokio::test]
async fn altered_columns_heads_and_inserted_rows_are_named() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        append_sequentially(&ledger, 0..30).await;
        drop(ledger);

        // Someone hides who read the record by editing only the query column.
        exec(
            db,
            "UPDATE ledger_entries SET actor = 'someone-else', purpose = 'TREAT' WHERE seq = 8",
        )
        .await;
        let found = findings(db).await;
        assert_eq!(
            found,
            vec![Tamper::ColumnsAltered {
                seq: 8,
                columns: vec!["actor".into(), "purpose".into()]
            }]
        );
        exec(
            db,
            "UPDATE ledger_entries SET actor = 'user-1', purpose = 'CAREMGT' WHERE seq = 8",
        )
        .await;
        assert!(findings(db).await.is_empty());

        // A tree head altered.
        exec(
            db,
            "UPDATE ledger_tree_heads SET timestamp = timestamp + 1 WHERE tree_size = 12",
        )
        .await;
        assert_eq!(
            findings(db).await,
            vec![Tamper::BadSignature { tree_size: 12 }]
        );
        exec(
            db,
            "UPDATE ledger_tree_heads SET timestamp = timestamp - 1 WHERE tree_size = 12",
        )
        .await;

        // A row appended outside the ledger (a copy of entry 29 with seq 30).
        exec(
            db,
            "INSERT INTO ledger_entries (seq, leaf_hash, data, appended_at, actor, organisation, \
             action, subject_type, subject_id, purpose) SELECT 30, leaf_hash, data, appended_at, \
             actor, organisation, action, subject_type, subject_id, purpose FROM ledger_entries \
             WHERE seq = 29",
        )
        .await;
        let found = findings(db).await;
        assert_eq!(
            found,
            vec![
                Tamper::Moved { seq: 30, holds: 29 },
                Tamper::Unsigned {
                    first: 30,
                    last: 30
                }
            ]
        );
    }
}

#[tokio::test]
async fn a_failed_commit_acknowledges_nothing_and_leaves_the_tree_unchanged() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open_with(
            db.clone(),
            key(),
            LedgerOptions {
                max_batch: 64,
                queue_capacity: 16,
            },
        )
        .await
        .expect("open");
        append_sequentially(&ledger, 0..10).await;
        let before = ledger.latest_tree_head();
        // A row squatting on the next seq makes the next batch's INSERT fail.
        exec(
            db,
            "INSERT INTO ledger_entries (seq, leaf_hash, data, appended_at) \
             SELECT 10, leaf_hash, data, appended_at FROM ledger_entries WHERE seq = 0",
        )
        .await;
        let mut handles = Vec::new();
        for i in 10..30 {
            let ledger = ledger.clone();
            handles.push(tokio::spawn(async move { ledger.record(event(i)).await }));
        }
        for h in handles {
            let result = h.await.expect("join");
            assert!(matches!(result, Err(LedgerError::Write(_))), "{result:?}");
        }
        assert_eq!(ledger.latest_tree_head(), before);
        assert_eq!(ledger.root(10).expect("root"), before.root_hash);
        assert!(ledger.inclusion_proof(10, 11).is_err());

        exec(db, "DELETE FROM ledger_entries WHERE seq = 10").await;
        let receipt = ledger.record(event(10)).await.expect("record");
        assert_eq!(receipt.seq, 10);
        let report = ledger.verify().await.expect("verify");
        assert!(report.is_ok(), "{report}");
        let c = ledger.consistency_proof(10, 11).expect("proof");
        assert!(c.verify(&before.root_hash, &ledger.latest_tree_head().root_hash));
    }
}

#[tokio::test]
async fn record_all_commits_events_in_order_and_refuses_a_bad_one_first() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = Ledger::open(db.clone(), key()).await.expect("open");
        let receipts = ledger
            .record_all((0..300).map(event).collect())
            .await
            .expect("recorded");
        let seqs: Vec<u64> = receipts.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (0..300).collect::<Vec<_>>());
        let mut bad = event(1);
        bad.data_hash = "not a hash".into();
        assert!(ledger.record_all(vec![event(2), bad]).await.is_err());
        assert_eq!(
            ledger.tree_size(),
            300,
            "nothing of a refused batch was recorded"
        );
        let entry = ledger.entry(299).await.expect("read").expect("entry");
        assert_eq!(entry.event, event(299));
    }
}

#[tokio::test]
async fn two_writers_of_one_database_take_turns_and_the_log_holds_together() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        // The platform and a command line run beside it: two ledgers, each with its own
        // in-memory tree, appending to the same tables.
        let platform = Ledger::open(db.clone(), key()).await.expect("open");
        append_sequentially(&platform, 0..5).await;
        let command_line = Ledger::open(db.clone(), key()).await.expect("open");
        append_sequentially(&command_line, 5..8).await;

        // The platform's tree is now behind the database: its next append collides on seq,
        // adopts the three entries and lands after them.
        let receipt = platform
            .record(event(8))
            .await
            .expect("record after the other");
        assert_eq!(receipt.seq, 8);
        assert_eq!(receipt.tree_size, 9);
        let receipt = command_line.record(event(9)).await.expect("and back again");
        assert_eq!(receipt.seq, 9);

        // Both at once: every event lands exactly once.
        let (a, b) = tokio::join!(
            append_concurrently(&platform, 10..60, 8),
            append_concurrently(&command_line, 60..110, 8)
        );
        let seqs: BTreeSet<u64> = a.iter().chain(&b).map(|r| r.seq).collect();
        assert_eq!(seqs, (10..110).collect::<BTreeSet<u64>>());

        let report = verify(db, &key().verifying_key()).await.expect("verify");
        assert!(report.is_ok(), "{report}");
        let reopened = Ledger::open(db.clone(), key()).await.expect("reopen");
        assert_eq!(reopened.tree_size(), 110);
        // Proofs of the adopting writer cover the other writer's entries too.
        let proof = platform.inclusion_proof(6, 9).expect("proof");
        assert!(proof.verify(&reopened.root(9).expect("root")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_opens_while_another_process_appends() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        // The platform appends without pause; the command line opens the same ledger again
        // and again meanwhile. Every open reads entries and the latest head in separate
        // statements, so batches commit between them.
        let platform = Ledger::open(db.clone(), key()).await.expect("open");
        append_sequentially(&platform, 0..100).await;
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (platform, stop) = (platform.clone(), stop.clone());
            tokio::spawn(async move {
                let mut next = 100;
                while !stop.load(Ordering::Relaxed) {
                    platform.record(event(next)).await.expect("record");
                    next += 1;
                }
                next
            })
        };
        for attempt in 0..40 {
            if let Err(e) = Ledger::open(db.clone(), key()).await {
                panic!("open {attempt} beside a writer failed: {e}");
            }
        }
        stop.store(true, Ordering::Relaxed);
        let written = writer.await.expect("the writer task");
        assert!(
            written > 100,
            "the writer appended while the ledger was opened"
        );
        let reopened = Ledger::open(db.clone(), key()).await.expect("reopen");
        assert_eq!(reopened.tree_size(), written);
        let report = verify(db, &key().verifying_key()).await.expect("verify");
        assert!(report.is_ok(), "{report}");
    }
}
