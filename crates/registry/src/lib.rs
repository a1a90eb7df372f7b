//! The city-wide single-disease registry (seed nanjing-2022 三(七)): one index of residents
//! however many organisations send their records, the care team responsible for each, and
//! (in later modules) enrolment in disease registries, follow-up and indicators.

pub mod consent;
mod enrolment;
mod error;
pub mod matching;
mod residents;

pub use consent::{
    Consents, Directive, Proxy, Sharing, SharingDecision, SharingPurpose, sharing_condition,
};
pub use enrolment::{
    CaseFinding, Enrolment, Group, Measure, Measured, Reach, RegisterCounts, RegisterFilter,
    RegisterMeasure, RegisterRow, Registers, Visit,
};
pub use error::{RegistryError, Result};
pub use matching::{Candidate, Decision, Evidence, PersonFacts, Score};
pub use residents::{
    CareTeam, MatchReview, Resident, ResidentIndex, Resolution, ReviewDecision, SourceRecord,
};

use store::{Migration, MigrationSet};

/// The tables of this crate.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[
        Migration::portable(
            1,
            "residents",
            include_str!("../migrations/0001_residents.sql"),
        ),
        Migration::portable(
            2,
            "enrolments",
            include_str!("../migrations/0002_enrolments.sql"),
        ),
        Migration::portable(
            3,
            "indicators",
            include_str!("../migrations/0003_indicators.sql"),
        ),
        Migration::portable(
            4,
            "register facts",
            include_str!("../migrations/0004_register_facts.sql"),
        ),
        Migration::portable(
            5,
            "measures",
            include_str!("../migrations/0005_measures.sql"),
        ),
        Migration::portable(
            6,
            "consents",
            include_str!("../migrations/0006_consents.sql"),
        ),
    ];
    MigrationSet {
        component: "registry",
        migrations: MIGRATIONS,
    }
}
