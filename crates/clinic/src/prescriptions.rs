//! Prescriptions: written personally by the consultation's doctor (never generated), checked
//! (exclusions, days, doses, quantities; duplicates and interactions flagged for the doctor to
//! acknowledge), signed over their canonical form, and in force only once a pharmacist of the
//! hospital approves them. Nothing is ever edited: a doctor withdraws and writes anew.

use access::{Permission, Principal, Role, Target};
use clinical::Actor;
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use prescribing::{Draft, Flag};
use serde::Serialize;
use serde_json::{Value, json};
use store::sqlx::{self, Row, any::AnyRow};

use crate::consultation::{Consultation, Party, checked_text, years_after};
use crate::eligibility::{self, DiagnosisBasis, Verdict};
use crate::error::{ClinicError, Result};
use crate::facts::{ATC_SYSTEM, CurrentMedicine, DRUG_SYSTEM, regimen_changed_on};
use crate::service::Clinic;

/// Where a prescription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RxState {
    /// Signed by the doctor, waiting for a pharmacist.
    AwaitingReview,
    /// Approved: in force until it expires.
    Approved,
    /// Sent back with the pharmacist's reason.
    Rejected,
    /// Withdrawn by the doctor before review.
    Withdrawn,
}

impl RxState {
    pub const ALL: [RxState; 4] = [
        RxState::AwaitingReview,
        RxState::Approved,
        RxState::Rejected,
        RxState::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RxState::AwaitingReview => "awaiting-review",
            RxState::Approved => "approved",
            RxState::Rejected => "rejected",
            RxState::Withdrawn => "withdrawn",
        }
    }

    pub fn from_code(code: &str) -> Option<RxState> {
        RxState::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RxState::AwaitingReview => "待药师审核",
            RxState::Approved => "审核通过",
            RxState::Rejected => "审核未通过",
            RxState::Withdrawn => "医师已撤回",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RxState::AwaitingReview => "Awaiting pharmacist review",
            RxState::Approved => "Approved",
            RxState::Rejected => "Rejected",
            RxState::Withdrawn => "Withdrawn",
        }
    }
}

/// What the doctor submits.
#[derive(Debug, Clone)]
pub struct PrescriptionRequest {
    /// The client's key for this submission: the same key returns the same prescription, so
    /// a double submit writes one.
    pub request_key: String,
    pub draft: Draft,
    /// The doctor has read the flags (duplicates, interactions) and prescribes anyway.
    pub flags_acknowledged: bool,
}

/// A signed prescription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prescription {
    pub id: String,
    pub consultation_id: String,
    pub resident_id: String,
    pub doctor_id: String,
    pub hospital_id: String,
    pub state: RxState,
    /// The signed document (parsed from `canonical`).
    pub document: Value,
    /// The exact bytes signed.
    pub canonical: String,
    pub key_id: String,
    pub signature: String,
    pub written_at: i64,
    pub valid_until: i64,
    pub long_term: bool,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub review_reason: Option<String>,
}

/// A pharmacist's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    Approve,
    Reject { reason: String },
}

const COLUMNS: &str = "id, consultation_id, resident_id, doctor_id, hospital_id, state, canonical, \
    key_id, signature, written_at, valid_until, long_term, reviewed_by, reviewed_at, review_reason";

