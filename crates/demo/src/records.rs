//! Demo health records: synthetic residents with chronic conditions, sent by the demo city's
//! hospitals as FHIR transactions, looked after by its community health centres, with a year
//! of follow-up visits. Everything goes through the clinical record service, so every record
//! is validated, linked by the master index, enrolled by case finding and on the ledger.
//!
//! Two more patient records, sent by the demo hospital doctor's hospital without an ID number,
//! share a name, birth date and sex with residents another hospital registered: the master
//! index cannot tell whether they are the same people and leaves them for that hospital's
//! staff to decide (`/registry/reviews`).
//!
//! People are fictional (names from common characters, ID numbers built with valid check
//! digits for the districts' real region codes). How often each disease appears and the
//! measurements are made up for a lively demo; they are not statistics of any population.

use access::{Accounts, OrganisationKind, Role};
use clinical::{Actor, Clinical, FormValue};
use jiff::Span;
use jiff::civil::Date;
use kernel::{ResidentIdNumber, Sex};
use ledger::PurposeOfUse;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use registry::CareTeam;
use serde_json::{Value, json};

use crate::{DemoError, person_name};

/// Residents the demo city has (`lifehealth demo --residents` changes it).
pub const DEMO_RESIDENTS: usize = 600;

/// Uncertain identity matches the demo leaves for the demo hospital's staff to review.
pub const DEMO_REVIEWS: usize = 2;

/// The seed of the records (apart from the city's, so adding records leaves the city as it was).
const SEED: u64 = 20_261_125;

/// Shares of residents who agreed, on the form signed at their community health centre, to
/// de-identified research and to commercial R&D, in per mille (synthetic).
const RESEARCH_CONSENT: u32 = 450;
const COMMERCIAL_CONSENT: u32 = 150;

/// The usual long-term medicine of each demo diagnosis (generic name, dose), for the timeline.
fn usual_medicine(disease: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    // Name, usual dose, WHO ATC code and the platform's catalogue code
    // (crates/prescribing/data/drugs.toml), so a renewal is recognised as the same medicine.
    match disease {
        "hypertension" => (
            "苯磺酸氨氯地平片 amlodipine",
            "5 mg 每日一次 once daily",
            "C08CA01",
            "amlodipine-5mg-tab",
        ),
        "t2dm" => (
            "盐酸二甲双胍片 metformin",
            "500 mg 每日两次 twice daily",
            "A10BA02",
            "metformin-500mg-tab",
        ),
        "chd" => (
            "阿司匹林肠溶片 aspirin",
            "100 mg 每日一次 once daily",
            "B01AC06",
            "aspirin-100mg-ec-tab",
        ),
        "stroke" => (
            "阿托伐他汀钙片 atorvastatin",
            "20 mg 每晚一次 at night",
            "C10AA05",
            "atorvastatin-20mg-tab",
        ),
        _ => (
            "噻托溴铵粉吸入剂 tiotropium",
            "18 μg 每日一次吸入 inhaled once daily",
            "R03BB04",
            "tiotropium-18ug-inh-cap",
        ),
    }
}

/// Diagnoses the demo draws from: template, ICD-10 code, display, synthetic share of residents
/// in per mille.
const DIAGNOSES: [(&str, &str, &str, u32); 5] = [
    ("hypertension", "I10", "原发性高血压", 620),
    ("t2dm", "E11.9", "2型糖尿病，无并发症", 300),
    ("chd", "I25.1", "动脉硬化性心脏病", 120),
    ("stroke", "I63.9", "脑梗死", 90),
    ("copd", "J44.9", "慢性阻塞性肺疾病", 70),
];

