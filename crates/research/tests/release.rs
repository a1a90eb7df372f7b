//! Research requests, releases, downloads and aggregate queries on both backends, over a
//! registry of synthetic residents: the state machine with its typed errors, releases that
//! hold only consenting residents, no identifier, k-anonymous classes, per-release
//! pseudonyms, hashes on the ledger, and suppressed aggregate cells.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use jiff::civil::{Date, date};
use kernel::{MobileNumber, ResidentIdNumber, UtcMillis, check_digit};
use ledger::Ledger;
use registry::{CareTeam, CaseFinding, PersonFacts, Registers, ResidentIndex, SourceRecord, Visit};
use research::{
    Action, Actor, Cell, Field, Problem, QueryForm, RequestFilter, RequestForm, RequestState,
    Research, ResearchError,
};
use store::Db;
use store::testing::TestDatabases;
use vault::Keyring;

/// One synthetic resident with the identifiers the registry holds for them.
#[derive(Debug, Clone)]
struct Person {
    id: String,
    name: String,
    id_number: String,
    mobile: String,
    birth: Date,
    district: &'static str,
}

fn ids() -> impl FnMut() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    || format!("x{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn id_number(birth: Date, n: u32) -> String {
    let first17 = format!(
        "320106{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        n % 1000
    );
    format!("{first17}{}", check_digit(&first17).unwrap())
}

struct City {
    research: Research,
    ledger: Ledger,
    people: Vec<Person>,
}

