//! The record store on both backends: versions, history, optimistic locking, atomic batches,
//! encryption at rest and search index maintenance.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;

use records::{IndexRow, IndexValue, RecordStore, RecordsError, Write, WriteKind};
use serde_json::json;
use store::Db;
use store::sqlx::{self, Row};
use store::testing::TestDatabases;
use vault::Keyring;

async fn open(db: &Db) -> RecordStore {
    db.migrate(&[records::migrations()]).await.unwrap();
    RecordStore::open(db.clone(), Arc::new(Keyring::for_tests()))
        .await
        .unwrap()
}

fn patient(id: &str, family: &str) -> Write {
    Write {
        kind: WriteKind::Create,
        resource_type: "Patient".into(),
        id: id.into(),
        body: Some(json!({"resourceType": "Patient", "name": [{"family": family}]})),
        patient_id: Some(id.into()),
        index: vec![
            IndexRow {
                param: "Patient.family".into(),
                value: IndexValue::String(family.to_lowercase()),
            },
            IndexRow {
                param: "Patient.identifier".into(),
                value: IndexValue::Token {
                    system: Some("urn:oid:2.16.156.10011.1.3".into()),
                    code: "11010519491231002X".into(),
                },
            },
        ],
    }
}

fn observation(id: &str, patient: &str, code: &str, kind: WriteKind) -> Write {
    Write {
        kind,
        resource_type: "Observation".into(),
        id: id.into(),
        body: Some(json!({
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": format!("Patient/{patient}")}
        })),
        patient_id: Some(patient.into()),
        index: vec![
            IndexRow {
                param: "Observation.code".into(),
                value: IndexValue::Token {
                    system: Some("http://loinc.org".into()),
                    code: code.into(),
                },
            },
            IndexRow {
                param: "Observation.subject".into(),
                value: IndexValue::Reference {
                    target_type: Some("Patient".into()),
                    target_id: patient.into(),
                },
            },
            IndexRow {
                param: "Observation.date".into(),
                value: IndexValue::Date {
                    low: 1_700_000_000_000,
                    high: 1_700_000_001_000,
                },
            },
            IndexRow {
                param: "Observation.value-quantity".into(),
                value: IndexValue::Quantity {
                    system: Some("http://unitsofmeasure.org".into()),
                    code: Some("mm[Hg]".into()),
                    value: 135.0,
                },
            },
        ],
    }
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test]
async fn versions_history_and_deletion() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let store = open(db).await;
        let created = store
            .commit(vec![observation("o1", "p1", "8480-6", WriteKind::Create)])
            .await
            .unwrap();
        assert_eq!(created[0].version, 1);
        assert!(created[0].created);

        let read = store.read("Observation", "o1").await.unwrap();
        assert_eq!(read.version, 1);
        assert_eq!(read.body["id"], "o1");
        assert_eq!(read.body["meta"]["versionId"], "1");
        assert!(
            read.body["meta"]["lastUpdated"]
                .as_str()
                .unwrap()
                .ends_with('Z')
        );
        assert_eq!(read.patient_id.as_deref(), Some("p1"));

        let updated = store
            .commit(vec![observation(
                "o1",
                "p1",
                "8462-4",
                WriteKind::Update { if_match: Some(1) },
            )])
            .await
            .unwrap();
        assert_eq!(updated[0].version, 2);
        assert!(!updated[0].created);
        assert_eq!(
            store.vread("Observation", "o1", 1).await.unwrap().body["code"]["coding"][0]["code"],
            "8480-6"
        );
        assert_eq!(
            store.read("Observation", "o1").await.unwrap().body["code"]["coding"][0]["code"],
            "8462-4"
        );

        // The index follows the current version only.
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM fhir_idx_token WHERE code = '8480-6'"
            )
            .await,
            0
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM fhir_idx_token WHERE code = '8462-4'"
            )
            .await,
            1
        );

        let deleted = store
            .commit(vec![Write {
                kind: WriteKind::Delete,
                body: None,
                index: vec![],
                ..observation("o1", "p1", "x", WriteKind::Delete)
            }])
            .await
            .unwrap();
        assert_eq!(deleted[0].version, 3);
        let gone = store.read("Observation", "o1").await.unwrap();
        assert!(gone.deleted);
        assert!(gone.body.is_null());
        for table in [
            "fhir_idx_token",
            "fhir_idx_reference",
            "fhir_idx_date",
            "fhir_idx_quantity",
        ] {
            assert_eq!(
                count(db, &format!("SELECT COUNT(*) FROM {table}")).await,
                0,
                "{table} keeps no rows of a deleted resource"
            );
        }
        let history = store.history("Observation", "o1").await.unwrap();
        let versions: Vec<_> = history.iter().map(|v| (v.version, v.deleted)).collect();
        assert_eq!(versions, [(3, true), (2, false), (1, false)]);

        // Deleting again changes nothing; reading what never existed is NotFound.
        let again = store
            .commit(vec![observation("o1", "p1", "x", WriteKind::Delete)])
            .await
            .unwrap();
        assert_eq!(again[0].version, 3);
        assert!(matches!(
            store.read("Observation", "nope").await,
            Err(RecordsError::NotFound { .. })
        ));
        assert!(matches!(
            store.vread("Observation", "o1", 9).await,
            Err(RecordsError::NotFound { .. })
        ));

        // An update after a delete brings the resource back as a new version.
        let revived = store
            .commit(vec![observation(
                "o1",
                "p1",
                "8480-6",
                WriteKind::Update { if_match: None },
            )])
            .await
            .unwrap();
        assert_eq!(revived[0].version, 4);
        assert!(revived[0].created);
    }
}

