-- SQLite: `rid INTEGER PRIMARY KEY` makes rid the rowid, so index lookups by rid need no
-- second index.
-- The clinical record store: every FHIR resource the platform holds (see crates/records).
-- `rid` is an internal surrogate key assigned by the single writer; resources are addressed
-- from outside by (type, id). `body` is the resource's JSON encrypted with the field cipher
-- (context "fhir:<type>/<id>/<version>"): health data is sensitive personal information and
-- is never stored in the clear. Times are Unix milliseconds, UTC; flags are BIGINT 0/1.
CREATE TABLE fhir_resources (
    rid INTEGER PRIMARY KEY,
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    deleted BIGINT NOT NULL,
    patient_id TEXT,
    body TEXT NOT NULL,
    UNIQUE (resource_type, id)
);
CREATE INDEX fhir_resources_type_updated ON fhir_resources (resource_type, last_updated);
CREATE INDEX fhir_resources_patient ON fhir_resources (patient_id, resource_type);

