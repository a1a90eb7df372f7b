//! Alerts from readings: danger-sign and trend rules, episodes, the family doctor inbox, acknowledgement, escalation and webhook delivery.
