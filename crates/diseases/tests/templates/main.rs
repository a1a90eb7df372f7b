//! The disease templates as specifications: each module reads like the rule it checks.
#![allow(clippy::unwrap_used, clippy::float_cmp)]

mod case_finding;
mod control;
mod danger_signs;
mod followup;
mod indicators;
mod loading;
mod measures;
mod values;

use diseases::{Catalogue, Template};

pub fn catalogue() -> &'static Catalogue {
    Catalogue::builtin().unwrap()
}

pub fn template(code: &str) -> &'static Template {
    catalogue().get(code).unwrap()
}
