-- Counts measured from records as they arrive (crates/registry/src/enrolment.rs,
-- `Registers::record_measures`; the rules are the templates' `[counts.measure]`): a result
-- judged against the register's target (LDL-C for coronary heart disease), an examination
-- (spirometry for COPD), an assessment at a follow-up (mRS at a stroke rehabilitation
-- follow-up). Each measure is kept with the record it came from, so a corrected or deleted
-- record replaces or withdraws what it said, and a past reporting day can be answered.
CREATE TABLE registry_measures (
    id TEXT PRIMARY KEY,
    enrolment_id TEXT NOT NULL REFERENCES registry_enrolments (id),
    kind TEXT NOT NULL,
    measured_on TEXT NOT NULL,
    met BIGINT,
    source TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    UNIQUE (enrolment_id, kind, source)
);
CREATE INDEX registry_measures_latest ON registry_measures (enrolment_id, kind, measured_on);
CREATE INDEX registry_measures_source ON registry_measures (source);
-- The latest of each kind on the enrolment, like the latest follow-up's facts (migration 0004).
ALTER TABLE registry_enrolments ADD COLUMN target_result_on TEXT;
ALTER TABLE registry_enrolments ADD COLUMN target_result_met BIGINT;
ALTER TABLE registry_enrolments ADD COLUMN examined_on TEXT;
ALTER TABLE registry_enrolments ADD COLUMN assessed_on TEXT;
-- The dashboards' covering indexes gain the new facts, so a present-day dashboard still reads
-- one index and never the table.
DROP INDEX registry_enrolments_district_facts;
DROP INDEX registry_enrolments_centre_facts;
CREATE INDEX registry_enrolments_district_facts ON registry_enrolments
    (disease, district, enrolled_on, last_visit, last_controlled, last_danger, visit_2nd, visit_3rd, visit_4th,
     target_result_on, target_result_met, examined_on, assessed_on);
CREATE INDEX registry_enrolments_centre_facts ON registry_enrolments
    (disease, community_centre_id, enrolled_on, last_visit, last_controlled, last_danger, visit_2nd, visit_3rd, visit_4th,
     target_result_on, target_result_met, examined_on, assessed_on);
