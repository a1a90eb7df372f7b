//! Every refusal rule: who may not consult or be prescribed for, and the reason each gets.

use clinic::{ClinicError, NewConsultation};
use kernel::UtcMillis;
use prescribing::{Draft, Frequency, Line};

use crate::{ResidentSpec, World, date_before, failed_rules, on_both};

fn renewal() -> clinic::PrescriptionRequest {
    clinic::PrescriptionRequest {
        request_key: "renewal".into(),
        draft: Draft::new(vec![Line {
            drug: "amlodipine-5mg-tab".into(),
            dose: 5.0,
            frequency: Frequency::Qd,
            days: 28,
            packs: 1,
        }]),
        flags_acknowledged: false,
    }
}

on_both!(
    a_first_visit_is_turned_away_with_what_to_do,
    first_visit_refused
);
async fn first_visit_refused(w: &World) {
    let today = UtcMillis::now().city_date();
    let resident = w
        .resident(ResidentSpec {
            birth: jiff::civil::date(1980, 2, 2),
            id_number: true,
            account: Some(w.stranger.user_id.clone()),
            diagnosed: None,
            medicine_since: None,
            followup: None,
            household: None,
        })
        .await;
    let _ = today;
    let e = w
        .clinic
        .request_consultation(&w.stranger, w.request(&resident))
        .await
        .unwrap_err();
    assert_eq!(failed_rules(&e), vec!["definite-diagnosis"]);
    let ClinicError::NotEligible(v) = e else {
        unreachable!()
    };
    let finding = v.failures().next().unwrap();
    assert!(finding.advice_zh.contains("线下"), "{}", finding.advice_zh);
    assert!(
        finding.source.contains("互联网诊疗管理办法"),
        "{}",
        finding.source
    );
    // With an uploaded diagnosis certificate the request goes to the doctor, who decides.
    let mut with_document = w.request(&resident);
    with_document.document = Some(clinic::Image {
        media_type: "image/jpeg".into(),
        bytes: vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],
    });
    let c = w
        .clinic
        .request_consultation(&w.stranger, with_document)
        .await
        .unwrap();
    let e = w
        .clinic
        .accept(&w.doctor, &c.id, true, false)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "accepts_document"),
        "{e:?}"
    );
    w.clinic.accept(&w.doctor, &c.id, true, true).await.unwrap();
}

on_both!(a_young_child_needs_a_guardian_who_books, guardian_rule);
async fn guardian_rule(w: &World) {
    let today = UtcMillis::now().city_date();
    let child = w
        .resident(ResidentSpec {
            birth: date_before(today, 4 * 365),
            id_number: true,
            account: None,
            diagnosed: Some(date_before(today, 200)),
            medicine_since: Some(date_before(today, 180)),
            followup: Some((date_before(today, 20), Some(true))),
            household: Some("household-1".into()),
        })
        .await;
    // The patient is the child's parent in the same household; the centre registered her as
    // guardian.
    w.clinical
        .consents()
        .authorise_proxy(
            &child,
            &w.patient_resident,
            "guardian-registration",
            UtcMillis::now().0,
        )
        .await
        .unwrap();
    let e = w
        .clinic
        .request_consultation(&w.patient, w.request(&child))
        .await
        .unwrap_err();
    assert_eq!(failed_rules(&e), vec!["guardian-present"]);
    let with_guardian = NewConsultation {
        guardian_present: true,
        ..w.request(&child)
    };
    let c = w
        .clinic
        .request_consultation(&w.patient, with_guardian)
        .await
        .unwrap();
    assert!(c.guardian_present);
    assert_eq!(c.requested_by, w.patient.user_id);
}

on_both!(
    a_doctor_with_under_three_years_is_not_offered,
    junior_refused
);
async fn junior_refused(w: &World) {
    let request = NewConsultation {
        doctor_id: w.junior.user_id.clone(),
        ..w.request(&w.patient_resident)
    };
    let e = w
        .clinic
        .request_consultation(&w.patient, request)
        .await
        .unwrap_err();
    assert_eq!(failed_rules(&e), vec!["doctor-qualified"]);
}

on_both!(
    only_a_pilot_offering_the_condition_opens_the_clinic,
    pilot_rule
);
async fn pilot_rule(w: &World) {
    let elsewhere = NewConsultation {
        hospital_id: w.hospital_b.id.clone(),
        ..w.request(&w.patient_resident)
    };
    let e = w
        .clinic
        .request_consultation(&w.patient, elsewhere)
        .await
        .unwrap_err();
    let failed = failed_rules(&e);
    assert!(failed.contains(&"pilot-offers-condition"), "{failed:?}");
}

on_both!(
    an_uncontrolled_condition_gets_no_online_prescription,
    uncontrolled_refused
);
async fn uncontrolled_refused(w: &World) {
    let c = w.accepted().await;
    w.followup(
        &w.patient_resident,
        UtcMillis::now().city_date(),
        Some(false),
    )
    .await;
    let e = w
        .clinic
        .prescribe(&w.doctor, &c.id, renewal())
        .await
        .unwrap_err();
    assert_eq!(failed_rules(&e), vec!["condition-controlled"]);
}

