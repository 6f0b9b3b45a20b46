-- Service metrics over 200k tickets (issue 9): SLA compliance, FCR, the
-- backlog's flow, reopen rate, CSAT and the means of resolution and first
-- response time read daily counts kept in the transaction of every ticket
-- write, as the lead counts are (migration 000021; decision
-- docs/decisions/0008-metric-rollups.md).
--
-- A ticket's numbers come from four tables (the ticket, its SLA row, its
-- status history, its CSAT surveys), so they are kept in two steps:
--
-- 1. `ticket_metric_facts`: what each ticket contributes now, one row per
--    basis and source row, equal to the view `ticket_metric_contributions`
--    for that ticket. A write to any of the four tables refreshes the
--    ticket's facts from the view: rows that differ are deleted, missing
--    ones inserted. The refresh reads the state after the write, so it is
--    right however many rows one statement touches and in whatever order
--    their triggers run (PostgreSQL runs AFTER row triggers at the end of
--    the statement; SQLite after each row).
-- 2. `ticket_daily_counts`: the facts summed per local day of the company
--    zone and bucket a scoped report can ask for, kept by triggers on the
--    facts (an insert counts up, a delete counts down).
--
-- Bases ('' for none in the key columns):
--   created       tickets logged that day (backlog inflow);
--   resolved      tickets whose latest resolution fell that day: hits =
--                 resolved at first contact; timed/time_sum = those with a
--                 business resolution time, and its sum in micro business
--                 days; sla/resolution_met/response_met = under an SLA,
--                 and within its resolution and response targets;
--   responded     tickets first answered that day: timed/time_sum = their
--                 first response in business seconds;
--   resolution    each change to 'resolved' that day: hits = undone by a
--                 later reopen (the reopen rate counts resolutions);
--   csat_sent     surveys sent that day: hits = answered;
--   csat_answered answers received that day, by rating (r1..r5).
-- Fresh statistics first: after a bulk load without them the planner can
-- probe the status index per row of the backfill below (quadratic: it ran
-- for 49 minutes over 200k synthetic tickets before it was stopped).
ANALYZE tickets;
ANALYZE ticket_slas;
ANALYZE ticket_status_history;
ANALYZE csat_surveys;

CREATE TABLE ticket_metric_facts (
    ticket_id TEXT NOT NULL,
    basis TEXT NOT NULL,
    source_id TEXT NOT NULL,
    day DATE NOT NULL,
    division_id TEXT NOT NULL,
    branch_id TEXT NOT NULL,
    queue_id TEXT NOT NULL,
    assignee_id TEXT NOT NULL,
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
    PRIMARY KEY (ticket_id, basis, source_id)
);

