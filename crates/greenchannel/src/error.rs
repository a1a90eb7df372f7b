//! What can go wrong in the green channel, each with the reason a person reads, in English
//! (`Display`, [`GreenChannelError::message_en`]) and Chinese ([`GreenChannelError::message_zh`]).

use jiff::civil::Date;

pub type Result<T, E = GreenChannelError> = std::result::Result<T, E>;

/// The class of an error, for the answer's HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is wrong (400).
    Invalid,
    /// The caller may not do this (403).
    Forbidden,
    /// No such thing, or not the caller's to see (404).
    NotFound,
    /// The state of things does not allow it now (409).
    Conflict,
    /// The platform failed (500).
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::Invalid => 400,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Internal => 500,
        }
    }
}

/// A refused or failed green-channel action.
#[derive(Debug, thiserror::Error)]
pub enum GreenChannelError {
    /// A required text is empty (a refusal's reason, evidence, a catalogue reference).
    #[error("{field} is required: write it")]
    Missing { field: &'static str },
    /// A text is longer than allowed.
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    /// A quantity or amount below zero.
    #[error("{field} is {value}: it must be zero or more")]
    Negative { field: &'static str, value: i64 },
    /// A period not written `YYYY-Qn`.
    #[error("period `{value}` is not a quarter: write it as e.g. 2026-Q3")]
    BadPeriod { value: String },
    /// A quarter that has not ended yet, where only ended ones are allowed.
    #[error("period {period} has not ended yet (it ends {ends})")]
    PeriodNotEnded { period: String, ends: Date },
    /// A product kind other than drug, device or consumable.
    #[error("kind `{value}` is not a product kind: use drug, device or consumable")]
    BadKind { value: String },
    /// A unified social credit code that does not validate, or is not the company's.
    #[error("uscc `{value}`: {why}")]
    BadUscc { value: String, why: String },
    /// A date later than today where only past dates make sense.
    #[error("{field} {date} is in the future: enter the day it happened")]
    FutureDate { field: &'static str, date: Date },
    /// A list code the rules do not define.
    #[error("list `{code}` does not exist; the lists are: {allowed}")]
    UnknownList { code: String, allowed: String },
    /// The caller's role or organisation does not allow this; says who may.
    #[error("only {who_may_en} may {action}")]
    Forbidden {
        action: &'static str,
        who_may_en: String,
        who_may_zh: String,
    },
    /// Not found, or not the caller's to see (the two are not told apart).
    #[error("no {what} `{id}`")]
    NotFound { what: &'static str, id: String },
    /// The same thing exists already (an open nomination, a report, a listing date).
    #[error("{what} `{id}` already exists: {hint}")]
    Duplicate {
        what: &'static str,
        id: String,
        hint: &'static str,
    },
    /// The thing is in a state that does not allow the action.
    #[error("{what} `{id}` is {state}; this needs it {expected}")]
    WrongState {
        what: &'static str,
        id: String,
        state: String,
        expected: &'static str,
    },
    /// A product that is not on a published version of any list.
    #[error("product `{product_id}` is on no published list")]
    NotListed { product_id: String },
    /// A version would be the same as the last one.
    #[error(
        "list `{list}` has not changed since version {version}: approve or remove a product first"
    )]
    NothingToPublish { list: String, version: u32 },
    #[error("database: {0}")]
    Store(#[from] store::sqlx::Error),
    #[error("accounts: {0}")]
    Accounts(#[from] access::AccessError),
    #[error("a stored value is damaged: {0}")]
    Corrupt(String),
}

impl GreenChannelError {
    pub fn kind(&self) -> ErrorKind {
        use GreenChannelError as E;
        match self {
            E::Missing { .. }
            | E::TooLong { .. }
            | E::Negative { .. }
            | E::BadPeriod { .. }
            | E::PeriodNotEnded { .. }
            | E::BadKind { .. }
            | E::BadUscc { .. }
            | E::FutureDate { .. }
            | E::UnknownList { .. } => ErrorKind::Invalid,
            E::Forbidden { .. } => ErrorKind::Forbidden,
            E::NotFound { .. } => ErrorKind::NotFound,
            E::Duplicate { .. }
            | E::WrongState { .. }
            | E::NotListed { .. }
            | E::NothingToPublish { .. } => ErrorKind::Conflict,
            E::Store(_) | E::Accounts(_) | E::Corrupt(_) => ErrorKind::Internal,
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        self.kind().status()
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }

    pub fn message_zh(&self) -> String {
        use GreenChannelError as E;
        match self {
            E::Missing { field } => format!("请填写{}", field_zh(field)),
            E::TooLong { field, max } => format!("{}最多{max}个字", field_zh(field)),
            E::Negative { field, value } => {
                format!("{}为{value}，不能小于零", field_zh(field))
            }
            E::BadPeriod { value } => format!("期间“{value}”不是季度，请按“2026-Q3”格式填写"),
            E::PeriodNotEnded { period, ends } => {
                format!("{period}尚未结束（{ends}结束）")
            }
            E::BadKind { value } => {
                format!("产品类别“{value}”无效，可选：药品、医疗器械、耗材")
            }
            E::BadUscc { value, why } => format!("统一社会信用代码“{value}”有误：{why}"),
            E::FutureDate { field, date } => {
                format!("{}{date}晚于今天，请填写实际发生的日期", field_zh(field))
            }
            E::UnknownList { code, allowed } => {
                format!("清单“{code}”不存在，可选清单：{allowed}")
            }
            E::Forbidden { who_may_zh, .. } => format!("仅{who_may_zh}可执行此操作"),
            E::NotFound { what, id } => format!("未找到{}“{id}”", what_zh(what)),
            E::Duplicate { what, id, .. } => format!("{}“{id}”已存在", what_zh(what)),
            E::WrongState {
                what, id, state, ..
            } => format!("{}“{id}”当前状态为{state}，不能执行此操作", what_zh(what)),
            E::NotListed { product_id } => {
                format!("产品“{product_id}”不在任何已发布的清单中")
            }
            E::NothingToPublish { list, version } => {
                format!("清单“{list}”自第{version}版以来没有变化，请先批准或移出产品")
            }
            E::Store(_) | E::Accounts(_) | E::Corrupt(_) => {
                "系统暂时无法完成操作，请稍后再试".to_owned()
            }
        }
    }

    pub(crate) fn forbidden(action: &'static str, who_may_en: &str, who_may_zh: &str) -> Self {
        GreenChannelError::Forbidden {
            action,
            who_may_en: who_may_en.to_owned(),
            who_may_zh: who_may_zh.to_owned(),
        }
    }

    pub(crate) fn not_found(what: &'static str, id: &str) -> Self {
        GreenChannelError::NotFound {
            what,
            id: id.to_owned(),
        }
    }
}

fn field_zh(field: &str) -> &'static str {
    match field {
        "reason" => "理由",
        "evidence" => "证明材料",
        "catalogue_ref" => "采购目录编号",
        "company_name" => "企业名称",
        "product_id" => "产品编号",
        "product_name" => "产品名称",
        "registration_no" => "注册证号/批准文号",
        "quantity" => "数量",
        "amount_yuan" => "金额（元）",
        "listed_on" => "挂网日期",
        "adopted_on" => "纳入采购目录日期",
        "decided_on" => "决定日期",
        "published_on" => "发布日期",
        _ => "该项",
    }
}

fn what_zh(what: &str) -> &'static str {
    match what {
        "nomination" => "申报",
        "list version" => "清单版本",
        "product" => "产品",
        "hospital" => "医疗机构",
        "listing" => "挂网记录",
        "adoption" => "采购目录记录",
        "usage report" => "使用量报告",
        "alert" => "预警",
        "bulletin" => "通报",
        _ => "记录",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_statuses() {
        let e = GreenChannelError::Missing { field: "reason" };
        assert_eq!(e.status(), 400);
        assert_eq!(e.message_zh(), "请填写理由");
        assert_eq!(e.message_en(), "reason is required: write it");
        let e = GreenChannelError::forbidden("approve", "a bureau official", "市级部门工作人员");
        assert_eq!(e.status(), 403);
        assert_eq!(GreenChannelError::not_found("alert", "x").status(), 404);
        let e = GreenChannelError::NothingToPublish {
            list: "l".into(),
            version: 2,
        };
        assert_eq!(e.status(), 409);
        assert!(e.message_zh().contains("第2版"));
    }
}
