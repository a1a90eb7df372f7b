-- Alerts (crates/alerts). One row per episode: a resident and a rule, from the first
-- triggering reading until it is resolved or goes quiet. Times are Unix milliseconds.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL,
    rule_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    rule_text TEXT NOT NULL,
    addressee_id TEXT,
    community_centre_id TEXT,
    district TEXT,
    level BIGINT NOT NULL,
    raised_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    first_value DOUBLE PRECISION NOT NULL,
    last_key TEXT NOT NULL,
    last_value DOUBLE PRECISION NOT NULL,
    last_reading TEXT NOT NULL,
    last_source TEXT NOT NULL,
    last_at BIGINT NOT NULL,
    reading_count BIGINT NOT NULL,
    quiet_until BIGINT NOT NULL,
    escalation_due_at BIGINT,
    escalated_at BIGINT,
    acknowledged_by TEXT,
    acknowledged_at BIGINT,
    acknowledge_note TEXT,
    resolved_by TEXT,
    resolved_at BIGINT,
    resolve_note TEXT,
    closed_at BIGINT,
    close_reason TEXT
);
-- At most one open episode per resident and rule: concurrent triggers attach, never duplicate.
CREATE UNIQUE INDEX alerts_open_episode ON alerts (resident_id, rule_key) WHERE closed_at IS NULL;
CREATE INDEX alerts_addressee ON alerts (addressee_id, raised_at);
CREATE INDEX alerts_centre ON alerts (community_centre_id, raised_at);
CREATE INDEX alerts_district ON alerts (district, raised_at);
CREATE INDEX alerts_resident ON alerts (resident_id, raised_at);
CREATE INDEX alerts_escalation ON alerts (escalation_due_at);
CREATE INDEX alerts_quiet ON alerts (quiet_until) WHERE closed_at IS NULL;

-- What happened to each alert, in order: raised, escalated, acknowledged, resolved, closed.
CREATE TABLE alert_events (
    id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    level BIGINT NOT NULL,
    note TEXT
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, at);

-- Webhook deliveries, written in the transaction of their event (transactional outbox).
CREATE TABLE alert_outbox (
    event_id TEXT PRIMARY KEY REFERENCES alert_events (id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT,
    delivered_at BIGINT,
    gave_up_at BIGINT,
    last_status BIGINT,
    last_error TEXT
);
CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at);

-- Per resident, element and day (city calendar, YYYY-MM-DD) the count and sum of readings, so
-- trend rules read a few rows instead of every reading.
CREATE TABLE alert_daily (
    resident_id TEXT NOT NULL,
    element TEXT NOT NULL,
    day TEXT NOT NULL,
    n BIGINT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (resident_id, element, day)
);
