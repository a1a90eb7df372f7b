-- Disease registries (crates/registry/src/enrolment.rs): who is enrolled in which disease, why
-- (the record and code that found the case), and each follow-up visit's outcome. Dates of visits
-- are civil dates (YYYY-MM-DD, Asia/Shanghai) because follow-up plans count calendar days.
CREATE TABLE registry_enrolments (
    id TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES registry_residents (id),
    disease TEXT NOT NULL,
    enrolled_on TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    source_organisation TEXT NOT NULL,
    source_resource TEXT NOT NULL,
    code_system TEXT NOT NULL,
    code TEXT NOT NULL,
    rule TEXT NOT NULL,
    reason_zh TEXT NOT NULL,
    reason_en TEXT NOT NULL,
    last_visit TEXT,
    last_controlled BIGINT,
    UNIQUE (resident_id, disease)
);
CREATE INDEX registry_enrolments_disease ON registry_enrolments (disease, enrolled_on);

CREATE TABLE registry_followups (
    id TEXT PRIMARY KEY,
    enrolment_id TEXT NOT NULL REFERENCES registry_enrolments (id),
    visit_date TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    controlled BIGINT,
    danger BIGINT NOT NULL,
    encounter TEXT
);
CREATE INDEX registry_followups_enrolment ON registry_followups (enrolment_id, visit_date);
