//! Qualifications a company holds (资质): titles the programme cultivates and certifications
//! the subsidy clauses pay for, named and cited in `data/qualifications.toml`.

use std::sync::OnceLock;

use jiff::civil::Date;
use kernel::Source;
use serde::{Deserialize, Serialize};

use crate::error::{IndustryError, Result};
use crate::terms::{Term, Terms, shipped};

const QUALIFICATIONS_TOML: &str = include_str!("../data/qualifications.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QualificationKind {
    HighTech,
    SrdiProvince,
    LittleGiant,
    Gazelle,
    Unicorn,
    TechSme,
    /// `detail`: the number of GLP test items (大项) certified.
    Glp,
    /// `detail`: the number of specialties (专业) certified.
    Gcp,
    Cnas,
    Aaalac,
    Who,
    Fercap,
    Aahrpp,
    Listed,
}

impl QualificationKind {
    pub const ALL: [QualificationKind; 14] = [
        QualificationKind::HighTech,
        QualificationKind::SrdiProvince,
        QualificationKind::LittleGiant,
        QualificationKind::Gazelle,
        QualificationKind::Unicorn,
        QualificationKind::TechSme,
        QualificationKind::Glp,
        QualificationKind::Gcp,
        QualificationKind::Cnas,
        QualificationKind::Aaalac,
        QualificationKind::Who,
        QualificationKind::Fercap,
        QualificationKind::Aahrpp,
        QualificationKind::Listed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            QualificationKind::HighTech => "high-tech",
            QualificationKind::SrdiProvince => "srdi-province",
            QualificationKind::LittleGiant => "little-giant",
            QualificationKind::Gazelle => "gazelle",
            QualificationKind::Unicorn => "unicorn",
            QualificationKind::TechSme => "tech-sme",
            QualificationKind::Glp => "glp",
            QualificationKind::Gcp => "gcp",
            QualificationKind::Cnas => "cnas",
            QualificationKind::Aaalac => "aaalac",
            QualificationKind::Who => "who",
            QualificationKind::Fercap => "fercap",
            QualificationKind::Aahrpp => "aahrpp",
            QualificationKind::Listed => "listed",
        }
    }

    pub fn from_key(key: &str) -> Option<QualificationKind> {
        QualificationKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The kind a person named: key, either name or an alias.
    pub fn parse(text: &str) -> Option<QualificationKind> {
        QualificationKind::ALL
            .into_iter()
            .find(|k| k.term().is_named(text))
    }

    pub fn zh(self) -> &'static str {
        &self.term().zh
    }

    pub fn en(self) -> &'static str {
        &self.term().en
    }

    pub fn sources(self) -> &'static [Source] {
        &self.term().sources
    }

    /// What `detail` counts for this kind, if it needs one: (zh, en).
    pub fn detail_meaning(self) -> Option<(&'static str, &'static str)> {
        match self {
            QualificationKind::Glp => Some(("GLP认证大项数", "number of GLP items certified")),
            QualificationKind::Gcp => Some(("GCP认定专业数", "number of GCP specialties")),
            _ => None,
        }
    }

    fn term(self) -> &'static Term {
        let terms = qualifications();
        terms.get(self.key()).unwrap_or(&terms.terms[0])
    }
}

/// The shipped qualifications file.
pub fn qualifications() -> &'static Terms {
    static DATA: OnceLock<Terms> = OnceLock::new();
    DATA.get_or_init(|| shipped("qualifications.toml", Terms::parse(QUALIFICATIONS_TOML)))
}

/// A qualification a company holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Qualification {
    pub id: String,
    pub company_id: String,
    pub kind: QualificationKind,
    pub obtained: Date,
    pub expires: Option<Date>,
    /// Certificate or document number.
    pub evidence: String,
    /// GLP items or GCP specialties (see [`QualificationKind::detail_meaning`]).
    pub detail: Option<i64>,
    pub recorded_by: String,
    pub recorded_at: i64,
}

