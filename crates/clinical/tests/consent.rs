//! Consent on both backends: a resident's decision changes, at once and inside the queries,
//! what every care provider's search, read, `$everything` and register list reach; totals never
//! count withheld records; household proxies; FHIR Consent resources and ledger entries.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;

use access::RecordScope;
use clinical::{Actor, Clinical, ClinicalError};
use fhir::SearchRequest;
use ledger::{Ledger, PurposeOfUse};
use registry::{CareTeam, RegisterFilter, SharingPurpose};
use serde_json::{Value, json};
use store::Db;
use store::testing::TestDatabases;
use vault::Keyring;

fn provider(user: &str, organisations: &[&str], districts: &[&str]) -> Actor {
    Actor {
        user_id: user.into(),
        organisation_id: organisations.first().copied().unwrap_or("bureau").into(),
        read: Some(RecordScope::Linked {
            organisations: organisations.iter().map(|o| (*o).to_owned()).collect(),
            districts: districts.iter().map(|d| (*d).to_owned()).collect(),
        }),
        write: true,
        purpose: PurposeOfUse::Treatment,
    }
}

fn resident_user(user: &str) -> Actor {
    Actor {
        user_id: user.into(),
        organisation_id: "residents".into(),
        read: Some(RecordScope::Own),
        write: false,
        purpose: PurposeOfUse::PatientRequest,
    }
}

fn patient(id_number: &str, family: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{ "system": "urn:oid:2.16.156.10011.1.1", "value": id_number }],
        "name": [{ "family": family, "given": ["测试"] }],
        "gender": "female",
        "birthDate": "1949-12-31"
    })
}

fn hypertension(patient: &str) -> Value {
    json!({
        "resourceType": "Condition",
        "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
        "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": "I10" }] },
        "subject": { "reference": format!("Patient/{patient}") },
        "onsetDateTime": "2025-03-01"
    })
}

fn search(resource_type: &str, params: &[(&str, &str)]) -> SearchRequest {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    SearchRequest::parse(resource_type, &params, false).unwrap()
}

async fn service(db: &Db) -> (Clinical, Ledger) {
    db.migrate(&[
        records::migrations(),
        registry::migrations(),
        ledger::migrations(),
    ])
    .await
    .unwrap();
    let keys = Arc::new(Keyring::for_tests());
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .unwrap();
    (
        Clinical::open(db.clone(), keys, ledger.clone())
            .await
            .unwrap(),
        ledger,
    )
}

/// Conditions (of the I10 kind) and register rows `actor` reaches.
async fn reach(clinical: &Clinical, actor: &Actor) -> (u64, usize) {
    let found = clinical
        .search(actor, &search("Condition", &[]))
        .await
        .unwrap();
    assert_eq!(found.total as usize, found.matches.len());
    let filter = RegisterFilter {
        reach: clinical.register_reach(actor).await.unwrap(),
        limit: 1000,
        ..RegisterFilter::default()
    };
    let rows = clinical.registers().list(&filter).await.unwrap();
    assert_eq!(
        clinical.registers().count(&filter).await.unwrap() as usize,
        rows.len()
    );
    (found.total, rows.len())
}

/// A resident registered by hospital A with hypertension, in Gulou, with a community centre,
/// a household and a platform account.
async fn registered(
    clinical: &Clinical,
    id_number: &str,
    family: &str,
    user: &str,
) -> (String, String) {
    let hospital = provider("doc-a", &["hospital-a"], &[]);
    let p = clinical
        .create(&hospital, patient(id_number, family), None)
        .await
        .unwrap();
    clinical
        .create(&hospital, hypertension(&p.id), None)
        .await
        .unwrap();
    let resident = clinical
        .records()
        .read("Patient", &p.id)
        .await
        .unwrap()
        .patient_id
        .unwrap();
    clinical
        .residents()
        .set_care_team(
            &resident,
            &CareTeam {
                district: Some("gulou".into()),
                community_centre_id: Some("centre-1".into()),
                family_doctor_id: Some("doc-c".into()),
                household_id: Some("household-1".into()),
                user_id: Some(user.into()),
            },
        )
        .await
        .unwrap();
    clinical.link_resident(&resident).await.unwrap();
    (p.id, resident)
}

