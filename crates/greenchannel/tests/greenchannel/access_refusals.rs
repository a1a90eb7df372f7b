//! Least privilege: each action refused to whoever the seeds do not give it to.

use greenchannel::{AlertFilter, ErrorKind, GreenChannelError, NewNomination};
use jiff::civil::date;

use crate::{CORE, MI, World, on_both};

fn forbidden<T: std::fmt::Debug>(r: Result<T, GreenChannelError>) {
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
    assert_eq!(e.status(), 403);
    assert!(e.message_zh().starts_with('仅'), "{}", e.message_zh());
}

on_both!(a_company_cannot_approve, companies);
async fn companies(w: &World) {
    let gc = &w.gc;
    let n = w.nominate(MI, "p1").await;
    forbidden(gc.approve(&w.company_user, &n.id).await);
    forbidden(gc.refuse(&w.company_user, &n.id, "自己拒绝").await);
    forbidden(
        gc.publish_version(&w.company_user, MI, date(2026, 1, 5))
            .await,
    );
    // Another company can neither withdraw it nor see it.
    forbidden(gc.withdraw(&w.other_company_user, &n.id).await);
    let e = gc
        .nomination(&w.other_company_user, &n.id)
        .await
        .unwrap_err();
    assert_eq!(e.status(), 404);
    assert!(
        gc.nominations(&w.other_company_user, None)
            .await
            .unwrap()
            .is_empty()
    );
    // Nominating another company's product, or under another credit code.
    let mut theirs = w.product("p2");
    theirs.company_id = w.other_company.id.clone();
    forbidden(
        gc.nominate(
            &w.company_user,
            NewNomination {
                list: MI.into(),
                product: theirs,
                evidence: "e".into(),
            },
        )
        .await,
    );
    let mut wrong_code = w.product("p3");
    wrong_code.uscc = w.other_company.uscc.clone().unwrap();
    let e = gc
        .nominate(
            &w.company_user,
            NewNomination {
                list: MI.into(),
                product: wrong_code,
                evidence: "e".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, GreenChannelError::BadUscc { .. }), "{e:?}");
    // Hospitals do not nominate.
    forbidden(
        gc.nominate(
            &w.pharmacist_a,
            NewNomination {
                list: MI.into(),
                product: w.product("p4"),
                evidence: "e".into(),
            },
        )
        .await,
    );
}

on_both!(only_the_compiling_bureaus_decide, bureaus);
async fn bureaus(w: &World) {
    let gc = &w.gc;
    // The medical-insurance list is the medical-insurance bureau's alone.
    let n = w.nominate(MI, "p1").await;
    forbidden(gc.approve(&w.hc_official, &n.id).await);
    // The core list is the five bureaus' (statistics is not one of them).
    let c = w.nominate(CORE, "p2").await;
    forbidden(gc.approve(&w.stats_official, &c.id).await);
    gc.approve(&w.hc_official, &c.id).await.unwrap();
    gc.publish_version(&w.mi_official, CORE, date(2026, 1, 5))
        .await
        .unwrap();
    // Listing dates are the medical-insurance bureau's to enter.
    forbidden(
        gc.record_listing(&w.hc_official, "p2", date(2026, 1, 10), "公告")
            .await,
    );
    forbidden(
        gc.record_listing(&w.pharmacist_a, "p2", date(2026, 1, 10), "公告")
            .await,
    );
}

on_both!(a_hospital_acts_only_for_itself, hospitals);
async fn hospitals(w: &World) {
    let gc = &w.gc;
    w.listed("p1", date(2026, 1, 31)).await;
    let (a, b) = (&w.hospital_a.id, &w.hospital_b.id);
    forbidden(
        gc.record_adoption(&w.pharmacist_a, b, "p1", date(2026, 2, 2), "C-1")
            .await,
    );
    forbidden(
        gc.declare_not_needed(&w.pharmacist_a, b, "p1", date(2026, 2, 2), "无需")
            .await,
    );
    forbidden(
        gc.report_usage(&w.pharmacist_a, b, "p1", "2026-Q1".parse().unwrap(), 1, 1)
            .await,
    );
    forbidden(
        gc.adoption_status(&w.pharmacist_a, "p1", b, date(2026, 2, 2))
            .await,
    );
    // A pharmacy is not bound by the duty (rules adoption.duty_kinds) and records nothing.
    let pharmacy = w.pharmacy.id.clone();
    forbidden(
        gc.record_adoption(
            &w.pharmacy_pharmacist,
            &pharmacy,
            "p1",
            date(2026, 2, 2),
            "C",
        )
        .await,
    );
    // Companies and officials do not record for hospitals.
    forbidden(
        gc.record_adoption(&w.company_user, a, "p1", date(2026, 2, 2), "C")
            .await,
    );
    forbidden(
        gc.record_adoption(&w.mi_official, a, "p1", date(2026, 2, 2), "C")
            .await,
    );
    // Alerts: a hospital reads its own only, a company none.
    gc.scan(crate::noon(date(2026, 3, 2))).await.unwrap();
    let other = AlertFilter {
        hospital_id: Some(b.clone()),
        ..AlertFilter::default()
    };
    forbidden(gc.alerts(&w.pharmacist_a, &other).await);
    forbidden(gc.alerts(&w.company_user, &AlertFilter::default()).await);
    let mine = gc
        .alerts(&w.pharmacist_a, &AlertFilter::default())
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(&mine[0].hospital_id, a);
    let theirs = gc.alerts(&w.mi_official, &other).await.unwrap();
    let e = gc
        .acknowledge(&w.pharmacist_a, &theirs[0].id)
        .await
        .unwrap_err();
    assert_eq!(
        e.status(),
        404,
        "another hospital's alert is not shown to exist"
    );
    // Bulletins are the bureaus'; issuing is the medical-insurance bureau's.
    forbidden(
        gc.bulletin(&w.pharmacist_a, "2026-Q1".parse().unwrap())
            .await,
    );
    forbidden(
        gc.issue_bulletin(&w.hc_official, "2026-Q1".parse().unwrap())
            .await,
    );
    forbidden(
        gc.adoption_by_hospital(&w.company_user, date(2026, 3, 2))
            .await,
    );
}
