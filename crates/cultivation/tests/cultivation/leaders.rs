//! Nanjing 2020's potential leaders: 30 a year; each published list replaces the last.

use cultivation::{CultivationError, How};

use crate::{World, candidates, company, company_user, on_both};

const SCHEME: &str = "nanjing-2020-potential-leaders";

on_both!(thirty_potential_leaders_a_year, thirty_a_year);
async fn thirty_a_year(w: &World) {
    let c = &w.cultivation;
    w.publish(SCHEME, 2025, &candidates(45)).await;
    let members = c.members(SCHEME, 2025).await.unwrap();
    assert_eq!(members.len(), 30, "每年遴选出30家");
    assert!(members.iter().all(|m| m.pool == "potential-leaders"));
    assert_eq!(members[0].company_id, company(0));
    assert!(members.iter().all(|m| m.rank <= 30));

    // The next year's field: the old top 10 fall back, so companies 10..40 make the list.
    let mut next = candidates(45);
    for c in next.iter_mut().take(10) {
        c.revenue_yuan = 1_000;
        c.revenue_prev_yuan = Some(1_000);
        c.rd_spend_yuan = 0;
        c.staff = 1;
        c.qualifications.clear();
    }
    w.publish(SCHEME, 2026, &next).await;
    let now = c.members(SCHEME, 2026).await.unwrap();
    assert_eq!(now.len(), 30);
    assert!(!now.iter().any(|m| m.company_id == company(0)));
    assert!(now.iter().any(|m| m.company_id == company(39)));
    let before = c.members(SCHEME, 2025).await.unwrap();
    assert!(
        before.iter().all(|m| m.until.is_some()),
        "2025's list has ended"
    );
    assert!(now.iter().all(|m| m.until.is_none()));

    // Company 0 was a member in 2025 only; company 15 in both years.
    assert!(c.current_pools(&company(0)).await.unwrap().is_empty());
    let current = c.current_pools(&company(15)).await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].year, 2026);
    let own = c
        .history(&company_user(&company(0)), &company(0))
        .await
        .unwrap();
    let hows: Vec<(How, i32)> = own.iter().map(|e| (e.how.clone(), e.year)).collect();
    assert_eq!(hows, [(How::Published, 2025), (How::Ended, 2025)]);
    assert_eq!(own[1].from.as_deref(), Some("potential-leaders"));
    let counts = c.counts_by_pool_and_district(2026).await.unwrap();
    assert_eq!(counts.iter().map(|k| k.count).sum::<u32>(), 30);

    // A year older than the published one cannot be published after it.
    let p = c
        .propose(&w.science, SCHEME, 2024, &candidates(5))
        .await
        .unwrap();
    c.submit(&w.science, &p.id).await.unwrap();
    c.approve(&w.industry, &p.id).await.unwrap();
    let e = c.publish(&w.industry, &p.id).await.unwrap_err();
    assert!(matches!(e, CultivationError::Conflict { .. }), "{e:?}");
    assert!(e.message_en().contains("2026"));
    assert_eq!(
        c.members(SCHEME, 2026).await.unwrap().len(),
        30,
        "2026 stands"
    );
}
