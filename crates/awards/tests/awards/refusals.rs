//! Bad input: each refused with the clause and the reason, nothing written.

use awards::{AwardsError, ErrorKind};
use kernel::{Explain, Lang};
use policy::PolicyError;
use store::testing::TestDatabases;

use super::*;

#[tokio::test]
async fn bad_applications_are_refused_with_the_clause_and_reason() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let w = world(db, day(2026, 3, 2)).await;
        let programme = w
            .programme(
                &[
                    "nanjing-2022/3-3/general-project",
                    "suzhou-2019/6/phase-entry",
                ],
                2026,
                1000,
            )
            .await;

        // Negative spend: the fact and what is allowed.
        let mut s = general_project(&programme, w.applicant(), 100);
        s.facts = s.facts.money("project_rd_spend", Money(-5));
        let e = w.awards.submit(&w.company, s).await.unwrap_err();
        assert!(
            matches!(e, AwardsError::Policy(PolicyError::InvalidFact { .. })),
            "{e:?}"
        );
        assert!(
            e.explain(Lang::Zh).contains("project_rd_spend")
                || e.explain(Lang::Zh).contains("研发")
        );

        // A missing fact.
        let mut s = general_project(&programme, w.applicant(), 100);
        s.facts = Facts::new()
            .choice("city", "nanjing")
            .choice("province", "jiangsu")
            .text("project_id", "R-9");
        let e = w.awards.submit(&w.company, s).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest);

        // Not a general project: the clause's condition, unmet.
        let mut s = general_project(&programme, w.applicant(), 100);
        s.facts = s.facts.choice("project_type", "major-breakthrough");
        let e = w.awards.submit(&w.company, s).await.unwrap_err();
        assert!(matches!(e, AwardsError::NotEligible { .. }), "{e:?}");

        // An amount asked above the clause's maximum: the cap named.
        let mut s = general_project(&programme, w.applicant(), 1000);
        s.requested_yuan = Some(2_000_001);
        let e = w.awards.submit(&w.company, s).await.unwrap_err();
        assert!(
            matches!(e, AwardsError::Policy(PolicyError::AboveCap { .. })),
            "{e:?}"
        );

        // A Suzhou clause, expired and for another city: refused with the clause's period.
        let s = Submission {
            clause_id: "suzhou-2019/6/phase-entry".into(),
            ..general_project(&programme, w.applicant(), 100)
        };
        let e = w.awards.submit(&w.company, s).await.unwrap_err();
        assert!(
            matches!(e, AwardsError::Policy(PolicyError::NotInForce { .. })),
            "{e:?}"
        );

        // A clause the programme does not fund.
        let s = Submission {
            clause_id: "nanjing-2022/3-3/multi-centre-trial".into(),
            ..general_project(&programme, w.applicant(), 100)
        };
        assert_eq!(
            w.awards.submit(&w.company, s).await.unwrap_err().field(),
            Some("clause_id")
        );

        // The attachment the clause asks for is missing.
        let mut s = general_project(&programme, w.applicant(), 100);
        s.attachments.clear();
        assert_eq!(
            w.awards.submit(&w.company, s).await.unwrap_err().field(),
            Some("attachments")
        );

        // Someone else's company.
        let e = w
            .awards
            .submit(
                &w.other_company,
                general_project(&programme, w.applicant(), 100),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden);

        // Nothing of the above was written.
        assert!(
            w.awards
                .applications_in(&w.st, &programme)
                .await
                .unwrap()
                .is_empty()
        );

        // The one good application, then the same project again.
        w.awards
            .submit(&w.company, general_project(&programme, w.applicant(), 100))
            .await
            .unwrap();
        let e = w
            .awards
            .submit(&w.company, general_project(&programme, w.applicant(), 300))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
    }
}

#[tokio::test]
async fn programmes_are_checked_and_belong_to_a_bureau() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let w = world(db, day(2026, 3, 2)).await;
        let new = |budget: i64, clauses: Vec<String>| NewProgramme {
            name_zh: "测试计划".into(),
            name_en: "Test".into(),
            year: 2026,
            budget_yuan: budget,
            clauses,
            opens_on: day(2026, 3, 1),
            closes_on: day(2026, 4, 1),
        };
        let ok = vec!["nanjing-2022/3-3/general-project".to_owned()];
        assert_eq!(
            w.awards
                .create_programme(&w.company, new(1, ok.clone()))
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden
        );
        assert_eq!(
            w.awards
                .create_programme(&w.finance, new(1, ok.clone()))
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden,
            "finance pays; it does not run programmes"
        );
        assert_eq!(
            w.awards
                .create_programme(&w.st, new(0, ok.clone()))
                .await
                .unwrap_err()
                .field(),
            Some("budget_yuan")
        );
        assert_eq!(
            w.awards
                .create_programme(&w.st, new(1, vec!["nowhere/1".into()]))
                .await
                .unwrap_err()
                .field(),
            Some("clauses")
        );
        let p = w
            .awards
            .create_programme(&w.industry, new(100, ok))
            .await
            .unwrap();
        assert_eq!(p.bureau, "industry_information");
        // The budget is checked when money is recommended: a 100-yuan programme cannot fund
        // a formulaic... here an on-merit recommendation of 1000 yuan.
        let app = w
            .awards
            .submit(&w.company, general_project(&p.id, w.applicant(), 100))
            .await
            .unwrap();
        // The S&T bureau cannot pre-review the industry bureau's programme.
        assert_eq!(
            w.awards
                .pre_review(&w.st, &app.id, awards::PreReview::Pass)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden
        );
    }
}