/// The tests the hospital sends in the year for the registers that count them: a lipid test
/// for most coronary patients (some laboratories report LDL-C in mg/dL), a spirometry (the
/// procedure and its FEV1/FVC) for about half the COPD patients. Stroke survivors' mRS is
/// recorded at their follow-ups.
async fn hospital_tests(
    clinical: &Clinical,
    hospital: &Actor,
    resident_id: &str,
    disease: &str,
    today: Date,
    level: f64,
    rng: &mut ChaCha8Rng,
) -> Result<(), DemoError> {
    let share = match disease {
        "chd" => 0.8,
        "copd" => 0.55,
        _ => return Ok(()),
    };
    if !rng.gen_bool(share) {
        return Ok(());
    }
    let Some(patient) = clinical
        .residents()
        .sources(resident_id)
        .await
        .map_err(err)?
        .into_iter()
        .find(|(organisation, _)| *organisation == hospital.organisation_id)
        .map(|(_, patient)| patient)
    else {
        return Ok(());
    };
    let day = today
        .checked_sub(Span::new().days(rng.gen_range(7..330)))
        .map_err(err)?;
    let subject = json!({ "reference": format!("Patient/{patient}") });
    let laboratory = json!([{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory" }] }]);
    let observation = |loinc: &str, text: &str, value: f64, unit: &str| {
        json!({
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "category": laboratory,
                "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }], "text": text },
                "subject": subject,
                "effectiveDateTime": day.to_string(),
                "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit }
            },
            "request": { "method": "POST", "url": "Observation" }
        })
    };
    let entries = if disease == "chd" {
        let mmol = demo_value("ldl_c", rng, level).unwrap_or(2.6);
        if rng.gen_bool(0.3) {
            let mg = (mmol * 38.67).round();
            vec![observation(
                "2089-1",
                "低密度脂蛋白胆固醇 LDL-C",
                mg,
                "mg/dL",
            )]
        } else {
            vec![observation(
                "18262-6",
                "低密度脂蛋白胆固醇 LDL-C",
                mmol,
                "mmol/L",
            )]
        }
    } else {
        let ratio = demo_value("fev1_fvc", rng, level).unwrap_or(60.0);
        vec![
            json!({
                "resource": {
                    "resourceType": "Procedure",
                    "status": "completed",
                    "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "127783003", "display": "Spirometry" }], "text": "肺功能检查 spirometry" },
                    "subject": subject,
                    "performedDateTime": day.to_string()
                },
                "request": { "method": "POST", "url": "Procedure" }
            }),
            observation("19926-5", "一秒率 FEV1/FVC", ratio, "%"),
        ]
    };
    let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries });
    clinical.bundle(hospital, &bundle, "").await.map_err(err)?;
    Ok(())
}

/// What was generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecordsSummary {
    pub residents: usize,
    pub enrolments: usize,
    pub visits: usize,
}

fn err(e: impl std::fmt::Display) -> DemoError {
    DemoError::Inconsistent(format!("demo records: {e}"))
}

/// A plausible value of a data element for the demo, in its canonical unit, varying around
/// `level` (0 well controlled … 1 poorly).
fn demo_value(key: &str, rng: &mut ChaCha8Rng, level: f64) -> Option<f64> {
    let jitter = |rng: &mut ChaCha8Rng, spread: f64| rng.gen_range(-spread..spread);
    let v = match key {
        "sbp" => 128.0 + 40.0 * level + jitter(rng, 8.0),
        "dbp" => 78.0 + 20.0 * level + jitter(rng, 5.0),
        "heart_rate" => 74.0 + jitter(rng, 10.0),
        "weight" => 66.0 + jitter(rng, 12.0),
        "bmi" => 24.5 + jitter(rng, 3.0),
        "smoking" => {
            if rng.gen_bool(0.8) {
                0.0
            } else {
                10.0
            }
        }
        "fpg" => 6.4 + 5.0 * level + jitter(rng, 0.8),
        "hba1c" => 6.6 + 2.5 * level + jitter(rng, 0.4),
        "ldl_c" => 1.3 + 1.6 * level + jitter(rng, 0.3),
        "spo2" => 96.0 + jitter(rng, 2.0),
        "mrs" => f64::from(rng.gen_range(0..=3u8)),
        "cat" => f64::from(rng.gen_range(4..=22u8)),
        "mmrc" => f64::from(rng.gen_range(0..=3u8)),
        "fev1_fvc" => 58.0 + jitter(rng, 8.0),
        "height" => 165.0 + jitter(rng, 10.0),
        _ => return None,
    };
    Some((v * 10.0).round() / 10.0)
}

