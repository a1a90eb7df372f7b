//! The model registry: the cards of every model the platform runs.

use std::sync::OnceLock;

use crate::card::ModelCard;
use crate::data::DataError;
use crate::{china_par, complication};

/// The models the platform knows, by card.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    cards: Vec<ModelCard>,
}

impl Registry {
    /// The built-in models: China-PAR and the complication model (its card as shipped; a
    /// trained model's file carries the card with its measured validation).
    pub fn builtin() -> Result<&'static Registry, DataError> {
        static BUILTIN: OnceLock<Result<Registry, DataError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let china_par = china_par::ChinaPar::builtin()?.card().clone();
                let complication = complication::card()?;
                Registry::new(vec![china_par, complication])
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A registry of `cards`; ids must be unique.
    pub fn new(cards: Vec<ModelCard>) -> Result<Registry, DataError> {
        for (i, card) in cards.iter().enumerate() {
            if cards[..i].iter().any(|c| c.id == card.id) {
                return Err(DataError::invalid(
                    "registry",
                    format!("cards[{i}].id"),
                    format!("two models are called `{}`", card.id),
                ));
            }
        }
        Ok(Registry { cards })
    }

    /// Every card, in registration order.
    pub fn cards(&self) -> &[ModelCard] {
        &self.cards
    }

    /// The card with this id.
    pub fn get(&self, id: &str) -> Option<&ModelCard> {
        self.cards.iter().find(|c| c.id == id)
    }
}
