//! A company on the register and the checks its details pass before they are stored.

use jiff::civil::Date;
use serde::Serialize;

use crate::error::{IndustryError, Result};
use crate::segment::Segment;
use crate::uscc::Uscc;

/// The city whose register this is; its districts come from the `city` crate.
pub const CITY: &str = "nanjing";
pub const PROVINCE: &str = "jiangsu";

/// Longest company name accepted, in characters (the longest registered Chinese enterprise
/// names are well under 100 characters).
const MAX_NAME_CHARS: usize = 200;
const MAX_PARK_CHARS: usize = 100;

/// A company on the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Company {
    pub id: String,
    pub uscc: Uscc,
    pub name: String,
    /// The access organisation (kind Company) whose users act for this company.
    pub organisation_id: Option<String>,
    pub city: String,
    pub province: String,
    /// District key of the `city` crate, e.g. `jiangbei`.
    pub district: String,
    pub park: Option<String>,
    pub segments: Vec<Segment>,
    pub founded: Date,
    pub paid_in_capital_yuan: i64,
    pub listed: bool,
    pub created_at: i64,
}

/// A company's details as entered, for registration or to replace the stored ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCompany {
    pub uscc: String,
    pub name: String,
    pub organisation_id: Option<String>,
    /// District key (`gulou`) or name (`鼓楼区`).
    pub district: String,
    pub park: Option<String>,
    pub segments: Vec<Segment>,
    pub founded: Date,
    pub paid_in_capital_yuan: i64,
    pub listed: bool,
}

/// [`NewCompany`] after its checks: the code parsed, text trimmed, the district as its key,
/// segments sorted without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyFields {
    pub uscc: Uscc,
    pub name: String,
    pub organisation_id: Option<String>,
    pub district: String,
    pub park: Option<String>,
    pub segments: Vec<Segment>,
    pub founded: Date,
    pub paid_in_capital_yuan: i64,
    pub listed: bool,
}

impl NewCompany {
    /// Checks every field; the first wrong one is named. `today` is the city's date.
    pub fn validate(&self, today: Date) -> Result<CompanyFields> {
        let uscc = Uscc::parse(&self.uscc)?;
        let name = self.name.trim();
        if name.is_empty() {
            return Err(IndustryError::invalid(
                "name",
                "请填写企业名称",
                "enter the company's name",
            ));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(IndustryError::invalid(
                "name",
                format!("企业名称不超过{MAX_NAME_CHARS}字"),
                format!("a company name has at most {MAX_NAME_CHARS} characters"),
            ));
        }
        let district = district_key(&self.district)?;
        let park = optional_text(self.park.as_deref());
        if let Some(park) = &park
            && park.chars().count() > MAX_PARK_CHARS
        {
            return Err(IndustryError::invalid(
                "park",
                format!("园区名称不超过{MAX_PARK_CHARS}字"),
                format!("a park name has at most {MAX_PARK_CHARS} characters"),
            ));
        }
        let mut segments = self.segments.clone();
        segments.sort();
        segments.dedup();
        if segments.is_empty() {
            return Err(IndustryError::invalid(
                "segments",
                "请至少选择一个产业领域",
                "choose at least one industry segment",
            ));
        }
        if self.founded > today {
            return Err(IndustryError::invalid(
                "founded",
                format!("成立日期{}晚于今天", self.founded),
                format!(
                    "founded {} is in the future: enter the date on the business licence",
                    self.founded
                ),
            ));
        }
        non_negative(
            "paid_in_capital_yuan",
            "实缴资本",
            self.paid_in_capital_yuan,
        )?;
        Ok(CompanyFields {
            uscc,
            name: name.to_owned(),
            organisation_id: optional_text(self.organisation_id.as_deref()),
            district,
            park,
            segments,
            founded: self.founded,
            paid_in_capital_yuan: self.paid_in_capital_yuan,
            listed: self.listed,
        })
    }
}

/// The district key for a key (`gulou`) or a name (`鼓楼区`, `Gulou District`).
pub fn district_key(text: &str) -> Result<String> {
    let text = text.trim();
    let districts = city::districts();
    let found = districts.all().iter().find(|d| {
        d.key.eq_ignore_ascii_case(text)
            || d.name_zh == text
            || d.name_en.eq_ignore_ascii_case(text)
    });
    match found {
        Some(d) => Ok(d.key.clone()),
        None => {
            let names: Vec<&str> = districts.all().iter().map(|d| d.name_zh.as_str()).collect();
            let keys: Vec<&str> = districts.all().iter().map(|d| d.key.as_str()).collect();
            Err(IndustryError::invalid(
                "district",
                format!("“{text}”不是南京的区，应为{}之一", names.join("、")),
                format!(
                    "\"{text}\" is not a district of Nanjing: use one of {}",
                    keys.join(", ")
                ),
            ))
        }
    }
}

/// Refuses a negative amount or count, naming the field.
pub(crate) fn non_negative(field: &'static str, zh: &str, value: i64) -> Result<()> {
    if value < 0 {
        return Err(IndustryError::invalid(
            field,
            format!("{zh}不能为负数，实为{value}"),
            format!("{field} cannot be negative, it is {value}"),
        ));
    }
    Ok(())
}

pub(crate) fn optional_text(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn input() -> NewCompany {
        NewCompany {
            uscc: "91350100M000100Y43".into(),
            name: " 示例生物（合成数据） ".into(),
            organisation_id: Some(" ".into()),
            district: "鼓楼区".into(),
            park: Some("".into()),
            segments: vec![Segment::Cxo, Segment::Biologics, Segment::Cxo],
            founded: date(2015, 6, 1),
            paid_in_capital_yuan: 10_000_000,
            listed: false,
        }
    }

    #[test]
    fn a_good_entry_is_normalised() {
        let f = input().validate(date(2025, 1, 1)).unwrap();
        assert_eq!(f.name, "示例生物（合成数据）");
        assert_eq!(f.district, "gulou");
        assert_eq!(f.park, None);
        assert_eq!(f.organisation_id, None);
        assert_eq!(f.segments, vec![Segment::Biologics, Segment::Cxo]);
    }

    #[test]
    fn each_bad_field_is_named() {
        let today = date(2025, 1, 1);
        let field = |c: NewCompany| c.validate(today).unwrap_err().field();
        assert_eq!(
            field(NewCompany {
                uscc: "91350100M000100Y44".into(),
                ..input()
            }),
            Some("uscc")
        );
        assert_eq!(
            field(NewCompany {
                name: "  ".into(),
                ..input()
            }),
            Some("name")
        );
        assert_eq!(
            field(NewCompany {
                district: "海淀区".into(),
                ..input()
            }),
            Some("district")
        );
        assert_eq!(
            field(NewCompany {
                segments: vec![],
                ..input()
            }),
            Some("segments")
        );
        assert_eq!(
            field(NewCompany {
                founded: date(2025, 1, 2),
                ..input()
            }),
            Some("founded")
        );
        assert_eq!(
            field(NewCompany {
                paid_in_capital_yuan: -1,
                ..input()
            }),
            Some("paid_in_capital_yuan")
        );
    }

    #[test]
    fn districts_are_found_by_key_or_either_name() {
        assert_eq!(district_key("jiangbei").unwrap(), "jiangbei");
        assert_eq!(district_key("江北新区").unwrap(), "jiangbei");
        let e = district_key("海淀区").unwrap_err();
        assert!(e.message_zh().contains("鼓楼区"));
    }
}
