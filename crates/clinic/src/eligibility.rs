//! Who may consult online and who may be prescribed for, as the national rules set it: pure
//! functions of facts gathered elsewhere, each rule answering with whether it holds, why, and
//! what the patient should do instead. Nothing here reads a database.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::rules::Rules;

/// The rules a consultation or a prescription must pass, in the order pages list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The patient is known by real name (an account bound to a resident ID number).
    RealName,
    /// A child under the guardian age consults only with a guardian present.
    GuardianPresent,
    /// Follow-up only: a definite diagnosis of the condition from an offline visit.
    DefiniteDiagnosis,
    /// The hospital is a designated pilot offering this condition.
    PilotOffersCondition,
    /// The doctor is verified by real name, has the years of practice, and is offered.
    DoctorQualified,
    /// The condition was last found controlled, recently enough.
    ConditionControlled,
    /// The patient shares the record with the care team, so the doctor can review it.
    RecordsShared,
    /// No alert from the patient's readings is open.
    NoOpenAlert,
    /// The regimen has not changed for the set period.
    RegimenStable,
}

impl Rule {
    pub const ALL: [Rule; 9] = [
        Rule::RealName,
        Rule::GuardianPresent,
        Rule::DefiniteDiagnosis,
        Rule::PilotOffersCondition,
        Rule::DoctorQualified,
        Rule::ConditionControlled,
        Rule::RecordsShared,
        Rule::NoOpenAlert,
        Rule::RegimenStable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Rule::RealName => "real-name",
            Rule::GuardianPresent => "guardian-present",
            Rule::DefiniteDiagnosis => "definite-diagnosis",
            Rule::PilotOffersCondition => "pilot-offers-condition",
            Rule::DoctorQualified => "doctor-qualified",
            Rule::ConditionControlled => "condition-controlled",
            Rule::RecordsShared => "records-shared",
            Rule::NoOpenAlert => "no-open-alert",
            Rule::RegimenStable => "regimen-stable",
        }
    }

    pub fn title_zh(self) -> &'static str {
        match self {
            Rule::RealName => "实名就诊",
            Rule::GuardianPresent => "6岁以下儿童须监护人陪同",
            Rule::DefiniteDiagnosis => "仅限复诊：线下已明确诊断",
            Rule::PilotOffersCondition => "试点医院开设该病种",
            Rule::DoctorQualified => "医师实名且具备独立执业年限",
            Rule::ConditionControlled => "病情控制平稳",
            Rule::RecordsShared => "健康档案向诊疗团队共享",
            Rule::NoOpenAlert => "无未处理的健康预警",
            Rule::RegimenStable => "用药方案稳定",
        }
    }

    pub fn title_en(self) -> &'static str {
        match self {
            Rule::RealName => "Real-name patient",
            Rule::GuardianPresent => "Guardian present for a young child",
            Rule::DefiniteDiagnosis => "Follow-up only: a definite offline diagnosis",
            Rule::PilotOffersCondition => "A pilot hospital offering the condition",
            Rule::DoctorQualified => "A verified doctor with the years of practice",
            Rule::ConditionControlled => "Condition controlled",
            Rule::RecordsShared => "Record shared with the care team",
            Rule::NoOpenAlert => "No open alert",
            Rule::RegimenStable => "Regimen stable",
        }
    }
}

/// One rule judged: whether it holds, why, and (when it fails) what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub passed: bool,
    pub reason_zh: String,
    pub reason_en: String,
    /// What the patient can do instead; empty when the rule holds.
    pub advice_zh: String,
    pub advice_en: String,
    /// The rule's source, as cited in the rules file.
    pub source: String,
}

/// Judgements of several rules; the whole passes when each does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub findings: Vec<Finding>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.findings.iter().all(|f| f.passed)
    }

    /// The rules that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.passed)
    }

    pub fn failed(&self, rule: Rule) -> bool {
        self.failures().any(|f| f.rule == rule)
    }
}

/// How the diagnosis behind a follow-up is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DiagnosisBasis {
    /// The resident is on the disease's register, from a record an offline provider sent.
    Registry {
        enrolment_id: String,
        source_organisation: String,
        since: Date,
    },
    /// The patient uploaded an outpatient record, discharge summary or diagnosis certificate
    /// with the request; it counts once the doctor accepts it.
    Document { accepted: bool },
}

