//! The demo's industry side (issue 6), all synthetic and marked so: the 36 demo companies and
//! 164 more (fictional, without accounts) in the register with three years of figures,
//! qualifications and product pipelines; this year's Nanjing 2022 tiers selected, approved and
//! published, with a support plan for the demo company; a programme of the S&T bureau with
//! applications at every step (one awarded and half paid, one on notice, one with the
//! experts, one waiting for pre-review); the demo company's approved drug on the medical
//! insurance list, listed on the provincial platform 45 days ago, adopted on time by the demo
//! hospital, late by one, and overdue at the rest (the overdue scan raises their alerts).

use std::sync::Arc;

use access::{Accounts, Bureau, OrganisationKind, Principal};
use awards::{Applicant, Awards, NewAttachment, NewProgramme, PreReview, Submission};
use cultivation::{Change, Cultivation, NewAction};
use greenchannel::GreenChannel;
use industry::{
    DeviceClass, DrugClass, Industry, NewCompany, NewProduct, NewQualification, NewStageEvent,
    ProductKind, QualificationKind, Segment, Stage, YearFigures,
};
use jiff::ToSpan;
use jiff::civil::Date;
use kernel::UtcMillis;
use policy::{Facts, Money};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{DEMO_PASSWORD, DemoError, SEED};

/// What was set up.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IndustrySummary {
    pub companies: usize,
    pub products: usize,
    pub pool_members: usize,
    pub applications: usize,
    pub overdue_alerts: usize,
}

/// The services the industry demo writes through.
pub struct IndustryServices<'a> {
    pub accounts: &'a Accounts,
    pub industry: &'a Industry,
    pub cultivation: &'a Cultivation,
    pub awards: &'a Awards,
    pub greenchannel: &'a GreenChannel,
}

/// The seed's own base names for the districts that host them (nanjing-2020 三（一）1).
fn park(district: &str) -> Option<&'static str> {
    match district {
        "jiangbei" => Some("基因细胞工程基地（江北新区）"),
        "jiangning" => Some("细胞工程基地（江宁区）"),
        "qixia" => Some("新药研制基地（栖霞区）"),
        "gaochun" => Some("医学工程基地（高淳区）"),
        _ => None,
    }
}

const EXTRA_WORDS: [&str; 12] = [
    "博远", "康泰", "华益", "瑞生", "启元", "恒济", "安诺", "德和", "明康", "新澜", "致远", "正和",
];
const EXTRA_KINDS: [(&str, Segment); 8] = [
    ("生物医药", Segment::Biologics),
    ("医药科技", Segment::ChemicalDrugs),
    ("细胞科技", Segment::CellGene),
    ("医疗器械", Segment::MedicalDevices),
    ("诊断技术", Segment::Ivd),
    ("医药研发", Segment::Cxo),
    ("中药", Segment::ModernTcm),
    ("智慧医疗", Segment::BtIt),
];

struct Registered {
    id: String,
    name: String,
}

