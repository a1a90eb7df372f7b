//! What is known about a company and the event it applies for: named, typed values, and the
//! catalogue (`data/facts.toml`) that says which names exist, their type, labels and units.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::PolicyError;
use crate::money::Money;

/// The type of a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactKind {
    /// An amount of yuan, at least 0.
    Money,
    /// A whole number, at least 0.
    Count,
    /// Yes or no.
    Flag,
    /// One of the values listed in the catalogue.
    Choice,
    /// A calendar date.
    Date,
    /// A free identifier (a product or project code) that only tells events apart.
    Text,
}

/// One value of a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactValue {
    /// An amount of yuan.
    Money(Money),
    /// A whole number.
    Count(i64),
    /// Yes or no.
    Flag(bool),
    /// One listed value, e.g. `phase-3-entered`.
    Choice(String),
    /// A calendar date.
    Date(Date),
    /// An identifier, e.g. a product code.
    Text(String),
}

impl FactValue {
    /// The kind this value is of.
    pub fn kind(&self) -> FactKind {
        match self {
            FactValue::Money(_) => FactKind::Money,
            FactValue::Count(_) => FactKind::Count,
            FactValue::Flag(_) => FactKind::Flag,
            FactValue::Choice(_) => FactKind::Choice,
            FactValue::Date(_) => FactKind::Date,
            FactValue::Text(_) => FactKind::Text,
        }
    }

    /// The value as the key of an event (`product_id`, `stage`).
    pub(crate) fn key_text(&self) -> String {
        match self {
            FactValue::Choice(s) | FactValue::Text(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for FactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactValue::Money(m) => write!(f, "{m}"),
            FactValue::Count(n) => write!(f, "{n}"),
            FactValue::Flag(true) => f.write_str("是/yes"),
            FactValue::Flag(false) => f.write_str("否/no"),
            FactValue::Choice(s) | FactValue::Text(s) => f.write_str(s),
            FactValue::Date(d) => write!(f, "{d}"),
        }
    }
}

/// Named facts about a company and the event applied for. Built with the chained setters:
/// `Facts::new().choice("city", "suzhou").money("product_rd_spend", Money::wan(2000))`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    values: BTreeMap<String, FactValue>,
}

impl Facts {
    /// No facts.
    pub fn new() -> Facts {
        Facts::default()
    }

    /// With `name` set to `value`, replacing an earlier value.
    pub fn with(mut self, name: &str, value: FactValue) -> Facts {
        self.values.insert(name.to_owned(), value);
        self
    }

    /// With an amount.
    pub fn money(self, name: &str, value: Money) -> Facts {
        self.with(name, FactValue::Money(value))
    }

    /// With a whole number.
    pub fn count(self, name: &str, value: i64) -> Facts {
        self.with(name, FactValue::Count(value))
    }

    /// With a yes/no.
    pub fn flag(self, name: &str, value: bool) -> Facts {
        self.with(name, FactValue::Flag(value))
    }

    /// With one of a fact's listed values.
    pub fn choice(self, name: &str, value: &str) -> Facts {
        self.with(name, FactValue::Choice(value.to_owned()))
    }

    /// With a date.
    pub fn date(self, name: &str, value: Date) -> Facts {
        self.with(name, FactValue::Date(value))
    }

    /// With an identifier.
    pub fn text(self, name: &str, value: &str) -> Facts {
        self.with(name, FactValue::Text(value.to_owned()))
    }

    /// Sets a value in place.
    pub fn set(&mut self, name: &str, value: FactValue) {
        self.values.insert(name.to_owned(), value);
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&FactValue> {
        self.values.get(name)
    }

    /// Every fact, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FactValue)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// These facts with `other`'s added on top (other wins on the same name).
    pub fn merged(&self, other: &Facts) -> Facts {
        let mut values = self.values.clone();
        values.extend(other.values.iter().map(|(k, v)| (k.clone(), v.clone())));
        Facts { values }
    }
}

/// One allowed value of a choice fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceDef {
    /// The value as stored, e.g. `phase-3-entered`.
    pub value: String,
    /// Label in Chinese, e.g. 已进入Ⅲ期临床试验.
    pub label_zh: String,
    /// Label in English.
    pub label_en: String,
}

