//! Searching stored resources: a storage-level query (AND of ORs over index values) turned
//! into one SQL statement, with the caller's visibility enforced inside it.
//!
//! The FHIR layer parses search parameters (`fhir` crate) and builds a [`Query`]; this module
//! knows the index tables and nothing of FHIR's URL syntax.

use store::Backend;
use store::sqlx::{self, Row};
use vault::BlindIndex;

use crate::protect::{blind_exact, blind_prefix, blind_token, is_personal};
use crate::record_store::{RecordStore, Stored};
use crate::{RecordsError, Result};

/// How a searched range relates to a stored range, as FHIR R4 defines its prefixes
/// (`eq ne gt lt ge le sa eb ap`), for dates (ranges of instants) and quantities (points).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    /// Starts after the end of the searched range.
    Sa,
    /// Ends before the start of the searched range.
    Eb,
    /// Overlaps the searched range.
    Ap,
}

/// One condition on one index value.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The resource's logical id.
    Id(String),
    /// `meta.lastUpdated` against the range `[low, high)` (Unix ms).
    LastUpdated {
        cmp: Comparator,
        low: i64,
        high: i64,
    },
    /// A token: `system` None matches any system, `Some(None)` only values without one.
    Token {
        param: String,
        system: Option<Option<String>>,
        code: Option<String>,
    },
    /// A string, normalised as the extractor normalises: starts with `value`, or equals it
    /// (`exact`), or contains it (`contains`; refused on personal parameters).
    String {
        param: String,
        value: String,
        exact: bool,
        contains: bool,
    },
    /// A date index value against the searched range `[low, high)`.
    Date {
        param: String,
        cmp: Comparator,
        low: i64,
        high: i64,
    },
    /// A reference to `target_id`, optionally of `target_type`.
    Reference {
        param: String,
        target_type: Option<String>,
        target_id: String,
    },
    /// A quantity compared with `value`, optionally in `code` of `system`.
    Quantity {
        param: String,
        cmp: Comparator,
        value: f64,
        system: Option<String>,
        code: Option<String>,
    },
}

/// Whose records the searcher may see. Resources outside every patient's record (an
/// Organization, a Practitioner) are visible to anyone allowed to search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every record (city scope).
    All,
    /// The records of these patients only (a resident and their household).
    Patients(Vec<String>),
    /// The records of patients served by one of `organisations` or living in one of
    /// `districts` (see `fhir_patient_links`).
    Linked {
        organisations: Vec<String>,
        districts: Vec<String>,
    },
}

/// Order of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    LastUpdated {
        descending: bool,
    },
    Id {
        descending: bool,
    },
    /// The earliest value of a date parameter.
    Date {
        param: String,
        descending: bool,
    },
}

/// A search: every group must match (AND); within a group any condition (OR).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub resource_type: String,
    pub all_of: Vec<Vec<Condition>>,
    pub visibility: Visibility,
    pub sort: Vec<SortKey>,
    /// Results per page.
    pub count: usize,
    pub offset: usize,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub resources: Vec<Stored>,
    /// Whether more results follow this page.
    pub more: bool,
}

/// A bind argument.
#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Text(String),
    Int(i64),
    Float(f64),
}

/// SQL text and its arguments, built together so placeholders always match.
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn new() -> Self {
        Sql {
            text: String::with_capacity(512),
            args: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Appends a placeholder for `arg`.
    fn arg(&mut self, arg: Arg) {
        self.args.push(arg);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
    }

    fn text(&mut self, value: &str) {
        self.arg(Arg::Text(value.to_owned()));
    }

    fn list(&mut self, values: &[String]) {
        for (n, value) in values.iter().enumerate() {
            if n > 0 {
                self.push(",");
            }
            self.text(value);
        }
    }

    fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for arg in &self.args {
            query = match arg {
                Arg::Text(v) => query.bind(v.as_str()),
                Arg::Int(v) => query.bind(*v),
                Arg::Float(v) => query.bind(*v),
            };
        }
        query
    }
}

