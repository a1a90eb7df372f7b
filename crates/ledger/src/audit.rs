//! Audit events: who did what to which subject, for which purpose.
//!
//! Every capability records its actions with [`crate::Ledger::record`]. The log is permanent
//! and tamper-evident, so it must never hold personal data: an event names the subject by its
//! internal id and carries only a SHA-256 of the data touched ([`data_hash`]), which proves later
//! what was seen without revealing it. [`AuditEvent::validate`] enforces that shape.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::LedgerError;

/// Why data was accessed: the HL7 v3 PurposeOfUse codes (code system 2.16.840.1.113883.1.11.20448)
/// that the platform uses. Serialises as the code, e.g. `"TREAT"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PurposeOfUse {
    /// TREAT: diagnosis and treatment of the resident.
    #[serde(rename = "TREAT")]
    Treatment,
    /// ETREAT: emergency treatment (break-the-glass access).
    #[serde(rename = "ETREAT")]
    EmergencyTreatment,
    /// CAREMGT: care management, follow-up of chronic and registered conditions.
    #[serde(rename = "CAREMGT")]
    CareManagement,
    /// PUBHLTH: public health, disease surveillance and reporting.
    #[serde(rename = "PUBHLTH")]
    PublicHealth,
    /// HRESCH: research on (de-identified) data.
    #[serde(rename = "HRESCH")]
    Research,
    /// HOPERAT: operations and administration of the programme (e.g. subsidies).
    #[serde(rename = "HOPERAT")]
    Operations,
    /// HSYSADMIN: administration of the system itself (accounts, sign-in, configuration).
    #[serde(rename = "HSYSADMIN")]
    SystemAdministration,
    /// PATRQT: at the request of the resident, about their own data.
    #[serde(rename = "PATRQT")]
    PatientRequest,
    /// HCOMPL: compliance, oversight and inspection.
    #[serde(rename = "HCOMPL")]
    Compliance,
}

impl PurposeOfUse {
    /// Every purpose, in a stable order (for menus and tests).
    pub const ALL: [PurposeOfUse; 9] = [
        PurposeOfUse::Treatment,
        PurposeOfUse::EmergencyTreatment,
        PurposeOfUse::CareManagement,
        PurposeOfUse::PublicHealth,
        PurposeOfUse::Research,
        PurposeOfUse::Operations,
        PurposeOfUse::SystemAdministration,
        PurposeOfUse::PatientRequest,
        PurposeOfUse::Compliance,
    ];

    /// The HL7 code, e.g. `"TREAT"`.
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
            PurposeOfUse::Compliance => "HCOMPL",
        }
    }

    /// The Chinese label shown to users.
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
            PurposeOfUse::Compliance => "监督检查",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            PurposeOfUse::Treatment => "treatment",
            PurposeOfUse::EmergencyTreatment => "emergency treatment",
            PurposeOfUse::CareManagement => "care management",
            PurposeOfUse::PublicHealth => "public health",
            PurposeOfUse::Research => "research",
            PurposeOfUse::Operations => "operations",
            PurposeOfUse::SystemAdministration => "system administration",
            PurposeOfUse::PatientRequest => "patient request",
            PurposeOfUse::Compliance => "compliance and oversight",
        }
    }

    /// The purpose with HL7 code `code` (exact, upper case).
    pub fn from_code(code: &str) -> Option<PurposeOfUse> {
        PurposeOfUse::ALL.into_iter().find(|p| p.code() == code)
    }
}

impl fmt::Display for PurposeOfUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A string that is not one of the platform's purpose-of-use codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a purpose-of-use code; expected one of TREAT, ETREAT, CAREMGT, PUBHLTH, HRESCH, HOPERAT, HSYSADMIN, PATRQT, HCOMPL"
)]
pub struct UnknownPurpose(pub String);

impl FromStr for PurposeOfUse {
    type Err = UnknownPurpose;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        PurposeOfUse::from_code(code).ok_or_else(|| UnknownPurpose(code.to_owned()))
    }
}

/// One auditable action. Recorded with [`crate::Ledger::record`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// The acting user's id, or `"system"` for the platform's own jobs.
    pub actor: String,
    /// The organisation the actor acted for, if any.
    pub organisation: Option<String>,
    /// What was done, `area.verb`: `"resident.read"`, `"consent.grant"`, `"user.login"`.
    pub action: String,
    /// The kind of thing acted on: `"resident"`, `"user"`, `"enterprise"`.
    pub subject_type: String,
    /// Its internal id (never a name or national id number).
    pub subject_id: String,
    /// Why.
    pub purpose: PurposeOfUse,
    /// When the action happened, Unix milliseconds UTC.
    pub at: i64,
    /// Lowercase hex SHA-256 of the data touched ([`data_hash`]); never the data itself.
    pub data_hash: String,
}

