//! Dispensing and delivery: options from stock, pickup booked in one transaction and handed
//! over against the pickup code, courier to delivery with proof, races for a slot, stock that
//! runs out mid-booking, and nothing for a prescription that is not approved and in force.

use clinic::{
    Address, ClinicError, FulfilmentState, Method, NewSlot, Prescription, PrescriptionRequest,
    Proof, Review, Slot,
};
use kernel::UtcMillis;
use prescribing::{Draft, Frequency, Line, LongTerm};
use store::sqlx::{self, Row};

use crate::{World, on_both};

const AMLODIPINE: &str = "amlodipine-5mg-tab";
const ATORVASTATIN: &str = "atorvastatin-20mg-tab";
const HOUR: i64 = 3_600_000;

fn line(drug: &str, dose: f64, days: u32, packs: u32) -> Line {
    Line {
        drug: drug.into(),
        dose,
        frequency: Frequency::Qd,
        days,
        packs,
    }
}

/// The demo: 12 weeks of amlodipine, 84 tablets.
fn twelve_weeks() -> Draft {
    Draft {
        lines: vec![line(AMLODIPINE, 5.0, 84, 3)],
        long_term: Some(LongTerm {
            evaluation: "诊断明确，血压控制达标，用药方案两年未调整".into(),
            patient_confirmed: true,
        }),
        validity_days: 1,
    }
}

/// Four weeks of amlodipine, 28 tablets.
fn four_weeks() -> Draft {
    Draft::new(vec![line(AMLODIPINE, 5.0, 28, 1)])
}

/// A prescription written in consultation `c` under `key`, not yet reviewed. Its validity
/// runs three days from now, so slots of the next hours fall inside it at any hour of day.
async fn written(w: &World, c: &str, key: &str, draft: Draft) -> Prescription {
    let rx = w
        .clinic
        .prescribe(
            &w.doctor,
            c,
            PrescriptionRequest {
                request_key: key.into(),
                draft,
                flags_acknowledged: true,
            },
        )
        .await
        .unwrap();
    set_valid_until(w, &rx.id, UtcMillis::now().0 + 72 * HOUR).await;
    rx
}

async fn approve(w: &World, rx: &Prescription) -> Prescription {
    w.clinic
        .review(&w.pharmacist, &rx.id, Review::Approve)
        .await
        .unwrap()
}

async fn set_valid_until(w: &World, rx: &str, at: i64) {
    sqlx::query("UPDATE clinic_prescriptions SET valid_until = $1 WHERE id = $2")
        .bind(at)
        .bind(rx)
        .execute(w.db.pool())
        .await
        .unwrap();
}

/// Stock at the hospital (甲) and both pharmacies; the short one cannot cover 28 tablets.
async fn stock(w: &World) {
    w.clinic
        .set_stock(&w.pharmacist, &w.hospital_a.id, AMLODIPINE, 1000)
        .await
        .unwrap();
    w.clinic
        .set_stock(&w.pharmacy_pharmacist, &w.pharmacy.id, AMLODIPINE, 500)
        .await
        .unwrap();
    w.clinic
        .set_stock(
            &w.pharmacy_short_pharmacist,
            &w.pharmacy_short.id,
            AMLODIPINE,
            20,
        )
        .await
        .unwrap();
}

async fn slot(w: &World, who: &access::Principal, site: &str, hours: i64, capacity: u32) -> Slot {
    let now = UtcMillis::now().0;
    w.clinic
        .add_slot(
            who,
            NewSlot {
                site_id: site.into(),
                starts_at: now + hours * HOUR,
                ends_at: now + hours * HOUR + HOUR / 2,
                capacity,
            },
            now,
        )
        .await
        .unwrap()
}