impl RecordStore {
    /// One page of the resources matching `query`, in its order.
    pub async fn search(&self, query: &Query) -> Result<Page> {
        let mut sql = Sql::new();
        sql.push(
            "SELECT r.resource_type, r.id, r.version, r.last_updated, r.deleted, r.patient_id, \
             r.body FROM fhir_resources r WHERE ",
        );
        where_clause(&mut sql, query, self.blind_index(), self.db().backend())?;
        sql.push(" ORDER BY ");
        for key in &query.sort {
            match key {
                SortKey::LastUpdated { descending } => {
                    sql.push("r.last_updated");
                    sql.push(direction(*descending));
                }
                SortKey::Id { descending } => {
                    sql.push("r.id");
                    sql.push(direction(*descending));
                }
                SortKey::Date { param, descending } => {
                    sql.push("(SELECT MIN(d.low) FROM fhir_idx_date d WHERE d.rid = r.rid AND d.param = ");
                    sql.text(param);
                    sql.push(")");
                    sql.push(direction(*descending));
                }
            }
            sql.push(", ");
        }
        // The row id last: a stable order, so pages neither repeat nor skip.
        sql.push("r.rid LIMIT ");
        sql.arg(Arg::Int(to_i64(query.count.saturating_add(1))));
        sql.push(" OFFSET ");
        sql.arg(Arg::Int(to_i64(query.offset)));

        let rows = sql.query().fetch_all(self.db().pool()).await?;
        let more = rows.len() > query.count;
        let mut resources = Vec::with_capacity(rows.len().min(query.count));
        for row in rows.iter().take(query.count) {
            let resource_type: String = row.try_get(0)?;
            let id: String = row.try_get(1)?;
            resources.push(self.open_search_row(&resource_type, &id, row)?);
        }
        Ok(Page { resources, more })
    }

    /// Every current resource in the record of `patient_id` (FHIR `Patient/$everything`), by
    /// type then last update. The caller has checked the patient is visible.
    pub async fn compartment(&self, patient_id: &str, limit: usize) -> Result<Vec<Stored>> {
        let rows = sqlx::query(
            "SELECT r.resource_type, r.id, r.version, r.last_updated, r.deleted, r.patient_id, \
             r.body FROM fhir_resources r WHERE r.patient_id = $1 AND r.deleted = 0 \
             ORDER BY r.resource_type, r.last_updated, r.rid LIMIT $2",
        )
        .bind(patient_id)
        .bind(to_i64(limit))
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|row| {
                let resource_type: String = row.try_get(0)?;
                let id: String = row.try_get(1)?;
                self.open_search_row(&resource_type, &id, row)
            })
            .collect()
    }

    /// Which of `patient_ids` are within `reach`: [`RecordStore::patient_visible`] for many
    /// patients, in one query per 500 (the test `visibility_is_part_of_the_query...` checks
    /// the two agree).
    pub async fn visible_patients(
        &self,
        patient_ids: &[String],
        reach: &Visibility,
    ) -> Result<std::collections::HashSet<String>> {
        let (organisations, districts) = match reach {
            Visibility::All => return Ok(patient_ids.iter().cloned().collect()),
            Visibility::Patients(ids) => {
                return Ok(patient_ids
                    .iter()
                    .filter(|p| ids.contains(p))
                    .cloned()
                    .collect());
            }
            Visibility::Linked {
                organisations,
                districts,
            } => (organisations, districts),
        };
        let mut visible = std::collections::HashSet::new();
        for chunk in patient_ids.chunks(500) {
            let mut sql = Sql::new();
            sql.push(
                "SELECT DISTINCT l.patient_id FROM fhir_patient_links l WHERE l.patient_id IN (",
            );
            sql.list(chunk);
            sql.push(") AND (1 = 0");
            for (kind, values) in [("organisation", organisations), ("district", districts)] {
                if values.is_empty() {
                    continue;
                }
                sql.push(" OR (l.kind = '");
                sql.push(kind);
                sql.push("' AND l.value IN (");
                sql.list(values);
                sql.push("))");
            }
            sql.push(")");
            for row in sql.query().fetch_all(self.db().pool()).await? {
                visible.insert(row.try_get::<String, _>(0)?);
            }
        }
        Ok(visible)
    }

    /// The record (patient) of each existing, current resource of one type among `ids`:
    /// (id, patient id). Bodies are not read.
    pub async fn patients_of(
        &self,
        resource_type: &str,
        ids: &[String],
    ) -> Result<Vec<(String, Option<String>)>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new();
            sql.push("SELECT r.id, r.patient_id FROM fhir_resources r WHERE r.resource_type = ");
            sql.text(resource_type);
            sql.push(" AND r.deleted = 0 AND r.id IN (");
            sql.list(chunk);
            sql.push(")");
            for row in sql.query().fetch_all(self.db().pool()).await? {
                found.push((row.try_get(0)?, row.try_get(1)?));
            }
        }
        Ok(found)
    }

    /// The ids of the current Patient resources in the record of `patient_id` (one per
    /// organisation that registered the person), in id order.
    pub async fn patient_resource_ids(&self, patient_id: &str) -> Result<Vec<String>> {
        let mut sql = Sql::new();
        sql.push("SELECT r.id FROM fhir_resources r WHERE r.patient_id = ");
        sql.text(patient_id);
        sql.push(" AND r.resource_type = 'Patient' AND r.deleted = 0 ORDER BY r.id");
        let rows = sql.query().fetch_all(self.db().pool()).await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>(0).map_err(Into::into))
            .collect()
    }

    /// Whether the records of `patient_id` are within `visibility`: the same rule a search
    /// applies to each row, asked of one patient (before writing into their record).
    pub async fn patient_visible(&self, patient_id: &str, reach: &Visibility) -> Result<bool> {
        if *reach == Visibility::All {
            return Ok(true);
        }
        let mut sql = Sql::new();
        // A one-row derived table named `r`, so the search's visibility clause applies as is.
        sql.push("SELECT COUNT(*) FROM (SELECT ");
        sql.text(patient_id);
        sql.push(" AS patient_id) r WHERE 1 = 1");
        visibility(&mut sql, reach, false);
        let n: i64 = sql.query().fetch_one(self.db().pool()).await?.try_get(0)?;
        Ok(n > 0)
    }

    /// How many resources match `query` (ignoring its order and paging).
    pub async fn count(&self, query: &Query) -> Result<u64> {
        let mut sql = Sql::new();
        sql.push("SELECT COUNT(*) FROM fhir_resources r WHERE ");
        where_clause(&mut sql, query, self.blind_index(), self.db().backend())?;
        let total: i64 = sql.query().fetch_one(self.db().pool()).await?.try_get(0)?;
        Ok(u64::try_from(total).unwrap_or(0))
    }
}

