//! Many companies at once: facts held as columns, a clause compiled once into operations over
//! column indexes, each operation a tight loop over whole columns (which the compiler can
//! vectorise). Gives each row the same maximum amount as [`crate::evaluate`] with no history
//! (a property test holds the two together), without the trace.

use std::io::Read;

use jiff::civil::Date;

use crate::clause::{Clause, Condition, Formula};
use crate::error::PolicyError;
use crate::evaluate::in_band;
use crate::facts::{FactDef, FactKind, FactValue, Facts};
use crate::money::{Money, Ratio};

const MISSING_CODE: u16 = u16::MAX;
const NO_OPTION: u8 = u8::MAX;

/// One fact for every row.
#[derive(Debug, Clone, PartialEq)]
enum Column {
    /// Amounts (yuan) or counts; `present[i] == false` when row `i` did not give it.
    Number {
        values: Vec<i64>,
        present: Vec<bool>,
    },
    /// 0 no, 1 yes, 2 not given.
    Flag(Vec<u8>),
    /// Index into the fact's choices; [`MISSING_CODE`] when not given.
    Choice(Vec<u16>),
    /// Dates and identifiers: read by no condition or formula, kept for [`FactTable::row`];
    /// `present` is what a subject key checks, kept apart so the check reads one byte a row.
    Other {
        values: Vec<Option<FactValue>>,
        present: Vec<bool>,
    },
}

/// Facts of many companies, one column per fact of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct FactTable {
    defs: Vec<FactDef>,
    columns: Vec<Column>,
    rows: usize,
}