/// Generates the records of `residents` demo residents as of `today`. The first residents are
/// the same whatever the number: the demo resident comes first, and every resident draws from
/// one seeded generator in order.
pub async fn generate_records(
    accounts: &Accounts,
    clinical: &Clinical,
    today: Date,
    residents: usize,
    progress: &mut dyn FnMut(u64, &str),
) -> Result<RecordsSummary, DemoError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let organisations = accounts.organisations().await?;
    let hospitals: Vec<_> = organisations
        .iter()
        .filter(|o| o.kind == OrganisationKind::Hospital)
        .collect();
    let centres: Vec<_> = organisations
        .iter()
        .filter(|o| o.kind == OrganisationKind::CommunityHealthCentre)
        .collect();
    if hospitals.is_empty() || centres.is_empty() {
        return Err(err("the demo city has no hospitals or community centres"));
    }
    let users = accounts.users().await?;
    let resident_account = users
        .iter()
        .find(|u| u.username == "resident")
        .map(|u| u.id.clone());
    let centre_doctor = |centre_id: &str| {
        users
            .iter()
            .find(|u| {
                u.organisation_id == centre_id
                    && u.grants.iter().any(|g| g.role == Role::CommunityDoctor)
            })
            .map(|u| u.id.clone())
    };
    // The hospital of the demo hospital doctor, whose staff review uncertain matches.
    let review_hospital = users
        .iter()
        .find(|u| u.username == "doctor")
        .map(|u| u.organisation_id.clone());
    let mut namesakes: Vec<(String, Date, Sex)> = Vec::new();
    // The demo community doctor's centre comes first, so her work list is full.
    let first_centre = users
        .iter()
        .find(|u| u.username == "community.doctor")
        .and_then(|u| centres.iter().position(|c| c.id == u.organisation_id))
        .unwrap_or(0);

    let mut summary = RecordsSummary::default();
    for n in 0..residents {
        // Half the residents belong to the demo doctor's centre, the rest spread over the city.
        let centre = if n % 2 == 0 {
            centres[first_centre]
        } else {
            centres[(n / 2) % centres.len()]
        };
        let district = centre.district.clone().unwrap_or_default();
        let region = city::districts()
            .by_key(&district)
            .and_then(|d| d.code.clone())
            .unwrap_or_else(|| "320100".into());
        let hospital = hospitals[rng.gen_range(0..hospitals.len())];
        let sex = if rng.gen_bool(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let age_days = rng.gen_range(40 * 365..85 * 365);
        let birth = today.checked_sub(Span::new().days(age_days)).map_err(err)?;
        let sequence = u16::try_from(n % 500).unwrap_or(0);
        let id_number = ResidentIdNumber::from_parts(&region, birth, sequence, sex)
            .ok_or_else(|| err("could not build an ID number"))?;
        let name = person_name(&mut rng);
        let mobile = crate::mobile(&mut rng);
        if n > 0
            && namesakes.len() < DEMO_REVIEWS
            && review_hospital.as_deref().is_some_and(|h| h != hospital.id)
        {
            namesakes.push((name.clone(), birth, sex));
        }

        // The demo resident has hypertension and diabetes; others draw their conditions.
        let mut diagnoses: Vec<&(&str, &str, &str, u32)> = DIAGNOSES
            .iter()
            .filter(|d| {
                if n == 0 {
                    d.0 == "hypertension" || d.0 == "t2dm"
                } else {
                    rng.gen_range(0..1000) < d.3
                }
            })
            .collect();
        if diagnoses.is_empty() {
            diagnoses.push(&DIAGNOSES[0]);
        }
        let diagnosed = today
            .checked_sub(Span::new().days(rng.gen_range(400..3000)))
            .map_err(err)?;
        let bundle = diagnosis_bundle(
            &id_number, &name, &mobile, birth, sex, &district, &diagnoses, diagnosed,
        );
        let hospital_doctor = Actor {
            purpose: PurposeOfUse::Treatment,
            ..Actor::system(&hospital.id)
        };
        clinical
            .bundle(&hospital_doctor, &bundle, "")
            .await
            .map_err(err)?;
        let resident = clinical
            .residents()
            .find_by_id_number(&id_number)
            .await
            .map_err(err)?
            .ok_or_else(|| err("the master index lost a resident"))?;
        let doctor = centre_doctor(&centre.id);
        clinical
            .residents()
            .set_care_team(
                &resident.id,
                &CareTeam {
                    district: Some(district.clone()),
                    community_centre_id: Some(centre.id.clone()),
                    family_doctor_id: doctor.clone(),
                    household_id: None,
                    user_id: if n == 0 {
                        resident_account.clone()
                    } else {
                        None
                    },
                },
            )
            .await
            .map_err(err)?;
        clinical.link_resident(&resident.id).await.map_err(err)?;
        summary.residents += 1;

        // A year of follow-ups at the centre: most people every three months, some fall behind.
        let community = Actor {
            user_id: doctor.unwrap_or_else(|| "system".into()),
            purpose: PurposeOfUse::CareManagement,
            ..Actor::system(&centre.id)
        };
        let drawn: f64 = rng.gen_range(0.0..1.0);
        // The demo resident is a stable, well-controlled patient (the online clinic renews
        // their medicine); the draw is kept so every other resident stays as it was.
        let level = if n == 0 { 0.1 } else { drawn };
        // The hospital's tests draw from their own sequence, so the rest of the demo stays as
        // it was.
        let mut tests = ChaCha8Rng::seed_from_u64(SEED ^ n as u64);
        let enrolments = clinical
            .registers()
            .enrolments_of(&resident.id)
            .await
            .map_err(err)?;
        summary.enrolments += enrolments.len();
        for enrolment in &enrolments {
            let Some(template) = clinical.catalogue().get(&enrolment.disease) else {
                continue;
            };
            // One in five has fallen behind: their last visits were some months ago.
            let (visits, behind) = if rng.gen_bool(0.2) {
                (rng.gen_range(1..=2), rng.gen_range(60..200))
            } else {
                (4, 0)
            };
            // One stroke survivor in four has not been back for over a year (too frail, moved
            // into care), where the register is old enough to show it.
            let lapse = if enrolment.disease == "stroke" && tests.gen_bool(0.25) {
                400
            } else {
                0
            };
            let oldest = today.checked_sub(Span::new().days(lapse + 40 + behind + 91 * visits));
            let lapse = if oldest.is_ok_and(|d| d >= enrolment.enrolled_on) {
                lapse
            } else {
                0
            };
            for v in (0..visits).rev() {
                let days_ago = 20 + behind + lapse + 91 * v + rng.gen_range(0..20);
                let Ok(day) = today.checked_sub(Span::new().days(days_ago)) else {
                    continue;
                };
                if day < enrolment.enrolled_on {
                    continue;
                }
                let mut values = Vec::new();
                for e in template.elements() {
                    if !e.required_at_followup && rng.gen_bool(0.5) {
                        continue;
                    }
                    let Some(value) = demo_value(&e.key, &mut rng, level) else {
                        continue;
                    };
                    // Community centres have no spirometer: spirometry is the hospital's.
                    if e.key == "fev1_fvc" {
                        continue;
                    }
                    let value = if e.integer { value.round() } else { value };
                    values.push(FormValue {
                        key: e.key.clone(),
                        text: value.to_string(),
                        unit: String::new(),
                    });
                }
                clinical
                    .record_followup(&community, &enrolment.id, day, &values)
                    .await
                    .map_err(err)?;
                summary.visits += 1;
            }
            hospital_tests(
                clinical,
                &hospital_doctor,
                &resident.id,
                &enrolment.disease,
                today,
                level,
                &mut tests,
            )
            .await?;
        }
        later_events(
            clinical,
            &hospital_doctor,
            &community,
            &resident.id,
            &enrolments,
            level,
            today,
            n,
        )
        .await?;
        progress(1, &name);
    }

    // Registered at that hospital without an ID card: name, birth date and sex agree with a
    // resident, which is not enough to be sure (see `registry::matching`).
    if let Some(hospital_id) = &review_hospital {
        let hospital = Actor {
            purpose: PurposeOfUse::Treatment,
            ..Actor::system(hospital_id)
        };
        for (name, birth, sex) in &namesakes {
            clinical
                .create(&hospital, unidentified_patient(name, *birth, *sex), None)
                .await
                .map_err(err)?;
        }
    }
    Ok(summary)
}

