//! What each resident shares, by purpose, and whom in their household they let act for them.
//!
//! The purposes and their defaults are data (`data/sharing.toml`). A directive is stored only
//! once a resident decides; until then the purpose's default holds. Enforcement happens where
//! records are found, not here: [`sharing_condition`] is the SQL the register queries add, and
//! the record store's patient links are recomputed from [`Sharing`] whenever a directive
//! changes (crates/clinical/src/consent.rs), so a search never counts what a resident withheld.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use store::Db;
use store::sqlx::{self, AnyConnection, Row};

use crate::error::{RegistryError, Result};

/// Why a resident's data may be shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SharingPurpose {
    /// The hospitals and doctors who treat the resident.
    CareTeam,
    /// The community health centre, family doctor and district disease management.
    Community,
    /// De-identified medical research approved by an ethics committee.
    Research,
    /// De-identified research and development by companies.
    Commercial,
}

impl SharingPurpose {
    /// Every purpose, in the order pages show them.
    pub const ALL: [SharingPurpose; 4] = [
        SharingPurpose::CareTeam,
        SharingPurpose::Community,
        SharingPurpose::Research,
        SharingPurpose::Commercial,
    ];

    /// The code used in URLs, the database and FHIR Consent resources.
    pub fn code(self) -> &'static str {
        match self {
            SharingPurpose::CareTeam => "care-team",
            SharingPurpose::Community => "community",
            SharingPurpose::Research => "research",
            SharingPurpose::Commercial => "commercial",
        }
    }

    /// The purpose with this code.
    pub fn parse(code: &str) -> Option<SharingPurpose> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Its definition: names, explanation, default and citation.
    pub fn definition(self) -> &'static PurposeDefinition {
        POLICY
            .purposes
            .iter()
            .find(|d| d.code == self.code())
            // Checked when the policy loads: every purpose has exactly one definition.
            .unwrap_or(&POLICY.purposes[0])
    }

    /// Whether it holds for a resident who has not decided.
    pub fn default_granted(self) -> bool {
        self.definition().default_granted
    }
}

/// A purpose as the policy file defines it.
#[derive(Debug, Clone, Deserialize)]
pub struct PurposeDefinition {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub about_zh: String,
    pub about_en: String,
    pub default_granted: bool,
    /// HL7 v3 ActReason code for the FHIR Consent provision's purpose.
    pub act_reason: String,
    pub source: PolicySource,
}

/// Where a default comes from.
#[derive(Debug, Clone, Deserialize)]
pub struct PolicySource {
    pub citation: String,
    pub section: String,
    pub confirmed: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// A document the policy cites.
#[derive(Debug, Clone, Deserialize)]
pub struct PolicyCitation {
    pub id: String,
    pub title: String,
    pub url: String,
}

/// The sharing policy file.
#[derive(Debug, Clone, Deserialize)]
pub struct SharingPolicy {
    pub citations: Vec<PolicyCitation>,
    pub purposes: Vec<PurposeDefinition>,
}

impl SharingPolicy {
    fn parse(text: &str) -> std::result::Result<SharingPolicy, String> {
        let policy: SharingPolicy = toml::from_str(text).map_err(|e| e.to_string())?;
        for purpose in SharingPurpose::ALL {
            let n = policy
                .purposes
                .iter()
                .filter(|d| d.code == purpose.code())
                .count();
            if n != 1 {
                return Err(format!(
                    "purpose {} is defined {n} times, not once",
                    purpose.code()
                ));
            }
        }
        for d in &policy.purposes {
            if SharingPurpose::parse(&d.code).is_none() {
                return Err(format!("unknown purpose {}", d.code));
            }
            if !policy.citations.iter().any(|c| c.id == d.source.citation) {
                return Err(format!(
                    "purpose {} cites {}, which is not listed",
                    d.code, d.source.citation
                ));
            }
        }
        Ok(policy)
    }
}

static POLICY: LazyLock<SharingPolicy> = LazyLock::new(|| {
    // The file ships with the binary and a test parses it; a broken file is a build defect.
    #[allow(clippy::expect_used)]
    SharingPolicy::parse(include_str!("../data/sharing.toml")).expect("data/sharing.toml is valid")
});

/// The sharing policy the platform runs.
pub fn sharing_policy() -> &'static SharingPolicy {
    &POLICY
}

