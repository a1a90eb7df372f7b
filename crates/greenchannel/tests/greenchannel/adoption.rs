//! Provincial listing, adoption against the one-month deadline and the alerts.

use greenchannel::{AdoptionStatus, AlertFilter, AlertKind, GreenChannelError};
use jiff::civil::date;

use crate::{World, noon, on_both};

on_both!(one_hospital_late_raises_one_alert, late_adoption);
/// Listed 31 January: due by 28 February. 甲 adopts within the month, 乙 does not: a
/// reminder a week before, then exactly one overdue alert, nothing new on a second scan; 乙's
/// late adoption resolves it and counts as late.
async fn late_adoption(w: &World) {
    w.listed("p1", date(2026, 1, 31)).await;
    let gc = &w.gc;
    let (a, b) = (&w.hospital_a.id, &w.hospital_b.id);

    // Nothing to remind of three weeks ahead.
    assert!(gc.scan(noon(date(2026, 2, 7))).await.unwrap().is_empty());

    let status = gc
        .record_adoption(&w.pharmacist_a, a, "p1", date(2026, 2, 20), "YP-2026-017")
        .await
        .unwrap();
    assert_eq!(
        status,
        AdoptionStatus::Adopted {
            on: date(2026, 2, 20),
            late: false
        }
    );

    // Seven days before the deadline (rules adoption.reminder_days): a reminder for 乙 only.
    let reminders = gc.scan(noon(date(2026, 2, 21))).await.unwrap();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].kind, AlertKind::Reminder);
    assert_eq!(&reminders[0].hospital_id, b);
    assert_eq!(reminders[0].deadline, date(2026, 2, 28));

    // The deadline day itself is still in time.
    assert!(gc.scan(noon(date(2026, 2, 28))).await.unwrap().is_empty());
    assert_eq!(
        gc.adoption_status(&w.doctor_b, "p1", b, date(2026, 2, 28))
            .await
            .unwrap(),
        AdoptionStatus::Pending {
            deadline: date(2026, 2, 28),
            days_left: 0
        }
    );

    let overdue = gc.scan(noon(date(2026, 3, 1))).await.unwrap();
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0].kind, AlertKind::Overdue);
    assert_eq!(&overdue[0].hospital_id, b);
    assert_eq!(overdue[0].product_id, "p1");
    assert!(gc.scan(noon(date(2026, 3, 1))).await.unwrap().is_empty());
    assert!(gc.scan(noon(date(2026, 3, 5))).await.unwrap().is_empty());
    assert_eq!(
        gc.adoption_status(&w.mi_official, "p1", b, date(2026, 3, 5))
            .await
            .unwrap(),
        AdoptionStatus::Overdue {
            deadline: date(2026, 2, 28),
            days_over: 5
        }
    );

    // The overdue alert replaced the reminder: one open alert, readable by 乙 and the bureau.
    let open = AlertFilter {
        open_only: true,
        ..AlertFilter::default()
    };
    let seen_by_b = gc.alerts(&w.doctor_b, &open).await.unwrap();
    assert_eq!(seen_by_b.len(), 1);
    assert_eq!(seen_by_b[0].kind, AlertKind::Overdue);
    assert_eq!(gc.alerts(&w.mi_official, &open).await.unwrap().len(), 1);
    assert!(gc.alerts(&w.pharmacist_a, &open).await.unwrap().is_empty());
    let acked = gc.acknowledge(&w.doctor_b, &seen_by_b[0].id).await.unwrap();
    assert_eq!(acked.acknowledged_by.as_deref(), Some("u-doctor-b"));
    assert!(acked.resolved_at.is_none(), "seen is not solved");

    let status = gc
        .record_adoption(&w.doctor_b, b, "p1", date(2026, 3, 10), "乙-采购目录-88")
        .await
        .unwrap();
    assert_eq!(
        status,
        AdoptionStatus::Adopted {
            on: date(2026, 3, 10),
            late: true
        }
    );
    assert!(gc.alerts(&w.mi_official, &open).await.unwrap().is_empty());
    let all = gc
        .alerts(&w.mi_official, &AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        2,
        "the reminder and the overdue alert, both resolved"
    );
    assert!(all.iter().all(|a| a.resolved_at.is_some()));
    assert!(gc.scan(noon(date(2026, 3, 15))).await.unwrap().is_empty());

    // Adopting twice is refused; the decisions are on the ledger.
    let again = gc
        .record_adoption(&w.doctor_b, b, "p1", date(2026, 3, 11), "x")
        .await
        .unwrap_err();
    assert!(
        matches!(again, GreenChannelError::Duplicate { .. }),
        "{again:?}"
    );
    assert_eq!(again.status(), 409);
    let entries = w
        .ledger
        .entries_for_subject("gc_adoption", &format!("{b}|p1"), 10)
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.event.action.as_str()).collect();
    assert!(
        actions.contains(&"greenchannel.adoption.record"),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"greenchannel.alert.overdue"),
        "{actions:?}"
    );
}