impl Clinic {
    /// The doctor writes and signs a prescription in an open consultation.
    pub async fn prescribe(
        &self,
        doctor: &Principal,
        consultation_id: &str,
        request: PrescriptionRequest,
    ) -> Result<Prescription> {
        let c = self.consultation_row(consultation_id).await?;
        if self.party(doctor, &c).await? != Party::Doctor {
            return Err(ClinicError::Forbidden(
                "only the consultation's doctor writes its prescription, personally",
            ));
        }
        let request_key = request.request_key.trim();
        if request_key.is_empty() || request_key.len() > 100 {
            return Err(ClinicError::invalid(
                "request_key",
                "send a key of 1 to 100 characters that identifies this submission",
            ));
        }
        if let Some(existing) = self.by_request_key(consultation_id, request_key).await? {
            return Ok(existing);
        }
        if !c.state.is_open_for_care() {
            return Err(ClinicError::invalid(
                "consultation",
                format!(
                    "a prescription is written during an accepted consultation; this one is {}",
                    c.state.code()
                ),
            ));
        }
        let now = UtcMillis::now();
        let today = now.city_date();
        let (verdict, medicines) = self.prescribing_facts(doctor, &c, today).await?;
        self.refuse_unless(&verdict, &c.hospital_id, "prescribe")
            .await?;

        let Some(rules) = prescribing::rules_in_force(today) else {
            return Err(ClinicError::Corrupt(format!(
                "no prescription rules in force on {today}"
            )));
        };
        let mut draft = request.draft;
        // The patient's confirmation is what the patient did in this visit, not what the
        // doctor's form says.
        if let Some(long) = draft.long_term.as_mut() {
            long.patient_confirmed = c.long_confirmed_at.is_some();
        }
        let current: Vec<prescribing::CurrentMedicine> =
            medicines.iter().map(|m| m.for_checks()).collect();
        let catalogue = prescribing::catalogue();
        let checked = prescribing::check(&draft, &current, rules, catalogue);
        if !checked.may_sign() {
            return Err(ClinicError::Prescription(checked.problems));
        }
        let to_acknowledge: Vec<&Flag> = checked
            .flags
            .iter()
            .filter(|f| !matches!(f.kind, prescribing::FlagKind::AlreadyTaking))
            .collect();
        if !to_acknowledge.is_empty() && !request.flags_acknowledged {
            return Err(ClinicError::FlagsToAcknowledge(checked.flags));
        }

        let id = kernel::Id::new().to_string();
        let validity_days = i64::from(draft.validity_days);
        let valid_until = city_day_end(today, validity_days);
        let long_term = draft.lines.iter().any(|l| l.days > rules.normal_days);
        let practitioner = self.practitioner(&doctor.user_id).await?;
        let document = json!({
            "type": "lifehealth.prescription/1",
            "id": id,
            "consultation": c.id,
            "patient": c.resident_id,
            "hospital": c.hospital_id,
            "doctor": {
                "id": doctor.user_id,
                "name": doctor.display_name,
                "licence": practitioner.map(|p| p.licence_no),
            },
            "condition": c.disease,
            "written_at": now.to_rfc3339(),
            "valid_until": UtcMillis(valid_until).to_rfc3339(),
            "rules_effective_from": rules.effective_from.to_string(),
            "lines": draft.lines.iter().map(|l| line_json(l, catalogue)).collect::<Vec<_>>(),
            "long_term": draft.long_term.as_ref().map(|l| json!({
                "evaluation": l.evaluation,
                "patient_confirmed_at": c.long_confirmed_at,
            })),
            "flags_acknowledged": to_acknowledge.iter().map(|f| f.message_zh.clone()).collect::<Vec<_>>(),
        });
        let canonical = prescribing::canonical_json(&document);
        let (key_id, signature) = self.sign_as(&doctor.user_id, canonical.as_bytes()).await?;
        let inserted = sqlx::query(
            "INSERT INTO clinic_prescriptions (id, consultation_id, request_key, resident_id, doctor_id, \
             hospital_id, state, canonical, key_id, signature, written_at, valid_until, long_term, retain_until) \
             VALUES ($1, $2, $3, $4, $5, $6, 'awaiting-review', $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (consultation_id, request_key) DO NOTHING",
        )
        .bind(&id)
        .bind(&c.id)
        .bind(request_key)
        .bind(&c.resident_id)
        .bind(&doctor.user_id)
        .bind(&c.hospital_id)
        .bind(&canonical)
        .bind(&key_id)
        .bind(&signature)
        .bind(now.0)
        .bind(valid_until)
        .bind(i64::from(long_term))
        .bind(years_after(now, self.rules.records.visit_years.value))
        .execute(self.db.pool())
        .await?
        .rows_affected();
        if inserted == 0 {
            // The same submission raced in; it is the answer.
            return self
                .by_request_key(consultation_id, request_key)
                .await?
                .ok_or(ClinicError::NotFound {
                    what: "prescription",
                });
        }
        sqlx::query("UPDATE clinic_consultations SET last_activity_at = $2 WHERE id = $1")
            .bind(&c.id)
            .bind(now.0)
            .execute(self.db.pool())
            .await?;
        self.record(
            doctor,
            "clinic.prescription.sign",
            "resident",
            &c.resident_id,
            PurposeOfUse::Treatment,
            canonical.as_bytes(),
        )
        .await;
        self.tell(
            &[&c.requested_by],
            "clinic.prescription.signed",
            "医师已开具处方，药师审核通过后即可选择取药或配送",
            "The doctor wrote a prescription; once a pharmacist approves it you can choose pickup or delivery",
            &rx_link(&id),
        )
        .await;
        self.prescription_row(&id).await
    }