/// One purpose's state for one resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    pub resident_id: String,
    pub purpose: SharingPurpose,
    pub granted: bool,
    /// False while the default holds (the resident has not decided).
    pub decided: bool,
    pub decided_at: Option<i64>,
    /// The user who decided (the resident or an authorised household member).
    pub decided_by: Option<String>,
    /// The household member who decided on the resident's behalf, if not the resident.
    pub proxy_resident_id: Option<String>,
}

/// A resident's (or their proxy's) decision on one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharingDecision {
    pub resident_id: String,
    pub purpose: SharingPurpose,
    pub granted: bool,
    pub at: i64,
    /// The user who decided.
    pub by: String,
    /// The household member who decided on the resident's behalf, if not the resident.
    pub proxy_resident_id: Option<String>,
}

impl SharingDecision {
    /// The directive it leaves in force.
    pub fn directive(&self) -> Directive {
        Directive {
            resident_id: self.resident_id.clone(),
            purpose: self.purpose,
            granted: self.granted,
            decided: true,
            decided_at: Some(self.at),
            decided_by: Some(self.by.clone()),
            proxy_resident_id: self.proxy_resident_id.clone(),
        }
    }
}

/// The two purposes that decide who among care providers sees a resident's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sharing {
    pub care_team: bool,
    pub community: bool,
}

/// A household member a resident lets see their records and decide on sharing for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proxy {
    pub resident_id: String,
    pub proxy_resident_id: String,
    pub granted_at: i64,
    pub granted_by: String,
}

/// SQL that holds for the residents (column `resident_column`) for whom `purpose` is granted.
/// Purposes on by default exclude those who withdrew; others include those who agreed.
pub fn sharing_condition(resident_column: &str, purpose: SharingPurpose) -> String {
    let code = purpose.code();
    if purpose.default_granted() {
        format!(
            "{resident_column} NOT IN (SELECT c.resident_id FROM registry_consents c \
             WHERE c.purpose = '{code}' AND c.granted = 0)"
        )
    } else {
        format!(
            "{resident_column} IN (SELECT c.resident_id FROM registry_consents c \
             WHERE c.purpose = '{code}' AND c.granted = 1)"
        )
    }
}

/// Residents' directives and household proxies.
#[derive(Clone)]
pub struct Consents {
    db: Db,
}

impl Consents {
    pub fn new(db: Db) -> Self {
        Consents { db }
    }

    /// Every purpose's state for `resident_id`, defaults included, in [`SharingPurpose::ALL`] order.
    pub async fn directives(&self, resident_id: &str) -> Result<Vec<Directive>> {
        let rows = sqlx::query(
            "SELECT purpose, granted, decided_at, decided_by, proxy_resident_id \
             FROM registry_consents WHERE resident_id = $1",
        )
        .bind(resident_id)
        .fetch_all(self.db.pool())
        .await?;
        let mut stored = Vec::with_capacity(rows.len());
        for row in &rows {
            let code: String = row.try_get("purpose")?;
            let Some(purpose) = SharingPurpose::parse(&code) else {
                continue;
            };
            stored.push(Directive {
                resident_id: resident_id.to_owned(),
                purpose,
                granted: row.try_get::<i64, _>("granted")? == 1,
                decided: true,
                decided_at: Some(row.try_get("decided_at")?),
                decided_by: Some(row.try_get("decided_by")?),
                proxy_resident_id: row.try_get("proxy_resident_id")?,
            });
        }
        Ok(SharingPurpose::ALL
            .into_iter()
            .map(|purpose| {
                stored
                    .iter()
                    .find(|d| d.purpose == purpose)
                    .cloned()
                    .unwrap_or_else(|| Directive {
                        resident_id: resident_id.to_owned(),
                        purpose,
                        granted: purpose.default_granted(),
                        decided: false,
                        decided_at: None,
                        decided_by: None,
                        proxy_resident_id: None,
                    })
            })
            .collect())
    }

