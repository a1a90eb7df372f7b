//! Disclosure control as properties over random cohorts and tables, without a database:
//! every class of a release has at least k rows and the suppression count adds up; a hidden
//! cell of an aggregate table can never be worked out from the shown cells and the totals.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;

use jiff::civil::{Date, date};
use proptest::prelude::*;
use research::cohort::{Subject, SubjectEnrolment};
use research::deidentify::{Pseudonymiser, deidentify};
use research::suppress::suppress;
use research::{Catalogue, Field, Policy, ResearchError};

const REFERENCE: Date = date(2025, 1, 15);

fn subject(
    n: usize,
    sex: u8,
    birth_year: i16,
    district: u8,
    month: i8,
    visit: Option<i8>,
) -> Subject {
    Subject {
        resident_id: format!("r{n}"),
        sex: match sex {
            0 => Some("male".into()),
            1 => Some("female".into()),
            _ => None,
        },
        birth_date: Some(date(birth_year, 1 + (n % 12) as i8, 1 + (n % 28) as i8)),
        district: Some(["gulou", "jiangning", "xuanwu"][usize::from(district % 3)].into()),
        enrolments: vec![SubjectEnrolment {
            disease: "hypertension".into(),
            enrolled_on: date(2023, month, 10),
            last_visit: visit.map(|m| date(2024, m, 3)),
            last_controlled: visit.map(|m| m % 2 == 0),
            followups: visit.map_or(0, |m| u32::try_from(m).unwrap()),
        }],
    }
}

fn cohort() -> impl Strategy<Value = Vec<Subject>> {
    prop::collection::vec(
        (
            0u8..3,
            1940i16..2000,
            0u8..3,
            1i8..=12,
            prop::option::of(1i8..=12),
        ),
        1..160,
    )
    .prop_map(|people| {
        people
            .into_iter()
            .enumerate()
            .map(|(n, (sex, year, district, month, visit))| {
                subject(n, sex, year, district, month, visit)
            })
            .collect()
    })
}

const QUASI: [Field; 5] = [
    Field::Sex,
    Field::Age,
    Field::District,
    Field::EnrolledOn,
    Field::LastVisit,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_class_of_a_release_has_at_least_k_rows(
        subjects in cohort(),
        k in 2u32..8,
        fields in prop::sample::subsequence(QUASI.to_vec(), 1..=5),
    ) {
        let policy = Policy::builtin().unwrap().with_k(k).unwrap();
        let catalogue = Catalogue::builtin().unwrap();
        let mut wanted = fields.clone();
        wanted.push(Field::Followups);
        let result = deidentify(
            &subjects,
            &wanted,
            catalogue,
            &policy,
            REFERENCE,
            Pseudonymiser::random(),
        );
        let allowed = (policy.release.max_suppressed_share.value * subjects.len() as f64).floor() as usize;
        match result {
            Ok(extract) => {
                prop_assert_eq!(extract.cohort_rows, subjects.len());
                prop_assert_eq!(extract.rows.len() + extract.suppressed, subjects.len());
                prop_assert!(extract.suppressed <= allowed);
                let mut classes: BTreeMap<Vec<&str>, usize> = BTreeMap::new();
                for row in &extract.rows {
                    let key = extract.quasi_identifiers.iter().map(|i| row[*i].as_str()).collect();
                    *classes.entry(key).or_default() += 1;
                }
                prop_assert!(classes.values().all(|n| *n >= k as usize), "{:?}", classes);
                prop_assert_eq!(extract.quasi_identifiers.len(), fields.len());
                // No resident id reaches the extract.
                for row in &extract.rows {
                    prop_assert!(row.iter().all(|cell| !cell.starts_with('r') || cell.len() != 2));
                    prop_assert_eq!(row[0].len(), 32);
                }
            }
            Err(ResearchError::TooMuchSuppression { suppressed, rows, .. }) => {
                prop_assert_eq!(rows, subjects.len());
                prop_assert!(suppressed > allowed);
            }
            Err(other) => prop_assert!(false, "unexpected {}", other),
        }
    }
}

/// Adds totals (last column, last row) to an interior table.
fn with_totals(interior: &[Vec<u64>]) -> Vec<Vec<u64>> {
    let columns = interior[0].len();
    let mut grid: Vec<Vec<u64>> = interior
        .iter()
        .map(|row| {
            let mut r = row.clone();
            r.push(row.iter().sum());
            r
        })
        .collect();
    let totals: Vec<u64> = (0..=columns)
        .map(|j| grid.iter().map(|r| r[j]).sum())
        .collect();
    grid.push(totals);
    grid
}

