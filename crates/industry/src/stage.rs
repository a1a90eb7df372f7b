//! Pipeline stages and the rules for recording them. Stage events are append-only, dated and
//! evidenced; a product's current stage is its furthest domestic stage.
//!
//! ```text
//! drugs (innovative, biosimilar):  preclinical → phase-1-entered → phase-1-completed
//!        → phase-2-entered → phase-2-completed → phase-3-entered → phase-3-completed
//!        → marketing-application → manufacturing-approval
//! generic drugs:                   marketing-application → manufacturing-approval;
//!                                  consistency-evaluation-passed (no prerequisite)
//! devices:  prototype-tested, special-review-entered (only innovative-review devices),
//!           clinical-started, registration-certificate (no prerequisites: many class II
//!           devices are exempt from clinical trials)
//! health products:                 qualification-obtained
//! drugs and devices:  fda|ema|pmda × clinical|market, a separate track
//! ```
//!
//! A drug stage whose prerequisite is missing is recorded only with `skips_with_reason`
//! (e.g. a phase II started under an exemption from phase I), and never dated before the
//! prerequisite it has.

use jiff::civil::Date;
use serde::{Serialize, Serializer};

use crate::error::{IndustryError, Result};
use crate::product::{DrugClass, ProductKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Agency {
    Fda,
    Ema,
    Pmda,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Approval {
    /// Clinical trial approval (临床批件).
    Clinical,
    /// Market approval (境外上市).
    Market,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Preclinical,
    Phase1Entered,
    Phase1Completed,
    Phase2Entered,
    Phase2Completed,
    Phase3Entered,
    Phase3Completed,
    MarketingApplication,
    ManufacturingApproval,
    /// Generics only; the event says whether the product was the first in the country.
    ConsistencyEvaluationPassed,
    PrototypeTested,
    SpecialReviewEntered,
    ClinicalStarted,
    RegistrationCertificate,
    QualificationObtained,
    Overseas {
        agency: Agency,
        approval: Approval,
    },
}

/// The drug stages a pipeline funnel counts, in order.
pub const DRUG_FUNNEL: [Stage; 9] = [
    Stage::Preclinical,
    Stage::Phase1Entered,
    Stage::Phase1Completed,
    Stage::Phase2Entered,
    Stage::Phase2Completed,
    Stage::Phase3Entered,
    Stage::Phase3Completed,
    Stage::MarketingApplication,
    Stage::ManufacturingApproval,
];

impl Stage {
    pub const ALL: [Stage; 21] = [
        Stage::Preclinical,
        Stage::Phase1Entered,
        Stage::Phase1Completed,
        Stage::Phase2Entered,
        Stage::Phase2Completed,
        Stage::Phase3Entered,
        Stage::Phase3Completed,
        Stage::MarketingApplication,
        Stage::ManufacturingApproval,
        Stage::ConsistencyEvaluationPassed,
        Stage::PrototypeTested,
        Stage::SpecialReviewEntered,
        Stage::ClinicalStarted,
        Stage::RegistrationCertificate,
        Stage::QualificationObtained,
        Stage::Overseas {
            agency: Agency::Fda,
            approval: Approval::Clinical,
        },
        Stage::Overseas {
            agency: Agency::Fda,
            approval: Approval::Market,
        },
        Stage::Overseas {
            agency: Agency::Ema,
            approval: Approval::Clinical,
        },
        Stage::Overseas {
            agency: Agency::Ema,
            approval: Approval::Market,
        },
        Stage::Overseas {
            agency: Agency::Pmda,
            approval: Approval::Clinical,
        },
        Stage::Overseas {
            agency: Agency::Pmda,
            approval: Approval::Market,
        },
    ];

    pub fn key(self) -> &'static str {
        use Agency::*;
        use Approval::*;
        match self {
            Stage::Preclinical => "preclinical",
            Stage::Phase1Entered => "phase-1-entered",
            Stage::Phase1Completed => "phase-1-completed",
            Stage::Phase2Entered => "phase-2-entered",
            Stage::Phase2Completed => "phase-2-completed",
            Stage::Phase3Entered => "phase-3-entered",
            Stage::Phase3Completed => "phase-3-completed",
            Stage::MarketingApplication => "marketing-application",
            Stage::ManufacturingApproval => "manufacturing-approval",
            Stage::ConsistencyEvaluationPassed => "consistency-evaluation-passed",
            Stage::PrototypeTested => "prototype-tested",
            Stage::SpecialReviewEntered => "special-review-entered",
            Stage::ClinicalStarted => "clinical-started",
            Stage::RegistrationCertificate => "registration-certificate",
            Stage::QualificationObtained => "qualification-obtained",
            Stage::Overseas {
                agency: Fda,
                approval: Clinical,
            } => "fda-clinical",
            Stage::Overseas {
                agency: Fda,
                approval: Market,
            } => "fda-market",
            Stage::Overseas {
                agency: Ema,
                approval: Clinical,
            } => "ema-clinical",
            Stage::Overseas {
                agency: Ema,
                approval: Market,
            } => "ema-market",
            Stage::Overseas {
                agency: Pmda,
                approval: Clinical,
            } => "pmda-clinical",
            Stage::Overseas {
                agency: Pmda,
                approval: Market,
            } => "pmda-market",
        }
    }

    pub fn zh(self) -> &'static str {
        use Agency::*;
        use Approval::*;
        match self {
            Stage::Preclinical => "临床前研究",
            Stage::Phase1Entered => "进入临床I期",
            Stage::Phase1Completed => "完成临床I期",
            Stage::Phase2Entered => "进入临床II期",
            Stage::Phase2Completed => "完成临床II期",
            Stage::Phase3Entered => "进入临床III期",
            Stage::Phase3Completed => "完成临床III期",
            Stage::MarketingApplication => "提交上市申请",
            Stage::ManufacturingApproval => "获得生产批件",
            Stage::ConsistencyEvaluationPassed => "通过一致性评价",
            Stage::PrototypeTested => "样机检测完成",
            Stage::SpecialReviewEntered => "进入创新医疗器械特别审查程序",
            Stage::ClinicalStarted => "开展临床试验",
            Stage::RegistrationCertificate => "取得医疗器械注册证",
            Stage::QualificationObtained => "取得相应资质",
            Stage::Overseas {
                agency: Fda,
                approval: Clinical,
            } => "获FDA临床批件",
            Stage::Overseas {
                agency: Fda,
                approval: Market,
            } => "获FDA上市批准",
            Stage::Overseas {
                agency: Ema,
                approval: Clinical,
            } => "获EMA临床批件",
            Stage::Overseas {
                agency: Ema,
                approval: Market,
            } => "获EMA上市批准",
            Stage::Overseas {
                agency: Pmda,
                approval: Clinical,
            } => "获PMDA临床批件",
            Stage::Overseas {
                agency: Pmda,
                approval: Market,
            } => "获PMDA上市批准",
        }
    }

    pub fn en(self) -> &'static str {
        use Agency::*;
        use Approval::*;
        match self {
            Stage::Preclinical => "Preclinical",
            Stage::Phase1Entered => "Phase I entered",
            Stage::Phase1Completed => "Phase I completed",
            Stage::Phase2Entered => "Phase II entered",
            Stage::Phase2Completed => "Phase II completed",
            Stage::Phase3Entered => "Phase III entered",
            Stage::Phase3Completed => "Phase III completed",
            Stage::MarketingApplication => "Marketing application filed",
            Stage::ManufacturingApproval => "Manufacturing approval",
            Stage::ConsistencyEvaluationPassed => "Consistency evaluation passed",
            Stage::PrototypeTested => "Prototype tested",
            Stage::SpecialReviewEntered => "Innovative device special review entered",
            Stage::ClinicalStarted => "Clinical trial started",
            Stage::RegistrationCertificate => "Registration certificate",
            Stage::QualificationObtained => "Qualification obtained",
            Stage::Overseas {
                agency: Fda,
                approval: Clinical,
            } => "FDA clinical approval",
            Stage::Overseas {
                agency: Fda,
                approval: Market,
            } => "FDA market approval",
            Stage::Overseas {
                agency: Ema,
                approval: Clinical,
            } => "EMA clinical approval",
            Stage::Overseas {
                agency: Ema,
                approval: Market,
            } => "EMA market approval",
            Stage::Overseas {
                agency: Pmda,
                approval: Clinical,
            } => "PMDA clinical approval",
            Stage::Overseas {
                agency: Pmda,
                approval: Market,
            } => "PMDA market approval",
        }
    }

    pub fn from_key(key: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.key() == key)
    }

    /// A stage named by its key or its Chinese or English name.
    pub fn parse(text: &str) -> Option<Stage> {
        let t = text.trim();
        Stage::ALL.into_iter().find(|s| {
            s.key().eq_ignore_ascii_case(t) || s.zh() == t || s.en().eq_ignore_ascii_case(t)
        })
    }

    pub fn is_overseas(self) -> bool {
        matches!(self, Stage::Overseas { .. })
    }

    /// Position on its track: later stages rank higher. Overseas approvals rank 0 (their own
    /// track, not part of the current stage).
    pub fn rank(self) -> u8 {
        match self {
            Stage::Preclinical | Stage::PrototypeTested | Stage::QualificationObtained => 1,
            Stage::Phase1Entered | Stage::SpecialReviewEntered => 2,
            Stage::Phase1Completed | Stage::ClinicalStarted => 3,
            Stage::Phase2Entered | Stage::RegistrationCertificate => 4,
            Stage::Phase2Completed => 5,
            Stage::Phase3Entered => 6,
            Stage::Phase3Completed => 7,
            Stage::MarketingApplication => 8,
            Stage::ManufacturingApproval => 9,
            Stage::ConsistencyEvaluationPassed => 10,
            Stage::Overseas { .. } => 0,
        }
    }

    /// Whether the stage can happen to a product of `kind`.
    pub fn fits(self, kind: &ProductKind) -> bool {
        match kind {
            ProductKind::Drug {
                class: DrugClass::Generic,
            } => matches!(
                self,
                Stage::MarketingApplication
                    | Stage::ManufacturingApproval
                    | Stage::ConsistencyEvaluationPassed
                    | Stage::Overseas { .. }
            ),
            ProductKind::Drug { .. } => DRUG_FUNNEL.contains(&self) || self.is_overseas(),
            ProductKind::Device {
                innovative_special_review,
                ..
            } => match self {
                Stage::SpecialReviewEntered => *innovative_special_review,
                Stage::PrototypeTested
                | Stage::ClinicalStarted
                | Stage::RegistrationCertificate
                | Stage::Overseas { .. } => true,
                _ => false,
            },
            ProductKind::HealthProduct => self == Stage::QualificationObtained,
        }
    }

    /// The stage that must come before this one on a product of `kind`, if any.
    pub fn requires(self, kind: &ProductKind) -> Option<Stage> {
        if !kind.is_drug() {
            return None;
        }
        match self {
            Stage::Phase1Completed | Stage::Phase2Entered => Some(Stage::Phase1Entered),
            Stage::Phase2Completed | Stage::Phase3Entered => Some(Stage::Phase2Entered),
            Stage::Phase3Completed => Some(Stage::Phase3Entered),
            Stage::MarketingApplication
                if *kind
                    != (ProductKind::Drug {
                        class: DrugClass::Generic,
                    }) =>
            {
                Some(Stage::Phase3Completed)
            }
            Stage::ManufacturingApproval => Some(Stage::MarketingApplication),
            _ => None,
        }
    }
}