CREATE TABLE ticket_daily_counts (
    basis TEXT NOT NULL
        CHECK (basis IN ('created', 'resolved', 'responded', 'resolution', 'csat_sent', 'csat_answered')),
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

-- What each live ticket contributes, from its rows: the reference the
-- facts follow (the rebuild and the consistency check read it too).
CREATE VIEW ticket_metric_contributions AS
SELECT t.id AS ticket_id, 'created' AS basis, t.id AS source_id, metric_local_day(t.created_at) AS day,
       t.division_id AS division_id, COALESCE(t.branch_id, '') AS branch_id, COALESCE(t.queue_id, '') AS queue_id,
       COALESCE(t.assignee_id, '') AS assignee_id, CAST(1 AS BIGINT) AS tickets, CAST(0 AS BIGINT) AS hits, CAST(0 AS BIGINT) AS timed,
       CAST(0 AS BIGINT) AS time_sum, CAST(0 AS BIGINT) AS sla, CAST(0 AS BIGINT) AS resolution_met, CAST(0 AS BIGINT) AS response_met,
       CAST(0 AS BIGINT) AS r1, CAST(0 AS BIGINT) AS r2, CAST(0 AS BIGINT) AS r3, CAST(0 AS BIGINT) AS r4, CAST(0 AS BIGINT) AS r5
FROM tickets t WHERE t.archived_at IS NULL
UNION ALL
SELECT t.id, 'resolved', t.id, metric_local_day(t.resolved_at), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, CASE WHEN t.first_contact_resolution THEN 1 ELSE 0 END, CASE WHEN t.resolution_business_seconds IS NOT NULL AND t.business_day_seconds > 0 THEN 1 ELSE 0 END, CASE WHEN t.resolution_business_seconds IS NOT NULL AND t.business_day_seconds > 0 THEN CAST(t.resolution_business_seconds * 1000000 / t.business_day_seconds AS BIGINT) ELSE 0 END, CASE WHEN s.ticket_id IS NULL THEN 0 ELSE 1 END, CASE WHEN s.ticket_id IS NULL OR s.resolution_breached THEN 0 ELSE 1 END, CASE WHEN s.ticket_id IS NULL OR s.response_breached THEN 0 ELSE 1 END, 0, 0, 0, 0, 0
FROM tickets t LEFT JOIN ticket_slas s ON s.ticket_id = t.id WHERE t.archived_at IS NULL AND t.resolved_at IS NOT NULL
UNION ALL
SELECT t.id, 'responded', t.id, metric_local_day(t.first_responded_at), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, 0, 1, t.first_response_business_seconds, 0, 0, 0, 0, 0, 0, 0, 0
FROM tickets t
WHERE t.archived_at IS NULL AND t.first_responded_at IS NOT NULL AND t.first_response_business_seconds IS NOT NULL
UNION ALL
SELECT t.id, 'resolution', h.id, metric_local_day(h.changed_at), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, CASE WHEN EXISTS (SELECT 1 FROM ticket_status_history r WHERE r.ticket_id = h.ticket_id AND r.to_status = 'open' AND r.from_status IN ('resolved', 'closed') AND r.changed_at > h.changed_at) THEN 1 ELSE 0 END, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM ticket_status_history h JOIN tickets t ON t.id = h.ticket_id WHERE t.archived_at IS NULL AND h.to_status = 'resolved'
UNION ALL
SELECT t.id, 'csat_sent', c.id, metric_local_day(c.sent_at), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, CASE WHEN c.rating IS NULL THEN 0 ELSE 1 END, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM csat_surveys c JOIN tickets t ON t.id = c.ticket_id WHERE t.archived_at IS NULL
UNION ALL
SELECT t.id, 'csat_answered', c.id, metric_local_day(c.responded_at), t.division_id, COALESCE(t.branch_id, ''), COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''),
       1, 0, 0, 0, 0, 0, 0, CASE WHEN c.rating = 1 THEN 1 ELSE 0 END, CASE WHEN c.rating = 2 THEN 1 ELSE 0 END, CASE WHEN c.rating = 3 THEN 1 ELSE 0 END, CASE WHEN c.rating = 4 THEN 1 ELSE 0 END, CASE WHEN c.rating = 5 THEN 1 ELSE 0 END
FROM csat_surveys c JOIN tickets t ON t.id = c.ticket_id
WHERE t.archived_at IS NULL AND c.rating IS NOT NULL AND c.responded_at IS NOT NULL;

INSERT INTO ticket_metric_facts (ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5) SELECT ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5 FROM ticket_metric_contributions;

INSERT INTO ticket_daily_counts
SELECT basis, day, division_id, branch_id, queue_id, assignee_id, 0, SUM(tickets), SUM(hits), SUM(timed), SUM(time_sum), SUM(sla), SUM(resolution_met), SUM(response_met), SUM(r1), SUM(r2), SUM(r3), SUM(r4), SUM(r5)
FROM ticket_metric_facts GROUP BY basis, day, division_id, branch_id, queue_id, assignee_id;

