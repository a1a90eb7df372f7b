//! The figures a bulletin circulates (nanjing-2020 三（五）3: 定期通报), as pure functions of the
//! duties, the hospitals' decisions and the usage reports.
//!
//! Standing is taken on the bulletin's day (the last day of its quarter, or today for the
//! dashboard): a decision dated later is not yet known. For a hospital, `due` counts the
//! products whose deadline passed before that day; they split exactly into adopted on time,
//! adopted late, overdue and not needed. `not_yet_due` counts the others (their month is still
//! running, whatever the hospital already did).
//! The adoption rate is the adopted share of the due products the hospital needs.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::deadline::{AdoptionStatus, status_on};
use crate::duty::{Duty, ListedProduct};
use crate::period::Quarter;
use crate::product::Product;

/// What the bureaus circulate for one quarter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bulletin {
    pub period: Quarter,
    /// The day the standing is taken on.
    pub as_of: Date,
    pub per_hospital: Vec<HospitalFigures>,
    pub per_product: Vec<ProductFigures>,
    /// Every hospital and product overdue on `as_of`, longest overdue first.
    pub overdue_list: Vec<OverdueLine>,
}

/// One hospital's standing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HospitalFigures {
    pub hospital_id: String,
    pub hospital_name: String,
    pub due: u32,
    pub adopted_on_time: u32,
    pub adopted_late: u32,
    pub overdue: u32,
    pub not_needed: u32,
    pub not_yet_due: u32,
    /// (on time + late) / (due − not needed); none when nothing needed is due.
    pub adoption_rate: Option<f64>,
}

/// One product's reach.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductFigures {
    pub product: Product,
    pub lists: Vec<String>,
    pub deadline: Date,
    /// Hospitals bound to adopt it, less those that declared it not needed.
    pub hospitals_due: u32,
    /// Hospitals that have it in their catalogue.
    pub hospitals_adopted: u32,
    pub hospitals_overdue: u32,
    /// Summed over the hospitals' reports for the period.
    pub usage_quantity: i64,
    pub usage_amount_yuan: i64,
}

/// One overdue adoption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueLine {
    pub hospital_id: String,
    pub hospital_name: String,
    pub product_id: String,
    pub product_name: String,
    pub deadline: Date,
    pub days_over: i32,
}

/// Usage summed per product: (quantity, amount in yuan).
pub type UsageTotals = BTreeMap<String, (i64, i64)>;

/// Each hospital's standing on `as_of`. `hospitals` are (id, name) in the order to show.
pub fn per_hospital(
    hospitals: &[(String, String)],
    duties: &[Duty],
    as_of: Date,
) -> Vec<HospitalFigures> {
    hospitals
        .iter()
        .map(|(id, name)| {
            let mut f = HospitalFigures {
                hospital_id: id.clone(),
                hospital_name: name.clone(),
                due: 0,
                adopted_on_time: 0,
                adopted_late: 0,
                overdue: 0,
                not_needed: 0,
                not_yet_due: 0,
                adoption_rate: None,
            };
            for duty in duties.iter().filter(|d| &d.hospital_id == id) {
                // The deadline day itself is still in time: due from the day after.
                if duty.listed.deadline >= as_of {
                    f.not_yet_due += 1;
                    continue;
                }
                f.due += 1;
                match status_on(duty.listed.deadline, duty.decision.as_ref(), as_of) {
                    AdoptionStatus::Adopted { late: false, .. } => f.adopted_on_time += 1,
                    AdoptionStatus::Adopted { late: true, .. } => f.adopted_late += 1,
                    AdoptionStatus::Overdue { .. } => f.overdue += 1,
                    AdoptionStatus::NotNeeded { .. } => f.not_needed += 1,
                    // Cannot happen once the deadline has passed.
                    AdoptionStatus::Pending { .. } => {}
                }
            }
            let needed = f.due - f.not_needed;
            if needed > 0 {
                f.adoption_rate =
                    Some(f64::from(f.adopted_on_time + f.adopted_late) / f64::from(needed));
            }
            f
        })
        .collect()
}

