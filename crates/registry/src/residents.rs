//! The resident master index: resolves each source's record of a person to one resident,
//! queues uncertain matches for review, and keeps who is responsible for the resident's care.

use std::sync::Arc;

use jiff::civil::Date;
use kernel::{MobileNumber, ResidentIdNumber, Sex};
use store::Db;
use store::sqlx::{self, AnyConnection, Row, any::AnyRow};
use tokio::sync::Mutex;
use vault::Keyring;

use crate::matching::{Candidate, Decision, Evidence, PersonFacts, Score, decide};
use crate::{RegistryError, Result};

/// Blind-index and cipher contexts of the index's personal fields.
const ID_NUMBER: &str = "resident.id_number";
const NAME: &str = "resident.name";
const MOBILE: &str = "resident.mobile";
const NAME_BIRTH: &str = "resident.name_birth";

/// One organisation's record of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    pub organisation_id: String,
    /// The id of the person in that organisation's record (e.g. its FHIR Patient id).
    pub source_patient_id: String,
    pub facts: PersonFacts,
}

/// How a source record was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Linked to a known resident, with the evidence.
    Existing {
        resident_id: String,
        evidence: Vec<Evidence>,
    },
    /// A resident the index did not know.
    Created { resident_id: String },
    /// Uncertain: a person must decide (see [`ResidentIndex::decide_review`]).
    PendingReview { review_id: String },
}

impl Resolution {
    /// The resident, when one was determined.
    pub fn resident_id(&self) -> Option<&str> {
        match self {
            Resolution::Existing { resident_id, .. } | Resolution::Created { resident_id } => {
                Some(resident_id)
            }
            Resolution::PendingReview { .. } => None,
        }
    }
}

/// Who is responsible for a resident's care.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CareTeam {
    /// District key (city data), e.g. `gulou`.
    pub district: Option<String>,
    pub community_centre_id: Option<String>,
    pub family_doctor_id: Option<String>,
    pub household_id: Option<String>,
    /// The resident's own platform account, if they have one.
    pub user_id: Option<String>,
}

/// A resident as the index holds them (personal fields decrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    pub id: String,
    pub facts: PersonFacts,
    pub care: CareTeam,
}

/// An uncertain match waiting for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchReview {
    pub id: String,
    pub organisation_id: String,
    pub source_patient_id: String,
    pub incoming: PersonFacts,
    pub candidates: Vec<Score>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewDecision {
    /// The incoming person is this candidate.
    SameAs(String),
    /// The incoming person is none of the candidates: a new resident.
    Distinct,
}

/// The resident master index. Cheap to clone.
#[derive(Clone)]
pub struct ResidentIndex {
    db: Db,
    keys: Arc<Keyring>,
    /// Resolution reads then writes; one at a time, so two sources sending the same new person
    /// at once cannot create two residents.
    writer: Arc<Mutex<()>>,
}

impl ResidentIndex {
    pub fn new(db: Db, keys: Arc<Keyring>) -> Self {
        ResidentIndex {
            db,
            keys,
            writer: Arc::new(Mutex::new(())),
        }
    }

    /// Resolves `source` to a resident, creating one or queueing a review as the matching
    /// rules decide. Resolving the same source record again returns its earlier link.
    pub async fn resolve(
        &self,
        source: &SourceRecord,
        new_id: impl FnOnce() -> String,
    ) -> Result<Resolution> {
        let _writer = self.writer.lock().await;
        if let Some(resident_id) = self
            .linked_resident(&source.organisation_id, &source.source_patient_id)
            .await?
        {
            return Ok(Resolution::Existing {
                resident_id,
                evidence: Vec::new(),
            });
        }
        let candidates = self.candidates(&source.facts).await?;
        // A resident and the link to the record that brought them commit together: a crash in
        // between must not leave a resident no source points at.
        let mut tx = self.db.writer().begin().await?;
        match decide(&source.facts, &candidates) {
            Decision::Same(score) => {
                self.enrich(&mut tx, &score.resident_id, &source.facts)
                    .await?;
                self.link(&mut tx, source, &score.resident_id, "matched")
                    .await?;
                tx.commit().await?;
                Ok(Resolution::Existing {
                    resident_id: score.resident_id,
                    evidence: score.evidence,
                })
            }
            Decision::New => {
                let resident_id = new_id();
                self.insert(&mut tx, &resident_id, &source.facts).await?;
                self.link(&mut tx, source, &resident_id, "new").await?;
                tx.commit().await?;
                Ok(Resolution::Created { resident_id })
            }
            Decision::Review(scores) => {
                drop(tx);
                let review_id = format!("{}-review", new_id());
                self.queue_review(&review_id, source, &scores).await?;
                Ok(Resolution::PendingReview { review_id })
            }
        }
    }

