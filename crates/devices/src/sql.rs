//! The SQL of the hot write path, and the one place where its dialects differ.
//!
//! Message ids go in as one statement a device with one parameter, a flat JSON array of
//! strings, which the database unpacks itself (`json_each`, `jsonb_array_elements_text`).
//! Readings, many columns a row, go in as multi-row INSERTs with bound values, the resident and
//! the device bound once. The few rows of summaries and changed days go in as a JSON array of
//! row arrays, read with `json_each` and `->>` on SQLite and `jsonb_array_elements` and casts on
//! PostgreSQL. Why each, measured: ADR 0010. The scalar minimum of two values is `MIN(a, b)` on
//! SQLite and `LEAST(a, b)` on PostgreSQL.

use std::fmt::Write as _;

use store::Backend;

/// Readings a statement of the hot path carries at most: 4,096 bound values.
const READINGS_PER_STATEMENT: usize = 1_024;

/// `INSERT` of `rows` readings of one device: each row binds its series, time, message id and
/// value, and the resident and the device are bound once, last. Text bound per row is copied
/// twice on its way into SQLite, so binding the two ids once saves half of it.
fn device_readings_insert(rows: usize, backend: Backend) -> String {
    let mut sql = String::from(
        "INSERT INTO device_readings (series, taken_at, message_id, value, resident_id, device_id) \
         SELECT v.*, d.* FROM (VALUES ",
    );
    let mut n = 0;
    let mut param = |sql: &mut String| {
        n += 1;
        match backend {
            Backend::Sqlite => sql.push('?'),
            Backend::Postgres => {
                let _ = write!(sql, "${n}");
            }
        }
    };
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { "),(" });
        for column in 0..4 {
            if column > 0 {
                sql.push(',');
            }
            param(&mut sql);
        }
    }
    sql.push_str(")) AS v, (SELECT ");
    param(&mut sql);
    sql.push_str(", ");
    param(&mut sql);
    sql.push_str(") AS d WHERE v.column1 IS NOT NULL");
    sql
}

/// Statements for one device's readings in 1, 2, 4, … [`READINGS_PER_STATEMENT`] rows; rows
/// beyond the readings are bound with a NULL series and skipped. One statement (one round trip
/// to the writer's thread) for any count up to the largest, at the cost of binding at most one
/// empty row for each reading.
pub struct ReadingShapes {
    shapes: Vec<(usize, String)>,
}

impl ReadingShapes {
    fn new(backend: Backend) -> ReadingShapes {
        let mut shapes = Vec::new();
        let mut rows = 1;
        while rows <= READINGS_PER_STATEMENT {
            shapes.push((rows, device_readings_insert(rows, backend)));
            rows *= 2;
        }
        ReadingShapes { shapes }
    }

    /// The statement for `readings` readings, or for the most one statement takes if that is
    /// fewer, and its number of rows (at least `readings.min(READINGS_PER_STATEMENT)`).
    pub fn fitting(&self, readings: usize) -> (&str, usize) {
        let (rows, sql) = self
            .shapes
            .iter()
            .find(|(rows, _)| *rows >= readings)
            .or(self.shapes.last())
            .map(|(rows, sql)| (*rows, sql.as_str()))
            .unwrap_or((0, ""));
        (sql, rows)
    }

    /// The most readings one statement takes.
    pub fn most(&self) -> usize {
        self.shapes.last().map_or(1, |(rows, _)| *rows)
    }
}

/// The statements of the ingest for one backend, and its commit queue: both are built once
/// per service and shared by its clones.
pub struct Statements {
    /// One device's message ids (`$1` the device, `$2` the time received, `$3` a JSON array
    /// of ids), failing if one was stored before: the common case, for which PostgreSQL does
    /// less work than for `ON CONFLICT` (no speculative insertion).
    pub insert_new_messages: String,
    /// The same, skipping ids already stored.
    pub insert_messages: String,
    /// Of one device's message ids (`$1` the device, `$2` a JSON array of ids), those already
    /// stored.
    pub existing_messages: String,
    /// Rows `[resident_id, series, taken_at, device_id, message_id, value]` (the review path).
    pub insert_readings: String,
    /// Multi-row INSERTs of one device's readings with bound values (the hot path; see
    /// `device_readings_insert`): measured faster on SQLite than unpacking columns per row
    /// from JSON, where each `->>` parses the row again (ADR 0010).
    pub reading_shapes: ReadingShapes,
    /// Rows `[resident_id, series, period, period_start, count, min, max, sum]`, added to the
    /// figures already kept.
    pub upsert_summaries: String,
    /// Rows `[resident_id, series, day_start, changed_at]`: days whose record summary is due;
    /// a day already due gets a new `version`, so a summary recorded from older figures does
    /// not clear it.
    pub mark_days_changed: String,
    /// Requests waiting for the writer's turn (group commit). Here rather than on `Devices`
    /// because this is the part of the service the ingest owns.
    pub(crate) commits: crate::ingest::CommitQueue,
}

/// Column types of a JSON row, for PostgreSQL's casts.
#[derive(Clone, Copy)]
enum Col {
    Text,
    Int,
    Real,
}

