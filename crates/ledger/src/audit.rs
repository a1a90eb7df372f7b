//! The audit event every capability records, and the purposes of use it names.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why data was touched, as HL7 v3 PurposeOfUse codes (the vocabulary FHIR AuditEvent uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PurposeOfUse {
    #[serde(rename = "TREAT")]
    Treatment,
    #[serde(rename = "ETREAT")]
    EmergencyTreatment,
    #[serde(rename = "CAREMGT")]
    CareManagement,
    #[serde(rename = "PUBHLTH")]
    PublicHealth,
    #[serde(rename = "HRESCH")]
    Research,
    #[serde(rename = "HOPERAT")]
    Operations,
    #[serde(rename = "HSYSADMIN")]
    SystemAdministration,
    #[serde(rename = "PATRQT")]
    PatientRequest,
    #[serde(rename = "HCOMPL")]
    Oversight,
}

impl PurposeOfUse {
    pub const ALL: [PurposeOfUse; 9] = [
        PurposeOfUse::Treatment,
        PurposeOfUse::EmergencyTreatment,
        PurposeOfUse::CareManagement,
        PurposeOfUse::PublicHealth,
        PurposeOfUse::Research,
        PurposeOfUse::Operations,
        PurposeOfUse::SystemAdministration,
        PurposeOfUse::PatientRequest,
        PurposeOfUse::Oversight,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PurposeOfUse::Treatment => "TREAT",
            PurposeOfUse::EmergencyTreatment => "ETREAT",
            PurposeOfUse::CareManagement => "CAREMGT",
            PurposeOfUse::PublicHealth => "PUBHLTH",
            PurposeOfUse::Research => "HRESCH",
            PurposeOfUse::Operations => "HOPERAT",
            PurposeOfUse::SystemAdministration => "HSYSADMIN",
            PurposeOfUse::PatientRequest => "PATRQT",
            PurposeOfUse::Oversight => "HCOMPL",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            PurposeOfUse::Treatment => "诊疗",
            PurposeOfUse::EmergencyTreatment => "急诊救治",
            PurposeOfUse::CareManagement => "随访管理",
            PurposeOfUse::PublicHealth => "公共卫生",
            PurposeOfUse::Research => "科研",
            PurposeOfUse::Operations => "业务管理",
            PurposeOfUse::SystemAdministration => "系统管理",
            PurposeOfUse::PatientRequest => "本人查询",
            PurposeOfUse::Oversight => "监督检查",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            PurposeOfUse::Treatment => "Treatment",
            PurposeOfUse::EmergencyTreatment => "Emergency treatment",
            PurposeOfUse::CareManagement => "Care management",
            PurposeOfUse::PublicHealth => "Public health",
            PurposeOfUse::Research => "Research",
            PurposeOfUse::Operations => "Operations",
            PurposeOfUse::SystemAdministration => "System administration",
            PurposeOfUse::PatientRequest => "Patient's request",
            PurposeOfUse::Oversight => "Oversight",
        }
    }
}

/// Who did what to which subject, why and when, with a hash of the data touched (never the
/// personal data itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// User id, or `system`.
    pub actor: String,
    pub organisation: Option<String>,
    /// Dotted verb such as `resident.read`, `consent.grant`, `user.login`.
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub purpose: PurposeOfUse,
    /// Unix milliseconds, UTC.
    pub at: i64,
    /// Lowercase hex SHA-256 of the data touched.
    pub data_hash: String,
}

/// Hex SHA-256 of `bytes`, for [`AuditEvent::data_hash`].
pub fn data_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The canonical form stored and hashed: the event with its position in the log. Field order
/// is fixed by this struct, so the same event always serialises to the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryData {
    pub seq: u64,
    #[serde(flatten)]
    pub event: AuditEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_round_trip_through_their_codes() {
        for p in PurposeOfUse::ALL {
            assert_eq!(PurposeOfUse::parse(p.code()), Some(p));
            let json = serde_json::to_string(&p).expect("json");
            assert_eq!(json, format!("\"{}\"", p.code()));
        }
        assert_eq!(PurposeOfUse::parse("NOPE"), None);
    }
}
