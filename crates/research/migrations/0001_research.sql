-- Research access (crates/research, ADR 0011): requests and their review, the history of each
-- request's states, releases (the de-identified files, encrypted with the field cipher, and
-- their SHA-256 as recorded on the ledger) and downloads.
CREATE TABLE research_requests (
    id TEXT PRIMARY KEY,
    requester_id TEXT NOT NULL,
    organisation_id TEXT,
    cohort TEXT NOT NULL,
    variables TEXT NOT NULL,
    purpose TEXT NOT NULL,
    ethics_reference TEXT NOT NULL,
    state TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    steward_id TEXT,
    decided_at BIGINT,
    reasons TEXT,
    access_until TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX research_requests_state ON research_requests (state, submitted_at);
CREATE INDEX research_requests_requester ON research_requests (requester_id, submitted_at);

CREATE TABLE research_request_events (
    request_id TEXT NOT NULL REFERENCES research_requests (id),
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    reasons TEXT,
    ledger_seq BIGINT NOT NULL,
    PRIMARY KEY (request_id, seq)
);

CREATE TABLE research_releases (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE REFERENCES research_requests (id),
    released_by TEXT NOT NULL,
    released_at BIGINT NOT NULL,
    reference_date TEXT NOT NULL,
    k BIGINT NOT NULL,
    cohort_rows BIGINT NOT NULL,
    released_rows BIGINT NOT NULL,
    suppressed_rows BIGINT NOT NULL,
    generalisation TEXT NOT NULL,
    extract_sha256 TEXT NOT NULL,
    dictionary_sha256 TEXT NOT NULL,
    extract_enc TEXT NOT NULL,
    dictionary_enc TEXT NOT NULL,
    ledger_seq BIGINT NOT NULL
);

CREATE TABLE research_downloads (
    id TEXT PRIMARY KEY,
    release_id TEXT NOT NULL REFERENCES research_releases (id),
    user_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    ledger_seq BIGINT NOT NULL
);
CREATE INDEX research_downloads_release ON research_downloads (release_id, at);
