//! Nominations: a company puts one of its products forward for a list; an official of a bureau
//! that compiles the list approves it or refuses it with a reason; approved products go into
//! the next published version. A listed product is taken off with a reason.

use access::Principal;
use kernel::{Id, UtcMillis};
use serde::Serialize;
use store::sqlx::{self, Row, any::AnyRow};

use crate::error::{GreenChannelError, Result};
use crate::product::{Product, required};
use crate::rules::ListRule;
use crate::service::{
    GreenChannel, bureau_of, is_unique_violation, require_bureau, require_company,
};

/// A company's request to put a product on a list.
#[derive(Debug, Clone)]
pub struct NewNomination {
    /// A list code of the rules.
    pub list: String,
    pub product: Product,
    /// Why the product qualifies: approval documents, innovation evidence.
    pub evidence: String,
}

/// Where a nomination stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum NominationState {
    Submitted,
    Approved,
    Refused {
        reason: String,
    },
    Withdrawn,
    /// Approved, then taken off the list; the next version leaves it out.
    Removed {
        reason: String,
    },
}

impl NominationState {
    pub fn code(&self) -> &'static str {
        match self {
            NominationState::Submitted => "submitted",
            NominationState::Approved => "approved",
            NominationState::Refused { .. } => "refused",
            NominationState::Withdrawn => "withdrawn",
            NominationState::Removed { .. } => "removed",
        }
    }

    fn from_row(code: &str, reason: Option<String>) -> Result<NominationState> {
        let reason = || {
            reason.clone().ok_or_else(|| {
                GreenChannelError::Corrupt(format!("a {code} nomination has no reason"))
            })
        };
        Ok(match code {
            "submitted" => NominationState::Submitted,
            "approved" => NominationState::Approved,
            "refused" => NominationState::Refused { reason: reason()? },
            "withdrawn" => NominationState::Withdrawn,
            "removed" => NominationState::Removed { reason: reason()? },
            other => {
                return Err(GreenChannelError::Corrupt(format!(
                    "unknown nomination state `{other}`"
                )));
            }
        })
    }
}

/// A nomination as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nomination {
    pub id: String,
    pub list: String,
    #[serde(flatten)]
    pub product: Product,
    pub evidence: String,
    pub state: NominationState,
    pub submitted_by: String,
    pub submitted_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

const COLUMNS: &str = "id, list_code, company_id, company_name, uscc, product_id, product_name, \
     kind, registration_no, evidence, state, reason, submitted_by, submitted_at, decided_by, decided_at";

fn nomination_from_row(r: &AnyRow) -> Result<Nomination> {
    let kind: String = r.try_get(7)?;
    let state: String = r.try_get(10)?;
    Ok(Nomination {
        id: r.try_get(0)?,
        list: r.try_get(1)?,
        product: Product {
            company_id: r.try_get(2)?,
            company_name: r.try_get(3)?,
            uscc: r.try_get(4)?,
            product_id: r.try_get(5)?,
            product_name: r.try_get(6)?,
            kind: kind
                .parse()
                .map_err(|_| GreenChannelError::Corrupt(format!("product kind `{kind}`")))?,
            registration_no: r.try_get(8)?,
        },
        evidence: r.try_get(9)?,
        state: NominationState::from_row(&state, r.try_get(11)?)?,
        submitted_by: r.try_get(12)?,
        submitted_at: r.try_get(13)?,
        decided_by: r.try_get(14)?,
        decided_at: r.try_get(15)?,
    })
}

fn open_key(list: &str, product_id: &str) -> String {
    format!("{list}|{product_id}")
}

