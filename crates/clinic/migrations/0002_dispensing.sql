-- Dispensing, delivery and notifications (being built).
CREATE TABLE clinic_placeholder_0002 (id TEXT PRIMARY KEY);
