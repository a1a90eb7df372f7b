-- The company register and product pipelines (issue 6). Dates are TEXT 'YYYY-MM-DD' (calendar
-- days in the city, no time zone); times BIGINT Unix millis; money BIGINT yuan; flags BIGINT 0/1.

CREATE TABLE industry_companies (
    id TEXT PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- The access organisation (kind Company) whose users act for the company.
    organisation_id TEXT,
    city TEXT NOT NULL,
    province TEXT NOT NULL,
    district TEXT NOT NULL,
    park TEXT,
    -- Segment keys joined by commas, in the enum's order.
    segments TEXT NOT NULL,
    founded TEXT NOT NULL,
    paid_in_capital_yuan BIGINT NOT NULL,
    listed BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX industry_companies_district ON industry_companies (district);
CREATE INDEX industry_companies_organisation ON industry_companies (organisation_id);

-- One row per company and year; a correction moves the replaced row to the history.
CREATE TABLE industry_figures (
    company_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    revenue_yuan BIGINT NOT NULL,
    rd_spend_yuan BIGINT NOT NULL,
    staff BIGINT NOT NULL,
    output_yuan BIGINT NOT NULL,
    tax_yuan BIGINT,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, year)
);

CREATE TABLE industry_figures_history (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    revenue_yuan BIGINT NOT NULL,
    rd_spend_yuan BIGINT NOT NULL,
    staff BIGINT NOT NULL,
    output_yuan BIGINT NOT NULL,
    tax_yuan BIGINT,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    replaced_by TEXT NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX industry_figures_history_company ON industry_figures_history (company_id, year, replaced_at);

CREATE TABLE industry_qualifications (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    obtained TEXT NOT NULL,
    expires TEXT,
    evidence TEXT NOT NULL,
    detail BIGINT,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX industry_qualifications_company ON industry_qualifications (company_id, kind);

CREATE TABLE industry_products (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- drug | device | health
    kind TEXT NOT NULL,
    drug_class TEXT,
    device_class TEXT,
    special_review BIGINT NOT NULL,
    started TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, name)
);

-- Append-only: a stage is recorded once per product and never changed.
CREATE TABLE industry_stage_events (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    on_date TEXT NOT NULL,
    evidence TEXT NOT NULL,
    evidence_sha256 TEXT,
    skips_with_reason TEXT,
    first_in_country BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    UNIQUE (product_id, stage)
);

-- Files imported: what, by whom, the file's digest and what it changed.
CREATE TABLE industry_imports (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    data_rows BIGINT NOT NULL,
    companies_created BIGINT NOT NULL,
    companies_updated BIGINT NOT NULL,
    figures_written BIGINT NOT NULL,
    products_created BIGINT NOT NULL,
    stages_recorded BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
