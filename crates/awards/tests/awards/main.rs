//! Applications to subsidy clauses on both backends, through the service: the review path
//! (on merit, experts without conflicts, notice, objection, award, payments), the formulaic
//! path and the no-application path on a clause of its time, and every refusal.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod formulaic;
mod refusals;
mod review;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use access::{
    Accounts, Bureau, Grant, NewOrganisation, NewUser, Organisation, OrganisationKind, Principal,
    Role, Scope, SecurityPolicy,
};
use awards::{Applicant, Awards, NewAttachment, NewProgramme, Submission};
use jiff::civil::{Date, date};
use kernel::UtcMillis;
use ledger::Ledger;
use policy::{Facts, Money};
use store::Db;
use vault::Keyring;

pub const PASSWORD: &str = "Awards-Test-Pass-2026";

/// A settable clock: the tests move it past notice periods and back to a clause's years.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn at(day: Date) -> TestClock {
        let c = TestClock(Arc::new(AtomicI64::new(0)));
        c.set(day);
        c
    }
    pub fn set(&self, day: Date) {
        let ms = day
            .at(10, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
            .unwrap()
            .timestamp()
            .as_millisecond();
        self.0.store(ms, Ordering::SeqCst);
    }
    pub fn advance_days(&self, days: i64) {
        self.0.fetch_add(days * 86_400_000, Ordering::SeqCst);
    }
}

pub struct World {
    pub awards: Awards,
    pub clock: TestClock,
    pub ledger: Ledger,
    /// S&T bureau officials; finance official; an industry official.
    pub st: Principal,
    pub st2: Principal,
    pub finance: Principal,
    pub industry: Principal,
    pub company: Principal,
    pub company_org: Organisation,
    pub other_company: Principal,
    pub other_org: Organisation,
    /// Experts of a university: two who worked with the applicant (recorded in the tests), three free.
    pub experts: Vec<Principal>,
    pub public: Principal,
}

pub async fn world(db: &Db, today: Date) -> World {
    db.migrate(&[
        access::migrations(),
        ledger::migrations(),
        awards::migrations(),
    ])
    .await
    .unwrap();
    let keys = Arc::new(Keyring::for_tests());
    let ledger = Ledger::open(db.clone(), keys.ledger.signing_key())
        .await
        .unwrap();
    let accounts = Accounts::new(db.clone(), keys.clone(), SecurityPolicy::default());
    let clock = TestClock::at(today);
    let c = clock.clone();
    let awards = Awards::new(db.clone(), ledger.clone())
        .with_clock(Arc::new(move || UtcMillis(c.0.load(Ordering::SeqCst))));
    use OrganisationKind as K;
    let org = |kind: OrganisationKind, zh: &str, bureau: Option<Bureau>| NewOrganisation {
        kind: Some(kind),
        bureau,
        name_zh: zh.into(),
        name_en: zh.into(),
        district: (kind == K::Company).then(|| "gulou".to_owned()),
        ..NewOrganisation::default()
    };
    let mk = |o: NewOrganisation| {
        let accounts = accounts.clone();
        async move { accounts.create_organisation(o).await.unwrap() }
    };
    let st_org = mk(org(
        K::MunicipalBureau,
        "科技局",
        Some(Bureau::ScienceTechnology),
    ))
    .await;
    let fin_org = mk(org(K::MunicipalBureau, "财政局", Some(Bureau::Finance))).await;
    let ind_org = mk(org(
        K::MunicipalBureau,
        "工信局",
        Some(Bureau::IndustryInformation),
    ))
    .await;
    let company_org = mk(org(K::Company, "甲生物（测试）", None)).await;
    let other_org = mk(org(K::Company, "乙医药（测试）", None)).await;
    let univ = mk(org(K::University, "某大学（测试）", None)).await;
    let public_org = mk(org(K::Public, "居民", None)).await;

    let user = |name: &str, org: &Organisation, role: Role| {
        let accounts = accounts.clone();
        let name = name.to_owned();
        let org_id = org.id.clone();
        async move {
            accounts
                .create_user(NewUser {
                    username: name.clone(),
                    display_name: name.clone(),
                    organisation_id: org_id.clone(),
                    password: PASSWORD.into(),
                    mobile: None,
                    grants: vec![Grant {
                        role,
                        scope: match role {
                            Role::CompanyUser => Scope::Organisation(org_id),
                            Role::Resident => Scope::Own,
                            _ => Scope::City,
                        },
                    }],
                    must_change_password: false,
                })
                .await
                .unwrap();
            accounts.login(&name, PASSWORD).await.unwrap().unwrap().1
        }
    };
    let st = user("st1", &st_org, Role::BureauOfficial).await;
    let st2 = user("st2", &st_org, Role::BureauOfficial).await;
    let finance = user("fin", &fin_org, Role::BureauOfficial).await;
    let industry = user("ind", &ind_org, Role::BureauOfficial).await;
    let company = user("company1", &company_org, Role::CompanyUser).await;
    let other_company = user("company2", &other_org, Role::CompanyUser).await;
    let public = user("pub", &public_org, Role::Resident).await;
    let mut experts = Vec::new();
    experts.push(user("expert0", &univ, Role::ExpertReviewer).await);
    for i in 1..=4 {
        experts.push(user(&format!("expert{i}"), &univ, Role::ExpertReviewer).await);
    }
    World {
        awards,
        clock,
        ledger,
        st,
        st2,
        finance,
        industry,
        company,
        company_org,
        other_company,
        other_org,
        experts,
        public,
    }
}

impl World {
    pub fn applicant(&self) -> Applicant {
        Applicant {
            company_id: "company-jia".into(),
            name: "甲生物（测试）".into(),
            organisation_id: self.company_org.id.clone(),
        }
    }

    pub async fn programme(&self, clauses: &[&str], year: i16, budget_wan: i64) -> String {
        let today = self.awards.now().city_date();
        self.awards
            .create_programme(
                &self.st,
                NewProgramme {
                    name_zh: format!("{year}年生命健康科技专项（测试）"),
                    name_en: format!("{year} life-health S&T programme (test)"),
                    year,
                    budget_yuan: budget_wan * 10_000,
                    clauses: clauses.iter().map(|c| (*c).to_owned()).collect(),
                    opens_on: today,
                    closes_on: today.checked_add(jiff::Span::new().days(60)).unwrap(),
                },
            )
            .await
            .unwrap()
            .id
    }
}

pub fn file(kind: &str) -> NewAttachment {
    NewAttachment {
        kind: kind.into(),
        file_name: format!("{kind}.pdf"),
        content_type: "application/pdf".into(),
        bytes: format!("%PDF-1.4 {kind}").into_bytes(),
    }
}

/// A general project of Nanjing 2022 三(三): on merit, 10%-20% of R&D, at most 200万.
pub fn general_project(programme_id: &str, applicant: Applicant, rd_wan: i64) -> Submission {
    Submission {
        programme_id: programme_id.into(),
        applicant,
        clause_id: "nanjing-2022/3-3/general-project".into(),
        title: "新型长效降压复方制剂临床前研究（测试）".into(),
        facts: Facts::new()
            .choice("city", "nanjing")
            .choice("province", "jiangsu")
            .text("project_id", "R-1")
            .choice("project_type", "general")
            .money("project_rd_spend", Money::wan(rd_wan)),
        requested_yuan: None,
        attachments: vec![file("business-licence")],
    }
}

pub fn day(y: i16, m: i8, d: i8) -> Date {
    date(y, m, d)
}
