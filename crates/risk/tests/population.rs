//! Population scores on SQLite and PostgreSQL: each resident's China-PAR inputs read from the
//! resident index, the registers and the record store's index rows, each with its source;
//! assumptions flagged; refusals and missing inputs said; refresh recomputing the residents
//! whose records changed and no others; district counts equal to a direct count.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use kernel::{ResidentIdNumber, Sex, UtcMillis};
use proptest::prelude::*;
use records::{IndexRow, IndexValue, RecordStore, Write, WriteKind};
use registry::{CareTeam, CaseFinding, PersonFacts, Registers, ResidentIndex, SourceRecord};
use risk::china_par::ChinaPar;
use risk::population::{
    InputKey, InputSource, InputValue, Outcome, PopulationSettings, Reading, ResidentFacts,
    SmokingStatus, Status, assess,
};
use risk::{Scores, migrations};
use serde_json::json;
use store::Db;
use store::sqlx;
use store::testing::TestDatabases;
use vault::Keyring;

struct City {
    index: ResidentIndex,
    registers: Registers,
    records: RecordStore,
    next: u32,
}

fn day_ms(on: Date) -> (i64, i64) {
    let zone = TimeZone::get("Asia/Shanghai").unwrap();
    let low = on
        .to_zoned(zone.clone())
        .unwrap()
        .timestamp()
        .as_millisecond();
    let high = on
        .tomorrow()
        .unwrap()
        .to_zoned(zone)
        .unwrap()
        .timestamp()
        .as_millisecond();
    (low, high)
}

fn token(param: &str, system: Option<&str>, code: &str) -> IndexRow {
    IndexRow {
        param: param.into(),
        value: IndexValue::Token {
            system: system.map(str::to_owned),
            code: code.into(),
        },
    }
}

impl City {
    async fn new(db: &Db) -> City {
        db.migrate(&[registry::migrations(), records::migrations(), migrations()])
            .await
            .unwrap();
        let keys = Arc::new(Keyring::for_tests());
        City {
            index: ResidentIndex::new(db.clone(), keys.clone()),
            registers: Registers::new(db.clone()),
            records: RecordStore::open(db.clone(), keys).await.unwrap(),
            next: 0,
        }
    }

    fn id(&mut self) -> String {
        self.next += 1;
        format!("x{}", self.next)
    }

    async fn resident(&mut self, birth: Date, sex: Sex, district: &str) -> String {
        let n = self.id();
        let facts = PersonFacts {
            id_number: ResidentIdNumber::from_parts(
                "320102",
                birth,
                u16::try_from(self.next).unwrap(),
                sex,
            ),
            name: Some(format!("测试{n}")),
            ..PersonFacts::default()
        };
        let source = SourceRecord {
            organisation_id: "hospital-a".into(),
            source_patient_id: n.clone(),
            facts,
        };
        let id = self
            .index
            .resolve(&source, || format!("res-{n}"))
            .await
            .unwrap()
            .resident_id()
            .unwrap()
            .to_owned();
        self.index
            .set_care_team(
                &id,
                &CareTeam {
                    district: Some(district.into()),
                    ..CareTeam::default()
                },
            )
            .await
            .unwrap();
        id
    }

    async fn enrol(&mut self, resident: &str, disease: &str) {
        let finding = CaseFinding {
            resident_id: resident.into(),
            disease: disease.into(),
            found_on: date(2023, 1, 1),
            source_organisation: "hospital-a".into(),
            source_resource: format!("Condition/{}", self.id()),
            code_system: "http://hl7.org/fhir/sid/icd-10".into(),
            code: "I10".into(),
            rule: "test".into(),
            reason_zh: "测试".into(),
            reason_en: "test".into(),
        };
        let id = self.id();
        self.registers
            .enrol(&finding, || id, UtcMillis::now().0)
            .await
            .unwrap();
    }

    async fn write(
        &mut self,
        resident: &str,
        kind: &str,
        body: serde_json::Value,
        index: Vec<IndexRow>,
    ) {
        let write = Write {
            kind: WriteKind::Create,
            resource_type: kind.into(),
            id: self.id(),
            body: Some(body),
            patient_id: Some(resident.into()),
            index,
        };
        self.records.commit(vec![write]).await.unwrap();
    }

