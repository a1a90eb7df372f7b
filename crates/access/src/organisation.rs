//! Organisations of the kinds the seeds name, to which every user belongs.

use std::fmt;
use std::str::FromStr;

use crate::role::UnknownCode;

/// The kinds of organisation that take part in the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrganisationKind {
    /// The operator of the platform itself (its administrators belong here).
    PlatformOperator,
    MunicipalBureau,
    DistrictGovernment,
    Hospital,
    CommunityHealthCentre,
    Pharmacy,
    Company,
    University,
    ResearchInstitute,
    InvestmentInstitution,
    EthicsCommittee,
    /// Residents and their families, who belong to no institution.
    Public,
}

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 12] = [
        OrganisationKind::PlatformOperator,
        OrganisationKind::MunicipalBureau,
        OrganisationKind::DistrictGovernment,
        OrganisationKind::Hospital,
        OrganisationKind::CommunityHealthCentre,
        OrganisationKind::Pharmacy,
        OrganisationKind::Company,
        OrganisationKind::University,
        OrganisationKind::ResearchInstitute,
        OrganisationKind::InvestmentInstitution,
        OrganisationKind::EthicsCommittee,
        OrganisationKind::Public,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrganisationKind::PlatformOperator => "platform_operator",
            OrganisationKind::MunicipalBureau => "municipal_bureau",
            OrganisationKind::DistrictGovernment => "district_government",
            OrganisationKind::Hospital => "hospital",
            OrganisationKind::CommunityHealthCentre => "community_health_centre",
            OrganisationKind::Pharmacy => "pharmacy",
            OrganisationKind::Company => "company",
            OrganisationKind::University => "university",
            OrganisationKind::ResearchInstitute => "research_institute",
            OrganisationKind::InvestmentInstitution => "investment_institution",
            OrganisationKind::EthicsCommittee => "ethics_committee",
            OrganisationKind::Public => "public",
        }
    }

    /// Whether organisations of this kind sit in one district (and so must name it).
    pub fn is_local(self) -> bool {
        matches!(
            self,
            OrganisationKind::DistrictGovernment
                | OrganisationKind::CommunityHealthCentre
                | OrganisationKind::Hospital
                | OrganisationKind::Pharmacy
                | OrganisationKind::Company
        )
    }
}

impl fmt::Display for OrganisationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for OrganisationKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownCode {
                kind: "organisation kind",
                code: s.to_owned(),
            })
    }
}

/// The municipal bureaus the seeds assign responsibilities to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bureau {
    /// 市科技局
    ScienceTechnology,
    /// 市卫健委
    HealthCommission,
    /// 市医保局
    MedicalInsurance,
    /// 市工信局
    IndustryInformation,
    /// 市财政局
    Finance,
    /// 市统计局
    Statistics,
}

impl Bureau {
    pub const ALL: [Bureau; 6] = [
        Bureau::ScienceTechnology,
        Bureau::HealthCommission,
        Bureau::MedicalInsurance,
        Bureau::IndustryInformation,
        Bureau::Finance,
        Bureau::Statistics,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Bureau::ScienceTechnology => "science_technology",
            Bureau::HealthCommission => "health_commission",
            Bureau::MedicalInsurance => "medical_insurance",
            Bureau::IndustryInformation => "industry_information",
            Bureau::Finance => "finance",
            Bureau::Statistics => "statistics",
        }
    }
}

impl FromStr for Bureau {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|b| b.code() == s)
            .ok_or_else(|| UnknownCode {
                kind: "bureau",
                code: s.to_owned(),
            })
    }
}

/// An organisation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: String,
    pub kind: OrganisationKind,
    pub bureau: Option<Bureau>,
    pub name_zh: String,
    pub name_en: String,
    /// District key (see the `city` crate) for local organisations.
    pub district: Option<String>,
    pub parent_id: Option<String>,
    /// Unified social credit code, validated on entry.
    pub uscc: Option<String>,
    /// Licensed to run an internet hospital (hospitals only).
    pub internet_hospital: bool,
    pub active: bool,
    pub created_at: i64,
}

impl Organisation {
    pub fn name(&self, english: bool) -> &str {
        if english {
            &self.name_en
        } else {
            &self.name_zh
        }
    }
}

/// What it takes to register an organisation; checked by `Accounts::create_organisation`.
#[derive(Debug, Clone, Default)]
pub struct NewOrganisation {
    pub kind: Option<OrganisationKind>,
    pub bureau: Option<Bureau>,
    pub name_zh: String,
    pub name_en: String,
    pub district: Option<String>,
    pub parent_id: Option<String>,
    pub uscc: Option<String>,
    pub internet_hospital: bool,
}

/// The scope a role gets by default in `org`: residents their own data, the administrator,
/// expert reviewers, data stewards and municipal officials the city, district officials their district,
/// everyone else their organisation.
pub fn default_scope(role: crate::Role, org: &Organisation) -> crate::Scope {
    use crate::{Role, Scope};
    match (role, org.kind) {
        (Role::Resident, _) => Scope::Own,
        (Role::PlatformAdmin | Role::ExpertReviewer | Role::DataSteward, _) => Scope::City,
        (Role::BureauOfficial, OrganisationKind::DistrictGovernment) => org
            .district
            .clone()
            .map(Scope::District)
            .unwrap_or(Scope::City),
        (Role::BureauOfficial, _) => Scope::City,
        _ => Scope::Organisation(org.id.clone()),
    }
}
