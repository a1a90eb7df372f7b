//! Roles, data scopes and permissions, and the one function that decides access:
//! [`authorize`]. Every page and API call asks it; nothing else grants access.

use std::fmt;
use std::str::FromStr;

use crate::organisation::OrganisationKind;

/// What a user does on the platform. A user may hold several roles, each with its own scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    PlatformAdmin,
    BureauOfficial,
    HospitalDoctor,
    Pharmacist,
    CommunityDoctor,
    Resident,
    CompanyUser,
    Researcher,
    Investor,
    ExpertReviewer,
    /// Reviews research requests and releases de-identified data (issue 4, ADR 0011): a
    /// governance role, so it reads no health record and uses no research data itself.
    DataSteward,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::PlatformAdmin,
        Role::BureauOfficial,
        Role::HospitalDoctor,
        Role::Pharmacist,
        Role::CommunityDoctor,
        Role::Resident,
        Role::CompanyUser,
        Role::Researcher,
        Role::Investor,
        Role::ExpertReviewer,
        Role::DataSteward,
    ];

    /// Stable code stored in the database and used in message keys.
    pub fn code(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::BureauOfficial => "bureau_official",
            Role::HospitalDoctor => "hospital_doctor",
            Role::Pharmacist => "pharmacist",
            Role::CommunityDoctor => "community_doctor",
            Role::Resident => "resident",
            Role::CompanyUser => "company_user",
            Role::Researcher => "researcher",
            Role::Investor => "investor",
            Role::ExpertReviewer => "expert_reviewer",
            Role::DataSteward => "data_steward",
        }
    }

    /// The organisation kinds whose members may hold this role.
    pub fn allowed_in(self) -> &'static [OrganisationKind] {
        use OrganisationKind as K;
        match self {
            Role::PlatformAdmin => &[K::PlatformOperator],
            Role::BureauOfficial => &[K::MunicipalBureau, K::DistrictGovernment],
            Role::HospitalDoctor => &[K::Hospital],
            Role::Pharmacist => &[K::Hospital, K::Pharmacy, K::CommunityHealthCentre],
            Role::CommunityDoctor => &[K::CommunityHealthCentre],
            Role::Resident => &[K::Public],
            Role::CompanyUser => &[K::Company],
            // Company researchers use data under the residents' commercial consent.
            Role::Researcher => &[K::University, K::ResearchInstitute, K::Hospital, K::Company],
            Role::Investor => &[K::InvestmentInstitution],
            Role::ExpertReviewer => &[
                K::University,
                K::ResearchInstitute,
                K::Hospital,
                K::EthicsCommittee,
                K::InvestmentInstitution,
            ],
            // The health commission's (or the platform's) data office, and a hospital's,
            // whose stewards may also do research and so must not review their own requests.
            Role::DataSteward => &[K::MunicipalBureau, K::PlatformOperator, K::Hospital],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Role {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownCode {
                kind: "role",
                code: s.to_owned(),
            })
    }
}

/// A code read from storage or input that names nothing known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{code}`")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub code: String,
}

/// The data a role may reach.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The whole city.
    City,
    /// One district, by its key in the city data (e.g. `gulou`).
    District(String),
    /// One organisation and the people it serves.
    Organisation(String),
    /// The user's own records (and, once households exist, those they are authorised for).
    Own,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::City => f.write_str("city"),
            Scope::District(key) => write!(f, "district:{key}"),
            Scope::Organisation(id) => write!(f, "organisation:{id}"),
            Scope::Own => f.write_str("own"),
        }
    }
}

impl FromStr for Scope {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownCode {
            kind: "scope",
            code: s.to_owned(),
        };
        match s.split_once(':') {
            None if s == "city" => Ok(Scope::City),
            None if s == "own" => Ok(Scope::Own),
            Some(("district", key)) if city::districts().by_key(key).is_some() => {
                Ok(Scope::District(key.to_owned()))
            }
            Some(("organisation", id)) if !id.is_empty() => Ok(Scope::Organisation(id.to_owned())),
            _ => Err(unknown()),
        }
    }
}