    /// An Observation with the index rows the record store keeps for it.
    async fn observe(&mut self, resident: &str, loinc: &str, value: f64, unit: &str, on: Date) {
        self.observe_with(resident, loinc, value, unit, on, Vec::new())
            .await;
    }

    /// [`City::observe`] with more index rows (a tag).
    async fn observe_with(
        &mut self,
        resident: &str,
        loinc: &str,
        value: f64,
        unit: &str,
        on: Date,
        extra: Vec<IndexRow>,
    ) {
        let (low, high) = day_ms(on);
        let body = json!({ "resourceType": "Observation", "status": "final" });
        let mut index = extra;
        index.extend([
            token("Observation.code", Some("http://loinc.org"), loinc),
            IndexRow {
                param: "Observation.value-quantity".into(),
                value: IndexValue::Quantity {
                    system: Some("http://unitsofmeasure.org".into()),
                    code: Some(unit.into()),
                    value,
                },
            },
            IndexRow {
                param: "Observation.date".into(),
                value: IndexValue::Date { low, high },
            },
        ]);
        self.write(resident, "Observation", body, index).await;
    }

    /// A home-device daily summary as the platform records it: tagged, under the LOINC code.
    async fn home_daily_mean(
        &mut self,
        resident: &str,
        loinc: &str,
        value: f64,
        unit: &str,
        on: Date,
    ) {
        let (system, code) = devices::RECORD_SOURCE_TAG;
        let tag = token("Observation._tag", Some(system), code);
        self.observe_with(resident, loinc, value, unit, on, vec![tag])
            .await;
    }

    async fn smoking_status(&mut self, resident: &str, snomed: &str, on: Date) {
        let (low, high) = day_ms(on);
        let body = json!({ "resourceType": "Observation", "status": "final" });
        let index = vec![
            token("Observation.code", Some("http://loinc.org"), "72166-2"),
            token(
                "Observation.value-concept",
                Some("http://snomed.info/sct"),
                snomed,
            ),
            IndexRow {
                param: "Observation.date".into(),
                value: IndexValue::Date { low, high },
            },
        ];
        self.write(resident, "Observation", body, index).await;
    }

    async fn medication(&mut self, resident: &str, atc: &str, status: &str) {
        let body = json!({ "resourceType": "MedicationStatement", "status": status });
        let index = vec![
            token(
                "MedicationStatement.code",
                Some("http://www.whocc.no/atc"),
                atc,
            ),
            token(
                "MedicationStatement.status",
                Some("http://hl7.org/fhir/medication-statement-status"),
                status,
            ),
        ];
        self.write(resident, "MedicationStatement", body, index)
            .await;
    }

    /// SBP, TC, HDL-C and waist.
    async fn full_panel(&mut self, resident: &str, sbp: f64, on: Date) {
        self.observe(resident, "8480-6", sbp, "mm[Hg]", on).await;
        self.observe(resident, "2093-3", 5.4, "mmol/L", on).await;
        self.observe(resident, "2085-9", 1.1, "mmol/L", on).await;
        self.observe(resident, "8280-0", 90.0, "cm", on).await;
    }
}

/// Settings without the refresh overlap, so a test sees exactly which residents a refresh
/// picks (the overlap makes a refresh redo the residents changed just before the previous one).
fn no_overlap() -> PopulationSettings {
    let mut s = PopulationSettings::builtin().unwrap().clone();
    s.refresh.overlap_seconds.value = 0;
    s
}

/// A time strictly after every record written so far.
fn after(previous: UtcMillis) -> UtcMillis {
    loop {
        let now = UtcMillis::now();
        if now.0 > previous.0 {
            return now;
        }
        std::hint::spin_loop();
    }
}

fn status_of(scores: &[risk::population::Score], id: &str) -> Status {
    scores
        .iter()
        .find(|s| s.resident_id == id)
        .unwrap()
        .status()
}

