//! The resident master index on both backends: one resident however many sources, reviewed
//! merges for uncertain matches, identifiers encrypted at rest, care teams and households.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use kernel::{MobileNumber, ResidentIdNumber, Sex};
use registry::{
    CareTeam, Evidence, PersonFacts, RegistryError, ResidentIndex, Resolution, ReviewDecision,
    SourceRecord,
};
use store::sqlx::{self, Row};
use store::testing::TestDatabases;
use vault::Keyring;

// GB 11643-1999's example number (born 1949-12-31, female) and another valid number of a woman born the same day.
const WANG_ID: &str = "11010519491231002X";
const OTHER_ID: &str = "110105194912310046";

fn ids() -> impl FnMut() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    || format!("r{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn source(org: &str, patient: &str, facts: PersonFacts) -> SourceRecord {
    SourceRecord {
        organisation_id: org.into(),
        source_patient_id: patient.into(),
        facts,
    }
}

fn wang(id_number: Option<&str>, mobile: Option<&str>) -> PersonFacts {
    PersonFacts {
        id_number: id_number.map(|n| ResidentIdNumber::parse(n).unwrap()),
        name: Some("王芳".into()),
        birth_date: Some("1949-12-31".parse().unwrap()),
        sex: Some(Sex::Female),
        mobile: mobile.map(|m| MobileNumber::parse(m).unwrap()),
    }
}

#[tokio::test]
async fn one_resident_however_many_sources() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        db.migrate(&[registry::migrations()]).await.unwrap();
        let index = ResidentIndex::new(db.clone(), Arc::new(Keyring::for_tests()));
        let mut new_id = ids();

        let first = index
            .resolve(
                &source("hospital-a", "A-1", wang(Some(WANG_ID), None)),
                &mut new_id,
            )
            .await
            .unwrap();
        let Resolution::Created { resident_id } = first else {
            panic!("{first:?}")
        };

        // Another hospital, same ID number, name typed with a space: the same resident.
        let mut spaced = wang(Some(WANG_ID), Some("13912345678"));
        spaced.name = Some(" 王 芳".into());
        let second = index
            .resolve(&source("hospital-b", "B-9", spaced), &mut new_id)
            .await
            .unwrap();
        assert_eq!(
            second,
            Resolution::Existing {
                resident_id: resident_id.clone(),
                evidence: vec![Evidence::IdNumberEqual]
            }
        );
        // The second source contributed the mobile number the first lacked.
        let resident = index.resident(&resident_id).await.unwrap().unwrap();
        assert_eq!(
            resident.facts.mobile.as_ref().map(MobileNumber::as_str),
            Some("13912345678")
        );

        // A community clinic without the ID number: name, birth date and mobile link it.
        let third = index
            .resolve(
                &source("clinic", "C-3", wang(None, Some("13912345678"))),
                &mut new_id,
            )
            .await
            .unwrap();
        assert_eq!(third.resident_id(), Some(resident_id.as_str()));

        // The same source record again: its earlier link, nothing new.
        let again = index
            .resolve(
                &source("hospital-a", "A-1", wang(Some(WANG_ID), None)),
                &mut new_id,
            )
            .await
            .unwrap();
        assert_eq!(again.resident_id(), Some(resident_id.as_str()));
        assert_eq!(index.sources(&resident_id).await.unwrap().len(), 3);

        // A namesake born the same day with another ID number is another resident.
        let namesake = index
            .resolve(
                &source("hospital-c", "X", wang(Some(OTHER_ID), None)),
                &mut new_id,
            )
            .await
            .unwrap();
        assert!(
            matches!(namesake, Resolution::Created { .. }),
            "{namesake:?}"
        );
        assert_ne!(namesake.resident_id(), Some(resident_id.as_str()));

        // Found by ID number through the blind index; never stored in the clear.
        let found = index
            .find_by_id_number(&ResidentIdNumber::parse(WANG_ID).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, resident_id);
        let rows = sqlx::query(
            "SELECT id_number_enc, id_number_bidx, name_enc, mobile_enc FROM registry_residents",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        for row in rows {
            for column in 0..4 {
                let value: Option<String> = row.try_get(column).unwrap();
                let value = value.unwrap_or_default();
                assert!(
                    !value.contains("1949") && !value.contains("王") && !value.contains("1391"),
                    "column {column} holds {value}"
                );
            }
        }
    }
}

