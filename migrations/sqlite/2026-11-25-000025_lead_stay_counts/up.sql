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
SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= h.left_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, h.to_stage_id AS stage_id, l.division_id AS division_id, COALESCE(l.branch_id, '') AS branch_id, COALESCE(l.owner_id, '') AS owner_id, CASE WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END AS band, 1 AS stays, (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) AS seconds
FROM lead_stage_history h JOIN leads l ON l.id = h.lead_id
WHERE h.left_at IS NOT NULL AND l.archived_at IS NULL;

INSERT INTO lead_stay_counts
SELECT day, stage_id, division_id, branch_id, owner_id, band, 0, SUM(stays), SUM(seconds) FROM lead_stay_contributions GROUP BY day, stage_id, division_id, branch_id, owner_id, band;

-- A stay written takes its old contribution away and adds its new one; a
-- lead re-attributed (division, branch, owner, archived) moves all its
-- ended stays. Netted per key, so an unchanged key is not written.
CREATE TRIGGER lead_stay_counts_insert AFTER INSERT ON lead_stage_history
WHEN NEW.left_at IS NOT NULL
BEGIN
    INSERT INTO lead_stay_counts
    SELECT day, stage_id, division_id, branch_id, owner_id, band, 0, SUM(stays), SUM(seconds)
    FROM (SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.left_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, NEW.to_stage_id AS stage_id, l.division_id AS division_id, COALESCE(l.branch_id, '') AS branch_id, COALESCE(l.owner_id, '') AS owner_id, CASE WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END AS band, 1 AS stays, (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) AS seconds
          FROM leads l WHERE l.id = NEW.lead_id AND l.archived_at IS NULL AND NEW.left_at IS NOT NULL) x
    WHERE true
    GROUP BY day, stage_id, division_id, branch_id, owner_id, band
    HAVING SUM(stays) <> 0 OR SUM(seconds) <> 0
    ORDER BY day, stage_id, division_id, branch_id, owner_id, band
    ON CONFLICT (day, stage_id, division_id, branch_id, owner_id, band, shard) DO UPDATE
    SET stays = stays + excluded.stays, seconds = seconds + excluded.seconds;
END;

CREATE TRIGGER lead_stay_counts_update AFTER UPDATE OF lead_id, to_stage_id, entered_at, left_at ON lead_stage_history
WHEN OLD.lead_id IS NOT NEW.lead_id OR OLD.to_stage_id IS NOT NEW.to_stage_id OR OLD.entered_at IS NOT NEW.entered_at OR OLD.left_at IS NOT NEW.left_at
BEGIN
    INSERT INTO lead_stay_counts
    SELECT day, stage_id, division_id, branch_id, owner_id, band, 0, SUM(stays), SUM(seconds)
    FROM (SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.left_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, OLD.to_stage_id AS stage_id, l.division_id AS division_id, COALESCE(l.branch_id, '') AS branch_id, COALESCE(l.owner_id, '') AS owner_id, CASE WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END AS band, -1 AS stays, -(CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) AS seconds
          FROM leads l WHERE l.id = OLD.lead_id AND l.archived_at IS NULL AND OLD.left_at IS NOT NULL
          UNION ALL
          SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.left_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, NEW.to_stage_id AS stage_id, l.division_id AS division_id, COALESCE(l.branch_id, '') AS branch_id, COALESCE(l.owner_id, '') AS owner_id, CASE WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END AS band, 1 AS stays, (CAST(strftime('%s', NEW.left_at) AS BIGINT) - CAST(strftime('%s', NEW.entered_at) AS BIGINT)) AS seconds
          FROM leads l WHERE l.id = NEW.lead_id AND l.archived_at IS NULL AND NEW.left_at IS NOT NULL) x
    WHERE true
    GROUP BY day, stage_id, division_id, branch_id, owner_id, band
    HAVING SUM(stays) <> 0 OR SUM(seconds) <> 0
    ORDER BY day, stage_id, division_id, branch_id, owner_id, band
    ON CONFLICT (day, stage_id, division_id, branch_id, owner_id, band, shard) DO UPDATE
    SET stays = stays + excluded.stays, seconds = seconds + excluded.seconds;
END;

