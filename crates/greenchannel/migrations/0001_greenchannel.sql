-- The innovation product lists and the hospital green channel (issue 6, S8). Dates the
-- people enter (publication, provincial listing, adoption) are ISO 'YYYY-MM-DD' text, which
-- sorts as dates; moments the platform records are Unix milliseconds.

-- A company's nomination of one of its products to a list. The product's details are copied
-- from the company register at nomination time.
CREATE TABLE gc_nominations (
    id TEXT PRIMARY KEY,
    list_code TEXT NOT NULL,
    company_id TEXT NOT NULL,
    company_name TEXT NOT NULL,
    uscc TEXT NOT NULL,
    product_id TEXT NOT NULL,
    product_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    registration_no TEXT NOT NULL,
    evidence TEXT NOT NULL,
    -- submitted | approved | refused | withdrawn | removed
    state TEXT NOT NULL,
    reason TEXT,
    submitted_by TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    -- 'list|product' while the nomination is submitted or approved, NULL otherwise: at most
    -- one open nomination per product and list, even under concurrent submissions.
    open_key TEXT UNIQUE
);
CREATE INDEX gc_nominations_list ON gc_nominations (list_code, state);
CREATE INDEX gc_nominations_company ON gc_nominations (company_id, submitted_at);

-- Published versions of a list. Never updated.
CREATE TABLE gc_versions (
    list_code TEXT NOT NULL,
    version BIGINT NOT NULL,
    published_on TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (list_code, version)
);

-- The products of a version, frozen at publication.
CREATE TABLE gc_version_entries (
    list_code TEXT NOT NULL,
    version BIGINT NOT NULL,
    product_id TEXT NOT NULL,
    nomination_id TEXT NOT NULL,
    company_id TEXT NOT NULL,
    company_name TEXT NOT NULL,
    uscc TEXT NOT NULL,
    product_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    registration_no TEXT NOT NULL,
    PRIMARY KEY (list_code, version, product_id)
);

-- Products of the previous version a version no longer has, with the reason.
CREATE TABLE gc_version_removals (
    list_code TEXT NOT NULL,
    version BIGINT NOT NULL,
    product_id TEXT NOT NULL,
    product_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (list_code, version, product_id)
);

-- When a product was listed on the provincial procurement platform (挂网).
CREATE TABLE gc_listings (
    product_id TEXT PRIMARY KEY,
    listed_on TEXT NOT NULL,
    evidence TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

-- What a hospital recorded about a listed product: adopted into its procurement catalogue,
-- or not clinically needed.
CREATE TABLE gc_decisions (
    hospital_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    -- adopted | not_needed
    outcome TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    catalogue_ref TEXT,
    reason TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (hospital_id, product_id)
);

-- Reminders and overdue alerts, one per hospital, product, kind and deadline.
CREATE TABLE gc_alerts (
    id TEXT PRIMARY KEY,
    hospital_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    -- reminder | overdue
    kind TEXT NOT NULL,
    deadline TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    resolved_at BIGINT,
    acknowledged_by TEXT,
    acknowledged_at BIGINT,
    UNIQUE (hospital_id, product_id, kind, deadline)
);
CREATE INDEX gc_alerts_open ON gc_alerts (resolved_at, hospital_id);

-- Usage per hospital, product and quarter: the figures in force.
CREATE TABLE gc_usage (
    hospital_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    period TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    amount_yuan BIGINT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    reason TEXT,
    PRIMARY KEY (hospital_id, product_id, period)
);
CREATE INDEX gc_usage_period ON gc_usage (period, product_id);

-- Figures a correction replaced, with the correction's reason.
CREATE TABLE gc_usage_history (
    id TEXT PRIMARY KEY,
    hospital_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    period TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    amount_yuan BIGINT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    reason TEXT,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX gc_usage_history_key ON gc_usage_history (hospital_id, product_id, period, replaced_at);

-- Bulletins issued to the bureaus: the content as issued and its hash (also on the ledger).
CREATE TABLE gc_bulletins (
    period TEXT PRIMARY KEY,
    issued_by TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL
);