fn direction(descending: bool) -> &'static str {
    if descending { " DESC" } else { " ASC" }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn where_clause(sql: &mut Sql, query: &Query, blind: &BlindIndex, backend: Backend) -> Result<()> {
    // With conditions to drive from, SQLite must not start from the type index (every row of
    // the type), which it would without table statistics; a unary `+` takes a column out of
    // index selection there. PostgreSQL plans from its statistics and needs no hint.
    let driven = query.all_of.iter().any(|g| !g.is_empty());
    if driven && backend == Backend::Sqlite {
        sql.push("+");
    }
    sql.push("r.resource_type = ");
    sql.text(&query.resource_type);
    sql.push(" AND r.deleted = 0");
    visibility(sql, &query.visibility, true);
    let mut groups: Vec<&Vec<Condition>> = query.all_of.iter().filter(|g| !g.is_empty()).collect();
    groups.sort_by_key(|g| g.iter().map(selectivity).max());
    for (n, group) in groups.into_iter().enumerate() {
        sql.push(" AND (");
        for (k, condition) in group.iter().enumerate() {
            if k > 0 {
                sql.push(" OR ");
            }
            condition_sql(sql, condition, blind, n == 0)?;
        }
        sql.push(")");
    }
    Ok(())
}

/// Restricts `r` to the rows `visibility` reaches; rows outside any patient's record (an
/// Organization, a Practitioner) pass when `unowned_visible`.
fn visibility(sql: &mut Sql, visibility: &Visibility, unowned_visible: bool) {
    let open = if unowned_visible {
        " AND (r.patient_id IS NULL"
    } else {
        " AND (1 = 0"
    };
    match visibility {
        Visibility::All => {}
        Visibility::Patients(ids) => {
            sql.push(open);
            if !ids.is_empty() {
                sql.push(" OR r.patient_id IN (");
                sql.list(ids);
                sql.push(")");
            }
            sql.push(")");
        }
        Visibility::Linked {
            organisations,
            districts,
        } => {
            sql.push(open);
            for (kind, values) in [("organisation", organisations), ("district", districts)] {
                if values.is_empty() {
                    continue;
                }
                sql.push(" OR r.patient_id IN (SELECT l.patient_id FROM fhir_patient_links l WHERE l.kind = '");
                sql.push(kind);
                sql.push("' AND l.value IN (");
                sql.list(values);
                sql.push("))");
            }
            sql.push(")");
        }
    }
}