/// Longest identifier or action accepted, in bytes. Ids are short; a long value is almost
/// certainly data that must not go into a permanent log.
pub const MAX_FIELD_BYTES: usize = 256;

impl AuditEvent {
    /// Checks the event before it becomes permanent: every identifying field present, at most
    /// [`MAX_FIELD_BYTES`] long and free of control characters; `data_hash` exactly 64
    /// lowercase hex digits; `at` not before 1970.
    pub fn validate(&self) -> Result<(), LedgerError> {
        let fields = [
            ("actor", Some(self.actor.as_str())),
            ("organisation", self.organisation.as_deref()),
            ("action", Some(self.action.as_str())),
            ("subject_type", Some(self.subject_type.as_str())),
            ("subject_id", Some(self.subject_id.as_str())),
        ];
        for (name, value) in fields {
            let Some(value) = value else { continue };
            if value.is_empty() {
                return Err(LedgerError::InvalidEvent(format!("{name} is empty")));
            }
            if value.len() > MAX_FIELD_BYTES {
                return Err(LedgerError::InvalidEvent(format!(
                    "{name} is {} bytes long, more than {MAX_FIELD_BYTES}: record identifiers, not data",
                    value.len()
                )));
            }
            if value.chars().any(char::is_control) {
                return Err(LedgerError::InvalidEvent(format!(
                    "{name} contains control characters"
                )));
            }
        }
        let hex_ok = self.data_hash.len() == 64
            && self
                .data_hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex_ok {
            return Err(LedgerError::InvalidEvent(
                "data_hash must be 64 lowercase hex digits: use ledger::data_hash(bytes)".into(),
            ));
        }
        if self.at < 0 {
            return Err(LedgerError::InvalidEvent(format!(
                "at is {}, before 1970: times are Unix milliseconds",
                self.at
            )));
        }
        Ok(())
    }
}

/// Lowercase hex SHA-256 of `bytes`: what an [`AuditEvent`] stores in place of the data it
/// touched. For events that touch no data, `data_hash(b"")`.
pub fn data_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn event() -> AuditEvent {
        AuditEvent {
            actor: "u-1".into(),
            organisation: Some("org-1".into()),
            action: "resident.read".into(),
            subject_type: "resident".into(),
            subject_id: "r-42".into(),
            purpose: PurposeOfUse::Treatment,
            at: 1_700_000_000_000,
            data_hash: data_hash(b"record"),
        }
    }

    #[test]
    fn purposes_round_trip_through_their_codes() {
        for p in PurposeOfUse::ALL {
            assert_eq!(PurposeOfUse::from_code(p.code()), Some(p));
            assert_eq!(p.code().parse::<PurposeOfUse>(), Ok(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.code()));
            assert_eq!(serde_json::from_str::<PurposeOfUse>(&json).unwrap(), p);
            assert!(!p.label_zh().is_empty() && !p.label_en().is_empty());
        }
        assert_eq!(PurposeOfUse::CareManagement.label_zh(), "随访管理");
        assert_eq!(PurposeOfUse::Compliance.code(), "HCOMPL");
        assert!("treat".parse::<PurposeOfUse>().is_err());
        assert!(PurposeOfUse::from_code("HPAYMT").is_none());
    }

    #[test]
    fn data_hash_is_hex_sha256() {
        assert_eq!(
            data_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn events_that_would_leak_data_are_refused() {
        assert!(event().validate().is_ok());
        let mut e = event();
        e.data_hash = "张三 110101199003077777".into();
        assert!(matches!(e.validate(), Err(LedgerError::InvalidEvent(_))));
        let mut e = event();
        e.data_hash = e.data_hash.to_uppercase();
        assert!(e.validate().is_err());
        let mut e = event();
        e.subject_id = "x".repeat(MAX_FIELD_BYTES + 1);
        assert!(e.validate().is_err());
        let mut e = event();
        e.actor.clear();
        assert!(e.validate().is_err());
        let mut e = event();
        e.organisation = Some(String::new());
        assert!(e.validate().is_err());
        let mut e = event();
        e.action = "a\nb".into();
        assert!(e.validate().is_err());
        let mut e = event();
        e.at = -1;
        assert!(e.validate().is_err());
        let mut e = event();
        e.organisation = None;
        assert!(e.validate().is_ok());
    }
}
