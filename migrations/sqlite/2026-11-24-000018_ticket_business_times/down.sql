DROP INDEX tickets_unmeasured_idx;
DROP INDEX tickets_first_response_times_idx;
DROP INDEX tickets_resolution_times_idx;
ALTER TABLE tickets DROP COLUMN resolution_business_seconds;
ALTER TABLE tickets DROP COLUMN first_response_business_seconds;
ALTER TABLE tickets DROP COLUMN business_day_seconds;
ALTER TABLE tickets DROP COLUMN calendar_id;
