//! A second model, trained on the platform's own registry: among residents on the
//! hypertension or type 2 diabetes register, the risk of a later stroke or coronary heart
//! disease enrolment (a complication).
//!
//! [`dataset`] reads the cohort from the database, [`train`] fits an L2-regularised logistic
//! regression (linfa-logistic) with a held-out evaluation, and [`TrainedModel`] is saved as
//! JSON (coefficients, feature scaling and card) so the platform loads it without
//! retraining. The definition and settings are data: `models/complication.toml`.

mod dataset;
mod features;
mod settings;
mod train;

pub use dataset::{Dataset, DatasetError, dataset};
pub use features::{Example, FEATURES, Feature, Features};
pub use settings::{OutcomeDef, Settings, TrainingSettings};
pub use train::{FeatureScaling, TrainError, TrainedModel, TrainingSummary, train};

use crate::card::ModelCard;
use crate::data::DataError;

/// The model's card file as shipped.
pub const CARD_FILE: (&str, &str) = (
    "complication.card.toml",
    include_str!("../../models/complication.card.toml"),
);

/// The card as shipped (no measured validation: that belongs to a trained model).
pub fn card() -> Result<ModelCard, DataError> {
    ModelCard::parse(CARD_FILE.0, CARD_FILE.1)
}