pub async fn generate_industry(
    s: IndustryServices<'_>,
    now: UtcMillis,
) -> Result<IndustrySummary, DemoError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 0x1D6);
    let today = now.city_date();
    let st = sign_in(s.accounts, "st.official").await?;
    let mut summary = IndustrySummary::default();
    let mut orgs = s
        .accounts
        .organisations_of_kind(OrganisationKind::Company, None)
        .await?;
    // The demo company (the `company` account's) first: it applies, nominates, has a plan.
    let demo_company = sign_in(s.accounts, "company").await?;
    orgs.sort_by_key(|o| o.id != demo_company.organisation.id);
    let districts = city::districts().all();

    // ---- the register -------------------------------------------------------------------
    let mut companies: Vec<Registered> = Vec::new();
    let mut demo_drug: Option<(String, String, String)> = None;
    for i in 0..200usize {
        let (name, uscc, org, district) = match orgs.get(i) {
            Some(o) => (
                o.name_zh.clone(),
                o.uscc.clone().unwrap_or_default(),
                Some(o.id.clone()),
                o.district.clone().unwrap_or_else(|| "gulou".into()),
            ),
            None => {
                let d = &districts[rng.gen_range(0..districts.len())];
                let word = EXTRA_WORDS[rng.gen_range(0..EXTRA_WORDS.len())];
                let (kind, _) = EXTRA_KINDS[i % EXTRA_KINDS.len()];
                let region = d.code.clone().unwrap_or_else(|| "320111".into());
                (
                    format!("南京{word}{kind}有限公司（合成数据{:03}）", i + 1),
                    crate::uscc(&mut rng, &region),
                    None,
                    d.key.clone(),
                )
            }
        };
        // The demo company develops drugs: its approved one goes on the product list.
        let segment = if i == 0 {
            Segment::ChemicalDrugs
        } else if i < orgs.len() {
            [
                Segment::ChemicalDrugs,
                Segment::Biologics,
                Segment::CellGene,
                Segment::CellGene,
                Segment::MedicalDevices,
                Segment::Ivd,
                Segment::Cxo,
                Segment::ModernTcm,
            ][rng.gen_range(0..8)]
        } else {
            EXTRA_KINDS[i % EXTRA_KINDS.len()].1
        };
        let founded = Date::new(
            rng.gen_range(2003..2022),
            rng.gen_range(1..=12),
            rng.gen_range(1..=28),
        )
        .map_err(err)?;
        let company = s
            .industry
            .register_company(
                &st,
                NewCompany {
                    uscc,
                    name: name.clone(),
                    organisation_id: org,
                    district: district.clone(),
                    park: park(&district).map(str::to_owned),
                    segments: vec![segment],
                    founded,
                    paid_in_capital_yuan: rng.gen_range(5..500) * 1_000_000,
                    listed: rng.gen_bool(0.06),
                },
            )
            .await
            .map_err(|e| err(e.message_en()))?;
        // Three years of figures: revenue from 5百万 to 3亿 (a few above), R&D 5-40%.
        let scale: f64 = (rng.gen_range(15.5f64..19.8)).exp();
        for (k, year) in (today.year() - 3..today.year()).enumerate() {
            if founded.year() > year {
                continue;
            }
            let revenue = (scale * (1.0 + 0.12 * k as f64) * rng.gen_range(0.9..1.1)) as i64;
            let f = YearFigures {
                year,
                revenue_yuan: revenue,
                rd_spend_yuan: (revenue as f64 * rng.gen_range(0.05..0.4)) as i64,
                staff: (revenue / 900_000).clamp(8, 5000),
                output_yuan: (revenue as f64 * rng.gen_range(0.8..1.2)) as i64,
                tax_yuan: None,
            };
            s.industry
                .record_year(&st, &company.id, f.clone())
                .await
                .map_err(|e| err(e.message_en()))?;
        }
        for (kind, p) in [
            (QualificationKind::HighTech, 0.6),
            (QualificationKind::SrdiProvince, 0.2),
            (QualificationKind::LittleGiant, 0.05),
            (QualificationKind::Gcp, 0.04),
            (QualificationKind::Glp, 0.03),
        ] {
            if rng.gen_bool(p) {
                let obtained = today
                    .checked_sub(rng.gen_range(60..1000).days())
                    .map_err(err)?;
                let detail = match kind {
                    QualificationKind::Gcp => Some(rng.gen_range(1..6)),
                    QualificationKind::Glp => Some([3, 5][rng.gen_range(0..2)]),
                    _ => None,
                };
                s.industry
                    .add_qualification(
                        &st,
                        &company.id,
                        NewQualification {
                            kind,
                            obtained,
                            expires: obtained.checked_add(3.years()).ok(),
                            evidence: format!(
                                "GR{}{:06}",
                                obtained.year(),
                                rng.gen_range(0..999_999)
                            ),
                            detail,
                        },
                    )
                    .await
                    .map_err(|e| err(e.message_en()))?;
            }
        }
        let drug = pipeline(&s, &st, &mut rng, &company.id, segment, today, i == 0).await?;
        if i == 0 {
            demo_drug = drug;
        }
        summary.products += usize::from(segment != Segment::Cxo);
        companies.push(Registered {
            id: company.id,
            name,
        });
        summary.companies += 1;
    }

    // ---- cultivation pools --------------------------------------------------------------
    let deputy = sign_in(s.accounts, "st.deputy").await?;
    let year = i32::from(today.year());
    let candidates = cultivation::register::from_register(s.industry, &st, year, today)
        .await
        .map_err(|e| err(e.message_en()))?
        .candidates;
    let proposal = s
        .cultivation
        .propose(&st, "nanjing-2022-tiers", year, &candidates)
        .await
        .map_err(|e| err(e.message_en()))?;
    // The bureau moves the demo company up a tier, with its reason on the record.
    if let Some(entry) = proposal
        .entries
        .iter()
        .find(|e| e.company_id == companies[0].id && e.pool.as_deref() != Some("leading"))
    {
        let target = if entry.pool.is_none() {
            Change::Include("potential".into())
        } else {
            Change::Move("breakthrough".into())
        };
        let _ = s
            .cultivation
            .amend(
                &st,
                &proposal.id,
                &entry.company_id,
                target,
                "该企业一类新药已进入临床Ⅱ期，并获GCP资质，产业化前景明确，经专班研究调整",
            )
            .await;
    }
    s.cultivation
        .submit(&st, &proposal.id)
        .await
        .map_err(|e| err(e.message_en()))?;
    s.cultivation
        .approve(&deputy, &proposal.id)
        .await
        .map_err(|e| err(e.message_en()))?;
    let published = s
        .cultivation
        .publish(&st, &proposal.id)
        .await
        .map_err(|e| err(e.message_en()))?;
    summary.pool_members = published
        .entries
        .iter()
        .filter(|e| e.pool.is_some())
        .count();
    // Next year's potential leaders (nanjing-2020): proposed, awaiting review.
    s.cultivation
        .propose(&st, "nanjing-2020-potential-leaders", year, &candidates)
        .await
        .map_err(|e| err(e.message_en()))?;
    if published
        .entries
        .iter()
        .any(|e| e.company_id == companies[0].id && e.pool.is_some())
    {
        let plan = s
            .cultivation
            .create_plan(
                &st,
                &companies[0].id,
                "nanjing-2022-tiers",
                year,
                "推动一类新药完成Ⅱ期临床并启动Ⅲ期；申报市级临床医学研究协作项目",
            )
            .await
            .map_err(|e| err(e.message_en()))?;
        for (what, bureau, days) in [
            (
                "协调鼓楼医院牵头多中心临床试验伦理互认",
                Bureau::HealthCommission,
                45i64,
            ),
            (
                "对接新医药与生命健康产业子基金开展融资路演",
                Bureau::IndustryInformation,
                -10,
            ),
        ] {
            s.cultivation
                .add_action(
                    &st,
                    &plan.id,
                    NewAction {
                        what: what.into(),
                        owner_bureau: bureau,
                        owner_user: None,
                        due: today.checked_add(days.days()).map_err(err)?,
                    },
                )
                .await
                .map_err(|e| err(e.message_en()))?;
        }
    }

    // ---- a programme and its applications -------------------------------------------------
    summary.applications = applications(&s, &st, &orgs, &companies, now).await?;

    // ---- the innovation product list and hospital adoption --------------------------------
    if let Some(drug) = demo_drug {
        summary.overdue_alerts = product_list(&s, &companies[0], drug, now).await?;
    }
    Ok(summary)
}

