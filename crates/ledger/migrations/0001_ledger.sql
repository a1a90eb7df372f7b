-- The append-only audit log. Hashes are lowercase hex; times are Unix milliseconds (UTC).
-- `data` is the canonical JSON of the event including its own seq; the columns after it are
-- a queryable copy that `lifehealth ledger verify` checks against `data`.
CREATE TABLE ledger_entries (
    seq BIGINT PRIMARY KEY,
    leaf_hash TEXT NOT NULL,
    data TEXT NOT NULL,
    appended_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    organisation TEXT,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    purpose TEXT NOT NULL
);
CREATE INDEX ledger_entries_subject ON ledger_entries (subject_type, subject_id, seq);
CREATE INDEX ledger_entries_actor ON ledger_entries (actor, seq);

-- One signed tree head per committed batch.
CREATE TABLE ledger_tree_heads (
    tree_size BIGINT PRIMARY KEY,
    root_hash TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    signature TEXT NOT NULL
);
