-- Accepted readings waiting for the platform to act on them (the alert rules): one row per
-- commit, written in the transaction that stores the readings and deleted once judged, so a
-- crash in between loses no judgement. `id` is a UUIDv7: ordering by it is commit order.
CREATE TABLE device_feed (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    readings TEXT NOT NULL
);
