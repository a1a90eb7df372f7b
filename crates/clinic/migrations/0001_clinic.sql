-- The online convenience clinic (issue 5, ADR 0014).

-- Online service volume each internet hospital reports per period (e.g. 2026-Q3); pilots are
-- ranked by the latest period.
CREATE TABLE clinic_volumes (
    hospital_id TEXT NOT NULL,
    period TEXT NOT NULL,
    online_visits BIGINT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    PRIMARY KEY (hospital_id, period)
);

-- The hospitals the health commission designated, with the rank and volume they had then.
CREATE TABLE clinic_pilots (
    hospital_id TEXT PRIMARY KEY,
    period TEXT NOT NULL,
    rank BIGINT NOT NULL,
    online_visits BIGINT NOT NULL,
    designated_at BIGINT NOT NULL,
    designated_by TEXT NOT NULL
);

-- What each pilot offers: the conditions (disease template codes) and the doctors.
CREATE TABLE clinic_offerings (
    hospital_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (hospital_id, kind, value)
);

-- Doctors' practice credentials as their hospital verified them.
CREATE TABLE clinic_practitioners (
    user_id TEXT PRIMARY KEY,
    hospital_id TEXT NOT NULL,
    licence_no TEXT NOT NULL,
    practising_since TEXT NOT NULL,
    verified_at BIGINT NOT NULL,
    verified_by TEXT NOT NULL
);

CREATE TABLE clinic_consultations (
    id TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    hospital_id TEXT NOT NULL,
    doctor_id TEXT NOT NULL,
    disease TEXT NOT NULL,
    state TEXT NOT NULL,
    basis TEXT NOT NULL,
    guardian_present BIGINT NOT NULL,
    complaint TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    accepted_at BIGINT,
    completed_at BIGINT,
    closed_at BIGINT,
    close_reason TEXT,
    last_activity_at BIGINT NOT NULL,
    note TEXT,
    encounter TEXT,
    -- The patient's confirmation of a long prescription (over 4 weeks) in this visit.
    long_confirmed_at BIGINT,
    -- The uploaded diagnosis document, when the register holds none, and the doctor's verdict.
    document_message_id TEXT,
    document_accepted BIGINT,
    retain_until BIGINT NOT NULL
);
CREATE INDEX clinic_consultations_doctor ON clinic_consultations (doctor_id, state, requested_at);
CREATE INDEX clinic_consultations_resident ON clinic_consultations (resident_id, requested_at);
CREATE INDEX clinic_consultations_hospital ON clinic_consultations (hospital_id, requested_at);
CREATE INDEX clinic_consultations_open ON clinic_consultations (state, last_activity_at);

CREATE TABLE clinic_messages (
    id TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    from_doctor BIGINT NOT NULL,
    body TEXT,
    image_type TEXT,
    image TEXT,
    sent_at BIGINT NOT NULL,
    retain_until BIGINT NOT NULL
);
CREATE INDEX clinic_messages_consultation ON clinic_messages (consultation_id, sent_at);

-- Requests the rules turned away, for the regulator's view (no personal data).
CREATE TABLE clinic_refusals (
    id TEXT PRIMARY KEY,
    hospital_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    rule TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX clinic_refusals_hospital ON clinic_refusals (hospital_id, at);

-- Doctors' prescription signing keys: the public key in clear, the secret sealed with the
-- platform's field cipher.
CREATE TABLE clinic_signing_keys (
    key_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    secret_enc TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX clinic_signing_keys_user ON clinic_signing_keys (user_id, created_at);

CREATE TABLE clinic_prescriptions (
    id TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL,
    request_key TEXT NOT NULL,
    resident_id TEXT NOT NULL,
    doctor_id TEXT NOT NULL,
    hospital_id TEXT NOT NULL,
    state TEXT NOT NULL,
    canonical TEXT NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    written_at BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    long_term BIGINT NOT NULL,
    reviewed_by TEXT,
    reviewed_at BIGINT,
    review_reason TEXT,
    retain_until BIGINT NOT NULL,
    UNIQUE (consultation_id, request_key)
);
CREATE INDEX clinic_prescriptions_state ON clinic_prescriptions (hospital_id, state, written_at);
CREATE INDEX clinic_prescriptions_resident ON clinic_prescriptions (resident_id, written_at);
