//! Searching the record store on both backends: every condition type, the R4 range prefixes
//! checked against their reference definition, personal values found only through blind
//! indexes, visibility inside the query, and paging.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::sync::Arc;

use records::{
    AlsoWrite, Comparator, Condition, IndexRow, IndexValue, PatientLinks, Query, RecordStore,
    RecordsError, SortKey, Visibility, Write, WriteKind,
};
use serde_json::json;
use store::Db;
use store::testing::TestDatabases;
use vault::Keyring;

async fn open(db: &Db) -> RecordStore {
    db.migrate(&[records::migrations()]).await.unwrap();
    RecordStore::open(db.clone(), Arc::new(Keyring::for_tests()))
        .await
        .unwrap()
}

fn write(resource_type: &str, id: &str, patient: Option<&str>, index: Vec<IndexRow>) -> Write {
    Write {
        kind: WriteKind::Create,
        resource_type: resource_type.into(),
        id: id.into(),
        body: Some(json!({ "resourceType": resource_type })),
        patient_id: patient.map(Into::into),
        index,
    }
}

fn row(param: &str, value: IndexValue) -> IndexRow {
    IndexRow {
        param: param.into(),
        value,
    }
}

fn token(system: Option<&str>, code: &str) -> IndexValue {
    IndexValue::Token {
        system: system.map(Into::into),
        code: code.into(),
    }
}

fn query(resource_type: &str, all_of: Vec<Vec<Condition>>) -> Query {
    Query {
        resource_type: resource_type.into(),
        all_of,
        visibility: Visibility::All,
        sort: vec![],
        count: 100,
        offset: 0,
    }
}

