-- Dispensing, delivery and notifications of the online clinic (issue 5).

-- Units on hand per dispensing site (the hospital's pharmacy or a community pharmacy) and
-- catalogue drug, counted in the drug's unit (tablets, capsules, inhalations, pens).
CREATE TABLE clinic_stock (
    site_id TEXT NOT NULL,
    drug TEXT NOT NULL,
    units BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, drug)
);

-- Pickup appointment slots; `booked` moves only by conditional UPDATEs (`booked < capacity`).
CREATE TABLE clinic_slots (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    booked BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (site_id, starts_at)
);
CREATE INDEX clinic_slots_site ON clinic_slots (site_id, ends_at);

-- How an approved prescription reaches the patient: a pickup booking or a courier delivery.
-- `standing_rx` holds the prescription id while the fulfilment stands and is cleared when it
-- is cancelled or missed: unique, so a prescription has at most one standing fulfilment and
-- may be booked again after a cancellation. Recipient, mobile and street are encrypted.
CREATE TABLE clinic_fulfilments (
    id TEXT PRIMARY KEY,
    prescription_id TEXT NOT NULL,
    standing_rx TEXT UNIQUE,
    resident_id TEXT NOT NULL,
    chosen_by TEXT NOT NULL,
    method TEXT NOT NULL,
    site_id TEXT NOT NULL,
    slot_id TEXT,
    state TEXT NOT NULL,
    recipient_enc TEXT,
    mobile_enc TEXT,
    district TEXT,
    street_enc TEXT,
    courier TEXT,
    tracking_no TEXT,
    proof TEXT,
    close_reason TEXT,
    handled_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    dispatched_at BIGINT,
    closed_at BIGINT,
    retain_until BIGINT NOT NULL
);
CREATE INDEX clinic_fulfilments_rx ON clinic_fulfilments (prescription_id, created_at);
CREATE INDEX clinic_fulfilments_site ON clinic_fulfilments (site_id, state, created_at);
CREATE INDEX clinic_fulfilments_slot ON clinic_fulfilments (slot_id);

-- What a fulfilment took from the site's stock, per drug, so a release gives back exactly that.
CREATE TABLE clinic_fulfilment_lines (
    fulfilment_id TEXT NOT NULL,
    drug TEXT NOT NULL,
    units BIGINT NOT NULL,
    PRIMARY KEY (fulfilment_id, drug)
);

-- Notifications in the platform, per user.
CREATE TABLE clinic_notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX clinic_notifications_user ON clinic_notifications (user_id, read_at, created_at);

-- Each notification waiting for (or done with) the webhook, written with the notification so
-- none is lost; a worker posts the due ones.
CREATE TABLE clinic_notification_outbox (
    notification_id TEXT PRIMARY KEY,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT,
    delivered_at BIGINT,
    gave_up_at BIGINT,
    last_status BIGINT,
    last_error TEXT
);
CREATE INDEX clinic_notification_outbox_due ON clinic_notification_outbox (next_attempt_at);
