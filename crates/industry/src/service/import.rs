//! Importing a file: read, check every row (against the register too), then write it all in
//! one transaction or nothing.

use std::collections::BTreeMap;

use access::Principal;
use jiff::civil::Date;
use kernel::UtcMillis;
use ledger::AuditEvent;
use sha2::{Digest, Sha256};
use store::sqlx::{self, AnyConnection};

use super::companies::{company_digest, figures_digest};
use super::products::stage_digest;
use super::rows;
use super::{Industry, event, today};
use crate::company::{Company, CompanyFields};
use crate::error::{IndustryError, Result, RowError};
use crate::import::columns::{self, COMPANY_COLUMNS, Located, STAGE_COLUMNS};
use crate::import::companies::{self as company_rows, CompanyRow, RowCheck};
use crate::import::sheet::{self, Sheet};
use crate::import::stages::{self as stage_rows, StageRow};
use crate::import::{Format, ImportKind, ImportReport, limits};
use crate::permission::may_import;
use crate::product::Product;
use crate::stage::{Stage, StageEvent, check_stage};

impl Industry {
    /// Imports a companies or stage-events file. Any bad cell refuses the whole file with
    /// [`IndustryError::ImportRejected`] listing every bad cell; nothing is written then.
    pub async fn import(
        &self,
        actor: &Principal,
        kind: ImportKind,
        format: Format,
        bytes: &[u8],
    ) -> Result<ImportReport> {
        may_import(actor)?;
        let sheet = sheet::read(format, bytes, limits())?;
        let table = match kind {
            ImportKind::Companies => COMPANY_COLUMNS,
            ImportKind::Stages => STAGE_COLUMNS,
        };
        let located =
            columns::locate(&sheet.headers, table).map_err(IndustryError::ImportRejected)?;
        let today = today();
        let now = UtcMillis::now().0;
        let mut report = ImportReport {
            import_id: kernel::Id::new().to_string(),
            rows: sheet.rows.len(),
            ..ImportReport::default()
        };
        let mut tx = self.db.writer().begin().await?;
        let mut events = match kind {
            ImportKind::Companies => {
                let parsed = company_rows::parse(&sheet, &located, today)
                    .map_err(IndustryError::ImportRejected)?;
                let keep_listed = located.index("listed").is_none();
                write_companies(&mut tx, actor, &parsed, keep_listed, now, &mut report).await?
            }
            ImportKind::Stages => {
                let (parsed, errors) = stage_rows::parse(&sheet, &located);
                let checked =
                    check_stages(&mut tx, &sheet, &located, parsed, errors, today).await?;
                write_stages(&mut tx, actor, checked, now, &mut report).await?
            }
        };
        let file_sha256 = hex::encode(Sha256::digest(bytes));
        sqlx::query(
            "INSERT INTO industry_imports (id, kind, format, file_sha256, data_rows, \
             companies_created, companies_updated, figures_written, products_created, \
             stages_recorded, imported_by, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&report.import_id)
        .bind(kind.key())
        .bind(format.key())
        .bind(&file_sha256)
        .bind(count(report.rows))
        .bind(count(report.companies_created))
        .bind(count(report.companies_updated))
        .bind(count(report.figures_written))
        .bind(count(report.products_created))
        .bind(count(report.stages_recorded))
        .bind(&actor.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        events.push(event(
            actor,
            "industry.import",
            "import",
            &report.import_id,
            bytes,
        ));
        self.record_all(events).await;
        Ok(report)
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn write_companies(
    conn: &mut AnyConnection,
    actor: &Principal,
    parsed: &[CompanyRow],
    keep_listed: bool,
    now: i64,
    report: &mut ImportReport,
) -> Result<Vec<AuditEvent>> {
    let mut events = Vec::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for row in parsed {
        let code = row.fields.uscc.as_str().to_owned();
        let id = match ids.get(&code) {
            Some(id) => id.clone(),
            None => {
                let (company, created) =
                    put_company(conn, actor, &row.fields, keep_listed, now).await?;
                let action = if created {
                    report.companies_created += 1;
                    "industry.company.register"
                } else {
                    report.companies_updated += 1;
                    "industry.company.update"
                };
                events.push(event(
                    actor,
                    action,
                    "enterprise",
                    &company.id,
                    company_digest(&company).as_bytes(),
                ));
                ids.insert(code, company.id.clone());
                company.id
            }
        };
        if let Some(figures) = &row.figures {
            let replaced = rows::put_figures(conn, &id, figures, &actor.user_id, now).await?;
            report.figures_written += 1;
            report.figures_replaced += usize::from(replaced.is_some());
            events.push(event(
                actor,
                "industry.figures.record",
                "enterprise",
                &id,
                figures_digest(figures).as_bytes(),
            ));
        }
    }
    Ok(events)
}

/// Creates the company, or updates the one with the same code (keeping the organisation bound
/// to it, and its listed flag when the file has no such column). Returns the entry and
/// whether it is new.
async fn put_company(
    conn: &mut AnyConnection,
    actor: &Principal,
    fields: &CompanyFields,
    keep_listed: bool,
    now: i64,
) -> Result<(Company, bool)> {
    let existing = rows::company_by_code(conn, &fields.uscc).await?;
    let (id, created) = match existing {
        Some(current) => {
            let fields = CompanyFields {
                organisation_id: current.organisation_id.clone(),
                listed: if keep_listed {
                    current.listed
                } else {
                    fields.listed
                },
                ..fields.clone()
            };
            rows::update_company(conn, &current.id, &fields, &actor.user_id, now).await?;
            (current.id, false)
        }
        None => {
            let id = kernel::Id::new().to_string();
            rows::insert_company(conn, &id, fields, &actor.user_id, now).await?;
            (id, true)
        }
    };
    let company = rows::company_by_id(conn, &id)
        .await?
        .ok_or_else(|| IndustryError::Corrupt(format!("company {id} vanished")))?;
    Ok((company, created))
}

/// A product of the file: the stored one, or one to create.
struct ProductPlan {
    product: Product,
    exists: bool,
    events: Vec<(usize, crate::stage::NewStageEvent)>,
}

/// Checks the stage rows against the register: the company must be registered, a stored
/// product must have the kind the file says, and each product's stages (stored and in the
/// file, taken in date order) must follow the stage rules. Every failure is reported.
async fn check_stages(
    conn: &mut AnyConnection,
    sheet: &Sheet,
    located: &Located,
    parsed: Vec<StageRow>,
    mut errors: Vec<RowError>,
    today: Date,
) -> Result<Vec<ProductPlan>> {
    let mut fail = |row: usize, e: &IndustryError, fallback: &'static str| {
        if let Some(sheet_row) = sheet.rows.iter().find(|r| r.number == row) {
            let mut check = RowCheck {
                row: sheet_row,
                columns: located,
                table: STAGE_COLUMNS,
                errors: &mut errors,
            };
            check.fail_with(fallback, e);
        }
    };
    let mut companies: BTreeMap<String, Option<Company>> = BTreeMap::new();
    let mut groups: BTreeMap<(String, String), Vec<StageRow>> = BTreeMap::new();
    for row in parsed {
        let code = row.uscc.as_str().to_owned();
        if !companies.contains_key(&code) {
            let found = rows::company_by_code(conn, &row.uscc).await?;
            companies.insert(code.clone(), found);
        }
        match companies.get(&code).and_then(Option::as_ref) {
            Some(company) => groups
                .entry((company.id.clone(), row.product.clone()))
                .or_default()
                .push(row),
            None => fail(
                row.row,
                &IndustryError::invalid(
                    "uscc",
                    format!("统一社会信用代码{code}的企业尚未登记：请先导入企业"),
                    format!(
                        "no company with credit code {code} is registered: import the company first"
                    ),
                ),
                "uscc",
            ),
        }
    }
    let mut plans = Vec::new();
    for ((company_id, name), mut group) in groups {
        group.sort_by_key(|r| (r.event.on, r.event.stage.rank(), r.row));
        let kind = group[0].kind;
        let stored = rows::product_by_name(conn, &company_id, &name).await?;
        let (product, exists, mut recorded) = match stored {
            Some(p) if p.kind != kind => {
                fail(
                    group[0].row,
                    &IndustryError::invalid(
                        "kind",
                        format!("产品“{name}”已登记为{}，与文件不符", p.kind.zh()),
                        format!(
                            "product \"{name}\" is registered as another kind ({})",
                            p.kind.zh()
                        ),
                    ),
                    "kind",
                );
                continue;
            }
            Some(p) => {
                let recorded: Vec<(Stage, Date)> = rows::events_of(conn, &p.id)
                    .await?
                    .into_iter()
                    .map(|e| (e.stage, e.on))
                    .collect();
                (p, true, recorded)
            }
            None => {
                let started = group
                    .iter()
                    .find_map(|r| r.started)
                    .unwrap_or(group[0].event.on);
                let product = Product {
                    id: kernel::Id::new().to_string(),
                    company_id: company_id.clone(),
                    name: name.clone(),
                    kind,
                    started,
                    created_at: 0,
                };
                (product, false, Vec::new())
            }
        };
        let mut events = Vec::new();
        for row in &group {
            match check_stage(&product.kind, &recorded, &row.event, today) {
                Ok(checked) => {
                    recorded.push((checked.stage, checked.on));
                    events.push((row.row, checked));
                }
                Err(e) => fail(row.row, &e, "stage"),
            }
        }
        plans.push(ProductPlan {
            product,
            exists,
            events,
        });
    }
    if errors.is_empty() {
        Ok(plans)
    } else {
        // By row, and within a row in the file's column order.
        errors.sort_by_key(|e| (e.row, column_position(sheet, &e.column)));
        Err(IndustryError::ImportRejected(errors))
    }
}

fn column_position(sheet: &Sheet, column: &str) -> usize {
    sheet
        .headers
        .iter()
        .position(|h| h == column)
        .unwrap_or(usize::MAX)
}

async fn write_stages(
    conn: &mut AnyConnection,
    actor: &Principal,
    plans: Vec<ProductPlan>,
    now: i64,
    report: &mut ImportReport,
) -> Result<Vec<AuditEvent>> {
    let mut audit = Vec::new();
    for plan in plans {
        let product = Product {
            created_at: now,
            ..plan.product
        };
        if !plan.exists {
            rows::insert_product(conn, &product, &actor.user_id).await?;
            report.products_created += 1;
            audit.push(event(
                actor,
                "industry.product.add",
                "product",
                &product.id,
                format!(
                    "{}|{}|{}|{}",
                    product.company_id,
                    product.name,
                    product.kind.zh(),
                    product.started
                )
                .as_bytes(),
            ));
        }
        for (_, checked) in plan.events {
            let e = StageEvent {
                id: kernel::Id::new().to_string(),
                product_id: product.id.clone(),
                stage: checked.stage,
                on: checked.on,
                evidence: checked.evidence,
                evidence_sha256: checked.evidence_sha256,
                skips_with_reason: checked.skips_with_reason,
                first_in_country: checked.first_in_country,
                recorded_by: actor.user_id.clone(),
                recorded_at: now,
            };
            rows::insert_event(conn, &e).await?;
            report.stages_recorded += 1;
            audit.push(event(
                actor,
                "industry.stage.record",
                "product",
                &product.id,
                stage_digest(&e).as_bytes(),
            ));
        }
    }
    Ok(audit)
}
