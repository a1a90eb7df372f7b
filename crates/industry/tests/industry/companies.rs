//! Registering companies, each refusal naming its field, figures with history, qualifications
//! and the filtered list.

use industry::{
    CompanyFilter, ErrorKind, NewCompany, NewQualification, QualificationKind, Segment, YearFigures,
};
use jiff::civil::date;
use kernel::UtcMillis;

use crate::{GULOU, JIANGNING, World, count, field_of, gulou, ledger_actions, on_both, other};

on_both!(a_company_is_registered_and_read_back, registered);
async fn registered(w: &World) {
    let mut new = gulou();
    new.uscc = format!("  {}  ", GULOU.to_lowercase());
    new.district = "鼓楼区".into();
    let c = w.industry.register_company(&w.official, new).await.unwrap();
    assert_eq!(c.uscc.as_str(), GULOU);
    assert_eq!(c.district, "gulou");
    assert_eq!(c.city, "nanjing");
    assert_eq!(c.province, "jiangsu");
    assert_eq!(c.segments, vec![Segment::Biologics, Segment::Cxo]);
    assert_eq!(w.industry.company(&c.id).await.unwrap(), c);
    assert_eq!(
        w.industry
            .company_by_uscc(&GULOU.to_lowercase())
            .await
            .unwrap(),
        c
    );
    assert_eq!(ledger_actions(&w.db, "industry.company.register").await, 1);
}

on_both!(a_second_company_with_the_same_code_is_a_conflict, duplicate);
async fn duplicate(w: &World) {
    w.industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    let mut again = gulou();
    again.name = "另一家（合成数据）".into();
    let e = w
        .industry
        .register_company(&w.admin, again)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(e.kind().status(), 409);
    assert_eq!(field_of(&e), Some("uscc"));
    assert!(e.message_zh().contains("已登记"));
    assert_eq!(count(&w.db, "industry_companies").await, 1);
}

on_both!(
    each_bad_field_is_refused_by_name_and_nothing_is_stored,
    bad_fields
);
async fn bad_fields(w: &World) {
    let today = UtcMillis::now().city_date();
    let cases: Vec<(NewCompany, &str)> = vec![
        (
            NewCompany {
                uscc: "91320106MA1HC00012".into(),
                ..gulou()
            },
            "uscc",
        ),
        (
            NewCompany {
                uscc: "9132010".into(),
                ..gulou()
            },
            "uscc",
        ),
        (
            NewCompany {
                name: " ".into(),
                ..gulou()
            },
            "name",
        ),
        (
            NewCompany {
                district: "朝阳区".into(),
                ..gulou()
            },
            "district",
        ),
        (
            NewCompany {
                segments: vec![],
                ..gulou()
            },
            "segments",
        ),
        (
            NewCompany {
                founded: today.tomorrow().unwrap(),
                ..gulou()
            },
            "founded",
        ),
        (
            NewCompany {
                paid_in_capital_yuan: -1,
                ..gulou()
            },
            "paid_in_capital_yuan",
        ),
    ];
    for (new, field) in cases {
        let e = w
            .industry
            .register_company(&w.official, new)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), Some(field), "{e}");
        assert_eq!(e.kind(), ErrorKind::BadRequest);
        assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
    }
    let e = w
        .industry
        .register_company(
            &w.official,
            NewCompany {
                uscc: "91320106MA1HC00012".into(),
                ..gulou()
            },
        )
        .await
        .unwrap_err();
    assert!(
        e.message_zh().contains("第18位校验码应为1，实为2"),
        "{}",
        e.message_zh()
    );
    assert_eq!(count(&w.db, "industry_companies").await, 0);
}

fn figures(year: i16, revenue: i64) -> YearFigures {
    YearFigures {
        year,
        revenue_yuan: revenue,
        rd_spend_yuan: 30_000_000,
        staff: 210,
        output_yuan: 110_000_000,
        tax_yuan: Some(6_000_000),
    }
}

