//! Disease registries: enrolment by case finding, follow-up visits, and the counts that quality
//! indicators are computed from.
//!
//! A resident is enrolled in a disease once, by the first record whose code the disease's
//! template includes; the enrolment keeps that record, the code and the rule as its reason, so
//! anyone can see why a person is on a register. Follow-up visits keep their date and outcome
//! (controlled or not, danger sign or not); the measurements themselves live in the record
//! store as FHIR Observations, referenced by the visit's Encounter. Measures from arriving
//! records (a result judged against the register's target, an examination, an assessment at
//! a follow-up) are kept with the record they came from, and the latest of each kind on the
//! enrolment, so every count is one comparison per enrolment (ADR 0007).

use std::collections::{BTreeSet, HashMap};

use jiff::civil::Date;
use store::Db;
use store::sqlx::{self, AnyConnection, Row, any::AnyRow};

use crate::consent::{SharingPurpose, sharing_condition};
use crate::{RegistryError, Result};

/// Why a resident is to be enrolled: one record's code matched one disease's inclusion rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFinding {
    pub resident_id: String,
    /// Template code, e.g. `hypertension`.
    pub disease: String,
    /// The day of the finding record (its onset or recording date).
    pub found_on: Date,
    pub source_organisation: String,
    /// The record that found the case, as a FHIR reference (`Condition/abc`).
    pub source_resource: String,
    pub code_system: String,
    pub code: String,
    /// The inclusion rule that matched, e.g. `ICD-10 I10–I15`.
    pub rule: String,
    pub reason_zh: String,
    pub reason_en: String,
}

/// A resident's place on one disease register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub id: String,
    pub resident_id: String,
    pub disease: String,
    pub enrolled_on: Date,
    pub source_organisation: String,
    pub source_resource: String,
    pub code_system: String,
    pub code: String,
    pub rule: String,
    pub reason_zh: String,
    pub reason_en: String,
    pub last_visit: Option<Date>,
    /// Whether the last follow-up found the disease controlled; None before any, or when it
    /// could not be judged.
    pub last_controlled: Option<bool>,
}

/// An enrolment with the resident's non-identifying facts, for register lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRow {
    pub enrolment: Enrolment,
    pub district: Option<String>,
    pub community_centre_id: Option<String>,
    pub family_doctor_id: Option<String>,
    pub sex: Option<String>,
    pub birth_date: Option<Date>,
}

/// Whose enrolments a viewer may see: the same reach as their health-record access, stated
/// in the registry's own terms (a resident is served by the organisations that sent records
/// of them and by their community health centre).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Reach {
    /// Every resident (city scope).
    #[default]
    All,
    /// Residents served by one of `organisations` or living in one of `districts`.
    Served {
        organisations: Vec<String>,
        districts: Vec<String>,
    },
    /// These residents only.
    Residents(Vec<String>),
}

/// Which enrolments to list or count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterFilter {
    pub reach: Reach,
    pub disease: Option<String>,
    pub district: Option<String>,
    pub community_centre_id: Option<String>,
    /// Only the enrolments whose last follow-up had this outcome.
    pub controlled: Option<bool>,
    /// Only those followed up at least once (true) or never (false).
    pub followed_up: Option<bool>,
    /// Only those enrolled on or after this day (a period of enrolment, inclusive).
    pub enrolled_from: Option<Date>,
    /// Only those enrolled on or before this day (inclusive).
    pub enrolled_to: Option<Date>,
    pub limit: u32,
    pub offset: u32,
}

/// One follow-up visit of an enrolled resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub enrolment_id: String,
    pub visit_date: Date,
    pub recorded_by: String,
    pub organisation_id: String,
    pub controlled: Option<bool>,
    pub danger: bool,
    /// The FHIR Encounter that holds the visit's observations (`Encounter/abc`).
    pub encounter: Option<String>,
}

/// What a record measured for one of a resident's registers. Which records measure what is
/// the templates' `[counts.measure]` rules; the registry keeps the latest of each kind on the
/// enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// A result judged against the register's target (LDL-C for coronary heart disease): the
    /// latest of the year counts.
    TargetResult { met_target: bool },
    /// An examination (spirometry for COPD): any in the year counts.
    Examination,
    /// A follow-up that recorded the assessment the register asks for (mRS at a stroke
    /// rehabilitation follow-up): any in the year counts.
    Assessment,
}

