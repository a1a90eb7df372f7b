//! Case finding: a Condition whose code a disease template includes enrols the resident in
//! that disease's register, with the code and rule as the reason. And the measures records
//! carry for the registers (an LDL-C result judged by the template's target, a spirometry, a
//! rehabilitation follow-up), by the templates' `[counts.measure]` rules, kept on the
//! enrolments as they arrive.

use diseases::{Catalogue, CountMeasure, Element, Quantity, Template};
use jiff::civil::Date;
use records::Committed;
use registry::{CaseFinding, Enrolment, Measure, Measured, RegisterMeasure, Registers};
use serde_json::Value;

use crate::{Actor, Clinical, Result};

const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";

/// Observation statuses whose value stands (`preliminary`, `cancelled`, `entered-in-error`…
/// measure nothing).
const RESULT_STATUSES: &[&str] = &["final", "amended", "corrected"];

/// Verification statuses that say the diagnosis is not (or no longer) believed.
const NOT_A_DIAGNOSIS: &[&str] = &["refuted", "entered-in-error"];

impl Clinical {
    /// The registers `condition` enrols its resident in, each with why: one finding per
    /// disease whose inclusion rule one of its codes meets. Nothing for a record that is not
    /// a Condition or whose diagnosis is refuted or entered in error.
    pub(crate) fn case_findings(
        &self,
        actor: &Actor,
        resident_id: &str,
        condition: &Value,
    ) -> Vec<CaseFinding> {
        if condition.get("resourceType").and_then(Value::as_str) != Some("Condition") {
            return Vec::new();
        }
        let verification = condition
            .pointer("/verificationStatus/coding/0/code")
            .and_then(Value::as_str);
        if verification.is_some_and(|v| NOT_A_DIAGNOSIS.contains(&v)) {
            return Vec::new();
        }
        let id = condition
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let found_on = finding_date(condition);
        let mut findings = Vec::new();
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
            findings.extend(matches.into_iter().map(|(template, reason)| CaseFinding {
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
            }));
        }
        findings
    }
}

/// Enrols as `findings` say, on the connection of the commit that writes the diagnoses (a
/// diagnosis and its enrolment commit together), and tells which write (by its index in the
/// commit) enrolled whom. A resident already on a register is not enrolled again.
pub(crate) fn enrol_with_records(
    findings: Vec<(usize, CaseFinding)>,
    enrolled: std::sync::Arc<std::sync::Mutex<Vec<(usize, Enrolment)>>>,
) -> records::WithRecords {
    Box::new(move |conn| {
        Box::pin(async move {
            let now = kernel::UtcMillis::now().0;
            for (n, finding) in &findings {
                let id = kernel::Id::new().to_string();
                if let Some(e) = Registers::enrol_on(conn, finding, id, now).await? {
                    enrolled
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((*n, e));
                }
            }
            Ok(())
        })
    })
}

impl Clinical {
    /// What a committed record measures for the registers of `resident`, for
    /// [`Registers::record_measures`](registry::Registers::record_measures): its measures by
    /// the templates' rules, and for an update or a delete of an Observation or Procedure the
    /// withdrawal of what an earlier version measured. `None` when there is nothing to do.
    pub fn measured(&self, resident: Option<&str>, committed: &Committed) -> Option<Measured> {
        measured_by(
            resident,
            &committed.resource_type,
            &committed.id,
            !committed.created,
            committed.body.as_ref(),
            self.inner.catalogue,
        )
    }

    /// Applies what committed records measured to their residents' registers, in one
    /// transaction for the whole commit.
    pub(crate) async fn record_measures(&self, measured: Vec<Measured>) -> Result<()> {
        if measured.is_empty() {
            return Ok(());
        }
        self.inner
            .registers
            .record_measures(
                &measured,
                || kernel::Id::new().to_string(),
                kernel::UtcMillis::now().0,
            )
            .await?;
        Ok(())
    }
}

/// What a committed record (`body`, `None` once deleted) measures for the registers of
/// `resident`, if anything: its measures, and for an update or a delete of an Observation or
/// Procedure (`replaces`), the withdrawal of what an earlier version measured.
pub(crate) fn measured_by(
    resident: Option<&str>,
    resource_type: &str,
    id: &str,
    replaces: bool,
    body: Option<&Value>,
    catalogue: &Catalogue,
) -> Option<Measured> {
    if !matches!(resource_type, "Observation" | "Procedure") {
        return None;
    }
    let measures = body
        .map(|body| measures(body, catalogue))
        .unwrap_or_default();
    if measures.is_empty() && !replaces {
        return None;
    }
    Some(Measured {
        source: format!("{resource_type}/{id}"),
        resident_id: resident.map(str::to_owned),
        measures,
        replaces,
    })
}