/// Each listed product's reach on `as_of`, with the period's usage.
pub fn per_product(
    listed: &[ListedProduct],
    duties: &[Duty],
    usage: &UsageTotals,
    as_of: Date,
) -> Vec<ProductFigures> {
    listed
        .iter()
        .map(|l| {
            let id = &l.product.product_id;
            let mut f = ProductFigures {
                product: l.product.clone(),
                lists: l.lists.clone(),
                deadline: l.deadline,
                hospitals_due: 0,
                hospitals_adopted: 0,
                hospitals_overdue: 0,
                usage_quantity: 0,
                usage_amount_yuan: 0,
            };
            for duty in duties.iter().filter(|d| &d.listed.product.product_id == id) {
                match status_on(l.deadline, duty.decision.as_ref(), as_of) {
                    AdoptionStatus::NotNeeded { .. } => continue,
                    AdoptionStatus::Adopted { .. } => f.hospitals_adopted += 1,
                    AdoptionStatus::Overdue { .. } => f.hospitals_overdue += 1,
                    AdoptionStatus::Pending { .. } => {}
                }
                f.hospitals_due += 1;
            }
            if let Some((quantity, amount)) = usage.get(id) {
                f.usage_quantity = *quantity;
                f.usage_amount_yuan = *amount;
            }
            f
        })
        .collect()
}

