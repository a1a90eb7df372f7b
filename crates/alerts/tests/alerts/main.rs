//! Alerts on both backends: thresholds from the templates at their boundaries, trends,
//! episodes and storms, the inbox and who may act, escalation, the webhook, the resident's
//! view, and a property over the order of facts.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod episodes;
mod escalation;
mod inbox;
mod intake;
mod property;
mod thresholds;
mod trends;
mod webhook;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use alerts::{Alerts, CareLookup, ReadingFact, RuleBook};
use jiff::civil::Date;
use kernel::{ResidentIdNumber, Sex};
use ledger::Ledger;
use registry::{CareTeam, CaseFinding, PersonFacts, Registers, ResidentIndex, SourceRecord};
use store::Db;
use vault::Keyring;

/// 2030-01-01T04:00:00Z, noon in the city.
pub const T0: i64 = 1_893_470_400_000;
pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 86_400_000;

pub struct Fixture {
    pub db: Db,
    pub alerts: Alerts,
    pub index: ResidentIndex,
    pub registers: Registers,
    pub ledger: Ledger,
}

pub async fn fixture(db: &Db) -> Fixture {
    db.migrate(&[
        registry::migrations(),
        ledger::migrations(),
        alerts::migrations(),
    ])
    .await
    .unwrap();
    let keys = Keyring::for_tests();
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .unwrap();
    let index = ResidentIndex::new(db.clone(), Arc::new(keys));
    let registers = Registers::new(db.clone());
    let care = CareLookup::new(index.clone(), registers.clone());
    let alerts = Alerts::new(
        db.clone(),
        ledger.clone(),
        care,
        RuleBook::builtin().unwrap(),
    );
    Fixture {
        db: db.clone(),
        alerts,
        index,
        registers,
        ledger,
    }
}

/// Who looks after a test resident.
#[derive(Clone, Copy)]
pub struct Care<'a> {
    pub doctor: Option<&'a str>,
    pub centre: Option<&'a str>,
    pub district: Option<&'a str>,
}

pub const CARE: Care<'static> = Care {
    doctor: Some("doc-1"),
    centre: Some("chc-1"),
    district: Some("gulou"),
};

/// A resident in the master index, born on `birth`, with a care team, on `registers`.
pub async fn resident(f: &Fixture, birth: Date, care: Care<'_>, registers: &[&str]) -> String {
    static SEQ: AtomicU16 = AtomicU16::new(1);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed) % 499 + 1;
    let facts = PersonFacts {
        id_number: Some(ResidentIdNumber::from_parts("320102", birth, seq, Sex::Male).unwrap()),
        name: Some(format!("测试{seq}")),
        sex: Some(Sex::Male),
        ..PersonFacts::default()
    };
    let source = SourceRecord {
        organisation_id: "hospital-a".into(),
        source_patient_id: format!("p{seq}-{}", kernel::Id::new()),
        facts,
    };
    let id = f
        .index
        .resolve(&source, || kernel::Id::new().to_string())
        .await
        .unwrap()
        .resident_id()
        .unwrap()
        .to_owned();
    f.index
        .set_care_team(
            &id,
            &CareTeam {
                district: care.district.map(Into::into),
                community_centre_id: care.centre.map(Into::into),
                family_doctor_id: care.doctor.map(Into::into),
                ..CareTeam::default()
            },
        )
        .await
        .unwrap();
    for disease in registers {
        f.registers
            .enrol(
                &CaseFinding {
                    resident_id: id.clone(),
                    disease: (*disease).into(),
                    found_on: jiff::civil::date(2025, 1, 1),
                    source_organisation: "hospital-a".into(),
                    source_resource: "Condition/1".into(),
                    code_system: "http://hl7.org/fhir/sid/icd-10".into(),
                    code: "I10".into(),
                    rule: "test".into(),
                    reason_zh: "测试".into(),
                    reason_en: "test".into(),
                },
                || kernel::Id::new().to_string(),
                T0,
            )
            .await
            .unwrap();
    }
    id
}

pub fn fact(resident: &str, key: &str, value: f64, at: i64, source: &str) -> ReadingFact {
    ReadingFact {
        resident_id: resident.into(),
        key: key.into(),
        value,
        at,
        source: source.into(),
    }
}

/// A blood-pressure reading's two facts.
pub fn bp(resident: &str, sbp: f64, dbp: f64, at: i64) -> Vec<ReadingFact> {
    let source = format!("device:bp/{}", kernel::Id::new());
    vec![
        fact(resident, "sbp", sbp, at, &source),
        fact(resident, "dbp", dbp, at, &source),
    ]
}

/// The bound of the first danger rule with key `rule` on `element`.
pub fn danger_condition(book: &RuleBook, rule: &str, element: &str) -> diseases::Condition {
    book.danger_rules()
        .iter()
        .find(|r| r.key == rule)
        .unwrap()
        .when
        .iter()
        .find(|c| c.key == element)
        .unwrap()
        .clone()
}
