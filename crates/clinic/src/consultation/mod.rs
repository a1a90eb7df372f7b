//! Consultations: a patient (or a guardian) asks a pilot's doctor for an online follow-up;
//! the doctor accepts it as a follow-up of a definite diagnosis, writes with the patient,
//! reviews the record, may prescribe, and closes it with a visit note.

mod messages;
mod state;

pub use messages::{Image, Message};
pub use state::{Move, NotAllowed, State, is_overdue, next};

use access::{Principal, Role};
use clinical::Actor;
use jiff::ToSpan;
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use serde::Serialize;
use serde_json::json;
use store::sqlx::{self, Row, any::AnyRow};

use crate::eligibility::{self, DiagnosisBasis, DoctorFacts, Verdict};
use crate::error::{ClinicError, Result};
use crate::service::Clinic;

/// Longest complaint and visit note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// What a patient asks for.
#[derive(Debug, Clone, Default)]
pub struct NewConsultation {
    pub resident_id: String,
    pub hospital_id: String,
    pub doctor_id: String,
    /// Disease template code, e.g. `hypertension`.
    pub disease: String,
    pub complaint: String,
    /// The person booking confirms a guardian will be present (children under 6).
    pub guardian_present: bool,
    /// An outpatient record, discharge summary or diagnosis certificate, when the register
    /// holds no diagnosis.
    pub document: Option<Image>,
}

/// A consultation as the people in it see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consultation {
    pub id: String,
    pub resident_id: String,
    pub requested_by: String,
    pub hospital_id: String,
    pub doctor_id: String,
    pub disease: String,
    pub state: State,
    pub basis: DiagnosisBasis,
    pub guardian_present: bool,
    pub complaint: String,
    pub requested_at: i64,
    pub accepted_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub close_reason: Option<String>,
    pub last_activity_at: i64,
    pub note: Option<String>,
    /// The visit's Encounter in the record (`Encounter/…`), once accepted.
    pub encounter: Option<String>,
    pub long_confirmed_at: Option<i64>,
    pub document_message_id: Option<String>,
}

/// One consultation as a party's page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub consultation: Consultation,
    pub party: Party,
    pub messages: Vec<Message>,
    pub prescriptions: Vec<crate::Prescription>,
}

/// Who someone is in a consultation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The patient, or the household member acting for them.
    Patient,
    Doctor,
}

const COLUMNS: &str = "id, resident_id, requested_by, hospital_id, doctor_id, disease, state, \
    basis, guardian_present, complaint, requested_at, accepted_at, completed_at, closed_at, \
    close_reason, last_activity_at, note, encounter, long_confirmed_at, document_message_id, \
    document_accepted";