CREATE TRIGGER lead_stay_counts_delete AFTER DELETE ON lead_stage_history
WHEN OLD.left_at IS NOT NULL
BEGIN
    INSERT INTO lead_stay_counts
    SELECT day, stage_id, division_id, branch_id, owner_id, band, 0, SUM(stays), SUM(seconds)
    FROM (SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.left_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, OLD.to_stage_id AS stage_id, l.division_id AS division_id, COALESCE(l.branch_id, '') AS branch_id, COALESCE(l.owner_id, '') AS owner_id, CASE WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END AS band, -1 AS stays, -(CAST(strftime('%s', OLD.left_at) AS BIGINT) - CAST(strftime('%s', OLD.entered_at) AS BIGINT)) AS seconds
          FROM leads l WHERE l.id = OLD.lead_id AND l.archived_at IS NULL AND OLD.left_at IS NOT NULL) x
    WHERE true
    GROUP BY day, stage_id, division_id, branch_id, owner_id, band
    HAVING SUM(stays) <> 0 OR SUM(seconds) <> 0
    ORDER BY day, stage_id, division_id, branch_id, owner_id, band
    ON CONFLICT (day, stage_id, division_id, branch_id, owner_id, band, shard) DO UPDATE
    SET stays = stays + excluded.stays, seconds = seconds + excluded.seconds;
END;

CREATE TRIGGER lead_stay_counts_lead_update AFTER UPDATE OF division_id, branch_id, owner_id, archived_at ON leads
WHEN OLD.division_id IS NOT NEW.division_id OR OLD.branch_id IS NOT NEW.branch_id OR OLD.owner_id IS NOT NEW.owner_id OR OLD.archived_at IS NOT NEW.archived_at
BEGIN
    INSERT INTO lead_stay_counts
    SELECT day, stage_id, division_id, branch_id, owner_id, band, 0, SUM(stays), SUM(seconds)
    FROM (SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= h.left_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, h.to_stage_id AS stage_id, OLD.division_id AS division_id, COALESCE(OLD.branch_id, '') AS branch_id, COALESCE(OLD.owner_id, '') AS owner_id, CASE WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END AS band, -1 AS stays, -(CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) AS seconds
          FROM lead_stage_history h WHERE h.lead_id = OLD.id AND h.left_at IS NOT NULL AND OLD.archived_at IS NULL
          UNION ALL
          SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= h.left_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, h.to_stage_id AS stage_id, NEW.division_id AS division_id, COALESCE(NEW.branch_id, '') AS branch_id, COALESCE(NEW.owner_id, '') AS owner_id, CASE WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END AS band, 1 AS stays, (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) AS seconds
          FROM lead_stage_history h WHERE h.lead_id = NEW.id AND h.left_at IS NOT NULL AND NEW.archived_at IS NULL) x
    WHERE true
    GROUP BY day, stage_id, division_id, branch_id, owner_id, band
    HAVING SUM(stays) <> 0 OR SUM(seconds) <> 0
    ORDER BY day, stage_id, division_id, branch_id, owner_id, band
    ON CONFLICT (day, stage_id, division_id, branch_id, owner_id, band, shard) DO UPDATE
    SET stays = stays + excluded.stays, seconds = seconds + excluded.seconds;
END;

CREATE TRIGGER lead_stay_counts_lead_delete AFTER DELETE ON leads
WHEN OLD.archived_at IS NULL
BEGIN
    INSERT INTO lead_stay_counts
    SELECT day, stage_id, division_id, branch_id, owner_id, band, 0, SUM(stays), SUM(seconds)
    FROM (SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= h.left_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, h.to_stage_id AS stage_id, OLD.division_id AS division_id, COALESCE(OLD.branch_id, '') AS branch_id, COALESCE(OLD.owner_id, '') AS owner_id, CASE WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 3600 THEN 0 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 86400 THEN 1 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 259200 THEN 2 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 604800 THEN 3 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 1209600 THEN 4 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 2592000 THEN 5 WHEN (CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) < 7776000 THEN 6 ELSE 7 END AS band, -1 AS stays, -(CAST(strftime('%s', h.left_at) AS BIGINT) - CAST(strftime('%s', h.entered_at) AS BIGINT)) AS seconds
          FROM lead_stage_history h WHERE h.lead_id = OLD.id AND h.left_at IS NOT NULL AND OLD.archived_at IS NULL) x
    WHERE true
    GROUP BY day, stage_id, division_id, branch_id, owner_id, band
    HAVING SUM(stays) <> 0 OR SUM(seconds) <> 0
    ORDER BY day, stage_id, division_id, branch_id, owner_id, band
    ON CONFLICT (day, stage_id, division_id, branch_id, owner_id, band, shard) DO UPDATE
    SET stays = stays + excluded.stays, seconds = seconds + excluded.seconds;
END;

