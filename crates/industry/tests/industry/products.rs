//! Products and their stages: order rules, duplicates, kinds, and the pipeline funnel.

use industry::{
    Agency, Approval, DeviceClass, DrugClass, ErrorKind, NewProduct, NewStageEvent, Product,
    ProductKind, Stage,
};
use jiff::civil::{Date, date};
use kernel::UtcMillis;

use crate::{JIANGNING, World, count, gulou, ledger_actions, on_both, other};

fn stage(stage: Stage, on: Date) -> NewStageEvent {
    NewStageEvent {
        stage,
        on,
        evidence: format!("DOC-{}", stage.key()),
        evidence_sha256: None,
        skips_with_reason: None,
        first_in_country: false,
    }
}

async fn product(w: &World, company_id: &str, name: &str, kind: ProductKind) -> Product {
    w.industry
        .add_product(
            &w.official,
            NewProduct {
                company_id: company_id.into(),
                name: name.into(),
                kind,
                started: date(2019, 1, 1),
            },
        )
        .await
        .unwrap()
}

const CHEMICAL_1: ProductKind = ProductKind::Drug {
    class: DrugClass::Chemical1,
};

on_both!(
    drug_stages_follow_their_order_or_give_the_reason,
    drug_order
);
async fn drug_order(w: &World) {
    let c = w
        .industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    let p = product(w, &c.id, "示例小分子（合成数据）", CHEMICAL_1).await;
    let e = w
        .industry
        .record_stage(
            &w.company_user,
            &p.id,
            stage(Stage::Phase2Entered, date(2023, 1, 1)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("stage"));
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    w.industry
        .record_stage(
            &w.company_user,
            &p.id,
            stage(Stage::Phase1Entered, date(2022, 1, 1)),
        )
        .await
        .unwrap();
    // Dated before its prerequisite.
    let e = w
        .industry
        .record_stage(
            &w.official,
            &p.id,
            stage(Stage::Phase2Entered, date(2021, 12, 31)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("on"));
    let p2 = w
        .industry
        .record_stage(
            &w.official,
            &p.id,
            stage(Stage::Phase2Entered, date(2023, 1, 1)),
        )
        .await
        .unwrap();
    assert_eq!(p2.recorded_by, w.official.user_id);
    // Twice: conflict.
    let e = w
        .industry
        .record_stage(
            &w.official,
            &p.id,
            stage(Stage::Phase2Entered, date(2023, 2, 1)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    // In the future.
    let tomorrow = UtcMillis::now().city_date().tomorrow().unwrap();
    let e = w
        .industry
        .record_stage(&w.official, &p.id, stage(Stage::Phase2Completed, tomorrow))
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("on"));
    // Not a drug stage.
    let e = w
        .industry
        .record_stage(
            &w.official,
            &p.id,
            stage(Stage::RegistrationCertificate, date(2023, 1, 1)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("stage"));
    // Phase III without phase II completed? Phase III needs phase II entered, which exists.
    w.industry
        .record_stage(
            &w.official,
            &p.id,
            stage(Stage::Phase3Entered, date(2024, 1, 1)),
        )
        .await
        .unwrap();
    let fda = Stage::Overseas {
        agency: Agency::Fda,
        approval: Approval::Clinical,
    };
    w.industry
        .record_stage(&w.official, &p.id, stage(fda, date(2024, 2, 1)))
        .await
        .unwrap();
    assert_eq!(
        w.industry.current_stage(&p.id).await.unwrap(),
        Some(Stage::Phase3Entered)
    );
    let events = w.industry.stage_events(&p.id).await.unwrap();
    let keys: Vec<_> = events.iter().map(|e| e.stage.key()).collect();
    assert_eq!(
        keys,
        [
            "phase-1-entered",
            "phase-2-entered",
            "phase-3-entered",
            "fda-clinical"
        ]
    );
    assert_eq!(ledger_actions(&w.db, "industry.stage.record").await, 4);

    // A skipped phase with its reason is recorded with that reason.
    let q = product(
        w,
        &c.id,
        "示例单抗（合成数据）",
        ProductKind::Drug {
            class: DrugClass::Biological1,
        },
    )
    .await;
    let mut skip = stage(Stage::Phase2Entered, date(2023, 3, 1));
    skip.skips_with_reason = Some("境外已完成I期，国家药监局同意直接开展II期".into());
    let recorded = w
        .industry
        .record_stage(&w.official, &q.id, skip)
        .await
        .unwrap();
    assert!(recorded.skips_with_reason.is_some());
}

on_both!(devices_and_generics_have_their_own_stages, other_kinds);
async fn other_kinds(w: &World) {
    let c = w
        .industry
        .register_company(
            &w.official,
            other(
                JIANGNING,
                "江宁示例医疗器械有限公司（合成数据）",
                "jiangning",
            ),
        )
        .await
        .unwrap();
    let plain = product(
        w,
        &c.id,
        "示例监护仪（合成数据）",
        ProductKind::Device {
            class: DeviceClass::II,
            innovative_special_review: false,
        },
    )
    .await;
    let e = w
        .industry
        .record_stage(
            &w.official,
            &plain.id,
            stage(Stage::SpecialReviewEntered, date(2022, 1, 1)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("stage"));
    let mut certificate = stage(Stage::RegistrationCertificate, date(2022, 6, 1));
    certificate.evidence_sha256 = Some("AB".repeat(32));
    let stored = w
        .industry
        .record_stage(&w.official, &plain.id, certificate)
        .await
        .unwrap();
    assert_eq!(stored.evidence_sha256, Some("ab".repeat(32)));

    let generic = product(
        w,
        &c.id,
        "示例仿制药（合成数据）",
        ProductKind::Drug {
            class: DrugClass::Generic,
        },
    )
    .await;
    let mut first = stage(Stage::ConsistencyEvaluationPassed, date(2021, 1, 1));
    first.first_in_country = true;
    assert!(
        w.industry
            .record_stage(&w.official, &generic.id, first)
            .await
            .unwrap()
            .first_in_country
    );
    let e = w
        .industry
        .record_stage(
            &w.official,
            &generic.id,
            stage(Stage::Phase1Entered, date(2021, 1, 1)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("stage"));
    let e = w
        .industry
        .add_product(
            &w.official,
            NewProduct {
                company_id: c.id.clone(),
                name: "示例仿制药（合成数据）".into(),
                kind: ProductKind::HealthProduct,
                started: date(2020, 1, 1),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(w.industry.products_of(&c.id).await.unwrap().len(), 2);
    let e = w
        .industry
        .record_stage(
            &w.official,
            "nope",
            stage(Stage::Preclinical, date(2021, 1, 1)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

on_both!(
    the_funnel_counts_innovative_drugs_by_the_furthest_stage,
    funnel
);
async fn funnel(w: &World) {
    let c = w
        .industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    let stages = [
        vec![Stage::Preclinical],
        vec![
            Stage::Preclinical,
            Stage::Phase1Entered,
            Stage::Phase1Completed,
        ],
        vec![
            Stage::Phase1Entered,
            Stage::Phase2Entered,
            Stage::Phase3Entered,
        ],
        vec![],
    ];
    for (i, recorded) in stages.iter().enumerate() {
        let p = product(w, &c.id, &format!("示例新药{i}（合成数据）"), CHEMICAL_1).await;
        for (day, s) in recorded.iter().enumerate() {
            w.industry
                .record_stage(&w.official, &p.id, stage(*s, date(2020, 1, 1 + day as i8)))
                .await
                .unwrap();
        }
    }
    // A generic with approval counts nowhere in the innovative funnel.
    let g = product(
        w,
        &c.id,
        "示例仿制药（合成数据）",
        ProductKind::Drug {
            class: DrugClass::Generic,
        },
    )
    .await;
    w.industry
        .record_stage(
            &w.official,
            &g.id,
            stage(Stage::MarketingApplication, date(2020, 1, 1)),
        )
        .await
        .unwrap();
    w.industry
        .record_stage(
            &w.official,
            &g.id,
            stage(Stage::ManufacturingApproval, date(2020, 2, 1)),
        )
        .await
        .unwrap();
    let funnel = w.industry.pipeline_funnel("nanjing").await.unwrap();
    let counts: Vec<(&str, u64)> = funnel.iter().map(|(s, n)| (s.key(), *n)).collect();
    assert_eq!(
        counts,
        vec![
            ("preclinical", 3),
            ("phase-1-entered", 2),
            ("phase-1-completed", 2),
            ("phase-2-entered", 1),
            ("phase-2-completed", 1),
            ("phase-3-entered", 1),
            ("phase-3-completed", 0),
            ("marketing-application", 0),
            ("manufacturing-approval", 0),
        ]
    );
    assert!(
        w.industry
            .pipeline_funnel("suzhou")
            .await
            .unwrap()
            .iter()
            .all(|(_, n)| *n == 0)
    );
    assert_eq!(count(&w.db, "industry_products").await, 5);
}
