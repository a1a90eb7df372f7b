//! The online clinic on both backends, through its service: pilots, eligibility refusals with
//! their reasons, the consultation's life, prescriptions signed, checked and reviewed.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod consultations;
mod dispensing;
mod notifications;
mod pilots;
mod prescriptions;
mod refusals;

use std::sync::Arc;

use access::{
    Accounts, Bureau, NewOrganisation, NewUser, Organisation, OrganisationKind, Principal, Role,
    Scope, SecurityPolicy,
};
use alerts::{Alerts, CareLookup, RuleBook};
use clinic::{Clinic, NewConsultation, Offering};
use clinical::{Actor, Clinical};
use jiff::ToSpan;
use jiff::civil::Date;
use kernel::{ResidentIdNumber, Sex, UtcMillis};
use ledger::{Ledger, PurposeOfUse};
use registry::{CareTeam, Visit};
use serde_json::json;
use store::Db;
use vault::Keyring;

pub const PASSWORD: &str = "Clinic-Test-Pass-2026";

/// A small city: a health commission, two internet hospitals and one without, a community
/// centre; an official, doctors, pharmacists and residents.
pub struct World {
    pub db: Db,
    pub clinic: Clinic,
    pub clinical: Clinical,
    pub alerts: Alerts,
    pub ledger: Ledger,
    pub accounts: Accounts,
    pub hospital_a: Organisation,
    pub hospital_b: Organisation,
    pub clinic_only: Organisation,
    /// A community pharmacy that stocks the demo's medicine, and one that has too little.
    pub pharmacy: Organisation,
    pub pharmacy_short: Organisation,
    pub official: Principal,
    pub doctor: Principal,
    pub junior: Principal,
    pub pharmacist: Principal,
    pub pharmacist2: Principal,
    pub pharmacist_b: Principal,
    /// Pharmacists of the community pharmacies.
    pub pharmacy_pharmacist: Principal,
    pub pharmacy_short_pharmacist: Principal,
    pub patient: Principal,
    pub patient_resident: String,
    pub stranger: Principal,
}

