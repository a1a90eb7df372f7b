//! An application's life, pure: which step may follow which.
//!
//! ```text
//! submitted ─► returned (for correction) ─► submitted
//!     │
//!     ├─► in review (experts score; on-merit and case-by-case clauses) ─► recommended
//!     └─► recommended (formulaic clauses: the amount is the clause's)
//! recommended ─► in notice (公示) ─► awarded ─► (disbursements)
//! any step before awarded ─► refused (with a reason) | withdrawn (by the company)
//! ```

use serde::{Deserialize, Serialize};

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Submitted,
    Returned,
    InReview,
    Recommended,
    InNotice,
    Awarded,
    Refused,
    Withdrawn,
}

/// A step an actor takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The company resubmits after a return.
    Resubmit,
    /// The department passes pre-review and sends the application to experts.
    SendToReview,
    /// The department passes pre-review of a formulaic clause: the amount is the clause's.
    RecommendDirectly,
    /// The department returns the application for correction.
    Return,
    /// The review is complete and the department recommends an amount.
    Recommend,
    /// The recommendation goes on public notice.
    Publish,
    /// After the notice, without an upheld objection.
    Award,
    /// Refusal, at any step before the award.
    Refuse,
    /// The company withdraws, at any step before the award.
    Withdraw,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Submitted,
        State::Returned,
        State::InReview,
        State::Recommended,
        State::InNotice,
        State::Awarded,
        State::Refused,
        State::Withdrawn,
    ];

    pub fn key(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Returned => "returned",
            State::InReview => "in-review",
            State::Recommended => "recommended",
            State::InNotice => "in-notice",
            State::Awarded => "awarded",
            State::Refused => "refused",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn from_key(key: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn zh(self) -> &'static str {
        match self {
            State::Submitted => "已提交，待部门初审",
            State::Returned => "退回补正",
            State::InReview => "专家评审中",
            State::Recommended => "拟支持，待公示",
            State::InNotice => "公示中",
            State::Awarded => "已立项支持",
            State::Refused => "未予支持",
            State::Withdrawn => "已撤回",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            State::Submitted => "Submitted, awaiting pre-review",
            State::Returned => "Returned for correction",
            State::InReview => "Under expert review",
            State::Recommended => "Recommended, awaiting notice",
            State::InNotice => "On public notice",
            State::Awarded => "Awarded",
            State::Refused => "Refused",
            State::Withdrawn => "Withdrawn",
        }
    }

    /// Whether nothing more can happen (disbursement aside).
    pub fn is_final(self) -> bool {
        matches!(self, State::Awarded | State::Refused | State::Withdrawn)
    }

    /// Whether the application still counts as open for the duplicate check.
    pub fn blocks_duplicate(self) -> bool {
        !matches!(self, State::Refused | State::Withdrawn)
    }

    /// The state after `step`, or `None` when the step does not apply here.
    pub fn after(self, step: Step) -> Option<State> {
        use State as S;
        use Step as T;
        match (self, step) {
            (S::Returned, T::Resubmit) => Some(S::Submitted),
            (S::Submitted, T::SendToReview) => Some(S::InReview),
            (S::Submitted, T::RecommendDirectly) => Some(S::Recommended),
            (S::Submitted, T::Return) => Some(S::Returned),
            (S::InReview, T::Recommend) => Some(S::Recommended),
            (S::Recommended, T::Publish) => Some(S::InNotice),
            (S::InNotice, T::Award) => Some(S::Awarded),
            (s, T::Refuse | T::Withdraw) if !s.is_final() => Some(match step {
                T::Refuse => S::Refused,
                _ => S::Withdrawn,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: [Step; 9] = [
        Step::Resubmit,
        Step::SendToReview,
        Step::RecommendDirectly,
        Step::Return,
        Step::Recommend,
        Step::Publish,
        Step::Award,
        Step::Refuse,
        Step::Withdraw,
    ];

    #[test]
    fn final_states_take_no_step() {
        for state in State::ALL.into_iter().filter(|s| s.is_final()) {
            for step in STEPS {
                assert_eq!(state.after(step), None, "{state:?} {step:?}");
            }
        }
    }

    #[test]
    fn the_award_needs_the_notice() {
        for state in State::ALL {
            let awarded = state.after(Step::Award) == Some(State::Awarded);
            assert_eq!(awarded, state == State::InNotice, "{state:?}");
        }
    }

    #[test]
    fn keys_round_trip() {
        for state in State::ALL {
            assert_eq!(State::from_key(state.key()), Some(state));
        }
    }

    #[test]
    fn a_formulaic_path_and_a_review_path_both_reach_the_award() {
        let direct = [Step::RecommendDirectly, Step::Publish, Step::Award]
            .into_iter()
            .try_fold(State::Submitted, State::after);
        assert_eq!(direct, Some(State::Awarded));
        let reviewed = [
            Step::Return,
            Step::Resubmit,
            Step::SendToReview,
            Step::Recommend,
            Step::Publish,
            Step::Award,
        ]
        .into_iter()
        .try_fold(State::Submitted, State::after);
        assert_eq!(reviewed, Some(State::Awarded));
    }
}
