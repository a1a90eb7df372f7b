//! The adoption deadline and a hospital's standing against it, as pure functions of dates.
//!
//! Counting (rules `adoption.month_counting`, after the Civil Code's 期间计算): the day the clock
//! starts does not count; `n` months later ends on the same day of the month, or on the last
//! day of that month when it has no such day. Listed 15 January: due by 15 February; listed 31
//! January: due by 28 February (29 in a leap year). Adopted on the deadline day is on time.

use jiff::civil::Date;
use serde::Serialize;

/// The last day on which adopting a product is on time, `months` after `start`.
pub fn deadline(start: Date, months: u32) -> Date {
    // jiff clamps to the end of a shorter month, which is the Civil Code's rule. A deadline
    // past the calendar's end is never reached, so it saturates.
    jiff::Span::new()
        .try_months(i64::from(months))
        .and_then(|span| start.checked_add(span))
        .unwrap_or(Date::MAX)
}

/// What a hospital recorded about a listed product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    /// Entered the hospital's procurement catalogue on `on`.
    Adopted { on: Date, catalogue_ref: String },
    /// Not needed clinically, decided on `on` (rules `adoption.not_needed`).
    NotNeeded { on: Date, reason: String },
}

impl Decision {
    pub fn on(&self) -> Date {
        match self {
            Decision::Adopted { on, .. } | Decision::NotNeeded { on, .. } => *on,
        }
    }
}

/// Where a hospital stands with one listed product on a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AdoptionStatus {
    /// Not adopted yet, still in time.
    Pending { deadline: Date, days_left: i32 },
    /// In the procurement catalogue; `late` when after the deadline.
    Adopted { on: Date, late: bool },
    /// The deadline passed without adoption.
    Overdue { deadline: Date, days_over: i32 },
    /// Declared not clinically needed.
    NotNeeded { reason: String },
}

impl AdoptionStatus {
    /// The code used in filters and bulletins.
    pub fn code(&self) -> &'static str {
        match self {
            AdoptionStatus::Pending { .. } => "pending",
            AdoptionStatus::Adopted { late: false, .. } => "adopted_on_time",
            AdoptionStatus::Adopted { late: true, .. } => "adopted_late",
            AdoptionStatus::Overdue { .. } => "overdue",
            AdoptionStatus::NotNeeded { .. } => "not_needed",
        }
    }
}

/// The standing on `day` of a hospital with `deadline` and what it recorded. A decision dated
/// after `day` is not yet known on `day` (so a bulletin for a past quarter shows that quarter).
pub fn status_on(deadline: Date, decision: Option<&Decision>, day: Date) -> AdoptionStatus {
    match decision.filter(|d| d.on() <= day) {
        Some(Decision::Adopted { on, .. }) => AdoptionStatus::Adopted {
            on: *on,
            late: *on > deadline,
        },
        Some(Decision::NotNeeded { reason, .. }) => AdoptionStatus::NotNeeded {
            reason: reason.clone(),
        },
        None if day <= deadline => AdoptionStatus::Pending {
            deadline,
            days_left: days_between(day, deadline),
        },
        None => AdoptionStatus::Overdue {
            deadline,
            days_over: days_between(deadline, day),
        },
    }
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i32 {
    from.until(to).map(|span| span.get_days()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::ToSpan;
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn one_month_ends_on_the_same_day_or_the_month_end() {
        assert_eq!(deadline(date(2026, 1, 15), 1), date(2026, 2, 15));
        assert_eq!(deadline(date(2026, 1, 31), 1), date(2026, 2, 28));
        assert_eq!(deadline(date(2024, 1, 31), 1), date(2024, 2, 29));
        assert_eq!(deadline(date(2026, 3, 31), 1), date(2026, 4, 30));
        assert_eq!(deadline(date(2026, 12, 20), 1), date(2027, 1, 20));
        assert_eq!(deadline(Date::MAX, 1), Date::MAX);
    }

    #[test]
    fn the_deadline_day_is_still_on_time() {
        let d = date(2026, 2, 28);
        let adopted = Decision::Adopted {
            on: d,
            catalogue_ref: "C-1".into(),
        };
        assert_eq!(
            status_on(d, Some(&adopted), d),
            AdoptionStatus::Adopted { on: d, late: false }
        );
        assert_eq!(
            status_on(d, None, d),
            AdoptionStatus::Pending {
                deadline: d,
                days_left: 0
            }
        );
        assert_eq!(
            status_on(d, None, date(2026, 3, 1)),
            AdoptionStatus::Overdue {
                deadline: d,
                days_over: 1
            }
        );
    }

    #[test]
    fn a_decision_after_the_day_is_not_yet_known() {
        let deadline = date(2026, 2, 28);
        let late = Decision::Adopted {
            on: date(2026, 4, 2),
            catalogue_ref: "C-1".into(),
        };
        assert_eq!(
            status_on(deadline, Some(&late), date(2026, 3, 31)).code(),
            "overdue"
        );
        assert_eq!(
            status_on(deadline, Some(&late), date(2026, 6, 30)).code(),
            "adopted_late"
        );
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1900i16..2200, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
            let first = date(y, m, 1);
            date(y, m, d.min(first.days_in_month()))
        })
    }

    proptest! {
        #[test]
        fn a_deadline_is_months_later_on_the_same_or_last_day(start in any_date(), months in 1u32..=24) {
            let end = deadline(start, months);
            prop_assert!(end > start);
            let month_index = |d: Date| i32::from(d.year()) * 12 + i32::from(d.month());
            prop_assert_eq!(month_index(end) - month_index(start), i32::try_from(months).unwrap());
            if start.day() <= end.days_in_month() {
                prop_assert_eq!(end.day(), start.day());
            } else {
                prop_assert_eq!(end, end.last_of_month());
            }
        }

        #[test]
        fn without_a_decision_a_day_is_pending_or_overdue(deadline in any_date(), day in any_date()) {
            match status_on(deadline, None, day) {
                AdoptionStatus::Pending { days_left, .. } => {
                    prop_assert!(day <= deadline);
                    prop_assert_eq!(day.checked_add(i64::from(days_left).days()).unwrap(), deadline);
                }
                AdoptionStatus::Overdue { days_over, .. } => {
                    prop_assert!(day > deadline);
                    prop_assert!(days_over > 0);
                    prop_assert_eq!(deadline.checked_add(i64::from(days_over).days()).unwrap(), day);
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }

        #[test]
        fn adoption_is_late_exactly_after_the_deadline(deadline in any_date(), on in any_date()) {
            let decision = Decision::Adopted { on, catalogue_ref: "C".into() };
            let day = on.max(deadline);
            prop_assert_eq!(
                status_on(deadline, Some(&decision), day),
                AdoptionStatus::Adopted { on, late: on > deadline }
            );
        }
    }
}
