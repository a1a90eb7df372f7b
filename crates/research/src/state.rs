//! The life of a research request:
//!
//! ```text
//! submitted ──approve──▶ approved ──release──▶ released ──expire──▶ expired
//!     │                     │  └──expire──▶ expired        └──withdraw──▶ withdrawn
//!     ├──refuse──▶ refused  └──withdraw──▶ withdrawn
//!     └──withdraw──▶ withdrawn
//! ```
//!
//! Refused, expired and withdrawn are final. Who may act (a steward other than the requester)
//! and what each action needs (reasons, an access period) is checked by the service; this
//! module knows only which action is legal in which state.

use std::fmt;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestState {
    /// Waiting for a data steward.
    Submitted,
    /// A steward approved it; the release can be built.
    Approved,
    /// A steward refused it, with reasons.
    Refused,
    /// The de-identified extract exists and the requester may download it.
    Released,
    /// The access period ended.
    Expired,
    /// Withdrawn by the requester or a steward (e.g. the ethics approval was revoked).
    Withdrawn,
}

/// What is done to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A steward approves.
    Approve,
    /// A steward refuses, with reasons.
    Refuse,
    /// A steward releases the extract.
    Release,
    /// The access period ends.
    Expire,
    /// The requester or a steward withdraws it.
    Withdraw,
}

impl RequestState {
    /// Every state, in the order of the diagram.
    pub const ALL: [RequestState; 6] = [
        RequestState::Submitted,
        RequestState::Approved,
        RequestState::Refused,
        RequestState::Released,
        RequestState::Expired,
        RequestState::Withdrawn,
    ];

    /// The state after `action`, or `None` when the action is illegal here.
    pub fn after(self, action: Action) -> Option<RequestState> {
        use Action as A;
        use RequestState as S;
        match (self, action) {
            (S::Submitted, A::Approve) => Some(S::Approved),
            (S::Submitted, A::Refuse) => Some(S::Refused),
            (S::Approved, A::Release) => Some(S::Released),
            (S::Approved | S::Released, A::Expire) => Some(S::Expired),
            (S::Submitted | S::Approved | S::Released, A::Withdraw) => Some(S::Withdrawn),
            _ => None,
        }
    }

    /// Whether no action leads anywhere from here.
    pub fn is_final(self) -> bool {
        Action::ALL.iter().all(|a| self.after(*a).is_none())
    }

    /// As stored.
    pub fn code(self) -> &'static str {
        match self {
            RequestState::Submitted => "submitted",
            RequestState::Approved => "approved",
            RequestState::Refused => "refused",
            RequestState::Released => "released",
            RequestState::Expired => "expired",
            RequestState::Withdrawn => "withdrawn",
        }
    }

    /// The state stored as `code`.
    pub fn from_code(code: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            RequestState::Submitted => "待审核",
            RequestState::Approved => "已批准",
            RequestState::Refused => "未批准",
            RequestState::Released => "已发布",
            RequestState::Expired => "已到期",
            RequestState::Withdrawn => "已撤回",
        }
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 5] = [
        Action::Approve,
        Action::Refuse,
        Action::Release,
        Action::Expire,
        Action::Withdraw,
    ];

    /// `approve`, `refuse`, ...
    pub fn verb(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Refuse => "refuse",
            Action::Release => "release",
            Action::Expire => "expire",
            Action::Withdraw => "withdraw",
        }
    }

    /// `approved`, `refused`, ...
    pub fn past_participle(self) -> &'static str {
        match self {
            Action::Approve => "approved",
            Action::Refuse => "refused",
            Action::Release => "released",
            Action::Expire => "expired",
            Action::Withdraw => "withdrawn",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diagram_and_nothing_else() {
        use Action as A;
        use RequestState as S;
        let legal = [
            (S::Submitted, A::Approve, S::Approved),
            (S::Submitted, A::Refuse, S::Refused),
            (S::Submitted, A::Withdraw, S::Withdrawn),
            (S::Approved, A::Release, S::Released),
            (S::Approved, A::Expire, S::Expired),
            (S::Approved, A::Withdraw, S::Withdrawn),
            (S::Released, A::Expire, S::Expired),
            (S::Released, A::Withdraw, S::Withdrawn),
        ];
        for state in S::ALL {
            for action in A::ALL {
                let expected = legal
                    .iter()
                    .find(|(s, a, _)| *s == state && *a == action)
                    .map(|(_, _, to)| *to);
                assert_eq!(state.after(action), expected, "{state} --{action}-->");
            }
        }
        assert!(S::Refused.is_final() && S::Expired.is_final() && S::Withdrawn.is_final());
        assert!(!S::Submitted.is_final() && !S::Released.is_final());
    }

    #[test]
    fn states_round_trip_through_their_codes() {
        for s in RequestState::ALL {
            assert_eq!(RequestState::from_code(s.code()), Some(s));
        }
        assert_eq!(RequestState::from_code("pending"), None);
    }
}
