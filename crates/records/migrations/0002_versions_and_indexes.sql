-- Earlier versions, moved here when a resource is updated or deleted (the current version
-- stays in fhir_resources, so ingest writes each body once).
CREATE TABLE fhir_resource_history (
    rid BIGINT NOT NULL,
    version BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    deleted BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (rid, version)
);

-- Search indexes of current, non-deleted versions, one table per FHIR search parameter type.
-- Values of personal parameters (names, identifiers, telecom, address) are keyed blind
-- indexes, never clear text (see crates/records/src/protect.rs). `param` is qualified by the
-- resource type (`Observation.code`), so one lookup index serves every type. Each lookup
-- index ends in `rid`, so a search is answered from the index alone.
CREATE TABLE fhir_idx_token (
    rid BIGINT NOT NULL,
    param TEXT NOT NULL,
    system TEXT,
    code TEXT NOT NULL
);
CREATE INDEX fhir_idx_token_lookup ON fhir_idx_token (param, code, system, rid);
CREATE INDEX fhir_idx_token_rid ON fhir_idx_token (rid);

CREATE TABLE fhir_idx_string (
    rid BIGINT NOT NULL,
    param TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX fhir_idx_string_lookup ON fhir_idx_string (param, value, rid);
CREATE INDEX fhir_idx_string_rid ON fhir_idx_string (rid);

CREATE TABLE fhir_idx_date (
    rid BIGINT NOT NULL,
    param TEXT NOT NULL,
    low BIGINT NOT NULL,
    high BIGINT NOT NULL
);
CREATE INDEX fhir_idx_date_lookup ON fhir_idx_date (param, low, high, rid);
CREATE INDEX fhir_idx_date_rid ON fhir_idx_date (rid);

CREATE TABLE fhir_idx_reference (
    rid BIGINT NOT NULL,
    param TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT NOT NULL
);
CREATE INDEX fhir_idx_reference_lookup ON fhir_idx_reference (param, target_id, target_type, rid);
CREATE INDEX fhir_idx_reference_rid ON fhir_idx_reference (rid);

CREATE TABLE fhir_idx_quantity (
    rid BIGINT NOT NULL,
    param TEXT NOT NULL,
    system TEXT,
    code TEXT,
    value DOUBLE PRECISION NOT NULL
);
CREATE INDEX fhir_idx_quantity_lookup ON fhir_idx_quantity (param, code, value, rid);
CREATE INDEX fhir_idx_quantity_rid ON fhir_idx_quantity (rid);

-- Who may see a patient's records besides the patient: the organisations that serve them
-- (kind 'organisation') and the district they live in (kind 'district'). Maintained by the
-- registry; read by every search, so access scopes are enforced inside the query.
CREATE TABLE fhir_patient_links (
    patient_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (patient_id, kind, value)
);
CREATE INDEX fhir_patient_links_lookup ON fhir_patient_links (kind, value, patient_id);
