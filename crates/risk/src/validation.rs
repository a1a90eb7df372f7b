//! How well a model's predicted risks match what happened: discrimination (the C statistic,
//! here the area under the ROC curve, since outcomes are observed or not) and calibration
//! (observed against expected by risk decile, the Hosmer–Lemeshow statistic, and the
//! calibration slope and intercept). Pure functions over `(predicted risk, observed)` pairs.

use serde::{Deserialize, Serialize};

/// Calibration groups: deciles of predicted risk, as the Hosmer–Lemeshow test is usually run.
pub const CALIBRATION_GROUPS: usize = 10;

/// Discrimination and calibration of a set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// Predictions measured (finite ones).
    pub n: usize,
    /// Of which the outcome was observed.
    pub events: usize,
    /// Pairs left out because the prediction was not a finite number.
    pub excluded: usize,
    /// Area under the ROC curve (Harrell's C for a binary outcome); `None` without both
    /// events and non-events.
    pub auc: Option<f64>,
    /// Calibration; `None` without predictions.
    pub calibration: Option<Calibration>,
}

/// Observed against expected events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Groups of predicted risk, lowest first.
    pub groups: Vec<CalibrationGroup>,
    /// Observed ÷ expected events over all predictions (calibration in the large).
    pub observed_to_expected: Option<f64>,
    /// Hosmer–Lemeshow chi-square over the groups.
    pub hosmer_lemeshow: f64,
    /// Its degrees of freedom (groups − 2).
    pub degrees_of_freedom: usize,
    /// Slope of the logistic regression of the outcome on logit(predicted): 1 is ideal, below
    /// 1 means predictions too extreme. `None` when it cannot be fitted (one class, or
    /// perfect separation).
    pub slope: Option<f64>,
    /// Intercept of that regression: 0 is ideal.
    pub intercept: Option<f64>,
}

/// One group of predictions of similar risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationGroup {
    /// Predictions in the group.
    pub n: usize,
    /// Lowest predicted risk in the group.
    pub predicted_min: f64,
    /// Highest predicted risk in the group.
    pub predicted_max: f64,
    /// Sum of predicted risks: the expected events.
    pub expected: f64,
    /// Events observed.
    pub observed: usize,
}

/// Measures `pairs` of (predicted risk in [0, 1], outcome observed).
pub fn measure(pairs: &[(f64, bool)]) -> Validation {
    let finite: Vec<(f64, bool)> = pairs.iter().copied().filter(|p| p.0.is_finite()).collect();
    Validation {
        n: finite.len(),
        events: finite.iter().filter(|p| p.1).count(),
        excluded: pairs.len() - finite.len(),
        auc: auc(&finite),
        calibration: calibration(&finite, CALIBRATION_GROUPS),
    }
}

/// The area under the ROC curve: the probability that a random event was given a higher
/// prediction than a random non-event, ties counting one half. Exact, in O(n log n), from
/// the rank sum of the events (Mann–Whitney U) with tied predictions given their mean rank.
/// `None` unless there are both events and non-events. Predictions should be finite.
pub fn auc(pairs: &[(f64, bool)]) -> Option<f64> {
    let events = pairs.iter().filter(|p| p.1).count();
    let non_events = pairs.len() - events;
    if events == 0 || non_events == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].0 == sorted[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mean_rank = (i + j + 2) as f64 / 2.0;
        let tied_events = sorted[i..=j].iter().filter(|p| p.1).count();
        rank_sum += mean_rank * tied_events as f64;
        i = j + 1;
    }
    let (e, ne) = (events as f64, non_events as f64);
    Some((rank_sum - e * (e + 1.0) / 2.0) / (e * ne))
}

/// Calibration over `groups` groups of near-equal size by predicted risk. `None` without
/// pairs.
pub fn calibration(pairs: &[(f64, bool)], groups: usize) -> Option<Calibration> {
    if pairs.is_empty() || groups == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = sorted.len();
    let k = groups.min(n);
    let mut out = Vec::with_capacity(k);
    for g in 0..k {
        let part = &sorted[g * n / k..(g + 1) * n / k];
        let (Some(first), Some(last)) = (part.first(), part.last()) else {
            continue;
        };
        out.push(CalibrationGroup {
            n: part.len(),
            predicted_min: first.0,
            predicted_max: last.0,
            expected: part.iter().map(|p| p.0).sum(),
            observed: part.iter().filter(|p| p.1).count(),
        });
    }
    let hosmer_lemeshow = out
        .iter()
        .map(|g| {
            let m = g.n as f64;
            let variance = g.expected * (1.0 - g.expected / m);
            if variance > 0.0 {
                (g.observed as f64 - g.expected).powi(2) / variance
            } else {
                0.0
            }
        })
        .sum();
    let expected: f64 = sorted.iter().map(|p| p.0).sum();
    let observed = sorted.iter().filter(|p| p.1).count() as f64;
    let (intercept, slope) = match logistic_recalibration(&sorted) {
        Some((a, b)) => (Some(a), Some(b)),
        None => (None, None),
    };
    Some(Calibration {
        degrees_of_freedom: out.len().saturating_sub(2),
        groups: out,
        observed_to_expected: (expected > 0.0).then(|| observed / expected),
        hosmer_lemeshow,
        slope,
        intercept,
    })
}

/// Fits `logit(P(y)) = a + b·logit(p)` by Newton–Raphson; returns `(a, b)`, or `None` when
/// it does not converge (one class, perfect separation, all predictions equal).
fn logistic_recalibration(pairs: &[(f64, bool)]) -> Option<(f64, f64)> {
    // Predictions of exactly 0 or 1 have infinite logits; the clamp keeps them usable.
    const EDGE: f64 = 1e-9;
    const ITERATIONS: usize = 100;
    const TOLERANCE: f64 = 1e-10;
    let xs: Vec<(f64, f64)> = pairs
        .iter()
        .map(|&(p, y)| {
            let p = p.clamp(EDGE, 1.0 - EDGE);
            ((p / (1.0 - p)).ln(), if y { 1.0 } else { 0.0 })
        })
        .collect();
    let (mut a, mut b) = (0.0_f64, 1.0_f64);
    for _ in 0..ITERATIONS {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(x, y) in &xs {
            let mu = 1.0 / (1.0 + (-(a + b * x)).exp());
            let w = mu * (1.0 - mu);
            ga += y - mu;
            gb += (y - mu) * x;
            haa += w;
            hab += w * x;
            hbb += w * x * x;
        }
        let det = haa * hbb - hab * hab;
        if !det.is_finite() || det.abs() < 1e-12 {
            return None;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        a += da;
        b += db;
        if !(a.is_finite() && b.is_finite()) {
            return None;
        }
        if da.abs() < TOLERANCE && db.abs() < TOLERANCE {
            return Some((a, b));
        }
    }
    None
}
