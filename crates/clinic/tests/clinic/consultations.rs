//! A consultation's life, its messages, its parties, timeouts.

use clinic::{ClinicError, Image, State};
use kernel::UtcMillis;

use crate::{World, on_both};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

on_both!(
    a_follow_up_is_requested_accepted_begun_and_completed,
    happy_path
);
async fn happy_path(w: &World) {
    let c = w
        .clinic
        .request_consultation(&w.patient, w.request(&w.patient_resident))
        .await
        .unwrap();
    assert_eq!(c.state, State::Requested);
    let doctors_list = w
        .clinic
        .consultations_of_doctor(&w.doctor, &[State::Requested])
        .await
        .unwrap();
    assert!(doctors_list.iter().any(|x| x.id == c.id));

    // Accepting needs the doctor's confirmation that it is a follow-up.
    let e = w
        .clinic
        .accept(&w.doctor, &c.id, false, false)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "confirms_follow_up"),
        "{e:?}"
    );
    let c = w
        .clinic
        .accept(&w.doctor, &c.id, true, false)
        .await
        .unwrap();
    assert_eq!(c.state, State::Accepted);
    let encounter = c.encounter.clone().expect("the visit opened in the record");

    // The doctor can now read the record through the hospital (care-team sharing).
    let reader = clinical::Actor::from_principal(&w.doctor, ledger::PurposeOfUse::Treatment);
    assert!(
        w.clinical
            .may_see_resident(&reader, &w.patient_resident)
            .await
            .unwrap()
    );

    w.clinic
        .send_message(&w.patient, &c.id, Some("最近血压 128/80"), None)
        .await
        .unwrap();
    let image = Image {
        media_type: "image/png".into(),
        bytes: PNG.to_vec(),
    };
    w.clinic
        .send_message(&w.patient, &c.id, None, Some(image))
        .await
        .unwrap();
    w.clinic
        .send_message(&w.doctor, &c.id, Some("继续原方案"), None)
        .await
        .unwrap();
    let c = w.clinic.consultation(&w.patient, &c.id).await.unwrap();
    assert_eq!(
        c.state,
        State::InProgress,
        "the doctor's first message begins the visit"
    );
    let messages = w.clinic.messages(&w.doctor, &c.id).await.unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1].image_type.as_deref(), Some("image/png"));

    let e = w.clinic.complete(&w.doctor, &c.id, "  ").await.unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "note"),
        "{e:?}"
    );
    let c = w
        .clinic
        .complete(&w.doctor, &c.id, "血压控制达标，继续氨氯地平")
        .await
        .unwrap();
    assert_eq!(c.state, State::Completed);
    let stored = w
        .clinical
        .read(
            &reader,
            "Encounter",
            encounter.trim_start_matches("Encounter/"),
        )
        .await
        .unwrap();
    assert_eq!(stored.body["status"], "finished");
    assert_eq!(stored.body["class"]["code"], "VR");

    // Closed: no more messages, no second completion.
    let e = w
        .clinic
        .send_message(&w.patient, &c.id, Some("谢谢"), None)
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::Invalid { .. }), "{e:?}");
    let e = w
        .clinic
        .complete(&w.doctor, &c.id, "again")
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::Moved(_)), "{e:?}");
}

on_both!(
    a_patient_cannot_reach_another_patients_consultation,
    strangers_see_nothing
);
async fn strangers_see_nothing(w: &World) {
    let c = w.accepted().await;
    for attempt in [
        w.clinic.consultation(&w.stranger, &c.id).await.map(|_| ()),
        w.clinic.messages(&w.stranger, &c.id).await.map(|_| ()),
        w.clinic
            .send_message(&w.stranger, &c.id, Some("hi"), None)
            .await
            .map(|_| ()),
        w.clinic.consultation(&w.junior, &c.id).await.map(|_| ()),
    ] {
        let e = attempt.unwrap_err();
        assert!(matches!(e, ClinicError::NotFound { .. }), "{e:?}");
    }
    assert!(
        w.clinic
            .consultations_of_patient(&w.stranger)
            .await
            .unwrap()
            .is_empty()
    );
    // A stranger cannot book for the patient either.
    let e = w
        .clinic
        .request_consultation(&w.stranger, w.request(&w.patient_resident))
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::Forbidden(_)), "{e:?}");
}

on_both!(one_open_follow_up_per_condition, one_open_per_condition);
async fn one_open_per_condition(w: &World) {
    w.accepted().await;
    let e = w
        .clinic
        .request_consultation(&w.patient, w.request(&w.patient_resident))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "disease"),
        "{e:?}"
    );
}

