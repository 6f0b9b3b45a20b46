DROP INDEX interactions_handling_idx;
ALTER FUNCTION ticket_metric_facts_refresh(TEXT) RESET enable_seqscan;
ALTER FUNCTION customer_quality_facts_refresh(TEXT) RESET enable_seqscan;
ALTER FUNCTION lead_stay_counts_follow() RESET enable_seqscan;
DROP INDEX ticket_slas_running_unflagged;
DELETE FROM ticket_metric_facts WHERE basis IN ('unresolved_new', 'unresolved_open', 'unresolved_pending');
DELETE FROM ticket_daily_counts WHERE basis IN ('unresolved_new', 'unresolved_open', 'unresolved_pending');
DROP TRIGGER tickets_metric_facts_update ON tickets;
CREATE TRIGGER tickets_metric_facts_update AFTER UPDATE OF division_id, branch_id, queue_id, assignee_id, archived_at, created_at, resolved_at, first_responded_at, first_response_business_seconds, resolution_business_seconds, business_day_seconds, first_contact_resolution ON tickets
FOR EACH ROW WHEN ((OLD.division_id IS DISTINCT FROM NEW.division_id OR OLD.branch_id IS DISTINCT FROM NEW.branch_id OR OLD.queue_id IS DISTINCT FROM NEW.queue_id OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.archived_at IS DISTINCT FROM NEW.archived_at OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at OR OLD.first_responded_at IS DISTINCT FROM NEW.first_responded_at OR OLD.first_response_business_seconds IS DISTINCT FROM NEW.first_response_business_seconds OR OLD.resolution_business_seconds IS DISTINCT FROM NEW.resolution_business_seconds OR OLD.business_day_seconds IS DISTINCT FROM NEW.business_day_seconds OR OLD.first_contact_resolution IS DISTINCT FROM NEW.first_contact_resolution))
EXECUTE FUNCTION ticket_metric_facts_follow();

DROP VIEW ticket_metric_contributions;
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

ALTER TABLE ticket_daily_counts DROP CONSTRAINT ticket_daily_counts_basis_check;
ALTER TABLE ticket_daily_counts ADD CONSTRAINT ticket_daily_counts_basis_check
    CHECK (basis IN ('created', 'resolved', 'responded', 'resolution', 'csat_sent', 'csat_answered'));