impl Clinic {
    /// A patient's request. Checked against the pilot's offering, the doctor's credentials and
    /// the patient's eligibility; a refusal lists each failed rule and what to do instead.
    pub async fn request_consultation(
        &self,
        actor: &Principal,
        new: NewConsultation,
    ) -> Result<Consultation> {
        let booked_by_proxy = self.acting_for(actor, &new.resident_id).await?;
        let complaint = checked_text("complaint", &new.complaint, true)?;
        if self.clinical.catalogue().get(&new.disease).is_none() {
            return Err(ClinicError::invalid(
                "disease",
                format!("`{}` is not a condition of the registry", new.disease),
            ));
        }
        if let Some(image) = &new.document {
            image.check(self.rules)?;
        }
        let now = UtcMillis::now();
        let today = now.city_date();
        let doctor = self
            .doctor_facts(&new.hospital_id, &new.doctor_id, &new.disease)
            .await?;
        let verdict = eligibility::may_consult(&doctor, today, self.rules);
        self.refuse_unless(&verdict, &new.hospital_id, "consult")
            .await?;
        let mut facts = self
            .patient_facts(
                &new.resident_id,
                &new.disease,
                new.document.as_ref().map(|_| false),
                today,
            )
            .await?;
        facts.booked_by_proxy = booked_by_proxy;
        facts.guardian_present = new.guardian_present;
        let verdict = eligibility::may_request(&facts, self.rules);
        self.refuse_unless(&verdict, &new.hospital_id, "request")
            .await?;
        let open = sqlx::query(
            "SELECT COUNT(*) FROM clinic_consultations WHERE resident_id = $1 AND disease = $2 \
             AND state IN ('requested', 'accepted', 'in-progress')",
        )
        .bind(&new.resident_id)
        .bind(&new.disease)
        .fetch_one(self.db.pool())
        .await?
        .try_get::<i64, _>(0)?;
        if open > 0 {
            return Err(ClinicError::invalid(
                "disease",
                "an online follow-up of this condition is already open: continue it, or withdraw it first",
            ));
        }
        let Some(basis) = facts.diagnosis else {
            return Err(ClinicError::Corrupt(
                "a passed request without a diagnosis".into(),
            ));
        };
        let id = kernel::Id::new().to_string();
        let retain_until = years_after(now, self.rules.records.visit_years.value);
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO clinic_consultations (id, resident_id, requested_by, hospital_id, doctor_id, \
             disease, state, basis, guardian_present, complaint, requested_at, last_activity_at, retain_until) \
             VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8, $9, $10, $10, $11)",
        )
        .bind(&id)
        .bind(&new.resident_id)
        .bind(&actor.user_id)
        .bind(&new.hospital_id)
        .bind(&new.doctor_id)
        .bind(&new.disease)
        .bind(serde_json::to_string(&basis).map_err(|e| ClinicError::Corrupt(e.to_string()))?)
        .bind(i64::from(new.guardian_present))
        .bind(&complaint)
        .bind(now.0)
        .bind(retain_until)
        .execute(&mut *tx)
        .await?;
        if let Some(image) = &new.document {
            let message_id = self
                .insert_message(&mut tx, &id, &actor.user_id, false, None, Some(image), now)
                .await?;
            sqlx::query("UPDATE clinic_consultations SET document_message_id = $2 WHERE id = $1")
                .bind(&id)
                .bind(&message_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.record(
            actor,
            "clinic.consultation.request",
            "resident",
            &new.resident_id,
            PurposeOfUse::Treatment,
            id.as_bytes(),
        )
        .await;
        self.tell(
            &[&new.doctor_id],
            "clinic.consultation.requested",
            "有新的在线复诊申请待接诊",
            "A new online follow-up request is waiting for you",
            &link(&id),
        )
        .await;
        self.consultation_row(&id).await
    }

    /// What the rules say of a request before it is made: the doctor's side, then the
    /// patient's. Nothing is written; the booking page shows it.
    pub async fn check_request(
        &self,
        actor: &Principal,
        new: &NewConsultation,
    ) -> Result<(Verdict, Verdict)> {
        let booked_by_proxy = self.acting_for(actor, &new.resident_id).await?;
        let today = UtcMillis::now().city_date();
        let doctor = self
            .doctor_facts(&new.hospital_id, &new.doctor_id, &new.disease)
            .await?;
        let mut facts = self
            .patient_facts(
                &new.resident_id,
                &new.disease,
                new.document.as_ref().map(|_| false),
                today,
            )
            .await?;
        facts.booked_by_proxy = booked_by_proxy;
        facts.guardian_present = new.guardian_present;
        Ok((
            eligibility::may_consult(&doctor, today, self.rules),
            eligibility::may_request(&facts, self.rules),
        ))
    }

    /// The doctor takes the request, confirming it is a follow-up of the diagnosis (and, when
    /// the patient uploaded one, that the document shows a definite diagnosis). The patient is
    /// registered by real name at the hospital and the visit opens in the record.
    pub async fn accept(
        &self,
        doctor: &Principal,
        id: &str,
        confirms_follow_up: bool,
        accepts_document: bool,
    ) -> Result<Consultation> {
        let c = self.consultation_row(id).await?;
        if self.party(doctor, &c).await? != Party::Doctor {
            return Err(ClinicError::Forbidden(
                "only the consultation's doctor accepts it",
            ));
        }
        next(c.state, Move::Accept)?;
        if !confirms_follow_up {
            return Err(ClinicError::invalid(
                "confirms_follow_up",
                "online care is for follow-up only: confirm this is a follow-up of the diagnosis, or decline",
            ));
        }
        let document = matches!(c.basis, DiagnosisBasis::Document { .. });
        if document && !accepts_document {
            return Err(ClinicError::invalid(
                "accepts_document",
                "the register holds no diagnosis: accept the uploaded document as definite, or decline",
            ));
        }
        let now = UtcMillis::now();
        let facts = self
            .doctor_facts(&c.hospital_id, &c.doctor_id, &c.disease)
            .await?;
        let verdict = eligibility::may_consult(&facts, now.city_date(), self.rules);
        self.refuse_unless(&verdict, &c.hospital_id, "accept")
            .await?;
        let encounter = self.open_visit(doctor, &c, now).await?;
        let basis = match c.basis.clone() {
            DiagnosisBasis::Document { .. } => DiagnosisBasis::Document { accepted: true },
            other => other,
        };
        let moved = sqlx::query(
            "UPDATE clinic_consultations SET state = 'accepted', accepted_at = $2, \
             last_activity_at = $2, encounter = $3, basis = $4, document_accepted = $5 \
             WHERE id = $1 AND state = 'requested'",
        )
        .bind(id)
        .bind(now.0)
        .bind(&encounter)
        .bind(serde_json::to_string(&basis).map_err(|e| ClinicError::Corrupt(e.to_string()))?)
        .bind(document.then_some(1_i64))
        .execute(self.db.pool())
        .await?
        .rows_affected();
        self.after_move(doctor, &c, Move::Accept, moved, id.as_bytes())
            .await
    }

    /// The doctor begins (opens the accepted consultation).
    pub async fn begin(&self, doctor: &Principal, id: &str) -> Result<Consultation> {
        let c = self.consultation_row(id).await?;
        if self.party(doctor, &c).await? != Party::Doctor {
            return Err(ClinicError::Forbidden(
                "only the consultation's doctor begins it",
            ));
        }
        if c.state == State::InProgress {
            return Ok(c);
        }
        next(c.state, Move::Begin)?;
        let moved = sqlx::query(
            "UPDATE clinic_consultations SET state = 'in-progress', last_activity_at = $2 \
             WHERE id = $1 AND state = 'accepted'",
        )
        .bind(id)
        .bind(UtcMillis::now().0)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        self.after_move(doctor, &c, Move::Begin, moved, b"").await
    }

    /// The doctor closes the visit with its note; the Encounter in the record is finished.
    pub async fn complete(&self, doctor: &Principal, id: &str, note: &str) -> Result<Consultation> {
        let c = self.consultation_row(id).await?;
        if self.party(doctor, &c).await? != Party::Doctor {
            return Err(ClinicError::Forbidden(
                "only the consultation's doctor closes it",
            ));
        }
        next(c.state, Move::Complete)?;
        let note = checked_text("note", note, true)?;
        let now = UtcMillis::now();
        if let Some(encounter) = &c.encounter {
            self.finish_visit(doctor, encounter, &note, now).await?;
        }
        let moved = sqlx::query(
            "UPDATE clinic_consultations SET state = 'completed', completed_at = $2, closed_at = $2, \
             last_activity_at = $2, note = $3 WHERE id = $1 AND state IN ('accepted', 'in-progress')",
        )
        .bind(id)
        .bind(now.0)
        .bind(&note)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        self.after_move(doctor, &c, Move::Complete, moved, note.as_bytes())
            .await
    }

    /// The patient withdraws (before the doctor begins), with a reason.
    pub async fn withdraw(
        &self,
        actor: &Principal,
        id: &str,
        reason: &str,
    ) -> Result<Consultation> {
        self.close(actor, id, reason, Move::Withdraw, Party::Patient)
            .await
    }

    /// The doctor declines the request (not a follow-up, or not suitable online), with the
    /// reason the patient reads.
    pub async fn decline(
        &self,
        doctor: &Principal,
        id: &str,
        reason: &str,
    ) -> Result<Consultation> {
        self.close(doctor, id, reason, Move::Decline, Party::Doctor)
            .await
    }

    async fn close(
        &self,
        actor: &Principal,
        id: &str,
        reason: &str,
        attempted: Move,
        by: Party,
    ) -> Result<Consultation> {
        let c = self.consultation_row(id).await?;
        if self.party(actor, &c).await? != by {
            return Err(ClinicError::Forbidden(match by {
                Party::Patient => "only the patient or their guardian withdraws the request",
                Party::Doctor => "only the consultation's doctor declines it",
            }));
        }
        next(c.state, attempted)?;
        let reason = checked_text("reason", reason, true)?;
        let from: Vec<&str> = State::ALL
            .into_iter()
            .filter(|s| next(*s, attempted).is_ok())
            .map(State::code)
            .collect();
        let now = UtcMillis::now().0;
        let moved = sqlx::query(&format!(
            "UPDATE clinic_consultations SET state = 'cancelled', closed_at = $2, close_reason = $3, \
             last_activity_at = $2 WHERE id = $1 AND state IN ('{}')",
            from.join("', '")
        ))
        .bind(id)
        .bind(now)
        .bind(&reason)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        if attempted == Move::Decline && moved == 1 {
            self.note_refusal(&c.hospital_id, "decline", "doctor-declined")
                .await?;
        }
        self.after_move(actor, &c, attempted, moved, reason.as_bytes())
            .await
    }

    /// The patient confirms a long prescription (over the normal days) in this visit, as the
    /// 2021 norm requires; the doctor's long prescription needs it.
    pub async fn confirm_long_term(&self, actor: &Principal, id: &str) -> Result<Consultation> {
        let c = self.consultation_row(id).await?;
        if self.party(actor, &c).await? != Party::Patient {
            return Err(ClinicError::Forbidden(
                "only the patient or their guardian confirms a long prescription",
            ));
        }
        if !c.state.is_open_for_care() {
            return Err(ClinicError::moved(c.state, Move::Begin));
        }
        let now = UtcMillis::now().0;
        sqlx::query(
            "UPDATE clinic_consultations SET long_confirmed_at = $2, last_activity_at = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(self.db.pool())
        .await?;
        self.record(
            actor,
            "clinic.long-term.confirm",
            "resident",
            &c.resident_id,
            PurposeOfUse::Treatment,
            id.as_bytes(),
        )
        .await;
        self.consultation_row(id).await
    }

    /// Expires what waited too long at `now`: requests nobody accepted, open visits nobody
    /// used. Returns how many.
    pub async fn expire_due(&self, now: i64) -> Result<u64> {
        let rules = &self.rules.consultations;
        let accept_ms = i64::from(rules.accept_within_minutes.value) * 60_000;
        let idle_ms = i64::from(rules.idle_close_minutes.value) * 60_000;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_consultations WHERE \
             (state = 'requested' AND requested_at < $1) OR \
             (state IN ('accepted', 'in-progress') AND last_activity_at < $2)"
        ))
        .bind(now - accept_ms)
        .bind(now - idle_ms)
        .fetch_all(self.db.pool())
        .await?;
        let mut expired = 0;
        for row in &rows {
            let c = consultation_from(row)?;
            if !is_overdue(
                c.state,
                c.requested_at,
                c.last_activity_at,
                now,
                accept_ms,
                idle_ms,
            ) {
                continue;
            }
            let moved = sqlx::query(
                "UPDATE clinic_consultations SET state = 'expired', closed_at = $3, \
                 close_reason = 'timeout' WHERE id = $1 AND state = $2 AND last_activity_at = $4",
            )
            .bind(&c.id)
            .bind(c.state.code())
            .bind(now)
            .bind(c.last_activity_at)
            .execute(self.db.pool())
            .await?
            .rows_affected();
            if moved == 1 {
                expired += 1;
                self.tell(
                    &[&c.requested_by],
                    "clinic.consultation.expire",
                    "在线复诊因超时未处理已关闭，如仍需复诊请重新申请",
                    "Your online follow-up closed after waiting too long; ask again if you still need it",
                    &link(&c.id),
                )
                .await;
                self.record_as(
                    "system",
                    Some(&c.hospital_id),
                    "clinic.consultation.expire",
                    ("resident", &c.resident_id),
                    PurposeOfUse::Operations,
                    c.id.as_bytes(),
                )
                .await;
            }
        }
        Ok(expired)
    }

    /// Everything a party's page shows of one consultation, read once: the consultation, who
    /// the reader is in it, its messages and its prescriptions (the doctor's reading of the
    /// messages goes on the ledger, as [`Clinic::messages`] does).
    pub async fn visit(&self, actor: &Principal, id: &str) -> Result<Visit> {
        let consultation = self.consultation_row(id).await?;
        let party = self.party(actor, &consultation).await?;
        let messages = self.messages_of(actor, &consultation, party).await?;
        let prescriptions = self.prescriptions_in(&consultation.id).await?;
        Ok(Visit {
            consultation,
            party,
            messages,
            prescriptions,
        })
    }

    /// One consultation, for a party to it; NotFound for anyone else.
    pub async fn consultation(&self, actor: &Principal, id: &str) -> Result<Consultation> {
        let c = self.consultation_row(id).await?;
        self.party(actor, &c).await?;
        Ok(c)
    }

    /// The patient's consultations (own and those of residents they act for), newest first.
    pub async fn consultations_of_patient(&self, actor: &Principal) -> Result<Vec<Consultation>> {
        let (mut residents, represented) =
            self.clinical.residents_acted_for(&actor.user_id).await?;
        residents.extend(represented);
        if residents.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=residents.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM clinic_consultations WHERE resident_id IN ({}) \
             ORDER BY requested_at DESC, id DESC LIMIT 200",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for r in &residents {
            query = query.bind(r);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        rows.iter().map(consultation_from).collect()
    }

    /// The doctor's consultations in `states` (all when empty), oldest request first.
    pub async fn consultations_of_doctor(
        &self,
        doctor: &Principal,
        states: &[State],
    ) -> Result<Vec<Consultation>> {
        let wanted: Vec<&str> = if states.is_empty() {
            State::ALL.iter().map(|s| s.code()).collect()
        } else {
            states.iter().map(|s| s.code()).collect()
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM clinic_consultations WHERE doctor_id = $1 AND state IN ('{}') \
             ORDER BY requested_at, id LIMIT 500",
            wanted.join("', '")
        );
        let rows = sqlx::query(&sql)
            .bind(&doctor.user_id)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(consultation_from).collect()
    }

    /// Whether `actor` is the patient's side or the doctor of `c`; NotFound otherwise, so a
    /// stranger learns nothing of the consultation.
    pub(crate) async fn party(&self, actor: &Principal, c: &Consultation) -> Result<Party> {
        if actor.has_role(Role::HospitalDoctor) && actor.user_id == c.doctor_id {
            return Ok(Party::Doctor);
        }
        if actor.has_role(Role::Resident) {
            let (own, represented) = self.clinical.residents_acted_for(&actor.user_id).await?;
            if own.iter().chain(&represented).any(|r| r == &c.resident_id) {
                return Ok(Party::Patient);
            }
        }
        self.record(
            actor,
            "clinic.consultation.refused",
            "consultation",
            &c.id,
            PurposeOfUse::Treatment,
            b"not a party",
        )
        .await;
        Err(ClinicError::NotFound {
            what: "consultation",
        })
    }

    pub(crate) async fn consultation_row(&self, id: &str) -> Result<Consultation> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_consultations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        match row {
            Some(row) => consultation_from(&row),
            None => Err(ClinicError::NotFound {
                what: "consultation",
            }),
        }
    }

    /// Whether the booker acts for someone else (a household member who authorised them);
    /// Forbidden when they may not act for the resident at all.
    async fn acting_for(&self, actor: &Principal, resident_id: &str) -> Result<bool> {
        if !actor.has_role(Role::Resident) {
            return Err(ClinicError::Forbidden(
                "online follow-ups are booked by the patient or an authorised household member",
            ));
        }
        let (own, represented) = self.clinical.residents_acted_for(&actor.user_id).await?;
        if own.iter().any(|r| r == resident_id) {
            Ok(false)
        } else if represented.iter().any(|r| r == resident_id) {
            Ok(true)
        } else {
            Err(ClinicError::Forbidden(
                "you may book only for yourself or a household member who authorised you",
            ))
        }
    }

    /// The doctor's side of the rules for `disease` at `hospital_id`.
    pub(crate) async fn doctor_facts(
        &self,
        hospital_id: &str,
        doctor_id: &str,
        disease: &str,
    ) -> Result<DoctorFacts> {
        let practitioner = self.practitioner(doctor_id).await?;
        let offering = self.offering(hospital_id).await?;
        let at_hospital = practitioner
            .as_ref()
            .filter(|p| p.hospital_id == hospital_id);
        Ok(DoctorFacts {
            real_name_verified: at_hospital.is_some(),
            practising_since: at_hospital.map(|p| p.practising_since),
            hospital_is_pilot: self.is_pilot(hospital_id).await?,
            doctor_offered: offering.doctors.contains(doctor_id),
            condition_offered: offering.conditions.contains(disease),
        })
    }

    /// Refuses with the verdict when a rule failed, noting each failed rule for oversight.
    pub(crate) async fn refuse_unless(
        &self,
        verdict: &Verdict,
        hospital_id: &str,
        stage: &str,
    ) -> Result<()> {
        if verdict.passed() {
            return Ok(());
        }
        for f in verdict.failures() {
            self.note_refusal(hospital_id, stage, f.rule.code()).await?;
        }
        Err(ClinicError::NotEligible(verdict.clone()))
    }

    pub(crate) async fn note_refusal(
        &self,
        hospital_id: &str,
        stage: &str,
        rule: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO clinic_refusals (id, hospital_id, stage, rule, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(kernel::Id::new().to_string())
        .bind(hospital_id)
        .bind(stage)
        .bind(rule)
        .bind(UtcMillis::now().0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// After a conditional UPDATE: the new consultation and its ledger entry, or, when
    /// someone moved it first, why this move no longer applies.
    async fn after_move(
        &self,
        actor: &Principal,
        before: &Consultation,
        attempted: Move,
        moved: u64,
        data: &[u8],
    ) -> Result<Consultation> {
        let now = self.consultation_row(&before.id).await?;
        if moved == 0 {
            return Err(ClinicError::moved(now.state, attempted));
        }
        self.record(
            actor,
            &format!("clinic.consultation.{}", attempted.code()),
            "resident",
            &before.resident_id,
            PurposeOfUse::Treatment,
            data,
        )
        .await;
        let reason = now.close_reason.as_deref().unwrap_or("");
        let told = match attempted {
            Move::Accept => Some((
                before.requested_by.as_str(),
                "医师已接诊您的在线复诊，可以开始交流".to_owned(),
                "The doctor accepted your online follow-up; you can write now".to_owned(),
            )),
            Move::Decline => Some((
                before.requested_by.as_str(),
                format!("医师未接诊您的在线复诊：{reason}"),
                format!("The doctor declined your online follow-up: {reason}"),
            )),
            Move::Complete => Some((
                before.requested_by.as_str(),
                "在线复诊已结束，可查看诊疗记录".to_owned(),
                "Your online follow-up is closed; the visit note is on its page".to_owned(),
            )),
            Move::Withdraw => Some((
                before.doctor_id.as_str(),
                format!("患者撤回了在线复诊申请：{reason}"),
                format!("The patient withdrew the request: {reason}"),
            )),
            Move::Begin | Move::Expire => None,
        };
        if let Some((user, zh, en)) = told {
            let kind = format!("clinic.consultation.{}", attempted.code());
            self.tell(&[user], &kind, &zh, &en, &link(&before.id)).await;
        }
        Ok(now)
    }

    /// Registers the patient by real name at the hospital (a Patient found by the resident ID
    /// number, so the index links it to the resident) and opens the visit's Encounter.
    async fn open_visit(
        &self,
        doctor: &Principal,
        c: &Consultation,
        now: UtcMillis,
    ) -> Result<String> {
        let actor = Actor::from_principal(doctor, PurposeOfUse::Treatment);
        let Some(resident) = self.clinical.residents().resident(&c.resident_id).await? else {
            return Err(ClinicError::NotFound { what: "patient" });
        };
        let Some(number) = resident.facts.id_number.as_ref() else {
            return Err(ClinicError::invalid(
                "patient",
                "the patient has no resident ID number on file, so cannot be registered by real name",
            ));
        };
        let system = clinical::RESIDENT_ID_SYSTEMS[0];
        let mut patient = json!({
            "resourceType": "Patient",
            "identifier": [{ "system": system, "value": number.as_str() }],
        });
        if let Some(name) = &resident.facts.name {
            patient["name"] = json!([{ "use": "official", "text": name }]);
        }
        if let Some(sex) = resident.facts.sex() {
            patient["gender"] = json!(sex.fhir_code());
        }
        if let Some(birth) = resident.facts.birth() {
            patient["birthDate"] = json!(birth.to_string());
        }
        let condition = format!("identifier={system}|{}", number.as_str());
        let registered = self
            .clinical
            .create(&actor, patient, Some(&condition))
            .await?;
        let template = self.clinical.catalogue().get(&c.disease);
        let encounter = json!({
            "resourceType": "Encounter",
            "status": "in-progress",
            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR", "display": "virtual" },
            "type": [{ "text": format!(
                "在线方便门诊复诊 · online follow-up: {}",
                template.map_or(c.disease.as_str(), |t| t.name_zh.as_str())
            ) }],
            "subject": { "reference": format!("Patient/{}", registered.id) },
            "participant": [{ "individual": { "display": doctor.display_name } }],
            "period": { "start": now.to_rfc3339() },
            "identifier": [{ "system": "urn:lifehealth:consultation", "value": c.id }]
        });
        let opened = self.clinical.create(&actor, encounter, None).await?;
        Ok(format!("Encounter/{}", opened.id))
    }

    /// Finishes the visit's Encounter with the note as its reason text.
    async fn finish_visit(
        &self,
        doctor: &Principal,
        encounter: &str,
        note: &str,
        now: UtcMillis,
    ) -> Result<()> {
        let actor = Actor::from_principal(doctor, PurposeOfUse::Treatment);
        let id = encounter.trim_start_matches("Encounter/");
        let stored = self.clinical.read(&actor, "Encounter", id).await?;
        let mut resource = stored.body;
        resource["status"] = json!("finished");
        resource["period"]["end"] = json!(now.to_rfc3339());
        resource["reasonCode"] = json!([{ "text": note }]);
        self.clinical
            .update(&actor, "Encounter", id, resource, Some(stored.version))
            .await?;
        Ok(())
    }
}

/// The page of a consultation, where its notifications lead.
pub(crate) fn link(consultation_id: &str) -> String {
    format!("/clinic/consultations/{consultation_id}")
}

/// Text a person typed, trimmed; refused when empty (if required), too long, or holding
/// control characters.
pub(crate) fn checked_text(field: &'static str, text: &str, required: bool) -> Result<String> {
    let text = text.trim();
    if required && text.is_empty() {
        return Err(ClinicError::invalid(field, "required"));
    }
    let chars = text.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(ClinicError::invalid(
            field,
            format!("{chars} characters; at most {MAX_NOTE_CHARS}"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ClinicError::invalid(
            field,
            "control characters are not allowed",
        ));
    }
    Ok(text.to_owned())
}

/// `years` after `now`, as Unix milliseconds (how long a record is kept at least).
pub(crate) fn years_after(now: UtcMillis, years: u32) -> i64 {
    now.to_timestamp()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(i64::from(years).years())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(i64::MAX)
}

fn consultation_from(row: &AnyRow) -> Result<Consultation> {
    let state: String = row.try_get("state")?;
    let basis: String = row.try_get("basis")?;
    let bool_of = |v: i64| v != 0;
    Ok(Consultation {
        id: row.try_get("id")?,
        resident_id: row.try_get("resident_id")?,
        requested_by: row.try_get("requested_by")?,
        hospital_id: row.try_get("hospital_id")?,
        doctor_id: row.try_get("doctor_id")?,
        disease: row.try_get("disease")?,
        state: State::from_code(&state)
            .ok_or_else(|| ClinicError::Corrupt(format!("consultation state {state}")))?,
        basis: serde_json::from_str(&basis)
            .map_err(|e| ClinicError::Corrupt(format!("consultation basis: {e}")))?,
        guardian_present: bool_of(row.try_get("guardian_present")?),
        complaint: row.try_get("complaint")?,
        requested_at: row.try_get("requested_at")?,
        accepted_at: row.try_get("accepted_at")?,
        completed_at: row.try_get("completed_at")?,
        closed_at: row.try_get("closed_at")?,
        close_reason: row.try_get("close_reason")?,
        last_activity_at: row.try_get("last_activity_at")?,
        note: row.try_get("note")?,
        encounter: row.try_get("encounter")?,
        long_confirmed_at: row.try_get("long_confirmed_at")?,
        document_message_id: row.try_get("document_message_id")?,
    })
}
