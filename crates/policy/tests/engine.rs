//! The engine's behaviour: dated versions, refusals, the trace, requests against caps, and
//! 从优、就高、不重复 on real overlapping clauses.

#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use jiff::civil::{Date, date};
use policy::{
    Amount, Catalogue, Facts, History, Money, PastAward, PolicyError, StepKind, check_request,
    combine, evaluate, match_company, shipped,
};

fn suzhou() -> Facts {
    Facts::new()
        .choice("city", "suzhou")
        .choice("province", "jiangsu")
        .flag("independent_legal_person", true)
}

fn nanjing() -> Facts {
    Facts::new()
        .choice("city", "nanjing")
        .choice("province", "jiangsu")
        .flag("independent_legal_person", true)
}

const SUZHOU_DAY: Date = date(2020, 6, 1);
/// Both Suzhou (to 2021-12-31, assumed) and Jiangsu (from 2021-11-01) are in force.
const BOTH_DAY: Date = date(2021, 12, 1);

const TWO_VERSIONS: &str = r#"
[document]
id = "test"
title_zh = "测试文件"
title_en = "Test document"
seed_file = "none.txt"
citation = "test"
jurisdiction = "suzhou"
level = "city"
period = { from = "2019-01-01", source = { citation = "test", section = "全文", confirmed = true } }
case_defaults = { on = "2019-06-01", facts = { city = "suzhou", province = "jiangsu" } }

[[citations]]
id = "test"
title = "测试文件"
source = "fixture"
section = "全文"

[[clause]]
id = "test/grant"
version = 1
title_zh = "资助"
title_en = "Grant"
kind = "formulaic"
subject = "device.registration"
subject_key = ["product_id"]
source = { citation = "test", section = "第一条", confirmed = true }
quote = "按20%资助，最高不超过300万元"
amount = { ratio = "20%", of = "product_rd_spend", max = "300万" }

[[clause.case]]
says = "旧版：研发投入1000万元，按20%计200万元"
facts = { product_id = "X", product_rd_spend = "1000万" }
expect = { amount = "200万" }

[[clause]]
id = "test/grant"
version = 2
title_zh = "资助（调整）"
title_en = "Grant (changed)"
kind = "formulaic"
subject = "device.registration"
subject_key = ["product_id"]
effective_from = "2021-01-01"
period_source = { citation = "test", section = "修订", confirmed = true }
source = { citation = "test", section = "第一条（修订）", confirmed = true }
quote = "按10%资助，最高不超过500万元"
amount = { ratio = "10%", of = "product_rd_spend", max = "500万" }

[[clause.case]]
says = "新版：研发投入1000万元，按10%计100万元"
on = "2021-06-01"
facts = { product_id = "X", product_rd_spend = "1000万" }
expect = { amount = "100万" }

[[clause]]
id = "test/same-event"
title_zh = "同一事项"
title_en = "Same event"
kind = "on-merit"
subject = "device.registration"
subject_key = ["product_id"]
source = { citation = "test", section = "第二条", confirmed = true }
quote = "最高200万元"
amount = { up_to = "200万" }

[[clause]]
id = "test/adds"
title_zh = "追加"
title_en = "Adds"
kind = "formulaic"
subject = "device.registration"
subject_key = ["product_id"]
stacks_with = ["test/grant"]
source = { citation = "test", section = "第三条", confirmed = true }
quote = "再给予50万元"
amount = { fixed = "50万" }

[[clause]]
id = "test/committee"
title_zh = "一事一议"
title_en = "Case by case"
kind = "case-by-case"
subject = "device.registration"
subject_key = ["product_id"]
source = { citation = "test", section = "第四条", confirmed = true }
quote = "一事一议"
amount = { committee = true }
"#;

fn fixture() -> Catalogue {
    Catalogue::from_str(TWO_VERSIONS).unwrap()
}

fn device(rd: i64) -> Facts {
    Facts::new()
        .choice("city", "suzhou")
        .choice("province", "jiangsu")
        .text("product_id", "X")
        .money("product_rd_spend", Money::wan(rd))
}