async fn units(w: &World, site: &str, drug: &str) -> i64 {
    sqlx::query("SELECT units FROM clinic_stock WHERE site_id = $1 AND drug = $2")
        .bind(site)
        .bind(drug)
        .fetch_one(w.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn booked(w: &World, slot: &str) -> i64 {
    sqlx::query("SELECT booked FROM clinic_slots WHERE id = $1")
        .bind(slot)
        .fetch_one(w.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// The field a refusal names: bad input (422) or something no longer there (409).
fn invalid_field(e: &ClinicError) -> &str {
    match e {
        ClinicError::Invalid { field, .. } | ClinicError::Conflict { field, .. } => field,
        other => panic!("expected a refusal naming a field, got {other:?}"),
    }
}

fn home() -> Address {
    Address {
        recipient: "王秀英".into(),
        mobile: "+86 139 1234 5678".into(),
        district: "gulou".into(),
        street: "中山北路283号7栋502室".into(),
    }
}

on_both!(
    the_demo_books_a_pickup_and_hands_it_over_against_the_code,
    demo_pickup
);
async fn demo_pickup(w: &World) {
    let c = w.accepted().await;
    w.clinic.confirm_long_term(&w.patient, &c.id).await.unwrap();
    let rx = approve(w, &written(w, &c.id, "demo", twelve_weeks()).await).await;
    stock(w).await;
    let at_hospital = slot(w, &w.pharmacist, &w.hospital_a.id, 2, 5).await;
    let at_pharmacy = slot(w, &w.pharmacy_pharmacist, &w.pharmacy.id, 3, 5).await;
    slot(w, &w.pharmacy_short_pharmacist, &w.pharmacy_short.id, 3, 5).await;

    let now = UtcMillis::now().0;
    let options = w
        .clinic
        .fulfilment_options(&w.patient, &rx.id, now)
        .await
        .unwrap();
    assert_eq!(options.needs.len(), 1);
    assert_eq!(options.needs[0].units, 84, "3 packs of 28 tablets");
    let sites: Vec<&str> = options.sites.iter().map(|s| s.site.id.as_str()).collect();
    assert_eq!(sites, [w.hospital_a.id.as_str(), w.pharmacy.id.as_str()]);
    assert!(options.courier);
    assert!(options.unavailable.is_none());
    assert_eq!(
        options.sites[1].free_slots,
        std::slice::from_ref(&at_pharmacy)
    );
    assert_eq!(
        options.sites[0].free_slots,
        std::slice::from_ref(&at_hospital)
    );

    let booking = w
        .clinic
        .book_pickup(&w.patient, &rx.id, &at_pharmacy.id)
        .await
        .unwrap();
    assert_eq!(booking.state, FulfilmentState::Booked);
    assert_eq!(booking.method, Method::Pickup);
    assert_eq!(booking.site.id, w.pharmacy.id);
    let code = booking
        .pickup_code
        .clone()
        .expect("the patient sees the code");
    assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(units(w, &w.pharmacy.id, AMLODIPINE).await, 500 - 84);
    assert_eq!(booked(w, &at_pharmacy.id).await, 1);

    // The same slot again is the same booking; another choice while it stands is refused.
    let again = w
        .clinic
        .book_pickup(&w.patient, &rx.id, &at_pharmacy.id)
        .await
        .unwrap();
    assert_eq!(again.id, booking.id);
    assert_eq!(booked(w, &at_pharmacy.id).await, 1);
    let e = w
        .clinic
        .book_pickup(&w.patient, &rx.id, &at_hospital.id)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "prescription");
    let e = w
        .clinic
        .choose_courier(&w.patient, &rx.id, &home())
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "prescription");

    // The patient is told, with the site and the time.
    let notes = w.clinic.notifications_of(&w.patient, true).await.unwrap();
    let note = notes
        .iter()
        .find(|n| n.kind == "clinic.pickup.booked")
        .expect("booking notified");
    assert!(note.text_zh.contains("鼓楼康民大药房（演示）"), "{note:?}");
    assert_eq!(note.link, format!("/clinic/fulfilments/{}", booking.id));

    // A stranger sees nothing and books nothing.
    for e in [
        w.clinic
            .fulfilment(&w.stranger, &booking.id)
            .await
            .unwrap_err(),
        w.clinic
            .fulfilment_of(&w.stranger, &rx.id)
            .await
            .unwrap_err(),
        w.clinic
            .book_pickup(&w.stranger, &rx.id, &at_pharmacy.id)
            .await
            .unwrap_err(),
        w.clinic
            .cancel_fulfilment(&w.stranger, &booking.id, "")
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(e, ClinicError::NotFound { .. }), "{e:?}");
    }

    // Pharmacists of other sites cannot hand it over, even with the right code.
    for other in [&w.pharmacist, &w.pharmacist_b, &w.pharmacy_short_pharmacist] {
        let e = w
            .clinic
            .collect_pickup(other, &booking.id, &code)
            .await
            .unwrap_err();
        assert!(matches!(e, ClinicError::NotFound { .. }), "{e:?}");
    }
    // The site's pharmacist lists it for today (when its slot starts today) without the code.
    let today = w
        .clinic
        .pickups_from_today(&w.pharmacy_pharmacist, at_pharmacy.starts_at)
        .await
        .unwrap();
    assert_eq!(today.len(), 1);
    assert_eq!(today[0].pickup_code, None);
    assert_eq!(
        today[0].patient_masked.as_deref().map(|n| n.contains('*')),
        Some(true)
    );

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let e = w
        .clinic
        .collect_pickup(&w.pharmacy_pharmacist, &booking.id, wrong)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "pickup_code");
    let collected = w
        .clinic
        .collect_pickup(&w.pharmacy_pharmacist, &booking.id, &code)
        .await
        .unwrap();
    assert_eq!(collected.state, FulfilmentState::Collected);
    assert!(collected.closed_at.is_some());
    let e = w
        .clinic
        .collect_pickup(&w.pharmacy_pharmacist, &booking.id, &code)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "fulfilment");
    // Collected stays collected: the patient can no longer cancel it.
    let e = w
        .clinic
        .cancel_fulfilment(&w.patient, &booking.id, "")
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "fulfilment");
    let seen = w
        .clinic
        .fulfilment_of(&w.patient, &rx.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.state, FulfilmentState::Collected);
    assert_eq!(units(w, &w.pharmacy.id, AMLODIPINE).await, 500 - 84);
    let kinds: Vec<String> = w
        .clinic
        .notifications_of(&w.patient, false)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.kind)
        .collect();
    assert!(
        kinds.contains(&"clinic.pickup.collected".to_owned()),
        "{kinds:?}"
    );
}