/// A company's products and their dated stages; returns the demo company's approved drug as
/// (id, name, approval number).
async fn pipeline(
    s: &IndustryServices<'_>,
    st: &Principal,
    rng: &mut ChaCha8Rng,
    company_id: &str,
    segment: Segment,
    today: Date,
    demo_company: bool,
) -> Result<Option<(String, String, String)>, DemoError> {
    let mut approved = None;
    // A drug's stages in order, as the register's funnel counts them.
    let drug_stages = industry::DRUG_FUNNEL;
    let drugs = match segment {
        Segment::ChemicalDrugs | Segment::Biologics | Segment::CellGene | Segment::ModernTcm => {
            rng.gen_range(0..3) + usize::from(demo_company) * 2
        }
        _ => 0,
    };
    for d in 0..drugs {
        let class = match segment {
            Segment::Biologics | Segment::CellGene => [
                DrugClass::Biological1,
                DrugClass::Biological2,
                DrugClass::Biosimilar,
            ][rng.gen_range(0..3)],
            Segment::ModernTcm => [DrugClass::Tcm1, DrugClass::Tcm2][rng.gen_range(0..2)],
            _ => [DrugClass::Chemical1, DrugClass::Chemical2][rng.gen_range(0..2)],
        };
        // The demo company: one drug approved (for the product list), one in phase II.
        let reach = if demo_company {
            [8, 3][d.min(1)]
        } else {
            rng.gen_range(0..drug_stages.len())
        };
        let started = today
            .checked_sub(((reach as i64 + 2) * 300).days())
            .map_err(err)?;
        let product = s
            .industry
            .add_product(
                st,
                NewProduct {
                    company_id: company_id.to_owned(),
                    name: format!(
                        "{}-{:02}（合成数据）",
                        ["注射用", "片", "胶囊", "单抗注射液"][rng.gen_range(0..4)],
                        d + 1
                    ),
                    kind: ProductKind::Drug { class },
                    started,
                },
            )
            .await
            .map_err(|e| err(e.message_en()))?;
        let mut on = started;
        let mut number = String::new();
        for stage in &drug_stages[..=reach] {
            on = on
                .checked_add(rng.gen_range(120..300).days())
                .map_err(err)?
                .min(today);
            number = format!(
                "{}{:08}",
                if *stage == Stage::ManufacturingApproval {
                    "国药准字H2"
                } else {
                    "CXHL2"
                },
                rng.gen_range(0..99_999_999)
            );
            s.industry
                .record_stage(
                    st,
                    &product.id,
                    NewStageEvent {
                        stage: *stage,
                        on,
                        evidence: number.clone(),
                        evidence_sha256: None,
                        skips_with_reason: None,
                        first_in_country: false,
                    },
                )
                .await
                .map_err(|e| err(e.message_en()))?;
        }
        if reach == 8 && demo_company && approved.is_none() {
            approved = Some((product.id.clone(), product.name.clone(), number));
        }
    }
    if matches!(segment, Segment::MedicalDevices | Segment::Ivd) {
        let class = if rng.gen_bool(0.4) {
            DeviceClass::III
        } else {
            DeviceClass::II
        };
        let started = today
            .checked_sub(rng.gen_range(400..1500).days())
            .map_err(err)?;
        let product = s
            .industry
            .add_product(
                st,
                NewProduct {
                    company_id: company_id.to_owned(),
                    name: format!(
                        "{}（合成数据）",
                        [
                            "一次性使用血管内导管",
                            "全自动化学发光免疫分析仪",
                            "心电监护仪",
                            "新冠抗原检测试剂盒"
                        ][rng.gen_range(0..4)]
                    ),
                    kind: ProductKind::Device {
                        class,
                        innovative_special_review: false,
                    },
                    started,
                },
            )
            .await
            .map_err(|e| err(e.message_en()))?;
        if rng.gen_bool(0.7) {
            let on = started
                .checked_add(rng.gen_range(200..390).days())
                .map_err(err)?
                .min(today);
            s.industry
                .record_stage(
                    st,
                    &product.id,
                    NewStageEvent {
                        stage: Stage::RegistrationCertificate,
                        on,
                        evidence: format!(
                            "苏械注准{}2{:07}",
                            on.year(),
                            rng.gen_range(0..9_999_999)
                        ),
                        evidence_sha256: None,
                        skips_with_reason: None,
                        first_in_country: false,
                    },
                )
                .await
                .map_err(|e| err(e.message_en()))?;
        }
    }
    Ok(approved)
}