-- A fact added counts up, a fact removed counts down (facts are never
-- updated); `shard` (0-7, random per write) spreads concurrent writers of
-- one bucket, as in lead_daily_counts.
CREATE FUNCTION ticket_daily_counts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pick INTEGER := floor(random() * 8)::INTEGER;
BEGIN
    IF TG_OP = 'INSERT' THEN
    INSERT INTO ticket_daily_counts AS c VALUES (NEW.basis, NEW.day, NEW.division_id, NEW.branch_id, NEW.queue_id, NEW.assignee_id, pick,
        NEW.tickets, NEW.hits, NEW.timed, NEW.time_sum, NEW.sla, NEW.resolution_met, NEW.response_met, NEW.r1, NEW.r2, NEW.r3, NEW.r4, NEW.r5)
    ON CONFLICT (basis, day, division_id, branch_id, queue_id, assignee_id, shard) DO UPDATE SET
        tickets = c.tickets + excluded.tickets, hits = c.hits + excluded.hits, timed = c.timed + excluded.timed, time_sum = c.time_sum + excluded.time_sum, sla = c.sla + excluded.sla, resolution_met = c.resolution_met + excluded.resolution_met, response_met = c.response_met + excluded.response_met, r1 = c.r1 + excluded.r1, r2 = c.r2 + excluded.r2, r3 = c.r3 + excluded.r3, r4 = c.r4 + excluded.r4, r5 = c.r5 + excluded.r5;
    ELSE
    INSERT INTO ticket_daily_counts AS c VALUES (OLD.basis, OLD.day, OLD.division_id, OLD.branch_id, OLD.queue_id, OLD.assignee_id, pick,
        -OLD.tickets, -OLD.hits, -OLD.timed, -OLD.time_sum, -OLD.sla, -OLD.resolution_met, -OLD.response_met, -OLD.r1, -OLD.r2, -OLD.r3, -OLD.r4, -OLD.r5)
    ON CONFLICT (basis, day, division_id, branch_id, queue_id, assignee_id, shard) DO UPDATE SET
        tickets = c.tickets + excluded.tickets, hits = c.hits + excluded.hits, timed = c.timed + excluded.timed, time_sum = c.time_sum + excluded.time_sum, sla = c.sla + excluded.sla, resolution_met = c.resolution_met + excluded.resolution_met, response_met = c.response_met + excluded.response_met, r1 = c.r1 + excluded.r1, r2 = c.r2 + excluded.r2, r3 = c.r3 + excluded.r3, r4 = c.r4 + excluded.r4, r5 = c.r5 + excluded.r5;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ticket_daily_counts_follow AFTER INSERT OR DELETE ON ticket_metric_facts
FOR EACH ROW EXECUTE FUNCTION ticket_daily_counts_follow();

