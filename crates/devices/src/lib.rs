//! Wearables and home devices: registration, credentials, reading ingest (HTTP and MQTT), validation, quarantine and summaries.