#[test]
fn a_changed_parameter_applies_from_its_date_and_the_past_keeps_its_rule() {
    let c = fixture();
    let old = c.clause("test/grant", date(2020, 12, 31)).unwrap();
    let new = c.clause("test/grant", date(2021, 1, 1)).unwrap();
    assert_eq!((old.version, new.version), (1, 2));
    // Version 1 ends the day before version 2 starts.
    assert_eq!(old.effective_to, Some(date(2020, 12, 31)));
    let facts = device(2000);
    let h = History::default();
    let before = evaluate(old, &facts, &h, date(2020, 6, 1)).unwrap();
    let after = evaluate(new, &facts, &h, date(2021, 6, 1)).unwrap();
    assert_eq!(before.amount, Amount::Exact(Money::wan(300)));
    assert_eq!(after.amount, Amount::Exact(Money::wan(200)));
    assert_eq!((before.clause_version, after.clause_version), (1, 2));
    // A version is refused outside its own period.
    assert!(matches!(
        evaluate(old, &facts, &h, date(2021, 6, 1)),
        Err(PolicyError::NotInForce { .. })
    ));
    for case in c.cases() {
        case.run(&c).unwrap();
    }
}

#[test]
fn unknown_and_out_of_period_clauses_are_refused_with_the_period() {
    let c = shipped();
    assert!(matches!(
        c.clause("suzhou-2019/99/none", SUZHOU_DAY),
        Err(PolicyError::UnknownClause { .. })
    ));
    let err = c
        .clause("jiangsu-2021/28/insurance", date(2025, 1, 1))
        .unwrap_err();
    assert_eq!(
        err,
        PolicyError::NotInForce {
            id: "jiangsu-2021/28/insurance".into(),
            on: date(2025, 1, 1),
            from: date(2021, 11, 1),
            to: Some(date(2024, 12, 31)),
        }
    );
    assert!(err.message_zh().contains("2024-12-31"));
    assert!(err.message_en().contains("2024-12-31"));
    let before = c
        .clause("jiangsu-2021/28/insurance", date(2021, 10, 31))
        .unwrap_err();
    assert!(matches!(before, PolicyError::NotInForce { .. }));
}

#[test]
fn a_company_elsewhere_or_not_saying_where_is_refused() {
    let clause = shipped()
        .clause("suzhou-2019/7/class-3", SUZHOU_DAY)
        .unwrap();
    let h = History::default();
    let err = evaluate(clause, &nanjing(), &h, SUZHOU_DAY).unwrap_err();
    assert_eq!(
        err,
        PolicyError::WrongJurisdiction {
            id: "suzhou-2019/7/class-3".into(),
            clause_jurisdiction: "suzhou".into(),
            company_jurisdiction: "nanjing".into(),
        }
    );
    assert!(err.message_zh().contains("suzhou"));
    let err = evaluate(clause, &Facts::new(), &h, SUZHOU_DAY).unwrap_err();
    assert_eq!(
        err,
        PolicyError::MissingFact {
            fact: "city".into()
        }
    );
}

#[test]
fn bad_values_are_refused_naming_the_fact_and_what_is_allowed() {
    let clause = shipped()
        .clause("suzhou-2019/7/class-3", SUZHOU_DAY)
        .unwrap();
    let h = History::default();
    let negative = suzhou()
        .choice("device_class", "class-3")
        .money("product_rd_spend", Money(-1));
    match evaluate(clause, &negative, &h, SUZHOU_DAY).unwrap_err() {
        PolicyError::InvalidFact {
            fact,
            reason_en,
            reason_zh,
        } => {
            assert_eq!(fact, "product_rd_spend");
            assert!(reason_en.contains("at least 0"), "{reason_en}");
            assert!(reason_zh.contains("负数"), "{reason_zh}");
        }
        other => panic!("{other:?}"),
    }
    let unknown = suzhou().choice("device_class", "class-4");
    match evaluate(clause, &unknown, &h, SUZHOU_DAY).unwrap_err() {
        PolicyError::InvalidFact {
            fact, reason_en, ..
        } => {
            assert_eq!(fact, "device_class");
            assert!(
                reason_en.contains("class-1, class-2, class-3"),
                "{reason_en}"
            );
        }
        other => panic!("{other:?}"),
    }
    let wrong_type = suzhou().flag("device_class", true);
    assert!(matches!(
        evaluate(clause, &wrong_type, &h, SUZHOU_DAY),
        Err(PolicyError::InvalidFact { .. })
    ));
    let gcp = shipped().clause("suzhou-2019/11/gcp", SUZHOU_DAY).unwrap();
    let below_zero = suzhou().count("gcp_new_specialties", -1);
    assert!(matches!(
        evaluate(gcp, &below_zero, &h, SUZHOU_DAY),
        Err(PolicyError::InvalidFact { fact, .. }) if fact == "gcp_new_specialties"
    ));
}

