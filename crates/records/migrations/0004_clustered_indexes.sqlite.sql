-- SQLite: each search index table becomes a WITHOUT ROWID table clustered on (rid, n), `n`
-- numbering a resource's index rows. Before, every index row was stored three times: in the
-- table's rowid B-tree, in the lookup index and in the (rid, ...) probe index. Clustered on
-- rid, the table itself is the probe index (a resource's rows are adjacent, a probe is one
-- seek), and the rows of a new resource go to the end of the tree. Ingest writes a third
-- fewer B-tree entries; the lookup indexes are unchanged.
CREATE TABLE fhir_idx_token_c (
    rid BIGINT NOT NULL,
    n BIGINT NOT NULL,
    param TEXT NOT NULL,
    system TEXT,
    code TEXT NOT NULL,
    PRIMARY KEY (rid, n)
) WITHOUT ROWID;
INSERT INTO fhir_idx_token_c (rid, n, param, system, code)
    SELECT rid, row_number() OVER (PARTITION BY rid), param, system, code FROM fhir_idx_token;
DROP TABLE fhir_idx_token;
ALTER TABLE fhir_idx_token_c RENAME TO fhir_idx_token;
CREATE INDEX fhir_idx_token_lookup ON fhir_idx_token (param, code, system, rid);

CREATE TABLE fhir_idx_string_c (
    rid BIGINT NOT NULL,
    n BIGINT NOT NULL,
    param TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (rid, n)
) WITHOUT ROWID;
INSERT INTO fhir_idx_string_c (rid, n, param, value)
    SELECT rid, row_number() OVER (PARTITION BY rid), param, value FROM fhir_idx_string;
DROP TABLE fhir_idx_string;
ALTER TABLE fhir_idx_string_c RENAME TO fhir_idx_string;
CREATE INDEX fhir_idx_string_lookup ON fhir_idx_string (param, value, rid);

CREATE TABLE fhir_idx_date_c (
    rid BIGINT NOT NULL,
    n BIGINT NOT NULL,
    param TEXT NOT NULL,
    low BIGINT NOT NULL,
    high BIGINT NOT NULL,
    PRIMARY KEY (rid, n)
) WITHOUT ROWID;
INSERT INTO fhir_idx_date_c (rid, n, param, low, high)
    SELECT rid, row_number() OVER (PARTITION BY rid), param, low, high FROM fhir_idx_date;
DROP TABLE fhir_idx_date;
ALTER TABLE fhir_idx_date_c RENAME TO fhir_idx_date;
CREATE INDEX fhir_idx_date_lookup ON fhir_idx_date (param, low, high, rid);

CREATE TABLE fhir_idx_reference_c (
    rid BIGINT NOT NULL,
    n BIGINT NOT NULL,
    param TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT NOT NULL,
    PRIMARY KEY (rid, n)
) WITHOUT ROWID;
INSERT INTO fhir_idx_reference_c (rid, n, param, target_type, target_id)
    SELECT rid, row_number() OVER (PARTITION BY rid), param, target_type, target_id
    FROM fhir_idx_reference;
DROP TABLE fhir_idx_reference;
ALTER TABLE fhir_idx_reference_c RENAME TO fhir_idx_reference;
CREATE INDEX fhir_idx_reference_lookup ON fhir_idx_reference (param, target_id, target_type, rid);

CREATE TABLE fhir_idx_quantity_c (
    rid BIGINT NOT NULL,
    n BIGINT NOT NULL,
    param TEXT NOT NULL,
    system TEXT,
    code TEXT,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (rid, n)
) WITHOUT ROWID;
INSERT INTO fhir_idx_quantity_c (rid, n, param, system, code, value)
    SELECT rid, row_number() OVER (PARTITION BY rid), param, system, code, value
    FROM fhir_idx_quantity;
DROP TABLE fhir_idx_quantity;
ALTER TABLE fhir_idx_quantity_c RENAME TO fhir_idx_quantity;
CREATE INDEX fhir_idx_quantity_lookup ON fhir_idx_quantity (param, code, value, rid);
