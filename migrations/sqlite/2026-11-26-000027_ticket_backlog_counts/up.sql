-- The backlog's snapshot of unresolved tickets (issue 9) from the kept
-- ticket counts (migration 000024) instead of a pass over every unresolved
-- ticket and its SLA row (≈ 120 ms of the dashboard at 60k unresolved).
--
-- Three more bases of ticket facts, one per unresolved status: each live
-- ticket in 'new', 'open' or 'pending' contributes one fact dated on the
-- local day it was logged (the backlog is a snapshot and sums every day;
-- the date keeps its age), hits = its SLA row is flagged breached.
-- Breaches not flagged yet (a running clock past its resolution due time
-- that the sweeper has not reached) depend on the moment of the request,
-- so the report counts them live, from the partial index below: in steady
-- state the sweeper leaves few of them.
--
-- A status change now refreshes the ticket's facts (the update trigger
-- follows `status`).
--
-- SQLite cannot alter a CHECK: the counts table is copied into a new one
-- with the wider list of bases (its triggers dropped and made again).

DROP TRIGGER ticket_daily_counts_add;
DROP TRIGGER ticket_daily_counts_take;
CREATE TABLE ticket_daily_counts_next (
    basis TEXT NOT NULL
        CHECK (basis IN ('created', 'resolved', 'responded', 'resolution', 'csat_sent', 'csat_answered', 'unresolved_new', 'unresolved_open', 'unresolved_pending')),
    day DATE NOT NULL,
    division_id TEXT NOT NULL,
    branch_id TEXT NOT NULL,
    queue_id TEXT NOT NULL,
    assignee_id TEXT NOT NULL,
    shard INTEGER NOT NULL,
    tickets BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    timed BIGINT NOT NULL,
    time_sum BIGINT NOT NULL,
    sla BIGINT NOT NULL,
    resolution_met BIGINT NOT NULL,
    response_met BIGINT NOT NULL,
    r1 BIGINT NOT NULL,
    r2 BIGINT NOT NULL,
    r3 BIGINT NOT NULL,
    r4 BIGINT NOT NULL,
    r5 BIGINT NOT NULL,
    PRIMARY KEY (basis, day, division_id, branch_id, queue_id, assignee_id, shard)
);
INSERT INTO ticket_daily_counts_next SELECT * FROM ticket_daily_counts;
DROP TABLE ticket_daily_counts;
ALTER TABLE ticket_daily_counts_next RENAME TO ticket_daily_counts;
CREATE TRIGGER ticket_daily_counts_add AFTER INSERT ON ticket_metric_facts
BEGIN
    INSERT INTO ticket_daily_counts VALUES (NEW.basis, NEW.day, NEW.division_id, NEW.branch_id, NEW.queue_id, NEW.assignee_id, 0,
        NEW.tickets, NEW.hits, NEW.timed, NEW.time_sum, NEW.sla, NEW.resolution_met, NEW.response_met, NEW.r1, NEW.r2, NEW.r3, NEW.r4, NEW.r5)
    ON CONFLICT (basis, day, division_id, branch_id, queue_id, assignee_id, shard) DO UPDATE SET
        tickets = tickets + excluded.tickets, hits = hits + excluded.hits, timed = timed + excluded.timed, time_sum = time_sum + excluded.time_sum, sla = sla + excluded.sla, resolution_met = resolution_met + excluded.resolution_met, response_met = response_met + excluded.response_met, r1 = r1 + excluded.r1, r2 = r2 + excluded.r2, r3 = r3 + excluded.r3, r4 = r4 + excluded.r4, r5 = r5 + excluded.r5;
END;