/// The overdue adoptions on `as_of`, longest overdue first.
pub fn overdue_list(
    hospitals: &[(String, String)],
    duties: &[Duty],
    as_of: Date,
) -> Vec<OverdueLine> {
    let mut lines: Vec<OverdueLine> = duties
        .iter()
        .filter_map(|d| {
            let AdoptionStatus::Overdue {
                deadline,
                days_over,
            } = status_on(d.listed.deadline, d.decision.as_ref(), as_of)
            else {
                return None;
            };
            let name = hospitals
                .iter()
                .find(|(id, _)| id == &d.hospital_id)
                .map_or_else(|| d.hospital_id.clone(), |(_, n)| n.clone());
            Some(OverdueLine {
                hospital_id: d.hospital_id.clone(),
                hospital_name: name,
                product_id: d.listed.product.product_id.clone(),
                product_name: d.listed.product.product_name.clone(),
                deadline,
                days_over,
            })
        })
        .collect();
    lines.sort_by(|a, b| {
        b.days_over
            .cmp(&a.days_over)
            .then_with(|| a.hospital_name.cmp(&b.hospital_name))
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    lines
}

/// The whole bulletin of `period`, standing taken on `as_of`.
pub fn bulletin(
    period: Quarter,
    as_of: Date,
    hospitals: &[(String, String)],
    listed: &[ListedProduct],
    duties: &[Duty],
    usage: &UsageTotals,
) -> Bulletin {
    Bulletin {
        period,
        as_of,
        per_hospital: per_hospital(hospitals, duties, as_of),
        per_product: per_product(listed, duties, usage, as_of),
        overdue_list: overdue_list(hospitals, duties, as_of),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::civil::date;

    use super::*;
    use crate::deadline::Decision;
    use crate::product::ProductKind;

    fn listed(id: &str, deadline: Date) -> ListedProduct {
        ListedProduct {
            product: Product {
                company_id: "c".into(),
                company_name: "公司".into(),
                uscc: "u".into(),
                product_id: id.into(),
                product_name: format!("产品{id}"),
                kind: ProductKind::Device,
                registration_no: "r".into(),
            },
            lists: vec!["l".into()],
            listed_on: date(2026, 1, 1),
            clock_start: date(2026, 1, 1),
            deadline,
        }
    }

    fn duty(h: &str, l: &ListedProduct, decision: Option<Decision>) -> Duty {
        Duty {
            hospital_id: h.into(),
            listed: l.clone(),
            decision,
        }
    }

    fn adopted(y: i16, m: i8, d: i8) -> Option<Decision> {
        Some(Decision::Adopted {
            on: date(y, m, d),
            catalogue_ref: "C".into(),
        })
    }

    #[test]
    fn a_quarter_splits_each_hospital_into_its_outcomes() {
        let p1 = listed("p1", date(2026, 2, 28));
        let p2 = listed("p2", date(2026, 3, 15));
        let p3 = listed("p3", date(2026, 4, 30));
        let hospitals = vec![("h1".into(), "甲".into()), ("h2".into(), "乙".into())];
        let duties = vec![
            duty("h1", &p1, adopted(2026, 2, 10)),
            duty("h1", &p2, adopted(2026, 3, 20)),
            duty("h1", &p3, None),
            duty("h2", &p1, None),
            duty(
                "h2",
                &p2,
                Some(Decision::NotNeeded {
                    on: date(2026, 3, 1),
                    reason: "无相关科室".into(),
                }),
            ),
            // Adopted after the quarter: not yet known on the Q1 bulletin's day.
            duty("h2", &p3, adopted(2026, 5, 2)),
        ];
        let mut usage = UsageTotals::new();
        usage.insert("p1".into(), (40, 12_000));
        let b = bulletin(
            "2026-Q1".parse().unwrap(),
            date(2026, 3, 31),
            &hospitals,
            &[p1.clone(), p2, p3],
            &duties,
            &usage,
        );
        let h1 = &b.per_hospital[0];
        assert_eq!(
            (
                h1.due,
                h1.adopted_on_time,
                h1.adopted_late,
                h1.overdue,
                h1.not_needed,
                h1.not_yet_due
            ),
            (2, 1, 1, 0, 0, 1)
        );
        assert_eq!(h1.adoption_rate, Some(1.0));
        let h2 = &b.per_hospital[1];
        assert_eq!(
            (h2.due, h2.overdue, h2.not_needed, h2.not_yet_due),
            (2, 1, 1, 1)
        );
        assert_eq!(h2.adoption_rate, Some(0.0));
        assert_eq!(b.overdue_list.len(), 1);
        assert_eq!(b.overdue_list[0].hospital_name, "乙");
        assert_eq!(b.overdue_list[0].days_over, 31);
        let first = &b.per_product[0];
        assert_eq!(
            (
                first.hospitals_due,
                first.hospitals_adopted,
                first.hospitals_overdue
            ),
            (2, 1, 1)
        );
        assert_eq!(first.usage_amount_yuan, 12_000);
        let second = &b.per_product[1];
        assert_eq!(second.hospitals_due, 1, "乙 declared it not needed");
        assert_eq!(b.per_product[2].usage_quantity, 0);
    }

    fn any_decision() -> impl proptest::strategy::Strategy<Value = Option<Decision>> {
        use proptest::prelude::*;
        (0u8..3, 0i64..120).prop_map(|(kind, offset)| {
            let on = date(2026, 1, 1)
                .checked_add(jiff::Span::new().days(offset))
                .unwrap();
            match kind {
                0 => None,
                1 => Some(Decision::Adopted {
                    on,
                    catalogue_ref: "C".into(),
                }),
                _ => Some(Decision::NotNeeded {
                    on,
                    reason: "R".into(),
                }),
            }
        })
    }

    proptest::proptest! {
        /// Every duty is counted once: due or not yet due, and what is due splits exactly into
        /// on time, late, overdue and not needed; the rate stays within 0 and 1.
        #[test]
        fn the_outcomes_partition_the_duties(
            cases in proptest::collection::vec((0i64..120, any_decision()), 0..20),
            as_of_offset in 0i64..150,
        ) {
            let as_of = date(2026, 1, 1).checked_add(jiff::Span::new().days(as_of_offset)).unwrap();
            let duties: Vec<Duty> = cases
                .iter()
                .enumerate()
                .map(|(i, (offset, decision))| {
                    let deadline = date(2026, 1, 1).checked_add(jiff::Span::new().days(*offset)).unwrap();
                    duty("h1", &listed(&format!("p{i}"), deadline), decision.clone())
                })
                .collect();
            let f = &per_hospital(&[("h1".into(), "甲".into())], &duties, as_of)[0];
            proptest::prop_assert_eq!(f.due + f.not_yet_due, u32::try_from(duties.len()).unwrap());
            proptest::prop_assert_eq!(
                f.adopted_on_time + f.adopted_late + f.overdue + f.not_needed,
                f.due
            );
            if let Some(rate) = f.adoption_rate {
                proptest::prop_assert!((0.0..=1.0).contains(&rate));
            }
            let overdue = overdue_list(&[("h1".into(), "甲".into())], &duties, as_of);
            proptest::prop_assert_eq!(u32::try_from(overdue.len()).unwrap(), f.overdue);
        }
    }

    #[test]
    fn nothing_due_has_no_rate() {
        let hospitals = vec![("h1".into(), "甲".into())];
        let f = per_hospital(&hospitals, &[], date(2026, 3, 31));
        assert_eq!(f[0].due, 0);
        assert_eq!(f[0].adoption_rate, None);
    }
}