/// One role held over one scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
}

/// What an action needs. Capabilities add permissions here as they are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Manage organisations, users and their roles.
    AdministerAccounts,
    /// See aggregate figures (dashboards, targets, monitoring) for the scope.
    ViewAggregates,
    /// Read the audit ledger's entries (tree heads and proofs are open to every signed-in user).
    ReadLedger,
    /// Read personal health data of people in scope.
    ReadHealthRecords,
    /// Record personal health data for people in scope.
    WriteHealthRecords,
    /// Review and approve prescriptions.
    ReviewPrescriptions,
    /// Maintain a company's own profile, pipeline and applications.
    ManageCompany,
    /// Use de-identified research releases.
    UseResearchData,
    /// See investment matchmaking and roadshows.
    ViewInvestment,
    /// Score applications assigned for expert review.
    ReviewApplications,
    /// Review research requests (approve, refuse, release, withdraw), city-wide.
    ReviewResearchRequests,
}

impl Permission {
    /// The roles that carry this permission (within their scope). Least privilege: the
    /// platform administrator manages accounts but reads no health record.
    pub fn roles(self) -> &'static [Role] {
        use Role as R;
        match self {
            Permission::AdministerAccounts => &[R::PlatformAdmin],
            Permission::ViewAggregates => &[R::BureauOfficial],
            Permission::ReadLedger => &[R::PlatformAdmin, R::BureauOfficial],
            Permission::ReadHealthRecords => &[
                R::HospitalDoctor,
                R::CommunityDoctor,
                R::Pharmacist,
                R::Resident,
            ],
            Permission::WriteHealthRecords => &[R::HospitalDoctor, R::CommunityDoctor],
            Permission::ReviewPrescriptions => &[R::Pharmacist],
            Permission::ManageCompany => &[R::CompanyUser],
            Permission::UseResearchData => &[R::Researcher],
            Permission::ViewInvestment => &[R::Investor, R::BureauOfficial, R::CompanyUser],
            Permission::ReviewApplications => &[R::ExpertReviewer],
            Permission::ReviewResearchRequests => &[R::DataSteward],
        }
    }
}

/// What the requested data belongs to, as far as scopes are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// Not tied to any district, organisation or person (e.g. the account list).
    Platform,
    /// City-wide data.
    City,
    /// Data of one district.
    District(&'a str),
    /// Data of one organisation in a district.
    Organisation {
        id: &'a str,
        district: Option<&'a str>,
    },
    /// Data about one person: the user account that is that person (if any), the
    /// organisations that serve them and the district they live in.
    Person {
        user_id: Option<&'a str>,
        organisations: &'a [&'a str],
        district: Option<&'a str>,
    },
}

/// Why access was refused; never says more about the target than the caller already knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("your roles do not include this action")]
    NoRole { permission: Permission },
    #[error("the data is outside the scope of your roles")]
    OutOfScope { permission: Permission },
}

/// The single access decision: may the holder of `grants` (user `user_id`) perform
/// `permission` on `target`?
pub fn authorize(
    user_id: &str,
    grants: &[Grant],
    permission: Permission,
    target: Target<'_>,
) -> Result<(), Denied> {
    let relevant = grants_for(grants, permission)?;
    if relevant
        .iter()
        .any(|g| scope_covers(&g.scope, user_id, target))
    {
        Ok(())
    } else {
        Err(Denied::OutOfScope { permission })
    }
}

/// The personal health records a user may reach for `permission`, as a set the record store
/// can filter by in its query (so a search never counts what the user may not see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordScope {
    /// Every resident of the city.
    City,
    /// Residents served by one of these organisations or living in one of these districts.
    Linked {
        organisations: Vec<String>,
        districts: Vec<String>,
    },
    /// Only the records of the user themself (and, with consent, their household).
    Own,
}