/// `per_district` residents in each district, all on the hypertension register (enrolled in
/// 2023, in the first half of the year), half of them followed up.
async fn city(db: &Db, districts: &[&'static str], per_district: u32) -> City {
    db.migrate(&[
        registry::migrations(),
        ledger::migrations(),
        research::migrations(),
    ])
    .await
    .unwrap();
    let keys = Arc::new(Keyring::for_tests());
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .unwrap();
    let index = ResidentIndex::new(db.clone(), keys.clone());
    let registers = Registers::new(db.clone());
    let mut new_id = ids();
    let mut people = Vec::new();
    let mut n = 0;
    for district in districts {
        for i in 0..per_district {
            n += 1;
            // Ages cluster in a few bands so k can be met: 50-59 and 60-69.
            let birth = date(
                1960 + (i % 4) as i16 * 3,
                1 + (i % 12) as i8,
                1 + (i % 27) as i8,
            );
            let person = Person {
                id: String::new(),
                name: format!("测试{n}号"),
                id_number: id_number(birth, n),
                mobile: format!("139{:08}", n),
                birth,
                district,
            };
            let source = SourceRecord {
                organisation_id: "hospital-a".into(),
                source_patient_id: format!("p{n}"),
                facts: PersonFacts {
                    id_number: Some(ResidentIdNumber::parse(&person.id_number).unwrap()),
                    name: Some(person.name.clone()),
                    birth_date: None,
                    sex: None,
                    mobile: Some(MobileNumber::parse(&person.mobile).unwrap()),
                },
            };
            let resident = index
                .resolve(&source, &mut new_id)
                .await
                .unwrap()
                .resident_id()
                .unwrap()
                .to_owned();
            index
                .set_care_team(
                    &resident,
                    &CareTeam {
                        district: Some((*district).into()),
                        community_centre_id: Some(format!("chc-{district}")),
                        household_id: Some(format!("hh-{n}")),
                        ..CareTeam::default()
                    },
                )
                .await
                .unwrap();
            let enrolment = registers
                .enrol(
                    &CaseFinding {
                        resident_id: resident.clone(),
                        disease: "hypertension".into(),
                        found_on: date(2023, 1 + (i % 6) as i8, 10),
                        source_organisation: "hospital-a".into(),
                        source_resource: format!("Condition/c{n}"),
                        code_system: "http://hl7.org/fhir/sid/icd-10".into(),
                        code: "I10".into(),
                        rule: "ICD-10 I10–I15".into(),
                        reason_zh: format!("诊断编码 I10（{}）", person.name),
                        reason_en: "diagnosis code I10".into(),
                    },
                    &mut new_id,
                    1,
                )
                .await
                .unwrap()
                .unwrap();
            if i % 2 == 0 {
                registers
                    .record_visit(
                        &Visit {
                            enrolment_id: enrolment.id,
                            visit_date: date(2024, 3, 5),
                            recorded_by: "doctor-1".into(),
                            organisation_id: "chc-1".into(),
                            controlled: Some(i % 4 == 0),
                            danger: false,
                            encounter: None,
                        },
                        &mut new_id,
                        2,
                    )
                    .await
                    .unwrap();
            }
            people.push(Person {
                id: resident,
                ..person
            });
        }
    }
    let research = Research::new(db.clone(), ledger.clone(), keys).unwrap();
    City {
        research,
        ledger,
        people,
    }
}

fn researcher() -> Actor {
    Actor {
        user_id: "researcher-1".into(),
        organisation_id: Some("nju".into()),
    }
}

fn steward() -> Actor {
    Actor {
        user_id: "steward-1".into(),
        organisation_id: Some("health-commission".into()),
    }
}

fn form(variables: &[&str]) -> RequestForm {
    RequestForm {
        diseases: vec!["hypertension".into()],
        age_min: "40".into(),
        age_max: "".into(),
        districts: vec![],
        enrolled_from: "2023-01-01".into(),
        enrolled_to: "2023-12-31".into(),
        variables: variables.iter().map(|v| (*v).to_owned()).collect(),
        purpose: "Blood pressure control after enrolment, by age and district".into(),
        ethics_reference: "伦审〔2024〕第017号".into(),
    }
}

/// 2025-01-15 08:00 in the city.
fn at(day: Date) -> UtcMillis {
    UtcMillis(
        day.at(8, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
            .unwrap()
            .timestamp()
            .as_millisecond(),
    )
}

fn everyone(people: &[Person]) -> BTreeSet<String> {
    people.iter().map(|p| p.id.clone()).collect()
}

fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    // The extract holds no quoted cells (codes, bands, numbers); a quote would be a defect.
    assert!(!text.contains('"'), "unexpected quoting in {text}");
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[tokio::test]
async fn a_request_moves_only_along_the_state_machine() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let c = city(db, &["gulou"], 24).await;
        let r = &c.research;
        let day = date(2025, 1, 15);

        let bad = RequestForm {
            ethics_reference: "pending".into(),
            variables: vec!["name".into()],
            ..form(&[])
        };
        match r.submit(&bad, &researcher(), at(day)).await {
            Err(ResearchError::Invalid(invalid)) => {
                let fields: Vec<_> = invalid.0.iter().map(|e| (e.field, &e.problem)).collect();
                assert_eq!(fields.len(), 2, "{fields:?}");
                assert!(matches!(
                    fields[0],
                    ("variables", Problem::NotReleasable { .. })
                ));
                assert!(matches!(
                    fields[1],
                    ("ethics_reference", Problem::EthicsFormat)
                ));
            }
            other => panic!("expected invalid input, got {other:?}"),
        }

        let request = r
            .submit(&form(&["sex", "age"]), &researcher(), at(day))
            .await
            .unwrap();
        assert_eq!(request.state, RequestState::Submitted);
        assert_eq!(request.variables, [Field::Sex, Field::Age]);
        assert_eq!(request.ethics_reference, "伦审〔2024〕第017号");
        let queue = r
            .requests(&RequestFilter {
                state: Some(RequestState::Submitted),
                ..RequestFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(queue.len(), 1);

        // The requester cannot review their own request.
        let own = r
            .approve(&request.id, &researcher(), date(2025, 6, 30), None, at(day))
            .await;
        assert!(matches!(
            own,
            Err(ResearchError::OwnRequest {
                action: Action::Approve,
                ..
            })
        ));
        // Releasing before approval is illegal.
        let early = r
            .release(&request.id, &steward(), &everyone(&c.people), at(day))
            .await;
        assert!(matches!(
            early,
            Err(ResearchError::IllegalTransition {
                from: RequestState::Submitted,
                action: Action::Release,
                ..
            })
        ));
        // An access period must end after today.
        let past = r.approve(&request.id, &steward(), day, None, at(day)).await;
        assert!(matches!(past, Err(ResearchError::AccessPeriod { .. })));

        let approved = r
            .approve(
                &request.id,
                &steward(),
                date(2025, 6, 30),
                Some("ok"),
                at(day),
            )
            .await
            .unwrap();
        assert_eq!(approved.state, RequestState::Approved);
        assert_eq!(approved.steward_id.as_deref(), Some("steward-1"));
        assert_eq!(approved.access_until, Some(date(2025, 6, 30)));
        for (result, action) in [
            (
                r.approve(&request.id, &steward(), date(2025, 6, 30), None, at(day))
                    .await,
                Action::Approve,
            ),
            (
                r.refuse(&request.id, &steward(), "late", at(day)).await,
                Action::Refuse,
            ),
        ] {
            assert!(
                matches!(result, Err(ResearchError::IllegalTransition { from: RequestState::Approved, action: a, .. }) if a == action),
                "{action}"
            );
        }
        assert!(matches!(
            r.expire(&request.id, at(day)).await,
            Err(ResearchError::NotExpired { .. })
        ));

        let release = r
            .release(&request.id, &steward(), &everyone(&c.people), at(day))
            .await
            .unwrap();
        assert!(matches!(
            r.release(&request.id, &steward(), &everyone(&c.people), at(day))
                .await,
            Err(ResearchError::IllegalTransition {
                from: RequestState::Released,
                ..
            })
        ));
        // Only the requester downloads.
        assert!(matches!(
            r.download(&release.id, &steward(), at(day)).await,
            Err(ResearchError::NotTheRequester { .. })
        ));
        r.download(&release.id, &researcher(), at(day))
            .await
            .unwrap();

        // After the access period the daily job expires it, and downloads stop.
        let later = at(date(2025, 7, 1));
        assert_eq!(r.expire_due(later).await.unwrap(), vec![request.id.clone()]);
        assert!(matches!(
            r.download(&release.id, &researcher(), later).await,
            Err(ResearchError::NoLongerAvailable {
                state: RequestState::Expired,
                ..
            })
        ));
        assert!(matches!(
            r.withdraw(&request.id, &steward(), "revoked", later).await,
            Err(ResearchError::IllegalTransition {
                from: RequestState::Expired,
                ..
            })
        ));
        let history: Vec<RequestState> = r
            .history(&request.id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.state)
            .collect();
        assert_eq!(
            history,
            [
                RequestState::Submitted,
                RequestState::Approved,
                RequestState::Released,
                RequestState::Expired
            ]
        );

        // Refusal needs reasons and is final.
        let other = r
            .submit(&form(&["sex"]), &researcher(), at(day))
            .await
            .unwrap();
        assert!(matches!(
            r.refuse(&other.id, &steward(), "  ", at(day)).await,
            Err(ResearchError::ReasonsRequired {
                action: Action::Refuse
            })
        ));
        let refused = r
            .refuse(
                &other.id,
                &steward(),
                "the purpose needs no identifiable age",
                at(day),
            )
            .await
            .unwrap();
        assert_eq!(refused.state, RequestState::Refused);
        assert_eq!(
            refused.reasons.as_deref(),
            Some("the purpose needs no identifiable age")
        );
        assert!(matches!(
            r.approve(&other.id, &steward(), date(2025, 6, 30), None, at(day))
                .await,
            Err(ResearchError::IllegalTransition {
                from: RequestState::Refused,
                ..
            })
        ));

        // A withdrawn release can no longer be downloaded.
        let third = r
            .submit(&form(&["sex"]), &researcher(), at(day))
            .await
            .unwrap();
        r.approve(&third.id, &steward(), date(2025, 6, 30), None, at(day))
            .await
            .unwrap();
        let third_release = r
            .release(&third.id, &steward(), &everyone(&c.people), at(day))
            .await
            .unwrap();
        assert!(matches!(
            r.withdraw(&third.id, &researcher(), "", at(day)).await,
            Err(ResearchError::ReasonsRequired { .. })
        ));
        r.withdraw(&third.id, &researcher(), "ethics approval revoked", at(day))
            .await
            .unwrap();
        assert!(matches!(
            r.download(&third_release.id, &researcher(), at(day)).await,
            Err(ResearchError::NoLongerAvailable {
                state: RequestState::Withdrawn,
                ..
            })
        ));
        assert!(matches!(
            r.approve("nope", &steward(), date(2025, 6, 30), None, at(day))
                .await,
            Err(ResearchError::UnknownRequest(_))
        ));
    }
}

#[tokio::test]
async fn a_release_is_k_anonymous_consenting_only_identifier_free_and_on_the_ledger() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let c = city(db, &["gulou", "jiangning", "xuanwu"], 24).await;
        let r = &c.research;
        let day = date(2025, 1, 15);
        // Nobody in xuanwu consents to research.
        let consenting: BTreeSet<String> = c
            .people
            .iter()
            .filter(|p| p.district != "xuanwu")
            .map(|p| p.id.clone())
            .collect();
        let request = r
            .submit(
                &form(&[
                    "sex",
                    "age",
                    "district",
                    "enrolled_on",
                    "last_visit",
                    "diseases",
                    "controlled",
                    "followups",
                ]),
                &researcher(),
                at(day),
            )
            .await
            .unwrap();
        r.approve(&request.id, &steward(), date(2025, 6, 30), None, at(day))
            .await
            .unwrap();
        let release = r
            .release(&request.id, &steward(), &consenting, at(day))
            .await
            .unwrap();
        assert_eq!(release.k, 5);
        assert_eq!(release.cohort_rows, 48, "only the consenting residents");
        assert_eq!(
            release.released_rows + release.suppressed_rows,
            release.cohort_rows
        );
        assert!(release.suppressed_rows as f64 <= 0.05 * 48.0);

        let files = r
            .download(&release.id, &researcher(), at(day))
            .await
            .unwrap();
        let (header, rows) = parse_csv(&files.extract_csv);
        assert_eq!(
            header,
            [
                "pid",
                "sex",
                "age",
                "district",
                "enrolled_on",
                "last_visit",
                "diseases",
                "controlled",
                "followups"
            ]
        );
        assert_eq!(rows.len() as u64, release.released_rows);
        // Non-consenting residents never appear.
        assert!(rows.iter().all(|row| row[3] != "xuanwu"));
        assert!(!files.extract_csv.contains("xuanwu"));
        // No direct identifier or free text, in any form the registry holds.
        for p in &c.people {
            for identifier in [
                &p.id,
                &p.name,
                &p.id_number,
                &p.mobile,
                &p.birth.to_string(),
            ] {
                assert!(
                    !files.extract_csv.contains(identifier.as_str()),
                    "{identifier} leaked"
                );
            }
        }
        for text in ["测试", "hh-", "chc-", "Condition/", "I10"] {
            assert!(!files.extract_csv.contains(text), "{text} leaked");
        }
        // Every class over the quasi-identifiers has at least k rows.
        let mut classes: BTreeMap<Vec<&str>, usize> = BTreeMap::new();
        for row in &rows {
            let key = [1, 2, 3, 4, 5].map(|i| row[i].as_str()).to_vec();
            *classes.entry(key).or_default() += 1;
        }
        assert!(classes.values().all(|n| *n >= 5), "{classes:?}");
        // Ages are bands, dates months or years.
        assert!(
            rows.iter()
                .all(|row| row[2].contains('-') || row[2].ends_with('+'))
        );
        assert!(
            rows.iter()
                .all(|row| row[4].len() == 7 || row[4].len() == 4)
        );
        // Pseudonyms are unique within the release.
        let pids: BTreeSet<&str> = rows.iter().map(|row| row[0].as_str()).collect();
        assert_eq!(pids.len(), rows.len());

        // The dictionary describes every column and the disclosure facts.
        assert!(files.dictionary_csv.contains("age,Age,年龄,age,yes,"));
        assert!(files.dictionary_csv.contains("k,5"));
        assert!(
            files
                .dictionary_csv
                .contains(&format!("suppressed_rows,{}", release.suppressed_rows))
        );

        // The ledger has the release's hash, and the download.
        let entry = c.ledger.entry(release.ledger_seq).await.unwrap().unwrap();
        assert_eq!(entry.event.action, "research.release");
        assert_eq!(entry.event.subject_id, release.id);
        assert_eq!(
            entry.event.data_hash,
            ledger::data_hash(files.extract_csv.as_bytes())
        );
        assert_eq!(entry.event.data_hash, release.extract_sha256);
        let download = c.ledger.entry(files.ledger_seq).await.unwrap().unwrap();
        assert_eq!(download.event.action, "research.download");
        assert_eq!(download.event.actor, "researcher-1");
        assert_eq!(download.event.data_hash, release.extract_sha256);
        assert_eq!(r.downloads(&release.id).await.unwrap(), 1);
        assert_eq!(
            r.release_of(&request.id).await.unwrap(),
            Some(release.clone())
        );

        // A resident who revokes consent is not in the next release.
        let revoked: BTreeSet<String> = consenting
            .iter()
            .filter(|id| {
                c.people
                    .iter()
                    .any(|p| &p.id == *id && p.district != "jiangning")
            })
            .cloned()
            .collect();
        let again = r
            .submit(&form(&["district"]), &researcher(), at(day))
            .await
            .unwrap();
        r.approve(&again.id, &steward(), date(2025, 6, 30), None, at(day))
            .await
            .unwrap();
        let next = r
            .release(&again.id, &steward(), &revoked, at(day))
            .await
            .unwrap();
        assert_eq!(next.cohort_rows, 24);
        let files = r.download(&next.id, &researcher(), at(day)).await.unwrap();
        let (_, rows) = parse_csv(&files.extract_csv);
        assert!(rows.iter().all(|row| row[1] == "gulou"));
    }
}

