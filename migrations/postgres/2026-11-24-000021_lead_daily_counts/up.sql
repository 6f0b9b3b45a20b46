-- Sales metrics over a million leads (issue 9): conversion, the cycle
-- length's mean and the leaderboard read daily counts kept by triggers in
-- the transaction of every lead write, instead of summing a year of leads
-- per request (docs/decisions/0008-metric-rollups.md).
--
-- The days are local days of the company time zone. As on SQLite (which
-- has no time zones), the zone's day boundaries are a table:
-- `metric_local_days` holds, per local day, the UTC instant it starts at,
-- written for the zone named in `metric_settings`. This migration writes
-- Africa/Lagos (UTC+1 all year since 1990; the default zone); at start-up
-- the server rewrites the days and rebuilds the counts when the configured
-- zone differs (`rapport_metrics::rollups::prepare`).
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

INSERT INTO metric_local_days (day, starts_at)
SELECT d::date, d - INTERVAL '1 hour'
FROM generate_series(TIMESTAMP '1990-01-01', TIMESTAMP '2199-12-31', INTERVAL '1 day') AS d;

-- The local day an instant falls on: the last day starting at or before it
-- (an instant before the table's first day counts on that day; reports
-- read the counts only for periods inside the table).
CREATE FUNCTION metric_local_day(at TIMESTAMP) RETURNS DATE
LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT d.day FROM metric_local_days d WHERE d.starts_at <= at ORDER BY d.starts_at DESC LIMIT 1),
                    DATE '1990-01-01')
$$;

-- One row per local day and bucket a scoped report can ask for. `basis`
-- 'created': leads created that day, by their status now (the conversion
-- cohort); 'closed': leads won or lost that day, with the sum of their
-- cycle seconds (creation to close, whole seconds) and expected values.
-- '' for none in the key columns (NULLs never conflict). `shard` (0-7,
-- random per write) spreads concurrent writers of one bucket over several
-- rows, as in lead_board_totals; a bucket is the sum of its shards.
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

-- A lead's contributions with sign `p_sign`: the created row of a live
-- lead, and the closed row of a live lead won or lost. The reference the
-- trigger follows; the view below applies it to every lead for the
-- rebuild and the consistency check.
CREATE FUNCTION lead_daily_contributions_of(l leads, p_sign INTEGER)
RETURNS TABLE (basis TEXT, day DATE, division_id TEXT, branch_id TEXT, owner_id TEXT, status TEXT, currency TEXT,
               leads BIGINT, cycle_seconds BIGINT, value_minor BIGINT)
LANGUAGE sql STABLE AS $$
    SELECT 'created', metric_local_day(l.created_at), l.division_id, COALESCE(l.branch_id, ''),
           COALESCE(l.owner_id, ''), l.status, '', p_sign::BIGINT, 0::BIGINT, 0::BIGINT
    WHERE l.id IS NOT NULL AND l.archived_at IS NULL
    UNION ALL
    SELECT 'closed', metric_local_day(l.closed_at), l.division_id, COALESCE(l.branch_id, ''),
           COALESCE(l.owner_id, ''), l.status, COALESCE(l.currency, ''), p_sign::BIGINT,
           p_sign * (CAST(FLOOR(EXTRACT(EPOCH FROM l.closed_at)) AS BIGINT)
                     - CAST(FLOOR(EXTRACT(EPOCH FROM l.created_at)) AS BIGINT)),
           p_sign * COALESCE(l.expected_value_minor, 0)
    WHERE l.id IS NOT NULL AND l.archived_at IS NULL AND l.status IN ('won', 'lost') AND l.closed_at IS NOT NULL
$$;

CREATE VIEW lead_daily_contributions AS
SELECT c.* FROM leads l, LATERAL lead_daily_contributions_of(l, 1) c;

INSERT INTO lead_daily_counts
SELECT basis, day, division_id, branch_id, owner_id, status, currency, 0, SUM(leads), SUM(cycle_seconds), SUM(value_minor)
FROM lead_daily_contributions
GROUP BY basis, day, division_id, branch_id, owner_id, status, currency;

-- A write takes the lead's old contributions away and adds its new ones,
-- netted per key (an unchanged key is not written) and in key order (two
-- opposite moves cannot deadlock).
CREATE FUNCTION lead_daily_counts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pick INTEGER := floor(random() * 8)::INTEGER;
BEGIN
    INSERT INTO lead_daily_counts AS t
    SELECT c.basis, c.day, c.division_id, c.branch_id, c.owner_id, c.status, c.currency, pick,
           SUM(c.leads), SUM(c.cycle_seconds), SUM(c.value_minor)
    FROM (SELECT * FROM lead_daily_contributions_of(CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD END, -1)
          UNION ALL
          SELECT * FROM lead_daily_contributions_of(CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW END, 1)) c
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING SUM(c.leads) <> 0 OR SUM(c.cycle_seconds) <> 0 OR SUM(c.value_minor) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (basis, day, division_id, branch_id, owner_id, status, currency, shard) DO UPDATE
    SET leads = t.leads + excluded.leads, cycle_seconds = t.cycle_seconds + excluded.cycle_seconds,
        value_minor = t.value_minor + excluded.value_minor;
    RETURN NULL;
END;
$$;

-- UPDATE fires only when a column the counts read is written.
CREATE TRIGGER lead_daily_counts_follow
AFTER INSERT OR DELETE OR UPDATE OF created_at, closed_at, status, division_id, branch_id, owner_id, currency,
    expected_value_minor, archived_at ON leads
FOR EACH ROW EXECUTE FUNCTION lead_daily_counts_follow();
