-- The append-only audit log (see crates/ledger/src/lib.rs). Times are Unix milliseconds, UTC.
-- `data` is the RFC 8785 canonical JSON of the entry, including its own seq; `leaf_hash` is
-- SHA-256(0x00 || data). The columns after `appended_at` are a queryable copy of fields of
-- `data`, checked against it by verification. `seq INTEGER PRIMARY KEY` makes seq SQLite's
-- rowid (no separate primary-key index); it holds 64-bit integers like BIGINT.
CREATE TABLE ledger_entries (
    seq INTEGER PRIMARY KEY,
    leaf_hash BLOB NOT NULL,
    data TEXT NOT NULL,
    appended_at BIGINT NOT NULL,
    actor TEXT,
    organisation TEXT,
    action TEXT,
    subject_type TEXT,
    subject_id TEXT,
    purpose TEXT
);
CREATE INDEX ledger_entries_subject ON ledger_entries (subject_type, subject_id, seq);
CREATE INDEX ledger_entries_actor ON ledger_entries (actor, seq);

-- One Ed25519-signed tree head per committed batch; the signature covers
-- "lifehealth-sth-v1" || u64 BE tree_size || u64 BE timestamp || root_hash.
CREATE TABLE ledger_tree_heads (
    tree_size INTEGER PRIMARY KEY,
    root_hash BLOB NOT NULL,
    timestamp BIGINT NOT NULL,
    signature BLOB NOT NULL
);
