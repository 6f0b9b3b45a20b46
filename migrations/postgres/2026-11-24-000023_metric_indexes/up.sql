-- Covering indexes for the metric statements that still read the rows
-- (issue 9): each holds the period column, every filter column and the
-- measured values, over live rows only, so a year of a million leads or
-- 200k tickets is read from the index alone (docs/benchmarks.md).

-- Cycle length: won leads by close.
CREATE INDEX leads_won_idx ON leads (closed_at, created_at, division_id, branch_id, owner_id)
    WHERE status = 'won' AND archived_at IS NULL;

-- Resolution time, FCR, SLA compliance and the resolved flow: tickets by
-- resolution (replaces the index of migration 000018, which lacked the
-- queue, the assignee and liveness).
DROP INDEX tickets_resolution_times_idx;
CREATE INDEX tickets_resolved_metrics_idx ON tickets (resolved_at, division_id, branch_id, queue_id, assignee_id,
    resolution_business_seconds, business_day_seconds, first_contact_resolution)
    WHERE resolved_at IS NOT NULL AND archived_at IS NULL;

-- First response time: tickets by first response (replaces 000018's).
DROP INDEX tickets_first_response_times_idx;
CREATE INDEX tickets_responded_metrics_idx ON tickets (first_responded_at, division_id, branch_id, queue_id,
    assignee_id, first_response_business_seconds)
    WHERE first_responded_at IS NOT NULL AND archived_at IS NULL;

-- The logged flow: tickets by creation.
CREATE INDEX tickets_created_metrics_idx ON tickets (created_at, division_id, branch_id, queue_id, assignee_id)
    WHERE archived_at IS NULL;
