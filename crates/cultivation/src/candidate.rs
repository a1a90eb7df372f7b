//! A company as the selection sees it: plain figures, so scoring and selection are pure;
//! `crate::register` takes them from the company register.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::{CultivationError, Result};
use crate::pools::{Factor, Scoring};

/// One company put forward for a selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The company's organisation id (its users' `principal.organisation.id`).
    pub company_id: String,
    pub name: String,
    /// District key (see the `city` crate).
    pub district: String,
    pub founded: Date,
    pub revenue_yuan: i64,
    pub revenue_prev_yuan: Option<i64>,
    pub rd_spend_yuan: i64,
    pub staff: u32,
    /// Qualification codes from the register (`high-tech`, `srdi-province`, `gcp`, ...).
    pub qualifications: Vec<String>,
    pub drugs_in_clinic: u32,
    pub approvals: u32,
}

impl Candidate {
    /// The raw value of `factor` in the selection `year`. Ratios that would divide by zero
    /// are defined rather than left undefined, so every candidate gets a number:
    /// growth without a positive previous revenue is 0; a company spending on R&D with no
    /// revenue yet is fully research-intensive (1).
    pub fn measure(&self, factor: Factor, year: i32, scoring: &Scoring) -> f64 {
        let revenue = self.revenue_yuan as f64;
        let rd = self.rd_spend_yuan as f64;
        match factor {
            Factor::Revenue => revenue,
            Factor::RevenueGrowth => match self.revenue_prev_yuan {
                Some(prev) if prev > 0 => (revenue - prev as f64) / prev as f64,
                _ => 0.0,
            },
            Factor::RdSpend => rd,
            Factor::RdIntensity => {
                if self.revenue_yuan > 0 {
                    rd / revenue
                } else if self.rd_spend_yuan > 0 {
                    1.0
                } else {
                    0.0
                }
            }
            Factor::Staff => f64::from(self.staff),
            Factor::Qualifications => {
                let mut held: Vec<&String> = self
                    .qualifications
                    .iter()
                    .filter(|q| scoring.qualifications.contains(q))
                    .collect();
                held.sort();
                held.dedup();
                held.len() as f64
            }
            Factor::DrugsInClinic => f64::from(self.drugs_in_clinic),
            Factor::Approvals => f64::from(self.approvals),
            Factor::AgeYears => f64::from(year - i32::from(self.founded.year())),
        }
    }

    /// Refuses figures no company can have, naming the company and the field.
    pub fn validate(&self, year: i32) -> Result<()> {
        let who = &self.company_id;
        let bad = |field: &'static str, zh: String, en: String| {
            Err(CultivationError::Invalid { field, zh, en })
        };
        if who.trim().is_empty() {
            return bad(
                "company_id",
                "候选企业缺少企业编号".into(),
                "a candidate has no company id".into(),
            );
        }
        if self.name.trim().is_empty() {
            return bad(
                "name",
                format!("企业{who}缺少名称"),
                format!("company {who} has no name"),
            );
        }
        if self.district.trim().is_empty() {
            return bad(
                "district",
                format!("企业{who}缺少所在区"),
                format!("company {who} has no district"),
            );
        }
        let money = [
            ("revenue_yuan", "营业收入", Some(self.revenue_yuan)),
            ("revenue_prev_yuan", "上年营业收入", self.revenue_prev_yuan),
            ("rd_spend_yuan", "研发投入", Some(self.rd_spend_yuan)),
        ];
        for (field, name_zh, value) in money {
            if value.is_some_and(|v| v < 0) {
                return bad(
                    field,
                    format!("企业{who}的{name_zh}为负数，应为0或以上的元数"),
                    format!("company {who}: {field} is negative; give yuan, 0 or more"),
                );
            }
        }
        if i32::from(self.founded.year()) > year {
            return bad(
                "founded",
                format!("企业{who}的成立日期晚于遴选年度{year}"),
                format!("company {who} was founded after the selection year {year}"),
            );
        }
        Ok(())
    }
}
