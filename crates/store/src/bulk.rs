//! Multi-row INSERT statements, the fast path for writing many rows in one transaction.

use crate::Backend;

/// Bind parameters one statement may carry: SQLite allows 32,766, PostgreSQL 65,535.
fn max_parameters(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 32_766,
        Backend::Postgres => 65_535,
    }
}

/// `INSERT INTO table (columns) VALUES (...), (...)` for `rows` rows.
///
/// SQLite gets anonymous `?` placeholders rather than the project's usual `$N`: sqlx binds each
/// named SQLite parameter by looking its name up with `sqlite3_bind_parameter_name`, a linear
/// scan, which makes a statement of P named parameters cost O(P²) to bind. Anonymous ones bind
/// in order at O(1) each. PostgreSQL needs `$N`.
pub fn multi_row_insert(table: &str, columns: &[&str], rows: usize, backend: Backend) -> String {
    let mut sql = String::with_capacity(64 + rows * columns.len() * 6);
    sql.push_str("INSERT INTO ");
    sql.push_str(table);
    sql.push_str(" (");
    sql.push_str(&columns.join(", "));
    sql.push_str(") VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..columns.len() {
            if column > 0 {
                sql.push(',');
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * columns.len() + column + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// Prepared text of the multi-row INSERTs of one table for 1, 2, 4, ... rows, up to a maximum.
/// Writing any number of rows as a sum of powers of two keeps the number of distinct
/// statements (and so of prepared statements each connection caches) to about a dozen.
#[derive(Debug, Clone)]
pub struct InsertShapes {
    shapes: Vec<String>,
}

impl InsertShapes {
    /// Shapes of up to `max_rows` rows (at least 1), fewer if the backend's parameter limit
    /// says so.
    pub fn new(table: &str, columns: &[&str], max_rows: usize, backend: Backend) -> Self {
        let max_rows = max_rows
            .min(max_parameters(backend) / columns.len().max(1))
            .max(1);
        let mut shapes = Vec::new();
        let mut rows = 1;
        while rows <= max_rows {
            shapes.push(multi_row_insert(table, columns, rows, backend));
            rows *= 2;
        }
        InsertShapes { shapes }
    }

    /// The statement for the largest power-of-two number of rows not above `remaining`
    /// (at least 1), and that number.
    pub fn next(&self, remaining: usize) -> (&str, usize) {
        let remaining = remaining.max(1);
        let k = (usize::BITS - 1 - remaining.leading_zeros()) as usize;
        let k = k.min(self.shapes.len() - 1);
        (&self.shapes[k], 1 << k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        assert_eq!(
            multi_row_insert("t", &["a", "b"], 2, Backend::Sqlite),
            "INSERT INTO t (a, b) VALUES (?,?),(?,?)"
        );
        assert_eq!(
            multi_row_insert("t", &["a", "b"], 2, Backend::Postgres),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)"
        );
    }

    #[test]
    fn shapes_cover_any_count_in_powers_of_two() {
        let shapes = InsertShapes::new("t", &["a"], 256, Backend::Sqlite);
        for total in 1..=1_000usize {
            let mut left = total;
            let mut statements = 0;
            while left > 0 {
                let (sql, rows) = shapes.next(left);
                assert!(rows <= left && rows <= 256);
                assert_eq!(sql.matches('?').count(), rows);
                left -= rows;
                statements += 1;
            }
            assert!(statements <= total.div_ceil(256) + 8);
        }
    }

    #[test]
    fn shapes_respect_the_parameter_limit() {
        let columns = ["a"; 10];
        let shapes = InsertShapes::new("t", &columns, 1 << 20, Backend::Sqlite);
        let (sql, rows) = shapes.next(usize::MAX);
        assert!(rows * 10 <= 32_766, "{rows} rows");
        assert_eq!(sql.matches('?').count(), rows * 10);
    }
}
