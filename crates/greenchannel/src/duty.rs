//! Which listed products bind the hospitals on a given day, and by when: pure functions of
//! the published versions, the provincial listing dates and the rules.
//!
//! A product binds on `day` when the newest version of some list published by `day` has it
//! and it was listed on the provincial platform by `day`. The clock starts at the later of the
//! listing and the publication of the version from which the list has held the product without
//! a break (rules `adoption.clock_start`); the deadline is the list's months later
//! ([`crate::deadline`]). A product on two lists takes the earlier deadline.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::deadline::{Decision, deadline};
use crate::product::Product;
use crate::rules::Rules;
use crate::versions::ListVersion;

/// A product that binds the hospitals, with its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedProduct {
    pub product: Product,
    /// The lists that hold it (codes).
    pub lists: Vec<String>,
    pub listed_on: Date,
    pub clock_start: Date,
    pub deadline: Date,
}

/// One hospital's duty to adopt one product, with what the hospital recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duty {
    pub hospital_id: String,
    pub listed: ListedProduct,
    pub decision: Option<Decision>,
}

/// The products that bind hospitals on `day`, by product id. `versions` may be of several lists,
/// in any order; `listings` maps product ids to their provincial listing dates.
pub fn listed_products(
    rules: &Rules,
    versions: &[ListVersion],
    listings: &BTreeMap<String, Date>,
    day: Date,
) -> Vec<ListedProduct> {
    let mut by_product: BTreeMap<String, ListedProduct> = BTreeMap::new();
    for list in &rules.lists {
        let mut published: Vec<&ListVersion> = versions
            .iter()
            .filter(|v| v.list == list.code && v.published_on <= day)
            .collect();
        published.sort_by_key(|v| v.number);
        // Since when the list has held each product without a break.
        let mut held_since: BTreeMap<&str, Date> = BTreeMap::new();
        for v in &published {
            held_since = v
                .entries
                .iter()
                .map(|p| {
                    let since = held_since
                        .get(p.product_id.as_str())
                        .copied()
                        .unwrap_or(v.published_on);
                    (p.product_id.as_str(), since)
                })
                .collect();
        }
        let Some(current) = published.last() else {
            continue;
        };
        for product in &current.entries {
            let Some(&listed_on) = listings.get(&product.product_id).filter(|d| **d <= day) else {
                continue;
            };
            let since = held_since
                .get(product.product_id.as_str())
                .copied()
                .unwrap_or(current.published_on);
            let clock_start = listed_on.max(since);
            let due = deadline(clock_start, list.adoption_deadline_months.value);
            by_product
                .entry(product.product_id.clone())
                .and_modify(|l| {
                    l.lists.push(list.code.clone());
                    if due < l.deadline {
                        l.deadline = due;
                        l.clock_start = clock_start;
                    }
                })
                .or_insert_with(|| ListedProduct {
                    product: product.clone(),
                    lists: vec![list.code.clone()],
                    listed_on,
                    clock_start,
                    deadline: due,
                });
        }
    }
    by_product.into_values().collect()
}