#[tokio::test]
async fn pseudonyms_differ_between_releases_of_the_same_cohort() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let c = city(db, &["gulou"], 15).await;
        let r = &c.research;
        let day = date(2025, 1, 15);
        let mut pid_sets = Vec::new();
        for _ in 0..2 {
            let request = r
                .submit(&form(&["sex"]), &researcher(), at(day))
                .await
                .unwrap();
            r.approve(&request.id, &steward(), date(2025, 6, 30), None, at(day))
                .await
                .unwrap();
            let release = r
                .release(&request.id, &steward(), &everyone(&c.people), at(day))
                .await
                .unwrap();
            let files = r
                .download(&release.id, &researcher(), at(day))
                .await
                .unwrap();
            let (_, rows) = parse_csv(&files.extract_csv);
            assert_eq!(rows.len(), 15);
            pid_sets.push(
                rows.into_iter()
                    .map(|row| row[0].clone())
                    .collect::<BTreeSet<_>>(),
            );
        }
        assert_eq!(pid_sets[0].len(), 15);
        assert!(pid_sets[0].is_disjoint(&pid_sets[1]));
    }
}

#[tokio::test]
async fn a_release_that_would_suppress_too_much_is_refused_and_stays_approved() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let c = city(db, &["gulou"], 4).await;
        let r = &c.research;
        let day = date(2025, 1, 15);
        let request = r
            .submit(&form(&["sex"]), &researcher(), at(day))
            .await
            .unwrap();
        r.approve(&request.id, &steward(), date(2025, 6, 30), None, at(day))
            .await
            .unwrap();
        match r
            .release(&request.id, &steward(), &everyone(&c.people), at(day))
            .await
        {
            Err(ResearchError::TooMuchSuppression {
                suppressed, rows, ..
            }) => assert_eq!(
                (suppressed, rows),
                (4, 4),
                "4 residents cannot make a class of 5"
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(
            r.release(&request.id, &steward(), &BTreeSet::new(), at(day))
                .await,
            Err(ResearchError::EmptyCohort)
        ));
        let still = r.request(&request.id).await.unwrap().unwrap();
        assert_eq!(still.state, RequestState::Approved);
        assert_eq!(r.release_of(&request.id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn aggregate_queries_suppress_small_cells_and_are_logged() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let c = city(db, &["gulou", "jiangning"], 9).await;
        let r = &c.research;
        let day = date(2025, 1, 15);
        // jiangning has 9 residents but only 3 consent.
        let consenting: BTreeSet<String> = c
            .people
            .iter()
            .enumerate()
            .filter(|(i, p)| p.district == "gulou" || *i % 3 == 0)
            .map(|(_, p)| p.id.clone())
            .collect();
        let bad = QueryForm {
            diseases: vec!["hypertension".into()],
            rows: "name".into(),
            columns: "followups".into(),
            mean_of: "sex".into(),
            ..QueryForm::default()
        };
        let invalid = bad
            .validate(r.vocabulary(), r.catalogue(), r.policy())
            .unwrap_err();
        let fields: Vec<&str> = invalid.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["rows", "columns", "mean_of"]);

        let query = QueryForm {
            diseases: vec!["hypertension".into()],
            rows: "district".into(),
            columns: "".into(),
            mean_of: "age".into(),
            ..QueryForm::default()
        }
        .validate(r.vocabulary(), r.catalogue(), r.policy())
        .unwrap();
        let before = c.ledger.tree_size();
        let table = r
            .aggregate(&query, &researcher(), &consenting, at(day))
            .await
            .unwrap();
        assert_eq!(table.row_labels, ["gulou", "jiangning"]);
        // jiangning's 3 are below 5, and gulou is hidden with it so the total does not give
        // jiangning away.
        assert_eq!(table.row_totals, [Cell::Suppressed, Cell::Suppressed]);
        assert!(matches!(
            table.total,
            Cell::Shown {
                count: 12,
                mean: Some(_)
            }
        ));
        assert_eq!(table.row_totals[1].text(5), "<5");
        assert!(table.legend(true).contains("fewer than 5"));
        assert_eq!(
            c.ledger.tree_size(),
            before + 1,
            "the query is on the ledger"
        );
        let entries = c.ledger.entries_by_actor("researcher-1", 1).await.unwrap();
        assert_eq!(entries[0].event.action, "research.aggregate");
    }
}
