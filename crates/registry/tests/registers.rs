//! Disease registers on both backends: enrolment once per disease with its reason, follow-up
//! visits that move the last visit forward only, filters, the indicator counts, and the
//! counts measured from arriving results (LDL-C at target, spirometry, rehabilitation).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use jiff::civil::{Date, date};
use kernel::{ResidentIdNumber, Sex};
use registry::{
    CareTeam, CaseFinding, Group, Measure, Measured, PersonFacts, RegisterCounts, RegisterFilter,
    RegisterMeasure, Registers, RegistryError, ResidentIndex, SourceRecord, Visit,
};
use store::testing::TestDatabases;
use vault::Keyring;

fn ids() -> impl FnMut() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    || format!("e{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn finding(resident_id: &str, disease: &str, code: &str, on: Date) -> CaseFinding {
    CaseFinding {
        resident_id: resident_id.into(),
        disease: disease.into(),
        found_on: on,
        source_organisation: "hospital-a".into(),
        source_resource: format!("Condition/{code}"),
        code_system: "http://hl7.org/fhir/sid/icd-10".into(),
        code: code.into(),
        rule: "ICD-10 I10–I15".into(),
        reason_zh: "诊断编码 I10 属于高血压纳入范围".into(),
        reason_en: "diagnosis code I10 is within the hypertension inclusion range".into(),
    }
}

fn of(disease: &str, district: Option<&str>) -> RegisterFilter {
    RegisterFilter {
        disease: Some(disease.into()),
        district: district.map(str::to_owned),
        ..RegisterFilter::default()
    }
}

fn visit(enrolment_id: &str, on: Date, controlled: Option<bool>) -> Visit {
    Visit {
        enrolment_id: enrolment_id.into(),
        visit_date: on,
        recorded_by: "doctor-1".into(),
        organisation_id: "chc-1".into(),
        controlled,
        danger: false,
        encounter: None,
    }
}

