//! Notifications in the platform and through a webhook. A notification is written with the
//! step that causes it (in its transaction where there is one), with an outbox row when a
//! webhook is configured ([`Clinic::with_notification_outbox`]);
//! [`Clinic::deliver_notifications`] posts the due outbox rows, signed like the alerts'
//! webhook (`alerts::sign`), and retries failures with a doubling backoff. At least once: a
//! receiver deduplicates by the notification id (also in `X-Lifehealth-Event-Id`).

use access::Principal;
use alerts::{DeliveryReport, Due, Outbox, Webhook};
use kernel::UtcMillis;
use serde::Serialize;
use serde_json::json;
use store::sqlx::{self, AnyConnection, Row, any::AnyRow};

use crate::consultation::checked_text;
use crate::error::{ClinicError, Result};
use crate::rules::Rules;
use crate::service::Clinic;

/// Longest notification text, in characters (a notification points to a page; it is not one).
pub const MAX_TEXT_CHARS: usize = 500;
/// Longest link path.
const MAX_LINK_CHARS: usize = 300;
/// One notification as its user reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: String,
    pub user_id: String,
    /// What happened, e.g. `clinic.pickup.booked`.
    pub kind: String,
    pub text_zh: String,
    pub text_en: String,
    /// The page it is about, a path of this platform (`/clinic/fulfilments/<id>`).
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// What to tell, before it is addressed to anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: String,
    pub text_zh: String,
    pub text_en: String,
    pub link: String,
}

impl Notice {
    /// Refuses a kind that is not a short code, text that is empty or too long, and a link
    /// that is not a path of this platform (so a notification never sends anyone elsewhere).
    fn checked(&self) -> Result<Notice> {
        let kind = self.kind.trim();
        if kind.is_empty()
            || kind.len() > 60
            || !kind
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        {
            return Err(ClinicError::invalid(
                "kind",
                "1 to 60 characters of a-z, 0-9, `.` and `-`, e.g. clinic.pickup.booked",
            ));
        }
        let text = |field: &'static str, value: &str| -> Result<String> {
            let text = checked_text(field, value, true)?;
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(ClinicError::invalid(
                    field,
                    format!("at most {MAX_TEXT_CHARS} characters; link to the page for the rest"),
                ));
            }
            Ok(text)
        };
        let link = self.link.trim();
        if !link.starts_with('/')
            || link.starts_with("//")
            || link.len() > MAX_LINK_CHARS
            || link.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ClinicError::invalid(
                "link",
                format!(
                    "a path of this platform starting with one `/`, without spaces, at most {MAX_LINK_CHARS} characters"
                ),
            ));
        }
        Ok(Notice {
            kind: kind.to_owned(),
            text_zh: text("text_zh", &self.text_zh)?,
            text_en: text("text_en", &self.text_en)?,
            link: link.to_owned(),
        })
    }
}

const COLUMNS: &str = "id, user_id, kind, text_zh, text_en, link, created_at, read_at";