/// Which records `permission` reaches for the holder of `grants`; `Denied::NoRole` when none.
/// This is [`authorize`] for a whole population rather than one target.
pub fn record_scope(grants: &[Grant], permission: Permission) -> Result<RecordScope, Denied> {
    let relevant = grants_for(grants, permission)?;
    if relevant.iter().any(|g| g.scope == Scope::City) {
        return Ok(RecordScope::City);
    }
    let mut organisations = Vec::new();
    let mut districts = Vec::new();
    for grant in &relevant {
        match &grant.scope {
            Scope::Organisation(id) => organisations.push(id.clone()),
            Scope::District(key) => districts.push(key.clone()),
            Scope::City | Scope::Own => {}
        }
    }
    if organisations.is_empty() && districts.is_empty() {
        return Ok(RecordScope::Own);
    }
    Ok(RecordScope::Linked {
        organisations,
        districts,
    })
}

/// The grants whose role carries `permission`; `Denied::NoRole` when there are none.
fn grants_for(grants: &[Grant], permission: Permission) -> Result<Vec<&Grant>, Denied> {
    let relevant: Vec<&Grant> = grants
        .iter()
        .filter(|g| permission.roles().contains(&g.role))
        .collect();
    if relevant.is_empty() {
        Err(Denied::NoRole { permission })
    } else {
        Ok(relevant)
    }
}