/// A fact the clauses may use: its name, type, labels and where the platform gets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactDef {
    /// Name used in clauses and [`Facts`], e.g. `product_rd_spend`.
    pub name: String,
    /// Type.
    pub kind: FactKind,
    /// Label in Chinese, as a form shows it.
    pub label_zh: String,
    /// Label in English.
    pub label_en: String,
    /// Unit shown beside the value (元, 项, 年), empty when none.
    #[serde(default)]
    pub unit: String,
    /// What to enter, in Chinese.
    #[serde(default)]
    pub help_zh: String,
    /// What to enter, in English.
    #[serde(default)]
    pub help_en: String,
    /// Known from the company register (district, yearly figures, qualifications, product
    /// pipeline), so the company need not enter it.
    #[serde(default)]
    pub from_register: bool,
    /// The allowed values of a choice fact, in display order.
    #[serde(default)]
    pub choices: Vec<ChoiceDef>,
}

impl FactDef {
    /// Checks that `value` is of this fact's type and allowed: money and counts at least 0,
    /// a choice among the listed values, an identifier not blank.
    pub fn check(&self, value: &FactValue) -> Result<(), PolicyError> {
        let invalid = |reason_en: String, reason_zh: String| PolicyError::InvalidFact {
            fact: self.name.clone(),
            reason_en,
            reason_zh,
        };
        if value.kind() != self.kind {
            return Err(invalid(
                format!("expected {}, got {value}", kind_en(self.kind)),
                format!("应为{}，实为“{value}”", kind_zh(self.kind)),
            ));
        }
        match value {
            FactValue::Money(m) if m.0 < 0 => Err(invalid(
                format!("{m} is negative; an amount is at least 0"),
                format!("金额{m}为负数；金额不得小于0"),
            )),
            FactValue::Count(n) if *n < 0 => Err(invalid(
                format!("{n} is below zero; a count is at least 0"),
                format!("数量{n}小于0；数量不得小于0"),
            )),
            FactValue::Choice(c) if !self.choices.iter().any(|d| &d.value == c) => {
                let allowed = self.allowed();
                Err(invalid(
                    format!("{c:?} is not one of: {allowed}"),
                    format!("“{c}”不在可选值之内：{allowed}"),
                ))
            }
            FactValue::Text(t) if t.trim().is_empty() => Err(invalid(
                "is blank; enter an identifier".to_owned(),
                "为空；请填写编号".to_owned(),
            )),
            _ => Ok(()),
        }
    }

    /// The allowed values, comma-separated.
    pub fn allowed(&self) -> String {
        self.choices
            .iter()
            .map(|c| c.value.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Reads a value of this fact from text as a CSV cell or a form holds it: amounts as
    /// `300万`/`3000000`, flags as `true`/`false`/`是`/`否`/`1`/`0`, dates as `2021-11-01`.
    pub fn parse_value(&self, text: &str) -> Result<FactValue, PolicyError> {
        let text = text.trim();
        let invalid = |reason_en: String, reason_zh: String| PolicyError::InvalidFact {
            fact: self.name.clone(),
            reason_en,
            reason_zh,
        };
        let value = match self.kind {
            FactKind::Money => FactValue::Money(
                Money::parse(text).map_err(|e| invalid(e.message_en(), e.message_zh()))?,
            ),
            FactKind::Count => FactValue::Count(text.parse().map_err(|_| {
                invalid(
                    format!("{text:?} is not a whole number"),
                    format!("“{text}”不是整数"),
                )
            })?),
            FactKind::Flag => FactValue::Flag(match text {
                "true" | "1" | "是" | "yes" => true,
                "false" | "0" | "否" | "no" => false,
                _ => {
                    return Err(invalid(
                        format!("{text:?} is not yes/no (true, false, 1, 0, 是, 否)"),
                        format!("“{text}”不是“是/否”"),
                    ));
                }
            }),
            FactKind::Choice => FactValue::Choice(text.to_owned()),
            FactKind::Date => FactValue::Date(text.parse().map_err(|_| {
                invalid(
                    format!("{text:?} is not a date such as 2021-11-01"),
                    format!("“{text}”不是日期（如2021-11-01）"),
                )
            })?),
            FactKind::Text => FactValue::Text(text.to_owned()),
        };
        self.check(&value)?;
        Ok(value)
    }
}

fn kind_en(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Money => "an amount of yuan",
        FactKind::Count => "a whole number",
        FactKind::Flag => "yes or no",
        FactKind::Choice => "one of the listed values",
        FactKind::Date => "a date",
        FactKind::Text => "an identifier",
    }
}

fn kind_zh(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Money => "金额（元）",
        FactKind::Count => "整数",
        FactKind::Flag => "是/否",
        FactKind::Choice => "可选值之一",
        FactKind::Date => "日期",
        FactKind::Text => "编号",
    }
}