#[tokio::test]
async fn uncertain_matches_wait_for_a_reviewer() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        db.migrate(&[registry::migrations()]).await.unwrap();
        let index = ResidentIndex::new(db.clone(), Arc::new(Keyring::for_tests()));
        let mut new_id = ids();
        let created = index
            .resolve(
                &source(
                    "hospital-a",
                    "A-1",
                    wang(Some(WANG_ID), Some("13912345678")),
                ),
                &mut new_id,
            )
            .await
            .unwrap();
        let resident_id = created.resident_id().unwrap().to_owned();

        // Name, birth date and sex only: a person decides.
        let pending = index
            .resolve(&source("lab", "L-5", wang(None, None)), &mut new_id)
            .await
            .unwrap();
        let Resolution::PendingReview { review_id } = pending else {
            panic!("{pending:?}")
        };
        let reviews = index.open_reviews(10).await.unwrap();
        assert_eq!(reviews.len(), 1);
        let review = &reviews[0];
        assert_eq!(review.id, review_id);
        assert_eq!(review.incoming.name.as_deref(), Some("王芳"));
        assert_eq!(review.candidates[0].resident_id, resident_id);
        assert_eq!(
            review.candidates[0].evidence,
            vec![
                Evidence::NameEqual,
                Evidence::BirthDateEqual,
                Evidence::SexEqual
            ]
        );

        let wrong = index
            .decide_review(
                &review_id,
                ReviewDecision::SameAs("someone-else".into()),
                "reviewer",
                &mut new_id,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(wrong, RegistryError::NotACandidate { .. }),
            "{wrong}"
        );

        let merged = index
            .decide_review(
                &review_id,
                ReviewDecision::SameAs(resident_id.clone()),
                "reviewer",
                &mut new_id,
            )
            .await
            .unwrap();
        assert_eq!(merged, resident_id);
        assert!(index.open_reviews(10).await.unwrap().is_empty());
        assert!(
            index
                .sources(&resident_id)
                .await
                .unwrap()
                .contains(&("lab".into(), "L-5".into()))
        );
        let closed = index
            .decide_review(
                &review_id,
                ReviewDecision::Distinct,
                "reviewer",
                &mut new_id,
            )
            .await
            .unwrap_err();
        assert!(matches!(closed, RegistryError::ReviewClosed(_)), "{closed}");

        // "Distinct" makes a new resident.
        let pending = index
            .resolve(&source("lab", "L-6", wang(None, None)), &mut new_id)
            .await
            .unwrap();
        let Resolution::PendingReview { review_id } = pending else {
            panic!("{pending:?}")
        };
        let distinct = index
            .decide_review(
                &review_id,
                ReviewDecision::Distinct,
                "reviewer",
                &mut new_id,
            )
            .await
            .unwrap();
        assert_ne!(distinct, resident_id);
        assert!(index.resident(&distinct).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn care_teams_and_households() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        db.migrate(&[registry::migrations()]).await.unwrap();
        let index = ResidentIndex::new(db.clone(), Arc::new(Keyring::for_tests()));
        let mut new_id = ids();
        let a = index
            .resolve(&source("h", "1", wang(Some(WANG_ID), None)), &mut new_id)
            .await
            .unwrap();
        let b = index
            .resolve(&source("h", "2", wang(Some(OTHER_ID), None)), &mut new_id)
            .await
            .unwrap();
        for resident in [&a, &b] {
            index
                .set_care_team(
                    resident.resident_id().unwrap(),
                    &CareTeam {
                        district: Some("gulou".into()),
                        community_centre_id: Some("centre-1".into()),
                        family_doctor_id: Some("doctor-1".into()),
                        household_id: Some("household-1".into()),
                        user_id: None,
                    },
                )
                .await
                .unwrap();
        }
        let members = index.household("household-1").await.unwrap();
        assert_eq!(members.len(), 2);
        assert!(
            members
                .iter()
                .all(|m| m.care.community_centre_id.as_deref() == Some("centre-1"))
        );
        let missing = index
            .set_care_team("nobody", &CareTeam::default())
            .await
            .unwrap_err();
        assert!(matches!(missing, RegistryError::UnknownResident(_)));
    }
}
