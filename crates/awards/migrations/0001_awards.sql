-- Subsidy programmes, applications to their clauses, expert review, public notice, decisions
-- and disbursements (issue 6; ADR 0015). Money is whole yuan; times are Unix milliseconds.

CREATE TABLE awards_programmes (
    id TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    year BIGINT NOT NULL,
    bureau TEXT NOT NULL,
    budget_yuan BIGINT NOT NULL,
    -- JSON array of policy clause ids this programme funds.
    clauses TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE awards_applications (
    id TEXT PRIMARY KEY,
    programme_id TEXT NOT NULL REFERENCES awards_programmes (id),
    company_id TEXT NOT NULL,
    company_name TEXT NOT NULL,
    company_organisation_id TEXT NOT NULL,
    clause_id TEXT NOT NULL,
    clause_version BIGINT NOT NULL,
    -- What is funded, e.g. a product and its stage: no two open applications share it.
    subject_key TEXT NOT NULL,
    title TEXT NOT NULL,
    -- JSON: the facts as submitted, and the evaluation with its trace at submission.
    facts TEXT NOT NULL,
    evaluation TEXT NOT NULL,
    -- 'exact' | 'up-to' | 'committee' | 'not-stated'
    amount_kind TEXT NOT NULL,
    max_yuan BIGINT,
    requested_yuan BIGINT,
    recommended_yuan BIGINT,
    awarded_yuan BIGINT,
    state TEXT NOT NULL,
    score_centi BIGINT,
    notice_until BIGINT,
    due_at BIGINT,
    reason TEXT,
    -- Set on the no-application path: the bureau confirmed a match computed from the register.
    initiated_by_bureau BIGINT NOT NULL DEFAULT 0,
    submitted_by TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    award_year BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX awards_applications_company ON awards_applications (company_id, state);
CREATE INDEX awards_applications_programme ON awards_applications (programme_id, state);
CREATE INDEX awards_applications_subject ON awards_applications (company_id, clause_id, subject_key);

CREATE TABLE awards_attachments (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES awards_applications (id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    -- base64; attachments are small (see MAX_ATTACHMENT_BYTES).
    content TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL
);

CREATE INDEX awards_attachments_application ON awards_attachments (application_id);

-- Every step, for the company's timeline and the department's record.
CREATE TABLE awards_events (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES awards_applications (id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    step TEXT NOT NULL,
    state TEXT NOT NULL,
    note TEXT
);

CREATE INDEX awards_events_application ON awards_events (application_id, at);

CREATE TABLE awards_collaborations (
    id TEXT PRIMARY KEY,
    expert_user_id TEXT NOT NULL,
    company_id TEXT NOT NULL,
    until_on TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

CREATE INDEX awards_collaborations_expert ON awards_collaborations (expert_user_id);

CREATE TABLE awards_assignments (
    application_id TEXT NOT NULL REFERENCES awards_applications (id),
    expert_user_id TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    -- 'assigned' | 'scored' | 'recused'
    status TEXT NOT NULL,
    recusal_reason TEXT,
    -- JSON array of per-criterion scores, in rubric order.
    scores TEXT,
    total_centi BIGINT,
    comment TEXT,
    scored_at BIGINT,
    PRIMARY KEY (application_id, expert_user_id)
);

CREATE INDEX awards_assignments_expert ON awards_assignments (expert_user_id, status);

CREATE TABLE awards_objections (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES awards_applications (id),
    raised_by TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    -- 'open' | 'upheld' | 'dismissed'
    status TEXT NOT NULL,
    resolved_by TEXT,
    resolved_at BIGINT,
    resolution TEXT
);

CREATE INDEX awards_objections_application ON awards_objections (application_id, status);

CREATE TABLE awards_disbursements (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES awards_applications (id),
    amount_yuan BIGINT NOT NULL,
    paid_on TEXT NOT NULL,
    voucher TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

CREATE INDEX awards_disbursements_application ON awards_disbursements (application_id);

-- Policy matching's notices to companies (政策找企业): a clause the company probably
-- qualifies for, sent by a bureau, read by the company.
CREATE TABLE awards_notices (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    clause_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    message TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    read_at BIGINT
);

CREATE INDEX awards_notices_company ON awards_notices (company_id, sent_at);
