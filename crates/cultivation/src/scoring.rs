//! Scores and ranking, as pure functions of the scheme's scoring data and the candidates.
//!
//! For each weighted factor f: `share_f` in 0..=1 from the candidate's raw value by the
//! factor's normalisation, `points_f = 100 · weight_f · share_f / Σ weights`, and the total
//! is `Σ points_f` (so 0..=100). Ranks go by total, highest first; equal totals in company-id
//! order, so the same candidates always give the same ranking.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::candidate::Candidate;
use crate::pools::{Factor, Normalisation, Scheme};

/// A candidate's score with how each factor contributed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// 0..=100.
    pub total: f64,
    pub parts: Vec<ScorePart>,
}

/// One factor's contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorePart {
    pub factor: Factor,
    /// The raw measure (yuan, a ratio, a count).
    pub value: f64,
    /// The value normalised to 0..=1.
    pub share: f64,
    pub weight: f64,
    /// What it adds to the total.
    pub points: f64,
}

/// The values of the whole field, for factors scored by rank percentile.
#[derive(Debug, Clone, Default)]
pub struct Cohort {
    sorted: BTreeMap<Factor, Vec<f64>>,
}

impl Cohort {
    /// The cohort of `candidates` for `scheme` in `year`.
    pub fn of(scheme: &Scheme, candidates: &[Candidate], year: i32) -> Cohort {
        let mut sorted = BTreeMap::new();
        for w in &scheme.scoring.factors {
            if w.normalisation == Normalisation::RankPercentile {
                let mut values: Vec<f64> = candidates
                    .iter()
                    .map(|c| c.measure(w.factor, year, &scheme.scoring))
                    .collect();
                values.sort_by(f64::total_cmp);
                sorted.insert(w.factor, values);
            }
        }
        Cohort { sorted }
    }

