//! The demo city: a deterministic, synthetic Nanjing. Public bodies the seeds name (the
//! districts, municipal bureaus, 鼓楼医院, 鼓楼医院江北国际医院, the universities) appear under
//! their names with no figures attached as theirs (the online clinic's synthetic service
//! volumes, which rank them, are marked synthetic where shown); every person, company,
//! community centre, pharmacy and investor is fictional and marked 演示 (demo). Later
//! capabilities add their data here.
//!
//! Deterministic means the same content every run (names, codes, roles, districts) from a
//! fixed seed; identifiers, password salts and ciphertext nonces are fresh each time, as they
//! must be.

use access::{
    AccessError, Accounts, Bureau, Grant, NewOrganisation, NewUser, Organisation, OrganisationKind,
    Role, Scope,
};
use ledger::{AuditEvent, Ledger, PurposeOfUse};

mod clinic;
mod devices;
mod industry;
mod records;
pub use clinic::{ClinicSummary, generate_clinic, last_quarter};
pub use devices::{DevicesSummary, generate_devices};
pub use industry::{IndustryServices, IndustrySummary, generate_industry};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
pub use records::{DEMO_RESIDENTS, DEMO_REVIEWS, RecordsSummary, generate_records};

/// The password of every demo account (printed by `lifehealth demo`; never used outside demo).
pub const DEMO_PASSWORD: &str = "Demo-Lifehealth-2026";

/// The fixed seed: the same city every time.
const SEED: u64 = 20_261_122;

/// One demo account per role: user name and role.
pub const DEMO_ACCOUNTS: [(&str, Role); 17] = [
    ("admin", Role::PlatformAdmin),
    ("health.official", Role::BureauOfficial),
    ("gulou.official", Role::BureauOfficial),
    ("doctor", Role::HospitalDoctor),
    ("pharmacist", Role::Pharmacist),
    ("community.doctor", Role::CommunityDoctor),
    ("resident", Role::Resident),
    ("company", Role::CompanyUser),
    ("researcher", Role::Researcher),
    ("investor", Role::Investor),
    ("reviewer", Role::ExpertReviewer),
    ("steward", Role::DataSteward),
    // The industry side (issue 6): bureaus that run programmes, lists and payments, and an
    // expert of the review pool.
    ("st.official", Role::BureauOfficial),
    ("industry.official", Role::BureauOfficial),
    ("mi.official", Role::BureauOfficial),
    ("finance.official", Role::BureauOfficial),
    ("expert", Role::ExpertReviewer),
];

/// Industry-side accounts beyond the listed ones: a second S&T official (four eyes on pool
/// selections and objections) and two more experts (a review panel has three).
pub const INDUSTRY_STAFF: [(&str, Role); 3] = [
    ("st.deputy", Role::BureauOfficial),
    ("expert2", Role::ExpertReviewer),
    ("expert3", Role::ExpertReviewer),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error("the demo data is inconsistent: {0}")]
    Inconsistent(String),
}

/// What was generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub organisations: usize,
    pub users: usize,
}

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗", "郑", "梁", "谢", "宋",
];
const GIVEN: [&str; 30] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "文", "宁", "晨", "悦", "航", "琳",
];
const COMPANY_WORDS: [&str; 16] = [
    "紫金", "秦淮", "钟山", "玄武", "石城", "金陵", "栖霞", "雨花", "江宁", "汤山", "长江", "鼓楼",
    "龙蟠", "燕子", "麒麟", "青龙",
];
const SEGMENTS: [(&str, &str); 8] = [
    ("创新药", "Pharmaceutical"),
    ("生物制药", "Biologics"),
    ("细胞治疗", "Cell Therapy"),
    ("基因科技", "Gene Technology"),
    ("医疗器械", "Medical Devices"),
    ("诊断试剂", "Diagnostics"),
    ("医药研发服务", "CRO"),
    ("中药", "Chinese Medicine"),
];

fn person_name(rng: &mut ChaCha8Rng) -> String {
    let surname = SURNAMES[rng.gen_range(0..SURNAMES.len())];
    let given: String = (0..rng.gen_range(1..=2))
        .map(|_| GIVEN[rng.gen_range(0..GIVEN.len())])
        .collect();
    format!("{surname}{given}")
}

fn mobile(rng: &mut ChaCha8Rng) -> String {
    format!(
        "1{}{:09}",
        rng.gen_range(3..=9),
        rng.gen_range(0..1_000_000_000u32)
    )
}

/// A USCC for a fictional enterprise in `region`: 9 (market regulation), 1 (enterprise),
/// region code, then a random organisation code and the computed check character.
pub(crate) fn uscc(rng: &mut ChaCha8Rng, region: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let org: String = (0..9)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    kernel::UnifiedSocialCreditCode::from_body(&format!("91{region}{org}"))
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default()
}

