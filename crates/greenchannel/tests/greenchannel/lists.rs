//! Nominations, approval and refusal, published versions.

use greenchannel::{GreenChannelError, NewNomination, NominationState};
use jiff::civil::date;

use crate::{CORE, MI, World, on_both};

on_both!(a_refusal_needs_a_reason, refusal);
async fn refusal(w: &World) {
    let gc = &w.gc;
    let n = w.nominate(MI, "p1").await;
    assert_eq!(n.state, NominationState::Submitted);
    let e = gc.refuse(&w.mi_official, &n.id, "   ").await.unwrap_err();
    assert!(
        matches!(e, GreenChannelError::Missing { field: "reason" }),
        "{e:?}"
    );
    assert_eq!(e.status(), 400);
    assert_eq!(e.message_zh(), "请填写理由");
    let refused = gc
        .refuse(&w.mi_official, &n.id, "未提供医保支付标准测算材料")
        .await
        .unwrap();
    assert_eq!(
        refused.state,
        NominationState::Refused {
            reason: "未提供医保支付标准测算材料".into()
        }
    );
    // A refused nomination stays refused, and the company sees why.
    let e = gc.approve(&w.mi_official, &n.id).await.unwrap_err();
    assert!(matches!(e, GreenChannelError::WrongState { .. }), "{e:?}");
    assert_eq!(e.status(), 409);
    let seen = gc.nomination(&w.company_user, &n.id).await.unwrap();
    assert_eq!(seen.state, refused.state);
    // Refusal closes it: the company may nominate the product again.
    let again = w.nominate(MI, "p1").await;
    assert_ne!(again.id, n.id);
    let ledger = w
        .ledger
        .entries_for_subject("gc_nomination", &n.id, 10)
        .await
        .unwrap();
    assert!(
        ledger
            .iter()
            .any(|e| e.event.action == "greenchannel.nomination.refuse")
    );
}

on_both!(an_open_nomination_is_not_duplicated, duplicates);
async fn duplicates(w: &World) {
    let gc = &w.gc;
    let first = w.nominate(CORE, "p1").await;
    let dup = NewNomination {
        list: CORE.into(),
        product: w.product("p1"),
        evidence: "再次申报".into(),
    };
    let e = gc.nominate(&w.company_user, dup.clone()).await.unwrap_err();
    assert!(matches!(e, GreenChannelError::Duplicate { .. }), "{e:?}");
    assert_eq!(e.status(), 409);
    // Approved is still open; the other list is another matter.
    gc.approve(&w.hc_official, &first.id).await.unwrap();
    assert!(gc.nominate(&w.company_user, dup.clone()).await.is_err());
    w.nominate(MI, "p1").await;
    // Withdrawn closes a submitted nomination.
    let n2 = w.nominate(CORE, "p2").await;
    let withdrawn = gc.withdraw(&w.company_user, &n2.id).await.unwrap();
    assert_eq!(withdrawn.state, NominationState::Withdrawn);
    w.nominate(CORE, "p2").await;
    let e = gc
        .nominate(
            &w.company_user,
            NewNomination {
                list: "national-catalogue".into(),
                product: w.product("p3"),
                evidence: "e".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, GreenChannelError::UnknownList { .. }), "{e:?}");
    assert_eq!(
        gc.nominations(&w.company_user, Some(CORE))
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(gc.nominations(&w.mi_official, None).await.unwrap().len(), 4);
}

on_both!(a_published_version_never_changes, immutable_versions);
async fn immutable_versions(w: &World) {
    let gc = &w.gc;
    let e = gc
        .publish_version(&w.hc_official, CORE, date(2026, 1, 5))
        .await
        .unwrap_err();
    assert!(
        matches!(e, GreenChannelError::NothingToPublish { version: 0, .. }),
        "{e:?}"
    );

    w.on_core_list("p1").await;
    let v1 = gc.version(CORE, 1).await.unwrap();
    assert_eq!(v1.entries.len(), 1);
    assert_eq!(v1.entries[0].product_id, "p1");
    assert_eq!(v1.published_on, date(2026, 1, 5));

    let e = gc
        .publish_version(&w.hc_official, CORE, date(2026, 2, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(e, GreenChannelError::NothingToPublish { version: 1, .. }),
        "{e:?}"
    );

    let n2 = w.nominate(CORE, "p2").await;
    gc.approve(&w.mi_official, &n2.id).await.unwrap();
    let e = gc
        .remove_from_list(&w.hc_official, CORE, "p1", "")
        .await
        .unwrap_err();
    assert!(
        matches!(e, GreenChannelError::Missing { field: "reason" }),
        "{e:?}"
    );
    gc.remove_from_list(&w.hc_official, CORE, "p1", "产品注册证被注销")
        .await
        .unwrap();
    // Still in version 1 until a new version is published.
    assert_eq!(gc.version(CORE, 1).await.unwrap(), v1);
    let e = gc
        .publish_version(&w.hc_official, CORE, date(2026, 1, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(e, GreenChannelError::WrongState { .. }),
        "dated before v1: {e:?}"
    );
    let v2 = gc
        .publish_version(&w.hc_official, CORE, date(2026, 3, 1))
        .await
        .unwrap();
    assert_eq!(v2.number, 2);
    let ids: Vec<&str> = v2.entries.iter().map(|p| p.product_id.as_str()).collect();
    assert_eq!(ids, ["p2"]);
    assert_eq!(v2.removed.len(), 1);
    assert_eq!(v2.removed[0].product_id, "p1");
    assert_eq!(v2.removed[0].reason, "产品注册证被注销");
    assert_eq!(gc.version(CORE, 1).await.unwrap(), v1);
    assert_eq!(gc.version(CORE, 2).await.unwrap(), v2);
    assert_eq!(gc.versions(CORE).await.unwrap().len(), 2);
    assert!(gc.latest_version(MI).await.unwrap().is_none());
    let e = gc.version(CORE, 3).await.unwrap_err();
    assert_eq!(e.status(), 404);
    let published = w
        .ledger
        .entries_for_subject("gc_list_version", &format!("{CORE}:2"), 10)
        .await
        .unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].event.action, "greenchannel.list.publish");
}
