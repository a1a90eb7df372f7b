//! The two Nanjing 2022 copies disagree: the scraped copy drops digits (200万→2万, 1000万→10万,
//! 100万→1万, 500万→5万). The official text is the one encoded; this shows it from both files.

#![allow(clippy::unwrap_used)]

mod common;

use common::{normalise, read_seed};
use policy::{Cap, Formula, Money, shipped};

const OFFICIAL: &str = "nanjing-2022-life-health-action-plan.txt";
const SCRAPED: &str = "nanjing-2022-life-health-action-plan.scraped-copy.txt";

/// The most a Nanjing clause or cap allows, as encoded.
fn encoded_limit(id: &str) -> Money {
    let c = shipped();
    if let Some(cap) = c.caps().iter().find(|cap: &&Cap| cap.id == id) {
        return cap.limit;
    }
    let clause = c.clause(id, jiff::civil::date(2022, 9, 1)).unwrap();
    match &clause.formula {
        Formula::UpTo { max, .. } => *max,
        Formula::RatioUpTo { max: Some(max), .. } => *max,
        other => panic!("{id}: no encoded maximum in {other:?}"),
    }
}

#[test]
fn the_official_figures_are_encoded_and_the_scraped_copy_differs() {
    let official = normalise(&read_seed(OFFICIAL));
    let scraped = normalise(&read_seed(SCRAPED));
    // (clause or cap id, the official wording, the scraped copy's wording of the same place)
    let rows = [
        (
            "nanjing-2022/3-2/clinical-research-centre",
            "给予不超过200万元资金奖励",
            "给予不超过2万元资金奖励",
            200,
        ),
        (
            "nanjing-2022/3-3/major-cumulative",
            "累计不超过1000万元",
            "累计不超过10万元",
            1000,
        ),
        (
            "nanjing-2022/3-3/general-project",
            "最高不超过200万元",
            "最高不超过2万元",
            200,
        ),
        (
            "nanjing-2022/3-3/multi-centre-project",
            "多中心临床试验项目,给予每个项目最高100万元",
            "临床试验项目,给予每个项目最高1万元",
            100,
        ),
        (
            "nanjing-2022/3-3/medical-engineering-project",
            "医工合作项目,给予每个项目最高100万元",
            "医工合作项目,给予每个项目最高1万元",
            100,
        ),
        (
            "nanjing-2022/3-4/public-platform",
            "按年度服务绩效给予最高500万元奖励",
            "按年度服务绩效给予最高5万元奖励",
            500,
        ),
    ];
    for (id, official_text, scraped_text, wan) in rows {
        assert_eq!(
            encoded_limit(id),
            Money::wan(wan),
            "{id} encodes the official figure"
        );
        assert!(
            official.contains(official_text),
            "{id}: official text has {official_text}"
        );
        assert!(
            !official.contains(scraped_text),
            "{id}: official text lacks the scraped figure"
        );
        assert!(
            scraped.contains(scraped_text),
            "{id}: scraped copy has {scraped_text}"
        );
        assert!(
            !scraped.contains(official_text),
            "{id}: scraped copy differs from the official"
        );
    }
}

#[test]
fn every_nanjing_quote_is_in_the_official_text_and_the_figured_ones_are_not_in_the_scrape() {
    let official = normalise(&read_seed(OFFICIAL));
    let scraped = normalise(&read_seed(SCRAPED));
    let c = shipped();
    let quotes = c
        .clauses()
        .iter()
        .filter(|cl| cl.id.starts_with("nanjing-2022/"))
        .map(|cl| (cl.id.clone(), cl.citation.quote.clone()))
        .chain(
            c.caps()
                .iter()
                .filter(|cap| cap.id.starts_with("nanjing-2022/"))
                .map(|cap| (cap.id.clone(), cap.quote.clone())),
        );
    for (id, quote) in quotes {
        let q = normalise(&quote);
        assert!(official.contains(&q), "{id}: not in the official text");
        if q.contains("万元") {
            assert!(
                !scraped.contains(&q),
                "{id}: a figure the scraped copy would share"
            );
        }
    }
    // The other garbles named in the brief: 100家 → 1家.
    assert!(official.contains("100家发展潜力企业"));
    assert!(scraped.contains("1家发展潜力企业"));
}
