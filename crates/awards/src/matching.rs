//! Policy matching (政策找企业): the register's facts about a company and each of its
//! products, evaluated against every clause in force for the company's city and province.
//! What the register alone proves eligible is shown with its amount and trace; what could be
//! eligible once the company supplies facts the register does not hold is shown with those
//! facts; the rest is left out.

use std::collections::BTreeSet;

use industry::{
    Company, DeviceClass, DrugClass, Product, ProductKind, Stage, StageEvent, YearFigures,
};
use jiff::civil::Date;
use policy::{Catalogue, Evaluation, Facts, History, Money};
use serde::Serialize;

/// The register's facts: one set for the company as a whole, then one per product.
pub fn register_facts(
    company: &Company,
    figures: &[YearFigures],
    products: &[(Product, Vec<StageEvent>)],
    on: Date,
) -> Vec<Facts> {
    let mut base = Facts::new()
        .choice("city", &company.city)
        .choice("province", &company.province)
        .text("district", &company.district)
        // Category 1 of registration authority 9 is an enterprise, a legal person in its own
        // right; other categories (个体工商户, 农民专业合作社) are not.
        .flag(
            "independent_legal_person",
            company.uscc.as_str().get(1..2) == Some("1"),
        )
        .money("paid_in_capital", Money(company.paid_in_capital_yuan))
        .flag("listed", company.listed);
    if let Some(last) = figures
        .iter()
        .filter(|f| i32::from(f.year) < i32::from(on.year()))
        .max_by_key(|f| f.year)
    {
        base = base.money("regional_output", Money(last.output_yuan));
    }
    let mut all = vec![base.clone()];
    for (product, events) in products {
        all.extend(product_facts(&base, product, events, on));
    }
    all
}

/// Facts for one product: its latest stage, and each overseas approval as its own event.
fn product_facts(base: &Facts, product: &Product, events: &[StageEvent], on: Date) -> Vec<Facts> {
    let mut facts = base.clone().text("product_id", &product.id);
    match product.kind {
        ProductKind::Drug { class } => {
            if let Some(class) = drug_class(class) {
                facts = facts.choice("drug_class", class);
            }
        }
        ProductKind::Device {
            class,
            innovative_special_review,
        } => {
            facts = facts
                .choice(
                    "device_class",
                    match class {
                        DeviceClass::II => "class-2",
                        DeviceClass::III => "class-3",
                    },
                )
                .choice(
                    "innovative_device_review",
                    if innovative_special_review {
                        "national"
                    } else {
                        "none"
                    },
                );
            // A certificate within the last year counts as newly obtained (新取得).
            let year_ago = on
                .checked_sub(jiff::Span::new().years(1))
                .unwrap_or(Date::MIN);
            let fresh = events.iter().any(|e| {
                e.stage == Stage::RegistrationCertificate && e.on >= year_ago && e.on <= on
            });
            facts = facts.flag("device_newly_registered", fresh);
        }
        ProductKind::HealthProduct => {}
    }
    let domestic = industry::stage::current_stage(
        events
            .iter()
            .filter(|e| e.on <= on && !matches!(e.stage, Stage::Overseas { .. }))
            .map(|e| e.stage),
    );
    let mut out = Vec::new();
    if let Some(stage) = domestic.and_then(stage_key) {
        out.push(facts.clone().choice("stage", stage));
    } else {
        out.push(facts.clone());
    }
    for e in events.iter().filter(|e| e.on <= on) {
        if let Stage::Overseas { agency, approval } = e.stage {
            let agency = match agency {
                industry::Agency::Fda => "fda",
                industry::Agency::Ema => "ema",
                industry::Agency::Pmda => "pmda",
            };
            let approval = match approval {
                industry::Approval::Clinical => "clinical",
                industry::Approval::Market => "marketing",
            };
            out.push(
                facts
                    .clone()
                    .choice("overseas_approval", approval)
                    .choice("overseas_agency", agency),
            );
        }
    }
    out
}

/// The register's drug class as the clauses name it; generics have no single class there.
fn drug_class(class: DrugClass) -> Option<&'static str> {
    Some(match class {
        DrugClass::Chemical1 => "chemical-1",
        DrugClass::Chemical2 => "chemical-2",
        DrugClass::Biological1 => "biological-1",
        DrugClass::Biological2 => "biological-2",
        DrugClass::Tcm1 => "tcm-1",
        DrugClass::Tcm2 => "tcm-2",
        DrugClass::Biosimilar => "biosimilar",
        DrugClass::Generic => return None,
    })
}

/// The register's stage as the clauses name it.
fn stage_key(stage: Stage) -> Option<&'static str> {
    Some(match stage {
        Stage::Preclinical => "preclinical",
        Stage::Phase1Entered => "phase-1-entered",
        Stage::Phase1Completed => "phase-1-completed",
        Stage::Phase2Entered => "phase-2-entered",
        Stage::Phase2Completed => "phase-2-completed",
        Stage::Phase3Entered => "phase-3-entered",
        Stage::Phase3Completed => "phase-3-completed",
        Stage::MarketingApplication => "marketing-application",
        Stage::ManufacturingApproval => "approved",
        _ => return None,
    })
}

/// A clause that may apply once the company supplies what the register does not hold.
#[derive(Debug, Clone, Serialize)]
pub struct Possible {
    pub evaluation: Evaluation,
    /// The facts to supply (names from the fact catalogue).
    pub missing: Vec<String>,
}

/// What matching found for one company.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CompanyMatches {
    /// Eligible on the register's facts alone, after combining overlaps.
    pub granted: Vec<Evaluation>,
    /// Eligible, but covered by another clause (从优、就高、不重复): (evaluation, by clause).
    pub superseded: Vec<(Evaluation, String)>,
    /// Eligible once the listed facts are supplied.
    pub possible: Vec<Possible>,
}