CREATE TRIGGER ticket_daily_counts_take AFTER DELETE ON ticket_metric_facts
BEGIN
    INSERT INTO ticket_daily_counts VALUES (OLD.basis, OLD.day, OLD.division_id, OLD.branch_id, OLD.queue_id, OLD.assignee_id, 0,
        -OLD.tickets, -OLD.hits, -OLD.timed, -OLD.time_sum, -OLD.sla, -OLD.resolution_met, -OLD.response_met, -OLD.r1, -OLD.r2, -OLD.r3, -OLD.r4, -OLD.r5)
    ON CONFLICT (basis, day, division_id, branch_id, queue_id, assignee_id, shard) DO UPDATE SET
        tickets = tickets + excluded.tickets, hits = hits + excluded.hits, timed = timed + excluded.timed, time_sum = time_sum + excluded.time_sum, sla = sla + excluded.sla, resolution_met = resolution_met + excluded.resolution_met, response_met = response_met + excluded.response_met, r1 = r1 + excluded.r1, r2 = r2 + excluded.r2, r3 = r3 + excluded.r3, r4 = r4 + excluded.r4, r5 = r5 + excluded.r5;
END;

DROP VIEW ticket_metric_contributions;
CREATE VIEW ticket_metric_contributions AS
SELECT t.id AS ticket_id, 'created' AS basis, t.id AS source_id, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= t.created_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day,
       t.division_id AS division_id, COALESCE(t.branch_id, '') AS branch_id, COALESCE(t.queue_id, '') AS queue_id,
       COALESCE(t.assignee_id, '') AS assignee_id, CAST(1 AS BIGINT) AS tickets, CAST(0 AS BIGINT) AS hits, CAST(0 AS BIGINT) AS timed,
       CAST(0 AS BIGINT) AS time_sum, CAST(0 AS BIGINT) AS sla, CAST(0 AS BIGINT) AS resolution_met, CAST(0 AS BIGINT) AS response_met,
       CAST(0 AS BIGINT) AS r1, CAST(0 AS BIGINT) AS r2, CAST(0 AS BIGINT) AS r3, CAST(0 AS BIGINT) AS r4, CAST(0 AS BIGINT) AS r5
FROM tickets t WHERE t.archived_at IS NULL
UNION ALL
SELECT t.id, 'resolved', t.id, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= t.resolved_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, CASE WHEN t.first_contact_resolution THEN 1 ELSE 0 END, CASE WHEN t.resolution_business_seconds IS NOT NULL AND t.business_day_seconds > 0 THEN 1 ELSE 0 END, CASE WHEN t.resolution_business_seconds IS NOT NULL AND t.business_day_seconds > 0 THEN CAST(t.resolution_business_seconds * 1000000 / t.business_day_seconds AS BIGINT) ELSE 0 END, CASE WHEN s.ticket_id IS NULL THEN 0 ELSE 1 END, CASE WHEN s.ticket_id IS NULL OR s.resolution_breached THEN 0 ELSE 1 END, CASE WHEN s.ticket_id IS NULL OR s.response_breached THEN 0 ELSE 1 END, 0, 0, 0, 0, 0
FROM tickets t LEFT JOIN ticket_slas s ON s.ticket_id = t.id WHERE t.archived_at IS NULL AND t.resolved_at IS NOT NULL
UNION ALL
SELECT t.id, 'responded', t.id, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= t.first_responded_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, 0, 1, t.first_response_business_seconds, 0, 0, 0, 0, 0, 0, 0, 0
FROM tickets t
WHERE t.archived_at IS NULL AND t.first_responded_at IS NOT NULL AND t.first_response_business_seconds IS NOT NULL
UNION ALL
SELECT t.id, 'resolution', h.id, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= h.changed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, CASE WHEN EXISTS (SELECT 1 FROM ticket_status_history r WHERE r.ticket_id = h.ticket_id AND +r.to_status = 'open' AND r.from_status IN ('resolved', 'closed') AND r.changed_at > h.changed_at) THEN 1 ELSE 0 END, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM ticket_status_history h JOIN tickets t ON t.id = h.ticket_id WHERE t.archived_at IS NULL AND +h.to_status = 'resolved'
UNION ALL
SELECT t.id, 'csat_sent', c.id, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= c.sent_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, CASE WHEN c.rating IS NULL THEN 0 ELSE 1 END, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM csat_surveys c JOIN tickets t ON t.id = c.ticket_id WHERE t.archived_at IS NULL
UNION ALL
SELECT t.id, 'csat_answered', c.id, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= c.responded_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, 0, 0, 0, 0, 0, 0, CASE WHEN c.rating = 1 THEN 1 ELSE 0 END, CASE WHEN c.rating = 2 THEN 1 ELSE 0 END, CASE WHEN c.rating = 3 THEN 1 ELSE 0 END, CASE WHEN c.rating = 4 THEN 1 ELSE 0 END, CASE WHEN c.rating = 5 THEN 1 ELSE 0 END
FROM csat_surveys c JOIN tickets t ON t.id = c.ticket_id
WHERE t.archived_at IS NULL AND c.rating IS NOT NULL AND c.responded_at IS NOT NULL
UNION ALL
SELECT t.id, 'unresolved_' || t.status, t.id, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= t.created_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, CASE WHEN s.resolution_breached OR s.response_breached THEN 1 ELSE 0 END, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM tickets t LEFT JOIN ticket_slas s ON s.ticket_id = t.id WHERE t.archived_at IS NULL AND t.status IN ('new', 'open', 'pending');

