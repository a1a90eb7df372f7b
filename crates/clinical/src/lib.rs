//! The clinical record service behind `/fhir` and the registry pages: every read and write of
//! a resident's health record passes here, and here it is checked, linked and recorded.
//!
//! A write is validated as FHIR R4 (`fhir`), placed in a resident's record (the Patient it
//! refers to, resolved by the master index in `registry`), checked against the actor's reach
//! (`access::record_scope`), stored with its search index (`records`), recorded on the ledger,
//! and, for a Condition whose code a disease template includes, enrols the resident in that
//! disease's register (`diseases`). A read is restricted in the store's query, so a search never
//! counts or pages over records the actor may not see, and each resident whose data is returned
//! is recorded on the ledger with the purpose.
//!
//! The store keys a resource's compartment by the *resident* (master index id), not by the FHIR
//! Patient id: two hospitals' Patient records of one person share one record, and visibility
//! and consent apply to the person.

mod actor;
mod audit;
mod bundle;
mod cases;
pub mod consent;
mod error;
mod export;
mod followup;
mod patient;
pub mod plausible;
mod read;
mod reviews;
pub mod translate;
mod write;

use std::sync::Arc;

use diseases::Catalogue;
use ledger::Ledger;
use records::{RecordStore, Visibility};
use registry::{Consents, Registers, ResidentIndex};
use store::Db;
use vault::Keyring;

pub use actor::Actor;
pub use bundle::parse_etag;
pub use cases::today;
pub use error::{ClinicalError, Result};
pub use export::{EXPORT_RETENTION_MS, ExportLevel, ExportStatus, RESOURCES_PER_PART};
pub use followup::{FieldProblem, FollowUpRecorded, FormValue};
pub use patient::RESIDENT_ID_SYSTEMS;
pub use read::{EVERYTHING_LIMIT, SearchOutcome};
pub use write::{WriteOutcome, source_organisation, source_uri};

/// The tables of this crate (export jobs, Bundle receipts; the records themselves are the
/// `records` crate's).
pub fn migrations() -> store::MigrationSet {
    const MIGRATIONS: &[store::Migration] = &[
        store::Migration::portable(1, "exports", include_str!("../migrations/0001_exports.sql")),
        store::Migration::portable(
            2,
            "bundle receipts",
            include_str!("../migrations/0002_bundle_receipts.sql"),
        ),
        store::Migration::portable(
            3,
            "narrowed references",
            include_str!("../migrations/0003_narrowed_references.sql"),
        ),
    ];
    store::MigrationSet {
        component: "clinical",
        migrations: MIGRATIONS,
    }
}

/// The clinical record service. Cheap to clone.
#[derive(Clone)]
pub struct Clinical {
    inner: Arc<Inner>,
}

struct Inner {
    keys: Arc<Keyring>,
    records: RecordStore,
    residents: ResidentIndex,
    registers: Registers,
    consents: Consents,
    ledger: Ledger,
    catalogue: &'static Catalogue,
}

impl Clinical {
    /// Opens the service, applying the migrations of the tables it uses (records, registry,
    /// exports) if they are not yet applied.
    pub async fn open(db: Db, keys: Arc<Keyring>, ledger: Ledger) -> Result<Clinical> {
        db.migrate(&[records::migrations(), registry::migrations(), migrations()])
            .await
            .map_err(|e| ClinicalError::Records(records::RecordsError::Migration(e.to_string())))?;
        let catalogue = Catalogue::builtin().map_err(ClinicalError::Templates)?;
        Ok(Clinical {
            inner: Arc::new(Inner {
                records: RecordStore::open(db.clone(), keys.clone()).await?,
                residents: ResidentIndex::new(db.clone(), keys.clone()),
                keys,
                registers: Registers::new(db.clone()),
                consents: Consents::new(db),
                ledger,
                catalogue,
            }),
        })
    }

    pub fn records(&self) -> &RecordStore {
        &self.inner.records
    }

    pub fn residents(&self) -> &ResidentIndex {
        &self.inner.residents
    }

    pub fn registers(&self) -> &Registers {
        &self.inner.registers
    }

    pub fn catalogue(&self) -> &'static Catalogue {
        self.inner.catalogue
    }

    /// The records `actor` may read, as a store filter.
    pub async fn visibility(&self, actor: &Actor) -> Result<Visibility> {
        use access::RecordScope;
        match &actor.read {
            None => Err(ClinicalError::Forbidden(
                "reading health records needs a doctor's, pharmacist's or resident's role",
            )),
            Some(RecordScope::City) => Ok(Visibility::All),
            Some(RecordScope::Linked {
                organisations,
                districts,
            }) => Ok(Visibility::Linked {
                organisations: organisations.clone(),
                districts: districts.clone(),
            }),
            Some(RecordScope::Own) => {
                // Their own record and those of household members who authorised them.
                let (mut residents, represented) = self.residents_acted_for(&actor.user_id).await?;
                residents.extend(represented);
                Ok(Visibility::Patients(residents))
            }
        }
    }

    /// The register entries `actor` may see: the same reach as their record access.
    pub async fn register_reach(&self, actor: &Actor) -> Result<registry::Reach> {
        Ok(match self.visibility(actor).await? {
            Visibility::All => registry::Reach::All,
            Visibility::Linked {
                organisations,
                districts,
            } => registry::Reach::Served {
                organisations,
                districts,
            },
            Visibility::Patients(residents) => registry::Reach::Residents(residents),
        })
    }

    /// Whether `actor` may see the record of `resident_id`.
    pub async fn may_see_resident(&self, actor: &Actor, resident_id: &str) -> Result<bool> {
        let visibility = self.visibility(actor).await?;
        Ok(self
            .inner
            .records
            .patient_visible(resident_id, &visibility)
            .await?)
    }
}