on_both!(
    withdrawing_and_declining_close_with_the_reason,
    withdraw_and_decline
);
async fn withdraw_and_decline(w: &World) {
    let c = w
        .clinic
        .request_consultation(&w.patient, w.request(&w.patient_resident))
        .await
        .unwrap();
    let e = w.clinic.decline(&w.patient, &c.id, "no").await.unwrap_err();
    assert!(matches!(e, ClinicError::Forbidden(_)), "{e:?}");
    let c = w
        .clinic
        .decline(&w.doctor, &c.id, "需线下面诊评估")
        .await
        .unwrap();
    assert_eq!(c.state, State::Cancelled);
    assert_eq!(c.close_reason.as_deref(), Some("需线下面诊评估"));
    let c = w
        .clinic
        .request_consultation(&w.patient, w.request(&w.patient_resident))
        .await
        .unwrap();
    let c = w
        .clinic
        .withdraw(&w.patient, &c.id, "已到线下就诊")
        .await
        .unwrap();
    assert_eq!(c.state, State::Cancelled);
}

on_both!(a_request_nobody_accepts_expires, requests_expire);
async fn requests_expire(w: &World) {
    let c = w
        .clinic
        .request_consultation(&w.patient, w.request(&w.patient_resident))
        .await
        .unwrap();
    let minutes = i64::from(w.clinic.rules().consultations.accept_within_minutes.value);
    let just_in_time = c.requested_at + minutes * 60_000;
    assert_eq!(w.clinic.expire_due(just_in_time).await.unwrap(), 0);
    assert_eq!(w.clinic.expire_due(just_in_time + 1).await.unwrap(), 1);
    let c = w.clinic.consultation(&w.patient, &c.id).await.unwrap();
    assert_eq!(c.state, State::Expired);
    let e = w
        .clinic
        .accept(&w.doctor, &c.id, true, false)
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::Moved(_)), "{e:?}");
    assert!(UtcMillis::now().0 > 0);
}

on_both!(images_are_checked_before_they_are_kept, images_checked);
async fn images_checked(w: &World) {
    let c = w.accepted().await;
    for (image, why) in [
        (
            Image {
                media_type: "image/png".into(),
                bytes: vec![],
            },
            "empty",
        ),
        (
            Image {
                media_type: "image/png".into(),
                bytes: b"GIF89a".to_vec(),
            },
            "not png",
        ),
        (
            Image {
                media_type: "image/jpeg".into(),
                bytes: PNG.to_vec(),
            },
            "mislabelled",
        ),
        (
            Image {
                media_type: "image/png".into(),
                bytes: [PNG, &vec![0u8; 3 * 1024 * 1024]].concat(),
            },
            "too large",
        ),
    ] {
        let e = w
            .clinic
            .send_message(&w.patient, &c.id, None, Some(image))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ClinicError::Invalid { field, .. } if *field == "image"),
            "{why}: {e:?}"
        );
    }
    let e = w
        .clinic
        .send_message(&w.patient, &c.id, Some("  "), None)
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::Invalid { .. }), "{e:?}");
    assert!(
        w.clinic
            .messages(&w.patient, &c.id)
            .await
            .unwrap()
            .is_empty(),
        "nothing half-kept"
    );
}

on_both!(
    the_regulator_sees_volumes_refusals_and_waits,
    oversight_figures
);
async fn oversight_figures(w: &World) {
    let c = w.accepted().await;
    // A refusal: the junior doctor is not qualified.
    let junior = clinic::NewConsultation {
        doctor_id: w.junior.user_id.clone(),
        ..w.request(&w.patient_resident)
    };
    assert!(
        w.clinic
            .request_consultation(&w.patient, junior)
            .await
            .is_err()
    );
    let e = w.clinic.oversight(&w.doctor, 0).await.unwrap_err();
    assert!(matches!(e, ClinicError::Forbidden(_)), "{e:?}");
    let figures = w.clinic.oversight(&w.official, 0).await.unwrap();
    let a = figures
        .iter()
        .find(|f| f.hospital_id == w.hospital_a.id)
        .expect("甲 has figures");
    assert_eq!(a.consultations.get("accepted"), Some(&1));
    assert_eq!(a.refusals.get("consult/doctor-qualified"), Some(&1));
    assert_eq!(a.accepted, 1);
    let wait = a.wait_median_minutes.unwrap();
    assert!((0.0..5.0).contains(&wait), "accepted right away: {wait}");
    assert!(c.accepted_at.unwrap() >= c.requested_at);
}