on_both!(not_needed_is_declared_with_a_reason, not_needed);
async fn not_needed(w: &World) {
    w.listed("p1", date(2026, 1, 31)).await;
    let gc = &w.gc;
    let b = &w.hospital_b.id;
    let e = gc
        .declare_not_needed(&w.doctor_b, b, "p1", date(2026, 2, 3), "  ")
        .await
        .unwrap_err();
    assert!(
        matches!(e, GreenChannelError::Missing { field: "reason" }),
        "{e:?}"
    );
    let status = gc
        .declare_not_needed(&w.doctor_b, b, "p1", date(2026, 2, 3), "本院无肿瘤专科")
        .await
        .unwrap();
    assert_eq!(
        status,
        AdoptionStatus::NotNeeded {
            reason: "本院无肿瘤专科".into()
        }
    );
    let raised = gc.scan(noon(date(2026, 3, 2))).await.unwrap();
    assert_eq!(raised.len(), 1, "甲 only: {raised:?}");
    assert_eq!(raised[0].hospital_id, w.hospital_a.id);
    // A hospital that finds a need later adopts the product after all.
    let status = gc
        .record_adoption(&w.doctor_b, b, "p1", date(2026, 3, 20), "乙-采购目录-90")
        .await
        .unwrap();
    assert_eq!(status.code(), "adopted_late");
}

on_both!(listing_is_recorded_once_for_a_listed_product, listing_rules);
async fn listing_rules(w: &World) {
    let gc = &w.gc;
    let e = gc
        .record_listing(&w.mi_official, "p9", date(2026, 1, 10), "公告")
        .await
        .unwrap_err();
    assert!(matches!(e, GreenChannelError::NotListed { .. }), "{e:?}");
    w.on_core_list("p1").await;
    let e = gc
        .record_listing(&w.mi_official, "p1", date(2099, 1, 1), "公告")
        .await
        .unwrap_err();
    assert!(matches!(e, GreenChannelError::FutureDate { .. }), "{e:?}");
    assert_eq!(e.status(), 400);
    let e = gc
        .record_listing(&w.mi_official, "p1", date(2026, 1, 10), " ")
        .await
        .unwrap_err();
    assert!(
        matches!(e, GreenChannelError::Missing { field: "evidence" }),
        "{e:?}"
    );
    let listing = gc
        .record_listing(&w.mi_official, "p1", date(2026, 1, 10), "挂网公告")
        .await
        .unwrap();
    assert_eq!(gc.listing("p1").await.unwrap(), Some(listing));
    let e = gc
        .record_listing(&w.mi_official, "p1", date(2026, 1, 12), "挂网公告")
        .await
        .unwrap_err();
    assert!(matches!(e, GreenChannelError::Duplicate { .. }), "{e:?}");
    // Adoption before a product binds (not on a list) is refused.
    let e = gc
        .record_adoption(
            &w.pharmacist_a,
            &w.hospital_a.id,
            "p9",
            date(2026, 2, 1),
            "C",
        )
        .await
        .unwrap_err();
    assert!(matches!(e, GreenChannelError::NotListed { .. }), "{e:?}");
    // The hospital's work list: one product, due 10 February.
    let duties = gc
        .duties_of(&w.pharmacist_a, &w.hospital_a.id, date(2026, 2, 1))
        .await
        .unwrap();
    assert_eq!(duties.len(), 1);
    assert_eq!(duties[0].listed.deadline, date(2026, 2, 10));
    assert_eq!(duties[0].status.code(), "pending");
}