on_both!(
    a_corrected_year_replaces_the_figures_and_keeps_the_old_ones,
    figures_history
);
async fn figures_history(w: &World) {
    let c = w
        .industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    assert_eq!(
        w.industry
            .record_year(&w.official, &c.id, figures(2023, 100))
            .await
            .unwrap(),
        None
    );
    w.industry
        .record_year(&w.official, &c.id, figures(2024, 200))
        .await
        .unwrap();
    let replaced = w
        .industry
        .record_year(&w.company_user, &c.id, figures(2023, 150))
        .await
        .unwrap();
    assert_eq!(replaced, Some(figures(2023, 100)));
    let now = w.industry.figures(&w.official, &c.id).await.unwrap();
    assert_eq!(now, vec![figures(2023, 150), figures(2024, 200)]);
    let history = w.industry.figures_history(&w.expert, &c.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].figures, figures(2023, 100));
    assert_eq!(history[0].recorded_by, w.official.user_id);
    assert_eq!(history[0].replaced_by, w.company_user.user_id);
    assert_eq!(ledger_actions(&w.db, "industry.figures.record").await, 3);
}

on_both!(bad_figures_are_refused_by_name, bad_figures);
async fn bad_figures(w: &World) {
    let c = w
        .industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    let next_year = UtcMillis::now().city_date().year() + 1;
    let cases = [
        (
            YearFigures {
                year: next_year,
                ..figures(2024, 1)
            },
            "year",
        ),
        (
            YearFigures {
                year: 1948,
                ..figures(2024, 1)
            },
            "year",
        ),
        // Founded 2016: figures for 2015 cannot exist.
        (
            YearFigures {
                year: 2015,
                ..figures(2024, 1)
            },
            "year",
        ),
        (figures(2024, -1), "revenue_yuan"),
        (
            YearFigures {
                staff: -3,
                ..figures(2024, 1)
            },
            "staff",
        ),
        (
            YearFigures {
                rd_spend_yuan: -3,
                ..figures(2024, 1)
            },
            "rd_spend_yuan",
        ),
        (
            YearFigures {
                output_yuan: -3,
                ..figures(2024, 1)
            },
            "output_yuan",
        ),
        (
            YearFigures {
                tax_yuan: Some(-3),
                ..figures(2024, 1)
            },
            "tax_yuan",
        ),
    ];
    for (f, field) in cases {
        let e = w
            .industry
            .record_year(&w.official, &c.id, f)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), Some(field), "{e}");
    }
    assert_eq!(count(&w.db, "industry_figures").await, 0);
    let e = w
        .industry
        .record_year(&w.official, "no-such-id", figures(2024, 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

on_both!(
    qualifications_are_checked_and_listing_marks_the_company,
    qualifications
);
async fn qualifications(w: &World) {
    let c = w
        .industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    let gcp = NewQualification {
        kind: QualificationKind::Gcp,
        obtained: date(2023, 4, 1),
        expires: Some(date(2028, 4, 1)),
        evidence: "GCP-2023-0001".into(),
        detail: Some(6),
    };
    w.industry
        .add_qualification(&w.company_user, &c.id, gcp.clone())
        .await
        .unwrap();
    let e = w
        .industry
        .add_qualification(
            &w.official,
            &c.id,
            NewQualification {
                expires: Some(date(2023, 3, 1)),
                ..gcp.clone()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), Some("expires"));
    let e = w
        .industry
        .add_qualification(
            &w.official,
            &c.id,
            NewQualification {
                detail: None,
                ..gcp.clone()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), Some("detail"));
    let listed = NewQualification {
        kind: QualificationKind::Listed,
        obtained: date(2024, 9, 1),
        expires: None,
        evidence: "科创板 688XXX（合成数据）".into(),
        detail: None,
    };
    w.industry
        .add_qualification(&w.official, &c.id, listed)
        .await
        .unwrap();
    let held = w.industry.qualifications(&c.id).await.unwrap();
    assert_eq!(held.len(), 2);
    assert_eq!(held[0].kind, QualificationKind::Listed);
    assert_eq!(held[1].detail, Some(6));
    assert!(w.industry.company(&c.id).await.unwrap().listed);
}

on_both!(
    the_register_is_filtered_by_district_segment_text_and_qualification,
    filters
);
async fn filters(w: &World) {
    let a = w
        .industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    let b = w
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
    let list = |f: CompanyFilter| {
        let industry = w.industry.clone();
        let actor = w.doctor.clone();
        async move {
            industry
                .companies(&actor, &f)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(CompanyFilter::default()).await.len(), 2);
    assert_eq!(
        list(CompanyFilter {
            district: Some("江宁区".into()),
            ..Default::default()
        })
        .await,
        vec![b.id.clone()]
    );
    assert_eq!(
        list(CompanyFilter {
            segment: Some(Segment::Cxo),
            ..Default::default()
        })
        .await,
        vec![a.id.clone()]
    );
    assert_eq!(
        list(CompanyFilter {
            segment: Some(Segment::Ivd),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(CompanyFilter {
            text: Some("医疗器械".into()),
            ..Default::default()
        })
        .await,
        vec![b.id.clone()]
    );
    assert_eq!(
        list(CompanyFilter {
            text: Some(GULOU.to_lowercase()),
            ..Default::default()
        })
        .await,
        vec![a.id.clone()]
    );
    assert_eq!(
        list(CompanyFilter {
            text: Some("%".into()),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    w.industry
        .add_qualification(
            &w.official,
            &b.id,
            NewQualification {
                kind: QualificationKind::HighTech,
                obtained: date(2022, 12, 1),
                expires: Some(date(2025, 12, 1).max(UtcMillis::now().city_date())),
                evidence: "GR202232000001".into(),
                detail: None,
            },
        )
        .await
        .unwrap();
    w.industry
        .add_qualification(
            &w.official,
            &a.id,
            NewQualification {
                kind: QualificationKind::HighTech,
                obtained: date(2018, 12, 1),
                expires: Some(date(2021, 12, 1)),
                evidence: "GR201832000001".into(),
                detail: None,
            },
        )
        .await
        .unwrap();
    // Only the unexpired one counts.
    assert_eq!(
        list(CompanyFilter {
            qualification: Some(QualificationKind::HighTech),
            ..Default::default()
        })
        .await,
        vec![b.id.clone()]
    );
    let e = w
        .industry
        .companies(
            &w.doctor,
            &CompanyFilter {
                district: Some("朝阳区".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), Some("district"));
    let by_district = w.industry.companies_by_district().await.unwrap();
    assert_eq!(by_district.len(), 12);
    assert!(by_district.contains(&("gulou".to_owned(), 1)));
    assert!(by_district.contains(&("jiangning".to_owned(), 1)));
    assert!(by_district.contains(&("qixia".to_owned(), 0)));
}

on_both!(
    an_update_replaces_the_details_and_keeps_codes_unique,
    updates
);
async fn updates(w: &World) {
    let a = w
        .industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    w.industry
        .register_company(
            &w.official,
            other(JIANGNING, "江宁示例（合成数据）", "jiangning"),
        )
        .await
        .unwrap();
    let mut changed = gulou();
    changed.park = Some("南京生物医药谷（示例）".into());
    changed.segments = vec![Segment::CellGene];
    let c = w
        .industry
        .update_company(&w.company_user, &a.id, changed)
        .await
        .unwrap();
    assert_eq!(c.park.as_deref(), Some("南京生物医药谷（示例）"));
    assert_eq!(c.segments, vec![Segment::CellGene]);
    assert_eq!(c.created_at, a.created_at);
    let e = w
        .industry
        .update_company(
            &w.official,
            &a.id,
            NewCompany {
                uscc: JIANGNING.into(),
                ..gulou()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    w.industry
        .record_year(&w.official, &a.id, figures(2017, 1))
        .await
        .unwrap();
    let e = w
        .industry
        .update_company(
            &w.official,
            &a.id,
            NewCompany {
                founded: date(2018, 1, 1),
                ..gulou()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), Some("founded"));
    assert_eq!(ledger_actions(&w.db, "industry.company.update").await, 1);
}