/// What it takes to add a qualification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQualification {
    pub kind: QualificationKind,
    pub obtained: Date,
    pub expires: Option<Date>,
    pub evidence: String,
    pub detail: Option<i64>,
}

impl NewQualification {
    /// Checks the dates, the evidence and the detail against the kind; `today` in the city.
    pub fn validate(&self, today: Date) -> Result<()> {
        if self.obtained > today {
            return Err(IndustryError::invalid(
                "obtained",
                format!("取得日期{}晚于今天，不能登记尚未取得的资质", self.obtained),
                format!(
                    "obtained {} is in the future: record a qualification once it is granted",
                    self.obtained
                ),
            ));
        }
        if let Some(expires) = self.expires
            && expires < self.obtained
        {
            return Err(IndustryError::invalid(
                "expires",
                format!("有效期至{expires}早于取得日期{}", self.obtained),
                format!(
                    "expires {expires} is before obtained {}: it must be on or after it",
                    self.obtained
                ),
            ));
        }
        if self.evidence.trim().is_empty() {
            return Err(IndustryError::invalid(
                "evidence",
                "请填写证书编号或认定文件号",
                "enter the certificate or decision number",
            ));
        }
        match (self.kind.detail_meaning(), self.detail) {
            (Some((zh, en)), None) => Err(IndustryError::invalid(
                "detail",
                format!("{}须填写{zh}", self.kind.zh()),
                format!("{} needs the {en}", self.kind.en()),
            )),
            (Some((zh, en)), Some(n)) if n < 1 => Err(IndustryError::invalid(
                "detail",
                format!("{zh}应为正整数，实为{n}"),
                format!("the {en} must be at least 1, it is {n}"),
            )),
            (None, Some(_)) => Err(IndustryError::invalid(
                "detail",
                format!("{}不填写数量（仅GLP大项数、GCP专业数需要）", self.kind.zh()),
                format!(
                    "{} takes no count (only GLP items and GCP specialties do)",
                    self.kind.en()
                ),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn glp(detail: Option<i64>) -> NewQualification {
        NewQualification {
            kind: QualificationKind::Glp,
            obtained: date(2024, 3, 1),
            expires: Some(date(2027, 3, 1)),
            evidence: "GLP-2024-001".into(),
            detail,
        }
    }

    #[test]
    fn every_kind_has_its_cited_entry() {
        assert_eq!(qualifications().terms.len(), QualificationKind::ALL.len());
        for k in QualificationKind::ALL {
            assert!(qualifications().get(k.key()).is_some(), "{}", k.key());
            assert_eq!(QualificationKind::from_key(k.key()), Some(k));
        }
        assert_eq!(
            QualificationKind::parse("瞪羚"),
            Some(QualificationKind::Gazelle)
        );
        assert_eq!(
            QualificationKind::parse("GCP"),
            Some(QualificationKind::Gcp)
        );
    }

    #[test]
    fn validation_names_the_field() {
        let today = date(2025, 1, 1);
        assert!(glp(Some(3)).validate(today).is_ok());
        assert_eq!(
            glp(None).validate(today).unwrap_err().field(),
            Some("detail")
        );
        assert_eq!(
            glp(Some(0)).validate(today).unwrap_err().field(),
            Some("detail")
        );
        let mut q = glp(Some(3));
        q.expires = Some(date(2024, 2, 1));
        assert_eq!(q.validate(today).unwrap_err().field(), Some("expires"));
        let mut q = glp(Some(3));
        q.obtained = date(2025, 1, 2);
        q.expires = None;
        assert_eq!(q.validate(today).unwrap_err().field(), Some("obtained"));
        let q = NewQualification {
            kind: QualificationKind::HighTech,
            detail: Some(2),
            ..glp(None)
        };
        assert_eq!(q.validate(today).unwrap_err().field(), Some("detail"));
    }
}