/// The measures a FHIR record carries, for every register whose template has a
/// `[counts.measure]` rule it meets: a final Observation of a result the template judges
/// (LDL-C for coronary heart disease, met or not by the template's target) or of an
/// examination (FEV1/FVC, FEV1), or a completed Procedure that is an examination
/// (spirometry). Records without a day (or only a year or month) measure nothing, since the
/// counts are of the year. Follow-up assessments come from the follow-up form
/// ([`followup_measures`]).
pub fn measures(resource: &Value, catalogue: &Catalogue) -> Vec<RegisterMeasure> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let (status, day_paths, system): (&[&str], &[&str], &str) =
        match resource.get("resourceType").and_then(Value::as_str) {
            Some("Observation") => (
                RESULT_STATUSES,
                &[
                    "/effectiveDateTime",
                    "/effectivePeriod/start",
                    "/effectiveInstant",
                    "/issued",
                ],
                LOINC,
            ),
            Some("Procedure") => (
                &["completed"],
                &["/performedDateTime", "/performedPeriod/start"],
                SNOMED,
            ),
            _ => return Vec::new(),
        };
    if !text(resource, "status").is_some_and(|s| status.contains(&s.as_str())) {
        return Vec::new();
    }
    let Some(on) = day_paths
        .iter()
        .find_map(|p| resource.pointer(p).and_then(Value::as_str))
        .and_then(city_day)
    else {
        return Vec::new();
    };
    // The record and, for an Observation, its components (a lipid panel, a spirometry panel).
    let nodes: Vec<&Value> = std::iter::once(resource)
        .chain(
            resource
                .get("component")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        )
        .collect();
    let codes_of = |node: &Value| -> Vec<String> {
        node.pointer("/code/coding")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|c| c.get("system").and_then(Value::as_str) == Some(system))
            .filter_map(|c| c.get("code").and_then(Value::as_str))
            .map(|c| c.trim().to_owned())
            .collect()
    };
    let mut out = Vec::new();
    for template in catalogue.templates() {
        for (_, rule) in template.measured_counts() {
            let measure = match rule {
                CountMeasure::LatestResultAtTarget { element, .. } if system == LOINC => {
                    result_at_target(template, element, &nodes, &codes_of)
                }
                CountMeasure::ExaminationInYear {
                    elements,
                    loinc,
                    procedures,
                    ..
                } => {
                    let is_examination = |code: &String| {
                        if system == SNOMED {
                            return procedures.iter().any(|p| &p.id == code);
                        }
                        loinc.iter().any(|l| &l.code == code)
                            || elements
                                .iter()
                                .filter_map(|k| template.element(k))
                                .any(|e| e.has_loinc(code))
                    };
                    nodes
                        .iter()
                        .any(|n| codes_of(n).iter().any(is_examination))
                        .then_some(Measure::Examination)
                }
                _ => None,
            };
            if let Some(measure) = measure {
                out.push(RegisterMeasure {
                    disease: template.code.clone(),
                    measure,
                    on,
                });
            }
        }
    }
    out
}

/// The first readable result of `key` among the nodes, judged by the template's target.
fn result_at_target(
    template: &Template,
    key: &str,
    nodes: &[&Value],
    codes_of: &dyn Fn(&Value) -> Vec<String>,
) -> Option<Measure> {
    let element = template.element(key)?;
    let target = template.result_target(key)?;
    let value = nodes
        .iter()
        .filter(|n| codes_of(n).iter().any(|c| element.has_loinc(c)))
        .find_map(|n| quantity(element, n))?;
    Some(Measure::TargetResult {
        met_target: target.holds(value.value),
    })
}

/// A node's `valueQuantity` in the element's canonical unit, if it is a readable, plausible
/// value in a unit the element accepts.
fn quantity(element: &Element, node: &Value) -> Option<Quantity> {
    let q = node.get("valueQuantity")?;
    let value = q.get("value").and_then(Value::as_f64)?;
    // UCUM code first (what machines read), else the human unit.
    let unit = q
        .get("code")
        .or_else(|| q.get("unit"))
        .and_then(Value::as_str)
        .unwrap_or(&element.unit);
    element.validate(value, unit).ok()
}

/// The measures a recorded follow-up carries beyond its Observations: the assessment a
/// register asks for (mRS at a stroke rehabilitation follow-up) when the form recorded it.
pub fn followup_measures(
    template: &Template,
    recorded: &[Quantity],
    visit_date: Date,
) -> Vec<RegisterMeasure> {
    template
        .measured_counts()
        .filter_map(|(_, rule)| match rule {
            CountMeasure::AssessmentAtFollowup { element, .. }
                if recorded.iter().any(|q| &q.key == element) =>
            {
                Some(RegisterMeasure {
                    disease: template.code.clone(),
                    measure: Measure::Assessment,
                    on: visit_date,
                })
            }
            _ => None,
        })
        .collect()
}

