-- Organisations, users, their role grants, browser sessions and machine tokens.
-- Times are BIGINT Unix milliseconds (UTC); flags are BIGINT 0/1; ids are UUIDv7 text.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    bureau TEXT,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    district TEXT,
    parent_id TEXT REFERENCES organisations (id),
    uscc TEXT UNIQUE,
    -- Hospitals licensed to run an internet hospital (互联网医院).
    internet_hospital BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX organisations_kind ON organisations (kind, district);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    password_hash TEXT NOT NULL,
    -- Personal identifiers: ciphertext (vault::FieldCipher) and keyed blind index for look-up.
    mobile_cipher TEXT,
    mobile_index TEXT,
    locale TEXT NOT NULL DEFAULT 'zh-CN',
    active BIGINT NOT NULL DEFAULT 1,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX users_organisation ON users (organisation_id);
CREATE INDEX users_mobile_index ON users (mobile_index);

-- scope: 'city', 'district:<key>', 'organisation:<id>' or 'own'.
CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role, scope)
);

-- Only a SHA-256 of the session cookie is stored: a copy of this table opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
