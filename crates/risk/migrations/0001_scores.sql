-- Population risk scores (crates/risk/src/population): each resident's latest China-PAR
-- assessment. `detail` is the score as JSON: the inputs with the source of each (codes,
-- dates, values, and which are assumptions) and the outcome. Like the record store's index
-- rows (ADR 0005) these are values keyed by the pseudonymous resident id, in the clear; no
-- name or identifier is stored. The other columns repeat what pages count and sort by.
CREATE TABLE risk_scores (
    resident_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    assessed_at BIGINT NOT NULL,
    district TEXT,
    status TEXT NOT NULL,
    risk_percent DOUBLE PRECISION,
    band TEXT,
    top_factor TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX risk_scores_district ON risk_scores (district, status, band);
CREATE INDEX risk_scores_assessed ON risk_scores (assessed_at);

-- When the last refresh ran (Unix ms): the next looks for records changed since.
CREATE TABLE risk_refresh (
    model TEXT PRIMARY KEY,
    watermark BIGINT NOT NULL
);
