//! Cultivation on both backends, through its service: the whole year's selection, Suzhou's
//! minimum, the potential leaders year after year, support plans, and refusals.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod leaders;
mod plans;
mod refusals;
mod suzhou;
mod year;

use access::{AuthMethod, Bureau, Grant, Organisation, OrganisationKind, Principal, Role, Scope};
use cultivation::{Candidate, Cultivation};
use jiff::civil::date;
use kernel::Lang;
use ledger::Ledger;
use store::Db;
use vault::Keyring;

/// The service and the people who use it.
pub struct World {
    pub cultivation: Cultivation,
    pub ledger: Ledger,
    /// An official of the S&T bureau (proposes).
    pub science: Principal,
    /// An official of the industry bureau (reviews).
    pub industry: Principal,
    /// A second S&T official.
    pub science2: Principal,
    /// An official of the health commission: not responsible for cultivation.
    pub health: Principal,
    pub admin: Principal,
}

pub async fn world(db: &Db) -> World {
    db.migrate(&[ledger::migrations(), cultivation::migrations()])
        .await
        .unwrap();
    let keys = Keyring::for_tests();
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .unwrap();
    let cultivation = Cultivation::new(db.clone(), ledger.clone());
    let bureau = |id: &str, b: Bureau| organisation(id, OrganisationKind::MunicipalBureau, Some(b));
    World {
        cultivation,
        ledger,
        science: person(
            "u-science",
            bureau("org-st", Bureau::ScienceTechnology),
            Role::BureauOfficial,
        ),
        industry: person(
            "u-industry",
            bureau("org-ii", Bureau::IndustryInformation),
            Role::BureauOfficial,
        ),
        science2: person(
            "u-science2",
            bureau("org-st", Bureau::ScienceTechnology),
            Role::BureauOfficial,
        ),
        health: person(
            "u-health",
            bureau("org-hc", Bureau::HealthCommission),
            Role::BureauOfficial,
        ),
        admin: person(
            "u-admin",
            organisation("org-platform", OrganisationKind::PlatformOperator, None),
            Role::PlatformAdmin,
        ),
    }
}

pub fn organisation(id: &str, kind: OrganisationKind, bureau: Option<Bureau>) -> Organisation {
    Organisation {
        id: id.into(),
        kind,
        bureau,
        name_zh: id.into(),
        name_en: id.into(),
        district: None,
        parent_id: None,
        uscc: None,
        internet_hospital: false,
        active: true,
        created_at: 0,
    }
}

pub fn person(user_id: &str, organisation: Organisation, role: Role) -> Principal {
    Principal {
        user_id: user_id.into(),
        username: user_id.into(),
        display_name: user_id.into(),
        organisation,
        grants: vec![Grant {
            role,
            scope: Scope::City,
        }],
        locale: Lang::Zh,
        must_change_password: false,
        method: AuthMethod::Session,
    }
}

/// A user of company `company_id`.
pub fn company_user(company_id: &str) -> Principal {
    person(
        &format!("u-{company_id}"),
        organisation(company_id, OrganisationKind::Company, None),
        Role::CompanyUser,
    )
}

/// The company id of candidate `i`: `co-007`.
pub fn company(i: usize) -> String {
    format!("co-{i:03}")
}

pub const DISTRICTS: [&str; 4] = ["gulou", "jiangbei", "qinhuai", "jiangning"];

/// `n` candidates, each weaker than the one before on every factor, so candidate `i` ranks
/// `i + 1`. Districts cycle through [`DISTRICTS`].
pub fn candidates(n: usize) -> Vec<Candidate> {
    (0..n)
        .map(|i| {
            let strength = (n - i) as i64;
            let revenue = strength * 5_000_000;
            Candidate {
                company_id: company(i),
                name: format!("测试企业{i}"),
                district: DISTRICTS[i % DISTRICTS.len()].into(),
                founded: date(2012, 1, 1),
                revenue_yuan: revenue,
                revenue_prev_yuan: Some(revenue * 4 / 5),
                rd_spend_yuan: revenue / 10 + strength * 1_000,
                staff: 20 + strength as u32,
                qualifications: vec!["high-tech".into()],
                drugs_in_clinic: 0,
                approvals: 0,
            }
        })
        .collect()
}

/// Runs `check` on a fresh world on SQLite, then on PostgreSQL.
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

impl World {
    /// The ledger actions recorded about `subject_id`, oldest first.
    pub async fn ledger_actions(&self, subject_type: &str, subject_id: &str) -> Vec<String> {
        let mut entries = self
            .ledger
            .entries_for_subject(subject_type, subject_id, 1000)
            .await
            .unwrap();
        entries.sort_by_key(|e| e.seq);
        entries.into_iter().map(|e| e.event.action).collect()
    }

    /// Proposes, submits (by the S&T official), approves and publishes (by the industry
    /// official) `candidates` for `scheme` in `year`.
    pub async fn publish(&self, scheme: &str, year: i32, candidates: &[Candidate]) -> String {
        let p = self
            .cultivation
            .propose(&self.science, scheme, year, candidates)
            .await
            .unwrap();
        self.cultivation.submit(&self.science, &p.id).await.unwrap();
        self.cultivation
            .approve(&self.industry, &p.id)
            .await
            .unwrap();
        self.cultivation
            .publish(&self.industry, &p.id)
            .await
            .unwrap();
        p.id
    }
}
