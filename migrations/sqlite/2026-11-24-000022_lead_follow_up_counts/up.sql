-- Follow-up compliance over a million leads (issue 9): the report reads
-- daily counts of follow-ups due and met, kept by triggers, instead of
-- testing every follow-up of the year against the interactions per request
-- (docs/decisions/0008-metric-rollups.md).
--
-- Each follow-up now carries what the report asks of it:
-- - `met_at`: the first contact (an interaction linked to the lead) after it
--   was set and on or before its due day (local day of the company time
--   zone), or NULL; kept by triggers on interactions;
-- - the lead's division, branch and owner ('' for none) and whether the
--   lead is live (not archived); kept by a trigger on leads.
ALTER TABLE lead_follow_ups ADD COLUMN met_at TIMESTAMP;
ALTER TABLE lead_follow_ups ADD COLUMN division_id TEXT NOT NULL DEFAULT '';
ALTER TABLE lead_follow_ups ADD COLUMN branch_id TEXT NOT NULL DEFAULT '';
ALTER TABLE lead_follow_ups ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
ALTER TABLE lead_follow_ups ADD COLUMN lead_live BOOLEAN NOT NULL DEFAULT TRUE;

UPDATE lead_follow_ups SET
    division_id = (SELECT l.division_id FROM leads l WHERE l.id = lead_follow_ups.lead_id),
    branch_id = (SELECT COALESCE(l.branch_id, '') FROM leads l WHERE l.id = lead_follow_ups.lead_id),
    owner_id = (SELECT COALESCE(l.owner_id, '') FROM leads l WHERE l.id = lead_follow_ups.lead_id),
    lead_live = (SELECT l.archived_at IS NULL FROM leads l WHERE l.id = lead_follow_ups.lead_id),
    met_at = (SELECT MIN(i.occurred_at) FROM interactions i WHERE i.lead_id = lead_follow_ups.lead_id AND i.occurred_at > lead_follow_ups.scheduled_at AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > lead_follow_ups.due_at));

-- The overdue count: pending follow-ups by due instant.
CREATE INDEX lead_follow_ups_pending_idx ON lead_follow_ups (due_at, division_id, branch_id, owner_id)
    WHERE closed_at IS NULL AND lead_live;

-- A follow-up is logged with its lead's attributes and any contact that
-- already meets it.
DROP TRIGGER lead_follow_ups_insert;
DROP TRIGGER lead_follow_ups_update;

CREATE TRIGGER lead_follow_ups_insert AFTER INSERT ON leads
WHEN NEW.next_follow_up_at IS NOT NULL AND NEW.status = 'open' AND NEW.archived_at IS NULL
BEGIN
    INSERT INTO lead_follow_ups (lead_id, scheduled_at, due_at, division_id, branch_id, owner_id, lead_live)
    VALUES (NEW.id, NEW.updated_at, NEW.next_follow_up_at, NEW.division_id, COALESCE(NEW.branch_id, ''),
            COALESCE(NEW.owner_id, ''), TRUE);
END;

CREATE TRIGGER lead_follow_ups_update AFTER UPDATE OF next_follow_up_at, status, archived_at ON leads
BEGIN
    UPDATE lead_follow_ups SET closed_at = NEW.updated_at
    WHERE lead_id = NEW.id AND closed_at IS NULL
      AND (OLD.next_follow_up_at IS NOT NEW.next_follow_up_at OR NEW.status <> 'open' OR NEW.archived_at IS NOT NULL);
    INSERT INTO lead_follow_ups (lead_id, scheduled_at, due_at, division_id, branch_id, owner_id, lead_live)
    SELECT NEW.id, NEW.updated_at, NEW.next_follow_up_at, NEW.division_id, COALESCE(NEW.branch_id, ''),
           COALESCE(NEW.owner_id, ''), TRUE
    WHERE NEW.next_follow_up_at IS NOT NULL AND NEW.status = 'open' AND NEW.archived_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM lead_follow_ups WHERE lead_id = NEW.id AND closed_at IS NULL);
END;

CREATE TRIGGER lead_follow_ups_met_on_insert AFTER INSERT ON lead_follow_ups
BEGIN
    UPDATE lead_follow_ups SET met_at = (SELECT MIN(i.occurred_at) FROM interactions i WHERE i.lead_id = lead_follow_ups.lead_id AND i.occurred_at > lead_follow_ups.scheduled_at AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > lead_follow_ups.due_at))
    WHERE id = NEW.id AND (SELECT MIN(i.occurred_at) FROM interactions i WHERE i.lead_id = lead_follow_ups.lead_id AND i.occurred_at > lead_follow_ups.scheduled_at AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > lead_follow_ups.due_at)) IS NOT NULL;
