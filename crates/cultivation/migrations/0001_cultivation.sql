-- Enterprise cultivation pools: yearly proposals, published memberships, support plans
-- (issue 6, S5). Years are BIGINT, times Unix milliseconds, dates ISO text (YYYY-MM-DD sorts
-- as it reads).

-- One proposal per scheme and year; a rejected one is reopened, not replaced.
CREATE TABLE cultivation_proposals (
    id TEXT PRIMARY KEY,
    scheme TEXT NOT NULL,
    year BIGINT NOT NULL,
    state TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at BIGINT NOT NULL,
    submitted_by TEXT,
    submitted_at BIGINT,
    reviewed_by TEXT,
    reviewed_at BIGINT,
    rejection_reason TEXT,
    published_by TEXT,
    published_at BIGINT,
    UNIQUE (scheme, year)
);

-- Every candidate of a proposal with its rank and score (JSON of the parts), the pool the
-- ranking gave it and the pool it has after amendments.
CREATE TABLE cultivation_entries (
    proposal_id TEXT NOT NULL,
    company_id TEXT NOT NULL,
    candidate TEXT NOT NULL,
    name TEXT NOT NULL,
    district TEXT NOT NULL,
    rank BIGINT NOT NULL,
    score TEXT NOT NULL,
    proposed_pool TEXT,
    pool TEXT,
    PRIMARY KEY (proposal_id, company_id)
);

-- Who amended a proposal (four eyes: they may not review it).
CREATE TABLE cultivation_amenders (
    proposal_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (proposal_id, user_id)
);

-- Published lists. A membership is current until the next year's list of the scheme is
-- published (ended_at set then).
CREATE TABLE cultivation_memberships (
    scheme TEXT NOT NULL,
    year BIGINT NOT NULL,
    company_id TEXT NOT NULL,
    name TEXT NOT NULL,
    district TEXT NOT NULL,
    pool TEXT NOT NULL,
    rank BIGINT NOT NULL,
    proposal_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    PRIMARY KEY (scheme, year, company_id)
);
CREATE INDEX cultivation_memberships_company ON cultivation_memberships (company_id);

-- Each step of a company's place in a scheme: proposed, amended (with the reason),
-- published, ended. Ordered by at, then id (UUIDv7, ordered within a process).
CREATE TABLE cultivation_events (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    scheme TEXT NOT NULL,
    year BIGINT NOT NULL,
    proposal_id TEXT NOT NULL,
    from_pool TEXT,
    to_pool TEXT,
    how TEXT NOT NULL,
    reason TEXT,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX cultivation_events_company ON cultivation_events (company_id, at);

-- 一企一策: one plan per company, scheme and year.
CREATE TABLE cultivation_plans (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    scheme TEXT NOT NULL,
    year BIGINT NOT NULL,
    goals TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, scheme, year)
);

CREATE TABLE cultivation_actions (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    what TEXT NOT NULL,
    owner_bureau TEXT NOT NULL,
    owner_user TEXT,
    due TEXT NOT NULL,
    state TEXT NOT NULL,
    dropped_reason TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_by TEXT,
    closed_at BIGINT
);
CREATE INDEX cultivation_actions_plan ON cultivation_actions (plan_id);
CREATE INDEX cultivation_actions_open ON cultivation_actions (state, due);

CREATE TABLE cultivation_follow_ups (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    by_user TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX cultivation_follow_ups_plan ON cultivation_follow_ups (plan_id, at);