on_both!(
    courier_delivery_goes_to_delivered_with_proof_and_the_address_is_encrypted,
    courier_path
);
async fn courier_path(w: &World) {
    let c = w.accepted().await;
    let rx = approve(w, &written(w, &c.id, "a", four_weeks()).await).await;
    stock(w).await;
    let order = w
        .clinic
        .choose_courier(&w.patient, &rx.id, &home())
        .await
        .unwrap();
    assert_eq!(order.state, FulfilmentState::AwaitingDispatch);
    assert_eq!(order.site.id, w.hospital_a.id);
    let shown = order.address.clone().unwrap();
    assert_eq!(shown.mobile, "139****5678");
    assert_eq!(shown.recipient, "王**");
    assert!(!shown.street.contains("283"), "{shown:?}");
    assert_eq!(units(w, &w.hospital_a.id, AMLODIPINE).await, 1000 - 28);

    // At rest: neither the street, the name nor the number in clear.
    let row = sqlx::query(
        "SELECT recipient_enc, mobile_enc, street_enc FROM clinic_fulfilments WHERE id = $1",
    )
    .bind(&order.id)
    .fetch_one(w.db.pool())
    .await
    .unwrap();
    let recipient: String = row.try_get(0).unwrap();
    let mobile: String = row.try_get(1).unwrap();
    let street: String = row.try_get(2).unwrap();
    assert!(!street.contains("中山北路") && !street.contains("283"));
    assert!(!recipient.contains("王秀英"));
    assert!(!mobile.contains("13912345678") && !mobile.contains("5678"));

    // The hospital's pharmacist lists it masked and prints the label in full.
    let orders = w.clinic.courier_orders(&w.pharmacist).await.unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].address.as_ref().unwrap().mobile, "139****5678");
    let label = w
        .clinic
        .delivery_label(&w.pharmacist, &order.id)
        .await
        .unwrap();
    assert_eq!(label.street, "中山北路283号7栋502室");
    assert_eq!(label.mobile, "13912345678");
    let e = w
        .clinic
        .delivery_label(&w.pharmacy_pharmacist, &order.id)
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::NotFound { .. }), "{e:?}");

    // Not received before it is sent; only the hospital's pharmacist sends it.
    let e = w
        .clinic
        .confirm_receipt(&w.patient, &order.id)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "fulfilment");
    let e = w
        .clinic
        .dispatch(
            &w.pharmacy_pharmacist,
            &order.id,
            "顺丰速运",
            "SF1234567890",
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::NotFound { .. }), "{e:?}");
    let e = w
        .clinic
        .dispatch(&w.pharmacist, &order.id, "顺丰速运", "SF 12")
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "tracking_no");
    let sent = w
        .clinic
        .dispatch(&w.pharmacist, &order.id, "顺丰速运", "SF1234567890")
        .await
        .unwrap();
    assert_eq!(sent.state, FulfilmentState::Dispatched);
    assert_eq!(sent.tracking_no.as_deref(), Some("SF1234567890"));
    let e = w
        .clinic
        .cancel_fulfilment(&w.patient, &order.id, "")
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "fulfilment");

    let received = w
        .clinic
        .confirm_receipt(&w.patient, &order.id)
        .await
        .unwrap();
    assert_eq!(received.state, FulfilmentState::Delivered);
    assert_eq!(received.proof, Some(Proof::Patient));
    assert!(received.closed_at.is_some());
    let e = w
        .clinic
        .confirm_receipt(&w.patient, &order.id)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "fulfilment");
    let kinds: Vec<String> = w
        .clinic
        .notifications_of(&w.patient, false)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.kind)
        .collect();
    for kind in [
        "clinic.courier.chosen",
        "clinic.courier.dispatched",
        "clinic.courier.delivered",
    ] {
        assert!(kinds.contains(&kind.to_owned()), "{kind}: {kinds:?}");
    }

    // The courier's signed proof, entered by the pharmacist, closes a second order.
    let rx2 = approve(w, &written(w, &c.id, "b", four_weeks()).await).await;
    let order2 = w
        .clinic
        .choose_courier(&w.patient, &rx2.id, &home())
        .await
        .unwrap();
    w.clinic
        .dispatch(&w.pharmacist, &order2.id, "EMS", "EMS-0001-2345")
        .await
        .unwrap();
    let e = w
        .clinic
        .confirm_receipt(&w.pharmacist, &order2.id)
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::Forbidden(_)), "{e:?}");
    let proven = w
        .clinic
        .record_delivery_proof(&w.pharmacist, &order2.id, "签收单 EMS-0001-2345")
        .await
        .unwrap();
    assert_eq!(proven.state, FulfilmentState::Delivered);
    assert_eq!(
        proven.proof,
        Some(Proof::Courier {
            reference: "签收单 EMS-0001-2345".into()
        })
    );
    assert!(
        w.clinic
            .courier_orders(&w.pharmacist)
            .await
            .unwrap()
            .is_empty()
    );
}

