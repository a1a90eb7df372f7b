//! Case finding: a Condition whose code a disease template includes enrols the resident in
//! that disease's register, with the code and rule as the reason.

use jiff::civil::Date;
use registry::{CaseFinding, Enrolment};
use serde_json::Value;

use crate::{Actor, Clinical, Result};

/// Verification statuses that say the diagnosis is not (or no longer) believed.
const NOT_A_DIAGNOSIS: &[&str] = &["refuted", "entered-in-error"];

impl Clinical {
    /// Enrols the resident of `condition` in every register its codes belong to, once each.
    pub(crate) async fn find_cases(
        &self,
        actor: &Actor,
        resident_id: &str,
        condition: &Value,
    ) -> Result<Vec<Enrolment>> {
        if condition.get("resourceType").and_then(Value::as_str) != Some("Condition") {
            return Ok(Vec::new());
        }
        let verification = condition
            .pointer("/verificationStatus/coding/0/code")
            .and_then(Value::as_str);
        if verification.is_some_and(|v| NOT_A_DIAGNOSIS.contains(&v)) {
            return Ok(Vec::new());
        }
        let id = condition
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let found_on = finding_date(condition);
        let mut enrolled = Vec::new();
        let codings = condition
            .pointer("/code/coding")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for coding in codings {
            let (Some(system), Some(code)) = (
                coding.get("system").and_then(Value::as_str),
                coding.get("code").and_then(Value::as_str),
            ) else {
                continue;
            };
            // A code the catalogue cannot read (a malformed ICD-10 code) finds no case; the
            // record itself is kept, since it is valid FHIR.
            let Ok(matches) = self.inner.catalogue.diseases_for_code(system, code) else {
                continue;
            };
            for (template, reason) in matches {
                let finding = CaseFinding {
                    resident_id: resident_id.to_owned(),
                    disease: template.code.clone(),
                    found_on,
                    source_organisation: actor.organisation_id.clone(),
                    source_resource: format!("Condition/{id}"),
                    code_system: reason.system,
                    code: reason.code,
                    rule: reason.rule,
                    reason_zh: reason.explanation_zh,
                    reason_en: reason.explanation_en,
                };
                let now = kernel::UtcMillis::now().0;
                if let Some(e) = self
                    .inner
                    .registers
                    .enrol(&finding, || kernel::Id::new().to_string(), now)
                    .await?
                {
                    enrolled.push(e);
                }
            }
        }
        Ok(enrolled)
    }
}

/// The day a diagnosis was made: its onset, else its recording, else today (in the city).
fn finding_date(condition: &Value) -> Date {
    ["onsetDateTime", "recordedDate"]
        .iter()
        .filter_map(|k| condition.get(*k).and_then(Value::as_str))
        .find_map(|d| d.get(..10).and_then(|d| d.parse().ok()))
        .unwrap_or_else(today)
}

/// Today in the city's time zone.
pub fn today() -> Date {
    kernel::UtcMillis::now().city_date()
}
