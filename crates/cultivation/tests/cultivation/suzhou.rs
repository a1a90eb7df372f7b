//! Suzhou: 15 to 20 potential landmark companies a year, and the three libraries filled by
//! their entry criteria without a limit.

use cultivation::{Change, CultivationError, ErrorKind, State};
use jiff::civil::date;

use crate::{World, candidates, company, on_both};

const LANDMARK: &str = "suzhou-landmark";
const REASON: &str = "经核查该企业本年度存在重大违法违规记录";

on_both!(suzhou_needs_at_least_fifteen_landmarks, at_least_fifteen);
async fn at_least_fifteen(w: &World) {
    let c = &w.cultivation;
    let p = c
        .propose(&w.science, LANDMARK, 2025, &candidates(18))
        .await
        .unwrap();
    assert_eq!(p.count("landmark"), 18);
    for i in 0..4 {
        c.amend(&w.science, &p.id, &company(i), Change::Exclude, REASON)
            .await
            .unwrap();
    }
    let e = c.submit(&w.science, &p.id).await.unwrap_err();
    match &e {
        CultivationError::BelowMinimum {
            pool_id,
            minimum,
            members,
            citation,
            ..
        } => {
            assert_eq!((pool_id.as_str(), *minimum, *members), ("landmark", 15, 14));
            assert!(citation.contains("每年15~20家"), "{citation}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.message_zh().contains("至少应有15家"));
    let still = c.proposal(&w.science, &p.id).await.unwrap();
    assert_eq!(
        still.state,
        State::Draft,
        "a refused submission changes nothing"
    );
    c.amend(
        &w.science,
        &p.id,
        &company(3),
        Change::Include("landmark".into()),
        "复核后确认违规记录已整改完毕，恢复入选",
    )
    .await
    .unwrap();
    assert_eq!(
        c.submit(&w.science, &p.id).await.unwrap().state,
        State::Submitted
    );
}

on_both!(suzhou_takes_at_most_twenty_landmarks, at_most_twenty);
async fn at_most_twenty(w: &World) {
    let c = &w.cultivation;
    let p = c
        .propose(&w.science, LANDMARK, 2025, &candidates(25))
        .await
        .unwrap();
    assert_eq!(p.count("landmark"), 20);
    let e = c
        .amend(
            &w.science,
            &p.id,
            &company(24),
            Change::Include("landmark".into()),
            "该企业为本地链主企业的核心配套供应商",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, CultivationError::CapacityExceeded { capacity: 20, .. }),
        "{e:?}"
    );
}

on_both!(suzhou_libraries_follow_their_criteria, libraries);
async fn libraries(w: &World) {
    let c = &w.cultivation;
    let mut field = candidates(30);
    // Candidates 0..10 have revenue of at least 1亿 (strength 21..30 × 5 million).
    field[25].founded = date(2023, 5, 1);
    field[25].rd_spend_yuan = 0;
    field[29].rd_spend_yuan = 0;
    let p = c
        .propose(&w.science, "suzhou-libraries", 2025, &field)
        .await
        .unwrap();
    assert_eq!(
        p.count("above-100m"),
        11,
        "revenue ≥ 1亿: candidates 0..=10"
    );
    assert_eq!(
        p.entry(&company(25)).unwrap().pool.as_deref(),
        Some("start-ups")
    );
    assert_eq!(p.entry(&company(29)).unwrap().pool, None);
    assert_eq!(p.count("key-innovators"), 17);
    let e = c
        .amend(
            &w.science,
            &p.id,
            &company(29),
            Change::Include("above-100m".into()),
            "该企业预计明年营收将突破一亿元",
        )
        .await
        .unwrap_err();
    match &e {
        CultivationError::NotEligible {
            criterion,
            citation,
            ..
        } => {
            assert!(criterion.contains("revenue ≥ 100000000"), "{criterion}");
            assert!(citation.contains("亿元以上企业库"), "{citation}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::Conflict);
}