impl Serialize for Stage {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

/// A recorded stage of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageEvent {
    pub id: String,
    pub product_id: String,
    pub stage: Stage,
    pub on: Date,
    /// Document number: 临床试验批件号, 注册证号, 受理号...
    pub evidence: String,
    /// SHA-256 of an uploaded copy of the document, lowercase hex.
    pub evidence_sha256: Option<String>,
    /// Why a required earlier stage is missing, when it is.
    pub skips_with_reason: Option<String>,
    /// Consistency evaluation: the first product of its kind in the country to pass.
    pub first_in_country: bool,
    pub recorded_by: String,
    pub recorded_at: i64,
}

/// What it takes to record a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStageEvent {
    pub stage: Stage,
    pub on: Date,
    pub evidence: String,
    pub evidence_sha256: Option<String>,
    pub skips_with_reason: Option<String>,
    pub first_in_country: bool,
}

/// Checks `new` against the product's kind and the stages already recorded (stage, date),
/// and returns it normalised (text trimmed, hash lower-case).
pub fn check_stage(
    kind: &ProductKind,
    recorded: &[(Stage, Date)],
    new: &NewStageEvent,
    today: Date,
) -> Result<NewStageEvent> {
    let stage = new.stage;
    if new.on > today {
        return Err(IndustryError::invalid(
            "on",
            format!("{}日期{}晚于今天", stage.zh(), new.on),
            format!("{} on {} is in the future", stage.en(), new.on),
        ));
    }
    if !stage.fits(kind) {
        return Err(IndustryError::invalid(
            "stage",
            format!("{}不适用于{}", stage.zh(), kind.zh()),
            format!("{} does not apply to this product's kind", stage.en()),
        ));
    }
    let evidence = new.evidence.trim();
    if evidence.is_empty() || evidence.chars().count() > 200 {
        return Err(IndustryError::invalid(
            "evidence",
            "请填写证明文件编号（如临床试验批件号、注册证号），不超过200字",
            "enter the document number (clinical trial approval, registration certificate), at most 200 characters",
        ));
    }
    let evidence_sha256 = match new.evidence_sha256.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(hash) => {
            let hash = hash.to_ascii_lowercase();
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(IndustryError::invalid(
                    "evidence_sha256",
                    "文件摘要应为64位十六进制SHA-256值",
                    "the file digest must be a SHA-256 in 64 hex digits",
                ));
            }
            Some(hash)
        }
    };
    if new.first_in_country && stage != Stage::ConsistencyEvaluationPassed {
        return Err(IndustryError::invalid(
            "first_in_country",
            "“全国首家”仅用于通过一致性评价",
            "first_in_country applies only to a passed consistency evaluation",
        ));
    }
    if recorded.iter().any(|(s, _)| *s == stage) {
        return Err(IndustryError::conflict(
            "stage",
            format!("该产品已登记“{}”，阶段不能重复登记", stage.zh()),
            format!("{} is already recorded for this product", stage.en()),
        ));
    }
    let reason = new
        .skips_with_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    match stage.requires(kind) {
        Some(before) => match recorded.iter().find(|(s, _)| *s == before) {
            Some((_, when)) if *when > new.on => {
                return Err(IndustryError::invalid(
                    "on",
                    format!("{}日期{}早于{}日期{when}", stage.zh(), new.on, before.zh()),
                    format!(
                        "{} on {} is before {} on {when}",
                        stage.en(),
                        new.on,
                        before.en()
                    ),
                ));
            }
            Some(_) if reason.is_some() => {
                return Err(IndustryError::invalid(
                    "skips_with_reason",
                    format!("已登记{}，无需填写跳过原因", before.zh()),
                    format!("{} is recorded: nothing is skipped", before.en()),
                ));
            }
            Some(_) => {}
            None if reason.is_none() => {
                return Err(IndustryError::invalid(
                    "stage",
                    format!(
                        "登记{}前须先登记{}；如按规定豁免，请填写跳过原因",
                        stage.zh(),
                        before.zh()
                    ),
                    format!(
                        "{} needs {} first; if it was exempted, give the reason in skips_with_reason",
                        stage.en(),
                        before.en()
                    ),
                ));
            }
            None => {}
        },
        None if reason.is_some() => {
            return Err(IndustryError::invalid(
                "skips_with_reason",
                format!("{}没有前置阶段，无需填写跳过原因", stage.zh()),
                format!(
                    "{} has no required earlier stage: nothing is skipped",
                    stage.en()
                ),
            ));
        }
        None => {}
    }
    Ok(NewStageEvent {
        stage,
        on: new.on,
        evidence: evidence.to_owned(),
        evidence_sha256,
        skips_with_reason: reason.map(str::to_owned),
        first_in_country: new.first_in_country,
    })
}

