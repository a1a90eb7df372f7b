//! Dispensing and delivery of approved prescriptions (being built).
