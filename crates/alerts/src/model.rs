//! What an alert is, as the inbox and the resident's view show it.

use serde::Serialize;

/// Who currently sees an unacknowledged alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The resident's family doctor.
    FamilyDoctor,
    /// Also the staff of the resident's community health centre.
    CommunityCentre,
    /// Also the district's chronic-disease office.
    District,
}

impl Level {
    /// Stored value.
    pub fn code(self) -> i64 {
        match self {
            Level::FamilyDoctor => 0,
            Level::CommunityCentre => 1,
            Level::District => 2,
        }
    }

    /// From the stored value; out-of-range values read as the nearest level.
    pub fn from_code(code: i64) -> Level {
        match code {
            i64::MIN..=0 => Level::FamilyDoctor,
            1 => Level::CommunityCentre,
            _ => Level::District,
        }
    }
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Nobody has acknowledged it.
    Raised,
    /// Someone has taken it on.
    Acknowledged,
    /// Dealt with; the episode is closed.
    Resolved,
}

/// What raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A template's danger sign on one reading.
    Danger,
    /// A trend rule over several days.
    Trend,
}

impl Kind {
    /// Stored value.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Danger => "danger",
            Kind::Trend => "trend",
        }
    }
}

/// What happened to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The first triggering reading opened the episode.
    Raised,
    /// Nobody acknowledged it in time; it moved up a level.
    Escalated,
    /// Someone took it on.
    Acknowledged,
    /// Someone dealt with it; the episode closed.
    Resolved,
    /// No triggering reading for the quiet period; the episode closed.
    Closed,
}

impl EventKind {
    /// Stored value (also the ledger action after `alert.`).
    pub fn code(self) -> &'static str {
        match self {
            EventKind::Raised => "raised",
            EventKind::Escalated => "escalated",
            EventKind::Acknowledged => "acknowledged",
            EventKind::Resolved => "resolved",
            EventKind::Closed => "closed",
        }
    }

    /// From the stored value.
    pub fn from_code(code: &str) -> Option<EventKind> {
        [
            EventKind::Raised,
            EventKind::Escalated,
            EventKind::Acknowledged,
            EventKind::Resolved,
            EventKind::Closed,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }

    /// Whether the webhook hears of it (a quiet close changes nothing anyone must act on).
    pub(crate) fn delivered(self) -> bool {
        !matches!(self, EventKind::Closed)
    }
}

/// One entry of an alert's history, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertEvent {
    /// Id (also the webhook's `event_id`).
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// When, Unix milliseconds.
    pub at: i64,
    /// The user who did it, or `system`.
    pub actor: String,
    /// The alert's level at the time.
    pub level: Level,
    /// The note given with an acknowledgement or resolution.
    pub note: Option<String>,
}

/// One alert: an episode of a rule for a resident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Id (UUIDv7).
    pub id: String,
    /// The resident.
    pub resident_id: String,
    /// The rule's key, e.g. `bp_crisis`.
    pub rule_key: String,
    /// Danger sign or trend.
    pub kind: Kind,
    /// Severity key.
    pub severity: String,
    /// Message for the doctor, Chinese.
    pub message_zh: String,
    /// Message for the doctor, English.
    pub message_en: String,
    /// The rule as text, e.g. `sbp ≥ 180 mmHg or dbp ≥ 110 mmHg`.
    pub rule_text: String,
    /// The family doctor (user id) it is addressed to; `None` when the resident has none.
    pub addressee_id: Option<String>,
    /// The resident's community health centre (organisation id).
    pub community_centre_id: Option<String>,
    /// The resident's district key.
    pub district: Option<String>,
    /// Who sees it.
    pub level: Level,
    /// Where it stands.
    pub state: State,
    /// Time of the first triggering reading.
    pub raised_at: i64,
    /// When the alert was committed.
    pub created_at: i64,
    /// The first triggering value.
    pub first_value: f64,
    /// Key of the latest triggering value as it was sent: an element (`sbp`) or a device
    /// series the danger signs read as one (`glucose`, read as `fpg`).
    pub last_key: String,
    /// The latest triggering value.
    pub last_value: f64,
    /// All values of the latest triggering reading, as a JSON object.
    pub last_reading: String,
    /// Source of the latest triggering reading.
    pub last_source: String,
    /// Time of the latest triggering reading.
    pub last_at: i64,
    /// Triggering readings in the episode.
    pub reading_count: i64,
    /// When it escalates next, if it still can.
    pub escalation_due_at: Option<i64>,
    /// When it was last escalated.
    pub escalated_at: Option<i64>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// When.
    pub acknowledged_at: Option<i64>,
    /// Their note.
    pub acknowledge_note: Option<String>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
    /// When.
    pub resolved_at: Option<i64>,
    /// Their note.
    pub resolve_note: Option<String>,
    /// When the episode closed (resolved or quiet); open while `None`.
    pub closed_at: Option<i64>,
}

