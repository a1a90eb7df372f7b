-- Every message id a device has sent, accepted or quarantined: a message sent twice is stored
-- once. WITHOUT ROWID: the key is the table, one B-tree per row instead of two.
CREATE TABLE device_messages (
    device_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, message_id)
) WITHOUT ROWID;

-- The time series: one row per value (a blood pressure is two), keyed for the questions asked
-- of it (a resident's series over a period, the latest value), so no second index is needed.
CREATE TABLE device_readings (
    resident_id TEXT NOT NULL,
    series TEXT NOT NULL,
    taken_at BIGINT NOT NULL,
    device_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (resident_id, series, taken_at, device_id, message_id)
) WITHOUT ROWID;

-- Hourly (`hour`) and daily (`day`, the city's calendar day) figures per resident and series,
-- kept current in the transaction that stores the readings. Mean = sum_value / count.
CREATE TABLE device_summaries (
    resident_id TEXT NOT NULL,
    series TEXT NOT NULL,
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    min_value REAL NOT NULL,
    max_value REAL NOT NULL,
    sum_value REAL NOT NULL,
    PRIMARY KEY (resident_id, series, period, period_start)
) WITHOUT ROWID;