    /// Whether the doctor may prescribe online in this consultation today, rule by rule (the
    /// consultation page shows it before the form).
    pub async fn prescribing_verdict(
        &self,
        doctor: &Principal,
        consultation_id: &str,
    ) -> Result<Verdict> {
        let c = self.consultation_row(consultation_id).await?;
        if self.party(doctor, &c).await? != Party::Doctor {
            return Err(ClinicError::Forbidden(
                "only the consultation's doctor prescribes",
            ));
        }
        let (verdict, _) = self
            .prescribing_facts(doctor, &c, UtcMillis::now().city_date())
            .await?;
        Ok(verdict)
    }

    /// The prescribing rules judged on what the doctor can see, and the patient's current
    /// medicines (for the duplicate and interaction checks).
    async fn prescribing_facts(
        &self,
        doctor: &Principal,
        c: &Consultation,
        today: jiff::civil::Date,
    ) -> Result<(Verdict, Vec<CurrentMedicine>)> {
        let reader = Actor::from_principal(doctor, PurposeOfUse::Treatment);
        let document_accepted = match &c.basis {
            DiagnosisBasis::Document { accepted } => Some(*accepted),
            DiagnosisBasis::Registry { .. } => None,
        };
        let mut facts = self
            .patient_facts(&c.resident_id, &c.disease, document_accepted, today)
            .await?;
        let medicines = self.medicines_seen_by(&reader, &c.resident_id).await?;
        facts.records_shared = medicines.is_some();
        let medicines = medicines.unwrap_or_default();
        facts.regimen_changed_on = regimen_changed_on(&medicines);
        Ok((
            eligibility::may_prescribe(&facts, today, self.rules),
            medicines,
        ))
    }