/// A staff member asking for their inbox or acting on an alert. The web layer fills it from
/// the signed-in user and has already checked that their role may handle alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staff {
    /// The user.
    pub user_id: String,
    /// Organisations they act for (community health centres among them).
    pub organisation_ids: Vec<String>,
    /// Districts whose chronic-disease office they belong to.
    pub districts: Vec<String>,
}

/// Which alerts an inbox lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StateFilter {
    /// Not resolved (raised or acknowledged).
    #[default]
    Open,
    /// Nobody has acknowledged them.
    Unacknowledged,
    /// Acknowledged, not resolved yet.
    Acknowledged,
    /// Resolved.
    Resolved,
    /// Every alert.
    All,
}

/// Inbox query. The default lists the first [`InboxFilter::DEFAULT_LIMIT`] open alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxFilter {
    /// Which states.
    pub state: StateFilter,
    /// Only this resident's.
    pub resident_id: Option<String>,
    /// Page size (at least 1).
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

impl InboxFilter {
    /// Page size of the default filter (a page of a list, not a figure the platform acts on).
    pub const DEFAULT_LIMIT: u32 = 50;
}

impl Default for InboxFilter {
    fn default() -> Self {
        InboxFilter {
            state: StateFilter::default(),
            resident_id: None,
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// What an acknowledgement or a resolution did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The alert.
    pub alert_id: String,
    /// Who did it first (the caller, unless someone was earlier).
    pub by: String,
    /// When.
    pub at: i64,
    /// Whether this call did it (false: it had already been done, by `by`).
    pub first: bool,
}

/// An alert as the resident sees it: what, when and where it stands, without staff notes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResidentAlert {
    /// Id.
    pub id: String,
    /// The rule's key.
    pub rule_key: String,
    /// Severity key.
    pub severity: String,
    /// Message, Chinese.
    pub message_zh: String,
    /// Message, English.
    pub message_en: String,
    /// First triggering reading.
    pub raised_at: i64,
    /// Latest triggering value and element.
    pub last_key: String,
    /// The value.
    pub last_value: f64,
    /// Its time.
    pub last_at: i64,
    /// Triggering readings in the episode.
    pub reading_count: i64,
    /// Where it stands.
    pub state: State,
    /// When a doctor took it on.
    pub acknowledged_at: Option<i64>,
    /// When it was resolved.
    pub resolved_at: Option<i64>,
}

impl From<Alert> for ResidentAlert {
    fn from(a: Alert) -> Self {
        ResidentAlert {
            id: a.id,
            rule_key: a.rule_key,
            severity: a.severity,
            message_zh: a.message_zh,
            message_en: a.message_en,
            raised_at: a.raised_at,
            last_key: a.last_key,
            last_value: a.last_value,
            last_at: a.last_at,
            reading_count: a.reading_count,
            state: a.state,
            acknowledged_at: a.acknowledged_at,
            resolved_at: a.resolved_at,
        }
    }
}

/// What one `on_readings` call did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Raised {
    /// Alerts raised (new episodes), by id.
    pub raised: Vec<String>,
    /// Triggering readings attached to episodes already open.
    pub attached: u64,
    /// Facts left out, with why.
    pub ignored: Vec<crate::fact::Ignored>,
}

/// An alert escalated by `escalate_due`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalated {
    /// The alert.
    pub alert_id: String,
    /// Its new level.
    pub level: Level,
}