async fn ids(store: &RecordStore, q: &Query) -> BTreeSet<String> {
    let page = store.search(q).await.unwrap();
    let found: BTreeSet<String> = page.resources.into_iter().map(|r| r.id).collect();
    assert_eq!(
        store.count(q).await.unwrap(),
        found.len() as u64,
        "count agrees with the results of {q:?}"
    );
    found
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

const LOINC: &str = "http://loinc.org";

#[tokio::test]
async fn tokens_strings_references_and_quantities() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let store = open(db).await;
        store
            .commit(vec![
                write(
                    "Patient",
                    "p1",
                    Some("p1"),
                    vec![
                        row("Patient.family", IndexValue::String("zhang".into())),
                        row(
                            "Patient.identifier",
                            token(Some("urn:oid:2.16.156.10011.1.3"), "11010519491231002X"),
                        ),
                    ],
                ),
                write(
                    "Patient",
                    "p2",
                    Some("p2"),
                    vec![row("Patient.family", IndexValue::String("zhao".into()))],
                ),
                write(
                    "Observation",
                    "o1",
                    Some("p1"),
                    vec![
                        row("Observation.code", token(Some(LOINC), "8480-6")),
                        row(
                            "Observation.subject",
                            IndexValue::Reference {
                                target_type: Some("Patient".into()),
                                target_id: "p1".into(),
                            },
                        ),
                        row(
                            "Observation.value-quantity",
                            IndexValue::Quantity {
                                system: Some("http://unitsofmeasure.org".into()),
                                code: Some("mm[Hg]".into()),
                                value: 150.0,
                            },
                        ),
                    ],
                ),
                write(
                    "Observation",
                    "o2",
                    Some("p2"),
                    vec![
                        row("Observation.code", token(Some(LOINC), "8462-4")),
                        row("Observation.code", token(None, "dbp")),
                        row(
                            "Observation.subject",
                            IndexValue::Reference {
                                target_type: Some("Patient".into()),
                                target_id: "p2".into(),
                            },
                        ),
                        row(
                            "Observation.value-quantity",
                            IndexValue::Quantity {
                                system: Some("http://unitsofmeasure.org".into()),
                                code: Some("mm[Hg]".into()),
                                value: 95.0,
                            },
                        ),
                    ],
                ),
            ])
            .await
            .unwrap();

        let code = |system: Option<Option<&str>>, code: Option<&str>| Condition::Token {
            param: "Observation.code".into(),
            system: system.map(|s| s.map(Into::into)),
            code: code.map(Into::into),
        };
        assert_eq!(
            ids(
                &store,
                &query(
                    "Observation",
                    vec![vec![code(Some(Some(LOINC)), Some("8480-6"))]]
                )
            )
            .await,
            set(&["o1"])
        );
        assert_eq!(
            ids(
                &store,
                &query(
                    "Observation",
                    vec![vec![code(
                        Some(Some("http://snomed.info/sct")),
                        Some("8480-6")
                    )]]
                )
            )
            .await,
            set(&[]),
            "another system's code does not match"
        );
        assert_eq!(
            ids(
                &store,
                &query("Observation", vec![vec![code(Some(None), Some("dbp"))]])
            )
            .await,
            set(&["o2"]),
            "|code matches only codes without a system"
        );
        assert_eq!(
            ids(
                &store,
                &query("Observation", vec![vec![code(Some(Some(LOINC)), None)]])
            )
            .await,
            set(&["o1", "o2"]),
            "system| matches every code of the system"
        );
        assert_eq!(
            ids(
                &store,
                &query(
                    "Observation",
                    vec![vec![code(None, Some("8480-6")), code(None, Some("8462-4"))]]
                )
            )
            .await,
            set(&["o1", "o2"]),
            "values within a group are OR"
        );
        let subject = |id: &str| Condition::Reference {
            param: "Observation.subject".into(),
            target_type: Some("Patient".into()),
            target_id: id.into(),
        };
        assert_eq!(
            ids(
                &store,
                &query(
                    "Observation",
                    vec![vec![subject("p1")], vec![code(None, Some("8462-4"))]]
                )
            )
            .await,
            set(&[]),
            "groups are AND"
        );
        assert_eq!(
            ids(&store, &query("Observation", vec![vec![subject("p2")]])).await,
            set(&["o2"])
        );
        let quantity = |cmp, value| Condition::Quantity {
            param: "Observation.value-quantity".into(),
            cmp,
            value,
            system: Some("http://unitsofmeasure.org".into()),
            code: Some("mm[Hg]".into()),
        };
        assert_eq!(
            ids(
                &store,
                &query("Observation", vec![vec![quantity(Comparator::Ge, 140.0)]])
            )
            .await,
            set(&["o1"])
        );
        assert_eq!(
            ids(
                &store,
                &query("Observation", vec![vec![quantity(Comparator::Lt, 140.0)]])
            )
            .await,
            set(&["o2"])
        );

        // Personal values: found through their blind indexes only.
        let identifier = Condition::Token {
            param: "Patient.identifier".into(),
            system: Some(Some("urn:oid:2.16.156.10011.1.3".into())),
            code: Some("11010519491231002X".into()),
        };
        assert_eq!(
            ids(&store, &query("Patient", vec![vec![identifier]])).await,
            set(&["p1"])
        );
        let family = |value: &str, exact: bool, contains: bool| Condition::String {
            param: "Patient.family".into(),
            value: value.into(),
            exact,
            contains,
        };
        assert_eq!(
            ids(
                &store,
                &query("Patient", vec![vec![family("zh", false, false)]])
            )
            .await,
            set(&["p1", "p2"])
        );
        assert_eq!(
            ids(
                &store,
                &query("Patient", vec![vec![family("zhan", false, false)]])
            )
            .await,
            set(&["p1"])
        );
        assert_eq!(
            ids(
                &store,
                &query("Patient", vec![vec![family("zhang", true, false)]])
            )
            .await,
            set(&["p1"])
        );
        assert_eq!(
            ids(
                &store,
                &query("Patient", vec![vec![family("zh", true, false)]])
            )
            .await,
            set(&[]),
            ":exact does not match a prefix"
        );
        let refused = store
            .search(&query("Patient", vec![vec![family("ang", false, true)]]))
            .await
            .unwrap_err();
        assert!(
            matches!(refused, RecordsError::UnsupportedSearch { .. }),
            "{refused}"
        );
        assert!(refused.to_string().contains("Patient.family"));

        assert_eq!(
            ids(
                &store,
                &query("Patient", vec![vec![Condition::Id("p2".into())]])
            )
            .await,
            set(&["p2"])
        );
    }
}

