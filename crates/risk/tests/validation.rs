//! Discrimination and calibration: exact AUC, its invariances, and calibration that sees
//! well-calibrated and over-confident predictions for what they are.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use risk::validation::{CALIBRATION_GROUPS, auc, calibration, measure};

/// The definition, in O(n²): pairs of (event, non-event), ties counting one half.
fn auc_by_pairs(pairs: &[(f64, bool)]) -> Option<f64> {
    let (mut wins, mut total) = (0.0, 0.0);
    for &(p, _) in pairs.iter().filter(|p| p.1) {
        for &(q, _) in pairs.iter().filter(|p| !p.1) {
            total += 1.0;
            if p > q {
                wins += 1.0;
            } else if p == q {
                wins += 0.5;
            }
        }
    }
    (total > 0.0).then(|| wins / total)
}

#[test]
fn a_perfect_ranking_has_auc_1_and_a_reversed_one_0() {
    let perfect = [(0.1, false), (0.2, false), (0.3, true), (0.9, true)];
    assert_eq!(auc(&perfect), Some(1.0));
    let reversed = [(0.9, false), (0.8, false), (0.3, true), (0.1, true)];
    assert_eq!(auc(&reversed), Some(0.0));
    let all_tied = [(0.5, false), (0.5, true), (0.5, true)];
    assert_eq!(auc(&all_tied), Some(0.5));
    // One tie between an event and a non-event out of four pairs.
    let one_tie = [(0.1, false), (0.4, false), (0.4, true), (0.9, true)];
    assert_eq!(auc(&one_tie), Some(0.875));
}

#[test]
fn auc_needs_both_classes() {
    assert_eq!(auc(&[]), None);
    assert_eq!(auc(&[(0.2, true), (0.4, true)]), None);
    assert_eq!(auc(&[(0.2, false)]), None);
    let v = measure(&[(0.2, false), (f64::NAN, true)]);
    assert_eq!((v.n, v.events, v.excluded, v.auc), (1, 0, 1, None));
}

fn pairs() -> impl Strategy<Value = Vec<(f64, bool)>> {
    // Few distinct values, so ties are common.
    proptest::collection::vec(
        ((0u32..20).prop_map(|v| f64::from(v) / 20.0), any::<bool>()),
        0..60,
    )
}

proptest! {
    #[test]
    fn auc_is_exactly_the_pairwise_definition(p in pairs()) {
        match (auc(&p), auc_by_pairs(&p)) {
            (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-12, "{a} vs {b}"),
            (a, b) => prop_assert_eq!(a, b),
        }
    }

    #[test]
    fn auc_is_in_0_1(p in pairs()) {
        if let Some(a) = auc(&p) {
            prop_assert!((0.0..=1.0).contains(&a));
        }
    }

    #[test]
    fn auc_is_invariant_to_monotone_transforms(p in pairs()) {
        let logit: Vec<(f64, bool)> = p
            .iter()
            .map(|&(x, y)| (((x + 0.01) / (1.02 - x)).ln() * 3.0 + 7.0, y))
            .collect();
        match (auc(&p), auc(&logit)) {
            (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-12),
            (a, b) => prop_assert_eq!(a, b),
        }
    }

    #[test]
    fn reversing_the_ranking_mirrors_the_auc(p in pairs()) {
        let reversed: Vec<(f64, bool)> = p.iter().map(|&(x, y)| (-x, y)).collect();
        if let (Some(a), Some(b)) = (auc(&p), auc(&reversed)) {
            prop_assert!((a + b - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn calibration_groups_cover_every_prediction(p in pairs()) {
        match calibration(&p, CALIBRATION_GROUPS) {
            None => prop_assert!(p.is_empty()),
            Some(c) => {
                prop_assert_eq!(c.groups.iter().map(|g| g.n).sum::<usize>(), p.len());
                prop_assert_eq!(
                    c.groups.iter().map(|g| g.observed).sum::<usize>(),
                    p.iter().filter(|x| x.1).count()
                );
                prop_assert!(c.groups.len() <= CALIBRATION_GROUPS);
                prop_assert!(c.groups.windows(2).all(|w| w[0].predicted_max <= w[1].predicted_min));
                prop_assert!(c.hosmer_lemeshow >= 0.0);
            }
        }
    }
}

/// Outcomes drawn with the predicted probability: a well-calibrated model by construction.
fn calibrated_sample(n: usize, seed: u64) -> Vec<(f64, bool)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let p: f64 = rng.gen_range(0.02..0.6);
            (p, rng.gen_bool(p))
        })
        .collect()
}

#[test]
fn well_calibrated_predictions_have_slope_1_and_intercept_0() {
    let sample = calibrated_sample(20_000, 7);
    let c = calibration(&sample, CALIBRATION_GROUPS).unwrap();
    assert_eq!(c.groups.len(), 10);
    assert_eq!(c.degrees_of_freedom, 8);
    assert!((c.slope.unwrap() - 1.0).abs() < 0.1, "{:?}", c.slope);
    assert!(c.intercept.unwrap().abs() < 0.15, "{:?}", c.intercept);
    assert!((c.observed_to_expected.unwrap() - 1.0).abs() < 0.05);
    // Chi-square with 8 degrees of freedom: 26 is beyond its 99.9th percentile.
    assert!(c.hosmer_lemeshow < 26.0, "{}", c.hosmer_lemeshow);
    for g in &c.groups {
        assert!((g.observed as f64 - g.expected).abs() < 0.2 * g.expected + 20.0);
    }
}

#[test]
fn over_confident_predictions_have_a_slope_below_1_and_a_large_hosmer_lemeshow() {
    // Doubling every logit makes low risks lower and high risks higher than what happens.
    let sample: Vec<(f64, bool)> = calibrated_sample(20_000, 11)
        .into_iter()
        .map(|(p, y)| {
            let z = 2.0 * (p / (1.0 - p)).ln();
            (1.0 / (1.0 + (-z).exp()), y)
        })
        .collect();
    let c = calibration(&sample, CALIBRATION_GROUPS).unwrap();
    assert!((c.slope.unwrap() - 0.5).abs() < 0.05, "{:?}", c.slope);
    assert!(c.hosmer_lemeshow > 100.0, "{}", c.hosmer_lemeshow);
    // Ranking is unchanged by a monotone transform.
    let original = calibrated_sample(20_000, 11);
    assert!((auc(&sample).unwrap() - auc(&original).unwrap()).abs() < 1e-12);
}

#[test]
fn calibration_slope_is_absent_when_it_cannot_be_fitted() {
    // Perfect separation: the slope runs off to infinity.
    let separated = [(0.1, false), (0.2, false), (0.8, true), (0.9, true)];
    let c = calibration(&separated, CALIBRATION_GROUPS).unwrap();
    assert_eq!((c.slope, c.intercept), (None, None));
    // One class.
    let c = calibration(&[(0.1, false), (0.3, false)], CALIBRATION_GROUPS).unwrap();
    assert_eq!(c.slope, None);
    assert_eq!(c.groups.len(), 2);
}
