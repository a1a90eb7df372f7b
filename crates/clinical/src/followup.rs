//! A follow-up visit recorded from the disease template's form: each value validated by the
//! template (unit, plausible range), the measurements stored as FHIR Observations of one
//! Encounter, and the visit's outcome (controlled, danger signs) kept on the register, with
//! what the visit measured for the register's measured counts (an LDL-C result or a
//! spirometry typed into the form, through its Observations; the rehabilitation assessment).

use diseases::{ControlStatus, DangerSign, Measurements, Quantity, ValueError};
use jiff::civil::Date;
use registry::{Enrolment, Measured, Visit};
use serde_json::{Value, json};

use crate::{Actor, Clinical, ClinicalError, Result};

/// One value as typed into the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormValue {
    pub key: String,
    pub text: String,
    pub unit: String,
}

/// What is wrong with one field of the form, in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    pub key: String,
    pub zh: String,
    pub en: String,
}

/// A recorded follow-up.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUpRecorded {
    pub enrolment: Enrolment,
    pub encounter: String,
    pub measurements: Vec<Quantity>,
    pub control: ControlStatus,
    pub danger: Vec<DangerSign>,
}

fn problem(key: &str, zh: impl Into<String>, en: impl Into<String>) -> FieldProblem {
    FieldProblem {
        key: key.to_owned(),
        zh: zh.into(),
        en: en.into(),
    }
}

fn value_problem(e: &ValueError) -> FieldProblem {
    match e {
        ValueError::UnknownElement { key, .. } => {
            problem(key, format!("本病种模板没有“{key}”这一项"), e.to_string())
        }
        ValueError::UnknownUnit { key, allowed, .. } => problem(
            key,
            format!("单位不被接受，可用：{}", allowed.join("、")),
            e.to_string(),
        ),
        ValueError::Implausible {
            key,
            low,
            high,
            unit,
            ..
        } => problem(
            key,
            format!("数值超出合理范围 {low}–{high} {unit}，请核对后重新录入"),
            e.to_string(),
        ),
        ValueError::NotInteger { key, .. } => problem(key, "应为整数", e.to_string()),
        ValueError::NotFinite { key } => problem(key, "请输入数字", e.to_string()),
    }
}

