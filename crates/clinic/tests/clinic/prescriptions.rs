//! Prescriptions: the long prescription of the demo, checks, signature, review by one
//! pharmacist of the hospital, idempotent submission, no edits.

use clinic::{ClinicError, PrescriptionRequest, Review, RxState};
use prescribing::{Draft, Frequency, Line, LongTerm, ProblemKind};

use crate::{World, on_both};

fn amlodipine(days: u32, packs: u32) -> Line {
    Line {
        drug: "amlodipine-5mg-tab".into(),
        dose: 5.0,
        frequency: Frequency::Qd,
        days,
        packs,
    }
}

fn request(key: &str, draft: Draft) -> PrescriptionRequest {
    PrescriptionRequest {
        request_key: key.into(),
        draft,
        flags_acknowledged: false,
    }
}

fn long_draft() -> Draft {
    Draft {
        lines: vec![amlodipine(84, 3)],
        long_term: Some(LongTerm {
            evaluation: "诊断明确，血压控制达标，用药方案两年未调整".into(),
            patient_confirmed: true,
        }),
        validity_days: 1,
    }
}

on_both!(
    a_twelve_week_prescription_is_signed_approved_and_recorded,
    twelve_weeks
);
async fn twelve_weeks(w: &World) {
    let c = w.accepted().await;
    // The doctor's form says the patient confirmed; the patient has not: refused.
    let e = w
        .clinic
        .prescribe(&w.doctor, &c.id, request("k1", long_draft()))
        .await
        .unwrap_err();
    match &e {
        ClinicError::Prescription(problems) => assert!(
            problems
                .iter()
                .any(|p| p.kind == ProblemKind::LongWithoutConfirmation),
            "{problems:?}"
        ),
        other => panic!("{other:?}"),
    }
    w.clinic.confirm_long_term(&w.patient, &c.id).await.unwrap();
    let rx = w
        .clinic
        .prescribe(&w.doctor, &c.id, request("k2", long_draft()))
        .await
        .unwrap();
    assert_eq!(rx.state, RxState::AwaitingReview);
    assert!(rx.long_term);
    assert_eq!(rx.document["lines"][0]["days"], 84);
    assert_eq!(rx.document["lines"][0]["atc"], "C08CA01");
    assert!(w.clinic.verify_prescription(&rx.id).await.unwrap());

    // Nothing is in force before a pharmacist approves.
    let queue = w.clinic.review_queue(&w.pharmacist).await.unwrap();
    assert!(queue.iter().any(|p| p.id == rx.id));
    let approved = w
        .clinic
        .review(&w.pharmacist, &rx.id, Review::Approve)
        .await
        .unwrap();
    assert_eq!(approved.state, RxState::Approved);
    assert_eq!(
        approved.reviewed_by.as_deref(),
        Some(w.pharmacist.user_id.as_str())
    );

    // The approved prescription is in the record, as a MedicationRequest of the visit.
    let reader = clinical::Actor::from_principal(&w.patient, ledger::PurposeOfUse::Treatment);
    let record = w
        .clinical
        .resident_record(&reader, &w.patient_resident)
        .await
        .unwrap();
    let requests: Vec<_> = record
        .iter()
        .filter(|r| r.resource_type == "MedicationRequest")
        .collect();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body["identifier"][0]["value"], rx.id.as_str());
}

on_both!(a_double_submit_writes_one_prescription, idempotent);
async fn idempotent(w: &World) {
    let c = w.accepted().await;
    let draft = Draft::new(vec![amlodipine(28, 1)]);
    let first = w
        .clinic
        .prescribe(&w.doctor, &c.id, request("same", draft.clone()))
        .await
        .unwrap();
    let again = w
        .clinic
        .prescribe(&w.doctor, &c.id, request("same", draft))
        .await
        .unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(w.clinic.review_queue(&w.pharmacist).await.unwrap().len(), 1);
}

on_both!(two_pharmacists_cannot_both_act, one_review_stands);
async fn one_review_stands(w: &World) {
    let c = w.accepted().await;
    let rx = w
        .clinic
        .prescribe(
            &w.doctor,
            &c.id,
            request("k", Draft::new(vec![amlodipine(28, 1)])),
        )
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        w.clinic.review(&w.pharmacist, &rx.id, Review::Approve),
        w.clinic.review(
            &w.pharmacist2,
            &rx.id,
            Review::Reject {
                reason: "剂量需调整".into()
            }
        ),
    );
    let loser = match (a, b) {
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => e,
        other => panic!("{other:?}"),
    };
    assert!(
        matches!(loser, ClinicError::AlreadyDone { .. }),
        "{loser:?}"
    );
}

