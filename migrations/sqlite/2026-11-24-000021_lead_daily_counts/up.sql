-- Sales metrics over a million leads (issue 9): conversion, the cycle
-- length's mean and the leaderboard read daily counts kept by triggers in
-- the transaction of every lead write, instead of summing a year of leads
-- per request (docs/decisions/0008-metric-rollups.md).
--
-- The days are local days of the company time zone. SQLite has no time
-- zones, so the zone's day boundaries are a table: `metric_local_days`
-- holds, per local day, the UTC instant it starts at, written for the
-- zone named in `metric_settings`. This migration writes Africa/Lagos
-- (UTC+1 all year since 1990; the default zone); at start-up the server
-- rewrites the days and rebuilds the counts when the configured zone
-- differs (`rapport_metrics::rollups::prepare`).
CREATE TABLE metric_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    time_zone TEXT NOT NULL
);
INSERT INTO metric_settings (id, time_zone) VALUES (1, 'Africa/Lagos');

CREATE TABLE metric_local_days (
    day DATE NOT NULL PRIMARY KEY,
    starts_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX metric_local_days_starts_idx ON metric_local_days (starts_at);

WITH RECURSIVE days(day) AS (
    SELECT '1990-01-01'
    UNION ALL
    SELECT date(day, '+1 day') FROM days WHERE day < '2199-12-31'
)
INSERT INTO metric_local_days (day, starts_at) SELECT day, datetime(day, '-1 hours') FROM days;

-- One row per local day and bucket a scoped report can ask for. `basis`
-- 'created': leads created that day, by their status now (the conversion
-- cohort); 'closed': leads won or lost that day, with the sum of their
-- cycle seconds (creation to close, whole seconds) and expected values.
-- '' for none in the key columns (NULLs never conflict). `shard` spreads
-- concurrent writers on PostgreSQL as in lead_board_totals; SQLite uses 0.
CREATE TABLE lead_daily_counts (
    basis TEXT NOT NULL CHECK (basis IN ('created', 'closed')),
    day DATE NOT NULL,
    division_id TEXT NOT NULL,
    branch_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    shard INTEGER NOT NULL,
    leads BIGINT NOT NULL,
    cycle_seconds BIGINT NOT NULL,
    value_minor BIGINT NOT NULL,
    PRIMARY KEY (basis, day, division_id, branch_id, owner_id, status, currency, shard)
);

-- A lead's contributions: the created row of every live lead, and the
-- closed row of every live lead won or lost. A local day is the last day
-- starting at or before the instant (an instant before the table's first
-- day counts on that day; reports read the counts only for periods inside
-- the table). The reference the triggers follow:
-- the rebuild and the consistency check read it.
CREATE VIEW lead_daily_contributions AS
SELECT 'created' AS basis, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= l.created_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day,
       l.division_id AS division_id, COALESCE(l.branch_id, '') AS branch_id, COALESCE(l.owner_id, '') AS owner_id,
       l.status AS status, '' AS currency, 1 AS leads, 0 AS cycle_seconds, 0 AS value_minor
FROM leads l WHERE l.archived_at IS NULL
UNION ALL
SELECT 'closed', COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= l.closed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'),
       l.division_id, COALESCE(l.branch_id, ''), COALESCE(l.owner_id, ''), l.status, COALESCE(l.currency, ''), 1,
       CAST(strftime('%s', l.closed_at) AS BIGINT) - CAST(strftime('%s', l.created_at) AS BIGINT),
       COALESCE(l.expected_value_minor, 0)
FROM leads l WHERE l.archived_at IS NULL AND l.status IN ('won', 'lost') AND l.closed_at IS NOT NULL;

INSERT INTO lead_daily_counts
SELECT basis, day, division_id, branch_id, owner_id, status, currency, 0, SUM(leads), SUM(cycle_seconds), SUM(value_minor)
FROM lead_daily_contributions
GROUP BY basis, day, division_id, branch_id, owner_id, status, currency;

-- The triggers: a write takes the lead's old contributions away and adds
-- its new ones (netted per key, so an unchanged key is not written).
-- Updates fire only when a column they read changes.
CREATE TRIGGER lead_daily_counts_insert AFTER INSERT ON leads
WHEN NEW.archived_at IS NULL
BEGIN
    INSERT INTO lead_daily_counts
    SELECT basis, day, division_id, branch_id, owner_id, status, currency, 0, SUM(leads), SUM(cycle_seconds), SUM(value_minor)
    FROM (SELECT 'created' AS basis, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.created_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, NEW.division_id AS division_id,
               COALESCE(NEW.branch_id, '') AS branch_id, COALESCE(NEW.owner_id, '') AS owner_id, NEW.status AS status,
               '' AS currency, 1 AS leads, 0 AS cycle_seconds, 0 AS value_minor
        WHERE NEW.archived_at IS NULL
        UNION ALL
        SELECT 'closed', COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.closed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'), NEW.division_id, COALESCE(NEW.branch_id, ''), COALESCE(NEW.owner_id, ''),
               NEW.status, COALESCE(NEW.currency, ''), 1,
               (CAST(strftime('%s', NEW.closed_at) AS BIGINT) - CAST(strftime('%s', NEW.created_at) AS BIGINT)),
               COALESCE(NEW.expected_value_minor, 0)
        WHERE NEW.archived_at IS NULL AND NEW.status IN ('won', 'lost') AND NEW.closed_at IS NOT NULL) c
    WHERE true
    GROUP BY basis, day, division_id, branch_id, owner_id, status, currency
    HAVING SUM(leads) <> 0 OR SUM(cycle_seconds) <> 0 OR SUM(value_minor) <> 0
    ON CONFLICT (basis, day, division_id, branch_id, owner_id, status, currency, shard) DO UPDATE
    SET leads = leads + excluded.leads, cycle_seconds = cycle_seconds + excluded.cycle_seconds,
        value_minor = value_minor + excluded.value_minor;
END;

CREATE TRIGGER lead_daily_counts_delete AFTER DELETE ON leads
WHEN OLD.archived_at IS NULL
BEGIN
    INSERT INTO lead_daily_counts
    SELECT basis, day, division_id, branch_id, owner_id, status, currency, 0, SUM(leads), SUM(cycle_seconds), SUM(value_minor)
    FROM (SELECT 'created' AS basis, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.created_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, OLD.division_id AS division_id,
               COALESCE(OLD.branch_id, '') AS branch_id, COALESCE(OLD.owner_id, '') AS owner_id, OLD.status AS status,
               '' AS currency, -1 AS leads, 0 AS cycle_seconds, 0 AS value_minor
        WHERE OLD.archived_at IS NULL
        UNION ALL
        SELECT 'closed', COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.closed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'), OLD.division_id, COALESCE(OLD.branch_id, ''), COALESCE(OLD.owner_id, ''),
               OLD.status, COALESCE(OLD.currency, ''), -1,
               -(CAST(strftime('%s', OLD.closed_at) AS BIGINT) - CAST(strftime('%s', OLD.created_at) AS BIGINT)),
               -COALESCE(OLD.expected_value_minor, 0)
        WHERE OLD.archived_at IS NULL AND OLD.status IN ('won', 'lost') AND OLD.closed_at IS NOT NULL) c
    WHERE true
    GROUP BY basis, day, division_id, branch_id, owner_id, status, currency
    HAVING SUM(leads) <> 0 OR SUM(cycle_seconds) <> 0 OR SUM(value_minor) <> 0
    ON CONFLICT (basis, day, division_id, branch_id, owner_id, status, currency, shard) DO UPDATE
    SET leads = leads + excluded.leads, cycle_seconds = cycle_seconds + excluded.cycle_seconds,
        value_minor = value_minor + excluded.value_minor;
END;

CREATE TRIGGER lead_daily_counts_update AFTER UPDATE OF created_at, closed_at, status, division_id, branch_id, owner_id, currency, expected_value_minor, archived_at ON leads
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.closed_at IS NOT NEW.closed_at OR OLD.status IS NOT NEW.status OR OLD.division_id IS NOT NEW.division_id OR OLD.branch_id IS NOT NEW.branch_id OR OLD.owner_id IS NOT NEW.owner_id OR OLD.currency IS NOT NEW.currency OR OLD.expected_value_minor IS NOT NEW.expected_value_minor OR OLD.archived_at IS NOT NEW.archived_at
BEGIN
    INSERT INTO lead_daily_counts
    SELECT basis, day, division_id, branch_id, owner_id, status, currency, 0, SUM(leads), SUM(cycle_seconds), SUM(value_minor)
    FROM (SELECT 'created' AS basis, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.created_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, OLD.division_id AS division_id,
               COALESCE(OLD.branch_id, '') AS branch_id, COALESCE(OLD.owner_id, '') AS owner_id, OLD.status AS status,
               '' AS currency, -1 AS leads, 0 AS cycle_seconds, 0 AS value_minor
        WHERE OLD.archived_at IS NULL
        UNION ALL
        SELECT 'closed', COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= OLD.closed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'), OLD.division_id, COALESCE(OLD.branch_id, ''), COALESCE(OLD.owner_id, ''),
               OLD.status, COALESCE(OLD.currency, ''), -1,
               -(CAST(strftime('%s', OLD.closed_at) AS BIGINT) - CAST(strftime('%s', OLD.created_at) AS BIGINT)),
               -COALESCE(OLD.expected_value_minor, 0)
        WHERE OLD.archived_at IS NULL AND OLD.status IN ('won', 'lost') AND OLD.closed_at IS NOT NULL
    UNION ALL
    SELECT 'created' AS basis, COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.created_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01') AS day, NEW.division_id AS division_id,
               COALESCE(NEW.branch_id, '') AS branch_id, COALESCE(NEW.owner_id, '') AS owner_id, NEW.status AS status,
               '' AS currency, 1 AS leads, 0 AS cycle_seconds, 0 AS value_minor
        WHERE NEW.archived_at IS NULL
        UNION ALL
        SELECT 'closed', COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= NEW.closed_at ORDER BY d.starts_at DESC LIMIT 1), '1990-01-01'), NEW.division_id, COALESCE(NEW.branch_id, ''), COALESCE(NEW.owner_id, ''),
               NEW.status, COALESCE(NEW.currency, ''), 1,
               (CAST(strftime('%s', NEW.closed_at) AS BIGINT) - CAST(strftime('%s', NEW.created_at) AS BIGINT)),
               COALESCE(NEW.expected_value_minor, 0)
        WHERE NEW.archived_at IS NULL AND NEW.status IN ('won', 'lost') AND NEW.closed_at IS NOT NULL) c
    WHERE true
    GROUP BY basis, day, division_id, branch_id, owner_id, status, currency
    HAVING SUM(leads) <> 0 OR SUM(cycle_seconds) <> 0 OR SUM(value_minor) <> 0
    ON CONFLICT (basis, day, division_id, branch_id, owner_id, status, currency, shard) DO UPDATE
    SET leads = leads + excluded.leads, cycle_seconds = cycle_seconds + excluded.cycle_seconds,
        value_minor = value_minor + excluded.value_minor;
END;
