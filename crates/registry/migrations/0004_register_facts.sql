-- Register facts on the enrolment itself, so a dashboard over millions of enrolments reads one
-- covering index and never the follow-ups or the residents (crates/registry/src/enrolment.rs,
-- `Registers::counts_by`): the resident's district and community centre (kept in step by
-- `ResidentIndex::set_care_team`), and the dates of the 2nd, 3rd and 4th latest follow-ups
-- (with `last_visit`, the four latest), from which "at least k follow-ups in the year" is
-- one comparison for k up to 4.
ALTER TABLE registry_enrolments ADD COLUMN district TEXT;
ALTER TABLE registry_enrolments ADD COLUMN community_centre_id TEXT;
ALTER TABLE registry_enrolments ADD COLUMN visit_2nd TEXT;
ALTER TABLE registry_enrolments ADD COLUMN visit_3rd TEXT;
ALTER TABLE registry_enrolments ADD COLUMN visit_4th TEXT;
UPDATE registry_enrolments SET
    district = (SELECT p.district FROM registry_residents p WHERE p.id = registry_enrolments.resident_id),
    community_centre_id = (SELECT p.community_centre_id FROM registry_residents p WHERE p.id = registry_enrolments.resident_id),
    visit_2nd = (SELECT f.visit_date FROM registry_followups f WHERE f.enrolment_id = registry_enrolments.id
                 ORDER BY f.visit_date DESC, f.recorded_at DESC LIMIT 1 OFFSET 1),
    visit_3rd = (SELECT f.visit_date FROM registry_followups f WHERE f.enrolment_id = registry_enrolments.id
                 ORDER BY f.visit_date DESC, f.recorded_at DESC LIMIT 1 OFFSET 2),
    visit_4th = (SELECT f.visit_date FROM registry_followups f WHERE f.enrolment_id = registry_enrolments.id
                 ORDER BY f.visit_date DESC, f.recorded_at DESC LIMIT 1 OFFSET 3);
CREATE INDEX registry_enrolments_district_facts ON registry_enrolments
    (disease, district, enrolled_on, last_visit, last_controlled, last_danger, visit_2nd, visit_3rd, visit_4th);
CREATE INDEX registry_enrolments_centre_facts ON registry_enrolments
    (disease, community_centre_id, enrolled_on, last_visit, last_controlled, last_danger, visit_2nd, visit_3rd, visit_4th);
