-- Transaction Bundles already processed, by the sender's Bundle.identifier, so a Bundle sent
-- twice (a retry after a lost answer) is applied once. The stored answer has statuses and
-- locations only, no resources (no health data at rest outside the record store).
CREATE TABLE clinical_bundle_receipts (
    organisation TEXT NOT NULL,
    identifier TEXT NOT NULL,
    status TEXT NOT NULL,
    response TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organisation, identifier)
);
