//! The `alerts` rows: reading one back, raising or attaching to an episode, and writing an
//! event with its webhook delivery and ledger entry. SQL runs on the caller's connection, so
//! it joins the caller's transaction.

use ledger::{AuditEvent, PurposeOfUse, data_hash};
use serde_json::json;
use store::sqlx::{self, AnyConnection, Row, any::AnyRow};

use crate::error::{AlertError, Result};
use crate::model::{Alert, EventKind, Kind, Level, State};

/// Columns of [`alert_from`], in order.
pub(crate) const ALERT_COLUMNS: &str = "a.id, a.resident_id, a.rule_key, a.kind, a.severity, \
    a.message_zh, a.message_en, a.rule_text, a.addressee_id, a.community_centre_id, a.district, \
    a.level, a.raised_at, a.created_at, a.first_value, a.last_key, a.last_value, a.last_reading, \
    a.last_source, a.last_at, a.reading_count, a.escalation_due_at, a.escalated_at, \
    a.acknowledged_by, a.acknowledged_at, a.acknowledge_note, a.resolved_by, a.resolved_at, \
    a.resolve_note, a.closed_at";

pub(crate) fn alert_from(r: &AnyRow) -> Result<Alert> {
    let kind: String = r.try_get(3)?;
    let kind = match kind.as_str() {
        "danger" => Kind::Danger,
        "trend" => Kind::Trend,
        other => return Err(AlertError::Unreadable(format!("alert kind `{other}`"))),
    };
    let acknowledged_at: Option<i64> = r.try_get(24)?;
    let resolved_at: Option<i64> = r.try_get(27)?;
    let state = match (acknowledged_at, resolved_at) {
        (_, Some(_)) => State::Resolved,
        (Some(_), None) => State::Acknowledged,
        (None, None) => State::Raised,
    };
    Ok(Alert {
        id: r.try_get(0)?,
        resident_id: r.try_get(1)?,
        rule_key: r.try_get(2)?,
        kind,
        severity: r.try_get(4)?,
        message_zh: r.try_get(5)?,
        message_en: r.try_get(6)?,
        rule_text: r.try_get(7)?,
        addressee_id: r.try_get(8)?,
        community_centre_id: r.try_get(9)?,
        district: r.try_get(10)?,
        level: Level::from_code(r.try_get(11)?),
        state,
        raised_at: r.try_get(12)?,
        created_at: r.try_get(13)?,
        first_value: r.try_get(14)?,
        last_key: r.try_get(15)?,
        last_value: r.try_get(16)?,
        last_reading: r.try_get(17)?,
        last_source: r.try_get(18)?,
        last_at: r.try_get(19)?,
        reading_count: r.try_get(20)?,
        escalation_due_at: r.try_get(21)?,
        escalated_at: r.try_get(22)?,
        acknowledged_by: r.try_get(23)?,
        acknowledged_at,
        acknowledge_note: r.try_get(25)?,
        resolved_by: r.try_get(26)?,
        resolved_at,
        resolve_note: r.try_get(28)?,
        closed_at: r.try_get(29)?,
    })
}

/// One alert on `conn`.
pub(crate) async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Alert>> {
    let row = sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(alert_from).transpose()
}

/// An episode to raise, or to attach readings to if one is open: one run of triggering
/// readings of a resident and a rule, no two further apart than the quiet period.
#[derive(Debug, Clone)]
pub(crate) struct Episode {
    pub resident_id: String,
    pub rule_key: String,
    pub kind: Kind,
    pub severity: String,
    pub message_zh: String,
    pub message_en: String,
    pub rule_text: String,
    pub addressee_id: Option<String>,
    pub community_centre_id: Option<String>,
    pub district: Option<String>,
    pub level: Level,
    pub first_at: i64,
    pub first_value: f64,
    pub last_key: String,
    pub last_value: f64,
    pub last_reading: String,
    pub last_source: String,
    pub last_at: i64,
    pub count: i64,
    pub quiet_until: i64,
    pub escalation_due_at: Option<i64>,
}

/// What [`raise_or_attach`] did.
pub(crate) enum Placed {
    /// A new alert.
    Raised(Box<Alert>),
    /// Readings added to the open alert.
    Attached,
}

