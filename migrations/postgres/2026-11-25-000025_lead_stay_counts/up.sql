-- Stage durations over ten million stays (issue 9): the report reads
-- counts kept per local day of the stay's end, stage, division, branch,
-- owner and duration band, instead of ranking a year of stays per request
-- (docs/decisions/0008-metric-rollups.md). A stay counts once it has ended
-- (`left_at`), for a live lead, with its lead's division, branch and owner.
--
-- Duration bands (seconds from entering to leaving; lower bound included):
--   0: under 1 hour      1: 1 hour - 1 day   2: 1 - 3 days    3: 3 - 7 days
--   4: 7 - 14 days       5: 14 - 30 days     6: 30 - 90 days  7: 90 days or more
-- (`rapport_metrics` names them; the edges are in both places.)
-- Fresh statistics first: after a bulk load without them the planner can
-- probe the status index per row of the backfill below (quadratic: it ran
-- for 49 minutes over 200k synthetic tickets before it was stopped).
ANALYZE leads;
ANALYZE lead_stage_history;

CREATE TABLE lead_stay_counts (
    day DATE NOT NULL,
    stage_id TEXT NOT NULL,
    division_id TEXT NOT NULL,
    branch_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    band INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    stays BIGINT NOT NULL,
    seconds BIGINT NOT NULL,
    PRIMARY KEY (day, stage_id, division_id, branch_id, owner_id, band, shard)
);

-- Each ended stay of a live lead: the reference the triggers follow (the
-- rebuild and the consistency check read it).

CREATE VIEW lead_stay_contributions AS
SELECT metric_local_day(h.left_at) AS day, h.to_stage_id AS stage_id, l.division_id AS division_id, COALESCE(l.branch_id, '') AS branch_id, COALESCE(l.owner_id, '') AS owner_id, CASE WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END AS band, 1 AS stays, (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) AS seconds
FROM lead_stage_history h JOIN leads l ON l.id = h.lead_id
WHERE h.left_at IS NOT NULL AND l.archived_at IS NULL;

INSERT INTO lead_stay_counts
SELECT day, stage_id, division_id, branch_id, owner_id, band, 0, SUM(stays), SUM(seconds) FROM lead_stay_contributions GROUP BY day, stage_id, division_id, branch_id, owner_id, band;

-- A stay's contribution with sign `p_sign` (none for a stay not ended or
-- a lead archived or gone), and the contributions of every ended stay of
-- lead `l` with `l`'s attributes.
CREATE FUNCTION lead_stay_contribution_of(h lead_stage_history, p_sign INTEGER)
RETURNS TABLE (day DATE, stage_id TEXT, division_id TEXT, branch_id TEXT, owner_id TEXT, band INTEGER,
               stays BIGINT, seconds BIGINT)
LANGUAGE sql STABLE AS $$
    SELECT metric_local_day(h.left_at), h.to_stage_id, l.division_id, COALESCE(l.branch_id, ''), COALESCE(l.owner_id, ''),
           CASE WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END, p_sign::BIGINT, p_sign * (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT))
    FROM leads l WHERE h.id IS NOT NULL AND l.id = h.lead_id AND l.archived_at IS NULL AND h.left_at IS NOT NULL
$$;

CREATE FUNCTION lead_stays_of(l leads, p_sign INTEGER)
RETURNS TABLE (day DATE, stage_id TEXT, division_id TEXT, branch_id TEXT, owner_id TEXT, band INTEGER,
               stays BIGINT, seconds BIGINT)
LANGUAGE sql STABLE AS $$
    SELECT metric_local_day(h.left_at), h.to_stage_id, l.division_id, COALESCE(l.branch_id, ''), COALESCE(l.owner_id, ''),
           CASE WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END, p_sign::BIGINT, p_sign * (CAST(FLOOR(EXTRACT(EPOCH FROM h.left_at)) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM h.entered_at)) AS BIGINT))
    FROM lead_stage_history h WHERE l.id IS NOT NULL AND h.lead_id = l.id AND h.left_at IS NOT NULL AND l.archived_at IS NULL
$$;

-- A stay written takes its old contribution away and adds its new one; a
-- lead re-attributed (division, branch, owner, archived) or deleted moves
-- all its ended stays. Netted per key (an unchanged key is not written) and
-- in key order; `shard` (0-7, random per write) as in lead_daily_counts.
CREATE FUNCTION lead_stay_counts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pick INTEGER := floor(random() * 8)::INTEGER;
BEGIN
    IF TG_TABLE_NAME = 'lead_stage_history' THEN
    INSERT INTO lead_stay_counts AS c
    SELECT day, stage_id, division_id, branch_id, owner_id, band, pick, SUM(stays), SUM(seconds)
    FROM (SELECT * FROM lead_stay_contribution_of(CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD END, -1)
          UNION ALL
          SELECT * FROM lead_stay_contribution_of(CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW END, 1)) x
    GROUP BY day, stage_id, division_id, branch_id, owner_id, band
    HAVING SUM(stays) <> 0 OR SUM(seconds) <> 0
    ORDER BY day, stage_id, division_id, branch_id, owner_id, band
    ON CONFLICT (day, stage_id, division_id, branch_id, owner_id, band, shard) DO UPDATE
    SET stays = c.stays + excluded.stays, seconds = c.seconds + excluded.seconds;
    ELSE
    INSERT INTO lead_stay_counts AS c
    SELECT day, stage_id, division_id, branch_id, owner_id, band, pick, SUM(stays), SUM(seconds)
    FROM (SELECT * FROM lead_stays_of(CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD END, -1)
          UNION ALL
          SELECT * FROM lead_stays_of(CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW END, 1)) x
    GROUP BY day, stage_id, division_id, branch_id, owner_id, band
    HAVING SUM(stays) <> 0 OR SUM(seconds) <> 0
    ORDER BY day, stage_id, division_id, branch_id, owner_id, band
    ON CONFLICT (day, stage_id, division_id, branch_id, owner_id, band, shard) DO UPDATE
    SET stays = c.stays + excluded.stays, seconds = c.seconds + excluded.seconds;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER lead_stay_counts_follow
AFTER INSERT OR DELETE OR UPDATE OF lead_id, to_stage_id, entered_at, left_at ON lead_stage_history
FOR EACH ROW EXECUTE FUNCTION lead_stay_counts_follow();

CREATE TRIGGER lead_stay_counts_lead_follow
AFTER DELETE OR UPDATE OF division_id, branch_id, owner_id, archived_at ON leads
FOR EACH ROW EXECUTE FUNCTION lead_stay_counts_follow();

