//! The review path: pre-review, a panel without conflicts, scores, recommendation within the
//! clause's maximum and the budget, notice, objection, award, payments.

use awards::{Collaboration, ErrorKind, PreReview, State};
use store::testing::TestDatabases;

use super::*;

#[tokio::test]
async fn an_on_merit_application_goes_from_submission_to_payment() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let w = world(db, day(2026, 3, 2)).await;
        let programme = w
            .programme(&["nanjing-2022/3-3/general-project"], 2026, 1000)
            .await;
        // e1 worked with the company until last year: inside the three-year window.
        w.awards
            .record_collaboration(
                &w.st,
                Collaboration {
                    expert_user_id: w.experts[1].user_id.clone(),
                    company_id: "company-jia".into(),
                    until: day(2025, 6, 30),
                    note: "联合承担2024年度市科技计划项目".into(),
                },
            )
            .await
            .unwrap();

        // e0 declares a consultancy that ended last December, herself.
        w.awards
            .record_collaboration(
                &w.experts[0],
                Collaboration {
                    expert_user_id: w.experts[0].user_id.clone(),
                    company_id: "company-jia".into(),
                    until: day(2025, 12, 31),
                    note: "曾为该公司提供技术咨询服务".into(),
                },
            )
            .await
            .unwrap();
        // ...but may not declare one for a colleague.
        assert_eq!(
            w.awards
                .record_collaboration(
                    &w.experts[0],
                    Collaboration {
                        expert_user_id: w.experts[2].user_id.clone(),
                        company_id: "company-jia".into(),
                        until: day(2025, 12, 31),
                        note: "曾为该公司提供技术咨询服务".into(),
                    },
                )
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden
        );

        let app = w
            .awards
            .submit(&w.company, general_project(&programme, w.applicant(), 800))
            .await
            .unwrap();
        assert_eq!(app.state, State::Submitted);
        assert_eq!(app.amount_kind, "up-to");
        assert_eq!(app.max_yuan, Some(1_600_000), "20% of 800万");
        assert!(
            app.due_at.is_some(),
            "the company sees when pre-review answers"
        );
        // The trace travels with the application.
        assert!(app.evaluation["trace"]["steps"].as_array().unwrap().len() > 2);

        let app = w
            .awards
            .pre_review(&w.st, &app.id, PreReview::Pass)
            .await
            .unwrap();
        assert_eq!(app.state, State::InReview);
        let panel = w.awards.assignments_of(&app.id).await.unwrap();
        let chosen: Vec<&str> = panel.iter().map(|a| a.expert_user_id.as_str()).collect();
        assert_eq!(chosen.len(), 3);
        assert!(
            !chosen.contains(&w.experts[0].user_id.as_str()),
            "declared consultancy"
        );
        assert!(
            !chosen.contains(&w.experts[1].user_id.as_str()),
            "recent collaboration"
        );

        // An expert not on the panel cannot score or read it.
        let e1 = &w.experts[1];
        let refused = w
            .awards
            .score(e1, &app.id, vec![80; 5], "")
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
        assert_eq!(
            w.awards.application(e1, &app.id).await.unwrap_err().kind(),
            ErrorKind::Forbidden
        );

        // One panel member declares a conflict and is replaced... by nobody: only three free.
        let member = w
            .experts
            .iter()
            .find(|e| e.user_id == panel[0].expert_user_id)
            .unwrap();
        let short = w
            .awards
            .recuse(member, &app.id, "本人曾担任该公司技术顾问")
            .await
            .unwrap_err();
        assert_eq!(short.kind(), ErrorKind::Conflict);

        // A score sheet must cover the rubric, 0-100.
        let first = w
            .experts
            .iter()
            .find(|e| e.user_id == panel[0].expert_user_id)
            .unwrap();
        assert_eq!(
            w.awards
                .score(first, &app.id, vec![80, 80], "")
                .await
                .unwrap_err()
                .field(),
            Some("scores")
        );
        // Recommending before every score is in is refused.
        for (i, a) in panel.iter().enumerate() {
            let e = w
                .experts
                .iter()
                .find(|e| e.user_id == a.expert_user_id)
                .unwrap();
            if i == 2 {
                let early = w.awards.recommend(&w.st, &app.id, 1_000_000, "").await;
                assert_eq!(early.unwrap_err().kind(), ErrorKind::Conflict);
            }
            w.awards
                .score(e, &app.id, vec![70 + 5 * i as u32; 5], "技术路线清晰")
                .await
                .unwrap();
        }
        let app = w.awards.application(&w.st, &app.id).await.unwrap();
        assert_eq!(app.score_centi, Some(7500));

        // Above the clause's maximum: refused with the maximum named.
        let above = w
            .awards
            .recommend(&w.st, &app.id, 1_600_001, "")
            .await
            .unwrap_err();
        assert_eq!(above.field(), Some("amount_yuan"));
        // Another bureau cannot act on the S&T bureau's programme.
        assert_eq!(
            w.awards
                .recommend(&w.industry, &app.id, 1_200_000, "")
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden
        );
        let app = w
            .awards
            .recommend(&w.st, &app.id, 1_200_000, "")
            .await
            .unwrap();
        assert_eq!(app.state, State::Recommended);
        let budget = w.awards.budget(&programme).await.unwrap();
        assert_eq!(budget.reserved_yuan, 1_200_000);

        let app = w.awards.publish_notice(&w.st, &app.id).await.unwrap();
        assert_eq!(app.state, State::InNotice);
        assert_eq!(w.awards.on_notice().await.unwrap().len(), 1);
        // Too early to award; then an objection holds it up until resolved.
        assert_eq!(
            w.awards.award(&w.st, &app.id).await.unwrap_err().kind(),
            ErrorKind::Conflict
        );
        let objection = w
            .awards
            .object(&w.public, &app.id, "该项目与其2025年已获资助项目内容重复")
            .await
            .unwrap();
        w.clock.advance_days(8);
        assert_eq!(
            w.awards.award(&w.st, &app.id).await.unwrap_err().kind(),
            ErrorKind::Conflict,
            "an open objection blocks the award"
        );
        w.awards
            .resolve_objection(
                &w.st2,
                &objection.id,
                false,
                "经核查两项目研究内容不同，异议不成立",
            )
            .await
            .unwrap();
        let app = w.awards.award(&w.st, &app.id).await.unwrap();
        assert_eq!(app.state, State::Awarded);
        assert_eq!(app.awarded_yuan, Some(1_200_000));

        // Payments: only the finance bureau, never above the award.
        assert_eq!(
            w.awards
                .disburse(&w.st, &app.id, 600_000, day(2026, 3, 10), "CZ-2026-001")
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden
        );
        w.awards
            .disburse(
                &w.finance,
                &app.id,
                600_000,
                day(2026, 3, 10),
                "CZ-2026-001",
            )
            .await
            .unwrap();
        let over = w
            .awards
            .disburse(
                &w.finance,
                &app.id,
                600_001,
                day(2026, 3, 10),
                "CZ-2026-002",
            )
            .await
            .unwrap_err();
        assert_eq!(over.field(), Some("amount_yuan"));
        let budget = w.awards.budget(&programme).await.unwrap();
        assert_eq!(budget.committed_yuan, 1_200_000);
        assert_eq!(budget.reserved_yuan, 0);
        assert_eq!(budget.disbursed_yuan, 600_000);

        // The company follows every step on its timeline.
        let steps: Vec<String> = w
            .awards
            .events(&w.company, &app.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.step)
            .collect();
        assert_eq!(
            steps,
            ["submit", "pre-review", "recommend", "publish", "award"]
        );
        // The award now counts in the company's history for caps.
        let history = w.awards.history("company-jia").await.unwrap();
        assert_eq!(history.awards.len(), 1);
        assert_eq!(history.awards[0].amount, Money(1_200_000));
    }
}