#[tokio::test]
async fn scores_are_read_from_the_records_with_sources_and_recomputed_when_they_change() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let mut city = City::new(db).await;
        // A: a 60-year-old man in Pukou (north of the river) with diabetes, a current smoker,
        // on an ATC-coded calcium channel blocker; readings in mg/dL and an older SBP.
        let a = city.resident(date(1964, 1, 1), Sex::Male, "pukou").await;
        city.enrol(&a, "t2dm").await;
        city.enrol(&a, "hypertension").await;
        city.observe(&a, "8480-6", 128.0, "mm[Hg]", date(2024, 1, 1))
            .await;
        city.observe(&a, "8480-6", 150.0, "mm[Hg]", date(2025, 3, 1))
            .await;
        // An implausible reading later than both is skipped, not used.
        city.observe(&a, "8480-6", 400.0, "mm[Hg]", date(2025, 4, 1))
            .await;
        city.observe(&a, "2093-3", 220.0, "mg/dL", date(2025, 3, 1))
            .await;
        city.observe(&a, "2085-9", 40.0, "mg/dL", date(2025, 3, 1))
            .await;
        city.observe(&a, "8280-0", 92.0, "cm", date(2025, 3, 1))
            .await;
        city.smoking_status(&a, "449868002", date(2025, 3, 1)).await;
        city.medication(&a, "C08CA01", "active").await;
        // B: a woman in Gulou with no waist measured: not assessable, waist named.
        let b = city.resident(date(1970, 5, 5), Sex::Female, "gulou").await;
        city.observe(&b, "8480-6", 135.0, "mm[Hg]", date(2025, 2, 1))
            .await;
        city.observe(&b, "2093-3", 5.0, "mmol/L", date(2025, 2, 1))
            .await;
        city.observe(&b, "2085-9", 1.3, "mmol/L", date(2025, 2, 1))
            .await;
        // B stopped an antihypertensive: a stopped one does not count.
        city.medication(&b, "C09AA05", "stopped").await;
        // C: on the stroke register: refused, whatever the readings.
        let c = city
            .resident(date(1955, 1, 1), Sex::Male, "jiangning")
            .await;
        city.enrol(&c, "stroke").await;
        city.full_panel(&c, 140.0, date(2025, 1, 1)).await;
        // D: 30 years old: outside 35–74.
        let d = city.resident(date(1995, 6, 1), Sex::Female, "xuanwu").await;
        city.full_panel(&d, 120.0, date(2025, 1, 1)).await;

        let scores = Scores::with_settings(db.clone(), no_overlap()).unwrap();
        let first = UtcMillis::now();
        let report = scores.refresh_due(first).await.unwrap();
        assert_eq!(report.residents, 4, "the first refresh computes everyone");
        assert_eq!(
            (report.assessed, report.refused, report.not_assessable),
            (1, 2, 1)
        );

        let sa = scores.latest(&a).await.unwrap().unwrap();
        assert_eq!(sa.status(), Status::Assessed);
        assert_eq!(sa.district.as_deref(), Some("pukou"));
        let value = |key| sa.input(key).unwrap().value.clone();
        assert_eq!(
            value(InputKey::SbpMmhg),
            InputValue::Number { value: 150.0 }
        );
        let tc = match value(InputKey::TotalCholesterol) {
            InputValue::Number { value } => value,
            other => panic!("{other:?}"),
        };
        assert!(
            (tc - 220.0 * 0.0259).abs() < 1e-9,
            "mg/dL converted with China-PAR's factor"
        );
        assert_eq!(
            value(InputKey::Age),
            InputValue::Number {
                value: f64::from(first.city_date().year() - 1964)
            }
        );
        assert_eq!(value(InputKey::Smoker), InputValue::Flag { value: true });
        assert_eq!(value(InputKey::North), InputValue::Flag { value: true });
        assert_eq!(value(InputKey::Diabetes), InputValue::Flag { value: true });
        assert_eq!(
            value(InputKey::OnBpTreatment),
            InputValue::Flag { value: true }
        );
        assert_eq!(
            sa.input(InputKey::OnBpTreatment).unwrap().source,
            InputSource::Medication {
                code: "C08CA01".into()
            }
        );
        assert_eq!(
            sa.input(InputKey::SbpMmhg).unwrap().source,
            InputSource::Observation {
                code: "8480-6".into(),
                at: day_ms(date(2025, 3, 1)).0
            }
        );
        assert_eq!(
            sa.input(InputKey::North).unwrap().source,
            InputSource::District {
                key: "pukou".into()
            }
        );
        // Only urban and family history are assumed for A, and they say so.
        let mut assumed: Vec<InputKey> = sa.assumed().map(|i| i.key).collect();
        assumed.sort();
        assert_eq!(assumed, [InputKey::Urban, InputKey::FamilyHistory]);
        // The stored risk is the model's on the same inputs, and its explanation is there.
        let model = ChinaPar::builtin().unwrap();
        let direct = model.assess(&sa.calculator_input()).unwrap();
        assert!((sa.risk_percent().unwrap() - direct.risk_percent).abs() < 1e-9);
        assert_eq!(sa.band(), Some(direct.band.key.as_str()));
        assert!(sa.explain(model).is_some());

        let sb = scores.latest(&b).await.unwrap().unwrap();
        match &sb.outcome {
            Outcome::NotAssessable { missing } => {
                assert_eq!(
                    missing.iter().map(|m| m.field.as_str()).collect::<Vec<_>>(),
                    ["waist_cm"]
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(
            sb.input(InputKey::OnBpTreatment).unwrap().assumed(),
            "a stopped drug is no treatment"
        );
        assert!(sb.input(InputKey::Smoker).unwrap().assumed());
        assert_eq!(
            sb.input(InputKey::North).unwrap().value,
            InputValue::Flag { value: false }
        );

        let sc = scores.latest(&c).await.unwrap().unwrap();
        match &sc.outcome {
            Outcome::Refused { reason } => assert_eq!(reason.field, "has_ascvd"),
            other => panic!("{other:?}"),
        }
        let sd = scores.latest(&d).await.unwrap().unwrap();
        match &sd.outcome {
            Outcome::Refused { reason } => {
                assert_eq!(reason.field, "age");
                assert!(reason.en.contains("35"), "{}", reason.en);
            }
            other => panic!("{other:?}"),
        }

        // Nothing changed: nobody is recomputed.
        let second = after(first);
        assert_eq!(scores.refresh_due(second).await.unwrap().residents, 0);

        // B's waist arrives: B alone is recomputed, and now has a risk.
        let _ = after(second);
        city.observe(&b, "8280-0", 84.0, "cm", date(2025, 5, 1))
            .await;
        let third = after(second);
        let report = scores.refresh_due(third).await.unwrap();
        assert_eq!(report.residents, 1);
        assert_eq!(report.assessed, 1);
        let sb = scores.latest(&b).await.unwrap().unwrap();
        assert_eq!(sb.status(), Status::Assessed);
        assert_eq!(sb.assessed_at, third.0);

        // A new enrolment (A has a stroke) is a change too: A is now refused.
        let _ = after(third);
        city.enrol(&a, "stroke").await;
        let fourth = after(third);
        let report = scores.refresh_due(fourth).await.unwrap();
        assert_eq!(report.residents, 1);
        assert_eq!(
            status_of(
                &scores
                    .of_residents(std::slice::from_ref(&a), None)
                    .await
                    .unwrap(),
                &a
            ),
            Status::Refused
        );

        // A day later every score is redone (ages change without records).
        let tomorrow = UtcMillis(fourth.0 + 25 * 3_600_000);
        assert_eq!(scores.refresh_due(tomorrow).await.unwrap().residents, 4);

        // District counts equal a direct count of the table.
        let counts = scores.by_district().await.unwrap();
        let direct: Vec<(Option<String>, String, Option<String>, i64)> = {
            use store::sqlx::Row;
            sqlx::query("SELECT district, status, band, COUNT(*) FROM risk_scores GROUP BY district, status, band")
                .fetch_all(db.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect()
        };
        let total: u64 = counts.iter().map(|c| c.total()).sum();
        assert_eq!(total, direct.iter().map(|d| d.3 as u64).sum::<u64>());
        assert_eq!(total, 4);
        let gulou = counts
            .iter()
            .find(|c| c.district.as_deref() == Some("gulou"))
            .unwrap();
        assert_eq!(gulou.assessed(), 1);
        let refused: u64 = counts.iter().map(|c| c.refused).sum();
        assert_eq!(refused, 3, "A (stroke), C (stroke), D (age)");

        // The high-risk list of some residents is only theirs, highest first.
        let listed = scores
            .of_residents(&[b.clone(), c.clone()], Some("high"))
            .await
            .unwrap();
        assert!(
            listed
                .iter()
                .all(|s| s.resident_id == b || s.resident_id == c)
        );
        assert!(listed.iter().all(|s| s.band() == Some("high")));
    }
}

/// China-PAR reads clinic blood pressure: a later home-device daily mean (tagged as such by
/// the platform, `excluded_tags` in population.toml) does not replace the check-up's value.
#[tokio::test]
async fn home_device_daily_summaries_are_not_read_as_clinic_blood_pressure() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let mut city = City::new(db).await;
        let id = city.resident(date(1962, 4, 1), Sex::Male, "gulou").await;
        city.full_panel(&id, 152.0, date(2025, 3, 1)).await;
        city.home_daily_mean(&id, "8480-6", 118.0, "mm[Hg]", date(2025, 6, 1))
            .await;
        let scores = Scores::new(db.clone()).unwrap();
        scores.refresh_all(UtcMillis::now()).await.unwrap();
        let score = scores.latest(&id).await.unwrap().unwrap();
        let sbp = score.input(InputKey::SbpMmhg).unwrap();
        assert_eq!(sbp.value, InputValue::Number { value: 152.0 }, "{score:?}");

        // Untagged, the same later value is a clinic reading and is read.
        city.observe(&id, "8480-6", 118.0, "mm[Hg]", date(2025, 6, 2))
            .await;
        scores.refresh_all(UtcMillis::now()).await.unwrap();
        let score = scores.latest(&id).await.unwrap().unwrap();
        let sbp = score.input(InputKey::SbpMmhg).unwrap();
        assert_eq!(sbp.value, InputValue::Number { value: 118.0 });
    }
}