#[test]
fn the_trace_names_each_fact_condition_formula_and_cap_with_its_source() {
    let clause = shipped()
        .clause("suzhou-2019/7/class-3", SUZHOU_DAY)
        .unwrap();
    let facts = suzhou()
        .text("product_id", "V-1")
        .choice("device_class", "class-3")
        .flag("device_newly_registered", true)
        .money("product_rd_spend", Money::wan(2000));
    let history = History {
        awards: vec![PastAward {
            clause_id: "suzhou-2019/7/class-2-or-innovative".into(),
            clause_version: 1,
            subject_key: "V-0".into(),
            year: 2020,
            amount: Money::wan(250),
        }],
    };
    let e = evaluate(clause, &facts, &history, SUZHOU_DAY).unwrap();
    assert_eq!(e.amount, Amount::Exact(Money::wan(250)));
    assert_eq!(e.subject_key, "V-1");
    let steps = &e.trace.steps;
    assert!(steps.iter().any(
        |s| matches!(&s.kind, StepKind::FactUsed { name, .. } if &**name == "product_rd_spend")
    ));
    assert!(steps.iter().any(
        |s| matches!(&s.kind, StepKind::Condition { held: true, .. })
            && s.text_zh.contains("第三类")
    ));
    assert!(
        steps.iter().any(
            |s| matches!(&s.kind, StepKind::Formula { value, .. } if *value == Money::wan(400))
        )
    );
    let cuts: Vec<(&str, &str, Money, Money)> = steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::CapCut {
                cap,
                source,
                before,
                after,
            } => Some((cap.as_str(), source.as_str(), *before, *after)),
            _ => None,
        })
        .collect();
    assert_eq!(
        cuts,
        vec![
            (
                "suzhou-2019/7/class-3/max",
                "suzhou-2019 第七条 医疗器械",
                Money::wan(400),
                Money::wan(300)
            ),
            (
                "suzhou-2019/7/company-year",
                "suzhou-2019 第七条 医疗器械",
                Money::wan(300),
                Money::wan(250)
            ),
        ]
    );
    assert!(
        steps
            .iter()
            .all(|s| !s.text_zh.is_empty() && !s.text_en.is_empty())
    );
    let ceiling = e.ceiling.unwrap();
    assert_eq!(
        (ceiling.cap.as_str(), ceiling.limit),
        ("suzhou-2019/7/company-year", Money::wan(250))
    );
}

