//! Why a well-formed reading was not taken into the record. A rejected reading is kept in the
//! quarantine with this reason, for the resident's doctor to review.

use diseases::ValueError;
use kernel::{Lang, UtcMillis};
use serde::{Deserialize, Serialize};

/// The reason a reading was quarantined. Stored as JSON (`code` plus the fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Rejection {
    /// The device's kind does not send this measure (or no kind does).
    #[error("a {kind} does not send `{measure}`; it sends: {}", allowed.join(", "))]
    MeasureNotOfKind {
        /// Measure given.
        measure: String,
        /// The device's kind.
        kind: String,
        /// Measures the kind sends.
        allowed: Vec<String>,
    },
    /// The unit is not one the series accepts.
    #[error("unit `{unit}` is not accepted for {series}; use one of: {}", allowed.join(", "))]
    UnknownUnit {
        /// Series.
        series: String,
        /// Unit given.
        unit: String,
        /// Accepted units (UCUM), the canonical first.
        allowed: Vec<String>,
    },
    /// Outside the plausible range after conversion.
    #[error("{series} = {value} {unit} is outside the plausible range {low}–{high} {unit}")]
    Implausible {
        /// Series.
        series: String,
        /// Value in the canonical unit.
        value: f64,
        /// Lowest plausible value.
        low: f64,
        /// Highest plausible value.
        high: f64,
        /// Canonical unit.
        unit: String,
    },
    /// A count (steps, heart rate) with a fractional part.
    #[error("{series} must be a whole number, not {value}")]
    NotInteger {
        /// Series.
        series: String,
        /// Value given.
        value: f64,
    },
    /// NaN or infinite after conversion.
    #[error("{series} must be a finite number")]
    NotFinite {
        /// Series.
        series: String,
    },
    /// Dated later than the server's clock allows.
    #[error("taken at {} , later than the latest accepted time {}", UtcMillis(*taken_at), UtcMillis(*latest))]
    InFuture {
        /// When the reading says it was taken (Unix ms).
        taken_at: i64,
        /// Latest accepted (now plus the clock skew).
        latest: i64,
    },
    /// Older than the age window.
    #[error("taken at {}, earlier than the earliest accepted time {}", UtcMillis(*taken_at), UtcMillis(*earliest))]
    TooOld {
        /// When the reading says it was taken (Unix ms).
        taken_at: i64,
        /// Earliest accepted (now minus the window).
        earliest: i64,
    },
    /// The reading names a resident the device is not bound to.
    #[error("the reading names resident {given}, but the device is bound to another resident")]
    OtherResident {
        /// The resident named.
        given: String,
    },
}

impl Rejection {
    /// Stable code, e.g. `too_old` (the problem type of an API answer).
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::MeasureNotOfKind { .. } => "measure_not_of_kind",
            Rejection::UnknownUnit { .. } => "unknown_unit",
            Rejection::Implausible { .. } => "implausible",
            Rejection::NotInteger { .. } => "not_integer",
            Rejection::NotFinite { .. } => "not_finite",
            Rejection::InFuture { .. } => "in_future",
            Rejection::TooOld { .. } => "too_old",
            Rejection::OtherResident { .. } => "other_resident",
        }
    }

    /// The field of the reading at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Rejection::MeasureNotOfKind { .. } => "measure",
            Rejection::UnknownUnit { .. } => "unit",
            Rejection::Implausible { .. }
            | Rejection::NotInteger { .. }
            | Rejection::NotFinite { .. } => "value",
            Rejection::InFuture { .. } | Rejection::TooOld { .. } => "taken_at",
            Rejection::OtherResident { .. } => "resident_id",
        }
    }

    /// The reason in the reader's language.
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => self.message_zh(),
        }
    }

    fn message_zh(&self) -> String {
        let time = |ms: i64| UtcMillis(ms).format_datetime(Lang::Zh);
        match self {
            Rejection::MeasureNotOfKind {
                measure,
                kind,
                allowed,
            } => format!(
                "{kind} 类设备不发送 `{measure}`；它发送：{}",
                allowed.join("、")
            ),
            Rejection::UnknownUnit {
                series,
                unit,
                allowed,
            } => format!(
                "{series} 不接受单位 `{unit}`；可用单位：{}",
                allowed.join("、")
            ),
            Rejection::Implausible {
                series,
                value,
                low,
                high,
                unit,
            } => format!("{series} = {value} {unit}，超出可信范围 {low}–{high} {unit}"),
            Rejection::NotInteger { series, value } => {
                format!("{series} 应为整数，收到 {value}")
            }
            Rejection::NotFinite { series } => format!("{series} 应为有限数值"),
            Rejection::InFuture { taken_at, latest } => format!(
                "测量时间 {} 晚于可接受的最晚时间 {}",
                time(*taken_at),
                time(*latest)
            ),
            Rejection::TooOld { taken_at, earliest } => format!(
                "测量时间 {} 早于可接受的最早时间 {}",
                time(*taken_at),
                time(*earliest)
            ),
            Rejection::OtherResident { given } => {
                format!("读数所指居民 {given} 不是该设备绑定的居民")
            }
        }
    }

    /// The rejection for a value the element dictionary refused, under the series' key.
    pub fn of_value(series: &str, e: ValueError) -> Rejection {
        let series = series.to_owned();
        match e {
            ValueError::UnknownUnit { unit, allowed, .. } => Rejection::UnknownUnit {
                series,
                unit,
                allowed,
            },
            ValueError::Implausible {
                value,
                low,
                high,
                unit,
                ..
            } => Rejection::Implausible {
                series,
                value,
                low,
                high,
                unit,
            },
            ValueError::NotInteger { value, .. } => Rejection::NotInteger { series, value },
            ValueError::NotFinite { .. } | ValueError::UnknownElement { .. } => {
                Rejection::NotFinite { series }
            }
        }
    }
}