/// The equations an attacker has: each row and column of the grid adds up to its total.
/// With one dimension (a single column) there is just the column. Hidden cells are the
/// unknowns; returns the coefficient rows over the hidden cells.
fn equations(hidden: &[Vec<bool>]) -> (Vec<(usize, usize)>, Vec<Vec<f64>>) {
    let rows = hidden.len();
    let columns = hidden[0].len();
    let unknowns: Vec<(usize, usize)> = (0..rows)
        .flat_map(|r| (0..columns).map(move |c| (r, c)))
        .filter(|(r, c)| hidden[*r][*c])
        .collect();
    let coefficient = |cells: &[(usize, usize, f64)]| -> Vec<f64> {
        unknowns
            .iter()
            .map(|u| {
                cells
                    .iter()
                    .filter(|(r, c, _)| (*r, *c) == *u)
                    .map(|(_, _, w)| *w)
                    .sum()
            })
            .collect()
    };
    let mut eqs = Vec::new();
    let line = |cells: Vec<(usize, usize)>| -> Vec<(usize, usize, f64)> {
        let last = cells.len() - 1;
        cells
            .into_iter()
            .enumerate()
            .map(|(i, (r, c))| (r, c, if i == last { -1.0 } else { 1.0 }))
            .collect()
    };
    if columns > 1 {
        for r in 0..rows {
            eqs.push(coefficient(&line((0..columns).map(|c| (r, c)).collect())));
        }
    }
    for c in 0..columns {
        eqs.push(coefficient(&line((0..rows).map(|r| (r, c)).collect())));
    }
    (unknowns, eqs)
}

fn rank(mut m: Vec<Vec<f64>>) -> usize {
    let columns = m.first().map_or(0, Vec::len);
    let mut rank = 0;
    for col in 0..columns {
        let Some(pivot) =
            (rank..m.len()).max_by(|a, b| m[*a][col].abs().total_cmp(&m[*b][col].abs()))
        else {
            break;
        };
        if m[pivot][col].abs() < 1e-9 {
            continue;
        }
        m.swap(rank, pivot);
        let pivot_row = m[rank].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != rank {
                let factor = row[col] / pivot_row[col];
                for (cell, p) in row.iter_mut().zip(&pivot_row) {
                    *cell -= factor * p;
                }
            }
        }
        rank += 1;
    }
    rank
}

/// Whether the hidden cell `u` is determined by the equations: its unit vector lies in their
/// span.
fn determined(eqs: &[Vec<f64>], u: usize, n: usize) -> bool {
    let base = rank(eqs.to_vec());
    let mut with = eqs.to_vec();
    let mut unit = vec![0.0; n];
    unit[u] = 1.0;
    with.push(unit);
    rank(with) == base
}

fn check_table(grid: &[Vec<u64>], min: u64) -> Result<(), TestCaseError> {
    let hidden = suppress(grid, min);
    for (r, row) in grid.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if (1..min).contains(v) {
                prop_assert!(hidden[r][c], "small cell ({}, {}) = {} shown", r, c, v);
            }
        }
    }
    let (unknowns, eqs) = equations(&hidden);
    for (i, (r, c)) in unknowns.iter().enumerate() {
        prop_assert!(
            !determined(&eqs, i, unknowns.len()),
            "hidden cell ({}, {}) = {} can be worked out: {:?} {:?}",
            r,
            c,
            grid[*r][*c],
            grid,
            hidden
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_hidden_cell_of_a_two_way_table_can_be_worked_out(
        rows in 1usize..6,
        columns in 1usize..6,
        values in prop::collection::vec(prop_oneof![0u64..8, 0u64..60], 36),
        min in 2u64..8,
    ) {
        let interior: Vec<Vec<u64>> = (0..rows)
            .map(|r| (0..columns).map(|c| values[r * 6 + c]).collect())
            .collect();
        check_table(&with_totals(&interior), min)?;
    }

    #[test]
    fn no_hidden_cell_of_a_one_way_table_can_be_worked_out(
        values in prop::collection::vec(prop_oneof![0u64..8, 0u64..60], 1..10),
        min in 2u64..8,
    ) {
        let mut grid: Vec<Vec<u64>> = values.iter().map(|v| vec![*v]).collect();
        grid.push(vec![values.iter().sum()]);
        check_table(&grid, min)?;
    }
}

#[test]
fn the_checker_finds_a_cell_worked_out_from_a_total() {
    // One hidden cell in a one-way table is its total minus the others.
    let grid = vec![vec![3], vec![40], vec![43]];
    let hidden = vec![vec![true], vec![false], vec![false]];
    let (unknowns, eqs) = equations(&hidden);
    assert!(determined(&eqs, 0, unknowns.len()));
    // Two hidden cells of a row, without a partner row, are worked out from the columns.
    let hidden = vec![
        vec![true, true, false],
        vec![false, false, false],
        vec![false, false, false],
    ];
    let (unknowns, eqs) = equations(&hidden);
    assert!(determined(&eqs, 0, unknowns.len()));
    // A rectangle is not.
    let hidden = vec![
        vec![true, true, false],
        vec![true, true, false],
        vec![false, false, false],
    ];
    let (unknowns, eqs) = equations(&hidden);
    assert!((0..4).all(|u| !determined(&eqs, u, unknowns.len())));
    let _ = grid;
}