    /// The open reviews, oldest first.
    pub async fn open_reviews(&self, limit: u32) -> Result<Vec<MatchReview>> {
        let rows = sqlx::query(
            "SELECT id, organisation_id, source_patient_id, name_enc, mobile_enc, id_number_enc, \
             birth_date, sex, candidates FROM registry_match_reviews WHERE status = 'open' \
             ORDER BY created_at, id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(|row| self.review_from_row(row)).collect()
    }

    /// Applies a reviewer's decision: links the source record to the chosen candidate or to a
    /// new resident, and closes the review. Returns the resident.
    pub async fn decide_review(
        &self,
        review_id: &str,
        decision: ReviewDecision,
        reviewer: &str,
        new_id: impl FnOnce() -> String,
    ) -> Result<String> {
        let _writer = self.writer.lock().await;
        let row = sqlx::query(
            "SELECT id, organisation_id, source_patient_id, name_enc, mobile_enc, id_number_enc, \
             birth_date, sex, candidates, status FROM registry_match_reviews WHERE id = $1",
        )
        .bind(review_id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| RegistryError::UnknownReview(review_id.to_owned()))?;
        let status: String = row.try_get(9)?;
        if status != "open" {
            return Err(RegistryError::ReviewClosed(review_id.to_owned()));
        }
        let review = self.review_from_row(&row)?;
        let source = SourceRecord {
            organisation_id: review.organisation_id.clone(),
            source_patient_id: review.source_patient_id.clone(),
            facts: review.incoming.clone(),
        };
        let mut tx = self.db.writer().begin().await?;
        let (resident_id, outcome) = match decision {
            ReviewDecision::SameAs(resident_id) => {
                if !review
                    .candidates
                    .iter()
                    .any(|c| c.resident_id == resident_id)
                {
                    return Err(RegistryError::NotACandidate {
                        review_id: review_id.to_owned(),
                        resident_id,
                    });
                }
                self.enrich(&mut tx, &resident_id, &source.facts).await?;
                (resident_id, "merged")
            }
            ReviewDecision::Distinct => {
                let resident_id = new_id();
                self.insert(&mut tx, &resident_id, &source.facts).await?;
                (resident_id, "distinct")
            }
        };
        self.link(&mut tx, &source, &resident_id, "review").await?;
        sqlx::query(
            "UPDATE registry_match_reviews SET status = $1, decided_at = $2, decided_by = $3, \
             resident_id = $4 WHERE id = $5",
        )
        .bind(outcome)
        .bind(now())
        .bind(reviewer)
        .bind(resident_id.as_str())
        .bind(review_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(resident_id)
    }

    /// The residents whose own platform account is `user_id` (normally one).
    pub async fn residents_of_user(&self, user_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM registry_residents WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| r.try_get("id").map_err(RegistryError::from))
            .collect()
    }

    /// One review, open or decided; `None` if unknown.
    pub async fn review(&self, review_id: &str) -> Result<Option<MatchReview>> {
        let row = sqlx::query(
            "SELECT id, organisation_id, source_patient_id, name_enc, mobile_enc, id_number_enc, \
             birth_date, sex, candidates FROM registry_match_reviews WHERE id = $1",
        )
        .bind(review_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| self.review_from_row(&row)).transpose()
    }

    /// One resident, with personal fields decrypted; `None` if unknown.
    pub async fn resident(&self, id: &str) -> Result<Option<Resident>> {
        let row = sqlx::query(&format!("{SELECT_RESIDENT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|row| self.resident_from_row(&row)).transpose()
    }

    /// The resident with this ID number, found through its blind index.
    pub async fn find_by_id_number(&self, number: &ResidentIdNumber) -> Result<Option<Resident>> {
        let bidx = self.keys.blind_index.compute(ID_NUMBER, number.as_str());
        let row = sqlx::query(&format!("{SELECT_RESIDENT} WHERE id_number_bidx = $1"))
            .bind(bidx)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|row| self.resident_from_row(&row)).transpose()
    }

    /// The source records linked to a resident: (organisation, source patient id).
    pub async fn sources(&self, resident_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT organisation_id, source_patient_id FROM registry_resident_sources \
             WHERE resident_id = $1 ORDER BY linked_at, organisation_id",
        )
        .bind(resident_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Sets who is responsible for a resident's care.
    pub async fn set_care_team(&self, resident_id: &str, care: &CareTeam) -> Result<()> {
        let mut tx = self.db.writer().begin().await?;
        let changed = sqlx::query(
            "UPDATE registry_residents SET district = $1, community_centre_id = $2, \
             family_doctor_id = $3, household_id = $4, user_id = $5, updated_at = $6 \
             WHERE id = $7",
        )
        .bind(care.district.as_deref())
        .bind(care.community_centre_id.as_deref())
        .bind(care.family_doctor_id.as_deref())
        .bind(care.household_id.as_deref())
        .bind(care.user_id.as_deref())
        .bind(now())
        .bind(resident_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(RegistryError::UnknownResident(resident_id.to_owned()));
        }
        // The registers keep the care team's district and centre for their counts.
        sqlx::query(
            "UPDATE registry_enrolments SET district = $1, community_centre_id = $2 \
             WHERE resident_id = $3",
        )
        .bind(care.district.as_deref())
        .bind(care.community_centre_id.as_deref())
        .bind(resident_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The members of a household.
    pub async fn household(&self, household_id: &str) -> Result<Vec<Resident>> {
        let rows = sqlx::query(&format!(
            "{SELECT_RESIDENT} WHERE household_id = $1 ORDER BY id"
        ))
        .bind(household_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(|row| self.resident_from_row(row)).collect()
    }

    async fn linked_resident(&self, organisation: &str, source_id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT resident_id FROM registry_resident_sources \
             WHERE organisation_id = $1 AND source_patient_id = $2",
        )
        .bind(organisation)
        .bind(source_id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Residents sharing the ID number, the name and birth date, or the mobile number.
    async fn candidates(&self, facts: &PersonFacts) -> Result<Vec<Candidate>> {
        let blind = &self.keys.blind_index;
        let id_bidx = facts
            .id_number
            .as_ref()
            .map(|n| blind.compute(ID_NUMBER, n.as_str()));
        let name_birth = self.name_birth_bidx(facts);
        let mobile = facts
            .mobile
            .as_ref()
            .map(|m| blind.compute(MOBILE, m.as_str()));
        let rows = sqlx::query(&format!(
            "{SELECT_RESIDENT} WHERE id_number_bidx = $1 OR name_birth_bidx = $2 \
             OR mobile_bidx = $3 ORDER BY id LIMIT 50"
        ))
        .bind(id_bidx)
        .bind(name_birth)
        .bind(mobile)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let resident = self.resident_from_row(row)?;
                Ok(Candidate {
                    resident_id: resident.id,
                    facts: resident.facts,
                })
            })
            .collect()
    }

    fn name_birth_bidx(&self, facts: &PersonFacts) -> Option<String> {
        let name = facts.normalised_name()?;
        let birth = facts.birth()?;
        Some(
            self.keys
                .blind_index
                .compute(NAME_BIRTH, &format!("{name}|{birth}")),
        )
    }

    async fn insert(
        &self,
        conn: &mut AnyConnection,
        resident_id: &str,
        facts: &PersonFacts,
    ) -> Result<()> {
        let sealed = self.seal(resident_id, facts);
        let at = now();
        sqlx::query(
            "INSERT INTO registry_residents (id, id_number_enc, id_number_bidx, name_enc, \
             name_birth_bidx, mobile_enc, mobile_bidx, sex, birth_date, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(resident_id)
        .bind(sealed.id_number_enc)
        .bind(sealed.id_number_bidx)
        .bind(sealed.name_enc)
        .bind(self.name_birth_bidx(facts))
        .bind(sealed.mobile_enc)
        .bind(sealed.mobile_bidx)
        .bind(facts.sex().map(Sex::fhir_code))
        .bind(facts.birth().map(|d| d.to_string()))
        .bind(at)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Fills what the resident's record lacks from a newly linked source (an ID number, a
    /// mobile number); known values are kept, as the first verified source set them.
    async fn enrich(
        &self,
        conn: &mut AnyConnection,
        resident_id: &str,
        facts: &PersonFacts,
    ) -> Result<()> {
        let current = self
            .resident(resident_id)
            .await?
            .ok_or_else(|| RegistryError::UnknownResident(resident_id.to_owned()))?;
        let merged = PersonFacts {
            id_number: current.facts.id_number.or_else(|| facts.id_number.clone()),
            name: current.facts.name.or_else(|| facts.name.clone()),
            birth_date: current.facts.birth_date.or(facts.birth()),
            sex: current.facts.sex.or(facts.sex()),
            mobile: current.facts.mobile.or_else(|| facts.mobile.clone()),
        };
        let sealed = self.seal(resident_id, &merged);
        sqlx::query(
            "UPDATE registry_residents SET id_number_enc = $1, id_number_bidx = $2, name_enc = $3, \
             name_birth_bidx = $4, mobile_enc = $5, mobile_bidx = $6, sex = $7, birth_date = $8, \
             updated_at = $9 WHERE id = $10",
        )
        .bind(sealed.id_number_enc)
        .bind(sealed.id_number_bidx)
        .bind(sealed.name_enc)
        .bind(self.name_birth_bidx(&merged))
        .bind(sealed.mobile_enc)
        .bind(sealed.mobile_bidx)
        .bind(merged.sex().map(Sex::fhir_code))
        .bind(merged.birth().map(|d| d.to_string()))
        .bind(now())
        .bind(resident_id)
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn link(
        &self,
        conn: &mut AnyConnection,
        source: &SourceRecord,
        resident_id: &str,
        how: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO registry_resident_sources (organisation_id, source_patient_id, \
             resident_id, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(source.organisation_id.as_str())
        .bind(source.source_patient_id.as_str())
        .bind(resident_id)
        .bind(how)
        .bind(now())
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn queue_review(
        &self,
        review_id: &str,
        source: &SourceRecord,
        scores: &[Score],
    ) -> Result<()> {
        let sealed = self.seal(review_id, &source.facts);
        let candidates = scores
            .iter()
            .map(|s| {
                let evidence: Vec<&str> = s.evidence.iter().map(|e| e.code()).collect();
                format!("{}:{}:{}", s.resident_id, s.weight, evidence.join("+"))
            })
            .collect::<Vec<_>>()
            .join(";");
        sqlx::query(
            "INSERT INTO registry_match_reviews (id, organisation_id, source_patient_id, \
             name_enc, mobile_enc, id_number_enc, birth_date, sex, candidates, status, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10)",
        )
        .bind(review_id)
        .bind(source.organisation_id.as_str())
        .bind(source.source_patient_id.as_str())
        .bind(sealed.name_enc)
        .bind(sealed.mobile_enc)
        .bind(sealed.id_number_enc)
        .bind(source.facts.birth().map(|d| d.to_string()))
        .bind(source.facts.sex().map(Sex::fhir_code))
        .bind(candidates)
        .bind(now())
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// Encrypts the personal fields of `facts` for the row `row_id` (the cipher context binds
    /// each value to its row, so a value copied to another row does not open there).
    fn seal(&self, row_id: &str, facts: &PersonFacts) -> Sealed {
        let cipher = &self.keys.cipher;
        let blind = &self.keys.blind_index;
        Sealed {
            id_number_enc: facts
                .id_number
                .as_ref()
                .map(|n| cipher.encrypt(n.as_str(), &format!("{ID_NUMBER}:{row_id}"))),
            id_number_bidx: facts
                .id_number
                .as_ref()
                .map(|n| blind.compute(ID_NUMBER, n.as_str())),
            name_enc: facts
                .normalised_name()
                .map(|n| cipher.encrypt(&n, &format!("{NAME}:{row_id}"))),
            mobile_enc: facts
                .mobile
                .as_ref()
                .map(|m| cipher.encrypt(m.as_str(), &format!("{MOBILE}:{row_id}"))),
            mobile_bidx: facts
                .mobile
                .as_ref()
                .map(|m| blind.compute(MOBILE, m.as_str())),
        }
    }

    /// Decrypts the personal columns (name, mobile, id number, birth date, sex) at `first`.
    fn open_facts(&self, row_id: &str, row: &AnyRow, first: usize) -> Result<PersonFacts> {
        let cipher = &self.keys.cipher;
        let unreadable = || RegistryError::Unreadable(row_id.to_owned());
        let open = |index: usize, context: &str| -> Result<Option<String>> {
            let sealed: Option<String> = row.try_get(index)?;
            sealed
                .map(|s| {
                    cipher
                        .decrypt(&s, &format!("{context}:{row_id}"))
                        .map_err(|_| unreadable())
                })
                .transpose()
        };
        let name = open(first, NAME)?;
        let mobile = open(first + 1, MOBILE)?
            .map(|m| MobileNumber::parse(&m).map_err(|_| unreadable()))
            .transpose()?;
        let id_number = open(first + 2, ID_NUMBER)?
            .map(|n| ResidentIdNumber::parse(&n).map_err(|_| unreadable()))
            .transpose()?;
        let birth: Option<String> = row.try_get(first + 3)?;
        let sex: Option<String> = row.try_get(first + 4)?;
        Ok(PersonFacts {
            id_number,
            name,
            birth_date: birth
                .map(|b| b.parse::<Date>().map_err(|_| unreadable()))
                .transpose()?,
            sex: sex.and_then(|s| match s.as_str() {
                "male" => Some(Sex::Male),
                "female" => Some(Sex::Female),
                _ => None,
            }),
            mobile,
        })
    }

    fn resident_from_row(&self, row: &AnyRow) -> Result<Resident> {
        let id: String = row.try_get(0)?;
        let facts = self.open_facts(&id, row, 1)?;
        Ok(Resident {
            care: CareTeam {
                district: row.try_get(6)?,
                community_centre_id: row.try_get(7)?,
                family_doctor_id: row.try_get(8)?,
                household_id: row.try_get(9)?,
                user_id: row.try_get(10)?,
            },
            id,
            facts,
        })
    }

    fn review_from_row(&self, row: &AnyRow) -> Result<MatchReview> {
        let id: String = row.try_get(0)?;
        let incoming = self.open_facts(&id, row, 3)?;
        let candidates: String = row.try_get(8)?;
        Ok(MatchReview {
            organisation_id: row.try_get(1)?,
            source_patient_id: row.try_get(2)?,
            incoming,
            candidates: parse_candidates(&candidates),
            id,
        })
    }
}

const SELECT_RESIDENT: &str = "SELECT id, name_enc, mobile_enc, id_number_enc, birth_date, sex, \
     district, community_centre_id, family_doctor_id, household_id, user_id FROM registry_residents";

struct Sealed {
    id_number_enc: Option<String>,
    id_number_bidx: Option<String>,
    name_enc: Option<String>,
    mobile_enc: Option<String>,
    mobile_bidx: Option<String>,
}

/// Reads the stored candidate list `id:weight:evidence+evidence;...`.
fn parse_candidates(text: &str) -> Vec<Score> {
    text.split(';')
        .filter(|s| !s.is_empty())
        .filter_map(|item| {
            let mut parts = item.splitn(3, ':');
            let resident_id = parts.next()?.to_owned();
            let weight = parts.next()?.parse().ok()?;
            let evidence = parts
                .next()
                .unwrap_or_default()
                .split('+')
                .filter_map(Evidence::from_code)
                .collect();
            Some(Score {
                resident_id,
                weight,
                evidence,
            })
        })
        .collect()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