/// A small deterministic generator, so the same cases run on both backends.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below as u64) as i64
    }
}

#[tokio::test]
async fn date_prefixes_follow_the_r4_range_rules() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let store = open(db).await;
        let mut rng = Lcg(42);
        let mut stored = Vec::new();
        let mut writes = Vec::new();
        for n in 0..120 {
            let low = rng.next(100);
            let high = low + 1 + rng.next(20);
            stored.push((format!("e{n}"), low, high));
            writes.push(write(
                "Encounter",
                &format!("e{n}"),
                None,
                vec![row("Encounter.date", IndexValue::Date { low, high })],
            ));
        }
        store.commit(writes).await.unwrap();

        let comparators = [
            Comparator::Eq,
            Comparator::Ne,
            Comparator::Gt,
            Comparator::Lt,
            Comparator::Ge,
            Comparator::Le,
            Comparator::Sa,
            Comparator::Eb,
            Comparator::Ap,
        ];
        for case in 0..60 {
            let cmp = comparators[case % comparators.len()];
            let sl = rng.next(110);
            let sh = sl + 1 + rng.next(30);
            let expected: BTreeSet<String> = stored
                .iter()
                .filter(|(_, lo, hi)| cmp.matches_range(*lo, *hi, sl, sh))
                .map(|(id, _, _)| id.clone())
                .collect();
            let mut q = query(
                "Encounter",
                vec![vec![Condition::Date {
                    param: "Encounter.date".into(),
                    cmp,
                    low: sl,
                    high: sh,
                }]],
            );
            q.count = 1000;
            assert_eq!(ids(&store, &q).await, expected, "{cmp:?} [{sl}, {sh})");
        }
    }
}

#[test]
fn range_rules_on_examples() {
    // Searched: the day [10, 20). Stored ranges chosen around it.
    let day = (10, 20);
    let check = |cmp: Comparator, lo, hi| cmp.matches_range(lo, hi, day.0, day.1);
    assert!(check(Comparator::Eq, 12, 14) && !check(Comparator::Eq, 5, 14));
    assert!(check(Comparator::Gt, 15, 25) && !check(Comparator::Gt, 12, 20));
    assert!(check(Comparator::Lt, 5, 12) && !check(Comparator::Lt, 10, 12));
    assert!(check(Comparator::Ge, 12, 14) && check(Comparator::Ge, 18, 30));
    assert!(!check(Comparator::Ge, 2, 9));
    assert!(check(Comparator::Sa, 20, 21) && !check(Comparator::Sa, 19, 21));
    assert!(check(Comparator::Eb, 2, 10) && !check(Comparator::Eb, 2, 11));
    assert!(check(Comparator::Ap, 19, 40) && !check(Comparator::Ap, 20, 40));
    assert!(check(Comparator::Ne, 5, 14) && !check(Comparator::Ne, 10, 20));
}