#[tokio::test]
async fn the_naive_baseline_and_the_set_based_refresh_agree() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let mut city = City::new(db).await;
        let mut ids = Vec::new();
        let districts = ["luhe", "qinhuai", "jianye", "pukou", "lishui"];
        for i in 0..14usize {
            let sex = if i % 2 == 0 { Sex::Male } else { Sex::Female };
            let birth = date(1955 + (i % 5) as i16 * 4, 3, 3);
            let id = city.resident(birth, sex, districts[i % 5]).await;
            if i % 3 == 0 {
                // No waist: not assessable, so the row's risk is NULL.
                city.observe(&id, "8480-6", 150.0, "mm[Hg]", date(2025, 1, 1))
                    .await;
                city.observe(&id, "2093-3", 5.4, "mmol/L", date(2025, 1, 1))
                    .await;
                city.observe(&id, "2085-9", 1.1, "mmol/L", date(2025, 1, 1))
                    .await;
            } else {
                city.full_panel(&id, 120.0 + 5.0 * i as f64, date(2025, 1, 1))
                    .await;
            }
            ids.push(id);
        }
        let scores = Scores::new(db.clone()).unwrap();
        let now = UtcMillis::now();
        let naive = scores.refresh_naively(now).await.unwrap();
        let naive_scores = scores.of_residents(&ids, None).await.unwrap();
        let set = scores.refresh_all(now).await.unwrap();
        let set_scores = scores.of_residents(&ids, None).await.unwrap();
        assert_eq!(naive, set);
        assert_eq!(naive_scores, set_scores);
        assert_eq!((set.assessed, set.not_assessable), (9, 5));
        // The same statement again with numbers where NULLs were: PostgreSQL keeps the
        // parameter types of its first preparation.
        for id in ids.iter().step_by(3) {
            city.observe(id, "8280-0", 88.0, "cm", date(2025, 2, 1))
                .await;
        }
        let again = scores.refresh_all(UtcMillis::now()).await.unwrap();
        assert_eq!((again.assessed, again.not_assessable), (14, 0));
    }
}

