//! Fitting, evaluating, saving and loading the complication model.

use linfa::Dataset as LinfaDataset;
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::features::{Example, FEATURES, Feature, Features};
use super::settings::Settings;
use crate::card::ModelCard;
use crate::data::DataError;
use crate::validation::{self, Validation};

/// How one feature is prepared: missing values become the training median, then the value
/// is standardised with the training mean and standard deviation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureScaling {
    /// Which feature.
    pub feature: Feature,
    /// Median of the training rows that had it (0 when none did).
    pub median: f64,
    /// Mean after imputation.
    pub mean: f64,
    /// Standard deviation after imputation (1 when it does not vary).
    pub sd: f64,
    /// Training rows that lacked it.
    pub missing_in_training: usize,
}

/// What a training run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Seed of the split.
    pub seed: u64,
    /// Share held out.
    pub holdout_fraction: f64,
    /// Rows fitted on.
    pub n_train: usize,
    /// Of which events.
    pub events_train: usize,
    /// Rows held out.
    pub n_holdout: usize,
    /// Of which events.
    pub events_holdout: usize,
    /// AUC on the training rows (optimistic; for comparison with the held-out one).
    pub training_auc: Option<f64>,
    /// L2 weight used.
    pub l2_alpha: f64,
}

/// A fitted model, as saved to JSON and loaded by the platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedModel {
    /// The card, with `measured` set to the held-out validation.
    pub card: ModelCard,
    /// Preparation of each feature, in coefficient order.
    pub scaling: Vec<FeatureScaling>,
    /// Intercept on the logit scale.
    pub intercept: f64,
    /// One coefficient per standardised feature, in `scaling`'s order.
    pub coefficients: Vec<f64>,
    /// The training run.
    pub training: TrainingSummary,
}

