//! The candidates of a selection, taken from the company register: for selection year Y, the
//! revenue, R&D spend and staff of Y−1 (the last full year the companies have reported), the
//! revenue of Y−2 for growth, and the qualifications, drugs in clinic and approvals the
//! register shows on the reference date. Companies without figures for Y−1 cannot be scored
//! and are left out, each named so the page can say who and why.

use std::collections::BTreeSet;

use access::Principal;
use industry::{Approval, CompanyFilter, DrugClass, Industry, IndustryError, ProductKind, Stage};
use jiff::civil::Date;

use crate::candidate::Candidate;

/// A register company the selection could not score.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeftOut {
    pub company_id: String,
    pub name: String,
    /// `no_figures`: nothing reported for Y−1; `later`: registered or reported after the
    /// proposal was made (only when comparing with an existing proposal).
    pub why: &'static str,
}

/// Candidates and the companies left out, for one selection year.
#[derive(Debug, Clone)]
pub struct Field {
    pub candidates: Vec<Candidate>,
    pub left_out: Vec<LeftOut>,
    /// The year whose figures were used (Y−1).
    pub figures_year: i32,
}

/// The date the register is read on for a selection year: today for this year's (or a
/// later) selection, the last day of the year for an earlier one, so that re-running a past
/// year does not count a qualification or approval obtained since.
fn reference_date(year: i32, today: Date) -> Date {
    let end = i16::try_from(year)
        .ok()
        .and_then(|y| Date::new(y, 12, 31).ok())
        .unwrap_or(today);
    today.min(end)
}

/// A drug in clinic: past phase I entry and not yet approved for manufacture. Generics are
/// not counted: their marketing application follows no trial of their own.
fn in_clinic(kind: &ProductKind, current: Option<Stage>) -> bool {
    let ProductKind::Drug { class } = kind else {
        return false;
    };
    *class != DrugClass::Generic
        && current.is_some_and(|s| {
            industry::DRUG_FUNNEL.contains(&s)
                && s.rank() >= Stage::Phase1Entered.rank()
                && s.rank() < Stage::ManufacturingApproval.rank()
        })
}

/// An approval that counts: manufacturing approval, a device registration certificate, or a
/// market approval abroad (FDA, EMA, PMDA).
fn is_approval(stage: Stage) -> bool {
    matches!(
        stage,
        Stage::ManufacturingApproval
            | Stage::RegistrationCertificate
            | Stage::Overseas {
                approval: Approval::Market,
                ..
            }
    )
}

/// The candidates the register gives for selection `year` as of `today`, read as `user`
/// (whose access to yearly figures the register checks).
pub async fn from_register(
    industry: &Industry,
    user: &Principal,
    year: i32,
    today: Date,
) -> Result<Field, IndustryError> {
    let figures_year = year - 1;
    let reference = reference_date(year, today);
    let companies = industry.companies(user, &CompanyFilter::default()).await?;
    let mut candidates = Vec::with_capacity(companies.len());
    let mut left_out = Vec::new();
    for company in companies {
        let figures = industry.figures(user, &company.id).await?;
        let Some(last) = figures.iter().find(|f| i32::from(f.year) == figures_year) else {
            left_out.push(LeftOut {
                company_id: company.id,
                name: company.name,
                why: "no_figures",
            });
            continue;
        };
        let previous = figures
            .iter()
            .find(|f| i32::from(f.year) == figures_year - 1)
            .map(|f| f.revenue_yuan);
        let qualifications: Vec<String> = industry
            .qualifications(&company.id)
            .await?
            .into_iter()
            .filter(|q| q.obtained <= reference && q.expires.is_none_or(|e| e >= reference))
            .map(|q| q.kind.key().to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut drugs_in_clinic = 0u32;
        let mut approvals = 0u32;
        for product in industry.products_of(&company.id).await? {
            let stages: Vec<Stage> = industry
                .stage_events(&product.id)
                .await?
                .into_iter()
                .filter(|e| e.on <= reference)
                .map(|e| e.stage)
                .collect();
            if in_clinic(
                &product.kind,
                industry::stage::current_stage(stages.iter().copied()),
            ) {
                drugs_in_clinic += 1;
            }
            approvals += u32::try_from(stages.iter().filter(|s| is_approval(**s)).count())
                .unwrap_or(u32::MAX);
        }
        candidates.push(Candidate {
            company_id: company.id,
            name: company.name,
            district: company.district,
            founded: company.founded,
            revenue_yuan: last.revenue_yuan,
            revenue_prev_yuan: previous,
            rd_spend_yuan: last.rd_spend_yuan,
            // The register refuses negative staff; a count beyond u32 is not a company.
            staff: u32::try_from(last.staff).unwrap_or(u32::MAX),
            qualifications,
            drugs_in_clinic,
            approvals,
        });
    }
    Ok(Field {
        candidates,
        left_out,
        figures_year,
    })
}

/// The register companies that are not in a proposal, each with why: no figures for Y−1, or
/// registered (or reported) after the proposal was made.
pub async fn not_in_proposal(
    industry: &Industry,
    user: &Principal,
    year: i32,
    in_proposal: &BTreeSet<&str>,
) -> Result<Vec<LeftOut>, IndustryError> {
    let companies = industry.companies(user, &CompanyFilter::default()).await?;
    let mut out = Vec::new();
    for company in companies {
        if in_proposal.contains(company.id.as_str()) {
            continue;
        }
        let reported = industry
            .figures(user, &company.id)
            .await?
            .iter()
            .any(|f| i32::from(f.year) == year - 1);
        out.push(LeftOut {
            company_id: company.id,
            name: company.name,
            why: if reported { "later" } else { "no_figures" },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use industry::{Agency, DeviceClass};

    #[test]
    fn drugs_in_clinic_are_between_phase_one_and_approval() {
        let drug = ProductKind::Drug {
            class: DrugClass::Chemical1,
        };
        assert!(!in_clinic(&drug, Some(Stage::Preclinical)));
        assert!(in_clinic(&drug, Some(Stage::Phase1Entered)));
        assert!(in_clinic(&drug, Some(Stage::MarketingApplication)));
        assert!(!in_clinic(&drug, Some(Stage::ManufacturingApproval)));
        assert!(!in_clinic(&drug, None));
        let generic = ProductKind::Drug {
            class: DrugClass::Generic,
        };
        assert!(!in_clinic(&generic, Some(Stage::MarketingApplication)));
        let device = ProductKind::Device {
            class: DeviceClass::III,
            innovative_special_review: true,
        };
        assert!(!in_clinic(&device, Some(Stage::ClinicalStarted)));
    }

    #[test]
    fn approvals_are_domestic_approvals_and_markets_abroad() {
        assert!(is_approval(Stage::ManufacturingApproval));
        assert!(is_approval(Stage::RegistrationCertificate));
        assert!(is_approval(Stage::Overseas {
            agency: Agency::Fda,
            approval: Approval::Market
        }));
        assert!(!is_approval(Stage::Overseas {
            agency: Agency::Ema,
            approval: Approval::Clinical
        }));
        assert!(!is_approval(Stage::MarketingApplication));
    }
}
