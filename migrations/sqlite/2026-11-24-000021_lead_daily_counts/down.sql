DROP TRIGGER lead_daily_counts_update;
DROP TRIGGER lead_daily_counts_delete;
DROP TRIGGER lead_daily_counts_insert;
DROP VIEW lead_daily_contributions;
DROP TABLE lead_daily_counts;
DROP TABLE metric_local_days;
DROP TABLE metric_settings;
