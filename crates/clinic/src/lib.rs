//! The internet hospital's online convenience clinic (在线方便门诊; issue 5, ADR 0014): pilot
//! hospitals chosen by service volume, follow-up consultations for patients with a definite
//! offline diagnosis, prescriptions written and signed by the doctor and approved by a
//! pharmacist.
//!
//! ```text
//! hospitals report volume ─► ranking ─► health commission designates pilots ─► offerings
//! patient requests ─► eligibility (rules/clinic.toml) ─► doctor accepts (Encounter VR)
//!   ─► messages ─► doctor prescribes (prescribing::check, Ed25519 signature)
//!   ─► pharmacist approves or rejects ─► MedicationRequest in the record
//! ```

pub mod consultation;
pub mod dispensing;
pub mod eligibility;
mod error;
pub mod facts;
pub mod notifications;
pub mod oversight;
pub mod pilots;
mod practitioners;
mod prescriptions;
pub mod rules;
mod service;
mod signing;

pub use consultation::{Consultation, Image, Message, NewConsultation, Party, State, Visit};
pub use dispensing::{
    Address, Fulfilment, FulfilmentOptions, FulfilmentState, MaskedAddress, Method, Need, NewSlot,
    Proof, Site, SiteOption, Slot, StockLine, Unavailable,
};
pub use error::{ClinicError, Result};
pub use notifications::Notification;
pub use oversight::PilotFigures;
pub use pilots::{Offering, Pilot, Ranked};
pub use practitioners::{Practitioner, valid_licence};
pub use prescriptions::{Prescription, PrescriptionRequest, Review, RxState};
pub use rules::Rules;
pub use service::Clinic;

use store::{Migration, MigrationSet};

/// The clinic's tables. The records', registry's and alerts' tables must exist too.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[
        Migration::portable(1, "clinic", include_str!("../migrations/0001_clinic.sql")),
        Migration::portable(
            2,
            "dispensing",
            include_str!("../migrations/0002_dispensing.sql"),
        ),
    ];
    MigrationSet {
        component: "clinic",
        migrations: MIGRATIONS,
    }
}
