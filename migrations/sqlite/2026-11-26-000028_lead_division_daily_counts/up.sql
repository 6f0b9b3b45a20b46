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
-- difference. SQLite has one writer: shard 0.
CREATE TRIGGER lead_division_daily_counts_add AFTER INSERT ON lead_daily_counts
BEGIN
    INSERT INTO lead_division_daily_counts
    VALUES (NEW.basis, NEW.day, NEW.division_id, NEW.status, NEW.currency, 0, NEW.leads, NEW.cycle_seconds, NEW.value_minor)
    ON CONFLICT (basis, day, division_id, status, currency, shard) DO UPDATE
    SET leads = leads + excluded.leads, cycle_seconds = cycle_seconds + excluded.cycle_seconds,
        value_minor = value_minor + excluded.value_minor;
END;

CREATE TRIGGER lead_division_daily_counts_change AFTER UPDATE ON lead_daily_counts
BEGIN
    INSERT INTO lead_division_daily_counts
    VALUES (NEW.basis, NEW.day, NEW.division_id, NEW.status, NEW.currency, 0, NEW.leads - OLD.leads,
            NEW.cycle_seconds - OLD.cycle_seconds, NEW.value_minor - OLD.value_minor)
    ON CONFLICT (basis, day, division_id, status, currency, shard) DO UPDATE
    SET leads = leads + excluded.leads, cycle_seconds = cycle_seconds + excluded.cycle_seconds,
        value_minor = value_minor + excluded.value_minor;
END;

CREATE TRIGGER lead_division_daily_counts_take AFTER DELETE ON lead_daily_counts
BEGIN
    INSERT INTO lead_division_daily_counts
    VALUES (OLD.basis, OLD.day, OLD.division_id, OLD.status, OLD.currency, 0, -OLD.leads, -OLD.cycle_seconds, -OLD.value_minor)
    ON CONFLICT (basis, day, division_id, status, currency, shard) DO UPDATE
    SET leads = leads + excluded.leads, cycle_seconds = cycle_seconds + excluded.cycle_seconds,
        value_minor = value_minor + excluded.value_minor;
END;
