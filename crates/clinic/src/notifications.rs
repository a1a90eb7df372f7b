//! Notifications in the platform and through a webhook (being built).