#[test]
fn a_request_above_the_computed_amount_or_a_cap_is_refused_naming_the_cap() {
    let c = shipped();
    let clause = c.clause("suzhou-2019/7/class-3", SUZHOU_DAY).unwrap();
    let facts = suzhou()
        .text("product_id", "V-1")
        .choice("device_class", "class-3")
        .flag("device_newly_registered", true)
        .money("product_rd_spend", Money::wan(2000));
    let e = evaluate(clause, &facts, &History::default(), SUZHOU_DAY).unwrap();
    assert_eq!(check_request(&e, Money::wan(300)), Ok(()));
    let err = check_request(&e, Money::wan(301)).unwrap_err();
    assert_eq!(
        err,
        PolicyError::AboveCap {
            cap: "suzhou-2019/7/class-3/max".into(),
            source_text: "suzhou-2019 第七条 医疗器械".into(),
            limit: Money::wan(300),
            requested: Money::wan(301),
        }
    );
    assert!(err.message_zh().contains("300万元"));

    // A committee (一事一议) amount is still held to the document's yearly cap left.
    let drug = c
        .clause("suzhou-2019/13/drug-industrialisation-major", SUZHOU_DAY)
        .unwrap();
    let big = suzhou()
        .text("product_id", "D-1")
        .choice("stage", "approved")
        .flag("registered_in_city", true)
        .flag("industrialised_locally", true)
        .money("total_investment", Money::yi(8))
        .money("actual_investment", Money::yi(6));
    let history = History {
        awards: vec![PastAward {
            clause_id: "suzhou-2019/19/headquarters".into(),
            clause_version: 1,
            subject_key: "company".into(),
            year: 2020,
            amount: Money::wan(5000),
        }],
    };
    let e = evaluate(drug, &big, &history, SUZHOU_DAY).unwrap();
    assert_eq!(e.amount, Amount::Committee);
    assert!(check_request(&e, Money::wan(2000)).is_ok());
    assert!(matches!(
        check_request(&e, Money::wan(3001)),
        Err(PolicyError::AboveCap { cap, limit, .. }) if cap == "suzhou-2019/5/company-year" && limit == Money::wan(3000)
    ));

    // Not eligible: refused with the reason.
    let e = evaluate(
        clause,
        &suzhou().choice("device_class", "class-2"),
        &History::default(),
        SUZHOU_DAY,
    )
    .unwrap();
    assert!(matches!(
        check_request(&e, Money::wan(1)),
        Err(PolicyError::NotEligible { .. })
    ));
}

#[test]
fn missing_facts_make_the_company_ineligible_with_reasons_not_an_error() {
    let clause = shipped()
        .clause("suzhou-2019/7/class-3", SUZHOU_DAY)
        .unwrap();
    let e = evaluate(clause, &suzhou(), &History::default(), SUZHOU_DAY).unwrap();
    assert!(!e.eligible);
    assert_eq!(e.amount, Amount::Nothing);
    let facts: Vec<&str> = e.unmet.iter().map(|u| u.fact.as_str()).collect();
    assert!(
        facts.contains(&"device_class") && facts.contains(&"product_id"),
        "{facts:?}"
    );
    assert!(
        e.unmet
            .iter()
            .all(|u| u.reason_zh.contains("未提供") || u.reason_zh.contains("不符合"))
    );
}

fn class_1_drug_entering_phase_3(place: Facts) -> Facts {
    place
        .text("product_id", "D-1")
        .choice("drug_class", "chemical-1")
        .choice("stage", "phase-3-entered")
        .flag("converted_locally", true)
        .flag("in_supported_field", true)
}

#[test]
fn suzhou_6_and_jiangsu_5_fund_the_same_phase_3_entry_and_the_higher_is_granted() {
    let c = shipped();
    let m = match_company(
        c,
        &class_1_drug_entering_phase_3(suzhou()),
        &History::default(),
        BOTH_DAY,
    )
    .unwrap();
    let granted: Vec<&str> = m.granted.iter().map(|e| e.clause_id.as_str()).collect();
    assert_eq!(granted, vec!["jiangsu-2021/5/drug-industrialisation"]);
    assert_eq!(m.granted[0].amount, Amount::UpTo(Money::wan(3000)));
    assert_eq!(m.superseded.len(), 1);
    let (loser, by) = &m.superseded[0];
    assert_eq!(
        (loser.clause_id.as_str(), by.as_str()),
        (
            "suzhou-2019/6/phase-entry",
            "jiangsu-2021/5/drug-industrialisation"
        )
    );
    assert_eq!(loser.amount, Amount::Exact(Money::wan(250)));
    assert!(loser.trace.steps.iter().any(|s| matches!(&s.kind, StepKind::Superseded { by } if by == "jiangsu-2021/5/drug-industrialisation")));
    assert!(
        loser
            .trace
            .steps
            .last()
            .unwrap()
            .text_zh
            .contains("从优、就高、不重复")
    );
    // Only Suzhou's and Jiangsu's clauses were considered.
    assert!(m.ineligible.iter().chain(&m.granted).all(
        |e| e.clause_id.starts_with("suzhou-2019/") || e.clause_id.starts_with("jiangsu-2021/")
    ));
}