/// Closes the open episode of the resident and rule if it went quiet before `before`, and
/// returns the closed alert's id and closing time.
pub(crate) async fn close_if_quiet(
    conn: &mut AnyConnection,
    resident_id: &str,
    rule_key: &str,
    before: i64,
) -> Result<Option<(String, i64)>> {
    let row = sqlx::query(
        "UPDATE alerts SET closed_at = quiet_until, close_reason = 'quiet' \
         WHERE resident_id = $1 AND rule_key = $2 AND closed_at IS NULL AND quiet_until < $3 \
         RETURNING id, closed_at",
    )
    .bind(resident_id)
    .bind(rule_key)
    .bind(before)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Inserts the episode, or adds its readings to the open one of the same resident and rule.
/// The partial unique index on open episodes decides, so concurrent callers cannot open two.
pub(crate) async fn raise_or_attach(
    conn: &mut AnyConnection,
    e: &Episode,
    new_id: String,
    now: i64,
) -> Result<Placed> {
    // The latest reading wins the "last" columns whatever order readings arrive in.
    let row = sqlx::query(
        "INSERT INTO alerts (id, resident_id, rule_key, kind, severity, message_zh, message_en, \
         rule_text, addressee_id, community_centre_id, district, level, raised_at, created_at, \
         first_value, last_key, last_value, last_reading, last_source, last_at, reading_count, \
         quiet_until, escalation_due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21, $22, $23) \
         ON CONFLICT (resident_id, rule_key) WHERE closed_at IS NULL DO UPDATE SET \
         reading_count = alerts.reading_count + excluded.reading_count, \
         last_key = CASE WHEN excluded.last_at >= alerts.last_at THEN excluded.last_key ELSE alerts.last_key END, \
         last_value = CASE WHEN excluded.last_at >= alerts.last_at THEN excluded.last_value ELSE alerts.last_value END, \
         last_reading = CASE WHEN excluded.last_at >= alerts.last_at THEN excluded.last_reading ELSE alerts.last_reading END, \
         last_source = CASE WHEN excluded.last_at >= alerts.last_at THEN excluded.last_source ELSE alerts.last_source END, \
         last_at = CASE WHEN excluded.last_at >= alerts.last_at THEN excluded.last_at ELSE alerts.last_at END, \
         quiet_until = CASE WHEN excluded.quiet_until >= alerts.quiet_until THEN excluded.quiet_until ELSE alerts.quiet_until END \
         RETURNING id",
    )
    .bind(&new_id)
    .bind(&e.resident_id)
    .bind(&e.rule_key)
    .bind(e.kind.code())
    .bind(&e.severity)
    .bind(&e.message_zh)
    .bind(&e.message_en)
    .bind(&e.rule_text)
    .bind(e.addressee_id.as_deref())
    .bind(e.community_centre_id.as_deref())
    .bind(e.district.as_deref())
    .bind(e.level.code())
    .bind(e.first_at)
    .bind(now)
    .bind(e.first_value)
    .bind(&e.last_key)
    .bind(e.last_value)
    .bind(&e.last_reading)
    .bind(&e.last_source)
    .bind(e.last_at)
    .bind(e.count)
    .bind(e.quiet_until)
    .bind(e.escalation_due_at)
    .fetch_one(&mut *conn)
    .await?;
    let id: String = row.try_get(0)?;
    if id != new_id {
        return Ok(Placed::Attached);
    }
    let alert = load(conn, &id)
        .await?
        .ok_or_else(|| AlertError::Unreadable(format!("alert {id} vanished after insert")))?;
    Ok(Placed::Raised(Box::new(alert)))
}

/// Where an event goes besides its own row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sinks {
    /// Write a webhook delivery in the same transaction.
    pub outbox: bool,
}

/// Writes the event (and its delivery) on `conn`, and returns the ledger entry to record once
/// the transaction has committed.
pub(crate) async fn write_event(
    conn: &mut AnyConnection,
    sinks: Sinks,
    alert: &Alert,
    kind: EventKind,
    actor: &str,
    note: Option<&str>,
    at: i64,
) -> Result<AuditEvent> {
    let id = kernel::Id::new().to_string();
    sqlx::query(
        "INSERT INTO alert_events (id, alert_id, kind, at, actor, level, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&alert.id)
    .bind(kind.code())
    .bind(at)
    .bind(actor)
    .bind(alert.level.code())
    .bind(note)
    .execute(&mut *conn)
    .await?;
    let body = event_body(&id, alert, kind, actor, at);
    if sinks.outbox && kind.delivered() {
        sqlx::query(
            "INSERT INTO alert_outbox (event_id, body, created_at, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, 0, $3)",
        )
        .bind(&id)
        .bind(&body)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(AuditEvent {
        actor: actor.to_owned(),
        organisation: None,
        action: format!("alert.{}", kind.code()),
        subject_type: "resident".into(),
        subject_id: alert.resident_id.clone(),
        purpose: PurposeOfUse::CareManagement,
        at,
        data_hash: data_hash(body.as_bytes()),
    })
}

/// The webhook's JSON for an event. Ids, the rule and the values; no name, number or phone:
/// the gateway maps the addressee's user id to a contact itself.
fn event_body(event_id: &str, a: &Alert, kind: EventKind, actor: &str, at: i64) -> String {
    json!({
        "event_id": event_id,
        "event": format!("alert.{}", kind.code()),
        "at": at,
        "actor": actor,
        "alert": {
            "id": a.id,
            "resident_id": a.resident_id,
            "rule_key": a.rule_key,
            "kind": a.kind,
            "severity": a.severity,
            "level": a.level,
            "state": a.state,
            "addressee_id": a.addressee_id,
            "community_centre_id": a.community_centre_id,
            "district": a.district,
            "message_zh": a.message_zh,
            "message_en": a.message_en,
            "rule_text": a.rule_text,
            "raised_at": a.raised_at,
            "last_key": a.last_key,
            "last_value": a.last_value,
            "last_at": a.last_at,
            "reading_count": a.reading_count,
        }
    })
    .to_string()
}