#[tokio::test]
async fn a_failed_batch_writes_nothing() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let store = open(db).await;
        store
            .commit(vec![observation("o1", "p1", "8480-6", WriteKind::Create)])
            .await
            .unwrap();

        let err = store
            .commit(vec![
                observation("o2", "p1", "8480-6", WriteKind::Create),
                patient("p1", "Zhang"),
                observation(
                    "o1",
                    "p1",
                    "8462-4",
                    WriteKind::Update { if_match: Some(7) },
                ),
            ])
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                RecordsError::VersionConflict {
                    expected: 7,
                    current: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("Observation/o1"));
        assert!(matches!(
            store.read("Observation", "o2").await,
            Err(RecordsError::NotFound { .. })
        ));
        assert!(store.read("Patient", "p1").await.is_err());
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM fhir_resources").await,
            1,
            "only the first commit's resource exists"
        );
        assert_eq!(store.read("Observation", "o1").await.unwrap().version, 1);

        let dup = store
            .commit(vec![
                patient("p2", "Li"),
                observation("p2", "p2", "x", WriteKind::Create),
                patient("p2", "Wang"),
            ])
            .await
            .unwrap_err();
        assert!(
            matches!(dup, RecordsError::DuplicateInBatch { .. }),
            "{dup}"
        );

        // The writer is still usable after failures, and row ids do not collide.
        let ok = store
            .commit(vec![patient("p3", "Zhou"), patient("p4", "Wu")])
            .await
            .unwrap();
        assert_eq!(ok.len(), 2);
    }
}

/// Concurrent commits share database transactions (group commit); each stays all or
/// nothing on its own, whatever the others in its group do.
#[tokio::test]
async fn concurrent_commits_succeed_or_fail_each_on_its_own() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let store = open(db).await;
        store
            .commit(vec![observation("base", "p0", "8480-6", WriteKind::Create)])
            .await
            .unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..24 {
            let store = store.clone();
            tasks.spawn(async move {
                let mut writes = vec![
                    patient(&format!("p{n}"), "Zhang"),
                    observation(
                        &format!("o{n}"),
                        &format!("p{n}"),
                        "8480-6",
                        WriteKind::Create,
                    ),
                ];
                if n % 3 == 0 {
                    // A stale If-Match: this request must fail and leave nothing behind.
                    writes.push(observation(
                        "base",
                        "p0",
                        "8462-4",
                        WriteKind::Update { if_match: Some(99) },
                    ));
                }
                (n, store.commit(writes).await)
            });
        }
        let mut succeeded = 0;
        while let Some(done) = tasks.join_next().await {
            let (n, result) = done.unwrap();
            let patient = store.read("Patient", &format!("p{n}")).await;
            if n % 3 == 0 {
                assert!(
                    matches!(result, Err(RecordsError::VersionConflict { .. })),
                    "request {n}: {result:?}"
                );
                assert!(patient.is_err(), "request {n} left its Patient behind");
            } else {
                let committed = result.unwrap();
                assert_eq!(committed.len(), 2);
                assert_eq!(patient.unwrap().version, 1);
                succeeded += 1;
            }
        }
        assert_eq!(succeeded, 16);
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM fhir_resources").await,
            1 + 2 * 16
        );
        assert_eq!(store.read("Observation", "base").await.unwrap().version, 1);
        // Every stored row has its index rows, and row ids did not collide.
        assert_eq!(
            count(db, "SELECT COUNT(DISTINCT rid) FROM fhir_idx_reference").await,
            1 + 16,
            "one subject reference per Observation"
        );
        assert_eq!(
            count(db, "SELECT COUNT(DISTINCT rid) FROM fhir_resources").await,
            1 + 2 * 16
        );
    }
}