impl GreenChannel {
    /// The list with `code`, or a refusal naming the lists there are.
    pub(crate) fn list_rule(&self, code: &str) -> Result<&'static ListRule> {
        self.rules
            .list(code)
            .ok_or_else(|| GreenChannelError::UnknownList {
                code: code.to_owned(),
                allowed: self
                    .rules
                    .lists
                    .iter()
                    .map(|l| l.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// A company user nominates one of the company's products. A second nomination of the same
    /// product to the same list while one is submitted or approved is a conflict.
    pub async fn nominate(&self, actor: &Principal, new: NewNomination) -> Result<Nomination> {
        self.list_rule(&new.list)?;
        require_company(actor, new.product.company_id.trim(), "nominate a product")?;
        let product = new.product.checked()?;
        if let Some(own) = &actor.organisation.uscc {
            if own != &product.uscc {
                return Err(GreenChannelError::BadUscc {
                    value: product.uscc,
                    why: "it is not the credit code registered for your company".into(),
                });
            }
        }
        let evidence = required("evidence", &new.evidence)?;
        let nomination = Nomination {
            id: Id::new().to_string(),
            list: new.list.clone(),
            product,
            evidence,
            state: NominationState::Submitted,
            submitted_by: actor.user_id.clone(),
            submitted_at: UtcMillis::now().0,
            decided_by: None,
            decided_at: None,
        };
        let p = &nomination.product;
        let inserted = sqlx::query(&format!(
            "INSERT INTO gc_nominations ({COLUMNS}, open_key) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $13, NULL, NULL, $14)"
        ))
        .bind(&nomination.id)
        .bind(&nomination.list)
        .bind(&p.company_id)
        .bind(&p.company_name)
        .bind(&p.uscc)
        .bind(&p.product_id)
        .bind(&p.product_name)
        .bind(p.kind.code())
        .bind(&p.registration_no)
        .bind(&nomination.evidence)
        .bind(nomination.state.code())
        .bind(&nomination.submitted_by)
        .bind(nomination.submitted_at)
        .bind(open_key(&nomination.list, &p.product_id))
        .execute(self.db.pool())
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(GreenChannelError::Duplicate {
                    what: "nomination",
                    id: open_key(&nomination.list, &p.product_id),
                    hint: "the product already has a submitted or approved nomination for this list",
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.record(
            Some(actor),
            "greenchannel.nomination.submit",
            ("gc_nomination", &nomination.id),
            nomination.list.as_bytes(),
        )
        .await;
        Ok(nomination)
    }

    /// The company withdraws its nomination while it is still submitted.
    pub async fn withdraw(&self, actor: &Principal, id: &str) -> Result<Nomination> {
        let current = self.nomination_row(id).await?;
        require_company(actor, &current.product.company_id, "withdraw a nomination")?;
        self.move_nomination(
            actor,
            &current,
            "submitted",
            NominationState::Withdrawn,
            "greenchannel.nomination.withdraw",
        )
        .await
    }

    /// An official of a bureau that compiles the list approves a submitted nomination.
    pub async fn approve(&self, actor: &Principal, id: &str) -> Result<Nomination> {
        let current = self.nomination_row(id).await?;
        let list = self.list_rule(&current.list)?;
        require_bureau(actor, &list.compilers(), "approve a nomination")?;
        self.move_nomination(
            actor,
            &current,
            "submitted",
            NominationState::Approved,
            "greenchannel.nomination.approve",
        )
        .await
    }

    /// An official of a bureau that compiles the list refuses a submitted nomination; the
    /// reason is required and shown to the company.
    pub async fn refuse(&self, actor: &Principal, id: &str, reason: &str) -> Result<Nomination> {
        let current = self.nomination_row(id).await?;
        let list = self.list_rule(&current.list)?;
        require_bureau(actor, &list.compilers(), "refuse a nomination")?;
        let reason = required("reason", reason)?;
        self.move_nomination(
            actor,
            &current,
            "submitted",
            NominationState::Refused { reason },
            "greenchannel.nomination.refuse",
        )
        .await
    }

    /// Takes an approved product off `list` with a reason: the next published version leaves
    /// it out and names the reason; published versions keep it.
    pub async fn remove_from_list(
        &self,
        actor: &Principal,
        list: &str,
        product_id: &str,
        reason: &str,
    ) -> Result<Nomination> {
        let rule = self.list_rule(list)?;
        require_bureau(actor, &rule.compilers(), "remove a product from a list")?;
        let reason = required("reason", reason)?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM gc_nominations WHERE list_code = $1 AND product_id = $2 AND state = 'approved'"
        ))
        .bind(list)
        .bind(product_id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| GreenChannelError::not_found("product", product_id))?;
        let current = nomination_from_row(&row)?;
        self.move_nomination(
            actor,
            &current,
            "approved",
            NominationState::Removed { reason },
            "greenchannel.list.remove",
        )
        .await
    }

    /// One nomination: for its company's users and for the bureaus.
    pub async fn nomination(&self, actor: &Principal, id: &str) -> Result<Nomination> {
        let n = self.nomination_row(id).await?;
        if bureau_of(actor).is_some()
            || require_company(actor, &n.product.company_id, "read").is_ok()
        {
            Ok(n)
        } else {
            Err(GreenChannelError::not_found("nomination", id))
        }
    }

    /// Nominations, newest first: a company's users see the company's, bureau officials all;
    /// optionally of one list.
    pub async fn nominations(
        &self,
        actor: &Principal,
        list: Option<&str>,
    ) -> Result<Vec<Nomination>> {
        let company = if bureau_of(actor).is_some() {
            None
        } else {
            require_company(actor, &actor.organisation.id, "read nominations")?;
            Some(actor.organisation.id.clone())
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM gc_nominations \
             WHERE ($1 IS NULL OR company_id = $1) AND ($2 IS NULL OR list_code = $2) \
             ORDER BY submitted_at DESC, id DESC"
        ))
        .bind(company)
        .bind(list)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(nomination_from_row).collect()
    }

    /// Approved nominations of `list`: what the next version will hold.
    pub(crate) async fn approved(&self, list: &str) -> Result<Vec<Nomination>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM gc_nominations WHERE list_code = $1 AND state = 'approved' ORDER BY product_id"
        ))
        .bind(list)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(nomination_from_row).collect()
    }

    /// The latest removal reason of `product_id` from `list`.
    pub(crate) async fn removal_reason(
        &self,
        list: &str,
        product_id: &str,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT reason FROM gc_nominations WHERE list_code = $1 AND product_id = $2 \
             AND state = 'removed' ORDER BY decided_at DESC LIMIT 1",
        )
        .bind(list)
        .bind(product_id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>(0))
            .transpose()?
            .flatten())
    }

    async fn nomination_row(&self, id: &str) -> Result<Nomination> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM gc_nominations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| GreenChannelError::not_found("nomination", id))?;
        nomination_from_row(&row)
    }

    /// Moves `current` from state `from` to `to`, unless someone moved it first.
    async fn move_nomination(
        &self,
        actor: &Principal,
        current: &Nomination,
        from: &'static str,
        to: NominationState,
        action: &str,
    ) -> Result<Nomination> {
        let wrong_state = |state: &NominationState| GreenChannelError::WrongState {
            what: "nomination",
            id: current.id.clone(),
            state: state.code().to_owned(),
            expected: from,
        };
        if current.state.code() != from {
            return Err(wrong_state(&current.state));
        }
        let reason = match &to {
            NominationState::Refused { reason } | NominationState::Removed { reason } => {
                Some(reason.clone())
            }
            _ => None,
        };
        let still_open = matches!(to, NominationState::Submitted | NominationState::Approved);
        let now = UtcMillis::now().0;
        let done = sqlx::query(
            "UPDATE gc_nominations SET state = $1, reason = $2, decided_by = $3, decided_at = $4, \
             open_key = $5 WHERE id = $6 AND state = $7",
        )
        .bind(to.code())
        .bind(&reason)
        .bind(&actor.user_id)
        .bind(now)
        .bind(still_open.then(|| open_key(&current.list, &current.product.product_id)))
        .bind(&current.id)
        .bind(from)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            let now_state = self.nomination_row(&current.id).await?.state;
            return Err(wrong_state(&now_state));
        }
        self.record(
            Some(actor),
            action,
            ("gc_nomination", &current.id),
            format!("{}:{}", to.code(), reason.as_deref().unwrap_or("")).as_bytes(),
        )
        .await;
        Ok(Nomination {
            state: to,
            decided_by: Some(actor.user_id.clone()),
            decided_at: Some(now),
            ..current.clone()
        })
    }
}