    /// The share of the cohort whose value is at most `value`. Scored without a cohort, a
    /// positive value gets full marks and anything else none.
    fn percentile(&self, factor: Factor, value: f64) -> f64 {
        match self.sorted.get(&factor) {
            Some(values) if !values.is_empty() => {
                let at_most = values.partition_point(|v| v.total_cmp(&value) != Ordering::Greater);
                at_most as f64 / values.len() as f64
            }
            _ => {
                if value > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// `value` normalised to 0..=1.
pub fn share(normalisation: Normalisation, value: f64, percentile: impl Fn() -> f64) -> f64 {
    let share = match normalisation {
        Normalisation::Log { full_at } => value.max(0.0).ln_1p() / full_at.ln_1p(),
        Normalisation::Linear { full_at } => value / full_at,
        Normalisation::RankPercentile => percentile(),
    };
    // NaN and −0 both become 0, so equal scores compare equal.
    if share > 0.0 { share.min(1.0) } else { 0.0 }
}

/// The score of `candidate` under `scheme` in `year`, against `cohort` for percentile factors.
pub fn score(scheme: &Scheme, candidate: &Candidate, year: i32, cohort: &Cohort) -> Score {
    let weights: f64 = scheme.scoring.factors.iter().map(|w| w.weight).sum();
    let parts: Vec<ScorePart> = scheme
        .scoring
        .factors
        .iter()
        .map(|w| {
            let value = candidate.measure(w.factor, year, &scheme.scoring);
            let share = share(w.normalisation, value, || {
                cohort.percentile(w.factor, value)
            });
            let points = if weights > 0.0 {
                100.0 * w.weight * share / weights
            } else {
                0.0
            };
            ScorePart {
                factor: w.factor,
                value,
                share,
                weight: w.weight,
                points,
            }
        })
        .collect();
    // Rounding sums can step a hair past 100; the bound is part of the contract.
    let total = parts
        .iter()
        .map(|p| p.points)
        .sum::<f64>()
        .clamp(0.0, 100.0)
        + 0.0;
    Score { total, parts }
}

/// A candidate's place in the ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// From 1.
    pub rank: u32,
    /// Index into the candidates given to [`rank`].
    pub index: usize,
    pub score: Score,
}

/// Ranks `candidates` by score, highest first; equal scores in company-id order.
pub fn rank(scheme: &Scheme, candidates: &[Candidate], year: i32) -> Vec<Ranked> {
    let cohort = Cohort::of(scheme, candidates, year);
    let mut scored: Vec<(usize, Score)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (i, score(scheme, c, year, &cohort)))
        .collect();
    scored.sort_by(|(a, sa), (b, sb)| {
        sb.total
            .total_cmp(&sa.total)
            .then_with(|| candidates[*a].company_id.cmp(&candidates[*b].company_id))
    });
    scored
        .into_iter()
        .enumerate()
        .map(|(position, (index, score))| Ranked {
            rank: u32::try_from(position + 1).unwrap_or(u32::MAX),
            index,
            score,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;
    use crate::pools::Schemes;

    fn scheme(id: &str) -> &'static Scheme {
        Schemes::shipped().scheme(id).unwrap()
    }

    fn candidate(id: &str) -> Candidate {
        Candidate {
            company_id: id.into(),
            name: format!("企业{id}"),
            district: "jiangbei".into(),
            founded: date(2015, 3, 1),
            revenue_yuan: 50_000_000,
            revenue_prev_yuan: Some(40_000_000),
            rd_spend_yuan: 5_000_000,
            staff: 120,
            qualifications: vec!["high-tech".into()],
            drugs_in_clinic: 1,
            approvals: 0,
        }
    }

    prop_compose! {
        fn any_candidate()(
            id in "[a-z]{1,6}",
            revenue in 0i64..5_000_000_000,
            prev in proptest::option::of(0i64..5_000_000_000),
            rd in 0i64..1_000_000_000,
            staff in 0u32..20_000,
            quals in proptest::sample::subsequence(
                vec!["high-tech", "srdi-province", "little-giant", "gcp", "unknown", "cnas"], 0..5),
            drugs in 0u32..20,
            approvals in 0u32..10,
            founded in 1990i16..2025,
        ) -> Candidate {
            Candidate {
                company_id: id,
                name: "企业".into(),
                district: "gulou".into(),
                founded: date(founded, 1, 1),
                revenue_yuan: revenue,
                revenue_prev_yuan: prev,
                rd_spend_yuan: rd,
                staff,
                qualifications: quals.into_iter().map(String::from).collect(),
                drugs_in_clinic: drugs,
                approvals,
            }
        }
    }

    const SCHEMES: [&str; 5] = [
        "nanjing-2022-tiers",
        "nanjing-2022-rd-institutions",
        "nanjing-2020-potential-leaders",
        "suzhou-landmark",
        "suzhou-libraries",
    ];

    #[test]
    fn a_worked_example() {
        let s = scheme("nanjing-2022-tiers");
        let mut c = candidate("a");
        c.revenue_yuan = 1_000_000_000;
        c.revenue_prev_yuan = None;
        c.rd_spend_yuan = 200_000_000;
        c.staff = 2000;
        c.qualifications = vec![
            "high-tech".into(),
            "gcp".into(),
            "cnas".into(),
            "gcp".into(),
        ];
        c.drugs_in_clinic = 5;
        c.approvals = 3;
        // Every factor at full marks except growth (0, the lowest of a cohort of one: 1/1).
        let alone = score(s, &c, 2025, &Cohort::of(s, std::slice::from_ref(&c), 2025));
        assert!((alone.total - 100.0).abs() < 1e-9, "{}", alone.total);
        // Without a cohort, growth 0 gets nothing: 10 of the 100 weights.
        let bare = score(s, &c, 2025, &Cohort::default());
        assert!((bare.total - 90.0).abs() < 1e-9, "{}", bare.total);
        let quals = bare
            .parts
            .iter()
            .find(|p| p.factor == Factor::Qualifications);
        assert_eq!(quals.unwrap().value, 3.0, "duplicates count once");
        let revenue = bare
            .parts
            .iter()
            .find(|p| p.factor == Factor::Revenue)
            .unwrap();
        assert!((revenue.points - 25.0).abs() < 1e-9);
    }

    #[test]
    fn log_scale_gives_the_first_millions_more() {
        let log = Normalisation::Log {
            full_at: 1_000_000_000.0,
        };
        let ten_million = share(log, 10_000_000.0, || 0.0);
        assert!((ten_million - 0.7778).abs() < 1e-3, "{ten_million}");
        assert_eq!(share(log, 0.0, || 0.0), 0.0);
        assert_eq!(share(log, 5e9, || 0.0), 1.0);
        let linear = Normalisation::Linear { full_at: 0.15 };
        assert!((share(linear, 0.075, || 0.0) - 0.5).abs() < 1e-12);
        assert_eq!(share(linear, -1.0, || 0.0), 0.0);
    }

    #[test]
    fn ties_go_to_the_lower_company_id() {
        let s = scheme("suzhou-landmark");
        let candidates = vec![candidate("c"), candidate("a"), candidate("b")];
        let ranked = rank(s, &candidates, 2025);
        let order: Vec<&str> = ranked
            .iter()
            .map(|r| candidates[r.index].company_id.as_str())
            .collect();
        assert_eq!(order, ["a", "b", "c"]);
        assert_eq!(ranked.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 2, 3]);
    }

    proptest! {
        #[test]
        fn scores_are_bounded_and_add_up(c in any_candidate(), i in 0usize..5) {
            let s = scheme(SCHEMES[i]);
            let got = score(s, &c, 2025, &Cohort::default());
            prop_assert!((0.0..=100.0).contains(&got.total));
            let sum: f64 = got.parts.iter().map(|p| p.points).sum();
            prop_assert!((sum - got.total).abs() < 1e-9);
            for p in &got.parts {
                prop_assert!((0.0..=1.0).contains(&p.share));
            }
        }

        #[test]
        fn more_of_a_positive_factor_never_lowers_the_score(
            c in any_candidate(),
            i in 0usize..5,
            field in 0usize..5,
            more in 1u32..1_000,
        ) {
            let s = scheme(SCHEMES[i]);
            let cohort = Cohort::default();
            let before = score(s, &c, 2025, &cohort).total;
            let mut better = c.clone();
            match field {
                // R&D spend raises both R&D spend and R&D intensity.
                0 => better.rd_spend_yuan += i64::from(more) * 100_000,
                1 => better.staff += more,
                2 => better.drugs_in_clinic += more,
                3 => better.approvals += more,
                _ => better.qualifications.push("little-giant".into()),
            }
            prop_assert!(score(s, &better, 2025, &cohort).total >= before);
        }

        #[test]
        fn revenue_raises_its_own_part(c in any_candidate(), more in 1i64..1_000_000_000) {
            // Revenue also lowers R&D intensity, so the total need not rise; its own part must.
            let s = scheme("nanjing-2022-tiers");
            let part = |c: &Candidate| {
                score(s, c, 2025, &Cohort::default())
                    .parts
                    .into_iter()
                    .find(|p| p.factor == Factor::Revenue)
                    .map(|p| p.points)
                    .unwrap()
            };
            let mut richer = c.clone();
            richer.revenue_yuan += more;
            prop_assert!(part(&richer) >= part(&c));
        }

        #[test]
        fn normalisations_are_monotone(a in -1e10f64..1e10, b in -1e10f64..1e10, full in 0.01f64..1e10) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            for n in [Normalisation::Log { full_at: full }, Normalisation::Linear { full_at: full }] {
                prop_assert!(share(n, lo, || 0.0) <= share(n, hi, || 0.0));
            }
            let cohort_values = vec![candidate("x"), candidate("y")];
            let s = scheme("nanjing-2022-tiers");
            let cohort = Cohort::of(s, &cohort_values, 2025);
            prop_assert!(
                cohort.percentile(Factor::RevenueGrowth, lo)
                    <= cohort.percentile(Factor::RevenueGrowth, hi)
            );
        }

        #[test]
        fn ranking_is_deterministic_and_ordered(
            mut candidates in proptest::collection::vec(any_candidate(), 0..40),
            i in 0usize..5,
        ) {
            candidates.sort_by(|a, b| a.company_id.cmp(&b.company_id));
            candidates.dedup_by(|a, b| a.company_id == b.company_id);
            let s = scheme(SCHEMES[i]);
            let ranked = rank(s, &candidates, 2025);
            prop_assert_eq!(ranked.len(), candidates.len());
            for pair in ranked.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                prop_assert!(a.score.total >= b.score.total);
                if a.score.total == b.score.total {
                    prop_assert!(candidates[a.index].company_id < candidates[b.index].company_id);
                }
            }
            let mut reversed = candidates.clone();
            reversed.reverse();
            let again = rank(s, &reversed, 2025);
            let ids = |r: &[Ranked], c: &[Candidate]| -> Vec<String> {
                r.iter().map(|x| c[x.index].company_id.clone()).collect()
            };
            prop_assert_eq!(ids(&ranked, &candidates), ids(&again, &reversed));
        }
    }
}