/// The day (in the city) of a FHIR date or dateTime given at least to the day.
fn city_day(text: &str) -> Option<Date> {
    let parsed = fhir::parse_partial(text).ok()?;
    if parsed.precision < fhir::Precision::Day {
        return None;
    }
    Some(kernel::UtcMillis(parsed.range().0).city_date())
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use serde_json::json;

    fn catalogue() -> &'static Catalogue {
        Catalogue::builtin().unwrap()
    }

    fn observation(loinc: &str, value: f64, unit: &str) -> Value {
        json!({
            "resourceType": "Observation",
            "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": loinc }] },
            "subject": { "reference": "Patient/p" },
            "effectiveDateTime": "2026-03-01T09:30:00+08:00",
            "valueQuantity": { "value": value, "system": "http://unitsofmeasure.org", "code": unit }
        })
    }

    fn spirometry(status: &str, snomed: &str) -> Value {
        json!({
            "resourceType": "Procedure",
            "status": status,
            "code": { "coding": [{ "system": "http://snomed.info/sct", "code": snomed }] },
            "subject": { "reference": "Patient/p" },
            "performedDateTime": "2026-04-02"
        })
    }

    fn one(disease: &str, measure: Measure, on: Date) -> Vec<RegisterMeasure> {
        vec![RegisterMeasure {
            disease: disease.into(),
            measure,
            on,
        }]
    }

    const MET: Measure = Measure::TargetResult { met_target: true };
    const NOT_MET: Measure = Measure::TargetResult { met_target: false };

    #[test]
    fn an_ldl_result_is_judged_by_the_coronary_template_target() {
        let day = date(2026, 3, 1);
        // Calculated, direct and either method; mmol/L or mg/dL (converted by the template).
        assert_eq!(
            measures(&observation("13457-7", 1.6, "mmol/L"), catalogue()),
            one("chd", MET, day)
        );
        assert_eq!(
            measures(&observation("18262-6", 1.8, "mmol/L"), catalogue()),
            one("chd", NOT_MET, day),
            "the target is below 1.8"
        );
        assert_eq!(
            measures(&observation("2089-1", 100.0, "mg/dL"), catalogue()),
            one("chd", NOT_MET, day),
            "100 mg/dL is 2.6 mmol/L"
        );
        assert_eq!(
            measures(&observation("2089-1", 60.0, "mg/dL"), catalogue()),
            one("chd", MET, day)
        );
        // Stroke has an LDL-C target but no count measured by it.
        assert!(
            measures(&observation("13457-7", 1.6, "mmol/L"), catalogue())
                .iter()
                .all(|m| m.disease == "chd")
        );
    }

    #[test]
    fn an_ldl_result_in_a_lipid_panel_counts() {
        let mut panel = observation("57698-3", 0.0, "");
        panel.as_object_mut().unwrap().remove("valueQuantity");
        panel["component"] = json!([
            { "code": { "coding": [{ "system": "http://loinc.org", "code": "2093-3" }] },
              "valueQuantity": { "value": 4.1, "code": "mmol/L" } },
            { "code": { "coding": [{ "system": "http://loinc.org", "code": "13457-7" }] },
              "valueQuantity": { "value": 1.5, "unit": "mmol/L" } }
        ]);
        assert_eq!(
            measures(&panel, catalogue()),
            one("chd", MET, date(2026, 3, 1))
        );
    }

    #[test]
    fn results_that_do_not_stand_or_have_no_day_measure_nothing() {
        for status in ["preliminary", "registered", "cancelled", "entered-in-error"] {
            let mut o = observation("13457-7", 1.6, "mmol/L");
            o["status"] = json!(status);
            assert!(measures(&o, catalogue()).is_empty(), "{status}");
        }
        let mut undated = observation("13457-7", 1.6, "mmol/L");
        undated.as_object_mut().unwrap().remove("effectiveDateTime");
        assert!(measures(&undated, catalogue()).is_empty());
        let mut a_year = observation("13457-7", 1.6, "mmol/L");
        a_year["effectiveDateTime"] = json!("2026");
        assert!(measures(&a_year, catalogue()).is_empty(), "not of a day");
        let mut unreadable = observation("13457-7", 1.6, "mmol/L");
        unreadable["valueQuantity"] = json!({ "value": 1.6, "code": "furlong" });
        assert!(measures(&unreadable, catalogue()).is_empty());
        unreadable["valueQuantity"] = json!({ "value": 900.0, "code": "mmol/L" });
        assert!(measures(&unreadable, catalogue()).is_empty(), "implausible");
        let mut no_value = observation("13457-7", 1.6, "mmol/L");
        no_value.as_object_mut().unwrap().remove("valueQuantity");
        assert!(measures(&no_value, catalogue()).is_empty());
        // Blood pressure, and a diagnosis, measure nothing for these counts.
        assert!(measures(&observation("8480-6", 150.0, "mm[Hg]"), catalogue()).is_empty());
        let condition = json!({ "resourceType": "Condition", "code": { "coding": [] } });
        assert!(measures(&condition, catalogue()).is_empty());
    }

    #[test]
    fn the_day_is_the_city_day_of_the_result() {
        let mut late = observation("13457-7", 1.6, "mmol/L");
        late["effectiveDateTime"] = json!("2026-03-01T23:30:00Z");
        assert_eq!(measures(&late, catalogue())[0].on, date(2026, 3, 2));
        let mut issued = observation("13457-7", 1.6, "mmol/L");
        issued.as_object_mut().unwrap().remove("effectiveDateTime");
        issued["issued"] = json!("2026-03-05T10:00:00+08:00");
        assert_eq!(measures(&issued, catalogue())[0].on, date(2026, 3, 5));
    }

    #[test]
    fn spirometry_is_an_observation_of_its_results_or_a_procedure() {
        let day = date(2026, 3, 1);
        assert_eq!(
            measures(&observation("19926-5", 62.0, "%"), catalogue()),
            one("copd", Measure::Examination, day),
            "FEV1/FVC"
        );
        assert_eq!(
            measures(&observation("20150-9", 1.9, "L"), catalogue()),
            one("copd", Measure::Examination, day),
            "FEV1"
        );
        assert_eq!(
            measures(&spirometry("completed", "127783003"), catalogue()),
            one("copd", Measure::Examination, date(2026, 4, 2))
        );
        assert!(measures(&spirometry("in-progress", "127783003"), catalogue()).is_empty());
        assert!(
            measures(&spirometry("completed", "38341003"), catalogue()).is_empty(),
            "another procedure"
        );
        let mut loinc_coded = spirometry("completed", "127783003");
        loinc_coded["code"]["coding"][0]["system"] = json!("http://loinc.org");
        assert!(measures(&loinc_coded, catalogue()).is_empty());
    }

    #[test]
    fn a_stroke_follow_up_that_recorded_mrs_is_a_rehabilitation_follow_up() {
        let stroke = catalogue().get("stroke").unwrap();
        let day = date(2026, 5, 6);
        let mrs = stroke.validate_value("mrs", 2.0, "{score}").unwrap();
        let sbp = stroke.validate_value("sbp", 130.0, "mm[Hg]").unwrap();
        assert_eq!(
            followup_measures(stroke, &[sbp.clone(), mrs.clone()], day),
            one("stroke", Measure::Assessment, day)
        );
        assert!(followup_measures(stroke, std::slice::from_ref(&sbp), day).is_empty());
        let chd = catalogue().get("chd").unwrap();
        assert!(followup_measures(chd, &[mrs, sbp], day).is_empty());
    }

    #[test]
    fn a_record_replaces_what_its_earlier_version_measured() {
        let ldl = observation("13457-7", 1.6, "mmol/L");
        let bp = observation("8480-6", 150.0, "mm[Hg]");
        let of = |resident: Option<&str>, kind: &str, replaces: bool, body: Option<&Value>| {
            measured_by(resident, kind, "r1", replaces, body, catalogue())
        };
        let new = of(Some("res-1"), "Observation", false, Some(&ldl)).unwrap();
        assert_eq!(new.source, "Observation/r1");
        assert_eq!(new.resident_id.as_deref(), Some("res-1"));
        assert_eq!(new.measures.len(), 1);
        assert!(!new.replaces);
        // A new blood pressure is none of the registry's business; its update might replace
        // an LDL-C result sent under the same id, and a delete withdraws.
        assert_eq!(of(Some("res-1"), "Observation", false, Some(&bp)), None);
        let updated = of(Some("res-1"), "Observation", true, Some(&bp)).unwrap();
        assert!(updated.replaces && updated.measures.is_empty());
        let deleted = of(None, "Procedure", true, None).unwrap();
        assert_eq!(
            (
                deleted.source.as_str(),
                deleted.resident_id,
                deleted.replaces
            ),
            ("Procedure/r1", None, true)
        );
        assert_eq!(of(None, "Patient", true, None), None);
    }
}
