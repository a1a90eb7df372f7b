-- Indicator counts in SQL (crates/registry/src/enrolment.rs, `Registers::counts`): the outcome
-- of the latest follow-up is kept on the enrolment like `last_controlled`, so "referred" (a
-- danger sign at the latest follow-up) is counted without reading the follow-ups.
ALTER TABLE registry_enrolments ADD COLUMN last_danger BIGINT;
UPDATE registry_enrolments SET last_danger = (
    SELECT f.danger FROM registry_followups f
    WHERE f.enrolment_id = registry_enrolments.id
    ORDER BY f.visit_date DESC, f.recorded_at DESC
    LIMIT 1
) WHERE last_visit IS NOT NULL;
-- Counts by district and centre select residents by care team, then their enrolments.
CREATE INDEX registry_residents_district_centre ON registry_residents (district, community_centre_id);
CREATE INDEX registry_enrolments_last_visit ON registry_enrolments (disease, last_visit);