/// Every (hospital, listed product) pair, with the hospital's decision if any.
pub fn duties(
    listed: &[ListedProduct],
    hospital_ids: &[String],
    decisions: &BTreeMap<(String, String), Decision>,
) -> Vec<Duty> {
    let mut all = Vec::with_capacity(listed.len() * hospital_ids.len());
    for hospital_id in hospital_ids {
        for product in listed {
            let key = (hospital_id.clone(), product.product.product_id.clone());
            all.push(Duty {
                hospital_id: hospital_id.clone(),
                listed: product.clone(),
                decision: decisions.get(&key).cloned(),
            });
        }
    }
    all
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::civil::date;

    use super::*;
    use crate::product::ProductKind;

    const MI: &str = "nanjing-2022-mi-innovation";
    const CORE: &str = "nanjing-2020-core-innovation";

    fn product(id: &str) -> Product {
        Product {
            company_id: "c".into(),
            company_name: "公司".into(),
            uscc: "u".into(),
            product_id: id.into(),
            product_name: format!("产品{id}"),
            kind: ProductKind::Drug,
            registration_no: "r".into(),
        }
    }

    fn version(list: &str, number: u32, on: Date, ids: &[&str]) -> ListVersion {
        ListVersion {
            list: list.into(),
            number,
            published_on: on,
            published_by: "o".into(),
            published_at: 0,
            entries: ids.iter().map(|id| product(id)).collect(),
            removed: Vec::new(),
        }
    }

    fn listings(pairs: &[(&str, Date)]) -> BTreeMap<String, Date> {
        pairs.iter().map(|(id, d)| ((*id).to_owned(), *d)).collect()
    }

    #[test]
    fn the_month_runs_from_the_listing_when_it_follows_publication() {
        let versions = [version(CORE, 1, date(2026, 1, 5), &["p1"])];
        let listed = listed_products(
            Rules::shipped(),
            &versions,
            &listings(&[("p1", date(2026, 1, 31))]),
            date(2026, 3, 1),
        );
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].clock_start, date(2026, 1, 31));
        assert_eq!(listed[0].deadline, date(2026, 2, 28));
    }

    #[test]
    fn the_month_runs_from_publication_when_the_listing_came_first() {
        let versions = [version(CORE, 1, date(2026, 3, 10), &["p1"])];
        let listed = listed_products(
            Rules::shipped(),
            &versions,
            &listings(&[("p1", date(2025, 6, 1))]),
            date(2026, 3, 10),
        );
        assert_eq!(listed[0].deadline, date(2026, 4, 10));
    }

    #[test]
    fn a_product_binds_only_once_listed_and_published_by_the_day() {
        let versions = [version(CORE, 1, date(2026, 2, 1), &["p1", "p2"])];
        let l = listings(&[("p1", date(2026, 2, 10))]);
        assert!(listed_products(Rules::shipped(), &versions, &l, date(2026, 1, 31)).is_empty());
        assert!(listed_products(Rules::shipped(), &versions, &l, date(2026, 2, 9)).is_empty());
        let on = listed_products(Rules::shipped(), &versions, &l, date(2026, 2, 10));
        assert_eq!(on.len(), 1, "p2 has no listing date");
    }

    #[test]
    fn a_removed_product_binds_no_more_and_a_return_restarts_the_clock() {
        let versions = [
            version(CORE, 1, date(2026, 1, 1), &["p1"]),
            version(CORE, 2, date(2026, 2, 1), &[]),
            version(CORE, 3, date(2026, 5, 20), &["p1"]),
        ];
        let l = listings(&[("p1", date(2026, 1, 2))]);
        assert!(listed_products(Rules::shipped(), &versions, &l, date(2026, 3, 1)).is_empty());
        let back = listed_products(Rules::shipped(), &versions, &l, date(2026, 6, 1));
        assert_eq!(back[0].clock_start, date(2026, 5, 20));
        // Held without a break from version 1: the clock keeps version 1's start.
        let kept = [
            version(CORE, 1, date(2026, 1, 1), &["p1"]),
            version(CORE, 2, date(2026, 2, 1), &["p1", "p2"]),
        ];
        let held = listed_products(Rules::shipped(), &kept, &l, date(2026, 3, 1));
        assert_eq!(held[0].clock_start, date(2026, 1, 2));
    }

    #[test]
    fn a_product_on_both_lists_is_one_duty_with_the_earlier_deadline() {
        let versions = [
            version(MI, 1, date(2026, 1, 1), &["p1"]),
            version(CORE, 1, date(2026, 3, 1), &["p1"]),
        ];
        let l = listings(&[("p1", date(2026, 1, 10))]);
        let listed = listed_products(Rules::shipped(), &versions, &l, date(2026, 4, 1));
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].lists.len(), 2);
        assert_eq!(listed[0].deadline, date(2026, 2, 10));
        let d = duties(&listed, &["h1".into(), "h2".into()], &BTreeMap::new());
        assert_eq!(d.len(), 2);
    }
}