/// The S&T bureau's programme this year and the demo company's applications at each step.
async fn applications(
    s: &IndustryServices<'_>,
    st: &Principal,
    orgs: &[access::Organisation],
    companies: &[Registered],
    now: UtcMillis,
) -> Result<usize, DemoError> {
    let today = now.city_date();
    let company = sign_in(s.accounts, "company").await?;
    let finance = sign_in(s.accounts, "finance.official").await?;
    let experts = [
        sign_in(s.accounts, "expert").await?,
        sign_in(s.accounts, "expert2").await?,
        sign_in(s.accounts, "expert3").await?,
        sign_in(s.accounts, "reviewer").await?,
    ];
    // Applications start in the past: the service runs on a clock the demo moves forward.
    let clock = Arc::new(std::sync::atomic::AtomicI64::new(now.0 - 70 * 86_400_000));
    let c = clock.clone();
    let awards = s.awards.clone().with_clock(Arc::new(move || {
        UtcMillis(c.load(std::sync::atomic::Ordering::SeqCst))
    }));
    let set = |days_ago: i64| {
        clock.store(
            now.0 - days_ago * 86_400_000,
            std::sync::atomic::Ordering::SeqCst,
        )
    };
    let programme = awards
        .create_programme(
            st,
            NewProgramme {
                name_zh: format!("{}年度南京市生命健康科技专项（演示）", today.year()),
                name_en: format!("{} Nanjing life-health S&T programme (demo)", today.year()),
                year: today.year(),
                budget_yuan: Money::wan(5000).0,
                clauses: [
                    "nanjing-2022/3-3/general-project",
                    "nanjing-2022/3-3/major-breakthrough",
                    "nanjing-2022/3-3/multi-centre-trial",
                    "nanjing-2022/3-3/medical-engineering",
                    "nanjing-2022/3-4/public-platform",
                    "nanjing-2022/3-2/clinical-research-centre",
                ]
                .map(str::to_owned)
                .to_vec(),
                opens_on: today.checked_sub(80.days()).map_err(err)?,
                closes_on: today.checked_add(40.days()).map_err(err)?,
            },
        )
        .await
        .map_err(|e| err(e.to_string()))?;
    let demo = &companies[0];
    let applicant = Applicant {
        company_id: demo.id.clone(),
        name: demo.name.clone(),
        organisation_id: orgs.first().map(|o| o.id.clone()).unwrap_or_default(),
    };
    let project = |id: &str, title: &str, rd_wan: i64| Submission {
        programme_id: programme.id.clone(),
        applicant: applicant.clone(),
        clause_id: "nanjing-2022/3-3/general-project".into(),
        title: title.into(),
        facts: Facts::new()
            .choice("city", "nanjing")
            .choice("province", "jiangsu")
            .text("project_id", id)
            .choice("project_type", "general")
            .money("project_rd_spend", Money::wan(rd_wan)),
        requested_yuan: None,
        attachments: vec![NewAttachment {
            kind: "business-licence".into(),
            file_name: "营业执照（合成数据）.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4 synthetic demo document".to_vec(),
        }],
    };
    let score_all = |awards: Awards, id: String, base: u32| {
        let experts = experts.clone();
        async move {
            for a in awards
                .assignments_of(&id)
                .await
                .map_err(|e| err(e.to_string()))?
            {
                if let Some(e) = experts.iter().find(|e| e.user_id == a.expert_user_id) {
                    awards
                        .score(
                            e,
                            &id,
                            vec![base, base + 5, base, base - 5, base],
                            "技术路线清晰，产业化前景较好（演示）",
                        )
                        .await
                        .map_err(|e| err(e.to_string()))?;
                }
            }
            Ok::<(), DemoError>(())
        }
    };
    let mut count = 0;
    // 1. Awarded and half paid.
    set(70);
    let a = awards
        .submit(
            &company,
            project(
                "R-2026-01",
                "长效GLP-1受体激动剂口服制剂临床前研究（演示）",
                900,
            ),
        )
        .await
        .map_err(|e| err(e.to_string()))?;
    set(66);
    awards
        .pre_review(st, &a.id, PreReview::Pass)
        .await
        .map_err(|e| err(e.to_string()))?;
    set(55);
    score_all(awards.clone(), a.id.clone(), 82).await?;
    set(50);
    awards
        .recommend(st, &a.id, Money::wan(150).0, "")
        .await
        .map_err(|e| err(e.to_string()))?;
    awards
        .publish_notice(st, &a.id)
        .await
        .map_err(|e| err(e.to_string()))?;
    set(40);
    awards
        .award(st, &a.id)
        .await
        .map_err(|e| err(e.to_string()))?;
    set(30);
    let paid_on = today.checked_sub(30.days()).map_err(err)?;
    awards
        .disburse(&finance, &a.id, Money::wan(75).0, paid_on, "NJCZ-演示-0001")
        .await
        .map_err(|e| err(e.to_string()))?;
    count += 1;
    // 2. On notice now.
    set(30);
    let b = awards
        .submit(
            &company,
            project("R-2026-02", "肿瘤早筛多组学检测试剂研发（演示）", 1200),
        )
        .await
        .map_err(|e| err(e.to_string()))?;
    set(25);
    awards
        .pre_review(st, &b.id, PreReview::Pass)
        .await
        .map_err(|e| err(e.to_string()))?;
    set(12);
    score_all(awards.clone(), b.id.clone(), 76).await?;
    set(3);
    awards
        .recommend(st, &b.id, Money::wan(180).0, "")
        .await
        .map_err(|e| err(e.to_string()))?;
    awards
        .publish_notice(st, &b.id)
        .await
        .map_err(|e| err(e.to_string()))?;
    count += 1;
    // 3. With the experts (the demo expert has it to score).
    set(8);
    let c3 = awards
        .submit(
            &company,
            project("R-2026-03", "CAR-T细胞制备工艺优化（演示）", 600),
        )
        .await
        .map_err(|e| err(e.to_string()))?;
    set(5);
    awards
        .pre_review(st, &c3.id, PreReview::Pass)
        .await
        .map_err(|e| err(e.to_string()))?;
    count += 1;
    // 4. Waiting for pre-review.
    set(1);
    awards
        .submit(
            &company,
            project("R-2026-04", "智能可穿戴血压监测算法验证（演示）", 300),
        )
        .await
        .map_err(|e| err(e.to_string()))?;
    count += 1;
    // A notice to the demo company about a clause it may qualify for.
    set(0);
    awards
        .send_notice(st, &demo.id, "nanjing-2022/3-3/multi-centre-trial", "company", "经比对企业库信息，贵单位在研一类新药进入Ⅱ期临床，可关注在宁医疗机构牵头的多中心临床试验项目支持（演示）")
        .await
        .map_err(|e| err(e.to_string()))?;
    Ok(count)
}

