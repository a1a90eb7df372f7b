-- Residents' sharing decisions by purpose (crates/registry/src/consent.rs). A row exists only
-- once a resident (or an authorised household member) decided; until then the purpose's
-- default in data/sharing.toml holds. Every change is also on the ledger.
CREATE TABLE registry_consents (
    resident_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    granted BIGINT NOT NULL,
    decided_at BIGINT NOT NULL,
    decided_by TEXT NOT NULL,
    proxy_resident_id TEXT,
    PRIMARY KEY (resident_id, purpose)
);
CREATE INDEX registry_consents_purpose ON registry_consents (purpose, granted, resident_id);

-- Household members a resident lets see their records and decide on sharing for them.
CREATE TABLE registry_consent_proxies (
    resident_id TEXT NOT NULL,
    proxy_resident_id TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    granted_by TEXT NOT NULL,
    PRIMARY KEY (resident_id, proxy_resident_id)
);
CREATE INDEX registry_consent_proxies_proxy ON registry_consent_proxies (proxy_resident_id);
