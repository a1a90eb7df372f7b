//! Follow-up rhythm: when the next visit is due and whether a year's visits meet the standard.

use jiff::Span;
use jiff::civil::Date;
use serde::Serialize;

use kernel::Sourced;

/// How often a registered patient is seen and what each visit records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUpPlan {
    /// Days from one visit to the next.
    pub interval_days: Sourced<u32>,
    /// Days after the due date before a visit counts as overdue.
    pub grace_days: Sourced<u32>,
    /// Visits a year for management to count as standard (规范管理).
    pub min_visits_per_year: Sourced<u32>,
    /// Element keys recorded at every visit, in form order (from the elements marked
    /// `at_followup`, so this list and the form cannot disagree).
    pub record: Vec<String>,
    /// The standard in words, Chinese.
    pub standard_zh: String,
    /// The standard in words, English.
    pub standard_en: String,
}

impl FollowUpPlan {
    /// Whether `visits_in_year` face-to-face visits meet the standard.
    pub fn is_standard(&self, visits_in_year: u32) -> bool {
        visits_in_year >= self.min_visits_per_year.value
    }

    /// See [`crate::Template::next_followup`].
    pub fn next(&self, last_visit: Option<Date>, enrolled: Date, today: Date) -> NextFollowUp {
        // Enrolment is the first contact; after that the latest visit sets the rhythm.
        let base = last_visit.unwrap_or(enrolled);
        let due = add_days(base, self.interval_days.value);
        let status = if today < due {
            FollowUpStatus::NotYetDue
        } else {
            let late = days_between(due, today);
            if late <= self.grace_days.value {
                FollowUpStatus::Due
            } else {
                FollowUpStatus::Overdue { days: late }
            }
        };
        NextFollowUp { due, status }
    }
}

/// Saturates at the last representable date rather than failing: a due date in year 9999 is
/// as good as never.
fn add_days(date: Date, days: u32) -> Date {
    Span::new()
        .try_days(i64::from(days))
        .ok()
        .and_then(|span| date.checked_add(span).ok())
        .unwrap_or(Date::MAX)
}

/// Whole days from `from` to `to` (which is not earlier), saturating.
fn days_between(from: Date, to: Date) -> u32 {
    from.until(to)
        .map(|span| u32::try_from(span.get_days()).unwrap_or(0))
        .unwrap_or(u32::MAX)
}

/// When the next visit is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextFollowUp {
    /// Due date.
    pub due: Date,
    /// Where today stands relative to it.
    pub status: FollowUpStatus,
}

/// Today relative to the due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FollowUpStatus {
    /// Before the due date.
    NotYetDue,
    /// On or after the due date, within the grace window.
    Due,
    /// Past the grace window; `days` counts from the due date, as doctors say "30 days late".
    Overdue {
        /// Days since the due date.
        days: u32,
    },
}