async fn resident(index: &ResidentIndex, n: &str, id_number: &str, district: &str) -> String {
    let facts = PersonFacts {
        id_number: Some(ResidentIdNumber::parse(id_number).unwrap()),
        name: Some(format!("测试{n}")),
        sex: Some(Sex::Female),
        ..PersonFacts::default()
    };
    let source = SourceRecord {
        organisation_id: "hospital-a".into(),
        source_patient_id: n.into(),
        facts,
    };
    let id = index
        .resolve(&source, || format!("res-{n}"))
        .await
        .unwrap()
        .resident_id()
        .unwrap()
        .to_owned();
    index
        .set_care_team(
            &id,
            &CareTeam {
                district: Some(district.into()),
                community_centre_id: Some(format!("chc-{district}")),
                ..CareTeam::default()
            },
        )
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn enrolment_visits_and_counts() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        db.migrate(&[registry::migrations()]).await.unwrap();
        let index = ResidentIndex::new(db.clone(), Arc::new(Keyring::for_tests()));
        let registers = Registers::new(db.clone());
        let mut new_id = ids();
        let a = resident(&index, "a", "11010519491231002X", "gulou").await;
        let b = resident(&index, "b", "110105194912310046", "jiangning").await;
        let c = resident(&index, "c", "110105195001010012", "gulou").await;

        let first = registers
            .enrol(
                &finding(&a, "hypertension", "I10", date(2025, 3, 1)),
                &mut new_id,
                1,
            )
            .await
            .unwrap()
            .expect("a new case is enrolled");
        assert_eq!(first.enrolled_on, date(2025, 3, 1));
        assert_eq!(first.code, "I10");
        assert!(first.reason_zh.contains("I10"));
        let again = registers
            .enrol(
                &finding(&a, "hypertension", "I11.9", date(2025, 4, 1)),
                &mut new_id,
                2,
            )
            .await
            .unwrap();
        assert_eq!(again, None, "a second finding does not enrol twice");
        registers
            .enrol(
                &finding(&b, "hypertension", "I15.0", date(2025, 5, 1)),
                &mut new_id,
                3,
            )
            .await
            .unwrap()
            .unwrap();
        registers
            .enrol(
                &finding(&a, "t2dm", "E11.9", date(2025, 6, 1)),
                &mut new_id,
                4,
            )
            .await
            .unwrap()
            .unwrap();
        let third = registers
            .enrol(
                &finding(&c, "hypertension", "I10", date(2025, 2, 1)),
                &mut new_id,
                4,
            )
            .await
            .unwrap()
            .unwrap();
        let of_a = registers.enrolments_of(&a).await.unwrap();
        assert_eq!(
            of_a.iter().map(|e| e.disease.as_str()).collect::<Vec<_>>(),
            ["hypertension", "t2dm"]
        );

        // Four visits in the year, the last controlled; one entered late must not move it back.
        for (m, controlled) in [(6, Some(false)), (9, Some(true)), (12, Some(true))] {
            registers
                .record_visit(
                    &visit(&first.id, date(2025, m, 10), controlled),
                    &mut new_id,
                    5,
                )
                .await
                .unwrap();
        }
        registers
            .record_visit(
                &visit(&first.id, date(2025, 3, 10), Some(false)),
                &mut new_id,
                6,
            )
            .await
            .unwrap();
        // c: controlled in July; in November not, with a danger sign (to be referred).
        registers
            .record_visit(
                &visit(&third.id, date(2025, 7, 1), Some(true)),
                &mut new_id,
                6,
            )
            .await
            .unwrap();
        registers
            .record_visit(
                &Visit {
                    danger: true,
                    ..visit(&third.id, date(2025, 11, 20), Some(false))
                },
                &mut new_id,
                7,
            )
            .await
            .unwrap();
        let now = registers.enrolment(&first.id).await.unwrap().unwrap();
        assert_eq!(now.last_visit, Some(date(2025, 12, 10)));
        assert_eq!(now.last_controlled, Some(true));
        assert_eq!(registers.visits(&first.id).await.unwrap().len(), 4);

        let counts = registers
            .counts(&of("hypertension", None), date(2026, 1, 31), 4, 104)
            .await
            .unwrap();
        // a: 4 visits in the year, the last (2025-12-10, 52 days before) controlled;
        // c: 2 visits, the last (2025-11-20) not controlled and with a danger sign;
        // b: enrolled 2025-05-01, never seen, overdue.
        assert_eq!(
            counts,
            RegisterCounts {
                registered: 3,
                followed_up: 2,
                standard: 1,
                controlled: 1,
                on_time: 2,
                referred: 1,
                ..RegisterCounts::default()
            }
        );
        // A year later the old visits no longer count.
        let later = registers
            .counts(&of("hypertension", None), date(2027, 1, 31), 4, 104)
            .await
            .unwrap();
        assert_eq!(
            (
                later.registered,
                later.followed_up,
                later.standard,
                later.controlled,
                later.referred,
                later.on_time
            ),
            (3, 0, 0, 0, 0, 0)
        );
        // As of a past day, each enrolment as it stood then: a's last visit was 2025-09-10
        // (controlled, third of the year), c's 2025-07-01 (controlled, no danger sign).
        let autumn = registers
            .counts(&of("hypertension", None), date(2025, 9, 30), 3, 104)
            .await
            .unwrap();
        assert_eq!(
            autumn,
            RegisterCounts {
                registered: 3,
                followed_up: 2,
                standard: 1,
                controlled: 2,
                on_time: 2,
                referred: 0,
                ..RegisterCounts::default()
            }
        );
        // Before b was enrolled, and before c's first visit.
        let spring = registers
            .counts(&of("hypertension", None), date(2025, 4, 15), 4, 104)
            .await
            .unwrap();
        assert_eq!(
            spring,
            RegisterCounts {
                registered: 2,
                followed_up: 1,
                standard: 0,
                controlled: 0,
                on_time: 2,
                referred: 0,
                ..RegisterCounts::default()
            }
        );
        // A period of enrolment: those enrolled from March to December 2025 (a and b); those
        // enrolled before March (c).
        let period = |from: Option<Date>, to: Option<Date>| RegisterFilter {
            enrolled_from: from,
            enrolled_to: to,
            ..of("hypertension", None)
        };
        let spring_on = registers
            .counts(
                &period(Some(date(2025, 3, 1)), Some(date(2025, 12, 31))),
                date(2026, 1, 31),
                4,
                104,
            )
            .await
            .unwrap();
        assert_eq!(
            (
                spring_on.registered,
                spring_on.followed_up,
                spring_on.referred
            ),
            (2, 1, 0)
        );
        let early = registers
            .counts(
                &period(None, Some(date(2025, 2, 28))),
                date(2026, 1, 31),
                4,
                104,
            )
            .await
            .unwrap();
        assert_eq!(
            (
                early.registered,
                early.followed_up,
                early.referred,
                early.controlled
            ),
            (1, 1, 1, 0)
        );
        assert_eq!(
            registers
                .count(&RegisterFilter {
                    limit: 10,
                    ..period(Some(date(2025, 3, 1)), None)
                })
                .await
                .unwrap(),
            2,
            "lists honour the period too"
        );

        // By district and by centre, in one query each; the parts add up to the whole.
        let by_district = registers
            .counts_by(
                &of("hypertension", None),
                Group::District,
                date(2026, 1, 31),
                4,
                104,
            )
            .await
            .unwrap();
        assert_eq!(
            by_district
                .iter()
                .map(|(k, c)| (k.as_str(), c.registered, c.followed_up, c.referred))
                .collect::<Vec<_>>(),
            [("gulou", 2, 2, 1), ("jiangning", 1, 0, 0)]
        );
        let gulou_counts = registers
            .counts(
                &of("hypertension", Some("gulou")),
                date(2026, 1, 31),
                4,
                104,
            )
            .await
            .unwrap();
        assert_eq!(by_district[0].1, gulou_counts);
        let by_centre = registers
            .counts_by(
                &of("hypertension", Some("gulou")),
                Group::CommunityCentre,
                date(2026, 1, 31),
                4,
                104,
            )
            .await
            .unwrap();
        assert_eq!(by_centre, [("chc-gulou".to_owned(), gulou_counts)]);
        let none = registers
            .counts_by(
                &of("no-such-disease", None),
                Group::District,
                date(2026, 1, 31),
                4,
                104,
            )
            .await
            .unwrap();
        assert!(none.is_empty());
        assert_eq!(
            registers
                .counts(&of("no-such-disease", None), date(2026, 1, 31), 4, 104)
                .await
                .unwrap(),
            RegisterCounts::default()
        );
        let jiangning = registers
            .counts(
                &of("hypertension", Some("jiangning")),
                date(2026, 1, 31),
                4,
                104,
            )
            .await
            .unwrap();
        assert_eq!((jiangning.registered, jiangning.followed_up), (1, 0));

        let filter = RegisterFilter {
            disease: Some("hypertension".into()),
            district: Some("gulou".into()),
            limit: 10,
            ..RegisterFilter::default()
        };
        let rows = registers.list(&filter).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().any(|r| r.enrolment.resident_id == a));
        assert_eq!(rows[0].community_centre_id.as_deref(), Some("chc-gulou"));
        assert_eq!(registers.count(&filter).await.unwrap(), 2);
        let served = |organisations: &[&str], districts: &[&str]| RegisterFilter {
            reach: registry::Reach::Served {
                organisations: organisations.iter().map(|s| (*s).to_owned()).collect(),
                districts: districts.iter().map(|s| (*s).to_owned()).collect(),
            },
            limit: 10,
            ..RegisterFilter::default()
        };
        // The sending hospital serves both; a centre serves its own; a district its residents.
        assert_eq!(
            registers
                .count(&served(&["hospital-a"], &[]))
                .await
                .unwrap(),
            4
        );
        assert_eq!(
            registers
                .count(&served(&["chc-jiangning"], &[]))
                .await
                .unwrap(),
            1
        );
        assert_eq!(registers.count(&served(&[], &["gulou"])).await.unwrap(), 3);
        assert_eq!(
            registers.count(&served(&["elsewhere"], &[])).await.unwrap(),
            0
        );
        assert_eq!(registers.count(&served(&[], &[])).await.unwrap(), 0);
        let own = RegisterFilter {
            reach: registry::Reach::Residents(vec![b.clone()]),
            limit: 10,
            ..RegisterFilter::default()
        };
        assert_eq!(
            registers.list(&own).await.unwrap()[0].enrolment.resident_id,
            b
        );
        let uncontrolled = RegisterFilter {
            controlled: Some(false),
            limit: 10,
            ..RegisterFilter::default()
        };
        assert_eq!(registers.count(&uncontrolled).await.unwrap(), 1, "c");
        let never = RegisterFilter {
            followed_up: Some(false),
            limit: 10,
            ..RegisterFilter::default()
        };
        // b's hypertension and a's diabetes were never followed up.
        assert_eq!(registers.count(&never).await.unwrap(), 2);
        let (districts, centres) = registers
            .facets(&of("hypertension", Some("gulou")))
            .await
            .unwrap();
        assert_eq!(
            districts,
            ["gulou", "jiangning"],
            "a facet ignores its own filter"
        );
        assert_eq!(centres, ["chc-gulou", "chc-jiangning"]);
        let in_reach = registers
            .counts(&served(&["chc-gulou"], &[]), date(2026, 1, 31), 4, 104)
            .await
            .unwrap();
        assert_eq!(
            (in_reach.registered, in_reach.standard, in_reach.referred),
            (3, 1, 1)
        );

        // A resident who moves: the registers count them in their new district at once.
        let before = registers
            .counts(
                &of("hypertension", Some("gulou")),
                date(2026, 1, 31),
                4,
                104,
            )
            .await
            .unwrap()
            .registered;
        index
            .set_care_team(
                &b,
                &CareTeam {
                    district: Some("gulou".into()),
                    community_centre_id: Some("chc-gulou".into()),
                    ..CareTeam::default()
                },
            )
            .await
            .unwrap();
        let after = registers
            .counts(
                &of("hypertension", Some("gulou")),
                date(2026, 1, 31),
                4,
                104,
            )
            .await
            .unwrap()
            .registered;
        assert_eq!(after, before + 1);

        let missing = registers
            .record_visit(&visit("nope", date(2025, 1, 1), None), &mut new_id, 8)
            .await;
        assert!(matches!(missing, Err(RegistryError::UnknownEnrolment(_))));
    }
}

