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
--   lead is live (not archived); kept by the trigger on leads.
ALTER TABLE lead_follow_ups ADD COLUMN met_at TIMESTAMP;
ALTER TABLE lead_follow_ups ADD COLUMN division_id TEXT NOT NULL DEFAULT '';
ALTER TABLE lead_follow_ups ADD COLUMN branch_id TEXT NOT NULL DEFAULT '';
ALTER TABLE lead_follow_ups ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
ALTER TABLE lead_follow_ups ADD COLUMN lead_live BOOLEAN NOT NULL DEFAULT TRUE;

-- The first contact that meets follow-up `f`: after it was set, before the
-- local day after its due day starts.
CREATE FUNCTION lead_follow_up_met_at(f lead_follow_ups) RETURNS TIMESTAMP
LANGUAGE sql STABLE AS $$
    SELECT MIN(i.occurred_at) FROM interactions i
    WHERE i.lead_id = f.lead_id AND i.occurred_at > f.scheduled_at
      AND i.occurred_at < (SELECT MIN(d.starts_at) FROM metric_local_days d WHERE d.starts_at > f.due_at)
$$;

UPDATE lead_follow_ups f SET division_id = l.division_id, branch_id = COALESCE(l.branch_id, ''),
    owner_id = COALESCE(l.owner_id, ''), lead_live = l.archived_at IS NULL
FROM leads l WHERE l.id = f.lead_id;
UPDATE lead_follow_ups f SET met_at = lead_follow_up_met_at(f)
WHERE EXISTS (SELECT 1 FROM interactions i WHERE i.lead_id = f.lead_id);

-- The overdue count: pending follow-ups by due instant.
CREATE INDEX lead_follow_ups_pending_idx ON lead_follow_ups (due_at, division_id, branch_id, owner_id)
    WHERE closed_at IS NULL AND lead_live;

-- A follow-up is logged with its lead's attributes; they follow the lead.
CREATE OR REPLACE FUNCTION lead_follow_ups_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.next_follow_up_at IS DISTINCT FROM NEW.next_follow_up_at
            OR NEW.status <> 'open' OR NEW.archived_at IS NOT NULL) THEN
        UPDATE lead_follow_ups SET closed_at = NEW.updated_at WHERE lead_id = NEW.id AND closed_at IS NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND (OLD.division_id IS DISTINCT FROM NEW.division_id
            OR OLD.branch_id IS DISTINCT FROM NEW.branch_id OR OLD.owner_id IS DISTINCT FROM NEW.owner_id
            OR (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL)) THEN
        UPDATE lead_follow_ups SET division_id = NEW.division_id, branch_id = COALESCE(NEW.branch_id, ''),
            owner_id = COALESCE(NEW.owner_id, ''), lead_live = NEW.archived_at IS NULL
        WHERE lead_id = NEW.id;
    END IF;
    IF NEW.next_follow_up_at IS NOT NULL AND NEW.status = 'open' AND NEW.archived_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM lead_follow_ups WHERE lead_id = NEW.id AND closed_at IS NULL) THEN
        INSERT INTO lead_follow_ups (lead_id, scheduled_at, due_at, division_id, branch_id, owner_id, lead_live)
        VALUES (NEW.id, NEW.updated_at, NEW.next_follow_up_at, NEW.division_id, COALESCE(NEW.branch_id, ''),
                COALESCE(NEW.owner_id, ''), TRUE);
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER lead_follow_ups_follow ON leads;
CREATE TRIGGER lead_follow_ups_follow
AFTER INSERT OR UPDATE OF next_follow_up_at, status, archived_at, division_id, branch_id, owner_id ON leads
FOR EACH ROW EXECUTE FUNCTION lead_follow_ups_follow();

-- A new follow-up is met already when a contact on file meets it.
CREATE FUNCTION lead_follow_ups_met_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.met_at := lead_follow_up_met_at(NEW);
    RETURN NEW;
END;
$$;
CREATE TRIGGER lead_follow_ups_met_on_insert BEFORE INSERT ON lead_follow_ups
FOR EACH ROW EXECUTE FUNCTION lead_follow_ups_met_on_insert();

-- A contact logged, moved or removed: the lead's follow-ups are re-met.
CREATE FUNCTION lead_follow_ups_contact() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_lead TEXT := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.lead_id END;
    new_lead TEXT := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.lead_id END;
BEGIN
    IF old_lead IS NOT NULL OR new_lead IS NOT NULL THEN
        UPDATE lead_follow_ups f SET met_at = lead_follow_up_met_at(f)
        WHERE f.lead_id IN (old_lead, new_lead) AND f.met_at IS DISTINCT FROM lead_follow_up_met_at(f);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER lead_follow_ups_contact
AFTER INSERT OR DELETE OR UPDATE OF lead_id, occurred_at ON interactions
FOR EACH ROW EXECUTE FUNCTION lead_follow_ups_contact();

-- One row per local due day and bucket a scoped report can ask for: the
-- follow-ups that count (still standing on their due day, or met) and
-- those met. The report adds "due day over" itself (day < today). Shards
-- as in lead_daily_counts.
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

-- A follow-up's contribution with sign `p_sign`; the reference the trigger
-- follows, applied to every follow-up by the view.
CREATE FUNCTION lead_follow_up_contributions_of(f lead_follow_ups, p_sign INTEGER)
RETURNS TABLE (day DATE, division_id TEXT, branch_id TEXT, owner_id TEXT, due BIGINT, met BIGINT)
LANGUAGE sql STABLE AS $$
    SELECT metric_local_day(f.due_at), f.division_id, f.branch_id, f.owner_id, p_sign::BIGINT,
           CASE WHEN f.met_at IS NOT NULL THEN p_sign ELSE 0 END::BIGINT
    WHERE f.id IS NOT NULL AND f.lead_live
      AND (f.closed_at IS NULL OR f.met_at IS NOT NULL OR metric_local_day(f.closed_at) >= metric_local_day(f.due_at))
$$;

CREATE VIEW lead_follow_up_contributions AS
SELECT c.* FROM lead_follow_ups f, LATERAL lead_follow_up_contributions_of(f, 1) c;

INSERT INTO lead_follow_up_counts
SELECT day, division_id, branch_id, owner_id, 0, SUM(due), SUM(met)
FROM lead_follow_up_contributions GROUP BY day, division_id, branch_id, owner_id;

CREATE FUNCTION lead_follow_up_counts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pick INTEGER := floor(random() * 8)::INTEGER;
BEGIN
    INSERT INTO lead_follow_up_counts AS t
    SELECT c.day, c.division_id, c.branch_id, c.owner_id, pick, SUM(c.due), SUM(c.met)
    FROM (SELECT * FROM lead_follow_up_contributions_of(CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD END, -1)
          UNION ALL
          SELECT * FROM lead_follow_up_contributions_of(CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW END, 1)) c
    GROUP BY 1, 2, 3, 4
    HAVING SUM(c.due) <> 0 OR SUM(c.met) <> 0
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (day, division_id, branch_id, owner_id, shard) DO UPDATE
    SET due = t.due + excluded.due, met = t.met + excluded.met;
    RETURN NULL;
END;
$$;

CREATE TRIGGER lead_follow_up_counts_follow
AFTER INSERT OR DELETE OR UPDATE OF due_at, closed_at, met_at, division_id, branch_id, owner_id, lead_live
ON lead_follow_ups
FOR EACH ROW EXECUTE FUNCTION lead_follow_up_counts_follow();