#[test]
fn in_nanjing_the_unstated_stage_award_never_supersedes_jiangsu_5() {
    let c = shipped();
    let m = match_company(
        c,
        &class_1_drug_entering_phase_3(nanjing()),
        &History::default(),
        date(2022, 6, 1),
    )
    .unwrap();
    let granted: Vec<&str> = m.granted.iter().map(|e| e.clause_id.as_str()).collect();
    assert_eq!(granted, vec!["jiangsu-2021/5/drug-industrialisation"]);
    let superseded: Vec<(&str, &str)> = m
        .superseded
        .iter()
        .map(|(e, by)| (e.clause_id.as_str(), by.as_str()))
        .collect();
    assert_eq!(
        superseded,
        vec![(
            "nanjing-2022/3-5/drug-stage",
            "jiangsu-2021/5/drug-industrialisation"
        )]
    );
    assert_eq!(m.superseded[0].0.amount, Amount::NotStated);
}

#[test]
fn a_class_3_device_in_suzhou_gets_jiangsu_5_over_suzhou_7_and_the_special_review_besides() {
    let c = shipped();
    let facts = suzhou()
        .text("product_id", "V-1")
        .choice("device_class", "class-3")
        .flag("device_newly_registered", true)
        .choice("innovative_device_review", "national")
        .flag("produced_in_province", true)
        .money("product_rd_spend", Money::wan(1000));
    let m = match_company(c, &facts, &History::default(), BOTH_DAY).unwrap();
    let mut granted: Vec<&str> = m.granted.iter().map(|e| e.clause_id.as_str()).collect();
    granted.sort();
    assert_eq!(
        granted,
        vec![
            "jiangsu-2021/5/device-class-3",
            "jiangsu-2021/5/device-special-review"
        ]
    );
    let superseded: Vec<(&str, &str)> = m
        .superseded
        .iter()
        .map(|(e, by)| (e.clause_id.as_str(), by.as_str()))
        .collect();
    assert_eq!(
        superseded,
        vec![("suzhou-2019/7/class-3", "jiangsu-2021/5/device-class-3")]
    );
}

#[test]
fn an_fda_approval_under_suzhou_17_and_nanjing_3_5_is_granted_once_with_the_computed_amount() {
    // A group with units in both cities applies for the same product's FDA approval.
    let c = shipped();
    let approval = |place: Facts| {
        place
            .text("product_id", "D-9")
            .choice("overseas_approval", "marketing")
            .choice("overseas_agency", "fda")
    };
    // Each on a day its clause is in force (Suzhou's assumed period ends as Nanjing's begins).
    let (sz_on, nj_on) = (date(2021, 6, 1), date(2022, 3, 1));
    let h = History::default();
    let sz = evaluate(
        c.clause("suzhou-2019/17/overseas-approval", sz_on).unwrap(),
        &approval(suzhou()),
        &h,
        sz_on,
    )
    .unwrap();
    let nj = evaluate(
        c.clause("nanjing-2022/3-5/overseas-approval", nj_on)
            .unwrap(),
        &approval(nanjing()),
        &h,
        nj_on,
    )
    .unwrap();
    assert_eq!(sz.subject_key, nj.subject_key);
    for order in [vec![sz.clone(), nj.clone()], vec![nj, sz]] {
        let m = combine(order, c);
        assert_eq!(m.granted.len(), 1);
        assert_eq!(m.granted[0].clause_id, "suzhou-2019/17/overseas-approval");
        assert_eq!(m.granted[0].amount, Amount::Exact(Money::wan(100)));
        assert_eq!(m.superseded[0].1, "suzhou-2019/17/overseas-approval");
    }
}

