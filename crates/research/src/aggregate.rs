//! Aggregate queries, for questions that need no extract: counts of consenting residents of a
//! cohort (and the mean of a numeric variable) by one or two dimensions, with totals, small
//! cells suppressed and complementary cells hidden so that no hidden cell can be worked out
//! from the totals ([`crate::suppress`]).

use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::catalogue::{AggregateUse, Catalogue, Field};
use crate::cohort::{Subject, Value};
use crate::deidentify::age_band;
use crate::error::{FieldError, Invalid, Problem};
use crate::policy::Policy;
use crate::request::{Cohort, CohortFields, Vocabulary, cohort_from};
use crate::suppress::suppress;

/// A validated aggregate query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateQuery {
    /// Over whom.
    pub cohort: Cohort,
    /// The dimension of the rows.
    pub rows: Field,
    /// The dimension of the columns, if any.
    pub columns: Option<Field>,
    /// The variable whose mean each cell shows beside its count, if any.
    pub mean_of: Option<Field>,
}

/// An aggregate query as a form or the API gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryForm {
    /// Disease template codes.
    pub diseases: Vec<String>,
    /// Youngest age; empty for none.
    pub age_min: String,
    /// Oldest age; empty for none.
    pub age_max: String,
    /// District keys.
    pub districts: Vec<String>,
    /// First day of the enrolment period; empty for none.
    pub enrolled_from: String,
    /// Last day; empty for none.
    pub enrolled_to: String,
    /// Catalogue key of the row dimension.
    pub rows: String,
    /// Catalogue key of the column dimension; empty for one dimension.
    pub columns: String,
    /// Catalogue key of a numeric variable to average; empty for counts only.
    pub mean_of: String,
}

impl QueryForm {
    /// Checks every field: the cohort as for a request, dimensions and measure from the
    /// catalogue's aggregate uses.
    pub fn validate(
        &self,
        vocabulary: &Vocabulary,
        catalogue: &Catalogue,
        policy: &Policy,
    ) -> Result<AggregateQuery, Invalid> {
        let mut errors = Vec::new();
        let cohort = cohort_from(
            CohortFields {
                diseases: &self.diseases,
                age_min: &self.age_min,
                age_max: &self.age_max,
                districts: &self.districts,
                enrolled_from: &self.enrolled_from,
                enrolled_to: &self.enrolled_to,
            },
            vocabulary,
            policy,
            &mut errors,
        );
        let pick = |field: &'static str, key: &str, use_: AggregateUse, errors: &mut Vec<_>| {
            let key = key.trim();
            if key.is_empty() {
                return None;
            }
            let found = catalogue
                .get(key)
                .filter(|v| v.aggregate.contains(&use_))
                .and_then(|v| v.field());
            if found.is_none() {
                errors.push(FieldError::new(
                    field,
                    Problem::Unknown {
                        value: key.to_owned(),
                        allowed: catalogue.keys_for(use_),
                    },
                ));
            }
            found
        };
        let rows = pick("rows", &self.rows, AggregateUse::Dimension, &mut errors);
        if self.rows.trim().is_empty() {
            errors.push(FieldError::new("rows", Problem::Required));
        }
        let columns = pick(
            "columns",
            &self.columns,
            AggregateUse::Dimension,
            &mut errors,
        );
        if rows.is_some() && rows == columns {
            errors.push(FieldError::new("columns", Problem::SameDimension));
        }
        let mean_of = pick("mean_of", &self.mean_of, AggregateUse::Measure, &mut errors);
        match (cohort, rows) {
            (Some(cohort), Some(rows)) if errors.is_empty() => Ok(AggregateQuery {
                cohort,
                rows,
                columns,
                mean_of,
            }),
            _ => Err(Invalid(errors)),
        }
    }
}

/// One cell of a result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// Shown: the count of residents, and the mean of the measure over those who have it.
    Shown {
        /// Residents.
        count: u64,
        /// The mean, when the query asked for one and someone in the cell has a value.
        mean: Option<f64>,
    },
    /// Hidden: fewer residents than the minimum cell size, or hidden so that such a cell
    /// cannot be worked out. The two are shown alike, on purpose: telling them apart would
    /// tell the hidden cell's partner is large, which bounds the small one.
    Suppressed,
}

impl Cell {
    /// The count as shown: the number, or `<k` when hidden.
    pub fn text(&self, min_cell_size: u32) -> String {
        match self {
            Cell::Shown { count, .. } => count.to_string(),
            Cell::Suppressed => format!("<{min_cell_size}"),
        }
    }