/// What the platform knows of a patient for one condition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PatientFacts {
    /// Age in whole years on the day judged; None when the birth date is unknown.
    pub age_years: Option<u32>,
    /// The platform holds the patient's resident ID number.
    pub real_name: bool,
    /// Someone other than the patient (an authorised household member) made the request.
    pub booked_by_proxy: bool,
    /// The person booking declared that a guardian will be present.
    pub guardian_present: bool,
    pub diagnosis: Option<DiagnosisBasis>,
    /// The last follow-up on the register: its day and whether it found the disease controlled.
    pub last_followup: Option<(Date, Option<bool>)>,
    /// Danger-sign alerts raised for the patient and not yet resolved.
    pub open_alerts: u32,
    /// The doctor may read the record (the patient shares it with the care team).
    pub records_shared: bool,
    /// The latest day a medicine was started or changed; None when no medicine is recorded.
    pub regimen_changed_on: Option<Date>,
}

/// What the platform knows of a doctor, her hospital and the condition asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DoctorFacts {
    pub real_name_verified: bool,
    /// First day of independent clinical practice; None when not on file.
    pub practising_since: Option<Date>,
    /// The hospital is a designated pilot.
    pub hospital_is_pilot: bool,
    /// The pilot offers this doctor.
    pub doctor_offered: bool,
    /// The pilot offers this condition.
    pub condition_offered: bool,
}

/// May this patient ask for an online follow-up of this condition? (Real name, guardian,
/// definite diagnosis; an uploaded document is enough to ask, the doctor then decides.)
pub fn may_request(patient: &PatientFacts, rules: &Rules) -> Verdict {
    let mut v = Verdict::default();
    v.findings.push(real_name(patient, rules));
    v.findings.push(guardian(patient, rules));
    v.findings.push(diagnosis(patient, rules, false));
    v
}

/// May this doctor of this hospital consult on this condition, on `today`?
pub fn may_consult(doctor: &DoctorFacts, today: Date, rules: &Rules) -> Verdict {
    let mut v = Verdict::default();
    let pilot = &rules.pilots.count;
    v.findings.push(if !doctor.hospital_is_pilot {
        fail(
            Rule::PilotOffersCondition,
            "该医院不是卫生健康委指定的在线方便门诊试点医院".into(),
            "The hospital is not one of the health commission's designated pilots".into(),
            "请选择试点医院".into(),
            "Choose a pilot hospital".into(),
            cite(rules, pilot),
        )
    } else if !doctor.condition_offered {
        fail(
            Rule::PilotOffersCondition,
            "该试点医院未开设此病种的在线复诊".into(),
            "This pilot does not offer online follow-up for the condition".into(),
            "请选择开设该病种的试点医院".into(),
            "Choose a pilot that offers the condition".into(),
            cite(rules, pilot),
        )
    } else {
        pass(
            Rule::PilotOffersCondition,
            "试点医院开设该病种".into(),
            "The pilot offers the condition".into(),
            cite(rules, pilot),
        )
    });
    let years = &rules.doctors.min_practice_years;
    let since = doctor.practising_since;
    let experienced = since.is_some_and(|s| {
        today
            .checked_sub(i64::from(years.value).years())
            .is_ok_and(|threshold| s <= threshold)
    });
    v.findings.push(if !doctor.real_name_verified {
        fail(
            Rule::DoctorQualified,
            "医师尚未完成实名认证".into(),
            "The doctor's real-name verification is not done".into(),
            "请选择其他医师".into(),
            "Choose another doctor".into(),
            cite(rules, years),
        )
    } else if !experienced {
        fail(
            Rule::DoctorQualified,
            format!("医师独立临床工作经验不足{}年", years.value),
            format!(
                "The doctor has less than {} years of independent practice",
                years.value
            ),
            "请选择其他医师".into(),
            "Choose another doctor".into(),
            cite(rules, years),
        )
    } else if !doctor.doctor_offered {
        fail(
            Rule::DoctorQualified,
            "该医师未在试点医院的在线方便门诊出诊".into(),
            "The doctor does not work in the pilot's online clinic".into(),
            "请选择出诊医师".into(),
            "Choose a doctor of the online clinic".into(),
            cite(rules, years),
        )
    } else {
        pass(
            Rule::DoctorQualified,
            format!("医师已实名认证，独立执业满{}年", years.value),
            format!(
                "Verified doctor with at least {} years of practice",
                years.value
            ),
            cite(rules, years),
        )
    });
    v
}

/// May the doctor prescribe online for this patient on `today`? Definite diagnosis (a
/// document counts only once accepted), condition controlled recently, no open danger sign,
/// regimen unchanged for the set period.
pub fn may_prescribe(patient: &PatientFacts, today: Date, rules: &Rules) -> Verdict {
    let mut v = Verdict::default();
    v.findings.push(shared(patient, rules));
    v.findings.push(diagnosis(patient, rules, true));
    v.findings.push(controlled(patient, today, rules));
    v.findings.push(no_danger(patient, rules));
    v.findings.push(regimen(patient, today, rules));
    v
}