#[test]
fn exact_beats_on_merit_of_the_same_maximum_stacking_clauses_are_both_granted_and_a_committee_never_wins()
 {
    let c = fixture();
    let on = date(2019, 6, 1);
    let h = History::default();
    let facts = device(1000); // 20% of 1000万 = 200万 exact; same-event up to 200万
    let ev = |id: &str| evaluate(c.clause(id, on).unwrap(), &facts, &h, on).unwrap();
    let m = combine(
        vec![
            ev("test/same-event"),
            ev("test/grant"),
            ev("test/adds"),
            ev("test/committee"),
        ],
        &c,
    );
    let mut granted: Vec<&str> = m.granted.iter().map(|e| e.clause_id.as_str()).collect();
    granted.sort();
    // grant (exact 200万) beats same-event (up to 200万); adds stacks with grant; the committee
    // and same-event lose to grant, and adds does not overlap grant.
    assert_eq!(granted, vec!["test/adds", "test/grant"]);
    let mut lost: Vec<(&str, &str)> = m
        .superseded
        .iter()
        .map(|(e, by)| (e.clause_id.as_str(), by.as_str()))
        .collect();
    lost.sort();
    assert_eq!(
        lost,
        vec![
            ("test/committee", "test/grant"),
            ("test/same-event", "test/grant")
        ]
    );
}

#[test]
fn matching_checks_the_facts_and_says_what_is_missing() {
    let c = shipped();
    let err = match_company(
        c,
        &suzhou().flag("no_such_fact", true),
        &History::default(),
        SUZHOU_DAY,
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::InvalidFact { fact, .. } if fact == "no_such_fact"));
    let m = match_company(
        c,
        &suzhou().count("gcp_new_specialties", 2),
        &History::default(),
        SUZHOU_DAY,
    )
    .unwrap();
    let granted: Vec<&str> = m.granted.iter().map(|e| e.clause_id.as_str()).collect();
    assert_eq!(granted, vec!["suzhou-2019/11/gcp"]);
    assert_eq!(m.granted[0].amount, Amount::Exact(Money::wan(100)));
    // Jiangsu is not in force in mid-2020, so only Suzhou's clauses are listed.
    assert_eq!(
        m.ineligible.len() + 1,
        c.in_force(SUZHOU_DAY)
            .filter(|cl| cl.jurisdiction == "suzhou")
            .count()
    );
}

#[test]
fn clauses_computable_from_the_register_alone_need_no_application() {
    let c = shipped();
    let overseas = c
        .clause("suzhou-2019/17/overseas-approval", SUZHOU_DAY)
        .unwrap();
    assert!(
        overseas.no_application_needed,
        "{:?}",
        overseas
            .fact_defs
            .iter()
            .filter(|d| !d.from_register)
            .map(|d| &d.name)
            .collect::<Vec<_>>()
    );
    let device = c.clause("suzhou-2019/7/class-3", SUZHOU_DAY).unwrap();
    assert!(
        !device.no_application_needed,
        "R&D spend per product comes from an application"
    );
    let merit = c.clause("suzhou-2019/22/ipo", SUZHOU_DAY).unwrap();
    assert!(
        !merit.no_application_needed,
        "an on-merit amount needs a decision"
    );
}

#[test]
fn exactly_5_yi_qualifies_for_both_bands_and_the_computed_10_percent_is_granted() {
    let c = shipped();
    let facts = suzhou()
        .text("product_id", "D-1")
        .choice("stage", "approved")
        .flag("registered_in_city", true)
        .flag("industrialised_locally", true)
        .money("total_investment", Money::yi(5))
        .money("actual_investment", Money::yi(1));
    let m = match_company(c, &facts, &History::default(), SUZHOU_DAY).unwrap();
    let granted: Vec<(&str, Amount)> = m
        .granted
        .iter()
        .map(|e| (e.clause_id.as_str(), e.amount))
        .collect();
    assert_eq!(
        granted,
        vec![(
            "suzhou-2019/13/drug-industrialisation",
            Amount::Exact(Money::wan(1000))
        )]
    );
    assert_eq!(
        m.superseded[0].0.clause_id,
        "suzhou-2019/13/drug-industrialisation-major"
    );
}
