//! The family doctor's inbox, acknowledgement and resolution, and the resident's own view.
//!
//! Staff see an alert while the resident shares with their community health centre and family
//! doctor (registry consent purpose `community`): the family doctor it is addressed to from the
//! start, the centre's staff once it is escalated, the district's office at the second level.

use registry::{SharingPurpose, sharing_condition};
use store::sqlx::{self, Acquire, AnyConnection, Row};

use crate::episode::{self, ALERT_COLUMNS, alert_from};
use crate::error::{AlertError, Result};
use crate::model::{
    Alert, AlertEvent, EventKind, InboxFilter, Level, Outcome, ResidentAlert, Staff, StateFilter,
};
use crate::service::Alerts;

/// `IN (...)` placeholders from `$start`, or a clause that is never true for an empty list.
fn list(binds: &mut Vec<String>, values: &[String]) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    let start = binds.len();
    binds.extend(values.iter().cloned());
    Some(
        (start + 1..=binds.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Who may act on (acknowledge, resolve) the alert: its addressee, or once it is escalated the
/// staff of the resident's community health centre. The district's office sees an alert at
/// the second level but does not act on it. Consent is checked by the operations themselves.
pub fn may_act(alert: &Alert, staff: &Staff) -> bool {
    alert.addressee_id.as_deref() == Some(staff.user_id.as_str())
        || (alert.level >= Level::CommunityCentre
            && alert
                .community_centre_id
                .as_ref()
                .is_some_and(|c| staff.organisation_ids.contains(c)))
}

/// The WHERE clause selecting what `staff` sees with `filter`, and its binds (`$1`…).
fn seen_by(staff: &Staff, filter: &InboxFilter) -> (String, Vec<String>) {
    let mut binds = vec![staff.user_id.clone()];
    let mut seen_by = vec!["a.addressee_id = $1".to_owned()];
    if let Some(orgs) = list(&mut binds, &staff.organisation_ids) {
        seen_by.push(format!(
            "(a.level >= {} AND a.community_centre_id IN ({orgs}))",
            Level::CommunityCentre.code()
        ));
    }
    if let Some(districts) = list(&mut binds, &staff.districts) {
        seen_by.push(format!(
            "(a.level >= {} AND a.district IN ({districts}))",
            Level::District.code()
        ));
    }
    let mut clauses = vec![
        format!("({})", seen_by.join(" OR ")),
        sharing_condition("a.resident_id", SharingPurpose::Community),
    ];
    match filter.state {
        StateFilter::Open => clauses.push("a.resolved_at IS NULL".into()),
        StateFilter::Unacknowledged => {
            clauses.push("a.acknowledged_at IS NULL AND a.resolved_at IS NULL".into());
        }
        StateFilter::Acknowledged => {
            clauses.push("a.acknowledged_at IS NOT NULL AND a.resolved_at IS NULL".into());
        }
        StateFilter::Resolved => clauses.push("a.resolved_at IS NOT NULL".into()),
        StateFilter::All => {}
    }
    if let Some(resident) = &filter.resident_id {
        binds.push(resident.clone());
        clauses.push(format!("a.resident_id = ${}", binds.len()));
    }
    (clauses.join(" AND "), binds)
}

impl Alerts {
    /// The alerts a staff member sees: those still waiting for someone first, then the most
    /// severe (the policy lists severities most urgent first), then the newest.
    pub async fn inbox(&self, staff: &Staff, filter: &InboxFilter) -> Result<Vec<Alert>> {
        let (clause, mut binds) = seen_by(staff, filter);
        let severities = &self.rules.policy().severities;
        let rank = if severities.is_empty() {
            "0".to_owned()
        } else {
            let start = binds.len();
            binds.extend(severities.iter().map(|s| s.key.clone()));
            let whens = (0..severities.len())
                .map(|i| format!("WHEN ${} THEN {i}", start + i + 1))
                .collect::<Vec<_>>()
                .join(" ");
            format!("CASE a.severity {whens} ELSE {} END", severities.len())
        };
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts a WHERE {clause} \
             ORDER BY CASE WHEN a.resolved_at IS NULL AND a.acknowledged_at IS NULL THEN 0 \
             WHEN a.resolved_at IS NULL THEN 1 ELSE 2 END, {rank}, a.raised_at DESC, a.id \
             LIMIT ${} OFFSET ${}",
            binds.len() + 1,
            binds.len() + 2
        );
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query
            .bind(i64::from(filter.limit.max(1)))
            .bind(i64::from(filter.offset))
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(alert_from).collect()
    }

    /// How many alerts the staff member's inbox holds with `filter` (its page ignored).
    pub async fn count(&self, staff: &Staff, filter: &InboxFilter) -> Result<u64> {
        let (clause, binds) = seen_by(staff, filter);
        let sql = format!("SELECT COUNT(*) FROM alerts a WHERE {clause}");
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let n: i64 = query.fetch_one(self.db.pool()).await?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// One alert with its history (oldest event first), if the staff member sees it in their
    /// inbox.
    pub async fn history(
        &self,
        alert_id: &str,
        staff: &Staff,
    ) -> Result<Option<(Alert, Vec<AlertEvent>)>> {
        let Some(alert) = self.alert(alert_id, staff).await? else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT id, kind, at, actor, level, note FROM alert_events \
             WHERE alert_id = $1 ORDER BY at, id",
        )
        .bind(alert_id)
        .fetch_all(self.db.pool())
        .await?;
        let mut events = Vec::with_capacity(rows.len());
        for r in rows {
            let kind: String = r.try_get(1)?;
            events.push(AlertEvent {
                id: r.try_get(0)?,
                kind: EventKind::from_code(&kind)
                    .ok_or_else(|| AlertError::Unreadable(format!("alert event kind `{kind}`")))?,
                at: r.try_get(2)?,
                actor: r.try_get(3)?,
                level: Level::from_code(r.try_get(4)?),
                note: r.try_get(5)?,
            });
        }
        Ok(Some((alert, events)))
    }

    /// One alert, if the staff member sees it in their inbox.
    pub async fn alert(&self, alert_id: &str, staff: &Staff) -> Result<Option<Alert>> {
        let mut conn = self.db.pool().acquire().await?;
        let Some((alert, shared)) = load_shared(&mut conn, alert_id).await? else {
            return Ok(None);
        };
        let district_staff = alert.level >= Level::District
            && alert
                .district
                .as_ref()
                .is_some_and(|d| staff.districts.contains(d));
        Ok((shared && (may_act(&alert, staff) || district_staff)).then_some(alert))
    }

    /// Acknowledges an alert: the family doctor it is addressed to, or once it is escalated
    /// the staff of the resident's community health centre. Acknowledging again changes
    /// nothing and says who was first. Stops escalation.
    pub async fn acknowledge(
        &self,
        alert_id: &str,
        staff: &Staff,
        note: Option<&str>,
        now: i64,
    ) -> Result<Outcome> {
        self.check_note(note)?;
        let mut conn = self.db.writer().acquire().await?;
        let mut tx = conn.begin().await?;
        let alert = permitted(&mut tx, alert_id, staff).await?;
        if let (Some(by), Some(at)) = (&alert.acknowledged_by, alert.acknowledged_at) {
            return Ok(Outcome {
                alert_id: alert.id,
                by: by.clone(),
                at,
                first: false,
            });
        }
        let done = sqlx::query(
            "UPDATE alerts SET acknowledged_by = $2, acknowledged_at = $3, acknowledge_note = $4, \
             escalation_due_at = NULL WHERE id = $1 AND acknowledged_at IS NULL",
        )
        .bind(alert_id)
        .bind(&staff.user_id)
        .bind(now)
        .bind(note)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let outcome = self
            .finish(
                &mut tx,
                alert_id,
                staff,
                note,
                now,
                done,
                EventKind::Acknowledged,
            )
            .await?;
        tx.commit().await?;
        drop(conn);
        self.ledger_after(outcome).await
    }

    /// Resolves an acknowledged alert, closing its episode: the next triggering reading raises
    /// a new alert. The same people may resolve as may acknowledge; resolving again changes
    /// nothing and says who was first.
    pub async fn resolve(
        &self,
        alert_id: &str,
        staff: &Staff,
        note: Option<&str>,
        now: i64,
    ) -> Result<Outcome> {
        self.check_note(note)?;
        let mut conn = self.db.writer().acquire().await?;
        let mut tx = conn.begin().await?;
        let alert = permitted(&mut tx, alert_id, staff).await?;
        if let (Some(by), Some(at)) = (&alert.resolved_by, alert.resolved_at) {
            return Ok(Outcome {
                alert_id: alert.id,
                by: by.clone(),
                at,
                first: false,
            });
        }
        if alert.acknowledged_at.is_none() {
            return Err(AlertError::NotAcknowledged(alert.id));
        }
        let done = sqlx::query(
            "UPDATE alerts SET resolved_by = $2, resolved_at = $3, resolve_note = $4, \
             escalation_due_at = NULL, \
             close_reason = CASE WHEN closed_at IS NULL THEN 'resolved' ELSE close_reason END, \
             closed_at = CASE WHEN closed_at IS NULL THEN $3 ELSE closed_at END \
             WHERE id = $1 AND resolved_at IS NULL AND acknowledged_at IS NOT NULL",
        )
        .bind(alert_id)
        .bind(&staff.user_id)
        .bind(now)
        .bind(note)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let outcome = self
            .finish(
                &mut tx,
                alert_id,
                staff,
                note,
                now,
                done,
                EventKind::Resolved,
            )
            .await?;
        tx.commit().await?;
        drop(conn);
        self.ledger_after(outcome).await
    }

    /// The resident's own alerts, newest first, without staff notes.
    pub async fn alerts_of_resident(&self, resident_id: &str) -> Result<Vec<ResidentAlert>> {
        let rows = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.resident_id = $1 \
             ORDER BY a.raised_at DESC, a.id DESC"
        ))
        .bind(resident_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| alert_from(r).map(ResidentAlert::from))
            .collect()
    }

    fn check_note(&self, note: Option<&str>) -> Result<()> {
        let Some(note) = note else { return Ok(()) };
        let max = self.rules.policy().note_max_chars.value as usize;
        let chars = note.chars().count();
        if chars > max {
            return Err(AlertError::NoteTooLong { chars, max });
        }
        if note
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(AlertError::NoteControlCharacters);
        }
        Ok(())
    }

    /// After a conditional UPDATE: the event if this call made the change, else who did.
    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &self,
        conn: &mut AnyConnection,
        alert_id: &str,
        staff: &Staff,
        note: Option<&str>,
        now: i64,
        done: u64,
        kind: EventKind,
    ) -> Result<(Outcome, Option<ledger::AuditEvent>)> {
        let alert = episode::load(conn, alert_id)
            .await?
            .ok_or_else(|| AlertError::NotFound(alert_id.to_owned()))?;
        let (by, at) = match kind {
            EventKind::Resolved => (alert.resolved_by.clone(), alert.resolved_at),
            _ => (alert.acknowledged_by.clone(), alert.acknowledged_at),
        };
        let outcome = Outcome {
            alert_id: alert.id.clone(),
            by: by.unwrap_or_default(),
            at: at.unwrap_or(now),
            first: done == 1,
        };
        if done != 1 {
            return Ok((outcome, None));
        }
        let event =
            episode::write_event(conn, self.sinks, &alert, kind, &staff.user_id, note, now).await?;
        Ok((outcome, Some(event)))
    }

    async fn ledger_after(
        &self,
        (outcome, event): (Outcome, Option<ledger::AuditEvent>),
    ) -> Result<Outcome> {
        if let Some(event) = event {
            self.ledger.record(event).await?;
        }
        Ok(outcome)
    }
}

/// The alert with whether the resident shares with the community (consent).
async fn load_shared(conn: &mut AnyConnection, alert_id: &str) -> Result<Option<(Alert, bool)>> {
    let sql = format!(
        "SELECT {ALERT_COLUMNS}, CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) AS shared \
         FROM alerts a WHERE a.id = $1",
        sharing_condition("a.resident_id", SharingPurpose::Community)
    );
    let row = sqlx::query(&sql)
        .bind(alert_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let shared: i64 = row.try_get("shared")?;
    Ok(Some((alert_from(&row)?, shared == 1)))
}

/// The alert, if `staff` may act on it.
async fn permitted(conn: &mut AnyConnection, alert_id: &str, staff: &Staff) -> Result<Alert> {
    let (alert, shared) = load_shared(conn, alert_id)
        .await?
        .ok_or_else(|| AlertError::NotFound(alert_id.to_owned()))?;
    if !shared || !may_act(&alert, staff) {
        return Err(AlertError::NotAllowed {
            alert_id: alert_id.to_owned(),
            user_id: staff.user_id.clone(),
        });
    }
    Ok(alert)
}
