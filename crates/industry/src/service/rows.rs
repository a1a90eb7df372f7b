//! Reading and writing the register's rows. Writes take a connection so that a single action
//! and a whole import use the same statements inside their own transaction.

use jiff::civil::Date;
use store::sqlx::{self, AnyConnection, Row, any::AnyRow};

use crate::company::{CITY, Company, CompanyFields, PROVINCE};
use crate::error::{IndustryError, Result};
use crate::figures::YearFigures;
use crate::product::{DeviceClass, DrugClass, Product, ProductKind};
use crate::qualification::{Qualification, QualificationKind};
use crate::segment::{Segment, keys_of};
use crate::stage::{Stage, StageEvent};
use crate::uscc::Uscc;

pub(crate) const COMPANY_COLUMNS: &str = "id, uscc, name, organisation_id, city, province, \
     district, park, segments, founded, paid_in_capital_yuan, listed, created_at";

fn corrupt(what: &str, value: &str) -> IndustryError {
    IndustryError::Corrupt(format!("{what}: {value}"))
}

pub(crate) fn date(text: &str) -> Result<Date> {
    text.parse::<Date>().map_err(|_| corrupt("date", text))
}

pub(crate) fn company(row: &AnyRow) -> Result<Company> {
    let uscc: String = row.try_get("uscc")?;
    let segments: String = row.try_get("segments")?;
    let founded: String = row.try_get("founded")?;
    let listed: i64 = row.try_get("listed")?;
    Ok(Company {
        id: row.try_get("id")?,
        uscc: Uscc::parse(&uscc).map_err(|_| corrupt("uscc", &uscc))?,
        name: row.try_get("name")?,
        organisation_id: row.try_get("organisation_id")?,
        city: row.try_get("city")?,
        province: row.try_get("province")?,
        district: row.try_get("district")?,
        park: row.try_get("park")?,
        segments: segments
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| Segment::from_key(s).ok_or_else(|| corrupt("segment", s)))
            .collect::<Result<_>>()?,
        founded: date(&founded)?,
        paid_in_capital_yuan: row.try_get("paid_in_capital_yuan")?,
        listed: listed != 0,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) fn figures(row: &AnyRow) -> Result<YearFigures> {
    let year: i64 = row.try_get("year")?;
    Ok(YearFigures {
        year: i16::try_from(year).map_err(|_| corrupt("year", &year.to_string()))?,
        revenue_yuan: row.try_get("revenue_yuan")?,
        rd_spend_yuan: row.try_get("rd_spend_yuan")?,
        staff: row.try_get("staff")?,
        output_yuan: row.try_get("output_yuan")?,
        tax_yuan: row.try_get("tax_yuan")?,
    })
}

pub(crate) fn qualification(row: &AnyRow) -> Result<Qualification> {
    let kind: String = row.try_get("kind")?;
    let obtained: String = row.try_get("obtained")?;
    let expires: Option<String> = row.try_get("expires")?;
    Ok(Qualification {
        id: row.try_get("id")?,
        company_id: row.try_get("company_id")?,
        kind: QualificationKind::from_key(&kind).ok_or_else(|| corrupt("qualification", &kind))?,
        obtained: date(&obtained)?,
        expires: expires.as_deref().map(date).transpose()?,
        evidence: row.try_get("evidence")?,
        detail: row.try_get("detail")?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

pub(crate) const PRODUCT_COLUMNS: &str =
    "id, company_id, name, kind, drug_class, device_class, special_review, started, created_at";

pub(crate) fn product(row: &AnyRow) -> Result<Product> {
    let started: String = row.try_get("started")?;
    Ok(Product {
        id: row.try_get("id")?,
        company_id: row.try_get("company_id")?,
        name: row.try_get("name")?,
        kind: product_kind(row)?,
        started: date(&started)?,
        created_at: row.try_get("created_at")?,
    })
}

fn product_kind(row: &AnyRow) -> Result<ProductKind> {
    let kind: String = row.try_get("kind")?;
    match kind.as_str() {
        "drug" => {
            let class: Option<String> = row.try_get("drug_class")?;
            let class = class.unwrap_or_default();
            Ok(ProductKind::Drug {
                class: DrugClass::from_key(&class).ok_or_else(|| corrupt("drug class", &class))?,
            })
        }
        "device" => {
            let class: Option<String> = row.try_get("device_class")?;
            let class = class.unwrap_or_default();
            let review: i64 = row.try_get("special_review")?;
            Ok(ProductKind::Device {
                class: DeviceClass::from_key(&class)
                    .ok_or_else(|| corrupt("device class", &class))?,
                innovative_special_review: review != 0,
            })
        }
        "health" => Ok(ProductKind::HealthProduct),
        other => Err(corrupt("product kind", other)),
    }
}

pub(crate) fn stage_event(row: &AnyRow) -> Result<StageEvent> {
    let stage: String = row.try_get("stage")?;
    let on: String = row.try_get("on_date")?;
    let first: i64 = row.try_get("first_in_country")?;
    Ok(StageEvent {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        stage: Stage::from_key(&stage).ok_or_else(|| corrupt("stage", &stage))?,
        on: date(&on)?,
        evidence: row.try_get("evidence")?,
        evidence_sha256: row.try_get("evidence_sha256")?,
        skips_with_reason: row.try_get("skips_with_reason")?,
        first_in_country: first != 0,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

pub(crate) async fn company_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<Company>> {
    let row = sqlx::query(&format!(
        "SELECT {COMPANY_COLUMNS} FROM industry_companies WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(company).transpose()
}

pub(crate) async fn company_by_code(
    conn: &mut AnyConnection,
    uscc: &Uscc,
) -> Result<Option<Company>> {
    let row = sqlx::query(&format!(
        "SELECT {COMPANY_COLUMNS} FROM industry_companies WHERE uscc = $1"
    ))
    .bind(uscc.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(company).transpose()
}

pub(crate) async fn insert_company(
    conn: &mut AnyConnection,
    id: &str,
    f: &CompanyFields,
    actor: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO industry_companies (id, uscc, name, organisation_id, city, province, \
         district, park, segments, founded, paid_in_capital_yuan, listed, created_at, \
         created_by, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13, $14)",
    )
    .bind(id)
    .bind(f.uscc.as_str())
    .bind(&f.name)
    .bind(f.organisation_id.as_deref())
    .bind(CITY)
    .bind(PROVINCE)
    .bind(&f.district)
    .bind(f.park.as_deref())
    .bind(keys_of(&f.segments).join(","))
    .bind(f.founded.to_string())
    .bind(f.paid_in_capital_yuan)
    .bind(i64::from(f.listed))
    .bind(now)
    .bind(actor)
    .execute(&mut *conn)
    .await
    .map_err(|e| duplicate_code(e, &f.uscc))?;
    Ok(())
}

pub(crate) async fn update_company(
    conn: &mut AnyConnection,
    id: &str,
    f: &CompanyFields,
    actor: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE industry_companies SET uscc = $2, name = $3, organisation_id = $4, \
         district = $5, park = $6, segments = $7, founded = $8, paid_in_capital_yuan = $9, \
         listed = $10, updated_at = $11, updated_by = $12 WHERE id = $1",
    )
    .bind(id)
    .bind(f.uscc.as_str())
    .bind(&f.name)
    .bind(f.organisation_id.as_deref())
    .bind(&f.district)
    .bind(f.park.as_deref())
    .bind(keys_of(&f.segments).join(","))
    .bind(f.founded.to_string())
    .bind(f.paid_in_capital_yuan)
    .bind(i64::from(f.listed))
    .bind(now)
    .bind(actor)
    .execute(&mut *conn)
    .await
    .map_err(|e| duplicate_code(e, &f.uscc))?;
    Ok(())
}

/// A second company with the same code (the unique index caught a race the look-up missed).
fn duplicate_code(e: sqlx::Error, uscc: &Uscc) -> IndustryError {
    if super::is_unique_violation(&e) {
        duplicate_uscc(uscc)
    } else {
        e.into()
    }
}

pub(crate) fn duplicate_uscc(uscc: &Uscc) -> IndustryError {
    IndustryError::conflict(
        "uscc",
        format!("统一社会信用代码{uscc}已登记，不能重复登记"),
        format!("a company with credit code {uscc} is already registered"),
    )
}

/// Writes `figures` for the year, moving the values it replaces to history. Returns the
/// replaced values, if any.
pub(crate) async fn put_figures(
    conn: &mut AnyConnection,
    company_id: &str,
    figures: &YearFigures,
    actor: &str,
    now: i64,
) -> Result<Option<YearFigures>> {
    let old = sqlx::query(
        "SELECT year, revenue_yuan, rd_spend_yuan, staff, output_yuan, tax_yuan, recorded_by, \
         recorded_at FROM industry_figures WHERE company_id = $1 AND year = $2",
    )
    .bind(company_id)
    .bind(i64::from(figures.year))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(old) = old else {
        sqlx::query(
            "INSERT INTO industry_figures (company_id, year, revenue_yuan, rd_spend_yuan, staff, \
             output_yuan, tax_yuan, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(company_id)
        .bind(i64::from(figures.year))
        .bind(figures.revenue_yuan)
        .bind(figures.rd_spend_yuan)
        .bind(figures.staff)
        .bind(figures.output_yuan)
        .bind(figures.tax_yuan)
        .bind(actor)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        return Ok(None);
    };
    let previous = self::figures(&old)?;
    let recorded_by: String = old.try_get("recorded_by")?;
    let recorded_at: i64 = old.try_get("recorded_at")?;
    sqlx::query(
        "INSERT INTO industry_figures_history (id, company_id, year, revenue_yuan, \
         rd_spend_yuan, staff, output_yuan, tax_yuan, recorded_by, recorded_at, replaced_by, \
         replaced_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(kernel::Id::new().to_string())
    .bind(company_id)
    .bind(i64::from(previous.year))
    .bind(previous.revenue_yuan)
    .bind(previous.rd_spend_yuan)
    .bind(previous.staff)
    .bind(previous.output_yuan)
    .bind(previous.tax_yuan)
    .bind(recorded_by)
    .bind(recorded_at)
    .bind(actor)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE industry_figures SET revenue_yuan = $3, rd_spend_yuan = $4, staff = $5, \
         output_yuan = $6, tax_yuan = $7, recorded_by = $8, recorded_at = $9 \
         WHERE company_id = $1 AND year = $2",
    )
    .bind(company_id)
    .bind(i64::from(figures.year))
    .bind(figures.revenue_yuan)
    .bind(figures.rd_spend_yuan)
    .bind(figures.staff)
    .bind(figures.output_yuan)
    .bind(figures.tax_yuan)
    .bind(actor)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(Some(previous))
}

pub(crate) async fn product_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<Product>> {
    let row = sqlx::query(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM industry_products WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(product).transpose()
}

pub(crate) async fn product_by_name(
    conn: &mut AnyConnection,
    company_id: &str,
    name: &str,
) -> Result<Option<Product>> {
    let row = sqlx::query(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM industry_products WHERE company_id = $1 AND name = $2"
    ))
    .bind(company_id)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(product).transpose()
}

pub(crate) async fn insert_product(
    conn: &mut AnyConnection,
    p: &Product,
    actor: &str,
) -> Result<()> {
    let (kind, drug_class, device_class, review) = match p.kind {
        ProductKind::Drug { class } => ("drug", Some(class.key()), None, false),
        ProductKind::Device {
            class,
            innovative_special_review,
        } => ("device", None, Some(class.key()), innovative_special_review),
        ProductKind::HealthProduct => ("health", None, None, false),
    };
    sqlx::query(
        "INSERT INTO industry_products (id, company_id, name, kind, drug_class, device_class, \
         special_review, started, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&p.id)
    .bind(&p.company_id)
    .bind(&p.name)
    .bind(kind)
    .bind(drug_class)
    .bind(device_class)
    .bind(i64::from(review))
    .bind(p.started.to_string())
    .bind(actor)
    .bind(p.created_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if super::is_unique_violation(&e) {
            IndustryError::conflict(
                "name",
                format!("该企业已有名为“{}”的产品", p.name),
                format!("the company already has a product named \"{}\"", p.name),
            )
        } else {
            e.into()
        }
    })?;
    Ok(())
}

pub(crate) async fn events_of(
    conn: &mut AnyConnection,
    product_id: &str,
) -> Result<Vec<StageEvent>> {
    let rows = sqlx::query(
        "SELECT id, product_id, stage, on_date, evidence, evidence_sha256, skips_with_reason, \
         first_in_country, recorded_by, recorded_at FROM industry_stage_events \
         WHERE product_id = $1 ORDER BY on_date, recorded_at, id",
    )
    .bind(product_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(stage_event).collect()
}

pub(crate) async fn insert_event(conn: &mut AnyConnection, e: &StageEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO industry_stage_events (id, product_id, stage, on_date, evidence, \
         evidence_sha256, skips_with_reason, first_in_country, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&e.id)
    .bind(&e.product_id)
    .bind(e.stage.key())
    .bind(e.on.to_string())
    .bind(&e.evidence)
    .bind(e.evidence_sha256.as_deref())
    .bind(e.skips_with_reason.as_deref())
    .bind(i64::from(e.first_in_country))
    .bind(&e.recorded_by)
    .bind(e.recorded_at)
    .execute(&mut *conn)
    .await
    .map_err(|err| {
        if super::is_unique_violation(&err) {
            IndustryError::conflict(
                "stage",
                format!("该产品已登记“{}”，阶段不能重复登记", e.stage.zh()),
                format!("{} is already recorded for this product", e.stage.en()),
            )
        } else {
            err.into()
        }
    })?;
    Ok(())
}