/// The product's current stage: its furthest domestic stage by stage order (overseas
/// approvals are a separate track).
pub fn current_stage(stages: impl IntoIterator<Item = Stage>) -> Option<Stage> {
    stages
        .into_iter()
        .filter(|s| !s.is_overseas())
        .max_by_key(|s| s.rank())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::product::DeviceClass;
    use jiff::civil::date;
    use proptest::prelude::*;

    const TODAY: Date = date(2025, 6, 1);
    const DRUG: ProductKind = ProductKind::Drug {
        class: DrugClass::Chemical1,
    };

    fn event(stage: Stage, on: Date) -> NewStageEvent {
        NewStageEvent {
            stage,
            on,
            evidence: "CXHL2400001".into(),
            evidence_sha256: None,
            skips_with_reason: None,
            first_in_country: false,
        }
    }

    #[test]
    fn keys_round_trip_and_are_unique() {
        for s in Stage::ALL {
            assert_eq!(Stage::from_key(s.key()), Some(s));
            assert_eq!(Stage::parse(s.zh()), Some(s));
        }
        let mut keys: Vec<_> = Stage::ALL.iter().map(|s| s.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), Stage::ALL.len());
    }

    #[test]
    fn phase_two_needs_phase_one_or_a_reason() {
        let e = check_stage(
            &DRUG,
            &[],
            &event(Stage::Phase2Entered, date(2024, 1, 1)),
            TODAY,
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("stage"));
        assert!(e.message_zh().contains("进入临床I期"));
        let mut skip = event(Stage::Phase2Entered, date(2024, 1, 1));
        skip.skips_with_reason = Some(" 国家药监局同意豁免I期（境外已完成） ".into());
        let ok = check_stage(&DRUG, &[], &skip, TODAY).unwrap();
        assert_eq!(
            ok.skips_with_reason.as_deref(),
            Some("国家药监局同意豁免I期（境外已完成）")
        );
        let recorded = [(Stage::Phase1Entered, date(2023, 1, 1))];
        assert!(
            check_stage(
                &DRUG,
                &recorded,
                &event(Stage::Phase2Entered, date(2024, 1, 1)),
                TODAY
            )
            .is_ok()
        );
    }

    #[test]
    fn a_stage_is_not_dated_before_its_prerequisite() {
        let recorded = [(Stage::Phase1Entered, date(2024, 5, 1))];
        let e = check_stage(
            &DRUG,
            &recorded,
            &event(Stage::Phase1Completed, date(2024, 4, 1)),
            TODAY,
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("on"));
    }

    #[test]
    fn the_same_stage_twice_is_a_conflict() {
        let recorded = [(Stage::Preclinical, date(2022, 1, 1))];
        let e = check_stage(
            &DRUG,
            &recorded,
            &event(Stage::Preclinical, date(2022, 2, 1)),
            TODAY,
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Conflict);
    }

    #[test]
    fn stages_must_fit_the_kind() {
        let device = ProductKind::Device {
            class: DeviceClass::III,
            innovative_special_review: false,
        };
        let refused = |kind: &ProductKind, stage| {
            check_stage(kind, &[], &event(stage, date(2024, 1, 1)), TODAY)
                .unwrap_err()
                .field()
        };
        assert_eq!(refused(&device, Stage::Phase1Entered), Some("stage"));
        assert_eq!(refused(&device, Stage::SpecialReviewEntered), Some("stage"));
        assert_eq!(
            refused(&DRUG, Stage::RegistrationCertificate),
            Some("stage")
        );
        assert_eq!(
            refused(&DRUG, Stage::ConsistencyEvaluationPassed),
            Some("stage")
        );
        assert_eq!(
            refused(&ProductKind::HealthProduct, Stage::Preclinical),
            Some("stage")
        );
        let generic = ProductKind::Drug {
            class: DrugClass::Generic,
        };
        assert_eq!(refused(&generic, Stage::Phase1Entered), Some("stage"));
        let mut first = event(Stage::ConsistencyEvaluationPassed, date(2024, 1, 1));
        first.first_in_country = true;
        assert!(check_stage(&generic, &[], &first, TODAY).is_ok());
        let mut wrong = event(Stage::Preclinical, date(2024, 1, 1));
        wrong.first_in_country = true;
        assert_eq!(
            check_stage(&DRUG, &[], &wrong, TODAY).unwrap_err().field(),
            Some("first_in_country")
        );
        assert!(
            check_stage(
                &device,
                &[],
                &event(Stage::RegistrationCertificate, date(2024, 1, 1)),
                TODAY
            )
            .is_ok()
        );
    }

    #[test]
    fn future_dates_bad_digests_and_empty_evidence_are_refused() {
        let field = |e: NewStageEvent| check_stage(&DRUG, &[], &e, TODAY).unwrap_err().field();
        assert_eq!(
            field(event(Stage::Preclinical, date(2025, 6, 2))),
            Some("on")
        );
        let mut e = event(Stage::Preclinical, date(2024, 1, 1));
        e.evidence = " ".into();
        assert_eq!(field(e), Some("evidence"));
        let mut e = event(Stage::Preclinical, date(2024, 1, 1));
        e.evidence_sha256 = Some("abc".into());
        assert_eq!(field(e), Some("evidence_sha256"));
        let mut e = event(Stage::Preclinical, date(2024, 1, 1));
        e.skips_with_reason = Some("无".into());
        assert_eq!(field(e), Some("skips_with_reason"));
    }

    #[test]
    fn the_current_stage_is_the_furthest_domestic_one() {
        let fda = Stage::Overseas {
            agency: Agency::Fda,
            approval: Approval::Market,
        };
        assert_eq!(
            current_stage([
                Stage::Phase2Entered,
                Stage::Preclinical,
                fda,
                Stage::Phase1Entered
            ]),
            Some(Stage::Phase2Entered)
        );
        assert_eq!(current_stage([fda]), None);
    }

    proptest! {
        /// Recording the drug stages in any order succeeds exactly when each prerequisite
        /// came earlier; the current stage is then the furthest one recorded.
        #[test]
        fn any_order_of_drug_stages_obeys_the_prerequisites(
            order in Just(DRUG_FUNNEL.to_vec()).prop_shuffle()
        ) {
            let mut recorded: Vec<(Stage, Date)> = Vec::new();
            for stage in order {
                let result = check_stage(&DRUG, &recorded, &event(stage, date(2024, 1, 1)), TODAY);
                let ready = stage.requires(&DRUG).is_none_or(|r| recorded.iter().any(|(s, _)| *s == r));
                prop_assert_eq!(result.is_ok(), ready, "{:?}", stage);
                if ready {
                    recorded.push((stage, date(2024, 1, 1)));
                }
            }
            let furthest = recorded.iter().map(|(s, _)| s.rank()).max();
            prop_assert_eq!(current_stage(recorded.iter().map(|(s, _)| *s)).map(Stage::rank), furthest);
        }
    }
}