on_both!(a_slot_for_one_is_booked_once_when_two_race, capacity_race);
async fn capacity_race(w: &World) {
    let c = w.accepted().await;
    let a = written(w, &c.id, "a", four_weeks()).await;
    let b = written(w, &c.id, "b", four_weeks()).await;
    let (a, b) = (approve(w, &a).await, approve(w, &b).await);
    stock(w).await;
    let one = slot(w, &w.pharmacist, &w.hospital_a.id, 2, 1).await;
    let (first, second) = tokio::join!(
        w.clinic.book_pickup(&w.patient, &a.id, &one.id),
        w.clinic.book_pickup(&w.patient, &b.id, &one.id),
    );
    let loser = match (first, second) {
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => e,
        other => panic!("exactly one booking wins: {other:?}"),
    };
    assert_eq!(invalid_field(&loser), "slot", "{loser}");
    assert_eq!(booked(w, &one.id).await, 1);
    // The loser's medicine went back: only one booking's worth is taken.
    assert_eq!(units(w, &w.hospital_a.id, AMLODIPINE).await, 1000 - 28);
    let standing: i64 =
        sqlx::query("SELECT COUNT(*) FROM clinic_fulfilments WHERE standing_rx IS NOT NULL")
            .fetch_one(w.db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(standing, 1);
    // A full slot is no longer offered.
    let options = w
        .clinic
        .fulfilment_options(&w.patient, &a.id, UtcMillis::now().0)
        .await
        .unwrap();
    assert!(options.sites.iter().all(|s| s.free_slots.is_empty()));
}

on_both!(
    stock_that_runs_out_mid_booking_rolls_everything_back,
    stock_runs_out
);
async fn stock_runs_out(w: &World) {
    let c = w.accepted().await;
    let draft = Draft::new(vec![
        line(AMLODIPINE, 5.0, 28, 1),
        line(ATORVASTATIN, 20.0, 28, 1),
    ]);
    let rx = approve(w, &written(w, &c.id, "two", draft).await).await;
    stock(w).await;
    w.clinic
        .set_stock(&w.pharmacy_pharmacist, &w.pharmacy.id, ATORVASTATIN, 28)
        .await
        .unwrap();
    let at = slot(w, &w.pharmacy_pharmacist, &w.pharmacy.id, 2, 3).await;
    let options = w
        .clinic
        .fulfilment_options(&w.patient, &rx.id, UtcMillis::now().0)
        .await
        .unwrap();
    let sites: Vec<&str> = options.sites.iter().map(|s| s.site.id.as_str()).collect();
    assert_eq!(
        sites,
        [w.pharmacy.id.as_str()],
        "the hospital has no atorvastatin"
    );
    assert!(!options.courier);

    // Between the options and the booking, the pharmacy's atorvastatin goes.
    let unread = w.clinic.unread_count(&w.patient).await.unwrap();
    w.clinic
        .set_stock(&w.pharmacy_pharmacist, &w.pharmacy.id, ATORVASTATIN, 27)
        .await
        .unwrap();
    let e = w
        .clinic
        .book_pickup(&w.patient, &rx.id, &at.id)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "stock");
    assert!(e.to_string().contains(ATORVASTATIN), "{e}");
    // Amlodipine was taken first and given back; the slot and the fulfilment too.
    assert_eq!(units(w, &w.pharmacy.id, AMLODIPINE).await, 500);
    assert_eq!(units(w, &w.pharmacy.id, ATORVASTATIN).await, 27);
    assert_eq!(booked(w, &at.id).await, 0);
    assert_eq!(
        w.clinic.fulfilment_of(&w.patient, &rx.id).await.unwrap(),
        None
    );
    assert_eq!(
        w.clinic.unread_count(&w.patient).await.unwrap(),
        unread,
        "no booking, no notice of one"
    );

    // Nothing anywhere now: the options say so.
    let options = w
        .clinic
        .fulfilment_options(&w.patient, &rx.id, UtcMillis::now().0)
        .await
        .unwrap();
    assert!(options.sites.is_empty() && !options.courier);
    let why = options.unavailable.expect("told why");
    assert!(why.message_en.contains("Atorvastatin") || why.message_en.contains("atorvastatin"));
}