on_both!(
    a_pharmacist_elsewhere_or_a_doctor_cannot_review,
    only_the_hospitals_pharmacists
);
async fn only_the_hospitals_pharmacists(w: &World) {
    let c = w.accepted().await;
    let rx = w
        .clinic
        .prescribe(
            &w.doctor,
            &c.id,
            request("k", Draft::new(vec![amlodipine(28, 1)])),
        )
        .await
        .unwrap();
    for who in [&w.pharmacist_b, &w.doctor, &w.patient] {
        let e = w
            .clinic
            .review(who, &rx.id, Review::Approve)
            .await
            .unwrap_err();
        assert!(matches!(e, ClinicError::NotFound { .. }), "{e:?}");
    }
    let e = w.clinic.refuse_edit(&w.pharmacist, &rx.id).await;
    assert!(matches!(e, ClinicError::Forbidden(_)));
    let e = w
        .clinic
        .review(&w.pharmacist, &rx.id, Review::Reject { reason: " ".into() })
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "reason"),
        "{e:?}"
    );
    let rejected = w
        .clinic
        .review(
            &w.pharmacist,
            &rx.id,
            Review::Reject {
                reason: "请改为每日两次".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(rejected.review_reason.as_deref(), Some("请改为每日两次"));
}

on_both!(
    controlled_drugs_are_never_prescribed_online,
    controlled_refused
);
async fn controlled_refused(w: &World) {
    let c = w.accepted().await;
    let draft = Draft::new(vec![Line {
        drug: "diazepam-2.5mg-tab".into(),
        dose: 2.5,
        frequency: Frequency::Qn,
        days: 7,
        packs: 1,
    }]);
    let e = w
        .clinic
        .prescribe(&w.doctor, &c.id, request("k", draft))
        .await
        .unwrap_err();
    match e {
        ClinicError::Prescription(problems) => {
            assert!(
                problems
                    .iter()
                    .any(|p| p.kind == ProblemKind::ExcludedOnline && p.field == "lines[0].drug"),
                "{problems:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(
        w.clinic
            .review_queue(&w.pharmacist)
            .await
            .unwrap()
            .is_empty()
    );
}

on_both!(
    an_interaction_with_a_current_medicine_must_be_acknowledged,
    flags_acknowledged
);
async fn flags_acknowledged(w: &World) {
    let c = w.accepted().await;
    // Nifedipine beside the amlodipine the patient takes: two dihydropyridines.
    let draft = Draft::new(vec![Line {
        drug: "nifedipine-sr-20mg-tab".into(),
        dose: 20.0,
        frequency: Frequency::Bid,
        days: 14,
        packs: 1,
    }]);
    let e = w
        .clinic
        .prescribe(&w.doctor, &c.id, request("k", draft.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::FlagsToAcknowledge(flags) if !flags.is_empty()),
        "{e:?}"
    );
    let rx = w
        .clinic
        .prescribe(
            &w.doctor,
            &c.id,
            PrescriptionRequest {
                request_key: "k".into(),
                draft,
                flags_acknowledged: true,
            },
        )
        .await;
    match rx {
        Ok(rx) => assert!(
            !rx.document["flags_acknowledged"]
                .as_array()
                .unwrap()
                .is_empty()
        ),
        Err(ClinicError::Prescription(p)) => panic!("the draft itself is sound: {p:?}"),
        Err(e) => panic!("{e:?}"),
    }
}

on_both!(a_tampered_prescription_fails_its_signature, tamper_detected);
async fn tamper_detected(w: &World) {
    let c = w.accepted().await;
    let rx = w
        .clinic
        .prescribe(
            &w.doctor,
            &c.id,
            request("k", Draft::new(vec![amlodipine(28, 1)])),
        )
        .await
        .unwrap();
    let forged = rx.canonical.replace("\"days\":28", "\"days\":84");
    assert_ne!(forged, rx.canonical);
    store::sqlx::query("UPDATE clinic_prescriptions SET canonical = $1 WHERE id = $2")
        .bind(&forged)
        .bind(&rx.id)
        .execute(w.db.pool())
        .await
        .unwrap();
    assert!(!w.clinic.verify_prescription(&rx.id).await.unwrap());
    let e = w
        .clinic
        .review(&w.pharmacist, &rx.id, Review::Approve)
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::Corrupt(_)), "{e:?}");
}