pub async fn world(db: &Db) -> World {
    db.migrate(&[
        access::migrations(),
        ledger::migrations(),
        records::migrations(),
        registry::migrations(),
        clinical::migrations(),
        alerts::migrations(),
        clinic::migrations(),
    ])
    .await
    .unwrap();
    let keys = Arc::new(Keyring::for_tests());
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .unwrap();
    let accounts = Accounts::new(db.clone(), keys.clone(), SecurityPolicy::default());
    let clinical = Clinical::open(db.clone(), keys.clone(), ledger.clone())
        .await
        .unwrap();
    let care = CareLookup::new(clinical.residents().clone(), clinical.registers().clone());
    let alerts = Alerts::new(
        db.clone(),
        ledger.clone(),
        care,
        RuleBook::builtin().unwrap(),
    );
    let clinic = Clinic::new(
        db.clone(),
        ledger.clone(),
        accounts.clone(),
        clinical.clone(),
        alerts.clone(),
        keys,
    );
    let org = |kind, zh: &str, district: Option<&str>, internet: bool, bureau: Option<Bureau>| {
        NewOrganisation {
            kind: Some(kind),
            bureau,
            name_zh: zh.into(),
            name_en: zh.into(),
            district: district.map(Into::into),
            internet_hospital: internet,
            ..NewOrganisation::default()
        }
    };
    use OrganisationKind as K;
    let commission = accounts
        .create_organisation(org(
            K::MunicipalBureau,
            "卫健委",
            None,
            false,
            Some(Bureau::HealthCommission),
        ))
        .await
        .unwrap();
    let public = accounts
        .create_organisation(org(K::Public, "居民", None, false, None))
        .await
        .unwrap();
    let hospital_a = accounts
        .create_organisation(org(
            K::Hospital,
            "甲医院（测试）",
            Some("gulou"),
            true,
            None,
        ))
        .await
        .unwrap();
    let hospital_b = accounts
        .create_organisation(org(
            K::Hospital,
            "乙医院（测试）",
            Some("jiangbei"),
            true,
            None,
        ))
        .await
        .unwrap();
    let clinic_only = accounts
        .create_organisation(org(
            K::Hospital,
            "丙医院（测试）",
            Some("qinhuai"),
            false,
            None,
        ))
        .await
        .unwrap();
    let pharmacy = accounts
        .create_organisation(org(
            K::Pharmacy,
            "鼓楼康民大药房（演示）",
            Some("gulou"),
            false,
            None,
        ))
        .await
        .unwrap();
    let pharmacy_short = accounts
        .create_organisation(org(
            K::Pharmacy,
            "秦淮济民大药房（演示）",
            Some("qinhuai"),
            false,
            None,
        ))
        .await
        .unwrap();
    let user = |name: &str, org: &Organisation, role: Role, scope: Scope| {
        let accounts = accounts.clone();
        let name = name.to_owned();
        let org_id = org.id.clone();
        async move {
            accounts
                .create_user(NewUser {
                    username: name.clone(),
                    display_name: format!("{name}（测试）"),
                    organisation_id: org_id,
                    password: PASSWORD.into(),
                    mobile: None,
                    grants: vec![access::Grant { role, scope }],
                    must_change_password: false,
                })
                .await
                .unwrap();
            let (_, principal) = accounts.login(&name, PASSWORD).await.unwrap().unwrap();
            principal
        }
    };
    let own = |o: &Organisation| Scope::Organisation(o.id.clone());
    let official = user("official", &commission, Role::BureauOfficial, Scope::City).await;
    let doctor = user(
        "doctor",
        &hospital_a,
        Role::HospitalDoctor,
        own(&hospital_a),
    )
    .await;
    let junior = user(
        "junior",
        &hospital_a,
        Role::HospitalDoctor,
        own(&hospital_a),
    )
    .await;
    let pharmacist = user(
        "pharmacist",
        &hospital_a,
        Role::Pharmacist,
        own(&hospital_a),
    )
    .await;
    let pharmacist2 = user(
        "pharmacist2",
        &hospital_a,
        Role::Pharmacist,
        own(&hospital_a),
    )
    .await;
    let pharmacist_b = user(
        "pharmacistb",
        &hospital_b,
        Role::Pharmacist,
        own(&hospital_b),
    )
    .await;
    let pharmacy_pharmacist = user("kangmin", &pharmacy, Role::Pharmacist, own(&pharmacy)).await;
    let pharmacy_short_pharmacist = user(
        "jimin",
        &pharmacy_short,
        Role::Pharmacist,
        own(&pharmacy_short),
    )
    .await;
    let patient = user("patient", &public, Role::Resident, Scope::Own).await;
    let stranger = user("stranger", &public, Role::Resident, Scope::Own).await;

    let mut w = World {
        db: db.clone(),
        clinic,
        clinical,
        alerts,
        ledger,
        accounts,
        hospital_a,
        hospital_b,
        clinic_only,
        pharmacy,
        pharmacy_short,
        official,
        doctor,
        junior,
        pharmacist,
        pharmacist2,
        pharmacist_b,
        pharmacy_pharmacist,
        pharmacy_short_pharmacist,
        patient,
        patient_resident: String::new(),
        stranger,
    };
    let today = UtcMillis::now().city_date();
    w.patient_resident = w
        .resident(ResidentSpec {
            birth: jiff::civil::date(1960, 5, 4),
            id_number: true,
            account: Some(w.patient.user_id.clone()),
            diagnosed: Some(date_before(today, 3 * 365)),
            medicine_since: Some(date_before(today, 2 * 365)),
            followup: Some((date_before(today, 30), Some(true))),
            household: Some("household-1".into()),
        })
        .await;
    // The stranger is a resident too, with no authority over the patient.
    w.resident(ResidentSpec {
        birth: jiff::civil::date(1970, 1, 1),
        id_number: true,
        account: Some(w.stranger.user_id.clone()),
        diagnosed: None,
        medicine_since: None,
        followup: None,
        household: None,
    })
    .await;
    w.make_pilots_and_doctors().await;
    w
}