on_both!(
    nothing_is_dispensed_for_a_prescription_not_approved_and_in_force,
    not_dispensable
);
async fn not_dispensable(w: &World) {
    let c = w.accepted().await;
    stock(w).await;
    let at = slot(w, &w.pharmacist, &w.hospital_a.id, 2, 10).await;
    let awaiting = written(w, &c.id, "awaiting", four_weeks()).await;
    let rejected = written(w, &c.id, "rejected", four_weeks()).await;
    w.clinic
        .review(
            &w.pharmacist,
            &rejected.id,
            Review::Reject {
                reason: "剂量需调整".into(),
            },
        )
        .await
        .unwrap();
    let withdrawn = written(w, &c.id, "withdrawn", four_weeks()).await;
    w.clinic
        .withdraw_prescription(&w.doctor, &withdrawn.id)
        .await
        .unwrap();
    let expired = approve(w, &written(w, &c.id, "expired", four_weeks()).await).await;
    set_valid_until(w, &expired.id, UtcMillis::now().0 - 1).await;

    for (what, rx) in [
        ("awaiting", &awaiting),
        ("rejected", &rejected),
        ("withdrawn", &withdrawn),
        ("expired", &expired),
    ] {
        let now = UtcMillis::now().0;
        let e = w
            .clinic
            .fulfilment_options(&w.patient, &rx.id, now)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&e), "prescription", "{what}");
        let e = w
            .clinic
            .book_pickup(&w.patient, &rx.id, &at.id)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&e), "prescription", "{what}");
        let e = w
            .clinic
            .choose_courier(&w.patient, &rx.id, &home())
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&e), "prescription", "{what}");
    }
    assert_eq!(booked(w, &at.id).await, 0);
    assert_eq!(units(w, &w.hospital_a.id, AMLODIPINE).await, 1000);

    // Booked while in force, then expired before the counter: not handed over.
    let late = approve(w, &written(w, &c.id, "late", four_weeks()).await).await;
    let booking = w
        .clinic
        .book_pickup(&w.patient, &late.id, &at.id)
        .await
        .unwrap();
    set_valid_until(w, &late.id, UtcMillis::now().0 - 1).await;
    let e = w
        .clinic
        .collect_pickup(&w.pharmacist, &booking.id, &booking.pickup_code.unwrap())
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "prescription");
    assert!(e.to_string().contains("expired"), "{e}");
}