impl Measure {
    /// The kind as stored, and the enrolment's columns holding the latest of it.
    fn kind(self) -> MeasureKind {
        match self {
            Measure::TargetResult { .. } => MeasureKind::TargetResult,
            Measure::Examination => MeasureKind::Examination,
            Measure::Assessment => MeasureKind::Assessment,
        }
    }

    fn met(self) -> Option<i64> {
        match self {
            Measure::TargetResult { met_target } => Some(i64::from(met_target)),
            Measure::Examination | Measure::Assessment => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum MeasureKind {
    TargetResult,
    Examination,
    Assessment,
}

impl MeasureKind {
    fn stored(self) -> &'static str {
        match self {
            MeasureKind::TargetResult => "target_result",
            MeasureKind::Examination => "examination",
            MeasureKind::Assessment => "assessment",
        }
    }

    fn from_stored(text: &str) -> Option<MeasureKind> {
        [
            MeasureKind::TargetResult,
            MeasureKind::Examination,
            MeasureKind::Assessment,
        ]
        .into_iter()
        .find(|k| k.stored() == text)
    }

    /// The enrolment's column with the day of the latest measure of this kind.
    fn on_column(self) -> &'static str {
        match self {
            MeasureKind::TargetResult => "target_result_on",
            MeasureKind::Examination => "examined_on",
            MeasureKind::Assessment => "assessed_on",
        }
    }

    /// `SET` of the latest measure's columns (day `$1`, whether met `$2`) and the number of
    /// the parameter after them.
    fn set_latest(self) -> (String, usize) {
        let on = self.on_column();
        match self.met_column() {
            Some(met) => (format!("{on} = $1, {met} = $2"), 3),
            None => (format!("{on} = $1"), 2),
        }
    }

    /// The enrolment's column with whether the latest met the target, for results.
    fn met_column(self) -> Option<&'static str> {
        match self {
            MeasureKind::TargetResult => Some("target_result_met"),
            MeasureKind::Examination | MeasureKind::Assessment => None,
        }
    }
}

/// One measure for one register, on the day it was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterMeasure {
    /// Template code, e.g. `chd`.
    pub disease: String,
    pub measure: Measure,
    /// The day of the result, examination or follow-up (in the city).
    pub on: Date,
}

/// Everything one record measures. It replaces what an earlier version of the same record
/// said, so a corrected result moves the facts and a withdrawn one (`measures` empty) removes
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    /// The record, as a FHIR reference (`Observation/abc`, `Encounter/xyz` for a follow-up).
    pub source: String,
    /// Whose record; `None` for a deleted record, whose measures are only withdrawn.
    pub resident_id: Option<String>,
    /// For the registers the resident is on; measures for other registers are ignored.
    pub measures: Vec<RegisterMeasure>,
    /// Whether the record may have measured something before (an update or a delete); a new
    /// record only adds.
    pub replaces: bool,
}

/// Counts over one register, the inputs of its quality indicators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegisterCounts {
    /// Residents on the register.
    pub registered: u64,
    /// Residents with at least one follow-up in the year before the day counted.
    pub followed_up: u64,
    /// Residents with at least `standard_visits` follow-ups in that year.
    pub standard: u64,
    /// Residents whose last follow-up in that year found the disease controlled.
    pub controlled: u64,
    /// Residents not overdue for follow-up on the day counted.
    pub on_time: u64,
    /// Residents whose last follow-up in that year found a danger sign (to be referred).
    pub referred: u64,
    /// Residents followed up in that year whose latest target result of the year (LDL-C for
    /// coronary heart disease) met the target.
    pub at_target: u64,
    /// Residents followed up in that year with an examination in it (spirometry for COPD).
    pub examined: u64,
    /// Residents with a follow-up in that year that recorded the register's assessment (mRS
    /// for stroke).
    pub assessed: u64,
}

/// What [`Registers::counts_by`] groups enrolments by (the resident's care team).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The district key (`gulou`).
    District,
    /// The community health centre's organisation id.
    CommunityCentre,
}

impl Group {
    fn column(self) -> &'static str {
        match self {
            Group::District => "e.district",
            Group::CommunityCentre => "e.community_centre_id",
        }
    }
}

/// The disease registers. Cheap to clone.
#[derive(Clone)]
pub struct Registers {
    db: Db,
}

const ENROLMENT_COLUMNS: &str = "e.id, e.resident_id, e.disease, e.enrolled_on, \
    e.source_organisation, e.source_resource, e.code_system, e.code, e.rule, e.reason_zh, \
    e.reason_en, e.last_visit, e.last_controlled";

impl Registers {
    pub fn new(db: Db) -> Self {
        Registers { db }
    }