    /// Whether `purpose` holds for `resident_id`.
    pub async fn is_granted(&self, resident_id: &str, purpose: SharingPurpose) -> Result<bool> {
        let row = sqlx::query(
            "SELECT granted FROM registry_consents WHERE resident_id = $1 AND purpose = $2",
        )
        .bind(resident_id)
        .bind(purpose.code())
        .fetch_optional(self.db.pool())
        .await?;
        Ok(match row {
            Some(row) => row.try_get::<i64, _>("granted")? == 1,
            None => purpose.default_granted(),
        })
    }

    /// The care purposes of `resident_id`, for the record links.
    pub async fn sharing(&self, resident_id: &str) -> Result<Sharing> {
        Ok(Sharing {
            care_team: self
                .is_granted(resident_id, SharingPurpose::CareTeam)
                .await?,
            community: self
                .is_granted(resident_id, SharingPurpose::Community)
                .await?,
        })
    }

    /// Which of `resident_ids` agree to `purpose` (for research extracts and queries).
    pub async fn consenting(
        &self,
        purpose: SharingPurpose,
        resident_ids: &[String],
    ) -> Result<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        // Bounded parameter lists: SQLite allows 32,766 and PostgreSQL 65,535 per statement.
        for chunk in resident_ids.chunks(1000) {
            let list = (1..=chunk.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT r.id FROM registry_residents r WHERE r.id IN ({list}) AND {}",
                sharing_condition("r.id", purpose)
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(self.db.pool()).await? {
                out.insert(row.try_get("id")?);
            }
        }
        Ok(out)
    }

    /// Stores a decision on `conn` (so it commits with the record links it changes).
    pub async fn decide_on(conn: &mut AnyConnection, decision: &SharingDecision) -> Result<()> {
        sqlx::query(
            "INSERT INTO registry_consents \
               (resident_id, purpose, granted, decided_at, decided_by, proxy_resident_id) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (resident_id, purpose) DO UPDATE SET granted = excluded.granted, \
               decided_at = excluded.decided_at, decided_by = excluded.decided_by, \
               proxy_resident_id = excluded.proxy_resident_id",
        )
        .bind(&decision.resident_id)
        .bind(decision.purpose.code())
        .bind(i64::from(decision.granted))
        .bind(decision.at)
        .bind(&decision.by)
        .bind(&decision.proxy_resident_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Stores a decision on its own (no record links depend on research purposes).
    pub async fn decide(&self, decision: &SharingDecision) -> Result<()> {
        let mut conn = self.db.writer().acquire().await?;
        Self::decide_on(&mut conn, decision).await
    }

    /// Lets `proxy_resident_id`, of the same household, act for `resident_id`.
    pub async fn authorise_proxy(
        &self,
        resident_id: &str,
        proxy_resident_id: &str,
        granted_by: &str,
        at: i64,
    ) -> Result<Proxy> {
        if resident_id == proxy_resident_id {
            return Err(RegistryError::SelfProxy);
        }
        let same_household = sqlx::query(
            "SELECT 1 AS one FROM registry_residents a JOIN registry_residents b \
               ON a.household_id = b.household_id \
             WHERE a.id = $1 AND b.id = $2 AND a.household_id IS NOT NULL",
        )
        .bind(resident_id)
        .bind(proxy_resident_id)
        .fetch_optional(self.db.pool())
        .await?
        .is_some();
        if !same_household {
            return Err(RegistryError::NotSameHousehold {
                resident: resident_id.to_owned(),
                proxy: proxy_resident_id.to_owned(),
            });
        }
        sqlx::query(
            "INSERT INTO registry_consent_proxies \
               (resident_id, proxy_resident_id, granted_at, granted_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (resident_id, proxy_resident_id) DO NOTHING",
        )
        .bind(resident_id)
        .bind(proxy_resident_id)
        .bind(at)
        .bind(granted_by)
        .execute(self.db.writer())
        .await?;
        Ok(Proxy {
            resident_id: resident_id.to_owned(),
            proxy_resident_id: proxy_resident_id.to_owned(),
            granted_at: at,
            granted_by: granted_by.to_owned(),
        })
    }

    /// Withdraws a proxy; true if there was one.
    pub async fn revoke_proxy(&self, resident_id: &str, proxy_resident_id: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM registry_consent_proxies WHERE resident_id = $1 AND proxy_resident_id = $2",
        )
        .bind(resident_id)
        .bind(proxy_resident_id)
        .execute(self.db.writer())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The household members `resident_id` has authorised.
    pub async fn proxies_of(&self, resident_id: &str) -> Result<Vec<Proxy>> {
        let rows = sqlx::query(
            "SELECT proxy_resident_id, granted_at, granted_by FROM registry_consent_proxies \
             WHERE resident_id = $1 ORDER BY granted_at",
        )
        .bind(resident_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Proxy {
                    resident_id: resident_id.to_owned(),
                    proxy_resident_id: row.try_get("proxy_resident_id")?,
                    granted_at: row.try_get("granted_at")?,
                    granted_by: row.try_get("granted_by")?,
                })
            })
            .collect()
    }

