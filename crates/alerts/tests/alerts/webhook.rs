//! The webhook against a real local HTTP listener: a delivery per event, written with the
//! alert, retried with backoff after a failure, signed, and given up after the policy's
//! attempts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alerts::{Staff, Webhook};
use jiff::civil::date;
use store::testing::TestDatabases;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::{CARE, T0, bp, fixture, resident};

const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

#[derive(Debug, Clone)]
struct Request {
    headers: HashMap<String, String>,
    body: String,
}

/// A listener answering each request with the next status (the last one repeats).
async fn receiver(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, body_start) = loop {
                let read = socket.read(&mut chunk).await.unwrap();
                if read == 0 {
                    break (String::new(), 0);
                }
                buf.extend_from_slice(&chunk[..read]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break (String::from_utf8_lossy(&buf[..i]).into_owned(), i + 4);
                }
            };
            let headers: HashMap<String, String> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let length: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < body_start + length {
                let read = socket.read(&mut chunk).await.unwrap();
                if read == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..read]);
            }
            let body = String::from_utf8_lossy(&buf[body_start..]).into_owned();
            log.lock().unwrap().push(Request { headers, body });
            let status = statuses[n.min(statuses.len() - 1)];
            n += 1;
            let answer =
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn a_failed_delivery_is_retried_after_the_backoff_and_signed() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let alerts = f.alerts.clone().with_webhook_outbox(true);
        let (url, seen) = receiver(vec![500, 200]).await;
        let webhook = Webhook::new(&url, SECRET, alerts.rules().policy()).unwrap();
        let r = resident(&f, date(1960, 1, 1), CARE, &[]).await;
        let sbp = crate::danger_condition(alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        let id = alerts
            .on_readings_at(&bp(&r, sbp, 80.0, T0), T0)
            .await
            .unwrap()
            .raised
            .remove(0);

        let first = alerts.deliver_due(&webhook, T0).await.unwrap();
        assert_eq!((first.delivered, first.retrying, first.gave_up), (0, 1, 0));
        let backoff = alerts.rules().policy().delivery.backoff_ms(1);
        let early = alerts
            .deliver_due(&webhook, T0 + backoff - 1)
            .await
            .unwrap();
        assert_eq!(
            early,
            alerts::DeliveryReport::default(),
            "not due before the backoff"
        );
        let second = alerts.deliver_due(&webhook, T0 + backoff).await.unwrap();
        assert_eq!((second.delivered, second.retrying), (1, 0));
        assert_eq!(
            alerts
                .deliver_due(&webhook, T0 + 10 * backoff)
                .await
                .unwrap(),
            alerts::DeliveryReport::default()
        );

        let requests = seen.lock().unwrap().clone();
        assert_eq!(requests.len(), 2);
        assert_eq!(
            requests[0].body, requests[1].body,
            "a retry sends the same event"
        );
        let body: serde_json::Value = serde_json::from_str(&requests[1].body).unwrap();
        assert_eq!(body["event"], "alert.raised");
        assert_eq!(body["alert"]["id"], id.as_str());
        assert_eq!(body["alert"]["addressee_id"], "doc-1");
        for req in &requests {
            let signature = &req.headers[&alerts::SIGNATURE_HEADER.to_ascii_lowercase()];
            assert!(
                alerts::verify(SECRET, req.body.as_bytes(), signature),
                "{signature}"
            );
            assert!(!alerts::verify(
                b"another-secret-another-secret-xx",
                req.body.as_bytes(),
                signature
            ));
            assert_eq!(
                req.headers[&alerts::EVENT_ID_HEADER.to_ascii_lowercase()],
                body["event_id"].as_str().unwrap()
            );
            assert_eq!(req.headers["content-type"], "application/json");
        }

        // Acknowledging writes its own delivery.
        let doctor = Staff {
            user_id: "doc-1".into(),
            ..Staff::default()
        };
        alerts
            .acknowledge(&id, &doctor, None, T0 + 1)
            .await
            .unwrap();
        let third = alerts
            .deliver_due(&webhook, T0 + 10 * backoff)
            .await
            .unwrap();
        assert_eq!(third.delivered, 1);
        let last = seen.lock().unwrap().last().cloned().unwrap();
        let body: serde_json::Value = serde_json::from_str(&last.body).unwrap();
        assert_eq!(body["event"], "alert.acknowledged");
        assert_eq!(body["actor"], "doc-1");
    }
}

#[tokio::test]
async fn a_delivery_is_given_up_after_the_policy_attempts() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let alerts = f.alerts.clone().with_webhook_outbox(true);
        let (url, seen) = receiver(vec![503]).await;
        let webhook = Webhook::new(&url, SECRET, alerts.rules().policy()).unwrap();
        let sbp = crate::danger_condition(alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        alerts
            .on_readings_at(&bp("nobody", sbp, 80.0, T0), T0)
            .await
            .unwrap();
        let delivery = alerts.rules().policy().delivery.clone();
        let step = i64::from(delivery.backoff_max_seconds.value) * 1000;
        let mut now = T0;
        let mut total = alerts::DeliveryReport::default();
        for _ in 0..delivery.max_attempts.value + 2 {
            let r = alerts.deliver_due(&webhook, now).await.unwrap();
            total.retrying += r.retrying;
            total.gave_up += r.gave_up;
            now += step;
        }
        assert_eq!(total.gave_up, 1);
        assert_eq!(total.retrying, delivery.max_attempts.value - 1);
        assert_eq!(
            seen.lock().unwrap().len(),
            delivery.max_attempts.value as usize
        );
    }
}

#[tokio::test]
async fn without_the_outbox_no_delivery_is_written() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let f = fixture(db).await;
        let (url, seen) = receiver(vec![200]).await;
        let webhook = Webhook::new(&url, SECRET, f.alerts.rules().policy()).unwrap();
        let sbp = crate::danger_condition(f.alerts.rules(), "bp_crisis", "sbp")
            .ge
            .unwrap();
        f.alerts
            .on_readings_at(&bp("nobody", sbp, 80.0, T0), T0)
            .await
            .unwrap();
        assert_eq!(
            f.alerts.deliver_due(&webhook, T0).await.unwrap(),
            alerts::DeliveryReport::default()
        );
        assert!(seen.lock().unwrap().is_empty());
    }
}
