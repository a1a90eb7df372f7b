//! Nanjing's tiers, one whole year: 200 candidates ranked into 30 / 50 / 100, amended with
//! reasons within capacity, submitted, reviewed by a second official, published; each step in
//! the company's history and on the ledger.

use cultivation::{Change, CultivationError, ErrorKind, How, State};

use crate::{DISTRICTS, World, candidates, company, company_user, on_both};

const SCHEME: &str = "nanjing-2022-tiers";

on_both!(the_whole_year_runs_end_to_end, whole_year);
async fn whole_year(w: &World) {
    let c = &w.cultivation;
    let field = candidates(200);
    let p = c.propose(&w.science, SCHEME, 2025, &field).await.unwrap();
    assert_eq!(p.state, State::Draft);
    assert_eq!(p.entries.len(), 200);
    assert_eq!(
        (
            p.count("leading"),
            p.count("breakthrough"),
            p.count("potential")
        ),
        (30, 50, 100)
    );
    let first = &p.entries[0];
    assert_eq!((first.rank, first.company_id.as_str()), (1, "co-000"));
    assert_eq!(first.pool.as_deref(), Some("leading"));
    assert_eq!(first.score.parts.len(), 8, "every weighted factor is shown");
    assert!(first.score.total > p.entries[199].score.total);
    assert_eq!(
        p.entry(&company(30)).unwrap().pool.as_deref(),
        Some("breakthrough")
    );
    assert_eq!(
        p.entry(&company(80)).unwrap().pool.as_deref(),
        Some("potential")
    );
    assert_eq!(
        p.entry(&company(180)).unwrap().pool,
        None,
        "rank 181 is left out"
    );

    // A change needs a written reason.
    let e = c
        .amend(&w.science, &p.id, &company(5), Change::Exclude, "不需要")
        .await
        .unwrap_err();
    assert!(
        matches!(e, CultivationError::ReasonTooShort { min: 10, .. }),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    assert!(e.message_zh().contains("10"));

    // The leading tier is full: the refusal names the pool, its capacity and the clause.
    let e = c
        .amend(
            &w.science,
            &p.id,
            &company(190),
            Change::Include("leading".into()),
            "该企业一类新药已获批上市，应列入龙头培育",
        )
        .await
        .unwrap_err();
    match &e {
        CultivationError::CapacityExceeded {
            pool_id,
            capacity,
            citation,
            ..
        } => {
            assert_eq!((pool_id.as_str(), *capacity), ("leading", 30));
            assert!(citation.contains("30家龙头培育企业"), "{citation}");
            assert!(
                citation.contains("南京市生命健康科技创新行动计划"),
                "{citation}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.message_zh().contains("龙头培育企业") && e.message_zh().contains("30"));

    // Room made with a reason, then filled with a reason.
    let excluded = "该企业已被外地企业并购，不再在宁独立经营";
    c.amend(&w.science, &p.id, &company(5), Change::Exclude, excluded)
        .await
        .unwrap();
    let included = "该企业一类新药已获批上市，应列入龙头培育";
    let p2 = c
        .amend(
            &w.science,
            &p.id,
            &company(190),
            Change::Include("leading".into()),
            included,
        )
        .await
        .unwrap();
    assert_eq!(p2.count("leading"), 30);
    assert_eq!(p2.entry(&company(190)).unwrap().proposed_pool, None);
    // Moving into a full tier is refused too; after room is made it goes through.
    let moved = "两个品种进入三期临床，突破在即，调入面临突破企业";
    let e = c
        .amend(
            &w.science,
            &p.id,
            &company(100),
            Change::Move("breakthrough".into()),
            moved,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, CultivationError::CapacityExceeded { ref pool_id, capacity: 50, .. } if pool_id == "breakthrough")
    );
    c.amend(
        &w.science,
        &p.id,
        &company(40),
        Change::Exclude,
        "企业主动申请退出本年度遴选名单",
    )
    .await
    .unwrap();
    let p3 = c
        .amend(
            &w.science,
            &p.id,
            &company(100),
            Change::Move("breakthrough".into()),
            moved,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            p3.count("leading"),
            p3.count("breakthrough"),
            p3.count("potential")
        ),
        (30, 50, 99)
    );

    // Submit; the draft is then closed to changes.
    let p4 = c.submit(&w.science, &p.id).await.unwrap();
    assert_eq!(p4.state, State::Submitted);
    assert_eq!(p4.submitted_by.as_deref(), Some("u-science"));
    let e = c
        .amend(&w.science, &p.id, &company(1), Change::Exclude, excluded)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            CultivationError::WrongState {
                state: State::Submitted,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::Conflict);

    // Four eyes: the proposer cannot approve; another official can. Publishing needs approval.
    let e = c.approve(&w.science, &p.id).await.unwrap_err();
    assert!(matches!(e, CultivationError::FourEyes), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let e = c.publish(&w.industry, &p.id).await.unwrap_err();
    assert!(matches!(e, CultivationError::WrongState { .. }), "{e:?}");
    let p5 = c.approve(&w.industry, &p.id).await.unwrap();
    assert_eq!(
        (p5.state, p5.reviewed_by.as_deref()),
        (State::Approved, Some("u-industry"))
    );
    let p6 = c.publish(&w.industry, &p.id).await.unwrap();
    assert_eq!(p6.state, State::Published);
    assert!(p6.published_at.is_some());

    // The published list, public.
    let members = c.members(SCHEME, 2025).await.unwrap();
    assert_eq!(members.len(), 179);
    assert_eq!(members[0].pool, "leading");
    assert_eq!(members.last().unwrap().pool, "potential");
    assert!(members.iter().all(|m| m.until.is_none()));
    assert!(!members.iter().any(|m| m.company_id == company(5)));
    let current = c.current_pools(&company(190)).await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(
        (current[0].scheme.as_str(), current[0].pool.as_str()),
        (SCHEME, "leading")
    );
    assert_eq!(current[0].rank, 191);
    assert!(c.current_pools(&company(5)).await.unwrap().is_empty());

    // Dashboard counts add up to the tiers and spread over the districts.
    let counts = c.counts_by_pool_and_district(2025).await.unwrap();
    let total = |pool: &str| -> u32 {
        counts
            .iter()
            .filter(|k| k.pool == pool)
            .map(|k| k.count)
            .sum()
    };
    assert_eq!(
        (total("leading"), total("breakthrough"), total("potential")),
        (30, 50, 99)
    );
    let districts: std::collections::BTreeSet<&str> =
        counts.iter().map(|k| k.district.as_str()).collect();
    assert_eq!(districts.len(), DISTRICTS.len());
    assert!(
        c.counts_by_pool_and_district(2024)
            .await
            .unwrap()
            .is_empty()
    );

    // Each step in the company's history, with the reason for each amendment.
    let history = c.history(&w.industry, &company(100)).await.unwrap();
    let steps: Vec<(How, Option<&str>, Option<&str>)> = history
        .iter()
        .map(|e| (e.how.clone(), e.from.as_deref(), e.to.as_deref()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (How::Proposed, None, Some("potential")),
            (
                How::Amended {
                    reason: moved.into()
                },
                Some("potential"),
                Some("breakthrough")
            ),
            (How::Published, None, Some("breakthrough")),
        ]
    );
    assert!(history.iter().all(|e| e.scheme == SCHEME && e.year == 2025));
    assert_eq!(history[2].by, "u-industry");
    let left_out = c.history(&w.admin, &company(5)).await.unwrap();
    assert_eq!(left_out.len(), 2);
    assert_eq!(
        left_out[1].how,
        How::Amended {
            reason: excluded.into()
        }
    );
    assert_eq!(left_out[1].pool(), Some("leading"));

    // The company sees what was published about it, not the deliberations.
    let own = c
        .history(&company_user(&company(190)), &company(190))
        .await
        .unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(
        (own[0].how.clone(), own[0].to.as_deref()),
        (How::Published, Some("leading"))
    );

    // Every step is on the ledger.
    assert_eq!(
        w.ledger_actions("cultivation_proposal", &p.id).await,
        [
            "cultivation.proposal.propose",
            "cultivation.proposal.amend",
            "cultivation.proposal.amend",
            "cultivation.proposal.amend",
            "cultivation.proposal.amend",
            "cultivation.proposal.submit",
            "cultivation.proposal.approve",
            "cultivation.proposal.publish",
        ]
    );
}

on_both!(
    a_rejected_list_is_reopened_amended_and_resubmitted,
    rejected_and_reopened
);
async fn rejected_and_reopened(w: &World) {
    let c = &w.cultivation;
    let p = c
        .propose(&w.science, SCHEME, 2025, &candidates(40))
        .await
        .unwrap();
    c.submit(&w.science, &p.id).await.unwrap();
    let e = c.reject(&w.industry, &p.id, "再看看").await.unwrap_err();
    assert!(matches!(e, CultivationError::ReasonTooShort { .. }));
    let e = c
        .reject(&w.science, &p.id, "自己提交的名单不能自己退回")
        .await
        .unwrap_err();
    assert!(matches!(e, CultivationError::FourEyes));
    let reason = "龙头企业名单需补充研发投入核实材料后再报";
    let r = c.reject(&w.industry, &p.id, reason).await.unwrap();
    assert_eq!(r.state, State::Rejected);
    assert_eq!(r.rejection_reason.as_deref(), Some(reason));
    let e = c
        .amend(&w.science, &p.id, &company(1), Change::Exclude, reason)
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        CultivationError::WrongState {
            state: State::Rejected,
            ..
        }
    ));
    let e = c.publish(&w.industry, &p.id).await.unwrap_err();
    assert!(matches!(e, CultivationError::WrongState { .. }));
    assert_eq!(
        c.reopen(&w.science, &p.id).await.unwrap().state,
        State::Draft
    );
    // A second S&T official amends; they may not then review it either.
    c.amend(
        &w.science2,
        &p.id,
        &company(1),
        Change::Exclude,
        "研发投入核实后不符合龙头培育企业定位",
    )
    .await
    .unwrap();
    c.submit(&w.science, &p.id).await.unwrap();
    let e = c.approve(&w.science2, &p.id).await.unwrap_err();
    assert!(
        matches!(e, CultivationError::FourEyes),
        "an amender is not a second pair of eyes"
    );
    c.approve(&w.industry, &p.id).await.unwrap();
    c.publish(&w.science, &p.id).await.unwrap();
    assert_eq!(c.members(SCHEME, 2025).await.unwrap().len(), 39);
    let actions = w.ledger_actions("cultivation_proposal", &p.id).await;
    assert!(actions.contains(&"cultivation.proposal.reject".to_owned()));
    assert!(actions.contains(&"cultivation.proposal.reopen".to_owned()));
}