END;

CREATE TRIGGER lead_follow_ups_lead_moved AFTER UPDATE OF division_id, branch_id, owner_id, archived_at ON leads
WHEN OLD.division_id IS NOT NEW.division_id OR OLD.branch_id IS NOT NEW.branch_id OR OLD.owner_id IS NOT NEW.owner_id
     OR (OLD.archived_at IS NULL) IS NOT (NEW.archived_at IS NULL)
BEGIN
    UPDATE lead_follow_ups SET division_id = NEW.division_id, branch_id = COALESCE(NEW.branch_id, ''), owner_id = COALESCE(NEW.owner_id, ''), lead_live = NEW.archived_at IS NULL WHERE lead_id = NEW.id;
END;

-- A contact logged, moved or removed: the lead's follow-ups are re-met.
CREATE TRIGGER lead_follow_ups_contact_insert AFTER INSERT ON interactions
WHEN NEW.lead_id IS NOT NULL
BEGIN
    UPDATE lead_follow_ups SET met_at = (SELECT MIN(i.occurred_at) FROM interactions i WHERE i.lead_id = lead_follow_ups.lead_id AND i.occurred_at > lead_follow_ups.scheduled_at AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > lead_follow_ups.due_at))
    WHERE lead_id = NEW.lead_id AND met_at IS NOT (SELECT MIN(i.occurred_at) FROM interactions i WHERE i.lead_id = lead_follow_ups.lead_id AND i.occurred_at > lead_follow_ups.scheduled_at AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > lead_follow_ups.due_at));
END;

CREATE TRIGGER lead_follow_ups_contact_update AFTER UPDATE OF lead_id, occurred_at ON interactions
WHEN OLD.lead_id IS NOT NULL OR NEW.lead_id IS NOT NULL
BEGIN
    UPDATE lead_follow_ups SET met_at = (SELECT MIN(i.occurred_at) FROM interactions i WHERE i.lead_id = lead_follow_ups.lead_id AND i.occurred_at > lead_follow_ups.scheduled_at AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > lead_follow_ups.due_at))
    WHERE lead_id IN (OLD.lead_id, NEW.lead_id) AND met_at IS NOT (SELECT MIN(i.occurred_at) FROM interactions i WHERE i.lead_id = lead_follow_ups.lead_id AND i.occurred_at > lead_follow_ups.scheduled_at AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > lead_follow_ups.due_at));
END;

CREATE TRIGGER lead_follow_ups_contact_delete AFTER DELETE ON interactions
WHEN OLD.lead_id IS NOT NULL
BEGIN
    UPDATE lead_follow_ups SET met_at = (SELECT MIN(i.occurred_at) FROM interactions i WHERE i.lead_id = lead_follow_ups.lead_id AND i.occurred_at > lead_follow_ups.scheduled_at AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > lead_follow_ups.due_at))
    WHERE lead_id = OLD.lead_id AND met_at IS NOT (SELECT MIN(i.occurred_at) FROM interactions i WHERE i.lead_id = lead_follow_ups.lead_id AND i.occurred_at > lead_follow_ups.scheduled_at AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > lead_follow_ups.due_at));
END;

-- One row per local due day and bucket a scoped report can ask for: the
-- follow-ups that count (still standing on their due day, or met) and
-- those met. The report adds "due day over" itself (day < today). Shards
-- as in lead_daily_counts; SQLite uses 0.
CREATE TABLE lead_follow_up_counts (
    day DATE NOT NULL,
    division_id TEXT NOT NULL,
    branch_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    shard INTEGER NOT NULL,
    due BIGINT NOT NULL,
    met BIGINT NOT NULL,
    PRIMARY KEY (day, division_id, branch_id, owner_id, shard)
);

-- A follow-up's contribution; the reference the triggers follow.
CREATE VIEW lead_follow_up_contributions AS
SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= f.due_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, f.division_id AS division_id, f.branch_id AS branch_id,
       f.owner_id AS owner_id, 1 AS due, CASE WHEN f.met_at IS NOT NULL THEN 1 ELSE 0 END AS met