/// What one record measured for one register.
fn measured(source: &str, resident: &str, disease: &str, measure: Measure, on: Date) -> Measured {
    Measured {
        source: source.into(),
        resident_id: Some(resident.into()),
        measures: vec![RegisterMeasure {
            disease: disease.into(),
            measure,
            on,
        }],
        replaces: false,
    }
}

const MET: Measure = Measure::TargetResult { met_target: true };
const NOT_MET: Measure = Measure::TargetResult { met_target: false };

#[tokio::test]
async fn measures_from_arriving_records_are_counted_for_the_year() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        db.migrate(&[registry::migrations()]).await.unwrap();
        let index = ResidentIndex::new(db.clone(), Arc::new(Keyring::for_tests()));
        let registers = Registers::new(db.clone());
        let mut new_id = ids();
        // The present (the stored facts) and past reporting days (read from the measures).
        let today = kernel::UtcMillis::now().city_date();
        let ago = |n: i64| today.checked_sub(jiff::Span::new().days(n)).unwrap();
        let a = resident(&index, "a", "11010519491231002X", "gulou").await;
        let b = resident(&index, "b", "110105194912310046", "jiangning").await;
        let c = resident(&index, "c", "110105195001010012", "gulou").await;
        let mut enrolment = async |who: &str, disease: &str| {
            registers
                .enrol(&finding(who, disease, "X", ago(400)), &mut new_id, 1)
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let a_chd = enrolment(&a, "chd").await;
        let b_chd = enrolment(&b, "chd").await;
        enrolment(&c, "chd").await;
        let a_copd = enrolment(&a, "copd").await;
        let b_stroke = enrolment(&b, "stroke").await;
        for (e, day) in [
            (&a_chd, 100),
            (&b_chd, 90),
            (&b_chd, 30),
            (&a_copd, 100),
            (&b_stroke, 90),
        ] {
            registers
                .record_visit(&visit(e, ago(day), None), &mut new_id, 2)
                .await
                .unwrap();
        }

        // LDL-C: a met the target at the latest test; b did not (a test entered late, older,
        // does not move b's latest back); c met it but is not under management this year.
        let stored = registers
            .record_measures(
                &[
                    measured("Observation/a1", &a, "chd", NOT_MET, ago(200)),
                    measured("Observation/a2", &a, "chd", MET, ago(50)),
                    measured("Observation/b1", &b, "chd", NOT_MET, ago(20)),
                    measured("Observation/c1", &c, "chd", MET, ago(10)),
                    // Not on these registers: ignored.
                    measured("Observation/c2", &c, "copd", Measure::Examination, ago(10)),
                    measured("Observation/x", "nobody", "chd", MET, ago(10)),
                ],
                &mut new_id,
                10,
            )
            .await
            .unwrap();
        assert_eq!(stored, 4);
        registers
            .record_measures(
                &[measured("Observation/b0", &b, "chd", MET, ago(300))],
                &mut new_id,
                11,
            )
            .await
            .unwrap();
        let chd = |day: Date| {
            let registers = registers.clone();
            async move {
                registers
                    .counts(&of("chd", None), day, 4, 104)
                    .await
                    .unwrap()
            }
        };
        let now = chd(today).await;
        assert_eq!(
            (now.registered, now.followed_up, now.at_target),
            (3, 2, 1),
            "a only"
        );
        // As of 60 days ago: a's latest was the unmet one (200 days before today), b's the
        // one met 300 days before; both were followed up by then.
        let then = chd(ago(60)).await;
        assert_eq!((then.followed_up, then.at_target), (2, 1), "b only");
        // A year on, neither test is in the year.
        assert_eq!(chd(ago(-400)).await.at_target, 0);
        let by_district = registers
            .counts_by(&of("chd", None), Group::District, today, 4, 104)
            .await
            .unwrap();
        assert_eq!(
            by_district
                .iter()
                .map(|(k, c)| (k.as_str(), c.at_target))
                .collect::<Vec<_>>(),
            [("gulou", 1), ("jiangning", 0)]
        );

        // A corrected result replaces what its record said; a deleted record withdraws it.
        let corrected = Measured {
            replaces: true,
            ..measured("Observation/a2", &a, "chd", NOT_MET, ago(50))
        };
        registers
            .record_measures(&[corrected], &mut new_id, 12)
            .await
            .unwrap();
        assert_eq!(chd(today).await.at_target, 0);
        let deleted = Measured {
            source: "Observation/b1".into(),
            resident_id: None,
            measures: Vec::new(),
            replaces: true,
        };
        registers
            .record_measures(&[deleted], &mut new_id, 13)
            .await
            .unwrap();
        let after = chd(today).await;
        assert_eq!(
            after.at_target, 1,
            "b's latest is again the test met 300 days ago"
        );
        let by_centre = registers
            .counts_by(&of("chd", None), Group::CommunityCentre, today, 4, 104)
            .await
            .unwrap();
        assert_eq!(
            by_centre
                .iter()
                .map(|(k, c)| (k.as_str(), c.at_target))
                .collect::<Vec<_>>(),
            [("chc-gulou", 0), ("chc-jiangning", 1)]
        );

        // Spirometry: any in the year, counted from its day.
        registers
            .record_measures(
                &[measured(
                    "Procedure/s1",
                    &a,
                    "copd",
                    Measure::Examination,
                    ago(60),
                )],
                &mut new_id,
                14,
            )
            .await
            .unwrap();
        let copd = |day: Date| {
            let registers = registers.clone();
            async move {
                registers
                    .counts(&of("copd", None), day, 4, 104)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(copd(today).await.examined, 1);
        assert_eq!(copd(ago(70)).await.examined, 0, "not yet 70 days ago");
        assert_eq!(copd(ago(50)).await.examined, 1);
        assert_eq!(copd(ago(-320)).await.examined, 0, "a year after");

        // A rehabilitation follow-up of a stroke survivor.
        registers
            .record_measures(
                &[measured(
                    "Encounter/f1",
                    &b,
                    "stroke",
                    Measure::Assessment,
                    ago(90),
                )],
                &mut new_id,
                15,
            )
            .await
            .unwrap();
        let stroke = registers
            .counts(&of("stroke", None), today, 4, 104)
            .await
            .unwrap();
        assert_eq!((stroke.registered, stroke.assessed), (1, 1));
        let before = registers
            .counts(&of("stroke", None), ago(100), 4, 104)
            .await
            .unwrap();
        assert_eq!(before.assessed, 0);
        // Other registers' counts are untouched by these measures.
        assert_eq!((now.examined, now.assessed), (0, 0));
        assert_eq!(
            registers
                .record_measures(&[], &mut new_id, 16)
                .await
                .unwrap(),
            0
        );
    }
}
