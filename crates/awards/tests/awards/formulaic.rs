//! The formulaic path and the no-application path, on a clause of its time: Suzhou's 第六条
//! phase-entry grants (in force 2019-2021 on the encoded period), for a Suzhou company.

use awards::{ErrorKind, PreReview, State, Submission};
use store::testing::TestDatabases;

use super::*;

fn phase_entry(programme: &str, applicant: Applicant, stage: &str) -> Submission {
    Submission {
        programme_id: programme.into(),
        applicant,
        clause_id: "suzhou-2019/6/phase-entry".into(),
        title: "一类新药 D-1 临床试验（测试）".into(),
        facts: Facts::new()
            .choice("city", "suzhou")
            .choice("province", "jiangsu")
            .flag("independent_legal_person", true)
            .text("product_id", "D-1")
            .choice("drug_class", "chemical-1")
            .choice("stage", stage)
            .flag("converted_locally", true)
            .flag("in_supported_field", true),
        requested_yuan: None,
        attachments: vec![file("business-licence"), file("clinical-approval")],
    }
}

#[tokio::test]
async fn a_formulaic_grant_is_recommended_at_the_clauses_amount() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let w = world(db, day(2020, 6, 1)).await;
        let programme = w
            .programme(&["suzhou-2019/6/phase-entry"], 2020, 5000)
            .await;
        let app = w
            .awards
            .submit(
                &w.company,
                phase_entry(&programme, w.applicant(), "phase-2-entered"),
            )
            .await
            .unwrap();
        assert_eq!(app.amount_kind, "exact");
        assert_eq!(app.max_yuan, Some(1_500_000));
        assert_eq!(app.subject_key, "D-1/phase-2-entered");
        let app = w
            .awards
            .pre_review(&w.st, &app.id, PreReview::Pass)
            .await
            .unwrap();
        assert_eq!(
            app.state,
            State::Recommended,
            "no expert panel for a formulaic clause"
        );
        assert_eq!(app.recommended_yuan, Some(1_500_000));
        assert!(w.awards.assignments_of(&app.id).await.unwrap().is_empty());
        w.awards.publish_notice(&w.st, &app.id).await.unwrap();
        w.clock.advance_days(8);
        let app = w.awards.award(&w.st, &app.id).await.unwrap();
        assert_eq!(app.awarded_yuan, Some(1_500_000));

        // The same product's same stage again: a duplicate, refused with the clause named.
        let dup = w
            .awards
            .submit(
                &w.company,
                phase_entry(&programme, w.applicant(), "phase-2-entered"),
            )
            .await
            .unwrap_err();
        assert_eq!(dup.kind(), ErrorKind::Conflict);
        // The next stage is a new grant: the one-off rule is per product and stage.
        let next = w
            .awards
            .submit(
                &w.company,
                phase_entry(&programme, w.applicant(), "phase-3-entered"),
            )
            .await
            .unwrap();
        assert_eq!(next.max_yuan, Some(2_500_000));
        assert!(
            kernel::Explain::explain(&dup, kernel::Lang::Zh).contains("suzhou-2019/6/phase-entry")
        );
    }
}

#[tokio::test]
async fn the_bureau_confirms_a_match_without_an_application() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let w = world(db, day(2021, 3, 1)).await;
        let clause = "suzhou-2019/17/overseas-approval";
        let programme = w
            .programme(&[clause, "suzhou-2019/6/phase-entry"], 2021, 5000)
            .await;
        assert!(
            w.awards
                .catalogue()
                .clause(clause, day(2021, 3, 1))
                .unwrap()
                .no_application_needed
        );
        let approval = Submission {
            programme_id: programme.clone(),
            applicant: w.applicant(),
            clause_id: clause.into(),
            title: "D-1 获FDA上市批准（测试）".into(),
            facts: Facts::new()
                .choice("city", "suzhou")
                .choice("province", "jiangsu")
                .flag("independent_legal_person", true)
                .text("product_id", "D-1")
                .choice("overseas_approval", "marketing")
                .choice("overseas_agency", "fda"),
            requested_yuan: None,
            attachments: vec![],
        };
        // A company cannot confirm for itself; the programme's bureau can.
        assert_eq!(
            w.awards
                .confirm_match(&w.company, approval.clone())
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden
        );
        let app = w.awards.confirm_match(&w.st, approval).await.unwrap();
        assert_eq!(app.state, State::Recommended);
        assert!(app.initiated_by_bureau);
        assert_eq!(app.recommended_yuan, Some(1_000_000));
        // A clause that needs facts only the company knows cannot be confirmed this way.
        let mut stage = phase_entry(&programme, w.applicant(), "phase-1-entered");
        stage.attachments.clear();
        assert_eq!(
            w.awards
                .confirm_match(&w.st, stage)
                .await
                .unwrap_err()
                .field(),
            Some("clause_id")
        );
        // The company sees it among its own applications, another company does not.
        let mine = w
            .awards
            .applications_of(&w.company, &w.company_org.id)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(
            w.awards
                .applications_of(&w.other_company, &w.company_org.id)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden
        );
    }
}

#[tokio::test]
async fn a_clause_past_its_period_is_refused_and_past_awards_keep_their_rule() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let w = world(db, day(2021, 12, 1)).await;
        let programme = w
            .programme(&["suzhou-2019/6/phase-entry"], 2021, 5000)
            .await;
        let app = w
            .awards
            .submit(
                &w.company,
                phase_entry(&programme, w.applicant(), "phase-1-entered"),
            )
            .await
            .unwrap();
        assert_eq!(app.clause_version, 1);
        // A year later the clause has expired (encoded period to 2021-12-31).
        w.clock.set(day(2022, 1, 10));
        let late = w
            .awards
            .submit(
                &w.company,
                phase_entry(&programme, w.applicant(), "phase-2-entered"),
            )
            .await;
        // The programme window (60 days from 2021-12-01) is open; the clause is not.
        let err = late.unwrap_err();
        assert!(
            matches!(
                err,
                awards::AwardsError::Policy(policy::PolicyError::NotInForce { .. })
            ),
            "{err:?}"
        );
        // The earlier application still carries the rule it was made under.
        let kept = w.awards.application(&w.st, &app.id).await.unwrap();
        assert_eq!(kept.max_yuan, Some(1_000_000));
        assert_eq!(kept.evaluation["clause_version"], 1);
    }
}