    /// A pharmacist of the prescribing hospital approves or rejects. Exactly one decision
    /// stands: a second pharmacist finds it decided. The signature is verified first.
    pub async fn review(
        &self,
        pharmacist: &Principal,
        prescription_id: &str,
        decision: Review,
    ) -> Result<Prescription> {
        let rx = self.prescription_row(prescription_id).await?;
        let hospital = Target::Organisation {
            id: &rx.hospital_id,
            district: None,
        };
        if !pharmacist.has_role(Role::Pharmacist)
            || pharmacist
                .authorize(Permission::ReviewPrescriptions, hospital)
                .is_err()
        {
            self.record(
                pharmacist,
                "clinic.prescription.review-refused",
                "prescription",
                &rx.id,
                PurposeOfUse::Treatment,
                b"not a pharmacist of the hospital",
            )
            .await;
            return Err(ClinicError::NotFound {
                what: "prescription",
            });
        }
        if !self
            .verify_signature(&rx.key_id, rx.canonical.as_bytes(), &rx.signature)
            .await?
        {
            return Err(ClinicError::Corrupt(format!(
                "prescription {} fails its signature check",
                rx.id
            )));
        }
        let (state, reason) = match &decision {
            Review::Approve => (RxState::Approved, None),
            Review::Reject { reason } => (
                RxState::Rejected,
                Some(checked_text("reason", reason, true)?),
            ),
        };
        let now = UtcMillis::now().0;
        let moved = sqlx::query(
            "UPDATE clinic_prescriptions SET state = $2, reviewed_by = $3, reviewed_at = $4, \
             review_reason = $5 WHERE id = $1 AND state = 'awaiting-review'",
        )
        .bind(&rx.id)
        .bind(state.code())
        .bind(&pharmacist.user_id)
        .bind(now)
        .bind(&reason)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        let after = self.prescription_row(&rx.id).await?;
        if moved == 0 {
            self.record(
                pharmacist,
                "clinic.prescription.review-conflict",
                "prescription",
                &rx.id,
                PurposeOfUse::Treatment,
                after.state.code().as_bytes(),
            )
            .await;
            return Err(ClinicError::AlreadyDone {
                state: after.state.code().to_owned(),
            });
        }
        let action = match state {
            RxState::Approved => "clinic.prescription.approve",
            _ => {
                self.note_refusal(&rx.hospital_id, "review", "pharmacist-rejected")
                    .await?;
                "clinic.prescription.reject"
            }
        };
        self.record(
            pharmacist,
            action,
            "resident",
            &rx.resident_id,
            PurposeOfUse::Treatment,
            format!("{}:{}", rx.id, reason.as_deref().unwrap_or("")).as_bytes(),
        )
        .await;
        if state == RxState::Approved {
            self.record_medication_requests(&after).await;
        }
        let patient = self
            .consultation_row(&rx.consultation_id)
            .await
            .map(|c| c.requested_by)
            .unwrap_or_default();
        let (zh, en) = match &reason {
            None => (
                "处方已审核通过，请选择预约取药或快递配送".to_owned(),
                "Your prescription is approved: choose pickup or delivery".to_owned(),
            ),
            Some(r) => (
                format!("处方审核未通过：{r}"),
                format!("The prescription was not approved: {r}"),
            ),
        };
        let kind = format!("clinic.prescription.{}", state.code());
        self.tell(
            &[&patient, &rx.doctor_id],
            &kind,
            &zh,
            &en,
            &rx_link(&rx.id),
        )
        .await;
        Ok(after)
    }

    /// The doctor withdraws a prescription nobody has reviewed yet.
    pub async fn withdraw_prescription(
        &self,
        doctor: &Principal,
        prescription_id: &str,
    ) -> Result<Prescription> {
        let rx = self.prescription_row(prescription_id).await?;
        if rx.doctor_id != doctor.user_id {
            return Err(ClinicError::NotFound {
                what: "prescription",
            });
        }
        let moved = sqlx::query(
            "UPDATE clinic_prescriptions SET state = 'withdrawn' WHERE id = $1 AND state = 'awaiting-review'",
        )
        .bind(&rx.id)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        let after = self.prescription_row(&rx.id).await?;
        if moved == 0 {
            return Err(ClinicError::AlreadyDone {
                state: after.state.code().to_owned(),
            });
        }
        self.record(
            doctor,
            "clinic.prescription.withdraw",
            "resident",
            &rx.resident_id,
            PurposeOfUse::Treatment,
            rx.id.as_bytes(),
        )
        .await;
        Ok(after)
    }

    /// Refuses any attempt to change a signed prescription, and logs it.
    pub async fn refuse_edit(&self, actor: &Principal, prescription_id: &str) -> ClinicError {
        self.record(
            actor,
            "clinic.prescription.edit-refused",
            "prescription",
            prescription_id,
            PurposeOfUse::Treatment,
            b"",
        )
        .await;
        ClinicError::Forbidden(
            "a signed prescription is never edited: the pharmacist approves or rejects it with a reason, and the doctor writes a new one",
        )
    }