/// A stored range in columns `lo`, `hi` against the searched `[sl, sh)`, per FHIR R4's search
/// prefixes on ranges; [`Comparator::matches_range`] states the same rules in Rust.
fn range_sql(sql: &mut Sql, lo: &str, hi: &str, cmp: Comparator, sl: i64, sh: i64) {
    fn compare(sql: &mut Sql, column: &str, op: &str, value: i64) {
        sql.push(column);
        sql.push(op);
        sql.arg(Arg::Int(value));
    }
    fn within(sql: &mut Sql, lo: &str, hi: &str, sl: i64, sh: i64) {
        sql.push("(");
        compare(sql, lo, " >= ", sl);
        sql.push(" AND ");
        compare(sql, hi, " <= ", sh);
        sql.push(")");
    }
    match cmp {
        Comparator::Eq => within(sql, lo, hi, sl, sh),
        Comparator::Ne => {
            sql.push("(");
            compare(sql, lo, " < ", sl);
            sql.push(" OR ");
            compare(sql, hi, " > ", sh);
            sql.push(")");
        }
        Comparator::Gt => compare(sql, hi, " > ", sh),
        Comparator::Lt => compare(sql, lo, " < ", sl),
        Comparator::Ge => {
            sql.push("(");
            compare(sql, hi, " > ", sh);
            sql.push(" OR ");
            within(sql, lo, hi, sl, sh);
            sql.push(")");
        }
        Comparator::Le => {
            sql.push("(");
            compare(sql, lo, " < ", sl);
            sql.push(" OR ");
            within(sql, lo, hi, sl, sh);
            sql.push(")");
        }
        Comparator::Sa => compare(sql, lo, " >= ", sh),
        Comparator::Eb => compare(sql, hi, " <= ", sl),
        Comparator::Ap => {
            sql.push("(");
            compare(sql, lo, " < ", sh);
            sql.push(" AND ");
            compare(sql, hi, " > ", sl);
            sql.push(")");
        }
    }
}

/// Opens the subquery of one index table, up to `alias.param = `. The driving condition is an
/// `IN` over the lookup index (the database starts from its few matching rows); the others are
/// correlated `EXISTS` probes by row id, so an unselective condition (a date range that matches
/// every row) never materialises its whole match set.
fn index_subquery(sql: &mut Sql, table: &str, alias: &str, driving: bool) {
    if driving {
        sql.push("r.rid IN (SELECT ");
        sql.push(alias);
        sql.push(".rid FROM ");
        sql.push(table);
        sql.push(" ");
        sql.push(alias);
        sql.push(" WHERE ");
    } else {
        sql.push("EXISTS (SELECT 1 FROM ");
        sql.push(table);
        sql.push(" ");
        sql.push(alias);
        sql.push(" WHERE ");
        sql.push(alias);
        sql.push(".rid = r.rid AND ");
    }
    sql.push(alias);
    sql.push(".param = ");
}

/// How many rows a condition is likely to match, as a rank (lower: fewer). The least
/// selective member decides a group's rank, since its rows are ORed in.
fn selectivity(condition: &Condition) -> u8 {
    match condition {
        Condition::Id(_) => 0,
        Condition::Reference { .. } => 1,
        Condition::String { exact: true, .. } => 2,
        Condition::Token { code: Some(_), .. } => 3,
        Condition::String {
            contains: false, ..
        } => 4,
        Condition::Quantity { .. } => 5,
        Condition::Date { .. } => 6,
        Condition::Token { code: None, .. } | Condition::String { .. } => 7,
        Condition::LastUpdated { .. } => 8,
    }
}