    /// The residents who authorised any of `proxy_resident_ids` to act for them.
    pub async fn represented_by(&self, proxy_resident_ids: &[String]) -> Result<Vec<String>> {
        let mut out = BTreeSet::new();
        for proxy in proxy_resident_ids {
            let rows = sqlx::query(
                "SELECT resident_id FROM registry_consent_proxies WHERE proxy_resident_id = $1",
            )
            .bind(proxy)
            .fetch_all(self.db.pool())
            .await?;
            for row in rows {
                out.insert(row.try_get("resident_id")?);
            }
        }
        Ok(out.into_iter().collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn the_shipped_policy_defines_every_purpose_once_with_a_listed_citation() {
        let policy = SharingPolicy::parse(include_str!("../data/sharing.toml")).unwrap();
        assert_eq!(policy.purposes.len(), SharingPurpose::ALL.len());
        // Care purposes are on by default; de-identified reuse needs the resident's own yes.
        assert!(SharingPurpose::CareTeam.default_granted());
        assert!(SharingPurpose::Community.default_granted());
        assert!(!SharingPurpose::Research.default_granted());
        assert!(!SharingPurpose::Commercial.default_granted());
    }

    #[test]
    fn a_policy_missing_a_purpose_or_citing_an_unknown_source_is_refused() {
        let text = include_str!("../data/sharing.toml");
        let without_commercial = text
            .split("[[purposes]]")
            .filter(|part| !part.contains("code = \"commercial\""))
            .collect::<Vec<_>>()
            .join("[[purposes]]");
        assert!(
            SharingPolicy::parse(&without_commercial)
                .unwrap_err()
                .contains("commercial")
        );
        let bad_citation = text.replacen("citation = \"platform\"", "citation = \"nowhere\"", 1);
        assert!(
            SharingPolicy::parse(&bad_citation)
                .unwrap_err()
                .contains("nowhere")
        );
    }

    #[test]
    fn codes_round_trip() {
        for p in SharingPurpose::ALL {
            assert_eq!(SharingPurpose::parse(p.code()), Some(p));
        }
        assert_eq!(SharingPurpose::parse("marketing"), None);
    }

    #[test]
    fn the_condition_excludes_withdrawals_or_includes_agreements_by_default() {
        let care = sharing_condition("e.resident_id", SharingPurpose::CareTeam);
        assert!(care.starts_with("e.resident_id NOT IN"));
        assert!(care.contains("granted = 0"));
        let research = sharing_condition("r.id", SharingPurpose::Research);
        assert!(research.starts_with("r.id IN"));
        assert!(research.contains("granted = 1"));
    }
}