    /// Prescriptions awaiting review at the pharmacist's hospital, oldest first.
    pub async fn review_queue(&self, pharmacist: &Principal) -> Result<Vec<Prescription>> {
        if !pharmacist.has_role(Role::Pharmacist) {
            return Err(ClinicError::Forbidden(
                "the review queue is the pharmacists'",
            ));
        }
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_prescriptions WHERE hospital_id = $1 \
             AND state = 'awaiting-review' ORDER BY written_at, id LIMIT 200"
        ))
        .bind(&pharmacist.organisation.id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(prescription_from).collect()
    }

    /// A prescription, for its patient's side, its doctor, or a pharmacist of its hospital.
    pub async fn prescription(&self, actor: &Principal, id: &str) -> Result<Prescription> {
        let rx = self.prescription_row(id).await?;
        let pharmacist_here =
            actor.has_role(Role::Pharmacist) && actor.organisation.id == rx.hospital_id;
        if !pharmacist_here {
            let c = self.consultation_row(&rx.consultation_id).await?;
            self.party(actor, &c).await?;
        }
        Ok(rx)
    }

    /// The prescriptions of a consultation, newest first, for its parties.
    pub async fn prescriptions_of(
        &self,
        actor: &Principal,
        consultation: &Consultation,
    ) -> Result<Vec<Prescription>> {
        self.party(actor, consultation).await?;
        self.prescriptions_in(&consultation.id).await
    }

    /// The prescriptions of a consultation, newest first (the caller checked who is asking).
    pub(crate) async fn prescriptions_in(
        &self,
        consultation_id: &str,
    ) -> Result<Vec<Prescription>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_prescriptions WHERE consultation_id = $1 ORDER BY written_at DESC, id DESC"
        ))
        .bind(consultation_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(prescription_from).collect()
    }

    /// Whether a stored prescription still matches its signature (for anyone verifying).
    pub async fn verify_prescription(&self, id: &str) -> Result<bool> {
        let rx = self.prescription_row(id).await?;
        self.verify_signature(&rx.key_id, rx.canonical.as_bytes(), &rx.signature)
            .await
    }

    async fn by_request_key(
        &self,
        consultation_id: &str,
        key: &str,
    ) -> Result<Option<Prescription>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_prescriptions WHERE consultation_id = $1 AND request_key = $2"
        ))
        .bind(consultation_id)
        .bind(key)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(prescription_from).transpose()
    }

    pub(crate) async fn prescription_row(&self, id: &str) -> Result<Prescription> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_prescriptions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        match row {
            Some(row) => prescription_from(&row),
            None => Err(ClinicError::NotFound {
                what: "prescription",
            }),
        }
    }

    /// An approved prescription enters the record as MedicationRequests of the prescribing
    /// doctor, so the timeline, the regimen and later checks see it. The approval stands
    /// whatever happens here; a failure is logged for the operators.
    async fn record_medication_requests(&self, rx: &Prescription) {
        let actor = Actor {
            user_id: rx.doctor_id.clone(),
            organisation_id: rx.hospital_id.clone(),
            read: Some(access::RecordScope::Linked {
                organisations: vec![rx.hospital_id.clone()],
                districts: Vec::new(),
            }),
            write: true,
            purpose: PurposeOfUse::Treatment,
        };
        let Ok(c) = self.consultation_row(&rx.consultation_id).await else {
            return;
        };
        let Some(encounter) = c.encounter else { return };
        let patient = match self
            .clinical
            .read(
                &actor,
                "Encounter",
                encounter.trim_start_matches("Encounter/"),
            )
            .await
        {
            Ok(e) => e.body["subject"].clone(),
            Err(e) => {
                tracing::error!(
                    prescription = rx.id,
                    "approved prescription not recorded: {e}"
                );
                return;
            }
        };
        let lines = rx.document["lines"].as_array().cloned().unwrap_or_default();
        for line in lines {
            let resource = json!({
                "resourceType": "MedicationRequest",
                "status": "active",
                "intent": "order",
                "identifier": [{ "system": "urn:lifehealth:prescription", "value": rx.id }],
                "medicationCodeableConcept": {
                    "text": line["generic_zh"],
                    "coding": [
                        { "system": DRUG_SYSTEM, "code": line["drug"] },
                        { "system": ATC_SYSTEM, "code": line["atc"] }
                    ]
                },
                "subject": patient,
                "encounter": { "reference": encounter },
                "authoredOn": rx.document["written_at"],
                "dosageInstruction": [{ "text": line["instruction_zh"] }]
            });
            if let Err(e) = self.clinical.create(&actor, resource, None).await {
                tracing::error!(
                    prescription = rx.id,
                    "approved prescription not recorded: {e}"
                );
            }
        }
    }
}

