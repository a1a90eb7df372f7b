//! Published list versions. Publishing freezes the approved products as the list's next
//! version; nothing changes a version afterwards (there is no update path). A product taken
//! off leaves a new version without it, which names the reason.

use std::collections::BTreeSet;

use access::Principal;
use jiff::civil::Date;
use kernel::UtcMillis;
use serde::Serialize;
use store::sqlx::{self, Row};

use crate::error::{GreenChannelError, Result};
use crate::product::Product;
use crate::service::{GreenChannel, is_unique_violation, not_future, parse_date, require_bureau};

/// One published version of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListVersion {
    pub list: String,
    pub number: u32,
    /// The date of the published document (entered by the official; not in the future).
    pub published_on: Date,
    pub published_by: String,
    pub published_at: i64,
    /// The products, by product id.
    pub entries: Vec<Product>,
    /// Products of the previous version this one no longer has.
    pub removed: Vec<Removal>,
}

impl ListVersion {
    pub fn contains(&self, product_id: &str) -> bool {
        self.entries.iter().any(|p| p.product_id == product_id)
    }
}

/// A product a version dropped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    pub product_id: String,
    pub product_name: String,
    pub reason: String,
}

impl GreenChannel {
    /// Publishes the approved products of `list` as its next version, dated `published_on`.
    /// Refused when nothing changed since the last version, or when dated before it.
    pub async fn publish_version(
        &self,
        actor: &Principal,
        list: &str,
        published_on: Date,
    ) -> Result<ListVersion> {
        let rule = self.list_rule(list)?;
        require_bureau(actor, &rule.compilers(), "publish a list version")?;
        not_future("published_on", published_on)?;
        let previous = self.latest_version(list).await?;
        let approved = self.approved(list).await?;
        let entries: Vec<Product> = approved.iter().map(|n| n.product.clone()).collect();
        let ids = |ps: &[Product]| -> BTreeSet<String> {
            ps.iter().map(|p| p.product_id.clone()).collect()
        };
        let last_number = previous.as_ref().map_or(0, |v| v.number);
        let unchanged = match &previous {
            Some(v) => ids(&v.entries) == ids(&entries),
            None => entries.is_empty(),
        };
        if unchanged {
            return Err(GreenChannelError::NothingToPublish {
                list: list.to_owned(),
                version: last_number,
            });
        }
        if let Some(v) = previous.as_ref().filter(|v| published_on < v.published_on) {
            return Err(GreenChannelError::WrongState {
                what: "list version",
                id: format!("{list} v{}", v.number),
                state: format!("published on {}", v.published_on),
                expected: "dated no earlier than the previous version",
            });
        }
        let mut removed = Vec::new();
        for gone in previous.iter().flat_map(|v| &v.entries) {
            if !entries.iter().any(|p| p.product_id == gone.product_id) {
                let reason = self
                    .removal_reason(list, &gone.product_id)
                    .await?
                    .unwrap_or_else(|| "removed".to_owned());
                removed.push(Removal {
                    product_id: gone.product_id.clone(),
                    product_name: gone.product_name.clone(),
                    reason,
                });
            }
        }
        let version = ListVersion {
            list: list.to_owned(),
            number: last_number + 1,
            published_on,
            published_by: actor.user_id.clone(),
            published_at: UtcMillis::now().0,
            entries,
            removed,
        };
        match self.insert_version(&version, &approved).await {
            Ok(()) => {}
            Err(GreenChannelError::Store(e)) if is_unique_violation(&e) => {
                return Err(GreenChannelError::Duplicate {
                    what: "list version",
                    id: format!("{list} v{}", version.number),
                    hint: "another official published it a moment ago; reload the list",
                });
            }
            Err(e) => return Err(e),
        }
        let content = serde_json::to_vec(&version).unwrap_or_default();
        self.record(
            Some(actor),
            "greenchannel.list.publish",
            ("gc_list_version", &format!("{list}:{}", version.number)),
            &content,
        )
        .await;
        Ok(version)
    }