DROP TRIGGER tickets_metric_facts_update;
CREATE TRIGGER tickets_metric_facts_update AFTER UPDATE OF division_id, branch_id, queue_id, assignee_id, archived_at, created_at, resolved_at, first_responded_at, first_response_business_seconds, resolution_business_seconds, business_day_seconds, first_contact_resolution, status ON tickets
WHEN (OLD.division_id IS NOT NEW.division_id OR OLD.branch_id IS NOT NEW.branch_id OR OLD.queue_id IS NOT NEW.queue_id OR OLD.assignee_id IS NOT NEW.assignee_id OR OLD.archived_at IS NOT NEW.archived_at OR OLD.created_at IS NOT NEW.created_at OR OLD.resolved_at IS NOT NEW.resolved_at OR OLD.first_responded_at IS NOT NEW.first_responded_at OR OLD.first_response_business_seconds IS NOT NEW.first_response_business_seconds OR OLD.resolution_business_seconds IS NOT NEW.resolution_business_seconds OR OLD.business_day_seconds IS NOT NEW.business_day_seconds OR OLD.first_contact_resolution IS NOT NEW.first_contact_resolution OR OLD.status IS NOT NEW.status)
BEGIN
    DELETE FROM ticket_metric_facts WHERE ticket_id = NEW.id AND (basis, source_id) IN (
        SELECT basis, source_id FROM (SELECT ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5 FROM ticket_metric_facts WHERE ticket_id = NEW.id
                               EXCEPT SELECT ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5 FROM ticket_metric_contributions WHERE ticket_id = NEW.id) stale);
    INSERT INTO ticket_metric_facts (ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5)
    SELECT ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5 FROM ticket_metric_contributions WHERE ticket_id = NEW.id
    EXCEPT SELECT ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5 FROM ticket_metric_facts WHERE ticket_id = NEW.id;
END;

-- The new facts of every live ticket (the counts follow by trigger).
INSERT INTO ticket_metric_facts (ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5)
SELECT ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5 FROM ticket_metric_contributions WHERE basis IN ('unresolved_new', 'unresolved_open', 'unresolved_pending');

-- Average handle time reads the interactions on tickets with a duration by
-- time: without this index a division's handle time walked every ticket of
-- the division (SQLite: 0.5 s at 200k tickets for 812 such interactions).
CREATE INDEX interactions_handling_idx ON interactions (occurred_at)
    WHERE ticket_id IS NOT NULL AND duration_seconds IS NOT NULL;

-- Running clocks past due and not flagged yet, counted live.
CREATE INDEX ticket_slas_running_unflagged ON ticket_slas (resolution_due_at)
    WHERE clock = 'running' AND NOT resolution_breached AND NOT response_breached;
