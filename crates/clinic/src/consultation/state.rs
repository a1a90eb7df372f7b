//! A consultation's life: the states the issue names and the only moves between them. Pure;
//! the service applies a move with a conditional UPDATE on the state it read, so two people
//! acting at once cannot both move it.

use serde::Serialize;

/// Where a consultation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// The patient asked; no doctor has taken it yet.
    Requested,
    /// The doctor took it, confirming it is a follow-up of the diagnosis.
    Accepted,
    /// The doctor has begun (opened it or written to the patient).
    InProgress,
    /// The doctor wrote the visit note and closed it.
    Completed,
    /// The patient withdrew, or the doctor declined, with a reason.
    Cancelled,
    /// Nobody acted in time.
    Expired,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Requested,
        State::Accepted,
        State::InProgress,
        State::Completed,
        State::Cancelled,
        State::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::Accepted => "accepted",
            State::InProgress => "in-progress",
            State::Completed => "completed",
            State::Cancelled => "cancelled",
            State::Expired => "expired",
        }
    }

    pub fn from_code(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            State::Requested => "待接诊",
            State::Accepted => "已接诊",
            State::InProgress => "问诊中",
            State::Completed => "已完成",
            State::Cancelled => "已取消",
            State::Expired => "已过期",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            State::Requested => "Requested",
            State::Accepted => "Accepted",
            State::InProgress => "In progress",
            State::Completed => "Completed",
            State::Cancelled => "Cancelled",
            State::Expired => "Expired",
        }
    }

    /// Whether the consultation is over.
    pub fn is_closed(self) -> bool {
        matches!(self, State::Completed | State::Cancelled | State::Expired)
    }

    /// Whether doctor and patient may write to each other (and the doctor prescribe).
    pub fn is_open_for_care(self) -> bool {
        matches!(self, State::Accepted | State::InProgress)
    }
}

/// What happens to a consultation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Accept,
    Begin,
    Complete,
    /// The patient (or guardian) withdraws.
    Withdraw,
    /// The doctor declines (not a follow-up, not suitable online).
    Decline,
    Expire,
}

impl Move {
    pub fn code(self) -> &'static str {
        match self {
            Move::Accept => "accept",
            Move::Begin => "begin",
            Move::Complete => "complete",
            Move::Withdraw => "withdraw",
            Move::Decline => "decline",
            Move::Expire => "expire",
        }
    }
}

/// A move the state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a consultation that is {} cannot {}", from.code(), attempted.code())]
pub struct NotAllowed {
    pub from: State,
    pub attempted: Move,
}

/// The state after `attempted`, or why it is not allowed.
pub fn next(from: State, attempted: Move) -> Result<State, NotAllowed> {
    use Move as M;
    use State as S;
    let to = match (from, attempted) {
        (S::Requested, M::Accept) => S::Accepted,
        (S::Accepted, M::Begin) => S::InProgress,
        (S::Accepted | S::InProgress, M::Complete) => S::Completed,
        (S::Requested | S::Accepted, M::Withdraw) => S::Cancelled,
        (S::Requested, M::Decline) => S::Cancelled,
        (S::Requested | S::Accepted | S::InProgress, M::Expire) => S::Expired,
        _ => return Err(NotAllowed { from, attempted }),
    };
    Ok(to)
}

/// Whether a consultation in `state` has waited too long at `now`: a request nobody accepted
/// within `accept_within_ms` of asking, or an open one with no activity for `idle_ms`.
pub fn is_overdue(
    state: State,
    requested_at: i64,
    last_activity_at: i64,
    now: i64,
    accept_within_ms: i64,
    idle_ms: i64,
) -> bool {
    match state {
        State::Requested => now.saturating_sub(requested_at) > accept_within_ms,
        State::Accepted | State::InProgress => now.saturating_sub(last_activity_at) > idle_ms,
        State::Completed | State::Cancelled | State::Expired => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOVES: [Move; 6] = [
        Move::Accept,
        Move::Begin,
        Move::Complete,
        Move::Withdraw,
        Move::Decline,
        Move::Expire,
    ];

    #[test]
    fn a_closed_consultation_never_moves_again() {
        for from in State::ALL.into_iter().filter(|s| s.is_closed()) {
            for m in MOVES {
                assert_eq!(next(from, m), Err(NotAllowed { from, attempted: m }));
            }
        }
    }

    #[test]
    fn the_happy_path_is_requested_accepted_in_progress_completed() {
        let s = next(State::Requested, Move::Accept).expect("accept");
        let s = next(s, Move::Begin).expect("begin");
        assert_eq!(next(s, Move::Complete), Ok(State::Completed));
    }

    #[test]
    fn a_patient_cannot_withdraw_once_the_doctor_has_begun() {
        assert!(next(State::InProgress, Move::Withdraw).is_err());
        assert_eq!(next(State::Accepted, Move::Withdraw), Ok(State::Cancelled));
    }

    #[test]
    fn a_doctor_declines_only_before_accepting() {
        assert_eq!(next(State::Requested, Move::Decline), Ok(State::Cancelled));
        assert!(next(State::Accepted, Move::Decline).is_err());
    }

    #[test]
    fn codes_round_trip() {
        for s in State::ALL {
            assert_eq!(State::from_code(s.code()), Some(s));
        }
        assert_eq!(State::from_code("lost"), None);
    }

    #[test]
    fn overdue_counts_from_the_request_then_from_the_last_activity() {
        let hour = 3_600_000;
        assert!(!is_overdue(
            State::Requested,
            0,
            0,
            24 * hour,
            24 * hour,
            48 * hour
        ));
        assert!(is_overdue(
            State::Requested,
            0,
            0,
            24 * hour + 1,
            24 * hour,
            48 * hour
        ));
        assert!(!is_overdue(
            State::InProgress,
            0,
            10 * hour,
            58 * hour,
            24 * hour,
            48 * hour
        ));
        assert!(is_overdue(
            State::InProgress,
            0,
            10 * hour,
            58 * hour + 1,
            24 * hour,
            48 * hour
        ));
        assert!(!is_overdue(State::Completed, 0, 0, i64::MAX, 1, 1));
    }
}