    async fn insert_version(&self, v: &ListVersion, approved: &[crate::Nomination]) -> Result<()> {
        let number = i64::from(v.number);
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO gc_versions (list_code, version, published_on, published_by, published_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&v.list)
        .bind(number)
        .bind(v.published_on.to_string())
        .bind(&v.published_by)
        .bind(v.published_at)
        .execute(&mut *tx)
        .await?;
        for n in approved {
            let p = &n.product;
            sqlx::query(
                "INSERT INTO gc_version_entries (list_code, version, product_id, nomination_id, \
                 company_id, company_name, uscc, product_name, kind, registration_no) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&v.list)
            .bind(number)
            .bind(&p.product_id)
            .bind(&n.id)
            .bind(&p.company_id)
            .bind(&p.company_name)
            .bind(&p.uscc)
            .bind(&p.product_name)
            .bind(p.kind.code())
            .bind(&p.registration_no)
            .execute(&mut *tx)
            .await?;
        }
        for r in &v.removed {
            sqlx::query(
                "INSERT INTO gc_version_removals (list_code, version, product_id, product_name, reason) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&v.list)
            .bind(number)
            .bind(&r.product_id)
            .bind(&r.product_name)
            .bind(&r.reason)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every version of `list`, oldest first. Lists are public.
    pub async fn versions(&self, list: &str) -> Result<Vec<ListVersion>> {
        self.list_rule(list)?;
        self.load_versions(Some(list)).await
    }

    /// Version `number` of `list`.
    pub async fn version(&self, list: &str, number: u32) -> Result<ListVersion> {
        self.versions(list)
            .await?
            .into_iter()
            .find(|v| v.number == number)
            .ok_or_else(|| {
                GreenChannelError::not_found("list version", &format!("{list} v{number}"))
            })
    }

    /// The newest version of `list`, if one was published.
    pub async fn latest_version(&self, list: &str) -> Result<Option<ListVersion>> {
        Ok(self.versions(list).await?.pop())
    }

    /// Versions of one list or of all, ordered by list and number.
    pub(crate) async fn load_versions(&self, list: Option<&str>) -> Result<Vec<ListVersion>> {
        let rows = sqlx::query(
            "SELECT list_code, version, published_on, published_by, published_at FROM gc_versions \
             WHERE ($1 IS NULL OR list_code = $1) ORDER BY list_code, version",
        )
        .bind(list)
        .fetch_all(self.db.pool())
        .await?;
        let mut versions = Vec::with_capacity(rows.len());
        for r in &rows {
            let number: i64 = r.try_get(1)?;
            versions.push(ListVersion {
                list: r.try_get(0)?,
                number: u32::try_from(number)
                    .map_err(|_| GreenChannelError::Corrupt(format!("version {number}")))?,
                published_on: parse_date(&r.try_get::<String, _>(2)?)?,
                published_by: r.try_get(3)?,
                published_at: r.try_get(4)?,
                entries: Vec::new(),
                removed: Vec::new(),
            });
        }
        let entries = sqlx::query(
            "SELECT list_code, version, product_id, company_id, company_name, uscc, product_name, \
             kind, registration_no FROM gc_version_entries WHERE ($1 IS NULL OR list_code = $1) \
             ORDER BY list_code, version, product_id",
        )
        .bind(list)
        .fetch_all(self.db.pool())
        .await?;
        for r in &entries {
            let (code, number): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
            let kind: String = r.try_get(7)?;
            let product = Product {
                product_id: r.try_get(2)?,
                company_id: r.try_get(3)?,
                company_name: r.try_get(4)?,
                uscc: r.try_get(5)?,
                product_name: r.try_get(6)?,
                kind: kind
                    .parse()
                    .map_err(|_| GreenChannelError::Corrupt(format!("product kind `{kind}`")))?,
                registration_no: r.try_get(8)?,
            };
            if let Some(v) = versions
                .iter_mut()
                .find(|v| v.list == code && i64::from(v.number) == number)
            {
                v.entries.push(product);
            }
        }
        let removals = sqlx::query(
            "SELECT list_code, version, product_id, product_name, reason FROM gc_version_removals \
             WHERE ($1 IS NULL OR list_code = $1) ORDER BY list_code, version, product_id",
        )
        .bind(list)
        .fetch_all(self.db.pool())
        .await?;
        for r in &removals {
            let (code, number): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
            if let Some(v) = versions
                .iter_mut()
                .find(|v| v.list == code && i64::from(v.number) == number)
            {
                v.removed.push(Removal {
                    product_id: r.try_get(2)?,
                    product_name: r.try_get(3)?,
                    reason: r.try_get(4)?,
                });
            }
        }
        Ok(versions)
    }
}
