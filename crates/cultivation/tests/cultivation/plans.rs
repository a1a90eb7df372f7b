//! 一企一策: plans for members only, actions with owners and due dates, follow-ups by the
//! company, overdue actions.

use access::Bureau;
use cultivation::{ActionState, CultivationError, ErrorKind, NewAction};
use jiff::civil::date;

use crate::{World, candidates, company, company_user, on_both};

const SCHEME: &str = "nanjing-2020-potential-leaders";

fn action(what: &str, due: jiff::civil::Date) -> NewAction {
    NewAction {
        what: what.into(),
        owner_bureau: Bureau::IndustryInformation,
        owner_user: Some("u-industry".into()),
        due,
    }
}

on_both!(support_plans_run_with_actions_and_follow_ups, plans);
async fn plans(w: &World) {
    let c = &w.cultivation;
    w.publish(SCHEME, 2025, &candidates(35)).await;
    let member = company(3);
    let outsider = company(32);

    let e = c
        .create_plan(&w.science, &outsider, SCHEME, 2025, "扩大产能")
        .await
        .unwrap_err();
    assert!(matches!(e, CultivationError::Conflict { .. }), "{e:?}");
    assert!(e.message_zh().contains("不在"));
    let e = c
        .create_plan(&company_user(&member), &member, SCHEME, 2025, "扩大产能")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);

    let goals = "三年内营收突破十亿元，一个一类新药进入三期临床";
    let plan = c
        .create_plan(&w.science, &member, SCHEME, 2025, goals)
        .await
        .unwrap();
    assert_eq!((plan.goals.as_str(), plan.year), (goals, 2025));
    let e = c
        .create_plan(&w.industry, &member, SCHEME, 2025, goals)
        .await
        .unwrap_err();
    assert!(
        matches!(e, CultivationError::Conflict { .. }),
        "one plan per company and year"
    );

    c.add_action(
        &w.industry,
        &plan.id,
        action("协调新厂区用地指标", date(2025, 3, 31)),
    )
    .await
    .unwrap();
    c.add_action(
        &w.science,
        &plan.id,
        action("推荐申报省重大专项", date(2025, 6, 30)),
    )
    .await
    .unwrap();
    let plan = c
        .add_action(
            &w.industry,
            &plan.id,
            action("对接产业基金", date(2025, 12, 31)),
        )
        .await
        .unwrap();
    assert_eq!(plan.actions.len(), 3);
    assert_eq!(
        plan.actions[0].what, "协调新厂区用地指标",
        "in due-date order"
    );
    let e = c
        .add_action(&w.industry, &plan.id, action("   ", date(2025, 1, 1)))
        .await
        .unwrap_err();
    assert!(matches!(e, CultivationError::Invalid { field: "what", .. }));

    // On 1 July the first two are overdue; once one is done, only the other.
    let overdue = c
        .overdue_actions(&w.industry, date(2025, 7, 1))
        .await
        .unwrap();
    assert_eq!(overdue.len(), 2);
    assert_eq!(overdue[0].company_id, member);
    assert_eq!(overdue[0].days_overdue, 92);
    assert_eq!(overdue[1].days_overdue, 1);
    assert!(
        c.overdue_actions(&w.admin, date(2025, 3, 31))
            .await
            .unwrap()
            .is_empty(),
        "due today is not overdue"
    );
    let first = plan.actions[0].id.clone();
    let plan = c.complete_action(&w.industry, &first).await.unwrap();
    assert_eq!(plan.actions[0].state, ActionState::Done);
    let e = c.complete_action(&w.industry, &first).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    let e = c
        .drop_action(&w.industry, &plan.actions[1].id, "不需要了")
        .await
        .unwrap_err();
    assert!(matches!(e, CultivationError::ReasonTooShort { .. }));
    let overdue = c
        .overdue_actions(&w.science, date(2025, 7, 1))
        .await
        .unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].action.what, "推荐申报省重大专项");
    let reason = "企业已自行获得省重大专项立项，无需推荐";
    let plan = c
        .drop_action(&w.industry, &plan.actions[1].id, reason)
        .await
        .unwrap();
    assert_eq!(
        plan.actions[1].state,
        ActionState::Dropped {
            reason: reason.into()
        }
    );
    assert!(
        c.overdue_actions(&w.science, date(2025, 7, 1))
            .await
            .unwrap()
            .is_empty()
    );

    // The company reads its plan and writes follow-ups; it edits nothing else.
    let own = company_user(&member);
    let seen = c.plan(&own, &plan.id).await.unwrap();
    assert_eq!(seen.actions.len(), 3);
    let plan = c
        .add_follow_up(&own, &plan.id, "新厂区已开工，预计年底投产")
        .await
        .unwrap();
    let plan = c
        .add_follow_up(&w.industry, &plan.id, "现场走访，进度符合计划")
        .await
        .unwrap();
    assert_eq!(plan.follow_ups.len(), 2);
    assert_eq!(plan.follow_ups[0].by, own.user_id);
    let e = c
        .add_action(&own, &plan.id, action("自己加的措施", date(2026, 1, 1)))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let e = c
        .complete_action(&own, &plan.actions[2].id)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let e = c.overdue_actions(&own, date(2025, 7, 1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert_eq!(c.plans_of(&own, &member).await.unwrap().len(), 1);

    // Another company sees nothing of it; the administrator reads but does not write.
    let other = company_user(&company(4));
    assert_eq!(
        c.plan(&other, &plan.id).await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    assert_eq!(
        c.add_follow_up(&other, &plan.id, "不是我们的方案")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    assert_eq!(
        c.plans_of(&other, &member).await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    assert_eq!(c.plan(&w.admin, &plan.id).await.unwrap().id, plan.id);
    assert_eq!(
        c.add_follow_up(&w.admin, &plan.id, "管理员不写跟进")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    let e = c.plan(&w.science, "no-such-plan").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    assert_eq!(
        w.ledger_actions("cultivation_plan", &plan.id).await,
        [
            "cultivation.plan.create",
            "cultivation.plan.action.add",
            "cultivation.plan.action.add",
            "cultivation.plan.action.add",
            "cultivation.plan.action.done",
            "cultivation.plan.action.dropped",
            "cultivation.plan.follow_up",
            "cultivation.plan.follow_up",
        ]
    );
}

on_both!(
    a_plan_ends_with_the_membership,
    plan_needs_current_membership
);
async fn plan_needs_current_membership(w: &World) {
    let c = &w.cultivation;
    w.publish(SCHEME, 2025, &candidates(31)).await;
    w.publish(SCHEME, 2026, &candidates(31)).await;
    let e = c
        .create_plan(&w.science, &company(0), SCHEME, 2025, "上一年度的方案")
        .await
        .unwrap_err();
    assert!(
        matches!(e, CultivationError::Conflict { .. }),
        "2025's list has ended"
    );
    c.create_plan(&w.science, &company(0), SCHEME, 2026, "本年度的方案")
        .await
        .unwrap();
}