struct Builder<'a> {
    accounts: &'a Accounts,
    ledger: &'a Ledger,
    summary: DemoSummary,
    progress: &'a mut dyn FnMut(u64, &str),
}

impl Builder<'_> {
    async fn org(&mut self, new: NewOrganisation) -> Result<Organisation, DemoError> {
        let org = self.accounts.create_organisation(new).await?;
        self.summary.organisations += 1;
        self.audit("organisation.create", "organisation", &org.id)
            .await?;
        (self.progress)(1, &org.name_zh);
        Ok(org)
    }

    async fn user(
        &mut self,
        username: &str,
        name: &str,
        org: &Organisation,
        role: Role,
        scope: Scope,
        mobile: Option<String>,
    ) -> Result<String, DemoError> {
        let id = self
            .accounts
            .create_user(NewUser {
                username: username.into(),
                display_name: name.into(),
                organisation_id: org.id.clone(),
                password: DEMO_PASSWORD.into(),
                mobile,
                grants: vec![Grant { role, scope }],
                must_change_password: false,
            })
            .await?;
        self.summary.users += 1;
        self.audit("user.create", "user", &id).await?;
        (self.progress)(1, username);
        Ok(id)
    }

    async fn audit(
        &self,
        action: &str,
        subject_type: &str,
        subject_id: &str,
    ) -> Result<(), DemoError> {
        self.ledger
            .record(AuditEvent {
                actor: "system".into(),
                organisation: None,
                action: action.into(),
                subject_type: subject_type.into(),
                subject_id: subject_id.into(),
                purpose: PurposeOfUse::SystemAdministration,
                at: kernel::UtcMillis::now().0,
                data_hash: ledger::data_hash(subject_id.as_bytes()),
            })
            .await?;
        Ok(())
    }
}

fn named(kind: OrganisationKind, zh: &str, en: &str, district: Option<&str>) -> NewOrganisation {
    NewOrganisation {
        kind: Some(kind),
        name_zh: zh.into(),
        name_en: en.into(),
        district: district.map(str::to_owned),
        ..Default::default()
    }
}

/// How many steps [`generate`] reports, for a progress bar.
pub fn step_count() -> u64 {
    let districts = city::districts().all().len() as u64;
    // operator, public, 6 bureaus, districts, 12 hospitals, 2 CHCs and 1 pharmacy a district,
    // 36 companies, 4 universities, 1 institute, 4 investors, 1 ethics committee,
    // the demo accounts, and 2 doctors a hospital plus 1 a centre.
    2 + 6
        + districts
        + 12
        + 3 * districts
        + 36
        + 4
        + 1
        + 4
        + 1
        + DEMO_ACCOUNTS.len() as u64
        + INDUSTRY_STAFF.len() as u64
        + 2 * 12
        + 2 * districts
}

