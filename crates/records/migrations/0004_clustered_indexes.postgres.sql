-- See 0004_clustered_indexes.sqlite.sql. PostgreSQL tables are heaps, so clustering buys
-- nothing here: the index tables only gain `n`, numbering a resource's index rows, so both
-- backends take the same INSERTs; the probe and lookup indexes stay as they are.
ALTER TABLE fhir_idx_token ADD COLUMN n BIGINT NOT NULL DEFAULT 0;
UPDATE fhir_idx_token AS t SET n = x.n FROM (SELECT ctid, row_number() OVER (PARTITION BY rid) AS n FROM fhir_idx_token) AS x WHERE t.ctid = x.ctid;
ALTER TABLE fhir_idx_string ADD COLUMN n BIGINT NOT NULL DEFAULT 0;
UPDATE fhir_idx_string AS t SET n = x.n FROM (SELECT ctid, row_number() OVER (PARTITION BY rid) AS n FROM fhir_idx_string) AS x WHERE t.ctid = x.ctid;
ALTER TABLE fhir_idx_date ADD COLUMN n BIGINT NOT NULL DEFAULT 0;
UPDATE fhir_idx_date AS t SET n = x.n FROM (SELECT ctid, row_number() OVER (PARTITION BY rid) AS n FROM fhir_idx_date) AS x WHERE t.ctid = x.ctid;
ALTER TABLE fhir_idx_reference ADD COLUMN n BIGINT NOT NULL DEFAULT 0;
UPDATE fhir_idx_reference AS t SET n = x.n FROM (SELECT ctid, row_number() OVER (PARTITION BY rid) AS n FROM fhir_idx_reference) AS x WHERE t.ctid = x.ctid;
ALTER TABLE fhir_idx_quantity ADD COLUMN n BIGINT NOT NULL DEFAULT 0;
UPDATE fhir_idx_quantity AS t SET n = x.n FROM (SELECT ctid, row_number() OVER (PARTITION BY rid) AS n FROM fhir_idx_quantity) AS x WHERE t.ctid = x.ctid;
