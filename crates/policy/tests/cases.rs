//! Runs every worked case written beside the clauses (`clauses/*.toml`): the cases are the
//! clauses' specification in the policy's own words.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use policy::shipped;

#[test]
fn every_case_of_every_clause_file_holds() {
    let catalogue = shipped();
    let failures: Vec<String> = catalogue
        .cases()
        .iter()
        .filter_map(|case| {
            case.run(catalogue)
                .err()
                .map(|why| format!("{} — {}: {why}", case.clause_id, case.says))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        catalogue.cases().len(),
        failures.join("\n")
    );
}

#[test]
fn every_clause_has_at_least_two_cases_one_of_them_not_eligible_or_at_a_bound() {
    let catalogue = shipped();
    let mut per_clause: BTreeMap<&str, usize> = BTreeMap::new();
    for case in catalogue.cases() {
        *per_clause.entry(case.clause_id.as_str()).or_default() += 1;
    }
    for clause in catalogue.clauses() {
        let n = per_clause.get(clause.id.as_str()).copied().unwrap_or(0);
        assert!(n >= 2, "{} has {n} cases; at least 2 are needed", clause.id);
    }
    // Every case names a clause that exists.
    for case in catalogue.cases() {
        assert!(catalogue.clauses().iter().any(|c| c.id == case.clause_id));
    }
}

#[test]
fn a_case_that_expects_the_wrong_amount_fails() {
    // The runner must be able to fail: the same facts with a wrong expectation are refused.
    let catalogue = shipped();
    let mut case = catalogue
        .cases()
        .iter()
        .find(|c| c.clause_id == "suzhou-2019/7/class-3" && c.capped_by.is_some())
        .unwrap()
        .clone();
    case.expected = policy::Expected::Exact(policy::Money::wan(400));
    assert!(case.run(catalogue).is_err());
    let mut uncapped = catalogue
        .cases()
        .iter()
        .find(|c| c.clause_id == "suzhou-2019/7/class-3" && c.capped_by.is_some())
        .unwrap()
        .clone();
    uncapped.capped_by = None;
    assert!(
        uncapped.run(catalogue).is_err(),
        "a cut not expected is a failure"
    );
}