on_both!(a_stale_control_finding_is_not_enough, stale_control_refused);
async fn stale_control_refused(w: &World) {
    let today = UtcMillis::now().city_date();
    let days = i64::from(w.clinic.rules().stability.control_evidence_days.value);
    let resident = w
        .resident(ResidentSpec {
            birth: jiff::civil::date(1955, 3, 3),
            id_number: true,
            account: Some(w.stranger.user_id.clone()),
            diagnosed: Some(date_before(today, 1000)),
            medicine_since: Some(date_before(today, 900)),
            followup: Some((date_before(today, days + 1), Some(true))),
            household: None,
        })
        .await;
    let c = w
        .clinic
        .request_consultation(&w.stranger, w.request(&resident))
        .await
        .unwrap();
    w.clinic
        .accept(&w.doctor, &c.id, true, false)
        .await
        .unwrap();
    let e = w
        .clinic
        .prescribe(&w.doctor, &c.id, renewal())
        .await
        .unwrap_err();
    assert_eq!(failed_rules(&e), vec!["condition-controlled"]);
}

on_both!(
    a_recently_changed_regimen_gets_no_online_prescription,
    regimen_refused
);
async fn regimen_refused(w: &World) {
    let today = UtcMillis::now().city_date();
    let days = i64::from(w.clinic.rules().stability.regimen_unchanged_days.value);
    let resident = w
        .resident(ResidentSpec {
            birth: jiff::civil::date(1958, 8, 8),
            id_number: true,
            account: Some(w.stranger.user_id.clone()),
            diagnosed: Some(date_before(today, 1000)),
            medicine_since: Some(date_before(today, days - 1)),
            followup: Some((date_before(today, 10), Some(true))),
            household: None,
        })
        .await;
    let c = w
        .clinic
        .request_consultation(&w.stranger, w.request(&resident))
        .await
        .unwrap();
    w.clinic
        .accept(&w.doctor, &c.id, true, false)
        .await
        .unwrap();
    let e = w
        .clinic
        .prescribe(&w.doctor, &c.id, renewal())
        .await
        .unwrap_err();
    assert_eq!(failed_rules(&e), vec!["regimen-stable"]);
}

on_both!(an_open_alert_stops_online_renewal, open_alert_refused);
async fn open_alert_refused(w: &World) {
    let c = w.accepted().await;
    let now = UtcMillis::now().0;
    let facts = [
        alerts::ReadingFact {
            resident_id: w.patient_resident.clone(),
            key: "sbp".into(),
            value: 192.0,
            at: now - 60_000,
            source: "device:test".into(),
        },
        alerts::ReadingFact {
            resident_id: w.patient_resident.clone(),
            key: "dbp".into(),
            value: 100.0,
            at: now - 60_000,
            source: "device:test".into(),
        },
    ];
    let raised = w.alerts.on_readings_at(&facts, now).await.unwrap();
    assert!(!format!("{raised:?}").is_empty());
    let e = w
        .clinic
        .prescribe(&w.doctor, &c.id, renewal())
        .await
        .unwrap_err();
    assert_eq!(failed_rules(&e), vec!["no-open-alert"]);
}

on_both!(
    a_patient_who_stopped_sharing_cannot_be_renewed_online,
    sharing_refused
);
async fn sharing_refused(w: &World) {
    let c = w.accepted().await;
    let patient = clinical::Actor::from_principal(&w.patient, ledger::PurposeOfUse::Treatment);
    w.clinical
        .decide_sharing(
            &patient,
            &w.patient_resident,
            registry::SharingPurpose::CareTeam,
            false,
        )
        .await
        .unwrap();
    let e = w
        .clinic
        .prescribe(&w.doctor, &c.id, renewal())
        .await
        .unwrap_err();
    let failed = failed_rules(&e);
    assert!(failed.contains(&"records-shared"), "{failed:?}");
}

on_both!(
    a_patient_without_a_resident_id_on_file_cannot_book,
    real_name_rule
);
async fn real_name_rule(w: &World) {
    let today = UtcMillis::now().city_date();
    // The hospital sent the record under its own number only: the platform does not know the
    // patient by the resident ID, so the visit cannot be real-name.
    let resident = w
        .resident(ResidentSpec {
            birth: jiff::civil::date(1950, 1, 1),
            id_number: false,
            account: None,
            diagnosed: Some(date_before(today, 800)),
            medicine_since: Some(date_before(today, 700)),
            followup: Some((date_before(today, 10), Some(true))),
            household: Some("household-1".into()),
        })
        .await;
    w.clinical
        .consents()
        .authorise_proxy(
            &resident,
            &w.patient_resident,
            "registration",
            UtcMillis::now().0,
        )
        .await
        .unwrap();
    let e = w
        .clinic
        .request_consultation(&w.patient, w.request(&resident))
        .await
        .unwrap_err();
    assert_eq!(failed_rules(&e), vec!["real-name"]);
}
