//! Webhook delivery: events are written to an outbox in the transaction of the alert change
//! (so none is lost and none waits for the network), and a worker posts them, signed, to the
//! configured URL. At least once: a receiver deduplicates by `event_id`.

use crate::Delivery;
use std::fmt;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use store::sqlx::{self, Row};

use crate::error::{Result, WebhookError};
use crate::policy::Policy;
use crate::service::Alerts;

/// Header carrying `sha256=<hex HMAC-SHA256 of the body under the shared secret>`.
pub const SIGNATURE_HEADER: &str = "X-Lifehealth-Signature";
/// Header carrying the event id (also in the body), for deduplication.
pub const EVENT_ID_HEADER: &str = "X-Lifehealth-Event-Id";

/// The signature header's value for `body`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty tag would fail
    // verification rather than pass it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is the signature of `body` (compared in constant time), for receivers and
/// tests.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(tag) = header
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&tag).is_ok()
}

/// A configured webhook: where to post and the signing secret (from configuration, never
/// from the repository).
#[derive(Clone)]
pub struct Webhook {
    url: String,
    secret: Vec<u8>,
    agent: ureq::Agent,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Webhook {
    /// Checks the URL (absolute `http://`: this build has no TLS) and the secret's length
    /// (`delivery.min_secret_bytes`), with the policy's timeout.
    pub fn new(url: &str, secret: &[u8], policy: &Policy) -> Result<Webhook, WebhookError> {
        Webhook::with_delivery(url, secret, &policy.delivery)
    }

    /// [`Webhook::new`] with another component's delivery figures (the online clinic's
    /// notifications are posted the same way, with their own timeout and secret length).
    pub fn with_delivery(
        url: &str,
        secret: &[u8],
        delivery: &crate::policy::Delivery,
    ) -> Result<Webhook, WebhookError> {
        let host = url
            .strip_prefix("http://")
            .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
        if host.is_none_or(str::is_empty) || url.chars().any(char::is_whitespace) {
            return Err(WebhookError::Url(url.to_owned()));
        }
        let min = delivery.min_secret_bytes.value as usize;
        if secret.len() < min {
            return Err(WebhookError::SecretTooShort {
                bytes: secret.len(),
                min,
            });
        }
        let timeout = delivery.timeout();
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout(timeout)
            .redirects(0)
            .build();
        Ok(Webhook {
            url: url.to_owned(),
            secret: secret.to_vec(),
            agent,
        })
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Posts one body, signed, with its event id; the HTTP status, or why there was none.
    pub async fn post(&self, event_id: &str, body: &str) -> std::result::Result<u16, String> {
        let agent = self.agent.clone();
        let url = self.url.clone();
        let signature = sign(&self.secret, body.as_bytes());
        let event_id = event_id.to_owned();
        let body = body.to_owned();
        let sent = tokio::task::spawn_blocking(move || {
            match agent
                .post(&url)
                .set("Content-Type", "application/json")
                .set(SIGNATURE_HEADER, &signature)
                .set(EVENT_ID_HEADER, &event_id)
                .send_string(&body)
            {
                Ok(response) => Ok(response.status()),
                Err(ureq::Error::Status(status, _)) => Ok(status),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
        sent.unwrap_or_else(|e| Err(format!("delivery task failed: {e}")))
    }
}

/// What one run of [`Alerts::deliver_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Answered 2xx.
    pub delivered: u32,
    /// Failed, to be retried after the backoff.
    pub retrying: u32,
    /// Failed for the last allowed time.
    pub gave_up: u32,
}

/// Longest error text kept on a delivery.
const MAX_ERROR_BYTES: usize = 500;

/// An outbox table of webhook deliveries: its name and key column. Every outbox has the
/// columns `attempts`, `next_attempt_at`, `delivered_at`, `gave_up_at`, `last_status` and
/// `last_error`; the alerts' and the online clinic's notifications each keep one.
#[derive(Debug, Clone, Copy)]
pub struct Outbox {
    /// The table.
    pub table: &'static str,
    /// Its key column.
    pub key: &'static str,
}

/// A delivery that is due, as its outbox row holds it.
#[derive(Debug, Clone)]
pub struct Due {
    /// The row's key, sent as the event id.
    pub key: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// When it became due (the claim's condition).
    pub next_attempt_at: i64,
}

impl Outbox {
    /// Claims `due` by a conditional UPDATE (so two workers do not post it at once), posts
    /// `body` and records the outcome: 2xx marks it delivered; anything else schedules a retry
    /// after `first × 2^(attempts−1)` seconds (at most the maximum), until `max_attempts`. The
    /// database is never held while waiting for the receiver. A delivery another worker
    /// claimed first is left alone.
    pub async fn deliver(
        &self,
        db: &store::Db,
        webhook: &Webhook,
        delivery: &Delivery,
        due: &Due,
        body: &str,
        now: i64,
    ) -> Result<Attempt, sqlx::Error> {
        let Outbox { table, key } = *self;
        // A claim lasts two timeouts (connect and response) past now.
        let lease_until =
            now + 2 * i64::try_from(delivery.timeout().as_millis()).unwrap_or(i64::MAX / 4);
        let claimed = sqlx::query(&format!(
            "UPDATE {table} SET next_attempt_at = $3 WHERE {key} = $1 \
             AND next_attempt_at = $2 AND delivered_at IS NULL AND gave_up_at IS NULL"
        ))
        .bind(&due.key)
        .bind(due.next_attempt_at)
        .bind(lease_until)
        .execute(db.writer())
        .await?
        .rows_affected();
        if claimed != 1 {
            return Ok(Attempt::ClaimedElsewhere);
        }
        let attempts = due.attempts + 1;
        let (status, error) = match webhook.post(&due.key, body).await {
            Ok(status) if (200..300).contains(&status) => {
                sqlx::query(&format!(
                    "UPDATE {table} SET delivered_at = $2, attempts = $3, last_status = $4, \
                     last_error = NULL, next_attempt_at = NULL WHERE {key} = $1"
                ))
                .bind(&due.key)
                .bind(now)
                .bind(attempts)
                .bind(i64::from(status))
                .execute(db.writer())
                .await?;
                return Ok(Attempt::Delivered);
            }
            Ok(status) => (Some(i64::from(status)), format!("HTTP status {status}")),
            Err(e) => (None, e),
        };
        let error = truncate(error, MAX_ERROR_BYTES);
        let failures = u32::try_from(attempts).unwrap_or(u32::MAX);
        let give_up = failures >= delivery.max_attempts.value;
        let next = (!give_up).then(|| now + delivery.backoff_ms(failures));
        sqlx::query(&format!(
            "UPDATE {table} SET attempts = $2, last_status = $3, last_error = $4, \
             next_attempt_at = $5, gave_up_at = $6 WHERE {key} = $1"
        ))
        .bind(&due.key)
        .bind(attempts)
        .bind(status)
        .bind(&error)
        .bind(next)
        .bind(give_up.then_some(now))
        .execute(db.writer())
        .await?;
        if give_up {
            tracing::warn!(
                table,
                key = due.key,
                attempts,
                error,
                "webhook delivery given up"
            );
            Ok(Attempt::GaveUp)
        } else {
            Ok(Attempt::Retrying)
        }
    }
}

/// What became of one due delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Another worker claimed it first.
    ClaimedElsewhere,
    /// Answered 2xx.
    Delivered,
    /// Failed, to be retried after the backoff.
    Retrying,
    /// Failed for the last allowed time.
    GaveUp,
}

impl DeliveryReport {
    /// Counts `attempt`.
    pub fn count(&mut self, attempt: Attempt) {
        match attempt {
            Attempt::ClaimedElsewhere => {}
            Attempt::Delivered => self.delivered += 1,
            Attempt::Retrying => self.retrying += 1,
            Attempt::GaveUp => self.gave_up += 1,
        }
    }
}

/// The alerts' outbox.
const ALERT_OUTBOX: Outbox = Outbox {
    table: "alert_outbox",
    key: "event_id",
};

impl Alerts {
    /// Posts the alert deliveries that are due, oldest first, up to the policy's batch (see
    /// [`Outbox::deliver`]).
    pub async fn deliver_due(&self, webhook: &Webhook, now: i64) -> Result<DeliveryReport> {
        let delivery = &self.rules.policy().delivery;
        let rows = sqlx::query(
            "SELECT event_id, body, attempts, next_attempt_at FROM alert_outbox \
             WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, event_id LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(delivery.batch.value))
        .fetch_all(self.db.pool())
        .await?;
        let mut report = DeliveryReport::default();
        for row in rows {
            let due = Due {
                key: row.try_get(0)?,
                attempts: row.try_get(2)?,
                next_attempt_at: row.try_get(3)?,
            };
            let body: String = row.try_get(1)?;
            report.count(
                ALERT_OUTBOX
                    .deliver(&self.db, webhook, delivery, &due, &body, now)
                    .await?,
            );
        }
        Ok(report)
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        let sig = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(b"Jefe", b"what do ya want for nothing?", &sig));
        assert!(!verify(b"Jefe", b"what do ya want for nothing!", &sig));
        assert!(!verify(b"jefe", b"what do ya want for nothing?", &sig));
        assert!(!verify(b"Jefe", b"x", "sha256=zz"));
    }

    #[test]
    fn webhook_configuration_is_checked() {
        let policy = Policy::builtin().unwrap();
        let min = policy.delivery.min_secret_bytes.value as usize;
        let secret = vec![1u8; min];
        assert!(Webhook::new("http://127.0.0.1:9000/hook", &secret, &policy).is_ok());
        for bad in [
            "https://gw.example/hook",
            "ftp://x",
            "http://",
            "http:///x",
            "http://a b",
        ] {
            assert_eq!(
                Webhook::new(bad, &secret, &policy).unwrap_err(),
                WebhookError::Url(bad.into()),
                "{bad}"
            );
        }
        assert_eq!(
            Webhook::new("http://127.0.0.1/", &secret[1..], &policy).unwrap_err(),
            WebhookError::SecretTooShort {
                bytes: min - 1,
                min
            }
        );
        let debug = format!("{:?}", Webhook::new("http://h/", &secret, &policy).unwrap());
        assert!(debug.contains("redacted") && !debug.contains("[1, 1"));
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        assert_eq!(truncate("错误".repeat(200), 7), "错误");
        assert_eq!(truncate("ok".into(), 7), "ok");
    }
}