/// A Patient with a name, birth date and sex only.
/// What happened after the first diagnosis: for some residents with hypertension or diabetes
/// a stroke or a coronary diagnosis later on (more often when poorly controlled, so the
/// complication model has something to learn from), and the consent forms residents signed
/// at their centre. Draws from its own sequence, so the rest of the demo stays as it was.
#[allow(clippy::too_many_arguments)]
async fn later_events(
    clinical: &Clinical,
    hospital: &Actor,
    community: &Actor,
    resident_id: &str,
    enrolments: &[registry::Enrolment],
    level: f64,
    today: Date,
    n: usize,
) -> Result<(), DemoError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 0x5EED ^ (n as u64).rotate_left(17));
    let on = |d: &str| enrolments.iter().find(|e| e.disease == d);
    let first = on("hypertension").or_else(|| on("t2dm"));
    if let Some(first) = first
        && on("stroke").is_none()
        && on("chd").is_none()
        && rng.gen_range(0.0..1.0) < 0.04 + 0.22 * level
    {
        let span = (today - first.enrolled_on).get_days() - 60;
        if span > 180 {
            let day = first
                .enrolled_on
                .checked_add(Span::new().days(rng.gen_range(180..span)))
                .map_err(err)?;
            let (code, display) = if rng.gen_bool(0.5) {
                ("I63.9", "脑梗死")
            } else {
                ("I25.1", "动脉硬化性心脏病")
            };
            let patients = clinical
                .records()
                .patient_resource_ids(resident_id)
                .await
                .map_err(err)?;
            if let Some(patient) = patients.first() {
                let condition = json!({
                    "resourceType": "Condition",
                    "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
                    "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed" }] },
                    "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": code, "display": display }] },
                    "subject": { "reference": format!("Patient/{patient}") },
                    "onsetDateTime": day.to_string(),
                    "recordedDate": day.to_string()
                });
                clinical
                    .create(hospital, condition, None)
                    .await
                    .map_err(err)?;
            }
        }
    }
    for (purpose, share) in [
        (registry::SharingPurpose::Research, RESEARCH_CONSENT),
        (registry::SharingPurpose::Commercial, COMMERCIAL_CONSENT),
    ] {
        if rng.gen_range(0..1000) < share {
            clinical
                .record_signed_consent(community, resident_id, purpose, true)
                .await
                .map_err(err)?;
        }
    }
    Ok(())
}

