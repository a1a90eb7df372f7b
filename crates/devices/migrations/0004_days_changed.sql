-- Days whose readings changed since their summary last went into the resident's record: one
-- row per resident, series and city day, added in the ingest's transaction, removed once the
-- day's summary is recorded (`devices::record`). `version` grows with every further change,
-- so a summary recorded from older figures leaves the day due.
CREATE TABLE device_days_changed (
    resident_id TEXT NOT NULL,
    series TEXT NOT NULL,
    day_start BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (resident_id, series, day_start)
);
