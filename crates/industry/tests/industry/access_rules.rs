//! Who may do what: each refusal is a typed `Forbidden`, and nothing is written.

use industry::{
    DrugClass, ErrorKind, NewCompany, NewProduct, NewStageEvent, ProductKind, Stage, YearFigures,
};
use jiff::civil::date;

use crate::{GULOU, JIANGBEI, QIXIA, World, count, gulou, on_both, other};

fn figures() -> YearFigures {
    YearFigures {
        year: 2024,
        revenue_yuan: 1,
        rd_spend_yuan: 1,
        staff: 1,
        output_yuan: 1,
        tax_yuan: None,
    }
}

on_both!(a_company_user_acts_only_for_its_own_company, company_user);
async fn company_user(w: &World) {
    // Its own company, under its organisation's code: allowed.
    let own = w
        .industry
        .register_company(&w.company_user, gulou())
        .await
        .unwrap();
    // Another code: refused.
    let e = w
        .industry
        .register_company(
            &w.company_user,
            NewCompany {
                uscc: QIXIA.into(),
                ..gulou()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    // A company not bound to it.
    let theirs = w
        .industry
        .register_company(
            &w.official,
            other(JIANGBEI, "江北示例（合成数据）", "jiangbei"),
        )
        .await
        .unwrap();
    let e = w
        .industry
        .record_year(&w.company_user, &theirs.id, figures())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let e = w
        .industry
        .update_company(
            &w.company_user,
            &theirs.id,
            other(JIANGBEI, "改名（合成数据）", "jiangbei"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let e = w
        .industry
        .figures(&w.company_user, &theirs.id)
        .await
        .unwrap_err();
    assert_eq!(e.kind().status(), 403);
    let e = w
        .industry
        .add_product(
            &w.company_user,
            NewProduct {
                company_id: theirs.id.clone(),
                name: "不属于我的产品".into(),
                kind: ProductKind::HealthProduct,
                started: date(2020, 1, 1),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    // Its own code and binding cannot be changed by itself, only by the bureau.
    let e = w
        .industry
        .update_company(
            &w.company_user,
            &own.id,
            NewCompany {
                uscc: QIXIA.into(),
                ..gulou()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert!(e.message_zh().contains("统一社会信用代码"));
    let e = w
        .industry
        .update_company(
            &w.company_user,
            &own.id,
            NewCompany {
                organisation_id: None,
                ..gulou()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let moved = w
        .industry
        .update_company(
            &w.official,
            &own.id,
            NewCompany {
                uscc: QIXIA.into(),
                ..gulou()
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.uscc.as_str(), QIXIA);
    assert_eq!(count(&w.db, "industry_figures").await, 0);
    assert_eq!(count(&w.db, "industry_products").await, 0);
}

on_both!(
    figures_are_read_only_by_the_company_officials_admins_and_experts,
    figure_readers
);
async fn figure_readers(w: &World) {
    let c = w
        .industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    w.industry
        .record_year(&w.official, &c.id, figures())
        .await
        .unwrap();
    for reader in [&w.official, &w.admin, &w.expert, &w.company_user] {
        assert_eq!(w.industry.figures(reader, &c.id).await.unwrap().len(), 1);
    }
    for stranger in [&w.doctor, &w.other_company_user] {
        let e = w.industry.figures(stranger, &c.id).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        let e = w
            .industry
            .figures_history(stranger, &c.id)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden);
    }
    // The register entry itself is public.
    assert_eq!(w.industry.company_by_uscc(GULOU).await.unwrap().id, c.id);
}

on_both!(experts_doctors_and_other_companies_cannot_write, no_writers);
async fn no_writers(w: &World) {
    for outsider in [&w.expert, &w.doctor, &w.other_company_user] {
        let e = w
            .industry
            .register_company(outsider, gulou())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden, "{}", outsider.username);
    }
    let c = w
        .industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    let p = w
        .industry
        .add_product(
            &w.official,
            NewProduct {
                company_id: c.id.clone(),
                name: "示例单抗（合成数据）".into(),
                kind: ProductKind::Drug {
                    class: DrugClass::Biological1,
                },
                started: date(2020, 1, 1),
            },
        )
        .await
        .unwrap();
    let event = NewStageEvent {
        stage: Stage::Preclinical,
        on: date(2021, 1, 1),
        evidence: "PRE-1".into(),
        evidence_sha256: None,
        skips_with_reason: None,
        first_in_country: false,
    };
    for outsider in [&w.expert, &w.doctor, &w.other_company_user] {
        let e = w
            .industry
            .record_stage(outsider, &p.id, event.clone())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden);
    }
    let e = w
        .industry
        .import(
            &w.company_user,
            industry::ImportKind::Companies,
            industry::Format::Csv,
            b"uscc\n1\n",
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert_eq!(count(&w.db, "industry_stage_events").await, 0);
}
