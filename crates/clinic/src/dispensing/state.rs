//! Where a fulfilment stands and which steps it allows. Pure: the service applies a step
//! with a conditional UPDATE from the state checked here.
//!
//! ```text
//! pickup   booked ─► collected            courier  awaiting-dispatch ─► dispatched ─► delivered
//!            ├─────► missed                              └─────────────► cancelled
//!            └─────► cancelled
//! ```

use serde::Serialize;

use crate::error::{ClinicError, Result};

/// How the medicine reaches the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Collected at the hospital's pharmacy or a community pharmacy in a booked slot.
    Pickup,
    /// Sent by the hospital's pharmacy by courier.
    Courier,
}

impl Method {
    pub fn code(self) -> &'static str {
        match self {
            Method::Pickup => "pickup",
            Method::Courier => "courier",
        }
    }

    pub fn from_code(code: &str) -> Option<Method> {
        [Method::Pickup, Method::Courier]
            .into_iter()
            .find(|m| m.code() == code)
    }
}

/// Where a fulfilment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FulfilmentState {
    /// A pickup slot is booked and the medicine set aside.
    Booked,
    /// Handed over at the counter against the pickup code.
    Collected,
    /// Not collected in time; stock and slot released.
    Missed,
    /// Courier chosen, medicine set aside at the hospital.
    AwaitingDispatch,
    /// Handed to the courier.
    Dispatched,
    /// Received, with proof.
    Delivered,
    /// Cancelled before collection or dispatch; stock (and slot) released.
    Cancelled,
}

impl FulfilmentState {
    pub const ALL: [FulfilmentState; 7] = [
        FulfilmentState::Booked,
        FulfilmentState::Collected,
        FulfilmentState::Missed,
        FulfilmentState::AwaitingDispatch,
        FulfilmentState::Dispatched,
        FulfilmentState::Delivered,
        FulfilmentState::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FulfilmentState::Booked => "booked",
            FulfilmentState::Collected => "collected",
            FulfilmentState::Missed => "missed",
            FulfilmentState::AwaitingDispatch => "awaiting-dispatch",
            FulfilmentState::Dispatched => "dispatched",
            FulfilmentState::Delivered => "delivered",
            FulfilmentState::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<FulfilmentState> {
        FulfilmentState::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            FulfilmentState::Booked => "已预约取药",
            FulfilmentState::Collected => "已取药",
            FulfilmentState::Missed => "逾期未取",
            FulfilmentState::AwaitingDispatch => "待发货",
            FulfilmentState::Dispatched => "已发货",
            FulfilmentState::Delivered => "已签收",
            FulfilmentState::Cancelled => "已取消",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            FulfilmentState::Booked => "Pickup booked",
            FulfilmentState::Collected => "Collected",
            FulfilmentState::Missed => "Missed",
            FulfilmentState::AwaitingDispatch => "Awaiting dispatch",
            FulfilmentState::Dispatched => "Dispatched",
            FulfilmentState::Delivered => "Delivered",
            FulfilmentState::Cancelled => "Cancelled",
        }
    }

    /// Whether the fulfilment still holds the prescription (none other may be chosen).
    pub fn stands(self) -> bool {
        !matches!(self, FulfilmentState::Missed | FulfilmentState::Cancelled)
    }
}

/// A step on a fulfilment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Collect,
    Miss,
    Dispatch,
    Deliver,
    Cancel,
}

impl Step {
    pub fn code(self) -> &'static str {
        match self {
            Step::Collect => "collect",
            Step::Miss => "miss",
            Step::Dispatch => "dispatch",
            Step::Deliver => "deliver",
            Step::Cancel => "cancel",
        }
    }
}

/// The state `step` leads to from `from`, or why it does not apply.
pub fn next(from: FulfilmentState, step: Step) -> Result<FulfilmentState> {
    use FulfilmentState as S;
    let to = match (from, step) {
        (S::Booked, Step::Collect) => S::Collected,
        (S::Booked, Step::Miss) => S::Missed,
        (S::Booked | S::AwaitingDispatch, Step::Cancel) => S::Cancelled,
        (S::AwaitingDispatch, Step::Dispatch) => S::Dispatched,
        (S::Dispatched, Step::Deliver) => S::Delivered,
        (S::Dispatched, Step::Cancel) => {
            return Err(ClinicError::invalid(
                "fulfilment",
                "the medicine is already with the courier; contact the hospital pharmacy to have it returned",
            ));
        }
        _ => {
            return Err(ClinicError::invalid(
                "fulfilment",
                format!(
                    "this fulfilment is {}; `{}` applies only to {}",
                    from.code(),
                    step.code(),
                    allowed_from(step).join(" or ")
                ),
            ));
        }
    };
    Ok(to)
}

fn allowed_from(step: Step) -> Vec<&'static str> {
    FulfilmentState::ALL
        .into_iter()
        .filter(|s| {
            matches!(
                (s, step),
                (
                    FulfilmentState::Booked,
                    Step::Collect | Step::Miss | Step::Cancel
                ) | (
                    FulfilmentState::AwaitingDispatch,
                    Step::Dispatch | Step::Cancel
                ) | (FulfilmentState::Dispatched, Step::Deliver)
            )
        })
        .map(FulfilmentState::code)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use FulfilmentState as S;

    #[test]
    fn the_paths_of_pickup_and_courier() {
        assert_eq!(next(S::Booked, Step::Collect).unwrap(), S::Collected);
        assert_eq!(next(S::Booked, Step::Miss).unwrap(), S::Missed);
        assert_eq!(next(S::Booked, Step::Cancel).unwrap(), S::Cancelled);
        assert_eq!(
            next(S::AwaitingDispatch, Step::Dispatch).unwrap(),
            S::Dispatched
        );
        assert_eq!(
            next(S::AwaitingDispatch, Step::Cancel).unwrap(),
            S::Cancelled
        );
        assert_eq!(next(S::Dispatched, Step::Deliver).unwrap(), S::Delivered);
    }

    #[test]
    fn closed_fulfilments_take_no_step_and_say_what_would() {
        for from in [S::Collected, S::Missed, S::Delivered, S::Cancelled] {
            for step in [
                Step::Collect,
                Step::Miss,
                Step::Dispatch,
                Step::Deliver,
                Step::Cancel,
            ] {
                assert!(next(from, step).is_err(), "{from:?} {step:?}");
            }
        }
        let e = next(S::Collected, Step::Cancel).unwrap_err().to_string();
        assert!(e.contains("booked or awaiting-dispatch"), "{e}");
        let e = next(S::Dispatched, Step::Cancel).unwrap_err().to_string();
        assert!(e.contains("courier"), "{e}");
        assert!(next(S::Booked, Step::Dispatch).is_err());
    }

    #[test]
    fn codes_round_trip() {
        for s in FulfilmentState::ALL {
            assert_eq!(FulfilmentState::from_code(s.code()), Some(s));
        }
        assert_eq!(Method::from_code("courier"), Some(Method::Courier));
        assert!(S::Booked.stands() && !S::Cancelled.stands() && S::Delivered.stands());
    }
}