fn scope_covers(scope: &Scope, user_id: &str, target: Target<'_>) -> bool {
    match (scope, target) {
        (Scope::City, _) => true,
        (_, Target::Platform | Target::City) => false,
        (Scope::District(key), Target::District(d)) => key == d,
        (Scope::District(key), Target::Organisation { district, .. }) => {
            district == Some(key.as_str())
        }
        (Scope::District(key), Target::Person { district, .. }) => district == Some(key.as_str()),
        (Scope::Organisation(id), Target::Organisation { id: target, .. }) => id == target,
        (Scope::Organisation(id), Target::Person { organisations, .. }) => {
            organisations.contains(&id.as_str())
        }
        (Scope::Organisation(_), Target::District(_)) => false,
        (
            Scope::Own,
            Target::Person {
                user_id: Some(owner),
                ..
            },
        ) => owner == user_id,
        (Scope::Own, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, scope: Scope) -> Grant {
        Grant { role, scope }
    }

    #[test]
    fn codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>(), Ok(role));
        }
        for scope in [
            Scope::City,
            Scope::Own,
            Scope::District("gulou".into()),
            Scope::Organisation("0193-abc".into()),
        ] {
            assert_eq!(scope.to_string().parse::<Scope>(), Ok(scope));
        }
        assert!("district:atlantis".parse::<Scope>().is_err());
        assert!("organisation:".parse::<Scope>().is_err());
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn the_administrator_manages_accounts_but_reads_no_health_record() {
        let admin = [grant(Role::PlatformAdmin, Scope::City)];
        assert_eq!(
            authorize(
                "a",
                &admin,
                Permission::AdministerAccounts,
                Target::Platform
            ),
            Ok(())
        );
        let person = Target::Person {
            user_id: None,
            organisations: &[],
            district: Some("gulou"),
        };
        assert!(matches!(
            authorize("a", &admin, Permission::ReadHealthRecords, person),
            Err(Denied::NoRole { .. })
        ));
    }

    #[test]
    fn a_district_official_sees_her_district_only() {
        let official = [grant(Role::BureauOfficial, Scope::District("gulou".into()))];
        assert_eq!(
            authorize(
                "o",
                &official,
                Permission::ViewAggregates,
                Target::District("gulou")
            ),
            Ok(())
        );
        assert!(matches!(
            authorize(
                "o",
                &official,
                Permission::ViewAggregates,
                Target::District("jiangning")
            ),
            Err(Denied::OutOfScope { .. })
        ));
        assert!(authorize("o", &official, Permission::ViewAggregates, Target::City).is_err());
    }

    #[test]
    fn a_city_official_sees_every_district() {
        let official = [grant(Role::BureauOfficial, Scope::City)];
        for d in city::districts().all() {
            assert_eq!(
                authorize(
                    "o",
                    &official,
                    Permission::ViewAggregates,
                    Target::District(&d.key)
                ),
                Ok(())
            );
        }
    }

    #[test]
    fn a_community_doctor_reads_the_people_her_centre_serves() {
        let doctor = [grant(
            Role::CommunityDoctor,
            Scope::Organisation("chc-1".into()),
        )];
        let served = Target::Person {
            user_id: None,
            organisations: &["hosp-9", "chc-1"],
            district: Some("gulou"),
        };
        let elsewhere = Target::Person {
            user_id: None,
            organisations: &["chc-2"],
            district: Some("gulou"),
        };
        assert_eq!(
            authorize("d", &doctor, Permission::ReadHealthRecords, served),
            Ok(())
        );
        assert!(authorize("d", &doctor, Permission::ReadHealthRecords, elsewhere).is_err());
    }

    #[test]
    fn a_resident_reads_only_her_own_records() {
        let resident = [grant(Role::Resident, Scope::Own)];
        let own = Target::Person {
            user_id: Some("me"),
            organisations: &[],
            district: None,
        };
        let other = Target::Person {
            user_id: Some("you"),
            organisations: &[],
            district: None,
        };
        assert_eq!(
            authorize("me", &resident, Permission::ReadHealthRecords, own),
            Ok(())
        );
        assert!(authorize("me", &resident, Permission::ReadHealthRecords, other).is_err());
        assert!(authorize("me", &resident, Permission::WriteHealthRecords, own).is_err());
    }

    #[test]
    fn record_scope_follows_the_grants_that_carry_the_permission() {
        let doctor = [
            grant(Role::CommunityDoctor, Scope::Organisation("chc-1".into())),
            grant(Role::BureauOfficial, Scope::City),
        ];
        assert_eq!(
            record_scope(&doctor, Permission::ReadHealthRecords),
            Ok(RecordScope::Linked {
                organisations: vec!["chc-1".into()],
                districts: vec![],
            }),
            "the official's city scope does not widen the doctor's record access"
        );
        let resident = [grant(Role::Resident, Scope::Own)];
        assert_eq!(
            record_scope(&resident, Permission::ReadHealthRecords),
            Ok(RecordScope::Own)
        );
        assert!(matches!(
            record_scope(&resident, Permission::WriteHealthRecords),
            Err(Denied::NoRole { .. })
        ));
        let admin = [grant(Role::PlatformAdmin, Scope::City)];
        assert!(record_scope(&admin, Permission::ReadHealthRecords).is_err());
    }

    #[test]
    fn a_data_steward_reviews_research_city_wide_but_reads_no_record_and_uses_no_data() {
        let steward = [grant(Role::DataSteward, Scope::City)];
        assert_eq!(
            authorize(
                "s",
                &steward,
                Permission::ReviewResearchRequests,
                Target::City
            ),
            Ok(())
        );
        let person = Target::Person {
            user_id: None,
            organisations: &[],
            district: Some("gulou"),
        };
        for permission in [Permission::ReadHealthRecords, Permission::UseResearchData] {
            assert!(matches!(
                authorize("s", &steward, permission, person),
                Err(Denied::NoRole { .. })
            ));
        }
        assert!(record_scope(&steward, Permission::ReadHealthRecords).is_err());
        // A researcher cannot review, whatever her scope.
        let researcher = [grant(Role::Researcher, Scope::City)];
        assert!(matches!(
            authorize(
                "r",
                &researcher,
                Permission::ReviewResearchRequests,
                Target::City
            ),
            Err(Denied::NoRole { .. })
        ));
        // Stewards sit in data offices; company researchers exist, company stewards do not.
        use OrganisationKind as K;
        assert!(Role::DataSteward.allowed_in().contains(&K::MunicipalBureau));
        assert!(!Role::DataSteward.allowed_in().contains(&K::Company));
        assert!(Role::Researcher.allowed_in().contains(&K::Company));
        assert_eq!("data_steward".parse::<Role>(), Ok(Role::DataSteward));
    }

    #[test]
    fn every_permission_is_held_by_some_role_allowed_somewhere() {
        for role in Role::ALL {
            assert!(
                !role.allowed_in().is_empty(),
                "{role} can be held by someone"
            );
        }
    }
}
