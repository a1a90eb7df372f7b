//! Usage reports and the quarterly bulletins.

use greenchannel::{GreenChannelError, Quarter};
use jiff::civil::date;

use crate::{World, on_both};

fn q(s: &str) -> Quarter {
    s.parse().unwrap()
}

on_both!(usage_is_reported_once_and_corrected_with_history, usage);
async fn usage(w: &World) {
    let gc = &w.gc;
    let (a, b) = (&w.hospital_a.id, &w.hospital_b.id);
    let e = gc
        .report_usage(&w.pharmacist_a, a, "p1", q("2026-Q1"), 10, 5000)
        .await
        .unwrap_err();
    assert!(matches!(e, GreenChannelError::NotListed { .. }), "{e:?}");
    w.listed("p1", date(2026, 1, 31)).await;
    let e = gc
        .report_usage(&w.pharmacist_a, a, "p1", q("2026-Q1"), -1, 5000)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            GreenChannelError::Negative {
                field: "quantity",
                value: -1
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.status(), 400);
    let e = gc
        .report_usage(&w.pharmacist_a, a, "p1", q("2026-Q1"), 1, -5)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            GreenChannelError::Negative {
                field: "amount_yuan",
                ..
            }
        ),
        "{e:?}"
    );
    let e = gc
        .report_usage(&w.pharmacist_a, a, "p1", q("2099-Q1"), 1, 5)
        .await
        .unwrap_err();
    assert!(
        matches!(e, GreenChannelError::PeriodNotEnded { .. }),
        "{e:?}"
    );

    gc.report_usage(&w.pharmacist_a, a, "p1", q("2026-Q1"), 10, 5000)
        .await
        .unwrap();
    let e = gc
        .report_usage(&w.pharmacist_a, a, "p1", q("2026-Q1"), 12, 6000)
        .await
        .unwrap_err();
    assert!(matches!(e, GreenChannelError::Duplicate { .. }), "{e:?}");
    let e = gc
        .correct_usage(&w.pharmacist_a, a, "p1", q("2026-Q1"), 12, 6000, " ")
        .await
        .unwrap_err();
    assert!(
        matches!(e, GreenChannelError::Missing { field: "reason" }),
        "{e:?}"
    );
    let e = gc
        .correct_usage(&w.doctor_b, b, "p1", q("2026-Q1"), 1, 1, "更正")
        .await
        .unwrap_err();
    assert_eq!(e.status(), 404, "乙 has not reported the quarter");
    let fixed = gc
        .correct_usage(
            &w.pharmacist_a,
            a,
            "p1",
            q("2026-Q1"),
            12,
            6000,
            "漏报3月退货冲红",
        )
        .await
        .unwrap();
    assert_eq!(fixed.reason.as_deref(), Some("漏报3月退货冲红"));
    gc.correct_usage(&w.pharmacist_a, a, "p1", q("2026-Q1"), 11, 5500, "再次核对")
        .await
        .unwrap();
    let history = gc
        .usage_history(&w.mi_official, a, "p1", q("2026-Q1"))
        .await
        .unwrap();
    let figures: Vec<(i64, i64)> = history
        .iter()
        .map(|r| (r.quantity, r.amount_yuan))
        .collect();
    assert_eq!(figures, [(10, 5000), (12, 6000), (11, 5500)]);
    assert_eq!(history[0].reason, None);
    assert_eq!(history[2].reason.as_deref(), Some("再次核对"));
}

on_both!(a_bulletin_counts_each_hospital_and_product, bulletin);
/// Listed 31 January (due 28 February). 甲 adopts on 20 February; 乙 only on 3 April. Q1's
/// bulletin shows 乙 overdue; Q2's shows it late. Only the medical-insurance bureau issues,
/// once a quarter, with the content's hash on the ledger.
async fn bulletin(w: &World) {
    let gc = &w.gc;
    let (a, b) = (&w.hospital_a.id, &w.hospital_b.id);
    w.listed("p1", date(2026, 1, 31)).await;
    gc.record_adoption(&w.pharmacist_a, a, "p1", date(2026, 2, 20), "YP-017")
        .await
        .unwrap();
    gc.record_adoption(&w.doctor_b, b, "p1", date(2026, 4, 3), "乙-88")
        .await
        .unwrap();
    gc.report_usage(&w.pharmacist_a, a, "p1", q("2026-Q1"), 40, 12_000)
        .await
        .unwrap();
    gc.report_usage(&w.doctor_b, b, "p1", q("2026-Q2"), 5, 1_500)
        .await
        .unwrap();

    let q1 = gc.bulletin(&w.hc_official, q("2026-Q1")).await.unwrap();
    assert_eq!(q1.as_of, date(2026, 3, 31));
    let row = |id: &str| {
        q1.per_hospital
            .iter()
            .find(|h| h.hospital_id == id)
            .unwrap()
    };
    let (ra, rb) = (row(a), row(b));
    assert_eq!(
        (ra.due, ra.adopted_on_time, ra.adopted_late, ra.overdue),
        (1, 1, 0, 0)
    );
    assert_eq!(
        (rb.due, rb.adopted_on_time, rb.adopted_late, rb.overdue),
        (1, 0, 0, 1)
    );
    assert_eq!(ra.adoption_rate, Some(1.0));
    assert_eq!(rb.adoption_rate, Some(0.0));
    assert_eq!(q1.overdue_list.len(), 1);
    assert_eq!(&q1.overdue_list[0].hospital_id, b);
    assert_eq!(q1.overdue_list[0].days_over, 31);
    assert_eq!(q1.per_product.len(), 1);
    let p = &q1.per_product[0];
    assert_eq!(
        (p.hospitals_due, p.hospitals_adopted, p.hospitals_overdue),
        (2, 1, 1)
    );
    assert_eq!((p.usage_quantity, p.usage_amount_yuan), (40, 12_000));

    let q2 = gc.bulletin(&w.mi_official, q("2026-Q2")).await.unwrap();
    let rb = q2
        .per_hospital
        .iter()
        .find(|h| &h.hospital_id == b)
        .unwrap();
    assert_eq!((rb.adopted_late, rb.overdue), (1, 0));
    assert!(q2.overdue_list.is_empty());
    assert_eq!(q2.per_product[0].usage_amount_yuan, 1_500);

    let e = gc.bulletin(&w.mi_official, q("2099-Q4")).await.unwrap_err();
    assert!(
        matches!(e, GreenChannelError::PeriodNotEnded { .. }),
        "{e:?}"
    );

    let issued = gc
        .issue_bulletin(&w.mi_official, q("2026-Q1"))
        .await
        .unwrap();
    assert_eq!(
        issued.content_hash,
        ledger::data_hash(issued.content.as_bytes())
    );
    let entries = w
        .ledger
        .entries_for_subject("gc_bulletin", "2026-Q1", 10)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].event.data_hash, issued.content_hash);
    assert_eq!(entries[0].event.action, "greenchannel.bulletin.issue");
    let e = gc
        .issue_bulletin(&w.mi_official, q("2026-Q1"))
        .await
        .unwrap_err();
    assert!(matches!(e, GreenChannelError::Duplicate { .. }), "{e:?}");
    let stored = gc.issued_bulletins(&w.hc_official).await.unwrap();
    assert_eq!(stored, vec![issued]);

    // The dashboard's chart: standing today, both adopted.
    let chart = gc
        .adoption_by_hospital(&w.hc_official, date(2026, 5, 1))
        .await
        .unwrap();
    assert_eq!(chart.len(), 2);
    assert!(chart.iter().all(|h| h.adoption_rate == Some(1.0)));
}
