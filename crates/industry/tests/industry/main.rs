//! The register on both backends, through its service: companies and their checks, access,
//! stages and their order, imports that write all or nothing, dashboard counts.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod access_rules;
mod companies;
mod imports;
mod products;

use access::{AuthMethod, Bureau, Grant, Organisation, OrganisationKind, Principal, Role, Scope};
use industry::{Industry, IndustryError, NewCompany, Segment};
use jiff::civil::date;
use kernel::Lang;
use ledger::Ledger;
use store::Db;
use vault::Keyring;

/// Valid codes of the samples (check characters computed by GB 32100-2015).
pub const GULOU: &str = "91320106MA1HC00011";
pub const JIANGBEI: &str = "91320191MA1HC00027";
pub const JIANGNING: &str = "91320115MA1HC00038";
pub const QIXIA: &str = "91320111MA1HC0004H";

pub struct World {
    pub db: Db,
    pub industry: Industry,
    pub ledger: Ledger,
    pub official: Principal,
    pub admin: Principal,
    pub expert: Principal,
    /// A user of the company organisation bound to the Gulou company.
    pub company_user: Principal,
    /// A user of another company.
    pub other_company_user: Principal,
    pub doctor: Principal,
}

pub const COMPANY_ORG: &str = "org-company-gulou";

pub async fn world(db: &Db) -> World {
    db.migrate(&[ledger::migrations(), industry::migrations()])
        .await
        .unwrap();
    let keys = Keyring::for_tests();
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .unwrap();
    World {
        db: db.clone(),
        industry: Industry::new(db.clone(), ledger.clone()),
        ledger,
        official: principal(
            "official",
            org(
                "org-bureau",
                OrganisationKind::MunicipalBureau,
                Some(Bureau::ScienceTechnology),
                None,
            ),
            Role::BureauOfficial,
        ),
        admin: principal(
            "admin",
            org(
                "org-platform",
                OrganisationKind::PlatformOperator,
                None,
                None,
            ),
            Role::PlatformAdmin,
        ),
        expert: principal(
            "expert",
            org("org-experts", OrganisationKind::University, None, None),
            Role::ExpertReviewer,
        ),
        company_user: principal(
            "company",
            org(COMPANY_ORG, OrganisationKind::Company, None, Some(GULOU)),
            Role::CompanyUser,
        ),
        other_company_user: principal(
            "other",
            org(
                "org-company-other",
                OrganisationKind::Company,
                None,
                Some(JIANGBEI),
            ),
            Role::CompanyUser,
        ),
        doctor: principal(
            "doctor",
            org("org-hospital", OrganisationKind::Hospital, None, None),
            Role::HospitalDoctor,
        ),
    }
}

fn org(
    id: &str,
    kind: OrganisationKind,
    bureau: Option<Bureau>,
    uscc: Option<&str>,
) -> Organisation {
    Organisation {
        id: id.into(),
        kind,
        bureau,
        name_zh: format!("{id}（测试）"),
        name_en: id.into(),
        district: None,
        parent_id: None,
        uscc: uscc.map(Into::into),
        internet_hospital: false,
        active: true,
        created_at: 0,
    }
}

fn principal(name: &str, organisation: Organisation, role: Role) -> Principal {
    Principal {
        user_id: format!("user-{name}"),
        username: name.into(),
        display_name: format!("{name}（测试）"),
        grants: vec![Grant {
            role,
            scope: Scope::Organisation(organisation.id.clone()),
        }],
        organisation,
        locale: Lang::Zh,
        must_change_password: false,
        method: AuthMethod::Session,
    }
}

/// A good entry for the Gulou company, bound to its company organisation.
pub fn gulou() -> NewCompany {
    NewCompany {
        uscc: GULOU.into(),
        name: "金陵示例生物医药有限公司（合成数据）".into(),
        organisation_id: Some(COMPANY_ORG.into()),
        district: "gulou".into(),
        park: None,
        segments: vec![Segment::Biologics, Segment::Cxo],
        founded: date(2016, 3, 15),
        paid_in_capital_yuan: 50_000_000,
        listed: false,
    }
}

pub fn other(uscc: &str, name: &str, district: &str) -> NewCompany {
    NewCompany {
        uscc: uscc.into(),
        name: name.into(),
        organisation_id: None,
        district: district.into(),
        park: Some("示例园区".into()),
        segments: vec![Segment::MedicalDevices],
        founded: date(2012, 5, 20),
        paid_in_capital_yuan: 80_000_000,
        listed: true,
    }
}

/// The field a refusal names.
pub fn field_of(e: &IndustryError) -> Option<&'static str> {
    e.field()
}

/// Rows in a table.
pub async fn count(db: &Db, table: &str) -> i64 {
    use store::sqlx::Row;
    store::sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// Ledger entries with this action.
pub async fn ledger_actions(db: &Db, action: &str) -> i64 {
    use store::sqlx::Row;
    store::sqlx::query("SELECT COUNT(*) FROM ledger_entries WHERE action = $1")
        .bind(action)
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// A test that runs `check` once per backend, each on a fresh world.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $check:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let dbs = store::testing::TestDatabases::new().await;
            for db in dbs.all() {
                let w = $crate::world(db).await;
                $check(&w).await;
            }
        }
    };
}
