DROP TRIGGER lead_daily_counts_follow ON leads;
DROP FUNCTION lead_daily_counts_follow();
DROP VIEW lead_daily_contributions;
DROP FUNCTION lead_daily_contributions_of(leads, INTEGER);
DROP TABLE lead_daily_counts;
DROP FUNCTION metric_local_day(TIMESTAMP);
DROP TABLE metric_local_days;
DROP TABLE metric_settings;