impl FactTable {
    /// An empty table with a column for each fact.
    pub fn new(defs: &[FactDef]) -> FactTable {
        let columns = defs
            .iter()
            .map(|d| match d.kind {
                FactKind::Money | FactKind::Count => Column::Number {
                    values: Vec::new(),
                    present: Vec::new(),
                },
                FactKind::Flag => Column::Flag(Vec::new()),
                FactKind::Choice => Column::Choice(Vec::new()),
                FactKind::Date | FactKind::Text => Column::Other {
                    values: Vec::new(),
                    present: Vec::new(),
                },
            })
            .collect();
        FactTable {
            defs: defs.to_vec(),
            columns,
            rows: 0,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Adds one company's facts, checked: an unknown fact or a bad value is refused and the
    /// table is left unchanged.
    pub fn push(&mut self, facts: &Facts) -> Result<(), PolicyError> {
        for (name, value) in facts.iter() {
            let def = self.defs.iter().find(|d| d.name == name).ok_or_else(|| {
                PolicyError::InvalidFact {
                    fact: name.to_owned(),
                    reason_en: "is not in the fact catalogue".to_owned(),
                    reason_zh: "不在信息目录中".to_owned(),
                }
            })?;
            def.check(value)?;
        }
        for (def, column) in self.defs.iter().zip(self.columns.iter_mut()) {
            let value = facts.get(&def.name);
            match column {
                Column::Number { values, present } => {
                    let n = match value {
                        Some(FactValue::Money(m)) => Some(m.0),
                        Some(FactValue::Count(c)) => Some(*c),
                        _ => None,
                    };
                    values.push(n.unwrap_or(0));
                    present.push(n.is_some());
                }
                Column::Flag(values) => values.push(match value {
                    Some(FactValue::Flag(true)) => 1,
                    Some(FactValue::Flag(false)) => 0,
                    _ => 2,
                }),
                Column::Choice(codes) => codes.push(match value {
                    Some(FactValue::Choice(c)) => code_of(def, c),
                    _ => MISSING_CODE,
                }),
                Column::Other { values, present } => {
                    present.push(value.is_some());
                    values.push(value.cloned());
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Reads a CSV whose header names facts of `defs`; an empty cell is a fact not given.
    /// Cells are read as [`FactDef::parse_value`] does; the first bad cell is refused with
    /// its row (1 = the first data row).
    pub fn from_csv<R: Read>(reader: R, defs: &[FactDef]) -> Result<FactTable, CsvError> {
        let mut csv = csv::Reader::from_reader(reader);
        let headers = csv
            .headers()
            .map_err(|e| CsvError::Read(e.to_string()))?
            .clone();
        let mut columns = Vec::with_capacity(headers.len());
        for h in headers.iter() {
            let def = defs
                .iter()
                .find(|d| d.name == h)
                .ok_or_else(|| CsvError::UnknownColumn(h.to_owned()))?;
            columns.push(def);
        }
        let mut table = FactTable::new(defs);
        for (i, record) in csv.records().enumerate() {
            let record = record.map_err(|e| CsvError::Read(e.to_string()))?;
            let mut facts = Facts::new();
            for (def, cell) in columns.iter().zip(record.iter()) {
                if cell.trim().is_empty() {
                    continue;
                }
                let value = def.parse_value(cell).map_err(|e| CsvError::Cell {
                    row: i + 1,
                    error: e,
                })?;
                facts.set(&def.name, value);
            }
            table.push(&facts).map_err(|e| CsvError::Cell {
                row: i + 1,
                error: e,
            })?;
        }
        Ok(table)
    }

    /// Row `row` as facts, for [`crate::evaluate`] with a trace.
    pub fn row(&self, row: usize) -> Result<Facts, PolicyError> {
        if row >= self.rows {
            return Err(PolicyError::NoSuchRow {
                row,
                rows: self.rows,
            });
        }
        let mut facts = Facts::new();
        for (def, column) in self.defs.iter().zip(&self.columns) {
            let value = match column {
                Column::Number { values, present } if present[row] => Some(match def.kind {
                    FactKind::Money => FactValue::Money(Money(values[row])),
                    _ => FactValue::Count(values[row]),
                }),
                Column::Flag(v) if v[row] < 2 => Some(FactValue::Flag(v[row] == 1)),
                Column::Choice(c) if c[row] != MISSING_CODE => def
                    .choices
                    .get(usize::from(c[row]))
                    .map(|d| FactValue::Choice(d.value.clone())),
                Column::Other { values, .. } => values[row].clone(),
                _ => None,
            };
            if let Some(value) = value {
                facts.set(&def.name, value);
            }
        }
        Ok(facts)
    }

    fn index(&self, name: &str) -> Result<usize, PolicyError> {
        self.defs
            .iter()
            .position(|d| d.name == name)
            .ok_or_else(|| PolicyError::MissingFact {
                fact: name.to_owned(),
            })
    }
}

fn code_of(def: &FactDef, value: &str) -> u16 {
    def.choices
        .iter()
        .position(|c| c.value == value)
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(MISSING_CODE)
}

/// Why a CSV of facts cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// Not readable CSV.
    #[error("the CSV cannot be read: {0}")]
    Read(String),
    /// A header that names no fact.
    #[error("column {0:?} is not a fact of the catalogue")]
    UnknownColumn(String),
    /// A cell with a bad value.
    #[error("row {row}: {error}")]
    Cell {
        /// Data row, from 1.
        row: usize,
        /// What is wrong.
        error: PolicyError,
    },
}

/// A clause compiled against a table's columns: run it on the table as often as needed.
#[derive(Debug, Clone)]
pub struct Compiled {
    gate: Vec<Op>,
    formula: Expr,
    caps: Vec<i64>,
}

#[derive(Debug, Clone)]
enum Op {
    Is {
        col: usize,
        code: u16,
    },
    /// Codes as a bit set (every catalogue choice list is shorter than 64).
    OneOf {
        col: usize,
        codes: u64,
    },
    Flag {
        col: usize,
        value: u8,
    },
    AtLeast {
        col: usize,
        value: i64,
    },
    Present {
        col: usize,
    },
    Any(Vec<Op>),
    All(Vec<Op>),
}

#[derive(Debug, Clone)]
enum Expr {
    Fixed(i64),
    Ratio {
        col: usize,
        bp: i64,
        max: Option<i64>,
    },
    Each {
        col: usize,
        each: i64,
        max: Option<i64>,
    },
    /// Eligible, no computable amount (committee, not stated): 0.
    Zero,
    ByChoice {
        col: usize,
        /// For each code below 64, the index of its option, or `NO_OPTION`.
        slot: [u8; 64],
        options: Vec<Expr>,
    },
    Bands {
        col: usize,
        bands: Vec<(crate::clause::Band, Expr)>,
    },
}

/// Compiles `clause` for `table`'s columns.
pub fn compile(clause: &Clause, table: &FactTable) -> Result<Compiled, PolicyError> {
    let place_col = table.index(clause.level.fact())?;
    let place_code = code_of(&table.defs[place_col], &clause.jurisdiction);
    let mut gate = vec![Op::Is {
        col: place_col,
        code: place_code,
    }];
    for c in &clause.conditions {
        gate.push(compile_condition(c, table)?);
    }
    for k in &clause.subject_key {
        gate.push(Op::Present {
            col: table.index(k)?,
        });
    }
    Ok(Compiled {
        gate,
        formula: compile_formula(&clause.formula, table)?,
        caps: clause.caps.iter().map(|c| c.limit.0).collect(),
    })
}

/// The maximum amount of `clause` for every row of `table` on `on`, with no history: the
/// exact amount, the on-merit maximum, or 0 when not eligible or not computable.
pub fn evaluate_batch(
    clause: &Clause,
    table: &FactTable,
    on: Date,
) -> Result<Vec<Money>, PolicyError> {
    if !clause.in_force_on(on) {
        return Err(PolicyError::NotInForce {
            id: clause.id.clone(),
            on,
            from: clause.effective_from,
            to: clause.effective_to,
        });
    }
    let compiled = compile(clause, table)?;
    Ok(compiled.run(table).into_iter().map(Money).collect())
}

/// Rows evaluated together: small enough that a block's masks and amounts stay in cache.
const BLOCK: usize = 2048;

impl Compiled {
    /// Amounts in yuan, one per row.
    pub fn run(&self, table: &FactTable) -> Vec<i64> {
        let mut out = vec![0; table.rows];
        self.run_into(table, &mut out);
        out
    }

    /// Writes the amounts into `out` (one per row; extra entries are left alone), reusing the
    /// caller's buffer.
    pub fn run_into(&self, table: &FactTable, out: &mut [i64]) {
        let mut scratch = Scratch::default();
        let n = table.rows.min(out.len());
        let mut start = 0;
        while start < n {
            let end = (start + BLOCK).min(n);
            self.run_block(table, start, &mut out[start..end], &mut scratch);
            start = end;
        }
    }

    fn run_block(&self, table: &FactTable, start: usize, out: &mut [i64], scratch: &mut Scratch) {
        let len = out.len();
        let mut mask = scratch.take_u8(len, 1);
        for op in &self.gate {
            and_op(op, table, start, &mut mask, scratch);
            // Most rows fail some condition: stop as soon as none is left.
            if !mask.contains(&1) {
                out.fill(0);
                scratch.give_u8(mask);
                return;
            }
        }
        // The formula runs only for the rows left: offsets within the block.
        let mut rows = scratch.take_u32();
        rows.resize(len, 0);
        // Branchless: every offset is written, the count advances only for kept rows.
        let mut kept = 0;
        for (i, &m) in mask.iter().enumerate() {
            rows[kept] = i as u32;
            kept += usize::from(m);
        }
        rows.truncate(kept);
        out.fill(0);
        let mut ok = scratch.take_u8(len, 0);
        run_expr(&self.formula, table, start, &rows, out, &mut ok, scratch);
        let cap = self.caps.iter().copied().min().unwrap_or(i64::MAX);
        for &i in &rows {
            let i = i as usize;
            out[i] = if ok[i] == 1 { out[i].min(cap) } else { 0 };
        }
        scratch.give_u8(mask);
        scratch.give_u8(ok);
        scratch.give_u32(rows);
    }
}

/// Buffers reused across blocks, so a run allocates a handful of vectors, not one per step.
#[derive(Default)]
struct Scratch {
    u8s: Vec<Vec<u8>>,
    u32s: Vec<Vec<u32>>,
}

impl Scratch {
    fn take_u8(&mut self, len: usize, fill: u8) -> Vec<u8> {
        let mut v = self.u8s.pop().unwrap_or_default();
        v.clear();
        v.resize(len, fill);
        v
    }
    fn give_u8(&mut self, v: Vec<u8>) {
        self.u8s.push(v);
    }
    fn take_u32(&mut self) -> Vec<u32> {
        let mut v = self.u32s.pop().unwrap_or_default();
        v.clear();
        v
    }
    fn give_u32(&mut self, v: Vec<u32>) {
        self.u32s.push(v);
    }
}

fn compile_condition(c: &Condition, table: &FactTable) -> Result<Op, PolicyError> {
    Ok(match c {
        Condition::Is { fact, value } => {
            let col = table.index(fact)?;
            Op::Is {
                col,
                code: code_of(&table.defs[col], value),
            }
        }
        Condition::OneOf { fact, values } => {
            let col = table.index(fact)?;
            let mut codes = 0u64;
            for v in values {
                let code = code_of(&table.defs[col], v);
                if code >= 64 {
                    return Err(PolicyError::InvalidFact {
                        fact: fact.clone(),
                        reason_en: format!(
                            "{v:?} is not among the first 64 choices the batch path handles"
                        ),
                        reason_zh: format!("“{v}”不在批量计算支持的前64个可选值之内"),
                    });
                }
                codes |= 1 << code;
            }
            Op::OneOf { col, codes }
        }
        Condition::Flag { fact, value } => Op::Flag {
            col: table.index(fact)?,
            value: u8::from(*value),
        },
        Condition::AtLeast { fact, value } => Op::AtLeast {
            col: table.index(fact)?,
            value: *value,
        },
        Condition::Any(cs) => Op::Any(
            cs.iter()
                .map(|c| compile_condition(c, table))
                .collect::<Result<_, _>>()?,
        ),
        Condition::All(cs) => Op::All(
            cs.iter()
                .map(|c| compile_condition(c, table))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn compile_formula(f: &Formula, table: &FactTable) -> Result<Expr, PolicyError> {
    Ok(match f {
        Formula::Fixed(m) => Expr::Fixed(m.0),
        Formula::UpTo { max, .. } => Expr::Fixed(max.0),
        Formula::Ratio { of, ratio, max } | Formula::RatioUpTo { of, ratio, max, .. } => {
            Expr::Ratio {
                col: table.index(of)?,
                bp: i64::from(ratio.basis_points()),
                max: max.map(|m| m.0),
            }
        }
        Formula::Each { per, each, max } => Expr::Each {
            col: table.index(per)?,
            each: each.0,
            max: max.map(|m| m.0),
        },
        Formula::Committee { .. } | Formula::NotStated => Expr::Zero,
        Formula::ByChoice { fact, options } => {
            let col = table.index(fact)?;
            let mut slot = [NO_OPTION; 64];
            let mut compiled = Vec::with_capacity(options.len());
            for (k, (value, inner)) in options.iter().enumerate() {
                let code = usize::from(code_of(&table.defs[col], value));
                let index = u8::try_from(k).ok().filter(|_| code < 64).ok_or_else(|| {
                    PolicyError::InvalidFact {
                        fact: fact.clone(),
                        reason_en: format!("{value:?} is beyond the 64 choices and 255 options the batch path handles"),
                        reason_zh: format!("“{value}”超出批量计算支持的范围"),
                    }
                })?;
                slot[code] = index;
                compiled.push(compile_formula(inner, table)?);
            }
            Expr::ByChoice {
                col,
                slot,
                options: compiled,
            }
        }
        Formula::Bands { on, bands } => Expr::Bands {
            col: table.index(on)?,
            bands: bands
                .iter()
                .map(|b| Ok((b.clone(), compile_formula(&b.formula, table)?)))
                .collect::<Result<_, PolicyError>>()?,
        },
    })
}

/// `mask[i] &= op holds for row start + i`.
fn and_op(op: &Op, table: &FactTable, start: usize, mask: &mut [u8], scratch: &mut Scratch) {
    let end = start + mask.len();
    match (op, op_column(op, table)) {
        // A value not among the choices (MISSING_CODE) never matches a given value.
        (Op::Is { code, .. }, Some(Column::Choice(_))) if *code == MISSING_CODE => mask.fill(0),
        (Op::Is { code, .. }, Some(Column::Choice(c))) => {
            for (m, &x) in mask.iter_mut().zip(&c[start..end]) {
                *m &= u8::from(x == *code);
            }
        }
        (Op::OneOf { codes, .. }, Some(Column::Choice(c))) => {
            for (m, &x) in mask.iter_mut().zip(&c[start..end]) {
                // Codes of 64 and above (MISSING_CODE) are never in the set.
                let bit = codes.checked_shr(u32::from(x)).unwrap_or(0) & 1;
                *m &= u8::from(bit == 1);
            }
        }
        (Op::Flag { value, .. }, Some(Column::Flag(f))) => {
            for (m, &x) in mask.iter_mut().zip(&f[start..end]) {
                *m &= u8::from(x == *value);
            }
        }
        (Op::AtLeast { value, .. }, Some(Column::Number { values, present })) => {
            for ((m, &v), &p) in mask
                .iter_mut()
                .zip(&values[start..end])
                .zip(&present[start..end])
            {
                *m &= u8::from(p && v >= *value);
            }
        }
        (Op::Present { .. }, Some(column)) => match column {
            Column::Number { present, .. } => {
                for (m, &p) in mask.iter_mut().zip(&present[start..end]) {
                    *m &= u8::from(p);
                }
            }
            Column::Flag(f) => {
                for (m, &x) in mask.iter_mut().zip(&f[start..end]) {
                    *m &= u8::from(x < 2);
                }
            }
            Column::Choice(c) => {
                for (m, &x) in mask.iter_mut().zip(&c[start..end]) {
                    *m &= u8::from(x != MISSING_CODE);
                }
            }
            Column::Other { present, .. } => {
                for (m, &p) in mask.iter_mut().zip(&present[start..end]) {
                    *m &= u8::from(p);
                }
            }
        },
        (Op::Any(ops), _) => {
            let mut any = scratch.take_u8(mask.len(), 0);
            let mut one = scratch.take_u8(mask.len(), 1);
            for o in ops {
                one.fill(1);
                and_op(o, table, start, &mut one, scratch);
                for (a, b) in any.iter_mut().zip(&one) {
                    *a |= b;
                }
            }
            for (m, a) in mask.iter_mut().zip(&any) {
                *m &= a;
            }
            scratch.give_u8(any);
            scratch.give_u8(one);
        }
        (Op::All(ops), _) => {
            for o in ops {
                and_op(o, table, start, mask, scratch);
            }
        }
        // A condition over a column of another type never holds (evaluate says the same).
        _ => mask.fill(0),
    }
}

fn op_column<'t>(op: &Op, table: &'t FactTable) -> Option<&'t Column> {
    match op {
        Op::Is { col, .. }
        | Op::OneOf { col, .. }
        | Op::Flag { col, .. }
        | Op::AtLeast { col, .. }
        | Op::Present { col } => table.columns.get(*col),
        Op::Any(_) | Op::All(_) => None,
    }
}

fn numbers(table: &FactTable, col: usize) -> Option<(&[i64], &[bool])> {
    match table.columns.get(col) {
        Some(Column::Number { values, present }) => Some((values, present)),
        _ => None,
    }
}

/// For each row offset `i` in `rows` (within the block that starts at `start`): the amount into
/// `out[i]` and whether the formula could be applied into `ok[i]`. Other entries are left alone.
fn run_expr(
    expr: &Expr,
    table: &FactTable,
    start: usize,
    rows: &[u32],
    out: &mut [i64],
    ok: &mut [u8],
    scratch: &mut Scratch,
) {
    match expr {
        Expr::Fixed(m) => {
            for &i in rows {
                out[i as usize] = *m;
                ok[i as usize] = 1;
            }
        }
        Expr::Zero => {
            for &i in rows {
                out[i as usize] = 0;
                ok[i as usize] = 1;
            }
        }
        Expr::Ratio { col, bp, max } => {
            let Some((values, present)) = numbers(table, *col) else {
                return;
            };
            let ratio = Ratio::from_basis_points(u32::try_from(*bp).unwrap_or(0));
            let cap = max.unwrap_or(i64::MAX);
            for &i in rows {
                let (i, r) = (i as usize, start + i as usize);
                let v = values[r];
                // i64 while the product fits (any base under 9.2 × 10^14 yuan).
                let share = match v.checked_mul(*bp) {
                    Some(prod) => prod / 10_000,
                    None => Money(v).times(ratio).0,
                };
                out[i] = share.min(cap);
                ok[i] = u8::from(present[r]);
            }
        }
        Expr::Each { col, each, max } => {
            let Some((values, present)) = numbers(table, *col) else {
                return;
            };
            let cap = max.unwrap_or(i64::MAX);
            for &i in rows {
                let (i, r) = (i as usize, start + i as usize);
                out[i] = values[r].saturating_mul(*each).min(cap);
                ok[i] = u8::from(present[r]);
            }
        }
        Expr::ByChoice { col, slot, options } => {
            let Some(Column::Choice(codes)) = table.columns.get(*col) else {
                return;
            };
            // One pass sorts the rows into their option's bucket.
            let mut buckets: Vec<Vec<u32>> = options.iter().map(|_| scratch.take_u32()).collect();
            for &i in rows {
                let code = usize::from(codes[start + i as usize]);
                if let Some(&k) = slot.get(code).filter(|&&k| k != NO_OPTION) {
                    buckets[usize::from(k)].push(i);
                }
            }
            for (inner, bucket) in options.iter().zip(&buckets) {
                if !bucket.is_empty() {
                    run_expr(inner, table, start, bucket, out, ok, scratch);
                }
            }
            for b in buckets {
                scratch.give_u32(b);
            }
        }
        Expr::Bands { col, bands } => {
            let Some((values, present)) = numbers(table, *col) else {
                return;
            };
            let mut left = scratch.take_u32();
            left.extend(
                rows.iter()
                    .copied()
                    .filter(|&i| present[start + i as usize]),
            );
            let mut picked = scratch.take_u32();
            for (band, inner) in bands {
                picked.clear();
                picked.extend(
                    left.iter()
                        .copied()
                        .filter(|&i| in_band(band, values[start + i as usize])),
                );
                if picked.is_empty() {
                    continue;
                }
                // A value in two bands takes the first.
                left.retain(|&i| !in_band(band, values[start + i as usize]));
                run_expr(inner, table, start, &picked, out, ok, scratch);
            }
            scratch.give_u32(left);
            scratch.give_u32(picked);
        }
    }
}