/// Another component's writes given to a commit (`AlsoWrite::then`) commit with its records,
/// and their failure undoes the records.
#[tokio::test]
async fn writes_with_the_records_commit_or_fail_together() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let store = open(db).await;
        let witness = |fail: bool| -> records::WithRecords {
            Box::new(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO fhir_patient_links (patient_id, kind, value) \
                         VALUES ('p1', 'organisation', 'witness')",
                    )
                    .execute(&mut *conn)
                    .await?;
                    if fail {
                        return Err("the other component refused".into());
                    }
                    Ok(())
                })
            })
        };
        let err = store
            .commit_with(
                vec![patient("p1", "Zhang")],
                records::AlsoWrite {
                    links: Vec::new(),
                    then: Some(witness(true)),
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, RecordsError::AlsoWrite(_)), "{err}");
        assert!(store.read("Patient", "p1").await.is_err());
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM fhir_patient_links").await,
            0
        );

        store
            .commit_with(
                vec![patient("p1", "Zhang")],
                records::AlsoWrite {
                    links: Vec::new(),
                    then: Some(witness(false)),
                },
            )
            .await
            .unwrap();
        assert_eq!(store.read("Patient", "p1").await.unwrap().version, 1);
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM fhir_patient_links").await,
            1
        );
    }
}

#[tokio::test]
async fn bodies_and_personal_index_values_are_not_stored_in_the_clear() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let store = open(db).await;
        store.commit(vec![patient("p1", "Zhang")]).await.unwrap();

        let body: String = sqlx::query("SELECT body FROM fhir_resources")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert!(!body.contains("Zhang") && !body.contains("Patient"));
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM fhir_idx_token WHERE code LIKE '%11010519491231002X%'"
            )
            .await,
            0
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM fhir_idx_string WHERE value LIKE 'zh%'"
            )
            .await,
            0
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM fhir_idx_string").await,
            6,
            "one blind index per prefix of 'zhang' and one of the whole name"
        );

        // A body moved to another row does not open there.
        store.commit(vec![patient("p2", "Li")]).await.unwrap();
        sqlx::query(
            "UPDATE fhir_resources SET body = (SELECT body FROM fhir_resources WHERE id = 'p1') \
             WHERE id = 'p2'",
        )
        .execute(db.pool())
        .await
        .unwrap();
        assert!(matches!(
            store.read("Patient", "p2").await,
            Err(RecordsError::Unreadable { .. })
        ));
    }
}

#[tokio::test]
async fn a_reopened_store_continues_after_the_last_row() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let store = open(db).await;
        store
            .commit(vec![patient("p1", "Zhang"), patient("p2", "Li")])
            .await
            .unwrap();
        drop(store);
        let store = open(db).await;
        store.commit(vec![patient("p3", "Wang")]).await.unwrap();
        assert_eq!(
            count(db, "SELECT COUNT(DISTINCT rid) FROM fhir_resources").await,
            3
        );
    }
}

#[tokio::test]
async fn index_rows_written_before_the_clustered_tables_survive_the_migration() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        // The schema as it was before migration 4, with index rows of two resources.
        let before = store::MigrationSet {
            component: "records",
            migrations: &records::migrations().migrations[..3],
        };
        db.migrate(&[before]).await.unwrap();
        for (rid, code) in [(7, "8480-6"), (7, "8462-4"), (9, "8480-6")] {
            sqlx::query(
                "INSERT INTO fhir_idx_token (rid, param, system, code) \
                 VALUES ($1, 'Observation.code', 'http://loinc.org', $2)",
            )
            .bind(rid)
            .bind(code)
            .execute(db.pool())
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO fhir_idx_date (rid, param, low, high) VALUES (7, 'Observation.date', 1, 2)",
        )
        .execute(db.pool())
        .await
        .unwrap();

        let store = open(db).await;
        let rows = sqlx::query("SELECT rid, n, code FROM fhir_idx_token ORDER BY rid, n")
            .fetch_all(db.pool())
            .await
            .unwrap();
        let rows: Vec<(i64, i64, String)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!(
            rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            [(7, 1), (7, 2), (9, 1)],
            "each resource's rows are numbered from 1"
        );
        let mut codes: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        codes.sort_unstable();
        assert_eq!(codes, ["8462-4", "8480-6", "8480-6"]);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM fhir_idx_date WHERE rid = 7 AND n = 1"
            )
            .await,
            1
        );
        if db.backend() == store::Backend::Sqlite {
            let sql: String = sqlx::query(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'fhir_idx_token'",
            )
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get(0);
            assert!(sql.contains("WITHOUT ROWID"), "{sql}");
        }

        // New writes go in beside the moved rows.
        store
            .commit(vec![observation("o1", "p1", "8480-6", WriteKind::Create)])
            .await
            .unwrap();
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM fhir_idx_token WHERE code = '8480-6'"
            )
            .await,
            3
        );
    }
}
