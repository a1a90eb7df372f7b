-- A search probes each further condition by row id (`EXISTS ... x.rid = r.rid AND x.param =
-- ...`); with the row id alone the planner may prefer the lookup index's `param` prefix and
-- scan every value of the parameter. Indexing (rid, param) makes the probe one seek;
-- the remaining columns make it covering, so the table itself is never read.
DROP INDEX fhir_idx_token_rid;
DROP INDEX fhir_idx_string_rid;
DROP INDEX fhir_idx_date_rid;
DROP INDEX fhir_idx_reference_rid;
DROP INDEX fhir_idx_quantity_rid;
CREATE INDEX fhir_idx_token_rid ON fhir_idx_token (rid, param, code, system);
CREATE INDEX fhir_idx_string_rid ON fhir_idx_string (rid, param, value);
CREATE INDEX fhir_idx_date_rid ON fhir_idx_date (rid, param, low, high);
CREATE INDEX fhir_idx_reference_rid ON fhir_idx_reference (rid, param, target_id, target_type);
CREATE INDEX fhir_idx_quantity_rid ON fhir_idx_quantity (rid, param, code, value, system);
