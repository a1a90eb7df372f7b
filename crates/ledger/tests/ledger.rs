//! The ledger against real SQLite and PostgreSQL: appends, proofs, restart, and tampering
//! with the database directly.

use ed25519_dalek::SigningKey;
use ledger::merkle::{verify_consistency, verify_inclusion};
use ledger::{AuditEvent, Ledger, PurposeOfUse, Tamper, verify};
use store::sqlx;
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

async fn filled(db: &store::Db, n: u64) -> Ledger {
    db.migrate(&[ledger::migrations()]).await.expect("migrate");
    let ledger = Ledger::open(db.clone(), key()).await.expect("open");
    let mut tasks = Vec::new();
    for i in 0..n {
        let l = ledger.clone();
        tasks.push(tokio::spawn(async move { l.record(event(i)).await }));
    }
    for t in tasks {
        t.await.expect("join").expect("append");
    }
    ledger
}

#[tokio::test]
async fn appends_are_durable_provable_and_survive_a_restart() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = filled(db, 300).await;
        let head = ledger.latest_tree_head();
        assert_eq!(head.tree_size, 300);
        assert!(ledger::verify_tree_head(&head, &ledger.public_key()));

        for seq in [0, 1, 150, 299] {
            let proof = ledger.inclusion_proof(seq, 300).expect("proof");
            assert!(verify_inclusion(seq, 300, &proof.leaf_hash, &proof.audit_path, &head.root_hash));
            let entry = ledger.entry(seq).await.expect("read").expect("exists");
            assert_eq!(entry.data.seq, seq);
            assert_eq!(entry.leaf_hash, proof.leaf_hash);
        }
        let old_root = ledger.root_at(120).expect("root at 120");
        let c = ledger.consistency_proof(120, 300).expect("consistency");
        assert!(verify_consistency(120, 300, &old_root, &head.root_hash, &c.consistency_path));
        assert!(ledger.inclusion_proof(300, 300).is_err());
        assert!(ledger.consistency_proof(0, 10).is_err());
        assert!(ledger.consistency_proof(10, 301).is_err());

        let about = ledger.entries_for_subject("resident", "resident-3", 100).await.expect("query");
        assert!(!about.is_empty());
        assert!(about.iter().all(|e| e.data.event.subject_id == "resident-3"));

        drop(ledger);
        let reopened = Ledger::open(db.clone(), key()).await.expect("reopen");
        assert_eq!(reopened.latest_tree_head(), head);
        let receipt = reopened.record(event(300)).await.expect("append after restart");
        assert_eq!(receipt.seq, 300);
        let report = verify(db, &reopened.public_key()).await.expect("verify");
        assert!(report.is_intact(), "{:?}", report.findings);
        assert_eq!(report.entries, 301);
    }
}

#[tokio::test]
async fn verify_names_edited_deleted_and_reordered_entries() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = filled(db, 200).await;
        let public = ledger.public_key();
        drop(ledger);

        // Edit one entry's data.
        sqlx::query("UPDATE ledger_entries SET data = REPLACE(data, 'resident.read', 'resident.write') WHERE seq = 17")
            .execute(db.pool())
            .await
            .expect("edit");
        let report = verify(db, &public).await.expect("verify");
        assert!(report.findings.contains(&Tamper::Edited { seq: 17 }), "{:?}", report.findings);

        // Delete a middle row.
        sqlx::query("DELETE FROM ledger_entries WHERE seq = 41").execute(db.pool()).await.expect("delete");
        let report = verify(db, &public).await.expect("verify");
        assert!(report.findings.contains(&Tamper::Missing { seq: 41 }), "{:?}", report.findings);

        // Swap the data of two rows (and their hashes, so each row is self-consistent).
        let a: (String, String) = sqlx::query_as("SELECT data, leaf_hash FROM ledger_entries WHERE seq = 60").fetch_one(db.pool()).await.expect("a");
        let b: (String, String) = sqlx::query_as("SELECT data, leaf_hash FROM ledger_entries WHERE seq = 61").fetch_one(db.pool()).await.expect("b");
        for (seq, (data, hash)) in [(60_i64, &b), (61, &a)] {
            sqlx::query("UPDATE ledger_entries SET data = $1, leaf_hash = $2 WHERE seq = $3")
                .bind(data).bind(hash).bind(seq).execute(db.pool()).await.expect("swap");
        }
        let report = verify(db, &public).await.expect("verify");
        assert!(report.findings.contains(&Tamper::Reordered { seq: 60, claims: 61 }), "{:?}", report.findings);
        assert!(report.findings.contains(&Tamper::Reordered { seq: 61, claims: 60 }), "{:?}", report.findings);
    }
}

#[tokio::test]
async fn a_consistent_rewrite_is_caught_by_the_signed_tree_heads() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let ledger = filled(db, 50).await;
        let public = ledger.public_key();
        drop(ledger);
        // Rewrite entry 9 and its leaf hash so that the row checks out on its own.
        let data: String = sqlx::query_scalar("SELECT data FROM ledger_entries WHERE seq = 9").fetch_one(db.pool()).await.expect("read");
        let forged = data.replace("CAREMGT", "TREAT");
        let forged_hash = hex::encode(ledger::merkle::leaf_hash(forged.as_bytes()));
        sqlx::query("UPDATE ledger_entries SET data = $1, leaf_hash = $2, purpose = 'TREAT' WHERE seq = 9")
            .bind(&forged).bind(&forged_hash).execute(db.pool()).await.expect("forge");
        let report = verify(db, &public).await.expect("verify");
        assert!(!report.is_intact());
        assert!(
            report.findings.iter().any(|f| matches!(f, Tamper::RootMismatch { from, to, .. } if *from <= 9 && 9 < *to)),
            "{:?}",
            report.findings
        );
        // A tree head signed by someone else is refused.
        let other = SigningKey::from_bytes(&[4u8; 32]).verifying_key();
        let report = verify(db, &other).await.expect("verify");
        assert!(report.findings.iter().any(|f| matches!(f, Tamper::BadSignature { .. })));
        // A restart refuses nothing but verify keeps naming the forgery.
        assert!(Ledger::open(db.clone(), key()).await.is_ok());
    }
}
