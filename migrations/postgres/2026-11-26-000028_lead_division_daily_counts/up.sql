-- The dashboard's conversion and cycle length without a branch or owner
-- filter (issue 9): `lead_daily_counts` holds a row per day, division,
-- branch, owner, status and currency, about 250 rows a day for a million
-- leads a year among fifty reps, so a year of conversion summed ~150k rows
-- (150-250 ms). `lead_division_daily_counts` is the same counts summed per
-- day, division, status and currency (a few rows a day), kept from
-- `lead_daily_counts` itself: every change to one of its rows adds the
-- change to the row of its coarser key. Reports filtered by branch or
-- owner still read `lead_daily_counts`.
CREATE TABLE lead_division_daily_counts (
    basis TEXT NOT NULL CHECK (basis IN ('created', 'closed')),
    day DATE NOT NULL,
    division_id TEXT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    shard INTEGER NOT NULL,
    leads BIGINT NOT NULL,
    cycle_seconds BIGINT NOT NULL,
    value_minor BIGINT NOT NULL,
    PRIMARY KEY (basis, day, division_id, status, currency, shard)
);

INSERT INTO lead_division_daily_counts
SELECT basis, day, division_id, status, currency, 0, SUM(leads), SUM(cycle_seconds), SUM(value_minor)
FROM lead_daily_counts
GROUP BY basis, day, division_id, status, currency;

-- A row of lead_daily_counts inserted adds, deleted takes away, updated
-- (its key never changes: the upserts change counts only) adds the
-- difference; on the shard of the row it follows, so concurrent writers
-- spread as they do there.
CREATE FUNCTION lead_division_daily_counts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r lead_daily_counts := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    d_leads BIGINT := 0;
    d_cycle BIGINT := 0;
    d_value BIGINT := 0;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        d_leads := NEW.leads; d_cycle := NEW.cycle_seconds; d_value := NEW.value_minor;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        d_leads := d_leads - OLD.leads; d_cycle := d_cycle - OLD.cycle_seconds; d_value := d_value - OLD.value_minor;
    END IF;
    IF d_leads <> 0 OR d_cycle <> 0 OR d_value <> 0 THEN
        INSERT INTO lead_division_daily_counts AS c
        VALUES (r.basis, r.day, r.division_id, r.status, r.currency, r.shard, d_leads, d_cycle, d_value)
        ON CONFLICT (basis, day, division_id, status, currency, shard) DO UPDATE
        SET leads = c.leads + excluded.leads, cycle_seconds = c.cycle_seconds + excluded.cycle_seconds,
            value_minor = c.value_minor + excluded.value_minor;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER lead_division_daily_counts_follow AFTER INSERT OR UPDATE OR DELETE ON lead_daily_counts
FOR EACH ROW EXECUTE FUNCTION lead_division_daily_counts_follow();
