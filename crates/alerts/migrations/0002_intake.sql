-- Ids of batches already judged (device feed entries), so a batch handed over again after a
-- crash is not counted twice. Kept for a day (intake::KEEP_MILLIS).
CREATE TABLE alert_intake (
    batch_id TEXT PRIMARY KEY,
    judged_at BIGINT NOT NULL
);
