//! Notifications in the platform (unread, read only by their owner) and through the webhook:
//! signed, retried with backoff after a failure, marked once delivered. The receivers are
//! real HTTP listeners on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

use clinic::ClinicError;
use clinic::notifications::webhook;
use kernel::UtcMillis;
use serde_json::Value;
use store::sqlx::{self, Row};

use crate::{World, on_both};

const SECRET: &[u8] = b"clinic-webhook-secret-of-32-bytes!";

on_both!(
    notifications_are_unread_until_their_owner_reads_them,
    read_by_owner
);
async fn read_by_owner(w: &World) {
    let ids = w
        .clinic
        .notify(
            std::slice::from_ref(&w.patient.user_id),
            "clinic.test",
            "请查看回复",
            "Please read the reply",
            "/clinic/consultations/c1",
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(w.clinic.unread_count(&w.patient).await.unwrap(), 1);
    assert_eq!(w.clinic.unread_count(&w.stranger).await.unwrap(), 0);
    let unread = w.clinic.notifications_of(&w.patient, true).await.unwrap();
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0].text_en, "Please read the reply");
    assert_eq!(unread[0].read_at, None);

    // Someone else's notification is not theirs to read, nor to learn of.
    let e = w.clinic.mark_read(&w.stranger, &ids[0]).await.unwrap_err();
    assert!(matches!(e, ClinicError::NotFound { .. }), "{e:?}");
    assert_eq!(w.clinic.unread_count(&w.patient).await.unwrap(), 1);

    let read = w.clinic.mark_read(&w.patient, &ids[0]).await.unwrap();
    assert!(read.read_at.is_some());
    assert_eq!(w.clinic.unread_count(&w.patient).await.unwrap(), 0);
    assert!(
        w.clinic
            .notifications_of(&w.patient, true)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        w.clinic
            .notifications_of(&w.patient, false)
            .await
            .unwrap()
            .len(),
        1
    );
    // Reading again keeps the first reading time.
    let again = w.clinic.mark_read(&w.patient, &ids[0]).await.unwrap();
    assert_eq!(again.read_at, read.read_at);

    // A link elsewhere is refused, and nothing is written.
    let e = w
        .clinic
        .notify(
            std::slice::from_ref(&w.patient.user_id),
            "clinic.test",
            "看这里",
            "Look here",
            "https://elsewhere.example/",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClinicError::Invalid { field, .. } if *field == "link"),
        "{e:?}"
    );
    assert_eq!(
        w.clinic
            .notifications_of(&w.patient, false)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// A request as the listener received it.
struct Received {
    head: String,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// A listener on 127.0.0.1 that answers one request with `status` and hands it back.
fn listener(status: u16) -> (String, JoinHandle<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap();
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let answer =
            format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        reader.get_mut().write_all(answer.as_bytes()).unwrap();
        Received {
            head,
            body: String::from_utf8(body).unwrap(),
        }
    });
    (url, handle)
}

async fn outbox(w: &World, id: &str) -> (i64, Option<i64>, Option<i64>, Option<String>) {
    let row = sqlx::query(
        "SELECT attempts, next_attempt_at, delivered_at, last_error FROM clinic_notification_outbox \
         WHERE notification_id = $1",
    )
    .bind(id)
    .fetch_one(w.db.pool())
    .await
    .unwrap();
    (
        row.try_get(0).unwrap(),
        row.try_get(1).unwrap(),
        row.try_get(2).unwrap(),
        row.try_get(3).unwrap(),
    )
}

on_both!(
    the_webhook_is_signed_and_retried_until_delivered,
    webhook_delivery
);
async fn webhook_delivery(w: &World) {
    let rules = w.clinic.rules();
    // Without a webhook nothing waits in the outbox; with one, every notification does.
    w.clinic
        .notify(
            std::slice::from_ref(&w.patient.user_id),
            "clinic.test",
            "测试",
            "test",
            "/clinic",
        )
        .await
        .unwrap();
    let waiting: i64 = store::sqlx::Row::try_get(
        &store::sqlx::query("SELECT COUNT(*) FROM clinic_notification_outbox")
            .fetch_one(w.db.pool())
            .await
            .unwrap(),
        0,
    )
    .unwrap();
    assert_eq!(waiting, 0, "no webhook, no outbox");
    let clinic = w.clinic.clone().with_notification_outbox(true);
    let ids = clinic
        .notify(
            std::slice::from_ref(&w.patient.user_id),
            "clinic.pickup.booked",
            "已预约取药",
            "Pickup booked",
            "/clinic/fulfilments/f1",
        )
        .await
        .unwrap();
    let id = &ids[0];
    let now = UtcMillis::now().0 + 1;
    let first = i64::from(rules.notifications.webhook.backoff_first_seconds.value) * 1000;

    // Nobody listens: a connection error, retried after the first backoff.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/notify", closed.local_addr().unwrap());
    drop(closed);
    let hook = webhook(&url, SECRET, rules).unwrap();
    let report = clinic.deliver_notifications(&hook, now).await.unwrap();
    assert_eq!(
        (report.delivered, report.retrying, report.gave_up),
        (0, 1, 0)
    );
    let (attempts, next, delivered, error) = outbox(w, id).await;
    assert_eq!((attempts, next, delivered), (1, Some(now + first), None));
    assert!(error.is_some());

    // Not due yet: nothing is posted.
    let report = w
        .clinic
        .deliver_notifications(&hook, now + first - 1)
        .await
        .unwrap();
    assert_eq!(report, Default::default());

    // A receiver that fails: retried again, after twice the wait.
    let (url, failing) = listener(503);
    let hook = webhook(&url, SECRET, rules).unwrap();
    let at = now + first;
    let report = clinic.deliver_notifications(&hook, at).await.unwrap();
    assert_eq!(report.retrying, 1);
    failing.join().unwrap();
    let (attempts, next, delivered, error) = outbox(w, id).await;
    assert_eq!((attempts, next, delivered), (2, Some(at + 2 * first), None));
    assert_eq!(error.as_deref(), Some("HTTP status 503"));

    // A receiver that takes it: signed, delivered, and not posted again.
    let (url, ok) = listener(204);
    let hook = webhook(&url, SECRET, rules).unwrap();
    let at = at + 2 * first;
    let report = clinic.deliver_notifications(&hook, at).await.unwrap();
    assert_eq!(report.delivered, 1);
    let got = ok.join().unwrap();
    assert!(
        got.head.starts_with("POST /notify HTTP/1.1"),
        "{}",
        got.head
    );
    let signature = got.header(alerts::SIGNATURE_HEADER).unwrap();
    assert!(alerts::verify(SECRET, got.body.as_bytes(), signature));
    assert!(!alerts::verify(
        b"another-secret-of-thirty-two-bytes",
        got.body.as_bytes(),
        signature
    ));
    assert_eq!(got.header(alerts::EVENT_ID_HEADER), Some(id.as_str()));
    let body: Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["user_id"], w.patient.user_id.as_str());
    assert_eq!(body["kind"], "clinic.pickup.booked");
    assert_eq!(body["text_zh"], "已预约取药");
    assert_eq!(body["text_en"], "Pickup booked");
    assert_eq!(body["link"], "/clinic/fulfilments/f1");
    assert!(body["created_at"].as_i64().unwrap() > 0);
    let (attempts, next, delivered, error) = outbox(w, id).await;
    assert_eq!(
        (attempts, next, delivered, error),
        (3, None, Some(at), None)
    );
    let report = w
        .clinic
        .deliver_notifications(&hook, at + 86_400_000)
        .await
        .unwrap();
    assert_eq!(report, Default::default());
}