impl Clinical {
    /// Checks and records a follow-up visit of `enrolment_id` on `visit_date`.
    pub async fn record_followup(
        &self,
        actor: &Actor,
        enrolment_id: &str,
        visit_date: Date,
        values: &[FormValue],
    ) -> Result<FollowUpRecorded> {
        if !actor.write {
            return Err(ClinicalError::Forbidden(
                "recording a follow-up needs a hospital or community doctor's role",
            ));
        }
        let not_found = || ClinicalError::NotFound {
            resource_type: "Enrolment".into(),
            id: enrolment_id.to_owned(),
        };
        let enrolment = self
            .inner
            .registers
            .enrolment(enrolment_id)
            .await?
            .ok_or_else(not_found)?;
        if !self.may_see_resident(actor, &enrolment.resident_id).await? {
            return Err(not_found());
        }
        let template = self
            .inner
            .catalogue
            .get(&enrolment.disease)
            .ok_or_else(not_found)?;

        let mut problems = Vec::new();
        let today = crate::today();
        if visit_date > today {
            problems.push(problem(
                "visit_date",
                "随访日期不能晚于今天",
                "the visit date cannot be in the future",
            ));
        }
        if visit_date < enrolment.enrolled_on {
            problems.push(problem(
                "visit_date",
                format!("随访日期不能早于纳入登记的日期 {}", enrolment.enrolled_on),
                format!(
                    "the visit cannot be before enrolment on {}",
                    enrolment.enrolled_on
                ),
            ));
        }
        let mut measurements = Vec::new();
        for element in template.elements() {
            let given = values.iter().find(|v| v.key == element.key);
            let text = given.map(|v| v.text.trim()).unwrap_or_default();
            if text.is_empty() {
                if element.required_at_followup {
                    problems.push(problem(
                        &element.key,
                        format!("“{}”是每次随访必填项", element.name_zh),
                        format!("{} is required at every follow-up", element.name_en),
                    ));
                }
                continue;
            }
            let Ok(number) = text.parse::<f64>() else {
                problems.push(problem(
                    &element.key,
                    format!("“{text}”不是数字"),
                    format!("`{text}` is not a number"),
                ));
                continue;
            };
            let unit = given
                .map(|v| v.unit.trim())
                .filter(|u| !u.is_empty())
                .unwrap_or(&element.unit);
            match template.validate_value(&element.key, number, unit) {
                Ok(q) => measurements.push(q),
                Err(e) => problems.push(value_problem(&e)),
            }
        }
        for v in values {
            if template.element(&v.key).is_none() && !v.text.trim().is_empty() {
                problems.push(problem(
                    &v.key,
                    "本病种模板没有这一项",
                    format!("the {} template has no element `{}`", template.code, v.key),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(ClinicalError::Form(problems));
        }

        let m = measurements
            .iter()
            .fold(Measurements::new(), |m, q| m.with(q.clone()));
        let resident = self
            .inner
            .residents
            .resident(&enrolment.resident_id)
            .await?
            .ok_or_else(not_found)?;
        let age = resident
            .facts
            .birth()
            .and_then(|b| b.until(visit_date).ok())
            .and_then(|span| u32::try_from(span.get_days() / 365).ok())
            .unwrap_or(0);
        let control = template.is_controlled(&m, age);
        let danger = template.danger_signs(&m);

        let patient_id = self
            .inner
            .residents
            .sources(&enrolment.resident_id)
            .await?
            .into_iter()
            .map(|(_, patient)| patient)
            .next()
            .ok_or_else(not_found)?;
        let bundle = followup_bundle(template, &patient_id, visit_date, &measurements);
        let response = self.bundle(actor, &bundle, "").await?;
        let encounter = response
            .pointer("/entry/0/resource/id")
            .and_then(Value::as_str)
            .map(|id| format!("Encounter/{id}"))
            .unwrap_or_default();
        let visit = Visit {
            enrolment_id: enrolment.id.clone(),
            visit_date,
            recorded_by: actor.user_id.clone(),
            organisation_id: actor.organisation_id.clone(),
            controlled: match &control {
                ControlStatus::Controlled { .. } => Some(true),
                ControlStatus::NotControlled { .. } => Some(false),
                ControlStatus::Unknown { .. } => None,
            },
            danger: !danger.is_empty(),
            encounter: Some(encounter.clone()),
        };
        self.inner
            .registers
            .record_visit(
                &visit,
                || kernel::Id::new().to_string(),
                kernel::UtcMillis::now().0,
            )
            .await?;
        // The assessment the register asks for (mRS at a stroke rehabilitation follow-up);
        // results and examinations typed into the form arrived as Observations above.
        let assessed = crate::cases::followup_measures(template, &measurements, visit_date);
        if !assessed.is_empty() {
            let source = if encounter.is_empty() {
                format!("Visit/{}/{visit_date}", enrolment.id)
            } else {
                encounter.clone()
            };
            self.record_measures(vec![Measured {
                source,
                resident_id: Some(enrolment.resident_id.clone()),
                measures: assessed,
                replaces: false,
            }])
            .await?;
        }
        let enrolment = self
            .inner
            .registers
            .enrolment(enrolment_id)
            .await?
            .ok_or_else(not_found)?;
        Ok(FollowUpRecorded {
            enrolment,
            encounter,
            measurements,
            control,
            danger,
        })
    }
}

/// A transaction: the follow-up Encounter and one Observation per measurement.
fn followup_bundle(
    template: &diseases::Template,
    patient_id: &str,
    visit_date: Date,
    measurements: &[Quantity],
) -> Value {
    let encounter_url = format!("urn:uuid:{}", kernel::Id::new());
    let subject = json!({ "reference": format!("Patient/{patient_id}") });
    let mut entries = vec![json!({
        "fullUrl": encounter_url,
        "resource": {
            "resourceType": "Encounter",
            "status": "finished",
            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory" },
            "type": [{ "text": format!("{}随访 · {} follow-up", template.name_zh, template.name_en) }],
            "subject": subject,
            "period": { "start": visit_date.to_string(), "end": visit_date.to_string() }
        },
        "request": { "method": "POST", "url": "Encounter" }
    })];
    for q in measurements {
        let Some(element) = template.element(&q.key) else {
            continue;
        };
        let mut coding = Vec::new();
        if let Some(loinc) = &element.loinc {
            coding.push(
                json!({ "system": "http://loinc.org", "code": loinc, "display": element.name_en }),
            );
        }
        let mut code = json!({ "text": element.name_zh });
        if !coding.is_empty() {
            code["coding"] = Value::Array(coding);
        }
        entries.push(json!({
            "fullUrl": format!("urn:uuid:{}", kernel::Id::new()),
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs" }] }],
                "code": code,
                "subject": subject,
                "encounter": { "reference": encounter_url },
                "effectiveDateTime": visit_date.to_string(),
                "valueQuantity": { "value": q.value, "unit": element.display_unit, "system": "http://unitsofmeasure.org", "code": q.unit }
            },
            "request": { "method": "POST", "url": "Observation" }
        }));
    }
    json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries })
}