/// Why no model was fitted or loaded.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The hold-out share must leave rows on both sides.
    #[error("holdout fraction {0} must be greater than 0 and less than 1")]
    HoldoutFraction(f64),
    /// Too few events or non-events to fit on.
    #[error(
        "{events} events and {non_events} non-events in the training rows; at least {min} of each are needed"
    )]
    TooFewEvents {
        /// Events among the training rows.
        events: usize,
        /// Non-events among the training rows.
        non_events: usize,
        /// The minimum of each.
        min: usize,
    },
    /// The solver failed.
    #[error("fitting failed: {0}")]
    Fit(String),
    /// A data file is unusable.
    #[error("data: {0}")]
    Data(#[from] DataError),
    /// A saved model is not valid JSON of this shape.
    #[error("model file: {0}")]
    Json(#[from] serde_json::Error),
    /// A saved model whose features do not match this version's.
    #[error("model file: expected {expected} features in order, found {found}")]
    Features {
        /// How many this version has.
        expected: usize,
        /// What the file has.
        found: String,
    },
}

/// Fits the model on `examples`: a stratified split (events and non-events shuffled
/// separately with `seed`, `holdout_fraction` of each held out), median imputation and
/// standardisation from the training rows, L2-regularised logistic regression, and
/// evaluation on the held-out rows. The same examples and seed give the same model.
pub fn train(
    examples: &[Example],
    seed: u64,
    holdout_fraction: f64,
) -> Result<TrainedModel, TrainError> {
    if !(holdout_fraction > 0.0 && holdout_fraction < 1.0) {
        return Err(TrainError::HoldoutFraction(holdout_fraction));
    }
    let settings = Settings::builtin()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut events: Vec<&Example> = examples.iter().filter(|e| e.outcome).collect();
    let mut non_events: Vec<&Example> = examples.iter().filter(|e| !e.outcome).collect();
    events.shuffle(&mut rng);
    non_events.shuffle(&mut rng);
    let held = |n: usize| ((n as f64) * holdout_fraction).round() as usize;
    let (events_held, events_fit) = events.split_at(held(events.len()));
    let (non_held, non_fit) = non_events.split_at(held(non_events.len()));
    let min = settings.training.min_events.value;
    if events_fit.len() < min || non_fit.len() < min {
        return Err(TrainError::TooFewEvents {
            events: events_fit.len(),
            non_events: non_fit.len(),
            min,
        });
    }
    let fit_rows: Vec<&Example> = events_fit.iter().chain(non_fit).copied().collect();
    let held_rows: Vec<&Example> = events_held.iter().chain(non_held).copied().collect();

    let scaling = scaling_of(&fit_rows);
    let x = matrix(&scaling, &fit_rows);
    let y: Array1<bool> = fit_rows.iter().map(|e| e.outcome).collect();
    let alpha = settings.training.l2_alpha.value;
    let fitted = LogisticRegression::default()
        .alpha(alpha)
        .max_iterations(settings.training.max_iterations.value)
        .fit(&LinfaDataset::new(x, y))
        .map_err(|e| TrainError::Fit(e.to_string()))?;
    // linfa models the probability of its "positive" class, which is the more frequent
    // label, not `true`: with fewer events than non-events the signs must be turned round.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let mut card = super::card()?;
    card.version = format!("trained-seed-{seed}");
    let mut model = TrainedModel {
        card,
        scaling,
        intercept: sign * fitted.intercept(),
        coefficients: fitted.params().iter().map(|c| sign * c).collect(),
        training: TrainingSummary {
            seed,
            holdout_fraction,
            n_train: fit_rows.len(),
            events_train: events_fit.len(),
            n_holdout: held_rows.len(),
            events_holdout: events_held.len(),
            training_auc: None,
            l2_alpha: alpha,
        },
    };
    let pairs = |rows: &[&Example]| -> Vec<(f64, bool)> {
        rows.iter()
            .map(|e| (model.predict(&e.features), e.outcome))
            .collect()
    };
    let training_auc = validation::auc(&pairs(&fit_rows));
    let held_out = validation::measure(&pairs(&held_rows));
    model.training.training_auc = training_auc;
    model.card.measured = Some(held_out);
    Ok(model)
}

impl TrainedModel {
    /// The predicted probability of the outcome.
    pub fn predict(&self, features: &Features) -> f64 {
        let z: f64 = self
            .scaling
            .iter()
            .zip(&self.coefficients)
            .map(|(s, c)| c * prepare(s, features))
            .sum::<f64>()
            + self.intercept;
        1.0 / (1.0 + (-z).exp())
    }

    /// The held-out validation.
    pub fn held_out(&self) -> Option<&Validation> {
        self.card.measured.as_ref()
    }

    /// The model as pretty JSON.
    pub fn to_json(&self) -> Result<String, TrainError> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Loads a saved model, checking its features are this version's, in order.
    pub fn from_json(text: &str) -> Result<TrainedModel, TrainError> {
        let model: TrainedModel = serde_json::from_str(text)?;
        let found: Vec<Feature> = model.scaling.iter().map(|s| s.feature).collect();
        if found != Feature::ALL || model.coefficients.len() != FEATURES {
            return Err(TrainError::Features {
                expected: FEATURES,
                found: format!(
                    "{} scalings, {} coefficients",
                    found.len(),
                    model.coefficients.len()
                ),
            });
        }
        Ok(model)
    }
}

/// A feature's standardised value, the training median standing in for a missing one.
fn prepare(s: &FeatureScaling, features: &Features) -> f64 {
    (features.get(s.feature).unwrap_or(s.median) - s.mean) / s.sd
}

fn scaling_of(rows: &[&Example]) -> Vec<FeatureScaling> {
    Feature::ALL
        .iter()
        .map(|&feature| {
            let mut present: Vec<f64> = rows
                .iter()
                .filter_map(|e| e.features.get(feature))
                .collect();
            present.sort_by(f64::total_cmp);
            let median = match present.len() {
                0 => 0.0,
                n if n % 2 == 1 => present[n / 2],
                n => (present[n / 2 - 1] + present[n / 2]) / 2.0,
            };
            let values: Vec<f64> = rows
                .iter()
                .map(|e| e.features.get(feature).unwrap_or(median))
                .collect();
            let n = values.len().max(1) as f64;
            let mean = values.iter().sum::<f64>() / n;
            let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            let sd = if variance > 0.0 { variance.sqrt() } else { 1.0 };
            FeatureScaling {
                feature,
                median,
                mean,
                sd,
                missing_in_training: rows.len() - present.len(),
            }
        })
        .collect()
}

fn matrix(scaling: &[FeatureScaling], rows: &[&Example]) -> Array2<f64> {
    Array2::from_shape_fn((rows.len(), scaling.len()), |(i, j)| {
        prepare(&scaling[j], &rows[i].features)
    })
}
