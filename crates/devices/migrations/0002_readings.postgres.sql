-- See 0002_readings.sqlite.sql; PostgreSQL has no WITHOUT ROWID (its tables are heaps).
CREATE TABLE device_messages (
    device_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, message_id)
);

CREATE TABLE device_readings (
    resident_id TEXT NOT NULL,
    series TEXT NOT NULL,
    taken_at BIGINT NOT NULL,
    device_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (resident_id, series, taken_at, device_id, message_id)
);

CREATE TABLE device_summaries (
    resident_id TEXT NOT NULL,
    series TEXT NOT NULL,
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    min_value DOUBLE PRECISION NOT NULL,
    max_value DOUBLE PRECISION NOT NULL,
    sum_value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (resident_id, series, period, period_start)
);