fn real_name(patient: &PatientFacts, rules: &Rules) -> Finding {
    let source = rules.cite(&rules.principles.real_name.source);
    if patient.real_name {
        pass(
            Rule::RealName,
            "已实名".into(),
            "Known by real name".into(),
            source,
        )
    } else {
        fail(
            Rule::RealName,
            "平台没有患者的居民身份证号码，不能实名就诊".into(),
            "The platform holds no resident ID number for the patient, so the visit cannot be real-name".into(),
            "请到社区卫生服务中心或医院完成实名登记后再预约".into(),
            "Register your real name at a community health centre or hospital, then book".into(),
            source,
        )
    }
}

fn guardian(patient: &PatientFacts, rules: &Rules) -> Finding {
    let limit = &rules.patients.guardian_under_years;
    let source = cite(rules, limit);
    let young = patient.age_years.is_none_or(|a| a < limit.value);
    if !young {
        return pass(
            Rule::GuardianPresent,
            format!("患者已满{}岁", limit.value),
            format!("The patient is {} or older", limit.value),
            source,
        );
    }
    if patient.booked_by_proxy && patient.guardian_present {
        pass(
            Rule::GuardianPresent,
            "监护人代为预约并确认全程陪同".into(),
            "A guardian booked and will be present".into(),
            source,
        )
    } else {
        let (zh, en) = if patient.age_years.is_none() {
            (
                "患者出生日期不详，按未满6岁儿童处理".to_owned(),
                "The patient's birth date is unknown, so the child rule applies".to_owned(),
            )
        } else {
            (
                format!("患者未满{}岁，须由监护人预约并全程陪同", limit.value),
                format!(
                    "The patient is under {}: a guardian must book and be present",
                    limit.value
                ),
            )
        };
        fail(
            Rule::GuardianPresent,
            zh,
            en,
            "请由已获授权的家庭成员（监护人）代为预约，并确认陪同".into(),
            "Have an authorised household member (the guardian) book and confirm presence".into(),
            source,
        )
    }
}

fn diagnosis(patient: &PatientFacts, rules: &Rules, must_be_accepted: bool) -> Finding {
    let source = rules.cite(&rules.principles.follow_up_only.source);
    let advice_zh =
        "互联网诊疗不提供首诊：请先到线下医院就诊明确诊断，或上传门诊病历、出院小结或诊断证明";
    let advice_en = "No first visits online: see a doctor in person for a diagnosis first, or upload an outpatient record, discharge summary or diagnosis certificate";
    match &patient.diagnosis {
        Some(DiagnosisBasis::Registry { since, .. }) => pass(
            Rule::DefiniteDiagnosis,
            format!("线下诊断已登记于单病种数据库（{since}）"),
            format!("An offline diagnosis is on the register (since {since})"),
            source,
        ),
        Some(DiagnosisBasis::Document { accepted: true }) => pass(
            Rule::DefiniteDiagnosis,
            "医师已采信上传的诊断材料".into(),
            "The doctor accepted the uploaded diagnosis".into(),
            source,
        ),
        Some(DiagnosisBasis::Document { accepted: false }) if !must_be_accepted => pass(
            Rule::DefiniteDiagnosis,
            "已上传诊断材料，待医师确认".into(),
            "A diagnosis document is uploaded for the doctor to accept".into(),
            source,
        ),
        Some(DiagnosisBasis::Document { accepted: false }) => fail(
            Rule::DefiniteDiagnosis,
            "上传的诊断材料尚未被医师采信".into(),
            "The doctor has not accepted the uploaded diagnosis".into(),
            advice_zh.into(),
            advice_en.into(),
            source,
        ),
        None => fail(
            Rule::DefiniteDiagnosis,
            "单病种数据库中没有该病的线下诊断记录".into(),
            "The register holds no offline diagnosis of the condition".into(),
            advice_zh.into(),
            advice_en.into(),
            source,
        ),
    }
}