fn unidentified_patient(name: &str, birth: Date, sex: Sex) -> Value {
    let mut chars = name.chars();
    let surname: String = chars.next().map(String::from).unwrap_or_default();
    let given: String = chars.collect();
    json!({
        "resourceType": "Patient",
        "name": [{ "use": "official", "family": surname, "given": [given], "text": name }],
        "gender": sex.fhir_code(),
        "birthDate": birth.to_string()
    })
}

/// The hospital's transaction: the Patient, the diagnosing encounter, its Conditions and the
/// vital signs taken then.
#[allow(clippy::too_many_arguments)]
fn diagnosis_bundle(
    id_number: &ResidentIdNumber,
    name: &str,
    mobile: &str,
    birth: Date,
    sex: Sex,
    district: &str,
    diagnoses: &[&(&str, &str, &str, u32)],
    diagnosed: Date,
) -> Value {
    let patient = format!("urn:uuid:{}", kernel::Id::new());
    let encounter = format!("urn:uuid:{}", kernel::Id::new());
    let mut family = name.chars();
    let surname: String = family.next().map(String::from).unwrap_or_default();
    let given: String = family.collect();
    let district_name = city::districts()
        .by_key(district)
        .map(|d| d.name_zh.clone())
        .unwrap_or_default();
    let mut entries = vec![
        json!({
            "fullUrl": patient,
            "resource": {
                "resourceType": "Patient",
                "identifier": [{ "system": "urn:oid:2.16.156.10011.1.1", "value": id_number.as_str() }],
                "name": [{ "use": "official", "family": surname, "given": [given], "text": name }],
                "gender": sex.fhir_code(),
                "birthDate": birth.to_string(),
                "telecom": [{ "system": "phone", "value": mobile }],
                "address": [{ "city": "南京市", "district": district_name, "country": "CN" }]
            },
            "request": { "method": "POST", "url": "Patient", "ifNoneExist": format!("identifier=urn:oid:2.16.156.10011.1.1|{}", id_number.as_str()) }
        }),
        json!({
            "fullUrl": encounter,
            "resource": {
                "resourceType": "Encounter",
                "status": "finished",
                "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory" },
                "type": [{ "text": "门诊 · outpatient visit" }],
                "subject": { "reference": patient },
                "period": { "start": diagnosed.to_string(), "end": diagnosed.to_string() }
            },
            "request": { "method": "POST", "url": "Encounter" }
        }),
    ];
    // The yearly check-up (健康体检) before the diagnosis.
    let checkup = format!("urn:uuid:{}", kernel::Id::new());
    let checkup_day = diagnosed
        .checked_sub(Span::new().days(200))
        .unwrap_or(diagnosed);
    entries.push(json!({
        "fullUrl": checkup,
        "resource": {
            "resourceType": "Encounter",
            "status": "finished",
            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory" },
            "type": [{ "text": "健康体检 · health check-up" }],
            "subject": { "reference": patient },
            "period": { "start": checkup_day.to_string(), "end": checkup_day.to_string() }
        },
        "request": { "method": "POST", "url": "Encounter" }
    }));
    for (loinc, text, value, unit, ucum) in [
        ("8302-2", "身高 Body height", 165.0, "cm", "cm"),
        ("29463-7", "体重 Body weight", 66.0, "kg", "kg"),
        (
            "8480-6",
            "收缩压 Systolic blood pressure",
            146.0,
            "mmHg",
            "mm[Hg]",
        ),
        (
            "8462-4",
            "舒张压 Diastolic blood pressure",
            92.0,
            "mmHg",
            "mm[Hg]",
        ),
    ] {
        entries.push(json!({
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs" }] }],
                "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }], "text": text },
                "subject": { "reference": patient },
                "encounter": { "reference": checkup },
                "effectiveDateTime": checkup_day.to_string(),
                "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": ucum }
            },
            "request": { "method": "POST", "url": "Observation" }
        }));
    }
    for (disease, code, display, _) in diagnoses {
        entries.push(json!({
            "resource": {
                "resourceType": "Condition",
                "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
                "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed" }] },
                "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "encounter-diagnosis" }] }],
                "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": code, "display": display }], "text": display },
                "subject": { "reference": patient },
                "encounter": { "reference": encounter },
                "onsetDateTime": diagnosed.to_string(),
                "recordedDate": diagnosed.to_string()
            },
            "request": { "method": "POST", "url": "Condition" }
        }));
        let (medicine, dose, atc, code) = usual_medicine(disease);
        entries.push(json!({
            "resource": {
                "resourceType": "MedicationStatement",
                "status": "active",
                "medicationCodeableConcept": {
                    "text": medicine,
                    "coding": [
                        { "system": "http://www.whocc.no/atc", "code": atc },
                        { "system": "urn:lifehealth:drug", "code": code }
                    ]
                },
                "subject": { "reference": patient },
                "effectivePeriod": { "start": diagnosed.to_string() },
                "dosage": [{ "text": dose }]
            },
            "request": { "method": "POST", "url": "MedicationStatement" }
        }));
        // Stroke and coronary disease: an inpatient stay, and for stroke rehabilitation.
        if matches!(*disease, "stroke" | "chd") {
            let discharged = diagnosed
                .checked_add(Span::new().days(9))
                .unwrap_or(diagnosed);
            entries.push(json!({
                "resource": {
                    "resourceType": "Encounter",
                    "status": "finished",
                    "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP", "display": "inpatient encounter" },
                    "type": [{ "text": format!("住院 · inpatient stay: {display}") }],
                    "subject": { "reference": patient },
                    "period": { "start": diagnosed.to_string(), "end": discharged.to_string() }
                },
                "request": { "method": "POST", "url": "Encounter" }
            }));
        }
        if *disease == "stroke" {
            let until = diagnosed
                .checked_add(Span::new().days(90))
                .unwrap_or(diagnosed);
            entries.push(json!({
                "resource": {
                    "resourceType": "CarePlan",
                    "status": "completed",
                    "intent": "plan",
                    "category": [{ "text": "康复 · rehabilitation" }],
                    "title": "脑卒中康复训练计划 · stroke rehabilitation",
                    "subject": { "reference": patient },
                    "period": { "start": diagnosed.to_string(), "end": until.to_string() }
                },
                "request": { "method": "POST", "url": "CarePlan" }
            }));
        }
    }
    json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries })
}
