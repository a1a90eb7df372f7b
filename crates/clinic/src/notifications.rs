//! Notifications in the platform and through a webhook. A notification is written with the
//! step that causes it (in its transaction where there is one) together with an outbox row;
//! [`Clinic::deliver_notifications`] posts the due outbox rows, signed like the alerts'
//! webhook (`alerts::sign`), and retries failures with a doubling backoff. At least once: a
//! receiver deduplicates by the notification id (also in `X-Lifehealth-Event-Id`).

use std::fmt;
use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use access::Principal;
use alerts::{DeliveryReport, EVENT_ID_HEADER, SIGNATURE_HEADER};
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
/// Longest error text kept on a delivery.
const MAX_ERROR_BYTES: usize = 500;

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
            sqlx::query(
                "INSERT INTO clinic_notification_outbox (notification_id, attempts, next_attempt_at) \
                 VALUES ($1, 0, $2)",
            )
            .bind(&id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
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
             ORDER BY created_at DESC, id LIMIT 200"
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
        webhook: &NotificationWebhook,
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
        // A claim outlasts one attempt (connect and response timeouts).
        let lease_until =
            now + 2 * i64::try_from(delivery.timeout().as_millis()).unwrap_or(i64::MAX / 4);
        let mut report = DeliveryReport::default();
        for row in rows {
            let id: String = row.try_get(0)?;
            let attempts: i64 = row.try_get(1)?;
            let due: i64 = row.try_get(2)?;
            let body = json!({
                "id": id,
                "user_id": row.try_get::<String, _>(3)?,
                "kind": row.try_get::<String, _>(4)?,
                "text_zh": row.try_get::<String, _>(5)?,
                "text_en": row.try_get::<String, _>(6)?,
                "link": row.try_get::<String, _>(7)?,
                "created_at": row.try_get::<i64, _>(8)?,
            })
            .to_string();
            let claimed = sqlx::query(
                "UPDATE clinic_notification_outbox SET next_attempt_at = $3 WHERE notification_id = $1 \
                 AND next_attempt_at = $2 AND delivered_at IS NULL AND gave_up_at IS NULL",
            )
            .bind(&id)
            .bind(due)
            .bind(lease_until)
            .execute(self.db.writer())
            .await?
            .rows_affected();
            if claimed != 1 {
                continue;
            }
            let attempts = attempts + 1;
            let (status, error) = match webhook.post(&id, body).await {
                Ok(status) if (200..300).contains(&status) => {
                    sqlx::query(
                        "UPDATE clinic_notification_outbox SET delivered_at = $2, attempts = $3, \
                         last_status = $4, last_error = NULL, next_attempt_at = NULL \
                         WHERE notification_id = $1",
                    )
                    .bind(&id)
                    .bind(now)
                    .bind(attempts)
                    .bind(i64::from(status))
                    .execute(self.db.writer())
                    .await?;
                    report.delivered += 1;
                    continue;
                }
                Ok(status) => (Some(i64::from(status)), format!("HTTP status {status}")),
                Err(e) => (None, e),
            };
            let error = truncate(error, MAX_ERROR_BYTES);
            let failures = u32::try_from(attempts).unwrap_or(u32::MAX);
            let give_up = failures >= delivery.max_attempts.value;
            let next = (!give_up).then(|| now + delivery.backoff_ms(failures));
            sqlx::query(
                "UPDATE clinic_notification_outbox SET attempts = $2, last_status = $3, \
                 last_error = $4, next_attempt_at = $5, gave_up_at = $6 WHERE notification_id = $1",
            )
            .bind(&id)
            .bind(attempts)
            .bind(status)
            .bind(&error)
            .bind(next)
            .bind(give_up.then_some(now))
            .execute(self.db.writer())
            .await?;
            if give_up {
                tracing::warn!(
                    notification = id,
                    attempts,
                    error,
                    "notification webhook delivery given up"
                );
                report.gave_up += 1;
            } else {
                report.retrying += 1;
            }
        }
        Ok(report)
    }
}

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

/// Where the notifications are posted and the secret they are signed with (from
/// configuration, never from the repository).
#[derive(Clone)]
pub struct NotificationWebhook {
    host: String,
    port: u16,
    path: String,
    secret: Vec<u8>,
    timeout: Duration,
}