/// Creates the demo city through the same functions the platform uses for real data, so every
/// record passes the same validation and lands on the ledger.
pub async fn generate(
    accounts: &Accounts,
    ledger: &Ledger,
    progress: &mut dyn FnMut(u64, &str),
) -> Result<DemoSummary, DemoError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut b = Builder {
        accounts,
        ledger,
        summary: DemoSummary::default(),
        progress,
    };
    let districts = city::districts().all();
    use OrganisationKind as K;

    let operator = b
        .org(named(
            K::PlatformOperator,
            "南京市生命健康创新服务平台运营中心（演示）",
            "Platform Operations Centre (demo)",
            None,
        ))
        .await?;
    let public = b
        .org(named(K::Public, "居民个人用户", "Residents", None))
        .await?;
    let bureau_names = [
        (
            Bureau::ScienceTechnology,
            "南京市科学技术局",
            "Nanjing Science and Technology Bureau",
        ),
        (
            Bureau::HealthCommission,
            "南京市卫生健康委员会",
            "Nanjing Health Commission",
        ),
        (
            Bureau::MedicalInsurance,
            "南京市医疗保障局",
            "Nanjing Medical Insurance Bureau",
        ),
        (
            Bureau::IndustryInformation,
            "南京市工业和信息化局",
            "Nanjing Industry and Information Technology Bureau",
        ),
        (Bureau::Finance, "南京市财政局", "Nanjing Finance Bureau"),
        (
            Bureau::Statistics,
            "南京市统计局",
            "Nanjing Statistics Bureau",
        ),
    ];
    let mut health_commission = None;
    let mut bureaus = Vec::new();
    for (bureau, zh, en) in bureau_names {
        let org = b
            .org(NewOrganisation {
                bureau: Some(bureau),
                ..named(K::MunicipalBureau, zh, en, None)
            })
            .await?;
        if bureau == Bureau::HealthCommission {
            health_commission = Some(org.clone());
        }
        bureaus.push((bureau, org));
    }
    let mut district_govs = Vec::new();
    for d in districts {
        let (zh, en) = if d.code.is_none() {
            (
                format!("{}管理委员会", d.name_zh),
                format!("{} Administrative Committee", d.name_en),
            )
        } else {
            (
                format!("{}人民政府", d.name_zh),
                format!("{} Government", d.name_en),
            )
        };
        district_govs.push(
            b.org(named(K::DistrictGovernment, &zh, &en, Some(&d.key)))
                .await?,
        );
    }

    // Hospitals: the two the seeds name, and ten fictional ones across the districts.
    let mut hospitals = Vec::new();
    for (zh, en, district) in [
        ("南京鼓楼医院", "Nanjing Drum Tower Hospital", "gulou"),
        (
            "鼓楼医院江北国际医院",
            "Drum Tower Hospital Jiangbei International Hospital",
            "jiangbei",
        ),
    ] {
        hospitals.push(
            b.org(NewOrganisation {
                internet_hospital: true,
                ..named(K::Hospital, zh, en, Some(district))
            })
            .await?,
        );
    }
    for (i, d) in districts
        .iter()
        .filter(|d| d.key != "gulou" && d.key != "jiangbei")
        .enumerate()
    {
        let zh = format!(
            "{}示范医院（演示）",
            d.name_zh.trim_end_matches('区').trim_end_matches("新")
        );
        let en = format!(
            "{} Demonstration Hospital (demo)",
            d.name_en.replace(" District", "").replace(" New Area", "")
        );
        // Every fictional hospital but one runs an internet hospital: 11 of 12 in all.
        hospitals.push(
            b.org(NewOrganisation {
                internet_hospital: i != 9,
                ..named(K::Hospital, &zh, &en, Some(&d.key))
            })
            .await?,
        );
    }
    let mut centres = Vec::new();
    let mut pharmacies = Vec::new();
    for d in districts {
        let short = d.name_zh.trim_end_matches('区');
        for n in ["第一", "第二"] {
            let zh = format!("{short}{n}社区卫生服务中心（演示）");
            let en = format!(
                "{} Community Health Centre {} (demo)",
                d.name_en.replace(" District", "").replace(" New Area", ""),
                if n == "第一" { 1 } else { 2 }
            );
            centres.push(
                b.org(named(K::CommunityHealthCentre, &zh, &en, Some(&d.key)))
                    .await?,
            );
        }
        let zh = format!("{short}康民大药房（演示）");
        let en = format!(
            "{} Kangmin Pharmacy (demo)",
            d.name_en.replace(" District", "").replace(" New Area", "")
        );
        pharmacies.push(b.org(named(K::Pharmacy, &zh, &en, Some(&d.key))).await?);
    }

    // Companies: fictional, with valid codes in their district's region.
    let mut companies = Vec::new();
    for i in 0..36 {
        let d = &districts[i % districts.len()];
        let word = COMPANY_WORDS[rng.gen_range(0..COMPANY_WORDS.len())];
        let (segment_zh, segment_en) = SEGMENTS[rng.gen_range(0..SEGMENTS.len())];
        let zh = format!("南京{word}{segment_zh}有限公司（演示{:02}）", i + 1);
        let en = format!("Nanjing {word} {segment_en} Co., Ltd. (demo {:02})", i + 1);
        let region = d.code.clone().unwrap_or_else(|| "320111".into());
        let code = uscc(&mut rng, &region);
        companies.push(
            b.org(NewOrganisation {
                uscc: Some(code),
                ..named(K::Company, &zh, &en, Some(&d.key))
            })
            .await?,
        );
    }
    let mut universities = Vec::new();
    for (zh, en) in [
        ("中国药科大学", "China Pharmaceutical University"),
        ("南京医科大学", "Nanjing Medical University"),
        ("南京大学", "Nanjing University"),
        ("东南大学", "Southeast University"),
    ] {
        universities.push(b.org(named(K::University, zh, en, None)).await?);
    }
    b.org(named(
        K::ResearchInstitute,
        "南京生命健康研究院（演示）",
        "Nanjing Life-Health Research Institute (demo)",
        Some("jiangbei"),
    ))
    .await?;
    let mut investors = Vec::new();
    for (zh, en) in [
        (
            "紫金山创业投资有限公司（演示）",
            "Zijinshan Venture Capital (demo)",
        ),
        (
            "长江生命健康产业基金（演示）",
            "Changjiang Life-Health Fund (demo)",
        ),
        (
            "金陵天使投资合伙企业（演示）",
            "Jinling Angel Partners (demo)",
        ),
        (
            "秦淮医疗健康投资有限公司（演示）",
            "Qinhuai Health Investment (demo)",
        ),
    ] {
        investors.push(b.org(named(K::InvestmentInstitution, zh, en, None)).await?);
    }
    let ethics = b
        .org(NewOrganisation {
            parent_id: Some(hospitals[2].id.clone()),
            ..named(
                K::EthicsCommittee,
                "区域医学伦理委员会（演示）",
                "Regional Medical Ethics Committee (demo)",
                None,
            )
        })
        .await?;

    let health_commission =
        health_commission.ok_or_else(|| DemoError::Inconsistent("no health commission".into()))?;
    let gulou_gov = district_govs
        .iter()
        .find(|g| g.district.as_deref() == Some("gulou"))
        .ok_or_else(|| DemoError::Inconsistent("no Gulou government".into()))?
        .clone();
    let gulou_centre = centres
        .iter()
        .find(|c| c.district.as_deref() == Some("gulou"))
        .ok_or_else(|| DemoError::Inconsistent("no Gulou centre".into()))?
        .clone();
    let own = |o: &Organisation| Scope::Organisation(o.id.clone());
    let accounts_plan: [(&str, &Organisation, Scope); 12] = [
        ("admin", &operator, Scope::City),
        ("health.official", &health_commission, Scope::City),
        (
            "gulou.official",
            &gulou_gov,
            Scope::District("gulou".into()),
        ),
        ("doctor", &hospitals[0], own(&hospitals[0])),
        ("pharmacist", &hospitals[0], own(&hospitals[0])),
        ("community.doctor", &gulou_centre, own(&gulou_centre)),
        ("resident", &public, Scope::Own),
        ("company", &companies[0], own(&companies[0])),
        ("researcher", &universities[1], own(&universities[1])),
        ("investor", &investors[0], own(&investors[0])),
        ("reviewer", &ethics, Scope::City),
        // The health commission's data office reviews research requests city-wide.
        ("steward", &health_commission, Scope::City),
    ];
    for ((username, org, scope), (expected, role)) in accounts_plan.into_iter().zip(DEMO_ACCOUNTS) {
        if username != expected {
            return Err(DemoError::Inconsistent(format!(
                "account plan out of order at {username}"
            )));
        }
        let name = person_name(&mut rng);
        let phone = mobile(&mut rng);
        b.user(username, &name, org, role, scope, Some(phone))
            .await?;
    }
    // Staff so that lists have people in them.
    for (i, h) in hospitals.iter().enumerate() {
        for j in 0..2 {
            let name = person_name(&mut rng);
            let phone = mobile(&mut rng);
            b.user(
                &format!("doctor{:02}{j}", i + 1),
                &name,
                h,
                Role::HospitalDoctor,
                own(h),
                Some(phone),
            )
            .await?;
        }
    }
    for (i, c) in centres.iter().enumerate() {
        let name = person_name(&mut rng);
        let phone = mobile(&mut rng);
        b.user(
            &format!("family.doctor{:02}", i + 1),
            &name,
            c,
            Role::CommunityDoctor,
            own(c),
            Some(phone),
        )
        .await?;
    }
    let _ = pharmacies;
    // The industry side's officials and experts, after everyone else so the rest of the city
    // stays as it was; their names come from a generator of their own.
    let mut names = ChaCha8Rng::seed_from_u64(SEED ^ 0x1D5);
    let bureau = |which: Bureau| {
        bureaus
            .iter()
            .find(|(b, _)| *b == which)
            .map(|(_, o)| o.clone())
            .ok_or_else(|| DemoError::Inconsistent(format!("no {} bureau", which.code())))
    };
    let staff: [(&str, Organisation); 8] = [
        ("st.official", bureau(Bureau::ScienceTechnology)?),
        ("industry.official", bureau(Bureau::IndustryInformation)?),
        ("mi.official", bureau(Bureau::MedicalInsurance)?),
        ("finance.official", bureau(Bureau::Finance)?),
        ("expert", universities[0].clone()),
        ("st.deputy", bureau(Bureau::ScienceTechnology)?),
        ("expert2", universities[2].clone()),
        ("expert3", universities[3].clone()),
    ];
    for (username, org) in &staff {
        let role = DEMO_ACCOUNTS
            .iter()
            .chain(INDUSTRY_STAFF.iter())
            .find(|(u, _)| u == username)
            .map(|(_, r)| *r)
            .ok_or_else(|| DemoError::Inconsistent(format!("no role for {username}")))?;
        let name = person_name(&mut names);
        b.user(username, &name, org, role, Scope::City, None)
            .await?;
    }
    Ok(b.summary)
}
