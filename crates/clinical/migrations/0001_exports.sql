-- FHIR Bulk Data exports (crates/clinical/src/export.rs): the job, and its NDJSON output in
-- parts, encrypted like every stored resource (the output is health data at rest).
CREATE TABLE clinical_export_jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    progress TEXT NOT NULL,
    error TEXT,
    created_at BIGINT NOT NULL,
    transaction_time BIGINT NOT NULL,
    finished_at BIGINT,
    expires_at BIGINT NOT NULL
);

CREATE TABLE clinical_export_outputs (
    job_id TEXT NOT NULL REFERENCES clinical_export_jobs (id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL,
    part BIGINT NOT NULL,
    count BIGINT NOT NULL,
    ndjson TEXT NOT NULL,
    PRIMARY KEY (job_id, resource_type, part)
);
