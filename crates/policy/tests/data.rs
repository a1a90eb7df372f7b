//! The shipped data: they load, every clause quotes its seed verbatim, every figure is cited.

#![allow(clippy::unwrap_used)]

mod common;

use common::{normalise, read_seed};
use policy::{Kind, shipped};

#[test]
fn the_shipped_data_load() {
    let c = shipped();
    assert_eq!(c.documents().len(), 4);
    assert!(c.clauses().len() >= 50, "{} clauses", c.clauses().len());
}

#[test]
fn every_clause_and_cap_quotes_its_seed_verbatim() {
    let c = shipped();
    for doc in c.documents() {
        let seed = normalise(&read_seed(&doc.seed_file));
        for clause in c
            .clauses()
            .iter()
            .filter(|cl| cl.id.starts_with(&format!("{}/", doc.id)))
        {
            assert!(
                seed.contains(&normalise(&clause.citation.quote)),
                "{}: the quote is not in {}: {}",
                clause.id,
                doc.seed_file,
                clause.citation.quote
            );
        }
        for cap in c
            .caps()
            .iter()
            .filter(|cap| cap.id.starts_with(&format!("{}/", doc.id)))
        {
            assert!(
                seed.contains(&normalise(&cap.quote)),
                "{}: the cap's quote is not in {}",
                cap.id,
                doc.seed_file
            );
            assert!(
                normalise(&cap.quote).contains(&cap.limit.to_string()),
                "{}: the quote does not state the limit {}",
                cap.id,
                cap.limit
            );
        }
    }
}

#[test]
fn amounts_not_stated_say_who_sets_them_and_unconfirmed_periods_say_why() {
    for clause in shipped().clauses() {
        if clause.kind == Kind::AmountNotStated {
            assert!(
                clause.note_zh.is_some() && clause.note_en.is_some(),
                "{}",
                clause.id
            );
        }
        if !clause.period_source.confirmed {
            assert!(
                clause
                    .period_source
                    .note
                    .as_deref()
                    .is_some_and(|n| n.len() > 20),
                "{}",
                clause.id
            );
        }
    }
    // Jiangsu's period is stated in the seed; Suzhou's issue date is not.
    let on = jiff::civil::date(2022, 1, 1);
    let js = shipped().clause("jiangsu-2021/28/insurance", on).unwrap();
    assert!(js.period_source.confirmed);
    assert_eq!(js.effective_from, jiff::civil::date(2021, 11, 1));
    assert_eq!(js.effective_to, Some(jiff::civil::date(2024, 12, 31)));
    let sz = shipped()
        .clause("suzhou-2019/7/class-3", jiff::civil::date(2020, 1, 1))
        .unwrap();
    assert!(!sz.period_source.confirmed);
    let zj = shipped()
        .clause("zhejiang-draft/3-2/first-unit-insurance", on)
        .unwrap();
    assert!(!zj.period_source.confirmed && zj.effective_to.is_none());
}