    /// The count, when shown.
    pub fn count(&self) -> Option<u64> {
        match self {
            Cell::Shown { count, .. } => Some(*count),
            Cell::Suppressed => None,
        }
    }
}

/// The result of an aggregate query.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The query.
    pub query: AggregateQuery,
    /// Labels of the rows (values of the row dimension), sorted.
    pub row_labels: Vec<String>,
    /// Labels of the columns; empty for one dimension.
    pub column_labels: Vec<String>,
    /// `cells[row][column]`; rows without cells for one dimension.
    pub cells: Vec<Vec<Cell>>,
    /// The total of each row.
    pub row_totals: Vec<Cell>,
    /// The total of each column; empty for one dimension.
    pub column_totals: Vec<Cell>,
    /// The total of the table.
    pub total: Cell,
    /// The minimum cell size applied.
    pub min_cell_size: u32,
}

impl Table {
    /// What a hidden cell means, for the table's legend.
    pub fn legend(&self, english: bool) -> String {
        let k = self.min_cell_size;
        if english {
            format!(
                "<{k}: fewer than {k} residents, or hidden so that such a cell cannot be worked out from the totals"
            )
        } else {
            format!("<{k}：少于{k}人，或为防止由合计推算出此类单元格而隐藏")
        }
    }
}