/// The page of a prescription, where its notifications lead.
fn rx_link(id: &str) -> String {
    format!("/clinic/prescriptions/{id}")
}

/// One line of the signed document, with the catalogue's facts spelled out so the document
/// stands on its own.
fn line_json(line: &prescribing::Line, catalogue: &prescribing::Catalogue) -> Value {
    let drug = catalogue.drug(&line.drug);
    let unit = drug.map_or("", |d| d.strength.unit.as_str());
    json!({
        "drug": line.drug,
        "generic_zh": drug.map(|d| d.generic_zh.clone()),
        "generic_en": drug.map(|d| d.generic_en.clone()),
        "atc": drug.map(|d| d.atc.clone()),
        "form": drug.map(|d| d.form.clone()),
        "strength": drug.map(|d| format!("{} {}", d.strength.value, d.strength.unit)),
        "route": drug.map(|d| d.route.clone()),
        "dose": line.dose,
        "dose_unit": unit,
        "frequency": line.frequency.code(),
        "days": line.days,
        "packs": line.packs,
        "instruction_zh": format!("每次{} {}，{}，共{}天", line.dose, unit, line.frequency.label_zh(), line.days),
    })
}

/// The end of the city day `days - 1` after `today` (a prescription valid for 1 day is valid
/// to the end of the day it was written).
fn city_day_end(today: jiff::civil::Date, days: i64) -> i64 {
    use jiff::ToSpan;
    today
        .checked_add(days.max(1).days())
        .ok()
        .and_then(|d| {
            d.to_zoned(jiff::tz::TimeZone::get(kernel::CITY_TIME_ZONE).ok()?)
                .ok()
        })
        .map(|z| z.timestamp().as_millisecond() - 1)
        .unwrap_or(i64::MAX)
}

fn prescription_from(row: &AnyRow) -> Result<Prescription> {
    let state: String = row.try_get("state")?;
    let canonical: String = row.try_get("canonical")?;
    Ok(Prescription {
        id: row.try_get("id")?,
        consultation_id: row.try_get("consultation_id")?,
        resident_id: row.try_get("resident_id")?,
        doctor_id: row.try_get("doctor_id")?,
        hospital_id: row.try_get("hospital_id")?,
        state: RxState::from_code(&state)
            .ok_or_else(|| ClinicError::Corrupt(format!("prescription state {state}")))?,
        document: serde_json::from_str(&canonical)
            .map_err(|e| ClinicError::Corrupt(format!("prescription document: {e}")))?,
        canonical,
        key_id: row.try_get("key_id")?,
        signature: row.try_get("signature")?,
        written_at: row.try_get("written_at")?,
        valid_until: row.try_get("valid_until")?,
        long_term: row.try_get::<i64, _>("long_term")? != 0,
        reviewed_by: row.try_get("reviewed_by")?,
        reviewed_at: row.try_get("reviewed_at")?,
        review_reason: row.try_get("review_reason")?,
    })
}
