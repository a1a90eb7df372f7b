//! Research access: data requests, steward review, de-identified releases and aggregate queries.