#[test]
fn the_settings_load_and_every_flag_the_records_may_lack_has_an_assumption() {
    let s = PopulationSettings::builtin().unwrap();
    for key in [
        InputKey::OnBpTreatment,
        InputKey::Smoker,
        InputKey::North,
        InputKey::Urban,
        InputKey::FamilyHistory,
    ] {
        let a = s.assumption_for(key).unwrap();
        assert!(!a.zh.is_empty() && !a.en.is_empty());
    }
    assert!(
        s.assumption_for(InputKey::Urban).unwrap().value,
        "Nanjing is urban"
    );
    assert!(!s.assumption_for(InputKey::FamilyHistory).unwrap().value);
    // A file without the family-history assumption is refused, naming what is missing.
    let text = risk::population::SETTINGS_FILE
        .1
        .replace("input = \"family_history\"", "input = \"smoker\"");
    let err = PopulationSettings::parse("population.toml", &text).unwrap_err();
    assert!(err.to_string().contains("family_history"), "{err}");
    assert_eq!(s.refresh.every_seconds.value, 60);
}

fn arb_facts() -> impl Strategy<Value = ResidentFacts> {
    (
        prop::option::of(prop::bool::ANY),
        prop::option::of(30i16..80),
        prop::option::of(prop::sample::select(vec!["pukou", "gulou", "nowhere"])),
        prop::collection::vec(
            prop::sample::select(vec!["t2dm", "stroke", "chd", "copd"]),
            0..3,
        ),
        [
            prop::option::of(90.0f64..200.0),
            prop::option::of(3.0f64..8.0),
            prop::option::of(0.6f64..2.5),
            prop::option::of(60.0f64..120.0),
        ],
        prop::option::of(prop::bool::ANY),
        prop::option::of(Just("C03AA03".to_owned())),
    )
        .prop_map(|(male, age, district, registers, m, smoking, drug)| {
            let mut facts = ResidentFacts {
                resident_id: "r".into(),
                sex: male.map(|m| {
                    if m {
                        risk::china_par::Sex::Male
                    } else {
                        risk::china_par::Sex::Female
                    }
                }),
                birth: age.map(|a| date(2025 - a, 1, 1)),
                district: district.map(str::to_owned),
                registers: registers.into_iter().map(str::to_owned).collect(),
                smoking: smoking.map(|current| SmokingStatus { current, at: 0 }),
                antihypertensive: drug,
                ..ResidentFacts::default()
            };
            let keys = [
                InputKey::SbpMmhg,
                InputKey::TotalCholesterol,
                InputKey::HdlCholesterol,
                InputKey::WaistCm,
            ];
            for (key, value) in keys.into_iter().zip(m) {
                if let Some(value) = value {
                    facts.measurements.insert(
                        key,
                        Reading {
                            code: "c".into(),
                            value,
                            at: 0,
                        },
                    );
                }
            }
            facts
        })
}