/// The demo company's approved drug on the medical insurance list, listed 45 days ago.
async fn product_list(
    s: &IndustryServices<'_>,
    company: &Registered,
    (product_id, product_name, number): (String, String, String),
    now: UtcMillis,
) -> Result<usize, DemoError> {
    let today = now.city_date();
    let user = sign_in(s.accounts, "company").await?;
    let mi = sign_in(s.accounts, "mi.official").await?;
    let registered = s
        .industry
        .company(&company.id)
        .await
        .map_err(|e| err(e.message_en()))?;
    let list = "nanjing-2022-mi-innovation";
    let nomination = s
        .greenchannel
        .nominate(
            &user,
            greenchannel::NewNomination {
                list: list.into(),
                product: greenchannel::Product {
                    company_id: company.id.clone(),
                    company_name: company.name.clone(),
                    uscc: registered.uscc.as_str().to_owned(),
                    product_id: product_id.clone(),
                    product_name,
                    kind: greenchannel::ProductKind::Drug,
                    registration_no: number,
                },
                evidence: "药品注册证书（合成数据）".into(),
            },
        )
        .await
        .map_err(|e| err(e.message_en()))?;
    s.greenchannel
        .approve(&mi, &nomination.id)
        .await
        .map_err(|e| err(e.message_en()))?;
    s.greenchannel
        .publish_version(&mi, list, today.checked_sub(50.days()).map_err(err)?)
        .await
        .map_err(|e| err(e.message_en()))?;
    let listed = today.checked_sub(45.days()).map_err(err)?;
    s.greenchannel
        .record_listing(
            &mi,
            &product_id,
            listed,
            "江苏省医药集中采购平台挂网公告（合成数据）",
        )
        .await
        .map_err(|e| err(e.message_en()))?;
    // The demo doctor's hospital adopted within the month; the next one late; the rest not.
    let users = s.accounts.users().await?;
    let mut hospitals = s
        .accounts
        .organisations_of_kind(OrganisationKind::Hospital, None)
        .await?;
    let doctor = sign_in(s.accounts, "doctor").await?;
    hospitals.sort_by_key(|h| h.id != doctor.organisation.id);
    for (i, h) in hospitals.iter().take(2).enumerate() {
        let staff = if i == 0 {
            doctor.clone()
        } else {
            let name = users
                .iter()
                .find(|u| {
                    u.organisation_id == h.id
                        && u.grants
                            .iter()
                            .any(|g| g.role == access::Role::HospitalDoctor)
                })
                .map(|u| u.username.clone())
                .ok_or_else(|| err("a hospital without doctors"))?;
            sign_in(s.accounts, &name).await?
        };
        let on = listed
            .checked_add(if i == 0 { 20.days() } else { 38.days() })
            .map_err(err)?;
        s.greenchannel
            .record_adoption(
                &staff,
                &h.id,
                &product_id,
                on,
                &format!("采购目录{}-{:03}", on.year(), i + 1),
            )
            .await
            .map_err(|e| err(e.message_en()))?;
    }
    let raised = s
        .greenchannel
        .scan(now)
        .await
        .map_err(|e| err(e.message_en()))?;
    Ok(raised.len())
}

async fn sign_in(accounts: &Accounts, username: &str) -> Result<Principal, DemoError> {
    let (token, principal) = accounts
        .login(username, DEMO_PASSWORD)
        .await?
        .map_err(|e| err(format!("demo account {username}: {e:?}")))?;
    accounts.logout(&token).await?;
    Ok(principal)
}

fn err(e: impl std::fmt::Display) -> DemoError {
    DemoError::Inconsistent(format!("demo industry: {e}"))
}