    /// Enrols the resident unless already on that register; returns the new enrolment.
    pub async fn enrol(
        &self,
        finding: &CaseFinding,
        new_id: impl FnOnce() -> String,
        now_ms: i64,
    ) -> Result<Option<Enrolment>> {
        let mut conn = self.db.writer().acquire().await?;
        Self::enrol_on(&mut conn, finding, new_id(), now_ms).await
    }

    /// [`Registers::enrol`] on `conn`, inside the caller's transaction: a diagnosis and the
    /// enrolment it causes then commit together or not at all.
    pub async fn enrol_on(
        conn: &mut AnyConnection,
        finding: &CaseFinding,
        id: String,
        now_ms: i64,
    ) -> Result<Option<Enrolment>> {
        // ON CONFLICT DO NOTHING reads the same on SQLite and PostgreSQL and makes concurrent
        // findings of the same case enrol once. Only an indexed resident is enrolled: a record
        // waiting for an identity review is enrolled once the review places it.
        let inserted = sqlx::query(
            "INSERT INTO registry_enrolments (id, resident_id, disease, enrolled_on, enrolled_at, \
             source_organisation, source_resource, code_system, code, rule, reason_zh, reason_en, \
             district, community_centre_id) \
             SELECT $1, p.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             p.district, p.community_centre_id FROM registry_residents p WHERE p.id = $2 \
             ON CONFLICT (resident_id, disease) DO NOTHING",
        )
        .bind(&id)
        .bind(&finding.resident_id)
        .bind(&finding.disease)
        .bind(finding.found_on.to_string())
        .bind(now_ms)
        .bind(&finding.source_organisation)
        .bind(&finding.source_resource)
        .bind(&finding.code_system)
        .bind(&finding.code)
        .bind(&finding.rule)
        .bind(&finding.reason_zh)
        .bind(&finding.reason_en)
        .execute(conn)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(None);
        }
        Ok(Some(Enrolment {
            id,
            resident_id: finding.resident_id.clone(),
            disease: finding.disease.clone(),
            enrolled_on: finding.found_on,
            source_organisation: finding.source_organisation.clone(),
            source_resource: finding.source_resource.clone(),
            code_system: finding.code_system.clone(),
            code: finding.code.clone(),
            rule: finding.rule.clone(),
            reason_zh: finding.reason_zh.clone(),
            reason_en: finding.reason_en.clone(),
            last_visit: None,
            last_controlled: None,
        }))
    }

    pub async fn enrolment(&self, id: &str) -> Result<Option<Enrolment>> {
        let row = sqlx::query(&format!(
            "SELECT {ENROLMENT_COLUMNS} FROM registry_enrolments e WHERE e.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| enrolment_from(&r)).transpose()
    }

    /// Every register a resident is on, oldest enrolment first.
    pub async fn enrolments_of(&self, resident_id: &str) -> Result<Vec<Enrolment>> {
        let rows = sqlx::query(&format!(
            "SELECT {ENROLMENT_COLUMNS} FROM registry_enrolments e WHERE e.resident_id = $1 \
             ORDER BY e.enrolled_on, e.disease"
        ))
        .bind(resident_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(enrolment_from).collect()
    }

    /// One page of a register, most recently enrolled first.
    pub async fn list(&self, filter: &RegisterFilter) -> Result<Vec<RegisterRow>> {
        let (clause, binds) = filter_sql(filter);
        let sql = format!(
            "SELECT {ENROLMENT_COLUMNS}, p.district, p.community_centre_id, p.family_doctor_id, \
             p.sex, p.birth_date FROM registry_enrolments e \
             JOIN registry_residents p ON p.id = e.resident_id {clause} \
             ORDER BY e.enrolled_on DESC, e.id LIMIT ${} OFFSET ${}",
            binds.len() + 1,
            binds.len() + 2
        );
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query
            .bind(i64::from(filter.limit.max(1)))
            .bind(i64::from(filter.offset))
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RegisterRow {
                    enrolment: enrolment_from(r)?,
                    district: r.try_get("district")?,
                    community_centre_id: r.try_get("community_centre_id")?,
                    family_doctor_id: r.try_get("family_doctor_id")?,
                    sex: r.try_get("sex")?,
                    birth_date: parse_date(r.try_get::<Option<String>, _>("birth_date")?)?,
                })
            })
            .collect()
    }

    /// How many enrolments match `filter` (its limit and offset ignored).
    pub async fn count(&self, filter: &RegisterFilter) -> Result<u64> {
        let (clause, binds) = filter_sql(filter);
        let sql = format!(
            "SELECT COUNT(*) AS n FROM registry_enrolments e \
             JOIN registry_residents p ON p.id = e.resident_id {clause}"
        );
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let n: i64 = query.fetch_one(self.db.pool()).await?.try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Records a follow-up visit and moves the enrolment's last visit forward (a visit entered
    /// late, dated before the last one, does not move it back).
    pub async fn record_visit(
        &self,
        visit: &Visit,
        new_id: impl FnOnce() -> String,
        now_ms: i64,
    ) -> Result<()> {
        let mut tx = self.db.writer().begin().await?;
        let known = sqlx::query("SELECT last_visit FROM registry_enrolments WHERE id = $1")
            .bind(&visit.enrolment_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(known) = known else {
            return Err(RegistryError::UnknownEnrolment(visit.enrolment_id.clone()));
        };
        sqlx::query(
            "INSERT INTO registry_followups (id, enrolment_id, visit_date, recorded_at, \
             recorded_by, organisation_id, controlled, danger, encounter) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new_id())
        .bind(&visit.enrolment_id)
        .bind(visit.visit_date.to_string())
        .bind(now_ms)
        .bind(&visit.recorded_by)
        .bind(&visit.organisation_id)
        .bind(visit.controlled.map(i64::from))
        .bind(i64::from(visit.danger))
        .bind(&visit.encounter)
        .execute(&mut *tx)
        .await?;
        let _ = known;
        // The four latest visits (a visit entered late, dated before the last one, does not
        // move the last visit back) and the outcome of the latest.
        let latest = sqlx::query(
            "SELECT visit_date, controlled, danger FROM registry_followups \
             WHERE enrolment_id = $1 ORDER BY visit_date DESC, recorded_at DESC LIMIT 4",
        )
        .bind(&visit.enrolment_id)
        .fetch_all(&mut *tx)
        .await?;
        let date = |n: usize| -> Result<Option<String>> {
            latest
                .get(n)
                .map(|r| r.try_get::<String, _>("visit_date"))
                .transpose()
                .map_err(RegistryError::from)
        };
        let (controlled, danger) = match latest.first() {
            Some(r) => (
                r.try_get::<Option<i64>, _>("controlled")?,
                Some(r.try_get::<i64, _>("danger")?),
            ),
            None => (None, None),
        };
        sqlx::query(
            "UPDATE registry_enrolments SET last_visit = $1, last_controlled = $2, \
             last_danger = $3, visit_2nd = $4, visit_3rd = $5, visit_4th = $6 WHERE id = $7",
        )
        .bind(date(0)?)
        .bind(controlled)
        .bind(danger)
        .bind(date(1)?)
        .bind(date(2)?)
        .bind(date(3)?)
        .bind(&visit.enrolment_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies what records measured to their residents' enrolments, in one transaction
    /// (a Bundle of a thousand results is one call). Each record's measures replace what it
    /// said before; the latest measure of each kind is kept on the enrolment (a result entered
    /// late, dated before the latest, does not move it back; of two on one day, the one
    /// recorded last counts). Returns how many measures were stored.
    pub async fn record_measures(
        &self,
        records: &[Measured],
        mut new_id: impl FnMut() -> String,
        now_ms: i64,
    ) -> Result<usize> {
        if records.is_empty() {
            return Ok(0);
        }
        let mut tx = self.db.writer().begin().await?;
        // The registers of the residents concerned, a few hundred residents a query.
        let mut residents: Vec<&str> = records
            .iter()
            .filter(|r| !r.measures.is_empty())
            .filter_map(|r| r.resident_id.as_deref())
            .collect();
        residents.sort_unstable();
        residents.dedup();
        let mut enrolments: HashMap<(String, String), String> = HashMap::new();
        for chunk in residents.chunks(500) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT id, resident_id, disease FROM registry_enrolments \
                 WHERE resident_id IN ({list})"
            );
            let mut query = sqlx::query(&sql);
            for r in chunk {
                query = query.bind(*r);
            }
            for row in query.fetch_all(&mut *tx).await? {
                enrolments.insert(
                    (row.try_get("resident_id")?, row.try_get("disease")?),
                    row.try_get("id")?,
                );
            }
        }
        // Enrolments whose facts of a kind must be recomputed, because a measure was withdrawn.
        let mut recompute: BTreeSet<(String, MeasureKind)> = BTreeSet::new();
        let mut stored = 0;
        for record in records {
            if record.replaces {
                let earlier = sqlx::query(
                    "SELECT enrolment_id, kind FROM registry_measures WHERE source = $1",
                )
                .bind(&record.source)
                .fetch_all(&mut *tx)
                .await?;
                for row in earlier {
                    let kind: String = row.try_get("kind")?;
                    let kind = MeasureKind::from_stored(&kind)
                        .ok_or_else(|| RegistryError::Unreadable(format!("measure kind {kind}")))?;
                    recompute.insert((row.try_get("enrolment_id")?, kind));
                }
                sqlx::query("DELETE FROM registry_measures WHERE source = $1")
                    .bind(&record.source)
                    .execute(&mut *tx)
                    .await?;
            }
            let Some(resident) = &record.resident_id else {
                continue;
            };
            let mut seen: BTreeSet<(&str, MeasureKind)> = BTreeSet::new();
            for m in &record.measures {
                let Some(enrolment) = enrolments.get(&(resident.clone(), m.disease.clone())) else {
                    continue;
                };
                let kind = m.measure.kind();
                // One measure of a kind per record and register: the first.
                if !seen.insert((enrolment.as_str(), kind)) {
                    continue;
                }
                let on = m.on.to_string();
                sqlx::query(
                    "INSERT INTO registry_measures (id, enrolment_id, kind, measured_on, met, \
                     source, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (enrolment_id, kind, source) DO UPDATE SET \
                     measured_on = excluded.measured_on, met = excluded.met, \
                     recorded_at = excluded.recorded_at",
                )
                .bind(new_id())
                .bind(enrolment)
                .bind(kind.stored())
                .bind(&on)
                .bind(m.measure.met())
                .bind(&record.source)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                stored += 1;
                if recompute.contains(&(enrolment.clone(), kind)) {
                    continue;
                }
                // The latest moves forward only.
                let column = kind.on_column();
                let (set, id) = kind.set_latest();
                let sql = format!(
                    "UPDATE registry_enrolments SET {set} \
                     WHERE id = ${id} AND ({column} IS NULL OR {column} <= $1)"
                );
                let mut query = sqlx::query(&sql).bind(&on);
                if kind.met_column().is_some() {
                    query = query.bind(m.measure.met());
                }
                query.bind(enrolment).execute(&mut *tx).await?;
            }
        }
        for (enrolment, kind) in recompute {
            let latest = sqlx::query(
                "SELECT measured_on, met FROM registry_measures \
                 WHERE enrolment_id = $1 AND kind = $2 \
                 ORDER BY measured_on DESC, recorded_at DESC, id DESC LIMIT 1",
            )
            .bind(&enrolment)
            .bind(kind.stored())
            .fetch_optional(&mut *tx)
            .await?;
            let (on, met) = match latest {
                Some(row) => (
                    row.try_get::<Option<String>, _>("measured_on")?,
                    row.try_get::<Option<i64>, _>("met")?,
                ),
                None => (None, None),
            };
            let (set, id) = kind.set_latest();
            let sql = format!("UPDATE registry_enrolments SET {set} WHERE id = ${id}");
            let mut query = sqlx::query(&sql).bind(on);
            if kind.met_column().is_some() {
                query = query.bind(met);
            }
            query.bind(&enrolment).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// The follow-ups of one enrolment, newest first.
    pub async fn visits(&self, enrolment_id: &str) -> Result<Vec<Visit>> {
        let rows = sqlx::query(
            "SELECT enrolment_id, visit_date, recorded_by, organisation_id, controlled, danger, \
             encounter FROM registry_followups WHERE enrolment_id = $1 \
             ORDER BY visit_date DESC, recorded_at DESC",
        )
        .bind(enrolment_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Visit {
                    enrolment_id: r.try_get("enrolment_id")?,
                    visit_date: parse_date(Some(r.try_get("visit_date")?))?
                        .ok_or_else(|| RegistryError::Unreadable(enrolment_id.to_owned()))?,
                    recorded_by: r.try_get("recorded_by")?,
                    organisation_id: r.try_get("organisation_id")?,
                    controlled: r.try_get::<Option<i64>, _>("controlled")?.map(|c| c != 0),
                    danger: r.try_get::<i64, _>("danger")? != 0,
                    encounter: r.try_get("encounter")?,
                })
            })
            .collect()
    }

    /// The counts of the enrolments `filter` selects (its paging ignored) on `today`, the
    /// reporting day: follow-ups of the 365 days up to and including today count;
    /// `standard_visits` is the plan's yearly minimum, and a resident is overdue once more
    /// than `overdue_after_days` have passed since the last visit (or enrolment, before any).
    ///
    /// Computed by the database in one aggregate query; no enrolment is loaded. Only
    /// enrolments made by `today` count, and a past `today` sees each enrolment as it stood
    /// then (visits after it are ignored), so "as of" figures for a past day are correct.
    pub async fn counts(
        &self,
        filter: &RegisterFilter,
        today: Date,
        standard_visits: u32,
        overdue_after_days: u32,
    ) -> Result<RegisterCounts> {
        let rows = self
            .aggregate(filter, None, today, standard_visits, overdue_after_days)
            .await?;
        Ok(rows.into_iter().next().map(|(_, c)| c).unwrap_or_default())
    }

    /// [`counts`](Self::counts) for each district or community centre among the enrolments
    /// `filter` selects, in one query, ordered by key. Residents without a district (or
    /// centre) are grouped under the empty key `""`.
    pub async fn counts_by(
        &self,
        filter: &RegisterFilter,
        group: Group,
        today: Date,
        standard_visits: u32,
        overdue_after_days: u32,
    ) -> Result<Vec<(String, RegisterCounts)>> {
        self.aggregate(
            filter,
            Some(group),
            today,
            standard_visits,
            overdue_after_days,
        )
        .await
    }

    async fn aggregate(
        &self,
        filter: &RegisterFilter,
        group: Option<Group>,
        today: Date,
        standard_visits: u32,
        overdue_after_days: u32,
    ) -> Result<Vec<(String, RegisterCounts)>> {
        let days = |n: u32| {
            today
                .checked_sub(jiff::Span::new().days(i64::from(n)))
                .unwrap_or(Date::MIN)
                .to_string()
        };
        let since = days(364);
        let overdue_before = days(overdue_after_days);
        let (clause, binds) = filter_sql(filter);
        let n = binds.len();
        let (p_since, p_today, p_overdue, p_standard) = (n + 1, n + 2, n + 3, n + 4);
        // The enrolments as they stood on `today`. Follow-ups cannot be dated in the future,
        // so for the present the stored facts are the answer and the query reads one covering
        // index (migration 0004). For a past reporting day, an enrolment with visits after it
        // is read from its follow-ups.
        let present = today >= kernel::UtcMillis::now().city_date();
        let as_of = |column: &str| {
            if present {
                return format!("e.{column}");
            }
            format!(
                "(CASE WHEN e.last_visit IS NULL OR e.last_visit <= ${p_today} THEN e.{column} \
                 ELSE (SELECT f.{column_f} FROM registry_followups f \
                 WHERE f.enrolment_id = e.id AND f.visit_date <= ${p_today} \
                 ORDER BY f.visit_date DESC, f.recorded_at DESC LIMIT 1) END)",
                column_f = match column {
                    "last_visit" => "visit_date",
                    "last_controlled" => "controlled",
                    _ => "danger",
                }
            )
        };
        let key = group.map_or("''", Group::column);
        let enrolled_by = if clause.is_empty() {
            format!("WHERE e.enrolled_on <= ${p_today}")
        } else {
            format!("{clause} AND e.enrolled_on <= ${p_today}")
        };
        // At least k follow-ups in the year: the k-th latest visit is in it (k up to 4, kept on
        // the enrolment); for larger k, or when there are visits after the reporting day, the
        // follow-ups are counted.
        let counted = format!(
            "(SELECT COUNT(*) FROM registry_followups f WHERE f.enrolment_id = e.id \
             AND f.visit_date >= ${p_since} AND f.visit_date <= ${p_today}) >= ${p_standard}"
        );
        let kth = match standard_visits {
            0 => Some("e.enrolled_on"),
            1 => Some("e.last_visit"),
            2 => Some("e.visit_2nd"),
            3 => Some("e.visit_3rd"),
            4 => Some("e.visit_4th"),
            _ => None,
        };
        let standard = match (kth, present) {
            (Some(column), true) => format!("CASE WHEN {column} >= ${p_since} THEN 1 ELSE 0 END"),
            (Some(column), false) => format!(
                "CASE WHEN e.last_visit IS NULL OR e.last_visit <= ${p_today} \
                 THEN (CASE WHEN {column} >= ${p_since} THEN 1 ELSE 0 END) \
                 ELSE (CASE WHEN {counted} THEN 1 ELSE 0 END) END"
            ),
            (None, _) => format!("CASE WHEN {counted} THEN 1 ELSE 0 END"),
        };
        let (last_visit, last_controlled, last_danger) = (
            as_of("last_visit"),
            as_of("last_controlled"),
            as_of("last_danger"),
        );
        // The latest measure of a kind as it stood on `today`: kept on the enrolment, or for a
        // past day with measures after it, read from the measures.
        let measure_as_of = |kind: MeasureKind, column: &str, measured: &str| {
            let on = kind.on_column();
            if present {
                return format!("e.{column}");
            }
            format!(
                "(CASE WHEN e.{on} IS NULL OR e.{on} <= ${p_today} THEN e.{column} \
                 ELSE (SELECT m.{measured} FROM registry_measures m \
                 WHERE m.enrolment_id = e.id AND m.kind = '{kind}' AND m.measured_on <= ${p_today} \
                 ORDER BY m.measured_on DESC, m.recorded_at DESC, m.id DESC LIMIT 1) END)",
                kind = kind.stored()
            )
        };
        let result_on = measure_as_of(MeasureKind::TargetResult, "target_result_on", "measured_on");
        let result_met = measure_as_of(MeasureKind::TargetResult, "target_result_met", "met");
        let examined_on = measure_as_of(MeasureKind::Examination, "examined_on", "measured_on");
        let assessed_on = measure_as_of(MeasureKind::Assessment, "assessed_on", "measured_on");
        let sql = format!(
            "SELECT COALESCE({key}, '') AS g, COUNT(*) AS registered, \
             COALESCE(SUM(CASE WHEN {last_visit} >= ${p_since} THEN 1 ELSE 0 END), 0) \
               AS followed_up, \
             COALESCE(SUM(CASE WHEN {last_visit} >= ${p_since} AND {last_controlled} = 1 \
               THEN 1 ELSE 0 END), 0) AS controlled, \
             COALESCE(SUM(CASE WHEN {last_visit} >= ${p_since} AND {last_danger} = 1 \
               THEN 1 ELSE 0 END), 0) AS referred, \
             COALESCE(SUM(CASE WHEN COALESCE({last_visit}, e.enrolled_on) >= ${p_overdue} \
               THEN 1 ELSE 0 END), 0) AS on_time, \
             COALESCE(SUM({standard}), 0) AS standard, \
             COALESCE(SUM(CASE WHEN {last_visit} >= ${p_since} AND {result_on} >= ${p_since} \
               AND {result_met} = 1 THEN 1 ELSE 0 END), 0) AS at_target, \
             COALESCE(SUM(CASE WHEN {last_visit} >= ${p_since} AND {examined_on} >= ${p_since} \
               THEN 1 ELSE 0 END), 0) AS examined, \
             COALESCE(SUM(CASE WHEN {last_visit} >= ${p_since} AND {assessed_on} >= ${p_since} \
               THEN 1 ELSE 0 END), 0) AS assessed \
             FROM registry_enrolments e {enrolled_by} \
             GROUP BY COALESCE({key}, '') ORDER BY 1"
        );
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query
            .bind(since)
            .bind(today.to_string())
            .bind(overdue_before)
            .bind(i64::from(standard_visits))
            .fetch_all(self.db.pool())
            .await?;
        let count = |r: &AnyRow, column: &str| -> Result<u64> {
            Ok(u64::try_from(r.try_get::<i64, _>(column)?).unwrap_or(0))
        };
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("g")?,
                    RegisterCounts {
                        registered: count(r, "registered")?,
                        followed_up: count(r, "followed_up")?,
                        standard: count(r, "standard")?,
                        controlled: count(r, "controlled")?,
                        on_time: count(r, "on_time")?,
                        referred: count(r, "referred")?,
                        at_target: count(r, "at_target")?,
                        examined: count(r, "examined")?,
                        assessed: count(r, "assessed")?,
                    },
                ))
            })
            .collect()
    }

    /// The districts and community centres among the enrolments `filter` selects (its
    /// district and centre ignored), for the choices of a list's filters.
    pub async fn facets(&self, filter: &RegisterFilter) -> Result<(Vec<String>, Vec<String>)> {
        let open = RegisterFilter {
            district: None,
            community_centre_id: None,
            ..filter.clone()
        };
        let (clause, binds) = filter_sql(&open);
        let mut out = (Vec::new(), Vec::new());
        for (column, target) in [("e.district", 0), ("e.community_centre_id", 1)] {
            let sql = format!(
                "SELECT DISTINCT {column} AS v FROM registry_enrolments e \
                 JOIN registry_residents p ON p.id = e.resident_id {clause} ORDER BY 1"
            );
            let mut query = sqlx::query(&sql);
            for b in &binds {
                query = query.bind(b);
            }
            let values: Vec<String> = query
                .fetch_all(self.db.pool())
                .await?
                .iter()
                .filter_map(|r| r.try_get::<Option<String>, _>("v").ok().flatten())
                .collect();
            if target == 0 {
                out.0 = values;
            } else {
                out.1 = values;
            }
        }
        Ok(out)
    }
}