fn select_rows(backend: Backend, cols: &[Col]) -> String {
    match backend {
        Backend::Sqlite => {
            let list: Vec<String> = (0..cols.len()).map(|i| format!("value ->> {i}")).collect();
            format!("SELECT {} FROM json_each($1) WHERE true", list.join(", "))
        }
        Backend::Postgres => {
            let list: Vec<String> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Col::Text => format!("e ->> {i}"),
                    Col::Int => format!("(e ->> {i})::BIGINT"),
                    Col::Real => format!("(e ->> {i})::DOUBLE PRECISION"),
                })
                .collect();
            format!(
                "SELECT {} FROM jsonb_array_elements($1::jsonb) AS e",
                list.join(", ")
            )
        }
    }
}

/// `SELECT $1, id, $2` for each id in the JSON array of strings `$3`.
fn select_ids(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SELECT $1, value, $2 FROM json_each($3) WHERE true",
        Backend::Postgres => "SELECT $1, e, $2 FROM jsonb_array_elements_text($3::jsonb) AS e",
    }
}

impl Statements {
    /// The statements for `backend`.
    pub fn for_backend(backend: Backend) -> Statements {
        use Col::{Int, Real, Text};
        let (least, greatest) = match backend {
            Backend::Sqlite => ("MIN", "MAX"),
            Backend::Postgres => ("LEAST", "GREATEST"),
        };
        Statements {
            reading_shapes: ReadingShapes::new(backend),
            insert_new_messages: format!(
                "INSERT INTO device_messages (device_id, message_id, received_at) {}",
                select_ids(backend)
            ),
            insert_messages: format!(
                "INSERT INTO device_messages (device_id, message_id, received_at) {} \
                 ON CONFLICT DO NOTHING",
                select_ids(backend)
            ),
            existing_messages: match backend {
                Backend::Sqlite => "SELECT message_id FROM device_messages WHERE device_id = $1 \
                     AND message_id IN (SELECT value FROM json_each($2))"
                    .to_owned(),
                Backend::Postgres => "SELECT message_id FROM device_messages WHERE device_id = $1 \
                     AND message_id IN (SELECT jsonb_array_elements_text($2::jsonb))"
                    .to_owned(),
            },
            insert_readings: format!(
                "INSERT INTO device_readings (resident_id, series, taken_at, device_id, message_id, value) {}",
                select_rows(backend, &[Text, Text, Int, Text, Text, Real])
            ),
            upsert_summaries: format!(
                "INSERT INTO device_summaries (resident_id, series, period, period_start, count, \
                 min_value, max_value, sum_value) {} \
                 ON CONFLICT (resident_id, series, period, period_start) DO UPDATE SET \
                 count = device_summaries.count + excluded.count, \
                 min_value = {least}(device_summaries.min_value, excluded.min_value), \
                 max_value = {greatest}(device_summaries.max_value, excluded.max_value), \
                 sum_value = device_summaries.sum_value + excluded.sum_value",
                select_rows(backend, &[Text, Text, Text, Int, Int, Real, Real, Real])
            ),
            mark_days_changed: format!(
                "INSERT INTO device_days_changed (resident_id, series, day_start, changed_at, version) \
                 SELECT d.*, 1 FROM ({}) AS d WHERE true \
                 ON CONFLICT (resident_id, series, day_start) DO UPDATE SET \
                 changed_at = excluded.changed_at, version = device_days_changed.version + 1",
                select_rows(backend, &[Text, Text, Int, Int])
            ),
            commits: crate::ingest::CommitQueue::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_devices_readings_bind_its_resident_and_device_once_last() {
        assert_eq!(
            device_readings_insert(2, Backend::Sqlite),
            "INSERT INTO device_readings (series, taken_at, message_id, value, resident_id, \
             device_id) SELECT v.*, d.* FROM (VALUES (?,?,?,?),(?,?,?,?)) AS v, (SELECT ?, ?) AS d \
             WHERE v.column1 IS NOT NULL"
        );
        let postgres = device_readings_insert(2, Backend::Postgres);
        assert!(
            postgres.contains("($1,$2,$3,$4),($5,$6,$7,$8)) AS v, (SELECT $9, $10) AS d"),
            "{postgres}"
        );
        let shapes = Statements::for_backend(Backend::Sqlite).reading_shapes;
        assert_eq!(shapes.most(), READINGS_PER_STATEMENT);
        for (readings, rows) in [
            (1, 1),
            (3, 4),
            (5, 8),
            (100, 128),
            (1_000, 1_024),
            (5_000, 1_024),
        ] {
            let (sql, shape) = shapes.fitting(readings);
            assert_eq!(shape, rows, "{readings} readings");
            assert_eq!(sql.matches('?').count(), 4 * rows + 2);
        }
    }

    #[test]
    fn each_backend_unpacks_the_json_parameter_its_own_way() {
        let s = Statements::for_backend(Backend::Sqlite);
        assert!(s.insert_readings.ends_with(
            "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each($1) WHERE true"
        ));
        assert!(
            s.upsert_summaries
                .contains("MIN(device_summaries.min_value")
        );
        let p = Statements::for_backend(Backend::Postgres);
        assert!(p.insert_readings.contains("(e ->> 2)::BIGINT"));
        assert!(
            p.insert_readings
                .contains("jsonb_array_elements($1::jsonb)")
        );
        assert!(
            p.upsert_summaries
                .contains("LEAST(device_summaries.min_value")
        );
    }
}
