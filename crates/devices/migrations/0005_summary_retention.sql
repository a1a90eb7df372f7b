-- Old hourly summaries are deleted by age (rules.hourly_summary_days): find them without
-- reading the table.
CREATE INDEX device_summaries_age ON device_summaries (period, period_start);