#[tokio::test]
async fn visibility_is_part_of_the_query_and_paging_is_stable() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let store = open(db).await;
        let mut writes = vec![write("Organization", "org", None, vec![])];
        for n in 0..9 {
            writes.push(write(
                "Observation",
                &format!("o{n}"),
                Some(&format!("p{}", n % 3)),
                vec![],
            ));
            writes.push(write(
                "Patient",
                &format!("x{n}"),
                Some(&format!("x{n}")),
                vec![],
            ));
        }
        store.commit(writes).await.unwrap();
        store
            .set_patient_links(&PatientLinks {
                patient_id: "p0".into(),
                organisations: vec!["clinic-a".into()],
                district: Some("gulou".into()),
            })
            .await
            .unwrap();
        store
            .set_patient_links(&PatientLinks {
                patient_id: "p1".into(),
                organisations: vec!["clinic-b".into()],
                district: Some("gulou".into()),
            })
            .await
            .unwrap();
        // Links can also change inside a commit, with (here without) writes.
        store
            .commit_with(
                Vec::new(),
                AlsoWrite {
                    links: vec![PatientLinks {
                        patient_id: "p2".into(),
                        organisations: vec!["clinic-b".into()],
                        district: Some("jiangning".into()),
                    }],
                    then: None,
                },
            )
            .await
            .unwrap();

        let mut q = query("Observation", vec![]);
        q.visibility = Visibility::Patients(vec!["p1".into()]);
        assert_eq!(ids(&store, &q).await, set(&["o1", "o4", "o7"]));
        q.visibility = Visibility::Patients(vec![]);
        assert_eq!(ids(&store, &q).await, set(&[]));
        q.visibility = Visibility::Linked {
            organisations: vec!["clinic-a".into()],
            districts: vec![],
        };
        assert_eq!(ids(&store, &q).await, set(&["o0", "o3", "o6"]));
        q.visibility = Visibility::Linked {
            organisations: vec![],
            districts: vec!["gulou".into()],
        };
        assert_eq!(ids(&store, &q).await.len(), 6);
        q.visibility = Visibility::Linked {
            organisations: vec!["clinic-a".into()],
            districts: vec!["jiangning".into()],
        };
        assert_eq!(ids(&store, &q).await.len(), 6);
        let clinic_b = Visibility::Linked {
            organisations: vec!["clinic-b".into()],
            districts: vec![],
        };
        assert!(store.patient_visible("p1", &clinic_b).await.unwrap());
        assert!(!store.patient_visible("p0", &clinic_b).await.unwrap());
        assert!(!store.patient_visible("nobody", &clinic_b).await.unwrap());
        assert!(
            store
                .patient_visible("p2", &Visibility::Patients(vec!["p2".into()]))
                .await
                .unwrap()
        );
        assert!(
            !store
                .patient_visible("p2", &Visibility::Patients(vec![]))
                .await
                .unwrap()
        );
        assert!(
            store
                .patient_visible("nobody", &Visibility::All)
                .await
                .unwrap()
        );
        let p1: Vec<String> = store
            .compartment("p1", 100)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(p1, ["o1", "o4", "o7"]);
        assert_eq!(store.compartment("p1", 2).await.unwrap().len(), 2);
        // Relinking replaces the old links.
        store
            .set_patient_links(&PatientLinks {
                patient_id: "p0".into(),
                organisations: vec![],
                district: None,
            })
            .await
            .unwrap();
        assert_eq!(ids(&store, &q).await, set(&["o2", "o5", "o8"]));

        let mut orgs = query("Organization", vec![]);
        orgs.visibility = Visibility::Patients(vec![]);
        assert_eq!(
            ids(&store, &orgs).await,
            set(&["org"]),
            "resources of no patient are visible to every searcher"
        );

        // Pages of 4 cover everything once, in a stable order.
        let mut page_query = query("Patient", vec![]);
        page_query.count = 4;
        page_query.sort = vec![SortKey::Id { descending: true }];
        let mut seen = Vec::new();
        loop {
            let page = store.search(&page_query).await.unwrap();
            seen.extend(page.resources.into_iter().map(|r| r.id));
            if !page.more {
                break;
            }
            page_query.offset += page_query.count;
        }
        let expected: Vec<String> = (0..9).rev().map(|n| format!("x{n}")).collect();
        assert_eq!(seen, expected);
    }
}