/// The label of a subject's value on a dimension.
fn label(value: &Value, field: Field, policy: &Policy) -> String {
    match (value, field) {
        (Value::Missing, _) => "unknown".into(),
        (Value::Number(age), Field::Age) => age_band(
            *age,
            policy.aggregate.age_band_years.value,
            policy.release.age_top_code.value,
        ),
        (Value::Day(d), _) => format!("{:04}", d.year()),
        (Value::Text(t), _) => t.clone(),
        (Value::Flag(true), _) => "yes".into(),
        (Value::Flag(false), _) => "no".into(),
        (Value::Number(n), _) => n.to_string(),
        (Value::Codes(c), _) => c.join("|"),
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    count: u64,
    measured: u64,
    sum: u64,
}

impl Tally {
    fn add(&mut self, measure: Option<u32>) {
        self.count += 1;
        if let Some(m) = measure {
            self.measured += 1;
            self.sum += u64::from(m);
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.count += other.count;
        self.measured += other.measured;
        self.sum += other.sum;
    }
}

/// Answers `query` over `subjects` (already selected by the cohort and filtered by consent),
/// with ages on `reference`.
pub fn tabulate(
    subjects: &[Subject],
    query: &AggregateQuery,
    policy: &Policy,
    reference: Date,
) -> Table {
    let mut tallies: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut row_set = std::collections::BTreeSet::new();
    let mut column_set = std::collections::BTreeSet::new();
    for s in subjects {
        let row = label(&s.value(query.rows, reference), query.rows, policy);
        let column = query
            .columns
            .map(|c| label(&s.value(c, reference), c, policy))
            .unwrap_or_default();
        let measure = query.mean_of.and_then(|m| match s.value(m, reference) {
            Value::Number(n) => Some(n),
            _ => None,
        });
        row_set.insert(row.clone());
        if query.columns.is_some() {
            column_set.insert(column.clone());
        }
        tallies.entry((row, column)).or_default().add(measure);
    }
    let row_labels: Vec<String> = row_set.into_iter().collect();
    let column_labels: Vec<String> = column_set.into_iter().collect();
    // The grid: interior cells, then a total column; then a total row.
    let interior_columns = column_labels.len();
    let width = interior_columns + 1;
    let mut grid = vec![vec![Tally::default(); width]; row_labels.len() + 1];
    for (r, row) in row_labels.iter().enumerate() {
        if interior_columns == 0 {
            if let Some(t) = tallies.get(&(row.clone(), String::new())) {
                grid[r][0] = *t;
            }
        } else {
            for (c, column) in column_labels.iter().enumerate() {
                if let Some(t) = tallies.get(&(row.clone(), column.clone())) {
                    grid[r][c] = *t;
                }
            }
            let total = grid[r][..interior_columns]
                .iter()
                .fold(Tally::default(), |mut acc, t| {
                    acc.merge(t);
                    acc
                });
            grid[r][interior_columns] = total;
        }
    }
    let last = row_labels.len();
    for c in 0..width {
        let total = grid[..last].iter().fold(Tally::default(), |mut acc, row| {
            acc.merge(&row[c]);
            acc
        });
        grid[last][c] = total;
    }
    let counts: Vec<Vec<u64>> = grid
        .iter()
        .map(|row| row.iter().map(|t| t.count).collect())
        .collect();
    let min = policy.aggregate.min_cell_size.value;
    let hidden = suppress(&counts, u64::from(min));
    let cell = |r: usize, c: usize| {
        if hidden[r][c] {
            return Cell::Suppressed;
        }
        let t = grid[r][c];
        Cell::Shown {
            count: t.count,
            mean: (query.mean_of.is_some() && t.measured > 0)
                .then(|| t.sum as f64 / t.measured as f64),
        }
    };
    Table {
        query: query.clone(),
        cells: (0..last)
            .map(|r| (0..interior_columns).map(|c| cell(r, c)).collect())
            .collect(),
        row_totals: (0..last).map(|r| cell(r, interior_columns)).collect(),
        column_totals: (0..interior_columns).map(|c| cell(last, c)).collect(),
        total: cell(last, interior_columns),
        row_labels,
        column_labels,
        min_cell_size: min,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::cohort::SubjectEnrolment;
    use jiff::civil::date;

    fn person(n: usize, sex: &str, birth_year: i16, district: &str, followups: u32) -> Subject {
        Subject {
            resident_id: format!("r{n}"),
            sex: Some(sex.into()),
            birth_date: Some(date(birth_year, 3, 1)),
            district: Some(district.into()),
            enrolments: vec![SubjectEnrolment {
                disease: "t2dm".into(),
                enrolled_on: date(2022, 5, 1),
                last_visit: None,
                last_controlled: None,
                followups,
            }],
        }
    }

    fn query(rows: Field, columns: Option<Field>, mean_of: Option<Field>) -> AggregateQuery {
        AggregateQuery {
            cohort: Cohort {
                diseases: vec!["t2dm".into()],
                ages: None,
                districts: vec![],
                enrolled_from: None,
                enrolled_to: None,
            },
            rows,
            columns,
            mean_of,
        }
    }

    #[test]
    fn counts_and_means_by_two_dimensions_with_ten_year_age_bands() {
        let mut people = Vec::new();
        for n in 0..6 {
            people.push(person(n, "female", 1970, "gulou", 2));
            people.push(person(100 + n, "male", 1960, "gulou", 4));
        }
        for n in 0..6 {
            people.push(person(200 + n, "female", 1962, "jiangning", n as u32));
        }
        let policy = Policy::builtin().unwrap();
        let t = tabulate(
            &people,
            &query(Field::Age, Some(Field::Sex), Some(Field::Followups)),
            policy,
            date(2025, 1, 15),
        );
        // Born 1970 and 1962 or 1960: 54, 62 and 64 on the day, in the policy's 10-year bands.
        assert_eq!(t.row_labels, ["50-59", "60-69"]);
        assert_eq!(t.column_labels, ["female", "male"]);
        assert_eq!(
            t.cells[0][0],
            Cell::Shown {
                count: 6,
                mean: Some(2.0)
            }
        );
        assert_eq!(
            t.cells[0][1],
            Cell::Shown {
                count: 0,
                mean: None
            }
        );
        assert_eq!(
            t.cells[1][0],
            Cell::Shown {
                count: 6,
                mean: Some(2.5)
            }
        );
        assert_eq!(
            t.cells[1][1],
            Cell::Shown {
                count: 6,
                mean: Some(4.0)
            }
        );
        assert_eq!(t.column_totals[0].count(), Some(12));
        assert_eq!(
            t.total,
            Cell::Shown {
                count: 18,
                mean: Some(51.0 / 18.0)
            }
        );
    }

    #[test]
    fn a_small_cell_and_its_partners_are_hidden_alike() {
        let mut people: Vec<Subject> = (0..20)
            .map(|n| person(n, "female", 1970, "gulou", 1))
            .collect();
        people.extend((20..40).map(|n| person(n, "male", 1970, "gulou", 1)));
        people.extend((40..60).map(|n| person(n, "female", 1970, "jiangning", 1)));
        people.extend((60..62).map(|n| person(n, "male", 1970, "jiangning", 1)));
        let t = tabulate(
            &people,
            &query(Field::District, Some(Field::Sex), None),
            Policy::builtin().unwrap(),
            date(2025, 1, 15),
        );
        assert_eq!(t.cells[1][1], Cell::Suppressed, "2 men in jiangning");
        let hidden = t
            .cells
            .iter()
            .flatten()
            .filter(|c| **c == Cell::Suppressed)
            .count();
        assert_eq!(hidden, 4, "a rectangle: {t:?}");
        assert_eq!(t.total.count(), Some(62));
        assert_eq!(t.cells[1][1].text(t.min_cell_size), "<5");
    }
}