proptest! {
    /// Whatever the records hold: an input is assumed exactly when the records lack it, an
    /// assumed input carries the file's value, and the outcome is the model's on the inputs.
    #[test]
    fn an_input_is_assumed_exactly_when_the_records_lack_it(facts in arb_facts()) {
        let model = ChinaPar::builtin().unwrap();
        let settings = PopulationSettings::builtin().unwrap();
        let score = assess(model, settings, &facts, date(2025, 6, 1), UtcMillis(0));
        let known_district = facts.district.as_deref().is_some_and(|d| city::districts().by_key(d).is_some());
        let lacking = |key: InputKey| match key {
            InputKey::OnBpTreatment => facts.antihypertensive.is_none(),
            InputKey::Smoker => facts.smoking.is_none(),
            InputKey::North => !known_district,
            InputKey::Urban | InputKey::FamilyHistory => true,
            _ => false,
        };
        for input in &score.inputs {
            prop_assert_eq!(input.assumed(), lacking(input.key), "{:?}", input.key);
            if input.assumed() {
                let a = settings.assumption_for(input.key).unwrap();
                prop_assert_eq!(&input.value, &InputValue::Flag { value: a.value });
            }
        }
        let direct = model.assess(&score.calculator_input());
        match (&score.outcome, direct) {
            (Outcome::Assessed { risk_percent, top_factor, .. }, Ok(a)) => {
                prop_assert!((risk_percent - a.risk_percent).abs() < 1e-12);
                prop_assert_eq!(*top_factor, a.raises.first().map(|r| r.factor));
            }
            (Outcome::Refused { .. }, Err(risk::china_par::Refusal::OutOfPopulation(_))) => {}
            (Outcome::NotAssessable { missing }, Err(risk::china_par::Refusal::Invalid(e))) => {
                prop_assert_eq!(missing.len(), e.len());
            }
            (outcome, direct) => prop_assert!(false, "{:?} vs {:?}", outcome, direct.map(|a| a.risk_percent)),
        }
    }
}
