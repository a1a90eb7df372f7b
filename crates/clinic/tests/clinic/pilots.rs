//! Pilots: the ranking, the health commission's designation and its cap, offerings.

use clinic::{ClinicError, Offering};

use crate::{World, on_both};

on_both!(
    the_busiest_internet_hospitals_are_designated,
    busiest_are_designated
);
async fn busiest_are_designated(w: &World) {
    let pilots = w.clinic.pilots().await.unwrap();
    let ids: Vec<_> = pilots
        .iter()
        .map(|p| (p.rank, p.hospital_id.clone()))
        .collect();
    assert_eq!(
        ids,
        vec![(1, w.hospital_a.id.clone()), (2, w.hospital_b.id.clone())],
        "甲 reported 900 visits, 乙 500"
    );
    assert!(w.clinic.is_pilot(&w.hospital_a.id).await.unwrap());
    assert!(!w.clinic.is_pilot(&w.clinic_only.id).await.unwrap());
}

on_both!(
    a_hospital_without_an_internet_licence_reports_nothing,
    no_licence_no_report
);
async fn no_licence_no_report(w: &World) {
    let e = w
        .clinic
        .report_volume(&w.official, &w.clinic_only.id, "2026-Q3", 10_000)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "hospital"),
        "{e:?}"
    );
    let e = w
        .clinic
        .report_volume(&w.official, &w.hospital_a.id, "2026Q3", 1)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "period"),
        "{e:?}"
    );
}

on_both!(
    only_the_health_commission_designates,
    only_commission_designates
);
async fn only_commission_designates(w: &World) {
    let e = w
        .clinic
        .designate(&w.doctor, "2026-Q3", None, None)
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::Forbidden(_)), "{e:?}");
    // Staff of one hospital cannot report for another.
    let e = w
        .clinic
        .report_volume(&w.doctor, &w.hospital_b.id, "2026-Q3", 1)
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::Forbidden(_)), "{e:?}");
}

on_both!(
    departing_from_the_ranking_needs_a_reason,
    departing_needs_reason
);
async fn departing_needs_reason(w: &World) {
    let only_b = Some(vec![w.hospital_b.id.clone()]);
    let e = w
        .clinic
        .designate(&w.official, "2026-Q3", only_b.clone(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "reason"),
        "{e:?}"
    );
    let pilots = w
        .clinic
        .designate(&w.official, "2026-Q3", only_b, Some("甲医院整改期间暂停"))
        .await
        .unwrap();
    assert_eq!(pilots.len(), 1);
    assert_eq!(pilots[0].rank, 2, "the ranking is kept beside the choice");
    assert!(!w.clinic.is_pilot(&w.hospital_a.id).await.unwrap());
}

on_both!(no_more_pilots_than_the_seed_allows, pilot_cap_from_the_seed);
async fn pilot_cap_from_the_seed(w: &World) {
    // Eleven more internet hospitals report; the designation takes the rules' 10.
    let cap = w.clinic.rules().pilots.count.value as usize;
    assert_eq!(cap, 10, "nanjing-2022 三（七）");
    for i in 0..11u64 {
        let h = w
            .accounts
            .create_organisation(access::NewOrganisation {
                kind: Some(access::OrganisationKind::Hospital),
                name_zh: format!("互联网医院{i}（测试）"),
                name_en: format!("Internet hospital {i} (test)"),
                district: Some("xuanwu".into()),
                internet_hospital: true,
                ..access::NewOrganisation::default()
            })
            .await
            .unwrap();
        w.clinic
            .report_volume(&w.official, &h.id, "2026-Q4", 100 + i)
            .await
            .unwrap();
    }
    let ranking = w.clinic.ranking("2026-Q4").await.unwrap();
    assert_eq!(ranking.len(), 11);
    let pilots = w
        .clinic
        .designate(&w.official, "2026-Q4", None, None)
        .await
        .unwrap();
    assert_eq!(pilots.len(), cap);
    assert_eq!(pilots.last().unwrap().rank, 10);
    assert!(
        pilots.iter().all(|p| p.online_visits > 100),
        "the least busy is left out"
    );
    let all: Vec<String> = ranking.iter().map(|r| r.hospital_id.clone()).collect();
    let e = w
        .clinic
        .designate(&w.official, "2026-Q4", Some(all), Some("全部"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "hospitals"),
        "{e:?}"
    );
}

on_both!(
    an_offering_names_templates_and_verified_doctors,
    offering_is_checked
);
async fn offering_is_checked(w: &World) {
    let bad_condition = Offering {
        conditions: ["flu".to_owned()].into(),
        doctors: Default::default(),
    };
    let e = w
        .clinic
        .set_offering(&w.doctor, &w.hospital_a.id, &bad_condition)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "conditions"),
        "{e:?}"
    );
    let unverified = Offering {
        conditions: Default::default(),
        doctors: [w.pharmacist.user_id.clone()].into(),
    };
    let e = w
        .clinic
        .set_offering(&w.doctor, &w.hospital_a.id, &unverified)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "doctors"),
        "{e:?}"
    );
    let offered = w.clinic.offering(&w.hospital_a.id).await.unwrap();
    assert!(
        offered.conditions.contains("hypertension"),
        "the earlier offering stands"
    );
}