on_both!(
    a_cancelled_or_missed_pickup_gives_back_stock_and_place,
    cancel_and_miss
);
async fn cancel_and_miss(w: &World) {
    let c = w.accepted().await;
    let rx = approve(w, &written(w, &c.id, "a", four_weeks()).await).await;
    stock(w).await;
    let at = slot(w, &w.pharmacist, &w.hospital_a.id, 2, 2).await;
    let first = w
        .clinic
        .book_pickup(&w.patient, &rx.id, &at.id)
        .await
        .unwrap();
    assert_eq!(units(w, &w.hospital_a.id, AMLODIPINE).await, 1000 - 28);
    let cancelled = w
        .clinic
        .cancel_fulfilment(&w.patient, &first.id, "")
        .await
        .unwrap();
    assert_eq!(cancelled.state, FulfilmentState::Cancelled);
    assert_eq!(cancelled.pickup_code, None);
    assert_eq!(units(w, &w.hospital_a.id, AMLODIPINE).await, 1000);
    assert_eq!(booked(w, &at.id).await, 0);
    let e = w
        .clinic
        .cancel_fulfilment(&w.patient, &first.id, "")
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "fulfilment");

    // Booked again, then not collected: the periodic run marks it missed after the grace.
    let second = w
        .clinic
        .book_pickup(&w.patient, &rx.id, &at.id)
        .await
        .unwrap();
    assert_ne!(second.id, first.id);
    let e = w
        .clinic
        .mark_missed(&w.pharmacist, &second.id)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "fulfilment", "the slot has not ended");
    let grace = i64::from(w.clinic.rules().dispensing.missed_after_minutes.value) * 60_000;
    assert_eq!(
        w.clinic
            .miss_overdue_pickups(at.ends_at + grace - 1)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        w.clinic
            .miss_overdue_pickups(at.ends_at + grace + 1)
            .await
            .unwrap(),
        1
    );
    let missed = w.clinic.fulfilment(&w.patient, &second.id).await.unwrap();
    assert_eq!(missed.state, FulfilmentState::Missed);
    assert_eq!(units(w, &w.hospital_a.id, AMLODIPINE).await, 1000);
    assert_eq!(booked(w, &at.id).await, 0);
    let kinds: Vec<String> = w
        .clinic
        .notifications_of(&w.patient, true)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.kind)
        .collect();
    assert!(
        kinds.contains(&"clinic.pickup.missed".to_owned()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"clinic.fulfilment.cancelled".to_owned()),
        "{kinds:?}"
    );
}

