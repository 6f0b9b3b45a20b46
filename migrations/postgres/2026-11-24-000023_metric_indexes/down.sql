DROP INDEX tickets_created_metrics_idx;
DROP INDEX tickets_responded_metrics_idx;
DROP INDEX tickets_resolved_metrics_idx;
DROP INDEX leads_won_idx;
CREATE INDEX tickets_resolution_times_idx
    ON tickets (resolved_at, division_id, branch_id, resolution_business_seconds, business_day_seconds)
    WHERE resolved_at IS NOT NULL;
CREATE INDEX tickets_first_response_times_idx
    ON tickets (first_responded_at, division_id, branch_id, first_response_business_seconds, business_day_seconds)
    WHERE first_responded_at IS NOT NULL;