pub fn date_before(day: Date, days: i64) -> Date {
    day.checked_sub(days.days()).unwrap()
}

/// A resident to create.
pub struct ResidentSpec {
    pub birth: Date,
    /// Whether the hospital sent the resident ID number (the real-name identifier).
    pub id_number: bool,
    pub account: Option<String>,
    /// The day an offline hospital diagnosed hypertension (none: no diagnosis).
    pub diagnosed: Option<Date>,
    /// Since when the resident takes amlodipine.
    pub medicine_since: Option<Date>,
    /// The last follow-up: day and whether controlled.
    pub followup: Option<(Date, Option<bool>)>,
    pub household: Option<String>,
}

impl World {
    /// A resident whose record the offline hospital (丙) sent: Patient, the hypertension
    /// diagnosis, the medicine; the account bound to them; the last follow-up on the register.
    pub async fn resident(&self, spec: ResidentSpec) -> String {
        use std::sync::atomic::{AtomicU16, Ordering};
        static SEQ: AtomicU16 = AtomicU16::new(1);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed) % 900 + 1;
        let number = ResidentIdNumber::from_parts("320102", spec.birth, seq, Sex::Female).unwrap();
        let hospital = Actor {
            purpose: PurposeOfUse::Treatment,
            ..Actor::system(&self.clinic_only.id)
        };
        let mut entries = vec![json!({
            "fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001",
            "resource": {
                "resourceType": "Patient",
                "identifier": if spec.id_number {
                    json!([{ "system": "urn:oid:2.16.156.10011.1.1", "value": number.as_str() }])
                } else {
                    json!([{ "system": "urn:test:hospital-c", "value": format!("mrn-{seq}") }])
                },
                "name": [{ "text": format!("测试{seq}") }],
                "gender": "female",
                "birthDate": spec.birth.to_string()
            },
            "request": { "method": "POST", "url": "Patient" }
        })];
        let patient = "urn:uuid:00000000-0000-4000-8000-000000000001";
        if let Some(day) = spec.diagnosed {
            entries.push(json!({
                "resource": {
                    "resourceType": "Condition",
                    "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
                    "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed" }] },
                    "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": "I10", "display": "原发性高血压" }] },
                    "subject": { "reference": patient },
                    "onsetDateTime": day.to_string(),
                    "recordedDate": day.to_string()
                },
                "request": { "method": "POST", "url": "Condition" }
            }));
        }
        if let Some(day) = spec.medicine_since {
            entries.push(json!({
                "resource": {
                    "resourceType": "MedicationStatement",
                    "status": "active",
                    "medicationCodeableConcept": {
                        "text": "苯磺酸氨氯地平片",
                        "coding": [{ "system": "http://www.whocc.no/atc", "code": "C08CA01" }]
                    },
                    "subject": { "reference": patient },
                    "effectivePeriod": { "start": day.to_string() }
                },
                "request": { "method": "POST", "url": "MedicationStatement" }
            }));
        }
        let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries });
        let answer = self.clinical.bundle(&hospital, &bundle, "").await.unwrap();
        let patient_id = answer["entry"][0]["resource"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let reader = Actor::system(&self.clinic_only.id);
        let resident_id = self
            .clinical
            .read(&reader, "Patient", &patient_id)
            .await
            .unwrap()
            .patient_id
            .expect("the index placed the patient");
        let resident = self
            .clinical
            .residents()
            .resident(&resident_id)
            .await
            .unwrap()
            .unwrap();
        self.clinical
            .residents()
            .set_care_team(
                &resident.id,
                &CareTeam {
                    district: Some("gulou".into()),
                    household_id: spec.household.clone(),
                    user_id: spec.account.clone(),
                    ..CareTeam::default()
                },
            )
            .await
            .unwrap();
        if let Some((day, controlled)) = spec.followup {
            self.followup(&resident.id, day, controlled).await;
        }
        resident.id
    }

    /// Records a hypertension follow-up on the register.
    pub async fn followup(&self, resident_id: &str, day: Date, controlled: Option<bool>) {
        let registers = self.clinical.registers();
        let enrolment = registers
            .enrolments_of(resident_id)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.disease == "hypertension")
            .expect("on the hypertension register");
        registers
            .record_visit(
                &Visit {
                    enrolment_id: enrolment.id,
                    visit_date: day,
                    recorded_by: "family-doctor".into(),
                    organisation_id: self.clinic_only.id.clone(),
                    controlled,
                    danger: false,
                    encounter: None,
                },
                || kernel::Id::new().to_string(),
                UtcMillis::now().0,
            )
            .await
            .unwrap();
    }

    /// Hospital 甲 and 乙 report volumes and are designated; 甲 offers hypertension with its
    /// senior doctor (verified, 10 years of practice) and its junior one (1 year).
    async fn make_pilots_and_doctors(&self) {
        self.clinic
            .report_volume(&self.doctor, &self.hospital_a.id, "2026-Q3", 900)
            .await
            .unwrap();
        self.clinic
            .report_volume(&self.official, &self.hospital_b.id, "2026-Q3", 500)
            .await
            .unwrap();
        self.clinic
            .designate(&self.official, "2026-Q3", None, None)
            .await
            .unwrap();
        let today = UtcMillis::now().city_date();
        self.clinic
            .verify_practitioner(
                &self.doctor,
                &self.doctor.user_id,
                "110320100012345",
                date_before(today, 3650),
            )
            .await
            .unwrap();
        self.clinic
            .verify_practitioner(
                &self.doctor,
                &self.junior.user_id,
                "110320230012345",
                date_before(today, 365),
            )
            .await
            .unwrap();
        let offering = Offering {
            conditions: ["hypertension".to_owned()].into(),
            doctors: [self.doctor.user_id.clone(), self.junior.user_id.clone()].into(),
        };
        self.clinic
            .set_offering(&self.doctor, &self.hospital_a.id, &offering)
            .await
            .unwrap();
    }

    /// The patient's request to the senior doctor of 甲 for hypertension.
    pub fn request(&self, resident_id: &str) -> NewConsultation {
        NewConsultation {
            resident_id: resident_id.into(),
            hospital_id: self.hospital_a.id.clone(),
            doctor_id: self.doctor.user_id.clone(),
            disease: "hypertension".into(),
            complaint: "血压平稳，申请续方".into(),
            guardian_present: false,
            document: None,
        }
    }

    /// A consultation requested by the patient and accepted by the doctor.
    pub async fn accepted(&self) -> clinic::Consultation {
        let c = self
            .clinic
            .request_consultation(&self.patient, self.request(&self.patient_resident))
            .await
            .unwrap();
        self.clinic
            .accept(&self.doctor, &c.id, true, false)
            .await
            .unwrap()
    }
}

/// The failed rules of a refusal, by code.
pub fn failed_rules(e: &clinic::ClinicError) -> Vec<&'static str> {
    match e {
        clinic::ClinicError::NotEligible(v) => v.failures().map(|f| f.rule.code()).collect(),
        other => panic!("expected a refusal by the rules, got {other:?}"),
    }
}

/// A test that runs `check` once per backend, each on a fresh world.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $check:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let dbs = store::testing::TestDatabases::new().await;
            for db in dbs.all() {
                let w = $crate::world(db).await;
                $check(&w).await;
            }
        }
    };
}