#[test]
fn every_listed_clause_of_the_brief_is_encoded() {
    let c = shipped();
    let ids = [
        "nanjing-2022/3-2/clinical-research-centre",
        "nanjing-2022/3-3/major-breakthrough",
        "nanjing-2022/3-3/general-project",
        "nanjing-2022/3-3/multi-centre-trial",
        "nanjing-2022/3-3/medical-engineering",
        "nanjing-2022/3-4/public-platform",
        "nanjing-2022/3-4/national-centre-matching",
        "nanjing-2022/3-5/drug-stage",
        "nanjing-2022/3-5/drug-industrialisation",
        "nanjing-2022/3-5/device-industrialisation",
        "nanjing-2022/3-5/health-product",
        "nanjing-2022/3-5/overseas-approval",
        "suzhou-2019/6/special-project",
        "suzhou-2019/6/phase-entry",
        "suzhou-2019/6/phase-completion",
        "suzhou-2019/7/class-3",
        "suzhou-2019/7/class-2-or-innovative",
        "suzhou-2019/8/first-generic",
        "suzhou-2019/11/glp",
        "suzhou-2019/11/gcp",
        "suzhou-2019/11/cnas",
        "suzhou-2019/11/international",
        "suzhou-2019/13/drug-industrialisation",
        "suzhou-2019/13/device-industrialisation",
        "suzhou-2019/13/drug-industrialisation-major",
        "suzhou-2019/13/device-industrialisation-major",
        "suzhou-2019/14/technical-upgrade",
        "suzhou-2019/15/commissioning-party",
        "suzhou-2019/15/contract-manufacturer",
        "suzhou-2019/16/first-unit",
        "suzhou-2019/17/overseas-approval",
        "suzhou-2019/19/headquarters",
        "suzhou-2019/19/rd-centre",
        "suzhou-2019/20/talent-top-one-person-one-policy",
        "suzhou-2019/20/talent-leading-project-funding",
        "suzhou-2019/20/talent-leading-settling-in",
        "suzhou-2019/20/talent-shortage-salary",
        "suzhou-2019/20/recruit-headhunter-commission",
        "suzhou-2019/20/recruit-award",
        "suzhou-2019/20/talent-top-home-purchase",
        "suzhou-2019/20/talent-top-contribution",
        "suzhou-2019/22/ipo",
        "suzhou-2019/23/new-platform",
        "suzhou-2019/23/operating-platform",
        "suzhou-2019/23/major-platform",
        "suzhou-2019/24/innovation-centre",
        "jiangsu-2021/4/frontier-research",
        "jiangsu-2021/5/drug-industrialisation",
        "jiangsu-2021/5/device-industrialisation",
        "jiangsu-2021/5/innovative-drug-stage",
        "jiangsu-2021/5/improved-drug-stage",
        "jiangsu-2021/5/device-special-review",
        "jiangsu-2021/5/device-class-3",
        "jiangsu-2021/13/technical-upgrade",
        "jiangsu-2021/13/engineering-stage",
        "jiangsu-2021/18/first-unit",
        "jiangsu-2021/18/first-batch-material",
        "jiangsu-2021/28/merger",
        "jiangsu-2021/28/insurance",
        "jiangsu-2021/30/co-funding",
        "zhejiang-draft/1/basic-research",
        "zhejiang-draft/2/key-technology",
        "zhejiang-draft/3/common-technology",
        "zhejiang-draft/4/technology-import",
        "zhejiang-draft/19/innovative-product",
        "zhejiang-draft/3-2/first-unit-insurance",
    ];
    for id in ids {
        assert!(
            c.clauses().iter().any(|cl| cl.id == id),
            "{id} is not encoded"
        );
    }
    for cap in [
        "suzhou-2019/5/company-year",
        "suzhou-2019/6/company-year",
        "suzhou-2019/7/company-year",
        "suzhou-2019/8/company-year",
        "suzhou-2019/14/company-year",
        "suzhou-2019/15/commissioning-company-year",
        "suzhou-2019/17/company",
        "suzhou-2019/20/headhunter-company-year",
        "jiangsu-2021/5/unit-year",
        "jiangsu-2021/28/company-year",
        "nanjing-2022/3-3/major-cumulative",
    ] {
        assert!(
            c.caps().iter().any(|x| x.id == cap),
            "cap {cap} is not encoded"
        );
    }
}

#[test]
fn suzhou_talent_grants_go_to_the_person_outside_the_company_total() {
    let on = jiff::civil::date(2020, 6, 1);
    let c = shipped();
    let mut talent = 0;
    for clause in c
        .clauses()
        .iter()
        .filter(|cl| cl.id.starts_with("suzhou-2019/"))
    {
        let to_person = clause.id.starts_with("suzhou-2019/20/talent-");
        let company_total = clause
            .caps
            .iter()
            .any(|cap| cap.id == "suzhou-2019/5/company-year");
        // 第五条 caps every grant to a company, and no grant to a person.
        assert_eq!(company_total, !to_person, "{}", clause.id);
        if to_person {
            talent += 1;
            assert_eq!(clause.subject_key, ["talent_id"], "{}", clause.id);
            assert!(clause.subject.starts_with("talent."), "{}", clause.id);
            assert!(
                clause.required_facts.iter().any(|f| f == "talent_level"),
                "{}",
                clause.id
            );
            assert!(
                clause
                    .note_en
                    .as_deref()
                    .is_some_and(|n| n.contains("not the company") && n.contains("employer")),
                "{}",
                clause.id
            );
            assert!(
                clause
                    .note_zh
                    .as_deref()
                    .is_some_and(|n| n.contains("而非企业") && n.contains("企业申报")),
                "{}",
                clause.id
            );
        }
    }
    assert_eq!(talent, 6);
    // The range's lower bound is shown in the trace of an on-merit range.
    let clause = c
        .clause("suzhou-2019/20/talent-leading-project-funding", on)
        .unwrap();
    let facts = policy::Facts::new()
        .choice("city", "suzhou")
        .choice("province", "jiangsu")
        .flag("independent_legal_person", true)
        .text("talent_id", "T-1")
        .choice("talent_level", "leading");
    let e = policy::evaluate(clause, &facts, &policy::History::default(), on).unwrap();
    assert_eq!(e.amount, policy::Amount::UpTo(policy::Money::wan(400)));
    assert!(
        e.trace
            .steps
            .iter()
            .any(|s| s.text_zh.contains("100万元至400万元")),
        "{:?}",
        e.trace
    );
}

#[test]
fn zhejiang_programmes_are_never_company_amounts() {
    let on = jiff::civil::date(2021, 1, 1);
    for id in [
        "zhejiang-draft/1/basic-research",
        "zhejiang-draft/2/key-technology",
    ] {
        let clause = shipped().clause(id, on).unwrap();
        assert_eq!(clause.kind, Kind::CaseByCase, "{id}");
        assert!(
            matches!(
                clause.formula,
                policy::Formula::Committee { floor: Some(_) }
            ),
            "{id}"
        );
    }
}