on_both!(
    stock_and_slots_are_set_by_the_sites_pharmacist_within_limits,
    stock_and_slot_rules
);
async fn stock_and_slot_rules(w: &World) {
    let e = w
        .clinic
        .set_stock(&w.pharmacist, &w.hospital_a.id, AMLODIPINE, -1)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "units");
    let e = w
        .clinic
        .set_stock(&w.pharmacist, &w.hospital_a.id, "snake-oil", 10)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "drug");
    for who in [&w.pharmacy_pharmacist, &w.doctor, &w.patient] {
        let e = w
            .clinic
            .set_stock(who, &w.hospital_a.id, AMLODIPINE, 10)
            .await
            .unwrap_err();
        assert!(matches!(e, ClinicError::Forbidden(_)), "{e:?}");
    }
    let line = w
        .clinic
        .set_stock(&w.pharmacist, &w.hospital_a.id, AMLODIPINE, 84)
        .await
        .unwrap();
    assert_eq!((line.units, line.packs), (84, 3));
    let listed = w
        .clinic
        .stock_of(&w.pharmacist, &w.hospital_a.id)
        .await
        .unwrap();
    assert_eq!(listed, [line]);

    let now = UtcMillis::now().0;
    let new = |starts_at: i64, ends_at: i64, capacity: u32| NewSlot {
        site_id: w.pharmacy.id.clone(),
        starts_at,
        ends_at,
        capacity,
    };
    let p = &w.pharmacy_pharmacist;
    for (field, slot) in [
        ("starts_at", new(now - HOUR, now + HOUR, 5)),
        ("ends_at", new(now + HOUR, now + HOUR, 5)),
        ("ends_at", new(now + HOUR, now + 6 * HOUR, 5)),
        ("capacity", new(now + HOUR, now + 2 * HOUR, 0)),
    ] {
        let e = w.clinic.add_slot(p, slot, now).await.unwrap_err();
        assert_eq!(invalid_field(&e), field);
    }
    w.clinic
        .add_slot(p, new(now + HOUR, now + 2 * HOUR, 5), now)
        .await
        .unwrap();
    let e = w
        .clinic
        .add_slot(p, new(now + HOUR + HOUR / 2, now + 3 * HOUR, 5), now)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&e), "starts_at", "overlap");
    let e = w
        .clinic
        .add_slot(&w.pharmacist, new(now + 5 * HOUR, now + 6 * HOUR, 5), now)
        .await
        .unwrap_err();
    assert!(matches!(e, ClinicError::Forbidden(_)), "{e:?}");
    assert_eq!(
        w.clinic
            .slots_of(p, &w.pharmacy.id, now)
            .await
            .unwrap()
            .len(),
        1
    );
}
