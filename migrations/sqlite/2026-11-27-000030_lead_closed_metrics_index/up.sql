-- Win/loss reads every lead closed in the period with its status, source
-- and lost reason: through `leads_closed_idx` it looked up each row in the
-- table (a year of closed leads is about half a million; 1.4-2.2 s on
-- SQLite). This index holds the period column, what the report groups by
-- and the filter columns, over live closed leads only, so it is read from
-- the index alone (docs/benchmarks.md).
CREATE INDEX leads_closed_metrics_idx ON leads (closed_at, status, source, lost_reason_id, division_id, branch_id, owner_id)
    WHERE archived_at IS NULL AND status IN ('won', 'lost');