impl fmt::Debug for NotificationWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationWebhook")
            .field("url", &self.url())
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl NotificationWebhook {
    /// Checks the URL (absolute `http://host[:port]/path`: this build has no TLS, so the
    /// receiver is a gateway on the platform's network) and the secret's length.
    pub fn new(url: &str, secret: &[u8], rules: &Rules) -> Result<NotificationWebhook> {
        let delivery = &rules.notifications.webhook;
        let bad_url = || {
            ClinicError::invalid(
                "url",
                format!(
                    "`{url}`: give an absolute http:// URL such as http://10.0.0.5:8080/notify"
                ),
            )
        };
        let rest = url.strip_prefix("http://").ok_or_else(bad_url)?;
        if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad_url());
        }
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = path.split('#').next().unwrap_or("/");
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad_url)?;
            let port = match after {
                "" => 80,
                p => p
                    .strip_prefix(':')
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(bad_url)?,
            };
            (host, port)
        } else {
            match authority.split_once(':') {
                None => (authority, 80),
                Some((host, p)) => (host, p.parse().map_err(|_| bad_url())?),
            }
        };
        if host.is_empty() || host.contains('@') {
            return Err(bad_url());
        }
        let min = delivery.min_secret_bytes.value as usize;
        if secret.len() < min {
            return Err(ClinicError::invalid(
                "secret",
                format!(
                    "{} bytes; a signing secret has at least {min} (RFC 2104)",
                    secret.len()
                ),
            ));
        }
        Ok(NotificationWebhook {
            host: host.to_owned(),
            port,
            path,
            secret: secret.to_vec(),
            timeout: delivery.timeout(),
        })
    }

    /// The URL, for the operators' page.
    pub fn url(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}{}", self.host, self.port, self.path)
        } else {
            format!("http://{}:{}{}", self.host, self.port, self.path)
        }
    }

    /// Posts one body; the HTTP status, or why there was none. The blocking socket work runs
    /// on its own thread so no async worker waits on the receiver.
    async fn post(&self, id: &str, body: String) -> std::result::Result<u16, String> {
        let signature = alerts::sign(&self.secret, body.as_bytes());
        let hook = self.clone();
        let id = id.to_owned();
        off_thread(move || hook.post_blocking(&id, &signature, &body)).await
    }

    fn post_blocking(
        &self,
        id: &str,
        signature: &str,
        body: &str,
    ) -> std::result::Result<u16, String> {
        let addrs = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.host))?;
        let mut last = format!("{} resolves to no address", self.host);
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = format!("cannot connect to {addr}: {e}"),
            }
        }
        let mut stream = stream.ok_or(last)?;
        let io = |e: std::io::Error| e.to_string();
        stream.set_read_timeout(Some(self.timeout)).map_err(io)?;
        stream.set_write_timeout(Some(self.timeout)).map_err(io)?;
        let host = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n{SIGNATURE_HEADER}: {signature}\r\n{EVENT_ID_HEADER}: {id}\r\n\
             Connection: close\r\n\r\n",
            self.path,
            body.len()
        );
        stream.write_all(request.as_bytes()).map_err(io)?;
        stream.write_all(body.as_bytes()).map_err(io)?;
        stream.flush().map_err(io)?;
        // Only the status line matters; the rest of the answer is not read.
        let mut status_line = String::new();
        BufReader::new(stream)
            .take(1024)
            .read_line(&mut status_line)
            .map_err(io)?;
        parse_status(&status_line)
            .ok_or_else(|| format!("not an HTTP answer: {:?}", truncate(status_line, 100)))
    }
}

/// The status code of `HTTP/1.1 204 No Content`.
fn parse_status(line: &str) -> Option<u16> {
    let mut parts = line.split_whitespace();
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    parts
        .next()?
        .parse()
        .ok()
        .filter(|s| (100..600).contains(s))
}

/// Runs `work` on a new thread and waits for its answer without blocking the async runtime
/// (this crate has no runtime of its own to hand blocking work to).
async fn off_thread<T, F>(work: F) -> std::result::Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> std::result::Result<T, String> + Send + 'static,
{
    let shared: Arc<Mutex<Handoff<T>>> = Arc::new(Mutex::new(Handoff {
        answer: None,
        waker: None,
    }));
    let theirs = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("clinic-webhook".into())
        .spawn(move || {
            let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
                .unwrap_or_else(|_| Err("the delivery thread panicked".into()));
            let mut slot = theirs.lock().unwrap_or_else(PoisonError::into_inner);
            slot.answer = Some(answer);
            if let Some(waker) = slot.waker.take() {
                waker.wake();
            }
        });
    if let Err(e) = spawned {
        return Err(format!("cannot start a delivery thread: {e}"));
    }
    Answer { shared }.await
}

struct Handoff<T> {
    answer: Option<std::result::Result<T, String>>,
    waker: Option<Waker>,
}

struct Answer<T> {
    shared: Arc<Mutex<Handoff<T>>>,
}

impl<T> Future for Answer<T> {
    type Output = std::result::Result<T, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.answer.take() {
            Some(answer) => Poll::Ready(answer),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
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

    fn secret() -> Vec<u8> {
        vec![9u8; 32]
    }

    #[test]
    fn the_webhook_url_and_secret_are_checked() {
        let rules = Rules::shipped();
        let hook =
            NotificationWebhook::new("http://127.0.0.1:9000/hook?x=1", &secret(), rules).unwrap();
        assert_eq!(hook.url(), "http://127.0.0.1:9000/hook?x=1");
        let hook = NotificationWebhook::new("http://gateway", &secret(), rules).unwrap();
        assert_eq!(hook.url(), "http://gateway:80/");
        let hook = NotificationWebhook::new("http://[::1]:81/n", &secret(), rules).unwrap();
        assert_eq!(hook.url(), "http://[::1]:81/n");
        for bad in [
            "https://gw.example/hook",
            "ftp://x",
            "http://",
            "http:///x",
            "http://a b/",
            "http://h:99999/",
            "http://user@h/",
        ] {
            let e = NotificationWebhook::new(bad, &secret(), rules).unwrap_err();
            assert!(
                matches!(&e, ClinicError::Invalid { field, .. } if *field == "url"),
                "{bad}: {e:?}"
            );
        }
        let e = NotificationWebhook::new("http://h/", &secret()[1..], rules).unwrap_err();
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

    #[test]
    fn status_lines() {
        assert_eq!(parse_status("HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(parse_status("HTTP/1.0 500 Oops"), Some(500));
        assert_eq!(parse_status("SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_status(""), None);
        assert_eq!(parse_status("HTTP/1.1 abc"), None);
    }
}