fn controlled(patient: &PatientFacts, today: Date, rules: &Rules) -> Finding {
    let window = &rules.stability.control_evidence_days;
    let source = cite(rules, window);
    let advice_zh = "病情控制情况不明或不稳定，请到线下门诊或家庭医生处复诊";
    let advice_en = "Control is unknown or unstable: see your doctor or family doctor in person";
    match patient.last_followup {
        Some((day, Some(true))) if days_between(day, today) <= i64::from(window.value) => pass(
            Rule::ConditionControlled,
            format!("最近一次随访（{day}）病情控制达标"),
            format!("The last follow-up ({day}) found the condition controlled"),
            source,
        ),
        Some((day, Some(true))) => fail(
            Rule::ConditionControlled,
            format!("最近一次达标随访在{day}，已超过{}天", window.value),
            format!(
                "The last controlled follow-up ({day}) is more than {} days ago",
                window.value
            ),
            advice_zh.into(),
            advice_en.into(),
            source,
        ),
        Some((day, Some(false))) => fail(
            Rule::ConditionControlled,
            format!("最近一次随访（{day}）病情未控制"),
            format!("The last follow-up ({day}) found the condition not controlled"),
            advice_zh.into(),
            advice_en.into(),
            source,
        ),
        Some((day, None)) => fail(
            Rule::ConditionControlled,
            format!("最近一次随访（{day}）未能判断控制情况"),
            format!("The last follow-up ({day}) could not judge control"),
            advice_zh.into(),
            advice_en.into(),
            source,
        ),
        None => fail(
            Rule::ConditionControlled,
            "没有随访记录，无法判断病情是否平稳".into(),
            "No follow-up on record shows the condition is stable".into(),
            advice_zh.into(),
            advice_en.into(),
            source,
        ),
    }
}

fn shared(patient: &PatientFacts, rules: &Rules) -> Finding {
    let source = rules.cite(&rules.principles.stable_condition.source);
    if patient.records_shared {
        pass(
            Rule::RecordsShared,
            "医师可查阅患者健康档案".into(),
            "The doctor can review the patient's record".into(),
            source,
        )
    } else {
        fail(
            Rule::RecordsShared,
            "患者已关闭向诊疗团队共享健康档案，医师无法评估病情和用药".into(),
            "The patient does not share the record with the care team, so the doctor cannot assess condition and medicines".into(),
            "如需在线续方，请在“我的共享设置”中开启“诊疗团队”共享".into(),
            "To renew online, turn on sharing with the care team under My sharing".into(),
            source,
        )
    }
}

fn no_danger(patient: &PatientFacts, rules: &Rules) -> Finding {
    let source = rules.cite(&rules.principles.stable_condition.source);
    if patient.open_alerts == 0 {
        pass(
            Rule::NoOpenAlert,
            "没有未处理的健康预警".into(),
            "No alert is open".into(),
            source,
        )
    } else {
        fail(
            Rule::NoOpenAlert,
            format!("有{}条健康预警尚未处理", patient.open_alerts),
            format!(
                "{} alert(s) from your readings are open",
                patient.open_alerts
            ),
            "请尽快到线下就诊；如有胸痛、剧烈头痛等症状请立即拨打120".into(),
            "See a doctor in person soon; call 120 now for chest pain or a severe headache".into(),
            source,
        )
    }
}

fn regimen(patient: &PatientFacts, today: Date, rules: &Rules) -> Finding {
    let period = &rules.stability.regimen_unchanged_days;
    let source = cite(rules, period);
    match patient.regimen_changed_on {
        Some(day) if days_between(day, today) >= i64::from(period.value) => pass(
            Rule::RegimenStable,
            format!("用药方案自{day}起未调整"),
            format!("The regimen is unchanged since {day}"),
            source,
        ),
        Some(day) => fail(
            Rule::RegimenStable,
            format!("用药方案于{day}调整，未满{}天", period.value),
            format!(
                "The regimen changed on {day}, less than {} days ago",
                period.value
            ),
            "新调整的用药方案须线下复诊评估后再在线续方".into(),
            "A newly changed regimen is reviewed in person before online renewal".into(),
            source,
        ),
        None => fail(
            Rule::RegimenStable,
            "没有正在使用药物的记录，不能在线续方".into(),
            "No current medicine is on record to renew online".into(),
            "首次用药须线下就诊".into(),
            "A first prescription needs an in-person visit".into(),
            source,
        ),
    }
}

fn days_between(from: Date, to: Date) -> i64 {
    from.until(to)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or(i64::MAX)
}

fn cite(rules: &Rules, figure: &kernel::Sourced<u32>) -> String {
    rules.cite(&figure.source)
}

fn pass(rule: Rule, reason_zh: String, reason_en: String, source: String) -> Finding {
    Finding {
        rule,
        passed: true,
        reason_zh,
        reason_en,
        advice_zh: String::new(),
        advice_en: String::new(),
        source,
    }
}

fn fail(
    rule: Rule,
    reason_zh: String,
    reason_en: String,
    advice_zh: String,
    advice_en: String,
    source: String,
) -> Finding {
    Finding {
        rule,
        passed: false,
        reason_zh,
        reason_en,
        advice_zh,
        advice_en,
        source,
    }
}
