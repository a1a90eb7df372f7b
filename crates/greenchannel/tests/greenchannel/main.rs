//! The green channel on both backends, through its service: nominations and list versions,
//! provincial listing, adoption against the one-month deadline, alerts, usage and bulletins,
//! and the refusals.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod access_refusals;
mod adoption;
mod bulletins;
mod lists;

use std::sync::Arc;

use access::{
    Accounts, Bureau, Grant, NewOrganisation, Organisation, OrganisationKind, Principal, Role,
    Scope, SecurityPolicy,
};
use greenchannel::{GreenChannel, NewNomination, Nomination, Product, ProductKind};
use jiff::civil::{Date, date};
use kernel::UtcMillis;
use ledger::Ledger;
use store::Db;
use vault::Keyring;

pub const CORE: &str = "nanjing-2020-core-innovation";
pub const MI: &str = "nanjing-2022-mi-innovation";

/// A small city: the medical-insurance bureau, the health commission, the statistics bureau
/// (which compiles no list), two companies, two hospitals and a community pharmacy.
pub struct World {
    pub db: Db,
    pub gc: GreenChannel,
    pub ledger: Ledger,
    pub company: Organisation,
    pub other_company: Organisation,
    pub hospital_a: Organisation,
    pub hospital_b: Organisation,
    pub pharmacy: Organisation,
    pub mi_official: Principal,
    pub hc_official: Principal,
    pub stats_official: Principal,
    pub company_user: Principal,
    pub other_company_user: Principal,
    /// Pharmacist of hospital 甲.
    pub pharmacist_a: Principal,
    /// Doctor of hospital 乙.
    pub doctor_b: Principal,
    /// Pharmacist of the community pharmacy, which the duty does not bind.
    pub pharmacy_pharmacist: Principal,
}

/// A valid unified social credit code from its first 17 characters.
pub fn uscc(body: &str) -> String {
    format!("{body}{}", kernel::check_character(body).unwrap())
}

pub async fn world(db: &Db) -> World {
    db.migrate(&[
        access::migrations(),
        ledger::migrations(),
        greenchannel::migrations(),
    ])
    .await
    .unwrap();
    let keys = Arc::new(Keyring::for_tests());
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .unwrap();
    let accounts = Accounts::new(db.clone(), keys, SecurityPolicy::default());
    let gc = GreenChannel::new(db.clone(), ledger.clone(), accounts.clone());
    let org = |kind, zh: &str, bureau: Option<Bureau>, uscc: Option<String>| NewOrganisation {
        kind: Some(kind),
        bureau,
        name_zh: zh.into(),
        name_en: zh.into(),
        district: kind.is_local().then(|| "gulou".to_owned()),
        uscc,
        ..NewOrganisation::default()
    };
    use OrganisationKind as K;
    let create = |o: NewOrganisation| {
        let accounts = accounts.clone();
        async move { accounts.create_organisation(o).await.unwrap() }
    };
    let mi = create(org(
        K::MunicipalBureau,
        "市医保局",
        Some(Bureau::MedicalInsurance),
        None,
    ))
    .await;
    let hc = create(org(
        K::MunicipalBureau,
        "市卫健委",
        Some(Bureau::HealthCommission),
        None,
    ))
    .await;
    let stats = create(org(
        K::MunicipalBureau,
        "市统计局",
        Some(Bureau::Statistics),
        None,
    ))
    .await;
    let company = create(org(
        K::Company,
        "南京示例生物医药有限公司",
        None,
        Some(uscc("91320100MA1XXXXXX")),
    ))
    .await;
    let other_company = create(org(
        K::Company,
        "南京另一医疗器械有限公司",
        None,
        Some(uscc("91320100MA2YYYYYY")),
    ))
    .await;
    let hospital_a = create(org(K::Hospital, "甲医院（测试）", None, None)).await;
    let hospital_b = create(org(K::Hospital, "乙医院（测试）", None, None)).await;
    let pharmacy = create(org(K::Pharmacy, "康民大药房（测试）", None, None)).await;
    let person = |name: &str, org: &Organisation, role: Role| Principal {
        user_id: format!("u-{name}"),
        username: name.into(),
        display_name: name.into(),
        organisation: org.clone(),
        grants: vec![Grant {
            role,
            scope: match role {
                Role::BureauOfficial => Scope::City,
                _ => Scope::Organisation(org.id.clone()),
            },
        }],
        locale: kernel::Lang::Zh,
        must_change_password: false,
        method: access::AuthMethod::Session,
    };
    World {
        db: db.clone(),
        gc,
        ledger,
        mi_official: person("mi", &mi, Role::BureauOfficial),
        hc_official: person("hc", &hc, Role::BureauOfficial),
        stats_official: person("stats", &stats, Role::BureauOfficial),
        company_user: person("company", &company, Role::CompanyUser),
        other_company_user: person("other", &other_company, Role::CompanyUser),
        pharmacist_a: person("pharmacist-a", &hospital_a, Role::Pharmacist),
        doctor_b: person("doctor-b", &hospital_b, Role::HospitalDoctor),
        pharmacy_pharmacist: person("kangmin", &pharmacy, Role::Pharmacist),
        company,
        other_company,
        hospital_a,
        hospital_b,
        pharmacy,
    }
}

/// Noon of `day` in the city, as the server's timer would pass it.
pub fn noon(day: Date) -> UtcMillis {
    let ts = day
        .at(12, 0, 0, 0)
        .in_tz(kernel::CITY_TIME_ZONE)
        .unwrap()
        .timestamp();
    UtcMillis::from_timestamp(ts)
}

impl World {
    /// The company's product `id` as it nominates it.
    pub fn product(&self, id: &str) -> Product {
        Product {
            company_id: self.company.id.clone(),
            company_name: self.company.name_zh.clone(),
            uscc: self.company.uscc.clone().unwrap(),
            product_id: id.into(),
            product_name: format!("示例创新药{id}"),
            kind: ProductKind::Drug,
            registration_no: format!("国药准字H2026{id}"),
        }
    }

    pub async fn nominate(&self, list: &str, id: &str) -> Nomination {
        self.gc
            .nominate(
                &self.company_user,
                NewNomination {
                    list: list.into(),
                    product: self.product(id),
                    evidence: "国家药监局批准上市通知".into(),
                },
            )
            .await
            .unwrap()
    }

    /// Product `id` nominated, approved and published on the core list on 5 January 2026.
    pub async fn on_core_list(&self, id: &str) {
        let n = self.nominate(CORE, id).await;
        self.gc.approve(&self.hc_official, &n.id).await.unwrap();
        self.gc
            .publish_version(&self.hc_official, CORE, date(2026, 1, 5))
            .await
            .unwrap();
    }

    /// Product `id` on the core list and listed on the provincial platform on `listed_on`.
    pub async fn listed(&self, id: &str, listed_on: Date) {
        self.on_core_list(id).await;
        self.gc
            .record_listing(
                &self.mi_official,
                id,
                listed_on,
                "江苏省医保局挂网公告2026第3号",
            )
            .await
            .unwrap();
    }
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