#[tokio::test]
async fn withdrawing_a_purpose_hides_the_record_inside_every_query() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, ledger) = service(db).await;
        let (patient_id, wang) =
            registered(&clinical, "11010519491231002X", "王", "user-wang").await;
        let hospital = provider("doc-a", &["hospital-a"], &[]);
        let centre = provider("doc-c", &["centre-1"], &[]);
        let district = provider("official", &[], &["gulou"]);
        let me = resident_user("user-wang");

        for actor in [&hospital, &centre, &district] {
            assert_eq!(reach(&clinical, actor).await, (1, 1), "{}", actor.user_id);
        }

        // No care team: the hospital that treated her no longer finds, counts or reads her.
        let d = clinical
            .decide_sharing(&me, &wang, SharingPurpose::CareTeam, false)
            .await
            .unwrap();
        assert!(!d.granted && d.decided && d.proxy_resident_id.is_none());
        assert_eq!(reach(&clinical, &hospital).await, (0, 0));
        assert!(matches!(
            clinical.read(&hospital, "Patient", &patient_id).await,
            Err(ClinicalError::NotFound { .. })
        ));
        assert!(matches!(
            clinical.everything(&hospital, &patient_id).await,
            Err(ClinicalError::NotFound { .. })
        ));
        assert_eq!(reach(&clinical, &centre).await, (1, 1));
        assert_eq!(reach(&clinical, &district).await, (1, 1));

        // No community sharing either: the centre and the district lose her too.
        clinical
            .decide_sharing(&me, &wang, SharingPurpose::Community, false)
            .await
            .unwrap();
        for actor in [&hospital, &centre, &district] {
            assert_eq!(reach(&clinical, actor).await, (0, 0), "{}", actor.user_id);
        }
        // She still sees her own record, including the Consents that say so.
        let mine = clinical.search(&me, &search("Consent", &[])).await.unwrap();
        assert_eq!(mine.total, 2);
        for consent in &mine.matches {
            assert_eq!(consent.body["provision"]["type"], "deny");
            assert_eq!(
                consent.body["patient"]["reference"],
                format!("Patient/{patient_id}")
            );
        }
        assert_eq!(reach(&clinical, &me).await.0, 1);

        // Sharing again restores the hospital's reach, and new records keep the decision.
        clinical
            .decide_sharing(&me, &wang, SharingPurpose::CareTeam, true)
            .await
            .unwrap();
        assert_eq!(reach(&clinical, &hospital).await, (1, 1));
        assert_eq!(reach(&clinical, &centre).await, (0, 0));
        clinical.link_resident(&wang).await.unwrap();
        assert_eq!(reach(&clinical, &centre).await, (0, 0));

        // Every change is on the ledger, under her record.
        let entries = ledger
            .entries_for_subject("resident", &wang, 50)
            .await
            .unwrap();
        let actions: Vec<&str> = entries.iter().map(|e| e.event.action.as_str()).collect();
        assert_eq!(
            actions.iter().filter(|a| **a == "consent.revoke").count(),
            2
        );
        assert_eq!(actions.iter().filter(|a| **a == "consent.grant").count(), 1);

        let directives = clinical.sharing_of(&me, &wang).await.unwrap();
        let by = |p: SharingPurpose| directives.iter().find(|d| d.purpose == p).unwrap();
        assert!(by(SharingPurpose::CareTeam).granted);
        assert!(!by(SharingPurpose::Community).granted);
        assert!(!by(SharingPurpose::Research).granted && !by(SharingPurpose::Research).decided);
    }
}

#[tokio::test]
async fn only_the_resident_or_an_authorised_household_member_decides() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let (clinical, _) = service(db).await;
        let (_, wang) = registered(&clinical, "11010519491231002X", "王", "user-wang").await;
        let (_, li) = registered(&clinical, "11010519500101001X", "李", "user-li").await;
        let wang_user = resident_user("user-wang");
        let li_user = resident_user("user-li");
        let doctor = provider("doc-a", &["hospital-a"], &[]);

        for actor in [&li_user, &doctor] {
            assert!(matches!(
                clinical
                    .decide_sharing(actor, &wang, SharingPurpose::Research, true)
                    .await,
                Err(ClinicalError::Forbidden(_))
            ));
        }
        // Li sees only her own record until Wang authorises her.
        assert_eq!(reach(&clinical, &li_user).await.0, 1);
        clinical
            .authorise_proxy(&wang_user, &wang, &li)
            .await
            .unwrap();
        assert_eq!(reach(&clinical, &li_user).await.0, 2);
        let d = clinical
            .decide_sharing(&li_user, &wang, SharingPurpose::Research, true)
            .await
            .unwrap();
        assert_eq!(d.proxy_resident_id.as_deref(), Some(li.as_str()));
        assert_eq!(d.decided_by.as_deref(), Some("user-li"));
        // A proxy cannot pass the authorisation on or withdraw it.
        assert!(matches!(
            clinical.revoke_proxy(&li_user, &wang, &li).await,
            Err(ClinicalError::Forbidden(_))
        ));

        let both = vec![wang.clone(), li.clone()];
        let research = clinical
            .consents()
            .consenting(SharingPurpose::Research, &both)
            .await
            .unwrap();
        assert_eq!(research.into_iter().collect::<Vec<_>>(), vec![wang.clone()]);
        let care = clinical
            .consents()
            .consenting(SharingPurpose::CareTeam, &both)
            .await
            .unwrap();
        assert_eq!(care.len(), 2, "care sharing holds by default");

        assert!(clinical.revoke_proxy(&wang_user, &wang, &li).await.unwrap());
        assert_eq!(reach(&clinical, &li_user).await.0, 1);
        assert!(!clinical.revoke_proxy(&wang_user, &wang, &li).await.unwrap());

        // Only a member of the same household, and never oneself.
        let err = clinical
            .authorise_proxy(&wang_user, &wang, &wang)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 400);
        let stranger = {
            let (_, zhao) = registered(&clinical, "11010519600101003X", "赵", "user-zhao").await;
            clinical
                .residents()
                .set_care_team(
                    &zhao,
                    &CareTeam {
                        household_id: Some("household-2".into()),
                        user_id: Some("user-zhao".into()),
                        ..CareTeam::default()
                    },
                )
                .await
                .unwrap();
            zhao
        };
        let err = clinical
            .authorise_proxy(&wang_user, &wang, &stranger)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains("household"));
    }
}