#[tokio::test]
async fn a_low_score_cannot_be_recommended_and_an_upheld_objection_refuses() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let w = world(db, day(2026, 3, 2)).await;
        let programme = w
            .programme(&["nanjing-2022/3-3/general-project"], 2026, 1000)
            .await;
        let app = w
            .awards
            .submit(&w.company, general_project(&programme, w.applicant(), 500))
            .await
            .unwrap();
        let app = w
            .awards
            .pre_review(&w.st, &app.id, PreReview::Pass)
            .await
            .unwrap();
        for a in w.awards.assignments_of(&app.id).await.unwrap() {
            let e = w
                .experts
                .iter()
                .find(|e| e.user_id == a.expert_user_id)
                .unwrap();
            w.awards.score(e, &app.id, vec![50; 5], "").await.unwrap();
        }
        let low = w
            .awards
            .recommend(&w.st, &app.id, 500_000, "")
            .await
            .unwrap_err();
        assert_eq!(low.field(), Some("amount_yuan"));
        // A refusal needs a reason someone can act on.
        assert_eq!(
            w.awards
                .refuse(&w.st, &app.id, "不符合")
                .await
                .unwrap_err()
                .field(),
            Some("reason")
        );
        let app = w
            .awards
            .refuse(&w.st, &app.id, "专家评审平均分低于60分，不予支持")
            .await
            .unwrap();
        assert_eq!(app.state, State::Refused);
        assert_eq!(
            app.reason.as_deref(),
            Some("专家评审平均分低于60分，不予支持")
        );

        // A second project, recommended, then an upheld objection refuses it.
        let mut second = general_project(&programme, w.applicant(), 900);
        second.facts = second.facts.text("project_id", "R-2");
        let app = w.awards.submit(&w.company, second).await.unwrap();
        w.awards
            .pre_review(&w.st, &app.id, PreReview::Pass)
            .await
            .unwrap();
        for a in w.awards.assignments_of(&app.id).await.unwrap() {
            let e = w
                .experts
                .iter()
                .find(|e| e.user_id == a.expert_user_id)
                .unwrap();
            w.awards.score(e, &app.id, vec![90; 5], "").await.unwrap();
        }
        w.awards
            .recommend(&w.st, &app.id, 1_500_000, "")
            .await
            .unwrap();
        w.awards.publish_notice(&w.st, &app.id).await.unwrap();
        let o = w
            .awards
            .object(
                &w.other_company,
                &app.id,
                "申报的研发投入含已获其他财政资助部分",
            )
            .await
            .unwrap();
        let app = w
            .awards
            .resolve_objection(
                &w.st,
                &o.id,
                true,
                "经审计，研发投入中重复计列320万元，异议成立",
            )
            .await
            .unwrap();
        assert_eq!(app.state, State::Refused);
        // Refused money is back in the budget.
        assert_eq!(w.awards.budget(&programme).await.unwrap().reserved_yuan, 0);
    }
}