-- A ticket's facts made equal to its contributions now. The ticket row is
-- locked first: two transactions writing one ticket refresh its facts one
-- after the other, the second from the state the first committed.
CREATE FUNCTION ticket_metric_facts_refresh(p_ticket TEXT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM tickets WHERE id = p_ticket FOR NO KEY UPDATE;
    DELETE FROM ticket_metric_facts WHERE ticket_id = p_ticket AND (basis, source_id) IN (
        SELECT basis, source_id FROM (SELECT ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5 FROM ticket_metric_facts WHERE ticket_id = p_ticket
                               EXCEPT SELECT ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5 FROM ticket_metric_contributions WHERE ticket_id = p_ticket) stale);
    INSERT INTO ticket_metric_facts (ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5)
    SELECT ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5 FROM ticket_metric_contributions WHERE ticket_id = p_ticket
    EXCEPT SELECT ticket_id, basis, source_id, day, division_id, branch_id, queue_id, assignee_id, tickets, hits, timed, time_sum, sla, resolution_met, response_met, r1, r2, r3, r4, r5 FROM ticket_metric_facts WHERE ticket_id = p_ticket;
END;
$$;

-- Every write to a row a fact is made of refreshes its ticket's facts (a
-- child row moved to another ticket refreshes both).
CREATE FUNCTION ticket_metric_facts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'tickets' THEN
        PERFORM ticket_metric_facts_refresh(CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    ELSE
        IF TG_OP <> 'INSERT' THEN
            PERFORM ticket_metric_facts_refresh(OLD.ticket_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.ticket_id IS DISTINCT FROM OLD.ticket_id) THEN
            PERFORM ticket_metric_facts_refresh(NEW.ticket_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tickets_metric_facts_insert AFTER INSERT ON tickets
FOR EACH ROW EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER tickets_metric_facts_update AFTER UPDATE OF division_id, branch_id, queue_id, assignee_id, archived_at, created_at, resolved_at, first_responded_at, first_response_business_seconds, resolution_business_seconds, business_day_seconds, first_contact_resolution ON tickets
FOR EACH ROW WHEN ((OLD.division_id IS DISTINCT FROM NEW.division_id OR OLD.branch_id IS DISTINCT FROM NEW.branch_id OR OLD.queue_id IS DISTINCT FROM NEW.queue_id OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.archived_at IS DISTINCT FROM NEW.archived_at OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at OR OLD.first_responded_at IS DISTINCT FROM NEW.first_responded_at OR OLD.first_response_business_seconds IS DISTINCT FROM NEW.first_response_business_seconds OR OLD.resolution_business_seconds IS DISTINCT FROM NEW.resolution_business_seconds OR OLD.business_day_seconds IS DISTINCT FROM NEW.business_day_seconds OR OLD.first_contact_resolution IS DISTINCT FROM NEW.first_contact_resolution))
EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER tickets_metric_facts_delete AFTER DELETE ON tickets
FOR EACH ROW EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER ticket_slas_metric_facts_insert AFTER INSERT ON ticket_slas
FOR EACH ROW EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER ticket_slas_metric_facts_update AFTER UPDATE OF ticket_id, resolution_breached, response_breached ON ticket_slas
FOR EACH ROW WHEN ((OLD.ticket_id IS DISTINCT FROM NEW.ticket_id OR OLD.resolution_breached IS DISTINCT FROM NEW.resolution_breached OR OLD.response_breached IS DISTINCT FROM NEW.response_breached))
EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER ticket_slas_metric_facts_delete AFTER DELETE ON ticket_slas
FOR EACH ROW EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER ticket_status_history_metric_facts_insert AFTER INSERT ON ticket_status_history
FOR EACH ROW WHEN ((NEW.to_status IN ('resolved', 'open')))
EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER ticket_status_history_metric_facts_update AFTER UPDATE OF ticket_id, from_status, to_status, changed_at ON ticket_status_history
FOR EACH ROW WHEN ((OLD.ticket_id IS DISTINCT FROM NEW.ticket_id OR OLD.from_status IS DISTINCT FROM NEW.from_status OR OLD.to_status IS DISTINCT FROM NEW.to_status OR OLD.changed_at IS DISTINCT FROM NEW.changed_at) AND (OLD.to_status IN ('resolved', 'open') OR NEW.to_status IN ('resolved', 'open')))
EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER ticket_status_history_metric_facts_delete AFTER DELETE ON ticket_status_history
FOR EACH ROW WHEN ((OLD.to_status IN ('resolved', 'open')))
EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER csat_surveys_metric_facts_insert AFTER INSERT ON csat_surveys
FOR EACH ROW EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER csat_surveys_metric_facts_update AFTER UPDATE OF ticket_id, sent_at, responded_at, rating ON csat_surveys
FOR EACH ROW WHEN ((OLD.ticket_id IS DISTINCT FROM NEW.ticket_id OR OLD.sent_at IS DISTINCT FROM NEW.sent_at OR OLD.responded_at IS DISTINCT FROM NEW.responded_at OR OLD.rating IS DISTINCT FROM NEW.rating))
EXECUTE FUNCTION ticket_metric_facts_follow();

CREATE TRIGGER csat_surveys_metric_facts_delete AFTER DELETE ON csat_surveys
FOR EACH ROW EXECUTE FUNCTION ticket_metric_facts_follow();

