-- Devices, their credentials and who did what to them (see crates/devices/src/register.rs).
-- The credential is stored twice, neither readable: its SHA-256 to find the device from a
-- bearer token, and encrypted (vault field cipher) to check MQTT messages' HMAC signatures.
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    resident_id TEXT,
    credential_hash TEXT NOT NULL UNIQUE,
    secret_enc TEXT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX devices_resident ON devices (resident_id);

CREATE TABLE device_events (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    action TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    resident_id TEXT,
    reason TEXT
);
CREATE INDEX device_events_device ON device_events (device_id, at);

-- Readings that failed a check, for the resident's doctor: the reading as sent (JSON) and
-- the reason (JSON, `code` plus fields).
CREATE TABLE device_quarantine (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    resident_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    reading TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    decision_reason TEXT
);
CREATE INDEX device_quarantine_resident ON device_quarantine (resident_id, status, received_at);
