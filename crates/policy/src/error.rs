//! Refusals the engine gives to a caller, and what is wrong with a data file.

use jiff::civil::Date;

use crate::money::Money;

/// Why a clause cannot be evaluated for these facts, or a request cannot be granted. Each
/// variant names the field, why, and what is allowed; [`PolicyError::message_zh`] and
/// [`PolicyError::message_en`] give the text shown to people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// No clause has this id.
    #[error("there is no clause {id:?}")]
    UnknownClause {
        /// The id asked for.
        id: String,
    },
    /// The clause exists but no version of it is in force on that date.
    #[error("clause {id} is not in force on {on}: it applies from {from} to {}", to.map_or_else(|| "no end date".to_owned(), |d| d.to_string()))]
    NotInForce {
        /// The clause.
        id: String,
        /// The date asked for.
        on: Date,
        /// First day of the nearest version.
        from: Date,
        /// Last day of that version, if any.
        to: Option<Date>,
    },
    /// The company is not in the city or province that issued the clause.
    #[error(
        "clause {id} is issued for {clause_jurisdiction}; the company is in {company_jurisdiction}"
    )]
    WrongJurisdiction {
        /// The clause.
        id: String,
        /// Where the clause applies, e.g. `suzhou`.
        clause_jurisdiction: String,
        /// Where the company is, e.g. `nanjing`.
        company_jurisdiction: String,
    },
    /// A fact needed to decide is not given.
    #[error("the fact {fact:?} is needed and was not given")]
    MissingFact {
        /// Its name.
        fact: String,
    },
    /// A fact has the wrong type or a value that is not allowed.
    #[error("the fact {fact:?} is invalid: {reason_en}")]
    InvalidFact {
        /// Its name.
        fact: String,
        /// Why, and what is allowed, in English.
        reason_en: String,
        /// Why, and what is allowed, in Chinese.
        reason_zh: String,
    },
    /// The amount requested is above what the clause or one of its caps allows.
    #[error("{requested} requested is above {limit}, the limit set by {cap} ({source_text})")]
    AboveCap {
        /// The limit's name, e.g. 第七条单个企业每年资助上限.
        cap: String,
        /// Where the limit comes from (seed and section).
        source_text: String,
        /// The most that may be granted.
        limit: Money,
        /// What was requested.
        requested: Money,
    },
    /// The facts do not meet the clause's conditions.
    #[error("the company does not qualify for clause {id}: {}", unmet.join("; "))]
    NotEligible {
        /// The clause.
        id: String,
        /// The conditions not met, in English.
        unmet: Vec<String>,
    },
    /// A fact table has no row with this index.
    #[error("row {row} is beyond the table's {rows} rows")]
    NoSuchRow {
        /// The row asked for.
        row: usize,
        /// How many rows there are.
        rows: usize,
    },
}

impl PolicyError {
    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            PolicyError::UnknownClause { id } => format!("没有编号为“{id}”的政策条款"),
            PolicyError::NotInForce { id, on, from, to } => format!(
                "条款“{id}”在{on}不在有效期内：有效期自{from}起至{}",
                to.map_or_else(|| "未规定截止日期".to_owned(), |d| d.to_string())
            ),
            PolicyError::WrongJurisdiction {
                id,
                clause_jurisdiction,
                company_jurisdiction,
            } => {
                format!("条款“{id}”适用于{clause_jurisdiction}，企业所在地为{company_jurisdiction}")
            }
            PolicyError::MissingFact { fact } => format!("缺少必需的信息“{fact}”"),
            PolicyError::InvalidFact {
                fact, reason_zh, ..
            } => format!("信息“{fact}”不合规：{reason_zh}"),
            PolicyError::AboveCap {
                cap,
                source_text,
                limit,
                requested,
            } => format!("申请金额{requested}超过{cap}（{source_text}）规定的上限{limit}"),
            PolicyError::NotEligible { id, .. } => format!("企业不符合条款“{id}”的条件"),
            PolicyError::NoSuchRow { row, rows } => format!("第{row}行不存在，表中共{rows}行"),
        }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

/// A data file that does not parse or breaks a rule of its format. Names the file and the
/// field so a broken edit is found without reading code; a shipped file with one fails a
/// test, not production.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// Not TOML, or not the expected shape.
    #[error("{file}: {message}")]
    Syntax {
        /// The file, e.g. `clauses/suzhou-2019.toml`.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// Well-formed but wrong, e.g. an unknown fact or an unconfirmed figure without a note.
    #[error("{file}: {field}: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// Path of the offending field, e.g. `clause[3].amount.of`.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

impl DataError {
    pub(crate) fn invalid(file: &str, field: impl Into<String>, reason: impl Into<String>) -> Self {
        DataError::Invalid {
            file: file.to_owned(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}