/// Matches every set of register facts against the clauses in force on `on`.
pub fn match_register(
    catalogue: &Catalogue,
    fact_sets: &[Facts],
    history: &History,
    on: Date,
) -> CompanyMatches {
    let mut eligible = Vec::new();
    let mut possible: Vec<Possible> = Vec::new();
    let mut seen = BTreeSet::new();
    for facts in fact_sets {
        let Ok(matches) = policy::match_company(catalogue, facts, history, on) else {
            continue;
        };
        for e in matches
            .granted
            .into_iter()
            .chain(matches.superseded.into_iter().map(|(e, _)| e))
        {
            if seen.insert((e.clause_id.clone(), e.subject_key.clone())) {
                eligible.push(e);
            }
        }
        for e in matches.ineligible {
            let only_missing = !e.unmet.is_empty()
                && e.unmet.iter().all(|u| {
                    catalogue
                        .facts()
                        .iter()
                        .any(|d| d.name == u.fact && !d.from_register)
                        && facts.get(&u.fact).is_none()
                });
            let key = (e.clause_id.clone(), e.subject_key.clone());
            if only_missing
                && !seen.contains(&key)
                && !possible.iter().any(|p| {
                    p.evaluation.clause_id == e.clause_id
                        && p.evaluation.subject_key == e.subject_key
                })
            {
                possible.push(Possible {
                    missing: e.unmet.iter().map(|u| u.fact.clone()).collect(),
                    evaluation: e,
                });
            }
        }
    }
    let combined = policy::combine(eligible, catalogue);
    possible.retain(|p| {
        !seen.contains(&(
            p.evaluation.clause_id.clone(),
            p.evaluation.subject_key.clone(),
        ))
    });
    CompanyMatches {
        granted: combined.granted,
        superseded: combined.superseded,
        possible,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use industry::{Agency, Approval, Uscc};
    use jiff::civil::date;
    use policy::Amount;

    use super::*;

    fn company(city: &str) -> Company {
        Company {
            id: "co-1".into(),
            uscc: Uscc::with_check("91320500MA1XXXXX0").unwrap(),
            name: "示例生物（合成数据）".into(),
            organisation_id: None,
            city: city.into(),
            province: "jiangsu".into(),
            district: "sip".into(),
            park: None,
            segments: vec![],
            founded: date(2015, 1, 1),
            paid_in_capital_yuan: 50_000_000,
            listed: false,
            created_at: 0,
        }
    }

    fn event(stage: Stage, on: Date) -> StageEvent {
        StageEvent {
            id: format!("{stage:?}"),
            product_id: "D-1".into(),
            stage,
            on,
            evidence: "2020L00001".into(),
            evidence_sha256: None,
            skips_with_reason: None,
            first_in_country: false,
            recorded_by: "u".into(),
            recorded_at: 0,
        }
    }

    fn drug() -> Product {
        Product {
            id: "D-1".into(),
            company_id: "co-1".into(),
            name: "示例一类新药".into(),
            kind: ProductKind::Drug {
                class: DrugClass::Chemical1,
            },
            started: date(2018, 1, 1),
            created_at: 0,
        }
    }

    #[test]
    fn the_register_proves_an_overseas_approval_and_suggests_the_stage_grant() {
        let on = date(2020, 6, 1);
        let events = vec![
            event(Stage::Phase1Entered, date(2019, 3, 1)),
            event(Stage::Phase2Entered, date(2020, 2, 1)),
            event(
                Stage::Overseas {
                    agency: Agency::Fda,
                    approval: Approval::Market,
                },
                date(2020, 5, 1),
            ),
        ];
        let facts = register_facts(&company("suzhou"), &[], &[(drug(), events)], on);
        assert_eq!(
            facts.len(),
            3,
            "the company, the drug's stage, the FDA approval"
        );
        assert_eq!(
            facts[1].get("stage"),
            Some(&policy::FactValue::Choice("phase-2-entered".into()))
        );
        let m = match_register(policy::shipped(), &facts, &History::default(), on);
        let fda = m
            .granted
            .iter()
            .find(|e| e.clause_id == "suzhou-2019/17/overseas-approval")
            .unwrap();
        assert_eq!(fda.amount, Amount::Exact(Money::wan(100)));
        // The stage grant needs facts only the company knows (converted locally, in a
        // supported field): suggested, with those facts named.
        let stage = m
            .possible
            .iter()
            .find(|p| p.evaluation.clause_id == "suzhou-2019/6/phase-entry")
            .unwrap();
        assert!(stage.missing.iter().any(|f| f == "converted_locally"));
        // Nothing from another city's clauses.
        assert!(
            m.granted
                .iter()
                .all(|e| !e.clause_id.starts_with("nanjing"))
        );
    }

    #[test]
    fn a_nanjing_company_in_2026_sees_only_clauses_in_force() {
        let on = date(2026, 11, 26);
        let facts = register_facts(&company("nanjing"), &[], &[(drug(), vec![])], on);
        let m = match_register(policy::shipped(), &facts, &History::default(), on);
        let all: Vec<&str> = m
            .granted
            .iter()
            .map(|e| e.clause_id.as_str())
            .chain(m.possible.iter().map(|p| p.evaluation.clause_id.as_str()))
            .collect();
        assert!(
            all.iter().any(|c| c.starts_with("nanjing-2022/")),
            "{all:?}"
        );
        // Jiangsu's measures ran to 2024-12-31; Suzhou's are another city's.
        assert!(
            all.iter()
                .all(|c| !c.starts_with("jiangsu-2021/") && !c.starts_with("suzhou-2019/"))
        );
    }
}