fn filter_sql(filter: &RegisterFilter) -> (String, Vec<String>) {
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    let mut add = |column: &str, value: &Option<String>| {
        if let Some(v) = value {
            binds.push(v.clone());
            clauses.push(format!("{column} = ${}", binds.len()));
        }
    };
    add("e.disease", &filter.disease);
    add("e.district", &filter.district);
    add("e.community_centre_id", &filter.community_centre_id);
    let placeholders = |binds: &mut Vec<String>, values: &[String]| {
        values
            .iter()
            .map(|v| {
                binds.push(v.clone());
                format!("${}", binds.len())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &filter.reach {
        Reach::All => {}
        Reach::Residents(ids) if ids.is_empty() => clauses.push("1 = 0".to_owned()),
        Reach::Residents(ids) => {
            let list = placeholders(&mut binds, ids);
            clauses.push(format!("e.resident_id IN ({list})"));
        }
        Reach::Served {
            organisations,
            districts,
        } => {
            // Each way of being served holds only while the resident shares for its purpose:
            // the community centre and the district through "community", the organisations
            // that treated them through "care-team" (crates/registry/src/consent.rs).
            let community = sharing_condition("e.resident_id", SharingPurpose::Community);
            let care_team = sharing_condition("e.resident_id", SharingPurpose::CareTeam);
            let mut any = Vec::new();
            if !organisations.is_empty() {
                let list = placeholders(&mut binds, organisations);
                any.push(format!(
                    "(e.community_centre_id IN ({list}) AND {community})"
                ));
                let list = placeholders(&mut binds, organisations);
                any.push(format!(
                    "(e.resident_id IN (SELECT s.resident_id FROM registry_resident_sources s \
                     WHERE s.organisation_id IN ({list})) AND {care_team})"
                ));
            }
            if !districts.is_empty() {
                let list = placeholders(&mut binds, districts);
                any.push(format!("(e.district IN ({list}) AND {community})"));
            }
            if any.is_empty() {
                clauses.push("1 = 0".to_owned());
            } else {
                clauses.push(format!("({})", any.join(" OR ")));
            }
        }
    }
    match filter.followed_up {
        Some(true) => clauses.push("e.last_visit IS NOT NULL".to_owned()),
        Some(false) => clauses.push("e.last_visit IS NULL".to_owned()),
        None => {}
    }
    for (op, day) in [(">=", filter.enrolled_from), ("<=", filter.enrolled_to)] {
        if let Some(day) = day {
            binds.push(day.to_string());
            clauses.push(format!("e.enrolled_on {op} ${}", binds.len()));
        }
    }
    match filter.controlled {
        Some(true) => clauses.push("e.last_controlled = 1".to_owned()),
        Some(false) => clauses.push("e.last_controlled = 0".to_owned()),
        None => {}
    }
    if clauses.is_empty() {
        (String::new(), binds)
    } else {
        (format!("WHERE {}", clauses.join(" AND ")), binds)
    }
}

fn parse_date(text: Option<String>) -> Result<Option<Date>> {
    text.map(|t| {
        t.parse::<Date>()
            .map_err(|_| RegistryError::Unreadable(format!("date {t}")))
    })
    .transpose()
}

fn enrolment_from(r: &AnyRow) -> Result<Enrolment> {
    let id: String = r.try_get("id")?;
    Ok(Enrolment {
        enrolled_on: parse_date(Some(r.try_get("enrolled_on")?))?
            .ok_or_else(|| RegistryError::Unreadable(id.clone()))?,
        resident_id: r.try_get("resident_id")?,
        disease: r.try_get("disease")?,
        source_organisation: r.try_get("source_organisation")?,
        source_resource: r.try_get("source_resource")?,
        code_system: r.try_get("code_system")?,
        code: r.try_get("code")?,
        rule: r.try_get("rule")?,
        reason_zh: r.try_get("reason_zh")?,
        reason_en: r.try_get("reason_en")?,
        last_visit: parse_date(r.try_get("last_visit")?)?,
        last_controlled: r
            .try_get::<Option<i64>, _>("last_controlled")?
            .map(|c| c != 0),
        id,
    })
}
