use diseases::FollowUpStatus;
use jiff::civil::{Date, date};

use crate::template;

const TODAY: Date = date(2026, 5, 1);

fn days_before(date: Date, days: i64) -> Date {
    date.checked_sub(jiff::Span::new().days(days)).unwrap()
}

#[test]
fn a_visit_90_days_ago_makes_the_next_one_due_today() {
    let last = days_before(TODAY, 90);
    let next = template("hypertension").next_followup(Some(last), date(2024, 1, 1), TODAY);
    assert_eq!(next.due, TODAY);
    assert_eq!(next.status, FollowUpStatus::Due);
}

#[test]
fn a_visit_120_days_ago_is_30_days_overdue() {
    let last = days_before(TODAY, 120);
    let next = template("hypertension").next_followup(Some(last), date(2024, 1, 1), TODAY);
    assert_eq!(next.status, FollowUpStatus::Overdue { days: 30 });
}

#[test]
fn the_grace_window_ends_after_14_days() {
    let t = template("t2dm");
    let status = |ago| {
        t.next_followup(Some(days_before(TODAY, ago)), date(2024, 1, 1), TODAY)
            .status
    };
    assert_eq!(status(89), FollowUpStatus::NotYetDue);
    assert_eq!(status(104), FollowUpStatus::Due);
    assert_eq!(status(105), FollowUpStatus::Overdue { days: 15 });
}

#[test]
fn without_a_visit_the_due_date_counts_from_enrolment() {
    let enrolled = date(2026, 3, 1);
    let next = template("hypertension").next_followup(None, enrolled, TODAY);
    assert_eq!(next.due, date(2026, 5, 30));
    assert_eq!(next.status, FollowUpStatus::NotYetDue);
}

#[test]
fn dates_at_the_edge_of_the_calendar_do_not_panic() {
    let next = template("copd").next_followup(Some(Date::MAX), Date::MAX, Date::MIN);
    assert_eq!(next.status, FollowUpStatus::NotYetDue);
    let next = template("copd").next_followup(Some(Date::MIN), Date::MIN, Date::MAX);
    assert!(matches!(next.status, FollowUpStatus::Overdue { .. }));
}

#[test]
fn four_visits_a_year_are_standard_three_are_not() {
    let plan = template("hypertension").followup();
    assert!(plan.is_standard(4));
    assert!(plan.is_standard(6));
    assert!(!plan.is_standard(3));
    assert!(plan.min_visits_per_year.source.confirmed);
}
