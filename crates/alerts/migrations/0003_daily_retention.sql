-- Old trend aggregates are deleted by day (worker.daily_keep_days): find them by day.
CREATE INDEX alert_daily_day ON alert_daily (day);
