//! Who may do what, and bad input: each refused with a typed error and both languages.

use cultivation::{Change, CultivationError, ErrorKind};

use crate::{World, candidates, company, company_user, on_both};

const SCHEME: &str = "nanjing-2022-tiers";

on_both!(only_the_two_bureaus_write_lists, only_two_bureaus);
async fn only_two_bureaus(w: &World) {
    let c = &w.cultivation;
    let field = candidates(10);
    let firm = company_user(&company(0));
    for outsider in [&w.health, &w.admin, &firm] {
        let e = c.propose(outsider, SCHEME, 2025, &field).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden, "{}", outsider.user_id);
        assert!(e.message_zh().contains("市科技局"));
        assert!(e.message_en().contains("bureau"));
    }
    // The industry bureau may propose as well as the S&T bureau.
    let p = c.propose(&w.industry, SCHEME, 2025, &field).await.unwrap();
    for outsider in [&w.health, &firm] {
        let e = c.proposal(outsider, &p.id).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        let e = c
            .amend(
                outsider,
                &p.id,
                "co-001",
                Change::Exclude,
                "没有权限的人也想改名单",
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden);
    }
    // Administrators read everything and write nothing.
    assert_eq!(c.proposal(&w.admin, &p.id).await.unwrap().id, p.id);
    assert_eq!(
        c.submit(&w.admin, &p.id).await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    assert!(
        c.proposal_for(&w.science, SCHEME, 2025)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        c.proposal_for(&w.science, SCHEME, 2026)
            .await
            .unwrap()
            .is_none()
    );
    // Histories are the company's own.
    let e = c.history(&firm, &company(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let e = c.history(&w.health, &company(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
}

on_both!(bad_input_is_refused_with_the_field, bad_input);
async fn bad_input(w: &World) {
    let c = &w.cultivation;
    let e = c
        .propose(&w.science, "shanghai-tiers", 2025, &candidates(3))
        .await
        .unwrap_err();
    assert!(matches!(e, CultivationError::UnknownScheme { .. }));
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = c.propose(&w.science, SCHEME, 2025, &[]).await.unwrap_err();
    assert!(matches!(
        e,
        CultivationError::Invalid {
            field: "candidates",
            ..
        }
    ));
    let e = c
        .propose(&w.science, SCHEME, 1899, &candidates(3))
        .await
        .unwrap_err();
    assert!(matches!(e, CultivationError::Invalid { field: "year", .. }));
    let mut negative = candidates(3);
    negative[1].rd_spend_yuan = -5;
    let e = c
        .propose(&w.science, SCHEME, 2025, &negative)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            CultivationError::Invalid {
                field: "rd_spend_yuan",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.message_zh().contains("co-001"));
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    let mut twice = candidates(3);
    twice[2].company_id = twice[0].company_id.clone();
    let e = c
        .propose(&w.science, SCHEME, 2025, &twice)
        .await
        .unwrap_err();
    assert!(e.message_en().contains("twice"), "{e}");

    let p = c
        .propose(&w.science, SCHEME, 2025, &candidates(3))
        .await
        .unwrap();
    let e = c
        .propose(&w.industry, SCHEME, 2025, &candidates(3))
        .await
        .unwrap_err();
    assert!(
        matches!(e, CultivationError::Conflict { .. }),
        "one proposal per scheme and year"
    );
    let reason = "该企业已注销，不再参加遴选";
    let e = c
        .amend(&w.science, &p.id, "co-999", Change::Exclude, reason)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = c
        .amend(
            &w.science,
            "no-such-proposal",
            "co-001",
            Change::Exclude,
            reason,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = c
        .amend(
            &w.science,
            &p.id,
            "co-001",
            Change::Move("gold".into()),
            reason,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, CultivationError::UnknownPool { .. }));
    let e = c
        .amend(
            &w.science,
            &p.id,
            "co-001",
            Change::Include("potential".into()),
            reason,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, CultivationError::Conflict { .. }),
        "already in a pool: move it"
    );
    // Nothing refused left a trace in the history.
    assert_eq!(c.history(&w.science, "co-001").await.unwrap().len(), 1);
}