impl Clinic {
    /// Notifies each of `user_ids` (for the web layer and other callers outside a
    /// transaction); the ids of the notifications written.
    pub async fn notify(
        &self,
        user_ids: &[String],
        kind: &str,
        text_zh: &str,
        text_en: &str,
        link: &str,
    ) -> Result<Vec<String>> {
        let notice = Notice {
            kind: kind.into(),
            text_zh: text_zh.into(),
            text_en: text_en.into(),
            link: link.into(),
        };
        let mut tx = self.db.writer().begin().await?;
        let ids = self.notify_in(&mut tx, user_ids, &notice).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Notifies inside the caller's transaction, so the notification stands or falls with
    /// the step it tells of.
    pub(crate) async fn notify_in(
        &self,
        conn: &mut AnyConnection,
        user_ids: &[String],
        notice: &Notice,
    ) -> Result<Vec<String>> {
        let notice = notice.checked()?;
        let now = UtcMillis::now().0;
        let mut ids = Vec::with_capacity(user_ids.len());
        for user in user_ids {
            let id = kernel::Id::new().to_string();
            sqlx::query(
                "INSERT INTO clinic_notifications (id, user_id, kind, text_zh, text_en, link, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(user)
            .bind(&notice.kind)
            .bind(&notice.text_zh)
            .bind(&notice.text_en)
            .bind(&notice.link)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            if self.notification_outbox {
                sqlx::query(
                    "INSERT INTO clinic_notification_outbox (notification_id, attempts, next_attempt_at) \
                     VALUES ($1, 0, $2)",
                )
                .bind(&id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// The user's notifications, newest first (the latest 200).
    pub async fn notifications_of(
        &self,
        user: &Principal,
        unread_only: bool,
    ) -> Result<Vec<Notification>> {
        let unread = if unread_only {
            " AND read_at IS NULL"
        } else {
            ""
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_notifications WHERE user_id = $1{unread} \
             ORDER BY created_at DESC, id DESC LIMIT 200"
        ))
        .bind(&user.user_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(notification_from).collect()
    }

    /// How many of the user's notifications are unread (for the badge).
    pub async fn unread_count(&self, user: &Principal) -> Result<u64> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM clinic_notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(&user.user_id)
        .fetch_one(self.db.pool())
        .await?
        .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Marks one of the user's own notifications read (again is fine); anyone else's is
    /// NotFound.
    pub async fn mark_read(&self, user: &Principal, id: &str) -> Result<Notification> {
        sqlx::query(
            "UPDATE clinic_notifications SET read_at = $3 WHERE id = $1 AND user_id = $2 \
             AND read_at IS NULL",
        )
        .bind(id)
        .bind(&user.user_id)
        .bind(UtcMillis::now().0)
        .execute(self.db.pool())
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinic_notifications WHERE id = $1 AND user_id = $2"
        ))
        .bind(id)
        .bind(&user.user_id)
        .fetch_optional(self.db.pool())
        .await?;
        match row {
            Some(row) => notification_from(&row),
            None => Err(ClinicError::NotFound {
                what: "notification",
            }),
        }
    }

    /// Posts the notifications due at `now`, oldest first, up to the batch: 2xx marks one
    /// delivered; anything else retries after `first × 2^(failures−1)` seconds (at most the
    /// maximum) until the attempts run out. Each is claimed by a conditional UPDATE first, so
    /// two workers never post the same one at once; no transaction waits for the receiver.
    pub async fn deliver_notifications(
        &self,
        webhook: &Webhook,
        now: i64,
    ) -> Result<DeliveryReport> {
        let delivery = &self.rules.notifications.webhook;
        let rows = sqlx::query(
            "SELECT o.notification_id, o.attempts, o.next_attempt_at, n.user_id, n.kind, \
             n.text_zh, n.text_en, n.link, n.created_at \
             FROM clinic_notification_outbox o JOIN clinic_notifications n ON n.id = o.notification_id \
             WHERE o.delivered_at IS NULL AND o.gave_up_at IS NULL AND o.next_attempt_at <= $1 \
             ORDER BY o.next_attempt_at, o.notification_id LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(delivery.batch.value))
        .fetch_all(self.db.pool())
        .await?;
        let mut report = DeliveryReport::default();
        for row in rows {
            let due = Due {
                key: row.try_get(0)?,
                attempts: row.try_get(1)?,
                next_attempt_at: row.try_get(2)?,
            };
            let body = json!({
                "id": due.key,
                "user_id": row.try_get::<String, _>(3)?,
                "kind": row.try_get::<String, _>(4)?,
                "text_zh": row.try_get::<String, _>(5)?,
                "text_en": row.try_get::<String, _>(6)?,
                "link": row.try_get::<String, _>(7)?,
                "created_at": row.try_get::<i64, _>(8)?,
            })
            .to_string();
            report.count(
                NOTIFICATION_OUTBOX
                    .deliver(&self.db, webhook, delivery, &due, &body, now)
                    .await?,
            );
        }
        Ok(report)
    }
}

/// The notifications' outbox.
const NOTIFICATION_OUTBOX: Outbox = Outbox {
    table: "clinic_notification_outbox",
    key: "notification_id",
};

fn notification_from(row: &AnyRow) -> Result<Notification> {
    Ok(Notification {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        kind: row.try_get("kind")?,
        text_zh: row.try_get("text_zh")?,
        text_en: row.try_get("text_en")?,
        link: row.try_get("link")?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
    })
}

/// The webhook notifications are posted to (`alerts::Webhook`, with the clinic's own delivery
/// figures): an absolute `http://` URL and a secret of at least the rules' length.
pub fn webhook(url: &str, secret: &[u8], rules: &Rules) -> Result<Webhook> {
    Webhook::with_delivery(url, secret, &rules.notifications.webhook).map_err(|e| match e {
        alerts::WebhookError::SecretTooShort { bytes, min } => ClinicError::invalid(
            "secret",
            format!("{bytes} bytes; a signing secret has at least {min} (RFC 2104)"),
        ),
        _ => ClinicError::invalid(
            "url",
            format!("`{url}`: give an absolute http:// URL such as http://10.0.0.5:8080/notify"),
        ),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn secret() -> Vec<u8> {
        vec![9u8; 32]
    }

    #[test]
    fn the_webhook_url_and_secret_are_checked() {
        let rules = Rules::shipped();
        let hook = webhook("http://127.0.0.1:9000/hook?x=1", &secret(), rules).unwrap();
        assert_eq!(hook.url(), "http://127.0.0.1:9000/hook?x=1");
        for bad in [
            "https://gw.example/hook",
            "ftp://x",
            "http://",
            "http:///x",
            "http://a b/",
        ] {
            let e = webhook(bad, &secret(), rules).unwrap_err();
            assert!(
                matches!(&e, ClinicError::Invalid { field, .. } if *field == "url"),
                "{bad}: {e:?}"
            );
        }
        let e = webhook("http://h/", &secret()[1..], rules).unwrap_err();
        assert!(matches!(&e, ClinicError::Invalid { field, .. } if *field == "secret"));
        let debug = format!("{hook:?}");
        assert!(debug.contains("redacted") && !debug.contains("[9, 9"));
    }

    #[test]
    fn notices_are_checked() {
        let good = Notice {
            kind: "clinic.pickup.booked".into(),
            text_zh: "已预约".into(),
            text_en: "Booked".into(),
            link: "/clinic/fulfilments/1".into(),
        };
        assert_eq!(good.checked().unwrap(), good);
        for (field, notice) in [
            (
                "kind",
                Notice {
                    kind: "Clinic Booked".into(),
                    ..good.clone()
                },
            ),
            (
                "text_zh",
                Notice {
                    text_zh: " ".into(),
                    ..good.clone()
                },
            ),
            (
                "text_en",
                Notice {
                    text_en: "x".repeat(MAX_TEXT_CHARS + 1),
                    ..good.clone()
                },
            ),
            (
                "link",
                Notice {
                    link: "https://elsewhere.example/".into(),
                    ..good.clone()
                },
            ),
            (
                "link",
                Notice {
                    link: "//elsewhere.example/".into(),
                    ..good.clone()
                },
            ),
        ] {
            let e = notice.checked().unwrap_err();
            assert!(
                matches!(&e, ClinicError::Invalid { field: f, .. } if *f == field),
                "{field}: {e:?}"
            );
        }
    }
}