FROM lead_follow_ups f
WHERE f.lead_live AND (f.closed_at IS NULL OR f.met_at IS NOT NULL OR COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= f.closed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') >= COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= f.due_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'));

INSERT INTO lead_follow_up_counts
SELECT day, division_id, branch_id, owner_id, 0, SUM(due), SUM(met) FROM lead_follow_up_contributions GROUP BY day, division_id, branch_id, owner_id;

CREATE TRIGGER lead_follow_up_counts_insert AFTER INSERT ON lead_follow_ups
BEGIN
    INSERT INTO lead_follow_up_counts
    SELECT day, division_id, branch_id, owner_id, 0, SUM(due), SUM(met)
    FROM (SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.due_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, NEW.division_id AS division_id, NEW.branch_id AS branch_id,
               NEW.owner_id AS owner_id, 1 AS due,
               CASE WHEN NEW.met_at IS NOT NULL THEN 1 ELSE 0 END AS met
        WHERE NEW.lead_live AND (NEW.closed_at IS NULL OR NEW.met_at IS NOT NULL
               OR COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.closed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') >= COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.due_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'))) c
    WHERE true
    GROUP BY day, division_id, branch_id, owner_id
    HAVING SUM(due) <> 0 OR SUM(met) <> 0
    ON CONFLICT (day, division_id, branch_id, owner_id, shard) DO UPDATE
    SET due = due + excluded.due, met = met + excluded.met;
END;

CREATE TRIGGER lead_follow_up_counts_delete AFTER DELETE ON lead_follow_ups
BEGIN
    INSERT INTO lead_follow_up_counts
    SELECT day, division_id, branch_id, owner_id, 0, SUM(due), SUM(met)
    FROM (SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.due_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, OLD.division_id AS division_id, OLD.branch_id AS branch_id,
               OLD.owner_id AS owner_id, -1 AS due,
               CASE WHEN OLD.met_at IS NOT NULL THEN -1 ELSE 0 END AS met
        WHERE OLD.lead_live AND (OLD.closed_at IS NULL OR OLD.met_at IS NOT NULL
               OR COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.closed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') >= COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.due_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'))) c
    WHERE true
    GROUP BY day, division_id, branch_id, owner_id
    HAVING SUM(due) <> 0 OR SUM(met) <> 0
    ON CONFLICT (day, division_id, branch_id, owner_id, shard) DO UPDATE
    SET due = due + excluded.due, met = met + excluded.met;
END;

CREATE TRIGGER lead_follow_up_counts_update AFTER UPDATE OF due_at, closed_at, met_at, division_id, branch_id, owner_id, lead_live ON lead_follow_ups
WHEN OLD.due_at IS NOT NEW.due_at OR OLD.closed_at IS NOT NEW.closed_at OR OLD.met_at IS NOT NEW.met_at OR OLD.division_id IS NOT NEW.division_id OR OLD.branch_id IS NOT NEW.branch_id OR OLD.owner_id IS NOT NEW.owner_id OR OLD.lead_live IS NOT NEW.lead_live
BEGIN
    INSERT INTO lead_follow_up_counts
    SELECT day, division_id, branch_id, owner_id, 0, SUM(due), SUM(met)
    FROM (SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.due_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, OLD.division_id AS division_id, OLD.branch_id AS branch_id,
               OLD.owner_id AS owner_id, -1 AS due,
               CASE WHEN OLD.met_at IS NOT NULL THEN -1 ELSE 0 END AS met
        WHERE OLD.lead_live AND (OLD.closed_at IS NULL OR OLD.met_at IS NOT NULL
               OR COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.closed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') >= COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.due_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'))
        UNION ALL
        SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.due_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, NEW.division_id AS division_id, NEW.branch_id AS branch_id,
               NEW.owner_id AS owner_id, 1 AS due,
               CASE WHEN NEW.met_at IS NOT NULL THEN 1 ELSE 0 END AS met
        WHERE NEW.lead_live AND (NEW.closed_at IS NULL OR NEW.met_at IS NOT NULL
               OR COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.closed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') >= COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.due_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'))) c
    WHERE true
    GROUP BY day, division_id, branch_id, owner_id
    HAVING SUM(due) <> 0 OR SUM(met) <> 0
    ON CONFLICT (day, division_id, branch_id, owner_id, shard) DO UPDATE
    SET due = due + excluded.due, met = met + excluded.met;
END;