fn condition_sql(
    sql: &mut Sql,
    condition: &Condition,
    blind: &BlindIndex,
    driving: bool,
) -> Result<()> {
    match condition {
        Condition::Id(id) => {
            sql.push("r.id = ");
            sql.text(id);
        }
        Condition::LastUpdated { cmp, low, high } => {
            // lastUpdated is an instant: a range of one millisecond.
            range_sql(
                sql,
                "r.last_updated",
                "(r.last_updated + 1)",
                *cmp,
                *low,
                *high,
            );
        }
        Condition::Token {
            param,
            system,
            code,
        } => {
            index_subquery(sql, "fhir_idx_token", "t", driving);
            sql.text(param);
            if let Some(code) = code {
                sql.push(" AND t.code = ");
                if is_personal(param) {
                    sql.text(&blind_token(code, blind));
                } else {
                    sql.text(code);
                }
            }
            match system {
                None => {}
                Some(None) => sql.push(" AND t.system IS NULL"),
                Some(Some(system)) => {
                    sql.push(" AND t.system = ");
                    sql.text(system);
                }
            }
            sql.push(")");
        }
        Condition::String {
            param,
            value,
            exact,
            contains,
        } => {
            index_subquery(sql, "fhir_idx_string", "s", driving);
            sql.text(param);
            sql.push(" AND s.value ");
            if is_personal(param) {
                if *contains {
                    return Err(RecordsError::UnsupportedSearch {
                        param: param.clone(),
                        reason: "personal names and addresses are indexed without being stored; \
                                 search by the start of the value or the exact value instead of :contains",
                    });
                }
                sql.push("= ");
                let blinded = if *exact {
                    blind_exact(value, blind)
                } else {
                    blind_prefix(value, blind)
                };
                sql.text(&blinded);
            } else if *exact {
                sql.push("= ");
                sql.text(value);
            } else {
                sql.push("LIKE ");
                let escaped = escape_like(value);
                sql.text(&if *contains {
                    format!("%{escaped}%")
                } else {
                    format!("{escaped}%")
                });
                sql.push(" ESCAPE '\\'");
            }
            sql.push(")");
        }
        Condition::Date {
            param,
            cmp,
            low,
            high,
        } => {
            index_subquery(sql, "fhir_idx_date", "d", driving);
            sql.text(param);
            sql.push(" AND ");
            range_sql(sql, "d.low", "d.high", *cmp, *low, *high);
            sql.push(")");
        }
        Condition::Reference {
            param,
            target_type,
            target_id,
        } => {
            index_subquery(sql, "fhir_idx_reference", "f", driving);
            sql.text(param);
            sql.push(" AND f.target_id = ");
            sql.text(target_id);
            if let Some(target_type) = target_type {
                sql.push(" AND f.target_type = ");
                sql.text(target_type);
            }
            sql.push(")");
        }
        Condition::Quantity {
            param,
            cmp,
            value,
            system,
            code,
        } => {
            index_subquery(sql, "fhir_idx_quantity", "q", driving);
            sql.text(param);
            if let Some(code) = code {
                sql.push(" AND q.code = ");
                sql.text(code);
            }
            if let Some(system) = system {
                sql.push(" AND q.system = ");
                sql.text(system);
            }
            sql.push(" AND q.value ");
            let op = match cmp {
                Comparator::Eq | Comparator::Ap => "=",
                Comparator::Ne => "<>",
                Comparator::Gt | Comparator::Sa => ">",
                Comparator::Lt | Comparator::Eb => "<",
                Comparator::Ge => ">=",
                Comparator::Le => "<=",
            };
            sql.push(op);
            sql.push(" ");
            sql.arg(Arg::Float(*value));
            sql.push(")");
        }
    }
    Ok(())
}

/// Escapes LIKE wildcards so a searched `%` or `_` matches itself.
fn escape_like(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Comparator {
    /// The R4 semantics on plain ranges, the reference the SQL above must agree with:
    /// stored `[lo, hi)` against searched `[sl, sh)`.
    pub fn matches_range(self, lo: i64, hi: i64, sl: i64, sh: i64) -> bool {
        let within = lo >= sl && hi <= sh;
        match self {
            Comparator::Eq => within,
            Comparator::Ne => !within,
            Comparator::Gt => hi > sh,
            Comparator::Lt => lo < sl,
            Comparator::Ge => hi > sh || within,
            Comparator::Le => lo < sl || within,
            Comparator::Sa => lo >= sh,
            Comparator::Eb => hi <= sl,
            Comparator::Ap => lo < sh && hi > sl,
        }
    }
}
