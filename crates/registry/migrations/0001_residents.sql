-- The resident master index (see crates/registry/src/residents.rs). Personal identifiers are
-- encrypted (`*_enc`, field cipher) with keyed blind indexes (`*_bidx`) for exact look-up.
-- Birth date and sex stay readable: indicators need ages, and neither identifies alone.
CREATE TABLE registry_residents (
    id TEXT PRIMARY KEY,
    id_number_enc TEXT,
    id_number_bidx TEXT UNIQUE,
    name_enc TEXT,
    name_birth_bidx TEXT,
    mobile_enc TEXT,
    mobile_bidx TEXT,
    sex TEXT,
    birth_date TEXT,
    district TEXT,
    community_centre_id TEXT,
    family_doctor_id TEXT,
    household_id TEXT,
    user_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX registry_residents_name_birth ON registry_residents (name_birth_bidx);
CREATE INDEX registry_residents_mobile ON registry_residents (mobile_bidx);
CREATE INDEX registry_residents_centre ON registry_residents (community_centre_id);
CREATE INDEX registry_residents_district ON registry_residents (district);
CREATE INDEX registry_residents_household ON registry_residents (household_id);

-- Each source's record of a person and how it was linked to the resident.
CREATE TABLE registry_resident_sources (
    organisation_id TEXT NOT NULL,
    source_patient_id TEXT NOT NULL,
    resident_id TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, source_patient_id)
);
CREATE INDEX registry_resident_sources_resident ON registry_resident_sources (resident_id);

-- Uncertain matches waiting for a person: the incoming facts (encrypted) and the scored
-- candidates (resident ids, weights and evidence codes; no personal data).
CREATE TABLE registry_match_reviews (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    source_patient_id TEXT NOT NULL,
    name_enc TEXT,
    mobile_enc TEXT,
    id_number_enc TEXT,
    birth_date TEXT,
    sex TEXT,
    candidates TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT,
    resident_id TEXT
);
CREATE INDEX registry_match_reviews_open ON registry_match_reviews (status, created_at);
